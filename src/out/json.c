#include "out/json.h"

#include <inttypes.h>

void sw_json_init(struct sw_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = 0;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when the bytes are not one. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values above U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void sw_json_escape(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	while (p < e) {
		unsigned char c = *p;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			const unsigned char *q = p;
			while (q < e && *q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\')
				q++;
			fwrite(p, 1, (size_t)(q - p), f);
			p = q;
			continue;
		}
		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c >= 0x80) {
				size_t n = utf8_len(p, (size_t)(e - p));
				if (n) {
					fwrite(p, 1, n, f);
					p += n;
					continue;
				}
			}
			fprintf(f, "\\u%04x", c);
		}
		p++;
	}
}

/* Comma and key before a value at the current depth. */
static void prefix(struct sw_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = 1;
	if (key) {
		fputc('"', j->f);
		sw_json_escape(j->f, key, strlen(key));
		fputs("\":", j->f);
	}
}

static void open_(struct sw_json *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < SW_JSON_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = 0;
}

static void close_(struct sw_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void sw_json_obj_open(struct sw_json *j, const char *key)
{
	open_(j, key, '{');
}

void sw_json_obj_close(struct sw_json *j)
{
	close_(j, '}');
}

void sw_json_arr_open(struct sw_json *j, const char *key)
{
	open_(j, key, '[');
}

void sw_json_arr_close(struct sw_json *j)
{
	close_(j, ']');
}

void sw_json_str(struct sw_json *j, const char *key, struct sw_str v)
{
	prefix(j, key);
	if (!v.p) {
		fputs("null", j->f);
		return;
	}
	fputc('"', j->f);
	sw_json_escape(j->f, v.p, v.len);
	fputc('"', j->f);
}

void sw_json_cstr(struct sw_json *j, const char *key, const char *s)
{
	sw_json_str(j, key, s ? sw_str_make(s, strlen(s)) : SW_STR_NULL);
}

void sw_json_int(struct sw_json *j, const char *key, int64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void sw_json_int_opt(struct sw_json *j, const char *key, int present, int64_t v)
{
	if (present)
		sw_json_int(j, key, v);
	else
		sw_json_null(j, key);
}

void sw_json_bool(struct sw_json *j, const char *key, int v)
{
	prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void sw_json_null(struct sw_json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}

void sw_json_eol(struct sw_json *j)
{
	fputc('\n', j->f);
	j->depth = 0;
	j->need_comma[0] = 0;
}
