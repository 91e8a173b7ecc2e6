/*
 * sipwarden backends for bench/engine: the whole shield engine, and the parse-only baseline.
 *
 * Both decode each raw IPv4 packet with sw_decode_ip() and tell the direction by the
 * destination (the server's address and port: SW_DIR_IN, anything else: SW_DIR_OUT), so the
 * only difference between the two rows of the table is what happens after decoding:
 * sw_engine_batch() in batches as the shield daemon takes them from its queue (parse,
 * fingerprint rules, User-Agent lists, realm, tracker with prefetch, policy, verdict) or
 * sip_parse() alone.
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "net/decode.h"
#include "shield/config.h"
#include "shield/engine.h"
#include "shield/tracker.h"
#include "shield/vocab.h"
#include "sip/sip.h"

static const uint8_t SERVER4[4] = {198, 18, 0, 1};

/* ---- engine --------------------------------------------------------------------------------- */

static struct sw_shield_config eng_cfg; /* ~200 KiB: static, not on the stack */
static struct sw_engine *eng;
static unsigned legit_drops_shown;

/* Bytes of tracker memory that hold every source with room to spare: both pools at most half
 * full (8-way buckets, one choice in the untrusted pool), with the shipped trusted-share. */
static size_t state_memory_for(const struct wl *w, unsigned trusted_percent, uint8_t v6)
{
	struct sw_tracker_cfg tc = {
		.memory = 1u << 20, .trusted_percent = trusted_percent, .ipv6_prefix = v6};
	struct sw_tracker *t;
	struct sw_tracker_stats s;
	size_t bpe = 128, need_t, need_u, mem_t, mem_u;

	if (sw_tracker_new(&tc, &t) == 0) {
		sw_tracker_stats(t, &s);
		bpe = s.bytes_per_entry;
		sw_tracker_free(t);
	}
	need_t = 2 * (size_t)wl_phones(w);
	need_u = 2 * ((size_t)wl_phones(w) + wl_attack_sources_estimate(w));
	mem_t = need_t * bpe * 100 / trusted_percent;
	mem_u = need_u * bpe * 100 / (100 - trusted_percent);
	return (mem_t > mem_u ? mem_t : mem_u) + (1u << 20);
}

static int eng_init(const struct wl *w, char *err, size_t errlen)
{
	const char *mem = getenv("SW_BENCH_STATE_MEMORY");
	int rc = sw_shield_config_default(&eng_cfg, err, errlen);
	if (rc != 0)
		return rc;
	if (mem && *mem)
		eng_cfg.state_memory = strtoull(mem, NULL, 10);
	else
		eng_cfg.state_memory =
			state_memory_for(w, eng_cfg.trusted_share, eng_cfg.ipv6_prefix);
	return sw_engine_new(&eng_cfg, &eng, err, errlen);
}

/* A legitimate packet was not accepted: the run fails; show the first few. */
__attribute__((noinline, cold)) static void legit_drop(const struct sw_packet *p,
						       const struct sw_verdict *v)
{
	char src[SW_ENDPOINT_STRLEN], dst[SW_ENDPOINT_STRLEN];
	size_t n = 0;

	if (legit_drops_shown++ >= 5)
		return;
	while (n < p->len && p->payload[n] != '\r')
		n++;
	sw_endpoint_format(&p->src, src, sizeof(src));
	sw_endpoint_format(&p->dst, dst, sizeof(dst));
	fprintf(stderr,
		"bench_engine: legitimate packet %s: %s (state %s -> %s) at %llu ms, "
		"%s -> %s: %.*s\n",
		sw_action_name(v->action), sw_reason_name(v->reason),
		sw_src_state_name((enum sw_src_state)v->state_before),
		sw_src_state_name((enum sw_src_state)v->state_after), (unsigned long long)p->now_ms,
		src, dst, (int)n, (const char *)p->payload);
}

/* Packets go to the engine in batches, as the shield daemon hands over a queue's batch. */
#define ENG_BATCH 64

struct eng_batch_ctx {
	struct replay_counts *rc;
	const uint8_t *flags[ENG_BATCH];
	const struct sw_packet *base;
};

static void eng_verdict(const struct sw_packet *p, const struct sw_verdict *v, void *arg)
{
	struct eng_batch_ctx *x = arg;
	if (*x->flags[p - x->base] & WL_F_LEGIT) {
		x->rc->legit[v->action]++;
		if (v->action != SW_ACT_ACCEPT)
			legit_drop(p, v);
	} else {
		x->rc->attack[v->action]++;
	}
	x->rc->parse_errors += v->parse_rc != 0;
}

static void eng_replay(const struct wl_chunk *c, struct replay_counts *rc)
{
	struct sw_decoded d;
	struct sw_packet batch[ENG_BATCH];
	struct eng_batch_ctx x = {.rc = rc, .base = batch};
	unsigned n = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		if (sw_decode_ip(c->arena + c->off[i], c->len[i], &d) != 0 || d.proto != 17 ||
		    d.fragment) {
			rc->decode_errors++;
			continue;
		}
		struct sw_packet *p = &batch[n];
		p->src = d.src;
		p->dst = d.dst;
		p->payload = d.payload;
		p->len = d.len;
		p->now_ms = c->t_ms[i];
		p->dir = d.dst.port == WL_SERVER_PORT && memcmp(d.dst.addr, SERVER4, 4) == 0 ?
				 SW_DIR_IN :
				 SW_DIR_OUT;
		x.flags[n] = &c->flags[i];
		if (++n == ENG_BATCH) {
			sw_engine_batch(eng, batch, n, eng_verdict, &x);
			n = 0;
		}
	}
	if (n)
		sw_engine_batch(eng, batch, n, eng_verdict, &x);
	rc->msgs += c->n;
}

static void eng_report(FILE *out)
{
	struct sw_tracker_stats s;
	const struct sw_engine_stats *es = sw_engine_stats(eng);

	sw_tracker_stats(sw_engine_tracker(eng), &s);
	fprintf(out,
		" state_memory=%llu trusted_share=%u cap_trusted=%zu cap_untrusted=%zu"
		" trusted=%zu untrusted=%zu denied=%zu evicted_trusted=%llu"
		" evicted_untrusted=%llu state_bytes=%zu bytes_per_entry=%zu"
		" promoted=%llu released=%llu denials=%llu keepalives=%llu",
		(unsigned long long)eng_cfg.state_memory, eng_cfg.trusted_share, s.capacity_trusted,
		s.capacity_untrusted, s.trusted, s.untrusted, s.denied,
		(unsigned long long)s.evicted_trusted, (unsigned long long)s.evicted_untrusted,
		s.bytes, s.bytes_per_entry, (unsigned long long)es->promoted,
		(unsigned long long)es->released, (unsigned long long)es->denied,
		(unsigned long long)es->keepalives);
	for (unsigned r = 1; r < SW_REASON__COUNT; r++)
		if (es->by_reason[r])
			fprintf(out, " reason:%s=%llu", sw_reason_name((enum sw_reason)r),
				(unsigned long long)es->by_reason[r]);
}

static void eng_fini(void)
{
	sw_engine_free(eng);
	eng = NULL;
}

static const struct backend engine_backend = {"engine", eng_init, eng_replay, eng_report, eng_fini};

/* ---- parse only ----------------------------------------------------------------------------- */

#define PARSE_MAX_HDRS 256 /* as many header slots as the engine gives the parser */

static struct sip_msg pmsg;
static struct sip_header phdrs[PARSE_MAX_HDRS];
static struct sip_limits plim;

static int parse_init(const struct wl *w, char *err, size_t errlen)
{
	(void)w, (void)err, (void)errlen;
	plim = SIP_LIMITS_DEFAULT;
	plim.max_headers = PARSE_MAX_HDRS;
	sip_msg_init(&pmsg, phdrs, PARSE_MAX_HDRS);
	return 0;
}

static void parse_replay(const struct wl_chunk *c, struct replay_counts *rc)
{
	struct sw_decoded d;
	uint64_t sink = 0;

	for (uint32_t i = 0; i < c->n; i++) {
		if (sw_decode_ip(c->arena + c->off[i], c->len[i], &d) != 0 || d.proto != 17 ||
		    d.fragment) {
			rc->decode_errors++;
			continue;
		}
		unsigned dir = d.dst.port == WL_SERVER_PORT && memcmp(d.dst.addr, SERVER4, 4) == 0;
		if (sip_parse(&pmsg, (const char *)d.payload, d.len, SIP_MODE_DATAGRAM, &plim) !=
		    0) {
			rc->parse_errors++;
			continue;
		}
		rc->parse_defects += pmsg.ndefects_total != 0;
		sink += pmsg.cseq.num + pmsg.call_id.len + dir;
	}
	rc->msgs += c->n;
	rc->sink += sink;
}

static void parse_report(FILE *out)
{
	(void)out;
}

static void parse_fini(void)
{
}

static const struct backend parse_backend = {"parse", parse_init, parse_replay, parse_report,
					     parse_fini};

const struct backend *const replay_backends[] = {&engine_backend, &parse_backend, NULL};
