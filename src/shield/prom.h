/*
 * A writer for the Prometheus text exposition format, version 0.0.4: what the shield's metrics
 * endpoint serves (shield/metrics.h).
 *
 *   # HELP sipwarden_messages_total Messages judged, by verdict and reason.
 *   # TYPE sipwarden_messages_total counter
 *   sipwarden_messages_total{verdict="drop",reason="fingerprint"} 12
 *
 * The text goes into a growable buffer with a hard cap. Errors are sticky (as in Knot's wire
 * context): the first bad name, over-long text or failed allocation is remembered, every later
 * call does nothing, and sw_prom_error() tells at the end, so a fill function can write a whole
 * page without checking each call.
 *
 * Label values come from the config and the rules (realm names, rule ids): sw_prom_samplev()
 * escapes them as the format asks (backslash, double quote and line feed as \\, \" and \n).
 * Metric and label names are checked against the format's grammar instead, because they come
 * from the code: a bad one is a bug, reported as SW_E_INVAL.
 */
#ifndef SW_SHIELD_PROM_H
#define SW_SHIELD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The buffer: treat the fields as private (the struct is public so it can live on the stack). */
struct sw_prom {
	char *buf;  /* the text, NUL-terminated when len > 0 */
	size_t len; /* bytes of text */
	size_t cap; /* bytes allocated */
	size_t max; /* hard cap on len */
	int err;    /* first error, sticky; 0 when all went well */
};

enum sw_prom_type { SW_PROM_COUNTER, SW_PROM_GAUGE, SW_PROM_HISTOGRAM, SW_PROM_UNTYPED };

/* Default cap on one page of text. */
#define SW_PROM_MAX_DEFAULT ((size_t)4 << 20)

/* An empty writer whose text may grow to max bytes (0 = SW_PROM_MAX_DEFAULT). Allocates lazily. */
void sw_prom_init(struct sw_prom *p, size_t max);

/* Free the buffer; the writer may be initialised again. NULL is fine. */
void sw_prom_free(struct sw_prom *p);

/* Forget the text and the error, keeping the buffer for the next page. */
void sw_prom_reset(struct sw_prom *p);

/* The text so far ("" when none) and its length. */
const char *sw_prom_text(const struct sw_prom *p);
size_t sw_prom_len(const struct sw_prom *p);

/* The first error: 0, SW_E_INVAL (bad name or type), SW_E_LIMIT (cap), SW_E_NOMEM. */
int sw_prom_error(const struct sw_prom *p);

/*
 * "# HELP name help" (help escaped: backslash and line feed) and "# TYPE name type". Write it once
 * per metric name, before its samples. Returns the sticky error.
 */
int sw_prom_family(struct sw_prom *p, const char *name, enum sw_prom_type type, const char *help);

/*
 * One sample line: name, then "{labels}" unless labels is NULL or "", then the value. labels is
 * label text already in exposition form (`verdict="drop",reason="acl"`), values escaped: build
 * it with sw_prom_labels() when the values are not constants. Values print as integers when they
 * are whole numbers below 2^53, else with 17 significant digits; NaN and infinities as "NaN",
 * "+Inf" and "-Inf". Returns the sticky error.
 */
int sw_prom_sample(struct sw_prom *p, const char *name, const char *labels, double value);

/*
 * The same with labels given as pairs of label name and raw value, closed by NULL:
 *   sw_prom_samplev(p, "sipwarden_rule_hits_total", 3, "rule", id, "realm", realm, NULL);
 * The values are escaped here. Returns the sticky error.
 */
int sw_prom_samplev(struct sw_prom *p, const char *name, double value, ...)
	__attribute__((sentinel));

/*
 * Label text from n pairs (names[i], values[i]) into buf: `a="x",b="y\"z"`, values escaped.
 * Returns the length written, SW_E_LIMIT when buf (len bytes) is too small, or SW_E_INVAL for a
 * bad label name. buf is always NUL-terminated when len > 0.
 */
int sw_prom_labels(char *buf, size_t len, size_t n, const char *const names[],
		   const char *const values[]);

/* Raw text, for what the calls above do not cover (histograms: shield/metrics.h). */
int sw_prom_raw(struct sw_prom *p, const char *text, size_t len);

/* True for a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name ([a-zA-Z_][a-zA-Z0-9_]*). */
bool sw_prom_metric_name_ok(const char *name);
bool sw_prom_label_name_ok(const char *name);

#endif
