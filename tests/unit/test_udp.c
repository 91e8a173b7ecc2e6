/* Batched UDP I/O (src/net/udp.c) over loopback sockets only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/udp.h"

static void loopback(struct sw_endpoint *ep, int v6)
{
	if (v6) {
		uint8_t a[16] = {0};
		a[15] = 1;
		sw_endpoint_set_v6(ep, a, 0);
	} else {
		const uint8_t a[4] = {127, 0, 0, 1};
		sw_endpoint_set_v4(ep, a, 0);
	}
}

/* Wait until fd is readable (at most 2 s), so a test never hangs. */
static void wait_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	assert_true(poll(&pfd, 1, 2000) == 1);
}

static void roundtrip(int v6)
{
	struct sw_endpoint a, b;
	char err[256];
	int fa, fb;
	struct sw_udp_opts o = {.rcvbuf = 1 << 20, .nonblock = 1};
	loopback(&a, v6);
	loopback(&b, v6);
	if (sw_udp_open(&a, &o, &fa, err, sizeof(err)) != 0) {
		if (v6)
			skip(); /* a kernel without IPv6 on lo */
		fail_msg("%s", err);
	}
	assert_int_equal(sw_udp_open(&b, &o, &fb, err, sizeof(err)), 0);
	assert_int_equal(sw_udp_local(fb, &b), 0);
	assert_true(b.port != 0);
	struct sw_endpoint a_local;
	assert_int_equal(sw_udp_local(fa, &a_local), 0);

	/* 300 datagrams of sizes 1..300, each filled with its own index. */
	static uint8_t data[300][300];
	static struct sw_udp_out out[300];
	for (unsigned i = 0; i < 300; i++) {
		memset(data[i], (int)(i & 0xff), i + 1);
		out[i] = (struct sw_udp_out){b, data[i], i + 1};
	}
	unsigned total = 0;
	while (total < 300) {
		unsigned sent;
		assert_int_equal(sw_udp_send_batch(fa, out + total, 300 - total, &sent), 0);
		assert_true(sent > 0);
		total += sent;
	}
	static uint8_t bufs[SW_UDP_BATCH_MAX][512];
	struct sw_udp_in in[SW_UDP_BATCH_MAX];
	unsigned got = 0;
	while (got < 300) {
		wait_readable(fb);
		for (unsigned i = 0; i < SW_UDP_BATCH_MAX; i++)
			in[i] = (struct sw_udp_in){.buf = bufs[i], .cap = sizeof(bufs[i])};
		unsigned n;
		assert_int_equal(sw_udp_recv_batch(fb, in, SW_UDP_BATCH_MAX, &n), 0);
		for (unsigned i = 0; i < n; i++, got++) {
			assert_int_equal(in[i].len, got + 1);
			assert_int_equal(in[i].truncated, 0);
			assert_true(sw_endpoint_equal(&in[i].src, &a_local));
			assert_int_equal(((uint8_t *)in[i].buf)[0], got & 0xff);
		}
	}
	/* Nothing more waiting: a nonblocking receive says 0, not an error. */
	unsigned n;
	assert_int_equal(sw_udp_recv_batch(fb, in, 4, &n), 0);
	assert_int_equal(n, 0);

	/* A datagram larger than its slot is reported truncated with its real length. */
	static uint8_t big[2000];
	struct sw_udp_out one = {b, big, sizeof(big)};
	assert_int_equal(sw_udp_send_batch(fa, &one, 1, &n), 0);
	assert_int_equal(n, 1);
	wait_readable(fb);
	in[0] = (struct sw_udp_in){.buf = bufs[0], .cap = 100};
	assert_int_equal(sw_udp_recv_batch(fb, in, 1, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(in[0].len, 2000);
	assert_int_equal(in[0].truncated, 1);
	close(fa);
	close(fb);
}

static void test_roundtrip_v4(void **state)
{
	(void)state;
	roundtrip(0);
}

static void test_roundtrip_v6(void **state)
{
	(void)state;
	roundtrip(1);
}

/* Binding a port that is taken fails with a message naming the endpoint. */
static void test_bind_error(void **state)
{
	(void)state;
	struct sw_endpoint a, b;
	char err[256];
	int fa, fb;
	loopback(&a, 0);
	assert_int_equal(sw_udp_open(&a, NULL, &fa, err, sizeof(err)), 0);
	assert_int_equal(sw_udp_local(fa, &b), 0);
	assert_true(sw_udp_open(&b, NULL, &fb, err, sizeof(err)) < 0);
	char want[64];
	snprintf(want, sizeof(want), "bind 127.0.0.1:%u: ", b.port);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, "in use"));
	close(fa);
}

static void test_sockaddr_roundtrip(void **state)
{
	(void)state;
	struct sw_endpoint ep, back;
	const uint8_t a[4] = {192, 0, 2, 7};
	sw_endpoint_set_v4(&ep, a, 5060);
	struct sockaddr_storage ss;
	size_t sl = sw_sockaddr(&ep, &ss, sizeof(ss));
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	assert_int_equal(sw_endpoint_from_sockaddr(&ss, sl, &back), 0);
	assert_true(sw_endpoint_equal(&ep, &back));
	struct sw_endpoint bad = {0};
	assert_int_equal(sw_sockaddr(&bad, &ss, sizeof(ss)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_v4),
		cmocka_unit_test(test_roundtrip_v6),
		cmocka_unit_test(test_bind_error),
		cmocka_unit_test(test_sockaddr_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
