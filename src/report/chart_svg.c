#include "report/chart_svg.h"

#include <inttypes.h>
#include <string.h>

#include "core/err.h"

#define W 960
#define MARGIN 40
#define BAR_H 22
#define LABEL_MAX 60

/* Text for XML: & < > " escaped, control bytes dropped, cut at a character boundary. */
static void xml(FILE *f, const char *p, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if ((c & 0xc0) != 0x80 && ++chars > LABEL_MAX) {
			fputs("\xe2\x80\xa6", f); /* ellipsis */
			return;
		}
		if (c == '&')
			fputs("&amp;", f);
		else if (c == '<')
			fputs("&lt;", f);
		else if (c == '>')
			fputs("&gt;", f);
		else if (c == '"')
			fputs("&quot;", f);
		else if (c < 0x20 || c == 0x7f)
			fputc(' ', f);
		else
			fputc(c, f);
	}
}

static void xmls(FILE *f, const char *s)
{
	xml(f, s, strlen(s));
}

/* Where value v (hundredths) falls on the histogram's x axis, as a fraction of its width. */
static double amp_x(double v)
{
	unsigned b = 0;
	while (b + 1 < SW_AMP_HIST_BINS && v >= (double)sw_amp_hist_lo[b + 1])
		b++;
	double lo = (double)sw_amp_hist_lo[b], frac;
	if (b + 1 >= SW_AMP_HIST_BINS)
		frac = 0.5;
	else if (b == 0)
		frac = v / (double)sw_amp_hist_lo[1];
	else /* linear inside a bin: no libm for one marker */
		frac = (v - lo) / ((double)sw_amp_hist_lo[b + 1] - lo);
	return ((double)b + frac) / SW_AMP_HIST_BINS;
}

/* A panel of horizontal bars from a top list; returns its height. */
static int bars(FILE *f, struct sw_summary *s, enum sw_summary_list which, const char *id,
		const char *heading, const char *empty, const char *prefix, int x, int y, int w,
		unsigned top, const char *color)
{
	const struct sw_count *e;
	size_t n = sw_summary_list(s, which, &e);
	if (n > top)
		n = top;
	uint64_t max = n ? e[0].n : 0, rows = sw_summary_rows(s);
	fprintf(f, "<g id=\"%s\" transform=\"translate(%d,%d)\">\n", id, x, y);
	fprintf(f, "<text class=\"h\" x=\"0\" y=\"0\">");
	xmls(f, heading);
	fputs("</text>\n", f);
	int label_w = w * 45 / 100, bar_w = w - label_w - 70;
	for (size_t i = 0; i < n; i++) {
		int by = 14 + (int)i * BAR_H;
		double bw = max ? (double)bar_w * (double)e[i].n / (double)max : 0;
		fprintf(f, "<text class=\"l\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", label_w - 6,
			by + 15);
		if (e[i].key.len) {
			xmls(f, prefix);
			xml(f, e[i].key.p, e[i].key.len);
		} else {
			xmls(f, empty);
		}
		fprintf(f,
			"</text>\n<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			"fill=\"%s\"><title>",
			label_w, by + 3, bw < 1 ? 1 : bw, BAR_H - 6, color);
		if (e[i].key.len) {
			xmls(f, prefix);
			xml(f, e[i].key.p, e[i].key.len);
		} else {
			xmls(f, empty);
		}
		fprintf(f, ": %" PRIu64 "</title></rect>\n", e[i].n);
		fprintf(f, "<text class=\"v\" x=\"%.1f\" y=\"%d\">%" PRIu64 " (%.1f%%)</text>\n",
			label_w + (bw < 1 ? 1 : bw) + 5, by + 15, e[i].n,
			rows ? 100.0 * (double)e[i].n / (double)rows : 0.0);
	}
	if (!n)
		fputs("<text class=\"l\" x=\"0\" y=\"30\">no values</text>\n", f);
	fputs("</g>\n", f);
	return 14 + (int)(n ? n : 1) * BAR_H + 30;
}

int sw_chart_svg(FILE *f, struct sw_summary *s, const char *title, unsigned top)
{
	if (sw_summary_finish(s) != 0)
		return SW_E_NOMEM;
	const struct sw_amp *a = sw_summary_amp(s);
	uint64_t bins[SW_AMP_HIST_BINS], maxb = 0;
	sw_amp_hist(a, bins);
	for (unsigned i = 0; i < SW_AMP_HIST_BINS; i++)
		if (bins[i] > maxb)
			maxb = bins[i];
	const struct sw_count *e;
	size_t ngeo = sw_summary_list(s, SW_LIST_GEO, &e),
	       nasn = sw_summary_list(s, SW_LIST_ASN, &e);
	size_t nprod = sw_summary_list(s, SW_LIST_PRODUCT, &e);
	size_t side = ngeo > nasn ? ngeo : nasn;
	side = side > top ? top : side;
	nprod = nprod > top ? top : nprod;
	int hist_y = 140, hist_h = 220;
	int prod_y = hist_y + hist_h + 90;
	int side_y = prod_y + 14 + (int)(nprod ? nprod : 1) * BAR_H + 40;
	int height = side_y + 14 + (int)(side ? side : 1) * BAR_H + 40;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n"
		"<style>.t{font-size:20px;font-weight:bold}.h{font-size:15px;font-weight:bold}"
		".l{fill:#333}.v{fill:#555;font-size:12px}.s{fill:#444}.ax{stroke:#999}</style>\n"
		"<title>",
		W, height, W, height);
	xmls(f, title);
	fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n", f);

	/* Headline. */
	fprintf(f, "<g id=\"headline\">\n<text class=\"t\" x=\"%d\" y=\"34\">", MARGIN);
	xmls(f, title);
	fputs("</text>\n", f);
	int have_bytes;
	uint64_t bytes = sw_summary_response_bytes(s, &have_bytes);
	fprintf(f,
		"<text class=\"s\" x=\"%d\" y=\"60\">%" PRIu64 " responders, %" PRIu64
		" unique addresses",
		MARGIN, sw_summary_rows(s), sw_summary_unique(s));
	if (have_bytes)
		fprintf(f, ", %" PRIu64 " response bytes to one probe each (reflection potential)",
			bytes);
	fputs("</text>\n", f);
	if (a->n)
		fprintf(f,
			"<text class=\"s\" x=\"%d\" y=\"80\">amplification mean %.2f, median %.2f, "
			"p90 %.2f, p99 %.2f, max %.2f (%" PRIu64 " values)</text>\n",
			MARGIN, (double)a->sum / (double)a->n / 100, sw_amp_quantile(a, 0.5) / 100,
			sw_amp_quantile(a, 0.9) / 100, sw_amp_quantile(a, 0.99) / 100,
			(double)a->max / 100, a->n);
	if (sw_summary_bad_rows(s) || sw_summary_value_problems(s))
		fprintf(f,
			"<text class=\"s\" x=\"%d\" y=\"100\" fill=\"#a00\">%" PRIu64
			" row(s) could not be parsed, %" PRIu64
			" value(s) were unusable (see report summary)</text>\n",
			MARGIN, sw_summary_bad_rows(s), sw_summary_value_problems(s));
	fputs("</g>\n", f);

	/* Amplification histogram, bins of equal width on a 1-2-5 log scale. */
	int hx = MARGIN + 50, hw = W - hx - MARGIN;
	double bw = (double)hw / SW_AMP_HIST_BINS;
	fprintf(f,
		"<g id=\"amp-histogram\">\n<text class=\"h\" x=\"%d\" y=\"%d\">Amplification "
		"factor: responders per range (log scale)</text>\n",
		MARGIN, hist_y - 16);
	fprintf(f, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", hx,
		hist_y + hist_h, hx + hw, hist_y + hist_h);
	for (unsigned i = 0; i < SW_AMP_HIST_BINS; i++) {
		double h = maxb ? (double)(hist_h - 24) * (double)bins[i] / (double)maxb : 0;
		double x = hx + bw * i + 3;
		char range[40];
		if (i + 1 < SW_AMP_HIST_BINS)
			snprintf(range, sizeof(range), "%g\xe2\x80\x93%g",
				 (double)sw_amp_hist_lo[i] / 100,
				 (double)sw_amp_hist_lo[i + 1] / 100);
		else
			snprintf(range, sizeof(range), "\xe2\x89\xa5%g",
				 (double)sw_amp_hist_lo[i] / 100);
		fprintf(f,
			"<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"#c0392b\"><title>amplification %s: %" PRIu64 "</title></rect>\n",
			x, hist_y + hist_h - h, bw - 6, h, range, bins[i]);
		if (bins[i])
			fprintf(f,
				"<text class=\"v\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%" PRIu64
				"</text>\n",
				x + (bw - 6) / 2, hist_y + hist_h - h - 4, bins[i]);
		fprintf(f,
			"<text class=\"l\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			x + (bw - 6) / 2, hist_y + hist_h + 16, range);
	}
	if (a->n) {
		double mx = hx + hw * amp_x(sw_amp_quantile(a, 0.5));
		fprintf(f,
			"<g id=\"amp-median\"><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#2c3e50\" stroke-dasharray=\"5,4\"/><text class=\"v\" x=\"%.1f\" "
			"y=\"%d\" text-anchor=\"middle\">median %.2f</text></g>\n",
			mx, hist_y, mx, hist_y + hist_h, mx, hist_y + hist_h + 34,
			sw_amp_quantile(a, 0.5) / 100);
	}
	fprintf(f,
		"<text class=\"s\" x=\"%d\" y=\"%d\" text-anchor=\"end\">amplification = "
		"response bytes / probe bytes</text>\n</g>\n",
		hx + hw, hist_y + hist_h + 52);

	bars(f, s, SW_LIST_PRODUCT, "top-products",
	     "Top products (Server, else User-Agent; versions folded to *)", "(none sent)", "",
	     MARGIN, prod_y, W - 2 * MARGIN, top, "#2980b9");
	int half = (W - 2 * MARGIN - 40) / 2;
	bars(f, s, SW_LIST_GEO, "top-countries", "Top countries", "(unknown)", "", MARGIN, side_y,
	     half, top, "#27ae60");
	bars(f, s, SW_LIST_ASN, "top-asns", "Top ASNs", "(unknown)", "AS", MARGIN + half + 40,
	     side_y, half, top, "#8e44ad");
	fputs("</svg>\n", f);
	return ferror(f) ? SW_E_IO : 0;
}
