/*
 * Shield engine (shield/engine.h): glue between the parser, the rules, the tracker and the policy.
 * The decisions live in policy.c; this file only gathers the facts in the right order.
 */
#include "shield/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/siphash.h"
#include "shield/pattern.h"

extern const char sw_rules_default[];
extern const size_t sw_rules_default_len;

#define ENGINE_MAX_HDRS 256

/* What a config compiles into; swapped as a whole by a reload. */
struct compiled {
	struct sw_shield_config cfg;
	struct sw_rules *rules;
	struct sw_rules_ctx *rctx;
	struct sw_pattern *ua_deny, *ua_allow;
	int32_t threshold;
	uint64_t *rule_hits;
};

struct sw_engine {
	struct compiled *c;
	struct sw_match_scratch *scratch;
	struct sw_tracker *tracker;
	struct sw_budget budget;
	uint8_t user_key[SW_SIPHASH_KEY_LEN]; /* keys the user sketches: collisions can't be aimed */
	struct sw_engine_stats stats;
	struct sip_limits lim;     /* requests: every structured view (the rules read them) */
	struct sip_limits lim_out; /* the server's messages: the views the policy reads */
	struct sip_msg msg;
	struct sip_header hdrs[ENGINE_MAX_HDRS];
};

static void compiled_free(struct compiled *c)
{
	if (!c)
		return;
	sw_rules_ctx_free(c->rctx);
	sw_rules_free(c->rules);
	sw_pattern_free(c->ua_deny);
	sw_pattern_free(c->ua_allow);
	free(c->rule_hits);
	free(c);
}

static int compile_ua(const char *key, const char *pat, const struct sw_shield_config *cfg,
		      struct sw_pattern **ret, char *err, size_t errlen)
{
	*ret = NULL;
	if (!pat[0])
		return 0;
	char perr[256];
	if (sw_pattern_compile(pat, strlen(pat), 0, ret, perr, sizeof(perr)) != 0) {
		snprintf(err, errlen, "%s: %s: %s", cfg->source, key, perr);
		return SW_E_CONFIG;
	}
	return 0;
}

static int compile(const struct sw_shield_config *cfg, struct compiled **ret, char *err,
		   size_t errlen)
{
	struct compiled *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	c->cfg = *cfg;
	char rerr[512];
	int rc;
	if (cfg->rules[0])
		rc = sw_rules_load_file(cfg->rules, &c->rules, rerr, sizeof(rerr));
	else
		rc = sw_rules_load_buf("conf/fingerprints.rules (built in)", sw_rules_default,
				       sw_rules_default_len, &c->rules, rerr, sizeof(rerr));
	if (rc != 0) {
		snprintf(err, errlen, "%s", rerr);
		goto fail;
	}
	c->threshold = cfg->fingerprint_threshold ? cfg->fingerprint_threshold :
						    sw_rules_threshold(c->rules);
	c->rctx = sw_rules_ctx_new(c->rules);
	c->rule_hits = calloc(sw_rules_count(c->rules) + 1, sizeof(uint64_t));
	if (!c->rctx || !c->rule_hits) {
		snprintf(err, errlen, "out of memory");
		rc = SW_E_NOMEM;
		goto fail;
	}
	rc = compile_ua("user-agent-deny", cfg->ua_deny, cfg, &c->ua_deny, err, errlen);
	if (rc == 0)
		rc = compile_ua("user-agent-allow", cfg->ua_allow, cfg, &c->ua_allow, err, errlen);
	if (rc != 0)
		goto fail;
	*ret = c;
	return 0;
fail:
	compiled_free(c);
	return rc ? rc : SW_E_CONFIG;
}

int sw_engine_new(const struct sw_shield_config *cfg, struct sw_engine **ret, char *err,
		  size_t errlen)
{
	struct sw_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	int rc = compile(cfg, &e->c, err, errlen);
	if (rc != 0) {
		free(e);
		return rc;
	}
	struct sw_tracker_cfg tc = {
		.memory = (size_t)cfg->state_memory,
		.trusted_percent = cfg->trusted_share,
		.ipv6_prefix = cfg->ipv6_prefix,
	};
	e->scratch = sw_match_scratch_new();
	if (!e->scratch || sw_tracker_new(&tc, &e->tracker) != 0) {
		snprintf(err, errlen, "cannot allocate %llu bytes of source state (state-memory)",
			 (unsigned long long)cfg->state_memory);
		sw_engine_free(e);
		return SW_E_NOMEM;
	}
	if (sw_siphash_key_random(e->user_key) != 0) {
		snprintf(err, errlen, "no random source for the hash key (getrandom)");
		sw_engine_free(e);
		return SW_E_IO;
	}
	e->lim = SIP_LIMITS_DEFAULT;
	e->lim.max_headers = ENGINE_MAX_HDRS;
	e->lim_out = e->lim;
	e->lim_out.fields = SIP_FIELD_CSEQ | SIP_FIELD_TO | SIP_FIELD_CALL_ID;
	sip_msg_init(&e->msg, e->hdrs, ENGINE_MAX_HDRS);
	*ret = e;
	return 0;
}

void sw_engine_free(struct sw_engine *e)
{
	if (!e)
		return;
	compiled_free(e->c);
	sw_match_scratch_free(e->scratch);
	sw_tracker_free(e->tracker);
	free(e);
}

static int fix_realm(struct sw_tracked *t, void *arg)
{
	const struct sw_shield_config *cfg = arg;
	if (t->realm >= cfg->nrealms)
		t->realm = 0;
	return 0;
}

int sw_engine_reload(struct sw_engine *e, const struct sw_shield_config *cfg, char *err,
		     size_t errlen)
{
	struct compiled *c;
	int rc = compile(cfg, &c, err, errlen);
	if (rc != 0)
		return rc;
	compiled_free(e->c);
	e->c = c;
	sw_tracker_foreach(e->tracker, fix_realm, &c->cfg);
	return 0;
}

/*
 * A user part's place in the policy's 64-bit sketches, keyed per engine: with a public hash an
 * enumerator could pick extensions that collide and stay under enumeration-threshold.
 */
static uint32_t user_hash(const uint8_t *key, struct sw_str u)
{
	if (!u.p || !u.len)
		return 0;
	uint32_t h = (uint32_t)sw_siphash24(key, u.p, u.len);
	return h ? h : 1;
}

/*
 * Keep-alives: RFC 5626 CRLF pings and the few-byte NUL or space pings some phones send. Passed
 * without a look so a quiet phone's NAT binding never costs it anything; a datagram this short
 * carries nothing a server would answer.
 */
static bool is_keepalive(const uint8_t *p, uint32_t len)
{
	if (len > 4)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != '\r' && p[i] != '\n' && p[i] != '\0' && p[i] != ' ')
			return false;
	return true;
}

static void classify_request(struct sw_engine *e, const struct sip_msg *m,
			     const struct sw_endpoint *src, struct sw_msg_facts *f,
			     struct sw_verdict *v)
{
	struct compiled *c = e->c;
	sw_rules_match(c->rules, c->rctx, m, src, &v->fp);
	for (unsigned i = 0; i < v->fp.nmatch; i++)
		c->rule_hits[v->fp.m[i].rule]++;
	f->fingerprinted = v->fp.score >= c->threshold && c->threshold > 0;
	v->ua = m->user_agent;
	if (c->ua_deny && m->user_agent.p &&
	    sw_pattern_match(c->ua_deny, e->scratch, m->user_agent))
		f->ua_denied = true;
	if (c->ua_allow &&
	    (!m->user_agent.p || !sw_pattern_match(c->ua_allow, e->scratch, m->user_agent)))
		f->ua_not_allowed = true;
}

static void facts_of(const struct sw_engine *e, const struct sip_msg *m,
		     const struct sw_endpoint *remote, struct sw_msg_facts *f)
{
	f->port = remote->port;
	f->cseq = m->cseq.num;
	f->is_request = m->is_request;
	if (m->is_request) {
		f->method = m->method_id;
		f->user_hash =
			user_hash(e->user_key, m->ruri.user.len ? m->ruri.user : m->to.uri.user);
	} else {
		f->status = m->status;
		f->method = (uint8_t)sip_method_lookup(m->cseq.method.p, m->cseq.method.len);
		f->user_hash = user_hash(e->user_key, m->to.uri.user);
	}
	f->has_credentials = m->authorization.value.p || m->proxy_authorization.value.p;
}

static void count(struct sw_engine *e, const struct sw_verdict *v)
{
	e->stats.by_action[v->action]++;
	if (v->action != SW_ACT_ACCEPT)
		e->stats.by_reason[v->reason]++;
	if (v->promoted)
		e->stats.promoted++;
	if (v->released)
		e->stats.released++;
	if (v->state_after == SW_SRC_DENIED && v->state_before != SW_SRC_DENIED)
		e->stats.denied++;
}

static void apply(struct sw_verdict *v, const struct sw_decision *d, const struct sw_tracked *t)
{
	v->action = d->action;
	v->reason = d->reason;
	v->state_before = d->state_before;
	v->state_after = d->state_after;
	v->promoted = d->promoted;
	v->released = d->released;
	v->deny_until = t->src.deny_until;
}

static void inbound(struct sw_engine *e, const struct sw_packet *p, struct sw_verdict *v,
		    int listed, struct sw_tracked *t, const struct sw_tracker_lookup *lk)
{
	struct compiled *c = e->c;
	struct sw_msg_facts f = {0};
	f.listed = listed;
	if (v->parse_rc != 0) {
		f.invalid = true;
		f.is_request = 1;
		f.port = p->src.port;
	} else {
		facts_of(e, &e->msg, &p->src, &f);
		if (e->msg.is_request)
			classify_request(e, &e->msg, &p->src, &f, v);
	}
	if (!t)
		t = sw_tracker_get_lookup(e->tracker, lk, 1, p->now_ms);
	if (!t) { /* cannot happen with create set; be safe rather than crash */
		v->action = SW_ACT_ACCEPT;
		return;
	}
	t->realm = (uint16_t)v->realm;
	v->tracked = true;
	v->endpoint_entry = t->endpoint;
	const struct sw_realm *realm = &c->cfg.realms[v->realm];
	if (v->endpoint_entry && realm->nat_trust_threshold) {
		/* trusted endpoints are found before their address: a NAT deny must still hold */
		struct sw_tracked *a = sw_tracker_get_addr_lookup(e->tracker, lk);
		if (a && sw_policy_nat_blocked(&a->src, p->now_ms)) {
			v->action = SW_ACT_DROP;
			v->reason = SW_REASON_DENIED;
			v->state_before = v->state_after = SW_SRC_DENIED;
			v->deny_until = a->src.deny_until;
			return;
		}
	}
	struct sw_decision d;
	sw_policy_request(&c->cfg.policy, realm, v->trust, &t->src, &e->budget, &f, p->now_ms, &d);
	apply(v, &d, t);
	if (v->endpoint_entry && d.state_after == SW_SRC_DENIED &&
	    d.state_before != SW_SRC_DENIED) {
		/* a trusted endpoint behind a NAT address was denied: count it on the address */
		struct sw_tracked *a = sw_tracker_addr_lookup(e->tracker, lk, p->now_ms);
		if (a)
			sw_policy_endpoint_denied(realm, v->trust, &a->src, p->now_ms);
	}
}

static void outbound(struct sw_engine *e, const struct sw_packet *p, struct sw_verdict *v,
		     struct sw_tracked *t, const struct sw_tracker_lookup *lk)
{
	struct compiled *c = e->c;
	if (!t) {
		v->action = SW_ACT_ACCEPT;
		return;
	}
	v->tracked = true;
	v->endpoint_entry = t->endpoint;
	if (v->parse_rc != 0 || e->msg.is_request) {
		/* the server's own requests (NOTIFY, OPTIONS pings) and unparsable output pass;
		 * towards a party in its deny-period, denied_fast_path() already dropped them */
		v->state_before = v->state_after = t->src.state;
		v->deny_until = t->src.deny_until;
		return;
	}
	struct sw_msg_facts f = {0};
	facts_of(e, &e->msg, &p->dst, &f);
	struct sw_decision d;
	sw_policy_response(&c->cfg.policy, &c->cfg.realms[v->realm], v->trust, &t->src, &f,
			   p->now_ms, &d);
	apply(v, &d, t);
	if (d.promoted && !v->endpoint_entry) {
		struct sw_tracked *ep = sw_tracker_promote_lookup(e->tracker, t, lk, p->now_ms);
		if (ep) {
			v->endpoint_entry = true;
			v->deny_until = ep->src.deny_until;
		}
	}
}

/*
 * A source in its deny-period loses everything, whatever the bytes say: decide before parsing.
 * (The policy would decide the same after the parse; this only skips the work. The shield's
 * kernel deny set keeps these packets out of user space altogether.)
 */
static bool denied_fast_path(struct sw_engine *e, const struct sw_packet *p, struct sw_verdict *v,
			     const struct sw_tracker_lookup *lk, struct sw_tracked **found)
{
	struct sw_tracked *t = sw_tracker_get_lookup(e->tracker, lk, 0, p->now_ms);
	*found = t; /* valid until the next tracker call that can create or evict: reused below */
	if (!t || t->src.state != SW_SRC_DENIED || p->now_ms >= t->src.deny_until)
		return false;
	v->tracked = true;
	v->endpoint_entry = t->endpoint;
	v->state_before = v->state_after = SW_SRC_DENIED;
	v->deny_until = t->src.deny_until;
	v->action = SW_ACT_DROP;
	v->reason = p->dir == SW_DIR_IN ? SW_REASON_DENIED : SW_REASON_RESPONSE_TO_FLAGGED;
	return true;
}

/*
 * One packet. lk, when not NULL, is the tracker lookup of the remote party (v->remote) prepared
 * by a batch; else it is prepared here.
 */
static void decide(struct sw_engine *e, const struct sw_packet *p, struct sw_verdict *v,
		   const struct sw_tracker_lookup *lk)
{
	struct compiled *c = e->c;
	struct sw_tracker_lookup own;
	memset(v, 0, offsetof(struct sw_verdict, fp));
	v->fp.score = 0;
	v->fp.tool = NULL;
	v->fp.nmatch = v->fp.nmatch_total = 0;
	v->ua = (struct sw_str){0};
	v->remote = p->dir == SW_DIR_IN ? &p->src : &p->dst;
	e->stats.packets++;
	int listed = 0, acl_deny = 0;
	v->realm = sw_shield_config_realm(&c->cfg, v->remote, &v->trust, &listed, &acl_deny);
	if (is_keepalive(p->payload, p->len)) {
		v->keepalive = true;
		e->stats.keepalives++;
		e->stats.by_action[SW_ACT_ACCEPT]++;
		return;
	}
	if (acl_deny) { /* access deny: dropped without looking, no state kept */
		v->action = SW_ACT_DROP;
		v->reason = SW_REASON_ACL;
		count(e, v);
		return;
	}
	if (!lk) {
		sw_tracker_lookup_init(e->tracker, v->remote, &own);
		lk = &own;
	}
	struct sw_tracked *t;
	if (denied_fast_path(e, p, v, lk, &t)) {
		count(e, v);
		return;
	}
	v->parse_rc = sip_parse(&e->msg, (const char *)p->payload, p->len, SIP_MODE_DATAGRAM,
				p->dir == SW_DIR_IN ? &e->lim : &e->lim_out);
	if (v->parse_rc == 0)
		v->msg = &e->msg;
	else
		e->stats.parse_errors++;
	if (p->dir == SW_DIR_IN)
		inbound(e, p, v, listed, t, lk);
	else
		outbound(e, p, v, t, lk);
	count(e, v);
}

void sw_engine_packet(struct sw_engine *e, const struct sw_packet *p, struct sw_verdict *v)
{
	decide(e, p, v, NULL);
}

static const struct sw_endpoint *remote_of(const struct sw_packet *p)
{
	return p->dir == SW_DIR_IN ? &p->src : &p->dst;
}

/*
 * A batch runs the tracker's staged prefetch (tracker.h) as a pipeline: packet i+3's lookup is
 * prepared and its index lines requested, i+2 and i+1 take their next step, then packet i is
 * decided with its lines in the cache. One step per packet is enough: a packet's work (~1 us)
 * is longer than a memory round trip. The lookups ride along in a ring, so each packet's source
 * is hashed once.
 */
#define RING 4 /* > SW_TRACKER_PREFETCH_STEPS, a power of two */

void sw_engine_batch(struct sw_engine *e, const struct sw_packet *p, unsigned n,
		     void (*fn)(const struct sw_packet *p, const struct sw_verdict *v, void *arg),
		     void *arg)
{
	struct sw_tracker_lookup lk[RING];
	struct sw_verdict v;

	_Static_assert(RING > SW_TRACKER_PREFETCH_STEPS && (RING & (RING - 1)) == 0, "ring size");
	for (unsigned j = 0; j < n && j < SW_TRACKER_PREFETCH_STEPS; j++) {
		sw_tracker_lookup_init(e->tracker, remote_of(&p[j]), &lk[j]);
		sw_tracker_prefetch_lookup(e->tracker, &lk[j], 0);
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned s = 0; s < SW_TRACKER_PREFETCH_STEPS; s++) {
			unsigned j = i + SW_TRACKER_PREFETCH_STEPS - s;

			if (j >= n)
				continue;
			if (s == 0)
				sw_tracker_lookup_init(e->tracker, remote_of(&p[j]), &lk[j % RING]);
			sw_tracker_prefetch_lookup(e->tracker, &lk[j % RING], s);
		}
		decide(e, &p[i], &v, &lk[i % RING]);
		fn(&p[i], &v, arg);
	}
}

int sw_engine_block(struct sw_engine *e, const struct sw_endpoint *addr, uint64_t period_ms,
		    uint64_t now_ms, enum sw_reason reason)
{
	struct compiled *c = e->c;
	struct sw_endpoint a = *addr;
	a.port = 0;
	enum sw_trust_level trust;
	int listed, acl_deny;
	unsigned ri = sw_shield_config_realm(&c->cfg, &a, &trust, &listed, &acl_deny);
	struct sw_tracked *t = sw_tracker_get(e->tracker, &a, 1, now_ms);
	if (!t)
		return SW_E_NOMEM;
	t->realm = (uint16_t)ri;
	const struct sw_realm *r = &c->cfg.realms[ri];
	sw_policy_deny(r, &t->src, now_ms, period_ms ? period_ms : (uint64_t)r->deny_period * 1000,
		       reason);
	return 0;
}

int sw_engine_set_hash_key(struct sw_engine *e, const uint8_t key[SW_SIPHASH_KEY_LEN])
{
	int rc = sw_tracker_set_key(e->tracker, key);
	if (rc == 0)
		memcpy(e->user_key, key, SW_SIPHASH_KEY_LEN);
	return rc;
}

int sw_engine_unblock(struct sw_engine *e, const struct sw_endpoint *addr)
{
	return sw_tracker_remove(e->tracker, addr);
}

const struct sw_shield_config *sw_engine_config(const struct sw_engine *e)
{
	return &e->c->cfg;
}
const struct sw_rules *sw_engine_rules(const struct sw_engine *e)
{
	return e->c->rules;
}
const struct sw_engine_stats *sw_engine_stats(const struct sw_engine *e)
{
	return &e->stats;
}
const uint64_t *sw_engine_rule_hits(const struct sw_engine *e)
{
	return e->c->rule_hits;
}
struct sw_tracker *sw_engine_tracker(struct sw_engine *e)
{
	return e->tracker;
}
