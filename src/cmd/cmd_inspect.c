/*
 * sipwarden inspect: what the shield would have done with a capture (inspect_verdicts.c), or
 * (--messages, and always for raw SIP files) the SIP messages in a file of raw SIP or a capture.
 *
 * Raw files hold one or more messages back to back: each is framed by its Content-Length, CR/LF
 * between messages are skipped, and a message without Content-Length takes the rest of the
 * file as its body. --datagram reads the whole file as one UDP datagram instead, so bytes after
 * the first message are "trailing octets" (RFC 4475 3.1.1.8) rather than a second message.
 * Captures are recognised by their magic number; each UDP datagram (IP fragments reassembled)
 * whose first line looks like SIP is parsed as one message.
 *
 * Exit status: 0 when everything parsed, 1 when a message had a parse error or the capture was
 * truncated or corrupt (everything read before is still printed), 2 for usage errors and files
 * that cannot be opened.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/inspect_verdicts.h"
#include "core/err.h"
#include "core/timefmt.h"
#include "net/capture.h"
#include "out/json.h"
#include "out/sip_print.h"
#include "sip/sip.h"

enum {
	OPT_JSON = 1,
	OPT_MESSAGES,
	OPT_CONFIG,
	OPT_SIP_PORT,
	OPT_SERVER,
	OPT_LOG,
	OPT_LOG_PCAP,
	OPT_DATAGRAM,
	OPT_LIM_HDR,
	OPT_LIM_LINE,
	OPT_LIM_SIZE,
	OPT_QUIET,
	OPT_HELP
};

static const struct sw_opt inspect_opts[] = {
	{"json", 'j', NULL,
	 "JSON Lines: one object per source and totals (per message with --messages)", OPT_JSON},
	{"messages", 'm', NULL, "print each SIP message parsed, not the shield's verdicts",
	 OPT_MESSAGES},
	{"config", 'c', "FILE", "shield configuration (default: the built-in conf/shield.conf)",
	 OPT_CONFIG},
	{"sip-port", 'p', "PORT",
	 "the server's SIP port, instead of the config's sip-port (repeat)", OPT_SIP_PORT},
	{"server", 's', "ADDR", "the server's address: tells its packets from the others'",
	 OPT_SERVER},
	{"log", 'l', "FILE", "write the matched-message log (JSON Lines) to FILE", OPT_LOG},
	{"log-pcap", 0, "FILE", "write the dropped packets to FILE (pcap)", OPT_LOG_PCAP},
	{"datagram", 'd', NULL, "read a raw file as one UDP datagram, not a message stream",
	 OPT_DATAGRAM},
	{"limit-headers", 0, "N", "most header fields per message (default 128, max 1024)",
	 OPT_LIM_HDR},
	{"limit-line", 0, "N", "longest start line or header field in bytes (default 8192)",
	 OPT_LIM_LINE},
	{"limit-size", 0, "N", "largest message in bytes (default 65535)", OPT_LIM_SIZE},
	{"quiet", 'q', NULL, "no summary on stderr", OPT_QUIET},
	{"help", 'h', NULL, "show this help", OPT_HELP},
	SW_OPT_END,
};

#define MAX_HDRS 1024

struct inspect {
	int json, datagram, quiet, help, messages;
	struct sw_inspect_verdict_opts vo;
	struct sip_limits lim;
	struct sw_json j;
	struct sip_header hdrs[MAX_HDRS];
	struct sip_msg msg;
	/* counts for the summary */
	uint64_t nmsg, nreq, nresp, nerr, ndefective, not_sip, keepalive;
};

static int on_opt(void *ctx, int key, const char *v, char *err, size_t errlen)
{
	struct inspect *in = ctx;
	unsigned long long n;
	switch (key) {
	case OPT_JSON:
		in->json = 1;
		return 0;
	case OPT_MESSAGES:
		in->messages = 1;
		return 0;
	case OPT_CONFIG:
		in->vo.config = v;
		return 0;
	case OPT_LOG:
		in->vo.log = v;
		return 0;
	case OPT_LOG_PCAP:
		in->vo.log_pcap = v;
		return 0;
	case OPT_SIP_PORT:
		if (sw_parse_uint(v, 1, 65535, &n) != 0)
			goto bad;
		if (in->vo.nports >= sizeof(in->vo.sip_ports) / sizeof(in->vo.sip_ports[0])) {
			snprintf(err, errlen, "too many --sip-port options");
			return SW_E_INVAL;
		}
		in->vo.sip_ports[in->vo.nports++] = (uint16_t)n;
		return 0;
	case OPT_SERVER: {
		uint8_t a[16] = {0};
		if (inet_pton(AF_INET, v, a) == 1)
			sw_endpoint_set_v4(&in->vo.server, a, 0);
		else if (inet_pton(AF_INET6, v, a) == 1)
			sw_endpoint_set_v6(&in->vo.server, a, 0);
		else
			goto bad;
		return 0;
	}
	case OPT_DATAGRAM:
		in->datagram = 1;
		return 0;
	case OPT_QUIET:
		in->quiet = 1;
		return 0;
	case OPT_HELP:
		in->help = 1;
		return 0;
	case OPT_LIM_HDR:
		if (sw_parse_uint(v, 1, MAX_HDRS, &n) != 0)
			goto bad;
		in->lim.max_headers = (uint16_t)n;
		return 0;
	case OPT_LIM_LINE:
		if (sw_parse_uint(v, 16, 1u << 20, &n) != 0)
			goto bad;
		in->lim.max_line = (uint32_t)n;
		return 0;
	case OPT_LIM_SIZE:
		if (sw_parse_uint(v, 16, 1u << 24, &n) != 0)
			goto bad;
		in->lim.max_msg = (uint32_t)n;
		return 0;
	}
	return SW_E_INVAL;
bad:
	snprintf(err, errlen, "invalid value '%s' for --%s", v, inspect_opts[key - 1].name);
	return SW_E_INVAL;
}

static void count(struct inspect *in, int rc)
{
	in->nmsg++;
	if (rc != 0) {
		in->nerr++;
		return;
	}
	if (in->msg.is_request)
		in->nreq++;
	else
		in->nresp++;
	if (in->msg.ndefects)
		in->ndefective++;
}

/* Emit one parsed message with its context (where it came from). */
static void emit_raw(struct inspect *in, const char *path, size_t off, size_t len, int rc)
{
	if (in->json) {
		sw_json_obj_open(&in->j, NULL);
		sw_json_int(&in->j, "n", (int64_t)in->nmsg);
		sw_json_cstr(&in->j, "file", path);
		sw_json_int(&in->j, "offset", (int64_t)off);
		sw_json_int(&in->j, "len", (int64_t)len);
		sw_sip_json(&in->j, &in->msg, rc);
		sw_json_obj_close(&in->j);
		sw_json_eol(&in->j);
	} else {
		printf("#%" PRIu64 " %s offset %zu (%zu bytes)\n", in->nmsg, path, off, len);
		sw_sip_text(stdout, &in->msg, rc, 2);
		putchar('\n');
	}
}

static void emit_dgram(struct inspect *in, const struct sw_datagram *d, int rc)
{
	char src[SW_ENDPOINT_STRLEN], dst[SW_ENDPOINT_STRLEN], ts[40];
	sw_endpoint_format(&d->src, src, sizeof(src));
	sw_endpoint_format(&d->dst, dst, sizeof(dst));
	sw_time_iso(d->ts_usec, ts, sizeof(ts));
	if (in->json) {
		sw_json_obj_open(&in->j, NULL);
		sw_json_int(&in->j, "n", (int64_t)in->nmsg);
		sw_json_int(&in->j, "frame", (int64_t)d->frame);
		sw_json_cstr(&in->j, "ts", ts);
		sw_json_cstr(&in->j, "src", src);
		sw_json_cstr(&in->j, "dst", dst);
		sw_json_int(&in->j, "len", d->len);
		if (d->nfrags)
			sw_json_int(&in->j, "fragments", d->nfrags);
		sw_sip_json(&in->j, &in->msg, rc);
		sw_json_obj_close(&in->j);
		sw_json_eol(&in->j);
	} else {
		printf("#%" PRIu64 " frame %" PRIu64 " %s %s -> %s udp %u bytes", in->nmsg,
		       d->frame, ts, src, dst, d->len);
		if (d->nfrags)
			printf(" (%u fragments)", d->nfrags);
		putchar('\n');
		sw_sip_text(stdout, &in->msg, rc, 2);
		putchar('\n');
	}
}

/*
 * A datagram is taken for SIP when its first line (after keep-alive CR/LF) contains "SIP/":
 * every request line and status line does, RTP, DNS and STUN do not.
 */
static int looks_like_sip(const uint8_t *p, size_t len, int *keepalive)
{
	size_t i = 0;
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;
	*keepalive = (i == len && len > 0);
	const uint8_t *lf = memchr(p + i, '\n', len - i);
	size_t end = lf ? (size_t)(lf - p) : len;
	if (end - i > 8192)
		end = i + 8192;
	for (size_t k = i; k + 4 <= end; k++)
		if (memcmp(p + k, "SIP/", 4) == 0)
			return 1;
	return 0;
}

static int inspect_capture(struct inspect *in, const struct sw_cmd *cmd, const char *path)
{
	char err[512];
	struct sw_capture *cap;
	if (sw_capture_open(path, &cap, err, sizeof(err)) != 0) {
		sw_cmd_err(cmd, "%s: %s", path, err);
		return SW_EXIT_USAGE;
	}
	struct sw_datagram d;
	int rc, status = SW_EXIT_OK;
	uint64_t not_sip0 = in->not_sip, keepalive0 = in->keepalive;
	while ((rc = sw_capture_next(cap, &d)) > 0) {
		int keepalive;
		if (!looks_like_sip(d.payload, d.len, &keepalive)) {
			if (keepalive)
				in->keepalive++;
			else
				in->not_sip++;
			continue;
		}
		int prc = sip_parse(&in->msg, (const char *)d.payload, d.len, SIP_MODE_DATAGRAM,
				    &in->lim);
		count(in, prc);
		if (prc != 0)
			status = SW_EXIT_PROBLEMS;
		emit_dgram(in, &d, prc);
	}
	fflush(stdout);
	if (rc < 0) {
		sw_cmd_err(cmd, "%s: %s (every message before it was printed)", path,
			   sw_capture_error(cap));
		status = SW_EXIT_PROBLEMS;
	}
	if (!in->quiet) {
		const struct sw_capture_stats *st = sw_capture_stats(cap);
		fprintf(stderr,
			"%s: %" PRIu64 " frames, %" PRIu64 " UDP datagrams (%" PRIu64
			" reassembled from fragments, %" PRIu64 " incomplete), %" PRIu64
			" not SIP, %" PRIu64 " keep-alives, %" PRIu64 " other packets\n",
			path, st->frames, st->udp, st->reassembled, st->reasm_dropped,
			in->not_sip - not_sip0, in->keepalive - keepalive0,
			st->non_udp + st->non_ip + st->decode_errors);
	}
	sw_capture_close(cap);
	return status;
}

static int inspect_raw(struct inspect *in, const struct sw_cmd *cmd, const char *path,
		       const char *buf, size_t len)
{
	int status = SW_EXIT_OK;
	size_t off = 0;
	while (off < len) {
		size_t skip = off;
		while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
			skip++;
		if (skip == len)
			break;
		int rc = sip_parse(&in->msg, buf + off, len - off, SIP_MODE_DATAGRAM, &in->lim);
		if (rc == 0 && !in->datagram)
			in->msg.flags &=
				~(uint32_t)SIP_F_TRAILING; /* the rest is the next message */
		count(in, rc);
		emit_raw(in, path, off, rc == 0 ? in->msg.msg_len : len - off, rc);
		if (rc != 0) {
			/* Without framing there is no telling where a next message would start. */
			status = SW_EXIT_PROBLEMS;
			if (off + in->msg.err_off < len)
				sw_cmd_err(cmd, "%s: stopped at offset %zu: %s", path,
					   off + in->msg.err_off, sw_strerror(rc));
			break;
		}
		if (in->datagram)
			break;
		off += in->msg.msg_len;
	}
	if (in->nmsg == 0) {
		sw_cmd_err(cmd, "%s: no SIP message in the file", path);
		status = SW_EXIT_PROBLEMS;
	}
	return status;
}

/* Bytes that cannot begin a SIP message or the CR/LF before one. */
static int looks_binary(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\r' && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
			return 1;
	return 0;
}

static int inspect_file(struct inspect *in, const struct sw_cmd *cmd, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sw_cmd_err(cmd, "%s: %s", path, strerror(errno));
		return SW_EXIT_USAGE;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sw_cmd_err(cmd, "%s: not a regular file", path);
		close(fd);
		return SW_EXIT_USAGE;
	}
	uint8_t head[16] = {0};
	ssize_t nh = pread(fd, head, sizeof(head), 0);
	if (nh > 0 && sw_capture_sniff(head, (size_t)nh)) {
		close(fd);
		return inspect_capture(in, cmd, path);
	}
	size_t len = (size_t)st.st_size;
	if (len == 0) {
		close(fd);
		sw_cmd_err(cmd, "%s: empty file", path);
		return SW_EXIT_PROBLEMS;
	}
	/* SIP text never starts with a NUL or other C0 control: say what the file is not. */
	if (nh > 0 && looks_binary(head, (size_t)nh)) {
		close(fd);
		sw_cmd_err(cmd,
			   "%s: neither SIP text nor a pcap/pcapng capture (starts with bytes "
			   "%02x %02x %02x %02x)",
			   path, head[0], head[1], head[2], head[3]);
		return SW_EXIT_PROBLEMS;
	}
	const char *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (buf == MAP_FAILED) {
		sw_cmd_err(cmd, "%s: %s", path, strerror(errno));
		return SW_EXIT_USAGE;
	}
	uint64_t before = in->nmsg;
	int status = inspect_raw(in, cmd, path, buf, len);
	munmap((void *)buf, len);
	if (!in->quiet)
		fprintf(stderr, "%s: %" PRIu64 " message%s\n", path, in->nmsg - before,
			in->nmsg - before == 1 ? "" : "s");
	return status;
}

/* A pcap/pcapng file by its magic number (unreadable files are not: the message view says why). */
static int is_capture(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	uint8_t head[16] = {0};
	ssize_t n = pread(fd, head, sizeof(head), 0);
	close(fd);
	return n > 0 && sw_capture_sniff(head, (size_t)n);
}

static int run_inspect(int argc, char **argv)
{
	static struct inspect in; /* large (header array): not on the stack */
	memset(&in, 0, sizeof(in));
	in.lim = SIP_LIMITS_DEFAULT;
	char err[256];
	int first = sw_opt_parse(inspect_opts, argc, argv, on_opt, &in, err, sizeof(err));
	if (first < 0) {
		sw_cmd_err(&sw_cmd_inspect, "%s (see 'sipwarden inspect --help')", err);
		return SW_EXIT_USAGE;
	}
	if (in.help) {
		sw_cmd_usage(&sw_cmd_inspect, stdout);
		return SW_EXIT_OK;
	}
	if (first >= argc) {
		sw_cmd_err(&sw_cmd_inspect, "no FILE given (see 'sipwarden inspect --help')");
		return SW_EXIT_USAGE;
	}
	if (!in.messages) {
		/* verdicts need addresses and times: captures only; raw SIP gets the message view */
		int captures = 0, raw = 0;
		for (int i = first; i < argc; i++) {
			if (is_capture(argv[i]))
				captures++;
			else
				raw++;
		}
		if (captures && raw) {
			sw_cmd_err(
				&sw_cmd_inspect,
				"verdicts need captures: give only pcap/pcapng files, or --messages");
			return SW_EXIT_USAGE;
		}
		if (captures) {
			in.vo.json = in.json;
			in.vo.quiet = in.quiet;
			return sw_inspect_verdicts(&in.vo, argv + first, argc - first);
		}
	}
	sip_msg_init(&in.msg, in.hdrs, MAX_HDRS);
	sw_json_init(&in.j, stdout);
	int status = SW_EXIT_OK;
	for (int i = first; i < argc; i++) {
		int rc = inspect_file(&in, &sw_cmd_inspect, argv[i]);
		if (rc > status)
			status = rc;
	}
	if (!in.quiet)
		fprintf(stderr,
			"total: %" PRIu64 " SIP messages (%" PRIu64 " requests, %" PRIu64
			" responses), %" PRIu64 " with parse errors, %" PRIu64 " with defects\n",
			in.nmsg, in.nreq, in.nresp, in.nerr, in.ndefective);
	if (fflush(stdout) != 0) {
		sw_cmd_err(&sw_cmd_inspect, "writing output: %s", strerror(errno));
		return SW_EXIT_USAGE;
	}
	return status;
}

const struct sw_cmd sw_cmd_inspect = {
	.name = "inspect",
	.summary = "what the shield would do with a capture; or print and check SIP messages",
	.synopsis = "inspect [options] FILE...",
	.description =
		"For a pcap/pcapng capture (UDP over IPv4/IPv6; Ethernet, VLAN, Linux cooked, raw IP\n"
		"and BSD loopback link types; IP fragments reassembled): run the shield engine over\n"
		"it with the capture's timestamps as the clock and report what the shield would have\n"
		"done, per source: realm, trust, the tool identified and by which rules, messages\n"
		"seen and dropped, trust transitions, denial time, reasons; then totals.\n"
		"With --messages, and always for raw SIP files (messages framed by Content-Length):\n"
		"print every SIP message: start line, each header with its decoded name, the\n"
		"structured fields, defects and parse errors with their offsets.\n"
		"Exit status: 0 ok, 1 parse errors (message view) or a truncated/corrupt capture,\n"
		"2 usage error, bad config or unreadable file.",
	.opts = inspect_opts,
	.run = run_inspect,
};
