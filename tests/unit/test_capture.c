/*
 * Tests of the capture reader against the fixtures in tests/data/pcap, which
 * tests/data/pcap/make_fixtures.py writes byte by byte: every expected address, port, payload,
 * frame number and counter below follows from that script.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/capture.h"
#include "net/decode.h"
#include "testutil.h"

#define FIXTURE(name) SW_TESTDATA "/pcap/" name
#define TS0 1700000000ULL
#define SEC 1000000ULL

/* The SIP text make_fixtures.py's sip() writes. */
static size_t fixture_sip(char *buf, size_t len, const char *method, int n)
{
	int w = snprintf(buf, len,
			 "%s sip:100@example.invalid SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-%d\r\n"
			 "Call-ID: fixture-%d\r\n"
			 "CSeq: 1 %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, n, n, method);
	assert_true(w > 0 && (size_t)w < len);
	return (size_t)w;
}

/* The filler of big_payload(): start text, then byte i is 'a' + i % 26. */
static void check_big(const struct sw_datagram *dg, const char *start, size_t size)
{
	size_t sl = strlen(start);

	assert_int_equal(dg->len, size);
	assert_int_equal(dg->orig_len, size);
	assert_memory_equal(dg->payload, start, sl);
	for (size_t i = sl; i < size; i++)
		if (dg->payload[i] != 'a' + i % 26)
			fail_msg("payload byte %zu is %u", i, dg->payload[i]);
}

static void check_ep(const struct sw_endpoint *ep, const char *text)
{
	char s[SW_ENDPOINT_STRLEN];
	sw_endpoint_format(ep, s, sizeof(s));
	assert_string_equal(s, text);
}

/* One expected datagram: endpoints, frame number and the exact payload. */
static void check_dg(const struct sw_datagram *dg, uint64_t frame, const char *src, const char *dst,
		     const char *payload, size_t len)
{
	assert_int_equal(dg->frame, frame);
	check_ep(&dg->src, src);
	check_ep(&dg->dst, dst);
	assert_int_equal(dg->len, len);
	assert_int_equal(dg->orig_len, len);
	assert_memory_equal(dg->payload, payload, len);
	assert_int_equal(dg->nfrags, 0);
}

static struct sw_capture *open_fixture(const char *path)
{
	struct sw_capture *c = NULL;
	char err[256] = "";
	int rc = sw_capture_open(path, &c, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: %s (%d)", path, err, rc);
	assert_string_equal(sw_capture_error(c), "");
	return c;
}

static void test_sniff(void **state)
{
	static const uint8_t heads[][4] = {
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1},
		{0xa1, 0xb2, 0x3c, 0x4d}, {0x0a, 0x0d, 0x0d, 0x0a}, {0x34, 0xcd, 0xb2, 0xa1},
	};
	size_t len;
	char *ng;
	(void)state;

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		assert_int_equal(sw_capture_sniff(heads[i], 4), 1);
	assert_int_equal(sw_capture_sniff((const uint8_t *)"OPTIONS", 7), 0);
	assert_int_equal(sw_capture_sniff((const uint8_t *)"\xd4\xc3\xb2\xa1", 3), 0);
	assert_int_equal(sw_capture_sniff(NULL, 0), 0);
	ng = tu_read_file(FIXTURE("ng.pcapng"), &len);
	assert_int_equal(sw_capture_sniff((const uint8_t *)ng, len), 1);
	free(ng);
}

/* Ethernet with VLANs, LLC/SNAP, padding, IP options and a snap; ARP, TCP and a runt skipped. */
static void test_eth_mixed(void **state)
{
	struct sw_capture *c = open_fixture(FIXTURE("eth_mixed.pcap"));
	struct sw_datagram dg;
	char sip[512];
	size_t n;
	(void)state;

	assert_int_equal(sw_capture_linktype(c), SW_DLT_EN10MB);

	assert_int_equal(sw_capture_next(c, &dg), 1);
	n = fixture_sip(sip, sizeof(sip), "OPTIONS", 1);
	check_dg(&dg, 1, "192.0.2.1:5060", "198.51.100.2:5060", sip, n);
	assert_int_equal(dg.ts_usec, TS0 * SEC + 1);
	assert_int_equal(dg.ip_version, 4);
	assert_int_equal(dg.ttl, 57);

	assert_int_equal(sw_capture_next(c, &dg), 1); /* 802.1Q */
	n = fixture_sip(sip, sizeof(sip), "REGISTER", 3);
	check_dg(&dg, 3, "192.0.2.3:5080", "198.51.100.4:5060", sip, n);
	assert_int_equal(dg.ts_usec, TS0 * SEC + 3);

	assert_int_equal(sw_capture_next(c, &dg), 1); /* 802.1ad + 802.1Q, IPv6 */
	n = fixture_sip(sip, sizeof(sip), "OPTIONS", 5);
	check_dg(&dg, 5, "[2001:db8::1]:5060", "[2001:db8::2]:5062", sip, n);
	assert_int_equal(dg.ip_version, 6);

	assert_int_equal(sw_capture_next(c, &dg), 1); /* padded to 60 bytes */
	check_dg(&dg, 7, "192.0.2.7:5060", "198.51.100.7:5060", "\r\n\r\n", 4);

	assert_int_equal(sw_capture_next(c, &dg), 1); /* IPv4 options */
	n = fixture_sip(sip, sizeof(sip), "INVITE", 8);
	check_dg(&dg, 8, "192.0.2.8:5060", "198.51.100.8:5060", sip, n);

	assert_int_equal(sw_capture_next(c, &dg), 1); /* 802.3 + LLC/SNAP */
	n = fixture_sip(sip, sizeof(sip), "OPTIONS", 9);
	check_dg(&dg, 9, "192.0.2.9:5060", "198.51.100.9:5060", sip, n);

	assert_int_equal(sw_capture_next(c, &dg), 1); /* 200 bytes captured of a longer frame */
	n = fixture_sip(sip, sizeof(sip), "MESSAGE", 10);
	assert_int_equal(dg.frame, 10);
	assert_int_equal(dg.len, 200 - 42);
	assert_int_equal(dg.orig_len, n + 900);
	assert_memory_equal(dg.payload, sip, n);
	assert_int_equal(dg.payload[n], 'x');

	assert_int_equal(sw_capture_next(c, &dg), 0);
	assert_int_equal(sw_capture_next(c, &dg), 0);
	const struct sw_capture_stats *st = sw_capture_stats(c);
	assert_int_equal(st->frames, 10);
	assert_int_equal(st->udp, 7);
	assert_int_equal(st->non_ip, 1);
	assert_int_equal(st->non_udp, 1);
	assert_int_equal(st->decode_errors, 1);
	assert_int_equal(st->fragments, 0);
	assert_string_equal(sw_capture_error(c), "");
	sw_capture_close(c);
}

/*
 * The other link types all carry the same two packets: 203.0.113.5:1024 -> 192.0.2.99:5060 and
 * [2001:db8:1::5]:1025 -> [2001:db8:2::99]:5060, OPTIONS fixture 21 and 22.
 */
static void check_pair_file(const char *path, int dlt, unsigned nv4, unsigned nv6, unsigned nonip)
{
	struct sw_capture *c = open_fixture(path);
	struct sw_datagram dg;
	char p4[512], p6[512];
	size_t n4 = fixture_sip(p4, sizeof(p4), "OPTIONS", 21);
	size_t n6 = fixture_sip(p6, sizeof(p6), "OPTIONS", 22);
	unsigned got4 = 0, got6 = 0;
	int rc;

	assert_int_equal(sw_capture_linktype(c), dlt);
	while ((rc = sw_capture_next(c, &dg)) == 1) {
		assert_int_equal(dg.frame, got4 + got6 + 1);
		assert_int_equal(dg.ts_usec, TS0 * SEC + got4 + got6);
		if (dg.ip_version == 4) {
			check_dg(&dg, dg.frame, "203.0.113.5:1024", "192.0.2.99:5060", p4, n4);
			got4++;
		} else {
			check_dg(&dg, dg.frame, "[2001:db8:1::5]:1025", "[2001:db8:2::99]:5060", p6,
				 n6);
			got6++;
		}
	}
	assert_int_equal(rc, 0);
	assert_int_equal(got4, nv4);
	assert_int_equal(got6, nv6);
	assert_int_equal(sw_capture_stats(c)->udp, nv4 + nv6);
	assert_int_equal(sw_capture_stats(c)->non_ip, nonip);
	assert_int_equal(sw_capture_stats(c)->decode_errors, 0);
	sw_capture_close(c);
}

static void test_link_types(void **state)
{
	(void)state;
	check_pair_file(FIXTURE("sll.pcap"), SW_DLT_LINUX_SLL, 1, 1, 0);
	check_pair_file(FIXTURE("sll2.pcap"), SW_DLT_LINUX_SLL2, 1, 1, 0);
	/* LINKTYPE_RAW (101) in the file; libpcap reports it as DLT_RAW */
	check_pair_file(FIXTURE("raw.pcap"), SW_DLT_RAW, 1, 1, 0);
	check_pair_file(FIXTURE("ipv4.pcap"), SW_DLT_IPV4, 1, 0, 0);
	check_pair_file(FIXTURE("ipv6.pcap"), SW_DLT_IPV6, 0, 1, 0);
	/* families 2 (LE), 24 (LE), 30 (BE), 28 (LE), then 7: not IP */
	check_pair_file(FIXTURE("null.pcap"), SW_DLT_NULL, 1, 3, 1);
	check_pair_file(FIXTURE("loop.pcap"), SW_DLT_LOOP, 1, 1, 0);
}

static void test_ipv6_ext(void **state)
{
	struct sw_capture *c = open_fixture(FIXTURE("ipv6_ext.pcap"));
	struct sw_datagram dg;
	char sip[512];
	size_t n = fixture_sip(sip, sizeof(sip), "SUBSCRIBE", 31);
	(void)state;

	/* hop-by-hop, routing, destination options, then UDP */
	assert_int_equal(sw_capture_next(c, &dg), 1);
	check_dg(&dg, 1, "[2001:db8::a]:5070", "[2001:db8::b]:5060", sip, n);
	/* an atomic fragment is a whole packet, not a reassembly */
	assert_int_equal(sw_capture_next(c, &dg), 1);
	check_dg(&dg, 2, "[2001:db8::a]:5062", "[2001:db8::b]:5060", sip, n);
	assert_int_equal(sw_capture_next(c, &dg), 0);
	assert_int_equal(sw_capture_stats(c)->fragments, 0);
	sw_capture_close(c);
}

/* Three IPv4 fragments of a 3000-byte INVITE, then a whole BYE; same in either order. */
static void check_frag4(const char *path)
{
	struct sw_capture *c = open_fixture(path);
	struct sw_datagram dg;
	char sip[512];
	size_t n = fixture_sip(sip, sizeof(sip), "BYE", 41);

	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(dg.frame, 3);
	assert_int_equal(dg.ts_usec, (TS0 + 1) * SEC + 2);
	assert_int_equal(dg.nfrags, 3);
	check_ep(&dg.src, "192.0.2.50:5060");
	check_ep(&dg.dst, "198.51.100.60:5060");
	check_big(&dg, "INVITE sip:200@example.invalid SIP/2.0\r\nX-Pad: ", 3000);

	assert_int_equal(sw_capture_next(c, &dg), 1);
	check_dg(&dg, 4, "192.0.2.51:5060", "198.51.100.60:5060", sip, n);
	assert_int_equal(sw_capture_next(c, &dg), 0);

	const struct sw_capture_stats *st = sw_capture_stats(c);
	assert_int_equal(st->frames, 4);
	assert_int_equal(st->fragments, 3);
	assert_int_equal(st->reassembled, 1);
	assert_int_equal(st->reasm_dropped, 0);
	assert_int_equal(st->udp, 2);
	sw_capture_close(c);
}

static void test_frag4(void **state)
{
	(void)state;
	check_frag4(FIXTURE("frag4.pcap"));
	check_frag4(FIXTURE("frag4_rev.pcap"));
}

/* IPv6: X in order; Y reversed, with destination options inside the fragmentable part. */
static void test_frag6(void **state)
{
	struct sw_capture *c = open_fixture(FIXTURE("frag6.pcap"));
	struct sw_datagram dg;
	(void)state;

	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(dg.frame, 2);
	assert_int_equal(dg.nfrags, 2);
	assert_int_equal(dg.ip_version, 6);
	check_ep(&dg.src, "[2001:db8::50]:5060");
	check_ep(&dg.dst, "[2001:db8::60]:5060");
	check_big(&dg, "NOTIFY sip:300@example.invalid SIP/2.0\r\nX-Pad: ", 2500);

	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(dg.frame, 4);
	assert_int_equal(dg.ts_usec, (TS0 + 3) * SEC + 11);
	assert_int_equal(dg.nfrags, 2);
	check_ep(&dg.src, "[2001:db8::51]:5061");
	check_big(&dg, "PUBLISH sip:301@example.invalid SIP/2.0\r\nX-Pad: ", 2000);

	assert_int_equal(sw_capture_next(c, &dg), 0);
	assert_int_equal(sw_capture_stats(c)->fragments, 4);
	assert_int_equal(sw_capture_stats(c)->reassembled, 2);
	assert_int_equal(sw_capture_stats(c)->reasm_dropped, 0);
	sw_capture_close(c);
}

/* The middle fragment missing: the datagram is counted as dropped once the file ends. */
static void test_frag_missing(void **state)
{
	struct sw_capture *c = open_fixture(FIXTURE("frag_missing.pcap"));
	struct sw_datagram dg;
	char sip[512];
	size_t n = fixture_sip(sip, sizeof(sip), "BYE", 41);
	(void)state;

	assert_int_equal(sw_capture_next(c, &dg), 1);
	check_dg(&dg, 3, "192.0.2.51:5060", "198.51.100.60:5060", sip, n);
	assert_int_equal(sw_capture_stats(c)->reasm_dropped, 0); /* could still complete */
	assert_int_equal(sw_capture_next(c, &dg), 0);
	const struct sw_capture_stats *st = sw_capture_stats(c);
	assert_int_equal(st->fragments, 2);
	assert_int_equal(st->reassembled, 0);
	assert_int_equal(st->reasm_dropped, 1);
	assert_int_equal(st->udp, 1);
	sw_capture_close(c);
}

/* A record cut short: the datagrams before it, then SW_E_PCAP_READ naming frame and problem. */
static void test_truncated(void **state)
{
	struct sw_capture *c = open_fixture(FIXTURE("truncated.pcap"));
	struct sw_datagram dg;
	char sip[512];
	size_t n;
	(void)state;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(sw_capture_next(c, &dg), 1);
		n = fixture_sip(sip, sizeof(sip), "OPTIONS", 51 + i);
		check_dg(&dg, (uint64_t)i + 1, "192.0.2.1:5060", "198.51.100.2:5060", sip, n);
	}
	assert_int_equal(sw_capture_next(c, &dg), SW_E_PCAP_READ);
	assert_string_equal(sw_capture_error(c), "frame 4: truncated dump file; tried to read 1514 "
						 "captured bytes, only got 700");
	/* sticky */
	assert_int_equal(sw_capture_next(c, &dg), SW_E_PCAP_READ);
	assert_int_equal(sw_capture_stats(c)->frames, 3);
	assert_int_equal(sw_capture_stats(c)->udp, 3);
	sw_capture_close(c);

	c = open_fixture(FIXTURE("truncated_rechdr.pcap"));
	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(sw_capture_next(c, &dg), SW_E_PCAP_READ);
	assert_string_equal(sw_capture_error(c), "frame 2: truncated dump file; tried to read 16 "
						 "header bytes, only got 10");
	sw_capture_close(c);
}

static void test_open_errors(void **state)
{
	struct sw_capture *c = NULL;
	char err[256];
	(void)state;

	assert_int_equal(sw_capture_open(FIXTURE("bad_magic.pcap"), &c, err, sizeof(err)),
			 SW_E_PCAP_OPEN);
	assert_string_equal(err, "unknown file format");
	assert_null(c);

	assert_int_equal(sw_capture_open(FIXTURE("short_header.pcap"), &c, err, sizeof(err)),
			 SW_E_PCAP_OPEN);
	/* libpcap reads the magic first, then counts the other 20 bytes of the header */
	assert_string_equal(err,
			    "truncated dump file; tried to read 24 file header bytes, only got "
			    "8");

	assert_int_equal(sw_capture_open(FIXTURE("no_such_file.pcap"), &c, err, sizeof(err)),
			 SW_E_PCAP_OPEN);
	assert_non_null(strstr(err, "No such file or directory"));

	assert_int_equal(sw_capture_open(FIXTURE("linktype_80211.pcap"), &c, err, sizeof(err)),
			 SW_E_PCAP_LINKTYPE);
	assert_string_equal(err, "unsupported link type 105 (IEEE802_11)");
	/* errbuf is optional */
	assert_int_equal(sw_capture_open(FIXTURE("bad_magic.pcap"), &c, NULL, 0), SW_E_PCAP_OPEN);
	assert_null(c);
	sw_capture_close(NULL);
}

/* pcapng with nanosecond timestamps, and a big-endian nanosecond pcap: time in microseconds. */
static void test_formats(void **state)
{
	struct sw_capture *c = open_fixture(FIXTURE("ng.pcapng"));
	struct sw_datagram dg;
	char sip[512];
	size_t n;
	(void)state;

	assert_int_equal(sw_capture_next(c, &dg), 1);
	n = fixture_sip(sip, sizeof(sip), "OPTIONS", 21);
	check_dg(&dg, 1, "203.0.113.5:1024", "192.0.2.99:5060", sip, n);
	assert_int_equal(dg.ts_usec, TS0 * SEC + 123456);
	assert_int_equal(sw_capture_next(c, &dg), 1);
	n = fixture_sip(sip, sizeof(sip), "OPTIONS", 22);
	check_dg(&dg, 2, "[2001:db8:1::5]:1025", "[2001:db8:2::99]:5060", sip, n);
	assert_int_equal(dg.ts_usec, (TS0 + 1) * SEC + 5);
	assert_int_equal(sw_capture_next(c, &dg), 0);
	sw_capture_close(c);

	c = open_fixture(FIXTURE("ns_be.pcap"));
	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(dg.ts_usec, TS0 * SEC + 999999);
	check_ep(&dg.src, "203.0.113.5:1024");
	assert_int_equal(sw_capture_next(c, &dg), 0);
	sw_capture_close(c);
}

/* The fuzzer's way in: a stream from memory; the reader owns it, on failure too. */
static void test_fopen(void **state)
{
	struct sw_capture *c = NULL;
	struct sw_datagram dg;
	char err[256];
	size_t len;
	char *data = tu_read_file(FIXTURE("frag4_rev.pcap"), &len);
	(void)state;

	FILE *f = fmemopen(data, len, "rb");
	assert_non_null(f);
	assert_int_equal(sw_capture_fopen(f, &c, err, sizeof(err)), 0);
	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(dg.nfrags, 3);
	assert_int_equal(sw_capture_next(c, &dg), 1);
	assert_int_equal(sw_capture_next(c, &dg), 0);
	sw_capture_close(c);

	f = fmemopen(data, 10, "rb");
	assert_non_null(f);
	assert_int_equal(sw_capture_fopen(f, &c, err, sizeof(err)), SW_E_PCAP_OPEN);
	free(data);
}

int main(void)
{
	// clang-format off
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_eth_mixed),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_frag4),
		cmocka_unit_test(test_frag6),
		cmocka_unit_test(test_frag_missing),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_fopen),
	};
	// clang-format on
	return cmocka_run_group_tests(tests, NULL, NULL);
}
