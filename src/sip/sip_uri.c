/*
 * SIP, SIPS and other URIs split into views (RFC 3261 section 19.1, RFC 3986 for the scheme).
 *
 * sip: and sips: URIs are split into user, password, host, port, parameters and headers. The
 * user part ends at the first '@' before any '?', so "sip:user;par=u%40example.net@example.com"
 * has the user "user;par=u%40example.net" (RFC 4475 3.1.1.9). tel: URIs put the number in user.
 * Other schemes are accepted as opaque: only the scheme is split off, so a message with an
 * "isbn:" To (RFC 4475 3.3.4) still parses.
 */
#include "core/err.h"
#include "sip/sip.h"
#include "sip/sip_chars.h"
#include "sip/sip_internal.h"

/* Find the first c in [p, e), or e. */
static const char *find(const char *p, const char *e, char c)
{
	const char *q = memchr(p, c, (size_t)(e - p));
	return q ? q : e;
}

enum sip_host_type sip_host_classify(const char *p, size_t len)
{
	if (len == 0)
		return SIP_HOST_NONE;
	if (p[0] == '[')
		return SIP_HOST_IPV6;
	unsigned dots = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9) {
			if (p[i] != '.')
				return SIP_HOST_NAME;
			dots++;
		}
	}
	return dots == 3 ? SIP_HOST_IPV4 : SIP_HOST_NAME;
}

int sip_port_parse(const char *p, const char *e, uint16_t *ret)
{
	uint32_t v = 0;
	if (p == e || e - p > 5)
		return SW_E_RANGE;
	for (; p < e; p++) {
		if (!sip_is((unsigned char)*p, SC_DIGIT))
			return SW_E_SYNTAX;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	if (v > 65535)
		return SW_E_RANGE;
	*ret = (uint16_t)v;
	return 0;
}

/* Split host[:port] in [p, e) into uri; the host must be non-empty. */
static int parse_hostport(const char *p, const char *e, struct sip_uri *u)
{
	const char *h = p, *he;
	if (p < e && *p == '[') {
		he = find(p, e, ']');
		if (he == e)
			return SW_E_SIP_URI;
		for (const char *q = p + 1; q < he; q++)
			if (!sip_is((unsigned char)*q, SC_HEX) && *q != ':' && *q != '.')
				return SW_E_SIP_URI;
		he++;
		u->host_type = SIP_HOST_IPV6;
	} else {
		he = sip_span(p, e, SC_HOST);
		/* Only a host starting with a digit can be an IPv4 address: look closer then. */
		u->host_type = (he > p && sip_is((unsigned char)*p, SC_DIGIT)) ?
				       (uint8_t)sip_host_classify(p, (size_t)(he - p)) :
				       SIP_HOST_NAME;
	}
	if (he == h)
		return SW_E_SIP_URI;
	u->host = sw_str_make(h, (size_t)(he - h));
	if (he == e)
		return 0;
	if (*he != ':')
		return SW_E_SIP_URI;
	if (sip_port_parse(he + 1, e, &u->port) != 0)
		return SW_E_SIP_URI;
	u->has_port = 1;
	return 0;
}

/* Parse into *u, which the caller has zeroed; on error *u holds partial views. */
int sip_uri_parse_into(const char *p, size_t len, struct sip_uri *u)
{
	const char *s = p, *e = p + len;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (s == e || !((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
		return SW_E_SIP_URI;
	while (s < e && sip_is((unsigned char)*s, SC_SCHEME))
		s++;
	if (s == e || *s != ':')
		return SW_E_SIP_URI;
	u->scheme = sw_str_make(p, (size_t)(s - p));
	s++;
	unsigned s0 = (unsigned char)p[0] | 0x20u, s1 = (unsigned char)p[1] | 0x20u;
	unsigned s2 = (unsigned char)p[2] | 0x20u, sl = u->scheme.len;
	int is_sip = (sl == 3 || (sl == 4 && ((unsigned char)p[3] | 0x20u) == 's')) && s0 == 's' &&
		     s1 == 'i' && s2 == 'p';
	int is_tel = sl == 3 && s0 == 't' && s1 == 'e' && s2 == 'l';
	if (!is_sip && !is_tel) {
		/* Opaque: anything printable without whitespace. */
		for (const char *q = s; q < e; q++)
			if ((unsigned char)*q <= ' ' || *q == 0x7f)
				return SW_E_SIP_URI;
		return 0;
	}
	/* One pass: reject bytes no URI holds, and note the first '@', '?' and ';'. */
	const char *at = NULL, *qm = NULL, *semi = NULL;
	for (const char *q = s;; q++) {
		q = sip_span(q, e, SC_URICH);
		if (q == e)
			break;
		unsigned char c = (unsigned char)*q;
		if (sip_is(c, SC_URIBAD))
			return SW_E_SIP_URI;
		if (c == '@' && !at)
			at = q;
		else if (c == '?' && !qm)
			qm = q;
		else if (c == ';' && !semi)
			semi = q;
	}
	if (is_tel) {
		qm = qm ? qm : e;
		if (qm < e)
			u->headers = sw_str_make(qm + 1, (size_t)(e - qm - 1));
		semi = (semi && semi < qm) ? semi : qm;
		if (semi == s)
			return SW_E_SIP_URI;
		u->user = sw_str_make(s, (size_t)(semi - s));
		if (semi < qm)
			u->params = sw_str_make(semi, (size_t)(qm - semi));
		return 0;
	}
	/*
	 * The userinfo may hold '?', ';', ',' and '/' (RFC 4475 3.1.1.2) but never a raw '@', and
	 * neither may parameters or headers: so the first '@' ends the userinfo, and only after it
	 * do ';' and '?' start parameters and headers.
	 */
	const char *hp = s;
	if (at) {
		const char *colon = find(s, at, ':');
		u->user = sw_str_make(s, (size_t)(colon - s));
		if (colon < at)
			u->password = sw_str_make(colon + 1, (size_t)(at - colon - 1));
		hp = at + 1;
		if (qm && qm < hp)
			qm = find(hp, e, '?');
		if (semi && semi < hp)
			semi = NULL;
	}
	if (!qm)
		qm = e;
	if (qm < e)
		u->headers = sw_str_make(qm + 1, (size_t)(e - qm - 1));
	/* Parameters start at the first ';' after the host (IPv6 references hold no ';'). */
	if (!semi || semi > qm)
		semi = find(hp, qm, ';');
	if (semi < qm)
		u->params = sw_str_make(semi, (size_t)(qm - semi));
	return parse_hostport(hp, semi, u);
}

int sip_uri_parse(const char *p, size_t len, struct sip_uri *ret)
{
	struct sip_uri u;
	memset(&u, 0, sizeof(u));
	int rc = sip_uri_parse_into(p, len, &u);
	if (rc == 0)
		*ret = u;
	return rc;
}
