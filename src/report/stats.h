/*
 * Exact amplification statistics in constant memory.
 *
 * The report prints amplification with two decimals, so a value is a whole number of hundredths
 * ("centi"). Instead of keeping every value (80 MB for 10 million doubles) the distribution is
 * kept as a count per centi value: one 64-bit counter for each of 0.00 ... 1000.00 (800 KB),
 * and a list of the rare values above that (grown up to a hard cap; a value beyond it is still
 * in count, sum and max but no longer in the quantiles, and the result says so). From the counts
 * the mean (sum of centis / n), the median and any quantile come out exactly, not estimated.
 *
 * Quantiles interpolate linearly between the two nearest ranks (the "type 7" rule of R and
 * numpy's default, Miller's stats1 -i): q(p) = x[k] + f * (x[k+1] - x[k]) with h = p * (n - 1),
 * k = floor(h), f = h - k, x sorted from x[0]; the median is q(0.5), the mean of the two middle
 * values when n is even.
 */
#ifndef SW_REPORT_STATS_H
#define SW_REPORT_STATS_H

#include <stdint.h>

#include "core/strview.h"

#define SW_AMP_DIRECT 100000u           /* centi values counted one by one: 0.00 .. 1000.00 */
#define SW_AMP_OVERFLOW_MAX (16u << 20) /* values above 1000.00 kept for the quantiles */
#define SW_AMP_HIST_BINS 11

struct sw_amp {
	uint64_t *count; /* [SW_AMP_DIRECT + 1] */
	uint64_t *over;  /* values above SW_AMP_DIRECT, unsorted until sw_amp_finish */
	uint32_t nover, capover;
	uint64_t n, sum, max, lost; /* lost: values over the cap, not in the quantiles */
	int sorted;
};

/* Lower bounds (centi) of the histogram's bins, on a 1-2-5 log scale: 0, 1, 2, 5, 10 ... 1000. */
extern const uint64_t sw_amp_hist_lo[SW_AMP_HIST_BINS];

int sw_amp_init(struct sw_amp *a);
void sw_amp_free(struct sw_amp *a);

/* Count one value. Returns 0 or SW_E_NOMEM (the value is then counted but not in quantiles). */
int sw_amp_add(struct sw_amp *a, uint64_t centi);

/* Merge b into a (b stays valid). */
int sw_amp_merge(struct sw_amp *a, const struct sw_amp *b);

/* Sort what needs sorting; call before quantiles (adding afterwards is allowed). */
void sw_amp_finish(struct sw_amp *a);

/* The value at 0-based rank k of the sorted values (k < n - lost). */
uint64_t sw_amp_rank(const struct sw_amp *a, uint64_t k);

/* Quantile p in [0, 1] in hundredths (a double: interpolation can fall between centis). */
double sw_amp_quantile(const struct sw_amp *a, double p);

/* Counts per histogram bin (bins[i]: values in [sw_amp_hist_lo[i], sw_amp_hist_lo[i+1])). */
void sw_amp_hist(const struct sw_amp *a, uint64_t bins[SW_AMP_HIST_BINS]);

/*
 * Parse a non-negative decimal ("3.57", "12", "12.1", "0.005") into hundredths, rounding half up
 * beyond two decimals. Returns 0, or SW_E_SYNTAX (not a number, a sign, an exponent) or
 * SW_E_RANGE (above 10^15).
 */
int sw_parse_centi(struct sw_str s, uint64_t *ret);

/* Parse a non-negative integer of at most 19 digits. 0 or SW_E_SYNTAX / SW_E_RANGE. */
int sw_parse_u64(struct sw_str s, uint64_t *ret);

#endif
