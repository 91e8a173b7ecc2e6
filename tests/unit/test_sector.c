/* The sector map (src/out/sector.c): format, precedence, errors with file and line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "core/err.h"
#include "out/sector.h"
#include "testutil.h"

static struct sw_endpoint ip(const char *s)
{
	struct sw_endpoint ep = {0};
	uint8_t a[16];
	if (inet_pton(AF_INET, s, a) == 1)
		sw_endpoint_set_v4(&ep, a, 0);
	else if (inet_pton(AF_INET6, s, a) == 1)
		sw_endpoint_set_v6(&ep, a, 0);
	else
		fail_msg("bad test address %s", s);
	return ep;
}

/* Load text from a guard-page copy, so a read past its end faults. */
static int load(const char *text, struct sw_sector **m, char *err, size_t errlen)
{
	size_t n = strlen(text);
	char *g = tu_guard_copy(text, n);
	int rc = sw_sector_load_buf("map.txt", g, n, m, err, errlen);
	tu_guard_free(g, n);
	return rc;
}

/* The entry for addr (and asn when asn_set); "-" when nothing matches. */
static void expect(const struct sw_sector *m, const char *addr, long asn, const char *naics,
		   const char *sector)
{
	struct sw_endpoint ep = ip(addr);
	const char *n = NULL, *s = NULL;
	int rc = sw_sector_lookup(m, &ep, asn >= 0, asn >= 0 ? (uint32_t)asn : 0, &n, &s);
	if (strcmp(naics, "-") == 0) {
		assert_int_equal(rc, SW_E_EOF);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(n, naics);
	assert_string_equal(s, sector);
}

static const char map_text[] =
	"# comment line\n"
	"\n"
	"AS64500   517311  Telecommunications\n"
	"as64501\t611310\tColleges, Universities, and Professional Schools  # trailing\n"
	"64502 518210 \"Data Processing, Hosting, \"\"and\"\" Related #1\"  # comment\n"
	"198.18.4.0/22 611310 \"Educational Services\"\n"
	"198.18.4.0/24 611110 Elementary and Secondary Schools\r\n"
	"198.18.4.7 622110 General Medical and Surgical Hospitals\n"
	"198.18.6.9/24 0 Sector without a code\n" /* host bits ignored: 198.18.6.0/24 */
	"2001:db8:5c::/48 921110\n"
	"2001:db8:5c:1::/64 51 Information\n"
	"0.0.0.0/0 99 Everything else v4\n"
	"AS4200000001 541512 Computer Systems Design Services";

static void test_lookup_precedence(void **state)
{
	(void)state;
	struct sw_sector *m = NULL;
	char err[256];
	int rc = load(map_text, &m, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	assert_int_equal(sw_sector_count(m), 11);
	/* A prefix beats the AS; the longest prefix wins; /32 beats /24 beats /22. */
	expect(m, "198.18.4.7", 64500, "622110", "General Medical and Surgical Hospitals");
	expect(m, "198.18.4.8", 64500, "611110", "Elementary and Secondary Schools");
	expect(m, "198.18.5.1", 64500, "611310", "Educational Services");
	expect(m, "198.18.6.200", -1, "0", "Sector without a code");
	/* 0.0.0.0/0 matches every IPv4 address, still before the AS. */
	expect(m, "203.0.113.1", 64500, "99", "Everything else v4");
	/* IPv6: no /0 there, so the AS decides when no prefix matches. */
	expect(m, "2001:db8:5c:1::5", 64500, "51", "Information");
	expect(m, "2001:db8:5c:2::5", 64500, "921110", "");
	expect(m, "2001:db8:99::1", 64500, "517311", "Telecommunications");
	expect(m, "2001:db8:99::1", 64501, "611310",
	       "Colleges, Universities, and Professional Schools");
	expect(m, "2001:db8:99::1", 64502, "518210",
	       "Data Processing, Hosting, \"and\" Related #1");
	expect(m, "2001:db8:99::1", 4200000001, "541512", "Computer Systems Design Services");
	expect(m, "2001:db8:99::1", 64503, "-", "");
	expect(m, "2001:db8:99::1", -1, "-", "");
	sw_sector_free(m);
}

static void test_empty_map(void **state)
{
	(void)state;
	struct sw_sector *m = NULL;
	char err[256];
	assert_int_equal(load("# nothing\n\n   \n", &m, err, sizeof(err)), 0);
	assert_int_equal(sw_sector_count(m), 0);
	expect(m, "198.18.0.1", 64500, "-", "");
	sw_sector_free(m);
	sw_sector_free(NULL);
}

/* Each bad map fails with exactly this message. */
static void expect_error(const char *text, int code, const char *msg)
{
	struct sw_sector *m = NULL;
	char err[512];
	int rc = load(text, &m, err, sizeof(err));
	assert_int_equal(rc, code);
	assert_null(m);
	assert_string_equal(err, msg);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("AS64500 517311 x\nAS12x 517311 Foo\n", SW_E_SYNTAX,
		     "map.txt:2: 'AS12x' is not an AS number, prefix or address");
	expect_error("AS64500\n", SW_E_SYNTAX, "map.txt:1: 'AS64500' has no NAICS code after it");
	expect_error("AS64500 # comment\n", SW_E_SYNTAX,
		     "map.txt:1: 'AS64500' has no NAICS code after it");
	expect_error("\n\nAS64500 5173111 Foo\n", SW_E_SYNTAX,
		     "map.txt:3: NAICS code '5173111' is not 2 to 6 digits (or 0)");
	expect_error("AS64500 5 Foo\n", SW_E_SYNTAX,
		     "map.txt:1: NAICS code '5' is not 2 to 6 digits (or 0)");
	expect_error("AS64500 0517 Foo\n", SW_E_SYNTAX,
		     "map.txt:1: NAICS code '0517' is not 2 to 6 digits (or 0)");
	expect_error("AS64500 51x Foo\n", SW_E_SYNTAX,
		     "map.txt:1: NAICS code '51x' is not 2 to 6 digits (or 0)");
	expect_error("198.18.0.0-198.18.0.255 51 Foo\n", SW_E_SYNTAX,
		     "map.txt:1: '198.18.0.0-198.18.0.255' is a range; give prefixes");
	expect_error("198.18.0.0/33 51 Foo\n", SW_E_SYNTAX,
		     "map.txt:1: '198.18.0.0/33' is not an AS number, prefix or address");
	expect_error("AS4294967296 51 Foo\n", SW_E_SYNTAX,
		     "map.txt:1: 'AS4294967296' is not an AS number, prefix or address");
	expect_error("AS1 51 \"Unterminated\n", SW_E_SYNTAX,
		     "map.txt:1: sector name has no closing quote");
	expect_error("AS1 51 \"Quoted\" trailing\n", SW_E_SYNTAX,
		     "map.txt:1: text after the quoted sector name");
	expect_error("AS1 51 Bad \xff byte\n", SW_E_SYNTAX,
		     "map.txt:1: sector name is not valid UTF-8");
	expect_error("AS1 51 Bell\x07\n", SW_E_SYNTAX,
		     "map.txt:1: control character in the sector name");
}

static void test_more_errors(void **state)
{
	(void)state;
	char big[200];
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	char line[300];
	snprintf(line, sizeof(line), "AS1 51 %s\n", big);
	expect_error(line, SW_E_SYNTAX, "map.txt:1: sector name longer than 127 bytes");
	snprintf(line, sizeof(line), "AS1 51 \"%s\"\n", big);
	expect_error(line, SW_E_SYNTAX, "map.txt:1: sector name longer than 127 bytes");

	/* Duplicates name both lines, in either spelling of the key. */
	expect_error("AS64500 51 A\n# x\n64500 52 B\n", SW_E_INVAL,
		     "map.txt:3: AS64500 is mapped already on line 1");
	expect_error("198.18.0.0/24 51 A\n198.18.0.77/24 52 B\n", SW_E_INVAL,
		     "map.txt:2: 198.18.0.0/24 is mapped already on line 1");
	expect_error("2001:db8::/32 51 A\n2001:db8:0::/32 52 B\n", SW_E_INVAL,
		     "map.txt:2: 2001:db8::/32 is mapped already on line 1");

	/* A NUL byte and an overlong line. */
	struct sw_sector *m = NULL;
	char err[256];
	static const char nul[] = "AS1 51 A\nAS2 52 B\0C\n";
	assert_int_equal(sw_sector_load_buf("map.txt", nul, sizeof(nul) - 1, &m, err, sizeof(err)),
			 SW_E_SYNTAX);
	assert_string_equal(err, "map.txt:2: NUL byte in the line (not a text file?)");
	size_t n = SW_SECTOR_LINE_MAX + 10;
	char *longl = malloc(n);
	assert_non_null(longl);
	memset(longl, ' ', n);
	memcpy(longl, "AS1 51 A", 8);
	assert_int_equal(sw_sector_load_buf("map.txt", longl, n, &m, err, sizeof(err)), SW_E_LIMIT);
	assert_string_equal(err, "map.txt:1: line longer than 4096 bytes");
	free(longl);
}

static void test_file(void **state)
{
	(void)state;
	struct sw_sector *m = NULL;
	char err[512];
	/* The shipped example loads and means what it says. */
	int rc = sw_sector_load(SW_TESTDATA "/../../conf/sector-map.example", &m, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s", err);
	expect(m, "192.0.2.80", 64496, "622110", "General Medical and Surgical Hospitals");
	expect(m, "192.0.2.81", 64496, "611310", "Educational Services");
	expect(m, "198.51.100.1", 64496, "517311", "Telecommunications");
	expect(m, "198.51.100.1", 64497, "518210",
	       "Communications, Service Provider, and Hosting Service");
	expect(m, "2001:db8:1ff::1", -1, "921110", "Executive Offices");
	sw_sector_free(m);

	assert_int_equal(sw_sector_load("/nonexistent/sector.map", &m, err, sizeof(err)), SW_E_IO);
	assert_string_equal(err,
			    "cannot open '/nonexistent/sector.map': No such file or directory");
	assert_int_equal(sw_sector_load(SW_TESTDATA, &m, err, sizeof(err)), SW_E_IO);
	assert_non_null(strstr(err, "Is a directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_precedence),
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
