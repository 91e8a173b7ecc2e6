/*
 * sipwarden shield: the engine inline, through NFQUEUE (see shield_daemon.h for the parts).
 *
 * Threads. One worker per queue (default: one per core), each with its own queue socket
 * (shield/nfq.h) and its own engine: engines share nothing. The rules spread the packets over
 * the queues by a hash of the two addresses that is the same in both directions, so a remote
 * party's requests and the server's answers to it always meet the same engine. A worker
 * receives a batch, decodes each packet (net/decode.h; NFQUEUE hands over the IP packet),
 * tells the direction from the netfilter hook (INPUT: towards the server, OUTPUT: from it),
 * runs the batch through sw_engine_batch() and sends the verdicts together.
 *
 * The main thread owns everything else. It blocks the signals before any thread starts and
 * reads them from a signalfd in its poll loop, next to the control socket, so no work happens
 * in a signal handler. SIGHUP reloads the config: the new settings are validated here, then
 * each worker swaps them into its engine between two batches (sw_engine_reload keeps every
 * source's state). SIGTERM and SIGINT remove the firewall rules first (new packets are no
 * longer queued), then stop the workers, which finish their batch, then save the denied set.
 *
 * Start-up order: config, engines, the state file read back, queues, control socket,
 * firewall rules - all as root; then the privileges go (shield/privdrop.h) while the process
 * still has a single thread, since capabilities are per thread; then the threads that need
 * only what is left: the kernel deny set's, the metrics endpoint's and the workers.
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
#include "cmd/shield_daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/err.h"
#include "core/log.h"
#include "net/decode.h"
#include "shield/metrics.h"
#include "shield/mlog.h"
#include "shield/nfq.h"
#include "shield/privdrop.h"

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

static uint64_t clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t shield_now_ms(const struct shield *sh)
{
	return (uint64_t)((int64_t)clock_ms(CLOCK_MONOTONIC) + sh->clock_offset_ms);
}

static struct shield *g_shield; /* for the atexit removal of the rules */

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
		fprintf(f, "%s", line);
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
		printf("# sipwarden shield --no-rules: install these rules (%s) yourself",
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
		sw_log(LOG_NOTICE, "IPv6 rules not installed (%s); IPv4 only", err);
	return 0;
}

int shield_cleanup(const struct sw_shield_config *cfg)
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
	if (shield_services_cleanup(cfg) != 0)
		return SW_EXIT_USAGE;
	sw_log(LOG_NOTICE, "firewall rules removed (chains SIPWARDEN-IN/SIPWARDEN-OUT, "
			   "table inet sipwarden), if there were any");
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
	/* newly denied: from now on the kernel drops its packets, before they are queued */
	if (sh->deny && v->state_after == SW_SRC_DENIED && v->state_before != SW_SRC_DENIED)
		shield_kernel_deny(w, v, p->now_ms);
	if (sh->mlog && sw_mlog_wants(v)) {
		pthread_mutex_lock(&sh->mlog_mu);
		if (sw_mlog_write(sh->mlog, w->e, p, v, c->wall) < 0)
			w->log_errors++;
		pthread_mutex_unlock(&sh->mlog_mu);
		c->logged = true;
	}
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
		int n = sw_nfq_recv(w->q, pk, max);
		if (n < 0) {
			sw_log(LOG_ERR, "worker %u: receiving from queue %u: %s", w->idx, w->queue,
			       strerror(errno));
			atomic_store(&sh->fatal, 1);
			break;
		}
		if (n == 0)
			continue;
		uint64_t t_recv = clock_ns();
		pthread_mutex_lock(&w->mu);
		/* the engine's own copy: the main thread replaces its config on reload */
		const struct sw_shield_config *cfg = sw_engine_config(w->e);
		uint64_t now = shield_now_ms(sh);
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
		pthread_mutex_unlock(&w->mu);
		/* every packet of the batch waited from its receipt to the batch's verdicts */
		uint64_t dt = clock_ns() - t_recv;
		for (int i = 0; i < n; i++)
			sw_lat_observe(w->lat, dt);
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

struct sw_shield_config *shield_config_read(const struct shield_opts *o)
{
	char err[1024];
	struct sw_shield_config *cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		sw_cmd_err(&sw_cmd_shield, "out of memory");
		return NULL;
	}
	if (load_config(o, cfg, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "%s", err);
		free(cfg);
		return NULL;
	}
	return cfg;
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
		sw_log(LOG_ERR, "reload: out of memory; settings unchanged");
		return;
	}
	if (load_config(&sh->o, cfg, err, sizeof(err)) != 0) {
		sw_log(LOG_NOTICE, "reload refused, settings unchanged: %s", err);
		sh->reload_failures++;
		free(cfg);
		return;
	}
	per_worker(cfg, sh->nw);
	if (cfg->nports != sh->cfg->nports ||
	    memcmp(cfg->sip_ports, sh->cfg->sip_ports, cfg->nports * sizeof(cfg->sip_ports[0]))) {
		sw_log(LOG_NOTICE, "sip-port changes need a restart (the firewall rules "
				   "catch the old ports); keeping them");
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
		sw_log(LOG_NOTICE, "reload refused, settings unchanged: %s",
		       probe ? err : "out of memory");
		sh->reload_failures++;
		free(probe);
		free(cfg);
		return;
	}
	sw_engine_free(e);
	free(probe);
	/*
	 * Worker by worker, between two of its batches (under its lock, so no view of the old
	 * settings is alive). Compiling the patterns holds up that worker for a few ms; its
	 * packets wait in the queue meanwhile.
	 */
	unsigned ok = 0;
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		pthread_mutex_lock(&w->mu);
		int rc = sw_engine_reload(w->e, cfg, err, sizeof(err));
		pthread_mutex_unlock(&w->mu);
		if (rc != 0)
			sw_log(LOG_WARNING, "worker %u kept its settings: %s", i, err);
		else
			ok++;
	}
	sw_log(LOG_NOTICE, "reloaded %s on %u of %u workers", cfg->source, ok, sh->nw);
	if (ok == sh->nw) {
		sh->reloads++;
		free(sh->cfg);
		sh->cfg = cfg; /* read by the main thread only */
	} else {
		sh->reload_failures++;
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
	sw_log(LOG_NOTICE,
	       "stopped: %" PRIu64 " packets queued, %" PRIu64 " judged (%" PRIu64
	       " accepted, %" PRIu64 " dropped), %" PRIu64 " passed unjudged; %" PRIu64
	       " denials, %" PRIu64 " promotions; %" PRIu64 " unparsable; %" PRIu64
	       " queue overruns, %" PRIu64 " verdict send errors",
	       received, t.packets, t.by_action[SW_ACT_ACCEPT], dropped, passed, t.denied,
	       t.promoted, t.parse_errors, overruns, send_errors);
	if (sh->mlog)
		sw_log(LOG_NOTICE, "%" PRIu64 " records in the matched-message log %s",
		       sw_mlog_records(sh->mlog), sh->cfg->log);
}

/* ---- the main loop ---- */

/* Signals and control requests until a stop signal or a worker's fatal error. */
static int main_loop(struct shield *sh, int sfd)
{
	for (;;) {
		struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN}, {.fd = -1}};
		int nfds = 1;
		if (shield_ctl_fd(sh) >= 0) {
			pf[1] = (struct pollfd){.fd = shield_ctl_fd(sh), .events = POLLIN};
			nfds = 2;
		}
		int n = poll(pf, (nfds_t)nfds, 1000);
		if (atomic_load(&sh->fatal))
			return SW_EXIT_PROBLEMS;
		if (n < 0 && errno != EINTR) {
			sw_log(LOG_ERR, "poll: %s", strerror(errno));
			return SW_EXIT_PROBLEMS;
		}
		if (n <= 0)
			continue;
		if (nfds == 2 && (pf[1].revents & POLLIN))
			shield_ctl_serve(sh);
		if (!(pf[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(sh);
			continue;
		}
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			sw_log(LOG_NOTICE, "%s: stopping",
			       si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			return SW_EXIT_OK;
		}
	}
}

static void log_started(const struct shield *sh)
{
	char ports[128];
	ports_text(sh->cfg, ports, sizeof(ports));
	char queues[32];
	if (sh->nw == 1)
		snprintf(queues, sizeof(queues), "queue %u", sh->o.queue);
	else
		snprintf(queues, sizeof(queues), "queues %u-%u", sh->o.queue,
			 sh->o.queue + sh->nw - 1);
	sw_log(LOG_NOTICE, "protecting %s with %u worker%s on %s (%s, %s)", ports, sh->nw,
	       sh->nw == 1 ? "" : "s", queues,
	       sh->o.no_rules ? "rules left to the operator" : sw_fw_backend_name(sh->backend),
	       sh->o.fail_closed ? "fail-closed" : "fail-open");
	sw_log(LOG_NOTICE, "config %s%s%s", sh->cfg->source, sh->cfg->log[0] ? ", log " : "",
	       sh->cfg->log);
}

static int open_engines_and_queues(struct shield *sh)
{
	char err[1024];
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		w->idx = i;
		w->sh = sh;
		w->queue = (uint16_t)(sh->o.queue + i);
		pthread_mutex_init(&w->mu, NULL);
		if (sw_engine_new(sh->cfg, &w->e, err, sizeof(err)) != 0) {
			sw_cmd_err(&sw_cmd_shield, "%s", err);
			return -1;
		}
	}
	if ((sh->cfg->log[0] || sh->cfg->log_pcap[0]) &&
	    sw_mlog_open(sh->cfg->log, sh->cfg->log_max_size, sh->cfg->log_pcap,
			 sh->cfg->log_pcap_max_size, &sh->mlog, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "%s", err);
		return -1;
	}
	/* Queues before rules: once a rule sends packets to a queue, someone is bound to it. */
	struct sw_nfq_opts qo = {
		.fail_open = !sh->o.fail_closed,
		.queue_maxlen = 4096,
		.batch = sh->o.batch,
		.timeout_ms = 200,
	};
	for (unsigned i = 0; i < sh->nw; i++) {
		if (sw_nfq_open(sh->w[i].queue, &qo, &sh->w[i].q, err, sizeof(err)) != 0) {
			sw_cmd_err(&sw_cmd_shield, "%s", err);
			return -1;
		}
	}
	return 0;
}

static int drop_privileges(struct shield *sh)
{
	char err[512];
	bool bpf = sh->cfg->deny_backend == SW_DENY_XDP;
	if (sw_privdrop(sh->cfg->user, bpf, err, sizeof(err)) != 0) {
		sw_cmd_err(&sw_cmd_shield, "%s", err);
		return -1;
	}
	char caps[256];
	sw_privdrop_describe(caps, sizeof(caps));
	sw_log(LOG_INFO, "privileges dropped: %s", caps);
	return 0;
}

static int start_workers(struct shield *sh)
{
	for (unsigned i = 0; i < sh->nw; i++) {
		int rc = pthread_create(&sh->w[i].th, NULL, worker_main, &sh->w[i]);
		if (rc != 0) {
			sw_cmd_err(&sw_cmd_shield, "cannot start a worker thread: %s",
				   strerror(rc));
			return -1;
		}
		sh->w[i].started = true;
	}
	return 0;
}

static void close_all(struct shield *sh)
{
	remove_installed(sh);
	shield_services_close(sh);
	for (unsigned i = 0; i < sh->nw; i++) {
		struct worker *w = &sh->w[i];
		sw_nfq_close(w->q);
		w->q = NULL;
		sw_engine_free(w->e);
		w->e = NULL;
		if (w->sh)
			pthread_mutex_destroy(&w->mu);
	}
	g_shield = NULL;
}

/* The config and the workers' table from the options: 0, or the exit status after saying why. */
static int prepare(struct shield *sh)
{
	if (sh->o.workers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		sh->o.workers = n < 1                  ? 1 :
				n > SHIELD_MAX_WORKERS ? SHIELD_MAX_WORKERS :
							 (unsigned)n;
	}
	sh->nw = sh->o.workers;
	if (sh->o.queue + sh->nw - 1 > 65535) {
		sw_cmd_err(&sw_cmd_shield, "queues %u..%u: the last queue number is 65535",
			   sh->o.queue, sh->o.queue + sh->nw - 1);
		return SW_EXIT_USAGE;
	}
	sh->w = calloc(sh->nw, sizeof(*sh->w));
	if (!sh->w) {
		sw_cmd_err(&sw_cmd_shield, "out of memory");
		return SW_EXIT_USAGE;
	}
	if (!(sh->cfg = shield_config_read(&sh->o)))
		return SW_EXIT_USAGE;
	if (sh->cfg->nports == 0 || sh->cfg->nports > SW_FW_MAX_PORTS) {
		sw_cmd_err(&sw_cmd_shield, "%s: sip-port: 1 to %u ports needed", sh->cfg->source,
			   SW_FW_MAX_PORTS);
		return SW_EXIT_USAGE;
	}
	per_worker(sh->cfg, sh->nw);
	return 0;
}

int shield_daemon_run(struct shield *sh)
{
	int prc = prepare(sh);
	if (prc != 0)
		return prc;
	sw_log_open(sh->o.use_syslog, "shield");
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* before any thread exists, so that every thread inherits the mask */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		sw_cmd_err(&sw_cmd_shield, "signalfd: %s", strerror(errno));
		return SW_EXIT_USAGE;
	}
	pthread_mutex_init(&sh->mlog_mu, NULL);
	sh->clock_offset_ms =
		(int64_t)clock_ms(CLOCK_REALTIME) - (int64_t)clock_ms(CLOCK_MONOTONIC);
	sh->started_wall_ms = clock_ms(CLOCK_REALTIME);

	int status = SW_EXIT_USAGE;
	g_shield = sh;
	atexit(atexit_rules);
	if (open_engines_and_queues(sh) != 0 || shield_services_setup(sh) != 0)
		goto out;
	if (install_rules(sh) != 0)
		goto out;
	if (drop_privileges(sh) != 0 || shield_services_start(sh) != 0)
		goto out;
	if (start_workers(sh) != 0)
		goto stop;
	log_started(sh);
	status = main_loop(sh, sfd);
stop:
	/* Rules first: new packets stop coming; then the workers finish what is queued. */
	remove_installed(sh);
	atomic_store(&sh->stop, true);
	for (unsigned i = 0; i < sh->nw; i++)
		if (sh->w[i].started)
			pthread_join(sh->w[i].th, NULL);
	shield_services_stop(sh);
	if (status != SW_EXIT_USAGE)
		print_counts(sh);
out:
	close_all(sh);
	if (sw_mlog_close(sh->mlog) != 0) {
		sw_log(LOG_ERR, "writing the matched-message log failed");
		if (status == SW_EXIT_OK)
			status = SW_EXIT_PROBLEMS;
	}
	sh->mlog = NULL;
	close(sfd);
	sw_log_close();
	free(sh->w);
	free(sh->cfg);
	return status;
}
