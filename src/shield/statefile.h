/*
 * The state file: the shield's denied sources, saved when the daemon stops and restored when it
 * starts, so a restart forgets nobody (state-file).
 *
 * Format: UTF-8 text (ASCII in practice), one entry per line, readable and editable by people:
 *
 *   sipwarden-state 1
 *   # written 2026-01-01T00:00:00.000000Z, 2 entries; fields: prefix until until_ms reason realm
 *   192.0.2.7/32 2026-01-01T01:00:00.000000Z 1767229200000 fingerprint access
 *   2001:db8:0:42::/64 2026-01-04T00:00:00.123000Z 1767484800123 password-guessing -
 *
 * The first line is the magic word and the format version; a file that does not start with
 * "sipwarden-state " is not ours and is refused, as is a version newer than this code reads.
 * Lines starting with '#' and blank lines are comments. An entry has five fields separated by
 * single spaces: the prefix (ADDR/PLEN, as net/prefix.h reads it), the deny deadline as UTC
 * time (core/timefmt.h, for people) and as milliseconds since 1970 (for the program; both
 * must agree, so a hand edit of only one is caught), the reason (shield/vocab.h names), the
 * realm's name or "-". Realms go by name because the config's realm order may change between
 * runs; the daemon maps a name no longer configured to its default realm.
 *
 * Saving is atomic: a temporary file beside the target, fsync, rename, fsync of the directory;
 * readers see the old file or the new one, never a part. Loading is forgiving of content,
 * strict about identity: expired entries and malformed lines are skipped and counted (the first
 * malformed one named as "PATH:LINE: problem") because a damaged state file must not keep the
 * shield from starting; a missing file means nothing to restore.
 */
#ifndef SW_SHIELD_STATEFILE_H
#define SW_SHIELD_STATEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"
#include "shield/realm.h"

#define SW_STATEFILE_VERSION 1
/* Most entries loaded from one file; the rest are skipped and reported as truncated. */
#define SW_STATEFILE_MAX_ENTRIES ((size_t)1 << 22)
/* Longest entry line; longer ones are malformed. */
#define SW_STATEFILE_LINE_MAX 255
/* Furthest deadline accepted on load: ten years ahead (anything later is not a deny-period). */
#define SW_STATEFILE_MAX_AHEAD_MS (10ull * 366 * 24 * 3600 * 1000)

struct sw_state_entry {
	struct sw_endpoint addr;       /* first address of the prefix; port 0 */
	uint8_t plen;                  /* prefix length: up to 32 (IPv4) or 128 (IPv6) */
	uint8_t reason;                /* enum sw_reason */
	uint64_t until_ms;             /* wall clock, ms since 1970 */
	char realm[SW_REALM_NAME_MAX]; /* the realm's name; "" when unknown */
};

struct sw_state_stats {
	size_t loaded;    /* entries passed to the callback */
	size_t expired;   /* entries skipped because their deadline has passed */
	size_t malformed; /* lines skipped because they could not be read */
	size_t truncated; /* entries skipped past SW_STATEFILE_MAX_ENTRIES */
	/* the first malformed line: "PATH:LINE: problem"; "" when none */
	char problem[SW_STATEFILE_LINE_MAX + 1024];
};

/*
 * Write n entries to path atomically (directory created, 0750, when missing; the file 0600).
 * Returns 0; SW_E_INVAL for an entry that cannot be written (unknown family, prefix length,
 * reason or a realm name outside [A-Za-z0-9._-]), the file left as it was; SW_E_IO with a message
 * naming the file, the file left as it was and no temporary file behind.
 */
int sw_statefile_save(const char *path, const struct sw_state_entry *e, size_t n, char *err,
		      size_t errlen);

/* Called for each entry still running at now; a negative return stops the load with it. */
typedef int (*sw_state_entry_fn)(void *arg, const struct sw_state_entry *e);

/*
 * Read path, calling fn for each entry whose deadline is after now_wall_ms, and fill *stats.
 * Returns 0 (a missing file too: nothing to restore; malformed lines too: see stats); SW_E_SYNTAX
 * for a file that is not a state file ("PATH: not a sipwarden state file"); SW_E_UNSUPPORTED for
 * a newer format version; SW_E_IO when it cannot be read; or fn's code. err names the file.
 */
int sw_statefile_load(const char *path, uint64_t now_wall_ms, sw_state_entry_fn fn, void *arg,
		      struct sw_state_stats *stats, char *err, size_t errlen);

/*
 * Parse one entry line (no '\n'; no NUL needed) into *ret. Returns 0, or SW_E_SYNTAX /
 * SW_E_ADDR with the problem in err (without file and line).
 */
int sw_statefile_parse_line(const char *line, size_t len, struct sw_state_entry *ret, char *err,
			    size_t errlen);

#endif
