#include "report/summary.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "out/json.h"
#include "report/addrset.h"
#include "report/normalise.h"

#define RAW_LISTS 3 /* product, user agent, server: counted raw, folded at the end */

struct file_info {
	char path[256];
	enum sw_report_format format;
	struct sw_report_read_stats st;
};

struct sw_summary {
	struct file_info files[SW_SUMMARY_FILES_MAX];
	unsigned nfiles;
	const char *cur;
	uint64_t rows;
	struct sw_addrset *addrs;
	struct sw_amp amp;
	uint64_t amp_empty, resp_bytes, resp_n, code_n;
	uint64_t codes[700], code_other;
	int have_resp, have_code, have_asn, have_geo;
	struct sw_counter *raw[RAW_LISTS];
	struct sw_counter *fold[RAW_LISTS];
	struct sw_counter *asn, *geo;
	struct sw_summary_problem p_ip, p_amp, p_resp, p_code;
	int finished;
};

const enum sw_scan_col sw_summary_need[2] = {SW_SCAN_COL_IP, SW_SCAN_COL_AMPLIFICATION};

int sw_summary_new(struct sw_summary **ret)
{
	struct sw_summary *s = calloc(1, sizeof(*s));
	if (!s)
		return SW_E_NOMEM;
	int rc = sw_amp_init(&s->amp);
	if (!rc)
		rc = sw_addrset_new(UINT64_C(1) << 27, &s->addrs);
	for (int i = 0; !rc && i < RAW_LISTS; i++)
		rc = sw_counter_new(SW_SUMMARY_KEYS_MAX, &s->raw[i]);
	if (!rc)
		rc = sw_counter_new(SW_SUMMARY_KEYS_MAX, &s->asn);
	if (!rc)
		rc = sw_counter_new(SW_SUMMARY_KEYS_MAX, &s->geo);
	if (rc) {
		sw_summary_free(s);
		return rc;
	}
	*ret = s;
	return 0;
}

void sw_summary_free(struct sw_summary *s)
{
	if (!s)
		return;
	sw_amp_free(&s->amp);
	sw_addrset_free(s->addrs);
	for (int i = 0; i < RAW_LISTS; i++) {
		sw_counter_free(s->raw[i]);
		sw_counter_free(s->fold[i]);
	}
	sw_counter_free(s->asn);
	sw_counter_free(s->geo);
	free(s);
}

int sw_summary_file_begin(struct sw_summary *s, const struct sw_report_reader *r)
{
	if (s->nfiles == SW_SUMMARY_FILES_MAX)
		return SW_E_LIMIT;
	struct file_info *fi = &s->files[s->nfiles++];
	snprintf(fi->path, sizeof(fi->path), "%s", sw_report_reader_path(r));
	fi->format = sw_report_reader_format(r);
	s->cur = fi->path;
	s->have_resp |= sw_report_reader_has(r, SW_SCAN_COL_RESPONSE_SIZE);
	s->have_code |= sw_report_reader_has(r, SW_SCAN_COL_SIP_CODE);
	s->have_asn |= sw_report_reader_has(r, SW_SCAN_COL_ASN);
	s->have_geo |= sw_report_reader_has(r, SW_SCAN_COL_GEO);
	return 0;
}

void sw_summary_file_end(struct sw_summary *s, const struct sw_report_reader *r)
{
	if (s->nfiles)
		s->files[s->nfiles - 1].st = *sw_report_reader_stats(r);
}

static void problem(struct sw_summary *s, struct sw_summary_problem *p, uint64_t line,
		    const char *col, struct sw_str v)
{
	if (p->n++)
		return;
	char q[64];
	uint32_t n = v.len < 40 ? v.len : 40, k = 0;
	for (uint32_t i = 0; i < n; i++)
		q[k++] = v.p[i] >= 0x20 && v.p[i] < 0x7f ? v.p[i] : '?';
	q[k] = '\0';
	snprintf(p->first, sizeof(p->first), "%s: line %" PRIu64 ": %s '%s%s'", s->cur, line, col,
		 q, v.len > n ? "..." : "");
}

static struct sw_str trimmed(struct sw_str v)
{
	while (v.len && (v.p[0] == ' ' || v.p[0] == '\t'))
		v.p++, v.len--;
	while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
		v.len--;
	return v;
}

int sw_summary_row(void *summary, const struct sw_report_row *row)
{
	struct sw_summary *s = summary;
	s->rows++;
	uint8_t a[16];
	struct sw_str ip = trimmed(row->col[SW_SCAN_COL_IP]);
	int fam = sw_report_addr_parse(ip, a);
	if (fam)
		sw_addrset_add(s->addrs, fam, a);
	else
		problem(s, &s->p_ip, row->line, "ip is not an address:", ip);

	struct sw_str v = row->col[SW_SCAN_COL_AMPLIFICATION];
	uint64_t n;
	if (!v.len)
		s->amp_empty++;
	else if (sw_parse_centi(v, &n) == 0)
		sw_amp_add(&s->amp, n);
	else
		problem(s, &s->p_amp, row->line, "amplification is not a number:", v);

	v = row->col[SW_SCAN_COL_RESPONSE_SIZE];
	if (v.len) {
		if (sw_parse_u64(v, &n) == 0)
			s->resp_bytes += n, s->resp_n++;
		else
			problem(s, &s->p_resp, row->line, "response_size is not a number:", v);
	}
	v = row->col[SW_SCAN_COL_SIP_CODE];
	if (v.len) {
		if (sw_parse_u64(v, &n) == 0 && n >= 100 && n <= 699)
			s->codes[n]++;
		else
			problem(s, &s->p_code, row->line, "sip_code is not a status code:", v);
		s->code_n++;
	}
	struct sw_str ua = row->col[SW_SCAN_COL_USER_AGENT];
	struct sw_str server = row->col[SW_SCAN_COL_SERVER];
	sw_counter_add(s->raw[SW_LIST_PRODUCT], server.len ? server : ua, 1);
	sw_counter_add(s->raw[SW_LIST_USER_AGENT], ua, 1);
	sw_counter_add(s->raw[SW_LIST_SERVER], server, 1);
	sw_counter_add(s->asn, row->col[SW_SCAN_COL_ASN], 1);
	sw_counter_add(s->geo, row->col[SW_SCAN_COL_GEO], 1);
	return 0;
}

int sw_summary_finish(struct sw_summary *s)
{
	if (s->finished)
		return 0;
	s->finished = 1;
	sw_amp_finish(&s->amp);
	char buf[SW_COUNTER_KEY_MAX];
	for (int l = 0; l < RAW_LISTS; l++) {
		uint32_t n = sw_counter_size(s->raw[l]);
		int rc = sw_counter_new(SW_SUMMARY_KEYS_MAX, &s->fold[l]);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < n; i++) {
			struct sw_count c = sw_counter_get(s->raw[l], i);
			size_t fl = sw_product_fold(c.key, buf);
			sw_counter_add(s->fold[l], sw_str_make(buf, fl), c.n);
		}
		if (sw_counter_other(s->raw[l]))
			sw_counter_add(s->fold[l],
				       SW_STR_LIT("(other values past the table's cap)"),
				       sw_counter_other(s->raw[l]));
	}
	return 0;
}

const struct sw_amp *sw_summary_amp(const struct sw_summary *s)
{
	return &s->amp;
}

uint64_t sw_summary_rows(const struct sw_summary *s)
{
	return s->rows;
}

uint64_t sw_summary_unique(const struct sw_summary *s)
{
	return sw_addrset_count(s->addrs);
}

uint64_t sw_summary_response_bytes(const struct sw_summary *s, int *ret_have)
{
	*ret_have = s->have_resp;
	return s->resp_bytes;
}

uint64_t sw_summary_bad_rows(const struct sw_summary *s)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < s->nfiles; i++)
		n += s->files[i].st.bad_rows;
	return n;
}

uint64_t sw_summary_value_problems(const struct sw_summary *s)
{
	return s->p_ip.n + s->p_amp.n + s->p_resp.n + s->p_code.n;
}

size_t sw_summary_list(struct sw_summary *s, enum sw_summary_list which,
		       const struct sw_count **ret)
{
	struct sw_counter *c = which == SW_LIST_ASN ? s->asn :
			       which == SW_LIST_GEO ? s->geo :
						      s->fold[which];
	return c ? sw_counter_sorted(c, ret) : (*ret = NULL, 0);
}

/* The raw values folded into folded entry key of list l, by count (at most max). */
static size_t raw_of(struct sw_summary *s, int l, struct sw_str key, struct sw_count *out,
		     size_t max)
{
	uint32_t fid;
	if (sw_counter_intern(s->fold[l], key, &fid) != 0)
		return 0;
	const struct sw_count *all;
	size_t n = sw_counter_sorted(s->raw[l], &all), k = 0;
	(void)n;
	/* sorted[] lost the ids: match by folding again (top lists are short). */
	char buf[SW_COUNTER_KEY_MAX];
	for (size_t i = 0; i < n && k < max; i++) {
		size_t fl = sw_product_fold(all[i].key, buf);
		if (fl == key.len && (fl == 0 || memcmp(buf, key.p, fl) == 0))
			out[k++] = all[i];
	}
	return k;
}

static double centi(double v)
{
	return v / 100.0;
}

static void put_key(FILE *f, struct sw_str k, const char *empty)
{
	if (!k.len) {
		fputs(empty, f);
		return;
	}
	for (uint32_t i = 0; i < k.len; i++) {
		unsigned char c = (unsigned char)k.p[i];
		fputc(c < 0x20 || c == 0x7f ? '?' : c, f);
	}
}

static const char *const list_title[SW_LIST__COUNT] = {
	"products (Server, else User-Agent; versions folded to *)",
	"User-Agent (versions folded to *)",
	"Server (versions folded to *)",
	"ASNs",
	"countries",
};

static const char *const list_empty[SW_LIST__COUNT] = {
	"(no Server or User-Agent)", "(no User-Agent)", "(no Server)", "(unknown ASN)",
	"(unknown country)",
};

static void text_list(struct sw_summary *s, FILE *f, enum sw_summary_list l, unsigned top, int raw)
{
	const struct sw_count *e;
	size_t n;
	if (raw && l <= SW_LIST_SERVER)
		n = sw_counter_sorted(s->raw[l], &e);
	else
		n = sw_summary_list(s, l, &e);
	fprintf(f, "\ntop %s%s: %zu distinct\n", list_title[l],
		raw && l <= SW_LIST_SERVER ? " - raw values" : "", n);
	for (size_t i = 0; i < n && i < top; i++) {
		fprintf(f, "  %10" PRIu64 "  %5.1f%%  ", e[i].n,
			s->rows ? 100.0 * (double)e[i].n / (double)s->rows : 0.0);
		if (l == SW_LIST_ASN && e[i].key.len)
			fputs("AS", f);
		put_key(f, e[i].key, list_empty[l]);
		fputc('\n', f);
		if (raw || l > SW_LIST_SERVER)
			continue;
		struct sw_count rv[4];
		size_t k = raw_of(s, (int)l, e[i].key, rv, 4);
		if (k == 1 && rv[0].key.len == e[i].key.len)
			continue; /* nothing was folded */
		for (size_t j = 0; j < k && j < 3; j++) {
			fprintf(f, "  %10" PRIu64 "          ", rv[j].n);
			fputs("= ", f);
			put_key(f, rv[j].key, list_empty[l]);
			fputc('\n', f);
		}
		if (k > 3)
			fputs("                      ... (--raw lists every value)\n", f);
	}
	if (sw_counter_other(l == SW_LIST_ASN ? s->asn : l == SW_LIST_GEO ? s->geo : s->raw[l]))
		fprintf(f, "  (more than %u distinct values: the rest counted together)\n",
			SW_SUMMARY_KEYS_MAX);
}

static void text_problem(FILE *f, const struct sw_summary_problem *p, const char *what)
{
	if (p->n)
		fprintf(f, "  %" PRIu64 " rows with %s; first: %s\n", p->n, what, p->first);
}

int sw_summary_text(struct sw_summary *s, FILE *f, unsigned top, int raw)
{
	if (sw_summary_finish(s) != 0)
		return SW_E_NOMEM;
	for (unsigned i = 0; i < s->nfiles; i++) {
		const struct file_info *fi = &s->files[i];
		fprintf(f, "%-18s%s: %" PRIu64 " rows (%s)", i ? "" : "files", fi->path,
			fi->st.rows, fi->format == SW_REPORT_JSONL ? "JSON Lines" : "CSV");
		if (fi->st.bad_rows)
			fprintf(f, ", %" PRIu64 " row(s) could not be parsed", fi->st.bad_rows);
		fputc('\n', f);
	}
	fprintf(f, "%-18s%" PRIu64 " rows, %" PRIu64 " unique addresses%s\n", "responders", s->rows,
		sw_addrset_count(s->addrs),
		sw_addrset_full(s->addrs) ? " (at least: cap reached)" : "");
	const struct sw_amp *a = &s->amp;
	if (a->n) {
		fprintf(f,
			"%-18smean %.2f, median %.2f, p90 %.2f, p99 %.2f, max %.2f (%" PRIu64
			" values)\n",
			"amplification", centi((double)a->sum / (double)a->n),
			centi(sw_amp_quantile(a, 0.5)), centi(sw_amp_quantile(a, 0.9)),
			centi(sw_amp_quantile(a, 0.99)), centi((double)a->max), a->n);
	} else {
		fprintf(f, "%-18sno values\n", "amplification");
	}
	if (s->amp_empty)
		fprintf(f, "%-18s%" PRIu64 " rows have no amplification value\n", "", s->amp_empty);
	if (s->have_resp)
		fprintf(f,
			"%-18s%" PRIu64 " (%.1f MB) from %" PRIu64
			" responders: what they send back for one probe each, the reflected-DDoS "
			"potential\n",
			"response bytes", s->resp_bytes, (double)s->resp_bytes / 1e6, s->resp_n);
	else
		fprintf(f, "%-18sn/a (no response_size column)\n", "response bytes");
	uint64_t bins[SW_AMP_HIST_BINS], maxb = 0;
	sw_amp_hist(a, bins);
	for (unsigned i = 0; i < SW_AMP_HIST_BINS; i++)
		if (bins[i] > maxb)
			maxb = bins[i];
	fputs("\namplification histogram (log scale)\n", f);
	for (unsigned i = 0; i < SW_AMP_HIST_BINS; i++) {
		char range[32];
		if (i + 1 < SW_AMP_HIST_BINS)
			snprintf(range, sizeof(range), "%g - <%g", (double)sw_amp_hist_lo[i] / 100,
				 (double)sw_amp_hist_lo[i + 1] / 100);
		else
			snprintf(range, sizeof(range), ">= %g", (double)sw_amp_hist_lo[i] / 100);
		unsigned w = maxb ? (unsigned)((bins[i] * 40 + maxb - 1) / maxb) : 0;
		fprintf(f, "  %-14s %10" PRIu64 "%s", range, bins[i], w ? "  " : "");
		for (unsigned k = 0; k < w; k++)
			fputc('#', f);
		fputc('\n', f);
	}
	if (s->have_code) {
		fputs("\nstatus codes\n", f);
		for (unsigned c = 100; c < 700; c++)
			if (s->codes[c])
				fprintf(f, "  %10" PRIu64 "  %5.1f%%  %u\n", s->codes[c],
					100.0 * (double)s->codes[c] / (double)s->rows, c);
	}
	for (int l = 0; l < SW_LIST__COUNT; l++) {
		if ((l == SW_LIST_ASN && !s->have_asn) || (l == SW_LIST_GEO && !s->have_geo))
			continue;
		text_list(s, f, (enum sw_summary_list)l, top, raw);
	}
	uint64_t bad = sw_summary_bad_rows(s);
	if (bad || sw_summary_value_problems(s)) {
		fputs("\nproblems\n", f);
		for (unsigned i = 0; i < s->nfiles; i++) {
			const struct file_info *fi = &s->files[i];
			if (!fi->st.bad_rows)
				continue;
			fprintf(f,
				"  %s: %" PRIu64 " row(s) could not be parsed and were skipped\n",
				fi->path, fi->st.bad_rows);
			for (unsigned k = 0; k < fi->st.nbad; k++)
				fprintf(f, "    %s: %s\n", fi->path, fi->st.bad[k]);
		}
		text_problem(f, &s->p_ip, "an ip that is not an address");
		text_problem(f, &s->p_amp, "an amplification that is not a number");
		text_problem(f, &s->p_resp, "a response_size that is not a number");
		text_problem(f, &s->p_code, "a sip_code that is not a status code");
	}
	return ferror(f) ? SW_E_IO : 0;
}

/* A number with up to 4 decimals, trailing zeros dropped, as JSON. */
static void json_num(struct sw_json *j, const char *key, double v)
{
	char b[64];
	int n = snprintf(b, sizeof(b), "%.4f", v);
	while (n > 0 && b[n - 1] == '0')
		n--;
	if (n > 0 && b[n - 1] == '.')
		n--;
	sw_json_number(j, key, sw_str_make(b, (size_t)n));
}

static void json_problem(struct sw_json *j, const char *key, const struct sw_summary_problem *p)
{
	sw_json_obj_open(j, key);
	sw_json_int(j, "rows", (int64_t)p->n);
	if (p->n)
		sw_json_cstr(j, "first", p->first);
	else
		sw_json_null(j, "first");
	sw_json_obj_close(j);
}

static void json_list(struct sw_summary *s, struct sw_json *j, int l, const char *key,
		      const char *name, unsigned top)
{
	const struct sw_count *e;
	size_t n = sw_summary_list(s, (enum sw_summary_list)l, &e);
	sw_json_arr_open(j, key);
	for (size_t i = 0; i < n && i < top; i++) {
		sw_json_obj_open(j, NULL);
		sw_json_str(j, name, e[i].key.len ? e[i].key : SW_STR_NULL);
		sw_json_int(j, "count", (int64_t)e[i].n);
		if (l <= SW_LIST_SERVER) {
			struct sw_count rv[32];
			size_t k = raw_of(s, l, e[i].key, rv, 32);
			sw_json_arr_open(j, "raw");
			for (size_t r = 0; r < k; r++) {
				sw_json_obj_open(j, NULL);
				sw_json_str(j, "value", rv[r].key.len ? rv[r].key : SW_STR_NULL);
				sw_json_int(j, "count", (int64_t)rv[r].n);
				sw_json_obj_close(j);
			}
			sw_json_arr_close(j);
		}
		sw_json_obj_close(j);
	}
	sw_json_arr_close(j);
}

/* The top raw values of a product list, versions unfolded. */
static void json_raw(struct sw_summary *s, struct sw_json *j, int l, const char *key, unsigned top)
{
	const struct sw_count *e;
	size_t n = sw_counter_sorted(s->raw[l], &e);
	sw_json_arr_open(j, key);
	for (size_t i = 0; i < n && i < top; i++) {
		sw_json_obj_open(j, NULL);
		sw_json_str(j, "value", e[i].key.len ? e[i].key : SW_STR_NULL);
		sw_json_int(j, "count", (int64_t)e[i].n);
		sw_json_obj_close(j);
	}
	sw_json_arr_close(j);
}

int sw_summary_json(struct sw_summary *s, FILE *f, unsigned top)
{
	if (sw_summary_finish(s) != 0)
		return SW_E_NOMEM;
	struct sw_json j;
	sw_json_init(&j, f);
	sw_json_obj_open(&j, NULL);
	sw_json_arr_open(&j, "files");
	for (unsigned i = 0; i < s->nfiles; i++) {
		const struct file_info *fi = &s->files[i];
		sw_json_obj_open(&j, NULL);
		sw_json_cstr(&j, "path", fi->path);
		sw_json_cstr(&j, "format", fi->format == SW_REPORT_JSONL ? "jsonl" : "csv");
		sw_json_int(&j, "rows", (int64_t)fi->st.rows);
		sw_json_int(&j, "bad_rows", (int64_t)fi->st.bad_rows);
		sw_json_arr_open(&j, "bad");
		for (unsigned k = 0; k < fi->st.nbad; k++)
			sw_json_cstr(&j, NULL, fi->st.bad[k]);
		sw_json_arr_close(&j);
		sw_json_obj_close(&j);
	}
	sw_json_arr_close(&j);
	sw_json_int(&j, "rows", (int64_t)s->rows);
	sw_json_int(&j, "unique_addresses", (int64_t)sw_addrset_count(s->addrs));
	sw_json_bool(&j, "unique_addresses_capped", sw_addrset_full(s->addrs));
	const struct sw_amp *a = &s->amp;
	sw_json_obj_open(&j, "amplification");
	sw_json_int(&j, "count", (int64_t)a->n);
	sw_json_int(&j, "empty", (int64_t)s->amp_empty);
	if (a->n) {
		json_num(&j, "mean", centi((double)a->sum / (double)a->n));
		json_num(&j, "median", centi(sw_amp_quantile(a, 0.5)));
		json_num(&j, "p90", centi(sw_amp_quantile(a, 0.9)));
		json_num(&j, "p99", centi(sw_amp_quantile(a, 0.99)));
		json_num(&j, "max", centi((double)a->max));
	} else {
		sw_json_null(&j, "mean");
		sw_json_null(&j, "median");
		sw_json_null(&j, "p90");
		sw_json_null(&j, "p99");
		sw_json_null(&j, "max");
	}
	uint64_t bins[SW_AMP_HIST_BINS];
	sw_amp_hist(a, bins);
	sw_json_arr_open(&j, "histogram");
	for (unsigned i = 0; i < SW_AMP_HIST_BINS; i++) {
		sw_json_obj_open(&j, NULL);
		json_num(&j, "from", (double)sw_amp_hist_lo[i] / 100);
		if (i + 1 < SW_AMP_HIST_BINS)
			json_num(&j, "to", (double)sw_amp_hist_lo[i + 1] / 100);
		else
			sw_json_null(&j, "to");
		sw_json_int(&j, "count", (int64_t)bins[i]);
		sw_json_obj_close(&j);
	}
	sw_json_arr_close(&j);
	sw_json_obj_close(&j);
	if (s->have_resp)
		sw_json_int(&j, "response_bytes", (int64_t)s->resp_bytes);
	else
		sw_json_null(&j, "response_bytes");
	sw_json_obj_open(&j, "status_codes");
	for (unsigned c = 100; c < 700; c++)
		if (s->codes[c]) {
			char k[8];
			snprintf(k, sizeof(k), "%u", c);
			sw_json_int(&j, k, (int64_t)s->codes[c]);
		}
	sw_json_obj_close(&j);
	json_list(s, &j, SW_LIST_PRODUCT, "products", "product", top);
	json_list(s, &j, SW_LIST_USER_AGENT, "user_agents", "product", top);
	json_list(s, &j, SW_LIST_SERVER, "servers", "product", top);
	json_raw(s, &j, SW_LIST_USER_AGENT, "user_agents_raw", top);
	json_raw(s, &j, SW_LIST_SERVER, "servers_raw", top);
	json_list(s, &j, SW_LIST_ASN, "asns", "asn", top);
	json_list(s, &j, SW_LIST_GEO, "countries", "geo", top);
	sw_json_obj_open(&j, "problems");
	sw_json_int(&j, "bad_rows", (int64_t)sw_summary_bad_rows(s));
	json_problem(&j, "ip", &s->p_ip);
	json_problem(&j, "amplification", &s->p_amp);
	json_problem(&j, "response_size", &s->p_resp);
	json_problem(&j, "sip_code", &s->p_code);
	sw_json_obj_close(&j);
	sw_json_obj_close(&j);
	sw_json_eol(&j);
	return ferror(f) ? SW_E_IO : 0;
}
