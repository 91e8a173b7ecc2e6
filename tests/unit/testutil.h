/* Helpers shared by the unit tests: whole-file reads and guard-page buffers. */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <stddef.h>

/*
 * Read a whole file; aborts the test process with a message when it cannot (a missing fixture is
 * a broken test, not a skip). Free with free().
 */
char *tu_read_file(const char *path, size_t *ret_len);

/*
 * Copy len bytes so that they end exactly where an unmapped page begins: any read past the end
 * faults at once, even without ASan. Returns the start of the copy; free with tu_guard_free.
 */
char *tu_guard_copy(const void *data, size_t len);
void tu_guard_free(char *p, size_t len);

#endif
