/*
 * Reading scan_sip reports: our CSV, the CSV files Shadowserver sends, and our JSON Lines.
 *
 * The input format is found from the bytes, not the file name: gzip by its magic bytes (1f 8b;
 * concatenated members are read one after the other), then JSON Lines when the first byte that
 * is not white space (after an optional UTF-8 byte order mark) is '{', CSV otherwise.
 *
 * CSV goes through libcsv (RFC 4180: quoted fields, doubled quotes, embedded commas, CR and LF),
 * with libcsv's trimming of blanks around unquoted fields switched off so a value is read as it
 * was written. The first record is the header; columns are found by name (ASCII case
 * insensitive, surrounding blanks ignored), so Shadowserver's extra columns and files that lack
 * some columns are read alike; a column the file does not have reads as absent. JSON Lines rows
 * are flat objects; the 30 report names are picked out, every other key (nested values too, such
 * as "packet_sizes") is skipped, null reads as absent, and numbers are kept as their text.
 *
 * Streaming: the reader holds one chunk of input and one row, never the file, so memory does not
 * grow with the number of rows. Limits bound a hostile file: a row of at most SW_REPORT_ROW_MAX
 * bytes and SW_REPORT_FIELDS_MAX fields (a longer row, say after a quote that is never closed,
 * stops the read with an error naming its line).
 *
 * A row that cannot be used - a CSV record whose field count differs from the header's, a line
 * that is not a JSON object - is not handed on: it is counted, and the first few are described
 * ("line 12: 3 fields, the header has 30"), so a caller can say how many rows it skipped and why.
 * Line numbers are physical lines of the (decompressed) input, 1-based; a CSV row with an
 * embedded newline starts on the line given and spans more.
 */
#ifndef SW_REPORT_READER_H
#define SW_REPORT_READER_H

#include <stdint.h>

#include "core/strview.h"
#include "out/scan_csv.h"

#define SW_REPORT_ROW_MAX (4u << 20) /* bytes of one row's fields */
#define SW_REPORT_FIELDS_MAX 1024    /* fields of one row */
#define SW_REPORT_BAD_KEEP 5         /* unusable rows described, besides being counted */

enum sw_report_format { SW_REPORT_CSV = 0, SW_REPORT_JSONL };

/*
 * One row as views into the reader's buffer, valid during the row callback only.
 * col[] holds the 30 report columns by id (absent: the file has no such column, or JSON null);
 * field[] every field in file order (CSV; for JSON Lines the 30 columns in report order), so
 * commands that copy rows keep the columns they do not know.
 */
struct sw_report_row {
	struct sw_str col[SW_SCAN_COL__COUNT];
	const struct sw_str *field;
	uint32_t nfields;
	uint64_t line; /* physical line where the row starts */
	uint64_t n;    /* 1-based number of the row among the usable ones */
};

/* What a read found besides the rows it handed on. */
struct sw_report_read_stats {
	uint64_t rows;     /* rows handed to the callback */
	uint64_t bad_rows; /* rows that could not be used */
	uint64_t lines;    /* physical lines read */
	unsigned nbad;     /* descriptions kept in bad[] (at most SW_REPORT_BAD_KEEP) */
	char bad[SW_REPORT_BAD_KEEP][160];
};

struct sw_report_reader; /* opaque */

/* Called for each usable row; return 0 to go on, a negative code to stop the read with it. */
typedef int (*sw_report_row_fn)(void *ctx, const struct sw_report_row *row);

/*
 * Open path ("-" for standard input), detect compression and format and read the CSV header.
 * Returns 0 and *ret, or a negative code with a one-line message naming the file in err:
 * "scan.csv.gz: corrupt gzip data (line 1): incorrect header check", "x.csv: empty file".
 */
int sw_report_reader_open(const char *path, struct sw_report_reader **ret, char *err,
			  size_t errlen);

/* Read every row, calling fn for each usable one. Returns 0, fn's code, or an I/O, corrupt
 * gzip or limit error with "file: line N: problem" in err. Call once. */
int sw_report_reader_run(struct sw_report_reader *r, sw_report_row_fn fn, void *ctx, char *err,
			 size_t errlen);

/* The counters of the read so far. */
const struct sw_report_read_stats *sw_report_reader_stats(const struct sw_report_reader *r);

enum sw_report_format sw_report_reader_format(const struct sw_report_reader *r);
const char *sw_report_reader_path(const struct sw_report_reader *r);

/* The header: number of columns and the name of column i (for JSON Lines the 30 names). */
uint32_t sw_report_reader_ncols(const struct sw_report_reader *r);
struct sw_str sw_report_reader_colname(const struct sw_report_reader *r, uint32_t i);

/* Whether the input has the report column col (by name in the CSV header; always for JSONL). */
int sw_report_reader_has(const struct sw_report_reader *r, enum sw_scan_col col);

/*
 * Check that the input has every column in need[0..n); otherwise 0 is not returned and err says
 * "scan.csv: line 1: no 'amplification' column (needed by summary)".
 */
int sw_report_reader_need(const struct sw_report_reader *r, const enum sw_scan_col *need,
			  unsigned n, const char *what, char *err, size_t errlen);

void sw_report_reader_free(struct sw_report_reader *r);

#endif
