/*
 * Enrichment: the eight scan_sip columns the wire cannot tell - hostname, hostname_source, asn,
 * geo, region, city, naics, sector - for one IP address, from four independent sources:
 *
 *   source            option(s)                      columns
 *   SW_ENRICH_PTR     rdns, resolver                 hostname, hostname_source ("ptr")
 *   SW_ENRICH_ASN     asn_db (GeoLite2-ASN, DB-IP)   asn (decimal, no "AS": "64512")
 *   SW_ENRICH_GEO     city_db (GeoLite2/GeoIP2       geo (ISO 3166-1 alpha-2, "ZZ"), region
 *                     City or Country, DB-IP)        (first subdivision), city - English names
 *                                                    as the database spells them
 *   SW_ENRICH_SECTOR  sector_map (conf/sector-map.   naics ("0" when no entry matches), sector
 *                     example)                       (empty when none)
 *
 * The mmdb and mapping-file lookups are synchronous and cheap (a few microseconds). The PTR
 * lookup is asynchronous (out/rdns.h, c-ares): at most rdns_concurrency queries are in flight,
 * later ones wait in a FIFO queue inside the handle (no allocation, no cap: the queue is linked
 * through the callers' result structs), each ends after rdns_timeout_ms at the latest, and a
 * failed or timed-out lookup just leaves hostname and hostname_source empty. A lookup is never
 * lost: every sw_enrich_start() is completed exactly once.
 *
 * Three ways to use it, all on one thread (the handle is not thread-safe):
 *
 *  1. One address, blocking: sw_enrich_lookup(e, &addr, &res). Simple; slow with PTR on (one
 *     round trip per call).
 *
 *  2. Blocking batches (files, `report enrich`): keep a window of rows in input order, call
 *     sw_enrich_start(e, &addr, &res[i], NULL, NULL) for each (as many as you like; those over
 *     the concurrency wait their turn), then sw_enrich_run(e, -1) - or, to stream, call
 *     sw_enrich_run(e, 100) until res[oldest].complete, write the oldest rows that are complete,
 *     refill the window, and at the end sw_enrich_run(e, -1). A window of a few times
 *     rdns_concurrency keeps the resolver busy.
 *
 *  3. Inside an event loop (the scan): sw_enrich_start() with a done callback; add
 *     sw_enrich_pollfds() to your poll set, bound the poll timeout with sw_enrich_timeout_ms(),
 *     and after poll call sw_enrich_process() with the same fds (revents filled). done runs from
 *     sw_enrich_process() (or from sw_enrich_start() itself when there is nothing to wait for:
 *     PTR off, or the address cannot be looked up) - never from another thread.
 *
 * Errors and warnings. sw_enrich_new() fails (SW_E_IO, SW_E_SYNTAX, SW_E_INVAL) with one line in
 * err naming the file and the problem for: a database that exists but is not a MaxMind DB
 * ("/x/asn.mmdb: not a MaxMind DB file (...)"), a database of the wrong kind (an ASN database
 * given as city_db), a mapping file that cannot be read or has a bad line
 * ("map.txt:12: 'AS12x' is not an ASN or prefix"), a bad resolver address. A database path that
 * does not exist is not an error: its columns stay empty and opts.warn is called once, with one
 * line naming every missing file. The library prints nothing itself.
 *
 * Strings are copied into struct sw_enrich_result (NUL-terminated, cut at a UTF-8 character
 * boundary when longer than the field), so a result owns its storage and may be copied by
 * value once complete. Database text is passed through as UTF-8; control characters are
 * replaced by spaces.
 */
#ifndef SW_OUT_ENRICH_H
#define SW_OUT_ENRICH_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strview.h"
#include "net/addr.h"
#include "out/scan_csv.h"

/* Sources, as bits (sw_enrich_sources(), sw_enrich_col_source()). */
enum {
	SW_ENRICH_PTR = 1u << 0,
	SW_ENRICH_ASN = 1u << 1,
	SW_ENRICH_GEO = 1u << 2,
	SW_ENRICH_SECTOR = 1u << 3,
};

#define SW_ENRICH_DEFAULT_CONCURRENCY 256
#define SW_ENRICH_MAX_CONCURRENCY 4096
#define SW_ENRICH_DEFAULT_TIMEOUT_MS 2000

struct sw_enrich_opts {
	int rdns;                  /* nonzero: look up PTR names */
	const char *resolver;      /* "ADDR", "ADDR:PORT", "[V6ADDR]:PORT"; NULL: the system's
				      resolvers (/etc/resolv.conf). Only used with rdns. */
	unsigned rdns_concurrency; /* PTR queries in flight, 1..SW_ENRICH_MAX_CONCURRENCY; 0 =
				      SW_ENRICH_DEFAULT_CONCURRENCY */
	unsigned rdns_timeout_ms;  /* per query, 1..600000; 0 = SW_ENRICH_DEFAULT_TIMEOUT_MS */
	const char *asn_db;        /* path or NULL */
	const char *city_db;       /* path or NULL */
	const char *sector_map;    /* path or NULL */
	/* Non-fatal problems (absent databases), one line each, no newline; may be NULL. */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct sw_enrich;
struct sw_enrich_result;

/* Called once per sw_enrich_start() when the result is complete (res->complete is set). */
typedef void (*sw_enrich_done_fn)(void *ctx, struct sw_enrich_result *res);

/*
 * One address's enrichment. The caller owns it; between sw_enrich_start() and completion it
 * must not move or be freed (the handle links it into its queue). Empty string = unknown.
 */
struct sw_enrich_result {
	char hostname[256];      /* PTR name without the trailing dot */
	char hostname_source[8]; /* "ptr" when hostname came from reverse DNS, else "" */
	char asn[12];            /* "64512" */
	char geo[8];             /* "DE" */
	char region[128];        /* "Bavaria" */
	char city[128];          /* "Munich" */
	char naics[8];           /* "517311"; "0" when the sector map has no entry */
	char sector[128];        /* "Telecommunications" */
	int complete;            /* set just before done is called */

	/* Private to enrich.c. */
	struct {
		struct sw_enrich *owner;
		struct sw_enrich_result *next;
		sw_enrich_done_fn done;
		void *ctx;
		struct sw_endpoint addr;
	} priv_;
};

/*
 * Open the sources the options name (see the errors above). Returns 0 and *ret_e, or a
 * negative code with one line in err.
 */
int sw_enrich_new(const struct sw_enrich_opts *opts, struct sw_enrich **ret_e, char *err,
		  size_t errlen);

/*
 * Free the handle. Lookups still pending are completed first (done is called, with whatever
 * they have - no hostname), so no caller waits forever. NULL is fine.
 */
void sw_enrich_free(struct sw_enrich *e);

/* The sources that are actually in use (SW_ENRICH_* bits): a missing database is not. */
unsigned sw_enrich_sources(const struct sw_enrich *e);

/*
 * The source that fills column col (SW_ENRICH_* bit), or 0 for a column enrichment does not
 * touch. With sw_enrich_sources(), `report enrich` can keep an input's value for a column
 * whose source is not in use instead of blanking it.
 */
unsigned sw_enrich_col_source(enum sw_scan_col col);

/*
 * Start enriching addr (family AF_INET or AF_INET6; port ignored) into *res. Everything but the
 * PTR name is filled before this returns; done(ctx, res) is called when the PTR answer (or its
 * timeout) is in, possibly before this returns. done may be NULL (poll res->complete).
 * Returns 0, or SW_E_INVAL for an address without a family (res is then complete, all empty,
 * and done has been called).
 */
int sw_enrich_start(struct sw_enrich *e, const struct sw_endpoint *addr,
		    struct sw_enrich_result *res, sw_enrich_done_fn done, void *ctx);

/*
 * Complete every pending lookup now, without waiting for PTR answers (answers already received
 * are used; the others leave hostname empty): for a second Ctrl-C, or an error path that must
 * not wait. done runs for each before this returns. Later lookups work as usual.
 */
void sw_enrich_cancel(struct sw_enrich *e);

/* Lookups started and not complete yet (in flight or queued). */
size_t sw_enrich_pending(const struct sw_enrich *e);

/*
 * Event-loop use. sw_enrich_pollfds() writes the resolver's sockets (at most cap; the handle
 * uses few - one per resolver server, more for TCP fallback) with the events it waits for and
 * returns how many. sw_enrich_timeout_ms() returns max_ms, or less when a query's timeout
 * or a resolver retransmission comes sooner (0: call sw_enrich_process() now; max_ms < 0:
 * "no limit", and -1 comes back when nothing is pending). sw_enrich_process() reads what is
 * ready in fds (n entries with revents as poll() left them; fds may be NULL with n 0 to only
 * handle timeouts), completes what it can and starts queued lookups.
 */
size_t sw_enrich_pollfds(struct sw_enrich *e, struct pollfd *fds, size_t cap);
int sw_enrich_timeout_ms(struct sw_enrich *e, int max_ms);
void sw_enrich_process(struct sw_enrich *e, const struct pollfd *fds, size_t n);

/*
 * Blocking use: poll and process until nothing is pending, or at most timeout_ms (< 0: no limit;
 * every lookup ends within its own timeout anyway). Returns the number still pending.
 */
size_t sw_enrich_run(struct sw_enrich *e, int timeout_ms);

/* One address, blocking: sw_enrich_start() then run until it is complete. Returns 0 or SW_E_INVAL. */
int sw_enrich_lookup(struct sw_enrich *e, const struct sw_endpoint *addr,
		     struct sw_enrich_result *ret);

/*
 * Column col of a complete result as a view into it: hostname, hostname_source, asn, geo,
 * region, city, naics, sector; SW_STR_NULL for an empty value or another column. naics is "0"
 * when the sector map is in use and has no entry for the address, SW_STR_NULL without a map.
 */
struct sw_str sw_enrich_col(const struct sw_enrich_result *res, enum sw_scan_col col);

/*
 * Parse an IP address as the report's "ip" column holds it ("192.0.2.1", "2001:db8::1", len
 * bytes, no NUL needed) into *ret (port 0). Returns 0 or SW_E_ADDR.
 */
int sw_enrich_parse_addr(const char *p, size_t len, struct sw_endpoint *ret);

#endif
