#include "scan/pace.h"

#define NS_PER_SEC UINT64_C(1000000000)

uint32_t sw_pace_batch_for(uint64_t rate)
{
	uint64_t b = rate / 1000;
	if (b < 1)
		b = 1;
	if (b > 256)
		b = 256;
	return (uint32_t)b;
}

void sw_pace_init(struct sw_pace *p, uint64_t rate, uint64_t now_ns)
{
	p->rate = rate ? rate : 1;
	p->start_ns = now_ns;
	p->sent = 0;
	p->batch = sw_pace_batch_for(p->rate);
}

/* Probes due by now: floor((now - start) * rate / 1e9), in 128 bits so no product overflows. */
static uint64_t due_by(const struct sw_pace *p, uint64_t now_ns)
{
	if (now_ns <= p->start_ns)
		return 0;
	unsigned __int128 x = (unsigned __int128)(now_ns - p->start_ns) * p->rate;
	x /= NS_PER_SEC;
	return x > UINT64_MAX ? UINT64_MAX : (uint64_t)x;
}

/* When probe number k is due: start + ceil(k * 1e9 / rate). */
static uint64_t time_of(const struct sw_pace *p, uint64_t k)
{
	unsigned __int128 x = (unsigned __int128)k * NS_PER_SEC + p->rate - 1;
	x /= p->rate;
	return p->start_ns + (uint64_t)x;
}

uint32_t sw_pace_allow(struct sw_pace *p, uint64_t now_ns, uint32_t max, uint64_t *ret_wake_ns)
{
	uint64_t due = due_by(p, now_ns);
	uint64_t ahead = due > p->sent ? due - p->sent : 0;
	uint64_t burst = 2 * (uint64_t)p->batch;
	if (ahead > burst) {
		/*
		 * Fell behind by more than two batches: forget the missed slots by moving the
		 * schedule, so that exactly two batches are due now.
		 */
		uint64_t keep = p->sent + burst;
		p->start_ns = now_ns - (time_of(p, keep) - p->start_ns);
		ahead = burst;
	}
	if (ahead >= p->batch || (ahead > 0 && ahead >= max)) {
		uint64_t n = ahead < max ? ahead : max;
		return (uint32_t)n;
	}
	*ret_wake_ns = time_of(p, p->sent + p->batch);
	return 0;
}

void sw_pace_sent(struct sw_pace *p, uint32_t n)
{
	p->sent += n;
}
