#include "net/route.h"

#include <errno.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "net/udp.h"

#define NL_BUF 16384

static int addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Send one rtnetlink request and call fn for every message of the answer. */
static int nl_query(const void *req, size_t len, int (*fn)(void *ctx, const struct nlmsghdr *nh),
		    void *ctx)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return SW_E_IO;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int rc = SW_E_IO;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	static char buf[NL_BUF];
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 1000) != 1)
			goto out;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			goto out;
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);
				rc = e->error == 0 ? 0 : SW_E_IO;
				goto out;
			}
			int r = fn(ctx, nh);
			if (r != 0) {
				rc = r > 0 ? 0 : r;
				goto out;
			}
			if (!(nh->nlmsg_flags & NLM_F_MULTI)) {
				rc = 0;
				goto out;
			}
		}
	}
out:
	close(fd);
	return rc;
}

struct route_ctx {
	int family;
	struct sw_route *r;
	int found;
};

static int on_route(void *ctx, const struct nlmsghdr *nh)
{
	struct route_ctx *c = ctx;
	if (nh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	const struct rtmsg *rtm = NLMSG_DATA(nh);
	int len = (int)RTM_PAYLOAD(nh);
	for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		size_t al = RTA_PAYLOAD(a);
		if (a->rta_type == RTA_OIF && al >= sizeof(int)) {
			memcpy(&c->r->ifindex, RTA_DATA(a), sizeof(int));
		} else if (a->rta_type == RTA_GATEWAY && al == (size_t)addr_len(c->family)) {
			c->r->nexthop.family = (uint8_t)c->family;
			memcpy(c->r->nexthop.addr, RTA_DATA(a), al);
			c->r->has_gateway = 1;
		} else if (a->rta_type == RTA_PREFSRC && al == (size_t)addr_len(c->family)) {
			c->r->src.family = (uint8_t)c->family;
			memcpy(c->r->src.addr, RTA_DATA(a), al);
		}
	}
	c->found = 1;
	return 1;
}

struct neigh_ctx {
	int family, ifindex;
	const struct sw_endpoint *ip;
	uint8_t mac[6];
	int found;
};

static int on_neigh(void *ctx, const struct nlmsghdr *nh)
{
	struct neigh_ctx *c = ctx;
	if (nh->nlmsg_type != RTM_NEWNEIGH)
		return 0;
	const struct ndmsg *nd = NLMSG_DATA(nh);
	if (nd->ndm_ifindex != c->ifindex || nd->ndm_family != c->family)
		return 0;
	/* Entries that are being resolved or failed carry no usable address. */
	if (nd->ndm_state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE))
		return 0;
	int len = (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(*nd)));
	const uint8_t *dst = NULL, *ll = NULL;
	for (const struct rtattr *a =
		     (const struct rtattr *)((const char *)nd + NLMSG_ALIGN(sizeof(*nd)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == (size_t)addr_len(c->family))
			dst = RTA_DATA(a);
		else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6)
			ll = RTA_DATA(a);
	}
	if (dst && ll && memcmp(dst, c->ip->addr, (size_t)addr_len(c->family)) == 0) {
		memcpy(c->mac, ll, 6);
		c->found = 1;
		return 1;
	}
	return 0;
}

static int neigh_lookup(int family, int ifindex, const struct sw_endpoint *ip, uint8_t mac[6])
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.nd));
	req.nh.nlmsg_type = RTM_GETNEIGH;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nd.ndm_family = (uint8_t)family;
	struct neigh_ctx c = {.family = family, .ifindex = ifindex, .ip = ip};
	if (nl_query(&req, req.nh.nlmsg_len, on_neigh, &c) != 0 || !c.found)
		return SW_E_IO;
	memcpy(mac, c.mac, 6);
	return 0;
}

/*
 * Make the kernel resolve the next hop toward dst: send dst one empty datagram to the discard
 * port through an ordinary socket (a destination the scan probes anyway).
 */
static void provoke_resolution(const struct sw_endpoint *dst)
{
	struct sw_endpoint any = {0}, to = *dst;
	any.family = dst->family;
	to.port = 9;
	int fd;
	char err[64];
	if (sw_udp_open(&any, NULL, &fd, err, sizeof(err)) != 0)
		return;
	struct sw_udp_out one = {to, "", 0};
	unsigned sent;
	sw_udp_send_batch(fd, &one, 1, &sent);
	close(fd);
}

static int link_info(struct sw_route *r)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return SW_E_IO;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	int rc = SW_E_IO;
	if (!if_indextoname((unsigned)r->ifindex, ifr.ifr_name))
		goto out;
	memcpy(r->ifname, ifr.ifr_name, sizeof(r->ifname));
	r->ifname[sizeof(r->ifname) - 1] = '\0';
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) != 0)
		goto out;
	r->loopback = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
	memcpy(r->src_mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0)
		r->mtu = (unsigned)ifr.ifr_mtu;
	rc = 0;
out:
	close(fd);
	return rc;
}

int sw_route_get(const struct sw_endpoint *dst, struct sw_route *ret, char *err, size_t errlen)
{
	char where[SW_ADDR_STRLEN];
	sw_addr_format(dst, where, sizeof(where));
	int family = dst->family == AF_INET6 ? AF_INET6 : AF_INET;
	struct sw_route r;
	memset(&r, 0, sizeof(r));
	struct {
		struct nlmsghdr nh;
		struct rtmsg rtm;
		char attrs[64];
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.rtm.rtm_family = (uint8_t)family;
	req.rtm.rtm_dst_len = (uint8_t)(addr_len(family) * 8);
	struct rtattr *a = (struct rtattr *)req.attrs;
	a->rta_type = RTA_DST;
	a->rta_len = (unsigned short)RTA_LENGTH(addr_len(family));
	memcpy(RTA_DATA(a), dst->addr, (size_t)addr_len(family));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rtm)) + RTA_ALIGN(a->rta_len);
	struct route_ctx c = {.family = family, .r = &r};
	if (nl_query(&req, req.nh.nlmsg_len, on_route, &c) != 0 || !c.found || !r.ifindex) {
		snprintf(err, errlen, "no route to %s", where);
		return SW_E_IO;
	}
	if (link_info(&r) != 0) {
		snprintf(err, errlen, "interface %d of the route to %s: %s", r.ifindex, where,
			 strerror(errno));
		return SW_E_IO;
	}
	if (!r.has_gateway) {
		r.nexthop = *dst;
		r.nexthop.port = 0;
	}
	if (r.loopback) {
		*ret = r;
		return 0;
	}
	for (int tries = 0; tries < 20; tries++) {
		if (neigh_lookup(family, r.ifindex, &r.nexthop, r.dst_mac) == 0) {
			*ret = r;
			return 0;
		}
		if (tries == 0)
			provoke_resolution(dst);
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	char hop[SW_ADDR_STRLEN];
	sw_addr_format(&r.nexthop, hop, sizeof(hop));
	snprintf(err, errlen, "next hop %s on %s does not answer %s", hop, r.ifname,
		 family == AF_INET6 ? "neighbour discovery" : "ARP");
	return SW_E_IO;
}
