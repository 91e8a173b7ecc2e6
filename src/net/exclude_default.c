/*
 * The built-in copy of conf/exclude-default.conf.
 *
 * One string literal line per file line, in the file's order, so a diff of the two reads line for
 * line. To change the list, edit conf/exclude-default.conf and regenerate this literal from it
 * (each line L becomes "L\n"); the unit test that compares the two catches any drift.
 */
#include "net/exclude_default.h"

#include "core/err.h"

// clang-format off
static const char text[] =
	"# sipwarden default exclusion list: addresses `sipwarden scan` never probes.\n"
	"#\n"
	"# The IANA IPv4 and IPv6 Special-Purpose Address Registries and the two multicast\n"
	"# blocks, one block per line with the RFC that reserves it and its registry name.\n"
	"# Content as the registries stood in 2024 (IPv6 entries up to RFC 9602 and RFC 9637),\n"
	"# written from their published content, not fetched at build time: recheck against\n"
	"#   https://www.iana.org/assignments/iana-ipv4-special-registry\n"
	"#   https://www.iana.org/assignments/iana-ipv6-special-registry\n"
	"# before a release.\n"
	"#\n"
	"# Some blocks the registries mark globally reachable are listed on purpose:\n"
	"# 64:ff9b::/96 and 2002::/16 embed IPv4 addresses, so probes sent there would reach\n"
	"# IPv4 hosts through translators and relays, around the IPv4 part of this list; the\n"
	"# AS112 and AMT blocks are shared anycast infrastructure that runs no SIP service.\n"
	"#\n"
	"# Format (every list file): one address, prefix (a.b.c.d/n, addr/n) or range\n"
	"# (a.b.c.d-e.f.g.h) per line; '#' starts a comment. --exclude FILE adds lists to this\n"
	"# one; --no-default-exclude drops it. src/net/exclude_default.c embeds a copy of this\n"
	"# file, and tests/unit/test_prefix.c fails when the two differ by a single byte.\n"
	"\n"
	"# IPv4\n"
	"0.0.0.0/8            # RFC 791, RFC 1122: This network (0.0.0.0/32: this host)\n"
	"10.0.0.0/8           # RFC 1918: Private-Use\n"
	"100.64.0.0/10        # RFC 6598: Shared Address Space (carrier-grade NAT)\n"
	"127.0.0.0/8          # RFC 1122: Loopback\n"
	"169.254.0.0/16       # RFC 3927: Link Local\n"
	"172.16.0.0/12        # RFC 1918: Private-Use\n"
	"192.0.0.0/24         # RFC 6890: IETF Protocol Assignments (DS-Lite, PCP, TURN, ...)\n"
	"192.0.2.0/24         # RFC 5737: Documentation (TEST-NET-1)\n"
	"192.31.196.0/24      # RFC 7535: AS112-v4\n"
	"192.52.193.0/24      # RFC 7450: AMT\n"
	"192.88.99.0/24       # RFC 7526: Deprecated (6to4 Relay Anycast)\n"
	"192.168.0.0/16       # RFC 1918: Private-Use\n"
	"192.175.48.0/24      # RFC 7534: Direct Delegation AS112 Service\n"
	"198.18.0.0/15        # RFC 2544: Benchmarking\n"
	"198.51.100.0/24      # RFC 5737: Documentation (TEST-NET-2)\n"
	"203.0.113.0/24       # RFC 5737: Documentation (TEST-NET-3)\n"
	"224.0.0.0/4          # RFC 5771: Multicast\n"
	"240.0.0.0/4          # RFC 1112: Reserved\n"
	"255.255.255.255/32   # RFC 919, RFC 8190: Limited Broadcast\n"
	"\n"
	"# IPv6\n"
	"::/128               # RFC 4291: Unspecified Address\n"
	"::1/128              # RFC 4291: Loopback Address\n"
	"::ffff:0:0/96        # RFC 4291: IPv4-mapped Address\n"
	"64:ff9b::/96         # RFC 6052: IPv4-IPv6 Translation (well-known NAT64 prefix)\n"
	"64:ff9b:1::/48       # RFC 8215: IPv4-IPv6 Translation (local use)\n"
	"100::/64             # RFC 6666: Discard-Only Address Block\n"
	"2001::/23            # RFC 2928: IETF Protocol Assignments (TEREDO, ORCHIDv2, ...)\n"
	"2001:db8::/32        # RFC 3849: Documentation\n"
	"2002::/16            # RFC 3056: 6to4\n"
	"2620:4f:8000::/48    # RFC 7534: Direct Delegation AS112 Service\n"
	"3fff::/20            # RFC 9637: Documentation\n"
	"5f00::/16            # RFC 9602: Segment Routing (SRv6) SIDs\n"
	"fc00::/7             # RFC 4193: Unique-Local\n"
	"fe80::/10            # RFC 4291: Link-Local Unicast\n"
	"ff00::/8             # RFC 4291: Multicast\n"
	"";
// clang-format on

const char *sw_exclude_default_text(size_t *ret_len)
{
	*ret_len = sizeof(text) - 1;
	return text;
}

/* Through the list reader like any user file, so the built-in list obeys the same syntax. */
int sw_exclude_default(struct sw_prefixset *set, char *err, size_t errlen)
{
	return sw_prefixset_load_buf(set, SW_EXCLUDE_DEFAULT_NAME, text, sizeof(text) - 1, err,
				     errlen);
}
