#include "shield/control.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/listfile.h"
#include "net/prefix.h"

/* Longest reply line the client takes. */
#define REPLY_LINE_MAX 65536
/* Default wait of the client for a whole reply. */
#define CALL_TIMEOUT_MS 30000
/* Words in a request, at most ("block ADDR SECS"); one more to detect extras. */
#define MAX_WORDS 4

struct sw_control {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static const char *const op_names[] = {
	[SW_CTL_STATUS] = "status",   [SW_CTL_LIST] = "list",       [SW_CTL_BLOCK] = "block",
	[SW_CTL_UNBLOCK] = "unblock", [SW_CTL_VERSION] = "version",
};

const char *sw_control_op_name(enum sw_control_op op)
{
	if ((unsigned)op < sizeof(op_names) / sizeof(op_names[0]))
		return op_names[op];
	return "?";
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline, for poll (0 once it has passed). */
static int left_ms(uint64_t deadline)
{
	uint64_t now = now_ms();
	return now >= deadline ? 0 : (int)(deadline - now);
}

/* ---- request parsing ---- */

struct word {
	const char *p;
	size_t n;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int parse_seconds(const struct word *w, uint64_t *ret, char *err, size_t errlen)
{
	char q[128];
	uint64_t v = 0;
	for (size_t i = 0; i < w->n; i++) {
		if (w->p[i] < '0' || w->p[i] > '9' || w->n > 12) {
			sw_list_quote(q, sizeof(q), w->p, w->n);
			sw_errf(err, errlen, "%s is not a number of seconds", q);
			return SW_E_SYNTAX;
		}
		v = v * 10 + (uint64_t)(w->p[i] - '0');
	}
	if (v > SW_CONTROL_MAX_SECONDS) {
		sw_errf(err, errlen, "%llu seconds is more than ten years", (unsigned long long)v);
		return SW_E_RANGE;
	}
	*ret = v;
	return 0;
}

int sw_control_parse(const char *line, size_t len, struct sw_control_req *ret, char *err,
		     size_t errlen)
{
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	struct word w[MAX_WORDS];
	size_t nw = 0, i = 0;
	char q[128];
	while (i < len) {
		while (i < len && is_space(line[i]))
			i++;
		if (i == len)
			break;
		size_t s = i;
		while (i < len && !is_space(line[i]))
			i++;
		if (nw == MAX_WORDS) {
			sw_list_quote(q, sizeof(q), line, len);
			sw_errf(err, errlen, "too many words in request %s", q);
			return SW_E_SYNTAX;
		}
		w[nw++] = (struct word){line + s, i - s};
	}
	if (nw == 0) {
		sw_errf(err, errlen, "empty request");
		return SW_E_SYNTAX;
	}
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)line[k] < 0x20 && !is_space(line[k])) {
			sw_errf(err, errlen, "control character in request");
			return SW_E_SYNTAX;
		}
	struct sw_control_req r;
	memset(&r, 0, sizeof(r));
	r.peer_pid = -1;
	r.peer_uid = (uid_t)-1;
	r.peer_gid = (gid_t)-1;
	size_t op;
	for (op = 0; op < sizeof(op_names) / sizeof(op_names[0]); op++)
		if (strlen(op_names[op]) == w[0].n && memcmp(op_names[op], w[0].p, w[0].n) == 0)
			break;
	if (op == sizeof(op_names) / sizeof(op_names[0])) {
		sw_list_quote(q, sizeof(q), w[0].p, w[0].n);
		sw_errf(err, errlen,
			"unknown request %s (this shield knows status, list, block, unblock, "
			"version; protocol %d)",
			q, SW_CONTROL_VERSION);
		return SW_E_SYNTAX;
	}
	r.op = (enum sw_control_op)op;
	size_t min = 1, max = 1;
	const char *usage = op_names[op];
	if (r.op == SW_CTL_BLOCK) {
		min = 2, max = 3;
		usage = "block ADDR[/PLEN] [SECONDS]";
	} else if (r.op == SW_CTL_UNBLOCK) {
		min = 2, max = 2;
		usage = "unblock ADDR[/PLEN]";
	}
	if (nw < min || nw > max) {
		sw_errf(err, errlen, "usage: %s", usage);
		return SW_E_SYNTAX;
	}
	int rc = 0;
	if (nw >= 2)
		rc = sw_prefix_parse(w[1].p, w[1].n, &r.addr, &r.plen, err, errlen);
	if (!rc && nw == 3)
		rc = parse_seconds(&w[2], &r.seconds, err, errlen);
	if (rc)
		return rc;
	*ret = r;
	return 0;
}

/* ---- server ---- */

static int path_ok(const char *path, char *err, size_t errlen)
{
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		sw_errf(err, errlen, "control-socket '%s': the path must be 1 to %zu bytes", path,
			sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return SW_E_INVAL;
	}
	return 0;
}

static void fill_sun(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strlen(path));
}

/* The directory the socket lives in, created (0755) when missing; not its parents. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	sw_errf(err, errlen, "control-socket %s: cannot create directory %s: %s", path, dir,
		strerror(errno));
	return SW_E_IO;
}

/* Whether a daemon answers on the socket file at path (1), nobody does (0), or an error. */
static int probe_live(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	fill_sun(&sun, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sw_errf(err, errlen, "control-socket %s: socket: %s", path, strerror(errno));
		return SW_E_IO;
	}
	int rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	int e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS)
		return 1; /* accepted, or a full backlog: someone listens */
	if (e == ECONNREFUSED || e == ENOENT)
		return 0;
	sw_errf(err, errlen, "control-socket %s: cannot tell whether a shield runs there: %s", path,
		strerror(e));
	return SW_E_IO;
}

static int prepare_path(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		sw_errf(err, errlen, "control-socket %s: %s", path, strerror(errno));
		return SW_E_IO;
	}
	if (!S_ISSOCK(st.st_mode)) {
		sw_errf(err, errlen, "control-socket %s: exists and is not a socket", path);
		return SW_E_IO;
	}
	int live = probe_live(path, err, errlen);
	if (live < 0)
		return live;
	if (live) {
		sw_errf(err, errlen, "another shield is running on %s", path);
		return SW_E_IO;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		sw_errf(err, errlen, "control-socket %s: cannot remove the stale socket: %s", path,
			strerror(errno));
		return SW_E_IO;
	}
	return 0;
}

static int lookup_group(const char *group, gid_t *ret, char *err, size_t errlen)
{
	char buf[16384];
	struct group gr, *res = NULL;
	int e = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (e == 0 && res) {
		*ret = gr.gr_gid;
		return 0;
	}
	if (e == 0 || e == ENOENT || e == ESRCH)
		sw_errf(err, errlen, "control-group '%s': no such group", group);
	else
		sw_errf(err, errlen, "control-group '%s': cannot look it up: %s", group,
			strerror(e));
	return SW_E_INVAL;
}

int sw_control_listen(const char *path, const char *group, struct sw_control **ret, char *err,
		      size_t errlen)
{
	int rc = path_ok(path, err, errlen);
	if (rc)
		return rc;
	bool grouped = group && *group;
	gid_t gid = (gid_t)-1;
	if (grouped && (rc = lookup_group(group, &gid, err, errlen)))
		return rc;
	if ((rc = make_parent(path, err, errlen)) || (rc = prepare_path(path, err, errlen)))
		return rc;
	struct sw_control *c = calloc(1, sizeof(*c));
	if (!c)
		return SW_E_NOMEM;
	memcpy(c->path, path, strlen(path) + 1);
	bool bound = false;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		sw_errf(err, errlen, "control-socket %s: socket: %s", path, strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	/* Linux creates the socket file with the socket inode's mode (less the umask): set it
	 * first, so the file is never open to others, not even between bind and chmod. */
	fchmod(c->fd, 0600);
	struct sockaddr_un sun;
	fill_sun(&sun, path);
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		sw_errf(err, errlen, "control-socket %s: bind: %s", path, strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	bound = true;
	if (grouped && chown(path, (uid_t)-1, gid) != 0) {
		sw_errf(err, errlen, "control-socket %s: cannot give it to group '%s': %s", path,
			group, strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	if (chmod(path, grouped ? 0660 : 0600) != 0) {
		sw_errf(err, errlen, "control-socket %s: chmod: %s", path, strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	if (listen(c->fd, 16) != 0) {
		sw_errf(err, errlen, "control-socket %s: listen: %s", path, strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	if (bound)
		unlink(path);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}

int sw_control_fd(const struct sw_control *c)
{
	return c->fd;
}

void sw_control_close(struct sw_control *c)
{
	if (!c)
		return;
	close(c->fd);
	unlink(c->path);
	free(c);
}

/*
 * Read one line (up to '\n' or the peer's end of writing) into buf before deadline. Returns its
 * length, SW_E_LIMIT when longer than the buffer, SW_E_TRUNCATED on timeout, SW_E_IO.
 */
static int read_line(int fd, char *buf, size_t cap, uint64_t deadline)
{
	size_t n = 0;
	for (;;) {
		ssize_t r = recv(fd, buf + n, cap - n, 0);
		if (r > 0) {
			char *nl = memchr(buf + n, '\n', (size_t)r);
			n += (size_t)r;
			if (nl)
				return (int)(nl - buf);
			if (n == cap)
				return SW_E_LIMIT;
			continue;
		}
		if (r == 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return SW_E_IO;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ms = left_ms(deadline);
		if (ms == 0 || poll(&pfd, 1, ms) == 0)
			return SW_E_TRUNCATED;
	}
}

/* Send all of buf before deadline; SW_E_IO when the peer left or time ran out. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return SW_E_IO;
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int ms = left_ms(deadline);
		if (ms == 0 || poll(&pfd, 1, ms) <= 0)
			return SW_E_IO;
	}
	return 0;
}

/* The status line: "error: " and the message on one line. */
static void put_error(FILE *out, const char *msg)
{
	fputs("error: ", out);
	for (const char *m = msg; *m; m++)
		fputc(*m == '\n' || *m == '\r' ? ' ' : *m, out);
	fputc('\n', out);
}

/* The reply for one request line: handler's lines and the status, into out. */
static void answer(const char *line, int len, struct sw_control_req *peer,
		   sw_control_handler_fn handler, void *arg, FILE *out, char **reply, size_t *rlen)
{
	char msg[512] = "";
	struct sw_control_req req;
	if (len == SW_E_LIMIT) {
		snprintf(msg, sizeof(msg), "request longer than %d bytes", SW_CONTROL_LINE_MAX);
		put_error(out, msg);
		return;
	}
	if (len == SW_E_TRUNCATED) {
		snprintf(msg, sizeof(msg), "no request line within %d ms", SW_CONTROL_READ_MS);
		put_error(out, msg);
		return;
	}
	if (len < 0 || sw_control_parse(line, (size_t)len, &req, msg, sizeof(msg)) != 0) {
		put_error(out, msg[0] ? msg : "cannot read the request");
		return;
	}
	if (req.op == SW_CTL_VERSION) {
		fprintf(out, "sipwarden-control %d\nok\n", SW_CONTROL_VERSION);
		return;
	}
	req.peer_pid = peer->peer_pid;
	req.peer_uid = peer->peer_uid;
	req.peer_gid = peer->peer_gid;
	int rc = handler(arg, &req, out, msg, sizeof(msg));
	/* the status must be a line of its own, even after output without a final '\n' */
	fflush(out);
	if (*rlen > 0 && (*reply)[*rlen - 1] != '\n')
		fputc('\n', out);
	if (rc == 0)
		fputs("ok\n", out);
	else
		put_error(out, msg[0] ? msg : sw_strerror(rc));
}

int sw_control_serve_one(struct sw_control *c, sw_control_handler_fn handler, void *arg, char *err,
			 size_t errlen)
{
	int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* nothing waiting, or a connection gone before we took it: not our failure */
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED || errno == EPROTO)
			return 0;
		sw_errf(err, errlen, "control-socket %s: accept: %s", c->path, strerror(errno));
		return SW_E_IO;
	}
	struct sw_control_req peer = {.peer_pid = -1, .peer_uid = (uid_t)-1, .peer_gid = (gid_t)-1};
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0) {
		peer.peer_pid = cred.pid;
		peer.peer_uid = cred.uid;
		peer.peer_gid = cred.gid;
	}
	char line[SW_CONTROL_LINE_MAX + 1];
	uint64_t t0 = now_ms();
	int len = read_line(fd, line, sizeof(line), t0 + SW_CONTROL_READ_MS);
	if (len > SW_CONTROL_LINE_MAX)
		len = SW_E_LIMIT;

	char *reply = NULL;
	size_t rlen = 0;
	FILE *out = open_memstream(&reply, &rlen);
	if (!out) {
		close(fd);
		sw_errf(err, errlen, "control-socket %s: no memory for a reply", c->path);
		return SW_E_NOMEM;
	}
	answer(line, len, &peer, handler, arg, out, &reply, &rlen);
	fclose(out);
	send_all(fd, reply, rlen, now_ms() + SW_CONTROL_WRITE_MS);
	free(reply);
	close(fd);
	return 0;
}

/* ---- client ---- */

static int connect_daemon(const char *path, char *err, size_t errlen)
{
	int rc = path_ok(path, err, errlen);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		sw_errf(err, errlen, "socket: %s", strerror(errno));
		return SW_E_IO;
	}
	struct sockaddr_un sun;
	fill_sun(&sun, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	int e = errno;
	close(fd);
	if (e == ENOENT)
		sw_errf(err, errlen, "no shield running (%s: no such file)", path);
	else if (e == ECONNREFUSED)
		sw_errf(err, errlen, "no shield running (%s: nobody listens on the socket)", path);
	else if (e == EACCES || e == EPERM)
		sw_errf(err, errlen,
			"permission denied on %s: run as root or as a member of the control-group",
			path);
	else if (e == EAGAIN)
		sw_errf(err, errlen, "the shield on %s does not take connections (busy or hung)",
			path);
	else
		sw_errf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
	return SW_E_IO;
}

/*
 * The reply reader keeps the last complete line back: only at the end of the reply is it known
 * to be the status line, so every line before it goes to out as soon as the next one arrives.
 */
struct reply {
	char *buf; /* bytes received, not yet split into lines */
	size_t n;
	char *held; /* the last complete line, without '\n' */
	size_t held_n;
	bool have_held;
	FILE *out;
};

static void take_line(struct reply *r, const char *line, size_t n)
{
	if (r->have_held && r->out) {
		fwrite(r->held, 1, r->held_n, r->out);
		fputc('\n', r->out);
	}
	memcpy(r->held, line, n);
	r->held_n = n;
	r->have_held = true;
}

static int read_reply(int fd, struct reply *r, uint64_t deadline, const char *path, char *err,
		      size_t errlen)
{
	for (;;) {
		if (r->n == REPLY_LINE_MAX) {
			sw_errf(err, errlen, "%s: a reply line longer than %d bytes", path,
				REPLY_LINE_MAX);
			return SW_E_LIMIT;
		}
		ssize_t got = recv(fd, r->buf + r->n, REPLY_LINE_MAX - r->n, 0);
		if (got > 0) {
			r->n += (size_t)got;
			char *s = r->buf, *nl;
			while ((nl = memchr(s, '\n', r->n - (size_t)(s - r->buf)))) {
				take_line(r, s, (size_t)(nl - s));
				s = nl + 1;
			}
			r->n -= (size_t)(s - r->buf);
			memmove(r->buf, s, r->n);
			continue;
		}
		/* a daemon that closed with our request partly unread resets the connection after
		 * its reply: the end, as far as we are concerned */
		if (got == 0 || errno == ECONNRESET) {
			if (r->n) /* a last line without its '\n' */
				take_line(r, r->buf, r->n);
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			sw_errf(err, errlen, "%s: reading the reply: %s", path, strerror(errno));
			return SW_E_IO;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ms = left_ms(deadline);
		if (ms == 0 || poll(&pfd, 1, ms) == 0) {
			sw_errf(err, errlen, "%s: no complete reply from the shield in time", path);
			return SW_E_IO;
		}
	}
}

int sw_control_call(const char *path, const char *request, FILE *out, unsigned timeout_ms,
		    char *err, size_t errlen)
{
	size_t qlen = strlen(request);
	if (qlen > SW_CONTROL_LINE_MAX || memchr(request, '\n', qlen)) {
		sw_errf(err, errlen, "the request must be one line of at most %d bytes",
			SW_CONTROL_LINE_MAX);
		return SW_E_LIMIT;
	}
	uint64_t deadline = now_ms() + (timeout_ms ? timeout_ms : CALL_TIMEOUT_MS);
	int fd = connect_daemon(path, err, errlen);
	if (fd < 0)
		return fd;
	int rc;
	struct reply r = {.out = out};
	char line[SW_CONTROL_LINE_MAX + 2];
	memcpy(line, request, qlen);
	line[qlen] = '\n';
	r.buf = malloc(REPLY_LINE_MAX);
	r.held = malloc(REPLY_LINE_MAX);
	if (!r.buf || !r.held) {
		rc = SW_E_NOMEM;
		goto done;
	}
	if (send_all(fd, line, qlen + 1, deadline) != 0) {
		sw_errf(err, errlen, "%s: cannot send the request: %s", path, strerror(errno));
		rc = SW_E_IO;
		goto done;
	}
	shutdown(fd, SHUT_WR);
	if ((rc = read_reply(fd, &r, deadline, path, err, errlen)))
		goto done;
	if (r.held_n && r.held[r.held_n - 1] == '\r')
		r.held_n--;
	if (r.have_held && r.held_n == 2 && memcmp(r.held, "ok", 2) == 0) {
		rc = 0;
	} else if (r.have_held && r.held_n >= 6 && memcmp(r.held, "error:", 6) == 0) {
		size_t s = r.held_n > 6 && r.held[6] == ' ' ? 7 : 6;
		sw_errf(err, errlen, "%.*s", (int)(r.held_n - s), r.held + s);
		rc = SW_E_INVAL;
	} else {
		sw_errf(err, errlen, "%s: the reply ended without a status line", path);
		rc = SW_E_TRUNCATED;
	}
done:
	free(r.buf);
	free(r.held);
	close(fd);
	return rc;
}
