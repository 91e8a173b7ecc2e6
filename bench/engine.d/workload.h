/*
 * Workload generator for bench/engine: the UDP traffic of one SIP server (a Kamailio at
 * 198.18.0.1:5060) as raw IPv4 packets, built in memory and handed out in chunks.
 *
 * The traffic is what a capture in front of an unprotected server would hold: phones
 * registering, keeping alive and calling, scanners and crackers probing, and the server's
 * answers to all of them. The generator is a discrete-event simulation over a heap of timed
 * actors (a phone's registration, its keepalives, its call starts; a call; a scanner campaign),
 * each emitting one message per event; the engine's clock is the event time. Every random
 * choice comes from one seeded generator or from hashes of per-actor seeds, so two processes
 * with the same settings see the same bytes in the same order.
 *
 * Nothing is sent anywhere: the packets only exist in the chunk's memory.
 */
#ifndef BENCH_ENGINE_WORKLOAD_H
#define BENCH_ENGINE_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Packet flags in wl_chunk.flags. */
#define WL_F_LEGIT 0x01 /* a phone's message or the server's message to a phone */
#define WL_F_OUT 0x02   /* sent by the server (the generator's truth; the replay decodes it) */

#define WL_SERVER_IP 0xc6120001u /* 198.18.0.1, host order */
#define WL_SERVER_PORT 5060

struct wl_cfg {
	uint64_t msgs;   /* messages to generate in all */
	uint32_t phones; /* legitimate sources; 0 = msgs / 85, at most WL_MAX_PHONES */
	uint64_t seed;
};

#define WL_MAX_PHONES 131000 /* distinct addresses in 198.18.0.0/15 besides the server */

/* One chunk of packets, back to back in one arena (each IPv4 header 4-byte aligned). */
struct wl_chunk {
	uint32_t n, cap;
	uint8_t *arena;
	size_t arena_cap;
	uint32_t *off;  /* packet i starts at arena + off[i] */
	uint16_t *len;  /* IP packet length */
	uint64_t *t_ms; /* the engine's clock for packet i */
	uint8_t *flags; /* WL_F_* */
};

/* Message kinds, for the workload summary. */
#define WL_KINDS(X)                                                                                \
	X(PH_REGISTER, "phone REGISTER (no credentials)")                                          \
	X(PH_REGISTER_AUTH, "phone REGISTER (Authorization)")                                      \
	X(PH_OPTIONS, "phone OPTIONS keepalive")                                                   \
	X(PH_INVITE, "phone INVITE (SDP)")                                                         \
	X(PH_ACK_BYE, "phone ACK, BYE")                                                            \
	X(PH_RESPONSE, "phone 100/180/200 (to the server's INVITE, BYE)")                          \
	X(SV_TO_PHONE_REQ, "server INVITE/ACK/BYE to a phone")                                     \
	X(SV_TO_PHONE_RESP, "server responses to phones (401/407/100/180/200)")                    \
	X(AT_SVMAP, "svmap OPTIONS")                                                               \
	X(AT_SVWAR, "svwar REGISTER enumeration")                                                  \
	X(AT_SVCRACK, "svcrack REGISTER guesses")                                                  \
	X(AT_SIPSAK, "sipsak OPTIONS")                                                             \
	X(AT_NMAP_OPT, "nmap NSE sip-methods OPTIONS")                                             \
	X(AT_NMAP_ENUM, "nmap NSE sip-enum-users REGISTER")                                        \
	X(AT_DISG_ENUM, "disguised enumerator REGISTER (phone-like)")                              \
	X(AT_DISG_CRACK, "disguised cracker REGISTER (phone-like)")                                \
	X(SV_TO_ATTACK, "server responses to attackers (404/401/200)")

enum wl_kind {
#define WL_KIND_ENUM(id, text) WL_##id,
	WL_KINDS(WL_KIND_ENUM)
#undef WL_KIND_ENUM
		WL_KIND__COUNT
};

/* Attack tools, for counting campaigns and their UA-changed variants. */
enum wl_tool {
	WL_SVMAP = 0,
	WL_SVWAR,
	WL_SVCRACK,
	WL_SIPSAK,
	WL_NMAP_OPT,
	WL_NMAP_ENUM,
	WL_DISG_ENUM,  /* a custom enumerator that sends what a phone sends */
	WL_DISG_CRACK, /* a custom password cracker, likewise */
	WL_TOOLS
};

struct wl_summary {
	uint64_t msgs, legit, attack, out;
	uint64_t by_kind[WL_KIND__COUNT];
	uint64_t payload_bytes;
	uint32_t payload_min, payload_max;
	uint32_t phones, phones_registered;
	uint32_t attack_sources; /* distinct attacker addresses used */
	uint64_t campaigns[WL_TOOLS], variants[WL_TOOLS];
	uint64_t calls;
	uint64_t first_ms, last_ms;
};

struct wl;

/* A generator for cfg; NULL when out of memory. */
struct wl *wl_new(const struct wl_cfg *cfg);
void wl_free(struct wl *w);

/* The number of phones, and an upper estimate of the attacker addresses the run will use. */
uint32_t wl_phones(const struct wl *w);
uint32_t wl_attack_sources_estimate(const struct wl *w);

/* A chunk of capacity cap packets; NULL when out of memory. */
struct wl_chunk *wl_chunk_new(uint32_t cap);
void wl_chunk_free(struct wl_chunk *c);

/* Fill c with the next packets (c->n of them, 0 at the end of the workload). */
uint32_t wl_fill(struct wl *w, struct wl_chunk *c);

const struct wl_summary *wl_summary(const struct wl *w);
const char *wl_kind_name(enum wl_kind k);
const char *wl_tool_name(enum wl_tool t);

#endif
