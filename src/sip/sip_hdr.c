/*
 * Header name lookup.
 *
 * Every header line of every message goes through here, so the lookup must cost a handful of
 * instructions, not a walk over ~90 names. Full names are found through a small open-addressing
 * hash table keyed on (length, first letter, last letter, a middle letter), all folded to lower
 * case; one case-insensitive compare confirms the hit. Compact forms are single letters and use
 * a direct 256-entry map. Both tables are built once, by a constructor before main().
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

#define HASH_SLOTS 512 /* power of two, > 4x the number of names: short probe chains */

#define NAME_MAX_LEN 32 /* longest name in the table is 24 ("Accept-Resource-Priority") */

static uint8_t hash_slot[HASH_SLOTS]; /* enum sip_hdr_id, 0 = empty */
/*
 * Each name in lower case, and a mask with 0x20 where the name has a letter: for any input byte
 * x, (x | mask) == lower holds exactly when x matches case-insensitively. That lets the compare
 * run 8 bytes at a time with no per-byte case folding.
 */
static uint64_t name_lower[SIP_HDR__COUNT][NAME_MAX_LEN / 8];
static uint64_t name_mask[SIP_HDR__COUNT][NAME_MAX_LEN / 8];
static uint8_t compact_map[256];

/*
 * Case-folded length, first and last byte. "| 0x20" folds letters and maps every other byte
 * consistently, which is all a hash needs; name_matches() decides.
 */
static inline unsigned name_hash(const char *name, size_t len)
{
	unsigned a = (unsigned char)name[0] | 0x20u, z = (unsigned char)name[len - 1] | 0x20u;
	return (unsigned)(len * 37u + a * 7u + z * 3u) & (HASH_SLOTS - 1);
}

/* Run before main(): lookups then need no once-check on the hot path. */
__attribute__((constructor)) static void build_tables(void)
{
	for (int id = 1; id < SIP_HDR__COUNT; id++) {
		unsigned char low[NAME_MAX_LEN] = {0}, mask[NAME_MAX_LEN] = {0};
		for (size_t i = 0; i < defs[id].len; i++) {
			unsigned char c = sip_lower((unsigned char)defs[id].name[i]);
			low[i] = c;
			mask[i] = (c >= 'a' && c <= 'z') ? 0x20 : 0;
		}
		memcpy(name_lower[id], low, sizeof(low));
		memcpy(name_mask[id], mask, sizeof(mask));
		unsigned h = name_hash(defs[id].name, defs[id].len);
		while (hash_slot[h])
			h = (h + 1) & (HASH_SLOTS - 1);
		hash_slot[h] = (uint8_t)id;
		if (defs[id].compact) {
			compact_map[(unsigned char)defs[id].compact] = (uint8_t)id;
			compact_map[(unsigned char)defs[id].compact - 32] = (uint8_t)id;
		}
	}
}

/*
 * Case-insensitive compare of name[0..len) with table entry id (len <= NAME_MAX_LEN). avail is
 * how many bytes may be read from name (>= len): when 8 are there, the tail is one load with
 * the bytes past len masked off (little-endian), else it is gathered byte by byte.
 */
static inline int name_matches(unsigned id, const char *name, size_t len, size_t avail)
{
	size_t i = 0, w = 0;
	for (; i + 8 <= len; i += 8, w++) {
		uint64_t x;
		memcpy(&x, name + i, 8);
		if ((x | name_mask[id][w]) != name_lower[id][w])
			return 0;
	}
	if (i == len)
		return 1;
	uint64_t x;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (i + 8 <= avail) {
		memcpy(&x, name + i, 8);
		x &= (UINT64_C(1) << (8 * (len - i))) - 1;
	} else
#endif
	{
		unsigned char t[8] = {0};
		for (size_t k = 0; k < len - i; k++)
			t[k] = (unsigned char)name[i + k];
		memcpy(&x, t, 8);
	}
	(void)avail;
	return (x | name_mask[id][w]) == name_lower[id][w];
}

enum sip_hdr_id sip_hdr_find(const char *name, size_t len, size_t avail, int *ret_compact)
{
	*ret_compact = 0;
	if (len == 0 || len > NAME_MAX_LEN)
		return SIP_HDR_OTHER;
	if (len == 1) {
		enum sip_hdr_id id = (enum sip_hdr_id)compact_map[(unsigned char)name[0]];
		*ret_compact = id != SIP_HDR_OTHER;
		return id;
	}
	for (unsigned h = name_hash(name, len);; h = (h + 1) & (HASH_SLOTS - 1)) {
		unsigned id = hash_slot[h];
		if (!id)
			return SIP_HDR_OTHER;
		if (defs[id].len == len && name_matches(id, name, len, avail))
			return (enum sip_hdr_id)id;
	}
}

enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len, int *ret_compact)
{
	int compact;
	enum sip_hdr_id id = sip_hdr_find(name, len, len, &compact);
	if (ret_compact)
		*ret_compact = compact;
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
