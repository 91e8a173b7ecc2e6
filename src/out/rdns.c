/*
 * PTR lookups over c-ares, shaped for a caller's event loop.
 *
 * Slots. The handle owns `concurrency` slots. A slot is taken by sw_rdns_query() and given
 * back only when c-ares calls its completion (answer, error, its own timeout, or destruction):
 * that is what bounds the queries on the wire. The caller's callback is a separate event that
 * comes first of: the c-ares completion, or the slot's deadline. Completions that c-ares reports
 * (always from inside ares_process_fd() or ares_query()) are parked on a "ready" queue and the
 * callbacks run afterwards, outside c-ares, so they may issue queries of their own.
 *
 * Deadlines. Every query has the same timeout, so deadlines fall in the order queries start: a
 * doubly linked list of the slots whose callback has not run, in start order, has the earliest
 * deadline at its head; a callback unlinks its slot in O(1) wherever it is.
 *
 * c-ares' own timing: one try per server, each server getting timeout / servers (at least
 * 100 ms), so that c-ares gives a slot back at about the deadline and a slow resolver cannot
 * hold the slots much longer than the caller waits.
 */
#include "out/rdns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"

#define NS_PER_MS UINT64_C(1000000)

enum slot_state {
	SLOT_FREE = 0,
	SLOT_WAITING,  /* in c-ares, callback not run yet */
	SLOT_READY,    /* c-ares answered; callback to run from the ready queue */
	SLOT_ABANDONED /* callback ran (deadline); c-ares still has the query */
};

#define NIL UINT32_MAX

struct slot {
	enum slot_state state;
	enum sw_rdns_status status; /* for SLOT_READY */
	uint64_t deadline_ns;
	sw_rdns_fn fn;
	void *ctx;
	struct sw_rdns *r;
	uint32_t prev, next; /* the list of slots whose callback has not run, in start order */
	struct sw_endpoint addr;
	char name[SW_RDNS_NAME_MAX];
};

struct sw_rdns {
	ares_channel ch;
	int lib_up, ch_up;
	int closing;          /* sw_rdns_free() runs: no new queries */
	unsigned n;           /* slots */
	struct slot *slots;   /* n */
	unsigned *free_stack; /* indices of free slots */
	unsigned nfree;
	unsigned *ready; /* ring of SLOT_READY slot indices, in completion order */
	unsigned ready_head, nready;
	uint32_t wait_head, wait_tail; /* the waiting list: oldest (earliest deadline) first */
	unsigned waiting;              /* its length: callbacks not run yet */
	uint64_t timeout_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

int sw_rdns_qname(const struct sw_endpoint *addr, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	int n;
	if (addr->family == AF_INET) {
		n = snprintf(buf, cap, "%u.%u.%u.%u.in-addr.arpa", addr->addr[3], addr->addr[2],
			     addr->addr[1], addr->addr[0]);
		return n > 0 && (size_t)n < cap ? n : SW_E_RANGE;
	}
	if (addr->family != AF_INET6)
		return SW_E_INVAL;
	if (cap < SW_RDNS_QNAME_MAX)
		return SW_E_RANGE;
	size_t o = 0;
	for (int i = 15; i >= 0; i--) {
		buf[o++] = hex[addr->addr[i] & 0xf];
		buf[o++] = '.';
		buf[o++] = hex[addr->addr[i] >> 4];
		buf[o++] = '.';
	}
	memcpy(buf + o, "ip6.arpa", 9);
	return (int)(o + 8);
}

/* A port: 1-65535, decimal digits only. */
static int parse_port(const char *s, uint16_t *ret)
{
	unsigned long v = 0;
	if (!*s)
		return SW_E_INVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return SW_E_INVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return SW_E_INVAL;
	}
	if (v == 0)
		return SW_E_INVAL;
	*ret = (uint16_t)v;
	return 0;
}

int sw_rdns_parse_server(const char *s, struct sw_endpoint *ret)
{
	char host[64];
	const char *port = NULL;
	size_t hl;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e)
			return SW_E_INVAL;
		hl = (size_t)(e - s - 1);
		s++;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return SW_E_INVAL;
	} else {
		const char *c = strchr(s, ':');
		if (c && !strchr(c + 1, ':')) {
			hl = (size_t)(c - s);
			port = c + 1;
		} else {
			hl = strlen(s);
		}
	}
	if (hl == 0 || hl >= sizeof(host))
		return SW_E_INVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct sw_endpoint ep;
	memset(&ep, 0, sizeof(ep));
	ep.port = 53;
	if (port && parse_port(port, &ep.port) != 0)
		return SW_E_INVAL;
	if (inet_pton(AF_INET, host, ep.addr) == 1)
		ep.family = AF_INET;
	else if (inet_pton(AF_INET6, host, ep.addr) == 1)
		ep.family = AF_INET6;
	else
		return SW_E_INVAL;
	*ret = ep;
	return 0;
}

static uint32_t idx(const struct sw_rdns *r, const struct slot *s)
{
	return (uint32_t)(s - r->slots);
}

static void wait_append(struct sw_rdns *r, struct slot *s)
{
	uint32_t i = idx(r, s);
	s->prev = r->wait_tail;
	s->next = NIL;
	if (r->wait_tail != NIL)
		r->slots[r->wait_tail].next = i;
	else
		r->wait_head = i;
	r->wait_tail = i;
	r->waiting++;
}

static void wait_unlink(struct sw_rdns *r, struct slot *s)
{
	if (s->prev != NIL)
		r->slots[s->prev].next = s->next;
	else
		r->wait_head = s->next;
	if (s->next != NIL)
		r->slots[s->next].prev = s->prev;
	else
		r->wait_tail = s->prev;
	s->prev = s->next = NIL;
	r->waiting--;
}

/* Give a slot back to the free stack. */
static void slot_release(struct sw_rdns *r, struct slot *s)
{
	s->state = SLOT_FREE;
	s->fn = NULL;
	s->ctx = NULL;
	r->free_stack[r->nfree++] = idx(r, s);
}

/* c-ares' completion: park the answer, or free a slot whose caller already gave up. */
static void on_ares(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	(void)timeouts;
	struct slot *s = arg;
	struct sw_rdns *r = s->r;
	if (s->state == SLOT_ABANDONED) {
		slot_release(r, s);
		return;
	}
	s->name[0] = '\0';
	if (status == ARES_SUCCESS) {
		struct hostent *he = NULL;
		int fam = s->addr.family;
		int prc = ares_parse_ptr_reply(abuf, alen, s->addr.addr, fam == AF_INET ? 4 : 16,
					       fam, &he);
		if (prc == ARES_SUCCESS && he && he->h_name && he->h_name[0]) {
			size_t l = strlen(he->h_name);
			while (l > 0 && he->h_name[l - 1] == '.')
				l--;
			if (l >= sizeof(s->name))
				l = 0;
			memcpy(s->name, he->h_name, l);
			s->name[l] = '\0';
		}
		if (he)
			ares_free_hostent(he);
		s->status = s->name[0]          ? SW_RDNS_OK :
			    prc == ARES_ENODATA ? SW_RDNS_NONAME :
						  SW_RDNS_FAIL;
	} else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
		s->status = SW_RDNS_NONAME;
	} else if (status == ARES_ETIMEOUT) {
		s->status = SW_RDNS_TIMEOUT;
	} else {
		s->status = SW_RDNS_FAIL;
	}
	s->state = SLOT_READY;
	r->ready[(r->ready_head + r->nready) % r->n] = idx(r, s);
	r->nready++;
}

/* Run the callbacks of parked completions, oldest first (they may start new queries). */
static void run_ready(struct sw_rdns *r)
{
	while (r->nready) {
		struct slot *s = &r->slots[r->ready[r->ready_head]];
		r->ready_head = (r->ready_head + 1) % r->n;
		r->nready--;
		enum sw_rdns_status st = s->status;
		char name[SW_RDNS_NAME_MAX];
		memcpy(name, s->name, sizeof(name));
		sw_rdns_fn fn = s->fn;
		void *ctx = s->ctx;
		/* Free the slot before the callback, so the callback can reuse it. */
		wait_unlink(r, s);
		slot_release(r, s);
		if (fn)
			fn(ctx, st, name);
	}
}

/* Callbacks of queries past their deadline: the waiting list's head has the earliest. */
static void run_deadlines(struct sw_rdns *r, uint64_t now)
{
	while (r->wait_head != NIL) {
		struct slot *s = &r->slots[r->wait_head];
		if (s->deadline_ns > now || s->state != SLOT_WAITING)
			break;
		wait_unlink(r, s);
		s->state = SLOT_ABANDONED;
		sw_rdns_fn fn = s->fn;
		void *ctx = s->ctx;
		s->fn = NULL;
		if (fn)
			fn(ctx, SW_RDNS_TIMEOUT, "");
	}
}

int sw_rdns_server_opt(const char *s, struct sw_endpoint *ret, char *err, size_t errlen)
{
	if (sw_rdns_parse_server(s, ret) != 0) {
		sw_errf(err, errlen,
			"--resolver '%s': expected ADDR, ADDR:PORT or [IPV6ADDR]:PORT (an IP "
			"address, not a name)",
			s);
		return SW_E_INVAL;
	}
	return 0;
}

static int set_server(struct sw_rdns *r, const char *server, char *err, size_t errlen)
{
	struct sw_endpoint ep;
	if (sw_rdns_server_opt(server, &ep, err, errlen) != 0)
		return SW_E_INVAL;
	struct ares_addr_port_node node;
	memset(&node, 0, sizeof(node));
	node.family = ep.family;
	node.udp_port = ep.port;
	node.tcp_port = ep.port;
	if (ep.family == AF_INET)
		memcpy(&node.addr.addr4, ep.addr, 4);
	else
		memcpy(&node.addr.addr6, ep.addr, 16);
	int rc = ares_set_servers_ports(r->ch, &node);
	if (rc != ARES_SUCCESS) {
		sw_errf(err, errlen, "--resolver '%s': %s", server, ares_strerror(rc));
		return SW_E_IO;
	}
	return 0;
}

/* How many servers the channel asks (for c-ares' per-server timeout). */
static unsigned server_count(struct sw_rdns *r)
{
	struct ares_addr_port_node *list = NULL;
	unsigned n = 0;
	if (ares_get_servers_ports(r->ch, &list) != ARES_SUCCESS)
		return 1;
	for (struct ares_addr_port_node *p = list; p; p = p->next)
		n++;
	ares_free_data(list);
	return n ? n : 1;
}

static int channel_init(struct sw_rdns *r, int timeout_ms, char *err, size_t errlen)
{
	struct ares_options o;
	memset(&o, 0, sizeof(o));
	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = timeout_ms;
	o.tries = 1;
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
	int rc = ares_init_options(&r->ch, &o, mask);
	if (rc != ARES_SUCCESS) {
		sw_errf(err, errlen, "reverse DNS: cannot start c-ares: %s", ares_strerror(rc));
		return rc == ARES_ENOMEM ? SW_E_NOMEM : SW_E_IO;
	}
	r->ch_up = 1;
	return 0;
}

int sw_rdns_new(const struct sw_rdns_opts *opts, struct sw_rdns **ret_r, char *err, size_t errlen)
{
	if (opts->concurrency == 0 || opts->timeout_ms == 0) {
		sw_errf(err, errlen, "reverse DNS: concurrency and timeout must be at least 1");
		return SW_E_INVAL;
	}
	int rc = SW_E_NOMEM;
	struct sw_rdns *r = calloc(1, sizeof(*r));
	if (!r)
		goto fail;
	r->n = opts->concurrency;
	r->timeout_ns = (uint64_t)opts->timeout_ms * NS_PER_MS;
	r->wait_head = r->wait_tail = NIL;
	r->slots = calloc(r->n, sizeof(*r->slots));
	r->free_stack = calloc(r->n, sizeof(*r->free_stack));
	r->ready = calloc(r->n, sizeof(*r->ready));
	if (!r->slots || !r->free_stack || !r->ready)
		goto fail;
	for (unsigned i = 0; i < r->n; i++) {
		r->slots[i].r = r;
		r->slots[i].prev = r->slots[i].next = NIL;
		r->free_stack[i] = r->n - 1 - i; /* slot 0 first */
	}
	r->nfree = r->n;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		sw_errf(err, errlen, "reverse DNS: cannot initialise c-ares");
		rc = SW_E_IO;
		goto fail;
	}
	r->lib_up = 1;
	if ((rc = channel_init(r, (int)opts->timeout_ms, err, errlen)) != 0)
		goto fail;
	if (opts->server && (rc = set_server(r, opts->server, err, errlen)) != 0)
		goto fail;
	unsigned ns = server_count(r);
	if (ns > 1) {
		/* One try per server within the caller's timeout: re-create with the split. */
		unsigned per = opts->timeout_ms / ns;
		ares_destroy(r->ch);
		r->ch_up = 0;
		if ((rc = channel_init(r, (int)(per < 100 ? 100 : per), err, errlen)) != 0)
			goto fail;
	}
	*ret_r = r;
	return 0;
fail:
	if (rc == SW_E_NOMEM)
		sw_errf(err, errlen, "reverse DNS: out of memory");
	sw_rdns_free(r);
	return rc;
}

void sw_rdns_free(struct sw_rdns *r)
{
	if (!r)
		return;
	r->closing = 1;
	if (r->ch_up) {
		/* c-ares completes every query with ARES_EDESTRUCTION: they land on the ready queue. */
		ares_destroy(r->ch);
		r->ch_up = 0;
	}
	if (r->lib_up) {
		ares_library_cleanup();
		r->lib_up = 0;
	}
	if (r->slots) {
		run_ready(r);
		while (r->wait_head != NIL) {
			struct slot *s = &r->slots[r->wait_head];
			sw_rdns_fn fn = s->fn;
			void *ctx = s->ctx;
			wait_unlink(r, s);
			slot_release(r, s);
			if (fn)
				fn(ctx, SW_RDNS_FAIL, "");
		}
	}
	free(r->slots);
	free(r->free_stack);
	free(r->ready);
	free(r);
}

int sw_rdns_query(struct sw_rdns *r, const struct sw_endpoint *addr, sw_rdns_fn fn, void *ctx)
{
	char qname[SW_RDNS_QNAME_MAX];
	if (sw_rdns_qname(addr, qname, sizeof(qname)) < 0)
		return SW_E_INVAL;
	if (r->closing)
		return SW_E_IO;
	if (r->nfree == 0)
		return SW_E_LIMIT;
	struct slot *s = &r->slots[r->free_stack[--r->nfree]];
	s->state = SLOT_WAITING;
	s->fn = fn;
	s->ctx = ctx;
	s->addr = *addr;
	s->name[0] = '\0';
	s->deadline_ns = now_ns() + r->timeout_ns;
	wait_append(r, s);
	/* May complete at once (no server, out of memory): on_ares parks it on the ready queue. */
	ares_query(r->ch, qname, ns_c_in, ns_t_ptr, on_ares, s);
	return 0;
}

void sw_rdns_cancel(struct sw_rdns *r)
{
	for (;;) {
		/* Answers already in first; what is left on the list is still on the wire. */
		run_ready(r);
		if (r->wait_head == NIL)
			break;
		struct slot *s = &r->slots[r->wait_head];
		sw_rdns_fn fn = s->fn;
		void *ctx = s->ctx;
		wait_unlink(r, s);
		s->state = SLOT_ABANDONED;
		s->fn = NULL;
		if (fn)
			fn(ctx, SW_RDNS_FAIL, "");
	}
}

unsigned sw_rdns_free_slots(const struct sw_rdns *r)
{
	return r->closing ? 0 : r->nfree;
}

unsigned sw_rdns_waiting(const struct sw_rdns *r)
{
	return r->waiting;
}

size_t sw_rdns_pollfds(struct sw_rdns *r, struct pollfd *fds, size_t cap)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	/* The bits as unsigned: c-ares' own macros shift a signed 1 into the sign bit. */
	unsigned bits = (unsigned)ares_getsock(r->ch, socks, ARES_GETSOCK_MAXNUM);
	size_t n = 0;
	for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM && n < cap; i++) {
		short ev = 0;
		if (bits & (1u << i))
			ev |= POLLIN;
		if (bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
			ev |= POLLOUT;
		if (!ev)
			continue;
		fds[n++] = (struct pollfd){.fd = socks[i], .events = ev};
	}
	return n;
}

int sw_rdns_timeout_ms(struct sw_rdns *r, int max_ms)
{
	if (r->nready)
		return 0;
	int64_t best = max_ms < 0 ? INT64_MAX : max_ms, ms;
	if (r->wait_head != NIL) {
		/* The earliest deadline is the waiting list's head's. */
		uint64_t now = now_ns(), dl = r->slots[r->wait_head].deadline_ns;
		uint64_t d = dl > now ? dl - now : 0;
		ms = (int64_t)((d + NS_PER_MS - 1) / NS_PER_MS);
		if (ms < best)
			best = ms;
	}
	/* c-ares' own next retransmission or timeout (also of abandoned queries, which hold slots). */
	struct timeval tv, *tvp = ares_timeout(r->ch, NULL, &tv);
	if (tvp) {
		ms = (int64_t)tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000;
		if (ms < best)
			best = ms;
	}
	if (best == INT64_MAX)
		return -1;
	return best > INT32_MAX ? INT32_MAX : (int)best;
}

void sw_rdns_process(struct sw_rdns *r, const struct pollfd *fds, size_t n)
{
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		short re = fds[i].revents;
		if (!(re & (POLLIN | POLLOUT | POLLERR | POLLHUP)))
			continue;
		ares_socket_t rd = re & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD;
		ares_socket_t wr = re & (POLLOUT | POLLERR) ? fds[i].fd : ARES_SOCKET_BAD;
		ares_process_fd(r->ch, rd, wr);
		any = 1;
	}
	/* Timeouts and retransmissions only (process_fd does them on every call). */
	if (!any)
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	run_ready(r);
	run_deadlines(r, now_ns());
}
