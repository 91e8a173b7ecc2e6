/*
 * Tests of the scan order (scan/permute): every index of [0, n) exactly once for many n, the same
 * seed the same order and other seeds other orders, shards disjoint and complete, consecutive
 * indices of an IPv4-sized space spread over the whole space, and the errors of init and of the
 * --shard parser. Walks are checked against a bitmap here, which is what the module avoids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "scan/permute.h"

struct bitmap {
	uint64_t *w;
	uint64_t n;
};

static void bm_init(struct bitmap *b, uint64_t n)
{
	b->n = n;
	b->w = calloc((size_t)(n / 64 + 1), sizeof(uint64_t));
	assert_non_null(b->w);
}

/* Set bit i; fails the test if it was set already (an index yielded twice). */
static void bm_set_new(struct bitmap *b, uint64_t i)
{
	assert_true(i < b->n);
	assert_false(b->w[i / 64] >> (i % 64) & 1);
	b->w[i / 64] |= 1ULL << (i % 64);
}

static bool bm_full(const struct bitmap *b)
{
	for (uint64_t i = 0; i < b->n; i++)
		if (!(b->w[i / 64] >> (i % 64) & 1))
			return false;
	return true;
}

/* Walk one shard into b; returns how many indices it yielded, checked against its bounds. */
static uint64_t walk_shard(struct bitmap *b, uint64_t n, uint64_t seed, uint32_t shard,
			   uint32_t nshards)
{
	struct sw_permute pm;
	uint64_t idx, count = 0, lo, hi, hint;

	assert_int_equal(sw_permute_init(&pm, n, seed, shard, nshards), 0);
	sw_permute_count_bounds(&pm, &lo, &hi);
	hint = sw_permute_count_hint(&pm);
	while (sw_permute_next(&pm, &idx)) {
		bm_set_new(b, idx);
		count++;
	}
	assert_true(lo <= count && count <= hi);
	assert_true(lo <= hint && hint <= hi);
	if (nshards == 1)
		assert_true(hint == n && count == n);
	return count;
}

static void test_bijection(void **state)
{
	/* Tiny spaces, powers of two and their neighbours, primes and prime +- 1. */
	static const uint64_t ns[] = {1,     2,      3,      4,      5,       7,
				      8,     100,    255,    256,    257,     65520,
				      65521, 65522,  65535,  65536,  65537,   65538,
				      99991, 999982, 999983, 999984, 1000000, 1048576};
	(void)state;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (uint64_t seed = 0; seed < 3; seed++) {
			struct bitmap b;

			bm_init(&b, ns[i]);
			assert_true(walk_shard(&b, ns[i], seed * 7919, 1, 1) == ns[i]);
			assert_true(bm_full(&b));
			free(b.w);
		}
	}
}

/* The first count indices of a walk. */
static void first_indices(uint64_t n, uint64_t seed, uint32_t shard, uint32_t nshards,
			  uint64_t *out, size_t count)
{
	struct sw_permute pm;

	assert_int_equal(sw_permute_init(&pm, n, seed, shard, nshards), 0);
	for (size_t i = 0; i < count; i++)
		assert_int_equal(sw_permute_next(&pm, &out[i]), 1);
}

static void test_same_seed_same_order(void **state)
{
	static uint64_t a[100000], b[100000];
	(void)state;

	first_indices(100000, 42, 1, 1, a, 100000);
	first_indices(100000, 42, 1, 1, b, 100000);
	assert_memory_equal(a, b, sizeof(a));
	first_indices(1ULL << 40, 7, 3, 5, a, 1000);
	first_indices(1ULL << 40, 7, 3, 5, b, 1000);
	assert_memory_equal(a, b, 1000 * sizeof(a[0]));
}

static void test_seeds_differ(void **state)
{
	enum { NSEEDS = 20, LEN = 64 };
	static uint64_t seq[NSEEDS][LEN];
	static const uint64_t ns[] = {1000, 1000000, 1ULL << 32, 1ULL << 48};
	(void)state;

	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		for (uint64_t s = 0; s < NSEEDS; s++)
			first_indices(ns[k], s, 1, 1, seq[s], LEN);
		for (int s = 0; s < NSEEDS; s++)
			for (int t = s + 1; t < NSEEDS; t++)
				assert_true(memcmp(seq[s], seq[t], sizeof(seq[s])) != 0);
	}
	/* Neighbouring seeds differ from the start, not only later on. */
	first_indices(1ULL << 32, 1, 1, 1, seq[0], 2);
	first_indices(1ULL << 32, 2, 1, 1, seq[1], 2);
	assert_true(seq[0][0] != seq[1][0] || seq[0][1] != seq[1][1]);
}

static void test_shards(void **state)
{
	static const struct {
		uint64_t n;
		uint32_t nshards;
	} cases[] = {{1, 1},      {1, 4},       {2, 3},       {10, 3},         {1000, 7},
		     {1000, 999}, {1000, 1000}, {1000, 1001}, {1000, 65535},   {65536, 256},
		     {65537, 2},  {100000, 16}, {999983, 9},  {1000000, 65535}};
	(void)state;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (uint64_t seed = 1; seed <= 2; seed++) {
			struct bitmap b;
			uint64_t total = 0;

			bm_init(&b, cases[c].n);
			for (uint32_t i = 1; i <= cases[c].nshards; i++)
				total += walk_shard(&b, cases[c].n, seed, i, cases[c].nshards);
			assert_true(total == cases[c].n);
			assert_true(bm_full(&b));
			free(b.w);
		}
	}
}

/* Shards of a big space share the work evenly: the hint is within a few of n / nshards. */
static void test_shard_hint(void **state)
{
	struct sw_permute pm;
	uint64_t sum = 0, lo, hi;
	(void)state;

	for (uint32_t i = 1; i <= 8; i++) {
		uint64_t h;

		assert_int_equal(sw_permute_init(&pm, 1ULL << 32, 9, i, 8), 0);
		h = sw_permute_count_hint(&pm);
		sw_permute_count_bounds(&pm, &lo, &hi);
		assert_true(hi - lo < 1000);
		assert_true(h >= (1ULL << 29) - 1000 && h <= (1ULL << 29) + 1000);
		sum += h;
	}
	assert_true(sum >= (1ULL << 32) - 1000 && sum <= (1ULL << 32) + 1000);
}

/*
 * The order an IPv4 sweep goes out in: no two consecutive probes into one /24, the first thousand
 * in nearly as many /24s, spread over the /8s, and their mean near the middle of the space.
 */
static void test_spread(void **state)
{
	static const uint64_t seeds[] = {0, 1, 2, 42, 0xdeadbeef, UINT64_MAX};
	enum { LEN = 1000 };
	uint64_t idx[LEN];
	(void)state;

	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		bool slash8[256] = {false};
		unsigned distinct8 = 0, distinct24 = 0;
		double mean = 0;

		first_indices(1ULL << 32, seeds[s], 1, 1, idx, LEN);
		for (int i = 0; i < LEN; i++) {
			bool dup = false;

			if (i > 0)
				assert_true(idx[i] >> 8 != idx[i - 1] >> 8);
			for (int j = 0; j < i && !dup; j++)
				dup = idx[i] >> 8 == idx[j] >> 8;
			distinct24 += !dup;
			if (!slash8[idx[i] >> 24]) {
				slash8[idx[i] >> 24] = true;
				distinct8++;
			}
			mean += (double)idx[i] / (double)(1ULL << 32) / LEN;
		}
		/* 1000 draws from 256 /8s hit about 251; from 2^24 /24s almost always 1000. */
		assert_true(distinct8 >= 235);
		assert_true(distinct24 >= 995);
		assert_true(mean > 0.45 && mean < 0.55);
	}
}

/* The largest space: the walk starts at once and stays in range. */
static void test_max_n(void **state)
{
	enum { LEN = 20000 };
	static uint64_t idx[LEN];
	struct sw_permute pm;
	(void)state;

	assert_int_equal(sw_permute_init(&pm, SW_PERMUTE_MAX_N, 5, 1, 1), 0);
	assert_true(sw_permute_count_hint(&pm) == SW_PERMUTE_MAX_N);
	first_indices(SW_PERMUTE_MAX_N, 5, 65535, 65535, idx, LEN);
	for (int i = 0; i < LEN; i++) {
		assert_true(idx[i] < SW_PERMUTE_MAX_N);
		for (int j = i - 50 > 0 ? i - 50 : 0; j < i; j++)
			assert_true(idx[i] != idx[j]);
	}
}

/* A finished walk keeps saying so and leaves the out-parameter alone. */
static void test_done(void **state)
{
	struct sw_permute pm;
	uint64_t idx = 77;
	(void)state;

	assert_int_equal(sw_permute_init(&pm, 1, 0, 1, 1), 0);
	assert_int_equal(sw_permute_next(&pm, &idx), 1);
	assert_true(idx == 0);
	idx = 77;
	for (int i = 0; i < 3; i++)
		assert_int_equal(sw_permute_next(&pm, &idx), 0);
	assert_true(idx == 77);
	/* A shard beyond the cycle's length gets nothing. */
	assert_int_equal(sw_permute_init(&pm, 1, 0, 3, 4), 0);
	assert_int_equal(sw_permute_next(&pm, &idx), 0);
	assert_true(sw_permute_count_hint(&pm) == 0);
}

static void test_init_errors(void **state)
{
	struct sw_permute pm, before;
	(void)state;

	assert_int_equal(sw_permute_init(NULL, 10, 0, 1, 1), SW_E_INVAL);
	memset(&pm, 0xa5, sizeof(pm));
	before = pm;
	assert_int_equal(sw_permute_init(&pm, 0, 0, 1, 1), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, SW_PERMUTE_MAX_N + 1, 0, 1, 1), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, UINT64_MAX, 0, 1, 1), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, 10, 0, 0, 4), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, 10, 0, 5, 4), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, 10, 0, 1, 0), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, 10, 0, 0, 0), SW_E_RANGE);
	assert_int_equal(sw_permute_init(&pm, 10, 0, 1, SW_SHARD_MAX + 1), SW_E_RANGE);
	assert_memory_equal(&pm, &before, sizeof(pm));
}

static void test_shard_parse_ok(void **state)
{
	static const struct {
		const char *s;
		uint32_t i, n;
	} ok[] = {{"3/8", 3, 8}, {"1/1", 1, 1}, {"65535/65535", 65535, 65535}, {"007/010", 7, 10}};
	char err[128];
	(void)state;

	for (size_t k = 0; k < sizeof(ok) / sizeof(ok[0]); k++) {
		uint32_t i = 0, n = 0;

		assert_int_equal(sw_shard_parse(ok[k].s, &i, &n, err, sizeof(err)), 0);
		assert_int_equal(i, ok[k].i);
		assert_int_equal(n, ok[k].n);
	}
}

static void test_shard_parse_errors(void **state)
{
	static const struct {
		const char *s;
		int rc;
		const char *msg;
	} bad[] = {
		{"3/2", SW_E_RANGE, "shard '3/2': I must be between 1 and N (2)"},
		{"0/4", SW_E_RANGE,
		 "shard '0/4': I must be between 1 and N (4); shards count from 1"},
		{"x/y", SW_E_SYNTAX, "shard 'x/y': expected I/N, two whole numbers such as 3/8"},
		{"1/0", SW_E_RANGE, "shard '1/0': N must be between 1 and 65535"},
		{"0/0", SW_E_RANGE, "shard '0/0': N must be between 1 and 65535"},
		{"1/65536", SW_E_RANGE, "shard '1/65536': N must be between 1 and 65535"},
		{"99999999999999999999/3", SW_E_RANGE, "I must be between 1 and N (3)"},
		{"", SW_E_SYNTAX, "shard '': expected I/N"},
		{"3", SW_E_SYNTAX, "expected I/N"},
		{"3/", SW_E_SYNTAX, "expected I/N"},
		{"/3", SW_E_SYNTAX, "expected I/N"},
		{"3/8 ", SW_E_SYNTAX, "expected I/N"},
		{" 3/8", SW_E_SYNTAX, "expected I/N"},
		{"+3/8", SW_E_SYNTAX, "expected I/N"},
		{"-1/4", SW_E_SYNTAX, "expected I/N"},
		{"3/8/9", SW_E_SYNTAX, "expected I/N"},
		{"3:8", SW_E_SYNTAX, "expected I/N"},
	};
	char err[128];
	(void)state;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		uint32_t i = 11, n = 22;

		err[0] = '\0';
		assert_int_equal(sw_shard_parse(bad[k].s, &i, &n, err, sizeof(err)), bad[k].rc);
		if (!strstr(err, bad[k].msg))
			fail_msg("'%s': got message \"%s\", want \"%s\"", bad[k].s, err,
				 bad[k].msg);
		assert_int_equal(i, 11);
		assert_int_equal(n, 22);
	}
	/* No message buffer, and a NULL spec. */
	{
		uint32_t i, n;

		assert_int_equal(sw_shard_parse("3/2", &i, &n, NULL, 0), SW_E_RANGE);
		assert_int_equal(sw_shard_parse(NULL, &i, &n, err, sizeof(err)), SW_E_SYNTAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bijection),
		cmocka_unit_test(test_same_seed_same_order),
		cmocka_unit_test(test_seeds_differ),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_shard_hint),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_max_n),
		cmocka_unit_test(test_done),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_shard_parse_ok),
		cmocka_unit_test(test_shard_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
