/*
 * The shield's configuration: an INI file in the SBC appendix's vocabulary
 * (../shared/seeds/003_*: realm-config, access-control, tolerance-window, ...). Every key is
 * documented in conf/shield.conf, which is also the shipped default (embedded into the binary:
 * `shield` and `inspect` without --config use exactly that file's settings).
 *
 *   [shield]         global settings: sip-port, rules, fingerprint-threshold, user-agent-deny,
 *                    user-agent-allow, tolerance-window, max-untrusted-signaling, state-memory,
 *                    trusted-share, ipv6-prefix, log, log-max-size, log-pcap, log-pcap-max-size
 *   [realm NAME]     addr-prefix, access-control-trust-level, allow-anonymous, the thresholds,
 *                    deny-period, and the behaviour thresholds
 *   [acl NAME]       source-address, realm-id, trust-level, access (permit | deny)
 *
 * The first realm in the file is the default realm: sources that no prefix covers belong to it.
 * Loading is all or nothing: any unknown section or key, bad value, duplicate realm or dangling
 * realm-id fails with "FILE:LINE: problem", and the caller must not start with a half-read file.
 */
#ifndef SW_SHIELD_CONFIG_H
#define SW_SHIELD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "shield/policy.h"
#include "shield/realm.h"

#define SW_CFG_MAX_REALMS 64
#define SW_CFG_MAX_PREFIXES 4096
#define SW_CFG_MAX_PORTS 16
#define SW_CFG_PATH_MAX 1024
#define SW_CFG_PATTERN_MAX 4096
#define SW_CFG_NAME_MAX 256

/* deny-backend: where denied sources are dropped in the kernel (the shield daemon only). */
enum sw_deny_backend {
	SW_DENY_AUTO = 0, /* nft when the kernel has nf_tables sets, else off (with a warning) */
	SW_DENY_NFT,      /* an nftables set with per-element timeouts, dropped before the queue */
	SW_DENY_XDP,      /* an XDP program on deny-interface with an expiring BPF map */
	SW_DENY_OFF,      /* user space only: the engine drops a denied source's packets */
};

/* A prefix of a realm (addr-prefix) or an ACL entry (source-address), as matched. */
struct sw_cfg_prefix {
	struct sw_acl acl; /* prefix, realm index, trust level, deny */
	uint8_t is_acl;    /* from an [acl] section: the source is "listed" (agents-only) */
	uint32_t line;     /* where it was defined */
};

struct sw_shield_config {
	char source[SW_CFG_PATH_MAX]; /* the file read, or "(built-in defaults)" */

	/* [shield] */
	uint16_t sip_ports[SW_CFG_MAX_PORTS]; /* sip-port: the server's SIP ports (UDP) */
	unsigned nports;
	char rules[SW_CFG_PATH_MAX];       /* rules: fingerprint rules file; "" = built in */
	int32_t fingerprint_threshold;     /* 0 = the rules file's own threshold */
	char ua_deny[SW_CFG_PATTERN_MAX];  /* user-agent-deny (PCRE2); "" = off */
	char ua_allow[SW_CFG_PATTERN_MAX]; /* user-agent-allow (PCRE2); "" = allow mode off */
	uint32_t tolerance_window;         /* tolerance-window, seconds */
	struct sw_policy_global policy;    /* the window in ms, max-untrusted-signaling */
	uint64_t state_memory;             /* state-memory: bytes for the source tracker */
	unsigned trusted_share;            /* trusted-share: percent of it for trusted */
	uint8_t ipv6_prefix;               /* ipv6-prefix: untrusted IPv6 aggregation */
	char log[SW_CFG_PATH_MAX];         /* log: matched-message log (JSON Lines); "" off */
	uint64_t log_max_size;             /* log-max-size: bytes before rotating to .1 */
	char log_pcap[SW_CFG_PATH_MAX];    /* log-pcap: pcap of dropped packets; "" off */
	uint64_t log_pcap_max_size;        /* log-pcap-max-size: bytes, then stop writing */

	/* [shield], the daemon's own settings (inspect ignores them) */
	uint8_t deny_backend;                 /* deny-backend: enum sw_deny_backend */
	char deny_interface[SW_CFG_NAME_MAX]; /* deny-interface: XDP interfaces, comma-separated */
	char state_file[SW_CFG_PATH_MAX];     /* state-file: denied sources across restarts */
	char control_socket[SW_CFG_PATH_MAX]; /* control-socket: `shield status|list|...` */
	char control_group[SW_CFG_NAME_MAX];  /* control-group: may use the socket too */
	char metrics_listen[SW_CFG_NAME_MAX]; /* metrics-listen: ADDR:PORT for Prometheus; "" off */
	char user[SW_CFG_NAME_MAX];           /* user: run as this user after setup; "" keep */

	/* [realm NAME]; realms[0] is the default realm */
	struct sw_realm realms[SW_CFG_MAX_REALMS];
	unsigned nrealms;

	/* realm addr-prefixes and ACL entries, most specific first (ties: ACL entries first) */
	struct sw_cfg_prefix prefixes[SW_CFG_MAX_PREFIXES];
	unsigned nprefixes;
};

/* The shipped settings (conf/shield.conf), without reading any file. */
int sw_shield_config_default(struct sw_shield_config *cfg, char *err, size_t errlen);

/* Read path. 0, or SW_E_CONFIG with "FILE:LINE: problem" (or "FILE: problem") in err. */
int sw_shield_config_load(const char *path, struct sw_shield_config *cfg, char *err, size_t errlen);

/* Read a config held in memory; name is used in error messages. */
int sw_shield_config_load_buf(const char *name, const char *buf, size_t len,
			      struct sw_shield_config *cfg, char *err, size_t errlen);

/*
 * The realm index and effective trust level for address ep (port ignored): the most specific
 * prefix that covers it, else the default realm with its own trust level. *listed is set when
 * an ACL entry matched, *acl_deny when that entry says access deny.
 */
unsigned sw_shield_config_realm(const struct sw_shield_config *cfg, const struct sw_endpoint *ep,
				enum sw_trust_level *trust, int *listed, int *acl_deny);

/* "auto", "nft", "xdp" or "off". */
const char *sw_deny_backend_name(enum sw_deny_backend b);

/* True when port is one of the server's SIP ports. */
int sw_shield_config_is_sip_port(const struct sw_shield_config *cfg, uint16_t port);

#endif
