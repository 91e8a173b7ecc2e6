#include "out/scan_csv.h"

#include <string.h>

#include "core/err.h"
#include "out/csv.h"

static const struct {
	const char *name;
	enum sw_scan_kind kind;
} columns[SW_SCAN_COL__COUNT] = {
#define SW_SCAN_COL_ROW(id, name, kind) {name, kind},
	SW_SCAN_COLUMNS(SW_SCAN_COL_ROW)
#undef SW_SCAN_COL_ROW
};

const char *sw_scan_col_name(enum sw_scan_col col)
{
	return (unsigned)col < SW_SCAN_COL__COUNT ? columns[col].name : "";
}

enum sw_scan_kind sw_scan_col_kind(enum sw_scan_col col)
{
	return (unsigned)col < SW_SCAN_COL__COUNT ? columns[col].kind : SW_SCAN_KIND_STR;
}

int sw_scan_csv_header(FILE *f)
{
	struct sw_csv c;
	sw_csv_init(&c, f, 0);
	for (unsigned i = 0; i < SW_SCAN_COL__COUNT; i++)
		sw_csv_quoted(&c, sw_str_make(columns[i].name, strlen(columns[i].name)));
	return sw_csv_end(&c);
}

int sw_scan_csv_row(FILE *f, const struct sw_scan_row *row)
{
	struct sw_csv c;
	sw_csv_init(&c, f, SW_CSV_ONE_LINE | SW_CSV_UTF8);
	for (unsigned i = 0; i < SW_SCAN_COL__COUNT; i++)
		sw_csv_field(&c, row->col[i]);
	return sw_csv_end(&c);
}

const struct sw_scan_writer sw_scan_csv_writer = {
	.name = "csv",
	.begin = sw_scan_csv_header,
	.row = sw_scan_csv_row,
};
