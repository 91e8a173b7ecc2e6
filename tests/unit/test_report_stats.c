/*
 * The report's counting blocks: exact amplification quantiles (report/stats.h) against the
 * type-7 rule computed by hand, number parsing, the value counter (report/counter.h) with its
 * cap, the address set (report/addrset.h), and product folding (report/normalise.h). The
 * parsers read guard-page buffers: a read past the end faults.
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
#include "report/addrset.h"
#include "report/counter.h"
#include "report/normalise.h"
#include "report/stats.h"
#include "testutil.h"

static int centi(const char *s, uint64_t *v)
{
	size_t n = strlen(s);
	char *g = tu_guard_copy(s, n);
	int rc = sw_parse_centi(sw_str_make(g, n), v);
	tu_guard_free(g, n);
	return rc;
}

static void test_parse_centi(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(centi("3.57", &v), 0);
	assert_int_equal(v, 357);
	assert_int_equal(centi("12", &v), 0);
	assert_int_equal(v, 1200);
	assert_int_equal(centi("12.1", &v), 0);
	assert_int_equal(v, 1210);
	assert_int_equal(centi("0.005", &v), 0); /* half up */
	assert_int_equal(v, 1);
	assert_int_equal(centi(".5", &v), 0);
	assert_int_equal(v, 50);
	assert_int_equal(centi("9285.71", &v), 0);
	assert_int_equal(v, 928571);
	assert_int_equal(centi("", &v), SW_E_SYNTAX);
	assert_int_equal(centi("-1", &v), SW_E_SYNTAX);
	assert_int_equal(centi("1e3", &v), SW_E_SYNTAX);
	assert_int_equal(centi("1.", &v), SW_E_SYNTAX);
	assert_int_equal(centi("lots", &v), SW_E_SYNTAX);
	assert_int_equal(centi("1234567890123456", &v), SW_E_RANGE);
}

/* Type 7 by hand over a sorted array of centis. */
static double q7(const uint64_t *x, size_t n, double p)
{
	double h = p * (double)(n - 1);
	size_t k = (size_t)h;
	double f = h - (double)k;
	return (double)x[k] + (k + 1 < n ? f * (double)(x[k + 1] - x[k]) : 0);
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void test_quantiles_exact(void **state)
{
	(void)state;
	struct sw_amp a;
	assert_int_equal(sw_amp_init(&a), 0);
	/* The seed's sample: 3.57, 12.14, 6.57: median 6.57, mean 7.43. */
	sw_amp_add(&a, 357);
	sw_amp_add(&a, 1214);
	sw_amp_add(&a, 657);
	sw_amp_finish(&a);
	assert_true(sw_amp_quantile(&a, 0.5) == 657);
	assert_int_equal(a.sum, 2228);
	sw_amp_add(&a, 2000); /* even count: the mean of the two middle values */
	sw_amp_finish(&a);
	assert_true(sw_amp_quantile(&a, 0.5) == (657 + 1214) / 2.0);
	sw_amp_free(&a);

	/* Random values, some above the direct range, against a sorted copy. */
	enum { N = 5001 };
	uint64_t *x = malloc(N * sizeof(*x));
	assert_non_null(x);
	assert_int_equal(sw_amp_init(&a), 0);
	uint64_t s = 12345;
	for (size_t i = 0; i < N; i++) {
		s = s * 6364136223846793005u + 1442695040888963407u;
		x[i] = (s >> 33) % (i % 7 == 0 ? 5000000 : 20000);
		sw_amp_add(&a, x[i]);
	}
	qsort(x, N, sizeof(*x), cmp);
	sw_amp_finish(&a);
	static const double ps[] = {0, 0.1, 0.5, 0.9, 0.99, 0.999, 1};
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		double want = q7(x, N, ps[i]), got = sw_amp_quantile(&a, ps[i]);
		assert_true(got > want - 1e-6 && got < want + 1e-6);
	}
	assert_int_equal(a.max, x[N - 1]);
	uint64_t bins[SW_AMP_HIST_BINS], total = 0;
	sw_amp_hist(&a, bins);
	for (unsigned i = 0; i < SW_AMP_HIST_BINS; i++)
		total += bins[i];
	assert_int_equal(total, N);
	free(x);
	sw_amp_free(&a);
}

static void test_counter(void **state)
{
	(void)state;
	struct sw_counter *c;
	assert_int_equal(sw_counter_new(3, &c), 0);
	assert_int_equal(sw_counter_add(c, SW_STR_LIT("b"), 2), 0);
	assert_int_equal(sw_counter_add(c, SW_STR_LIT("a"), 2), 0);
	assert_int_equal(sw_counter_add(c, SW_STR_LIT("c"), 5), 0);
	assert_int_equal(sw_counter_add(c, SW_STR_LIT("d"), 1), SW_E_LIMIT); /* over the cap */
	assert_int_equal(sw_counter_add(c, SW_STR_LIT("a"), 1), 0);
	const struct sw_count *e;
	assert_int_equal(sw_counter_sorted(c, &e), 3);
	assert_view(e[0].key, "c");
	assert_view(e[1].key, "a");
	assert_int_equal(e[1].n, 3);
	assert_view(e[2].key, "b");
	assert_int_equal(sw_counter_other(c), 1);
	assert_int_equal(sw_counter_total(c), 11);
	sw_counter_free(c);

	/* Growth past many slots keeps every key. */
	assert_int_equal(sw_counter_new(100000, &c), 0);
	char k[16];
	for (int i = 0; i < 50000; i++) {
		int n = snprintf(k, sizeof(k), "k%d", i % 20000);
		assert_int_equal(sw_counter_add(c, sw_str_make(k, (size_t)n), 1), 0);
	}
	assert_int_equal(sw_counter_size(c), 20000);
	uint32_t id;
	assert_int_equal(sw_counter_intern(c, SW_STR_LIT("k7"), &id), 0);
	assert_int_equal(sw_counter_get(c, id).n, 3);
	sw_counter_free(c);
}

static int addr(const char *s, uint8_t a[16])
{
	size_t n = strlen(s);
	char *g = tu_guard_copy(s, n);
	int fam = sw_report_addr_parse(sw_str_make(g, n), a);
	tu_guard_free(g, n);
	return fam;
}

static void test_addrset(void **state)
{
	(void)state;
	uint8_t a[16];
	assert_int_equal(addr("192.0.2.1", a), 4);
	assert_int_equal(a[0], 192);
	assert_int_equal(a[3], 1);
	assert_int_equal(addr("0.0.0.0", a), 4);
	assert_int_equal(addr("2001:db8::5", a), 6);
	assert_int_equal(addr("256.1.1.1", a), 0);
	assert_int_equal(addr("1.2.3", a), 0);
	assert_int_equal(addr("1.2.3.4.5", a), 0);
	assert_int_equal(addr("not-an-ip", a), 0);
	assert_int_equal(addr("", a), 0);

	struct sw_addrset *s;
	assert_int_equal(sw_addrset_new(100000, &s), 0);
	for (uint32_t i = 0; i < 30000; i++) {
		uint8_t b[16] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
				 (uint8_t)i};
		assert_int_equal(sw_addrset_add(s, 4, b), 1);
		assert_int_equal(sw_addrset_add(s, 4, b), 0);
	}
	assert_int_equal(addr("2001:db8::5", a), 6);
	assert_int_equal(sw_addrset_add(s, 6, a), 1);
	assert_int_equal(sw_addrset_add(s, 6, a), 0);
	assert_int_equal(sw_addrset_count(s), 30001);
	sw_addrset_free(s);

	assert_int_equal(sw_addrset_new(2, &s), 0);
	assert_int_equal(addr("192.0.2.1", a), 4);
	assert_int_equal(sw_addrset_add(s, 4, a), 1);
	assert_int_equal(addr("192.0.2.2", a), 4);
	assert_int_equal(sw_addrset_add(s, 4, a), 1);
	assert_int_equal(addr("192.0.2.3", a), 4);
	assert_int_equal(sw_addrset_add(s, 4, a), SW_E_LIMIT);
	assert_true(sw_addrset_full(s));
	sw_addrset_free(s);
}

static void fold_eq(const char *in, const char *want)
{
	size_t n = strlen(in);
	char *g = tu_guard_copy(in, n);
	char out[256];
	size_t k = sw_product_fold(sw_str_make(g, n), out);
	tu_guard_free(g, n);
	out[k] = '\0';
	assert_string_equal(out, want);
}

static void test_fold(void **state)
{
	(void)state;
	fold_eq("Asterisk PBX 16.2.1~dfsg-1", "Asterisk PBX *");
	fold_eq("Asterisk PBX 18.15.0", "Asterisk PBX *");
	fold_eq("FPBX-16.0.40.7(18.20.1)", "FPBX-*(*)");
	fold_eq("kamailio (5.6.3 (x86_64/linux))", "kamailio (* (x86_64/linux))");
	fold_eq("FreeSWITCH-mod_sofia/1.10.7-release~64bit", "FreeSWITCH-mod_sofia/*");
	fold_eq("Grandstream GXP2160 1.0.11.23", "Grandstream GXP2160 *");
	fold_eq("Yealink SIP-T46S 66.86.0.15", "Yealink SIP-T46S *");
	fold_eq("sipcli/v1.8", "sipcli/*");
	fold_eq("Linksys/SPA942-6.1.5(a)", "Linksys/SPA942-*(a)");
	fold_eq("friendly-scanner", "friendly-scanner");
	fold_eq("Cisco-SIPGateway/IOS-12.x", "Cisco-SIPGateway/IOS-12.x");
	fold_eq("  two   spaces  ", "two spaces");
	fold_eq("1.2", "*");
	fold_eq("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_centi), cmocka_unit_test(test_quantiles_exact),
		cmocka_unit_test(test_counter),     cmocka_unit_test(test_addrset),
		cmocka_unit_test(test_fold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
