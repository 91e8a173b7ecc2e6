/*
 * Parser benchmark driver: linked with one adapter (see bench.h), run by bench/parse.
 *
 *   bench_parse_X corpus [DIR]        corpus summary lines; with DIR also write every message
 *   bench_parse_X check               parse every message once, print the extracted fields
 *   bench_parse_X time ALL SUB TYPE   one timing round: whole corpus for ALL CPU seconds, the
 *                                     ~500 B subset for SUB, each type for TYPE
 *   bench_parse_X instr N             under callgrind: instructions per message per subset
 *
 * Output lines are "word word number ..." so the script can collect them from several
 * processes and hand them to parse_report, which computes the medians and prints the table.
 */
#include "bench.h"
#include "corpus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <valgrind/callgrind.h>

/* Sum of the fields the adapters touch; written out so the compiler must compute it. */
volatile uint64_t bench_sink;

static double clock_sec(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void parse_or_die(const struct corpus *c, uint32_t i, uint64_t *sink)
{
	const struct corpus_msg *m = &c->msg[i];
	if (bench_parser_parse(m->buf, m->len, sink) == 0)
		return;
	/* "check" runs first and would have reported it; this is a parser that is not stable. */
	fprintf(stderr, "%s: message %u (%s) failed to parse during timing\n", bench_parser_name, i,
		corpus_type_name((enum corpus_type)m->type));
	exit(1);
}

/*
 * Parse the subset over and over for secs seconds of CPU time; returns CPU ns per message and
 * sets *share to CPU time / wall time.
 *
 * The clock is this thread's CPU time, not the wall clock: "messages per second on one core"
 * is messages per core-second, and on a shared machine a wall clock would also count the time
 * the scheduler gave the pinned core to someone else (a compiler in another shell doubles the
 * figures). *share tells how contended the core was; caches shared with other work can still
 * slow the parse, which the callgrind instruction counts do not suffer from.
 * The thread clock is a system call (~0.2 us), so it is read only every >= 256 messages.
 */
static double run_for(const struct corpus *c, const struct corpus_subset *s, double secs,
		      double *share)
{
	uint32_t passes = s->n >= 256 ? 1 : (256 + s->n - 1) / s->n;
	uint64_t sink = 0, n = 0;
	double w0 = clock_sec(CLOCK_MONOTONIC), t0 = clock_sec(CLOCK_THREAD_CPUTIME_ID), t;
	do {
		for (uint32_t r = 0; r < passes; r++)
			for (uint32_t k = 0; k < s->n; k++)
				parse_or_die(c, s->idx[k], &sink);
		n += (uint64_t)passes * s->n;
		t = clock_sec(CLOCK_THREAD_CPUTIME_ID);
	} while (t - t0 < secs);
	*share = (t - t0) / (clock_sec(CLOCK_MONOTONIC) - w0);
	bench_sink += sink;
	return (t - t0) * 1e9 / (double)n;
}

static int cmd_corpus(const struct corpus *c, const char *dir)
{
	for (unsigned i = 0; i < c->nsub; i++) {
		const struct corpus_subset *s = &c->sub[i];
		printf("corpus %s %u %.1f %u %u\n", s->name, s->n, s->mean_bytes, s->min_bytes,
		       s->max_bytes);
	}
	if (!dir)
		return 0;
	for (uint32_t i = 0; i < c->n; i++) {
		char path[4096];
		int n = snprintf(path, sizeof(path), "%s/%03u-%s.sip", dir, i,
				 corpus_type_name((enum corpus_type)c->msg[i].type));
		if (n < 0 || (size_t)n >= sizeof(path)) {
			fprintf(stderr, "corpus: path too long\n");
			return 1;
		}
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(c->msg[i].buf, 1, c->msg[i].len, f) != c->msg[i].len ||
		    fclose(f) != 0) {
			fprintf(stderr, "corpus: cannot write %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	return 0;
}

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

static int cmd_check(const struct corpus *c)
{
	unsigned bad = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		const struct corpus_msg *m = &c->msg[i];
		struct bench_fields f;
		char why[256] = "";
		uint64_t sink = 0;

		memset(&f, 0, sizeof(f));
		/* Both entry points must accept the message: the timed one and the checked one. */
		if (bench_parser_parse(m->buf, m->len, &sink) != 0 ||
		    bench_parser_fields(m->buf, m->len, &f, why, sizeof(why)) != 0) {
			fprintf(stderr, "%s: message %u (%s, %u bytes) rejected: %s\n",
				bench_parser_name, i, corpus_type_name((enum corpus_type)m->type),
				m->len, why[0] ? why : "parse error");
			bad++;
			continue;
		}
		printf("fields %u %s status=%u method=%s cseq=%u call-id=%s branch=%s "
		       "from-tag=%s to-tag=%s vias=%u body=%u\n",
		       i, corpus_type_name((enum corpus_type)m->type), f.status, or_dash(f.method),
		       f.cseq, or_dash(f.call_id), or_dash(f.branch), or_dash(f.from_tag),
		       or_dash(f.to_tag), f.via_count, f.body_len);
	}
	if (bad) {
		fprintf(stderr, "%s: %u of %u corpus messages did not parse\n", bench_parser_name,
			bad, c->n);
		return 1;
	}
	return 0;
}

static int cmd_time(const struct corpus *c, double all_s, double sub_s, double type_s)
{
	/* Warm-up: page in the code and the corpus, let the allocator reach its steady state and
	 * the CPU leave any low-power state before the first measured pass. */
	double share;
	run_for(c, &c->sub[0], 0.3, &share);

	for (unsigned i = 0; i < c->nsub; i++) {
		double secs = i == 0 ? all_s : i == 1 ? sub_s : type_s;
		double ns = run_for(c, &c->sub[i], secs, &share);
		printf("time %s %s %.2f %.3f\n", bench_parser_name, c->sub[i].name, ns, share);
	}
	return 0;
}

/*
 * Instructions per message, under callgrind started with --collect-atstart=no.
 *
 * Collection is switched on only around the parse loop of each subset and the counters are
 * dumped (and reset) at its end, so process start-up, corpus generation, library set-up and the
 * warm-up pass are not counted - without a second "zero iterations" baseline run. The count
 * includes everything the parse calls, malloc and free too: that is work the parser chose to do.
 * Each dump is labelled "instr SUBSET MESSAGES"; bench/parse divides its total by MESSAGES.
 */
static int cmd_instr(const struct corpus *c, unsigned n_all)
{
	if (!RUNNING_ON_VALGRIND)
		fprintf(stderr, "%s: instr mode outside valgrind measures nothing\n",
			bench_parser_name);
	for (unsigned i = 0; i < c->nsub; i++) {
		const struct corpus_subset *s = &c->sub[i];
		/* The type subsets are 24 messages; a quarter of the count still covers each
		 * several times and keeps the slow callgrind run short. */
		unsigned n = i < 2 ? n_all : n_all / 4;
		uint64_t sink = 0;
		char label[96];

		if (n < s->n)
			n = s->n;
		for (uint32_t k = 0; k < s->n; k++) /* warm: first-use paths of the allocator */
			parse_or_die(c, s->idx[k], &sink);
		snprintf(label, sizeof(label), "instr %s %u", s->name, n);
		CALLGRIND_ZERO_STATS;
		CALLGRIND_TOGGLE_COLLECT;
		for (unsigned k = 0; k < n; k++)
			parse_or_die(c, s->idx[k % s->n], &sink);
		CALLGRIND_TOGGLE_COLLECT;
		CALLGRIND_DUMP_STATS_AT(label);
		bench_sink += sink;
	}
	return 0;
}

/* Positive number argument; strtod because the project does not use atoi/atof. */
static double arg_num(const char *s, const char *what)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0)) {
		fprintf(stderr, "bench_parse: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

__attribute__((noreturn)) static void usage(void)
{
	fprintf(stderr,
		"usage: bench_parse_%s corpus [DIR] | check | time ALL SUB TYPE | "
		"instr N\n",
		bench_parser_name);
	exit(2);
}

int main(int argc, char **argv)
{
	struct corpus c;
	char why[256] = "";
	int rc;

	if (argc < 2)
		usage();
	if (corpus_build(&c) != 0)
		return 1;
	if (strcmp(argv[1], "corpus") == 0) {
		rc = cmd_corpus(&c, argc > 2 ? argv[2] : NULL);
		corpus_free(&c);
		return rc;
	}
	if (bench_parser_init(why, sizeof(why)) != 0) {
		fprintf(stderr, "%s: initialisation failed: %s\n", bench_parser_name, why);
		return 1;
	}
	if (strcmp(argv[1], "check") == 0 && argc == 2)
		rc = cmd_check(&c);
	else if (strcmp(argv[1], "time") == 0 && argc == 5)
		rc = cmd_time(&c, arg_num(argv[2], "seconds"), arg_num(argv[3], "seconds"),
			      arg_num(argv[4], "seconds"));
	else if (strcmp(argv[1], "instr") == 0 && argc == 3)
		rc = cmd_instr(&c, (unsigned)arg_num(argv[2], "message count"));
	else
		usage();
	if (bench_sink == 0x5eed) /* practically never; makes the sink observable */
		fprintf(stderr, "sink %llu\n", (unsigned long long)bench_sink);
	corpus_free(&c);
	return rc;
}
