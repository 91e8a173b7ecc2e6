/*
 * A small streaming JSON writer onto a stdio stream.
 *
 * The writer keeps a stack of open objects/arrays to place commas; it never allocates. Strings
 * are byte views from the wire: valid UTF-8 passes through, control characters are escaped, and
 * bytes that are not valid UTF-8 are written as \u00XX (their Latin-1 reading), so the output is
 * always valid JSON and no byte of evidence is silently dropped.
 */
#ifndef SW_OUT_JSON_H
#define SW_OUT_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "core/strview.h"

#define SW_JSON_DEPTH 16

struct sw_json {
	FILE *f;
	int depth;
	uint8_t need_comma[SW_JSON_DEPTH];
};

void sw_json_init(struct sw_json *j, FILE *f);
/* Structural calls; key may be NULL inside arrays or at top level. */
void sw_json_obj_open(struct sw_json *j, const char *key);
void sw_json_obj_close(struct sw_json *j);
void sw_json_arr_open(struct sw_json *j, const char *key);
void sw_json_arr_close(struct sw_json *j);
/* Values: an absent view (NULL pointer) is written as null. */
void sw_json_str(struct sw_json *j, const char *key, struct sw_str v);
void sw_json_cstr(struct sw_json *j, const char *key, const char *s);
void sw_json_int(struct sw_json *j, const char *key, int64_t v);
/* v when present is non-zero, else null. */
void sw_json_int_opt(struct sw_json *j, const char *key, int present, int64_t v);
/* A number already in JSON syntax (e.g. "12.14"), written as is: the caller validates it. */
void sw_json_number(struct sw_json *j, const char *key, struct sw_str num);
void sw_json_bool(struct sw_json *j, const char *key, int v);
void sw_json_null(struct sw_json *j, const char *key);
/* End a top-level value with a newline (JSON Lines). */
void sw_json_eol(struct sw_json *j);

/* Write bytes as the body of a JSON string (no quotes) to f. */
void sw_json_escape(FILE *f, const char *p, size_t len);

#endif
