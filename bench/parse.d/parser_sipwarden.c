/*
 * sipwarden adapter: src/sip/sip.h.
 *
 * One sip_parse() call indexes every header line and decodes the structured fields (start line
 * and Request-URI, top Via, From/To/Contact with URI and tag, CSeq, Call-ID, Max-Forwards,
 * Expires, Content-Length, the auth headers' Digest parameters, the body). That is the whole
 * cost; there is nothing to allocate or free.
 */
#include "bench.h"

#include <stdio.h>

#include "core/err.h"
#include "sip/sip.h"

const char bench_parser_name[] = "sipwarden";

/* 64 header slots: the corpus' largest message has about 25 header lines. */
#define NHDR 64

static struct sip_header hdrs[NHDR];
static struct sip_msg msg;

int bench_parser_init(char *why, size_t cap)
{
	(void)why;
	(void)cap;
	/*
	 * Once, as a receive loop does: sip_msg_init only attaches the header array, which
	 * sip.h says is kept across parses, and sip_parse resets everything else itself.
	 */
	sip_msg_init(&msg, hdrs, NHDR);
	return 0;
}

int bench_parser_parse(const char *buf, size_t len, uint64_t *sink)
{
	if (sip_parse(&msg, buf, len, SIP_MODE_DATAGRAM, NULL) != 0)
		return -1;
	/* Read decoded fields, as a consumer would, so the parse cannot be treated as dead. */
	*sink += msg.call_id.len + msg.cseq.num + msg.via.branch.len + msg.from.tag.len;
	return 0;
}

int bench_parser_fields(const char *buf, size_t len, struct bench_fields *f, char *why, size_t cap)
{
	int rc = sip_parse(&msg, buf, len, SIP_MODE_DATAGRAM, NULL);
	if (rc != 0) {
		snprintf(why, cap, "sip_parse returned %d (%s) at offset %u", rc, sw_errname(rc),
			 msg.err_off);
		return -1;
	}
	/* The corpus is well-formed: a defect here is a parser (or generator) bug to look at. */
	if (msg.ndefects_total) {
		snprintf(why, cap, "%u defect(s), first %s in header %s at offset %u",
			 msg.ndefects_total, sw_errname(msg.defects[0].code),
			 msg.defects[0].hdr ? sip_hdr_name((enum sip_hdr_id)msg.defects[0].hdr) :
					      "(start line or unknown)",
			 msg.defects[0].off);
		return -1;
	}
	f->status = msg.is_request ? 0 : msg.status;
	if (msg.is_request)
		bench_copy(f->method, sizeof(f->method), msg.method.p, msg.method.len);
	else
		bench_copy(f->method, sizeof(f->method), msg.cseq.method.p, msg.cseq.method.len);
	f->cseq = msg.cseq.num;
	bench_copy(f->call_id, sizeof(f->call_id), msg.call_id.p, msg.call_id.len);
	bench_copy(f->branch, sizeof(f->branch), msg.via.branch.p, msg.via.branch.len);
	bench_copy(f->from_tag, sizeof(f->from_tag), msg.from.tag.p, msg.from.tag.len);
	bench_copy(f->to_tag, sizeof(f->to_tag), msg.to.tag.p, msg.to.tag.len);
	f->via_count = msg.via_count;
	f->body_len = msg.body.len;
	return 0;
}
