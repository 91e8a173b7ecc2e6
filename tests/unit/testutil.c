#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

char *tu_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fixture %s: %s\n", path, strerror(errno));
		abort();
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		abort();
	*ret_len = len;
	return buf;
}

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Pages needed for len bytes plus the guard page. */
static size_t guard_span(size_t len)
{
	size_t ps = page_size();
	return ((len + ps - 1) / ps + 1) * ps;
}

char *tu_guard_copy(const void *data, size_t len)
{
	size_t ps = page_size(), span = guard_span(len);
	char *base = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		abort();
	if (mprotect(base + span - ps, ps, PROT_NONE) != 0)
		abort();
	char *start = base + span - ps - len;
	if (len)
		memcpy(start, data, len);
	return start;
}

void tu_guard_free(char *p, size_t len)
{
	size_t ps = page_size(), span = guard_span(len);
	char *base = p + len + ps - span;
	munmap(base, span);
}

/* Quote a view for a failure message: "bytes" (N bytes), or (absent). */
static void render(struct sw_str v, char *out, size_t cap)
{
	if (!v.p) {
		snprintf(out, cap, "(absent)");
		return;
	}
	size_t n = 0;
	out[n++] = '"';
	for (uint32_t i = 0; i < v.len && n + 8 < cap; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	snprintf(out + n, cap - n, "\" (%u bytes)", v.len);
}

void tu_view_eq(struct sw_str v, const char *want, size_t n, const char *expr, const char *file,
		int line)
{
	if (v.p && v.len == n && memcmp(v.p, want, n) == 0)
		return;
	char got[1024], exp[1024];
	render(v, got, sizeof(got));
	render(sw_str_make(want, n), exp, sizeof(exp));
	print_error("%s: expected %s, got %s\n", expr, exp, got);
	_fail(file, line);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tu_list_dir(const char *dir, const char *suffix, char **names, size_t cap)
{
	DIR *d = opendir(dir);
	if (!d)
		fail_msg("cannot open %s", dir);
	size_t n = 0, sl = strlen(suffix);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl <= sl || strcmp(de->d_name + nl - sl, suffix) != 0)
			continue;
		if (n == cap)
			fail_msg("%s: more than %zu files ending in %s", dir, cap, suffix);
		names[n] = strdup(de->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	return n;
}
