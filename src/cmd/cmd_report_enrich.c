/*
 * sipwarden report enrich IN OUT: fill the eight enrichment columns of an existing scan_sip file
 * (hostname, hostname_source, asn, geo, region, city, naics, sector) through out/enrich.h.
 *
 * Rows stream through a window in input order: each row is copied into a slot and its lookup
 * started; when the window is full the oldest row is written as soon as its lookup is complete
 * (PTR answers arrive in any order; the mmdb and mapping lookups are complete at once). So
 * memory is the window, not the file, and the output has the input's rows in the input's order.
 *
 * Output: our CSV (out/csv.h with SW_CSV_ONE_LINE | SW_CSV_UTF8, as the scan writes): every
 * input column in the input's order, header names in double quotes; enrichment columns the
 * input lacks are appended. A column whose source is not in use (no --asn-db: asn) keeps the
 * input's value; one whose source is in use gets the lookup's value, empty when it found none.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_report.h"
#include "core/err.h"
#include "out/csv.h"
#include "out/enrich.h"

#define WINDOW 1024

static const enum sw_scan_col enrich_cols[] = {
	SW_SCAN_COL_HOSTNAME, SW_SCAN_COL_HOSTNAME_SOURCE, SW_SCAN_COL_ASN,
	SW_SCAN_COL_GEO,      SW_SCAN_COL_REGION,          SW_SCAN_COL_CITY,
	SW_SCAN_COL_NAICS,    SW_SCAN_COL_SECTOR,
};
#define NENRICH (sizeof(enrich_cols) / sizeof(enrich_cols[0]))

struct slot {
	struct sw_enrich_result res;
	int looked_up; /* 0: the ip is not an address, the row is written as it was */
	uint32_t nfields;
	uint32_t *len;
	char *buf;
	size_t cap;
	struct sw_str *view;
};

struct enrich_run {
	struct sw_enrich *e;
	unsigned sources;
	FILE *out;
	const char *out_path;
	struct slot *w;
	uint64_t head, tail; /* rows started / written */
	uint32_t ncols;
	int32_t colpos[SW_SCAN_COL__COUNT]; /* input column of each enrichment column, -1 */
	uint64_t rows, badip;
	char first_badip[160];
	const char *in_path;
};

static void warn(void *ctx, const char *msg)
{
	if (!*(const int *)ctx)
		report_err("enrich", "warning: %s", msg);
}

/* The value of enrichment column c for a written row. */
static struct sw_str enriched(const struct enrich_run *x, const struct slot *s, enum sw_scan_col c,
			      struct sw_str input)
{
	if (!s->looked_up || !(x->sources & sw_enrich_col_source(c)))
		return input;
	return sw_enrich_col(&s->res, c);
}

static int write_slot(struct enrich_run *x, struct slot *s)
{
	struct sw_csv c;
	sw_csv_init(&c, x->out, SW_CSV_ONE_LINE | SW_CSV_UTF8);
	for (uint32_t i = 0; i < x->ncols; i++) {
		struct sw_str v = i < s->nfields ? s->view[i] : SW_STR_NULL;
		for (size_t k = 0; k < NENRICH; k++)
			if (x->colpos[enrich_cols[k]] == (int32_t)i)
				v = enriched(x, s, enrich_cols[k], v);
		sw_csv_field(&c, v);
	}
	for (size_t k = 0; k < NENRICH; k++)
		if (x->colpos[enrich_cols[k]] < 0)
			sw_csv_field(&c, enriched(x, s, enrich_cols[k], SW_STR_NULL));
	return sw_csv_end(&c);
}

/* Write the oldest rows whose lookups are complete; with wait, wait for the oldest one. */
static int drain(struct enrich_run *x, int wait)
{
	while (x->tail < x->head) {
		struct slot *s = &x->w[x->tail % WINDOW];
		if (s->looked_up && !s->res.complete) {
			if (!wait)
				return 0;
			sw_enrich_run(x->e, 100);
			continue;
		}
		if (write_slot(x, s) != 0)
			return SW_E_IO;
		x->tail++;
	}
	return 0;
}

static int on_row(void *ctx, const struct sw_report_row *row)
{
	struct enrich_run *x = ctx;
	if (x->head - x->tail == WINDOW) {
		int rc = drain(x, 0);
		while (!rc && x->head - x->tail == WINDOW) {
			sw_enrich_run(x->e, 100);
			rc = drain(x, 0);
		}
		if (rc)
			return rc;
	}
	struct slot *s = &x->w[x->head % WINDOW];
	size_t total = 0;
	for (uint32_t i = 0; i < row->nfields; i++)
		total += row->field[i].len;
	if (total > s->cap) {
		char *nb = realloc(s->buf, total);
		if (!nb)
			return SW_E_NOMEM;
		s->buf = nb;
		s->cap = total;
	}
	if (!s->view || row->nfields > s->nfields) {
		struct sw_str *nv = realloc(s->view, row->nfields * sizeof(*nv));
		if (!nv)
			return SW_E_NOMEM;
		s->view = nv;
	}
	size_t off = 0;
	for (uint32_t i = 0; i < row->nfields; i++) {
		if (row->field[i].len)
			memcpy(s->buf + off, row->field[i].p, row->field[i].len);
		s->view[i] = sw_str_make(s->buf + off, row->field[i].len);
		off += row->field[i].len;
	}
	s->nfields = row->nfields;
	memset(&s->res, 0, sizeof(s->res));
	struct sw_endpoint ep;
	struct sw_str ip = row->col[SW_SCAN_COL_IP];
	s->looked_up = ip.len && sw_enrich_parse_addr(ip.p, ip.len, &ep) == 0;
	if (!s->looked_up && !x->badip++)
		snprintf(x->first_badip, sizeof(x->first_badip), "%s: line %" PRIu64, x->in_path,
			 row->line);
	x->head++;
	x->rows++;
	if (s->looked_up)
		sw_enrich_start(x->e, &ep, &s->res, NULL, NULL);
	return drain(x, 0);
}

int report_run_enrich(struct report_args *a, int nfiles, char **files)
{
	(void)nfiles;
	char err[512];
	struct sw_report_reader *r = NULL;
	struct enrich_run x = {0};
	int status = SW_EXIT_USAGE;
	static const enum sw_scan_col need[] = {SW_SCAN_COL_IP};
	if (sw_report_reader_open(files[0], &r, err, sizeof(err)) != 0 ||
	    sw_report_reader_need(r, need, 1, "enrich", err, sizeof(err)) != 0) {
		report_err("enrich", "%s", err);
		goto out;
	}
	a->enrich.warn = warn;
	a->enrich.warn_ctx = &a->quiet;
	if (sw_enrich_new(&a->enrich, &x.e, err, sizeof(err)) != 0) {
		report_err("enrich", "%s", err);
		goto out;
	}
	x.sources = sw_enrich_sources(x.e);
	x.w = calloc(WINDOW, sizeof(*x.w));
	if (!x.w) {
		report_err("enrich", "out of memory");
		goto out;
	}
	x.in_path = files[0];
	x.out_path = files[1];
	x.out = report_open_out("enrich", files[1], "w");
	if (!x.out)
		goto out;
	x.ncols = sw_report_reader_ncols(r);
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++)
		x.colpos[c] = -1;
	for (uint32_t i = 0; i < x.ncols; i++) {
		struct sw_str n = sw_report_reader_colname(r, i);
		for (size_t k = 0; k < NENRICH; k++)
			if (x.colpos[enrich_cols[k]] < 0 &&
			    sw_str_ieq(n, sw_scan_col_name(enrich_cols[k])))
				x.colpos[enrich_cols[k]] = (int32_t)i;
	}
	struct sw_csv c;
	sw_csv_init(&c, x.out, SW_CSV_ONE_LINE | SW_CSV_UTF8);
	for (uint32_t i = 0; i < x.ncols; i++)
		sw_csv_quoted(&c, sw_report_reader_colname(r, i));
	for (size_t k = 0; k < NENRICH; k++)
		if (x.colpos[enrich_cols[k]] < 0) {
			const char *nm = sw_scan_col_name(enrich_cols[k]);
			sw_csv_quoted(&c, sw_str_make(nm, strlen(nm)));
		}
	sw_csv_end(&c);
	status = SW_EXIT_OK;
	err[0] = '\0';
	int rc = sw_report_reader_run(r, on_row, &x, err, sizeof(err));
	if (rc == SW_E_IO && !err[0]) {
		report_err("enrich", "%s: write error", files[1]);
		status = SW_EXIT_USAGE;
	} else if (rc == SW_E_NOMEM && !err[0]) {
		report_err("enrich", "out of memory");
		status = SW_EXIT_USAGE;
	} else if (rc) {
		report_err("enrich", "%s", err);
		status = SW_EXIT_PROBLEMS;
	}
	if (status != SW_EXIT_USAGE) {
		sw_enrich_run(x.e, -1);
		if (drain(&x, 1) != 0) {
			report_err("enrich", "%s: write error", files[1]);
			status = SW_EXIT_USAGE;
		}
	}
	if (sw_report_reader_stats(r)->bad_rows) {
		report_note_bad("enrich", r, a->quiet);
		if (status == SW_EXIT_OK)
			status = SW_EXIT_PROBLEMS;
	}
	if (x.badip) {
		report_err("enrich",
			   "%" PRIu64
			   " rows have an ip that is not an address (written unchanged); "
			   "first: %s",
			   x.badip, x.first_badip);
		if (status == SW_EXIT_OK)
			status = SW_EXIT_PROBLEMS;
	}
	if (!a->quiet)
		fprintf(stderr, "sipwarden report enrich: %" PRIu64 " rows written to %s\n", x.rows,
			strcmp(files[1], "-") ? files[1] : "standard output");
out:
	sw_enrich_free(x.e); /* completes what is pending before the window goes */
	if (x.out) {
		int cs = report_close_out("enrich", files[1], x.out);
		if (cs)
			status = cs;
	}
	if (x.w)
		for (size_t i = 0; i < WINDOW; i++) {
			free(x.w[i].buf);
			free(x.w[i].view);
		}
	free(x.w);
	sw_report_reader_free(r);
	return status;
}
