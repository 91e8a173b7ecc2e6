/*
 * The scan_sip report: Shadowserver's "Accessible SIP Report" columns, and its CSV writer.
 *
 * struct sw_scan_row holds one report row as text, one view per column, in the report's order
 * (../shared/DESIGN.md section 5 and the seed's field list). The scanner fills it from a scan
 * record (scan/record.h, sw_scan_record_fields()); the writers here and in out/scan_jsonl.h only
 * format it, so the CSV and the JSON Lines output can never disagree about a value. An absent
 * view is an unknown value: an empty CSV field, a JSON null.
 *
 * CSV, byte for byte as in the seed's sample: a header line with every name in double quotes,
 * then one line per row, each field quoted only when it holds a space, comma, double quote, CR
 * or LF (out/csv.h), lines ending in LF. Values from the wire are written with SW_CSV_ONE_LINE |
 * SW_CSV_UTF8: control characters become a space and bytes that are not UTF-8 their Latin-1
 * character, so every row is one line of valid UTF-8 with exactly 30 fields.
 */
#ifndef SW_OUT_SCAN_CSV_H
#define SW_OUT_SCAN_CSV_H

#include <stdint.h>
#include <stdio.h>

#include "core/strview.h"
#include "net/addr.h"

/* Value kinds for JSON Lines: text, a non-negative integer, a number with two decimals. */
enum sw_scan_kind { SW_SCAN_KIND_STR = 0, SW_SCAN_KIND_INT, SW_SCAN_KIND_FIXED2 };

/* X(ID, "name", kind): the 30 columns in the report's order. */
// clang-format off
#define SW_SCAN_COLUMNS(X)                                        \
	X(TIMESTAMP,       "timestamp",       SW_SCAN_KIND_STR)    \
	X(SEVERITY,        "severity",        SW_SCAN_KIND_STR)    \
	X(IP,              "ip",              SW_SCAN_KIND_STR)    \
	X(PROTOCOL,        "protocol",        SW_SCAN_KIND_STR)    \
	X(PORT,            "port",            SW_SCAN_KIND_INT)    \
	X(HOSTNAME,        "hostname",        SW_SCAN_KIND_STR)    \
	X(TAG,             "tag",             SW_SCAN_KIND_STR)    \
	X(ASN,             "asn",             SW_SCAN_KIND_STR)    \
	X(GEO,             "geo",             SW_SCAN_KIND_STR)    \
	X(REGION,          "region",          SW_SCAN_KIND_STR)    \
	X(CITY,            "city",            SW_SCAN_KIND_STR)    \
	X(SIP,             "sip",             SW_SCAN_KIND_STR)    \
	X(SIP_CODE,        "sip_code",        SW_SCAN_KIND_INT)    \
	X(SIP_REASON,      "sip_reason",      SW_SCAN_KIND_STR)    \
	X(USER_AGENT,      "user_agent",      SW_SCAN_KIND_STR)    \
	X(SIP_VIA,         "sip_via",         SW_SCAN_KIND_STR)    \
	X(SIP_TO,          "sip_to",          SW_SCAN_KIND_STR)    \
	X(SIP_FROM,        "sip_from",        SW_SCAN_KIND_STR)    \
	X(CONTENT_LENGTH,  "content_length",  SW_SCAN_KIND_INT)    \
	X(CONTENT_TYPE,    "content_type",    SW_SCAN_KIND_STR)    \
	X(SERVER,          "server",          SW_SCAN_KIND_STR)    \
	X(CONTACT,         "contact",         SW_SCAN_KIND_STR)    \
	X(CSEQ,            "cseq",            SW_SCAN_KIND_STR)    \
	X(CALL_ID,         "call_id",         SW_SCAN_KIND_STR)    \
	X(ALLOW,           "allow",           SW_SCAN_KIND_STR)    \
	X(AMPLIFICATION,   "amplification",   SW_SCAN_KIND_FIXED2) \
	X(RESPONSE_SIZE,   "response_size",   SW_SCAN_KIND_INT)    \
	X(HOSTNAME_SOURCE, "hostname_source", SW_SCAN_KIND_STR)    \
	X(NAICS,           "naics",           SW_SCAN_KIND_INT)    \
	X(SECTOR,          "sector",          SW_SCAN_KIND_STR)
// clang-format on

enum sw_scan_col {
#define SW_SCAN_COL_ENUM(id, name, kind) SW_SCAN_COL_##id,
	SW_SCAN_COLUMNS(SW_SCAN_COL_ENUM)
#undef SW_SCAN_COL_ENUM
		SW_SCAN_COL__COUNT
};

/* Room for header values the row has to build (joined repeats, unfolded lines); see record.h. */
#define SW_SCAN_ROW_TEXT 8192

/*
 * One row. col[] views point into the scan record's first reply packet, into the record's
 * enrichment strings, into static strings, or into this struct's own buffers below: a filled
 * row is valid while the record is, and must not be copied by value (its views would still
 * point into the original).
 */
struct sw_scan_row {
	struct sw_str col[SW_SCAN_COL__COUNT];

	/* What the CSV cannot hold, for JSON Lines. */
	struct sw_str probe;   /* probe name ("bare", "options", a file name) */
	uint32_t probe_size;   /* probe payload bytes */
	uint32_t packets;      /* reply packets counted (may exceed nsizes) */
	uint32_t nsizes;       /* entries in sizes */
	const uint32_t *sizes; /* payload bytes of the first nsizes reply packets, in order */

	/* Storage behind the formatted columns. */
	char timestamp[20]; /* "YYYY-MM-DD HH:MM:SS" */
	char ip[SW_ADDR_STRLEN];
	char port[6];
	char sip_code[4];
	char content_length[11];
	char amplification[24];
	char response_size[21];
	uint32_t text_used;
	char text[SW_SCAN_ROW_TEXT];
};

/* The column's name as in the report ("sip_code"); "" for an id out of range. */
const char *sw_scan_col_name(enum sw_scan_col col);

/* The column's JSON kind (enum sw_scan_kind). */
enum sw_scan_kind sw_scan_col_kind(enum sw_scan_col col);

/* Write the header line: the 30 names, each in double quotes. Returns 0 or SW_E_IO. */
int sw_scan_csv_header(FILE *f);

/* Write one row as a CSV line. Returns 0 or SW_E_IO. */
int sw_scan_csv_row(FILE *f, const struct sw_scan_row *row);

/*
 * An output format as a table, so the scan command picks one by name: begin() writes what goes
 * before the first row (NULL: nothing), row() one row. Both return 0 or SW_E_IO.
 */
struct sw_scan_writer {
	const char *name;
	int (*begin)(FILE *f);
	int (*row)(FILE *f, const struct sw_scan_row *row);
};

extern const struct sw_scan_writer sw_scan_csv_writer;

#endif
