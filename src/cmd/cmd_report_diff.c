/* sipwarden report diff OLD NEW: new, gone and changed exposures (report/diff.h). */
#include <inttypes.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_report.h"
#include "core/err.h"
#include "report/diff.h"

static const enum sw_scan_col diff_need[] = {SW_SCAN_COL_IP};

/* Read one side into d. An exit status: 0, 1 (rows skipped, or the file broke off), 2. */
static int read_side(struct sw_diff *d, const char *path, sw_report_row_fn fn, int quiet)
{
	char err[512];
	struct sw_report_reader *r = NULL;
	if (sw_report_reader_open(path, &r, err, sizeof(err)) != 0 ||
	    sw_report_reader_need(r, diff_need, 1, "diff", err, sizeof(err)) != 0) {
		report_err("diff", "%s", err);
		sw_report_reader_free(r);
		return SW_EXIT_USAGE;
	}
	sw_diff_file(d, sw_report_reader_path(r));
	int status = SW_EXIT_OK;
	err[0] = '\0';
	int rc = sw_report_reader_run(r, fn, d, err, sizeof(err));
	if (rc == SW_E_IO && !err[0]) {
		report_err("diff", "write error");
		status = SW_EXIT_USAGE;
	} else if (rc == SW_E_NOMEM) {
		report_err("diff", "%s", sw_diff_stats(d)->first_problem);
		status = SW_EXIT_USAGE;
	} else if (rc) {
		report_err("diff", "%s", err);
		status = SW_EXIT_PROBLEMS;
	}
	if (sw_report_reader_stats(r)->bad_rows) {
		report_note_bad("diff", r, quiet);
		if (!status)
			status = SW_EXIT_PROBLEMS;
	}
	sw_report_reader_free(r);
	return status;
}

int report_run_diff(struct report_args *a, int nfiles, char **files)
{
	(void)nfiles;
	const struct sw_diff_writer *w = strcmp(a->format, "csv") == 0  ? &sw_diff_csv_writer :
					 strcmp(a->format, "json") == 0 ? &sw_diff_json_writer :
									  &sw_diff_text_writer;
	FILE *out = report_open_out("diff", a->output, "w");
	if (!out)
		return SW_EXIT_USAGE;
	struct sw_diff *d = NULL;
	int status = SW_EXIT_USAGE;
	if (sw_diff_new(a->amp_change, w, out, &d) != 0) {
		report_err("diff", "out of memory");
		goto out;
	}
	if (w->begin && w->begin(out) != 0)
		goto out;
	status = read_side(d, files[0], sw_diff_old_row, a->quiet);
	if (status == SW_EXIT_USAGE)
		goto out;
	int s2 = read_side(d, files[1], sw_diff_new_row, a->quiet);
	if (s2 > status)
		status = s2;
	if (status == SW_EXIT_USAGE)
		goto out;
	if (sw_diff_finish(d) != 0)
		status = SW_EXIT_USAGE;
	const struct sw_diff_stats *st = sw_diff_stats(d);
	uint64_t skipped = st->dup_old + st->dup_new + st->badkey_old + st->badkey_new;
	if (skipped) {
		if (!a->quiet)
			report_err(
				"diff",
				"%" PRIu64 " rows skipped: %" PRIu64 " + %" PRIu64
				" repeated keys (old + new; the first row of a key wins), %" PRIu64
				" + %" PRIu64 " without a usable ip or port; first: %s",
				skipped, st->dup_old, st->dup_new, st->badkey_old, st->badkey_new,
				st->first_problem[0] ? st->first_problem : "a repeated key");
		if (st->badkey_old + st->badkey_new && status == SW_EXIT_OK)
			status = SW_EXIT_PROBLEMS;
	}
	if (!a->quiet && w != &sw_diff_text_writer)
		fprintf(stderr,
			"sipwarden report diff: %" PRIu64 " new, %" PRIu64 " gone, %" PRIu64
			" changed, %" PRIu64 " unchanged\n",
			st->added, st->gone, st->changed, st->unchanged);
out:
	sw_diff_free(d);
	int cs = report_close_out("diff", a->output, out);
	return cs ? cs : status;
}
