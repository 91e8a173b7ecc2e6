/*
 * A view of bytes owned by someone else: pointer + length, never NUL-terminated, never freed.
 *
 * Parsers hand out views into the caller's buffer; they stay valid as long as that buffer does.
 * An absent value is { NULL, 0 }; a present but empty one has a non-NULL pointer and length 0, so
 * "Subject:" with nothing after it can be told from no Subject at all.
 */
#ifndef SW_CORE_STRVIEW_H
#define SW_CORE_STRVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sw_str {
	const char *p;
	uint32_t len;
};

#define SW_STR_NULL ((struct sw_str){NULL, 0})
#define SW_STR_LIT(s) ((struct sw_str){(s), (uint32_t)(sizeof(s) - 1)})

static inline struct sw_str sw_str_make(const char *p, size_t len)
{
	return (struct sw_str){p, (uint32_t)len};
}

static inline bool sw_str_present(struct sw_str s)
{
	return s.p != NULL;
}

static inline bool sw_str_eq(struct sw_str a, const char *lit)
{
	size_t n = strlen(lit);
	return a.p && a.len == n && memcmp(a.p, lit, n) == 0;
}

/* ASCII case-insensitive comparison with a NUL-terminated literal. */
static inline bool sw_str_ieq(struct sw_str a, const char *lit)
{
	size_t n = strlen(lit);
	if (!a.p || a.len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a.p[i], y = (unsigned char)lit[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

#endif
