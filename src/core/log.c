#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

static bool g_syslog;
static const char *g_prefix = "sipwarden";

void sw_log_open(bool use_syslog, const char *prefix)
{
	if (prefix)
		g_prefix = prefix;
	if (use_syslog)
		openlog("sipwarden", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	g_syslog = use_syslog;
}

void sw_log_close(void)
{
	if (g_syslog)
		closelog();
	g_syslog = false;
}

void sw_log(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (g_syslog) {
		syslog(prio, "%s", line);
		return;
	}
	/* one fprintf per line: stdio locks the stream, so lines of two threads never mix */
	fprintf(stderr, "%s: %s\n", g_prefix, line);
}
