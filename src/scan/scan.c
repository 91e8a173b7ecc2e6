#include "scan/scan.h"

#include <errno.h>
#include <pthread.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "net/rawsend.h"
#include "net/route.h"
#include "net/udp.h"
#include "scan/pace.h"
#include "scan/permute.h"
#include "scan/record.h"
#include "scan/responders.h"
#include "sip/sip.h"

#define SEND_BATCH 256
#define RECV_BATCH 64
#define RECV_BUF 65536 /* the largest UDP payload, so no reply is ever cut */
#define NS_PER_MS UINT64_C(1000000)
#define ENRICH_FDS 16 /* resolver sockets polled with the scan's own */

uint64_t sw_scan_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* Wall-clock microseconds, for the rows' timestamps. */
static uint64_t wall_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct engine {
	const struct sw_scan_config *cfg;
	struct sw_scan_stats *st;
	int fd[2]; /* IPv4, IPv6; -1 when unused */
	/* packet send mode: per family, one frame writer per send thread; NULL = socket sends */
	struct sw_rawsend *raw[2][SW_SCAN_MAX_THREADS];
	unsigned nthreads;
	uint64_t sent_before, errors_before; /* counts of earlier passes */
	struct sw_endpoint src[2];           /* what the probes carry as their source */
	struct sw_responders *resp;
	uint8_t *rbuf[RECV_BATCH];
	struct sip_header hdrs[64];
	struct sip_msg msg;
	uint32_t *amps; /* amplification x 100 of every SIP row, for the median */
	size_t namps, capamps;
	uint64_t wall_offset_usec; /* wall clock minus monotonic clock, in microseconds */
	int write_error;
};

static int fam_index(const struct sw_endpoint *ep)
{
	return ep->family == AF_INET6 ? 1 : 0;
}

/*
 * The source address the kernel would use towards target (for the Via and Contact of the
 * options probe when the socket is bound to the wildcard): connect a throwaway UDP socket and
 * ask. Nothing is sent.
 */
static void route_source(const struct sw_endpoint *target, struct sw_endpoint *ret)
{
	struct sw_endpoint any = {0};
	any.family = target->family;
	char err[128];
	int fd;
	if (sw_udp_open(&any, NULL, &fd, err, sizeof(err)) != 0)
		return;
	struct sockaddr_storage ss;
	size_t sl = sw_sockaddr(target, &ss, sizeof(ss));
	struct sw_endpoint local;
	if (sl && connect(fd, (struct sockaddr *)&ss, (socklen_t)sl) == 0 &&
	    sw_udp_local(fd, &local) == 0)
		memcpy(ret->addr, local.addr, sizeof(ret->addr));
	close(fd);
}

/*
 * Packet send mode for one family: the route to the sample target, checked to be the same for
 * the family's first and last targets (one next hop for all; a scan of an on-link subnet would
 * need one neighbour entry per target, which is what the socket path is for).
 */
static int open_raw(struct engine *en, int fam, const struct sw_endpoint *a,
		    const struct sw_endpoint *b, char *err, size_t errlen)
{
	struct sw_route ra, rb;
	if (sw_route_get(a, &ra, err, errlen) != 0)
		return SW_E_IO;
	if (sw_route_get(b, &rb, err, errlen) != 0)
		return SW_E_IO;
	if (en->cfg->interface && strcmp(ra.ifname, en->cfg->interface) != 0) {
		char where[SW_ADDR_STRLEN];
		sw_addr_format(a, where, sizeof(where));
		snprintf(err, errlen, "the route to %s leaves through %s, not --interface %s",
			 where, ra.ifname, en->cfg->interface);
		return SW_E_INVAL;
	}
	if (ra.ifindex != rb.ifindex || !sw_addr_equal(&ra.nexthop, &rb.nexthop) ||
	    (!ra.has_gateway && !sw_addr_equal(a, b))) {
		snprintf(err, errlen,
			 "packet send mode needs one gateway for all targets; these are on-link "
			 "or behind several routes (%s)",
			 ra.ifname);
		return SW_E_UNSUPPORTED;
	}
	/* The frames carry the socket's address when it was bound to one, else the route's. */
	static const uint8_t zero[16];
	if (memcmp(en->src[fam].addr, zero, 16) != 0)
		memcpy(ra.src.addr, en->src[fam].addr, 16);
	ra.src.family = (uint8_t)(fam ? AF_INET6 : AF_INET);
	for (unsigned t = 0; t < en->nthreads; t++) {
		int rc = sw_rawsend_open(&ra, en->src[fam].port, &en->raw[fam][t], err, errlen);
		if (rc != 0)
			return rc;
	}
	memcpy(en->src[fam].addr, ra.src.addr, 16);
	snprintf(en->st->send_note, sizeof(en->st->send_note), "raw frames on %s", ra.ifname);
	en->st->packet_mode = 1;
	return 0;
}

static int open_sockets(struct engine *en, char *err, size_t errlen)
{
	const struct sw_scan_config *cfg = en->cfg;
	uint64_t n = sw_targets_count(cfg->targets);
	for (int fam = 0; fam < 2; fam++) {
		/* Targets are ordered IPv4 first: the first and the last sample each family. */
		struct sw_endpoint first, last;
		if (sw_targets_get(cfg->targets, 0, &first) != 0 ||
		    sw_targets_get(cfg->targets, n - 1, &last) != 0)
			return SW_E_INVAL;
		const struct sw_endpoint *sample = NULL, *other = NULL;
		if (fam_index(&first) == fam)
			sample = &first, other = fam_index(&last) == fam ? &last : &first;
		else if (fam_index(&last) == fam)
			sample = other = &last;
		if (!sample)
			continue;
		struct sw_endpoint bind_ep = fam ? cfg->source6 : cfg->source4;
		if (bind_ep.family == 0) {
			memset(&bind_ep, 0, sizeof(bind_ep));
			bind_ep.family = fam ? AF_INET6 : AF_INET;
			bind_ep.port = fam ? cfg->source6.port : cfg->source4.port;
		}
		struct sw_udp_opts o = {.rcvbuf = 8 << 20, .sndbuf = 4 << 20, .nonblock = 1};
		int rc = sw_udp_open(&bind_ep, &o, &en->fd[fam], err, errlen);
		if (rc != 0)
			return rc;
		if (cfg->interface &&
		    setsockopt(en->fd[fam], SOL_SOCKET, SO_BINDTODEVICE, cfg->interface,
			       (socklen_t)strlen(cfg->interface)) != 0) {
			snprintf(err, errlen, "--interface %s: %s", cfg->interface,
				 errno == ENODEV ? "no such interface" : strerror(errno));
			return SW_E_INVAL;
		}
		sw_udp_local(en->fd[fam], &en->src[fam]);
		if (cfg->send_mode != SW_SEND_SOCKET) {
			char why[256];
			rc = open_raw(en, fam, sample, other, why, sizeof(why));
			if (rc != 0 && cfg->send_mode == SW_SEND_PACKET) {
				snprintf(err, errlen, "%s", why);
				return rc;
			}
			if (rc != 0)
				snprintf(en->st->send_note, sizeof(en->st->send_note),
					 "socket sends (packet mode unavailable: %s)", why);
		}
		static const uint8_t zero[16];
		if (memcmp(en->src[fam].addr, zero, 16) == 0)
			route_source(sample, &en->src[fam]);
	}
	return 0;
}

/*
 * A row waiting for its enrichment (the PTR answer): a copy of the responder, whose packet copy
 * the responder table frees once the row is drained, and the result the lookup fills.
 */
struct pending_row {
	struct sw_enrich_result res; /* what the lookups fill; its views go into the row */
	struct engine *en;
	struct sw_responder r;
	uint8_t first[]; /* r.first points here */
};

/* The responder's record, with the enrichment views of res (NULL: none). */
static void make_record(struct engine *en, const struct sw_responder *r,
			const struct sw_enrich_result *res, struct sw_scan_record *rec)
{
	const struct sw_scan_config *cfg = en->cfg;
	char pbuf[SW_PROBE_OPTIONS_MAX];
	const uint8_t *pdata;
	uint32_t psize = sw_probe_payload(cfg->probe, &r->target, &en->src[fam_index(&r->target)],
					  pbuf, sizeof(pbuf), &pdata);
	uint64_t usec = r->first_usec + en->wall_offset_usec;
	sw_scan_record_init(rec, &r->target, (int64_t)(usec / 1000000), (uint32_t)(usec % 1000000),
			    sw_str_make(cfg->probe->name, strlen(cfg->probe->name)), psize);
	for (uint32_t i = 0; i < r->packets && i < SW_RESPONDER_SIZES; i++)
		sw_scan_record_add_packet(rec, r->sizes[i]);
	rec->packets = r->packets;
	rec->response_size = r->bytes;
	sw_scan_record_set_first(rec, (const char *)r->first, r->first_len, r->reply_port);
	if (!res)
		return;
	rec->hostname = sw_enrich_col(res, SW_SCAN_COL_HOSTNAME);
	rec->hostname_source = sw_enrich_col(res, SW_SCAN_COL_HOSTNAME_SOURCE);
	rec->asn = sw_enrich_col(res, SW_SCAN_COL_ASN);
	rec->geo = sw_enrich_col(res, SW_SCAN_COL_GEO);
	rec->region = sw_enrich_col(res, SW_SCAN_COL_REGION);
	rec->city = sw_enrich_col(res, SW_SCAN_COL_CITY);
	rec->naics = sw_enrich_col(res, SW_SCAN_COL_NAICS);
	rec->sector = sw_enrich_col(res, SW_SCAN_COL_SECTOR);
}

/* Write a responder's row (already counted, and known to be wanted) and count it. */
static void emit_row(struct engine *en, const struct sw_responder *r,
		     const struct sw_enrich_result *res)
{
	const struct sw_scan_config *cfg = en->cfg;
	struct sw_scan_stats *st = en->st;
	struct sw_scan_record rec;
	make_record(en, r, res, &rec);
	if (res && res->hostname[0])
		st->ptr_names++;
	struct sw_scan_row row;
	if (sw_scan_record_fields(&rec, &row) != 0)
		return;
	if (cfg->writer->row(cfg->out, &row) != 0)
		en->write_error = 1;
	st->rows++;
	if (!rec.is_sip)
		return;
	st->sip_responders++;
	/* The row's code: also for answers that are only a status line (a strict parse fails). */
	struct sw_str code = row.col[SW_SCAN_COL_SIP_CODE];
	if (code.len == 3) {
		unsigned c = (unsigned)(code.p[0] - '0') * 100 + (unsigned)(code.p[1] - '0') * 10 +
			     (unsigned)(code.p[2] - '0');
		if (c >= 100 && c < 700)
			st->status_counts[c]++;
	}
	if (rec.probe_size) {
		uint64_t amp = (r->bytes * 200 / rec.probe_size + 1) / 2;
		st->amp_sum_centi += amp;
		if (en->namps == en->capamps) {
			size_t nc = en->capamps ? en->capamps * 2 : 1024;
			uint32_t *na = realloc(en->amps, nc * sizeof(*na));
			if (!na)
				return;
			en->amps = na;
			en->capamps = nc;
		}
		en->amps[en->namps++] = amp > UINT32_MAX ? UINT32_MAX : (uint32_t)amp;
	}
}

/* The enrichment of a pending row is complete: write it and let it go. */
static void on_enriched(void *ctx, struct sw_enrich_result *res)
{
	struct pending_row *p = ctx;
	(void)res;
	emit_row(p->en, &p->r, &p->res);
	free(p);
}

/*
 * One finished responder (its window closed): count it, skip it (non-SIP without
 * --include-nonsip), write it, or - with enrichment - copy it aside and start the lookups; the
 * row is written when they complete, possibly at once.
 */
static void write_row(void *ctx, const struct sw_responder *r)
{
	struct engine *en = ctx;
	const struct sw_scan_config *cfg = en->cfg;
	struct sw_scan_stats *st = en->st;
	st->responders++;
	if (!cfg->include_nonsip) {
		struct sw_scan_record rec;
		make_record(en, r, NULL, &rec);
		if (!rec.is_sip) {
			st->nonsip_skipped++;
			return;
		}
	}
	if (!cfg->enrich) {
		emit_row(en, r, NULL);
		return;
	}
	struct pending_row *p = malloc(sizeof(*p) + r->first_len);
	if (!p) {
		emit_row(en, r, NULL); /* no memory to wait: the row goes out unenriched */
		return;
	}
	p->en = en;
	p->r = *r;
	if (r->first_len)
		memcpy(p->first, r->first, r->first_len);
	p->r.first = p->first;
	sw_enrich_start(cfg->enrich, &r->target, &p->res, on_enriched, p);
}

/* Read the resolver's answers that are in, without waiting (from the send loop). */
static void enrich_poll(struct engine *en)
{
	struct sw_enrich *e = en->cfg->enrich;
	if (!e || !sw_enrich_pending(e))
		return;
	struct pollfd pfd[ENRICH_FDS];
	size_t n = sw_enrich_pollfds(e, pfd, ENRICH_FDS);
	if (n && poll(pfd, (nfds_t)n, 0) <= 0)
		for (size_t i = 0; i < n; i++)
			pfd[i].revents = 0;
	sw_enrich_process(e, pfd, n);
}

/*
 * Whether a reply from src is an answer to one of our probes, and to which (address, probed
 * port): the address must be a target, the port one we probe (or, with one port, any: some
 * servers answer from another port); the options probe's token must match too.
 */
static int match_reply(struct engine *en, const struct sw_endpoint *src, const char *pkt,
		       uint32_t len, struct sw_endpoint *ret_key)
{
	const struct sw_scan_config *cfg = en->cfg;
	if (!sw_targets_contains(cfg->targets, src))
		return 0;
	*ret_key = *src;
	if (sw_ports_find(cfg->ports, src->port) < 0) {
		if (sw_ports_count(cfg->ports) != 1)
			return 0;
		ret_key->port = sw_ports_get(cfg->ports, 0);
	}
	if (cfg->probe->kind != SW_PROBE_OPTIONS)
		return 1;
	if (sip_parse(&en->msg, pkt, len, SIP_MODE_DATAGRAM, NULL) != 0)
		return 0;
	return sw_token_check(&cfg->probe->key, ret_key, en->msg.via.branch, en->msg.from.tag,
			      en->msg.call_id) != 0;
}

/* Take every waiting reply from one socket. */
static void receive(struct engine *en, int fd)
{
	struct sw_udp_in in[RECV_BATCH];
	for (int rounds = 0; rounds < 64; rounds++) {
		for (unsigned i = 0; i < RECV_BATCH; i++)
			in[i] = (struct sw_udp_in){.buf = en->rbuf[i], .cap = RECV_BUF};
		unsigned got = 0;
		if (sw_udp_recv_batch(fd, in, RECV_BATCH, &got) != 0 || got == 0)
			return;
		uint64_t now_usec = sw_scan_now_ns() / 1000;
		for (unsigned i = 0; i < got; i++) {
			en->st->replies++;
			struct sw_endpoint key;
			uint32_t kept = in[i].len < RECV_BUF ? in[i].len : RECV_BUF;
			if (!match_reply(en, &in[i].src, in[i].buf, kept, &key)) {
				en->st->replies_bad++;
				continue;
			}
			int rc = sw_responders_add(en->resp, &key, in[i].src.port, in[i].buf,
						   in[i].len, in[i].truncated, now_usec);
			if (rc < 0)
				en->st->replies_bad++;
		}
		if (got < RECV_BATCH)
			return;
	}
}

/* Wait for replies until deadline_ns (or a stop request), writing rows whose window closed. */
static void listen_until(struct engine *en, uint64_t deadline_ns, int honour_stop1)
{
	const struct sw_scan_config *cfg = en->cfg;
	uint64_t wait_us = (uint64_t)cfg->wait_ms * 1000;
	for (;;) {
		if (cfg->stop && (*cfg->stop >= 2 || (honour_stop1 && *cfg->stop >= 1)))
			return;
		for (int f = 0; f < 2; f++)
			if (en->fd[f] >= 0)
				receive(en, en->fd[f]);
		uint64_t now = sw_scan_now_ns();
		if (now / 1000 > wait_us)
			sw_responders_drain(en->resp, now / 1000 - wait_us, write_row, en);
		if (now >= deadline_ns)
			return;
		struct pollfd pfd[2 + ENRICH_FDS];
		nfds_t n = 0;
		for (int f = 0; f < 2; f++)
			if (en->fd[f] >= 0)
				pfd[n++] = (struct pollfd){.fd = en->fd[f], .events = POLLIN};
		uint64_t left_ms = (deadline_ns - now + NS_PER_MS - 1) / NS_PER_MS;
		/* Wake at least every 100 ms to see a stop request and close windows. */
		int wait_ms = left_ms > 100 ? 100 : (int)left_ms;
		/* The resolver's sockets and its next timeout join the same poll. */
		struct sw_enrich *e = cfg->enrich;
		nfds_t ne = 0;
		if (e && sw_enrich_pending(e)) {
			ne = (nfds_t)sw_enrich_pollfds(e, pfd + n, ENRICH_FDS);
			wait_ms = sw_enrich_timeout_ms(e, wait_ms);
		}
		if (poll(pfd, n + ne, wait_ms) <= 0)
			for (nfds_t i = 0; i < n + ne; i++)
				pfd[i].revents = 0;
		if (ne || (e && sw_enrich_pending(e)))
			sw_enrich_process(e, pfd + n, ne);
	}
}

static void report_progress(struct engine *en, uint64_t *next_ns)
{
	uint64_t now = sw_scan_now_ns();
	if (!en->cfg->progress || now < *next_ns)
		return;
	*next_ns = now + 1000 * NS_PER_MS;
	en->st->end_ns = now;
	en->cfg->progress(en->cfg->progress_ctx, en->st);
}

/*
 * The last rows wait for their PTR answers (each bounded by the resolver timeout), unless a
 * second Ctrl-C asks to write at once: then they go out without a name.
 */
static void finish_enrich(struct engine *en)
{
	const struct sw_scan_config *cfg = en->cfg;
	uint64_t next_progress = 0;
	while (cfg->enrich && sw_enrich_pending(cfg->enrich)) {
		if (cfg->stop && *cfg->stop >= 2) {
			sw_enrich_cancel(cfg->enrich);
			break;
		}
		sw_enrich_run(cfg->enrich, 100);
		report_progress(en, &next_progress);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/*
 * A sender walks one part of the permutation at its own pace. The scan has one (socket mode,
 * retries) or one per send thread (packet mode): thread t of T takes shard I + t*N of N*T, so
 * the threads together probe exactly shard I of N, whatever T is on each machine of a sharded
 * scan. Counters are read by the main thread for progress, hence the atomics.
 */
struct sender {
	struct engine *en;
	struct sw_permute pm;
	struct sw_pace pace;
	struct sw_rawsend *raw[2]; /* this sender's frame writers; NULL: the engine's sockets */
	uint32_t pass;
	int done;
	uint64_t sent, errors, last_send_ns; /* atomic when threads run */
	pthread_t tid;
	char bufs[SEND_BATCH][SW_PROBE_OPTIONS_MAX];
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/*
 * Send what the pace allows now. Returns 1 when it sent, 0 when it must wait until *ret_wake,
 * -1 when the sender's part is done or a stop was requested.
 */
static int sender_step(struct sender *s, uint64_t *ret_wake)
{
	struct engine *en = s->en;
	const struct sw_scan_config *cfg = en->cfg;
	if (s->done || (cfg->stop && *cfg->stop))
		return -1;
	uint32_t allow = sw_pace_allow(&s->pace, sw_scan_now_ns(), SEND_BATCH, ret_wake);
	if (!allow)
		return 0;
	struct sw_udp_out out[2][SEND_BATCH];
	unsigned nout[2] = {0, 0};
	uint32_t taken = 0;
	while (taken < allow) {
		uint64_t idx;
		if (sw_permute_next(&s->pm, &idx) != 1) {
			s->done = 1;
			break;
		}
		struct sw_endpoint ep;
		if (sw_targets_at(cfg->targets, cfg->ports, idx, &ep) != 0)
			continue;
		/* Retries run on the main thread only, so the table is not shared here. */
		if (s->pass > 0 && sw_responders_known(en->resp, &ep))
			continue;
		int f = fam_index(&ep);
		const uint8_t *data;
		uint32_t len = sw_probe_payload(cfg->probe, &ep, &en->src[f], s->bufs[taken],
						sizeof(s->bufs[taken]), &data);
		if (!len)
			continue;
		out[f][nout[f]++] = (struct sw_udp_out){ep, data, len};
		taken++;
	}
	for (int f = 0; f < 2; f++) {
		if (s->raw[f]) {
			for (unsigned i = 0; i < nout[f]; i++)
				if (sw_rawsend_queue(s->raw[f], &out[f][i].dst, out[f][i].data,
						     out[f][i].len) != 0)
					count(&s->errors, 1);
			unsigned sent = 0;
			if (sw_rawsend_flush(s->raw[f], &sent) != 0)
				count(&s->errors, 1);
			count(&s->sent, sent);
			continue;
		}
		unsigned off = 0;
		while (off < nout[f]) {
			unsigned sent = 0;
			if (sw_udp_send_batch(en->fd[f], out[f] + off, nout[f] - off, &sent) != 0) {
				count(&s->errors, 1);
				sent = 1; /* skip the datagram the kernel refused */
			} else if (sent == 0) {
				/* socket buffer full: let it drain a little, then go on */
				if (cfg->stop && *cfg->stop >= 2)
					return -1;
				struct pollfd pfd = {.fd = en->fd[f], .events = POLLOUT};
				poll(&pfd, 1, 10);
				continue;
			} else {
				count(&s->sent, sent);
			}
			off += sent;
		}
	}
	sw_pace_sent(&s->pace, taken);
	if (taken)
		__atomic_store_n(&s->last_send_ns, sw_scan_now_ns(), __ATOMIC_RELAXED);
	return 1;
}

/* A send thread: step, or sleep until the pace allows the next batch. */
static void *sender_thread(void *arg)
{
	struct sender *s = arg;
	uint64_t wake;
	int r;
	while ((r = sender_step(s, &wake)) >= 0) {
		if (r == 0) {
			struct timespec ts = {(time_t)(wake / 1000000000u),
					      (long)(wake % 1000000000u)};
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
	}
	return NULL;
}

/* Fold the senders' counters into the stats (the progress line reads them as they go). */
static void gather(struct engine *en, struct sender *const *snd, unsigned n, uint64_t *last)
{
	uint64_t sent = 0, errors = 0;
	for (unsigned i = 0; i < n; i++) {
		sent += __atomic_load_n(&snd[i]->sent, __ATOMIC_RELAXED);
		errors += __atomic_load_n(&snd[i]->errors, __ATOMIC_RELAXED);
		uint64_t l = __atomic_load_n(&snd[i]->last_send_ns, __ATOMIC_RELAXED);
		if (l > *last)
			*last = l;
	}
	en->st->sent = en->sent_before + sent;
	en->st->send_errors = en->errors_before + errors;
	if (sent)
		en->st->send_end_ns = *last;
}

/* One pass over this shard of the space: pass 0 probes everything, retries only the silent. */
static int one_pass(struct engine *en, uint32_t pass, uint64_t *last_send_ns, char *err,
		    size_t errlen)
{
	const struct sw_scan_config *cfg = en->cfg;
	uint64_t space = sw_targets_space(cfg->targets, cfg->ports);
	unsigned nthreads = pass == 0 ? en->nthreads : 1;
	struct sender *snd[SW_SCAN_MAX_THREADS] = {0};
	int rc = 0;
	en->sent_before = en->st->sent;
	en->errors_before = en->st->send_errors;
	for (unsigned t = 0; t < nthreads; t++) {
		if (!(snd[t] = calloc(1, sizeof(*snd[t])))) {
			rc = SW_E_NOMEM;
			goto out;
		}
		struct sender *s = snd[t];
		s->en = en;
		s->pass = pass;
		for (int f = 0; f < 2; f++)
			s->raw[f] = en->raw[f][t];
		if (sw_permute_init(&s->pm, space, cfg->seed, cfg->shard + t * cfg->nshards,
				    cfg->nshards * nthreads) != 0) {
			snprintf(err, errlen, "cannot order %llu probes",
				 (unsigned long long)space);
			rc = SW_E_RANGE;
			goto out;
		}
		if (pass == 0)
			en->st->space += sw_permute_count_hint(&s->pm);
		sw_pace_init(&s->pace, cfg->rate / nthreads ? cfg->rate / nthreads : 1,
			     sw_scan_now_ns());
	}
	uint64_t next_progress = 0;
	if (nthreads == 1) {
		uint64_t wake;
		int r;
		while ((r = sender_step(snd[0], &wake)) >= 0) {
			if (r == 0)
				listen_until(en, wake, 1);
			else {
				for (int f = 0; f < 2; f++)
					if (en->fd[f] >= 0)
						receive(en, en->fd[f]);
				enrich_poll(en);
			}
			gather(en, snd, 1, last_send_ns);
			report_progress(en, &next_progress);
		}
	} else {
		unsigned started = 0;
		for (; started < nthreads; started++)
			if (pthread_create(&snd[started]->tid, NULL, sender_thread, snd[started]) !=
			    0)
				break;
		/* The main thread receives while the senders send. */
		for (;;) {
			int running = 0;
			for (unsigned t = 0; t < started; t++)
				running |= !__atomic_load_n(&snd[t]->done, __ATOMIC_RELAXED);
			if (!running || (cfg->stop && *cfg->stop))
				break;
			listen_until(en, sw_scan_now_ns() + 20 * NS_PER_MS, 1);
			gather(en, snd, started, last_send_ns);
			report_progress(en, &next_progress);
		}
		for (unsigned t = 0; t < started; t++)
			pthread_join(snd[t]->tid, NULL);
		if (started < nthreads) {
			snprintf(err, errlen, "cannot start send thread %u", started + 1);
			rc = SW_E_IO;
		}
	}
	gather(en, snd, nthreads, last_send_ns);
out:
	for (unsigned t = 0; t < nthreads; t++)
		free(snd[t]);
	return rc;
}

int sw_scan_run(const struct sw_scan_config *cfg, struct sw_scan_stats *st, char *err,
		size_t errlen)
{
	struct engine en;
	memset(&en, 0, sizeof(en));
	memset(st, 0, sizeof(*st));
	en.cfg = cfg;
	en.st = st;
	en.fd[0] = en.fd[1] = -1;
	st->targets = sw_targets_count(cfg->targets);
	st->excluded = sw_targets_excluded(cfg->targets);
	st->start_ns = sw_scan_now_ns();
	en.wall_offset_usec = wall_usec() - st->start_ns / 1000;
	sip_msg_init(&en.msg, en.hdrs, 64);
	int rc = SW_E_NOMEM;
	if (st->targets == 0) {
		snprintf(err, errlen, "nothing to scan: every target is excluded");
		return SW_E_INVAL;
	}
	for (int i = 0; i < RECV_BATCH; i++)
		if (!(en.rbuf[i] = malloc(RECV_BUF)))
			goto out;
	if (sw_responders_new(cfg->max_responders, cfg->seed ^ UINT64_C(0x5157), &en.resp) != 0)
		goto out;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	en.nthreads = cfg->send_threads ? cfg->send_threads :
					  (unsigned)(ncpu < 1 ? 1 :
						     ncpu > 4 ? 4 :
								ncpu);
	if (en.nthreads > SW_SCAN_MAX_THREADS || cfg->nshards * en.nthreads > SW_SHARD_MAX)
		en.nthreads = 1;
	if ((rc = open_sockets(&en, err, errlen)) != 0)
		goto out;
	/* Auto mode on the socket path: one sender; the kernel's socket layer is the bottleneck. */
	if (!st->packet_mode && !cfg->send_threads)
		en.nthreads = 1;
	st->start_ns = sw_scan_now_ns(); /* rates count from the first probe, not the set-up */
	if (cfg->writer->begin && cfg->writer->begin(cfg->out) != 0) {
		snprintf(err, errlen, "writing the output: %s", strerror(errno));
		rc = SW_E_IO;
		goto out;
	}
	uint64_t last_send = sw_scan_now_ns();
	for (uint32_t pass = 0; pass <= cfg->retries; pass++) {
		if ((rc = one_pass(&en, pass, &last_send, err, errlen)) != 0)
			goto out;
		if (cfg->stop && *cfg->stop)
			break;
		/* Let this pass's replies come in before deciding who is silent. */
		listen_until(&en, last_send + (uint64_t)cfg->wait_ms * NS_PER_MS, 0);
	}
	st->interrupted = cfg->stop && *cfg->stop;
	listen_until(&en, last_send + (uint64_t)cfg->wait_ms * NS_PER_MS, 0);
	sw_responders_drain(en.resp, UINT64_MAX, write_row, &en);
	finish_enrich(&en);
	st->late = sw_responders_late(en.resp);
	if (en.namps) {
		qsort(en.amps, en.namps, sizeof(*en.amps), cmp_u32);
		st->amp_median_centi =
			en.namps % 2 ?
				en.amps[en.namps / 2] :
				(en.amps[en.namps / 2 - 1] + (uint64_t)en.amps[en.namps / 2]) / 2;
	}
	st->end_ns = sw_scan_now_ns();
	rc = 0;
	if (fflush(cfg->out) != 0 || en.write_error) {
		snprintf(err, errlen, "writing the output: %s", strerror(errno));
		rc = SW_E_IO;
	}
out:
	/* After a failure: the rows still waiting for a name go out without one. */
	if (cfg->enrich)
		sw_enrich_cancel(cfg->enrich);
	for (int f = 0; f < 2; f++) {
		if (en.fd[f] >= 0)
			close(en.fd[f]);
		for (unsigned t = 0; t < SW_SCAN_MAX_THREADS; t++)
			sw_rawsend_close(en.raw[f][t]);
	}
	for (int i = 0; i < RECV_BATCH; i++)
		free(en.rbuf[i]);
	free(en.amps);
	sw_responders_free(en.resp);
	return rc;
}
