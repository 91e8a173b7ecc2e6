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
 * at win_start and is restarted (counters zeroed) by the first message after it ends.
 */
struct sw_src {
	uint64_t deny_until;  /* denied while now < deny_until */
	uint32_t win_start_s; /* window start, seconds (ms / 1000) on the engine's clock */
	uint32_t last_seen_s; /* last message, seconds */
	uint16_t msgs;        /* all messages in the window (saturating) */
	uint16_t untrusted;   /* messages sent while untrusted, minus credits for registrations */
	uint16_t invalid;     /* malformed or fingerprinted */
	uint16_t auth_fail;   /* credentialed requests answered 401/407/403 */
	uint64_t users_seen;  /* sketch (bitmap of hash % 64) of request target users */
	uint64_t users_fail;  /* sketch of users answered 404/403/484/604 */
	uint16_t methods;     /* bit per enum sip_method seen while untrusted */
	uint16_t denied_endpoints; /* NAT: endpoints of this address denied (address entries) */
	uint8_t state;        /* enum sw_src_state */
	uint8_t flagged;      /* a fingerprinted/invalid message or a finding: drop responses */
	uint8_t last_reason;  /* enum sw_reason of the last drop or deny */
	uint8_t pending_reg;  /* REGISTERs sent and not yet answered 2xx (credit on success) */
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
	uint32_t user_hash;   /* hash of the target user (request: R-URI user, else To user); 0 none */
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
 * with its effective trust level (the ACL entry's, else the realm's). Updates src and budget.
 */
void sw_policy_request(const struct sw_policy_global *g, const struct sw_realm *realm,
		       enum sw_trust_level trust, struct sw_src *src, struct sw_budget *budget,
		       const struct sw_msg_facts *m, uint64_t now_ms, struct sw_decision *ret);

/*
 * A message the server sends to the source (responses; requests the server originates pass).
 * Updates trust and behaviour counters; the decision drops responses addressed to denied or
 * flagged sources and may deny the source (behaviour found on the response path).
 */
void sw_policy_response(const struct sw_policy_global *g, const struct sw_realm *realm,
			enum sw_trust_level trust, struct sw_src *src, const struct sw_msg_facts *m,
			uint64_t now_ms, struct sw_decision *ret);

/* Deny src now for the realm's deny-period (operator `block`, a denial carried over a restart). */
void sw_policy_deny(const struct sw_realm *realm, struct sw_src *src, uint64_t now_ms,
		    uint64_t period_ms, enum sw_reason why);

#endif
