/*
 * Diagnostics of a long-running command (the shield daemon): one line per event, to stderr
 * ("PREFIX: text", the default, which systemd's journal also collects) or to syslog (facility
 * daemon, ident "sipwarden", with the pid). Thread-safe: each line is written whole.
 *
 * The syslog connection is opened at sw_log_open() time, so that it still works after the
 * process dropped its privileges or entered a sandbox that hides /dev/log's directory.
 */
#ifndef SW_CORE_LOG_H
#define SW_CORE_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Send later lines to syslog (true) or stderr (false, the default); prefix names stderr lines. */
void sw_log_open(bool use_syslog, const char *prefix);
void sw_log_close(void);

/* prio: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO. */
void sw_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
