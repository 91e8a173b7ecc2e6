/*
 * The shield's Prometheus endpoint, and the verdict-latency histogram it serves.
 *
 * Endpoint: an HTTP server (libmicrohttpd, one internal thread of its own) bound to exactly the
 * metrics-listen address, loopback by default. GET (or HEAD) /metrics answers 200 with the text
 * the daemon's fill callback writes (shield/prom.h), Content-Type
 * "text/plain; version=0.0.4; charset=utf-8"; other paths 404; other methods 405 with
 * "Allow: GET, HEAD"; a fill error 500. At most 16 connections at once, each dropped after 10 s
 * idle, so a stuck scraper cannot pile up sockets.
 *
 * Threads: fill runs on the metrics thread, one call at a time, while the daemon works on: it
 * must read the daemon's counters safely (atomics, or copies the workers publish).
 *
 * Histogram: one struct sw_lat_hist per worker thread, which alone calls sw_lat_observe() (two
 * relaxed atomic additions, no lock, no allocation). A scrape adds every worker's histogram into
 * one snapshot (sw_lat_snap_add) and prints it (sw_prom_lat_hist). _count is the sum of the
 * buckets in that snapshot, so the "+Inf" bucket always equals _count, and the cumulative bucket
 * counts never decrease, even while workers keep observing; _sum is read separately and may
 * include an observation or two more than _count.
 */
#ifndef SW_SHIELD_METRICS_H
#define SW_SHIELD_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "shield/prom.h"

/*
 * Upper bounds of the latency buckets, nanoseconds: 5, 10, 25, 50, 100, 250, 500 us, 1, 2.5,
 * 5, 10, 25, 50, 100 ms; one more bucket holds everything slower.
 */
#define SW_LAT_NBOUNDS 14
extern const uint64_t sw_lat_bounds_ns[SW_LAT_NBOUNDS];

/* Per-worker histogram; zero it (or sw_lat_hist_init) before use. */
struct sw_lat_hist {
	_Atomic uint64_t bucket[SW_LAT_NBOUNDS + 1]; /* per bucket, not cumulative */
	_Atomic uint64_t sum_ns;
};

/* A plain copy for printing: the sum of one or more histograms. */
struct sw_lat_snap {
	uint64_t bucket[SW_LAT_NBOUNDS + 1];
	uint64_t sum_ns;
};

void sw_lat_hist_init(struct sw_lat_hist *h);

/* Record one verdict's latency. Any thread; meant for the histogram's own worker. */
void sw_lat_observe(struct sw_lat_hist *h, uint64_t ns);

/* Add h into s (merge several workers' histograms by adding each). s starts zeroed. */
void sw_lat_snap_add(struct sw_lat_snap *s, const struct sw_lat_hist *h);

/*
 * Print s as the samples of a Prometheus histogram in seconds: name_bucket{labels,le="..."}
 * (cumulative, ending with le="+Inf"), name_sum, name_count. labels as for sw_prom_sample (NULL
 * or "" for none). Write the family line (SW_PROM_HISTOGRAM) first. Returns the sticky error.
 */
int sw_prom_lat_hist(struct sw_prom *p, const char *name, const char *labels,
		     const struct sw_lat_snap *s);

/* Writes the page for one scrape; returns 0, or a negative code (the scrape gets a 500). */
typedef int (*sw_metrics_fill_fn)(void *arg, struct sw_prom *out);

struct sw_metrics; /* opaque */

/*
 * Parse metrics-listen: "127.0.0.1:9560" or "[::1]:9560" (port 0 = any free port). Returns 0,
 * or SW_E_ADDR with a message quoting the text.
 */
int sw_metrics_parse_listen(const char *text, struct sw_endpoint *ret, char *err, size_t errlen);

/*
 * Bind listen (as sw_metrics_parse_listen reads it) and start serving. Returns 0; SW_E_ADDR for
 * a bad address; SW_E_IO when it cannot bind or start ("metrics-listen 127.0.0.1:9560: address
 * in use"); SW_E_NOMEM.
 */
int sw_metrics_start(const char *listen, sw_metrics_fill_fn fill, void *arg,
		     struct sw_metrics **ret, char *err, size_t errlen);

/* The port bound (the one the kernel chose for port 0). */
uint16_t sw_metrics_port(const struct sw_metrics *m);

/* Stop the thread, close the socket, free. NULL is fine. */
void sw_metrics_stop(struct sw_metrics *m);

#endif
