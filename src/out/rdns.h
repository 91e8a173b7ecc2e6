/*
 * Reverse DNS: PTR lookups with c-ares, asynchronous, for an event loop.
 *
 * The resolver holds a fixed number of query slots (the concurrency): sw_rdns_query() takes a
 * free one or fails with SW_E_LIMIT, so the caller keeps its own queue of what waits (enrich.c
 * does). A slot stays taken until c-ares itself is done with the query, so the number of
 * queries on the wire never exceeds the concurrency. Each query also has a hard deadline
 * (timeout_ms from the moment it was started): when it passes, the caller's callback runs with
 * SW_RDNS_TIMEOUT even if c-ares is still retrying another server; a late answer is dropped.
 *
 * Callbacks never run from inside c-ares or from sw_rdns_query(): c-ares' completions are
 * parked in the slot and handed out by sw_rdns_process(), after c-ares has returned. A callback
 * may therefore start new queries. Everything runs on the caller's thread; the handle is not
 * thread-safe.
 *
 * Only DNS is asked (ares_query for the in-addr.arpa / ip6.arpa name: no /etc/hosts, no search
 * domains). The servers are the one given ("ADDR", "ADDR:PORT", "[V6]:PORT") or, without one,
 * those of /etc/resolv.conf. c-ares checks that a PTR name is a valid host name (it refuses
 * answers with other bytes), so the names handed out are printable ASCII.
 */
#ifndef SW_OUT_RDNS_H
#define SW_OUT_RDNS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

#define SW_RDNS_NAME_MAX 256 /* a DNS name in text, NUL included */
/* Longest PTR query name, NUL included: 32 nibbles of IPv6 as "x." plus "ip6.arpa". */
#define SW_RDNS_QNAME_MAX 74

enum sw_rdns_status {
	SW_RDNS_OK = 0,  /* name holds the first PTR name */
	SW_RDNS_NONAME,  /* the server says there is none (NXDOMAIN, no PTR record) */
	SW_RDNS_TIMEOUT, /* no answer within the deadline */
	SW_RDNS_FAIL,    /* anything else: refused, server failure, bad answer, shutdown */
};

struct sw_rdns_opts {
	const char *server;   /* NULL: /etc/resolv.conf */
	unsigned concurrency; /* slots, >= 1 */
	unsigned timeout_ms;  /* per query, >= 1 */
};

struct sw_rdns;

/* name is NUL-terminated for SW_RDNS_OK, "" otherwise; valid only during the call. */
typedef void (*sw_rdns_fn)(void *ctx, enum sw_rdns_status status, const char *name);

/*
 * Set up a resolver. Returns 0, SW_E_INVAL with a message for a server that is not
 * "ADDR[:PORT]", SW_E_NOMEM, or SW_E_IO when c-ares cannot start.
 */
int sw_rdns_new(const struct sw_rdns_opts *opts, struct sw_rdns **ret_r, char *err, size_t errlen);

/* Stop: callbacks of queries still waiting run with SW_RDNS_FAIL first. NULL is fine. */
void sw_rdns_free(struct sw_rdns *r);

/*
 * Ask for the PTR name of addr (port ignored). fn(ctx, ...) runs exactly once, later, from
 * sw_rdns_process() or sw_rdns_free(). Returns 0, SW_E_LIMIT when every slot is taken,
 * SW_E_INVAL for an address without a family.
 */
int sw_rdns_query(struct sw_rdns *r, const struct sw_endpoint *addr, sw_rdns_fn fn, void *ctx);

/*
 * Run every waiting callback now: answers already received with their result, the others with
 * SW_RDNS_FAIL. Their slots come back as c-ares finishes with them (at the latest after its
 * timeout); until then they are not free.
 */
void sw_rdns_cancel(struct sw_rdns *r);

/* Free slots now, and queries whose callback has not run yet. */
unsigned sw_rdns_free_slots(const struct sw_rdns *r);
unsigned sw_rdns_waiting(const struct sw_rdns *r);

/*
 * The event-loop interface: the sockets c-ares waits on (at most cap written, with events
 * POLLIN/POLLOUT; returns how many), the longest the caller may sleep (max_ms, or less; 0 when
 * callbacks are ready to run; max_ms < 0 means no limit and then -1 comes back when nothing is
 * waiting), and the step after poll: read what is ready, handle retransmissions and deadlines,
 * run the callbacks. fds may be NULL with n 0.
 */
size_t sw_rdns_pollfds(struct sw_rdns *r, struct pollfd *fds, size_t cap);
int sw_rdns_timeout_ms(struct sw_rdns *r, int max_ms);
void sw_rdns_process(struct sw_rdns *r, const struct pollfd *fds, size_t n);

/*
 * The PTR query name of addr into buf: "4.3.2.1.in-addr.arpa", "b.a.9.8...ip6.arpa" (no
 * trailing dot). Returns its length, or SW_E_INVAL (no family) / SW_E_RANGE (cap too small).
 */
int sw_rdns_qname(const struct sw_endpoint *addr, char *buf, size_t cap);

/* Parse "ADDR", "ADDR:PORT" or "[V6ADDR]:PORT" (default port 53). Returns 0 or SW_E_INVAL. */
int sw_rdns_parse_server(const char *s, struct sw_endpoint *ret);

/* sw_rdns_parse_server() with the message a user gets for a bad --resolver in err. */
int sw_rdns_server_opt(const char *s, struct sw_endpoint *ret, char *err, size_t errlen);

#endif
