#include "shield/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "net/prefix.h"

const uint64_t sw_lat_bounds_ns[SW_LAT_NBOUNDS] = {
	5000,    10000,   25000,   50000,    100000,   250000,   500000,
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
};

/* The bounds as le label values, in seconds, spelled out (no exponents) for people reading. */
static const char *const le_text[SW_LAT_NBOUNDS] = {
	"0.000005", "0.00001", "0.000025", "0.00005", "0.0001", "0.00025", "0.0005",
	"0.001",    "0.0025",  "0.005",    "0.01",    "0.025",  "0.05",    "0.1",
};

/* At most this many scrapers at once, each cut off after this long idle. */
#define MAX_CONNECTIONS 16
#define CONNECTION_TIMEOUT_S 10

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

void sw_lat_hist_init(struct sw_lat_hist *h)
{
	for (size_t i = 0; i <= SW_LAT_NBOUNDS; i++)
		atomic_init(&h->bucket[i], 0);
	atomic_init(&h->sum_ns, 0);
}

void sw_lat_observe(struct sw_lat_hist *h, uint64_t ns)
{
	/* 14 bounds: a linear walk from the fast end is as quick as a search for typical values */
	size_t i = 0;
	while (i < SW_LAT_NBOUNDS && ns > sw_lat_bounds_ns[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

void sw_lat_snap_add(struct sw_lat_snap *s, const struct sw_lat_hist *h)
{
	for (size_t i = 0; i <= SW_LAT_NBOUNDS; i++)
		s->bucket[i] += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
	s->sum_ns += atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
}

/* name + suffix, checked against the buffer. */
static int suffixed(char *buf, size_t len, const char *name, const char *suffix)
{
	int n = snprintf(buf, len, "%s%s", name, suffix);
	return n < 0 || (size_t)n >= len ? SW_E_LIMIT : 0;
}

int sw_prom_lat_hist(struct sw_prom *p, const char *name, const char *labels,
		     const struct sw_lat_snap *s)
{
	char bname[256], sname[256], cname[256], lab[4096];
	if (suffixed(bname, sizeof(bname), name, "_bucket") ||
	    suffixed(sname, sizeof(sname), name, "_sum") ||
	    suffixed(cname, sizeof(cname), name, "_count")) {
		if (!p->err)
			p->err = SW_E_LIMIT;
		return p->err;
	}
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;
	for (size_t i = 0; i <= SW_LAT_NBOUNDS; i++) {
		cum += s->bucket[i];
		int n = snprintf(lab, sizeof(lab), "%s%sle=\"%s\"", labels ? labels : "", sep,
				 i < SW_LAT_NBOUNDS ? le_text[i] : "+Inf");
		if (n < 0 || (size_t)n >= sizeof(lab)) {
			if (!p->err)
				p->err = SW_E_LIMIT;
			return p->err;
		}
		sw_prom_sample(p, bname, lab, (double)cum);
	}
	sw_prom_sample(p, sname, labels, (double)s->sum_ns / 1e9);
	return sw_prom_sample(p, cname, labels, (double)cum);
}

struct sw_metrics {
	struct MHD_Daemon *mhd;
	int fd;
	uint16_t port;
	sw_metrics_fill_fn fill;
	void *arg;
	struct sw_prom page; /* reused by every scrape; only the metrics thread touches it */
};

int sw_metrics_parse_listen(const char *text, struct sw_endpoint *ret, char *err, size_t errlen)
{
	const char *colon = strrchr(text, ':');
	const char *a = text, *a_end = colon;
	if (!colon || colon == text)
		goto bad;
	if (text[0] == '[') {
		if (colon[-1] != ']')
			goto bad;
		a = text + 1;
		a_end = colon - 1;
	} else if (memchr(text, ':', (size_t)(colon - text))) {
		goto bad; /* IPv6 without brackets: the port would be ambiguous */
	}
	const char *ps = colon + 1;
	size_t pl = strlen(ps);
	if (pl == 0 || pl > 5 || strspn(ps, "0123456789") != pl)
		goto bad;
	unsigned long port = strtoul(ps, NULL, 10);
	if (port > 65535)
		goto bad;
	/* The address through the prefix parser, which must give one single address. */
	struct sw_iprange r;
	size_t al = (size_t)(a_end - a);
	if (memchr(a, '/', al) || memchr(a, '-', al) || sw_iprange_parse(a, al, &r, NULL, 0) ||
	    (text[0] == '[') != (r.family == AF_INET6))
		goto bad;
	struct sw_endpoint ep;
	if (r.family == AF_INET) {
		uint32_t be = htonl(r.v4.lo);
		sw_endpoint_set_v4(&ep, (const uint8_t *)&be, (uint16_t)port);
	} else {
		uint8_t b[16];
		sw_u128_to_bytes(r.v6.lo, b);
		sw_endpoint_set_v6(&ep, b, (uint16_t)port);
	}
	*ret = ep;
	return 0;
bad:
	sw_errf(err, errlen,
		"metrics-listen '%s': expected IPv4:PORT or [IPv6]:PORT, such as 127.0.0.1:9560 "
		"or [::1]:9560",
		text);
	return SW_E_ADDR;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
			       const char *body, size_t len, bool allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (ok == MHD_YES && allow)
		ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (ok == MHD_YES)
		ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	(void)version;
	(void)upload;
	(void)con_cls;
	struct sw_metrics *m = cls;
	static const char plain[] = "text/plain; charset=utf-8";
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		/* Answer at once and ignore any body: the connection closes after this reply. */
		*upload_len = 0;
		static const char msg[] = "method not allowed: use GET\n";
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain, msg, sizeof(msg) - 1, true);
	}
	if (strcmp(url, "/metrics") != 0) {
		static const char msg[] = "not found: the metrics are at /metrics\n";
		return respond(c, MHD_HTTP_NOT_FOUND, plain, msg, sizeof(msg) - 1, false);
	}
	sw_prom_reset(&m->page);
	int rc = m->fill(m->arg, &m->page);
	if (rc == 0)
		rc = sw_prom_error(&m->page);
	if (rc != 0) {
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "cannot produce the metrics: %s\n",
				 sw_strerror(rc));
		return respond(c, MHD_HTTP_INTERNAL_SERVER_ERROR, plain, msg, (size_t)n, false);
	}
	return respond(c, MHD_HTTP_OK, CONTENT_TYPE, sw_prom_text(&m->page), sw_prom_len(&m->page),
		       false);
}

/* A listening TCP socket on ep; the caller gets clear errors instead of libmicrohttpd's. */
static int bind_listen(const struct sw_endpoint *ep, const char *text, int *ret_fd,
		       uint16_t *ret_port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (ep->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep->port);
		memcpy(&s4->sin_addr, ep->addr, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ep->port);
		memcpy(&s6->sin6_addr, ep->addr, 16);
		sl = sizeof(*s6);
	}
	int fd = socket(ep->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
	if (fd < 0) {
		sw_errf(err, errlen, "metrics-listen %s: cannot create a socket: %s", text,
			strerror(errno));
		return SW_E_IO;
	}
	int one = 1;
	/* A restarted daemon must rebind at once, past the old connections in TIME_WAIT. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ep->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		close(fd);
		sw_errf(err, errlen, "metrics-listen %s: %s", text,
			e == EADDRINUSE    ? "address in use" :
			e == EADDRNOTAVAIL ? "no such local address" :
					     strerror(e));
		return SW_E_IO;
	}
	struct sockaddr_storage got;
	socklen_t gl = sizeof(got);
	uint16_t port = ep->port;
	if (getsockname(fd, (struct sockaddr *)&got, &gl) == 0)
		port = ntohs(got.ss_family == AF_INET ? ((struct sockaddr_in *)&got)->sin_port :
							((struct sockaddr_in6 *)&got)->sin6_port);
	*ret_fd = fd;
	*ret_port = port;
	return 0;
}

int sw_metrics_start(const char *listen, sw_metrics_fill_fn fill, void *arg,
		     struct sw_metrics **ret, char *err, size_t errlen)
{
	struct sw_endpoint ep;
	int rc = sw_metrics_parse_listen(listen, &ep, err, errlen);
	if (rc)
		return rc;
	struct sw_metrics *m = calloc(1, sizeof(*m));
	if (!m)
		return SW_E_NOMEM;
	m->fd = -1;
	m->fill = fill;
	m->arg = arg;
	sw_prom_init(&m->page, 0);
	rc = bind_listen(&ep, listen, &m->fd, &m->port, err, errlen);
	if (rc)
		goto fail;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
	if (ep.family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET,
				  (MHD_socket)m->fd, MHD_OPTION_CONNECTION_LIMIT,
				  (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
				  (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (!m->mhd) {
		sw_errf(err, errlen, "metrics-listen %s: cannot start the HTTP server", listen);
		rc = SW_E_IO;
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	if (m->fd >= 0)
		close(m->fd);
	sw_prom_free(&m->page);
	free(m);
	return rc;
}

uint16_t sw_metrics_port(const struct sw_metrics *m)
{
	return m->port;
}

void sw_metrics_stop(struct sw_metrics *m)
{
	if (!m)
		return;
	/* MHD_stop_daemon closes the listening socket it was given, too */
	MHD_stop_daemon(m->mhd);
	sw_prom_free(&m->page);
	free(m);
}
