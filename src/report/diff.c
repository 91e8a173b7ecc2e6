#include "report/diff.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "out/csv.h"
#include "out/json.h"
#include "report/addrset.h"
#include "report/counter.h"
#include "report/stats.h"

#define STRINGS_MAX (4u << 20)
#define BLOCK_BITS 16 /* entries live in blocks of 65,536: growing never copies them */
#define BLOCK (1u << BLOCK_BITS)

enum { ST_OLD = 1, ST_MATCHED, ST_NEW_ONLY };

struct entry {
	uint8_t addr[16];
	uint16_t port;
	uint8_t fam;
	uint8_t state;
	uint32_t amp; /* hundredths + 1, 0: none (values above 42.9 million are clamped) */
	uint32_t ua, server, asn, geo, code; /* interned string + 1, 0: none */
};

struct sw_diff {
	unsigned pct;
	const struct sw_diff_writer *w;
	FILE *out;
	const char *path;
	struct entry **blocks;
	uint64_t ne, nblocks;
	uint32_t *slot; /* entry + 1 */
	uint64_t nslots;
	struct sw_counter *strs;
	int rc;
	struct sw_diff_stats st;
};

int sw_diff_new(unsigned amp_change_pct, const struct sw_diff_writer *w, FILE *out,
		struct sw_diff **ret)
{
	struct sw_diff *d = calloc(1, sizeof(*d));
	if (!d)
		return SW_E_NOMEM;
	d->pct = amp_change_pct;
	d->w = w;
	d->out = out;
	d->path = "";
	if (sw_counter_new(STRINGS_MAX, &d->strs) != 0) {
		free(d);
		return SW_E_NOMEM;
	}
	*ret = d;
	return 0;
}

void sw_diff_free(struct sw_diff *d)
{
	if (!d)
		return;
	for (uint64_t i = 0; i < d->nblocks; i++)
		free(d->blocks[i]);
	free(d->blocks);
	free(d->slot);
	sw_counter_free(d->strs);
	free(d);
}

void sw_diff_file(struct sw_diff *d, const char *path)
{
	d->path = path;
}

static uint64_t key_hash(const uint8_t a[16], uint16_t port)
{
	uint64_t h, l;
	memcpy(&h, a, 8);
	memcpy(&l, a + 8, 8);
	h = (h ^ (l * 0x9e3779b97f4a7c15u) ^ port) * 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

static struct entry *at(const struct sw_diff *d, uint64_t i)
{
	return &d->blocks[i >> BLOCK_BITS][i & (BLOCK - 1)];
}

static int grow(struct sw_diff *d)
{
	uint64_t n = d->nslots ? d->nslots * 2 : 65536;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return SW_E_NOMEM;
	for (uint64_t i = 0; i < d->ne; i++) {
		uint64_t j = key_hash(at(d, i)->addr, at(d, i)->port) & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(d->slot);
	d->slot = s;
	d->nslots = n;
	return 0;
}

/* The entry for (addr, port), added when absent and add is set; NULL when absent or full. */
static struct entry *lookup(struct sw_diff *d, const uint8_t a[16], uint16_t port, int add,
			    int *ret_new)
{
	*ret_new = 0;
	uint64_t h = key_hash(a, port), j;
	if (d->nslots) {
		for (j = h & (d->nslots - 1); d->slot[j]; j = (j + 1) & (d->nslots - 1)) {
			struct entry *e = at(d, d->slot[j] - 1);
			if (e->port == port && memcmp(e->addr, a, 16) == 0)
				return e;
		}
	}
	if (!add || d->ne >= SW_DIFF_KEYS_MAX)
		return NULL;
	if ((d->ne + 1) * 2 > d->nslots && grow(d) != 0)
		return NULL;
	if (d->ne == d->nblocks * BLOCK) {
		struct entry **nb = realloc(d->blocks, (d->nblocks + 1) * sizeof(*nb));
		if (!nb)
			return NULL;
		d->blocks = nb;
		if (!(nb[d->nblocks] = malloc(BLOCK * sizeof(struct entry))))
			return NULL;
		d->nblocks++;
	}
	for (j = h & (d->nslots - 1); d->slot[j]; j = (j + 1) & (d->nslots - 1))
		;
	struct entry *e = at(d, d->ne);
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, a, 16);
	e->port = port;
	d->slot[j] = (uint32_t)++d->ne;
	*ret_new = 1;
	return e;
}

static uint32_t intern(struct sw_diff *d, struct sw_str v)
{
	uint32_t id;
	if (!v.len || sw_counter_intern(d->strs, v, &id) != 0)
		return 0;
	return id + 1;
}

static struct sw_str str_of(const struct sw_diff *d, uint32_t id)
{
	return id ? sw_counter_get(d->strs, id - 1).key : SW_STR_NULL;
}

static void problem(struct sw_diff *d, uint64_t line, const char *what)
{
	if (d->st.first_problem[0])
		return;
	snprintf(d->st.first_problem, sizeof(d->st.first_problem), "%s: line %" PRIu64 ": %s",
		 d->path, line, what);
}

/* The key of a row: 0 and the address and port, or -1 (counted by the caller). */
static int row_key(struct sw_diff *d, const struct sw_report_row *row, uint8_t a[16],
		   uint16_t *port)
{
	memset(a, 0, 16);
	int fam = sw_report_addr_parse(row->col[SW_SCAN_COL_IP], a);
	if (!fam) {
		problem(d, row->line, "ip is not an address");
		return -1;
	}
	if (fam == 4) { /* one key space: IPv4 as ::ffff:a.b.c.d */
		memmove(a + 12, a, 4);
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
	}
	uint64_t p = 0;
	struct sw_str ps = row->col[SW_SCAN_COL_PORT];
	if (ps.len && (sw_parse_u64(ps, &p) != 0 || p > 65535)) {
		problem(d, row->line, "port is not a port number");
		return -1;
	}
	*port = (uint16_t)p;
	return 0;
}

static uint32_t amp_of(struct sw_str v)
{
	uint64_t c;
	if (!v.len || sw_parse_centi(v, &c) != 0)
		return 0;
	return c >= UINT32_MAX - 1 ? UINT32_MAX : (uint32_t)c + 1;
}

int sw_diff_old_row(void *diff, const struct sw_report_row *row)
{
	struct sw_diff *d = diff;
	uint8_t a[16];
	uint16_t port;
	d->st.old_rows++;
	if (row_key(d, row, a, &port) != 0) {
		d->st.badkey_old++;
		return 0;
	}
	int fresh;
	struct entry *e = lookup(d, a, port, 1, &fresh);
	if (!e) {
		problem(d, row->line, "too many keys or out of memory");
		return SW_E_NOMEM;
	}
	if (!fresh) {
		d->st.dup_old++;
		return 0;
	}
	e->state = ST_OLD;
	e->amp = amp_of(row->col[SW_SCAN_COL_AMPLIFICATION]);
	e->ua = intern(d, row->col[SW_SCAN_COL_USER_AGENT]);
	e->server = intern(d, row->col[SW_SCAN_COL_SERVER]);
	e->asn = intern(d, row->col[SW_SCAN_COL_ASN]);
	e->geo = intern(d, row->col[SW_SCAN_COL_GEO]);
	e->code = intern(d, row->col[SW_SCAN_COL_SIP_CODE]);
	return 0;
}

static int same(struct sw_str a, struct sw_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

int sw_diff_new_row(void *diff, const struct sw_report_row *row)
{
	struct sw_diff *d = diff;
	uint8_t a[16];
	uint16_t port;
	d->st.new_rows++;
	if (row_key(d, row, a, &port) != 0) {
		d->st.badkey_new++;
		return 0;
	}
	int fresh;
	struct entry *e = lookup(d, a, port, 1, &fresh);
	if (!e) {
		problem(d, row->line, "too many keys or out of memory");
		return SW_E_NOMEM;
	}
	if (!fresh && e->state != ST_OLD) {
		d->st.dup_new++;
		return 0;
	}
	struct sw_diff_change c = {0};
	char ob[32];
	c.ip = row->col[SW_SCAN_COL_IP];
	c.port = row->col[SW_SCAN_COL_PORT];
	c.asn = row->col[SW_SCAN_COL_ASN];
	c.geo = row->col[SW_SCAN_COL_GEO];
	c.cur.user_agent = row->col[SW_SCAN_COL_USER_AGENT];
	c.cur.server = row->col[SW_SCAN_COL_SERVER];
	c.cur.sip_code = row->col[SW_SCAN_COL_SIP_CODE];
	c.cur.amplification = row->col[SW_SCAN_COL_AMPLIFICATION];
	if (fresh) {
		e->state = ST_NEW_ONLY;
		c.kind = SW_DIFF_NEW;
		d->st.added++;
	} else {
		e->state = ST_MATCHED;
		c.old.user_agent = str_of(d, e->ua);
		c.old.server = str_of(d, e->server);
		c.old.sip_code = str_of(d, e->code);
		if (!same(c.old.user_agent, c.cur.user_agent))
			c.what |= SW_DIFF_UA;
		if (!same(c.old.server, c.cur.server))
			c.what |= SW_DIFF_SERVER;
		if (!same(c.old.sip_code, c.cur.sip_code))
			c.what |= SW_DIFF_CODE;
		uint32_t na = amp_of(c.cur.amplification);
		if (e->amp) {
			snprintf(ob, sizeof(ob), "%.2f", (double)(e->amp - 1) / 100);
			c.old.amplification = sw_str_make(ob, strlen(ob));
		}
		if (e->amp && na) {
			uint64_t o = e->amp - 1, n = na - 1, delta = n > o ? n - o : o - n;
			if (delta * 100 > (uint64_t)d->pct * o)
				c.what |= SW_DIFF_AMP;
		} else if (!e->amp != !na) {
			c.what |= SW_DIFF_AMP;
		}
		if (!c.what) {
			d->st.unchanged++;
			return 0;
		}
		c.kind = SW_DIFF_CHANGED;
		d->st.changed++;
	}
	return d->w->change(d->out, &c) == 0 ? 0 : SW_E_IO;
}

int sw_diff_finish(struct sw_diff *d)
{
	for (uint64_t i = 0; i < d->ne; i++) {
		struct entry *e = at(d, i);
		if (e->state != ST_OLD)
			continue;
		d->st.gone++;
		char ip[48], port[8], amp[32];
		static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(e->addr, v4mapped, 12) == 0)
			inet_ntop(AF_INET, e->addr + 12, ip, sizeof(ip));
		else
			inet_ntop(AF_INET6, e->addr, ip, sizeof(ip));
		snprintf(port, sizeof(port), "%u", e->port);
		struct sw_diff_change c = {0};
		c.kind = SW_DIFF_GONE;
		c.ip = sw_str_make(ip, strlen(ip));
		c.port = sw_str_make(port, strlen(port));
		c.asn = str_of(d, e->asn);
		c.geo = str_of(d, e->geo);
		c.old.user_agent = str_of(d, e->ua);
		c.old.server = str_of(d, e->server);
		c.old.sip_code = str_of(d, e->code);
		if (e->amp) {
			snprintf(amp, sizeof(amp), "%.2f", (double)(e->amp - 1) / 100);
			c.old.amplification = sw_str_make(amp, strlen(amp));
		}
		if (d->w->change(d->out, &c) != 0)
			return SW_E_IO;
	}
	return d->w->end ? d->w->end(d->out, &d->st) : 0;
}

const struct sw_diff_stats *sw_diff_stats(const struct sw_diff *d)
{
	return &d->st;
}

/* --- writers ------------------------------------------------------------------------------ */

static const char *const kind_name[] = {"new", "gone", "changed"};

static void put(FILE *f, struct sw_str v, const char *none)
{
	if (!v.len) {
		fputs(none, f);
		return;
	}
	for (uint32_t i = 0; i < v.len; i++) {
		unsigned char ch = (unsigned char)v.p[i];
		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
	}
}

static struct sw_str product(const struct sw_diff_side *s)
{
	return s->server.len ? s->server : s->user_agent;
}

static int text_change(FILE *f, const struct sw_diff_change *c)
{
	static const char mark[] = {'+', '-', '~'};
	fprintf(f, "%c %-8s ", mark[c->kind], kind_name[c->kind]);
	int v6 = memchr(c->ip.p, ':', c->ip.len) != NULL;
	fputs(v6 ? "[" : "", f);
	put(f, c->ip, "?");
	fputs(v6 ? "]:" : ":", f);
	put(f, c->port, "?");
	fputs("  AS", f);
	put(f, c->asn, "?");
	fputc(' ', f);
	put(f, c->geo, "??");
	if (c->kind != SW_DIFF_CHANGED) {
		const struct sw_diff_side *s = c->kind == SW_DIFF_NEW ? &c->cur : &c->old;
		fputs("  amplification ", f);
		put(f, s->amplification, "?");
		fputs("  ", f);
		put(f, product(s), "(no Server or User-Agent)");
		fputc('\n', f);
		return ferror(f) ? SW_E_IO : 0;
	}
	const char *sep = "  ";
	struct {
		unsigned bit;
		const char *name;
		struct sw_str o, n;
	} parts[] = {
		{SW_DIFF_SERVER, "server", c->old.server, c->cur.server},
		{SW_DIFF_UA, "user_agent", c->old.user_agent, c->cur.user_agent},
		{SW_DIFF_CODE, "sip_code", c->old.sip_code, c->cur.sip_code},
		{SW_DIFF_AMP, "amplification", c->old.amplification, c->cur.amplification},
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!(c->what & parts[i].bit))
			continue;
		fprintf(f, "%s%s '", sep, parts[i].name);
		put(f, parts[i].o, "");
		fputs("' -> '", f);
		put(f, parts[i].n, "");
		fputc('\'', f);
		sep = "; ";
	}
	fputc('\n', f);
	return ferror(f) ? SW_E_IO : 0;
}

static int text_end(FILE *f, const struct sw_diff_stats *st)
{
	fprintf(f,
		"diff: %" PRIu64 " new, %" PRIu64 " gone, %" PRIu64 " changed, %" PRIu64
		" unchanged (old %" PRIu64 " rows, new %" PRIu64 " rows)\n",
		st->added, st->gone, st->changed, st->unchanged, st->old_rows, st->new_rows);
	return ferror(f) ? SW_E_IO : 0;
}

static const char *const csv_cols[] = {
	"change",
	"ip",
	"port",
	"asn",
	"geo",
	"changed",
	"old_user_agent",
	"new_user_agent",
	"old_server",
	"new_server",
	"old_sip_code",
	"new_sip_code",
	"old_amplification",
	"new_amplification",
};

static int csv_begin(FILE *f)
{
	struct sw_csv c;
	sw_csv_init(&c, f, 0);
	for (size_t i = 0; i < sizeof(csv_cols) / sizeof(csv_cols[0]); i++)
		sw_csv_quoted(&c, sw_str_make(csv_cols[i], strlen(csv_cols[i])));
	return sw_csv_end(&c);
}

static void what_list(unsigned what, char *b, size_t n)
{
	snprintf(b, n, "%s%s%s%s", what & SW_DIFF_SERVER ? "server " : "",
		 what & SW_DIFF_UA ? "user_agent " : "", what & SW_DIFF_CODE ? "sip_code " : "",
		 what & SW_DIFF_AMP ? "amplification " : "");
	size_t l = strlen(b);
	if (l)
		b[l - 1] = '\0';
}

static int csv_change(FILE *f, const struct sw_diff_change *c)
{
	struct sw_csv w;
	char what[64];
	what_list(c->what, what, sizeof(what));
	sw_csv_init(&w, f, SW_CSV_ONE_LINE | SW_CSV_UTF8);
	sw_csv_cstr(&w, kind_name[c->kind]);
	sw_csv_field(&w, c->ip);
	sw_csv_field(&w, c->port);
	sw_csv_field(&w, c->asn);
	sw_csv_field(&w, c->geo);
	sw_csv_cstr(&w, what);
	sw_csv_field(&w, c->old.user_agent);
	sw_csv_field(&w, c->cur.user_agent);
	sw_csv_field(&w, c->old.server);
	sw_csv_field(&w, c->cur.server);
	sw_csv_field(&w, c->old.sip_code);
	sw_csv_field(&w, c->cur.sip_code);
	sw_csv_field(&w, c->old.amplification);
	sw_csv_field(&w, c->cur.amplification);
	return sw_csv_end(&w);
}

static void json_side(struct sw_json *j, const char *key, const struct sw_diff_side *s, int present)
{
	if (!present) {
		sw_json_null(j, key);
		return;
	}
	sw_json_obj_open(j, key);
	sw_json_str(j, "user_agent", s->user_agent.len ? s->user_agent : SW_STR_NULL);
	sw_json_str(j, "server", s->server.len ? s->server : SW_STR_NULL);
	uint64_t n;
	if (sw_parse_u64(s->sip_code, &n) == 0)
		sw_json_int(j, "sip_code", (int64_t)n);
	else
		sw_json_str(j, "sip_code", s->sip_code.len ? s->sip_code : SW_STR_NULL);
	if (sw_parse_centi(s->amplification, &n) == 0) {
		char b[32];
		snprintf(b, sizeof(b), "%" PRIu64 ".%02" PRIu64, n / 100, n % 100);
		sw_json_number(j, "amplification", sw_str_make(b, strlen(b)));
	} else {
		sw_json_str(j, "amplification",
			    s->amplification.len ? s->amplification : SW_STR_NULL);
	}
	sw_json_obj_close(j);
}

static int json_change(FILE *f, const struct sw_diff_change *c)
{
	struct sw_json j;
	sw_json_init(&j, f);
	sw_json_obj_open(&j, NULL);
	sw_json_cstr(&j, "change", kind_name[c->kind]);
	sw_json_str(&j, "ip", c->ip);
	uint64_t n;
	if (sw_parse_u64(c->port, &n) == 0)
		sw_json_int(&j, "port", (int64_t)n);
	else
		sw_json_null(&j, "port");
	sw_json_str(&j, "asn", c->asn.len ? c->asn : SW_STR_NULL);
	sw_json_str(&j, "geo", c->geo.len ? c->geo : SW_STR_NULL);
	sw_json_arr_open(&j, "changed");
	if (c->what & SW_DIFF_SERVER)
		sw_json_cstr(&j, NULL, "server");
	if (c->what & SW_DIFF_UA)
		sw_json_cstr(&j, NULL, "user_agent");
	if (c->what & SW_DIFF_CODE)
		sw_json_cstr(&j, NULL, "sip_code");
	if (c->what & SW_DIFF_AMP)
		sw_json_cstr(&j, NULL, "amplification");
	sw_json_arr_close(&j);
	json_side(&j, "old", &c->old, c->kind != SW_DIFF_NEW);
	json_side(&j, "new", &c->cur, c->kind != SW_DIFF_GONE);
	sw_json_obj_close(&j);
	sw_json_eol(&j);
	return ferror(f) ? SW_E_IO : 0;
}

const struct sw_diff_writer sw_diff_text_writer = {"text", NULL, text_change, text_end};
const struct sw_diff_writer sw_diff_csv_writer = {"csv", csv_begin, csv_change, NULL};
const struct sw_diff_writer sw_diff_json_writer = {"json", NULL, json_change, NULL};
