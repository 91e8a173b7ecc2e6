/*
 * Corpus generator for the parser benchmark.
 *
 * The messages imitate what a SIP edge sees from real software: phones (Yealink, Grandstream,
 * Linphone, ...), PBXes (Asterisk, FreeSWITCH) and proxies (Kamailio, OpenSIPS). Each generator
 * draws identities, branches, tags and Call-IDs in the styles those stacks use, so the parsers
 * meet the byte patterns they meet in production (long Kamailio branches, UUID Call-IDs, Digest
 * credentials with every parameter, Record-Route sets, SDP offers with several codecs) rather
 * than one message repeated. A benchmark over a single message would let branch predictors learn
 * it, which flatters every parser and hides the cost of variety.
 */
#include "corpus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every draw is its own statement (or initialiser, which C sequences in order): two rnd() calls
 * as arguments of one call would be evaluated in an unspecified order, and gcc and clang do pick
 * different orders - the corpus would then depend on the compiler.
 */

/* ---- deterministic randomness ---------------------------------------------------------------- */

/* splitmix64: tiny, good enough for picking strings, and identical on every platform. */
static uint64_t rng_state = 0x5157a4de2024c0deULL;

static uint64_t rnd64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; the modulo bias is irrelevant for test data. */
static unsigned rnd(unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd64() % (uint64_t)(hi - lo + 1));
}

static int chance(unsigned percent)
{
	return rnd(1, 100) <= percent;
}

#define PICK(arr) ((arr)[rnd(0, (unsigned)(sizeof(arr) / sizeof((arr)[0])) - 1)])

static void rnd_chars(char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd64() % k];
	out[n] = '\0';
}

static const char HEX[] = "0123456789abcdef";
static const char ALNUM[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static void rnd_hex(char *out, size_t n)
{
	rnd_chars(out, n, HEX);
}

static void rnd_uuid(char *out, size_t cap)
{
	char a[9], b[5], c[5], d[5], e[13];
	rnd_hex(a, 8);
	rnd_hex(b, 4);
	rnd_hex(c, 4);
	rnd_hex(d, 4);
	rnd_hex(e, 12);
	snprintf(out, cap, "%s-%s-%s-%s-%s", a, b, c, d, e);
}

/* ---- a bounded string builder ---------------------------------------------------------------- */

struct sb {
	char *p;
	size_t len, cap;
	int overflow; /* set instead of writing past cap; checked once per message */
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->overflow = 1;
		return;
	}
	b->len += (size_t)n;
}

/* ---- vocabulary ------------------------------------------------------------------------------ */

static const char *const DOMAINS[] = {
	"sip.example.com",      "pbx.acme-corp.net",    "voip.telco.example",
	"sbc1.carrier.example", "hq.example.org",       "ims.mnc001.mcc001.3gppnetwork.org",
	"cloudpbx.example.io",  "sip.provider.example", "asterisk.lan",
};

static const char *const PHONE_UA[] = {
	"Yealink SIP-T46S 66.86.0.15",
	"Grandstream GXP2170 1.0.11.23",
	"Linphone/5.2.0 (belle-sip/5.2.0)",
	"Z 5.6.1 v2.10.19.2",
	"Cisco-CP8845/14.1.1",
	"snom720/10.1.54.13",
	"MicroSIP/3.21.3",
	"PolycomVVX-VVX_411-UA/6.4.3.5018",
	"Bria 6 release 6.5.3 stamp 108775",
	"Obihai/1.0 OBi202 3.2.2 (Build: 5921EX)",
	"Fanvil X4U 2.12.1.11",
};

static const char *const PBX_UA[] = {
	"Asterisk PBX 18.16.0",
	"FPBX-16.0.40.4(18.20.0)",
	"FreeSWITCH-mod_sofia/1.10.9-release~64bit",
	"3CXPhoneSystem 18.0.8.939",
};

static const char *const PROXY_UA[] = {
	"kamailio (5.6.4 (x86_64/linux))",
	"OpenSIPS (3.3.4 (x86_64/linux))",
};

static const char *const PHONE_ALLOW[] = {
	"INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE",
	"INVITE, ACK, OPTIONS, CANCEL, BYE, SUBSCRIBE, NOTIFY, INFO, REFER, UPDATE",
	"INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE, PRACK",
	"INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, NOTIFY, REFER, UPDATE",
};

static const char *const SERVER_ALLOW[] = {
	/* Asterisk's list; one literal split in two (the parentheses tell clang it is meant) */
	("OPTIONS, REGISTER, SUBSCRIBE, NOTIFY, PUBLISH, INVITE, ACK, BYE, CANCEL, UPDATE, PRACK, "
	 "MESSAGE, REFER"),
	"INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER, NOTIFY",
	"INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY",
};

static const char *const SUPPORTED[] = {
	"replaces, timer",
	"100rel, timer, replaces, norefersub",
	"replaces, path, timer, eventlist",
	"outbound, gruu, path",
	"replaces, outbound, gruu",
	"timer, precondition, 100rel",
};

static const char *const NAMES[] = {
	"Alice Smith", "Bob Jones",       "Reception", "Front Desk",        "Carol",
	"Sales Team",  "Dr. Dave Miller", "Eve",       "Conference Room 2", "Mallory",
};

static const char *const LOGINS[] = {"alice",  "bob.jones", "reception", "carol",   "sales",
				     "dave.m", "eve",       "room2",     "support", "ops"};

/* ---- parties: who sends, in which stack's style ---------------------------------------------- */

enum style { ST_PHONE = 0, ST_ASTERISK, ST_KAMAILIO, ST__COUNT };

struct party {
	char user[32];
	char display[40]; /* empty: no display name */
	const char *domain;
	char ip[20];
	unsigned port;
	char tag[48];
	int style; /* enum style */
};

static void rnd_private_ip(char *out, size_t cap)
{
	unsigned net = rnd(0, 2), a, b, c;
	switch (net) {
	case 0:
		a = rnd(0, 10);
		b = rnd(2, 254);
		snprintf(out, cap, "192.168.%u.%u", a, b);
		break;
	case 1:
		a = rnd(0, 255);
		b = rnd(0, 255);
		c = rnd(2, 254);
		snprintf(out, cap, "10.%u.%u.%u", a, b, c);
		break;
	default:
		a = rnd(16, 31);
		b = rnd(0, 255);
		c = rnd(2, 254);
		snprintf(out, cap, "172.%u.%u.%u", a, b, c);
		break;
	}
}

/* Documentation ranges (RFC 5737) stand in for public addresses. */
static void rnd_public_ip(char *out, size_t cap)
{
	static const char *const nets[] = {"192.0.2", "198.51.100", "203.0.113"};
	const char *net = PICK(nets);
	snprintf(out, cap, "%s.%u", net, rnd(1, 254));
}

static void rnd_tag(char *out, size_t cap, int style)
{
	char h[40];
	switch (style) {
	case ST_ASTERISK: /* PJSIP: a UUID */
		rnd_uuid(out, cap);
		break;
	case ST_KAMAILIO: /* tm: 32 hex, a dash, 4 hex */
		rnd_hex(h, 32);
		snprintf(out, cap, "%s-%04x", h, rnd(0, 0xffff));
		break;
	default: /* phones: mostly decimal or short hex */
		if (chance(50))
			snprintf(out, cap, "%u", rnd(100000000, 4000000000u));
		else
			rnd_chars(out, rnd(8, 12), ALNUM);
		break;
	}
}

static void rnd_branch(char *out, size_t cap, int style)
{
	char h[40], u[40];
	switch (style) {
	case ST_ASTERISK:
		rnd_uuid(u, sizeof(u));
		snprintf(out, cap, "z9hG4bKPj%s", u);
		break;
	case ST_KAMAILIO: /* stateless: hash.counter; stateful: hash + md5 + ".0" */
		rnd_hex(h, 32);
		snprintf(out, cap, "z9hG4bK%04x.%s.0", rnd(0, 0xffff), h);
		break;
	default:
		if (chance(50)) {
			snprintf(out, cap, "z9hG4bK%u", rnd(100000000, 4000000000u));
		} else {
			rnd_chars(h, rnd(10, 16), ALNUM);
			snprintf(out, cap, "z9hG4bK.%s", h);
		}
		break;
	}
}

static void rnd_call_id(char *out, size_t cap, const struct party *p)
{
	char h[40];
	switch (p->style) {
	case ST_ASTERISK:
		rnd_uuid(out, cap);
		break;
	case ST_KAMAILIO:
		rnd_hex(h, 16);
		snprintf(out, cap, "%s-%u@%s", h, rnd(1000, 99999), p->ip);
		break;
	default:
		switch (rnd(0, 2)) {
		case 0: {
			unsigned a = rnd(0, 9), b = rnd(100000000, 4000000000u);
			snprintf(out, cap, "%u_%u@%s", a, b, p->ip);
			break;
		}
		case 1:
			rnd_chars(h, 22, ALNUM);
			snprintf(out, cap, "%s", h);
			break;
		default:
			rnd_hex(h, 32);
			snprintf(out, cap, "%s@%s", h, p->ip);
			break;
		}
		break;
	}
}

static void party_make(struct party *p, int style)
{
	memset(p, 0, sizeof(*p));
	p->style = style;
	p->domain = PICK(DOMAINS);
	switch (rnd(0, 2)) {
	case 0:
		snprintf(p->user, sizeof(p->user), "%u", rnd(100, 9999));
		break;
	case 1:
		snprintf(p->user, sizeof(p->user), "+49301234%04u", rnd(0, 9999));
		break;
	default:
		snprintf(p->user, sizeof(p->user), "%s", PICK(LOGINS));
		break;
	}
	if (chance(60))
		snprintf(p->display, sizeof(p->display), "%s", PICK(NAMES));
	if (style == ST_PHONE)
		rnd_private_ip(p->ip, sizeof(p->ip));
	else
		rnd_public_ip(p->ip, sizeof(p->ip));
	p->port = chance(60) ? 5060 : rnd(1024, 65000);
	rnd_tag(p->tag, sizeof(p->tag), style);
}

/* "From: "Alice" <sip:alice@example.com>;tag=..." (tag omitted when with_tag is 0) */
static void add_addr(struct sb *b, const char *hname, const struct party *p, int with_tag)
{
	sb_add(b, "%s: ", hname);
	if (p->display[0])
		sb_add(b, "\"%s\" ", p->display);
	sb_add(b, "<sip:%s@%s>", p->user, p->domain);
	if (with_tag)
		sb_add(b, ";tag=%s", p->tag);
	sb_add(b, "\r\n");
}

/* The sender's own Via, as it leaves the phone or server. */
static void add_via(struct sb *b, const struct party *p, const char *transport)
{
	char br[96];
	rnd_branch(br, sizeof(br), p->style);
	if (p->style == ST_PHONE)
		sb_add(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", transport, p->ip, p->port,
		       br);
	else if (p->style == ST_ASTERISK)
		sb_add(b, "Via: SIP/2.0/%s %s:%u;rport;branch=%s\r\n", transport, p->ip, p->port,
		       br);
	else
		sb_add(b, "Via: SIP/2.0/%s %s;branch=%s\r\n", transport, p->ip, br);
}

/* The sender's Via as it comes back in a response: the proxy added received and rport. */
static void add_via_answered(struct sb *b, const struct party *p, const char *transport)
{
	char br[96], pub[20];
	rnd_branch(br, sizeof(br), p->style);
	rnd_public_ip(pub, sizeof(pub));
	sb_add(b, "Via: SIP/2.0/%s %s:%u;branch=%s;received=%s;rport=%u\r\n", transport, p->ip,
	       p->port, br, pub, rnd(1024, 65000));
}

/* A proxy's Via on top of the phone's (Kamailio branch style, sometimes with i=). */
static void add_proxy_via(struct sb *b)
{
	char ip[20], br[96];
	rnd_public_ip(ip, sizeof(ip));
	rnd_branch(br, sizeof(br), ST_KAMAILIO);
	if (chance(50))
		sb_add(b, "Via: SIP/2.0/UDP %s;branch=%s\r\n", ip, br);
	else
		sb_add(b, "Via: SIP/2.0/UDP %s:5060;branch=%s;i=%x\r\n", ip, br, rnd(1, 0xfffff));
}

static void add_record_routes(struct sb *b, unsigned n)
{
	char ip[20], ftag[12];
	for (unsigned i = 0; i < n; i++) {
		rnd_public_ip(ip, sizeof(ip));
		rnd_hex(ftag, 8);
		if (chance(50))
			sb_add(b, "Record-Route: <sip:%s;lr;ftag=%s;nat=yes>\r\n", ip, ftag);
		else
			sb_add(b, "Record-Route: <sip:%s;lr>\r\n", ip);
	}
}

static void add_contact(struct sb *b, const struct party *p, const char *extra)
{
	sb_add(b, "Contact: <sip:%s@%s:%u", p->user, p->ip, p->port);
	if (p->style == ST_PHONE && chance(40))
		sb_add(b, ";transport=udp");
	sb_add(b, ">%s\r\n", extra ? extra : "");
}

static void add_ua(struct sb *b, const struct party *p, int response)
{
	const char *h = response ? "Server" : "User-Agent";
	const char *ua = p->style == ST_PHONE    ? PICK(PHONE_UA) :
			 p->style == ST_ASTERISK ? PICK(PBX_UA) :
						   PICK(PROXY_UA);
	sb_add(b, "%s: %s\r\n", h, ua);
}

/* ---- SDP ------------------------------------------------------------------------------------- */

static void make_sdp(struct sb *b, const struct party *p, int answer)
{
	static const char *const snames[] = {"-", "Asterisk", "SIP Call", "Talk", "FreeSWITCH"};
	unsigned rtp = rnd(5000, 30000) & ~1u; /* RTP ports are even */
	uint64_t sess = rnd64() % 9000000000ULL + 1000000000ULL;

	sb_add(b, "v=0\r\no=%s %llu %llu IN IP4 %s\r\ns=%s\r\nc=IN IP4 %s\r\nt=0 0\r\n",
	       p->style == ST_PHONE ? p->user : "-", (unsigned long long)sess,
	       (unsigned long long)sess + (answer ? 1 : 0), p->ip, PICK(snames), p->ip);

	/* An answer keeps one or two codecs, an offer lists what the endpoint has. */
	int opus = !answer && chance(40);
	int g729 = !answer && chance(50);
	sb_add(b, "m=audio %u RTP/AVP %s0 8%s%s 101\r\n", rtp, opus ? "111 " : "",
	       answer ? "" : " 9", g729 ? " 18" : "");
	if (opus)
		sb_add(b, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n");
	sb_add(b, "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n");
	if (!answer)
		sb_add(b, "a=rtpmap:9 G722/8000\r\n");
	if (g729)
		sb_add(b, "a=rtpmap:18 G729/8000\r\na=fmtp:18 annexb=no\r\n");
	sb_add(b, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
	if (chance(60))
		sb_add(b, "a=ptime:20\r\n");
	if (!answer && chance(30))
		sb_add(b, "a=maxptime:150\r\n");
	if (chance(30))
		sb_add(b, "a=rtcp:%u\r\n", rtp + 1);
	sb_add(b, "a=sendrecv\r\n");
	if (!answer && p->style == ST_PHONE && chance(35)) {
		/* video phones and softphones (Linphone, Bria) offer a video stream as well */
		sb_add(b,
		       "m=video %u RTP/AVP 96 97\r\na=rtpmap:96 VP8/90000\r\n"
		       "a=rtpmap:97 H264/90000\r\na=fmtp:97 profile-level-id=42801F\r\n"
		       "a=rtcp-fb:96 nack pli\r\na=rtcp-fb:97 nack pli\r\na=sendrecv\r\n",
		       rtp + 2);
	}
}

/* ---- one generator per message type ---------------------------------------------------------- */

static void gen_options(struct sb *b)
{
	struct party from, to;
	char cid[96];
	int style = (int)rnd(0, ST__COUNT - 1);

	party_make(&from, style);
	party_make(&to, ST_PHONE);
	rnd_call_id(cid, sizeof(cid), &from);
	if (style == ST_KAMAILIO) {
		/* dispatcher / nathelper keepalive: short, no Contact, UA last */
		sb_add(b, "OPTIONS sip:%s:%u SIP/2.0\r\n", to.ip, to.port);
		add_via(b, &from, "UDP");
		sb_add(b, "To: <sip:%s:%u>\r\n", to.ip, to.port);
		sb_add(b, "From: <sip:dispatcher@%s>;tag=%s\r\n", from.domain, from.tag);
		sb_add(b, "CSeq: %u OPTIONS\r\nCall-ID: %s\r\nMax-Forwards: 70\r\n", rnd(1, 999),
		       cid);
		sb_add(b, "Content-Length: 0\r\n");
		add_ua(b, &from, 0);
		sb_add(b, "\r\n");
		return;
	}
	sb_add(b, "OPTIONS sip:%s@%s:%u SIP/2.0\r\n", to.user, to.ip, to.port);
	add_via(b, &from, "UDP");
	sb_add(b, "Max-Forwards: 70\r\n");
	add_addr(b, "From", &from, 1);
	sb_add(b, "To: <sip:%s@%s>\r\n", to.user, to.domain);
	add_contact(b, &from, NULL);
	sb_add(b, "Call-ID: %s\r\nCSeq: %u OPTIONS\r\n", cid, rnd(1, 60000));
	if (style == ST_ASTERISK) {
		sb_add(b, "Allow: %s\r\n", PICK(SERVER_ALLOW));
	} else {
		sb_add(b, "Accept: application/sdp\r\n");
		if (chance(50))
			sb_add(b, "Supported: %s\r\n", PICK(SUPPORTED));
	}
	add_ua(b, &from, 0);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void gen_register(struct sb *b, int with_auth)
{
	struct party ua;
	char cid[96], inst[48];
	int style = chance(80) ? ST_PHONE : ST_ASTERISK; /* phones, and PBX trunks registering */
	int tcp = chance(20);

	party_make(&ua, style);
	rnd_call_id(cid, sizeof(cid), &ua);
	sb_add(b, "REGISTER sip:%s SIP/2.0\r\n", ua.domain);
	add_via(b, &ua, tcp ? "TCP" : "UDP");
	sb_add(b, "Max-Forwards: 70\r\n");
	add_addr(b, "From", &ua, 1);
	add_addr(b, "To", &ua, 0);
	sb_add(b, "Call-ID: %s\r\nCSeq: %u REGISTER\r\n", cid, with_auth ? rnd(2, 9000) : 1);
	if (with_auth && chance(50)) {
		char extra[96];
		rnd_uuid(inst, sizeof(inst));
		snprintf(extra, sizeof(extra), ";+sip.instance=\"<urn:uuid:%s>\";reg-id=1", inst);
		add_contact(b, &ua, extra);
	} else {
		add_contact(b, &ua, chance(50) ? ";expires=3600" : NULL);
	}
	if (with_auth) {
		char nonce[64], resp[33], cnonce[24], opaque[33];
		rnd_chars(nonce, rnd(32, 48), ALNUM);
		rnd_hex(resp, 32);
		rnd_hex(cnonce, rnd(8, 16));
		rnd_hex(opaque, chance(50) ? 32 : 16);
		sb_add(b,
		       "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		       "uri=\"sip:%s\", response=\"%s\", algorithm=MD5, cnonce=\"%s\", "
		       "opaque=\"%s\", qop=auth, nc=%08x\r\n",
		       ua.user, ua.domain, nonce, ua.domain, resp, cnonce, opaque, rnd(1, 40));
	}
	sb_add(b, "Expires: %u\r\n", chance(50) ? 3600 : 300);
	if (with_auth || chance(40))
		sb_add(b, "Allow: %s\r\n", PICK(PHONE_ALLOW));
	if (with_auth && chance(70))
		sb_add(b, "Supported: %s\r\n", PICK(SUPPORTED));
	add_ua(b, &ua, 0);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void gen_invite(struct sb *b)
{
	struct party from, to;
	char cid[96], body[1024];
	struct sb sdp = {body, 0, sizeof(body), 0};
	/* phones and PBXes start calls; proxies only relay them (the proxied case below) */
	int style = (int)rnd(ST_PHONE, ST_ASTERISK);
	int proxied = chance(60);

	party_make(&from, style);
	party_make(&to, ST_PHONE);
	rnd_call_id(cid, sizeof(cid), &from);
	make_sdp(&sdp, &from, 0);

	sb_add(b, "INVITE sip:%s@%s SIP/2.0\r\n", to.user, proxied ? to.ip : to.domain);
	if (proxied) {
		/* through an SBC and/or a registrar proxy: one Via each, and their routes */
		unsigned hops = rnd(1, 2);
		add_record_routes(b, hops + rnd(0, 1));
		for (unsigned i = 0; i < hops; i++)
			add_proxy_via(b);
		add_via_answered(b, &from, "UDP");
	} else {
		add_via(b, &from, "UDP");
	}
	sb_add(b, "Max-Forwards: %u\r\n", proxied ? 69 : 70);
	add_addr(b, "From", &from, 1);
	add_addr(b, "To", &to, 0);
	sb_add(b, "Call-ID: %s\r\nCSeq: %u INVITE\r\n", cid, rnd(1, 60000));
	add_contact(b, &from, NULL);
	if (chance(40))
		sb_add(b, "P-Asserted-Identity: <sip:%s@%s>\r\n", from.user, from.domain);
	sb_add(b, "Allow: %s\r\n", PICK(PHONE_ALLOW));
	sb_add(b, "Supported: %s\r\n", PICK(SUPPORTED));
	if (chance(40))
		sb_add(b, "Session-Expires: 1800\r\nMin-SE: 90\r\n");
	add_ua(b, &from, 0);
	sb_add(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n", sdp.len);
	sb_add(b, "%.*s", (int)sdp.len, sdp.p);
}

/*
 * The common head of a response: status line, the Via set the request had (phone's Via with
 * received/rport, sometimes below a proxy's), Record-Route copied back, From, To, Call-ID, CSeq.
 */
static void response_head(struct sb *b, unsigned code, const char *reason, const char *method,
			  const struct party *from, const struct party *to, int to_tag,
			  unsigned nrr)
{
	char cid[96];
	rnd_call_id(cid, sizeof(cid), from);
	sb_add(b, "SIP/2.0 %u %s\r\n", code, reason);
	if (nrr && chance(60))
		add_proxy_via(b);
	add_via_answered(b, from, "UDP");
	add_record_routes(b, nrr);
	add_addr(b, "From", from, 1);
	add_addr(b, "To", to, to_tag);
	sb_add(b, "Call-ID: %s\r\nCSeq: %u %s\r\n", cid, rnd(1, 60000), method);
}

static void gen_100(struct sb *b)
{
	struct party from, to;
	party_make(&from, ST_PHONE);
	party_make(&to, (int)rnd(ST_ASTERISK, ST_KAMAILIO));
	response_head(b, 100, chance(50) ? "Trying" : "trying -- your call is important to us",
		      "INVITE", &from, &to, 0, 0);
	add_ua(b, &to, 1);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void gen_180(struct sb *b)
{
	struct party from, to;
	party_make(&from, ST_PHONE);
	party_make(&to, ST_PHONE);
	response_head(b, 180, "Ringing", "INVITE", &from, &to, 1, rnd(0, 1));
	add_contact(b, &to, NULL);
	if (chance(40))
		sb_add(b, "Allow: %s\r\n", PICK(PHONE_ALLOW));
	add_ua(b, &to, 1);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void gen_200_sdp(struct sb *b)
{
	struct party from, to;
	char body[1024];
	struct sb sdp = {body, 0, sizeof(body), 0};

	party_make(&from, ST_PHONE);
	party_make(&to, (int)rnd(0, ST_ASTERISK));
	make_sdp(&sdp, &to, 1);
	response_head(b, 200, "OK", "INVITE", &from, &to, 1, rnd(1, 2));
	add_contact(b, &to, NULL);
	sb_add(b, "Allow: %s\r\n", PICK(PHONE_ALLOW));
	sb_add(b, "Supported: %s\r\n", PICK(SUPPORTED));
	if (chance(40))
		sb_add(b, "Session-Expires: 1800;refresher=uac\r\nRequire: timer\r\n");
	add_ua(b, &to, 1);
	sb_add(b, "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n", sdp.len);
	sb_add(b, "%.*s", (int)sdp.len, sdp.p);
}

static void gen_200(struct sb *b)
{
	struct party from, srv;
	char expires[32];
	party_make(&from, ST_PHONE);
	party_make(&srv, (int)rnd(ST_ASTERISK, ST_KAMAILIO));
	if (chance(50)) {
		/* registrar: the binding back with its expiry, and the server's clock */
		static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri"};
		struct party aor = from;
		rnd_tag(aor.tag, sizeof(aor.tag), srv.style); /* the registrar's To tag */
		response_head(b, 200, "OK", "REGISTER", &from, &aor, 1, 0);
		snprintf(expires, sizeof(expires), ";expires=%u", chance(50) ? 3600 : 300);
		add_contact(b, &from, expires);
		const char *day = PICK(days);
		unsigned mday = rnd(1, 28), hh = rnd(0, 23), mm = rnd(0, 59), ss = rnd(0, 59);
		sb_add(b, "Date: %s, %02u Mar 2024 %02u:%02u:%02u GMT\r\n", day, mday, hh, mm, ss);
	} else {
		response_head(b, 200, "OK", "OPTIONS", &from, &srv, 1, 0);
		sb_add(b, "Accept: application/sdp\r\n");
		if (chance(50))
			sb_add(b, "Supported: %s\r\n", PICK(SUPPORTED));
	}
	add_ua(b, &srv, 1);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void gen_401(struct sb *b)
{
	struct party from, srv;
	char nonce[64], opaque[33];
	party_make(&from, ST_PHONE);
	party_make(&srv, (int)rnd(ST_ASTERISK, ST_KAMAILIO));
	struct party aor = from;
	rnd_tag(aor.tag, sizeof(aor.tag), srv.style);
	response_head(b, 401, "Unauthorized", "REGISTER", &from, &aor, 1, 0);
	rnd_chars(nonce, rnd(32, 48), ALNUM);
	rnd_hex(opaque, 16);
	sb_add(b,
	       "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", opaque=\"%s\", "
	       "algorithm=MD5, qop=\"auth\"\r\n",
	       from.domain, nonce, opaque);
	add_ua(b, &srv, 1);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void gen_404(struct sb *b)
{
	struct party from, to;
	party_make(&from, ST_PHONE);
	party_make(&to, (int)rnd(ST_ASTERISK, ST_KAMAILIO));
	response_head(b, 404, "Not Found", "INVITE", &from, &to, 1, 0);
	if (chance(50))
		sb_add(b, "Reason: Q.850;cause=1;text=\"Unallocated number\"\r\n");
	add_ua(b, &to, 1);
	sb_add(b, "Content-Length: 0\r\n\r\n");
}

static void generate(struct sb *b, enum corpus_type t)
{
	switch (t) {
	case CT_OPTIONS:
		gen_options(b);
		break;
	case CT_REGISTER:
		gen_register(b, 0);
		break;
	case CT_REGISTER_AUTH:
		gen_register(b, 1);
		break;
	case CT_INVITE_SDP:
		gen_invite(b);
		break;
	case CT_TRYING_100:
		gen_100(b);
		break;
	case CT_RINGING_180:
		gen_180(b);
		break;
	case CT_OK_200_SDP:
		gen_200_sdp(b);
		break;
	case CT_OK_200:
		gen_200(b);
		break;
	case CT_UNAUTH_401:
		gen_401(b);
		break;
	case CT_NOT_FOUND_404:
		gen_404(b);
		break;
	case CT__COUNT:
		break;
	}
}

/* ---- corpus assembly ------------------------------------------------------------------------- */

static const char *const TYPE_NAMES[CT__COUNT] = {
	"options",     "register",   "register_auth", "invite_sdp",       "trying_100",
	"ringing_180", "ok_200_sdp", "ok_200",        "unauthorized_401", "not_found_404",
};

const char *corpus_type_name(enum corpus_type t)
{
	return (unsigned)t < CT__COUNT ? TYPE_NAMES[t] : "?";
}

static int subset_add(struct corpus_subset *s, const char *name, const struct corpus *c,
		      int (*want)(const struct corpus_msg *m, const void *arg), const void *arg)
{
	uint64_t bytes = 0;
	s->name = name;
	s->idx = calloc(c->n, sizeof(*s->idx));
	if (!s->idx)
		return -1;
	s->n = 0;
	s->min_bytes = UINT32_MAX;
	s->max_bytes = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		if (!want(&c->msg[i], arg))
			continue;
		s->idx[s->n++] = i;
		bytes += c->msg[i].len;
		if (c->msg[i].len < s->min_bytes)
			s->min_bytes = c->msg[i].len;
		if (c->msg[i].len > s->max_bytes)
			s->max_bytes = c->msg[i].len;
	}
	s->mean_bytes = s->n ? (double)bytes / s->n : 0;
	return 0;
}

static int want_all(const struct corpus_msg *m, const void *arg)
{
	(void)m;
	(void)arg;
	return 1;
}

static int want_500b(const struct corpus_msg *m, const void *arg)
{
	(void)arg;
	return m->len >= CORPUS_500B_MIN && m->len <= CORPUS_500B_MAX;
}

static int want_type(const struct corpus_msg *m, const void *arg)
{
	return m->type == *(const uint8_t *)arg;
}

int corpus_build(struct corpus *c)
{
	/* Each message gets its own 64-byte aligned slot, as receive buffers usually are. */
	enum { SLOT = 2048 };
	static uint8_t type_ids[CT__COUNT];

	memset(c, 0, sizeof(*c));
	c->n = CT__COUNT * CORPUS_PER_TYPE;
	c->arena = aligned_alloc(64, (size_t)c->n * SLOT);
	c->msg = calloc(c->n, sizeof(*c->msg));
	if (!c->arena || !c->msg) {
		fprintf(stderr, "corpus: out of memory\n");
		return -1;
	}
	/*
	 * Interleave the types (OPTIONS, REGISTER, ..., 404, OPTIONS, ...) so a pass over the whole
	 * corpus mixes them as live traffic does, instead of 24 similar messages in a row.
	 */
	for (uint32_t i = 0; i < c->n; i++) {
		struct sb b = {c->arena + (size_t)i * SLOT, 0, SLOT, 0};
		enum corpus_type t = (enum corpus_type)(i % CT__COUNT);
		generate(&b, t);
		if (b.overflow || b.len < CORPUS_MIN_BYTES || b.len > CORPUS_MAX_BYTES) {
			fprintf(stderr,
				"corpus: generator bug: message %u (%s) is %zu bytes%s, outside "
				"%u..%u\n",
				i, corpus_type_name(t), b.len, b.overflow ? " (overflow)" : "",
				CORPUS_MIN_BYTES, CORPUS_MAX_BYTES);
			return -1;
		}
		c->msg[i] = (struct corpus_msg){b.p, (uint32_t)b.len, (uint8_t)t};
	}

	if (subset_add(&c->sub[0], "all", c, want_all, NULL) ||
	    subset_add(&c->sub[1], "500b", c, want_500b, NULL))
		return -1;
	for (unsigned t = 0; t < CT__COUNT; t++) {
		type_ids[t] = (uint8_t)t;
		if (subset_add(&c->sub[2 + t], TYPE_NAMES[t], c, want_type, &type_ids[t]))
			return -1;
	}
	c->nsub = 2 + CT__COUNT;
	if (c->sub[1].n < 20) {
		fprintf(stderr, "corpus: only %u messages of %u..%u bytes; retune the generator\n",
			c->sub[1].n, CORPUS_500B_MIN, CORPUS_500B_MAX);
		return -1;
	}
	return 0;
}

void corpus_free(struct corpus *c)
{
	for (unsigned i = 0; i < c->nsub; i++)
		free(c->sub[i].idx);
	free(c->msg);
	free(c->arena);
	memset(c, 0, sizeof(*c));
}
