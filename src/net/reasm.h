/*
 * IPv4 and IPv6 fragment reassembly in a fixed table, driven by a caller-supplied clock.
 *
 * Fragments are grouped by (source address, destination address, identification, protocol) for
 * IPv4 (RFC 791) and by (source, destination, identification) for IPv6, where RFC 8200 lets the
 * Next Header of non-first fragments differ and takes the one of the offset-0 fragment. They may
 * arrive in any order. Bounded by construction, whatever an attacker sends:
 *  - at most `slots` datagrams in progress (default 64, at most SW_REASM_MAX_SLOTS); a fragment of
 *    a new datagram when all are busy evicts the one that started longest ago;
 *  - at most SW_REASM_MAX_LEN bytes per datagram; a fragment reaching further drops it;
 *  - a datagram still incomplete `timeout_usec` after its first fragment (default 30 s, RFC 8200's
 *    60 s halved, Linux's default) is dropped, measured on the caller's clock (capture time for
 *    inspect) when the next fragment comes in or at sw_reasm_expire().
 * Memory: the slot table comes with sw_reasm_new(); each slot's SW_REASM_MAX_LEN-byte buffer
 * the first time the slot is used, kept for reuse until sw_reasm_free(). So the total is bounded
 * by slots * 64 KiB, nothing is allocated per fragment, and input without fragments costs none.
 *
 * Overlaps (RFC 5722 policy, applied to IPv4 as well): a fragment that is an exact copy of bytes
 * already held (same data; a packet captured twice, a retransmission) is ignored. Any other
 * overlap, a second last fragment announcing another length, or data past the announced end
 * drops the whole datagram: overlapping fragments are how evasion attacks make a sensor and the
 * target reassemble different bytes, so neither reading is trusted. The datagram's identity is
 * then remembered until it times out or its slot is needed, so its remaining fragments are
 * absorbed and it is counted as dropped once. A completed datagram is remembered the same way, so
 * late copies of its fragments are recognised as duplicates instead of starting a datagram that
 * could never complete; a fragment with the same key that is not a copy starts a new datagram
 * (the identification was reused).
 *
 * Snapped fragments (capture shorter than the fragment): they still count for completeness, but
 * the result's `len` stops at the first byte that was not captured; `orig_len` is the full length.
 */
#ifndef SW_NET_REASM_H
#define SW_NET_REASM_H

#include <stdint.h>

#include "net/decode.h"

#define SW_REASM_MAX_LEN 65535 /* bytes of reassembled payload per datagram */
#define SW_REASM_DEFAULT_SLOTS 64
#define SW_REASM_MAX_SLOTS 4096
#define SW_REASM_DEFAULT_TIMEOUT_USEC (30ULL * 1000000ULL)

struct sw_reasm; /* opaque */

struct sw_reasm_stats {
	uint64_t completed;  /* datagrams reassembled */
	uint64_t dropped;    /* datagrams given up: the sum of the reasons below */
	uint64_t timed_out;  /* incomplete when the timeout passed */
	uint64_t evicted;    /* pushed out of a full table */
	uint64_t conflicts;  /* overlapping fragments or contradicting lengths */
	uint64_t oversize;   /* past SW_REASM_MAX_LEN, or a non-last fragment not 8-byte aligned */
	uint64_t flushed;    /* still incomplete at sw_reasm_flush() (end of the capture) */
	uint64_t nomem;      /* no memory for the slot's buffer at its first use */
	uint64_t duplicates; /* exact copies ignored (not a drop) */
};

/* A completed datagram. data stays valid until the next sw_reasm_add/flush/free on the table. */
struct sw_reasm_result {
	/* the reassembled payload: what followed the IPv4 header or the IPv6 fragment header */
	const uint8_t *data;
	uint32_t len;      /* bytes present: orig_len unless a fragment was snapped */
	uint32_t orig_len; /* bytes the fragments announced */
	uint16_t nfrags;   /* fragments that contributed (exact duplicates not counted) */
	uint8_t proto;     /* IPv4 protocol, or IPv6 Next Header of the offset-0 fragment header */
};

/*
 * Create a table for up to slots datagrams (0 = SW_REASM_DEFAULT_SLOTS) that drops incomplete
 * ones after timeout_usec (0 = SW_REASM_DEFAULT_TIMEOUT_USEC). About 66 KiB per slot used.
 * Returns 0, SW_E_INVAL (slots above SW_REASM_MAX_SLOTS) or SW_E_NOMEM.
 */
int sw_reasm_new(unsigned slots, uint64_t timeout_usec, struct sw_reasm **ret);

/* Free the table; NULL is fine. */
void sw_reasm_free(struct sw_reasm *r);

/*
 * Add one fragment, as decoded by sw_decode_frame() (frag->fragment must be true), seen at
 * now_usec on the caller's clock. Returns 1 when it completed its datagram (*ret filled), 0 when
 * it is held waiting for more, SW_E_PKT_REASM when it made the datagram be dropped or belongs to
 * one that was, SW_E_INVAL when frag is not a fragment (or not as sw_decode_frame() makes them:
 * an offset that is not a multiple of 8, len above orig_len, no address family).
 */
int sw_reasm_add(struct sw_reasm *r, const struct sw_decoded *frag, uint64_t now_usec,
		 struct sw_reasm_result *ret);

/* Drop the datagrams whose timeout has passed at now_usec; returns how many were dropped. */
unsigned sw_reasm_expire(struct sw_reasm *r, uint64_t now_usec);

/* Drop every datagram still in progress (end of input); returns how many were incomplete. */
unsigned sw_reasm_flush(struct sw_reasm *r);

/* Datagrams in progress (incomplete, not counting remembered dropped or completed ones). */
unsigned sw_reasm_pending(const struct sw_reasm *r);

const struct sw_reasm_stats *sw_reasm_stats(const struct sw_reasm *r);

#endif
