/*
 * The kernel deny set: sources the shield has denied are handed to the kernel, which drops their
 * later SIP packets before they reach user space (deny-backend in the shield's config).
 *
 *   nft  an nftables table of the shield's own, inet sipwarden_deny, with sets of denied IPv4
 *        addresses and IPv6 prefixes and addresses whose elements carry a timeout equal to
 *        the deny-period, matched by drop rules in a prerouting chain at priority raw (before
 *        conntrack and long before the filter-table rule that queues SIP to the shield) and in
 *        an output chain at priority raw (the server's answers to a denied party never leave).
 *        Only UDP to (in) or from (out) the SIP ports is dropped. Written with libnftables, so
 *        no process is forked per deny.
 *   xdp  an XDP program (src/bpf/xdp_deny.bpf.c) on deny-interface, dropping UDP to the SIP
 *        ports from denied sources in expiring LRU hash maps, at line rate, before the kernel
 *        allocates a socket buffer. Inbound only: the server's answers are still dropped by the
 *        shield in user space.
 *
 * Adding is asynchronous: sw_denyset_add() is called by packet workers at deny time, so it only
 * copies the request into a bounded queue (a short mutex section, no system call unless the
 * module's thread sleeps) and returns; the module's own thread drains the queue and applies many
 * requests at once (one nft transaction, or a run of map updates). A full queue makes add return
 * SW_E_LIMIT and counts an overflow: the engine keeps dropping that source in user space.
 *
 * Addresses: IPv4 sources are single addresses (plen 32). IPv6 sources are either prefixes of
 * exactly ipv6_prefix bits (the engine aggregates untrusted IPv6 sources to those) or single
 * addresses (plen 128); other lengths are refused with SW_E_UNSUPPORTED.
 *
 * Timeouts: an entry's expiry is fixed when add is called (CLOCK_MONOTONIC plus timeout_ms), so a
 * request that waits in the queue does not outlive the engine's deny-period. nftables keeps
 * millisecond timeouts, capped at SW_DENYSET_MAX_TIMEOUT_MS; XDP keeps nanosecond expiries.
 *
 * Both backends are removed by sw_denyset_close(). If the daemon dies without closing, the nft
 * table stays (sw_denyset_cleanup() or the next sw_denyset_open() removes it); the XDP program is
 * attached through a BPF link, which the kernel removes when the process's last descriptor goes.
 *
 * Threads: every function may be called from any thread, except that open and close must not
 * race with any other call on the same handle.
 */
#ifndef SW_SHIELD_DENYSET_H
#define SW_SHIELD_DENYSET_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "shield/config.h"

/* nftables' table: the shield never touches any other. */
#define SW_DENYSET_NFT_TABLE "sipwarden_deny"
/* The longest element timeout given to nftables (about 24.8 days); XDP has no cap. */
#define SW_DENYSET_MAX_TIMEOUT_MS 2147483647ULL
/* Requests the queue holds before add reports an overflow. */
#define SW_DENYSET_QUEUE 8192

struct sw_denyset_opts {
	enum sw_deny_backend backend; /* NFT, XDP, OFF, or AUTO: NFT when nf_tables works, else OFF */
	const uint16_t *ports; /* the server's UDP SIP ports, host byte order (1-16 of them) */
	unsigned nports;
	const char *interfaces; /* XDP: interface names, comma-separated ("eth0,eth1") */
	uint8_t ipv6_prefix;    /* 1-128: the length the engine aggregates IPv6 sources to */
	unsigned max_entries;   /* per address family; 0 = 65536 */
};

struct sw_denyset_stats {
	uint64_t added;        /* add requests applied in the kernel */
	uint64_t removed;      /* del requests applied */
	uint64_t failed;       /* requests the kernel refused (sw_denyset_last_error says why) */
	uint64_t overflow;     /* add requests refused because the queue was full */
	uint64_t kernel_drops; /* packets the kernel dropped: kernel_drops_in + kernel_drops_out */
	uint64_t kernel_drops_in;  /* from denied sources (nft counter, or XDP per-CPU counter) */
	uint64_t kernel_drops_out; /* to denied parties (nft only) */
};

struct sw_denyset;

/*
 * Install the backend: nft replaces a stale table left by a crash and creates its own; xdp loads
 * the program and attaches it to every interface of o->interfaces (native mode, else generic).
 * A failure is a one-line message in err naming what failed and how to fix it (missing kernel
 * support, no privilege, unknown interface). With AUTO, a kernel without nf_tables resolves to
 * OFF: the call succeeds and err holds why (for a warning). An OFF handle accepts every call and
 * does nothing.
 */
int sw_denyset_open(const struct sw_denyset_opts *o, struct sw_denyset **ret, char *err,
		    size_t errlen);

/* The backend in use (never AUTO). */
enum sw_deny_backend sw_denyset_backend(const struct sw_denyset *d);

/*
 * How XDP is attached: "native" or "generic" (the first interface's; "" for other backends),
 * for the daemon's start-up line.
 */
const char *sw_denyset_xdp_mode(const struct sw_denyset *d);

/*
 * Queue "drop addr/plen for timeout_ms from now". Never blocks on the kernel. 0 when queued;
 * SW_E_LIMIT when the queue is full (counted as overflow); SW_E_INVAL or SW_E_UNSUPPORTED for an
 * address or prefix length the set cannot hold (see above). plen 0 means the whole address.
 */
int sw_denyset_add(struct sw_denyset *d, const struct sw_endpoint *addr, uint8_t plen,
		   uint64_t timeout_ms);

/* Queue the removal of addr/plen (an operator's unblock). Returns as sw_denyset_add. */
int sw_denyset_del(struct sw_denyset *d, const struct sw_endpoint *addr, uint8_t plen);

/* Wait until every request queued before the call has been applied (or failed). */
int sw_denyset_sync(struct sw_denyset *d);

/* Counters so far; kernel counters are read from the kernel on each call. */
void sw_denyset_stats(struct sw_denyset *d, struct sw_denyset_stats *s);

/* The last failure the module's thread met ("" when none): copied into buf. */
void sw_denyset_last_error(struct sw_denyset *d, char *buf, size_t len);

/* Remove the table or detach the program, stop the thread, free. NULL is fine. */
void sw_denyset_close(struct sw_denyset *d);

/*
 * Remove what a crashed daemon left: the nft table inet sipwarden_deny, and on each of the
 * comma-separated interfaces (NULL or "" for none) an XDP program that is ours (by name). 0 when
 * nothing is left (also when nothing was there), else an error with err saying what remains.
 */
int sw_denyset_cleanup(const char *interfaces, char *err, size_t errlen);

#endif
