/*
 * Capture reader: UDP datagrams out of a pcap or pcapng file, IP fragments reassembled.
 *
 * libpcap reads the file (both formats, microsecond and nanosecond timestamps, either byte
 * order); sw_decode_frame() peels each frame; fragments go through the reassembly table of
 * net/reasm.h with the capture time as its clock. The caller sees only whole UDP datagrams, in
 * the order their last frame appears in the file, and counters for everything else.
 *
 * A bad frame (cut short, malformed, not IP, not UDP) is counted and skipped: captures of attacks
 * are expected to hold junk. A bad *file* (a record header or record cut off, a corrupt length)
 * ends the reading with SW_E_PCAP_READ and a message; what was returned before stays valid, so
 * inspect can report on the good part and say where the file broke.
 *
 * Not thread-safe; one reader per thread. Memory: libpcap's record buffer, and the reassembly
 * table (64 slots, 64 KiB buffer each on first use: at most about 4 MiB); nothing per frame.
 */
#ifndef SW_NET_CAPTURE_H
#define SW_NET_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/addr.h"

struct sw_capture; /* opaque */

struct sw_datagram {
	uint64_t ts_usec; /* capture time of the frame that completed it, microseconds since 1970 */
	uint64_t frame;   /* 1-based number of that frame in the file */
	struct sw_endpoint src, dst;
	const uint8_t *payload; /* UDP payload; valid until the next sw_capture_next() or close */
	uint32_t len;           /* payload bytes present */
	uint32_t orig_len;  /* UDP payload length the UDP header claims (> len: bytes missing) */
	uint16_t nfrags;    /* 0 = not fragmented, else the number of IP fragments reassembled */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t ttl;        /* IPv4 TTL / IPv6 hop limit (of the completing fragment) */
};

struct sw_capture_stats {
	uint64_t frames;      /* records read from the file */
	uint64_t udp;         /* UDP datagrams returned (whole or reassembled) */
	uint64_t non_udp;     /* IP datagrams of other protocols (after reassembly) */
	uint64_t non_ip;      /* frames that carry no IP (ARP, LLDP, STP, ...) */
	uint64_t fragments;   /* frames that were IP fragments */
	uint64_t reassembled; /* datagrams completed from fragments */
	/* datagrams whose fragments did not complete: timed out, evicted, overlapping, oversize,
	   or still incomplete at the end of the file */
	uint64_t reasm_dropped;
	uint64_t decode_errors; /* frames cut short or malformed at the link, IP or UDP layer */
};

/*
 * 1 when the first n bytes of a file look like a capture: a pcap magic in either byte order
 * (microsecond 0xa1b2c3d4, nanosecond 0xa1b23c4d, or Kuznetzov's 0xa1b2cd34) or a pcapng
 * Section Header Block (0x0a0d0d0a); 0 otherwise (also when n < 4).
 */
int sw_capture_sniff(const uint8_t *head, size_t n);

/*
 * Open a capture file. Returns 0 with *ret set, or SW_E_PCAP_OPEN (file missing, not a capture,
 * corrupt header), SW_E_PCAP_LINKTYPE (a link type sw_decode_frame() does not know) or
 * SW_E_NOMEM; errbuf (errlen bytes, may be NULL/0) then says why, in libpcap's words or ours.
 */
int sw_capture_open(const char *path, struct sw_capture **ret, char *errbuf, size_t errlen);

/* The same from an open stream (fmemopen for the fuzzer). Takes ownership of f, even on error. */
int sw_capture_fopen(FILE *f, struct sw_capture **ret, char *errbuf, size_t errlen);

/*
 * The next UDP datagram. Returns 1 with *ret filled; 0 at the clean end of the file (fragments
 * still waiting are then counted in reasm_dropped); SW_E_PCAP_READ when the file is truncated or
 * corrupt, after which sw_capture_error() says what and at which frame, e.g. "frame 3: truncated
 * dump file; tried to read 1514 captured bytes, only got 700", and every further call returns
 * the same code. Datagrams returned before an error are valid results.
 */
int sw_capture_next(struct sw_capture *c, struct sw_datagram *ret);

/* The message of the error that ended reading, or "" when there was none. */
const char *sw_capture_error(const struct sw_capture *c);

const struct sw_capture_stats *sw_capture_stats(const struct sw_capture *c);

/* The link type libpcap reports (a DLT_ value, see enum sw_dlt). */
int sw_capture_linktype(const struct sw_capture *c);

/* Close the file and free everything; NULL is fine. */
void sw_capture_close(struct sw_capture *c);

#endif
