/*
 * PCRE2 behind the rules engine's pattern interface (pattern.h).
 *
 * Compilation: PCRE2_NO_UTF_CHECK is never needed because UTF mode is off (subjects are bytes);
 * PCRE2_DOLLAR_ENDONLY makes '$' mean the end of the subject, not "before a final newline", which
 * is what a rule author means for a header value. After pcre2_compile the pattern is JIT-compiled
 * for complete matches; when the JIT is missing or refuses (no executable memory) the
 * interpreter is used, which is slower but gives the same answers.
 *
 * Matching: pcre2_match() with the scratch's match data (room for one pair: the rules only ask
 * whether there is a match, and PCRE2 still handles captures and back references internally when
 * the ovector is small, returning 0) and its match context, which carries the match and depth
 * limits. The JIT uses its default 32 KiB stack on the machine stack; the interpreter keeps its
 * backtracking frames in the match data, grown on first need and kept, so after a few messages
 * no match allocates.
 *
 * Literal alternations ("friendly|sundayddr|SIPScan|...", the shipped user-agent-deny) are
 * matched without PCRE2: such a pattern matches exactly when one of its words occurs in the
 * subject, which a scan for the words' first bytes finds in a fraction of the JIT call's cost
 * (its call, match-data set-up and per-byte start test: ~800 instructions for a phone's
 * User-Agent, run for every request). Only patterns made of plain characters and '|' qualify,
 * compiled without flags; PCRE2 still compiles them (syntax, hint), so nothing else changes.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "shield/pattern.h"

#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/err.h"

#define LIT_MAX 16     /* words of a literal alternation */
#define LIT_LEN_MAX 64 /* bytes of one word */

/* A pattern that is a literal alternation: its words and the set of their first bytes. */
struct lit_set {
	uint8_t n;
	uint8_t minlen;
	uint8_t nfirst; /* distinct first bytes, in starts[] */
	uint8_t starts[LIT_MAX];
	uint8_t first[32];   /* bit b: some word starts with byte b */
	uint16_t words[256]; /* by first byte: bit k for word k */
	uint8_t len[LIT_MAX];
	char w[LIT_MAX][LIT_LEN_MAX];
};

struct sw_pattern {
	pcre2_code *code;
	int jit;
	int backrefs;
	struct lit_set *lits; /* not NULL: matched as a literal alternation */
	struct sw_pattern_hint hint;
};

struct sw_match_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

/* Could a match start with the bytes s[0..n)? (Partial matching on just those bytes.) */
static bool can_start(pcre2_code *code, pcre2_match_data *md, const uint8_t *s, size_t n)
{
	int rc = pcre2_match(code, s, n, 0, PCRE2_PARTIAL_HARD | PCRE2_NO_JIT, md, NULL);

	return rc >= 0 || rc == PCRE2_ERROR_PARTIAL || rc == PCRE2_ERROR_MATCHLIMIT ||
	       rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT;
}

/*
 * The hint: minimum length from PCRE2; for anchored patterns the first-byte set and the literal
 * prefix by probing (256 partial matches per byte position, at load time only). Anything that
 * fails leaves a hint that rejects nothing.
 */
static void make_hint(struct sw_pattern *p)
{
	struct sw_pattern_hint *h = &p->hint;
	pcre2_match_data *md;
	uint32_t opts = 0, minlen = 0;
	uint8_t probe[SW_PAT_PREFIX_MAX + 1];

	memset(h, 0, sizeof(*h));
	if (pcre2_pattern_info(p->code, PCRE2_INFO_MINLENGTH, &minlen) == 0)
		h->minlen = minlen;
	if (h->minlen == 0 || pcre2_pattern_info(p->code, PCRE2_INFO_ALLOPTIONS, &opts) != 0 ||
	    !(opts & PCRE2_ANCHORED))
		return;
	md = pcre2_match_data_create(1, NULL);
	if (!md)
		return;
	for (unsigned b = 0; b < 256; b++) {
		probe[0] = (uint8_t)b;
		if (can_start(p->code, md, probe, 1))
			h->first[b >> 3] |= (uint8_t)(1u << (b & 7));
	}
	h->anchored = true;
	/*
	 * Extend the prefix while exactly one byte, or one letter in both cases, can follow (the
	 * probe continues with the lower-case letter; both cases lead to the same states).
	 */
	for (unsigned n = 0; n < SW_PAT_PREFIX_MAX && n < h->minlen; n++) {
		int got[3], count = 0;

		for (unsigned b = 0; b < 256 && count < 3; b++) {
			probe[n] = (uint8_t)b;
			if ((n > 0 || (h->first[b >> 3] & (1u << (b & 7)))) &&
			    can_start(p->code, md, probe, n + 1))
				got[count++] = (int)b;
		}
		if (count == 1) {
			h->prefix[n] = (char)got[0];
		} else if (count == 2 && got[0] >= 'A' && got[0] <= 'Z' && got[1] == got[0] + 32) {
			h->prefix[n] = (char)got[1];
			h->prefix_fold |= (uint16_t)(1u << n);
		} else {
			break;
		}
		probe[n] = (uint8_t)h->prefix[n];
		h->prefix_len = (uint8_t)(n + 1);
	}
	pcre2_match_data_free(md);
}

/* A byte that stands for itself in a PCRE2 pattern compiled without options. */
static bool plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(" _-/:@=,;<>\"'!%&~#`", c) != NULL);
}

/* The words of pat when it is a literal alternation ("w1|w2|..."), else NULL (or no memory). */
static struct lit_set *literal_alternation(const char *pat, size_t len)
{
	struct lit_set *l;
	size_t start = 0;

	if (!pat || len == 0)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (pat[i] != '|' && !plain_byte((unsigned char)pat[i]))
			return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->minlen = LIT_LEN_MAX;
	for (size_t i = 0; i <= len; i++) {
		size_t n = i - start;

		if (i < len && pat[i] != '|')
			continue;
		/* an empty word matches everywhere: PCRE2 handles that pattern */
		if (n == 0 || n > LIT_LEN_MAX || l->n == LIT_MAX) {
			free(l);
			return NULL;
		}
		memcpy(l->w[l->n], pat + start, n);
		l->len[l->n] = (uint8_t)n;
		if (!(l->first[(unsigned char)pat[start] >> 3] & (1u << (pat[start] & 7))))
			l->starts[l->nfirst++] = (uint8_t)pat[start];
		l->words[(unsigned char)pat[start]] |= (uint16_t)(1u << l->n);
		l->first[(unsigned char)pat[start] >> 3] |= (uint8_t)(1u << (pat[start] & 7));
		if (n < l->minlen)
			l->minlen = (uint8_t)n;
		l->n++;
		start = i + 1;
	}
	return l;
}

/* Does one of l's words start at s.p[i]? */
static bool lits_at(const struct lit_set *l, struct sw_str s, uint32_t i)
{
	const uint8_t *p = (const uint8_t *)s.p + i;

	for (unsigned m = l->words[p[0]]; m; m &= m - 1) {
		unsigned k = (unsigned)__builtin_ctz(m), j = 1;

		if (l->len[k] > s.len - i)
			continue;
		while (j < l->len[k] && p[j] == (uint8_t)l->w[k][j])
			j++;
		if (j == l->len[k])
			return true;
	}
	return false;
}

/*
 * Does one of l's words occur in s? The positions holding a first byte are found 16 at a time
 * (one compare per distinct first byte; the last partial block through a zero-padded copy, as
 * no word starts with NUL), and only those are compared with the words.
 */
static bool lits_match(const struct lit_set *l, struct sw_str s)
{
	uint32_t i = 0, last;

	if (s.len < l->minlen)
		return false;
	last = s.len - l->minlen; /* the last position a word can start at */
#ifdef __SSE2__
	if (l->nfirst <= 8) {
		for (; i <= last; i += 16) {
			uint8_t tail[16] = {0};
			const uint8_t *q = (const uint8_t *)s.p + i;
			__m128i v, hit = _mm_setzero_si128();
			unsigned bits;

			if (s.len - i < 16) {
				memcpy(tail, q, s.len - i);
				q = tail;
			}
			v = _mm_loadu_si128((const __m128i *)(const void *)q);
			for (unsigned k = 0; k < l->nfirst; k++)
				hit = _mm_or_si128(
					hit, _mm_cmpeq_epi8(v, _mm_set1_epi8((char)l->starts[k])));
			for (bits = (unsigned)_mm_movemask_epi8(hit); bits; bits &= bits - 1) {
				uint32_t at = i + (uint32_t)__builtin_ctz(bits);

				if (at <= last && lits_at(l, s, at))
					return true;
			}
		}
		return false;
	}
#endif
	for (; i <= last; i++) {
		uint8_t c = (uint8_t)s.p[i];

		if ((l->first[c >> 3] & (1u << (c & 7))) && lits_at(l, s, i))
			return true;
	}
	return false;
}

const struct sw_pattern_hint *sw_pattern_hint(const struct sw_pattern *p)
{
	return &p->hint;
}

int sw_pattern_compile(const char *pat, size_t len, unsigned flags, struct sw_pattern **ret,
		       char *err, size_t errlen)
{
	uint32_t opts = PCRE2_DOLLAR_ENDONLY;
	struct sw_pattern *p;
	int ecode = 0;
	PCRE2_SIZE eoff = 0;
	uint32_t br = 0;

	if (flags & ~SW_PAT_CASELESS) {
		sw_errf(err, errlen, "unknown pattern flags 0x%x", flags);
		return SW_E_INVAL;
	}
	if (flags & SW_PAT_CASELESS)
		opts |= PCRE2_CASELESS;
	p = calloc(1, sizeof(*p));
	if (!p)
		return SW_E_NOMEM;
	p->code = pcre2_compile((PCRE2_SPTR)(pat ? pat : ""), pat ? len : 0, opts, &ecode, &eoff,
				NULL);
	if (!p->code) {
		PCRE2_UCHAR msg[256];

		if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
			msg[0] = 0;
		sw_errf(err, errlen, "offset %zu: %s", (size_t)eoff, (const char *)msg);
		free(p);
		return ecode == PCRE2_ERROR_HEAPLIMIT ? SW_E_NOMEM : SW_E_SYNTAX;
	}
	p->jit = pcre2_jit_compile(p->code, PCRE2_JIT_COMPLETE) == 0;
	if (pcre2_pattern_info(p->code, PCRE2_INFO_BACKREFMAX, &br) == 0 && br > 0)
		p->backrefs = 1;
	make_hint(p);
	if (!(flags & SW_PAT_CASELESS))
		p->lits =
			literal_alternation(pat, len); /* NULL (out of memory too): PCRE2 matches */
	*ret = p;
	return 0;
}

void sw_pattern_free(struct sw_pattern *p)
{
	if (!p)
		return;
	pcre2_code_free(p->code);
	free(p->lits);
	free(p);
}

int sw_pattern_has_backrefs(const struct sw_pattern *p)
{
	return p->backrefs;
}

int sw_pattern_is_jit(const struct sw_pattern *p)
{
	return p->jit;
}

struct sw_match_scratch *sw_match_scratch_new(void)
{
	struct sw_match_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->md = pcre2_match_data_create(1, NULL);
	s->mc = pcre2_match_context_create(NULL);
	if (!s->md || !s->mc) {
		sw_match_scratch_free(s);
		return NULL;
	}
	pcre2_set_match_limit(s->mc, SW_PAT_MATCH_LIMIT);
	pcre2_set_depth_limit(s->mc, SW_PAT_MATCH_LIMIT);
	return s;
}

void sw_match_scratch_free(struct sw_match_scratch *s)
{
	if (!s)
		return;
	pcre2_match_data_free(s->md);
	pcre2_match_context_free(s->mc);
	free(s);
}

bool sw_pattern_match(const struct sw_pattern *p, struct sw_match_scratch *s, struct sw_str subject)
{
	int rc;

	if (!subject.p)
		return false;
	if (p->lits)
		return lits_match(p->lits, subject);
	if (p->jit)
		rc = pcre2_jit_match(p->code, (PCRE2_SPTR)subject.p, subject.len, 0, 0, s->md,
				     s->mc);
	else
		rc = pcre2_match(p->code, (PCRE2_SPTR)subject.p, subject.len, 0, 0, s->md, s->mc);
	return rc >= 0;
}
