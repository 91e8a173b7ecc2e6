/*
 * Counting values: a string -> count table for top-N lists (User-Agent, Server, ASN, country).
 *
 * Keys are copied into an arena, so rows can go once counted. The table is bounded twice: a key
 * longer than SW_COUNTER_KEY_MAX bytes is counted by its first SW_COUNTER_KEY_MAX bytes, and
 * once max_keys distinct keys are held, further new keys are counted together as "other"
 * (sw_counter_other), so a file of unique values cannot exhaust memory. Entries keep their index
 * for the table's life: the diff uses a counter to intern strings (sw_counter_intern).
 *
 * Hashing: open addressing with linear probing over a power-of-two slot array at most half
 * full; the hash mixes 8 bytes at a time (the keys come from files, not from an adversary
 * racing us, and the cap bounds the damage of collisions anyway).
 */
#ifndef SW_REPORT_COUNTER_H
#define SW_REPORT_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/strview.h"

#define SW_COUNTER_KEY_MAX 512

struct sw_counter; /* opaque */

struct sw_count {
	struct sw_str key;
	uint64_t n;
};

/* A table for at most max_keys distinct keys. Returns 0 or SW_E_NOMEM. */
int sw_counter_new(uint32_t max_keys, struct sw_counter **ret);
void sw_counter_free(struct sw_counter *c);

/* Add n to key's count. Returns 0, or SW_E_NOMEM / SW_E_LIMIT (then counted as "other"). */
int sw_counter_add(struct sw_counter *c, struct sw_str key, uint64_t n);

/* The index of key, adding it with count 0 when new. 0 or SW_E_LIMIT / SW_E_NOMEM. */
int sw_counter_intern(struct sw_counter *c, struct sw_str key, uint32_t *ret_id);

/* The key and count of the entry with index id (< sw_counter_size). */
struct sw_count sw_counter_get(const struct sw_counter *c, uint32_t id);

uint32_t sw_counter_size(const struct sw_counter *c);
uint64_t sw_counter_other(const struct sw_counter *c);
uint64_t sw_counter_total(const struct sw_counter *c);

/*
 * All entries by count, highest first, ties by key (byte order), into an array the counter
 * owns; valid until the next add (sorted again only after a change). Returns the number of
 * entries.
 */
size_t sw_counter_sorted(struct sw_counter *c, const struct sw_count **ret);

#endif
