/*
 * The reader is a loop around pcap_next_ex(): each record is decoded, counted, and either handed
 * out (a whole UDP datagram), fed to the reassembly table (a fragment) or skipped. libpcap's own
 * errors end the loop for good and keep its message, prefixed with the number of the record that
 * could not be read; the reassembly table is flushed at that point as at a clean end, so the
 * counters always add up to what the file held.
 */
#include "net/capture.h"

#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/decode.h"
#include "net/reasm.h"

struct sw_capture {
	pcap_t *pcap;
	struct sw_reasm *reasm;
	int dlt;
	int failed; /* sticky: the code every call returns once reading broke, 0 before */
	bool eof;
	uint64_t frame; /* frames read so far = number of the last one */
	struct sw_capture_stats stats;
	char err[PCAP_ERRBUF_SIZE + 32];
};

int sw_capture_sniff(const uint8_t *head, size_t n)
{
	static const uint32_t magics[] = {0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34, 0x0a0d0d0a};
	uint32_t be, le;

	if (n < 4)
		return 0;
	be = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	le = (uint32_t)head[3] << 24 | (uint32_t)head[2] << 16 | (uint32_t)head[1] << 8 | head[0];
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (be == magics[i] || le == magics[i])
			return 1;
	return 0;
}

static void set_errbuf(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", msg);
}

/*
 * Shared tail of both opens: refuse link types the decoder does not know here, once, with the
 * name libpcap has for them, rather than counting every frame of the file as a decode error.
 */
static int wrap_pcap(pcap_t *p, struct sw_capture **ret, char *errbuf, size_t errlen)
{
	struct sw_capture *c = NULL;
	char msg[128];
	int dlt = pcap_datalink(p);
	int rc;

	if (!sw_decode_linktype_supported(dlt)) {
		const char *name = pcap_datalink_val_to_name(dlt);
		snprintf(msg, sizeof(msg), "unsupported link type %d (%s)", dlt, name ? name : "?");
		set_errbuf(errbuf, errlen, msg);
		rc = SW_E_PCAP_LINKTYPE;
		goto fail;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		rc = SW_E_NOMEM;
		goto nomem;
	}
	rc = sw_reasm_new(SW_REASM_DEFAULT_SLOTS, SW_REASM_DEFAULT_TIMEOUT_USEC, &c->reasm);
	if (rc < 0)
		goto nomem;
	c->pcap = p;
	c->dlt = dlt;
	*ret = c;
	return 0;
nomem:
	set_errbuf(errbuf, errlen, sw_strerror(rc));
fail:
	free(c);
	pcap_close(p);
	return rc;
}

int sw_capture_open(const char *path, struct sw_capture **ret, char *errbuf, size_t errlen)
{
	char pcerr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	/* microsecond precision: libpcap scales nanosecond files down for us */
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, pcerr);
	if (!p) {
		set_errbuf(errbuf, errlen, pcerr[0] ? pcerr : "cannot open capture");
		return SW_E_PCAP_OPEN;
	}
	return wrap_pcap(p, ret, errbuf, errlen);
}

int sw_capture_fopen(FILE *f, struct sw_capture **ret, char *errbuf, size_t errlen)
{
	char pcerr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, pcerr);
	if (!p) {
		/* libpcap leaves the stream to us when it fails; we own it either way */
		fclose(f);
		set_errbuf(errbuf, errlen, pcerr[0] ? pcerr : "cannot open capture");
		return SW_E_PCAP_OPEN;
	}
	return wrap_pcap(p, ret, errbuf, errlen);
}

/*
 * Capture time in microseconds, saturating: pcapng timestamps are 64-bit with a per-interface
 * unit, so a corrupt or odd file can carry seconds that overflow the product, and libpcap does
 * not range-check the microsecond field of either format.
 */
static uint64_t ts_usec(const struct timeval *tv)
{
	uint64_t s, us;

	if (tv->tv_sec < 0)
		return 0;
	s = (uint64_t)tv->tv_sec;
	us = tv->tv_usec < 0 ? 0 : (uint64_t)tv->tv_usec;
	if (s > UINT64_MAX / 1000000)
		return UINT64_MAX;
	s *= 1000000;
	return UINT64_MAX - s < us ? UINT64_MAX : s + us;
}

static void sync_reasm_stats(struct sw_capture *c)
{
	const struct sw_reasm_stats *rs = sw_reasm_stats(c->reasm);

	c->stats.reassembled = rs->completed;
	c->stats.reasm_dropped = rs->dropped;
}

/*
 * One frame: decode, count what is not UDP, pass fragments through reassembly. Returns 1 when a
 * datagram is ready in *ret, 0 when the frame yielded none. Bad frames are never fatal.
 */
static int handle_frame(struct sw_capture *c, const uint8_t *data, uint32_t caplen, uint64_t ts,
			struct sw_datagram *ret)
{
	struct sw_decoded d;
	struct sw_reasm_result rr;
	uint16_t nfrags = 0;
	int rc;

	rc = sw_decode_frame(c->dlt, data, caplen, &d);
	if (rc == SW_E_PKT_NOT_IP) {
		c->stats.non_ip++;
		return 0;
	}
	if (rc < 0) {
		c->stats.decode_errors++;
		return 0;
	}
	if (d.fragment) {
		c->stats.fragments++;
		rc = sw_reasm_add(c->reasm, &d, ts, &rr);
		sync_reasm_stats(c);
		if (rc != 1)
			return 0;
		d.proto = rr.proto;
		if (sw_decode_reassembled(&d, rr.data, rr.len, rr.orig_len) < 0) {
			c->stats.decode_errors++;
			return 0;
		}
		nfrags = rr.nfrags;
	}
	if (d.proto != SW_IPPROTO_UDP) {
		c->stats.non_udp++;
		return 0;
	}
	c->stats.udp++;
	memset(ret, 0, sizeof(*ret));
	ret->ts_usec = ts;
	ret->frame = c->frame;
	ret->src = d.src;
	ret->dst = d.dst;
	ret->payload = d.payload;
	ret->len = d.len;
	ret->orig_len = d.orig_len;
	ret->nfrags = nfrags;
	ret->ip_version = d.ip_version;
	ret->ttl = d.ttl;
	return 1;
}

int sw_capture_next(struct sw_capture *c, struct sw_datagram *ret)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (c->failed)
		return c->failed;
	while (!c->eof) {
		rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc == 1) {
			c->frame++;
			c->stats.frames++;
			if (handle_frame(c, data, h->caplen, ts_usec(&h->ts), ret) == 1)
				return 1;
			continue;
		}
		/* fragments still waiting will never complete: they count as dropped either way */
		sw_reasm_flush(c->reasm);
		sync_reasm_stats(c);
		if (rc == PCAP_ERROR_BREAK) {
			c->eof = true;
			break;
		}
		/* 0 ("no packet yet") only happens on live captures; treat it as corruption too */
		snprintf(c->err, sizeof(c->err), "frame %" PRIu64 ": %s", c->frame + 1,
			 rc == PCAP_ERROR ? pcap_geterr(c->pcap) : "unexpected reader state");
		c->failed = SW_E_PCAP_READ;
		return c->failed;
	}
	return 0;
}

const char *sw_capture_error(const struct sw_capture *c)
{
	return c->err;
}

const struct sw_capture_stats *sw_capture_stats(const struct sw_capture *c)
{
	return &c->stats;
}

int sw_capture_linktype(const struct sw_capture *c)
{
	return c->dlt;
}

void sw_capture_close(struct sw_capture *c)
{
	if (!c)
		return;
	pcap_close(c->pcap);
	sw_reasm_free(c->reasm);
	free(c);
}
