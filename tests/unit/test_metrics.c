/*
 * Tests of the metrics endpoint and its text writer (shield/metrics, shield/prom): exact
 * exposition text, escaping of label values and help, sticky errors and the size cap, the
 * latency histogram (bucket edges, merging, cumulative output whose +Inf equals _count, several
 * threads observing at once), and real HTTP over loopback with a raw socket: /metrics, 404, 405,
 * HEAD, a failing fill, a port already in use, and the port free again after stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "shield/metrics.h"
#include "shield/prom.h"

/* ---- the text writer ---- */

static void test_prom_text(void **state)
{
	(void)state;
	struct sw_prom p;
	sw_prom_init(&p, 0);
	assert_string_equal(sw_prom_text(&p), "");
	sw_prom_family(&p, "sipwarden_messages_total", SW_PROM_COUNTER,
		       "Messages judged, by verdict and reason.");
	sw_prom_sample(&p, "sipwarden_messages_total", "verdict=\"drop\",reason=\"acl\"", 12);
	sw_prom_samplev(&p, "sipwarden_messages_total", 3, "verdict", "accept", "reason", "none",
			NULL);
	sw_prom_family(&p, "sipwarden_denied", SW_PROM_GAUGE, "back\\slash and\nnewline");
	sw_prom_sample(&p, "sipwarden_denied", NULL, 0.5);
	sw_prom_sample(&p, "sipwarden_denied", "", -2);
	sw_prom_sample(&p, "x", NULL, 1e20);
	sw_prom_sample(&p, "x", NULL, 0.0 / 0.0);
	sw_prom_sample(&p, "x", NULL, 1.0 / 0.0);
	sw_prom_sample(&p, "x", NULL, -1.0 / 0.0);
	sw_prom_sample(&p, "x", NULL, 18446744073709551615.0);
	assert_int_equal(sw_prom_error(&p), 0);
	assert_string_equal(
		sw_prom_text(&p),
		"# HELP sipwarden_messages_total Messages judged, by verdict and reason.\n"
		"# TYPE sipwarden_messages_total counter\n"
		"sipwarden_messages_total{verdict=\"drop\",reason=\"acl\"} 12\n"
		"sipwarden_messages_total{verdict=\"accept\",reason=\"none\"} 3\n"
		"# HELP sipwarden_denied back\\\\slash and\\nnewline\n"
		"# TYPE sipwarden_denied gauge\n"
		"sipwarden_denied 0.5\n"
		"sipwarden_denied -2\n"
		"x 1e+20\n"
		"x NaN\n"
		"x +Inf\n"
		"x -Inf\n"
		"x 1.8446744073709552e+19\n");
	assert_int_equal(sw_prom_len(&p), strlen(sw_prom_text(&p)));
	sw_prom_reset(&p);
	assert_string_equal(sw_prom_text(&p), "");
	sw_prom_free(&p);
}

static void test_prom_escaping(void **state)
{
	(void)state;
	struct sw_prom p;
	sw_prom_init(&p, 0);
	/* a rule id and a realm name as hostile as a config may make them */
	sw_prom_samplev(&p, "sipwarden_rule_hits_total", 7, "rule", "sipvicious\"}\nx 1", "realm",
			"a\\b", NULL);
	assert_int_equal(sw_prom_error(&p), 0);
	assert_string_equal(sw_prom_text(&p),
			    "sipwarden_rule_hits_total{rule=\"sipvicious\\\"}\\nx 1\","
			    "realm=\"a\\\\b\"} 7\n");

	char buf[64];
	const char *names[] = {"a", "b"}, *values[] = {"\"", ""};
	assert_int_equal(sw_prom_labels(buf, sizeof(buf), 2, names, values), 11);
	assert_string_equal(buf, "a=\"\\\"\",b=\"\"");
	/* too small, exactly, and one byte more */
	assert_int_equal(sw_prom_labels(buf, 11, 2, names, values), SW_E_LIMIT);
	assert_int_equal(sw_prom_labels(buf, 12, 2, names, values), 11);
	const char *bad[] = {"1a"};
	assert_int_equal(sw_prom_labels(buf, sizeof(buf), 1, bad, values), SW_E_INVAL);
	sw_prom_free(&p);
}

static void test_prom_errors(void **state)
{
	(void)state;
	assert_true(sw_prom_metric_name_ok("a:b_c9"));
	assert_false(sw_prom_metric_name_ok("9a"));
	assert_false(sw_prom_metric_name_ok("a-b"));
	assert_false(sw_prom_metric_name_ok(""));
	assert_true(sw_prom_label_name_ok("le"));
	assert_false(sw_prom_label_name_ok("a:b"));
	assert_false(sw_prom_label_name_ok("__name__"));

	struct sw_prom p;
	sw_prom_init(&p, 0);
	assert_int_equal(sw_prom_sample(&p, "bad-name", NULL, 1), SW_E_INVAL);
	/* sticky: later good calls do nothing */
	assert_int_equal(sw_prom_sample(&p, "good", NULL, 1), SW_E_INVAL);
	assert_string_equal(sw_prom_text(&p), "");
	sw_prom_reset(&p);
	assert_int_equal(sw_prom_family(&p, "good", (enum sw_prom_type)42, "x"), SW_E_INVAL);
	sw_prom_reset(&p);
	assert_int_equal(sw_prom_samplev(&p, "good", 1, "bad label", "v", NULL), SW_E_INVAL);
	sw_prom_free(&p);

	/* the cap holds: 100 bytes, lines of 8 */
	sw_prom_init(&p, 100);
	int rc = 0, lines = 0;
	while (rc == 0 && lines < 1000) {
		rc = sw_prom_sample(&p, "abcde", NULL, 1);
		lines++;
	}
	assert_int_equal(rc, SW_E_LIMIT);
	assert_true(sw_prom_len(&p) <= 100);
	assert_int_equal(sw_prom_len(&p) % 8, 0); /* no line written in part */
	sw_prom_free(&p);
}

/* ---- the histogram ---- */

/* Check the printed histogram and return its _count. */
static uint64_t check_hist_text(const char *text, const char *name, double *ret_sum)
{
	char bucket[128], sum[128], count[128];
	snprintf(bucket, sizeof(bucket), "%s_bucket{", name);
	snprintf(sum, sizeof(sum), "%s_sum ", name);
	snprintf(count, sizeof(count), "%s_count ", name);
	uint64_t prev = 0, inf = UINT64_MAX, cnt = UINT64_MAX;
	double prev_le = 0;
	int nb = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		assert_non_null(nl);
		if (strncmp(l, bucket, strlen(bucket)) == 0) {
			const char *le = strstr(l, "le=\"");
			assert_non_null(le);
			le += 4;
			unsigned long long v = strtoull(strchr(le, '}') + 2, NULL, 10);
			assert_true(v >= prev); /* cumulative */
			prev = v;
			if (strncmp(le, "+Inf\"", 5) == 0) {
				inf = v;
			} else {
				double b = strtod(le, NULL);
				assert_true(b > prev_le); /* increasing bounds */
				prev_le = b;
			}
			nb++;
		} else if (strncmp(l, sum, strlen(sum)) == 0) {
			*ret_sum = strtod(l + strlen(sum), NULL);
		} else if (strncmp(l, count, strlen(count)) == 0) {
			cnt = strtoull(l + strlen(count), NULL, 10);
		}
		l = nl + 1;
	}
	assert_int_equal(nb, SW_LAT_NBOUNDS + 1);
	assert_int_equal(inf, cnt);
	return cnt;
}

static void test_histogram(void **state)
{
	(void)state;
	struct sw_lat_hist a, b;
	sw_lat_hist_init(&a);
	sw_lat_hist_init(&b);
	sw_lat_observe(&a, 0);
	sw_lat_observe(&a, 5000);          /* on the first bound: in it (le is "less or equal") */
	sw_lat_observe(&a, 5001);          /* just past it */
	sw_lat_observe(&b, 1000000);       /* 1 ms */
	sw_lat_observe(&b, 3000000000ull); /* 3 s: only in +Inf */
	struct sw_lat_snap s = {0};
	sw_lat_snap_add(&s, &a);
	sw_lat_snap_add(&s, &b);
	assert_int_equal(s.bucket[0], 2);
	assert_int_equal(s.bucket[1], 1);
	assert_int_equal(s.bucket[7], 1);
	assert_int_equal(s.bucket[SW_LAT_NBOUNDS], 1);
	assert_int_equal(s.sum_ns, 0 + 5000 + 5001 + 1000000 + 3000000000ull);

	struct sw_prom p;
	sw_prom_init(&p, 0);
	sw_prom_family(&p, "sipwarden_verdict_latency_seconds", SW_PROM_HISTOGRAM,
		       "Time from packet to verdict.");
	sw_prom_lat_hist(&p, "sipwarden_verdict_latency_seconds", "worker=\"all\"", &s);
	assert_int_equal(sw_prom_error(&p), 0);
	const char *t = sw_prom_text(&p);
	assert_non_null(strstr(t, "# TYPE sipwarden_verdict_latency_seconds histogram\n"));
	assert_non_null(strstr(
		t, "sipwarden_verdict_latency_seconds_bucket{worker=\"all\",le=\"0.000005\"} 2\n"));
	assert_non_null(strstr(
		t, "sipwarden_verdict_latency_seconds_bucket{worker=\"all\",le=\"0.00001\"} 3\n"));
	assert_non_null(strstr(
		t, "sipwarden_verdict_latency_seconds_bucket{worker=\"all\",le=\"0.001\"} 4\n"));
	assert_non_null(strstr(
		t, "sipwarden_verdict_latency_seconds_bucket{worker=\"all\",le=\"0.1\"} 4\n"));
	assert_non_null(strstr(
		t, "sipwarden_verdict_latency_seconds_bucket{worker=\"all\",le=\"+Inf\"} 5\n"));
	assert_non_null(strstr(t, "sipwarden_verdict_latency_seconds_count{worker=\"all\"} 5\n"));
	assert_non_null(
		strstr(t, "sipwarden_verdict_latency_seconds_sum{worker=\"all\"} 3.001010001\n"));

	/* without labels */
	sw_prom_reset(&p);
	sw_prom_lat_hist(&p, "lat", NULL, &s);
	double sum = 0;
	assert_int_equal(check_hist_text(sw_prom_text(&p), "lat", &sum), 5);
	assert_non_null(strstr(sw_prom_text(&p), "lat_bucket{le=\"0.000025\"} 3\n"));
	assert_non_null(strstr(sw_prom_text(&p), "lat_count 5\n"));
	sw_prom_free(&p);
}

struct worker {
	struct sw_lat_hist h;
	unsigned seed;
};

enum { PER_THREAD = 200000, THREADS = 4 };

static void *observe_many(void *arg)
{
	struct worker *w = arg;
	unsigned x = w->seed;
	for (unsigned i = 0; i < PER_THREAD; i++) {
		x = x * 1103515245u + 12345u;
		sw_lat_observe(&w->h, (x >> 8) % 200000000u); /* 0-200 ms */
	}
	return NULL;
}

/* Workers observe while scrapes run: every scrape is consistent, the last one complete. */
static void test_histogram_threads(void **state)
{
	(void)state;
	struct worker w[THREADS];
	pthread_t t[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		sw_lat_hist_init(&w[i].h);
		w[i].seed = i + 1;
		assert_int_equal(pthread_create(&t[i], NULL, observe_many, &w[i]), 0);
	}
	struct sw_prom p;
	sw_prom_init(&p, 0);
	uint64_t last = 0;
	for (int k = 0; k < 50; k++) {
		struct sw_lat_snap s = {0};
		for (unsigned i = 0; i < THREADS; i++)
			sw_lat_snap_add(&s, &w[i].h);
		sw_prom_reset(&p);
		sw_prom_lat_hist(&p, "lat", NULL, &s);
		double sum;
		uint64_t c = check_hist_text(sw_prom_text(&p), "lat", &sum);
		assert_true(c >= last);
		last = c;
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	struct sw_lat_snap s = {0};
	for (unsigned i = 0; i < THREADS; i++)
		sw_lat_snap_add(&s, &w[i].h);
	sw_prom_reset(&p);
	sw_prom_lat_hist(&p, "lat", NULL, &s);
	double sum;
	assert_int_equal(check_hist_text(sw_prom_text(&p), "lat", &sum),
			 (uint64_t)PER_THREAD * THREADS);
	assert_true(sum > 0);
	sw_prom_free(&p);
}

/* ---- HTTP ---- */

static int fill_calls;

static int fill(void *arg, struct sw_prom *out)
{
	(void)arg;
	fill_calls++;
	sw_prom_family(out, "sipwarden_up", SW_PROM_GAUGE, "Whether the shield runs.");
	sw_prom_samplev(out, "sipwarden_up", 1, "realm", "a\"b", NULL);
	return 0;
}

static int fill_fails(void *arg, struct sw_prom *out)
{
	(void)arg;
	(void)out;
	return SW_E_IO;
}

static int fill_bad_name(void *arg, struct sw_prom *out)
{
	(void)arg;
	sw_prom_sample(out, "not a name", NULL, 1);
	return 0;
}

/* Send a raw request to 127.0.0.1:port and read the whole answer (HTTP/1.0: the server closes). */
static char *http(int family, uint16_t port, const char *request)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int rc;
	if (family == AF_INET) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = connect(fd, (struct sockaddr *)&sin, sizeof(sin));
	} else {
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		sin6.sin6_addr = in6addr_loopback;
		rc = connect(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	}
	assert_int_equal(rc, 0);
	size_t rl = strlen(request);
	assert_int_equal(send(fd, request, rl, MSG_NOSIGNAL), (ssize_t)rl);
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	ssize_t r;
	while (n + 1 < cap && (r = recv(fd, buf + n, cap - 1 - n, 0)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
	return buf;
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	assert_non_null(b);
	return b + 4;
}

static void test_http(void **state)
{
	(void)state;
	struct sw_metrics *m;
	char err[256] = "";
	int rc = sw_metrics_start("127.0.0.1:0", fill, NULL, &m, err, sizeof(err));
	if (rc)
		fail_msg("start: %s", err);
	uint16_t port = sw_metrics_port(m);
	assert_true(port != 0);

	fill_calls = 0;
	char *r = http(AF_INET, port, "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_string_equal(body_of(r), "# HELP sipwarden_up Whether the shield runs.\n"
					"# TYPE sipwarden_up gauge\n"
					"sipwarden_up{realm=\"a\\\"b\"} 1\n");
	free(r);
	assert_int_equal(fill_calls, 1);

	/* a second scrape gets a fresh page, not the first one twice */
	r = http(AF_INET, port,
		 "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 200 OK\r\n", 17);
	assert_string_equal(body_of(r), "# HELP sipwarden_up Whether the shield runs.\n"
					"# TYPE sipwarden_up gauge\n"
					"sipwarden_up{realm=\"a\\\"b\"} 1\n");
	free(r);

	r = http(AF_INET, port, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 200 OK\r\n", 17);
	assert_string_equal(body_of(r), "");
	free(r);

	r = http(AF_INET, port, "GET / HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 404 ", 13);
	free(r);
	r = http(AF_INET, port, "GET /metricsx HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 404 ", 13);
	free(r);

	fill_calls = 0;
	r = http(AF_INET, port, "POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello");
	assert_memory_equal(r, "HTTP/1.1 405 ", 13);
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	r = http(AF_INET, port, "DELETE /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 405 ", 13);
	free(r);
	assert_int_equal(fill_calls, 0);

	/* garbage is refused by the HTTP parser, and the server lives on */
	r = http(AF_INET, port, "\x01\x02 nonsense\r\n\r\n");
	assert_true(strncmp(r, "HTTP/1.1 200", 12) != 0);
	free(r);
	r = http(AF_INET, port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 200 OK\r\n", 17);
	free(r);

	/* the port is taken while it runs */
	struct sw_metrics *m2;
	char listen[64], want[128];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	assert_int_equal(sw_metrics_start(listen, fill, NULL, &m2, err, sizeof(err)), SW_E_IO);
	snprintf(want, sizeof(want), "metrics-listen 127.0.0.1:%u: address in use", port);
	assert_string_equal(err, want);

	sw_metrics_stop(m);
	/* and free after stop: the listening socket was closed */
	assert_int_equal(sw_metrics_start(listen, fill, NULL, &m2, err, sizeof(err)), 0);
	assert_int_equal(sw_metrics_port(m2), port);
	sw_metrics_stop(m2);
	sw_metrics_stop(NULL);
}

static void test_http_fill_errors(void **state)
{
	(void)state;
	struct sw_metrics *m;
	char err[256] = "";
	assert_int_equal(sw_metrics_start("127.0.0.1:0", fill_fails, NULL, &m, err, sizeof(err)),
			 0);
	char *r = http(AF_INET, sw_metrics_port(m), "GET /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 500 ", 13);
	free(r);
	sw_metrics_stop(m);

	assert_int_equal(sw_metrics_start("127.0.0.1:0", fill_bad_name, NULL, &m, err, sizeof(err)),
			 0);
	r = http(AF_INET, sw_metrics_port(m), "GET /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 500 ", 13);
	assert_non_null(strstr(r, "invalid argument"));
	free(r);
	sw_metrics_stop(m);
}

static void test_http_ipv6(void **state)
{
	(void)state;
	int probe = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int ok = probe >= 0 && bind(probe, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	if (probe >= 0)
		close(probe);
	if (!ok) {
		skip(); /* no IPv6 loopback here */
		return;
	}
	struct sw_metrics *m;
	char err[256] = "";
	assert_int_equal(sw_metrics_start("[::1]:0", fill, NULL, &m, err, sizeof(err)), 0);
	char *r = http(AF_INET6, sw_metrics_port(m), "GET /metrics HTTP/1.0\r\n\r\n");
	assert_memory_equal(r, "HTTP/1.1 200 OK\r\n", 17);
	free(r);
	sw_metrics_stop(m);
}

static void test_parse_listen(void **state)
{
	(void)state;
	struct sw_endpoint ep;
	char err[256];
	assert_int_equal(sw_metrics_parse_listen("127.0.0.1:9560", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.family, AF_INET);
	assert_int_equal(ep.port, 9560);
	assert_memory_equal(ep.addr, "\x7f\x00\x00\x01", 4);
	assert_int_equal(sw_metrics_parse_listen("[::1]:9560", &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.family, AF_INET6);
	assert_int_equal(ep.addr[15], 1);
	assert_int_equal(sw_metrics_parse_listen("0.0.0.0:0", &ep, err, sizeof(err)), 0);
	const char *bad[] = {"localhost:9560",
			     "::1:9560",
			     "[::1]9560",
			     "127.0.0.1",
			     "127.0.0.1:",
			     "127.0.0.1:65536",
			     "127.0.0.1:-1",
			     "10.0.0.0/8:1",
			     "[127.0.0.1]:1",
			     "::1]:1",
			     "[::1:1",
			     ":9560",
			     "127.0.0.1:95 60",
			     "",
			     "[]:1",
			     "10.0.0.1-10.0.0.2:1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (sw_metrics_parse_listen(bad[i], &ep, err, sizeof(err)) != SW_E_ADDR)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "metrics-listen '"));
	}
	struct sw_metrics *m;
	assert_int_equal(sw_metrics_start("localhost:9560", fill, NULL, &m, err, sizeof(err)),
			 SW_E_ADDR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_text),         cmocka_unit_test(test_prom_escaping),
		cmocka_unit_test(test_prom_errors),       cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_threads), cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_fill_errors),  cmocka_unit_test(test_http_ipv6),
		cmocka_unit_test(test_parse_listen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
