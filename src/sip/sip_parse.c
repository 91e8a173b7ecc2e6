/*
 * Message framing: start line, header lines, end of the header section, body.
 *
 * The parser makes one pass over the header section. Almost every header line has the shape
 * "Name: value CRLF" without a fold, and hline_fast() takes those with one SSE2 scan that finds the
 * ':' and the line end together; every other line (folds, bare LFs, stray CRs, the empty line,
 * errors) goes to hline_slow(), which applies all the rules. Each header name is looked up once
 * in the header table (sip_hdr_find, inline), and headers are linked per id (first[] / next) so
 * repeated headers can be walked without a search. After the header section the structured
 * fields are decoded from the first header of each kind, and the body is delimited by
 * Content-Length.
 *
 * Datagram or stream: a UDP datagram is one message, so bytes after Content-Length are
 * "trailing octets" (flagged, RFC 4475 3.1.1.8) and a missing Content-Length means "to the end
 * of the datagram" (RFC 3261 18.3). In a stream the next message starts after Content-Length
 * bytes, and a missing Content-Length means no body.
 *
 * Bounds: every pointer is compared with the end of the buffer before it is dereferenced; no
 * byte outside [buf, buf + len) is read, which the guard-page tests check.
 */
#include "core/err.h"
#include "sip/sip_chars.h"
#include "sip/sip_internal.h"

static const struct {
	const char *name;
	uint8_t len;
	uint8_t id;
} methods[] = {
	{"INVITE", 6, SIP_METHOD_INVITE},   {"ACK", 3, SIP_METHOD_ACK},
	{"BYE", 3, SIP_METHOD_BYE},         {"CANCEL", 6, SIP_METHOD_CANCEL},
	{"OPTIONS", 7, SIP_METHOD_OPTIONS}, {"REGISTER", 8, SIP_METHOD_REGISTER},
	{"PRACK", 5, SIP_METHOD_PRACK},     {"SUBSCRIBE", 9, SIP_METHOD_SUBSCRIBE},
	{"NOTIFY", 6, SIP_METHOD_NOTIFY},   {"PUBLISH", 7, SIP_METHOD_PUBLISH},
	{"INFO", 4, SIP_METHOD_INFO},       {"REFER", 5, SIP_METHOD_REFER},
	{"MESSAGE", 7, SIP_METHOD_MESSAGE}, {"UPDATE", 6, SIP_METHOD_UPDATE},
};

enum sip_method sip_method_lookup(const char *p, size_t len)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].len == len && memcmp(methods[i].name, p, len) == 0)
			return (enum sip_method)methods[i].id;
	return SIP_METHOD_OTHER;
}

void sip_msg_init(struct sip_msg *msg, struct sip_header *hdrs, uint16_t cap)
{
	memset(msg, 0, sizeof(*msg));
	msg->hdr = hdrs;
	msg->hdr_cap = cap;
}

/* The large views of struct sip_msg, a bit each in msg->dirty. */
enum msg_view {
	VIEW_RURI,
	VIEW_VIA,
	VIEW_FROM,
	VIEW_TO,
	VIEW_CONTACT,
	VIEW_AUTHORIZATION,
	VIEW_PROXY_AUTHORIZATION,
	VIEW_WWW_AUTHENTICATE,
	VIEW_PROXY_AUTHENTICATE,
};

/* The view about to be written: msg_reset clears it before the next parse. */
static inline void *view_touch(struct sip_msg *m, enum msg_view v, void *view)
{
	m->dirty |= (uint16_t)(1u << v);
	return view;
}

uint32_t sip_off(const struct sip_msg *m, const char *p)
{
	return (uint32_t)(p - m->buf);
}

void sip_defect_add(struct sip_msg *m, int code, enum sip_hdr_id hdr, uint32_t off)
{
	if (m->ndefects_total < UINT16_MAX)
		m->ndefects_total++;
	if (m->ndefects < SIP_MAX_DEFECTS) {
		struct sip_defect *d = &m->defects[m->ndefects++];
		d->code = (int16_t)code;
		d->hdr = (uint16_t)hdr;
		d->off = off;
	}
}

const struct sip_header *sip_msg_header(const struct sip_msg *msg, enum sip_hdr_id id, unsigned i)
{
	if ((unsigned)id >= SIP_HDR__COUNT || id == SIP_HDR_OTHER)
		return NULL;
	uint16_t k = msg->first[id];
	while (k != SIP_NO_HDR && i--)
		k = msg->hdr[k].next;
	return k == SIP_NO_HDR ? NULL : &msg->hdr[k];
}

unsigned sip_msg_header_count(const struct sip_msg *msg, enum sip_hdr_id id)
{
	unsigned n = 0;
	if ((unsigned)id >= SIP_HDR__COUNT || id == SIP_HDR_OTHER)
		return 0;
	for (uint16_t k = msg->first[id]; k != SIP_NO_HDR; k = msg->hdr[k].next)
		n++;
	return n;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; 1 when well-formed, *v20 = 1 when it is 2.0. */
static int version_ok(const char *p, const char *e, int *v20)
{
	if (e - p == 7 && memcmp(p, "SIP/2.0", 7) == 0) {
		*v20 = 1;
		return 1;
	}
	if (e - p < 7 || sip_lower((unsigned char)p[0]) != 's' ||
	    sip_lower((unsigned char)p[1]) != 'i' || sip_lower((unsigned char)p[2]) != 'p' ||
	    p[3] != '/')
		return 0;
	const char *q = p + 4, *d1 = q;
	while (q < e && sip_is((unsigned char)*q, SC_DIGIT))
		q++;
	if (q == d1 || q == e || *q != '.')
		return 0;
	const char *d2 = ++q;
	while (q < e && sip_is((unsigned char)*q, SC_DIGIT))
		q++;
	if (q == d2 || q != e)
		return 0;
	*v20 = (e - p == 7 && p[4] == '2' && p[6] == '0');
	return 1;
}

static int parse_status_line(struct sip_msg *m, const char *s, const char *e)
{
	const char *p = s;
	if (e - s >= 8 && memcmp(s, "SIP/2.0 ", 8) == 0)
		p = s + 7;
	while (p < e && *p != ' ')
		p++;
	int v20;
	if (!version_ok(s, p, &v20)) {
		m->err_off = sip_off(m, s);
		return SW_E_SIP_START_LINE;
	}
	m->version = sw_str_make(s, (size_t)(p - s));
	if (!v20)
		sip_defect_add(m, SW_E_SIP_VERSION, SIP_HDR_OTHER, sip_off(m, s));
	if (p < e)
		p++;
	if (p < e && *p == ' ') {
		sip_defect_add(m, SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER, sip_off(m, p));
		while (p < e && *p == ' ')
			p++;
	}
	if (e - p < 3 || !sip_is((unsigned char)p[0], SC_DIGIT) ||
	    !sip_is((unsigned char)p[1], SC_DIGIT) || !sip_is((unsigned char)p[2], SC_DIGIT) ||
	    (e - p > 3 && p[3] != ' ') || p[0] < '1' || p[0] > '6') {
		m->err_off = sip_off(m, p);
		return SW_E_SIP_STATUS;
	}
	m->status = (uint16_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	p += 3;
	if (p < e)
		p++;
	m->reason = sw_str_make(p, (size_t)(e - p));
	return 0;
}

static int parse_request_line(struct sip_msg *m, const char *s, const char *e)
{
	const char *p = sip_span(s, e, SC_TOKEN);
	if (p == s || p == e || *p != ' ') {
		m->err_off = sip_off(m, p);
		return p == s ? SW_E_SIP_START_LINE : SW_E_SIP_METHOD;
	}
	m->method = sw_str_make(s, (size_t)(p - s));
	m->method_id = (uint8_t)sip_method_lookup(s, (size_t)(p - s));

	/* Method SP Request-URI SP SIP-Version, tolerating (and flagging) extra SP (RFC 4475 3.1.2.9). */
	const char *ve = e;
	if (ve > p && ve[-1] == ' ') {
		while (ve > p && ve[-1] == ' ')
			ve--;
		sip_defect_add(m, SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER, sip_off(m, ve));
	}
	const char *vs = ve;
	if (ve - p >= 8 && memcmp(ve - 8, " SIP/2.0", 8) == 0)
		vs = ve - 7;
	while (vs > p && vs[-1] != ' ')
		vs--;
	int v20;
	if (vs <= p + 1 || !version_ok(vs, ve, &v20)) {
		m->err_off = sip_off(m, vs);
		return SW_E_SIP_START_LINE;
	}
	m->version = sw_str_make(vs, (size_t)(ve - vs));
	if (!v20)
		sip_defect_add(m, SW_E_SIP_VERSION, SIP_HDR_OTHER, sip_off(m, vs));
	const char *us = p + 1, *ue = vs - 1;
	if ((us < ue && *us == ' ') || (ue > us && ue[-1] == ' ')) {
		sip_defect_add(m, SW_E_SIP_START_LINE_LWS, SIP_HDR_OTHER, sip_off(m, us));
		while (us < ue && *us == ' ')
			us++;
		while (ue > us && ue[-1] == ' ')
			ue--;
	}
	if (us == ue) {
		m->err_off = sip_off(m, us);
		return SW_E_SIP_START_LINE;
	}
	m->ruri_raw = sw_str_make(us, (size_t)(ue - us));
	/*
	 * A URI that parses holds no SP or HTAB (sip_uri_parse refuses them), so whitespace is
	 * looked for only when it did not: it is the more precise complaint.
	 */
	if (sip_uri_parse_into(us, (size_t)(ue - us), view_touch(m, VIEW_RURI, &m->ruri)) != 0) {
		memset(&m->ruri, 0, sizeof(m->ruri));
		for (const char *q = us; q < ue; q++) {
			if (*q == ' ' || *q == '\t') {
				sip_defect_add(m, SW_E_SIP_RURI_LWS, SIP_HDR_OTHER, sip_off(m, q));
				return 0;
			}
		}
		sip_defect_add(m, SW_E_SIP_RURI, SIP_HDR_OTHER, sip_off(m, us));
	} else if (m->ruri.headers.p)
		sip_defect_add(m, SW_E_SIP_RURI_HEADERS, SIP_HDR_OTHER,
			       sip_off(m, m->ruri.headers.p));
	return 0;
}

/* Content-Length: a decimal number; the same value repeated is tolerated, others are fatal. */
static int take_content_length(struct sip_msg *m, const struct sip_header *h)
{
	uint64_t v;
	if (sip_decimal(h->value, &v) != 0) {
		m->err_off = sip_off(m, h->value.p);
		return SW_E_SIP_CONTENT_LENGTH;
	}
	if (v > UINT32_MAX)
		v = UINT32_MAX;
	if (m->has_content_length && m->content_length != v) {
		m->err_off = h->off;
		return SW_E_SIP_CL_CONFLICT;
	}
	m->content_length = (uint32_t)v;
	m->has_content_length = 1;
	return 0;
}

static void take_number(struct sip_msg *m, const struct sip_header *h, int code, uint64_t max,
			int64_t *ret)
{
	uint64_t v;
	if (sip_decimal(h->value, &v) != 0 || v > max) {
		sip_defect_add(m, code, (enum sip_hdr_id)h->id, sip_off(m, h->value.p));
		return;
	}
	*ret = (int64_t)v;
}

/* Decode the first header of each kind the scanner and shield use. */
static void decode_fields(struct sip_msg *m, uint32_t want)
{
	if (!want)
		want = ~0u;
	const struct sip_header *h;
	unsigned n = 0;
	if (want & SIP_FIELD_VIA) {
		for (uint16_t k = m->first[SIP_HDR_VIA]; k != SIP_NO_HDR; k = m->hdr[k].next)
			n += sip_count_elements(m, &m->hdr[k]);
		m->via_count = (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n);
		if ((h = sip_msg_header(m, SIP_HDR_VIA, 0))) {
			view_touch(m, VIEW_VIA, &m->via);
			sip_decode_via(m, h);
		}
	}
	if ((want & SIP_FIELD_FROM) && (h = sip_msg_header(m, SIP_HDR_FROM, 0)))
		sip_decode_addr(m, h, view_touch(m, VIEW_FROM, &m->from));
	if ((want & SIP_FIELD_TO) && (h = sip_msg_header(m, SIP_HDR_TO, 0)))
		sip_decode_addr(m, h, view_touch(m, VIEW_TO, &m->to));
	if (want & SIP_FIELD_CONTACT) {
		n = 0;
		for (uint16_t k = m->first[SIP_HDR_CONTACT]; k != SIP_NO_HDR; k = m->hdr[k].next)
			n += sip_count_elements(m, &m->hdr[k]);
		m->contact_count = (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n);
		if ((h = sip_msg_header(m, SIP_HDR_CONTACT, 0)))
			sip_decode_addr(m, h, view_touch(m, VIEW_CONTACT, &m->contact));
	}
	if ((want & SIP_FIELD_CSEQ) && (h = sip_msg_header(m, SIP_HDR_CSEQ, 0)))
		sip_decode_cseq(m, h);
	if ((want & SIP_FIELD_CALL_ID) && (h = sip_msg_header(m, SIP_HDR_CALL_ID, 0)))
		sip_decode_call_id(m, h);
	if (want & SIP_FIELD_NUMBERS) {
		if ((h = sip_msg_header(m, SIP_HDR_MAX_FORWARDS, 0))) {
			int64_t v = -1;
			take_number(m, h, SW_E_SIP_MAX_FORWARDS, 255, &v);
			m->max_forwards = (int32_t)v;
		}
		if ((h = sip_msg_header(m, SIP_HDR_EXPIRES, 0)))
			take_number(m, h, SW_E_SIP_EXPIRES, UINT32_MAX, &m->expires);
	}
	if ((want & SIP_FIELD_DATE) && (h = sip_msg_header(m, SIP_HDR_DATE, 0)))
		sip_decode_date(m, h);
	if (want & SIP_FIELD_AUTH) {
		if ((h = sip_msg_header(m, SIP_HDR_AUTHORIZATION, 0)))
			sip_decode_auth(m, h, view_touch(m, VIEW_AUTHORIZATION, &m->authorization));
		if ((h = sip_msg_header(m, SIP_HDR_PROXY_AUTHORIZATION, 0)))
			sip_decode_auth(m, h,
					view_touch(m, VIEW_PROXY_AUTHORIZATION,
						   &m->proxy_authorization));
		if ((h = sip_msg_header(m, SIP_HDR_WWW_AUTHENTICATE, 0)))
			sip_decode_auth(m, h,
					view_touch(m, VIEW_WWW_AUTHENTICATE, &m->www_authenticate));
		if ((h = sip_msg_header(m, SIP_HDR_PROXY_AUTHENTICATE, 0)))
			sip_decode_auth(m, h,
					view_touch(m, VIEW_PROXY_AUTHENTICATE,
						   &m->proxy_authenticate));
	}
	if (!(want & SIP_FIELD_PLAIN))
		return;

	static const struct {
		uint8_t id;
		size_t off;
	} plain[] = {
		{SIP_HDR_USER_AGENT, offsetof(struct sip_msg, user_agent)},
		{SIP_HDR_SERVER, offsetof(struct sip_msg, server)},
		{SIP_HDR_ALLOW, offsetof(struct sip_msg, allow)},
		{SIP_HDR_ACCEPT, offsetof(struct sip_msg, accept)},
		{SIP_HDR_SUBJECT, offsetof(struct sip_msg, subject)},
		{SIP_HDR_CONTENT_TYPE, offsetof(struct sip_msg, content_type)},
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		uint16_t k = m->first[plain[i].id];
		if (k != SIP_NO_HDR)
			*(struct sw_str *)((char *)m + plain[i].off) = m->hdr[k].value;
	}
}

/* RFC 3261 8.1.1: To, From, CSeq, Call-ID and Via are what every element needs to match. */
static void check_mandatory(struct sip_msg *m)
{
	static const uint8_t need[] = {SIP_HDR_TO, SIP_HDR_FROM, SIP_HDR_CSEQ, SIP_HDR_CALL_ID,
				       SIP_HDR_VIA};
	for (size_t i = 0; i < sizeof(need); i++)
		if (m->first[need[i]] == SIP_NO_HDR)
			sip_defect_add(m, SW_E_SIP_MISSING_HEADER, (enum sip_hdr_id)need[i],
				       m->head_len);
	if (m->is_request && m->cseq.method.p &&
	    (m->cseq.method.len != m->method.len ||
	     memcmp(m->cseq.method.p, m->method.p, m->method.len) != 0))
		sip_defect_add(m, SW_E_SIP_CSEQ_METHOD, SIP_HDR_CSEQ, sip_off(m, m->cseq.method.p));
}

/*
 * memset() through a call the compiler cannot specialise: inline, with the size known, a clear
 * of a few hundred bytes is compiled as "rep stos", which costs more to start than the C
 * library's memset (the widest vector stores the CPU has) takes in all.
 */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noipa))
#else
__attribute__((noinline))
#endif
static void
zero_bytes(void *p, size_t n)
{
	memset(p, 0, n);
}

/* Where each large view starts, and where the last one ends, in the msg_view order. */
static const uint16_t view_off[] = {
	offsetof(struct sip_msg, ruri),
	offsetof(struct sip_msg, via),
	offsetof(struct sip_msg, from),
	offsetof(struct sip_msg, to),
	offsetof(struct sip_msg, contact),
	offsetof(struct sip_msg, authorization),
	offsetof(struct sip_msg, proxy_authorization),
	offsetof(struct sip_msg, www_authenticate),
	offsetof(struct sip_msg, proxy_authenticate),
	offsetof(struct sip_msg, defects),
};
_Static_assert(sizeof(view_off) / sizeof(view_off[0]) == VIEW_PROXY_AUTHENTICATE + 2,
	       "a view_off entry per msg_view, and the end");

/*
 * Reset everything sip_parse fills, keeping the caller's header array. The scalar part is
 * cleared always; of the large views (a Request-URI, a Via, three name-addrs, four credentials
 * or challenges: 1.7 KiB of the 2.2 KiB) only the span from the first to the last one the
 * previous parse wrote, as they were zero before it (sip_msg_init clears all). A typical
 * message has neither credentials nor challenges, and clearing the whole struct cost ~8% of a
 * parse. The defects need no clearing: only the first ndefects are valid.
 */
static void msg_reset(struct sip_msg *m, const char *buf)
{
	zero_bytes(&m->buf, offsetof(struct sip_msg, first) - offsetof(struct sip_msg, buf));
	memset(m->first, 0xff, sizeof(m->first));
	if (m->dirty) {
		unsigned lo = (unsigned)__builtin_ctz(m->dirty);
		unsigned hi = 31u - (unsigned)__builtin_clz(m->dirty);
		zero_bytes((char *)m + view_off[lo], (size_t)(view_off[hi + 1] - view_off[lo]));
		m->dirty = 0;
	}
	m->buf = buf;
	m->max_forwards = -1;
	m->expires = -1;
}

/*
 * Error for running out of bytes: a stream may still receive them, a datagram never will. But
 * when the unfinished line or message is already over its limit, more bytes cannot help: say so,
 * so that a stream reader does not buffer without bound.
 */
static int out_of_bytes(struct sip_msg *m, enum sip_mode mode, const char *line, const char *at,
			const struct sip_limits *lim, int code)
{
	if ((size_t)(at - line) > lim->max_line) {
		m->err_off = sip_off(m, line + lim->max_line);
		return SW_E_SIP_LINE_TOO_LONG;
	}
	if (sip_off(m, at) > lim->max_msg) {
		m->err_off = lim->max_msg;
		return SW_E_SIP_TOO_BIG;
	}
	m->err_off = sip_off(m, at);
	return mode == SIP_MODE_STREAM ? SW_E_TRUNCATED : code;
}

/* One header line as the framer found it: views and where the next line starts. */
struct hline {
	const char *ns, *ne; /* name, without whitespace before the ':' */
	const char *vs, *ve; /* value, LWS trimmed */
	const char *eol;  /* end of the last physical line (its CR, or LF if bare): for max_line */
	const char *next; /* first byte after the line's LF */
	int folded;
};

#define HLINE_END 1 /* hline_slow: the empty line ending the header section */

/*
 * The first CR or LF at or after p, or NULL; *colon is the first ':' before it, or NULL. One pass
 * of 16-byte compares finds both, where a search for the ':' and another for the line end would
 * compare the name's bytes twice. (Tried too, and slower: a bitmap index of the whole header
 * section built 64 bytes at a time, where classifying costs the same and walking the bitmaps
 * more; and a 32-byte AVX2 scan behind a CPU check, which lines of 20 to 60 bytes do not repay.)
 */
static inline const char *scan_line(const char *p, const char *e, const char **colon)
{
	const char *c = NULL;
#ifdef __SSE2__
	const __m128i vc = _mm_set1_epi8(':'), vr = _mm_set1_epi8('\r'), vn = _mm_set1_epi8('\n');
	for (; e - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned eol = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, vr), _mm_cmpeq_epi8(v, vn)));
		if (!c) {
			/* colons before the first line end; (eol & -eol) - 1 is all ones when eol == 0 */
			unsigned cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc)) &
				      ((eol & (0u - eol)) - 1);
			if (cm)
				c = p + __builtin_ctz(cm);
		}
		if (eol) {
			*colon = c;
			return p + __builtin_ctz(eol);
		}
		if (c) {
			/* the rest of the value: 32 bytes a step, one test for both halves */
			for (p += 16; e - p >= 32; p += 32) {
				__m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)p);
				__m128i v1 =
					_mm_loadu_si128((const __m128i *)(const void *)(p + 16));
				unsigned m0 = (unsigned)_mm_movemask_epi8(_mm_or_si128(
					_mm_cmpeq_epi8(v0, vr), _mm_cmpeq_epi8(v0, vn)));
				unsigned m1 = (unsigned)_mm_movemask_epi8(_mm_or_si128(
					_mm_cmpeq_epi8(v1, vr), _mm_cmpeq_epi8(v1, vn)));
				unsigned m32 = m0 | m1 << 16;
				if (m32) {
					*colon = c;
					return p + __builtin_ctz(m32);
				}
			}
			p -= 16;
		}
	}
#endif
	for (; p < e; p++) {
		if (*p == '\r' || *p == '\n') {
			*colon = c;
			return p;
		}
		if (*p == ':' && !c)
			c = p;
	}
	*colon = c;
	return NULL;
}

/*
 * The common shape of a header line, "Name: value CRLF" not followed by a fold, in one pass.
 * Returns 0 for anything else (the empty line, a fold, a bare LF, a CR alone, no ':', too few
 * bytes left), and hline_slow() then looks at the same line again with every rule: whatever
 * this path accepts, that one would accept alike.
 */
static inline int hline_fast(const char *p, const char *e, struct hline *l)
{
	const char *c, *cr = scan_line(p, e, &c);
	if (!c || !cr || e - cr < 3)
		return 0;
	/* CR LF, and cr[2], the first byte of the next line, not SP or HTAB (a fold) */
	uint16_t crlf, want;
	memcpy(&crlf, cr, 2);
	memcpy(&want, "\r\n", 2);
	if (crlf != want || sip_is_ws((unsigned char)cr[2]))
		return 0;
	const char *ne = c;
	while (ne > p && sip_is_ws((unsigned char)ne[-1]))
		ne--;
	if (ne == p)
		return 0;
	/* No CR or LF in [c + 1, cr): only SP and HTAB are LWS there. */
	const char *vs = c + 1, *ve = cr;
	while (ve > vs && sip_is_ws((unsigned char)ve[-1]))
		ve--;
	while (vs < ve && sip_is_ws((unsigned char)*vs))
		vs++;
	*l = (struct hline){p, ne, vs, ve, cr, cr + 2, 0};
	return 1;
}

/*
 * Any header line, or the end of the header section (HLINE_END, l->next after the empty line),
 * or an error. Folds, bare LFs and the errors are all decided here.
 */
static int hline_slow(struct sip_msg *m, enum sip_mode mode, const struct sip_limits *lim,
		      const char *p, const char *e, int *bare_lf_seen, struct hline *l)
{
	if (p == e)
		return out_of_bytes(m, mode, p, p, lim, SW_E_SIP_NO_EOH);
	if (*p == '\n' || (*p == '\r' && p + 1 < e && p[1] == '\n')) {
		if (*p == '\n' && !*bare_lf_seen)
			sip_defect_add(m, SW_E_SIP_BARE_LF, SIP_HDR_OTHER, sip_off(m, p));
		l->next = p + ((*p == '\n') ? 1 : 2);
		return HLINE_END;
	}
	if (*p == '\r') {
		if (p + 1 == e)
			return out_of_bytes(m, mode, p, e, lim, SW_E_SIP_NO_EOH);
		m->err_off = sip_off(m, p);
		return SW_E_SIP_HEADER_SYNTAX;
	}
	/* The name ends at the ':' (whitespace before it allowed) and must be a token. */
	const char *ns = p;
	const char *colon = sip_find3(p, e, ':', '\r', '\n');
	if (!colon || *colon != ':') {
		if (!colon || (*colon == '\r' && colon + 1 == e))
			return out_of_bytes(m, mode, ns, e, lim, SW_E_SIP_NO_EOH);
		m->err_off = sip_off(m, ns);
		return SW_E_SIP_HEADER_SYNTAX;
	}
	const char *ne = colon;
	while (ne > ns && (ne[-1] == ' ' || ne[-1] == '\t'))
		ne--;
	if (ne == ns || sip_span(ns, ne, SC_TOKEN) != ne) {
		m->err_off = sip_off(m, ns);
		return SW_E_SIP_HEADER_SYNTAX;
	}
	const char *vs = p = colon + 1, *lf;
	/* Find the end of the logical line: LF not followed by SP/HTAB. */
	int folded = 0;
	for (;;) {
		const char *c = sip_find_eol(p, e);
		if (!c || (*c == '\r' && c + 1 == e))
			return out_of_bytes(m, mode, ns, e, lim, SW_E_SIP_NO_EOH);
		if (*c == '\r') {
			/*
			 * A CR that does not end the line would make a CR-only peer see another
			 * header here ("Subject: a\rVia: ..."): refuse the message.
			 */
			if (c[1] != '\n') {
				m->err_off = sip_off(m, c);
				return SW_E_SIP_CTL_IN_HEADER;
			}
			lf = c + 1;
		} else {
			lf = c;
			if (!*bare_lf_seen) {
				*bare_lf_seen = 1;
				sip_defect_add(m, SW_E_SIP_BARE_LF, SIP_HDR_OTHER, sip_off(m, lf));
			}
		}
		p = lf + 1;
		if (p < e && (*p == ' ' || *p == '\t')) {
			folded = 1;
			continue;
		}
		break;
	}
	const char *ve = lf;
	while (ve > vs && sip_is_lws((unsigned char)ve[-1]))
		ve--;
	while (vs < ve && sip_is_lws((unsigned char)*vs))
		vs++;
	*l = (struct hline){ns, ne, vs, ve, lf - (lf[-1] == '\r'), p, folded};
	return 0;
}

int sip_parse(struct sip_msg *m, const char *buf, size_t len, enum sip_mode mode,
	      const struct sip_limits *limits)
{
	const struct sip_limits lim = limits ? *limits : SIP_LIMITS_DEFAULT;
	msg_reset(m, buf);
	const char *p = buf, *e = buf + len;
	uint16_t last[SIP_HDR__COUNT];
	unsigned max_hdr = lim.max_headers < m->hdr_cap ? lim.max_headers : m->hdr_cap;

	/* CRLFs before the start line are keep-alives or stream padding (RFC 3261 7.5). */
	while (p < e && (*p == '\r' || *p == '\n'))
		p++;
	if (p == e) {
		m->err_off = sip_off(m, p);
		return mode == SIP_MODE_STREAM ? SW_E_TRUNCATED : SW_E_SIP_EMPTY;
	}

	/* Start line. */
	const char *lf = memchr(p, '\n', (size_t)(e - p));
	if (!lf)
		return out_of_bytes(m, mode, p, e, &lim, SW_E_SIP_START_LINE);
	const char *le = (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
	if ((size_t)(le - p) > lim.max_line) {
		m->err_off = sip_off(m, p + lim.max_line);
		return SW_E_SIP_LINE_TOO_LONG;
	}
	if (le == lf)
		sip_defect_add(m, SW_E_SIP_BARE_LF, SIP_HDR_OTHER, sip_off(m, lf));
	m->start_line = sw_str_make(p, (size_t)(le - p));
	int rc;
	if (le - p >= 4 && sip_lower((unsigned char)p[0]) == 's' &&
	    sip_lower((unsigned char)p[1]) == 'i' && sip_lower((unsigned char)p[2]) == 'p' &&
	    p[3] == '/') {
		rc = parse_status_line(m, p, le);
	} else {
		m->is_request = 1;
		rc = parse_request_line(m, p, le);
	}
	if (rc != 0)
		return rc;
	p = lf + 1;

	/*
	 * Header lines until an empty line. The header array and its count are kept in locals:
	 * the compiler cannot tell that the stores into the caller's array leave *m alone, and
	 * would read m back after each of them.
	 */
	struct sip_header *hdrs = m->hdr;
	unsigned nhdr = 0;
	/* No line of a message shorter than both limits can break them: no checks per line. */
	const int small = len <= lim.max_msg && len <= lim.max_line;
	int bare_lf_seen = 0;
	for (;;) {
		if (!small && (size_t)(p - buf) > lim.max_msg) {
			m->err_off = lim.max_msg;
			return SW_E_SIP_TOO_BIG;
		}
		struct hline l;
		if (!hline_fast(p, e, &l)) {
			rc = hline_slow(m, mode, &lim, p, e, &bare_lf_seen, &l);
			if (rc < 0)
				return rc;
			if (rc == HLINE_END) {
				p = l.next;
				break;
			}
		}
		const char *ns = l.ns;
		size_t nlen = (size_t)(l.ne - ns);
		enum sip_hdr_id id = sip_hdr_find(ns, nlen, (size_t)(e - ns));
		int compact = nlen == 1 && id != SIP_HDR_OTHER;
		/* Known names are tokens by construction: only the others are checked byte by byte. */
		if (id == SIP_HDR_OTHER && sip_span(ns, l.ne, SC_TOKEN) != l.ne) {
			m->err_off = (uint32_t)(ns - buf);
			return SW_E_SIP_HEADER_SYNTAX;
		}
		if (!small && (size_t)(l.eol - ns) > lim.max_line) {
			m->err_off = (uint32_t)(ns + lim.max_line - buf);
			return SW_E_SIP_LINE_TOO_LONG;
		}
		if (nhdr >= max_hdr) {
			m->err_off = (uint32_t)(ns - buf);
			return SW_E_SIP_TOO_MANY_HEADERS;
		}
		p = l.next;

		uint16_t idx = (uint16_t)nhdr++;
		m->nhdr = (uint16_t)nhdr;
		struct sip_header *h = &hdrs[idx];
		h->name = sw_str_make(ns, nlen);
		h->value = sw_str_make(l.vs, (size_t)(l.ve - l.vs));
		h->off = (uint32_t)(ns - buf);
		h->id = (uint16_t)id;
		h->next = SIP_NO_HDR;
		h->compact = (uint8_t)compact;
		h->folded = (uint8_t)l.folded;
		if (compact)
			m->flags |= SIP_F_COMPACT;
		if (l.folded)
			m->flags |= SIP_F_FOLDED;
		if (id == SIP_HDR_OTHER)
			continue;
		if (m->first[id] == SIP_NO_HDR) {
			m->first[id] = idx;
		} else {
			hdrs[last[id]].next = idx;
			if (sip_hdr_single(id) && id != SIP_HDR_CONTENT_LENGTH)
				sip_defect_add(m, SW_E_SIP_DUP_HEADER, id, h->off);
		}
		last[id] = idx;
		if (id == SIP_HDR_CONTENT_LENGTH && (rc = take_content_length(m, h)) != 0)
			return rc;
	}
	m->head_len = sip_off(m, p);

	/* Body. */
	size_t avail = (size_t)(e - p);
	if (m->has_content_length) {
		if (m->content_length > avail) {
			m->err_off = m->head_len;
			if (mode == SIP_MODE_DATAGRAM)
				return SW_E_SIP_BODY_SHORT;
			/* A stream may deliver the rest, unless the message could never fit. */
			if ((uint64_t)m->head_len + m->content_length > lim.max_msg)
				return SW_E_SIP_TOO_BIG;
			m->err_off = sip_off(m, e);
			return SW_E_TRUNCATED;
		}
		m->body = sw_str_make(p, m->content_length);
		if (mode == SIP_MODE_DATAGRAM && m->content_length < avail)
			m->flags |= SIP_F_TRAILING;
	} else {
		m->flags |= SIP_F_NO_CL;
		m->body = sw_str_make(p, mode == SIP_MODE_DATAGRAM ? avail : 0);
	}
	m->msg_len = m->head_len + m->body.len;
	if (m->msg_len > lim.max_msg) {
		m->err_off = lim.max_msg;
		return SW_E_SIP_TOO_BIG;
	}

	decode_fields(m, lim.fields);
	check_mandatory(m);
	return 0;
}
