/*
 * Character classes of the SIP grammar (RFC 3261 section 25.1), as one 256-entry table of bit
 * flags so that every class test is a single load. Internal to src/sip.
 */
#ifndef SW_SIP_CHARS_H
#define SW_SIP_CHARS_H

#include <stdint.h>

enum {
	SC_TOKEN = 1 << 0, /* token: alphanum - . ! % * _ + ` ' ~ */
	SC_WS = 1 << 1,    /* SP HTAB */
	SC_LWS = 1 << 2,   /* SP HTAB CR LF: whitespace inside a (possibly folded) value */
	SC_HOST = 1 << 3,  /* hostname or IPv4 characters: alphanum - . (and _ tolerated) */
	SC_DIGIT = 1 << 4,
	SC_WORD = 1 << 5,  /* Call-ID word: token plus ( ) < > : \ " / [ ] ? { } */
	SC_SCHEME = 1 << 6, /* scheme continuation: alphanum + - . */
	SC_HEX = 1 << 7,
};

extern const uint8_t sip_cc[256];

static inline int sip_is(unsigned char c, uint8_t cls)
{
	return (sip_cc[c] & cls) != 0;
}

static inline unsigned char sip_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

#endif
