/*
 * The kernel deny set's XDP program and user space share these map layouts (STYLE.md rule 11).
 *
 * deny4 and deny6 are LRU hash maps (a full map evicts the least recently used entry rather than
 * refusing a new one) whose value is the entry's expiry on CLOCK_MONOTONIC in nanoseconds: the
 * clock bpf_ktime_get_ns() reads. The program drops while the expiry is in the future and deletes
 * the entry the first time it meets it expired; user space also sweeps expired entries, so
 * sources that never come back do not sit in the map until evicted.
 *
 * IPv4 keys are the address in network byte order. IPv6 keys carry a prefix length: the program
 * looks a source up twice, masked to the configured ipv6_prefix and as the full /128 address,
 * so an aggregated untrusted prefix and a single denied address can both be held.
 */
#ifndef SW_BPF_XDP_DENY_H
#define SW_BPF_XDP_DENY_H

#include <linux/types.h>

#define SW_XDP_MAX_PORTS 16

/* The program's name as the kernel reports it (at most 15 characters): how cleanup knows ours. */
#define SW_XDP_PROG_NAME "sw_xdp_deny"

struct sw_xdp_key6 {
	__u32 plen;    /* ipv6_prefix, or 128 */
	__u8 addr[16]; /* network byte order, bits past plen zero */
};

struct sw_xdp_entry {
	__u64 expires_ns; /* CLOCK_MONOTONIC */
};

/* Slots of the per-CPU counter array. */
enum sw_xdp_counter {
	SW_XDP_DROPS = 0, /* packets dropped */
	SW_XDP_EXPIRED,   /* entries the program found expired and deleted */
	SW_XDP__NCOUNTERS,
};

#endif
