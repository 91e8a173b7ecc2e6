/*
 * A sip_msg parsed into again and again holds exactly what a fresh one would.
 *
 * sip_parse() clears only the large views the previous parse wrote (sip_msg.dirty), so a view
 * that a parse wrote without saying so would leak into the next message. This test parses every
 * ordered pair (A, B) of a corpus - the RFC 4475 torture messages, the fixtures of tests/data/sip
 * and truncations of both, so that error paths that stop halfway through a view come first too -
 * into one reused sip_msg, and compares the result of B, field by field, with B parsed into a
 * fresh one.
 *
 * Also: the table-free whitespace tests of sip_chars.h agree with the class table for every
 * byte.
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
#include "sip/sip_chars.h"
#include "testutil.h"

#define HDR_CAP 64
#define MAX_INPUTS 512

struct input {
	char *buf; /* guard-page copy */
	size_t len;
	char name[96];
};

static struct input inputs[MAX_INPUTS];
static size_t ninputs;

static void add_input(const char *name, const char *data, size_t len)
{
	if (ninputs == MAX_INPUTS)
		fail_msg("more than %d inputs", MAX_INPUTS);
	struct input *in = &inputs[ninputs++];
	in->buf = tu_guard_copy(data, len);
	in->len = len;
	snprintf(in->name, sizeof(in->name), "%s", name);
}

/* Every file of dir ending in suffix, whole and cut at three places. */
static size_t add_dir(const char *dir, const char *suffix)
{
	char *names[MAX_INPUTS];
	size_t n = tu_list_dir(dir, suffix, names, MAX_INPUTS);
	for (size_t f = 0; f < n; f++) {
		char path[1024], name[96];
		snprintf(path, sizeof(path), "%s/%s", dir, names[f]);
		size_t len;
		char *raw = tu_read_file(path, &len);
		add_input(names[f], raw, len);
		static const unsigned cut_pct[] = {30, 60, 90};
		for (size_t i = 0; i < sizeof(cut_pct) / sizeof(cut_pct[0]); i++) {
			size_t cut = len * cut_pct[i] / 100;
			snprintf(name, sizeof(name), "%.60s[:%zu]", names[f], cut);
			add_input(name, raw, cut);
		}
		free(raw);
		free(names[f]);
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	size_t n = add_dir(SW_SHARED_TESTDATA "/rfc4475", ".dat");
	size_t k = add_dir(SW_TESTDATA "/sip", ".sip");
	/* 49 torture messages and a dozen fixtures: fewer means files went missing. */
	if (n < 49 || k < 12)
		fail_msg("only %zu RFC 4475 messages and %zu fixtures found", n, k);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < ninputs; i++)
		tu_guard_free(inputs[i].buf, inputs[i].len);
	ninputs = 0;
	return 0;
}

/*
 * The fields compared, padding excluded (a compiler may copy a view's padding from the stack,
 * where two parses leave different bytes): every member of the large views, which are the ones
 * the reuse skips clearing, and the scalars around them.
 */
#define FLD(path)                                                                                  \
	{                                                                                          \
		offsetof(struct sip_msg, path), sizeof(((struct sip_msg *)0)->path), #path         \
	}
#define STR(path) FLD(path.p), FLD(path.len)
#define URI(u)                                                                                     \
	STR(u.scheme), STR(u.user), STR(u.password), STR(u.host), STR(u.params), STR(u.headers),   \
		FLD(u.port), FLD(u.host_type), FLD(u.has_port)
#define ADDR(a)                                                                                    \
	STR(a.value), STR(a.display), STR(a.uri_raw), URI(a.uri), STR(a.tag), STR(a.params),       \
		FLD(a.bracketed), FLD(a.quoted), FLD(a.star)
#define AUTH(a)                                                                                    \
	STR(a.value), STR(a.scheme), STR(a.username), STR(a.realm), STR(a.nonce), STR(a.uri),      \
		STR(a.response), STR(a.qop), STR(a.cnonce), STR(a.nc), STR(a.algorithm),           \
		STR(a.opaque)

static const struct {
	size_t off, size;
	const char *name;
} fields[] = {
	FLD(nhdr),
	FLD(is_request),
	FLD(ndefects),
	FLD(ndefects_total),
	FLD(flags),
	FLD(head_len),
	FLD(msg_len),
	STR(start_line),
	STR(version),
	STR(method),
	FLD(method_id),
	STR(ruri_raw),
	FLD(status),
	STR(reason),
	FLD(via_count),
	FLD(contact_count),
	FLD(cseq.num),
	STR(cseq.method),
	STR(call_id),
	FLD(max_forwards),
	FLD(expires),
	FLD(content_length),
	FLD(has_content_length),
	STR(user_agent),
	STR(server),
	STR(allow),
	STR(accept),
	STR(subject),
	STR(content_type),
	STR(date),
	STR(body),
	FLD(first),
	URI(ruri),
	STR(via.value),
	STR(via.protocol),
	STR(via.version),
	STR(via.transport),
	STR(via.host),
	STR(via.branch),
	STR(via.received),
	STR(via.maddr),
	STR(via.rport),
	STR(via.params),
	FLD(via.port),
	FLD(via.has_port),
	FLD(via.host_type),
	ADDR(from),
	ADDR(to),
	ADDR(contact),
	AUTH(authorization),
	AUTH(proxy_authorization),
	AUTH(www_authenticate),
	AUTH(proxy_authenticate),
};

/* The first field in which a and b differ, or NULL; then the defects in use. */
static const char *first_difference(const struct sip_msg *a, const struct sip_msg *b)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (memcmp((const char *)a + fields[i].off, (const char *)b + fields[i].off,
			   fields[i].size) != 0)
			return fields[i].name;
	for (unsigned i = 0; i < a->ndefects; i++)
		if (a->defects[i].code != b->defects[i].code ||
		    a->defects[i].hdr != b->defects[i].hdr ||
		    a->defects[i].off != b->defects[i].off)
			return "defects";
	return NULL;
}

/*
 * The list covers every byte of the large views but their padding: fill a message with 0xff
 * field by field, and count what stayed zero. sw_str has 4 bytes of padding on LP64 (a pointer
 * and a 32-bit length); the other gaps are the few bytes after the small members.
 */
static void test_field_list_covers_views(void **state)
{
	(void)state;
	static struct sip_msg m;
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		memset((char *)&m + fields[i].off, 0xff, fields[i].size);
	size_t lo = offsetof(struct sip_msg, ruri), hi = offsetof(struct sip_msg, defects),
	       gaps = 0;
	for (size_t k = lo; k < hi; k++)
		gaps += ((unsigned char *)&m)[k] == 0;
	/* views of the large part: uri 6, via 10, addr 3 x (5 + 6), auth 4 x 12 */
	size_t views = 6 + 10 + 3 * 11 + 4 * 12;
	size_t small_gaps =
		(sizeof(struct sip_uri) - 6 * sizeof(struct sw_str) - 4) * 4 +
		(sizeof(struct sip_via) - 10 * sizeof(struct sw_str) - 4) +
		(sizeof(struct sip_addr) - 5 * sizeof(struct sw_str) - sizeof(struct sip_uri) - 3) *
			3;
	assert_int_equal(gaps,
			 views * (sizeof(struct sw_str) - sizeof(const char *) - 4) + small_gaps);
}

static int same_view(struct sw_str a, struct sw_str b)
{
	return a.p == b.p && a.len == b.len;
}

static int same_header(const struct sip_header *a, const struct sip_header *b)
{
	return same_view(a->name, b->name) && same_view(a->value, b->value) && a->off == b->off &&
	       a->id == b->id && a->next == b->next && a->compact == b->compact &&
	       a->folded == b->folded;
}

static int parse_fresh(struct sip_msg *m, struct sip_header *hdr, const struct input *in,
		       enum sip_mode mode)
{
	sip_msg_init(m, hdr, HDR_CAP);
	return sip_parse(m, in->buf, in->len, mode, NULL);
}

static void pairs_in_mode(enum sip_mode mode)
{
	static struct sip_header hdr_fresh[HDR_CAP], hdr_reused[HDR_CAP];
	static struct sip_msg fresh, reused;
	size_t compared = 0, ok = 0;
	for (size_t b = 0; b < ninputs; b++) {
		int rc_b = parse_fresh(&fresh, hdr_fresh, &inputs[b], mode);
		ok += rc_b == 0;
		for (size_t a = 0; a < ninputs; a++) {
			parse_fresh(&reused, hdr_reused, &inputs[a], mode);
			int rc = sip_parse(&reused, inputs[b].buf, inputs[b].len, mode, NULL);
			if (rc != rc_b)
				fail_msg("%s after %s: rc %s, fresh %s", inputs[b].name,
					 inputs[a].name, sw_errname(rc), sw_errname(rc_b));
			if (rc != 0) {
				/* after an error only the error and its offset are specified */
				assert_int_equal(reused.err_off, fresh.err_off);
				continue;
			}
			const char *diff = first_difference(&reused, &fresh);
			if (diff)
				fail_msg("%s after %s: %s differs from a fresh parse",
					 inputs[b].name, inputs[a].name, diff);
			for (unsigned i = 0; i < reused.nhdr; i++)
				if (!same_header(&hdr_reused[i], &hdr_fresh[i]))
					fail_msg("%s after %s: header %u differs", inputs[b].name,
						 inputs[a].name, i);
			compared++;
		}
	}
	/* every input that parses was compared after every input; most whole messages parse */
	assert_int_equal(compared, ok * ninputs);
	if (ok < 40)
		fail_msg("only %zu of %zu inputs parse", ok, ninputs);
}

static void test_reuse_equals_fresh_datagram(void **state)
{
	(void)state;
	pairs_in_mode(SIP_MODE_DATAGRAM);
}

static void test_reuse_equals_fresh_stream(void **state)
{
	(void)state;
	pairs_in_mode(SIP_MODE_STREAM);
}

/* A view of the previous message must not survive into one that lacks that part. */
static void test_reuse_clears_large_views(void **state)
{
	(void)state;
	static const char with_all[] =
		"REGISTER sip:reg.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
		"From: <sip:100@reg.example.com>;tag=1\r\nTo: <sip:100@reg.example.com>\r\n"
		"Call-ID: a@b\r\nCSeq: 2 REGISTER\r\nContact: <sip:100@192.0.2.1>\r\n"
		"Authorization: Digest username=\"100\", realm=\"r\", nonce=\"n\"\r\n"
		"Proxy-Authorization: Digest username=\"101\"\r\n"
		"WWW-Authenticate: Digest realm=\"w\"\r\nProxy-Authenticate: Digest realm=\"p\"\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char bare[] = "SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";
	static struct sip_header hdr[HDR_CAP];
	static struct sip_msg m;
	char *a = tu_guard_copy(with_all, sizeof(with_all) - 1);
	char *b = tu_guard_copy(bare, sizeof(bare) - 1);
	sip_msg_init(&m, hdr, HDR_CAP);
	assert_int_equal(sip_parse(&m, a, sizeof(with_all) - 1, SIP_MODE_DATAGRAM, NULL), 0);
	assert_view(m.proxy_authenticate.realm, "p");
	assert_view(m.contact.uri.host, "192.0.2.1");
	assert_int_equal(sip_parse(&m, b, sizeof(bare) - 1, SIP_MODE_DATAGRAM, NULL), 0);
	assert_absent(m.ruri.host);
	assert_absent(m.via.branch);
	assert_absent(m.from.tag);
	assert_absent(m.to.uri.user);
	assert_absent(m.contact.uri.host);
	assert_absent(m.authorization.username);
	assert_absent(m.proxy_authorization.username);
	assert_absent(m.www_authenticate.realm);
	assert_absent(m.proxy_authenticate.realm);
	assert_int_equal(m.via.port, 0);
	assert_int_equal(m.from.bracketed, 0);
	tu_guard_free(a, sizeof(with_all) - 1);
	tu_guard_free(b, sizeof(bare) - 1);
}

static void test_whitespace_tests_match_table(void **state)
{
	(void)state;
	for (unsigned c = 0; c < 256; c++) {
		assert_int_equal(sip_is_ws((unsigned char)c), sip_is((unsigned char)c, SC_WS));
		assert_int_equal(sip_is_lws((unsigned char)c), sip_is((unsigned char)c, SC_LWS));
	}
}

static void test_load_le(void **state)
{
	(void)state;
	static const char s[] = "ABCDEFGH";
	for (size_t n = 0; n <= 8; n++) {
		char *g = tu_guard_copy(s, n ? n : 1); /* n bytes right before an unmapped page */
		uint64_t want = 0;
		for (size_t i = 0; i < n; i++)
			want |= (uint64_t)(unsigned char)s[i] << (8 * i);
		assert_int_equal(sip_load_le(g, n), want);
		assert_int_equal(sip_lit_le(s, n), want);
		tu_guard_free(g, n ? n : 1);
	}
	struct sw_str v = {"BrAnCh", 6};
	assert_true(SIP_IEQ_LIT(v, "branch"));
	v.p = "BrAnCi";
	assert_false(SIP_IEQ_LIT(v, "branch"));
	v = (struct sw_str){"Received", 8};
	assert_true(SIP_IEQ_LIT(v, "received"));
	v.p = "received";
	v.len = 7;
	assert_false(SIP_IEQ_LIT(v, "received"));
	/* OR-ing 0x20 must not make '@' (0x40) match '`' (0x60) where the literal has a letter */
	v = (struct sw_str){"T@G", 3};
	assert_false(SIP_IEQ_LIT(v, "tag"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_field_list_covers_views),
		cmocka_unit_test(test_reuse_equals_fresh_datagram),
		cmocka_unit_test(test_reuse_equals_fresh_stream),
		cmocka_unit_test(test_reuse_clears_large_views),
		cmocka_unit_test(test_whitespace_tests_match_table),
		cmocka_unit_test(test_load_le),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
