/*
 * The scan_sip CSV: the CSV writer's quoting and safety rules, scan records turned into report
 * rows (sw_scan_record_fields), and whole lines compared byte for byte - including the three
 * sample rows and the header line of Shadowserver's report description, read from the seed file
 * itself, and a real Kamailio 5.6 answer to svmap's OPTIONS read from a capture fixture.
 *
 * Every reply is placed right before an unmapped page, so a read past its end faults.
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
#include "out/csv.h"
#include "out/scan_csv.h"
#include "scan/record.h"
#include "scanutil.h"
#include "testutil.h"

/* The seed sits next to ../shared/testdata: from tests/data, up to the clone's parent. */
#define SEED_FILE SW_TESTDATA "/../../../shared/seeds/000_42a96455372d21d7.txt"
#define CAPTURE(name) SW_TESTDATA "/captures/" name

/* 2010-02-10 00:00:00 UTC, the sample's first timestamp. */
#define SAMPLE_TIME INT64_C(1265760000)

/* The CSV line of a record (free it). */
static char *csv_line(const struct sw_scan_record *rec)
{
	struct sw_scan_row *row = malloc(sizeof(*row));
	assert_non_null(row);
	assert_int_equal(sw_scan_record_fields(rec, row), 0);
	char *s = tu_capture_output(sw_scan_csv_row, row);
	free(row);
	return s;
}

#define assert_csv(rec, want)                                                                      \
	do {                                                                                       \
		char *got_ = csv_line(rec);                                                        \
		assert_string_equal(got_, want);                                                   \
		free(got_);                                                                        \
	} while (0)

/* One CSV field through the writer with the given flags (free it). */
static char *csv_field(unsigned flags, const char *p, size_t len)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	assert_non_null(f);
	struct sw_csv c;
	sw_csv_init(&c, f, flags);
	sw_csv_field(&c, sw_str_make(p, len));
	assert_int_equal(sw_csv_end(&c), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

#define assert_field(flags, lit, want)                                                             \
	do {                                                                                       \
		char *got_ = csv_field((flags), (lit), sizeof(lit) - 1);                           \
		assert_string_equal(got_, want "\n");                                              \
		free(got_);                                                                        \
	} while (0)

/*
 * Lines of the seed's sample: the line starting with "timestamp" in quotes and the n-1 that
 * follow, each with its LF, into lines[] (pointers into *ret_buf; free it).
 */
static void seed_lines(char **ret_buf, char **lines, int n)
{
	size_t len;
	char *buf = tu_read_file(SEED_FILE, &len);
	char *nul = realloc(buf, len + 1);
	assert_non_null(nul);
	buf = nul;
	buf[len] = '\0';
	char *p = strstr(buf, "\n\"timestamp\",");
	assert_non_null(p);
	p++;
	for (int i = 0; i < n; i++) {
		char *lf = strchr(p, '\n');
		assert_non_null(lf);
		size_t l = (size_t)(lf - p) + 1;
		lines[i] = malloc(l + 1);
		assert_non_null(lines[i]);
		memcpy(lines[i], p, l);
		lines[i][l] = '\0';
		p = lf + 1;
	}
	*ret_buf = buf;
}

static void test_csv_writer_quoting(void **state)
{
	(void)state;
	assert_field(0, "plain", "plain");
	assert_field(0, "", "");
	assert_field(0, "two words", "\"two words\"");
	assert_field(0, "a,b", "\"a,b\"");
	assert_field(0, "say \"hi\"", "\"say \"\"hi\"\"\"");
	assert_field(0, "\"", "\"\"\"\"");
	assert_field(0, "tab\there", "tab\there");
	/* Without flags: plain RFC 4180, line breaks kept inside the quotes. */
	assert_field(0, "a\r\nb", "\"a\r\nb\"");
	assert_field(0, "a\rb", "\"a\rb\"");
	assert_field(0, "\xe9t\xc3\xa9", "\xe9t\xc3\xa9");

	/* Absent, empty and NULL strings are all empty fields; records end with LF. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	struct sw_csv c;
	sw_csv_init(&c, f, 0);
	sw_csv_field(&c, SW_STR_NULL);
	sw_csv_field(&c, SW_STR_LIT(""));
	sw_csv_cstr(&c, NULL);
	sw_csv_cstr(&c, "x y");
	sw_csv_quoted(&c, SW_STR_LIT("q"));
	sw_csv_quoted(&c, SW_STR_NULL);
	assert_int_equal(sw_csv_end(&c), 0);
	sw_csv_cstr(&c, "next");
	assert_int_equal(sw_csv_end(&c), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(buf, ",,,\"x y\",\"q\",\"\"\nnext\n");
	free(buf);
}

static void test_csv_writer_safe(void **state)
{
	const unsigned safe = SW_CSV_ONE_LINE | SW_CSV_UTF8;
	(void)state;
	/* Control characters become a space, which makes the field quoted. */
	assert_field(safe, "a\r\nb", "\"a  b\"");
	assert_field(safe, "a\x1b[31mb", "\"a [31mb\"");
	assert_field(safe, "a\x7f", "\"a \"");
	assert_field(safe, "nul\0x", "\"nul x\"");
	assert_field(safe, "tab\tok", "tab\tok");
	/* C1 controls: as valid UTF-8 (NEL U+0085) and as a stray Latin-1 byte. */
	assert_field(safe, "a\xc2\x85z", "\"a z\"");
	assert_field(safe, "a\x85z", "\"a z\"");
	/* Valid UTF-8 passes; other bytes become their Latin-1 character in UTF-8. */
	assert_field(safe, "\xc3\xbc\xe2\x82\xac\xf0\x9f\x93\x9e",
		     "\xc3\xbc\xe2\x82\xac\xf0\x9f\x93\x9e");
	assert_field(safe, "caf\xe9", "caf\xc3\xa9");
	assert_field(safe, "\xff\xfe", "\xc3\xbf\xc3\xbe");
	/* Overlong, surrogate, above U+10FFFF, cut short: each byte on its own. */
	assert_field(SW_CSV_UTF8, "\xc0\xaf", "\xc3\x80\xc2\xaf");
	assert_field(SW_CSV_UTF8, "\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80");
	assert_field(SW_CSV_UTF8, "\xf4\x90\x80\x80", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80");
	assert_field(SW_CSV_UTF8, "x\xe2\x82", "x\xc3\xa2\xc2\x82");
	/* ... and with ONE_LINE, those that read as C1 controls (0x80-0x9F) are spaces. */
	assert_field(safe, "\xc0\xaf", "\xc3\x80\xc2\xaf");
	assert_field(safe, "\xed\xa0\x80", "\"\xc3\xad\xc2\xa0 \"");
	assert_field(safe, "x\xe2\x82", "\"x\xc3\xa2 \"");
	/* ONE_LINE alone leaves other bytes alone; UTF8 alone leaves controls alone. */
	assert_field(SW_CSV_ONE_LINE, "caf\xe9\n", "\"caf\xe9 \"");
	assert_field(SW_CSV_UTF8, "caf\xe9\n", "\"caf\xc3\xa9\n\"");
}

static void test_header(void **state)
{
	char *buf, *lines[1];
	(void)state;
	seed_lines(&buf, lines, 1);
	char *got = tu_capture_output(NULL, NULL);
	assert_string_equal(got, lines[0]);
	assert_string_equal(got,
			    "\"timestamp\",\"severity\",\"ip\",\"protocol\",\"port\",\"hostname\","
			    "\"tag\",\"asn\",\"geo\",\"region\",\"city\",\"sip\",\"sip_code\","
			    "\"sip_reason\",\"user_agent\",\"sip_via\",\"sip_to\",\"sip_from\","
			    "\"content_length\",\"content_type\",\"server\",\"contact\",\"cseq\","
			    "\"call_id\",\"allow\",\"amplification\",\"response_size\","
			    "\"hostname_source\",\"naics\",\"sector\"\n");
	free(got);
	free(lines[0]);
	free(buf);

	assert_string_equal(sw_scan_col_name(SW_SCAN_COL_TIMESTAMP), "timestamp");
	assert_string_equal(sw_scan_col_name(SW_SCAN_COL_SECTOR), "sector");
	assert_string_equal(sw_scan_col_name(SW_SCAN_COL__COUNT), "");
	assert_int_equal(SW_SCAN_COL__COUNT, 30);
	assert_int_equal(sw_scan_col_kind(SW_SCAN_COL_AMPLIFICATION), SW_SCAN_KIND_FIXED2);
	assert_int_equal(sw_scan_col_kind(SW_SCAN_COL_PORT), SW_SCAN_KIND_INT);
	assert_int_equal(sw_scan_col_kind(SW_SCAN_COL_ASN), SW_SCAN_KIND_STR);
	assert_string_equal(sw_scan_csv_writer.name, "csv");
	assert_true(sw_scan_csv_writer.begin == sw_scan_csv_header);
	assert_true(sw_scan_csv_writer.row == sw_scan_csv_row);
}

/*
 * The seed's three sample rows, from replies that give exactly their values: a bare status line
 * (25 bytes, no header section at all), a 45-byte 400 with Content-Length and a second packet of
 * 40 bytes (85 in all), and a 46-byte 400 with Content-Length; 7-byte probes.
 */
static void test_seed_sample(void **state)
{
	char *buf, *lines[4];
	struct sw_scan_record rec;
	(void)state;
	seed_lines(&buf, lines, 4);

	tu_rec_v4(&rec, "192.168.0.1", 5060, SAMPLE_TIME);
	REPLY(&rec, "SIP/2.0 400 Bad Request\r\n", 5060);
	tu_sample_enrich(&rec, "node01.example.com");
	assert_int_equal(rec.response_size, 25);
	assert_true(rec.is_sip);
	assert_csv(&rec, lines[1]);

	tu_rec_v4(&rec, "192.168.0.2", 5060, SAMPLE_TIME + 1);
	REPLY(&rec, "SIP/2.0 400 BadRequest\r\nContent-Length: 0\r\n\r\n", 5060);
	sw_scan_record_add_packet(&rec, 40);
	tu_sample_enrich(&rec, "node02.example.com");
	rec.hostname_source = SW_STR_LIT("ptr");
	rec.sector = SW_STR_LIT("Communications, Service Provider, and Hosting Service");
	assert_int_equal(rec.response_size, 85);
	assert_csv(&rec, lines[2]);

	tu_rec_v4(&rec, "192.168.0.3", 5060, SAMPLE_TIME + 2);
	REPLY(&rec, "SIP/2.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 5060);
	tu_sample_enrich(&rec, "node03.example.com");
	assert_int_equal(rec.response_size, 46);
	assert_csv(&rec, lines[3]);

	/* The same rows, spelled out, so a change of the seed file cannot go unnoticed. */
	assert_string_equal(lines[1], "\"2010-02-10 00:00:00\",high,192.168.0.1,udp,5060,"
				      "node01.example.com,sip,64512,ZZ,Region,City,SIP/2.0,400,"
				      "\"Bad Request\",,,,,,,,,,,,3.57,25,,0,\n");
	assert_string_equal(lines[2], "\"2010-02-10 00:00:01\",high,192.168.0.2,udp,5060,"
				      "node02.example.com,sip,64512,ZZ,Region,City,SIP/2.0,400,"
				      "BadRequest,,,,,0,,,,,,,12.14,85,ptr,0,\"Communications, "
				      "Service Provider, and Hosting Service\"\n");
	assert_string_equal(lines[3], "\"2010-02-10 00:00:02\",high,192.168.0.3,udp,5060,"
				      "node03.example.com,sip,64512,ZZ,Region,City,SIP/2.0,400,"
				      "\"Bad Request\",,,,,0,,,,,,,6.57,46,,0,\n");
	for (int i = 0; i < 4; i++)
		free(lines[i]);
	free(buf);
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
	assert_int_equal(probe_len, 402);
	assert_int_equal(rec.response_size, 482);
	assert_true(rec.is_sip);
	assert_csv(&rec,
		   "\"2026-11-22 00:48:51\",high,127.0.0.1,udp,25060,,sip,,,,,SIP/2.0,200,OK,,"
		   "\"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2982560339;rport=5060;"
		   "received=127.0.0.1\","
		   "\"\"\"sipvicious\"\"<sip:100@1.1.1.1>;tag=5497176f96ac98204aead303f19a0d17."
		   "527d9d05\","
		   "\"\"\"sipvicious\"\"<sip:100@1.1.1.1>;tag=376630303030303136316534013334343"
		   "2373137363336\","
		   "0,,\"kamailio (5.6.3 (x86_64/linux))\",,\"1 OPTIONS\","
		   "552149232315996018475313,"
		   "\"INVITE, ACK, CANCEL, OPTIONS, BYE, REGISTER\",1.20,482,,0,\n");
}

/* Compact header names count as their full names. */
static void test_compact_headers(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.20", 5060, SAMPLE_TIME);
	REPLY(&rec,
	      "SIP/2.0 200 OK\r\n"
	      "v: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-77;rport=5060\r\n"
	      "f: <sip:scan@198.51.100.7>;tag=a1\r\n"
	      "t: <sip:100@192.0.2.20>;tag=b2\r\n"
	      "i: 8a7d@198.51.100.7\r\n"
	      "CSeq: 1 OPTIONS\r\n"
	      "m: <sip:192.0.2.20:5060>\r\n"
	      "c: application/sdp\r\n"
	      "l: 4\r\n"
	      "\r\n"
	      "v=0\n",
	      5062);
	assert_int_equal(rec.response_size, 243);
	assert_csv(&rec,
		   "\"2010-02-10 00:00:00\",high,192.0.2.20,udp,5062,,sip,,,,,SIP/2.0,200,OK,,"
		   "\"SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-77;rport=5060\","
		   "<sip:100@192.0.2.20>;tag=b2,<sip:scan@198.51.100.7>;tag=a1,4,"
		   "application/sdp,,<sip:192.0.2.20:5060>,\"1 OPTIONS\",8a7d@198.51.100.7,,"
		   "34.71,243,,0,\n");
}

/* Repeated headers are joined with ", " in the order sent; folded lines are unfolded. */
static void test_repeated_and_folded(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.21", 5060, SAMPLE_TIME);
	REPLY(&rec,
	      "SIP/2.0 404 Not Found\r\n"
	      "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1\r\n"
	      "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-2\r\n"
	      "From: <sip:a@example.com>;tag=1\r\n"
	      "To: <sip:b@example.com>;tag=2\r\n"
	      "Call-ID: x1\r\n"
	      "CSeq: 2 OPTIONS\r\n"
	      "User-Agent: Friendly \r\n \t Phone\r\n 1.0\r\n"
	      "Allow: INVITE, ACK\r\n"
	      "Accept: application/sdp\r\n"
	      "Allow: BYE\r\n"
	      "Content-Length: 0\r\n"
	      "\r\n",
	      5060);
	assert_csv(&rec,
		   "\"2010-02-10 00:00:00\",high,192.0.2.21,udp,5060,,sip,,,,,SIP/2.0,404,"
		   "\"Not Found\",\"Friendly Phone 1.0\","
		   "\"SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-1, SIP/2.0/UDP "
		   "10.0.0.1:5060;branch=z9hG4bK-2\","
		   "<sip:b@example.com>;tag=2,<sip:a@example.com>;tag=1,0,,,,\"2 OPTIONS\",x1,"
		   "\"INVITE, ACK, BYE\",47.71,334,,0,\n");
}

/* A Server value with a comma and double quotes; a reply from another source port. */
static void test_server_quotes(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.22", 5060, SAMPLE_TIME);
	REPLY(&rec,
	      "SIP/2.0 200 OK\r\n"
	      "Server: Acme \"Edge\", v2\r\n"
	      "User-Agent: \"quoted\"\r\n"
	      "Content-Length: 0\r\n"
	      "\r\n",
	      15060);
	assert_csv(&rec,
		   "\"2010-02-10 00:00:00\",high,192.0.2.22,udp,15060,,sip,,,,,SIP/2.0,200,OK,"
		   "\"\"\"quoted\"\"\",,,,0,,\"Acme \"\"Edge\"\", v2\",,,,,12.00,84,,0,\n");
}

/* A reply that is no SIP at all: counted, the SIP columns empty. */
static void test_not_sip(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.23", 5060, SAMPLE_TIME);
	REPLY(&rec, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 5060);
	assert_false(rec.is_sip);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.23,udp,5060,,sip,,,,,,,,,,,,,,,,,,,"
			 "6.71,47,,0,\n");

	/* Binary junk, NUL bytes included. */
	tu_rec_v4(&rec, "192.0.2.23", 5060, SAMPLE_TIME);
	REPLY(&rec, "\x00\x01\x02OPTIONS", 5060);
	assert_false(rec.is_sip);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.23,udp,5060,,sip,,,,,,,,,,,,,,,,,,,"
			 "1.43,10,,0,\n");

	/* Look-alikes of a status line. */
	static const char *const bad[] = {
		"SIP/2.0 40 Bad\r\n",
		"SIP/2.0 700 Odd\r\n",
		"SIP/2.0 4000 Bad\r\n",
		"SIP/2 400 Bad\r\n",
		"SIP/.0 400 Bad\r\n",
		"SIPX2.0 400 Bad\r\n",
		"SIP/2.0400 Bad\r\n",
		"SIP/2.0 ",
		"OPTIONS",
		"SIP/2.0\r\n400 Bad",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tu_rec_v4(&rec, "192.0.2.23", 5060, SAMPLE_TIME);
		tu_rec_reply(&rec, bad[i], strlen(bad[i]), 5060);
		assert_false(rec.is_sip);
		tu_free_guards(NULL);
	}
}

/* Status lines without a header section: with and without line end, spaces, case. */
static void test_status_line_only(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.24", 5060, SAMPLE_TIME);
	REPLY(&rec, "SIP/2.0 400 Bad Request", 5060);
	assert_true(rec.is_sip);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.24,udp,5060,,sip,,,,,SIP/2.0,400,"
			 "\"Bad Request\",,,,,,,,,,,,3.29,23,,0,\n");

	tu_rec_v4(&rec, "192.0.2.24", 5060, SAMPLE_TIME);
	REPLY(&rec, "\r\nsip/2.0  503\r\nVia: broken", 5060);
	assert_true(rec.is_sip);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.24,udp,5060,,sip,,,,,sip/2.0,503,"
			 ",,,,,,,,,,,,3.86,27,,0,\n");

	/* A header section cut off: the status line still counts, the headers do not. */
	tu_rec_v4(&rec, "192.0.2.24", 5060, SAMPLE_TIME);
	REPLY(&rec, "SIP/2.0 200 OK\r\nServer: x\r\nContent-Length: 9\r\n\r\nshort", 5060);
	assert_true(rec.is_sip);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.24,udp,5060,,sip,,,,,SIP/2.0,200,OK,"
			 ",,,,,,,,,,,7.57,53,,0,\n");
}

/* A reply that is a request (a server echoing the probe): sip and headers, no code. */
static void test_request_reply(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.25", 5060, SAMPLE_TIME);
	REPLY(&rec,
	      "OPTIONS sip:100@192.0.2.25 SIP/2.0\r\n"
	      "CSeq: 7 OPTIONS\r\n"
	      "Content-Length: 0\r\n"
	      "\r\n",
	      5060);
	assert_true(rec.is_sip);
	assert_csv(&rec,
		   "\"2010-02-10 00:00:00\",high,192.0.2.25,udp,5060,,sip,,,,,SIP/2.0,,,,,,,0,,"
		   ",,\"7 OPTIONS\",,,10.57,74,,0,\n");
}

/* Several packets: all count; only the first one's headers are shown. */
static void test_multi_packet(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.26", 5060, SAMPLE_TIME);
	REPLY(&rec, "SIP/2.0 200 OK\r\nServer: one\r\nContent-Length: 0\r\n\r\n", 5060);
	for (int i = 0; i < 20; i++)
		sw_scan_record_add_packet(&rec, 1000);
	assert_int_equal(rec.packets, 21);
	assert_int_equal(rec.response_size, 20050);
	assert_int_equal(rec.sizes[0], 50);
	assert_int_equal(rec.sizes[15], 1000);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.26,udp,5060,,sip,,,,,SIP/2.0,200,OK,"
			 ",,,,0,,one,,,,,2864.29,20050,,0,\n");
}

/* Wire bytes that would break a row: controls, stray Latin-1, and enrichment with line breaks. */
static void test_unsafe_bytes(void **state)
{
	struct sw_scan_record rec;
	(void)state;
	tu_rec_v4(&rec, "192.0.2.27", 5060, SAMPLE_TIME);
	REPLY(&rec,
	      "SIP/2.0 200 \x1b[2JOK\r\n"
	      "Server: caf\xe9 \xc3\xbc\x01\r\n"
	      "User-Agent: a\x00z\r\n"
	      "Content-Length: 0\r\n"
	      "\r\n",
	      5060);
	rec.city = SW_STR_LIT("New\r\nYork");
	rec.region = SW_STR_LIT("a,\"b\"");
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.27,udp,5060,,sip,,,\"a,\"\"b\"\"\","
			 "\"New  York\",SIP/2.0,200,\" [2JOK\",\"a z\",,,,0,,"
			 "\"caf\xc3\xa9 \xc3\xbc \",,,,,10.86,76,,0,\n");
}

/* IPv6 targets, enrichment given, and the hundredths of the amplification. */
static void test_ipv6_and_amplification(void **state)
{
	struct sw_scan_record rec;
	struct sw_endpoint ep;
	uint8_t a6[16];
	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::5", a6), 1);
	sw_endpoint_set_v6(&ep, a6, 5060);
	sw_scan_record_init(&rec, &ep, SAMPLE_TIME + 86399, 999999, SW_STR_LIT("file"), 8);
	REPLY(&rec, "x", 5061);
	rec.naics = SW_STR_LIT("517311");
	rec.sector = SW_STR_LIT("Telecommunications");
	/* 1/8 = 0.125: half up gives 0.13. */
	assert_csv(&rec, "\"2010-02-10 23:59:59\",high,2001:db8::5,udp,5061,,sip,,,,,,,,,,,,,,,,,,,"
			 "0.13,1,,517311,Telecommunications\n");

	tu_rec_v4(&rec, "192.0.2.28", 5060, SAMPLE_TIME);
	rec.probe_size = 200;
	REPLY(&rec, "x", 5060);
	for (int i = 0; i < 198; i++)
		sw_scan_record_add_packet(&rec, 1);
	/* 199/200 = 0.995: rounds up into the units. */
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.28,udp,5060,,sip,,,,,,,,,,,,,,,,,,,"
			 "1.00,199,,0,\n");

	/* No probe size known: no amplification; no reply port: no port. */
	tu_rec_v4(&rec, "192.0.2.28", 5060, SAMPLE_TIME);
	rec.probe_size = 0;
	sw_scan_record_add_packet(&rec, 1400);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.28,udp,,,sip,,,,,,,,,,,,,,,,,,,"
			 ",1400,,0,\n");

	/* A probe of one byte and a reply of 65535: large factors print in full. */
	tu_rec_v4(&rec, "192.0.2.28", 5060, SAMPLE_TIME);
	rec.probe_size = 3;
	sw_scan_record_add_packet(&rec, 65535);
	sw_scan_record_add_packet(&rec, 65535);
	assert_csv(&rec, "\"2010-02-10 00:00:00\",high,192.0.2.28,udp,,,sip,,,,,,,,,,,,,,,,,,,"
			 "43690.00,131070,,0,\n");
}

/* Joined values that exceed the row's text: repeats that do not fit are left out whole. */
static void test_join_limit(void **state)
{
	enum { VIA = 3000 };
	struct sw_scan_record rec;
	(void)state;
	size_t cap = 4 * (VIA + 16) + 64, len = 0;
	char *msg = malloc(cap);
	char *via = malloc(VIA + 1);
	assert_non_null(msg);
	assert_non_null(via);
	len += (size_t)snprintf(msg + len, cap - len, "SIP/2.0 200 OK\r\n");
	for (int i = 0; i < 3; i++) {
		memset(via, 'a' + i, VIA);
		via[VIA] = '\0';
		len += (size_t)snprintf(msg + len, cap - len, "Via: %s\r\n", via);
	}
	len += (size_t)snprintf(msg + len, cap - len, "\r\n");
	assert_true(len < cap);

	tu_rec_v4(&rec, "192.0.2.29", 5060, SAMPLE_TIME);
	tu_rec_reply(&rec, msg, len, 5060);
	struct sw_scan_row *row = malloc(sizeof(*row));
	assert_non_null(row);
	assert_int_equal(sw_scan_record_fields(&rec, row), 0);
	struct sw_str v = row->col[SW_SCAN_COL_SIP_VIA];
	assert_int_equal(v.len, 2 * VIA + 2);
	assert_int_equal(v.p[0], 'a');
	assert_memory_equal(v.p + VIA, ", b", 3);
	assert_int_equal(v.p[v.len - 1], 'b');
	free(row);
	free(via);
	free(msg);
}

/* Records that cannot become rows. */
static void test_errors(void **state)
{
	struct sw_scan_record rec;
	struct sw_endpoint none = {0};
	struct sw_scan_row *row = malloc(sizeof(*row));
	(void)state;
	assert_non_null(row);
	sw_scan_record_init(&rec, &none, SAMPLE_TIME, 0, SW_STR_LIT("bare"), 7);
	assert_int_equal(sw_scan_record_fields(&rec, row), SW_E_INVAL);
	tu_rec_v4(&rec, "192.0.2.30", 5060, -1);
	assert_int_equal(sw_scan_record_fields(&rec, row), SW_E_RANGE);
	tu_rec_v4(&rec, "192.0.2.30", 5060, INT64_C(253402300800));
	assert_int_equal(sw_scan_record_fields(&rec, row), SW_E_RANGE);
	tu_rec_v4(&rec, "192.0.2.30", 5060, INT64_C(253402300799));
	assert_int_equal(sw_scan_record_fields(&rec, row), 0);
	assert_view(row->col[SW_SCAN_COL_TIMESTAMP], "9999-12-31 23:59:59");
	tu_rec_v4(&rec, "192.0.2.30", 5060, 0);
	assert_int_equal(sw_scan_record_fields(&rec, row), 0);
	assert_view(row->col[SW_SCAN_COL_TIMESTAMP], "1970-01-01 00:00:00");

	/* A record without a first packet, and a NULL one. */
	tu_rec_v4(&rec, "192.0.2.30", 5060, 0);
	sw_scan_record_set_first(&rec, NULL, 10, 5060);
	assert_false(rec.is_sip);
	assert_int_equal(sw_scan_record_fields(&rec, row), 0);
	assert_absent(row->col[SW_SCAN_COL_SIP]);
	assert_view(row->col[SW_SCAN_COL_RESPONSE_SIZE], "0");
	assert_view(row->col[SW_SCAN_COL_AMPLIFICATION], "0.00");
	free(row);
}

int main(void)
{
	// clang-format off
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_csv_writer_quoting, tu_free_guards),
		cmocka_unit_test_teardown(test_csv_writer_safe, tu_free_guards),
		cmocka_unit_test_teardown(test_header, tu_free_guards),
		cmocka_unit_test_teardown(test_seed_sample, tu_free_guards),
		cmocka_unit_test_teardown(test_kamailio_options, tu_free_guards),
		cmocka_unit_test_teardown(test_compact_headers, tu_free_guards),
		cmocka_unit_test_teardown(test_repeated_and_folded, tu_free_guards),
		cmocka_unit_test_teardown(test_server_quotes, tu_free_guards),
		cmocka_unit_test_teardown(test_not_sip, tu_free_guards),
		cmocka_unit_test_teardown(test_status_line_only, tu_free_guards),
		cmocka_unit_test_teardown(test_request_reply, tu_free_guards),
		cmocka_unit_test_teardown(test_multi_packet, tu_free_guards),
		cmocka_unit_test_teardown(test_unsafe_bytes, tu_free_guards),
		cmocka_unit_test_teardown(test_ipv6_and_amplification, tu_free_guards),
		cmocka_unit_test_teardown(test_join_limit, tu_free_guards),
		cmocka_unit_test_teardown(test_errors, tu_free_guards),
	};
	// clang-format on
	return cmocka_run_group_tests(tests, NULL, NULL);
}
