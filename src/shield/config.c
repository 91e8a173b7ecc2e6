/*
 * Shield config loader (shield/config.h): inih does the INI syntax, this file the meaning.
 *
 * Keys are data: one table per section kind, each key with its type and where its value goes,
 * so the set of keys, their checks and their error messages stay in one place. The shipped
 * conf/shield.conf is parsed first (it is built in): a user's file overrides [shield] keys one by
 * one, and its realms replace the shipped ones; a realm's unset keys take the values of the
 * shipped default realm.
 */
#include "shield/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"

extern const char sw_shield_conf_default[];
extern const size_t sw_shield_conf_default_len;

enum key_type {
	K_UINT,     /* uint32_t in [min, max] */
	K_UINT8,    /* uint8_t in [min, max] */
	K_SIZE,     /* uint64_t bytes with K/M/G suffix, in [min, max] */
	K_STRING,   /* char[SW_CFG_PATH_MAX] or [SW_CFG_PATTERN_MAX] (size in max) */
	K_PORTS,    /* comma-separated UDP ports */
	K_TRUST,    /* enum sw_trust_level */
	K_ANON,     /* enum sw_anon */
	K_PREFIXES, /* comma-separated prefixes (realm addr-prefix) */
	K_ACL_ADDR, /* one prefix (acl source-address) */
	K_ACL_REALM,
	K_ACCESS, /* permit | deny */
	K_DENY,   /* enum sw_deny_backend, as uint8_t */
};

struct key {
	const char *name;
	enum key_type type;
	size_t off; /* into the section's struct */
	uint64_t min, max;
};

#define SH(field) offsetof(struct sw_shield_config, field)
#define RE(field) offsetof(struct sw_realm, field)

static const struct key shield_keys[] = {
	{"sip-port", K_PORTS, 0, 1, 65535},
	{"rules", K_STRING, SH(rules), 0, SW_CFG_PATH_MAX},
	{"fingerprint-threshold", K_UINT, SH(fingerprint_threshold), 0, 1000000},
	{"user-agent-deny", K_STRING, SH(ua_deny), 0, SW_CFG_PATTERN_MAX},
	{"user-agent-allow", K_STRING, SH(ua_allow), 0, SW_CFG_PATTERN_MAX},
	{"tolerance-window", K_UINT, SH(tolerance_window), 1, 86400},
	{"max-untrusted-signaling", K_UINT, SH(policy.max_untrusted_signaling), 0, 100000000},
	{"state-memory", K_SIZE, SH(state_memory), 1 << 20, (uint64_t)1 << 40},
	{"trusted-share", K_UINT, SH(trusted_share), 1, 99},
	{"ipv6-prefix", K_UINT8, SH(ipv6_prefix), 16, 128},
	{"log", K_STRING, SH(log), 0, SW_CFG_PATH_MAX},
	{"log-max-size", K_SIZE, SH(log_max_size), 4096, (uint64_t)1 << 44},
	{"log-pcap", K_STRING, SH(log_pcap), 0, SW_CFG_PATH_MAX},
	{"log-pcap-max-size", K_SIZE, SH(log_pcap_max_size), 4096, (uint64_t)1 << 44},
	{"deny-backend", K_DENY, SH(deny_backend), 0, 0},
	{"deny-interface", K_STRING, SH(deny_interface), 0, SW_CFG_NAME_MAX},
	{"state-file", K_STRING, SH(state_file), 0, SW_CFG_PATH_MAX},
	{"control-socket", K_STRING, SH(control_socket), 0, SW_CFG_PATH_MAX},
	{"control-group", K_STRING, SH(control_group), 0, SW_CFG_NAME_MAX},
	{"metrics-listen", K_STRING, SH(metrics_listen), 0, SW_CFG_NAME_MAX},
	{"user", K_STRING, SH(user), 0, SW_CFG_NAME_MAX},
	{NULL, 0, 0, 0, 0},
};

static const struct key realm_keys[] = {
	{"addr-prefix", K_PREFIXES, 0, 0, 0},
	{"access-control-trust-level", K_TRUST, RE(trust), 0, 0},
	{"allow-anonymous", K_ANON, RE(anon), 0, 0},
	{"untrusted-signal-threshold", K_UINT, RE(untrusted_signal_threshold), 0, 1000000},
	{"invalid-signal-threshold", K_UINT, RE(invalid_signal_threshold), 0, 1000000},
	{"maximum-signal-threshold", K_UINT, RE(maximum_signal_threshold), 0, 1000000},
	{"nat-trust-threshold", K_UINT, RE(nat_trust_threshold), 0, 65535},
	{"deny-period", K_UINT, RE(deny_period), 1, 31536000},
	{"enumeration-threshold", K_UINT, RE(enumeration_threshold), 0, 64},
	{"auth-failure-threshold", K_UINT, RE(auth_failure_threshold), 0, 65535},
	{"method-sweep-threshold", K_UINT, RE(method_sweep_threshold), 0, 16},
	{NULL, 0, 0, 0, 0},
};

static const struct key acl_keys[] = {
	{"source-address", K_ACL_ADDR, 0, 0, 0},
	{"realm-id", K_ACL_REALM, 0, 0, 0},
	{"trust-level", K_TRUST, offsetof(struct sw_acl, trust), 0, 0},
	{"access", K_ACCESS, 0, 0, 0},
	{NULL, 0, 0, 0, 0},
};

enum section { SEC_NONE, SEC_SHIELD, SEC_REALM, SEC_ACL };

/* An [acl] section while it is being read: its realm is resolved at the end. */
struct pending_acl {
	char name[SW_REALM_NAME_MAX];
	char realm[SW_REALM_NAME_MAX];
	struct sw_acl acl;
	uint32_t line;
	uint8_t has_addr, has_trust;
};

#define MAX_ACLS 1024

struct loader {
	struct sw_shield_config *cfg;
	const char *name;
	const struct sw_realm *realm_template; /* NULL while loading the built-in file */
	int user_realms;                       /* a realm section was seen in this file */
	enum section sec;
	char sec_name[128];
	uint32_t line;
	uint32_t realm_line[SW_CFG_MAX_REALMS];
	struct pending_acl acls[MAX_ACLS];
	unsigned nacls;
	/* the reader */
	const char *buf;
	size_t len, pos;
	/* first error */
	int failed;
	char *err;
	size_t errlen;
};

static int fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct loader *ld, const char *fmt, ...)
{
	if (ld->failed)
		return 0;
	ld->failed = 1;
	int n = snprintf(ld->err, ld->errlen, "%s:%u: ", ld->name, ld->line);
	if (n > 0 && (size_t)n < ld->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return 0;
}

static int start_section(struct loader *ld, const char *section);
static const char *trim_view(const char *s, size_t *len);

/* inih's line reader over our buffer; it also counts lines for error messages. */
static char *reader(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	if (ld->pos >= ld->len || num < 2)
		return NULL;
	size_t n = 0;
	while (ld->pos < ld->len && n + 1 < (size_t)num) {
		char c = ld->buf[ld->pos++];
		str[n++] = c;
		if (c == '\n')
			break;
	}
	str[n] = '\0';
	ld->line++;
	/*
	 * Section headers are handled here, not in on_key: inih only reports key lines, and an
	 * empty [realm NAME] or [acl NAME] must still exist (or fail) where it was written.
	 */
	size_t len = n;
	const char *t = trim_view(str, &len);
	while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
		len--;
	t = trim_view(t, &len);
	if (len >= 2 && t[0] == '[' && !ld->failed) {
		const char *close = memchr(t, ']', len);
		if (close) {
			size_t nlen = (size_t)(close - t - 1);
			const char *name = trim_view(t + 1, &nlen);
			char sec[sizeof(ld->sec_name)];
			if (nlen >= sizeof(sec)) {
				fail(ld, "section name longer than %zu characters",
				     sizeof(sec) - 1);
			} else {
				memcpy(sec, name, nlen);
				sec[nlen] = '\0';
				start_section(ld, sec);
			}
		}
	}
	return str;
}

static const char *trim_view(const char *s, size_t *len)
{
	while (*len && (*s == ' ' || *s == '\t')) {
		s++;
		(*len)--;
	}
	while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

static int parse_u64(const char *v, uint64_t *ret)
{
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || *end)
		return -1;
	*ret = n;
	return 0;
}

static int parse_size(const char *v, uint64_t *ret)
{
	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (*end && end[1])
		return -1;
	if (n > (UINT64_MAX >> shift))
		return -1;
	*ret = (uint64_t)n << shift;
	return 0;
}

/* "a.b.c.d/n" or "x::y/n" (a plain address is a host prefix) into acl's family/addr/plen. */
static int parse_prefix(const char *s, size_t len, struct sw_acl *acl)
{
	char tmp[64];
	s = trim_view(s, &len);
	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	char *slash = strchr(tmp, '/');
	unsigned long plen = 0;
	if (slash) {
		*slash = '\0';
		uint64_t n;
		if (parse_u64(slash + 1, &n) != 0 || n > 128)
			return -1;
		plen = n;
	}
	memset(acl->addr, 0, sizeof(acl->addr));
	if (inet_pton(AF_INET, tmp, acl->addr) == 1) {
		acl->family = AF_INET;
		if (!slash)
			plen = 32;
		if (plen > 32)
			return -1;
	} else if (inet_pton(AF_INET6, tmp, acl->addr) == 1) {
		acl->family = AF_INET6;
		if (!slash)
			plen = 128;
	} else {
		return -1;
	}
	/* host bits set: a typo more often than intent ("10.0.0.1/8"); refuse it */
	for (unsigned bit = (unsigned)plen; bit < (acl->family == AF_INET ? 32u : 128u); bit++)
		if (acl->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -2;
	acl->plen = (uint8_t)plen;
	return 0;
}

static int add_prefix(struct loader *ld, const struct sw_acl *acl, int is_acl)
{
	struct sw_shield_config *cfg = ld->cfg;
	if (cfg->nprefixes >= SW_CFG_MAX_PREFIXES)
		return fail(ld, "more than %d prefixes", SW_CFG_MAX_PREFIXES);
	struct sw_cfg_prefix *p = &cfg->prefixes[cfg->nprefixes++];
	p->acl = *acl;
	p->is_acl = (uint8_t)is_acl;
	p->line = ld->line;
	return 1;
}

static int set_prefixes(struct loader *ld, const char *v, unsigned realm)
{
	const char *p = v;
	int any = 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		size_t tl = len;
		const char *t = trim_view(p, &tl);
		struct sw_acl acl = {0};
		int rc = parse_prefix(p, len, &acl);
		if (rc == -2)
			return fail(ld, "addr-prefix '%.*s' has bits set after the prefix length",
				    (int)tl, t);
		if (rc != 0)
			return fail(ld, "addr-prefix '%.*s' is not an address or prefix", (int)tl,
				    t);
		acl.realm = (uint16_t)realm;
		acl.trust = ld->cfg->realms[realm].trust; /* final value set at the end */
		if (!add_prefix(ld, &acl, 0))
			return 0;
		any = 1;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!any)
		return fail(ld, "addr-prefix is empty");
	return 1;
}

static int set_ports(struct loader *ld, const char *v)
{
	struct sw_shield_config *cfg = ld->cfg;
	cfg->nports = 0;
	const char *p = v;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t seg = comma ? (size_t)(comma - p) : strlen(p);
		size_t len = seg;
		const char *t = trim_view(p, &len);
		char tmp[16];
		uint64_t n;
		if (len == 0 || len >= sizeof(tmp))
			return fail(ld, "sip-port '%.*s' is not a port number", (int)len, t);
		memcpy(tmp, t, len);
		tmp[len] = '\0';
		if (parse_u64(tmp, &n) != 0 || n < 1 || n > 65535)
			return fail(ld, "sip-port '%s' is not a port number (1-65535)", tmp);
		if (cfg->nports >= SW_CFG_MAX_PORTS)
			return fail(ld, "more than %d sip-port values", SW_CFG_MAX_PORTS);
		cfg->sip_ports[cfg->nports++] = (uint16_t)n;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (cfg->nports == 0)
		return fail(ld, "sip-port is empty");
	return 1;
}

static const struct key *find_key(const struct key *table, const char *name)
{
	for (; table->name; table++)
		if (strcmp(table->name, name) == 0)
			return table;
	return NULL;
}

static int set_value(struct loader *ld, const struct key *k, void *base, const char *v)
{
	uint64_t n;
	switch (k->type) {
	case K_UINT:
	case K_UINT8:
		if (parse_u64(v, &n) != 0 || n < k->min || n > k->max)
			return fail(ld, "%s = '%s': expected a whole number from %llu to %llu",
				    k->name, v, (unsigned long long)k->min,
				    (unsigned long long)k->max);
		if (k->type == K_UINT8)
			*(uint8_t *)((char *)base + k->off) = (uint8_t)n;
		else
			*(uint32_t *)((char *)base + k->off) = (uint32_t)n;
		return 1;
	case K_SIZE:
		if (parse_size(v, &n) != 0 || n < k->min || n > k->max)
			return fail(ld,
				    "%s = '%s': expected a size (bytes, or with K, M, G) from %llu "
				    "to %llu bytes",
				    k->name, v, (unsigned long long)k->min,
				    (unsigned long long)k->max);
		*(uint64_t *)((char *)base + k->off) = n;
		return 1;
	case K_STRING: {
		size_t len = strlen(v);
		if (len >= k->max)
			return fail(ld, "%s: value longer than %llu bytes", k->name,
				    (unsigned long long)k->max - 1);
		memcpy((char *)base + k->off, v, len + 1);
		return 1;
	}
	case K_TRUST: {
		enum sw_trust_level t;
		if (sw_trust_level_parse(v, &t) != 0)
			return fail(ld, "%s = '%s': expected high, medium, low or none", k->name,
				    v);
		*(enum sw_trust_level *)((char *)base + k->off) = t;
		return 1;
	}
	case K_ANON: {
		enum sw_anon a;
		if (sw_anon_parse(v, &a) != 0)
			return fail(ld, "%s = '%s': expected all, agents-only or registered",
				    k->name, v);
		*(enum sw_anon *)((char *)base + k->off) = a;
		return 1;
	}
	case K_DENY: {
		static const char *const names[] = {"auto", "nft", "xdp", "off"};
		for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strcmp(v, names[i]) == 0) {
				*(uint8_t *)((char *)base + k->off) = (uint8_t)i;
				return 1;
			}
		}
		return fail(ld, "%s = '%s': expected auto, nft, xdp or off", k->name, v);
	}
	default:
		return fail(ld, "%s: internal error (key type)", k->name);
	}
}

static int start_section(struct loader *ld, const char *section)
{
	struct sw_shield_config *cfg = ld->cfg;
	snprintf(ld->sec_name, sizeof(ld->sec_name), "%s", section);
	ld->sec = SEC_NONE;
	const char *name = NULL;
	if (strcmp(section, "shield") == 0) {
		ld->sec = SEC_SHIELD;
		return 1;
	}
	if (strncmp(section, "realm ", 6) == 0) {
		name = section + 6;
		ld->sec = SEC_REALM;
	} else if (strncmp(section, "acl ", 4) == 0) {
		name = section + 4;
		ld->sec = SEC_ACL;
	} else {
		return fail(ld,
			    "unknown section [%s] (expected [shield], [realm NAME] or [acl NAME])",
			    section);
	}
	while (*name == ' ')
		name++;
	size_t nlen = strlen(name);
	if (nlen == 0 || nlen >= SW_REALM_NAME_MAX)
		return fail(ld, "[%s]: the name must be 1 to %d characters", section,
			    SW_REALM_NAME_MAX - 1);
	for (size_t i = 0; i < nlen; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_' ||
		      name[i] == '.'))
			return fail(ld, "[%s]: names use letters, digits, '-', '_' and '.'",
				    section);
	if (ld->sec == SEC_ACL) {
		for (unsigned i = 0; i < ld->nacls; i++)
			if (strcmp(ld->acls[i].name, name) == 0)
				return fail(ld, "[acl %s] defined twice (first on line %u)", name,
					    ld->acls[i].line);
		if (ld->nacls >= MAX_ACLS)
			return fail(ld, "more than %d [acl] sections", MAX_ACLS);
		struct pending_acl *a = &ld->acls[ld->nacls++];
		memset(a, 0, sizeof(*a));
		memcpy(a->name, name, nlen + 1);
		a->line = ld->line;
		return 1;
	}
	/* a realm: the file's first realm section drops the shipped realms and prefixes */
	if (ld->realm_template && !ld->user_realms) {
		ld->user_realms = 1;
		cfg->nrealms = 0;
		cfg->nprefixes = 0;
	}
	for (unsigned i = 0; i < cfg->nrealms; i++)
		if (strcmp(cfg->realms[i].name, name) == 0)
			return fail(ld, "[realm %s] defined twice (first on line %u)", name,
				    ld->realm_line[i]);
	if (cfg->nrealms >= SW_CFG_MAX_REALMS)
		return fail(ld, "more than %d realms", SW_CFG_MAX_REALMS);
	struct sw_realm *r = &cfg->realms[cfg->nrealms];
	if (ld->realm_template)
		*r = *ld->realm_template;
	else
		memset(r, 0, sizeof(*r));
	memcpy(r->name, name, nlen + 1);
	ld->realm_line[cfg->nrealms] = ld->line;
	cfg->nrealms++;
	return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	if (ld->failed)
		return 1;
	if (!name)
		return 1;
	if (ld->sec == SEC_NONE || !*section)
		return fail(ld, "'%s' outside a section (put it under [shield])", name), 1;
	struct sw_shield_config *cfg = ld->cfg;
	const struct key *k;
	switch (ld->sec) {
	case SEC_SHIELD:
		k = find_key(shield_keys, name);
		if (!k)
			return fail(ld, "unknown key '%s' in [shield]", name), 1;
		if (k->type == K_PORTS)
			return set_ports(ld, value), 1;
		return set_value(ld, k, cfg, value), 1;
	case SEC_REALM: {
		unsigned ri = cfg->nrealms - 1;
		k = find_key(realm_keys, name);
		if (!k)
			return fail(ld, "unknown key '%s' in [%s]", name, section), 1;
		if (k->type == K_PREFIXES)
			return set_prefixes(ld, value, ri), 1;
		return set_value(ld, k, &cfg->realms[ri], value), 1;
	}
	case SEC_ACL: {
		struct pending_acl *a = &ld->acls[ld->nacls - 1];
		k = find_key(acl_keys, name);
		if (!k)
			return fail(ld, "unknown key '%s' in [%s]", name, section), 1;
		switch (k->type) {
		case K_ACL_ADDR: {
			int rc = parse_prefix(value, strlen(value), &a->acl);
			if (rc == -2)
				return fail(ld,
					    "source-address '%s' has bits set after the prefix "
					    "length",
					    value),
				       1;
			if (rc != 0)
				return fail(ld, "source-address '%s' is not an address or prefix",
					    value),
				       1;
			a->has_addr = 1;
			return 1;
		}
		case K_ACL_REALM:
			if (strlen(value) >= SW_REALM_NAME_MAX)
				return fail(ld, "realm-id '%s' is too long", value), 1;
			snprintf(a->realm, sizeof(a->realm), "%s", value);
			return 1;
		case K_ACCESS:
			if (strcmp(value, "permit") == 0)
				a->acl.deny = 0;
			else if (strcmp(value, "deny") == 0)
				a->acl.deny = 1;
			else
				return fail(ld, "access = '%s': expected permit or deny", value), 1;
			return 1;
		default:
			a->has_trust = 1;
			return set_value(ld, k, &a->acl, value), 1;
		}
	}
	default:
		return fail(ld, "'%s' outside a section", name), 1;
	}
}

/* Most specific first; on equal length ACL entries before realm prefixes. */
static int cmp_prefix(const void *a, const void *b)
{
	const struct sw_cfg_prefix *x = a, *y = b;
	if (x->acl.plen != y->acl.plen)
		return x->acl.plen > y->acl.plen ? -1 : 1;
	if (x->is_acl != y->is_acl)
		return x->is_acl ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static int finish(struct loader *ld)
{
	struct sw_shield_config *cfg = ld->cfg;
	ld->line = 0;
	cfg->policy.tolerance_window_ms = cfg->tolerance_window * 1000;
	if (cfg->nrealms == 0) {
		snprintf(ld->err, ld->errlen, "%s: no [realm NAME] section", ld->name);
		return SW_E_CONFIG;
	}
	for (unsigned i = 0; i < ld->nacls; i++) {
		struct pending_acl *a = &ld->acls[i];
		ld->line = a->line;
		if (!a->has_addr) {
			fail(ld, "[acl %s] has no source-address", a->name);
			break;
		}
		unsigned ri = 0;
		if (a->realm[0]) {
			for (ri = 0; ri < cfg->nrealms; ri++)
				if (strcmp(cfg->realms[ri].name, a->realm) == 0)
					break;
			if (ri == cfg->nrealms) {
				fail(ld, "[acl %s]: realm-id '%s' names no [realm] section",
				     a->name, a->realm);
				break;
			}
		}
		a->acl.realm = (uint16_t)ri;
		if (!a->has_trust)
			a->acl.trust = cfg->realms[ri].trust;
		if (!add_prefix(ld, &a->acl, 1))
			break;
	}
	if (ld->failed)
		return SW_E_CONFIG;
	/* realm prefixes take their realm's final trust level */
	for (unsigned i = 0; i < cfg->nprefixes; i++)
		if (!cfg->prefixes[i].is_acl)
			cfg->prefixes[i].acl.trust = cfg->realms[cfg->prefixes[i].acl.realm].trust;
	qsort(cfg->prefixes, cfg->nprefixes, sizeof(cfg->prefixes[0]), cmp_prefix);
	return 0;
}

static int load(struct loader *ld)
{
	int rc = ini_parse_stream(reader, ld, on_key, ld);
	if (ld->failed)
		return SW_E_CONFIG;
	if (rc != 0) {
		if (rc < 0)
			snprintf(ld->err, ld->errlen, "%s: cannot read", ld->name);
		else
			snprintf(ld->err, ld->errlen,
				 "%s:%d: syntax error (expected [section] or key = value)",
				 ld->name, rc);
		return SW_E_CONFIG;
	}
	return finish(ld);
}

static struct loader *loader_new(struct sw_shield_config *cfg, const char *name, const char *buf,
				 size_t len, char *err, size_t errlen)
{
	struct loader *ld = calloc(1, sizeof(*ld));
	if (!ld)
		return NULL;
	ld->cfg = cfg;
	ld->name = name;
	ld->buf = buf;
	ld->len = len;
	ld->err = err;
	ld->errlen = errlen;
	return ld;
}

int sw_shield_config_default(struct sw_shield_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->source, sizeof(cfg->source), "(built-in defaults)");
	struct loader *ld = loader_new(cfg, "conf/shield.conf (built in)", sw_shield_conf_default,
				       sw_shield_conf_default_len, err, errlen);
	if (!ld) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	int rc = load(ld);
	free(ld);
	return rc;
}

int sw_shield_config_load_buf(const char *name, const char *buf, size_t len,
			      struct sw_shield_config *cfg, char *err, size_t errlen)
{
	int rc = sw_shield_config_default(cfg, err, errlen);
	if (rc != 0)
		return rc;
	snprintf(cfg->source, sizeof(cfg->source), "%s", name);
	struct sw_realm tmpl = cfg->realms[0];
	struct loader *ld = loader_new(cfg, name, buf, len, err, errlen);
	if (!ld) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	ld->realm_template = &tmpl;
	rc = load(ld);
	free(ld);
	if (rc == 0 && memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: contains a NUL byte (not a text file)", name);
		rc = SW_E_CONFIG;
	}
	return rc;
}

int sw_shield_config_load(const char *path, struct sw_shield_config *cfg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return SW_E_CONFIG;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
		if (len == cap) {
			if (cap >= (1u << 24)) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: larger than 16 MiB", path);
				return SW_E_CONFIG;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int ioerr = ferror(f);
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return SW_E_NOMEM;
	}
	if (ioerr) {
		free(buf);
		snprintf(err, errlen, "%s: read error", path);
		return SW_E_CONFIG;
	}
	int rc = sw_shield_config_load_buf(path, buf, len, cfg, err, errlen);
	free(buf);
	return rc;
}

static int prefix_covers(const struct sw_acl *p, const struct sw_endpoint *ep)
{
	if (p->family != ep->family)
		return 0;
	unsigned full = p->plen / 8, rest = p->plen % 8;
	if (memcmp(p->addr, ep->addr, full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff00 >> rest);
		if ((p->addr[full] & mask) != (ep->addr[full] & mask))
			return 0;
	}
	return 1;
}

unsigned sw_shield_config_realm(const struct sw_shield_config *cfg, const struct sw_endpoint *ep,
				enum sw_trust_level *trust, int *listed, int *acl_deny)
{
	for (unsigned i = 0; i < cfg->nprefixes; i++) {
		const struct sw_cfg_prefix *p = &cfg->prefixes[i];
		if (!prefix_covers(&p->acl, ep))
			continue;
		*trust = p->acl.trust;
		*listed = p->is_acl;
		*acl_deny = p->is_acl && p->acl.deny;
		return p->acl.realm;
	}
	*trust = cfg->realms[0].trust;
	*listed = 0;
	*acl_deny = 0;
	return 0;
}

int sw_shield_config_is_sip_port(const struct sw_shield_config *cfg, uint16_t port)
{
	for (unsigned i = 0; i < cfg->nports; i++)
		if (cfg->sip_ports[i] == port)
			return 1;
	return 0;
}

const char *sw_deny_backend_name(enum sw_deny_backend b)
{
	switch (b) {
	case SW_DENY_AUTO:
		return "auto";
	case SW_DENY_NFT:
		return "nft";
	case SW_DENY_XDP:
		return "xdp";
	case SW_DENY_OFF:
		return "off";
	}
	return "?";
}
