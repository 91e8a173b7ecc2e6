#include "out/sip_print.h"

#include "core/err.h"

static const char *const flag_names[] = {"trailing", "no_content_length", "folded", "compact"};

const char *sw_sip_flag_name(unsigned bit)
{
	return bit < sizeof(flag_names) / sizeof(flag_names[0]) ? flag_names[bit] : "?";
}

static const char *hdr_label(uint16_t id)
{
	return id == SIP_HDR_OTHER ? "start line" : sip_hdr_name((enum sip_hdr_id)id);
}

/* ---- JSON ---- */

static void json_uri(struct sw_json *j, const struct sip_uri *u)
{
	sw_json_str(j, "scheme", u->scheme);
	sw_json_str(j, "user", u->user);
	sw_json_str(j, "host", u->host);
	sw_json_int_opt(j, "port", u->has_port, u->port);
	sw_json_str(j, "params", u->params);
	sw_json_str(j, "headers", u->headers);
}

static void json_addr(struct sw_json *j, const char *key, const struct sip_addr *a)
{
	if (!a->value.p) {
		sw_json_null(j, key);
		return;
	}
	sw_json_obj_open(j, key);
	sw_json_str(j, "value", a->value);
	if (a->star) {
		sw_json_bool(j, "star", 1);
	} else {
		sw_json_str(j, "display", a->display);
		sw_json_str(j, "uri", a->uri_raw);
		json_uri(j, &a->uri);
		sw_json_str(j, "tag", a->tag);
		sw_json_str(j, "header_params", a->params);
	}
	sw_json_obj_close(j);
}

static void json_auth(struct sw_json *j, const char *key, const struct sip_auth *a)
{
	if (!a->value.p) {
		sw_json_null(j, key);
		return;
	}
	sw_json_obj_open(j, key);
	sw_json_str(j, "scheme", a->scheme);
	for (unsigned i = 0; i < SIP_AUTH_NPARAMS; i++) {
		struct sw_str v = sip_auth_param_value(a, i);
		if (v.p)
			sw_json_str(j, sip_auth_params[i].name, v);
	}
	sw_json_obj_close(j);
}

static void json_via(struct sw_json *j, const struct sip_via *v)
{
	if (!v->value.p) {
		sw_json_null(j, "via");
		return;
	}
	sw_json_obj_open(j, "via");
	sw_json_str(j, "value", v->value);
	sw_json_str(j, "protocol", v->protocol);
	sw_json_str(j, "version", v->version);
	sw_json_str(j, "transport", v->transport);
	sw_json_str(j, "host", v->host);
	sw_json_int_opt(j, "port", v->has_port, v->port);
	sw_json_str(j, "branch", v->branch);
	sw_json_str(j, "rport", v->rport);
	sw_json_str(j, "received", v->received);
	sw_json_str(j, "maddr", v->maddr);
	sw_json_obj_close(j);
}

static void json_fields(struct sw_json *j, const struct sip_msg *m)
{
	sw_json_obj_open(j, "fields");
	json_via(j, &m->via);
	sw_json_int(j, "via_count", m->via_count);
	json_addr(j, "from", &m->from);
	json_addr(j, "to", &m->to);
	json_addr(j, "contact", &m->contact);
	sw_json_int(j, "contact_count", m->contact_count);
	sw_json_str(j, "call_id", m->call_id);
	if (m->cseq.method.p) {
		sw_json_obj_open(j, "cseq");
		sw_json_int(j, "num", m->cseq.num);
		sw_json_str(j, "method", m->cseq.method);
		sw_json_obj_close(j);
	} else {
		sw_json_null(j, "cseq");
	}
	sw_json_int_opt(j, "max_forwards", m->max_forwards >= 0, m->max_forwards);
	sw_json_int_opt(j, "expires", m->expires >= 0, m->expires);
	sw_json_str(j, "user_agent", m->user_agent);
	sw_json_str(j, "server", m->server);
	sw_json_str(j, "allow", m->allow);
	sw_json_str(j, "accept", m->accept);
	sw_json_str(j, "subject", m->subject);
	sw_json_str(j, "content_type", m->content_type);
	sw_json_int_opt(j, "content_length", m->has_content_length, m->content_length);
	json_auth(j, "authorization", &m->authorization);
	json_auth(j, "proxy_authorization", &m->proxy_authorization);
	json_auth(j, "www_authenticate", &m->www_authenticate);
	json_auth(j, "proxy_authenticate", &m->proxy_authenticate);
	sw_json_obj_close(j);
}

void sw_sip_json(struct sw_json *j, const struct sip_msg *m, int rc)
{
	if (rc != 0) {
		sw_json_cstr(j, "type", NULL);
		sw_json_obj_open(j, "error");
		sw_json_cstr(j, "code", sw_errname(rc));
		sw_json_cstr(j, "message", sw_strerror(rc));
		sw_json_int(j, "offset", m->err_off);
		sw_json_obj_close(j);
		return;
	}
	sw_json_cstr(j, "type", m->is_request ? "request" : "response");
	if (m->is_request) {
		sw_json_str(j, "method", m->method);
		sw_json_str(j, "ruri", m->ruri_raw);
	} else {
		sw_json_int(j, "status", m->status);
		sw_json_str(j, "reason", m->reason);
	}
	sw_json_str(j, "version", m->version);
	sw_json_arr_open(j, "headers");
	for (unsigned i = 0; i < m->nhdr; i++) {
		const struct sip_header *h = &m->hdr[i];
		sw_json_obj_open(j, NULL);
		sw_json_str(j, "name", h->name);
		if (h->id)
			sw_json_cstr(j, "canonical", sip_hdr_name((enum sip_hdr_id)h->id));
		else
			sw_json_null(j, "canonical");
		sw_json_str(j, "value", h->value);
		sw_json_bool(j, "compact", h->compact);
		sw_json_int(j, "offset", h->off);
		sw_json_obj_close(j);
	}
	sw_json_arr_close(j);
	json_fields(j, m);
	sw_json_int(j, "body_len", m->body.len);
	sw_json_int(j, "msg_len", m->msg_len);
	sw_json_arr_open(j, "flags");
	for (unsigned b = 0; b < 4; b++)
		if (m->flags & (1u << b))
			sw_json_cstr(j, NULL, sw_sip_flag_name(b));
	sw_json_arr_close(j);
	sw_json_arr_open(j, "defects");
	for (unsigned i = 0; i < m->ndefects; i++) {
		const struct sip_defect *d = &m->defects[i];
		sw_json_obj_open(j, NULL);
		sw_json_cstr(j, "code", sw_errname(d->code));
		sw_json_cstr(j, "message", sw_strerror(d->code));
		sw_json_cstr(j, "header", hdr_label(d->hdr));
		sw_json_int(j, "offset", d->off);
		sw_json_obj_close(j);
	}
	sw_json_arr_close(j);
	if (m->ndefects_total > m->ndefects)
		sw_json_int(j, "defects_total", m->ndefects_total);
	sw_json_null(j, "error");
}

/* ---- text ---- */

/* Print a view, escaping bytes a terminal would interpret. */
static void text_str(FILE *f, struct sw_str s)
{
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '\r' && i + 1 < s.len && s.p[i + 1] == '\n') {
			fputs("\\r\\n", f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\x%02x", c);
		} else {
			fputc(c, f);
		}
	}
}

static void text_kv(FILE *f, const char *k, struct sw_str v)
{
	if (!v.p)
		return;
	fprintf(f, " %s=", k);
	text_str(f, v);
}

static void text_addr(FILE *f, int ind, const char *label, const struct sip_addr *a)
{
	if (!a->value.p)
		return;
	fprintf(f, "%*s  %-14s", ind, "", label);
	if (a->star) {
		fputs(" *\n", f);
		return;
	}
	if (a->display.p) {
		fputs(" display=\"", f);
		text_str(f, a->display);
		fputc('"', f);
	}
	text_kv(f, "uri", a->uri_raw);
	text_kv(f, "user", a->uri.user);
	text_kv(f, "host", a->uri.host);
	if (a->uri.has_port)
		fprintf(f, " port=%u", a->uri.port);
	text_kv(f, "tag", a->tag);
	fputc('\n', f);
}

static void text_auth(FILE *f, int ind, const char *label, const struct sip_auth *a)
{
	if (!a->value.p)
		return;
	fprintf(f, "%*s  %-14s", ind, "", label);
	text_kv(f, "scheme", a->scheme);
	text_kv(f, "username", a->username);
	text_kv(f, "realm", a->realm);
	text_kv(f, "nonce", a->nonce);
	text_kv(f, "uri", a->uri);
	text_kv(f, "response", a->response);
	text_kv(f, "qop", a->qop);
	text_kv(f, "cnonce", a->cnonce);
	text_kv(f, "nc", a->nc);
	text_kv(f, "algorithm", a->algorithm);
	fputc('\n', f);
}

static void text_line(FILE *f, int ind, const char *label, struct sw_str v)
{
	if (!v.p)
		return;
	fprintf(f, "%*s  %-14s ", ind, "", label);
	text_str(f, v);
	fputc('\n', f);
}

void sw_sip_text(FILE *f, const struct sip_msg *m, int rc, int ind)
{
	if (rc != 0) {
		fprintf(f, "%*serror %s at offset %u: %s\n", ind, "", sw_errname(rc), m->err_off,
			sw_strerror(rc));
		return;
	}
	fprintf(f, "%*s%s ", ind, "", m->is_request ? "request" : "response");
	text_str(f, m->start_line);
	fputc('\n', f);
	for (unsigned i = 0; i < m->nhdr; i++) {
		const struct sip_header *h = &m->hdr[i];
		fprintf(f, "%*s  %-20s ", ind, "",
			h->id ? sip_hdr_name((enum sip_hdr_id)h->id) : "(unknown)");
		text_str(f, h->name);
		fputs(": ", f);
		text_str(f, h->value);
		fputc('\n', f);
	}
	fprintf(f, "%*sfields\n", ind, "");
	const struct sip_via *v = &m->via;
	if (v->value.p) {
		fprintf(f, "%*s  %-14s", ind, "", "via");
		text_kv(f, "transport", v->transport);
		text_kv(f, "host", v->host);
		if (v->has_port)
			fprintf(f, " port=%u", v->port);
		text_kv(f, "branch", v->branch);
		text_kv(f, "rport", v->rport);
		text_kv(f, "received", v->received);
		fprintf(f, " (%u Via value%s)\n", m->via_count, m->via_count == 1 ? "" : "s");
	}
	text_addr(f, ind, "from", &m->from);
	text_addr(f, ind, "to", &m->to);
	text_addr(f, ind, "contact", &m->contact);
	text_line(f, ind, "call-id", m->call_id);
	if (m->cseq.method.p) {
		fprintf(f, "%*s  %-14s %u ", ind, "", "cseq", m->cseq.num);
		text_str(f, m->cseq.method);
		fputc('\n', f);
	}
	if (m->max_forwards >= 0)
		fprintf(f, "%*s  %-14s %d\n", ind, "", "max-forwards", m->max_forwards);
	if (m->expires >= 0)
		fprintf(f, "%*s  %-14s %lld\n", ind, "", "expires", (long long)m->expires);
	text_line(f, ind, "user-agent", m->user_agent);
	text_line(f, ind, "server", m->server);
	text_line(f, ind, "allow", m->allow);
	text_line(f, ind, "accept", m->accept);
	text_line(f, ind, "subject", m->subject);
	text_line(f, ind, "content-type", m->content_type);
	text_auth(f, ind, "authorization", &m->authorization);
	text_auth(f, ind, "proxy-authz", &m->proxy_authorization);
	text_auth(f, ind, "www-authn", &m->www_authenticate);
	text_auth(f, ind, "proxy-authn", &m->proxy_authenticate);
	fprintf(f, "%*sbody %u bytes", ind, "", m->body.len);
	for (unsigned b = 0; b < 4; b++)
		if (m->flags & (1u << b))
			fprintf(f, ", %s", sw_sip_flag_name(b));
	fputc('\n', f);
	for (unsigned i = 0; i < m->ndefects; i++) {
		const struct sip_defect *d = &m->defects[i];
		fprintf(f, "%*sdefect %s in %s at offset %u: %s\n", ind, "", sw_errname(d->code),
			hdr_label(d->hdr), d->off, sw_strerror(d->code));
	}
	if (m->ndefects_total > m->ndefects)
		fprintf(f, "%*s(%u more defects)\n", ind, "", m->ndefects_total - m->ndefects);
}
