/*
 * The source tracker: two set-associative tables under one hard memory cap.
 *
 * Each pool is an array of buckets. A bucket holds 8 entries (struct sw_tracked, 80 bytes) and,
 * in the cache line in front of them, 8 ways of metadata: a 32-bit tag from the key's hash
 * (0 = empty) and a 32-bit stamp (a per-pool clock of touches in the low 31 bits, and a "keep"
 * bit on top for entries that should go last). 64 + 8 * 80 = 704 bytes for 8 entries: 88 bytes
 * per tracked source with the index, nothing else per entry, nothing allocated after creation.
 * The table is one mapping, aligned for transparent huge pages.
 *
 * A lookup hashes the key with SipHash-2-4 under a key drawn from getrandom at creation (once
 * per packet for IPv4: the endpoint hash is derived from the address hash), picks the bucket
 * from the high half of the hash and compares the low half (the tag) against the 8 ways in one
 * cache line before comparing a key. An attacker who cannot learn the key cannot aim sources at
 * one bucket: spoofed sources spread evenly, and each insert evicts within its own bucket only.
 *
 * Cost. A table larger than the caches costs memory round trips per lookup: the index line, then
 * the entry it names (two lines), in the trusted pool and, for a source that is not a trusted
 * endpoint, in the untrusted pool. The victim's entry is never read at eviction: classes are kept
 * current in the metadata instead (see sync_recent). An engine that reads packets in batches
 * prepares each packet's lookup once (sw_tracker_lookup_init: the one SipHash) and prefetches
 * in steps a packet apart (sw_tracker_prefetch_lookup): index lines first, then only the entry
 * lines a tag names - for a new source the whole untrusted bucket, for writing, since its insert
 * overwrites an entry the metadata names only once it has arrived. Fetching every lookup's whole
 * untrusted bucket (11 lines) instead made that pool's 60 MB the working set of a benchmark
 * whose packets mostly come from trusted phones, which never read it.
 *
 * Eviction is LRU within the bucket, by class. In the untrusted pool a denied entry (still in its
 * deny-period) is kept over a plain one, so a flood of new addresses evicts the sources it floods
 * with, not the scanners already denied; when a bucket holds only denied entries the least
 * recently seen goes. In the trusted pool a trusted endpoint is kept over an endpoint that was
 * denied or demoted. The untrusted pool never evicts from the trusted pool: the only way into the
 * trusted pool is sw_tracker_promote, after the server accepted the source's credentials.
 *
 * The trusted pool gives each key two candidate buckets (partial-key cuckoo hashing: either
 * bucket and the tag give the other), inserts into the emptier one, and when both are full
 * first tries to move one of their entries to its other bucket. A trusted endpoint is evicted
 * only when that fails too, which takes a pool about 90% full, not one unlucky bucket. The
 * untrusted pool is a cache of strangers and attackers and lives with one bucket per key.
 *
 * The clock is 31 bits, so an entry untouched for 2^31 touches of its pool may look recent
 * again: LRU-ish, never unsafe.
 */
#include "shield/tracker.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/siphash.h"

#define WAYS 8
#define STAMP_KEEP 0x80000000u
#define STAMP_CLOCK 0x7fffffffu

struct way {
	uint32_t tag;   /* 0: empty */
	uint32_t stamp; /* STAMP_KEEP | clock at the last touch */
};

struct bucket {
	struct way w[WAYS];
	struct sw_tracked e[WAYS];
};

struct pool {
	struct bucket *b;
	uint32_t nb;    /* buckets */
	uint32_t clock; /* touches, for LRU */
	bool trusted;   /* the trusted pool: classes and two choices differ */
	size_t used;    /* occupied ways */
	uint64_t evicted;
};

/* An entry handed out recently, whose class the policy may have changed since. */
struct recent {
	struct pool *pl;
	struct way *w;
	struct sw_tracked *e;
};

#define RECENT 4

struct sw_tracker {
	struct pool pool[2]; /* TRUSTED_POOL, UNTRUSTED_POOL */
	struct recent recent[RECENT];
	unsigned recent_next;
	uint64_t now_ms; /* the latest time any call was given */
	uint8_t key[SW_SIPHASH_KEY_LEN];
	uint8_t ipv6_prefix;
	void *map;
	size_t map_len;
};

enum { TRUSTED_POOL = 0, UNTRUSTED_POOL = 1 };

/* A lookup key in one pool: the key, its tag and its candidate buckets. */
struct probe {
	const struct sw_endpoint *key;
	uint32_t tag;
	uint32_t b[2]; /* candidate buckets; b[1] == b[0] in the untrusted pool */
};

/* Lemire's multiply-shift: x (uniform 32 bits) to [0, n) without a division. */
static uint32_t reduce(uint32_t x, uint32_t n)
{
	return (uint32_t)(((uint64_t)x * n) >> 32);
}

/*
 * The keyed hash of a key's address (its port aside): IPv4 as one 8-byte word, IPv6 as 24 bytes,
 * so the common case costs one SipHash block (about 10 ns).
 */
static uint64_t addr_hash(const struct sw_tracker *t, const struct sw_endpoint *k)
{
	uint8_t msg[24] = {0};

	if (k->family == AF_INET) {
		msg[0] = 4;
		memcpy(msg + 4, k->addr, 4);
		return sw_siphash24(t->key, msg, 8);
	}
	msg[0] = 6;
	memcpy(msg + 8, k->addr, 16);
	return sw_siphash24(t->key, msg, 24);
}

/*
 * An endpoint's hash from its address's: MurmurHash3's 64-bit finalizer (a bijection) over the
 * address hash and the port. The address hash is already secret, so this one is too, and a
 * packet of an IPv4 source needs one SipHash for both pools.
 */
static uint64_t with_port(uint64_t h, uint16_t port)
{
	h ^= ((uint64_t)port + 1) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/*
 * The trusted pool's other bucket for a key in bucket b with this tag: (F - b) mod nb, F from the
 * tag alone, so either bucket gives the other without the key (partial-key cuckoo hashing).
 */
static uint32_t alt_bucket(const struct pool *pl, uint32_t tag, uint32_t b)
{
	uint32_t f = reduce(tag * 0x9e3779b1u, pl->nb);

	return f >= b ? f - b : f + pl->nb - b;
}

/* The tag and candidate buckets of a key with hash h in pool which. */
static void place(const struct sw_tracker *t, int which, uint64_t h, uint32_t *tag, uint32_t b[2])
{
	const struct pool *pl = &t->pool[which];

	*tag = (uint32_t)h | 1;
	b[0] = reduce((uint32_t)(h >> 32), pl->nb);
	b[1] = pl->trusted ? alt_bucket(pl, *tag, b[0]) : b[0];
}

/* The metadata lines of p's candidate buckets: what a lookup reads first. */
static void prefetch_index(const struct pool *pl, const struct probe *p)
{
	__builtin_prefetch(&pl->b[p->b[0]].w, 1);
	if (p->b[1] != p->b[0])
		__builtin_prefetch(&pl->b[p->b[1]].w, 1);
}

/*
 * The whole bucket, for writing: a new source overwrites an entry the metadata names only once
 * it has arrived. Fetching all 11 lines at once costs one memory round trip instead of two after
 * each other (measured: 380 -> 220 ns a lookup in a 64 MB table on a VM whose memory latency is
 * 230 ns). Only for a lookup that will probably insert: for any other it is 9 lines of traffic,
 * and cache, spent on entries nobody reads.
 */
static void prefetch_bucket(const struct pool *pl, uint32_t bi)
{
	const char *b = (const char *)&pl->b[bi];

	for (size_t off = 0; off < sizeof(struct bucket); off += 64)
		__builtin_prefetch(b + off, 1);
}

/* The lines of one entry (80 bytes: two lines), for the policy's reads and writes. */
static void prefetch_entry(const struct sw_tracked *e)
{
	__builtin_prefetch(e, 1);
	__builtin_prefetch((const char *)(e + 1) - 1, 1);
}

static bool family_ok(const struct sw_endpoint *ep)
{
	return ep->family == AF_INET || ep->family == AF_INET6;
}

/* The endpoint key of ep: family, full address, port. */
static void endpoint_key(const struct sw_endpoint *ep, struct sw_endpoint *k)
{
	memset(k, 0, sizeof(*k));
	k->family = ep->family;
	k->port = ep->port;
	memcpy(k->addr, ep->addr, ep->family == AF_INET ? 4 : 16);
}

/* A probe for the address entry of ep: port 0, IPv6 masked to the configured prefix. */
static void address_key(const struct sw_tracker *t, const struct sw_endpoint *ep,
			struct sw_endpoint *k)
{
	endpoint_key(ep, k);
	k->port = 0;
	if (ep->family == AF_INET6) {
		unsigned plen = t->ipv6_prefix, full = plen / 8;

		if (full < 16) {
			k->addr[full] &= (uint8_t)(0xff00u >> (plen % 8));
			memset(k->addr + full + 1, 0, 16 - full - 1);
		}
	}
}

void sw_tracker_lookup_init(const struct sw_tracker *t, const struct sw_endpoint *ep,
			    struct sw_tracker_lookup *lk)
{
	lk->ok = family_ok(ep);
	if (!lk->ok)
		return;
	uint64_t ah, eh;

	address_key(t, ep, &lk->akey);
	ah = addr_hash(t, &lk->akey);
	endpoint_key(ep, &lk->ekey);
	/* One SipHash for both keys when the address key holds the whole address (IPv4, /128). */
	eh = memcmp(lk->akey.addr, lk->ekey.addr, sizeof(lk->ekey.addr)) == 0 ?
		     ah :
		     addr_hash(t, &lk->ekey);
	place(t, UNTRUSTED_POOL, ah, &lk->atag, lk->ab);
	place(t, TRUSTED_POOL, with_port(eh, ep->port), &lk->etag, lk->eb);
}

/* The probe for the address entry of a prepared lookup (untrusted pool). */
static void address_probe(const struct sw_tracker_lookup *lk, struct probe *p)
{
	p->key = &lk->akey;
	p->tag = lk->atag;
	p->b[0] = p->b[1] = lk->ab[0];
}

/* The probe for the endpoint entry of a prepared lookup (trusted pool). */
static void endpoint_probe(const struct sw_tracker_lookup *lk, struct probe *p)
{
	p->key = &lk->ekey;
	p->tag = lk->etag;
	p->b[0] = lk->eb[0];
	p->b[1] = lk->eb[1];
}

static bool key_equal(const struct sw_endpoint *a, const struct sw_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* Should this entry be kept over others of its bucket (its class)? */
static bool keep_class(const struct pool *pl, const struct sw_tracked *e, uint64_t now_ms)
{
	if (pl->trusted)
		return e->src.state == SW_SRC_TRUSTED;
	return e->src.state == SW_SRC_DENIED && now_ms < e->src.deny_until;
}

static uint32_t class_bit(const struct pool *pl, const struct sw_tracked *e, uint64_t now_ms)
{
	return keep_class(pl, e, now_ms) ? STAMP_KEEP : 0;
}

/*
 * A use of an entry: most recent in its pool, remembered for resync, with its class (computed by
 * the caller: from the state of a found entry, known for a new one, whose line is still on its
 * way from memory and not worth waiting for).
 */
static void remember(struct sw_tracker *t, struct pool *pl, struct way *w, struct sw_tracked *e)
{
	struct recent *r = &t->recent[t->recent_next++ % RECENT];

	r->pl = pl;
	r->w = w;
	r->e = e;
}

static void touch(struct sw_tracker *t, struct pool *pl, struct way *w, struct sw_tracked *e,
		  uint32_t class)
{
	w->stamp = (pl->clock++ & STAMP_CLOCK) | class;
	e->src.last_seen_s = (uint32_t)(t->now_ms / 1000);
	remember(t, pl, w, e);
}

/*
 * Start of every call: take the time, and recompute the class of the entries handed out by the
 * last calls, which the policy may have denied, released or promoted since. (A slot may hold
 * another entry by now, or none; the class is that of whatever is there.) This keeps the
 * metadata right without reading a victim's entry at eviction, a cache miss per insert.
 */
static void sync_recent(struct sw_tracker *t, uint64_t now_ms)
{
	if (now_ms > t->now_ms)
		t->now_ms = now_ms;
	for (int i = 0; i < RECENT; i++) {
		struct recent *r = &t->recent[i];

		if (r->w && r->w->tag)
			r->w->stamp = (r->w->stamp & STAMP_CLOCK) |
				      class_bit(r->pl, r->e, t->now_ms);
	}
}

/* The entry for p's key in its candidate buckets, with its way; NULL when there is none. */
static struct sw_tracked *find(struct pool *pl, const struct probe *p, struct way **ret_way)
{
	for (int c = 0; c < 2; c++) {
		struct bucket *b = &pl->b[p->b[c]];

		for (int i = 0; i < WAYS; i++)
			if (b->w[i].tag == p->tag && key_equal(&b->e[i].key, p->key)) {
				*ret_way = &b->w[i];
				return &b->e[i];
			}
		if (p->b[1] == p->b[0])
			break;
	}
	return NULL;
}

static int empty_way(const struct bucket *b)
{
	for (int i = 0; i < WAYS; i++)
		if (!b->w[i].tag)
			return i;
	return -1;
}

static int free_ways(const struct bucket *b)
{
	int n = 0;

	for (int i = 0; i < WAYS; i++)
		n += !b->w[i].tag;
	return n;
}

/*
 * Trusted pool, both buckets full: move one entry of bucket bi to its other bucket if that has
 * room, and return the way it left (a cuckoo step of depth one: enough for about 90% load).
 */
static int relocate(struct pool *pl, uint32_t bi)
{
	struct bucket *b = &pl->b[bi];

	for (int i = 0; i < WAYS; i++) {
		uint32_t alt = alt_bucket(pl, b->w[i].tag, bi);
		int j;

		if (alt == bi)
			continue;
		j = empty_way(&pl->b[alt]);
		if (j < 0)
			continue;
		pl->b[alt].w[j] = b->w[i];
		pl->b[alt].e[j] = b->e[i];
		return i;
	}
	return -1;
}

/* Recompute the class of every way in the candidate buckets from their entries. */
static void refresh(struct pool *pl, const struct probe *p, int nc, uint64_t now_ms)
{
	for (int c = 0; c < nc; c++) {
		struct bucket *b = &pl->b[p->b[c]];

		for (int i = 0; i < WAYS; i++)
			b->w[i].stamp = (b->w[i].stamp & STAMP_CLOCK) |
					class_bit(pl, &b->e[i], now_ms);
	}
}

/*
 * The way to fill for a new key: an empty one (in the trusted pool, in the emptier of the two
 * buckets, or made empty by moving an entry to its other bucket), else the least recently
 * touched of the lower class. Classes in the metadata are current (sync_recent) except for one
 * change time makes alone: a deny-period running out. So when only kept entries are left, their
 * classes are recomputed from the entries (eight reads, in a bucket full of denied sources only)
 * and the choice is made again.
 */
static void pick_victim(struct pool *pl, const struct probe *p, uint64_t now_ms,
			struct bucket **ret_b, int *ret_i)
{
	int nc = p->b[1] == p->b[0] ? 1 : 2;

	/* Trusted pool: also when both choices are one bucket (1 key in nb), relocation helps. */
	if (pl->trusted) {
		struct bucket *b0 = &pl->b[p->b[0]], *b1 = &pl->b[p->b[1]];
		int f0 = free_ways(b0), f1 = free_ways(b1);

		if (f0 || f1) {
			*ret_b = f0 >= f1 ? b0 : b1;
			*ret_i = empty_way(*ret_b);
			return;
		}
		for (int c = 0; c < nc; c++) {
			int i = relocate(pl, p->b[c]);

			if (i >= 0) {
				*ret_b = &pl->b[p->b[c]];
				(*ret_b)->w[i].tag = 0; /* the entry lives on in its other bucket */
				*ret_i = i;
				return;
			}
		}
	} else {
		int i = empty_way(&pl->b[p->b[0]]);

		if (i >= 0) {
			*ret_b = &pl->b[p->b[0]];
			*ret_i = i;
			return;
		}
	}
	for (bool refreshed = false;;) {
		struct bucket *best_b = NULL;
		int best_i = 0;
		uint64_t best = 0;

		for (int c = 0; c < nc; c++) {
			struct bucket *b = &pl->b[p->b[c]];

			for (int i = 0; i < WAYS; i++) {
				uint32_t s = b->w[i].stamp;
				/* Lower class first (no keep bit), then the oldest touch. */
				uint64_t score = (uint64_t)(s & STAMP_KEEP ? 0 : 1) << 32 |
						 ((pl->clock - s) & STAMP_CLOCK);

				if (!best_b || score > best) {
					best = score;
					best_b = b;
					best_i = i;
				}
			}
		}
		if (!(best_b->w[best_i].stamp & STAMP_KEEP) || refreshed) {
			*ret_b = best_b;
			*ret_i = best_i;
			return;
		}
		refresh(pl, p, nc, now_ms);
		refreshed = true;
	}
}

/*
 * Take a way for p's key (evicting if need be) and return its zeroed entry with the key set.
 * Out of line and marked cold: a new source is rare next to lookups of known ones, and inlined
 * (with the victim's choice) it tripled the size of the lookup that every packet runs.
 */
__attribute__((noinline, cold)) static struct sw_tracked *
insert(struct pool *pl, const struct probe *p, uint64_t now_ms, struct way **ret_way)
{
	struct bucket *b;
	int i;

	pick_victim(pl, p, now_ms, &b, &i);
	if (b->w[i].tag)
		pl->evicted++;
	else
		pl->used++;
	memset(&b->e[i], 0, sizeof(b->e[i]));
	b->e[i].key = *p->key;
	b->w[i].tag = p->tag;
	*ret_way = &b->w[i];
	return &b->e[i];
}

static void clear_way(struct pool *pl, struct bucket *b, int i)
{
	b->w[i].tag = 0;
	b->w[i].stamp = 0;
	memset(&b->e[i], 0, sizeof(b->e[i]));
	pl->used--;
}

/*
 * The table: zeroed pages from the kernel, mapped once (the cap is all that can ever be touched),
 * aligned to 2 MB and marked for transparent huge pages where it is that big. Lookups land on
 * random buckets, so with 4 kB pages nearly every one also misses the TLB, and in a virtual
 * machine a page walk costs more than the cache miss it leads to.
 */
static void *map_table(size_t len)
{
	const size_t huge = 2u << 20;
	uint8_t *map, *start;
	size_t extra = len >= huge ? huge : 0;

	map = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	if (!extra)
		return map;
	start = (uint8_t *)(((uintptr_t)map + huge - 1) & ~(uintptr_t)(huge - 1));
	if (start > map)
		munmap(map, (size_t)(start - map));
	if (map + extra > start)
		munmap(start + len, (size_t)(map + extra - start));
	madvise(start, len, MADV_HUGEPAGE); /* advice only: fine to fail */
	return start;
}

int sw_tracker_new(const struct sw_tracker_cfg *cfg, struct sw_tracker **ret)
{
	struct sw_tracker *t;
	size_t avail, share[2], nb[2], len;
	void *map;
	int err;

	if (!cfg || cfg->trusted_percent < 1 || cfg->trusted_percent > 99 || cfg->ipv6_prefix < 1 ||
	    cfg->ipv6_prefix > 128 || cfg->memory <= sizeof(*t))
		return SW_E_INVAL;
	avail = cfg->memory - sizeof(*t);
	share[TRUSTED_POOL] =
		avail / 100 * cfg->trusted_percent + avail % 100 * cfg->trusted_percent / 100;
	share[UNTRUSTED_POOL] = avail - share[TRUSTED_POOL];
	for (int k = 0; k < 2; k++) {
		nb[k] = share[k] / sizeof(struct bucket);
		if (nb[k] == 0)
			return SW_E_INVAL;
		if (nb[k] > UINT32_MAX)
			return SW_E_RANGE;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return SW_E_NOMEM;
	err = sw_siphash_key_random(t->key);
	if (err)
		goto fail;
	len = (nb[0] + nb[1]) * sizeof(struct bucket);
	map = map_table(len);
	if (!map) {
		err = SW_E_NOMEM;
		goto fail;
	}
	t->map = map;
	t->map_len = len;
	t->ipv6_prefix = cfg->ipv6_prefix;
	t->pool[TRUSTED_POOL].b = map;
	t->pool[TRUSTED_POOL].nb = (uint32_t)nb[0];
	t->pool[TRUSTED_POOL].trusted = true;
	t->pool[UNTRUSTED_POOL].b = (struct bucket *)map + nb[0];
	t->pool[UNTRUSTED_POOL].nb = (uint32_t)nb[1];
	*ret = t;
	return 0;
fail:
	free(t);
	return err;
}

int sw_tracker_set_key(struct sw_tracker *t, const uint8_t key[SW_SIPHASH_KEY_LEN])
{
	struct sw_tracker_stats s;
	sw_tracker_stats(t, &s);
	if (s.trusted + s.untrusted + s.denied)
		return SW_E_INVAL;
	memcpy(t->key, key, SW_SIPHASH_KEY_LEN);
	return 0;
}

void sw_tracker_free(struct sw_tracker *t)
{
	if (!t)
		return;
	munmap(t->map, t->map_len);
	free(t);
}

/* The entry for an address probe (key and hash ready); created when create is set. */
static struct sw_tracked *address_entry(struct sw_tracker *t, const struct probe *p, int create)
{
	struct pool *pl = &t->pool[UNTRUSTED_POOL];
	struct sw_tracked *e;
	struct way *w;

	e = find(pl, p, &w);
	if (e) {
		touch(t, pl, w, e, class_bit(pl, e, t->now_ms));
		return e;
	}
	if (!create)
		return NULL;
	e = insert(pl, p, t->now_ms, &w);
	e->src.win_start_s = (uint32_t)(t->now_ms / 1000);
	touch(t, pl, w, e, 0); /* untrusted, not denied */
	return e;
}

/*
 * The entry a lookup will probably find in the candidate buckets of p: the first way with p's tag
 * (the key is not compared: this only picks lines to prefetch), or NULL.
 */
static const struct sw_tracked *tag_entry(const struct pool *pl, const struct probe *p)
{
	for (int c = 0; c < 2; c++) {
		const struct bucket *b = &pl->b[p->b[c]];

		for (int i = 0; i < WAYS; i++)
			if (b->w[i].tag == p->tag)
				return &b->e[i];
		if (p->b[1] == p->b[0])
			break;
	}
	return NULL;
}

void sw_tracker_prefetch_lookup(const struct sw_tracker *t, const struct sw_tracker_lookup *lk,
				unsigned step)
{
	const struct pool *tp = &t->pool[TRUSTED_POOL], *up = &t->pool[UNTRUSTED_POOL];
	unsigned trusted = tp->used != 0;
	const struct sw_tracked *e;
	struct probe p;

	if (!lk->ok)
		return;
	/*
	 * The trusted pool first (its index, then the entry a tag names), as sw_tracker_get. A
	 * later step repeats the entry's prefetch (free when it is cached), so a skipped step
	 * costs time only.
	 */
	if (trusted) {
		endpoint_probe(lk, &p);
		if (step == 0) {
			prefetch_index(tp, &p);
			return;
		}
		e = tag_entry(tp, &p);
		if (e) {
			prefetch_entry(e);
			return;
		}
	}
	/* Not a trusted endpoint: the same two steps in the untrusted pool, one step later. */
	address_probe(lk, &p);
	if (step == trusted) {
		prefetch_index(up, &p);
	} else if (step > trusted) {
		e = tag_entry(up, &p);
		if (e)
			prefetch_entry(e);
		else
			prefetch_bucket(up, p.b[0]); /* a new source: the insert writes */
	}
}

struct sw_tracked *sw_tracker_get_lookup(struct sw_tracker *t, const struct sw_tracker_lookup *lk,
					 int create, uint64_t now_ms)
{
	struct pool *pl = &t->pool[TRUSTED_POOL];
	struct probe pa, pe;

	sync_recent(t, now_ms);
	if (!lk->ok)
		return NULL;
	/* Both probes first, so the index lines of all candidate buckets load together. */
	address_probe(lk, &pa);
	prefetch_index(&t->pool[UNTRUSTED_POOL], &pa);
	if (pl->used) {
		struct sw_tracked *e;
		struct way *w;

		endpoint_probe(lk, &pe);
		e = find(pl, &pe, &w);
		if (e) {
			touch(t, pl, w, e, class_bit(pl, e, t->now_ms));
			return e;
		}
	}
	return address_entry(t, &pa, create);
}

struct sw_tracked *sw_tracker_get(struct sw_tracker *t, const struct sw_endpoint *ep, int create,
				  uint64_t now_ms)
{
	struct sw_tracker_lookup lk;

	sw_tracker_lookup_init(t, ep, &lk);
	return sw_tracker_get_lookup(t, &lk, create, now_ms);
}

struct sw_tracked *sw_tracker_get_addr_lookup(struct sw_tracker *t,
					      const struct sw_tracker_lookup *lk)
{
	struct sw_tracked *e;
	struct probe p;
	struct way *w;

	sync_recent(t, t->now_ms);
	if (!lk->ok)
		return NULL;
	address_probe(lk, &p);
	e = find(&t->pool[UNTRUSTED_POOL], &p, &w);
	if (e)
		remember(t, &t->pool[UNTRUSTED_POOL], w, e); /* not a use: no touch */
	return e;
}

struct sw_tracked *sw_tracker_get_addr(struct sw_tracker *t, const struct sw_endpoint *ep)
{
	struct sw_tracker_lookup lk;

	sw_tracker_lookup_init(t, ep, &lk);
	return sw_tracker_get_addr_lookup(t, &lk);
}

struct sw_tracked *sw_tracker_addr_lookup(struct sw_tracker *t, const struct sw_tracker_lookup *lk,
					  uint64_t now_ms)
{
	struct probe p;

	sync_recent(t, now_ms);
	if (!lk->ok)
		return NULL;
	address_probe(lk, &p);
	return address_entry(t, &p, 1);
}

struct sw_tracked *sw_tracker_addr(struct sw_tracker *t, const struct sw_endpoint *ep,
				   uint64_t now_ms)
{
	struct sw_tracker_lookup lk;

	sw_tracker_lookup_init(t, ep, &lk);
	return sw_tracker_addr_lookup(t, &lk, now_ms);
}

struct sw_tracked *sw_tracker_promote_lookup(struct sw_tracker *t, struct sw_tracked *addr_entry,
					     const struct sw_tracker_lookup *lk, uint64_t now_ms)
{
	struct pool *pl = &t->pool[TRUSTED_POOL];
	struct sw_tracked *e;
	struct probe p;
	struct way *w;

	sync_recent(t, now_ms);
	if (addr_entry->endpoint)
		return addr_entry; /* already an endpoint entry (re-promoted after a demotion) */
	if (!lk->ok)
		return NULL;
	endpoint_probe(lk, &p);
	e = find(pl, &p, &w);
	if (!e)
		e = insert(pl, &p, t->now_ms, &w);
	e->src = addr_entry->src;
	e->realm = addr_entry->realm;
	e->endpoint = 1;
	touch(t, pl, w, e, class_bit(pl, addr_entry, t->now_ms)); /* the same state */
	/* The address stays untrusted for the other endpoints behind it. */
	if (addr_entry->src.state == SW_SRC_TRUSTED)
		addr_entry->src.state = SW_SRC_UNTRUSTED;
	return e;
}

struct sw_tracked *sw_tracker_promote(struct sw_tracker *t, struct sw_tracked *addr_entry,
				      const struct sw_endpoint *ep, uint64_t now_ms)
{
	struct sw_tracker_lookup lk;

	if (addr_entry->endpoint) {
		sync_recent(t, now_ms);
		return addr_entry;
	}
	sw_tracker_lookup_init(t, ep, &lk);
	return sw_tracker_promote_lookup(t, addr_entry, &lk, now_ms);
}

int sw_tracker_remove(struct sw_tracker *t, const struct sw_endpoint *ep)
{
	struct pool *tp = &t->pool[TRUSTED_POOL], *up = &t->pool[UNTRUSTED_POOL];
	struct sw_tracker_lookup lk;
	struct sw_endpoint k;
	struct probe p;
	struct way *w;
	int n = 0;

	sync_recent(t, t->now_ms);
	if (!family_ok(ep))
		return 0;
	sw_tracker_lookup_init(t, ep, &lk);
	address_probe(&lk, &p);
	if (find(up, &p, &w)) {
		struct bucket *b = &up->b[p.b[0]];

		clear_way(up, b, (int)(w - b->w));
		n++;
	}
	endpoint_key(ep, &k);
	if (ep->port) {
		endpoint_probe(&lk, &p);
		for (int c = 0; c < 2; c++) {
			struct bucket *b = &tp->b[p.b[c]];

			for (int i = 0; i < WAYS; i++)
				if (b->w[i].tag == p.tag && key_equal(&b->e[i].key, &k)) {
					clear_way(tp, b, i);
					n++;
				}
			if (p.b[1] == p.b[0])
				break;
		}
		return n;
	}
	/* Port 0: every endpoint of the address (an operator's unblock; a scan of the pool). */
	for (uint32_t j = 0; j < tp->nb; j++)
		for (int i = 0; i < WAYS; i++) {
			struct sw_tracked *e = &tp->b[j].e[i];

			if (tp->b[j].w[i].tag && e->key.family == k.family &&
			    memcmp(e->key.addr, k.addr, sizeof(k.addr)) == 0) {
				clear_way(tp, &tp->b[j], i);
				n++;
			}
		}
	return n;
}

void sw_tracker_stats(const struct sw_tracker *t, struct sw_tracker_stats *ret)
{
	struct sw_tracker_stats s = {0};

	for (int k = 0; k < 2; k++) {
		const struct pool *pl = &t->pool[k];

		for (uint32_t j = 0; j < pl->nb; j++)
			for (int i = 0; i < WAYS; i++) {
				if (!pl->b[j].w[i].tag)
					continue;
				switch (pl->b[j].e[i].src.state) {
				case SW_SRC_TRUSTED:
					s.trusted++;
					break;
				case SW_SRC_DENIED:
					s.denied++;
					break;
				default:
					s.untrusted++;
				}
			}
	}
	s.capacity_trusted = (size_t)t->pool[TRUSTED_POOL].nb * WAYS;
	s.capacity_untrusted = (size_t)t->pool[UNTRUSTED_POOL].nb * WAYS;
	s.evicted_trusted = t->pool[TRUSTED_POOL].evicted;
	s.evicted_untrusted = t->pool[UNTRUSTED_POOL].evicted;
	s.bytes = sizeof(*t) + t->map_len;
	s.bytes_per_entry = sizeof(struct bucket) / WAYS;
	*ret = s;
}

int sw_tracker_foreach(struct sw_tracker *t, int (*fn)(struct sw_tracked *e, void *arg), void *arg)
{
	for (int k = 0; k < 2; k++) {
		struct pool *pl = &t->pool[k];

		for (uint32_t j = 0; j < pl->nb; j++)
			for (int i = 0; i < WAYS; i++) {
				int r;

				if (!pl->b[j].w[i].tag)
					continue;
				r = fn(&pl->b[j].e[i], arg);
				/* fn may have changed the state: the class follows. */
				pl->b[j].w[i].stamp = (pl->b[j].w[i].stamp & STAMP_CLOCK) |
						      class_bit(pl, &pl->b[j].e[i], t->now_ms);
				if (r)
					return r;
			}
	}
	return 0;
}
