/*
 * bench/shield.d/rtt.c: round-trip time of SIP OPTIONS at a steady rate.
 *
 *   rtt -s SRC:PORT -d DST:PORT [-r PPS] [-t SECONDS] [-w WAIT]
 *
 * Sends OPTIONS (a PBX qualifying its trunk: own Via branch, From tag, Call-ID and CSeq per
 * message) at PPS (default 10000) for SECONDS (default 3, at most 60), each one at its due time
 * (absolute sleeps; one datagram per send), and a second thread receives the answers and
 * matches them by the sequence number in the Call-ID. After the last send it waits WAIT
 * seconds (default 1) for late answers. Prints one line on stdout:
 *   "rtt sent=N recv=M lost=L p50_us=A p90_us=B p99_us=C p999_us=D max_us=E late_sends=K"
 * late_sends: sends more than 100 us after their due time (the sender's own pacing error).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "benchnet.h"

static int fd;
static uint64_t n_total;
static int64_t *sent_ns; /* per sequence: when it was sent (0: not yet) */
static int64_t *rtt_ns;  /* per sequence: its round trip (0: no answer yet) */
static atomic_bool sender_done;
static atomic_llong recv_until;

static void *receiver(void *arg)
{
	(void)arg;
	char buf[4096];
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
		int64_t t = bn_now_ns();
		if (r > 0) {
			buf[r] = '\0';
			const char *cid = strstr(buf, "\nCall-ID: rtt-");
			if (cid) {
				uint64_t seq = strtoull(cid + 14, NULL, 10);
				if (seq < n_total && rtt_ns[seq] == 0) {
					int64_t s =
						__atomic_load_n(&sent_ns[seq], __ATOMIC_ACQUIRE);
					if (s > 0)
						rtt_ns[seq] = t - s > 0 ? t - s : 1;
				}
			}
		}
		if (atomic_load(&sender_done) && t > atomic_load(&recv_until))
			break;
	}
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *src_s = NULL, *dst_s = NULL;
	double rate = 10000, secs = 3, wait = 1;
	int c;
	while ((c = getopt(argc, argv, "s:d:r:t:w:")) != -1) {
		switch (c) {
		case 's':
			src_s = optarg;
			break;
		case 'd':
			dst_s = optarg;
			break;
		case 'r':
			rate = strtod(optarg, NULL);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 'w':
			wait = strtod(optarg, NULL);
			break;
		default:
			goto usage;
		}
	}
	struct sockaddr_in src, dst;
	if (!src_s || !dst_s || bn_parse_addr_port(src_s, &src) ||
	    bn_parse_addr_port(dst_s, &dst) || rate <= 0 || rate > 1e6 || secs <= 0 || secs > 60 ||
	    wait < 0 || wait > 10)
		goto usage;
	n_total = (uint64_t)(rate * secs);
	sent_ns = calloc(n_total, sizeof(*sent_ns));
	rtt_ns = calloc(n_total, sizeof(*rtt_ns));
	if (!sent_ns || !rtt_ns) {
		fprintf(stderr, "rtt: out of memory\n");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	int buf = 8 << 20;
	struct timeval tv = {0, 50000};
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		fprintf(stderr, "rtt: socket %s -> %s: %s\n", src_s, dst_s, strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* wake at the due time, not up to 50 us later (the default timer slack) */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	pthread_t th;
	if (pthread_create(&th, NULL, receiver, NULL) != 0) {
		fprintf(stderr, "rtt: pthread_create failed\n");
		return 1;
	}

	char ip[32], dip[32];
	inet_ntop(AF_INET, &src.sin_addr, ip, sizeof(ip));
	inet_ntop(AF_INET, &dst.sin_addr, dip, sizeof(dip));
	unsigned sport = ntohs(src.sin_port), dport = ntohs(dst.sin_port);
	unsigned pid = (unsigned)getpid();
	char msg[1024];
	uint64_t late = 0;
	int64_t t0 = bn_now_ns() + 10000000; /* 10 ms from now */
	double period = 1e9 / rate;
	for (uint64_t i = 0; i < n_total; i++) {
		int64_t due = t0 + (int64_t)((double)i * period);
		struct timespec ts = {(time_t)(due / 1000000000LL), (long)(due % 1000000000LL)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		int len = snprintf(msg, sizeof(msg),
				   "OPTIONS sip:%s:%u SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK-%x-%llx;rport\r\n"
				   "Max-Forwards: 70\r\n"
				   "From: <sip:trunk@%s:%u>;tag=%llx%x\r\n"
				   "To: <sip:%s:%u>\r\n"
				   "Call-ID: rtt-%llu-%x@%s\r\n"
				   "CSeq: %llu OPTIONS\r\n"
				   "Contact: <sip:trunk@%s:%u>\r\n"
				   "User-Agent: FPBX-16.0.40.7(18.20.0)\r\n"
				   "Accept: application/sdp\r\n"
				   "Content-Length: 0\r\n\r\n",
				   dip, dport, ip, sport, pid, (unsigned long long)i, ip, sport,
				   (unsigned long long)i, pid, dip, dport, (unsigned long long)i,
				   pid, ip, (unsigned long long)(i % 2000000000ULL) + 1, ip, sport);
		int64_t t = bn_now_ns();
		if (t - due > 100000)
			late++;
		__atomic_store_n(&sent_ns[i], t, __ATOMIC_RELEASE);
		if (send(fd, msg, (size_t)len, 0) < 0)
			__atomic_store_n(&sent_ns[i], 0, __ATOMIC_RELEASE);
	}
	atomic_store(&recv_until, bn_now_ns() + (long long)(wait * 1e9));
	atomic_store(&sender_done, true);
	pthread_join(th, NULL);

	int64_t *v = malloc(n_total * sizeof(*v));
	uint64_t m = 0;
	if (!v)
		return 1;
	for (uint64_t i = 0; i < n_total; i++)
		if (rtt_ns[i] > 0)
			v[m++] = rtt_ns[i];
	qsort(v, m, sizeof(*v), cmp_i64);
#define PCT(q) (m ? (double)v[(uint64_t)((double)(m - 1) * (q))] / 1000.0 : -1.0)
	printf("rtt sent=%llu recv=%llu lost=%llu p50_us=%.1f p90_us=%.1f p99_us=%.1f "
	       "p999_us=%.1f max_us=%.1f late_sends=%llu\n",
	       (unsigned long long)n_total, (unsigned long long)m,
	       (unsigned long long)(n_total - m), PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999),
	       m ? (double)v[m - 1] / 1000.0 : -1.0, (unsigned long long)late);
	return 0;
usage:
	fprintf(stderr, "usage: rtt -s SRC:PORT -d DST:PORT [-r PPS] [-t SECONDS] [-w WAIT]\n");
	return 2;
}
