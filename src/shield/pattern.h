/*
 * Regular expressions for the fingerprint rules: a thin wrapper over PCRE2 (8-bit, JIT).
 *
 * A pattern is compiled once (JIT-compiled when the platform has a JIT; the interpreter is the
 * fallback) and is immutable afterwards, so any number of threads may match with it at once.
 * Matching needs a scratch (PCRE2 match data and match context), one per thread; the scratch is
 * allocated once and matching allocates nothing. Subjects are bytes, not UTF-8: SIP headers are
 * attacker-controlled and need not be valid UTF-8. A match is unanchored unless the pattern says
 * otherwise (^, \A). Backtracking is bounded (SW_PAT_MATCH_LIMIT) so a hostile subject cannot make
 * one match take long; hitting the bound counts as "no match".
 */
#ifndef SW_SHIELD_PATTERN_H
#define SW_SHIELD_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/strview.h"

struct sw_pattern;       /* opaque, immutable once compiled */
struct sw_match_scratch; /* opaque, per thread */

/* Compile flags. */
#define SW_PAT_CASELESS 0x1u /* ASCII case-insensitive */

/* Backtracking bound per match (PCRE2 match limit and depth limit). */
#define SW_PAT_MATCH_LIMIT 100000u

/*
 * Compile pat[0..len) (no NUL needed; it may contain NULs written as \x00). Returns 0 with *ret
 * set, SW_E_SYNTAX with err = "offset N: PCRE2's message" for a bad pattern, SW_E_INVAL for
 * unknown flags, or SW_E_NOMEM. err may be NULL/0.
 */
int sw_pattern_compile(const char *pat, size_t len, unsigned flags, struct sw_pattern **ret,
		       char *err, size_t errlen);

/* Free a pattern; NULL is fine. */
void sw_pattern_free(struct sw_pattern *p);

/* 1 when the pattern uses back references (it cannot be combined with others into one). */
int sw_pattern_has_backrefs(const struct sw_pattern *p);

/* 1 when the pattern was JIT-compiled. */
int sw_pattern_is_jit(const struct sw_pattern *p);

/*
 * What a subject must look like for p to have a chance, found at compile time so a matcher can
 * reject most subjects without running the expression: minlen (no match is shorter), and for a
 * pattern anchored at the start, the set of possible first bytes (first[b >> 3] bit b & 7) and a
 * literal prefix every match starts with (prefix_len bytes, maybe 0).
 */
#define SW_PAT_PREFIX_MAX 16
struct sw_pattern_hint {
	uint32_t minlen;
	bool anchored;
	uint8_t prefix_len;
	uint16_t prefix_fold; /* bit i: prefix[i] is a lower-case letter matched in either case */
	char prefix[SW_PAT_PREFIX_MAX];
	uint8_t first[32];
};

/* The hint computed for p (valid as long as p). */
const struct sw_pattern_hint *sw_pattern_hint(const struct sw_pattern *p);

/* True when the hint rules out a match in subject (present): the expression need not run. */
static inline bool sw_pattern_hint_rejects(const struct sw_pattern_hint *h, struct sw_str subject)
{
	if (subject.len < h->minlen)
		return true;
	if (!h->anchored || subject.len == 0)
		return false;
	if (!(h->first[(uint8_t)subject.p[0] >> 3] & (1u << ((uint8_t)subject.p[0] & 7))))
		return true;
	if (h->prefix_len == 0)
		return false;
	if (subject.len < h->prefix_len)
		return true;
	if (!h->prefix_fold)
		return memcmp(subject.p, h->prefix, h->prefix_len) != 0;
	for (unsigned i = 0; i < h->prefix_len; i++) {
		char c = subject.p[i];

		if ((h->prefix_fold >> i) & 1)
			c = (char)(c | 0x20);
		if (c != h->prefix[i])
			return true;
	}
	return false;
}

/* A scratch for one thread; NULL when out of memory. Free with sw_match_scratch_free (NULL ok). */
struct sw_match_scratch *sw_match_scratch_new(void);
void sw_match_scratch_free(struct sw_match_scratch *s);

/*
 * True when p matches somewhere in subject. An absent subject (p == NULL) never matches; an empty
 * one is matched as "". Allocates nothing.
 */
bool sw_pattern_match(const struct sw_pattern *p, struct sw_match_scratch *s,
		      struct sw_str subject);

#endif
