/*
 * The report reader: bytes (plain or gzip) -> CSV records through libcsv, or JSON Lines through
 * a small flat-object parser -> rows of views by column.
 *
 * Input flows through two buffers: raw bytes read from the file, and, for gzip, the inflated
 * bytes (zlib with gzip framing; Z_STREAM_END followed by more input starts the next member).
 * libcsv is push-style: it calls field_cb for every field and row_cb at the end of every
 * record. Field bytes live in libcsv's own buffer only for the duration of the call, so
 * field_cb copies them into the row buffer; row_cb turns offsets into views and hands the row
 * on. The header is fed to libcsv one byte at a time when the reader opens, so it stops exactly
 * after the header record and the caller can check columns before any row is read.
 *
 * Line numbers: with CSV_REPALL_NL libcsv reports every line terminator outside a record as an
 * empty record, so each LF is seen exactly once - ending a record, as an empty record (the LF of
 * a CRLF, a blank line) or inside a quoted field (counted in field_cb).
 */
#include "report/reader.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/err.h"

#define RAW_SIZE (256u << 10)
#define OUT_SIZE (1u << 20)
#define ROWBUF_INITIAL (64u << 10)

struct sw_report_reader {
	char *path;
	int fd;
	int gz, raw_eof, z_init, z_done, eof;
	z_stream zs;
	unsigned char *raw;
	unsigned char *out;
	const unsigned char *data; /* the current decompressed chunk */
	size_t dlen, pos;

	enum sw_report_format format;
	struct csv_parser csv;
	int csv_init;
	int in_header, header_done;
	uint64_t line; /* current physical line, 1-based */

	/* The header: names in one allocation, and the column of each report column. */
	char *hdr_text;
	struct sw_str *hdr;
	uint32_t ncols;
	int colmap[SW_SCAN_COL__COUNT];

	/* The row being built. */
	char *rowbuf;
	size_t rowcap, rowlen;
	uint32_t off[SW_REPORT_FIELDS_MAX], len[SW_REPORT_FIELDS_MAX];
	uint32_t nf;
	int overflow; /* the row has more fields or bytes than the limits */
	uint64_t row_line;
	struct sw_str views[SW_REPORT_FIELDS_MAX];

	/* JSON Lines: a line that spans chunks is gathered here. */
	char *linebuf;
	size_t linelen;

	sw_report_row_fn fn;
	void *ctx;
	int stop_rc;
	struct sw_report_read_stats st;
};

static void bad_row(struct sw_report_reader *r, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void bad_row(struct sw_report_reader *r, uint64_t line, const char *fmt, ...)
{
	r->st.bad_rows++;
	if (r->st.nbad >= SW_REPORT_BAD_KEEP)
		return;
	char *b = r->st.bad[r->st.nbad++];
	size_t sz = sizeof(r->st.bad[0]);
	int n = snprintf(b, sz, "line %llu: ", (unsigned long long)line);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sz)
		vsnprintf(b + n, sz - (size_t)n, fmt, ap);
	va_end(ap);
}

/* libcsv may not grow a field beyond the row limit: a quote that is never closed must stop. */
static void *capped_realloc(void *p, size_t size)
{
	if (size > SW_REPORT_ROW_MAX + 1024)
		return NULL;
	return realloc(p, size);
}

/* Nothing is a blank: libcsv would otherwise trim spaces and tabs around unquoted fields. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

/* Read and (for gzip) inflate the next chunk into r->data. Returns 1, 0 at the end, or < 0. */
static int fill(struct sw_report_reader *r, char *err, size_t errlen)
{
	r->pos = r->dlen = 0;
	if (r->eof)
		return 0;
	if (!r->gz) {
		ssize_t n;
		do
			n = read(r->fd, r->raw, RAW_SIZE);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			sw_errf(err, errlen, "%s: line %llu: read error: %s", r->path,
				(unsigned long long)r->line, strerror(errno));
			return SW_E_IO;
		}
		if (n == 0) {
			r->eof = 1;
			return 0;
		}
		r->data = r->raw;
		r->dlen = (size_t)n;
		return 1;
	}
	for (;;) {
		if (r->zs.avail_in == 0 && !r->raw_eof) {
			ssize_t n;
			do
				n = read(r->fd, r->raw, RAW_SIZE);
			while (n < 0 && errno == EINTR);
			if (n < 0) {
				sw_errf(err, errlen, "%s: line %llu: read error: %s", r->path,
					(unsigned long long)r->line, strerror(errno));
				return SW_E_IO;
			}
			if (n == 0)
				r->raw_eof = 1;
			r->zs.next_in = r->raw;
			r->zs.avail_in = (uInt)n;
		}
		if (r->z_done) {
			if (r->zs.avail_in == 0 && r->raw_eof) {
				r->eof = 1;
				return 0;
			}
			if (r->zs.avail_in == 0)
				continue;
			inflateReset(&r->zs); /* another gzip member follows */
			r->z_done = 0;
		}
		r->zs.next_out = r->out;
		r->zs.avail_out = OUT_SIZE;
		int zr = inflate(&r->zs, Z_NO_FLUSH);
		size_t got = OUT_SIZE - r->zs.avail_out;
		if (zr == Z_STREAM_END) {
			r->z_done = 1;
		} else if (zr == Z_BUF_ERROR && r->zs.avail_in == 0 && r->raw_eof) {
			sw_errf(err, errlen, "%s: line %llu: gzip data ends early (truncated file)",
				r->path, (unsigned long long)r->line);
			return SW_E_TRUNCATED;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			sw_errf(err, errlen, "%s: line %llu: corrupt gzip data (%s)", r->path,
				(unsigned long long)r->line,
				r->zs.msg ? r->zs.msg : "inflate failed");
			return SW_E_SYNTAX;
		}
		if (got) {
			r->data = r->out;
			r->dlen = got;
			return 1;
		}
	}
}

static int row_store(struct sw_report_reader *r, const void *s, size_t n)
{
	if (r->rowlen + n > SW_REPORT_ROW_MAX)
		return -1;
	if (r->rowlen + n > r->rowcap) {
		size_t cap = r->rowcap;
		while (cap < r->rowlen + n)
			cap *= 2;
		if (cap > SW_REPORT_ROW_MAX)
			cap = SW_REPORT_ROW_MAX;
		char *nb = realloc(r->rowbuf, cap);
		if (!nb)
			return -1;
		r->rowbuf = nb;
		r->rowcap = cap;
	}
	memcpy(r->rowbuf + r->rowlen, s, n);
	r->rowlen += n;
	return 0;
}

static void row_reset(struct sw_report_reader *r)
{
	r->nf = 0;
	r->rowlen = 0;
	r->overflow = 0;
}

static void field_cb(void *s, size_t n, void *data)
{
	struct sw_report_reader *r = data;
	uint32_t nf = r->nf;
	if (nf == 0) {
		if (r->stop_rc)
			return;
		if (!r->overflow)
			r->row_line = r->line;
	}
	if (nf == SW_REPORT_FIELDS_MAX) {
		r->overflow = 1;
		return;
	}
	size_t at = r->rowlen;
	r->off[nf] = (uint32_t)at;
	r->len[nf] = (uint32_t)n;
	if (n) {
		/* The common case inline: the row buffer has room. */
		if (at + n <= r->rowcap) {
			memcpy(r->rowbuf + at, s, n);
			r->rowlen = at + n;
		} else if (row_store(r, s, n) != 0) {
			r->overflow = 1;
			return;
		}
		const char *p = r->rowbuf + at, *e = p + n;
		while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
			r->line++;
			p++;
		}
	}
	r->nf = nf + 1;
}

/* The report column a header name stands for, or -1. */
static int col_by_name(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++)
		if (sw_str_ieq(sw_str_make(p, n), sw_scan_col_name((enum sw_scan_col)c)))
			return c;
	return -1;
}

static void take_header(struct sw_report_reader *r)
{
	r->hdr_text = malloc(r->rowlen + 1);
	r->hdr = calloc(r->nf ? r->nf : 1, sizeof(*r->hdr));
	if (!r->hdr_text || !r->hdr) {
		r->stop_rc = SW_E_NOMEM;
		return;
	}
	memcpy(r->hdr_text, r->rowbuf, r->rowlen);
	r->ncols = r->nf;
	for (uint32_t i = 0; i < r->nf; i++) {
		r->hdr[i] = sw_str_make(r->hdr_text + r->off[i], r->len[i]);
		int c = col_by_name(r->hdr[i].p, r->hdr[i].len);
		if (c >= 0 && r->colmap[c] < 0)
			r->colmap[c] = (int)i;
	}
	r->header_done = 1;
}

static void emit(struct sw_report_reader *r)
{
	struct sw_report_row row;
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++) {
		int i = r->colmap[c];
		row.col[c] = i >= 0 && (uint32_t)i < r->nf ? r->views[i] : SW_STR_NULL;
	}
	row.field = r->views;
	row.nfields = r->nf;
	row.line = r->row_line;
	row.n = ++r->st.rows;
	int rc = r->fn ? r->fn(r->ctx, &row) : 0;
	if (rc)
		r->stop_rc = rc;
}

static void row_cb(int c, void *data)
{
	struct sw_report_reader *r = data;
	if (r->stop_rc)
		return;
	if (r->nf == 0 && !r->overflow) { /* a bare line terminator */
		if (c == '\n')
			r->line++;
		return;
	}
	if (r->in_header) {
		take_header(r);
	} else if (r->overflow) {
		bad_row(r, r->row_line, "more than %u fields or %u bytes", SW_REPORT_FIELDS_MAX,
			SW_REPORT_ROW_MAX);
	} else if (r->nf != r->ncols) {
		bad_row(r, r->row_line, "%u fields, the header has %u", r->nf, r->ncols);
	} else {
		for (uint32_t i = 0; i < r->nf; i++)
			r->views[i] = sw_str_make(r->rowbuf + r->off[i], r->len[i]);
		emit(r);
	}
	if (c == '\n')
		r->line++;
	row_reset(r);
}

/* --- JSON Lines ------------------------------------------------------------------------- */

struct jp {
	const char *p, *e;
	const char *what; /* the problem, when parsing fails */
};

static void jp_ws(struct jp *j)
{
	while (j->p < j->e && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int jp_hex4(struct jp *j, unsigned *ret)
{
	if (j->e - j->p < 4)
		return -1;
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval((unsigned char)j->p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | (unsigned)h;
	}
	j->p += 4;
	*ret = v;
	return 0;
}

/*
 * A string at j->p ('"' already seen and skipped). Without escapes the view points into the
 * line; with escapes the decoded bytes go to the row buffer (store = 1) or nowhere.
 */
static int jp_string(struct sw_report_reader *r, struct jp *j, int store, struct sw_str *ret)
{
	const char *s = j->p;
	while (j->p < j->e && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
		j->p++;
	if (j->p < j->e && *j->p == '"') {
		*ret = sw_str_make(s, (size_t)(j->p - s));
		j->p++;
		return 0;
	}
	size_t start = r->rowlen;
	if (store && row_store(r, s, (size_t)(j->p - s)) != 0)
		goto toolong;
	while (j->p < j->e && *j->p != '"') {
		unsigned char ch = (unsigned char)*j->p;
		char u[4];
		size_t un = 0;
		if (ch < 0x20) {
			j->what = "control character in a string";
			return -1;
		}
		if (ch != '\\') {
			u[un++] = (char)ch;
			j->p++;
		} else {
			if (++j->p >= j->e)
				break;
			char esc = *j->p++;
			unsigned cp;
			switch (esc) {
			case '"':
			case '\\':
			case '/':
				u[un++] = esc;
				break;
			case 'b':
				u[un++] = '\b';
				break;
			case 'f':
				u[un++] = '\f';
				break;
			case 'n':
				u[un++] = '\n';
				break;
			case 'r':
				u[un++] = '\r';
				break;
			case 't':
				u[un++] = '\t';
				break;
			case 'u':
				if (jp_hex4(j, &cp) != 0) {
					j->what = "bad \\u escape";
					return -1;
				}
				if (cp >= 0xd800 && cp < 0xdc00) {
					unsigned lo;
					if (j->e - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u') {
						j->what = "lone surrogate in \\u escape";
						return -1;
					}
					j->p += 2;
					if (jp_hex4(j, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
						j->what = "bad surrogate pair in \\u escape";
						return -1;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp < 0xe000) {
					j->what = "lone surrogate in \\u escape";
					return -1;
				}
				if (cp < 0x80) {
					u[un++] = (char)cp;
				} else if (cp < 0x800) {
					u[un++] = (char)(0xc0 | cp >> 6);
					u[un++] = (char)(0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					u[un++] = (char)(0xe0 | cp >> 12);
					u[un++] = (char)(0x80 | (cp >> 6 & 0x3f));
					u[un++] = (char)(0x80 | (cp & 0x3f));
				} else {
					u[un++] = (char)(0xf0 | cp >> 18);
					u[un++] = (char)(0x80 | (cp >> 12 & 0x3f));
					u[un++] = (char)(0x80 | (cp >> 6 & 0x3f));
					u[un++] = (char)(0x80 | (cp & 0x3f));
				}
				break;
			default:
				j->what = "bad escape in a string";
				return -1;
			}
		}
		if (store && row_store(r, u, un) != 0)
			goto toolong;
	}
	if (j->p >= j->e) {
		j->what = "string not closed";
		return -1;
	}
	j->p++;
	/* The row buffer may move while a row is built: store an offset, fix up later. */
	*ret = sw_str_make(NULL, r->rowlen - start);
	ret->p = (const char *)(uintptr_t)(start + 1); /* marked: offset + 1 into rowbuf */
	return 1;
toolong:
	j->what = "row too long";
	return -1;
}

static int jp_number(struct jp *j, struct sw_str *ret)
{
	const char *s = j->p;
	if (j->p < j->e && *j->p == '-')
		j->p++;
	const char *d = j->p;
	while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
		j->p++;
	if (j->p == d) {
		j->what = "bad value";
		return -1;
	}
	if (j->p < j->e && *j->p == '.') {
		j->p++;
		d = j->p;
		while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == d) {
			j->what = "bad number";
			return -1;
		}
	}
	if (j->p < j->e && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->e && (*j->p == '+' || *j->p == '-'))
			j->p++;
		d = j->p;
		while (j->p < j->e && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == d) {
			j->what = "bad number";
			return -1;
		}
	}
	*ret = sw_str_make(s, (size_t)(j->p - s));
	return 0;
}

static int jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(j->e - j->p) < n || memcmp(j->p, lit, n) != 0) {
		j->what = "bad value";
		return -1;
	}
	j->p += n;
	return 0;
}

/* Skip any value (nested arrays and objects up to a depth of 32). */
static int jp_skip(struct sw_report_reader *r, struct jp *j, int depth)
{
	struct sw_str v;
	jp_ws(j);
	if (j->p >= j->e) {
		j->what = "value expected";
		return -1;
	}
	char c = *j->p;
	if (c == '"') {
		j->p++;
		return jp_string(r, j, 0, &v) < 0 ? -1 : 0;
	}
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		if (depth > 32) {
			j->what = "nested too deep";
			return -1;
		}
		j->p++;
		jp_ws(j);
		if (j->p < j->e && *j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				jp_ws(j);
				if (j->p >= j->e || *j->p != '"') {
					j->what = "key expected";
					return -1;
				}
				j->p++;
				if (jp_string(r, j, 0, &v) < 0)
					return -1;
				jp_ws(j);
				if (j->p >= j->e || *j->p != ':') {
					j->what = "':' expected";
					return -1;
				}
				j->p++;
			}
			if (jp_skip(r, j, depth + 1) != 0)
				return -1;
			jp_ws(j);
			if (j->p < j->e && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->e && *j->p == close) {
				j->p++;
				return 0;
			}
			j->what = "',' or end of list expected";
			return -1;
		}
	}
	if (c == 't')
		return jp_lit(j, "true");
	if (c == 'f')
		return jp_lit(j, "false");
	if (c == 'n')
		return jp_lit(j, "null");
	return jp_number(j, &v);
}

/* One JSON Lines line: a flat object; the report columns are picked out. */
static void json_line(struct sw_report_reader *r, const char *p, size_t n)
{
	struct jp j = {p, p + n, NULL};
	int marked[SW_SCAN_COL__COUNT] = {0};
	row_reset(r);
	r->row_line = r->line;
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++)
		r->views[c] = SW_STR_NULL;
	jp_ws(&j);
	if (j.p == j.e)
		return; /* blank line */
	if (*j.p != '{') {
		j.what = "not a JSON object";
		goto bad;
	}
	j.p++;
	jp_ws(&j);
	if (j.p < j.e && *j.p == '}') {
		j.p++;
		goto end;
	}
	for (;;) {
		struct sw_str key;
		jp_ws(&j);
		if (j.p >= j.e || *j.p != '"') {
			j.what = "key expected";
			goto bad;
		}
		j.p++;
		int kr = jp_string(r, &j, 0, &key);
		if (kr < 0)
			goto bad;
		int col = kr == 0 ? col_by_name(key.p, key.len) : -1;
		jp_ws(&j);
		if (j.p >= j.e || *j.p != ':') {
			j.what = "':' expected";
			goto bad;
		}
		j.p++;
		jp_ws(&j);
		if (col < 0) {
			if (jp_skip(r, &j, 0) != 0)
				goto bad;
		} else if (j.p < j.e && *j.p == '"') {
			j.p++;
			int sr = jp_string(r, &j, 1, &r->views[col]);
			if (sr < 0)
				goto bad;
			marked[col] = sr;
		} else if (j.p < j.e && *j.p == 'n') {
			if (jp_lit(&j, "null") != 0)
				goto bad;
			r->views[col] = SW_STR_NULL;
		} else if (j.p < j.e && (*j.p == '-' || (*j.p >= '0' && *j.p <= '9'))) {
			if (jp_number(&j, &r->views[col]) != 0)
				goto bad;
		} else {
			j.what = "report column holds neither a string, a number nor null";
			goto bad;
		}
		jp_ws(&j);
		if (j.p < j.e && *j.p == ',') {
			j.p++;
			continue;
		}
		if (j.p < j.e && *j.p == '}') {
			j.p++;
			break;
		}
		j.what = "',' or '}' expected";
		goto bad;
	}
end:
	jp_ws(&j);
	if (j.p != j.e) {
		j.what = "text after the object";
		goto bad;
	}
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++)
		if (marked[c])
			r->views[c].p = r->rowbuf + ((uintptr_t)r->views[c].p - 1);
	r->nf = SW_SCAN_COL__COUNT;
	emit(r);
	return;
bad:
	bad_row(r, r->row_line, "%s at byte %zu", j.what ? j.what : "bad JSON",
		(size_t)(j.p - p) + 1);
}

static int run_jsonl(struct sw_report_reader *r, char *err, size_t errlen)
{
	for (;;) {
		if (r->pos >= r->dlen) {
			int fr = fill(r, err, errlen);
			if (fr < 0)
				return fr;
			if (fr == 0)
				break;
		}
		const char *s = (const char *)r->data + r->pos;
		size_t avail = r->dlen - r->pos;
		const char *nl = memchr(s, '\n', avail);
		size_t n = nl ? (size_t)(nl - s) : avail;
		if (r->linelen + n > SW_REPORT_ROW_MAX) {
			sw_errf(err, errlen, "%s: line %llu: longer than %u bytes", r->path,
				(unsigned long long)r->line, SW_REPORT_ROW_MAX);
			return SW_E_LIMIT;
		}
		if (nl && r->linelen == 0) {
			json_line(r, s, n);
		} else {
			memcpy(r->linebuf + r->linelen, s, n);
			r->linelen += n;
			if (nl) {
				json_line(r, r->linebuf, r->linelen);
				r->linelen = 0;
			}
		}
		r->pos += n + (nl ? 1 : 0);
		if (nl)
			r->line++;
		if (r->stop_rc)
			return r->stop_rc;
	}
	if (r->linelen) {
		json_line(r, r->linebuf, r->linelen);
		r->linelen = 0;
		r->line++;
	}
	return r->stop_rc;
}

static int csv_failed(struct sw_report_reader *r, char *err, size_t errlen)
{
	if (r->stop_rc == SW_E_NOMEM) {
		sw_errf(err, errlen, "%s: out of memory", r->path);
		return SW_E_NOMEM;
	}
	if (r->stop_rc)
		return r->stop_rc;
	if (csv_error(&r->csv) == CSV_ENOMEM || csv_error(&r->csv) == CSV_ETOOBIG) {
		sw_errf(err, errlen,
			"%s: line %llu: a field longer than %u bytes (a quote never closed?)",
			r->path, (unsigned long long)r->line, SW_REPORT_ROW_MAX);
		return SW_E_LIMIT;
	}
	sw_errf(err, errlen, "%s: line %llu: %s", r->path, (unsigned long long)r->line,
		csv_strerror(csv_error(&r->csv)));
	return SW_E_SYNTAX;
}

static int run_csv(struct sw_report_reader *r, char *err, size_t errlen)
{
	for (;;) {
		if (r->pos >= r->dlen) {
			int fr = fill(r, err, errlen);
			if (fr < 0)
				return fr;
			if (fr == 0)
				break;
		}
		size_t n = r->dlen - r->pos;
		if (csv_parse(&r->csv, r->data + r->pos, n, field_cb, row_cb, r) != n || r->stop_rc)
			return csv_failed(r, err, errlen);
		r->pos = r->dlen;
	}
	csv_fini(&r->csv, field_cb, row_cb, r);
	return r->stop_rc ? csv_failed(r, err, errlen) : 0;
}

int sw_report_reader_open(const char *path, struct sw_report_reader **ret, char *err, size_t errlen)
{
	int rc = SW_E_NOMEM;
	struct sw_report_reader *r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->fd = -1;
	r->line = 1;
	for (int c = 0; c < SW_SCAN_COL__COUNT; c++)
		r->colmap[c] = -1;
	r->path = strdup(path);
	r->raw = malloc(RAW_SIZE);
	r->rowcap = ROWBUF_INITIAL;
	r->rowbuf = malloc(r->rowcap);
	if (!r->path || !r->raw || !r->rowbuf)
		goto nomem;
	if (strcmp(path, "-") == 0) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat sb;
		if (r->fd < 0 || fstat(r->fd, &sb) != 0) {
			sw_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
			rc = SW_E_IO;
			goto fail;
		}
		if (S_ISDIR(sb.st_mode)) {
			sw_errf(err, errlen, "%s: is a directory", path);
			rc = SW_E_IO;
			goto fail;
		}
	}
	/* Compression: the magic bytes of the first read. */
	rc = fill(r, err, errlen);
	if (rc < 0)
		goto fail;
	if (r->dlen >= 2 && r->raw[0] == 0x1f && r->raw[1] == 0x8b) {
		r->out = malloc(OUT_SIZE);
		if (!r->out || inflateInit2(&r->zs, 15 + 16) != Z_OK)
			goto nomem;
		r->z_init = r->gz = 1;
		r->zs.next_in = r->raw;
		r->zs.avail_in = (uInt)r->dlen;
		rc = fill(r, err, errlen);
		if (rc < 0)
			goto fail;
	}
	if (r->dlen == 0) {
		sw_errf(err, errlen, "%s: line 1: empty file (no header)", path);
		rc = SW_E_SYNTAX;
		goto fail;
	}
	if (r->dlen >= 3 && memcmp(r->data, "\xef\xbb\xbf", 3) == 0)
		r->pos = 3;
	size_t i = r->pos;
	while (i < r->dlen && (r->data[i] == ' ' || r->data[i] == '\t' || r->data[i] == '\r' ||
			       r->data[i] == '\n'))
		i++;
	if (i < r->dlen && r->data[i] == '{') {
		r->format = SW_REPORT_JSONL;
		r->linebuf = malloc(SW_REPORT_ROW_MAX);
		if (!r->linebuf)
			goto nomem;
		r->ncols = SW_SCAN_COL__COUNT;
		r->hdr = calloc(SW_SCAN_COL__COUNT, sizeof(*r->hdr));
		if (!r->hdr)
			goto nomem;
		for (int c = 0; c < SW_SCAN_COL__COUNT; c++) {
			const char *nm = sw_scan_col_name((enum sw_scan_col)c);
			r->hdr[c] = sw_str_make(nm, strlen(nm));
			r->colmap[c] = c;
		}
		*ret = r;
		return 0;
	}
	r->format = SW_REPORT_CSV;
	if (csv_init(&r->csv, CSV_REPALL_NL) != 0)
		goto nomem;
	r->csv_init = 1;
	csv_set_space_func(&r->csv, no_space);
	csv_set_realloc_func(&r->csv, capped_realloc);
	/* The header, byte by byte, so parsing stops right after it. */
	r->in_header = 1;
	while (!r->header_done) {
		if (r->pos >= r->dlen) {
			rc = fill(r, err, errlen);
			if (rc < 0)
				goto fail;
			if (rc == 0) {
				csv_fini(&r->csv, field_cb, row_cb, r);
				break;
			}
		}
		if (csv_parse(&r->csv, r->data + r->pos, 1, field_cb, row_cb, r) != 1 ||
		    r->stop_rc) {
			rc = csv_failed(r, err, errlen);
			goto fail;
		}
		r->pos++;
	}
	r->in_header = 0;
	if (!r->header_done) {
		sw_errf(err, errlen, "%s: line 1: no header line", path);
		rc = SW_E_SYNTAX;
		goto fail;
	}
	*ret = r;
	return 0;
nomem:
	sw_errf(err, errlen, "%s: out of memory", path);
	rc = SW_E_NOMEM;
fail:
	sw_report_reader_free(r);
	return rc;
}

int sw_report_reader_run(struct sw_report_reader *r, sw_report_row_fn fn, void *ctx, char *err,
			 size_t errlen)
{
	r->fn = fn;
	r->ctx = ctx;
	int rc = r->format == SW_REPORT_JSONL ? run_jsonl(r, err, errlen) : run_csv(r, err, errlen);
	r->st.lines = r->line - 1;
	return rc;
}

const struct sw_report_read_stats *sw_report_reader_stats(const struct sw_report_reader *r)
{
	return &r->st;
}

enum sw_report_format sw_report_reader_format(const struct sw_report_reader *r)
{
	return r->format;
}

const char *sw_report_reader_path(const struct sw_report_reader *r)
{
	return r->path;
}

uint32_t sw_report_reader_ncols(const struct sw_report_reader *r)
{
	return r->ncols;
}

struct sw_str sw_report_reader_colname(const struct sw_report_reader *r, uint32_t i)
{
	return i < r->ncols ? r->hdr[i] : SW_STR_NULL;
}

int sw_report_reader_has(const struct sw_report_reader *r, enum sw_scan_col col)
{
	return (unsigned)col < SW_SCAN_COL__COUNT && r->colmap[col] >= 0;
}

int sw_report_reader_need(const struct sw_report_reader *r, const enum sw_scan_col *need,
			  unsigned n, const char *what, char *err, size_t errlen)
{
	for (unsigned i = 0; i < n; i++)
		if (!sw_report_reader_has(r, need[i])) {
			sw_errf(err, errlen, "%s: line 1: no '%s' column (%s needs it)", r->path,
				sw_scan_col_name(need[i]), what);
			return SW_E_INVAL;
		}
	return 0;
}

void sw_report_reader_free(struct sw_report_reader *r)
{
	if (!r)
		return;
	if (r->csv_init)
		csv_free(&r->csv);
	if (r->z_init)
		inflateEnd(&r->zs);
	if (r->fd > STDIN_FILENO)
		close(r->fd);
	free(r->path);
	free(r->raw);
	free(r->out);
	free(r->rowbuf);
	free(r->linebuf);
	free(r->hdr_text);
	free(r->hdr);
	free(r);
}
