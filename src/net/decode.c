/*
 * The decoder peels one header at a time, and each step has the same shape: check that the bytes
 * it is about to read are there (SW_E_PKT_SHORT if not), check that the header agrees with
 * itself and with the length its outer header announced (SW_E_PKT_BAD_IP / _BAD_UDP if not),
 * then move a (pointer, available, claimed) triple past it. "available" is what the capture
 * holds, "claimed" what the enclosing IP length says is there; the two differ when the snap
 * length cut the packet (available < claimed) and, below the IP layer, when Ethernet padding
 * follows a short packet (which the IP length field trims away). Nothing is read through a
 * pointer whose offset was not compared with "available" first.
 */
#include "net/decode.h"

#include <string.h>

#include "core/err.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard 802.1ad, still seen on some switches */

/* BSD address family values found in DLT_NULL / DLT_LOOP headers. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24     /* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD 28 /* FreeBSD, DragonFly */
#define BSD_AF_INET6_DARWIN 30  /* macOS, iOS */

/* IPv6 Next Header values the walker understands. */
#define NH_HOPOPTS 0
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_AH 51
#define NH_DSTOPTS 60
#define NH_MOBILITY 135
#define NH_HIP 139
#define NH_SHIM6 140

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The transport step, shared by whole packets and reassembled datagrams. Only UDP is looked into;
 * any other protocol is a success with a view of its bytes, because counting TCP or ICMP is the
 * caller's business, not an error. The UDP length field is believed over the IP length when it
 * is smaller (trailing bytes are not part of the datagram) and reported as orig_len when larger.
 */
static int decode_l4(struct sw_decoded *d, uint8_t proto, const uint8_t *p, size_t avail,
		     size_t claimed)
{
	uint16_t ulen;
	size_t plen, present;

	d->proto = proto;
	if (proto != SW_IPPROTO_UDP) {
		d->payload = p;
		d->len = (uint32_t)avail;
		d->orig_len = (uint32_t)claimed;
		return 0;
	}
	if (claimed < 8)
		return SW_E_PKT_BAD_UDP;
	if (avail < 8)
		return SW_E_PKT_SHORT;
	ulen = rd16(p + 4);
	if (ulen < 8)
		return SW_E_PKT_BAD_UDP;
	d->src.port = rd16(p);
	d->dst.port = rd16(p + 2);
	plen = (size_t)ulen - 8;
	present = avail - 8 < plen ? avail - 8 : plen;
	d->payload = p + 8;
	d->len = (uint32_t)present;
	d->orig_len = (uint32_t)plen;
	return 0;
}

/*
 * Walk IPv6 extension headers from Next Header *nh. Stops at the first header that is not an
 * extension header (the upper-layer protocol, left in *nh) or, when frag_ok, at a fragment header
 * that describes a real fragment (d->fragment set, *nh = the fragment header's Next Header).
 * An atomic fragment (offset 0, M clear; RFC 6946) is stepped over like any extension header.
 * In a reassembled payload (frag_ok false) a second fragment header ends the walk as an upper
 * layer of its own, which the caller counts as "not UDP". ESP (50) and No Next Header (59) stop
 * the walk too: nothing readable follows them.
 */
static int walk_v6(struct sw_decoded *d, uint8_t *nh, const uint8_t **pp, size_t *avail,
		   size_t *claimed, bool frag_ok)
{
	const uint8_t *p = *pp;
	size_t hl;

	for (;;) {
		switch (*nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_MOBILITY:
		case NH_HIP:
		case NH_SHIM6:
		case NH_AH:
			break;
		case NH_FRAGMENT:
			if (frag_ok)
				break;
			/* fall through */
		default:
			*pp = p;
			return 0;
		}
		if (d->n_ext >= SW_DECODE_MAX_EXTHDR)
			return SW_E_LIMIT;
		if (*claimed < 8)
			return SW_E_PKT_BAD_IP;
		if (*avail < 8)
			return SW_E_PKT_SHORT;
		if (*nh == NH_FRAGMENT)
			hl = 8;
		else if (*nh == NH_AH)
			hl = ((size_t)p[1] + 2) * 4;
		else
			hl = ((size_t)p[1] + 1) * 8;
		if (*claimed < hl)
			return SW_E_PKT_BAD_IP;
		if (*avail < hl)
			return SW_E_PKT_SHORT;
		d->n_ext++;
		if (*nh == NH_FRAGMENT) {
			uint16_t offm = rd16(p + 2);
			if ((offm & 0xfff8) || (offm & 1)) {
				d->fragment = true;
				d->v6_fraghdr = true;
				d->more_frags = offm & 1;
				d->frag_off = offm & 0xfff8;
				d->frag_id = rd32(p + 4);
			}
		}
		*nh = p[0];
		p += hl;
		*avail -= hl;
		*claimed -= hl;
		if (d->fragment) {
			*pp = p;
			return 0;
		}
	}
}

/*
 * IPv4: options are skipped via IHL, the total length bounds the packet (padding after it is
 * ignored), and a packet with MF set or a non-zero offset is handed back as a fragment without
 * looking for a UDP header, which only the offset-0 fragment has and which describes the whole
 * datagram anyway.
 */
static int decode_v4(const uint8_t *p, size_t n, struct sw_decoded *ret)
{
	struct sw_decoded d;
	size_t ihl, total, avail;
	uint16_t fo;

	if (n < 20)
		return SW_E_PKT_SHORT;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	total = rd16(p + 2);
	if (ihl < 20 || total < ihl)
		return SW_E_PKT_BAD_IP;
	if (n < ihl)
		return SW_E_PKT_SHORT;
	avail = total <= n ? total : n;

	memset(&d, 0, sizeof(d));
	d.ip_version = 4;
	d.ip = p;
	d.ip_len = (uint32_t)avail;
	d.snapped = total > n;
	d.ttl = p[8];
	d.frag_id = rd16(p + 4);
	sw_endpoint_set_v4(&d.src, p + 12, 0);
	sw_endpoint_set_v4(&d.dst, p + 16, 0);
	fo = rd16(p + 6);
	d.more_frags = (fo & 0x2000) != 0;
	d.frag_off = (uint16_t)((fo & 0x1fff) * 8);
	if (d.more_frags || d.frag_off) {
		d.fragment = true;
		d.proto = p[9];
		d.payload = p + ihl;
		d.len = (uint32_t)(avail - ihl);
		d.orig_len = (uint32_t)(total - ihl);
	} else {
		int rc = decode_l4(&d, p[9], p + ihl, avail - ihl, total - ihl);
		if (rc < 0)
			return rc;
	}
	*ret = d;
	return 0;
}

/* IPv6: the fixed header, then the extension-header walk, then UDP unless it was a fragment. */
static int decode_v6(const uint8_t *p, size_t n, struct sw_decoded *ret)
{
	struct sw_decoded d;
	size_t total, avail, claimed;
	const uint8_t *body;
	uint8_t nh;
	int rc;

	if (n < 40)
		return SW_E_PKT_SHORT;
	total = 40 + (size_t)rd16(p + 4);
	avail = total <= n ? total : n;

	memset(&d, 0, sizeof(d));
	d.ip_version = 6;
	d.ip = p;
	d.ip_len = (uint32_t)avail;
	d.snapped = total > n;
	d.ttl = p[7];
	sw_endpoint_set_v6(&d.src, p + 8, 0);
	sw_endpoint_set_v6(&d.dst, p + 24, 0);
	nh = p[6];
	body = p + 40;
	avail -= 40;
	claimed = total - 40;
	rc = walk_v6(&d, &nh, &body, &avail, &claimed, true);
	if (rc < 0)
		return rc;
	if (d.fragment) {
		d.proto = nh;
		d.payload = body;
		d.len = (uint32_t)avail;
		d.orig_len = (uint32_t)claimed;
	} else {
		rc = decode_l4(&d, nh, body, avail, claimed);
		if (rc < 0)
			return rc;
	}
	*ret = d;
	return 0;
}

/* want: 4 or 6 when the link layer said which, 0 to go by the version nibble. */
static int decode_ip_version(const uint8_t *p, size_t n, int want, struct sw_decoded *ret)
{
	int ver;

	if (n < 1)
		return SW_E_PKT_SHORT;
	ver = p[0] >> 4;
	if (want && ver != want)
		return SW_E_PKT_BAD_IP;
	if (ver == 4)
		return decode_v4(p, n, ret);
	if (ver == 6)
		return decode_v6(p, n, ret);
	return SW_E_PKT_BAD_IP;
}

/*
 * Everything after an EtherType: Ethernet, both Linux cooked headers. VLAN tags (802.1Q, 802.1ad
 * and the old 0x9100) are stripped in a loop with a cap, since a frame can stack any number.
 */
static int decode_ethertype(uint16_t type, const uint8_t *p, size_t n, struct sw_decoded *ret)
{
	unsigned nvlan = 0;
	int want, rc;

	while (type == ETHERTYPE_8021Q || type == ETHERTYPE_8021AD || type == ETHERTYPE_QINQ_OLD) {
		if (nvlan >= SW_DECODE_MAX_VLAN)
			return SW_E_LIMIT;
		if (n < 4)
			return SW_E_PKT_SHORT;
		type = rd16(p + 2);
		p += 4;
		n -= 4;
		nvlan++;
	}
	if (type == ETHERTYPE_IPV4)
		want = 4;
	else if (type == ETHERTYPE_IPV6)
		want = 6;
	else
		return SW_E_PKT_NOT_IP;
	rc = decode_ip_version(p, n, want, ret);
	if (rc == 0)
		ret->n_vlan = (uint8_t)nvlan;
	return rc;
}

/*
 * Ethernet II, or IEEE 802.3 with an LLC/SNAP header carrying an EtherType (the only 802.3 form
 * that can carry IP); other LLC traffic (STP, NetBIOS, ...) is not IP.
 */
static int decode_ethernet(const uint8_t *p, size_t n, struct sw_decoded *ret)
{
	uint16_t type;

	if (n < 14)
		return SW_E_PKT_SHORT;
	type = rd16(p + 12);
	if (type >= 0x0600)
		return decode_ethertype(type, p + 14, n - 14, ret);
	if (type > 1500)
		return SW_E_PKT_NOT_IP;
	if (n < 17)
		return SW_E_PKT_SHORT;
	if (p[14] != 0xaa || p[15] != 0xaa || p[16] != 0x03)
		return SW_E_PKT_NOT_IP;
	if (n < 22)
		return SW_E_PKT_SHORT;
	if (p[17] || p[18] || p[19])
		return SW_E_PKT_NOT_IP;
	return decode_ethertype(rd16(p + 20), p + 22, n - 22, ret);
}

/*
 * BSD loopback: a 4-byte address family in the byte order of the host that captured (DLT_NULL)
 * or in network order (DLT_LOOP, though writers get it wrong). Both orders are tried for both:
 * the values that matter are small, so a swapped value is never mistaken for another.
 */
static int decode_loopback(const uint8_t *p, size_t n, struct sw_decoded *ret)
{
	uint32_t fam;

	if (n < 4)
		return SW_E_PKT_SHORT;
	fam = rd32(p);
	if (fam > 0xffff)
		fam = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		      (uint32_t)p[3] << 24;
	switch (fam) {
	case BSD_AF_INET:
		return decode_ip_version(p + 4, n - 4, 4, ret);
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return decode_ip_version(p + 4, n - 4, 6, ret);
	default:
		return SW_E_PKT_NOT_IP;
	}
}

bool sw_decode_linktype_supported(int dlt)
{
	switch (dlt) {
	case SW_DLT_NULL:
	case SW_DLT_EN10MB:
	case SW_DLT_RAW:
	case SW_DLT_RAW_OPENBSD:
	case SW_DLT_RAW_LINKTYPE:
	case SW_DLT_LOOP:
	case SW_DLT_LINUX_SLL:
	case SW_DLT_IPV4:
	case SW_DLT_IPV6:
	case SW_DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

int sw_decode_frame(int dlt, const uint8_t *frame, size_t caplen, struct sw_decoded *ret)
{
	switch (dlt) {
	case SW_DLT_EN10MB:
		return decode_ethernet(frame, caplen, ret);
	case SW_DLT_RAW:
	case SW_DLT_RAW_OPENBSD:
	case SW_DLT_RAW_LINKTYPE:
		return decode_ip_version(frame, caplen, 0, ret);
	case SW_DLT_IPV4:
		return decode_ip_version(frame, caplen, 4, ret);
	case SW_DLT_IPV6:
		return decode_ip_version(frame, caplen, 6, ret);
	case SW_DLT_NULL:
	case SW_DLT_LOOP:
		return decode_loopback(frame, caplen, ret);
	case SW_DLT_LINUX_SLL:
		/* type, ARPHRD, address length, 8 address bytes, then the protocol (EtherType) */
		if (caplen < 16)
			return SW_E_PKT_SHORT;
		return decode_ethertype(rd16(frame + 14), frame + 16, caplen - 16, ret);
	case SW_DLT_LINUX_SLL2:
		/* protocol first, then reserved, ifindex, ARPHRD, type, address length, address */
		if (caplen < 20)
			return SW_E_PKT_SHORT;
		return decode_ethertype(rd16(frame), frame + 20, caplen - 20, ret);
	default:
		return SW_E_PCAP_LINKTYPE;
	}
}

int sw_decode_ip(const uint8_t *pkt, size_t caplen, struct sw_decoded *ret)
{
	return decode_ip_version(pkt, caplen, 0, ret);
}

int sw_decode_reassembled(struct sw_decoded *d, const uint8_t *data, size_t len, size_t orig_len)
{
	struct sw_decoded t = *d;
	const uint8_t *p = data;
	size_t avail = len < orig_len ? len : orig_len;
	size_t claimed = orig_len;
	uint8_t nh = t.proto;
	int rc;

	t.fragment = false;
	t.more_frags = false;
	t.snapped = len < orig_len;
	if (t.ip_version == 6) {
		rc = walk_v6(&t, &nh, &p, &avail, &claimed, false);
		if (rc < 0)
			return rc;
	}
	rc = decode_l4(&t, nh, p, avail, claimed);
	if (rc < 0)
		return rc;
	*d = t;
	return 0;
}
