#include "core/listfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* Room for a quoted entry ("'" + 80 bytes + "..." + "'"). */
#define QUOTE_CUT 80

void sw_list_quote(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0, n = len > QUOTE_CUT ? QUOTE_CUT : len;

	if (!size)
		return;
	/* Reserve the closing quote, the ellipsis and the NUL up front. */
	if (size < 6) {
		out[0] = '\0';
		return;
	}
	out[o++] = '\'';
	for (size_t i = 0; i < n && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < len || o - 1 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '\'';
	out[o] = '\0';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * One line of a list: drop the comment, trim, skip if blank, else hand the entry to fn and put
 * "name:line: " in front of its message.
 */
static int list_line(const char *name, unsigned long lineno, const char *line, size_t len,
		     sw_list_entry_fn fn, void *ctx, char *err, size_t errlen)
{
	const char *hash = memchr(line, '#', len);
	char msg[512];
	int rc;

	if (hash)
		len = (size_t)(hash - line);
	while (len && is_blank(line[len - 1]))
		len--;
	while (len && is_blank(line[0])) {
		line++;
		len--;
	}
	if (!len)
		return 0;
	msg[0] = '\0';
	rc = fn(ctx, line, len, msg, sizeof(msg));
	if (rc < 0)
		sw_errf(err, errlen, "%s:%lu: %s", name, lineno, msg[0] ? msg : sw_strerror(rc));
	return rc;
}

int sw_list_read_file(const char *path, sw_list_entry_fn fn, void *ctx, char *err, size_t errlen)
{
	char line[SW_LIST_LINE_MAX];
	unsigned long lineno = 0;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f) {
		sw_errf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return SW_E_IO;
	}
	for (;;) {
		size_t n = 0;
		bool nul = false, long_line = false;
		int c;

		lineno++;
		while ((c = getc_unlocked(f)) != EOF && c != '\n') {
			if (c == '\0')
				nul = true;
			if (n < sizeof(line))
				line[n++] = (char)c;
			else
				long_line = true;
		}
		if (ferror(f)) {
			sw_errf(err, errlen, "%s:%lu: read error: %s", path, lineno,
				strerror(errno));
			rc = SW_E_IO;
			break;
		}
		if (c == EOF && n == 0)
			break;
		if (long_line) {
			sw_errf(err, errlen, "%s:%lu: line longer than %d bytes", path, lineno,
				SW_LIST_LINE_MAX);
			rc = SW_E_LIMIT;
			break;
		}
		if (nul) {
			sw_errf(err, errlen, "%s:%lu: NUL byte in line", path, lineno);
			rc = SW_E_SYNTAX;
			break;
		}
		rc = list_line(path, lineno, line, n, fn, ctx, err, errlen);
		if (rc < 0 || c == EOF)
			break;
	}
	fclose(f);
	return rc;
}

int sw_list_read_buf(const char *name, const char *buf, size_t len, sw_list_entry_fn fn, void *ctx,
		     char *err, size_t errlen)
{
	unsigned long lineno = 0;
	size_t off = 0;

	while (off < len) {
		const char *p = buf + off, *nl = memchr(p, '\n', len - off);
		size_t n = nl ? (size_t)(nl - p) : len - off;
		int rc;

		lineno++;
		off += n + (nl ? 1 : 0);
		if (n > SW_LIST_LINE_MAX) {
			sw_errf(err, errlen, "%s:%lu: line longer than %d bytes", name, lineno,
				SW_LIST_LINE_MAX);
			return SW_E_LIMIT;
		}
		if (memchr(p, '\0', n)) {
			sw_errf(err, errlen, "%s:%lu: NUL byte in line", name, lineno);
			return SW_E_SYNTAX;
		}
		rc = list_line(name, lineno, p, n, fn, ctx, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}
