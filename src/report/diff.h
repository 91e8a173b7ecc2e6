/*
 * Two scans compared: what an owner wants the morning after the next scan.
 *
 * Rows are matched by (ip, port) - by ip alone when a file has no port column. The OLD scan is
 * indexed first (sw_diff_old_row as the reader's row callback), then the NEW scan streams past
 * it (sw_diff_new_row); each NEW row is
 *   new      when OLD has no row for its key;
 *   changed  when the User-Agent or Server value differs (product or version changed), the
 *            status code differs, or the amplification moved by more than amp_change_pct
 *            percent of the old value (|new - old| * 100 > pct * old);
 *   (nothing) otherwise: unchanged.
 * After NEW, every OLD key no NEW row matched is gone (sw_diff_finish), in OLD's order.
 *
 * Memory: one 44-byte entry per distinct key, in blocks of 65,536 that are never moved (10
 * million keys: 440 MB, plus 4 bytes per hash slot, at most half full: 134 MB), strings interned: User-Agent, Server, ASN and country
 * values are kept once each (report/counter.h), an entry holds their numbers. A key repeated
 * within a file is counted and skipped (the first row of a key wins); a row whose ip is not an
 * address is counted and skipped. At most SW_DIFF_KEYS_MAX keys.
 *
 * Output goes through a writer (text, csv, json), a table of functions like the scan writers.
 */
#ifndef SW_REPORT_DIFF_H
#define SW_REPORT_DIFF_H

#include <stdint.h>
#include <stdio.h>

#include "report/reader.h"

#define SW_DIFF_KEYS_MAX (64u << 20)

enum sw_diff_kind { SW_DIFF_NEW = 0, SW_DIFF_GONE, SW_DIFF_CHANGED };

/* What changed (bits of sw_diff_change.what). */
enum {
	SW_DIFF_UA = 1u << 0,
	SW_DIFF_SERVER = 1u << 1,
	SW_DIFF_CODE = 1u << 2,
	SW_DIFF_AMP = 1u << 3,
};

/* One side of a change; absent views for the side that does not exist. */
struct sw_diff_side {
	struct sw_str user_agent, server, sip_code, amplification;
};

struct sw_diff_change {
	enum sw_diff_kind kind;
	unsigned what;
	struct sw_str ip, port, asn, geo;
	struct sw_diff_side old, cur;
};

struct sw_diff_stats {
	uint64_t old_rows, new_rows, added, gone, changed, unchanged;
	uint64_t dup_old, dup_new;       /* repeated keys, skipped */
	uint64_t badkey_old, badkey_new; /* ip not an address, skipped */
	char first_problem[200];         /* where the first skipped row was */
};

struct sw_diff_writer {
	const char *name;
	int (*begin)(FILE *f);
	int (*change)(FILE *f, const struct sw_diff_change *c);
	int (*end)(FILE *f, const struct sw_diff_stats *st);
};

extern const struct sw_diff_writer sw_diff_text_writer, sw_diff_csv_writer, sw_diff_json_writer;

struct sw_diff; /* opaque */

int sw_diff_new(unsigned amp_change_pct, const struct sw_diff_writer *w, FILE *out,
		struct sw_diff **ret);
void sw_diff_free(struct sw_diff *d);

/* Name the file whose rows follow (for problem messages). */
void sw_diff_file(struct sw_diff *d, const char *path);

/* Row callbacks: index an OLD row / compare a NEW row (writing it when it changed). */
int sw_diff_old_row(void *diff, const struct sw_report_row *row);
int sw_diff_new_row(void *diff, const struct sw_report_row *row);

/* Write the gone keys and the writer's end. Returns 0 or SW_E_IO. */
int sw_diff_finish(struct sw_diff *d);

const struct sw_diff_stats *sw_diff_stats(const struct sw_diff *d);

#endif
