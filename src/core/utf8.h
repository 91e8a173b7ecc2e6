/* UTF-8 validation shared by the text writers (JSON, CSV). */
#ifndef SW_CORE_UTF8_H
#define SW_CORE_UTF8_H

#include <stddef.h>

/*
 * Length (2-4) of the valid UTF-8 sequence that starts at p[0] (a byte >= 0x80) within n bytes,
 * or 0 when the bytes are not one: overlong forms, UTF-16 surrogates and code points above
 * U+10FFFF are not characters.
 */
size_t sw_utf8_seq(const unsigned char *p, size_t n);

#endif
