/*
 * Batched UDP I/O on one socket: sendmmsg() and recvmmsg() so that a scan costs one system call
 * per batch of probes and per batch of replies, not one per packet.
 *
 * The scanner sends from and receives on one bound socket: replies then come to a port that is
 * open, so the kernel never answers them with ICMP port unreachable, and the packet send path
 * (AF_PACKET) can use the same source port while this socket receives.
 */
#ifndef SW_NET_UDP_H
#define SW_NET_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

/*
 * Most datagrams per batch call. The kernel takes up to 1024 (UIO_MAXIOV); 256 already makes the
 * system-call cost per packet negligible and keeps the per-call arrays (on the stack) near 50 KiB.
 */
#define SW_UDP_BATCH_MAX 256

struct sw_udp_opts {
	int rcvbuf; /* SO_RCVBUF bytes, 0 = system default */
	int sndbuf; /* SO_SNDBUF bytes, 0 = system default */
	int nonblock;
};

/*
 * Open a UDP socket of bind_ep's family bound to its address and port (port 0 = any). Returns 0
 * and the descriptor, or a negative code with the reason in err (e.g. "bind 127.0.0.1:5060:
 * Address already in use").
 */
int sw_udp_open(const struct sw_endpoint *bind_ep, const struct sw_udp_opts *opts, int *ret_fd,
		char *err, size_t errlen);

/* The address and port a socket is bound to. */
int sw_udp_local(int fd, struct sw_endpoint *ret);

struct sw_udp_out {
	struct sw_endpoint dst;
	const void *data;
	uint32_t len;
};

/*
 * Send up to n datagrams (n <= SW_UDP_BATCH_MAX). *ret_sent is how many the kernel took (a
 * prefix of the batch); 0 with a nonblocking socket whose buffer is full is not an error.
 * Returns 0 or a negative errno-based code for a failure of the first datagram.
 */
int sw_udp_send_batch(int fd, const struct sw_udp_out *pkts, unsigned n, unsigned *ret_sent);

struct sw_udp_in {
	void *buf;    /* caller's buffer */
	uint32_t cap; /* its size */
	uint32_t len; /* bytes of the datagram (may exceed cap when truncated) */
	struct sw_endpoint src;
	uint8_t truncated;
};

/*
 * Receive up to n datagrams without blocking (n <= SW_UDP_BATCH_MAX) into the slots;
 * *ret_got is how many arrived (0 when none are waiting). A datagram larger than its slot is
 * marked truncated with its real length in len.
 */
int sw_udp_recv_batch(int fd, struct sw_udp_in *slots, unsigned n, unsigned *ret_got);

/* Convert between endpoints and socket addresses; sw_sockaddr returns the length used. */
size_t sw_sockaddr(const struct sw_endpoint *ep, void *ss, size_t sslen);
int sw_endpoint_from_sockaddr(const void *sa, size_t salen, struct sw_endpoint *ret);

#endif
