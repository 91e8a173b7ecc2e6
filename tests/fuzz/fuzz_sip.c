/*
 * libFuzzer target for the SIP parser (src/sip/sip.h).
 *
 * The input is parsed as one UDP datagram and as a stream of Content-Length-framed messages,
 * each under three configurations: default limits with a full header array, default limits with
 * a header array smaller than the limit (the array must bound the parse), and tiny limits, so
 * the "limit exceeded" paths run as often as the success paths.
 *
 * After every successful parse each view the parser returned is read byte by byte. libFuzzer
 * hands the input over in a heap block of exactly its size, so ASan reports any view that reaches
 * past the input. An explicit bounds check catches the views ASan cannot see: those pointing
 * elsewhere, or past the message into the next one or into trailing bytes. The same pass checks
 * the other promises of the API: header indices and chains in range, offsets and lengths within
 * the input, defect counts consistent. A broken promise aborts with a message naming it, so the
 * crash artifact comes with its reason.
 *
 * Besides sip_parse the target calls the helpers that take views from a parsed message
 * (sip_msg_header, sip_msg_header_count, sip_param_get, sip_uri_parse, sip_hdr_lookup,
 * sip_method_lookup), so they see attacker bytes too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sip/sip.h"
#include "sip/sip_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The message being checked; non-empty views must lie inside [in_lo, in_hi). */
static const char *in_lo, *in_hi;

/* Keeps the byte reads from being optimised away. */
static volatile unsigned sink;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_sip: broken promise: %s (%s)\n", what, detail);
	abort();
}

/* Read every byte of a view and check that it lies within the input. */
static void touch(struct sw_str s, const char *what)
{
	unsigned sum = 0;

	if (!s.p) {
		if (s.len)
			fail("absent view with a length", what);
		return;
	}
	if (s.len == 0)
		return; /* an empty present view may point anywhere, it is never read */
	if (s.p < in_lo || s.p > in_hi || (size_t)(in_hi - s.p) < s.len)
		fail("view outside the input", what);
	for (uint32_t i = 0; i < s.len; i++)
		sum += (unsigned char)s.p[i];
	sink += sum;
}

static void touch_uri(const struct sip_uri *u, const char *what)
{
	struct sw_str v;

	touch(u->scheme, what);
	touch(u->user, what);
	touch(u->password, what);
	touch(u->host, what);
	touch(u->params, what);
	touch(u->headers, what);
	if (u->host_type > SIP_HOST_IPV6)
		fail("host_type out of range", what);
	if (sip_param_get(u->params, "transport", &v) == 1)
		touch(v, "uri transport param");
	if (sip_param_get(u->params, "lr", &v) == 1)
		touch(v, "uri lr param");
}

static void touch_addr(const struct sip_addr *a, const char *what)
{
	struct sw_str v;
	struct sip_uri u;

	touch(a->value, what);
	touch(a->display, what);
	touch(a->uri_raw, what);
	touch_uri(&a->uri, what);
	touch(a->tag, what);
	touch(a->params, what);
	if (sip_param_get(a->params, "tag", &v) == 1)
		touch(v, "addr tag param");
	if (sip_param_get(a->params, "expires", &v) == 1)
		touch(v, "addr expires param");
	if (a->uri_raw.p && sip_uri_parse(a->uri_raw.p, a->uri_raw.len, &u) == 0)
		touch_uri(&u, "reparsed uri");
}

static void touch_auth(const struct sip_auth *a, const char *what)
{
	touch(a->value, what);
	touch(a->scheme, what);
	touch(a->username, what);
	touch(a->realm, what);
	touch(a->nonce, what);
	touch(a->uri, what);
	touch(a->response, what);
	touch(a->qop, what);
	touch(a->cnonce, what);
	touch(a->nc, what);
	touch(a->algorithm, what);
	touch(a->opaque, what);
}

/* Check and read everything a successful parse of [buf, buf + len) returned. */
static void touch_msg(const struct sip_msg *m, const char *buf, size_t len)
{
	struct sw_str v;

	if (m->msg_len > len || m->head_len > m->msg_len)
		fail("msg_len or head_len beyond the input", "lengths");
	/* Every view lies inside the bytes this message used. */
	in_lo = buf;
	in_hi = buf + m->msg_len;
	if (m->nhdr > m->hdr_cap)
		fail("more headers than the array holds", "nhdr");

	touch(m->start_line, "start line");
	touch(m->version, "version");
	if (m->is_request) {
		touch(m->method, "method");
		touch(m->ruri_raw, "request-uri");
		touch_uri(&m->ruri, "request-uri");
		if (m->method.p)
			(void)sip_method_lookup(m->method.p, m->method.len);
	} else {
		touch(m->reason, "reason");
	}

	for (unsigned i = 0; i < m->nhdr; i++) {
		const struct sip_header *h = &m->hdr[i];
		int compact = 0;

		touch(h->name, "header name");
		touch(h->value, "header value");
		if (h->off > len)
			fail("header offset beyond the input", "hdr.off");
		if (h->id >= SIP_HDR__COUNT)
			fail("header id out of range", "hdr.id");
		if (h->next != SIP_NO_HDR && (h->next <= i || h->next >= m->nhdr))
			fail("header chain not forward or out of range", "hdr.next");
		if (h->name.p)
			(void)sip_hdr_lookup(h->name.p, h->name.len, &compact);
	}
	for (unsigned id = 0; id < SIP_HDR__COUNT; id++) {
		unsigned n = sip_msg_header_count(m, (enum sip_hdr_id)id), seen = 0;

		if (m->first[id] != SIP_NO_HDR && m->first[id] >= m->nhdr)
			fail("first[] index out of range", "first");
		for (const struct sip_header *h = sip_msg_header(m, (enum sip_hdr_id)id, 0); h;
		     h = sip_msg_header(m, (enum sip_hdr_id)id, ++seen)) {
			if (h < m->hdr || h >= m->hdr + m->nhdr)
				fail("sip_msg_header outside the array", "sip_msg_header");
			if (seen > m->nhdr)
				fail("sip_msg_header chain longer than the headers",
				     "sip_msg_header");
		}
		if (seen != n)
			fail("sip_msg_header_count disagrees with sip_msg_header", "count");
	}

	touch(m->via.value, "via");
	touch(m->via.protocol, "via");
	touch(m->via.version, "via");
	touch(m->via.transport, "via");
	touch(m->via.host, "via");
	touch(m->via.branch, "via");
	touch(m->via.received, "via");
	touch(m->via.maddr, "via");
	touch(m->via.rport, "via");
	touch(m->via.params, "via");
	if (sip_param_get(m->via.params, "branch", &v) == 1)
		touch(v, "via branch param");

	touch_addr(&m->from, "from");
	touch_addr(&m->to, "to");
	touch_addr(&m->contact, "contact");
	touch(m->cseq.method, "cseq");
	touch(m->call_id, "call-id");
	touch(m->user_agent, "user-agent");
	touch(m->server, "server");
	touch(m->allow, "allow");
	touch(m->accept, "accept");
	touch(m->subject, "subject");
	touch(m->content_type, "content-type");
	touch(m->date, "date");
	touch_auth(&m->authorization, "authorization");
	touch_auth(&m->proxy_authorization, "proxy-authorization");
	touch_auth(&m->www_authenticate, "www-authenticate");
	touch_auth(&m->proxy_authenticate, "proxy-authenticate");
	touch(m->body, "body");

	if (m->ndefects > SIP_MAX_DEFECTS || m->ndefects > m->ndefects_total)
		fail("defect count inconsistent", "ndefects");
	for (unsigned i = 0; i < m->ndefects; i++) {
		if (m->defects[i].off > len)
			fail("defect offset beyond the input", "defects.off");
		if (m->defects[i].code >= 0)
			fail("defect code not negative", "defects.code");
	}
}

struct config {
	struct sip_limits limits;
	uint16_t cap; /* entries of the header array handed to sip_msg_init */
};

#define NCONFIGS 3

/* Filled at run time: SIP_LIMITS_DEFAULT is a compound literal, not a constant expression. */
static void configs_init(struct config *c)
{
	c[0].limits = SIP_LIMITS_DEFAULT;
	c[0].cap = 128;
	c[1].limits = SIP_LIMITS_DEFAULT;
	c[1].cap = 5;
	c[2].limits = (struct sip_limits){200, 40, 3};
	c[2].cap = 3;
}

static struct sip_header hdrs[128];

static void parse_datagram(const char *buf, size_t len, const struct config *c)
{
	struct sip_msg m;

	sip_msg_init(&m, hdrs, c->cap);
	if (sip_parse(&m, buf, len, SIP_MODE_DATAGRAM, &c->limits) == 0)
		touch_msg(&m, buf, len);
	else if (m.err_off > len)
		fail("err_off beyond the input", "datagram");
}

static void parse_stream(const char *buf, size_t len, const struct config *c)
{
	struct sip_msg m;
	size_t off = 0;

	sip_msg_init(&m, hdrs, c->cap);
	while (off < len) {
		int rc = sip_parse(&m, buf + off, len - off, SIP_MODE_STREAM, &c->limits);

		if (rc != 0) {
			if (m.err_off > len - off)
				fail("err_off beyond the input", "stream");
			break;
		}
		touch_msg(&m, buf + off, len - off);
		if (m.msg_len == 0)
			break;
		off += m.msg_len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct config configs[NCONFIGS];

	configs_init(configs);
	for (size_t i = 0; i < NCONFIGS; i++) {
		parse_datagram(buf, size, &configs[i]);
		parse_stream(buf, size, &configs[i]);
	}
	/* The NULL-limits form means the defaults. */
	{
		struct sip_msg m;

		sip_msg_init(&m, hdrs, 128);
		if (sip_parse(&m, buf, size, SIP_MODE_DATAGRAM, NULL) == 0)
			touch_msg(&m, buf, size);
	}
	return 0;
}
