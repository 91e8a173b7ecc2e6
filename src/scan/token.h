/*
 * Stateless validation of replies to the full OPTIONS probe.
 *
 * The probe to a target carries a token, a 64-bit keyed hash of the target's address family,
 * address and port under a key drawn afresh for each scan, in three places a SIP server copies
 * into its reply: the Via branch, the From tag and the Call-ID. A reply then proves it answers
 * one of our probes, to the endpoint it comes from, without the scanner remembering anything per
 * target: recompute the token for the reply's source and compare. Packets from elsewhere, stray
 * replies to someone else's scan and blind forgeries fail (a forger would have to guess 64 bits),
 * so they can neither create result rows nor inflate response sizes. The hash is SipHash-2-4
 * (see token.c), which is built for exactly this: short inputs, a secret key, speed.
 *
 * The texts, fixed so that the probe builder and the check cannot disagree:
 *   Via branch  "z9hG4bK" + the token as 16 lowercase hex digits      (23 characters)
 *   From tag    the token as 11 base-62 digits (0-9, a-z, A-Z)
 *   Call-ID     the token as 11 base-62 digits, optionally followed by "@" and anything
 * Base 62 is fixed width: 62^11 > 2^64. All three are valid RFC 3261 tokens.
 */
#ifndef SW_SCAN_TOKEN_H
#define SW_SCAN_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "core/siphash.h" /* sw_siphash24, which the tokens use */
#include "core/strview.h"
#include "net/addr.h"

#define SW_TOKEN_KEY_LEN SW_SIPHASH_KEY_LEN
#define SW_TOKEN_HEX_LEN 16
#define SW_TOKEN_B62_LEN 11
#define SW_TOKEN_BRANCH_COOKIE "z9hG4bK" /* RFC 3261 section 8.1.1.7 */
#define SW_TOKEN_BRANCH_LEN (sizeof(SW_TOKEN_BRANCH_COOKIE) - 1 + SW_TOKEN_HEX_LEN)

/* The per-scan secret. Any 16 bytes; sw_token_key_random() makes a good one. */
struct sw_token_key {
	uint8_t b[SW_TOKEN_KEY_LEN];
};

/* Which fields of a reply carried the right token (the bits sw_token_check() returns). */
enum sw_token_field {
	SW_TOKEN_BRANCH = 1u << 0,
	SW_TOKEN_TAG = 1u << 1,
	SW_TOKEN_CALL_ID = 1u << 2,
};

/* Fill key with 16 bytes from the kernel's random source. 0, or SW_E_IO when there is none. */
int sw_token_key_random(struct sw_token_key *key);

/*
 * The token of an endpoint: SipHash-2-4 under key of 19 bytes, the family (4 or 6), the 16
 * address bytes (for IPv4 the four address bytes and twelve zeros, whatever addr[4..15] hold) and
 * the port in network order. 0, or SW_E_INVAL when ep's family is neither AF_INET nor AF_INET6.
 */
int sw_token_make(const struct sw_token_key *key, const struct sw_endpoint *ep,
		  uint64_t *ret_token);

/* The token as exactly SW_TOKEN_HEX_LEN lowercase hex digits and a NUL. */
void sw_token_hex(uint64_t token, char out[SW_TOKEN_HEX_LEN + 1]);

/* The token as exactly SW_TOKEN_B62_LEN base-62 digits (most significant first) and a NUL. */
void sw_token_b62(uint64_t token, char out[SW_TOKEN_B62_LEN + 1]);

/* The Via branch parameter's value for a token: SW_TOKEN_BRANCH_LEN characters and a NUL. */
void sw_token_branch(uint64_t token, char out[SW_TOKEN_BRANCH_LEN + 1]);

/*
 * Check a reply that came from src: which of its top Via's branch, its From tag and its Call-ID
 * (views as the parser gives them; absent ones are {NULL, 0}) carry the token of src. Returns a
 * mask of enum sw_token_field bits; 0 means the reply does not answer a probe of this scan and
 * must be dropped. Any bit is proof enough (each takes the key to produce), so a server that
 * mangles one field still counts. 0 as well for a src family other than AF_INET/AF_INET6.
 * Comparisons take the same time wherever the texts differ.
 */
unsigned sw_token_check(const struct sw_token_key *key, const struct sw_endpoint *src,
			struct sw_str branch, struct sw_str from_tag, struct sw_str call_id);

#endif
