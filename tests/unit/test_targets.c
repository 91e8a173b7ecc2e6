/*
 * Tests of scan/targets: target syntax and exact error messages, target files with file:line
 * messages, the IPv6 size cap, exclusions subtracted at interval edges, the whole IPv4 space
 * minus the default list, index -> address bijections checked index by index against a plain
 * model, port lists, the targets x ports index, and host names (only "localhost" goes to the
 * system resolver; every other name goes to a fake one, so no test sends a DNS query).
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
#include "scan/targets.h"
#include "testutil.h"

static struct sw_targets *new_targets(void)
{
	struct sw_targets *t = NULL;

	assert_int_equal(sw_targets_new(&t), 0);
	return t;
}

/* Targets are added from copies that end where an unmapped page begins. */
static void add_ok(struct sw_targets *t, const char *arg)
{
	size_t len = strlen(arg);
	char err[512] = "", *g = tu_guard_copy(arg, len);

	if (sw_targets_add(t, g, len, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", arg, err);
	tu_guard_free(g, len);
}

static void add_fails(struct sw_targets *t, const char *arg, int code, const char *msg)
{
	size_t len = strlen(arg);
	char err[512] = "", *g = tu_guard_copy(arg, len);
	int rc = sw_targets_add(t, g, len, err, sizeof(err));

	if (rc != code || strcmp(err, msg) != 0)
		fail_msg("'%s': got %d \"%s\", want %d \"%s\"", arg, rc, err, code, msg);
	tu_guard_free(g, len);
}

static struct sw_prefixset *set_of(const char *const *entries)
{
	struct sw_prefixset *s = NULL;
	char err[256];

	assert_int_equal(sw_prefixset_new(0, &s), 0);
	for (; *entries; entries++)
		if (sw_prefixset_add(s, *entries, strlen(*entries), err, sizeof(err)) != 0)
			fail_msg("'%s': %s", *entries, err);
	return s;
}

static void finish_ok(struct sw_targets *t, struct sw_prefixset *excl)
{
	char err[256] = "";

	if (sw_targets_finish(t, excl, err, sizeof(err)) != 0)
		fail_msg("finish: %s", err);
}

/* The address of index i as text. */
static const char *addr_at(const struct sw_targets *t, uint64_t i)
{
	static char buf[SW_ADDR_STRLEN];
	struct sw_endpoint ep;

	assert_int_equal(sw_targets_get(t, i, &ep), 0);
	assert_int_equal(ep.port, 0);
	sw_addr_format(&ep, buf, sizeof(buf));
	return buf;
}

/* A fake resolver: knows a few names, counts calls, never touches the network. */
struct fake_dns {
	int calls;
	char last[300];
};

static int fake_resolve(void *ctx, const char *name, struct sw_endpoint *ret, size_t max,
			size_t *ret_n, char *err, size_t errlen)
{
	struct fake_dns *d = ctx;
	uint8_t a6[16];

	d->calls++;
	snprintf(d->last, sizeof(d->last), "%s", name);
	if (strcmp(name, "sip.example") == 0) {
		assert_true(max >= 3);
		sw_endpoint_set_v4(&ret[0], (const uint8_t[]){192, 0, 2, 10}, 0);
		inet_pton(AF_INET6, "2001:db8::10", a6);
		sw_endpoint_set_v6(&ret[1], a6, 0);
		sw_endpoint_set_v4(&ret[2], (const uint8_t[]){192, 0, 2, 10}, 0); /* repeated */
		*ret_n = 3;
		return 0;
	}
	if (strcmp(name, "dup.example.") == 0) {
		sw_endpoint_set_v4(&ret[0], (const uint8_t[]){192, 0, 2, 11}, 0);
		*ret_n = 1;
		return 0;
	}
	snprintf(err, errlen, "Name or service not known");
	return SW_E_RESOLVE;
}

static void test_forms(void **state)
{
	struct sw_targets *t = new_targets();
	static const char *const want[] = {
		"192.0.2.0",    "192.0.2.1",    "192.0.2.2",    "192.0.2.3",
		"198.51.100.1", "198.51.100.2", "198.51.100.3", "2001:db8::",
		"2001:db8::1",  "2001:db8::2",  "2001:db8::3",  "2001:db8::1:0",
	};

	(void)state;
	add_ok(t, "2001:db8::1");
	add_ok(t, "198.51.100.1-198.51.100.3");
	add_ok(t, "192.0.2.1");
	add_ok(t, "192.0.2.0/30");
	add_ok(t, "2001:db8::/126");
	add_ok(t, "2001:db8::1:0-2001:db8::1:0");
	assert_int_equal(sw_targets_count(t), 0); /* nothing before finish */
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_count(t), 12);
	assert_int_equal(sw_targets_excluded(t), 0);
	for (uint64_t i = 0; i < 12; i++)
		assert_string_equal(addr_at(t, i), want[i]);
	sw_targets_free(t);
}

static void test_errors(void **state)
{
	struct sw_targets *t = new_targets();
	struct fake_dns dns = {0};
	char long_name[300];

	(void)state;
	sw_targets_set_resolver(t, fake_resolve, &dns);
	add_fails(t, "10.0.0.300", SW_E_ADDR, "'10.0.0.300' is not an IPv4 address");
	add_fails(t, "10.0.0.0/33", SW_E_ADDR, "'10.0.0.0/33' has a prefix length above 32");
	add_fails(t, "10.0.0.5-10.0.0.1", SW_E_ADDR, "'10.0.0.5-10.0.0.1' ends before it starts");
	add_fails(t, "::1/129", SW_E_ADDR, "'::1/129' has a prefix length above 128");
	add_fails(t, "", SW_E_ADDR, "empty target");
	add_fails(t, "300", SW_E_ADDR, "'300' is not an IPv4 address");
	add_fails(t, "10.0.0.1/8x", SW_E_ADDR,
		  "'10.0.0.1/8x' is not an address, prefix, range or host name");
	add_fails(t, "sip server", SW_E_ADDR,
		  "'sip server' is not an address, prefix, range or host name");
	add_fails(t, "-sip.example", SW_E_ADDR,
		  "'-sip.example' is not an address, prefix, range or host name");
	add_fails(t, "sip-.example", SW_E_ADDR,
		  "'sip-.example' is not an address, prefix, range or host name");
	add_fails(t, "sip..example", SW_E_ADDR,
		  "'sip..example' is not an address, prefix, range or host name");
	add_fails(t, "sip@example", SW_E_ADDR,
		  "'sip@example' is not an address, prefix, range or host name");
	add_fails(t, "2001:db8::zz", SW_E_ADDR, "'2001:db8::zz' is not an IPv6 address");
	/* A 254-byte name is too long for DNS; the quote is cut at 80 bytes. */
	memset(long_name, 'a', sizeof(long_name));
	for (int i = 63; i < 254; i += 64)
		long_name[i] = '.';
	long_name[254] = '\0';
	{
		char want[256] = "'";
		memcpy(want + 1, long_name, 80);
		snprintf(want + 81, sizeof(want) - 81,
			 "...' is not an address, prefix, range or host name");
		add_fails(t, long_name, SW_E_ADDR, want);
		assert_int_equal(dns.calls, 0);
		/* 253 bytes is a valid name: it goes to the (fake) resolver. */
		long_name[253] = '\0';
		snprintf(want + 81, sizeof(want) - 81,
			 "...' does not resolve: Name or service not known");
		add_fails(t, long_name, SW_E_RESOLVE, want);
		assert_int_equal(dns.calls, 1);
	}
	sw_targets_free(t);
}

static void test_names_fake(void **state)
{
	struct sw_targets *t = new_targets();
	struct fake_dns dns = {0};

	(void)state;
	sw_targets_set_resolver(t, fake_resolve, &dns);
	add_ok(t, "sip.example");
	assert_string_equal(dns.last, "sip.example");
	add_ok(t, "dup.example.");
	add_ok(t, "192.0.2.11");
	add_fails(t, "nxdomain.example", SW_E_RESOLVE,
		  "'nxdomain.example' does not resolve: Name or service not known");
	assert_int_equal(dns.calls, 3);
	/* Malformed addresses and names never reach the resolver. */
	add_fails(t, "10.0.0.300", SW_E_ADDR, "'10.0.0.300' is not an IPv4 address");
	add_fails(t, "bad_name!", SW_E_ADDR,
		  "'bad_name!' is not an address, prefix, range or host name");
	assert_int_equal(dns.calls, 3);
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_count(t), 3);
	assert_string_equal(addr_at(t, 0), "192.0.2.10");
	assert_string_equal(addr_at(t, 1), "192.0.2.11");
	assert_string_equal(addr_at(t, 2), "2001:db8::10");
	sw_targets_free(t);
}

/* The one name the tests give the system resolver: it comes from /etc/hosts, no query leaves. */
static void test_localhost(void **state)
{
	struct sw_targets *t = new_targets();
	uint64_t n;

	(void)state;
	add_ok(t, "localhost");
	finish_ok(t, NULL);
	n = sw_targets_count(t);
	assert_true(n >= 1 && n <= 2);
	for (uint64_t i = 0; i < n; i++) {
		const char *a = addr_at(t, i);
		if (strcmp(a, "127.0.0.1") != 0 && strcmp(a, "::1") != 0)
			fail_msg("localhost resolved to %s", a);
	}
	sw_targets_free(t);
}

static void test_duplicates_once(void **state)
{
	struct sw_targets *t = new_targets();

	(void)state;
	add_ok(t, "192.0.2.1");
	add_ok(t, "192.0.2.1");
	add_ok(t, "192.0.2.5-192.0.2.10");
	add_ok(t, "192.0.2.0/24");
	add_ok(t, "192.0.2.128/25");
	add_ok(t, "192.0.2.255");
	add_ok(t, "2001:db8::1");
	add_ok(t, "2001:db8::/127");
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_count(t), 256 + 2);
	sw_targets_free(t);
}

static void test_v6_cap(void **state)
{
	struct sw_targets *t = new_targets();

	(void)state;
	add_ok(t, "2001:db8::/112");
	add_ok(t, "2001:db8:1::-2001:db8:1::ffff");
	add_fails(t, "2001:db8::/111", SW_E_V6_TOO_BIG,
		  "'2001:db8::/111' holds more than 65536 addresses (the IPv6 cap is /112): the "
		  "IPv6 space cannot be swept, so list addresses or prefixes of /112 or longer");
	add_fails(t, "2001:db8:2::-2001:db8:2::1:0", SW_E_V6_TOO_BIG,
		  "'2001:db8:2::-2001:db8:2::1:0' holds more than 65536 addresses (the IPv6 cap "
		  "is /112): the IPv6 space cannot be swept, so list addresses or prefixes of /112 "
		  "or longer");
	add_fails(t, "::/0", SW_E_V6_TOO_BIG,
		  "'::/0' holds more than 65536 addresses (the IPv6 cap is /112): the IPv6 space "
		  "cannot be swept, so list addresses or prefixes of /112 or longer");
	/* A range across a 64-bit boundary is measured in 128 bits. */
	add_fails(t, "2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::ffff", SW_E_V6_TOO_BIG,
		  "'2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::ffff' holds more than 65536 "
		  "addresses (the IPv6 cap is /112): the IPv6 space cannot be swept, so list "
		  "addresses or prefixes of /112 or longer");
	add_ok(t, "2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::fffe");
	/* The IPv4 space is never capped. */
	add_ok(t, "0.0.0.0/0");
	assert_int_equal(sw_targets_set_v6_cap(t, 95), SW_E_RANGE);
	assert_int_equal(sw_targets_set_v6_cap(t, 129), SW_E_RANGE);
	assert_int_equal(sw_targets_set_v6_cap(t, 120), 0);
	add_fails(t, "2001:db8:3::/112", SW_E_V6_TOO_BIG,
		  "'2001:db8:3::/112' holds more than 256 addresses (the IPv6 cap is /120): the "
		  "IPv6 space cannot be swept, so list addresses or prefixes of /120 or longer");
	add_ok(t, "2001:db8:3::/120");
	assert_int_equal(sw_targets_set_v6_cap(t, 128), 0);
	add_fails(t, "2001:db8:4::/127", SW_E_V6_TOO_BIG,
		  "'2001:db8:4::/127' holds more than 1 addresses (the IPv6 cap is /128): the "
		  "IPv6 space cannot be swept, so list addresses or prefixes of /128 or longer");
	add_ok(t, "2001:db8:4::");
	assert_int_equal(sw_targets_set_v6_cap(t, 96), 0);
	add_ok(t, "2001:db8:5::/96");
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_count(t),
			 (1ULL << 32) + 65536 + 65536 + 65536 + 256 + 1 + (1ULL << 32));
	sw_targets_free(t);
}

static void test_exclude_edges(void **state)
{
	struct sw_targets *t = new_targets();
	struct sw_prefixset *x = set_of((const char *const[]){
		"10.0.0.0", "10.0.0.255", "10.0.0.100-10.0.0.199", "10.0.1.0/24",
		"2001:db8::", "2001:db8::3", "192.0.2.0/24", NULL});
	struct sw_endpoint ep;

	(void)state;
	add_ok(t, "10.0.0.0/24");
	add_ok(t, "2001:db8::/126");
	finish_ok(t, x);
	assert_int_equal(sw_targets_count(t), 154 + 2);
	assert_int_equal(sw_targets_excluded(t), 102 + 2);
	assert_string_equal(addr_at(t, 0), "10.0.0.1");
	assert_string_equal(addr_at(t, 98), "10.0.0.99");
	assert_string_equal(addr_at(t, 99), "10.0.0.200");
	assert_string_equal(addr_at(t, 153), "10.0.0.254");
	assert_string_equal(addr_at(t, 154), "2001:db8::1");
	assert_string_equal(addr_at(t, 155), "2001:db8::2");
	assert_int_equal(sw_targets_get(t, 156, &ep), SW_E_RANGE);
	assert_int_equal(sw_targets_get(t, UINT64_MAX, &ep), SW_E_RANGE);
	/* The exclusion set is only read. */
	assert_int_equal(sw_prefixset_count4(x), 1 + 1 + 100 + 256 + 256);
	sw_prefixset_free(x);
	sw_targets_free(t);
}

/* Everything excluded: an empty scan space, not an error. */
static void test_exclude_all(void **state)
{
	struct sw_targets *t = new_targets();
	struct sw_prefixset *x = set_of((const char *const[]){"192.0.2.0/24", NULL});
	struct sw_endpoint ep;

	(void)state;
	add_ok(t, "192.0.2.64/26");
	finish_ok(t, x);
	assert_int_equal(sw_targets_count(t), 0);
	assert_int_equal(sw_targets_excluded(t), 64);
	assert_int_equal(sw_targets_get(t, 0, &ep), SW_E_RANGE);
	sw_prefixset_free(x);
	sw_targets_free(t);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

/*
 * 0.0.0.0/0 minus the default list. The covered count is worked out here from the blocks as
 * numbers (each CIDR block not inside another adds 2^(32 - len)), not through the set code.
 */
static void test_whole_v4_minus_default(void **state)
{
	static const struct {
		const char *base;
		unsigned len;
	} blocks[] = {
		{"0.0.0.0", 8},          {"10.0.0.0", 8},     {"100.64.0.0", 10},
		{"127.0.0.0", 8},        {"169.254.0.0", 16}, {"172.16.0.0", 12},
		{"192.0.0.0", 24},       {"192.0.2.0", 24},   {"192.31.196.0", 24},
		{"192.52.193.0", 24},    {"192.88.99.0", 24}, {"192.168.0.0", 16},
		{"192.175.48.0", 24},    {"198.18.0.0", 15},  {"198.51.100.0", 24},
		{"203.0.113.0", 24},     {"224.0.0.0", 4},    {"240.0.0.0", 4},
		{"255.255.255.255", 32},
	};
	size_t nb = sizeof(blocks) / sizeof(blocks[0]);
	struct sw_targets *t = new_targets();
	struct sw_prefixset *x = NULL, *check = NULL;
	uint64_t covered = 0, n, prev = 0;
	char err[256];

	(void)state;
	for (size_t i = 0; i < nb; i++) {
		bool nested = false;
		for (size_t j = 0; j < nb; j++) {
			uint32_t m = blocks[j].len ? 0xffffffffu << (32 - blocks[j].len) : 0;
			if (j != i && blocks[j].len < blocks[i].len &&
			    (ip4(blocks[i].base) & m) == ip4(blocks[j].base))
				nested = true;
		}
		if (!nested)
			covered += 1ULL << (32 - blocks[i].len);
	}
	assert_int_equal(sw_prefixset_new(0, &x), 0);
	assert_int_equal(sw_exclude_default(x, err, sizeof(err)), 0);
	add_ok(t, "0.0.0.0/0");
	finish_ok(t, x);
	n = sw_targets_count(t);
	assert_int_equal(n, (1ULL << 32) - covered);
	assert_int_equal(n, 3702257664ULL);
	assert_int_equal(sw_targets_excluded(t), covered);
	assert_string_equal(addr_at(t, 0), "1.0.0.0");
	assert_string_equal(addr_at(t, n - 1), "223.255.255.255");
	/* Index 9.255.255.255 - 1.0.0.0 is the last before 10/8; the next one skips it. */
	assert_string_equal(addr_at(t, 0x08ffffff), "9.255.255.255");
	assert_string_equal(addr_at(t, 0x09000000), "11.0.0.0");
	/* Sampled indices: increasing addresses, none of them excluded. */
	assert_int_equal(sw_prefixset_new(0, &check), 0);
	assert_int_equal(sw_exclude_default(check, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < n; i += 104729) {
		struct sw_endpoint ep;
		uint32_t a;

		assert_int_equal(sw_targets_get(t, i, &ep), 0);
		assert_false(sw_prefixset_contains(check, &ep));
		a = (uint32_t)ep.addr[0] << 24 | (uint32_t)ep.addr[1] << 16 |
		    (uint32_t)ep.addr[2] << 8 | ep.addr[3];
		assert_true(i == 0 || a > prev);
		prev = a;
	}
	sw_prefixset_free(x);
	sw_prefixset_free(check);
	sw_targets_free(t);
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
 * Model address x of a 1024-address window: IPv4 10.0.0.0 + x for x < 512, else
 * 2001:db8::ffff:ffff:ffff:ff00 + (x - 512), which crosses into 2001:db8:0:1::.
 */
static void model_text(uint32_t x, char *buf, size_t len)
{
	const struct sw_u128 base = {0x20010db800000000ULL, 0xffffffffffffff00ULL};
	uint8_t b[16];

	if (x < 512) {
		snprintf(buf, len, "10.0.%u.%u", x / 256, x % 256);
		return;
	}
	sw_u128_to_bytes(sw_u128_add64(base, x - 512), b);
	assert_non_null(inet_ntop(AF_INET6, b, buf, (socklen_t)len));
}

/*
 * Small random spaces checked index by index: targets and exclusions are drawn as intervals in
 * a window of 512 IPv4 and 512 IPv6 addresses (the latter crossing a 64-bit boundary), written
 * as text in all three syntaxes; a plain array says which addresses must be in the space. Every
 * index must map to a distinct wanted address, in ascending order, and every wanted address must
 * be hit: a bijection.
 */
static void test_bijection_random(void **state)
{
	(void)state;
	rng_state = 0x2545f4914f6cdd1dULL;
	for (int round = 0; round < 100; round++) {
		struct sw_targets *t = new_targets();
		struct sw_prefixset *x = NULL;
		bool in[1024] = {false}, ex[1024] = {false};
		char want[1024][SW_ADDR_STRLEN], err[256];
		size_t nwant = 0;
		int nt = 1 + (int)(rng() % 6), nx = (int)(rng() % 5);

		assert_int_equal(sw_prefixset_new(0, &x), 0);
		for (int k = 0; k < nt + nx; k++) {
			uint32_t fam = rng() % 2, lo = rng() % 512, len = rng() % 40;
			uint32_t hi = lo + len > 511 ? 511 : lo + len;
			char a[64], b[64], text[160];

			model_text(fam * 512 + lo, a, sizeof(a));
			model_text(fam * 512 + hi, b, sizeof(b));
			if (lo == hi)
				snprintf(text, sizeof(text), "%s", a);
			else
				snprintf(text, sizeof(text), "%s-%s", a, b);
			if (k < nt)
				add_ok(t, text);
			else if (sw_prefixset_add(x, text, strlen(text), err, sizeof(err)) != 0)
				fail_msg("%s: %s", text, err);
			for (uint32_t v = lo; v <= hi; v++)
				(k < nt ? in : ex)[fam * 512 + v] = true;
		}
		/* An aligned /28 of each family too, as a prefix. */
		if (round % 3 == 0) {
			add_ok(t, "10.0.1.32/28");
			add_ok(t, "2001:db8::ffff:ffff:ffff:ff40/124");
			for (uint32_t v = 0; v < 16; v++) {
				in[256 + 32 + v] = true;
				in[512 + 0x40 + v] = true;
			}
		}
		for (uint32_t v = 0; v < 1024; v++)
			if (in[v] && !ex[v])
				model_text(v, want[nwant++], SW_ADDR_STRLEN);
		finish_ok(t, x);
		assert_int_equal(sw_targets_count(t), nwant);
		for (size_t i = 0; i < nwant; i++) {
			const char *got = addr_at(t, i);

			if (strcmp(got, want[i]) != 0)
				fail_msg("round %d index %zu: got %s, want %s", round, i, got,
					 want[i]);
		}
		sw_prefixset_free(x);
		sw_targets_free(t);
	}
}

/* Load text as a file named name; returns the path (free with rm_tmp). */
static char *write_tmp(const char *name, const char *data, char dir[64])
{
	char *path = malloc(256);
	FILE *f;

	snprintf(dir, 64, "/tmp/sw_targets_XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, 256, "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs(data, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static void rm_tmp(char *path, const char *dir)
{
	unlink(path);
	rmdir(dir);
	free(path);
}

static void test_file(void **state)
{
	struct sw_targets *t = new_targets();
	struct fake_dns dns = {0};
	char dir[64], err[512];
	char *path = write_tmp("targets.txt",
			       "# lab targets\n"
			       "192.0.2.0/30   # the /30\n"
			       "\n"
			       "  198.51.100.7\t\r\n"
			       "203.0.113.1-203.0.113.2#range\n"
			       "sip.example # by name\n"
			       "2001:db8::/127\n",
			       dir);

	(void)state;
	sw_targets_set_resolver(t, fake_resolve, &dns);
	assert_int_equal(sw_targets_load(t, path, err, sizeof(err)), 0);
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_count(t), 4 + 1 + 2 + 1 + 2 + 1);
	assert_string_equal(addr_at(t, 4), "192.0.2.10");
	assert_string_equal(addr_at(t, 10), "2001:db8::10");
	rm_tmp(path, dir);
	sw_targets_free(t);
}

static void file_fails(const char *text, int code, const char *rest)
{
	struct sw_targets *t = new_targets();
	struct fake_dns dns = {0};
	char dir[64], err[512], want[512];
	char *path = write_tmp("targets.txt", text, dir);

	sw_targets_set_resolver(t, fake_resolve, &dns);
	assert_int_equal(sw_targets_load(t, path, err, sizeof(err)), code);
	snprintf(want, sizeof(want), "%s:%s", path, rest);
	assert_string_equal(err, want);
	rm_tmp(path, dir);
	sw_targets_free(t);
}

static void test_file_errors(void **state)
{
	char *big = malloc(1200);
	struct sw_targets *t = new_targets();
	char err[256];

	(void)state;
	file_fails("10.0.0.1\n10.0.0.2\n\n# x\n10.0.0.3\n10.0.0.4\n10.0.0.5\n10.0.0.6\n10.0.0.7\n"
		   "10.0.0.8\n10.0.0.9\n10.0.0.300\n",
		   SW_E_ADDR, "12: '10.0.0.300' is not an IPv4 address");
	file_fails("10.0.0.0/33 # too long a prefix\n", SW_E_ADDR,
		   "1: '10.0.0.0/33' has a prefix length above 32");
	file_fails("#\n10.0.0.5-10.0.0.1\n", SW_E_ADDR,
		   "2: '10.0.0.5-10.0.0.1' ends before it starts");
	file_fails("::1/129\n", SW_E_ADDR, "1: '::1/129' has a prefix length above 128");
	file_fails("192.0.2.1\n2001:db8::/64\n", SW_E_V6_TOO_BIG,
		   "2: '2001:db8::/64' holds more than 65536 addresses (the IPv6 cap is /112): the "
		   "IPv6 space cannot be swept, so list addresses or prefixes of /112 or longer");
	file_fails("192.0.2.1\n\nnxdomain.example\n", SW_E_RESOLVE,
		   "3: 'nxdomain.example' does not resolve: Name or service not known");
	file_fails("what?\n", SW_E_ADDR,
		   "1: 'what?' is not an address, prefix, range or host name");
	memset(big, 'a', 1199);
	big[1199] = '\0';
	file_fails(big, SW_E_LIMIT, "1: line longer than 1024 bytes");
	free(big);
	assert_int_equal(sw_targets_load(t, "/nonexistent/targets.txt", err, sizeof(err)), SW_E_IO);
	assert_string_equal(err,
			    "cannot open '/nonexistent/targets.txt': No such file or directory");
	sw_targets_free(t);
}

static void test_lifecycle(void **state)
{
	struct sw_targets *t = new_targets();
	struct sw_endpoint ep;
	char err[256];

	(void)state;
	add_ok(t, "192.0.2.1");
	assert_int_equal(sw_targets_get(t, 0, &ep), SW_E_RANGE); /* not finished */
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_finish(t, NULL, err, sizeof(err)), SW_E_INVAL);
	assert_string_equal(err, "target list already closed");
	assert_int_equal(sw_targets_add(t, "192.0.2.2", 9, err, sizeof(err)), SW_E_INVAL);
	assert_int_equal(sw_targets_count(t), 1);
	sw_targets_free(t);
	sw_targets_free(NULL);
	sw_ports_free(NULL);
}

static struct sw_ports *ports_ok(const char *spec)
{
	struct sw_ports *p = NULL;
	size_t len = strlen(spec);
	char err[256] = "", *g = tu_guard_copy(spec, len);

	if (sw_ports_parse(g, len, &p, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", spec, err);
	tu_guard_free(g, len);
	return p;
}

static void test_ports(void **state)
{
	static const uint16_t want[] = {5060, 5061, 5062, 5063, 5064, 5065,
					5066, 5067, 5068, 5069, 5070, 5080};
	struct sw_ports *p;

	(void)state;
	p = ports_ok("5060");
	assert_int_equal(sw_ports_count(p), 1);
	assert_int_equal(sw_ports_get(p, 0), 5060);
	assert_int_equal(sw_ports_get(p, 1), 0);
	sw_ports_free(p);
	p = ports_ok("5061,5060");
	assert_int_equal(sw_ports_count(p), 2);
	assert_int_equal(sw_ports_get(p, 0), 5060);
	assert_int_equal(sw_ports_get(p, 1), 5061);
	sw_ports_free(p);
	p = ports_ok("5060-5070,5080");
	assert_int_equal(sw_ports_count(p), 12);
	for (uint32_t i = 0; i < 12; i++)
		assert_int_equal(sw_ports_get(p, i), want[i]);
	sw_ports_free(p);
	/* Order and overlap do not matter. */
	p = ports_ok("5080,5065-5070,5060-5066,5080,5062");
	assert_int_equal(sw_ports_count(p), 12);
	for (uint32_t i = 0; i < 12; i++)
		assert_int_equal(sw_ports_get(p, i), want[i]);
	sw_ports_free(p);
	p = ports_ok("1-65535");
	assert_int_equal(sw_ports_count(p), 65535);
	assert_int_equal(sw_ports_get(p, 0), 1);
	assert_int_equal(sw_ports_get(p, 65534), 65535);
	sw_ports_free(p);
	p = ports_ok("65535,1");
	assert_int_equal(sw_ports_get(p, 0), 1);
	assert_int_equal(sw_ports_get(p, 1), 65535);
	sw_ports_free(p);
}

static void test_port_errors(void **state)
{
	static const struct {
		const char *in;
		int code;
		const char *msg;
	} cases[] = {
		{"", SW_E_SYNTAX, "empty port list"},
		{"5060,,5061", SW_E_SYNTAX, "port list '5060,,5061' has an empty element"},
		{"5060,", SW_E_SYNTAX, "port list '5060,' has an empty element"},
		{",5060", SW_E_SYNTAX, "port list ',5060' has an empty element"},
		{"0", SW_E_RANGE, "port list '0': '0' is not a port number from 1 to 65535"},
		{"65536", SW_E_RANGE,
		 "port list '65536': '65536' is not a port number from 1 to 65535"},
		{"5060,abc", SW_E_RANGE,
		 "port list '5060,abc': 'abc' is not a port number from 1 to 65535"},
		{"5060, 5061", SW_E_RANGE,
		 "port list '5060, 5061': ' 5061' is not a port number from 1 to 65535"},
		{"050600", SW_E_RANGE,
		 "port list '050600': '050600' is not a port number from 1 to 65535"},
		{"5070-5060", SW_E_RANGE,
		 "port list '5070-5060': '5070-5060' ends before it starts"},
		{"5060-", SW_E_RANGE,
		 "port list '5060-': '5060-' is not a port range from 1 to 65535"},
		{"0-10", SW_E_RANGE,
		 "port list '0-10': '0-10' is not a port range from 1 to 65535"},
		{"1-2-3", SW_E_RANGE,
		 "port list '1-2-3': '1-2-3' is not a port range from 1 to 65535"},
	};
	struct sw_ports *p = NULL;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].in);
		char *g = tu_guard_copy(cases[i].in, len);
		int rc = sw_ports_parse(g, len, &p, err, sizeof(err));

		if (rc != cases[i].code || strcmp(err, cases[i].msg) != 0)
			fail_msg("'%s': got %d \"%s\"", cases[i].in, rc, err);
		tu_guard_free(g, len);
	}
	assert_null(p);
}

/* Targets x ports: i = target * P + port, every (address, port) pair exactly once. */
static void test_space(void **state)
{
	struct sw_targets *t = new_targets();
	struct sw_ports *p = ports_ok("5080,5060-5061");
	char seen[15][SW_ENDPOINT_STRLEN];
	struct sw_endpoint ep;

	(void)state;
	add_ok(t, "192.0.2.0/30");
	add_ok(t, "2001:db8::1");
	finish_ok(t, NULL);
	assert_int_equal(sw_targets_space(t, p), 15);
	for (uint64_t i = 0; i < 15; i++) {
		struct sw_endpoint tgt;

		assert_int_equal(sw_targets_at(t, p, i, &ep), 0);
		assert_int_equal(sw_targets_get(t, i / 3, &tgt), 0);
		assert_true(sw_addr_equal(&ep, &tgt));
		assert_int_equal(ep.port, sw_ports_get(p, (uint32_t)(i % 3)));
		sw_endpoint_format(&ep, seen[i], sizeof(seen[i]));
		for (uint64_t j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
	assert_string_equal(seen[0], "192.0.2.0:5060");
	assert_string_equal(seen[1], "192.0.2.0:5061");
	assert_string_equal(seen[2], "192.0.2.0:5080");
	assert_string_equal(seen[3], "192.0.2.1:5060");
	assert_string_equal(seen[11], "192.0.2.3:5080");
	assert_string_equal(seen[12], "[2001:db8::1]:5060");
	assert_string_equal(seen[14], "[2001:db8::1]:5080");
	assert_int_equal(sw_targets_at(t, p, 15, &ep), SW_E_RANGE);
	sw_ports_free(p);
	sw_targets_free(t);
}

/* The whole IPv4 space on every port: 2^32 * 65535 probes still index in 64 bits. */
static void test_space_big(void **state)
{
	struct sw_targets *t = new_targets();
	struct sw_ports *p = ports_ok("1-65535");
	struct sw_endpoint ep;
	char s[SW_ENDPOINT_STRLEN];
	uint64_t n;

	(void)state;
	add_ok(t, "0.0.0.0/0");
	add_ok(t, "2001:db8::/112");
	finish_ok(t, NULL);
	n = sw_targets_space(t, p);
	assert_int_equal(n, ((1ULL << 32) + 65536) * 65535);
	assert_int_equal(sw_targets_at(t, p, n - 1, &ep), 0);
	sw_endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "[2001:db8::ffff]:65535");
	assert_int_equal(sw_targets_at(t, p, (1ULL << 32) * 65535 - 1, &ep), 0);
	sw_endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "255.255.255.255:65535");
	assert_int_equal(sw_targets_at(t, p, (uint64_t)ip4("192.0.2.1") * 65535 + 5059, &ep), 0);
	sw_endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "192.0.2.1:5060");
	assert_int_equal(sw_targets_at(t, p, n, &ep), SW_E_RANGE);
	sw_ports_free(p);
	sw_targets_free(t);
}

/* Small spaces of every shape, all indices checked against an explicit list. */
static void test_bijection_small(void **state)
{
	struct sw_targets *t = new_targets();
	struct sw_prefixset *x = set_of((const char *const[]){
		"10.0.0.2", "10.0.0.4-10.0.0.5", "2001:db8::ffff:ffff:ffff:ffff", NULL});
	static const char *const want[] = {
		"10.0.0.0",        "10.0.0.1",
		"10.0.0.3",        "10.0.0.6",
		"10.0.0.7",        "10.0.0.9",
		"255.255.255.255", "2001:db8::ffff:ffff:ffff:fffe",
		"2001:db8:0:1::",  "2001:db8:0:1::1",
	};
	size_t n = sizeof(want) / sizeof(want[0]);

	(void)state;
	add_ok(t, "10.0.0.0/29");
	add_ok(t, "10.0.0.9");
	add_ok(t, "255.255.255.255");
	add_ok(t, "2001:db8::ffff:ffff:ffff:fffe-2001:db8:0:1::1");
	finish_ok(t, x);
	assert_int_equal(sw_targets_count(t), n);
	assert_int_equal(sw_targets_excluded(t), 4);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(addr_at(t, i), want[i]);
	sw_prefixset_free(x);
	sw_targets_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_names_fake),
		cmocka_unit_test(test_localhost),
		cmocka_unit_test(test_duplicates_once),
		cmocka_unit_test(test_v6_cap),
		cmocka_unit_test(test_exclude_edges),
		cmocka_unit_test(test_exclude_all),
		cmocka_unit_test(test_whole_v4_minus_default),
		cmocka_unit_test(test_bijection_small),
		cmocka_unit_test(test_bijection_random),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_port_errors),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_space_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
