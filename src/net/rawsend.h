/*
 * Raw-frame UDP sending on AF_PACKET: the scanner writes whole Ethernet frames (IPv4 or IPv6,
 * UDP, checksums computed here) straight to the interface's driver queue, skipping the kernel's
 * socket, routing and queueing-discipline layers (PACKET_QDISC_BYPASS), in batches of sendmmsg.
 * That is what lets one core put out several hundred thousand probes a second.
 *
 * The route (interface, next-hop MAC, source address) comes from sw_route_get(); replies are
 * still received by an ordinary UDP socket bound to the same source port.
 */
#ifndef SW_NET_RAWSEND_H
#define SW_NET_RAWSEND_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "net/route.h"

#define SW_RAW_BATCH 256
#define SW_RAW_FRAME_MAX 1514 /* probes are far smaller; larger payloads use the socket path */

struct sw_rawsend;

/*
 * Open a sender on route->ifindex. Needs CAP_NET_RAW: without it SW_E_UNSUPPORTED and a message
 * saying what to run instead. Loopback interfaces are refused (they carry no Ethernet).
 */
int sw_rawsend_open(const struct sw_route *route, uint16_t src_port, struct sw_rawsend **ret,
		    char *err, size_t errlen);
void sw_rawsend_close(struct sw_rawsend *s);

/*
 * Queue one UDP datagram to dst; it goes out with the batch (sw_rawsend_flush, or when the
 * batch is full). Returns 0, or SW_E_RANGE for a payload that does not fit in one frame.
 */
int sw_rawsend_queue(struct sw_rawsend *s, const struct sw_endpoint *dst, const void *payload,
		     uint32_t len);

/* Send what is queued. *ret_sent counts the frames the kernel took. */
int sw_rawsend_flush(struct sw_rawsend *s, unsigned *ret_sent);

/* Build one frame into buf (cap bytes); returns its length or 0 (exposed for the tests). */
size_t sw_rawsend_build(const struct sw_route *route, uint16_t src_port, uint16_t ip_id,
			const struct sw_endpoint *dst, const void *payload, uint32_t len,
			uint8_t *buf, size_t cap);

#endif
