#include "report/stats.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

const uint64_t sw_amp_hist_lo[SW_AMP_HIST_BINS] = {0,    100,   200,   500,   1000,  2000,
						   5000, 10000, 20000, 50000, 100000};

int sw_amp_init(struct sw_amp *a)
{
	memset(a, 0, sizeof(*a));
	a->count = calloc(SW_AMP_DIRECT + 1, sizeof(*a->count));
	return a->count ? 0 : SW_E_NOMEM;
}

void sw_amp_free(struct sw_amp *a)
{
	if (!a)
		return;
	free(a->count);
	free(a->over);
	memset(a, 0, sizeof(*a));
}

int sw_amp_add(struct sw_amp *a, uint64_t centi)
{
	a->n++;
	a->sum += centi;
	if (centi > a->max)
		a->max = centi;
	if (centi <= SW_AMP_DIRECT) {
		a->count[centi]++;
		return 0;
	}
	if (a->nover == a->capover) {
		uint32_t cap = a->capover ? a->capover * 2 : 1024;
		if (cap > SW_AMP_OVERFLOW_MAX)
			cap = SW_AMP_OVERFLOW_MAX;
		uint64_t *n = cap > a->capover ? realloc(a->over, cap * sizeof(*n)) : NULL;
		if (!n) {
			a->lost++;
			return SW_E_NOMEM;
		}
		a->over = n;
		a->capover = cap;
	}
	a->over[a->nover++] = centi;
	a->sorted = 0;
	return 0;
}

int sw_amp_merge(struct sw_amp *a, const struct sw_amp *b)
{
	int rc = 0;
	for (uint32_t i = 0; i <= SW_AMP_DIRECT; i++)
		a->count[i] += b->count[i];
	for (uint32_t i = 0; i < b->nover; i++) {
		if (sw_amp_add(a, b->over[i]) != 0)
			rc = SW_E_NOMEM;
		a->n--, a->sum -= b->over[i]; /* counted below with the rest of b */
	}
	a->n += b->n;
	a->sum += b->sum;
	a->lost += b->lost;
	if (b->max > a->max)
		a->max = b->max;
	return rc;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

void sw_amp_finish(struct sw_amp *a)
{
	if (!a->sorted && a->nover)
		qsort(a->over, a->nover, sizeof(*a->over), cmp_u64);
	a->sorted = 1;
}

uint64_t sw_amp_rank(const struct sw_amp *a, uint64_t k)
{
	uint64_t direct = a->n - a->lost - a->nover;
	if (k >= direct)
		return k - direct < a->nover ? a->over[k - direct] : a->max;
	/* Walk the counters; quantiles need few ranks, so a linear walk is enough. */
	for (uint32_t v = 0; v <= SW_AMP_DIRECT; v++) {
		if (k < a->count[v])
			return v;
		k -= a->count[v];
	}
	return a->max;
}

double sw_amp_quantile(const struct sw_amp *a, double p)
{
	uint64_t n = a->n - a->lost;
	if (n == 0)
		return 0;
	if (p <= 0)
		return (double)sw_amp_rank(a, 0);
	if (p >= 1)
		return (double)sw_amp_rank(a, n - 1);
	double h = p * (double)(n - 1);
	uint64_t k = (uint64_t)h;
	double f = h - (double)k;
	uint64_t lo = sw_amp_rank(a, k);
	uint64_t hi = k + 1 < n && f > 0 ? sw_amp_rank(a, k + 1) : lo;
	return (double)lo + f * (double)(hi - lo);
}

void sw_amp_hist(const struct sw_amp *a, uint64_t bins[SW_AMP_HIST_BINS])
{
	memset(bins, 0, SW_AMP_HIST_BINS * sizeof(bins[0]));
	unsigned b = 0;
	for (uint32_t v = 0; v <= SW_AMP_DIRECT; v++) {
		while (b + 1 < SW_AMP_HIST_BINS && v >= sw_amp_hist_lo[b + 1])
			b++;
		bins[b] += a->count[v];
	}
	bins[SW_AMP_HIST_BINS - 1] += a->nover + a->lost;
}

int sw_parse_u64(struct sw_str s, uint64_t *ret)
{
	if (!s.p || s.len == 0)
		return SW_E_SYNTAX;
	if (s.len > 19)
		return SW_E_RANGE;
	uint64_t v = 0;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned)(unsigned char)s.p[i] - '0';
		if (d > 9)
			return SW_E_SYNTAX;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int sw_parse_centi(struct sw_str s, uint64_t *ret)
{
	if (!s.p || s.len == 0)
		return SW_E_SYNTAX;
	uint32_t i = 0;
	uint64_t v = 0;
	unsigned nint = 0;
	for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++, nint++) {
		if (nint >= 15)
			return SW_E_RANGE;
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	unsigned frac[3] = {0, 0, 0}, nfrac = 0;
	if (i < s.len && s.p[i] == '.') {
		i++;
		for (; i < s.len && s.p[i] >= '0' && s.p[i] <= '9'; i++, nfrac++)
			if (nfrac < 3)
				frac[nfrac] = (unsigned)(s.p[i] - '0');
		if (nfrac == 0)
			return SW_E_SYNTAX;
	}
	if (i != s.len || (nint == 0 && nfrac == 0))
		return SW_E_SYNTAX;
	v = v * 100 + frac[0] * 10 + frac[1] + (frac[2] >= 5);
	*ret = v;
	return 0;
}
