/* sipwarden report split --by asn|geo|prefix=FILE -o DIR FILE...: one CSV per owner. */
#include <inttypes.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_report.h"
#include "core/err.h"
#include "report/split.h"

int report_run_split(struct report_args *a, int nfiles, char **files)
{
	if (!a->by || !a->output || strcmp(a->output, "-") == 0) {
		report_err("split", "--by KEY and -o DIR are needed");
		return SW_EXIT_USAGE;
	}
	enum sw_split_by by = strcmp(a->by, "asn") == 0 ? SW_SPLIT_ASN :
			      strcmp(a->by, "geo") == 0 ? SW_SPLIT_GEO :
							  SW_SPLIT_PREFIX;
	char err[512];
	struct sw_split *s;
	if (sw_split_new(by, by == SW_SPLIT_PREFIX ? a->by + 7 : NULL, a->output, &s, err,
			 sizeof(err)) != 0) {
		report_err("split", "%s", err);
		return SW_EXIT_USAGE;
	}
	int status = SW_EXIT_OK;
	enum sw_scan_col need = sw_split_need(s);
	/* Every input is checked before anything is written. */
	for (int i = 0; i < nfiles; i++) {
		struct sw_report_reader *r = NULL;
		if (sw_report_reader_open(files[i], &r, err, sizeof(err)) != 0 ||
		    sw_report_reader_need(r, &need, 1, "split", err, sizeof(err)) != 0) {
			report_err("split", "%s", err);
			sw_report_reader_free(r);
			sw_split_free(s);
			return SW_EXIT_USAGE;
		}
		sw_report_reader_free(r);
	}
	for (int i = 0; i < nfiles && status != SW_EXIT_USAGE; i++) {
		struct sw_report_reader *r = NULL;
		if (sw_report_reader_open(files[i], &r, err, sizeof(err)) != 0) {
			report_err("split", "%s", err);
			status = SW_EXIT_USAGE;
			break;
		}
		if (sw_split_input(s, r) != 0) {
			report_err("split", "out of memory");
			status = SW_EXIT_USAGE;
		} else {
			err[0] = '\0';
			int rc = sw_report_reader_run(r, sw_split_row, s, err, sizeof(err));
			if (rc && sw_split_error(s)[0]) {
				report_err("split", "%s", sw_split_error(s));
				status = SW_EXIT_USAGE;
			} else if (rc) {
				report_err("split", "%s", err);
				status = SW_EXIT_PROBLEMS;
			}
			if (sw_report_reader_stats(r)->bad_rows) {
				report_note_bad("split", r, a->quiet);
				if (status == SW_EXIT_OK)
					status = SW_EXIT_PROBLEMS;
			}
		}
		sw_report_reader_free(r);
	}
	if (sw_split_finish(s, err, sizeof(err)) != 0) {
		report_err("split", "%s", err);
		status = SW_EXIT_USAGE;
	}
	const struct sw_split_stats *st = sw_split_stats(s);
	if (!a->quiet)
		fprintf(stderr,
			"sipwarden report split: %" PRIu64 " rows into %" PRIu64 " files in %s%s",
			st->rows, st->groups, a->output, by == SW_SPLIT_PREFIX ? "" : "\n");
	if (!a->quiet && by == SW_SPLIT_PREFIX)
		fprintf(stderr, " (%" PRIu64 " rows in no prefix: unmatched.csv)\n", st->unmatched);
	if (st->badip) {
		report_err("split",
			   "%" PRIu64 " rows have an ip that is not an address (in unmatched.csv)",
			   st->badip);
		if (status == SW_EXIT_OK)
			status = SW_EXIT_PROBLEMS;
	}
	sw_split_free(s);
	return status;
}
