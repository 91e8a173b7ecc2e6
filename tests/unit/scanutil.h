/* Helpers shared by the scan report tests (test_scan_csv.c, test_scan_jsonl.c). */
#ifndef SW_TEST_SCANUTIL_H
#define SW_TEST_SCANUTIL_H

#include <stdint.h>
#include <stdio.h>

#include "out/scan_csv.h"
#include "scan/record.h"

/* A guard-page copy of a reply, freed by tu_free_guards (a cmocka teardown). */
const char *tu_guarded(const char *p, size_t len);
int tu_free_guards(void **state);

/* A record for a probe of a.b.c.d:port at sec with the 7-byte bare probe. */
void tu_rec_v4(struct sw_scan_record *rec, const char *addr, uint16_t port, int64_t sec);

/* The first reply packet, from src_port (a guarded copy of len bytes of p). */
void tu_rec_reply(struct sw_scan_record *rec, const char *p, size_t len, uint16_t src_port);
#define REPLY(rec, lit, port) tu_rec_reply((rec), (lit), sizeof(lit) - 1, (port))

/* The enrichment of the seed's sample rows. */
void tu_sample_enrich(struct sw_scan_record *rec, const char *hostname);

/* Run a row writer (or, with fn NULL, the CSV header) into a string; free it. */
char *tu_capture_output(int (*fn)(FILE *, const struct sw_scan_row *),
			const struct sw_scan_row *row);

#endif
