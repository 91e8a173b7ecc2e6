#!/usr/bin/env python3
"""UDP SIP test responder for the `sipwarden scan` namespace test bed (stdlib only).

Runs in the target namespace of tests/integration/scan/testbed.sh, where a whole prefix is
local ("AnyIP": `ip route add local PREFIX dev lo`), bound to 0.0.0.0:PORT and [::]:PORT.
For every datagram it learns the destination address (IP_PKTINFO / IPV6_RECVPKTINFO) and the
kernel's arrival time (SO_TIMESTAMPNS), logs the probe, and, when the destination is in the
personality map, answers FROM that address (sendmsg with IP_PKTINFO / IPV6_PKTINFO).

    responder.py --config MAP.json --log PROBES.jsonl [--port 5060] [--max-seconds 600]
                 [--ready FILE] [--no-v6]

MAP.json: {"198.18.3.7": "minimal400", "2001:db8:5c::20": "verbose200", ...}

Personalities (the reply to one probe; "copied" = Via/From/To/Call-ID/CSeq taken from the
request when the probe is a full SIP request, invented otherwise):
  minimal400   b"SIP/2.0 400 Bad Request\\r\\n" (25 bytes), nothing else
  verbose200   200 OK, copied headers, Contact, Allow, Supported, Accept, Server,
               Content-Type application/sdp and an SDP body, about 800 bytes
  multipacket  three packets: 100 Trying (copied headers), 200 OK (copied headers, Server,
               Allow), then a CRLFCRLF keep-alive (4 bytes)
  oversized    one 200 OK (copied headers) of exactly 60000 bytes (a big SDP body)
  malformed    begins like SIP but breaks: b"SIP/2.0 20 OK\\r\\n\\x00\\x01..." (64 bytes)
  nonsip       48 pseudorandom binary bytes (never starting with "S")
  twice        the same 200 OK (copied headers, User-Agent, Allow) sent twice
  silent       logs the probe, never answers
  compact      200 OK with compact header forms v/f/t/i/m/l/c and a small SDP body
Replies never depend on anything but the probe and the address, so they are reproducible.

Log (JSON Lines, one object per line, flushed on every marker and at exit):
  {"t": ARRIVAL_EPOCH_SECONDS, "fam": 4|6, "dst": ADDR, "dport": N, "src": ADDR, "sport": N,
   "size": PROBE_BYTES, "probe": HEX (first 2048 bytes), "pers": NAME|null,
   "replies": [BYTES, ...], "reply_head": HEX (first reply up to the blank line, <= 4096 bytes),
   "echo": [BOOL, ...] (full SIP request probes only: which replies carry its Via)}
  {"mark": NAME, "fam": 4|6, "t": EPOCH}   for a datagram "SWMARK NAME" from the loopback;
                                           the socket is FIFO, so every probe that arrived on
                                           that family's socket before it is logged before it
  {"event": "start"|"stop", ...}

It stops on SIGTERM/SIGINT (clean, log flushed) and by itself after --max-seconds.
"""

import argparse
import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import time

# Linux constants that the socket module of some Python versions lacks.
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IPV6_RECVPKTINFO = getattr(socket, "IPV6_RECVPKTINFO", 49)
IPV6_PKTINFO = getattr(socket, "IPV6_PKTINFO", 50)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
IP_FREEBIND = getattr(socket, "IP_FREEBIND", 15)
IPV6_FREEBIND = 78

PERSONALITIES = (
    "minimal400",
    "verbose200",
    "multipacket",
    "oversized",
    "malformed",
    "nonsip",
    "twice",
    "silent",
    "compact",
)
# Personalities whose replies carry the request's Via/From/To/Call-ID/CSeq when the probe is
# a full SIP request (so a scanner checking its validation token accepts them).
ECHOING = ("verbose200", "multipacket", "oversized", "twice", "compact")
OVERSIZED_BYTES = 60000

# --- request parsing ----------------------------------------------------------------------

COMPACT_REQ = {"v": "via", "f": "from", "t": "to", "i": "call-id"}


def request_headers(payload):
    """The Via/From/To/Call-ID/CSeq values of a full SIP request, or None for a bare probe."""
    end = payload.find(b"\r\n\r\n")
    head = payload if end < 0 else payload[:end]
    lines = head.split(b"\r\n")
    if len(lines) < 2 or b" SIP/2.0" not in lines[0]:
        return None
    out = {}
    for line in lines[1:]:
        if b":" not in line:
            continue
        name, value = line.split(b":", 1)
        name = name.strip().decode("latin-1").lower()
        name = COMPACT_REQ.get(name, name)
        if name in ("via", "from", "to", "call-id", "cseq") and name not in out:
            out[name] = value.strip().decode("latin-1")
    if "via" not in out:
        return None
    return out


# --- reply building -----------------------------------------------------------------------


def _n(addr):
    """A short stable number for an address (tags, branches)."""
    return int.from_bytes(hashlib.sha256(addr.encode()).digest()[:4], "big")


def dialog(dst, src, sport, req):
    """Via, From, To, Call-ID, CSeq for a reply: copied, or invented for a bare probe."""
    n = _n(dst)
    host = "[%s]" % dst if ":" in dst else dst
    shost = "[%s]" % src if ":" in src else src
    if req:
        to = req.get("to", "<sip:%s>" % host)
        if ";tag=" not in to.lower():
            to += ";tag=r%08x" % n
        return {
            "via": req["via"],
            "from": req.get("from", '"Scan Target" <sip:target@%s>;tag=f%08x' % (host, n)),
            "to": to,
            "call-id": req.get("call-id", "sw-%08x@%s" % (n, host)),
            "cseq": req.get("cseq", "1 OPTIONS"),
        }
    return {
        "via": "SIP/2.0/UDP %s:%d;branch=z9hG4bK-tb-%08x;received=%s" % (shost, sport, n, src),
        # A double quote in a value: the CSV must double it.
        "from": '"Scan Target" <sip:target@%s>;tag=f%08x' % (host, n),
        "to": "<sip:%s>;tag=r%08x" % (host, n),
        "call-id": "tb-%08x@%s" % (n, host),
        "cseq": "1 OPTIONS",
    }


def sdp(dst, min_len=0):
    ip4 = "IP6" if ":" in dst else "IP4"
    lines = [
        "v=0",
        "o=- 1234567890 1234567890 IN %s %s" % (ip4, dst),
        "s=sipwarden test bed",
        "c=IN %s %s" % (ip4, dst),
        "t=0 0",
        "m=audio 10000 RTP/AVP 0 8 9 18 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:18 G729/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=sendrecv",
    ]
    body = "\r\n".join(lines) + "\r\n"
    i = 0
    while len(body) < min_len:
        body += "a=x-pad-%05d:%s\r\n" % (i, "p" * 60)
        i += 1
    return body


def message(start, headers, body=""):
    out = start + "\r\n"
    for name, value in headers:
        out += "%s: %s\r\n" % (name, value)
    out += "\r\n" + body
    return out.encode("latin-1")


def build_replies(pers, dst, src, sport, payload):
    """The list of reply datagrams for one probe."""
    req = request_headers(payload)
    d = dialog(dst, src, sport, req)
    host = "[%s]" % dst if ":" in dst else dst
    core = [("Via", d["via"]), ("From", d["from"]), ("To", d["to"]), ("Call-ID", d["call-id"]),
            ("CSeq", d["cseq"])]
    if pers == "minimal400":
        return [b"SIP/2.0 400 Bad Request\r\n"]
    if pers == "verbose200":
        body = sdp(dst, 330)
        hdrs = core + [
            ("Contact", "<sip:%s:5060>" % host),
            ("Allow", "INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, "
             "PUBLISH, MESSAGE"),
            ("Supported", "replaces, timer, path"),
            ("Accept", "application/sdp"),
            ("Server", "Asterisk PBX 18.20.0"),
            ("Content-Type", "application/sdp"),
            ("Content-Length", str(len(body))),
        ]
        return [message("SIP/2.0 200 OK", hdrs, body)]
    if pers == "multipacket":
        p1 = message("SIP/2.0 100 Trying", core + [("Content-Length", "0")])
        p2 = message("SIP/2.0 200 OK", core + [
            ("Server", "FPBX-16.0.33(18.20.0)"),
            ("Allow", "INVITE, ACK, CANCEL, OPTIONS, BYE"),
            ("Content-Length", "0"),
        ])
        return [p1, p2, b"\r\n\r\n"]
    if pers == "oversized":
        hdrs = core + [("Server", "oversized-test/1.0"), ("Content-Type", "application/sdp")]
        # Fix the Content-Length width, then pad the body to the exact total.
        probe_len = len(message("SIP/2.0 200 OK", hdrs + [("Content-Length", "00000")], ""))
        body = sdp(dst)
        pad = OVERSIZED_BYTES - probe_len - len(body)
        body = body + "a=x-big:" + "z" * (pad - 10) + "\r\n"
        out = message("SIP/2.0 200 OK", hdrs + [("Content-Length", "%05d" % len(body))], body)
        assert len(out) == OVERSIZED_BYTES, len(out)
        return [out]
    if pers == "malformed":
        junk = b"SIP/2.0 20 OK\r\n\x00\x01\x02\xffVia: \x00broken\r\nFrom \xfe\xfd"
        junk += hashlib.sha256(b"malformed" + dst.encode()).digest()
        return [junk[:64]]
    if pers == "nonsip":
        raw = hashlib.sha256(b"nonsip" + dst.encode()).digest()
        raw += hashlib.sha256(raw).digest()
        return [b"\x16" + raw[:47]]
    if pers == "twice":
        hdrs = core + [
            ("User-Agent", "Cisco-SIPGateway/IOS-15.x"),
            ("Allow", "INVITE, OPTIONS, BYE, CANCEL, ACK, PRACK, UPDATE, REFER, SUBSCRIBE, "
             "NOTIFY, INFO, REGISTER"),
            ("Content-Length", "0"),
        ]
        one = message("SIP/2.0 200 OK", hdrs)
        return [one, one]
    if pers == "compact":
        body = sdp(dst)
        hdrs = [
            ("v", d["via"]),
            ("f", d["from"]),
            ("t", d["to"]),
            ("i", d["call-id"]),
            ("CSeq", d["cseq"]),
            ("m", "<sip:gw@%s:5060>" % host),
            ("Server", "compact-ua/2.1"),
            ("c", "application/sdp"),
            ("l", str(len(body))),
        ]
        return [message("SIP/2.0 200 OK", hdrs, body)]
    return []  # silent, or unknown


# --- sockets ------------------------------------------------------------------------------


def open_socket(family, port, rcvbuf):
    s = socket.socket(family, socket.SOCK_DGRAM)
    # SO_REUSEADDR lets Kamailio bind a specific address of the same prefix to the same port;
    # the kernel then delivers datagrams for that address to Kamailio (exact match wins).
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    if family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        s.bind(("0.0.0.0", port))
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        # IPv6 (unlike IPv4) refuses an IPV6_PKTINFO source address that is local only through
        # an AnyIP route (EINVAL) unless the socket may bind non-local addresses.
        try:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
        except OSError:
            s.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
        s.bind(("::", port))
    s.setblocking(False)
    return s


def udp_rcvbuf_errors():
    """RcvbufErrors of this namespace's UDP and UDP6 counters (drops at our sockets)."""
    total = 0
    try:
        with open("/proc/net/snmp") as f:
            rows = [ln.split() for ln in f if ln.startswith("Udp:")]
        if len(rows) >= 2:
            total += int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, ValueError):
        pass
    try:
        with open("/proc/net/snmp6") as f:
            for ln in f:
                k, v = ln.split()
                if k == "Udp6RcvbufErrors":
                    total += int(v)
    except (OSError, ValueError):
        pass
    return total


class Responder:
    def __init__(self, args):
        with open(args.config) as f:
            raw = json.load(f)
        self.map = {}
        for addr, pers in raw.items():
            if pers not in PERSONALITIES:
                raise SystemExit("responder: unknown personality %r for %s" % (pers, addr))
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            # Canonical text form, as recvmsg reports it.
            self.map[socket.inet_ntop(fam, socket.inet_pton(fam, addr))] = pers
        self.port = args.port
        self.log = open(args.log, "a", buffering=1 << 20)
        self.socks = [(4, open_socket(socket.AF_INET, args.port, args.rcvbuf))]
        if not args.no_v6:
            self.socks.append((6, open_socket(socket.AF_INET6, args.port, args.rcvbuf)))
        self.stop = False
        self.count = 0
        self.deadline = time.monotonic() + args.max_seconds
        self.rcvbuf_errors0 = udp_rcvbuf_errors()

    def write(self, obj):
        self.log.write(json.dumps(obj, separators=(",", ":")) + "\n")

    def handle(self, fam, s):
        cmsg_space = socket.CMSG_SPACE(64) + socket.CMSG_SPACE(16)
        for _ in range(256):  # bounded batch per readiness
            try:
                data, anc, _flags, peer = s.recvmsg(65536, cmsg_space)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            ts = None
            dst = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("=qq", cdata[:16])
                    ts = sec + nsec / 1e9
                elif level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                    # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
                    dst = socket.inet_ntop(socket.AF_INET, cdata[8:12])
                elif level == socket.IPPROTO_IPV6 and typ == IPV6_PKTINFO:
                    # struct in6_pktinfo { in6_addr addr; unsigned ifindex; }
                    dst = socket.inet_ntop(socket.AF_INET6, cdata[:16])
            if ts is None:
                ts = time.time()
            src, sport = peer[0], peer[1]
            if data.startswith(b"SWMARK ") and src in ("127.0.0.1", "::1"):
                name = data[7:].decode("ascii", "replace").strip()
                self.write({"mark": name, "fam": fam, "t": ts, "count": self.count,
                            "rcvbuf_errors": udp_rcvbuf_errors() - self.rcvbuf_errors0})
                self.log.flush()
                continue
            self.count += 1
            pers = self.map.get(dst)
            replies = build_replies(pers, dst, src, sport, data) if pers else []
            sizes = []
            for r in replies:
                if fam == 4:
                    anc_out = [(socket.IPPROTO_IP, IP_PKTINFO,
                                struct.pack("=i4s4s", 0, socket.inet_pton(socket.AF_INET, dst),
                                            b"\0" * 4))]
                else:
                    anc_out = [(socket.IPPROTO_IPV6, IPV6_PKTINFO,
                                struct.pack("=16sI", socket.inet_pton(socket.AF_INET6, dst), 0))]
                try:
                    s.sendmsg([r], anc_out, 0, peer)
                    sizes.append(len(r))
                except OSError as e:
                    self.write({"event": "send_error", "dst": dst, "error": str(e)})
            rec = {"t": round(ts, 9), "fam": fam, "dst": dst, "dport": self.port, "src": src,
                   "sport": sport, "size": len(data), "probe": data[:2048].hex(),
                   "pers": pers, "replies": sizes}
            req = request_headers(data) if replies else None
            if req:
                # Which reply packets carry the request's Via (so its branch, the token).
                rec["echo"] = [req["via"].encode("latin-1") in r for r in replies]
            if replies:
                head = replies[0]
                end = head.find(b"\r\n\r\n")
                rec["reply_head"] = (head if end < 0 else head[:end + 4])[:4096].hex()
            self.write(rec)

    def run(self):
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        self.write({"event": "start", "t": time.time(), "pid": os.getpid(), "port": self.port,
                    "targets": len(self.map)})
        self.log.flush()
        poller = select.poll()
        by_fd = {}
        for fam, s in self.socks:
            poller.register(s.fileno(), select.POLLIN)
            by_fd[s.fileno()] = (fam, s)
        while not self.stop:
            left = self.deadline - time.monotonic()
            if left <= 0:
                self.write({"event": "timeout", "t": time.time()})
                break
            try:
                ready = poller.poll(min(left, 0.5) * 1000)
            except InterruptedError:
                continue
            for fd, _ev in ready:
                fam, s = by_fd[fd]
                self.handle(fam, s)
        self.write({"event": "stop", "t": time.time(), "count": self.count,
                    "rcvbuf_errors": udp_rcvbuf_errors() - self.rcvbuf_errors0})
        self.log.close()

    def on_signal(self, _sig, _frame):
        self.stop = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="JSON map address -> personality")
    ap.add_argument("--log", required=True, help="JSON Lines probe log (appended)")
    ap.add_argument("--port", type=int, default=5060)
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--rcvbuf", type=int, default=256 << 20,
                    help="receive buffer bytes (SO_RCVBUFFORCE when permitted)")
    ap.add_argument("--ready", help="file to create once the sockets are bound")
    ap.add_argument("--no-v6", action="store_true")
    args = ap.parse_args()
    r = Responder(args)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    r.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
