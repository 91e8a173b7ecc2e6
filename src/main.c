/*
 * sipwarden: one binary, subcommands. This file only dispatches; each command lives in
 * src/cmd/cmd_<name>.c with its options as a table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

static const struct sw_cmd *const commands[] = {
	&sw_cmd_scan,
	&sw_cmd_inspect,
	&sw_cmd_shield,
	&sw_cmd_report,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

void sw_cmd_usage(const struct sw_cmd *cmd, FILE *f)
{
	fprintf(f, "Usage: sipwarden %s\n\n%s\n\nOptions:\n", cmd->synopsis, cmd->description);
	sw_opt_help(cmd->opts, f);
}

void sw_cmd_err(const struct sw_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "sipwarden %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fputs("Usage: sipwarden COMMAND [options] [arguments]\n"
	      "       sipwarden COMMAND --help\n"
	      "       sipwarden --version\n\n"
	      "SIP security toolkit: exposure scanning and scanner mitigation.\n\n"
	      "Commands:\n",
	      f);
	fprintf(f, "  %-10s %s\n", "help", "show this text, or a command's help (help COMMAND)");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\nSee sipwarden(1) for details.\n", f);
}

static const struct sw_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SW_EXIT_USAGE;
	}
	const char *c = argv[1];
	if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0 || strcmp(c, "version") == 0) {
		printf("sipwarden %s\n", SW_VERSION);
		return SW_EXIT_OK;
	}
	if (strcmp(c, "help") == 0 || strcmp(c, "--help") == 0 || strcmp(c, "-h") == 0) {
		if (argc > 2 && strcmp(c, "help") == 0) {
			const struct sw_cmd *cmd = find(argv[2]);
			if (!cmd) {
				fprintf(stderr, "sipwarden: unknown command '%s'\n", argv[2]);
				return SW_EXIT_USAGE;
			}
			sw_cmd_usage(cmd, stdout);
			return SW_EXIT_OK;
		}
		usage(stdout);
		return SW_EXIT_OK;
	}
	const struct sw_cmd *cmd = find(c);
	if (!cmd) {
		fprintf(stderr, "sipwarden: unknown command '%s' (try 'sipwarden help')\n", c);
		return SW_EXIT_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}
