/*
 * The scan's target space: which addresses and ports a scan probes, as an index space [0, N*P).
 *
 * Targets come from TARGET arguments and -f files (one per line, '#' comments): IPv4 addresses,
 * CIDR prefixes and a.b.c.d-e.f.g.h ranges; IPv6 addresses, prefixes and ranges no larger than a
 * cap (default /112, 65,536 addresses: the IPv6 space cannot be swept, so lists are the norm);
 * and host names, resolved at once to all their IPv4 and IPv6 addresses.
 *
 * Nothing is expanded: the list is a prefix set (net/prefix.h) of merged intervals, so the whole
 * IPv4 space is a single interval and duplicated or overlapping targets count once. After the
 * last target, sw_targets_finish() subtracts the exclusions and builds prefix sums over the
 * intervals (IPv4 first, then IPv6): index i maps to its address with one binary search,
 * O(log k) for k intervals, and no index ever maps to an excluded address. The permutation and
 * sharding stages then only deal in numbers.
 *
 * With a port list of P ports the scan space is N * P probes, probe i going to target i / P on
 * port number i % P of the sorted list, so consecutive indices share a target.
 *
 * Bounds: at most SW_PREFIXSET_MAX_DEFAULT intervals (1M), at most SW_TARGETS_MAX_ADDRS
 * addresses (so N * P fits in 64 bits), SW_TARGETS_MAX_NAME_ADDRS addresses per host name.
 * Not thread-safe while being built; after sw_targets_finish() every query is read-only.
 */
#ifndef SW_SCAN_TARGETS_H
#define SW_SCAN_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "net/prefix.h"

struct sw_targets; /* opaque */
struct sw_ports;   /* opaque */

/* Default and smallest accepted IPv6 size cap, as a prefix length. */
#define SW_TARGETS_V6_CAP_DEFAULT 112
#define SW_TARGETS_V6_CAP_MIN 96
/* Most addresses a target list may hold after exclusions: N * 65535 ports stays below 2^64. */
#define SW_TARGETS_MAX_ADDRS ((uint64_t)1 << 48)
/* Most addresses taken from one host name. */
#define SW_TARGETS_MAX_NAME_ADDRS 64

/*
 * Resolve a host name (NUL-terminated) into at most max addresses (port 0). Returns 0 with
 * *ret_n >= 1, or a negative code (SW_E_RESOLVE when the name does not resolve) with the reason
 * in err, without the name (the caller quotes it). The default uses getaddrinfo(3); tests and
 * an event-loop resolver plug in their own.
 */
typedef int (*sw_resolve_fn)(void *ctx, const char *name, struct sw_endpoint *ret, size_t max,
			     size_t *ret_n, char *err, size_t errlen);

/* An empty target list with the default IPv6 cap and resolver. 0 or SW_E_NOMEM. */
int sw_targets_new(struct sw_targets **ret);

/* Free a target list; NULL is fine. */
void sw_targets_free(struct sw_targets *t);

/*
 * Largest IPv6 target accepted, as a prefix length from SW_TARGETS_V6_CAP_MIN to 128 (an
 * IPv6 prefix or range may hold at most 2^(128 - prefix_len) addresses). 0 or SW_E_RANGE.
 * Applies to targets added afterwards.
 */
int sw_targets_set_v6_cap(struct sw_targets *t, unsigned prefix_len);

/* Use fn (with ctx) to resolve host names; fn NULL restores getaddrinfo. */
void sw_targets_set_resolver(struct sw_targets *t, sw_resolve_fn fn, void *ctx);

/*
 * Add one TARGET of len bytes (no NUL needed, no surrounding whitespace). Returns 0, or:
 *   SW_E_ADDR        malformed: "'10.0.0.300' is not an IPv4 address", "empty target",
 *                    "'a b' is not an address, prefix, range or host name", ...
 *   SW_E_V6_TOO_BIG  "'2001:db8::/64' holds more than 65536 addresses (the IPv6 cap is /112):
 *                    the IPv6 space cannot be swept, so list addresses or prefixes of /112
 *                    or longer"
 *   SW_E_RESOLVE     "'name' does not resolve: <reason>"
 *   SW_E_LIMIT       the interval cap; SW_E_INVAL after sw_targets_finish(); SW_E_NOMEM
 * with the message in err (errlen bytes, may be NULL/0).
 */
int sw_targets_add(struct sw_targets *t, const char *arg, size_t len, char *err, size_t errlen);

/*
 * Add every target of a file (one per line, '#' comments, blank lines skipped). Returns 0 or
 * the first error, its message naming the file and line: "targets.txt:12: '10.0.0.300' is not
 * an IPv4 address"; SW_E_IO when the file cannot be read. Targets before that line stay added.
 */
int sw_targets_load(struct sw_targets *t, const char *path, char *err, size_t errlen);

/*
 * Close the list: subtract exclude (may be NULL; only read), count what it removed, and build the
 * index. Returns 0, SW_E_LIMIT (more than SW_TARGETS_MAX_ADDRS addresses, or the pieces left
 * after exclusion pass the interval cap, with a message), SW_E_INVAL when called twice, or
 * SW_E_NOMEM. Only after it do the queries below answer.
 */
int sw_targets_finish(struct sw_targets *t, struct sw_prefixset *exclude, char *err, size_t errlen);

/* N: addresses to scan (excluded ones and duplicates not counted); 0 before finish. */
uint64_t sw_targets_count(const struct sw_targets *t);

/* Target addresses the exclusions removed (not the size of the exclusion lists). */
uint64_t sw_targets_excluded(const struct sw_targets *t);

/* The address of target index in [0, N) into *ret (port 0). 0, or SW_E_RANGE. */
int sw_targets_get(const struct sw_targets *t, uint64_t index, struct sw_endpoint *ret);

/* Whether ep's address is one of the targets (exclusions applied); after sw_targets_finish. */
bool sw_targets_contains(struct sw_targets *t, const struct sw_endpoint *ep);

/*
 * Parse a port list: "5060", "5060,5061", "5060-5070,5080" (ports 1-65535; order and repeats do
 * not matter, the result is sorted and unique). Returns 0 with *ret set, or SW_E_SYNTAX /
 * SW_E_RANGE with a message quoting the list and the bad element: "port list '5060,abc': 'abc'
 * is not a port number from 1 to 65535", or SW_E_NOMEM.
 */
int sw_ports_parse(const char *spec, size_t len, struct sw_ports **ret, char *err, size_t errlen);

/* Free a port list; NULL is fine. */
void sw_ports_free(struct sw_ports *p);

/* P: ports in the list (1 to 65535). */
uint32_t sw_ports_count(const struct sw_ports *p);

/* Port number index in [0, P) of the sorted list; 0 when index is out of range. */
uint16_t sw_ports_get(const struct sw_ports *p, uint32_t index);

/* Index of port in the list, or -1 when it is not in it. */
int32_t sw_ports_find(const struct sw_ports *p, uint16_t port);

/* N * P: probes in one pass over the scan space. */
uint64_t sw_targets_space(const struct sw_targets *t, const struct sw_ports *p);

/*
 * Probe i in [0, N * P): target i / P with port i % P of the list, into *ret. 0, or SW_E_RANGE.
 */
int sw_targets_at(const struct sw_targets *t, const struct sw_ports *p, uint64_t i,
		  struct sw_endpoint *ret);

#endif
