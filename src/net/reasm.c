/*
 * Fragment reassembly with a block bitmap.
 *
 * Fragment offsets count 8-byte blocks, and every fragment but the last must carry a multiple of
 * 8 bytes (RFC 791, RFC 8200). So a datagram of up to 65535 bytes is 8192 blocks, and one bit per
 * block says whether it has arrived: a fragment overlaps earlier ones exactly when one of its
 * blocks is already set, and the datagram is complete when the last fragment has told the total
 * length and the count of distinct blocks set equals ceil(total / 8). Fragments are copied
 * straight to their offset in the slot's buffer, so completion needs no sorting or list walking,
 * and arrival order does not matter.
 *
 * Slots are found by a linear scan. With the default 64 slots that is cheaper than hashing and
 * keeps the table a plain array; expiry runs over the same array on each fragment.
 */
#include "net/reasm.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define NBLOCKS ((SW_REASM_MAX_LEN + 7) / 8)
#define NWORDS ((NBLOCKS + 63) / 64)
#define NO_SNAP UINT32_MAX

/*
 * LIVE: collecting fragments. DEAD: dropped, kept so that its remaining fragments are absorbed
 * and it is counted once. DONE: completed, kept so that late copies of its fragments (captures on
 * several interfaces see each packet twice) are recognised instead of starting a datagram that
 * could never complete. DEAD and DONE slots are released by the timeout, or reused first.
 */
enum slot_state { SLOT_FREE = 0, SLOT_LIVE, SLOT_DEAD, SLOT_DONE };

struct slot {
	uint8_t state;  /* enum slot_state */
	bool have_last; /* the fragment without MF/M has arrived, so total is known */
	uint8_t family;
	uint8_t key_proto; /* IPv4 protocol; 0 for IPv6, where it is not part of the key */
	uint8_t proto;     /* protocol of the offset-0 fragment (or of the first one, until then) */
	uint16_t nfrags;
	uint32_t id;
	uint32_t total;   /* announced length, when have_last */
	uint32_t max_end; /* furthest byte any fragment reached */
	uint32_t blocks;  /* distinct blocks received */
	uint32_t snap_at; /* first byte offset whose data was not captured, or NO_SNAP */
	uint64_t first_usec;
	uint8_t src[16], dst[16];
	uint64_t seen[NWORDS];
	uint8_t *buf; /* SW_REASM_MAX_LEN bytes, allocated at the slot's first use, then kept */
};

struct sw_reasm {
	unsigned nslots;
	uint64_t timeout_usec;
	struct sw_reasm_stats stats;
	struct slot *slots;
};

int sw_reasm_new(unsigned slots, uint64_t timeout_usec, struct sw_reasm **ret)
{
	struct sw_reasm *r;

	if (slots == 0)
		slots = SW_REASM_DEFAULT_SLOTS;
	if (slots > SW_REASM_MAX_SLOTS)
		return SW_E_INVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto fail;
	r->nslots = slots;
	r->timeout_usec = timeout_usec ? timeout_usec : SW_REASM_DEFAULT_TIMEOUT_USEC;
	r->slots = calloc(slots, sizeof(*r->slots));
	if (!r->slots)
		goto fail;
	*ret = r;
	return 0;
fail:
	sw_reasm_free(r);
	return SW_E_NOMEM;
}

void sw_reasm_free(struct sw_reasm *r)
{
	if (!r)
		return;
	if (r->slots)
		for (unsigned i = 0; i < r->nslots; i++)
			free(r->slots[i].buf);
	free(r->slots);
	free(r);
}

/* IPv4 keys include the protocol (RFC 791); IPv6 keys do not (RFC 8200, section 4.5). */
static bool slot_matches(const struct slot *s, const struct sw_decoded *f)
{
	size_t alen = f->src.family == AF_INET ? 4 : 16;

	if (s->state == SLOT_FREE || s->family != f->src.family || s->id != f->frag_id)
		return false;
	if (f->src.family == AF_INET && s->key_proto != f->proto)
		return false;
	return memcmp(s->src, f->src.addr, alen) == 0 && memcmp(s->dst, f->dst.addr, alen) == 0;
}

/* Release a slot, counting it as dropped if it was still collecting. */
static void drop_slot(struct sw_reasm *r, struct slot *s, uint64_t *reason)
{
	if (s->state == SLOT_LIVE) {
		r->stats.dropped++;
		(*reason)++;
	}
	s->state = SLOT_FREE;
}

/* Mark a datagram dropped while keeping its identity, so later fragments are absorbed. */
static int kill_slot(struct sw_reasm *r, struct slot *s, uint64_t *reason)
{
	s->state = SLOT_DEAD;
	r->stats.dropped++;
	(*reason)++;
	return SW_E_PKT_REASM;
}

/*
 * A free slot for a new datagram. When none is free, a remembered (DEAD or DONE) slot goes first,
 * since reusing it loses nothing; failing that, the datagram whose first fragment is oldest is
 * evicted. Oldest-first favours datagrams that still have a chance to complete: fragments of one
 * datagram travel together, so the longer one has waited the less likely the rest will come.
 */
static struct slot *take_slot(struct sw_reasm *r)
{
	struct slot *old = NULL, *live = NULL;

	for (unsigned i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];
		if (s->state == SLOT_FREE)
			return s;
		if (s->state != SLOT_LIVE) {
			if (!old || s->first_usec < old->first_usec)
				old = s;
		} else if (!live || s->first_usec < live->first_usec) {
			live = s;
		}
	}
	if (old) {
		old->state = SLOT_FREE;
		return old;
	}
	drop_slot(r, live, &r->stats.evicted);
	return live;
}

static void init_slot(struct slot *s, const struct sw_decoded *f, uint64_t now_usec)
{
	size_t alen = f->src.family == AF_INET ? 4 : 16;

	s->state = SLOT_LIVE;
	s->have_last = false;
	s->family = f->src.family;
	s->key_proto = f->src.family == AF_INET ? f->proto : 0;
	s->proto = f->proto;
	s->nfrags = 0;
	s->id = f->frag_id;
	s->total = 0;
	s->max_end = 0;
	s->blocks = 0;
	s->snap_at = NO_SNAP;
	s->first_usec = now_usec;
	memset(s->src, 0, sizeof(s->src));
	memset(s->dst, 0, sizeof(s->dst));
	memcpy(s->src, f->src.addr, alen);
	memcpy(s->dst, f->dst.addr, alen);
	memset(s->seen, 0, sizeof(s->seen));
}

/*
 * Buffers come at a slot's first use rather than with the table, so a capture without fragments
 * (the usual case) never pays for them; a slot keeps its buffer for reuse, so the total is still
 * bounded by slots * SW_REASM_MAX_LEN. calloc, so that not even a bug could hand out bytes the
 * process held before.
 */
static int ensure_buf(struct slot *s)
{
	if (!s->buf)
		s->buf = calloc(1, SW_REASM_MAX_LEN);
	return s->buf ? 0 : SW_E_NOMEM;
}

static bool block_seen(const struct slot *s, uint32_t b)
{
	return (s->seen[b / 64] >> (b % 64)) & 1;
}

static uint32_t count_seen(const struct slot *s, uint32_t b0, uint32_t b1)
{
	uint32_t n = 0;

	for (uint32_t b = b0; b < b1; b++)
		n += block_seen(s, b);
	return n;
}

unsigned sw_reasm_expire(struct sw_reasm *r, uint64_t now_usec)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];
		/* capture clocks can step back (merged files): an entry "from the future" is new */
		if (s->state == SLOT_FREE || now_usec <= s->first_usec ||
		    now_usec - s->first_usec <= r->timeout_usec)
			continue;
		n += s->state == SLOT_LIVE;
		drop_slot(r, s, &r->stats.timed_out);
	}
	return n;
}

unsigned sw_reasm_flush(struct sw_reasm *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nslots; i++) {
		struct slot *s = &r->slots[i];
		if (s->state == SLOT_FREE)
			continue;
		n += s->state == SLOT_LIVE;
		drop_slot(r, s, &r->stats.flushed);
	}
	return n;
}

unsigned sw_reasm_pending(const struct sw_reasm *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nslots; i++)
		n += r->slots[i].state == SLOT_LIVE;
	return n;
}

const struct sw_reasm_stats *sw_reasm_stats(const struct sw_reasm *r)
{
	return &r->stats;
}

/*
 * A fragment whose blocks are all present already: a copy if its captured bytes equal what is
 * held (compared up to the first byte known not to have been captured), a conflict otherwise.
 */
static bool is_duplicate(const struct slot *s, const struct sw_decoded *f)
{
	uint32_t off = f->frag_off, end = off + f->len;

	if (s->snap_at < end)
		end = s->snap_at;
	return end <= off || memcmp(s->buf + off, f->payload, end - off) == 0;
}

int sw_reasm_add(struct sw_reasm *r, const struct sw_decoded *frag, uint64_t now_usec,
		 struct sw_reasm_result *ret)
{
	struct slot *s = NULL;
	uint32_t off, flen, end, b0, b1, nseen;
	bool last;

	if (!frag->fragment || frag->len > frag->orig_len || frag->frag_off % 8 ||
	    (frag->src.family != AF_INET && frag->src.family != AF_INET6))
		return SW_E_INVAL;
	sw_reasm_expire(r, now_usec);
	for (unsigned i = 0; i < r->nslots && !s; i++)
		if (slot_matches(&r->slots[i], frag))
			s = &r->slots[i];
	if (!s) {
		s = take_slot(r);
		init_slot(s, frag, now_usec);
		if (ensure_buf(s) < 0)
			return kill_slot(r, s, &r->stats.nomem);
	}
	if (s->state == SLOT_DEAD)
		return SW_E_PKT_REASM;

	off = frag->frag_off;
	flen = frag->orig_len;
	end = off + flen;
	last = !frag->more_frags;
	if (s->state == SLOT_DONE) {
		/* late copy of a fragment of a completed datagram, or its identification reused */
		if (end <= s->total && (!last || end == s->total) && is_duplicate(s, frag)) {
			r->stats.duplicates++;
			return 0;
		}
		init_slot(s, frag, now_usec);
	}
	if (end > SW_REASM_MAX_LEN || (!last && flen % 8))
		return kill_slot(r, s, &r->stats.oversize);
	if (last && ((s->have_last && s->total != end) || s->max_end > end))
		return kill_slot(r, s, &r->stats.conflicts);
	if (!last && s->have_last && end > s->total)
		return kill_slot(r, s, &r->stats.conflicts);

	b0 = off / 8;
	b1 = (end + 7) / 8;
	nseen = count_seen(s, b0, b1);
	if (nseen && nseen == b1 - b0) {
		if (!is_duplicate(s, frag))
			return kill_slot(r, s, &r->stats.conflicts);
		r->stats.duplicates++;
	} else if (nseen) {
		return kill_slot(r, s, &r->stats.conflicts);
	} else if (flen) {
		memcpy(s->buf + off, frag->payload, frag->len);
		if (frag->len < flen && off + frag->len < s->snap_at)
			s->snap_at = off + frag->len;
		for (uint32_t b = b0; b < b1; b++)
			s->seen[b / 64] |= (uint64_t)1 << (b % 64);
		s->blocks += b1 - b0;
		s->nfrags++;
		if (end > s->max_end)
			s->max_end = end;
		if (off == 0)
			s->proto = frag->proto;
	}
	if (last) {
		s->have_last = true;
		s->total = end;
	}
	if (!s->have_last || s->blocks != (s->total + 7) / 8)
		return 0;

	ret->data = s->buf;
	ret->orig_len = s->total;
	ret->len = s->snap_at < s->total ? s->snap_at : s->total;
	ret->nfrags = s->nfrags;
	ret->proto = s->proto;
	s->state = SLOT_DONE; /* the buffer stays intact until a later fragment reuses the slot */
	r->stats.completed++;
	return 1;
}
