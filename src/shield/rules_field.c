/*
 * The fields a rule can test, and how each is read from a parsed message.
 *
 * Most fields are views the parser already made (struct sip_msg), so reading one is a load. A few
 * are computed: the header order (the header names, lower case, joined by ','), the raw bytes
 * after a header's colon (spacing quirks), the o=/s=/m= lines of an SDP body, and comparisons with
 * the packet's source address. Computed string fields that do not live in the message (the header
 * order) are built in the context's cache once per message. Everything reads only inside the
 * message's views: every value is attacker-controlled.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "shield/rules_internal.h"

static const char *const fixed_names[SW_RF__FIXED] = {
#define SW_RF_NAME(id, name, kind) name,
	SW_RULES_FIELDS(SW_RF_NAME)
#undef SW_RF_NAME
};

static const uint8_t fixed_kinds[SW_RF__FIXED] = {
#define SW_RF_KIND(id, name, kind) SW_RFK_##kind,
	SW_RULES_FIELDS(SW_RF_KIND)
#undef SW_RF_KIND
};

static const char *const hdr_names[SIP_HDR__COUNT] = {"hdr.?",
#define SW_RF_HDR(id, name, compact, single) "hdr." name,
						      SIP_HEADERS(SW_RF_HDR)
#undef SW_RF_HDR
};
static const char *const raw_names[SIP_HDR__COUNT] = {"raw.?",
#define SW_RF_RAW(id, name, compact, single) "raw." name,
						      SIP_HEADERS(SW_RF_RAW)
#undef SW_RF_RAW
};
static const char *const count_names[SIP_HDR__COUNT] = {"count.?",
#define SW_RF_COUNT(id, name, compact, single) "count." name,
							SIP_HEADERS(SW_RF_COUNT)
#undef SW_RF_COUNT
};

static const char *const pos_names[SIP_HDR__COUNT] = {"pos.?",
#define SW_RF_POS(id, name, compact, single) "pos." name,
						      SIP_HEADERS(SW_RF_POS)
#undef SW_RF_POS
};

const char *sw_rules_field_name(unsigned field)
{
	if (field < SW_RF__FIXED)
		return fixed_names[field];
	if (field < SW_RF_RAW_BASE)
		return hdr_names[field - SW_RF_HDR_BASE];
	if (field < SW_RF_COUNT_BASE)
		return raw_names[field - SW_RF_RAW_BASE];
	if (field < SW_RF_POS_BASE)
		return count_names[field - SW_RF_COUNT_BASE];
	if (field < SW_RF__COUNT)
		return pos_names[field - SW_RF_POS_BASE];
	return "?";
}

enum sw_rf_kind sw_rf_kind(unsigned field)
{
	if (field < SW_RF__FIXED)
		return (enum sw_rf_kind)fixed_kinds[field];
	if (field >= SW_RF_COUNT_BASE)
		return SW_RFK_NUM;
	return SW_RFK_STR;
}

unsigned sw_rf_cost(unsigned field)
{
	switch (field) {
	case SW_RF_HEADER_ORDER:
		return 3;
	case SW_RF_SDP_O:
	case SW_RF_SDP_S:
	case SW_RF_SDP_M:
	case SW_RF_VIA_HOST_PRIVATE:
	case SW_RF_VIA_HOST_IS_SOURCE:
	case SW_RF_CONTACT_HOST_PRIVATE:
	case SW_RF_CONTACT_HOST_IS_SOURCE:
		return 2;
	case SW_RF_FROM_IS_TO:
	case SW_RF_CONTACT_HOST_IS_RURI:
	case SW_RF_VIA_PORT_IS_SOURCE:
	case SW_RF_CONTACT_PORT_IS_SOURCE:
		return 1;
	default:
		return (field >= SW_RF_RAW_BASE && field < SW_RF_COUNT_BASE) ? 1 : 0;
	}
}

int sw_rf_lookup(const char *name, size_t len)
{
	static const struct {
		const char *prefix;
		unsigned base;
	} ranges[] = {{"hdr.", SW_RF_HDR_BASE},
		      {"raw.", SW_RF_RAW_BASE},
		      {"count.", SW_RF_COUNT_BASE},
		      {"pos.", SW_RF_POS_BASE}};

	for (unsigned i = 0; i < SW_RF__FIXED; i++)
		if (strlen(fixed_names[i]) == len && strncasecmp(fixed_names[i], name, len) == 0)
			return (int)i;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		size_t pl = strlen(ranges[i].prefix);
		enum sip_hdr_id id;

		if (len <= pl || strncasecmp(name, ranges[i].prefix, pl) != 0)
			continue;
		id = sip_hdr_lookup(name + pl, len - pl, NULL);
		if (id == SIP_HDR_OTHER)
			return -1;
		return (int)(ranges[i].base + (unsigned)id);
	}
	return -1;
}

int32_t sw_rf_offset(unsigned field)
{
#define OFF(f) ((int32_t)offsetof(struct sip_msg, f))
#define ADDR_OFFS(P, a)                                                                            \
	case SW_RF_##P:                                                                            \
		return OFF(a.value);                                                               \
	case SW_RF_##P##_DISPLAY:                                                                  \
		return OFF(a.display);                                                             \
	case SW_RF_##P##_URI:                                                                      \
		return OFF(a.uri_raw);                                                             \
	case SW_RF_##P##_USER:                                                                     \
		return OFF(a.uri.user);                                                            \
	case SW_RF_##P##_HOST:                                                                     \
		return OFF(a.uri.host);                                                            \
	case SW_RF_##P##_URI_PARAMS:                                                               \
		return OFF(a.uri.params);                                                          \
	case SW_RF_##P##_TAG:                                                                      \
		return OFF(a.tag);                                                                 \
	case SW_RF_##P##_PARAMS:                                                                   \
		return OFF(a.params);
	switch (field) {
		ADDR_OFFS(FROM, from)
		ADDR_OFFS(TO, to)
		ADDR_OFFS(CONTACT, contact)
	case SW_RF_METHOD:
		return OFF(method);
	case SW_RF_RURI:
		return OFF(ruri_raw);
	case SW_RF_RURI_USER:
		return OFF(ruri.user);
	case SW_RF_RURI_HOST:
		return OFF(ruri.host);
	case SW_RF_RURI_PARAMS:
		return OFF(ruri.params);
	case SW_RF_VIA:
		return OFF(via.value);
	case SW_RF_VIA_TRANSPORT:
		return OFF(via.transport);
	case SW_RF_VIA_HOST:
		return OFF(via.host);
	case SW_RF_VIA_BRANCH:
		return OFF(via.branch);
	case SW_RF_VIA_RPORT:
		return OFF(via.rport);
	case SW_RF_VIA_RECEIVED:
		return OFF(via.received);
	case SW_RF_VIA_PARAMS:
		return OFF(via.params);
	case SW_RF_CALL_ID:
		return OFF(call_id);
	case SW_RF_CSEQ_METHOD:
		return OFF(cseq.method);
	case SW_RF_USER_AGENT:
		return OFF(user_agent);
	case SW_RF_SERVER:
		return OFF(server);
	case SW_RF_ALLOW:
		return OFF(allow);
	case SW_RF_ACCEPT:
		return OFF(accept);
	case SW_RF_SUBJECT:
		return OFF(subject);
	case SW_RF_CONTENT_TYPE:
		return OFF(content_type);
	case SW_RF_AUTH:
		return OFF(authorization.value);
	case SW_RF_AUTH_USERNAME:
		return OFF(authorization.username);
	case SW_RF_AUTH_QOP:
		return OFF(authorization.qop);
	case SW_RF_AUTH_CNONCE:
		return OFF(authorization.cnonce);
	case SW_RF_AUTH_NC:
		return OFF(authorization.nc);
	case SW_RF_AUTH_ALGORITHM:
		return OFF(authorization.algorithm);
	case SW_RF_BODY:
		return OFF(body);
	default:
		return -1;
	}
#undef ADDR_OFFS
#undef OFF
}

/* First header line of id, or NULL. */
static const struct sip_header *first_hdr(const struct sip_msg *m, unsigned id)
{
	uint16_t i = m->first[id];

	return (i == SIP_NO_HDR || i >= m->nhdr) ? NULL : &m->hdr[i];
}

/*
 * Bytes of a header line between the colon and the end of its value: "  0" for
 * "Content-Length:  0". Falls back to the value when the colon cannot be found.
 */
static struct sw_str raw_value(const struct sip_header *h)
{
	const char *p, *end;

	if (!h->name.p || !h->value.p)
		return h->value;
	p = h->name.p + h->name.len;
	end = h->value.p;
	if (end < p)
		return h->value;
	while (p < end && *p != ':')
		p++;
	if (p == end)
		return h->value;
	p++;
	return sw_str_make(p, (size_t)(h->value.p + h->value.len - p));
}

/* Dotted-quad IPv4 (exactly four decimal parts, each 0-255, no leading zeros needed). */
static bool parse_v4(struct sw_str h, uint8_t out[4])
{
	unsigned part = 0, val = 0, digits = 0;

	for (uint32_t i = 0; i < h.len; i++) {
		char c = h.p[i];

		if (c >= '0' && c <= '9') {
			val = val * 10 + (unsigned)(c - '0');
			if (++digits > 3 || val > 255)
				return false;
		} else if (c == '.' && digits && part < 3) {
			out[part++] = (uint8_t)val;
			val = digits = 0;
		} else {
			return false;
		}
	}
	if (part != 3 || !digits)
		return false;
	out[3] = (uint8_t)val;
	return true;
}

/* A host view as an address: IPv4 dotted quad or IPv6 (brackets allowed), cached per message. */
static const struct sw_rf_host *host_addr(const struct sw_rf_env *env, struct sw_rf_host *c,
					  struct sw_str h)
{
	char tmp[64];

	if (c->epoch == env->epoch)
		return c;
	c->epoch = env->epoch;
	c->ok = 0;
	memset(c->addr, 0, sizeof(c->addr));
	if (!h.p || h.len == 0)
		return c;
	if (h.p[0] >= '0' && h.p[0] <= '9') {
		if (parse_v4(h, c->addr)) {
			c->fam = AF_INET;
			c->ok = 1;
		}
		return c;
	}
	if (h.p[0] == '[' && h.len >= 3 && h.len - 2 < sizeof(tmp) && h.p[h.len - 1] == ']') {
		memcpy(tmp, h.p + 1, h.len - 2);
		tmp[h.len - 2] = 0;
		if (inet_pton(AF_INET6, tmp, c->addr) == 1) {
			c->fam = AF_INET6;
			c->ok = 1;
		}
	}
	return c;
}

/* 1 private/loopback/link-local/shared, 0 public, -1 not an address. */
static int host_private(const struct sw_rf_host *h)
{
	const uint8_t *a = h->addr;

	if (!h->ok)
		return -1;
	if (h->fam == AF_INET)
		return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64);
	if ((a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return 1;
	for (int i = 0; i < 15; i++)
		if (a[i])
			return 0;
	return a[15] == 1;
}

/* 1 host is the source's address, 0 it is another address, -1 unknown (a name, no source). */
static int host_is_source(const struct sw_rf_host *h, const struct sw_endpoint *src)
{
	if (!src || !h->ok)
		return -1;
	if (h->fam != src->family)
		return 0;
	return memcmp(h->addr, src->addr, h->fam == AF_INET ? 4 : 16) == 0;
}

static bool view_ieq(struct sw_str a, struct sw_str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.p, b.p, a.len) == 0);
}

static bool view_eq(struct sw_str a, struct sw_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* From and To name the same URI: user equal, host equal ignoring case, same port. */
static int from_is_to(const struct sip_msg *m)
{
	const struct sip_uri *f = &m->from.uri, *t = &m->to.uri;

	if (!m->from.uri_raw.p || !m->to.uri_raw.p || !f->host.p || !t->host.p)
		return -1;
	return view_eq(f->user, t->user) && view_ieq(f->host, t->host) && f->port == t->port &&
	       view_ieq(f->scheme, t->scheme);
}

/* Lower-case header names joined by ',' into the cache (cut at SW_RF_ORDER_MAX). */
static void build_order(const struct sip_msg *m, struct sw_rf_cache *c)
{
	size_t n = 0;

	for (unsigned i = 0; i < m->nhdr; i++) {
		struct sw_str name = m->hdr[i].name;

		if (i > 0) {
			if (n >= SW_RF_ORDER_MAX)
				break;
			c->order[n++] = ',';
		}
		for (uint32_t k = 0; k < name.len && n < SW_RF_ORDER_MAX; k++) {
			unsigned char ch = (unsigned char)name.p[k];

			c->order[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
		}
	}
	c->order_len = (uint32_t)n;
}

/* The value of an SDP line "x=value" (first one), without the line end. */
static void build_sdp(const struct sip_msg *m, struct sw_rf_cache *c)
{
	const char *p = m->body.p, *end = p ? p + m->body.len : NULL;

	c->sdp_o = c->sdp_s = c->sdp_m = SW_STR_NULL;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *ve = le;

		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve - p >= 2 && p[1] == '=') {
			struct sw_str v = sw_str_make(p + 2, (size_t)(ve - p - 2));

			if (p[0] == 'o' && !c->sdp_o.p)
				c->sdp_o = v;
			else if (p[0] == 's' && !c->sdp_s.p)
				c->sdp_s = v;
			else if (p[0] == 'm' && !c->sdp_m.p)
				c->sdp_m = v;
		}
		p = nl ? nl + 1 : end;
	}
}

static const struct sip_addr *addr_of(const struct sip_msg *m, unsigned base)
{
	if (base == SW_RF_FROM)
		return &m->from;
	if (base == SW_RF_TO)
		return &m->to;
	return &m->contact;
}

static void set_str(struct sw_rf_val *v, struct sw_str s)
{
	v->s = s;
	v->present = s.p != NULL;
}

static void set_num(struct sw_rf_val *v, int64_t n, bool present)
{
	v->s = SW_STR_NULL;
	v->n = n;
	v->present = present;
}

static void set_tri(struct sw_rf_val *v, int t)
{
	v->s = SW_STR_NULL;
	v->n = t > 0;
	v->present = t >= 0;
}

/* Default port of a Via without one, by transport. */
static uint16_t via_port(const struct sip_via *via)
{
	if (via->has_port)
		return via->port;
	return sw_str_ieq(via->transport, "TLS") ? 5061 : 5060;
}

static void get_addr_field(const struct sip_msg *m, unsigned field, struct sw_rf_val *v)
{
	unsigned base = field >= SW_RF_CONTACT ? SW_RF_CONTACT :
			field >= SW_RF_TO      ? SW_RF_TO :
						 SW_RF_FROM;
	const struct sip_addr *a = addr_of(m, base);
	bool present = a->value.p != NULL;

	switch (field - base) {
	case 0:
		set_str(v, a->value);
		break;
	case SW_RF_FROM_DISPLAY - SW_RF_FROM:
		set_str(v, a->display);
		break;
	case SW_RF_FROM_URI - SW_RF_FROM:
		set_str(v, a->uri_raw);
		break;
	case SW_RF_FROM_USER - SW_RF_FROM:
		set_str(v, a->uri.user);
		break;
	case SW_RF_FROM_HOST - SW_RF_FROM:
		set_str(v, a->uri.host);
		break;
	case SW_RF_FROM_PORT - SW_RF_FROM:
		set_num(v, a->uri.port, present && a->uri.has_port);
		break;
	case SW_RF_FROM_URI_PARAMS - SW_RF_FROM:
		set_str(v, a->uri.params);
		break;
	case SW_RF_FROM_TAG - SW_RF_FROM:
		set_str(v, a->tag);
		break;
	case SW_RF_FROM_PARAMS - SW_RF_FROM:
		set_str(v, a->params);
		break;
	case SW_RF_FROM_QUOTED - SW_RF_FROM:
		set_num(v, a->quoted, present);
		break;
	case SW_RF_FROM_BRACKETED - SW_RF_FROM:
		set_num(v, a->bracketed, present);
		break;
	default:
		v->present = false;
	}
}

void sw_rf_get(const struct sw_rf_env *env, unsigned field, struct sw_rf_val *v)
{
	const struct sip_msg *m = env->msg;
	struct sw_rf_cache *c = env->cache;

	if (field >= SW_RF_HDR_BASE) {
		unsigned id = (field - SW_RF_HDR_BASE) % (unsigned)SIP_HDR__COUNT;
		const struct sip_header *h = first_hdr(m, id);

		if (field >= SW_RF_POS_BASE) {
			set_num(v, h ? (int64_t)(h - m->hdr) : 0, h != NULL);
			return;
		}
		if (field >= SW_RF_COUNT_BASE) {
			set_num(v, h ? (int64_t)sip_msg_header_count(m, (enum sip_hdr_id)id) : 0,
				true);
			return;
		}
		if (!h) {
			v->present = false;
			return;
		}
		set_str(v, field >= SW_RF_RAW_BASE ? raw_value(h) : h->value);
		return;
	}
	if (field >= SW_RF_FROM && field <= SW_RF_CONTACT_BRACKETED) {
		get_addr_field(m, field, v);
		return;
	}
	switch ((enum sw_rf)field) {
	case SW_RF_METHOD:
		set_str(v, m->method);
		break;
	case SW_RF_RURI:
		set_str(v, m->ruri_raw);
		break;
	case SW_RF_RURI_USER:
		set_str(v, m->ruri.user);
		break;
	case SW_RF_RURI_HOST:
		set_str(v, m->ruri.host);
		break;
	case SW_RF_RURI_PARAMS:
		set_str(v, m->ruri.params);
		break;
	case SW_RF_RURI_PORT:
		set_num(v, m->ruri.port, m->ruri.has_port != 0);
		break;
	case SW_RF_VIA:
		set_str(v, m->via.value);
		break;
	case SW_RF_VIA_TRANSPORT:
		set_str(v, m->via.transport);
		break;
	case SW_RF_VIA_HOST:
		set_str(v, m->via.host);
		break;
	case SW_RF_VIA_PORT:
		set_num(v, m->via.port, m->via.has_port != 0);
		break;
	case SW_RF_VIA_BRANCH:
		set_str(v, m->via.branch);
		break;
	case SW_RF_VIA_RPORT:
		set_str(v, m->via.rport);
		break;
	case SW_RF_VIA_RECEIVED:
		set_str(v, m->via.received);
		break;
	case SW_RF_VIA_PARAMS:
		set_str(v, m->via.params);
		break;
	case SW_RF_VIA_COUNT:
		set_num(v, m->via_count, true);
		break;
	case SW_RF_VIA_HOST_PRIVATE:
		set_tri(v, host_private(host_addr(env, &c->via_host, m->via.host)));
		break;
	case SW_RF_VIA_HOST_IS_SOURCE:
		set_tri(v, host_is_source(host_addr(env, &c->via_host, m->via.host), env->src));
		break;
	case SW_RF_VIA_PORT_IS_SOURCE:
		set_tri(v,
			(!env->src || !m->via.host.p) ? -1 : via_port(&m->via) == env->src->port);
		break;
	case SW_RF_CONTACT_COUNT:
		set_num(v, m->contact_count, true);
		break;
	case SW_RF_CONTACT_HOST_PRIVATE:
		set_tri(v, host_private(host_addr(env, &c->contact_host, m->contact.uri.host)));
		break;
	case SW_RF_CONTACT_HOST_IS_SOURCE:
		set_tri(v, host_is_source(host_addr(env, &c->contact_host, m->contact.uri.host),
					  env->src));
		break;
	case SW_RF_CONTACT_PORT_IS_SOURCE:
		set_tri(v, (!env->src || !m->contact.uri.host.p) ?
				   -1 :
				   (m->contact.uri.has_port ? m->contact.uri.port : 5060) ==
					   env->src->port);
		break;
	case SW_RF_CONTACT_HOST_IS_RURI:
		set_tri(v, (!m->contact.uri.host.p || !m->ruri.host.p) ?
				   -1 :
				   view_ieq(m->contact.uri.host, m->ruri.host));
		break;
	case SW_RF_FROM_IS_TO:
		set_tri(v, from_is_to(m));
		break;
	case SW_RF_CALL_ID:
		set_str(v, m->call_id);
		break;
	case SW_RF_CSEQ:
		set_num(v, m->cseq.num, m->first[SIP_HDR_CSEQ] != SIP_NO_HDR);
		break;
	case SW_RF_CSEQ_METHOD:
		set_str(v, m->cseq.method);
		break;
	case SW_RF_MAX_FORWARDS:
		set_num(v, m->max_forwards, m->max_forwards >= 0);
		break;
	case SW_RF_EXPIRES:
		set_num(v, m->expires, m->expires >= 0);
		break;
	case SW_RF_CONTENT_LENGTH:
		set_num(v, m->content_length, m->has_content_length != 0);
		break;
	case SW_RF_USER_AGENT:
		set_str(v, m->user_agent);
		break;
	case SW_RF_SERVER:
		set_str(v, m->server);
		break;
	case SW_RF_ALLOW:
		set_str(v, m->allow);
		break;
	case SW_RF_ACCEPT:
		set_str(v, m->accept);
		break;
	case SW_RF_SUBJECT:
		set_str(v, m->subject);
		break;
	case SW_RF_CONTENT_TYPE:
		set_str(v, m->content_type);
		break;
	case SW_RF_AUTH:
		set_str(v, m->authorization.value);
		break;
	case SW_RF_AUTH_USERNAME:
		set_str(v, m->authorization.username);
		break;
	case SW_RF_AUTH_QOP:
		set_str(v, m->authorization.qop);
		break;
	case SW_RF_AUTH_CNONCE:
		set_str(v, m->authorization.cnonce);
		break;
	case SW_RF_AUTH_NC:
		set_str(v, m->authorization.nc);
		break;
	case SW_RF_AUTH_ALGORITHM:
		set_str(v, m->authorization.algorithm);
		break;
	case SW_RF_BODY:
		set_str(v, m->body);
		break;
	case SW_RF_SDP_O:
	case SW_RF_SDP_S:
	case SW_RF_SDP_M:
		if (!m->body.p || m->body.len == 0) {
			v->present = false;
			break;
		}
		if (c->epoch_sdp != env->epoch) {
			build_sdp(m, c);
			c->epoch_sdp = env->epoch;
		}
		set_str(v, field == SW_RF_SDP_O ? c->sdp_o :
			   field == SW_RF_SDP_S ? c->sdp_s :
						  c->sdp_m);
		break;
	case SW_RF_HEADER_ORDER:
		if (c->epoch_order != env->epoch) {
			build_order(m, c);
			c->epoch_order = env->epoch;
		}
		set_str(v, sw_str_make(c->order, c->order_len));
		break;
	case SW_RF_HEADER_COUNT:
		set_num(v, m->nhdr, true);
		break;
	case SW_RF_SRC_PORT:
		set_num(v, env->src ? env->src->port : 0, env->src != NULL);
		break;
	default:
		v->present = false;
	}
}

/* The header line a numeric or computed field comes from. */
static struct sw_str hdr_value(const struct sip_msg *m, unsigned id)
{
	const struct sip_header *h = first_hdr(m, id);

	return h ? h->value : SW_STR_NULL;
}

struct sw_str sw_rf_witness(const struct sw_rf_env *env, unsigned field)
{
	const struct sip_msg *m = env->msg;
	struct sw_rf_val v;

	if (field >= SW_RF_POS_BASE)
		return hdr_value(m, field - SW_RF_POS_BASE);
	if (field >= SW_RF_COUNT_BASE)
		return hdr_value(m, field - SW_RF_COUNT_BASE);
	switch (field) {
	case SW_RF_RURI_PORT:
		return m->ruri_raw;
	case SW_RF_VIA_PORT:
	case SW_RF_VIA_COUNT:
	case SW_RF_VIA_PORT_IS_SOURCE:
		return m->via.value;
	case SW_RF_VIA_HOST_PRIVATE:
	case SW_RF_VIA_HOST_IS_SOURCE:
		return m->via.host;
	case SW_RF_FROM_PORT:
	case SW_RF_FROM_QUOTED:
	case SW_RF_FROM_BRACKETED:
	case SW_RF_FROM_IS_TO:
		return m->from.value;
	case SW_RF_TO_PORT:
	case SW_RF_TO_QUOTED:
	case SW_RF_TO_BRACKETED:
		return m->to.value;
	case SW_RF_CONTACT_PORT:
	case SW_RF_CONTACT_QUOTED:
	case SW_RF_CONTACT_BRACKETED:
	case SW_RF_CONTACT_COUNT:
	case SW_RF_CONTACT_PORT_IS_SOURCE:
		return m->contact.value;
	case SW_RF_CONTACT_HOST_PRIVATE:
	case SW_RF_CONTACT_HOST_IS_SOURCE:
	case SW_RF_CONTACT_HOST_IS_RURI:
		return m->contact.uri.host;
	case SW_RF_CSEQ:
		return hdr_value(m, SIP_HDR_CSEQ);
	case SW_RF_MAX_FORWARDS:
		return hdr_value(m, SIP_HDR_MAX_FORWARDS);
	case SW_RF_EXPIRES:
		return hdr_value(m, SIP_HDR_EXPIRES);
	case SW_RF_CONTENT_LENGTH:
		return hdr_value(m, SIP_HDR_CONTENT_LENGTH);
	case SW_RF_HEADER_ORDER:
	case SW_RF_HEADER_COUNT:
		if (m->nhdr == 0 || m->head_len < m->hdr[0].off)
			return SW_STR_NULL;
		return sw_str_make(m->buf + m->hdr[0].off, m->head_len - m->hdr[0].off);
	case SW_RF_SRC_PORT:
		return SW_STR_NULL;
	default:
		sw_rf_get(env, field, &v);
		return v.present && sw_rf_kind(field) == SW_RFK_STR ? v.s : SW_STR_NULL;
	}
}
