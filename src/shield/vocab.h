/*
 * The shield's vocabulary, shared by the rules, the source tracker, the policy, the engine, the
 * logs and the config (../shared/DESIGN.md section 6; the SBC appendix in ../shared/seeds/003_*).
 * Every enum has a name table so logs, metrics, JSON and the config all spell values alike.
 */
#ifndef SW_SHIELD_VOCAB_H
#define SW_SHIELD_VOCAB_H

#include <stdint.h>

/*
 * Trust level of a realm or ACL entry:
 *  high    always trusted, never denied (messages may still be dropped, the source never is)
 *  medium  promotable to trusted; demoted at most to untrusted, never denied
 *  low     promotable to trusted; deniable (the seed's recommendation for access realms)
 *  none    always untrusted, never promoted; deniable
 */
enum sw_trust_level { SW_TRUST_NONE = 0, SW_TRUST_LOW, SW_TRUST_MEDIUM, SW_TRUST_HIGH };

/* State of a tracked source. */
enum sw_src_state { SW_SRC_UNTRUSTED = 0, SW_SRC_TRUSTED, SW_SRC_DENIED };

/* allow-anonymous: who may send requests in a realm. */
enum sw_anon {
	SW_ANON_ALL = 0,     /* anyone */
	SW_ANON_AGENTS_ONLY, /* only sources listed by an ACL entry (session agents / peers) */
	SW_ANON_REGISTERED,  /* only trusted endpoints; REGISTER from anyone */
};

/* What happens to one packet. */
enum sw_action {
	SW_ACT_ACCEPT = 0, /* pass it on */
	SW_ACT_DROP,       /* drop it silently */
	SW_ACT_DENY,       /* drop it and deny its source for the realm's deny-period */
};

/*
 * Why: the reason behind a drop or deny (or a flag on an accepted message). One per verdict;
 * the most decisive one wins when several apply (fingerprint before thresholds).
 */
#define SW_REASONS(X)                                                                              \
	X(NONE, "none")                 /* accepted, nothing to say */                             \
	X(DENIED, "denied")             /* the source is in its deny-period */                     \
	X(ACL, "acl")                   /* an ACL entry with access deny */                        \
	X(ANONYMOUS, "allow-anonymous") /* the realm's allow-anonymous refused it */               \
	X(FINGERPRINT, "fingerprint")   /* rule score reached the threshold */                     \
	X(UA_DENY, "user-agent-deny")   /* User-Agent matched the deny pattern */                  \
	X(UA_ALLOW, "user-agent-allow") /* allow mode, User-Agent not listed */                    \
	X(INVALID, "invalid")           /* not a usable SIP message */                             \
	X(INVALID_THRESHOLD, "invalid-signal-threshold")                                           \
	X(UNTRUSTED_THRESHOLD, "untrusted-signal-threshold")                                       \
	X(MAXIMUM_THRESHOLD, "maximum-signal-threshold")                                           \
	X(UNTRUSTED_BUDGET, "max-untrusted-signaling") /* global untrusted budget spent */         \
	X(NAT_THRESHOLD, "nat-trust-threshold")   /* too many endpoints of the address denied */   \
	X(ENUMERATION, "enumeration")             /* behaviour: extension enumeration */           \
	X(PASSWORD_GUESSING, "password-guessing") /* behaviour: digest password guessing */        \
	X(METHOD_SWEEP, "method-sweep")           /* behaviour: many methods, no success */        \
	X(RESPONSE_TO_FLAGGED, "response-to-flagged") /* response to a denied or flagged source */

enum sw_reason {
#define SW_REASON_ENUM(id, name) SW_REASON_##id,
	SW_REASONS(SW_REASON_ENUM)
#undef SW_REASON_ENUM
		SW_REASON__COUNT
};

const char *sw_trust_level_name(enum sw_trust_level t); /* "high", "medium", "low", "none" */
const char *sw_src_state_name(enum sw_src_state s);     /* "untrusted", "trusted", "denied" */
const char *sw_anon_name(enum sw_anon a);               /* "all", "agents-only", "registered" */
const char *sw_action_name(enum sw_action a);           /* "accept", "drop", "deny" */
const char *sw_reason_name(enum sw_reason r);

/* Name to value; 0 on success, -1 when the name is unknown. */
int sw_trust_level_parse(const char *s, enum sw_trust_level *ret);
int sw_anon_parse(const char *s, enum sw_anon *ret);

#endif
