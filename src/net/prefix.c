/*
 * Prefix sets as sorted arrays of disjoint intervals.
 *
 * Why intervals and not a trie: exclusion lists and target lists are built once and then queried
 * many times; a sorted array of [lo, hi] pairs is the smallest form (8 bytes per IPv4 interval),
 * answers membership with one binary search, gives exact address counts by a walk, and lets two
 * sets be subtracted in one linear merge. A CIDR prefix, an a-b range and a single address are
 * all just intervals, so the three syntaxes need no separate handling after parsing.
 *
 * Invariant of a "clean" family array: sorted by lo, and for consecutive intervals
 * prev.hi + 1 < next.lo (no overlap, no adjacency: adjacent intervals are merged so the array
 * is canonical and counts are exact). Inserts that arrive in order keep the invariant in O(1);
 * others are appended and the array is marked dirty; normalize() restores it with one qsort and
 * one merge pass. At the cap, an insert is merged in place so a list full of duplicates or
 * overlaps never fails for lack of room.
 *
 * IPv4 arithmetic is done in uint64 so lo - 1 and hi + 1 never wrap; IPv6 uses the small u128
 * helpers below and checks the ends of the space explicitly.
 */
#include "net/prefix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct sw_prefixset {
	struct sw_range4 *r4;
	struct sw_range6 *r6;
	size_t n4, n6;     /* intervals stored */
	size_t cap4, cap6; /* slots allocated */
	size_t max;        /* hard cap on n4 + n6 */
	bool dirty4;       /* r4 may be unsorted or overlapping */
	bool dirty6;
};

/* Room for a quoted entry (see sw_list_quote) and some words around it. */
#define QUOTE_MAX 96

static const struct sw_u128 u128_max = {UINT64_MAX, UINT64_MAX};

struct sw_u128 sw_u128_from_bytes(const uint8_t b[16])
{
	struct sw_u128 v = {0, 0};

	for (int i = 0; i < 8; i++) {
		v.hi = v.hi << 8 | b[i];
		v.lo = v.lo << 8 | b[8 + i];
	}
	return v;
}

void sw_u128_to_bytes(struct sw_u128 v, uint8_t b[16])
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v.hi;
		b[8 + i] = (uint8_t)v.lo;
		v.hi >>= 8;
		v.lo >>= 8;
	}
}

static struct sw_u128 u128_inc(struct sw_u128 a)
{
	return sw_u128_add64(a, 1);
}

static struct sw_u128 u128_dec(struct sw_u128 a)
{
	struct sw_u128 r = {a.hi, a.lo - 1};
	if (a.lo == 0)
		r.hi--;
	return r;
}

/* a - b for a >= b. */
static struct sw_u128 u128_sub(struct sw_u128 a, struct sw_u128 b)
{
	struct sw_u128 r = {a.hi - b.hi, a.lo - b.lo};
	if (a.lo < b.lo)
		r.hi--;
	return r;
}

static bool u128_is_max(struct sw_u128 a)
{
	return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

/* Network mask of a prefix length 0..128 as a number. */
static struct sw_u128 u128_mask(unsigned bits)
{
	struct sw_u128 m = {0, 0};

	if (bits == 0)
		return m;
	if (bits <= 64) {
		m.hi = UINT64_MAX << (64 - bits);
		return m;
	}
	m.hi = UINT64_MAX;
	m.lo = UINT64_MAX << (128 - bits);
	return m;
}

/*
 * Dotted quad, exactly four decimal parts 0-255 without leading zeros. Own parser rather than
 * inet_pton so it works on (buf, len) and its acceptance is documented here, not by a libc.
 */
static int parse_v4(const char *s, size_t len, uint32_t *ret)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start;
		unsigned x = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		start = i;
		while (i < len && i - start < 3 && s[i] >= '0' && s[i] <= '9')
			x = x * 10 + (unsigned)(s[i++] - '0');
		if (i == start || x > 255 || (s[start] == '0' && i - start > 1))
			return -1;
		v = v << 8 | x;
	}
	if (i != len)
		return -1;
	*ret = v;
	return 0;
}

/* RFC 4291 text through inet_pton, which needs a NUL-terminated copy. */
static int parse_v6(const char *s, size_t len, struct sw_u128 *ret)
{
	char buf[INET6_ADDRSTRLEN];
	uint8_t b[16];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, b) != 1)
		return -1;
	*ret = sw_u128_from_bytes(b);
	return 0;
}

/* One address of the given family; on failure the message quotes the part (and the entry). */
static int parse_addr(int family, const char *s, size_t len, const char *part, size_t plen,
		      struct sw_iprange *r, bool hi, char *err, size_t errlen)
{
	char qe[QUOTE_MAX], qp[QUOTE_MAX];
	int rc;

	if (family == AF_INET) {
		uint32_t a;
		rc = parse_v4(part, plen, &a);
		if (rc == 0) {
			if (hi)
				r->v4.hi = a;
			else
				r->v4.lo = a;
		}
	} else {
		struct sw_u128 a;
		rc = parse_v6(part, plen, &a);
		if (rc == 0) {
			if (hi)
				r->v6.hi = a;
			else
				r->v6.lo = a;
		}
	}
	if (rc == 0)
		return 0;
	sw_list_quote(qp, sizeof(qp), part, plen);
	if (plen == len) {
		sw_errf(err, errlen, "%s is not an IPv%c address", qp,
			family == AF_INET ? '4' : '6');
	} else {
		sw_list_quote(qe, sizeof(qe), s, len);
		sw_errf(err, errlen, "%s: %s is not an IPv%c address", qe, qp,
			family == AF_INET ? '4' : '6');
	}
	return SW_E_ADDR;
}

static int family_of(const char *s, size_t len)
{
	return memchr(s, ':', len) ? AF_INET6 : AF_INET;
}

/* "addr/len": the prefix as an interval; host bits in addr are ignored. */
static int parse_prefix(const char *s, size_t len, const char *slash, struct sw_iprange *r,
			char *err, size_t errlen)
{
	size_t alen = (size_t)(slash - s), llen = len - alen - 1;
	const char *l = slash + 1;
	unsigned bits = 0, max;
	char q[QUOTE_MAX];
	int rc;

	r->family = (uint8_t)family_of(s, alen);
	max = r->family == AF_INET ? 32 : 128;
	rc = parse_addr(r->family, s, len, s, alen, r, false, err, errlen);
	if (rc < 0)
		return rc;
	sw_list_quote(q, sizeof(q), s, len);
	if (llen == 0 || llen > 3) {
		sw_errf(err, errlen, "%s has a malformed prefix length", q);
		return SW_E_ADDR;
	}
	for (size_t i = 0; i < llen; i++) {
		if (l[i] < '0' || l[i] > '9') {
			sw_errf(err, errlen, "%s has a malformed prefix length", q);
			return SW_E_ADDR;
		}
		bits = bits * 10 + (unsigned)(l[i] - '0');
	}
	if (bits > max) {
		sw_errf(err, errlen, "%s has a prefix length above %u", q, max);
		return SW_E_ADDR;
	}
	if (r->family == AF_INET) {
		uint32_t mask = bits ? UINT32_MAX << (32 - bits) : 0;
		r->v4.lo &= mask;
		r->v4.hi = r->v4.lo | ~mask;
	} else {
		struct sw_u128 m = u128_mask(bits), a = r->v6.lo;
		r->v6.lo = (struct sw_u128){a.hi & m.hi, a.lo & m.lo};
		r->v6.hi = (struct sw_u128){a.hi | ~m.hi, a.lo | ~m.lo};
	}
	return 0;
}

/* "lo-hi", both of one family, lo <= hi. */
static int parse_range(const char *s, size_t len, const char *dash, struct sw_iprange *r, char *err,
		       size_t errlen)
{
	size_t alen = (size_t)(dash - s), blen = len - alen - 1;
	const char *b = dash + 1;
	int fa = family_of(s, alen), fb = family_of(b, blen), rc;
	char q[QUOTE_MAX];
	bool reversed;

	sw_list_quote(q, sizeof(q), s, len);
	if (fa != fb) {
		sw_errf(err, errlen, "%s mixes IPv4 and IPv6", q);
		return SW_E_ADDR;
	}
	r->family = (uint8_t)fa;
	rc = parse_addr(fa, s, len, s, alen, r, false, err, errlen);
	if (rc == 0)
		rc = parse_addr(fa, s, len, b, blen, r, true, err, errlen);
	if (rc < 0)
		return rc;
	if (fa == AF_INET)
		reversed = r->v4.hi < r->v4.lo;
	else
		reversed = sw_u128_cmp(r->v6.hi, r->v6.lo) < 0;
	if (reversed) {
		sw_errf(err, errlen, "%s ends before it starts", q);
		return SW_E_ADDR;
	}
	return 0;
}

/*
 * Dispatch on the characters present: ':' means IPv6 (IPv4 text never holds one); text without
 * it must be made of IPv4 characters, else it is neither family and the message says so instead
 * of a misleading "not an IPv4 address" for a word.
 */
int sw_iprange_parse(const char *s, size_t len, struct sw_iprange *ret, char *err, size_t errlen)
{
	struct sw_iprange r;
	const char *dash, *slash;
	char q[QUOTE_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	if (len == 0) {
		sw_errf(err, errlen, "empty entry");
		return SW_E_ADDR;
	}
	if (!memchr(s, ':', len)) {
		for (size_t i = 0; i < len; i++) {
			char c = s[i];
			if ((c < '0' || c > '9') && c != '.' && c != '/' && c != '-') {
				sw_list_quote(q, sizeof(q), s, len);
				sw_errf(err, errlen,
					"%s is not an IPv4 or IPv6 address, prefix or range", q);
				return SW_E_ADDR;
			}
		}
	}
	dash = memchr(s, '-', len);
	slash = memchr(s, '/', len);
	if (dash) {
		rc = parse_range(s, len, dash, &r, err, errlen);
	} else if (slash) {
		rc = parse_prefix(s, len, slash, &r, err, errlen);
	} else {
		r.family = (uint8_t)family_of(s, len);
		rc = parse_addr(r.family, s, len, s, len, &r, false, err, errlen);
		if (r.family == AF_INET)
			r.v4.hi = r.v4.lo;
		else
			r.v6.hi = r.v6.lo;
	}
	if (rc < 0)
		return rc;
	*ret = r;
	return 0;
}

int sw_iprange_from_endpoint(const struct sw_endpoint *ep, struct sw_iprange *ret)
{
	struct sw_iprange r;

	memset(&r, 0, sizeof(r));
	if (ep->family == AF_INET) {
		r.family = AF_INET;
		r.v4.lo = (uint32_t)ep->addr[0] << 24 | (uint32_t)ep->addr[1] << 16 |
			  (uint32_t)ep->addr[2] << 8 | ep->addr[3];
		r.v4.hi = r.v4.lo;
	} else if (ep->family == AF_INET6) {
		r.family = AF_INET6;
		r.v6.lo = sw_u128_from_bytes(ep->addr);
		r.v6.hi = r.v6.lo;
	} else {
		return SW_E_INVAL;
	}
	*ret = r;
	return 0;
}

int sw_prefix_parse(const char *s, size_t len, struct sw_endpoint *ret_addr, uint8_t *ret_plen,
		    char *err, size_t errlen)
{
	struct sw_iprange r;
	char q[QUOTE_MAX];
	int rc;

	if (memchr(s, '-', len)) {
		sw_list_quote(q, sizeof(q), s, len);
		sw_errf(err, errlen, "%s is a range: give ADDR or ADDR/PLEN", q);
		return SW_E_ADDR;
	}
	rc = sw_iprange_parse(s, len, &r, err, errlen);
	if (rc < 0)
		return rc;
	/* A prefix's interval is aligned: the bits in which its two ends differ are the host part. */
	if (r.family == AF_INET) {
		uint8_t b[4] = {(uint8_t)(r.v4.lo >> 24), (uint8_t)(r.v4.lo >> 16),
				(uint8_t)(r.v4.lo >> 8), (uint8_t)r.v4.lo};
		sw_endpoint_set_v4(ret_addr, b, 0);
		*ret_plen = (uint8_t)(32 - __builtin_popcount(r.v4.lo ^ r.v4.hi));
	} else {
		uint8_t b[16];
		sw_u128_to_bytes(r.v6.lo, b);
		sw_endpoint_set_v6(ret_addr, b, 0);
		*ret_plen = (uint8_t)(128 - __builtin_popcountll(r.v6.lo.hi ^ r.v6.hi.hi) -
				      __builtin_popcountll(r.v6.lo.lo ^ r.v6.hi.lo));
	}
	return 0;
}

int sw_prefixset_new(size_t max_entries, struct sw_prefixset **ret)
{
	struct sw_prefixset *s = calloc(1, sizeof(*s));

	if (!s)
		return SW_E_NOMEM;
	s->max = max_entries ? max_entries : SW_PREFIXSET_MAX_DEFAULT;
	*ret = s;
	return 0;
}

void sw_prefixset_free(struct sw_prefixset *s)
{
	if (!s)
		return;
	free(s->r4);
	free(s->r6);
	free(s);
}

static int cmp_r4(const void *a, const void *b)
{
	const struct sw_range4 *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_r6(const void *a, const void *b)
{
	const struct sw_range6 *x = a, *y = b;
	return sw_u128_cmp(x->lo, y->lo);
}

/* Sort and merge overlapping or adjacent intervals in place; never fails. */
static void normalize4(struct sw_prefixset *s)
{
	size_t o = 0;

	if (!s->dirty4)
		return;
	qsort(s->r4, s->n4, sizeof(*s->r4), cmp_r4);
	for (size_t i = 0; i < s->n4; i++) {
		struct sw_range4 c = s->r4[i];
		if (o && (uint64_t)c.lo <= (uint64_t)s->r4[o - 1].hi + 1) {
			if (c.hi > s->r4[o - 1].hi)
				s->r4[o - 1].hi = c.hi;
		} else {
			s->r4[o++] = c;
		}
	}
	s->n4 = o;
	s->dirty4 = false;
}

/* a <= b + 1, without wrapping when b is the top of the space. */
static bool le_succ6(struct sw_u128 a, struct sw_u128 b)
{
	return u128_is_max(b) || sw_u128_cmp(a, u128_inc(b)) <= 0;
}

static void normalize6(struct sw_prefixset *s)
{
	size_t o = 0;

	if (!s->dirty6)
		return;
	qsort(s->r6, s->n6, sizeof(*s->r6), cmp_r6);
	for (size_t i = 0; i < s->n6; i++) {
		struct sw_range6 c = s->r6[i];
		if (o && le_succ6(c.lo, s->r6[o - 1].hi)) {
			if (sw_u128_cmp(c.hi, s->r6[o - 1].hi) > 0)
				s->r6[o - 1].hi = c.hi;
		} else {
			s->r6[o++] = c;
		}
	}
	s->n6 = o;
	s->dirty6 = false;
}

static void normalize(struct sw_prefixset *s)
{
	normalize4(s);
	normalize6(s);
}

/*
 * Room for one more element: arr itself when there is, else a copy doubled in size (never beyond
 * the set's cap); NULL when out of memory, arr then untouched.
 */
static void *reserve(void *arr, size_t *cap, size_t n, size_t elem, size_t max)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	if (ncap <= n)
		ncap = n + 1;
	p = realloc(arr, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}

/*
 * Merge [lo, hi] into a clean array in place when it overlaps or touches what is there: the run
 * of intervals it joins collapses into one, so the count never grows. Returns 1 when merged, 0
 * when it needs a new slot.
 */
static int merge_in_place4(struct sw_prefixset *s, uint32_t lo, uint32_t hi)
{
	size_t a = 0, b = s->n4, i, j;

	/* i: first interval with hi + 1 >= lo. */
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if ((uint64_t)s->r4[m].hi + 1 < lo)
			a = m + 1;
		else
			b = m;
	}
	i = a;
	if (i == s->n4 || (uint64_t)s->r4[i].lo > (uint64_t)hi + 1)
		return 0;
	j = i;
	while (j + 1 < s->n4 && (uint64_t)s->r4[j + 1].lo <= (uint64_t)hi + 1)
		j++;
	if (lo < s->r4[i].lo)
		s->r4[i].lo = lo;
	s->r4[i].hi = s->r4[j].hi > hi ? s->r4[j].hi : hi;
	memmove(&s->r4[i + 1], &s->r4[j + 1], (s->n4 - j - 1) * sizeof(*s->r4));
	s->n4 -= j - i;
	return 1;
}

static int merge_in_place6(struct sw_prefixset *s, struct sw_range6 c)
{
	size_t a = 0, b = s->n6, i, j;

	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (!le_succ6(c.lo, s->r6[m].hi))
			a = m + 1;
		else
			b = m;
	}
	i = a;
	if (i == s->n6 || !le_succ6(s->r6[i].lo, c.hi))
		return 0;
	j = i;
	while (j + 1 < s->n6 && le_succ6(s->r6[j + 1].lo, c.hi))
		j++;
	if (sw_u128_cmp(c.lo, s->r6[i].lo) < 0)
		s->r6[i].lo = c.lo;
	s->r6[i].hi = sw_u128_cmp(s->r6[j].hi, c.hi) > 0 ? s->r6[j].hi : c.hi;
	memmove(&s->r6[i + 1], &s->r6[j + 1], (s->n6 - j - 1) * sizeof(*s->r6));
	s->n6 -= j - i;
	return 1;
}

static int insert4(struct sw_prefixset *s, uint32_t lo, uint32_t hi)
{
	struct sw_range4 *p;

	if (!s->dirty4 && s->n4) {
		struct sw_range4 *last = &s->r4[s->n4 - 1];
		/* In-order input: extend the last interval, or append behind it. */
		if (lo >= last->lo && (uint64_t)lo <= (uint64_t)last->hi + 1) {
			if (hi > last->hi)
				last->hi = hi;
			return 0;
		}
		if (lo < last->lo)
			s->dirty4 = true;
	}
	if (s->n4 + s->n6 >= s->max) {
		normalize(s);
		if (merge_in_place4(s, lo, hi))
			return 0;
		if (s->n4 + s->n6 >= s->max)
			return SW_E_LIMIT;
		/* Normalizing made room; the array is clean, so append keeps order only at the end. */
		if (s->n4 && lo < s->r4[s->n4 - 1].lo)
			s->dirty4 = true;
	}
	p = reserve(s->r4, &s->cap4, s->n4, sizeof(*s->r4), s->max);
	if (!p)
		return SW_E_NOMEM;
	s->r4 = p;
	s->r4[s->n4++] = (struct sw_range4){lo, hi};
	return 0;
}

static int insert6(struct sw_prefixset *s, struct sw_range6 c)
{
	struct sw_range6 *p;

	if (!s->dirty6 && s->n6) {
		struct sw_range6 *last = &s->r6[s->n6 - 1];
		if (sw_u128_cmp(c.lo, last->lo) >= 0 && le_succ6(c.lo, last->hi)) {
			if (sw_u128_cmp(c.hi, last->hi) > 0)
				last->hi = c.hi;
			return 0;
		}
		if (sw_u128_cmp(c.lo, last->lo) < 0)
			s->dirty6 = true;
	}
	if (s->n4 + s->n6 >= s->max) {
		normalize(s);
		if (merge_in_place6(s, c))
			return 0;
		if (s->n4 + s->n6 >= s->max)
			return SW_E_LIMIT;
		if (s->n6 && sw_u128_cmp(c.lo, s->r6[s->n6 - 1].lo) < 0)
			s->dirty6 = true;
	}
	p = reserve(s->r6, &s->cap6, s->n6, sizeof(*s->r6), s->max);
	if (!p)
		return SW_E_NOMEM;
	s->r6 = p;
	s->r6[s->n6++] = c;
	return 0;
}

int sw_prefixset_insert(struct sw_prefixset *s, const struct sw_iprange *r)
{
	if (r->family == AF_INET) {
		if (r->v4.hi < r->v4.lo)
			return SW_E_INVAL;
		return insert4(s, r->v4.lo, r->v4.hi);
	}
	if (r->family == AF_INET6) {
		if (sw_u128_cmp(r->v6.hi, r->v6.lo) < 0)
			return SW_E_INVAL;
		return insert6(s, r->v6);
	}
	return SW_E_INVAL;
}

int sw_prefixset_add(struct sw_prefixset *s, const char *text, size_t len, char *err, size_t errlen)
{
	struct sw_iprange r;
	int rc = sw_iprange_parse(text, len, &r, err, errlen);

	if (rc < 0)
		return rc;
	rc = sw_prefixset_insert(s, &r);
	if (rc == SW_E_LIMIT)
		sw_errf(err, errlen, "too many entries: the list is capped at %zu disjoint ranges",
			s->max);
	else if (rc < 0)
		sw_errf(err, errlen, "%s", sw_strerror(rc));
	return rc;
}

static int add_entry(void *ctx, const char *entry, size_t len, char *err, size_t errlen)
{
	return sw_prefixset_add(ctx, entry, len, err, errlen);
}

int sw_prefixset_load(struct sw_prefixset *s, const char *path, char *err, size_t errlen)
{
	return sw_list_read_file(path, add_entry, s, err, errlen);
}

int sw_prefixset_load_buf(struct sw_prefixset *s, const char *name, const char *buf, size_t len,
			  char *err, size_t errlen)
{
	return sw_list_read_buf(name, buf, len, add_entry, s, err, errlen);
}

bool sw_prefixset_contains4(struct sw_prefixset *s, uint32_t addr)
{
	size_t a = 0, b;

	normalize4(s);
	b = s->n4;
	/* First interval with hi >= addr; the address is in it when lo <= addr. */
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (s->r4[m].hi < addr)
			a = m + 1;
		else
			b = m;
	}
	return a < s->n4 && s->r4[a].lo <= addr;
}

bool sw_prefixset_contains6(struct sw_prefixset *s, struct sw_u128 addr)
{
	size_t a = 0, b;

	normalize6(s);
	b = s->n6;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (sw_u128_cmp(s->r6[m].hi, addr) < 0)
			a = m + 1;
		else
			b = m;
	}
	return a < s->n6 && sw_u128_cmp(s->r6[a].lo, addr) <= 0;
}

bool sw_prefixset_contains(struct sw_prefixset *s, const struct sw_endpoint *ep)
{
	struct sw_iprange r;

	if (sw_iprange_from_endpoint(ep, &r) < 0)
		return false;
	if (r.family == AF_INET)
		return sw_prefixset_contains4(s, r.v4.lo);
	return sw_prefixset_contains6(s, r.v6.lo);
}

uint64_t sw_prefixset_count4(struct sw_prefixset *s)
{
	uint64_t n = 0;

	normalize4(s);
	for (size_t i = 0; i < s->n4; i++)
		n += (uint64_t)s->r4[i].hi - s->r4[i].lo + 1;
	return n;
}

/* Sizes are hi - lo + 1; only ::/0 has a size of 2^128, which saturates like an overflowing sum. */
struct sw_u128 sw_prefixset_count6(struct sw_prefixset *s)
{
	struct sw_u128 n = {0, 0};

	normalize6(s);
	for (size_t i = 0; i < s->n6; i++) {
		struct sw_u128 d = u128_sub(s->r6[i].hi, s->r6[i].lo);
		uint64_t lo, hi, carry;

		if (u128_is_max(d))
			return u128_max;
		d = u128_inc(d);
		lo = n.lo + d.lo;
		carry = lo < n.lo;
		hi = n.hi + d.hi;
		if (hi < n.hi || hi + carry < hi)
			return u128_max;
		n.lo = lo;
		n.hi = hi + carry;
	}
	return n;
}

size_t sw_prefixset_ranges4(struct sw_prefixset *s, const struct sw_range4 **ret)
{
	normalize4(s);
	*ret = s->r4;
	return s->n4;
}

size_t sw_prefixset_ranges6(struct sw_prefixset *s, const struct sw_range6 **ret)
{
	normalize6(s);
	*ret = s->r6;
	return s->n6;
}

size_t sw_prefixset_size(struct sw_prefixset *s)
{
	normalize(s);
	return s->n4 + s->n6;
}

/*
 * One merge pass over two clean arrays: for each interval of a, walk the intervals of b that
 * overlap it and emit the gaps between them. b's cursor never moves back, because both arrays
 * are sorted and disjoint; an interval of b that reaches past the end of one interval of a is
 * looked at again for the next one. out must hold na + nb intervals.
 */
static size_t subtract4(const struct sw_range4 *a, size_t na, const struct sw_range4 *b, size_t nb,
			struct sw_range4 *out)
{
	size_t o = 0, j = 0;

	for (size_t i = 0; i < na; i++) {
		uint64_t cur = a[i].lo;
		bool alive = true;

		while (j < nb && b[j].hi < cur)
			j++;
		for (size_t k = j; k < nb && b[k].lo <= a[i].hi; k++) {
			if (b[k].lo > cur)
				out[o++] = (struct sw_range4){(uint32_t)cur, b[k].lo - 1};
			if (b[k].hi >= a[i].hi) {
				alive = false;
				break;
			}
			cur = (uint64_t)b[k].hi + 1;
		}
		if (alive)
			out[o++] = (struct sw_range4){(uint32_t)cur, a[i].hi};
	}
	return o;
}

static size_t subtract6(const struct sw_range6 *a, size_t na, const struct sw_range6 *b, size_t nb,
			struct sw_range6 *out)
{
	size_t o = 0, j = 0;

	for (size_t i = 0; i < na; i++) {
		struct sw_u128 cur = a[i].lo;
		bool alive = true;

		while (j < nb && sw_u128_cmp(b[j].hi, cur) < 0)
			j++;
		for (size_t k = j; k < nb && sw_u128_cmp(b[k].lo, a[i].hi) <= 0; k++) {
			if (sw_u128_cmp(b[k].lo, cur) > 0)
				out[o++] = (struct sw_range6){cur, u128_dec(b[k].lo)};
			if (sw_u128_cmp(b[k].hi, a[i].hi) >= 0) {
				alive = false;
				break;
			}
			cur = u128_inc(b[k].hi);
		}
		if (alive)
			out[o++] = (struct sw_range6){cur, a[i].hi};
	}
	return o;
}

int sw_prefixset_subtract(struct sw_prefixset *s, struct sw_prefixset *minus)
{
	struct sw_range4 *o4 = NULL;
	struct sw_range6 *o6 = NULL;
	size_t n4, n6, a4, a6;
	int rc = SW_E_NOMEM;

	normalize(s);
	normalize(minus);
	/* +1 so an empty result still gets a non-NULL array and malloc(0) never happens. */
	a4 = s->n4 + minus->n4 + 1;
	a6 = s->n6 + minus->n6 + 1;
	o4 = malloc(a4 * sizeof(*o4));
	o6 = malloc(a6 * sizeof(*o6));
	if (!o4 || !o6)
		goto fail;
	n4 = subtract4(s->r4, s->n4, minus->r4, minus->n4, o4);
	n6 = subtract6(s->r6, s->n6, minus->r6, minus->n6, o6);
	if (n4 + n6 > s->max) {
		rc = SW_E_LIMIT;
		goto fail;
	}
	free(s->r4);
	free(s->r6);
	s->r4 = o4;
	s->r6 = o6;
	s->n4 = n4;
	s->n6 = n6;
	s->cap4 = a4;
	s->cap6 = a6;
	return 0;
fail:
	free(o4);
	free(o6);
	return rc;
}
