/*
 * libosip2 adapter (Debian libosip2-dev).
 *
 * osip_message_parse() is libosip2's whole-message parser: it splits every header, and decodes
 * Via, From, To, Contact, Record-Route, Route, CSeq, Call-ID, Content-Type, Content-Length and
 * the Authorization/WWW-Authenticate families into structures (other headers are kept as
 * name/value pairs), copying each piece into its own allocation. One message costs
 * osip_message_init + osip_message_parse + osip_message_free, which is what a libosip2 user pays.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#include <osipparser2/osip_parser.h>

const char bench_parser_name[] = "libosip2";

int bench_parser_init(char *why, size_t cap)
{
	/* Builds libosip2's header-name hash table; osip_message_parse needs it. */
	if (parser_init() != 0) {
		snprintf(why, cap, "parser_init failed");
		return -1;
	}
	return 0;
}

static const char *via_branch(osip_message_t *sip)
{
	osip_via_t *via = NULL;
	osip_generic_param_t *br = NULL;
	if (osip_message_get_via(sip, 0, &via) < 0 || !via)
		return NULL;
	if (osip_via_param_get_byname(via, "branch", &br) != 0 || !br)
		return NULL;
	return br->gvalue;
}

static const char *addr_tag(osip_from_t *a)
{
	osip_generic_param_t *tag = NULL;
	if (!a || osip_from_get_tag(a, &tag) != 0 || !tag)
		return NULL;
	return tag->gvalue;
}

int bench_parser_parse(const char *buf, size_t len, uint64_t *sink)
{
	osip_message_t *sip;
	int rc = -1;

	if (osip_message_init(&sip) != 0)
		return -1;
	if (osip_message_parse(sip, buf, len) == 0 && sip->call_id && sip->cseq && sip->from) {
		/* The same consumer work as the other adapters: Call-ID, CSeq number, top Via
		 * branch, From tag. libosip2 keeps CSeq's number as text, so read its first byte
		 * rather than add a conversion the library itself did not do. */
		const char *br = via_branch(sip), *tag = addr_tag(sip->from);
		*sink += (unsigned char)sip->call_id->number[0] +
			 (unsigned char)(sip->cseq->number ? sip->cseq->number[0] : 0) +
			 (unsigned char)(br ? br[0] : 0) + (unsigned char)(tag ? tag[0] : 0);
		rc = 0;
	}
	osip_message_free(sip);
	return rc;
}

int bench_parser_fields(const char *buf, size_t len, struct bench_fields *f, char *why, size_t cap)
{
	osip_message_t *sip;
	osip_body_t *body = NULL;
	const char *s;
	int rc;

	if (osip_message_init(&sip) != 0) {
		snprintf(why, cap, "osip_message_init failed");
		return -1;
	}
	rc = osip_message_parse(sip, buf, len);
	if (rc != 0 || !sip->call_id || !sip->cseq || !sip->from || !sip->to) {
		snprintf(why, cap, "osip_message_parse returned %d%s", rc,
			 rc == 0 ? " but Call-ID, CSeq, From or To is missing" : "");
		osip_message_free(sip);
		return -1;
	}
	f->status = sip->status_code > 0 ? (unsigned)sip->status_code : 0;
	s = f->status ? sip->cseq->method : sip->sip_method;
	bench_copy(f->method, sizeof(f->method), s, s ? strlen(s) : 0);
	f->cseq = (uint32_t)strtoul(sip->cseq->number ? sip->cseq->number : "0", NULL, 10);
	/* libosip2 splits Call-ID at '@' into number and host. */
	if (sip->call_id->host)
		snprintf(f->call_id, sizeof(f->call_id), "%s@%s", sip->call_id->number,
			 sip->call_id->host);
	else
		snprintf(f->call_id, sizeof(f->call_id), "%s", sip->call_id->number);
	s = via_branch(sip);
	bench_copy(f->branch, sizeof(f->branch), s, s ? strlen(s) : 0);
	s = addr_tag(sip->from);
	bench_copy(f->from_tag, sizeof(f->from_tag), s, s ? strlen(s) : 0);
	s = addr_tag(sip->to);
	bench_copy(f->to_tag, sizeof(f->to_tag), s, s ? strlen(s) : 0);
	/* One list element per Via value, comma-separated values included. */
	f->via_count = (unsigned)osip_list_size(&sip->vias);
	if (osip_message_get_body(sip, 0, &body) >= 0 && body)
		f->body_len = (uint32_t)body->length;
	osip_message_free(sip);
	return 0;
}
