/*
 * One scan_sip file per network owner: rows split by ASN, by country, or by the owner of the
 * longest matching prefix in a mapping file - the way Shadowserver sends each owner its rows.
 *
 * Output: DIR/<group>.csv, each with the header of the first input (every name in double
 * quotes) and the rows in input order, fields written as RFC 4180 with values unchanged
 * (out/csv.h without flags: embedded newlines stay, quoted). Rows from later inputs are mapped
 * onto the first input's columns by name (a column they lack is written empty). Group names:
 *   --by asn         AS<number>.csv ("unknown.csv" for an empty asn)
 *   --by geo         <country>.csv ("unknown.csv" for an empty geo)
 *   --by prefix=MAP  <name>.csv, name from the mapping line (default: the prefix, '/' as '_');
 *                    rows in no prefix go to "unmatched.csv"
 * Bytes other than [A-Za-z0-9._-] in a name become '_', so a value from a file can never name
 * a path outside DIR. At most SW_SPLIT_OPEN files are open at once (least recently used ones
 * are closed and reopened for appending), at most SW_SPLIT_GROUPS groups.
 *
 * Mapping file: one "PREFIX [NAME]" per line (IPv4/IPv6 prefixes, single addresses or a-b
 * ranges), '#' comments; prefixes may nest (the longest match wins) but must not overlap
 * partially or repeat. Errors name the file and line.
 */
#ifndef SW_REPORT_SPLIT_H
#define SW_REPORT_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "report/reader.h"

#define SW_SPLIT_OPEN 64
#define SW_SPLIT_GROUPS (1u << 20)
#define SW_SPLIT_MAP_MAX (4u << 20)

enum sw_split_by { SW_SPLIT_ASN = 0, SW_SPLIT_GEO, SW_SPLIT_PREFIX };

struct sw_split_stats {
	uint64_t rows, groups, unmatched, badip;
};

struct sw_split; /* opaque */

/*
 * Prepare a split into dir (created when missing); for SW_SPLIT_PREFIX load map_path.
 * Returns 0 or a code with one line in err.
 */
int sw_split_new(enum sw_split_by by, const char *map_path, const char *dir, struct sw_split **ret,
		 char *err, size_t errlen);
void sw_split_free(struct sw_split *s);

/* The column the split needs (asn, geo or ip). */
enum sw_scan_col sw_split_need(const struct sw_split *s);

/* Begin an input: its header (the first one becomes the output header). 0 or SW_E_NOMEM. */
int sw_split_input(struct sw_split *s, const struct sw_report_reader *r);

/* The row callback; SW_E_IO (message via sw_split_error) when an output cannot be written. */
int sw_split_row(void *split, const struct sw_report_row *row);

/* Close every output. 0 or SW_E_IO with err. */
int sw_split_finish(struct sw_split *s, char *err, size_t errlen);

/* The last output error ("DIR/AS1.csv: No space left on device"), or "". */
const char *sw_split_error(const struct sw_split *s);

const struct sw_split_stats *sw_split_stats(const struct sw_split *s);

#endif
