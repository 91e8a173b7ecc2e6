/*
 * Internal interface between the message framer (sip_parse.c) and the structured-field decoders
 * (sip_fields.c, sip_uri.c). Not for use outside src/sip.
 *
 * Decoders take a header value as [p, e) and the message, fill one structured view, and record
 * defects through sip_defect_add(); they never fail the whole parse.
 */
#ifndef SW_SIP_INTERNAL_H
#define SW_SIP_INTERNAL_H

#include "sip/sip.h"

void sip_defect_add(struct sip_msg *m, int code, enum sip_hdr_id hdr, uint32_t off);

/* Offset of p in the message being parsed (for defects). */
uint32_t sip_off(const struct sip_msg *m, const char *p);

/* sip_hdr_lookup for the parser: avail (>= len) bytes may be read from name. */
enum sip_hdr_id sip_hdr_find(const char *name, size_t len, size_t avail, int *ret_compact);

/* sip_uri_parse into a zeroed *u, without the copy; on error *u holds partial views. */
int sip_uri_parse_into(const char *p, size_t len, struct sip_uri *u);

enum sip_host_type sip_host_classify(const char *p, size_t len);
int sip_port_parse(const char *p, const char *e, uint16_t *ret);

void sip_decode_via(struct sip_msg *m, const struct sip_header *h);
/* Count the non-empty top-level comma-separated elements of a list value. */
unsigned sip_count_elements(struct sip_msg *m, const struct sip_header *h);
/* *ret must be zeroed. */
void sip_decode_addr(struct sip_msg *m, const struct sip_header *h, struct sip_addr *ret);
void sip_decode_cseq(struct sip_msg *m, const struct sip_header *h);
void sip_decode_call_id(struct sip_msg *m, const struct sip_header *h);
void sip_decode_auth(struct sip_msg *m, const struct sip_header *h, struct sip_auth *ret);
void sip_decode_date(struct sip_msg *m, const struct sip_header *h);
/* Decimal value of an all-digit view, saturating at UINT64_MAX; -1 when not all digits/empty. */
int sip_decimal(struct sw_str v, uint64_t *ret);

#endif
