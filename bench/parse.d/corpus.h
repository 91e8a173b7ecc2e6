/*
 * The parser benchmark's corpus: realistic SIP messages generated in memory.
 *
 * The generator is deterministic (fixed-seed PRNG), so every benchmark binary - one per parser,
 * see bench/parse - builds byte-identical messages and the figures of different processes are
 * comparable without shipping a corpus file.
 */
#ifndef BENCH_CORPUS_H
#define BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

enum corpus_type {
	CT_OPTIONS = 0,   /* keepalive / capability probe */
	CT_REGISTER,      /* first REGISTER, no credentials yet */
	CT_REGISTER_AUTH, /* REGISTER with Authorization: Digest, all parameters */
	CT_INVITE_SDP,    /* INVITE with an SDP offer, often already through a proxy */
	CT_TRYING_100,    /* 100 Trying from a proxy or PBX */
	CT_RINGING_180,   /* 180 Ringing */
	CT_OK_200_SDP,    /* 200 OK to INVITE with the SDP answer */
	CT_OK_200,        /* 200 OK to REGISTER or OPTIONS, no body */
	CT_UNAUTH_401,    /* 401 Unauthorized with WWW-Authenticate */
	CT_NOT_FOUND_404, /* 404 Not Found */
	CT__COUNT
};

/* Plain name of a type, usable in JSON keys ("invite_sdp"). */
const char *corpus_type_name(enum corpus_type t);

struct corpus_msg {
	const char *buf; /* not NUL-terminated: parsers get (buf, len) like a datagram */
	uint32_t len;
	uint8_t type; /* enum corpus_type */
};

/* A list of corpus message indices measured together ("all", "500b", one type). */
struct corpus_subset {
	const char *name;
	uint32_t *idx;
	uint32_t n;
	double mean_bytes;
	uint32_t min_bytes, max_bytes;
};

/* Messages of the "~500-byte" subset the throughput target is stated for. */
#define CORPUS_500B_MIN 450
#define CORPUS_500B_MAX 550

/* Every message is 300..1500 bytes, as the benchmark's issue asks. */
#define CORPUS_MIN_BYTES 300
#define CORPUS_MAX_BYTES 1500

#define CORPUS_PER_TYPE 24

struct corpus {
	char *arena;
	struct corpus_msg *msg;
	uint32_t n;
	/* subsets: [0] all, [1] ~500 B, [2 + t] type t */
	struct corpus_subset sub[2 + CT__COUNT];
	uint32_t nsub;
};

/* Build the corpus; returns 0, or -1 after printing why (a generator bug, not a parser one). */
int corpus_build(struct corpus *c);
void corpus_free(struct corpus *c);

#endif
