/*
 * bench/engine driver: generate the workload chunk by chunk and replay each chunk through one
 * backend (replay.h), timing the replay only.
 *
 *   bench_engine run MODE MSGS [EVERY]   replay MSGS messages through MODE; with EVERY > 1 only
 *                                        every EVERY-th chunk is replayed (the rest are still
 *                                        generated, so the mix is the same: for slow peers)
 *   bench_engine instr MODE MSGS         the same under callgrind (--collect-atstart=no):
 *                                        collection is on only inside the replay calls
 *
 * Output: "wl ..." lines describing the workload, then one line
 *   run mode=MODE msgs=N wall_s=... cpu_s=... maxrss_kib=... legit_accept=... ...
 * of " key=value" figures for bench/engine.d/engine_report.c to collect.
 *
 * Time: CLOCK_MONOTONIC around each chunk's replay loop, summed (the figure the table reports),
 * and CLOCK_THREAD_CPUTIME_ID the same way, whose ratio tells how much of the replay time the
 * pinned core really ran this process. Generation never runs inside a timed region.
 */
#include "replay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <valgrind/callgrind.h>

#include "workload.h"

#define CHUNK 65536u
#define SEED 0x5e1f5eedc0ffee01ULL

static double now(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t arg_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v == 0) {
		fprintf(stderr, "bench_engine: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void print_workload(const struct wl *w)
{
	const struct wl_summary *s = wl_summary(w);

	printf("wl msgs=%llu legit=%llu attack=%llu out=%llu phones=%u registered=%u "
	       "attack_sources=%u calls=%llu payload_bytes=%llu payload_min=%u payload_max=%u "
	       "first_ms=%llu last_ms=%llu\n",
	       (unsigned long long)s->msgs, (unsigned long long)s->legit,
	       (unsigned long long)s->attack, (unsigned long long)s->out, s->phones,
	       s->phones_registered, s->attack_sources, (unsigned long long)s->calls,
	       (unsigned long long)s->payload_bytes, s->payload_min, s->payload_max,
	       (unsigned long long)s->first_ms, (unsigned long long)s->last_ms);
	for (unsigned k = 0; k < WL_KIND__COUNT; k++)
		printf("wl_kind %llu %s\n", (unsigned long long)s->by_kind[k],
		       wl_kind_name((enum wl_kind)k));
	for (unsigned t = 0; t < WL_TOOLS; t++)
		printf("wl_tool %s %llu %llu\n", wl_tool_name((enum wl_tool)t),
		       (unsigned long long)s->campaigns[t], (unsigned long long)s->variants[t]);
}

int main(int argc, char **argv)
{
	const struct backend *be = NULL;
	struct wl_cfg cfg = {0};
	struct replay_counts rc = {0};
	struct wl *w;
	struct wl_chunk *c;
	uint64_t every = 1, chunks = 0;
	double wall = 0, cpu = 0;
	bool instr;
	char err[512] = "";
	struct rusage ru;

	if (argc < 4 || (strcmp(argv[1], "run") && strcmp(argv[1], "instr"))) {
		fprintf(stderr, "usage: bench_engine run|instr MODE MSGS [EVERY]\n");
		return 2;
	}
	instr = strcmp(argv[1], "instr") == 0;
	for (const struct backend *const *b = replay_backends; *b; b++)
		if (strcmp((*b)->name, argv[2]) == 0)
			be = *b;
	if (!be) {
		fprintf(stderr, "bench_engine: mode '%s' is not in this binary\n", argv[2]);
		return 2;
	}
	cfg.msgs = arg_u64(argv[3], "message count");
	if (argc > 4)
		every = arg_u64(argv[4], "chunk sampling");
	if (getenv("SW_BENCH_PHONES"))
		cfg.phones = (uint32_t)arg_u64(getenv("SW_BENCH_PHONES"), "SW_BENCH_PHONES");
	cfg.seed = SEED;
	if (instr && !RUNNING_ON_VALGRIND)
		fprintf(stderr, "bench_engine: instr mode outside valgrind measures nothing\n");

	w = wl_new(&cfg);
	c = wl_chunk_new(CHUNK);
	if (!w || !c) {
		fprintf(stderr, "bench_engine: out of memory\n");
		return 1;
	}
	if (be->init(w, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_engine: %s: set-up failed: %s\n", be->name, err);
		return 1;
	}

	while (wl_fill(w, c) > 0) {
		if (chunks++ % every)
			continue;
		if (instr) {
			CALLGRIND_TOGGLE_COLLECT;
			be->replay(c, &rc);
			CALLGRIND_TOGGLE_COLLECT;
			continue;
		}
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
		be->replay(c, &rc);
		double c1 = now(CLOCK_THREAD_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
		wall += w1 - w0;
		cpu += c1 - c0;
	}
	if (instr) {
		char label[96];
		snprintf(label, sizeof(label), "instr %s %llu", be->name,
			 (unsigned long long)rc.msgs);
		CALLGRIND_DUMP_STATS_AT(label);
	}
	getrusage(RUSAGE_SELF, &ru);

	print_workload(w);
	printf("run mode=%s msgs=%llu every=%llu wall_s=%.6f cpu_s=%.6f maxrss_kib=%ld "
	       "decode_errors=%llu parse_errors=%llu parse_defects=%llu legit_accept=%llu "
	       "legit_drop=%llu legit_deny=%llu attack_accept=%llu attack_drop=%llu "
	       "attack_deny=%llu sink=%llu",
	       be->name, (unsigned long long)rc.msgs, (unsigned long long)every, wall, cpu,
	       ru.ru_maxrss, (unsigned long long)rc.decode_errors,
	       (unsigned long long)rc.parse_errors, (unsigned long long)rc.parse_defects,
	       (unsigned long long)rc.legit[0], (unsigned long long)rc.legit[1],
	       (unsigned long long)rc.legit[2], (unsigned long long)rc.attack[0],
	       (unsigned long long)rc.attack[1], (unsigned long long)rc.attack[2],
	       (unsigned long long)(rc.sink & 0xff));
	be->report(stdout);
	printf("\n");
	be->fini();
	wl_chunk_free(c);
	wl_free(w);
	return 0;
}
