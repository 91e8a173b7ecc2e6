/*
 * The scan engine: probes every (target, port) of the space once per pass, in a seeded
 * permutation (one shard of it), paced, from one bound UDP socket per address family, while
 * receiving replies on the same sockets; replies from probed targets (and, for the options probe,
 * carrying a valid token) are counted per responder and written as rows once their wait window
 * has passed. Retries re-probe only targets that have not answered.
 *
 * The engine prints nothing: progress and rows go through callbacks the command supplies.
 */
#ifndef SW_SCAN_SCAN_H
#define SW_SCAN_SCAN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "net/addr.h"
#include "out/enrich.h"
#include "out/scan_csv.h"
#include "scan/probe.h"
#include "scan/targets.h"

struct sw_scan_stats {
	uint64_t space; /* targets x ports in this shard's order (before retries) */
	uint64_t targets, excluded;
	uint64_t sent, send_errors;
	uint64_t replies;            /* datagrams received */
	uint64_t replies_bad;        /* from addresses not probed, or with a wrong token */
	uint64_t responders;         /* distinct (target, port) that answered */
	uint64_t sip_responders;     /* of which the first reply was SIP */
	uint64_t rows;               /* rows written */
	uint64_t late;               /* packets after a responder's row was written */
	uint64_t nonsip_skipped;     /* non-SIP responders not written (no --include-nonsip) */
	uint64_t ptr_names;          /* rows written with a reverse DNS name */
	uint64_t amp_sum_centi;      /* sum of amplifications x 100 over SIP rows, for the mean */
	uint64_t amp_median_centi;   /* median amplification x 100 over SIP rows */
	uint32_t status_counts[700]; /* by SIP status code */
	uint64_t start_ns, end_ns;
	uint64_t send_end_ns; /* when the last probe went out */
	int packet_mode;      /* probes went out as raw frames */
	char send_note[320];  /* why auto mode chose the socket path, or the interface used */
	int interrupted;
};

enum sw_send_mode { SW_SEND_AUTO = 0, SW_SEND_SOCKET, SW_SEND_PACKET };

#define SW_SCAN_MAX_THREADS 8

struct sw_scan_config {
	struct sw_targets *targets; /* finished */
	struct sw_ports *ports;
	struct sw_probe *probe;
	uint64_t rate; /* probes per second */
	uint64_t seed;
	uint32_t shard, nshards; /* 1-based */
	uint32_t retries;
	uint32_t wait_ms;                    /* listen this long after a target's last probe */
	struct sw_endpoint source4, source6; /* bind address and port (family 0 = any) */
	int include_nonsip;                  /* write rows for non-SIP responders too */
	enum sw_send_mode send_mode;         /* auto: packet when it can be set up, else socket */
	const char *interface; /* send and receive only through this interface, or NULL */
	uint32_t send_threads; /* 0 = auto: one per core (up to 4) in packet mode, else 1 */
	uint32_t max_responders;
	FILE *out;
	const struct sw_scan_writer *writer;
	/*
	 * Fills the enrichment columns of every row (NULL: they stay empty). Driven from the
	 * receive loop on the main thread: a row whose PTR lookup is pending waits, outside the
	 * responder table, until the answer or its timeout, then is written; the send threads
	 * never wait for it. The caller opens and frees it; sw_scan_run() leaves nothing pending.
	 */
	struct sw_enrich *enrich;
	/* Set by a signal handler: 1 = stop sending and finish the wait, 2 = stop now. */
	volatile sig_atomic_t *stop;
	/* Called about once a second during the scan (may be NULL). */
	void (*progress)(void *ctx, const struct sw_scan_stats *st);
	void *progress_ctx;
};

/*
 * Run the scan. Returns 0 when it ran to the end or was interrupted (stats say which), or a
 * negative code with a message in err for a failure to set up (socket, bind) or to write.
 */
int sw_scan_run(const struct sw_scan_config *cfg, struct sw_scan_stats *st, char *err,
		size_t errlen);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sw_scan_now_ns(void);

#endif
