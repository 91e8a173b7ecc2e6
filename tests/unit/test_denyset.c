/*
 * Tests of the kernel deny set (shield/denyset): the nft text of a batch (last request per key
 * wins, add-delete-add, masks and set choice, timeouts) and of the table; the interface list;
 * request validation; and, as root, the real module against nf_tables in a network namespace
 * of this test process's own (unshare), so it never sees the host's rules: batches larger than
 * one transaction, the queue's overflow accounting, a full set's per-element failures, AUTO
 * resolving to nft, close removing the table. Packets are tested end to end in
 * tests/integration/denyset.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <nftables/libnftables.h>

#include "core/err.h"
#include "shield/denyset.h"
#include "shield/denyset_internal.h"

static bool in_netns; /* this process runs in a network namespace of its own */

static struct sw_deny_op op4(int kind, const char *a, uint64_t expires_ns)
{
	struct sw_deny_op op = {.kind = (uint8_t)kind, .family = AF_INET, .plen = 32};
	assert_int_equal(inet_pton(AF_INET, a, op.addr), 1);
	op.expires_ns = expires_ns;
	return op;
}

static struct sw_deny_op op6(int kind, const char *a, uint8_t plen, uint64_t expires_ns)
{
	struct sw_deny_op op = {.kind = (uint8_t)kind, .family = AF_INET6, .plen = plen};
	assert_int_equal(inet_pton(AF_INET6, a, op.addr), 1);
	op.expires_ns = expires_ns;
	return op;
}

#define MS 1000000ULL

static void batch_text(void **state)
{
	(void)state;
	uint64_t now = 1000 * MS;
	struct sw_deny_op ops[] = {
		op4(SW_DENY_OP_ADD, "198.18.0.2", now + 5000 * MS),
		op4(SW_DENY_OP_ADD, "198.18.0.3", now + 1500 * MS),
		op4(SW_DENY_OP_DEL, "198.18.0.4", 0),
		op4(SW_DENY_OP_ADD, "198.18.0.2", now + 9000 * MS), /* supersedes the first */
		op6(SW_DENY_OP_ADD, "2001:db8:1::", 64, now + 2000 * MS),
		op6(SW_DENY_OP_ADD, "2001:db8:9::5", 128, now), /* expired: still 1 ms */
	};
	char buf[4096];
	int n = sw_denyset_nft_batch(ops, 6, 64, now, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(
		buf,
		"add element inet sipwarden_deny deny4 { 198.18.0.3 timeout 1500ms, 198.18.0.4 "
		"timeout 1ms, 198.18.0.2 timeout 9000ms }\n"
		"delete element inet sipwarden_deny deny4 { 198.18.0.3, 198.18.0.4, 198.18.0.2 }\n"
		"add element inet sipwarden_deny deny4 { 198.18.0.3 timeout 1500ms, 198.18.0.2 "
		"timeout 9000ms }\n"
		"add element inet sipwarden_deny deny6 { 2001:db8:1:: timeout 2000ms }\n"
		"delete element inet sipwarden_deny deny6 { 2001:db8:1:: }\n"
		"add element inet sipwarden_deny deny6 { 2001:db8:1:: timeout 2000ms }\n"
		"add element inet sipwarden_deny deny6host { 2001:db8:9::5 timeout 1ms }\n"
		"delete element inet sipwarden_deny deny6host { 2001:db8:9::5 }\n"
		"add element inet sipwarden_deny deny6host { 2001:db8:9::5 timeout 1ms }\n");
	assert_int_equal((size_t)n, strlen(buf));

	/* a delete alone: made present, then deleted, nothing re-added */
	struct sw_deny_op del = op4(SW_DENY_OP_DEL, "198.18.0.9", 0);
	assert_true(sw_denyset_nft_batch(&del, 1, 64, now, buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
			    "add element inet sipwarden_deny deny4 { 198.18.0.9 timeout 1ms }\n"
			    "delete element inet sipwarden_deny deny4 { 198.18.0.9 }\n");

	/* timeouts are capped */
	struct sw_deny_op longer = op4(SW_DENY_OP_ADD, "198.18.0.9", UINT64_MAX);
	assert_true(sw_denyset_nft_batch(&longer, 1, 64, now, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "timeout 2147483647ms"));

	assert_int_equal(sw_denyset_nft_batch(ops, 6, 64, now, buf, 100), SW_E_LIMIT);
	assert_int_equal(sw_denyset_nft_batch(ops, SW_DENYSET_NFT_BATCH + 1, 64, now, buf,
					      sizeof(buf)),
			 SW_E_LIMIT);
	assert_int_equal(sw_denyset_nft_batch(ops, 0, 64, now, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void table_text(void **state)
{
	(void)state;
	uint16_t ports[] = {5060, 5080};
	struct sw_denyset_opts o = {.backend = SW_DENY_NFT,
				    .ports = ports,
				    .nports = 2,
				    .ipv6_prefix = 48,
				    .max_entries = 1000};
	char buf[8192];
	assert_true(sw_denyset_nft_table(&o, buf, sizeof(buf)) > 0);
	/* a stale table is replaced in the same transaction */
	assert_ptr_equal(
		strstr(buf, "table inet sipwarden_deny\ndelete table inet sipwarden_deny\n"), buf);
	assert_non_null(strstr(buf, "set deny4 { type ipv4_addr; flags timeout; size 1000; }"));
	assert_non_null(strstr(buf, "type filter hook prerouting priority raw;"));
	assert_non_null(strstr(buf, "type filter hook output priority raw;"));
	assert_non_null(strstr(buf, "ip saddr @deny4 udp dport { 5060, 5080 } fib daddr type local "
				    "counter name drops_in drop"));
	assert_non_null(strstr(buf, "ip6 saddr & ffff:ffff:ffff:: @deny6 udp dport"));
	assert_non_null(strstr(buf, "ip6 saddr @deny6host udp dport"));
	assert_non_null(strstr(buf, "ip daddr @deny4 udp sport { 5060, 5080 } counter name "
				    "drops_out drop"));
	/* /128 aggregation needs no host set rule */
	o.ipv6_prefix = 128;
	assert_true(sw_denyset_nft_table(&o, buf, sizeof(buf)) > 0);
	assert_null(strstr(buf, "@deny6host"));
	assert_int_equal(sw_denyset_nft_table(&o, buf, 64), SW_E_LIMIT);
	o.nports = 0;
	assert_int_equal(sw_denyset_nft_table(&o, buf, sizeof(buf)), SW_E_INVAL);
}

struct names {
	char s[256];
};

static int collect(const char *name, void *arg)
{
	struct names *n = arg;
	size_t l = strlen(n->s);
	snprintf(n->s + l, sizeof(n->s) - l, "[%s]", name);
	return strcmp(name, "stop") == 0 ? 7 : 0;
}

static void interfaces(void **state)
{
	(void)state;
	struct names n = {""};
	assert_int_equal(sw_denyset_each_interface(" eth0, eth1 ,,\teth2\t,", collect, &n), 0);
	assert_string_equal(n.s, "[eth0][eth1][eth2]");
	n.s[0] = '\0';
	assert_int_equal(sw_denyset_each_interface("", collect, &n), 0);
	assert_int_equal(sw_denyset_each_interface(NULL, collect, &n), 0);
	assert_string_equal(n.s, "");
	assert_int_equal(sw_denyset_each_interface("a,stop,b", collect, &n), 7);
	assert_string_equal(n.s, "[a][stop]");
	assert_int_equal(sw_denyset_each_interface("abcdefghijklmnop", collect, &n), SW_E_RANGE);
}

static void endpoint(struct sw_endpoint *ep, const char *a)
{
	uint8_t b[16];
	if (inet_pton(AF_INET, a, b) == 1)
		sw_endpoint_set_v4(ep, b, 0);
	else if (inet_pton(AF_INET6, a, b) == 1)
		sw_endpoint_set_v6(ep, b, 0);
	else
		fail_msg("bad address %s", a);
}

static void off_validates(void **state)
{
	(void)state;
	struct sw_denyset_opts o = {.backend = SW_DENY_OFF, .ipv6_prefix = 64};
	struct sw_denyset *d = NULL;
	assert_int_equal(sw_denyset_open(&o, &d, NULL, 0), 0);
	assert_int_equal(sw_denyset_backend(d), SW_DENY_OFF);
	assert_string_equal(sw_denyset_xdp_mode(d), "");
	struct sw_endpoint a4, a6, bad = {0};
	endpoint(&a4, "198.18.0.2");
	endpoint(&a6, "2001:db8::1");
	assert_int_equal(sw_denyset_add(d, &a4, 32, 1000), 0);
	assert_int_equal(sw_denyset_add(d, &a4, 0, 1000), 0);
	assert_int_equal(sw_denyset_add(d, &a4, 24, 1000), SW_E_UNSUPPORTED);
	assert_int_equal(sw_denyset_add(d, &a4, 32, 0), SW_E_INVAL);
	assert_int_equal(sw_denyset_add(d, &a6, 64, 1000), 0);
	assert_int_equal(sw_denyset_add(d, &a6, 128, 1000), 0);
	assert_int_equal(sw_denyset_add(d, &a6, 48, 1000), SW_E_UNSUPPORTED);
	assert_int_equal(sw_denyset_add(d, &bad, 32, 1000), SW_E_INVAL);
	assert_int_equal(sw_denyset_add(d, NULL, 32, 1000), SW_E_INVAL);
	assert_int_equal(sw_denyset_del(d, &a6, 64), 0);
	assert_int_equal(sw_denyset_sync(d), 0);
	struct sw_denyset_stats s;
	sw_denyset_stats(d, &s);
	assert_int_equal(s.added + s.removed + s.failed + s.overflow + s.kernel_drops, 0);
	sw_denyset_close(d);
	sw_denyset_close(NULL);

	uint16_t port = 5060;
	struct sw_denyset_opts nft = {
		.backend = SW_DENY_NFT, .ports = &port, .nports = 0, .ipv6_prefix = 64};
	char err[256] = "";
	assert_int_equal(sw_denyset_open(&nft, &d, err, sizeof(err)), SW_E_INVAL);
	assert_non_null(strstr(err, "SIP ports"));
	nft.nports = 1;
	nft.ipv6_prefix = 0;
	assert_int_equal(sw_denyset_open(&nft, &d, err, sizeof(err)), SW_E_INVAL);
}

/* Root only: an nft deny set in this process's own network namespace. */
static struct sw_denyset *open_nft(enum sw_deny_backend b, unsigned max_entries)
{
	if (!in_netns)
		return NULL;
	static const uint16_t ports[] = {5060};
	struct sw_denyset_opts o = {.backend = b,
				    .ports = ports,
				    .nports = 1,
				    .ipv6_prefix = 64,
				    .max_entries = max_entries};
	struct sw_denyset *d = NULL;
	char err[512] = "";
	int rc = sw_denyset_open(&o, &d, err, sizeof(err));
	if (rc)
		fail_msg("open: %s (%s)", err, sw_strerror(rc));
	return d;
}

/* Run an nft command in this namespace; 0 when it succeeded. Its listing goes to out. */
static int nft(const char *cmd, char *out, size_t len)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	assert_non_null(ctx);
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	int rc = nft_run_cmd_from_buffer(ctx, cmd);
	if (out)
		snprintf(out, len, "%s", nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
	return rc;
}

/* Elements in set (its listing's "timeout" words), -1 when there is no such set. */
static int set_elements(const char *set)
{
	static char out[1 << 20];
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "list set inet sipwarden_deny %s", set);
	if (nft(cmd, out, sizeof(out)))
		return -1;
	int n = 0;
	for (const char *p = out; (p = strstr(p, " timeout ")); p++)
		n++;
	return n;
}

static void nft_batches(void **state)
{
	(void)state;
	if (!in_netns)
		skip();
	struct sw_denyset *d = open_nft(SW_DENY_AUTO, 0);
	assert_int_equal(sw_denyset_backend(d), SW_DENY_NFT);
	/* 3000 sources: three transactions or more */
	for (unsigned i = 0; i < 3000; i++) {
		uint8_t a[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
		struct sw_endpoint ep;
		sw_endpoint_set_v4(&ep, a, 0);
		assert_int_equal(sw_denyset_add(d, &ep, 32, 60000), 0);
	}
	uint8_t p6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
	struct sw_endpoint e6;
	sw_endpoint_set_v6(&e6, p6, 0);
	assert_int_equal(sw_denyset_add(d, &e6, 64, 60000), 0);
	assert_int_equal(sw_denyset_add(d, &e6, 128, 60000), 0);
	assert_int_equal(sw_denyset_sync(d), 0);
	struct sw_denyset_stats s;
	sw_denyset_stats(d, &s);
	assert_int_equal(s.added, 3002);
	assert_int_equal(s.failed, 0);
	assert_int_equal(set_elements("deny4"), 3000);
	assert_int_equal(set_elements("deny6"), 1);
	assert_int_equal(set_elements("deny6host"), 1);
	for (unsigned i = 0; i < 1000; i++) {
		uint8_t a[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
		struct sw_endpoint ep;
		sw_endpoint_set_v4(&ep, a, 0);
		assert_int_equal(sw_denyset_del(d, &ep, 32), 0);
	}
	assert_int_equal(sw_denyset_sync(d), 0);
	sw_denyset_stats(d, &s);
	assert_int_equal(s.removed, 1000);
	assert_int_equal(set_elements("deny4"), 2000);
	sw_denyset_close(d);
	assert_int_equal(set_elements("deny4"), -1); /* table gone */
}

static void nft_overflow_and_full_set(void **state)
{
	(void)state;
	if (!in_netns)
		skip();
	struct sw_denyset *d = open_nft(SW_DENY_NFT, 0);
	/* faster than any transaction: the queue may fill; nothing is lost unaccounted */
	unsigned n = 3 * SW_DENYSET_QUEUE, refused = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t a[4] = {198, (uint8_t)(18 + (i >> 16)), (uint8_t)(i >> 8), (uint8_t)i};
		struct sw_endpoint ep;
		sw_endpoint_set_v4(&ep, a, 0);
		int rc = sw_denyset_add(d, &ep, 32, 60000);
		if (rc == SW_E_LIMIT)
			refused++;
		else
			assert_int_equal(rc, 0);
	}
	assert_int_equal(sw_denyset_sync(d), 0);
	struct sw_denyset_stats s;
	sw_denyset_stats(d, &s);
	assert_int_equal(s.overflow, refused);
	print_message("%u adds: %llu applied, %llu refused (queue full)\n", n,
		      (unsigned long long)s.added, (unsigned long long)s.overflow);
	assert_int_equal(s.added + s.overflow, n);
	assert_int_equal(s.failed, 0);
	sw_denyset_close(d);

	/* a set of 10: the batch fails, the retry keeps the 10 that fit */
	d = open_nft(SW_DENY_NFT, 10);
	for (unsigned i = 0; i < 20; i++) {
		uint8_t a[4] = {198, 18, 1, (uint8_t)i};
		struct sw_endpoint ep;
		sw_endpoint_set_v4(&ep, a, 0);
		assert_int_equal(sw_denyset_add(d, &ep, 32, 60000), 0);
	}
	assert_int_equal(sw_denyset_sync(d), 0);
	sw_denyset_stats(d, &s);
	assert_int_equal(s.added + s.failed, 20);
	assert_true(s.failed >= 10);
	print_message("set of 10: %llu added, %llu failed\n", (unsigned long long)s.added,
		      (unsigned long long)s.failed);
	char err[256];
	sw_denyset_last_error(d, err, sizeof(err));
	assert_non_null(strstr(err, "deny set (nft): adding 198.18.1."));
	assert_int_equal(set_elements("deny4"), (int)s.added);
	sw_denyset_close(d);
}

static void nft_cleanup(void **state)
{
	(void)state;
	if (!in_netns)
		skip();
	char err[256] = "";
	assert_int_equal(sw_denyset_cleanup(NULL, err, sizeof(err)), 0); /* nothing there */
	assert_int_equal(nft("add table inet sipwarden_deny", NULL, 0), 0);
	assert_int_equal(sw_denyset_cleanup("lo, nosuch0", err, sizeof(err)), 0);
	assert_int_equal(set_elements("deny4"), -1);
	assert_int_not_equal(nft("list table inet sipwarden_deny", NULL, 0), 0);
}

int main(void)
{
	/* A network namespace of our own: nftables changes are invisible to the host. */
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0)
		in_netns = nft("list tables", NULL, 0) == 0;
	if (!in_netns)
		fprintf(stderr, "test_denyset: not root or no nf_tables: the kernel tests skip\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_text),  cmocka_unit_test(table_text),
		cmocka_unit_test(interfaces),  cmocka_unit_test(off_validates),
		cmocka_unit_test(nft_batches), cmocka_unit_test(nft_overflow_and_full_set),
		cmocka_unit_test(nft_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
