#include "out/scan_jsonl.h"

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "out/json.h"

/* Value of a view of 1 to 18 ASCII digits (so it fits an int64_t), or -1 for anything else. */
static int64_t digits_value(const char *p, size_t n)
{
	if (!p || n == 0 || n > 18)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * A number column: an integer, or "<digits>.<2 digits>" for SW_SCAN_KIND_FIXED2, written as a
 * JSON number; text that is not such a number is kept as a string.
 */
static void number(struct sw_json *j, const char *key, struct sw_str v, enum sw_scan_kind kind)
{
	if (!v.p) {
		sw_json_null(j, key);
		return;
	}
	int64_t whole = -1;
	if (kind == SW_SCAN_KIND_INT) {
		whole = digits_value(v.p, v.len);
	} else if (v.len >= 4 && v.p[v.len - 3] == '.' && digits_value(v.p + v.len - 2, 2) >= 0) {
		whole = digits_value(v.p, v.len - 3);
	}
	if (whole < 0) {
		sw_json_str(j, key, v);
		return;
	}
	if (kind == SW_SCAN_KIND_INT) {
		sw_json_int(j, key, whole);
		return;
	}
	/* Re-rendered, so that leading zeros in the text never reach the JSON number. */
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld.%.2s", (long long)whole, v.p + v.len - 2);
	sw_json_number(j, key, sw_str_make(buf, (size_t)n));
}

int sw_scan_jsonl_row(FILE *f, const struct sw_scan_row *row)
{
	struct sw_json j;
	sw_json_init(&j, f);
	sw_json_obj_open(&j, NULL);
	for (unsigned i = 0; i < SW_SCAN_COL__COUNT; i++) {
		enum sw_scan_kind kind = sw_scan_col_kind((enum sw_scan_col)i);
		const char *key = sw_scan_col_name((enum sw_scan_col)i);
		if (kind == SW_SCAN_KIND_STR)
			sw_json_str(&j, key, row->col[i]);
		else
			number(&j, key, row->col[i], kind);
	}
	sw_json_str(&j, "probe", row->probe);
	sw_json_int(&j, "probe_size", row->probe_size);
	sw_json_int(&j, "packets", row->packets);
	sw_json_arr_open(&j, "packet_sizes");
	for (uint32_t i = 0; i < row->nsizes && row->sizes; i++)
		sw_json_int(&j, NULL, row->sizes[i]);
	sw_json_arr_close(&j);
	sw_json_obj_close(&j);
	sw_json_eol(&j);
	return ferror(f) ? SW_E_IO : 0;
}

const struct sw_scan_writer sw_scan_jsonl_writer = {
	.name = "jsonl",
	.begin = NULL,
	.row = sw_scan_jsonl_row,
};
