/*
 * Tests of the state file (shield/statefile): a round trip of IPv4 and IPv6 entries, expired
 * entries dropped, malformed lines skipped and the first one named with its line, files that are
 * not ours or too new refused, and atomic saving: a save that fails half way (a file size limit
 * in a child process) leaves the old file as it was and no temporary file behind.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "shield/statefile.h"
#include "shield/vocab.h"
#include "testutil.h"

static char tmpdir[64];
static char path[128];

/* 2026-01-01T00:00:00Z */
#define NOW 1767225600000ull

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_state_XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/lib/state", tmpdir);
	return 0;
}

/* Entries in the directory other than the state file itself (temporary files left behind). */
static int stray_files(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "state"))
			n++;
	closedir(d);
	return n;
}

static int teardown(void **state)
{
	(void)state;
	char p[160];
	snprintf(p, sizeof(p), "%s/lib", tmpdir);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char f[512];
			snprintf(f, sizeof(f), "%s/%s", p, e->d_name);
			unlink(f);
		}
		closedir(d);
		rmdir(p);
	}
	return rmdir(tmpdir);
}

static struct sw_state_entry v4(const char *a4, uint8_t plen, uint64_t until, enum sw_reason r,
				const char *realm)
{
	struct sw_state_entry e;
	memset(&e, 0, sizeof(e));
	uint8_t b[4];
	sscanf(a4, "%hhu.%hhu.%hhu.%hhu", &b[0], &b[1], &b[2], &b[3]);
	sw_endpoint_set_v4(&e.addr, b, 0);
	e.plen = plen;
	e.until_ms = until;
	e.reason = (uint8_t)r;
	snprintf(e.realm, sizeof(e.realm), "%s", realm);
	return e;
}

struct collect {
	struct sw_state_entry e[16];
	size_t n;
	int fail_at; /* 1-based entry whose callback fails; 0 never */
};

static int collect(void *arg, const struct sw_state_entry *e)
{
	struct collect *c = arg;
	if (c->fail_at && (int)c->n + 1 == c->fail_at)
		return SW_E_LIMIT;
	assert_true(c->n < 16);
	c->e[c->n++] = *e;
	return 0;
}

static void write_file(const char *text)
{
	char dir[160];
	snprintf(dir, sizeof(dir), "%s/lib", tmpdir);
	mkdir(dir, 0750);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct sw_state_entry in[4];
	in[0] = v4("192.0.2.7", 32, NOW + 3600000, SW_REASON_FINGERPRINT, "access");
	in[1] = v4("198.51.100.0", 24, NOW + 1, SW_REASON_ENUMERATION, "");
	memset(&in[2], 0, sizeof(in[2]));
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x42};
	sw_endpoint_set_v6(&in[2].addr, a6, 0);
	in[2].plen = 64;
	in[2].until_ms = NOW + 86400000ull * 3 + 123;
	in[2].reason = SW_REASON_PASSWORD_GUESSING;
	snprintf(in[2].realm, sizeof(in[2].realm), "peer.trunk_2");
	in[3] = v4("203.0.113.1", 32, NOW - 1, SW_REASON_UA_DENY, "access"); /* expired */

	char err[256] = "";
	mode_t old = umask(0);
	int rc = sw_statefile_save(path, in, 4, err, sizeof(err));
	umask(old);
	if (rc)
		fail_msg("save: %s", err);
	struct stat st;
	char dir[160];
	snprintf(dir, sizeof(dir), "%s/lib", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stray_files(dir), 0);

	/* the text people read */
	size_t len;
	char *text = tu_read_file(path, &len);
	assert_memory_equal(text, "sipwarden-state 1\n# written ", 28);
	assert_non_null(strstr(text, "\n192.0.2.7/32 2026-01-01T01:00:00.000000Z 1767229200000 "
				     "fingerprint access\n"));
	assert_non_null(strstr(text, "\n198.51.100.0/24 2026-01-01T00:00:00.001000Z "
				     "1767225600001 enumeration -\n"));
	assert_non_null(strstr(text, "\n2001:db8:0:42::/64 2026-01-04T00:00:00.123000Z "
				     "1767484800123 password-guessing peer.trunk_2\n"));
	free(text);

	struct collect c = {0};
	struct sw_state_stats stats;
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(stats.loaded, 3);
	assert_int_equal(stats.expired, 1);
	assert_int_equal(stats.malformed, 0);
	assert_string_equal(stats.problem, "");
	assert_int_equal(c.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_true(sw_addr_equal(&c.e[i].addr, &in[i].addr));
		assert_int_equal(c.e[i].addr.port, 0);
		assert_int_equal(c.e[i].plen, in[i].plen);
		assert_int_equal(c.e[i].until_ms, in[i].until_ms);
		assert_int_equal(c.e[i].reason, in[i].reason);
		assert_string_equal(c.e[i].realm, in[i].realm);
	}

	/* later: more have run out; exactly at the deadline counts as over */
	c.n = 0;
	assert_int_equal(
		sw_statefile_load(path, NOW + 3600000, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(stats.loaded, 1);
	assert_int_equal(stats.expired, 3);
	assert_int_equal(c.e[0].reason, SW_REASON_PASSWORD_GUESSING);

	/* a second save replaces the file; zero entries is a valid state */
	assert_int_equal(sw_statefile_save(path, NULL, 0, err, sizeof(err)), 0);
	c.n = 0;
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(stats.loaded + stats.expired + stats.malformed, 0);
	assert_int_equal(stray_files(dir), 0);
}

static void test_missing_and_empty(void **state)
{
	(void)state;
	struct collect c = {0};
	struct sw_state_stats stats;
	char err[256] = "";
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	write_file("");
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
	write_file("sipwarden-state 1\n");
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(c.n, 0);
}

static void test_malformed_lines(void **state)
{
	(void)state;
	char big[400];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char text[4096];
	snprintf(text, sizeof(text),
		 "sipwarden-state 1\n"
		 "# comment\n"
		 "\n"
		 "192.0.2.1/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"           // 4 ok
		 "192.0.2.300/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"         // 5
		 "192.0.2.2/32 2026-01-01T02:00:00.000000Z 1767229200000 acl -\n"           // 6
		 "192.0.2.3/32 2026-01-01T01:00:00.000000Z 1767229200000 nosuch -\n"        // 7
		 "192.0.2.4/32  2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"          // 8
		 "192.0.2.5/32 2026-01-01T01:00:00.000000Z 1767229200000 acl\n"             // 9
		 "%s\n"                                                                     // 10
		 "192.0.2.6-192.0.2.9/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n" // 11
		 "192.0.2.7/32 2026-01-01T01:00:00.000000Z 1767229200000 acl bad/realm\n"   // 12
		 "192.0.2.8/32 2026-01-01T01:00:00.000000Z 1767229200000x acl -\n"          // 13
		 "2001:db8::/129 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"         // 14
		 "192.0.2.9 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"              // 15
		 "2100-01-01T00:00:00.000000Z\n"                                            // 16
		 "192.0.2.10/32 2099-01-01T00:00:00.000000Z 4070908800000 acl -\n"          // 17
		 "10.9.8.7/8 2026-01-01T01:00:00.000000Z 1767229200000 denied core\r\n"     // 18 ok
		 "192.0.2.11/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -",           // 19 ok
		 big);
	write_file(text);
	struct collect c = {0};
	struct sw_state_stats stats;
	char err[256] = "";
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)), 0);
	assert_int_equal(stats.loaded, 3);
	assert_int_equal(stats.malformed, 13);
	assert_int_equal(stats.expired, 0);
	char want[256];
	snprintf(want, sizeof(want), "%s:5: '192.0.2.300/32': '192.0.2.300' is not an IPv4 address",
		 path);
	assert_string_equal(stats.problem, want);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.e[0].reason, SW_REASON_ACL);
	/* host bits as written are cleared, as everywhere prefixes are read */
	assert_memory_equal(c.e[1].addr.addr, "\x0a\x00\x00\x00", 4);
	assert_int_equal(c.e[1].plen, 8);
	assert_int_equal(c.e[1].reason, SW_REASON_DENIED);
	assert_string_equal(c.e[1].realm, "core");
	assert_memory_equal(c.e[2].addr.addr, "\xc0\x00\x02\x0b", 4);

	/* each problem, one at a time, by its message */
	struct {
		const char *line, *words;
	} cases[] = {
		{"192.0.2.2/32 2026-01-01T02:00:00.000000Z 1767229200000 acl -", "does not match"},
		{"192.0.2.3/32 2026-01-01T01:00:00.000000Z 1767229200000 nosuch -",
		 "unknown reason 'nosuch'"},
		{"192.0.2.4/32  2026-01-01T01:00:00.000000Z 1767229200000 acl -", "single spaces"},
		{"192.0.2.5/32 2026-01-01T01:00:00.000000Z 1767229200000 acl", "5 fields"},
		{"192.0.2.6-192.0.2.9/32 x 1 acl -", "not ADDR/PLEN"},
		{"192.0.2.7/32 2026-01-01T01:00:00.000000Z 1767229200000 acl bad/realm",
		 "bad realm name"},
		{"192.0.2.8/32 x 1767229200000x acl -", "not a deadline"},
		{"192.0.2.8/32 x 99999999999999999999 acl -", "not a deadline"},
		{"192.0.2.9 2026-01-01T01:00:00.000000Z 1767229200000 acl -", "not ADDR/PLEN"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sw_state_entry e;
		char why[256] = "";
		assert_true(sw_statefile_parse_line(cases[i].line, strlen(cases[i].line), &e, why,
						    sizeof(why)) < 0);
		if (!strstr(why, cases[i].words))
			fail_msg("'%s': '%s' lacks '%s'", cases[i].line, why, cases[i].words);
	}
}

static void test_not_ours(void **state)
{
	(void)state;
	struct collect c = {0};
	struct sw_state_stats stats;
	char err[512] = "", want[512];
	write_file("192.0.2.1/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n");
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_SYNTAX);
	snprintf(want, sizeof(want), "%s: not a sipwarden state file", path);
	assert_memory_equal(err, want, strlen(want));
	assert_int_equal(c.n, 0);

	write_file("[shield]\nsip-port = 5060\n");
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_SYNTAX);
	write_file("sipwarden-state one\n");
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_SYNTAX);
	char longhdr[1000];
	memset(longhdr, 's', sizeof(longhdr) - 2);
	longhdr[sizeof(longhdr) - 2] = '\n';
	longhdr[sizeof(longhdr) - 1] = '\0';
	write_file(longhdr);
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_SYNTAX);

	write_file("sipwarden-state 2\n192.0.2.1/32 whatever\n");
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_UNSUPPORTED);
	snprintf(want, sizeof(want), "%s: state file format 2; this sipwarden reads format 1",
		 path);
	assert_string_equal(err, want);

	/* the callback's refusal stops the load */
	write_file("sipwarden-state 1\n"
		   "192.0.2.1/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"
		   "192.0.2.2/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n"
		   "192.0.2.3/32 2026-01-01T01:00:00.000000Z 1767229200000 acl -\n");
	c.fail_at = 2;
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_LIMIT);
	assert_int_equal(c.n, 1);
	snprintf(want, sizeof(want), "%s:3: the entry was refused", path);
	assert_memory_equal(err, want, strlen(want));

	/* unreadable: a directory where the file should be */
	char dirpath[160];
	snprintf(dirpath, sizeof(dirpath), "%s/lib", tmpdir);
	c.fail_at = 0;
	assert_int_equal(sw_statefile_load(dirpath, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_IO);
}

static void test_atomic_save(void **state)
{
	(void)state;
	char err[256] = "", dir[160];
	snprintf(dir, sizeof(dir), "%s/lib", tmpdir);
	struct sw_state_entry old[1] = {v4("192.0.2.1", 32, NOW + 1000, SW_REASON_ACL, "x")};
	assert_int_equal(sw_statefile_save(path, old, 1, err, sizeof(err)), 0);
	size_t len0;
	char *before = tu_read_file(path, &len0);

	/* an entry that cannot be written: refused before anything is touched */
	struct sw_state_entry bad[2] = {v4("192.0.2.2", 32, NOW + 1000, SW_REASON_ACL, ""),
					v4("192.0.2.3", 33, NOW + 1000, SW_REASON_ACL, "")};
	assert_int_equal(sw_statefile_save(path, bad, 2, err, sizeof(err)), SW_E_INVAL);
	assert_string_equal(err, "state entry 1: prefix length too large");
	bad[1].plen = 32;
	bad[1].reason = SW_REASON__COUNT;
	assert_int_equal(sw_statefile_save(path, bad, 2, err, sizeof(err)), SW_E_INVAL);
	bad[1].reason = 0;
	snprintf(bad[1].realm, sizeof(bad[1].realm), "a b");
	assert_int_equal(sw_statefile_save(path, bad, 2, err, sizeof(err)), SW_E_INVAL);
	bad[1].realm[0] = '\0';
	bad[1].addr.family = 0;
	assert_int_equal(sw_statefile_save(path, bad, 2, err, sizeof(err)), SW_E_INVAL);

	/*
	 * A write that fails half way: a child process limited to 4 KiB files saves 2000 entries
	 * (about 150 KiB). The old file must stay whole and no temporary file stay behind.
	 */
	enum { N = 2000 };
	struct sw_state_entry *many = calloc(N, sizeof(*many));
	assert_non_null(many);
	for (unsigned i = 0; i < N; i++) {
		char a[32];
		snprintf(a, sizeof(a), "10.%u.%u.1", i / 256, i % 256);
		many[i] = v4(a, 32, NOW + 5000, SW_REASON_FINGERPRINT, "access");
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = {4096, 4096};
		setrlimit(RLIMIT_FSIZE, &rl);
		char cerr[256] = "";
		int rc = sw_statefile_save(path, many, N, cerr, sizeof(cerr));
		_exit(rc == SW_E_IO && strstr(cerr, "cannot write") ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	size_t len1;
	char *after = tu_read_file(path, &len1);
	assert_int_equal(len0, len1);
	assert_memory_equal(before, after, len0);
	assert_int_equal(stray_files(dir), 0);
	free(after);

	/* without the limit the same save works, and all entries come back */
	assert_int_equal(sw_statefile_save(path, many, N, err, sizeof(err)), 0);
	struct sw_state_stats stats;
	struct collect c = {0};
	c.fail_at = 17; /* stop after 16: the collector's size */
	assert_int_equal(sw_statefile_load(path, NOW, collect, &c, &stats, err, sizeof(err)),
			 SW_E_LIMIT);
	assert_int_equal(stats.loaded, 16);
	free(many);
	free(before);

	/* a directory that cannot be created */
	char deep[200];
	snprintf(deep, sizeof(deep), "%s/no/such/state", tmpdir);
	assert_int_equal(sw_statefile_save(deep, old, 1, err, sizeof(err)), SW_E_IO);
	assert_non_null(strstr(err, "cannot create directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_save, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
