/*
 * What bench/shield's C programs (flood, sink, echo, rtt) share: reading "ADDR:PORT" and a
 * monotonic clock in nanoseconds. Header-only: each program is one .c file compiled alone.
 */
#ifndef SW_BENCH_SHIELD_BENCHNET_H
#define SW_BENCH_SHIELD_BENCHNET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "198.18.0.1:5060" into sa (IPv4 only: the bench's bed has no IPv6). 0, or -1 if malformed. */
static inline int bn_parse_addr_port(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static inline int64_t bn_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
