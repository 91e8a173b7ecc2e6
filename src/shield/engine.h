/*
 * The shield engine: one packet in, one verdict out.
 *
 *   payload -> SIP parse -> classify (fingerprint rules, User-Agent deny/allow)
 *           -> realm and trust of the remote party (config prefixes and ACLs)
 *           -> per-source state (tracker) -> policy (thresholds, trust, behaviour) -> verdict
 *
 * No I/O and no clock: the caller passes the time with every packet (capture timestamps in
 * `inspect`, the monotonic clock in `shield`) and writes logs from the verdict. One engine is
 * used by one thread; the shield runs one engine per worker and keeps each source on one worker,
 * so no state is shared. Nothing is allocated per packet.
 *
 * Direction matters. SW_DIR_IN: the remote party sends towards the server (its requests, and
 * its responses to requests the server sent); these are classified and counted. SW_DIR_OUT: the
 * server sends to the remote party; responses teach the policy (2xx to REGISTER makes the remote
 * endpoint trusted; 404s and 401s feed the behaviour checks) and are dropped when the remote
 * party is denied or flagged, so a scanner learns nothing even from a request that got in.
 */
#ifndef SW_SHIELD_ENGINE_H
#define SW_SHIELD_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "net/addr.h"
#include "shield/config.h"
#include "shield/rules.h"
#include "shield/tracker.h"
#include "sip/sip.h"

enum sw_dir { SW_DIR_IN = 0, SW_DIR_OUT };

struct sw_packet {
	struct sw_endpoint src, dst;
	const uint8_t *payload; /* UDP payload */
	uint32_t len;
	uint64_t now_ms; /* the engine's clock */
	uint8_t dir;     /* enum sw_dir */
};

/* Everything known about one packet's fate; views and pointers valid until the next packet. */
struct sw_verdict {
	enum sw_action action;
	enum sw_reason reason;
	const struct sw_endpoint *remote;  /* the party the verdict is about: src IN, dst OUT */
	unsigned realm;                    /* index into the config's realms */
	enum sw_trust_level trust;         /* effective trust level (ACL entry or realm) */
	uint8_t state_before, state_after; /* enum sw_src_state */
	bool tracked;              /* the remote party has state (false for keep-alives, ACL) */
	bool promoted, released;   /* became trusted; deny-period ended */
	bool keepalive;            /* a CRLF/NUL keep-alive: passed without a look */
	bool endpoint_entry;       /* the state is a trusted endpoint's (address and port) */
	uint64_t deny_until;       /* when denied: end of the deny-period (ms) */
	int parse_rc;              /* 0, or the SIP parser's error */
	const struct sip_msg *msg; /* the parsed message (when parse_rc == 0) */
	struct sw_fp_result fp;    /* fingerprint rules (requests IN only; score 0 else) */
	struct sw_str ua;          /* the User-Agent that user-agent-deny/allow judged */
};

struct sw_engine_stats {
	uint64_t packets, keepalives, parse_errors;
	uint64_t by_action[3];                /* enum sw_action */
	uint64_t by_reason[SW_REASON__COUNT]; /* drops and denies by reason */
	uint64_t promoted, released, denied;  /* state transitions */
};

struct sw_engine;

/* Build an engine for cfg (copied): loads and compiles the rules and patterns. */
int sw_engine_new(const struct sw_shield_config *cfg, struct sw_engine **ret, char *err,
		  size_t errlen);
void sw_engine_free(struct sw_engine *e);

/*
 * Replace rules, patterns, realms and thresholds with cfg's, keeping every source's state (a
 * source keeps its realm index when it still exists, else falls back to the default realm).
 * All or nothing: on error the engine keeps its old settings and err says why. The tracker's
 * size settings (state-memory, trusted-share, ipv6-prefix) take effect only on restart.
 */
int sw_engine_reload(struct sw_engine *e, const struct sw_shield_config *cfg, char *err,
		     size_t errlen);

/* Decide about one packet. */
void sw_engine_packet(struct sw_engine *e, const struct sw_packet *p, struct sw_verdict *v);

/*
 * Decide about n packets received together (a batch from the queue): the same verdicts as n
 * calls of sw_engine_packet(), but the tracker's memory for a packet is fetched a few packets
 * ahead, so the lookups of a batch overlap instead of each paying a memory round trip. fn gets
 * each packet's verdict in order, while its views are valid (the next packet reuses them).
 */
void sw_engine_batch(struct sw_engine *e, const struct sw_packet *p, unsigned n,
		     void (*fn)(const struct sw_packet *p, const struct sw_verdict *v, void *arg),
		     void *arg);

/*
 * Deny addr now for period_ms (0: its realm's deny-period) for reason: an operator's block
 * (SW_REASON_DENIED), or a denial restored after a restart (its original reason).
 */
int sw_engine_block(struct sw_engine *e, const struct sw_endpoint *addr, uint64_t period_ms,
		    uint64_t now_ms, enum sw_reason reason);

/* Forget addr's state (an operator's unblock). Returns the number of entries removed. */
int sw_engine_unblock(struct sw_engine *e, const struct sw_endpoint *addr);

/*
 * Replace the random keys of the engine's hashes (the tracker's buckets, the target users of the
 * behaviour checks) before it has seen a packet: two engines decide alike on the same packets
 * only under the same key, which a test comparing them needs. SW_E_INVAL once it holds state.
 */
int sw_engine_set_hash_key(struct sw_engine *e, const uint8_t key[SW_SIPHASH_KEY_LEN]);

const struct sw_shield_config *sw_engine_config(const struct sw_engine *e);
const struct sw_rules *sw_engine_rules(const struct sw_engine *e);
const struct sw_engine_stats *sw_engine_stats(const struct sw_engine *e);
/* Hits per rule index (sw_rules_count() entries), counting every message a rule matched. */
const uint64_t *sw_engine_rule_hits(const struct sw_engine *e);
struct sw_tracker *sw_engine_tracker(struct sw_engine *e);

#endif
