/*
 * Internal interface between the message framer (sip_parse.c) and the structured-field decoders
 * (sip_fields.c, sip_uri.c). Not for use outside src/sip.
 *
 * Decoders take a header value as [p, e) and the message, fill one structured view, and record
 * defects through sip_defect_add(); they never fail the whole parse.
 */
#ifndef SW_SIP_INTERNAL_H
#define SW_SIP_INTERNAL_H

#include <string.h>

#include "core/err.h"
#include "sip/sip.h"

void sip_defect_add(struct sip_msg *m, int code, enum sip_hdr_id hdr, uint32_t off);

/* Offset of p in the message being parsed (for defects). */
uint32_t sip_off(const struct sip_msg *m, const char *p);

/* Header name lookup tables (sip_hdr.c). */
#define SIP_HDR_SLOTS 512   /* power of two, > 4x the number of names: short probe chains */
#define SIP_HDR_NAME_MAX 32 /* longest name in the table is 24 ("Accept-Resource-Priority") */
struct sip_hdr_slot {
	uint8_t id; /* enum sip_hdr_id, 0 = empty */
	uint8_t len;
};
extern struct sip_hdr_slot sip_hdr_slots[SIP_HDR_SLOTS];
extern uint64_t sip_hdr_lower[SIP_HDR__COUNT][SIP_HDR_NAME_MAX / 8];
extern uint64_t sip_hdr_mask[SIP_HDR__COUNT][SIP_HDR_NAME_MAX / 8];
extern uint8_t sip_hdr_compact_map[256];

/* sip_hdr_find() for a name too close to the end of the buffer to be read in whole words. */
enum sip_hdr_id sip_hdr_find_copied(const char *name, size_t len);

/*
 * Length, first and last byte, case-folded: the XOR of two bytes without its 0x20 bit is the
 * same in any case of two letters, which is all a hash needs; the compare decides. Over the
 * names of the table this leaves 4 collisions, none more than one probe deep.
 */
static inline unsigned sip_hdr_hash(const char *name, size_t len)
{
	unsigned az = ((unsigned char)name[0] ^ (unsigned char)name[len - 1]) & 0xdfu;
	return (unsigned)(az ^ (len << 5)) & (SIP_HDR_SLOTS - 1);
}

/*
 * sip_hdr_lookup for the parser: avail (>= len) bytes may be read from name. A known name of
 * length 1 is a compact form.
 */
static inline enum sip_hdr_id sip_hdr_find(const char *name, size_t len, size_t avail)
{
	if (len - 2 < SIP_HDR_NAME_MAX - 1) {
		size_t words = (len + 7) / 8;
		if (words * 8 > avail)
			return sip_hdr_find_copied(name, len);
		for (unsigned h = sip_hdr_hash(name, len);; h = (h + 1) & (SIP_HDR_SLOTS - 1)) {
			struct sip_hdr_slot s = sip_hdr_slots[h];
			if (!s.id)
				return SIP_HDR_OTHER;
			if (s.len != len)
				continue;
			size_t w = 0;
			for (; w < words; w++) {
				uint64_t x;
				memcpy(&x, name + 8 * w, 8);
				if ((x | sip_hdr_mask[s.id][w]) != sip_hdr_lower[s.id][w])
					break;
			}
			if (w == words)
				return (enum sip_hdr_id)s.id;
		}
	}
	if (len == 1)
		return (enum sip_hdr_id)sip_hdr_compact_map[(unsigned char)name[0]];
	return SIP_HDR_OTHER;
}

/* sip_uri_parse into a zeroed *u, without the copy; on error *u holds partial views. */
int sip_uri_parse_into(const char *p, size_t len, struct sip_uri *u);
/*
 * The URI of a name-addr, at p just after the '<': parsed into a zeroed *u up to the first '>'
 * in [p, e), *ret_gt set to that '>'. Returns 0, or nonzero with *u zeroed when this is not the
 * common case (a sip: URI, well-formed, a '>' after it): the caller then does it step by step.
 */
int sip_uri_parse_to_gt(const char *p, const char *e, struct sip_uri *u, const char **ret_gt);

enum sip_host_type sip_host_classify(const char *p, size_t len);
/* A port: 1 to 5 digits, at most 65535. */
static inline int sip_port_parse(const char *p, const char *e, uint16_t *ret)
{
	uint32_t v = 0;
	if (p == e || e - p > 5)
		return SW_E_RANGE;
	for (; p < e; p++) {
		unsigned d = (unsigned char)*p - (unsigned)'0';
		if (d > 9)
			return SW_E_SYNTAX;
		v = v * 10 + d;
	}
	if (v > 65535)
		return SW_E_RANGE;
	*ret = (uint16_t)v;
	return 0;
}

void sip_decode_via(struct sip_msg *m, const struct sip_header *h);
/* sip_count_elements() for a value that holds a ',' somewhere. */
unsigned sip_count_list(struct sip_msg *m, const struct sip_header *h);

/* Count the non-empty top-level comma-separated elements of a list value. */
static inline unsigned sip_count_elements(struct sip_msg *m, const struct sip_header *h)
{
	/* Common case: one element. Values are trimmed, so non-empty means it has content. */
	if (!memchr(h->value.p, ',', h->value.len))
		return h->value.len ? 1 : 0;
	return sip_count_list(m, h);
}
/* *ret must be zeroed. */
void sip_decode_addr(struct sip_msg *m, const struct sip_header *h, struct sip_addr *ret);
void sip_decode_cseq(struct sip_msg *m, const struct sip_header *h);
void sip_decode_call_id(struct sip_msg *m, const struct sip_header *h);
void sip_decode_auth(struct sip_msg *m, const struct sip_header *h, struct sip_auth *ret);
void sip_decode_date(struct sip_msg *m, const struct sip_header *h);
/* Decimal value of an all-digit view, saturating at UINT64_MAX; -1 when not all digits/empty. */
static inline int sip_decimal(struct sw_str v, uint64_t *ret)
{
	if (!v.p || v.len == 0)
		return -1;
	uint64_t x = 0;
	uint32_t i = 0;
	/* 19 digits stay below 10^19 < 2^64: no overflow check needed for them. */
	for (; i < v.len && i < 19; i++) {
		unsigned d = (unsigned char)v.p[i] - (unsigned)'0';
		if (d > 9)
			return -1;
		x = x * 10 + d;
	}
	for (; i < v.len; i++) {
		unsigned d = (unsigned char)v.p[i] - (unsigned)'0';
		if (d > 9)
			return -1;
		x = (x > (UINT64_MAX - d) / 10) ? UINT64_MAX : x * 10 + d;
	}
	*ret = x;
	return 0;
}

#endif
