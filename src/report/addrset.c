#include "report/addrset.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

struct sw_addrset {
	uint64_t max;
	uint32_t *v4; /* address + 1 would overflow: 0 is "empty", 0.0.0.0 has its own flag */
	uint64_t n4, slots4;
	int zero4, full;
	uint8_t (*v6)[16];
	uint64_t n6, slots6;
	int zero6;
};

int sw_report_addr_parse(struct sw_str s, uint8_t ret[16])
{
	if (!s.p || s.len == 0 || s.len > 45)
		return 0;
	unsigned part = 0, val = 0, digits = 0;
	uint32_t i = 0;
	for (; i < s.len; i++) {
		char c = s.p[i];
		if (c >= '0' && c <= '9') {
			val = val * 10 + (unsigned)(c - '0');
			if (++digits > 3 || val > 255)
				break;
		} else if (c == '.' && digits && part < 3) {
			ret[part++] = (uint8_t)val;
			val = digits = 0;
		} else {
			break;
		}
	}
	if (i == s.len && part == 3 && digits) {
		ret[3] = (uint8_t)val;
		return 4;
	}
	if (!memchr(s.p, ':', s.len))
		return 0;
	char buf[46];
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	return inet_pton(AF_INET6, buf, ret) == 1 ? 6 : 0;
}

int sw_addrset_new(uint64_t max, struct sw_addrset **ret)
{
	struct sw_addrset *s = calloc(1, sizeof(*s));
	if (!s)
		return SW_E_NOMEM;
	s->max = max;
	*ret = s;
	return 0;
}

void sw_addrset_free(struct sw_addrset *s)
{
	if (!s)
		return;
	free(s->v4);
	free(s->v6);
	free(s);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdu;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53u;
	x ^= x >> 33;
	return x;
}

static uint64_t hash6(const uint8_t a[16])
{
	uint64_t h, l;
	memcpy(&h, a, 8);
	memcpy(&l, a + 8, 8);
	return mix(h ^ mix(l));
}

static int grow4(struct sw_addrset *s)
{
	uint64_t n = s->slots4 ? s->slots4 * 2 : 4096;
	uint32_t *t = calloc(n, sizeof(*t));
	if (!t)
		return SW_E_NOMEM;
	for (uint64_t i = 0; i < s->slots4; i++) {
		if (!s->v4[i])
			continue;
		uint64_t j = mix(s->v4[i]) & (n - 1);
		while (t[j])
			j = (j + 1) & (n - 1);
		t[j] = s->v4[i];
	}
	free(s->v4);
	s->v4 = t;
	s->slots4 = n;
	return 0;
}

static int grow6(struct sw_addrset *s)
{
	static const uint8_t zero[16];
	uint64_t n = s->slots6 ? s->slots6 * 2 : 256;
	uint8_t(*t)[16] = calloc(n, sizeof(*t));
	if (!t)
		return SW_E_NOMEM;
	for (uint64_t i = 0; i < s->slots6; i++) {
		if (memcmp(s->v6[i], zero, 16) == 0)
			continue;
		uint64_t j = hash6(s->v6[i]) & (n - 1);
		while (memcmp(t[j], zero, 16) != 0)
			j = (j + 1) & (n - 1);
		memcpy(t[j], s->v6[i], 16);
	}
	free(s->v6);
	s->v6 = t;
	s->slots6 = n;
	return 0;
}

int sw_addrset_add(struct sw_addrset *s, int family, const uint8_t addr[16])
{
	static const uint8_t zero[16];
	if (family == 4) {
		uint32_t k = (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 |
			     (uint32_t)addr[2] << 8 | addr[3];
		if (k == 0) {
			if (s->zero4)
				return 0;
			s->zero4 = 1;
			s->n4++;
			return 1;
		}
		if (s->slots4) {
			for (uint64_t j = mix(k) & (s->slots4 - 1); s->v4[j];
			     j = (j + 1) & (s->slots4 - 1))
				if (s->v4[j] == k)
					return 0;
		}
		if (s->n4 + s->n6 >= s->max) {
			s->full = 1;
			return SW_E_LIMIT;
		}
		if ((s->n4 + 1) * 2 > s->slots4 && grow4(s) != 0)
			return SW_E_NOMEM;
		uint64_t j = mix(k) & (s->slots4 - 1);
		while (s->v4[j])
			j = (j + 1) & (s->slots4 - 1);
		s->v4[j] = k;
		s->n4++;
		return 1;
	}
	if (memcmp(addr, zero, 16) == 0) {
		if (s->zero6)
			return 0;
		s->zero6 = 1;
		s->n6++;
		return 1;
	}
	uint64_t h = hash6(addr);
	if (s->slots6) {
		for (uint64_t j = h & (s->slots6 - 1); memcmp(s->v6[j], zero, 16) != 0;
		     j = (j + 1) & (s->slots6 - 1))
			if (memcmp(s->v6[j], addr, 16) == 0)
				return 0;
	}
	if (s->n4 + s->n6 >= s->max) {
		s->full = 1;
		return SW_E_LIMIT;
	}
	if ((s->n6 + 1) * 2 > s->slots6 && grow6(s) != 0)
		return SW_E_NOMEM;
	uint64_t j = h & (s->slots6 - 1);
	while (memcmp(s->v6[j], zero, 16) != 0)
		j = (j + 1) & (s->slots6 - 1);
	memcpy(s->v6[j], addr, 16);
	s->n6++;
	return 1;
}

uint64_t sw_addrset_count(const struct sw_addrset *s)
{
	return s->n4 + s->n6;
}

int sw_addrset_full(const struct sw_addrset *s)
{
	return s->full;
}
