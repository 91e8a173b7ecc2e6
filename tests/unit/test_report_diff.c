/*
 * report/diff.h: rows matched by (ip, port), IPv4 and IPv6; new, gone and changed by Server,
 * User-Agent, status code and amplification threshold; repeated keys and unusable ips counted;
 * gone rows in OLD's order with OLD's values.
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
#include "report/diff.h"
#include "testutil.h"

#define MAXCH 16

static struct {
	unsigned n;
	enum sw_diff_kind kind[MAXCH];
	unsigned what[MAXCH];
	char ip[MAXCH][48];
	char old_amp[MAXCH][16];
	char old_server[MAXCH][64];
} ch;

static void copy(char *dst, size_t size, struct sw_str v)
{
	size_t n = v.len < size - 1 ? v.len : size - 1;
	if (n)
		memcpy(dst, v.p, n);
	dst[n] = '\0';
}

static int record(FILE *f, const struct sw_diff_change *c)
{
	(void)f;
	assert_true(ch.n < MAXCH);
	ch.kind[ch.n] = c->kind;
	ch.what[ch.n] = c->what;
	copy(ch.ip[ch.n], sizeof(ch.ip[0]), c->ip);
	copy(ch.old_amp[ch.n], sizeof(ch.old_amp[0]), c->old.amplification);
	copy(ch.old_server[ch.n], sizeof(ch.old_server[0]), c->old.server);
	ch.n++;
	return 0;
}

static const struct sw_diff_writer rec_writer = {"record", NULL, record, NULL};

static struct sw_str S(const char *s) {
	return s ? sw_str_make(s, strlen(s)) : SW_STR_NULL;
}

static void
row(struct sw_diff *d, int old, const char *ip, const char *port, const char *server,
    const char *ua, const char *code, const char *amp)
{
	static uint64_t line;
	struct sw_report_row r;
	memset(&r, 0, sizeof(r));
	r.col[SW_SCAN_COL_IP] = S(ip);
	r.col[SW_SCAN_COL_PORT] = S(port);
	r.col[SW_SCAN_COL_SERVER] = S(server);
	r.col[SW_SCAN_COL_USER_AGENT] = S(ua);
	r.col[SW_SCAN_COL_SIP_CODE] = S(code);
	r.col[SW_SCAN_COL_AMPLIFICATION] = S(amp);
	r.line = ++line;
	assert_int_equal(old ? sw_diff_old_row(d, &r) : sw_diff_new_row(d, &r), 0);
}

static void test_diff(void **state)
{
	(void)state;
	struct sw_diff *d;
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(sw_diff_new(25, &rec_writer, NULL, &d), 0);
	row(d, 1, "192.0.2.1", "5060", "Asterisk PBX 16.2.1", NULL, "200", "61.43");
	row(d, 1, "192.0.2.2", "5060", "Asterisk PBX 18.15.0", NULL, "404", "12.10");
	row(d, 1, "192.0.2.3", "5060", NULL, "Grandstream", "401", "28.40");
	row(d, 1, "192.0.2.4", "5060", "kamailio", NULL, "200", "3.57");
	row(d, 1, "2001:db8::5", "5060", "FreeSWITCH", NULL, "200", "20.00");
	row(d, 1, "2001:db8::5", "5060", "FreeSWITCH", NULL, "200", "99.00"); /* repeat */
	row(d, 1, "not-an-ip", "5060", NULL, NULL, "200", "1.00");
	row(d, 1, "192.0.2.9", "5060", NULL, NULL, "200", "0"); /* port 5060 only in OLD */

	row(d, 0, "192.0.2.1", "5060", "Asterisk PBX 20.5.2", NULL, "200", "61.43");  /* server */
	row(d, 0, "192.0.2.2", "5060", "Asterisk PBX 18.15.0", NULL, "404", "15.00"); /* +24% */
	row(d, 0, "192.0.2.4", "5060", "kamailio", NULL, "403", "30.00");       /* code, amp */
	row(d, 0, "2001:DB8:0::5", "5060", "FreeSWITCH", NULL, "200", "20.00"); /* same key */
	row(d, 0, "192.0.2.9", "5062", NULL, NULL, "200", "0");                 /* other port */
	row(d, 0, "192.0.2.9", "5062", NULL, NULL, "200", "0");                 /* repeat */
	assert_int_equal(sw_diff_finish(d), 0);

	const struct sw_diff_stats *st = sw_diff_stats(d);
	assert_int_equal(st->changed, 2);
	assert_int_equal(st->unchanged, 2);
	assert_int_equal(st->added, 1);
	assert_int_equal(st->gone, 2);
	assert_int_equal(st->dup_old, 1);
	assert_int_equal(st->dup_new, 1);
	assert_int_equal(st->badkey_old, 1);
	assert_non_null(strstr(st->first_problem, "line 7: ip is not an address"));

	assert_int_equal(ch.n, 5);
	assert_int_equal(ch.kind[0], SW_DIFF_CHANGED);
	assert_int_equal(ch.what[0], SW_DIFF_SERVER);
	assert_string_equal(ch.old_server[0], "Asterisk PBX 16.2.1");
	assert_int_equal(ch.kind[1], SW_DIFF_CHANGED);
	assert_int_equal(ch.what[1], SW_DIFF_CODE | SW_DIFF_AMP);
	assert_string_equal(ch.old_amp[1], "3.57");
	assert_int_equal(ch.kind[2], SW_DIFF_NEW);
	assert_string_equal(ch.ip[2], "192.0.2.9");
	/* Gone, in OLD's order, with OLD's values. */
	assert_int_equal(ch.kind[3], SW_DIFF_GONE);
	assert_string_equal(ch.ip[3], "192.0.2.3");
	assert_string_equal(ch.old_amp[3], "28.40");
	assert_int_equal(ch.kind[4], SW_DIFF_GONE);
	assert_string_equal(ch.ip[4], "192.0.2.9");
	sw_diff_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
