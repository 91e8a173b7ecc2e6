/* Helpers shared by the unit tests: whole-file reads and guard-page buffers. */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <stddef.h>

#include "core/strview.h"

/*
 * Read a whole file; aborts the test process with a message when it cannot (a missing fixture is
 * a broken test, not a skip). Free with free().
 */
char *tu_read_file(const char *path, size_t *ret_len);

/*
 * The names of the files in dir ending in suffix, sorted, into names (at most cap; more fail the
 * test, as does a missing dir). Returns how many; free each name with free().
 */
size_t tu_list_dir(const char *dir, const char *suffix, char **names, size_t cap);

/*
 * Copy len bytes so that they end exactly where an unmapped page begins: any read past the end
 * faults at once, even without ASan. Returns the start of the copy; free with tu_guard_free.
 */
char *tu_guard_copy(const void *data, size_t len);
void tu_guard_free(char *p, size_t len);

/*
 * Fail the current cmocka test unless view v holds exactly want[0..n) (NULs included), printing
 * both sides with non-printable bytes escaped. Use through the macros below.
 */
void tu_view_eq(struct sw_str v, const char *want, size_t n, const char *expr, const char *file,
		int line);

/* A view equals a literal byte for byte (embedded NULs included); "" means present but empty. */
#define assert_view(v, lit) tu_view_eq((v), (lit), sizeof(lit) - 1, #v, __FILE__, __LINE__)
#define assert_view_mem(v, p, n) tu_view_eq((v), (p), (n), #v, __FILE__, __LINE__)
#define assert_absent(v) assert_null((v).p)

#endif
