/*
 * The scan_sip report as JSON Lines: the same rows as the CSV (the seed's sample, Kamailio's
 * answer from the capture fixture, compact and repeated headers, non-SIP and multi-packet
 * replies), each compared byte for byte with the expected line - numbers as numbers, unknowns
 * as null, the probe and every kept packet size added.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/capture.h"
#include "out/scan_jsonl.h"
#include "scan/record.h"
#include "scanutil.h"
#include "testutil.h"

#define CAPTURE(name) SW_TESTDATA "/captures/" name

/* 2010-02-10 00:00:00 UTC, the seed sample's first timestamp. */
#define SAMPLE_TIME INT64_C(1265760000)

/* The 30 report columns of a row whose SIP columns are all unknown, after the "sip" column. */
#define NO_HEADERS                                                                                 \
	"\"user_agent\":null,\"sip_via\":null,\"sip_to\":null,\"sip_from\":null,"                  \
	"\"content_length\":null,\"content_type\":null,\"server\":null,\"contact\":null,"          \
	"\"cseq\":null,\"call_id\":null,\"allow\":null,"

/* The JSON line of a record (free it). */
static char *json_line(const struct sw_scan_record *rec)
{
	struct sw_scan_row *row = malloc(sizeof(*row));
	assert_non_null(row);
	assert_int_equal(sw_scan_record_fields(rec, row), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(sw_scan_jsonl_row(f, row), 0);
	assert_int_equal(fclose(f), 0);
	free(row);
	return buf;
}

#define assert_json(rec, want)                                                                     \
	do {                                                                                       \
		char *got_ = json_line(rec);                                                       \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

/* The seed's three sample rows, as JSON (see test_scan_csv.c for how the replies are made). */
static void test_seed_sample(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.168.0.1", 5060, SAMPLE_TIME);
	REPLY(&rec, "SIP/2.0 400 Bad Request\r\n", 5060);
	tu_sample_enrich(&rec, "node01.example.com");
	assert_json(&rec,
		    "{\"timestamp\":\"2010-02-10 00:00:00\",\"severity\":\"high\","
		    "\"ip\":\"192.168.0.1\",\"protocol\":\"udp\",\"port\":5060,"
		    "\"hostname\":\"node01.example.com\",\"tag\":\"sip\",\"asn\":\"64512\","
		    "\"geo\":\"ZZ\",\"region\":\"Region\",\"city\":\"City\",\"sip\":\"SIP/2.0\","
		    "\"sip_code\":400,\"sip_reason\":\"Bad Request\"," NO_HEADERS
		    "\"amplification\":3.57,\"response_size\":25,\"hostname_source\":null,"
		    "\"naics\":0,\"sector\":null,\"probe\":\"bare\",\"probe_size\":7,"
		    "\"packets\":1,\"packet_sizes\":[25]}\n");

	tu_rec_v4(&rec, "192.168.0.2", 5060, SAMPLE_TIME + 1);
	REPLY(&rec, "SIP/2.0 400 BadRequest\r\nContent-Length: 0\r\n\r\n", 5060);
	sw_scan_record_add_packet(&rec, 40);
	tu_sample_enrich(&rec, "node02.example.com");
	rec.hostname_source = SW_STR_LIT("ptr");
	rec.sector = SW_STR_LIT("Communications, Service Provider, and Hosting Service");
	assert_json(&rec,
		    "{\"timestamp\":\"2010-02-10 00:00:01\",\"severity\":\"high\","
		    "\"ip\":\"192.168.0.2\",\"protocol\":\"udp\",\"port\":5060,"
		    "\"hostname\":\"node02.example.com\",\"tag\":\"sip\",\"asn\":\"64512\","
		    "\"geo\":\"ZZ\",\"region\":\"Region\",\"city\":\"City\",\"sip\":\"SIP/2.0\","
		    "\"sip_code\":400,\"sip_reason\":\"BadRequest\",\"user_agent\":null,"
		    "\"sip_via\":null,\"sip_to\":null,\"sip_from\":null,\"content_length\":0,"
		    "\"content_type\":null,\"server\":null,\"contact\":null,\"cseq\":null,"
		    "\"call_id\":null,\"allow\":null,\"amplification\":12.14,"
		    "\"response_size\":85,\"hostname_source\":\"ptr\",\"naics\":0,"
		    "\"sector\":\"Communications, Service Provider, and Hosting Service\","
		    "\"probe\":\"bare\",\"probe_size\":7,\"packets\":2,"
		    "\"packet_sizes\":[45,40]}\n");

	tu_rec_v4(&rec, "192.168.0.3", 5060, SAMPLE_TIME + 2);
	REPLY(&rec, "SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 5060);
	tu_sample_enrich(&rec, "node03.example.com");
	assert_json(&rec,
		    "{\"timestamp\":\"2010-02-10 00:00:02\",\"severity\":\"high\","
		    "\"ip\":\"192.168.0.3\",\"protocol\":\"udp\",\"port\":5060,"
		    "\"hostname\":\"node03.example.com\",\"tag\":\"sip\",\"asn\":\"64512\","
		    "\"geo\":\"ZZ\",\"region\":\"Region\",\"city\":\"City\",\"sip\":\"SIP/2.0\","
		    "\"sip_code\":400,\"sip_reason\":\"Bad Request\",\"user_agent\":null,"
		    "\"sip_via\":null,\"sip_to\":null,\"sip_from\":null,\"content_length\":0,"
		    "\"content_type\":null,\"server\":null,\"contact\":null,\"cseq\":null,"
		    "\"call_id\":null,\"allow\":null,\"amplification\":6.57,"
		    "\"response_size\":46,\"hostname_source\":null,\"naics\":0,"
		    "\"sector\":null,\"probe\":\"bare\",\"probe_size\":7,\"packets\":1,"
		    "\"packet_sizes\":[46]}\n");
}

/* Kamailio 5.6.3's 200 OK to svmap's OPTIONS, from the real-tools capture. */
static void test_kamailio_options(void **state)
{
	struct sw_capture *c;
	struct sw_datagram dg;
	char err[256];
	(void)state;
	assert_int_equal(sw_capture_open(CAPTURE("real_tools_svmap.pcap"), &c, err, sizeof(err)),
			 0);
	uint32_t probe_len = 0;
	int64_t probe_sec = 0;
	struct sw_endpoint target = {0};
	struct sw_scan_record rec;
	int found = 0;
	while (!found && sw_capture_next(c, &dg) == 1) {
		if (dg.dst.port == 25060 && !probe_len) {
			probe_len = dg.len;
			probe_sec = (int64_t)(dg.ts_usec / 1000000);
			target = dg.dst;
		} else if (dg.src.port == 25060 && probe_len) {
			sw_scan_record_init(&rec, &target, probe_sec, 0, SW_STR_LIT("options"),
					    probe_len);
			tu_rec_reply(&rec, (const char *)dg.payload, dg.len, dg.src.port);
			found = 1;
		}
	}
	sw_capture_close(c);
	assert_true(found);
	assert_json(&rec, "{\"timestamp\":\"2026-11-22 00:48:51\",\"severity\":\"high\","
			  "\"ip\":\"127.0.0.1\",\"protocol\":\"udp\",\"port\":25060,"
			  "\"hostname\":null,\"tag\":\"sip\",\"asn\":null,\"geo\":null,"
			  "\"region\":null,\"city\":null,\"sip\":\"SIP/2.0\",\"sip_code\":200,"
			  "\"sip_reason\":\"OK\",\"user_agent\":null,"
			  "\"sip_via\":\"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2982560339;"
			  "rport=5060;received=127.0.0.1\","
			  "\"sip_to\":\"\\\"sipvicious\\\"<sip:100@1.1.1.1>;"
			  "tag=5497176f96ac98204aead303f19a0d17.527d9d05\","
			  "\"sip_from\":\"\\\"sipvicious\\\"<sip:100@1.1.1.1>;"
			  "tag=3766303030303031363165340133343432373137363336\","
			  "\"content_length\":0,\"content_type\":null,"
			  "\"server\":\"kamailio (5.6.3 (x86_64/linux))\",\"contact\":null,"
			  "\"cseq\":\"1 OPTIONS\",\"call_id\":\"552149232315996018475313\","
			  "\"allow\":\"INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER\","
			  "\"amplification\":1.20,\"response_size\":482,\"hostname_source\":null,"
			  "\"naics\":0,\"sector\":null,\"probe\":\"options\",\"probe_size\":402,"
			  "\"packets\":1,\"packet_sizes\":[482]}\n");
}

/* Compact forms decoded, repeated headers joined, a folded line unfolded; IPv6 target. */
static void test_compact_and_repeated(void **state)
{
	struct sw_scan_record rec;
	struct sw_endpoint ep;
	uint8_t a6[16];
	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", a6), 1);
	sw_endpoint_set_v6(&ep, a6, 5060);
	sw_scan_record_init(&rec, &ep, SAMPLE_TIME, 0, SW_STR_LIT("bare"), 7);
	REPLY(&rec,
	      "SIP/2.0 200 OK\r\n"
	      "v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-1\r\n"
	      "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-2\r\n"
	      "f: <sip:s@[2001:db8::1]>;tag=a\r\n"
	      "t: <sip:t@[2001:db8::7]>\r\n"
	      "i: c1\r\n"
	      "CSeq: 1 OPTIONS\r\n"
	      "m: <sip:[2001:db8::7]:5060>\r\n"
	      "m: <sip:alt@[2001:db8::7]>\r\n"
	      "c: text/plain\r\n"
	      "Server: A\r\n\tB\r\n"
	      "l: 2\r\n"
	      "\r\n"
	      "ok",
	      5060);
	assert_json(&rec, "{\"timestamp\":\"2010-02-10 00:00:00\",\"severity\":\"high\","
			  "\"ip\":\"2001:db8::7\",\"protocol\":\"udp\",\"port\":5060,"
			  "\"hostname\":null,\"tag\":\"sip\",\"asn\":null,\"geo\":null,"
			  "\"region\":null,\"city\":null,\"sip\":\"SIP/2.0\",\"sip_code\":200,"
			  "\"sip_reason\":\"OK\",\"user_agent\":null,"
			  "\"sip_via\":\"SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-1, "
			  "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-2\","
			  "\"sip_to\":\"<sip:t@[2001:db8::7]>\","
			  "\"sip_from\":\"<sip:s@[2001:db8::1]>;tag=a\",\"content_length\":2,"
			  "\"content_type\":\"text/plain\",\"server\":\"A B\","
			  "\"contact\":\"<sip:[2001:db8::7]:5060>, <sip:alt@[2001:db8::7]>\","
			  "\"cseq\":\"1 OPTIONS\",\"call_id\":\"c1\",\"allow\":null,"
			  "\"amplification\":41.57,\"response_size\":291,\"hostname_source\":null,"
			  "\"naics\":0,\"sector\":null,\"probe\":\"bare\",\"probe_size\":7,"
			  "\"packets\":1,\"packet_sizes\":[291]}\n");
}

/* No SIP in the reply: SIP columns null; more packets than sizes kept. */
static void test_not_sip_multi_packet(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.40", 5060, SAMPLE_TIME);
	REPLY(&rec, "\x00\x01junk", 5070);
	for (uint32_t i = 1; i < 18; i++)
		sw_scan_record_add_packet(&rec, 100 + i);
	assert_false(rec.is_sip);
	assert_json(&rec, "{\"timestamp\":\"2010-02-10 00:00:00\",\"severity\":\"high\","
			  "\"ip\":\"192.0.2.40\",\"protocol\":\"udp\",\"port\":5070,"
			  "\"hostname\":null,\"tag\":\"sip\",\"asn\":null,\"geo\":null,"
			  "\"region\":null,\"city\":null,\"sip\":null,\"sip_code\":null,"
			  "\"sip_reason\":null," NO_HEADERS
			  "\"amplification\":265.57,\"response_size\":1859,"
			  "\"hostname_source\":null,\"naics\":0,\"sector\":null,\"probe\":\"bare\","
			  "\"probe_size\":7,\"packets\":18,\"packet_sizes\":[6,101,102,103,104,105,"
			  "106,107,108,109,110,111,112,113,114,115]}\n");
}

/* Strings escaped by the JSON writer; numbers that are not numbers kept as strings. */
static void test_escaping_and_odd_numbers(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.41", 5060, SAMPLE_TIME);
	rec.probe_size = 10;
	REPLY(&rec,
	      "SIP/2.0 200 OK\r\n"
	      "Server: caf\xe9 \"x\"\\ \xc3\xbc\x01\r\n"
	      "Content-Length: 0\r\n"
	      "\r\n",
	      5060);
	sw_scan_record_add_packet(&rec, 6);
	rec.naics = SW_STR_LIT("n/a");
	rec.city = SW_STR_LIT("New\r\nYork");
	rec.sector = SW_STR_LIT("");
	assert_json(&rec, "{\"timestamp\":\"2010-02-10 00:00:00\",\"severity\":\"high\","
			  "\"ip\":\"192.0.2.41\",\"protocol\":\"udp\",\"port\":5060,"
			  "\"hostname\":null,\"tag\":\"sip\",\"asn\":null,\"geo\":null,"
			  "\"region\":null,\"city\":\"New\\r\\nYork\",\"sip\":\"SIP/2.0\","
			  "\"sip_code\":200,\"sip_reason\":\"OK\",\"user_agent\":null,"
			  "\"sip_via\":null,\"sip_to\":null,\"sip_from\":null,\"content_length\":0,"
			  "\"content_type\":null,"
			  "\"server\":\"caf\\u00e9 \\\"x\\\"\\\\ \xc3\xbc\\u0001\","
			  "\"contact\":null,\"cseq\":null,\"call_id\":null,\"allow\":null,"
			  "\"amplification\":6.60,\"response_size\":66,\"hostname_source\":null,"
			  "\"naics\":\"n/a\",\"sector\":\"\",\"probe\":\"bare\",\"probe_size\":10,"
			  "\"packets\":2,\"packet_sizes\":[60,6]}\n");

	/* Amplification with a trailing zero keeps both decimals; no probe size gives null. */
	tu_rec_v4(&rec, "192.0.2.41", 5060, SAMPLE_TIME);
	rec.probe_size = 10;
	sw_scan_record_add_packet(&rec, 121);
	rec.naics = SW_STR_LIT("517311");
	assert_json(&rec, "{\"timestamp\":\"2010-02-10 00:00:00\",\"severity\":\"high\","
			  "\"ip\":\"192.0.2.41\",\"protocol\":\"udp\",\"port\":null,"
			  "\"hostname\":null,\"tag\":\"sip\",\"asn\":null,\"geo\":null,"
			  "\"region\":null,\"city\":null,\"sip\":null,\"sip_code\":null,"
			  "\"sip_reason\":null," NO_HEADERS
			  "\"amplification\":12.10,\"response_size\":121,\"hostname_source\":null,"
			  "\"naics\":517311,\"sector\":null,\"probe\":\"bare\",\"probe_size\":10,"
			  "\"packets\":1,\"packet_sizes\":[121]}\n");

	tu_rec_v4(&rec, "192.0.2.41", 5060, SAMPLE_TIME);
	rec.probe_size = 0;
	rec.probe = SW_STR_NULL;
	assert_json(&rec, "{\"timestamp\":\"2010-02-10 00:00:00\",\"severity\":\"high\","
			  "\"ip\":\"192.0.2.41\",\"protocol\":\"udp\",\"port\":null,"
			  "\"hostname\":null,\"tag\":\"sip\",\"asn\":null,\"geo\":null,"
			  "\"region\":null,\"city\":null,\"sip\":null,\"sip_code\":null,"
			  "\"sip_reason\":null," NO_HEADERS
			  "\"amplification\":null,\"response_size\":0,\"hostname_source\":null,"
			  "\"naics\":0,\"sector\":null,\"probe\":null,\"probe_size\":0,"
			  "\"packets\":0,\"packet_sizes\":[]}\n");
}

/* Rows written one after another form JSON Lines; the writer table. */
static void test_lines_and_writer(void **state)
{
	struct sw_scan_record rec;
	struct sw_scan_row *row = malloc(sizeof(*row));
	(void)state;
	assert_non_null(row);
	assert_string_equal(sw_scan_jsonl_writer.name, "jsonl");
	assert_null(sw_scan_jsonl_writer.begin);
	assert_true(sw_scan_jsonl_writer.row == sw_scan_jsonl_row);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	for (int i = 0; i < 3; i++) {
		tu_rec_v4(&rec, "192.0.2.42", 5060, SAMPLE_TIME + i);
		sw_scan_record_add_packet(&rec, 7);
		assert_int_equal(sw_scan_record_fields(&rec, row), 0);
		assert_int_equal(sw_scan_jsonl_writer.row(f, row), 0);
	}
	assert_int_equal(fclose(f), 0);
	int lines = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			lines++;
			assert_true(i + 1 == len || buf[i + 1] == '{');
		}
	}
	assert_int_equal(lines, 3);
	assert_int_equal(buf[0], '{');
	assert_non_null(strstr(buf, "\"timestamp\":\"2010-02-10 00:00:02\""));
	free(buf);
	free(row);
}

int main(void)
{
	// clang-format off
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_seed_sample, tu_free_guards),
		cmocka_unit_test_teardown(test_kamailio_options, tu_free_guards),
		cmocka_unit_test_teardown(test_compact_and_repeated, tu_free_guards),
		cmocka_unit_test_teardown(test_not_sip_multi_packet, tu_free_guards),
		cmocka_unit_test_teardown(test_escaping_and_odd_numbers, tu_free_guards),
		cmocka_unit_test_teardown(test_lines_and_writer, tu_free_guards),
	};
	// clang-format on
	return cmocka_run_group_tests(tests, NULL, NULL);
}
