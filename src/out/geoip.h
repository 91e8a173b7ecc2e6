/*
 * MaxMind DB lookups (libmaxminddb): the autonomous system and the location of an address.
 *
 * Two kinds of database, each opened from its own file:
 *  - ASN: "autonomous_system_number" at the top of the record - GeoLite2-ASN, GeoIP2-ISP and
 *    DB-IP's ASN databases share this layout; GeoIP2-Enterprise's "traits" /
 *    "autonomous_system_number" is read too.
 *  - City (or Country): "country" / "iso_code" (falling back to "registered_country" /
 *    "iso_code" for addresses the database only knows by registration), the first of
 *    "subdivisions" / "names" / "en" as the region, "city" / "names" / "en" as the city -
 *    GeoLite2/GeoIP2 City and Country, DB-IP City and Country. A Country database simply has no
 *    region or city.
 *
 * Text is copied as the database holds it (English names, original case, UTF-8), cut at a
 * character boundary when it does not fit the caller's buffer, with control characters turned
 * into spaces so a value can never break a report line.
 *
 * The file is mapped (MMDB_MODE_MMAP): lookups touch only the pages they need and take a few
 * microseconds. A handle may be used from one thread at a time (libmaxminddb lookups are
 * read-only, but the handle is not documented as thread-safe here).
 */
#ifndef SW_OUT_GEOIP_H
#define SW_OUT_GEOIP_H

#include <stddef.h>
#include <stdint.h>

#include "net/addr.h"

enum sw_geoip_kind { SW_GEOIP_ASN = 0, SW_GEOIP_CITY };

struct sw_geoip;

/*
 * Open path as a database of kind. Returns 0 and *ret_g, or a negative code with one line in
 * err that names the file: SW_E_IO (cannot open or read: "x.mmdb: cannot open: No such file or
 * directory"), SW_E_SYNTAX (not a MaxMind DB: "x.mmdb: not a MaxMind DB file (...)"), SW_E_INVAL
 * (a database of the other kind by its metadata: "x.mmdb: database type 'GeoLite2-City' is not
 * an ASN database"), SW_E_NOMEM.
 */
int sw_geoip_open(const char *path, enum sw_geoip_kind kind, struct sw_geoip **ret_g, char *err,
		  size_t errlen);

/* Close; NULL is fine. */
void sw_geoip_close(struct sw_geoip *g);

/* The database_type of the file's metadata ("GeoLite2-ASN", "DBIP-City-Lite"), never NULL. */
const char *sw_geoip_type(const struct sw_geoip *g);

/*
 * The AS number of addr (port ignored). Returns 0 and *ret_asn, or SW_E_EOF when the database
 * has no AS number for it (no record, or a record without one), SW_E_INVAL for an address
 * without a family, SW_E_IO for a lookup error (a corrupt database).
 */
int sw_geoip_asn(struct sw_geoip *g, const struct sw_endpoint *addr, uint32_t *ret_asn);

/* Country code, first subdivision, city; each "" when unknown. */
struct sw_geoip_loc {
	char geo[8];
	char region[128];
	char city[128];
};

/*
 * The location of addr. Returns 0 with *ret filled (any part may be ""), or SW_E_EOF when the
 * database has no record, SW_E_INVAL, SW_E_IO as above (*ret is then all "").
 */
int sw_geoip_city(struct sw_geoip *g, const struct sw_endpoint *addr, struct sw_geoip_loc *ret);

/*
 * Copy len bytes of UTF-8 text into dst (cap bytes, NUL-terminated, cap >= 1), cutting at a
 * character boundary and replacing control characters with spaces. Returns the bytes written.
 */
size_t sw_geoip_copy_text(char *dst, size_t cap, const char *src, size_t len);

#endif
