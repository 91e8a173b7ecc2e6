/*
 * sipwarden report: turn scan_sip files (ours, Shadowserver's, our JSON Lines; plain or gzip)
 * into answers: summary, chart, diff, split, enrich.
 *
 * One option table serves every subcommand (options are data: --help, the man-page check); each
 * subcommand says which options it takes and rejects the others. Reading and computing live in
 * src/report/; this file opens files, picks outputs, prints errors once and chooses the exit
 * status: 0 done, 1 done but some rows could not be parsed or some values were unusable (they
 * are counted and described, never dropped silently) or a file broke off part-way (corrupt or
 * truncated gzip: what was read before counts), 2 usage errors, a file that cannot be opened, a
 * column the subcommand needs that the file lacks, a bad mapping file or database.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_report.h"
#include "core/err.h"
#include "report/reader.h"
#include "report/summary.h"

static const struct sw_opt report_opts[] = {
	{"output", 'o', "PATH",
	 "write to PATH (default -: standard output); split: the directory to write into",
	 O_OUTPUT},
	{"json", 'j', NULL, "summary: one JSON object instead of text", O_JSON},
	{"top", 'n', "N", "summary, chart: entries per top list (default 10)", O_TOP},
	{"raw", 0, NULL, "summary: list raw User-Agent and Server values, versions unfolded",
	 O_RAW},
	{"title", 0, "TEXT", "chart: title of the chart (default: the file names)", O_TITLE},
	{"format", 'O', "FMT", "diff: text (default), csv or json (JSON Lines)", O_FORMAT},
	{"amp-change", 0, "PCT",
	 "diff: report an amplification change above PCT percent (default 25)", O_AMP_CHANGE},
	{"by", 0, "KEY", "split: asn, geo, or prefix=FILE (lines 'PREFIX [NAME]')", O_BY},
	SW_CMD_ENRICH_OPTS("enrich: ", O_ENRICH),
	{"quiet", 'q', NULL, "no notes on standard error (errors are still printed)", O_QUIET},
	{"help", 'h', NULL, "show this help", O_HELP},
	SW_OPT_END,
};

static int on_opt(void *ctx, int key, const char *v, char *err, size_t errlen)
{
	struct report_args *a = ctx;
	unsigned long long n;
	a->given |= 1u << key;
	if (key >= O_ENRICH && key < O_ENRICH + SW_CMD_EOPT__COUNT)
		return sw_cmd_enrich_opt(key - O_ENRICH, v, &a->enrich, err, errlen);
	switch (key) {
	case O_OUTPUT:
		a->output = v;
		return 0;
	case O_JSON:
		a->json = 1;
		return 0;
	case O_TOP:
		if (sw_parse_uint(v, 1, 1000, &n) != 0) {
			snprintf(err, errlen, "--top '%s': expected a whole number from 1 to 1000",
				 v);
			return SW_E_INVAL;
		}
		a->top = (unsigned)n;
		return 0;
	case O_RAW:
		a->raw = 1;
		return 0;
	case O_TITLE:
		a->title = v;
		return 0;
	case O_FORMAT:
		if (strcmp(v, "text") != 0 && strcmp(v, "csv") != 0 && strcmp(v, "json") != 0) {
			snprintf(err, errlen, "--format '%s': expected text, csv or json", v);
			return SW_E_INVAL;
		}
		a->format = v;
		return 0;
	case O_AMP_CHANGE:
		if (sw_parse_uint(v, 0, 100000, &n) != 0) {
			snprintf(err, errlen,
				 "--amp-change '%s': expected a whole percentage from 0 to 100000",
				 v);
			return SW_E_INVAL;
		}
		a->amp_change = (unsigned)n;
		return 0;
	case O_BY:
		if (strcmp(v, "asn") != 0 && strcmp(v, "geo") != 0 &&
		    (strncmp(v, "prefix=", 7) != 0 || !v[7])) {
			snprintf(err, errlen, "--by '%s': expected asn, geo or prefix=FILE", v);
			return SW_E_INVAL;
		}
		a->by = v;
		return 0;
	case O_QUIET:
		a->quiet = 1;
		return 0;
	case O_HELP:
		a->help = 1;
		return 0;
	}
	return SW_E_INVAL;
}

const struct sw_cmd sw_cmd_report;

void report_err(const char *sub, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "sipwarden report %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

FILE *report_open_out(const char *sub, const char *path, const char *mode)
{
	if (!path || strcmp(path, "-") == 0)
		return stdout;
	FILE *f = fopen(path, mode);
	if (!f)
		report_err(sub, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

int report_close_out(const char *sub, const char *path, FILE *f)
{
	int bad = ferror(f);
	if (f == stdout)
		bad |= fflush(f) != 0;
	else
		bad |= fclose(f) != 0;
	if (bad) {
		report_err(sub, "%s: write error",
			   path && strcmp(path, "-") ? path : "standard output");
		return SW_EXIT_USAGE;
	}
	return SW_EXIT_OK;
}

void report_note_bad(const char *sub, const struct sw_report_reader *r, int quiet)
{
	const struct sw_report_read_stats *st = sw_report_reader_stats(r);
	if (!st->bad_rows || quiet)
		return;
	report_err(sub, "%s: %" PRIu64 " row(s) could not be parsed and were skipped",
		   sw_report_reader_path(r), st->bad_rows);
	for (unsigned i = 0; i < st->nbad; i++)
		report_err(sub, "%s: %s", sw_report_reader_path(r), st->bad[i]);
}

/* Summary and chart share the reading: every file into one summary. 0, 1 or 2 as exit codes. */
int report_summarise(const char *sub, struct report_args *a, int nfiles, char **files,
		     struct sw_summary **ret)
{
	struct sw_summary *s = NULL;
	char err[512];
	int status = SW_EXIT_OK;
	(void)a;
	if (sw_summary_new(&s) != 0) {
		report_err(sub, "out of memory");
		return SW_EXIT_USAGE;
	}
	for (int i = 0; i < nfiles; i++) {
		struct sw_report_reader *r = NULL;
		if (sw_report_reader_open(files[i], &r, err, sizeof(err)) != 0 ||
		    sw_report_reader_need(r, sw_summary_need, 2, sub, err, sizeof(err)) != 0) {
			report_err(sub, "%s", err);
			sw_report_reader_free(r);
			sw_summary_free(s);
			return SW_EXIT_USAGE;
		}
		if (sw_summary_file_begin(s, r) != 0) {
			report_err(sub, "at most %u files", SW_SUMMARY_FILES_MAX);
			sw_report_reader_free(r);
			sw_summary_free(s);
			return SW_EXIT_USAGE;
		}
		if (sw_report_reader_run(r, sw_summary_row, s, err, sizeof(err)) != 0) {
			report_err(sub, "%s", err);
			status = SW_EXIT_PROBLEMS;
		}
		sw_summary_file_end(s, r);
		if (sw_report_reader_stats(r)->bad_rows)
			status = SW_EXIT_PROBLEMS;
		sw_report_reader_free(r);
	}
	if (sw_summary_value_problems(s))
		status = SW_EXIT_PROBLEMS;
	*ret = s;
	return status;
}

static int run_summary(struct report_args *a, int nfiles, char **files)
{
	struct sw_summary *s;
	int status = report_summarise("summary", a, nfiles, files, &s);
	if (status == SW_EXIT_USAGE)
		return status;
	FILE *out = report_open_out("summary", a->output, "w");
	if (!out) {
		sw_summary_free(s);
		return SW_EXIT_USAGE;
	}
	int rc = a->json ? sw_summary_json(s, out, a->top) :
			   sw_summary_text(s, out, a->top, a->raw);
	if (rc == SW_E_NOMEM)
		report_err("summary", "out of memory");
	int cs = report_close_out("summary", a->output, out);
	if (!a->quiet && !a->json && sw_summary_bad_rows(s))
		report_err("summary",
			   "%" PRIu64 " row(s) could not be parsed (listed under 'problems')",
			   sw_summary_bad_rows(s));
	sw_summary_free(s);
	return cs ? cs : rc ? SW_EXIT_USAGE : status;
}

struct sub {
	const char *name;
	const char *usage;
	unsigned opts; /* the options it takes (1 << O_x) */
	int min_files, max_files;
	int (*run)(struct report_args *a, int nfiles, char **files);
};

#define COMMON ((1u << O_OUTPUT) | (1u << O_QUIET) | (1u << O_HELP))
#define ENRICH (((1u << SW_CMD_EOPT__COUNT) - 1) << O_ENRICH)
_Static_assert(O_HELP < 32, "struct report_args.given and sub.opts hold one bit per option");

static const struct sub subs[] = {
	{"summary", "summary [--json] [--top N] [--raw] [-o FILE] FILE...",
	 COMMON | (1u << O_JSON) | (1u << O_TOP) | (1u << O_RAW), 1, 256, run_summary},
	{"chart", "chart [--top N] [--title TEXT] -o OUT.svg FILE...",
	 COMMON | (1u << O_TOP) | (1u << O_TITLE), 1, 256, report_run_chart},
	{"diff", "diff [--format text|csv|json] [--amp-change PCT] [-o FILE] OLD NEW",
	 COMMON | (1u << O_FORMAT) | (1u << O_AMP_CHANGE), 2, 2, report_run_diff},
	{"split", "split --by asn|geo|prefix=FILE -o DIR FILE...", COMMON | (1u << O_BY), 1, 256,
	 report_run_split},
	{"enrich",
	 "enrich [--rdns] [--resolver ADDR] [--asn-db FILE] [--city-db FILE] "
	 "[--sector-map FILE] IN OUT",
	 (1u << O_QUIET) | (1u << O_HELP) | ENRICH, 2, 2, report_run_enrich},
};
#define NSUBS (sizeof(subs) / sizeof(subs[0]))

static int run_report(int argc, char **argv)
{
	const struct sw_cmd *cmd = &sw_cmd_report;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		sw_cmd_usage(cmd, argc < 2 ? stderr : stdout);
		return argc < 2 ? SW_EXIT_USAGE : SW_EXIT_OK;
	}
	const struct sub *sub = NULL;
	for (size_t i = 0; i < NSUBS; i++)
		if (strcmp(subs[i].name, argv[1]) == 0)
			sub = &subs[i];
	if (!sub) {
		sw_cmd_err(cmd, "unknown subcommand '%s' (summary, chart, diff, split, enrich)",
			   argv[1]);
		return SW_EXIT_USAGE;
	}
	struct report_args a = {.top = 10, .amp_change = 25, .format = "text", .output = NULL};
	char err[512];
	int first = sw_opt_parse(report_opts, argc - 1, argv + 1, on_opt, &a, err, sizeof(err));
	if (first < 0) {
		report_err(sub->name, "%s", err);
		return SW_EXIT_USAGE;
	}
	if (a.help) {
		printf("Usage: sipwarden report %s\n\nOptions:\n", sub->usage);
		for (size_t i = 0; report_opts[i].name; i++)
			if (sub->opts & (1u << report_opts[i].key)) {
				struct sw_opt one[2] = {report_opts[i], SW_OPT_END};
				sw_opt_help(one, stdout);
			}
		return SW_EXIT_OK;
	}
	for (size_t i = 0; report_opts[i].name; i++)
		if ((a.given & (1u << report_opts[i].key)) &&
		    !(sub->opts & (1u << report_opts[i].key))) {
			report_err(sub->name, "option --%s does not apply to %s",
				   report_opts[i].name, sub->name);
			return SW_EXIT_USAGE;
		}
	int nfiles = argc - 1 - first;
	if (nfiles < sub->min_files || nfiles > sub->max_files) {
		report_err(sub->name, "usage: sipwarden report %s", sub->usage);
		return SW_EXIT_USAGE;
	}
	return sub->run(&a, nfiles, argv + 1 + first);
}

const struct sw_cmd sw_cmd_report = {
	.name = "report",
	.summary = "summarise, chart, compare, split and enrich scan_sip files",
	.synopsis = "report SUBCOMMAND [options] FILE...",
	.description =
		"Read scan_sip reports - ours, the CSV files Shadowserver sends to network owners\n"
		"(columns found by name, extra or missing ones tolerated), and our JSON Lines;\n"
		"plain or gzip - in one streaming pass each, and answer:\n"
		"  summary FILE...          responders, unique addresses, amplification mean, median,\n"
		"                           p90, p99, max and histogram, response bytes, status codes,\n"
		"                           top products (versions folded), ASNs, countries\n"
		"  chart FILE... -o X.svg   the same as a self-contained SVG\n"
		"  diff OLD NEW             new, gone and changed exposures (by ip and port)\n"
		"  split --by K FILE... -o DIR  one scan_sip CSV per ASN, country or owner prefix\n"
		"  enrich IN OUT            fill hostname, asn, geo, region, city, naics, sector\n"
		"'sipwarden report SUBCOMMAND --help' lists the options of one subcommand.\n"
		"Exit status: 0 done, 1 done but rows could not be parsed or a file broke off\n"
		"(counted and reported), 2 bad usage, unreadable file or missing column.",
	.opts = report_opts,
	.run = run_report,
};
