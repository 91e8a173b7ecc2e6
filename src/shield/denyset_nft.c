/*
 * The kernel deny set in nftables (denyset.h, backend "nft"), written with libnftables: the same
 * text the nft command reads, parsed and sent as one netlink transaction per call, in process.
 *
 * The table inet sipwarden_deny holds:
 *
 *   set deny4      ipv4_addr, flags timeout     denied IPv4 addresses
 *   set deny6      ipv6_addr, flags timeout     denied IPv6 prefixes of ipv6_prefix bits, stored
 *                                               as the masked address and matched with
 *                                               "ip6 saddr & MASK @deny6"
 *   set deny6host  ipv6_addr, flags timeout     denied single IPv6 addresses (/128)
 *   chain in       hook prerouting, priority raw (-300): UDP to the SIP ports from a member,
 *                  addressed to this host (fib daddr type local), is counted and dropped
 *   chain out      hook output, priority raw: UDP from the SIP ports to a member is dropped
 *
 * Why prerouting at raw: the shield's queue rules sit in the filter table's INPUT and OUTPUT
 * chains (priority 0), so every chain here runs first; at raw (before conntrack at -200) a
 * denied packet does not even create a connection-tracking entry. Hash sets rather than one
 * interval set: a lookup is one hash probe, libnftables need not fetch the whole set to check
 * overlaps before each transaction, and a /128 inside a denied /64 is not refused as an overlap.
 *
 * Each batch is one transaction: for every key its last request as "add element" then
 * "delete element" (so the element is gone whatever it held, and deleting one that is missing
 * cannot fail the transaction), then, for adds, "add element ... timeout Nms" (a re-add thus
 * gets its new timeout also on kernels that do not refresh it). If the transaction fails (a
 * full set), each request is retried alone so one bad element costs only itself.
 */
#include <arpa/inet.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shield/denyset_internal.h"

#define TABLE "inet " SW_DENYSET_NFT_TABLE
/* Text for one batch: three statements per request, about 60 bytes each, and headers. */
#define BATCH_TEXT (1024 * 200 + 4096)

struct nft_be {
	pthread_mutex_t mu; /* ctx is used by the module thread and by stats callers */
	struct nft_ctx *ctx;
	uint8_t ipv6_prefix;
	char *text;
};

/* Appends to a bounded buffer; the length runs past len when it does not fit. */
struct tbuf {
	char *p;
	size_t len, n;
};

__attribute__((format(printf, 2, 3))) static void tb_printf(struct tbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->p + (b->n < b->len ? b->n : b->len), b->n < b->len ? b->len - b->n : 0,
			  fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n += (size_t)k;
}

static void mask6(uint8_t plen, uint8_t out[16])
{
	for (unsigned i = 0; i < 16; i++) {
		int bits = (int)plen - (int)i * 8;
		out[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
	}
}

static void ports_text(const struct sw_denyset_opts *o, char *buf, size_t len)
{
	struct tbuf b = {buf, len, 0};
	tb_printf(&b, "{ ");
	for (unsigned i = 0; i < o->nports; i++)
		tb_printf(&b, "%s%u", i ? ", " : "", o->ports[i]);
	tb_printf(&b, " }");
}

/* with_fib: restrict the inbound rules to packets addressed to this host (needs nft_fib). */
static int table_text(const struct sw_denyset_opts *o, bool with_fib, char *buf, size_t len)
{
	if (o->nports == 0 || o->nports > SW_CFG_MAX_PORTS || o->ipv6_prefix == 0 ||
	    o->ipv6_prefix > 128)
		return SW_E_INVAL;
	char ports[SW_CFG_MAX_PORTS * 8 + 8];
	ports_text(o, ports, sizeof(ports));
	uint8_t m[16];
	char mask[INET6_ADDRSTRLEN];
	mask6(o->ipv6_prefix, m);
	inet_ntop(AF_INET6, m, mask, sizeof(mask));
	unsigned size = o->max_entries ? o->max_entries : 65536;
	const char *local = with_fib ? " fib daddr type local" : "";
	bool host6 = o->ipv6_prefix < 128;

	struct tbuf b = {buf, len, 0};
	tb_printf(&b, "table %s\ndelete table %s\ntable %s {\n", TABLE, TABLE, TABLE);
	tb_printf(&b, "\tset deny4 { type ipv4_addr; flags timeout; size %u; }\n", size);
	tb_printf(&b, "\tset deny6 { type ipv6_addr; flags timeout; size %u; }\n", size);
	tb_printf(&b, "\tset deny6host { type ipv6_addr; flags timeout; size %u; }\n", size);
	tb_printf(&b, "\tcounter drops_in { }\n\tcounter drops_out { }\n");
	tb_printf(&b,
		  "\tchain in {\n\t\ttype filter hook prerouting priority raw; policy accept;\n");
	tb_printf(&b, "\t\tip saddr @deny4 udp dport %s%s counter name drops_in drop\n", ports,
		  local);
	tb_printf(&b, "\t\tip6 saddr & %s @deny6 udp dport %s%s counter name drops_in drop\n", mask,
		  ports, local);
	if (host6)
		tb_printf(&b,
			  "\t\tip6 saddr @deny6host udp dport %s%s counter name drops_in drop\n",
			  ports, local);
	tb_printf(&b, "\t}\n\tchain out {\n\t\ttype filter hook output priority raw; "
		      "policy accept;\n");
	tb_printf(&b, "\t\tip daddr @deny4 udp sport %s counter name drops_out drop\n", ports);
	tb_printf(&b, "\t\tip6 daddr & %s @deny6 udp sport %s counter name drops_out drop\n", mask,
		  ports);
	if (host6)
		tb_printf(&b, "\t\tip6 daddr @deny6host udp sport %s counter name drops_out drop\n",
			  ports);
	tb_printf(&b, "\t}\n}\n");
	return b.n < len ? (int)b.n : SW_E_LIMIT;
}

int sw_denyset_nft_table(const struct sw_denyset_opts *o, char *buf, size_t len)
{
	return table_text(o, true, buf, len);
}

static const char *set_of(const struct sw_deny_op *op, uint8_t ipv6_prefix)
{
	if (op->family == AF_INET)
		return "deny4";
	return op->plen == ipv6_prefix ? "deny6" : "deny6host";
}

static bool same_key(const struct sw_deny_op *a, const struct sw_deny_op *b)
{
	return a->family == b->family && a->plen == b->plen && memcmp(a->addr, b->addr, 16) == 0;
}

/* True when a later request in ops[0..n) has the same key as ops[i] (the last one wins). */
static bool superseded(const struct sw_deny_op *ops, unsigned n, unsigned i)
{
	for (unsigned j = i + 1; j < n; j++)
		if (same_key(&ops[i], &ops[j]))
			return true;
	return false;
}

/* The elements of set, comma-separated: the requests marked last (adds only if adds_only). */
static bool batch_elems(struct tbuf *b, const struct sw_deny_op *ops, const bool *last, unsigned n,
			uint8_t ipv6_prefix, uint64_t now_ns, const char *set, bool adds_only,
			bool timeouts)
{
	bool any = false;
	for (unsigned i = 0; i < n; i++) {
		const struct sw_deny_op *op = &ops[i];
		if (!last[i] || strcmp(set_of(op, ipv6_prefix), set) != 0)
			continue;
		if (adds_only && op->kind != SW_DENY_OP_ADD)
			continue;
		if (!b) {
			any = true;
			break;
		}
		char a[INET6_ADDRSTRLEN];
		inet_ntop(op->family, op->addr, a, sizeof(a));
		tb_printf(b, "%s%s", any ? ", " : "", a);
		if (timeouts) {
			uint64_t ms =
				op->expires_ns > now_ns ? (op->expires_ns - now_ns) / 1000000 : 0;
			if (ms < 1)
				ms = 1;
			if (ms > SW_DENYSET_MAX_TIMEOUT_MS)
				ms = SW_DENYSET_MAX_TIMEOUT_MS;
			tb_printf(b, " timeout %llums", (unsigned long long)ms);
		}
		any = true;
	}
	return any;
}

int sw_denyset_nft_batch(const struct sw_deny_op *ops, unsigned n, uint8_t ipv6_prefix,
			 uint64_t now_ns, char *buf, size_t len)
{
	static const char *const sets[] = {"deny4", "deny6", "deny6host"};
	bool last[SW_DENYSET_NFT_BATCH];
	if (n > SW_DENYSET_NFT_BATCH)
		return SW_E_LIMIT;
	for (unsigned i = 0; i < n; i++)
		last[i] = !superseded(ops, n, i);
	struct tbuf b = {buf, len, 0};
	if (len)
		buf[0] = '\0';
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		const char *set = sets[s];
		if (!batch_elems(NULL, ops, last, n, ipv6_prefix, now_ns, set, false, false))
			continue;
		/* make sure it is there (any timeout), then delete it: a clean slate */
		tb_printf(&b, "add element %s %s { ", TABLE, set);
		batch_elems(&b, ops, last, n, ipv6_prefix, now_ns, set, false, true);
		tb_printf(&b, " }\ndelete element %s %s { ", TABLE, set);
		batch_elems(&b, ops, last, n, ipv6_prefix, now_ns, set, false, false);
		tb_printf(&b, " }\n");
		if (!batch_elems(NULL, ops, last, n, ipv6_prefix, now_ns, set, true, false))
			continue;
		tb_printf(&b, "add element %s %s { ", TABLE, set);
		batch_elems(&b, ops, last, n, ipv6_prefix, now_ns, set, true, true);
		tb_printf(&b, " }\n");
	}
	return b.n < len ? (int)b.n : SW_E_LIMIT;
}

/* The first line of nft's error output, without its "Error: " prefix. */
static void nft_error_line(struct nft_ctx *ctx, char *buf, size_t len)
{
	const char *e = nft_ctx_get_error_buffer(ctx);
	if (!e || !*e) {
		snprintf(buf, len, "nft failed without a message");
		return;
	}
	if (strncmp(e, "Error: ", 7) == 0)
		e += 7;
	size_t n = strcspn(e, "\n");
	snprintf(buf, len, "%.*s", (int)n, e);
}

/* Run text as one transaction; on failure the error line goes to why. Caller holds the lock. */
static int run(struct nft_ctx *ctx, const char *text, char *why, size_t whylen)
{
	nft_ctx_get_output_buffer(ctx); /* drop output left from earlier calls */
	nft_ctx_get_error_buffer(ctx);
	if (nft_run_cmd_from_buffer(ctx, text) == 0)
		return 0;
	nft_error_line(ctx, why, whylen);
	return SW_E_IO;
}

static struct nft_ctx *ctx_new(void)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return NULL;
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_ctx_free(ctx);
		return NULL;
	}
	return ctx;
}

/* How to fix what the kernel said when the table could not be made. */
static const char *hint(const char *why)
{
	if (strstr(why, "Operation not permitted"))
		return "run the shield as root (CAP_NET_ADMIN)";
	if (strstr(why, "not supported") || strstr(why, "No such file or directory"))
		return "the kernel lacks nf_tables or its set support: load nf_tables "
		       "(CONFIG_NF_TABLES, CONFIG_NFT_SET_HASH) or set deny-backend = off";
	return "or set deny-backend = off";
}

static int nft_open(const struct sw_denyset_opts *o, void **ret, char *err, size_t errlen)
{
	struct nft_be *be = calloc(1, sizeof(*be));
	char *table = malloc(8192);
	int rc = SW_E_NOMEM;
	if (!be || !table || !(be->text = malloc(BATCH_TEXT)) || !(be->ctx = ctx_new())) {
		sw_errf(err, errlen, "deny set (nft): out of memory");
		goto fail;
	}
	be->ipv6_prefix = o->ipv6_prefix;
	char why[256];
	if ((rc = table_text(o, true, table, 8192)) < 0) {
		sw_errf(err, errlen, "deny set (nft): bad ports or ipv6-prefix");
		goto fail;
	}
	rc = run(be->ctx, table, why, sizeof(why));
	if (rc) {
		/* a kernel without nft_fib: drop the "addressed to this host" refinement */
		table_text(o, false, table, 8192);
		char why2[256];
		if (run(be->ctx, table, why2, sizeof(why2)) == 0)
			rc = 0;
	}
	if (rc) {
		sw_errf(err, errlen, "deny set (nft): cannot create table %s: %s; %s", TABLE, why,
			hint(why));
		goto fail;
	}
	if (pthread_mutex_init(&be->mu, NULL)) {
		rc = SW_E_NOMEM;
		goto fail;
	}
	free(table);
	*ret = be;
	return 0;
fail:
	if (be) {
		if (be->ctx)
			nft_ctx_free(be->ctx);
		free(be->text);
	}
	free(be);
	free(table);
	return rc;
}

static void count_ok(const struct sw_deny_op *ops, unsigned n, struct sw_deny_result *r)
{
	for (unsigned i = 0; i < n; i++) {
		if (ops[i].kind == SW_DENY_OP_ADD)
			r->added++;
		else
			r->removed++;
	}
}

static void nft_apply(void *arg, const struct sw_deny_op *ops, unsigned n, struct sw_deny_result *r)
{
	struct nft_be *be = arg;
	char why[160];
	pthread_mutex_lock(&be->mu);
	uint64_t now = sw_denyset_now_ns();
	int len = sw_denyset_nft_batch(ops, n, be->ipv6_prefix, now, be->text, BATCH_TEXT);
	if (len >= 0 && run(be->ctx, be->text, why, sizeof(why)) == 0) {
		count_ok(ops, n, r);
		pthread_mutex_unlock(&be->mu);
		return;
	}
	/* one at a time, so only the elements the kernel refuses are lost */
	for (unsigned i = 0; i < n; i++) {
		if (superseded(ops, n, i)) {
			count_ok(&ops[i], 1, r);
			continue;
		}
		now = sw_denyset_now_ns();
		len = sw_denyset_nft_batch(&ops[i], 1, be->ipv6_prefix, now, be->text, BATCH_TEXT);
		if (len >= 0 && run(be->ctx, be->text, why, sizeof(why)) == 0) {
			count_ok(&ops[i], 1, r);
			continue;
		}
		r->failed++;
		if (!r->err[0]) {
			char a[INET6_ADDRSTRLEN];
			inet_ntop(ops[i].family, ops[i].addr, a, sizeof(a));
			snprintf(r->err, sizeof(r->err), "deny set (nft): %s %s/%u: %s",
				 ops[i].kind == SW_DENY_OP_ADD ? "adding" : "removing", a,
				 ops[i].plen, why);
		}
	}
	pthread_mutex_unlock(&be->mu);
}

/* The packets count that follows "counter NAME" in nft's listing. */
static uint64_t counter_packets(const char *out, const char *name)
{
	const char *p = out ? strstr(out, name) : NULL;
	if (!p || !(p = strstr(p, "packets ")))
		return 0;
	return strtoull(p + 8, NULL, 10);
}

static void nft_kernel_drops(void *arg, uint64_t *in, uint64_t *out)
{
	struct nft_be *be = arg;
	char why[200];
	*in = *out = 0;
	pthread_mutex_lock(&be->mu);
	if (run(be->ctx, "list counter " TABLE " drops_in\nlist counter " TABLE " drops_out\n", why,
		sizeof(why)) == 0) {
		const char *o = nft_ctx_get_output_buffer(be->ctx);
		*in = counter_packets(o, "drops_in");
		*out = counter_packets(o, "drops_out");
	}
	pthread_mutex_unlock(&be->mu);
}

static void nft_close(void *arg)
{
	struct nft_be *be = arg;
	char why[200];
	run(be->ctx, "delete table " TABLE "\n", why, sizeof(why));
	nft_ctx_free(be->ctx);
	pthread_mutex_destroy(&be->mu);
	free(be->text);
	free(be);
}

int sw_denyset_nft_cleanup(char *err, size_t errlen)
{
	struct nft_ctx *ctx = ctx_new();
	if (!ctx) {
		sw_errf(err, errlen, "deny set (nft): out of memory");
		return SW_E_NOMEM;
	}
	char why[200];
	/* creating it first makes the delete succeed whether or not a table was left */
	int rc = run(ctx, "table " TABLE "\ndelete table " TABLE "\n", why, sizeof(why));
	if (rc && (strstr(why, "not supported") || strstr(why, "No such file or directory")))
		rc = 0; /* no nf_tables in this kernel: nothing can have been left */
	else if (rc)
		sw_errf(err, errlen, "deny set (nft): cannot remove table %s: %s", TABLE, why);
	nft_ctx_free(ctx);
	return rc;
}

const struct sw_denyset_backend sw_denyset_nft = {
	.id = SW_DENY_NFT,
	.open = nft_open,
	.apply = nft_apply,
	.tick = NULL,
	.kernel_drops = nft_kernel_drops,
	.mode = NULL,
	.close = nft_close,
};
