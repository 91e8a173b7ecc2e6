/*
 * The interface between the parser benchmark driver (bench_parse.c) and one parser adapter
 * (parser_sipwarden.c, parser_osip.c, parser_sofia.c).
 *
 * Each benchmark binary links the driver with exactly one adapter. One parser per process keeps
 * the measurements apart: no parser warms the caches or the allocator for another, callgrind
 * sees only the code under test, and sofia-sip's exported sip_* symbols can never interpose on
 * (or be interposed by) sipwarden's sip_* functions.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Fields every parser extracts, compared across parsers by bench/parse. */
struct bench_fields {
	unsigned status; /* response status, 0 for a request */
	char method[24]; /* request method, or the CSeq method of a response */
	uint32_t cseq;   /* CSeq number */
	char call_id[128];
	char branch[128]; /* top Via branch */
	char from_tag[64];
	char to_tag[64];    /* empty when To has no tag */
	unsigned via_count; /* Via values over all Via headers */
	uint32_t body_len;
};

/* The adapter's display and JSON name: "sipwarden", "libosip2", "sofia". */
extern const char bench_parser_name[];

/* One-time library set-up. Returns 0, or -1 with a reason in why. */
int bench_parser_init(char *why, size_t cap);

/*
 * The measured operation: parse one message completely, as the library's users do, then read a
 * few decoded fields (Call-ID, CSeq number, top Via branch, From tag) into *sink so the work
 * cannot be skipped. Returns 0, or -1 when the parser rejected the message.
 */
int bench_parser_parse(const char *buf, size_t len, uint64_t *sink);

/* Parse once (not timed) and fill *f. Returns 0, or -1 with a reason in why. */
int bench_parser_fields(const char *buf, size_t len, struct bench_fields *f, char *why, size_t cap);

/* Copy a length-delimited string into a fixed array, truncating; NULL p gives "". */
static inline void bench_copy(char *dst, size_t cap, const char *p, size_t n)
{
	if (!p)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, p, n);
	dst[n] = '\0';
}

#endif
