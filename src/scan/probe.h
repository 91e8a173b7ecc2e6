/*
 * Probe payloads.
 *
 *  - bare:    the 7 bytes "OPTIONS", as Shadowserver sends; amplification = reply bytes / 7.
 *  - options: a complete RFC 3261 OPTIONS request that names the scanner (User-Agent
 *             sipwarden/<version>, a Contact URI the operator sets) and carries a keyed token of
 *             the target in its Via branch, From tag and Call-ID, so replies are validated
 *             without per-target state. Its size varies a little with the target's address.
 *  - a file:  the file's bytes, up to 65507 (the largest UDP payload over IPv4).
 */
#ifndef SW_SCAN_PROBE_H
#define SW_SCAN_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "scan/token.h"

#define SW_PROBE_MAX 65507
#define SW_PROBE_OPTIONS_MAX 2048 /* a full OPTIONS request stays far below this */

enum sw_probe_kind { SW_PROBE_BARE, SW_PROBE_OPTIONS, SW_PROBE_FILE };

struct sw_probe {
	enum sw_probe_kind kind;
	const char *name; /* "bare", "options", or the file's path */
	uint8_t *data;    /* bare and file: the payload (owned) */
	uint32_t len;
	struct sw_token_key key; /* options: the per-scan token key */
	char contact[256];       /* options: Contact URI; empty = sip:sipwarden@<source> */
};

/*
 * Set up a probe from the --probe argument: "bare", "options" or a file path. contact may be
 * NULL. Returns 0, or a negative code with a message in err (unreadable, empty or oversized file).
 */
int sw_probe_init(struct sw_probe *p, const char *spec, const char *contact, char *err,
		  size_t errlen);
void sw_probe_free(struct sw_probe *p);

/*
 * The payload for target (address and port) sent from src: for bare and file probes the fixed
 * bytes, for options a request built into buf (cap bytes). Returns the length, or 0 when buf is
 * too small. *ret_data points at the payload.
 */
uint32_t sw_probe_payload(const struct sw_probe *p, const struct sw_endpoint *target,
			  const struct sw_endpoint *src, char *buf, size_t cap,
			  const uint8_t **ret_data);

#endif
