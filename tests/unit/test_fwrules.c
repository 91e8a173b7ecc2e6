/*
 * Tests of the shield's firewall rules as data (shield/fwrules): the exact iptables, ip6tables
 * and nft commands for one and several workers, fail-open and fail-closed, one and several
 * ports; the removal plans; the shell quoting of --no-rules; the limits. Nothing is run: the
 * end-to-end test (tests/integration/shield_live.sh) installs them in a namespace.
 *
 * Also the NFQUEUE message parser (shield/nfq): a packet message built with libmnl and
 * libnetfilter_queue's own helpers, and malformed ones.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/types.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "core/err.h"
#include "shield/fwrules.h"
#include "shield/nfq.h"

/* The plan as text, one command per line. */
static char *plan_text(const struct sw_fw_plan *p, bool skip_removal)
{
	size_t cap = 65536, n = 0;
	char *out = calloc(1, cap);
	assert_non_null(out);
	for (unsigned i = 0; i < p->n; i++) {
		if (skip_removal && p->cmd[i].may_fail)
			continue;
		char line[1024];
		sw_fw_cmd_format(&p->cmd[i], line, sizeof(line));
		n += (size_t)snprintf(out + n, cap - n, "%s\n", line);
	}
	assert_true(n < cap);
	return out;
}

static struct sw_fw_plan *new_plan(void)
{
	struct sw_fw_plan *p = malloc(sizeof(*p));
	assert_non_null(p);
	return p;
}

static void test_iptables_balance_fail_open(void **state)
{
	(void)state;
	struct sw_fw_spec s = {.ports = {5060},
			       .nports = 1,
			       .queue_first = 50600,
			       .nqueues = 2,
			       .fail_open = true};
	struct sw_fw_plan *p = new_plan();
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), 0);
	char *t = plan_text(p, true);
	assert_string_equal(
		t, "iptables -w -N SIPWARDEN-IN\n"
		   "iptables -w -N SIPWARDEN-OUT\n"
		   "iptables -w -A SIPWARDEN-IN -p udp --dport 5060 -j NFQUEUE --queue-balance "
		   "50600:50601 --queue-bypass\n"
		   "iptables -w -A SIPWARDEN-OUT -p udp --sport 5060 -j NFQUEUE --queue-balance "
		   "50600:50601 --queue-bypass\n"
		   "iptables -w -I INPUT 1 -j SIPWARDEN-IN\n"
		   "iptables -w -I OUTPUT 1 -j SIPWARDEN-OUT\n"
		   "ip6tables -w -N SIPWARDEN-IN\n"
		   "ip6tables -w -N SIPWARDEN-OUT\n"
		   "ip6tables -w -A SIPWARDEN-IN -p udp --dport 5060 -j NFQUEUE --queue-balance "
		   "50600:50601 --queue-bypass\n"
		   "ip6tables -w -A SIPWARDEN-OUT -p udp --sport 5060 -j NFQUEUE --queue-balance "
		   "50600:50601 --queue-bypass\n"
		   "ip6tables -w -I INPUT 1 -j SIPWARDEN-IN\n"
		   "ip6tables -w -I OUTPUT 1 -j SIPWARDEN-OUT\n");
	free(t);
	/* install starts with the removal (leftovers of a crash never double up) */
	assert_true(p->cmd[0].may_fail);
	assert_string_equal(p->cmd[0].argv[0], "iptables");
	unsigned v6 = 0;
	for (unsigned i = 0; i < p->n; i++) {
		assert_int_equal(p->cmd[i].ipv6, strcmp(p->cmd[i].argv[0], "ip6tables") == 0);
		v6 += p->cmd[i].ipv6;
		assert_null(p->cmd[i].argv[p->cmd[i].argc]);
	}
	assert_int_equal(v6, p->n / 2);
	free(p);
}

static void test_iptables_one_queue_fail_closed(void **state)
{
	(void)state;
	struct sw_fw_spec s = {.ports = {5060, 5080},
			       .nports = 2,
			       .queue_first = 7,
			       .nqueues = 1,
			       .fail_open = false};
	struct sw_fw_plan *p = new_plan();
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), 0);
	char *t = plan_text(p, true);
	assert_non_null(strstr(t, "iptables -w -A SIPWARDEN-IN -p udp --dport 5060 -j NFQUEUE "
				  "--queue-num 7\n"));
	assert_non_null(strstr(t, "iptables -w -A SIPWARDEN-IN -p udp --dport 5080 -j NFQUEUE "
				  "--queue-num 7\n"));
	assert_non_null(strstr(t, "iptables -w -A SIPWARDEN-OUT -p udp --sport 5080 -j NFQUEUE "
				  "--queue-num 7\n"));
	assert_null(strstr(t, "bypass"));
	assert_null(strstr(t, "balance"));
	free(t);
	free(p);
}

static void test_iptables_remove(void **state)
{
	(void)state;
	struct sw_fw_plan *p = new_plan();
	assert_int_equal(sw_fw_plan_remove(SW_FW_IPTABLES, p), 0);
	char *t = plan_text(p, false);
	assert_string_equal(t, "iptables -w -D INPUT -j SIPWARDEN-IN\n"
			       "iptables -w -D OUTPUT -j SIPWARDEN-OUT\n"
			       "iptables -w -F SIPWARDEN-IN\n"
			       "iptables -w -X SIPWARDEN-IN\n"
			       "iptables -w -F SIPWARDEN-OUT\n"
			       "iptables -w -X SIPWARDEN-OUT\n"
			       "ip6tables -w -D INPUT -j SIPWARDEN-IN\n"
			       "ip6tables -w -D OUTPUT -j SIPWARDEN-OUT\n"
			       "ip6tables -w -F SIPWARDEN-IN\n"
			       "ip6tables -w -X SIPWARDEN-IN\n"
			       "ip6tables -w -F SIPWARDEN-OUT\n"
			       "ip6tables -w -X SIPWARDEN-OUT\n");
	for (unsigned i = 0; i < p->n; i++)
		assert_true(p->cmd[i].may_fail);
	free(t);
	free(p);
}

static void test_nft(void **state)
{
	(void)state;
	struct sw_fw_spec s = {.ports = {5060, 5061},
			       .nports = 2,
			       .queue_first = 50600,
			       .nqueues = 4,
			       .fail_open = true};
	struct sw_fw_plan *p = new_plan();
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_NFT, p), 0);
	char *t = plan_text(p, false);
	assert_string_equal(
		t, "nft delete table inet sipwarden\n"
		   "nft add table inet sipwarden\n"
		   "nft add chain inet sipwarden in '{ type filter hook input priority -10 ; "
		   "policy accept ; }'\n"
		   "nft add chain inet sipwarden out '{ type filter hook output priority -10 ; "
		   "policy accept ; }'\n"
		   "nft add rule inet sipwarden in 'udp dport { 5060, 5061 } queue num "
		   "50600-50603 bypass'\n"
		   "nft add rule inet sipwarden out 'udp sport { 5060, 5061 } queue num "
		   "50600-50603 bypass'\n");
	/* the rule is one argument: nft joins its arguments, no shell takes it apart */
	assert_int_equal(p->cmd[4].argc, 7);
	assert_string_equal(p->cmd[4].argv[6],
			    "udp dport { 5060, 5061 } queue num 50600-50603 bypass");
	free(t);
	s.nports = 1;
	s.nqueues = 1;
	s.fail_open = false;
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_NFT, p), 0);
	assert_string_equal(p->cmd[4].argv[6], "udp dport 5060 queue num 50600");
	assert_int_equal(sw_fw_plan_remove(SW_FW_NFT, p), 0);
	assert_int_equal(p->n, 1);
	assert_true(p->cmd[0].may_fail);
	free(p);
}

static void test_limits(void **state)
{
	(void)state;
	struct sw_fw_plan *p = new_plan();
	struct sw_fw_spec s = {.ports = {5060}, .nports = 0, .queue_first = 1, .nqueues = 1};
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), SW_E_INVAL);
	s.nports = 1;
	s.nqueues = 0;
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), SW_E_INVAL);
	s.queue_first = 65535;
	s.nqueues = 2; /* 65535..65536 */
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), SW_E_INVAL);
	s.nqueues = 1;
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), 0);
	/* the most ports, both families: fits */
	s.nports = SW_FW_MAX_PORTS;
	for (unsigned i = 0; i < SW_FW_MAX_PORTS; i++)
		s.ports[i] = (uint16_t)(5060 + i);
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_IPTABLES, p), 0);
	assert_int_equal(p->n, 2 * (6 + 2 + 2 * SW_FW_MAX_PORTS + 2));
	assert_int_equal(sw_fw_plan_install(&s, SW_FW_NFT, p), 0);
	free(p);
}

static void test_quoting(void **state)
{
	(void)state;
	struct sw_fw_cmd c = {0};
	const char *args[] = {"nft", "it's", "", "a b", "plain-1.2:3"};
	size_t off = 0;
	for (unsigned i = 0; i < 5; i++) {
		size_t n = strlen(args[i]) + 1;
		memcpy(c.buf + off, args[i], n);
		c.argv[c.argc++] = c.buf + off;
		off += n;
	}
	char line[128];
	sw_fw_cmd_format(&c, line, sizeof(line));
	assert_string_equal(line, "nft 'it'\\''s' '' 'a b' plain-1.2:3");
	char small[8];
	sw_fw_cmd_format(&c, small, sizeof(small)); /* truncated, terminated */
	assert_true(strlen(small) < sizeof(small));
}

static void test_run_missing_program(void **state)
{
	(void)state;
	struct sw_fw_cmd c = {0};
	memcpy(c.buf, "sipwarden-no-such-tool", 23);
	c.argv[0] = c.buf;
	c.argc = 1;
	char err[256];
	assert_int_equal(sw_fw_run(&c, err, sizeof(err)), SW_E_IO);
	assert_non_null(strstr(err, "sipwarden-no-such-tool: not found"));
	assert_false(sw_fw_have("sipwarden-no-such-tool"));
	/* a real program's failure comes back with its status */
	struct sw_fw_cmd f = {0};
	memcpy(f.buf, "false", 6);
	f.argv[0] = f.buf;
	f.argc = 1;
	assert_int_equal(sw_fw_run(&f, err, sizeof(err)), SW_E_IO);
	assert_string_equal(err, "exit status 1");
	memcpy(f.buf, "true", 5);
	assert_int_equal(sw_fw_run(&f, err, sizeof(err)), 0);
}

/* A queued-packet message as the kernel sends it. */
static size_t build_packet_msg(char *buf, uint32_t id, uint8_t hook, const void *pkt, size_t len)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 50600);
	struct nfqnl_msg_packet_hdr ph = {
		.packet_id = htonl(id), .hw_protocol = htons(0x0800), .hook = hook};
	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	if (pkt)
		mnl_attr_put(nlh, NFQA_PAYLOAD, len, pkt);
	return nlh->nlmsg_len;
}

static void test_nfq_parse(void **state)
{
	(void)state;
	static char buf[4096] __attribute__((aligned(8)));
	const uint8_t ip[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17};
	size_t n = build_packet_msg(buf, 77, SW_NFQ_HOOK_OUTPUT, ip, sizeof(ip));
	struct sw_nfq_pkt p;
	assert_int_equal(sw_nfq_parse(buf, n, &p), 0);
	assert_int_equal(p.id, 77);
	assert_int_equal(p.hook, SW_NFQ_HOOK_OUTPUT);
	assert_int_equal(p.hw_proto, 0x0800);
	assert_int_equal(p.len, sizeof(ip));
	assert_memory_equal(p.data, ip, sizeof(ip));

	/* no payload attribute: no data */
	n = build_packet_msg(buf, 5, SW_NFQ_HOOK_INPUT, NULL, 0);
	assert_int_equal(sw_nfq_parse(buf, n, &p), 0);
	assert_null(p.data);
	assert_int_equal(p.len, 0);

	/* shorter than its header says, or than a header */
	assert_int_equal(sw_nfq_parse(buf, n - 1, &p), SW_E_SYNTAX);
	assert_int_equal(sw_nfq_parse(buf, 8, &p), SW_E_SYNTAX);

	/* another message type (a verdict) */
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, 1);
	nfq_nlmsg_verdict_put(nlh, 1, NF_ACCEPT);
	assert_int_equal(sw_nfq_parse(buf, nlh->nlmsg_len, &p), SW_E_SYNTAX);

	/* a packet message without the packet header */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 1);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(ip), ip);
	assert_int_equal(sw_nfq_parse(buf, nlh->nlmsg_len, &p), SW_E_SYNTAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iptables_balance_fail_open),
		cmocka_unit_test(test_iptables_one_queue_fail_closed),
		cmocka_unit_test(test_iptables_remove),
		cmocka_unit_test(test_nft),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_run_missing_program),
		cmocka_unit_test(test_nfq_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
