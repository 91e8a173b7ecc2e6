#include "shield/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/listfile.h"
#include "core/timefmt.h"
#include "net/prefix.h"
#include "shield/vocab.h"

#define MAGIC "sipwarden-state "
/* 9999-12-31T23:59:59.999Z: the last deadline four-digit years can spell. */
#define UNTIL_MAX_MS 253402300799999ull
#define NFIELDS 5

static bool realm_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= SW_REALM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	/* "-" alone stands for "no realm" in the file */
	return !(n == 1 && s[0] == '-');
}

static void until_text(uint64_t until_ms, char *buf, size_t len)
{
	sw_time_iso(until_ms * 1000, buf, len);
}

/* ---- saving ---- */

static int check_entry(const struct sw_state_entry *e, size_t i, char *err, size_t errlen)
{
	unsigned maxlen = e->addr.family == AF_INET ? 32 : e->addr.family == AF_INET6 ? 128 : 0;
	const char *why = NULL;
	if (!maxlen)
		why = "unknown address family";
	else if (e->plen > maxlen)
		why = "prefix length too large";
	else if (e->reason >= SW_REASON__COUNT)
		why = "unknown reason";
	else if (e->until_ms > UNTIL_MAX_MS)
		why = "deadline after the year 9999";
	else if (memchr(e->realm, '\0', sizeof(e->realm)) == NULL ||
		 (e->realm[0] && !realm_name_ok(e->realm, strlen(e->realm))))
		why = "realm name not made of letters, digits, '-', '_', '.'";
	if (!why)
		return 0;
	sw_errf(err, errlen, "state entry %zu: %s", i, why);
	return SW_E_INVAL;
}

/* The directory the file lives in, created (0750) when missing; not its parents. */
static int make_dir(const char *path, char *dir, size_t dirlen, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		snprintf(dir, dirlen, ".");
		return 0;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= dirlen) {
		sw_errf(err, errlen, "state-file %s: path too long", path);
		return SW_E_INVAL;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	if (mkdir(dir, 0750) == 0 || errno == EEXIST)
		return 0;
	sw_errf(err, errlen, "state-file %s: cannot create directory %s: %s", path, dir,
		strerror(errno));
	return SW_E_IO;
}

static void write_entries(FILE *f, const struct sw_state_entry *e, size_t n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char now[64];
	sw_time_iso((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000, now, sizeof(now));
	fprintf(f,
		MAGIC "%d\n# written %s, %zu entries; fields: prefix until until_ms reason realm\n",
		SW_STATEFILE_VERSION, now, n);
	for (size_t i = 0; i < n; i++) {
		char a[SW_ADDR_STRLEN], t[64];
		sw_addr_format(&e[i].addr, a, sizeof(a));
		until_text(e[i].until_ms, t, sizeof(t));
		fprintf(f, "%s/%u %s %llu %s %s\n", a, e[i].plen, t,
			(unsigned long long)e[i].until_ms,
			sw_reason_name((enum sw_reason)e[i].reason),
			e[i].realm[0] ? e[i].realm : "-");
	}
}

int sw_statefile_save(const char *path, const struct sw_state_entry *e, size_t n, char *err,
		      size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int rc = check_entry(&e[i], i, err, errlen);
		if (rc)
			return rc;
	}
	char dir[PATH_MAX], tmp[PATH_MAX];
	int rc = make_dir(path, dir, sizeof(dir), err, errlen);
	if (rc)
		return rc;
	int tl = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
	if (tl < 0 || (size_t)tl >= sizeof(tmp)) {
		sw_errf(err, errlen, "state-file %s: path too long", path);
		return SW_E_INVAL;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		sw_errf(err, errlen, "state-file %s: cannot create %s: %s", path, tmp,
			strerror(errno));
		return SW_E_IO;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		sw_errf(err, errlen, "state-file %s: %s", path, strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	fchmod(fd, 0600);
	write_entries(f, e, n);
	/* every step must succeed before the rename makes the new file the state file */
	int e1 = fflush(f) != 0 || ferror(f) ? errno : 0;
	int e2 = !e1 && fsync(fd) != 0 ? errno : 0;
	int e3 = fclose(f) != 0 ? errno : 0;
	int bad = e1 ? e1 : e2 ? e2 : e3;
	if (bad) {
		sw_errf(err, errlen, "state-file %s: cannot write %s: %s", path, tmp,
			strerror(bad));
		rc = SW_E_IO;
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		sw_errf(err, errlen, "state-file %s: cannot rename %s over it: %s", path, tmp,
			strerror(errno));
		rc = SW_E_IO;
		goto fail;
	}
	/* the rename itself is durable once the directory is synced */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	unlink(tmp);
	return rc;
}

/* ---- loading ---- */

static int parse_u64(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

static int parse_prefix(const char *s, size_t n, struct sw_state_entry *e, char *err, size_t errlen)
{
	char q[128];
	if (memchr(s, '-', n) || !memchr(s, '/', n)) {
		sw_list_quote(q, sizeof(q), s, n);
		sw_errf(err, errlen, "%s is not ADDR/PLEN", q);
		return SW_E_ADDR;
	}
	return sw_prefix_parse(s, n, &e->addr, &e->plen, err, errlen);
}

int sw_statefile_parse_line(const char *line, size_t len, struct sw_state_entry *ret, char *err,
			    size_t errlen)
{
	const char *f[NFIELDS];
	size_t fl[NFIELDS], nf = 0, s = 0;
	char q[128];
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (nf == NFIELDS || i == s) {
			sw_errf(err, errlen, "expected %d fields separated by single spaces",
				NFIELDS);
			return SW_E_SYNTAX;
		}
		f[nf] = line + s;
		fl[nf++] = i - s;
		s = i + 1;
	}
	if (nf != NFIELDS) {
		sw_errf(err, errlen, "expected %d fields separated by single spaces", NFIELDS);
		return SW_E_SYNTAX;
	}
	struct sw_state_entry e;
	memset(&e, 0, sizeof(e));
	int rc = parse_prefix(f[0], fl[0], &e, err, errlen);
	if (rc)
		return rc;
	if (parse_u64(f[2], fl[2], &e.until_ms) || e.until_ms > UNTIL_MAX_MS) {
		sw_list_quote(q, sizeof(q), f[2], fl[2]);
		sw_errf(err, errlen, "%s is not a deadline in milliseconds since 1970", q);
		return SW_E_SYNTAX;
	}
	char t[64];
	until_text(e.until_ms, t, sizeof(t));
	if (strlen(t) != fl[1] || memcmp(t, f[1], fl[1]) != 0) {
		sw_list_quote(q, sizeof(q), f[1], fl[1]);
		sw_errf(err, errlen, "time %s does not match until_ms %llu (%s)", q,
			(unsigned long long)e.until_ms, t);
		return SW_E_SYNTAX;
	}
	unsigned r;
	for (r = 0; r < SW_REASON__COUNT; r++) {
		const char *name = sw_reason_name((enum sw_reason)r);
		if (strlen(name) == fl[3] && memcmp(name, f[3], fl[3]) == 0)
			break;
	}
	if (r == SW_REASON__COUNT) {
		sw_list_quote(q, sizeof(q), f[3], fl[3]);
		sw_errf(err, errlen, "unknown reason %s", q);
		return SW_E_SYNTAX;
	}
	e.reason = (uint8_t)r;
	if (!(fl[4] == 1 && f[4][0] == '-')) {
		if (!realm_name_ok(f[4], fl[4])) {
			sw_list_quote(q, sizeof(q), f[4], fl[4]);
			sw_errf(err, errlen, "bad realm name %s", q);
			return SW_E_SYNTAX;
		}
		memcpy(e.realm, f[4], fl[4]);
	}
	*ret = e;
	return 0;
}

/* The first line: ours, and a version we read? */
static int check_header(const char *path, const char *line, size_t len, char *err, size_t errlen)
{
	size_t ml = sizeof(MAGIC) - 1;
	uint64_t v;
	if (len < ml || memcmp(line, MAGIC, ml) != 0 || parse_u64(line + ml, len - ml, &v)) {
		sw_errf(err, errlen,
			"%s: not a sipwarden state file (the first line must read '" MAGIC
			"%d'); move it away or fix state-file",
			path, SW_STATEFILE_VERSION);
		return SW_E_SYNTAX;
	}
	if (v == 0 || v > SW_STATEFILE_VERSION) {
		sw_errf(err, errlen, "%s: state file format %llu; this sipwarden reads format %d",
			path, (unsigned long long)v, SW_STATEFILE_VERSION);
		return SW_E_UNSUPPORTED;
	}
	return 0;
}

static void note_bad(struct sw_state_stats *st, const char *path, unsigned long lineno,
		     const char *why)
{
	if (st->malformed++ == 0)
		snprintf(st->problem, sizeof(st->problem), "%s:%lu: %s", path, lineno, why);
}

int sw_statefile_load(const char *path, uint64_t now_wall_ms, sw_state_entry_fn fn, void *arg,
		      struct sw_state_stats *stats, char *err, size_t errlen)
{
	memset(stats, 0, sizeof(*stats));
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		sw_errf(err, errlen, "cannot open state file %s: %s", path, strerror(errno));
		return SW_E_IO;
	}
	char line[SW_STATEFILE_LINE_MAX + 2];
	unsigned long lineno = 0;
	size_t entries = 0;
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		bool whole = len > 0 && line[len - 1] == '\n';
		if (whole)
			len--;
		else if (!feof(f)) {
			/* over-long: skip to its end; a header this long is not ours anyway */
			int c;
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			if (lineno == 1) {
				rc = check_header(path, "", 0, err, errlen);
				break;
			}
			char why[64];
			snprintf(why, sizeof(why), "line longer than %d bytes",
				 SW_STATEFILE_LINE_MAX);
			note_bad(stats, path, lineno, why);
			continue;
		}
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (lineno == 1) {
			if ((rc = check_header(path, line, len, err, errlen)))
				break;
			continue;
		}
		if (len == 0 || line[0] == '#')
			continue;
		struct sw_state_entry e;
		char why[256];
		if (sw_statefile_parse_line(line, len, &e, why, sizeof(why)) != 0) {
			note_bad(stats, path, lineno, why);
			continue;
		}
		if (e.until_ms <= now_wall_ms) {
			stats->expired++;
			continue;
		}
		if (e.until_ms - now_wall_ms > SW_STATEFILE_MAX_AHEAD_MS) {
			note_bad(stats, path, lineno, "deadline more than ten years ahead");
			continue;
		}
		if (entries == SW_STATEFILE_MAX_ENTRIES) {
			stats->truncated++;
			continue;
		}
		entries++;
		if ((rc = fn(arg, &e)) < 0) {
			sw_errf(err, errlen, "%s:%lu: the entry was refused: %s", path, lineno,
				sw_strerror(rc));
			break;
		}
		stats->loaded++;
	}
	if (!rc && ferror(f)) {
		sw_errf(err, errlen, "cannot read state file %s: %s", path, strerror(errno));
		rc = SW_E_IO;
	}
	fclose(f);
	return rc;
}
