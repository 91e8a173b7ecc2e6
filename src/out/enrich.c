/*
 * The enrichment facade (contract in enrich.h): opens the sources the options name, fills the
 * synchronous columns at once, and runs the PTR lookups through out/rdns.c with a FIFO queue
 * in front of its fixed slots. The queue is linked through the callers' results, so it needs
 * no memory of its own and has no cap: the scan's responder table already bounds how many rows
 * can wait, and a file reader bounds its own window.
 */
#include "out/enrich.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/err.h"
#include "out/geoip.h"
#include "out/rdns.h"
#include "out/sector.h"

struct sw_enrich {
	struct sw_rdns *rdns;
	struct sw_geoip *asn_db, *city_db;
	struct sw_sector *map;
	unsigned sources;
	struct sw_enrich_result *qhead, *qtail; /* waiting for a resolver slot */
	size_t pending;                         /* started, not complete */
	int closing;
};

/* Room for the names of the missing databases in the one warning. */
#define WARN_MAX 1024

static void complete(struct sw_enrich *e, struct sw_enrich_result *res)
{
	res->complete = 1;
	e->pending--;
	sw_enrich_done_fn done = res->priv_.done;
	void *ctx = res->priv_.ctx;
	res->priv_.done = NULL;
	res->priv_.next = NULL;
	if (done)
		done(ctx, res);
}

static void on_ptr(void *ctx, enum sw_rdns_status st, const char *name)
{
	struct sw_enrich_result *res = ctx;
	/* c-ares hands out only valid host names; the copy still keeps control bytes out. */
	if (st == SW_RDNS_OK && name[0] &&
	    sw_geoip_copy_text(res->hostname, sizeof(res->hostname), name, strlen(name)) > 0)
		memcpy(res->hostname_source, "ptr", 4);
	complete(res->priv_.owner, res);
}

/* Start queued lookups while the resolver has free slots. */
static void pump(struct sw_enrich *e)
{
	while (e->qhead && sw_rdns_free_slots(e->rdns) > 0) {
		struct sw_enrich_result *res = e->qhead;
		e->qhead = res->priv_.next;
		if (!e->qhead)
			e->qtail = NULL;
		res->priv_.next = NULL;
		if (sw_rdns_query(e->rdns, &res->priv_.addr, on_ptr, res) != 0)
			complete(e, res);
	}
}

/* Whether path names nothing (a missing database is a warning, not an error). */
static int missing(const char *path)
{
	struct stat sb;
	return stat(path, &sb) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

static void add_missing(char *buf, size_t cap, const char *path, const char *what)
{
	size_t n = strlen(buf);
	snprintf(buf + n, cap - n, "%s%s (%s)", n ? ", " : "", path, what);
}

int sw_enrich_new(const struct sw_enrich_opts *opts, struct sw_enrich **ret_e, char *err,
		  size_t errlen)
{
	unsigned conc = opts->rdns_concurrency ? opts->rdns_concurrency :
						 SW_ENRICH_DEFAULT_CONCURRENCY;
	unsigned tmo = opts->rdns_timeout_ms ? opts->rdns_timeout_ms : SW_ENRICH_DEFAULT_TIMEOUT_MS;
	if (conc > SW_ENRICH_MAX_CONCURRENCY || tmo > 600000) {
		sw_errf(err, errlen, "reverse DNS: concurrency above %d or timeout above 600 s",
			SW_ENRICH_MAX_CONCURRENCY);
		return SW_E_INVAL;
	}
	struct sw_enrich *e = calloc(1, sizeof(*e));
	if (!e) {
		sw_errf(err, errlen, "enrichment: out of memory");
		return SW_E_NOMEM;
	}
	char warn[WARN_MAX] = "";
	int rc = 0;
	if (opts->asn_db) {
		if (missing(opts->asn_db))
			add_missing(warn, sizeof(warn), opts->asn_db, "asn");
		else if ((rc = sw_geoip_open(opts->asn_db, SW_GEOIP_ASN, &e->asn_db, err,
					     errlen)) != 0)
			goto fail;
		else
			e->sources |= SW_ENRICH_ASN;
	}
	if (opts->city_db) {
		if (missing(opts->city_db))
			add_missing(warn, sizeof(warn), opts->city_db, "geo, region, city");
		else if ((rc = sw_geoip_open(opts->city_db, SW_GEOIP_CITY, &e->city_db, err,
					     errlen)) != 0)
			goto fail;
		else
			e->sources |= SW_ENRICH_GEO;
	}
	if (opts->sector_map) {
		if ((rc = sw_sector_load(opts->sector_map, &e->map, err, errlen)) != 0)
			goto fail;
		e->sources |= SW_ENRICH_SECTOR;
	}
	if (opts->rdns) {
		struct sw_rdns_opts ro = {opts->resolver, conc, tmo};
		if ((rc = sw_rdns_new(&ro, &e->rdns, err, errlen)) != 0)
			goto fail;
		e->sources |= SW_ENRICH_PTR;
	}
	if (warn[0] && opts->warn) {
		char line[WARN_MAX + 96];
		snprintf(line, sizeof(line), "database not found, its columns stay empty: %s",
			 warn);
		opts->warn(opts->warn_ctx, line);
	}
	*ret_e = e;
	return 0;
fail:
	sw_enrich_free(e);
	return rc;
}

void sw_enrich_free(struct sw_enrich *e)
{
	if (!e)
		return;
	e->closing = 1;
	/* In-flight lookups complete (no name) as the resolver stops; then the queued ones. */
	sw_rdns_free(e->rdns);
	e->rdns = NULL;
	while (e->qhead) {
		struct sw_enrich_result *res = e->qhead;
		e->qhead = res->priv_.next;
		complete(e, res);
	}
	sw_geoip_close(e->asn_db);
	sw_geoip_close(e->city_db);
	sw_sector_free(e->map);
	free(e);
}

unsigned sw_enrich_sources(const struct sw_enrich *e)
{
	return e->sources;
}

unsigned sw_enrich_col_source(enum sw_scan_col col)
{
	switch (col) {
	case SW_SCAN_COL_HOSTNAME:
	case SW_SCAN_COL_HOSTNAME_SOURCE:
		return SW_ENRICH_PTR;
	case SW_SCAN_COL_ASN:
		return SW_ENRICH_ASN;
	case SW_SCAN_COL_GEO:
	case SW_SCAN_COL_REGION:
	case SW_SCAN_COL_CITY:
		return SW_ENRICH_GEO;
	case SW_SCAN_COL_NAICS:
	case SW_SCAN_COL_SECTOR:
		return SW_ENRICH_SECTOR;
	default:
		return 0;
	}
}

/* The synchronous columns: ASN, location, sector. */
static void fill_now(struct sw_enrich *e, const struct sw_endpoint *addr,
		     struct sw_enrich_result *res)
{
	uint32_t asn = 0;
	bool has_asn = false;
	if (e->asn_db && sw_geoip_asn(e->asn_db, addr, &asn) == 0) {
		has_asn = true;
		snprintf(res->asn, sizeof(res->asn), "%u", asn);
	}
	if (e->city_db) {
		struct sw_geoip_loc loc;
		if (sw_geoip_city(e->city_db, addr, &loc) == 0) {
			memcpy(res->geo, loc.geo, sizeof(res->geo));
			memcpy(res->region, loc.region, sizeof(res->region));
			memcpy(res->city, loc.city, sizeof(res->city));
		}
	}
	if (e->map) {
		const char *naics, *sector;
		if (sw_sector_lookup(e->map, addr, has_asn, asn, &naics, &sector) == 0) {
			snprintf(res->naics, sizeof(res->naics), "%s", naics);
			sw_geoip_copy_text(res->sector, sizeof(res->sector), sector,
					   strlen(sector));
		} else {
			memcpy(res->naics, "0", 2);
		}
	}
}

int sw_enrich_start(struct sw_enrich *e, const struct sw_endpoint *addr,
		    struct sw_enrich_result *res, sw_enrich_done_fn done, void *ctx)
{
	memset(res, 0, sizeof(*res));
	res->priv_.owner = e;
	res->priv_.done = done;
	res->priv_.ctx = ctx;
	e->pending++;
	if (addr->family != AF_INET && addr->family != AF_INET6) {
		complete(e, res);
		return SW_E_INVAL;
	}
	res->priv_.addr = *addr;
	res->priv_.addr.port = 0;
	fill_now(e, addr, res);
	if (!e->rdns || e->closing) {
		complete(e, res);
		return 0;
	}
	if (e->qtail)
		e->qtail->priv_.next = res;
	else
		e->qhead = res;
	e->qtail = res;
	pump(e);
	return 0;
}

void sw_enrich_cancel(struct sw_enrich *e)
{
	/* Queued lookups first, so that the resolver's completions cannot start them. */
	struct sw_enrich_result *q = e->qhead;
	e->qhead = e->qtail = NULL;
	while (q) {
		struct sw_enrich_result *next = q->priv_.next;
		complete(e, q);
		q = next;
	}
	if (e->rdns)
		sw_rdns_cancel(e->rdns);
}

size_t sw_enrich_pending(const struct sw_enrich *e)
{
	return e->pending;
}

size_t sw_enrich_pollfds(struct sw_enrich *e, struct pollfd *fds, size_t cap)
{
	return e->rdns ? sw_rdns_pollfds(e->rdns, fds, cap) : 0;
}

int sw_enrich_timeout_ms(struct sw_enrich *e, int max_ms)
{
	if (!e->rdns)
		return max_ms;
	if (e->qhead && sw_rdns_free_slots(e->rdns) > 0)
		return 0;
	return sw_rdns_timeout_ms(e->rdns, max_ms);
}

void sw_enrich_process(struct sw_enrich *e, const struct pollfd *fds, size_t n)
{
	if (!e->rdns)
		return;
	pump(e);
	sw_rdns_process(e->rdns, fds, n);
	pump(e);
}

size_t sw_enrich_run(struct sw_enrich *e, int timeout_ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (e->pending) {
		int left = -1;
		if (timeout_ms >= 0) {
			struct timespec t;
			clock_gettime(CLOCK_MONOTONIC, &t);
			int64_t used = (int64_t)(t.tv_sec - t0.tv_sec) * 1000 +
				       (t.tv_nsec - t0.tv_nsec) / 1000000;
			if (used >= timeout_ms)
				break;
			left = (int)(timeout_ms - used);
		}
		struct pollfd fds[16];
		size_t n = sw_enrich_pollfds(e, fds, 16);
		int wait = sw_enrich_timeout_ms(e, left);
		if (wait < 0 && n == 0)
			wait = 100; /* nothing to wait on should not happen; never sleep forever */
		if (wait == 0 || poll(fds, (nfds_t)n, wait) <= 0)
			for (size_t i = 0; i < n; i++)
				fds[i].revents = 0;
		sw_enrich_process(e, fds, n);
	}
	return e->pending;
}

int sw_enrich_lookup(struct sw_enrich *e, const struct sw_endpoint *addr,
		     struct sw_enrich_result *ret)
{
	int rc = sw_enrich_start(e, addr, ret, NULL, NULL);
	while (!ret->complete)
		sw_enrich_run(e, 100);
	return rc;
}

struct sw_str sw_enrich_col(const struct sw_enrich_result *res, enum sw_scan_col col)
{
	const char *v;
	switch (col) {
	case SW_SCAN_COL_HOSTNAME:
		v = res->hostname;
		break;
	case SW_SCAN_COL_HOSTNAME_SOURCE:
		v = res->hostname_source;
		break;
	case SW_SCAN_COL_ASN:
		v = res->asn;
		break;
	case SW_SCAN_COL_GEO:
		v = res->geo;
		break;
	case SW_SCAN_COL_REGION:
		v = res->region;
		break;
	case SW_SCAN_COL_CITY:
		v = res->city;
		break;
	case SW_SCAN_COL_NAICS:
		v = res->naics;
		break;
	case SW_SCAN_COL_SECTOR:
		v = res->sector;
		break;
	default:
		return SW_STR_NULL;
	}
	return v[0] ? sw_str_make(v, strlen(v)) : SW_STR_NULL;
}

int sw_enrich_parse_addr(const char *p, size_t len, struct sw_endpoint *ret)
{
	char buf[SW_ADDR_STRLEN];
	uint8_t a[16];
	if (len == 0 || len >= sizeof(buf))
		return SW_E_ADDR;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		sw_endpoint_set_v4(ret, a, 0);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, a) == 1) {
		sw_endpoint_set_v6(ret, a, 0);
		return 0;
	}
	return SW_E_ADDR;
}
