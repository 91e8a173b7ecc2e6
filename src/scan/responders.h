/*
 * The scanner's table of responders: per probed (address, port), every reply packet within the
 * wait window, the first packet's bytes (for the report's header fields), and the sizes.
 *
 * Rows are streamed: once a responder's window has passed, sw_responders_drain() hands its
 * record to the writer and frees the packet copy. A small tombstone stays in the hash so that a
 * target answering again later can never produce a second row ("one row per responding target
 * and port, whatever the target sends"). Memory is therefore bounded by the responders still
 * inside their window (packet copies) plus 24 bytes per responder seen (tombstones), never by
 * the number of targets, and capped by max_responders with SW_E_LIMIT beyond.
 *
 * Records are drained in the order their first reply arrived, which is also the order their
 * windows close, so draining is a walk from the front of a ring, not a scan of the table.
 */
#ifndef SW_SCAN_RESPONDERS_H
#define SW_SCAN_RESPONDERS_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

#define SW_RESPONDER_SIZES 16 /* packet sizes kept per responder (all are counted) */

struct sw_responder {
	struct sw_endpoint target; /* the address and port probed */
	uint16_t reply_port;       /* UDP source port of the first reply */
	uint64_t first_usec;       /* when the first reply arrived */
	uint32_t packets;          /* reply packets within the window */
	uint64_t bytes;            /* their UDP payload bytes, all of them */
	uint16_t sizes[SW_RESPONDER_SIZES];
	uint8_t *first; /* copy of the first packet (owned by the table) */
	uint32_t first_len;
	uint8_t first_truncated; /* the first packet was larger than the receive buffer */
};

struct sw_responders;

/* A table for at most max_responders responders over the whole scan. */
int sw_responders_new(uint32_t max_responders, uint64_t hash_seed, struct sw_responders **ret);
void sw_responders_free(struct sw_responders *t);

/*
 * Count one reply packet (payload pkt of len bytes, truncated when the receive buffer cut it)
 * from target, answered from reply_port, at now_usec. The first packet creates the record and is
 * copied. Returns 1 when counted, 0 when the target's record was already drained (a late
 * packet, ignored), SW_E_LIMIT when the table is full, SW_E_NOMEM.
 */
int sw_responders_add(struct sw_responders *t, const struct sw_endpoint *target,
		      uint16_t reply_port, const void *pkt, uint32_t len, int truncated,
		      uint64_t now_usec);

typedef void (*sw_responder_fn)(void *ctx, const struct sw_responder *r);

/*
 * Hand every record whose first reply came before cutoff_usec to fn, oldest first, and release
 * it (its target stays known, so it cannot appear again). UINT64_MAX drains everything. Returns
 * how many were drained.
 */
size_t sw_responders_drain(struct sw_responders *t, uint64_t cutoff_usec, sw_responder_fn fn,
			   void *ctx);

/* Whether target has answered (live or drained): retries skip it. */
int sw_responders_known(const struct sw_responders *t, const struct sw_endpoint *target);

/* Records not drained yet, and all responders seen. */
size_t sw_responders_live(const struct sw_responders *t);
size_t sw_responders_seen(const struct sw_responders *t);
/* Late packets ignored because their target was already drained. */
uint64_t sw_responders_late(const struct sw_responders *t);

#endif
