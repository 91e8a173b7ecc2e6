/*
 * Where the kernel would send a packet: the route (interface, gateway, preferred source) and the
 * next hop's link-layer address, asked of the kernel over rtnetlink, so that a raw-frame sender
 * needs no --gateway-mac from its user.
 *
 * A next hop missing from the neighbour table is resolved the kernel's way: one empty UDP
 * datagram goes to the destination's discard port through an ordinary socket, which makes the
 * kernel run ARP or neighbour discovery; the table is then read again for up to a second.
 */
#ifndef SW_NET_ROUTE_H
#define SW_NET_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

struct sw_route {
	int ifindex;
	char ifname[16];
	uint8_t src_mac[6];
	uint8_t dst_mac[6];         /* the next hop's */
	struct sw_endpoint src;     /* preferred source address (port 0) */
	struct sw_endpoint nexthop; /* the gateway, or the destination itself when on-link */
	int has_gateway;
	int loopback; /* the interface is a loopback (no Ethernet header there) */
	unsigned mtu;
};

/*
 * Look up the route to dst and resolve its next hop's MAC. Returns 0, or a negative code with
 * the reason in err ("no route to 198.18.0.1", "next hop 10.0.0.1 on veth0 does not answer
 * ARP", ...).
 */
int sw_route_get(const struct sw_endpoint *dst, struct sw_route *ret, char *err, size_t errlen);

#endif
