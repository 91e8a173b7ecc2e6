#!/usr/bin/env python3
"""Checks for real_tools.sh: `sipwarden inspect --json` against tshark.

Inputs (all written by real_tools.sh):
  --tshark FILE        tshark -T json -e ... output for the frames matching `sip`
  --tshark-count N     number of frames tshark counts as SIP
  --sipwarden FILE     sipwarden inspect --json output (JSON Lines)
  --windows FILE       lines "tool start end" (epoch seconds) of each tool run
  --port N             Kamailio's UDP port
  --realm R            the digest realm kamailio.cfg challenges with

Checks:
  (a) sipwarden reports exactly the frames tshark dissects as SIP;
  (b) per frame: type, method/status/reason, Call-ID, CSeq, User-Agent, Server,
      From tag, top Via branch, Subject, digest fields, addresses, length,
      timestamp agree with tshark (and with the raw payload for the header
      names and body length);
  (c) tool-specific facts (svmap, svwar, svcrack, sipsak, nmap, SIPp,
      Kamailio's responses);
  (d) no message has a parse error; defects are listed.
Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import collections
import datetime
import json
import re
import sys

failures = []
notes = []


def fail(msg):
    failures.append(msg)


def first(layers, name):
    v = layers.get(name)
    if v is None or len(v) == 0:
        return None
    return v[0]


def unquote(s):
    if s is None:
        return None
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        return s[1:-1]
    return s


def get(obj, *path):
    """obj["a"]["b"]..., None when any step is missing or null."""
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
        if obj is None:
            return None
    return obj


def parse_ts(s):
    # "2026-11-22T00:00:00.000000Z"
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z", s or "")
    if not m:
        return None
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    base = base.replace(tzinfo=datetime.timezone.utc)
    frac = m.group(2) or "0"
    return int(base.timestamp()) + int(frac) / (10 ** len(frac))


def split_message(payload):
    """(start line, [header names], body length) from raw bytes."""
    end = payload.find(b"\r\n\r\n")
    sep = 4
    if end < 0:
        end = payload.find(b"\n\n")
        sep = 2
    if end < 0:
        head, body_len = payload, 0
    else:
        head, body_len = payload[:end], len(payload) - end - sep
    lines = re.split(rb"\r?\n", head)
    names = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t"):
            continue  # folded continuation
        name = line.split(b":", 1)[0].strip()
        names.append(name.decode("latin1"))
    return lines[0].decode("latin1"), names, body_len


class Msg:
    """One frame: tshark's view (t) and sipwarden's object (s)."""

    def __init__(self, frame, t, s):
        self.frame = frame
        self.t = t
        self.s = s
        self.tool = None

    @property
    def is_request(self):
        return first(self.t, "sip.Method") is not None

    def tf(self, name):
        return first(self.t, name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tshark", required=True)
    ap.add_argument("--tshark-count", type=int, required=True)
    ap.add_argument("--sipwarden", required=True)
    ap.add_argument("--windows", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--realm", required=True)
    a = ap.parse_args()

    with open(a.tshark) as f:
        tshark = {int(first(p["_source"]["layers"], "frame.number")): p["_source"]["layers"]
                  for p in json.load(f)}
    if len(tshark) != a.tshark_count:
        fail(f"tshark JSON has {len(tshark)} frames but tshark counted {a.tshark_count}")

    sw = {}
    with open(a.sipwarden, encoding="utf-8", errors="strict") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                fail(f"sipwarden output line {lineno} is empty")
                continue
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail(f"sipwarden output line {lineno} is not JSON: {e}: {line[:200]!r}")
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("frame"), int):
                fail(f"sipwarden output line {lineno} has no integer \"frame\": {line[:200]!r}")
                continue
            if obj["frame"] in sw:
                fail(f"frame {obj['frame']} reported twice by sipwarden")
            sw[obj["frame"]] = obj

    windows = []
    with open(a.windows) as f:
        for line in f:
            name, start, end = line.split()
            windows.append((name, float(start), float(end)))

    # (a) message count and frame set ---------------------------------------
    print(f"(a) tshark SIP messages: {a.tshark_count}, sipwarden messages: {len(sw)}")
    if len(sw) != a.tshark_count:
        fail(f"(a) sipwarden reports {len(sw)} SIP messages, tshark {a.tshark_count}")
    extra = sorted(set(sw) - set(tshark))
    missing = sorted(set(tshark) - set(sw))
    if extra:
        fail(f"(a) frames reported by sipwarden but not SIP for tshark: {extra}")
    if missing:
        fail(f"(a) SIP frames (tshark) missing from sipwarden: {missing}")

    msgs = [Msg(n, tshark[n], sw[n]) for n in sorted(set(tshark) & set(sw))]

    # schema: the keys every object must carry (optional ones may be null or
    # omitted, so only these are required)
    always = ("frame", "ts", "src", "dst", "len", "type", "version", "headers", "fields",
              "body_len", "flags", "defects", "error")
    for m in msgs:
        need_keys = list(always) + (["method", "ruri"] if m.is_request else ["status", "reason"])
        lacking = [k for k in need_keys if k not in m.s]
        if lacking:
            fail(f"(b) frame {m.frame} object lacks keys {lacking}")
        for h in m.s.get("headers") or []:
            hl = [k for k in ("name", "canonical", "value", "compact") if k not in h]
            if hl:
                fail(f"(b) frame {m.frame} header {h.get('name')!r} lacks keys {hl}")
        if not isinstance(m.s.get("flags"), list) or not isinstance(m.s.get("defects"), list):
            fail(f"(b) frame {m.frame} flags/defects are not arrays")
        for d in m.s.get("defects") or []:
            dl = [k for k in ("code", "message", "header", "offset") if k not in d]
            if dl:
                fail(f"(b) frame {m.frame} defect {d.get('code')!r} lacks keys {dl}")

    # (b) per-message agreement --------------------------------------------
    def cmp(m, what, sw_val, t_val):
        if sw_val != t_val:
            fail(f"(b) frame {m.frame} {what}: sipwarden {sw_val!r} != tshark {t_val!r}")

    def num(x):
        try:
            return int(x)
        except (TypeError, ValueError):
            return x

    for m in msgs:
        s, t = m.s, m.t
        payload = bytes.fromhex((m.tf("udp.payload") or "").replace(":", ""))
        start_line, hdr_names, body_len = split_message(payload)

        cmp(m, "src", s.get("src"), f"{m.tf('ip.src')}:{m.tf('udp.srcport')}")
        cmp(m, "dst", s.get("dst"), f"{m.tf('ip.dst')}:{m.tf('udp.dstport')}")
        cmp(m, "len (UDP payload bytes)", s.get("len"), len(payload))
        ts = parse_ts(s.get("ts"))
        if ts is None:
            fail(f"(b) frame {m.frame} ts {s.get('ts')!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ")
        elif abs(ts - float(m.tf("frame.time_epoch"))) > 2e-6:
            fail(f"(b) frame {m.frame} ts {s.get('ts')} != tshark {m.tf('frame.time_epoch')}")
        cmp(m, "version", s.get("version"), "SIP/2.0")
        if m.is_request:
            cmp(m, "type", s.get("type"), "request")
            cmp(m, "method", s.get("method"), m.tf("sip.Method"))
            cmp(m, "ruri", s.get("ruri"), start_line.split(" ")[1])
        else:
            cmp(m, "type", s.get("type"), "response")
            cmp(m, "status", s.get("status"), num(m.tf("sip.Status-Code")))
            cmp(m, "reason", s.get("reason"), start_line.split(" ", 2)[2])
        f = s.get("fields") or {}
        cmp(m, "call_id", f.get("call_id"), m.tf("sip.Call-ID"))
        cmp(m, "cseq.num", get(f, "cseq", "num"), num(m.tf("sip.CSeq.seq")))
        cmp(m, "cseq.method", get(f, "cseq", "method"), m.tf("sip.CSeq.method"))
        cmp(m, "user_agent", f.get("user_agent"), m.tf("sip.User-Agent"))
        cmp(m, "server", f.get("server"), m.tf("sip.Server"))
        cmp(m, "subject", f.get("subject"), m.tf("sip.Subject"))
        cmp(m, "from.tag", get(f, "from", "tag"), m.tf("sip.from.tag"))
        cmp(m, "via.branch (top)", get(f, "via", "branch"), m.tf("sip.Via.branch"))
        nvia = len(t.get("sip.Via") or [])
        cmp(m, "via_count", f.get("via_count"), nvia)
        if nvia == 1:  # tshark's first sip.Via.* may belong to a lower Via otherwise
            cmp(m, "via.transport", get(f, "via", "transport"), m.tf("sip.Via.transport"))
            cmp(m, "via.host", get(f, "via", "host"), m.tf("sip.Via.sent-by.address"))
            cmp(m, "via.port", get(f, "via", "port"), num(m.tf("sip.Via.sent-by.port")))
            cmp(m, "via.received", get(f, "via", "received"), m.tf("sip.Via.received"))
        cmp(m, "contact.uri", get(f, "contact", "uri"), m.tf("sip.contact.uri"))
        cmp(m, "contact.user", get(f, "contact", "user"), m.tf("sip.contact.user"))
        cmp(m, "contact.host", get(f, "contact", "host"), m.tf("sip.contact.host"))
        cmp(m, "contact.port", get(f, "contact", "port"), num(m.tf("sip.contact.port")))
        cmp(m, "max_forwards", f.get("max_forwards"), num(m.tf("sip.Max-Forwards")))
        cmp(m, "from.uri", get(f, "from", "uri"), m.tf("sip.from.addr"))
        cmp(m, "to.uri", get(f, "to", "uri"), m.tf("sip.to.addr"))
        cmp(m, "from.user", get(f, "from", "user"), m.tf("sip.from.user"))
        cmp(m, "to.user", get(f, "to", "user"), m.tf("sip.to.user"))
        td = m.tf("sip.from.display.info")
        cmp(m, "from.display", get(f, "from", "display"), unquote(td) if td else None)
        td = m.tf("sip.to.display.info")
        cmp(m, "to.display", get(f, "to", "display"), unquote(td) if td else None)
        cmp(m, "content_type", f.get("content_type"), m.tf("sip.Content-Type"))
        cmp(m, "content_length", f.get("content_length"), num(m.tf("sip.Content-Length")))
        cmp(m, "expires", f.get("expires"), num(m.tf("sip.Expires")))
        cmp(m, "body_len", s.get("body_len"), body_len)
        got_names = [h.get("name") for h in (s.get("headers") or [])]
        cmp(m, "header names in order", got_names, hdr_names)
        # Digest fields: tshark's sip.auth.* belong to the one auth header the
        # message carries (the tools here never send two).
        auth_hdrs = [("authorization", "sip.Authorization"),
                     ("proxy_authorization", "sip.Proxy-Authorization"),
                     ("www_authenticate", "sip.WWW-Authenticate"),
                     ("proxy_authenticate", "sip.Proxy-Authenticate")]
        for key, tname in auth_hdrs:
            if m.tf(tname) is None:
                if f.get(key) is not None:
                    fail(f"(b) frame {m.frame} has fields.{key} but no {tname} header")
                continue
            d = f.get(key)
            if not isinstance(d, dict):
                fail(f"(b) frame {m.frame} fields.{key} missing (message has {tname})")
                continue
            for k, tk in (("scheme", "sip.auth.scheme"), ("username", "sip.auth.username"),
                          ("realm", "sip.auth.realm"), ("nonce", "sip.auth.nonce"),
                          ("response", "sip.auth.digest.response"),
                          ("algorithm", "sip.auth.algorithm"), ("qop", "sip.auth.qop")):
                tv = m.tf(tk)
                cmp(m, f"{key}.{k}", d.get(k), unquote(tv) if tv is not None else None)

    # attribute requests to tools by capture time, responses by Call-ID ------
    by_callid = collections.defaultdict(list)
    for m in msgs:
        if m.is_request and int(m.tf("udp.dstport")) == a.port:
            ts = float(m.tf("frame.time_epoch"))
            for name, start, end in windows:
                if start <= ts <= end:
                    m.tool = name
            by_callid[m.tf("sip.Call-ID")].append(m)
    for m in msgs:
        if not m.is_request and int(m.tf("udp.srcport")) == a.port:
            reqs = by_callid.get(m.tf("sip.Call-ID"), [])
            m.tool = reqs[0].tool if reqs else None
    per_tool = collections.defaultdict(lambda: ([], []))
    for m in msgs:
        if m.tool is None:
            fail(f"(c) frame {m.frame} could not be attributed to a tool run")
            continue
        per_tool[m.tool][0 if m.is_request else 1].append(m)

    # (c) tool-specific facts ------------------------------------------------
    def F(m, *path):
        return get(m.s, "fields", *path)

    def need(cond, msg):
        if not cond:
            fail("(c) " + msg)

    def reqs(tool):
        r = per_tool[tool][0]
        need(r, f"{tool}: no requests captured")
        return r

    def methods(ms):
        return sorted(set(m.s.get("method") for m in ms))

    def statuses(ms):
        return sorted(set(m.s.get("status") for m in ms if m.s.get("status") is not None))

    summary = []

    # svmap: OPTIONS, friendly-scanner, From = To, display "sipvicious"
    r = reqs("svmap")
    for m in r:
        need(F(m, "user_agent") == "friendly-scanner",
             f"svmap frame {m.frame} User-Agent {F(m, 'user_agent')!r}")
        need(F(m, "from", "uri") == F(m, "to", "uri") and F(m, "from", "uri") is not None,
             f"svmap frame {m.frame} From URI {F(m, 'from', 'uri')!r} != To {F(m, 'to', 'uri')!r}")
        need(F(m, "from", "display") == "sipvicious" and F(m, "to", "display") == "sipvicious",
             f"svmap frame {m.frame} From/To display {F(m, 'from', 'display')!r}/"
             f"{F(m, 'to', 'display')!r}, expected 'sipvicious'")
        need(m.s.get("method") == "OPTIONS", f"svmap frame {m.frame} method {m.s.get('method')}")
    if r:
        summary.append(f"svmap: {methods(r)} UA={F(r[0], 'user_agent')!r} "
                       f"From={F(r[0], 'from', 'display')!r}<{F(r[0], 'from', 'uri')}> "
                       f"tag={F(r[0], 'from', 'tag')} branch={F(r[0], 'via', 'branch')} "
                       f"src={r[0].s.get('src')}")

    # svwar (REGISTER walk) and svwar -m INVITE
    for tool, meth in (("svwar", "REGISTER"), ("svwar_invite", "INVITE")):
        r = reqs(tool)
        for m in r:
            need(F(m, "user_agent") == "friendly-scanner",
                 f"{tool} frame {m.frame} User-Agent {F(m, 'user_agent')!r}")
            need(m.s.get("method") in (meth, "ACK"),
                 f"{tool} frame {m.frame} method {m.s.get('method')}")
        users = sorted(set(F(m, "to", "user") for m in r if m.s.get("method") == meth),
                       key=str)
        need({"100", "101"} <= set(users), f"{tool}: To users {users} lack 100/101")
        acks = [m for m in r if m.s.get("method") == "ACK"]
        if meth == "INVITE":
            need(acks, f"{tool}: no ACK captured")
            for m in acks:
                need(get(F(m, "cseq") or {}, "method") == "ACK",
                     f"{tool} frame {m.frame}: 'CSeq: 1  ACK' decoded as {F(m, 'cseq')!r}")
        if r:
            summary.append(f"{tool}: {methods(r)} To users {users} UA={F(r[0], 'user_agent')!r} "
                           f"replies {statuses(per_tool[tool][1])}")

    # svcrack: REGISTER with Authorization (username, response, algorithm)
    r = reqs("svcrack")
    with_auth = [m for m in r if F(m, "authorization") is not None]
    need(len(with_auth) >= 2, f"svcrack: {len(with_auth)} REGISTERs with Authorization")
    for m in with_auth:
        d = F(m, "authorization")
        need(d.get("scheme") == "Digest", f"svcrack frame {m.frame} scheme {d.get('scheme')!r}")
        need(d.get("username") == "100", f"svcrack frame {m.frame} username {d.get('username')!r}")
        need(re.fullmatch(r"[0-9a-f]{32}", d.get("response") or "") is not None,
             f"svcrack frame {m.frame} response {d.get('response')!r}")
        need(d.get("algorithm") == "MD5", f"svcrack frame {m.frame} algorithm {d.get('algorithm')!r}")
        need(d.get("realm") == a.realm, f"svcrack frame {m.frame} realm {d.get('realm')!r}")
    need(len(set(F(m, "call_id") for m in r)) == 1, "svcrack: Call-ID not reused across guesses")
    if r:
        need(F(r[0], "from", "tag") == "3206210844",
             f"svcrack: first From tag {F(r[0], 'from', 'tag')!r}, expected 3206210844")
        need(200 in statuses(per_tool["svcrack"][1]), "svcrack: password not found (no 200)")
        summary.append(f"svcrack: {methods(r)} x{len(r)} UA={F(r[0], 'user_agent')!r} "
                       f"Call-ID reused, CSeq {[F(m, 'cseq', 'num') for m in r]}, "
                       f"first tag {F(r[0], 'from', 'tag')}, Contact {F(r[0], 'contact', 'uri')!r}, "
                       f"replies {statuses(per_tool['svcrack'][1])}")

    # sipsak
    for tool, meth in (("sipsak_options", "OPTIONS"), ("sipsak_register", "REGISTER")):
        r = reqs(tool)
        for m in r:
            need((F(m, "user_agent") or "").startswith("sipsak"),
                 f"{tool} frame {m.frame} User-Agent {F(m, 'user_agent')!r}")
            need(m.s.get("method") == meth, f"{tool} frame {m.frame} method {m.s.get('method')}")
        if r:
            extra_info = ""
            if meth == "REGISTER":
                auth = [F(m, "authorization") for m in r if F(m, "authorization")]
                need(auth, "sipsak_register: no REGISTER with Authorization")
                if auth:
                    extra_info = f" Authorization username={auth[0].get('username')!r}"
            summary.append(f"{tool}: {methods(r)} UA={F(r[0], 'user_agent')!r} "
                           f"ruri={r[0].s.get('ruri')} src={r[0].s.get('src')} "
                           f"via={F(r[0], 'via', 'host')}:{F(r[0], 'via', 'port')}{extra_info} "
                           f"replies {statuses(per_tool[tool][1])}")

    # nmap NSE
    r = reqs("nmap")
    for m in r:
        need(F(m, "from", "display") == "Nmap NSE",
             f"nmap frame {m.frame} From display {F(m, 'from', 'display')!r}")
        need(F(m, "user_agent") == "Nmap NSE", f"nmap frame {m.frame} UA {F(m, 'user_agent')!r}")
        need(F(m, "cseq", "num") == 1234, f"nmap frame {m.frame} CSeq {F(m, 'cseq')!r}")
    need("OPTIONS" in methods(r) and "REGISTER" in methods(r),
         f"nmap: methods {methods(r)}, expected OPTIONS (sip-methods) and REGISTER (sip-enum-users)")
    if r:
        summary.append(f"nmap: {methods(r)} UA={F(r[0], 'user_agent')!r} "
                       f"From display {F(r[0], 'from', 'display')!r} CSeq 1234, Expires "
                       f"{sorted(set(str(F(m, 'expires')) for m in r))}, "
                       f"users {[F(m, 'to', 'user') for m in r]} replies "
                       f"{statuses(per_tool['nmap'][1])}")

    # SIPp
    for tool in ("sipp", "sipp_known"):
        r = reqs(tool)
        inv = [m for m in r if m.s.get("method") == "INVITE"]
        need(len(inv) == 1, f"{tool}: {len(inv)} INVITEs")
        for m in inv:
            need(F(m, "user_agent") is None, f"{tool} INVITE has User-Agent {F(m, 'user_agent')!r}")
            need(not any((h.get("canonical") or h.get("name") or "").lower() == "user-agent"
                         for h in m.s.get("headers") or []),
                 f"{tool} INVITE frame {m.frame} lists a User-Agent header")
            need(F(m, "subject") == "Performance Test",
                 f"{tool} INVITE subject {F(m, 'subject')!r}")
            need(F(m, "content_type") == "application/sdp",
                 f"{tool} INVITE content_type {F(m, 'content_type')!r}")
            need(F(m, "content_length") == m.s.get("body_len") and (m.s.get("body_len") or 0) > 0,
                 f"{tool} INVITE content_length {F(m, 'content_length')} body_len "
                 f"{m.s.get('body_len')}")
        if r:
            summary.append(f"{tool}: {methods(r)} UA={F(r[0], 'user_agent')!r} "
                           f"Subject={F(r[0], 'subject')!r} From={F(r[0], 'from', 'display')!r}"
                           f"<{F(r[0], 'from', 'uri')}> tag={F(r[0], 'from', 'tag')} "
                           f"body {r[0].s.get('body_len')} bytes, replies "
                           f"{statuses(per_tool[tool][1])}")

    # Kamailio's responses
    resp = [m for m in msgs if not m.is_request]
    need(resp, "no responses from kamailio")
    seen = collections.Counter()
    for m in resp:
        seen[(m.s.get("status"), m.s.get("reason"))] += 1
        need("kamailio" in (F(m, "server") or ""),
             f"response frame {m.frame} Server {F(m, 'server')!r}")
        st = m.s.get("status")
        key = {401: "www_authenticate", 407: "proxy_authenticate"}.get(st)
        if key:
            d = F(m, key) or {}
            need(d.get("scheme") == "Digest", f"{st} frame {m.frame} {key}.scheme {d.get('scheme')!r}")
            need(d.get("realm") == a.realm, f"{st} frame {m.frame} {key}.realm {d.get('realm')!r}")
            need(bool(d.get("nonce")), f"{st} frame {m.frame} {key}.nonce {d.get('nonce')!r}")
            need(d.get("qop") == "auth", f"{st} frame {m.frame} {key}.qop {d.get('qop')!r}")
    need(any(m.s.get("status") == 401 for m in resp), "no 401 response captured")
    need(any(m.s.get("status") == 407 for m in resp), "no 407 response captured")
    server = F(resp[0], "server") if resp else None
    summary.append("kamailio: " + ", ".join(f"{c}x {s} {r}" for (s, r), c in sorted(
        seen.items(), key=lambda x: (x[0][0] or 0))) + f"; Server {server!r}")

    # (d) no parse errors; list defects and flags
    defects = collections.Counter()
    for m in msgs:
        err = m.s.get("error")
        if err is not None:
            fail(f"(d) frame {m.frame} ({m.tool}) parse error: {json.dumps(err)}")
        for d in m.s.get("defects") or []:
            defects[(m.tool, d.get("code"), d.get("header"), d.get("message"))] += 1
        for fl in m.s.get("flags") or []:
            defects[(m.tool, "flag:" + str(fl), None, None)] += 1

    print("(c) what each tool sent / got:")
    for line in summary:
        print("    " + line)
    print(f"(d) defects and flags reported by sipwarden ({sum(defects.values())}):")
    for (tool, code, hdr, msg), c in sorted(defects.items(), key=lambda x: str(x)):
        print(f"    {c:3d}x {tool}: {code} header={hdr} {msg or ''}")

    if failures:
        print(f"FAILED checks ({len(failures)}):")
        for f_ in failures[:200]:
            print("  " + f_)
        if len(failures) > 200:
            print(f"  ... and {len(failures) - 200} more")
        return 1
    print(f"all checks passed on {len(msgs)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
