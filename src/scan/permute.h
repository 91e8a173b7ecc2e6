/*
 * A seeded pseudorandom permutation of the scan's index space [0, n), walked one index at a time,
 * with O(1) memory and no "seen" bitmap, split into disjoint shards.
 *
 * The index space is (target x port): the scan maps an index to a target and a port; this module
 * only decides the order. The same (n, seed) gives the same order on every machine, so
 * sw_permute_init(..., shard, nshards, ...) for shards 1..nshards of one seed yields disjoint sets
 * whose union is [0, n). A different seed gives a different order. Nothing is allocated; the
 * struct is a plain value the caller owns (one per sending thread), to be read and changed only
 * through these functions. How it works: see the essay at the top of permute.c.
 */
#ifndef SW_SCAN_PERMUTE_H
#define SW_SCAN_PERMUTE_H

#include <stddef.h>
#include <stdint.h>

/* Largest index space: every IPv4 address times every port. */
#define SW_PERMUTE_MAX_N (1ULL << 48)
/* Most shards a scan can be split into (the N of --shard I/N). */
#define SW_SHARD_MAX 65535u

struct sw_permute {
	uint64_t n;     /* size of the index space */
	uint64_t p;     /* the prime modulus, the smallest suitable prime above n */
	uint64_t g;     /* generator of the multiplicative group mod p chosen by the seed */
	uint64_t mul;   /* g^nshards mod p: one step of this shard */
	uint64_t cur;   /* the next group element to look at, in 1..p-1 */
	uint64_t left;  /* group elements this shard still has to look at */
	uint64_t steps; /* group elements this shard looks at in all */
};

/*
 * Set pm up to walk shard `shard` (1-based, 1..nshards) of the permutation of [0, n) that `seed`
 * selects; nshards is 1..SW_SHARD_MAX and n is 1..SW_PERMUTE_MAX_N. Returns 0, SW_E_INVAL for a
 * NULL pm, or SW_E_RANGE for a value outside those ranges (pm is then left untouched). Costs well
 * under a millisecond (a prime search near n); call it once per scan and shard.
 */
int sw_permute_init(struct sw_permute *pm, uint64_t n, uint64_t seed, uint32_t shard,
		    uint32_t nshards);

/*
 * The next index of this shard: returns 1 with *ret_index in [0, n), or 0 when the shard is done
 * (and again on every later call). Never fails; a few nanoseconds per index.
 */
int sw_permute_next(struct sw_permute *pm, uint64_t *ret_index);

/*
 * How many indices this shard yields in all (not only the ones still to come). Exact with one
 * shard (it is n). With several, an estimate in proportion to the shard's share of the group:
 * the true count lies in the range sw_permute_count_bounds() gives, which is narrow because p
 * exceeds n by little (a few dozen on average, rarely a few hundred): good enough for progress.
 */
uint64_t sw_permute_count_hint(const struct sw_permute *pm);

/* Sure lower and upper bounds on the count sw_permute_next() yields for this shard in all. */
void sw_permute_count_bounds(const struct sw_permute *pm, uint64_t *ret_min, uint64_t *ret_max);

/*
 * Parse a shard spec "I/N" (decimal, 1 <= I <= N <= SW_SHARD_MAX) as --shard takes it. Returns 0
 * with *ret_shard = I and *ret_nshards = N, or SW_E_SYNTAX / SW_E_RANGE with a one-line message
 * in err (errlen bytes, may be NULL/0) that quotes the spec and says what is wrong, such as
 * "shard '3/2': I must be between 1 and N (2)". s is NUL-terminated.
 */
int sw_shard_parse(const char *s, uint32_t *ret_shard, uint32_t *ret_nshards, char *err,
		   size_t errlen);

#endif
