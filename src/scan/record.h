/*
 * The scan result record: what the scanner learned about one responding target and port, and
 * how it becomes a scan_sip report row.
 *
 * The record is small and owns no bytes. The scanner keeps the first reply packet in its own
 * bounded per-target buffer and hands the record a view of it (sw_scan_record_set_first());
 * enrichment (reverse DNS, ASN, geolocation, NAICS) hands it views of strings it keeps. Every
 * view must stay valid while the record, or a row filled from it, is in use. Later reply
 * packets are only counted (sw_scan_record_add_packet()).
 *
 * sw_scan_record_fields() parses the first packet with the SIP parser and fills the 30 columns
 * of struct sw_scan_row (out/scan_csv.h). The rules, as ../shared/DESIGN.md section 5 asks:
 *  - timestamp: the probe time in UTC, "YYYY-MM-DD HH:MM:SS" (microseconds dropped, not rounded).
 *  - ip: the probed address (IPv6 in RFC 5952 text, no brackets); port: the source port of the
 *    first reply; severity "high", protocol "udp", tag "sip".
 *  - sip, sip_code, sip_reason: version token, status code and reason phrase of the status
 *    line. A reply that is not a whole SIP message but starts with a status line (the bare
 *    "SIP/2.0 400 Bad Request\r\n" many servers send to the 7-byte probe) still gives these three;
 *    its header columns stay empty. A reply that parses as a SIP request gives sip and headers.
 *  - header columns: User-Agent, Via, To, From, Content-Type, Server, Contact, CSeq, Call-ID,
 *    Allow; compact forms count as their full names (the parser maps "v" to Via, ...). Several
 *    lines of one header are joined in the order sent, separated by ", " - RFC 3261 section
 *    7.3.1 makes that the same value as the separate lines, for the list headers where repeats
 *    are legal. A value folded over several lines is unfolded: each fold, with the whitespace
 *    around it, becomes one space (also section 7.3.1). Joined or unfolded text is built in the
 *    row (SW_SCAN_ROW_TEXT bytes for all columns); a repeat that no longer fits is left out, so
 *    a value is never cut inside one header line.
 *  - content_length: the parsed Content-Length as a decimal number.
 *  - amplification: response_size / probe_size, rounded half up to two decimals with integer
 *    arithmetic (25/7 -> 3.57, 85/7 -> 12.14, 1/8 -> 0.13); empty when probe_size is 0.
 *    Python's round() would agree except on exact ties, where it rounds the binary double to even.
 *  - response_size: UDP payload bytes of all reply packets.
 *  - hostname, hostname_source, asn, geo, region, city, sector: the enrichment views as given
 *    (absent = empty); naics the given code, "0" when there is none.
 */
#ifndef SW_SCAN_RECORD_H
#define SW_SCAN_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/strview.h"
#include "net/addr.h"
#include "out/scan_csv.h"

/* Reply packet sizes kept one by one; further packets are only counted and summed. */
#define SW_SCAN_SIZES 16

struct sw_scan_record {
	int64_t time_sec;              /* probe time, UTC seconds since 1970 */
	uint32_t time_usec;            /* and microseconds, 0-999999 */
	struct sw_endpoint target;     /* the address and port probed */
	uint16_t reply_port;           /* source port of the first reply packet */
	bool is_sip;                   /* the first reply is SIP (a message, or a status line) */
	struct sw_str probe;           /* probe name: "bare", "options", a file name */
	uint32_t probe_size;           /* probe payload bytes */
	uint32_t packets;              /* reply packets counted (saturates) */
	uint32_t sizes[SW_SCAN_SIZES]; /* payload bytes of the first SW_SCAN_SIZES reply packets */
	uint64_t response_size;        /* payload bytes of all reply packets */
	struct sw_str first;           /* the first reply's payload, as the scanner kept it */

	/* Enrichment, absent until a later stage fills it. */
	struct sw_str hostname, hostname_source, asn, geo, region, city, naics, sector;
};

/*
 * Start a record for a probe of target sent at (sec, usec): no replies yet, no enrichment.
 * probe is the probe's name (a view that must outlive the record), probe_size its payload bytes.
 */
void sw_scan_record_init(struct sw_scan_record *rec, const struct sw_endpoint *target, int64_t sec,
			 uint32_t usec, struct sw_str probe, uint32_t probe_size);

/* Count one reply packet of len payload bytes (the size on the wire, even if not all kept). */
void sw_scan_record_add_packet(struct sw_scan_record *rec, uint32_t len);

/*
 * Attach the first reply packet: payload is the scanner's kept copy (len bytes, possibly a prefix
 * of a longer packet), which must stay valid while the record is used; src_port the packet's
 * source port. Sets is_sip. Call it once, in addition to sw_scan_record_add_packet().
 */
void sw_scan_record_set_first(struct sw_scan_record *rec, const char *payload, uint32_t len,
			      uint16_t src_port);

/*
 * Fill *ret_row with the record's report row (the rules above). Returns 0, or SW_E_INVAL when the
 * target has no address family, SW_E_RANGE when the probe time is outside the years 1970-9999;
 * *ret_row is written only on success. The row's views point into the record's views.
 */
int sw_scan_record_fields(const struct sw_scan_record *rec, struct sw_scan_row *ret_row);

#endif
