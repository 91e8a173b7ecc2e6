/*
 * Matching a message against a loaded rule set, and the rule set's accessors.
 *
 * The loop is shaped by the common case, a legitimate message that no rule matches. Rules are
 * indexed at load time by their first predicate (rules_load.c): rules whose first predicate reads
 * the same field form a bucket, and each bucket keeps bit masks of its members by request method
 * and by key (the first byte of a string value, the low byte of a number) for the keyable
 * operators (=, ^=, anchored ~). Per message, the loop walks the buckets that have members for
 * the request's method, reads each bucket's field once (a load for the views the parser stored,
 * a small computation for the rest), and looks only at the members whose mask bits survive: for
 * a legitimate message, a handful. A candidate's first predicate is checked against the value
 * already read (a regular expression first against its cheap hint: shortest match, first byte,
 * literal prefix), then its other predicates cheapest first until one fails, and the first
 * predicate's regular expression itself last (after the combined expression of its group, run
 * once per message). The matched rules (rare) are scored, attributed to tools and reported with
 * the field that identifies each, as a view into the message.
 *
 * The context holds everything per message: the pattern scratch, the prefilter results, the
 * per-tool sums and the caches of computed fields. Caches are invalidated by an epoch counter, so
 * starting a message costs one increment, not a memset.
 */
#include <stdlib.h>
#include <string.h>

#include "shield/rules_internal.h"

struct sw_rules_ctx {
	const struct sw_rules *r;
	struct sw_match_scratch *scratch;
	uint32_t epoch;
	uint32_t *group_epoch; /* group result valid when == epoch */
	uint8_t *group_hit;
	int32_t *tool_sum;
	uint16_t *touched; /* tools with a sum this message */
	struct sw_rf_cache cache;
};

int32_t sw_rules_threshold(const struct sw_rules *r)
{
	return r->threshold;
}

unsigned sw_rules_count(const struct sw_rules *r)
{
	return r->nrules;
}

const char *sw_rules_rule_id(const struct sw_rules *r, unsigned i)
{
	return i < r->nrules ? r->rules[i].id : "";
}

const char *sw_rules_rule_tool(const struct sw_rules *r, unsigned i)
{
	return i < r->nrules ? r->tools[r->rules[i].tool] : "";
}

int32_t sw_rules_rule_weight(const struct sw_rules *r, unsigned i)
{
	return i < r->nrules ? r->rules[i].weight : 0;
}

const char *sw_rules_rule_comment(const struct sw_rules *r, unsigned i)
{
	return i < r->nrules && r->rules[i].comment ? r->rules[i].comment : "";
}

int sw_rules_find(const struct sw_rules *r, const char *id)
{
	for (unsigned i = 0; i < r->nrules; i++)
		if (strcmp(r->rules[i].id, id) == 0)
			return (int)i;
	return -1;
}

struct sw_rules_ctx *sw_rules_ctx_new(const struct sw_rules *r)
{
	struct sw_rules_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->r = r;
	c->scratch = sw_match_scratch_new();
	c->group_epoch = calloc(r->ngroups + 1, sizeof(*c->group_epoch));
	c->group_hit = calloc(r->ngroups + 1, 1);
	c->tool_sum = calloc(r->ntools + 1, sizeof(*c->tool_sum));
	c->touched = calloc(r->ntools + 1, sizeof(*c->touched));
	if (!c->scratch || !c->group_epoch || !c->group_hit || !c->tool_sum || !c->touched) {
		sw_rules_ctx_free(c);
		return NULL;
	}
	return c;
}

void sw_rules_ctx_free(struct sw_rules_ctx *c)
{
	if (!c)
		return;
	sw_match_scratch_free(c->scratch);
	free(c->group_epoch);
	free(c->group_hit);
	free(c->tool_sum);
	free(c->touched);
	free(c);
}

static bool mem_has(struct sw_str s, const char *lit, size_t n)
{
	if (n == 0)
		return true;
	if (s.len < n)
		return false;
	for (const char *p = s.p, *last = s.p + s.len - n; p <= last; p++) {
		p = memchr(p, lit[0], (size_t)(last - p) + 1);
		if (!p)
			return false;
		if (memcmp(p, lit, n) == 0)
			return true;
	}
	return false;
}

static inline bool lit_eq(const char *p, const char *lit, uint32_t n)
{
	return n == 0 || memcmp(p, lit, n) == 0;
}

/* Does predicate p hold for the field value v (already read)? */
static bool value_holds(const struct sw_rpred *p, const struct sw_rf_val *v,
			struct sw_match_scratch *scratch)
{
	if (!v->present)
		return p->op == SW_ROP_ABSENT;
	switch ((enum sw_rop)p->op) {
	case SW_ROP_PRESENT:
		return true;
	case SW_ROP_ABSENT:
		return false;
	case SW_ROP_EQ:
		if (p->kind != SW_RFK_STR)
			return v->n == p->num;
		return v->s.len == p->litlen && lit_eq(v->s.p, p->lit, p->litlen);
	case SW_ROP_NE:
		if (p->kind != SW_RFK_STR)
			return v->n != p->num;
		return !(v->s.len == p->litlen && lit_eq(v->s.p, p->lit, p->litlen));
	case SW_ROP_PREFIX:
		return v->s.len >= p->litlen && lit_eq(v->s.p, p->lit, p->litlen);
	case SW_ROP_NPREFIX:
		return !(v->s.len >= p->litlen && lit_eq(v->s.p, p->lit, p->litlen));
	case SW_ROP_SUFFIX:
		return v->s.len >= p->litlen &&
		       lit_eq(v->s.p + v->s.len - p->litlen, p->lit, p->litlen);
	case SW_ROP_NSUFFIX:
		return !(v->s.len >= p->litlen &&
			 lit_eq(v->s.p + v->s.len - p->litlen, p->lit, p->litlen));
	case SW_ROP_HAS:
		return mem_has(v->s, p->lit, p->litlen);
	case SW_ROP_NHAS:
		return !mem_has(v->s, p->lit, p->litlen);
	case SW_ROP_RE:
		return !sw_pattern_hint_rejects(p->hint, v->s) &&
		       sw_pattern_match(p->re, scratch, v->s);
	case SW_ROP_NRE:
		return sw_pattern_hint_rejects(p->hint, v->s) ||
		       !sw_pattern_match(p->re, scratch, v->s);
	case SW_ROP_LT:
		return v->n < p->num;
	case SW_ROP_LE:
		return v->n <= p->num;
	case SW_ROP_GT:
		return v->n > p->num;
	case SW_ROP_GE:
		return v->n >= p->num;
	case SW_ROP_LEN_EQ:
		return v->s.len == p->num;
	case SW_ROP_LEN_NE:
		return v->s.len != p->num;
	case SW_ROP_LEN_LT:
		return v->s.len < p->num;
	case SW_ROP_LEN_LE:
		return v->s.len <= p->num;
	case SW_ROP_LEN_GT:
		return v->s.len > p->num;
	case SW_ROP_LEN_GE:
		return v->s.len >= p->num;
	}
	return false;
}

/* A field's value, read as rd says (in place for the common fields, else the field reader). */
static inline void read_value(const struct sw_rf_env *env, unsigned field, int32_t off,
			      enum sw_rf_read rd, struct sw_rf_val *v)
{
	const struct sip_msg *m = env->msg;

	switch (rd) {
	case SW_RD_VIEW:
		v->s = *(const struct sw_str *)(const void *)((const char *)m + off);
		v->present = v->s.p != NULL;
		return;
	case SW_RD_POS:
		v->n = m->first[field - SW_RF_POS_BASE];
		v->present = v->n != SIP_NO_HDR;
		return;
	case SW_RD_CSEQ:
		v->n = m->cseq.num;
		v->present = m->first[SIP_HDR_CSEQ] != SIP_NO_HDR;
		return;
	case SW_RD_MAX_FORWARDS:
		v->n = m->max_forwards;
		v->present = m->max_forwards >= 0;
		return;
	case SW_RD_EXPIRES:
		v->n = m->expires;
		v->present = m->expires >= 0;
		return;
	case SW_RD_VIA_PORT:
		v->n = m->via.port;
		v->present = m->via.has_port != 0;
		return;
	case SW_RD_CONTACT_PORT:
		v->n = m->contact.uri.port;
		v->present = m->contact.value.p && m->contact.uri.has_port;
		return;
	case SW_RD_GET:
		sw_rf_get(env, field, v);
		return;
	}
}

static inline void field_value(const struct sw_rf_env *env, unsigned field, int32_t off,
			       struct sw_rf_val *v)
{
	if (off >= 0)
		read_value(env, field, off, SW_RD_VIEW, v);
	else
		sw_rf_get(env, field, v);
}

static bool pred_holds(const struct sw_rpred *p, const struct sw_rf_env *env,
		       struct sw_match_scratch *scratch)
{
	struct sw_rf_val v;

	field_value(env, p->field, p->off, &v);
	return value_holds(p, &v, scratch);
}

/* The prefilter of group g for this message (computed once per message). */
static bool group_hit(const struct sw_rules *r, struct sw_rules_ctx *c, const struct sw_rf_val *v,
		      unsigned g)
{
	if (c->group_epoch[g] != c->epoch) {
		c->group_hit[g] = v->present && sw_pattern_match(r->groups[g].re, c->scratch, v->s);
		c->group_epoch[g] = c->epoch;
	}
	return c->group_hit[g];
}

/* Report a matched rule: the first predicate (file order) whose field shows bytes. */
static void report(const struct sw_rule *ru, const struct sw_rf_env *env, unsigned idx,
		   struct sw_fp_match *m)
{
	m->rule = (uint16_t)idx;
	m->field = ru->p[ru->file_order[0]].field;
	m->value = SW_STR_NULL;
	for (unsigned k = 0; k < ru->np; k++) {
		const struct sw_rpred *p = &ru->p[ru->file_order[k]];
		struct sw_str w;

		if (p->op == SW_ROP_ABSENT)
			continue;
		w = sw_rf_witness(env, p->field);
		if (w.p) {
			m->field = p->field;
			m->value = w;
			return;
		}
	}
}

static void add_match(const struct sw_rules *r, const struct sw_rf_env *env, unsigned idx,
		      struct sw_fp_result *ret)
{
	int32_t w = r->rules[idx].weight;
	unsigned pos = ret->nmatch;

	/* highest weight first; equal weights in file order */
	while (pos > 0 &&
	       (r->rules[ret->m[pos - 1].rule].weight < w ||
		(r->rules[ret->m[pos - 1].rule].weight == w && ret->m[pos - 1].rule > idx)))
		pos--;
	if (pos >= SW_FP_MAX_MATCHES)
		return;
	if (ret->nmatch == SW_FP_MAX_MATCHES)
		ret->nmatch--;
	memmove(&ret->m[pos + 1], &ret->m[pos], (ret->nmatch - pos) * sizeof(ret->m[0]));
	report(&r->rules[idx], env, idx, &ret->m[pos]);
	ret->nmatch++;
}

void sw_rules_match(const struct sw_rules *r, struct sw_rules_ctx *c, const struct sip_msg *msg,
		    const struct sw_endpoint *src, struct sw_fp_result *ret)
{
	struct sw_rf_env env;
	unsigned ntouched = 0, mid;

	ret->score = 0;
	ret->tool = NULL;
	ret->nmatch = 0;
	ret->nmatch_total = 0;
	if (!msg->is_request)
		return;
	if (++c->epoch == 0) {
		memset(c->group_epoch, 0, r->ngroups * sizeof(*c->group_epoch));
		c->cache.epoch_order = c->cache.epoch_sdp = 0;
		c->cache.via_host.epoch = c->cache.contact_host.epoch = 0;
		c->epoch = 1;
	}
	env.msg = msg;
	env.src = src;
	env.cache = &c->cache;
	env.epoch = c->epoch;
	mid = msg->method_id & 31u;
	for (unsigned bi = 0, nb = r->nhot[mid]; bi < nb; bi++) {
		const struct sw_rhot *b = &r->hot[mid][bi];
		uint64_t cand;
		struct sw_rf_val v;

		read_value(&env, b->field, b->off, (enum sw_rf_read)b->read, &v);
		if (!v.present)
			cand = b->absent;
		else if (b->kind != SW_RFK_STR)
			cand = b->present | (b->by_key[(uint8_t)v.n] & b->mmask);
		else if (v.s.len > 0)
			cand = b->present |
			       ((b->by_key[(uint8_t)v.s.p[0]] | b->by_len[(uint8_t)v.s.len]) &
				b->mmask);
		else
			cand = b->present | (b->by_len[0] & b->mmask);
		while (cand) {
			unsigned i = b->rules[__builtin_ctzll(cand)];
			const struct sw_rule *ru = &r->rules[i];
			const struct sw_rpred *lead = &ru->p[0];
			unsigned k;

			cand &= cand - 1;
			if (lead->op == SW_ROP_RE) {
				/*
				 * The key matched; the hint is cheap; the expression itself runs
				 * last, after the rule's other predicates (the group's combined
				 * expression, once per message, first).
				 */
				if (!v.present || sw_pattern_hint_rejects(lead->hint, v.s))
					continue;
			} else if (!value_holds(lead, &v, c->scratch)) {
				continue;
			}
			for (k = 1; k < ru->np; k++)
				if (!pred_holds(&ru->p[k], &env, c->scratch))
					break;
			if (k < ru->np)
				continue;
			if (lead->op == SW_ROP_RE &&
			    ((ru->group >= 0 && !group_hit(r, c, &v, (unsigned)ru->group)) ||
			     !sw_pattern_match(lead->re, c->scratch, v.s)))
				continue;
			ret->score += ru->weight;
			if (ret->nmatch_total < UINT16_MAX)
				ret->nmatch_total++;
			if (c->tool_sum[ru->tool] == 0) {
				bool seen = false;

				for (unsigned t = 0; t < ntouched; t++)
					seen |= c->touched[t] == ru->tool;
				if (!seen)
					c->touched[ntouched++] = ru->tool;
			}
			c->tool_sum[ru->tool] += ru->weight;
			add_match(r, &env, i, ret);
		}
	}
	if (ntouched) {
		unsigned best = c->touched[0];

		for (unsigned t = 1; t < ntouched; t++)
			if (c->tool_sum[c->touched[t]] > c->tool_sum[best] ||
			    (c->tool_sum[c->touched[t]] == c->tool_sum[best] &&
			     c->touched[t] < best))
				best = c->touched[t];
		ret->tool = r->tools[best];
		for (unsigned t = 0; t < ntouched; t++)
			c->tool_sum[c->touched[t]] = 0;
	}
}
