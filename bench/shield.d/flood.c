/*
 * bench/shield.d/flood.c: a batched UDP generator (sendmmsg), faster than SIPp.
 *
 *   flood -d ADDR:PORT -f PAYLOAD [-s SRC] [-S NADDR] [-p PORT] [-P NPORTS] [-r PPS]
 *         [-n COUNT] [-t SECONDS] [-b BATCH]
 *
 * Sends the datagram in PAYLOAD (a SIP message, at most 8 KiB) to ADDR:PORT, from NADDR
 * consecutive source addresses starting at SRC (default 1; they must be local: bench/shield
 * adds them to the sending namespace's eth0), each with NPORTS consecutive source ports starting
 * at PORT (PORT 0: one ephemeral port per address). One connected socket per (address, port);
 * each sendmmsg() batch (default 64 datagrams) goes out of one socket, the next batch out of the
 * next, round robin: the kernel's NFQUEUE --queue-balance hashes the two addresses, so several
 * source addresses are what spreads a flood over several shield workers.
 *
 * Rate: -r PPS paces the batches (the batch is shrunk to keep the pace smooth below 64 k/s);
 * without -r it sends as fast as the kernel takes the datagrams. Always bounded: it stops after
 * COUNT datagrams (default 100 M) or SECONDS (default 5, at most 600), whichever comes first.
 *
 * Prints one line on stdout: "flood sent=N secs=S pps=R errors=E" (E: send calls that failed,
 * e.g. ICMP port unreachable reported on a connected socket, or ENOBUFS; they are retried).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchnet.h"

#define MAX_PAYLOAD 8192
#define MAX_BATCH 256
#define MAX_SOCKS 4096

static void usage(void)
{
	fprintf(stderr, "usage: flood -d ADDR:PORT -f PAYLOAD [-s SRC] [-S NADDR] [-p PORT] "
			"[-P NPORTS] [-r PPS] [-n COUNT] [-t SECONDS] [-b BATCH]\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *dst_s = NULL, *payload_path = NULL, *src_s = "0.0.0.0";
	long naddr = 1, port = 0, nports = 1, batch = 64;
	double rate = 0, secs = 5, count = 100e6;
	int c;
	while ((c = getopt(argc, argv, "d:f:s:S:p:P:r:n:t:b:")) != -1) {
		switch (c) {
		case 'd':
			dst_s = optarg;
			break;
		case 'f':
			payload_path = optarg;
			break;
		case 's':
			src_s = optarg;
			break;
		case 'S':
			naddr = strtol(optarg, NULL, 10);
			break;
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 'P':
			nports = strtol(optarg, NULL, 10);
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 'n':
			count = strtod(optarg, NULL);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'b':
			batch = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	struct sockaddr_in dst, src;
	if (!dst_s || !payload_path || bn_parse_addr_port(dst_s, &dst) != 0)
		usage();
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	if (inet_pton(AF_INET, src_s, &src.sin_addr) != 1)
		usage();
	if (naddr < 1 || nports < 1 || naddr * nports > MAX_SOCKS || port < 0 ||
	    port + nports - 1 > 65535 || batch < 1 || batch > MAX_BATCH || rate < 0 || secs <= 0 ||
	    secs > 600 || count < 1) {
		fprintf(stderr, "flood: an option is out of range\n");
		return 2;
	}

	static char payload[MAX_PAYLOAD];
	FILE *f = fopen(payload_path, "rb");
	if (!f) {
		fprintf(stderr, "flood: %s: %s\n", payload_path, strerror(errno));
		return 1;
	}
	size_t plen = fread(payload, 1, sizeof(payload), f);
	fclose(f);
	if (plen == 0 || plen == sizeof(payload)) {
		fprintf(stderr, "flood: %s: empty or larger than %d bytes\n", payload_path,
			MAX_PAYLOAD - 1);
		return 1;
	}

	static int socks[MAX_SOCKS];
	int nsock = 0;
	for (long a = 0; a < naddr; a++) {
		for (long p = 0; p < nports; p++) {
			struct sockaddr_in b = src;
			b.sin_addr.s_addr = htonl(ntohl(src.sin_addr.s_addr) + (uint32_t)a);
			b.sin_port = htons((uint16_t)(port ? port + p : 0));
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			int one = 1, sndbuf = 4 << 20;
			if (fd < 0) {
				perror("flood: socket");
				return 1;
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) !=
			    0)
				setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
			if (bind(fd, (struct sockaddr *)&b, sizeof(b)) != 0) {
				char ab[32];
				inet_ntop(AF_INET, &b.sin_addr, ab, sizeof(ab));
				fprintf(stderr, "flood: bind %s:%u: %s\n", ab, ntohs(b.sin_port),
					strerror(errno));
				return 1;
			}
			if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
				perror("flood: connect");
				return 1;
			}
			socks[nsock++] = fd;
		}
	}

	/* Every message of a batch is the same datagram: the iovecs share the one buffer. */
	static struct iovec iov[MAX_BATCH];
	static struct mmsghdr msgs[MAX_BATCH];
	for (int i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = payload;
		iov[i].iov_len = plen;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* Paced: a batch at most every ~1 ms's worth of packets, so the pace stays smooth. */
	if (rate > 0 && rate / 1000.0 < (double)batch)
		batch = rate / 1000.0 < 1 ? 1 : (long)(rate / 1000.0);

	uint64_t sent = 0, errors = 0, limit = (uint64_t)count;
	double t0 = now(), end = t0 + secs, t = t0;
	unsigned k = 0;
	while (sent < limit && t < end) {
		if (rate > 0) {
			double due = t0 + (double)sent / rate;
			if (due > t) {
				if (due > end)
					break;
				sleep_until(due);
			}
		}
		unsigned n = (unsigned)batch;
		if (limit - sent < n)
			n = (unsigned)(limit - sent);
		int r = sendmmsg(socks[k], msgs, n, 0);
		if (r > 0) {
			sent += (uint64_t)r;
			k = (k + 1) % (unsigned)nsock;
		} else {
			errors++;
			if (errno == ENOBUFS || errno == EAGAIN)
				sched_yield();
		}
		t = now();
	}
	double el = t - t0;
	printf("flood sent=%llu secs=%.3f pps=%.0f errors=%llu\n", (unsigned long long)sent, el,
	       el > 0 ? (double)sent / el : 0.0, (unsigned long long)errors);
	return 0;
}
