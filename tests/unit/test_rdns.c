/*
 * Reverse DNS (src/out/rdns.c) and the enrichment facade's asynchronous path (src/out/enrich.c),
 * against real servers on loopback only: dnsmasq (Debian dnsmasq-base) started by the test on
 * 127.0.0.1 with --ptr-record entries, and a "black hole" UDP socket that never answers, for
 * timeouts and the concurrency bound. No query leaves 127.0.0.1: every resolver handle here is
 * given its server. The dnsmasq tests are skipped, with the reason printed, when dnsmasq is not
 * installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "out/enrich.h"
#include "out/rdns.h"

extern char **environ;

#define DNSMASQ "/usr/sbin/dnsmasq"
#define N_NAMED 200 /* 198.18.1.0 - 198.18.1.199 have PTR records, .200-.255 none */

static pid_t dnsmasq_pid;
static char dnsmasq_server[32];
static const char *no_dnsmasq;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct sw_endpoint ip(const char *s)
{
	struct sw_endpoint ep;
	assert_int_equal(sw_enrich_parse_addr(s, strlen(s), &ep), 0);
	return ep;
}

static struct sw_endpoint v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct sw_endpoint ep;
	uint8_t x[4] = {(uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
	sw_endpoint_set_v4(&ep, x, 0);
	return ep;
}

/* A UDP socket on 127.0.0.1, any port; *ret_port gets the port. */
static int udp_loopback(uint16_t *ret_port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	*ret_port = ntohs(sa.sin_port);
	return fd;
}

/* Blocking PTR lookup through a fresh facade on server; the hostname ("" for none). */
static void lookup_name(const char *server, const struct sw_endpoint *a, char *out, size_t cap)
{
	struct sw_enrich_opts o = {.rdns = 1, .resolver = server, .rdns_timeout_ms = 500};
	struct sw_enrich *e = NULL;
	char err[256];
	if (sw_enrich_new(&o, &e, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	struct sw_enrich_result r;
	assert_int_equal(sw_enrich_lookup(e, a, &r), 0);
	snprintf(out, cap, "%s", r.hostname);
	sw_enrich_free(e);
}

static int start_dnsmasq(void)
{
	if (access(DNSMASQ, X_OK) != 0) {
		no_dnsmasq = DNSMASQ " is not installed (Debian package dnsmasq-base)";
		return 0;
	}
	/* A free port: bind, note it, close; dnsmasq takes it a moment later. */
	uint16_t port;
	int fd = udp_loopback(&port);
	if (fd < 0)
		return -1;
	close(fd);
	static char args[N_NAMED + 16][128];
	char *argv[N_NAMED + 20];
	int n = 0;
#define ARG(...) (snprintf(args[n], sizeof(args[0]), __VA_ARGS__), argv[n] = args[n], n++)
	ARG("%s", DNSMASQ);
	ARG("--keep-in-foreground");
	ARG("--conf-file=/dev/null");
	ARG("--no-resolv");
	ARG("--no-hosts");
	ARG("--pid-file=");
	ARG("--bind-interfaces");
	ARG("--listen-address=127.0.0.1");
	ARG("--port=%u", port);
	ARG("--local=/arpa/"); /* NXDOMAIN for every name without a record */
	if (geteuid() == 0)
		ARG("--user=root"); /* no privilege drop to a user that may not exist */
	for (unsigned i = 0; i < N_NAMED; i++)
		ARG("--ptr-record=%u.1.18.198.in-addr.arpa,host-%u.example.net", i, i);
	struct sw_endpoint v6 = ip("2001:db8:5c::7");
	char q6[SW_RDNS_QNAME_MAX];
	assert_true(sw_rdns_qname(&v6, q6, sizeof(q6)) > 0);
	ARG("--ptr-record=%s,v6-host.example.net", q6);
	/* A name longer than most, and one ending in a dot in the zone file sense. */
	ARG("--ptr-record=9.2.18.198.in-addr.arpa,a-rather-long-label-for-a-host.sub.example.org");
	argv[n] = NULL;
#undef ARG
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 0, 0);
	int rc = posix_spawn(&dnsmasq_pid, DNSMASQ, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		no_dnsmasq = "dnsmasq could not be started";
		dnsmasq_pid = 0;
		return 0;
	}
	snprintf(dnsmasq_server, sizeof(dnsmasq_server), "127.0.0.1:%u", port);
	/* Ready when it answers (at most 5 s). */
	struct sw_endpoint a = v4(198, 18, 1, 0);
	char name[256] = "";
	for (int i = 0; i < 50 && !name[0]; i++) {
		int st;
		if (waitpid(dnsmasq_pid, &st, WNOHANG) == dnsmasq_pid) {
			dnsmasq_pid = 0;
			no_dnsmasq = "dnsmasq exited at start";
			return 0;
		}
		lookup_name(dnsmasq_server, &a, name, sizeof(name));
		if (!name[0])
			usleep(100000);
	}
	if (!name[0])
		no_dnsmasq = "dnsmasq did not answer";
	return 0;
}

static int setup(void **state)
{
	(void)state;
	int rc = start_dnsmasq();
	if (no_dnsmasq)
		fprintf(stderr, "test_rdns: skipping the dnsmasq tests: %s\n", no_dnsmasq);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGTERM);
		waitpid(dnsmasq_pid, NULL, 0);
		dnsmasq_pid = 0;
	}
	return 0;
}

#define NEED_DNSMASQ()                                                                             \
	do {                                                                                       \
		if (no_dnsmasq)                                                                    \
			skip();                                                                    \
	} while (0)

static void test_qname(void **state)
{
	(void)state;
	char b[SW_RDNS_QNAME_MAX];
	struct sw_endpoint a = ip("198.18.3.7");
	assert_int_equal(sw_rdns_qname(&a, b, sizeof(b)), 23);
	assert_string_equal(b, "7.3.18.198.in-addr.arpa");
	a = ip("2001:db8::567:89ab");
	assert_int_equal(sw_rdns_qname(&a, b, sizeof(b)), 72);
	assert_string_equal(
		b, "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
	assert_int_equal(sw_rdns_qname(&a, b, 20), SW_E_RANGE);
	struct sw_endpoint none = {0};
	assert_int_equal(sw_rdns_qname(&none, b, sizeof(b)), SW_E_INVAL);
}

static void test_parse_server(void **state)
{
	(void)state;
	struct sw_endpoint ep;
	char t[SW_ENDPOINT_STRLEN];
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"192.0.2.53", "192.0.2.53:53"},
		{"192.0.2.53:5353", "192.0.2.53:5353"},
		{"2001:db8::53", "[2001:db8::53]:53"},
		{"[2001:db8::53]", "[2001:db8::53]:53"},
		{"[2001:db8::53]:5353", "[2001:db8::53]:5353"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(sw_rdns_parse_server(ok[i].in, &ep), 0);
		sw_endpoint_format(&ep, t, sizeof(t));
		assert_string_equal(t, ok[i].out);
	}
	static const char *const bad[] = {"",
					  "dns.example",
					  "192.0.2.53:",
					  "192.0.2.53:0",
					  "192.0.2.53:65536",
					  "192.0.2.53:53x",
					  "[2001:db8::53",
					  "[2001:db8::53]x",
					  "[192.0.2.53]:",
					  "2001:db8::53:5353:1:2:3:4:5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sw_rdns_parse_server(bad[i], &ep), SW_E_INVAL);
}

/* Completions seen by the facade tests. */
struct seen {
	int done;
	uint64_t at_ms;
};

static void on_done(void *ctx, struct sw_enrich_result *res)
{
	struct seen *s = ctx;
	assert_true(res->complete);
	assert_int_equal(s->done, 0); /* exactly once */
	s->done = 1;
	s->at_ms = now_ms();
}

static struct sw_enrich *new_enrich(const char *server, unsigned conc, unsigned tmo)
{
	struct sw_enrich_opts o = {
		.rdns = 1, .resolver = server, .rdns_concurrency = conc, .rdns_timeout_ms = tmo};
	struct sw_enrich *e = NULL;
	char err[256];
	if (sw_enrich_new(&o, &e, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(sw_enrich_sources(e), SW_ENRICH_PTR);
	return e;
}

/* 256 addresses through 16 slots: every one completes once, with the right name or none. */
static void test_dnsmasq_batch(void **state)
{
	(void)state;
	NEED_DNSMASQ();
	struct sw_enrich *e = new_enrich(dnsmasq_server, 16, 2000);
	static struct sw_enrich_result res[256];
	static struct seen seen[256];
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 256; i++) {
		struct sw_endpoint a = v4(198, 18, 1, i);
		assert_int_equal(sw_enrich_start(e, &a, &res[i], on_done, &seen[i]), 0);
	}
	assert_int_equal(sw_enrich_pending(e), 256);
	assert_int_equal(sw_enrich_run(e, 20000), 0);
	for (unsigned i = 0; i < 256; i++) {
		char want[64];
		assert_int_equal(seen[i].done, 1);
		if (i < N_NAMED) {
			snprintf(want, sizeof(want), "host-%u.example.net", i);
			assert_string_equal(res[i].hostname, want);
			assert_string_equal(res[i].hostname_source, "ptr");
			struct sw_str v = sw_enrich_col(&res[i], SW_SCAN_COL_HOSTNAME_SOURCE);
			assert_int_equal(v.len, 3);
		} else {
			assert_string_equal(res[i].hostname, "");
			assert_string_equal(res[i].hostname_source, "");
			assert_null(sw_enrich_col(&res[i], SW_SCAN_COL_HOSTNAME).p);
		}
		/* No other source in use: their columns stay empty, naics too. */
		assert_string_equal(res[i].asn, "");
		assert_string_equal(res[i].naics, "");
	}
	sw_enrich_free(e);
}

static void test_dnsmasq_names(void **state)
{
	(void)state;
	NEED_DNSMASQ();
	char name[256];
	struct sw_endpoint a = ip("2001:db8:5c::7");
	lookup_name(dnsmasq_server, &a, name, sizeof(name));
	assert_string_equal(name, "v6-host.example.net");
	a = ip("2001:db8:5c::8");
	lookup_name(dnsmasq_server, &a, name, sizeof(name));
	assert_string_equal(name, "");
	a = ip("198.18.2.9");
	lookup_name(dnsmasq_server, &a, name, sizeof(name));
	assert_string_equal(name, "a-rather-long-label-for-a-host.sub.example.org");
}

/* The rdns layer's own event-loop interface, driven by hand. */
struct rd {
	int calls;
	enum sw_rdns_status st;
	char name[SW_RDNS_NAME_MAX];
};

static void on_rd(void *ctx, enum sw_rdns_status st, const char *name)
{
	struct rd *r = ctx;
	r->calls++;
	r->st = st;
	snprintf(r->name, sizeof(r->name), "%s", name);
}

static void test_rdns_event_loop(void **state)
{
	(void)state;
	NEED_DNSMASQ();
	struct sw_rdns_opts o = {dnsmasq_server, 2, 2000};
	struct sw_rdns *r = NULL;
	char err[256];
	assert_int_equal(sw_rdns_new(&o, &r, err, sizeof(err)), 0);
	struct rd a = {0}, b = {0}, c = {0};
	struct sw_endpoint x = v4(198, 18, 1, 5), y = v4(198, 18, 1, 250);
	assert_int_equal(sw_rdns_query(r, &x, on_rd, &a), 0);
	assert_int_equal(sw_rdns_query(r, &y, on_rd, &b), 0);
	assert_int_equal(sw_rdns_query(r, &x, on_rd, &c), SW_E_LIMIT); /* two slots */
	assert_int_equal(sw_rdns_free_slots(r), 0);
	assert_int_equal(sw_rdns_waiting(r), 2);
	/* Callbacks never run inside sw_rdns_query(). */
	assert_int_equal(a.calls + b.calls, 0);
	uint64_t t0 = now_ms();
	while (sw_rdns_waiting(r) && now_ms() - t0 < 5000) {
		struct pollfd fds[16];
		size_t n = sw_rdns_pollfds(r, fds, 16);
		assert_true(n >= 1);
		int t = sw_rdns_timeout_ms(r, 1000);
		assert_true(t >= 0 && t <= 1000);
		poll(fds, n, t);
		sw_rdns_process(r, fds, n);
	}
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.st, SW_RDNS_OK);
	assert_string_equal(a.name, "host-5.example.net");
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.st, SW_RDNS_NONAME);
	assert_string_equal(b.name, "");
	assert_int_equal(sw_rdns_free_slots(r), 2);
	assert_int_equal(sw_rdns_timeout_ms(r, -1), -1);
	assert_int_equal(sw_rdns_timeout_ms(r, 250), 250);
	sw_rdns_free(r);
	sw_rdns_free(NULL);
}

/* Datagrams waiting on the black hole socket (counted and thrown away). */
static unsigned drain(int fd)
{
	char buf[1500];
	unsigned n = 0;
	while (recv(fd, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

/*
 * A server that never answers: 10 lookups through 4 slots with a 300 ms timeout. Never more
 * than 4 queries are on the wire, every lookup completes once (no name) after its timeout,
 * and the whole batch takes about three rounds of it.
 */
static void test_timeout_and_bound(void **state)
{
	(void)state;
	uint16_t port;
	int hole = udp_loopback(&port);
	assert_true(hole >= 0);
	char server[32];
	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	struct sw_enrich *e = new_enrich(server, 4, 300);
	struct sw_enrich_result res[10];
	struct seen seen[10];
	memset(seen, 0, sizeof(seen));
	uint64_t t0 = now_ms();
	for (unsigned i = 0; i < 10; i++) {
		struct sw_endpoint a = v4(198, 18, 1, i);
		assert_int_equal(sw_enrich_start(e, &a, &res[i], on_done, &seen[i]), 0);
	}
	/* c-ares sends as a query starts: exactly 4 are out, 6 wait for a slot. */
	assert_int_equal(drain(hole), 4);
	assert_int_equal(sw_enrich_pending(e), 10);
	unsigned total = 4;
	while (sw_enrich_pending(e) && now_ms() - t0 < 5000) {
		sw_enrich_run(e, 50);
		total += drain(hole);
	}
	uint64_t took = now_ms() - t0;
	assert_int_equal(sw_enrich_pending(e), 0);
	total += drain(hole);
	assert_int_equal(total, 10); /* one try per query: no retransmissions */
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(seen[i].done, 1);
		assert_string_equal(res[i].hostname, "");
		assert_true(seen[i].at_ms - t0 >= 290);
	}
	/* Rounds of 4, 4, 2: about 900 ms; under the 3 s of 10 x 300 ms one after the other. */
	assert_true(took >= 850);
	assert_true(took < 2800);
	sw_enrich_free(e);
	close(hole);
}

/* Cancel and free complete what is pending at once, exactly once each. */
static void test_cancel_and_free(void **state)
{
	(void)state;
	uint16_t port;
	int hole = udp_loopback(&port);
	assert_true(hole >= 0);
	char server[32];
	snprintf(server, sizeof(server), "127.0.0.1:%u", port);
	struct sw_enrich *e = new_enrich(server, 2, 5000);
	struct sw_enrich_result res[6];
	struct seen seen[6];
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < 3; i++) {
		struct sw_endpoint a = v4(198, 18, 1, i);
		assert_int_equal(sw_enrich_start(e, &a, &res[i], on_done, &seen[i]), 0);
	}
	uint64_t t0 = now_ms();
	sw_enrich_cancel(e);
	assert_true(now_ms() - t0 < 100);
	assert_int_equal(sw_enrich_pending(e), 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(seen[i].done, 1);
		assert_string_equal(res[i].hostname, "");
	}
	/* Later lookups still work; freeing completes them too. */
	for (unsigned i = 3; i < 6; i++) {
		struct sw_endpoint a = v4(198, 18, 1, i);
		assert_int_equal(sw_enrich_start(e, &a, &res[i], on_done, &seen[i]), 0);
	}
	assert_int_equal(sw_enrich_pending(e), 3);
	sw_enrich_free(e);
	for (unsigned i = 3; i < 6; i++)
		assert_int_equal(seen[i].done, 1);
	close(hole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qname),           cmocka_unit_test(test_parse_server),
		cmocka_unit_test(test_dnsmasq_batch),   cmocka_unit_test(test_dnsmasq_names),
		cmocka_unit_test(test_rdns_event_loop), cmocka_unit_test(test_timeout_and_bound),
		cmocka_unit_test(test_cancel_and_free),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
