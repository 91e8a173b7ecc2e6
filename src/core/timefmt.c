#include "core/timefmt.h"

#include <stdio.h>
#include <time.h>

void sw_time_iso(uint64_t usec, char *buf, size_t len)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n)
		snprintf(buf + n, len - n, ".%06uZ", (unsigned)(usec % 1000000));
}
