/* Helpers shared by the scan report tests (test_scan_csv.c, test_scan_jsonl.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out/scan_csv.h"
#include "scanutil.h"
#include "testutil.h"

/* Guard-page copies of the replies of the current test, freed at its end. */
static struct {
	char *p;
	size_t len;
} guards[8];
static unsigned nguards;

const char *tu_guarded(const char *p, size_t len)
{
	assert_true(nguards < sizeof(guards) / sizeof(guards[0]));
	guards[nguards].p = tu_guard_copy(p, len);
	guards[nguards].len = len;
	return guards[nguards++].p;
}

int tu_free_guards(void **state)
{
	(void)state;
	for (unsigned i = 0; i < nguards; i++)
		tu_guard_free(guards[i].p, guards[i].len);
	nguards = 0;
	return 0;
}

/* A record for a probe of a.b.c.d:port at sec with the 7-byte bare probe. */
void tu_rec_v4(struct sw_scan_record *rec, const char *addr, uint16_t port, int64_t sec)
{
	uint8_t a[4];
	struct sw_endpoint ep;
	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	sw_endpoint_set_v4(&ep, a, port);
	sw_scan_record_init(rec, &ep, sec, 250000, SW_STR_LIT("bare"), 7);
}

/* The first reply packet, from src_port (a guarded copy of len bytes of p). */
void tu_rec_reply(struct sw_scan_record *rec, const char *p, size_t len, uint16_t src_port)
{
	sw_scan_record_add_packet(rec, (uint32_t)len);
	sw_scan_record_set_first(rec, tu_guarded(p, len), (uint32_t)len, src_port);
}

/* The enrichment of the seed's sample rows. */
void tu_sample_enrich(struct sw_scan_record *rec, const char *hostname)
{
	rec->hostname = sw_str_make(hostname, strlen(hostname));
	rec->asn = SW_STR_LIT("64512");
	rec->geo = SW_STR_LIT("ZZ");
	rec->region = SW_STR_LIT("Region");
	rec->city = SW_STR_LIT("City");
}

/* Run a writer into a string (free it). */
char *tu_capture_output(int (*fn)(FILE *, const struct sw_scan_row *),
			const struct sw_scan_row *row)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (fn)
		assert_int_equal(fn(f, row), 0);
	else
		assert_int_equal(sw_scan_csv_header(f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}
