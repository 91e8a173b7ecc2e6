#include "report/counter.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct entry {
	uint64_t hash;
	size_t off;
	uint32_t len;
	uint64_t n;
};

struct sw_counter {
	uint32_t max_keys;
	uint32_t *slot; /* entry index + 1; 0 = empty */
	uint32_t nslots;
	struct entry *e;
	uint32_t ne, cape;
	char *arena;
	size_t used, cap;
	uint64_t other, total;
	struct sw_count *sorted;
	int sorted_ok; /* sorted[] is up to date */
};

static uint64_t hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15u ^ (n * 0xff51afd7ed558ccdu);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xc2b2ae3d27d4eb4fu;
		h ^= h >> 31;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc2b2ae3d27d4eb4fu;
	h ^= h >> 29;
	h *= 0x165667b19e3779f9u;
	h ^= h >> 32;
	return h;
}

int sw_counter_new(uint32_t max_keys, struct sw_counter **ret)
{
	struct sw_counter *c = calloc(1, sizeof(*c));
	if (!c)
		return SW_E_NOMEM;
	c->max_keys = max_keys ? max_keys : 1;
	c->nslots = 1024;
	c->slot = calloc(c->nslots, sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		return SW_E_NOMEM;
	}
	*ret = c;
	return 0;
}

void sw_counter_free(struct sw_counter *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c->e);
	free(c->arena);
	free(c->sorted);
	free(c);
}

static int grow_slots(struct sw_counter *c)
{
	uint32_t n = c->nslots * 2;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return SW_E_NOMEM;
	for (uint32_t i = 0; i < c->ne; i++) {
		uint32_t j = (uint32_t)c->e[i].hash & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = i + 1;
	}
	free(c->slot);
	c->slot = s;
	c->nslots = n;
	return 0;
}

static int find(struct sw_counter *c, struct sw_str key, int create, uint32_t *ret)
{
	const char *p = key.p ? key.p : "";
	size_t len = key.len > SW_COUNTER_KEY_MAX ? SW_COUNTER_KEY_MAX : key.len;
	uint64_t h = hash_bytes(p, len);
	uint32_t j = (uint32_t)h & (c->nslots - 1);
	for (; c->slot[j]; j = (j + 1) & (c->nslots - 1)) {
		struct entry *e = &c->e[c->slot[j] - 1];
		if (e->hash == h && e->len == len &&
		    (len == 0 || memcmp(c->arena + e->off, p, len) == 0)) {
			*ret = c->slot[j] - 1;
			return 0;
		}
	}
	if (!create)
		return SW_E_INVAL;
	if (c->ne >= c->max_keys)
		return SW_E_LIMIT;
	if ((uint64_t)(c->ne + 1) * 2 > c->nslots) {
		if (grow_slots(c) != 0)
			return SW_E_NOMEM;
		for (j = (uint32_t)h & (c->nslots - 1); c->slot[j]; j = (j + 1) & (c->nslots - 1))
			;
	}
	if (c->ne == c->cape) {
		uint32_t cap = c->cape ? c->cape * 2 : 256;
		struct entry *ne = realloc(c->e, cap * sizeof(*ne));
		if (!ne)
			return SW_E_NOMEM;
		c->e = ne;
		c->cape = cap;
	}
	if (c->used + len > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16384;
		while (cap < c->used + len)
			cap *= 2;
		char *na = realloc(c->arena, cap);
		if (!na)
			return SW_E_NOMEM;
		c->arena = na;
		c->cap = cap;
	}
	c->sorted_ok = 0;
	if (len)
		memcpy(c->arena + c->used, p, len);
	c->e[c->ne] = (struct entry){h, c->used, (uint32_t)len, 0};
	c->used += len;
	c->slot[j] = ++c->ne;
	*ret = c->ne - 1;
	return 0;
}

int sw_counter_add(struct sw_counter *c, struct sw_str key, uint64_t n)
{
	uint32_t id;
	c->total += n;
	int rc = find(c, key, 1, &id);
	if (rc != 0) {
		c->other += n;
		return rc;
	}
	c->e[id].n += n;
	c->sorted_ok = 0;
	return 0;
}

int sw_counter_intern(struct sw_counter *c, struct sw_str key, uint32_t *ret_id)
{
	return find(c, key, 1, ret_id);
}

struct sw_count sw_counter_get(const struct sw_counter *c, uint32_t id)
{
	struct sw_count r = {SW_STR_NULL, 0};
	if (id < c->ne)
		r = (struct sw_count){sw_str_make(c->e[id].len ? c->arena + c->e[id].off : "",
						  c->e[id].len),
				      c->e[id].n};
	return r;
}

uint32_t sw_counter_size(const struct sw_counter *c)
{
	return c->ne;
}

uint64_t sw_counter_other(const struct sw_counter *c)
{
	return c->other;
}

uint64_t sw_counter_total(const struct sw_counter *c)
{
	return c->total;
}

static int cmp_count(const void *x, const void *y)
{
	const struct sw_count *a = x, *b = y;
	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	uint32_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
	int r = n ? memcmp(a->key.p, b->key.p, n) : 0;
	if (r)
		return r;
	return a->key.len < b->key.len ? -1 : a->key.len > b->key.len;
}

size_t sw_counter_sorted(struct sw_counter *c, const struct sw_count **ret)
{
	if (c->sorted_ok) {
		*ret = c->sorted;
		return c->ne;
	}
	free(c->sorted);
	c->sorted = malloc((c->ne ? c->ne : 1) * sizeof(*c->sorted));
	if (!c->sorted) {
		*ret = NULL;
		return 0;
	}
	for (uint32_t i = 0; i < c->ne; i++)
		c->sorted[i] = sw_counter_get(c, i);
	qsort(c->sorted, c->ne, sizeof(*c->sorted), cmp_count);
	c->sorted_ok = 1;
	*ret = c->sorted;
	return c->ne;
}
