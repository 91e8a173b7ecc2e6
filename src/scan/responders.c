/*
 * Layout: an open-addressing hash table (linear probing, power-of-two size, at most half full)
 * maps each responder's endpoint to a sequence number: the order in which its first reply came.
 * Live records sit in a ring indexed by sequence number modulo the ring's size; draining
 * advances the ring's head. A slot whose sequence number is below the head belongs to a
 * drained responder - that is the tombstone, and it costs nothing beyond the slot itself.
 */
#include "scan/responders.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct slot {
	struct sw_endpoint key; /* family 0 = empty */
	uint32_t seq;
};

struct sw_responders {
	struct slot *slots;
	size_t nslots; /* power of two */
	struct sw_responder *ring;
	size_t ringcap;      /* power of two */
	uint32_t head, tail; /* live records are sequence numbers [head, tail) */
	uint32_t max;
	uint64_t seed, late;
};

/* A seeded mix of family, port and address, so that targets cannot line up in one chain. */
static uint64_t hash_ep(const struct sw_responders *t, const struct sw_endpoint *ep)
{
	uint64_t w[2], h = t->seed ^ ((uint64_t)ep->family << 16 | ep->port);
	memcpy(w, ep->addr, 16);
	for (int i = 0; i < 2; i++) {
		h ^= w[i];
		h *= UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	return h ^ (h >> 32);
}

static int key_eq(const struct sw_endpoint *a, const struct sw_endpoint *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

static struct slot *find(const struct sw_responders *t, const struct sw_endpoint *ep)
{
	size_t mask = t->nslots - 1;
	for (size_t i = hash_ep(t, ep) & mask;; i = (i + 1) & mask) {
		struct slot *s = &t->slots[i];
		if (s->key.family == 0 || key_eq(&s->key, ep))
			return s;
	}
}

int sw_responders_new(uint32_t max_responders, uint64_t hash_seed, struct sw_responders **ret)
{
	struct sw_responders *t = calloc(1, sizeof(*t));
	if (!t)
		return SW_E_NOMEM;
	t->max = max_responders ? max_responders : 1;
	t->seed = hash_seed;
	t->nslots = 1024;
	t->ringcap = 256;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->ring = calloc(t->ringcap, sizeof(*t->ring));
	if (!t->slots || !t->ring) {
		sw_responders_free(t);
		return SW_E_NOMEM;
	}
	*ret = t;
	return 0;
}

void sw_responders_free(struct sw_responders *t)
{
	if (!t)
		return;
	for (uint32_t s = t->head; s != t->tail; s++)
		free(t->ring[s & (t->ringcap - 1)].first);
	free(t->ring);
	free(t->slots);
	free(t);
}

/* Double the hash table and re-insert every key (live and drained alike). */
static int grow_slots(struct sw_responders *t)
{
	size_t n = t->nslots * 2;
	struct slot *old = t->slots, *fresh = calloc(n, sizeof(*fresh));
	if (!fresh)
		return SW_E_NOMEM;
	size_t oldn = t->nslots;
	t->slots = fresh;
	t->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].key.family)
			*find(t, &old[i].key) = old[i];
	free(old);
	return 0;
}

/* Double the ring, keeping each live record at its sequence number modulo the new size. */
static int grow_ring(struct sw_responders *t)
{
	size_t n = t->ringcap * 2;
	struct sw_responder *fresh = calloc(n, sizeof(*fresh));
	if (!fresh)
		return SW_E_NOMEM;
	for (uint32_t s = t->head; s != t->tail; s++)
		fresh[s & (n - 1)] = t->ring[s & (t->ringcap - 1)];
	free(t->ring);
	t->ring = fresh;
	t->ringcap = n;
	return 0;
}

int sw_responders_add(struct sw_responders *t, const struct sw_endpoint *target,
		      uint16_t reply_port, const void *pkt, uint32_t len, int truncated,
		      uint64_t now_usec)
{
	if (target->family == 0)
		return SW_E_INVAL;
	struct slot *s = find(t, target);
	if (s->key.family) {
		/* Sequence numbers only grow, so "below the head" means drained. */
		if ((uint32_t)(s->seq - t->head) >= (uint32_t)(t->tail - t->head)) {
			t->late++;
			return 0;
		}
		struct sw_responder *r = &t->ring[s->seq & (t->ringcap - 1)];
		if (r->packets < SW_RESPONDER_SIZES)
			r->sizes[r->packets] = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
		r->packets++;
		r->bytes += len;
		return 1;
	}
	if (t->tail == t->max)
		return SW_E_LIMIT;
	if ((size_t)(t->tail - t->head) == t->ringcap && grow_ring(t) != 0)
		return SW_E_NOMEM;
	if ((size_t)t->tail + 1 > t->nslots / 2) {
		if (grow_slots(t) != 0)
			return SW_E_NOMEM;
		s = find(t, target);
	}
	uint32_t keep = truncated ? 0 : len; /* a cut first packet is not kept as if whole */
	uint8_t *copy = malloc(keep ? keep : 1);
	if (!copy)
		return SW_E_NOMEM;
	memcpy(copy, pkt, keep);
	struct sw_responder *r = &t->ring[t->tail & (t->ringcap - 1)];
	memset(r, 0, sizeof(*r));
	r->target = *target;
	r->reply_port = reply_port;
	r->first_usec = now_usec;
	r->packets = 1;
	r->bytes = len;
	r->sizes[0] = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
	r->first = copy;
	r->first_len = keep;
	r->first_truncated = (uint8_t)(truncated != 0);
	s->key = *target;
	s->seq = t->tail++;
	return 1;
}

size_t sw_responders_drain(struct sw_responders *t, uint64_t cutoff_usec, sw_responder_fn fn,
			   void *ctx)
{
	size_t n = 0;
	while (t->head != t->tail) {
		struct sw_responder *r = &t->ring[t->head & (t->ringcap - 1)];
		if (cutoff_usec != UINT64_MAX && r->first_usec >= cutoff_usec)
			break;
		fn(ctx, r);
		free(r->first);
		r->first = NULL;
		t->head++;
		n++;
	}
	return n;
}

int sw_responders_known(const struct sw_responders *t, const struct sw_endpoint *target)
{
	return target->family != 0 && find(t, target)->key.family != 0;
}

size_t sw_responders_live(const struct sw_responders *t)
{
	return t->tail - t->head;
}

size_t sw_responders_seen(const struct sw_responders *t)
{
	return t->tail;
}

uint64_t sw_responders_late(const struct sw_responders *t)
{
	return t->late;
}
