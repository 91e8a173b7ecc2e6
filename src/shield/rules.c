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
 *
 * It also holds its own copy of the bucket loop's data, laid out for the cache: per method, one
 * 64-byte line per bucket, with the candidate masks' by-key and by-length tables (2 KB each per
 * bucket, 170 KB for the shipped rules: one random line of them per bucket and message missed
 * the L1 cache, 20 misses per message) summarised as 64-bit filters. A bucket whose filter bits
 * for the value are clear has no keyed candidate and its tables are not read; a legitimate
 * message walks a few contiguous lines.
 *
 * And a gate per bucket member: what a string value must look like for the member's rule to have
 * a chance (length bounds and first bytes, from the rule's predicates on that field). A candidate
 * whose gate is shut is dropped without touching its rule, predicates or pattern hint - four
 * scattered lines - which is the fate of most candidates of a legitimate message (a Via branch
 * starts with z9hG4bK, the key of several tools' branch rules, and is still no tool's branch).
 */
#include <stdlib.h>
#include <string.h>

#include "shield/rules_internal.h"

/*
 * A necessary condition for a member's rule on its bucket's (string) field: the value's length in
 * [minlen, maxlen] and, when mask is not 0, its first bytes (up to 8, loaded as by load_head)
 * with fold ORed in (0x20 for a letter matched in either case) equal to head under mask.
 */
struct gate {
	uint64_t head, mask, fold;
	uint32_t minlen, maxlen;
};

/*
 * A bucket as the loop for one method sees it (struct sw_rhot), in one cache line. keys has bit
 * (k % 64) set when by_key[k] has a member for the method, lens bit (l % 64) when by_len[l] has:
 * a clear bit means no candidate from that table, a set one that the table must be read.
 */
struct hot_line {
	int32_t off;
	uint16_t field;
	uint8_t kind, read; /* enum sw_rf_kind, enum sw_rf_read */
	uint64_t present, absent, mmask;
	uint64_t keys, lens;
	const struct sw_rhot *b;  /* the tables and the members */
	const struct gate *gates; /* by member (bit) */
} __attribute__((aligned(64)));

struct sw_rules_ctx {
	const struct sw_rules *r;
	struct hot_line *hot[32]; /* per request method (< 32): r->nhot[m] lines */
	struct hot_line *hot_mem;
	struct gate *gate_mem; /* r->buckets[k]'s members from gate_mem + gate_at[k] */
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

/* The first min(len, 8) bytes of s as a word (zero-padded), the way gates compare them. */
static inline uint64_t load_head(struct sw_str s)
{
	uint64_t x = 0;

	if (s.len >= 8)
		memcpy(&x, s.p, 8);
	else if (s.len)
		memcpy(&x, s.p, s.len);
	return x;
}

static void gate_min(struct gate *g, int64_t n)
{
	if (n > (int64_t)UINT32_MAX) {
		g->minlen = 1, g->maxlen = 0; /* no length */
	} else if (n > (int64_t)g->minlen) {
		g->minlen = (uint32_t)n;
	}
}

static void gate_max(struct gate *g, int64_t n)
{
	if (n < 0) {
		g->minlen = 1, g->maxlen = 0;
	} else if (n < (int64_t)g->maxlen) {
		g->maxlen = (uint32_t)n;
	}
}

/* The first bytes every value must start with: n bytes of lit, fold[i] set for either case. */
static void gate_head(struct gate *g, const char *lit, uint32_t n, uint32_t fold_bits)
{
	uint8_t head[8] = {0}, mask[8] = {0}, fold[8] = {0};

	if (g->mask || n == 0)
		return; /* one literal is enough */
	if (n > 8)
		n = 8;
	for (uint32_t i = 0; i < n; i++) {
		head[i] = (uint8_t)lit[i];
		mask[i] = 0xff;
		fold[i] = (fold_bits >> i) & 1 ? 0x20 : 0;
	}
	memcpy(&g->head, head, 8);
	memcpy(&g->mask, mask, 8);
	memcpy(&g->fold, fold, 8);
	gate_min(g, n);
}

/* The gate of rule ru for values of field (a string field). */
static void gate_build(struct gate *g, const struct sw_rule *ru, unsigned field)
{
	memset(g, 0, sizeof(*g));
	g->maxlen = UINT32_MAX;
	for (unsigned k = 0; k < ru->np; k++) {
		const struct sw_rpred *p = &ru->p[k];

		if (p->field != field || p->kind != SW_RFK_STR)
			continue;
		switch ((enum sw_rop)p->op) {
		case SW_ROP_EQ:
			gate_min(g, p->litlen);
			gate_max(g, p->litlen);
			gate_head(g, p->lit, p->litlen, 0);
			break;
		case SW_ROP_PREFIX:
			gate_head(g, p->lit, p->litlen, 0);
			gate_min(g, p->litlen);
			break;
		case SW_ROP_SUFFIX:
		case SW_ROP_HAS:
			gate_min(g, p->litlen);
			break;
		case SW_ROP_RE:
			/* sw_pattern_hint_rejects, which the predicate runs first */
			gate_min(g, p->hint->minlen);
			if (p->hint->anchored && p->hint->minlen >= p->hint->prefix_len)
				gate_head(g, p->hint->prefix, p->hint->prefix_len,
					  p->hint->prefix_fold);
			break;
		case SW_ROP_LEN_EQ:
			gate_min(g, p->num);
			gate_max(g, p->num);
			break;
		case SW_ROP_LEN_LT:
			gate_max(g, p->num == INT64_MIN ? -1 : p->num - 1);
			break;
		case SW_ROP_LEN_LE:
			gate_max(g, p->num);
			break;
		case SW_ROP_LEN_GT:
			if (p->num >= 0)
				gate_min(g, p->num == INT64_MAX ? p->num : p->num + 1);
			break;
		case SW_ROP_LEN_GE:
			gate_min(g, p->num);
			break;
		default: /* negations and the rest: no condition on the bytes */
			break;
		}
	}
}

/* True when g is shut for the string value s (present) whose first bytes are head. */
static inline bool gate_shut(const struct gate *g, struct sw_str s, uint64_t head)
{
	return s.len < g->minlen || s.len > g->maxlen || ((head | g->fold) & g->mask) != g->head;
}

/* Gates for every bucket's members (string buckets; the others' stay open). */
static int gates_new(struct sw_rules_ctx *c, const struct sw_rules *r, size_t *at)
{
	size_t n = 0;

	for (unsigned k = 0; k < r->nbuckets; k++) {
		at[k] = n;
		n += r->buckets[k].n;
	}
	c->gate_mem = calloc(n + 1, sizeof(*c->gate_mem));
	if (!c->gate_mem)
		return -1;
	for (unsigned k = 0; k < r->nbuckets; k++) {
		const struct sw_rbucket *b = &r->buckets[k];

		for (unsigned j = 0; j < b->n; j++) {
			struct gate *g = &c->gate_mem[at[k] + j];

			if (b->kind == SW_RFK_STR)
				gate_build(g, &r->rules[b->rules[j]], b->field);
			else
				g->maxlen = UINT32_MAX;
		}
	}
	return 0;
}

/* Fill c's per-method lines (and the gates they point to) from r's index. */
static int hot_lines_new(struct sw_rules_ctx *c, const struct sw_rules *r)
{
	size_t n = 0, *at = calloc(r->nbuckets + 1, sizeof(*at));
	struct hot_line *h;

	if (!at || gates_new(c, r, at) != 0) {
		free(at);
		return -1;
	}
	for (unsigned m = 0; m < 32; m++)
		n += r->nhot[m];
	c->hot_mem = aligned_alloc(64, (n + 1) * sizeof(*h));
	if (!c->hot_mem) {
		free(at);
		return -1;
	}
	h = c->hot_mem;
	for (unsigned m = 0; m < 32; m++) {
		c->hot[m] = h;
		for (unsigned k = 0; k < r->nhot[m]; k++, h++) {
			const struct sw_rhot *b = &r->hot[m][k];

			memset(h, 0, sizeof(*h));
			h->off = b->off;
			h->field = b->field;
			h->kind = b->kind;
			h->read = b->read;
			h->present = b->present;
			h->absent = b->absent;
			h->mmask = b->mmask;
			h->b = b;
			for (unsigned x = 0; x < r->nbuckets; x++)
				if (r->buckets[x].rules == b->rules)
					h->gates = &c->gate_mem[at[x]];
			for (unsigned x = 0; x < 256; x++) {
				if (b->by_key[x] & b->mmask)
					h->keys |= 1ull << (x % 64);
				if (b->by_len[x] & b->mmask)
					h->lens |= 1ull << (x % 64);
			}
		}
	}
	free(at);
	return 0;
}

struct sw_rules_ctx *sw_rules_ctx_new(const struct sw_rules *r)
{
	struct sw_rules_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->r = r;
	if (hot_lines_new(c, r) != 0) {
		sw_rules_ctx_free(c);
		return NULL;
	}
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
	free(c->hot_mem);
	free(c->gate_mem);
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
		const struct hot_line *b = &c->hot[mid][bi];
		uint64_t cand;
		struct sw_rf_val v;

		read_value(&env, b->field, b->off, (enum sw_rf_read)b->read, &v);
		if (!v.present) {
			cand = b->absent;
		} else {
			/* keyed members, through the filters: the tables only when a bit says so */
			unsigned key = 256, len;

			cand = b->present;
			if (b->kind != SW_RFK_STR) {
				key = (uint8_t)v.n;
			} else {
				len = (uint8_t)v.s.len;
				if (v.s.len > 0)
					key = (uint8_t)v.s.p[0];
				if (b->lens >> (len % 64) & 1)
					cand |= b->b->by_len[len] & b->mmask;
			}
			if (key < 256 && (b->keys >> (key % 64) & 1))
				cand |= b->b->by_key[key] & b->mmask;
		}
		bool gated = cand && v.present && b->kind == SW_RFK_STR;
		uint64_t head = gated ? load_head(v.s) : 0;

		while (cand) {
			unsigned j = (unsigned)__builtin_ctzll(cand), i, k;
			const struct sw_rule *ru;
			const struct sw_rpred *lead;

			cand &= cand - 1;
			if (gated && gate_shut(&b->gates[j], v.s, head))
				continue;
			i = b->b->rules[j];
			ru = &r->rules[i];
			lead = &ru->p[0];
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
