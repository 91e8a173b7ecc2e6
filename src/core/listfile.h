/*
 * List files (exclusion lists, target files): one entry per line; '#' starts a comment that runs
 * to the end of the line; blank lines are skipped; lines are at most SW_LIST_LINE_MAX bytes.
 * Errors name the file and line: "targets.txt:12: '10.0.0.300' is not an IPv4 address".
 */
#ifndef SW_CORE_LISTFILE_H
#define SW_CORE_LISTFILE_H

#include <stddef.h>

#define SW_LIST_LINE_MAX 1024

/*
 * Called for each entry of a list: the entry text without comment and surrounding whitespace
 * (len > 0, not NUL-terminated). Returns 0 to go on, or a negative code with a message in err
 * (without the file and line; the reader puts those in front).
 */
typedef int (*sw_list_entry_fn)(void *ctx, const char *entry, size_t len, char *err, size_t errlen);

/*
 * Read a list file line by line, calling fn for each entry. Returns 0, the first code fn returned,
 * SW_E_IO when the file cannot be opened or read, SW_E_LIMIT for a line longer than
 * SW_LIST_LINE_MAX, or SW_E_SYNTAX for a line holding a NUL byte; err then reads
 * "path:line: message" (for a file that cannot be opened: "cannot open 'path': reason").
 */
int sw_list_read_file(const char *path, sw_list_entry_fn fn, void *ctx, char *err, size_t errlen);

/* The same over len bytes in memory; name is used as the file name in messages. */
int sw_list_read_buf(const char *name, const char *buf, size_t len, sw_list_entry_fn fn, void *ctx,
		     char *err, size_t errlen);

/*
 * Quote untrusted text for a message: 'text' with bytes outside printable ASCII shown as '?' and
 * anything past 80 bytes cut to "...". Writes at most size bytes, always NUL-terminated when
 * size > 0. For the parsers of this module and of the target list.
 */
void sw_list_quote(char *out, size_t size, const char *s, size_t len);

#endif
