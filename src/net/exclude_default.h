/*
 * The default exclusion list, built into the binary.
 *
 * conf/exclude-default.conf is the readable, shipped list; exclude_default.c holds the same bytes
 * as a string literal so `scan` applies it without finding a data file at run time (a missing or
 * edited file must never silently widen a scan). tests/unit/test_prefix.c compares the two byte
 * for byte, so editing one without the other fails the tests.
 */
#ifndef SW_NET_EXCLUDE_DEFAULT_H
#define SW_NET_EXCLUDE_DEFAULT_H

#include <stddef.h>

#include "net/prefix.h"

/* Name the built-in list goes by in messages ("exclude-default.conf (built in):12: ..."). */
#define SW_EXCLUDE_DEFAULT_NAME "exclude-default.conf (built in)"

/* The text of the built-in list (the bytes of conf/exclude-default.conf), and its length. */
const char *sw_exclude_default_text(size_t *ret_len);

/*
 * Insert every block of the built-in list into set. Returns 0, or the code and message of
 * sw_prefixset_load_buf() (only SW_E_LIMIT or SW_E_NOMEM can happen with the shipped text).
 */
int sw_exclude_default(struct sw_prefixset *set, char *err, size_t errlen);

#endif
