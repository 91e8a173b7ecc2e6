/* Shield config loader: the shipped defaults, overrides, realm lookup, and every error path. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/err.h"
#include "shield/config.h"

static struct sw_shield_config cfg;
static char err[1024];

static int load(const char *text)
{
	err[0] = '\0';
	return sw_shield_config_load_buf("t.conf", text, strlen(text), &cfg, err, sizeof(err));
}

static struct sw_endpoint ep(const char *a)
{
	struct sw_endpoint e;
	uint8_t b[16] = {0};
	if (inet_pton(AF_INET, a, b) == 1)
		sw_endpoint_set_v4(&e, b, 5060);
	else {
		assert_int_equal(inet_pton(AF_INET6, a, b), 1);
		sw_endpoint_set_v6(&e, b, 5060);
	}
	return e;
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(sw_shield_config_default(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.source, "(built-in defaults)");
	assert_int_equal(cfg.nports, 1);
	assert_int_equal(cfg.sip_ports[0], 5060);
	assert_string_equal(cfg.rules, "");
	assert_int_equal(cfg.policy.tolerance_window_ms, 30000);
	assert_int_equal(cfg.policy.max_untrusted_signaling, 10000);
	assert_int_equal(cfg.state_memory, 64 << 20);
	assert_int_equal(cfg.trusted_share, 25);
	assert_int_equal(cfg.ipv6_prefix, 64);
	assert_non_null(strstr(cfg.ua_deny, "friendly|sundayddr"));
	assert_null(strstr(cfg.ua_deny, "eyeBeam"));
	assert_string_equal(cfg.ua_allow, "");
	assert_int_equal(cfg.nrealms, 1);
	const struct sw_realm *r = &cfg.realms[0];
	assert_string_equal(r->name, "access");
	assert_int_equal(r->trust, SW_TRUST_LOW);
	assert_int_equal(r->anon, SW_ANON_ALL);
	assert_int_equal(r->invalid_signal_threshold, 1);
	assert_int_equal(r->untrusted_signal_threshold, 20);
	assert_int_equal(r->maximum_signal_threshold, 4000);
	assert_int_equal(r->nat_trust_threshold, 0);
	assert_int_equal(r->deny_period, 120);
	assert_int_equal(r->enumeration_threshold, 4);
	assert_int_equal(r->auth_failure_threshold, 4);
	assert_int_equal(r->method_sweep_threshold, 4);
	assert_int_equal(cfg.nprefixes, 2);
}

static void test_override_and_realms(void **state)
{
	(void)state;
	assert_int_equal(load("[shield]\n"
			      "sip-port = 5060, 5080\n"
			      "tolerance-window = 10\n"
			      "state-memory = 8M\n"
			      "user-agent-allow = ^(Yealink|Polycom)\n"
			      "[realm access]\n"
			      "deny-period = 5\n"
			      "[realm peer]\n"
			      "addr-prefix = 192.0.2.0/24, 2001:db8::/32\n"
			      "access-control-trust-level = high\n"
			      "[acl carrier]\n"
			      "source-address = 192.0.2.128/25\n"
			      "realm-id = peer\n"
			      "trust-level = medium\n"
			      "[acl blocked]\n"
			      "source-address = 198.51.100.7\n"
			      "access = deny\n"),
			 0);
	assert_int_equal(cfg.nports, 2);
	assert_int_equal(cfg.sip_ports[1], 5080);
	assert_true(sw_shield_config_is_sip_port(&cfg, 5080));
	assert_false(sw_shield_config_is_sip_port(&cfg, 5061));
	assert_int_equal(cfg.policy.tolerance_window_ms, 10000);
	assert_int_equal(cfg.state_memory, 8 << 20);
	assert_string_equal(cfg.ua_allow, "^(Yealink|Polycom)");
	/* unset keys keep their defaults; the user's realms replace the shipped ones */
	assert_int_equal(cfg.policy.max_untrusted_signaling, 10000);
	assert_int_equal(cfg.nrealms, 2);
	assert_int_equal(cfg.realms[0].deny_period, 5);
	assert_int_equal(cfg.realms[0].untrusted_signal_threshold, 20);
	assert_int_equal(cfg.realms[1].trust, SW_TRUST_HIGH);
	assert_int_equal(cfg.realms[1].untrusted_signal_threshold, 20); /* from the template */

	enum sw_trust_level t;
	int listed, deny;
	struct sw_endpoint e = ep("192.0.2.1");
	assert_int_equal(sw_shield_config_realm(&cfg, &e, &t, &listed, &deny), 1);
	assert_int_equal(t, SW_TRUST_HIGH);
	assert_false(listed);
	e = ep("192.0.2.200"); /* the /25 ACL is more specific than the realm's /24 */
	assert_int_equal(sw_shield_config_realm(&cfg, &e, &t, &listed, &deny), 1);
	assert_int_equal(t, SW_TRUST_MEDIUM);
	assert_true(listed);
	assert_false(deny);
	e = ep("198.51.100.7");
	assert_int_equal(sw_shield_config_realm(&cfg, &e, &t, &listed, &deny), 0);
	assert_true(deny);
	e = ep("2001:db8::5");
	assert_int_equal(sw_shield_config_realm(&cfg, &e, &t, &listed, &deny), 1);
	e = ep("203.0.113.9"); /* no prefix: the default realm (the user's first) */
	assert_int_equal(sw_shield_config_realm(&cfg, &e, &t, &listed, &deny), 0);
	assert_int_equal(t, SW_TRUST_LOW);
	e = ep("2001:db9::1");
	assert_int_equal(sw_shield_config_realm(&cfg, &e, &t, &listed, &deny), 0);
}

static void test_empty_sections_count(void **state)
{
	(void)state;
	/* a realm without keys still exists, so an ACL can name it */
	assert_int_equal(load("[realm a]\n[realm b]\n[acl x]\nsource-address = 10.0.0.0/8\n"
			      "realm-id = b\n"),
			 0);
	assert_int_equal(cfg.nrealms, 2);
	assert_string_equal(cfg.realms[1].name, "b");
}

struct bad {
	const char *text;
	const char *want; /* the whole message */
};

static void test_errors(void **state)
{
	(void)state;
	static const struct bad cases[] = {
		{"[shield]\nsip-prt = 5060\n", "t.conf:2: unknown key 'sip-prt' in [shield]"},
		{"[sheild]\n",
		 "t.conf:1: unknown section [sheild] (expected [shield], [realm NAME] "
		 "or [acl NAME])"},
		{"sip-port = 1\n",
		 "t.conf:1: 'sip-port' outside a section (put it under [shield])"},
		{"[shield]\nsip-port = 70000\n",
		 "t.conf:2: sip-port '70000' is not a port number (1-65535)"},
		{"[shield]\nsip-port = 5060,\n", "t.conf:2: sip-port '' is not a port number"},
		{"[shield]\ntolerance-window = 0\n",
		 "t.conf:2: tolerance-window = '0': expected a whole number from 1 to 86400"},
		{"[shield]\ntolerance-window = 3x\n",
		 "t.conf:2: tolerance-window = '3x': expected a whole number from 1 to 86400"},
		{"[shield]\nstate-memory = 12Q\n",
		 "t.conf:2: state-memory = '12Q': expected a size (bytes, or with K, M, G) from "
		 "1048576 to 1099511627776 bytes"},
		{"[realm a]\naccess-control-trust-level = total\n",
		 "t.conf:2: access-control-trust-level = 'total': expected high, medium, low or "
		 "none"},
		{"[realm a]\nallow-anonymous = some\n",
		 "t.conf:2: allow-anonymous = 'some': expected all, agents-only or registered"},
		{"[realm a]\naddr-prefix = 10.0.0.1/8\n",
		 "t.conf:2: addr-prefix '10.0.0.1/8' has bits set after the prefix length"},
		{"[realm a]\naddr-prefix = 10.0.0.0/33\n",
		 "t.conf:2: addr-prefix '10.0.0.0/33' is not an address or prefix"},
		{"[realm a]\naddr-prefix = example.com\n",
		 "t.conf:2: addr-prefix 'example.com' is not an address or prefix"},
		{"[realm a]\n[realm a]\n", "t.conf:2: [realm a] defined twice (first on line 1)"},
		{"[realm a b]\n",
		 "t.conf:1: [realm a b]: names use letters, digits, '-', '_' and '.'"},
		{"[realm a]\n[acl x]\nrealm-id = a\n", "t.conf:2: [acl x] has no source-address"},
		{"[realm a]\n[acl x]\nsource-address = 10.0.0.0/8\nrealm-id = b\n",
		 "t.conf:2: [acl x]: realm-id 'b' names no [realm] section"},
		{"[realm a]\n[acl x]\nsource-address = 10.0.0.0/8\naccess = maybe\n",
		 "t.conf:4: access = 'maybe': expected permit or deny"},
		{"[shield]\nthis line has no equals sign\n",
		 "t.conf:2: syntax error (expected [section] or key = value)"},
		{"[shield]\nlog-max-size = 100\n",
		 "t.conf:2: log-max-size = '100': expected a size (bytes, or with K, M, G) from 4096 "
		 "to 17592186044416 bytes"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load(cases[i].text);
		if (rc != SW_E_CONFIG || strcmp(err, cases[i].want) != 0)
			fail_msg("case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err,
				 cases[i].want);
	}
}

static void test_file_errors(void **state)
{
	(void)state;
	assert_int_equal(sw_shield_config_load("/nonexistent/shield.conf", &cfg, err, sizeof(err)),
			 SW_E_CONFIG);
	assert_string_equal(err, "/nonexistent/shield.conf: No such file or directory");
	const char nul[] = "[shield]\nlog = a\0b\n";
	assert_int_equal(sw_shield_config_load_buf("n.conf", nul, sizeof(nul) - 1, &cfg, err,
						   sizeof(err)),
			 SW_E_CONFIG);
	assert_non_null(strstr(err, "n.conf"));
	/* the shipped file itself, read from disk, gives the built-in settings */
	assert_int_equal(sw_shield_config_load(SW_SOURCE_DIR "/conf/shield.conf", &cfg, err,
					       sizeof(err)),
			 0);
	assert_int_equal(cfg.nrealms, 1);
	assert_int_equal(cfg.realms[0].untrusted_signal_threshold, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_override_and_realms),
		cmocka_unit_test(test_empty_sections_count),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_file_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
