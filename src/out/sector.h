/*
 * The sector map: an operator's file that says which industry a network belongs to, for the
 * scan_sip report's naics and sector columns.
 *
 * Format (conf/sector-map.example has a commented example). One entry per line:
 *
 *     KEY  NAICS  [SECTOR]
 *
 *   KEY     an autonomous system, "AS64500" or "64500" (any case of "AS"), or a prefix,
 *           "192.0.2.0/24", "2001:db8::/32", or one address ("192.0.2.7" = /32). Host bits
 *           after the prefix length are ignored ("192.0.2.7/24" is 192.0.2.0/24), as in the
 *           exclusion lists. Ranges "a-b" are not accepted (use prefixes).
 *   NAICS   the North American Industry Classification System code: 2 to 6 digits ("51",
 *           "517311"), or "0" for a sector without a code.
 *   SECTOR  optional; the rest of the line, spaces and commas included, surrounding spaces
 *           trimmed, at most 127 bytes of UTF-8 without control characters; or one
 *           double-quoted string ("" inside stands for one quote), which may hold '#'.
 *
 * Fields are separated by spaces or tabs. '#' starts a comment (outside a quoted sector) to the
 * end of the line; blank lines are skipped; lines are at most 4096 bytes; at most 1,000,000
 * entries. A key may appear only once.
 *
 * Which entry wins: the longest matching prefix; when no prefix matches, the address's AS
 * number (from the ASN database). A prefix is the operator's most specific statement - a
 * university's /16 inside its transit provider's AS is a university - so it beats the AS.
 *
 * Errors name the file and line and say what is wrong, one line:
 * "map.txt:12: 'AS12x' is not an AS number, prefix or address",
 * "map.txt:3: NAICS code '5173111' is not 2 to 6 digits (or 0)",
 * "map.txt:9: 192.0.2.0/24 is mapped already on line 4".
 *
 * A loaded map is read-only: lookups may run from several threads.
 */
#ifndef SW_OUT_SECTOR_H
#define SW_OUT_SECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

#define SW_SECTOR_LINE_MAX 4096
#define SW_SECTOR_MAX_ENTRIES 1000000
#define SW_SECTOR_NAME_MAX 128 /* sector text, NUL included */

struct sw_sector;

/*
 * Load the map in path. Returns 0 and *ret_m, or SW_E_IO ("cannot open 'path': reason"),
 * SW_E_SYNTAX (a bad line), SW_E_LIMIT (a line or the map too long), SW_E_INVAL (a duplicate),
 * SW_E_NOMEM, with one line in err.
 */
int sw_sector_load(const char *path, struct sw_sector **ret_m, char *err, size_t errlen);

/* The same from len bytes in memory; name stands for the file in messages. */
int sw_sector_load_buf(const char *name, const char *buf, size_t len, struct sw_sector **ret_m,
		       char *err, size_t errlen);

void sw_sector_free(struct sw_sector *m);

/* Entries loaded. */
size_t sw_sector_count(const struct sw_sector *m);

/*
 * The entry for addr (port ignored), or failing that for AS asn when has_asn: 0 with
 * *ret_naics ("517311", "0") and *ret_sector ("" when the line has none), NUL-terminated strings
 * owned by the map; SW_E_EOF when nothing matches.
 */
int sw_sector_lookup(const struct sw_sector *m, const struct sw_endpoint *addr, bool has_asn,
		     uint32_t asn, const char **ret_naics, const char **ret_sector);

#endif
