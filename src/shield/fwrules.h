/*
 * The shield's firewall rules, as data.
 *
 * The shield sees SIP traffic only when the kernel hands it over through NFQUEUE: requests
 * arriving for the server (INPUT, destination port a SIP port) and the server's messages leaving
 * it (OUTPUT, source port a SIP port). These rules live in chains and tables of the shield's own,
 * so the operator's other rules are never touched:
 *
 *   iptables/ip6tables  chains SIPWARDEN-IN and SIPWARDEN-OUT in the filter table, jumped to
 *                       from the first position of INPUT and OUTPUT; one rule per port,
 *                       -j NFQUEUE --queue-balance A:B (--queue-num A for one worker), with
 *                       --queue-bypass when failing open (no listener: accept);
 *   nftables            table inet sipwarden with base chains on input and output and the same
 *                       matches, "queue num A-B [bypass]"; used only when the kernel can run
 *                       nft's queue statement (CONFIG_NFT_QUEUE), found out by trying it in a
 *                       throw-away table.
 *
 * Both balance a packet over the queues by a hash of its source and destination addresses
 * that is the same in both directions, so a remote party's requests and the server's answers
 * to it reach the same queue, hence the same worker and engine.
 *
 * A plan is the list of commands (argv arrays: run with posix_spawn, no shell) that installs or
 * removes the rules. Removal is idempotent: every command of it may fail (nothing to remove),
 * and install starts with a removal, so the leftovers of a crashed shield never double up.
 */
#ifndef SW_SHIELD_FWRULES_H
#define SW_SHIELD_FWRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sw_fw_backend { SW_FW_IPTABLES = 0, SW_FW_NFT };

#define SW_FW_MAX_PORTS 16
#define SW_FW_MAX_CMDS 160
#define SW_FW_MAX_ARGS 24
#define SW_FW_ARGBUF 384

/* What the rules must catch and where they send it. */
struct sw_fw_spec {
	uint16_t ports[SW_FW_MAX_PORTS]; /* the server's UDP SIP ports */
	unsigned nports;
	uint16_t queue_first; /* first queue number */
	unsigned nqueues;     /* queues queue_first .. queue_first + nqueues - 1 */
	bool fail_open;       /* bypass when no program listens on the queue */
};

/* One command: argv[0] is the program name ("iptables", "ip6tables", "nft"). */
struct sw_fw_cmd {
	char buf[SW_FW_ARGBUF]; /* the argument strings, NUL-separated */
	char *argv[SW_FW_MAX_ARGS + 1];
	unsigned argc;
	bool may_fail; /* removal steps: "nothing to remove" is not an error */
	bool ipv6;     /* an ip6tables command (skipped with a warning without IPv6) */
};

struct sw_fw_plan {
	struct sw_fw_cmd cmd[SW_FW_MAX_CMDS];
	unsigned n;
};

/* Backend names: "iptables", "nftables". */
const char *sw_fw_backend_name(enum sw_fw_backend b);

/* The commands that install spec's rules (a removal first). 0, SW_E_INVAL or SW_E_LIMIT. */
int sw_fw_plan_install(const struct sw_fw_spec *spec, enum sw_fw_backend b, struct sw_fw_plan *p);

/* The commands that remove the rules of backend b (each may fail). */
int sw_fw_plan_remove(enum sw_fw_backend b, struct sw_fw_plan *p);

/* The command as one shell-quoted line ("iptables -w -N SIPWARDEN-IN"). */
void sw_fw_cmd_format(const struct sw_fw_cmd *c, char *buf, size_t len);

/*
 * Run one command (posix_spawn, no shell; the program searched in PATH, then /usr/sbin and
 * /sbin), standard output discarded. Returns 0 when it exited 0; otherwise SW_E_IO with
 * the first line of its standard error (or why it could not run) in err.
 */
int sw_fw_run(const struct sw_fw_cmd *c, char *err, size_t errlen);

/*
 * Run a plan in order. A may_fail command's failure is ignored; an ip6tables command that
 * fails makes the remaining ip6tables commands be skipped (*ret_v6_skipped set, err says why:
 * a kernel or namespace without IPv6); any other failure stops and returns SW_E_IO with the
 * command and its error in err.
 */
int sw_fw_apply(const struct sw_fw_plan *p, bool *ret_v6_skipped, char *err, size_t errlen);

/* True when program name can be found (PATH, /usr/sbin, /sbin). */
bool sw_fw_have(const char *name);

/*
 * True when the kernel runs nft's queue statement: adds a rule "queue num 0 bypass" to a
 * regular (non-hooked, so no packet ever meets it) chain of a throw-away table inet
 * sipwarden-probe, then deletes the table. False when nft is missing or the rule is refused.
 */
bool sw_fw_nft_queue_supported(void);

#endif
