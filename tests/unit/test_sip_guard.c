/*
 * Guard-page sweep of the SIP parser: it must never read outside [buf, buf + len), whatever the
 * bytes and wherever the input stops.
 *
 * Every fixture (the 49 RFC 4475 messages and the .sip files under tests/data/sip) is parsed at
 * every length n = 0..len, from a copy whose last byte sits right before an unmapped page, in
 * both modes: a parser that looks one byte too far past a cut faults at once, with or without
 * ASan. Two messages are also corrupted one byte at a time with the bytes the grammar cares
 * about. On success every view in struct sip_msg (headers included) must lie inside the buffer,
 * and the offsets and counts must be consistent: those views are what inspect prints and the
 * shield reads, after the parse, from a buffer that ends where the datagram ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sip/sip.h"
#include "testutil.h"

#define RFC_DIR SW_SHARED_TESTDATA "/rfc4475"
#define SIP_DIR SW_TESTDATA "/sip"
#define HDR_CAP 128
#define MAX_FILES 128

/* Where the views of one parse must lie, and what went wrong (printed once per field). */
struct vctx {
	const char *buf;
	size_t len;
	const char *what; /* fixture and cut, for the message */
	unsigned bad;
};

static void view_in(struct vctx *c, struct sw_str v, const char *field)
{
	uintptr_t b = (uintptr_t)c->buf, e = b + c->len, p = (uintptr_t)v.p;
	if (!v.p) {
		if (v.len == 0)
			return;
		print_error("%s: %s: absent view with length %u\n", c->what, field, v.len);
		c->bad++;
		return;
	}
	if (p < b || p > e || v.len > e - p) {
		print_error("%s: %s: view [%+td, %+td) outside [0, %zu)\n", c->what, field,
			    (ptrdiff_t)(p - b), (ptrdiff_t)(p - b + v.len), c->len);
		c->bad++;
	}
}

static void uri_in(struct vctx *c, const struct sip_uri *u, const char *f)
{
	char n[64];
	static const char *const names[] = {"scheme", "user",   "password",
					    "host",   "params", "headers"};
	const struct sw_str *v[] = {&u->scheme, &u->user,   &u->password,
				    &u->host,   &u->params, &u->headers};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(n, sizeof(n), "%s.%s", f, names[i]);
		view_in(c, *v[i], n);
	}
}

static void addr_in(struct vctx *c, const struct sip_addr *a, const char *f)
{
	char n[64];
	static const char *const names[] = {"value", "display", "uri_raw", "tag", "params"};
	const struct sw_str *v[] = {&a->value, &a->display, &a->uri_raw, &a->tag, &a->params};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(n, sizeof(n), "%s.%s", f, names[i]);
		view_in(c, *v[i], n);
	}
	snprintf(n, sizeof(n), "%s.uri", f);
	uri_in(c, &a->uri, n);
}

static void auth_in(struct vctx *c, const struct sip_auth *a, const char *f)
{
	char n[64];
	static const char *const names[] = {"value",  "scheme", "username",  "realm",
					    "nonce",  "uri",    "response",  "qop",
					    "cnonce", "nc",     "algorithm", "opaque"};
	const struct sw_str *v[] = {&a->value,  &a->scheme, &a->username,  &a->realm,
				    &a->nonce,  &a->uri,    &a->response,  &a->qop,
				    &a->cnonce, &a->nc,     &a->algorithm, &a->opaque};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(n, sizeof(n), "%s.%s", f, names[i]);
		view_in(c, *v[i], n);
	}
}

/*
 * Check every view and every offset of a successful parse of buf[0..len); returns the number of
 * problems (each printed).
 */
static unsigned msg_check(const struct sip_msg *m, const char *buf, size_t len, const char *what)
{
	struct vctx c = {buf, len, what, 0};
	if (m->buf != buf) {
		print_error("%s: msg->buf is not the buffer parsed\n", what);
		c.bad++;
	}
	view_in(&c, m->start_line, "start_line");
	view_in(&c, m->version, "version");
	view_in(&c, m->method, "method");
	view_in(&c, m->ruri_raw, "ruri_raw");
	uri_in(&c, &m->ruri, "ruri");
	view_in(&c, m->reason, "reason");

	const struct sip_via *v = &m->via;
	view_in(&c, v->value, "via.value");
	view_in(&c, v->protocol, "via.protocol");
	view_in(&c, v->version, "via.version");
	view_in(&c, v->transport, "via.transport");
	view_in(&c, v->host, "via.host");
	view_in(&c, v->branch, "via.branch");
	view_in(&c, v->received, "via.received");
	view_in(&c, v->maddr, "via.maddr");
	view_in(&c, v->rport, "via.rport");
	view_in(&c, v->params, "via.params");

	addr_in(&c, &m->from, "from");
	addr_in(&c, &m->to, "to");
	addr_in(&c, &m->contact, "contact");
	view_in(&c, m->cseq.method, "cseq.method");
	view_in(&c, m->call_id, "call_id");
	view_in(&c, m->user_agent, "user_agent");
	view_in(&c, m->server, "server");
	view_in(&c, m->allow, "allow");
	view_in(&c, m->accept, "accept");
	view_in(&c, m->subject, "subject");
	view_in(&c, m->content_type, "content_type");
	view_in(&c, m->date, "date");
	auth_in(&c, &m->authorization, "authorization");
	auth_in(&c, &m->proxy_authorization, "proxy_authorization");
	auth_in(&c, &m->www_authenticate, "www_authenticate");
	auth_in(&c, &m->proxy_authenticate, "proxy_authenticate");
	view_in(&c, m->body, "body");

	if (m->nhdr > m->hdr_cap) {
		print_error("%s: nhdr %u > cap %u\n", what, m->nhdr, m->hdr_cap);
		return c.bad + 1;
	}
	for (unsigned i = 0; i < m->nhdr; i++) {
		const struct sip_header *h = &m->hdr[i];
		char n[48];
		snprintf(n, sizeof(n), "hdr[%u].name", i);
		view_in(&c, h->name, n);
		snprintf(n, sizeof(n), "hdr[%u].value", i);
		view_in(&c, h->value, n);
		if (h->off >= len || (h->name.p && buf + h->off != h->name.p)) {
			print_error("%s: hdr[%u].off %u does not point at its name\n", what, i,
				    h->off);
			c.bad++;
		}
		if (h->id >= SIP_HDR__COUNT || (h->next != SIP_NO_HDR && h->next <= i) ||
		    (h->next != SIP_NO_HDR && h->next >= m->nhdr) ||
		    (h->next != SIP_NO_HDR && m->hdr[h->next].id != h->id)) {
			print_error("%s: hdr[%u] id %u next %u inconsistent\n", what, i, h->id,
				    h->next);
			c.bad++;
		}
	}
	for (unsigned id = 1; id < SIP_HDR__COUNT; id++) {
		uint16_t k = m->first[id];
		if (k != SIP_NO_HDR && (k >= m->nhdr || m->hdr[k].id != id)) {
			print_error("%s: first[%u] = %u is not a header of that id\n", what, id, k);
			c.bad++;
		}
	}
	if (m->head_len > m->msg_len || m->msg_len > len ||
	    m->body.len != m->msg_len - m->head_len ||
	    (m->body.p && m->body.p != buf + m->head_len)) {
		print_error("%s: head_len %u, msg_len %u, body %u do not add up in %zu bytes\n",
			    what, m->head_len, m->msg_len, m->body.len, len);
		c.bad++;
	}
	if (m->ndefects > SIP_MAX_DEFECTS || m->ndefects > m->ndefects_total) {
		print_error("%s: ndefects %u, total %u\n", what, m->ndefects, m->ndefects_total);
		c.bad++;
	}
	for (unsigned i = 0; i < m->ndefects && i < SIP_MAX_DEFECTS; i++) {
		const struct sip_defect *d = &m->defects[i];
		if (d->off > len || d->hdr >= SIP_HDR__COUNT || d->code > -200 || d->code <= -300) {
			print_error(
				"%s: defect %u (%d at %u in hdr %u) is not a defect code inside "
				"the buffer\n",
				what, i, d->code, d->off, d->hdr);
			c.bad++;
		}
	}
	return c.bad;
}

static struct sip_header hdrs[HDR_CAP];

/* Parse buf[0..len) in mode; check the result is self-consistent. Returns the parse's rc. */
static int parse_checked(const char *buf, size_t len, enum sip_mode mode, const char *what)
{
	struct sip_msg m;
	sip_msg_init(&m, hdrs, HDR_CAP);
	int rc = sip_parse(&m, buf, len, mode, NULL);
	if (rc == 0) {
		if (msg_check(&m, buf, len, what) != 0)
			fail_msg("%s: inconsistent message", what);
	} else {
		if (rc >= 0 || m.err_off > len)
			fail_msg("%s: rc %d (%s), err_off %u of %zu", what, rc, sw_errname(rc),
				 m.err_off, len);
		/* A stream parse runs out of bytes; a datagram has all it will ever get. */
		if (mode == SIP_MODE_DATAGRAM && rc == SW_E_TRUNCATED)
			fail_msg("%s: SW_E_TRUNCATED for a datagram", what);
	}
	return rc;
}

/*
 * Every prefix of one file, both modes, each from its own guard copy. In a stream, a message
 * framed by Content-Length must also be reported incomplete (SW_E_TRUNCATED) at every cut before
 * its end and found, with the same length, at every cut after it.
 */
static void sweep_prefixes(const char *dir, const char *name)
{
	char path[1024], what[1100];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	size_t len;
	char *raw = tu_read_file(path, &len);

	char *full = tu_guard_copy(raw, len);
	struct sip_msg m;
	sip_msg_init(&m, hdrs, HDR_CAP);
	int stream_rc = sip_parse(&m, full, len, SIP_MODE_STREAM, NULL);
	uint32_t stream_len = m.msg_len;
	int framed = stream_rc == 0 && m.has_content_length;
	tu_guard_free(full, len);

	for (size_t n = 0; n <= len; n++) {
		char *buf = tu_guard_copy(raw, n);
		snprintf(what, sizeof(what), "%s[0..%zu) datagram", name, n);
		parse_checked(buf, n, SIP_MODE_DATAGRAM, what);
		snprintf(what, sizeof(what), "%s[0..%zu) stream", name, n);
		int rc = parse_checked(buf, n, SIP_MODE_STREAM, what);
		if (framed && n < stream_len && rc != SW_E_TRUNCATED)
			fail_msg("%s: rc %s before the end of a %u-byte message", what,
				 sw_errname(rc), stream_len);
		if (framed && n >= stream_len) {
			sip_msg_init(&m, hdrs, HDR_CAP);
			rc = sip_parse(&m, buf, n, SIP_MODE_STREAM, NULL);
			if (rc != 0 || m.msg_len != stream_len)
				fail_msg("%s: rc %s, msg_len %u; the whole file gave %u", what,
					 sw_errname(rc), m.msg_len, stream_len);
		}
		tu_guard_free(buf, n);
	}
	free(raw);
}

static void test_prefixes_rfc4475(void **state)
{
	(void)state;
	char *names[MAX_FILES];
	size_t n = tu_list_dir(RFC_DIR, ".dat", names, MAX_FILES);
	assert_int_equal(n, 49); /* the whole RFC 4475 corpus, no more, no less */
	for (size_t i = 0; i < n; i++) {
		sweep_prefixes(RFC_DIR, names[i]);
		free(names[i]);
	}
}

static void test_prefixes_fixtures(void **state)
{
	(void)state;
	char *names[MAX_FILES];
	size_t n = tu_list_dir(SIP_DIR, ".sip", names, MAX_FILES);
	assert_true(n >= 12);
	for (size_t i = 0; i < n; i++) {
		sweep_prefixes(SIP_DIR, names[i]);
		free(names[i]);
	}
}

/* Each byte of the file replaced, in turn, by each byte that delimits something in SIP. */
static void sweep_corruptions(const char *path, const char *name)
{
	static const char bytes[] = {'\0', '\r', '\n', ' ', ':', ';', '"', '<', ','};
	char what[256];
	size_t len;
	char *raw = tu_read_file(path, &len);
	char *buf = tu_guard_copy(raw, len);
	for (size_t pos = 0; pos < len; pos++) {
		for (size_t k = 0; k < sizeof(bytes); k++) {
			buf[pos] = bytes[k];
			snprintf(what, sizeof(what), "%s with 0x%02x at %zu, datagram", name,
				 (unsigned char)bytes[k], pos);
			parse_checked(buf, len, SIP_MODE_DATAGRAM, what);
			snprintf(what, sizeof(what), "%s with 0x%02x at %zu, stream", name,
				 (unsigned char)bytes[k], pos);
			parse_checked(buf, len, SIP_MODE_STREAM, what);
		}
		buf[pos] = raw[pos];
	}
	tu_guard_free(buf, len);
	free(raw);
}

/* The most tortuous valid message: folds, LWS everywhere, escapes, compact names. */
static void test_corrupt_wsinv(void **state)
{
	(void)state;
	sweep_corruptions(RFC_DIR "/wsinv.dat", "wsinv.dat");
}

/* Digest credentials with quoted commas and semicolons, URI and header parameters. */
static void test_corrupt_register_digest(void **state)
{
	(void)state;
	sweep_corruptions(SIP_DIR "/register_digest.sip", "register_digest.sip");
}

/* The checker itself: a view one byte past the end, or before the start, must be caught. */
static void test_checker_catches_stray_views(void **state)
{
	(void)state;
	static const char msg[] =
		"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"To: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\n"
		"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	size_t len = sizeof(msg) - 1;
	char *buf = tu_guard_copy(msg, len);
	struct sip_msg m;
	sip_msg_init(&m, hdrs, HDR_CAP);
	assert_int_equal(sip_parse(&m, buf, len, SIP_MODE_DATAGRAM, NULL), 0);
	assert_int_equal(msg_check(&m, buf, len, "clean"), 0);

	struct sip_msg bad = m;
	bad.to.tag = sw_str_make(buf + len - 1, 2); /* ends one past the buffer */
	assert_int_equal(msg_check(&bad, buf, len, "expected: to.tag past the end"), 1);
	bad = m;
	bad.via.branch = sw_str_make(buf - 1, 1); /* starts before it */
	assert_int_equal(msg_check(&bad, buf, len, "expected: via.branch before the start"), 1);
	bad = m;
	bad.hdr = hdrs;
	struct sw_str saved = hdrs[2].value;
	hdrs[2].value = sw_str_make(buf + len, 1);
	assert_int_equal(msg_check(&bad, buf, len, "expected: hdr[2].value past the end"), 1);
	hdrs[2].value = saved;
	bad = m;
	bad.authorization.nc = sw_str_make(NULL, 3);
	assert_int_equal(msg_check(&bad, buf, len, "expected: absent view with a length"), 1);
	/* An empty view right at the end is inside: "Subject:" at the very end has one. */
	bad = m;
	bad.subject = sw_str_make(buf + len, 0);
	assert_int_equal(msg_check(&bad, buf, len, "empty at end"), 0);
	tu_guard_free(buf, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_catches_stray_views),
		cmocka_unit_test(test_prefixes_rfc4475),
		cmocka_unit_test(test_prefixes_fixtures),
		cmocka_unit_test(test_corrupt_wsinv),
		cmocka_unit_test(test_corrupt_register_digest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
