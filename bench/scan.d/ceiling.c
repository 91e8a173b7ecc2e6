/*
 * bench/scan.d/ceiling.c: the machine's raw send ceiling on the test bed - the fastest one
 * thread (or --threads N) can push UDP frames through AF_PACKET into the target namespace, with
 * nothing a scanner must do besides (no pacing, no permutation, no receiving, no per-probe
 * building).
 *
 *   ceiling --ifname IF --src-mac MAC --dst-mac MAC --src-ip A --prefix 198.18.0.0/16
 *           [--skip FILE] [--seconds 3] [--threads 1] [--batch 64] [--size 64]
 *
 * Frames of --size bytes (default 64: Ethernet 14 + IPv4 20 + UDP 8 + 22 bytes of payload,
 * "OPTIONS" and zeros) go to UDP port 5060 of the addresses of --prefix, in order, skipping the
 * ones listed in --skip (the responders: no replies come back) - the same path through the
 * target namespace's stack as a probe to a silent address. sendmmsg() of --batch frames at a
 * time on an AF_PACKET socket with PACKET_QDISC_BYPASS, for --seconds; then prints
 * "threads T sent N seconds S pps P". With --threads N, N such senders run, each with its own
 * socket and every N-th destination. Frames leave only through IF, the bed's veth.
 *
 * On a veth the receiving side's stack runs in the sender's system call (each frame is queued to
 * the peer and processed by the softirq that runs as the transmit re-enables bottom halves), so
 * this is the rate at which one core can both send and have the targets absorb the frames - the
 * same holds for every scanner.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024

static void die(const char *what)
{
	fprintf(stderr, "ceiling: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct sender {
	unsigned ifindex;
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src; /* network order */
	const uint32_t *dst;
	uint32_t ndst, first, step;
	int batch, size;
	double end;
	unsigned long long sent;
};

/* One sending thread: its own socket and frames, every step-th destination from first. */
static void *send_loop(void *arg)
{
	struct sender *sd = arg;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: send only */
	if (fd < 0)
		die("socket(AF_PACKET)");
	int one = 1;
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0)
		die("PACKET_QDISC_BYPASS");
	int sndbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_ifindex = (int)sd->ifindex,
				  .sll_halen = 6,
				  .sll_protocol = htons(ETH_P_IP)};
	memcpy(sll.sll_addr, sd->dst_mac, 6);

	/* The frame template: everything but the destination address and the checksums. */
	int batch = sd->batch, size = sd->size;
	uint8_t(*frames)[1514] = calloc((size_t)batch, sizeof(*frames));
	struct iovec *iov = calloc((size_t)batch, sizeof(*iov));
	struct mmsghdr *msgs = calloc((size_t)batch, sizeof(*msgs));
	if (!frames || !iov || !msgs)
		die("calloc");
	uint16_t iplen = (uint16_t)(size - 14), udplen = (uint16_t)(size - 34);
	for (int i = 0; i < batch; i++) {
		uint8_t *f = frames[i], *ip = f + 14, *udp = ip + 20;
		memcpy(f, sd->dst_mac, 6);
		memcpy(f + 6, sd->src_mac, 6);
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (uint8_t)(iplen >> 8);
		ip[3] = (uint8_t)iplen;
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &sd->src, 4);
		udp[0] = 0xc3; /* source port 50000 */
		udp[1] = 0x50;
		udp[2] = 0x13; /* 5060 */
		udp[3] = 0xc4;
		udp[4] = (uint8_t)(udplen >> 8);
		udp[5] = (uint8_t)udplen;
		memcpy(udp + 8, "OPTIONS", 7); /* UDP checksum 0: none (IPv4) */
		iov[i] = (struct iovec){.iov_base = f, .iov_len = (size_t)size};
		msgs[i].msg_hdr = (struct msghdr){.msg_name = &sll,
						  .msg_namelen = sizeof(sll),
						  .msg_iov = &iov[i],
						  .msg_iovlen = 1};
	}

	unsigned long long errors = 0;
	uint32_t next = sd->first % sd->ndst;
	uint16_t id = (uint16_t)(sd->first << 12);
	while (now_s() < sd->end) {
		for (int i = 0; i < batch; i++) {
			uint8_t *ip = frames[i] + 14;
			memcpy(ip + 16, &sd->dst[next], 4);
			next += sd->step;
			if (next >= sd->ndst)
				next -= sd->ndst;
			ip[4] = (uint8_t)(id >> 8);
			ip[5] = (uint8_t)id;
			id++;
			ip[10] = ip[11] = 0;
			uint16_t c = csum(ip, 20);
			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
		}
		int n = sendmmsg(fd, msgs, (unsigned)batch, 0);
		if (n > 0)
			sd->sent += (unsigned)n;
		else if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS && ++errors > 1000)
			die("sendmmsg");
	}
	close(fd);
	free(frames);
	free(iov);
	free(msgs);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *smac = NULL, *dmac = NULL, *sip = NULL, *prefix = NULL,
		   *skip = NULL;
	double seconds = 3, batch = 64, size = 64, threads = 1;
	int bad = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--ifname"))
			ifname = v;
		else if (!strcmp(a, "--src-mac"))
			smac = v;
		else if (!strcmp(a, "--dst-mac"))
			dmac = v;
		else if (!strcmp(a, "--src-ip"))
			sip = v;
		else if (!strcmp(a, "--prefix"))
			prefix = v;
		else if (!strcmp(a, "--skip"))
			skip = v;
		else if (!strcmp(a, "--seconds"))
			bad |= parse_num(v, 0.1, 30, &seconds);
		else if (!strcmp(a, "--batch"))
			bad |= parse_num(v, 1, MAX_BATCH, &batch);
		else if (!strcmp(a, "--threads"))
			bad |= parse_num(v, 1, 16, &threads);
		else if (!strcmp(a, "--size"))
			bad |= parse_num(v, 14 + 20 + 8 + 7, 1514, &size);
		else {
			fprintf(stderr, "ceiling: unknown option %s\n", a);
			return 2;
		}
	}
	uint8_t src_mac[6], dst_mac[6];
	struct in_addr src, base;
	char pfx[64] = "";
	double bits = -1;
	if (prefix && strlen(prefix) < sizeof(pfx)) {
		snprintf(pfx, sizeof(pfx), "%s", prefix);
		char *slash = strchr(pfx, '/');
		if (slash) {
			*slash = 0;
			bad |= parse_num(slash + 1, 16, 32, &bits);
		}
	}
	if (!ifname || !smac || !dmac || !sip || !prefix || parse_mac(smac, src_mac) ||
	    parse_mac(dmac, dst_mac) || inet_pton(AF_INET, sip, &src) != 1 ||
	    inet_pton(AF_INET, pfx, &base) != 1 || bits < 16 || bad) {
		fprintf(stderr, "usage: ceiling --ifname IF --src-mac MAC --dst-mac MAC --src-ip A "
				"--prefix A/16..32 [--skip FILE] [--seconds S<=30] [--threads N] "
				"[--batch N] [--size 49..1514]\n");
		return 2;
	}

	/* The destinations: the prefix minus the skipped addresses. */
	int nbits = (int)bits;
	uint32_t first = ntohl(base.s_addr) & (nbits == 32 ? ~0u : ~((1u << (32 - nbits)) - 1));
	uint32_t count = nbits == 32 ? 1 : 1u << (32 - nbits);
	uint8_t *skipped = calloc(count, 1);
	uint32_t *dst = malloc(count * sizeof(*dst));
	if (!skipped || !dst)
		die("malloc");
	if (skip) {
		FILE *f = fopen(skip, "r");
		if (!f)
			die(skip);
		char line[128];
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, " \t\r\n#")] = 0;
			struct in_addr a;
			if (line[0] && inet_pton(AF_INET, line, &a) == 1 &&
			    ntohl(a.s_addr) - first < count)
				skipped[ntohl(a.s_addr) - first] = 1;
		}
		fclose(f);
	}
	uint32_t ndst = 0;
	for (uint32_t i = 0; i < count; i++)
		if (!skipped[i])
			dst[ndst++] = htonl(first + i);
	if (!ndst) {
		fprintf(stderr, "ceiling: no destination left\n");
		return 2;
	}

	unsigned ifindex = if_nametoindex(ifname);
	if (!ifindex)
		die(ifname);
	int nthreads = (int)threads;
	struct sender *snd = calloc((size_t)nthreads, sizeof(*snd));
	if (!snd)
		die("calloc");
	pthread_t *tid = calloc((size_t)nthreads, sizeof(*tid));
	if (!tid)
		die("calloc");
	double t0 = now_s();
	for (int t = 0; t < nthreads; t++) {
		snd[t] = (struct sender){.ifindex = ifindex,
					 .dst = dst,
					 .ndst = ndst,
					 .first = (uint32_t)t,
					 .step = (uint32_t)nthreads,
					 .batch = (int)batch,
					 .size = (int)size,
					 .end = t0 + seconds};
		memcpy(snd[t].src_mac, src_mac, 6);
		memcpy(snd[t].dst_mac, dst_mac, 6);
		snd[t].src = src.s_addr;
		if (pthread_create(&tid[t], NULL, send_loop, &snd[t]) != 0)
			die("pthread_create");
	}
	unsigned long long sent = 0;
	for (int t = 0; t < nthreads; t++) {
		pthread_join(tid[t], NULL);
		sent += snd[t].sent;
	}
	double el = now_s() - t0;
	printf("threads %d sent %llu seconds %.3f pps %.0f\n", nthreads, sent, el,
	       (double)sent / el);
	return 0;
}
