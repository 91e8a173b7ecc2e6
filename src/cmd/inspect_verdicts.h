/*
 * `sipwarden inspect` verdict report: runs the shield engine over captures, with the capture's
 * timestamps as the clock, and reports what the shield would have done, per source and in total.
 * cmd_inspect.c parses the options and calls this; the per-message parse view stays there.
 */
#ifndef SW_CMD_INSPECT_VERDICTS_H
#define SW_CMD_INSPECT_VERDICTS_H

#include <stdint.h>

#include "net/addr.h"

struct sw_inspect_verdict_opts {
	const char *config;   /* --config FILE, NULL = built-in defaults */
	const char *log;      /* --log FILE: matched-message log, NULL = none */
	const char *log_pcap; /* --log-pcap FILE: dropped packets, NULL = none */
	uint16_t sip_ports[16];
	unsigned nports;           /* --sip-port overrides the config's ports when > 0 */
	struct sw_endpoint server; /* --server ADDR: direction by address (family 0 = unset) */
	int json, quiet;
};

/* Exit status as cmd.h defines them; errors are printed. */
int sw_inspect_verdicts(const struct sw_inspect_verdict_opts *o, char **files, int nfiles);

#endif
