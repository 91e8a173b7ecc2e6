/*
 * The summary of one or more scan_sip files: what `report summary` prints and `report chart`
 * draws.
 *
 * One pass, constant memory per row: responders (rows), distinct addresses (report/addrset.h),
 * the amplification distribution (report/stats.h: exact mean, median, p90, p99, max and a log
 * histogram), total response bytes, status codes, and value counts (report/counter.h) of
 * User-Agent, Server, the product (Server when present, else User-Agent), ASN and country. The
 * product lists are folded by report/normalise.h when the summary is finished; each folded entry
 * keeps its raw values.
 *
 * Values that are present but unusable (an amplification that is not a number, an ip that is not
 * an address) are counted per column with the first place they occur, never dropped silently.
 */
#ifndef SW_REPORT_SUMMARY_H
#define SW_REPORT_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "report/counter.h"
#include "report/reader.h"
#include "report/stats.h"

#define SW_SUMMARY_FILES_MAX 256
#define SW_SUMMARY_KEYS_MAX (1u << 20) /* distinct values per counted column */

enum sw_summary_list {
	SW_LIST_PRODUCT = 0, /* Server, else User-Agent; folded */
	SW_LIST_USER_AGENT,  /* folded */
	SW_LIST_SERVER,      /* folded */
	SW_LIST_ASN,
	SW_LIST_GEO,
	SW_LIST__COUNT
};

/* A value problem: how many rows, and where the first was. */
struct sw_summary_problem {
	uint64_t n;
	char first[200];
};

struct sw_summary; /* opaque */

int sw_summary_new(struct sw_summary **ret);
void sw_summary_free(struct sw_summary *s);

/* The columns summary needs (ip, amplification), for sw_report_reader_need. */
extern const enum sw_scan_col sw_summary_need[2];

/* Start a file (its rows follow through sw_summary_row) / end it with the reader's counters. */
int sw_summary_file_begin(struct sw_summary *s, const struct sw_report_reader *r);
void sw_summary_file_end(struct sw_summary *s, const struct sw_report_reader *r);

/* The row callback (a sw_report_row_fn with the summary as ctx). */
int sw_summary_row(void *summary, const struct sw_report_row *row);

/* Fold the product lists and sort; call once after the last file. */
int sw_summary_finish(struct sw_summary *s);

/* Output: text for people, JSON (one object) for programs; top entries per list. */
int sw_summary_text(struct sw_summary *s, FILE *f, unsigned top, int raw);
int sw_summary_json(struct sw_summary *s, FILE *f, unsigned top);

/* For the chart. */
const struct sw_amp *sw_summary_amp(const struct sw_summary *s);
uint64_t sw_summary_rows(const struct sw_summary *s);
uint64_t sw_summary_unique(const struct sw_summary *s);
/* Total response bytes; 0 and *ret_have 0 when no input had a response_size column. */
uint64_t sw_summary_response_bytes(const struct sw_summary *s, int *ret_have);
uint64_t sw_summary_bad_rows(const struct sw_summary *s);
uint64_t sw_summary_value_problems(const struct sw_summary *s);
/* The sorted entries of a list (folded for products); the count of entries. */
size_t sw_summary_list(struct sw_summary *s, enum sw_summary_list which,
		       const struct sw_count **ret);

#endif
