/*
 * Realms and ACL entries: the per-prefix settings the policy applies (the SBC appendix's
 * realm-config and access-control, ../shared/seeds/003_*). The config loader (shield/config.h)
 * fills them; the policy (shield/policy.h) only reads them.
 *
 * A source's realm is found by its address: ACL entries and realm addr-prefixes together, the
 * most specific (longest) prefix wins; an ACL entry wins a tie with a realm prefix. A source no
 * prefix covers belongs to the default realm (index 0).
 */
#ifndef SW_SHIELD_REALM_H
#define SW_SHIELD_REALM_H

#include <stdint.h>

#include "shield/vocab.h"

#define SW_REALM_NAME_MAX 32

struct sw_realm {
	char name[SW_REALM_NAME_MAX];
	enum sw_trust_level trust; /* access-control-trust-level */
	enum sw_anon anon;         /* allow-anonymous */
	/* Thresholds within the tolerance window; 0 disables the check. */
	uint32_t untrusted_signal_threshold; /* messages an untrusted source may send */
	uint32_t invalid_signal_threshold;   /* malformed or fingerprinted messages */
	uint32_t maximum_signal_threshold;   /* messages from any source, trusted too */
	uint32_t nat_trust_threshold;        /* denied endpoints before the whole address is */
	uint32_t deny_period;                /* seconds */
	/* Behaviour thresholds within the tolerance window; 0 disables. */
	uint32_t enumeration_threshold;  /* distinct users answered 404/403/484/604 */
	uint32_t auth_failure_threshold; /* requests with credentials answered 401/407/403 */
	uint32_t method_sweep_threshold; /* distinct methods while untrusted */
};

/* One ACL entry (access-control): a prefix with its own trust level and access. */
struct sw_acl {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t plen;   /* prefix length */
	uint8_t addr[16];
	uint16_t realm; /* index of the realm whose thresholds apply */
	enum sw_trust_level trust;
	uint8_t deny; /* access deny: drop everything, silently */
};

#endif
