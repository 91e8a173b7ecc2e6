/* Send pacing (src/scan/pace.c), driven by a simulated clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scan/pace.h"

#define SEC UINT64_C(1000000000)

/*
 * Run a send loop the way the scanner does for sim_ns of simulated time: send what is allowed
 * (never more than max per call), otherwise jump to the wake-up time plus a wake-up latency.
 * Returns the number sent; *ret_wakeups counts the sleeps.
 */
static uint64_t simulate(uint64_t rate, uint64_t sim_ns, uint32_t max, uint64_t latency_ns,
			 uint64_t *ret_wakeups)
{
	struct sw_pace p;
	uint64_t now = 5 * SEC, end = now + sim_ns, wakeups = 0;
	sw_pace_init(&p, rate, now);
	while (now < end) {
		uint64_t wake = 0;
		uint32_t n = sw_pace_allow(&p, now, max, &wake);
		if (n) {
			assert_true(n <= max);
			sw_pace_sent(&p, n);
			now += 100; /* sending costs a little time */
		} else {
			assert_true(wake > now);
			now = wake + latency_ns;
			wakeups++;
		}
	}
	if (ret_wakeups)
		*ret_wakeups = wakeups;
	return p.sent;
}

static void test_batch_sizes(void **state)
{
	(void)state;
	assert_int_equal(sw_pace_batch_for(1), 1);
	assert_int_equal(sw_pace_batch_for(999), 1);
	assert_int_equal(sw_pace_batch_for(10000), 10);
	assert_int_equal(sw_pace_batch_for(50000), 50);
	assert_int_equal(sw_pace_batch_for(10000000), 256);
}

/* The long-run rate is exact to within one batch, at every rate. */
static void test_rates_exact(void **state)
{
	(void)state;
	static const uint64_t rates[] = {1, 7, 100, 1000, 10000, 50000, 1000000};
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		uint64_t r = rates[i], wakeups;
		uint64_t sent = simulate(r, 10 * SEC, 1024, 50000, &wakeups);
		uint64_t want = 10 * r, b = sw_pace_batch_for(r);
		assert_true(sent + 2 * b >= want);
		assert_true(sent <= want + b);
	}
}

/* Low rates sleep between probes: 10k pps wakes about 1,000 times a second, not 10,000. */
static void test_sleeps_at_low_rates(void **state)
{
	(void)state;
	uint64_t wakeups;
	simulate(10000, SEC, 1024, 50000, &wakeups);
	assert_in_range(wakeups, 900, 1100);
	simulate(1, 10 * SEC, 1024, 0, &wakeups);
	assert_in_range(wakeups, 9, 11);
}

/* A loop that stalls for a second does not then burst a second's worth of probes. */
static void test_no_burst_after_stall(void **state)
{
	(void)state;
	struct sw_pace p;
	uint64_t now = SEC, wake;
	sw_pace_init(&p, 10000, now);
	now += SEC; /* stalled: 10,000 probes overdue */
	uint32_t n = sw_pace_allow(&p, now, 100000, &wake);
	assert_int_equal(n, 2 * sw_pace_batch_for(10000));
	sw_pace_sent(&p, n);
	assert_int_equal(sw_pace_allow(&p, now, 100000, &wake), 0);
	assert_true(wake > now && wake <= now + SEC / 1000 + 1);
}

/* The caller's max bounds each answer, and a short tail (max < batch) is released at once. */
static void test_max_and_tail(void **state)
{
	(void)state;
	struct sw_pace p;
	uint64_t now = SEC, wake = 0;
	sw_pace_init(&p, 1000000, now);
	now += SEC / 1000; /* 1,000 due */
	assert_int_equal(sw_pace_allow(&p, now, 16, &wake), 16);
	sw_pace_init(&p, 1000000, SEC);
	assert_int_equal(sw_pace_allow(&p, SEC + 3000, 2, &wake), 2); /* 3 due, 2 left to send */
	assert_int_equal(sw_pace_allow(&p, SEC, 2, &wake), 0);
	assert_true(wake > SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_sizes),
		cmocka_unit_test(test_rates_exact),
		cmocka_unit_test(test_sleeps_at_low_rates),
		cmocka_unit_test(test_no_burst_after_stall),
		cmocka_unit_test(test_max_and_tail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
