#include "scan/record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/err.h"
#include "sip/sip.h"

/* Header lines parsed from a reply: the parser's default limit. */
#define HDR_CAP 128

/* 9999-12-31 23:59:59 UTC: the last second a four-digit year can show. */
#define LAST_SECOND INT64_C(253402300799)

/* The header columns and the header each one shows. */
static const struct {
	enum sw_scan_col col;
	enum sip_hdr_id id;
} header_cols[] = {
	{SW_SCAN_COL_USER_AGENT, SIP_HDR_USER_AGENT},
	{SW_SCAN_COL_SIP_VIA, SIP_HDR_VIA},
	{SW_SCAN_COL_SIP_TO, SIP_HDR_TO},
	{SW_SCAN_COL_SIP_FROM, SIP_HDR_FROM},
	{SW_SCAN_COL_CONTENT_TYPE, SIP_HDR_CONTENT_TYPE},
	{SW_SCAN_COL_SERVER, SIP_HDR_SERVER},
	{SW_SCAN_COL_CONTACT, SIP_HDR_CONTACT},
	{SW_SCAN_COL_CSEQ, SIP_HDR_CSEQ},
	{SW_SCAN_COL_CALL_ID, SIP_HDR_CALL_ID},
	{SW_SCAN_COL_ALLOW, SIP_HDR_ALLOW},
};

/* How much of the first reply could be read as SIP. */
enum reply_kind {
	REPLY_NOT_SIP = 0,
	REPLY_STATUS_LINE, /* not a whole message, but it starts with a status line */
	REPLY_MESSAGE,     /* sip_parse() took it */
};

/* What the first reply says, as views into it. */
struct reply {
	enum reply_kind kind;
	struct sw_str version, reason;
	uint16_t status; /* 0 for a request */
};

void sw_scan_record_init(struct sw_scan_record *rec, const struct sw_endpoint *target, int64_t sec,
			 uint32_t usec, struct sw_str probe, uint32_t probe_size)
{
	memset(rec, 0, sizeof(*rec));
	rec->target = *target;
	rec->time_sec = sec;
	rec->time_usec = usec;
	rec->probe = probe;
	rec->probe_size = probe_size;
}

void sw_scan_record_add_packet(struct sw_scan_record *rec, uint32_t len)
{
	if (rec->packets < SW_SCAN_SIZES)
		rec->sizes[rec->packets] = len;
	if (rec->packets < UINT32_MAX)
		rec->packets++;
	rec->response_size += len;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The status line at the start of a reply that sip_parse() refused, typically a bare
 * "SIP/2.0 400 Bad Request\r\n" without the empty line that ends a header section. Accepts what
 * the parser's status line accepts: "SIP/" (any case) 1*DIGIT "." 1*DIGIT, spaces, a code of
 * three digits from 100 to 699, then the end of the line or a space and the reason phrase.
 */
static bool status_line(const char *p, size_t n, struct reply *ret)
{
	const char *e = p + n;
	while (p < e && (*p == '\r' || *p == '\n'))
		p++;
	const char *le = p;
	while (le < e && *le != '\r' && *le != '\n')
		le++;
	if (le - p < 4 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' || (p[2] | 0x20) != 'p' ||
	    p[3] != '/')
		return false;
	const char *q = p + 4, *d = q;
	while (q < le && is_digit(*q))
		q++;
	if (q == d || q == le || *q != '.')
		return false;
	d = ++q;
	while (q < le && is_digit(*q))
		q++;
	if (q == d || q == le || *q != ' ')
		return false;
	struct sw_str version = sw_str_make(p, (size_t)(q - p));
	while (q < le && *q == ' ')
		q++;
	if (le - q < 3 || q[0] < '1' || q[0] > '6' || !is_digit(q[1]) || !is_digit(q[2]) ||
	    (le - q > 3 && q[3] != ' '))
		return false;
	ret->kind = REPLY_STATUS_LINE;
	ret->version = version;
	ret->status = (uint16_t)((q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0'));
	q += 3;
	if (q < le)
		q++;
	ret->reason = sw_str_make(q, (size_t)(le - q));
	return true;
}

/* Read the first reply: *msg filled when it is a whole SIP message (REPLY_MESSAGE). */
static void read_reply(const struct sw_scan_record *rec, struct sip_msg *msg,
		       struct sip_header *hdrs, struct reply *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!rec->first.p || rec->first.len == 0)
		return;
	sip_msg_init(msg, hdrs, HDR_CAP);
	if (sip_parse(msg, rec->first.p, rec->first.len, SIP_MODE_DATAGRAM, NULL) == 0) {
		ret->kind = REPLY_MESSAGE;
		ret->version = msg->version;
		if (!msg->is_request) {
			ret->status = msg->status;
			ret->reason = msg->reason;
		}
		return;
	}
	status_line(rec->first.p, rec->first.len, ret);
}

void sw_scan_record_set_first(struct sw_scan_record *rec, const char *payload, uint32_t len,
			      uint16_t src_port)
{
	struct sip_header hdrs[HDR_CAP];
	struct sip_msg msg;
	struct reply r;
	rec->first = sw_str_make(payload, payload ? len : 0);
	rec->reply_port = src_port;
	read_reply(rec, &msg, hdrs, &r);
	rec->is_sip = r.kind != REPLY_NOT_SIP;
}

/*
 * Append v to the row's text, unfolding it: a line break (CR, LF) with the spaces and tabs on
 * both sides becomes one space. Returns false, with nothing appended, when it does not fit.
 */
static bool append_unfolded(struct sw_scan_row *row, struct sw_str v)
{
	uint32_t start = row->text_used, o = start;
	for (uint32_t i = 0; i < v.len;) {
		char c = v.p[i];
		if (c == '\r' || c == '\n') {
			while (o > start && (row->text[o - 1] == ' ' || row->text[o - 1] == '\t'))
				o--;
			while (i < v.len && (v.p[i] == '\r' || v.p[i] == '\n' || v.p[i] == ' ' ||
					     v.p[i] == '\t'))
				i++;
			c = ' ';
		} else {
			i++;
		}
		if (o >= SW_SCAN_ROW_TEXT)
			return false;
		row->text[o++] = c;
	}
	row->text_used = o;
	return true;
}

static bool append_sep(struct sw_scan_row *row)
{
	if (SW_SCAN_ROW_TEXT - row->text_used < 2)
		return false;
	row->text[row->text_used++] = ',';
	row->text[row->text_used++] = ' ';
	return true;
}

/*
 * The column value of header id: the single unfolded line as a view into the reply, or every
 * line joined with ", " in the row's text. When even the first line does not fit the text, its
 * raw view is used (the CSV writer still turns a fold's CR LF into spaces).
 */
static struct sw_str header_value(struct sw_scan_row *row, const struct sip_msg *msg,
				  enum sip_hdr_id id)
{
	uint16_t k = msg->first[id];
	if (k == SIP_NO_HDR)
		return SW_STR_NULL;
	const struct sip_header *h = &msg->hdr[k];
	if (h->next == SIP_NO_HDR && !h->folded)
		return h->value;
	uint32_t start = row->text_used;
	if (!append_unfolded(row, h->value))
		return h->value;
	for (k = h->next; k != SIP_NO_HDR; k = msg->hdr[k].next) {
		uint32_t mark = row->text_used;
		if (!append_sep(row) || !append_unfolded(row, msg->hdr[k].value)) {
			row->text_used = mark;
			break;
		}
	}
	/* Present even when empty: "Server:" twice with nothing after it is a known empty value. */
	return sw_str_make(row->text + start, row->text_used - start);
}

/* v in decimal into buf, as a view of buf. */
static struct sw_str decimal(char *buf, size_t cap, uint64_t v)
{
	int n = snprintf(buf, cap, "%" PRIu64, v);
	return sw_str_make(buf, n > 0 && (size_t)n < cap ? (size_t)n : 0);
}

/*
 * bytes / probe to two decimals, rounded half up, as text in buf. Integer arithmetic only:
 * whole = bytes / probe, and the hundredths round (rem * 100 / probe + 1/2) down, which can reach
 * 100 and then carries into whole.
 */
static struct sw_str amplification(char *buf, size_t cap, uint64_t bytes, uint32_t probe)
{
	uint64_t whole = bytes / probe, rem = bytes % probe;
	uint64_t hundredths = (rem * 200 + probe) / (2 * (uint64_t)probe);
	uint64_t x100 = whole * 100 + hundredths;
	int n = snprintf(buf, cap, "%" PRIu64 ".%02u", x100 / 100, (unsigned)(x100 % 100));
	return sw_str_make(buf, n > 0 && (size_t)n < cap ? (size_t)n : 0);
}

int sw_scan_record_fields(const struct sw_scan_record *rec, struct sw_scan_row *ret_row)
{
	if (rec->target.family != AF_INET && rec->target.family != AF_INET6)
		return SW_E_INVAL;
	if (rec->time_sec < 0 || rec->time_sec > LAST_SECOND)
		return SW_E_RANGE;
	time_t t = (time_t)rec->time_sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return SW_E_RANGE;

	struct sw_scan_row *row = ret_row;
	struct sw_str *col = row->col;
	for (unsigned i = 0; i < SW_SCAN_COL__COUNT; i++)
		col[i] = SW_STR_NULL;
	row->text_used = 0;

	int n = snprintf(row->timestamp, sizeof(row->timestamp), "%04d-%02d-%02d %02d:%02d:%02d",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
	col[SW_SCAN_COL_TIMESTAMP] = sw_str_make(row->timestamp, (size_t)n);
	col[SW_SCAN_COL_SEVERITY] = SW_STR_LIT("high");
	n = sw_addr_format(&rec->target, row->ip, sizeof(row->ip));
	if (n > 0 && (size_t)n < sizeof(row->ip))
		col[SW_SCAN_COL_IP] = sw_str_make(row->ip, (size_t)n);
	col[SW_SCAN_COL_PROTOCOL] = SW_STR_LIT("udp");
	if (rec->reply_port)
		col[SW_SCAN_COL_PORT] = decimal(row->port, sizeof(row->port), rec->reply_port);
	col[SW_SCAN_COL_TAG] = SW_STR_LIT("sip");

	struct sip_header hdrs[HDR_CAP];
	struct sip_msg msg;
	struct reply r;
	read_reply(rec, &msg, hdrs, &r);
	if (r.kind != REPLY_NOT_SIP) {
		col[SW_SCAN_COL_SIP] = r.version;
		if (r.status) {
			col[SW_SCAN_COL_SIP_CODE] =
				decimal(row->sip_code, sizeof(row->sip_code), r.status);
			col[SW_SCAN_COL_SIP_REASON] = r.reason;
		}
	}
	if (r.kind == REPLY_MESSAGE) {
		for (size_t i = 0; i < sizeof(header_cols) / sizeof(header_cols[0]); i++)
			col[header_cols[i].col] = header_value(row, &msg, header_cols[i].id);
		if (msg.has_content_length)
			col[SW_SCAN_COL_CONTENT_LENGTH] = decimal(row->content_length,
								  sizeof(row->content_length),
								  msg.content_length);
	}

	if (rec->probe_size)
		col[SW_SCAN_COL_AMPLIFICATION] = amplification(row->amplification,
							       sizeof(row->amplification),
							       rec->response_size, rec->probe_size);
	col[SW_SCAN_COL_RESPONSE_SIZE] =
		decimal(row->response_size, sizeof(row->response_size), rec->response_size);

	col[SW_SCAN_COL_HOSTNAME] = rec->hostname;
	col[SW_SCAN_COL_HOSTNAME_SOURCE] = rec->hostname_source;
	col[SW_SCAN_COL_ASN] = rec->asn;
	col[SW_SCAN_COL_GEO] = rec->geo;
	col[SW_SCAN_COL_REGION] = rec->region;
	col[SW_SCAN_COL_CITY] = rec->city;
	col[SW_SCAN_COL_NAICS] = rec->naics.p && rec->naics.len ? rec->naics : SW_STR_LIT("0");
	col[SW_SCAN_COL_SECTOR] = rec->sector;

	row->probe = rec->probe;
	row->probe_size = rec->probe_size;
	row->packets = rec->packets;
	row->nsizes = rec->packets < SW_SCAN_SIZES ? rec->packets : SW_SCAN_SIZES;
	row->sizes = rec->sizes;
	return 0;
}
