/*
 * libosip2 backend for bench/engine: sw_decode_ip + osip_message_init/parse/free, the parse a
 * libosip2-based filter would start from (bench/parse.d/parser_osip.c describes what it
 * decodes). After each parse it reads Call-ID and CSeq, as the sipwarden parse row does.
 */
#include "replay.h"

#include <string.h>

#include <osipparser2/osip_parser.h>

#include "net/decode.h"

static const uint8_t SERVER4[4] = {198, 18, 0, 1};

static int osip_init(const struct wl *w, char *err, size_t errlen)
{
	(void)w;
	if (parser_init() != 0) {
		snprintf(err, errlen, "parser_init failed");
		return -1;
	}
	return 0;
}

static void osip_replay(const struct wl_chunk *c, struct replay_counts *rc)
{
	struct sw_decoded d;
	uint64_t sink = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		osip_message_t *sip;
		if (sw_decode_ip(c->arena + c->off[i], c->len[i], &d) != 0 || d.proto != 17 ||
		    d.fragment) {
			rc->decode_errors++;
			continue;
		}
		unsigned dir = d.dst.port == WL_SERVER_PORT && memcmp(d.dst.addr, SERVER4, 4) == 0;
		if (osip_message_init(&sip) != 0) {
			rc->parse_errors++;
			continue;
		}
		if (osip_message_parse(sip, (const char *)d.payload, d.len) == 0 && sip->call_id &&
		    sip->cseq && sip->cseq->number)
			sink += (unsigned char)sip->call_id->number[0] +
				(unsigned char)sip->cseq->number[0] + dir;
		else
			rc->parse_errors++;
		osip_message_free(sip);
	}
	rc->msgs += c->n;
	rc->sink += sink;
}

static void osip_report(FILE *out)
{
	(void)out;
}

static void osip_fini(void)
{
}

static const struct backend osip_backend = {"osip", osip_init, osip_replay, osip_report, osip_fini};

const struct backend *const replay_backends[] = {&osip_backend, NULL};
