/*
 * The shield's firewall rules (fwrules.h): commands built as argv arrays, run without a shell.
 *
 * Each command keeps its argument strings in its own buffer, so a plan is one flat value with no
 * allocation and can be printed (--no-rules) exactly as it would be run. Programs are run with
 * posix_spawn; their standard error goes to a pipe so that a failure is reported with the tool's
 * own words, their standard output to /dev/null.
 */
#include "shield/fwrules.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"

extern char **environ;

#define CHAIN_IN "SIPWARDEN-IN"
#define CHAIN_OUT "SIPWARDEN-OUT"
#define NFT_TABLE "sipwarden"

const char *sw_fw_backend_name(enum sw_fw_backend b)
{
	return b == SW_FW_NFT ? "nftables" : "iptables";
}

/* Start a new command in p; NULL when the plan is full. */
static struct sw_fw_cmd *cmd_new(struct sw_fw_plan *p, bool may_fail)
{
	if (p->n >= SW_FW_MAX_CMDS)
		return NULL;
	struct sw_fw_cmd *c = &p->cmd[p->n++];
	memset(c, 0, sizeof(*c));
	c->may_fail = may_fail;
	return c;
}

/* Append the NULL-terminated argument list to c; SW_E_LIMIT when it does not fit. */
static int cmd_args(struct sw_fw_cmd *c, ...)
{
	size_t used = 0;
	for (unsigned i = 0; i < c->argc; i++)
		used += strlen(c->argv[i]) + 1;
	va_list ap;
	va_start(ap, c);
	const char *a;
	int rc = 0;
	while ((a = va_arg(ap, const char *)) != NULL) {
		size_t n = strlen(a);
		if (c->argc >= SW_FW_MAX_ARGS || used + n + 1 > sizeof(c->buf)) {
			rc = SW_E_LIMIT;
			break;
		}
		memcpy(c->buf + used, a, n + 1);
		c->argv[c->argc++] = c->buf + used;
		used += n + 1;
	}
	va_end(ap);
	c->argv[c->argc] = NULL;
	return rc;
}

static int plan_remove_xt(struct sw_fw_plan *p, const char *prog)
{
	static const char *const steps[][4] = {
		{"-D", "INPUT", "-j", CHAIN_IN}, {"-D", "OUTPUT", "-j", CHAIN_OUT},
		{"-F", CHAIN_IN, NULL, NULL},    {"-X", CHAIN_IN, NULL, NULL},
		{"-F", CHAIN_OUT, NULL, NULL},   {"-X", CHAIN_OUT, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct sw_fw_cmd *c = cmd_new(p, true);
		if (!c)
			return SW_E_LIMIT;
		int rc = steps[i][2] ?
				 cmd_args(c, prog, "-w", steps[i][0], steps[i][1], steps[i][2],
					  steps[i][3], (char *)NULL) :
				 cmd_args(c, prog, "-w", steps[i][0], steps[i][1], (char *)NULL);
		if (rc)
			return rc;
		c->ipv6 = prog[2] == '6';
	}
	return 0;
}

static int plan_remove_nft(struct sw_fw_plan *p)
{
	struct sw_fw_cmd *c = cmd_new(p, true);
	if (!c)
		return SW_E_LIMIT;
	return cmd_args(c, "nft", "delete", "table", "inet", NFT_TABLE, (char *)NULL);
}

int sw_fw_plan_remove(enum sw_fw_backend b, struct sw_fw_plan *p)
{
	p->n = 0;
	if (b == SW_FW_NFT)
		return plan_remove_nft(p);
	int rc = plan_remove_xt(p, "iptables");
	return rc ? rc : plan_remove_xt(p, "ip6tables");
}

/* The NFQUEUE target's options: --queue-num A or --queue-balance A:B, and --queue-bypass. */
static int xt_target(struct sw_fw_cmd *c, const struct sw_fw_spec *s)
{
	char q[32];
	int rc;
	if (s->nqueues == 1) {
		snprintf(q, sizeof(q), "%u", s->queue_first);
		rc = cmd_args(c, "-j", "NFQUEUE", "--queue-num", q, (char *)NULL);
	} else {
		snprintf(q, sizeof(q), "%u:%u", s->queue_first, s->queue_first + s->nqueues - 1);
		rc = cmd_args(c, "-j", "NFQUEUE", "--queue-balance", q, (char *)NULL);
	}
	if (!rc && s->fail_open)
		rc = cmd_args(c, "--queue-bypass", (char *)NULL);
	return rc;
}

static int plan_install_xt(const struct sw_fw_spec *s, struct sw_fw_plan *p, const char *prog)
{
	bool v6 = prog[2] == '6';
	struct sw_fw_cmd *c;
	int rc;
	const char *chains[2] = {CHAIN_IN, CHAIN_OUT};
	for (int i = 0; i < 2; i++) {
		if (!(c = cmd_new(p, false)))
			return SW_E_LIMIT;
		c->ipv6 = v6;
		if ((rc = cmd_args(c, prog, "-w", "-N", chains[i], (char *)NULL)))
			return rc;
	}
	for (int i = 0; i < 2; i++) {
		for (unsigned k = 0; k < s->nports; k++) {
			char port[8];
			snprintf(port, sizeof(port), "%u", s->ports[k]);
			if (!(c = cmd_new(p, false)))
				return SW_E_LIMIT;
			c->ipv6 = v6;
			rc = cmd_args(c, prog, "-w", "-A", chains[i], "-p", "udp",
				      i == 0 ? "--dport" : "--sport", port, (char *)NULL);
			if (rc || (rc = xt_target(c, s)))
				return rc;
		}
	}
	const char *hooks[2] = {"INPUT", "OUTPUT"};
	for (int i = 0; i < 2; i++) {
		if (!(c = cmd_new(p, false)))
			return SW_E_LIMIT;
		c->ipv6 = v6;
		if ((rc = cmd_args(c, prog, "-w", "-I", hooks[i], "1", "-j", chains[i],
				   (char *)NULL)))
			return rc;
	}
	return 0;
}

/* "udp dport 5060 queue num 50600-50601 bypass" (a set for several ports). */
static int nft_rule(const struct sw_fw_spec *s, const char *dir, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "udp %s ", dir);
	if (s->nports > 1)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "{ ");
	for (unsigned k = 0; k < s->nports; k++)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%u", k ? ", " : "",
				      s->ports[k]);
	if (s->nports > 1)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " }");
	if (s->nqueues == 1)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " queue num %u",
				      s->queue_first);
	else
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " queue num %u-%u",
				      s->queue_first, s->queue_first + s->nqueues - 1);
	if (s->fail_open)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " bypass");
	return n < len ? 0 : SW_E_LIMIT;
}

static int plan_install_nft(const struct sw_fw_spec *s, struct sw_fw_plan *p)
{
	struct sw_fw_cmd *c;
	int rc;
	if (!(c = cmd_new(p, false)))
		return SW_E_LIMIT;
	if ((rc = cmd_args(c, "nft", "add", "table", "inet", NFT_TABLE, (char *)NULL)))
		return rc;
	static const char *const chains[2][2] = {
		{"in", "{ type filter hook input priority -10 ; policy accept ; }"},
		{"out", "{ type filter hook output priority -10 ; policy accept ; }"},
	};
	for (int i = 0; i < 2; i++) {
		if (!(c = cmd_new(p, false)))
			return SW_E_LIMIT;
		if ((rc = cmd_args(c, "nft", "add", "chain", "inet", NFT_TABLE, chains[i][0],
				   chains[i][1], (char *)NULL)))
			return rc;
	}
	for (int i = 0; i < 2; i++) {
		char rule[256];
		if ((rc = nft_rule(s, i == 0 ? "dport" : "sport", rule, sizeof(rule))))
			return rc;
		if (!(c = cmd_new(p, false)))
			return SW_E_LIMIT;
		if ((rc = cmd_args(c, "nft", "add", "rule", "inet", NFT_TABLE, chains[i][0], rule,
				   (char *)NULL)))
			return rc;
	}
	return 0;
}

int sw_fw_plan_install(const struct sw_fw_spec *s, enum sw_fw_backend b, struct sw_fw_plan *p)
{
	if (s->nports == 0 || s->nports > SW_FW_MAX_PORTS || s->nqueues == 0 ||
	    (unsigned)s->queue_first + s->nqueues - 1 > 65535)
		return SW_E_INVAL;
	int rc = sw_fw_plan_remove(b, p);
	if (rc)
		return rc;
	if (b == SW_FW_NFT)
		return plan_install_nft(s, p);
	rc = plan_install_xt(s, p, "iptables");
	return rc ? rc : plan_install_xt(s, p, "ip6tables");
}

/* An argument a POSIX shell takes as one word without quotes. */
static bool shell_plain(const char *a)
{
	if (!*a)
		return false;
	for (; *a; a++)
		if (!((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') ||
		      (*a >= '0' && *a <= '9') || strchr("-_./:=,+@%", *a)))
			return false;
	return true;
}

void sw_fw_cmd_format(const struct sw_fw_cmd *c, char *buf, size_t len)
{
	size_t n = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < c->argc && n < len; i++) {
		const char *a = c->argv[i];
		if (shell_plain(a)) {
			n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", a);
			continue;
		}
		n += (size_t)snprintf(buf + n, len - n, "%s'", i ? " " : "");
		for (; *a && n < len; a++) {
			if (*a == '\'')
				n += (size_t)snprintf(buf + n, len - n, "'\\''");
			else
				n += (size_t)snprintf(buf + n, len - n, "%c", *a);
		}
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, "'");
	}
}

/* The full path of program name in PATH, /usr/sbin or /sbin (iptables lives in sbin, which a
 * service's or a test's PATH may lack). */
static bool find_prog(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	const char *d = dirs;
	while (*d) {
		size_t dl = strcspn(d, ":");
		if (dl > 0 && (size_t)snprintf(buf, len, "%.*s/%s", (int)dl, d, name) < len &&
		    access(buf, X_OK) == 0)
			return true;
		d += dl;
		if (*d == ':')
			d++;
	}
	return false;
}

bool sw_fw_have(const char *name)
{
	char p[1024];
	return find_prog(name, p, sizeof(p));
}

int sw_fw_run(const struct sw_fw_cmd *c, char *err, size_t errlen)
{
	char prog[1024], line[512];
	if (errlen)
		err[0] = '\0';
	if (c->argc == 0)
		return SW_E_INVAL;
	if (!find_prog(c->argv[0], prog, sizeof(prog))) {
		snprintf(err, errlen, "%s: not found (install it, or run with --no-rules)",
			 c->argv[0]);
		return SW_E_IO;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return SW_E_IO;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	pid_t pid;
	int src = posix_spawn(&pid, prog, &fa, NULL, c->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (src != 0) {
		close(pfd[0]);
		snprintf(err, errlen, "%s: %s", prog, strerror(src));
		return SW_E_IO;
	}
	/* Keep the first line of its standard error; read to the end so it never blocks. */
	size_t got = 0;
	char chunk[512];
	ssize_t r;
	while ((r = read(pfd[0], chunk, sizeof(chunk))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		size_t k = (size_t)r;
		if (got + k >= sizeof(line))
			k = sizeof(line) - 1 - got;
		memcpy(line + got, chunk, k);
		got += k;
	}
	close(pfd[0]);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return SW_E_IO;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(err, errlen, "exit status %d%s%s", WEXITSTATUS(status), got ? ": " : "",
			 line);
	else
		snprintf(err, errlen, "killed by signal %d", WTERMSIG(status));
	return SW_E_IO;
}

int sw_fw_apply(const struct sw_fw_plan *p, bool *ret_v6_skipped, char *err, size_t errlen)
{
	bool skip6 = false;
	char e[512], cmd[1024];
	for (unsigned i = 0; i < p->n; i++) {
		const struct sw_fw_cmd *c = &p->cmd[i];
		if (c->ipv6 && skip6)
			continue;
		if (sw_fw_run(c, e, sizeof(e)) == 0 || c->may_fail)
			continue;
		sw_fw_cmd_format(c, cmd, sizeof(cmd));
		if (c->ipv6) {
			skip6 = true;
			snprintf(err, errlen, "%s: %s", cmd, e);
			continue;
		}
		snprintf(err, errlen, "%s: %s", cmd, e);
		return SW_E_IO;
	}
	if (ret_v6_skipped)
		*ret_v6_skipped = skip6;
	return 0;
}

bool sw_fw_nft_queue_supported(void)
{
	static const char *const steps[][8] = {
		{"nft", "add", "table", "inet", "sipwarden-probe", NULL},
		{"nft", "add", "chain", "inet", "sipwarden-probe", "probe", NULL},
		{"nft", "add", "rule", "inet", "sipwarden-probe", "probe", "queue num 0 bypass",
		 NULL},
	};
	if (!sw_fw_have("nft"))
		return false;
	struct sw_fw_plan *p = calloc(1, sizeof(*p));
	if (!p)
		return false;
	bool ok = true;
	char e[256];
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && ok; i++) {
		struct sw_fw_cmd *c = cmd_new(p, false);
		for (size_t k = 0; steps[i][k] && ok; k++)
			ok = cmd_args(c, steps[i][k], (char *)NULL) == 0;
		ok = ok && sw_fw_run(c, e, sizeof(e)) == 0;
	}
	struct sw_fw_cmd *c = cmd_new(p, true);
	if (cmd_args(c, "nft", "delete", "table", "inet", "sipwarden-probe", (char *)NULL) == 0)
		sw_fw_run(c, e, sizeof(e));
	free(p);
	return ok;
}
