#include "out/json.h"

#include <inttypes.h>

#include "core/utf8.h"

void sw_json_init(struct sw_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = 0;
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
				size_t n = sw_utf8_seq(p, (size_t)(e - p));
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

void sw_json_number(struct sw_json *j, const char *key, struct sw_str num)
{
	prefix(j, key);
	fwrite(num.p, 1, num.len, j->f);
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
