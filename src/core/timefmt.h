/* Time stamps as sipwarden prints them in logs and JSON. */
#ifndef SW_CORE_TIMEFMT_H
#define SW_CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-22T03:04:05.123456Z" (UTC, RFC 3339) from microseconds since 1970, into buf. */
void sw_time_iso(uint64_t usec, char *buf, size_t len);

#endif
