/*
 * MaxMind DB lookups (src/out/geoip.c) and the enrichment facade's synchronous sources
 * (src/out/enrich.c without reverse DNS), on databases written for the test by
 * tests/integration/enrich/mkmmdb.pl with MaxMind::DB::Writer::Tree (libmaxmind-db-writer-perl).
 * Skipped, with the reason printed, when perl or that module is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "out/enrich.h"
#include "out/geoip.h"

extern char **environ;

#define MKMMDB SW_TESTDATA "/../integration/enrich/mkmmdb.pl"
#define MAP_EXAMPLE SW_TESTDATA "/../../conf/sector-map.example"

static char dir[64];
static const char *no_db; /* why the databases could not be made, or NULL */

static struct sw_endpoint ip(const char *s)
{
	struct sw_endpoint ep;
	assert_int_equal(sw_enrich_parse_addr(s, strlen(s), &ep), 0);
	return ep;
}

static const char *path(const char *name)
{
	static char buf[8][128];
	static unsigned k;
	char *b = buf[k++ % 8];
	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

/* Run argv, quietly; its exit status (or -1). */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 0, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void write_file(const char *p, const char *text, size_t n)
{
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sw-test-geoip.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char *check[] = {"perl", "-MMaxMind::DB::Writer::Tree", "-e", "1", NULL};
	char *make[] = {"perl", MKMMDB, dir, NULL};
	if (run(check) != 0)
		no_db = "perl with MaxMind::DB::Writer::Tree (libmaxmind-db-writer-perl) is not "
			"installed";
	else if (run(make) != 0)
		no_db = "mkmmdb.pl failed";
	if (no_db)
		fprintf(stderr, "test_geoip: skipping the database tests: %s\n", no_db);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	static const char *const names[] = {"asn.mmdb",      "city.mmdb",      "country.mmdb",
					    "dbip-asn.mmdb", "dbip-city.mmdb", "ipv4-asn.mmdb",
					    "text.mmdb",     "empty.mmdb",     "map.txt"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path(names[i]));
	rmdir(dir);
	return 0;
}

#define NEED_DB()                                                                                  \
	do {                                                                                       \
		if (no_db)                                                                         \
			skip();                                                                    \
	} while (0)

static struct sw_geoip *open_db(const char *name, enum sw_geoip_kind kind)
{
	struct sw_geoip *g = NULL;
	char err[256];
	if (sw_geoip_open(path(name), kind, &g, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return g;
}

static void expect_asn(struct sw_geoip *g, const char *addr, long want)
{
	struct sw_endpoint ep = ip(addr);
	uint32_t asn = 0;
	int rc = sw_geoip_asn(g, &ep, &asn);
	if (want < 0) {
		assert_int_equal(rc, SW_E_EOF);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(asn, (uint32_t)want);
}

static void test_asn(void **state)
{
	(void)state;
	NEED_DB();
	static const char *const dbs[] = {"asn.mmdb", "dbip-asn.mmdb"};
	for (int i = 0; i < 2; i++) {
		struct sw_geoip *g = open_db(dbs[i], SW_GEOIP_ASN);
		expect_asn(g, "198.18.3.7", 64500);
		expect_asn(g, "198.18.4.0", 64501);
		expect_asn(g, "198.18.15.255", 64502);
		expect_asn(g, "198.18.16.0", -1);
		expect_asn(g, "192.0.2.1", 4200000001);
		expect_asn(g, "2001:db8:5c::7", 64510);
		expect_asn(g, "2001:db8:5d::7", -1);
		sw_geoip_close(g);
	}
	struct sw_geoip *g = open_db("asn.mmdb", SW_GEOIP_ASN);
	assert_string_equal(sw_geoip_type(g), "GeoLite2-ASN");
	sw_geoip_close(g);
	/* An IPv4-only database has no answer for IPv6 (not an error). */
	g = open_db("ipv4-asn.mmdb", SW_GEOIP_ASN);
	expect_asn(g, "198.18.1.1", 64500);
	expect_asn(g, "2001:db8:5c::7", -1);
	struct sw_endpoint none = {0};
	uint32_t asn;
	assert_int_equal(sw_geoip_asn(g, &none, &asn), SW_E_INVAL);
	sw_geoip_close(g);
	sw_geoip_close(NULL);
}

static void expect_loc(struct sw_geoip *g, const char *addr, const char *geo, const char *region,
		       const char *city)
{
	struct sw_endpoint ep = ip(addr);
	struct sw_geoip_loc loc;
	int rc = sw_geoip_city(g, &ep, &loc);
	if (!geo) {
		assert_int_equal(rc, SW_E_EOF);
		assert_string_equal(loc.geo, "");
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(loc.geo, geo);
	assert_string_equal(loc.region, region);
	assert_string_equal(loc.city, city);
}

static void test_city(void **state)
{
	(void)state;
	NEED_DB();
	struct sw_geoip *g = open_db("city.mmdb", SW_GEOIP_CITY);
	expect_loc(g, "198.18.3.7", "DE", "Bavaria", "Munich");
	expect_loc(g, "198.18.5.10", "US", "New York", "New York");
	expect_loc(g, "198.18.9.1", "NL", "", ""); /* registered_country only */
	expect_loc(g, "192.0.2.200", "FR", "\xc3\x8ele-de-France", "Paris");
	expect_loc(g, "2001:db8:5c::20", "JP", "Tokyo", "Tokyo");
	expect_loc(g, "198.18.16.1", NULL, NULL, NULL);
	sw_geoip_close(g);

	g = open_db("country.mmdb", SW_GEOIP_CITY);
	expect_loc(g, "198.18.200.1", "DE", "", "");
	sw_geoip_close(g);

	g = open_db("dbip-city.mmdb", SW_GEOIP_CITY);
	assert_string_equal(sw_geoip_type(g), "DBIP-City-Lite");
	expect_loc(g, "198.18.1.1", "AT", "Vienna", "Vienna");
	expect_loc(g, "2001:db8:5c::1", "CH", "Zurich", "Z\xc3\xbcrich");
	sw_geoip_close(g);
}

static void test_open_errors(void **state)
{
	(void)state;
	NEED_DB();
	struct sw_geoip *g = NULL;
	char err[512];
	assert_int_equal(sw_geoip_open("/nonexistent/x.mmdb", SW_GEOIP_ASN, &g, err, sizeof(err)),
			 SW_E_IO);
	assert_string_equal(err, "/nonexistent/x.mmdb: cannot open: No such file or directory");

	static const char text[] = "this is not a MaxMind database\n";
	write_file(path("text.mmdb"), text, sizeof(text) - 1);
	assert_int_equal(sw_geoip_open(path("text.mmdb"), SW_GEOIP_CITY, &g, err, sizeof(err)),
			 SW_E_SYNTAX);
	char want[512];
	snprintf(want, sizeof(want), "%s: not a MaxMind DB file (", path("text.mmdb"));
	assert_memory_equal(err, want, strlen(want));
	assert_null(strchr(err, '\n'));

	write_file(path("empty.mmdb"), "", 0);
	assert_int_equal(sw_geoip_open(path("empty.mmdb"), SW_GEOIP_ASN, &g, err, sizeof(err)),
			 SW_E_SYNTAX);
	snprintf(want, sizeof(want), "%s: not a MaxMind DB file (", path("empty.mmdb"));
	assert_memory_equal(err, want, strlen(want));

	/* A database of the other kind, by its type. */
	assert_int_equal(sw_geoip_open(path("city.mmdb"), SW_GEOIP_ASN, &g, err, sizeof(err)),
			 SW_E_INVAL);
	snprintf(want, sizeof(want),
		 "%s: database type 'GeoLite2-City' is a location database, not an ASN database "
		 "(give it as --city-db)",
		 path("city.mmdb"));
	assert_string_equal(err, want);
	assert_int_equal(sw_geoip_open(path("dbip-asn.mmdb"), SW_GEOIP_CITY, &g, err, sizeof(err)),
			 SW_E_INVAL);
	assert_non_null(strstr(err, "is an ASN database, not a city or country database"));
	assert_null(g);
}

static void test_copy_text(void **state)
{
	(void)state;
	char b[8];
	/* "Zürich" is 7 bytes: fits in 8 with the NUL. */
	assert_int_equal(sw_geoip_copy_text(b, sizeof(b), "Z\xc3\xbcrich", 7), 7);
	assert_string_equal(b, "Z\xc3\xbcrich");
	/* Cut before a 2-byte character that would not fit whole. */
	assert_int_equal(sw_geoip_copy_text(b, 3, "Z\xc3\xbcrich", 7), 1);
	assert_string_equal(b, "Z");
	assert_int_equal(sw_geoip_copy_text(b, sizeof(b), "a\tb\r\nc\x7f", 7), 7);
	assert_string_equal(b, "a b  c ");
	assert_int_equal(sw_geoip_copy_text(b, 1, "abc", 3), 0);
	assert_string_equal(b, "");
}

/* The facade: warnings collected here. */
static char warnings[4][512];
static int nwarnings;

static void on_warn(void *ctx, const char *msg)
{
	(void)ctx;
	if (nwarnings < 4)
		snprintf(warnings[nwarnings], sizeof(warnings[0]), "%s", msg);
	nwarnings++;
}

static void expect_cols(const struct sw_enrich_result *r, const char *asn, const char *geo,
			const char *region, const char *city, const char *naics, const char *sector)
{
	assert_true(r->complete);
	assert_string_equal(r->hostname, "");
	assert_string_equal(r->hostname_source, "");
	assert_string_equal(r->asn, asn);
	assert_string_equal(r->geo, geo);
	assert_string_equal(r->region, region);
	assert_string_equal(r->city, city);
	assert_string_equal(r->naics, naics);
	assert_string_equal(r->sector, sector);
}

static int done_calls;

static void on_done(void *ctx, struct sw_enrich_result *res)
{
	assert_ptr_equal(ctx, &done_calls);
	assert_true(res->complete);
	done_calls++;
}

static void test_enrich_sync(void **state)
{
	(void)state;
	NEED_DB();
	static const char map[] = "AS64500 517311 Telecommunications\n"
				  "198.18.4.0/24 611310 Educational Services\n"
				  "AS64510 518210 Communications, Service Provider, and Hosting "
				  "Service\n";
	write_file(path("map.txt"), map, sizeof(map) - 1);
	struct sw_enrich_opts o = {
		.asn_db = path("asn.mmdb"),
		.city_db = path("city.mmdb"),
		.sector_map = path("map.txt"),
		.warn = on_warn,
	};
	struct sw_enrich *e = NULL;
	char err[512];
	nwarnings = 0;
	if (sw_enrich_new(&o, &e, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(nwarnings, 0);
	assert_int_equal(sw_enrich_sources(e), SW_ENRICH_ASN | SW_ENRICH_GEO | SW_ENRICH_SECTOR);

	struct sw_enrich_result r;
	struct sw_endpoint a = ip("198.18.3.7");
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "64500", "DE", "Bavaria", "Munich", "517311", "Telecommunications");
	a = ip("198.18.4.9");
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "64501", "US", "New York", "New York", "611310", "Educational Services");
	a = ip("198.18.5.9"); /* AS64501 has no entry */
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "64501", "US", "New York", "New York", "0", "");
	a = ip("2001:db8:5c::30");
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "64510", "JP", "Tokyo", "Tokyo", "518210",
		    "Communications, Service Provider, and Hosting Service");
	a = ip("203.0.113.1"); /* in no database */
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "", "", "", "", "0", "");

	/* Views, and the column -> source table. */
	assert_null(sw_enrich_col(&r, SW_SCAN_COL_ASN).p);
	struct sw_str z = sw_enrich_col(&r, SW_SCAN_COL_NAICS);
	assert_int_equal(z.len, 1);
	assert_memory_equal(z.p, "0", 1);
	assert_null(sw_enrich_col(&r, SW_SCAN_COL_IP).p);
	assert_int_equal(sw_enrich_col_source(SW_SCAN_COL_HOSTNAME), SW_ENRICH_PTR);
	assert_int_equal(sw_enrich_col_source(SW_SCAN_COL_HOSTNAME_SOURCE), SW_ENRICH_PTR);
	assert_int_equal(sw_enrich_col_source(SW_SCAN_COL_ASN), SW_ENRICH_ASN);
	assert_int_equal(sw_enrich_col_source(SW_SCAN_COL_CITY), SW_ENRICH_GEO);
	assert_int_equal(sw_enrich_col_source(SW_SCAN_COL_SECTOR), SW_ENRICH_SECTOR);
	assert_int_equal(sw_enrich_col_source(SW_SCAN_COL_SIP_CODE), 0);

	/* Asynchronous form without PTR: done runs before sw_enrich_start returns. */
	done_calls = 0;
	a = ip("198.18.3.7");
	assert_int_equal(sw_enrich_start(e, &a, &r, on_done, &done_calls), 0);
	assert_int_equal(done_calls, 1);
	assert_int_equal(sw_enrich_pending(e), 0);
	assert_int_equal(sw_enrich_timeout_ms(e, -1), -1);
	assert_int_equal(sw_enrich_run(e, -1), 0);
	struct sw_endpoint none = {0};
	assert_int_equal(sw_enrich_start(e, &none, &r, on_done, &done_calls), SW_E_INVAL);
	assert_int_equal(done_calls, 2);
	assert_true(r.complete);
	sw_enrich_free(e);
	sw_enrich_free(NULL);
}

static void test_enrich_missing_and_bad(void **state)
{
	(void)state;
	NEED_DB();
	char err[512], want[600];
	struct sw_enrich *e = NULL;
	/* Missing databases: one warning naming both, columns empty, not an error. */
	struct sw_enrich_opts o = {
		.asn_db = "/nonexistent/asn.mmdb",
		.city_db = "/nonexistent/city.mmdb",
		.warn = on_warn,
	};
	nwarnings = 0;
	assert_int_equal(sw_enrich_new(&o, &e, err, sizeof(err)), 0);
	assert_int_equal(nwarnings, 1);
	assert_string_equal(warnings[0],
			    "database not found, its columns stay empty: /nonexistent/asn.mmdb "
			    "(asn), /nonexistent/city.mmdb (geo, region, city)");
	assert_int_equal(sw_enrich_sources(e), 0);
	struct sw_enrich_result r;
	struct sw_endpoint a = ip("198.18.3.7");
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "", "", "", "", "", "");
	assert_null(sw_enrich_col(&r, SW_SCAN_COL_NAICS).p);
	sw_enrich_free(e);

	/* A file that is not a database: an error naming it. */
	static const char text[] = "not an mmdb\n";
	write_file(path("text.mmdb"), text, sizeof(text) - 1);
	o = (struct sw_enrich_opts){.asn_db = path("asn.mmdb"), .city_db = path("text.mmdb")};
	e = NULL;
	assert_int_equal(sw_enrich_new(&o, &e, err, sizeof(err)), SW_E_SYNTAX);
	assert_null(e);
	snprintf(want, sizeof(want), "%s: not a MaxMind DB file (", path("text.mmdb"));
	assert_memory_equal(err, want, strlen(want));

	/* A bad map line, and a missing map (an error: the operator asked for it). */
	static const char bad[] = "AS64500 517311 ok\n\nAS6450O 1 typo\n";
	write_file(path("map.txt"), bad, sizeof(bad) - 1);
	o = (struct sw_enrich_opts){.sector_map = path("map.txt")};
	assert_int_equal(sw_enrich_new(&o, &e, err, sizeof(err)), SW_E_SYNTAX);
	snprintf(want, sizeof(want), "%s:3: 'AS6450O' is not an AS number, prefix or address",
		 path("map.txt"));
	assert_string_equal(err, want);
	o = (struct sw_enrich_opts){.sector_map = "/nonexistent/map"};
	assert_int_equal(sw_enrich_new(&o, &e, err, sizeof(err)), SW_E_IO);
	assert_string_equal(err, "cannot open '/nonexistent/map': No such file or directory");

	/* Bad options. */
	o = (struct sw_enrich_opts){.rdns = 1, .rdns_concurrency = 5000};
	assert_int_equal(sw_enrich_new(&o, &e, err, sizeof(err)), SW_E_INVAL);
	o = (struct sw_enrich_opts){.rdns = 1, .resolver = "dns.example"};
	assert_int_equal(sw_enrich_new(&o, &e, err, sizeof(err)), SW_E_INVAL);
	assert_string_equal(err, "--resolver 'dns.example': expected ADDR, ADDR:PORT or "
				 "[IPV6ADDR]:PORT (an IP address, not a name)");
}

static void test_example_map(void **state)
{
	(void)state;
	NEED_DB();
	struct sw_enrich_opts o = {.sector_map = MAP_EXAMPLE};
	struct sw_enrich *e = NULL;
	char err[512];
	if (sw_enrich_new(&o, &e, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	struct sw_enrich_result r;
	struct sw_endpoint a = ip("192.0.2.80");
	assert_int_equal(sw_enrich_lookup(e, &a, &r), 0);
	expect_cols(&r, "", "", "", "", "622110", "General Medical and Surgical Hospitals");
	sw_enrich_free(e);
}

static void test_parse_addr(void **state)
{
	(void)state;
	struct sw_endpoint ep;
	assert_int_equal(sw_enrich_parse_addr("192.0.2.1", 9, &ep), 0);
	assert_int_equal(ep.family, AF_INET);
	assert_int_equal(sw_enrich_parse_addr("192.0.2.1xyz", 9, &ep), 0); /* len bytes only */
	assert_int_equal(sw_enrich_parse_addr("2001:db8::1", 11, &ep), 0);
	assert_int_equal(ep.family, AF_INET6);
	assert_int_equal(sw_enrich_parse_addr("192.0.2", 7, &ep), SW_E_ADDR);
	assert_int_equal(sw_enrich_parse_addr("", 0, &ep), SW_E_ADDR);
	assert_int_equal(sw_enrich_parse_addr("[::1]", 5, &ep), SW_E_ADDR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asn),         cmocka_unit_test(test_city),
		cmocka_unit_test(test_open_errors), cmocka_unit_test(test_copy_text),
		cmocka_unit_test(test_enrich_sync), cmocka_unit_test(test_enrich_missing_and_bad),
		cmocka_unit_test(test_example_map), cmocka_unit_test(test_parse_addr),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
