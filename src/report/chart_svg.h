/*
 * The summary as a picture: one self-contained SVG (no scripts, no external fonts, styles or
 * images), for a person to look at rather than read.
 *
 * Panels, top to bottom, each a <g> with an id a test (or a stylesheet) can find:
 *   id="headline"       responders, unique addresses, amplification mean/median/p90/max,
 *                       response bytes
 *   id="amp-histogram"  the amplification distribution over 1-2-5 log-scale bins, one
 *                       rect.bar per bin, and a dashed line at the median (id="amp-median")
 *   id="top-products"   horizontal bars: products (Server, else User-Agent; versions folded)
 *   id="top-countries"  horizontal bars: countries
 *   id="top-asns"       horizontal bars: ASNs
 * Every bar carries a <title> with its exact count (a tooltip in browsers). Text from the files
 * is escaped for XML and cut to 60 characters.
 */
#ifndef SW_REPORT_CHART_SVG_H
#define SW_REPORT_CHART_SVG_H

#include <stdio.h>

#include "report/summary.h"

/* Write the chart of a finished summary; top entries per list. Returns 0 or SW_E_IO/NOMEM. */
int sw_chart_svg(FILE *f, struct sw_summary *s, const char *title, unsigned top);

#endif
