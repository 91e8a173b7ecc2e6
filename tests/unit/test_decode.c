/*
 * Tests of the pure packet layer: endpoint formatting (net/addr), the frame decoder (net/decode)
 * and fragment reassembly (net/reasm). Frames are built byte by byte here so each test shows what
 * it feeds; guard-page tests cut every frame at every length to prove no read goes past the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "net/addr.h"
#include "net/decode.h"
#include "net/reasm.h"
#include "testutil.h"

static const char SIPMSG[] = "OPTIONS sip:100@example.invalid SIP/2.0\r\nContent-Length: 0\r\n\r\n";
#define SIPLEN (sizeof(SIPMSG) - 1)

/* ---- a tiny frame builder ---- */

struct buf {
	uint8_t b[4096];
	size_t n;
};

static void b_bytes(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void b_u8(struct buf *b, uint8_t v)
{
	b_bytes(b, &v, 1);
}

static void b_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	b_bytes(b, x, 2);
}

static void b_u32(struct buf *b, uint32_t v)
{
	b_u16(b, (uint16_t)(v >> 16));
	b_u16(b, (uint16_t)v);
}

static void b_zero(struct buf *b, size_t n)
{
	static const uint8_t z[64];
	assert_true(n <= sizeof(z));
	b_bytes(b, z, n);
}

static void b_addr(struct buf *b, int af, const char *text)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(af, text, a), 1);
	b_bytes(b, a, af == AF_INET ? 4 : 16);
}

static void b_eth(struct buf *b, uint16_t type)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	b_bytes(b, macs, 12);
	b_u16(b, type);
}

/* IPv4 header without options; total = 20 + plen unless total is given (non-zero). */
static void b_ip4(struct buf *b, const char *src, const char *dst, uint8_t proto, size_t plen,
		  uint16_t id, uint16_t fo, uint16_t total)
{
	b_u8(b, 0x45);
	b_u8(b, 0);
	b_u16(b, total ? total : (uint16_t)(20 + plen));
	b_u16(b, id);
	b_u16(b, fo);
	b_u8(b, 61);
	b_u8(b, proto);
	b_u16(b, 0);
	b_addr(b, AF_INET, src);
	b_addr(b, AF_INET, dst);
}

static void b_ip6(struct buf *b, const char *src, const char *dst, uint8_t nh, size_t plen)
{
	b_u32(b, 0x60000000);
	b_u16(b, (uint16_t)plen);
	b_u8(b, nh);
	b_u8(b, 33);
	b_addr(b, AF_INET6, src);
	b_addr(b, AF_INET6, dst);
}

/* An 8-byte hop-by-hop / destination options header holding a PadN option. */
static void b_opts8(struct buf *b, uint8_t nh)
{
	static const uint8_t padn[6] = {1, 4, 0, 0, 0, 0};
	b_u8(b, nh);
	b_u8(b, 0);
	b_bytes(b, padn, 6);
}

static void b_udp(struct buf *b, uint16_t sp, uint16_t dp, const void *payload, size_t n)
{
	b_u16(b, sp);
	b_u16(b, dp);
	b_u16(b, (uint16_t)(8 + n));
	b_u16(b, 0);
	b_bytes(b, payload, n);
}

/* The common test packet: 192.0.2.1:5060 -> 198.51.100.2:5080 carrying SIPMSG. */
static void b_udp4_packet(struct buf *b)
{
	b_ip4(b, "192.0.2.1", "198.51.100.2", 17, 8 + SIPLEN, 0x1111, 0, 0);
	b_udp(b, 5060, 5080, SIPMSG, SIPLEN);
}

/* [2001:db8::1]:5062 -> [2001:db8::2]:5060 carrying SIPMSG. */
static void b_udp6_packet(struct buf *b)
{
	b_ip6(b, "2001:db8::1", "2001:db8::2", 17, 8 + SIPLEN);
	b_udp(b, 5062, 5060, SIPMSG, SIPLEN);
}

static void check_ep(const struct sw_endpoint *ep, const char *text)
{
	char s[SW_ENDPOINT_STRLEN];
	sw_endpoint_format(ep, s, sizeof(s));
	assert_string_equal(s, text);
}

static void check_udp4(const struct sw_decoded *d)
{
	assert_int_equal(d->ip_version, 4);
	assert_int_equal(d->proto, 17);
	assert_int_equal(d->ttl, 61);
	assert_false(d->fragment);
	assert_false(d->snapped);
	check_ep(&d->src, "192.0.2.1:5060");
	check_ep(&d->dst, "198.51.100.2:5080");
	assert_int_equal(d->len, SIPLEN);
	assert_int_equal(d->orig_len, SIPLEN);
	assert_memory_equal(d->payload, SIPMSG, SIPLEN);
	assert_int_equal(d->ip_len, 20 + 8 + SIPLEN);
}

static void check_udp6(const struct sw_decoded *d)
{
	assert_int_equal(d->ip_version, 6);
	assert_int_equal(d->proto, 17);
	assert_int_equal(d->ttl, 33);
	assert_false(d->fragment);
	check_ep(&d->src, "[2001:db8::1]:5062");
	check_ep(&d->dst, "[2001:db8::2]:5060");
	assert_int_equal(d->len, SIPLEN);
	assert_int_equal(d->orig_len, SIPLEN);
	assert_memory_equal(d->payload, SIPMSG, SIPLEN);
}

static int decode(int dlt, const struct buf *b, struct sw_decoded *d)
{
	memset(d, 0xa5, sizeof(*d)); /* so a field left unset shows */
	return sw_decode_frame(dlt, b->b, b->n, d);
}

/* ---- addr ---- */

static void test_addr_format(void **state)
{
	struct sw_endpoint ep;
	uint8_t a4[4] = {192, 0, 2, 1};
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t m6[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 7};
	char s[SW_ENDPOINT_STRLEN];
	(void)state;

	sw_endpoint_set_v4(&ep, a4, 5060);
	assert_int_equal(sw_endpoint_format(&ep, s, sizeof(s)), 14);
	assert_string_equal(s, "192.0.2.1:5060");
	assert_int_equal(sw_addr_format(&ep, s, sizeof(s)), 9);
	assert_string_equal(s, "192.0.2.1");
	/* cut off like snprintf: the full length comes back, the buffer holds what fits */
	assert_int_equal(sw_endpoint_format(&ep, s, 5), 14);
	assert_string_equal(s, "192.");

	sw_endpoint_set_v6(&ep, a6, 5061);
	assert_int_equal(sw_endpoint_format(&ep, s, sizeof(s)), 18);
	assert_string_equal(s, "[2001:db8::1]:5061");
	sw_addr_format(&ep, s, sizeof(s));
	assert_string_equal(s, "2001:db8::1");
	sw_endpoint_set_v6(&ep, m6, 0);
	sw_endpoint_format(&ep, s, sizeof(s));
	assert_string_equal(s, "[::ffff:192.0.2.7]:0");

	/* the longest text fits SW_ENDPOINT_STRLEN */
	memset(a6, 0xff, 16);
	sw_endpoint_set_v6(&ep, a6, 65535);
	assert_int_equal(sw_endpoint_format(&ep, s, sizeof(s)), 47);
	assert_string_equal(s, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

	memset(&ep, 0, sizeof(ep));
	assert_int_equal(sw_endpoint_format(&ep, s, sizeof(s)), SW_E_INVAL);
	assert_string_equal(s, "?");
	assert_int_equal(sw_addr_format(&ep, s, sizeof(s)), SW_E_INVAL);
}

static void test_addr_equal(void **state)
{
	struct sw_endpoint a, b;
	uint8_t a4[4] = {192, 0, 2, 1};
	uint8_t a6[16] = {192, 0, 2, 1};
	(void)state;

	sw_endpoint_set_v4(&a, a4, 1);
	sw_endpoint_set_v4(&b, a4, 2);
	assert_true(sw_addr_equal(&a, &b));
	assert_false(sw_endpoint_equal(&a, &b));
	b.port = 1;
	assert_true(sw_endpoint_equal(&a, &b));
	sw_endpoint_set_v6(&b, a6, 1);
	assert_false(sw_addr_equal(&a, &b));
}

/* ---- link layers ---- */

static void test_eth_udp4(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_eth(&b, 0x0800);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
	check_udp4(&d);
	assert_int_equal(d.n_vlan, 0);
	assert_ptr_equal(d.ip, b.b + 14);
	assert_ptr_equal(d.payload, b.b + 14 + 28);
}

/* A short packet padded to the 60-byte Ethernet minimum: the IP length says where it ends. */
static void test_eth_padding(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_eth(&b, 0x0800);
	b_ip4(&b, "192.0.2.1", "198.51.100.2", 17, 12, 1, 0, 0);
	b_udp(&b, 5060, 5060, "\r\n\r\n", 4);
	b_bytes(&b, "PADPADPADPADPADPADPA", 60 - b.n);
	assert_int_equal(b.n, 60);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
	assert_int_equal(d.len, 4);
	assert_int_equal(d.orig_len, 4);
	assert_memory_equal(d.payload, "\r\n\r\n", 4);
	assert_int_equal(d.ip_len, 32);
	assert_false(d.snapped);
}

static void test_vlan(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* one 802.1Q tag */
	b_eth(&b, 0x8100);
	b_u16(&b, 100);
	b_u16(&b, 0x0800);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
	check_udp4(&d);
	assert_int_equal(d.n_vlan, 1);

	/* 802.1ad outer, 802.1Q inner, IPv6 */
	b.n = 0;
	b_eth(&b, 0x88a8);
	b_u16(&b, 10);
	b_u16(&b, 0x8100);
	b_u16(&b, 20);
	b_u16(&b, 0x86dd);
	b_udp6_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
	check_udp6(&d);
	assert_int_equal(d.n_vlan, 2);

	/* the pre-standard 0x9100 tag */
	b.n = 0;
	b_eth(&b, 0x9100);
	b_u16(&b, 7);
	b_u16(&b, 0x0800);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
	check_udp4(&d);
}

static void test_vlan_limit(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	for (unsigned ntags = SW_DECODE_MAX_VLAN; ntags <= SW_DECODE_MAX_VLAN + 1; ntags++) {
		b.n = 0;
		b_eth(&b, 0x8100);
		for (unsigned i = 0; i < ntags; i++) {
			b_u16(&b, (uint16_t)i);
			b_u16(&b, i + 1 < ntags ? 0x8100 : 0x0800);
		}
		b_udp4_packet(&b);
		if (ntags <= SW_DECODE_MAX_VLAN) {
			assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
			assert_int_equal(d.n_vlan, ntags);
			check_udp4(&d);
		} else {
			assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), SW_E_LIMIT);
		}
	}
}

static void test_llc(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	static const uint8_t snap[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
	static const uint8_t stp[3] = {0x42, 0x42, 0x03};
	(void)state;

	b_eth(&b, 8 + 28 + SIPLEN);
	b_bytes(&b, snap, 8);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), 0);
	check_udp4(&d);

	b.n = 0;
	b_eth(&b, 38);
	b_bytes(&b, stp, 3);
	b_zero(&b, 35);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), SW_E_PKT_NOT_IP);

	/* SNAP with a vendor OUI is not an EtherType */
	b.n = 0;
	b_eth(&b, 8 + 28 + SIPLEN);
	b_bytes(&b, snap, 5);
	b_u8(&b, 1);
	b_u16(&b, 0x0800);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), SW_E_PKT_NOT_IP);
}

static void test_not_ip(void **state)
{
	static const uint16_t types[] = {0x0806, 0x88cc, 0x8847, 0x05ff, 0x8864};
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		b.n = 0;
		b_eth(&b, types[i]);
		b_zero(&b, 46);
		assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), SW_E_PKT_NOT_IP);
	}
	/* the link layer announces IPv4 but the packet says 6, and the other way round */
	b.n = 0;
	b_eth(&b, 0x0800);
	b_udp6_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), SW_E_PKT_BAD_IP);
	b.n = 0;
	b_eth(&b, 0x86dd);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_EN10MB, &b, &d), SW_E_PKT_BAD_IP);
}

static void test_sll(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* v1: packet type, ARPHRD, address length, 8 address bytes, protocol */
	b_u16(&b, 0);
	b_u16(&b, 1);
	b_u16(&b, 6);
	b_zero(&b, 8);
	b_u16(&b, 0x0800);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_LINUX_SLL, &b, &d), 0);
	check_udp4(&d);

	/* v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes */
	b.n = 0;
	b_u16(&b, 0x86dd);
	b_u16(&b, 0);
	b_u32(&b, 3);
	b_u16(&b, 1);
	b_u8(&b, 4);
	b_u8(&b, 6);
	b_zero(&b, 8);
	b_udp6_packet(&b);
	assert_int_equal(decode(SW_DLT_LINUX_SLL2, &b, &d), 0);
	check_udp6(&d);

	/* a VLAN tag left in by the cooked header */
	b.n = 0;
	b_u16(&b, 0x8100);
	b_zero(&b, 18);
	b_u16(&b, 5);
	b_u16(&b, 0x0800);
	b_udp4_packet(&b);
	assert_int_equal(decode(SW_DLT_LINUX_SLL2, &b, &d), 0);
	check_udp4(&d);
	assert_int_equal(d.n_vlan, 1);
}

static void test_raw(void **state)
{
	static const int raws[] = {SW_DLT_RAW, SW_DLT_RAW_OPENBSD, SW_DLT_RAW_LINKTYPE};
	struct buf b4 = {0}, b6 = {0};
	struct sw_decoded d;
	(void)state;

	b_udp4_packet(&b4);
	b_udp6_packet(&b6);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(decode(raws[i], &b4, &d), 0);
		check_udp4(&d);
		assert_int_equal(decode(raws[i], &b6, &d), 0);
		check_udp6(&d);
	}
	assert_int_equal(decode(SW_DLT_IPV4, &b4, &d), 0);
	check_udp4(&d);
	assert_int_equal(decode(SW_DLT_IPV4, &b6, &d), SW_E_PKT_BAD_IP);
	assert_int_equal(decode(SW_DLT_IPV6, &b6, &d), 0);
	check_udp6(&d);
	assert_int_equal(decode(SW_DLT_IPV6, &b4, &d), SW_E_PKT_BAD_IP);

	assert_int_equal(sw_decode_ip(b4.b, b4.n, &d), 0);
	check_udp4(&d);
	assert_int_equal(sw_decode_ip(b6.b, b6.n, &d), 0);
	check_udp6(&d);
	b4.b[0] = 0x55; /* version 5 */
	assert_int_equal(sw_decode_ip(b4.b, b4.n, &d), SW_E_PKT_BAD_IP);
	assert_int_equal(sw_decode_ip(b4.b, 0, &d), SW_E_PKT_SHORT);
}

static void test_loopback(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	struct {
		int dlt;
		uint8_t fam[4];
		int v6;
		int rc;
	} cases[] = {
		{SW_DLT_NULL, {2, 0, 0, 0}, 0, 0},
		{SW_DLT_NULL, {0, 0, 0, 2}, 0, 0},
		{SW_DLT_NULL, {24, 0, 0, 0}, 1, 0},
		{SW_DLT_NULL, {28, 0, 0, 0}, 1, 0},
		{SW_DLT_NULL, {0, 0, 0, 30}, 1, 0},
		{SW_DLT_LOOP, {0, 0, 0, 2}, 0, 0},
		{SW_DLT_LOOP, {0, 0, 0, 28}, 1, 0},
		{SW_DLT_LOOP, {0, 0, 0, 24}, 1, 0},
		{SW_DLT_NULL, {7, 0, 0, 0}, 0, SW_E_PKT_NOT_IP},
		{SW_DLT_NULL, {10, 0, 0, 0}, 1, SW_E_PKT_NOT_IP},
		{SW_DLT_NULL, {2, 0, 0, 0}, 1, SW_E_PKT_BAD_IP},
		{SW_DLT_NULL, {30, 0, 0, 0}, 0, SW_E_PKT_BAD_IP},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.n = 0;
		b_bytes(&b, cases[i].fam, 4);
		if (cases[i].v6)
			b_udp6_packet(&b);
		else
			b_udp4_packet(&b);
		assert_int_equal(decode(cases[i].dlt, &b, &d), cases[i].rc);
		if (cases[i].rc == 0 && cases[i].v6)
			check_udp6(&d);
		else if (cases[i].rc == 0)
			check_udp4(&d);
	}
}

static void test_unsupported_dlt(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_udp4_packet(&b);
	assert_int_equal(decode(105, &b, &d), SW_E_PCAP_LINKTYPE);
	assert_int_equal(decode(-1, &b, &d), SW_E_PCAP_LINKTYPE);
	assert_false(sw_decode_linktype_supported(105));
	assert_true(sw_decode_linktype_supported(SW_DLT_LINUX_SLL2));
}

/* ---- IPv4 ---- */

static void test_ipv4_options(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_u8(&b, 0x47); /* IHL 7: 8 bytes of options */
	b_u8(&b, 0);
	b_u16(&b, (uint16_t)(28 + 8 + SIPLEN));
	b_u16(&b, 1);
	b_u16(&b, 0x4000); /* DF alone is not a fragment */
	b_u8(&b, 61);
	b_u8(&b, 17);
	b_u16(&b, 0);
	b_addr(&b, AF_INET, "192.0.2.1");
	b_addr(&b, AF_INET, "198.51.100.2");
	b_bytes(&b, "\x94\x04\x00\x00\x01\x01\x01\x00", 8); /* router alert, NOPs, EOL */
	b_udp(&b, 5060, 5080, SIPMSG, SIPLEN);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_false(d.fragment);
	check_ep(&d.src, "192.0.2.1:5060");
	assert_int_equal(d.len, SIPLEN);
	assert_memory_equal(d.payload, SIPMSG, SIPLEN);
}

static void test_ipv4_bad(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_udp4_packet(&b);
	b.b[0] = 0x44; /* IHL 4 */
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_PKT_BAD_IP);
	b.b[0] = 0x46; /* IHL 6 but total length 20 */
	b.b[2] = 0;
	b.b[3] = 20;
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_PKT_BAD_IP);
	b.b[0] = 0x4f; /* IHL 15 = 60 bytes, more than captured */
	b.b[3] = 60;
	assert_int_equal(sw_decode_ip(b.b, 40, &d), SW_E_PKT_SHORT);
}

/* Fewer bytes captured than the IP header says: decoded, flagged, len < orig_len. */
static void test_ipv4_snapped(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_udp4_packet(&b);
	assert_int_equal(sw_decode_ip(b.b, 28 + 10, &d), 0);
	assert_true(d.snapped);
	assert_int_equal(d.len, 10);
	assert_int_equal(d.orig_len, SIPLEN);
	assert_int_equal(d.ip_len, 38);
	assert_memory_equal(d.payload, SIPMSG, 10);
	/* cut inside the UDP header */
	assert_int_equal(sw_decode_ip(b.b, 27, &d), SW_E_PKT_SHORT);
}

static void test_udp_lengths(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* UDP length below 8 */
	b_udp4_packet(&b);
	b.b[24] = 0;
	b.b[25] = 7;
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_PKT_BAD_UDP);

	/* UDP length shorter than the IP payload: trailing bytes are not the datagram's */
	b.b[25] = 8 + 7;
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_int_equal(d.len, 7);
	assert_int_equal(d.orig_len, 7);

	/* UDP length longer than the IP packet: what the IP packet holds; orig_len, the claim */
	b.b[24] = 0x10;
	b.b[25] = 0;
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_int_equal(d.len, SIPLEN);
	assert_int_equal(d.orig_len, 0x1000 - 8);
	assert_false(d.snapped);

	/* an IP packet too short to hold a UDP header */
	b.n = 0;
	b_ip4(&b, "192.0.2.1", "198.51.100.2", 17, 4, 1, 0, 0);
	b_zero(&b, 4);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_PKT_BAD_UDP);
}

static void test_non_udp(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_ip4(&b, "192.0.2.1", "198.51.100.2", 6, 20, 1, 0, 0);
	b_u16(&b, 40000);
	b_u16(&b, 5060);
	b_zero(&b, 16);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_int_equal(d.proto, 6);
	assert_int_equal(d.src.port, 0);
	assert_ptr_equal(d.payload, b.b + 20);
	assert_int_equal(d.len, 20);

	b.n = 0;
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 58, 8);
	b_u8(&b, 128);
	b_zero(&b, 7);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_int_equal(d.proto, 58);
	assert_int_equal(d.len, 8);

	/* ESP and No Next Header end the extension-header walk */
	b.n = 0;
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 0, 16);
	b_opts8(&b, 50);
	b_zero(&b, 8);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_int_equal(d.proto, 50);
	assert_int_equal(d.n_ext, 1);
	b.b[6] = 59;
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_int_equal(d.proto, 59);
}

static void test_ipv4_fragment(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* first fragment: MF, offset 0 */
	b_ip4(&b, "192.0.2.1", "198.51.100.2", 17, 24, 0xbeef, 0x2000, 0);
	b_udp(&b, 5060, 5060, "0123456789abcdef", 16);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_true(d.fragment);
	assert_true(d.more_frags);
	assert_false(d.v6_fraghdr);
	assert_int_equal(d.frag_id, 0xbeef);
	assert_int_equal(d.frag_off, 0);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.src.port, 0); /* ports belong to the reassembled datagram */
	assert_ptr_equal(d.payload, b.b + 20);
	assert_int_equal(d.len, 24);
	assert_int_equal(d.orig_len, 24);

	/* last fragment: offset 185 * 8, no MF */
	b.n = 0;
	b_ip4(&b, "192.0.2.1", "198.51.100.2", 17, 10, 0xbeef, 185, 0);
	b_bytes(&b, "tail bytes", 10);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_true(d.fragment);
	assert_false(d.more_frags);
	assert_int_equal(d.frag_off, 1480);
	assert_int_equal(d.len, 10);
	assert_memory_equal(d.payload, "tail bytes", 10);
}

/* ---- IPv6 ---- */

static void test_ipv6_ext(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* hop-by-hop -> routing (24 bytes) -> destination options -> AH (16 bytes) -> UDP */
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 0, 8 + 24 + 8 + 16 + 8 + SIPLEN);
	b_opts8(&b, 43);
	b_u8(&b, 60);
	b_u8(&b, 2);
	b_u8(&b, 4);
	b_u8(&b, 0);
	b_zero(&b, 20);
	b_opts8(&b, 51);
	b_u8(&b, 17);
	b_u8(&b, 2); /* AH length in 4-byte units minus 2 */
	b_zero(&b, 14);
	b_udp(&b, 5062, 5060, SIPMSG, SIPLEN);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	check_udp6(&d);
	assert_int_equal(d.n_ext, 4);
	assert_ptr_equal(d.payload, b.b + 40 + 56 + 8);
}

static void test_ipv6_fragment(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* hop-by-hop, then a fragment header: offset 1448, M set, id 0x01020304 */
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 0, 8 + 8 + 16);
	b_opts8(&b, 44);
	b_u8(&b, 17);
	b_u8(&b, 0);
	b_u16(&b, 1448 | 1);
	b_u32(&b, 0x01020304);
	b_bytes(&b, "fragment-data-16", 16);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	assert_true(d.fragment);
	assert_true(d.v6_fraghdr);
	assert_true(d.more_frags);
	assert_int_equal(d.frag_off, 1448);
	assert_int_equal(d.frag_id, 0x01020304);
	assert_int_equal(d.proto, 17);
	assert_int_equal(d.n_ext, 2);
	assert_int_equal(d.len, 16);
	assert_memory_equal(d.payload, "fragment-data-16", 16);

	/* an atomic fragment (offset 0, M clear) is a whole packet */
	b.n = 0;
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 44, 8 + 8 + SIPLEN);
	b_u8(&b, 17);
	b_u8(&b, 0);
	b_u16(&b, 0);
	b_u32(&b, 7);
	b_udp(&b, 5062, 5060, SIPMSG, SIPLEN);
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
	check_udp6(&d);
	assert_false(d.v6_fraghdr);
}

static void test_ipv6_ext_limit(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	for (unsigned n = SW_DECODE_MAX_EXTHDR; n <= SW_DECODE_MAX_EXTHDR + 1; n++) {
		b.n = 0;
		b_ip6(&b, "2001:db8::1", "2001:db8::2", 60, 8 * n + 8 + SIPLEN);
		for (unsigned i = 0; i < n; i++)
			b_opts8(&b, i + 1 < n ? 60 : 17);
		b_udp(&b, 5062, 5060, SIPMSG, SIPLEN);
		if (n <= SW_DECODE_MAX_EXTHDR) {
			assert_int_equal(sw_decode_ip(b.b, b.n, &d), 0);
			check_udp6(&d);
		} else {
			assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_LIMIT);
		}
	}
}

static void test_ipv6_ext_overrun(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	/* a destination options header claiming 16 bytes in a payload of 8 */
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 60, 8);
	b_u8(&b, 17);
	b_u8(&b, 1);
	b_zero(&b, 6);
	b_zero(&b, 16); /* bytes after the IP payload, not part of it */
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_PKT_BAD_IP);
	/* with a payload length that allows it, but the capture ends first */
	b.b[5] = 32;
	assert_int_equal(sw_decode_ip(b.b, 40 + 12, &d), SW_E_PKT_SHORT);
	/* claimed length below the fixed part of an extension header */
	b.b[5] = 4;
	assert_int_equal(sw_decode_ip(b.b, b.n, &d), SW_E_PKT_BAD_IP);
}

/* ---- guard pages: every truncation of valid frames ---- */

/*
 * Decode frame[0..k) for every k from 0 to n with the last byte against an unmapped page: a read
 * past the end crashes the test. Below hdr bytes (all headers) decoding must fail; from there on
 * it must succeed with exactly the payload bytes present.
 */
static void check_truncations(int dlt, const struct buf *b, size_t hdr, size_t plen)
{
	struct sw_decoded d;

	for (size_t k = 0; k <= b->n; k++) {
		char *g = tu_guard_copy(b->b, k);
		int rc = sw_decode_frame(dlt, (const uint8_t *)g, k, &d);
		if (k < hdr) {
			assert_true(rc < 0);
		} else {
			size_t want = k - hdr < plen ? k - hdr : plen;
			assert_int_equal(rc, 0);
			assert_int_equal(d.len, want);
			assert_int_equal(d.snapped, k - hdr < plen);
			assert_memory_equal(d.payload, b->b + hdr, want);
		}
		tu_guard_free(g, k);
	}
}

static void test_guard_truncations(void **state)
{
	struct buf b = {0};
	(void)state;

	b_eth(&b, 0x0800);
	b_udp4_packet(&b);
	check_truncations(SW_DLT_EN10MB, &b, 14 + 28, SIPLEN);

	b.n = 0;
	b_eth(&b, 0x88a8);
	b_u16(&b, 1);
	b_u16(&b, 0x8100);
	b_u16(&b, 2);
	b_u16(&b, 0x86dd);
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 0, 8 + 8 + 8 + SIPLEN);
	b_opts8(&b, 60);
	b_opts8(&b, 17);
	b_udp(&b, 5062, 5060, SIPMSG, SIPLEN);
	check_truncations(SW_DLT_EN10MB, &b, 22 + 40 + 16 + 8, SIPLEN);

	b.n = 0;
	b_u16(&b, 0x86dd);
	b_zero(&b, 18);
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 44, 8 + 24);
	b_u8(&b, 17);
	b_u8(&b, 0);
	b_u16(&b, 8 | 1);
	b_u32(&b, 99);
	b_bytes(&b, "twenty-four bytes of frg", 24);
	check_truncations(SW_DLT_LINUX_SLL2, &b, 20 + 40 + 8, 24);

	b.n = 0;
	b_bytes(&b, "\x02\0\0\0", 4);
	b_udp4_packet(&b);
	check_truncations(SW_DLT_NULL, &b, 4 + 28, SIPLEN);

	b.n = 0;
	b_u16(&b, 0);
	b_u16(&b, 1);
	b_u16(&b, 6);
	b_zero(&b, 8);
	b_u16(&b, 0x0800);
	b_udp4_packet(&b);
	check_truncations(SW_DLT_LINUX_SLL, &b, 16 + 28, SIPLEN);

	b.n = 0;
	b_eth(&b, 8 + 28 + SIPLEN);
	b_bytes(&b, "\xaa\xaa\x03\0\0\0\x08\x00", 8);
	b_udp4_packet(&b);
	check_truncations(SW_DLT_EN10MB, &b, 22 + 28, SIPLEN);

	b.n = 0;
	b_udp6_packet(&b);
	check_truncations(SW_DLT_RAW, &b, 48, SIPLEN);
}

/* Corrupt each byte of a frame in turn (all 256 values) under a guard page: no crash, no lie. */
static void test_guard_mutations(void **state)
{
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_eth(&b, 0x8100);
	b_u16(&b, 1);
	b_u16(&b, 0x86dd);
	b_ip6(&b, "2001:db8::1", "2001:db8::2", 0, 8 + 8 + 8);
	b_opts8(&b, 44);
	b_u8(&b, 17);
	b_u8(&b, 0);
	b_u16(&b, 1);
	b_u32(&b, 1);
	b_zero(&b, 8);
	char *g = tu_guard_copy(b.b, b.n);
	for (size_t i = 0; i < b.n; i++) {
		uint8_t keep = (uint8_t)g[i];
		for (unsigned v = 0; v < 256; v++) {
			g[i] = (char)v;
			if (sw_decode_frame(SW_DLT_EN10MB, (const uint8_t *)g, b.n, &d) == 0) {
				assert_true(d.payload >= (const uint8_t *)g);
				assert_true(d.payload + d.len <= (const uint8_t *)g + b.n);
			}
		}
		g[i] = (char)keep;
	}
	tu_guard_free(g, b.n);
}

/* ---- reassembly ---- */

static uint8_t big[3000];

static void fill_big(void)
{
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)('a' + i % 26);
}

/* A decoded fragment as sw_decode_frame() would give it, pointing into data. */
static struct sw_decoded mkfrag(int af, uint8_t host, uint32_t id, uint8_t proto, uint32_t off,
				bool more, const uint8_t *data, uint32_t len)
{
	struct sw_decoded d;
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = host}, c[16] = {198, 51, 100, 60};

	memset(&d, 0, sizeof(d));
	if (af == AF_INET) {
		uint8_t s4[4] = {192, 0, 2, host};
		sw_endpoint_set_v4(&d.src, s4, 0);
		sw_endpoint_set_v4(&d.dst, c, 0);
		d.ip_version = 4;
	} else {
		sw_endpoint_set_v6(&d.src, a, 0);
		a[15] = 0x60;
		sw_endpoint_set_v6(&d.dst, a, 0);
		d.ip_version = 6;
		d.v6_fraghdr = true;
	}
	d.fragment = true;
	d.more_frags = more;
	d.frag_id = id;
	d.proto = proto;
	d.frag_off = (uint16_t)off;
	d.payload = data;
	d.len = len;
	d.orig_len = len;
	return d;
}

static struct sw_reasm *new_reasm(unsigned slots)
{
	struct sw_reasm *r = NULL;
	assert_int_equal(sw_reasm_new(slots, 0, &r), 0);
	return r;
}

static void test_reasm_orders(void **state)
{
	static const int orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {2, 0, 1}};
	struct sw_reasm_result res;
	(void)state;

	fill_big();
	for (size_t o = 0; o < 4; o++) {
		struct sw_reasm *r = new_reasm(0);
		struct sw_decoded f[3] = {
			mkfrag(AF_INET, 1, 77, 17, 0, true, big, 1480),
			mkfrag(AF_INET, 1, 77, 17, 1480, true, big + 1480, 1480),
			mkfrag(AF_INET, 1, 77, 17, 2960, false, big + 2960, 40),
		};
		for (int i = 0; i < 3; i++) {
			int rc = sw_reasm_add(r, &f[orders[o][i]], 1000 + (uint64_t)i, &res);
			assert_int_equal(rc, i == 2 ? 1 : 0);
			assert_int_equal(sw_reasm_pending(r), i == 2 ? 0 : 1);
		}
		assert_int_equal(res.len, 3000);
		assert_int_equal(res.orig_len, 3000);
		assert_int_equal(res.nfrags, 3);
		assert_int_equal(res.proto, 17);
		assert_memory_equal(res.data, big, 3000);
		assert_int_equal(sw_reasm_stats(r)->completed, 1);
		assert_int_equal(sw_reasm_stats(r)->dropped, 0);
		sw_reasm_free(r);
	}
}

/* Exact copies are ignored, before and after completion; a reused id starts over. */
static void test_reasm_duplicates(void **state)
{
	struct sw_reasm *r = new_reasm(0);
	struct sw_reasm_result res;
	uint8_t other[16];
	(void)state;

	fill_big();
	memset(other, 'Z', sizeof(other));
	struct sw_decoded a = mkfrag(AF_INET, 2, 5, 17, 0, true, big, 16);
	struct sw_decoded b = mkfrag(AF_INET, 2, 5, 17, 16, false, big + 16, 10);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &b, 2, &res), 1);
	assert_int_equal(res.nfrags, 2);
	assert_int_equal(res.len, 26);
	assert_memory_equal(res.data, big, 26);
	/* late copies of both fragments: absorbed, nothing pending, nothing dropped */
	assert_int_equal(sw_reasm_add(r, &b, 3, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a, 3, &res), 0);
	assert_int_equal(sw_reasm_pending(r), 0);
	assert_int_equal(sw_reasm_stats(r)->duplicates, 3);
	/* the identification reused for other data: a new datagram */
	struct sw_decoded c = mkfrag(AF_INET, 2, 5, 17, 0, true, other, 16);
	assert_int_equal(sw_reasm_add(r, &c, 4, &res), 0);
	assert_int_equal(sw_reasm_pending(r), 1);
	assert_int_equal(sw_reasm_flush(r), 1);
	assert_int_equal(sw_reasm_stats(r)->dropped, 1);
	assert_int_equal(sw_reasm_stats(r)->flushed, 1);
	assert_int_equal(sw_reasm_stats(r)->completed, 1);
	sw_reasm_free(r);
}

static void test_reasm_overlaps(void **state)
{
	struct sw_reasm_result res;
	uint8_t evil[32];
	(void)state;

	fill_big();
	memset(evil, 'E', sizeof(evil));
	/* the same range with other data */
	struct sw_reasm *r = new_reasm(0);
	struct sw_decoded a = mkfrag(AF_INET, 3, 9, 17, 0, true, big, 32);
	struct sw_decoded a2 = mkfrag(AF_INET, 3, 9, 17, 0, true, evil, 32);
	struct sw_decoded z = mkfrag(AF_INET, 3, 9, 17, 32, false, big + 32, 8);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a2, 1, &res), SW_E_PKT_REASM);
	/* the rest of the dropped datagram is absorbed and it is counted once */
	assert_int_equal(sw_reasm_add(r, &z, 1, &res), SW_E_PKT_REASM);
	assert_int_equal(sw_reasm_stats(r)->dropped, 1);
	assert_int_equal(sw_reasm_stats(r)->conflicts, 1);
	assert_int_equal(sw_reasm_stats(r)->completed, 0);
	assert_int_equal(sw_reasm_pending(r), 0);
	assert_int_equal(sw_reasm_flush(r), 0);
	assert_int_equal(sw_reasm_stats(r)->dropped, 1);
	sw_reasm_free(r);

	/* a partial overlap, even with identical bytes (RFC 5722) */
	r = new_reasm(0);
	a = mkfrag(AF_INET, 3, 9, 17, 0, true, big, 32);
	a2 = mkfrag(AF_INET, 3, 9, 17, 16, true, big + 16, 32);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a2, 1, &res), SW_E_PKT_REASM);
	sw_reasm_free(r);

	/* two last fragments announcing different lengths */
	r = new_reasm(0);
	a = mkfrag(AF_INET, 3, 9, 17, 64, false, big, 8);
	a2 = mkfrag(AF_INET, 3, 9, 17, 64, false, big, 10);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a2, 1, &res), SW_E_PKT_REASM);
	sw_reasm_free(r);

	/* data beyond the announced end */
	r = new_reasm(0);
	a = mkfrag(AF_INET, 3, 9, 17, 16, false, big, 8);
	a2 = mkfrag(AF_INET, 3, 9, 17, 24, true, big, 8);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a2, 1, &res), SW_E_PKT_REASM);
	assert_int_equal(sw_reasm_stats(r)->conflicts, 1);
	sw_reasm_free(r);
}

static void test_reasm_bounds(void **state)
{
	struct sw_reasm *r = new_reasm(0);
	struct sw_reasm_result res;
	(void)state;

	fill_big();
	/* a fragment reaching past 65535 bytes (ping of death) */
	struct sw_decoded a = mkfrag(AF_INET, 4, 1, 17, 65528, false, big, 16);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), SW_E_PKT_REASM);
	/* a non-last fragment whose length is not a multiple of 8 */
	a = mkfrag(AF_INET, 4, 2, 17, 0, true, big, 13);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), SW_E_PKT_REASM);
	assert_int_equal(sw_reasm_stats(r)->oversize, 2);
	assert_int_equal(sw_reasm_stats(r)->dropped, 2);
	/* ending exactly at the cap is fine */
	a = mkfrag(AF_INET, 4, 3, 17, 65528, false, big, 7);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 0);
	/* not a fragment at all, or not one the decoder could have made */
	a.fragment = false;
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), SW_E_INVAL);
	a = mkfrag(AF_INET, 4, 4, 17, 12, false, big, 8);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), SW_E_INVAL);
	a = mkfrag(AF_INET, 4, 4, 17, 0, false, big, 8);
	a.orig_len = 4;
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), SW_E_INVAL);
	assert_int_equal(sw_reasm_stats(r)->dropped, 2);
	sw_reasm_free(r);

	assert_int_equal(sw_reasm_new(SW_REASM_MAX_SLOTS + 1, 0, &r), SW_E_INVAL);
}

static void test_reasm_timeout_evict(void **state)
{
	struct sw_reasm *r;
	struct sw_reasm_result res;
	const uint64_t s = 1000000;
	(void)state;

	fill_big();
	r = new_reasm(0);
	struct sw_decoded a = mkfrag(AF_INET, 5, 1, 17, 0, true, big, 8);
	struct sw_decoded b = mkfrag(AF_INET, 5, 2, 17, 0, true, big, 8);
	assert_int_equal(sw_reasm_add(r, &a, 100 * s, &res), 0);
	/* 30 s later: still in time; just over: gone, on the next fragment or an explicit expire */
	assert_int_equal(sw_reasm_expire(r, 130 * s), 0);
	assert_int_equal(sw_reasm_add(r, &b, 130 * s + 1, &res), 0);
	assert_int_equal(sw_reasm_stats(r)->timed_out, 1);
	assert_int_equal(sw_reasm_pending(r), 1);
	/* a clock that steps back does not expire anything */
	assert_int_equal(sw_reasm_expire(r, 5 * s), 0);
	assert_int_equal(sw_reasm_expire(r, 161 * s), 1);
	assert_int_equal(sw_reasm_stats(r)->dropped, 2);
	sw_reasm_free(r);

	/* a full table evicts the datagram that started first */
	r = new_reasm(2);
	struct sw_decoded c = mkfrag(AF_INET, 5, 3, 17, 0, true, big, 8);
	struct sw_decoded a2 = mkfrag(AF_INET, 5, 1, 17, 8, false, big + 8, 8);
	assert_int_equal(sw_reasm_add(r, &b, 20, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a, 10, &res), 0);
	assert_int_equal(sw_reasm_add(r, &c, 30, &res), 0);
	assert_int_equal(sw_reasm_stats(r)->evicted, 1);
	/* a (first at t=10) was evicted, so its second fragment cannot complete it */
	assert_int_equal(sw_reasm_add(r, &a2, 31, &res), 0);
	assert_int_equal(sw_reasm_stats(r)->evicted, 2);
	assert_int_equal(sw_reasm_stats(r)->completed, 0);
	sw_reasm_free(r);
}

/* IPv6: the key ignores Next Header, and the protocol is the offset-0 fragment's. */
static void test_reasm_ipv6(void **state)
{
	struct sw_reasm *r = new_reasm(0);
	struct sw_reasm_result res;
	struct buf b = {0};
	struct sw_decoded d;
	(void)state;

	b_opts8(&b, 17);
	b_udp(&b, 5061, 5060, SIPMSG, SIPLEN);
	uint32_t first = 24, rest = (uint32_t)b.n - first;
	struct sw_decoded f1 = mkfrag(AF_INET6, 0x51, 0x05060708, 60, 0, true, b.b, first);
	struct sw_decoded f2 =
		mkfrag(AF_INET6, 0x51, 0x05060708, 6, first, false, b.b + first, rest);
	/* another source with the same id is another datagram */
	struct sw_decoded o = mkfrag(AF_INET6, 0x52, 0x05060708, 60, 0, true, b.b, first);
	assert_int_equal(sw_reasm_add(r, &f2, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &o, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &f1, 2, &res), 1);
	assert_int_equal(res.proto, 60);
	assert_int_equal(res.len, b.n);

	d = f1;
	d.proto = res.proto;
	assert_int_equal(sw_decode_reassembled(&d, res.data, res.len, res.orig_len), 0);
	assert_false(d.fragment);
	assert_int_equal(d.proto, 17);
	check_ep(&d.src, "[2001:db8::51]:5061");
	check_ep(&d.dst, "[2001:db8::60]:5060");
	assert_int_equal(d.len, SIPLEN);
	assert_memory_equal(d.payload, SIPMSG, SIPLEN);
	assert_int_equal(sw_reasm_pending(r), 1);
	sw_reasm_free(r);
}

/* A snapped fragment still completes the datagram; len stops where the capture did. */
static void test_reasm_snapped(void **state)
{
	struct sw_reasm *r = new_reasm(0);
	struct sw_reasm_result res;
	(void)state;

	fill_big();
	struct sw_decoded a = mkfrag(AF_INET, 6, 1, 17, 0, true, big, 1480);
	struct sw_decoded b = mkfrag(AF_INET, 6, 1, 17, 1480, false, big + 1480, 100);
	a.len = 200; /* captured 200 of 1480 */
	a.snapped = true;
	assert_int_equal(sw_reasm_add(r, &b, 1, &res), 0);
	assert_int_equal(sw_reasm_add(r, &a, 1, &res), 1);
	assert_int_equal(res.orig_len, 1580);
	assert_int_equal(res.len, 200);
	assert_memory_equal(res.data, big, 200);

	struct sw_decoded d = a;
	d.fragment = true;
	assert_int_equal(sw_decode_reassembled(&d, res.data, res.len, res.orig_len), 0);
	assert_true(d.snapped);
	sw_reasm_free(r);
}

int main(void)
{
	// clang-format off
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_eth_udp4),
		cmocka_unit_test(test_eth_padding),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_vlan_limit),
		cmocka_unit_test(test_llc),
		cmocka_unit_test(test_not_ip),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_unsupported_dlt),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad),
		cmocka_unit_test(test_ipv4_snapped),
		cmocka_unit_test(test_udp_lengths),
		cmocka_unit_test(test_non_udp),
		cmocka_unit_test(test_ipv4_fragment),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv6_ext_limit),
		cmocka_unit_test(test_ipv6_ext_overrun),
		cmocka_unit_test(test_guard_truncations),
		cmocka_unit_test(test_guard_mutations),
		cmocka_unit_test(test_reasm_orders),
		cmocka_unit_test(test_reasm_duplicates),
		cmocka_unit_test(test_reasm_overlaps),
		cmocka_unit_test(test_reasm_bounds),
		cmocka_unit_test(test_reasm_timeout_evict),
		cmocka_unit_test(test_reasm_ipv6),
		cmocka_unit_test(test_reasm_snapped),
	};
	// clang-format on
	return cmocka_run_group_tests(tests, NULL, NULL);
}
