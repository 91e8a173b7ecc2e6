/* Raw frame building for the packet send mode (src/net/rawsend.c). No frame is sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/decode.h"
#include "net/rawsend.h"

/* RFC 1071 checksum over a buffer, written independently of rawsend.c. */
static uint16_t rfc1071(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static struct sw_route route4(void)
{
	struct sw_route r;
	memset(&r, 0, sizeof(r));
	const uint8_t dmac[6] = {2, 0, 0, 0, 0, 2}, smac[6] = {2, 0, 0, 0, 0, 1};
	memcpy(r.dst_mac, dmac, 6);
	memcpy(r.src_mac, smac, 6);
	const uint8_t src[4] = {10, 250, 0, 1};
	sw_endpoint_set_v4(&r.src, src, 0);
	return r;
}

static void test_ipv4_frame(void **state)
{
	(void)state;
	struct sw_route r = route4();
	struct sw_endpoint dst;
	const uint8_t d[4] = {198, 18, 0, 5};
	sw_endpoint_set_v4(&dst, d, 5060);
	uint8_t buf[256];
	size_t n = sw_rawsend_build(&r, 40000, 0x1234, &dst, "OPTIONS", 7, buf, sizeof(buf));
	assert_int_equal(n, 14 + 20 + 8 + 7);
	assert_memory_equal(buf, r.dst_mac, 6);
	assert_memory_equal(buf + 6, r.src_mac, 6);
	assert_int_equal(buf[12] << 8 | buf[13], 0x0800);
	/* The IPv4 header sums to zero with its checksum in place. */
	assert_int_equal(rfc1071(buf + 14, 20, 0), 0);
	/* UDP checksum: pseudo-header (src, dst, protocol, length) plus the datagram sums to 0. */
	uint32_t pseudo = 0;
	for (int i = 0; i < 8; i += 2)
		pseudo += (uint32_t)(buf[14 + 12 + i] << 8 | buf[14 + 12 + i + 1]);
	pseudo += 17 + 15;
	assert_int_equal(rfc1071(buf + 34, 15, pseudo), 0);
	/* And the project's own decoder reads it back. */
	struct sw_decoded dec;
	assert_int_equal(sw_decode_frame(SW_DLT_EN10MB, buf, n, &dec), 0);
	assert_int_equal(dec.src.port, 40000);
	assert_int_equal(dec.dst.port, 5060);
	assert_true(sw_addr_equal(&dec.dst, &dst));
	assert_true(sw_addr_equal(&dec.src, &r.src));
	assert_int_equal(dec.len, 7);
	assert_memory_equal(dec.payload, "OPTIONS", 7);
}

static void test_ipv6_frame(void **state)
{
	(void)state;
	struct sw_route r = route4();
	uint8_t s6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x5c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
	sw_endpoint_set_v6(&r.src, s6, 0);
	struct sw_endpoint dst;
	sw_endpoint_set_v6(&dst, d6, 5060);
	uint8_t buf[256];
	size_t n = sw_rawsend_build(&r, 40000, 1, &dst, "OPTIONS", 7, buf, sizeof(buf));
	assert_int_equal(n, 14 + 40 + 8 + 7);
	assert_int_equal(buf[12] << 8 | buf[13], 0x86dd);
	uint32_t pseudo = 0;
	for (int i = 0; i < 32; i += 2)
		pseudo += (uint32_t)(buf[14 + 8 + i] << 8 | buf[14 + 8 + i + 1]);
	pseudo += 17 + 15;
	assert_int_equal(rfc1071(buf + 54, 15, pseudo), 0);
	struct sw_decoded dec;
	assert_int_equal(sw_decode_frame(SW_DLT_EN10MB, buf, n, &dec), 0);
	assert_true(sw_addr_equal(&dec.dst, &dst));
	assert_int_equal(dec.dst.port, 5060);
}

/* Family mismatch and frames that do not fit are refused. */
static void test_refusals(void **state)
{
	(void)state;
	struct sw_route r = route4();
	struct sw_endpoint dst;
	uint8_t d6[16] = {0x20, 0x01};
	sw_endpoint_set_v6(&dst, d6, 5060);
	uint8_t buf[64];
	assert_int_equal(sw_rawsend_build(&r, 1, 1, &dst, "x", 1, buf, sizeof(buf)), 0);
	const uint8_t d[4] = {198, 18, 0, 5};
	sw_endpoint_set_v4(&dst, d, 5060);
	static const uint8_t big[100];
	assert_int_equal(sw_rawsend_build(&r, 1, 1, &dst, big, sizeof(big), buf, sizeof(buf)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_frame),
		cmocka_unit_test(test_ipv6_frame),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
