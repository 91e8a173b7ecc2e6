/*
 * Target list and port list: the scan space as numbers.
 *
 * The list is built in a prefix set, which merges duplicates and overlaps as they come; finish
 * subtracts the exclusions and freezes the two interval arrays. Over each array it keeps a
 * prefix sum: start[i] is the number of addresses in the intervals before i. Index x (IPv4
 * indices first, then IPv6 after an offset of N4) lies in the last interval whose start is
 * <= x, found by binary search, at offset x - start[i] from its low end. That makes the mapping
 * a bijection from [0, N) onto the included addresses by construction: intervals are disjoint,
 * each owns exactly its size of consecutive indices, and excluded addresses are simply not in
 * any interval.
 *
 * Host names are told apart from addresses by their characters: text with ':' is IPv6, text of
 * digits, '.', '/' and '-' only is IPv4 (so "10.0.0.300" is reported as a bad address, never
 * looked up as a name), anything else must be a well-formed DNS name.
 */
#include "scan/targets.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct sw_targets {
	struct sw_prefixset *set; /* the included addresses; frozen after finish */
	unsigned v6_cap;          /* smallest IPv6 prefix length accepted */
	sw_resolve_fn resolve;
	void *resolve_ctx;
	bool finished;
	/* After finish: views into set, and the prefix sums over them. */
	const struct sw_range4 *r4;
	const struct sw_range6 *r6;
	size_t k4, k6;
	uint64_t *start4, *start6;
	uint64_t n4, n6, excluded;
};

struct sw_ports {
	uint32_t n;
	uint16_t port[]; /* sorted, unique */
};

#define QUOTE_MAX 96
#define HOSTNAME_MAX 253

/*
 * getaddrinfo with no family preference, so a name with both A and AAAA records yields both;
 * SOCK_DGRAM keeps it to one result per address instead of one per socket type. No
 * AI_ADDRCONFIG: a host without IPv6 still learns the name's IPv6 addresses, and the scan, not
 * the resolver, decides what it can reach.
 */
static int resolve_system(void *ctx, const char *name, struct sw_endpoint *ret, size_t max,
			  size_t *ret_n, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	size_t n = 0;
	int rc;

	(void)ctx;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		sw_errf(err, errlen, "%s", rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return SW_E_RESOLVE;
	}
	for (struct addrinfo *ai = res; ai && n < max; ai = ai->ai_next) {
		struct sw_endpoint ep;

		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ai->ai_addr;
			sw_endpoint_set_v4(&ep, (const uint8_t *)&sin->sin_addr, 0);
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
			sw_endpoint_set_v6(&ep, sin6->sin6_addr.s6_addr, 0);
		} else {
			continue;
		}
		ret[n++] = ep;
	}
	freeaddrinfo(res);
	if (n == 0) {
		sw_errf(err, errlen, "no IPv4 or IPv6 address");
		return SW_E_RESOLVE;
	}
	*ret_n = n;
	return 0;
}

int sw_targets_new(struct sw_targets **ret)
{
	struct sw_targets *t = calloc(1, sizeof(*t));

	if (!t)
		return SW_E_NOMEM;
	if (sw_prefixset_new(0, &t->set) < 0) {
		free(t);
		return SW_E_NOMEM;
	}
	t->v6_cap = SW_TARGETS_V6_CAP_DEFAULT;
	t->resolve = resolve_system;
	*ret = t;
	return 0;
}

void sw_targets_free(struct sw_targets *t)
{
	if (!t)
		return;
	sw_prefixset_free(t->set);
	free(t->start4);
	free(t->start6);
	free(t);
}

int sw_targets_set_v6_cap(struct sw_targets *t, unsigned prefix_len)
{
	if (prefix_len < SW_TARGETS_V6_CAP_MIN || prefix_len > 128)
		return SW_E_RANGE;
	t->v6_cap = prefix_len;
	return 0;
}

void sw_targets_set_resolver(struct sw_targets *t, sw_resolve_fn fn, void *ctx)
{
	t->resolve = fn ? fn : resolve_system;
	t->resolve_ctx = fn ? ctx : NULL;
}

static bool is_v4_char(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

static bool is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/*
 * A DNS name as RFC 1123 allows it (plus '_', which real zones use): labels of 1-63 letters,
 * digits, '-' or '_', not starting or ending with '-', at most 253 bytes, one optional trailing
 * dot. Checked before the resolver sees it, so typos get a syntax message and no lookup.
 */
static bool is_hostname(const char *s, size_t len)
{
	size_t label = 0;

	if (len && s[len - 1] == '.')
		len--;
	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - label] == '-' || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_label_char(s[i])) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* The failure message for a full set, shared by every way of adding. */
static int set_full(int rc, char *err, size_t errlen)
{
	if (rc == SW_E_LIMIT)
		sw_errf(err, errlen, "too many targets: the list is capped at %zu disjoint ranges",
			(size_t)SW_PREFIXSET_MAX_DEFAULT);
	else
		sw_errf(err, errlen, "%s", sw_strerror(rc));
	return rc;
}

static int add_name(struct sw_targets *t, const char *s, size_t len, char *err, size_t errlen)
{
	struct sw_endpoint addrs[SW_TARGETS_MAX_NAME_ADDRS];
	char name[HOSTNAME_MAX + 2], q[QUOTE_MAX], why[128];
	size_t n = 0;
	int rc;

	sw_list_quote(q, sizeof(q), s, len);
	if (!is_hostname(s, len)) {
		sw_errf(err, errlen, "%s is not an address, prefix, range or host name", q);
		return SW_E_ADDR;
	}
	memcpy(name, s, len);
	name[len] = '\0';
	why[0] = '\0';
	rc = t->resolve(t->resolve_ctx, name, addrs, SW_TARGETS_MAX_NAME_ADDRS, &n, why,
			sizeof(why));
	if (rc < 0 || n == 0) {
		sw_errf(err, errlen, "%s does not resolve: %s", q, why[0] ? why : "no address");
		return rc < 0 ? rc : SW_E_RESOLVE;
	}
	for (size_t i = 0; i < n && i < SW_TARGETS_MAX_NAME_ADDRS; i++) {
		struct sw_iprange r;

		if (sw_iprange_from_endpoint(&addrs[i], &r) < 0)
			continue;
		rc = sw_prefixset_insert(t->set, &r);
		if (rc < 0)
			return set_full(rc, err, errlen);
	}
	return 0;
}

/* hi - lo + 1 <= 2^(128 - cap), i.e. (hi - lo) >> (128 - cap) == 0; the cap leaves <= 32 bits. */
static bool v6_fits(const struct sw_range6 *r, unsigned cap)
{
	unsigned bits = 128 - cap;
	uint64_t dhi = r->hi.hi - r->lo.hi - (r->hi.lo < r->lo.lo);
	uint64_t dlo = r->hi.lo - r->lo.lo;

	return dhi == 0 && (dlo >> bits) == 0;
}

int sw_targets_add(struct sw_targets *t, const char *arg, size_t len, char *err, size_t errlen)
{
	struct sw_iprange r;
	bool name = false;
	int rc;

	if (t->finished) {
		sw_errf(err, errlen, "target list already closed");
		return SW_E_INVAL;
	}
	if (len == 0) {
		sw_errf(err, errlen, "empty target");
		return SW_E_ADDR;
	}
	if (!memchr(arg, ':', len))
		for (size_t i = 0; i < len && !name; i++)
			name = !is_v4_char(arg[i]);
	if (name)
		return add_name(t, arg, len, err, errlen);
	rc = sw_iprange_parse(arg, len, &r, err, errlen);
	if (rc < 0)
		return rc;
	if (r.family == AF_INET6 && !v6_fits(&r.v6, t->v6_cap)) {
		char q[QUOTE_MAX];

		sw_list_quote(q, sizeof(q), arg, len);
		sw_errf(err, errlen,
			"%s holds more than %llu addresses (the IPv6 cap is /%u): the IPv6 space "
			"cannot be swept, so list addresses or prefixes of /%u or longer",
			q, 1ULL << (128 - t->v6_cap), t->v6_cap, t->v6_cap);
		return SW_E_V6_TOO_BIG;
	}
	rc = sw_prefixset_insert(t->set, &r);
	if (rc < 0)
		return set_full(rc, err, errlen);
	return 0;
}

static int load_entry(void *ctx, const char *entry, size_t len, char *err, size_t errlen)
{
	return sw_targets_add(ctx, entry, len, err, errlen);
}

int sw_targets_load(struct sw_targets *t, const char *path, char *err, size_t errlen)
{
	return sw_list_read_file(path, load_entry, t, err, errlen);
}

/* IPv6 addresses in the set as a uint64; the caps keep it far below 2^64 (see v6_fits). */
static uint64_t count6(struct sw_prefixset *s)
{
	struct sw_u128 c = sw_prefixset_count6(s);

	return c.hi ? UINT64_MAX : c.lo;
}

/* Prefix sums of interval sizes: start[i] = addresses in intervals [0, i). */
static int sums4(const struct sw_range4 *r, size_t k, uint64_t **ret)
{
	uint64_t *s = malloc((k + 1) * sizeof(*s)), acc = 0;

	if (!s)
		return SW_E_NOMEM;
	for (size_t i = 0; i < k; i++) {
		s[i] = acc;
		acc += (uint64_t)r[i].hi - r[i].lo + 1;
	}
	s[k] = acc;
	*ret = s;
	return 0;
}

static int sums6(const struct sw_range6 *r, size_t k, uint64_t **ret)
{
	uint64_t *s = malloc((k + 1) * sizeof(*s)), acc = 0;

	if (!s)
		return SW_E_NOMEM;
	for (size_t i = 0; i < k; i++) {
		s[i] = acc;
		/* Each interval is below 2^48 addresses (checked by the caller). */
		acc += r[i].hi.lo - r[i].lo.lo + 1;
	}
	s[k] = acc;
	*ret = s;
	return 0;
}

int sw_targets_finish(struct sw_targets *t, struct sw_prefixset *exclude, char *err, size_t errlen)
{
	uint64_t before, *s4 = NULL, *s6 = NULL;
	int rc;

	if (t->finished) {
		sw_errf(err, errlen, "target list already closed");
		return SW_E_INVAL;
	}
	before = sw_prefixset_count4(t->set) + count6(t->set);
	if (exclude) {
		rc = sw_prefixset_subtract(t->set, exclude);
		if (rc == SW_E_LIMIT) {
			sw_errf(err, errlen,
				"the exclusions split the targets into more than %zu ranges",
				(size_t)SW_PREFIXSET_MAX_DEFAULT);
			return rc;
		}
		if (rc < 0) {
			sw_errf(err, errlen, "%s", sw_strerror(rc));
			return rc;
		}
	}
	t->n4 = sw_prefixset_count4(t->set);
	t->n6 = count6(t->set);
	if (t->n6 > SW_TARGETS_MAX_ADDRS - t->n4) {
		sw_errf(err, errlen, "the targets hold more than 2^48 addresses");
		return SW_E_LIMIT;
	}
	t->k4 = sw_prefixset_ranges4(t->set, &t->r4);
	t->k6 = sw_prefixset_ranges6(t->set, &t->r6);
	rc = sums4(t->r4, t->k4, &s4);
	if (rc == 0)
		rc = sums6(t->r6, t->k6, &s6);
	if (rc < 0) {
		free(s4);
		sw_errf(err, errlen, "%s", sw_strerror(rc));
		return rc;
	}
	t->start4 = s4;
	t->start6 = s6;
	t->excluded = before - t->n4 - t->n6;
	t->finished = true;
	return 0;
}

uint64_t sw_targets_count(const struct sw_targets *t)
{
	return t->finished ? t->n4 + t->n6 : 0;
}

uint64_t sw_targets_excluded(const struct sw_targets *t)
{
	return t->finished ? t->excluded : 0;
}

/* Last i in [0, k) with start[i] <= x, for x < start[k]: the interval that holds index x. */
static size_t find_interval(const uint64_t *start, size_t k, uint64_t x)
{
	size_t a = 0, b = k;

	while (b - a > 1) {
		size_t m = a + (b - a) / 2;
		if (start[m] <= x)
			a = m;
		else
			b = m;
	}
	return a;
}

int sw_targets_get(const struct sw_targets *t, uint64_t index, struct sw_endpoint *ret)
{
	if (!t->finished || index >= t->n4 + t->n6)
		return SW_E_RANGE;
	if (index < t->n4) {
		size_t i = find_interval(t->start4, t->k4, index);
		uint32_t a = t->r4[i].lo + (uint32_t)(index - t->start4[i]);
		uint8_t b[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8),
				(uint8_t)a};

		sw_endpoint_set_v4(ret, b, 0);
	} else {
		uint64_t x = index - t->n4;
		size_t i = find_interval(t->start6, t->k6, x);
		uint8_t b[16];

		sw_u128_to_bytes(sw_u128_add64(t->r6[i].lo, x - t->start6[i]), b);
		sw_endpoint_set_v6(ret, b, 0);
	}
	return 0;
}

bool sw_targets_contains(struct sw_targets *t, const struct sw_endpoint *ep)
{
	return t->finished && sw_prefixset_contains(t->set, ep);
}

int32_t sw_ports_find(const struct sw_ports *p, uint16_t port)
{
	uint32_t lo = 0, hi = p->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->port[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < p->n && p->port[lo] == port) ? (int32_t)lo : -1;
}

/* One decimal port number 1-65535 from an element of a port list. */
static int parse_port(const char *s, size_t len, uint16_t *ret)
{
	uint32_t v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*ret = (uint16_t)v;
	return 0;
}

/*
 * Elements go into a 65,536-bit map first, so repeats and overlapping ranges cost nothing and the
 * sorted unique list falls out of one walk over the map; a list can never hold more than the
 * 65,535 valid ports, whatever the spec's length.
 */
int sw_ports_parse(const char *spec, size_t len, struct sw_ports **ret, char *err, size_t errlen)
{
	uint64_t map[65536 / 64];
	char qs[QUOTE_MAX], qe[QUOTE_MAX];
	struct sw_ports *p;
	size_t off = 0;
	uint32_t n = 0;

	if (len == 0) {
		sw_errf(err, errlen, "empty port list");
		return SW_E_SYNTAX;
	}
	memset(map, 0, sizeof(map));
	sw_list_quote(qs, sizeof(qs), spec, len);
	while (off <= len) {
		const char *e = spec + off, *comma = memchr(e, ',', len - off);
		size_t elen = comma ? (size_t)(comma - e) : len - off;
		const char *dash = memchr(e, '-', elen);
		uint16_t lo, hi;

		off += elen + 1;
		if (elen == 0) {
			sw_errf(err, errlen, "port list %s has an empty element", qs);
			return SW_E_SYNTAX;
		}
		sw_list_quote(qe, sizeof(qe), e, elen);
		if (dash) {
			size_t alen = (size_t)(dash - e);
			if (parse_port(e, alen, &lo) < 0 ||
			    parse_port(dash + 1, elen - alen - 1, &hi) < 0) {
				sw_errf(err, errlen,
					"port list %s: %s is not a port range from 1 to 65535", qs,
					qe);
				return SW_E_RANGE;
			}
			if (hi < lo) {
				sw_errf(err, errlen, "port list %s: %s ends before it starts", qs,
					qe);
				return SW_E_RANGE;
			}
		} else {
			if (parse_port(e, elen, &lo) < 0) {
				sw_errf(err, errlen,
					"port list %s: %s is not a port number from 1 to 65535", qs,
					qe);
				return SW_E_RANGE;
			}
			hi = lo;
		}
		for (uint32_t x = lo; x <= hi; x++)
			map[x / 64] |= 1ULL << (x % 64);
		if (!comma)
			break;
	}
	for (size_t i = 0; i < 65536 / 64; i++)
		n += (uint32_t)__builtin_popcountll(map[i]);
	p = malloc(sizeof(*p) + n * sizeof(p->port[0]));
	if (!p) {
		sw_errf(err, errlen, "%s", sw_strerror(SW_E_NOMEM));
		return SW_E_NOMEM;
	}
	p->n = 0;
	for (uint32_t x = 1; x < 65536; x++)
		if (map[x / 64] >> (x % 64) & 1)
			p->port[p->n++] = (uint16_t)x;
	*ret = p;
	return 0;
}

void sw_ports_free(struct sw_ports *p)
{
	free(p);
}

uint32_t sw_ports_count(const struct sw_ports *p)
{
	return p->n;
}

uint16_t sw_ports_get(const struct sw_ports *p, uint32_t index)
{
	return index < p->n ? p->port[index] : 0;
}

uint64_t sw_targets_space(const struct sw_targets *t, const struct sw_ports *p)
{
	return sw_targets_count(t) * p->n;
}

int sw_targets_at(const struct sw_targets *t, const struct sw_ports *p, uint64_t i,
		  struct sw_endpoint *ret)
{
	struct sw_endpoint ep;
	int rc;

	if (p->n == 0 || i >= sw_targets_space(t, p))
		return SW_E_RANGE;
	rc = sw_targets_get(t, i / p->n, &ep);
	if (rc < 0)
		return rc;
	ep.port = p->port[i % p->n];
	*ret = ep;
	return 0;
}
