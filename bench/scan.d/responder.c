/*
 * bench/scan.d/responder.c: the 1,024 SIP responders of the bench/scan test bed.
 *
 *   responder --truth FILE [--twice FILE] [--port 5060] [--size 300] [--seconds N] [--ready FILE]
 *
 * Runs in the target namespace, where bench/scan makes each responder address local (a /32 on
 * lo), and binds one UDP socket to ADDR:PORT for every address in --truth (one dotted quad per
 * line; IP_FREEBIND, so an address need not be local yet). One thread, epoll over all sockets,
 * non-blocking reads until EAGAIN: it keeps up with probes arriving at several hundred thousand
 * per second (the 1/64 of them that hit a responder).
 *
 * Every datagram is answered:
 *   - the bare 7-byte probe (or anything that is not a SIP request with Via/Call-ID/CSeq) gets a
 *     fixed SIP/2.0 200 OK of exactly --size bytes (default 300);
 *   - a full SIP request (svmap, nmap's payload and sip-methods) gets a 200 OK that copies its
 *     Via, From, To (with a tag added), Call-ID and CSeq, so request/response matching works.
 * Addresses listed in --twice answer every probe with two identical datagrams (servers that do
 * this exist), so the benchmark's duplicate-row column shows how each scanner copes.
 *
 * Bounded: exits by itself after --seconds (default 1200), and on SIGTERM/SIGINT. On exit it
 * writes "probes N replies M" to stderr. Only ever answers the sender of a datagram (which is
 * inside the test bed's scanner namespace: the target namespace has no other route).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RESP 65536
#define BUF 65536

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "responder: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Read dotted quads, one a line, into out[] (network order); returns the count. */
static size_t read_list(const char *path, uint32_t *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die(path);
	char line[128];
	size_t n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\r\n#")] = 0;
		if (!line[0])
			continue;
		struct in_addr a;
		if (inet_pton(AF_INET, line, &a) != 1) {
			fprintf(stderr, "responder: %s: bad address '%s'\n", path, line);
			exit(1);
		}
		if (n == cap) {
			fprintf(stderr, "responder: %s: more than %zu addresses\n", path, cap);
			exit(1);
		}
		out[n++] = a.s_addr;
	}
	fclose(f);
	return n;
}

/* The fixed answer to the bare probe: a plausible 200 OK padded to exactly size bytes. */
static size_t fixed_reply(char *buf, size_t size)
{
	static const char head[] = "SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-bench\r\n"
				   "From: <sip:bench@192.0.2.1>;tag=b3nch\r\n"
				   "To: <sip:bench@192.0.2.1>;tag=r3sp\r\n"
				   "Call-ID: bench@192.0.2.1\r\n"
				   "CSeq: 1 OPTIONS\r\n"
				   "Server: bench-responder/1.0\r\n"
				   "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
				   "Content-Length: 0\r\n";
	static const char padname[] = "X-Pad: ";
	size_t hl = sizeof(head) - 1, min = hl + sizeof(padname) - 1 + 4;
	if (size < min)
		size = min;
	memcpy(buf, head, hl);
	memcpy(buf + hl, padname, sizeof(padname) - 1);
	size_t p = hl + sizeof(padname) - 1, padlen = size - min;
	memset(buf + p, 'x', padlen);
	p += padlen;
	memcpy(buf + p, "\r\n\r\n", 4);
	return p + 4;
}

/* The value of header name (full name, case-insensitive) in msg: start and length. */
static const char *find_header(const char *msg, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = msg, *end = msg + len;
	/* skip the request line */
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return NULL;
	p = eol + 1;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		size_t ll = (size_t)(le - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			return NULL; /* end of headers */
		if (ll > nl && strncasecmp(p, name, nl) == 0 && (p[nl] == ':' || p[nl] == ' ')) {
			const char *v = p + nl;
			while (v < p + ll && (*v == ' ' || *v == ':' || *v == '\t'))
				v++;
			*vlen = (size_t)(p + ll - v);
			return v;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

/* A 200 OK echoing a full request's transaction headers; 0 when msg is no such request. */
static size_t echo_reply(const char *msg, size_t len, char *buf, size_t cap)
{
	if (len < 16 || memchr(msg, '\n', len) == NULL || !memmem(msg, len, "SIP/2.0", 7))
		return 0;
	static const char *names[] = {"Via", "From", "To", "Call-ID", "CSeq"};
	const char *v[5];
	size_t vl[5];
	for (int i = 0; i < 5; i++)
		if (!(v[i] = find_header(msg, len, names[i], &vl[i])))
			return 0;
	int n = snprintf(buf, cap, "SIP/2.0 200 OK\r\n");
	for (int i = 0; i < 5 && n > 0 && (size_t)n < cap; i++) {
		int tag = i == 2 && !memmem(v[i], vl[i], ";tag=", 5);
		n += snprintf(buf + n, cap - (size_t)n, "%s: %.*s%s\r\n", names[i], (int)vl[i],
			      v[i], tag ? ";tag=r3sp" : "");
	}
	if (n > 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n,
			      "Server: bench-responder/1.0\r\n"
			      "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE\r\n"
			      "Accept: application/sdp\r\n"
			      "Content-Length: 0\r\n\r\n");
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* A number in [lo, hi] from the whole of s (strtod: errno, end pointer and range checked). */
static int parse_num(const char *s, double lo, double hi, double *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*ret = v;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *truth = NULL, *twice_path = NULL, *ready = NULL;
	double port = 5060, seconds = 1200, size = 300;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "responder: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "--truth"))
			truth = v;
		else if (!strcmp(a, "--twice"))
			twice_path = v;
		else if (!strcmp(a, "--ready"))
			ready = v;
		else if (!strcmp(a, "--port"))
			bad |= parse_num(v, 1, 65535, &port);
		else if (!strcmp(a, "--size"))
			bad |= parse_num(v, 0, 1400, &size);
		else if (!strcmp(a, "--seconds"))
			bad |= parse_num(v, 1, 86400, &seconds);
		else {
			fprintf(stderr, "responder: unknown option %s\n", a);
			return 2;
		}
		i++;
	}
	if (!truth || bad) {
		fprintf(stderr,
			"usage: responder --truth FILE [--twice FILE] [--port P] [--size N] "
			"[--seconds N] [--ready FILE]\n");
		return 2;
	}
	static uint32_t addrs[MAX_RESP], twice[MAX_RESP];
	size_t n = read_list(truth, addrs, MAX_RESP), ntwice = 0;
	if (twice_path) {
		ntwice = read_list(twice_path, twice, MAX_RESP);
		qsort(twice, ntwice, sizeof(*twice), cmp_u32);
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)seconds);

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	int *fds = calloc(n, sizeof(*fds));
	unsigned char *dup = calloc(n, 1);
	if (!fds || !dup)
		die("calloc");
	for (size_t i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		int one = 1;
		setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons((uint16_t)port),
					  .sin_addr.s_addr = addrs[i]};
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
			die("bind");
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
			die("epoll_ctl");
		fds[i] = fd;
		dup[i] = ntwice && bsearch(&addrs[i], twice, ntwice, sizeof(*twice), cmp_u32);
	}
	if (ready) {
		int rfd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (rfd < 0)
			die(ready);
		dprintf(rfd, "%zu\n", n);
		close(rfd);
	}

	static char fixed[1500], echo[4096], in[BUF];
	size_t fixed_len = fixed_reply(fixed, (size_t)size);
	unsigned long long probes = 0, replies = 0;
	struct epoll_event evs[256];
	while (!stop) {
		int k = epoll_wait(ep, evs, 256, 500);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int e = 0; e < k; e++) {
			uint32_t i = evs[e].data.u32;
			for (;;) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t got = recvfrom(fds[i], in, sizeof(in), 0,
						       (struct sockaddr *)&from, &fl);
				if (got < 0)
					break;
				probes++;
				size_t el = echo_reply(in, (size_t)got, echo, sizeof(echo));
				const char *r = el ? echo : fixed;
				size_t rl = el ? el : fixed_len;
				for (int t = 0; t < (dup[i] ? 2 : 1); t++)
					if (sendto(fds[i], r, rl, 0, (struct sockaddr *)&from,
						   fl) == (ssize_t)rl)
						replies++;
			}
		}
	}
	fprintf(stderr, "responder: probes %llu replies %llu\n", probes, replies);
	return 0;
}
