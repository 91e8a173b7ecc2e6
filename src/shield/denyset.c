/*
 * The kernel deny set's common part (denyset.h): validation, the bounded request queue, the
 * module's thread that drains it into the backend, and the counters.
 *
 * The queue is a ring of SW_DENYSET_QUEUE requests under one mutex. Producers (packet workers)
 * hold the mutex only to copy one request in and signal the thread; the thread takes up to
 * BATCH requests at a time, releases the mutex and hands them to the backend in one call, so a
 * burst of denies becomes one kernel transaction instead of one per source. Progress is counted
 * in sequence numbers (queued, applied): sw_denyset_sync() waits for "applied" to reach the
 * "queued" it saw, which is exact because the ring is first in, first out.
 *
 * When idle the thread wakes about once a second for the backend's housekeeping (the XDP maps'
 * expiry sweep).
 */
#include "shield/denyset.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/err.h"
#include "shield/denyset_internal.h"

/* Requests handed to the backend at once: one nft transaction stays well under its limits. */
#define BATCH SW_DENYSET_NFT_BATCH
#define TICK_NS 1000000000ULL

struct sw_denyset {
	enum sw_deny_backend backend;
	const struct sw_denyset_backend *be_ops;
	void *be;
	uint8_t ipv6_prefix;

	pthread_mutex_t mu;
	pthread_cond_t wake; /* producers -> thread: work queued, or stop */
	pthread_cond_t done; /* thread -> sync: applied advanced */
	struct sw_deny_op ring[SW_DENYSET_QUEUE];
	unsigned head, count;
	uint64_t queued, applied;
	bool stop;
	bool thread_started;
	pthread_t thread;
	char last_err[256];

	struct sw_deny_op batch[BATCH]; /* the thread's copy of what it applies */

	_Atomic uint64_t added, removed, failed, overflow;
};

uint64_t sw_denyset_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int sw_denyset_each_interface(const char *list, int (*fn)(const char *name, void *arg), void *arg)
{
	if (!list)
		return 0;
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			char name[IF_NAMESIZE];
			if ((size_t)(e - s) >= sizeof(name))
				return SW_E_RANGE;
			memcpy(name, s, (size_t)(e - s));
			name[e - s] = '\0';
			int rc = fn(name, arg);
			if (rc)
				return rc;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static const struct sw_denyset_backend *backend_ops(enum sw_deny_backend b)
{
	switch (b) {
	case SW_DENY_NFT:
		return &sw_denyset_nft;
	case SW_DENY_XDP:
		return &sw_denyset_xdp;
	default:
		return NULL;
	}
}

static void *thread_main(void *arg)
{
	struct sw_denyset *d = arg;
	uint64_t next_tick = sw_denyset_now_ns() + TICK_NS;
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		if (d->count == 0) {
			uint64_t now = sw_denyset_now_ns();
			if (now >= next_tick) {
				pthread_mutex_unlock(&d->mu);
				if (d->be_ops->tick)
					d->be_ops->tick(d->be, now);
				pthread_mutex_lock(&d->mu);
				next_tick = now + TICK_NS;
				continue;
			}
			struct timespec ts = {.tv_sec = (time_t)(next_tick / 1000000000ULL),
					      .tv_nsec = (long)(next_tick % 1000000000ULL)};
			pthread_cond_timedwait(&d->wake, &d->mu, &ts);
			continue;
		}
		unsigned n = d->count < BATCH ? d->count : BATCH;
		for (unsigned i = 0; i < n; i++)
			d->batch[i] = d->ring[(d->head + i) % SW_DENYSET_QUEUE];
		d->head = (d->head + n) % SW_DENYSET_QUEUE;
		d->count -= n;
		pthread_mutex_unlock(&d->mu);

		struct sw_deny_result r = {0};
		d->be_ops->apply(d->be, d->batch, n, &r);
		atomic_fetch_add(&d->added, r.added);
		atomic_fetch_add(&d->removed, r.removed);
		atomic_fetch_add(&d->failed, r.failed);

		pthread_mutex_lock(&d->mu);
		if (r.err[0])
			snprintf(d->last_err, sizeof(d->last_err), "%s", r.err);
		d->applied += n;
		pthread_cond_broadcast(&d->done);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Start the thread with every signal blocked, so the daemon's signals go to its own threads. */
static int start_thread(struct sw_denyset *d, char *err, size_t errlen)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&d->thread, NULL, thread_main, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		sw_errf(err, errlen, "deny set: cannot start its thread: %s", strerror(rc));
		return SW_E_NOMEM;
	}
	d->thread_started = true;
	return 0;
}

static int init_sync(struct sw_denyset *d)
{
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca))
		return SW_E_NOMEM;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_mutex_init(&d->mu, NULL) || pthread_cond_init(&d->wake, &ca) ||
		 pthread_cond_init(&d->done, NULL);
	pthread_condattr_destroy(&ca);
	return rc ? SW_E_NOMEM : 0;
}

int sw_denyset_open(const struct sw_denyset_opts *o, struct sw_denyset **ret, char *err,
		    size_t errlen)
{
	if (!o || !ret || o->backend > SW_DENY_OFF)
		return SW_E_INVAL;
	if (o->backend != SW_DENY_OFF &&
	    (o->nports == 0 || o->nports > SW_CFG_MAX_PORTS || !o->ports || o->ipv6_prefix == 0 ||
	     o->ipv6_prefix > 128)) {
		sw_errf(err, errlen, "deny set: needs 1-%d SIP ports and an ipv6-prefix of 1-128",
			SW_CFG_MAX_PORTS);
		return SW_E_INVAL;
	}
	struct sw_denyset *d = calloc(1, sizeof(*d));
	if (!d)
		return SW_E_NOMEM;
	d->ipv6_prefix = o->ipv6_prefix;
	if (init_sync(d)) {
		free(d);
		return SW_E_NOMEM;
	}
	int rc = 0;
	enum sw_deny_backend b = o->backend;
	if (b == SW_DENY_AUTO) {
		struct sw_denyset_opts nft = *o;
		nft.backend = SW_DENY_NFT;
		rc = sw_denyset_nft.open(&nft, &d->be, err, errlen);
		if (rc == 0) {
			b = SW_DENY_NFT;
		} else {
			/* err already says why nf_tables cannot be used: the caller's warning */
			b = SW_DENY_OFF;
			rc = 0;
		}
	} else if (b != SW_DENY_OFF) {
		rc = backend_ops(b)->open(o, &d->be, err, errlen);
	}
	if (rc)
		goto fail;
	d->backend = b;
	d->be_ops = backend_ops(b);
	if (d->be_ops && (rc = start_thread(d, err, errlen))) {
		d->be_ops->close(d->be);
		goto fail;
	}
	*ret = d;
	return 0;
fail:
	pthread_cond_destroy(&d->done);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->mu);
	free(d);
	return rc;
}

enum sw_deny_backend sw_denyset_backend(const struct sw_denyset *d)
{
	return d ? d->backend : SW_DENY_OFF;
}

const char *sw_denyset_xdp_mode(const struct sw_denyset *d)
{
	if (!d || !d->be_ops || !d->be_ops->mode)
		return "";
	return d->be_ops->mode(d->be);
}

/* Fill op with addr masked to its (validated) prefix length. */
static int make_op(const struct sw_denyset *d, const struct sw_endpoint *addr, uint8_t plen,
		   struct sw_deny_op *op)
{
	if (!addr)
		return SW_E_INVAL;
	memset(op, 0, sizeof(*op));
	op->family = addr->family;
	if (addr->family == AF_INET) {
		if (plen != 0 && plen != 32)
			return SW_E_UNSUPPORTED;
		op->plen = 32;
		memcpy(op->addr, addr->addr, 4);
		return 0;
	}
	if (addr->family != AF_INET6)
		return SW_E_INVAL;
	if (plen == 0)
		plen = 128;
	if (plen != d->ipv6_prefix && plen != 128)
		return SW_E_UNSUPPORTED;
	op->plen = plen;
	for (unsigned i = 0; i < 16; i++) {
		int bits = (int)plen - (int)i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		op->addr[i] = addr->addr[i] & mask;
	}
	return 0;
}

static int enqueue(struct sw_denyset *d, const struct sw_deny_op *op)
{
	pthread_mutex_lock(&d->mu);
	if (d->count >= SW_DENYSET_QUEUE) {
		pthread_mutex_unlock(&d->mu);
		atomic_fetch_add(&d->overflow, 1);
		return SW_E_LIMIT;
	}
	d->ring[(d->head + d->count) % SW_DENYSET_QUEUE] = *op;
	d->count++;
	d->queued++;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

int sw_denyset_add(struct sw_denyset *d, const struct sw_endpoint *addr, uint8_t plen,
		   uint64_t timeout_ms)
{
	if (!d || timeout_ms == 0)
		return SW_E_INVAL;
	struct sw_deny_op op;
	int rc = make_op(d, addr, plen, &op);
	if (rc || !d->be_ops)
		return rc;
	op.kind = SW_DENY_OP_ADD;
	uint64_t now = sw_denyset_now_ns();
	uint64_t max_ms = (UINT64_MAX - now) / 1000000ULL;
	op.expires_ns = now + (timeout_ms < max_ms ? timeout_ms : max_ms) * 1000000ULL;
	return enqueue(d, &op);
}

int sw_denyset_del(struct sw_denyset *d, const struct sw_endpoint *addr, uint8_t plen)
{
	if (!d)
		return SW_E_INVAL;
	struct sw_deny_op op;
	int rc = make_op(d, addr, plen, &op);
	if (rc || !d->be_ops)
		return rc;
	op.kind = SW_DENY_OP_DEL;
	return enqueue(d, &op);
}

int sw_denyset_sync(struct sw_denyset *d)
{
	if (!d)
		return SW_E_INVAL;
	if (!d->be_ops)
		return 0;
	pthread_mutex_lock(&d->mu);
	uint64_t target = d->queued;
	while (d->applied < target && !d->stop)
		pthread_cond_wait(&d->done, &d->mu);
	pthread_mutex_unlock(&d->mu);
	return 0;
}

void sw_denyset_stats(struct sw_denyset *d, struct sw_denyset_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!d)
		return;
	s->added = atomic_load(&d->added);
	s->removed = atomic_load(&d->removed);
	s->failed = atomic_load(&d->failed);
	s->overflow = atomic_load(&d->overflow);
	if (d->be_ops)
		d->be_ops->kernel_drops(d->be, &s->kernel_drops_in, &s->kernel_drops_out);
	s->kernel_drops = s->kernel_drops_in + s->kernel_drops_out;
}

void sw_denyset_last_error(struct sw_denyset *d, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	buf[0] = '\0';
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	snprintf(buf, len, "%s", d->last_err);
	pthread_mutex_unlock(&d->mu);
}

void sw_denyset_close(struct sw_denyset *d)
{
	if (!d)
		return;
	if (d->thread_started) {
		pthread_mutex_lock(&d->mu);
		d->stop = true;
		pthread_cond_broadcast(&d->wake);
		pthread_cond_broadcast(&d->done);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->thread, NULL);
	}
	if (d->be_ops)
		d->be_ops->close(d->be);
	pthread_cond_destroy(&d->done);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

struct cleanup_ctx {
	char *err;
	size_t errlen;
	int rc;
};

static int cleanup_one(const char *name, void *arg)
{
	struct cleanup_ctx *c = arg;
	char e[256] = "";
	int rc = sw_denyset_xdp_cleanup(name, e, sizeof(e));
	if (rc && c->rc == 0) {
		c->rc = rc;
		sw_errf(c->err, c->errlen, "%s", e);
	}
	return 0;
}

int sw_denyset_cleanup(const char *interfaces, char *err, size_t errlen)
{
	struct cleanup_ctx c = {err, errlen, 0};
	char e[256] = "";
	int rc = sw_denyset_nft_cleanup(e, sizeof(e));
	if (rc) {
		c.rc = rc;
		sw_errf(err, errlen, "%s", e);
	}
	rc = sw_denyset_each_interface(interfaces, cleanup_one, &c);
	if (rc == SW_E_RANGE && c.rc == 0) {
		c.rc = rc;
		sw_errf(err, errlen, "deny set: deny-interface \"%s\" has a name longer than %d",
			interfaces, IF_NAMESIZE - 1);
	}
	return c.rc;
}
