/*
 * Tests of the shield's policy (shield/policy) as a pure function of (state, message facts,
 * time): each step of the request and response paths at each trust level, the deny-period's end
 * at exactly its boundary, the tolerance window's roll, promotion with its credit, the NAT
 * helpers and the budget. Then whole conversations through a small engine-like bed (tracker +
 * policy, as the engine will wire them) with the recommended settings of policy.c: ten phones
 * behind one NAT re-registering at once, keepalives and a trunk's OPTIONS are never dropped,
 * while svwar-, svcrack-, nmap- and sweep-like sequences are denied from the facts alone (no
 * fingerprint, as if the User-Agent had been changed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "shield/policy.h"
#include "shield/tracker.h"
#include "sip/sip.h"

#define T0 1000000000000ull /* ms on the engine's clock, a whole second */
#define WINDOW 30000

/* policy.c's recommended settings. */
static const struct sw_policy_global G = {.tolerance_window_ms = WINDOW,
					  .max_untrusted_signaling = 1000};
static const struct sw_realm RECOMMENDED = {
	.name = "access",
	.trust = SW_TRUST_LOW,
	.anon = SW_ANON_ALL,
	.untrusted_signal_threshold = 40,
	.invalid_signal_threshold = 1,
	.maximum_signal_threshold = 4000,
	.nat_trust_threshold = 0,
	.deny_period = 300,
	.enumeration_threshold = 8,
	.auth_failure_threshold = 10,
	.method_sweep_threshold = 5,
};

static const enum sw_trust_level LEVELS[] = {SW_TRUST_NONE, SW_TRUST_LOW, SW_TRUST_MEDIUM,
					     SW_TRUST_HIGH};

/* FNV-1a of a user name: what the engine's user_hash stands for here. */
static uint32_t user(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h ? h : 1;
}

static uint32_t ext(unsigned n)
{
	char b[16];

	snprintf(b, sizeof(b), "%u", n);
	return user(b);
}

static struct sw_msg_facts req(uint8_t method, uint32_t user_hash)
{
	struct sw_msg_facts m = {.is_request = 1, .method = method, .user_hash = user_hash};

	return m;
}

static struct sw_msg_facts resp(uint8_t method, uint16_t status, uint32_t user_hash)
{
	struct sw_msg_facts m = {.method = method, .status = status, .user_hash = user_hash};

	return m;
}

static struct sw_decision request(const struct sw_realm *r, enum sw_trust_level trust,
				  struct sw_src *s, const struct sw_msg_facts *m, uint64_t now)
{
	struct sw_budget b = {0};
	struct sw_decision d;

	memset(&d, 0xa5, sizeof(d));
	sw_policy_request(&G, r, trust, s, &b, m, now, &d);
	return d;
}

static struct sw_decision response(const struct sw_realm *r, enum sw_trust_level trust,
				   struct sw_src *s, const struct sw_msg_facts *m, uint64_t now)
{
	struct sw_decision d;

	memset(&d, 0xa5, sizeof(d));
	sw_policy_response(&G, r, trust, s, m, now, &d);
	return d;
}

static struct sw_src fresh(uint64_t now)
{
	struct sw_src s = {0};

	s.win_start_s = (uint32_t)(now / 1000);
	return s;
}

static struct sw_src trusted(uint64_t now)
{
	struct sw_src s = fresh(now);

	s.state = SW_SRC_TRUSTED;
	return s;
}

/* Fail unless the decision is (act, why); the decision is evaluated once. */
static void check_verdict(struct sw_decision d, enum sw_action act, enum sw_reason why,
			  const char *file, int line)
{
	if (d.action == act && d.reason == why)
		return;
	print_error("%s:%d: got %s/%s, want %s/%s\n", file, line, sw_action_name(d.action),
		    sw_reason_name(d.reason), sw_action_name(act), sw_reason_name(why));
	_fail(file, line);
}

#define assert_verdict(d, act, why) check_verdict((d), (act), (why), __FILE__, __LINE__)

static void test_accept_untrusted(void **state)
{
	struct sw_src s = fresh(T0);
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_decision d = request(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0 + 10);

	(void)state;
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_int_equal(d.state_before, SW_SRC_UNTRUSTED);
	assert_int_equal(d.state_after, SW_SRC_UNTRUSTED);
	assert_false(d.promoted);
	assert_false(d.released);
	assert_int_equal(s.msgs, 1);
	assert_int_equal(s.untrusted, 1);
	assert_int_equal(s.methods, 1u << SIP_METHOD_OPTIONS);
	assert_int_equal(sw_policy_sketch_count(s.users_seen), 1);
	assert_int_equal(s.pending_reg, 0);
	assert_int_equal(s.last_seen_s, (T0 + 10) / 1000);
	assert_int_equal(s.last_reason, SW_REASON_NONE);
	m = req(SIP_METHOD_REGISTER, user("100"));
	request(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0 + 20);
	assert_int_equal(s.pending_reg, 1);
	assert_int_equal(sw_policy_sketch_count(s.users_seen), 1);
	assert_int_equal(s.methods, 1u << SIP_METHOD_OPTIONS | 1u << SIP_METHOD_REGISTER);
}

/* Denied while now < deny_until; the message at deny_until itself is the first released one. */
static void test_deny_boundary(void **state)
{
	struct sw_src s = fresh(T0);
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_decision d;

	(void)state;
	s.untrusted = 9;
	s.invalid = 3;
	s.users_fail = 0xff;
	s.flagged = 1;
	sw_policy_deny(&RECOMMENDED, &s, T0, 0, SW_REASON_ACL);
	assert_int_equal(s.state, SW_SRC_DENIED);
	assert_int_equal(s.deny_until, T0 + 300000);
	assert_int_equal(s.last_reason, SW_REASON_ACL);
	d = request(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0 + 300000 - 1);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_DENIED);
	assert_int_equal(d.state_before, SW_SRC_DENIED);
	assert_int_equal(d.state_after, SW_SRC_DENIED);
	assert_false(d.released);
	assert_int_equal(s.last_reason, SW_REASON_ACL); /* a drop of a denied source keeps it */
	assert_int_equal(s.untrusted, 9);
	d = request(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0 + 300000);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_true(d.released);
	assert_int_equal(d.state_before, SW_SRC_DENIED);
	assert_int_equal(d.state_after, SW_SRC_UNTRUSTED);
	assert_int_equal(s.msgs, 1);
	assert_int_equal(s.untrusted, 1);
	assert_int_equal(s.invalid, 0);
	assert_int_equal(s.users_fail, 0);
	assert_int_equal(s.flagged, 0);
	assert_int_equal(s.win_start_s, (T0 + 300000) / 1000);

	/* An explicit period; and the response path releases too. */
	sw_policy_deny(&RECOMMENDED, &s, T0, 5000, SW_REASON_ACL);
	assert_int_equal(s.deny_until, T0 + 5000);
	m = resp(SIP_METHOD_OPTIONS, 200, 0);
	d = response(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0 + 4999);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_RESPONSE_TO_FLAGGED);
	d = response(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0 + 5000);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_true(d.released);
	assert_int_equal(s.state, SW_SRC_UNTRUSTED);
}

/* deny-period 0: a deny drops that one message; the next one is released. */
static void test_deny_period_zero(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_src s = fresh(T0);
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_decision d;

	(void)state;
	r.deny_period = 0;
	m.fingerprinted = true;
	d = request(&r, SW_TRUST_LOW, &s, &m, T0);
	assert_verdict(d, SW_ACT_DENY, SW_REASON_FINGERPRINT);
	m.fingerprinted = false;
	d = request(&r, SW_TRUST_LOW, &s, &m, T0);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_true(d.released);
}

/* The window ends at win_start_s * 1000 + tolerance_window_ms; the first message then restarts it. */
static void test_window_roll(void **state)
{
	struct sw_src s = fresh(T0);
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_msg_facts r404 = resp(SIP_METHOD_INVITE, 404, user("200"));
	struct sw_msg_facts bad = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_realm r = RECOMMENDED;

	(void)state;
	r.invalid_signal_threshold = 5;
	bad.invalid = true;
	for (int i = 0; i < 10; i++)
		request(&r, SW_TRUST_LOW, &s, &m, T0 + 500 + (uint64_t)i);
	request(&r, SW_TRUST_LOW, &s, &bad, T0 + 600);
	response(&r, SW_TRUST_LOW, &s, &r404, T0 + 700);
	assert_int_equal(s.msgs, 11);
	assert_int_equal(s.untrusted, 10);
	assert_int_equal(s.invalid, 1);
	assert_int_equal(s.flagged, 1);
	assert_int_not_equal(s.users_fail, 0);
	/* One millisecond before the end: same window. */
	request(&r, SW_TRUST_LOW, &s, &m, T0 + WINDOW - 1);
	assert_int_equal(s.msgs, 12);
	assert_int_equal(s.win_start_s, T0 / 1000);
	/* At the end: everything restarts, this message counts in the new window. */
	request(&r, SW_TRUST_LOW, &s, &m, T0 + WINDOW);
	assert_int_equal(s.win_start_s, (T0 + WINDOW) / 1000);
	assert_int_equal(s.msgs, 1);
	assert_int_equal(s.untrusted, 1);
	assert_int_equal(s.invalid, 0);
	assert_int_equal(s.flagged, 0);
	assert_int_equal(s.users_fail, 0);
	assert_int_equal(sw_policy_sketch_count(s.users_seen), 1);
	assert_int_equal(s.methods, 1u << SIP_METHOD_OPTIONS);
	/* A response rolls the window too. */
	s.untrusted = 5;
	response(&r, SW_TRUST_LOW, &s, &r404, T0 + 2 * WINDOW + 1);
	assert_int_equal(s.untrusted, 0);
	assert_int_equal(s.win_start_s, (T0 + 2 * WINDOW + 1) / 1000);
}

static void test_maximum_threshold(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));

	(void)state;
	r.maximum_signal_threshold = 5;
	for (size_t l = 0; l < 4; l++) {
		enum sw_trust_level trust = LEVELS[l];
		struct sw_src s = trusted(T0);
		struct sw_decision d;

		for (int i = 0; i < 5; i++) {
			d = request(&r, trust, &s, &m, T0 + 1);
			if (trust != SW_TRUST_NONE)
				assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
		}
		d = request(&r, trust, &s, &m, T0 + 2);
		switch (trust) {
		case SW_TRUST_HIGH:
			assert_verdict(d, SW_ACT_DROP, SW_REASON_MAXIMUM_THRESHOLD);
			assert_int_equal(s.state, SW_SRC_TRUSTED);
			break;
		case SW_TRUST_MEDIUM:
			assert_verdict(d, SW_ACT_DROP, SW_REASON_MAXIMUM_THRESHOLD);
			assert_int_equal(d.state_before, SW_SRC_TRUSTED);
			assert_int_equal(d.state_after, SW_SRC_UNTRUSTED);
			break;
		default:
			assert_verdict(d, SW_ACT_DENY, SW_REASON_MAXIMUM_THRESHOLD);
			assert_int_equal(s.state, SW_SRC_DENIED);
			assert_int_equal(s.deny_until, T0 + 2 + 300000);
			assert_int_equal(s.last_reason, SW_REASON_MAXIMUM_THRESHOLD);
		}
	}
}

/* Which reason a flagged message gets, and that it is counted and flags the source. */
static void test_flag_reasons(void **state)
{
	struct sw_realm r = RECOMMENDED;
	static const struct {
		bool fp, uad, uana, inv;
		enum sw_reason why;
	} cases[] = {
		{true, true, true, true, SW_REASON_FINGERPRINT},
		{false, true, true, true, SW_REASON_UA_DENY},
		{false, false, true, true, SW_REASON_UA_ALLOW},
		{false, false, false, true, SW_REASON_INVALID},
		{true, false, false, false, SW_REASON_FINGERPRINT},
	};

	(void)state;
	r.invalid_signal_threshold = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_src s = trusted(T0);
		struct sw_msg_facts m = req(SIP_METHOD_INVITE, user("100"));
		struct sw_decision d;

		m.fingerprinted = cases[i].fp;
		m.ua_denied = cases[i].uad;
		m.ua_not_allowed = cases[i].uana;
		m.invalid = cases[i].inv;
		d = request(&r, SW_TRUST_LOW, &s, &m, T0);
		assert_verdict(d, SW_ACT_DROP, cases[i].why);
		assert_int_equal(s.flagged, 1);
		assert_int_equal(s.invalid, 1);
		assert_int_equal(s.msgs, 1);
		assert_int_equal(s.untrusted, 0);
		assert_int_equal(s.state, SW_SRC_TRUSTED);
		assert_int_equal(s.last_reason, cases[i].why);
		/* Responses to a flagged source are dropped, and learned from. */
		m = resp(SIP_METHOD_INVITE, 404, user("300"));
		d = response(&r, SW_TRUST_LOW, &s, &m, T0 + 1);
		assert_verdict(d, SW_ACT_DROP, SW_REASON_RESPONSE_TO_FLAGGED);
		assert_int_not_equal(s.users_fail, 0);
		assert_int_equal(s.last_reason, cases[i].why);
	}
}

static void test_invalid_threshold(void **state)
{
	struct sw_msg_facts fp = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_msg_facts bad = req(SIP_METHOD_OPTIONS, 0);
	struct sw_realm r3 = RECOMMENDED;

	(void)state;
	fp.fingerprinted = true;
	bad.invalid = true;
	for (size_t l = 0; l < 4; l++) {
		enum sw_trust_level trust = LEVELS[l];
		struct sw_src s = trusted(T0), u = fresh(T0);
		struct sw_decision d = request(&RECOMMENDED, trust, &s, &fp, T0);
		struct sw_decision e = request(&RECOMMENDED, trust, &u, &bad, T0);

		switch (trust) {
		case SW_TRUST_HIGH:
			assert_verdict(d, SW_ACT_DROP, SW_REASON_FINGERPRINT);
			assert_int_equal(s.state, SW_SRC_TRUSTED);
			assert_verdict(e, SW_ACT_DROP, SW_REASON_INVALID);
			assert_int_equal(u.state,
					 SW_SRC_TRUSTED); /* high: trusted from the start */
			break;
		case SW_TRUST_MEDIUM:
			assert_verdict(d, SW_ACT_DROP, SW_REASON_FINGERPRINT);
			assert_int_equal(s.state, SW_SRC_UNTRUSTED);
			assert_verdict(e, SW_ACT_DROP, SW_REASON_INVALID_THRESHOLD);
			assert_int_equal(u.state, SW_SRC_UNTRUSTED);
			break;
		default:
			/* The seed's value 1: one fingerprinted message denies at once. */
			assert_verdict(d, SW_ACT_DENY, SW_REASON_FINGERPRINT);
			assert_int_equal(s.state, SW_SRC_DENIED);
			assert_verdict(e, SW_ACT_DENY, SW_REASON_INVALID_THRESHOLD);
			assert_int_equal(u.state, SW_SRC_DENIED);
			assert_int_equal(u.last_reason, SW_REASON_INVALID_THRESHOLD);
		}
	}
	/* Threshold 3: mixed flags add up. */
	r3.invalid_signal_threshold = 3;
	{
		struct sw_src s = fresh(T0);
		struct sw_msg_facts ua = req(SIP_METHOD_REGISTER, user("100"));
		struct sw_decision d;

		ua.ua_denied = true;
		assert_verdict(request(&r3, SW_TRUST_LOW, &s, &bad, T0), SW_ACT_DROP,
			       SW_REASON_INVALID);
		assert_verdict(request(&r3, SW_TRUST_LOW, &s, &ua, T0), SW_ACT_DROP,
			       SW_REASON_UA_DENY);
		d = request(&r3, SW_TRUST_LOW, &s, &ua, T0);
		assert_verdict(d, SW_ACT_DENY, SW_REASON_UA_DENY);
		assert_int_equal(s.invalid, 3);
	}
}

static void test_anonymous_registered(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_msg_facts opt = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_msg_facts reg = req(SIP_METHOD_REGISTER, user("100"));
	struct sw_src s = fresh(T0), t = trusted(T0);
	struct sw_budget b = {0};
	struct sw_decision d;

	(void)state;
	r.anon = SW_ANON_REGISTERED;
	r.untrusted_signal_threshold = 3;
	d = request(&r, SW_TRUST_LOW, &s, &opt, T0);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_ANONYMOUS);
	assert_int_equal(s.untrusted, 1); /* counted as an untrusted signal */
	assert_int_equal(s.last_reason, SW_REASON_ANONYMOUS);
	d = request(&r, SW_TRUST_LOW, &s, &reg, T0);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_verdict(request(&r, SW_TRUST_LOW, &t, &opt, T0), SW_ACT_ACCEPT, SW_REASON_NONE);
	/* High trust is trusted, so never anonymous. */
	{
		struct sw_src h = fresh(T0);

		assert_verdict(request(&r, SW_TRUST_HIGH, &h, &opt, T0), SW_ACT_ACCEPT,
			       SW_REASON_NONE);
	}
	/* Anonymous requests take no budget, and add up to a deny. */
	{
		struct sw_policy_global g = G;

		g.max_untrusted_signaling = 1;
		sw_policy_request(&g, &r, SW_TRUST_LOW, &s, &b, &opt, T0, &d);
		assert_verdict(d, SW_ACT_DROP, SW_REASON_ANONYMOUS);
		assert_int_equal(b.count, 0);
		sw_policy_request(&g, &r, SW_TRUST_LOW, &s, &b, &opt, T0, &d);
		assert_verdict(d, SW_ACT_DENY, SW_REASON_UNTRUSTED_THRESHOLD);
	}
}

static void test_anonymous_agents_only(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_msg_facts m = req(SIP_METHOD_INVITE, user("100"));
	struct sw_src s = fresh(T0), h = fresh(T0);

	(void)state;
	r.anon = SW_ANON_AGENTS_ONLY;
	assert_verdict(request(&r, SW_TRUST_LOW, &s, &m, T0), SW_ACT_DROP, SW_REASON_ANONYMOUS);
	assert_verdict(request(&r, SW_TRUST_HIGH, &h, &m, T0), SW_ACT_DROP, SW_REASON_ANONYMOUS);
	m.listed = true;
	assert_verdict(request(&r, SW_TRUST_HIGH, &h, &m, T0), SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_verdict(request(&r, SW_TRUST_LOW, &s, &m, T0), SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_int_equal(s.untrusted, 2);
}

static void test_untrusted_threshold(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_msg_facts m = req(SIP_METHOD_INVITE, user("100"));

	(void)state;
	r.untrusted_signal_threshold = 5;
	for (size_t l = 0; l < 4; l++) {
		enum sw_trust_level trust = LEVELS[l];
		struct sw_src s = fresh(T0);
		struct sw_decision d;

		for (int i = 0; i < 5; i++)
			assert_verdict(request(&r, trust, &s, &m, T0), SW_ACT_ACCEPT,
				       SW_REASON_NONE);
		d = request(&r, trust, &s, &m, T0);
		switch (trust) {
		case SW_TRUST_HIGH: /* always trusted: nothing counted */
			assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
			assert_int_equal(s.untrusted, 0);
			break;
		case SW_TRUST_MEDIUM:
			assert_verdict(d, SW_ACT_DROP, SW_REASON_UNTRUSTED_THRESHOLD);
			assert_int_equal(s.state, SW_SRC_UNTRUSTED);
			break;
		default:
			assert_verdict(d, SW_ACT_DENY, SW_REASON_UNTRUSTED_THRESHOLD);
			assert_int_equal(s.state, SW_SRC_DENIED);
		}
	}
	/* Trusted sources are not counted. */
	{
		struct sw_src s = trusted(T0);

		for (int i = 0; i < 100; i++)
			assert_verdict(request(&r, SW_TRUST_LOW, &s, &m, T0), SW_ACT_ACCEPT,
				       SW_REASON_NONE);
		assert_int_equal(s.untrusted, 0);
	}
}

static void test_method_sweep(void **state)
{
	static const uint8_t methods[] = {SIP_METHOD_OPTIONS,   SIP_METHOD_OPTIONS,
					  SIP_METHOD_INVITE,    SIP_METHOD_REGISTER,
					  SIP_METHOD_SUBSCRIBE, SIP_METHOD_MESSAGE};
	struct sw_src s = fresh(T0), m = fresh(T0);
	struct sw_decision d;

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(methods); i++) {
		struct sw_msg_facts f = req(methods[i], user("100"));

		assert_verdict(request(&RECOMMENDED, SW_TRUST_LOW, &s, &f, T0), SW_ACT_ACCEPT,
			       SW_REASON_NONE);
		request(&RECOMMENDED, SW_TRUST_MEDIUM, &m, &f, T0);
	}
	{
		struct sw_msg_facts f = req(SIP_METHOD_MESSAGE, user("100"));

		d = request(&RECOMMENDED, SW_TRUST_LOW, &s, &f, T0);
		assert_verdict(d, SW_ACT_DENY, SW_REASON_METHOD_SWEEP);
		d = request(&RECOMMENDED, SW_TRUST_MEDIUM, &m, &f, T0);
		assert_verdict(d, SW_ACT_DROP, SW_REASON_METHOD_SWEEP);
	}
}

static void test_budget(void **state)
{
	struct sw_policy_global g = G;
	struct sw_budget b = {0};
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_src u[5], t = trusted(T0);
	struct sw_decision d;

	(void)state;
	g.max_untrusted_signaling = 3;
	for (int i = 0; i < 5; i++)
		u[i] = fresh(T0);
	for (int i = 0; i < 3; i++) {
		sw_policy_request(&g, &RECOMMENDED, SW_TRUST_LOW, &u[i], &b, &m, T0 + 999, &d);
		assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	}
	assert_int_equal(b.count, 3);
	sw_policy_request(&g, &RECOMMENDED, SW_TRUST_LOW, &u[3], &b, &m, T0 + 999, &d);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_UNTRUSTED_BUDGET);
	assert_int_equal(u[3].untrusted, 0); /* not counted against the source */
	assert_int_equal(u[3].state, SW_SRC_UNTRUSTED);
	/* Trusted sources are outside the budget. */
	sw_policy_request(&g, &RECOMMENDED, SW_TRUST_LOW, &t, &b, &m, T0 + 999, &d);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	/* A new second, a new budget. */
	sw_policy_request(&g, &RECOMMENDED, SW_TRUST_LOW, &u[4], &b, &m, T0 + 1000, &d);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_int_equal(b.sec, (T0 + 1000) / 1000);
	assert_int_equal(b.count, 1);
	/* Off, or without a budget struct: no limit. */
	g.max_untrusted_signaling = 0;
	for (int i = 0; i < 10; i++) {
		sw_policy_request(&g, &RECOMMENDED, SW_TRUST_LOW, &u[4], &b, &m, T0 + 1000, &d);
		assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	}
	g.max_untrusted_signaling = 1;
	sw_policy_request(&g, &RECOMMENDED, SW_TRUST_LOW, &u[4], NULL, &m, T0 + 1000, &d);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
}

/* REGISTER -> 401 -> REGISTER with credentials -> 200: trusted, with the registration credited. */
static void test_promotion_register(void **state)
{
	(void)state;
	for (size_t l = 0; l < 4; l++) {
		enum sw_trust_level trust = LEVELS[l];
		struct sw_src s = fresh(T0);
		struct sw_msg_facts opt = req(SIP_METHOD_OPTIONS, user("100"));
		struct sw_msg_facts reg = req(SIP_METHOD_REGISTER, user("100"));
		struct sw_msg_facts r401 = resp(SIP_METHOD_REGISTER, 401, user("100"));
		struct sw_msg_facts r200 = resp(SIP_METHOD_REGISTER, 200, user("100"));
		struct sw_decision d;

		request(&RECOMMENDED, trust, &s, &opt, T0);
		reg.cseq = r401.cseq = 1;
		request(&RECOMMENDED, trust, &s, &reg, T0);
		assert_verdict(response(&RECOMMENDED, trust, &s, &r401, T0), SW_ACT_ACCEPT,
			       SW_REASON_NONE);
		reg.has_credentials = true;
		reg.cseq = r200.cseq = 2;
		request(&RECOMMENDED, trust, &s, &reg, T0);
		if (trust != SW_TRUST_HIGH) {
			assert_int_equal(s.untrusted, 3);
			assert_int_equal(s.pending_reg, 2);
		}
		d = response(&RECOMMENDED, trust, &s, &r200, T0);
		assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
		assert_int_equal(s.auth_fail, 0);
		switch (trust) {
		case SW_TRUST_NONE:
			assert_false(d.promoted);
			assert_int_equal(s.state, SW_SRC_UNTRUSTED);
			break;
		case SW_TRUST_HIGH:
			assert_false(d.promoted); /* trusted all along */
			assert_int_equal(s.state, SW_SRC_TRUSTED);
			break;
		default:
			assert_true(d.promoted);
			assert_int_equal(d.state_before, SW_SRC_UNTRUSTED);
			assert_int_equal(d.state_after, SW_SRC_TRUSTED);
			/* credit: min(untrusted, pending_reg + 1) = 3 */
			assert_int_equal(s.untrusted, 0);
			assert_int_equal(s.pending_reg, 0);
		}
	}
	/* Credit never goes below zero and leaves what it does not cover. */
	{
		struct sw_src s = fresh(T0);
		struct sw_msg_facts r200 = resp(SIP_METHOD_REGISTER, 200, user("100"));

		s.untrusted = 10;
		s.pending_reg = 4;
		assert_true(response(&RECOMMENDED, SW_TRUST_LOW, &s, &r200, T0).promoted);
		assert_int_equal(s.untrusted, 5);
		s.state = SW_SRC_UNTRUSTED;
		s.untrusted = 1;
		s.pending_reg = 4;
		assert_true(response(&RECOMMENDED, SW_TRUST_LOW, &s, &r200, T0).promoted);
		assert_int_equal(s.untrusted, 0);
	}
}

/* 2xx to a non-REGISTER promotes only when that request carried credentials. */
static void test_promotion_credentials(void **state)
{
	struct sw_src s = fresh(T0);
	struct sw_msg_facts inv = req(SIP_METHOD_INVITE, user("300"));
	struct sw_msg_facts ok = resp(SIP_METHOD_INVITE, 200, user("300"));
	struct sw_decision d;

	(void)state;
	inv.port = ok.port = 5060;
	inv.cseq = ok.cseq = 7;
	request(&RECOMMENDED, SW_TRUST_LOW, &s, &inv, T0);
	d = response(&RECOMMENDED, SW_TRUST_LOW, &s, &ok, T0);
	assert_false(d.promoted);
	inv.has_credentials = true;
	inv.cseq = ok.cseq = 8;
	request(&RECOMMENDED, SW_TRUST_LOW, &s, &inv, T0);
	/* A 2xx to another request (other CSeq) does not count. */
	ok.cseq = 9;
	assert_false(response(&RECOMMENDED, SW_TRUST_LOW, &s, &ok, T0).promoted);
	ok.cseq = 8;
	d = response(&RECOMMENDED, SW_TRUST_LOW, &s, &ok, T0);
	assert_true(d.promoted);
	assert_int_equal(s.state, SW_SRC_TRUSTED);
}

/* Never promote a denied or flagged source; its responses are dropped. */
static void test_no_promotion_when_blocked(void **state)
{
	struct sw_msg_facts ok = resp(SIP_METHOD_REGISTER, 200, user("100"));
	struct sw_realm r = RECOMMENDED;
	struct sw_src s = fresh(T0);
	struct sw_decision d;

	(void)state;
	sw_policy_deny(&r, &s, T0, 0, SW_REASON_ACL);
	d = response(&r, SW_TRUST_LOW, &s, &ok, T0 + 1);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_RESPONSE_TO_FLAGGED);
	assert_false(d.promoted);
	assert_int_equal(s.state, SW_SRC_DENIED);
	assert_int_equal(s.last_reason, SW_REASON_ACL);

	r.invalid_signal_threshold = 0;
	s = fresh(T0);
	{
		struct sw_msg_facts bad = req(SIP_METHOD_REGISTER, user("100"));

		bad.ua_not_allowed = true;
		request(&r, SW_TRUST_LOW, &s, &bad, T0);
	}
	d = response(&r, SW_TRUST_LOW, &s, &ok, T0 + 1);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_RESPONSE_TO_FLAGGED);
	assert_false(d.promoted);
	/* The next window forgets the flag. */
	d = response(&r, SW_TRUST_LOW, &s, &ok, T0 + WINDOW);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_true(d.promoted);
}

/* A source none-trusted by a config change loses its trust with its next message. */
static void test_trust_none_never_trusted(void **state)
{
	struct sw_src s = trusted(T0);
	struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_decision d = request(&RECOMMENDED, SW_TRUST_NONE, &s, &m, T0);

	(void)state;
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_int_equal(d.state_before, SW_SRC_TRUSTED);
	assert_int_equal(d.state_after, SW_SRC_UNTRUSTED);
	assert_int_equal(s.untrusted, 1);
}

/* High: every threshold and finding leaves it trusted; only an operator's deny holds it. */
static void test_trust_high_never_denied(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_src s = fresh(T0);
	struct sw_msg_facts fp = req(SIP_METHOD_OPTIONS, user("100"));
	struct sw_decision d;

	(void)state;
	r.maximum_signal_threshold = 2;
	fp.fingerprinted = true;
	for (int i = 0; i < 10; i++) {
		d = request(&r, SW_TRUST_HIGH, &s, &fp, T0);
		assert_int_equal(d.action, SW_ACT_DROP);
		assert_int_equal(s.state, SW_SRC_TRUSTED);
	}
	for (unsigned u = 0; u < 50; u++) {
		struct sw_msg_facts nf = resp(SIP_METHOD_INVITE, 404, ext(u));
		struct sw_msg_facts af = resp(SIP_METHOD_INVITE, 407, ext(u));

		/* flagged in this window: dropped, but never denied or demoted */
		d = response(&r, SW_TRUST_HIGH, &s, &nf, T0);
		assert_int_equal(d.action, SW_ACT_DROP);
		s.creds = 1;
		s.creds_id = 0;
		response(&r, SW_TRUST_HIGH, &s, &af, T0);
		assert_int_equal(s.state, SW_SRC_TRUSTED);
	}
	/* Next window: unflagged; a trunk's 404s are its business, nothing is dropped. */
	for (unsigned u = 0; u < 50; u++) {
		struct sw_msg_facts nf = resp(SIP_METHOD_INVITE, 404, ext(u));

		d = response(&r, SW_TRUST_HIGH, &s, &nf, T0 + WINDOW);
		assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	}
	sw_policy_deny(&r, &s, T0 + WINDOW, 1000, SW_REASON_ACL);
	d = request(&r, SW_TRUST_HIGH, &s, &fp, T0 + WINDOW + 1);
	assert_verdict(d, SW_ACT_DROP, SW_REASON_DENIED);
	fp.fingerprinted = false;
	d = request(&r, SW_TRUST_HIGH, &s, &fp, T0 + WINDOW + 1000);
	assert_verdict(d, SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_true(d.released);
	assert_int_equal(d.state_after, SW_SRC_TRUSTED);
}

static void test_enumeration(void **state)
{
	(void)state;
	for (size_t l = 0; l < 4; l++) {
		enum sw_trust_level trust = LEVELS[l];
		struct sw_src s = trusted(T0);
		struct sw_decision d = {0};
		unsigned n = 0;

		if (trust == SW_TRUST_NONE)
			s.state = SW_SRC_UNTRUSTED;
		/* The same user over and over is not enumeration. */
		for (int i = 0; i < 50; i++) {
			struct sw_msg_facts m = resp(SIP_METHOD_INVITE, 404, ext(100));

			assert_verdict(response(&RECOMMENDED, trust, &s, &m, T0), SW_ACT_ACCEPT,
				       SW_REASON_NONE);
		}
		/* Distinct users, with every code that says "no such user". */
		for (n = 101; n < 200; n++) {
			static const uint16_t codes[] = {404, 403, 484, 604};
			struct sw_msg_facts m = resp(SIP_METHOD_INVITE, codes[n % 4], ext(n));

			d = response(&RECOMMENDED, trust, &s, &m, T0);
			if (d.action != SW_ACT_ACCEPT)
				break;
		}
		if (trust == SW_TRUST_HIGH) {
			assert_int_equal(n, 200);
			assert_int_equal(s.state, SW_SRC_TRUSTED);
			continue;
		}
		/* About eight distinct users (linear counting; a bit collision may add one). */
		if (n - 100 < 7 || n - 100 > 10)
			fail_msg("enumeration found after %u users", n - 100);
		if (trust == SW_TRUST_MEDIUM) {
			assert_verdict(d, SW_ACT_DROP, SW_REASON_ENUMERATION);
			assert_int_equal(s.state, SW_SRC_UNTRUSTED);
		} else {
			assert_verdict(d, SW_ACT_DENY, SW_REASON_ENUMERATION);
			assert_int_equal(s.state, SW_SRC_DENIED);
		}
	}
	/* 0 disables; a response without a user adds nothing. */
	{
		struct sw_realm r = RECOMMENDED;
		struct sw_src s = fresh(T0);

		r.enumeration_threshold = 0;
		for (unsigned u = 0; u < 100; u++) {
			struct sw_msg_facts m = resp(SIP_METHOD_REGISTER, 404, ext(u));

			assert_verdict(response(&r, SW_TRUST_LOW, &s, &m, T0), SW_ACT_ACCEPT,
				       SW_REASON_NONE);
		}
		s = fresh(T0);
		for (unsigned u = 0; u < 100; u++) {
			struct sw_msg_facts m = resp(SIP_METHOD_REGISTER, 404, 0);

			response(&RECOMMENDED, SW_TRUST_LOW, &s, &m, T0);
		}
		assert_int_equal(s.users_fail, 0);
	}
}

static void test_password_guessing(void **state)
{
	(void)state;
	for (size_t l = 0; l < 4; l++) {
		enum sw_trust_level trust = LEVELS[l];
		struct sw_src s = fresh(T0);
		struct sw_decision d = {0};
		uint32_t i;

		for (i = 1; i <= 20; i++) {
			struct sw_msg_facts g = req(SIP_METHOD_REGISTER, ext(100));
			struct sw_msg_facts r =
				resp(SIP_METHOD_REGISTER, i % 2 ? 401 : 403, ext(100));

			g.has_credentials = true;
			g.port = r.port = 5060;
			g.cseq = r.cseq = 2; /* svcrack keeps CSeq 2 for every guess */
			request(&RECOMMENDED, trust, &s, &g, T0);
			/* The same answer twice (a retransmission): one failure. */
			d = response(&RECOMMENDED, trust, &s, &r, T0);
			if (d.action == SW_ACT_ACCEPT)
				d = response(&RECOMMENDED, trust, &s, &r, T0);
			if (d.action != SW_ACT_ACCEPT)
				break;
		}
		switch (trust) {
		case SW_TRUST_HIGH:
			assert_int_equal(i, 21);
			assert_int_equal(s.auth_fail, 20);
			break;
		case SW_TRUST_MEDIUM:
			assert_int_equal(i, 10);
			assert_verdict(d, SW_ACT_DROP, SW_REASON_PASSWORD_GUESSING);
			break;
		default:
			assert_int_equal(i, 10);
			assert_verdict(d, SW_ACT_DENY, SW_REASON_PASSWORD_GUESSING);
			assert_int_equal(s.state, SW_SRC_DENIED);
		}
	}
	/* Challenges to requests without credentials are not failures. */
	{
		struct sw_src s = fresh(T0);

		for (int i = 0; i < 50; i++) {
			struct sw_msg_facts g = req(SIP_METHOD_REGISTER, ext(100));
			struct sw_msg_facts r = resp(SIP_METHOD_REGISTER, 401, ext(100));

			request(&RECOMMENDED, SW_TRUST_LOW, &s, &g, T0 + (uint64_t)i * 1000);
			response(&RECOMMENDED, SW_TRUST_LOW, &s, &r, T0 + (uint64_t)i * 1000);
		}
		assert_int_equal(s.auth_fail, 0);
		assert_int_equal(s.state, SW_SRC_UNTRUSTED);
	}
	/* A 401 for another endpoint (port) or another request (CSeq) is not this one's. */
	{
		struct sw_src s = fresh(T0);
		struct sw_msg_facts g = req(SIP_METHOD_REGISTER, ext(100));
		struct sw_msg_facts r = resp(SIP_METHOD_REGISTER, 401, ext(100));

		g.has_credentials = true;
		g.port = 5060;
		g.cseq = 2;
		request(&RECOMMENDED, SW_TRUST_LOW, &s, &g, T0);
		r.port = 5062;
		r.cseq = 2;
		response(&RECOMMENDED, SW_TRUST_LOW, &s, &r, T0);
		r.port = 5060;
		r.cseq = 1;
		response(&RECOMMENDED, SW_TRUST_LOW, &s, &r, T0);
		assert_int_equal(s.auth_fail, 0);
		r.cseq = 2;
		response(&RECOMMENDED, SW_TRUST_LOW, &s, &r, T0);
		assert_int_equal(s.auth_fail, 1);
	}
}

static void test_nat_threshold(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_src a = fresh(T0);

	(void)state;
	/* Off by default: counted, never denied. */
	for (int i = 0; i < 5; i++)
		assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0));
	assert_int_equal(a.denied_endpoints, 5);
	assert_int_equal(a.state, SW_SRC_UNTRUSTED);

	r.nat_trust_threshold = 3;
	a = fresh(T0);
	assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0));
	assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0 + 1000));
	assert_false(sw_policy_nat_blocked(&a, T0 + 1000));
	assert_true(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0 + 2000));
	assert_int_equal(a.state, SW_SRC_DENIED);
	assert_int_equal(a.last_reason, SW_REASON_NAT_THRESHOLD);
	assert_int_equal(a.deny_until, T0 + 2000 + 300000);
	assert_true(sw_policy_nat_blocked(&a, T0 + 2000));
	assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0 + 3000)); /* already */
	/* Requests from the address are dropped; last_reason stays NAT_THRESHOLD. */
	{
		struct sw_msg_facts m = req(SIP_METHOD_REGISTER, user("100"));

		assert_verdict(request(&r, SW_TRUST_LOW, &a, &m, T0 + 4000), SW_ACT_DROP,
			       SW_REASON_DENIED);
		assert_true(sw_policy_nat_blocked(&a, T0 + 4000));
		assert_false(sw_policy_nat_blocked(&a, T0 + 302000));
		/* Released: the count starts over. */
		request(&r, SW_TRUST_LOW, &a, &m, T0 + 302000);
		assert_int_equal(a.denied_endpoints, 0);
	}
	/* Denials spread wider than deny-period apart do not add up. */
	a = fresh(T0);
	assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0));
	assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0 + 200000));
	assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_LOW, &a, T0 + 600000));
	assert_int_equal(a.denied_endpoints, 1);
	/* Medium and high are never denied. */
	a = fresh(T0);
	for (int i = 0; i < 5; i++) {
		assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_MEDIUM, &a, T0));
		assert_false(sw_policy_endpoint_denied(&r, SW_TRUST_HIGH, &a, T0));
	}
	/* An address denied for something else is taken over, never shortened. */
	a = fresh(T0);
	sw_policy_deny(&r, &a, T0, 1000000, SW_REASON_FINGERPRINT);
	a.denied_endpoints = 2;
	a.nat_since_s = T0 / 1000;
	assert_true(sw_policy_endpoint_denied(&r, SW_TRUST_NONE, &a, T0));
	assert_int_equal(a.deny_until, T0 + 1000000);
	assert_true(sw_policy_nat_blocked(&a, T0));
}

static void test_sketch_count(void **state)
{
	(void)state;
	assert_int_equal(sw_policy_sketch_count(0), 0);
	assert_int_equal(sw_policy_sketch_count(1), 1);
	assert_int_equal(sw_policy_sketch_count(0xff), 9);
	assert_int_equal(sw_policy_sketch_count(0xffffffffull), 44);
	assert_int_equal(sw_policy_sketch_count(~1ull), 266);
	assert_int_equal(sw_policy_sketch_count(~0ull), 65535);
	/* Counting distinct users: close for small numbers. */
	for (unsigned n = 1; n <= 32; n++) {
		struct sw_src s = trusted(T0);
		unsigned c;

		for (unsigned u = 0; u < n; u++) {
			struct sw_msg_facts m = resp(SIP_METHOD_INVITE, 404, ext(1000 + u));

			sw_policy_response(&G, &(struct sw_realm){.trust = SW_TRUST_LOW},
					   SW_TRUST_LOW, &s, &m, T0, &(struct sw_decision){0});
		}
		c = sw_policy_sketch_count(s.users_fail);
		if (c + n / 4 + 2 < n || c > n + n / 4 + 2)
			fail_msg("%u users counted as %u", n, c);
	}
}

/*
 * An engine-like bed: the tracker finds the entry, the policy decides, promotions move to the
 * trusted pool and denied endpoints are counted for NAT, as the engine will do it.
 */
struct bed {
	struct sw_tracker *t;
	struct sw_realm realm;
	struct sw_budget budget;
	uint64_t now;
	unsigned drops, denies, promotions;
};

static void bed_init(struct bed *b, const struct sw_realm *realm)
{
	struct sw_tracker_cfg cfg = {1 << 20, 25, 64};

	memset(b, 0, sizeof(*b));
	b->realm = *realm;
	b->now = T0;
	assert_int_equal(sw_tracker_new(&cfg, &b->t), 0);
}

static struct sw_decision bed_request(struct bed *b, const struct sw_endpoint *ep,
				      struct sw_msg_facts m)
{
	struct sw_tracked *e = sw_tracker_get(b->t, ep, 1, b->now);
	struct sw_decision d;

	m.is_request = 1;
	m.port = ep->port;
	sw_policy_request(&G, &b->realm, b->realm.trust, &e->src, &b->budget, &m, b->now, &d);
	b->drops += d.action != SW_ACT_ACCEPT;
	b->denies += d.action == SW_ACT_DENY;
	if (d.action == SW_ACT_DENY && e->endpoint)
		sw_policy_endpoint_denied(&b->realm, b->realm.trust,
					  &sw_tracker_addr(b->t, ep, b->now)->src, b->now);
	return d;
}

static struct sw_decision bed_response(struct bed *b, const struct sw_endpoint *ep,
				       struct sw_msg_facts m)
{
	struct sw_tracked *e = sw_tracker_get(b->t, ep, 1, b->now);
	struct sw_decision d;

	m.is_request = 0;
	m.port = ep->port;
	sw_policy_response(&G, &b->realm, b->realm.trust, &e->src, &m, b->now, &d);
	b->drops += d.action != SW_ACT_ACCEPT;
	b->denies += d.action == SW_ACT_DENY;
	if (d.promoted) {
		sw_tracker_promote(b->t, e, ep, b->now);
		b->promotions++;
	}
	return d;
}

static enum sw_src_state bed_state(struct bed *b, const struct sw_endpoint *ep)
{
	struct sw_tracked *e = sw_tracker_get(b->t, ep, 0, b->now);

	return e ? (enum sw_src_state)e->src.state : SW_SRC_UNTRUSTED;
}

static struct sw_endpoint ep4(const char *a, uint16_t port)
{
	struct sw_endpoint ep;
	uint8_t b[4];

	assert_int_equal(inet_pton(AF_INET, a, b), 1);
	sw_endpoint_set_v4(&ep, b, port);
	return ep;
}

/*
 * Ten phones behind one NAT re-register at once after an outage, in the worst order: every
 * first REGISTER (and a retransmission of each) before any answer, the 401s, every credentialed
 * REGISTER (retransmitted too) before any 200, late repeats of the 401s, then the 200s. Nothing
 * may be dropped, and all ten end trusted. Then an hour of OPTIONS keepalives every 30 s from
 * each phone and re-registrations every 10 minutes, and a trunk's OPTIONS every 5 s from
 * another address that never registers: nothing dropped either.
 */
static void test_nat_phones(void **state)
{
	struct sw_endpoint phone[10], trunk = ep4("192.0.2.200", 5060);
	struct bed b;
	uint32_t cseq[10];

	(void)state;
	bed_init(&b, &RECOMMENDED);
	for (int i = 0; i < 10; i++) {
		phone[i] = ep4("198.51.100.77", (uint16_t)(40000 + i * 7));
		cseq[i] = 1;
	}
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < 10; i++) {
			struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(2000 + (unsigned)i));

			m.cseq = cseq[i];
			assert_verdict(bed_request(&b, &phone[i], m), SW_ACT_ACCEPT,
				       SW_REASON_NONE);
		}
	for (int i = 0; i < 10; i++) {
		struct sw_msg_facts m = resp(SIP_METHOD_REGISTER, 401, ext(2000 + (unsigned)i));

		m.cseq = cseq[i]++;
		assert_verdict(bed_response(&b, &phone[i], m), SW_ACT_ACCEPT, SW_REASON_NONE);
	}
	for (int rep = 0; rep < 2; rep++)
		for (int i = 0; i < 10; i++) {
			struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(2000 + (unsigned)i));

			m.cseq = cseq[i];
			m.has_credentials = true;
			assert_verdict(bed_request(&b, &phone[i], m), SW_ACT_ACCEPT,
				       SW_REASON_NONE);
		}
	for (int i = 0; i < 10; i++) {
		/* The server repeats its 401 for the retransmitted first REGISTER. */
		struct sw_msg_facts m = resp(SIP_METHOD_REGISTER, 401, ext(2000 + (unsigned)i));

		m.cseq = cseq[i] - 1;
		assert_verdict(bed_response(&b, &phone[i], m), SW_ACT_ACCEPT, SW_REASON_NONE);
	}
	for (int i = 0; i < 10; i++) {
		struct sw_msg_facts m = resp(SIP_METHOD_REGISTER, 200, ext(2000 + (unsigned)i));

		m.cseq = cseq[i]++;
		assert_verdict(bed_response(&b, &phone[i], m), SW_ACT_ACCEPT, SW_REASON_NONE);
		assert_int_equal(bed_state(&b, &phone[i]), SW_SRC_TRUSTED);
	}
	assert_int_equal(b.promotions, 10);
	for (int i = 0; i < 10; i++) {
		struct sw_tracked *e = sw_tracker_get(b.t, &phone[i], 0, b.now);

		assert_int_equal(e->endpoint, 1);
		assert_int_equal(e->src.state, SW_SRC_TRUSTED);
	}
	/* An hour of keepalives, re-registrations and the trunk's OPTIONS. */
	for (unsigned s = 1; s <= 3600; s++) {
		b.now = T0 + (uint64_t)s * 1000;
		if (s % 5 == 0) {
			struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, user("trunk"));
			struct sw_msg_facts ok = resp(SIP_METHOD_OPTIONS, 200, user("trunk"));

			assert_verdict(bed_request(&b, &trunk, m), SW_ACT_ACCEPT, SW_REASON_NONE);
			assert_verdict(bed_response(&b, &trunk, ok), SW_ACT_ACCEPT, SW_REASON_NONE);
		}
		for (int i = 0; i < 10; i++) {
			if ((s + (unsigned)i) % 30 == 0) {
				struct sw_msg_facts m = req(SIP_METHOD_OPTIONS, ext(9000));

				assert_verdict(bed_request(&b, &phone[i], m), SW_ACT_ACCEPT,
					       SW_REASON_NONE);
			}
			if ((s + (unsigned)i * 13) % 600 == 0) {
				struct sw_msg_facts m =
					req(SIP_METHOD_REGISTER, ext(2000 + (unsigned)i));
				struct sw_msg_facts r = resp(SIP_METHOD_REGISTER, 401, m.user_hash);

				m.cseq = r.cseq = cseq[i]++;
				bed_request(&b, &phone[i], m);
				bed_response(&b, &phone[i], r);
				m.has_credentials = true;
				r.status = 200;
				m.cseq = r.cseq = cseq[i]++;
				bed_request(&b, &phone[i], m);
				bed_response(&b, &phone[i], r);
			}
		}
	}
	assert_int_equal(b.drops, 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(bed_state(&b, &phone[i]), SW_SRC_TRUSTED);
	assert_int_equal(bed_state(&b, &trunk), SW_SRC_UNTRUSTED);
	sw_tracker_free(b.t);

	/* The seed's untrusted-signal-threshold of 5 would have denied this NAT. */
	{
		struct sw_realm seed = RECOMMENDED;

		seed.untrusted_signal_threshold = 5;
		bed_init(&b, &seed);
		for (int i = 0; i < 10; i++)
			bed_request(&b, &phone[i],
				    req(SIP_METHOD_REGISTER, ext(2000 + (unsigned)i)));
		assert_int_equal(b.denies, 1);
		sw_tracker_free(b.t);
	}
}

/*
 * svwar with its User-Agent changed, from its port 5060: a canary request for a random number,
 * then extensions 100, 101, ... Against a server answering 404 to unknown users it is denied by
 * enumeration after about eight; against one answering 401 to everyone, at the 41st request.
 */
static void test_svwar_like(void **state)
{
	struct sw_endpoint svwar = ep4("203.0.113.50", 5060);
	struct bed b;
	unsigned n, sent = 0;

	(void)state;
	for (int server = 0; server < 2; server++) {
		bed_init(&b, &RECOMMENDED);
		for (n = 0; n < 900; n++) {
			unsigned x = n == 0 ? 4099342153u % 1000000000u : 100 + n - 1;
			struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(x));
			struct sw_msg_facts r;
			struct sw_decision d;

			b.now = T0 + n * 5;
			m.cseq = 1;
			d = bed_request(&b, &svwar, m);
			if (d.action == SW_ACT_DENY)
				break;
			r = resp(SIP_METHOD_REGISTER, server == 0 ? 404 : 401, m.user_hash);
			r.cseq = 1;
			d = bed_response(&b, &svwar, r);
			if (d.action == SW_ACT_DENY)
				break;
		}
		if (server == 0) {
			assert_true(n >= 7 && n <= 10);
			assert_int_equal(sw_tracker_get(b.t, &svwar, 0, b.now)->src.last_reason,
					 SW_REASON_ENUMERATION);
		} else {
			assert_int_equal(n, 40);
			assert_int_equal(sw_tracker_get(b.t, &svwar, 0, b.now)->src.last_reason,
					 SW_REASON_UNTRUSTED_THRESHOLD);
		}
		/* The rest of its walk is dropped without counting. */
		for (sent = 0; sent < 100; sent++) {
			struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(500 + sent));

			b.now += 5;
			assert_verdict(bed_request(&b, &svwar, m), SW_ACT_DROP, SW_REASON_DENIED);
		}
		assert_int_equal(b.denies, 1);
		sw_tracker_free(b.t);
	}
}

/*
 * svcrack with its User-Agent changed: REGISTER for one extension, then each 401 answered with
 * the next password, Call-ID reused and CSeq stuck at 2. Denied at the tenth failed guess; the
 * next deny-period lets no guess through.
 */
static void test_svcrack_like(void **state)
{
	struct sw_endpoint svcrack = ep4("203.0.113.60", 5060);
	struct bed b;
	unsigned guesses = 0;

	(void)state;
	bed_init(&b, &RECOMMENDED);
	{
		struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(100));
		struct sw_msg_facts r = resp(SIP_METHOD_REGISTER, 401, ext(100));

		m.cseq = r.cseq = 1;
		bed_request(&b, &svcrack, m);
		bed_response(&b, &svcrack, r);
	}
	for (;;) {
		struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(100));
		struct sw_msg_facts r = resp(SIP_METHOD_REGISTER, 401, ext(100));
		struct sw_decision d;

		b.now += 20;
		m.cseq = r.cseq = 2;
		m.has_credentials = true;
		d = bed_request(&b, &svcrack, m);
		if (d.action != SW_ACT_ACCEPT)
			break;
		guesses++;
		d = bed_response(&b, &svcrack, r);
		if (d.action == SW_ACT_DENY) {
			assert_int_equal(d.reason, SW_REASON_PASSWORD_GUESSING);
			break;
		}
		assert_true(guesses < 100);
	}
	assert_int_equal(guesses, 10);
	for (int i = 0; i < 1000; i++) {
		struct sw_msg_facts m = req(SIP_METHOD_REGISTER, ext(100));

		b.now += 250;
		m.has_credentials = true;
		assert_verdict(bed_request(&b, &svcrack, m), SW_ACT_DROP, SW_REASON_DENIED);
	}
	sw_tracker_free(b.t);
}

/*
 * nmap sip-enum-users with its User-Agent changed: a new ephemeral source port for every
 * request, a canary REGISTER for a random 8-digit user, then users 0..999 with Expires 0. The
 * source is one address entry whatever the ports; denied by enumeration. The same walk answered
 * 403 (servers that refuse unknown users so) is denied alike.
 */
static void test_nmap_enum_like(void **state)
{
	struct bed b;

	(void)state;
	for (int code = 0; code < 2; code++) {
		unsigned n;

		bed_init(&b, &RECOMMENDED);
		for (n = 0; n < 1001; n++) {
			struct sw_endpoint ep = ep4("203.0.113.70", (uint16_t)(33000 + n * 3));
			struct sw_msg_facts m =
				req(SIP_METHOD_REGISTER, ext(n == 0 ? 73914020 : n - 1));
			struct sw_msg_facts r =
				resp(SIP_METHOD_REGISTER, code ? 403 : 404, m.user_hash);
			struct sw_decision d;

			b.now = T0 + n;
			m.cseq = r.cseq = 1234;
			if (bed_request(&b, &ep, m).action != SW_ACT_ACCEPT)
				break;
			d = bed_response(&b, &ep, r);
			if (d.action == SW_ACT_DENY) {
				assert_int_equal(d.reason, SW_REASON_ENUMERATION);
				break;
			}
		}
		assert_true(n >= 7 && n <= 10);
		sw_tracker_free(b.t);
	}
}

/* A method sweep (svmap -m / sippts / nmap sip-methods style) from an untrusted source. */
static void test_sweep_like(void **state)
{
	static const uint8_t methods[] = {SIP_METHOD_OPTIONS,  SIP_METHOD_INVITE,
					  SIP_METHOD_REGISTER, SIP_METHOD_SUBSCRIBE,
					  SIP_METHOD_MESSAGE,  SIP_METHOD_REFER};
	struct sw_endpoint ep = ep4("203.0.113.80", 5061);
	struct bed b;
	size_t i;

	(void)state;
	bed_init(&b, &RECOMMENDED);
	for (i = 0; i < sizeof(methods); i++) {
		struct sw_msg_facts m = req(methods[i], user("100"));
		struct sw_decision d = bed_request(&b, &ep, m);

		if (d.action == SW_ACT_DENY) {
			assert_int_equal(d.reason, SW_REASON_METHOD_SWEEP);
			break;
		}
		bed_response(&b, &ep, resp(methods[i], 405, user("100")));
	}
	assert_int_equal(i, 4); /* the fifth method */
	sw_tracker_free(b.t);
}

/* A trusted endpoint that misbehaves is denied alone; with nat-trust-threshold, its address. */
static void test_nat_endpoint_denials(void **state)
{
	struct sw_realm r = RECOMMENDED;
	struct sw_endpoint p[3], newcomer = ep4("198.51.100.9", 7000);
	struct sw_msg_facts fp = req(SIP_METHOD_INVITE, user("100"));
	struct bed b;

	(void)state;
	r.nat_trust_threshold = 2;
	bed_init(&b, &r);
	for (int i = 0; i < 3; i++) {
		struct sw_msg_facts ok = resp(SIP_METHOD_REGISTER, 200, ext(2000 + (unsigned)i));

		p[i] = ep4("198.51.100.9", (uint16_t)(6000 + i));
		bed_request(&b, &p[i], req(SIP_METHOD_REGISTER, ext(2000 + (unsigned)i)));
		assert_true(bed_response(&b, &p[i], ok).promoted);
	}
	fp.fingerprinted = true;
	assert_int_equal(bed_request(&b, &p[0], fp).action, SW_ACT_DENY);
	assert_int_equal(bed_state(&b, &p[0]), SW_SRC_DENIED);
	assert_int_equal(bed_state(&b, &p[1]), SW_SRC_TRUSTED);
	assert_false(sw_policy_nat_blocked(&sw_tracker_get_addr(b.t, &newcomer)->src, b.now));
	assert_verdict(bed_request(&b, &newcomer, req(SIP_METHOD_REGISTER, ext(3000))),
		       SW_ACT_ACCEPT, SW_REASON_NONE);
	assert_int_equal(bed_request(&b, &p[1], fp).action, SW_ACT_DENY);
	/* Two endpoints denied: the whole address is, its remaining trusted endpoint too. */
	assert_true(sw_policy_nat_blocked(&sw_tracker_get_addr(b.t, &newcomer)->src, b.now));
	assert_verdict(bed_request(&b, &newcomer, req(SIP_METHOD_REGISTER, ext(3000))), SW_ACT_DROP,
		       SW_REASON_DENIED);
	assert_int_equal(bed_state(&b, &p[2]), SW_SRC_TRUSTED); /* the engine checks nat_blocked */
	sw_tracker_free(b.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_untrusted),
		cmocka_unit_test(test_deny_boundary),
		cmocka_unit_test(test_deny_period_zero),
		cmocka_unit_test(test_window_roll),
		cmocka_unit_test(test_maximum_threshold),
		cmocka_unit_test(test_flag_reasons),
		cmocka_unit_test(test_invalid_threshold),
		cmocka_unit_test(test_anonymous_registered),
		cmocka_unit_test(test_anonymous_agents_only),
		cmocka_unit_test(test_untrusted_threshold),
		cmocka_unit_test(test_method_sweep),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_promotion_register),
		cmocka_unit_test(test_promotion_credentials),
		cmocka_unit_test(test_no_promotion_when_blocked),
		cmocka_unit_test(test_trust_none_never_trusted),
		cmocka_unit_test(test_trust_high_never_denied),
		cmocka_unit_test(test_enumeration),
		cmocka_unit_test(test_password_guessing),
		cmocka_unit_test(test_nat_threshold),
		cmocka_unit_test(test_sketch_count),
		cmocka_unit_test(test_nat_phones),
		cmocka_unit_test(test_svwar_like),
		cmocka_unit_test(test_svcrack_like),
		cmocka_unit_test(test_nmap_enum_like),
		cmocka_unit_test(test_sweep_like),
		cmocka_unit_test(test_nat_endpoint_denials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
