/*
 * An RFC 4180 CSV writer onto a stdio stream.
 *
 * A field is written between double quotes when it contains a space, a comma, a double quote, a
 * CR or an LF, and a double quote inside it is doubled ("a ""b"""); any other field is written
 * as it is. An empty field and an absent one are both written as nothing. Records end with a
 * single LF, as the Shadowserver reports do (RFC 4180 says CRLF; every CSV reader takes both).
 *
 * Values come from the wire, so two flags make the output safe for line-based tools and for
 * readers that insist on UTF-8, without losing more than they must:
 *  - SW_CSV_ONE_LINE: every control character (Unicode category Cc: U+0000-U+001F except HT,
 *    U+007F, U+0080-U+009F) is written as one space, so a record is always exactly one line
 *    and no byte can steer a terminal. The quoting rule sees the space and quotes the field.
 *  - SW_CSV_UTF8: a byte that does not start a valid UTF-8 sequence (overlong forms, surrogates
 *    and values above U+10FFFF count as invalid) is written as its Latin-1 reading encoded in
 *    UTF-8 (0xE9 -> U+00E9 "é"), as the JSON writer in out/json.h does with \u00XX. The output
 *    is then always valid UTF-8 and every byte still maps to one character.
 * Without flags the writer is plain RFC 4180: bytes pass through, CR and LF inside quotes.
 *
 * The writer never allocates; output errors are sticky in the stream and reported by
 * sw_csv_end().
 */
#ifndef SW_OUT_CSV_H
#define SW_OUT_CSV_H

#include <stdio.h>

#include "core/strview.h"

enum sw_csv_flag {
	SW_CSV_ONE_LINE = 1u << 0, /* control characters become a space */
	SW_CSV_UTF8 = 1u << 1,     /* invalid UTF-8 bytes become their Latin-1 character */
};

struct sw_csv {
	FILE *f;
	unsigned flags;   /* enum sw_csv_flag */
	unsigned nfields; /* fields written in the current record (a comma goes before the next) */
};

/* Start writing records onto f with the given enum sw_csv_flag bits. */
void sw_csv_init(struct sw_csv *c, FILE *f, unsigned flags);

/* Append one field, quoted only when the rule above asks for it. Absent and empty are alike. */
void sw_csv_field(struct sw_csv *c, struct sw_str v);

/* The same for a NUL-terminated string (NULL = empty field). */
void sw_csv_cstr(struct sw_csv *c, const char *s);

/* Append one field, always between double quotes (header lines that quote every name). */
void sw_csv_quoted(struct sw_csv *c, struct sw_str v);

/* End the record with LF. Returns 0, or SW_E_IO when the stream has seen a write error. */
int sw_csv_end(struct sw_csv *c);

#endif
