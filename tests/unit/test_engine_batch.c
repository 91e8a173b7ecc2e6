/*
 * sw_engine_batch() decides exactly as sw_engine_packet() does, packet for packet.
 *
 * The batch hashes each packet's source once and prefetches the tracker's lines a few packets
 * ahead (tracker.h: struct sw_tracker_lookup). A lookup prepared before an earlier packet of the
 * same batch inserted, evicted, promoted or denied an entry must still find what a lookup made
 * at that moment would find. This test replays the realistic traffic of bench/engine's workload
 * generator (phones registering, keeping alive and calling behind NAT; svmap, svwar, svcrack,
 * sipsak, nmap and disguised tools; the server's answers), with state memory small enough that
 * both tracker pools evict, through two engines: one packet at a time, and in batches of varying
 * sizes (1 to 64, so the same source often appears twice in one batch). Every verdict's action,
 * reason, states and trust, and the final statistics, must agree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/decode.h"
#include "shield/config.h"
#include "shield/engine.h"
#include "core/siphash.h"
#include "shield/tracker.h"
#include "workload.h"

#define MSGS 400000
#define BATCH_MAX 64

static const uint8_t server4[4] = {198, 18, 0, 1};

/* What one verdict said, for comparing. */
struct said {
	uint8_t action, reason, before, after, trust;
};

static struct said *by_packet;
static size_t nsaid, cap_said;

static struct said said_of(const struct sw_verdict *v)
{
	return (struct said){(uint8_t)v->action, (uint8_t)v->reason, v->state_before,
			     v->state_after, (uint8_t)v->trust};
}

struct batch_ctx {
	const struct sw_packet *base;
	size_t first; /* index of base[0] in the replay */
	size_t mismatches;
};

static void on_verdict(const struct sw_packet *p, const struct sw_verdict *v, void *arg)
{
	struct batch_ctx *x = arg;
	size_t i = x->first + (size_t)(p - x->base);
	struct said s = said_of(v);
	assert_true(i < nsaid);
	if (memcmp(&s, &by_packet[i], sizeof(s)) != 0 && x->mismatches++ < 5)
		print_error("packet %zu: batch says action %u reason %u state %u->%u trust %u, "
			    "one at a time action %u reason %u state %u->%u trust %u\n",
			    i, s.action, s.reason, s.before, s.after, s.trust, by_packet[i].action,
			    by_packet[i].reason, by_packet[i].before, by_packet[i].after,
			    by_packet[i].trust);
}

static struct sw_engine *engine_small(void)
{
	static struct sw_shield_config cfg;
	char err[512];
	assert_int_equal(sw_shield_config_default(&cfg, err, sizeof(err)), 0);
	/* ~6k entries in all: the workload's 4.7k phones and its attackers do not fit */
	cfg.state_memory = 512 * 1024;
	struct sw_engine *e;
	if (sw_engine_new(&cfg, &e, err, sizeof(err)) != 0)
		fail_msg("engine: %s", err);
	/* the same hash key in both engines, so that they evict alike */
	static const uint8_t key[SW_SIPHASH_KEY_LEN] = "sipwarden-batch";
	assert_int_equal(sw_engine_set_hash_key(e, key), 0);
	return e;
}

static int to_packet(const struct wl_chunk *c, uint32_t i, struct sw_packet *p)
{
	struct sw_decoded d;
	if (sw_decode_ip(c->arena + c->off[i], c->len[i], &d) != 0 || d.proto != 17 || d.fragment)
		return -1;
	p->src = d.src;
	p->dst = d.dst;
	p->payload = d.payload;
	p->len = d.len;
	p->now_ms = c->t_ms[i];
	p->dir = d.dst.port == WL_SERVER_PORT && memcmp(d.dst.addr, server4, 4) == 0 ? SW_DIR_IN :
										       SW_DIR_OUT;
	return 0;
}

static void test_batch_equals_one_at_a_time(void **state)
{
	(void)state;
	struct wl_cfg wc = {.msgs = MSGS, .phones = 0, .seed = 20261122};
	struct wl *w1 = wl_new(&wc), *w2 = wl_new(&wc);
	struct wl_chunk *c = wl_chunk_new(65536);
	assert_non_null(w1);
	assert_non_null(w2);
	assert_non_null(c);
	struct sw_engine *one = engine_small(), *bat = engine_small();

	/* one packet at a time, remembering every verdict */
	while (wl_fill(w1, c) > 0) {
		for (uint32_t i = 0; i < c->n; i++) {
			struct sw_packet p;
			if (to_packet(c, i, &p) != 0)
				fail_msg("workload packet %zu does not decode", nsaid);
			struct sw_verdict v;
			sw_engine_packet(one, &p, &v);
			if (nsaid == cap_said) {
				cap_said = cap_said ? 2 * cap_said : 65536;
				by_packet = realloc(by_packet, cap_said * sizeof(*by_packet));
				assert_non_null(by_packet);
			}
			by_packet[nsaid++] = said_of(&v);
		}
	}

	/* the same packets in batches of 1 to 64 */
	struct sw_packet batch[BATCH_MAX];
	struct batch_ctx x = {.base = batch};
	size_t done = 0;
	uint32_t rnd = 12345;
	while (wl_fill(w2, c) > 0) {
		uint32_t i = 0;
		while (i < c->n) {
			rnd = rnd * 1103515245u + 12345u;
			unsigned want = 1 + (rnd >> 16) % BATCH_MAX, n = 0;
			for (; n < want && i < c->n; n++, i++)
				assert_int_equal(to_packet(c, i, &batch[n]), 0);
			x.first = done;
			sw_engine_batch(bat, batch, n, on_verdict, &x);
			done += n;
		}
	}
	assert_int_equal(done, nsaid);
	assert_int_equal(x.mismatches, 0);

	/* the runs went through every state and both pools evicted */
	const struct sw_engine_stats *a = sw_engine_stats(one), *b = sw_engine_stats(bat);
	assert_memory_equal(a, b, sizeof(*a));
	assert_true(a->promoted > 1000);
	assert_true(a->denied > 100);
	assert_true(a->by_action[SW_ACT_ACCEPT] > 0 && a->by_action[SW_ACT_DROP] > 0);
	struct sw_tracker_stats ta, tb;
	sw_tracker_stats(sw_engine_tracker(one), &ta);
	sw_tracker_stats(sw_engine_tracker(bat), &tb);
	assert_true(ta.evicted_untrusted > 0);
	assert_int_equal(ta.evicted_untrusted, tb.evicted_untrusted);
	assert_int_equal(ta.evicted_trusted, tb.evicted_trusted);
	assert_int_equal(ta.trusted, tb.trusted);
	assert_int_equal(ta.untrusted, tb.untrusted);
	assert_int_equal(ta.denied, tb.denied);

	sw_engine_free(one);
	sw_engine_free(bat);
	wl_chunk_free(c);
	wl_free(w1);
	wl_free(w2);
	free(by_packet);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_equals_one_at_a_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
