/*
 * Header name lookup: the table of names, and the lookup tables built from it.
 *
 * Every header line of every message goes through the lookup, so it must cost a handful of
 * instructions, not a walk over ~90 names. Full names are found through a small open-addressing
 * hash table keyed on (length, first letter, last letter), folded to lower case; one
 * case-insensitive compare of whole words confirms the hit. Compact forms are single letters
 * and use a direct 256-entry map. The tables are built once, by a constructor before main();
 * the lookup itself, sip_hdr_find(), is inline in sip_internal.h so the framer pays no call.
 */
#include "sip/sip_hdr.h"

#include <string.h>

#include "sip/sip_chars.h"
#include "sip/sip_internal.h"

struct hdr_def {
	const char *name;
	uint8_t len;
	char compact;
	uint8_t single;
};

static const struct hdr_def defs[SIP_HDR__COUNT] = {[SIP_HDR_OTHER] = {"", 0, 0, 0},
#define SIP_HDR_DEF(id, name, compact, single)                                                     \
	[SIP_HDR_##id] = {name, (uint8_t)(sizeof(name) - 1), compact, single},
						    SIP_HEADERS(SIP_HDR_DEF)
#undef SIP_HDR_DEF
};

/*
 * The tables sip_hdr_find() (sip_internal.h, inline in the framer) reads. Each name in lower
 * case, and a mask with 0x20 where the name has a letter: for any input byte x, (x | mask) ==
 * lower holds exactly when x matches case-insensitively. Past the name's end both are 0xff,
 * which every byte matches: whole 8-byte words are compared with no masking of the bytes after
 * the name. A slot holds the id and the length, so that a probe that cannot match costs one
 * load and one compare.
 */
struct sip_hdr_slot sip_hdr_slots[SIP_HDR_SLOTS];
uint64_t sip_hdr_lower[SIP_HDR__COUNT][SIP_HDR_NAME_MAX / 8];
uint64_t sip_hdr_mask[SIP_HDR__COUNT][SIP_HDR_NAME_MAX / 8];
uint8_t sip_hdr_compact_map[256];

/* Every name fits the lookup's words (sip_hdr_find compares whole 8-byte words). */
#define SIP_HDR_LEN_OK(id, name, compact, single)                                                  \
	_Static_assert(sizeof(name) - 1 <= SIP_HDR_NAME_MAX, name " is too long for the lookup");
SIP_HEADERS(SIP_HDR_LEN_OK)
#undef SIP_HDR_LEN_OK

/* Run before main(): lookups then need no once-check on the hot path. */
__attribute__((constructor)) static void build_tables(void)
{
	for (int id = 1; id < SIP_HDR__COUNT; id++) {
		unsigned char low[SIP_HDR_NAME_MAX], mask[SIP_HDR_NAME_MAX];
		memset(low, 0xff, sizeof(low));
		memset(mask, 0xff, sizeof(mask));
		for (size_t i = 0; i < defs[id].len; i++) {
			unsigned char c = sip_lower((unsigned char)defs[id].name[i]);
			low[i] = c;
			mask[i] = (c >= 'a' && c <= 'z') ? 0x20 : 0;
		}
		memcpy(sip_hdr_lower[id], low, sizeof(low));
		memcpy(sip_hdr_mask[id], mask, sizeof(mask));
		unsigned h = sip_hdr_hash(defs[id].name, defs[id].len);
		while (sip_hdr_slots[h].id)
			h = (h + 1) & (SIP_HDR_SLOTS - 1);
		sip_hdr_slots[h] = (struct sip_hdr_slot){(uint8_t)id, defs[id].len};
		if (defs[id].compact) {
			sip_hdr_compact_map[(unsigned char)defs[id].compact] = (uint8_t)id;
			sip_hdr_compact_map[(unsigned char)defs[id].compact - 32] = (uint8_t)id;
		}
	}
}

enum sip_hdr_id sip_hdr_find_copied(const char *name, size_t len)
{
	char t[SIP_HDR_NAME_MAX] = {0};
	memcpy(t, name, len);
	return sip_hdr_find(t, len, sizeof(t));
}

enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len, int *ret_compact)
{
	enum sip_hdr_id id = sip_hdr_find(name, len, len);
	if (ret_compact)
		*ret_compact = len == 1 && id != SIP_HDR_OTHER;
	return id;
}

const char *sip_hdr_name(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_HDR__COUNT ? defs[id].name : "";
}

char sip_hdr_compact(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_HDR__COUNT ? defs[id].compact : 0;
}

int sip_hdr_single(enum sip_hdr_id id)
{
	return (unsigned)id < SIP_HDR__COUNT ? defs[id].single : 0;
}
