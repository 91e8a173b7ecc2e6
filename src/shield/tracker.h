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
 * trusted endpoint, least recently seen first (endpoints no longer trusted before those that
 * are). Nothing is allocated after creation. Buckets are chosen by SipHash-2-4 under a key from
 * getrandom, so nobody outside can aim sources at one bucket. 88 bytes per tracked source, index
 * included (sizeof(struct sw_tracked) is 80). tracker.c explains the layout.
 *
 * State changes: the policy changes an entry's state (struct sw_src) after the call that returned
 * it, and the tracker learns of the change at its next calls (it rechecks the last four entries
 * it handed out; it does not read entries when it evicts, which would cost a memory round trip
 * per new source). So change an entry only before four more lookups; the engine's natural order
 * (get, policy, then perhaps addr or promote) is fine, and so are changes made by a foreach
 * callback. A deny-period running out needs nothing: the tracker checks that when it must.
 *
 * Not thread-safe: one tracker per thread, or a lock around it.
 */
#ifndef SW_SHIELD_TRACKER_H
#define SW_SHIELD_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/siphash.h"
#include "net/addr.h"
#include "shield/policy.h"

struct sw_tracker;

struct sw_tracker_cfg {
	size_t memory;            /* bytes for both pools together (the hard cap) */
	unsigned trusted_percent; /* share of memory for the trusted pool, 1-99 */
	uint8_t ipv6_prefix;      /* IPv6 untrusted sources aggregated to this length, 1-128 */
};

/* A tracked source: the key and the policy state, as returned by lookups. 80 bytes. */
struct sw_tracked {
	struct sw_endpoint key; /* port 0 for address entries; IPv6 masked to the prefix */
	uint16_t realm;         /* realm index remembered with the entry (0 when created) */
	uint8_t endpoint; /* 1: a trusted-pool endpoint entry (address and port); 0: address */
	struct sw_src src;
};

/*
 * Allocate (mmap) and key a tracker. The pools get trusted_percent and the rest of cfg->memory
 * minus the tracker's own few hundred bytes, each rounded down to whole buckets of 8 entries
 * (704 bytes). 0; SW_E_INVAL for a bad setting or memory too small for a bucket per pool;
 * SW_E_RANGE for more than 2^32 buckets; SW_E_NOMEM; SW_E_IO without a random source.
 */
int sw_tracker_new(const struct sw_tracker_cfg *cfg, struct sw_tracker **ret);
void sw_tracker_free(struct sw_tracker *t);

/*
 * The entry for a packet from (or to) ep: the trusted endpoint entry for ep's address and port
 * if there is one, else the address entry, created (possibly evicting another) when create is
 * set; a new entry is untrusted with its window starting at now_ms, realm 0 (set it). NULL when
 * create is not set and there is no entry, or for an unknown address family. The pointer stays
 * valid until the next call that can create, promote or evict. Sets src.last_seen_s.
 */
struct sw_tracked *sw_tracker_get(struct sw_tracker *t, const struct sw_endpoint *ep, int create,
				  uint64_t now_ms);

/*
 * Move a source that became trusted into the trusted pool as an endpoint entry (address and
 * port of ep), copying its state and realm; the address entry stays, its state set back to
 * untrusted, for the other endpoints behind the address. Returns the endpoint entry (addr_entry
 * itself when it already is one: a demoted endpoint promoted again), or NULL for an unknown
 * address family. Call when the policy's decision says promoted. The address entry's pointer
 * stays valid (promote only touches the trusted pool).
 */
struct sw_tracked *sw_tracker_promote(struct sw_tracker *t, struct sw_tracked *addr_entry,
				      const struct sw_endpoint *ep, uint64_t now_ms);

/*
 * One packet's lookups, prepared once: the keys of ep's address entry and endpoint entry with
 * where their keyed hashes place them. The _lookup variants of the calls here take it instead
 * of an endpoint and behave exactly as the plain ones with that endpoint, without hashing again:
 * an engine that asks about one packet's source several times (the deny check, the entry, the
 * NAT address, the promotion) pays one SipHash, not four. A plain value: no pointers into the tracker, valid
 * for the tracker's lifetime.
 */
struct sw_tracker_lookup {
	struct sw_endpoint akey; /* address entry: port 0, IPv6 masked to the prefix */
	struct sw_endpoint ekey; /* endpoint entry: address and port */
	uint32_t atag, ab[2];    /* the address key's tag and bucket in the untrusted pool */
	uint32_t etag, eb[2];    /* the endpoint key's tag and two buckets in the trusted pool */
	uint8_t ok;              /* 0: an unknown address family, which has no entries */
};
void sw_tracker_lookup_init(const struct sw_tracker *t, const struct sw_endpoint *ep,
			    struct sw_tracker_lookup *lk);

/*
 * The staged prefetch of a batch. A lookup reads a bucket's index line, then the entry the index
 * names, in the trusted pool and, when that has no entry, in the untrusted pool: up to four
 * dependent memory round trips. Call this with step 0, 1, 2 for the same lookup at least one
 * packet's work apart (step 0 first, e.g. three packets ahead, then two, then one): each step
 * reads what the previous one fetched and fetches the next line that lookup will need - only the
 * lines it will read (a new source's whole untrusted bucket, which its insert writes). Changes
 * nothing; skipping steps only costs time.
 */
#define SW_TRACKER_PREFETCH_STEPS 3
void sw_tracker_prefetch_lookup(const struct sw_tracker *t, const struct sw_tracker_lookup *lk,
				unsigned step);

struct sw_tracked *sw_tracker_get_lookup(struct sw_tracker *t, const struct sw_tracker_lookup *lk,
					 int create, uint64_t now_ms);
struct sw_tracked *sw_tracker_get_addr_lookup(struct sw_tracker *t,
					      const struct sw_tracker_lookup *lk);
struct sw_tracked *sw_tracker_addr_lookup(struct sw_tracker *t, const struct sw_tracker_lookup *lk,
					  uint64_t now_ms);
struct sw_tracked *sw_tracker_promote_lookup(struct sw_tracker *t, struct sw_tracked *addr_entry,
					     const struct sw_tracker_lookup *lk, uint64_t now_ms);

/* The address entry of ep (port ignored), or NULL; for NAT checks. Not a use (no LRU touch). */
struct sw_tracked *sw_tracker_get_addr(struct sw_tracker *t, const struct sw_endpoint *ep);

/*
 * The address entry of ep (port ignored), created (possibly evicting another untrusted entry)
 * when there is none: for sw_policy_endpoint_denied after a trusted endpoint was denied, whose
 * address entry a flood may have evicted. NULL only for an unknown address family. Like
 * sw_tracker_get, it never touches the trusted pool.
 */
struct sw_tracked *sw_tracker_addr(struct sw_tracker *t, const struct sw_endpoint *ep,
				   uint64_t now_ms);

/*
 * Forget ep's entries (operator `unblock`): its address entry and the endpoint entry of its port,
 * or with port 0 every endpoint entry of the address (a scan of the trusted pool). Returns how
 * many were removed.
 */
int sw_tracker_remove(struct sw_tracker *t, const struct sw_endpoint *ep);

struct sw_tracker_stats {
	size_t capacity_trusted, capacity_untrusted;
	size_t trusted, untrusted, denied; /* entries by state */
	uint64_t evicted_trusted, evicted_untrusted;
	size_t bytes;           /* memory held, all of it allocated at creation */
	size_t bytes_per_entry; /* sizeof an entry slot, index included */
};
/*
 * Replace the random hash key of an empty tracker: two trackers fed the same sources place and
 * evict them alike only under the same key (a test comparing two engines needs that). SW_E_INVAL
 * when the tracker holds entries.
 */
int sw_tracker_set_key(struct sw_tracker *t, const uint8_t key[SW_SIPHASH_KEY_LEN]);

/* Counts by state scan every entry: O(capacity), for reports and metrics, not per packet. */
void sw_tracker_stats(const struct sw_tracker *t, struct sw_tracker_stats *ret);

/* Visit every entry (for `inspect` reports and the shield's `list`). Stops when fn returns != 0. */
int sw_tracker_foreach(struct sw_tracker *t, int (*fn)(struct sw_tracked *e, void *arg), void *arg);

#endif
