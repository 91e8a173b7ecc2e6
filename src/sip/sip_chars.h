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
	SC_URIRUN = 1 << 12, /* URICH but ':': the URI scan also stops at the password's ':' */
};

extern const uint16_t sip_cc[256];

static inline int sip_is(unsigned char c, uint16_t cls)
{
	return (sip_cc[c] & cls) != 0;
}

/*
 * SC_WS and SC_LWS without the table: a bit test of a constant. The trimming loops ask this of
 * almost every value's first and last byte, nearly always of a byte that is not whitespace, and
 * a table load there sits on the chain of dependent loads that walks the message.
 */
static inline int sip_is_ws(unsigned char c)
{
	return c <= ' ' && ((0x100000200ull >> c) & 1); /* SP, HTAB */
}

static inline int sip_is_lws(unsigned char c)
{
	return c <= ' ' && ((0x100002600ull >> c) & 1); /* SP, HTAB, LF, CR */
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

#ifdef __SSE2__
/* 0xff in each byte of v within [lo, hi] (unsigned), else 0. */
static inline __m128i sip_in_range16(__m128i v, unsigned char lo, unsigned char hi)
{
	__m128i t = _mm_sub_epi8(v, _mm_set1_epi8((char)lo));
	return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))), t);
}

static inline __m128i sip_eq16(__m128i v, char c)
{
	return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}

/* 0xff in each byte of v that is SC_HOST: alphanumeric, '-', '.' or '_'. */
static inline __m128i sip_host16(__m128i v, __m128i digit, __m128i dot)
{
	return _mm_or_si128(
		_mm_or_si128(sip_in_range16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'),
			     _mm_or_si128(digit, dot)),
		_mm_or_si128(sip_eq16(v, '-'), sip_eq16(v, '_')));
}

/*
 * A bit per byte of the 16 at p that is NOT in class cls, SC_HOST or SC_URIRUN (a constant cls
 * picks one branch); other classes take more compares per 16 bytes than the table loop spends.
 * Each is written as a few byte ranges; sip_chars.c's table stays the definition, and a debug
 * build compares the two over all 256 byte values at start-up (sip_chars.c).
 */
static inline unsigned sip_stop16(const char *p, uint16_t cls)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i stop;
	switch (cls) {
	case SC_HOST:
		stop = sip_host16(v, sip_in_range16(v, '0', '9'), sip_eq16(v, '.'));
		return (unsigned)_mm_movemask_epi8(stop) ^ 0xffffu;
	default: /* SC_URIRUN: stops at CTL SP " : ; < > ? @ DEL (bytes >= 0x80 pass) */
		stop = _mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v),
				     sip_eq16(v, 0x7f)),
			_mm_or_si128(sip_eq16(v, '"'),
				     _mm_andnot_si128(sip_eq16(v, '='),
						      sip_in_range16(v, ':', '@'))));
		break;
	}
	return (unsigned)_mm_movemask_epi8(stop);
}
#endif

/*
 * sip_span() for the runs that are long and cheap to classify 16 at a time (URIs, hosts), cls
 * SC_URIRUN or SC_HOST: 16 bytes per step while 16 remain; the last step re-reads the final 16
 * bytes of the range (the bytes already checked shifted out), so only a range shorter than 16
 * bytes is left to the byte loop. Never reads outside [p, e).
 */
static inline const char *sip_span_long(const char *p, const char *e, uint16_t cls)
{
#ifdef __SSE2__
	if (e - p >= 16) {
		do {
			unsigned m = sip_stop16(p, cls);
			if (m)
				return p + __builtin_ctz(m);
			p += 16;
		} while (e - p >= 16);
		if (p == e)
			return e;
		const char *q = e - 16;
		unsigned m = sip_stop16(q, cls) >> (p - q);
		return m ? p + __builtin_ctz(m) : e;
	}
#endif
	return sip_span(p, e, cls);
}

#ifdef __SSE2__
/* A bit per byte of the 16 at p that is not alphanumeric, '-' or '.'. */
static inline unsigned sip_not_alnum16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i in = _mm_or_si128(
		_mm_or_si128(sip_in_range16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'),
			     sip_in_range16(v, '0', '9')),
		sip_in_range16(v, '-', '.'));
	return (unsigned)_mm_movemask_epi8(in) ^ 0xffffu;
}
#endif

/*
 * sip_span() for a class that holds every alphanumeric, '-' and '.' (SC_TOKEN, SC_PVAL, SC_WORD;
 * sip_chars.c checks that in debug builds):
 * branches, tags and Call-IDs are long runs of those, found 16 bytes per step; only the other
 * bytes are looked up in the table. The last step re-reads the final 16 bytes of the range
 * (bytes already checked masked off), so only a range shorter than 16 bytes is left to the byte
 * loop. Never reads outside [p, e).
 */
static inline const char *sip_span_alnum(const char *p, const char *e, uint16_t cls)
{
#ifdef __SSE2__
	if (e - p >= 16) {
		for (;;) {
			const char *b = e - p >= 16 ? p : e - 16;
			unsigned m = sip_not_alnum16(b) & (0xffffu << (p - b));
			for (; m; m &= m - 1) {
				const char *q = b + __builtin_ctz(m);
				if (!(sip_cc[(unsigned char)*q] & cls))
					return q;
			}
			p = b + 16;
			if (p == e)
				return e;
		}
	}
#endif
	return sip_span(p, e, cls);
}

/* [p, e) is digits with exactly three dots among them: the IPv4 shape sip_host_classify knows. */
static inline int sip_ipv4_shaped(const char *p, const char *e)
{
	unsigned dots = 0;
	for (; p < e; p++) {
		if (*p == '.')
			dots++;
		else if ((unsigned char)*p - (unsigned)'0' > 9)
			return 0;
	}
	return dots == 3;
}

/*
 * The end of the host name or IPv4 address at p (the SC_HOST span of [p, e)), and in *v4
 * sip_ipv4_shaped() of that span. Hosts are short: when one ends within 16 readable bytes, one
 * classification of those 16 gives both answers.
 */
static inline const char *sip_host_span(const char *p, const char *e, int *v4)
{
#ifdef __SSE2__
	if (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i digit = sip_in_range16(v, '0', '9'), dot = sip_eq16(v, '.');
		unsigned stop = (unsigned)_mm_movemask_epi8(sip_host16(v, digit, dot)) ^ 0xffffu;
		if (stop) {
			unsigned n = (unsigned)__builtin_ctz(stop), in = (1u << n) - 1;
			unsigned dots = (unsigned)_mm_movemask_epi8(dot) & in;
			unsigned digits = (unsigned)_mm_movemask_epi8(digit) & in;
			/* three dots: clearing the lowest set bit three times leaves nothing */
			unsigned d1 = dots & (dots - 1), d2 = d1 & (d1 - 1);
			*v4 = (dots | digits) == in && d2 && !(d2 & (d2 - 1));
			return p + n;
		}
	}
#endif
	const char *he = sip_span_long(p, e, SC_HOST);
	*v4 = sip_ipv4_shaped(p, he);
	return he;
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

/*
 * The n bytes at p (1 <= n <= 8) as a little-endian integer, read with at most two loads that
 * never leave [p, p + n): for n >= 4 the first and the last four bytes, overlapping in the middle
 * (the overlap holds the same bytes in both, so OR-ing them is exact). With a constant n this is
 * two register loads and a shift; a memcpy() of n bytes into a zeroed uint64_t instead is
 * compiled as partial stores to the stack and one 8-byte load of them, which the CPU cannot
 * forward from the stores and pays a store-forwarding stall for (measured on EPYC: half of
 * sip_decode_via's time went to two such compares).
 */
static inline uint64_t sip_load_le(const char *p, size_t n)
{
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return (uint64_t)a | (uint64_t)b << (8 * (n - 4));
	}
	if (n >= 2) {
		uint16_t a, b;
		memcpy(&a, p, 2);
		memcpy(&b, p + n - 2, 2);
		return (uint64_t)a | (uint64_t)b << (8 * (n - 2));
	}
	return n ? (unsigned char)p[0] : 0;
}

/* A literal's first n (<= 8) bytes as an integer, folded to a constant for a literal. */
static inline uint64_t sip_lit_le(const char *lit, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)(unsigned char)lit[i] << (8 * i);
	return v;
}

/*
 * [p, p+n) equal, in any case, to lower: n <= 8 lower-case letters (constant n, so that the
 * loads and the literal fold into constants). OR-ing 0x20 into a byte gives a lower-case letter
 * only when the byte was that letter in upper or lower case, so one compare does it.
 */
static inline int sip_ieq_letters(const char *p, size_t n, const char *lower)
{
	uint64_t fold = n >= 8 ? 0x2020202020202020ull :
				 0x2020202020202020ull & ((1ull << (8 * n)) - 1);
	return (sip_load_le(p, n) | fold) == sip_lit_le(lower, n);
}

/* A view equal (case-insensitively) to a literal of at most 8 lower-case letters. */
#define SIP_IEQ_LIT(view, lit)                                                                     \
	(sizeof(char[sizeof(lit) <= 9 ? 1 : -1]) && (view).len == sizeof(lit) - 1 &&               \
	 sip_ieq_letters((view).p, sizeof(lit) - 1, (lit)))

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
