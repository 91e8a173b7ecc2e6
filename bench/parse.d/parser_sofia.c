/*
 * sofia-sip adapter (Debian libsofia-sip-ua-dev): the msg/sip parser that nta uses.
 *
 * msg_make() copies the bytes into a new message object and runs msg_extract(), which splits
 * every header and decodes each header sofia knows (Via with its branch/received/rport, From/To
 * with URI and tag, CSeq to a number, Call-ID, Contact, Record-Route, the auth headers into
 * parameter lists, Allow/Supported into token lists, ...); unknown headers are kept as
 * name/value. One message costs msg_make + sip_object + msg_destroy.
 */
#include "bench.h"

#include <stdio.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

const char bench_parser_name[] = "sofia";

int bench_parser_init(char *why, size_t cap)
{
	/* The message class is built on first use; take that out of the measured loop. */
	if (!sip_default_mclass()) {
		snprintf(why, cap, "sip_default_mclass() returned NULL");
		return -1;
	}
	return 0;
}

/*
 * A message counts as parsed only when sofia says so: no parser error flag, no header that
 * failed to decode (those land in sip_error), and the headers every message must carry.
 */
static sip_t *parsed(msg_t *msg, char *why, size_t cap)
{
	sip_t *sip = msg ? sip_object(msg) : NULL;
	if (!sip) {
		snprintf(why, cap, "msg_make returned no message");
		return NULL;
	}
	if (msg_has_error(msg) || (sip->sip_flags & MSG_FLG_ERROR)) {
		snprintf(why, cap, "sofia flagged a parse error");
		return NULL;
	}
	if (sip->sip_error) {
		snprintf(why, cap, "header '%s' failed to parse",
			 sip->sip_error->er_name ? sip->sip_error->er_name : "?");
		return NULL;
	}
	if (!(sip->sip_request || sip->sip_status) || !sip->sip_via || !sip->sip_from ||
	    !sip->sip_to || !sip->sip_call_id || !sip->sip_cseq) {
		snprintf(why, cap, "start line or a mandatory header missing");
		return NULL;
	}
	return sip;
}

int bench_parser_parse(const char *buf, size_t len, uint64_t *sink)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, buf, (ssize_t)len);
	char why[8];
	sip_t *sip = parsed(msg, why, sizeof(why));
	int rc = -1;

	if (sip) {
		/* Same consumer work as the other adapters; sofia decoded CSeq to a number. */
		const char *br = sip->sip_via->v_branch, *tag = sip->sip_from->a_tag;
		*sink += (unsigned char)sip->sip_call_id->i_id[0] + sip->sip_cseq->cs_seq +
			 (unsigned char)(br ? br[0] : 0) + (unsigned char)(tag ? tag[0] : 0);
		rc = 0;
	}
	msg_destroy(msg);
	return rc;
}

int bench_parser_fields(const char *buf, size_t len, struct bench_fields *f, char *why, size_t cap)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, buf, (ssize_t)len);
	sip_t *sip = parsed(msg, why, cap);
	const char *s;

	if (!sip) {
		msg_destroy(msg);
		return -1;
	}
	f->status = sip->sip_status ? (unsigned)sip->sip_status->st_status : 0;
	s = f->status ? sip->sip_cseq->cs_method_name : sip->sip_request->rq_method_name;
	bench_copy(f->method, sizeof(f->method), s, s ? strlen(s) : 0);
	f->cseq = sip->sip_cseq->cs_seq;
	s = sip->sip_call_id->i_id;
	bench_copy(f->call_id, sizeof(f->call_id), s, s ? strlen(s) : 0);
	s = sip->sip_via->v_branch;
	bench_copy(f->branch, sizeof(f->branch), s, s ? strlen(s) : 0);
	s = sip->sip_from->a_tag;
	bench_copy(f->from_tag, sizeof(f->from_tag), s, s ? strlen(s) : 0);
	s = sip->sip_to->a_tag;
	bench_copy(f->to_tag, sizeof(f->to_tag), s, s ? strlen(s) : 0);
	for (sip_via_t *v = sip->sip_via; v; v = v->v_next)
		f->via_count++;
	f->body_len = sip->sip_payload ? (uint32_t)sip->sip_payload->pl_len : 0;
	msg_destroy(msg);
	return 0;
}
