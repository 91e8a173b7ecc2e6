/*
 * The scan_sip report as JSON Lines: one object per row of out/scan_csv.h, one line each.
 *
 * Keys are the 30 report column names in the report's order, then what the CSV cannot hold:
 * "probe" (name), "probe_size" (bytes), "packets" (reply packets counted) and "packet_sizes"
 * (the payload bytes of the first reply packets the record kept, in order; "packets" may be
 * larger). An unknown value is null. Numbers are JSON numbers: port, sip_code, content_length,
 * response_size and naics as integers, amplification with exactly two decimals as in the CSV
 * (3.57, 12.10); a value of a numeric column that is not a number (an operator's naics mapping
 * saying "n/a") is written as a string rather than dropped. Strings are escaped by out/json.h:
 * valid UTF-8 passes, control characters are escaped, other bytes become \u00XX.
 */
#ifndef SW_OUT_SCAN_JSONL_H
#define SW_OUT_SCAN_JSONL_H

#include <stdio.h>

#include "out/scan_csv.h"

/* Write one row as a JSON object and a newline. Returns 0 or SW_E_IO. */
int sw_scan_jsonl_row(FILE *f, const struct sw_scan_row *row);

extern const struct sw_scan_writer sw_scan_jsonl_writer;

#endif
