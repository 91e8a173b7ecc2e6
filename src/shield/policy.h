/*
 * The policy: a pure function of (source state, message facts, time) to a verdict, and the state
 * transitions that go with it. No I/O, no allocation, no clock of its own: the engine passes the
 * time (capture timestamps in `inspect`, the monotonic clock in `shield`), so every decision can be
 * replayed and unit-tested.
 *
 * States (shield/vocab.h): untrusted -> trusted when the server answers the source's REGISTER
 * (or a request that carried credentials) with 2xx; -> denied when a threshold or a finding says
 * so and the realm's trust level allows denial; denied -> untrusted when deny-period ends.
 *
 * Requests (sw_policy_request) and the server's responses (sw_policy_response) both update the
 * state: responses carry what the policy needs for trust (2xx to REGISTER) and behaviour (404s to
 * many users, 401s to changing credentials).
 */
#ifndef SW_SHIELD_POLICY_H
#define SW_SHIELD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "shield/realm.h"
#include "shield/vocab.h"

/* Settings that are not per realm. */
struct sw_policy_global {
	uint32_t tolerance_window_ms;     /* tolerance-window */
	uint32_t max_untrusted_signaling; /* messages per second from all untrusted sources; 0 off */
};

/*
 * Per-source state, kept by the tracker (shield/tracker.h) inside its entry. Times are
 * milliseconds on the engine's clock. Counters cover the current tolerance window, which starts
 * at win_start_s and is restarted (counters zeroed, sketches cleared, flagged cleared) by the
 * first message after it ends: at win_start_s * 1000 + tolerance_window_ms. Counters saturate,
 * so a threshold above 65534 never fires. A zeroed struct with win_start_s set is a fresh
 * untrusted source (the tracker makes new entries so). 56 bytes.
 */
struct sw_src {
	uint64_t deny_until; /* denied while now < deny_until (ms) */
	uint64_t users_seen; /* sketch (bit per mixed hash % 64) of users targeted while untrusted */
	uint64_t users_fail;  /* sketch of users answered 404/403/484/604 */
	uint32_t win_start_s; /* window start, seconds (ms / 1000) on the engine's clock */
	uint32_t last_seen_s; /* last message, seconds */
	uint32_t nat_since_s; /* address entries: when denied_endpoints last grew, seconds */
	uint16_t msgs;        /* all requests in the window (saturating) */
	uint16_t untrusted;   /* requests sent while untrusted, minus credits for registrations */
	uint16_t invalid;     /* malformed, fingerprinted or refused by the User-Agent lists */
	uint16_t auth_fail;   /* credentialed requests answered 401/407/403 */
	uint16_t methods;     /* bit per enum sip_method seen while untrusted */
	uint16_t denied_endpoints; /* address entries: endpoints of this address denied (NAT) */
	uint16_t creds_id;         /* (port, CSeq) of the latest request with credentials, hashed */
	uint8_t state;             /* enum sw_src_state */
	uint8_t flagged;           /* a flagged message in this window: drop responses to it */
	uint8_t last_reason;       /* enum sw_reason of the last drop or deny */
	uint8_t pending_reg;       /* REGISTERs sent and not yet answered 2xx (credit on success) */
	uint8_t creds; /* creds_id is valid (cleared once a failure is counted for it) */
};

/* Global budget for untrusted messages (one per engine). */
struct sw_budget {
	uint64_t sec;   /* the second being counted */
	uint32_t count; /* untrusted messages accepted in it */
};

/* What the engine learned about a message before asking the policy. */
struct sw_msg_facts {
	uint8_t is_request;
	uint8_t method;       /* enum sip_method of the request, or of the response's CSeq */
	uint16_t status;      /* responses */
	bool invalid;         /* not a usable SIP message (parse error) */
	bool fingerprinted;   /* fingerprint score reached the threshold */
	bool ua_denied;       /* User-Agent matched user-agent-deny */
	bool ua_not_allowed;  /* user-agent-allow mode and the User-Agent is not listed */
	bool has_credentials; /* Authorization or Proxy-Authorization present */
	bool listed;          /* the source matched an ACL entry (a known agent or peer) */
	uint32_t user_hash; /* hash of the target user (request: R-URI user, else To user); 0 none */
	/*
	 * Which request a response answers, for the credentials check: the remote endpoint's port
	 * (a request's source, a response's destination) and the CSeq number. Behind a NAT one
	 * address entry serves several phones, and a 401 to one phone's first REGISTER must not
	 * count as a failed password because another phone's REGISTER carried credentials. 0 when
	 * unknown: then the latest credentialed request of the source matches.
	 */
	uint16_t port;
	uint32_t cseq;
};

/* The policy's answer. */
struct sw_decision {
	enum sw_action action;
	enum sw_reason reason;
	uint8_t state_before, state_after; /* enum sw_src_state */
	bool promoted;                     /* became trusted by this message */
	bool released;                     /* its deny-period ended with this message */
};

/*
 * A request (or any message the remote party sends towards the server) from a source in realm,
 * with its effective trust level (the ACL entry's, else the realm's). Updates src and budget
 * (budget may be NULL: no global limit). The steps, in order, are in policy.c's opening comment:
 * deny-period, window and maximum-signal-threshold, flagged messages and invalid-signal-threshold,
 * allow-anonymous, untrusted counting (untrusted-signal-threshold, method sweep, budget).
 */
void sw_policy_request(const struct sw_policy_global *g, const struct sw_realm *realm,
		       enum sw_trust_level trust, struct sw_src *src, struct sw_budget *budget,
		       const struct sw_msg_facts *m, uint64_t now_ms, struct sw_decision *ret);

/*
 * A message the server sends to the source (responses; requests the server originates pass).
 * Updates trust and behaviour counters; the decision drops responses addressed to denied or
 * flagged sources and may deny the source (behaviour found on the response path): promoted is
 * set by a 2xx to REGISTER, or to the request that carried credentials, from a low or medium
 * source that is neither denied nor flagged; then call sw_tracker_promote. m->method is the
 * CSeq method; m->port and m->cseq tell which request it answers.
 */
void sw_policy_response(const struct sw_policy_global *g, const struct sw_realm *realm,
			enum sw_trust_level trust, struct sw_src *src, const struct sw_msg_facts *m,
			uint64_t now_ms, struct sw_decision *ret);

/*
 * Deny src now (operator `block`, a denial carried over a restart): for period_ms, or for the
 * realm's deny-period when period_ms is 0. Works at every trust level: an operator's word wins.
 */
void sw_policy_deny(const struct sw_realm *realm, struct sw_src *src, uint64_t now_ms,
		    uint64_t period_ms, enum sw_reason why);

/*
 * NAT (nat-trust-threshold). The engine calls this after a decision denied a trusted endpoint
 * entry (shield/tracker.h: entry->endpoint set, action SW_ACT_DENY), with the address entry of
 * the same address (sw_tracker_addr) and the trust level of the source. It counts the denied
 * endpoint (the count restarts when deny-period has passed since the previous one) and, when the
 * realm's nat_trust_threshold is set and reached and trust allows denial (low, none), denies the
 * address entry with reason NAT_THRESHOLD. Returns true when it denied the address.
 */
bool sw_policy_endpoint_denied(const struct sw_realm *realm, enum sw_trust_level trust,
			       struct sw_src *addr_src, uint64_t now_ms);

/*
 * True when addr_src (an address entry) is denied for NAT_THRESHOLD at now_ms: the whole address
 * is denied, its trusted endpoints too. Trusted endpoint entries are found before the address
 * entry, so an engine with a realm whose nat_trust_threshold is set also checks the address entry
 * of a trusted endpoint's packets and drops them (reason DENIED) when this says so.
 */
bool sw_policy_nat_blocked(const struct sw_src *addr_src, uint64_t now_ms);

/*
 * Distinct users a 64-bit sketch (users_seen, users_fail) has seen, estimated by linear counting
 * from the bits set: exact enough up to about 40 users, then rising to 266 at 63 bits and 65535
 * for a full sketch. For thresholds, reports and `inspect`.
 */
unsigned sw_policy_sketch_count(uint64_t sketch);

#endif
