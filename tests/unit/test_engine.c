/*
 * The shield engine end to end in-process: packets in, verdicts out, with the shipped defaults
 * (and small configs where a test needs other thresholds). The policy's own unit tests cover
 * each rule of the state machine; these check that the engine feeds it the right facts from
 * real message bytes and both directions, and that reloads, blocks and the matched-message log
 * work.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "shield/config.h"
#include "shield/engine.h"
#include "shield/mlog.h"

#define SERVER "198.18.0.1"

static struct sw_shield_config cfg;
static char err[1024];

static struct sw_endpoint ep(const char *a, uint16_t port)
{
	struct sw_endpoint e;
	uint8_t b[16] = {0};
	if (inet_pton(AF_INET, a, b) == 1)
		sw_endpoint_set_v4(&e, b, port);
	else {
		assert_int_equal(inet_pton(AF_INET6, a, b), 1);
		sw_endpoint_set_v6(&e, b, port);
	}
	return e;
}

static void send_msg(struct sw_engine *e, const char *from, uint16_t port, int dir,
		     const char *text, uint64_t now_ms, struct sw_verdict *v)
{
	struct sw_packet p = {0};
	struct sw_endpoint remote = ep(from, port), server = ep(SERVER, 5060);
	p.src = dir == SW_DIR_IN ? remote : server;
	p.dst = dir == SW_DIR_IN ? server : remote;
	p.payload = (const uint8_t *)text;
	p.len = (uint32_t)strlen(text);
	p.now_ms = now_ms;
	p.dir = (uint8_t)dir;
	sw_engine_packet(e, &p, v);
}

/* svmap 0.3.3's OPTIONS as captured (tests/data/captures/real_tools_svmap.pcap). */
static const char svmap[] =
	"OPTIONS sip:100@198.18.0.1 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 127.0.1.1:5060;branch=z9hG4bK-2375813425;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
	"From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6338303030303130303030300131333838323635363233\r\n"
	"User-Agent: friendly-scanner\r\n"
	"Call-ID: 468613094138612876612580\r\n"
	"Contact: sip:100@127.0.1.1:5060\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Accept: application/sdp\r\n"
	"Content-Length: 0\r\n\r\n";

static const char svmap_200[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 127.0.1.1:5060;branch=z9hG4bK-2375813425;rport=5060\r\n"
	"To: \"sipvicious\"<sip:100@1.1.1.1>;tag=a6a1c5f60faecf035a1ae5b6e96e979a\r\n"
	"From: \"sipvicious\"<sip:100@1.1.1.1>;tag=6338303030303130303030300131333838323635363233\r\n"
	"Call-ID: 468613094138612876612580\r\n"
	"CSeq: 1 OPTIONS\r\n"
	"Server: kamailio (5.6.3 (x86_64/linux))\r\n"
	"Content-Length: 0\r\n\r\n";

/* A phone's registration: REGISTER, 401, REGISTER with credentials, 200. */
static char reg[1024], reg_auth[1024], reg_401[1024], reg_200[1024];

static void make_registration(const char *addr, uint16_t port, const char *user, int cseq)
{
	snprintf(
		reg, sizeof(reg),
		"REGISTER sip:" SERVER " SIP/2.0\r\n"
		"Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%08x;rport\r\n"
		"From: \"%s\" <sip:%s@" SERVER ">;tag=%u\r\n"
		"To: \"%s\" <sip:%s@" SERVER ">\r\n"
		"Call-ID: %u-reg@%s\r\n"
		"CSeq: %d REGISTER\r\n"
		"Contact: <sip:%s@%s:%u>;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-%012u>\"\r\n"
		"Max-Forwards: 70\r\n"
		"User-Agent: Yealink SIP-T46S 66.85.0.5\r\n"
		"Expires: 3600\r\n"
		"Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE\r\n"
		"Content-Length: 0\r\n\r\n",
		addr, port, (unsigned)cseq * 7919u, user, user, (unsigned)port, user, user,
		(unsigned)port, addr, cseq, user, addr, port, (unsigned)port);
	snprintf(reg_auth, sizeof(reg_auth),
		 "REGISTER sip:" SERVER " SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%08x;rport\r\n"
		 "From: \"%s\" <sip:%s@" SERVER ">;tag=%u\r\n"
		 "To: \"%s\" <sip:%s@" SERVER ">\r\n"
		 "Call-ID: %u-reg@%s\r\n"
		 "CSeq: %d REGISTER\r\n"
		 "Contact: <sip:%s@%s:%u>\r\n"
		 "Authorization: Digest username=\"%s\", realm=\"sipwarden.test\", "
		 "nonce=\"X4bRZ2Ab\", uri=\"sip:" SERVER "\", "
		 "response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, "
		 "cnonce=\"5d6a1b\", nc=00000001\r\n"
		 "Max-Forwards: 70\r\n"
		 "User-Agent: Yealink SIP-T46S 66.85.0.5\r\n"
		 "Expires: 3600\r\n"
		 "Content-Length: 0\r\n\r\n",
		 addr, port, (unsigned)cseq * 7919u + 1, user, user, (unsigned)port, user, user,
		 (unsigned)port, addr, cseq + 1, user, addr, port, user);
	snprintf(reg_401, sizeof(reg_401),
		 "SIP/2.0 401 Unauthorized\r\n"
		 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%08x;rport=%u\r\n"
		 "From: \"%s\" <sip:%s@" SERVER ">;tag=%u\r\n"
		 "To: \"%s\" <sip:%s@" SERVER ">;tag=b27e1a1d33761e85846fc98f5f3a7e58\r\n"
		 "Call-ID: %u-reg@%s\r\n"
		 "CSeq: %d REGISTER\r\n"
		 "WWW-Authenticate: Digest realm=\"sipwarden.test\", nonce=\"X4bRZ2Ab\", "
		 "qop=\"auth\"\r\n"
		 "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
		 "Content-Length: 0\r\n\r\n",
		 addr, port, (unsigned)cseq * 7919u, (unsigned)port, user, user, (unsigned)port,
		 user, user, (unsigned)port, addr, cseq);
	snprintf(reg_200, sizeof(reg_200),
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%08x;rport=%u\r\n"
		 "From: \"%s\" <sip:%s@" SERVER ">;tag=%u\r\n"
		 "To: \"%s\" <sip:%s@" SERVER ">;tag=b27e1a1d33761e85846fc98f5f3a7e58\r\n"
		 "Call-ID: %u-reg@%s\r\n"
		 "CSeq: %d REGISTER\r\n"
		 "Contact: <sip:%s@%s:%u>;expires=3600\r\n"
		 "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
		 "Content-Length: 0\r\n\r\n",
		 addr, port, (unsigned)cseq * 7919u + 1, (unsigned)port, user, user, (unsigned)port,
		 user, user, (unsigned)port, addr, cseq + 1, user, addr, port);
}

static struct sw_engine *engine_with(const char *conf)
{
	int rc = conf ? sw_shield_config_load_buf("t.conf", conf, strlen(conf), &cfg, err,
						  sizeof(err)) :
			sw_shield_config_default(&cfg, err, sizeof(err));
	if (rc != 0)
		fail_msg("config: %s", err);
	struct sw_engine *e;
	if (sw_engine_new(&cfg, &e, err, sizeof(err)) != 0)
		fail_msg("engine: %s", err);
	return e;
}

/* Register addr:port as user; asserts every message passes and the endpoint ends trusted. */
static void do_register(struct sw_engine *e, const char *addr, uint16_t port, const char *user,
			uint64_t t)
{
	struct sw_verdict v;
	make_registration(addr, port, user, 1);
	send_msg(e, addr, port, SW_DIR_IN, reg, t, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	send_msg(e, addr, port, SW_DIR_OUT, reg_401, t + 5, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	send_msg(e, addr, port, SW_DIR_IN, reg_auth, t + 20, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	send_msg(e, addr, port, SW_DIR_OUT, reg_200, t + 25, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	assert_int_equal(v.state_after, SW_SRC_TRUSTED);
}

static void test_svmap_denied_on_first_message(void **state)
{
	(void)state;
	struct sw_engine *e = engine_with(NULL);
	struct sw_verdict v;
	send_msg(e, "203.0.113.5", 5060, SW_DIR_IN, svmap, 1000, &v);
	assert_int_equal(v.action, SW_ACT_DENY);
	assert_int_equal(v.reason, SW_REASON_FINGERPRINT);
	assert_int_equal(v.state_after, SW_SRC_DENIED);
	assert_non_null(v.fp.tool);
	assert_true(v.fp.score >= sw_rules_threshold(sw_engine_rules(e)));
	assert_int_equal(v.deny_until, 1000 + 120 * 1000);
	/* the server's answer to it (it got in before the shield saw it, say) is dropped */
	send_msg(e, "203.0.113.5", 5060, SW_DIR_OUT, svmap_200, 1001, &v);
	assert_int_equal(v.action, SW_ACT_DROP);
	assert_int_equal(v.reason, SW_REASON_RESPONSE_TO_FLAGGED);
	/* anything else from it, even a clean registration, is dropped while denied */
	make_registration("203.0.113.5", 5060, "100", 1);
	send_msg(e, "203.0.113.5", 5060, SW_DIR_IN, reg, 2000, &v);
	assert_int_equal(v.action, SW_ACT_DROP);
	assert_int_equal(v.reason, SW_REASON_DENIED);
	/* after deny-period (120 s) it is released */
	send_msg(e, "203.0.113.5", 5060, SW_DIR_IN, reg, 1000 + 120 * 1000, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	assert_true(v.released);
	const struct sw_engine_stats *st = sw_engine_stats(e);
	assert_int_equal(st->denied, 1);
	assert_int_equal(st->by_reason[SW_REASON_FINGERPRINT], 1);
	sw_engine_free(e);
}

static void test_registration_trusts_endpoint(void **state)
{
	(void)state;
	struct sw_engine *e = engine_with(NULL);
	do_register(e, "198.51.100.20", 5062, "101", 1000);
	struct sw_verdict v;
	/* trusted: keepalive OPTIONS and re-REGISTERs pass, and far more than the untrusted
	 * threshold (20) in one window */
	make_registration("198.51.100.20", 5062, "101", 3);
	for (int i = 0; i < 100; i++) {
		send_msg(e, "198.51.100.20", 5062, SW_DIR_IN, reg_auth, 2000 + i, &v);
		assert_int_equal(v.action, SW_ACT_ACCEPT);
		assert_int_equal(v.state_after, SW_SRC_TRUSTED);
	}
	sw_engine_free(e);
}

static void test_nat_phones_reregistering(void **state)
{
	(void)state;
	struct sw_engine *e = engine_with(NULL);
	/* ten phones behind one address, all re-registering at once after an outage: every
	 * REGISTER first, then the challenges, the credentials and the 200s */
	struct sw_verdict v;
	char regs[10][1024], auths[10][1024], c401[10][1024], c200[10][1024];
	for (int i = 0; i < 10; i++) {
		char user[8];
		snprintf(user, sizeof(user), "%d", 110 + i);
		make_registration("192.0.2.77", (uint16_t)(40000 + i), user, 1);
		memcpy(regs[i], reg, sizeof(reg));
		memcpy(auths[i], reg_auth, sizeof(reg));
		memcpy(c401[i], reg_401, sizeof(reg));
		memcpy(c200[i], reg_200, sizeof(reg));
	}
	uint64_t t = 5000;
	for (int i = 0; i < 10; i++) {
		send_msg(e, "192.0.2.77", (uint16_t)(40000 + i), SW_DIR_IN, regs[i], t++, &v);
		assert_int_equal(v.action, SW_ACT_ACCEPT);
	}
	for (int i = 0; i < 10; i++) {
		send_msg(e, "192.0.2.77", (uint16_t)(40000 + i), SW_DIR_OUT, c401[i], t++, &v);
		assert_int_equal(v.action, SW_ACT_ACCEPT);
	}
	for (int i = 0; i < 10; i++) {
		send_msg(e, "192.0.2.77", (uint16_t)(40000 + i), SW_DIR_IN, auths[i], t++, &v);
		assert_int_equal(v.action, SW_ACT_ACCEPT);
	}
	for (int i = 0; i < 10; i++) {
		send_msg(e, "192.0.2.77", (uint16_t)(40000 + i), SW_DIR_OUT, c200[i], t++, &v);
		assert_int_equal(v.action, SW_ACT_ACCEPT);
		assert_int_equal(v.state_after, SW_SRC_TRUSTED);
	}
	assert_int_equal(sw_engine_stats(e)->denied, 0);
	sw_engine_free(e);
}

static void test_enumeration_by_behaviour(void **state)
{
	(void)state;
	/* a disguised enumerator: clean REGISTERs for user after user, the server answers 404 */
	struct sw_engine *e = engine_with(NULL);
	struct sw_verdict v;
	int denied_at = 0, by_enumeration = 0;
	for (int i = 0; i < 20 && !denied_at; i++) {
		char user[8];
		snprintf(user, sizeof(user), "%d", 200 + i);
		make_registration("203.0.113.66", 40123, user, 1);
		send_msg(e, "203.0.113.66", 40123, SW_DIR_IN, reg, 10000 + (uint64_t)i * 10, &v);
		if (v.action != SW_ACT_ACCEPT) {
			denied_at = i + 1;
			break;
		}
		char resp[1024];
		snprintf(resp, sizeof(resp),
			 "SIP/2.0 404 Not Found\r\n"
			 "Via: SIP/2.0/UDP 203.0.113.66:40123;branch=z9hG4bK1;rport=40123\r\n"
			 "From: <sip:%s@" SERVER ">;tag=1\r\n"
			 "To: <sip:%s@" SERVER ">;tag=2\r\n"
			 "Call-ID: x%d\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
			 user, user, i);
		send_msg(e, "203.0.113.66", 40123, SW_DIR_OUT, resp, 10000 + (uint64_t)i * 10 + 5,
			 &v);
		if (v.action == SW_ACT_DENY) {
			assert_int_equal(v.reason, SW_REASON_ENUMERATION);
			by_enumeration = 1;
			denied_at = i + 1;
		}
	}
	/*
	 * enumeration-threshold = 4 distinct users. The policy counts them in a 64-bit sketch
	 * keyed with a random key per engine, so two of the first four users share a bit about
	 * one run in eleven and the deny comes a user or two later; never before the fourth.
	 */
	assert_true(by_enumeration);
	assert_in_range(denied_at, 4, 8);
	sw_engine_free(e);
}

static void test_ua_allow_mode_and_acl(void **state)
{
	(void)state;
	struct sw_engine *e = engine_with("[shield]\n"
					  "user-agent-allow = ^Yealink\n"
					  "[realm access]\n"
					  "[realm peer]\n"
					  "addr-prefix = 192.0.2.0/24\n"
					  "access-control-trust-level = high\n"
					  "[acl bad]\n"
					  "source-address = 198.51.100.99\n"
					  "access = deny\n");
	struct sw_verdict v;
	make_registration("198.51.100.1", 5060, "100", 1);
	send_msg(e, "198.51.100.1", 5060, SW_DIR_IN, reg, 1000, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT); /* a Yealink */
	char other[1024];
	snprintf(other, sizeof(other), "%s", reg);
	char *ua = strstr(other, "Yealink");
	memcpy(ua, "Grandst", 7);
	send_msg(e, "198.51.100.2", 5060, SW_DIR_IN, other, 1000, &v);
	assert_int_equal(v.action, SW_ACT_DENY);
	assert_int_equal(v.reason, SW_REASON_UA_ALLOW);
	/* ACL deny: dropped, no state */
	send_msg(e, "198.51.100.99", 5060, SW_DIR_IN, reg, 1000, &v);
	assert_int_equal(v.action, SW_ACT_DROP);
	assert_int_equal(v.reason, SW_REASON_ACL);
	assert_false(v.tracked);
	/* high trust: a scanner message is dropped, the source never denied */
	send_msg(e, "192.0.2.9", 5060, SW_DIR_IN, svmap, 1000, &v);
	assert_int_equal(v.action, SW_ACT_DROP);
	assert_int_equal(v.realm, 1);
	assert_int_not_equal(v.state_after, SW_SRC_DENIED);
	sw_engine_free(e);
}

static void test_reload_keeps_state(void **state)
{
	(void)state;
	struct sw_engine *e = engine_with(NULL);
	struct sw_verdict v;
	do_register(e, "198.51.100.20", 5062, "101", 1000);
	send_msg(e, "203.0.113.5", 5060, SW_DIR_IN, svmap, 1000, &v);
	assert_int_equal(v.state_after, SW_SRC_DENIED);
	/* a broken config is refused and changes nothing */
	struct sw_shield_config bad;
	assert_int_equal(sw_shield_config_load_buf("b.conf", "[shield]\nuser-agent-deny = (\n", 29,
						   &bad, err, sizeof(err)),
			 0);
	assert_int_not_equal(sw_engine_reload(e, &bad, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "user-agent-deny"));
	/* a good one keeps every source's state */
	struct sw_shield_config good;
	assert_int_equal(sw_shield_config_load_buf("g.conf", "[shield]\nuser-agent-deny = zzz\n",
						   31, &good, err, sizeof(err)),
			 0);
	assert_int_equal(sw_engine_reload(e, &good, err, sizeof(err)), 0);
	make_registration("198.51.100.20", 5062, "101", 5);
	send_msg(e, "198.51.100.20", 5062, SW_DIR_IN, reg_auth, 3000, &v);
	assert_int_equal(v.state_before, SW_SRC_TRUSTED);
	send_msg(e, "203.0.113.5", 5060, SW_DIR_IN, reg, 3000, &v);
	assert_int_equal(v.reason, SW_REASON_DENIED);
	sw_engine_free(e);
}

static void test_block_unblock_keepalive_garbage(void **state)
{
	(void)state;
	struct sw_engine *e = engine_with(NULL);
	struct sw_verdict v;
	struct sw_endpoint a = ep("198.51.100.50", 0);
	assert_int_equal(sw_engine_block(e, &a, 5000, 100, SW_REASON_DENIED), 0);
	make_registration("198.51.100.50", 5060, "100", 1);
	send_msg(e, "198.51.100.50", 5060, SW_DIR_IN, reg, 200, &v);
	assert_int_equal(v.reason, SW_REASON_DENIED);
	assert_true(sw_engine_unblock(e, &a) >= 1);
	send_msg(e, "198.51.100.50", 5060, SW_DIR_IN, reg, 300, &v);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	/* CRLF keep-alives pass without state; garbage is an invalid signal */
	send_msg(e, "198.51.100.51", 5060, SW_DIR_IN, "\r\n\r\n", 300, &v);
	assert_true(v.keepalive);
	assert_int_equal(v.action, SW_ACT_ACCEPT);
	send_msg(e, "198.51.100.51", 5060, SW_DIR_IN, "\x16\x03\x01 hello not sip at all", 300, &v);
	assert_int_not_equal(v.parse_rc, 0);
	assert_int_equal(v.action, SW_ACT_DENY);
	assert_int_equal(v.reason, SW_REASON_INVALID_THRESHOLD);
	sw_engine_free(e);
}

static void test_mlog(void **state)
{
	(void)state;
	char path[] = "/tmp/sw-mlog-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct sw_engine *e = engine_with(NULL);
	struct sw_mlog *l;
	char pcap[64];
	snprintf(pcap, sizeof(pcap), "%s.pcap", path);
	assert_int_equal(sw_mlog_open(path, 1 << 20, pcap, 1 << 20, &l, err, sizeof(err)), 0);
	struct sw_packet p = {0};
	p.src = ep("203.0.113.5", 5060);
	p.dst = ep(SERVER, 5060);
	p.payload = (const uint8_t *)svmap;
	p.len = sizeof(svmap) - 1;
	p.now_ms = 1763780645123;
	struct sw_verdict v;
	sw_engine_packet(e, &p, &v);
	assert_true(sw_mlog_wants(&v));
	assert_int_equal(sw_mlog_write(l, e, &p, &v, 0), 0);
	assert_int_equal(sw_mlog_records(l), 1);
	assert_int_equal(sw_mlog_close(l), 0);
	FILE *f = fopen(path, "r");
	char line[8192];
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_non_null(strstr(line, "\"src\":\"203.0.113.5:5060\""));
	assert_non_null(strstr(line, "\"verdict\":\"deny\""));
	assert_non_null(strstr(line, "\"reason\":\"fingerprint\""));
	assert_non_null(strstr(line, "\"state\":\"denied\""));
	assert_non_null(strstr(line, "\"method\":\"OPTIONS\""));
	assert_non_null(strstr(line, "\"rules\":[{\"id\":"));
	assert_non_null(strstr(line, "\"time\":\"2025-11-22T03:04:05.123000Z\""));
	f = fopen(pcap, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	/* header, one record header, 28 bytes of IPv4 + UDP, the payload */
	assert_int_equal(ftell(f), 24 + 16 + 28 + (long)(sizeof(svmap) - 1));
	fclose(f);
	unlink(path);
	unlink(pcap);
	sw_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svmap_denied_on_first_message),
		cmocka_unit_test(test_registration_trusts_endpoint),
		cmocka_unit_test(test_nat_phones_reregistering),
		cmocka_unit_test(test_enumeration_by_behaviour),
		cmocka_unit_test(test_ua_allow_mode_and_acl),
		cmocka_unit_test(test_reload_keeps_state),
		cmocka_unit_test(test_block_unblock_keepalive_garbage),
		cmocka_unit_test(test_mlog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
