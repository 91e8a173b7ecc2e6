/*
 * Send pacing: how many probes may go out now so that the long-run rate is exactly R per second,
 * from 1 pps to line rate, without busy-waiting at low rates.
 *
 * The pacer is pure arithmetic over a caller-supplied monotonic clock (nanoseconds), so it is
 * tested without sleeping. The send loop asks sw_pace_allow(); when it answers 0 it also says
 * until when to sleep (clock_nanosleep with TIMER_ABSTIME), so a 10k pps scan wakes 1,000 times a
 * second and sends 10 probes each time instead of spinning on a core.
 *
 * The schedule is absolute: probe k is due at start + k / R. Rounding never accumulates, and a
 * loop that fell behind (a slow write, a descheduled thread) catches up - but never by more than
 * two batches at once, so the wire never sees a burst: the schedule is moved instead.
 */
#ifndef SW_SCAN_PACE_H
#define SW_SCAN_PACE_H

#include <stdint.h>

struct sw_pace {
	uint64_t rate;     /* probes per second, >= 1 */
	uint64_t start_ns; /* when probe 0 was due */
	uint64_t sent;     /* probes sent since start_ns */
	uint32_t batch;    /* probes per wake-up */
};

/* Probes per wake-up for a rate: about one wake-up per millisecond, 1 to 256 probes. */
uint32_t sw_pace_batch_for(uint64_t rate);

/* Start a schedule at now_ns; rate must be >= 1. */
void sw_pace_init(struct sw_pace *p, uint64_t rate, uint64_t now_ns);

/*
 * How many probes (at most max) may be sent at now_ns. When the answer is 0, *ret_wake_ns is the
 * absolute time at which a full batch is due. Call sw_pace_sent() with what was really sent.
 */
uint32_t sw_pace_allow(struct sw_pace *p, uint64_t now_ns, uint32_t max, uint64_t *ret_wake_ns);

void sw_pace_sent(struct sw_pace *p, uint32_t n);

#endif
