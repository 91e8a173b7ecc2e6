#include "report/split.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "net/prefix.h"
#include "out/csv.h"
#include "report/addrset.h"
#include "report/counter.h"

struct range {
	struct sw_u128 lo, hi;
	int32_t parent; /* index of the smallest range containing this one, -1 */
	uint32_t name;  /* offset into names */
	unsigned line;
};

struct group {
	FILE *f;
	uint64_t rows, last_use;
	int created;
};

struct sw_split {
	enum sw_split_by by;
	char *dir;
	const char *map_path;
	struct range *r;
	size_t nr, capr;
	char *names;
	size_t nused, ncap;
	unsigned map_line;

	struct sw_counter *ids; /* group name -> index */
	struct group *g;
	size_t ng, capg;
	unsigned nopen;
	uint64_t tick;

	/* Output columns (the first input's header) and where each is in the current input. */
	char *hdr_text;
	struct sw_str *hdr;
	uint32_t ncols;
	int32_t *from;
	int have_hdr;
	char error[4400];
	struct sw_split_stats st;
};

static struct sw_u128 as_u128(const struct sw_iprange *r, int hi)
{
	if (r->family == AF_INET6)
		return hi ? r->v6.hi : r->v6.lo;
	return (struct sw_u128){0xffffu, hi ? r->v4.hi : r->v4.lo};
}

static int keep_name(struct sw_split *s, const char *p, size_t n, uint32_t *ret)
{
	if (s->nused + n + 1 > s->ncap) {
		size_t cap = s->ncap ? s->ncap * 2 : 4096;
		while (cap < s->nused + n + 1)
			cap *= 2;
		char *nn = realloc(s->names, cap);
		if (!nn)
			return SW_E_NOMEM;
		s->names = nn;
		s->ncap = cap;
	}
	memcpy(s->names + s->nused, p, n);
	s->names[s->nused + n] = '\0';
	*ret = (uint32_t)s->nused;
	s->nused += n + 1;
	return 0;
}

static int map_entry(struct sw_split *s, const char *entry, size_t len, char *err, size_t errlen)
{
	size_t k = 0;
	while (k < len && entry[k] != ' ' && entry[k] != '\t')
		k++;
	const char *name = entry + k;
	size_t nlen = len - k;
	while (nlen && (*name == ' ' || *name == '\t'))
		name++, nlen--;
	struct sw_iprange ir;
	char msg[200];
	if (sw_iprange_parse(entry, k, &ir, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s:%u: %s", s->map_path, s->map_line, msg);
		return SW_E_SYNTAX;
	}
	if (s->nr == SW_SPLIT_MAP_MAX) {
		snprintf(err, errlen, "%s:%u: more than %u prefixes", s->map_path, s->map_line,
			 SW_SPLIT_MAP_MAX);
		return SW_E_LIMIT;
	}
	if (s->nr == s->capr) {
		size_t cap = s->capr ? s->capr * 2 : 256;
		struct range *nr = realloc(s->r, cap * sizeof(*nr));
		if (!nr)
			return SW_E_NOMEM;
		s->r = nr;
		s->capr = cap;
	}
	struct range *r = &s->r[s->nr];
	r->lo = as_u128(&ir, 0);
	r->hi = as_u128(&ir, 1);
	r->parent = -1;
	r->line = s->map_line;
	int rc = nlen ? keep_name(s, name, nlen, &r->name) : keep_name(s, entry, k, &r->name);
	if (rc)
		return rc;
	s->nr++;
	return 0;
}

/* The mapping file, line by line: '#' comments, blank lines skipped, one entry per line. */
static int map_load(struct sw_split *s, char *err, size_t errlen)
{
	FILE *f = fopen(s->map_path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open the mapping file: %s", s->map_path,
			 strerror(errno));
		return SW_E_IO;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		s->map_line++;
		char *hash = memchr(line, '#', (size_t)n);
		size_t len = hash ? (size_t)(hash - line) : (size_t)n;
		if (memchr(line, '\0', len)) {
			snprintf(err, errlen, "%s:%u: a NUL byte (not a text file?)", s->map_path,
				 s->map_line);
			rc = SW_E_SYNTAX;
			break;
		}
		char *p = line;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n' ||
			       p[len - 1] == '\r'))
			len--;
		if (len)
			rc = map_entry(s, p, len, err, errlen);
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s:%u: read error: %s", s->map_path, s->map_line + 1,
			 strerror(errno));
		rc = SW_E_IO;
	}
	free(line);
	fclose(f);
	return rc;
}

static int cmp_range(const void *x, const void *y)
{
	const struct range *a = x, *b = y;
	int c = sw_u128_cmp(a->lo, b->lo);
	if (c)
		return c;
	return -sw_u128_cmp(a->hi, b->hi);
}

/* Sort and link each range to its parent; partial overlaps and repeats are errors. */
static int map_build(struct sw_split *s, char *err, size_t errlen)
{
	qsort(s->r, s->nr, sizeof(*s->r), cmp_range);
	int32_t *stack = malloc((s->nr ? s->nr : 1) * sizeof(*stack));
	if (!stack)
		return SW_E_NOMEM;
	size_t top = 0;
	int rc = 0;
	for (size_t i = 0; i < s->nr && !rc; i++) {
		struct range *r = &s->r[i];
		while (top && sw_u128_cmp(s->r[stack[top - 1]].hi, r->lo) < 0)
			top--;
		if (top) {
			struct range *p = &s->r[stack[top - 1]];
			if (sw_u128_cmp(p->lo, r->lo) == 0 && sw_u128_cmp(p->hi, r->hi) == 0) {
				snprintf(err, errlen, "%s:%u: the prefix of line %u again",
					 s->map_path, r->line > p->line ? r->line : p->line,
					 r->line > p->line ? p->line : r->line);
				rc = SW_E_SYNTAX;
			} else if (sw_u128_cmp(p->hi, r->hi) < 0) {
				snprintf(err, errlen, "%s:%u: overlaps line %u partially",
					 s->map_path, r->line, p->line);
				rc = SW_E_SYNTAX;
			}
			r->parent = stack[top - 1];
		}
		stack[top++] = (int32_t)i;
	}
	free(stack);
	return rc;
}

/* The smallest mapped range holding a, or -1. */
static int32_t map_find(const struct sw_split *s, struct sw_u128 a)
{
	size_t lo = 0, hi = s->nr;
	while (lo < hi) { /* first range with lo > a */
		size_t mid = (lo + hi) / 2;
		if (sw_u128_cmp(s->r[mid].lo, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	int32_t i = (int32_t)lo - 1;
	while (i >= 0 && sw_u128_cmp(s->r[i].hi, a) < 0)
		i = s->r[i].parent;
	return i;
}

int sw_split_new(enum sw_split_by by, const char *map_path, const char *dir, struct sw_split **ret,
		 char *err, size_t errlen)
{
	struct sw_split *s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir)) || sw_counter_new(SW_SPLIT_GROUPS, &s->ids) != 0) {
		sw_split_free(s);
		snprintf(err, errlen, "out of memory");
		return SW_E_NOMEM;
	}
	s->by = by;
	int rc = 0;
	if (by == SW_SPLIT_PREFIX) {
		s->map_path = map_path;
		rc = map_load(s, err, errlen);
		if (!rc)
			rc = map_build(s, err, errlen);
		if (!rc && s->nr == 0) {
			snprintf(err, errlen, "%s: no prefixes in the mapping file", map_path);
			rc = SW_E_SYNTAX;
		}
	}
	if (!rc && mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create the directory: %s", dir, strerror(errno));
		rc = SW_E_IO;
	}
	struct stat sb;
	if (!rc && (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		snprintf(err, errlen, "%s: not a directory", dir);
		rc = SW_E_IO;
	}
	if (rc) {
		sw_split_free(s);
		return rc;
	}
	*ret = s;
	return 0;
}

void sw_split_free(struct sw_split *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ng; i++)
		if (s->g[i].f)
			fclose(s->g[i].f);
	free(s->dir);
	free(s->r);
	free(s->names);
	sw_counter_free(s->ids);
	free(s->g);
	free(s->hdr_text);
	free(s->hdr);
	free(s->from);
	free(s);
}

enum sw_scan_col sw_split_need(const struct sw_split *s)
{
	return s->by == SW_SPLIT_ASN ? SW_SCAN_COL_ASN :
	       s->by == SW_SPLIT_GEO ? SW_SCAN_COL_GEO :
				       SW_SCAN_COL_IP;
}

int sw_split_input(struct sw_split *s, const struct sw_report_reader *r)
{
	uint32_t n = sw_report_reader_ncols(r);
	if (!s->have_hdr) {
		size_t total = 0;
		for (uint32_t i = 0; i < n; i++)
			total += sw_report_reader_colname(r, i).len;
		s->hdr_text = malloc(total + 1);
		s->hdr = calloc(n ? n : 1, sizeof(*s->hdr));
		s->from = calloc(n ? n : 1, sizeof(*s->from));
		if (!s->hdr_text || !s->hdr || !s->from)
			return SW_E_NOMEM;
		size_t off = 0;
		for (uint32_t i = 0; i < n; i++) {
			struct sw_str c = sw_report_reader_colname(r, i);
			memcpy(s->hdr_text + off, c.p, c.len);
			s->hdr[i] = sw_str_make(s->hdr_text + off, c.len);
			off += c.len;
		}
		s->ncols = n;
		s->have_hdr = 1;
	}
	for (uint32_t i = 0; i < s->ncols; i++) {
		s->from[i] = -1;
		for (uint32_t k = 0; k < n; k++) {
			struct sw_str c = sw_report_reader_colname(r, k);
			if (c.len == s->hdr[i].len && strncasecmp(c.p, s->hdr[i].p, c.len) == 0) {
				s->from[i] = (int32_t)k;
				break;
			}
		}
	}
	return 0;
}

/* The group file name of a row: name[0..] NUL-terminated, safe as one path component. */
static void group_name(struct sw_split *s, const struct sw_report_row *row, char *name, size_t size)
{
	struct sw_str v = SW_STR_NULL;
	const char *prefix = "";
	if (s->by == SW_SPLIT_PREFIX) {
		uint8_t a[16];
		int fam = sw_report_addr_parse(row->col[SW_SCAN_COL_IP], a);
		int32_t i = -1;
		if (fam == 4)
			i = map_find(s,
				     (struct sw_u128){0xffffu, (uint64_t)a[0] << 24 |
								       (uint64_t)a[1] << 16 |
								       (uint64_t)a[2] << 8 | a[3]});
		else if (fam == 6)
			i = map_find(s, sw_u128_from_bytes(a));
		if (!fam)
			s->st.badip++;
		if (i < 0) {
			s->st.unmatched++;
			snprintf(name, size, "unmatched");
			return;
		}
		const char *nm = s->names + s->r[i].name;
		v = sw_str_make(nm, strlen(nm));
	} else {
		v = row->col[s->by == SW_SPLIT_ASN ? SW_SCAN_COL_ASN : SW_SCAN_COL_GEO];
		while (v.len && (v.p[0] == ' ' || v.p[0] == '\t'))
			v.p++, v.len--;
		if (s->by == SW_SPLIT_ASN && v.len > 2 && (v.p[0] == 'A' || v.p[0] == 'a') &&
		    (v.p[1] == 'S' || v.p[1] == 's'))
			v.p += 2, v.len -= 2;
		prefix = s->by == SW_SPLIT_ASN ? "AS" : "";
	}
	if (!v.len) {
		snprintf(name, size, "unknown");
		return;
	}
	size_t o = (size_t)snprintf(name, size, "%s", prefix);
	for (uint32_t i = 0; i < v.len && o + 1 < size && o < 100; i++) {
		char c = v.p[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '-' || c == '_' || (c == '.' && o > 0);
		name[o++] = ok ? c : '_';
	}
	name[o] = '\0';
}

static FILE *group_file(struct sw_split *s, const char *name)
{
	uint32_t id;
	if (sw_counter_intern(s->ids, sw_str_make(name, strlen(name)), &id) != 0) {
		snprintf(s->error, sizeof(s->error), "more than %u groups", SW_SPLIT_GROUPS);
		return NULL;
	}
	if (id >= s->capg) {
		size_t cap = s->capg ? s->capg * 2 : 256;
		struct group *ng = realloc(s->g, cap * sizeof(*ng));
		if (!ng)
			return NULL;
		memset(ng + s->capg, 0, (cap - s->capg) * sizeof(*ng));
		s->g = ng;
		s->capg = cap;
	}
	if (id >= s->ng)
		s->ng = id + 1;
	struct group *g = &s->g[id];
	g->last_use = ++s->tick;
	if (g->f)
		return g->f;
	if (s->nopen == SW_SPLIT_OPEN) { /* close the least recently used */
		struct group *old = NULL;
		for (size_t i = 0; i < s->ng; i++)
			if (s->g[i].f && (!old || s->g[i].last_use < old->last_use))
				old = &s->g[i];
		if (fclose(old->f) != 0) {
			snprintf(s->error, sizeof(s->error), "%s: write error", s->dir);
			old->f = NULL;
			return NULL;
		}
		old->f = NULL;
		s->nopen--;
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s.csv", s->dir, name);
	g->f = fopen(path, g->created ? "a" : "w");
	if (!g->f) {
		snprintf(s->error, sizeof(s->error), "%s: cannot create: %s", path,
			 strerror(errno));
		return NULL;
	}
	s->nopen++;
	if (!g->created) {
		g->created = 1;
		s->st.groups++;
		struct sw_csv c;
		sw_csv_init(&c, g->f, 0);
		for (uint32_t i = 0; i < s->ncols; i++)
			sw_csv_quoted(&c, s->hdr[i]);
		sw_csv_end(&c);
	}
	return g->f;
}

int sw_split_row(void *split, const struct sw_report_row *row)
{
	struct sw_split *s = split;
	char name[128];
	group_name(s, row, name, sizeof(name));
	FILE *f = group_file(s, name);
	if (!f)
		return SW_E_IO;
	struct sw_csv c;
	sw_csv_init(&c, f, 0);
	for (uint32_t i = 0; i < s->ncols; i++)
		sw_csv_field(&c, s->from[i] >= 0 && (uint32_t)s->from[i] < row->nfields ?
					 row->field[s->from[i]] :
					 SW_STR_NULL);
	if (sw_csv_end(&c) != 0) {
		snprintf(s->error, sizeof(s->error), "%s/%s.csv: write error", s->dir, name);
		return SW_E_IO;
	}
	s->st.rows++;
	return 0;
}

int sw_split_finish(struct sw_split *s, char *err, size_t errlen)
{
	int rc = 0;
	for (size_t i = 0; i < s->ng; i++) {
		if (!s->g[i].f)
			continue;
		if (fclose(s->g[i].f) != 0 && !rc) {
			snprintf(err, errlen, "%s: write error", s->dir);
			rc = SW_E_IO;
		}
		s->g[i].f = NULL;
	}
	s->nopen = 0;
	return rc;
}

const char *sw_split_error(const struct sw_split *s)
{
	return s->error;
}

const struct sw_split_stats *sw_split_stats(const struct sw_split *s)
{
	return &s->st;
}
