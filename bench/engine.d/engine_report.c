/*
 * bench/engine report: reads the lines bench/engine collected (stdin) and prints the table and,
 * as the last line, one JSON object with the same figures.
 *
 * Input lines:
 *   info TEXT                    printed as is, before the table
 *   cfg KEY=VALUE ...            the script's settings (runs, cpu, msgs, instr_msgs, osip_every)
 *   wl KEY=VALUE ...             workload summary (wl_kind COUNT TEXT, wl_tool NAME N VARIANTS)
 *   run mode=MODE KEY=VALUE ...  one timing run (bench_engine.c prints them)
 *   instr MODE TOTAL MSGS        callgrind: TOTAL instructions for MSGS messages
 *
 * Timings are medians over the runs of a mode; counts come from the first run of a mode (the
 * workload is deterministic, so they repeat), except legitimate drops, which are summed over
 * every run: any of them fails the benchmark (exit status 3, after the JSON line).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KV 96
#define MAX_RUNS 100

struct kv {
	char key[64];
	char val[64];
};

struct rec {
	unsigned n;
	struct kv kv[MAX_KV];
};

/* Copy at most cap - 1 bytes of s and a NUL. */
static void copy(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

static int parse_kv(char *s, struct rec *r)
{
	char *tok, *save = NULL;
	r->n = 0;
	for (tok = strtok_r(s, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq || r->n == MAX_KV)
			continue;
		*eq = 0;
		copy(r->kv[r->n].key, sizeof(r->kv[r->n].key), tok);
		copy(r->kv[r->n].val, sizeof(r->kv[r->n].val), eq + 1);
		r->n++;
	}
	return 0;
}

static const char *get_s(const struct rec *r, const char *key)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcmp(r->kv[i].key, key) == 0)
			return r->kv[i].val;
	return NULL;
}

static double get(const struct rec *r, const char *key)
{
	const char *v = get_s(r, key);
	return v ? strtod(v, NULL) : NAN;
}

enum { M_ENGINE, M_PARSE, M_OSIP, M__COUNT };
static const char *const MODE[M__COUNT] = {"engine", "parse", "osip"};
static const char *const JNAME[M__COUNT] = {"engine", "parse", "libosip2"};

static struct rec runs[M__COUNT][MAX_RUNS];
static unsigned nruns[M__COUNT];
static double instr_total[M__COUNT], instr_msgs[M__COUNT];
static struct rec cfg, wl;
static char kinds[32][128];
static unsigned long long kind_n[32];
static unsigned nkinds;
static char tools[8][32];
static unsigned long long tool_n[8], tool_var[8];
static unsigned ntools;
static char info[32][256];
static unsigned ninfo;

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Figures of one mode over its runs. */
struct fig {
	bool have;
	double rate, ns, cpu_rate, share, share_min, rss_kib, instr;
	double msgs;
};

static struct fig figures(unsigned m)
{
	struct fig f = {0};
	double rate[MAX_RUNS], crate[MAX_RUNS], share[MAX_RUNS], rss[MAX_RUNS];
	unsigned n = nruns[m];

	f.instr = instr_msgs[m] > 0 ? instr_total[m] / instr_msgs[m] : NAN;
	if (!n)
		return f;
	f.have = true;
	f.share_min = 1;
	for (unsigned i = 0; i < n; i++) {
		double msgs = get(&runs[m][i], "msgs"), wall = get(&runs[m][i], "wall_s"),
		       cpu = get(&runs[m][i], "cpu_s");
		rate[i] = msgs / wall;
		crate[i] = msgs / cpu;
		share[i] = cpu / wall;
		rss[i] = get(&runs[m][i], "maxrss_kib");
		if (share[i] < f.share_min)
			f.share_min = share[i];
		f.msgs = msgs;
	}
	f.rate = median(rate, n);
	f.ns = 1e9 / f.rate;
	f.cpu_rate = median(crate, n);
	f.share = median(share, n);
	f.rss_kib = median(rss, n);
	return f;
}

/* "1.23M", "456.7k" */
static const char *si(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

/* 1,234,567 */
static const char *grp(unsigned long long v, char *buf, size_t len)
{
	char t[32];
	int n = snprintf(t, sizeof(t), "%llu", v), o = 0;
	for (int i = 0; i < n && o + 2 < (int)len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = t[i];
	}
	buf[o] = 0;
	return buf;
}

static bool first_json = true;

static void jkey(const char *k)
{
	printf("%s\"%s\":", first_json ? "{" : ",", k);
	first_json = false;
}

static void jnum(const char *k, double v, int prec)
{
	jkey(k);
	if (isnan(v) || isinf(v))
		printf("null");
	else if (prec == 0)
		printf("%.0f", v);
	else
		printf("%.*f", prec, v);
}

static void jbool(const char *k, bool v)
{
	jkey(k);
	printf(v ? "true" : "false");
}

static void jstr(const char *k, const char *v)
{
	jkey(k);
	printf("\"%s\"", v);
}

int main(void)
{
	char line[8192], a[32], b[32], c[32];
	struct fig f[M__COUNT];

	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "info ", 5) == 0) {
			if (ninfo < 32) {
				line[strcspn(line, "\n")] = 0;
				copy(info[ninfo++], sizeof(info[0]), line + 5);
			}
		} else if (strncmp(line, "cfg ", 4) == 0) {
			parse_kv(line + 4, &cfg);
		} else if (strncmp(line, "wl ", 3) == 0) {
			if (!wl.n)
				parse_kv(line + 3, &wl);
		} else if (strncmp(line, "wl_kind ", 8) == 0) {
			unsigned long long n;
			int off = 0;
			if (nkinds < 32 && sscanf(line + 8, "%llu %n", &n, &off) == 1 && off) {
				bool seen = false;
				line[strcspn(line, "\n")] = 0;
				for (unsigned i = 0; i < nkinds; i++)
					seen |= strcmp(kinds[i], line + 8 + off) == 0;
				if (!seen) {
					copy(kinds[nkinds], sizeof(kinds[0]), line + 8 + off);
					kind_n[nkinds++] = n;
				}
			}
		} else if (strncmp(line, "wl_tool ", 8) == 0) {
			unsigned long long n, v;
			if (ntools < 8 && sscanf(line + 8, "%31s %llu %llu", a, &n, &v) == 3) {
				bool seen = false;
				for (unsigned i = 0; i < ntools; i++)
					seen |= strcmp(tools[i], a) == 0;
				if (!seen) {
					copy(tools[ntools], sizeof(tools[0]), a);
					tool_n[ntools] = n;
					tool_var[ntools++] = v;
				}
			}
		} else if (strncmp(line, "run ", 4) == 0) {
			struct rec r;
			parse_kv(line + 4, &r);
			const char *m = get_s(&r, "mode");
			for (unsigned i = 0; m && i < M__COUNT; i++)
				if (strcmp(m, MODE[i]) == 0 && nruns[i] < MAX_RUNS)
					runs[i][nruns[i]++] = r;
		} else if (sscanf(line, "instr %31s %31s %31s", a, b, c) == 3) {
			for (unsigned i = 0; i < M__COUNT; i++)
				if (strcmp(a, MODE[i]) == 0) {
					instr_total[i] = strtod(b, NULL);
					instr_msgs[i] = strtod(c, NULL);
				}
		}
	}
	for (unsigned m = 0; m < M__COUNT; m++)
		f[m] = figures(m);
	if (!f[M_ENGINE].have || !f[M_PARSE].have) {
		fprintf(stderr, "engine_report: no engine or parse runs in the input\n");
		return 1;
	}

	/* ---- correctness over every run ---- */
	unsigned long long legit_bad = 0, decode_bad = 0, parse_bad = 0, defects = 0;
	for (unsigned m = 0; m < M__COUNT; m++)
		for (unsigned i = 0; i < nruns[m]; i++) {
			const struct rec *r = &runs[m][i];
			decode_bad += (unsigned long long)get(r, "decode_errors");
			if (m != M_OSIP)
				parse_bad += (unsigned long long)get(r, "parse_errors");
			if (m == M_ENGINE)
				legit_bad += (unsigned long long)(get(r, "legit_drop") +
								  get(r, "legit_deny"));
			if (m == M_PARSE)
				defects += (unsigned long long)get(r, "parse_defects");
		}

	const struct rec *e = &runs[M_ENGINE][0];
	double msgs = get(&wl, "msgs"), legit = get(&wl, "legit"), attack = get(&wl, "attack");
	double clock_s = (get(&wl, "last_ms") - get(&wl, "first_ms")) / 1000.0;
	double pmean = get(&wl, "payload_bytes") / msgs;
	double trusted = get(e, "trusted"), untrusted = get(e, "untrusted"),
	       denied = get(e, "denied");
	double entries = trusted + untrusted + denied;
	double cap = get(e, "cap_trusted") + get(e, "cap_untrusted");
	double sbytes = get(e, "state_bytes"), bpe = get(e, "bytes_per_entry");
	double per_slot = sbytes / cap, per_used = sbytes / entries;
	double sources = get(&wl, "phones") + get(&wl, "attack_sources");
	/* entries in use at their slot size, over distinct sources: a registered phone holds two */
	double per_source = entries * bpe / sources;
	double acc = get(e, "legit_accept") + get(e, "attack_accept");
	double drop = get(e, "legit_drop") + get(e, "attack_drop");
	double deny = get(e, "legit_deny") + get(e, "attack_deny");
	double target_rate = 1e6, target_bytes = 128;
	double bytes_fig = bpe > per_slot ? bpe : per_slot;
	bool rate_ok = f[M_ENGINE].rate >= target_rate, bytes_ok = bytes_fig <= target_bytes;
	bool correct = legit_bad == 0 && decode_bad == 0 && parse_bad == 0;
	char s1[32], s2[32], s3[32], s4[32], s5[32];

	for (unsigned i = 0; i < ninfo; i++)
		printf("%s\n", info[i]);
	printf("workload: %s messages, %.0f s of engine clock; %s phones (%s registered),\n",
	       grp((unsigned long long)msgs, s1, sizeof(s1)), clock_s,
	       grp((unsigned long long)get(&wl, "phones"), s2, sizeof(s2)),
	       grp((unsigned long long)get(&wl, "registered"), s3, sizeof(s3)));
	printf("          %s attacker addresses; legitimate %.1f%%, attack %.1f%%; %.1f%% sent by "
	       "the server;\n",
	       grp((unsigned long long)get(&wl, "attack_sources"), s4, sizeof(s4)),
	       100 * legit / msgs, 100 * attack / msgs, 100 * get(&wl, "out") / msgs);
	printf("          SIP payload %.0f..%.0f bytes, mean %.0f B; %s calls\n",
	       get(&wl, "payload_min"), get(&wl, "payload_max"), pmean,
	       grp((unsigned long long)get(&wl, "calls"), s1, sizeof(s1)));
	for (unsigned i = 0; i < nkinds; i++)
		printf("  %10s  %5.1f%%  %s\n", grp(kind_n[i], s1, sizeof(s1)),
		       100.0 * (double)kind_n[i] / msgs, kinds[i]);
	printf("  attack campaigns (of them UA-changed variants):\n   ");
	for (unsigned i = 0; i < ntools; i++)
		printf(" %s %s (%s)%s", tools[i], grp(tool_n[i], s1, sizeof(s1)),
		       grp(tool_var[i], s2, sizeof(s2)),
		       i + 1 == ntools ? "\n" :
		       i % 4 == 3      ? ",\n   " :
					 ",");
	printf("\n");

	printf("throughput on one core: median of %u runs; msgs/s and ns/msg from the wall time "
	       "(CLOCK_MONOTONIC)\n",
	       nruns[M_ENGINE]);
	printf("of the replay loops only (generation excluded), msgs/CPU-s from the thread's CPU "
	       "time of the\n");
	printf("same loops; instructions per message from one callgrind run of %.0f messages (same "
	       "mix)\n",
	       instr_msgs[M_ENGINE]);
	{
		double sh = 1, shmin = 1;
		for (unsigned m = 0; m < M__COUNT; m++)
			if (f[m].have) {
				sh = f[m].share < sh ? f[m].share : sh;
				shmin = f[m].share_min < shmin ? f[m].share_min : shmin;
			}
		printf("the pinned core ran the benchmark %.0f%% of the replay time (median, worst "
		       "mode), %.0f%% at worst%s\n",
		       100 * sh, 100 * shmin,
		       shmin < 0.9 ? ":\nother load ran there - timings are noisy, the instruction "
				     "counts are not" :
				     "");
	}
	printf("\n%-43s %8s %7s %10s %9s %9s\n", "pipeline per packet", "msgs/s", "ns/msg",
	       "msgs/CPU-s", "instr/msg", "peak RSS");
	printf("%.*s\n", 92,
	       "------------------------------------------------------------------"
	       "------------------------------------------------------");
	static const char *const ROW[M__COUNT] = {
		"engine: decode + sw_engine_batch",
		"parse only: decode + sip_parse (baseline)",
		"libosip2: decode + osip_message_parse",
	};
	for (unsigned m = 0; m < M__COUNT; m++) {
		char r[32], cr[32], in[32];
		if (!f[m].have && isnan(f[m].instr))
			continue;
		snprintf(in, sizeof(in), "%.0f", f[m].instr);
		printf("%-43s %8s %7.1f %10s %9s %5.0f MiB\n", ROW[m], si(f[m].rate, r, sizeof(r)),
		       f[m].ns, si(f[m].cpu_rate, cr, sizeof(cr)), isnan(f[m].instr) ? "n/a" : in,
		       f[m].rss_kib / 1024);
	}
	if (f[M_OSIP].have)
		printf("  (libosip2 replays every %s-th chunk of the same workload: %s messages)\n",
		       get_s(&cfg, "osip_every") ? get_s(&cfg, "osip_every") : "?",
		       grp((unsigned long long)f[M_OSIP].msgs, s1, sizeof(s1)));
	printf("shield on top of parsing: +%.0f ns/msg, +%.0f instr/msg; engine throughput = "
	       "%.2fx parse-only%s",
	       f[M_ENGINE].ns - f[M_PARSE].ns, f[M_ENGINE].instr - f[M_PARSE].instr,
	       f[M_ENGINE].rate / f[M_PARSE].rate, f[M_OSIP].have ? "," : "\n");
	if (f[M_OSIP].have)
		printf("\n%*s= %.2fx libosip2 parsing alone\n", 26, "",
		       f[M_ENGINE].rate / f[M_OSIP].rate);

	printf("\nverdicts (engine, run 1 of %u; every run is checked):\n", nruns[M_ENGINE]);
	printf("  all       accepted %12s  dropped %11s  denied %9s\n",
	       grp((unsigned long long)acc, s1, sizeof(s1)),
	       grp((unsigned long long)drop, s2, sizeof(s2)),
	       grp((unsigned long long)deny, s3, sizeof(s3)));
	printf("  legit     accepted %12s  dropped %11s  denied %9s   (must be 0: %s)\n",
	       grp((unsigned long long)get(e, "legit_accept"), s1, sizeof(s1)),
	       grp((unsigned long long)get(e, "legit_drop"), s2, sizeof(s2)),
	       grp((unsigned long long)get(e, "legit_deny"), s3, sizeof(s3)),
	       legit_bad ? "FAIL" : "ok");
	printf("  attack    accepted %12s  dropped %11s  denied %9s\n",
	       grp((unsigned long long)get(e, "attack_accept"), s1, sizeof(s1)),
	       grp((unsigned long long)get(e, "attack_drop"), s2, sizeof(s2)),
	       grp((unsigned long long)get(e, "attack_deny"), s3, sizeof(s3)));
	printf("  drops and denies by reason:");
	for (unsigned i = 0, k = 0, col = 30; i < e->n; i++)
		if (strncmp(e->kv[i].key, "reason:", 7) == 0) {
			char item[96];
			int n = snprintf(item, sizeof(item), " %s %s", e->kv[i].key + 7,
					 grp(strtoull(e->kv[i].val, NULL, 10), s1, sizeof(s1)));
			if (k++) {
				putchar(',');
				col++;
			}
			if (col + (unsigned)n > 96) {
				printf("\n   ");
				col = 3;
			}
			fputs(item, stdout);
			col += (unsigned)n;
		}
	printf("\n  sources promoted %s, denied %s times, released %s times\n",
	       grp((unsigned long long)get(e, "promoted"), s1, sizeof(s1)),
	       grp((unsigned long long)get(e, "denials"), s2, sizeof(s2)),
	       grp((unsigned long long)get(e, "released"), s3, sizeof(s3)));
	if (decode_bad || parse_bad)
		printf("  FAIL: %llu packets did not decode, %llu messages did not parse\n",
		       decode_bad, parse_bad);
	if (defects)
		printf("  note: %llu messages parsed with defects (sip_parse)\n", defects);

	printf("\nstate (sw_tracker_stats at the end of run 1): state-memory %.1f MiB, "
	       "trusted-share %.0f%%\n",
	       get(e, "state_memory") / 1048576.0, get(e, "trusted_share"));
	printf("  entries in use %s of %s slots: trusted %s, untrusted %s, denied %s\n",
	       grp((unsigned long long)entries, s1, sizeof(s1)),
	       grp((unsigned long long)cap, s2, sizeof(s2)),
	       grp((unsigned long long)trusted, s3, sizeof(s3)),
	       grp((unsigned long long)untrusted, s4, sizeof(s4)),
	       grp((unsigned long long)denied, s5, sizeof(s5)));
	printf("  (%s distinct sources; a registered phone has a trusted endpoint entry and its\n"
	       "  address entry); evicted: trusted %.0f, untrusted %.0f\n",
	       grp((unsigned long long)sources, s1, sizeof(s1)), get(e, "evicted_trusted"),
	       get(e, "evicted_untrusted"));
	printf("  bytes per entry (slot with its index): %.0f B; memory / slots: %.1f B; "
	       "memory / entries\n  in use: %.1f B (sized so that no pool is more than half full); "
	       "entries in use x %.0f B /\n  distinct sources: %.1f B (%.2f entries per source)\n",
	       bpe, per_slot, per_used, bpe, per_source, entries / sources);
	printf("  peak RSS: engine %.1f MiB, parse-only %.1f MiB (same generator): the engine "
	       "adds %.1f MiB\n",
	       f[M_ENGINE].rss_kib / 1024, f[M_PARSE].rss_kib / 1024,
	       (f[M_ENGINE].rss_kib - f[M_PARSE].rss_kib) / 1024);

	printf("\ntargets: >= 1M msgs/s per core: %s %s (per CPU-second: %s); <= 128 B per tracked "
	       "source:\n         %.0f B per entry %s (per distinct source %.0f B); legitimate "
	       "messages dropped: %llu %s\n",
	       si(f[M_ENGINE].rate, s1, sizeof(s1)), rate_ok ? "PASS" : "FAIL",
	       si(f[M_ENGINE].cpu_rate, s2, sizeof(s2)), bytes_fig, bytes_ok ? "PASS" : "FAIL",
	       per_source, legit_bad, legit_bad ? "FAIL" : "PASS");

	/* ---- JSON ---- */
	jnum("runs", nruns[M_ENGINE], 0);
	jstr("cpu", get_s(&cfg, "cpu") ? get_s(&cfg, "cpu") : "?");
	jnum("msgs", msgs, 0);
	jnum("legit_msgs", legit, 0);
	jnum("attack_msgs", attack, 0);
	jnum("attack_share", attack / msgs, 4);
	jnum("phones", get(&wl, "phones"), 0);
	jnum("phones_registered", get(&wl, "registered"), 0);
	jnum("attack_sources", get(&wl, "attack_sources"), 0);
	jnum("calls", get(&wl, "calls"), 0);
	jnum("engine_clock_s", clock_s, 1);
	jnum("payload_mean_bytes", pmean, 1);
	jnum("payload_min_bytes", get(&wl, "payload_min"), 0);
	jnum("payload_max_bytes", get(&wl, "payload_max"), 0);
	for (unsigned m = 0; m < M__COUNT; m++) {
		char k[96];
#define J(suffix, v, p)                                                                            \
	do {                                                                                       \
		snprintf(k, sizeof(k), "%s_" suffix, JNAME[m]);                                    \
		jnum(k, f[m].have ? (v) : NAN, p);                                                 \
	} while (0)
		J("msgs_per_sec", f[m].rate, 0);
		J("ns_per_msg", f[m].ns, 1);
		J("msgs_per_cpu_sec", f[m].cpu_rate, 0);
		J("core_share", f[m].share, 3);
		J("peak_rss_kib", f[m].rss_kib, 0);
		snprintf(k, sizeof(k), "%s_instr_per_msg", JNAME[m]);
		jnum(k, f[m].instr, 0);
#undef J
	}
	jnum("libosip2_sampled_msgs", f[M_OSIP].have ? f[M_OSIP].msgs : NAN, 0);
	jnum("engine_vs_parse", f[M_ENGINE].rate / f[M_PARSE].rate, 3);
	jnum("engine_instr_vs_parse", f[M_PARSE].instr / f[M_ENGINE].instr, 3);
	jnum("engine_vs_libosip2", f[M_OSIP].have ? f[M_ENGINE].rate / f[M_OSIP].rate : NAN, 2);
	jnum("engine_instr_vs_libosip2",
	     isnan(f[M_OSIP].instr) ? NAN : f[M_OSIP].instr / f[M_ENGINE].instr, 2);
	jnum("shield_ns_per_msg", f[M_ENGINE].ns - f[M_PARSE].ns, 1);
	jnum("shield_instr_per_msg", f[M_ENGINE].instr - f[M_PARSE].instr, 0);
	jnum("accepted", acc, 0);
	jnum("dropped", drop, 0);
	jnum("denied", deny, 0);
	jnum("legit_accepted", get(e, "legit_accept"), 0);
	jnum("legit_dropped", (double)legit_bad, 0);
	jnum("attack_accepted", get(e, "attack_accept"), 0);
	jnum("attack_dropped", get(e, "attack_drop"), 0);
	jnum("attack_denied", get(e, "attack_deny"), 0);
	for (unsigned i = 0; i < e->n; i++)
		if (strncmp(e->kv[i].key, "reason:", 7) == 0) {
			char k[96];
			snprintf(k, sizeof(k), "reason_%s", e->kv[i].key + 7);
			for (char *p = k; *p; p++)
				if (*p == '-')
					*p = '_';
			jnum(k, strtod(e->kv[i].val, NULL), 0);
		}
	jnum("sources_promoted", get(e, "promoted"), 0);
	jnum("source_denials", get(e, "denials"), 0);
	jnum("source_releases", get(e, "released"), 0);
	jnum("tracked_entries", entries, 0);
	jnum("tracked_trusted", trusted, 0);
	jnum("tracked_untrusted", untrusted, 0);
	jnum("tracked_denied", denied, 0);
	jnum("tracked_sources_distinct", sources, 0);
	jnum("capacity_trusted", get(e, "cap_trusted"), 0);
	jnum("capacity_untrusted", get(e, "cap_untrusted"), 0);
	jnum("evicted_trusted", get(e, "evicted_trusted"), 0);
	jnum("evicted_untrusted", get(e, "evicted_untrusted"), 0);
	jnum("state_memory_bytes", get(e, "state_memory"), 0);
	jnum("state_bytes", sbytes, 0);
	jnum("bytes_per_entry", bpe, 0);
	jnum("bytes_per_slot", per_slot, 1);
	jnum("bytes_per_used_entry", per_used, 1);
	jnum("bytes_per_distinct_source", per_source, 1);
	jnum("entries_per_distinct_source", entries / sources, 3);
	jnum("engine_extra_rss_kib", f[M_ENGINE].rss_kib - f[M_PARSE].rss_kib, 0);
	jnum("parse_defects", (double)defects, 0);
	jnum("target_msgs_per_sec", target_rate, 0);
	jnum("target_bytes_per_source", target_bytes, 0);
	jbool("target_msgs_met", rate_ok);
	jbool("target_bytes_met", bytes_ok);
	jbool("legit_ok", legit_bad == 0);
	jbool("target_met", rate_ok && bytes_ok && correct);
	printf("}\n");
	return correct ? 0 : 3;
}
