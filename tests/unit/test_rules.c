/*
 * Tests of the fingerprint rules (shield/rules.h) and the shipped rule set:
 *  - every real tool's first request in tests/data/captures identified, with the right tool and
 *    rule ids, and still identified with its User-Agent replaced by a phone's or removed;
 *  - requests written from FINGERPRINTS.md for the tools without a capture
 *    (tests/data/rules/attacks) identified;
 *  - legitimate requests (tests/data/legit, SIPp's, Kamailio's responses) below the threshold,
 *    whether the packet comes from the Via address or through NAT;
 *  - every bad rules file rejected with its exact "FILE:LINE: problem";
 *  - the format's operators, fields and result ordering on small inline rule sets;
 *  - reported values are views into the message; guard-page and hostile inputs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "net/capture.h"
#include "shield/rules.h"
#include "sip/sip.h"
#include "testutil.h"

#define CAPTURE(name) SW_TESTDATA "/captures/real_tools_" name ".pcap"
#define LEGIT(name) SW_TESTDATA "/legit/" name
#define ATTACK(name) SW_TESTDATA "/rules/attacks/" name
#define BAD(name) SW_TESTDATA "/rules/" name
#define CONF_RULES SW_TESTDATA "/../../conf/fingerprints.rules"

#define MAXMSG 65536

/* The shipped rule set, loaded once for the whole run. */
static struct sw_rules *shipped;
static struct sw_rules_ctx *shipped_ctx;

static int setup_shipped(void **state)
{
	char err[512] = "";

	(void)state;
	if (sw_rules_load_file(CONF_RULES, &shipped, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	shipped_ctx = sw_rules_ctx_new(shipped);
	return shipped_ctx ? 0 : -1;
}

static int teardown_shipped(void **state)
{
	(void)state;
	sw_rules_ctx_free(shipped_ctx);
	sw_rules_free(shipped);
	return 0;
}

/* A message to score: its bytes (owned), the parsed view, the packet source. */
struct tmsg {
	char *buf;
	size_t len;
	struct sip_header hdrs[128];
	struct sip_msg msg;
	struct sw_endpoint src;
};

static void tmsg_parse(struct tmsg *t)
{
	int rc;

	sip_msg_init(&t->msg, t->hdrs, 128);
	rc = sip_parse(&t->msg, t->buf, t->len, SIP_MODE_DATAGRAM, NULL);
	if (rc != 0)
		fail_msg("parse error %d (%s) at %u", rc, sw_strerror(rc), t->msg.err_off);
}

static void src_v4(struct sw_endpoint *ep, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
		   uint16_t port)
{
	uint8_t addr[4] = {a, b, c, d};

	sw_endpoint_set_v4(ep, addr, port);
}

/* The n-th (0-based) request of a capture, with its source. */
static void capture_request(const char *path, unsigned n, struct tmsg *t)
{
	struct sw_capture *c = NULL;
	struct sw_datagram dg;
	char err[256];

	if (sw_capture_open(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	while (sw_capture_next(c, &dg) == 1) {
		if (dg.len == 0 || (dg.len >= 4 && memcmp(dg.payload, "SIP/", 4) == 0))
			continue;
		if (n-- > 0)
			continue;
		t->buf = malloc(dg.len);
		assert_non_null(t->buf);
		memcpy(t->buf, dg.payload, dg.len);
		t->len = dg.len;
		t->src = dg.src;
		sw_capture_close(c);
		tmsg_parse(t);
		return;
	}
	sw_capture_close(c);
	fail_msg("%s: no request #%u", path, n);
}

static void file_message(const char *path, struct tmsg *t)
{
	t->buf = tu_read_file(path, &t->len);
	src_v4(&t->src, 203, 0, 113, 7, 5060);
	tmsg_parse(t);
}

/*
 * Rewrite the User-Agent line: replace its value with ua, or drop the line when ua is NULL.
 * Content-Length is unaffected (only the header section changes).
 */
static void replace_ua(struct tmsg *t, const char *ua)
{
	const char *p = t->buf, *end = t->buf + t->len;
	char *out = malloc(t->len + 256), *o = out;
	int done = 0;

	assert_non_null(out);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!done && ll > 11 && strncasecmp(p, "User-Agent:", 11) == 0) {
			done = 1;
			if (ua)
				o += snprintf(o, 256, "User-Agent: %s\r\n", ua);
		} else {
			memcpy(o, p, ll);
			o += ll;
		}
		p += ll;
	}
	assert_true(done);
	free(t->buf);
	t->buf = out;
	t->len = (size_t)(o - out);
	tmsg_parse(t);
	assert_int_equal(t->msg.first[SIP_HDR_USER_AGENT] != SIP_NO_HDR, ua != NULL);
}

static void tmsg_free(struct tmsg *t)
{
	free(t->buf);
	t->buf = NULL;
}

static void dump(const struct sw_rules *r, const struct sw_fp_result *res, char *out, size_t size)
{
	size_t n = 0;

	out[0] = 0;
	for (unsigned i = 0; i < res->nmatch && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, " %s(%d)",
				      sw_rules_rule_id(r, res->m[i].rule),
				      sw_rules_rule_weight(r, res->m[i].rule));
}

static void score(struct tmsg *t, struct sw_fp_result *res)
{
	sw_rules_match(shipped, shipped_ctx, &t->msg, &t->src, res);
}

/* Every reported value lies inside the message's bytes. */
static void check_views(const struct tmsg *t, const struct sw_fp_result *res)
{
	for (unsigned i = 0; i < res->nmatch; i++) {
		struct sw_str v = res->m[i].value;

		if (!v.p)
			continue;
		if (v.p < t->buf || v.p + v.len > t->buf + t->len)
			fail_msg("match %u (%s, field %s) points outside the message", i,
				 sw_rules_rule_id(shipped, res->m[i].rule),
				 sw_rules_field_name(res->m[i].field));
	}
}

static bool has_rule(const struct sw_fp_result *res, const char *id)
{
	for (unsigned i = 0; i < res->nmatch; i++)
		if (strcmp(sw_rules_rule_id(shipped, res->m[i].rule), id) == 0)
			return true;
	return false;
}

/*
 * Assert t is a scanner message named tool, with each rule of the NULL-terminated ids among the
 * reported matches.
 */
static void expect_scanner(struct tmsg *t, const char *what, const char *tool,
			   const char *const *ids)
{
	struct sw_fp_result res;
	char d[1024];

	score(t, &res);
	dump(shipped, &res, d, sizeof(d));
	check_views(t, &res);
	if (res.score < sw_rules_threshold(shipped))
		fail_msg("%s: score %d below threshold:%s", what, res.score, d);
	if (!res.tool || strcmp(res.tool, tool) != 0)
		fail_msg("%s: tool %s, want %s:%s", what, res.tool ? res.tool : "(none)", tool, d);
	for (; ids && *ids; ids++)
		if (!has_rule(&res, *ids))
			fail_msg("%s: rule %s did not match:%s", what, *ids, d);
	assert_true(res.nmatch >= 1 && res.nmatch <= SW_FP_MAX_MATCHES);
	assert_true(res.nmatch_total >= res.nmatch);
}

static void expect_legit(struct tmsg *t, const char *what)
{
	struct sw_fp_result res;
	char d[1024];

	score(t, &res);
	dump(shipped, &res, d, sizeof(d));
	check_views(t, &res);
	if (res.score >= sw_rules_threshold(shipped))
		fail_msg("%s: legitimate message scores %d (tool %s):%s", what, res.score,
			 res.tool ? res.tool : "-", d);
}

/* ---- the shipped file ---- */

static void test_shipped_loads(void **state)
{
	(void)state;
	assert_int_equal(sw_rules_threshold(shipped), 100);
	assert_true(sw_rules_count(shipped) >= 60);
	assert_true(sw_rules_find(shipped, "sipvicious-ua") >= 0);
	assert_string_equal(sw_rules_rule_tool(shipped,
					       (unsigned)sw_rules_find(shipped, "svmap-from-name")),
			    "svmap");
	assert_int_equal(sw_rules_find(shipped, "no-such-rule"), -1);
	for (unsigned i = 0; i < sw_rules_count(shipped); i++) {
		assert_true(sw_rules_rule_id(shipped, i)[0] != 0);
		assert_true(sw_rules_rule_tool(shipped, i)[0] != 0);
	}
}

static void test_embedded_equals_file(void **state)
{
	size_t flen;
	char *file = tu_read_file(CONF_RULES, &flen);
	struct sw_rules *r = NULL;
	char err[256] = "";

	(void)state;
	if (flen != sw_rules_default_len || memcmp(file, sw_rules_default, flen) != 0) {
		size_t i = 0;

		while (i < flen && i < sw_rules_default_len && file[i] == sw_rules_default[i])
			i++;
		fail_msg(
			"the built-in rules (embed/sw_rules_default.c) differ from conf/fingerprints.rules at byte %zu "
			"(lengths %zu and %zu): re-run cmake",
			i, sw_rules_default_len, flen);
	}
	free(file);
	assert_int_equal(sw_rules_load_buf(SW_RULES_DEFAULT_NAME, sw_rules_default,
					   sw_rules_default_len, &r, err, sizeof(err)),
			 0);
	assert_int_equal(sw_rules_count(r), sw_rules_count(shipped));
	sw_rules_free(r);
}

/* ---- the real tools ---- */

/* Paths are built from the short names below. */
static void capture_path(const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s", CAPTURE("X"));
	*strrchr(out, 'X') = 0;
	snprintf(out + strlen(out), size - strlen(out), "%s.pcap", name);
}

struct tool_case {
	const char *capture;
	const char *tool;
	const char *ids[6];
	bool ua_survives; /* must stay a scanner message with the UA replaced or removed */
};

static const struct tool_case tool_cases[] = {
	{"svmap",
	 "svmap",
	 {"svmap-from-name", "svmap-identity", "sipvicious-ua", "sipvicious-tag"},
	 true},
	{"svwar",
	 "svwar",
	 {"svwar-identity", "svwar-contact", "sipvicious-ua", "sipvicious-tag"},
	 true},
	{"svwar_invite", "svwar", {"svwar-identity", "from-equals-to", "sipvicious-ua"}, true},
	{"svcrack", "svcrack", {"svcrack-first-tag", "svcrack-contact", "sipvicious-ua"}, true},
	{"sipsak_options",
	 "sipsak",
	 {"sipsak-ua", "sipsak-from", "sipsak-branch", "sipsak-order", "sipsak-accept"},
	 true},
	{"sipsak_register", "sipsak", {"sipsak-ua", "sipsak-branch", "sipsak-order"}, true},
	{"nmap",
	 "nmap",
	 {"nmap-ua", "nmap-display", "nmap-cseq", "nmap-allow", "nmap-call-id"},
	 true},
};

static void test_tools_first_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tool_cases) / sizeof(tool_cases[0]); i++) {
		const struct tool_case *c = &tool_cases[i];
		struct tmsg t;
		char path[512];

		capture_path(c->capture, path, sizeof(path));
		capture_request(path, 0, &t);
		expect_scanner(&t, c->capture, c->tool, c->ids);
		tmsg_free(&t);
	}
}

static void test_tools_ua_changed(void **state)
{
	static const char *const uas[] = {"Yealink SIP-T46S 66.85.0.5",
					  "Linphone/3.6.1 (eXosip2/4.1.0)", NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(tool_cases) / sizeof(tool_cases[0]); i++) {
		const struct tool_case *c = &tool_cases[i];

		for (size_t u = 0; u < sizeof(uas) / sizeof(uas[0]); u++) {
			struct tmsg t;
			char path[512], what[256];

			capture_path(c->capture, path, sizeof(path));
			capture_request(path, 0, &t);
			replace_ua(&t, uas[u]);
			snprintf(what, sizeof(what), "%s with User-Agent %s", c->capture,
				 uas[u] ? uas[u] : "removed");
			expect_scanner(&t, what, c->tool, NULL);
			tmsg_free(&t);
		}
	}
}

/* Every request of the SIPVicious, sipsak and nmap captures is a scanner message. */
static void test_tools_every_request(void **state)
{
	static const char *const caps[] = {"svmap",   "svwar",          "svwar_invite",
					   "svcrack", "sipsak_options", "sipsak_register",
					   "nmap"};

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct sw_capture *c = NULL;
		struct sw_datagram dg;
		char path[512], err[256];
		unsigned n = 0;

		capture_path(caps[i], path, sizeof(path));
		assert_int_equal(sw_capture_open(path, &c, err, sizeof(err)), 0);
		while (sw_capture_next(c, &dg) == 1) {
			struct tmsg t;
			struct sw_fp_result res;

			if (dg.len == 0)
				continue;
			t.buf = malloc(dg.len);
			memcpy(t.buf, dg.payload, dg.len);
			t.len = dg.len;
			t.src = dg.src;
			tmsg_parse(&t);
			score(&t, &res);
			check_views(&t, &res);
			if (t.msg.is_request) {
				n++;
				if (res.score < sw_rules_threshold(shipped))
					fail_msg("%s frame %llu scores %d", caps[i],
						 (unsigned long long)dg.frame, res.score);
			} else {
				/* Kamailio's responses echo the tool's From/To: never scored */
				assert_int_equal(res.score, 0);
				assert_null(res.tool);
				assert_int_equal(res.nmatch, 0);
			}
			tmsg_free(&t);
		}
		sw_capture_close(c);
		assert_true(n >= 1);
	}
}

/* ---- tools without a capture ---- */

static void test_attack_fixtures(void **state)
{
	static const struct {
		const char *file, *tool, *rule;
		bool ua_survives;
	} cases[] = {
		{"nmap_sv_probe.sip", "nmap", "nmap-probe-from", true},
		{"metasploit_options.sip", "metasploit", "metasploit-tag", true},
		{"metasploit_enumerator.sip", "metasploit", "metasploit-enum-display", true},
		{"sippts_options.sip", "sippts", "sippts-branch", true},
		{"viproy_options.sip", "viproy", "viproy-call-id", true},
		{"inviteflood_invite.sip", "inviteflood", "inviteflood-sdp", true},
		{"smap_options.sip", "smap", "smap-ua", true},
		/* a modified SIPVicious: its svmap skeleton outweighs the name */
		{"sundayddr_options.sip", "svmap", "sundayddr-ua", true},
		{"sipcli_invite.sip", "sipcli", "sipcli-ua", false},
		{"vaxsip_register.sip", "vaxsip", "vax-ua", false},
		{"sivus_options.sip", "sivus", "sivus-from", true},
		{"portsip_invite.sip", "portsip", "portsip-sdp", true},
		{"sipvicious_modified_options.sip", "sipvicious-modified", "sipvicious-modified",
		 true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *ids[2] = {cases[i].rule, NULL};
		char path[512];
		struct tmsg t;

		snprintf(path, sizeof(path), "%s%s", ATTACK(""), cases[i].file);
		file_message(path, &t);
		expect_scanner(&t, cases[i].file, cases[i].tool, ids);
		if (cases[i].ua_survives && t.msg.user_agent.p) {
			replace_ua(&t, NULL);
			expect_scanner(&t, cases[i].file, cases[i].tool, NULL);
		}
		tmsg_free(&t);
	}
}

/* ---- legitimate traffic ---- */

static const char *const legit_files[] = {
	"baresip_register.sip",      "baresip_options.sip",   "baresip_unregister.sip",
	"yealink_register.sip",      "yealink_invite.sip",    "polycom_register.sip",
	"cisco_register.sip",        "cisco_cp_invite.sip",   "grandstream_register.sip",
	"linphone_register.sip",     "linphone_options.sip",  "zoiper_register.sip",
	"bria_invite.sip",           "asterisk_options.sip",  "asterisk_invite.sip",
	"kamailio_options_ping.sip", "freeswitch_invite.sip", "microsip_register.sip",
	"snom_register.sip",
};

static void test_legit_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(legit_files) / sizeof(legit_files[0]); i++) {
		char path[512], what[300];
		struct tmsg t;
		uint8_t a[4] = {0};

		snprintf(path, sizeof(path), "%s%s", LEGIT(""), legit_files[i]);
		file_message(path, &t);
		/* through NAT: from a public address and another port */
		snprintf(what, sizeof(what), "%s (NAT)", legit_files[i]);
		expect_legit(&t, what);
		/* direct: from the Via's own address and port, when it is an IPv4 literal */
		if (t.msg.via.host.len < 16) {
			char h[16];

			memcpy(h, t.msg.via.host.p, t.msg.via.host.len);
			h[t.msg.via.host.len] = 0;
			if (sscanf(h, "%hhu.%hhu.%hhu.%hhu", &a[0], &a[1], &a[2], &a[3]) == 4) {
				sw_endpoint_set_v4(&t.src, a,
						   t.msg.via.has_port ? t.msg.via.port : 5060);
				snprintf(what, sizeof(what), "%s (direct)", legit_files[i]);
				expect_legit(&t, what);
			}
		}
		/* and with no source at all */
		{
			struct sw_fp_result res;

			sw_rules_match(shipped, shipped_ctx, &t.msg, NULL, &res);
			assert_true(res.score < sw_rules_threshold(shipped));
		}
		tmsg_free(&t);
	}
}

static void test_sipp_below_threshold(void **state)
{
	static const char *const caps[] = {"sipp", "sipp_known"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char path[512];

		capture_path(caps[i], path, sizeof(path));
		for (unsigned n = 0; n < 2; n++) {
			struct tmsg t;
			struct sw_fp_result res;

			capture_request(path, n, &t);
			expect_legit(&t, caps[i]);
			score(&t, &res);
			/* the information rules still name it */
			assert_non_null(res.tool);
			assert_string_equal(res.tool, "sipp");
			assert_true(has_rule(&res, "sipp-subject"));
			tmsg_free(&t);
		}
	}
}

/* ---- bad rules files ---- */

static void test_bad_rules(void **state)
{
	static const char *const files[] = {
		"bad_unknown_field.rules", "bad_regex.rules",       "bad_no_id.rules",
		"bad_no_tool.rules",       "bad_no_weight.rules",   "bad_dup_id.rules",
		"bad_weight.rules",        "bad_number.rules",      "bad_threshold.rules",
		"bad_operator.rules",      "bad_bool.rules",        "bad_method.rules",
		"bad_section.rules",       "bad_outside.rules",     "bad_no_predicate.rules",
		"bad_present_value.rules", "bad_no_operator.rules", "bad_hdr_unknown.rules",
		"bad_late_regex.rules",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512], want[1024], err[1024] = "";
		struct sw_rules *r = (struct sw_rules *)0x1;
		size_t len;
		char *text, *nl;
		int rc;

		snprintf(path, sizeof(path), "%s%s", BAD(""), files[i]);
		text = tu_read_file(path, &len);
		nl = memchr(text, '\n', len);
		assert_non_null(nl);
		*nl = 0;
		assert_memory_equal(text, "# expect: ", 10);
		snprintf(want, sizeof(want), "%s:%s", path, text + 10);
		free(text);
		rc = sw_rules_load_file(path, &r, err, sizeof(err));
		if (rc == 0)
			fail_msg("%s loaded", files[i]);
		assert_ptr_equal(r, (struct sw_rules *)0x1); /* ret untouched on failure */
		if (strcmp(err, want) != 0)
			fail_msg("%s:\n got  '%s'\n want '%s'", files[i], err, want);
	}
}

static void test_missing_file(void **state)
{
	struct sw_rules *r = NULL;
	char err[512] = "";

	(void)state;
	assert_int_equal(sw_rules_load_file(BAD("no-such-file.rules"), &r, err, sizeof(err)),
			 SW_E_IO);
	assert_non_null(strstr(err, "no-such-file.rules"));
	assert_null(r);
}

/* ---- the format on small rule sets ---- */

static struct sw_rules *load(const char *text)
{
	struct sw_rules *r = NULL;
	char err[512] = "";

	if (sw_rules_load_buf("t.rules", text, strlen(text), &r, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return r;
}

static void load_fails(const char *text, const char *want)
{
	struct sw_rules *r = NULL;
	char err[512] = "";

	assert_int_not_equal(sw_rules_load_buf("t.rules", text, strlen(text), &r, err, sizeof(err)),
			     0);
	assert_null(r);
	if (strcmp(err, want) != 0)
		fail_msg("got '%s', want '%s'", err, want);
}

#define SAMPLE                                                                                     \
	"OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"                                                    \
	"Via: SIP/2.0/UDP 192.0.2.99:5070;branch=z9hG4bK-42;rport\r\n"                             \
	"From: \"Joe\" <sip:joe@example.com>;tag=abc\r\n"                                          \
	"To: <sip:joe@EXAMPLE.com>\r\n"                                                            \
	"Call-ID: 12345@host\r\n"                                                                  \
	"CSeq: 7 OPTIONS\r\n"                                                                      \
	"Contact: <sip:joe@192.0.2.99:5070>\r\n"                                                   \
	"Max-Forwards: 70\r\n"                                                                     \
	"User-Agent: Test Phone 1.0\r\n"                                                           \
	"Allow: INVITE\r\n"                                                                        \
	"Allow: BYE\r\n"                                                                           \
	"Content-Type: application/sdp\r\n"                                                        \
	"Content-Length:   51\r\n"                                                                 \
	"\r\n"                                                                                     \
	"v=0\r\n"                                                                                  \
	"o=alice 1 2 IN IP4 192.0.2.99\r\n"                                                        \
	"s=Talk\r\n"                                                                               \
	"m=audio"

/* Score SAMPLE from 192.0.2.99:5070 with one rule holding pred; returns whether it matched. */
static bool one(const char *pred)
{
	char text[1024];
	struct sw_rules *r;
	struct sw_rules_ctx *c;
	struct tmsg t;
	struct sw_fp_result res;

	snprintf(text, sizeof(text), "[rule x]\ntool = t\nweight = 5\n%s\n", pred);
	r = load(text);
	c = sw_rules_ctx_new(r);
	assert_non_null(c);
	t.len = strlen(SAMPLE);
	t.buf = tu_guard_copy(SAMPLE, t.len);
	tmsg_parse(&t);
	src_v4(&t.src, 192, 0, 2, 99, 5070);
	sw_rules_match(r, c, &t.msg, &t.src, &res);
	if (res.nmatch) {
		assert_int_equal(res.score, 5);
		assert_string_equal(res.tool, "t");
		if (res.m[0].value.p)
			assert_true(res.m[0].value.p >= t.buf &&
				    res.m[0].value.p + res.m[0].value.len <= t.buf + t.len);
	}
	tu_guard_free(t.buf, t.len);
	sw_rules_ctx_free(c);
	sw_rules_free(r);
	return res.nmatch == 1;
}

static void test_operators(void **state)
{
	(void)state;
	/* strings */
	assert_true(one("user-agent = Test Phone 1.0"));
	assert_false(one("user-agent = Test Phone"));
	assert_true(one("user-agent != Test Phone"));
	assert_true(one("user-agent ^= Test "));
	assert_true(one("user-agent $= 1.0"));
	assert_true(one("user-agent *= Phone"));
	assert_false(one("user-agent *= phone"));
	assert_true(one("user-agent ~ (?i)phone"));
	assert_true(one("user-agent !~ ^friendly"));
	assert_false(one("user-agent !~ Phone"));
	assert_true(one("user-agent !^= Test Phone 2"));
	assert_false(one("user-agent !^= Test"));
	assert_true(one("user-agent !$= 2.0"));
	assert_false(one("user-agent !$= 1.0"));
	assert_true(one("user-agent !*= scanner"));
	assert_false(one("user-agent !*= Phone"));
	assert_true(one("user-agent len= 14"));
	assert_false(one("user-agent len!= 14"));
	assert_true(one("user-agent len< 15"));
	assert_false(one("user-agent len< 14"));
	assert_true(one("user-agent len<= 14"));
	assert_true(one("user-agent len> 13"));
	assert_true(one("user-agent len>= 14"));
	assert_false(one("subject len>= 0")); /* absent */
	assert_true(one("user-agent present"));
	assert_false(one("user-agent absent"));
	assert_true(one("subject absent"));
	assert_false(one("subject != x")); /* absent fields fail every test but absent */
	assert_false(one("subject !~ x"));
	assert_true(one("from.display = \"Joe\""));
	assert_true(one("from.display = Joe"));
	assert_true(one("user-agent = \"Test Phone 1.0\""));
	assert_true(one("user-agent ~ \"^Test \\\"?Phone\""));
	/* numbers and booleans */
	assert_true(one("cseq = 7"));
	assert_true(one("cseq < 8"));
	assert_true(one("cseq <= 7"));
	assert_false(one("cseq > 7"));
	assert_true(one("cseq >= 7"));
	assert_true(one("cseq != 1234"));
	assert_true(one("max-forwards = 70"));
	assert_true(one("content-length = 51"));
	assert_false(one("expires present"));
	assert_true(one("count.Allow = 2"));
	assert_true(one("count.Accept = 0"));
	assert_true(one("via.port = 5070"));
	assert_true(one("via.count = 1"));
	assert_true(one("from-equals-to = true")); /* host compared without case */
	assert_true(one("from.quoted = true"));
	assert_true(one("to.quoted = false"));
	assert_true(one("contact.bracketed = yes"));
	assert_true(one("via.host-is-source = true"));
	assert_true(one("via.port-is-source = true"));
	assert_true(one("contact.host-is-source = true"));
	assert_true(one("contact.port-is-source = true"));
	assert_false(one("via.host-private = true")); /* 192.0.2.0/24 is documentation */
	assert_false(one("contact.host-is-ruri = true"));
	assert_true(one("src.port = 5070"));
	/* fields */
	assert_true(one("via.branch = z9hG4bK-42"));
	assert_true(one("via.rport present"));
	assert_true(one("via.params = ;branch=z9hG4bK-42;rport"));
	assert_true(one("from.tag = abc"));
	assert_true(one("from.uri = sip:joe@example.com"));
	assert_true(one("to.host = EXAMPLE.com"));
	assert_true(one("ruri.user = 100"));
	assert_true(one("method = OPTIONS"));
	assert_true(one("call-id ~ ^[0-9]+@host$"));
	assert_true(one("raw.Content-Length = \"   51\""));
	assert_true(one("raw.Max-Forwards ~ ^ 70$"));
	assert_true(one("hdr.Allow = INVITE"));
	assert_true(one("hdr.Content-Type = application/sdp"));
	assert_true(one("sdp.o = alice 1 2 IN IP4 192.0.2.99"));
	assert_true(one("sdp.s = Talk"));
	assert_true(one("sdp.m = audio")); /* last line without CRLF, at the end of the buffer */
	assert_true(one("header-order = via,from,to,call-id,cseq,contact,max-forwards,user-agent,"
			"allow,allow,content-type,content-length"));
	assert_true(one("header-count = 12"));
	/* methods */
	assert_true(one("methods = OPTIONS\ncseq = 7"));
	assert_false(one("methods = INVITE, REGISTER\ncseq = 7"));
	assert_true(one("methods = *\ncseq = 7"));
	/* AND of predicates */
	assert_true(one("cseq = 7\nuser-agent ^= Test\nfrom.tag = abc"));
	assert_false(one("cseq = 7\nuser-agent ^= Test\nfrom.tag = abd"));
}

static void test_format_details(void **state)
{
	struct sw_rules *r;

	(void)state;
	r = load("# comment\n; also a comment\n\n[global]\nthreshold = 250\n"
		 "[rule a.b-c_1]\r\ntool = T\r\nweight = -5\r\ncomment = first\r\n"
		 "comment = \"second\"\r\ncseq = 1\r\n");
	assert_int_equal(sw_rules_threshold(r), 250);
	assert_int_equal(sw_rules_count(r), 1);
	assert_string_equal(sw_rules_rule_id(r, 0), "a.b-c_1");
	assert_string_equal(sw_rules_rule_tool(r, 0), "T");
	assert_int_equal(sw_rules_rule_weight(r, 0), -5);
	assert_string_equal(sw_rules_rule_comment(r, 0), "first \"second\"");
	assert_string_equal(sw_rules_rule_id(r, 9), "");
	sw_rules_free(r);

	r = load("");
	assert_int_equal(sw_rules_count(r), 0);
	assert_int_equal(sw_rules_threshold(r), SW_RULES_THRESHOLD_DEFAULT);
	sw_rules_free(r);

	load_fails("[rule a]\ntool = x\ntool = y\n", "t.rules:3: duplicate key 'tool'");
	load_fails("[rule a]\ntool = x\nweight = 1\ncseq < abc\n", "t.rules:4: bad number 'abc'");
	load_fails("[rule a]\ntool = x\nweight = 1\nuser-agent < 3\n",
		   "t.rules:4: field 'user-agent' is a string: < <= > >= need a number field");
	load_fails("[rule a]\ntool = x\nweight = 1\nfrom-equals-to > 0\n",
		   "t.rules:4: field 'from-equals-to' is a boolean: use = or != true/false");
	load_fails("[rule a]\ntool = x\nweight = 1\ncseq len= 3\n",
		   "t.rules:4: field 'cseq' is not a string: len operators need one");
	load_fails("[rule a]\ntool = x\nweight = 1\ncall-id len= x\n", "t.rules:4: bad number 'x'");
	load_fails("[rule a]\ntool = x\nweight = 1\nuser-agent ~\n",
		   "t.rules:4: missing value after the operator");
	load_fails("[rule a]\ntool = x y\n",
		   "t.rules:2: bad tool name 'x y': use letters, digits, '.', '-' and '_'");
	load_fails("[rule a/b]\n",
		   "t.rules:1: bad rule id 'a/b': use letters, digits, '.', '-' and '_'");
	load_fails("[rule a\n", "t.rules:1: section header without ']'");
	load_fails("[global]\nlimit = 3\n",
		   "t.rules:2: unknown key 'limit' in [global] (threshold)");
	load_fails("[rule a]\ntool = x\nweight = 1\nuser-agent = \"a\"b\"\n",
		   "t.rules:4: stray '\"' inside a quoted value (write \\\")");
	{
		char big[SW_RULES_LINE_MAX + 64];

		memset(big, 'a', sizeof(big));
		memcpy(big, "[rule a]\n#", 10);
		big[sizeof(big) - 1] = 0;
		load_fails(big, "t.rules:2: line longer than 4096 bytes");
	}
}

/* More than SW_FP_MAX_MATCHES rules match: the heaviest are kept, in weight order; tool sums. */
static void test_result_ordering(void **state)
{
	char text[8192];
	size_t n = 0;
	struct sw_rules *r;
	struct sw_rules_ctx *c;
	struct tmsg t;
	struct sw_fp_result res;
	static const int weights[12] = {5, 40, 1, 30, 7, 100, 2, 3, 60, 4, 9, 8};

	(void)state;
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "[rule r%d]\ntool = %s\nweight = %d\ncseq = 7\n", i,
				      i == 5 ? "big" : "many", weights[i]);
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "[rule nope]\ntool = none\nweight = 1000\ncseq = 8\n");
	r = load(text);
	c = sw_rules_ctx_new(r);
	t.len = strlen(SAMPLE);
	t.buf = tu_guard_copy(SAMPLE, t.len);
	tmsg_parse(&t);
	sw_rules_match(r, c, &t.msg, NULL, &res);
	assert_int_equal(res.nmatch_total, 12);
	assert_int_equal(res.nmatch, SW_FP_MAX_MATCHES);
	assert_int_equal(res.score, 5 + 40 + 1 + 30 + 7 + 100 + 2 + 3 + 60 + 4 + 9 + 8);
	/* "many" sums 169 against "big" 100 */
	assert_string_equal(res.tool, "many");
	{
		static const int want[SW_FP_MAX_MATCHES] = {100, 60, 40, 30, 9, 8, 7, 5};

		for (int i = 0; i < SW_FP_MAX_MATCHES; i++) {
			assert_int_equal(sw_rules_rule_weight(r, res.m[i].rule), want[i]);
			assert_string_equal(sw_rules_field_name(res.m[i].field), "cseq");
			assert_view(res.m[i].value, "7 OPTIONS");
		}
	}
	/* the context is reusable: the same again gives the same */
	{
		struct sw_fp_result again;

		sw_rules_match(r, c, &t.msg, NULL, &again);
		assert_int_equal(again.score, res.score);
		assert_string_equal(again.tool, "many");
	}
	tu_guard_free(t.buf, t.len);
	sw_rules_ctx_free(c);
	sw_rules_free(r);
}

static void test_field_names(void **state)
{
	(void)state;
	assert_string_equal(sw_rules_field_name(0), "method");
	for (unsigned f = 0; f < 1000; f++) {
		const char *n = sw_rules_field_name(f);

		assert_non_null(n);
		if (strcmp(n, "?") == 0)
			break;
		/* every name a field reports is one the loader accepts */
		if (strcmp(n + strlen(n) - 2, ".?") != 0) {
			char text[256];
			struct sw_rules *r;

			snprintf(text, sizeof(text), "[rule x]\ntool = t\nweight = 1\n%s present\n",
				 n);
			r = load(text);
			sw_rules_free(r);
		}
	}
}

/* The shipped rules on messages cut to odd shapes: no crash, no read past the end. */
static void test_hostile_messages(void **state)
{
	static const char *const msgs[] = {
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:9;branch=\r\nFrom: <sip:@>\r\n"
		"To: <sip:@>\r\nCall-ID: \r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		"INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 999.1.1.1\r\nContact: sip:a@[::ffff:1.2.3.4]\r\n"
		"From: x\r\nTo: x\r\nCSeq: 1 INVITE\r\nCall-ID: a\r\nContent-Length: 5\r\n\r\no=s=x",
		"REGISTER sip:x SIP/2.0\r\nUser-Agent:\r\nAccept:\r\nCSeq: 1 REGISTER\r\n"
		"Call-ID: a\r\nContent-Length: 1\r\n\r\n\n",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 1.1.1.1:9 ;branch=z9hG4bK-1;rport\r\n"
		"From: \"a\"<sip:1@1.1.1.1>;tag=41414101313131\r\nTo: \"a\"<sip:1@1.1.1.1>\r\n"
		"Call-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		struct tmsg t;
		struct sw_fp_result res;

		t.len = strlen(msgs[i]);
		t.buf = tu_guard_copy(msgs[i], t.len);
		sip_msg_init(&t.msg, t.hdrs, 128);
		if (sip_parse(&t.msg, t.buf, t.len, SIP_MODE_DATAGRAM, NULL) == 0) {
			src_v4(&t.src, 1, 1, 1, 1, 9);
			score(&t, &res);
			check_views(&t, &res);
		}
		tu_guard_free(t.buf, t.len);
	}
	/* a header section longer than the header-order cache */
	{
		char *big = malloc(20000);
		size_t n = (size_t)snprintf(big, 20000, "OPTIONS sip:x SIP/2.0\r\n");
		struct tmsg t;
		struct sw_fp_result res;

		for (int k = 0; k < 120; k++)
			n += (size_t)snprintf(big + n, 20000 - n, "X-Header-Number-%03d: %d\r\n", k,
					      k);
		n += (size_t)snprintf(big + n, 20000 - n, "CSeq: 1 OPTIONS\r\nCall-ID: 1\r\n\r\n");
		t.len = n;
		t.buf = tu_guard_copy(big, n);
		free(big);
		tmsg_parse(&t);
		score(&t, &res);
		assert_true(res.score < sw_rules_threshold(shipped));
		tu_guard_free(t.buf, t.len);
	}
}

/*
 * Every prefix of every attack and legitimate fixture, each ending at an unmapped page, and each
 * with one byte flipped: whatever parses is scored without reading outside the message.
 */
static void test_cut_and_flipped(void **state)
{
	static const char *const files[] = {
		ATTACK("inviteflood_invite.sip"), ATTACK("sippts_options.sip"),
		ATTACK("nmap_sv_probe.sip"),      ATTACK("metasploit_options.sip"),
		LEGIT("yealink_invite.sip"),      LEGIT("cisco_cp_invite.sip"),
		LEGIT("snom_register.sip"),       LEGIT("baresip_options.sip"),
	};

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len;
		char *text = tu_read_file(files[f], &len);

		for (size_t n = 1; n <= len; n++) {
			for (int flip = 0; flip < 2; flip++) {
				struct tmsg t;
				struct sw_fp_result res;

				t.len = n;
				t.buf = tu_guard_copy(text, n);
				if (flip)
					t.buf[((n * 2654435761u) >> 8) % n] ^= (char)0x20;
				sip_msg_init(&t.msg, t.hdrs, 128);
				if (sip_parse(&t.msg, t.buf, t.len, SIP_MODE_DATAGRAM, NULL) == 0) {
					src_v4(&t.src, 198, 51, 100, 66, 9);
					score(&t, &res);
					check_views(&t, &res);
					assert_true(res.nmatch <= SW_FP_MAX_MATCHES);
				}
				tu_guard_free(t.buf, t.len);
			}
		}
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_loads),
		cmocka_unit_test(test_embedded_equals_file),
		cmocka_unit_test(test_tools_first_message),
		cmocka_unit_test(test_tools_ua_changed),
		cmocka_unit_test(test_tools_every_request),
		cmocka_unit_test(test_attack_fixtures),
		cmocka_unit_test(test_legit_fixtures),
		cmocka_unit_test(test_sipp_below_threshold),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_format_details),
		cmocka_unit_test(test_result_ordering),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_hostile_messages),
		cmocka_unit_test(test_cut_and_flipped),
	};

	return cmocka_run_group_tests(tests, setup_shipped, teardown_shipped);
}
