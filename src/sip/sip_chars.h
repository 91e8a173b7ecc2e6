/*
 * Character classes of the SIP grammar (RFC 3261 section 25.1), as one 256-entry table of bit
 * flags so that every class test is a single load. Internal to src/sip.
 */
#ifndef SW_SIP_CHARS_H
#define SW_SIP_CHARS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum {
	SC_TOKEN = 1 << 0, /* token: alphanum - . ! % * _ + ` ' ~ */
	SC_WS = 1 << 1,    /* SP HTAB */
	SC_LWS = 1 << 2,   /* SP HTAB CR LF: whitespace inside a (possibly folded) value */
	SC_HOST = 1 << 3,  /* hostname or IPv4 characters: alphanum - . (and _ tolerated) */
	SC_DIGIT = 1 << 4,
	SC_WORD = 1 << 5,   /* Call-ID word: token plus ( ) < > : \ " / [ ] ? { } */
	SC_SCHEME = 1 << 6, /* scheme continuation: alphanum + - . */
	SC_HEX = 1 << 7,
	SC_URIBAD = 1 << 8,  /* never inside a URI: CTL, SP, DEL, < > " */
	SC_PVAL = 1 << 9,    /* generic parameter value: token plus : [ ] (IPv6 without quotes) */
	SC_URISEP = 1 << 10, /* @ ? ; : where a SIP URI's parts begin */
	SC_URICH = 1 << 11,  /* neither URIBAD nor URISEP: bytes a URI scan passes over */
};

extern const uint16_t sip_cc[256];

static inline int sip_is(unsigned char c, uint16_t cls)
{
	return (sip_cc[c] & cls) != 0;
}

/*
 * The first byte in [p, e) not in class cls (one SC_ bit), or e. Values are scanned four bytes
 * per step while they last: the AND of four table entries tells at once whether all four are in
 * the class, which halves the instructions per byte of a plain loop on long tokens and hosts.
 */
static inline const char *sip_span(const char *p, const char *e, uint16_t cls)
{
	while (e - p >= 4 && (sip_cc[(unsigned char)p[0]] & sip_cc[(unsigned char)p[1]] &
			      sip_cc[(unsigned char)p[2]] & sip_cc[(unsigned char)p[3]] & cls))
		p += 4;
	while (p < e && (sip_cc[(unsigned char)*p] & cls))
		p++;
	return p;
}

/* ASCII case-insensitive equality of [p, p+n) with a lower-case literal of length n. */
static inline int sip_ieq_lower(const char *p, size_t n, const char *lower)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 'A' && c <= 'Z')
			c |= 0x20;
		if (c != (unsigned char)lower[i])
			return 0;
	}
	return 1;
}

/* A view equal (case-insensitively) to a lower-case string literal. */
#define SIP_IEQ_LIT(view, lit)                                                                     \
	((view).len == sizeof(lit) - 1 && sip_ieq_lower((view).p, sizeof(lit) - 1, (lit)))

static inline unsigned char sip_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/*
 * The first byte in [p, e) equal to a, b or c, or NULL. Header lines are short (20-80 bytes),
 * where memchr()'s call overhead dominates and where we need two or three bytes at once (CR and
 * LF for the end of a line, plus ':' for the end of a header name); this compares 16 bytes at a
 * time with SSE2 while 16 bytes remain, then byte by byte. It never reads outside [p, e).
 */
static inline const char *sip_find3(const char *p, const char *e, char a, char b, char c)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit =
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)),
				     _mm_cmpeq_epi8(v, vc));
		unsigned mask = (unsigned)_mm_movemask_epi8(hit);
		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	for (; p < e; p++)
		if (*p == a || *p == b || *p == c)
			return p;
	return NULL;
}

/* The first CR or LF in [p, e), or NULL. */
static inline const char *sip_find_eol(const char *p, const char *e)
{
	return sip_find3(p, e, '\r', '\n', '\n');
}

#endif
