#include "out/csv.h"

#include "core/utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

void sw_csv_init(struct sw_csv *c, FILE *f, unsigned flags)
{
	c->f = f;
	c->flags = flags;
	c->nfields = 0;
}

/*
 * One unit of a value as it is to be written: the character (or byte) at p, after the flags'
 * replacements. Writes 1-4 bytes to out, sets *out_len, and returns how many input bytes the
 * unit used. Both the quoting decision and the output go through here, so the decision is made
 * on exactly the bytes that get written.
 */
static size_t next_unit(unsigned flags, const unsigned char *p, size_t n, unsigned char out[4],
			size_t *out_len)
{
	unsigned char b = p[0];
	bool one_line = flags & SW_CSV_ONE_LINE;
	*out_len = 1;
	if (b < 0x80) {
		out[0] = (one_line && ((b < 0x20 && b != '\t') || b == 0x7f)) ? ' ' : b;
		return 1;
	}
	/* C1 controls U+0080-U+009F are the two bytes C2 80 .. C2 9F in UTF-8. */
	if (one_line && b == 0xc2 && n >= 2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		out[0] = ' ';
		return 2;
	}
	if (!(flags & SW_CSV_UTF8)) {
		out[0] = b;
		return 1;
	}
	size_t len = sw_utf8_seq(p, n);
	if (len) {
		memcpy(out, p, len);
		*out_len = len;
		return len;
	}
	/* Not UTF-8: the byte's Latin-1 character, itself a C1 control below 0xA0. */
	if (one_line && b < 0xa0) {
		out[0] = ' ';
		return 1;
	}
	out[0] = (unsigned char)(0xc0 | (b >> 6));
	out[1] = (unsigned char)(0x80 | (b & 0x3f));
	*out_len = 2;
	return 1;
}

/* Whether the value, as written, holds a byte that the quoting rule names. */
static bool needs_quotes(unsigned flags, const unsigned char *p, size_t n)
{
	unsigned char u[4];
	size_t ulen;
	for (size_t i = 0; i < n;) {
		i += next_unit(flags, p + i, n - i, u, &ulen);
		if (ulen == 1 &&
		    (u[0] == ' ' || u[0] == ',' || u[0] == '"' || u[0] == '\r' || u[0] == '\n'))
			return true;
	}
	return false;
}

/* Write the value's units, doubling double quotes when inside quotes. */
static void write_units(struct sw_csv *c, const unsigned char *p, size_t n, bool quoted)
{
	unsigned char u[4];
	size_t ulen;
	for (size_t i = 0; i < n;) {
		/* Runs of bytes that pass through unchanged go out in one call. */
		size_t j = i;
		while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"')
			j++;
		if (j > i) {
			fwrite(p + i, 1, j - i, c->f);
			i = j;
			continue;
		}
		i += next_unit(c->flags, p + i, n - i, u, &ulen);
		if (quoted && ulen == 1 && u[0] == '"')
			fputc('"', c->f);
		fwrite(u, 1, ulen, c->f);
	}
}

/* Separator, then the field between quotes or bare. */
static void put_field(struct sw_csv *c, struct sw_str v, bool force_quotes)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t n = p ? v.len : 0;
	if (c->nfields++)
		fputc(',', c->f);
	bool quoted = force_quotes || needs_quotes(c->flags, p, n);
	if (quoted)
		fputc('"', c->f);
	write_units(c, p, n, quoted);
	if (quoted)
		fputc('"', c->f);
}

void sw_csv_field(struct sw_csv *c, struct sw_str v)
{
	put_field(c, v, false);
}

void sw_csv_cstr(struct sw_csv *c, const char *s)
{
	put_field(c, s ? sw_str_make(s, strlen(s)) : SW_STR_NULL, false);
}

void sw_csv_quoted(struct sw_csv *c, struct sw_str v)
{
	put_field(c, v, true);
}

int sw_csv_end(struct sw_csv *c)
{
	fputc('\n', c->f);
	c->nfields = 0;
	return ferror(c->f) ? SW_E_IO : 0;
}
