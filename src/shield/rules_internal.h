/*
 * Internals shared by the rules engine's files: the field table (rules_field.c), the loader
 * (rules_load.c) and the matcher (rules.c). Not for use outside src/shield/rules*.c.
 */
#ifndef SW_SHIELD_RULES_INTERNAL_H
#define SW_SHIELD_RULES_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strview.h"
#include "net/addr.h"
#include "shield/pattern.h"
#include "shield/rules.h"
#include "sip/sip.h"

/*
 * Field ids. The fixed fields come first; then three ranges indexed by enum sip_hdr_id:
 * hdr.NAME (first value of a header), raw.NAME (bytes between the colon and the end of the first
 * value, leading whitespace included), count.NAME (number of header lines) and pos.NAME (0-based
 * position of the first such line among all header lines).
 */
#define SW_RULES_FIELDS(X)                                                                         \
	X(METHOD, "method", STR)                                                                   \
	X(RURI, "ruri", STR)                                                                       \
	X(RURI_USER, "ruri.user", STR)                                                             \
	X(RURI_HOST, "ruri.host", STR)                                                             \
	X(RURI_PARAMS, "ruri.params", STR)                                                         \
	X(RURI_PORT, "ruri.port", NUM)                                                             \
	X(VIA, "via", STR)                                                                         \
	X(VIA_TRANSPORT, "via.transport", STR)                                                     \
	X(VIA_HOST, "via.host", STR)                                                               \
	X(VIA_PORT, "via.port", NUM)                                                               \
	X(VIA_BRANCH, "via.branch", STR)                                                           \
	X(VIA_RPORT, "via.rport", STR)                                                             \
	X(VIA_RECEIVED, "via.received", STR)                                                       \
	X(VIA_PARAMS, "via.params", STR)                                                           \
	X(VIA_COUNT, "via.count", NUM)                                                             \
	X(VIA_HOST_PRIVATE, "via.host-private", BOOL)                                              \
	X(VIA_HOST_IS_SOURCE, "via.host-is-source", BOOL)                                          \
	X(VIA_PORT_IS_SOURCE, "via.port-is-source", BOOL)                                          \
	SW_RULES_ADDR_FIELDS(X, FROM, "from")                                                      \
	SW_RULES_ADDR_FIELDS(X, TO, "to")                                                          \
	SW_RULES_ADDR_FIELDS(X, CONTACT, "contact")                                                \
	X(CONTACT_COUNT, "contact.count", NUM)                                                     \
	X(CONTACT_HOST_PRIVATE, "contact.host-private", BOOL)                                      \
	X(CONTACT_HOST_IS_SOURCE, "contact.host-is-source", BOOL)                                  \
	X(CONTACT_PORT_IS_SOURCE, "contact.port-is-source", BOOL)                                  \
	X(CONTACT_HOST_IS_RURI, "contact.host-is-ruri", BOOL)                                      \
	X(FROM_IS_TO, "from-equals-to", BOOL)                                                      \
	X(CALL_ID, "call-id", STR)                                                                 \
	X(CSEQ, "cseq", NUM)                                                                       \
	X(CSEQ_METHOD, "cseq.method", STR)                                                         \
	X(MAX_FORWARDS, "max-forwards", NUM)                                                       \
	X(EXPIRES, "expires", NUM)                                                                 \
	X(CONTENT_LENGTH, "content-length", NUM)                                                   \
	X(USER_AGENT, "user-agent", STR)                                                           \
	X(SERVER, "server", STR)                                                                   \
	X(ALLOW, "allow", STR)                                                                     \
	X(ACCEPT, "accept", STR)                                                                   \
	X(SUBJECT, "subject", STR)                                                                 \
	X(CONTENT_TYPE, "content-type", STR)                                                       \
	X(AUTH, "authorization", STR)                                                              \
	X(AUTH_USERNAME, "authorization.username", STR)                                            \
	X(AUTH_QOP, "authorization.qop", STR)                                                      \
	X(AUTH_CNONCE, "authorization.cnonce", STR)                                                \
	X(AUTH_NC, "authorization.nc", STR)                                                        \
	X(AUTH_ALGORITHM, "authorization.algorithm", STR)                                          \
	X(BODY, "body", STR)                                                                       \
	X(SDP_O, "sdp.o", STR)                                                                     \
	X(SDP_S, "sdp.s", STR)                                                                     \
	X(SDP_M, "sdp.m", STR)                                                                     \
	X(HEADER_ORDER, "header-order", STR)                                                       \
	X(HEADER_COUNT, "header-count", NUM)                                                       \
	X(SRC_PORT, "src.port", NUM)

#define SW_RULES_ADDR_FIELDS(X, P, n)                                                              \
	X(P, n, STR)                                                                               \
	X(P##_DISPLAY, n ".display", STR)                                                          \
	X(P##_URI, n ".uri", STR)                                                                  \
	X(P##_USER, n ".user", STR)                                                                \
	X(P##_HOST, n ".host", STR)                                                                \
	X(P##_PORT, n ".port", NUM)                                                                \
	X(P##_URI_PARAMS, n ".uri-params", STR)                                                    \
	X(P##_TAG, n ".tag", STR)                                                                  \
	X(P##_PARAMS, n ".params", STR)                                                            \
	X(P##_QUOTED, n ".quoted", BOOL)                                                           \
	X(P##_BRACKETED, n ".bracketed", BOOL)

enum sw_rf {
#define SW_RF_ENUM(id, name, kind) SW_RF_##id,
	SW_RULES_FIELDS(SW_RF_ENUM)
#undef SW_RF_ENUM
		SW_RF__FIXED,
};

#define SW_RF_HDR_BASE ((unsigned)SW_RF__FIXED)
#define SW_RF_RAW_BASE (SW_RF_HDR_BASE + (unsigned)SIP_HDR__COUNT)
#define SW_RF_COUNT_BASE (SW_RF_RAW_BASE + (unsigned)SIP_HDR__COUNT)
#define SW_RF_POS_BASE (SW_RF_COUNT_BASE + (unsigned)SIP_HDR__COUNT)
#define SW_RF__COUNT (SW_RF_POS_BASE + (unsigned)SIP_HDR__COUNT)

enum sw_rf_kind { SW_RFK_STR = 0, SW_RFK_NUM, SW_RFK_BOOL };

/* Kind of a field id (< SW_RF__COUNT). */
enum sw_rf_kind sw_rf_kind(unsigned field);

/* Relative cost of reading a field: 0 stored in the parsed message, 1 computed from it. */
unsigned sw_rf_cost(unsigned field);

/* Field id of a name as written in a rules file (case-insensitive), or -1. */
int sw_rf_lookup(const char *name, size_t len);

/* Per-message caches for computed fields, kept in the rules context. */
#define SW_RF_ORDER_MAX 1024
struct sw_rf_host {
	uint32_t epoch;
	int8_t ok; /* 1 an address (fam, addr), 0 not one */
	uint8_t fam;
	uint8_t addr[16];
};
struct sw_rf_cache {
	uint32_t epoch_order, epoch_sdp;
	struct sw_rf_host via_host, contact_host;
	uint32_t order_len;
	struct sw_str sdp_o, sdp_s, sdp_m;
	char order[SW_RF_ORDER_MAX];
};

/* What the matcher hands the field readers. */
struct sw_rf_env {
	const struct sip_msg *msg;
	const struct sw_endpoint *src; /* may be NULL */
	struct sw_rf_cache *cache;
	uint32_t epoch; /* changes with every message: cache entries of another epoch are stale */
};

/* A field's value in one message; present == false when the message has no such value. */
struct sw_rf_val {
	struct sw_str s; /* STR fields */
	int64_t n;       /* NUM fields; BOOL fields 0 or 1 */
	bool present;
};

/* offsetof(struct sip_msg, ...) of a string field stored as a view in the message, or -1. */
int32_t sw_rf_offset(unsigned field);

/* Read field of the message in env into *v. */
void sw_rf_get(const struct sw_rf_env *env, unsigned field, struct sw_rf_val *v);

/*
 * The bytes of the message a match on field is reported with: the value itself for string
 * fields that live in the message, else the header the value comes from. May be absent.
 */
struct sw_str sw_rf_witness(const struct sw_rf_env *env, unsigned field);

/* Predicate operators. */
enum sw_rop {
	SW_ROP_PRESENT = 0,
	SW_ROP_ABSENT,
	SW_ROP_EQ,      /* =  string equal / number equal */
	SW_ROP_NE,      /* != */
	SW_ROP_PREFIX,  /* ^= */
	SW_ROP_SUFFIX,  /* $= */
	SW_ROP_HAS,     /* *= contains */
	SW_ROP_RE,      /* ~  */
	SW_ROP_NRE,     /* !~ */
	SW_ROP_NPREFIX, /* !^= */
	SW_ROP_NSUFFIX, /* !$= */
	SW_ROP_NHAS,    /* !*= */
	SW_ROP_LT,
	SW_ROP_LE,
	SW_ROP_GT,
	SW_ROP_GE,
	SW_ROP_LEN_EQ, /* len=  length of a string field in bytes */
	SW_ROP_LEN_NE, /* len!= */
	SW_ROP_LEN_LT, /* len<  */
	SW_ROP_LEN_LE, /* len<= */
	SW_ROP_LEN_GT, /* len>  */
	SW_ROP_LEN_GE, /* len>= */
};

struct sw_rpred {
	uint16_t field;
	uint8_t op;   /* enum sw_rop */
	uint8_t cost; /* evaluation order within a rule: lower first */
	uint8_t kind; /* enum sw_rf_kind of field */
	int32_t off;  /* sw_rf_offset(field) */
	uint32_t line;
	int64_t num;
	char *lit; /* NUL-terminated copy, litlen bytes (may contain NUL) */
	uint32_t litlen;
	struct sw_pattern *re;
	const struct sw_pattern_hint *hint; /* of re */
};

struct sw_rule {
	char *id;
	char *comment;
	uint32_t line;
	uint16_t tool;
	uint16_t np;
	int32_t weight;
	uint32_t methods;    /* bit per enum sip_method */
	int32_t group;       /* prefilter group of p[0], or -1 */
	struct sw_rpred *p;  /* cheapest first */
	uint8_t *file_order; /* indexes into p, in the order the file lists the predicates */
};

/* Rules whose cheapest predicate is a positive regex on one field share one combined regex. */
struct sw_rgroup {
	uint16_t field;
	struct sw_pattern *re;
};

/*
 * Rules whose cheapest predicate reads the same field: the matcher reads that field once per
 * message for all of them (and not at all when none applies to the method).
 */
#define SW_RBUCKET_MAX 64 /* members of one bucket: one bit each in the masks below */
struct sw_rbucket {
	uint16_t field;
	int32_t off;      /* offsetof the field's view in struct sip_msg, or -1: use sw_rf_get */
	uint8_t kind;     /* enum sw_rf_kind of field */
	uint32_t methods; /* union of the members' methods */
	unsigned n;
	uint16_t rules[SW_RBUCKET_MAX]; /* indexes, file order */
	/*
	 * Candidate members as bit masks, so a message looks only at the few members that can
	 * hold. A member whose first predicate is keyable (string =, ^=, anchored ~ with a non-empty
	 * match: the first byte; number or boolean =: the low byte of the number) is a candidate
	 * only for values with that key (by_key); one testing absence only when the value is
	 * absent (absent); any other member whenever the value is present (present: every other
	 * operator, negations included, needs a value). by_method filters by request method.
	 */
	uint64_t present, absent;
	uint64_t by_method[32];
	uint64_t by_key[256];
	uint64_t by_len[256]; /* string = members by the literal's length (mod 256) */
};

/* How the matcher reads a bucket's field (the common ones in place, the rest by sw_rf_get). */
enum sw_rf_read {
	SW_RD_VIEW = 0, /* a view at an offset in struct sip_msg */
	SW_RD_POS,
	SW_RD_CSEQ,
	SW_RD_MAX_FORWARDS,
	SW_RD_EXPIRES,
	SW_RD_VIA_PORT,
	SW_RD_CONTACT_PORT,
	SW_RD_GET,
};

/* One bucket as the loop for one method sees it: its masks already filtered by the method. */
struct sw_rhot {
	int32_t off;
	uint16_t field;
	uint8_t kind, read; /* enum sw_rf_kind, enum sw_rf_read */
	uint64_t present, absent, mmask;
	const uint64_t *by_key, *by_len;
	const uint16_t *rules;
};

struct sw_rules {
	int32_t threshold;
	unsigned nrules, ntools, ngroups, nbuckets;
	struct sw_rule *rules;
	char **tools;
	struct sw_rgroup *groups;
	struct sw_rbucket *buckets;
	/* per request method (enum sip_method, < 32): what the loop needs of each bucket */
	struct sw_rhot *hot[32];
	uint16_t nhot[32];
};

#endif
