/*
 * The kernel deny set's backends (denyset_nft.c, denyset_xdp.c) as a table of functions that the
 * common part (denyset.c: queue, thread, counters) calls. Not for use outside src/shield/denyset*.
 */
#ifndef SW_SHIELD_DENYSET_INTERNAL_H
#define SW_SHIELD_DENYSET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shield/denyset.h"

/* Requests the module thread hands to a backend at once (one nft transaction). */
#define SW_DENYSET_NFT_BATCH 1024

enum sw_deny_op_kind { SW_DENY_OP_ADD = 0, SW_DENY_OP_DEL };

/* One queued request, already validated: addr masked to plen (32 for IPv4, ipv6_prefix or 128). */
struct sw_deny_op {
	uint8_t kind;   /* enum sw_deny_op_kind */
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t plen;
	uint8_t addr[16];
	uint64_t expires_ns; /* CLOCK_MONOTONIC; adds only */
};

/* What one apply call did. */
struct sw_deny_result {
	uint64_t added, removed, failed;
	char err[256]; /* the first failure, "" when none */
};

struct sw_denyset_backend {
	enum sw_deny_backend id;
	/* Install; *ret is the backend's state. */
	int (*open)(const struct sw_denyset_opts *o, void **ret, char *err, size_t errlen);
	/* Apply n requests (several for one key are possible; the last wins). Module thread only. */
	void (*apply)(void *be, const struct sw_deny_op *ops, unsigned n, struct sw_deny_result *r);
	/* Called about once a second by the module thread when idle (expiry sweeps); may be NULL. */
	void (*tick)(void *be, uint64_t now_ns);
	/* Packets dropped by the kernel so far; any thread. */
	void (*kernel_drops)(void *be, uint64_t *in, uint64_t *out);
	/* "native"/"generic" for XDP; may be NULL. */
	const char *(*mode)(const void *be);
	/* Uninstall and free. */
	void (*close)(void *be);
};

extern const struct sw_denyset_backend sw_denyset_nft;
extern const struct sw_denyset_backend sw_denyset_xdp;

/* CLOCK_MONOTONIC in nanoseconds (the clock of bpf_ktime_get_ns). */
uint64_t sw_denyset_now_ns(void);

/*
 * nft text for a batch: for each key its last request, as "add element" then "delete element"
 * (removes an existing element whatever its timeout, and cannot fail for a missing one), then
 * for adds "add element ... timeout Nms" again (the time left after now_ns, at least 1 ms).
 * Returns the text length, or SW_E_LIMIT when buf is too small or n > SW_DENYSET_NFT_BATCH.
 * Exposed for the unit tests.
 */
int sw_denyset_nft_batch(const struct sw_deny_op *ops, unsigned n, uint8_t ipv6_prefix,
			 uint64_t now_ns, char *buf, size_t len);

/*
 * The nft text that creates the table: a stale table first deleted, then sets, counters and
 * chains for these ports. Returns the length or SW_E_LIMIT / SW_E_INVAL. For the unit tests.
 */
int sw_denyset_nft_table(const struct sw_denyset_opts *o, char *buf, size_t len);

/*
 * Split a comma-separated interface list: calls fn for each non-empty name (whitespace around
 * names ignored). SW_E_RANGE for a name longer than IF_NAMESIZE-1; fn's nonzero return stops
 * it and is returned.
 */
int sw_denyset_each_interface(const char *list, int (*fn)(const char *name, void *arg), void *arg);

/* Remove the XDP program named SW_XDP_PROG_NAME from interface name (for cleanup). */
int sw_denyset_xdp_cleanup(const char *name, char *err, size_t errlen);

/* Delete the nft table if it exists. */
int sw_denyset_nft_cleanup(char *err, size_t errlen);

#endif
