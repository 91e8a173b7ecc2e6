#include "shield/prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* Longest label text one sample may carry through sw_prom_samplev(). */
#define LABELS_MAX 4096
/* Most label pairs sw_prom_samplev() takes. */
#define PAIRS_MAX 16

void sw_prom_init(struct sw_prom *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->max = max ? max : SW_PROM_MAX_DEFAULT;
}

void sw_prom_free(struct sw_prom *p)
{
	if (!p)
		return;
	free(p->buf);
	size_t max = p->max;
	memset(p, 0, sizeof(*p));
	p->max = max;
}

void sw_prom_reset(struct sw_prom *p)
{
	p->len = 0;
	p->err = 0;
	if (p->buf)
		p->buf[0] = '\0';
}

const char *sw_prom_text(const struct sw_prom *p)
{
	return p->buf ? p->buf : "";
}

size_t sw_prom_len(const struct sw_prom *p)
{
	return p->len;
}

int sw_prom_error(const struct sw_prom *p)
{
	return p->err;
}

static int fail(struct sw_prom *p, int code)
{
	if (!p->err)
		p->err = code;
	return p->err;
}

/* Room for n more bytes and a NUL, growing by doubling up to the cap. */
static int reserve(struct sw_prom *p, size_t n)
{
	if (p->err)
		return p->err;
	if (n > p->max - p->len)
		return fail(p, SW_E_LIMIT);
	size_t need = p->len + n + 1;
	if (need <= p->cap)
		return 0;
	size_t cap = p->cap ? p->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > p->max + 1)
		cap = p->max + 1;
	char *b = realloc(p->buf, cap);
	if (!b)
		return fail(p, SW_E_NOMEM);
	p->buf = b;
	p->cap = cap;
	return 0;
}

int sw_prom_raw(struct sw_prom *p, const char *text, size_t len)
{
	if (reserve(p, len))
		return p->err;
	memcpy(p->buf + p->len, text, len);
	p->len += len;
	p->buf[p->len] = '\0';
	return 0;
}

static int put(struct sw_prom *p, const char *s)
{
	return sw_prom_raw(p, s, strlen(s));
}

static bool name_ok(const char *name, bool colon)
{
	if (!name || !*name)
		return false;
	for (const char *c = name; *c; c++) {
		bool alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' ||
			     (colon && *c == ':');
		bool digit = *c >= '0' && *c <= '9';
		if (!alpha && !(digit && c != name))
			return false;
	}
	return true;
}

bool sw_prom_metric_name_ok(const char *name)
{
	return name_ok(name, true);
}

bool sw_prom_label_name_ok(const char *name)
{
	return name_ok(name, false) && strncmp(name, "__", 2) != 0;
}

static const char *type_name(enum sw_prom_type t)
{
	switch (t) {
	case SW_PROM_COUNTER:
		return "counter";
	case SW_PROM_GAUGE:
		return "gauge";
	case SW_PROM_HISTOGRAM:
		return "histogram";
	case SW_PROM_UNTYPED:
		return "untyped";
	}
	return NULL;
}

int sw_prom_family(struct sw_prom *p, const char *name, enum sw_prom_type type, const char *help)
{
	const char *tn = type_name(type);
	if (!tn || !sw_prom_metric_name_ok(name))
		return fail(p, SW_E_INVAL);
	put(p, "# HELP ");
	put(p, name);
	put(p, " ");
	/* HELP text escapes backslash and line feed (not quotes: it is not quoted). */
	for (const char *c = help ? help : ""; *c; c++) {
		if (*c == '\\')
			put(p, "\\\\");
		else if (*c == '\n')
			put(p, "\\n");
		else
			sw_prom_raw(p, c, 1);
	}
	put(p, "\n# TYPE ");
	put(p, name);
	put(p, " ");
	put(p, tn);
	return put(p, "\n");
}

/* The value as the format spells it (Go's ParseFloat reads all of these). */
static void format_value(double v, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else if (isinf(v))
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
	else if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%.17g", v);
}

int sw_prom_sample(struct sw_prom *p, const char *name, const char *labels, double value)
{
	if (!sw_prom_metric_name_ok(name))
		return fail(p, SW_E_INVAL);
	char num[40];
	format_value(value, num, sizeof(num));
	put(p, name);
	if (labels && *labels) {
		put(p, "{");
		put(p, labels);
		put(p, "}");
	}
	put(p, " ");
	put(p, num);
	return put(p, "\n");
}

int sw_prom_labels(char *buf, size_t len, size_t n, const char *const names[],
		   const char *const values[])
{
	size_t o = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!sw_prom_label_name_ok(names[i]))
			return SW_E_INVAL;
		size_t nl = strlen(names[i]);
		/* separator, name, '=', '"' */
		if (o + (i > 0) + nl + 2 >= len)
			return SW_E_LIMIT;
		if (i > 0)
			buf[o++] = ',';
		memcpy(buf + o, names[i], nl);
		o += nl;
		buf[o++] = '=';
		buf[o++] = '"';
		for (const char *c = values[i] ? values[i] : ""; *c; c++) {
			const char *esc = *c == '\\' ? "\\\\" :
					  *c == '"'  ? "\\\"" :
					  *c == '\n' ? "\\n" :
						       NULL;
			size_t el = esc ? 2 : 1;
			if (o + el >= len)
				return SW_E_LIMIT;
			if (esc)
				memcpy(buf + o, esc, 2);
			else
				buf[o] = *c;
			o += el;
		}
		if (o + 1 >= len)
			return SW_E_LIMIT;
		buf[o++] = '"';
		buf[o] = '\0';
	}
	return (int)o;
}

int sw_prom_samplev(struct sw_prom *p, const char *name, double value, ...)
{
	const char *names[PAIRS_MAX], *values[PAIRS_MAX];
	size_t n = 0;
	va_list ap;
	va_start(ap, value);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		if (!k)
			break;
		if (n == PAIRS_MAX) {
			va_end(ap);
			return fail(p, SW_E_LIMIT);
		}
		names[n] = k;
		values[n] = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	char labels[LABELS_MAX];
	int rc = sw_prom_labels(labels, sizeof(labels), n, names, values);
	if (rc < 0)
		return fail(p, rc);
	return sw_prom_sample(p, name, labels, value);
}
