/*
 * The matched-message log: one JSON object per dropped or flagged message (DESIGN.md section 5),
 * written by `shield` and `inspect` alike, with a size cap (rotation to FILE.1), and optionally a
 * pcap of the dropped packets (net/pcapw.h, capped too).
 *
 * A record: {"time", "src", "dst", "dir", "realm", "trust", "verdict", "reason", "state",
 * "state_before", "deny_until" (when denied; same clock as "time"), "method" or "status", "call_id", "user_agent",
 * "score", "tool", "rules": [{"id", "tool", "field", "value"}], "parse_error" (when unparsable)}.
 * "flagged" means accepted with a fingerprint score above zero (rules matched, not enough to
 * drop): the log shows what the rules saw without the shield having acted.
 */
#ifndef SW_SHIELD_MLOG_H
#define SW_SHIELD_MLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "out/json.h"
#include "shield/engine.h"

struct sw_mlog;

/* Open the log (path "" = none) and the pcap (pcap_path "" = none). */
int sw_mlog_open(const char *path, uint64_t max_bytes, const char *pcap_path,
		 uint64_t pcap_max_bytes, struct sw_mlog **ret, char *err, size_t errlen);

/* True when the verdict belongs in the log: a drop or deny, or a fingerprint score above 0. */
bool sw_mlog_wants(const struct sw_verdict *v);

/* Write v for packet p (time: p->now_ms unless ts_usec != 0, the capture's time). */
int sw_mlog_write(struct sw_mlog *l, const struct sw_engine *e, const struct sw_packet *p,
		  const struct sw_verdict *v, uint64_t ts_usec);

/* The record as one JSON object on j (no line end): for writers of their own. */
void sw_mlog_record(struct sw_json *j, const struct sw_engine *e, const struct sw_packet *p,
		    const struct sw_verdict *v, uint64_t ts_usec);

uint64_t sw_mlog_records(const struct sw_mlog *l);

/* Push buffered records to the file (the shield does after each batch that wrote some). */
int sw_mlog_flush(struct sw_mlog *l);
int sw_mlog_close(struct sw_mlog *l);

#endif
