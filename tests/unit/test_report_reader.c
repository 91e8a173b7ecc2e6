/*
 * The report reader (report/reader.h): the seed's sample rows, a Shadowserver-style file with
 * extra columns in another order, quoted commas and newlines, UTF-8 and CRLF, the same file
 * gzip-compressed (one member and two), our JSON Lines, and every kind of bad input: corrupt
 * and truncated gzip, a missing column, rows with the wrong field count, lines that are not JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "report/reader.h"
#include "testutil.h"

#define DATA(name) SW_TESTDATA "/report/" name

#define MAXROWS 16

struct got {
	unsigned n;
	uint64_t line[MAXROWS];
	uint32_t nfields[MAXROWS];
	char *col[MAXROWS][SW_SCAN_COL__COUNT]; /* NULL: absent */
	int absent[MAXROWS][SW_SCAN_COL__COUNT];
	char *last_field[MAXROWS];
};

static char *dup_view(struct sw_str v)
{
	char *s = malloc(v.len + 1);
	assert_non_null(s);
	if (v.len)
		memcpy(s, v.p, v.len);
	s[v.len] = '\0';
	return s;
}

static int collect(void *ctx, const struct sw_report_row *row)
{
	struct got *g = ctx;
	assert_true(g->n < MAXROWS);
	g->line[g->n] = row->line;
	g->nfields[g->n] = row->nfields;
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++) {
		g->absent[g->n][c] = row->col[c].p == NULL;
		g->col[g->n][c] = dup_view(row->col[c]);
	}
	g->last_field[g->n] = dup_view(row->field[row->nfields - 1]);
	g->n++;
	return 0;
}

static void got_free(struct got *g)
{
	for (unsigned i = 0; i < g->n; i++) {
		for (int c = 0; c < SW_SCAN_COL__COUNT; c++)
			free(g->col[i][c]);
		free(g->last_field[i]);
	}
	memset(g, 0, sizeof(*g));
}

/* Read a whole file; returns the run's code, rows in g, the error in err. */
static int read_all(const char *path, struct got *g, struct sw_report_read_stats *st, char *err,
		    size_t errlen)
{
	struct sw_report_reader *r;
	memset(g, 0, sizeof(*g));
	int rc = sw_report_reader_open(path, &r, err, errlen);
	if (rc)
		return rc;
	rc = sw_report_reader_run(r, collect, g, err, errlen);
	if (st)
		*st = *sw_report_reader_stats(r);
	sw_report_reader_free(r);
	return rc;
}

static void test_seed_sample(void **state)
{
	(void)state;
	struct got g;
	char err[256];
	assert_int_equal(read_all(DATA("seed_sample.csv"), &g, NULL, err, sizeof(err)), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.col[0][SW_SCAN_COL_TIMESTAMP], "2010-02-10 00:00:00");
	assert_string_equal(g.col[0][SW_SCAN_COL_IP], "192.168.0.1");
	assert_string_equal(g.col[0][SW_SCAN_COL_SIP_REASON], "Bad Request");
	assert_string_equal(g.col[0][SW_SCAN_COL_AMPLIFICATION], "3.57");
	assert_string_equal(g.col[1][SW_SCAN_COL_SECTOR],
			    "Communications, Service Provider, and Hosting Service");
	assert_string_equal(g.col[1][SW_SCAN_COL_HOSTNAME_SOURCE], "ptr");
	assert_string_equal(g.col[2][SW_SCAN_COL_RESPONSE_SIZE], "46");
	assert_int_equal(g.line[0], 2);
	assert_int_equal(g.line[2], 4);
	assert_int_equal(g.nfields[0], 30);
	got_free(&g);
}

static void check_extra(struct got *g)
{
	assert_int_equal(g->n, 4);
	assert_string_equal(g->col[0][SW_SCAN_COL_CITY], "M\xc3\xbcnchen");
	assert_string_equal(g->col[0][SW_SCAN_COL_SERVER], "Asterisk PBX 16.2.1~dfsg-1");
	assert_string_equal(g->col[0][SW_SCAN_COL_SIP_VIA],
			    "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1,SIP/2.0/UDP 10.0.0.1");
	assert_string_equal(g->col[0][SW_SCAN_COL_SECTOR],
			    "Communications, Service Provider, and Hosting Service");
	assert_string_equal(g->col[2][SW_SCAN_COL_SIP_CODE], "401");
	assert_string_equal(g->last_field[2], "line one\nline two, with comma");
	assert_string_equal(g->last_field[3], "say \"hi\"");
	assert_string_equal(g->col[3][SW_SCAN_COL_IP], "2001:db8::5");
	assert_string_equal(g->col[3][SW_SCAN_COL_CITY], "\xe6\x9d\xb1\xe4\xba\xac");
	assert_int_equal(g->nfields[0], 32);
	/* Row 3 spans lines 4 and 5 (a quoted newline), so row 4 starts on line 6. */
	assert_int_equal(g->line[0], 2);
	assert_int_equal(g->line[2], 4);
	assert_int_equal(g->line[3], 6);
}

static void test_shadowserver_extra_columns(void **state)
{
	(void)state;
	struct got g;
	char err[256];
	assert_int_equal(read_all(DATA("shadowserver_extra.csv"), &g, NULL, err, sizeof(err)), 0);
	check_extra(&g);
	got_free(&g);
	assert_int_equal(read_all(DATA("shadowserver_extra.csv.gz"), &g, NULL, err, sizeof(err)),
			 0);
	check_extra(&g);
	got_free(&g);
	assert_int_equal(read_all(DATA("two_members.csv.gz"), &g, NULL, err, sizeof(err)), 0);
	check_extra(&g);
	got_free(&g);
}

static void test_header_by_name(void **state)
{
	(void)state;
	struct sw_report_reader *r;
	char err[256];
	assert_int_equal(
		sw_report_reader_open(DATA("shadowserver_extra.csv"), &r, err, sizeof(err)), 0);
	assert_int_equal(sw_report_reader_format(r), SW_REPORT_CSV);
	assert_int_equal(sw_report_reader_ncols(r), 32);
	assert_view(sw_report_reader_colname(r, 12), "device_vendor");
	assert_true(sw_report_reader_has(r, SW_SCAN_COL_SIP_CODE));
	sw_report_reader_free(r);

	assert_int_equal(sw_report_reader_open(DATA("no_amplification.csv"), &r, err, sizeof(err)),
			 0);
	assert_false(sw_report_reader_has(r, SW_SCAN_COL_AMPLIFICATION));
	static const enum sw_scan_col need[] = {SW_SCAN_COL_IP, SW_SCAN_COL_AMPLIFICATION};
	assert_int_not_equal(sw_report_reader_need(r, need, 2, "summary", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "no_amplification.csv: line 1: no 'amplification' column"));
	sw_report_reader_free(r);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct got g;
	struct sw_report_read_stats st;
	char err[256];
	struct sw_report_reader *r;

	err[0] = '\0';
	int rc = sw_report_reader_open(DATA("corrupt.csv.gz"), &r, err, sizeof(err));
	if (rc == 0) {
		memset(&g, 0, sizeof(g));
		rc = sw_report_reader_run(r, collect, &g, err, sizeof(err));
		sw_report_reader_free(r);
		got_free(&g);
	}
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(err, "corrupt.csv.gz: line "));
	assert_non_null(strstr(err, "corrupt gzip data"));

	rc = read_all(DATA("truncated.csv.gz"), &g, NULL, err, sizeof(err));
	got_free(&g);
	assert_int_equal(rc, SW_E_TRUNCATED);
	assert_non_null(strstr(err, "gzip data ends early"));

	assert_int_equal(read_all(DATA("bad_rows.csv"), &g, &st, err, sizeof(err)), 0);
	assert_int_equal(g.n, 4); /* the short row is skipped, the others are handed on */
	assert_int_equal(st.bad_rows, 1);
	assert_int_equal(st.nbad, 1);
	assert_string_equal(st.bad[0], "line 4: 5 fields, the header has 30");
	got_free(&g);

	assert_int_equal(sw_report_reader_open(DATA("does-not-exist.csv"), &r, err, sizeof(err)),
			 SW_E_IO);
	assert_non_null(strstr(err, "does-not-exist.csv: cannot open"));
}

static void test_jsonl(void **state)
{
	(void)state;
	struct got g;
	struct sw_report_read_stats st;
	char err[256];
	assert_int_equal(read_all(DATA("scan.jsonl"), &g, &st, err, sizeof(err)), 0);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.col[0][SW_SCAN_COL_IP], "192.168.0.1");
	assert_string_equal(g.col[0][SW_SCAN_COL_PORT], "5060");
	assert_string_equal(g.col[0][SW_SCAN_COL_AMPLIFICATION], "3.57");
	assert_true(g.absent[0][SW_SCAN_COL_USER_AGENT]); /* null */
	assert_string_equal(g.col[1][SW_SCAN_COL_SECTOR],
			    "Communications, Service Provider, and Hosting Service");
	assert_string_equal(g.col[2][SW_SCAN_COL_SERVER], "Caf\xc3\xa9 \"PBX\" 2.1.0\nnext");
	assert_int_equal(g.line[2], 3);
	got_free(&g);

	assert_int_equal(read_all(DATA("scan_bad.jsonl"), &g, &st, err, sizeof(err)), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(st.bad_rows, 2);
	assert_string_equal(st.bad[0], "line 2: key expected at byte 21");
	assert_string_equal(st.bad[1], "line 4: not a JSON object at byte 1");
	got_free(&g);
}

/* A row callback's error stops the read and comes back as is. */
static int stop_at_two(void *ctx, const struct sw_report_row *row)
{
	(void)ctx;
	return row->n == 2 ? SW_E_IO : 0;
}

static void test_callback_stops(void **state)
{
	(void)state;
	struct sw_report_reader *r;
	char err[256];
	assert_int_equal(sw_report_reader_open(DATA("seed_sample.csv"), &r, err, sizeof(err)), 0);
	assert_int_equal(sw_report_reader_run(r, stop_at_two, NULL, err, sizeof(err)), SW_E_IO);
	assert_int_equal(sw_report_reader_stats(r)->rows, 2);
	sw_report_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_sample),
		cmocka_unit_test(test_shadowserver_extra_columns),
		cmocka_unit_test(test_header_by_name),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_callback_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
