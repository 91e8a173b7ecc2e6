/*
 * sipwarden shield: the command line. `sipwarden shield [options]` runs the daemon
 * (shield_daemon.c); `sipwarden shield status|list|block|unblock` ask a running one over its
 * control socket (shield_ops.c answers); --cleanup removes what a crashed one left behind.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/shield_daemon.h"
#include "core/err.h"
#include "shield/config.h"
#include "shield/control.h"
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
	OPT_SYSLOG,
	OPT_SOCKET,
	OPT_FOR,
	OPT_HELP
};

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
	{"syslog", 0, NULL, "log to syslog (facility daemon) instead of stderr", OPT_SYSLOG},
	{"socket", 0, "PATH",
	 "status, list, block, unblock: the daemon's control socket (default: the config's)",
	 OPT_SOCKET},
	{"for", 0, "SECS", "block: deny for SECS seconds (default: the realm's deny-period)",
	 OPT_FOR},
	{"help", 'h', NULL, "show this help", OPT_HELP},
	SW_OPT_END,
};

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
		if (sw_parse_uint(v, 1, SHIELD_MAX_WORKERS, &n) != 0)
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
	case OPT_SYSLOG:
		o->use_syslog = true;
		return 0;
	case OPT_SOCKET:
		o->socket = v;
		return 0;
	case OPT_FOR:
		if (sw_parse_uint(v, 1, SW_CONTROL_MAX_SECONDS, &n) != 0)
			goto bad;
		o->for_secs = n;
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

static int run_cleanup(const struct shield_opts *o)
{
	struct sw_shield_config *cfg = shield_config_read(o);
	if (!cfg)
		return SW_EXIT_USAGE;
	int rc = shield_cleanup(cfg);
	free(cfg);
	return rc;
}

/* `shield status|list|block ADDR|unblock ADDR`: one request to the running daemon. */
static int run_client(const struct shield_opts *o, int argc, char **argv)
{
	const char *verb = argv[0];
	bool with_addr = strcmp(verb, "block") == 0 || strcmp(verb, "unblock") == 0;
	if (!with_addr && strcmp(verb, "status") != 0 && strcmp(verb, "list") != 0) {
		sw_cmd_err(&sw_cmd_shield,
			   "unknown request '%s': status, list, block ADDR or unblock ADDR", verb);
		return SW_EXIT_USAGE;
	}
	if (argc != (with_addr ? 2 : 1)) {
		sw_cmd_err(&sw_cmd_shield, "%s %s", verb,
			   with_addr ? "needs one address (ADDR, or an IPv6 PREFIX)" :
				       "takes no operand");
		return SW_EXIT_USAGE;
	}
	if (o->for_secs && strcmp(verb, "block") != 0) {
		sw_cmd_err(&sw_cmd_shield, "--for goes with block");
		return SW_EXIT_USAGE;
	}
	char err[1024];
	char path[SW_CFG_PATH_MAX];
	if (o->socket) {
		snprintf(path, sizeof(path), "%s", o->socket);
	} else {
		struct sw_shield_config *cfg = shield_config_read(o);
		if (!cfg)
			return SW_EXIT_USAGE;
		snprintf(path, sizeof(path), "%s", cfg->control_socket);
		free(cfg);
		if (!path[0]) {
			sw_cmd_err(&sw_cmd_shield, "the configuration has no control-socket");
			return SW_EXIT_USAGE;
		}
	}
	char req[SW_CONTROL_LINE_MAX];
	if (strcmp(verb, "block") == 0)
		snprintf(req, sizeof(req), "block %s %llu", argv[1], o->for_secs);
	else if (with_addr)
		snprintf(req, sizeof(req), "unblock %s", argv[1]);
	else
		snprintf(req, sizeof(req), "%s", verb);
	int rc = sw_control_call(path, req, stdout, 0, err, sizeof(err));
	if (rc != 0) {
		sw_cmd_err(&sw_cmd_shield, "%s: %s", verb, err);
		return rc == SW_E_INVAL ? SW_EXIT_PROBLEMS : SW_EXIT_USAGE;
	}
	return SW_EXIT_OK;
}

static int run_shield(int argc, char **argv)
{
	static struct shield sh; /* one per process: the atexit rule removal finds it */
	memset(&sh, 0, sizeof(sh));
	sh.o.queue = SHIELD_DEFAULT_QUEUE;
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
	if (first < argc)
		return run_client(&sh.o, argc - first, argv + first);
	if (sh.o.for_secs) {
		sw_cmd_err(&sw_cmd_shield, "--for goes with block");
		return SW_EXIT_USAGE;
	}
	if (sh.o.cleanup)
		return run_cleanup(&sh.o);
	return shield_daemon_run(&sh);
}

const struct sw_cmd sw_cmd_shield = {
	.name = "shield",
	.summary = "drop SIP scanners, enumerators and password guessers inline (NFQUEUE)",
	.synopsis = "shield [options]\n"
		    "       sipwarden shield status|list|block ADDR [--for SECS]|unblock ADDR",
	.description =
		"Receive the SIP traffic of the configured UDP ports (sip-port; default 5060, on\n"
		"every local address) through NFQUEUE - requests arriving for the server and the\n"
		"server's messages leaving it - and accept or silently drop each message with the\n"
		"shield engine (see sipwarden inspect). Installs its own firewall rules on start\n"
		"(iptables chains SIPWARDEN-IN/SIPWARDEN-OUT, or table inet sipwarden when the\n"
		"kernel runs nft's queue statement) and removes them on exit; --cleanup removes\n"
		"rules a crash left. One worker and queue per core; fails open by default.\n"
		"Denied sources go into a kernel deny set (deny-backend: an nftables set with\n"
		"timeouts, or XDP), saved to state-file on exit and restored on start. After setup\n"
		"the daemon keeps only CAP_NET_ADMIN, CAP_NET_RAW (and CAP_BPF for XDP), as the\n"
		"config's user if one is set. Metrics for Prometheus on metrics-listen.\n"
		"SIGHUP reloads the config (rules, realms, thresholds) keeping every source's\n"
		"state; SIGTERM or SIGINT stops.\n"
		"status, list, block and unblock ask the running daemon over its control socket\n"
		"(the config's control-socket, or --socket): what it does, the denied sources,\n"
		"deny ADDR now (for --for SECS or its realm's deny-period), forget ADDR's state.\n"
		"Exit status: 0 stopped by a signal, or the request done; 1 a queue failed while\n"
		"running, or the daemon refused the request; 2 usage, config or setup error (queue\n"
		"in use, no privilege, no kernel support), or no daemon to ask.",
	.opts = shield_opts,
	.run = run_shield,
};
