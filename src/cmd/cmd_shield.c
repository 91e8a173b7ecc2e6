/*
 * sipwarden shield: the engine inline, through NFQUEUE.
 *
 * Threads. One worker per queue (default: one per core), each with its own queue socket
 * (shield/nfq.h) and its own engine: engines share nothing. The rules spread the packets over
 * the queues by a hash of the two addresses that is the same in both directions, so a remote
 * party's requests and the server's answers to it always meet the same engine. A worker
 * receives a batch, decodes each packet (net/decode.h; NFQUEUE hands over the IP packet),
 * tells the direction from the netfilter hook (INPUT: towards the server, OUTPUT: from it),
 * runs the batch through sw_engine_batch() and sends the verdicts together.
 *
 * The main thread owns everything else: it blocks the signals before the workers start and
 * waits for them with sigtimedwait(), so no work happens in a signal handler. SIGHUP reloads
 * the config: the new settings are validated here, then each worker swaps them into its engine
 * between two batches (sw_engine_reload keeps every source's state). SIGTERM and SIGINT
 * remove the firewall rules first (new packets are no longer queued), then stop the workers,
 * which finish their batch, then close the queues.
 *
 * Failing open: the rules carry --queue-bypass (no program on the queue: accept) and the queue
 * the kernel's fail-open flag (queue full: accept), so a crash or kill -9 leaves telephony
 * working; `sipwarden shield --cleanup` removes the rules such a crash leaves behind, and a
 * new start removes them before installing its own.
 *
 * The engine's clock is the monotonic clock shifted to the wall clock at start, so times in the
 * matched-message log (deny_until too) read as dates, and a wall-clock step never disturbs
 * the tolerance windows.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/err.h"
#include "net/decode.h"
#include "shield/config.h"
#include "shield/engine.h"
#include "shield/fwrules.h"
#include "shield/mlog.h"
#include "shield/nfq.h"

enum {
	OPT_CONFIG = 1,
	OPT_WORKERS,
	OPT_QUEUE,
	OPT_BATCH,
	OPT_FAIL_CLOSED,
	OPT_NO_RULES,
	OPT_CLEANUP,
	OPT_LOG,
	OPT_HELP
};

#define DEFAULT_QUEUE 50600
#define MAX_WORKERS 64

static const struct sw_opt shield_opts[] = {
	{"config", 'c', "FILE", "shield configuration (default: the built-in conf/shield.conf)",
	 OPT_CONFIG},
	{"workers", 'w', "N", "worker threads, one queue each (default: the number of cores)",
	 OPT_WORKERS},
	{"queue", 0, "FIRST", "first NFQUEUE queue number (default 50600; N workers use N queues)",
	 OPT_QUEUE},
	{"batch", 0, "N", "most packets a worker takes per receive (default 64, max 256)",
	 OPT_BATCH},
	{"fail-closed", 0, NULL,
	 "drop SIP traffic when the shield is down or its queue full (default: fail open)",
	 OPT_FAIL_CLOSED},
	{"no-rules", 0, NULL, "install no firewall rules: print the rules expected and run",
	 OPT_NO_RULES},
	{"cleanup", 0, NULL, "remove the shield's firewall rules (left by a crash) and exit",
	 OPT_CLEANUP},
	{"log", 'l', "FILE", "matched-message log (JSON Lines), instead of the config's log",
	 OPT_LOG},
	{"help", 'h', NULL, "show this help", OPT_HELP},
	SW_OPT_END,
};

struct shield_opts {
	const char *config, *log;
	unsigned workers, batch;
	unsigned queue;
	bool fail_closed, no_rules, cleanup, help;
};

struct shield;

struct worker {
	pthread_t th;
	unsigned idx;
	uint16_t queue;
	struct sw_nfq *q;
	struct sw_engine *e;
	struct shield *sh;
	unsigned reload_seen; /* the last reload generation applied (worker-owned) */
	int reload_rc;
	char reload_err[256];
	atomic_uint reload_done; /* published generation */
	/* counts, read by the main thread only after join */
	uint64_t judged, passed, log_errors;
	bool started;
};

struct shield {
	struct shield_opts o;
	struct sw_shield_config *cfg; /* in force (main thread only; each engine has a copy) */
	/* a reload's settings: set before reload_gen moves, read by a worker that sees it move */
	_Atomic(struct sw_shield_config *) pending;
	atomic_uint reload_gen;
	atomic_bool stop;
	atomic_int fatal; /* a worker's queue failed: the main thread stops */
	struct worker *w;
	unsigned nw;
	struct sw_mlog *mlog;
	pthread_mutex_t mlog_mu;
	int64_t clock_offset_ms;
	enum sw_fw_backend backend;
	bool rules_installed;
};

static struct shield *g_shield; /* for the atexit removal of the rules */

static int on_opt(void *ctx, int key, const char *v, char *err, size_t errlen)
{
	struct shield_opts *o = ctx;
	unsigned long long n;
	switch (key) {
	case OPT_CONFIG:
		o->config = v;
		return 0;
	case OPT_LOG:
		o->log = v;
		return 0;
	case OPT_WORKERS:
		if (sw_parse_uint(v, 1, MAX_WORKERS, &n) != 0)
			goto bad;
		o->workers = (unsigned)n;
		return 0;
	case OPT_QUEUE:
		if (sw_parse_uint(v, 0, 65535, &n) != 0)
			goto bad;
		o->queue = (unsigned)n;
		return 0;
	case OPT_BATCH:
		if (sw_parse_uint(v, 1, SW_NFQ_MAX_BATCH, &n) != 0)
			goto bad;
		o->batch = (unsigned)n;
		return 0;
	case OPT_FAIL_CLOSED:
		o->fail_closed = true;
		return 0;
	case OPT_NO_RULES:
		o->no_rules = true;
		return 0;
	case OPT_CLEANUP:
		o->cleanup = true;
		return 0;
	case OPT_HELP:
		o->help = true;
		return 0;
	}
	return SW_E_INVAL;
bad:
	snprintf(err, errlen, "invalid value '%s' for --%s", v, shield_opts[key - 1].name);
	return SW_E_INVAL;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- firewall rules ---- */

static int remove_rules(enum sw_fw_backend b)
{
	struct sw_fw_plan *p = malloc(sizeof(*p));
	if (!p)
		return SW_E_NOMEM;
	char err[512];
	int rc = sw_fw_plan_remove(b, p);
	if (rc == 0)
		rc = sw_fw_apply(p, NULL, err, sizeof(err));
	free(p);
	return rc;
}

static void remove_installed(struct shield *sh)
{
	if (!sh || !sh->rules_installed)
		return;
	sh->rules_installed = false;
	remove_rules(sh->backend);
}

static void atexit_rules(void)
{
	remove_installed(g_shield);
}

/* The rules spec from the config's ports and the queue range. */
static void rules_spec(const struct shield *sh, struct sw_fw_spec *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < sh->cfg->nports && i < SW_FW_MAX_PORTS; i++)
		s->ports[s->nports++] = sh->cfg->sip_ports[i];
	s->queue_first = (uint16_t)sh->o.queue;
	s->nqueues = sh->nw;
	s->fail_open = !sh->o.fail_closed;
}

static void print_plan(const struct sw_fw_plan *p, FILE *f, bool skip_removal)
{
	char line[1024];
	for (unsigned i = 0; i < p->n; i++) {
		if (skip_removal && p->cmd[i].may_fail)
			continue;
		sw_fw_cmd_format(&p->cmd[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
}

static int install_rules(struct shield *sh)
{
	struct sw_fw_spec spec;
	rules_spec(sh, &spec);
	struct sw_fw_plan *p = malloc(sizeof(*p));
	if (!p) {
		sw_cmd_err(&sw_cmd_shield, "out of memory");
		return SW_EXIT_USAGE;
	}
	if (sh->o.no_rules) {
		/*
		 * The iptables form: it works wherever NFQUEUE does (xt_NFQUEUE), while nft's queue
		 * statement is often missing; and finding that out would mean touching the firewall.
		 */
		sh->backend = SW_FW_IPTABLES;
		sw_fw_plan_install(&spec, sh->backend, p);
		printf("# sipwarden shield --no-rules: install these rules (%s) yourself\n",
		       sw_fw_backend_name(sh->backend));
		print_plan(p, stdout, true);
		fflush(stdout);
		free(p);
		return 0;
	}
	if (sw_fw_nft_queue_supported()) {
		sh->backend = SW_FW_NFT;
	} else if (sw_fw_have("iptables")) {
		sh->backend = SW_FW_IPTABLES;
	} else {
		sw_cmd_err(&sw_cmd_shield, "no firewall tool can queue packets: install iptables "
					   "(apt-get install iptables), or use --no-rules");
		free(p);
		return SW_EXIT_USAGE;
	}
	int rc = sw_fw_plan_install(&spec, sh->backend, p);
	if (rc != 0) {
		sw_cmd_err(&sw_cmd_shield, "cannot build the firewall rules: %s", sw_strerror(rc));
		free(p);
		return SW_EXIT_USAGE;
	}
	char err[1024];
	bool v6_skipped = false;
	sh->rules_installed = true; /* from the first command on, removal is due */
	rc = sw_fw_apply(p, &v6_skipped, err, sizeof(err));
	free(p);
	if (rc != 0) {
		remove_installed(sh);
		sw_cmd_err(&sw_cmd_shield, "installing the firewall rules failed: %s", err);
		return SW_EXIT_USAGE;
	}
	if (v6_skipped)
		fprintf(stderr, "shield: IPv6 rules not installed (%s); IPv4 only\n", err);
	return 0;
}

static int run_cleanup(void)
{
	if (geteuid() != 0) {
		sw_cmd_err(&sw_cmd_shield, "--cleanup needs root or CAP_NET_ADMIN (run as root)");
		return SW_EXIT_USAGE;
	}
	int rc = remove_rules(SW_FW_IPTABLES);
	if (sw_fw_have("nft"))
		rc |= remove_rules(SW_FW_NFT);
	if (rc != 0) {
		sw_cmd_err(&sw_cmd_shield, "removing the rules failed: %s", sw_strerror(rc));
		return SW_EXIT_USAGE;
	}
	fprintf(stderr, "shield: firewall rules removed (chains SIPWARDEN-IN/SIPWARDEN-OUT, "
			"table inet sipwarden), if there were any\n");
	return SW_EXIT_OK;
}

/* ---- workers ---- */

struct batch_ctx {
	struct worker *w;
	const struct sw_nfq_pkt *pk;
	const unsigned *idx; /* packet i of the batch -> pk index */
	const struct sw_packet *base;
	uint64_t wall;
	bool logged;
};

static void on_verdict(const struct sw_packet *p, const struct sw_verdict *v, void *arg)
{
	struct batch_ctx *c = arg;
	struct worker *w = c->w;
	size_t i = (size_t)(p - c->base);
	sw_nfq_verdict(w->q, c->pk[c->idx[i]].id, v->action == SW_ACT_ACCEPT);
	w->judged++;
	struct shield *sh = w->sh;
	if (sh->mlog && sw_mlog_wants(v)) {
		pthread_mutex_lock(&sh->mlog_mu);
		if (sw_mlog_write(sh->mlog, w->e, p, v, c->wall) < 0)
			w->log_errors++;
		pthread_mutex_unlock(&sh->mlog_mu);
		c->logged = true;
	}
}

/* Apply a pending reload (between batches: no view of the old settings is alive). */
static void worker_reload(struct worker *w)
{
	struct shield *sh = w->sh;
	unsigned gen = atomic_load(&sh->reload_gen);
	if (gen == w->reload_seen)
		return;
	w->reload_rc = sw_engine_reload(w->e, sh->pending, w->reload_err, sizeof(w->reload_err));
	w->reload_seen = gen;
	atomic_store(&w->reload_done, gen);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct shield *sh = w->sh;
	unsigned max = sh->o.batch;
	struct sw_nfq_pkt pk[SW_NFQ_MAX_BATCH];
	struct sw_packet sp[SW_NFQ_MAX_BATCH];
	unsigned idx[SW_NFQ_MAX_BATCH];
	while (!atomic_load(&sh->stop)) {
		worker_reload(w);
		int n = sw_nfq_recv(w->q, pk, max);
		if (n < 0) {
			fprintf(stderr, "shield: worker %u: receiving from queue %u: %s\n", w->idx,
				w->queue, strerror(errno));
			atomic_store(&sh->fatal, 1);
			break;
		}
		if (n == 0)
			continue;
		/* the engine's own copy: the main thread replaces its config on reload */
		const struct sw_shield_config *cfg = sw_engine_config(w->e);
		uint64_t now = (uint64_t)((int64_t)clock_ms(CLOCK_MONOTONIC) + sh->clock_offset_ms);
		unsigned m = 0;
		for (unsigned i = 0; i < (unsigned)n; i++) {
			struct sw_decoded d;
			int dir = pk[i].hook == SW_NFQ_HOOK_INPUT  ? SW_DIR_IN :
				  pk[i].hook == SW_NFQ_HOOK_OUTPUT ? SW_DIR_OUT :
								     -1;
			bool ours = dir >= 0 && pk[i].data &&
				    sw_decode_ip(pk[i].data, pk[i].len, &d) == 0 &&
				    d.proto == SW_IPPROTO_UDP && !d.fragment &&
				    sw_shield_config_is_sip_port(
					    cfg, dir == SW_DIR_IN ? d.dst.port : d.src.port);
			if (!ours) {
				/* not SIP for the server (a rule set by hand, a fragment): pass */
				sw_nfq_verdict(w->q, pk[i].id, true);
				w->passed++;
				continue;
			}
			sp[m] = (struct sw_packet){
				.src = d.src,
				.dst = d.dst,
				.payload = d.payload,
				.len = d.len,
				.now_ms = now,
				.dir = (uint8_t)dir,
			};
			idx[m++] = i;
		}
		struct batch_ctx c = {
			.w = w, .pk = pk, .idx = idx, .base = sp, .wall = wall_usec()};
		if (m)
			sw_engine_batch(w->e, sp, m, on_verdict, &c);
		sw_nfq_flush(w->q);
		if (c.logged) {
			pthread_mutex_lock(&sh->mlog_mu);
			sw_mlog_flush(sh->mlog);
			pthread_mutex_unlock(&sh->mlog_mu);
		}
	}
	sw_nfq_flush(w->q);
	return NULL;
}

/* ---- reload ---- */

static int load_config(const struct shield_opts *o, struct sw_shield_config *cfg, char *err,
		       size_t errlen)
{
	int rc = o->config ? sw_shield_config_load(o->config, cfg, err, errlen) :
			     sw_shield_config_default(cfg, err, errlen);
	if (rc != 0)
		return rc;
	if (o->log)
		snprintf(cfg->log, sizeof(cfg->log), "%s", o->log);
	return 0;
}

/* The state memory is the shield's: each worker's engine gets its share. */
static void per_worker(struct sw_shield_config *cfg, unsigned nw)
{
	uint64_t share = cfg->state_memory / nw;
	cfg->state_memory = share < (1u << 20) ? (1u << 20) : share;
}

static void reload(struct shield *sh)
{
	char err[1024];
	struct sw_shield_config *cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		fprintf(stderr, "shield: reload: out of memory; settings unchanged\n");
		return;
	}
	if (load_config(&sh->o, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "shield: reload refused, settings unchanged: %s\n", err);
		free(cfg);
		return;
	}
	per_worker(cfg, sh->nw);
	if (cfg->nports != sh->cfg->nports ||
	    memcmp(cfg->sip_ports, sh->cfg->sip_ports, cfg->nports * sizeof(cfg->sip_ports[0]))) {
		fprintf(stderr, "shield: sip-port changes need a restart (the firewall rules "
				"catch the old ports); keeping them\n");
		cfg->nports = sh->cfg->nports;
		memcpy(cfg->sip_ports, sh->cfg->sip_ports, sizeof(cfg->sip_ports));
	}
	/* Validate on a scratch engine first, so that no worker is left half-reloaded. */
	struct sw_shield_config *probe = malloc(sizeof(*probe));
	struct sw_engine *e = NULL;
	if (probe) {
		*probe = *cfg;
		probe->state_memory = 1u << 20;
	}
	if (!probe || sw_engine_new(probe, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "shield: reload refused, settings unchanged: %s\n",
			probe ? err : "out of memory");
		free(probe);
		free(cfg);
		return;
	}
	sw_engine_free(e);
	free(probe);
	sh->pending = cfg;
	unsigned gen = atomic_fetch_add(&sh->reload_gen, 1) + 1;
	/* Workers look between batches, at least every receive timeout (200 ms). */
	for (int t = 0; t < 100; t++) {
		unsigned done = 0;
		for (unsigned i = 0; i < sh->nw; i++)
			done += atomic_load(&sh->w[i].reload_done) == gen;
		if (done == sh->nw)
			break;
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	unsigned ok = 0;
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		if (atomic_load(&w->reload_done) != gen)
			fprintf(stderr, "shield: worker %u has not taken the reload yet\n", i);
		else if (w->reload_rc != 0)
			fprintf(stderr, "shield: worker %u kept its settings: %s\n", i,
				w->reload_err);
		else
			ok++;
	}
	fprintf(stderr, "shield: reloaded %s on %u of %u workers\n", cfg->source, ok, sh->nw);
	/* The engines copy what they take; the workers read sh->pending only while reloading. */
	unsigned taken = 0;
	for (unsigned i = 0; i < sh->nw; i++)
		taken += atomic_load(&sh->w[i].reload_done) == gen;
	if (taken < sh->nw)
		return; /* a worker has yet to take it: kept (never freed; one per such SIGHUP) */
	sh->pending = NULL;
	if (ok == sh->nw) {
		free(sh->cfg);
		sh->cfg = cfg; /* read by the main thread only */
	} else {
		free(cfg);
	}
}

/* ---- start and stop ---- */

static void ports_text(const struct sw_shield_config *cfg, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "udp/");
	for (unsigned i = 0; i < cfg->nports && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "," : "", cfg->sip_ports[i]);
}

static void print_counts(struct shield *sh)
{
	struct sw_engine_stats t = {0};
	uint64_t passed = 0, overruns = 0, send_errors = 0, received = 0, dropped = 0;
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		if (w->e) {
			const struct sw_engine_stats *s = sw_engine_stats(w->e);
			t.packets += s->packets;
			t.keepalives += s->keepalives;
			t.parse_errors += s->parse_errors;
			for (int k = 0; k < 3; k++)
				t.by_action[k] += s->by_action[k];
			t.promoted += s->promoted;
			t.denied += s->denied;
			t.released += s->released;
		}
		passed += w->passed;
		if (w->q) {
			const struct sw_nfq_stats *q = sw_nfq_stats(w->q);
			overruns += q->overruns;
			send_errors += q->send_errors;
			received += q->received;
			dropped += q->dropped;
		}
	}
	fprintf(stderr,
		"shield: stopped: %" PRIu64 " packets queued, %" PRIu64 " judged (%" PRIu64
		" accepted, %" PRIu64 " dropped), %" PRIu64 " passed unjudged; %" PRIu64
		" denials, %" PRIu64 " promotions; %" PRIu64 " unparsable; %" PRIu64
		" queue overruns, %" PRIu64 " verdict send errors\n",
		received, t.packets, t.by_action[SW_ACT_ACCEPT], dropped, passed, t.denied,
		t.promoted, t.parse_errors, overruns, send_errors);
	if (sh->mlog)
		fprintf(stderr, "shield: %" PRIu64 " records in the matched-message log %s\n",
			sw_mlog_records(sh->mlog), sh->cfg->log);
}

static int run_shield(int argc, char **argv)
{
	static struct shield sh; /* holds the config pointers; one per process */
	memset(&sh, 0, sizeof(sh));
	sh.o.queue = DEFAULT_QUEUE;
	sh.o.batch = 64;
	char err[1024];
	int first = sw_opt_parse(shield_opts, argc, argv, on_opt, &sh.o, err, sizeof(err));
	if (first < 0) {
		sw_cmd_err(&sw_cmd_shield, "%s (see 'sipwarden shield --help')", err);
		return SW_EXIT_USAGE;
	}
	if (sh.o.help) {
		sw_cmd_usage(&sw_cmd_shield, stdout);
		return SW_EXIT_OK;
	}
	if (first < argc) {
		sw_cmd_err(&sw_cmd_shield,
			   "unexpected operand '%s' (see 'sipwarden shield --help')", argv[first]);
		return SW_EXIT_USAGE;
	}
	if (sh.o.cleanup)
		return run_cleanup();
	if (sh.o.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		sh.o.workers = n < 1 ? 1 : n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
	}
	sh.nw = sh.o.workers;
	if (sh.o.queue + sh.nw - 1 > 65535) {
		sw_cmd_err(&sw_cmd_shield, "queues %u..%u: the last queue number is 65535",
			   sh.o.queue, sh.o.queue + sh.nw - 1);
		return SW_EXIT_USAGE;
	}
	sh.cfg = malloc(sizeof(*sh.cfg));
	sh.w = calloc(sh.nw, sizeof(*sh.w));
	if (!sh.cfg || !sh.w) {
		sw_cmd_err(&sw_cmd_shield, "out of memory");
		return SW_EXIT_USAGE;
	}
	if (load_config(&sh.o, sh.cfg, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "%s", err);
		return SW_EXIT_USAGE;
	}
	if (sh.cfg->nports == 0 || sh.cfg->nports > SW_FW_MAX_PORTS) {
		sw_cmd_err(&sw_cmd_shield, "%s: sip-port: 1 to %u ports needed", sh.cfg->source,
			   SW_FW_MAX_PORTS);
		return SW_EXIT_USAGE;
	}
	per_worker(sh.cfg, sh.nw);

	int status = SW_EXIT_USAGE;
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* before any thread exists, so that every thread inherits the mask */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	pthread_mutex_init(&sh.mlog_mu, NULL);
	sh.clock_offset_ms = (int64_t)clock_ms(CLOCK_REALTIME) - (int64_t)clock_ms(CLOCK_MONOTONIC);

	for (unsigned i = 0; i < sh.nw; i++) {
		struct worker *w = &sh.w[i];
		w->idx = i;
		w->sh = &sh;
		w->queue = (uint16_t)(sh.o.queue + i);
		if (sw_engine_new(sh.cfg, &w->e, err, sizeof(err)) != 0) {
			sw_cmd_err(&sw_cmd_shield, "%s", err);
			goto out;
		}
	}
	if ((sh.cfg->log[0] || sh.cfg->log_pcap[0]) &&
	    sw_mlog_open(sh.cfg->log, sh.cfg->log_max_size, sh.cfg->log_pcap,
			 sh.cfg->log_pcap_max_size, &sh.mlog, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "%s", err);
		goto out;
	}
	/* Queues before rules: once a rule sends packets to a queue, someone is bound to it. */
	struct sw_nfq_opts qo = {
		.fail_open = !sh.o.fail_closed,
		.queue_maxlen = 4096,
		.batch = sh.o.batch,
		.timeout_ms = 200,
	};
	for (unsigned i = 0; i < sh.nw; i++) {
		if (sw_nfq_open(sh.w[i].queue, &qo, &sh.w[i].q, err, sizeof(err)) != 0) {
			sw_cmd_err(&sw_cmd_shield, "%s", err);
			goto out;
		}
	}
	g_shield = &sh;
	atexit(atexit_rules);
	if ((status = install_rules(&sh)) != 0)
		goto out;
	status = SW_EXIT_USAGE;
	for (unsigned i = 0; i < sh.nw; i++) {
		int rc = pthread_create(&sh.w[i].th, NULL, worker_main, &sh.w[i]);
		if (rc != 0) {
			sw_cmd_err(&sw_cmd_shield, "cannot start a worker thread: %s",
				   strerror(rc));
			goto stop;
		}
		sh.w[i].started = true;
	}
	char ports[128];
	ports_text(sh.cfg, ports, sizeof(ports));
	char queues[32];
	if (sh.nw == 1)
		snprintf(queues, sizeof(queues), "queue %u", sh.o.queue);
	else
		snprintf(queues, sizeof(queues), "queues %u-%u", sh.o.queue,
			 sh.o.queue + sh.nw - 1);
	fprintf(stderr, "shield: protecting %s with %u worker%s on %s (%s, %s)\n", ports, sh.nw,
		sh.nw == 1 ? "" : "s", queues,
		sh.o.no_rules ? "rules left to the operator" : sw_fw_backend_name(sh.backend),
		sh.o.fail_closed ? "fail-closed" : "fail-open");
	fprintf(stderr, "shield: config %s%s%s\n", sh.cfg->source, sh.cfg->log[0] ? ", log " : "",
		sh.cfg->log);

	status = SW_EXIT_OK;
	for (;;) {
		struct timespec one = {1, 0};
		int sig = sigtimedwait(&sigs, NULL, &one);
		if (atomic_load(&sh.fatal)) {
			status = SW_EXIT_PROBLEMS;
			break;
		}
		if (sig == SIGHUP) {
			reload(&sh);
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT) {
			fprintf(stderr, "shield: %s: stopping\n",
				sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
	}
stop:
	/* Rules first: new packets stop coming; then the workers finish what is queued. */
	remove_installed(&sh);
	atomic_store(&sh.stop, true);
	for (unsigned i = 0; i < sh.nw; i++)
		if (sh.w[i].started)
			pthread_join(sh.w[i].th, NULL);
	if (status != SW_EXIT_USAGE)
		print_counts(&sh);
out:
	remove_installed(&sh);
	for (unsigned i = 0; i < sh.nw; i++) {
		sw_nfq_close(sh.w[i].q);
		sh.w[i].q = NULL;
		sw_engine_free(sh.w[i].e);
		sh.w[i].e = NULL;
	}
	if (sw_mlog_close(sh.mlog) != 0) {
		sw_cmd_err(&sw_cmd_shield, "writing the matched-message log failed");
		if (status == SW_EXIT_OK)
			status = SW_EXIT_PROBLEMS;
	}
	sh.mlog = NULL;
	g_shield = NULL;
	free(sh.w);
	free(sh.cfg);
	return status;
}

const struct sw_cmd sw_cmd_shield = {
	.name = "shield",
	.summary = "drop SIP scanners, enumerators and password guessers inline (NFQUEUE)",
	.synopsis = "shield [options]",
	.description =
		"Receive the SIP traffic of the configured UDP ports (sip-port; default 5060, on\n"
		"every local address) through NFQUEUE - requests arriving for the server and the\n"
		"server's messages leaving it - and accept or silently drop each message with the\n"
		"shield engine (see sipwarden inspect). Installs its own firewall rules on start\n"
		"(iptables chains SIPWARDEN-IN/SIPWARDEN-OUT, or table inet sipwarden when the\n"
		"kernel runs nft's queue statement) and removes them on exit; --cleanup removes\n"
		"rules a crash left. One worker and queue per core; fails open by default.\n"
		"SIGHUP reloads the config (rules, realms, thresholds) keeping every source's\n"
		"state; SIGTERM or SIGINT stops.\n"
		"Exit status: 0 stopped by a signal, 1 a queue failed while running, 2 usage,\n"
		"config or setup error (queue in use, no privilege, no kernel support).",
	.opts = shield_opts,
	.run = run_shield,
};
