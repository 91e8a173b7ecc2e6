/*
 * IPv4 and IPv6 prefixes, ranges and prefix sets (exclusion lists, the scanner's target space).
 *
 * Text forms: "a.b.c.d", "a.b.c.d/n", "a.b.c.d-e.f.g.h", and for IPv6 "addr", "addr/n" and
 * "addr-addr". A prefix whose address has host bits set ("192.0.2.7/24") means the whole prefix,
 * as routers and zmap read it. IPv4 parts are decimal 0-255 without leading zeros, so "010" is
 * never read as octal by one tool and decimal by another.
 *
 * Every form parses to one inclusive interval of address *numbers*: IPv4 as a 32-bit integer,
 * IPv6 as a 128-bit integer held in two uint64 (hi, lo), both in host byte order, so intervals
 * compare, merge and subtract with plain arithmetic.
 *
 * A prefix set keeps one sorted array of disjoint, non-adjacent intervals per family. Inserting
 * appends (merging with the last interval when the input comes in order, as files usually do);
 * out-of-order inserts mark the set unsorted, and the next query sorts and merges once, in
 * O(n log n). Queries (contains, counts, ranges) are then binary searches or walks. Because a
 * query may sort, queries take a non-const set: after the last insert, run one query before
 * sharing the set between threads; from then on queries only read.
 *
 * Every set has a hard cap on stored intervals (both families together; 1M by default): an
 * insert that would pass it, even after merging, fails with SW_E_LIMIT.
 *
 * Sets load from list files (core/listfile.h); errors name the file and line.
 */
#ifndef SW_NET_PREFIX_H
#define SW_NET_PREFIX_H

#include <stdbool.h>

#include "core/listfile.h"
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

/* An unsigned 128-bit number (an IPv6 address or count), host byte order halves. */
struct sw_u128 {
	uint64_t hi, lo;
};

/* Inclusive interval of IPv4 address numbers (host byte order). */
struct sw_range4 {
	uint32_t lo, hi;
};

/* Inclusive interval of IPv6 address numbers. */
struct sw_range6 {
	struct sw_u128 lo, hi;
};

/* One parsed entry: an interval of one family. */
struct sw_iprange {
	uint8_t family; /* AF_INET or AF_INET6 */
	union {
		struct sw_range4 v4;
		struct sw_range6 v6;
	};
};

struct sw_prefixset; /* opaque */

/* Default cap on the intervals a prefix set holds, both families together. */
#define SW_PREFIXSET_MAX_DEFAULT ((size_t)1 << 20)
/* Longest line of a list file, newline excluded. */

static inline int sw_u128_cmp(struct sw_u128 a, struct sw_u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

/* a + b modulo 2^128. */
static inline struct sw_u128 sw_u128_add64(struct sw_u128 a, uint64_t b)
{
	struct sw_u128 r = {a.hi, a.lo + b};
	if (r.lo < a.lo)
		r.hi++;
	return r;
}

/* 16 bytes in network order (struct sw_endpoint's addr) to a number, and back. */
struct sw_u128 sw_u128_from_bytes(const uint8_t b[16]);
void sw_u128_to_bytes(struct sw_u128 v, uint8_t b[16]);

/*
 * Parse one entry of len bytes (no NUL needed; no surrounding whitespace allowed). Returns 0 and
 * fills *ret, or SW_E_ADDR with a message in err (errlen bytes, may be NULL/0) that quotes the
 * entry: "'10.0.0.300' is not an IPv4 address", "'10.0.0.0/33' has a prefix length above 32",
 * "'10.0.0.5-10.0.0.1' ends before it starts", "'::1/129' has a prefix length above 128",
 * "empty entry", "'foo' is not an IPv4 or IPv6 address, prefix or range".
 */
int sw_iprange_parse(const char *s, size_t len, struct sw_iprange *ret, char *err, size_t errlen);

/* The address an endpoint holds (port ignored) as a one-address interval; SW_E_INVAL if unset. */
int sw_iprange_from_endpoint(const struct sw_endpoint *ep, struct sw_iprange *ret);

/*
 * Parse one prefix "ADDR/LEN", or one address "ADDR" (a /32 or /128), of len bytes (no NUL
 * needed) into its first address (*ret_addr, port 0; host bits in ADDR are cleared, as
 * sw_iprange_parse does) and its length (*ret_plen). For what names one prefix, as the shield's
 * block list does, where a range would not fit: "a-b" is refused with "'a-b' is a range: give
 * ADDR or ADDR/PLEN". Other errors and their messages are sw_iprange_parse's. Returns 0 or
 * SW_E_ADDR; the out-parameters are written only on success.
 */
int sw_prefix_parse(const char *s, size_t len, struct sw_endpoint *ret_addr, uint8_t *ret_plen,
		    char *err, size_t errlen);

/*
 * A new empty set holding at most max_entries intervals (0 = SW_PREFIXSET_MAX_DEFAULT).
 * Returns 0, or SW_E_NOMEM.
 */
int sw_prefixset_new(size_t max_entries, struct sw_prefixset **ret);

/* Free a set; NULL is fine. */
void sw_prefixset_free(struct sw_prefixset *s);

/* Insert an interval, merging with what overlaps or touches it. 0, SW_E_LIMIT or SW_E_NOMEM. */
int sw_prefixset_insert(struct sw_prefixset *s, const struct sw_iprange *r);

/* Parse one entry (as sw_iprange_parse) and insert it; a cap overflow gets a message too. */
int sw_prefixset_add(struct sw_prefixset *s, const char *text, size_t len, char *err,
		     size_t errlen);

/*
 * Insert every entry of a list file. Returns 0, or the first error with a message naming the
 * file and line: SW_E_IO (cannot open or read: "cannot open 'x.conf': No such file or
 * directory"), SW_E_ADDR, SW_E_LIMIT (an over-long line or the cap), SW_E_NOMEM. Entries before
 * the failing line stay inserted.
 */
int sw_prefixset_load(struct sw_prefixset *s, const char *path, char *err, size_t errlen);

/* The same for a list held in memory; name stands for the file name in messages. */
int sw_prefixset_load_buf(struct sw_prefixset *s, const char *name, const char *buf, size_t len,
			  char *err, size_t errlen);

/* Membership in O(log n); IPv4 and IPv6 numbers, or an endpoint's address (port ignored). */
bool sw_prefixset_contains4(struct sw_prefixset *s, uint32_t addr);
bool sw_prefixset_contains6(struct sw_prefixset *s, struct sw_u128 addr);
bool sw_prefixset_contains(struct sw_prefixset *s, const struct sw_endpoint *ep);

/* IPv4 addresses covered, exactly (at most 2^32). */
uint64_t sw_prefixset_count4(struct sw_prefixset *s);

/* IPv6 addresses covered; saturates at 2^128 - 1 (only ::/0 covers more). */
struct sw_u128 sw_prefixset_count6(struct sw_prefixset *s);

/*
 * The sorted disjoint intervals of one family; *ret points into the set and stays valid until the
 * set is next modified or freed. Returns their number.
 */
size_t sw_prefixset_ranges4(struct sw_prefixset *s, const struct sw_range4 **ret);
size_t sw_prefixset_ranges6(struct sw_prefixset *s, const struct sw_range6 **ret);

/* Intervals stored, both families (what the cap counts). */
size_t sw_prefixset_size(struct sw_prefixset *s);

/*
 * Remove from s every address in minus (another set, only read). Returns 0, or SW_E_LIMIT when the
 * pieces left would pass s's cap (each interval of minus can split one of s in two), or
 * SW_E_NOMEM; s is unchanged on error.
 */
int sw_prefixset_subtract(struct sw_prefixset *s, struct sw_prefixset *minus);

#endif
