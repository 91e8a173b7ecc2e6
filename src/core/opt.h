/*
 * Command-line options as data.
 *
 * Each subcommand declares one table of struct sw_opt; from it come the getopt_long tables, the
 * --help text, and the list the man-page check compares with doc/sipwarden.1.scd. Parsing
 * never exits and never prints: it returns an error and a message for the cmd_ layer to print.
 */
#ifndef SW_CORE_OPT_H
#define SW_CORE_OPT_H

#include <stdio.h>

struct sw_opt {
	const char *name; /* long name without "--" */
	char short_name;  /* 0 when none */
	const char *arg;  /* argument placeholder ("N", "FILE") or NULL for a flag */
	const char *help; /* one line */
	int key;          /* value handed to the callback */
};

/* Kept on one line: clang-format 14 would split a braced list in a macro over four. */
// clang-format off
#define SW_OPT_END {NULL, 0, NULL, NULL, 0}
// clang-format on

/* Called for each option found; value is NULL for flags. Return 0 or a negative code. */
typedef int (*sw_opt_cb)(void *ctx, int key, const char *value, char *err, size_t errlen);

/*
 * Parse argv with the table. On success returns the index of the first operand. On error returns
 * a negative code with a message in err ("unknown option '--x'", "option '--limit-line' needs a
 * value", or the callback's message).
 */
int sw_opt_parse(const struct sw_opt *opts, int argc, char **argv, sw_opt_cb cb, void *ctx,
		 char *err, size_t errlen);

/* Print the options part of a --help text, aligned. */
void sw_opt_help(const struct sw_opt *opts, FILE *f);

/* Parse a decimal unsigned integer in [min, max]; 0 or SW_E_RANGE/SW_E_SYNTAX. */
int sw_parse_uint(const char *s, unsigned long long min, unsigned long long max,
		  unsigned long long *ret);

#endif
