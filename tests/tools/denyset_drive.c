/*
 * denyset_drive: drives the kernel deny set (src/shield/denyset.h) for tests/integration/
 * denyset.sh, one command per line on standard input, one answer line per command on standard
 * output ("ok ..." or "err ...").
 *
 *   denyset_drive BACKEND PORTS IFACES IPV6_PREFIX    BACKEND nft|xdp|auto|off, PORTS "5060,5070",
 *                                                     IFACES "-" for none
 *   open | close                  (the handle is opened at start)
 *   add ADDR PLEN MS | del ADDR PLEN | sync
 *   stats                         ok added=N removed=N failed=N overflow=N in=N out=N
 *   mode                          ok BACKEND XDPMODE
 *   cleanup IFACES                sw_denyset_cleanup
 *   quit
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "net/addr.h"
#include "shield/config.h"
#include "shield/denyset.h"

static struct sw_denyset_opts opts;
static uint16_t ports[SW_CFG_MAX_PORTS];

static int parse_addr(const char *s, struct sw_endpoint *ep)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, s, a) == 1) {
		sw_endpoint_set_v4(ep, a, 0);
		return 0;
	}
	if (inet_pton(AF_INET6, s, a) == 1) {
		sw_endpoint_set_v6(ep, a, 0);
		return 0;
	}
	return -1;
}

static int parse_backend(const char *s, enum sw_deny_backend *b)
{
	static const char *const names[] = {"auto", "nft", "xdp", "off"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*b = (enum sw_deny_backend)i;
			return 0;
		}
	return -1;
}

static void answer(int rc, const char *what)
{
	if (rc)
		printf("err %s: %s\n", what, sw_strerror(rc));
	else
		printf("ok\n");
}

static void cmd_stats(struct sw_denyset *d)
{
	struct sw_denyset_stats s;
	sw_denyset_stats(d, &s);
	char e[256];
	sw_denyset_last_error(d, e, sizeof(e));
	printf("ok added=%llu removed=%llu failed=%llu overflow=%llu in=%llu out=%llu%s%s\n",
	       (unsigned long long)s.added, (unsigned long long)s.removed,
	       (unsigned long long)s.failed, (unsigned long long)s.overflow,
	       (unsigned long long)s.kernel_drops_in, (unsigned long long)s.kernel_drops_out,
	       e[0] ? " last_error=" : "", e);
}

static struct sw_denyset *do_open(void)
{
	struct sw_denyset *d = NULL;
	char err[512] = "";
	int rc = sw_denyset_open(&opts, &d, err, sizeof(err));
	if (rc)
		printf("err %s\n", err);
	else
		printf("ok %s%s%s\n", sw_deny_backend_name(sw_denyset_backend(d)),
		       err[0] ? " " : "", err);
	return d;
}

int main(int argc, char **argv)
{
	if (argc != 5 || parse_backend(argv[1], &opts.backend)) {
		fprintf(stderr, "usage: %s nft|xdp|auto|off PORTS IFACES|- IPV6_PREFIX\n", argv[0]);
		return 2;
	}
	char *p = argv[2];
	while (*p && opts.nports < SW_CFG_MAX_PORTS) {
		ports[opts.nports++] = (uint16_t)strtoul(p, &p, 10);
		if (*p == ',')
			p++;
	}
	opts.ports = ports;
	opts.interfaces = strcmp(argv[3], "-") ? argv[3] : NULL;
	opts.ipv6_prefix = (uint8_t)strtoul(argv[4], NULL, 10);
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct sw_denyset *d = do_open();
	char line[512];
	while (fgets(line, sizeof(line), stdin)) {
		char cmd[32] = "", a1[128] = "", a2[32] = "", a3[32] = "";
		int n = sscanf(line, "%31s %127s %31s %31s", cmd, a1, a2, a3);
		if (n <= 0)
			continue;
		struct sw_endpoint ep;
		if (strcmp(cmd, "quit") == 0) {
			break;
		} else if (strcmp(cmd, "open") == 0) {
			sw_denyset_close(d);
			d = do_open();
		} else if (strcmp(cmd, "close") == 0) {
			sw_denyset_close(d);
			d = NULL;
			printf("ok\n");
		} else if (!d && strcmp(cmd, "cleanup") != 0) {
			printf("err not open\n");
		} else if (strcmp(cmd, "add") == 0 && n == 4 && parse_addr(a1, &ep) == 0) {
			answer(sw_denyset_add(d, &ep, (uint8_t)strtoul(a2, NULL, 10),
					      strtoull(a3, NULL, 10)),
			       "add");
		} else if (strcmp(cmd, "del") == 0 && n == 3 && parse_addr(a1, &ep) == 0) {
			answer(sw_denyset_del(d, &ep, (uint8_t)strtoul(a2, NULL, 10)), "del");
		} else if (strcmp(cmd, "sync") == 0) {
			answer(sw_denyset_sync(d), "sync");
		} else if (strcmp(cmd, "stats") == 0) {
			cmd_stats(d);
		} else if (strcmp(cmd, "mode") == 0) {
			printf("ok %s %s\n", sw_deny_backend_name(sw_denyset_backend(d)),
			       sw_denyset_xdp_mode(d));
		} else if (strcmp(cmd, "cleanup") == 0) {
			char err[512] = "";
			int rc = sw_denyset_cleanup(n >= 2 ? a1 : NULL, err, sizeof(err));
			if (rc)
				printf("err %s\n", err);
			else
				printf("ok\n");
		} else {
			printf("err bad command: %s", line);
		}
	}
	sw_denyset_close(d);
	return 0;
}
