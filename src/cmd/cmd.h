/*
 * Subcommands. Each cmd_*.c defines one struct sw_cmd; main.c lists them. The cmd layer is the
 * only one that prints errors for users and picks exit codes (0 ok, 1 the work found problems or
 * could only partly be done, 2 usage or setup errors).
 */
#ifndef SW_CMD_CMD_H
#define SW_CMD_CMD_H

#include <stdio.h>

#include "core/opt.h"

enum { SW_EXIT_OK = 0, SW_EXIT_PROBLEMS = 1, SW_EXIT_USAGE = 2 };

struct sw_cmd {
	const char *name;
	const char *summary;  /* one line for "sipwarden help" */
	const char *synopsis; /* "inspect [options] FILE..." */
	const char *description;
	const struct sw_opt *opts;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

extern const struct sw_cmd sw_cmd_inspect;
extern const struct sw_cmd sw_cmd_scan;
extern const struct sw_cmd sw_cmd_report;
extern const struct sw_cmd sw_cmd_shield;

/* "sipwarden CMD --help" text from the command's table. */
void sw_cmd_usage(const struct sw_cmd *cmd, FILE *f);

/* Print "sipwarden CMD: message" on stderr. */
void sw_cmd_err(const struct sw_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
