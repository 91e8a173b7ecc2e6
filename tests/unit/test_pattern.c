/*
 * Tests of shield/pattern: compilation and its error messages, matching semantics (unanchored,
 * '$' at the very end, caseless, bytes not UTF-8, NULs), absent and empty subjects, the bound on
 * backtracking, subjects that end at an unmapped page, and one scratch serving many patterns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "core/err.h"
#include "shield/pattern.h"
#include "testutil.h"

static struct sw_pattern *compile(const char *pat, unsigned flags)
{
	struct sw_pattern *p = NULL;
	char err[256] = "";

	if (sw_pattern_compile(pat, strlen(pat), flags, &p, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", pat, err);
	return p;
}

static bool match(const char *pat, unsigned flags, const char *subject)
{
	struct sw_pattern *p = compile(pat, flags);
	struct sw_match_scratch *s = sw_match_scratch_new();
	size_t n = strlen(subject);
	char *g = tu_guard_copy(subject, n);
	bool m;

	assert_non_null(s);
	m = sw_pattern_match(p, s, sw_str_make(g, n));
	tu_guard_free(g, n);
	sw_match_scratch_free(s);
	sw_pattern_free(p);
	return m;
}

static void test_semantics(void **state)
{
	(void)state;
	assert_true(match("scanner", 0, "friendly-scanner"));   /* unanchored */
	assert_false(match("^scanner", 0, "friendly-scanner")); /* ^ anchors */
	assert_true(match("^friendly", 0, "friendly-scanner"));
	assert_false(match("Scanner", 0, "friendly-scanner"));
	assert_true(match("Scanner", SW_PAT_CASELESS, "friendly-scanner"));
	assert_true(match("(?i)SCANNER", 0, "friendly-scanner"));
	assert_true(match("^[0-9]{3}$", 0, "123"));
	assert_false(match("^[0-9]{3}$", 0, "123\n")); /* $ is the end, not before a final \n */
	assert_true(match("^\"([^\"]+)\"<sip:\\1@", 0, "\"100\"<sip:100@h>"));
	assert_false(match("^\"([^\"]+)\"<sip:\\1@", 0, "\"100\"<sip:101@h>"));
	assert_true(match("^$", 0, ""));
	assert_true(match("\\xff", 0, "a\xff")); /* bytes, not UTF-8 */
}

static void test_nul_and_absent(void **state)
{
	struct sw_pattern *p = compile("^a\\x00b$", 0);
	struct sw_match_scratch *s = sw_match_scratch_new();

	(void)state;
	assert_true(sw_pattern_match(p, s, sw_str_make("a\0b", 3)));
	assert_false(sw_pattern_match(p, s, sw_str_make("a\0c", 3)));
	assert_false(sw_pattern_match(p, s, SW_STR_NULL)); /* absent never matches */
	sw_pattern_free(p);

	p = compile("^$", 0);
	assert_true(sw_pattern_match(p, s, sw_str_make("", 0))); /* present and empty */
	assert_false(sw_pattern_match(p, s, SW_STR_NULL));
	sw_pattern_free(p);
	sw_match_scratch_free(s);
	sw_pattern_free(NULL);
	sw_match_scratch_free(NULL);
}

static void test_errors(void **state)
{
	struct sw_pattern *p = (struct sw_pattern *)0x1;
	char err[256] = "";

	(void)state;
	assert_int_equal(sw_pattern_compile("^(abc", 5, 0, &p, err, sizeof(err)), SW_E_SYNTAX);
	assert_string_equal(err, "offset 5: missing closing parenthesis");
	assert_ptr_equal(p, (struct sw_pattern *)0x1);
	assert_int_equal(sw_pattern_compile("a**", 3, 0, &p, err, sizeof(err)), SW_E_SYNTAX);
	assert_non_null(strstr(err, "offset 2: "));
	assert_int_equal(sw_pattern_compile("[z-a]", 5, 0, &p, err, sizeof(err)), SW_E_SYNTAX);
	assert_non_null(strstr(err, "range out of order"));
	assert_int_equal(sw_pattern_compile("a", 1, 0x80, &p, err, sizeof(err)), SW_E_INVAL);
	/* no error buffer: still fails cleanly */
	assert_int_equal(sw_pattern_compile("(", 1, 0, &p, NULL, 0), SW_E_SYNTAX);
	/* len, not NUL, ends the pattern */
	p = NULL;
	assert_int_equal(sw_pattern_compile("ab(", 2, 0, &p, err, sizeof(err)), 0);
	sw_pattern_free(p);
}

static void test_info(void **state)
{
	struct sw_pattern *a = compile("^(x)\\1", 0), *b = compile("^x+", 0);

	(void)state;
	assert_true(sw_pattern_has_backrefs(a));
	assert_false(sw_pattern_has_backrefs(b));
	/* the JIT is available on the platforms sipwarden targets; the interpreter is a fallback */
	assert_true(sw_pattern_is_jit(b) == 0 || sw_pattern_is_jit(b) == 1);
	sw_pattern_free(a);
	sw_pattern_free(b);
}

/* Catastrophic backtracking on a hostile subject ends quickly with "no match". */
static void test_backtracking_bounded(void **state)
{
	struct sw_pattern *p = compile("^(a+)+$", 0);
	struct sw_match_scratch *s = sw_match_scratch_new();
	char subject[64];
	struct timespec t0, t1;
	double ms;

	(void)state;
	memset(subject, 'a', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = 'b';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_false(sw_pattern_match(p, s, sw_str_make(subject, sizeof(subject))));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (ms > 2000)
		fail_msg("match took %.0f ms", ms);
	/* the scratch still works afterwards */
	subject[sizeof(subject) - 1] = 'a';
	assert_true(sw_pattern_match(p, s, sw_str_make(subject, sizeof(subject))));
	sw_pattern_free(p);
	sw_match_scratch_free(s);
}

/* One scratch, many patterns with different capture counts. */
static void test_shared_scratch(void **state)
{
	const char *pats[] = {"a", "(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)", "^(?:x|(y))+z$", "(\\w)\\1"};
	const char *subj[] = {"cat", "abcdefghij", "xyxyz", "hello"};
	struct sw_match_scratch *s = sw_match_scratch_new();

	(void)state;
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < 4; i++) {
			struct sw_pattern *p = compile(pats[i], 0);

			assert_true(sw_pattern_match(p, s, sw_str_make(subj[i], strlen(subj[i]))));
			assert_false(sw_pattern_match(p, s, sw_str_make("-", 1)));
			sw_pattern_free(p);
		}
	sw_match_scratch_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_nul_and_absent),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_backtracking_bounded),
		cmocka_unit_test(test_shared_scratch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
