/*
 * A pcap writer for UDP datagrams known only by their endpoints and payload (the shield's log
 * of dropped packets): each record is an IPv4 or IPv6 packet with a UDP header built here, in a
 * LINKTYPE_RAW capture that tshark and Wireshark read. Writing stops, and says so once, when the
 * file would grow past its size cap, so a flood can never fill a disk.
 */
#ifndef SW_NET_PCAPW_H
#define SW_NET_PCAPW_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

struct sw_pcapw;

/* Create (truncate) path with a size cap in bytes. 0 or a negative SW_E_* code (err filled). */
int sw_pcapw_open(const char *path, uint64_t max_bytes, struct sw_pcapw **ret, char *err,
		  size_t errlen);

/*
 * Append one UDP datagram from src to dst (same family) captured at ts_usec (microseconds since
 * 1970). Returns 0, 1 when the cap was reached (nothing written, now or later), or SW_E_IO.
 */
int sw_pcapw_udp(struct sw_pcapw *w, uint64_t ts_usec, const struct sw_endpoint *src,
		 const struct sw_endpoint *dst, const uint8_t *payload, size_t len);

/* Flush and close; returns SW_E_IO when a write failed. NULL is fine. */
int sw_pcapw_close(struct sw_pcapw *w);

#endif
