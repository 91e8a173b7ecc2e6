/*
 * The enrichment options that `scan` and `report enrich` share: --rdns, --resolver,
 * --rdns-concurrency, --rdns-timeout, --asn-db, --city-db, --sector-map. One set of table
 * entries and one parser, so both commands accept, check and describe them alike; the values go
 * straight into out/enrich.h's struct sw_enrich_opts, which both hand to sw_enrich_new().
 */
#ifndef SW_CMD_ENRICH_OPTS_H
#define SW_CMD_ENRICH_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/opt.h"
#include "out/enrich.h"

/*
 * The options, in table order. A command gives them the keys BASE + these: one run of seven
 * consecutive values in its own key enum, so its callback can pass key - BASE here.
 */
enum sw_cmd_enrich_opt {
	SW_CMD_EOPT_RDNS,
	SW_CMD_EOPT_RESOLVER,
	SW_CMD_EOPT_RDNS_CONCURRENCY,
	SW_CMD_EOPT_RDNS_TIMEOUT,
	SW_CMD_EOPT_ASN_DB,
	SW_CMD_EOPT_CITY_DB,
	SW_CMD_EOPT_SECTOR_MAP,
	SW_CMD_EOPT__COUNT,
};

/*
 * The seven struct sw_opt entries, for a command's option table. PREFIX is a string literal put
 * before each help line ("" for scan, "enrich: " for report, whose table serves several
 * subcommands); keys are BASE + SW_CMD_EOPT_x. The ranges in the help match what
 * sw_cmd_enrich_opt() accepts (enrich_opts.c checks 4096 against SW_ENRICH_MAX_CONCURRENCY).
 */
// clang-format off
#define SW_CMD_ENRICH_OPTS(PREFIX, BASE) \
	{"rdns", 0, NULL, PREFIX "fill hostname with reverse DNS (PTR) names (default off)", \
	 (BASE) + SW_CMD_EOPT_RDNS}, \
	{"resolver", 0, "ADDR[:PORT]", \
	 PREFIX "ask this DNS server for PTR names (implies --rdns; default: /etc/resolv.conf)", \
	 (BASE) + SW_CMD_EOPT_RESOLVER}, \
	{"rdns-concurrency", 0, "N", PREFIX "PTR queries in flight at once, 1-4096 (default 256)", \
	 (BASE) + SW_CMD_EOPT_RDNS_CONCURRENCY}, \
	{"rdns-timeout", 0, "MS", \
	 PREFIX "give up on a PTR query after MS milliseconds, 1-600000 (default 2000)", \
	 (BASE) + SW_CMD_EOPT_RDNS_TIMEOUT}, \
	{"asn-db", 0, "FILE", PREFIX "MaxMind DB of AS numbers (GeoLite2-ASN, DB-IP ASN) for asn", \
	 (BASE) + SW_CMD_EOPT_ASN_DB}, \
	{"city-db", 0, "FILE", \
	 PREFIX "MaxMind DB of locations (GeoLite2/GeoIP2 City or Country, DB-IP) for geo, " \
		"region, city", \
	 (BASE) + SW_CMD_EOPT_CITY_DB}, \
	{"sector-map", 0, "FILE", \
	 PREFIX "ASN or prefix to NAICS code and sector (conf/sector-map.example)", \
	 (BASE) + SW_CMD_EOPT_SECTOR_MAP}
// clang-format on

/*
 * Take one enrichment option (which: SW_CMD_EOPT_x; value NULL for --rdns) into *o. Paths and the
 * resolver are kept as pointers to value, which must outlive *o; --resolver also turns on rdns.
 * Returns 0, or SW_E_INVAL with a message in err naming option and value:
 * "--resolver 'dns.example': expected ADDR, ADDR:PORT or [IPV6ADDR]:PORT (an IP address, not a
 * name)", "--rdns-concurrency '0': expected a whole number from 1 to 4096".
 */
int sw_cmd_enrich_opt(int which, const char *value, struct sw_enrich_opts *o, char *err,
		      size_t errlen);

/* Whether the options ask for any enrichment at all (a PTR lookup or a source file). */
bool sw_cmd_enrich_wanted(const struct sw_enrich_opts *o);

#endif
