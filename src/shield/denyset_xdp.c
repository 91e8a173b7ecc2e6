/*
 * The kernel deny set in XDP (denyset.h, backend "xdp"): src/bpf/xdp_deny.bpf.c, built by CMake
 * into a libbpf skeleton, loaded once and attached to every interface of deny-interface.
 *
 * Settings (SIP ports, ipv6_prefix) are the program's read-only data, written through the
 * skeleton before load so the verifier treats them as constants; map sizes (max_entries) are
 * set before load too. Requests become map updates keyed as in src/bpf/xdp_deny.h, valued with
 * the absolute CLOCK_MONOTONIC expiry fixed at sw_denyset_add() time.
 *
 * Attachment is through a BPF link (bpf_link_create with BPF_XDP) rather than the netlink
 * interface: the kernel detaches a link's program when the last descriptor of the link is
 * closed, so a crashed or killed daemon cannot leave the program dropping traffic behind it,
 * and a link never replaces a program somebody else attached (that attempt fails with EBUSY).
 * Native (driver) mode is tried first, generic (SKB) mode after; sw_denyset_xdp_mode() says
 * which one held.
 *
 * Ageing: the program deletes an entry it finds expired; the module thread also sweeps both
 * maps every few seconds so entries of sources that never return are removed at their time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/xdp_deny.h"
#include "core/err.h"
#include "shield/denyset_internal.h"
#include "xdp_deny.skel.h"

#define MAX_IFACES 16
#define SWEEP_NS 5000000000ULL

struct xdp_be {
	struct xdp_deny *skel;
	int deny4_fd, deny6_fd, counters_fd;
	int link_fd[MAX_IFACES];
	bool generic[MAX_IFACES];
	unsigned nlinks;
	unsigned ncpus;
	uint64_t last_sweep;
	pthread_mutex_t mu; /* percpu, the buffer kernel_drops reads into */
	uint64_t *percpu;
};

/* libbpf's last warning during open/load, for the error message (the library never prints). */
static __thread char libbpf_msg[256];

__attribute__((format(printf, 2, 0))) static int capture_print(enum libbpf_print_level level,
							       const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[256];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	if (line[0])
		snprintf(libbpf_msg, sizeof(libbpf_msg), "%s", line);
	return 0;
}

struct iface_list {
	int ifindex[MAX_IFACES];
	char name[MAX_IFACES][IF_NAMESIZE];
	unsigned n;
	char *err;
	size_t errlen;
};

static int add_iface(const char *name, void *arg)
{
	struct iface_list *l = arg;
	if (l->n >= MAX_IFACES) {
		sw_errf(l->err, l->errlen,
			"deny set (xdp): more than %d interfaces in deny-interface", MAX_IFACES);
		return SW_E_LIMIT;
	}
	unsigned idx = if_nametoindex(name);
	if (idx == 0) {
		sw_errf(l->err, l->errlen,
			"deny set (xdp): no interface \"%s\" (deny-interface): name one that "
			"`ip link show` lists in the shield's network namespace",
			name);
		return SW_E_INVAL;
	}
	l->ifindex[l->n] = (int)idx;
	snprintf(l->name[l->n], IF_NAMESIZE, "%s", name);
	l->n++;
	return 0;
}

/* Attach prog to ifindex: native mode, else generic. Returns the link fd or a negative errno. */
static int attach(int prog_fd, int ifindex, bool *generic)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd >= 0) {
		*generic = false;
		return fd;
	}
	int first = -errno;
	if (first == -EBUSY || first == -EEXIST)
		return first; /* another program is attached: do not try to stack on it */
	opts.flags = XDP_FLAGS_SKB_MODE;
	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	if (fd >= 0) {
		*generic = true;
		return fd;
	}
	return -errno;
}

static void xdp_free(struct xdp_be *be)
{
	for (unsigned i = 0; i < be->nlinks; i++)
		close(be->link_fd[i]);
	xdp_deny__destroy(be->skel);
	free(be->percpu);
	free(be);
}

static int load(struct xdp_be *be, const struct sw_denyset_opts *o, char *err, size_t errlen)
{
	unsigned max = o->max_entries ? o->max_entries : 65536;
	be->skel = xdp_deny__open();
	if (!be->skel) {
		sw_errf(err, errlen, "deny set (xdp): cannot open the BPF object: %s",
			libbpf_msg[0] ? libbpf_msg : strerror(errno));
		return SW_E_IO;
	}
	be->skel->rodata->nports = o->nports;
	for (unsigned i = 0; i < o->nports && i < SW_XDP_MAX_PORTS; i++)
		be->skel->rodata->ports[i] = htons(o->ports[i]);
	be->skel->rodata->ipv6_prefix = o->ipv6_prefix;
	bpf_map__set_max_entries(be->skel->maps.deny4, max);
	bpf_map__set_max_entries(be->skel->maps.deny6, max);
	if (xdp_deny__load(be->skel)) {
		int e = errno;
		if (e == EPERM)
			sw_errf(err, errlen,
				"deny set (xdp): loading the BPF program: %s: run the shield as root "
				"(CAP_BPF and CAP_NET_ADMIN), or set deny-backend = nft",
				strerror(e));
		else
			sw_errf(err, errlen,
				"deny set (xdp): the kernel refused the BPF program (%s%s%s); a kernel "
				"with BPF and XDP is needed, or set deny-backend = nft",
				strerror(e), libbpf_msg[0] ? ": " : "", libbpf_msg);
		return SW_E_UNSUPPORTED;
	}
	be->deny4_fd = bpf_map__fd(be->skel->maps.deny4);
	be->deny6_fd = bpf_map__fd(be->skel->maps.deny6);
	be->counters_fd = bpf_map__fd(be->skel->maps.counters);
	return 0;
}

static int xdp_open(const struct sw_denyset_opts *o, void **ret, char *err, size_t errlen)
{
	struct iface_list ifs = {.err = err, .errlen = errlen};
	int rc = sw_denyset_each_interface(o->interfaces, add_iface, &ifs);
	if (rc == SW_E_RANGE)
		sw_errf(err, errlen, "deny set (xdp): a name in deny-interface is longer than %d",
			IF_NAMESIZE - 1);
	if (rc)
		return rc;
	if (ifs.n == 0) {
		sw_errf(err, errlen,
			"deny set (xdp): deny-interface is empty: name the interfaces SIP arrives on");
		return SW_E_CONFIG;
	}
	int ncpus = libbpf_num_possible_cpus();
	struct xdp_be *be = calloc(1, sizeof(*be));
	if (!be || ncpus <= 0 || !(be->percpu = calloc((size_t)ncpus, sizeof(uint64_t)))) {
		free(be);
		sw_errf(err, errlen, "deny set (xdp): out of memory");
		return SW_E_NOMEM;
	}
	be->ncpus = (unsigned)ncpus;
	libbpf_msg[0] = '\0';
	libbpf_print_fn_t old = libbpf_set_print(capture_print);
	rc = load(be, o, err, errlen);
	libbpf_set_print(old);
	if (rc) {
		xdp_free(be);
		return rc;
	}
	int prog_fd = bpf_program__fd(be->skel->progs.sw_xdp_deny);
	for (unsigned i = 0; i < ifs.n; i++) {
		int fd = attach(prog_fd, ifs.ifindex[i], &be->generic[i]);
		if (fd < 0) {
			if (fd == -EBUSY || fd == -EEXIST)
				sw_errf(err, errlen,
					"deny set (xdp): %s already has an XDP program (`ip link show "
					"%s`): remove it, or set deny-backend = nft",
					ifs.name[i], ifs.name[i]);
			else if (fd == -EPERM)
				sw_errf(err, errlen,
					"deny set (xdp): attaching to %s: %s: run the shield as root "
					"(CAP_NET_ADMIN)",
					ifs.name[i], strerror(-fd));
			else
				sw_errf(err, errlen,
					"deny set (xdp): cannot attach to %s in native or generic mode: "
					"%s (XDP links need Linux 5.9); or set deny-backend = nft",
					ifs.name[i], strerror(-fd));
			xdp_free(be);
			return fd == -EPERM ? SW_E_IO : SW_E_UNSUPPORTED;
		}
		be->link_fd[be->nlinks++] = fd;
	}
	if (pthread_mutex_init(&be->mu, NULL)) {
		xdp_free(be);
		return SW_E_NOMEM;
	}
	be->last_sweep = sw_denyset_now_ns();
	*ret = be;
	return 0;
}

/* The map and key for op; key6 is filled for IPv6. */
static int op_key(struct xdp_be *be, const struct sw_deny_op *op, uint32_t *key4,
		  struct sw_xdp_key6 *key6, const void **key)
{
	if (op->family == AF_INET) {
		memcpy(key4, op->addr, 4);
		*key = key4;
		return be->deny4_fd;
	}
	memset(key6, 0, sizeof(*key6));
	key6->plen = op->plen;
	memcpy(key6->addr, op->addr, 16);
	*key = key6;
	return be->deny6_fd;
}

static void xdp_apply(void *arg, const struct sw_deny_op *ops, unsigned n, struct sw_deny_result *r)
{
	struct xdp_be *be = arg;
	for (unsigned i = 0; i < n; i++) {
		const struct sw_deny_op *op = &ops[i];
		uint32_t k4;
		struct sw_xdp_key6 k6;
		const void *key;
		int fd = op_key(be, op, &k4, &k6, &key);
		int rc;
		if (op->kind == SW_DENY_OP_ADD) {
			struct sw_xdp_entry v = {.expires_ns = op->expires_ns};
			rc = bpf_map_update_elem(fd, key, &v, BPF_ANY);
		} else {
			rc = bpf_map_delete_elem(fd, key);
			if (rc && errno == ENOENT)
				rc = 0; /* already gone: expired or never added */
		}
		if (rc == 0) {
			if (op->kind == SW_DENY_OP_ADD)
				r->added++;
			else
				r->removed++;
			continue;
		}
		r->failed++;
		if (!r->err[0])
			snprintf(r->err, sizeof(r->err), "deny set (xdp): %s map update: %s",
				 op->kind == SW_DENY_OP_ADD ? "add" : "delete", strerror(errno));
	}
}

/* Delete the expired entries of a map (bounded by max_entries lookups). */
static void sweep(int fd, size_t keylen, unsigned max, uint64_t now)
{
	uint8_t key[sizeof(struct sw_xdp_key6)], next[sizeof(struct sw_xdp_key6)];
	void *prev = NULL;
	for (unsigned i = 0; i <= max; i++) {
		if (bpf_map_get_next_key(fd, prev, next))
			return;
		struct sw_xdp_entry v;
		bool expired = bpf_map_lookup_elem(fd, next, &v) == 0 && v.expires_ns <= now;
		memcpy(key, next, keylen);
		prev = key;
		if (expired)
			bpf_map_delete_elem(fd, key); /* next_key of a deleted key restarts: fine */
	}
}

static void xdp_tick(void *arg, uint64_t now)
{
	struct xdp_be *be = arg;
	if (now - be->last_sweep < SWEEP_NS)
		return;
	be->last_sweep = now;
	sweep(be->deny4_fd, sizeof(uint32_t), bpf_map__max_entries(be->skel->maps.deny4), now);
	sweep(be->deny6_fd, sizeof(struct sw_xdp_key6), bpf_map__max_entries(be->skel->maps.deny6),
	      now);
}

static void xdp_kernel_drops(void *arg, uint64_t *in, uint64_t *out)
{
	struct xdp_be *be = arg;
	uint32_t slot = SW_XDP_DROPS;
	*in = *out = 0;
	pthread_mutex_lock(&be->mu);
	if (bpf_map_lookup_elem(be->counters_fd, &slot, be->percpu) == 0)
		for (unsigned c = 0; c < be->ncpus; c++)
			*in += be->percpu[c];
	pthread_mutex_unlock(&be->mu);
}

static const char *xdp_mode(const void *arg)
{
	const struct xdp_be *be = arg;
	bool native = false, generic = false;
	for (unsigned i = 0; i < be->nlinks; i++) {
		if (be->generic[i])
			generic = true;
		else
			native = true;
	}
	return native && generic ? "mixed" : generic ? "generic" : "native";
}

static void xdp_close(void *arg)
{
	struct xdp_be *be = arg;
	pthread_mutex_destroy(&be->mu);
	xdp_free(be);
}

int sw_denyset_xdp_cleanup(const char *name, char *err, size_t errlen)
{
	unsigned idx = if_nametoindex(name);
	if (idx == 0)
		return 0; /* no such interface: nothing can be attached to it */
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	if (bpf_xdp_query((int)idx, 0, &q) || q.prog_id == 0)
		return 0;
	int fd = bpf_prog_get_fd_by_id(q.prog_id);
	if (fd < 0) {
		sw_errf(err, errlen, "deny set (xdp): %s: cannot inspect its XDP program: %s", name,
			strerror(errno));
		return SW_E_IO;
	}
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	int rc = 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	    strcmp(info.name, SW_XDP_PROG_NAME) == 0) {
		__u32 mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE :
			     q.attach_mode == XDP_ATTACHED_DRV ? XDP_FLAGS_DRV_MODE :
								 0;
		LIBBPF_OPTS(bpf_xdp_attach_opts, a, .old_prog_fd = fd);
		if (bpf_xdp_detach((int)idx, mode | XDP_FLAGS_REPLACE, &a)) {
			rc = SW_E_IO;
			sw_errf(err, errlen,
				"deny set (xdp): %s: cannot detach the shield's XDP program: %s%s",
				name, strerror(errno),
				errno == EBUSY ? " (a running shield holds it)" : "");
		}
	}
	close(fd);
	return rc;
}

const struct sw_denyset_backend sw_denyset_xdp = {
	.id = SW_DENY_XDP,
	.open = xdp_open,
	.apply = xdp_apply,
	.tick = xdp_tick,
	.kernel_drops = xdp_kernel_drops,
	.mode = xdp_mode,
	.close = xdp_close,
};
