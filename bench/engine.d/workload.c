/*
 * Workload generator for bench/engine (see workload.h for the contract).
 *
 * The model. P phones (legitimate sources) at distinct addresses of 198.18.0.0/15, spread by
 * a multiplicative permutation, each a vendor (Yealink, Polycom, Linphone, Grandstream, snom)
 * with that vendor's User-Agent and tag/branch/Call-ID styles:
 *   - boot within the first 60 s: REGISTER -> 401 (WWW-Authenticate digest) -> REGISTER with
 *     Authorization -> 200; refresh every ~540 s (Expires: 600) with the cached nonce, one
 *     refresh in five answered "401 stale=true" first;
 *   - once registered, an OPTIONS keepalive every 30 s -> 200 (Kamailio's options reply);
 *   - calls, one per ~2000 s per phone on average (exponential), to another registered phone,
 *     through the server: INVITE (SDP) -> 407 -> ACK -> INVITE with Proxy-Authorization -> 100,
 *     the server's INVITE to the callee (Record-Route, two Vias) -> 100, 180, 200 (SDP) relayed,
 *     ACK on both legs, after 10-300 s BYE on both legs and the two 200s: 17 messages.
 * Attack campaigns arrive as Poisson processes whose rates scale with P, from addresses in
 * 100.64.0.0/10 (a quarter of the campaigns come back from an address used before, so some
 * return inside their deny-period and some after it): svmap OPTIONS sweeps (one probe, 404),
 * svwar REGISTER walks over 200-900 extensions after a canary (404s), svcrack password guessing
 * (1 + 100-600 REGISTERs with Authorization, 401s), sipsak pings, nmap NSE sip-methods OPTIONS
 * and sip-enum-users REGISTER walks (Expires: 0, a new source port per request). 30% of the
 * campaigns are "UA-changed" variants: the tool's User-Agent replaced by a common one, or left
 * out. Two custom tools send exactly what a phone sends (no fingerprint matches): an enumerator
 * (REGISTER per extension, 404s) and a password cracker (REGISTERs with Authorization for a real
 * user, 401s); only the behaviour checks on the server's answers can stop them. The shapes
 * follow ../shared/FINGERPRINTS.md. Every request is answered as an
 * unprotected server would answer it (the capture a replay works from); the server is a
 * Kamailio 5.6.3 (its Server header, to-tags, branches and nonces).
 *
 * Rates: a phone sends and receives ~0.08 messages per second in steady state, and attacks add
 * ~0.018 per phone-second (~19% of all messages); P defaults to msgs / 85, so 10 M messages
 * are ~118 k phones over ~15 minutes of the engine's clock, and a smaller run (callgrind's) is
 * the same mix over the same timeline with fewer phones.
 *
 * Everything a response needs is regenerated: a response is built by rebuilding its request
 * (request builders are pure functions of the actor's state) and copying the request's Via,
 * From, To, Call-ID and CSeq lines as RFC 3261 8.2.6 says. So no actor stores text.
 */
#include "workload.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- randomness ----------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A hash of a seed and a salt: the source of every per-actor string. */
static uint64_t h2(uint64_t seed, uint64_t salt)
{
	return mix64(seed ^ mix64(salt + 0x9e3779b97f4a7c15ULL));
}

struct rng {
	uint64_t s;
};

static uint64_t rnd64(struct rng *r)
{
	return mix64(r->s += 0x9e3779b97f4a7c15ULL);
}

/* Uniform in [lo, hi]. */
static uint64_t rnd(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rnd64(r) % (hi - lo + 1);
}

/* Exponential with the given mean (microseconds). */
static uint64_t rnd_exp(struct rng *r, double mean_us)
{
	double u = ((double)(rnd64(r) >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
	return (uint64_t)(-log(u) * mean_us);
}

/* ---- text ----------------------------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void put_n(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n > b->cap)
		abort(); /* the builders stay far below the cap; a bug otherwise */
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

/* Literals only: the "" concatenation refuses anything else (sizeof would be a pointer's). */
#define PUT(b, lit) put_n((b), "" lit, sizeof(lit) - 1)

static void put_s(struct sbuf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

static void put_c(struct sbuf *b, char c)
{
	put_n(b, &c, 1);
}

static void put_u(struct sbuf *b, uint64_t v)
{
	char t[24];
	int i = 24;
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_n(b, t + i, (size_t)(24 - i));
}

/* v as exactly `digits` decimal digits (leading zeros kept). */
static void put_dec(struct sbuf *b, uint64_t v, int digits)
{
	char t[24];
	for (int i = digits - 1; i >= 0; i--) {
		t[i] = (char)('0' + v % 10);
		v /= 10;
	}
	put_n(b, t, (size_t)digits);
}

static const char HEXL[] = "0123456789abcdef";
static const char HEXU[] = "0123456789ABCDEF";
static const char ALNUM[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char ALNUM_[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
static const char LOWALNUM[] = "abcdefghijklmnopqrstuvwxyz0123456789";
static const char BELLE[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~";

/* n characters of alphabet, drawn from seed. */
static void put_chars(struct sbuf *b, uint64_t seed, int n, const char *alpha)
{
	size_t k = strlen(alpha);
	uint64_t x = 0;
	for (int i = 0; i < n; i++) {
		if (i % 8 == 0)
			x = h2(seed, (uint64_t)i);
		put_c(b, alpha[(x & 0xff) % k]);
		x >>= 8;
	}
}

static void put_hex(struct sbuf *b, uint64_t seed, int n, const char *digits)
{
	uint64_t x = 0;
	for (int i = 0; i < n; i++) {
		if (i % 16 == 0)
			x = h2(seed, 0x4000u + (uint64_t)i);
		put_c(b, digits[x & 15]);
		x >>= 4;
	}
}

static void put_ip(struct sbuf *b, uint32_t ip)
{
	put_u(b, ip >> 24);
	put_c(b, '.');
	put_u(b, (ip >> 16) & 255);
	put_c(b, '.');
	put_u(b, (ip >> 8) & 255);
	put_c(b, '.');
	put_u(b, ip & 255);
}

/* ---- the server ----------------------------------------------------------------------------- */

#define DOMAIN "voip.example.net"
#define SERVER_HDR "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
#define SERVER_ALLOW "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, NOTIFY, PRACK, UPDATE, REFER\r\n"

/* Kamailio's to-tag: 32 hex digits, '.', 4 hex digits. */
static void put_kam_totag(struct sbuf *b, uint64_t seed)
{
	put_hex(b, seed, 32, HEXL);
	put_c(b, '.');
	put_hex(b, seed ^ 0x77, 4, HEXL);
}

/* Kamailio's nonce (auth module: base64 of time and hash) */
static void put_nonce(struct sbuf *b, uint64_t seed)
{
	PUT(b, "Z");
	put_chars(b, seed, 39, ALNUM);
}

/* ---- phones --------------------------------------------------------------------------------- */

enum vendor { V_YEALINK = 0, V_POLYCOM, V_LINPHONE, V_GRANDSTREAM, V_SNOM, V__COUNT };

static const char *const UA[V__COUNT] = {
	"Yealink SIP-T46S 66.86.0.15",
	"PolycomVVX-VVX_450-UA/6.4.3.5018",
	"Linphone-Desktop/5.2.6 (ubuntu 22.04, Qt 5.15.3) LinphoneCore/5.3.6",
	"Grandstream GXP2170 1.0.11.23",
	"snom D785/10.1.141.13",
};

static const char *const PHONE_ALLOW[V__COUNT] = {
	"Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, "
	"REFER, PUBLISH, UPDATE, MESSAGE\r\n",
	"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, SUBSCRIBE, NOTIFY, PRACK, "
	"UPDATE, REFER\r\n",
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, "
	"PRACK, UPDATE\r\n",
	"Allow: INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE\r\n",
	"Allow: INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, NOTIFY, SUBSCRIBE, PRACK, MESSAGE, "
	"INFO, UPDATE\r\n",
};

struct phone {
	uint64_t seed;
	uint32_t reg_cseq;  /* CSeq of the latest REGISTER */
	uint32_t opt_cseq;  /* CSeq of the latest OPTIONS */
	uint32_t nonce_gen; /* the server's current nonce for this phone */
	uint32_t nc;        /* nonce count used with it */
	uint32_t ip;
	uint16_t port;
	uint8_t vendor;
	uint8_t registered;
	uint8_t reg_step, ka_step;
	uint8_t stale; /* this refresh is answered 401 stale=true first */
	uint8_t busy;  /* in a call */
};

static uint32_t phone_ext(uint32_t i)
{
	return 2000000u + i;
}

static void ph_tag(struct sbuf *b, const struct phone *ph, uint64_t s)
{
	switch (ph->vendor) {
	case V_YEALINK:
		put_u(b, 1000000000u + h2(s, 1) % 3000000000u);
		break;
	case V_POLYCOM:
		put_hex(b, s, 8, HEXU);
		put_c(b, '-');
		put_hex(b, s ^ 0x55, 8, HEXU);
		break;
	case V_LINPHONE:
		put_chars(b, s, 9, BELLE);
		break;
	case V_GRANDSTREAM:
		put_u(b, 100000000u + h2(s, 2) % 900000000u);
		break;
	default:
		put_chars(b, s, 10, LOWALNUM);
		break;
	}
}

static void ph_branch(struct sbuf *b, const struct phone *ph, uint64_t s)
{
	PUT(b, "z9hG4bK");
	switch (ph->vendor) {
	case V_YEALINK:
		put_u(b, 1000000000u + h2(s, 3) % 3000000000u);
		break;
	case V_POLYCOM:
		put_hex(b, s, 8, HEXU);
		put_hex(b, s ^ 9, 8, HEXL);
		break;
	case V_LINPHONE:
		put_c(b, '.');
		put_chars(b, s, 9, BELLE);
		break;
	case V_GRANDSTREAM:
		put_u(b, 100000000u + h2(s, 4) % 900000000u);
		break;
	default:
		put_c(b, '-');
		put_chars(b, s, 12, LOWALNUM);
		break;
	}
}

static void ph_callid(struct sbuf *b, const struct phone *ph, uint64_t s)
{
	switch (ph->vendor) {
	case V_YEALINK:
		PUT(b, "0_");
		put_u(b, 1000000000u + h2(s, 5) % 3000000000u);
		put_c(b, '@');
		put_ip(b, ph->ip);
		break;
	case V_POLYCOM:
		put_hex(b, s ^ 0x11, 8, HEXL);
		put_c(b, '-');
		put_hex(b, s ^ 1, 8, HEXL);
		put_c(b, '-');
		put_hex(b, s ^ 2, 8, HEXL);
		put_c(b, '@');
		put_ip(b, ph->ip);
		break;
	case V_LINPHONE:
		put_chars(b, s, 10, ALNUM);
		break;
	case V_GRANDSTREAM:
		put_u(b, 1000000000u + h2(s, 6) % 3000000000u);
		PUT(b, "-5060-");
		put_u(b, 1 + h2(s, 7) % 20);
		put_c(b, '@');
		put_ip(b, ph->ip);
		break;
	default:
		put_chars(b, s, 12, LOWALNUM);
		break;
	}
}

/* "From: " / "To: " name-addr of a phone's AOR (display name by vendor). */
static void ph_aor(struct sbuf *b, const struct phone *ph, uint32_t ext)
{
	switch (ph->vendor) {
	case V_YEALINK:
	case V_GRANDSTREAM:
		put_c(b, '"');
		put_u(b, ext);
		PUT(b, "\" ");
		break;
	case V_POLYCOM:
		PUT(b, "\"Office ");
		put_u(b, ext % 10000);
		PUT(b, "\" ");
		break;
	default:
		break;
	}
	PUT(b, "<sip:");
	put_u(b, ext);
	PUT(b, "@" DOMAIN ">");
}

static void ph_via(struct sbuf *b, const struct phone *ph, uint64_t branch_seed)
{
	PUT(b, "Via: SIP/2.0/UDP ");
	put_ip(b, ph->ip);
	put_c(b, ':');
	put_u(b, ph->port);
	PUT(b, ";branch=");
	ph_branch(b, ph, branch_seed);
	PUT(b, ";rport\r\n");
}

static void ph_contact(struct sbuf *b, const struct phone *ph, uint32_t ext, bool reg)
{
	PUT(b, "Contact: <sip:");
	put_u(b, ext);
	put_c(b, '@');
	put_ip(b, ph->ip);
	put_c(b, ':');
	put_u(b, ph->port);
	if (ph->vendor == V_LINPHONE)
		PUT(b, ";transport=udp");
	put_c(b, '>');
	if (reg && ph->vendor != V_GRANDSTREAM) {
		PUT(b, ";reg-id=1;+sip.instance=\"<urn:uuid:");
		put_hex(b, ph->seed, 8, HEXL);
		PUT(b, "-");
		put_hex(b, ph->seed ^ 3, 4, HEXL);
		PUT(b, "-4");
		put_hex(b, ph->seed ^ 4, 3, HEXL);
		PUT(b, "-8");
		put_hex(b, ph->seed ^ 5, 3, HEXL);
		PUT(b, "-");
		put_hex(b, ph->seed ^ 6, 12, HEXL);
		PUT(b, ">\"");
	}
	PUT(b, "\r\n");
}

/* A digest header value with every parameter, as phones send it. */
static void put_digest(struct sbuf *b, const char *hdr, uint32_t ext, uint64_t nonce_seed,
		       const char *uri_user_ext, uint32_t uri_ext, uint64_t resp_seed, uint32_t nc)
{
	put_s(b, hdr);
	PUT(b, ": Digest username=\"");
	put_u(b, ext);
	PUT(b, "\", realm=\"" DOMAIN "\", nonce=\"");
	put_nonce(b, nonce_seed);
	PUT(b, "\", uri=\"sip:");
	if (uri_user_ext) {
		put_u(b, uri_ext);
		put_c(b, '@');
	}
	PUT(b, DOMAIN "\", response=\"");
	put_hex(b, resp_seed, 32, HEXL);
	PUT(b, "\", algorithm=MD5, cnonce=\"");
	put_hex(b, resp_seed ^ 0x99, 16, HEXL);
	PUT(b, "\", qop=auth, nc=");
	put_dec(b, nc, 8);
	PUT(b, "\r\n");
}

/* Phone requests outside calls. */
enum { PR_REGISTER, PR_REGISTER_AUTH, PR_OPTIONS };

static void ph_request(struct sbuf *b, const struct phone *ph, uint32_t ext, int what)
{
	uint32_t cseq = what == PR_OPTIONS ? ph->opt_cseq : ph->reg_cseq;
	bool reg = what != PR_OPTIONS;
	/* REGISTERs share one Call-ID and From tag for the phone's life; OPTIONS get new ones. */
	uint64_t dlg = reg ? h2(ph->seed, 0x7e9) : h2(ph->seed, 0x0b7 + ((uint64_t)cseq << 8));

	if (reg)
		PUT(b, "REGISTER sip:" DOMAIN " SIP/2.0\r\n");
	else
		PUT(b, "OPTIONS sip:" DOMAIN " SIP/2.0\r\n");
	ph_via(b, ph, h2(dlg, cseq));
	PUT(b, "From: ");
	ph_aor(b, ph, ext);
	PUT(b, ";tag=");
	ph_tag(b, ph, dlg);
	PUT(b, "\r\nTo: ");
	if (reg)
		ph_aor(b, ph, ext);
	else
		PUT(b, "<sip:" DOMAIN ">");
	PUT(b, "\r\nCall-ID: ");
	ph_callid(b, ph, dlg);
	PUT(b, "\r\nCSeq: ");
	put_u(b, cseq);
	if (reg)
		PUT(b, " REGISTER\r\n");
	else
		PUT(b, " OPTIONS\r\n");
	ph_contact(b, ph, ext, reg);
	if (what == PR_REGISTER_AUTH)
		put_digest(b, "Authorization", ext, h2(ph->seed, 0x40000 + ph->nonce_gen), NULL, 0,
			   h2(ph->seed, ((uint64_t)cseq << 20) ^ ph->nc), ph->nc);
	PUT(b, "Max-Forwards: 70\r\nUser-Agent: ");
	put_s(b, UA[ph->vendor]);
	PUT(b, "\r\n");
	if (reg) {
		PUT(b, "Expires: 600\r\n");
		put_s(b, PHONE_ALLOW[ph->vendor]);
		if (ph->vendor == V_YEALINK || ph->vendor == V_LINPHONE)
			PUT(b, "Supported: replaces, outbound, path, gruu\r\n");
		else
			PUT(b, "Supported: replaces, timer\r\n");
	} else if (ph->vendor == V_LINPHONE) {
		PUT(b, "Accept: application/sdp\r\n");
	}
	PUT(b, "Content-Length: 0\r\n\r\n");
}

/* ---- responses -------------------------------------------------------------------------------- */

static bool line_is(const char *l, size_t n, const char *name)
{
	size_t k = strlen(name);
	return n > k && memcmp(l, name, k) == 0 && l[k] == ':';
}

/*
 * The start line and the Via, Record-Route (when rr), From, To, Call-ID and CSeq lines of
 * response to req. A server response (rip != 0) gets rport=PORT;received=IP on the top Via, as
 * Kamailio writes them. totag, when given, is added to a To without a tag.
 */
static void respond(struct sbuf *b, const struct sbuf *req, unsigned status, const char *reason,
		    const struct sbuf *totag, bool rr, uint32_t rip, uint16_t rport)
{
	const char *p = req->p, *end = req->p + req->n;
	bool first_via = true;

	PUT(b, "SIP/2.0 ");
	put_u(b, status);
	put_c(b, ' ');
	put_s(b, reason);
	PUT(b, "\r\n");
	p = memchr(p, '\n', (size_t)(end - p)) + 1; /* skip the request line */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p) - 1; /* without CR */
		if (n == 0)
			break;
		if (line_is(p, n, "Via")) {
			if (first_via && rip) {
				/* copy, turning a bare ";rport" into ";rport=PORT", then received */
				const char *rp = NULL;
				for (const char *q = p; q + 6 <= p + n; q++)
					if (memcmp(q, ";rport", 6) == 0 &&
					    (q + 6 == p + n || q[6] == ';')) {
						rp = q + 6;
						break;
					}
				if (rp) {
					put_n(b, p, (size_t)(rp - p));
					put_c(b, '=');
					put_u(b, rport);
					put_n(b, rp, (size_t)(p + n - rp));
				} else {
					put_n(b, p, n);
				}
				PUT(b, ";received=");
				put_ip(b, rip);
				PUT(b, "\r\n");
			} else {
				put_n(b, p, n + 2);
			}
			first_via = false;
		} else if (line_is(p, n, "To")) {
			put_n(b, p, n);
			if (totag && !memmem(p, n, ";tag=", 5)) {
				PUT(b, ";tag=");
				put_n(b, totag->p, totag->n);
			}
			PUT(b, "\r\n");
		} else if ((rr && line_is(p, n, "Record-Route")) || line_is(p, n, "From") ||
			   line_is(p, n, "Call-ID") || line_is(p, n, "CSeq")) {
			put_n(b, p, n + 2);
		}
		p = nl + 1;
	}
}

/* ---- calls ---------------------------------------------------------------------------------- */

struct call {
	uint64_t seed;
	uint32_t a, b; /* caller, callee (phone indexes) */
	uint32_t cseq; /* CSeq of the caller's first INVITE */
	uint8_t step;
	uint8_t live;
};

enum {
	CR_A_INVITE,      /* caller's first INVITE, no credentials */
	CR_A_ACK407,      /* ACK for the 407 */
	CR_A_INVITE_AUTH, /* INVITE with Proxy-Authorization */
	CR_S_INVITE,      /* the server's INVITE to the callee */
	CR_A_ACK,         /* ACK for the 200 */
	CR_S_ACK,
	CR_A_BYE,
	CR_S_BYE,
};

static void sdp_body(struct sbuf *b, const struct phone *ph, uint32_t ext, uint64_t s, bool proxied)
{
	PUT(b, "v=0\r\no=");
	put_u(b, ext);
	put_c(b, ' ');
	uint64_t sess = 100000000u + h2(s, 11) % 900000000u;
	put_u(b, sess);
	put_c(b, ' ');
	put_u(b, sess);
	PUT(b, " IN IP4 ");
	put_ip(b, ph->ip);
	PUT(b, "\r\ns=");
	if (ph->vendor == V_LINPHONE)
		PUT(b, "Talk");
	else if (ph->vendor == V_YEALINK)
		PUT(b, "SDP data");
	else
		put_c(b, '-');
	PUT(b, "\r\nc=IN IP4 ");
	put_ip(b, proxied ? WL_SERVER_IP : ph->ip);
	PUT(b, "\r\nt=0 0\r\nm=audio ");
	put_u(b, 10000 + 2 * (h2(s, 12) % 10000));
	PUT(b, " RTP/AVP 9 0 8 101\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
	       "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
	       "a=ptime:20\r\na=sendrecv\r\n");
}

static void kam_branch(struct sbuf *b, uint64_t s)
{
	PUT(b, "z9hG4bK");
	put_hex(b, s, 4, HEXL);
	put_c(b, '.');
	put_hex(b, s ^ 0x3c, 32, HEXL);
	PUT(b, ".0");
}

static void rr_line(struct sbuf *b, const struct phone *a, uint64_t s, const char *name)
{
	put_s(b, name);
	PUT(b, ": <sip:198.18.0.1;lr;ftag=");
	ph_tag(b, a, s);
	PUT(b, ">\r\n");
}

static void ruri_b(struct sbuf *b, const struct phone *pb, uint32_t extb)
{
	PUT(b, "sip:");
	put_u(b, extb);
	put_c(b, '@');
	put_ip(b, pb->ip);
	put_c(b, ':');
	put_u(b, pb->port);
}

static void call_request(struct sbuf *b, const struct phone *phones, const struct call *c, int what)
{
	const struct phone *pa = &phones[c->a], *pb = &phones[c->b];
	uint32_t exta = phone_ext(c->a), extb = phone_ext(c->b);
	uint64_t s = c->seed;
	bool server = what == CR_S_INVITE || what == CR_S_ACK || what == CR_S_BYE;
	bool invite = what == CR_A_INVITE || what == CR_A_INVITE_AUTH || what == CR_S_INVITE;
	uint32_t cseq;
	const char *method;
	uint64_t a_branch;
	char body_mem[1024];
	struct sbuf body = {body_mem, 0, sizeof(body_mem)};

	switch (what) {
	case CR_A_INVITE:
	case CR_A_ACK407:
		cseq = c->cseq, a_branch = h2(s, 21);
		break;
	case CR_A_INVITE_AUTH:
	case CR_S_INVITE:
		cseq = c->cseq + 1, a_branch = h2(s, 22);
		break;
	case CR_A_ACK:
	case CR_S_ACK:
		cseq = c->cseq + 1, a_branch = h2(s, 23);
		break;
	default:
		cseq = c->cseq + 2, a_branch = h2(s, 24);
		break;
	}
	method = invite ? "INVITE" : (what == CR_A_BYE || what == CR_S_BYE) ? "BYE" : "ACK";

	put_s(b, method);
	put_c(b, ' ');
	if (what <= CR_A_INVITE_AUTH) {
		PUT(b, "sip:");
		put_u(b, extb);
		PUT(b, "@" DOMAIN);
	} else {
		ruri_b(b, pb, extb);
	}
	PUT(b, " SIP/2.0\r\n");
	if (what == CR_S_INVITE)
		rr_line(b, pa, s, "Record-Route");
	if (server) {
		PUT(b, "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=");
		kam_branch(b, h2(s, 30 + (uint64_t)what));
		PUT(b, "\r\nVia: SIP/2.0/UDP ");
		put_ip(b, pa->ip);
		put_c(b, ':');
		put_u(b, pa->port);
		PUT(b, ";branch=");
		ph_branch(b, pa, a_branch);
		PUT(b, ";rport=");
		put_u(b, pa->port);
		PUT(b, ";received=");
		put_ip(b, pa->ip);
		PUT(b, "\r\nMax-Forwards: 69\r\n");
	} else {
		ph_via(b, pa, a_branch);
		if (what == CR_A_ACK || what == CR_A_BYE)
			rr_line(b, pa, s, "Route");
	}
	PUT(b, "From: ");
	ph_aor(b, pa, exta);
	PUT(b, ";tag=");
	ph_tag(b, pa, s);
	PUT(b, "\r\nTo: <sip:");
	put_u(b, extb);
	PUT(b, "@" DOMAIN ">");
	if (what == CR_A_ACK407) {
		PUT(b, ";tag=");
		put_kam_totag(b, h2(s, 407));
	} else if (what >= CR_A_ACK) {
		PUT(b, ";tag=");
		ph_tag(b, pb, h2(s, 99));
	}
	PUT(b, "\r\nCall-ID: ");
	ph_callid(b, pa, s);
	PUT(b, "\r\nCSeq: ");
	put_u(b, cseq);
	put_c(b, ' ');
	put_s(b, method);
	PUT(b, "\r\n");
	if (invite) {
		PUT(b, "Contact: <sip:");
		put_u(b, exta);
		put_c(b, '@');
		put_ip(b, pa->ip);
		put_c(b, ':');
		put_u(b, pa->port);
		PUT(b, ">\r\n");
	}
	if (what == CR_A_INVITE_AUTH)
		put_digest(b, "Proxy-Authorization", exta, h2(s, 0x407), "", extb, h2(s, 0x408), 1);
	if (!server)
		PUT(b, "Max-Forwards: 70\r\n");
	if (what != CR_A_ACK407 && what != CR_S_ACK) {
		PUT(b, "User-Agent: ");
		put_s(b, UA[pa->vendor]);
		PUT(b, "\r\n");
	}
	if (invite) {
		put_s(b, PHONE_ALLOW[pa->vendor]);
		PUT(b, "Supported: replaces, timer\r\nContent-Type: application/sdp\r\n");
		sdp_body(&body, pa, exta, s, what == CR_S_INVITE);
	}
	PUT(b, "Content-Length: ");
	put_u(b, body.n);
	PUT(b, "\r\n\r\n");
	put_n(b, body.p, body.n);
}

/* ---- attacks -------------------------------------------------------------------------------- */

static const char *const VARIANT_UA[] = {
	"Asterisk PBX 18.12.1",
	"Cisco-SIPGateway/IOS-15.x",
	"MicroSIP/3.21.3",
	"Z 5.6.2 v2.10.20.3",
	NULL, /* no User-Agent at all */
};

struct camp {
	uint64_t seed;
	uint32_t ip;   /* the attacker's address */
	uint32_t me;   /* the address it writes into Via/Contact */
	uint32_t k, n; /* request k of n */
	uint32_t ext0; /* first extension (svwar, nmap) or the target (svcrack) */
	uint16_t port;
	uint8_t tool;
	int8_t variant; /* -1: the tool's own User-Agent, else VARIANT_UA index */
	uint8_t phase;  /* 0: next is a request, 1: next is its response */
	uint8_t live;
};

static void att_ua(struct sbuf *b, const struct camp *c, const char *own)
{
	const char *ua = c->variant < 0 ? own : VARIANT_UA[c->variant];
	if (!ua)
		return;
	PUT(b, "User-Agent: ");
	put_s(b, ua);
	PUT(b, "\r\n");
}

/* hex of the ASCII text s, as SIPVicious builds its tags */
static void put_hexascii(struct sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		put_c(b, HEXL[(unsigned char)s[i] >> 4]);
		put_c(b, HEXL[(unsigned char)s[i] & 15]);
	}
}

static void sv_tag(struct sbuf *b, const char *text, size_t n, uint64_t s)
{
	char digits[12];
	size_t nd = 6 + h2(s, 50) % 5;
	for (size_t i = 0; i < nd; i++)
		digits[i] = (char)('0' + h2(s, 60 + i) % 10);
	put_hexascii(b, text, n);
	PUT(b, "01");
	put_hexascii(b, digits, nd);
}

static void sv_via(struct sbuf *b, const struct camp *c, uint64_t bs)
{
	PUT(b, "Via: SIP/2.0/UDP ");
	put_ip(b, c->me);
	PUT(b, ":5060;branch=z9hG4bK-");
	put_u(b, h2(bs, 1) % 10000000000ull);
	PUT(b, ";rport\r\n");
}

/* The extension svwar / nmap enum asks for in request k (k = 0 is the canary). */
static uint32_t enum_ext(const struct camp *c, uint32_t k, unsigned digits_canary)
{
	if (k == 0)
		return (uint32_t)(h2(c->seed, 77) %
				  (digits_canary == 10 ? 4000000000u : 100000000u));
	return c->ext0 + k - 1;
}

/*
 * A disguised tool sends what a phone would (workload's phone builder, a phone's User-Agent),
 * so no fingerprint rule matches: only the behaviour checks on the server's answers can stop
 * it. Enumerator: REGISTER for extension ext0 + k, answered 404. Cracker: one REGISTER, then
 * REGISTERs with Authorization, each answered 401.
 */
static void disguised_request(struct sbuf *b, const struct camp *c)
{
	struct phone ph = {0};
	bool crack = c->tool == WL_DISG_CRACK;

	ph.seed = c->seed;
	ph.ip = c->ip;
	ph.port = c->port;
	ph.vendor = (uint8_t)(c->seed % V__COUNT);
	ph.reg_cseq = 1 + c->k;
	ph.nonce_gen = c->k ? c->k - 1 : 0; /* the nonce of the previous 401 */
	ph.nc = 1;
	ph_request(b, &ph, crack ? c->ext0 : c->ext0 + c->k,
		   crack && c->k > 0 ? PR_REGISTER_AUTH : PR_REGISTER);
}

static void att_request(struct sbuf *b, const struct camp *c)
{
	uint64_t s = c->seed, bs = h2(s, 1000 + c->k);
	char txt[64];
	int tn;

	switch (c->tool) {
	case WL_DISG_ENUM:
	case WL_DISG_CRACK:
		disguised_request(b, c);
		break;
	case WL_SVMAP:
		PUT(b, "OPTIONS sip:100@198.18.0.1 SIP/2.0\r\n");
		sv_via(b, c, bs);
		PUT(b, "Max-Forwards: 70\r\nTo: \"sipvicious\"<sip:100@1.1.1.1>\r\n"
		       "From: \"sipvicious\"<sip:100@1.1.1.1>;tag=");
		sv_tag(b, "c612000113c4", 12, bs);
		PUT(b, "\r\n");
		att_ua(b, c, "friendly-scanner");
		PUT(b, "Call-ID: ");
		put_u(b, h2(bs, 2) % 10000000000000000000ull);
		PUT(b, "\r\nContact: sip:100@");
		put_ip(b, c->me);
		PUT(b, ":5060\r\nCSeq: 1 OPTIONS\r\nAccept: application/sdp\r\n"
		       "Content-Length: 0\r\n\r\n");
		break;
	case WL_SVWAR: {
		uint32_t ext = enum_ext(c, c->k, 10);
		tn = snprintf(txt, sizeof(txt), "%u", ext);
		PUT(b, "REGISTER sip:198.18.0.1 SIP/2.0\r\n");
		sv_via(b, c, bs);
		PUT(b, "Max-Forwards: 70\r\nTo: \"");
		put_u(b, ext);
		PUT(b, "\"<sip:");
		put_u(b, ext);
		PUT(b, "@198.18.0.1>\r\nFrom: \"");
		put_u(b, ext);
		PUT(b, "\"<sip:");
		put_u(b, ext);
		PUT(b, "@198.18.0.1>;tag=");
		sv_tag(b, txt, (size_t)tn, bs);
		PUT(b, "\r\n");
		att_ua(b, c, "friendly-scanner");
		PUT(b, "Call-ID: ");
		put_u(b, h2(bs, 3) % 4294967296ull);
		PUT(b, "\r\nContact: sip:");
		put_u(b, ext);
		PUT(b, "@198.18.0.1\r\nCSeq: 1 REGISTER\r\nAccept: application/sdp\r\n"
		       "Content-Length: 0\r\n\r\n");
		break;
	}
	case WL_SVCRACK: {
		uint32_t ext = c->ext0;
		PUT(b, "REGISTER sip:198.18.0.1 SIP/2.0\r\n");
		sv_via(b, c, bs);
		PUT(b, "Max-Forwards: 70\r\nTo: \"");
		put_u(b, ext);
		PUT(b, "\" <sip:");
		put_u(b, ext);
		PUT(b, "@198.18.0.1>\r\nFrom: \"");
		put_u(b, ext);
		PUT(b, "\" <sip:");
		put_u(b, ext);
		PUT(b, "@198.18.0.1>;tag=");
		if (c->k == 0) {
			PUT(b, "3206210844");
		} else {
			/* the tried password is readable in the tag: "ext:password" */
			tn = snprintf(txt, sizeof(txt), "%u:%u", ext, 100 + c->k - 1);
			sv_tag(b, txt, (size_t)tn, bs);
		}
		PUT(b, "\r\n");
		att_ua(b, c, "friendly-scanner");
		PUT(b, "Call-ID: ");
		put_u(b, h2(s, 3) % 4294967296ull); /* reused for every guess */
		PUT(b, "\r\nContact: sip:123@1.1.1.1\r\nCSeq: ");
		put_s(b, c->k == 0 ? "1" : "2");
		PUT(b, " REGISTER\r\nAccept: application/sdp\r\nContent-Length: 0\r\n");
		if (c->k > 0) {
			PUT(b, "Authorization: Digest username=\"");
			put_u(b, ext);
			PUT(b, "\",realm=\"" DOMAIN "\",nonce=\"");
			put_nonce(b, h2(s, 0x401 + c->k - 1));
			PUT(b, "\",uri=\"sip:198.18.0.1\",response=\"");
			put_hex(b, bs, 32, HEXL);
			PUT(b, "\",algorithm=MD5,cnonce=\"");
			put_hex(b, bs ^ 7, 16, HEXL);
			PUT(b, "\",nc=00000001,qop=auth\r\n");
		}
		PUT(b, "\r\n");
		break;
	}
	case WL_SIPSAK:
		PUT(b, "OPTIONS sip:198.18.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ");
		put_ip(b, c->me);
		put_c(b, ':');
		put_u(b, c->port);
		PUT(b, ";branch=z9hG4bK.");
		put_hex(b, bs, 8, HEXL);
		PUT(b, ";rport;alias\r\nFrom: sip:sipsak@");
		put_ip(b, c->me);
		put_c(b, ':');
		put_u(b, c->port);
		PUT(b, ";tag=");
		put_hex(b, bs ^ 1, 8, HEXL);
		PUT(b, "\r\nTo: sip:198.18.0.1\r\nCall-ID: ");
		put_u(b, h2(bs, 2) % 4294967296ull);
		put_c(b, '@');
		put_ip(b, c->me);
		PUT(b, "\r\nCSeq: 1 OPTIONS\r\nContact: sip:sipsak@");
		put_ip(b, c->me);
		put_c(b, ':');
		put_u(b, c->port);
		PUT(b, "\r\nContent-Length: 0\r\nMax-Forwards: 70\r\n");
		att_ua(b, c, "sipsak 0.9.8.1");
		PUT(b, "Accept: text/plain\r\n\r\n");
		break;
	case WL_NMAP_OPT:
	case WL_NMAP_ENUM: {
		bool opt = c->tool == WL_NMAP_OPT;
		uint32_t ext = opt ? 0 : enum_ext(c, c->k, 8);
		uint16_t port = opt ? c->port : (uint16_t)(32768 + h2(bs, 9) % 28000);
		if (opt)
			PUT(b, "OPTIONS sip:198.18.0.1 SIP/2.0\r\n");
		else
			PUT(b, "REGISTER sip:198.18.0.1 SIP/2.0\r\n");
		PUT(b, "Via: SIP/2.0/UDP ");
		put_ip(b, c->me);
		put_c(b, ':');
		put_u(b, port);
		PUT(b, ";rport;branch=z9hG4bK");
		put_chars(b, bs, 25, ALNUM_);
		PUT(b, "\r\nMax-Forwards: 70\r\nFrom: \"Nmap NSE\" <sip:");
		if (opt)
			PUT(b, "user");
		else
			put_u(b, ext);
		PUT(b, "@198.18.0.1>;tag=");
		put_chars(b, bs ^ 1, 20, ALNUM_);
		PUT(b, "\r\nTo: \"Nmap NSE\" <sip:");
		if (opt)
			PUT(b, "user");
		else
			put_u(b, ext);
		PUT(b, "@198.18.0.1>\r\nCall-ID: ");
		put_chars(b, bs ^ 2, 60, ALNUM_);
		put_s(b, opt ? "\r\nCSeq: 1234 OPTIONS\r\n" : "\r\nCSeq: 1234 REGISTER\r\n");
		att_ua(b, c, "Nmap NSE");
		PUT(b, "Contact: \"Nmap NSE\" <sip:");
		if (opt)
			PUT(b, "user");
		else
			put_u(b, ext);
		put_c(b, '@');
		put_ip(b, c->me);
		put_c(b, ':');
		put_u(b, port);
		PUT(b, ">\r\n");
		put_s(b, opt ? "Expires: 300\r\n" : "Expires: 0\r\n");
		PUT(b, "Allow: PRACK, INVITE ,ACK, BYE, CANCEL, UPDATE, SUBSCRIBE,NOTIFY, REFER, "
		       "MESSAGE, OPTIONS\r\n");
		if (opt)
			PUT(b, "Accept: application/sdp\r\n");
		PUT(b, "Content-Length:  0\r\n\r\n");
		break;
	}
	}
}

/* The port a campaign's request k comes from (nmap enum: a new one per request). */
static uint16_t att_port(const struct camp *c)
{
	if (c->tool == WL_NMAP_ENUM)
		return (uint16_t)(32768 + h2(h2(c->seed, 1000 + c->k), 9) % 28000);
	return c->port;
}

/* ---- the generator -------------------------------------------------------------------------- */

enum ev_type { EV_REG, EV_KA, EV_CALLSTART, EV_CALL, EV_CAMP, EV_SPAWN };

struct ev {
	uint64_t t_us;
	uint32_t seq; /* ties in time: first scheduled first */
	uint32_t id;
	uint8_t type;
};

/* Campaign arrivals per 1000 phones per second, and their sizes. */
static const double SPAWN_RATE[WL_TOOLS] = {0.444, 0.00556, 0.00889, 0.0222,
					    0.111, 0.00222, 0.002,   0.003};

#define KA_PERIOD_US 30000000ull
#define REG_REFRESH_US 540000000ull
#define CALL_MEAN_US 2000000000.0
#define BOOT_SPREAD_US 60000000ull
#define T0_MS 1000000ull /* the engine's clock at the start: 1000 s */

struct wl {
	struct wl_cfg cfg;
	struct rng r;
	struct phone *ph;
	uint32_t nph;
	uint32_t *registered; /* indexes of registered phones, for picking callees */
	uint32_t nreg;
	struct call *calls;
	uint32_t ncalls, calls_cap, *call_free, ncall_free;
	struct camp *camps;
	uint32_t ncamps, camps_cap, *camp_free, ncamp_free;
	struct ev *heap;
	uint32_t nheap, heap_cap, seq;
	uint64_t now_us;
	uint32_t attackers; /* attacker addresses handed out */
	uint32_t attackers_est;
	struct wl_summary sum;
	char scratch[4096];
};

/* Schedule an event; the generator runs outside the timed region and gives up on no memory. */
static int heap_push(struct wl *w, uint64_t t, uint8_t type, uint32_t id)
{
	if (w->nheap == w->heap_cap) {
		uint32_t cap = w->heap_cap ? w->heap_cap * 2 : 1024;
		struct ev *h = realloc(w->heap, cap * sizeof(*h));
		if (!h)
			abort();
		w->heap = h;
		w->heap_cap = cap;
	}
	struct ev e = {t, w->seq++, id, type};
	uint32_t i = w->nheap++;
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		struct ev *q = &w->heap[p];
		if (q->t_us < e.t_us || (q->t_us == e.t_us && q->seq < e.seq))
			break;
		w->heap[i] = *q;
		i = p;
	}
	w->heap[i] = e;
	return 0;
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->t_us < b->t_us || (a->t_us == b->t_us && a->seq < b->seq);
}

static struct ev heap_pop(struct wl *w)
{
	struct ev top = w->heap[0], last = w->heap[--w->nheap];
	uint32_t i = 0, n = w->nheap;
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		const struct ev *best = &last;
		if (l < n && ev_less(&w->heap[l], best))
			m = l, best = &w->heap[l];
		if (l + 1 < n && ev_less(&w->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		w->heap[i] = w->heap[m];
		i = m;
	}
	if (n)
		w->heap[i] = last;
	return top;
}

static void *grow(void *p, uint32_t *cap, size_t elem)
{
	uint32_t c = *cap ? *cap * 2 : 256;
	void *q = realloc(p, (size_t)c * elem);
	if (q)
		*cap = c;
	return q;
}

uint32_t wl_phones(const struct wl *w)
{
	return w->nph;
}

uint32_t wl_attack_sources_estimate(const struct wl *w)
{
	return w->attackers_est;
}

const struct wl_summary *wl_summary(const struct wl *w)
{
	return &w->sum;
}

const char *wl_kind_name(enum wl_kind k)
{
	static const char *const names[] = {
#define WL_KIND_NAME(id, text) text,
		WL_KINDS(WL_KIND_NAME)
#undef WL_KIND_NAME
	};
	return k < WL_KIND__COUNT ? names[k] : "?";
}

const char *wl_tool_name(enum wl_tool t)
{
	static const char *const names[WL_TOOLS] = {"svmap",     "svwar",     "svcrack",
						    "sipsak",    "nmap-opt",  "nmap-enum",
						    "disg-enum", "disg-crack"};
	return t < WL_TOOLS ? names[t] : "?";
}

/* 198.18.0.0/15 offsets 2..131071, in a scattered order (77777 is prime to 131070). */
static uint32_t phone_ip(uint32_t i)
{
	return 0xc6120000u + 2 + (uint32_t)(((uint64_t)i * 77777u) % 131070u);
}

/* 100.64.0.0/10, scattered (odd multiplier: a bijection modulo 2^22). */
static uint32_t attacker_ip(uint32_t k)
{
	return 0x64400000u + ((k * 2654435761u + 12345u) & 0x3fffffu);
}

struct wl *wl_new(const struct wl_cfg *cfg)
{
	struct wl *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cfg = *cfg;
	w->r.s = cfg->seed;
	w->nph = cfg->phones ? cfg->phones : (uint32_t)(cfg->msgs / 85);
	if (w->nph < 16)
		w->nph = 16;
	if (w->nph > WL_MAX_PHONES)
		w->nph = WL_MAX_PHONES;
	w->ph = calloc(w->nph, sizeof(*w->ph));
	w->registered = calloc(w->nph, sizeof(*w->registered));
	if (!w->ph || !w->registered)
		goto fail;
	for (uint32_t i = 0; i < w->nph; i++) {
		struct phone *p = &w->ph[i];
		p->seed = rnd64(&w->r);
		p->ip = phone_ip(i);
		p->vendor = (uint8_t)(h2(p->seed, 0xbe) % V__COUNT);
		/* most phones keep 5060 (no NAT or a port-preserving one), the rest are NATed */
		p->port = h2(p->seed, 0x90) % 100 < 60 ?
				  5060 :
				  (uint16_t)(1024 + h2(p->seed, 0x91) % 64000);
		p->reg_cseq = (uint32_t)(1 + h2(p->seed, 0x92) % 1000);
		p->opt_cseq = (uint32_t)(1 + h2(p->seed, 0x93) % 100);
		if (heap_push(w, rnd(&w->r, 0, BOOT_SPREAD_US), EV_REG, i))
			goto fail;
	}
	for (uint32_t t = 0; t < WL_TOOLS; t++)
		if (heap_push(w, rnd_exp(&w->r, 1e9 / (SPAWN_RATE[t] * w->nph)), EV_SPAWN, t))
			goto fail;
	/* Attacker addresses the run will need: campaign rate x the expected duration, of which
	 * three quarters are new addresses; doubled for safety. */
	{
		double rate = 0, per_phone = 0.0796 + 0.0165;
		for (uint32_t t = 0; t < WL_TOOLS; t++)
			rate += SPAWN_RATE[t] * w->nph / 1000.0;
		double msgs = (double)cfg->msgs - 4.0 * w->nph;
		double dur = msgs > 0 ? msgs / (per_phone * w->nph) : 60;
		w->attackers_est = (uint32_t)(rate * dur * 0.75 * 2) + 64;
	}
	w->sum.phones = w->nph;
	w->sum.payload_min = UINT32_MAX;
	return w;
fail:
	wl_free(w);
	return NULL;
}

void wl_free(struct wl *w)
{
	if (!w)
		return;
	free(w->ph);
	free(w->registered);
	free(w->calls);
	free(w->call_free);
	free(w->camps);
	free(w->camp_free);
	free(w->heap);
	free(w);
}

struct wl_chunk *wl_chunk_new(uint32_t cap)
{
	struct wl_chunk *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->cap = cap;
	c->arena_cap = (size_t)cap * 1100 + 65536;
	c->arena = malloc(c->arena_cap);
	c->off = calloc(cap, sizeof(*c->off));
	c->len = calloc(cap, sizeof(*c->len));
	c->t_ms = calloc(cap, sizeof(*c->t_ms));
	c->flags = calloc(cap, sizeof(*c->flags));
	if (!c->arena || !c->off || !c->len || !c->t_ms || !c->flags) {
		wl_chunk_free(c);
		return NULL;
	}
	return c;
}

void wl_chunk_free(struct wl_chunk *c)
{
	if (!c)
		return;
	free(c->arena);
	free(c->off);
	free(c->len);
	free(c->t_ms);
	free(c->flags);
	free(c);
}

/* ---- emitting packets ------------------------------------------------------------------------ */

#define MAX_PKT 2048
#define HDRS 28

struct emit {
	struct wl *w;
	struct wl_chunk *c;
	size_t used;
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The payload buffer for the next packet. */
static struct sbuf pkt_begin(struct emit *e)
{
	struct sbuf b = {(char *)e->c->arena + e->used + HDRS, 0, MAX_PKT - HDRS};
	return b;
}

/* Finish the packet whose payload is b: IPv4 and UDP headers, the chunk's arrays, counters. */
static void pkt_end(struct emit *e, const struct sbuf *b, uint32_t sip, uint16_t sport,
		    uint32_t dip, uint16_t dport, enum wl_kind kind, bool legit)
{
	struct wl *w = e->w;
	struct wl_chunk *c = e->c;
	uint8_t *ip = c->arena + e->used;
	uint32_t tot = HDRS + (uint32_t)b->n, sum = 0;
	bool out = sip == WL_SERVER_IP;

	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)tot);
	put_be16(ip + 4, (uint16_t)w->sum.msgs);
	put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 17;
	ip[10] = ip[11] = 0;
	put_be32(ip + 12, sip);
	put_be32(ip + 16, dip);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put_be16(ip + 10, (uint16_t)~sum);
	put_be16(ip + 20, sport);
	put_be16(ip + 22, dport);
	put_be16(ip + 24, (uint16_t)(8 + b->n));
	put_be16(ip + 26, 0); /* no UDP checksum (allowed over IPv4) */

	c->off[c->n] = (uint32_t)e->used;
	c->len[c->n] = (uint16_t)tot;
	c->t_ms[c->n] = T0_MS + w->now_us / 1000;
	c->flags[c->n] = (uint8_t)((legit ? WL_F_LEGIT : 0) | (out ? WL_F_OUT : 0));
	c->n++;
	e->used += (tot + 7) & ~7u;

	struct wl_summary *s = &w->sum;
	if (!s->msgs)
		s->first_ms = T0_MS + w->now_us / 1000;
	s->last_ms = T0_MS + w->now_us / 1000;
	s->msgs++;
	if (legit)
		s->legit++;
	else
		s->attack++;
	if (out)
		s->out++;
	s->by_kind[kind]++;
	s->payload_bytes += b->n;
	if (b->n < s->payload_min)
		s->payload_min = (uint32_t)b->n;
	if (b->n > s->payload_max)
		s->payload_max = (uint32_t)b->n;
}

static uint64_t ms_us(struct wl *w, unsigned lo_ms, unsigned hi_ms)
{
	return rnd(&w->r, (uint64_t)lo_ms * 1000, (uint64_t)hi_ms * 1000);
}

/* Server -> phone response to the phone request in req (rebuilt by the caller). */
static void server_reply_phone(struct emit *e, const struct phone *ph, const struct sbuf *req,
			       unsigned status, const char *reason, uint64_t totag_seed,
			       const char *extra, bool stale, uint64_t nonce_seed,
			       enum wl_kind kind)
{
	struct sbuf b = pkt_begin(e);
	char tt[64];
	struct sbuf totag = {tt, 0, sizeof(tt)};

	put_kam_totag(&totag, totag_seed);
	respond(&b, req, status, reason, status == 100 ? NULL : &totag, false, ph->ip, ph->port);
	if (status == 401 || status == 407) {
		put_s(&b, status == 401 ? "WWW-Authenticate" : "Proxy-Authenticate");
		PUT(&b, ": Digest realm=\"" DOMAIN "\", nonce=\"");
		put_nonce(&b, nonce_seed);
		PUT(&b, "\", qop=\"auth\"");
		if (stale)
			PUT(&b, ", stale=true");
		PUT(&b, "\r\n");
	}
	if (extra)
		put_s(&b, extra);
	PUT(&b, SERVER_HDR "Content-Length: 0\r\n\r\n");
	pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, ph->ip, ph->port, kind, true);
}

static void phone_send(struct emit *e, const struct phone *ph, const struct sbuf *b,
		       enum wl_kind kind)
{
	pkt_end(e, b, ph->ip, ph->port, WL_SERVER_IP, WL_SERVER_PORT, kind, true);
}

static void mark_registered(struct wl *w, uint32_t i)
{
	struct phone *ph = &w->ph[i];
	if (ph->registered)
		return;
	ph->registered = 1;
	w->registered[w->nreg++] = i;
	w->sum.phones_registered = w->nreg;
	heap_push(w, w->now_us + rnd(&w->r, 1000000, KA_PERIOD_US), EV_KA, i);
	heap_push(w, w->now_us + rnd_exp(&w->r, CALL_MEAN_US), EV_CALLSTART, i);
}

/*
 * The registration process of phone i. Steps: 0 REGISTER, 1 401, 2 REGISTER with credentials,
 * 3 200, 4 (refresh) REGISTER with credentials, answered by 3 or, when stale, by 5 (401 stale)
 * and then 2.
 */
static void ev_reg(struct emit *e, uint32_t i)
{
	struct wl *w = e->w;
	struct phone *ph = &w->ph[i];
	struct sbuf req = {w->scratch, 0, sizeof(w->scratch)};
	struct sbuf b;
	uint64_t next;

	switch (ph->reg_step) {
	case 0:
		ph->reg_cseq++;
		b = pkt_begin(e);
		ph_request(&b, ph, phone_ext(i), PR_REGISTER);
		phone_send(e, ph, &b, WL_PH_REGISTER);
		ph->reg_step = 1, next = ms_us(w, 1, 20);
		break;
	case 1:
	case 5:
		ph_request(&req, ph, phone_ext(i),
			   ph->reg_step == 1 ? PR_REGISTER : PR_REGISTER_AUTH);
		ph->nonce_gen++;
		ph->nc = 1;
		server_reply_phone(e, ph, &req, 401, "Unauthorized", h2(ph->seed, ph->reg_cseq),
				   NULL, ph->reg_step == 5, h2(ph->seed, 0x40000 + ph->nonce_gen),
				   WL_SV_TO_PHONE_RESP);
		ph->reg_step = 2, next = ms_us(w, 5, 60);
		break;
	case 2:
	case 4:
		ph->reg_cseq++;
		if (ph->reg_step == 4)
			ph->nc++;
		b = pkt_begin(e);
		ph_request(&b, ph, phone_ext(i), PR_REGISTER_AUTH);
		phone_send(e, ph, &b, WL_PH_REGISTER_AUTH);
		if (ph->reg_step == 4 && ph->stale)
			ph->reg_step = 5;
		else
			ph->reg_step = 3;
		next = ms_us(w, 1, 20);
		break;
	default: { /* 3: 200 OK */
		char extra[256];
		struct sbuf x = {extra, 0, sizeof(extra) - 1};
		ph_request(&req, ph, phone_ext(i), PR_REGISTER_AUTH);
		PUT(&x, "Contact: <sip:");
		put_u(&x, phone_ext(i));
		put_c(&x, '@');
		put_ip(&x, ph->ip);
		put_c(&x, ':');
		put_u(&x, ph->port);
		PUT(&x, ">;expires=600\r\n");
		extra[x.n] = 0;
		server_reply_phone(e, ph, &req, 200, "OK", h2(ph->seed, ph->reg_cseq), extra, false,
				   0, WL_SV_TO_PHONE_RESP);
		mark_registered(w, i);
		ph->reg_step = 4;
		ph->stale = rnd(&w->r, 1, 100) <= 20;
		next = REG_REFRESH_US + ms_us(w, 0, 30000);
		break;
	}
	}
	heap_push(w, w->now_us + next, EV_REG, i);
}

/* Keepalives: 0 OPTIONS, 1 200 OK, every 30 s. */
static void ev_ka(struct emit *e, uint32_t i)
{
	struct wl *w = e->w;
	struct phone *ph = &w->ph[i];
	struct sbuf req = {w->scratch, 0, sizeof(w->scratch)};

	if (ph->ka_step == 0) {
		ph->opt_cseq++;
		struct sbuf b = pkt_begin(e);
		ph_request(&b, ph, phone_ext(i), PR_OPTIONS);
		phone_send(e, ph, &b, WL_PH_OPTIONS);
		ph->ka_step = 1;
		heap_push(w, w->now_us + ms_us(w, 1, 20), EV_KA, i);
		return;
	}
	ph_request(&req, ph, phone_ext(i), PR_OPTIONS);
	server_reply_phone(e, ph, &req, 200, "OK", h2(ph->seed, 0x0c0 + ph->opt_cseq),
			   SERVER_ALLOW "Accept: */*\r\nAccept-Language: en\r\n", false, 0,
			   WL_SV_TO_PHONE_RESP);
	ph->ka_step = 0;
	heap_push(w, w->now_us + KA_PERIOD_US - 500000 + ms_us(w, 0, 1000), EV_KA, i);
}

static void ev_callstart(struct emit *e, uint32_t i)
{
	struct wl *w = e->w;
	struct phone *pa = &w->ph[i];
	uint32_t b = UINT32_MAX;

	if (!pa->busy && w->nreg > 1) {
		for (int tries = 0; tries < 8; tries++) {
			uint32_t k = w->registered[rnd(&w->r, 0, w->nreg - 1)];
			if (k != i && !w->ph[k].busy) {
				b = k;
				break;
			}
		}
	}
	if (b != UINT32_MAX) {
		uint32_t slot;
		if (w->ncall_free) {
			slot = w->call_free[--w->ncall_free];
		} else {
			if (w->ncalls == w->calls_cap) {
				uint32_t cap = w->calls_cap, cap2 = w->calls_cap;
				struct call *c = grow(w->calls, &cap, sizeof(*c));
				uint32_t *f = c ? grow(w->call_free, &cap2, sizeof(*f)) : NULL;
				if (!c || !f)
					abort();
				w->calls = c, w->call_free = f, w->calls_cap = cap;
			}
			slot = w->ncalls++;
		}
		struct call *c = &w->calls[slot];
		memset(c, 0, sizeof(*c));
		c->seed = rnd64(&w->r);
		c->a = i, c->b = b;
		c->cseq = (uint32_t)rnd(&w->r, 1, 30000);
		c->live = 1;
		pa->busy = w->ph[b].busy = 1;
		w->sum.calls++;
		heap_push(w, w->now_us, EV_CALL, slot);
	}
	heap_push(w, w->now_us + rnd_exp(&w->r, CALL_MEAN_US), EV_CALLSTART, i);
}

/* A call's 17 messages; see the comment at the top. */
static void ev_call(struct emit *e, uint32_t slot)
{
	struct wl *w = e->w;
	struct call *c = &w->calls[slot];
	struct phone *pa = &w->ph[c->a], *pb = &w->ph[c->b];
	struct sbuf req = {w->scratch, 0, sizeof(w->scratch)};
	struct sbuf b = pkt_begin(e);
	char tt[64], extra[512], bodym[1024];
	struct sbuf btag = {tt, 0, sizeof(tt)};
	struct sbuf x = {extra, 0, sizeof(extra) - 1};
	struct sbuf body = {bodym, 0, sizeof(bodym)};
	uint64_t next = ms_us(w, 1, 5);

	ph_tag(&btag, pb, h2(c->seed, 99));
	/* the callee's Contact and User-Agent, for its responses and their relayed copies */
	PUT(&x, "Contact: <sip:");
	put_u(&x, phone_ext(c->b));
	put_c(&x, '@');
	put_ip(&x, pb->ip);
	put_c(&x, ':');
	put_u(&x, pb->port);
	PUT(&x, ">\r\nUser-Agent: ");
	put_s(&x, UA[pb->vendor]);
	PUT(&x, "\r\n");
	extra[x.n] = 0;

	switch (c->step) {
	case 0:
		call_request(&b, w->ph, c, CR_A_INVITE);
		phone_send(e, pa, &b, WL_PH_INVITE);
		break;
	case 1:
		call_request(&req, w->ph, c, CR_A_INVITE);
		server_reply_phone(e, pa, &req, 407, "Proxy Authentication Required",
				   h2(c->seed, 407), NULL, false, h2(c->seed, 0x407),
				   WL_SV_TO_PHONE_RESP);
		break;
	case 2:
		call_request(&b, w->ph, c, CR_A_ACK407);
		phone_send(e, pa, &b, WL_PH_ACK_BYE);
		next = ms_us(w, 5, 30);
		break;
	case 3:
		call_request(&b, w->ph, c, CR_A_INVITE_AUTH);
		phone_send(e, pa, &b, WL_PH_INVITE);
		break;
	case 4:
		call_request(&req, w->ph, c, CR_A_INVITE_AUTH);
		server_reply_phone(e, pa, &req, 100, "Trying", 0, NULL, false, 0,
				   WL_SV_TO_PHONE_RESP);
		break;
	case 5:
		call_request(&b, w->ph, c, CR_S_INVITE);
		pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, pb->ip, pb->port, WL_SV_TO_PHONE_REQ,
			true);
		next = ms_us(w, 5, 30);
		break;
	case 6: /* callee: 100, 180, 200 with SDP */
	case 7:
	case 9:
		call_request(&req, w->ph, c, CR_S_INVITE);
		if (c->step == 6) {
			respond(&b, &req, 100, "Trying", NULL, false, 0, 0);
			PUT(&b, "User-Agent: ");
			put_s(&b, UA[pb->vendor]);
			PUT(&b, "\r\nContent-Length: 0\r\n\r\n");
		} else {
			respond(&b, &req, c->step == 7 ? 180 : 200, c->step == 7 ? "Ringing" : "OK",
				&btag, true, 0, 0);
			put_s(&b, extra);
			if (c->step == 9) {
				sdp_body(&body, pb, phone_ext(c->b), h2(c->seed, 5), false);
				PUT(&b, "Content-Type: application/sdp\r\n");
			}
			PUT(&b, "Content-Length: ");
			put_u(&b, body.n);
			PUT(&b, "\r\n\r\n");
			put_n(&b, body.p, body.n);
		}
		phone_send(e, pb, &b, WL_PH_RESPONSE);
		break;
	case 8: /* relayed 180, 200 to the caller */
	case 10:
		call_request(&req, w->ph, c, CR_A_INVITE_AUTH);
		respond(&b, &req, c->step == 8 ? 180 : 200, c->step == 8 ? "Ringing" : "OK", &btag,
			false, pa->ip, pa->port);
		rr_line(&b, pa, c->seed, "Record-Route");
		put_s(&b, extra);
		if (c->step == 10) {
			sdp_body(&body, pb, phone_ext(c->b), h2(c->seed, 5), true);
			PUT(&b, "Content-Type: application/sdp\r\n");
		}
		PUT(&b, "Content-Length: ");
		put_u(&b, body.n);
		PUT(&b, "\r\n\r\n");
		put_n(&b, body.p, body.n);
		pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, pa->ip, pa->port, WL_SV_TO_PHONE_RESP,
			true);
		next = c->step == 8 ? ms_us(w, 2000, 15000) : ms_us(w, 5, 50);
		break;
	case 11:
		call_request(&b, w->ph, c, CR_A_ACK);
		phone_send(e, pa, &b, WL_PH_ACK_BYE);
		break;
	case 12:
		call_request(&b, w->ph, c, CR_S_ACK);
		pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, pb->ip, pb->port, WL_SV_TO_PHONE_REQ,
			true);
		next = ms_us(w, 10000, 300000);
		break;
	case 13:
		call_request(&b, w->ph, c, CR_A_BYE);
		phone_send(e, pa, &b, WL_PH_ACK_BYE);
		break;
	case 14:
		call_request(&b, w->ph, c, CR_S_BYE);
		pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, pb->ip, pb->port, WL_SV_TO_PHONE_REQ,
			true);
		next = ms_us(w, 5, 30);
		break;
	case 15:
		call_request(&req, w->ph, c, CR_S_BYE);
		respond(&b, &req, 200, "OK", NULL, false, 0, 0);
		PUT(&b, "User-Agent: ");
		put_s(&b, UA[pb->vendor]);
		PUT(&b, "\r\nContent-Length: 0\r\n\r\n");
		phone_send(e, pb, &b, WL_PH_RESPONSE);
		break;
	default: /* 16 */
		call_request(&req, w->ph, c, CR_A_BYE);
		respond(&b, &req, 200, "OK", NULL, false, pa->ip, pa->port);
		PUT(&b, "User-Agent: ");
		put_s(&b, UA[pb->vendor]);
		PUT(&b, "\r\nContent-Length: 0\r\n\r\n");
		pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, pa->ip, pa->port, WL_SV_TO_PHONE_RESP,
			true);
		pa->busy = pb->busy = 0;
		c->live = 0;
		w->call_free[w->ncall_free++] = slot;
		return;
	}
	c->step++;
	heap_push(w, w->now_us + next, EV_CALL, slot);
}

static const enum wl_kind TOOL_KIND[WL_TOOLS] = {WL_AT_SVMAP,     WL_AT_SVWAR,     WL_AT_SVCRACK,
						 WL_AT_SIPSAK,    WL_AT_NMAP_OPT,  WL_AT_NMAP_ENUM,
						 WL_AT_DISG_ENUM, WL_AT_DISG_CRACK};

static void ev_spawn(struct wl *w, uint32_t tool)
{
	uint32_t slot;
	if (w->ncamp_free) {
		slot = w->camp_free[--w->ncamp_free];
	} else {
		if (w->ncamps == w->camps_cap) {
			uint32_t cap = w->camps_cap, cap2 = w->camps_cap;
			struct camp *c = grow(w->camps, &cap, sizeof(*c));
			uint32_t *f = c ? grow(w->camp_free, &cap2, sizeof(*f)) : NULL;
			if (!c || !f)
				abort();
			w->camps = c, w->camp_free = f, w->camps_cap = cap;
		}
		slot = w->ncamps++;
	}
	struct camp *c = &w->camps[slot];
	memset(c, 0, sizeof(*c));
	c->seed = rnd64(&w->r);
	c->tool = (uint8_t)tool;
	c->live = 1;
	/* a quarter come back from an address used before */
	if (w->attackers && rnd(&w->r, 1, 100) <= 25)
		c->ip = attacker_ip((uint32_t)rnd(&w->r, 0, w->attackers - 1));
	else
		c->ip = attacker_ip(w->attackers++);
	w->sum.attack_sources = w->attackers;
	/* Via/Contact: SIPVicious writes its resolved host name's address (often private) */
	if (tool <= WL_SVCRACK && rnd(&w->r, 1, 100) <= 50)
		c->me = 0x0a000000u + (uint32_t)rnd(&w->r, 1, 0xfffffe);
	else
		c->me = c->ip;
	c->port = tool <= WL_SVCRACK ? 5060 : (uint16_t)rnd(&w->r, 32768, 60999);
	c->variant = rnd(&w->r, 1, 100) <= 30 ? (int8_t)rnd(&w->r, 0, 4) : -1;
	if (tool >= WL_DISG_ENUM)
		c->variant = -1; /* disguised already: a phone's User-Agent */
	if (tool == WL_NMAP_OPT && c->variant == 4)
		c->variant = 2; /* the script arg sets a User-Agent; it cannot remove the header */
	switch (tool) {
	case WL_SVMAP:
	case WL_NMAP_OPT:
		c->n = 1;
		break;
	case WL_SVWAR:
		c->n = 1 + (uint32_t)rnd(&w->r, 200, 900);
		c->ext0 = 100;
		break;
	case WL_SVCRACK:
		c->n = 1 + (uint32_t)rnd(&w->r, 100, 600);
		c->ext0 = (uint32_t)rnd(&w->r, 100, 999);
		break;
	case WL_SIPSAK:
		c->n = (uint32_t)rnd(&w->r, 1, 5);
		break;
	case WL_DISG_ENUM:
		c->n = (uint32_t)rnd(&w->r, 100, 300);
		c->ext0 = 100;
		break;
	case WL_DISG_CRACK:
		c->n = 1 + (uint32_t)rnd(&w->r, 50, 200);
		c->ext0 = (uint32_t)rnd(&w->r, 2000000, 2000000 + w->nph - 1); /* a real user */
		break;
	default:
		c->n = 1 + (uint32_t)rnd(&w->r, 300, 1000);
		c->ext0 = 0;
		break;
	}
	w->sum.campaigns[tool]++;
	if (c->variant >= 0)
		w->sum.variants[tool]++;
	heap_push(w, w->now_us, EV_CAMP, slot);
	heap_push(w, w->now_us + rnd_exp(&w->r, 1e9 / (SPAWN_RATE[tool] * w->nph)), EV_SPAWN, tool);
}

static void ev_camp(struct emit *e, uint32_t slot)
{
	struct wl *w = e->w;
	struct camp *c = &w->camps[slot];
	struct sbuf b = pkt_begin(e);
	uint64_t next;

	if (c->phase == 0) {
		att_request(&b, c);
		pkt_end(e, &b, c->ip, att_port(c), WL_SERVER_IP, WL_SERVER_PORT, TOOL_KIND[c->tool],
			false);
		c->phase = 1;
		next = ms_us(w, 1, 3);
	} else {
		struct sbuf req = {w->scratch, 0, sizeof(w->scratch)};
		char tt[64];
		struct sbuf totag = {tt, 0, sizeof(tt)};
		unsigned st;
		const char *reason;

		att_request(&req, c);
		put_kam_totag(&totag, h2(c->seed, 5000 + c->k));
		switch (c->tool) {
		case WL_SVCRACK:
		case WL_DISG_CRACK:
			st = 401, reason = "Unauthorized";
			break;
		case WL_SIPSAK:
		case WL_NMAP_OPT:
			st = 200, reason = "OK";
			break;
		default:
			st = 404, reason = "Not Found";
			break;
		}
		respond(&b, &req, st, reason, &totag, false, c->ip, att_port(c));
		if (st == 401) {
			PUT(&b, "WWW-Authenticate: Digest realm=\"" DOMAIN "\", nonce=\"");
			if (c->tool == WL_DISG_CRACK) /* the nonce the next guess carries */
				put_nonce(&b, h2(c->seed, 0x40000 + c->k));
			else
				put_nonce(&b, h2(c->seed, 0x401 + c->k));
			PUT(&b, "\", qop=\"auth\"\r\n");
		} else if (st == 200) {
			PUT(&b, SERVER_ALLOW "Accept: */*\r\nAccept-Language: en\r\n");
		}
		PUT(&b, SERVER_HDR "Content-Length: 0\r\n\r\n");
		pkt_end(e, &b, WL_SERVER_IP, WL_SERVER_PORT, c->ip, att_port(c), WL_SV_TO_ATTACK,
			false);
		c->phase = 0;
		c->k++;
		if (c->k >= c->n) {
			c->live = 0;
			w->camp_free[w->ncamp_free++] = slot;
			return;
		}
		/* pacing: SIPVicious waits for the answer or its select timeout; sipsak 1 s */
		next = c->tool == WL_SIPSAK                              ? ms_us(w, 900, 1100) :
		       c->tool == WL_SVCRACK || c->tool == WL_DISG_CRACK ? ms_us(w, 5, 15) :
									   ms_us(w, 3, 8);
	}
	heap_push(w, w->now_us + next, EV_CAMP, slot);
}

uint32_t wl_fill(struct wl *w, struct wl_chunk *c)
{
	struct emit e = {w, c, 0};

	c->n = 0;
	while (c->n < c->cap && w->sum.msgs < w->cfg.msgs && w->nheap &&
	       e.used + MAX_PKT <= c->arena_cap) {
		struct ev ev = heap_pop(w);
		w->now_us = ev.t_us;
		switch (ev.type) {
		case EV_REG:
			ev_reg(&e, ev.id);
			break;
		case EV_KA:
			ev_ka(&e, ev.id);
			break;
		case EV_CALLSTART:
			ev_callstart(&e, ev.id);
			break;
		case EV_CALL:
			ev_call(&e, ev.id);
			break;
		case EV_CAMP:
			ev_camp(&e, ev.id);
			break;
		default:
			ev_spawn(w, ev.id);
			break;
		}
	}
	return c->n;
}
