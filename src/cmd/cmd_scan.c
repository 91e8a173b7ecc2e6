/*
 * sipwarden scan: find SIP services on UDP and write Shadowserver's scan_sip report.
 *
 * This file turns options (command line, or a --config file whose keys are the long options)
 * into a struct sw_scan_config, prints progress and the summary, and handles Ctrl-C: the first
 * stops sending and waits the window so nothing gathered is lost, the second writes what there
 * is and exits at once. The engine itself is src/scan/scan.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/enrich_opts.h"
#include "core/err.h"
#include "net/exclude_default.h"
#include "net/prefix.h"
#include "out/enrich.h"
#include "out/scan_jsonl.h"
#include "scan/permute.h"
#include "scan/scan.h"

enum {
	O_PORT = 1,
	O_RATE,
	O_PROBE,
	O_OUTPUT,
	O_FORMAT,
	O_TARGETS,
	O_EXCLUDE,
	O_NO_DEFAULT_EXCLUDE,
	O_SEED,
	O_SHARD,
	O_RETRIES,
	O_WAIT,
	O_SOURCE_IP,
	O_SOURCE_PORT,
	O_CONTACT,
	O_INCLUDE_NONSIP,
	O_SEND_MODE,
	O_INTERFACE,
	O_SEND_THREADS,
	O_DRY_RUN,
	O_ENRICH, /* the SW_CMD_EOPT__COUNT keys of cmd/enrich_opts.h */
	O_CONFIG = O_ENRICH + SW_CMD_EOPT__COUNT,
	O_QUIET,
	O_VERBOSE,
	O_HELP,
};

static const struct sw_opt scan_opts[] = {
	{"port", 'p', "PORTS", "UDP ports: list and ranges, e.g. 5060,5080-5090 (default 5060)",
	 O_PORT},
	{"rate", 'r', "PPS", "probes per second (default 1000)", O_RATE},
	{"probe", 0, "KIND", "bare (7 bytes \"OPTIONS\", default), options, or a FILE to send",
	 O_PROBE},
	{"output", 'o', "FILE", "write the report to FILE (default -: standard output)", O_OUTPUT},
	{"format", 'O', "FMT", "csv (scan_sip, default) or jsonl", O_FORMAT},
	{"targets-file", 'f', "FILE", "read targets from FILE, one per line, # comments",
	 O_TARGETS},
	{"exclude", 0, "FILE", "never probe the addresses in FILE (repeatable)", O_EXCLUDE},
	{"no-default-exclude", 0, NULL, "do not apply the built-in special-purpose ranges list",
	 O_NO_DEFAULT_EXCLUDE},
	{"seed", 0, "N", "seed of the probe order (default random; same seed = same order)",
	 O_SEED},
	{"shard", 0, "I/N", "probe only shard I of N (same seed on every machine)", O_SHARD},
	{"retries", 0, "N", "probe targets that did not answer N more times (default 0)",
	 O_RETRIES},
	{"wait", 0, "SECONDS", "listen this long after the last probe (default 3)", O_WAIT},
	{"source-ip", 0, "ADDR", "send from this address (repeat for IPv4 and IPv6)", O_SOURCE_IP},
	{"source-port", 0, "PORT", "send from and listen on this UDP port (default any)",
	 O_SOURCE_PORT},
	{"contact", 0, "URI", "Contact URI of the options probe, so operators can reach you",
	 O_CONTACT},
	{"include-nonsip", 0, NULL, "also write rows for responders whose reply is not SIP",
	 O_INCLUDE_NONSIP},
	{"send-mode", 0, "MODE",
	 "packet (raw frames, root), socket, or auto (default: packet when it can be used)",
	 O_SEND_MODE},
	{"send-threads", 0, "N",
	 "send threads, 1-8 (default: one per core, up to 4, in packet mode)", O_SEND_THREADS},
	{"interface", 'i', "NAME", "send and receive only through interface NAME", O_INTERFACE},
	{"dry-run", 'n', NULL, "print the probes that would be sent, send nothing", O_DRY_RUN},
	SW_CMD_ENRICH_OPTS("", O_ENRICH),
	{"config", 'c', "FILE", "read options from FILE: lines 'long-option = value'", O_CONFIG},
	{"quiet", 'q', NULL, "no progress line and no summary", O_QUIET},
	{"verbose", 'v', NULL, "more detail in the summary", O_VERBOSE},
	{"help", 'h', NULL, "show this help", O_HELP},
	SW_OPT_END,
};

struct scan_args {
	const char *ports, *probe, *output, *format, *contact, *interface;
	struct sw_enrich_opts enrich;
	const char *targets_files[16];
	unsigned ntargets_files;
	const char *excludes[16];
	unsigned nexcludes;
	int no_default_exclude, include_nonsip, dry_run, quiet, verbose, help;
	enum sw_send_mode send_mode;
	uint64_t rate, seed;
	int have_seed;
	uint32_t shard, nshards, retries, wait_ms, send_threads;
	struct sw_endpoint source4, source6;
	uint16_t source_port;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	if (stop_requested < 2)
		stop_requested++;
}

static int on_opt(void *ctx, int key, const char *v, char *err, size_t errlen);

#define CONFIG_VALUES 64
#define CONFIG_VALUE_MAX 512

/* --config FILE: "key = value" lines with the long option names as keys; "#" comments. */
static int read_config(struct scan_args *a, const char *path, char *err, size_t errlen)
{
	static char pool[CONFIG_VALUES][CONFIG_VALUE_MAX];
	static unsigned npool;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "config %s: %s", path, strerror(errno));
		return SW_E_IO;
	}
	char line[1024];
	unsigned lineno = 0;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line, *e;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#' || *s == '\n' || *s == '\0')
			continue;
		e = s + strcspn(s, "\r\n");
		*e = '\0';
		char *eq = strchr(s, '=');
		char *k_end = eq ? eq : e;
		while (k_end > s && (k_end[-1] == ' ' || k_end[-1] == '\t'))
			k_end--;
		*k_end = '\0';
		char *val = NULL;
		if (eq) {
			val = eq + 1;
			while (*val == ' ' || *val == '\t')
				val++;
			char *ve = val + strlen(val);
			while (ve > val && (ve[-1] == ' ' || ve[-1] == '\t'))
				*--ve = '\0';
		}
		const struct sw_opt *o = NULL;
		for (size_t i = 0; scan_opts[i].name; i++)
			if (strcmp(scan_opts[i].name, s) == 0)
				o = &scan_opts[i];
		if (!o || o->key == O_CONFIG || o->key == O_HELP) {
			snprintf(err, errlen, "config %s:%u: unknown key '%s'", path, lineno, s);
			rc = SW_E_INVAL;
		} else if (o->arg && (!val || !*val)) {
			snprintf(err, errlen, "config %s:%u: '%s' needs a value", path, lineno, s);
			rc = SW_E_INVAL;
		} else if (o->arg && (npool == CONFIG_VALUES || strlen(val) >= CONFIG_VALUE_MAX)) {
			snprintf(err, errlen, "config %s:%u: too many or too long values", path,
				 lineno);
			rc = SW_E_LIMIT;
		} else {
			/* Values are kept in a static pool: options point at them after the file. */
			char *copy = NULL;
			if (o->arg) {
				copy = pool[npool++];
				memcpy(copy, val, strlen(val) + 1);
			}
			char sub[256];
			rc = on_opt(a, o->key, copy, sub, sizeof(sub));
			if (rc != 0)
				snprintf(err, errlen, "config %s:%u: %s", path, lineno, sub);
		}
	}
	fclose(f);
	return rc;
}

static int parse_u64(const char *v, unsigned long long lo, unsigned long long hi,
		     unsigned long long *ret, const char *name, char *err, size_t errlen)
{
	if (sw_parse_uint(v, lo, hi, ret) != 0) {
		snprintf(err, errlen, "--%s '%s': expected a whole number from %llu to %llu", name,
			 v, lo, hi);
		return SW_E_INVAL;
	}
	return 0;
}

static int on_opt(void *ctx, int key, const char *v, char *err, size_t errlen)
{
	struct scan_args *a = ctx;
	unsigned long long n;
	if (key >= O_ENRICH && key < O_ENRICH + SW_CMD_EOPT__COUNT)
		return sw_cmd_enrich_opt(key - O_ENRICH, v, &a->enrich, err, errlen);
	switch (key) {
	case O_PORT:
		a->ports = v;
		return 0;
	case O_RATE:
		if (parse_u64(v, 1, 100000000, &n, "rate", err, errlen))
			return SW_E_INVAL;
		a->rate = n;
		return 0;
	case O_PROBE:
		a->probe = v;
		return 0;
	case O_OUTPUT:
		a->output = v;
		return 0;
	case O_FORMAT:
		if (strcmp(v, "csv") != 0 && strcmp(v, "jsonl") != 0) {
			snprintf(err, errlen, "--format '%s': expected csv or jsonl", v);
			return SW_E_INVAL;
		}
		a->format = v;
		return 0;
	case O_TARGETS:
		if (a->ntargets_files == 16) {
			snprintf(err, errlen, "at most 16 --targets-file");
			return SW_E_LIMIT;
		}
		a->targets_files[a->ntargets_files++] = v;
		return 0;
	case O_EXCLUDE:
		if (a->nexcludes == 16) {
			snprintf(err, errlen, "at most 16 --exclude files");
			return SW_E_LIMIT;
		}
		a->excludes[a->nexcludes++] = v;
		return 0;
	case O_NO_DEFAULT_EXCLUDE:
		a->no_default_exclude = 1;
		return 0;
	case O_SEED:
		if (parse_u64(v, 0, UINT64_MAX, &n, "seed", err, errlen))
			return SW_E_INVAL;
		a->seed = n;
		a->have_seed = 1;
		return 0;
	case O_SHARD:
		return sw_shard_parse(v, &a->shard, &a->nshards, err, errlen) ? SW_E_INVAL : 0;
	case O_RETRIES:
		if (parse_u64(v, 0, 10, &n, "retries", err, errlen))
			return SW_E_INVAL;
		a->retries = (uint32_t)n;
		return 0;
	case O_WAIT:
		if (parse_u64(v, 0, 3600, &n, "wait", err, errlen))
			return SW_E_INVAL;
		a->wait_ms = (uint32_t)n * 1000;
		return 0;
	case O_SOURCE_IP: {
		struct sw_iprange r;
		if (sw_iprange_parse(v, strlen(v), &r, err, errlen) != 0)
			return SW_E_INVAL;
		struct sw_endpoint ep;
		if (r.family == AF_INET) {
			uint8_t b[4] = {(uint8_t)(r.v4.lo >> 24), (uint8_t)(r.v4.lo >> 16),
					(uint8_t)(r.v4.lo >> 8), (uint8_t)r.v4.lo};
			if (r.v4.lo != r.v4.hi)
				goto one_address;
			sw_endpoint_set_v4(&ep, b, 0);
			a->source4 = ep;
		} else {
			uint8_t b[16];
			if (sw_u128_cmp(r.v6.lo, r.v6.hi) != 0)
				goto one_address;
			sw_u128_to_bytes(r.v6.lo, b);
			sw_endpoint_set_v6(&ep, b, 0);
			a->source6 = ep;
		}
		return 0;
one_address:
		snprintf(err, errlen, "--source-ip '%s': expected one address", v);
		return SW_E_INVAL;
	}
	case O_SOURCE_PORT:
		if (parse_u64(v, 1, 65535, &n, "source-port", err, errlen))
			return SW_E_INVAL;
		a->source_port = (uint16_t)n;
		return 0;
	case O_CONTACT:
		a->contact = v;
		return 0;
	case O_INCLUDE_NONSIP:
		a->include_nonsip = 1;
		return 0;
	case O_SEND_MODE:
		if (strcmp(v, "auto") == 0)
			a->send_mode = SW_SEND_AUTO;
		else if (strcmp(v, "socket") == 0)
			a->send_mode = SW_SEND_SOCKET;
		else if (strcmp(v, "packet") == 0)
			a->send_mode = SW_SEND_PACKET;
		else {
			snprintf(err, errlen, "--send-mode '%s': expected packet, socket or auto",
				 v);
			return SW_E_INVAL;
		}
		return 0;
	case O_SEND_THREADS:
		if (parse_u64(v, 1, SW_SCAN_MAX_THREADS, &n, "send-threads", err, errlen))
			return SW_E_INVAL;
		a->send_threads = (uint32_t)n;
		return 0;
	case O_INTERFACE:
		if (strlen(v) >= IF_NAMESIZE || if_nametoindex(v) == 0) {
			snprintf(err, errlen, "--interface '%s': no such interface", v);
			return SW_E_INVAL;
		}
		a->interface = v;
		return 0;
	case O_DRY_RUN:
		a->dry_run = 1;
		return 0;
	case O_CONFIG:
		return read_config(a, v, err, errlen);
	case O_QUIET:
		a->quiet = 1;
		return 0;
	case O_VERBOSE:
		a->verbose = 1;
		return 0;
	case O_HELP:
		a->help = 1;
		return 0;
	}
	return SW_E_INVAL;
}

struct progress {
	int tty;
};

/* Enrichment's non-fatal problems (a database file that is not there): one line each. */
static void enrich_warn(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "sipwarden scan: warning: %s\n", msg);
}

/* The one-line status on a terminal, refreshed every second. */
static void show_progress(void *ctx, const struct sw_scan_stats *st)
{
	struct progress *pr = ctx;
	if (!pr->tty)
		return;
	double secs = (double)(st->end_ns - st->start_ns) / 1e9;
	double pps = secs > 0 ? (double)st->sent / secs : 0;
	double left = st->space > st->sent && pps > 0 ? (double)(st->space - st->sent) / pps : 0;
	fprintf(stderr,
		"\r%6.0fs  sent %" PRIu64 "/%" PRIu64 "  %.0f pps  replies %" PRIu64
		"  responders %" PRIu64 " (%.3f%%)  left ~%.0fs   ",
		secs, st->sent, st->space, pps, st->replies, st->responders,
		st->sent ? 100.0 * (double)st->responders / (double)st->sent : 0.0, left);
	fflush(stderr);
}

static void summary(const struct sw_scan_stats *st, int tty, int verbose)
{
	if (tty)
		fputc('\n', stderr);
	double secs = (double)(st->end_ns - st->start_ns) / 1e9;
	double send_secs = st->send_end_ns > st->start_ns ?
				   (double)(st->send_end_ns - st->start_ns) / 1e9 :
				   0.0;
	fprintf(stderr,
		"scan%s: %" PRIu64 " targets (%" PRIu64 " excluded), %" PRIu64
		" probes sent in %.1f s (%.0f pps), %.1f s in all, %" PRIu64 " responders, %" PRIu64
		" SIP responders, %" PRIu64 " rows",
		st->interrupted ? " (interrupted)" : "", st->targets, st->excluded, st->sent,
		send_secs, send_secs > 0 ? (double)st->sent / send_secs : 0.0, secs, st->responders,
		st->sip_responders, st->rows);
	if (st->sip_responders)
		fprintf(stderr, ", amplification mean %.2f median %.2f",
			(double)st->amp_sum_centi / 100.0 / (double)st->sip_responders,
			(double)st->amp_median_centi / 100.0);
	fputc('\n', stderr);
	int any = 0;
	for (unsigned c = 100; c < 700; c++) {
		if (!st->status_counts[c])
			continue;
		fprintf(stderr, "%s%u: %" PRIu32, any ? ", " : "scan: status codes ", c,
			st->status_counts[c]);
		any = 1;
	}
	if (any)
		fputc('\n', stderr);
	if (verbose && st->send_note[0])
		fprintf(stderr, "scan: %s\n", st->send_note);
	if (verbose && st->ptr_names)
		fprintf(stderr, "scan: %" PRIu64 " rows with a reverse DNS name\n", st->ptr_names);
	if (st->nonsip_skipped || verbose)
		fprintf(stderr,
			"scan: %" PRIu64 " non-SIP responders not written (--include-nonsip writes "
			"them)\n",
			st->nonsip_skipped);
	if (verbose)
		fprintf(stderr,
			"scan: %" PRIu64 " replies, %" PRIu64
			" from non-targets or with a bad token, %" PRIu64
			" after their row was written, %" PRIu64 " send errors\n",
			st->replies, st->replies_bad, st->late, st->send_errors);
}

/* --dry-run: the probes in the order they would go, one line each. */
static int dry_run(const struct sw_scan_config *cfg)
{
	struct sw_permute pm;
	uint64_t space = sw_targets_space(cfg->targets, cfg->ports), idx;
	if (sw_permute_init(&pm, space, cfg->seed, cfg->shard, cfg->nshards) != 0)
		return SW_EXIT_USAGE;
	struct sw_endpoint src4 = {0}, src6 = {0};
	src4.family = AF_INET;
	src6.family = AF_INET6;
	static char buf[SW_PROBE_OPTIONS_MAX];
	while (sw_permute_next(&pm, &idx) == 1) {
		struct sw_endpoint ep;
		if (sw_targets_at(cfg->targets, cfg->ports, idx, &ep) != 0)
			continue;
		const uint8_t *data;
		uint32_t len = sw_probe_payload(cfg->probe, &ep,
						ep.family == AF_INET6 ? &src6 : &src4, buf,
						sizeof(buf), &data);
		char where[SW_ENDPOINT_STRLEN];
		sw_endpoint_format(&ep, where, sizeof(where));
		printf("%s %s %u bytes\n", where, cfg->probe->name, len);
	}
	return fflush(stdout) == 0 ? SW_EXIT_OK : SW_EXIT_USAGE;
}

static int run_scan(int argc, char **argv)
{
	static struct scan_args a;
	memset(&a, 0, sizeof(a));
	a.rate = 1000;
	a.wait_ms = 3000;
	a.ports = "5060";
	a.probe = "bare";
	a.output = "-";
	a.format = "csv";
	a.shard = a.nshards = 1;
	char err[512];
	const struct sw_cmd *cmd = &sw_cmd_scan;
	int first = sw_opt_parse(scan_opts, argc, argv, on_opt, &a, err, sizeof(err));
	if (first < 0) {
		sw_cmd_err(cmd, "%s", err);
		return SW_EXIT_USAGE;
	}
	if (a.help) {
		sw_cmd_usage(cmd, stdout);
		return SW_EXIT_OK;
	}
	if (first >= argc && a.ntargets_files == 0) {
		sw_cmd_err(cmd, "no TARGET given (see 'sipwarden scan --help')");
		return SW_EXIT_USAGE;
	}

	int status = SW_EXIT_USAGE;
	struct sw_prefixset *excl = NULL;
	struct sw_targets *targets = NULL;
	struct sw_ports *ports = NULL;
	struct sw_probe probe = {0};
	struct sw_enrich *enrich = NULL;
	FILE *out = NULL;
	if (sw_prefixset_new(0, &excl) != 0 || sw_targets_new(&targets) != 0)
		goto out;
	if (!a.no_default_exclude && sw_exclude_default(excl, err, sizeof(err)) != 0)
		goto fail;
	for (unsigned i = 0; i < a.nexcludes; i++)
		if (sw_prefixset_load(excl, a.excludes[i], err, sizeof(err)) != 0)
			goto fail;
	for (int i = first; i < argc; i++)
		if (sw_targets_add(targets, argv[i], strlen(argv[i]), err, sizeof(err)) != 0)
			goto fail;
	for (unsigned i = 0; i < a.ntargets_files; i++)
		if (sw_targets_load(targets, a.targets_files[i], err, sizeof(err)) != 0)
			goto fail;
	if (sw_targets_finish(targets, excl, err, sizeof(err)) != 0)
		goto fail;
	if (sw_targets_count(targets) == 0) {
		snprintf(err, sizeof(err),
			 "nothing to scan: all %" PRIu64 " target addresses are excluded%s",
			 sw_targets_excluded(targets),
			 a.no_default_exclude ?
				 "" :
				 " (the default list excludes special-purpose ranges "
				 "such as loopback and RFC 1918; --no-default-exclude "
				 "lifts it)");
		goto fail;
	}
	if (sw_ports_parse(a.ports, strlen(a.ports), &ports, err, sizeof(err)) != 0)
		goto fail;
	if (sw_probe_init(&probe, a.probe, a.contact, err, sizeof(err)) != 0)
		goto fail;
	if (!a.have_seed && getrandom(&a.seed, sizeof(a.seed), 0) != sizeof(a.seed))
		a.seed = (uint64_t)getpid() * UINT64_C(0x9e3779b97f4a7c15);

	struct sw_scan_config cfg = {
		.targets = targets,
		.ports = ports,
		.probe = &probe,
		.rate = a.rate,
		.seed = a.seed,
		.shard = a.shard,
		.nshards = a.nshards,
		.retries = a.retries,
		.wait_ms = a.wait_ms,
		.source4 = a.source4,
		.source6 = a.source6,
		.include_nonsip = a.include_nonsip,
		.send_mode = a.send_mode,
		.interface = a.interface,
		.send_threads = a.send_threads,
		.max_responders = 1u << 26,
		.writer = strcmp(a.format, "jsonl") == 0 ? &sw_scan_jsonl_writer :
							   &sw_scan_csv_writer,
		.stop = &stop_requested,
	};
	cfg.source4.port = cfg.source6.port = a.source_port; /* family 0 = wildcard, this port */
	if (a.dry_run) {
		status = dry_run(&cfg);
		goto out;
	}
	if (sw_cmd_enrich_wanted(&a.enrich)) {
		a.enrich.warn = enrich_warn;
		if (sw_enrich_new(&a.enrich, &enrich, err, sizeof(err)) != 0)
			goto fail;
		cfg.enrich = enrich;
	}
	out = strcmp(a.output, "-") == 0 ? stdout : fopen(a.output, "w");
	if (!out) {
		snprintf(err, sizeof(err), "--output %s: %s", a.output, strerror(errno));
		goto fail;
	}
	cfg.out = out;
	struct progress pr = {.tty = !a.quiet && isatty(STDERR_FILENO)};
	cfg.progress = show_progress;
	cfg.progress_ctx = &pr;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct sw_scan_stats st;
	if (sw_scan_run(&cfg, &st, err, sizeof(err)) != 0)
		goto fail;
	if (!a.quiet)
		summary(&st, pr.tty, a.verbose);
	status = SW_EXIT_OK;
	goto out;
fail:
	sw_cmd_err(cmd, "%s", err);
out:
	if (out && out != stdout)
		fclose(out);
	sw_enrich_free(enrich);
	sw_probe_free(&probe);
	sw_ports_free(ports);
	sw_targets_free(targets);
	sw_prefixset_free(excl);
	return status;
}

const struct sw_cmd sw_cmd_scan = {
	.name = "scan",
	.summary = "probe UDP SIP services and write Shadowserver's scan_sip report",
	.synopsis = "scan [options] TARGET...",
	.description =
		"Probe every TARGET (addresses, CIDR prefixes, a.b.c.d-e.f.g.h ranges, host names,\n"
		"IPv6 addresses and prefixes up to /112) on the given UDP ports in a seeded random\n"
		"order, paced at --rate, and write one row per responding address and port in\n"
		"Shadowserver's scan_sip CSV (or JSON Lines). Special-purpose ranges (loopback,\n"
		"RFC 1918, documentation and benchmarking ranges, multicast, ...) are never probed\n"
		"unless --no-default-exclude is given. Ctrl-C stops sending and writes what was\n"
		"gathered after the wait window; a second Ctrl-C writes it at once.\n"
		"Exit status: 0 done (also when interrupted), 2 bad input or setup failure.",
	.opts = scan_opts,
	.run = run_scan,
};
