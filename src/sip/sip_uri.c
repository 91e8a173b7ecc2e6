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
	return sip_ipv4_shaped(p, p + len) ? SIP_HOST_IPV4 : SIP_HOST_NAME;
}

/* Split host[:port] in [p, e) into uri; the host must be non-empty. */
static inline int parse_hostport(const char *p, const char *e, struct sip_uri *u)
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
		int v4;
		he = sip_host_span(p, e, &v4);
		/* Only a host starting with a digit counts as an IPv4 address here. */
		u->host_type = (v4 && sip_is((unsigned char)*p, SC_DIGIT)) ? SIP_HOST_IPV4 :
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

/* "sip:" at p, any case (the common scheme, recognised with one load). */
static inline int starts_sip_colon(const char *p, size_t len)
{
	uint32_t x, lower, letters;
	if (len < 4)
		return 0;
	memcpy(&x, p, 4);
	memcpy(&lower, "sip:", 4);
	memcpy(&letters, "\x20\x20\x20\x00", 4);
	return (x | letters) == lower;
}

/* Where the parts of a sip: or tel: URI begin, as the scan in uri_parse() finds them. */
struct uri_marks {
	const char *at, *qm, *semi, *colon, *ucolon;
};

/*
 * Note the stop byte at q (not SC_URIRUN). The userinfo may hold '?', ';', ',' and '/' (RFC 4475
 * 3.1.1.2) but never a raw '@', and neither may parameters or headers: so in a sip: URI the
 * first '@' ends the userinfo, and only the ';', '?' and ':' after it start parameters, headers
 * and the port. The marks before that '@' are therefore forgotten (the first ':' is kept as the
 * password's). Returns -1 for a byte no URI holds.
 */
static inline int uri_mark(struct uri_marks *k, const char *q, int is_sip)
{
	/* tests, not a switch: a jump table's indirect branch costs more for four cases */
	char c = *q;
	if (c == '@') {
		if (!k->at && is_sip) {
			k->at = q;
			k->ucolon = k->colon;
			k->colon = k->semi = k->qm = NULL;
		}
	} else if (c == ':') {
		if (!k->colon)
			k->colon = q;
	} else if (c == ';') {
		if (!k->semi)
			k->semi = q;
	} else if (c == '?') {
		if (!k->qm)
			k->qm = q;
	} else {
		return -1; /* SC_URIBAD */
	}
	return 0;
}

/*
 * The URI in [p, e) into *u, zeroed by the caller; on error *u holds partial views. With to_gt
 * (a constant), the URI is the one inside a name-addr's <>, which ends at the first '>' in
 * [p, e): the scan that checks the URI's bytes finds that '>' too, and *ret_gt is set to it.
 * That mode handles only the common case, a sip: URI whose bytes before the '>' are all fine;
 * anything else returns URI_NOT_HANDLED with *u zeroed, and the caller finds the '>' itself.
 */
#define URI_NOT_HANDLED 1
static inline int uri_parse(const char *p, const char *e, struct sip_uri *u, int to_gt,
			    const char **ret_gt)
{
	const char *s = p;
	int is_sip, is_tel;

	if (starts_sip_colon(p, (size_t)(e - p))) {
		u->scheme = sw_str_make(p, 3);
		s = p + 4;
		is_sip = 1;
		is_tel = 0;
	} else if (to_gt) {
		return URI_NOT_HANDLED;
	} else {
		/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
		if (s == e || !((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
			return SW_E_SIP_URI;
		while (s < e && sip_is((unsigned char)*s, SC_SCHEME))
			s++;
		if (s == e || *s != ':')
			return SW_E_SIP_URI;
		u->scheme = sw_str_make(p, (size_t)(s - p));
		s++;
		/* Shorter schemes are neither: p[1] and p[2] may be past the view then. */
		size_t sl = u->scheme.len;
		is_sip = is_tel = 0;
		if (sl == 3 || sl == 4) {
			unsigned s0 = (unsigned char)p[0] | 0x20u, s1 = (unsigned char)p[1] | 0x20u;
			unsigned s2 = (unsigned char)p[2] | 0x20u;
			is_sip = (sl == 3 || ((unsigned char)p[3] | 0x20u) == 's') && s0 == 's' &&
				 s1 == 'i' && s2 == 'p';
			is_tel = sl == 3 && s0 == 't' && s1 == 'e' && s2 == 'l';
		}
	}
	if (!is_sip && !is_tel) {
		/* Opaque: anything printable without whitespace. */
		for (const char *q = s; q < e; q++)
			if ((unsigned char)*q <= ' ' || *q == 0x7f)
				return SW_E_SIP_URI;
		return 0;
	}
	/* One pass: reject bytes no URI holds, and note where the parts begin. */
	struct uri_marks k = {NULL, NULL, NULL, NULL, NULL};
	const char *gt = NULL;
#ifdef __SSE2__
	if (e - s >= 16) {
		/* Each 16 bytes classified once; the stop bytes in them are walked bit by bit. */
		for (const char *b = s; !gt;) {
			const char *blk = e - b >= 16 ? b : e - 16; /* the last block re-reads */
			unsigned m = sip_stop16(blk, SC_URIRUN) & (0xffffu << (b - blk));
			for (; m; m &= m - 1) {
				const char *q = blk + __builtin_ctz(m);
				if (uri_mark(&k, q, is_sip) != 0) {
					if (to_gt && *q == '>') {
						gt = q;
						break;
					}
					goto bad;
				}
			}
			b = blk + 16;
			if (b == e)
				break;
		}
	} else
#endif
	{
		for (const char *q = sip_span(s, e, SC_URIRUN); q < e;
		     q = sip_span(q + 1, e, SC_URIRUN)) {
			if (uri_mark(&k, q, is_sip) != 0) {
				if (to_gt && *q == '>') {
					gt = q;
					break;
				}
				goto bad;
			}
		}
	}
	if (to_gt) {
		if (!gt)
			goto bad;
		e = gt;
		*ret_gt = gt;
	}
	const char *at = k.at, *qm = k.qm, *semi = k.semi, *ucolon = k.ucolon;
	if (!qm)
		qm = e;
	if (qm < e)
		u->headers = sw_str_make(qm + 1, (size_t)(e - qm - 1));
	if (!semi || semi > qm)
		semi = qm;
	if (is_tel) {
		if (semi == s)
			return SW_E_SIP_URI;
		u->user = sw_str_make(s, (size_t)(semi - s));
		if (semi < qm)
			u->params = sw_str_make(semi, (size_t)(qm - semi));
		return 0;
	}
	const char *hp = s;
	if (at) {
		const char *uc = ucolon ? ucolon : at;
		u->user = sw_str_make(s, (size_t)(uc - s));
		if (uc < at)
			u->password = sw_str_make(uc + 1, (size_t)(at - uc - 1));
		hp = at + 1;
	}
	/* Parameters start at the first ';' after the host (IPv6 references hold no ';'). */
	if (semi < qm)
		u->params = sw_str_make(semi, (size_t)(qm - semi));
	int rc = parse_hostport(hp, semi, u);
	if (rc == 0 || !to_gt)
		return rc;
bad:
	if (!to_gt)
		return SW_E_SIP_URI;
	memset(u, 0, sizeof(*u));
	return URI_NOT_HANDLED;
}

int sip_uri_parse_into(const char *p, size_t len, struct sip_uri *u)
{
	return uri_parse(p, p + len, u, 0, NULL);
}

int sip_uri_parse_to_gt(const char *p, const char *e, struct sip_uri *u, const char **ret_gt)
{
	return uri_parse(p, e, u, 1, ret_gt);
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
