/*
 * gen ROWS SEED: write a scan_sip CSV of ROWS rows to standard output, the same bytes for the
 * same arguments, shaped like the files Shadowserver sends (its seed's header and quoting).
 *
 * - ip: distinct for every row (an odd multiplier modulo 2^32 is a bijection), 1% IPv6;
 * - response_size: log-normal with median 85 and mean ~200 bytes (Shadowserver's page: median
 *   amplification 12.1, mean 28.4 for the 7-byte probe), 25..65000; amplification = size / 7
 *   with two decimals, as the scan writes it;
 * - status codes 200/404/401/403/400/503 at 45/20/15/10/8/2%;
 * - 45% of rows carry a Server header, 20% a User-Agent (one of 24 product families, versions
 *   drawn from small ranges: a few thousand distinct raw values), the others neither - like the
 *   bare "400 Bad Request" rows of the seed's sample; rows with a product carry Via, To, From,
 *   Call-ID, CSeq, Contact and Allow values with commas, quotes and spaces to quote;
 * - asn from 3,000 ASNs and geo from 60 countries, both skewed (a cube of a uniform draw), so
 *   the top lists have clear winners; 30% of rows have a PTR hostname; 20% a sector with
 *   commas.
 * Built by bench/report with -O2 -lm; not part of sipwarden.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double unif(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(unif() * n);
}

/* Skewed toward 0: the cube of a uniform draw. */
static unsigned skew(unsigned n)
{
	double u = unif();
	return (unsigned)(u * u * u * n);
}

static double normal(void)
{
	double u1 = unif(), u2 = unif();
	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static const char *const cc[60] = {
	"US", "CN", "DE", "RU", "BR", "JP", "FR", "GB", "IT", "KR", "IN", "NL", "CA", "ES", "PL",
	"TW", "VN", "UA", "TR", "MX", "AR", "SE", "ID", "AU", "TH", "RO", "CZ", "HK", "ZA", "IR",
	"CH", "AT", "BE", "BG", "CL", "CO", "DK", "EG", "FI", "GR", "HU", "IE", "IL", "KZ", "MY",
	"NG", "NO", "NZ", "PE", "PH", "PK", "PT", "SA", "SG", "SK", "RS", "LT", "LV", "EE", "ZZ",
};

/* Print one product value: family f, versions from the row's draws. */
static void product(char *b, size_t n, unsigned f)
{
	unsigned a = pick(4), c = pick(20), d = pick(40), e = pick(10);
	switch (f) {
	case 0:
		snprintf(b, n, "Asterisk PBX %u.%u.%u", 13 + a * 3, c, d);
		break;
	case 1:
		snprintf(b, n, "FPBX-%u.0.%u(%u.%u.%u)", 13 + a, d, 16 + a, c, e);
		break;
	case 2:
		snprintf(b, n, "kamailio (5.%u.%u (x86_64/linux))", a + 3, e);
		break;
	case 3:
		snprintf(b, n, "FreeSWITCH-mod_sofia/1.%u.%u-release~64bit", 6 + a, e);
		break;
	case 4:
		snprintf(b, n, "Cisco-SIPGateway/IOS-%u.x", 12 + a);
		break;
	case 5:
		snprintf(b, n, "AVM FRITZ!Box 7590 1%u4.07.%u", a, 20 + e);
		break;
	case 6:
		snprintf(b, n, "Grandstream GXP2160 1.0.%u.%u", e, d);
		break;
	case 7:
		snprintf(b, n, "Yealink SIP-T46S 66.%u.0.%u", 80 + c, e);
		break;
	case 8:
		snprintf(b, n, "friendly-scanner");
		break;
	case 9:
		snprintf(b, n, "Z 5.%u.%u rv2.10.%u.%u", a, e, c, e);
		break;
	case 10:
		snprintf(b, n, "Huawei SoftX3000 V%u00R0%u", a + 1, e);
		break;
	case 11:
		snprintf(b, n, "OpenScape Voice V%u", 8 + a);
		break;
	case 12:
		snprintf(b, n, "Sip Server \"%u\"", e);
		break;
	case 13:
		snprintf(b, n, "MikroTik/%u.%u", 6, 40 + c);
		break;
	case 14:
		snprintf(b, n, "LANCOM 1783VA / %u.%u.%u", 10, 20 + a, d);
		break;
	case 15:
		snprintf(b, n, "Cisco-CP7965G/9.%u.%u", a, e);
		break;
	case 16:
		snprintf(b, n, "Linksys/SPA942-6.1.%u(a)", a);
		break;
	case 17:
		snprintf(b, n, "PolycomVVX-VVX_400-UA/5.%u.%u.%u", a, e, d);
		break;
	case 18:
		snprintf(b, n, "3CX Phone System %u.0.%u.%u", 16 + a, c, d);
		break;
	case 19:
		snprintf(b, n, "sipcli/v1.%u", e);
		break;
	case 20:
		snprintf(b, n, "Avaya CM/R0%u.%u", 16 + a, e);
		break;
	case 21:
		snprintf(b, n, "Mitel-3300-ICP %u.0.%u", 14 + a, e);
		break;
	case 22:
		snprintf(b, n, "Speedport W 724V 090%u", 11 + a);
		break;
	default:
		snprintf(b, n, "TP-Link VoIP %u.%u", a, e);
		break;
	}
}

/* A field for CSV: quoted when it holds a space, comma, quote, CR or LF (quotes doubled). */
static void field(const char *s)
{
	int q = 0;
	for (const char *p = s; *p; p++)
		if (*p == ' ' || *p == ',' || *p == '"' || *p == '\r' || *p == '\n')
			q = 1;
	if (!q) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			putchar('"');
		putchar(*p);
	}
	putchar('"');
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen ROWS SEED\n");
		return 2;
	}
	unsigned long long rows = strtoull(argv[1], NULL, 10);
	rng_state = strtoull(argv[2], NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
	static char out[1 << 20];
	setvbuf(stdout, out, _IOFBF, sizeof(out));
	fputs("\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\","
	      "\"geo\",\"region\",\"city\",\"sip\",\"sip_code\",\"sip_reason\",\"user_agent\","
	      "\"sip_via\",\"sip_to\",\"sip_from\",\"content_length\",\"content_type\",\"server\","
	      "\"contact\",\"cseq\",\"call_id\",\"allow\",\"amplification\",\"response_size\","
	      "\"hostname_source\",\"naics\",\"sector\"\n",
	      stdout);
	static const unsigned codes[] = {200, 404, 401, 403, 400, 503};
	static const char *const reasons[] = {"OK",        "Not Found",   "Unauthorized",
					      "Forbidden", "Bad Request", "Service Unavailable"};
	for (unsigned long long i = 0; i < rows; i++) {
		char ip[64], ua[128] = "", server[128] = "", via[160] = "", to[128] = "",
			     from[128] = "", callid[64] = "", contact[128] = "", host[64] = "";
		uint32_t a = (uint32_t)((i + 1) * 2654435761u + 16777216u);
		if (pick(100) == 0)
			snprintf(ip, sizeof(ip), "2001:db8:%x:%x::%x", (unsigned)(a >> 16),
				 (unsigned)(a & 0xffff), pick(65536));
		else
			snprintf(ip, sizeof(ip), "%u.%u.%u.%u", a >> 24, a >> 16 & 255,
				 a >> 8 & 255, a & 255);
		unsigned cr = pick(100);
		unsigned ci = cr < 45 ? 0 :
			      cr < 65 ? 1 :
			      cr < 80 ? 2 :
			      cr < 90 ? 3 :
			      cr < 98 ? 4 :
					5;
		unsigned kind = pick(100); /* < 45 server, < 65 user agent */
		if (kind < 45)
			product(server, sizeof(server), skew(24));
		else if (kind < 65)
			product(ua, sizeof(ua), skew(24));
		if (kind < 65) {
			snprintf(
				via, sizeof(via),
				"SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK%08x;rport=5060;received=%s",
				(unsigned)rnd(), "192.0.2.1");
			snprintf(to, sizeof(to), "\"%s\" <sip:nm@nm>;tag=%08x",
				 pick(2) ? "Anonymous" : "nm", (unsigned)rnd());
			snprintf(from, sizeof(from), "<sip:nm@nm>;tag=root");
			snprintf(callid, sizeof(callid), "%u", (unsigned)(rnd() % 100000));
			snprintf(contact, sizeof(contact), "<sip:%s:5060>", ip);
		}
		double size = exp(log(85.0) + 1.31 * normal());
		unsigned rs = size < 25 ? 25 : size > 65000 ? 65000 : (unsigned)size;
		int ptr = pick(10) < 3, sector = pick(5) == 0;
		if (ptr)
			snprintf(host, sizeof(host), "host-%u.example.net", a);
		unsigned g = skew(60);
		printf("\"2026-11-01 %02llu:%02llu:%02llu\",high,%s,udp,%u,", i / 3600 % 24,
		       i / 60 % 60, i % 60, ip, pick(20) ? 5060 : 5062);
		fputs(host, stdout);
		printf(",sip,%u,%s,Region %u,City %u,SIP/2.0,%u,", 64512 + skew(3000), cc[g], g,
		       pick(50), codes[ci]);
		field(reasons[ci]);
		putchar(',');
		field(ua);
		putchar(',');
		field(via);
		putchar(',');
		field(to);
		putchar(',');
		field(from);
		printf(",0,,");
		field(server);
		putchar(',');
		field(contact);
		printf(",%s,%s,", kind < 65 ? "\"42 OPTIONS\"" : "", callid);
		if (kind < 65)
			field("INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY");
		printf(",%.2f,%u,%s,%s,%s\n", rs / 7.0, rs, ptr ? "ptr" : "",
		       sector ? "517311" : "0",
		       sector ? "\"Communications, Service Provider, and Hosting Service\"" : "");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
