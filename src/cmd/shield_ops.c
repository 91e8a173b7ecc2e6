/*
 * The services around the shield's workers (see shield_daemon.h for the order they run in):
 *
 *   the denied set across restarts  read back at start (state-file) into every engine and the
 *                                   kernel deny set; written at exit from every engine
 *   the kernel deny set             a source the engine denies is added with the rest of its
 *                                   deny-period, so its later packets never reach user space
 *   the control socket              status, list, block, unblock (shield/control.h)
 *   the metrics endpoint            Prometheus text on metrics-listen (shield/metrics.h)
 *
 * Each worker's engine is used only under the worker's mutex; everything here that reads or
 * changes an engine takes the mutexes one worker at a time, never two at once.
 *
 * Which engine holds a source: the kernel spreads packets over the queues by a hash of both
 * addresses that user space cannot reproduce, so an operator's block (and a restored denial)
 * goes into every engine, and list and the state file merge what the engines hold.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/shield_daemon.h"
#include "core/err.h"
#include "core/log.h"
#include "core/timefmt.h"
#include "shield/control.h"
#include "shield/denyset.h"
#include "shield/metrics.h"
#include "shield/nfq.h"
#include "shield/privdrop.h"
#include "shield/statefile.h"
#include "shield/tracker.h"

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The prefix length a denied address entry stands for in the kernel (IPv6: aggregated). */
static uint8_t entry_plen(const struct sw_shield_config *cfg, const struct sw_endpoint *a)
{
	return a->family == AF_INET ? 32 : cfg->ipv6_prefix;
}

/* ---- the denied sources the engines hold ---- */

struct denied_list {
	struct sw_state_entry *e;
	size_t n, cap;
	uint64_t now;
	const struct shield *sh;
	const struct sw_shield_config *cfg;
	int err;
};

static int collect_denied(struct sw_tracked *t, void *arg)
{
	struct denied_list *l = arg;
	/* trusted endpoints denied behind a NAT stay per endpoint, in user space only */
	if (t->src.state != SW_SRC_DENIED || t->src.deny_until <= l->now || t->endpoint)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct sw_state_entry *e = realloc(l->e, cap * sizeof(*e));
		if (!e) {
			l->err = SW_E_NOMEM;
			return 1;
		}
		l->e = e;
		l->cap = cap;
	}
	struct sw_state_entry *e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->addr = t->key;
	e->addr.port = 0;
	e->plen = entry_plen(l->cfg, &t->key);
	e->reason = t->src.last_reason;
	e->until_ms = t->src.deny_until; /* the engine clock reads as wall-clock ms */
	if (t->realm < l->cfg->nrealms)
		snprintf(e->realm, sizeof(e->realm), "%s", l->cfg->realms[t->realm].name);
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct sw_state_entry *x = a, *y = b;
	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	int c = memcmp(x->addr.addr, y->addr.addr, sizeof(x->addr.addr));
	if (c)
		return c;
	return x->until_ms > y->until_ms ? -1 : x->until_ms < y->until_ms;
}

/* Every engine's denied address entries, one per address (the latest end of denial). */
static int gather_denied(struct shield *sh, struct denied_list *l)
{
	memset(l, 0, sizeof(*l));
	l->now = shield_now_ms(sh);
	l->sh = sh;
	for (unsigned i = 0; i < sh->nw && !l->err; i++) {
		struct worker *w = &sh->w[i];
		if (!w->e)
			continue;
		pthread_mutex_lock(&w->mu);
		l->cfg = sw_engine_config(w->e);
		sw_tracker_foreach(sw_engine_tracker(w->e), collect_denied, l);
		pthread_mutex_unlock(&w->mu);
	}
	if (l->err) {
		free(l->e);
		l->e = NULL;
		l->n = 0;
		return l->err;
	}
	if (l->n < 2)
		return 0; /* (qsort of nothing: l->e may be NULL, which qsort must not get) */
	qsort(l->e, l->n, sizeof(*l->e), cmp_entry);
	size_t out = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (out && l->e[out - 1].addr.family == l->e[i].addr.family &&
		    memcmp(l->e[out - 1].addr.addr, l->e[i].addr.addr, 16) == 0)
			continue; /* sorted latest first: the first of an address wins */
		l->e[out++] = l->e[i];
	}
	l->n = out;
	return 0;
}

/* ---- the denied set across restarts ---- */

struct restore_ctx {
	struct shield *sh;
	uint64_t now_wall;
	size_t n;
};

static int restore_one(void *arg, const struct sw_state_entry *e)
{
	struct restore_ctx *r = arg;
	struct shield *sh = r->sh;
	uint64_t left = e->until_ms - r->now_wall; /* the loader skipped the expired */
	uint64_t now = shield_now_ms(sh);
	for (unsigned i = 0; i < sh->nw; i++)
		sw_engine_block(sh->w[i].e, &e->addr, left, now,
				e->reason < SW_REASON__COUNT ? (enum sw_reason)e->reason :
							       SW_REASON_DENIED);
	r->n++;
	return 0;
}

/* The saved denials into every engine (the kernel set gets them when it opens). */
static int restore_state(struct shield *sh)
{
	const char *path = sh->cfg->state_file;
	if (!path[0])
		return 0;
	struct restore_ctx r = {.sh = sh, .now_wall = wall_ms()};
	struct sw_state_stats st;
	char err[1024];
	if (sw_statefile_load(path, r.now_wall, restore_one, &r, &st, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield,
			   "state-file %s: %s (move it away to start without the saved denials)",
			   path, err);
		return -1;
	}
	if (st.malformed)
		sw_log(LOG_WARNING, "state-file: %zu unreadable lines skipped, the first: %s",
		       st.malformed, st.problem);
	if (r.n || st.expired)
		sw_log(LOG_NOTICE, "restored %zu denied sources from %s (%zu expired meanwhile)",
		       r.n, path, st.expired);
	return 0;
}

static void save_state(struct shield *sh)
{
	const char *path = sh->cfg->state_file;
	if (!path[0])
		return;
	struct denied_list l;
	char err[1024];
	if (gather_denied(sh, &l) != 0) {
		sw_log(LOG_ERR, "state-file %s not written: out of memory", path);
		return;
	}
	if (sw_statefile_save(path, l.e, l.n, err, sizeof(err)) != 0)
		sw_log(LOG_ERR, "state-file %s not written: %s", path, err);
	else
		sw_log(LOG_NOTICE, "saved %zu denied sources to %s", l.n, path);
	free(l.e);
}

/* With `user`, the daemon writes the state file as that user: give it a directory it created. */
static int prepare_state_dir(struct shield *sh)
{
	const char *path = sh->cfg->state_file;
	if (!path[0] || !sh->cfg->user[0])
		return 0;
	char dir[SW_CFG_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) != 0)
		return 0; /* there already (the operator's, or systemd's StateDirectory) */
	uid_t uid;
	gid_t gid;
	char err[512];
	if (sw_privdrop_lookup(sh->cfg->user, &uid, &gid, err, sizeof(err)) != 0 ||
	    chown(dir, uid, gid) != 0) {
		sw_cmd_err(&sw_cmd_shield, "state-file directory %s: %s", dir,
			   err[0] ? err : strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the kernel deny set ---- */

void shield_kernel_deny(struct worker *w, const struct sw_verdict *v, uint64_t now_ms)
{
	struct shield *sh = w->sh;
	if (v->endpoint_entry || v->deny_until <= now_ms)
		return; /* a NAT'd endpoint: its neighbours behind the address must pass */
	const struct sw_shield_config *cfg = sw_engine_config(w->e); /* sh->cfg: main thread's */
	if (sw_denyset_add(sh->deny, v->remote, entry_plen(cfg, v->remote),
			   v->deny_until - now_ms) == 0)
		w->kernel_denies++;
	else
		w->kernel_deny_fails++;
}

static int open_denyset(struct shield *sh)
{
	const struct sw_shield_config *cfg = sh->cfg;
	if (cfg->deny_backend == SW_DENY_OFF)
		return 0;
	struct sw_denyset_opts o = {
		.backend = (enum sw_deny_backend)cfg->deny_backend,
		.ports = cfg->sip_ports,
		.nports = cfg->nports,
		.interfaces = cfg->deny_interface,
		.ipv6_prefix = cfg->ipv6_prefix,
	};
	char err[1024];
	if (sw_denyset_open(&o, &sh->deny, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "deny-backend %s: %s", sw_deny_backend_name(o.backend),
			   err);
		return -1;
	}
	if (!sh->deny) {
		sw_log(LOG_WARNING,
		       "kernel deny set off (%s): denied sources are dropped in user "
		       "space",
		       err[0] ? err : "deny-backend auto found no nf_tables");
		return 0;
	}
	/* the restored denials: the engines have them already */
	struct denied_list l;
	if (gather_denied(sh, &l) == 0) {
		uint64_t now = shield_now_ms(sh);
		for (size_t i = 0; i < l.n; i++)
			sw_denyset_add(sh->deny, &l.e[i].addr, l.e[i].plen, l.e[i].until_ms - now);
		free(l.e);
		sw_denyset_sync(sh->deny);
	}
	enum sw_deny_backend b = sw_denyset_backend(sh->deny);
	if (b == SW_DENY_XDP)
		sw_log(LOG_NOTICE, "kernel deny set: XDP on %s (%s mode)", cfg->deny_interface,
		       sw_denyset_xdp_mode(sh->deny));
	else
		sw_log(LOG_NOTICE, "kernel deny set: nftables table inet %s", SW_DENYSET_NFT_TABLE);
	return 0;
}

int shield_services_cleanup(const struct sw_shield_config *cfg)
{
	char err[1024];
	if (sw_denyset_cleanup(cfg->deny_interface, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "removing the kernel deny set failed: %s", err);
		return -1;
	}
	return 0;
}

/* ---- control requests ---- */

struct totals {
	struct sw_engine_stats e;
	struct sw_tracker_stats t;
	struct sw_nfq_stats q;
	uint64_t judged, passed, kernel_denies, kernel_deny_fails, log_errors;
};

static void add_totals(struct totals *t, struct worker *w, bool with_tracker)
{
	const struct sw_engine_stats *s = sw_engine_stats(w->e);
	t->e.packets += s->packets;
	t->e.keepalives += s->keepalives;
	t->e.parse_errors += s->parse_errors;
	for (int k = 0; k < 3; k++)
		t->e.by_action[k] += s->by_action[k];
	for (int k = 0; k < SW_REASON__COUNT; k++)
		t->e.by_reason[k] += s->by_reason[k];
	t->e.promoted += s->promoted;
	t->e.released += s->released;
	t->e.denied += s->denied;
	if (with_tracker) {
		struct sw_tracker_stats ts;
		sw_tracker_stats(sw_engine_tracker(w->e), &ts);
		t->t.trusted += ts.trusted;
		t->t.untrusted += ts.untrusted;
		t->t.denied += ts.denied;
		t->t.capacity_trusted += ts.capacity_trusted;
		t->t.capacity_untrusted += ts.capacity_untrusted;
		t->t.evicted_trusted += ts.evicted_trusted;
		t->t.evicted_untrusted += ts.evicted_untrusted;
		t->t.bytes += ts.bytes;
	}
	const struct sw_nfq_stats *q = sw_nfq_stats(w->q);
	t->q.received += q->received;
	t->q.overruns += q->overruns;
	t->q.send_errors += q->send_errors;
	t->judged += w->judged;
	t->passed += w->passed;
	t->kernel_denies += w->kernel_denies;
	t->kernel_deny_fails += w->kernel_deny_fails;
	t->log_errors += w->log_errors;
}

static void sum_workers(struct shield *sh, struct totals *t, bool with_tracker)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		pthread_mutex_lock(&w->mu);
		add_totals(t, w, with_tracker);
		pthread_mutex_unlock(&w->mu);
	}
}

static void ctl_status(struct shield *sh, FILE *out)
{
	struct totals t;
	sum_workers(sh, &t, true);
	char since[40];
	sw_time_iso(sh->started_wall_ms * 1000, since, sizeof(since));
	fprintf(out, "running since %s (%" PRIu64 " s), %u workers, queues %u-%u, %s, %s\n", since,
		(wall_ms() - sh->started_wall_ms) / 1000, sh->nw, sh->o.queue,
		sh->o.queue + sh->nw - 1,
		sh->o.no_rules ? "rules left to the operator" : sw_fw_backend_name(sh->backend),
		sh->o.fail_closed ? "fail-closed" : "fail-open");
	fprintf(out, "config %s (%u reloads, %u refused)\n", sh->cfg->source, sh->reloads,
		sh->reload_failures);
	fprintf(out,
		"messages %" PRIu64 ": %" PRIu64 " accepted, %" PRIu64 " dropped, %" PRIu64
		" denying; %" PRIu64 " unparsable, %" PRIu64 " keep-alives\n",
		t.e.packets, t.e.by_action[SW_ACT_ACCEPT], t.e.by_action[SW_ACT_DROP],
		t.e.by_action[SW_ACT_DENY], t.e.parse_errors, t.e.keepalives);
	fprintf(out,
		"sources: %zu trusted, %zu untrusted, %zu denied (room for %zu trusted, %zu "
		"untrusted; %" PRIu64 " evicted)\n",
		t.t.trusted, t.t.untrusted, t.t.denied, t.t.capacity_trusted,
		t.t.capacity_untrusted, t.t.evicted_trusted + t.t.evicted_untrusted);
	fprintf(out,
		"transitions: %" PRIu64 " denials, %" PRIu64 " promotions, %" PRIu64 " releases\n",
		t.e.denied, t.e.promoted, t.e.released);
	if (sh->deny) {
		struct sw_denyset_stats d;
		sw_denyset_stats(sh->deny, &d);
		fprintf(out,
			"kernel deny set (%s): %" PRIu64 " added, %" PRIu64 " removed, %" PRIu64
			" failed, %" PRIu64 " refused (queue full); %" PRIu64
			" packets dropped in the kernel\n",
			sw_denyset_backend(sh->deny) == SW_DENY_XDP ? "xdp" : "nft", d.added,
			d.removed, d.failed, d.overflow, d.kernel_drops);
	} else {
		fprintf(out, "kernel deny set: off\n");
	}
	fprintf(out,
		"queue: %" PRIu64 " received, %" PRIu64 " passed unjudged, %" PRIu64
		" overruns, %" PRIu64 " verdict send errors\n",
		t.q.received, t.passed, t.q.overruns, t.q.send_errors);
}

#define LIST_MAX 100000 /* lines of `list` */

static void ctl_list(struct shield *sh, FILE *out)
{
	struct denied_list l;
	if (gather_denied(sh, &l) != 0) {
		fprintf(out, "(out of memory)\n");
		return;
	}
	uint64_t now = shield_now_ms(sh);
	/* the reply is built in memory: a flood of spoofed denied sources must not make it huge */
	size_t shown = l.n < LIST_MAX ? l.n : LIST_MAX;
	for (size_t i = 0; i < shown; i++) {
		const struct sw_state_entry *e = &l.e[i];
		char addr[SW_ADDR_STRLEN], until[40];
		sw_addr_format(&e->addr, addr, sizeof(addr));
		sw_time_iso(e->until_ms * 1000, until, sizeof(until));
		bool prefix = e->addr.family == AF_INET6 && e->plen < 128;
		fprintf(out, "%s%s%.0u\tdenied until %s (%" PRIu64 " s)\t%s\trealm %s\n", addr,
			prefix ? "/" : "", prefix ? e->plen : 0, until,
			(e->until_ms - now + 999) / 1000, sw_reason_name((enum sw_reason)e->reason),
			e->realm[0] ? e->realm : "?");
	}
	if (shown < l.n)
		fprintf(out, "... and %zu more\n", l.n - shown);
	fprintf(out, "%zu denied\n", l.n);
	free(l.e);
}

/* An operator's address: one IPv4 address, or an IPv6 address or prefix of the IPv6 source
 * aggregation (the engines track untrusted IPv6 sources per ipv6-prefix). */
static int ctl_target(struct shield *sh, const struct sw_control_req *r, struct sw_endpoint *a,
		      uint8_t *plen, char *err, size_t errlen)
{
	*a = r->addr;
	a->port = 0;
	if (a->family == AF_INET && r->plen != 32) {
		snprintf(err, errlen, "IPv4: one address at a time (/32), not /%u", r->plen);
		return SW_E_INVAL;
	}
	*plen = a->family == AF_INET ? 32 : sh->cfg->ipv6_prefix;
	if (a->family == AF_INET6 && r->plen != 128 && r->plen != *plen) {
		snprintf(err, errlen, "IPv6: an address or a /%u prefix (ipv6-prefix), not /%u",
			 *plen, r->plen);
		return SW_E_INVAL;
	}
	return 0;
}

static int ctl_block(struct shield *sh, const struct sw_control_req *r, FILE *out, char *err,
		     size_t errlen)
{
	struct sw_endpoint a;
	uint8_t plen;
	if (ctl_target(sh, r, &a, &plen, err, errlen) != 0)
		return SW_E_INVAL;
	uint64_t period = r->seconds * 1000;
	if (!period) {
		enum sw_trust_level trust;
		int listed, acl_deny;
		unsigned ri = sw_shield_config_realm(sh->cfg, &a, &trust, &listed, &acl_deny);
		period = (uint64_t)sh->cfg->realms[ri].deny_period * 1000;
	}
	uint64_t now = shield_now_ms(sh);
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		pthread_mutex_lock(&w->mu);
		int rc = sw_engine_block(w->e, &a, period, now, SW_REASON_DENIED);
		pthread_mutex_unlock(&w->mu);
		if (rc != 0) {
			snprintf(err, errlen, "worker %u: %s", i, sw_strerror(rc));
			return rc;
		}
	}
	bool kernel = sh->deny && sw_denyset_add(sh->deny, &a, plen, period) == 0;
	if (kernel)
		sw_denyset_sync(sh->deny);
	char text[SW_ADDR_STRLEN];
	sw_addr_format(&a, text, sizeof(text));
	fprintf(out, "%s denied for %" PRIu64 " s%s\n", text, period / 1000,
		kernel ? ", in the kernel too" : "");
	sw_log(LOG_NOTICE, "control: %s blocked for %" PRIu64 " s by uid %d", text, period / 1000,
	       (int)r->peer_uid);
	return 0;
}

static int ctl_unblock(struct shield *sh, const struct sw_control_req *r, FILE *out, char *err,
		       size_t errlen)
{
	struct sw_endpoint a;
	uint8_t plen;
	if (ctl_target(sh, r, &a, &plen, err, errlen) != 0)
		return SW_E_INVAL;
	int removed = 0;
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		pthread_mutex_lock(&w->mu);
		int n = sw_engine_unblock(w->e, &a);
		pthread_mutex_unlock(&w->mu);
		if (n > 0)
			removed += n;
	}
	if (sh->deny && sw_denyset_del(sh->deny, &a, plen) == 0)
		sw_denyset_sync(sh->deny);
	char text[SW_ADDR_STRLEN];
	sw_addr_format(&a, text, sizeof(text));
	fprintf(out, "%s: %s\n", text,
		removed ? "state forgotten; its next message is judged afresh" :
			  "not tracked (nothing to unblock); removed from the kernel set if there");
	sw_log(LOG_NOTICE, "control: %s unblocked by uid %d", text, (int)r->peer_uid);
	return 0;
}

static int ctl_handler(void *arg, const struct sw_control_req *r, FILE *out, char *err,
		       size_t errlen)
{
	struct shield *sh = arg;
	switch (r->op) {
	case SW_CTL_STATUS:
		ctl_status(sh, out);
		return 0;
	case SW_CTL_LIST:
		ctl_list(sh, out);
		return 0;
	case SW_CTL_BLOCK:
		return ctl_block(sh, r, out, err, errlen);
	case SW_CTL_UNBLOCK:
		return ctl_unblock(sh, r, out, err, errlen);
	default:
		snprintf(err, errlen, "unsupported request");
		return SW_E_UNSUPPORTED;
	}
}

int shield_ctl_fd(const struct shield *sh)
{
	return sh->ctl ? sw_control_fd(sh->ctl) : -1;
}

void shield_ctl_serve(struct shield *sh)
{
	char err[512];
	if (sw_control_serve_one(sh->ctl, ctl_handler, sh, err, sizeof(err)) != 0)
		sw_log(LOG_WARNING, "control socket: %s", err);
}

/* ---- metrics ---- */

/* The kernel's per-queue counters (/proc/net/netfilter/nfnetlink_queue): packets it dropped
 * because our queue was full (queue_dropped) or could not be sent to us (user_dropped). */
static void queue_drops(const struct shield *sh, uint64_t *full, uint64_t *user)
{
	*full = *user = 0;
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	if (!f)
		return;
	unsigned qn, portid, total, mode, range, seq, one;
	unsigned long long qd, ud;
	while (fscanf(f, "%u %u %u %u %u %llu %llu %u %u", &qn, &portid, &total, &mode, &range, &qd,
		      &ud, &seq, &one) == 9) {
		if (qn >= sh->o.queue && qn < sh->o.queue + sh->nw) {
			*full += qd;
			*user += ud;
		}
	}
	fclose(f);
}

static void prom_counter(struct sw_prom *p, const char *name, const char *help, double v)
{
	sw_prom_family(p, name, SW_PROM_COUNTER, help);
	sw_prom_sample(p, name, NULL, v);
}

static void metrics_rules(struct shield *sh, struct sw_prom *p)
{
	const char *name = "sipwarden_shield_rule_hits_total";
	sw_prom_family(p, name, SW_PROM_COUNTER,
		       "Messages each fingerprint rule matched (a message counts for each rule)");
	/* every worker runs the same rules (reloads reach all); sum per rule index */
	unsigned n = 0;
	uint64_t *hits = NULL;
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		pthread_mutex_lock(&w->mu);
		const struct sw_rules *r = sw_engine_rules(w->e);
		unsigned c = sw_rules_count(r);
		if (i == 0) {
			n = c;
			hits = calloc(n ? n : 1, sizeof(*hits));
		}
		const uint64_t *h = sw_engine_rule_hits(w->e);
		for (unsigned k = 0; hits && k < n && k < c; k++)
			hits[k] += h[k];
		pthread_mutex_unlock(&w->mu);
	}
	if (!hits)
		return;
	pthread_mutex_lock(&sh->w[0].mu);
	const struct sw_rules *r = sw_engine_rules(sh->w[0].e);
	for (unsigned k = 0; k < n && k < sw_rules_count(r); k++)
		sw_prom_samplev(p, name, (double)hits[k], "rule", sw_rules_rule_id(r, k), "tool",
				sw_rules_rule_tool(r, k), NULL);
	pthread_mutex_unlock(&sh->w[0].mu);
	free(hits);
}

static int metrics_fill(void *arg, struct sw_prom *p)
{
	struct shield *sh = arg;
	struct totals t;
	sum_workers(sh, &t, true);

	const char *m = "sipwarden_shield_messages_total";
	sw_prom_family(p, m, SW_PROM_COUNTER, "SIP messages judged, by verdict");
	for (int k = 0; k < 3; k++)
		sw_prom_samplev(p, m, (double)t.e.by_action[k], "verdict",
				sw_action_name((enum sw_action)k), NULL);
	m = "sipwarden_shield_drops_total";
	sw_prom_family(p, m, SW_PROM_COUNTER, "Messages dropped or denying, by reason");
	for (int k = 0; k < SW_REASON__COUNT; k++)
		if (t.e.by_reason[k])
			sw_prom_samplev(p, m, (double)t.e.by_reason[k], "reason",
					sw_reason_name((enum sw_reason)k), NULL);
	metrics_rules(sh, p);
	m = "sipwarden_shield_sources";
	sw_prom_family(p, m, SW_PROM_GAUGE, "Tracked sources, by state");
	sw_prom_samplev(p, m, (double)t.t.trusted, "state", "trusted", NULL);
	sw_prom_samplev(p, m, (double)t.t.untrusted, "state", "untrusted", NULL);
	sw_prom_samplev(p, m, (double)t.t.denied, "state", "denied", NULL);
	m = "sipwarden_shield_sources_evicted_total";
	sw_prom_family(p, m, SW_PROM_COUNTER, "Tracked sources evicted to make room, by pool");
	sw_prom_samplev(p, m, (double)t.t.evicted_trusted, "pool", "trusted", NULL);
	sw_prom_samplev(p, m, (double)t.t.evicted_untrusted, "pool", "untrusted", NULL);
	prom_counter(p, "sipwarden_shield_denials_total", "Sources denied", (double)t.e.denied);
	prom_counter(p, "sipwarden_shield_promotions_total",
		     "Endpoints trusted after a successful registration", (double)t.e.promoted);
	prom_counter(p, "sipwarden_shield_releases_total", "Denials whose deny-period ended",
		     (double)t.e.released);
	prom_counter(p, "sipwarden_shield_parse_errors_total", "Messages the SIP parser refused",
		     (double)t.e.parse_errors);
	prom_counter(p, "sipwarden_shield_keepalives_total", "CRLF keep-alives passed",
		     (double)t.e.keepalives);

	uint64_t full, user;
	queue_drops(sh, &full, &user);
	prom_counter(p, "sipwarden_shield_queue_packets_total", "Packets received from the queues",
		     (double)t.q.received);
	prom_counter(p, "sipwarden_shield_queue_passed_unjudged_total",
		     "Queued packets passed without a look (not SIP for the server)",
		     (double)t.passed);
	m = "sipwarden_shield_queue_drops_total";
	sw_prom_family(p, m, SW_PROM_COUNTER,
		       "Packets the queue lost: kernel queue full (let through when failing open), "
		       "undeliverable to the shield, socket buffer overruns");
	sw_prom_samplev(p, m, (double)full, "cause", "queue_full", NULL);
	sw_prom_samplev(p, m, (double)user, "cause", "undeliverable", NULL);
	sw_prom_samplev(p, m, (double)t.q.overruns, "cause", "overrun", NULL);
	prom_counter(p, "sipwarden_shield_verdict_send_errors_total",
		     "Verdict batches the kernel refused", (double)t.q.send_errors);

	if (sh->deny) {
		struct sw_denyset_stats d;
		sw_denyset_stats(sh->deny, &d);
		m = "sipwarden_shield_kernel_drops_total";
		sw_prom_family(
			p, m, SW_PROM_COUNTER,
			"Packets the kernel deny set dropped before user space, by direction");
		sw_prom_samplev(p, m, (double)d.kernel_drops_in, "direction", "in", NULL);
		sw_prom_samplev(p, m, (double)d.kernel_drops_out, "direction", "out", NULL);
		m = "sipwarden_shield_kernel_denyset_updates_total";
		sw_prom_family(p, m, SW_PROM_COUNTER, "Kernel deny set updates, by outcome");
		sw_prom_samplev(p, m, (double)d.added, "op", "added", NULL);
		sw_prom_samplev(p, m, (double)d.removed, "op", "removed", NULL);
		sw_prom_samplev(p, m, (double)d.failed, "op", "failed", NULL);
		sw_prom_samplev(p, m, (double)d.overflow, "op", "queue_full", NULL);
	}

	struct sw_lat_snap snap;
	memset(&snap, 0, sizeof(snap));
	for (unsigned i = 0; i < sh->nw; i++)
		if (sh->w[i].lat)
			sw_lat_snap_add(&snap, sh->w[i].lat);
	m = "sipwarden_shield_verdict_latency_seconds";
	sw_prom_family(p, m, SW_PROM_HISTOGRAM,
		       "From a batch received from the queue to its verdicts sent, per packet");
	sw_prom_lat_hist(p, m, NULL, &snap);

	m = "sipwarden_shield_reloads_total";
	sw_prom_family(p, m, SW_PROM_COUNTER, "Configuration reloads (SIGHUP), by result");
	sw_prom_samplev(p, m, (double)sh->reloads, "result", "ok", NULL);
	sw_prom_samplev(p, m, (double)sh->reload_failures, "result", "refused", NULL);
	sw_prom_family(p, "sipwarden_shield_start_time_seconds", SW_PROM_GAUGE,
		       "When the shield started, seconds since 1970");
	sw_prom_sample(p, "sipwarden_shield_start_time_seconds", NULL,
		       (double)sh->started_wall_ms / 1000.0);
	return sw_prom_error(p);
}

/* ---- order of service ---- */

int shield_services_setup(struct shield *sh)
{
	for (unsigned i = 0; i < sh->nw; i++) {
		sh->w[i].lat = malloc(sizeof(*sh->w[i].lat));
		if (!sh->w[i].lat) {
			sw_cmd_err(&sw_cmd_shield, "out of memory");
			return -1;
		}
		sw_lat_hist_init(sh->w[i].lat);
	}
	if (prepare_state_dir(sh) != 0 || restore_state(sh) != 0)
		return -1;
	if (sh->cfg->control_socket[0]) {
		char err[1024];
		if (sw_control_listen(sh->cfg->control_socket, sh->cfg->control_group, &sh->ctl,
				      err, sizeof(err)) != 0) {
			sw_cmd_err(&sw_cmd_shield, "control-socket: %s", err);
			return -1;
		}
	}
	return 0;
}

int shield_services_start(struct shield *sh)
{
	if (open_denyset(sh) != 0)
		return -1;
	if (sh->cfg->metrics_listen[0]) {
		char err[1024];
		if (sw_metrics_start(sh->cfg->metrics_listen, metrics_fill, sh, &sh->metrics, err,
				     sizeof(err)) != 0) {
			sw_cmd_err(&sw_cmd_shield, "metrics-listen: %s", err);
			return -1;
		}
		sw_log(LOG_NOTICE, "metrics on http://%s/metrics", sh->cfg->metrics_listen);
	}
	return 0;
}

void shield_services_stop(struct shield *sh)
{
	/* the metrics thread reads the engines: stop it before they go */
	sw_metrics_stop(sh->metrics);
	sh->metrics = NULL;
	save_state(sh);
	if (sh->deny) {
		struct sw_denyset_stats d;
		sw_denyset_stats(sh->deny, &d);
		sw_log(LOG_NOTICE,
		       "kernel deny set: %" PRIu64 " added, %" PRIu64 " failed, %" PRIu64
		       " packets dropped in the kernel; removed",
		       d.added, d.failed + d.overflow, d.kernel_drops);
	}
	sw_denyset_close(sh->deny);
	sh->deny = NULL;
}

void shield_services_close(struct shield *sh)
{
	sw_metrics_stop(sh->metrics);
	sh->metrics = NULL;
	sw_denyset_close(sh->deny);
	sh->deny = NULL;
	sw_control_close(sh->ctl);
	sh->ctl = NULL;
	for (unsigned i = 0; i < sh->nw; i++) {
		free(sh->w[i].lat);
		sh->w[i].lat = NULL;
	}
}
