/*
 * Frame decoder: link layer -> IPv4/IPv6 -> UDP, with no I/O, no allocation and no libpcap.
 *
 * sw_decode_frame() takes one captured frame (as libpcap hands it over, or a raw IP packet as
 * NFQUEUE does, with SW_DLT_RAW) and says what it carries: the IP version, the source and
 * destination endpoints, the upper-layer protocol, whether the packet is an IP fragment, and a
 * view of the UDP payload (or, for a fragment, of the fragment's data; for other protocols, of
 * their header). Every field is a view into the caller's buffer; nothing is copied.
 *
 * Lengths. A capture may hold fewer bytes than the packet had (snap length), and a frame may hold
 * more (Ethernet padding after a short IP packet). The decoder trusts the IP length fields for
 * where the packet ends, but never reads beyond the captured bytes: `len` is what is present,
 * `orig_len` what the headers claim, and `snapped` says the capture cut the IP packet short.
 * Every read is preceded by a length check, so any byte string is safe input.
 *
 * Not checked, on purpose: IPv4 header and UDP checksums (captures taken on the sending host
 * carry unfinished checksums because of offload; the shield sees packets before the kernel
 * checks them anyway).
 *
 * Not decoded: tunnels (GRE, IP-in-IP, VXLAN), MPLS, PPPoE; they count as non-IP or non-UDP.
 */
#ifndef SW_NET_DECODE_H
#define SW_NET_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

/*
 * Link types, by the numbers libpcap's pcap_datalink() returns on Linux for savefiles. The values
 * are repeated here so this file needs no libpcap header (the shield links without it).
 */
enum sw_dlt {
	SW_DLT_NULL = 0,           /* BSD loopback, 4-byte family in the capturing host's order */
	SW_DLT_EN10MB = 1,         /* Ethernet II, 802.1Q / 802.1ad tags, 802.3 + LLC/SNAP */
	SW_DLT_RAW = 12,           /* raw IPv4 or IPv6, told apart by the version nibble */
	SW_DLT_RAW_OPENBSD = 14,   /* DLT_RAW as numbered on OpenBSD */
	SW_DLT_RAW_LINKTYPE = 101, /* LINKTYPE_RAW, in case a caller passes the file's value */
	SW_DLT_LOOP = 108,         /* OpenBSD loopback, 4-byte family in network order */
	SW_DLT_LINUX_SLL = 113,    /* Linux "cooked" capture v1, 16-byte header */
	SW_DLT_IPV4 = 228,         /* raw IPv4 only */
	SW_DLT_IPV6 = 229,         /* raw IPv6 only */
	SW_DLT_LINUX_SLL2 = 276,   /* Linux "cooked" capture v2, 20-byte header */
};

/* Upper bounds on header chains an attacker controls; more is reported as SW_E_LIMIT. */
#define SW_DECODE_MAX_VLAN 8   /* stacked 802.1Q/802.1ad tags */
#define SW_DECODE_MAX_EXTHDR 8 /* IPv6 extension headers before the upper-layer header */

#define SW_IPPROTO_UDP 17

struct sw_decoded {
	struct sw_endpoint src, dst; /* ports are set only for a whole (unfragmented) UDP packet */
	/*
	 * UDP: the UDP payload. Fragment: the fragment's data, i.e. the bytes after the IPv4 header
	 * or after the IPv6 fragment header. Other protocols: their header and what follows.
	 */
	const uint8_t *payload;
	uint32_t len;      /* bytes of payload present in the frame */
	uint32_t orig_len; /* bytes the headers claim: UDP length - 8, or IP payload length */
	/*
	 * len < orig_len: bytes are missing, because the capture cut the packet (snapped) or
	 * because the UDP length field claims more than the IP packet holds (snapped false).
	 */
	const uint8_t *ip;  /* the IP header, for callers that keep or forward the packet */
	uint32_t ip_len;    /* IP packet bytes present: min(IP length field, captured) */
	uint32_t frag_id;   /* IPv4 identification (16 bits) or IPv6 fragment identification */
	uint16_t frag_off;  /* byte offset of this fragment's data in the original payload */
	uint8_t ip_version; /* 4 or 6 */
	/*
	 * Upper-layer protocol (17 = UDP). For an IPv6 fragment: the fragment header's Next Header,
	 * which may name a further extension header; sw_decode_reassembled() walks it.
	 */
	uint8_t proto;
	uint8_t ttl;     /* IPv4 TTL or IPv6 hop limit */
	uint8_t n_ext;   /* IPv6 extension headers walked (fragment header included) */
	uint8_t n_vlan;  /* VLAN tags skipped */
	bool fragment;   /* an IP fragment: payload is fragment data, not a transport header */
	bool more_frags; /* the MF flag (IPv4) or M flag (IPv6 fragment header) */
	bool v6_fraghdr; /* fragment information came from an IPv6 fragment header */
	bool snapped;    /* the capture holds fewer bytes than the IP length field says */
};

/* True when sw_decode_frame() understands link type dlt. */
bool sw_decode_linktype_supported(int dlt);

/*
 * Decode one frame of link type dlt. Returns 0 with *ret filled when the frame carries a
 * well-formed IPv4 or IPv6 packet, whatever its protocol (see ret->proto and ret->fragment);
 * otherwise, with *ret untouched:
 *   SW_E_PCAP_LINKTYPE  dlt is not supported;
 *   SW_E_PKT_NOT_IP     the frame is well-formed but carries something else (ARP, LLDP, ...);
 *   SW_E_PKT_SHORT      the frame ends inside a link, IP or UDP header;
 *   SW_E_PKT_BAD_IP     the IP header contradicts itself (version, IHL, length fields);
 *   SW_E_PKT_BAD_UDP    the UDP length field is below 8, or the IP packet cannot hold a UDP
 *                       header;
 *   SW_E_LIMIT          more than SW_DECODE_MAX_VLAN tags or SW_DECODE_MAX_EXTHDR headers.
 */
int sw_decode_frame(int dlt, const uint8_t *frame, size_t caplen, struct sw_decoded *ret);

/* Decode a raw IPv4 or IPv6 packet (version from the first nibble). Same returns. */
int sw_decode_ip(const uint8_t *pkt, size_t caplen, struct sw_decoded *ret);

/*
 * Finish a reassembled datagram. d is the decode of one of its fragments (for the addresses and
 * IP version) with d->proto set to the datagram's protocol (sw_reasm_result.proto: for IPv6 the
 * Next Header of the offset-0 fragment header); data/len/orig_len is the reassembled payload,
 * len bytes present of orig_len. Walks the remaining IPv6 extension headers and the UDP header
 * as sw_decode_frame() does for an unfragmented packet and on success rewrites d to match
 * (fragment false, payload into data, snapped when len < orig_len; ip/ip_len still describe the
 * fragment d came from). Same returns as sw_decode_frame().
 */
int sw_decode_reassembled(struct sw_decoded *d, const uint8_t *data, size_t len, size_t orig_len);

#endif
