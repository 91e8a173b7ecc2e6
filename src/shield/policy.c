/*
 * The shield's policy: verdicts and state transitions as a pure function of (source state,
 * message facts, time). See policy.h for the contract; this essay explains the rules and the
 * recommended settings.
 *
 * Requests, in this order (the first that decides ends the walk):
 *  1. A denied source is dropped until deny_until; the first message at or after it releases the
 *     source: untrusted again, every counter and sketch cleared.
 *  2. The tolerance window rolls when it has ended; msgs counts every request. Above
 *     maximum-signal-threshold: high drops, medium drops and demotes, low/none deny.
 *  3. A flagged message (invalid, fingerprinted, User-Agent denied or not allowed) is dropped and
 *     counted as invalid; the source is marked flagged so the server's responses to it are
 *     dropped for the rest of the window. At invalid-signal-threshold the source is punished as
 *     in 2 (the seed's value 1: one fingerprinted message denies at once).
 *  4. allow-anonymous refuses what it must (ANONYMOUS); such a request still counts as an
 *     untrusted signal in 5.
 *  5. While untrusted: untrusted-signal-threshold, method sweep, and the global budget.
 *  6. Otherwise accept.
 * Responses promote (2xx to REGISTER, or to a request that carried credentials), and feed the
 * behaviour counters: distinct users answered "no such user" (enumeration) and credentialed
 * requests answered with a challenge or refusal (password guessing).
 *
 * Trust levels decide what a finding does ("punish"): high sources are never denied nor demoted
 * (the message is dropped; on the response path nothing is dropped: a trunk's 404s are its
 * business); medium drops and demotes trusted to untrusted; low and none deny for deny-period.
 *
 * Choices the rules above leave open, and why:
 *  - `flagged` is cleared with the window like the counters. A high-trust peer is never denied,
 *    hence never released; one malformed message would otherwise blackhole every response to it
 *    forever.
 *  - A deny at invalid-signal-threshold caused by a parse error carries INVALID_THRESHOLD (the
 *    threshold did it); fingerprint and User-Agent denials keep their own, more telling reason.
 *  - Behaviour found on the response path (enumeration, password guessing) drops nothing for a
 *    high-trust source: dropping a trunk's 404 only makes it retransmit its INVITE.
 *  - Both allow-anonymous modes count what they drop as untrusted signal (agents-only too), so
 *    an unlisted source that keeps trying is denied and then costs a single comparison.
 *  - The budget allows exactly max_untrusted_signaling accepted untrusted requests per second.
 *    A request the budget drops is not counted against its source; a request allow-anonymous
 *    drops is counted but takes no budget (it was not accepted).
 *  - "The request carried credentials" is remembered as a hash of the (port, CSeq) of the
 *    latest credentialed request, and a response counts as answering it only when its own
 *    (port, CSeq) matches. An address entry stands for every endpoint behind a NAT: a 401 to
 *    phone A's first, credential-less REGISTER must not count as a failed password because
 *    phone B's REGISTER carried them, nor must a 401 that repeats an answer to a retransmitted
 *    first REGISTER (CSeq 1) arriving after the phone's credentialed one (CSeq 2). svcrack keeps
 *    CSeq at 2 for every guess, and every guess matches. One credentialed request counts at most
 *    one failure. Engines that leave port and cseq at 0 get the plain "latest request" rule.
 *  - Only accepted requests update that memory: the server never answers a dropped one.
 *  - last_reason keeps the reason of the deny while the source is denied (drops of a denied
 *    source and of responses to it do not overwrite it), so reports say why, and
 *    sw_policy_nat_blocked can tell a NAT_THRESHOLD deny.
 *  - The user sketches set bit (mix(user_hash) % 64); the mix spreads hashes whose low bits are
 *    poor. The count is a linear-counting estimate (sw_policy_sketch_count), not a popcount, so
 *    a threshold of 8 means about 8 users, not 8 bits (which needs about 9 users).
 *
 * Recommended settings (the config's defaults are the lead's call; these hold for the cases
 * below with the access realm at trust low and allow-anonymous all):
 *   tolerance-window            30 s
 *   untrusted-signal-threshold  40   deny at the 41st untrusted request in a window
 *   invalid-signal-threshold    1    the seed's: one fingerprinted message denies
 *   maximum-signal-threshold    4000 per source per window (133/s: no phone comes close)
 *   enumeration-threshold       8    distinct users answered 404/403/484/604
 *   auth-failure-threshold      10   credentialed requests answered 401/407/403
 *   method-sweep-threshold      5    distinct methods while untrusted
 *   nat-trust-threshold         0    off in access realms (offices, carrier-grade NAT)
 *   deny-period                 300 s
 *   max-untrusted-signaling     1000 per second, or the SIP server's REGISTER capacity
 * Why they hold for legitimate traffic:
 *  - 10 phones behind one NAT re-registering at once after an outage share one address entry
 *    until each is answered 2xx. Worst interleaving: all ten first REGISTERs, then all ten
 *    credentialed ones before any 200: 20 untrusted requests, 40 if every one is retransmitted
 *    once by a slow server. 40 passes; the first 200 credits every pending REGISTER, so the count
 *    drops to 0, and each 200 moves its phone to its own trusted endpoint entry. Ten users are
 *    seen (no threshold on that), one method, no 404s, and the 401s answer credential-less
 *    requests (their port and CSeq tell), so no auth failures. The seed's
 *    untrusted-signal-threshold of 5 is right for one endpoint per address but denies this NAT
 *    at the sixth REGISTER.
 *  - Trusted phones' OPTIONS keepalives every 30 s land in their trusted endpoint entries: one
 *    request per window, nothing counted as untrusted.
 *  - A trunk sending OPTIONS every 5 s belongs in an ACL entry (listed, trust medium or high);
 *    even left in the access realm untrusted, it sends 6 per window: far below 40, one user, one
 *    method, never answered 404/401.
 *  - A user with a wrong password: one failure per registration attempt; phones retry after tens
 *    of seconds, so 10 in 30 s is a tool. If a phone loops, 300 s of deny is what it costs, and
 *    the operator can unblock (the seed warns against long deny-periods for this reason).
 *  - Misdialled numbers (404) come from trusted phones one at a time; 8 distinct in 30 s is a
 *    tool.
 * Why they still catch scanners whose User-Agent was changed (facts only, no fingerprints):
 *  - svwar walks extensions: against a server answering 404 it is denied after about 8
 *    extensions (ENUMERATION); against one answering 401 to everyone it learns nothing and is
 *    denied at the 41st request (UNTRUSTED_THRESHOLD).
 *  - svcrack answers each 401 with the next password: denied at the 10th failed guess
 *    (PASSWORD_GUESSING), then 10 guesses per deny-period: about 2,800 a day instead of
 *    hundreds a second.
 *  - nmap sip-enum-users (REGISTER per user, Expires 0) as svwar; sip-brute as svcrack.
 *  - svmap/sippts/nmap sweeping methods (OPTIONS, INVITE, REGISTER, SUBSCRIBE, MESSAGE, ...)
 *    from an untrusted source: denied at the fifth distinct method (METHOD_SWEEP).
 */
#include "shield/policy.h"

#include "sip/sip.h"

#define SAT_INC16(x) ((x) = (uint16_t)((x) < UINT16_MAX ? (x) + 1 : (x)))
#define SAT_INC8(x) ((x) = (uint8_t)((x) < UINT8_MAX ? (x) + 1 : (x)))

/* Linear counting for a 64-bit sketch: round(-64 ln(1 - b/64)) distinct items for b bits set. */
static const uint16_t sketch_estimate[65] = {
	0,   1,   2,   3,   4,   5,   6,   7,   9,   10,  11,  12,  13,  15,    16, 17, 18,
	20,  21,  23,  24,  25,  27,  28,  30,  32,  33,  35,  37,  39,  40,    42, 44, 46,
	48,  51,  53,  55,  58,  60,  63,  65,  68,  71,  74,  78,  81,  85,    89, 93, 97,
	102, 107, 113, 119, 126, 133, 142, 151, 163, 177, 196, 222, 266, 65535,
};

unsigned sw_policy_sketch_count(uint64_t sketch)
{
	return sketch_estimate[__builtin_popcountll(sketch)];
}

/* The sketch bit of a user hash: a 32-bit finalizer (MurmurHash3's) so every input bit counts. */
static uint64_t sketch_bit(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return 1ull << (h & 63);
}

/* Start a new tolerance window at now. */
static void window_reset(struct sw_src *s, uint64_t now_ms)
{
	s->win_start_s = (uint32_t)(now_ms / 1000);
	s->msgs = s->untrusted = s->invalid = s->auth_fail = 0;
	s->users_seen = s->users_fail = 0;
	s->methods = 0;
	s->pending_reg = 0;
	s->flagged = 0;
}

static void window_roll(const struct sw_policy_global *g, struct sw_src *s, uint64_t now_ms)
{
	if (now_ms >= (uint64_t)s->win_start_s * 1000 + g->tolerance_window_ms)
		window_reset(s, now_ms);
}

static void deny(struct sw_src *s, uint64_t now_ms, uint64_t period_ms, enum sw_reason why)
{
	s->state = SW_SRC_DENIED;
	s->deny_until = now_ms + period_ms;
	s->last_reason = (uint8_t)why;
}

/* deny-period ended: a fresh untrusted source (last_reason kept for reports). */
static void release(struct sw_src *s, uint64_t now_ms)
{
	s->state = SW_SRC_UNTRUSTED;
	s->deny_until = 0;
	s->denied_endpoints = 0;
	s->nat_since_s = 0;
	s->creds = 0;
	s->creds_id = 0;
	window_reset(s, now_ms);
}

/* Trust levels that fix the state: high is always trusted, none never. */
static void settle_trust(enum sw_trust_level trust, struct sw_src *s)
{
	if (trust == SW_TRUST_HIGH && s->state == SW_SRC_UNTRUSTED)
		s->state = SW_SRC_TRUSTED;
	else if (trust == SW_TRUST_NONE && s->state == SW_SRC_TRUSTED)
		s->state = SW_SRC_UNTRUSTED;
}

/*
 * A finding that denies where the trust level allows it: high drops the message, medium drops
 * it and demotes a trusted source, low and none deny. Unknown levels count as none.
 */
static enum sw_action punish(const struct sw_realm *realm, enum sw_trust_level trust,
			     struct sw_src *s, uint64_t now_ms, enum sw_reason why)
{
	switch (trust) {
	case SW_TRUST_HIGH:
		return SW_ACT_DROP;
	case SW_TRUST_MEDIUM:
		if (s->state == SW_SRC_TRUSTED)
			s->state = SW_SRC_UNTRUSTED;
		return SW_ACT_DROP;
	default:
		deny(s, now_ms, (uint64_t)realm->deny_period * 1000, why);
		return SW_ACT_DENY;
	}
}

/* The reason a message is flagged, the most decisive first; NONE when it is not. */
static enum sw_reason flag_reason(const struct sw_msg_facts *m)
{
	if (m->fingerprinted)
		return SW_REASON_FINGERPRINT;
	if (m->ua_denied)
		return SW_REASON_UA_DENY;
	if (m->ua_not_allowed)
		return SW_REASON_UA_ALLOW;
	if (m->invalid)
		return SW_REASON_INVALID;
	return SW_REASON_NONE;
}

/* The global budget is spent for this second (starting a new second when one began). */
static bool budget_spent(const struct sw_policy_global *g, struct sw_budget *b, uint64_t now_ms)
{
	uint64_t sec = now_ms / 1000;

	if (!g->max_untrusted_signaling || !b)
		return false;
	if (b->sec != sec) {
		b->sec = sec;
		b->count = 0;
	}
	return b->count >= g->max_untrusted_signaling;
}

/* Count an untrusted request; the reason it must be punished, or NONE. */
static enum sw_reason count_untrusted(const struct sw_realm *realm, struct sw_src *s,
				      const struct sw_msg_facts *m)
{
	SAT_INC16(s->untrusted);
	if (m->user_hash)
		s->users_seen |= sketch_bit(m->user_hash);
	if (m->method < 16)
		s->methods |= (uint16_t)(1u << m->method);
	if (m->method == SIP_METHOD_REGISTER)
		SAT_INC8(s->pending_reg);
	if (realm->untrusted_signal_threshold && s->untrusted > realm->untrusted_signal_threshold)
		return SW_REASON_UNTRUSTED_THRESHOLD;
	if (realm->method_sweep_threshold &&
	    (unsigned)__builtin_popcount(s->methods) >= realm->method_sweep_threshold)
		return SW_REASON_METHOD_SWEEP;
	return SW_REASON_NONE;
}

/* Which request a message belongs to, as far as the credentials check cares. */
static uint16_t request_id(const struct sw_msg_facts *m)
{
	uint32_t h = m->cseq * 0x9e3779b1u ^ m->port;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return (uint16_t)h;
}

/* Remember the latest accepted request that carried credentials. */
static void note_credentials(struct sw_src *s, const struct sw_msg_facts *m)
{
	if (m->has_credentials) {
		s->creds = 1;
		s->creds_id = request_id(m);
	}
}

/* Record the decision's reason unless it only follows from an earlier one. */
static void finish(struct sw_src *s, struct sw_decision *d, struct sw_decision *ret)
{
	if (d->action != SW_ACT_ACCEPT && d->reason != SW_REASON_DENIED &&
	    d->reason != SW_REASON_RESPONSE_TO_FLAGGED)
		s->last_reason = (uint8_t)d->reason;
	d->state_after = s->state;
	*ret = *d;
}

void sw_policy_request(const struct sw_policy_global *g, const struct sw_realm *realm,
		       enum sw_trust_level trust, struct sw_src *src, struct sw_budget *budget,
		       const struct sw_msg_facts *m, uint64_t now_ms, struct sw_decision *ret)
{
	struct sw_decision d = {.action = SW_ACT_ACCEPT, .reason = SW_REASON_NONE};
	enum sw_reason why;
	bool anonymous = false;

	d.state_before = src->state;
	src->last_seen_s = (uint32_t)(now_ms / 1000);
	if (src->state == SW_SRC_DENIED) {
		if (now_ms < src->deny_until) {
			d.action = SW_ACT_DROP;
			d.reason = SW_REASON_DENIED;
			goto out;
		}
		release(src, now_ms);
		d.released = true;
	}
	settle_trust(trust, src);
	window_roll(g, src, now_ms);

	SAT_INC16(src->msgs);
	if (realm->maximum_signal_threshold && src->msgs > realm->maximum_signal_threshold) {
		d.reason = SW_REASON_MAXIMUM_THRESHOLD;
		d.action = punish(realm, trust, src, now_ms, d.reason);
		goto out;
	}

	why = flag_reason(m);
	if (why != SW_REASON_NONE) {
		src->flagged = 1;
		SAT_INC16(src->invalid);
		d.action = SW_ACT_DROP;
		d.reason = why;
		if (realm->invalid_signal_threshold &&
		    src->invalid >= realm->invalid_signal_threshold && trust != SW_TRUST_HIGH) {
			if (why == SW_REASON_INVALID)
				d.reason = SW_REASON_INVALID_THRESHOLD;
			d.action = punish(realm, trust, src, now_ms, d.reason);
		}
		goto out;
	}

	if (realm->anon == SW_ANON_REGISTERED)
		anonymous = m->method != SIP_METHOD_REGISTER && src->state != SW_SRC_TRUSTED;
	else if (realm->anon == SW_ANON_AGENTS_ONLY)
		anonymous = !m->listed;

	if (src->state == SW_SRC_UNTRUSTED) {
		if (!anonymous && budget_spent(g, budget, now_ms)) {
			d.action = SW_ACT_DROP;
			d.reason = SW_REASON_UNTRUSTED_BUDGET;
			goto out;
		}
		why = count_untrusted(realm, src, m);
		if (why != SW_REASON_NONE) {
			d.reason = why;
			d.action = punish(realm, trust, src, now_ms, why);
			goto out;
		}
		if (!anonymous && budget && g->max_untrusted_signaling)
			budget->count++;
	}
	if (anonymous) {
		d.action = SW_ACT_DROP;
		d.reason = SW_REASON_ANONYMOUS;
		goto out;
	}
	note_credentials(src, m);
out:
	finish(src, &d, ret);
}

/* A behaviour finding on the response path: high trust only counts, others are punished. */
static void behaviour(const struct sw_realm *realm, enum sw_trust_level trust, struct sw_src *s,
		      uint64_t now_ms, enum sw_reason why, struct sw_decision *d)
{
	if (trust == SW_TRUST_HIGH)
		return;
	d->reason = why;
	d->action = punish(realm, trust, s, now_ms, why);
}

void sw_policy_response(const struct sw_policy_global *g, const struct sw_realm *realm,
			enum sw_trust_level trust, struct sw_src *src, const struct sw_msg_facts *m,
			uint64_t now_ms, struct sw_decision *ret)
{
	struct sw_decision d = {.action = SW_ACT_ACCEPT, .reason = SW_REASON_NONE};
	unsigned st = m->status;
	bool blocked, to_credentials;

	d.state_before = src->state;
	if (src->state == SW_SRC_DENIED && now_ms >= src->deny_until) {
		release(src, now_ms);
		d.released = true;
	}
	settle_trust(trust, src);
	window_roll(g, src, now_ms);

	blocked = src->state == SW_SRC_DENIED || src->flagged;
	if (blocked) {
		d.action = SW_ACT_DROP;
		d.reason = SW_REASON_RESPONSE_TO_FLAGGED;
	}
	to_credentials = src->creds && src->creds_id == request_id(m);

	if (st >= 200 && st < 300 && !blocked && src->state == SW_SRC_UNTRUSTED &&
	    (trust == SW_TRUST_LOW || trust == SW_TRUST_MEDIUM) &&
	    (m->method == SIP_METHOD_REGISTER || to_credentials)) {
		unsigned credit = (unsigned)src->pending_reg + 1;

		src->state = SW_SRC_TRUSTED;
		src->untrusted = (uint16_t)(src->untrusted > credit ? src->untrusted - credit : 0);
		src->pending_reg = 0;
		d.promoted = true;
	}

	if (st == 404 || st == 403 || st == 484 || st == 604) {
		if (m->user_hash)
			src->users_fail |= sketch_bit(m->user_hash);
		if (realm->enumeration_threshold && src->state != SW_SRC_DENIED &&
		    sw_policy_sketch_count(src->users_fail) >= realm->enumeration_threshold)
			behaviour(realm, trust, src, now_ms, SW_REASON_ENUMERATION, &d);
	}
	if ((st == 401 || st == 407 || st == 403) && to_credentials) {
		src->creds =
			0; /* one failure per credentialed request, repeats of the answer aside */
		SAT_INC16(src->auth_fail);
		if (realm->auth_failure_threshold && src->state != SW_SRC_DENIED &&
		    src->auth_fail >= realm->auth_failure_threshold)
			behaviour(realm, trust, src, now_ms, SW_REASON_PASSWORD_GUESSING, &d);
	}
	finish(src, &d, ret);
}

void sw_policy_deny(const struct sw_realm *realm, struct sw_src *src, uint64_t now_ms,
		    uint64_t period_ms, enum sw_reason why)
{
	deny(src, now_ms, period_ms ? period_ms : (uint64_t)realm->deny_period * 1000, why);
}

bool sw_policy_endpoint_denied(const struct sw_realm *realm, enum sw_trust_level trust,
			       struct sw_src *addr_src, uint64_t now_ms)
{
	uint64_t now_s = now_ms / 1000;
	uint64_t until;

	if (addr_src->denied_endpoints &&
	    now_s >= (uint64_t)addr_src->nat_since_s + realm->deny_period)
		addr_src->denied_endpoints = 0;
	SAT_INC16(addr_src->denied_endpoints);
	addr_src->nat_since_s = (uint32_t)now_s;
	if (!realm->nat_trust_threshold || addr_src->denied_endpoints < realm->nat_trust_threshold)
		return false;
	if (trust != SW_TRUST_LOW && trust != SW_TRUST_NONE)
		return false;
	if (sw_policy_nat_blocked(addr_src, now_ms))
		return false;
	/* Already denied for something else: the NAT deny takes over, never shortening it. */
	until = now_ms + (uint64_t)realm->deny_period * 1000;
	if (addr_src->state == SW_SRC_DENIED && addr_src->deny_until > until)
		until = addr_src->deny_until;
	deny(addr_src, now_ms, until - now_ms, SW_REASON_NAT_THRESHOLD);
	return true;
}

bool sw_policy_nat_blocked(const struct sw_src *addr_src, uint64_t now_ms)
{
	return addr_src->state == SW_SRC_DENIED &&
	       addr_src->last_reason == SW_REASON_NAT_THRESHOLD && now_ms < addr_src->deny_until;
}
