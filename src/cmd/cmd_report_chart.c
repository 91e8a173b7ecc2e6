/* sipwarden report chart: the summary of FILE... as one self-contained SVG (report/chart_svg.h). */
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_report.h"
#include "core/err.h"
#include "report/chart_svg.h"

int report_run_chart(struct report_args *a, int nfiles, char **files)
{
	struct sw_summary *s;
	int status = report_summarise("chart", a, nfiles, files, &s);
	if (status == SW_EXIT_USAGE)
		return status;
	char title[512];
	if (a->title) {
		snprintf(title, sizeof(title), "%s", a->title);
	} else {
		size_t n = (size_t)snprintf(title, sizeof(title), "SIP exposure: ");
		for (int i = 0; i < nfiles && n < sizeof(title); i++) {
			const char *base = strrchr(files[i], '/');
			n += (size_t)snprintf(title + n, sizeof(title) - n, "%s%s", i ? ", " : "",
					      base ? base + 1 : files[i]);
		}
	}
	FILE *out = report_open_out("chart", a->output, "w");
	if (!out) {
		sw_summary_free(s);
		return SW_EXIT_USAGE;
	}
	int rc = sw_chart_svg(out, s, title, a->top);
	if (rc == SW_E_NOMEM)
		report_err("chart", "out of memory");
	int cs = report_close_out("chart", a->output, out);
	if (!a->quiet && sw_summary_bad_rows(s))
		report_err("chart",
			   "%llu row(s) could not be parsed (sipwarden report summary lists them)",
			   (unsigned long long)sw_summary_bad_rows(s));
	sw_summary_free(s);
	return cs ? cs : rc ? SW_EXIT_USAGE : status;
}
