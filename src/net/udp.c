#include "net/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"

size_t sw_sockaddr(const struct sw_endpoint *ep, void *ss, size_t sslen)
{
	if (ep->family == AF_INET && sslen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(ep->port);
		memcpy(&sin.sin_addr, ep->addr, 4);
		memcpy(ss, &sin, sizeof(sin));
		return sizeof(sin);
	}
	if (ep->family == AF_INET6 && sslen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(ep->port);
		memcpy(&sin6.sin6_addr, ep->addr, 16);
		memcpy(ss, &sin6, sizeof(sin6));
		return sizeof(sin6);
	}
	return 0;
}

int sw_endpoint_from_sockaddr(const void *sa, size_t salen, struct sw_endpoint *ret)
{
	sa_family_t fam;
	if (salen < sizeof(fam))
		return SW_E_INVAL;
	memcpy(&fam, sa, sizeof(fam));
	if (fam == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;
		memcpy(&sin, sa, sizeof(sin));
		sw_endpoint_set_v4(ret, (const uint8_t *)&sin.sin_addr, ntohs(sin.sin_port));
		return 0;
	}
	if (fam == AF_INET6 && salen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sa, sizeof(sin6));
		sw_endpoint_set_v6(ret, (const uint8_t *)&sin6.sin6_addr, ntohs(sin6.sin6_port));
		return 0;
	}
	return SW_E_INVAL;
}

int sw_udp_open(const struct sw_endpoint *bind_ep, const struct sw_udp_opts *opts, int *ret_fd,
		char *err, size_t errlen)
{
	char where[SW_ENDPOINT_STRLEN];
	sw_endpoint_format(bind_ep, where, sizeof(where));
	int fam = bind_ep->family == AF_INET6 ? AF_INET6 : AF_INET;
	int fd = socket(fam,
			SOCK_DGRAM | SOCK_CLOEXEC | (opts && opts->nonblock ? SOCK_NONBLOCK : 0),
			IPPROTO_UDP);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return SW_E_IO;
	}
	if (fam == AF_INET6) {
		int one = 1; /* an IPv6 scan socket does not also take IPv4-mapped traffic */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	/* Buffer sizes are hints: the kernel caps them at net.core.*mem_max; not an error. */
	if (opts && opts->rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opts->rcvbuf, sizeof(opts->rcvbuf));
	if (opts && opts->sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opts->sndbuf, sizeof(opts->sndbuf));
	struct sockaddr_storage ss;
	size_t sl = sw_sockaddr(bind_ep, &ss, sizeof(ss));
	if (!sl) {
		struct sw_endpoint any = {0};
		any.family = (uint8_t)fam;
		any.port = bind_ep->port;
		sl = sw_sockaddr(&any, &ss, sizeof(ss));
	}
	if (bind(fd, (struct sockaddr *)&ss, (socklen_t)sl) != 0) {
		snprintf(err, errlen, "bind %s: %s", where, strerror(errno));
		close(fd);
		return SW_E_IO;
	}
	*ret_fd = fd;
	return 0;
}

int sw_udp_local(int fd, struct sw_endpoint *ret)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return SW_E_IO;
	return sw_endpoint_from_sockaddr(&ss, sl, ret);
}

int sw_udp_send_batch(int fd, const struct sw_udp_out *pkts, unsigned n, unsigned *ret_sent)
{
	struct mmsghdr msgs[SW_UDP_BATCH_MAX];
	struct iovec iov[SW_UDP_BATCH_MAX];
	struct sockaddr_storage to[SW_UDP_BATCH_MAX];
	if (n > SW_UDP_BATCH_MAX)
		n = SW_UDP_BATCH_MAX;
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = (void *)(uintptr_t)pkts[i].data;
		iov[i].iov_len = pkts[i].len;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &to[i];
		msgs[i].msg_hdr.msg_namelen =
			(socklen_t)sw_sockaddr(&pkts[i].dst, &to[i], sizeof(to[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int r;
	do
		r = sendmmsg(fd, msgs, n, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		*ret_sent = 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		return SW_E_IO;
	}
	*ret_sent = (unsigned)r;
	return 0;
}

int sw_udp_recv_batch(int fd, struct sw_udp_in *slots, unsigned n, unsigned *ret_got)
{
	struct mmsghdr msgs[SW_UDP_BATCH_MAX];
	struct iovec iov[SW_UDP_BATCH_MAX];
	struct sockaddr_storage from[SW_UDP_BATCH_MAX];
	if (n > SW_UDP_BATCH_MAX)
		n = SW_UDP_BATCH_MAX;
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = slots[i].buf;
		iov[i].iov_len = slots[i].cap;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	int r;
	do
		r = recvmmsg(fd, msgs, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
	while (r < 0 && errno == EINTR);
	*ret_got = 0;
	if (r < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : SW_E_IO;
	for (int i = 0; i < r; i++) {
		/* With MSG_TRUNC, msg_len is the datagram's real length even when it did not fit. */
		slots[i].len = msgs[i].msg_len;
		slots[i].truncated = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
		if (sw_endpoint_from_sockaddr(&from[i], msgs[i].msg_hdr.msg_namelen,
					      &slots[i].src) != 0)
			memset(&slots[i].src, 0, sizeof(slots[i].src));
	}
	*ret_got = (unsigned)r;
	return 0;
}
