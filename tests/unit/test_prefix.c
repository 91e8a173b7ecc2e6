/*
 * Tests of net/prefix: the text forms and their exact error messages, interval merging and
 * subtraction at the edges of intervals and of the address space, the entry cap, list files with
 * file:line messages, and the default exclusion list (embedded copy equal to the shipped file,
 * exact address counts computed here independently of the set code).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "net/exclude_default.h"
#include "net/prefix.h"
#include "testutil.h"

#define CONF_DEFAULT SW_TESTDATA "/../../conf/exclude-default.conf"

static uint32_t v4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static struct sw_u128 v6(const char *s)
{
	uint8_t b[16];

	assert_int_equal(inet_pton(AF_INET6, s, b), 1);
	return sw_u128_from_bytes(b);
}

static void assert_u128(struct sw_u128 got, uint64_t hi, uint64_t lo)
{
	if (got.hi != hi || got.lo != lo)
		fail_msg("got %016llx:%016llx, want %016llx:%016llx", (unsigned long long)got.hi,
			 (unsigned long long)got.lo, (unsigned long long)hi,
			 (unsigned long long)lo);
}

static struct sw_prefixset *new_set(size_t max)
{
	struct sw_prefixset *s = NULL;

	assert_int_equal(sw_prefixset_new(max, &s), 0);
	return s;
}

/* Add text entries; each must parse. */
static void add_all(struct sw_prefixset *s, const char *const *entries)
{
	char err[256];

	for (; *entries; entries++)
		if (sw_prefixset_add(s, *entries, strlen(*entries), err, sizeof(err)) != 0)
			fail_msg("'%s': %s", *entries, err);
}

/* The IPv4 intervals of s as "a.b.c.d-e.f.g.h" joined by spaces. */
static void ranges4_text(struct sw_prefixset *s, char *out, size_t size)
{
	const struct sw_range4 *r;
	size_t n = sw_prefixset_ranges4(s, &r), o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct in_addr a = {htonl(r[i].lo)}, b = {htonl(r[i].hi)};
		char x[16], y[16];

		inet_ntop(AF_INET, &a, x, sizeof(x));
		inet_ntop(AF_INET, &b, y, sizeof(y));
		o += (size_t)snprintf(out + o, size - o, "%s%s-%s", i ? " " : "", x, y);
		assert_true(o < size);
	}
}

static void ranges6_text(struct sw_prefixset *s, char *out, size_t size)
{
	const struct sw_range6 *r;
	size_t n = sw_prefixset_ranges6(s, &r), o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		uint8_t a[16], b[16];
		char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];

		sw_u128_to_bytes(r[i].lo, a);
		sw_u128_to_bytes(r[i].hi, b);
		inet_ntop(AF_INET6, a, x, sizeof(x));
		inet_ntop(AF_INET6, b, y, sizeof(y));
		o += (size_t)snprintf(out + o, size - o, "%s%s-%s", i ? " " : "", x, y);
		assert_true(o < size);
	}
}

static void test_u128_bytes(void **state)
{
	uint8_t b[16], back[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)(0x10 + i);
	assert_u128(sw_u128_from_bytes(b), 0x1011121314151617ULL, 0x18191a1b1c1d1e1fULL);
	sw_u128_to_bytes(sw_u128_from_bytes(b), back);
	assert_memory_equal(b, back, 16);
	assert_u128(sw_u128_add64((struct sw_u128){1, UINT64_MAX}, 2), 2, 1);
	assert_int_equal(sw_u128_cmp((struct sw_u128){1, 0}, (struct sw_u128){0, UINT64_MAX}), 1);
	assert_int_equal(sw_u128_cmp((struct sw_u128){0, 5}, (struct sw_u128){0, 5}), 0);
	assert_int_equal(sw_u128_cmp((struct sw_u128){0, 4}, (struct sw_u128){0, 5}), -1);
}

/* Parse from a copy that ends where an unmapped page begins: a read past the end faults. */
static void parse_ok(const char *text, struct sw_iprange *r)
{
	size_t len = strlen(text);
	char err[256] = "", *g = tu_guard_copy(text, len);

	if (sw_iprange_parse(g, len, r, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", text, err);
	tu_guard_free(g, len);
}

static void test_parse_v4(void **state)
{
	struct sw_iprange r;

	(void)state;
	parse_ok("192.0.2.1", &r);
	assert_int_equal(r.family, AF_INET);
	assert_int_equal(r.v4.lo, 0xc0000201);
	assert_int_equal(r.v4.hi, 0xc0000201);
	parse_ok("10.0.0.0/8", &r);
	assert_int_equal(r.v4.lo, 0x0a000000);
	assert_int_equal(r.v4.hi, 0x0affffff);
	/* Host bits set: the whole prefix. */
	parse_ok("192.0.2.77/24", &r);
	assert_int_equal(r.v4.lo, 0xc0000200);
	assert_int_equal(r.v4.hi, 0xc00002ff);
	parse_ok("0.0.0.0/0", &r);
	assert_int_equal(r.v4.lo, 0);
	assert_int_equal(r.v4.hi, 0xffffffff);
	parse_ok("255.255.255.255/32", &r);
	assert_int_equal(r.v4.lo, 0xffffffff);
	assert_int_equal(r.v4.hi, 0xffffffff);
	parse_ok("198.51.100.7/31", &r);
	assert_int_equal(r.v4.lo, v4("198.51.100.6"));
	assert_int_equal(r.v4.hi, v4("198.51.100.7"));
	parse_ok("10.0.0.1-10.0.0.5", &r);
	assert_int_equal(r.v4.lo, v4("10.0.0.1"));
	assert_int_equal(r.v4.hi, v4("10.0.0.5"));
	parse_ok("10.0.0.9-10.0.0.9", &r);
	assert_int_equal(r.v4.lo, r.v4.hi);
	parse_ok("0.0.0.0-255.255.255.255", &r);
	assert_int_equal(r.v4.lo, 0);
	assert_int_equal(r.v4.hi, 0xffffffff);
}

static void test_parse_v6(void **state)
{
	struct sw_iprange r;

	(void)state;
	parse_ok("::1", &r);
	assert_int_equal(r.family, AF_INET6);
	assert_u128(r.v6.lo, 0, 1);
	assert_u128(r.v6.hi, 0, 1);
	parse_ok("2001:db8::/32", &r);
	assert_u128(r.v6.lo, 0x20010db800000000ULL, 0);
	assert_u128(r.v6.hi, 0x20010db8ffffffffULL, UINT64_MAX);
	parse_ok("2001:db8::1:2/112", &r);
	assert_u128(r.v6.lo, 0x20010db800000000ULL, 0x10000);
	assert_u128(r.v6.hi, 0x20010db800000000ULL, 0x1ffff);
	parse_ok("::/0", &r);
	assert_u128(r.v6.lo, 0, 0);
	assert_u128(r.v6.hi, UINT64_MAX, UINT64_MAX);
	parse_ok("2001:db8::/64", &r);
	assert_u128(r.v6.hi, 0x20010db800000000ULL, UINT64_MAX);
	parse_ok("2001:db8::/65", &r);
	assert_u128(r.v6.hi, 0x20010db800000000ULL, 0x7fffffffffffffffULL);
	parse_ok("2001:db8::/128", &r);
	assert_u128(r.v6.hi, 0x20010db800000000ULL, 0);
	parse_ok("::ffff:192.0.2.1", &r);
	assert_u128(r.v6.lo, 0, 0xffffc0000201ULL);
	parse_ok("2001:db8::1-2001:db8::ff", &r);
	assert_u128(r.v6.lo, 0x20010db800000000ULL, 1);
	assert_u128(r.v6.hi, 0x20010db800000000ULL, 0xff);
}

/* Every malformed entry and the exact message it gets. */
static void test_parse_errors(void **state)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{"10.0.0.300", "'10.0.0.300' is not an IPv4 address"},
		{"10.0.0.0/33", "'10.0.0.0/33' has a prefix length above 32"},
		{"10.0.0.5-10.0.0.1", "'10.0.0.5-10.0.0.1' ends before it starts"},
		{"::1/129", "'::1/129' has a prefix length above 128"},
		{"", "empty entry"},
		{"garbage", "'garbage' is not an IPv4 or IPv6 address, prefix or range"},
		{"example.com", "'example.com' is not an IPv4 or IPv6 address, prefix or range"},
		{"10.0.0", "'10.0.0' is not an IPv4 address"},
		{"10.0.0.0.1", "'10.0.0.0.1' is not an IPv4 address"},
		{"10.0.0.01", "'10.0.0.01' is not an IPv4 address"},
		{"10..0.1", "'10..0.1' is not an IPv4 address"},
		{"10.0.0.1.", "'10.0.0.1.' is not an IPv4 address"},
		{"1000.0.0.1", "'1000.0.0.1' is not an IPv4 address"},
		{"10.0.0.0/", "'10.0.0.0/' has a malformed prefix length"},
		{"10.0.0.0/0032", "'10.0.0.0/0032' has a malformed prefix length"},
		{"10.0.0.0/8/8", "'10.0.0.0/8/8' has a malformed prefix length"},
		{"10.0.0.0/-8", "'10.0.0.0/-8': '10.0.0.0/' is not an IPv4 address"},
		{"10.0.0.300/8", "'10.0.0.300/8': '10.0.0.300' is not an IPv4 address"},
		{"10.0.0.1-10.0.0.256",
		 "'10.0.0.1-10.0.0.256': '10.0.0.256' is not an IPv4 address"},
		{"10.0.0.1-", "'10.0.0.1-': '' is not an IPv4 address"},
		{"-10.0.0.1", "'-10.0.0.1': '' is not an IPv4 address"},
		{"10.0.0.1-::1", "'10.0.0.1-::1' mixes IPv4 and IPv6"},
		{"2001:db8::g", "'2001:db8::g' is not an IPv6 address"},
		{"2001:db8:::1", "'2001:db8:::1' is not an IPv6 address"},
		{"fe80::1%eth0", "'fe80::1%eth0' is not an IPv6 address"},
		{"[2001:db8::1]", "'[2001:db8::1]' is not an IPv6 address"},
		{"2001:db8::/", "'2001:db8::/' has a malformed prefix length"},
		{"2001:db8::2-2001:db8::1", "'2001:db8::2-2001:db8::1' ends before it starts"},
		{"10.0.0.1 10.0.0.2",
		 "'10.0.0.1 10.0.0.2' is not an IPv4 or IPv6 address, prefix or range"},
		{"10.0.0.\001", "'10.0.0.?' is not an IPv4 or IPv6 address, prefix or range"},
	};
	char err[256];
	struct sw_iprange r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		char *g = tu_guard_copy(cases[i].in, len);

		memset(err, 0, sizeof(err));
		assert_int_equal(sw_iprange_parse(g, len, &r, err, sizeof(err)), SW_E_ADDR);
		if (strcmp(err, cases[i].msg) != 0)
			fail_msg("'%s': got \"%s\", want \"%s\"", cases[i].in, err, cases[i].msg);
		tu_guard_free(g, len);
	}
	/* No NUL is needed, and none is read: the entry ends at len. */
	assert_int_equal(sw_iprange_parse("10.0.0.1junk", 8, &r, err, sizeof(err)), 0);
	assert_int_equal(r.v4.lo, v4("10.0.0.1"));
	/* A NULL error buffer is fine. */
	assert_int_equal(sw_iprange_parse("x", 1, &r, NULL, 0), SW_E_ADDR);
}

/* ADDR[/LEN] to a first address and a length; the text sits right before a guard page. */
static void test_prefix_parse(void **state)
{
	static const struct {
		const char *in, *addr;
		unsigned plen;
	} ok[] = {
		{"192.0.2.7", "192.0.2.7", 32},
		{"192.0.2.7/24", "192.0.2.0", 24},
		{"0.0.0.0/0", "0.0.0.0", 0},
		{"255.255.255.255/1", "128.0.0.0", 1},
		{"10.1.2.3/31", "10.1.2.2", 31},
		{"2001:db8::1", "2001:db8::1", 128},
		{"2001:db8::1/64", "2001:db8::", 64},
		{"2001:db8:ffff:ffff:8000::1/65", "2001:db8:ffff:ffff:8000::", 65},
		{"::/0", "::", 0},
		{"ffff::1/127", "ffff::", 127},
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
		{"10.0.0.1-10.0.0.9", "'10.0.0.1-10.0.0.9' is a range: give ADDR or ADDR/PLEN"},
		{"2001:db8::1-2001:db8::9",
		 "'2001:db8::1-2001:db8::9' is a range: give ADDR or ADDR/PLEN"},
		{"10.0.0.0/33", "'10.0.0.0/33' has a prefix length above 32"},
		{"::1/129", "'::1/129' has a prefix length above 128"},
		{"10.0.0.0/", "'10.0.0.0/' has a malformed prefix length"},
		{"host.example", "'host.example' is not an IPv4 or IPv6 address, prefix or range"},
		{"", "empty entry"},
	};
	char err[256], text[SW_ENDPOINT_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i].in);
		char *g = tu_guard_copy(ok[i].in, n);
		struct sw_endpoint ep;
		uint8_t plen = 200;

		memset(&ep, 0xaa, sizeof(ep));
		assert_int_equal(sw_prefix_parse(g, n, &ep, &plen, err, sizeof(err)), 0);
		assert_int_equal(ep.port, 0);
		assert_int_equal(plen, ok[i].plen);
		assert_true(sw_addr_format(&ep, text, sizeof(text)) > 0);
		assert_string_equal(text, ok[i].addr);
		tu_guard_free(g, n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i].in);
		char *g = tu_guard_copy(bad[i].in, n);
		struct sw_endpoint ep, before;
		uint8_t plen = 200;

		memset(&ep, 0xaa, sizeof(ep));
		before = ep;
		err[0] = '\0';
		assert_int_equal(sw_prefix_parse(g, n, &ep, &plen, err, sizeof(err)), SW_E_ADDR);
		assert_string_equal(err, bad[i].msg);
		/* out-parameters are written only on success */
		assert_memory_equal(&ep, &before, sizeof(ep));
		assert_int_equal(plen, 200);
		tu_guard_free(g, n);
	}
}

static void test_quote(void **state)
{
	char big[300], out[128], want[128];

	(void)state;
	memset(big, '7', sizeof(big));
	sw_list_quote(out, sizeof(out), big, sizeof(big));
	want[0] = '\'';
	memset(want + 1, '7', 80);
	memcpy(want + 81, "...'", 5);
	assert_string_equal(out, want);
	/* A short buffer still ends with the quote and is terminated. */
	sw_list_quote(out, 10, "0123456789", 10);
	assert_string_equal(out, "'0123...'");
	sw_list_quote(out, sizeof(out), "a\tb\xff", 4);
	assert_string_equal(out, "'a?b?'");
}

static void test_merge_v4(void **state)
{
	struct sw_prefixset *s = new_set(0);
	char text[512];

	(void)state;
	add_all(s, (const char *const[]){"10.0.0.0/24", "10.0.1.0/24", "10.0.0.128/25",
					 "9.255.255.255", "192.0.2.0/24", "8.8.8.8",
					 "192.0.2.10-192.0.3.4", "8.8.8.9", NULL});
	ranges4_text(s, text, sizeof(text));
	assert_string_equal(text, "8.8.8.8-8.8.8.9 9.255.255.255-10.0.1.255 192.0.2.0-192.0.3.4");
	assert_int_equal(sw_prefixset_count4(s), 2 + 513 + 261);
	assert_int_equal(sw_prefixset_size(s), 3);
	assert_false(sw_prefixset_contains4(s, v4("9.255.255.254")));
	assert_true(sw_prefixset_contains4(s, v4("9.255.255.255")));
	assert_true(sw_prefixset_contains4(s, v4("10.0.1.255")));
	assert_false(sw_prefixset_contains4(s, v4("10.0.2.0")));
	assert_false(sw_prefixset_contains4(s, v4("8.8.8.7")));
	assert_true(sw_prefixset_contains4(s, v4("8.8.8.8")));
	assert_true(sw_prefixset_contains4(s, v4("192.0.3.4")));
	assert_false(sw_prefixset_contains4(s, v4("192.0.3.5")));
	assert_false(sw_prefixset_contains4(s, 0));
	assert_false(sw_prefixset_contains4(s, 0xffffffff));
	/* One interval that joins all three. */
	add_all(s, (const char *const[]){"8.8.8.10-192.0.1.255", NULL});
	ranges4_text(s, text, sizeof(text));
	assert_string_equal(text, "8.8.8.8-192.0.3.4");
	sw_prefixset_free(s);
}

/* The ends of the IPv4 space: no wrap when merging at 0.0.0.0 or 255.255.255.255. */
static void test_edges_v4(void **state)
{
	struct sw_prefixset *s = new_set(0);
	char text[256];

	(void)state;
	add_all(s, (const char *const[]){"255.255.255.255", "0.0.0.0", "255.255.255.0/24",
					 "0.0.0.1", NULL});
	ranges4_text(s, text, sizeof(text));
	assert_string_equal(text, "0.0.0.0-0.0.0.1 255.255.255.0-255.255.255.255");
	assert_int_equal(sw_prefixset_count4(s), 258);
	add_all(s, (const char *const[]){"0.0.0.0/0", "10.0.0.0/8", NULL});
	ranges4_text(s, text, sizeof(text));
	assert_string_equal(text, "0.0.0.0-255.255.255.255");
	assert_int_equal(sw_prefixset_count4(s), 1ULL << 32);
	assert_true(sw_prefixset_contains4(s, 0));
	assert_true(sw_prefixset_contains4(s, 0xffffffff));
	sw_prefixset_free(s);
}

static void test_merge_v6(void **state)
{
	struct sw_prefixset *s = new_set(0);
	struct sw_endpoint ep;
	uint8_t b[16];
	char text[512];

	(void)state;
	add_all(s, (const char *const[]){"2001:db8::/127", "2001:db8::2", "2001:db8::10/124", "::1",
					 "2001:db8::3-2001:db8::f", "::", NULL});
	ranges6_text(s, text, sizeof(text));
	assert_string_equal(text, "::-::1 2001:db8::-2001:db8::1f");
	assert_u128(sw_prefixset_count6(s), 0, 2 + 32);
	assert_int_equal(sw_prefixset_count4(s), 0);
	assert_true(sw_prefixset_contains6(s, v6("2001:db8::1f")));
	assert_false(sw_prefixset_contains6(s, v6("2001:db8::20")));
	assert_false(sw_prefixset_contains6(s, v6("::2")));
	/* Across the 64-bit boundary: ...:ffff:ffff:ffff:ffff then the next /64. */
	add_all(s, (const char *const[]){"2001:db8:0:1::/64", "2001:db8:0:2::", NULL});
	ranges6_text(s, text, sizeof(text));
	assert_string_equal(text, "::-::1 2001:db8::-2001:db8::1f 2001:db8:0:1::-2001:db8:0:2::");
	assert_u128(sw_prefixset_count6(s), 1, 2 + 32 + 1);
	/* Endpoints: family picks the array, the port is ignored. */
	sw_u128_to_bytes(v6("2001:db8:0:1:ffff::"), b);
	sw_endpoint_set_v6(&ep, b, 5060);
	assert_true(sw_prefixset_contains(s, &ep));
	sw_endpoint_set_v4(&ep, (const uint8_t[]){0, 0, 0, 1}, 0);
	assert_false(sw_prefixset_contains(s, &ep));
	sw_prefixset_free(s);
}

static void test_count6(void **state)
{
	struct sw_prefixset *s = new_set(0);

	(void)state;
	add_all(s, (const char *const[]){"2001:db8::/63", NULL});
	assert_u128(sw_prefixset_count6(s), 2, 0);
	add_all(s, (const char *const[]){"fc00::/7", NULL});
	assert_u128(sw_prefixset_count6(s), (1ULL << 57) + 2, 0);
	/* 2^127 + 2^127 = 2^128: saturates. */
	add_all(s, (const char *const[]){"::/1", "8000::/1", NULL});
	assert_u128(sw_prefixset_count6(s), UINT64_MAX, UINT64_MAX);
	sw_prefixset_free(s);
	s = new_set(0);
	add_all(s, (const char *const[]){"::/0", NULL});
	assert_u128(sw_prefixset_count6(s), UINT64_MAX, UINT64_MAX);
	assert_true(sw_prefixset_contains6(s, (struct sw_u128){UINT64_MAX, UINT64_MAX}));
	sw_prefixset_free(s);
	s = new_set(0);
	add_all(s, (const char *const[]){"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120",
					 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fe00/120", NULL});
	assert_int_equal(sw_prefixset_size(s), 1);
	assert_u128(sw_prefixset_count6(s), 0, 512);
	sw_prefixset_free(s);
}

static void test_subtract_edges(void **state)
{
	struct sw_prefixset *s = new_set(0), *m = new_set(0);
	char text[512];

	(void)state;
	add_all(s, (const char *const[]){"10.0.0.0/24", "10.0.2.0/24", "10.0.4.0/24", "10.0.6.0/24",
					 "10.0.8.0/24", NULL});
	add_all(m, (const char *const[]){/* first and last address of the first interval */
					 "10.0.0.0", "10.0.0.255",
					 /* a hole, and one touching it (merged in m) */
					 "10.0.0.10-10.0.0.20", "10.0.0.21",
					 /* across the gap between two intervals */
					 "10.0.2.250-10.0.4.5",
					 /* exactly one interval */
					 "10.0.6.0/24",
					 /* only the gaps */
					 "10.0.7.0/24", "10.0.9.0/24", NULL});
	assert_int_equal(sw_prefixset_subtract(s, m), 0);
	ranges4_text(s, text, sizeof(text));
	assert_string_equal(text, "10.0.0.1-10.0.0.9 10.0.0.22-10.0.0.254 10.0.2.0-10.0.2.249 "
				  "10.0.4.6-10.0.4.255 10.0.8.0-10.0.8.255");
	assert_int_equal(sw_prefixset_count4(s), 9 + 233 + 250 + 250 + 256);
	/* m is unchanged; subtracting it again changes nothing. */
	assert_int_equal(sw_prefixset_subtract(s, m), 0);
	assert_int_equal(sw_prefixset_count4(s), 9 + 233 + 250 + 250 + 256);
	/* Inserting works on after a subtraction. */
	add_all(s, (const char *const[]){"10.0.0.0", NULL});
	assert_int_equal(sw_prefixset_count4(s), 9 + 233 + 250 + 250 + 256 + 1);
	sw_prefixset_free(m);
	/* Everything minus everything. */
	m = new_set(0);
	add_all(m, (const char *const[]){"0.0.0.0/0", "::/0", NULL});
	assert_int_equal(sw_prefixset_subtract(s, m), 0);
	assert_int_equal(sw_prefixset_size(s), 0);
	sw_prefixset_free(s);
	sw_prefixset_free(m);
}

static void test_subtract_space_ends(void **state)
{
	struct sw_prefixset *s = new_set(0), *m = new_set(0);
	char text[512];

	(void)state;
	add_all(s, (const char *const[]){"0.0.0.0/0", "::/0", NULL});
	add_all(m, (const char *const[]){"0.0.0.0", "255.255.255.255",
					 "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
					 "::1:0:0:0-::2:0:0:0", NULL});
	assert_int_equal(sw_prefixset_subtract(s, m), 0);
	ranges4_text(s, text, sizeof(text));
	assert_string_equal(text, "0.0.0.1-255.255.255.254");
	ranges6_text(s, text, sizeof(text));
	assert_string_equal(
		text,
		"::1-::ffff:255.255.255.255 ::2:0:0:1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	assert_int_equal(sw_prefixset_count4(s), (1ULL << 32) - 2);
	assert_u128(sw_prefixset_count6(s), UINT64_MAX, UINT64_MAX - 2 - (1ULL << 48));
	sw_prefixset_free(s);
	sw_prefixset_free(m);
}

static uint64_t rng_state;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/*
 * Random intervals in a 512-address window of each family against a plain bitmap: merging in
 * any order, membership and subtraction must agree with it address by address. The window sits
 * at the top of the IPv4 space and across a 64-bit boundary of the IPv6 space, where carries
 * and wraps would show.
 */
static void test_random_vs_bitmap(void **state)
{
	const uint32_t base4 = 0xffffffff - 511;
	const struct sw_u128 base6 = {0x20010db800000000ULL, UINT64_MAX - 255};

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 200; round++) {
		struct sw_prefixset *s = new_set(0), *m = new_set(0);
		bool in[512] = {false}, out[512] = {false};
		int nins = 1 + (int)(rng() % 12), nsub = (int)(rng() % 8);
		uint64_t want = 0;

		for (int k = 0; k < nins + nsub; k++) {
			uint32_t lo = rng() % 512, len = rng() % (k % 3 ? 8 : 100);
			uint32_t hi = lo + len > 511 ? 511 : lo + len;
			struct sw_iprange r4 = {.family = AF_INET}, r6 = {.family = AF_INET6};

			r4.v4.lo = base4 + lo;
			r4.v4.hi = base4 + hi;
			r6.v6.lo = sw_u128_add64(base6, lo);
			r6.v6.hi = sw_u128_add64(base6, hi);
			assert_int_equal(sw_prefixset_insert(k < nins ? s : m, &r4), 0);
			assert_int_equal(sw_prefixset_insert(k < nins ? s : m, &r6), 0);
			for (uint32_t x = lo; x <= hi; x++)
				(k < nins ? in : out)[x] = true;
			/* Query now and then so later inserts hit a clean array too. */
			if (rng() % 4 == 0)
				(void)sw_prefixset_contains4(s, base4);
		}
		for (uint32_t x = 0; x < 512; x++) {
			assert_int_equal(sw_prefixset_contains4(s, base4 + x), in[x]);
			assert_int_equal(sw_prefixset_contains6(s, sw_u128_add64(base6, x)), in[x]);
		}
		assert_int_equal(sw_prefixset_subtract(s, m), 0);
		for (uint32_t x = 0; x < 512; x++) {
			bool w = in[x] && !out[x];
			want += w;
			if (sw_prefixset_contains4(s, base4 + x) != w)
				fail_msg("round %d: IPv4 offset %u: want %d", round, x, w);
			if (sw_prefixset_contains6(s, sw_u128_add64(base6, x)) != w)
				fail_msg("round %d: IPv6 offset %u: want %d", round, x, w);
		}
		assert_int_equal(sw_prefixset_count4(s), want);
		assert_u128(sw_prefixset_count6(s), 0, want);
		assert_false(sw_prefixset_contains4(s, base4 - 1));
		assert_false(sw_prefixset_contains6(s, sw_u128_add64(base6, 512)));
		sw_prefixset_free(s);
		sw_prefixset_free(m);
	}
}

static void test_cap(void **state)
{
	struct sw_prefixset *s = new_set(4), *m = new_set(0);
	char err[256];

	(void)state;
	add_all(s, (const char *const[]){"10.0.0.1", "10.0.0.3", "2001:db8::1", "10.0.0.5", NULL});
	assert_int_equal(sw_prefixset_add(s, "10.0.0.7", 8, err, sizeof(err)), SW_E_LIMIT);
	assert_string_equal(err, "too many entries: the list is capped at 4 disjoint ranges");
	assert_int_equal(sw_prefixset_add(s, "2001:db8::9", 11, err, sizeof(err)), SW_E_LIMIT);
	/* At the cap, what merges into the set still goes in, out of order too. */
	add_all(s, (const char *const[]){"10.0.0.1", "10.0.0.4", "2001:db8::2", "10.0.0.0", NULL});
	assert_int_equal(sw_prefixset_size(s), 3);
	assert_int_equal(sw_prefixset_count4(s), 2 + 3);
	/* That made room for one more. */
	add_all(s, (const char *const[]){"10.0.0.9", NULL});
	assert_int_equal(sw_prefixset_add(s, "10.0.0.11", 9, err, sizeof(err)), SW_E_LIMIT);
	/* Joining two intervals at the cap frees a slot. */
	add_all(s, (const char *const[]){"10.0.0.6-10.0.0.8", "10.0.0.11", NULL});
	assert_int_equal(sw_prefixset_size(s), 4);
	/* A subtraction whose pieces pass the cap fails and leaves the set as it was. */
	add_all(m, (const char *const[]){"10.0.0.2", "10.0.0.7", NULL});
	assert_int_equal(sw_prefixset_subtract(s, m), SW_E_LIMIT);
	assert_int_equal(sw_prefixset_size(s), 4);
	assert_int_equal(sw_prefixset_count4(s), 2 + 7 + 1);
	sw_prefixset_free(s);
	sw_prefixset_free(m);
}

/* A file in a fresh directory under /tmp; *dir gets the directory to remove afterwards. */
static char *write_tmp(const char *name, const char *data, size_t len, char dir[64])
{
	char *path = malloc(256);
	FILE *f;

	snprintf(dir, 64, "/tmp/sw_prefix_XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, 256, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void rm_tmp(char *path, const char *dir)
{
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_load_file(void **state)
{
	static const char text[] = "# exclusions\n"
				   "\n"
				   "10.0.0.0/8   # private\n"
				   "  192.0.2.1\t\r\n"
				   "#192.0.2.2\n"
				   "198.51.100.0-198.51.100.9#tight comment\n"
				   "   # indented comment\n"
				   "2001:db8::/32\n"
				   "\t\n"
				   "203.0.113.5"; /* no final newline */
	char dir[64], err[512];
	char *path = write_tmp("exclude.conf", text, sizeof(text) - 1, dir);
	struct sw_prefixset *s = new_set(0), *b = new_set(0);
	char t1[512], t2[512];

	(void)state;
	assert_int_equal(sw_prefixset_load(s, path, err, sizeof(err)), 0);
	ranges4_text(s, t1, sizeof(t1));
	assert_string_equal(t1, "10.0.0.0-10.255.255.255 192.0.2.1-192.0.2.1 "
				"198.51.100.0-198.51.100.9 203.0.113.5-203.0.113.5");
	ranges6_text(s, t1, sizeof(t1));
	assert_string_equal(t1, "2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	/* The same text from memory gives the same set. */
	assert_int_equal(sw_prefixset_load_buf(b, "mem", text, sizeof(text) - 1, err, sizeof(err)),
			 0);
	ranges4_text(b, t2, sizeof(t2));
	ranges4_text(s, t1, sizeof(t1));
	assert_string_equal(t1, t2);
	rm_tmp(path, dir);
	sw_prefixset_free(s);
	sw_prefixset_free(b);
}

/* Load a literal as a file named name and expect code and "<path>:<rest>". */
#define LOAD_FAILS(name, lit, code, rest) load_fails(name, lit, sizeof(lit) - 1, code, rest)

static void load_fails(const char *name, const char *text, size_t len, int code, const char *rest)
{
	char dir[64], err[512], want[512];
	char *path = write_tmp(name, text, len, dir);
	struct sw_prefixset *s = new_set(0);

	assert_int_equal(sw_prefixset_load(s, path, err, sizeof(err)), code);
	snprintf(want, sizeof(want), "%s:%s", path, rest);
	assert_string_equal(err, want);
	/* The in-memory reader says the same, with the name it is given. */
	assert_int_equal(sw_prefixset_load_buf(s, path, text, len, err, sizeof(err)), code);
	assert_string_equal(err, want);
	rm_tmp(path, dir);
	sw_prefixset_free(s);
}

static void test_load_errors(void **state)
{
	char big[1100 + 32];

	(void)state;
	LOAD_FAILS("targets.txt",
		   "10.0.0.1\n# c\n\n10.0.0.2\n10.0.0.3\n10.0.0.4\n10.0.0.5\n10.0.0.6\n10.0.0.7\n"
		   "10.0.0.8\n10.0.0.9\n10.0.0.300 # bad\n10.0.0.10\n",
		   SW_E_ADDR, "12: '10.0.0.300' is not an IPv4 address");
	LOAD_FAILS("x.conf", "10.0.0.0/33\n", SW_E_ADDR,
		   "1: '10.0.0.0/33' has a prefix length above 32");
	LOAD_FAILS("x.conf", "# ok\n10.0.0.5-10.0.0.1\n", SW_E_ADDR,
		   "2: '10.0.0.5-10.0.0.1' ends before it starts");
	LOAD_FAILS("x.conf", "::1/129 # v6\n", SW_E_ADDR,
		   "1: '::1/129' has a prefix length above 128");
	LOAD_FAILS("x.conf", "10.0.0.1\nwhat is this\n", SW_E_ADDR,
		   "2: 'what is this' is not an IPv4 or IPv6 address, prefix or range");
	LOAD_FAILS("x.conf", "10.0.0.1\n\n  \x01x\x02\n", SW_E_ADDR,
		   "3: '?x?' is not an IPv4 or IPv6 address, prefix or range");
	LOAD_FAILS("x.conf", "10.0.0.1\n10.0\0.2\n", SW_E_SYNTAX, "2: NUL byte in line");
	/* A line of exactly 1024 bytes is read (here all comment): the error is on line 2. */
	memset(big, ' ', sizeof(big));
	big[0] = '#';
	big[1024] = '\n';
	memcpy(big + 1025, "10.0.0.300\n", 11);
	load_fails("x.conf", big, 1036, SW_E_ADDR, "2: '10.0.0.300' is not an IPv4 address");
}

static void test_load_errors_long(void **state)
{
	char big[2100];

	(void)state;
	memset(big, ' ', sizeof(big));
	memcpy(big, "10.0.0.1\n", 9);
	big[9] = '#';
	big[9 + 1025] = '\n';
	load_fails("x.conf", big, 9 + 1026, SW_E_LIMIT, "2: line longer than 1024 bytes");
	/* Garbage without any newline at all. */
	memset(big, 'x', sizeof(big));
	load_fails("x.conf", big, sizeof(big), SW_E_LIMIT, "1: line longer than 1024 bytes");
}

static void test_load_missing(void **state)
{
	struct sw_prefixset *s = new_set(0);
	char err[256];

	(void)state;
	assert_int_equal(sw_prefixset_load(s, "/nonexistent/sw/exclude.conf", err, sizeof(err)),
			 SW_E_IO);
	assert_string_equal(
		err, "cannot open '/nonexistent/sw/exclude.conf': No such file or directory");
	sw_prefixset_free(s);
}

static void test_default_matches_file(void **state)
{
	size_t flen, elen;
	char *file = tu_read_file(CONF_DEFAULT, &flen);
	const char *emb = sw_exclude_default_text(&elen);

	(void)state;
	if (flen != elen || memcmp(file, emb, flen) != 0) {
		size_t i = 0;
		while (i < flen && i < elen && file[i] == emb[i])
			i++;
		fail_msg("src/net/exclude_default.c differs from conf/exclude-default.conf at byte "
			 "%zu (file %zu bytes, embedded %zu): regenerate the literal",
			 i, flen, elen);
	}
	free(file);
}

/* Every entry line of the shipped list names its RFC in a trailing comment. */
static void test_default_lines_cite_rfc(void **state)
{
	size_t len, entries = 0;
	const char *t = sw_exclude_default_text(&len), *end = t + len;

	(void)state;
	while (t < end) {
		const char *nl = memchr(t, '\n', (size_t)(end - t));
		size_t n = nl ? (size_t)(nl - t) : (size_t)(end - t);
		char line[256];

		assert_true(n < sizeof(line));
		memcpy(line, t, n);
		line[n] = '\0';
		if (n && line[0] != '#') {
			const char *hash = strchr(line, '#');
			if (!hash || !strstr(hash, "# RFC "))
				fail_msg("no RFC cited: %s", line);
			entries++;
		}
		t += n + 1;
	}
	assert_int_equal(entries, 34);
}

/* The default IPv4 blocks, written out here independently of the list's text. */
static const struct {
	uint32_t base;
	unsigned len;
} default4[] = {
	{0x00000000, 8},  {0x0a000000, 8},  {0x64400000, 10}, {0x7f000000, 8},  {0xa9fe0000, 16},
	{0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24}, {0xc01fc400, 24}, {0xc034c100, 24},
	{0xc0586300, 24}, {0xc0a80000, 16}, {0xc0af3000, 24}, {0xc6120000, 15}, {0xc6336400, 24},
	{0xcb007100, 24}, {0xe0000000, 4},  {0xf0000000, 4},  {0xffffffff, 32},
};

/*
 * Addresses the default IPv4 blocks cover: CIDR blocks are either nested or disjoint, so the
 * union is the sum over the blocks not inside another one.
 */
static uint64_t default4_covered(void)
{
	size_t n = sizeof(default4) / sizeof(default4[0]);
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		bool nested = false;
		for (size_t j = 0; j < n && !nested; j++) {
			uint32_t mask = default4[j].len ? 0xffffffffu << (32 - default4[j].len) : 0;
			nested = j != i && default4[j].len < default4[i].len &&
				 (default4[i].base & mask) == default4[j].base;
		}
		if (!nested)
			sum += 1ULL << (32 - default4[i].len);
	}
	return sum;
}

static void test_default_counts(void **state)
{
	/* The IPv6 blocks as prefix lengths; none nests in another. */
	static const unsigned len6[] = {128, 128, 96, 96, 48, 64, 23, 32, 16, 48, 20, 16, 7, 10, 8};
	struct sw_prefixset *s = new_set(0);
	unsigned __int128 sum6 = 0;
	char err[256] = "";
	uint64_t covered = default4_covered();

	(void)state;
	assert_int_equal(sw_exclude_default(s, err, sizeof(err)), 0);
	/* By hand: three /8s, two /4s, a /10, /12, /15, two /16s and eight /24s. */
	assert_int_equal(covered, 3 * (1ULL << 24) + 2 * (1ULL << 28) + (1ULL << 22) +
					  (1ULL << 20) + (1ULL << 17) + 2 * (1ULL << 16) + 8 * 256);
	assert_int_equal(sw_prefixset_count4(s), covered);
	assert_int_equal(sw_prefixset_count4(s), 592709632);
	for (size_t i = 0; i < sizeof(len6) / sizeof(len6[0]); i++)
		sum6 += (unsigned __int128)1 << (128 - len6[i]);
	assert_u128(sw_prefixset_count6(s), (uint64_t)(sum6 >> 64), (uint64_t)sum6);
	sw_prefixset_free(s);
}

static void test_default_contains(void **state)
{
	static const struct {
		const char *a;
		bool in;
	} cases[] = {
		{"0.0.0.0", true},
		{"0.255.255.255", true},
		{"1.0.0.0", false},
		{"8.8.8.8", false},
		{"10.1.2.3", true},
		{"100.63.255.255", false},
		{"100.64.0.0", true},
		{"100.127.255.255", true},
		{"100.128.0.0", false},
		{"127.0.0.1", true},
		{"172.15.255.255", false},
		{"172.16.0.0", true},
		{"172.31.255.255", true},
		{"172.32.0.0", false},
		{"192.0.1.255", false},
		{"192.0.2.1", true},
		{"192.88.99.1", true},
		{"192.168.1.1", true},
		{"198.17.255.255", false},
		{"198.19.255.255", true},
		{"198.20.0.0", false},
		{"203.0.113.99", true},
		{"223.255.255.255", false},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::", true},
		{"::1", true},
		{"::2", false},
		{"::ffff:8.8.8.8", true},
		{"64:ff9b::808:808", true},
		{"2001:db8::1", true},
		{"2001:200::1", false},
		{"2001:1ff::1", true},
		{"2001:4860::8888", false},
		{"2002:c000:201::1", true},
		{"2606:4700::1", false},
		{"fbff::1", false},
		{"fc00::1", true},
		{"fdff::1", true},
		{"fe00::1", false},
		{"fe80::1", true},
		{"febf::1", true},
		{"fec0::1", false},
		{"ff02::1", true},
		{"3fff:fff::1", true},
		{"3fff:1000::1", false},
		{"5f00:1::1", true},
		{"2620:4f:8000::53", true},
	};
	struct sw_prefixset *s = new_set(0);
	char err[256];

	(void)state;
	assert_int_equal(sw_exclude_default(s, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = strchr(cases[i].a, ':') ? sw_prefixset_contains6(s, v6(cases[i].a)) :
						     sw_prefixset_contains4(s, v4(cases[i].a));
		if (got != cases[i].in)
			fail_msg("%s: got %d, want %d", cases[i].a, got, cases[i].in);
	}
	sw_prefixset_free(s);
}

/* A cap too small for the default list: the message names the built-in list and its line. */
static void test_default_cap(void **state)
{
	struct sw_prefixset *s = new_set(2);
	char err[256];

	(void)state;
	assert_int_equal(sw_exclude_default(s, err, sizeof(err)), SW_E_LIMIT);
	assert_string_equal(err, "exclude-default.conf (built in):24: too many entries: the list "
				 "is capped at 2 disjoint ranges");
	sw_prefixset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u128_bytes),
		cmocka_unit_test(test_parse_v4),
		cmocka_unit_test(test_parse_v6),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_merge_v4),
		cmocka_unit_test(test_edges_v4),
		cmocka_unit_test(test_merge_v6),
		cmocka_unit_test(test_count6),
		cmocka_unit_test(test_subtract_edges),
		cmocka_unit_test(test_subtract_space_ends),
		cmocka_unit_test(test_random_vs_bitmap),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_errors_long),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_default_matches_file),
		cmocka_unit_test(test_default_lines_cite_rfc),
		cmocka_unit_test(test_default_counts),
		cmocka_unit_test(test_default_contains),
		cmocka_unit_test(test_default_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
