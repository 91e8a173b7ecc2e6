/*
 * Product names from User-Agent and Server values: version numbers folded.
 *
 * "Asterisk PBX 16.2.1~dfsg-1", "Asterisk PBX 18.15.0" and "Asterisk PBX 20.5.2" are one product
 * for an owner asking "what runs on my network", so summaries count them together under
 * "Asterisk PBX *" (and still list the raw values inside). The rule, on the bytes:
 *
 *  - a version is a token that starts with a digit (or 'v'/'V' and a digit) at the start of the
 *    value or right after one of ' ' '/' '-' '_' '(' ':' '=', runs over [0-9A-Za-z.~+_-], and
 *    contains a '.' followed by a digit - "16.2.1~dfsg-1", "v1.8", "5.6.3", "1.0.11.23";
 *  - each version becomes "*"; model names ("GXP2160", "SPA942", "x86_64") have no dotted
 *    number and stay;
 *  - runs of white space become one space, and the ends are trimmed.
 *
 * The folded value is never longer than the input, needs no NUL and no allocation.
 */
#ifndef SW_REPORT_NORMALISE_H
#define SW_REPORT_NORMALISE_H

#include <stddef.h>

#include "core/strview.h"

/* Fold s into out (room for s.len bytes). Returns the folded length. */
size_t sw_product_fold(struct sw_str s, char *out);

#endif
