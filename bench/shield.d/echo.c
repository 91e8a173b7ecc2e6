/*
 * bench/shield.d/echo.c: a fast SIP responder for the latency runs (in place of Kamailio, whose
 * own scheduling would blur the figure the shield adds).
 *
 *   echo -l ADDR:PORT [-t SECONDS]
 *
 * Every SIP request gets "SIP/2.0 200 OK" copying its Via, From, To (with a tag added when it
 * has none), Call-ID and CSeq, sent back to the request's source address and port: what a
 * registrar answers to a qualify OPTIONS, so the shield sees a well-formed response on its
 * way out. Responses and datagrams that are not SIP requests are ignored. Batched (recvmmsg,
 * sendmmsg). Prints "echo ready" on stdout once bound; exits after SECONDS (default 60, at most
 * 600) or on SIGTERM/SIGINT, printing "echo requests=N replies=M".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchnet.h"

#define BATCH 64
#define SLOT 4096

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int starts_with(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	return len > n && strncasecmp(line, name, n) == 0;
}

/* Builds the 200 OK for the request in req[0..len) into out; returns its length, 0 if the
 * datagram is not a request with the headers a response needs. */
static size_t build_reply(const char *req, size_t len, char *out, size_t cap)
{
	if (len < 8 || memcmp(req, "SIP/2.0 ", 8) == 0)
		return 0;
	size_t o = (size_t)snprintf(out, cap, "SIP/2.0 200 OK\r\n");
	int have = 0;
	const char *p = memchr(req, '\n', len), *end = req + len;
	while (p && p + 1 < end) {
		const char *line = p + 1;
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t ll = nl ? (size_t)(nl - line) : (size_t)(end - line);
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break; /* end of the headers */
		int to = starts_with(line, ll, "To:") || starts_with(line, ll, "t:");
		if (starts_with(line, ll, "Via:") || starts_with(line, ll, "v:") ||
		    starts_with(line, ll, "From:") || starts_with(line, ll, "f:") ||
		    starts_with(line, ll, "Call-ID:") || starts_with(line, ll, "i:") ||
		    starts_with(line, ll, "CSeq:") || to) {
			if (o + ll + 32 >= cap)
				return 0;
			memcpy(out + o, line, ll);
			o += ll;
			if (to && !memmem(line, ll, ";tag=", 5)) {
				memcpy(out + o, ";tag=echo1", 10);
				o += 10;
			}
			memcpy(out + o, "\r\n", 2);
			o += 2;
			have++;
		}
		p = nl;
	}
	if (have < 5 || o + 64 >= cap)
		return 0;
	o += (size_t)snprintf(out + o, cap - o, "Server: bench-echo\r\nContent-Length: 0\r\n\r\n");
	return o;
}

int main(int argc, char **argv)
{
	const char *listen_s = NULL;
	double secs = 60;
	int c;
	while ((c = getopt(argc, argv, "l:t:")) != -1) {
		switch (c) {
		case 'l':
			listen_s = optarg;
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		default:
			goto usage;
		}
	}
	struct sockaddr_in sa;
	if (bn_parse_addr_port(listen_s, &sa) != 0 || secs <= 0 || secs > 600)
		goto usage;

	struct sigaction act;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = {0, 100000};
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "echo: bind %s: %s\n", listen_s, strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	printf("echo ready\n");
	fflush(stdout);

	static char in[BATCH][SLOT], out[BATCH][SLOT];
	static struct iovec iin[BATCH], iout[BATCH];
	static struct mmsghdr min[BATCH], mout[BATCH];
	static struct sockaddr_in from[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iin[i].iov_base = in[i];
		iin[i].iov_len = SLOT - 1;
		min[i].msg_hdr.msg_iov = &iin[i];
		min[i].msg_hdr.msg_iovlen = 1;
		min[i].msg_hdr.msg_name = &from[i];
	}
	uint64_t nreq = 0, nrep = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	time_t deadline = ts.tv_sec + (time_t)secs + 1;
	while (!stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec >= deadline)
			break;
		for (int i = 0; i < BATCH; i++)
			min[i].msg_hdr.msg_namelen = sizeof(from[i]);
		int r = recvmmsg(fd, min, BATCH, MSG_WAITFORONE, NULL);
		if (r <= 0)
			continue;
		int k = 0;
		for (int i = 0; i < r; i++) {
			size_t len = build_reply(in[i], min[i].msg_len, out[k], SLOT);
			if (len == 0)
				continue;
			nreq++;
			iout[k].iov_base = out[k];
			iout[k].iov_len = len;
			memset(&mout[k].msg_hdr, 0, sizeof(mout[k].msg_hdr));
			mout[k].msg_hdr.msg_iov = &iout[k];
			mout[k].msg_hdr.msg_iovlen = 1;
			mout[k].msg_hdr.msg_name = &from[i];
			mout[k].msg_hdr.msg_namelen = sizeof(from[i]);
			k++;
		}
		int done = 0;
		while (done < k) {
			int s = sendmmsg(fd, mout + done, (unsigned)(k - done), 0);
			if (s <= 0)
				break;
			done += s;
		}
		nrep += (uint64_t)done;
	}
	printf("echo requests=%llu replies=%llu\n", (unsigned long long)nreq,
	       (unsigned long long)nrep);
	return 0;
usage:
	fprintf(stderr, "usage: echo -l ADDR:PORT [-t SECONDS]\n");
	return 2;
}
