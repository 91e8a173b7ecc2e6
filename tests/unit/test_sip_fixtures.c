/*
 * Data-driven parser tests: every tests/data/sip/<name>.sip is parsed and compared with the
 * facts listed in tests/data/sip/<name>.expect, so a new capture-like message becomes a test by
 * adding two files, without touching C.
 *
 * .expect format: one "key=value" per line; empty lines and lines starting with '#' are ignored.
 * Keys name fields of struct sip_msg (the table below: "method", "via.branch", "from.tag",
 * "cseq.num", ...) and compare as text: numbers in decimal, views byte for byte, "(absent)" for a
 * view the parser did not find (a present but empty view is an empty value). Two key families
 * take a header name: "count.<Name>" is sip_msg_header_count() of a known header and
 * "header.<Name>" is the value of the first header line called <Name> (any case; unknown headers
 * too). Meta keys: "mode=stream" parses the file as a byte stream (default: one datagram),
 * "rc=<sw_errname>" expects that error (default: success), "err_off=" its offset. A line
 * "[message N]" starts the facts of the N-th message of a stream; in stream mode the messages
 * must use up the whole file. An unknown key fails the test, so a typo cannot pass silently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sip/sip.h"
#include "testutil.h"

#define FIXTURE_DIR SW_TESTDATA "/sip"
#define HDR_CAP 128
#define MAX_SECTIONS 8
#define MAX_FIXTURES 256
/* A dozen realistic messages were written for this directory; fewer means files went missing. */
#define MIN_FIXTURES 12

enum kind { K_STR, K_U8, K_U16, K_U32, K_I32, K_I64, K_FN };

typedef void (*render_fn)(const struct sip_msg *m, char *out, size_t cap);

struct field {
	const char *key;
	enum kind kind;
	size_t off;
	render_fn fn;
};

static void r_type(const struct sip_msg *m, char *out, size_t cap)
{
	snprintf(out, cap, "%s", m->is_request ? "request" : "response");
}

static void r_body_len(const struct sip_msg *m, char *out, size_t cap)
{
	snprintf(out, cap, "%" PRIu32, m->body.len);
}

static void r_defects(const struct sip_msg *m, char *out, size_t cap)
{
	snprintf(out, cap, "%u", (unsigned)m->ndefects_total);
}

/* "code@Header,code@Header" in the order recorded ("@" alone for the start line). */
static void r_defect_list(const struct sip_msg *m, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < m->ndefects && n < cap; i++) {
		int w = snprintf(out + n, cap - n, "%s%s@%s", i ? "," : "",
				 sw_errname(m->defects[i].code),
				 sip_hdr_name((enum sip_hdr_id)m->defects[i].hdr));
		if (w < 0)
			return;
		n += (size_t)w;
	}
}

static void r_flags(const struct sip_msg *m, char *out, size_t cap)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {{SIP_F_TRAILING, "trailing"},
		     {SIP_F_NO_CL, "no_cl"},
		     {SIP_F_FOLDED, "folded"},
		     {SIP_F_COMPACT, "compact"}};
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && n < cap; i++) {
		if (!(m->flags & names[i].bit))
			continue;
		int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "", names[i].name);
		if (w < 0)
			return;
		n += (size_t)w;
	}
}

/* Kept on one line each: clang-format 14 would split a braced list in a macro over four. */
// clang-format off
#define S(k, member) {k, K_STR, offsetof(struct sip_msg, member), NULL}
#define N(k, kd, member) {k, kd, offsetof(struct sip_msg, member), NULL}
#define F(k, f) {k, K_FN, 0, f}
// clang-format on
#define ADDR(p, a)                                                                                 \
	S(p ".display", a.display), S(p ".uri", a.uri_raw), S(p ".scheme", a.uri.scheme),          \
		S(p ".user", a.uri.user), S(p ".password", a.uri.password),                        \
		S(p ".host", a.uri.host), N(p ".port", K_U16, a.uri.port),                         \
		S(p ".uri_params", a.uri.params), S(p ".uri_headers", a.uri.headers),              \
		S(p ".tag", a.tag), S(p ".params", a.params),                                      \
		N(p ".bracketed", K_U8, a.bracketed), N(p ".quoted", K_U8, a.quoted)
#define AUTH(p, a)                                                                                 \
	S(p ".scheme", a.scheme), S(p ".username", a.username), S(p ".realm", a.realm),            \
		S(p ".nonce", a.nonce), S(p ".uri", a.uri), S(p ".response", a.response),          \
		S(p ".qop", a.qop), S(p ".cnonce", a.cnonce), S(p ".nc", a.nc),                    \
		S(p ".algorithm", a.algorithm), S(p ".opaque", a.opaque)

static const struct field fields[] = {
	F("type", r_type),
	S("start_line", start_line),
	S("version", version),
	S("method", method),
	S("ruri", ruri_raw),
	S("ruri.scheme", ruri.scheme),
	S("ruri.user", ruri.user),
	S("ruri.password", ruri.password),
	S("ruri.host", ruri.host),
	N("ruri.port", K_U16, ruri.port),
	S("ruri.params", ruri.params),
	S("ruri.headers", ruri.headers),
	N("status", K_U16, status),
	S("reason", reason),
	S("via.protocol", via.protocol),
	S("via.version", via.version),
	S("via.transport", via.transport),
	S("via.host", via.host),
	N("via.port", K_U16, via.port),
	S("via.branch", via.branch),
	S("via.received", via.received),
	S("via.rport", via.rport),
	S("via.maddr", via.maddr),
	S("via.params", via.params),
	N("via_count", K_U16, via_count),
	ADDR("from", from),
	ADDR("to", to),
	ADDR("contact", contact),
	N("contact.star", K_U8, contact.star),
	N("contact_count", K_U16, contact_count),
	S("call_id", call_id),
	N("cseq.num", K_U32, cseq.num),
	S("cseq.method", cseq.method),
	N("max_forwards", K_I32, max_forwards),
	N("expires", K_I64, expires),
	N("content_length", K_U32, content_length),
	N("has_content_length", K_U8, has_content_length),
	F("body_len", r_body_len),
	S("user_agent", user_agent),
	S("server", server),
	S("allow", allow),
	S("accept", accept),
	S("subject", subject),
	S("content_type", content_type),
	S("date", date),
	AUTH("authorization", authorization),
	AUTH("proxy_authorization", proxy_authorization),
	AUTH("www_authenticate", www_authenticate),
	AUTH("proxy_authenticate", proxy_authenticate),
	N("nhdr", K_U16, nhdr),
	N("head_len", K_U32, head_len),
	N("msg_len", K_U32, msg_len),
	F("flags", r_flags),
	F("defects", r_defects),
	F("defect_list", r_defect_list),
};

/* Text of a view for messages: bytes as sent, non-printables as \xHH, "(absent)" for NULL. */
static void render_view(struct sw_str v, char *out, size_t cap)
{
	if (!v.p) {
		snprintf(out, cap, "(absent)");
		return;
	}
	size_t n = 0;
	for (uint32_t i = 0; i < v.len && n + 5 < cap; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static void render_field(const struct sip_msg *m, const struct field *f, char *out, size_t cap)
{
	const char *base = (const char *)m + f->off;
	switch (f->kind) {
	case K_STR: {
		struct sw_str v;
		memcpy(&v, base, sizeof(v));
		render_view(v, out, cap);
		break;
	}
	case K_U8:
		snprintf(out, cap, "%u", (unsigned)*(const uint8_t *)base);
		break;
	case K_U16:
		snprintf(out, cap, "%u", (unsigned)*(const uint16_t *)base);
		break;
	case K_U32:
		snprintf(out, cap, "%" PRIu32, *(const uint32_t *)base);
		break;
	case K_I32:
		snprintf(out, cap, "%" PRId32, *(const int32_t *)base);
		break;
	case K_I64:
		snprintf(out, cap, "%" PRId64, *(const int64_t *)base);
		break;
	case K_FN:
		f->fn(m, out, cap);
		break;
	}
}

/* First header line whose name equals name (ASCII case-insensitive), known or not. */
static const struct sip_header *header_by_name(const struct sip_msg *m, const char *name)
{
	for (unsigned i = 0; i < m->nhdr; i++)
		if (sw_str_ieq(m->hdr[i].name, name))
			return &m->hdr[i];
	return NULL;
}

struct kv {
	const char *key;
	const char *val;
	const char *file;
	unsigned line;
};

struct section {
	struct kv *kv;
	size_t n, cap;
};

struct expect {
	char *text; /* the .expect file, cut into NUL-terminated keys and values in place */
	struct section sec[MAX_SECTIONS];
	size_t nsec;
	const char *mode;
};

static void section_add(struct section *s, const struct kv *kv)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		s->kv = realloc(s->kv, s->cap * sizeof(*s->kv));
		assert_non_null(s->kv);
	}
	s->kv[s->n++] = *kv;
}

static void expect_load(struct expect *x, const char *path)
{
	size_t len;
	memset(x, 0, sizeof(*x));
	x->text = tu_read_file(path, &len);
	char *t = realloc(x->text, len + 1);
	assert_non_null(t);
	x->text = t;
	t[len] = '\0';
	x->nsec = 1;
	unsigned lineno = 0;
	for (char *line = t; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		lineno++;
		size_t ll = strlen(line);
		if (ll && line[ll - 1] == '\r')
			line[--ll] = '\0';
		if (ll && line[0] != '#') {
			unsigned num;
			char close;
			if (sscanf(line, "[message %u%c", &num, &close) == 2 && close == ']') {
				if (num != x->nsec + 1 || num > MAX_SECTIONS)
					fail_msg("%s:%u: expected [message %zu]", path, lineno,
						 x->nsec + 1);
				x->nsec = num;
			} else {
				char *eq = strchr(line, '=');
				if (!eq)
					fail_msg("%s:%u: no '=' in \"%s\"", path, lineno, line);
				*eq = '\0';
				struct kv kv = {line, eq + 1, path, lineno};
				if (strcmp(line, "mode") == 0)
					x->mode = eq + 1;
				else
					section_add(&x->sec[x->nsec - 1], &kv);
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

static void expect_free(struct expect *x)
{
	for (size_t i = 0; i < MAX_SECTIONS; i++)
		free(x->sec[i].kv);
	free(x->text);
}

/* Compare one key; returns 1 when it matched (mismatches are printed, not fatal yet). */
static int check_key(const struct sip_msg *m, const struct kv *kv)
{
	char got[4096];
	const char *key = kv->key;
	if (strncmp(key, "count.", 6) == 0) {
		int compact;
		enum sip_hdr_id id = sip_hdr_lookup(key + 6, strlen(key + 6), &compact);
		if (id == SIP_HDR_OTHER)
			fail_msg("%s:%u: count.%s: not a known header", kv->file, kv->line,
				 key + 6);
		snprintf(got, sizeof(got), "%u", sip_msg_header_count(m, id));
	} else if (strncmp(key, "header.", 7) == 0) {
		const struct sip_header *h = header_by_name(m, key + 7);
		render_view(h ? h->value : SW_STR_NULL, got, sizeof(got));
	} else {
		const struct field *f = NULL;
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			if (strcmp(fields[i].key, key) == 0)
				f = &fields[i];
		if (!f)
			fail_msg("%s:%u: unknown key \"%s\"", kv->file, kv->line, key);
		if (f->kind == K_STR) {
			/* Byte-exact for views: bytes that render_view escapes match too. */
			struct sw_str v;
			memcpy(&v, (const char *)m + f->off, sizeof(v));
			size_t el = strlen(kv->val);
			if (strcmp(kv->val, "(absent)") == 0 ?
				    !v.p :
				    (v.p && v.len == el && memcmp(v.p, kv->val, el) == 0))
				return 1;
		}
		render_field(m, f, got, sizeof(got));
	}
	if (strcmp(got, kv->val) == 0)
		return 1;
	print_error("%s:%u: %s: expected \"%s\", got \"%s\"\n", kv->file, kv->line, key, kv->val,
		    got);
	return 0;
}

static void run_fixture(void **state)
{
	const char *name = *state;
	char sip_path[1024], exp_path[1024];
	snprintf(sip_path, sizeof(sip_path), "%s/%s", FIXTURE_DIR, name);
	int w = snprintf(exp_path, sizeof(exp_path), "%s/%.*s.expect", FIXTURE_DIR,
			 (int)(strlen(name) - 4), name);
	assert_true(w > 0 && (size_t)w < sizeof(exp_path));

	size_t len;
	char *raw = tu_read_file(sip_path, &len);
	char *buf = tu_guard_copy(raw, len);
	struct expect x;
	expect_load(&x, exp_path);

	enum sip_mode mode = SIP_MODE_DATAGRAM;
	if (x.mode && strcmp(x.mode, "stream") == 0)
		mode = SIP_MODE_STREAM;
	else if (x.mode && strcmp(x.mode, "datagram") != 0)
		fail_msg("%s: mode must be stream or datagram, not \"%s\"", exp_path, x.mode);
	if (mode == SIP_MODE_DATAGRAM && x.nsec != 1)
		fail_msg("%s: [message N] sections need mode=stream", exp_path);

	static struct sip_header hdr[HDR_CAP];
	struct sip_msg m;
	sip_msg_init(&m, hdr, HDR_CAP);
	size_t off = 0;
	int bad = 0;
	for (size_t s = 0; s < x.nsec; s++) {
		int rc = sip_parse(&m, buf + off, len - off, mode, NULL);
		const char *want_rc = "ok";
		const struct section *sec = &x.sec[s];
		for (size_t i = 0; i < sec->n; i++)
			if (strcmp(sec->kv[i].key, "rc") == 0)
				want_rc = sec->kv[i].val;
		if (strcmp(sw_errname(rc), want_rc) != 0)
			fail_msg("%s message %zu: rc %s (err_off %u), expected %s", name, s + 1,
				 sw_errname(rc), m.err_off, want_rc);
		for (size_t i = 0; i < sec->n; i++) {
			const struct kv *kv = &sec->kv[i];
			if (strcmp(kv->key, "rc") == 0)
				continue;
			if (strcmp(kv->key, "err_off") == 0) {
				char got[32];
				snprintf(got, sizeof(got), "%u", m.err_off);
				if (strcmp(got, kv->val) != 0) {
					print_error("%s:%u: err_off: expected %s, got %s\n",
						    kv->file, kv->line, kv->val, got);
					bad++;
				}
				continue;
			}
			if (rc != 0)
				fail_msg("%s:%u: field keys need rc=ok", kv->file, kv->line);
			bad += !check_key(&m, kv);
		}
		if (rc != 0)
			break;
		off += m.msg_len;
	}
	if (mode == SIP_MODE_STREAM && bad == 0)
		/* Every byte of the stream belongs to a listed message. */
		assert_int_equal(off, len);
	expect_free(&x);
	tu_guard_free(buf, len);
	free(raw);
	assert_int_equal(bad, 0);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

int main(void)
{
	DIR *d = opendir(FIXTURE_DIR);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", FIXTURE_DIR);
		return 1;
	}
	char *names[MAX_FIXTURES];
	size_t n = 0, nexpect = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (has_suffix(de->d_name, ".expect"))
			nexpect++;
		if (!has_suffix(de->d_name, ".sip"))
			continue;
		if (n == MAX_FIXTURES) {
			fprintf(stderr, "more than %d fixtures\n", MAX_FIXTURES);
			closedir(d);
			return 1;
		}
		names[n] = strdup(de->d_name);
		if (!names[n])
			abort();
		n++;
	}
	closedir(d);
	if (n < MIN_FIXTURES || nexpect != n) {
		fprintf(stderr, "%s: %zu .sip and %zu .expect files (need >= %d, one each)\n",
			FIXTURE_DIR, n, nexpect, MIN_FIXTURES);
		return 1;
	}
	qsort(names, n, sizeof(names[0]), name_cmp);

	struct CMUnitTest tests[MAX_FIXTURES];
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){names[i], run_fixture, NULL, NULL, names[i]};
	int rc = _cmocka_run_group_tests("sip_fixtures", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return rc;
}
