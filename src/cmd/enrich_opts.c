/*
 * The enrichment options of scan and report enrich (see enrich_opts.h).
 *
 * The resolver is checked here, at option time, although sw_enrich_new() checks it again: a typo
 * then fails before any input is opened or any probe is sent, in both commands alike.
 */
#include "cmd/enrich_opts.h"

#include "core/err.h"
#include "out/rdns.h"

/* The help text in SW_CMD_ENRICH_OPTS spells the limit out. */
_Static_assert(SW_ENRICH_MAX_CONCURRENCY == 4096, "update --rdns-concurrency's help text");

#define RDNS_TIMEOUT_MAX_MS 600000

static int parse_uint(const char *name, const char *v, unsigned long long max, unsigned *ret,
		      char *err, size_t errlen)
{
	unsigned long long n;

	if (sw_parse_uint(v, 1, max, &n) != 0) {
		sw_errf(err, errlen, "--%s '%s': expected a whole number from 1 to %llu", name, v,
			max);
		return SW_E_INVAL;
	}
	*ret = (unsigned)n;
	return 0;
}

int sw_cmd_enrich_opt(int which, const char *value, struct sw_enrich_opts *o, char *err,
		      size_t errlen)
{
	struct sw_endpoint ep;

	switch (which) {
	case SW_CMD_EOPT_RDNS:
		o->rdns = 1;
		return 0;
	case SW_CMD_EOPT_RESOLVER:
		if (sw_rdns_server_opt(value, &ep, err, errlen) != 0)
			return SW_E_INVAL;
		o->resolver = value;
		o->rdns = 1;
		return 0;
	case SW_CMD_EOPT_RDNS_CONCURRENCY:
		return parse_uint("rdns-concurrency", value, SW_ENRICH_MAX_CONCURRENCY,
				  &o->rdns_concurrency, err, errlen);
	case SW_CMD_EOPT_RDNS_TIMEOUT:
		return parse_uint("rdns-timeout", value, RDNS_TIMEOUT_MAX_MS, &o->rdns_timeout_ms,
				  err, errlen);
	case SW_CMD_EOPT_ASN_DB:
		o->asn_db = value;
		return 0;
	case SW_CMD_EOPT_CITY_DB:
		o->city_db = value;
		return 0;
	case SW_CMD_EOPT_SECTOR_MAP:
		o->sector_map = value;
		return 0;
	}
	sw_errf(err, errlen, "unknown enrichment option %d", which);
	return SW_E_INVAL;
}

bool sw_cmd_enrich_wanted(const struct sw_enrich_opts *o)
{
	return o->rdns || o->asn_db || o->city_db || o->sector_map;
}
