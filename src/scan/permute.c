/*
 * A permutation of [0, n) from a cyclic group, after zmap's cyclic.c.
 *
 * For a prime p, the nonzero residues 1..p-1 form a group under multiplication mod p, and that
 * group is cyclic: some element g (a generator, or primitive root) has powers g^0, g^1, ...,
 * g^(p-2) that are all different and so are the whole group. Starting from any element x0, the
 * walk x0, x0*g, x0*g^2, ... therefore meets every one of 1..p-1 exactly once before it returns
 * to x0. Take p to be a prime above n, map element x to index x-1 and step over the elements
 * above n: what is left visits each index of [0, n) exactly once, in an order that depends on g
 * and x0, and all it needs to remember is the current element. Consecutive elements differ by the
 * factor g, which is drawn at random from a group of about n elements, so consecutive indices
 * land far apart and no network sees a burst. The order is not secret (two observed probes give
 * g away) and does not need to be.
 *
 * The prime. The smallest prime above n wastes the least: the walk steps over p-1-n elements in
 * all, and that count is also the uncertainty in how many indices one shard gets. Primes are
 * about ln(n) apart (33 near 2^48), tested with a Miller-Rabin test whose twelve bases make it
 * exact for every 64-bit number. The prime must also come with the factorisation of p-1 (next
 * paragraph); p-1 is factored by trial division up to 2^16, and a prime whose p-1 leaves a
 * composite cofactor after that is skipped for the next one. So p depends on n alone, is found in
 * well under a millisecond, and rarely lies more than a few hundred above n.
 *
 * The generator. g generates the group exactly when g^((p-1)/q) != 1 for every prime q dividing
 * p-1 (otherwise its order divides (p-1)/q). Generators are common (a fraction phi(p-1)/(p-1),
 * over 1/7 below 2^49), so drawing candidates from a seeded splitmix64 stream until one passes
 * takes a few tries. The same stream then gives the start x0. Everything else is a function of n,
 * so every machine with the same seed walks the same cycle.
 *
 * Shards. Number the positions of the cycle k = 0..p-2 (element x0*g^k). Shard I of N takes the
 * positions k = I-1, I-1+N, I-1+2N, ...: it starts at x0*g^(I-1) and multiplies by g^N at each
 * step. The positions split into N disjoint residue classes mod N whatever N and p-1 are, so the
 * shards are disjoint and together cover the cycle, for any seed; each looks at about (p-1)/N
 * elements and keeps those not above n.
 *
 * Arithmetic: values stay below p <= 2^48 + a little, so a product fits in 128 bits and one
 * multiply with a 128-by-64-bit remainder does each step: about 6 ns per element on a 2-core EPYC
 * VM, so the order costs well under 1% of a core at a million probes per second.
 */
#include "scan/permute.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/err.h"

__extension__ typedef unsigned __int128 u128;

/* Trial division bound for p-1; what is left above it must be prime or p is skipped. */
#define TRIAL_LIMIT 65536u
/* Distinct prime factors of a number below 2^49: at most 13 (2*3*...*41 < 2^49 < 2*3*...*43). */
#define MAX_FACTORS 16

struct factors {
	uint64_t q[MAX_FACTORS];
	unsigned n;
};

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((u128)a * b % m);
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
	uint64_t r = 1 % m;

	b %= m;
	while (e) {
		if (e & 1)
			r = mulmod(r, b, m);
		b = mulmod(b, b, m);
		e >>= 1;
	}
	return r;
}

/*
 * Miller-Rabin with the first twelve primes as bases: no composite below 3.3 * 10^24 passes them
 * all (Sorenson and Webster 2015), so for 64-bit numbers the answer is exact.
 */
static bool is_prime(uint64_t n)
{
	static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
	uint64_t d = n - 1;
	unsigned s = 0;

	if (n < 2)
		return false;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (n == bases[i])
			return true;
		if (n % bases[i] == 0)
			return false;
	}
	while ((d & 1) == 0) {
		d >>= 1;
		s++;
	}
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		uint64_t x = powmod(bases[i], d, n);
		unsigned r;

		if (x == 1 || x == n - 1)
			continue;
		for (r = 1; r < s; r++) {
			x = mulmod(x, x, n);
			if (x == n - 1)
				break;
		}
		if (r == s)
			return false;
	}
	return true;
}

/*
 * The distinct prime factors of m into f. False when trial division up to TRIAL_LIMIT leaves a
 * cofactor that is not prime: splitting it would take real factoring, and another p will do.
 */
static bool factor(uint64_t m, struct factors *f)
{
	f->n = 0;
	for (uint64_t d = 2; d < TRIAL_LIMIT && d * d <= m; d += d == 2 ? 1 : 2) {
		if (m % d)
			continue;
		f->q[f->n++] = d;
		do
			m /= d;
		while (m % d == 0);
	}
	if (m == 1)
		return true;
	if (!is_prime(m))
		return false;
	f->q[f->n++] = m;
	return true;
}

/* The smallest prime p > n whose p-1 factor() can split, with those factors. */
static uint64_t find_prime(uint64_t n, struct factors *f)
{
	for (uint64_t c = n + 1;; c++)
		if (is_prime(c) && factor(c - 1, f))
			return c;
}

static bool is_generator(uint64_t g, uint64_t p, const struct factors *f)
{
	for (unsigned i = 0; i < f->n; i++)
		if (powmod(g, (p - 1) / f->q[i], p) == 1)
			return false;
	return true;
}

/* splitmix64 (Steele, Lea, Flood 2014): a well-mixed 64-bit stream from any seed, zero too. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int sw_permute_init(struct sw_permute *pm, uint64_t n, uint64_t seed, uint32_t shard,
		    uint32_t nshards)
{
	struct factors f;
	uint64_t p, g, x0, rng = seed;

	if (!pm)
		return SW_E_INVAL;
	if (n == 0 || n > SW_PERMUTE_MAX_N || nshards == 0 || nshards > SW_SHARD_MAX ||
	    shard == 0 || shard > nshards)
		return SW_E_RANGE;

	p = find_prime(n, &f);
	/* p = 2 and p = 3 have a single generator (1 and 2); above, 1 and p-1 never generate. */
	if (p <= 3) {
		g = p - 1;
	} else {
		do
			g = 2 + splitmix64(&rng) % (p - 3);
		while (!is_generator(g, p, &f));
	}
	x0 = 1 + splitmix64(&rng) % (p - 1);

	pm->n = n;
	pm->p = p;
	pm->g = g;
	pm->mul = powmod(g, nshards, p);
	pm->cur = mulmod(x0, powmod(g, shard - 1, p), p);
	/* Positions shard-1, shard-1+nshards, ... below p-1. */
	pm->steps = shard - 1 < p - 1 ? (p - 2 - (shard - 1)) / nshards + 1 : 0;
	pm->left = pm->steps;
	return 0;
}

int sw_permute_next(struct sw_permute *pm, uint64_t *ret_index)
{
	while (pm->left) {
		uint64_t x = pm->cur;

		pm->left--;
		pm->cur = mulmod(x, pm->mul, pm->p);
		if (x <= pm->n) {
			*ret_index = x - 1;
			return 1;
		}
	}
	return 0;
}

/*
 * The shard looks at `steps` elements; all but at most p-1-n of them (the elements above n, which
 * all shards together step over) are indices.
 */
void sw_permute_count_bounds(const struct sw_permute *pm, uint64_t *ret_min, uint64_t *ret_max)
{
	uint64_t skip = pm->p - 1 - pm->n;

	*ret_min = pm->steps > skip ? pm->steps - skip : 0;
	*ret_max = pm->steps;
}

uint64_t sw_permute_count_hint(const struct sw_permute *pm)
{
	uint64_t lo, hi, est;

	sw_permute_count_bounds(pm, &lo, &hi);
	/* steps * n / (p-1), rounded; exactly n when the shard is the whole cycle. */
	est = (uint64_t)(((u128)pm->steps * pm->n + (pm->p - 1) / 2) / (pm->p - 1));
	return est < lo ? lo : est > hi ? hi : est;
}

/*
 * A decimal number of at least one digit at *sp, saturating at UINT32_MAX so an overlong one
 * still reads as "too big" rather than as garbage; *sp is moved past it. False when no digit.
 */
static bool parse_number(const char **sp, uint32_t *ret)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			v = UINT32_MAX;
	}
	*sp = s;
	*ret = (uint32_t)v;
	return true;
}

/* Write a message for sw_shard_parse()'s caller (when it gave a buffer) and return rc. */
__attribute__((format(printf, 4, 5))) static int shard_error(char *err, size_t errlen, int rc,
							     const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int sw_shard_parse(const char *s, uint32_t *ret_shard, uint32_t *ret_nshards, char *err,
		   size_t errlen)
{
	const char *q = s;
	uint32_t i, n;

	if (!s || !parse_number(&q, &i) || *q++ != '/' || !parse_number(&q, &n) || *q != '\0')
		return shard_error(err, errlen, SW_E_SYNTAX,
				   "shard '%.40s': expected I/N, two whole numbers such as 3/8 "
				   "for the third of eight shards",
				   s ? s : "");
	if (n < 1 || n > SW_SHARD_MAX)
		return shard_error(err, errlen, SW_E_RANGE,
				   "shard '%.40s': N must be between 1 and %u", s, SW_SHARD_MAX);
	if (i < 1 || i > n)
		return shard_error(err, errlen, SW_E_RANGE,
				   "shard '%.40s': I must be between 1 and N (%u)%s", s,
				   (unsigned)n, i < 1 ? "; shards count from 1" : "");
	*ret_shard = i;
	*ret_nshards = n;
	return 0;
}
