/*
 * libFuzzer target for the shield engine (src/shield/engine.h) on hostile traffic.
 *
 * The input is a conversation: records of [flags][length: 2 bytes][payload], each one UDP
 * datagram between the server and one of eight remote endpoints (four addresses, two ports,
 * IPv4 and IPv6), in the direction and at the time step the flags say. One engine with the
 * shipped configuration (and a small state-memory, so evictions happen) lives across inputs, as
 * the daemon's does, so state built by earlier inputs meets later ones. Every verdict is checked
 * against the engine's promises: a known action and reason, fingerprint matches whose values
 * point into the payload, a trust transition only on the server's response, no drop without a
 * reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "shield/config.h"
#include "shield/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sw_engine *engine;
static uint64_t now_ms = 1000;

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_shield: broken promise: %s\n", what);
	abort();
}

static void setup(void)
{
	static struct sw_shield_config cfg;
	char err[512];
	if (sw_shield_config_default(&cfg, err, sizeof(err)) != 0)
		broken(err);
	cfg.state_memory = 1 << 20;
	cfg.realms[0].deny_period = 2;
	if (sw_engine_new(&cfg, &engine, err, sizeof(err)) != 0)
		broken(err);
}

static void endpoint(struct sw_endpoint *ep, unsigned which)
{
	static const uint8_t v4[4][4] = {
		{198, 18, 0, 11}, {198, 18, 0, 12}, {203, 0, 113, 5}, {192, 0, 2, 77}};
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	uint16_t port = (which & 4) ? 5060 : 40000;
	if (which & 8) {
		v6[15] = (uint8_t)(which & 3);
		sw_endpoint_set_v6(ep, v6, port);
	} else {
		sw_endpoint_set_v4(ep, v4[which & 3], port);
	}
}

static void check(const struct sw_verdict *v, const struct sw_packet *p)
{
	if (v->action > SW_ACT_DENY || v->reason >= SW_REASON__COUNT)
		broken("action or reason out of range");
	if (v->action != SW_ACT_ACCEPT && v->reason == SW_REASON_NONE)
		broken("a drop without a reason");
	if (v->promoted && p->dir != SW_DIR_OUT)
		broken("promoted by a message from the remote party");
	if (v->fp.nmatch > SW_FP_MAX_MATCHES || v->fp.nmatch > v->fp.nmatch_total)
		broken("match counts");
	const char *lo = (const char *)p->payload, *hi = lo + p->len;
	for (unsigned i = 0; i < v->fp.nmatch; i++) {
		struct sw_str s = v->fp.m[i].value;
		if (s.p && (s.p < lo || s.p + s.len > hi))
			broken("a matched value outside the payload");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!engine)
		setup();
	size_t off = 0;
	while (off + 3 <= size) {
		uint8_t flags = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		/* the payload in a block of its own size, so ASan sees any read past it */
		uint8_t *payload = malloc(len ? len : 1);
		if (!payload)
			return 0;
		memcpy(payload, data + off, len);
		off += len;
		struct sw_endpoint remote, server;
		unsigned which = flags & 15;
		endpoint(&remote, which);
		uint8_t srv[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
		if (which & 8)
			sw_endpoint_set_v6(&server, srv, 5060);
		else
			sw_endpoint_set_v4(&server, (const uint8_t[4]){198, 18, 0, 1}, 5060);
		struct sw_packet p = {.payload = payload, .len = (uint32_t)len};
		p.dir = (flags & 16) ? SW_DIR_OUT : SW_DIR_IN;
		p.src = p.dir == SW_DIR_IN ? remote : server;
		p.dst = p.dir == SW_DIR_IN ? server : remote;
		now_ms += (flags >> 5) *
			  700u; /* up to ~5 s per packet: windows and deny-periods end */
		p.now_ms = now_ms;
		struct sw_verdict v;
		sw_engine_packet(engine, &p, &v);
		check(&v, &p);
		free(payload);
	}
	return 0;
}
