/*
 * The source tracker: a bounded table of per-source state (struct sw_src) with a hard memory cap
 * and an eviction an attacker cannot use to push out trusted endpoints.
 *
 * Keys: untrusted and denied sources are tracked per address (IPv6 aggregated to the configured
 * prefix length, so one /64 is one source); trusted endpoints per address and port, because
 * several phones behind one NAT share the address. The table keeps two pools of fixed capacity,
 * allocated once at creation: a trusted pool and an untrusted pool (denied sources live in the
 * untrusted pool). A flood of new untrusted sources evicts only untrusted entries (denied ones
 * last, the least recently seen first); a trusted endpoint leaves its pool only for another
 * trusted endpoint, least recently seen first. Nothing is allocated after creation.
 */
#ifndef SW_SHIELD_TRACKER_H
#define SW_SHIELD_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "shield/policy.h"

struct sw_tracker;

struct sw_tracker_cfg {
	size_t memory;            /* bytes for both pools together (the hard cap) */
	unsigned trusted_percent; /* share of memory for the trusted pool, 1-99 */
	uint8_t ipv6_prefix;      /* IPv6 untrusted sources aggregated to this length, 1-128 */
};

/* A tracked source: the key and the policy state, as returned by lookups. */
struct sw_tracked {
	struct sw_endpoint key; /* port 0 for address entries; IPv6 masked to the prefix */
	uint16_t realm;         /* realm index remembered with the entry */
	struct sw_src src;
};

int sw_tracker_new(const struct sw_tracker_cfg *cfg, struct sw_tracker **ret);
void sw_tracker_free(struct sw_tracker *t);

/*
 * The entry for a packet from (or to) ep: the trusted endpoint entry for ep's address and port
 * if there is one, else the address entry, created (possibly evicting another) when create is
 * set. NULL only when create is not set and there is no entry. The pointer stays valid until the
 * next call that can create, promote or evict.
 */
struct sw_tracked *sw_tracker_get(struct sw_tracker *t, const struct sw_endpoint *ep, int create,
				  uint64_t now_ms);

/*
 * Move a source that became trusted into the trusted pool as an endpoint entry (address and
 * port of ep), copying its state; the address entry stays for the other endpoints behind it.
 * Returns the endpoint entry. Call after the policy set state = trusted on an address entry.
 */
struct sw_tracked *sw_tracker_promote(struct sw_tracker *t, struct sw_tracked *addr_entry,
				      const struct sw_endpoint *ep, uint64_t now_ms);

/* The address entry of ep (port ignored), or NULL; for NAT counting. */
struct sw_tracked *sw_tracker_get_addr(struct sw_tracker *t, const struct sw_endpoint *ep);

/* Forget ep's entries (operator `unblock`). Returns how many were removed. */
int sw_tracker_remove(struct sw_tracker *t, const struct sw_endpoint *ep);

struct sw_tracker_stats {
	size_t capacity_trusted, capacity_untrusted;
	size_t trusted, untrusted, denied; /* entries by state */
	uint64_t evicted_trusted, evicted_untrusted;
	size_t bytes;          /* memory held, all of it allocated at creation */
	size_t bytes_per_entry; /* sizeof an entry slot, index included */
};
void sw_tracker_stats(const struct sw_tracker *t, struct sw_tracker_stats *ret);

/* Visit every entry (for `inspect` reports and the shield's `list`). Stops when fn returns != 0. */
int sw_tracker_foreach(struct sw_tracker *t, int (*fn)(struct sw_tracked *e, void *arg), void *arg);

#endif
