/*
 * Transport endpoints: an IPv4 or IPv6 address with a UDP/TCP port, as a small value type.
 *
 * The address is kept in network byte order in a fixed 16-byte array (IPv4 uses the first four
 * bytes, the rest are zero) so endpoints can be copied, compared and hashed without caring about
 * sockaddr layouts. The port is in host byte order. Formatting follows the usual conventions: IPv4
 * dotted quad, IPv6 in RFC 5952 text (as inet_ntop writes it) inside brackets when a port follows.
 */
#ifndef SW_NET_ADDR_H
#define SW_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sw_endpoint {
	uint8_t family;   /* AF_INET or AF_INET6; 0 = unset */
	uint16_t port;    /* host byte order; 0 when the protocol has no ports */
	uint8_t addr[16]; /* network byte order; IPv4 in addr[0..3], addr[4..15] zero */
};

/* Longest text sw_endpoint_format() writes, NUL included: "[" 45 chars of IPv6 "]:65535". */
#define SW_ENDPOINT_STRLEN 56
/* Longest text sw_addr_format() writes, NUL included (INET6_ADDRSTRLEN). */
#define SW_ADDR_STRLEN 46

/* Fill ep with an IPv4 address (4 bytes, network order) and a port. */
void sw_endpoint_set_v4(struct sw_endpoint *ep, const uint8_t addr[4], uint16_t port);

/* Fill ep with an IPv6 address (16 bytes, network order) and a port. */
void sw_endpoint_set_v6(struct sw_endpoint *ep, const uint8_t addr[16], uint16_t port);

/* True when both have the same family and address (ports ignored). */
bool sw_addr_equal(const struct sw_endpoint *a, const struct sw_endpoint *b);

/* True when both have the same family, address and port. */
bool sw_endpoint_equal(const struct sw_endpoint *a, const struct sw_endpoint *b);

/*
 * "192.0.2.1:5060" or "[2001:db8::1]:5060" into buf (always NUL-terminated when len > 0).
 * Returns the length of the full text like snprintf (>= len means it was cut), or SW_E_INVAL
 * for an endpoint whose family is neither AF_INET nor AF_INET6 (buf then holds "?").
 */
int sw_endpoint_format(const struct sw_endpoint *ep, char *buf, size_t len);

/* The address alone, without brackets or port: "192.0.2.1", "2001:db8::1". Same returns. */
int sw_addr_format(const struct sw_endpoint *ep, char *buf, size_t len);

#endif
