/*
 * Distinct addresses, counted: a set of IPv4 and IPv6 addresses as they appear in the ip column.
 *
 * IPv4 addresses, nearly all of a scan_sip report, are 4-byte keys in their own open-addressing
 * table (10 million addresses take 64 MB at most half full); IPv6 addresses are 16-byte keys in a
 * second table. Both grow by doubling up to max addresses in all; past it sw_addrset_add returns
 * SW_E_LIMIT and the count is a lower bound (sw_addrset_full says so).
 */
#ifndef SW_REPORT_ADDRSET_H
#define SW_REPORT_ADDRSET_H

#include <stdint.h>

#include "core/strview.h"

struct sw_addrset; /* opaque */

/*
 * Parse an address as written in the ip column: dotted-quad IPv4 (each part 0-255, at most
 * three digits) or IPv6 text. Returns 4 or 6 and the address (IPv4 in the
 * first 4 bytes of ret), or 0 when s is not an address.
 */
int sw_report_addr_parse(struct sw_str s, uint8_t ret[16]);

int sw_addrset_new(uint64_t max, struct sw_addrset **ret);
void sw_addrset_free(struct sw_addrset *s);

/* Add an address (family 4 or 6). Returns 1 when new, 0 when seen, SW_E_LIMIT / SW_E_NOMEM. */
int sw_addrset_add(struct sw_addrset *s, int family, const uint8_t addr[16]);

uint64_t sw_addrset_count(const struct sw_addrset *s);
int sw_addrset_full(const struct sw_addrset *s);

#endif
