#include "net/rawsend.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"

struct sw_rawsend {
	int fd;
	struct sw_route route;
	uint16_t src_port;
	uint16_t ip_id;
	unsigned n;
	uint8_t frames[SW_RAW_BATCH][SW_RAW_FRAME_MAX];
	uint16_t lens[SW_RAW_BATCH];
};

/* One's-complement sum of 16-bit big-endian words, for IP and UDP checksums. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

size_t sw_rawsend_build(const struct sw_route *route, uint16_t src_port, uint16_t ip_id,
			const struct sw_endpoint *dst, const void *payload, uint32_t len,
			uint8_t *buf, size_t cap)
{
	int v6 = dst->family == AF_INET6;
	size_t iph = v6 ? 40 : 20, total = 14 + iph + 8 + len;
	if (total > cap || route->src.family != dst->family)
		return 0;
	uint8_t *eth = buf, *ip = buf + 14, *udp = ip + iph;
	memcpy(eth, route->dst_mac, 6);
	memcpy(eth + 6, route->src_mac, 6);
	put16(eth + 12, v6 ? 0x86dd : 0x0800);
	uint16_t ulen = (uint16_t)(8 + len);
	uint32_t sum;
	if (v6) {
		ip[0] = 0x60;
		ip[1] = ip[2] = ip[3] = 0;
		put16(ip + 4, ulen);
		ip[6] = 17; /* UDP */
		ip[7] = 64; /* hop limit */
		memcpy(ip + 8, route->src.addr, 16);
		memcpy(ip + 24, dst->addr, 16);
		sum = csum_add(0, ip + 8, 32);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + ulen));
		put16(ip + 4, ip_id);
		put16(ip + 6,
		      0); /* no DF: a probe may be fragmented on its way like any datagram */
		ip[8] = 64;
		ip[9] = 17;
		put16(ip + 10, 0);
		memcpy(ip + 12, route->src.addr, 4);
		memcpy(ip + 16, dst->addr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		sum = csum_add(0, ip + 12, 8);
	}
	put16(udp, src_port);
	put16(udp + 2, dst->port);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	/* Pseudo-header: addresses (added above), protocol and UDP length. */
	sum += 17 + ulen;
	uint16_t c = csum_fold(csum_add(sum, udp, ulen));
	put16(udp + 6, c ? c : 0xffff); /* 0 means "no checksum" in IPv4 and is illegal in IPv6 */
	return total;
}

int sw_rawsend_open(const struct sw_route *route, uint16_t src_port, struct sw_rawsend **ret,
		    char *err, size_t errlen)
{
	if (route->loopback) {
		snprintf(err, errlen, "packet send mode cannot use %s (a loopback interface)",
			 route->ifname);
		return SW_E_UNSUPPORTED;
	}
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: send only */
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen,
			 "packet send mode needs CAP_NET_RAW (%s): run as root, or use --send-mode "
			 "socket",
			 strerror(e));
		return e == EPERM || e == EACCES ? SW_E_UNSUPPORTED : SW_E_IO;
	}
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = route->ifindex};
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) != 0) {
		snprintf(err, errlen, "bind to %s: %s", route->ifname, strerror(errno));
		close(fd);
		return SW_E_IO;
	}
	int one = 1; /* straight to the driver: the qdisc layer costs more than the send itself */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	int sndbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	struct sw_rawsend *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return SW_E_NOMEM;
	}
	s->fd = fd;
	s->route = *route;
	s->src_port = src_port;
	if (getrandom(&s->ip_id, sizeof(s->ip_id), 0) != sizeof(s->ip_id))
		s->ip_id = (uint16_t)getpid();
	*ret = s;
	return 0;
}

void sw_rawsend_close(struct sw_rawsend *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

int sw_rawsend_queue(struct sw_rawsend *s, const struct sw_endpoint *dst, const void *payload,
		     uint32_t len)
{
	if (s->n == SW_RAW_BATCH) {
		unsigned sent;
		int rc = sw_rawsend_flush(s, &sent);
		if (rc != 0)
			return rc;
	}
	size_t fl = sw_rawsend_build(&s->route, s->src_port, s->ip_id++, dst, payload, len,
				     s->frames[s->n], sizeof(s->frames[s->n]));
	if (!fl)
		return SW_E_RANGE;
	s->lens[s->n++] = (uint16_t)fl;
	return 0;
}

int sw_rawsend_flush(struct sw_rawsend *s, unsigned *ret_sent)
{
	struct mmsghdr msgs[SW_RAW_BATCH];
	struct iovec iov[SW_RAW_BATCH];
	unsigned done = 0, busy = 0;
	*ret_sent = 0;
	while (done < s->n) {
		unsigned n = s->n - done;
		for (unsigned i = 0; i < n; i++) {
			iov[i].iov_base = s->frames[done + i];
			iov[i].iov_len = s->lens[done + i];
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int r = sendmmsg(s->fd, msgs, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == ENOBUFS || errno == EAGAIN) && busy++ < 2000) {
				/* the driver queue is full for a moment: give it 50 us (100 ms at most) */
				usleep(50);
				continue;
			}
			s->n = 0;
			return SW_E_IO;
		}
		done += (unsigned)r;
		*ret_sent += (unsigned)r;
	}
	s->n = 0;
	return 0;
}
