/*
 * The shield's control socket: `sipwarden shield status|list|block|unblock` talk to the running
 * daemon through a Unix stream socket (control-socket), guarded by file permissions: mode 0600
 * owned by the daemon's user, or 0660 with the control-group's group.
 *
 * Protocol, one request per connection:
 *   client -> daemon   one line, at most SW_CONTROL_LINE_MAX bytes before the '\n':
 *                        status
 *                        list
 *                        block ADDR[/PLEN] [SECS]      SECS 0 or absent: the realm's deny-period
 *                        unblock ADDR[/PLEN]
 *                        version
 *                      words separated by spaces or tabs; a trailing CR is ignored
 *   daemon -> client   any number of text lines, then the status as the very last line:
 *                        "ok", or "error: <why>"
 *                      and the daemon closes the connection.
 * The last line of the reply is the status whatever the lines before it hold, so a reply line
 * that happens to read "ok" cannot fool the client; a reply that ends without a status line
 * (the daemon died) is an error.
 *
 * Versions: "version" answers "sipwarden-control 1" and ok. The protocol only grows: a later
 * version adds verbs or optional trailing words and never changes what an existing request
 * means, so a newer client asks "version" when it needs something new, and an older daemon
 * answers an unknown verb with "error: unknown request 'VERB' ...", never silently.
 *
 * The daemon stays in charge of time: it reads a request with a deadline of
 * SW_CONTROL_READ_MS (a client that connects and sends nothing costs it at most that) and writes
 * the reply with a deadline of SW_CONTROL_WRITE_MS. No threads here: the daemon polls
 * sw_control_fd() with its other descriptors and calls sw_control_serve_one() when it is
 * readable.
 */
#ifndef SW_SHIELD_CONTROL_H
#define SW_SHIELD_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "net/addr.h"

#define SW_CONTROL_VERSION 1
#define SW_CONTROL_LINE_MAX 512
#define SW_CONTROL_READ_MS 1000
#define SW_CONTROL_WRITE_MS 5000
/* Longest block a request may ask for: ten years, so deadlines in ms never overflow. */
#define SW_CONTROL_MAX_SECONDS (10ull * 366 * 24 * 3600)

enum sw_control_op {
	SW_CTL_STATUS = 0,
	SW_CTL_LIST,
	SW_CTL_BLOCK,
	SW_CTL_UNBLOCK,
	SW_CTL_VERSION, /* answered by the server itself; the handler never sees it */
};

/* A parsed request, plus who sent it (for the daemon's log). */
struct sw_control_req {
	enum sw_control_op op;
	struct sw_endpoint addr; /* block, unblock: the prefix's first address; port 0 */
	uint8_t plen;            /* block, unblock: prefix length (32 or 128 for one address) */
	uint64_t seconds;        /* block: how long; 0 = the realm's deny-period */
	/* the peer, from SO_PEERCRED; -1 when unknown (sw_control_parse leaves them so) */
	pid_t peer_pid;
	uid_t peer_uid;
	gid_t peer_gid;
};

/*
 * Parse one request line of len bytes (no NUL needed; a trailing "\n" or "\r\n" is ignored).
 * Returns 0 and fills *ret, or SW_E_SYNTAX (unknown verb, wrong word count), SW_E_ADDR (bad
 * address or prefix; ranges are refused), SW_E_RANGE (SECS too large) with a message in err
 * that quotes the line. The client side may call it to check a request before sending it.
 */
int sw_control_parse(const char *line, size_t len, struct sw_control_req *ret, char *err,
		     size_t errlen);

/* Name of an op as the protocol spells it ("status", "block", ...). */
const char *sw_control_op_name(enum sw_control_op op);

/*
 * What the daemon does for one request: write the reply's lines to out (no status line: the
 * server adds it) and return 0 for "ok", or a negative code for "error: <err>" (when err is
 * left empty, sw_strerror(code) stands in). Lines written before an error are sent too. Runs in
 * the thread that called sw_control_serve_one(). The reply is buffered in memory before it is
 * sent: keep it bounded (a list of millions of sources should be capped by the handler).
 */
typedef int (*sw_control_handler_fn)(void *arg, const struct sw_control_req *req, FILE *out,
				     char *err, size_t errlen);

struct sw_control; /* opaque: the listening socket */

/*
 * Listen on path: create the parent directory when missing (0755), refuse when a daemon already
 * answers there ("another shield is running on PATH"), replace a stale socket, refuse any other
 * kind of file. The socket gets mode 0600 and the caller's uid, or 0660 and group's gid when
 * group is a group name (not NULL or ""). Returns 0; SW_E_INVAL (path too long, unknown group:
 * "control-group 'x': no such group"); SW_E_IO (in use, cannot create, bind, chown ...);
 * SW_E_NOMEM.
 */
int sw_control_listen(const char *path, const char *group, struct sw_control **ret, char *err,
		      size_t errlen);

/* The listening descriptor, for the caller's poll (POLLIN: a connection is waiting). */
int sw_control_fd(const struct sw_control *c);

/*
 * Accept one waiting connection, read its request within SW_CONTROL_READ_MS, answer it (through
 * handler for status, list, block and unblock) within SW_CONTROL_WRITE_MS, close it. A bad or
 * missing request gets an "error:" reply and is not passed on. Returns 0 when a connection was
 * served, whatever its outcome, or when none was waiting; SW_E_IO when accept fails for a reason
 * other than a vanished or interrupted connection (err says why); SW_E_NOMEM.
 */
int sw_control_serve_one(struct sw_control *c, sw_control_handler_fn handler, void *arg, char *err,
			 size_t errlen);

/* Close the socket and remove its file. NULL is fine. */
void sw_control_close(struct sw_control *c);

/*
 * Client: send request (one line, without '\n') to the daemon at path, copy the reply's lines to
 * out (each with its '\n'), all but the final status line. Waits at most timeout_ms for the
 * reply to complete (0: 30 s). Returns 0 for "ok"; SW_E_INVAL when the daemon answered
 * "error: ..." (err holds the daemon's text); SW_E_IO when the daemon cannot be reached ("no
 * shield running (PATH: no such file)", "permission denied on PATH: run as root or as a member
 * of the control-group") or the connection fails; SW_E_TRUNCATED when the reply ends without a
 * status line; SW_E_LIMIT for a reply line over 64 KiB or a request too long.
 */
int sw_control_call(const char *path, const char *request, FILE *out, unsigned timeout_ms,
		    char *err, size_t errlen);

#endif
