#include "out/geoip.h"

#include <errno.h>
#include <maxminddb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/err.h"
#include "net/udp.h"

/* The metadata marker alone ("\xab\xcd\xefMaxMind.com") is 14 bytes. */
#define MMDB_MIN_SIZE 14

struct sw_geoip {
	MMDB_s db;
	enum sw_geoip_kind kind;
};

size_t sw_geoip_copy_text(char *dst, size_t cap, const char *src, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;
	/* Cut before a continuation byte so a multi-byte character is never split. */
	if (n < len)
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	dst[n] = '\0';
	return n;
}

/* Whether the database type names contain any of the words (case-sensitive, as MaxMind writes). */
static int type_has(const char *type, const char *const *words)
{
	for (; *words; words++)
		if (strstr(type, *words))
			return 1;
	return 0;
}

/*
 * Refuse only a database that is clearly of the other kind, by its type: a City or Country
 * database given for ASNs, an ASN database given for locations. Types we do not know pass (their
 * records are read for what they have).
 */
static int check_kind(const char *path, const char *type, enum sw_geoip_kind kind, char *err,
		      size_t errlen)
{
	static const char *const asn_words[] = {"ASN", "ISP", "Enterprise", NULL};
	static const char *const loc_words[] = {"City", "Country", "Location", "Enterprise", NULL};
	if (kind == SW_GEOIP_ASN && type_has(type, loc_words) && !type_has(type, asn_words)) {
		sw_errf(err, errlen,
			"%s: database type '%s' is a location database, not an ASN database (give "
			"it as --city-db)",
			path, type);
		return SW_E_INVAL;
	}
	if (kind == SW_GEOIP_CITY && type_has(type, asn_words) && !type_has(type, loc_words)) {
		sw_errf(err, errlen,
			"%s: database type '%s' is an ASN database, not a city or country database "
			"(give it as --asn-db)",
			path, type);
		return SW_E_INVAL;
	}
	return 0;
}

int sw_geoip_open(const char *path, enum sw_geoip_kind kind, struct sw_geoip **ret_g, char *err,
		  size_t errlen)
{
	struct sw_geoip *g = calloc(1, sizeof(*g));
	if (!g) {
		sw_errf(err, errlen, "%s: out of memory", path);
		return SW_E_NOMEM;
	}
	g->kind = kind;
	/* What MMDB_open reports as an I/O error for these is better said plainly. */
	struct stat sb;
	if (stat(path, &sb) == 0 && (!S_ISREG(sb.st_mode) || sb.st_size < MMDB_MIN_SIZE)) {
		if (!S_ISREG(sb.st_mode))
			sw_errf(err, errlen, "%s: not a regular file", path);
		else
			sw_errf(err, errlen, "%s: not a MaxMind DB file (only %lld bytes)", path,
				(long long)sb.st_size);
		free(g);
		return S_ISREG(sb.st_mode) ? SW_E_SYNTAX : SW_E_IO;
	}
	errno = 0;
	int st = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
	if (st != MMDB_SUCCESS) {
		int rc;
		int e = errno;
		if (st == MMDB_FILE_OPEN_ERROR) {
			sw_errf(err, errlen, "%s: cannot open: %s", path,
				e ? strerror(e) : "unknown error");
			rc = SW_E_IO;
		} else if (st == MMDB_IO_ERROR) {
			sw_errf(err, errlen, "%s: cannot read: %s", path,
				e ? strerror(e) : "unknown error");
			rc = SW_E_IO;
		} else if (st == MMDB_OUT_OF_MEMORY_ERROR) {
			sw_errf(err, errlen, "%s: out of memory", path);
			rc = SW_E_NOMEM;
		} else {
			sw_errf(err, errlen, "%s: not a MaxMind DB file (%s)", path,
				MMDB_strerror(st));
			rc = SW_E_SYNTAX;
		}
		free(g); /* MMDB_open frees what it took on failure */
		return rc;
	}
	int rc = check_kind(path, sw_geoip_type(g), kind, err, errlen);
	if (rc != 0) {
		sw_geoip_close(g);
		return rc;
	}
	*ret_g = g;
	return 0;
}

void sw_geoip_close(struct sw_geoip *g)
{
	if (!g)
		return;
	MMDB_close(&g->db);
	free(g);
}

const char *sw_geoip_type(const struct sw_geoip *g)
{
	const char *t = g->db.metadata.database_type;
	return t ? t : "";
}

/* The record for addr, or SW_E_EOF / SW_E_INVAL / SW_E_IO. */
static int lookup(struct sw_geoip *g, const struct sw_endpoint *addr, MMDB_lookup_result_s *ret)
{
	if (addr->family != AF_INET && addr->family != AF_INET6)
		return SW_E_INVAL;
	struct sockaddr_storage ss;
	struct sw_endpoint a = *addr;
	a.port = 0;
	if (!sw_sockaddr(&a, &ss, sizeof(ss)))
		return SW_E_INVAL;
	int mmerr = MMDB_SUCCESS;
	*ret = MMDB_lookup_sockaddr(&g->db, (const struct sockaddr *)&ss, &mmerr);
	if (mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return SW_E_EOF;
	if (mmerr != MMDB_SUCCESS)
		return SW_E_IO;
	return ret->found_entry ? 0 : SW_E_EOF;
}

/* The value at path (NULL-terminated) under the record, when it has the given type. */
static int value_at(MMDB_lookup_result_s *res, const char *const *path, MMDB_entry_data_s *ret)
{
	MMDB_entry_data_s d;
	if (MMDB_aget_value(&res->entry, &d, path) != MMDB_SUCCESS || !d.has_data)
		return 0;
	*ret = d;
	return 1;
}

static int text_at(MMDB_lookup_result_s *res, const char *const *path, char *dst, size_t cap)
{
	MMDB_entry_data_s d;
	if (!value_at(res, path, &d) || d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0)
		return 0;
	sw_geoip_copy_text(dst, cap, d.utf8_string, d.data_size);
	return 1;
}

int sw_geoip_asn(struct sw_geoip *g, const struct sw_endpoint *addr, uint32_t *ret_asn)
{
	static const char *const p1[] = {"autonomous_system_number", NULL};
	static const char *const p2[] = {"traits", "autonomous_system_number", NULL};
	MMDB_lookup_result_s res;
	int rc = lookup(g, addr, &res);
	if (rc != 0)
		return rc;
	MMDB_entry_data_s d;
	if (!value_at(&res, p1, &d) && !value_at(&res, p2, &d))
		return SW_E_EOF;
	uint64_t v;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT16:
		v = d.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		v = d.uint32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		v = d.uint64;
		break;
	case MMDB_DATA_TYPE_INT32:
		v = d.int32 < 0 ? UINT64_MAX : (uint64_t)d.int32;
		break;
	default:
		return SW_E_EOF;
	}
	if (v > UINT32_MAX)
		return SW_E_EOF;
	*ret_asn = (uint32_t)v;
	return 0;
}

int sw_geoip_city(struct sw_geoip *g, const struct sw_endpoint *addr, struct sw_geoip_loc *ret)
{
	static const char *const country[] = {"country", "iso_code", NULL};
	static const char *const registered[] = {"registered_country", "iso_code", NULL};
	static const char *const region[] = {"subdivisions", "0", "names", "en", NULL};
	static const char *const city[] = {"city", "names", "en", NULL};
	memset(ret, 0, sizeof(*ret));
	MMDB_lookup_result_s res;
	int rc = lookup(g, addr, &res);
	if (rc != 0)
		return rc;
	if (!text_at(&res, country, ret->geo, sizeof(ret->geo)))
		text_at(&res, registered, ret->geo, sizeof(ret->geo));
	text_at(&res, region, ret->region, sizeof(ret->region));
	text_at(&res, city, ret->city, sizeof(ret->city));
	return 0;
}
