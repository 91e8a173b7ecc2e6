/* sip_limits.fields: a caller can ask for only some structured views; framing is unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "sip/sip.h"
#include "testutil.h"

static const char resp[] = "SIP/2.0 401 Unauthorized\r\n"
			   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK77;rport=5060\r\n"
			   "From: <sip:100@example.com>;tag=a1\r\n"
			   "To: <sip:100@example.com>;tag=b2\r\n"
			   "Call-ID: c3@192.0.2.1\r\n"
			   "CSeq: 2 REGISTER\r\n"
			   "WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n\"\r\n"
			   "Server: kamailio\r\n"
			   "Expires: 60\r\n"
			   "Content-Length: 0\r\n\r\n";

static void test_mask(void **state)
{
	(void)state;
	struct sip_header hdrs[32];
	struct sip_msg all, some;
	sip_msg_init(&all, hdrs, 32);
	assert_int_equal(sip_parse(&all, resp, sizeof(resp) - 1, SIP_MODE_DATAGRAM, NULL), 0);
	assert_view(all.via.branch, "z9hG4bK77");
	assert_view(all.www_authenticate.realm, "example.com");
	assert_int_equal(all.expires, 60);

	struct sip_header hdrs2[32];
	sip_msg_init(&some, hdrs2, 32);
	struct sip_limits lim = SIP_LIMITS_DEFAULT;
	lim.fields = SIP_FIELD_CSEQ | SIP_FIELD_TO | SIP_FIELD_CALL_ID;
	assert_int_equal(sip_parse(&some, resp, sizeof(resp) - 1, SIP_MODE_DATAGRAM, &lim), 0);
	/* what was asked for, and the framing, are the same */
	assert_int_equal(some.status, 401);
	assert_int_equal(some.cseq.num, 2);
	assert_view(some.cseq.method, "REGISTER");
	assert_view(some.to.uri.user, "100");
	assert_view(some.to.tag, "b2");
	assert_view(some.call_id, "c3@192.0.2.1");
	assert_int_equal(some.nhdr, all.nhdr);
	assert_int_equal(some.msg_len, all.msg_len);
	assert_int_equal(some.ndefects, all.ndefects);
	/* the rest is left empty */
	assert_absent(some.via.branch);
	assert_absent(some.from.tag);
	assert_absent(some.www_authenticate.realm);
	assert_absent(some.server);
	assert_int_equal(some.expires, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_mask)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
