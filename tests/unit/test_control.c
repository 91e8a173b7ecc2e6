/*
 * Tests of the control socket (shield/control): request parsing, every verb over a real Unix
 * socket in a temporary directory (server in a thread, the real client), malformed and
 * over-long requests, a client that sends nothing, file modes and owners, stale and live
 * sockets, and the client's messages when no daemon runs or the socket is closed to it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "shield/control.h"

static char tmpdir[64];
static char sock_path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sw_ctl_XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/run/ctl.sock", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "%s/run/ctl.sock", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/run", tmpdir);
	rmdir(cmd);
	snprintf(cmd, sizeof(cmd), "%s/file", tmpdir);
	unlink(cmd);
	return rmdir(tmpdir);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- parsing ---- */

static void test_parse(void **state)
{
	(void)state;
	struct sw_control_req r;
	char err[256];
	assert_int_equal(sw_control_parse("status\n", 7, &r, err, sizeof(err)), 0);
	assert_int_equal(r.op, SW_CTL_STATUS);
	assert_int_equal(sw_control_parse("  list \r\n", 9, &r, err, sizeof(err)), 0);
	assert_int_equal(r.op, SW_CTL_LIST);
	assert_int_equal(sw_control_parse("version", 7, &r, err, sizeof(err)), 0);
	assert_int_equal(r.op, SW_CTL_VERSION);

	const char *b = "block 192.0.2.7/24 3600";
	assert_int_equal(sw_control_parse(b, strlen(b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.op, SW_CTL_BLOCK);
	assert_int_equal(r.addr.family, AF_INET);
	assert_memory_equal(r.addr.addr, "\xc0\x00\x02\x00", 4); /* host bits cleared */
	assert_int_equal(r.plen, 24);
	assert_int_equal(r.seconds, 3600);
	assert_int_equal(r.peer_pid, -1);

	b = "block\t10.1.2.3";
	assert_int_equal(sw_control_parse(b, strlen(b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.plen, 32);
	assert_int_equal(r.seconds, 0);

	b = "unblock 2001:db8::1";
	assert_int_equal(sw_control_parse(b, strlen(b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.op, SW_CTL_UNBLOCK);
	assert_int_equal(r.addr.family, AF_INET6);
	assert_int_equal(r.plen, 128);
	b = "unblock 2001:db8:1:2::/64";
	assert_int_equal(sw_control_parse(b, strlen(b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.plen, 64);
	b = "block 0.0.0.0/0 5";
	assert_int_equal(sw_control_parse(b, strlen(b), &r, err, sizeof(err)), 0);
	assert_int_equal(r.plen, 0);

	/* not the length but the content of a line: no NUL needed, bytes after len ignored */
	assert_int_equal(sw_control_parse("statusXYZ", 6, &r, err, sizeof(err)), 0);
	assert_int_equal(r.op, SW_CTL_STATUS);
}

static void expect_parse_error(const char *line, int code, const char *words)
{
	struct sw_control_req r;
	char err[256] = "";
	assert_int_equal(sw_control_parse(line, strlen(line), &r, err, sizeof(err)), code);
	if (!strstr(err, words))
		fail_msg("'%s': message '%s' lacks '%s'", line, err, words);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("", SW_E_SYNTAX, "empty request");
	expect_parse_error("  \r\n", SW_E_SYNTAX, "empty request");
	expect_parse_error("frobnicate", SW_E_SYNTAX, "unknown request 'frobnicate'");
	expect_parse_error("STATUS", SW_E_SYNTAX, "unknown request");
	expect_parse_error("status now", SW_E_SYNTAX, "usage: status");
	expect_parse_error("block", SW_E_SYNTAX, "usage: block ADDR[/PLEN] [SECONDS]");
	expect_parse_error("unblock 1.2.3.4 5", SW_E_SYNTAX, "usage: unblock");
	expect_parse_error("block 1.2.3.4 5 6 7 8", SW_E_SYNTAX, "too many words");
	expect_parse_error("block 1.2.3.300", SW_E_ADDR, "1.2.3.300");
	expect_parse_error("block 10.0.0.0/33", SW_E_ADDR, "prefix length");
	expect_parse_error("block 10.0.0.1-10.0.0.9", SW_E_ADDR, "is a range");
	expect_parse_error("block example.com", SW_E_ADDR, "example.com");
	expect_parse_error("block 1.2.3.4 -5", SW_E_SYNTAX, "not a number");
	expect_parse_error("block 1.2.3.4 12abc", SW_E_SYNTAX, "not a number");
	expect_parse_error("block 1.2.3.4 99999999999", SW_E_RANGE, "ten years");
	expect_parse_error("block 1.2.3.4 99999999999999999999999", SW_E_SYNTAX, "not a number");
	expect_parse_error("list\x01", SW_E_SYNTAX, "control character");
	expect_parse_error("list \x1b[2J", SW_E_SYNTAX, "control character");
	expect_parse_error("status\x07", SW_E_SYNTAX, "control character");
}

/* ---- a daemon in a thread ---- */

struct daemon {
	struct sw_control *srv;
	pthread_t thread;
	atomic_int stop;
	pthread_mutex_t mu;
	struct sw_control_req last;
	int calls;
	int served_err;
};

static int handler(void *arg, const struct sw_control_req *req, FILE *out, char *err, size_t errlen)
{
	struct daemon *d = arg;
	pthread_mutex_lock(&d->mu);
	d->last = *req;
	d->calls++;
	pthread_mutex_unlock(&d->mu);
	char a[SW_ADDR_STRLEN];
	switch (req->op) {
	case SW_CTL_STATUS:
		fprintf(out, "state running\nsources 3\nok\n"); /* a line "ok" inside a reply */
		return 0;
	case SW_CTL_LIST:
		fprintf(out, "192.0.2.0/24 denied 60 s fingerprint\n2001:db8::/64 denied");
		return 0; /* no final newline: the server must still end the line */
	case SW_CTL_BLOCK:
		sw_addr_format(&req->addr, a, sizeof(a));
		fprintf(out, "blocked %s/%u for %llu s\n", a, req->plen,
			(unsigned long long)req->seconds);
		return 0;
	case SW_CTL_UNBLOCK:
		sw_addr_format(&req->addr, a, sizeof(a));
		fprintf(out, "looked for %s\n", a);
		snprintf(err, errlen, "%s/%u is not denied\n(second line)", a, req->plen);
		return SW_E_INVAL;
	case SW_CTL_VERSION:
		break;
	}
	return SW_E_INVAL; /* no message: the server uses sw_strerror */
}

static void *serve(void *arg)
{
	struct daemon *d = arg;
	while (!atomic_load(&d->stop)) {
		struct pollfd p = {.fd = sw_control_fd(d->srv), .events = POLLIN};
		if (poll(&p, 1, 50) > 0) {
			char err[256];
			if (sw_control_serve_one(d->srv, handler, d, err, sizeof(err)) != 0)
				d->served_err++;
		}
	}
	return NULL;
}

static void daemon_start(struct daemon *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	char err[256] = "";
	int rc = sw_control_listen(sock_path, "", &d->srv, err, sizeof(err));
	if (rc)
		fail_msg("listen: %s", err);
	assert_int_equal(pthread_create(&d->thread, NULL, serve, d), 0);
}

static void daemon_stop(struct daemon *d)
{
	atomic_store(&d->stop, 1);
	pthread_join(d->thread, NULL);
	assert_int_equal(d->served_err, 0);
	sw_control_close(d->srv);
	pthread_mutex_destroy(&d->mu);
}

/* Call and capture the output lines. */
static int call(const char *req, char *out, size_t outlen, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	err[0] = '\0';
	int rc = sw_control_call(sock_path, req, f, 5000, err, errlen);
	fclose(f);
	snprintf(out, outlen, "%s", buf);
	free(buf);
	return rc;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct daemon d;
	daemon_start(&d);
	char out[1024], err[256];

	assert_int_equal(call("status", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "state running\nsources 3\nok\n");
	assert_int_equal(d.last.op, SW_CTL_STATUS);
	assert_int_equal(d.last.peer_pid, getpid());
	assert_int_equal(d.last.peer_uid, geteuid());
	assert_int_equal(d.last.peer_gid, getegid());

	assert_int_equal(call("list", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "192.0.2.0/24 denied 60 s fingerprint\n2001:db8::/64 denied\n");

	assert_int_equal(call("block 198.51.100.77/24 600", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "blocked 198.51.100.0/24 for 600 s\n");
	assert_int_equal(d.last.op, SW_CTL_BLOCK);
	assert_int_equal(d.last.seconds, 600);

	assert_int_equal(call("block 2001:db8::5", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "blocked 2001:db8::5/128 for 0 s\n");

	assert_int_equal(call("unblock 203.0.113.9", out, sizeof(out), err, sizeof(err)),
			 SW_E_INVAL);
	assert_string_equal(out, "looked for 203.0.113.9\n");
	assert_string_equal(err, "203.0.113.9/32 is not denied (second line)");

	int calls = d.calls;
	assert_int_equal(call("version", out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "sipwarden-control 1\n");
	assert_int_equal(d.calls, calls); /* answered by the server, not the handler */

	/* malformed requests never reach the handler and come back as errors */
	assert_int_equal(call("frobnicate now", out, sizeof(out), err, sizeof(err)), SW_E_INVAL);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "unknown request 'frobnicate'"));
	assert_int_equal(call("block 1.2.3.300", out, sizeof(out), err, sizeof(err)), SW_E_INVAL);
	assert_non_null(strstr(err, "1.2.3.300"));
	assert_int_equal(call("", out, sizeof(out), err, sizeof(err)), SW_E_INVAL);
	assert_string_equal(err, "empty request");
	assert_int_equal(d.calls, calls);

	/* the client refuses what it cannot send as one line */
	char big[SW_CONTROL_LINE_MAX + 10];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(call(big, out, sizeof(out), err, sizeof(err)), SW_E_LIMIT);
	assert_int_equal(call("status\nlist", out, sizeof(out), err, sizeof(err)), SW_E_LIMIT);
	daemon_stop(&d);
}

/* A raw client: connect, send bytes (maybe none), read the whole reply. */
static int raw_connect(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void raw_reply(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	while (n + 1 < len && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
}

static void test_overlong_request(void **state)
{
	(void)state;
	struct daemon d;
	daemon_start(&d);
	int fd = raw_connect();
	char big[4000];
	memset(big, 'x', sizeof(big));
	/* the server reads the first 513 bytes; the rest may meet a closed socket */
	(void)!send(fd, big, sizeof(big), MSG_NOSIGNAL);
	char reply[256];
	raw_reply(fd, reply, sizeof(reply));
	close(fd);
	assert_string_equal(reply, "error: request longer than 512 bytes\n");

	/* exactly the limit is fine: a 512-byte line of spaces around "status" */
	fd = raw_connect();
	char line[SW_CONTROL_LINE_MAX + 1];
	memset(line, ' ', sizeof(line));
	memcpy(line + 100, "status", 6);
	line[SW_CONTROL_LINE_MAX] = '\n';
	assert_int_equal(send(fd, line, sizeof(line), MSG_NOSIGNAL), (ssize_t)sizeof(line));
	raw_reply(fd, reply, sizeof(reply));
	close(fd);
	assert_string_equal(reply, "state running\nsources 3\nok\nok\n");

	/* a request without '\n' but with the write side shut is read to its end */
	fd = raw_connect();
	assert_int_equal(send(fd, "version", 7, MSG_NOSIGNAL), 7);
	shutdown(fd, SHUT_WR);
	raw_reply(fd, reply, sizeof(reply));
	close(fd);
	assert_string_equal(reply, "sipwarden-control 1\nok\n");

	/* NUL bytes and binary junk */
	fd = raw_connect();
	assert_int_equal(send(fd, "st\0tus\n", 7, MSG_NOSIGNAL), 7);
	raw_reply(fd, reply, sizeof(reply));
	close(fd);
	assert_non_null(strstr(reply, "error: "));
	daemon_stop(&d);
}

static void test_silent_client(void **state)
{
	(void)state;
	struct sw_control *srv;
	char err[256] = "";
	assert_int_equal(sw_control_listen(sock_path, NULL, &srv, err, sizeof(err)), 0);
	/* nothing waiting: returns at once */
	uint64_t t0 = mono_ms();
	assert_int_equal(sw_control_serve_one(srv, handler, NULL, err, sizeof(err)), 0);
	assert_true(mono_ms() - t0 < 100);

	int fd = raw_connect(); /* connects, sends nothing, keeps the connection open */
	t0 = mono_ms();
	assert_int_equal(sw_control_serve_one(srv, handler, NULL, err, sizeof(err)), 0);
	uint64_t took = mono_ms() - t0;
	if (took < SW_CONTROL_READ_MS - 50 || took > SW_CONTROL_READ_MS + 500)
		fail_msg("serve_one took %llu ms for a silent client", (unsigned long long)took);
	char reply[256];
	raw_reply(fd, reply, sizeof(reply));
	close(fd);
	assert_string_equal(reply, "error: no request line within 1000 ms\n");

	/* a client that leaves at once costs nothing either */
	fd = raw_connect();
	close(fd);
	t0 = mono_ms();
	assert_int_equal(sw_control_serve_one(srv, handler, NULL, err, sizeof(err)), 0);
	assert_true(mono_ms() - t0 < 500);
	sw_control_close(srv);
	struct stat st;
	assert_int_equal(lstat(sock_path, &st), -1); /* close removed the file */
}

static void test_modes(void **state)
{
	(void)state;
	struct sw_control *srv;
	char err[256] = "";
	struct stat st;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	assert_int_equal(lstat(dir, &st), -1); /* the parent does not exist yet */

	mode_t old = umask(0);
	int rc = sw_control_listen(sock_path, "", &srv, err, sizeof(err));
	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	sw_control_close(srv);

	/* a group: 0660 and that group (one the caller is not in, when root may choose) */
	const char *gname = NULL;
	struct group *g = geteuid() == 0 ? getgrnam("nogroup") : NULL;
	if (!g)
		g = getgrgid(getegid());
	assert_non_null(g);
	gname = g->gr_name;
	gid_t gid = g->gr_gid;
	assert_int_equal(sw_control_listen(sock_path, gname, &srv, err, sizeof(err)), 0);
	assert_int_equal(lstat(sock_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, gid);
	sw_control_close(srv);

	rc = sw_control_listen(sock_path, "no-such-group-sw", &srv, err, sizeof(err));
	assert_int_equal(rc, SW_E_INVAL);
	assert_string_equal(err, "control-group 'no-such-group-sw': no such group");
	assert_int_equal(lstat(sock_path, &st), -1);

	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(sw_control_listen(longp, "", &srv, err, sizeof(err)), SW_E_INVAL);
	assert_non_null(strstr(err, "the path must be"));
}

static void test_stale_and_live(void **state)
{
	(void)state;
	char err[256] = "", dir[128];
	snprintf(dir, sizeof(dir), "%s/run", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);

	/* a stale socket: bound, then its daemon died without removing it */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	struct stat st;
	assert_int_equal(lstat(sock_path, &st), 0);

	/* the client tells the stale socket apart from a missing one */
	char out[64];
	assert_int_equal(call("status", out, sizeof(out), err, sizeof(err)), SW_E_IO);
	assert_non_null(strstr(err, "no shield running"));
	assert_non_null(strstr(err, "nobody listens"));

	struct sw_control *a, *b;
	assert_int_equal(sw_control_listen(sock_path, "", &a, err, sizeof(err)), 0);
	/* a live one is left alone */
	assert_int_equal(sw_control_listen(sock_path, "", &b, err, sizeof(err)), SW_E_IO);
	char want[256];
	snprintf(want, sizeof(want), "another shield is running on %s", sock_path);
	assert_string_equal(err, want);
	assert_int_equal(lstat(sock_path, &st), 0); /* still there */
	/* and it still answers */
	struct daemon d;
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.mu, NULL);
	d.srv = a;
	assert_int_equal(pthread_create(&d.thread, NULL, serve, &d), 0);
	assert_int_equal(call("version", out, sizeof(out), err, sizeof(err)), 0);
	daemon_stop(&d);

	/* no socket at all */
	assert_int_equal(call("status", out, sizeof(out), err, sizeof(err)), SW_E_IO);
	snprintf(want, sizeof(want), "no shield running (%s: no such file)", sock_path);
	assert_string_equal(err, want);

	/* something else in its place is never removed */
	char file[128];
	snprintf(file, sizeof(file), "%s/file", tmpdir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sw_control_listen(file, "", &b, err, sizeof(err)), SW_E_IO);
	assert_non_null(strstr(err, "is not a socket"));
	assert_int_equal(lstat(file, &st), 0);
}

/* A client without permission: run as nobody in a child (needs root to switch user). */
static void test_permission_denied(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
		return;
	}
	assert_int_equal(chmod(tmpdir, 0755), 0);
	struct daemon d;
	daemon_start(&d);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		char err[256] = "";
		int rc = sw_control_call(sock_path, "status", NULL, 2000, err, sizeof(err));
		char want[256];
		snprintf(want, sizeof(want),
			 "permission denied on %s: run as root or as a member of the "
			 "control-group",
			 sock_path);
		_exit(rc == SW_E_IO && strcmp(err, want) == 0 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(d.calls, 0);
	daemon_stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_and_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
