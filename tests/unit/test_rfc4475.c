/*
 * The 49 RFC 4475 torture messages through the SIP parser, one test per message.
 *
 * The messages are read byte-exact from the shared corpus (../shared/testdata/rfc4475, see its
 * README.md) and parsed as UDP datagrams from a guard-page copy, so a read past the end faults.
 * Each test asserts what a reader of the RFC section would check: for the valid messages
 * (3.1.1.x) the decoded values and the absence of defects; for the invalid ones (3.1.2.x) the
 * exact error or defect, and the header and offset it is attributed to; for the 3.2-3.4 messages
 * that the parse succeeds and the facts the receiving element will act on.
 *
 * Where the parser accepts less than the RFC lists (a Contact expires parameter above 2^32-1,
 * Retry-After and Warning ranges), the test says so in a comment: those checks belong to the
 * element, not to this parser, and the tests pin what the parser does today.
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
#define HDR_CAP 128

/* The corpus and the "bytes" column of its README table: a size mismatch means rewritten EOLs. */
static const struct {
	const char *file;
	size_t bytes;
} corpus[] = {
	{"wsinv.dat", 1001},     {"intmeth.dat", 641},  {"esc01.dat", 543},
	{"escnull.dat", 359},    {"esc02.dat", 439},    {"lwsdisp.dat", 255},
	{"longreq.dat", 3515},   {"dblreq.dat", 750},   {"semiuri.dat", 380},
	{"transports.dat", 503}, {"mpart01.dat", 1290}, {"unreason.dat", 526},
	{"noreason.dat", 274},   {"badinv01.dat", 472}, {"clerr.dat", 498},
	{"ncl.dat", 486},        {"scalar02.dat", 476}, {"scalarlg.dat", 385},
	{"quotbal.dat", 485},    {"ltgtruri.dat", 452}, {"lwsruri.dat", 541},
	{"lwsstart.dat", 506},   {"trws.dat", 327},     {"escruri.dat", 550},
	{"baddate.dat", 532},    {"regbadct.dat", 307}, {"badaspec.dat", 346},
	{"baddn.dat", 331},      {"badvers.dat", 291},  {"mismatch01.dat", 236},
	{"mismatch02.dat", 449}, {"bigcode.dat", 332},  {"badbranch.dat", 262},
	{"insuf.dat", 304},      {"unkscm.dat", 291},   {"novelsc.dat", 277},
	{"unksm2.dat", 282},     {"bext01.dat", 381},   {"invut.dat", 391},
	{"regaut01.dat", 304},   {"multi01.dat", 643},  {"mcl01.dat", 382},
	{"bcast.dat", 516},      {"zeromf.dat", 272},   {"cparam01.dat", 321},
	{"cparam02.dat", 311},   {"regescrt.dat", 302}, {"sdp01.dat", 494},
	{"inv2543.dat", 445},
};
#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

/* One parsed message; lives in the test's state so the teardown frees it even on failure. */
struct fx {
	const char *name;
	char *raw; /* the file */
	size_t len;
	char *buf; /* guard-page copy that was parsed */
	size_t buf_len;
	struct sip_header hdr[HDR_CAP];
	struct sip_msg m;
	int rc;
};

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	if (f) {
		if (f->buf)
			tu_guard_free(f->buf, f->buf_len);
		free(f->raw);
		free(f);
	}
	*state = NULL;
	return 0;
}

static size_t corpus_bytes(const char *name)
{
	for (size_t i = 0; i < NCORPUS; i++)
		if (strcmp(corpus[i].file, name) == 0)
			return corpus[i].bytes;
	fail_msg("%s is not in the corpus table", name);
	return 0;
}

/* Parse (again) a guard copy of data[0..len) in mode; the copy replaces the previous one. */
static int fx_reparse(struct fx *f, const char *data, size_t len, enum sip_mode mode)
{
	if (f->buf)
		tu_guard_free(f->buf, f->buf_len);
	f->buf = tu_guard_copy(data, len);
	f->buf_len = len;
	sip_msg_init(&f->m, f->hdr, HDR_CAP);
	f->rc = sip_parse(&f->m, f->buf, len, mode, NULL);
	return f->rc;
}

/* Read a message byte-exact, check its size against the README, parse it as a datagram. */
static struct fx *fx_load(void **state, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", RFC_DIR, name);
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	*state = f;
	f->name = name;
	f->raw = tu_read_file(path, &f->len);
	if (f->len != corpus_bytes(name))
		fail_msg("%s: %zu bytes, README says %zu: line ends rewritten?", name, f->len,
			 corpus_bytes(name));
	fx_reparse(f, f->raw, f->len, SIP_MODE_DATAGRAM);
	return f;
}

/* Offset of the first occurrence of needle in the message (the test fails when there is none). */
static uint32_t off_of(const struct fx *f, const char *needle)
{
	const char *p = memmem(f->raw, f->len, needle, strlen(needle));
	if (!p)
		fail_msg("%s: \"%s\" not found", f->name, needle);
	return (uint32_t)(p - f->raw);
}

/* A view starts with a literal. */
#define assert_view_prefix(v, lit)                                                                 \
	do {                                                                                       \
		assert_non_null((v).p);                                                            \
		assert_true((v).len >= sizeof(lit) - 1);                                           \
		assert_memory_equal((v).p, (lit), sizeof(lit) - 1);                                \
	} while (0)

struct want {
	int code;
	enum sip_hdr_id hdr;
};

/* The recorded defects are exactly these (in any order). */
static void defects_are(const struct sip_msg *m, const struct want *w, size_t n, const char *file,
			int line)
{
	int used[SIP_MAX_DEFECTS] = {0};
	int ok = m->ndefects_total == n &&
		 m->ndefects == (n < SIP_MAX_DEFECTS ? n : SIP_MAX_DEFECTS);
	for (size_t i = 0; ok && i < n && i < SIP_MAX_DEFECTS; i++) {
		size_t k;
		for (k = 0; k < m->ndefects; k++)
			if (!used[k] && m->defects[k].code == w[i].code &&
			    m->defects[k].hdr == w[i].hdr)
				break;
		if (k == m->ndefects)
			ok = 0;
		else
			used[k] = 1;
	}
	if (ok)
		return;
	print_error("defects: expected %zu:", n);
	for (size_t i = 0; i < n; i++)
		print_error(" %s@%s", sw_errname(w[i].code), sip_hdr_name(w[i].hdr));
	print_error("; got %u:", m->ndefects_total);
	for (unsigned k = 0; k < m->ndefects; k++)
		print_error(" %s@%s(off %u)", sw_errname(m->defects[k].code),
			    sip_hdr_name((enum sip_hdr_id)m->defects[k].hdr), m->defects[k].off);
	print_error("\n");
	_fail(file, line);
}

#define assert_defects(m, ...)                                                                     \
	do {                                                                                       \
		static const struct want w_[] = {__VA_ARGS__};                                     \
		defects_are((m), w_, sizeof(w_) / sizeof(w_[0]), __FILE__, __LINE__);              \
	} while (0)
#define assert_no_defects(m) defects_are((m), NULL, 0, __FILE__, __LINE__)

/* Offset of the first defect code in hdr (the test fails when there is none). */
static uint32_t defect_off(const struct sip_msg *m, int code, enum sip_hdr_id hdr)
{
	for (unsigned k = 0; k < m->ndefects; k++)
		if (m->defects[k].code == code && m->defects[k].hdr == hdr)
			return m->defects[k].off;
	fail_msg("no %s in %s", sw_errname(code), sip_hdr_name(hdr));
	return 0;
}

/* The first header line called name (any case), known to the table or not. */
static const struct sip_header *header_named(const struct sip_msg *m, const char *name)
{
	for (unsigned i = 0; i < m->nhdr; i++)
		if (sw_str_ieq(m->hdr[i].name, name))
			return &m->hdr[i];
	fail_msg("no header %s", name);
	return NULL;
}

/* The value of parameter name in a ";a=b" list; the test fails when it is absent. */
static struct sw_str param(struct sw_str params, const char *name)
{
	struct sw_str v;
	if (!sip_param_get(params, name, &v))
		fail_msg("no parameter %s", name);
	return v;
}

static int has_param(struct sw_str params, const char *name)
{
	struct sw_str v;
	return sip_param_get(params, name, &v);
}

/*
 * Concatenate (string, count) pairs up to a NULL string into out, NUL-terminated: the long values
 * of 3.1.1.7, spelled the way the RFC builds them.
 */
static struct sw_str repeat(char *out, size_t cap, const char *s, ...)
{
	va_list ap;
	size_t n = 0;
	va_start(ap, s);
	for (; s; s = va_arg(ap, const char *)) {
		int times = va_arg(ap, int);
		size_t l = strlen(s);
		for (int i = 0; i < times; i++) {
			assert_true(n + l <= cap);
			memcpy(out + n, s, l);
			n += l;
		}
	}
	va_end(ap);
	assert_true(n < cap);
	out[n] = '\0';
	return sw_str_make(out, n);
}

#define assert_view_eq(v, w) assert_view_mem((v), (w).p, (w).len)

/* Common to every message the parser accepts as well-formed. */
static void accepted_clean(const struct fx *f)
{
	if (f->rc != 0)
		fail_msg("%s: rc %s at %u", f->name, sw_errname(f->rc), f->m.err_off);
	assert_no_defects(&f->m);
	assert_view(f->m.version, "SIP/2.0");
}

/* ---- 3.1.1 Valid messages ------------------------------------------------------------------ */

/* 3.1.1.1 A Short Tortuous INVITE: folds, LWS around every separator, odd case, compact forms. */
static void test_wsinv(void **state)
{
	struct fx *f = fx_load(state, "wsinv.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_true(m->is_request);
	assert_view(m->method, "INVITE");
	assert_int_equal(m->method_id, SIP_METHOD_INVITE);
	assert_view(m->ruri_raw, "sip:vivekg@chair-dnrc.example.com;unknownparam");
	assert_view(m->ruri.scheme, "sip");
	assert_view(m->ruri.user, "vivekg");
	assert_view(m->ruri.host, "chair-dnrc.example.com");
	assert_view(m->ruri.params, ";unknownparam");
	assert_view(param(m->ruri.params, "unknownparam"), "");

	/* "TO :\r\n sip:...;   tag    = 1918181833n": addr-spec, folded, LWS around '='. */
	assert_false(m->to.bracketed);
	assert_absent(m->to.display);
	assert_view(m->to.uri.user, "vivekg");
	assert_view(m->to.uri.host, "chair-dnrc.example.com");
	assert_view(m->to.tag, "1918181833n");
	/* The display name keeps its quoted-pairs as sent: J Rosenberg \\\" */
	assert_true(m->from.quoted);
	assert_view(m->from.display, "J Rosenberg \\\\\\\"");
	assert_view(m->from.uri_raw, "sip:jdrosen@example.com");
	assert_view(m->from.tag, "98asjd8");
	assert_int_equal(m->max_forwards, 68); /* "0068" */
	assert_view(m->call_id, "wsinv.ndaksdj@192.0.2.1");
	assert_int_equal(m->cseq.num, 9); /* "0009\r\n  INVITE" */
	assert_view(m->cseq.method, "INVITE");
	assert_true(m->has_content_length);
	assert_int_equal(m->content_length, 150);
	assert_int_equal(m->body.len, 150);
	assert_view_prefix(m->body, "v=0\r\n");
	assert_int_equal(m->msg_len, f->len);

	/* "Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw" */
	assert_view(m->via.protocol, "SIP");
	assert_view(m->via.version, "2.0");
	assert_view(m->via.transport, "UDP");
	assert_view(m->via.host, "192.0.2.2");
	assert_int_equal(m->via.host_type, SIP_HOST_IPV4);
	assert_false(m->via.has_port);
	assert_view(m->via.branch, "390skdjuw");
	assert_int_equal(m->via_count, 3); /* one Via plus a "v:" with two values */
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_VIA), 2);
	assert_true(sip_msg_header(m, SIP_HDR_VIA, 1)->compact);

	assert_view(m->subject, ""); /* "s :" with nothing after it: present, empty */
	assert_view(m->content_type, "application/sdp");
	const struct sip_header *h = header_named(m, "NewFangledHeader");
	assert_int_equal(h->id, SIP_HDR_OTHER);
	assert_true(h->folded);
	assert_view(h->value, "newfangled value\r\n continued newfangled value");
	assert_view(header_named(m, "UnknownHeaderWithUnusualValue")->value, ";;,,;;,;");
	assert_view(sip_msg_header(m, SIP_HDR_ROUTE, 0)->value,
		    "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>");

	assert_int_equal(m->contact_count, 1);
	assert_true(m->contact.quoted);
	assert_view(m->contact.display, "Quoted string \\\"\\\"");
	assert_view(m->contact.uri_raw, "sip:jdrosen@example.com");
	assert_view(param(m->contact.params, "newparam"), "newvalue");
	assert_view(param(m->contact.params, "secondparam"), "");
	assert_view(param(m->contact.params, "q"), "0.33");

	assert_int_equal(m->flags, SIP_F_FOLDED | SIP_F_COMPACT);
	assert_int_equal(m->nhdr, 14);
	assert_view(m->hdr[0].name, "TO");
	assert_true(m->hdr[0].folded);
	assert_int_equal(m->hdr[0].id, SIP_HDR_TO);
}

/* 3.1.1.2 Wide Range of Valid Characters: every token char in the method, quoted NUL/BEL/DEL. */
static void test_intmeth(void **state)
{
	struct fx *f = fx_load(state, "intmeth.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "!interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(m->method_id, SIP_METHOD_OTHER);
	assert_view(m->cseq.method, "!interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(m->cseq.num, 139122385);

	/* The userinfo holds ';', '?', ',' and '/'; the first ':' splits off the password. */
	assert_view(m->ruri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_view(m->ruri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	assert_view(m->ruri.host, "example.com");
	assert_absent(m->ruri.params);
	assert_absent(m->ruri.headers);

	/* To: "BEL:\<07> NUL:\<00> DEL:\<7f>": 20 bytes, the NUL at 12 after its backslash. */
	assert_true(m->to.quoted);
	assert_view(m->to.display, "BEL:\\\x07 NUL:\\\0 DEL:\\\x7f");
	assert_int_equal(m->to.display.p[11], '\\');
	assert_int_equal(m->to.display.p[12], '\0');
	assert_view(m->to.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_view(m->to.uri.host, "example.com");

	/* An unquoted display name of several tokens, and token characters in every parameter. */
	assert_false(m->from.quoted);
	assert_view(m->from.display, "token1~` token2'+_ token3*%!.-");
	assert_view(m->from.uri_raw, "sip:mundane@example.com");
	assert_view(m->from.tag, "_token~1'+`*%!-.");
	assert_view(
		param(m->from.params, "fromParam''~+*_!.-%"),
		"\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89\xd0\xb8\xd0\xb9");

	assert_view(m->call_id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	assert_view(m->via.transport, "TCP");
	assert_view(m->via.host, "host1.example.com");
	assert_view(m->via.branch, "z9hG4bK-.!%66*_+`'~");
	assert_int_equal(m->max_forwards, 255);
	const struct sip_header *h = header_named(m, "extensionHeader-!.%*+_`'~");
	assert_int_equal(h->id, SIP_HDR_OTHER);
	/* A UTF-8 byte order mark, then three CJK characters. */
	assert_view(h->value, "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
	assert_int_equal(m->content_length, 0);
	assert_int_equal(m->msg_len, f->len);
}

/* 3.1.1.3 Valid Use of the % Escaping Mechanism: the parser unescapes nothing. */
static void test_esc01(void **state)
{
	struct fx *f = fx_load(state, "esc01.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "INVITE");
	assert_view(m->ruri.user, "sips%3Auser%40example.com");
	assert_view(m->ruri.host, "example.net");
	assert_view(m->to.uri.user, "%75se%72");
	assert_view(m->to.uri.host, "example.com");
	assert_view(m->from.uri.user, "I%20have%20spaces");
	assert_view(m->from.tag, "938");
	assert_view(m->call_id, "esc01.239409asdfakjkn23onasd0-3234");
	assert_true(sip_msg_header(m, SIP_HDR_CALL_ID, 0)->compact);
	/* "C:" is the compact Content-Type, in upper case. */
	assert_true(sip_msg_header(m, SIP_HDR_CONTENT_TYPE, 0)->compact);
	assert_view(m->content_type, "application/sdp");
	assert_true(sip_msg_header(m, SIP_HDR_CONTACT, 0)->folded);
	assert_view(m->contact.uri.user, "cal%6Cer");
	assert_view(m->contact.uri.host, "host5.example.net");
	assert_view(m->contact.uri.params, ";%6C%72;n%61me=v%61lue%25%34%31");
	/* Parameter names are matched as sent, and "%25%34%31" is not turned into "A". */
	assert_view(param(m->contact.uri.params, "n%61me"), "v%61lue%25%34%31");
	assert_view(param(m->contact.uri.params, "%6C%72"), "");
	assert_false(has_param(m->contact.uri.params, "name"));
	assert_int_equal(m->content_length, 150);
	assert_int_equal(m->body.len, 150);
	assert_int_equal(m->flags, SIP_F_FOLDED | SIP_F_COMPACT);
}

/* 3.1.1.4 Escaped Nulls in URIs: "%00" is text, not a NUL, and does not end the user part. */
static void test_escnull(void **state)
{
	struct fx *f = fx_load(state, "escnull.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_null(memchr(f->raw, '\0', f->len));
	assert_view(m->method, "REGISTER");
	assert_view(m->to.uri.user, "null-%00-null");
	assert_view(m->to.uri.host, "example.com");
	assert_view(m->from.uri.user, "null-%00-null");
	assert_view(m->from.tag, "839923423");
	/* Two distinct contacts. */
	assert_int_equal(m->contact_count, 2);
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_CONTACT), 2);
	assert_view(m->contact.uri.user, "%00");
	assert_view(m->contact.uri.host, "host5.example.com");
	assert_view(sip_msg_header(m, SIP_HDR_CONTACT, 1)->value, "<sip:%00%00@host5.example.com>");
	assert_true(sip_msg_header(m, SIP_HDR_CONTENT_LENGTH, 0)->compact); /* "L:0" */
	assert_int_equal(m->content_length, 0);
	assert_int_equal(m->cseq.num, 14398234);
}

/* 3.1.1.5 Use of % When It Is Not an Escape: an unknown method and an unknown header. */
static void test_esc02(void **state)
{
	struct fx *f = fx_load(state, "esc02.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "RE%47IST%45R");
	assert_int_equal(m->method_id, SIP_METHOD_OTHER); /* not REGISTER */
	assert_view(m->cseq.method, "RE%47IST%45R");
	assert_view(m->ruri.host, "registrar.example.com");
	assert_true(m->to.quoted);
	assert_view(m->to.display, "%Z%45");
	assert_view(m->from.display, "%Z%45");
	assert_view(m->from.tag, "f232jadfj23");
	assert_view(m->via.branch, "z9hG4bK209%fzsnel234");
	assert_view(m->via.transport, "TCP");
	/* "C%6Fntact" is not Contact: two Contacts, and one unknown header. */
	const struct sip_header *h = header_named(m, "C%6Fntact");
	assert_int_equal(h->id, SIP_HDR_OTHER);
	assert_view(h->value, "<sip:alias2@host2.example.com>");
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_CONTACT), 2);
	assert_int_equal(m->contact_count, 2);
	assert_view(sip_msg_header(m, SIP_HDR_CONTACT, 1)->value, "<sip:alias3@host3.example.com>");
	assert_int_equal(m->max_forwards, 70);
}

/* 3.1.1.6 Message with No LWS between Display Name and <. */
static void test_lwsdisp(void **state)
{
	struct fx *f = fx_load(state, "lwsdisp.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "OPTIONS");
	assert_false(m->from.quoted);
	assert_true(m->from.bracketed);
	assert_view(m->from.display, "caller");
	assert_view(m->from.uri_raw, "sip:caller@example.com");
	assert_view(m->from.tag, "323");
	assert_view(m->to.uri_raw, "sip:user@example.com");
	assert_view(m->call_id, "lwsdisp.1234abcd@funky.example.com");
	assert_int_equal(m->cseq.num, 60);
}

/* 3.1.1.7 Long Values in Header Fields: nothing is cut, 34 Via values in 34 headers. */
static void test_longreq(void **state)
{
	struct fx *f = fx_load(state, "longreq.dat");
	const struct sip_msg *m = &f->m;
	char w[1024];
	accepted_clean(f);
	assert_view(m->method, "INVITE");

	assert_true(m->to.quoted);
	assert_view_eq(m->to.display, repeat(w, sizeof(w), "I have a user name of ", 1, "extreme",
					     10, " proportion", 1, (const char *)NULL));
	assert_int_equal(m->to.display.len, 103);
	assert_view(m->to.uri.host, "example.com");
	assert_int_equal(m->to.uri.port, 6000);
	assert_view_eq(param(m->to.uri.params, "unknownparam1"),
		       repeat(w, sizeof(w), "very", 1, "long", 20, "value", 1, (const char *)NULL));
	repeat(w, sizeof(w), "longparam", 1, "name", 25, (const char *)NULL);
	assert_view(param(m->to.uri.params, w), "shortvalue");
	repeat(w, sizeof(w), "verylong", 1, "long", 24, "ParameterNameWithNoValue", 1,
	       (const char *)NULL);
	assert_view(param(m->to.uri.params, w), "");

	assert_true(sip_msg_header(m, SIP_HDR_FROM, 0)->compact); /* "F:" */
	assert_view_eq(m->from.uri.user,
		       repeat(w, sizeof(w), "amazinglylongcallername", 5, (const char *)NULL));
	assert_view_eq(m->from.tag,
		       repeat(w, sizeof(w), "1", 1, "298", 50, "2424", 1, (const char *)NULL));
	assert_int_equal(m->from.tag.len, 155);
	repeat(w, sizeof(w), "unknownheaderparam", 1, "name", 20, (const char *)NULL);
	char v[256];
	assert_view_eq(param(m->from.params, w), repeat(v, sizeof(v), "unknowheaderparam", 1,
							"value", 15, (const char *)NULL));
	repeat(w, sizeof(w), "unknownValuelessparam", 1, "nameparam", 9, "name", 1,
	       (const char *)NULL);
	assert_view(param(m->from.params, w), "");

	assert_view_eq(m->call_id, repeat(w, sizeof(w), "longreq.one", 1, "really", 20,
					  "longcallid", 1, (const char *)NULL));
	repeat(w, sizeof(w), "Unknown-", 1, "Long", 20, "-Name", 1, (const char *)NULL);
	const struct sip_header *h = header_named(m, w);
	assert_view_eq(h->value, repeat(w, sizeof(w), "unknown-", 1, "long", 20, "-value; unknown-",
					1, "long", 20, "-parameter-name = unknown-", 1, "long", 20,
					"-parameter-value", 1, (const char *)NULL));

	/* 34 Via headers, one value each, in every spelling of "Via" and "v". */
	assert_int_equal(m->via_count, 34);
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_VIA), 34);
	assert_view(m->via.host, "sip33.example.com");
	assert_view(m->via.transport, "TCP");
	assert_absent(m->via.branch);
	h = sip_msg_header(m, SIP_HDR_VIA, 33);
	assert_non_null(h);
	assert_null(sip_msg_header(m, SIP_HDR_VIA, 34));
	assert_view_eq(h->value,
		       repeat(w, sizeof(w),
			      "SIP/2.0/TCP host.example.com;received=192.0.2.5;branch=verylong", 1,
			      "long", 49, "branchvalue", 1, (const char *)NULL));
	assert_view(sip_msg_header(m, SIP_HDR_VIA, 11)->name, "V");
	assert_view(sip_msg_header(m, SIP_HDR_VIA, 11)->value, "SIP/2.0/TCP sip22.example.com");

	assert_view_eq(m->contact.uri.user,
		       repeat(w, sizeof(w), "amazinglylongcallername", 5, (const char *)NULL));
	assert_view(m->contact.uri.host, "host5.example.net");
	assert_int_equal(m->max_forwards, 70);
	assert_int_equal(m->cseq.num, 3882340);
	assert_int_equal(m->content_length, 150);
	assert_int_equal(m->body.len, 150);
	assert_int_equal(m->nhdr, 43);
	assert_int_equal(m->msg_len, f->len);
}

/* 3.1.1.8 Extra Trailing Octets in a UDP Datagram: the REGISTER, not the INVITE after it. */
static void test_dblreq(void **state)
{
	struct fx *f = fx_load(state, "dblreq.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "REGISTER");
	assert_int_equal(m->flags & SIP_F_TRAILING, SIP_F_TRAILING);
	assert_int_equal(m->content_length, 0);
	assert_int_equal(m->body.len, 0);
	/* The message ends at the empty line; what follows is the discarded INVITE. */
	assert_int_equal(m->msg_len, off_of(f, "\r\n\r\n") + 4);
	assert_int_equal(m->msg_len, 300);
	assert_memory_equal(f->buf + m->msg_len, "\r\nINVITE sip:joe@example.com", 28);
	assert_int_equal(m->nhdr, 8);
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_CONTENT_TYPE), 0);
	assert_int_equal(m->via_count, 1);
	assert_view(m->via.branch, "z9hG4bKkdjuw23492");
	assert_view(m->to.uri_raw, "sip:j.user@example.com");
	assert_view(m->from.tag, "43251j3j324");
	assert_view(m->call_id, "dblreq.0ha0isndaksdj99sdfafnl3lk233412"); /* "I:" */
	assert_false(m->contact.bracketed);
	assert_view(m->contact.uri_raw, "sip:j.user@host.example.com");
	assert_int_equal(m->cseq.num, 8);
	assert_view(m->cseq.method, "REGISTER");
	assert_int_equal(m->max_forwards, 8);
}

/* 3.1.1.9 Semicolon-Separated Parameters in URI User Part. */
static void test_semiuri(void **state)
{
	struct fx *f = fx_load(state, "semiuri.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "OPTIONS");
	assert_view(m->ruri.user, "user;par=u%40example.net");
	assert_view(m->ruri.host, "example.com");
	assert_absent(m->ruri.params); /* the ';' belongs to the user part */
	assert_false(has_param(m->ruri.params, "par"));
	assert_true(sip_msg_header(m, SIP_HDR_ACCEPT, 0)->folded);
	assert_view(m->accept, "application/sdp, application/pkcs7-mime,\r\n"
			       "        multipart/mixed, multipart/signed,\r\n"
			       "        message/sip, message/sipfrag");
	assert_int_equal(m->max_forwards, 3);
	assert_view(m->via.host, "192.0.2.1");
	assert_int_equal(m->flags, SIP_F_FOLDED | SIP_F_COMPACT);
}

/* 3.1.1.10 Varied and Unknown Transport Types: only the top Via is decoded, all are counted. */
static void test_transports(void **state)
{
	struct fx *f = fx_load(state, "transports.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_int_equal(m->via_count, 5);
	assert_view(m->via.transport, "UDP");
	assert_view(m->via.host, "t1.example.com");
	assert_view(m->via.branch, "z9hG4bKkdjuw");
	static const char *const tops[] = {"SIP/2.0/UDP t1.", "SIP/2.0/SCTP t2.", "SIP/2.0/TLS t3.",
					   "SIP/2.0/UNKNOWN t4.", "SIP/2.0/TCP t5."};
	for (unsigned i = 0; i < 5; i++) {
		const struct sip_header *h = sip_msg_header(m, SIP_HDR_VIA, i);
		assert_non_null(h);
		assert_true(h->value.len > strlen(tops[i]));
		assert_memory_equal(h->value.p, tops[i], strlen(tops[i]));
	}
	assert_null(sip_msg_header(m, SIP_HDR_VIA, 5));
	assert_view(m->call_id, "transports.kijh4akdnaqjkwendsasfdj"); /* "Call-ID:  " */
	assert_view(m->accept, "application/sdp");
}

/* 3.1.1.11 Multipart MIME Message: a binary body with NUL, bare CR and LF, framed by length. */
static void test_mpart01(void **state)
{
	struct fx *f = fx_load(state, "mpart01.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->method, "MESSAGE");
	assert_int_equal(m->method_id, SIP_METHOD_MESSAGE);
	assert_int_equal(m->content_length, 553);
	assert_int_equal(m->body.len, 553);
	assert_ptr_equal(m->body.p, f->buf + m->head_len);
	assert_int_equal(m->msg_len, f->len);
	assert_int_equal(m->flags, 0);
	assert_non_null(memchr(m->body.p, '\0', m->body.len));
	assert_view_prefix(m->body, "--7a9cbec02ceef655\r\n");
	assert_memory_equal(m->body.p + m->body.len - 22, "--7a9cbec02ceef655--\r\n", 22);
	assert_view(m->content_type, "multipart/mixed;boundary=7a9cbec02ceef655");
	assert_view(m->date, "Sat, 15 Oct 2005 04:44:56 GMT");
	assert_view(m->user_agent, "SIPimp.org/0.2.5 (curses)");
	assert_view(m->via.host, "127.0.0.1");
	assert_int_equal(m->via.port, 5070);
	assert_view(m->via.branch, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-");
	assert_view(m->via.rport, "");
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_IDENTITY), 1);
	assert_view(m->contact.uri.host, "127.0.0.1");
	assert_int_equal(m->contact.uri.port, 5070);
	assert_view(m->call_id, "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
}

/* 3.1.1.12 Unusual Reason Phrase: UTF-8 in the reason, kept byte for byte. */
static void test_unreason(void **state)
{
	struct fx *f = fx_load(state, "unreason.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_false(m->is_request);
	assert_int_equal(m->status, 200);
	assert_view(m->reason, "= 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe "
			       "\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82"
			       "\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c - "
			       "\xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5");
	assert_int_equal(m->reason.len, 74);
	assert_absent(m->method);
	assert_view(m->cseq.method, "INVITE");
	assert_int_equal(m->cseq.num, 35);
	assert_view(m->to.tag, "2229");
	assert_view(m->from.tag, "11141343");
	assert_int_equal(m->content_length, 154);
	assert_int_equal(m->body.len, 154);
	assert_int_equal(m->max_forwards, -1);
}

/* 3.1.1.13 Empty Reason Phrase: "SIP/2.0 100 " with the SP and nothing after it. */
static void test_noreason(void **state)
{
	struct fx *f = fx_load(state, "noreason.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_false(m->is_request);
	assert_int_equal(m->status, 100);
	assert_view(m->start_line, "SIP/2.0 100 ");
	assert_view(m->reason, ""); /* present, empty */
	assert_ptr_equal(m->reason.p, f->buf + 12);
	assert_view(m->to.tag, "902jndnke3");
	assert_view(m->via.branch, "z9hG4bK2398ndaoe");
	assert_int_equal(m->content_length, 0);
}

/* ---- 3.1.2 Invalid messages ---------------------------------------------------------------- */

/* 3.1.2.1 Extraneous Header Field Separators: ";;,;,," in Via and ";;;;" in Contact. */
static void test_badinv01(void **state)
{
	struct fx *f = fx_load(state, "badinv01.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_VIA},
		       {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_VIA}, {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_VIA},
		       {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_CONTACT},
		       {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_CONTACT},
		       {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_CONTACT},
		       {SW_E_SIP_EMPTY_ELEMENT, SIP_HDR_CONTACT});
	/* Every defect points into the separators of the header it is charged to. */
	uint32_t via_sep = off_of(f, ";;,;,,"), contact_sep = off_of(f, ";;;;");
	for (unsigned i = 0; i < m->ndefects; i++) {
		uint32_t o = m->defects[i].off;
		if (m->defects[i].hdr == SIP_HDR_VIA)
			assert_in_range(o, via_sep, via_sep + 5);
		else
			assert_in_range(o, contact_sep, contact_sep + 3);
	}
	assert_view(m->via.host, "192.0.2.15");
	assert_view(m->via.transport, "UDP");
	assert_absent(m->via.branch);
	assert_view(m->contact.display, "Joe");
	assert_view(m->contact.uri_raw, "sip:joe@example.org");
	assert_int_equal(m->body.len, 152);
}

/* 3.1.2.2 Content Length Larger Than Message: 400 over UDP; a stream waits for more. */
static void test_clerr(void **state)
{
	struct fx *f = fx_load(state, "clerr.dat");
	assert_int_equal(f->rc, SW_E_SIP_BODY_SHORT);
	assert_int_equal(f->m.err_off, off_of(f, "\r\n\r\n") + 4); /* where the body starts */
	assert_int_equal(fx_reparse(f, f->raw, f->len, SIP_MODE_STREAM), SW_E_TRUNCATED);
}

/* 3.1.2.3 Negative Content-Length: never a size; fatal in both modes. */
static void test_ncl(void **state)
{
	struct fx *f = fx_load(state, "ncl.dat");
	assert_int_equal(f->rc, SW_E_SIP_CONTENT_LENGTH);
	assert_int_equal(f->m.err_off, off_of(f, "-999"));
	assert_int_equal(fx_reparse(f, f->raw, f->len, SIP_MODE_STREAM), SW_E_SIP_CONTENT_LENGTH);
	assert_int_equal(f->m.err_off, off_of(f, "-999"));
}

/*
 * 3.1.2.4 Request Scalar Fields with Overlarge Values: CSeq > 2^32-1, Max-Forwards 300, Expires
 * of 10^100. The Contact ";expires=280297596632815" (also > 2^32-1) is a header parameter the
 * parser does not range-check: the registrar must.
 */
static void test_scalar02(void **state)
{
	struct fx *f = fx_load(state, "scalar02.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_CSEQ_RANGE, SIP_HDR_CSEQ},
		       {SW_E_SIP_MAX_FORWARDS, SIP_HDR_MAX_FORWARDS},
		       {SW_E_SIP_EXPIRES, SIP_HDR_EXPIRES});
	assert_int_equal(defect_off(m, SW_E_SIP_CSEQ_RANGE, SIP_HDR_CSEQ),
			 off_of(f, "36893488147419103232"));
	assert_int_equal(defect_off(m, SW_E_SIP_MAX_FORWARDS, SIP_HDR_MAX_FORWARDS),
			 off_of(f, "Max-Forwards: 300") + 14);
	assert_int_equal(defect_off(m, SW_E_SIP_EXPIRES, SIP_HDR_EXPIRES),
			 off_of(f, "10000000000"));
	assert_int_equal(m->cseq.num, UINT32_MAX); /* saturated */
	assert_view(m->cseq.method, "REGISTER");
	assert_int_equal(m->max_forwards, -1);
	assert_int_equal(m->expires, -1);
	assert_view(param(m->contact.params, "expires"), "280297596632815");
}

/*
 * 3.1.2.5 Response Scalar Fields with Overlarge Values: the CSeq is out of range. Retry-After
 * (949302838503028349304023988) and the 4-digit warn-code are not decoded by this parser.
 */
static void test_scalarlg(void **state)
{
	struct fx *f = fx_load(state, "scalarlg.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_CSEQ_RANGE, SIP_HDR_CSEQ});
	assert_int_equal(defect_off(m, SW_E_SIP_CSEQ_RANGE, SIP_HDR_CSEQ),
			 off_of(f, "9292394834772304023312"));
	assert_false(m->is_request);
	assert_int_equal(m->status, 503);
	assert_view(m->reason, "Service Unavailable");
	assert_int_equal(m->cseq.num, UINT32_MAX);
	assert_view(m->cseq.method, "OPTIONS");
	assert_view(m->via.received, "192.0.2.129");
	assert_view(header_named(m, "Warning")->value, "1812 overture \"In Progress\"");
}

/* 3.1.2.6 Unterminated Quoted String in Display Name. */
static void test_quotbal(void **state)
{
	struct fx *f = fx_load(state, "quotbal.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_QUOTE, SIP_HDR_TO});
	assert_int_equal(defect_off(m, SW_E_SIP_QUOTE, SIP_HDR_TO), off_of(f, "\"Mr. J. User"));
	assert_true(m->to.quoted);
	assert_absent(m->to.uri.scheme); /* no URI is guessed out of the open quote */
	assert_view(m->from.tag, "93334");
	assert_int_equal(m->via.port, 5050);
	assert_int_equal(m->body.len, 152);
}

/* 3.1.2.7 <> Enclosing Request-URI. */
static void test_ltgtruri(void **state)
{
	struct fx *f = fx_load(state, "ltgtruri.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_RURI, SIP_HDR_OTHER});
	assert_int_equal(defect_off(m, SW_E_SIP_RURI, SIP_HDR_OTHER), 7);
	assert_view(m->ruri_raw, "<sip:user@example.com>");
	assert_absent(m->ruri.scheme);
	assert_view(m->method, "INVITE");
	assert_view(m->version, "SIP/2.0");
}

/* 3.1.2.8 Malformed SIP Request-URI (embedded LWS). */
static void test_lwsruri(void **state)
{
	struct fx *f = fx_load(state, "lwsruri.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_RURI_LWS, SIP_HDR_OTHER});
	assert_int_equal(defect_off(m, SW_E_SIP_RURI_LWS, SIP_HDR_OTHER), off_of(f, " lr"));
	assert_view(m->ruri_raw, "sip:user@example.com; lr");
	assert_absent(m->ruri.host);
	assert_view(m->version, "SIP/2.0");
	assert_int_equal(m->cseq.num, 2130706432);
}

/* 3.1.2.9 Multiple SP Separating Request-Line Elements. */
static void test_lwsstart(void **state)
{
	struct fx *f = fx_load(state, "lwsstart.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER});
	assert_int_equal(defect_off(m, SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER), 7);
	assert_view(m->method, "INVITE");
	assert_view(m->ruri_raw, "sip:user@example.com");
	assert_view(m->ruri.user, "user");
	assert_view(m->version, "SIP/2.0");
}

/* 3.1.2.10 SP Characters at End of Request-Line. */
static void test_trws(void **state)
{
	struct fx *f = fx_load(state, "trws.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER});
	/* Somewhere in the two trailing SPs. */
	uint32_t sp = off_of(f, "SIP/2.0  \r\n") + 7;
	assert_in_range(defect_off(m, SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER), sp, sp + 1);
	assert_view(m->version, "SIP/2.0");
	assert_view(m->ruri_raw, "sip:remote-target@example.com");
	assert_view(m->method, "OPTIONS");
}

/* 3.1.2.11 Escaped Headers in SIP Request-URI: reported, never turned into a Route. */
static void test_escruri(void **state)
{
	struct fx *f = fx_load(state, "escruri.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_RURI_HEADERS, SIP_HDR_OTHER});
	assert_int_equal(defect_off(m, SW_E_SIP_RURI_HEADERS, SIP_HDR_OTHER), off_of(f, "Route="));
	assert_view(m->ruri.headers, "Route=%3Csip:example.com%3E");
	assert_view(m->ruri.host, "example.com");
	assert_int_equal(sip_msg_header_count(m, SIP_HDR_ROUTE), 0);
}

/* 3.1.2.12 Invalid Time Zone in Date Header Field. */
static void test_baddate(void **state)
{
	struct fx *f = fx_load(state, "baddate.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_DATE, SIP_HDR_DATE});
	assert_int_equal(defect_off(m, SW_E_SIP_DATE, SIP_HDR_DATE), off_of(f, "Fri, 01 Jan"));
	assert_view(m->date, "Fri, 01 Jan 2010 16:00:00 EST");
}

/* 3.1.2.13 Failure to Enclose name-addr URI in <>: a '?' in a bare Contact addr-spec. */
static void test_regbadct(void **state)
{
	struct fx *f = fx_load(state, "regbadct.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_ADDR_BRACKETS, SIP_HDR_CONTACT});
	assert_int_equal(defect_off(m, SW_E_SIP_ADDR_BRACKETS, SIP_HDR_CONTACT),
			 off_of(f, "sip:user@example.com?Route"));
	assert_false(m->contact.bracketed);
	assert_view(m->method, "REGISTER");
}

/* 3.1.2.14 Spaces within addr-spec: "< sip:t.watson@example.org >". */
static void test_badaspec(void **state)
{
	struct fx *f = fx_load(state, "badaspec.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_ADDR_LWS, SIP_HDR_TO});
	assert_int_equal(defect_off(m, SW_E_SIP_ADDR_LWS, SIP_HDR_TO),
			 off_of(f, "< sip:t.watson") + 1);
	assert_true(m->to.quoted);
	assert_view(m->to.display, "Watson, Thomas");
	/* The quoted "Bell, Alexander" in From is fine. */
	assert_view(m->from.display, "Bell, Alexander");
	assert_view(m->from.tag, "433423");
}

/*
 * 3.1.2.15 Non-token Characters in Display Name: "Bell, Alexander" unquoted. The archived file
 * has no empty line ending the header section (README), so as a datagram it is rejected for
 * that, and a stream would wait; with the CRLF appended, both display names are defects.
 */
static void test_baddn(void **state)
{
	struct fx *f = fx_load(state, "baddn.dat");
	assert_int_equal(f->rc, SW_E_SIP_NO_EOH);
	assert_int_equal(f->m.err_off, f->len);
	assert_int_equal(fx_reparse(f, f->raw, f->len, SIP_MODE_STREAM), SW_E_TRUNCATED);

	char *fixed = malloc(f->len + 2);
	assert_non_null(fixed);
	memcpy(fixed, f->raw, f->len);
	memcpy(fixed + f->len, "\r\n", 2);
	int rc = fx_reparse(f, fixed, f->len + 2, SIP_MODE_DATAGRAM);
	free(fixed);
	const struct sip_msg *m = &f->m;
	assert_int_equal(rc, 0);
	assert_defects(m, {SW_E_SIP_DISPLAY_NAME, SIP_HDR_FROM},
		       {SW_E_SIP_DISPLAY_NAME, SIP_HDR_TO});
	assert_int_equal(defect_off(m, SW_E_SIP_DISPLAY_NAME, SIP_HDR_FROM),
			 off_of(f, "Bell, Alexander"));
	assert_int_equal(defect_off(m, SW_E_SIP_DISPLAY_NAME, SIP_HDR_TO),
			 off_of(f, "Watson, Thomas"));
	assert_false(m->from.quoted);
	assert_view(m->from.display, "Bell, Alexander");
	assert_view(m->from.tag, "43");
	assert_view(m->to.display, "Watson, Thomas");
	assert_view(m->to.uri_raw, "sip:t.watson@example.org");
	assert_int_equal(m->msg_len, f->len + 2);
}

/* 3.1.2.16 Unknown Protocol Version: SIP/7.0, for a 505. */
static void test_badvers(void **state)
{
	struct fx *f = fx_load(state, "badvers.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_VERSION, SIP_HDR_OTHER});
	assert_int_equal(defect_off(m, SW_E_SIP_VERSION, SIP_HDR_OTHER), off_of(f, "SIP/7.0"));
	assert_view(m->version, "SIP/7.0");
	assert_view(m->method, "OPTIONS");
	assert_view(m->via.version, "7.0");
	assert_view(m->from.display, "A. Bell");
}

/* 3.1.2.17 Start Line and CSeq Method Mismatch. */
static void test_mismatch01(void **state)
{
	struct fx *f = fx_load(state, "mismatch01.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_CSEQ_METHOD, SIP_HDR_CSEQ});
	assert_int_equal(defect_off(m, SW_E_SIP_CSEQ_METHOD, SIP_HDR_CSEQ),
			 off_of(f, "CSeq: 8 INVITE") + 8);
	assert_view(m->method, "OPTIONS");
	assert_view(m->cseq.method, "INVITE");
}

/* 3.1.2.18 Unknown Method with CSeq Method Mismatch. */
static void test_mismatch02(void **state)
{
	struct fx *f = fx_load(state, "mismatch02.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_CSEQ_METHOD, SIP_HDR_CSEQ});
	assert_int_equal(defect_off(m, SW_E_SIP_CSEQ_METHOD, SIP_HDR_CSEQ),
			 off_of(f, "CSeq: 8 INVITE") + 8);
	assert_view(m->method, "NEWMETHOD");
	assert_int_equal(m->method_id, SIP_METHOD_OTHER);
	assert_view(m->cseq.method, "INVITE");
	assert_int_equal(m->body.len, 138);
}

/* 3.1.2.19 Overlarge Response Code: 4294967301 is not a status; the response is dropped. */
static void test_bigcode(void **state)
{
	struct fx *f = fx_load(state, "bigcode.dat");
	assert_int_equal(f->rc, SW_E_SIP_STATUS);
	assert_int_equal(f->m.err_off, off_of(f, "4294967301"));
	assert_int_equal(fx_reparse(f, f->raw, f->len, SIP_MODE_STREAM), SW_E_SIP_STATUS);
}

/* ---- 3.2 Transaction layer ----------------------------------------------------------------- */

/* 3.2.1 Missing Transaction Identifier: the branch is the bare magic cookie. */
static void test_badbranch(void **state)
{
	struct fx *f = fx_load(state, "badbranch.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->via.branch, "z9hG4bK");
	assert_view(m->via.host, "192.0.2.1");
	assert_view(m->method, "OPTIONS");
	assert_int_equal(m->max_forwards, 3);
}

/* ---- 3.3 Application layer ----------------------------------------------------------------- */

/* 3.3.1 Missing Required Header Fields: no To, From or Call-ID. */
static void test_insuf(void **state)
{
	struct fx *f = fx_load(state, "insuf.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_MISSING_HEADER, SIP_HDR_TO},
		       {SW_E_SIP_MISSING_HEADER, SIP_HDR_FROM},
		       {SW_E_SIP_MISSING_HEADER, SIP_HDR_CALL_ID});
	assert_int_equal(defect_off(m, SW_E_SIP_MISSING_HEADER, SIP_HDR_TO), m->head_len);
	assert_absent(m->call_id);
	assert_absent(m->to.value);
	assert_absent(m->from.value);
	assert_int_equal(m->cseq.num, 193942);
	assert_view(m->via.branch, "z9hG4bKkdj.insuf");
	assert_int_equal(m->body.len, 152);
}

/* 3.3.2 Request-URI with Unknown Scheme: opaque, for a 416. */
static void test_unkscm(void **state)
{
	struct fx *f = fx_load(state, "unkscm.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->ruri_raw, "nobodyKnowsThisScheme:totallyopaquecontent");
	assert_view(m->ruri.scheme, "nobodyKnowsThisScheme");
	assert_absent(m->ruri.user);
	assert_absent(m->ruri.host);
	assert_view(m->to.uri.scheme, "sip");
}

/* 3.3.3 Request-URI with Known but Atypical Scheme. */
static void test_novelsc(void **state)
{
	struct fx *f = fx_load(state, "novelsc.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->ruri_raw, "soap.beep://192.0.2.103:3002");
	assert_view(m->ruri.scheme, "soap.beep");
	assert_absent(m->ruri.host);
	assert_int_equal(m->ruri.port, 0);
}

/* 3.3.4 Unknown URI Schemes in Header Fields: isbn:, http: and name: parse as opaque URIs. */
static void test_unksm2(void **state)
{
	struct fx *f = fx_load(state, "unksm2.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_false(m->to.bracketed);
	assert_view(m->to.uri_raw, "isbn:2983792873");
	assert_view(m->to.uri.scheme, "isbn");
	assert_view(m->from.uri_raw, "http://www.example.com");
	assert_view(m->from.uri.scheme, "http");
	assert_view(m->from.tag, "3234233");
	assert_view(m->contact.uri_raw, "name:John_Smith");
	assert_view(m->contact.uri.scheme, "name");
	assert_view(m->method, "REGISTER");
}

/* 3.3.5 Proxy-Require and Require: unknown extensions, for a 420. */
static void test_bext01(void **state)
{
	struct fx *f = fx_load(state, "bext01.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(sip_msg_header(m, SIP_HDR_REQUIRE, 0)->value,
		    "nothingSupportsThis, nothingSupportsThisEither");
	assert_view(sip_msg_header(m, SIP_HDR_PROXY_REQUIRE, 0)->value,
		    "noProxiesSupportThis, norDoAnyProxiesSupportThis");
	assert_view(m->via.transport, "TLS");
	assert_view(m->via.host, "fold-and-staple.example.com");
}

/* 3.3.6 Unknown Content-Type. */
static void test_invut(void **state)
{
	struct fx *f = fx_load(state, "invut.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->content_type, "application/unknownformat");
	assert_int_equal(m->content_length, 40);
	assert_int_equal(m->body.len, 40);
	assert_view_prefix(m->body, "<audio>\r\n <pcmu port=\"443\"/>");
	assert_int_equal(m->msg_len, f->len);
}

/* 3.3.7 Unknown Authorization Scheme: kept as sent, and not held to Digest's grammar. */
static void test_regaut01(void **state)
{
	struct fx *f = fx_load(state, "regaut01.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->authorization.scheme, "NoOneKnowsThisScheme");
	assert_view(m->authorization.value, "NoOneKnowsThisScheme opaque-data=here");
	assert_absent(m->authorization.username);
	assert_absent(m->authorization.response);
	assert_int_equal(m->content_length, 0); /* "Content-Length:0" */
}

/* 3.3.8 Multiple Values in Single Value Required Fields: the first of each is decoded. */
static void test_multi01(void **state)
{
	struct fx *f = fx_load(state, "multi01.dat");
	const struct sip_msg *m = &f->m;
	assert_int_equal(f->rc, 0);
	assert_defects(m, {SW_E_SIP_DUP_HEADER, SIP_HDR_CSEQ},
		       {SW_E_SIP_DUP_HEADER, SIP_HDR_CALL_ID}, {SW_E_SIP_DUP_HEADER, SIP_HDR_TO},
		       {SW_E_SIP_DUP_HEADER, SIP_HDR_FROM},
		       {SW_E_SIP_DUP_HEADER, SIP_HDR_MAX_FORWARDS});
	/* Each defect is at the second header line of its kind. */
	static const enum sip_hdr_id dup[] = {SIP_HDR_CSEQ, SIP_HDR_CALL_ID, SIP_HDR_TO,
					      SIP_HDR_FROM, SIP_HDR_MAX_FORWARDS};
	for (size_t i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
		assert_int_equal(sip_msg_header_count(m, dup[i]), 2);
		assert_int_equal(defect_off(m, SW_E_SIP_DUP_HEADER, dup[i]),
				 sip_msg_header(m, dup[i], 1)->off);
	}
	assert_int_equal(m->cseq.num, 5);
	assert_view(m->call_id, "multi01.98asdh@192.0.2.1");
	assert_view(m->to.uri_raw, "sip:user@example.com");
	assert_view(m->from.tag, "3413415");
	assert_int_equal(m->max_forwards, 70);
	assert_int_equal(m->contact_count, 2);
	assert_int_equal(m->body.len, 154);
}

/* 3.3.9 Multiple Content-Length Values: a framing error, in a datagram and in a stream. */
static void test_mcl01(void **state)
{
	struct fx *f = fx_load(state, "mcl01.dat");
	assert_int_equal(f->rc, SW_E_SIP_CL_CONFLICT);
	assert_int_equal(f->m.err_off, off_of(f, "Content-Length: 5"));
	assert_int_equal(fx_reparse(f, f->raw, f->len, SIP_MODE_STREAM), SW_E_SIP_CL_CONFLICT);
}

/* 3.3.10 200 OK Response with Broadcast Via Header Field Value. */
static void test_bcast(void **state)
{
	struct fx *f = fx_load(state, "bcast.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_int_equal(m->status, 200);
	assert_view(m->reason, "OK");
	assert_int_equal(m->via_count, 2);
	assert_view(m->via.host, "192.0.2.198");
	assert_view(m->via.branch, "z9hG4bK1324923");
	assert_view(sip_msg_header(m, SIP_HDR_VIA, 1)->value,
		    "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23");
	assert_int_equal(m->body.len, 154);
}

/* 3.3.11 Max-Forwards of Zero. */
static void test_zeromf(void **state)
{
	struct fx *f = fx_load(state, "zeromf.dat");
	accepted_clean(f);
	assert_int_equal(f->m.max_forwards, 0);
	assert_view(f->m.method, "OPTIONS");
}

/* 3.3.12 REGISTER with a Contact Header Parameter: unbracketed, so a header parameter. */
static void test_cparam01(void **state)
{
	struct fx *f = fx_load(state, "cparam01.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_false(m->contact.bracketed);
	assert_view(m->contact.uri_raw, "sip:+19725552222@gw1.example.net");
	assert_view(m->contact.uri.user, "+19725552222");
	assert_absent(m->contact.uri.params);
	assert_view(m->contact.params, ";unknownparam");
	assert_view(param(m->contact.params, "unknownparam"), "");
}

/* 3.3.13 REGISTER with a url-parameter: inside <>, so a URI parameter. */
static void test_cparam02(void **state)
{
	struct fx *f = fx_load(state, "cparam02.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_true(m->contact.bracketed);
	assert_view(m->contact.uri_raw, "sip:+19725552222@gw1.example.net;unknownparam");
	assert_view(m->contact.uri.host, "gw1.example.net");
	assert_view(m->contact.uri.params, ";unknownparam");
	assert_view(param(m->contact.uri.params, "unknownparam"), "");
	assert_absent(m->contact.params);
}

/* 3.3.14 REGISTER with a URL Escaped Header: inside <>, so it is legal and kept. */
static void test_regescrt(void **state)
{
	struct fx *f = fx_load(state, "regescrt.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_true(m->contact.bracketed);
	assert_true(sip_msg_header(m, SIP_HDR_CONTACT, 0)->compact); /* "M:" */
	assert_view(m->contact.uri.headers, "Route=%3Csip:sip.example.com%3E");
	assert_view(m->contact.uri.host, "example.com");
	assert_int_equal(m->content_length, 0);
}

/* 3.3.15 Unacceptable Accept Offering. */
static void test_sdp01(void **state)
{
	struct fx *f = fx_load(state, "sdp01.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_view(m->accept, "text/nobodyKnowsThis");
	assert_view(m->content_type, "application/sdp");
	assert_int_equal(m->body.len, 150);
}

/* ---- 3.4 Backward compatibility ------------------------------------------------------------ */

/* 3.4.1 INVITE with RFC 2543 Syntax: no branch, no tag, no Max-Forwards, no Content-Length. */
static void test_inv2543(void **state)
{
	struct fx *f = fx_load(state, "inv2543.dat");
	const struct sip_msg *m = &f->m;
	accepted_clean(f);
	assert_int_equal(m->flags, SIP_F_NO_CL);
	assert_false(m->has_content_length);
	/* Over UDP the body is the rest of the datagram. */
	assert_ptr_equal(m->body.p, f->buf + m->head_len);
	assert_int_equal(m->body.len, f->len - m->head_len);
	assert_int_equal(m->body.len, 105);
	assert_int_equal(m->msg_len, f->len);
	assert_absent(m->via.branch);
	assert_absent(m->from.tag);
	assert_int_equal(m->max_forwards, -1);
	assert_view(m->from.uri.params, ";user=phone");
	/* To is an addr-spec, so ";user=phone" is a header parameter there. */
	assert_view(m->to.params, ";user=phone");
	assert_absent(m->to.uri.params);
	assert_view(sip_msg_header(m, SIP_HDR_RECORD_ROUTE, 0)->value,
		    "<sip:UserB@example.com;maddr=ss1.example.com>");
	/* On a stream, no Content-Length means no body. */
	assert_int_equal(fx_reparse(f, f->raw, f->len, SIP_MODE_STREAM), 0);
	assert_int_equal(f->m.body.len, 0);
	assert_int_equal(f->m.msg_len, f->m.head_len);
}

/* ---- The corpus itself --------------------------------------------------------------------- */

/*
 * The README's verdict table lists exactly the files above with the sizes above, and every file
 * on disk has that size.
 */
static void test_readme_table(void **state)
{
	(void)state;
	size_t len;
	char *readme = tu_read_file(RFC_DIR "/README.md", &len);
	size_t rows = 0;
	for (char *line = readme; line < readme + len;) {
		char *nl = memchr(line, '\n', (size_t)(readme + len - line));
		char *end = nl ? nl : readme + len;
		char name[64];
		size_t bytes;
		char tail;
		if (end - line > 4 && memcmp(line, "| `", 3) == 0 &&
		    sscanf(line, "| `%63[^`]` | %zu %c", name, &bytes, &tail) == 3 && tail == '|') {
			rows++;
			if (corpus_bytes(name) != bytes)
				fail_msg("README: %s %zu bytes, test table %zu", name, bytes,
					 corpus_bytes(name));
			char path[512];
			size_t flen;
			snprintf(path, sizeof(path), "%s/%s", RFC_DIR, name);
			free(tu_read_file(path, &flen));
			if (flen != bytes)
				fail_msg("%s: %zu bytes on disk, README %zu", name, flen, bytes);
		}
		line = end + 1;
	}
	free(readme);
	assert_int_equal(rows, 49);
	assert_int_equal(NCORPUS, 49);
}

#define T(name) cmocka_unit_test_teardown(test_##name, fx_teardown)

int main(void)
{
	/* By section of RFC 4475; one test per message. */
	// clang-format off
	const struct CMUnitTest tests[] = {
		/* 3.1.1 valid */
		T(wsinv), T(intmeth), T(esc01), T(escnull), T(esc02), T(lwsdisp), T(longreq),
		T(dblreq), T(semiuri), T(transports), T(mpart01), T(unreason), T(noreason),
		/* 3.1.2 invalid */
		T(badinv01), T(clerr), T(ncl), T(scalar02), T(scalarlg), T(quotbal), T(ltgtruri),
		T(lwsruri), T(lwsstart), T(trws), T(escruri), T(baddate), T(regbadct), T(badaspec),
		T(baddn), T(badvers), T(mismatch01), T(mismatch02), T(bigcode),
		/* 3.2 transaction layer, 3.3 application layer, 3.4 backward compatibility */
		T(badbranch), T(insuf), T(unkscm), T(novelsc), T(unksm2), T(bext01), T(invut),
		T(regaut01), T(multi01), T(mcl01), T(bcast), T(zeromf), T(cparam01), T(cparam02),
		T(regescrt), T(sdp01), T(inv2543),
		cmocka_unit_test(test_readme_table),
	};
	// clang-format on
	return cmocka_run_group_tests(tests, NULL, NULL);
}
