/*
 * Structured views of header values: Via, name-addr (From, To, Contact), CSeq, Call-ID,
 * credentials and challenges, Date.
 *
 * Every decoder walks [value, value + len) with explicit end pointers and tolerates the linear
 * whitespace RFC 3261 allows around separators, including folds (CR, LF and SP inside a value
 * are all LWS here, because the framer already decided where the value ends). A decoder that
 * meets something the grammar forbids records a defect with its offset and keeps what it found
 * so far: inspect shows the fields, the shield counts the defect.
 */
#include "core/err.h"
#include "sip/sip_chars.h"
#include "sip/sip_internal.h"

static inline const char *skip_lws(const char *p, const char *e)
{
	while (p < e && sip_is_lws((unsigned char)*p))
		p++;
	return p;
}

static const char *skip_token(const char *p, const char *e)
{
	return sip_span(p, e, SC_TOKEN);
}

/* Trim LWS at the end of [p, e). */
static const char *rtrim(const char *p, const char *e)
{
	while (e > p && sip_is_lws((unsigned char)e[-1]))
		e--;
	return e;
}

/*
 * p at an opening '"': the position after the closing quote, or NULL when there is none.
 * Quoted values (nonces, digests, display names) rarely hold a backslash, so the search is for
 * the closing quote or a backslash at once, 16 bytes per step; a backslash skips the escaped
 * byte (quoted-pair) and the search goes on after it.
 */
static inline const char *skip_quoted(const char *p, const char *e)
{
	p++;
	for (;;) {
		const char *q = sip_find3(p, e, '"', '\\', '"');
		if (!q)
			return NULL;
		if (*q == '"')
			return q + 1;
		if (q + 1 == e)
			return NULL;
		p = q + 2;
	}
}

/*
 * One generic parameter "name [= value]" at p (just after ';' or ','). Value forms: token,
 * quoted-string (returned without its quotes), IPv6 reference. Returns the position after it,
 * or NULL on an unterminated quote. An empty name is returned as such: the caller decides.
 * Inline in every caller: the views come back in registers, not through memory.
 */
__attribute__((always_inline)) static inline const char *
next_param(const char *p, const char *e, struct sw_str *name, struct sw_str *val)
{
	p = skip_lws(p, e);
	const char *n = p;
#ifdef __SSE2__
	/*
	 * The usual shapes, "name=value" and "name" before the next ';' or ',', with a name of
	 * alphanumerics, '-' and '.': one classification of 16 bytes finds the name's end, and the
	 * value's end too when it is in the same 16 bytes. Anything else (and the last 15 bytes of
	 * a value) goes the general way below, from the start, to the same result.
	 */
	if (e - p >= 16) {
		unsigned m = sip_not_alnum16(p), k = (unsigned)__builtin_ctz(m | 0x10000u);
		if (k > 0 && k < 16 && (p[k] == ';' || p[k] == ',')) {
			*name = sw_str_make(p, k);
			*val = SW_STR_NULL;
			return p + k;
		}
		/* after the '=': a value starting with '"', '[' or LWS is not for this path */
		unsigned rest = m >> (k + 1);
		if (k > 0 && k < 15 && p[k] == '=' && !(rest & 1)) {
			const char *v = p + k + 1;
			const char *ve = rest ? v + __builtin_ctz(rest) : p + 16;
			if (!rest || sip_is((unsigned char)*ve, SC_PVAL))
				ve = sip_span_alnum(ve, e, SC_PVAL);
			*name = sw_str_make(p, k);
			*val = sw_str_make(v, (size_t)(ve - v));
			return skip_lws(ve, e);
		}
	}
#endif
	p = skip_token(p, e);
	*name = sw_str_make(n, (size_t)(p - n));
	*val = SW_STR_NULL;
	if (p == e || *p != '=') {
		const char *q = skip_lws(p, e);
		if (q == e || *q != '=')
			return q;
		p = q;
	}
	p = skip_lws(p + 1, e);
	if (p < e && *p == '"') {
		const char *end = skip_quoted(p, e);
		if (!end)
			return NULL;
		*val = sw_str_make(p + 1, (size_t)(end - p - 2));
		return skip_lws(end, e);
	}
	const char *v = p;
	if (p < e && *p == '[') {
		while (p < e && *p != ']')
			p++;
		if (p < e)
			p++;
	} else {
		p = sip_span_alnum(p, e, SC_PVAL);
	}
	*val = sw_str_make(v, (size_t)(p - v));
	return skip_lws(p, e);
}

int sip_param_get(struct sw_str params, const char *name, struct sw_str *ret_value)
{
	if (!params.p)
		return 0;
	const char *p = params.p, *e = params.p + params.len;
	while (p < e) {
		p = skip_lws(p, e);
		if (p < e && *p == ';')
			p++;
		struct sw_str n, v;
		const char *q = next_param(p, e, &n, &v);
		if (!q)
			return 0;
		if (n.len && sw_str_ieq(n, name)) {
			*ret_value = v.p ? v : sw_str_make(n.p + n.len, 0);
			return 1;
		}
		/* Skip what is not a parameter up to the next ';' (which the loop consumes). */
		while (q < e && *q != ';')
			q++;
		p = q;
	}
	return 0;
}

unsigned sip_count_list(struct sip_msg *m, const struct sip_header *h)
{
	const char *p = h->value.p, *e = p + h->value.len;
	unsigned n = 0;
	int content = 0, empty_seen = 0;
	while (p < e) {
		char c = *p;
		if (c == '"') {
			const char *q = skip_quoted(p, e);
			p = q ? q : e;
			content = 1;
			continue;
		}
		if (c == '<') {
			const char *q = memchr(p, '>', (size_t)(e - p));
			p = q ? q + 1 : e;
			content = 1;
			continue;
		}
		if (c == ',') {
			if (content)
				n++;
			else if (!empty_seen++)
				sip_defect_add(m, SW_E_SIP_EMPTY_ELEMENT, (enum sip_hdr_id)h->id,
					       sip_off(m, p));
			content = 0;
		} else if (!sip_is_lws((unsigned char)c)) {
			content = 1;
		}
		p++;
	}
	if (content)
		n++;
	else if (n && !empty_seen)
		sip_defect_add(m, SW_E_SIP_EMPTY_ELEMENT, (enum sip_hdr_id)h->id, sip_off(m, e));
	return n;
}

/*
 * Via: sent-protocol LWS sent-by *( SEMI via-params ), sent-protocol = name SLASH version
 * SLASH transport, where SLASH allows whitespace on both sides (RFC 4475 3.1.1.1).
 */
void sip_decode_via(struct sip_msg *m, const struct sip_header *h)
{
	struct sip_via *v = &m->via;
	const char *s = h->value.p, *e = s + h->value.len, *p = s;
	enum sip_hdr_id id = (enum sip_hdr_id)h->id;

	struct sw_str *parts[3] = {&v->protocol, &v->version, &v->transport};
	int i = 0;
	/* Nearly every Via starts "SIP/2.0/": take that in one compare, then the transport. */
	if (e - p >= 8 && memcmp(p, "SIP/2.0/", 8) == 0) {
		v->protocol = sw_str_make(p, 3);
		v->version = sw_str_make(p + 4, 3);
		p += 8;
		i = 2;
	}
	for (; i < 3; i++) {
		p = skip_lws(p, e);
		const char *t = p;
		p = skip_token(p, e);
		if (p == t)
			goto bad;
		*parts[i] = sw_str_make(t, (size_t)(p - t));
		p = skip_lws(p, e);
		if (i < 2) {
			if (p == e || *p != '/')
				goto bad;
			p++;
		}
	}
	const char *hs = p;
	int v4 = 0;
	if (p < e && *p == '[') {
		while (p < e && *p != ']')
			p++;
		if (p == e)
			goto bad;
		p++;
	} else {
		p = sip_host_span(p, e, &v4);
	}
	if (p == hs)
		goto bad;
	v->host = sw_str_make(hs, (size_t)(p - hs));
	v->host_type = *hs == '[' ? SIP_HOST_IPV6 : v4 ? SIP_HOST_IPV4 : SIP_HOST_NAME;
	p = skip_lws(p, e);
	if (p < e && *p == ':') {
		p = skip_lws(p + 1, e);
		/* The digits, read once: 1 to 5 of them, at most 65535 (as sip_port_parse). */
		const char *ps = p;
		uint32_t port = 0;
		for (; p < e && (unsigned char)*p - (unsigned)'0' <= 9; p++)
			if (p - ps < 5)
				port = port * 10 + (unsigned)(*p - '0');
		if (p == ps || p - ps > 5 || port > 65535)
			goto bad;
		v->port = (uint16_t)port;
		v->has_port = 1;
		p = skip_lws(p, e);
	}
	if (p < e && *p == ';')
		v->params = sw_str_make(p, 0);
	while (p < e && *p == ';') {
		struct sw_str n, val;
		const char *q = next_param(p + 1, e, &n, &val);
		if (!q) {
			sip_defect_add(m, SW_E_SIP_QUOTE, id, sip_off(m, p));
			v->value = sw_str_make(s, (size_t)(e - s));
			return;
		}
		if (n.len == 0)
			sip_defect_add(m, SW_E_SIP_EMPTY_ELEMENT, id, sip_off(m, p));
		else if (SIP_IEQ_LIT(n, "branch"))
			v->branch = val.p ? val : sw_str_make(n.p + n.len, 0);
		else if (SIP_IEQ_LIT(n, "received"))
			v->received = val.p ? val : sw_str_make(n.p + n.len, 0);
		else if (SIP_IEQ_LIT(n, "rport"))
			v->rport = val.p ? val : sw_str_make(n.p + n.len, 0);
		else if (SIP_IEQ_LIT(n, "maddr"))
			v->maddr = val.p ? val : sw_str_make(n.p + n.len, 0);
		p = q; /* next_param always moves past the ';' */
	}
	if (v->params.p)
		v->params.len = (uint32_t)(rtrim(v->params.p, p) - v->params.p);
	if (p < e && *p != ',')
		goto bad;
	v->value = sw_str_make(s, (size_t)(rtrim(s, p) - s));
	return;
bad:
	sip_defect_add(m, SW_E_SIP_VIA, id, sip_off(m, p));
	v->value = sw_str_make(s, (size_t)(e - s));
}

/* A display name that is not quoted must be a sequence of tokens separated by LWS. */
static int display_tokens_ok(const char *p, const char *e)
{
	for (; p < e; p++)
		if (!sip_is((unsigned char)*p, SC_TOKEN | SC_LWS))
			return 0;
	return 1;
}

/*
 * name-addr / addr-spec with header parameters, the first value of From, To or Contact.
 * name-addr: [ display-name ] LAQUOT addr-spec RAQUOT; addr-spec alone may not contain ',', ';'
 * or '?' because they would be ambiguous with header parameters (RFC 3261 20.10).
 * *a must be zeroed (sip_parse resets the whole message before decoding).
 */
void sip_decode_addr(struct sip_msg *m, const struct sip_header *h, struct sip_addr *a)
{
	const char *s = h->value.p, *e = s + h->value.len, *p = skip_lws(s, e);
	enum sip_hdr_id id = (enum sip_hdr_id)h->id;

	if (id == SIP_HDR_CONTACT && p < e && *p == '*' && skip_lws(p + 1, e) == e) {
		a->star = 1;
		a->value = sw_str_make(p, 1);
		return;
	}
	const char *lt = NULL;
	if (p < e && *p == '"') {
		const char *q = skip_quoted(p, e);
		if (!q) {
			sip_defect_add(m, SW_E_SIP_QUOTE, id, sip_off(m, p));
			a->display = sw_str_make(p + 1, (size_t)(e - p - 1));
			a->quoted = 1;
			a->value = sw_str_make(s, (size_t)(e - s));
			return;
		}
		a->display = sw_str_make(p + 1, (size_t)(q - p - 2));
		a->quoted = 1;
		p = skip_lws(q, e);
		if (p == e || *p != '<') {
			sip_defect_add(m, SW_E_SIP_NAME_ADDR, id, sip_off(m, p));
			a->value = sw_str_make(s, (size_t)(e - s));
			return;
		}
		lt = p;
	} else {
		/* name-addr when a '<' comes before anything that only an addr-spec holds (':'). */
		const char *q = (p < e && *p == '<') ? p : sip_find3(p, e, '<', '<', '<');
		if (q && (q == p || !memchr(p, ':', (size_t)(q - p)))) {
			lt = q;
			const char *de = rtrim(p, q);
			if (de > p) {
				a->display = sw_str_make(p, (size_t)(de - p));
				if (!display_tokens_ok(p, de))
					sip_defect_add(m, SW_E_SIP_DISPLAY_NAME, id, sip_off(m, p));
			}
		}
	}

	const char *us, *ue, *gt;
	if (lt && sip_uri_parse_to_gt(lt + 1, e, &a->uri, &gt) == 0) {
		/* The usual <sip:...>: the URI's scan found the '>', and the URI is fine. */
		a->bracketed = 1;
		a->uri_raw = sw_str_make(lt + 1, (size_t)(gt - lt - 1));
		p = gt + 1;
	} else {
		if (lt) {
			a->bracketed = 1;
			gt = memchr(lt, '>', (size_t)(e - lt));
			if (!gt) {
				sip_defect_add(m, SW_E_SIP_NAME_ADDR, id, sip_off(m, lt));
				gt = e;
			}
			us = lt + 1;
			ue = gt;
			if ((us < ue && sip_is_lws((unsigned char)*us)) ||
			    (ue > us && sip_is_lws((unsigned char)ue[-1]))) {
				sip_defect_add(m, SW_E_SIP_ADDR_LWS, id, sip_off(m, us));
				us = skip_lws(us, ue);
				ue = rtrim(us, ue);
			}
			p = gt < e ? gt + 1 : e;
		} else {
			us = p;
			while (p < e && *p != ';' && *p != ',' && !sip_is_lws((unsigned char)*p))
				p++;
			ue = p;
			if (memchr(us, '?', (size_t)(ue - us)))
				sip_defect_add(m, SW_E_SIP_ADDR_BRACKETS, id, sip_off(m, us));
		}
		a->uri_raw = sw_str_make(us, (size_t)(ue - us));
		if (sip_uri_parse_into(us, (size_t)(ue - us), &a->uri) != 0) {
			memset(&a->uri, 0, sizeof(a->uri));
			/* Say why when it is whitespace inside the addr-spec (RFC 4475 3.1.2.14). */
			const char *q = us;
			while (q < ue && !sip_is_lws((unsigned char)*q))
				q++;
			sip_defect_add(m, q < ue ? SW_E_SIP_ADDR_LWS : SW_E_SIP_URI, id,
				       sip_off(m, q < ue ? q : us));
		}
	}

	p = skip_lws(p, e);
	if (p < e && *p == ';')
		a->params = sw_str_make(p, 0);
	while (p < e && *p == ';') {
		struct sw_str n, val;
		const char *q = next_param(p + 1, e, &n, &val);
		if (!q) {
			sip_defect_add(m, SW_E_SIP_QUOTE, id, sip_off(m, p));
			p = e;
			break;
		}
		if (n.len == 0)
			sip_defect_add(m, SW_E_SIP_EMPTY_ELEMENT, id, sip_off(m, p));
		else if (SIP_IEQ_LIT(n, "tag"))
			a->tag = val.p ? val : sw_str_make(n.p + n.len, 0);
		p = q;
	}
	if (a->params.p)
		a->params.len = (uint32_t)(rtrim(a->params.p, p) - a->params.p);
	if (p < e && (*p != ',' || id != SIP_HDR_CONTACT))
		sip_defect_add(m, SW_E_SIP_NAME_ADDR, id, sip_off(m, p));
	a->value = sw_str_make(s, (size_t)(rtrim(s, p < e && *p == ',' ? p : e) - s));
}

/* CSeq: 1*DIGIT LWS Method; the number must be below 2^31 (RFC 3261 8.1.1.5). */
void sip_decode_cseq(struct sip_msg *m, const struct sip_header *h)
{
	const char *s = h->value.p, *e = s + h->value.len, *p = s;
	/* The digits summed as they are found: up to 19 cannot overflow. */
	uint64_t n = 0;
	for (unsigned d; p < e && (d = (unsigned char)*p - (unsigned)'0') <= 9 && p - s < 19; p++)
		n = n * 10 + d;
	if (p == s) {
		sip_defect_add(m, SW_E_SIP_CSEQ, SIP_HDR_CSEQ, sip_off(m, s));
		return;
	}
	if (p < e && sip_is((unsigned char)*p, SC_DIGIT)) {
		/* more than 19: sip_decimal saturates */
		p = sip_span(p, e, SC_DIGIT);
		sip_decimal(sw_str_make(s, (size_t)(p - s)), &n);
	}
	m->cseq.num = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if (n > INT32_MAX)
		sip_defect_add(m, SW_E_SIP_CSEQ_RANGE, SIP_HDR_CSEQ, sip_off(m, s));
	const char *q = skip_lws(p, e);
	const char *t = q;
	q = skip_token(q, e);
	if (q == t || t == p || q != e) {
		sip_defect_add(m, SW_E_SIP_CSEQ, SIP_HDR_CSEQ, sip_off(m, q == t ? t : q));
		if (q == t)
			return;
	}
	m->cseq.method = sw_str_make(t, (size_t)(q - t));
}

/* Call-ID: word [ "@" word ]. */
void sip_decode_call_id(struct sip_msg *m, const struct sip_header *h)
{
	const char *s = h->value.p, *e = s + h->value.len;
	m->call_id = h->value;
	int at = 0;
	if (s == e) {
		sip_defect_add(m, SW_E_SIP_CALL_ID, SIP_HDR_CALL_ID, sip_off(m, s));
		return;
	}
	for (const char *p = sip_span_alnum(s, e, SC_WORD); p < e;
	     p = sip_span_alnum(p + 1, e, SC_WORD)) {
		/* One '@' with a word on each side is the only other byte allowed. */
		if (*p == '@' && !at++ && p > s && p + 1 < e)
			continue;
		sip_defect_add(m, SW_E_SIP_CALL_ID, SIP_HDR_CALL_ID, sip_off(m, p));
		return;
	}
}

const struct sip_auth_param sip_auth_params[SIP_AUTH_NPARAMS] = {
#define AUTH_PARAM(n)                                                                              \
	{                                                                                          \
#n, sizeof(#n) - 1, offsetof(struct sip_auth, n)                                   \
	}
	AUTH_PARAM(username),  AUTH_PARAM(realm),  AUTH_PARAM(nonce),  AUTH_PARAM(uri),
	AUTH_PARAM(response),  AUTH_PARAM(qop),    AUTH_PARAM(cnonce), AUTH_PARAM(nc),
	AUTH_PARAM(algorithm), AUTH_PARAM(opaque),
#undef AUTH_PARAM
};

/*
 * Credentials and challenges: scheme LWS auth-param *(COMMA auth-param). Only the first header
 * of each kind is decoded; values are returned without their quotes.
 */
void sip_decode_auth(struct sip_msg *m, const struct sip_header *h, struct sip_auth *a)
{
	const char *s = h->value.p, *e = s + h->value.len, *p = s;
	enum sip_hdr_id id = (enum sip_hdr_id)h->id;
	a->value = h->value;
	p = skip_token(p, e);
	if (p == s) {
		sip_defect_add(m, SW_E_SIP_AUTH, id, sip_off(m, s));
		return;
	}
	a->scheme = sw_str_make(s, (size_t)(p - s));
	if (p < e && !sip_is_lws((unsigned char)*p)) {
		sip_defect_add(m, SW_E_SIP_AUTH, id, sip_off(m, p));
		return;
	}
	while (p < e) {
		struct sw_str n, v;
		const char *q = next_param(p, e, &n, &v);
		if (!q) {
			sip_defect_add(m, SW_E_SIP_QUOTE, id, sip_off(m, p));
			return;
		}
		if (n.len == 0 || !v.p) {
			/* Unknown schemes may carry token68 or other shapes: only Digest is checked. */
			if (SIP_IEQ_LIT(a->scheme, "digest"))
				sip_defect_add(m, SW_E_SIP_AUTH, id, sip_off(m, q));
			return;
		}
		for (size_t i = 0; i < SIP_AUTH_NPARAMS; i++) {
			const struct sip_auth_param *k = &sip_auth_params[i];
			if (n.len == k->len &&
			    ((unsigned char)n.p[0] | 0x20u) == (unsigned char)k->name[0] &&
			    sip_ieq_lower(n.p, n.len, k->name)) {
				struct sw_str *dst = (struct sw_str *)((char *)a + k->off);
				if (!dst->p)
					*dst = v;
				break;
			}
		}
		p = q;
		if (p < e) {
			if (*p != ',') {
				if (SIP_IEQ_LIT(a->scheme, "digest"))
					sip_defect_add(m, SW_E_SIP_AUTH, id, sip_off(m, p));
				return;
			}
			p++;
		}
	}
}

/* Date: rfc1123-date, which must be in "GMT" (RFC 3261 20.17). */
void sip_decode_date(struct sip_msg *m, const struct sip_header *h)
{
	m->date = h->value;
	if (h->value.len < 3 || memcmp(h->value.p + h->value.len - 3, "GMT", 3) != 0)
		sip_defect_add(m, SW_E_SIP_DATE, SIP_HDR_DATE, sip_off(m, h->value.p));
}
