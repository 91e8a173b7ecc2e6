/*
 * The sector map (format and precedence in sector.h).
 *
 * Storage: entries in load order (line, NAICS code, offset of the sector text in one string
 * pool); AS numbers as a sorted array of (asn, entry); prefixes as one array sorted by family,
 * then prefix length from the longest down, then address, with an index of the lengths present
 * per family. A lookup masks the address to each length present, longest first, and binary
 * searches that length's run: at most 33 (IPv4) or 129 (IPv6) searches, in practice a handful,
 * and the first hit is the longest match.
 */
#include "out/sector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/err.h"
#include "core/listfile.h"
#include "core/utf8.h"
#include "net/prefix.h"

#define FILE_MAX ((size_t)256 << 20) /* the largest map read: 1M lines of 256 bytes */

struct entry {
	uint32_t line;
	uint32_t sector; /* offset in the pool */
	char naics[8];
};

struct asn_key {
	uint32_t asn;
	uint32_t entry;
};

struct pfx_key {
	struct sw_u128 addr; /* masked; IPv4 in the low 32 bits of lo */
	uint8_t family;      /* 4 or 6, so the sort puts IPv4 first */
	uint8_t len;
	uint32_t entry;
};

/* A run of prefixes of one family and length in the sorted array. */
struct len_run {
	uint8_t family, len;
	uint32_t start, count;
};

struct sw_sector {
	struct entry *ent;
	size_t nent, capent;
	struct asn_key *asn;
	size_t nasn, capasn;
	struct pfx_key *pfx;
	size_t npfx, cappfx;
	struct len_run runs[2 * 130];
	size_t nruns;
	char *pool;
	size_t npool, cappool;
};

/* Grow *p (of *cap elements of size sz) to hold one more; 0 or SW_E_NOMEM. */
static int grow(void **p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	void *np = realloc(*p, nc * sz);
	if (!np)
		return SW_E_NOMEM;
	*p = np;
	*cap = nc;
	return 0;
}

static struct sw_u128 mask_of(uint8_t family, uint8_t len)
{
	struct sw_u128 m = {0, 0};
	if (family == 4) {
		m.lo = len == 0 ? 0 : (UINT64_C(0xffffffff) << (32 - len)) & UINT64_C(0xffffffff);
		return m;
	}
	m.hi = len >= 64 ? UINT64_MAX : len == 0 ? 0 : UINT64_MAX << (64 - len);
	m.lo = len <= 64 ? 0 : len == 128 ? UINT64_MAX : UINT64_MAX << (128 - len);
	return m;
}

static struct sw_u128 and128(struct sw_u128 a, struct sw_u128 m)
{
	return (struct sw_u128){a.hi & m.hi, a.lo & m.lo};
}

/* The prefix an interval is, or -1 when it is not one (not aligned, or not a power of two). */
static int prefix_len(uint8_t family, struct sw_u128 lo, struct sw_u128 hi)
{
	int bits = family == 4 ? 32 : 128;
	for (int l = 0; l <= bits; l++) {
		struct sw_u128 m = mask_of(family, (uint8_t)l);
		struct sw_u128 host = {~m.hi, ~m.lo};
		if (family == 4)
			host = (struct sw_u128){0, ~m.lo & UINT64_C(0xffffffff)};
		if ((lo.hi & host.hi) || (lo.lo & host.lo))
			continue;
		if (hi.hi == (lo.hi | host.hi) && hi.lo == (lo.lo | host.lo))
			return l;
	}
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "AS64500", "as64500", "64500" -> 0 and *ret; otherwise SW_E_SYNTAX. */
static int parse_asn(const char *s, size_t n, uint32_t *ret)
{
	if (n >= 2 && (s[0] | 0x20) == 'a' && (s[1] | 0x20) == 's') {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 10)
		return SW_E_SYNTAX;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return SW_E_SYNTAX;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return SW_E_SYNTAX;
	*ret = (uint32_t)v;
	return 0;
}

struct line_ctx {
	struct sw_sector *m;
	const char *name;
	uint32_t lineno;
	char *err;
	size_t errlen;
};

static int line_err(struct line_ctx *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int line_err(struct line_ctx *c, int rc, const char *fmt, ...)
{
	char msg[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sw_errf(c->err, c->errlen, "%s:%u: %s", c->name, c->lineno, msg);
	return rc;
}

/* Sector text: valid UTF-8, no control characters but tabs (which become spaces). */
static int check_sector(struct line_ctx *c, const char *s, size_t n)
{
	if (n >= SW_SECTOR_NAME_MAX)
		return line_err(c, SW_E_SYNTAX, "sector name longer than %d bytes",
				SW_SECTOR_NAME_MAX - 1);
	for (size_t i = 0; i < n;) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x80) {
			size_t k = sw_utf8_seq((const unsigned char *)s + i, n - i);
			if (!k)
				return line_err(c, SW_E_SYNTAX, "sector name is not valid UTF-8");
			i += k;
			continue;
		}
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return line_err(c, SW_E_SYNTAX, "control character in the sector name");
		i++;
	}
	return 0;
}

/* Append n bytes (tabs as spaces) and a NUL to the pool; the offset in *ret. */
static int pool_add(struct sw_sector *m, const char *s, size_t n, uint32_t *ret)
{
	while (m->npool + n + 1 > m->cappool) {
		size_t nc = m->cappool ? m->cappool * 2 : 4096;
		char *np = realloc(m->pool, nc);
		if (!np)
			return SW_E_NOMEM;
		m->pool = np;
		m->cappool = nc;
	}
	*ret = (uint32_t)m->npool;
	for (size_t i = 0; i < n; i++)
		m->pool[m->npool++] = s[i] == '\t' ? ' ' : s[i];
	m->pool[m->npool++] = '\0';
	return 0;
}

/*
 * The sector after the code: a quoted string, or the rest of the line up to a comment. On
 * success *ret_len bytes are in buf (unquoted).
 */
static int parse_sector(struct line_ctx *c, const char *p, const char *e, char *buf, size_t cap,
			size_t *ret_len)
{
	size_t n = 0;
	if (p < e && *p == '"') {
		p++;
		for (;;) {
			if (p == e)
				return line_err(c, SW_E_SYNTAX, "sector name has no closing quote");
			if (*p == '"') {
				if (p + 1 < e && p[1] == '"') {
					p++;
				} else {
					p++;
					break;
				}
			}
			if (n + 1 >= cap)
				return line_err(c, SW_E_SYNTAX, "sector name longer than %d bytes",
						SW_SECTOR_NAME_MAX - 1);
			buf[n++] = *p++;
		}
		while (p < e && is_blank(*p))
			p++;
		if (p < e && *p != '#')
			return line_err(c, SW_E_SYNTAX, "text after the quoted sector name");
	} else {
		const char *q = p;
		while (q < e && *q != '#')
			q++;
		while (q > p && is_blank(q[-1]))
			q--;
		if ((size_t)(q - p) >= cap)
			return line_err(c, SW_E_SYNTAX, "sector name longer than %d bytes",
					SW_SECTOR_NAME_MAX - 1);
		n = (size_t)(q - p);
		memcpy(buf, p, n);
	}
	int rc = check_sector(c, buf, n);
	if (rc != 0)
		return rc;
	*ret_len = n;
	return 0;
}

/* One line (no newline). */
static int parse_line(struct line_ctx *c, const char *p, size_t len)
{
	struct sw_sector *m = c->m;
	const char *e = p + len;
	char q[96];
	while (p < e && is_blank(*p))
		p++;
	if (p == e || *p == '#')
		return 0;
	const char *k = p;
	while (p < e && !is_blank(*p) && *p != '#')
		p++;
	size_t klen = (size_t)(p - k);
	while (p < e && is_blank(*p))
		p++;
	const char *code = p;
	while (p < e && !is_blank(*p) && *p != '#')
		p++;
	size_t clen = (size_t)(p - code);
	while (p < e && is_blank(*p))
		p++;
	sw_list_quote(q, sizeof(q), k, klen);
	if (clen == 0)
		return line_err(c, SW_E_SYNTAX, "%s has no NAICS code after it", q);

	/* The key: an AS number or a prefix. */
	uint32_t asn = 0;
	bool is_asn = parse_asn(k, klen, &asn) == 0;
	struct sw_iprange r;
	struct sw_u128 kaddr = {0, 0};
	int plen = -1;
	uint8_t fam = 0;
	if (!is_asn) {
		if (memchr(k, '-', klen))
			return line_err(c, SW_E_SYNTAX, "%s is a range; give prefixes", q);
		char sub[256];
		if (sw_iprange_parse(k, klen, &r, sub, sizeof(sub)) != 0)
			return line_err(c, SW_E_SYNTAX, "%s is not an AS number, prefix or address",
					q);
		fam = r.family == AF_INET ? 4 : 6;
		struct sw_u128 lo, hi;
		if (fam == 4) {
			lo = (struct sw_u128){0, r.v4.lo};
			hi = (struct sw_u128){0, r.v4.hi};
		} else {
			lo = r.v6.lo;
			hi = r.v6.hi;
		}
		plen = prefix_len(fam, lo, hi);
		if (plen < 0)
			return line_err(c, SW_E_SYNTAX, "%s is not a prefix", q);
		kaddr = lo;
	}

	/* The NAICS code: "0", or 2 to 6 digits not starting with 0. */
	bool ok = clen == 1 ? code[0] == '0' : clen >= 2 && clen <= 6 && code[0] != '0';
	for (size_t i = 0; ok && i < clen; i++)
		ok = is_digit(code[i]);
	if (!ok) {
		char cq[96];
		sw_list_quote(cq, sizeof(cq), code, clen);
		return line_err(c, SW_E_SYNTAX, "NAICS code %s is not 2 to 6 digits (or 0)", cq);
	}

	char sector[SW_SECTOR_NAME_MAX];
	size_t slen = 0;
	int rc = parse_sector(c, p, e, sector, sizeof(sector), &slen);
	if (rc != 0)
		return rc;

	if (m->nent >= SW_SECTOR_MAX_ENTRIES)
		return line_err(c, SW_E_LIMIT, "more than %d entries", SW_SECTOR_MAX_ENTRIES);
	if (grow((void **)&m->ent, &m->capent, m->nent, sizeof(*m->ent)) != 0)
		return line_err(c, SW_E_NOMEM, "out of memory");
	struct entry *en = &m->ent[m->nent];
	memset(en, 0, sizeof(*en));
	en->line = c->lineno;
	memcpy(en->naics, code, clen);
	if (pool_add(m, sector, slen, &en->sector) != 0)
		return line_err(c, SW_E_NOMEM, "out of memory");
	uint32_t idx = (uint32_t)m->nent++;
	if (is_asn) {
		if (grow((void **)&m->asn, &m->capasn, m->nasn, sizeof(*m->asn)) != 0)
			return line_err(c, SW_E_NOMEM, "out of memory");
		m->asn[m->nasn++] = (struct asn_key){asn, idx};
	} else {
		if (grow((void **)&m->pfx, &m->cappfx, m->npfx, sizeof(*m->pfx)) != 0)
			return line_err(c, SW_E_NOMEM, "out of memory");
		m->pfx[m->npfx++] = (struct pfx_key){kaddr, fam, (uint8_t)plen, idx};
	}
	return 0;
}

static int cmp_asn(const void *a, const void *b)
{
	const struct asn_key *x = a, *y = b;
	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Family, then length longest first, then address, then load order. */
static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx_key *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	int c = sw_u128_cmp(x->addr, y->addr);
	if (c)
		return c;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static void format_key(const struct pfx_key *p, char *buf, size_t cap)
{
	struct sw_endpoint ep;
	uint8_t b[16];
	if (p->family == 4) {
		uint32_t v = (uint32_t)p->addr.lo;
		uint8_t b4[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
				 (uint8_t)v};
		sw_endpoint_set_v4(&ep, b4, 0);
	} else {
		sw_u128_to_bytes(p->addr, b);
		sw_endpoint_set_v6(&ep, b, 0);
	}
	char a[SW_ADDR_STRLEN];
	sw_addr_format(&ep, a, sizeof(a));
	snprintf(buf, cap, "%s/%u", a, p->len);
}

/* Sort, refuse duplicates, index the prefix lengths. */
static int finish(struct sw_sector *m, const char *name, char *err, size_t errlen)
{
	if (m->nasn)
		qsort(m->asn, m->nasn, sizeof(*m->asn), cmp_asn);
	for (size_t i = 1; i < m->nasn; i++)
		if (m->asn[i].asn == m->asn[i - 1].asn) {
			sw_errf(err, errlen, "%s:%u: AS%u is mapped already on line %u", name,
				m->ent[m->asn[i].entry].line, m->asn[i].asn,
				m->ent[m->asn[i - 1].entry].line);
			return SW_E_INVAL;
		}
	if (m->npfx)
		qsort(m->pfx, m->npfx, sizeof(*m->pfx), cmp_pfx);
	m->nruns = 0;
	for (size_t i = 0; i < m->npfx; i++) {
		const struct pfx_key *p = &m->pfx[i];
		if (i > 0 && p->family == p[-1].family && p->len == p[-1].len &&
		    sw_u128_cmp(p->addr, p[-1].addr) == 0) {
			char key[80];
			format_key(p, key, sizeof(key));
			sw_errf(err, errlen, "%s:%u: %s is mapped already on line %u", name,
				m->ent[p->entry].line, key, m->ent[p[-1].entry].line);
			return SW_E_INVAL;
		}
		if (m->nruns == 0 || m->runs[m->nruns - 1].family != p->family ||
		    m->runs[m->nruns - 1].len != p->len)
			m->runs[m->nruns++] = (struct len_run){p->family, p->len, (uint32_t)i, 0};
		m->runs[m->nruns - 1].count++;
	}
	return 0;
}

int sw_sector_load_buf(const char *name, const char *buf, size_t len, struct sw_sector **ret_m,
		       char *err, size_t errlen)
{
	struct sw_sector *m = calloc(1, sizeof(*m));
	if (!m) {
		sw_errf(err, errlen, "%s: out of memory", name);
		return SW_E_NOMEM;
	}
	struct line_ctx c = {m, name, 0, err, errlen};
	int rc = 0;
	size_t off = 0;
	while (off < len) {
		const char *ls = buf + off;
		const char *nl = memchr(ls, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - ls) : len - off;
		off += ll + (nl ? 1 : 0);
		c.lineno++;
		if (ll && ls[ll - 1] == '\r')
			ll--;
		if (ll > SW_SECTOR_LINE_MAX) {
			rc = line_err(&c, SW_E_LIMIT, "line longer than %d bytes",
				      SW_SECTOR_LINE_MAX);
			break;
		}
		if (memchr(ls, '\0', ll)) {
			rc = line_err(&c, SW_E_SYNTAX, "NUL byte in the line (not a text file?)");
			break;
		}
		if ((rc = parse_line(&c, ls, ll)) != 0)
			break;
	}
	if (rc == 0)
		rc = finish(m, name, err, errlen);
	if (rc != 0) {
		sw_sector_free(m);
		return rc;
	}
	*ret_m = m;
	return 0;
}

int sw_sector_load(const char *path, struct sw_sector **ret_m, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		sw_errf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return SW_E_IO;
	}
	int rc = SW_E_NOMEM;
	size_t n = 0, cap = 0;
	char *buf = NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= FILE_MAX) {
				sw_errf(err, errlen, "'%s': larger than %zu MB", path,
					FILE_MAX >> 20);
				rc = SW_E_LIMIT;
				goto out;
			}
			size_t nc = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, nc);
			if (!nb) {
				sw_errf(err, errlen, "'%s': out of memory", path);
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				sw_errf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
				rc = SW_E_IO;
				goto out;
			}
			break;
		}
	}
	rc = sw_sector_load_buf(path, buf, n, ret_m, err, errlen);
out:
	free(buf);
	fclose(f);
	return rc;
}

void sw_sector_free(struct sw_sector *m)
{
	if (!m)
		return;
	free(m->ent);
	free(m->asn);
	free(m->pfx);
	free(m->pool);
	free(m);
}

size_t sw_sector_count(const struct sw_sector *m)
{
	return m->nent;
}

/* Binary search of one run for addr (already masked). */
static const struct pfx_key *find_in_run(const struct sw_sector *m, const struct len_run *run,
					 struct sw_u128 a)
{
	size_t lo = run->start, hi = (size_t)run->start + run->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = sw_u128_cmp(m->pfx[mid].addr, a);
		if (c == 0)
			return &m->pfx[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int sw_sector_lookup(const struct sw_sector *m, const struct sw_endpoint *addr, bool has_asn,
		     uint32_t asn, const char **ret_naics, const char **ret_sector)
{
	const struct entry *hit = NULL;
	if (addr && (addr->family == AF_INET || addr->family == AF_INET6)) {
		uint8_t fam = addr->family == AF_INET ? 4 : 6;
		struct sw_u128 a;
		if (fam == 4)
			a = (struct sw_u128){
				0, (uint64_t)addr->addr[0] << 24 | (uint64_t)addr->addr[1] << 16 |
					   (uint64_t)addr->addr[2] << 8 | addr->addr[3]};
		else
			a = sw_u128_from_bytes(addr->addr);
		for (size_t i = 0; i < m->nruns && !hit; i++) {
			const struct len_run *run = &m->runs[i];
			if (run->family != fam)
				continue;
			const struct pfx_key *p =
				find_in_run(m, run, and128(a, mask_of(fam, run->len)));
			if (p)
				hit = &m->ent[p->entry];
		}
	}
	if (!hit && has_asn) {
		size_t lo = 0, hi = m->nasn;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (m->asn[mid].asn == asn) {
				hit = &m->ent[m->asn[mid].entry];
				break;
			}
			if (m->asn[mid].asn < asn)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (!hit)
		return SW_E_EOF;
	*ret_naics = hit->naics;
	*ret_sector = m->pool + hit->sector;
	return 0;
}
