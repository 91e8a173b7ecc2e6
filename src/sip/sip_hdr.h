/*
 * The table of SIP header fields sipwarden knows by name: full names and compact forms from
 * RFC 3261 and the extensions in common use. Lookup is ASCII case-insensitive and allocation-free.
 */
#ifndef SW_SIP_HDR_H
#define SW_SIP_HDR_H

#include <stddef.h>
#include <stdint.h>

/* X(ID, "Canonical-Name", 'compact form or 0', single-valued?) */
#define SIP_HEADERS(X)                                                                             \
	X(ACCEPT, "Accept", 0, 0)                                                                  \
	X(ACCEPT_CONTACT, "Accept-Contact", 'a', 0)                                                \
	X(ACCEPT_ENCODING, "Accept-Encoding", 0, 0)                                                \
	X(ACCEPT_LANGUAGE, "Accept-Language", 0, 0)                                                \
	X(ACCEPT_RESOURCE_PRIORITY, "Accept-Resource-Priority", 0, 0)                              \
	X(ALERT_INFO, "Alert-Info", 0, 0)                                                          \
	X(ALLOW, "Allow", 0, 0)                                                                    \
	X(ALLOW_EVENTS, "Allow-Events", 'u', 0)                                                    \
	X(ANSWER_MODE, "Answer-Mode", 0, 1)                                                        \
	X(AUTHENTICATION_INFO, "Authentication-Info", 0, 1)                                        \
	X(AUTHORIZATION, "Authorization", 0, 0)                                                    \
	X(CALL_ID, "Call-ID", 'i', 1)                                                              \
	X(CALL_INFO, "Call-Info", 0, 0)                                                            \
	X(CONTACT, "Contact", 'm', 0)                                                              \
	X(CONTENT_DISPOSITION, "Content-Disposition", 0, 1)                                        \
	X(CONTENT_ENCODING, "Content-Encoding", 'e', 0)                                            \
	X(CONTENT_LANGUAGE, "Content-Language", 0, 0)                                              \
	X(CONTENT_LENGTH, "Content-Length", 'l', 1)                                                \
	X(CONTENT_TYPE, "Content-Type", 'c', 1)                                                    \
	X(CSEQ, "CSeq", 0, 1)                                                                      \
	X(DATE, "Date", 0, 1)                                                                      \
	X(DIVERSION, "Diversion", 0, 0)                                                            \
	X(ERROR_INFO, "Error-Info", 0, 0)                                                          \
	X(EVENT, "Event", 'o', 1)                                                                  \
	X(EXPIRES, "Expires", 0, 1)                                                                \
	X(FEATURE_CAPS, "Feature-Caps", 0, 0)                                                      \
	X(FLOW_TIMER, "Flow-Timer", 0, 1)                                                          \
	X(FROM, "From", 'f', 1)                                                                    \
	X(GEOLOCATION, "Geolocation", 0, 0)                                                        \
	X(HISTORY_INFO, "History-Info", 0, 0)                                                      \
	X(IDENTITY, "Identity", 'y', 0)                                                            \
	X(IDENTITY_INFO, "Identity-Info", 'n', 1)                                                  \
	X(IN_REPLY_TO, "In-Reply-To", 0, 0)                                                        \
	X(INFO_PACKAGE, "Info-Package", 0, 1)                                                      \
	X(JOIN, "Join", 0, 1)                                                                      \
	X(MAX_BREADTH, "Max-Breadth", 0, 1)                                                        \
	X(MAX_FORWARDS, "Max-Forwards", 0, 1)                                                      \
	X(MIME_VERSION, "MIME-Version", 0, 1)                                                      \
	X(MIN_EXPIRES, "Min-Expires", 0, 1)                                                        \
	X(MIN_SE, "Min-SE", 0, 1)                                                                  \
	X(ORGANIZATION, "Organization", 0, 1)                                                      \
	X(P_ASSERTED_IDENTITY, "P-Asserted-Identity", 0, 0)                                        \
	X(P_PREFERRED_IDENTITY, "P-Preferred-Identity", 0, 0)                                      \
	X(PATH, "Path", 0, 0)                                                                      \
	X(PRIORITY, "Priority", 0, 1)                                                              \
	X(PRIVACY, "Privacy", 0, 0)                                                                \
	X(PROXY_AUTHENTICATE, "Proxy-Authenticate", 0, 0)                                          \
	X(PROXY_AUTHORIZATION, "Proxy-Authorization", 0, 0)                                        \
	X(PROXY_REQUIRE, "Proxy-Require", 0, 0)                                                    \
	X(RACK, "RAck", 0, 1)                                                                      \
	X(REASON, "Reason", 0, 0)                                                                  \
	X(RECORD_ROUTE, "Record-Route", 0, 0)                                                      \
	X(RECV_INFO, "Recv-Info", 0, 0)                                                            \
	X(REFER_SUB, "Refer-Sub", 0, 1)                                                            \
	X(REFER_TO, "Refer-To", 'r', 1)                                                            \
	X(REFERRED_BY, "Referred-By", 'b', 1)                                                      \
	X(REJECT_CONTACT, "Reject-Contact", 'j', 0)                                                \
	X(REPLACES, "Replaces", 0, 1)                                                              \
	X(REPLY_TO, "Reply-To", 0, 1)                                                              \
	X(REQUEST_DISPOSITION, "Request-Disposition", 'd', 0)                                      \
	X(REQUIRE, "Require", 0, 0)                                                                \
	X(RESOURCE_PRIORITY, "Resource-Priority", 0, 0)                                            \
	X(RETRY_AFTER, "Retry-After", 0, 1)                                                        \
	X(ROUTE, "Route", 0, 0)                                                                    \
	X(RSEQ, "RSeq", 0, 1)                                                                      \
	X(SECURITY_CLIENT, "Security-Client", 0, 0)                                                \
	X(SECURITY_SERVER, "Security-Server", 0, 0)                                                \
	X(SECURITY_VERIFY, "Security-Verify", 0, 0)                                                \
	X(SERVER, "Server", 0, 1)                                                                  \
	X(SERVICE_ROUTE, "Service-Route", 0, 0)                                                    \
	X(SESSION_EXPIRES, "Session-Expires", 'x', 1)                                              \
	X(SIP_ETAG, "SIP-ETag", 0, 1)                                                              \
	X(SIP_IF_MATCH, "SIP-If-Match", 0, 1)                                                      \
	X(SUBJECT, "Subject", 's', 1)                                                              \
	X(SUBSCRIPTION_STATE, "Subscription-State", 0, 1)                                          \
	X(SUPPORTED, "Supported", 'k', 0)                                                          \
	X(TARGET_DIALOG, "Target-Dialog", 0, 1)                                                    \
	X(TIMESTAMP, "Timestamp", 0, 1)                                                            \
	X(TO, "To", 't', 1)                                                                        \
	X(UNSUPPORTED, "Unsupported", 0, 0)                                                        \
	X(USER_AGENT, "User-Agent", 0, 1)                                                          \
	X(VIA, "Via", 'v', 0)                                                                      \
	X(WARNING, "Warning", 0, 0)                                                                \
	X(WWW_AUTHENTICATE, "WWW-Authenticate", 0, 0)

enum sip_hdr_id {
	SIP_HDR_OTHER = 0, /* a header sipwarden does not know by name */
#define SIP_HDR_ENUM(id, name, compact, single) SIP_HDR_##id,
	SIP_HEADERS(SIP_HDR_ENUM)
#undef SIP_HDR_ENUM
		SIP_HDR__COUNT
};

/*
 * The id of the header called name[0..len), full or compact form, any case; SIP_HDR_OTHER for
 * names not in the table. *ret_compact (may be NULL) is set to 1 when the compact form matched.
 */
enum sip_hdr_id sip_hdr_lookup(const char *name, size_t len, int *ret_compact);

/* Canonical spelling ("Call-ID") of an id; "" for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);

/* Compact form letter of an id, or 0 when it has none. */
char sip_hdr_compact(enum sip_hdr_id id);

/* 1 when RFC 3261 allows only one value of this header in a message (Call-ID, CSeq, To, ...). */
int sip_hdr_single(enum sip_hdr_id id);

#endif
