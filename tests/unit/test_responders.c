/* The scanner's responder table (src/scan/responders.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "scan/responders.h"

static struct sw_endpoint v4(uint32_t host, uint16_t port)
{
	struct sw_endpoint ep;
	const uint8_t a[4] = {10, (uint8_t)(host >> 16), (uint8_t)(host >> 8), (uint8_t)host};
	sw_endpoint_set_v4(&ep, a, port);
	return ep;
}

struct seen {
	size_t n;
	struct sw_responder last;
	uint8_t first0;
	uint64_t prev_usec;
	int ordered;
};

static void collect(void *ctx, const struct sw_responder *r)
{
	struct seen *s = ctx;
	if (s->n && r->first_usec < s->prev_usec)
		s->ordered = 0;
	s->prev_usec = r->first_usec;
	s->last = *r;
	s->first0 = r->first_len ? r->first[0] : 0;
	s->n++;
}

/* Every packet of a responder is counted; the first one is kept byte for byte. */
static void test_packets_counted(void **state)
{
	(void)state;
	struct sw_responders *t;
	assert_int_equal(sw_responders_new(100, 42, &t), 0);
	struct sw_endpoint a = v4(1, 5060);
	assert_int_equal(sw_responders_add(t, &a, 5060, "SIP/2.0 200 OK", 14, 0, 1000), 1);
	assert_int_equal(sw_responders_add(t, &a, 5060, "xx", 2, 0, 1001), 1);
	assert_int_equal(sw_responders_add(t, &a, 5061, "yyy", 3, 0, 1002), 1);
	assert_int_equal(sw_responders_live(t), 1);
	struct seen s = {.ordered = 1};
	assert_int_equal(sw_responders_drain(t, UINT64_MAX, collect, &s), 1);
	assert_int_equal(s.last.packets, 3);
	assert_int_equal(s.last.bytes, 19);
	assert_int_equal(s.last.sizes[0], 14);
	assert_int_equal(s.last.sizes[1], 2);
	assert_int_equal(s.last.sizes[2], 3);
	assert_int_equal(s.last.reply_port, 5060);
	assert_int_equal(s.last.first_len, 14);
	assert_int_equal(s.first0, 'S');
	sw_responders_free(t);
}

/* After a record is drained, its target can never make a second one. */
static void test_no_duplicates_after_drain(void **state)
{
	(void)state;
	struct sw_responders *t;
	assert_int_equal(sw_responders_new(100, 1, &t), 0);
	struct sw_endpoint a = v4(2, 5060);
	assert_int_equal(sw_responders_add(t, &a, 5060, "a", 1, 0, 10), 1);
	struct seen s = {.ordered = 1};
	assert_int_equal(sw_responders_drain(t, 11, collect, &s), 1);
	assert_int_equal(sw_responders_add(t, &a, 5060, "again", 5, 0, 20), 0);
	assert_int_equal(sw_responders_late(t), 1);
	assert_int_equal(sw_responders_drain(t, UINT64_MAX, collect, &s), 0);
	assert_int_equal(s.n, 1);
	sw_responders_free(t);
}

/* Draining stops at the cutoff and goes oldest first; the same address on another port or in
 * another family is another responder. */
static void test_cutoff_order_and_keys(void **state)
{
	(void)state;
	struct sw_responders *t;
	assert_int_equal(sw_responders_new(100, 7, &t), 0);
	struct sw_endpoint a = v4(3, 5060), b = v4(3, 5061), c;
	uint8_t addr6[16] = {0};
	memcpy(addr6, a.addr, 4); /* same bytes, other family */
	sw_endpoint_set_v6(&c, addr6, 5060);
	assert_int_equal(sw_responders_add(t, &a, 5060, "1", 1, 0, 100), 1);
	assert_int_equal(sw_responders_add(t, &b, 5061, "2", 1, 0, 200), 1);
	assert_int_equal(sw_responders_add(t, &c, 5060, "3", 1, 0, 300), 1);
	assert_int_equal(sw_responders_live(t), 3);
	struct seen s = {.ordered = 1};
	assert_int_equal(sw_responders_drain(t, 200, collect, &s), 1);
	assert_int_equal(s.first0, '1');
	assert_int_equal(sw_responders_drain(t, UINT64_MAX, collect, &s), 2);
	assert_int_equal(s.first0, '3');
	assert_true(s.ordered);
	sw_responders_free(t);
}

/* Many responders: growth of both tables, interleaved draining, the hard cap. */
static void test_growth_and_limit(void **state)
{
	(void)state;
	struct sw_responders *t;
	assert_int_equal(sw_responders_new(50000, 99, &t), 0);
	struct seen s = {.ordered = 1};
	for (uint32_t i = 0; i < 50000; i++) {
		struct sw_endpoint ep = v4(i, 5060);
		assert_int_equal(sw_responders_add(t, &ep, 5060, "p", 1, 0, i), 1);
		/* a second packet from an earlier responder still inside its window */
		if (i >= 10) {
			struct sw_endpoint old = v4(i - 10, 5060);
			int rc = sw_responders_add(t, &old, 5060, "q", 1, 0, i);
			assert_true(rc == 1 || rc == 0);
		}
		if (i % 1000 == 999)
			sw_responders_drain(t, i - 500, collect, &s);
	}
	struct sw_endpoint one_more = v4(60000, 5060);
	assert_int_equal(sw_responders_add(t, &one_more, 5060, "p", 1, 0, 60000), SW_E_LIMIT);
	sw_responders_drain(t, UINT64_MAX, collect, &s);
	assert_int_equal(s.n, 50000);
	assert_true(s.ordered);
	assert_int_equal(sw_responders_seen(t), 50000);
	assert_int_equal(sw_responders_live(t), 0);
	sw_responders_free(t);
}

/* A first packet cut by the receive buffer is counted with its real size but not kept. */
static void test_truncated_first(void **state)
{
	(void)state;
	struct sw_responders *t;
	assert_int_equal(sw_responders_new(10, 0, &t), 0);
	struct sw_endpoint a = v4(9, 5060);
	assert_int_equal(sw_responders_add(t, &a, 5060, "SIP", 3, 1, 1), 1);
	struct seen s = {.ordered = 1};
	sw_responders_drain(t, UINT64_MAX, collect, &s);
	assert_int_equal(s.last.first_truncated, 1);
	assert_int_equal(s.last.first_len, 0);
	assert_int_equal(s.last.bytes, 3);
	sw_responders_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packets_counted),
		cmocka_unit_test(test_no_duplicates_after_drain),
		cmocka_unit_test(test_cutoff_order_and_keys),
		cmocka_unit_test(test_growth_and_limit),
		cmocka_unit_test(test_truncated_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
