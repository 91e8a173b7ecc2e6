/*
 * One error space for all of sipwarden.
 *
 * Every fallible function returns 0 on success or one negative code from the list below. The same
 * codes name the *defects* the SIP parser records in a message it could still parse (an invalid
 * but understandable message: CSeq out of range, an unterminated quote, ...), so the shield can
 * count "invalid signals" and inspect can print what was wrong, with the same names and words.
 *
 * The list is an X-macro so the enum, the short names and the messages can never drift apart.
 * Codes are stable once released: add new ones at the end of their group.
 */
#ifndef SW_CORE_ERR_H
#define SW_CORE_ERR_H

#include <stddef.h>

/* X(NAME, value, "stable short name for logs and JSON", "human message") */
// clang-format off
#define SW_ERRORS(X)                                                                                              \
	X(SW_OK, 0, "ok", "success")                                                                              \
	/* generic */                                                                                             \
	X(SW_E_NOMEM, -1, "nomem", "out of memory")                                                               \
	X(SW_E_INVAL, -2, "inval", "invalid argument")                                                            \
	X(SW_E_IO, -3, "io", "input/output error")                                                                \
	X(SW_E_RANGE, -4, "range", "value out of range")                                                          \
	X(SW_E_SYNTAX, -5, "syntax", "syntax error")                                                              \
	X(SW_E_LIMIT, -6, "limit", "limit exceeded")                                                              \
	X(SW_E_EOF, -7, "eof", "end of input")                                                                    \
	X(SW_E_TRUNCATED, -8, "truncated", "input truncated")                                                     \
	X(SW_E_UNSUPPORTED, -9, "unsupported", "not supported")                                                   \
	X(SW_E_CONFIG, -10, "config", "invalid configuration")                                                    \
	/* SIP framing and start line: the message cannot be used */                                              \
	X(SW_E_SIP_EMPTY, -100, "sip_empty", "empty message")                                                     \
	X(SW_E_SIP_START_LINE, -101, "sip_start_line", "malformed start line")                                    \
	X(SW_E_SIP_METHOD, -102, "sip_method", "invalid method token")                                            \
	X(SW_E_SIP_STATUS, -103, "sip_status", "status code is not three digits between 100 and 699")             \
	X(SW_E_SIP_NO_EOH, -104, "sip_no_eoh", "header section does not end with an empty line")                  \
	X(SW_E_SIP_HEADER_SYNTAX, -105, "sip_header_syntax", "header line without a name and colon")              \
	X(SW_E_SIP_CONTENT_LENGTH, -106, "sip_content_length", "Content-Length is not a non-negative integer")    \
	X(SW_E_SIP_CL_CONFLICT, -107, "sip_cl_conflict", "conflicting Content-Length values")                     \
	X(SW_E_SIP_BODY_SHORT, -108, "sip_body_short", "Content-Length exceeds the bytes that follow the header") \
	X(SW_E_SIP_TOO_MANY_HEADERS, -109, "sip_too_many_headers", "too many header fields")                      \
	X(SW_E_SIP_LINE_TOO_LONG, -110, "sip_line_too_long", "line too long")                                     \
	X(SW_E_SIP_TOO_BIG, -111, "sip_too_big", "message too big")                                               \
	X(SW_E_SIP_CTL_IN_HEADER, -112, "sip_ctl_in_header", "CR not followed by LF in a header line")               \
	/* SIP defects: recorded, the message is still parsed and usable */                                       \
	X(SW_E_SIP_VERSION, -200, "sip_version", "unsupported SIP version")                                       \
	X(SW_E_SIP_RURI, -201, "sip_ruri", "malformed Request-URI")                                               \
	X(SW_E_SIP_RURI_LWS, -202, "sip_ruri_lws", "whitespace inside the Request-URI")                           \
	X(SW_E_SIP_RURI_HEADERS, -203, "sip_ruri_headers", "Request-URI carries escaped headers")                 \
	X(SW_E_SIP_START_LINE_LWS, -204, "sip_start_line_lws", "extra whitespace in the start line")              \
	X(SW_E_SIP_MISSING_HEADER, -205, "sip_missing_header", "mandatory header field missing")                  \
	X(SW_E_SIP_DUP_HEADER, -206, "sip_dup_header", "single-value header field repeated")                      \
	X(SW_E_SIP_CSEQ, -207, "sip_cseq", "malformed CSeq")                                                      \
	X(SW_E_SIP_CSEQ_RANGE, -208, "sip_cseq_range", "CSeq number above 2^31-1")                                \
	X(SW_E_SIP_CSEQ_METHOD, -209, "sip_cseq_method", "CSeq method differs from the request method")           \
	X(SW_E_SIP_MAX_FORWARDS, -210, "sip_max_forwards", "Max-Forwards is not an integer from 0 to 255")        \
	X(SW_E_SIP_EXPIRES, -211, "sip_expires", "Expires is not an integer below 2^32")                          \
	X(SW_E_SIP_VIA, -212, "sip_via", "malformed Via")                                                         \
	X(SW_E_SIP_EMPTY_ELEMENT, -213, "sip_empty_element", "empty list element or parameter")                   \
	X(SW_E_SIP_QUOTE, -214, "sip_quote", "unterminated quoted string")                                        \
	X(SW_E_SIP_DISPLAY_NAME, -215, "sip_display_name", "display name is neither a token list nor quoted")     \
	X(SW_E_SIP_ADDR_LWS, -216, "sip_addr_lws", "whitespace inside an addr-spec")                              \
	X(SW_E_SIP_ADDR_BRACKETS, -217, "sip_addr_brackets", "URI with ',', ';' or '?' outside angle brackets")   \
	X(SW_E_SIP_NAME_ADDR, -218, "sip_name_addr", "malformed name-addr or addr-spec")                          \
	X(SW_E_SIP_URI, -219, "sip_uri", "malformed URI")                                                         \
	X(SW_E_SIP_DATE, -220, "sip_date", "Date is not in GMT")                                                  \
	X(SW_E_SIP_CALL_ID, -221, "sip_call_id", "malformed Call-ID")                                             \
	X(SW_E_SIP_AUTH, -222, "sip_auth", "malformed credentials or challenge")                                  \
	X(SW_E_SIP_NUMBER, -223, "sip_number", "malformed or overlarge number")                                   \
	X(SW_E_SIP_BARE_LF, -224, "sip_bare_lf", "line ends with LF, not CRLF")                                   \
	/* captures */                                                                                            \
	X(SW_E_PCAP_OPEN, -300, "pcap_open", "cannot open capture")                                               \
	X(SW_E_PCAP_READ, -301, "pcap_read", "capture is truncated or corrupt")                                   \
	X(SW_E_PCAP_LINKTYPE, -302, "pcap_linktype", "unsupported link type")                                     \
	X(SW_E_PKT_SHORT, -303, "pkt_short", "packet shorter than its headers")                                   \
	X(SW_E_PKT_NOT_UDP, -304, "pkt_not_udp", "not a UDP packet")                                              \
	X(SW_E_PKT_BAD_IP, -305, "pkt_bad_ip", "malformed IP header")                                             \
	X(SW_E_PKT_FRAGMENT, -306, "pkt_fragment", "IP fragment held for reassembly")                             \
	X(SW_E_PKT_REASM, -307, "pkt_reasm", "IP fragments could not be reassembled")                             \
	X(SW_E_PKT_NOT_IP, -308, "pkt_not_ip", "frame carries no IPv4 or IPv6 packet")                            \
	X(SW_E_PKT_BAD_UDP, -309, "pkt_bad_udp", "malformed UDP header")                                          \
	/* targets and exclusions */                                                                              \
	X(SW_E_ADDR, -400, "addr", "malformed address, prefix or range")                                          \
	X(SW_E_RESOLVE, -401, "resolve", "host name does not resolve")                                            \
	X(SW_E_V6_TOO_BIG, -402, "v6_too_big", "IPv6 prefix or range too large to sweep")
// clang-format on

enum sw_err {
#define SW_ERR_ENUM(name, val, id, msg) name = (val),
	SW_ERRORS(SW_ERR_ENUM)
#undef SW_ERR_ENUM
};

/* Human message for a code; never NULL ("unknown error" for codes not in the list). */
const char *sw_strerror(int code);

/* Stable short name of a code (SW_E_SIP_CSEQ_RANGE -> "sip_cseq_range"); never NULL. */
const char *sw_errname(int code);

/* printf into a caller's error buffer, which may be absent (NULL or of size 0). */
void sw_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
