/*
 * bench/shield.d/sink.c: counts the datagrams that reach ADDR:PORT (recvmmsg), in place of
 * Kamailio, so that the server is never the bottleneck of a capacity run.
 *
 *   sink -l ADDR:PORT [-t SECONDS] [-i IDLE]
 *
 * Prints "sink ready" on stdout once bound, then receives until SECONDS have passed (default
 * 30, at most 600), or IDLE seconds (default 1) after the last datagram once one has arrived,
 * or SIGTERM/SIGINT. Last line on stdout:
 *   "sink packets=N window=S pps=R"
 * with S the time from the first datagram to the last and R = N / S: the delivery rate while
 * the generator ran. Answers nothing.
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchnet.h"

#define BATCH 256
#define SLOT 2048

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *listen_s = NULL;
	double secs = 30, idle = 1;
	int c;
	while ((c = getopt(argc, argv, "l:t:i:")) != -1) {
		switch (c) {
		case 'l':
			listen_s = optarg;
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'i':
			idle = strtod(optarg, NULL);
			break;
		default:
			goto usage;
		}
	}
	struct sockaddr_in sa;
	if (bn_parse_addr_port(listen_s, &sa) != 0 || secs <= 0 || secs > 600 || idle <= 0)
		goto usage;

	struct sigaction act;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rcvbuf = 32 << 20;
	struct timeval tv = {0, 100000};
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "sink: bind %s: %s\n", listen_s, strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	printf("sink ready\n");
	fflush(stdout);

	static char bufs[BATCH][SLOT];
	static struct iovec iov[BATCH];
	static struct mmsghdr msgs[BATCH];
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = SLOT;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t n = 0;
	double t0 = now(), first = 0, last = 0;
	while (!stop) {
		double t = now();
		if (t - t0 > secs || (n > 0 && t - last > idle))
			break;
		int r = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (r > 0) {
			last = now();
			if (n == 0)
				first = last;
			n += (uint64_t)r;
		}
	}
	double w = last - first;
	printf("sink packets=%llu window=%.3f pps=%.0f\n", (unsigned long long)n, w,
	       w > 0 ? (double)n / w : 0.0);
	return 0;
usage:
	fprintf(stderr, "usage: sink -l ADDR:PORT [-t SECONDS] [-i IDLE]\n");
	return 2;
}
