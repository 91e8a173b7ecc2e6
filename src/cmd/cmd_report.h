/*
 * The parts of `sipwarden report` shared by its files: cmd_report.c (options, dispatch, summary)
 * and cmd_report_*.c (one per larger subcommand).
 */
#ifndef SW_CMD_CMD_REPORT_H
#define SW_CMD_CMD_REPORT_H

#include <stdarg.h>
#include <stdio.h>

#include "cmd/enrich_opts.h"
#include "report/reader.h"
#include "report/summary.h"

enum {
	O_OUTPUT = 1,
	O_JSON,
	O_TOP,
	O_RAW,
	O_TITLE,
	O_FORMAT,
	O_AMP_CHANGE,
	O_BY,
	O_ENRICH, /* the SW_CMD_EOPT__COUNT keys of cmd/enrich_opts.h */
	O_QUIET = O_ENRICH + SW_CMD_EOPT__COUNT,
	O_HELP,
};

struct report_args {
	const char *output, *title, *format, *by;
	struct sw_enrich_opts enrich; /* enrich's options; warn is set when it runs */
	unsigned top, amp_change;
	int json, raw, quiet, help;
	unsigned given; /* 1 << O_x for each option seen */
};

/* "sipwarden report SUB: message" on standard error. */
void report_err(const char *sub, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Open an output ("-" or NULL: standard output); prints the error and returns NULL. */
FILE *report_open_out(const char *sub, const char *path, const char *mode);

/* Flush/close it; SW_EXIT_OK or, after printing the error, SW_EXIT_USAGE. */
int report_close_out(const char *sub, const char *path, FILE *f);

/* Print how many rows of r could not be parsed, and the first ones (unless quiet). */
void report_note_bad(const char *sub, const struct sw_report_reader *r, int quiet);

/* Read every file into one summary; an exit status (2: *ret not set). */
int report_summarise(const char *sub, struct report_args *a, int nfiles, char **files,
		     struct sw_summary **ret);

int report_run_chart(struct report_args *a, int nfiles, char **files);
int report_run_diff(struct report_args *a, int nfiles, char **files);
int report_run_split(struct report_args *a, int nfiles, char **files);
int report_run_enrich(struct report_args *a, int nfiles, char **files);

#endif
