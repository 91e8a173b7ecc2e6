/*
 * bench/engine: what the driver (bench_engine.c) needs from a replay backend.
 *
 * A backend takes a chunk of raw IPv4 packets (workload.h) and runs each through its pipeline:
 * "engine" = sw_decode_ip + sw_engine_packet (parse, classify, state, verdict), "parse" =
 * sw_decode_ip + sip_parse only (the baseline), "osip" = sw_decode_ip + libosip2's
 * osip_message_parse (a peer). The driver times replay() calls only; everything else (set-up,
 * generation, reports) is outside the timed region.
 */
#ifndef BENCH_ENGINE_REPLAY_H
#define BENCH_ENGINE_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "workload.h"

struct replay_counts {
	uint64_t msgs;          /* packets replayed */
	uint64_t decode_errors; /* sw_decode_ip refused the packet (the workload is broken then) */
	uint64_t parse_errors;  /* the parser refused the SIP message */
	uint64_t parse_defects; /* parsed, with defects (parse backend only) */
	uint64_t legit[3];      /* verdicts (enum sw_action) on legitimate packets; engine only */
	uint64_t attack[3];     /* on attack packets */
	uint64_t sink;          /* fields read after each parse, so nothing is optimised away */
};

struct backend {
	const char *name;
	/* Set up for workload w (its phone count and attacker estimate size the state). */
	int (*init)(const struct wl *w, char *err, size_t errlen);
	void (*replay)(const struct wl_chunk *c, struct replay_counts *rc);
	/* Extra " key=value" figures for the run line (state, verdict reasons). */
	void (*report)(FILE *out);
	void (*fini)(void);
};

/* The backends linked into this binary, NULL-terminated. */
extern const struct backend *const replay_backends[];

#endif
