/*
 * Giving up privileges once the shield is set up.
 *
 * Setup needs root: binding the queues, installing firewall rules, loading an XDP program,
 * creating the control socket. Running needs far less: CAP_NET_ADMIN (verdicts go over
 * nfnetlink, which checks it on every message; nft set updates; removing the rules at exit,
 * which runs iptables), CAP_NET_RAW (iptables opens raw sockets on some backends) and, with
 * the XDP deny backend, CAP_BPF and CAP_PERFMON (the program is loaded after the drop, and map
 * updates go through bpf(2), closed to unprivileged users; the verifier wants CAP_PERFMON to
 * treat the loader as privileged).
 * Everything else goes, from the effective, permitted, inheritable and bounding sets, and
 * no_new_privs is set.
 *
 * With a user, the process also switches to that user and its primary group (supplementary
 * groups dropped); the capabilities kept become ambient as well, so that the iptables run at
 * exit still has CAP_NET_ADMIN. Without one, it stays uid 0 with those capabilities only: it
 * can still write root's files it owns (the state file, the logs) but can no longer override
 * permissions, load modules, ptrace, mount, and so on.
 */
#ifndef SW_SHIELD_PRIVDROP_H
#define SW_SHIELD_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Look up user: 0 with its uid and primary gid, or SW_E_NOTFOUND with err naming it. */
int sw_privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/*
 * Drop to CAP_NET_ADMIN + CAP_NET_RAW (+ CAP_BPF, CAP_PERFMON when keep_bpf), as user when user is
 * non-empty. 0, or SW_E_* with err saying what failed. Process-wide: call it while the process
 * has one thread, or know that libcap-ng applies it to the calling thread only (this code calls
 * it before the workers start).
 */
int sw_privdrop(const char *user, bool keep_bpf, char *err, size_t errlen);

/* The capabilities the process holds now, as text ("net_admin, net_raw"), for the log. */
void sw_privdrop_describe(char *buf, size_t len);

#endif
