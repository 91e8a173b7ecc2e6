/*
 * The SIP message parser: zero-copy, allocation-free, bounds-checked.
 *
 * sip_parse() reads one message from (buf, len) - no NUL terminator needed - and fills a
 * struct sip_msg with views into buf: the start line, every header line (in a caller-supplied
 * array, with its id from sip_hdr.h), and structured views of the fields the scanner and the
 * shield need. Nothing is copied, nothing allocated, nothing printed; the views live as long as
 * buf does.
 *
 * Two outcomes besides success:
 *  - an error (negative return, SW_E_SIP_* framing codes in core/err.h) when the bytes cannot be
 *    used as a message at all: no start line, no end of the header section, bad Content-Length,
 *    a limit exceeded. msg->err_off then says where.
 *  - defects: the message parsed, but broke a rule (CSeq out of range, an unterminated quote,
 *    a header that must be single repeated, ...). Up to SIP_MAX_DEFECTS are recorded with code,
 *    header and offset in msg->defects; msg->ndefects_total counts all of them. A message with
 *    no error and no defect is well-formed as far as this parser checks.
 *
 * Whitespace rules follow RFC 3261 (LWS, folded lines, SWS around separators), so structured
 * views are found in values like "SIP  /  2.0\r\n /UDP host". Views of values that contained a
 * fold still contain the CRLF and the whitespace of the fold: the bytes are the sender's.
 */
#ifndef SW_SIP_H
#define SW_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strview.h"
#include "sip/sip_hdr.h"

enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
};

/* Method id of a token (case-sensitive, as RFC 3261 method names are). */
enum sip_method sip_method_lookup(const char *p, size_t len);

enum sip_host_type { SIP_HOST_NONE = 0, SIP_HOST_NAME, SIP_HOST_IPV4, SIP_HOST_IPV6 };

/* A URI split into views. Escapes (%HH) are left as sent. port == 0 when absent. */
struct sip_uri {
	struct sw_str scheme;   /* "sip", "sips", "tel", ... */
	struct sw_str user;     /* up to ':' or '@'; for sip: may contain ';' (RFC 4475 3.1.1.9) */
	struct sw_str password; /* after ':' in the userinfo */
	struct sw_str host;     /* IPv6 references keep their brackets */
	struct sw_str params;   /* ";a=b;c" including the leading ';', or absent */
	struct sw_str headers;  /* "?h=v&..." without the '?', or absent */
	uint16_t port;
	uint8_t host_type; /* enum sip_host_type */
	uint8_t has_port;
};

/* Top-most Via value. */
struct sip_via {
	struct sw_str value;     /* the whole first value, up to the first top-level ',' */
	struct sw_str protocol;  /* "SIP" */
	struct sw_str version;   /* "2.0" */
	struct sw_str transport; /* "UDP", "TCP", ... as sent */
	struct sw_str host;      /* sent-by host (IPv6 with brackets) */
	struct sw_str branch, received, maddr;
	struct sw_str rport;  /* present (maybe empty) when the rport parameter is there */
	struct sw_str params; /* everything after sent-by, starting at the first ';' */
	uint16_t port;        /* 0 when absent */
	uint8_t has_port;
	uint8_t host_type;
};

/* From, To, Contact (first value): name-addr or addr-spec with header parameters. */
struct sip_addr {
	struct sw_str value;   /* the whole (first) value */
	struct sw_str display; /* inside the quotes (escapes kept) or the tokens; absent if none */
	struct sw_str uri_raw; /* inside <...>, or the addr-spec */
	struct sip_uri uri;
	struct sw_str tag;    /* the tag parameter's value */
	struct sw_str params; /* header parameters, from the first ';' after the URI */
	uint8_t bracketed;    /* URI was inside <> */
	uint8_t quoted;       /* display name was a quoted-string */
	uint8_t star;         /* Contact: * */
};

struct sip_cseq {
	uint32_t num; /* saturates at UINT32_MAX (with a defect) */
	struct sw_str method;
};

/* Authorization / Proxy-Authorization credentials, WWW-/Proxy-Authenticate challenges (first). */
struct sip_auth {
	struct sw_str value;
	struct sw_str scheme; /* "Digest", ... */
	struct sw_str username, realm, nonce, uri, response, qop, cnonce, nc, algorithm, opaque;
};

/* The parameters sip_auth decodes, by name, in the struct's order: for code that walks them. */
struct sip_auth_param {
	const char *name;
	uint8_t len;
	uint16_t off; /* offsetof(struct sip_auth, <name>) */
};
#define SIP_AUTH_NPARAMS 10
extern const struct sip_auth_param sip_auth_params[SIP_AUTH_NPARAMS];

/* The view of parameter i (0 <= i < SIP_AUTH_NPARAMS) in a. */
static inline struct sw_str sip_auth_param_value(const struct sip_auth *a, unsigned i)
{
	return *(const struct sw_str *)(const void *)((const char *)a + sip_auth_params[i].off);
}

struct sip_header {
	struct sw_str name;  /* as sent, without surrounding whitespace */
	struct sw_str value; /* from the first non-LWS byte after ':' to the last non-LWS byte */
	uint32_t off;        /* offset of the name in buf */
	uint16_t id;         /* enum sip_hdr_id */
	uint16_t next;       /* index of the next header with the same id, or SIP_NO_HDR */
	uint8_t compact;     /* sent in compact form ("v", "f", ...) */
	uint8_t folded;      /* value spans continuation lines */
};

#define SIP_NO_HDR UINT16_MAX
#define SIP_MAX_DEFECTS 8

struct sip_defect {
	int16_t code; /* SW_E_SIP_* from core/err.h */
	uint16_t hdr; /* enum sip_hdr_id the defect is in, SIP_HDR_OTHER for the start line */
	uint32_t off; /* offset in buf */
};

/* Notes about a well-formed message, not defects. */
enum sip_flag {
	SIP_F_TRAILING = 1u << 0, /* datagram: octets after the message (RFC 4475 3.1.1.8) */
	SIP_F_NO_CL = 1u << 1,    /* no Content-Length: body runs to the end of the datagram */
	SIP_F_FOLDED = 1u << 2,   /* some header used continuation lines */
	SIP_F_COMPACT = 1u << 3,  /* some header used a compact name */
};

enum sip_mode {
	SIP_MODE_DATAGRAM = 0, /* buf is one UDP datagram: trailing bytes flagged, no CL = to end */
	SIP_MODE_STREAM,       /* buf holds a stream: framed by Content-Length, no CL = no body */
};

struct sip_limits {
	uint32_t max_msg;     /* largest message accepted (bytes) */
	uint32_t max_line;    /* longest start line or header field, folds included (bytes) */
	uint16_t max_headers; /* most header fields; also bounded by the caller's array */
	/*
	 * Structured views to decode (enum sip_field bits); 0 = all of them. Framing, the header
	 * array, the start line, Content-Length and the mandatory-header check always run; a
	 * caller that needs only a few views (the shield reading the server's responses) skips
	 * the cost of the others, which are then left empty.
	 */
	uint32_t fields;
};

enum sip_field {
	SIP_FIELD_VIA = 1u << 0,     /* via, via_count */
	SIP_FIELD_FROM = 1u << 1,    /* from */
	SIP_FIELD_TO = 1u << 2,      /* to */
	SIP_FIELD_CONTACT = 1u << 3, /* contact, contact_count */
	SIP_FIELD_CSEQ = 1u << 4,    /* cseq */
	SIP_FIELD_CALL_ID = 1u << 5, /* call_id */
	SIP_FIELD_NUMBERS = 1u << 6, /* max_forwards, expires */
	SIP_FIELD_DATE = 1u << 7,    /* date */
	SIP_FIELD_AUTH = 1u << 8,    /* authorization, proxy_authorization, *_authenticate */
	SIP_FIELD_PLAIN = 1u << 9,   /* user_agent, server, allow, accept, subject, content_type */
};

#define SIP_LIMITS_DEFAULT ((struct sip_limits){65535, 8192, 128})

struct sip_msg {
	/* filled by sip_msg_init, kept across parses */
	struct sip_header *hdr;
	uint16_t hdr_cap;
	/*
	 * Internal: which of the large views below the last parse wrote (a bit per view). A
	 * receive loop parses into the same sip_msg over and over, and most messages have no
	 * credentials or challenges: the next parse clears only the views written, not all 2 KiB.
	 */
	uint16_t dirty;

	/* everything below is reset by sip_parse */
	const char *buf; /* the buffer parsed; offsets below are relative to it */
	uint16_t nhdr;
	uint8_t is_request;
	uint8_t ndefects;
	uint16_t ndefects_total;
	uint32_t flags;    /* enum sip_flag */
	uint32_t err_off;  /* on error: offset where the parser gave up */
	uint32_t head_len; /* start line + headers + empty line */
	uint32_t msg_len;  /* head_len + body length: bytes of buf this message used */

	struct sw_str start_line;
	struct sw_str version; /* "SIP/2.0" */
	/* request (the Request-URI's views are with the large views below) */
	struct sw_str method;
	uint8_t method_id; /* enum sip_method */
	struct sw_str ruri_raw;
	/* response */
	uint16_t status;
	struct sw_str reason; /* present and maybe empty for responses */

	uint16_t via_count; /* Via values over all Via headers */
	uint16_t contact_count;
	struct sip_cseq cseq;
	struct sw_str call_id;
	int32_t max_forwards; /* -1 when absent or malformed */
	int64_t expires;      /* -1 when absent or malformed */
	uint32_t content_length;
	uint8_t has_content_length;
	struct sw_str user_agent, server, allow, accept, subject, content_type, date;
	struct sw_str body;

	/* index of the first header of each id, SIP_NO_HDR when absent; follow sip_header.next */
	uint16_t first[SIP_HDR__COUNT];

	/* the large views: all zero when the message has no such part */
	struct sip_uri ruri;
	struct sip_via via;
	struct sip_addr from, to, contact;
	struct sip_auth authorization, proxy_authorization, www_authenticate, proxy_authenticate;

	/* the first ndefects entries are valid */
	struct sip_defect defects[SIP_MAX_DEFECTS];
};

/*
 * Attach the caller's header array (cap entries) to msg and clear it: required once before the
 * first sip_parse into msg (which relies on the large views being zero); then parse into it again
 * and again.
 */
void sip_msg_init(struct sip_msg *msg, struct sip_header *hdrs, uint16_t cap);

/*
 * Parse one message at the start of buf. Returns 0 (msg filled; msg->msg_len bytes used) or a
 * negative SW_E_* code (msg->err_off set; other fields unspecified). limits may be NULL for
 * SIP_LIMITS_DEFAULT. In SIP_MODE_STREAM, SW_E_TRUNCATED means the message is not complete yet.
 */
int sip_parse(struct sip_msg *msg, const char *buf, size_t len, enum sip_mode mode,
	      const struct sip_limits *limits);

/* The i-th header of id (0 = first), or NULL. */
const struct sip_header *sip_msg_header(const struct sip_msg *msg, enum sip_hdr_id id, unsigned i);

/* Number of header lines of id. */
unsigned sip_msg_header_count(const struct sip_msg *msg, enum sip_hdr_id id);

/*
 * Find parameter name (case-insensitive) in a ";a=b;c" list such as sip_uri.params or
 * sip_addr.params. Returns 1 and sets *ret_value (empty, non-NULL view for a flag parameter;
 * quoted values without their quotes) or 0 when absent.
 */
int sip_param_get(struct sw_str params, const char *name, struct sw_str *ret_value);

/* Parse a URI view into *ret (written on success). */
int sip_uri_parse(const char *p, size_t len, struct sip_uri *ret);

#endif
