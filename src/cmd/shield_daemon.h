/*
 * The shield daemon's runtime, shared by its parts in src/cmd/:
 *   cmd_shield.c    the command line: options, `shield status|list|block|unblock` (clients of
 *                   the control socket), --cleanup
 *   shield_daemon.c start-up and shut-down order, the workers, reload, the main loop
 *   shield_ops.c    what operators see of a running daemon: control requests, metrics, the
 *                   denied set saved and restored across restarts
 *
 * Threads. One worker per queue, each with its own engine (engines share nothing), guarded by
 * the worker's mutex: the worker holds it while it judges a batch, the main thread (reloads,
 * control requests, the state file) and the metrics thread take it between batches. The lock
 * is uncontended almost always: one lock and unlock per batch of up to 256 packets.
 */
#ifndef SW_CMD_SHIELD_DAEMON_H
#define SW_CMD_SHIELD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "shield/config.h"
#include "shield/engine.h"
#include "shield/fwrules.h"

struct sw_nfq;
struct sw_mlog;
struct sw_denyset;
struct sw_control;
struct sw_metrics;
struct sw_lat_hist;

#define SHIELD_MAX_WORKERS 64
#define SHIELD_DEFAULT_QUEUE 50600

struct shield_opts {
	const char *config, *log, *socket;
	unsigned long long for_secs; /* block --for */
	unsigned workers, batch;
	unsigned queue;
	bool fail_closed, no_rules, cleanup, use_syslog, help;
};

struct shield;

struct worker {
	pthread_t th;
	unsigned idx;
	uint16_t queue;
	struct sw_nfq *q;
	struct sw_engine *e;
	struct shield *sh;
	pthread_mutex_t mu;      /* held while the engine is in use */
	struct sw_lat_hist *lat; /* verdict latency, written by the worker only */
	/* counts under mu */
	uint64_t judged, passed, log_errors, kernel_denies, kernel_deny_fails;
	bool started;
};

struct shield {
	struct shield_opts o;
	struct sw_shield_config *cfg; /* in force (main thread only; each engine has a copy) */
	atomic_bool stop;
	atomic_int fatal; /* a worker's queue failed: the main thread stops */
	struct worker *w;
	unsigned nw;
	struct sw_mlog *mlog;
	pthread_mutex_t mlog_mu;
	int64_t clock_offset_ms; /* engine clock = monotonic + offset (wall-clock dates) */
	enum sw_fw_backend backend;
	bool rules_installed;
	struct sw_denyset *deny;    /* the kernel deny set, or NULL (deny-backend off) */
	struct sw_control *ctl;     /* the control socket, or NULL */
	struct sw_metrics *metrics; /* the metrics endpoint, or NULL */
	uint64_t started_wall_ms;
	unsigned reloads, reload_failures;
};

/* Run the daemon until a signal or a fatal queue error: the exit status. */
int shield_daemon_run(struct shield *sh);

/* The engine clock now (ms). */
uint64_t shield_now_ms(const struct shield *sh);

/* The config the options name (--config, else the built-in one; --log applied), malloc'd; NULL
 * after printing why it could not be read. */
struct sw_shield_config *shield_config_read(const struct shield_opts *o);

/* Remove the rules (and kernel deny set) a crashed shield left: `shield --cleanup`. */
int shield_cleanup(const struct sw_shield_config *cfg);
/* The kernel deny set's part of --cleanup (shield_ops.c): 0, or -1 after saying why. */
int shield_services_cleanup(const struct sw_shield_config *cfg);

/*
 * shield_ops.c: the services around the workers, in the order shield_daemon_run calls them.
 * setup (as root, one thread): restore the saved denials into the engines, open the control
 * socket. start (privileges dropped, before the workers): the kernel deny set (with the
 * restored denials), the metrics endpoint. stop (workers joined): save the denied set, remove
 * the kernel deny set, stop the metrics. close: whatever is still open (any exit path).
 * setup and start return 0 or -1 after printing why.
 */
int shield_services_setup(struct shield *sh);
int shield_services_start(struct shield *sh);
void shield_services_stop(struct shield *sh);
void shield_services_close(struct shield *sh);
/* The control socket for the main loop's poll (-1: none), and serving one request. */
int shield_ctl_fd(const struct shield *sh);
void shield_ctl_serve(struct shield *sh);
/* A verdict that denied its source: deny it in the kernel too (worker thread, under its lock). */
void shield_kernel_deny(struct worker *w, const struct sw_verdict *v, uint64_t now_ms);

#endif
