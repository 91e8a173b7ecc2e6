#include "core/utf8.h"

#include <stdint.h>

size_t sw_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char b = p[0];
	size_t len;
	uint32_t cp;
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		cp = b & 0x1fu;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		cp = b & 0x0fu;
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		cp = b & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	/* Overlong forms, UTF-16 surrogates and code points above U+10FFFF are not characters. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}
