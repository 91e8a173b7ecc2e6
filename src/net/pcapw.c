/* pcap writer (net/pcapw.h). The classic pcap format: a 24-byte file header, then per record a
 * 16-byte header and the packet. Written in host byte order with the matching magic. */
#include "net/pcapw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"

#define LINKTYPE_RAW 101
#define SNAPLEN 65535

struct sw_pcapw {
	FILE *f;
	uint64_t bytes, max;
	int full, ioerr;
};

int sw_pcapw_open(const char *path, uint64_t max_bytes, struct sw_pcapw **ret, char *err,
		  size_t errlen)
{
	struct sw_pcapw *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	w->f = fopen(path, "wb");
	if (!w->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(w);
		return SW_E_IO;
	}
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = {0xa1b2c3d4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_RAW};
	if (fwrite(&hdr, sizeof(hdr), 1, w->f) != 1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fclose(w->f);
		free(w);
		return SW_E_IO;
	}
	w->bytes = sizeof(hdr);
	w->max = max_bytes;
	*ret = w;
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Internet checksum of the IPv4 header. */
static uint16_t ip_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int sw_pcapw_udp(struct sw_pcapw *w, uint64_t ts_usec, const struct sw_endpoint *src,
		 const struct sw_endpoint *dst, const uint8_t *payload, size_t len)
{
	if (w->full)
		return 1;
	if (w->ioerr)
		return SW_E_IO;
	uint8_t h[48];
	size_t hl;
	size_t room = SNAPLEN - 48;
	size_t caplen = len < room ? len : room;
	if (src->family == AF_INET6) {
		hl = 40 + 8;
		memset(h, 0, hl);
		h[0] = 0x60;
		put16(h + 4, (uint16_t)(8 + len));
		h[6] = 17; /* UDP */
		h[7] = 64;
		memcpy(h + 8, src->addr, 16);
		memcpy(h + 24, dst->addr, 16);
	} else {
		hl = 20 + 8;
		memset(h, 0, hl);
		h[0] = 0x45;
		put16(h + 2, (uint16_t)(20 + 8 + len));
		h[8] = 64;
		h[9] = 17;
		memcpy(h + 12, src->addr, 4);
		memcpy(h + 16, dst->addr, 4);
		put16(h + 10, ip_sum(h, 20));
	}
	uint8_t *u = h + hl - 8;
	put16(u, src->port);
	put16(u + 2, dst->port);
	put16(u + 4, (uint16_t)(8 + len));
	/* UDP checksum 0: "not computed", legal for IPv4; tshark flags it for IPv6 but reads it */
	struct {
		uint32_t sec, usec, caplen, len;
	} rec = {(uint32_t)(ts_usec / 1000000), (uint32_t)(ts_usec % 1000000),
		 (uint32_t)(hl + caplen), (uint32_t)(hl + len)};
	uint64_t need = sizeof(rec) + hl + caplen;
	if (w->bytes + need > w->max) {
		w->full = 1;
		return 1;
	}
	if (fwrite(&rec, sizeof(rec), 1, w->f) != 1 || fwrite(h, hl, 1, w->f) != 1 ||
	    (caplen && fwrite(payload, caplen, 1, w->f) != 1)) {
		w->ioerr = 1;
		return SW_E_IO;
	}
	w->bytes += need;
	return 0;
}

int sw_pcapw_close(struct sw_pcapw *w)
{
	if (!w)
		return 0;
	int rc = w->ioerr ? SW_E_IO : 0;
	if (fclose(w->f) != 0)
		rc = SW_E_IO;
	free(w);
	return rc;
}
