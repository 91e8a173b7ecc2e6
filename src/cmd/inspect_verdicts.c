/*
 * `inspect` verdicts (inspect_verdicts.h). The engine decides; this file only keeps an offline
 * account per source address (an incident report has no memory cap: one entry per address seen),
 * prints it, and writes the matched-message log.
 *
 * Direction: with --server, packets from that address are the server's (out), packets to it are
 * the remote parties' (in). Otherwise by port: a packet to a SIP port is in, from one is out; when
 * both ports are SIP ports (a scanner bound to 5060 probing 5060) a request is in and a response
 * is out. Packets that touch no SIP port are not the shield's business and are only counted.
 */
#include "cmd/inspect_verdicts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/err.h"
#include "core/timefmt.h"
#include "net/capture.h"
#include "out/json.h"
#include "shield/config.h"
#include "shield/engine.h"
#include "shield/mlog.h"

#define MAX_TRANSITIONS 16
#define MAX_RULES 16

struct transition {
	uint64_t ts_usec;
	struct sw_endpoint ep;
	uint8_t from, to, reason;
};

/* What one remote address did and what happened to it. */
struct source {
	struct sw_endpoint addr; /* port 0 */
	unsigned realm;
	enum sw_trust_level trust;
	uint64_t first_usec, last_usec;
	uint64_t in, in_dropped, out, out_dropped, parse_errors, requests;
	uint64_t reasons[SW_REASON__COUNT];
	uint64_t identified_at; /* its message number (1-based) first fingerprinted, 0 never */
	uint64_t denied_usec;   /* first denial, 0 never */
	int32_t best_score;
	const char *tool;
	uint16_t rules[MAX_RULES];
	unsigned nrules;
	struct transition tr[MAX_TRANSITIONS];
	unsigned ntr, ntr_total;
	uint8_t state; /* last known */
};

struct account {
	struct source *v;
	size_t n, cap;
	size_t *index; /* open addressing over v, index+1, 0 empty */
	size_t index_cap;
	uint64_t skipped, keepalives, nonsip;
};

static uint64_t addr_hash(const struct sw_endpoint *a)
{
	uint64_t h = 1469598103934665603ull ^ a->family;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->addr[i]) * 1099511628211ull;
	return h;
}

static int grow_index(struct account *acc)
{
	size_t cap = acc->index_cap ? acc->index_cap * 2 : 1024;
	size_t *ix = calloc(cap, sizeof(*ix));
	if (!ix)
		return -1;
	for (size_t i = 0; i < acc->n; i++) {
		size_t h = (size_t)addr_hash(&acc->v[i].addr) & (cap - 1);
		while (ix[h])
			h = (h + 1) & (cap - 1);
		ix[h] = i + 1;
	}
	free(acc->index);
	acc->index = ix;
	acc->index_cap = cap;
	return 0;
}

static struct source *source_of(struct account *acc, const struct sw_endpoint *ep)
{
	struct sw_endpoint a = *ep;
	a.port = 0;
	if ((acc->n + 1) * 2 > acc->index_cap && grow_index(acc) != 0)
		return NULL;
	size_t h = (size_t)addr_hash(&a) & (acc->index_cap - 1);
	while (acc->index[h]) {
		struct source *s = &acc->v[acc->index[h] - 1];
		if (sw_addr_equal(&s->addr, &a))
			return s;
		h = (h + 1) & (acc->index_cap - 1);
	}
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 256;
		struct source *nv = realloc(acc->v, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		acc->v = nv;
		acc->cap = cap;
	}
	struct source *s = &acc->v[acc->n];
	memset(s, 0, sizeof(*s));
	s->addr = a;
	acc->index[h] = ++acc->n;
	return s;
}

static void note_rules(struct source *s, const struct sw_verdict *v)
{
	for (unsigned i = 0; i < v->fp.nmatch; i++) {
		uint16_t r = v->fp.m[i].rule;
		unsigned k;
		for (k = 0; k < s->nrules && s->rules[k] != r; k++)
			;
		if (k == s->nrules && s->nrules < MAX_RULES)
			s->rules[s->nrules++] = r;
	}
	if (v->fp.tool && v->fp.score > s->best_score) {
		s->best_score = v->fp.score;
		s->tool = v->fp.tool;
	}
}

/* Transition reasons beyond enum sw_reason. */
enum { TR_REGISTERED = SW_REASON__COUNT, TR_RELEASED };

static const char *transition_reason(uint8_t r)
{
	if (r == TR_REGISTERED)
		return "registered";
	if (r == TR_RELEASED)
		return "deny-period-ended";
	return sw_reason_name(r);
}

static void add_transition(struct source *s, uint64_t ts, const struct sw_endpoint *ep,
			   uint8_t from, uint8_t to, unsigned reason)
{
	s->ntr_total++;
	if (s->ntr >= MAX_TRANSITIONS)
		return;
	struct transition *t = &s->tr[s->ntr++];
	t->ts_usec = ts;
	t->ep = *ep;
	t->from = from;
	t->to = to;
	t->reason = (uint8_t)reason;
}

static void account(struct source *s, const struct sw_packet *p, const struct sw_verdict *v,
		    uint64_t ts)
{
	if (!s->first_usec)
		s->first_usec = ts;
	s->last_usec = ts;
	s->realm = v->realm;
	s->trust = v->trust;
	int dropped = v->action != SW_ACT_ACCEPT;
	if (p->dir == SW_DIR_IN) {
		s->in++;
		s->in_dropped += dropped;
		if (v->parse_rc)
			s->parse_errors++;
		else if (v->msg && v->msg->is_request)
			s->requests++;
		if (v->fp.score > 0)
			note_rules(s, v);
		if (v->fp.tool && v->reason == SW_REASON_FINGERPRINT && !s->identified_at)
			s->identified_at = s->in;
	} else {
		s->out++;
		s->out_dropped += dropped;
	}
	if (dropped)
		s->reasons[v->reason]++;
	if (v->tracked && v->released) {
		/* the deny-period ended with this message, which may have denied it again */
		add_transition(s, ts, v->remote, SW_SRC_DENIED, SW_SRC_UNTRUSTED, TR_RELEASED);
		if (v->state_after != SW_SRC_UNTRUSTED)
			add_transition(s, ts, v->remote, SW_SRC_UNTRUSTED, v->state_after,
				       v->reason);
	} else if (v->tracked && v->state_before != v->state_after) {
		add_transition(s, ts, v->remote, v->state_before, v->state_after,
			       v->promoted ? TR_REGISTERED : v->reason);
	}
	if (v->tracked && v->state_after == SW_SRC_DENIED && v->state_before != SW_SRC_DENIED &&
	    !s->denied_usec)
		s->denied_usec = ts;
	if (v->tracked && v->released && v->state_after == SW_SRC_DENIED && !s->denied_usec)
		s->denied_usec = ts;
	if (v->tracked)
		s->state = v->state_after;
}

struct run {
	const struct sw_inspect_verdict_opts *o;
	struct sw_shield_config *cfg;
	struct sw_engine *engine;
	struct sw_mlog *mlog;
	struct account acc;
	int32_t threshold; /* the fingerprint threshold in force */
	int status;
};

static int is_response(const uint8_t *p, uint32_t len)
{
	return len >= 8 && memcmp(p, "SIP/2.0 ", 8) == 0;
}

/* in, out, or -1: not a packet for the shield */
static int direction(const struct run *r, const struct sw_datagram *d)
{
	const struct sw_inspect_verdict_opts *o = r->o;
	if (o->server.family) {
		if (sw_addr_equal(&d->src, &o->server) &&
		    (sw_shield_config_is_sip_port(r->cfg, d->src.port)))
			return SW_DIR_OUT;
		if (sw_addr_equal(&d->dst, &o->server) &&
		    (sw_shield_config_is_sip_port(r->cfg, d->dst.port)))
			return SW_DIR_IN;
		return -1;
	}
	int to_sip = sw_shield_config_is_sip_port(r->cfg, d->dst.port);
	int from_sip = sw_shield_config_is_sip_port(r->cfg, d->src.port);
	if (to_sip && from_sip)
		return is_response(d->payload, d->len) ? SW_DIR_OUT : SW_DIR_IN;
	if (to_sip)
		return SW_DIR_IN;
	if (from_sip)
		return SW_DIR_OUT;
	return -1;
}

static int run_capture(struct run *r, const char *path)
{
	char err[512];
	struct sw_capture *cap;
	if (sw_capture_open(path, &cap, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_inspect, "%s: %s", path, err);
		return SW_EXIT_USAGE;
	}
	struct sw_datagram d;
	int rc;
	while ((rc = sw_capture_next(cap, &d)) > 0) {
		int dir = direction(r, &d);
		if (dir < 0) {
			r->acc.skipped++;
			continue;
		}
		struct sw_packet p = {
			.src = d.src,
			.dst = d.dst,
			.payload = d.payload,
			.len = d.len,
			.now_ms = d.ts_usec / 1000,
			.dir = (uint8_t)dir,
		};
		struct sw_verdict v;
		sw_engine_packet(r->engine, &p, &v);
		if (v.keepalive) {
			r->acc.keepalives++;
			continue;
		}
		struct source *s = source_of(&r->acc, v.remote);
		if (!s) {
			sw_cmd_err(&sw_cmd_inspect, "out of memory");
			sw_capture_close(cap);
			return SW_EXIT_USAGE;
		}
		account(s, &p, &v, d.ts_usec);
		if (r->mlog && sw_mlog_wants(&v) &&
		    sw_mlog_write(r->mlog, r->engine, &p, &v, d.ts_usec) < 0) {
			sw_cmd_err(&sw_cmd_inspect, "writing the log: %s", strerror(errno));
			r->status = SW_EXIT_PROBLEMS;
		}
	}
	int status = SW_EXIT_OK;
	if (rc < 0) {
		sw_cmd_err(&sw_cmd_inspect, "%s: %s (every packet before it was judged)", path,
			   sw_capture_error(cap));
		status = SW_EXIT_PROBLEMS;
	}
	sw_capture_close(cap);
	return status;
}

static int cmp_first(const void *a, const void *b)
{
	const struct source *x = a, *y = b;
	if (x->first_usec != y->first_usec)
		return x->first_usec < y->first_usec ? -1 : 1;
	return memcmp(x->addr.addr, y->addr.addr, 16);
}

static void rule_list(FILE *f, const struct sw_rules *rules, const struct source *s)
{
	for (unsigned i = 0; i < s->nrules; i++)
		fprintf(f, "%s%s", i ? ", " : "", sw_rules_rule_id(rules, s->rules[i]));
}

static void print_text(struct run *r)
{
	const struct sw_rules *rules = sw_engine_rules(r->engine);
	for (size_t i = 0; i < r->acc.n; i++) {
		const struct source *s = &r->acc.v[i];
		char addr[SW_ADDR_STRLEN], ts[40];
		sw_addr_format(&s->addr, addr, sizeof(addr));
		printf("source %s  realm %s (trust %s)  state %s\n", addr,
		       r->cfg->realms[s->realm].name, sw_trust_level_name(s->trust),
		       sw_src_state_name(s->state));
		if (s->tool) {
			printf("  tool      %s (score %d", s->tool, s->best_score);
			if (s->identified_at)
				printf(", identified on its message %" PRIu64, s->identified_at);
			else if (s->best_score < r->threshold)
				printf(", below the threshold %d: not acted on", r->threshold);
			printf(")\n");
		}
		if (s->nrules) {
			printf("  rules     ");
			rule_list(stdout, rules, s);
			putchar('\n');
		}
		printf("  messages  %" PRIu64 " from it (%" PRIu64 " dropped), %" PRIu64
		       " to it (%" PRIu64 " dropped)",
		       s->in, s->in_dropped, s->out, s->out_dropped);
		if (s->parse_errors)
			printf(", %" PRIu64 " unparsable", s->parse_errors);
		putchar('\n');
		for (unsigned k = 0; k < s->ntr; k++) {
			const struct transition *t = &s->tr[k];
			char ep[SW_ENDPOINT_STRLEN];
			sw_endpoint_format(&t->ep, ep, sizeof(ep));
			sw_time_iso(t->ts_usec, ts, sizeof(ts));
			printf("  %s  %s -> %s  %s  (%s)\n", ts, sw_src_state_name(t->from),
			       sw_src_state_name(t->to), transition_reason(t->reason), ep);
		}
		if (s->ntr_total > s->ntr)
			printf("  ... %u more transitions\n", s->ntr_total - s->ntr);
		int any = 0;
		for (int k = 0; k < SW_REASON__COUNT; k++) {
			if (!s->reasons[k])
				continue;
			printf("%s%s %" PRIu64, any ? ", " : "  drops     ", sw_reason_name(k),
			       s->reasons[k]);
			any = 1;
		}
		if (any)
			putchar('\n');
		putchar('\n');
	}
}

static void json_source(struct sw_json *j, struct run *r, const struct source *s)
{
	const struct sw_rules *rules = sw_engine_rules(r->engine);
	char addr[SW_ADDR_STRLEN], ts[40];
	sw_addr_format(&s->addr, addr, sizeof(addr));
	sw_json_obj_open(j, NULL);
	sw_json_cstr(j, "type", "source");
	sw_json_cstr(j, "source", addr);
	sw_json_cstr(j, "realm", r->cfg->realms[s->realm].name);
	sw_json_cstr(j, "trust", sw_trust_level_name(s->trust));
	sw_json_cstr(j, "state", sw_src_state_name(s->state));
	sw_time_iso(s->first_usec, ts, sizeof(ts));
	sw_json_cstr(j, "first_seen", ts);
	sw_time_iso(s->last_usec, ts, sizeof(ts));
	sw_json_cstr(j, "last_seen", ts);
	if (s->tool)
		sw_json_cstr(j, "tool", s->tool);
	else
		sw_json_null(j, "tool");
	sw_json_int(j, "score", s->best_score);
	sw_json_int_opt(j, "identified_at_message", s->identified_at != 0,
			(int64_t)s->identified_at);
	sw_json_arr_open(j, "rules");
	for (unsigned i = 0; i < s->nrules; i++)
		sw_json_cstr(j, NULL, sw_rules_rule_id(rules, s->rules[i]));
	sw_json_arr_close(j);
	sw_json_int(j, "messages_in", (int64_t)s->in);
	sw_json_int(j, "dropped_in", (int64_t)s->in_dropped);
	sw_json_int(j, "messages_out", (int64_t)s->out);
	sw_json_int(j, "dropped_out", (int64_t)s->out_dropped);
	sw_json_int(j, "unparsable", (int64_t)s->parse_errors);
	if (s->denied_usec) {
		sw_time_iso(s->denied_usec, ts, sizeof(ts));
		sw_json_cstr(j, "denied_at", ts);
	} else {
		sw_json_null(j, "denied_at");
	}
	sw_json_obj_open(j, "reasons");
	for (int k = 0; k < SW_REASON__COUNT; k++)
		if (s->reasons[k])
			sw_json_int(j, sw_reason_name(k), (int64_t)s->reasons[k]);
	sw_json_obj_close(j);
	sw_json_arr_open(j, "transitions");
	for (unsigned k = 0; k < s->ntr; k++) {
		const struct transition *t = &s->tr[k];
		char ep[SW_ENDPOINT_STRLEN];
		sw_endpoint_format(&t->ep, ep, sizeof(ep));
		sw_time_iso(t->ts_usec, ts, sizeof(ts));
		sw_json_obj_open(j, NULL);
		sw_json_cstr(j, "time", ts);
		sw_json_cstr(j, "endpoint", ep);
		sw_json_cstr(j, "from", sw_src_state_name(t->from));
		sw_json_cstr(j, "to", sw_src_state_name(t->to));
		sw_json_cstr(j, "reason", transition_reason(t->reason));
		sw_json_obj_close(j);
	}
	sw_json_arr_close(j);
	sw_json_obj_close(j);
	sw_json_eol(j);
}

struct totals {
	uint64_t sources, denied, trusted, untrusted, identified;
	uint64_t in, in_dropped, out, out_dropped;
};

static void totals_of(const struct run *r, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < r->acc.n; i++) {
		const struct source *s = &r->acc.v[i];
		t->sources++;
		t->denied += s->state == SW_SRC_DENIED;
		t->trusted += s->state == SW_SRC_TRUSTED;
		t->untrusted += s->state == SW_SRC_UNTRUSTED;
		t->identified += s->tool != NULL && s->best_score >= r->threshold;
		t->in += s->in;
		t->in_dropped += s->in_dropped;
		t->out += s->out;
		t->out_dropped += s->out_dropped;
	}
}

static void print_totals(struct run *r, struct sw_json *j)
{
	struct totals t;
	totals_of(r, &t);
	const struct sw_engine_stats *st = sw_engine_stats(r->engine);
	if (j) {
		sw_json_obj_open(j, NULL);
		sw_json_cstr(j, "type", "totals");
		sw_json_cstr(j, "config", r->cfg->source);
		sw_json_int(j, "sources", (int64_t)t.sources);
		sw_json_int(j, "sources_denied", (int64_t)t.denied);
		sw_json_int(j, "sources_trusted", (int64_t)t.trusted);
		sw_json_int(j, "sources_untrusted", (int64_t)t.untrusted);
		sw_json_int(j, "sources_fingerprinted", (int64_t)t.identified);
		sw_json_int(j, "messages_in", (int64_t)t.in);
		sw_json_int(j, "dropped_in", (int64_t)t.in_dropped);
		sw_json_int(j, "messages_out", (int64_t)t.out);
		sw_json_int(j, "dropped_out", (int64_t)t.out_dropped);
		sw_json_int(j, "keepalives", (int64_t)r->acc.keepalives);
		sw_json_int(j, "not_for_the_shield", (int64_t)r->acc.skipped);
		sw_json_int(j, "promotions", (int64_t)st->promoted);
		sw_json_int(j, "denials", (int64_t)st->denied);
		sw_json_obj_open(j, "reasons");
		for (int k = 1; k < SW_REASON__COUNT; k++)
			if (st->by_reason[k])
				sw_json_int(j, sw_reason_name(k), (int64_t)st->by_reason[k]);
		sw_json_obj_close(j);
		sw_json_obj_close(j);
		sw_json_eol(j);
		return;
	}
	printf("totals: %" PRIu64 " sources (%" PRIu64 " denied, %" PRIu64 " trusted, %" PRIu64
	       " untrusted; %" PRIu64 " fingerprinted); %" PRIu64 " messages from them (%" PRIu64
	       " dropped), %" PRIu64 " to them (%" PRIu64 " dropped); %" PRIu64
	       " promotions, %" PRIu64 " denials\n",
	       t.sources, t.denied, t.trusted, t.untrusted, t.identified, t.in, t.in_dropped, t.out,
	       t.out_dropped, st->promoted, st->denied);
	printf("config: %s\n", r->cfg->source);
}

int sw_inspect_verdicts(const struct sw_inspect_verdict_opts *o, char **files, int nfiles)
{
	static struct sw_shield_config cfg; /* large: not on the stack */
	char err[1024];
	struct run r = {.o = o, .cfg = &cfg};
	int rc = o->config ? sw_shield_config_load(o->config, &cfg, err, sizeof(err)) :
			     sw_shield_config_default(&cfg, err, sizeof(err));
	if (rc != 0) {
		sw_cmd_err(&sw_cmd_inspect, "%s", err);
		return SW_EXIT_USAGE;
	}
	if (o->nports) {
		memcpy(cfg.sip_ports, o->sip_ports, o->nports * sizeof(o->sip_ports[0]));
		cfg.nports = o->nports;
	}
	if (sw_engine_new(&cfg, &r.engine, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_inspect, "%s", err);
		return SW_EXIT_USAGE;
	}
	r.threshold = cfg.fingerprint_threshold ? cfg.fingerprint_threshold :
						  sw_rules_threshold(sw_engine_rules(r.engine));
	if ((o->log || o->log_pcap) &&
	    sw_mlog_open(o->log ? o->log : "", cfg.log_max_size, o->log_pcap ? o->log_pcap : "",
			 cfg.log_pcap_max_size, &r.mlog, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_inspect, "%s", err);
		sw_engine_free(r.engine);
		return SW_EXIT_USAGE;
	}
	for (int i = 0; i < nfiles; i++) {
		int s = run_capture(&r, files[i]);
		if (s > r.status)
			r.status = s;
	}
	qsort(r.acc.v, r.acc.n, sizeof(r.acc.v[0]), cmp_first);
	if (o->json) {
		struct sw_json j;
		sw_json_init(&j, stdout);
		for (size_t i = 0; i < r.acc.n; i++)
			json_source(&j, &r, &r.acc.v[i]);
		print_totals(&r, &j);
	} else {
		print_text(&r);
		print_totals(&r, NULL);
	}
	if (!o->quiet && r.acc.skipped)
		fprintf(stderr,
			"sipwarden inspect: %" PRIu64
			" datagrams touched no SIP port (%u configured) and were not judged\n",
			r.acc.skipped, cfg.nports);
	if (sw_mlog_close(r.mlog) != 0) {
		sw_cmd_err(&sw_cmd_inspect, "writing the log failed");
		r.status = SW_EXIT_PROBLEMS;
	}
	sw_engine_free(r.engine);
	free(r.acc.v);
	free(r.acc.index);
	if (fflush(stdout) != 0)
		return SW_EXIT_USAGE;
	return r.status;
}
