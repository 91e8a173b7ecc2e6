#!/usr/bin/env python3
"""Assertions for tests/integration/scan_netns.sh (stdlib only).

Truth comes from the test bed, never from the scanner: the responder's probe log (what
arrived at which address, when, and every reply packet it sent back), its personality map,
and for Kamailio a tcpdump capture on the scanner's veth.

  check_scan.py rows     --log LOG --map MAP --stage NAME --targets CIDR... [options]
  check_scan.py shards   --log LOG --map MAP --stage NAME... --targets CIDR... [options]
  check_scan.py rate     --log LOG --stage NAME --rate PPS [--count N] [--tolerance 0.05]
  check_scan.py none     --log LOG --stage NAME
  check_scan.py retries  --log LOG --map MAP --stage NAME --targets CIDR --retries N ...

A stage NAME selects the log lines between the marks "S-NAME" and "E-NAME" (per address
family; the responder's sockets are FIFO, so these are exactly the probes of that run).
Exit 0 when every check holds, 1 otherwise (every failed check is printed).
"""

import argparse
import csv
import io
import ipaddress
import json
import re
import struct
import sys
from datetime import datetime, timezone

HEADER = ('"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo",'
          '"region","city","sip","sip_code","sip_reason","user_agent","sip_via","sip_to",'
          '"sip_from","content_length","content_type","server","contact","cseq","call_id",'
          '"allow","amplification","response_size","hostname_source","naics","sector"')
COLUMNS = [c.strip('"') for c in HEADER.split(",")]
SIP_PERS = ("minimal400", "verbose200", "multipacket", "oversized", "twice", "compact")
NONSIP_PERS = ("malformed", "nonsip")
ECHOING = ("verbose200", "multipacket", "oversized", "twice", "compact")
COMPACT = {"v": "via", "t": "to", "f": "from", "l": "content-length", "c": "content-type",
           "m": "contact", "i": "call-id", "k": "supported", "s": "subject", "e":
           "content-encoding"}
FIELD_OF = {"user-agent": "user_agent", "via": "sip_via", "to": "sip_to", "from": "sip_from",
            "content-length": "content_length", "content-type": "content_type",
            "server": "server", "contact": "contact", "cseq": "cseq", "call-id": "call_id",
            "allow": "allow"}

FAILS = []
NOTES = []


def fail(msg):
    FAILS.append(msg)


def note(msg):
    NOTES.append(msg)


def canon(addr):
    return str(ipaddress.ip_address(addr))


# --- truth: the responder's log ----------------------------------------------------------


def load_stage(log, stage):
    """The probe records between marks S-stage and E-stage, per family."""
    recs = []
    state = {4: 0, 6: 0}  # 0 before S, 1 inside, 2 after E
    seen = {4: set(), 6: set()}
    with open(log, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            o = json.loads(line)
            if "mark" in o:
                fam = o["fam"]
                if o["mark"] == "S-" + stage:
                    state[fam] = 1
                    seen[fam].add("S")
                elif o["mark"] == "E-" + stage:
                    state[fam] = 2
                    seen[fam].add("E")
                    if o.get("rcvbuf_errors"):
                        fail("test bed: the responder's sockets dropped %d datagrams (receive "
                             "buffer full) by the end of stage %s: probe counts unreliable"
                             % (o["rcvbuf_errors"], stage))
                continue
            if "dst" in o and state.get(o.get("fam")) == 1:
                recs.append(o)
    for fam in (4, 6):
        if seen[fam] and seen[fam] != {"S", "E"}:
            fail("test bed: marks of stage %s incomplete for IPv%d: %s" % (stage, fam, seen[fam]))
    if not seen[4]:
        fail("test bed: no marks for stage %s in %s" % (stage, log))
    return recs


def by_dst(recs):
    out = {}
    for r in recs:
        out.setdefault(r["dst"], []).append(r)
    return out


def target_set(cidrs, excludes=()):
    nets = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    exc = [ipaddress.ip_network(c, strict=False) for c in excludes]
    out = set()
    for n in nets:
        if n.num_addresses > 1 << 17:
            raise SystemExit("check_scan: target %s too large for an exact set" % n)
        for a in n:
            if any(a.version == e.version and a in e for e in exc):
                continue
            out.add(str(a))
    return out


# --- truth: Kamailio, from a pcap --------------------------------------------------------


def read_pcap(path):
    """(time, src, sport, dst, dport, payload) for each IPv4/IPv6 UDP packet (Ethernet)."""
    out = []
    try:
        data = open(path, "rb").read()
    except OSError as e:
        fail("cannot read capture %s: %s" % (path, e))
        return out
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    else:
        end = ">"
        magic = struct.unpack(">I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        if len(pkt) < incl:
            break
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:
            if len(pkt) < 14:
                continue
            etype = struct.unpack("!H", pkt[12:14])[0]
            ip = pkt[14:]
        elif linktype == 113:  # Linux cooked
            etype = struct.unpack("!H", pkt[14:16])[0]
            ip = pkt[16:]
        else:
            continue
        if etype == 0x0800 and len(ip) >= 20:
            ihl = (ip[0] & 15) * 4
            if ip[9] != 17 or (struct.unpack("!H", ip[6:8])[0] & 0x3FFF):
                continue  # not UDP, or a fragment
            src = socket_ntop(ip[12:16])
            dst = socket_ntop(ip[16:20])
            udp = ip[ihl:]
        elif etype == 0x86DD and len(ip) >= 40:
            if ip[6] != 17:
                continue
            src = socket_ntop(ip[8:24])
            dst = socket_ntop(ip[24:40])
            udp = ip[40:]
        else:
            continue
        if len(udp) < 8:
            continue
        sport, dport, ulen = struct.unpack("!HHH", udp[:6])
        out.append((t, src, sport, dst, dport, udp[8:ulen]))
    return out


def socket_ntop(b):
    return str(ipaddress.ip_address(b))


def kamailio_truth(pcap, addrs, t0, t1):
    """{addr: {"probe_size", "replies": [sizes], "head": bytes}} within [t0, t1]."""
    out = {}
    for t, src, sport, dst, dport, payload in read_pcap(pcap):
        if t < t0 - 0.05 or t > t1 + 0.05:
            continue
        if dst in addrs and dport == 5060:
            d = out.setdefault(dst, {"probe_size": None, "probes": 0, "replies": [], "head": None})
            d["probes"] += 1
            if d["probe_size"] is None:
                d["probe_size"] = len(payload)
        elif src in addrs and sport == 5060:
            d = out.setdefault(src, {"probe_size": None, "probes": 0, "replies": [], "head": None})
            d["replies"].append(len(payload))
            if d["head"] is None:
                d["head"] = payload
    return out


# --- SIP reply parsing (the expected header values) --------------------------------------


def parse_reply(head):
    """(version, code, reason, {csv field: value}) of a SIP response head, or None."""
    end = head.find(b"\r\n\r\n")
    if end >= 0:
        head = head[:end]
    lines = head.split(b"\r\n")
    m = re.match(rb"^(SIP/2\.0) ([1-6][0-9][0-9]) ([^\r\n]*)$", lines[0])
    if not m:
        return None
    fields = {}
    for line in lines[1:]:
        if not line:
            continue
        if b":" not in line:
            return None
        name, value = line.split(b":", 1)
        name = name.strip().decode("latin-1").lower()
        name = COMPACT.get(name, name)
        col = FIELD_OF.get(name)
        if col is None:
            continue
        v = value.strip().decode("latin-1")
        if col in fields:
            note("header %s appears twice in a reply; expecting ', '-joined values" % name)
            fields[col] += ", " + v
        else:
            fields[col] = v
    return (m.group(1).decode(), m.group(2).decode(), m.group(3).decode("latin-1"), fields)


# --- CSV ---------------------------------------------------------------------------------


def csv_quote(v):
    if any(c in v for c in ' ,"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def fmt_amp(size, probe):
    """size / probe with two decimals, halves rounded up (integer arithmetic, no float ties)."""
    centi = (size * 200 // probe + 1) // 2
    return "%d.%02d" % (centi // 100, centi % 100)


def read_csv(path):
    """(header line, [(raw line, {col: value})]) or None after recording a failure."""
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        fail("output %s not readable: %s" % (path, e))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("output %s is not UTF-8: %s" % (path, e))
        return None
    if not text:
        fail("output %s is empty (expected at least the header line)" % path)
        return None
    if "\r\n" in text:
        fail("output %s uses CRLF line ends; the seed's CSV uses LF" % path)
    if not text.endswith("\n"):
        fail("output %s does not end with a newline" % path)
    lines = text.rstrip("\n").split("\n")
    header = lines[0]
    rows = []
    for i, line in enumerate(lines[1:], 2):
        if not line:
            fail("%s line %d is empty" % (path, i))
            continue
        vals = next(csv.reader(io.StringIO(line)))
        if len(vals) != len(COLUMNS):
            fail("%s line %d has %d fields, expected %d: %r" % (path, i, len(vals),
                                                                len(COLUMNS), line[:200]))
            continue
        rows.append((line, dict(zip(COLUMNS, vals))))
    return header, rows


def expected_row(ip, size, probe_size, parsed, nonsip_kind=None):
    e = {c: "" for c in COLUMNS}
    e.update(severity="high", ip=ip, protocol="udp", port="5060", tag="sip", naics="0",
             response_size=str(size), amplification=fmt_amp(size, probe_size))
    if parsed:
        ver, code, reason, fields = parsed
        e.update(sip=ver, sip_code=code, sip_reason=reason)
        e.update(fields)
    return e


def check_row(path, raw, got, exp, t0, t1, lenient=()):
    ip = exp["ip"]
    ts = got["timestamp"]
    try:
        when = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
        if not (t0 - 2 <= when.timestamp() <= t1 + 2):
            fail("%s %s: timestamp %s outside the scan's run (%s .. %s UTC)" % (
                path, ip, ts, utc(t0), utc(t1)))
    except ValueError:
        fail("%s %s: timestamp %r is not YYYY-MM-DD HH:MM:SS" % (path, ip, ts))
    exp = dict(exp, timestamp=ts)
    for col in lenient:
        if got.get(col) in lenient[col]:
            exp[col] = got[col]
    diffs = ["%s: got %r, expected %r" % (c, got[c], exp[c]) for c in COLUMNS if got[c] != exp[c]]
    if diffs:
        fail("%s row for %s differs:\n      %s" % (path, ip, "\n      ".join(diffs)))
        return
    want = ",".join(csv_quote(exp[c]) for c in COLUMNS)
    if raw != want:
        fail("%s row for %s: fields right but quoting differs:\n      got      %s\n"
             "      expected %s" % (path, ip, raw, want))


def utc(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


# --- summary (stderr) --------------------------------------------------------------------


def mentions(text, number, keyword):
    """Whether some line has the number (as a whole number) within 40 characters of keyword."""
    for line in text.splitlines():
        for m in re.finditer(r"(?<![\d.,])%d(?![\d]|\.\d)" % number, line.replace(",", "")):
            lo, hi = max(0, m.start() - 40), m.end() + 40
            if re.search(keyword, line.replace(",", "")[lo:hi], re.I):
                return True
    return False


def check_summary(stderr_path, checks):
    try:
        text = open(stderr_path, encoding="utf-8", errors="replace").read()
    except OSError as e:
        fail("stderr %s not readable: %s" % (stderr_path, e))
        return
    for number, keyword, what in checks:
        if not mentions(text, number, keyword):
            fail("summary on stderr does not mention %s = %d (looked for %d within 40 "
                 "characters of /%s/ on one line); stderr tail:\n      %s" % (
                     what, number, number, keyword,
                     "\n      ".join(text.strip().splitlines()[-6:])))


# --- the rows check ----------------------------------------------------------------------


def expectations(a, recs, mp, kam):
    """{ip: expected row dict} and {ip: lenient fields} for the probes of one stage."""
    exp = {}
    lenient = {}
    per = by_dst(recs)
    for dst, rs in per.items():
        pers = mp.get(dst)
        if pers is None or pers == "silent":
            continue
        sizes = [s for r in rs for s in r["replies"]]
        if not sizes:
            fail("test bed: responder %s (%s) sent no reply" % (dst, pers))
            continue
        if a.probe == "options":
            if pers not in ECHOING:
                continue  # its replies cannot carry the scanner's validation token
            # "Only replies ... with a valid token count": per packet, so multipacket's
            # CRLFCRLF keep-alive (no token) is not part of the response size.
            sizes = [s for r in rs for s, e in zip(r["replies"], r.get("echo", []))
                     if e]
        head = bytes.fromhex(rs[0].get("reply_head", ""))
        probe_size = rs[0]["size"]
        if pers in SIP_PERS:
            parsed = parse_reply(head)
            if parsed is None:
                fail("test bed: cannot parse the %s reply of %s" % (pers, dst))
                continue
            exp[dst] = expected_row(dst, sum(sizes), probe_size, parsed)
        elif pers in NONSIP_PERS and a.include_nonsip:
            exp[dst] = expected_row(dst, sum(sizes), probe_size, None)
            if pers == "malformed":
                # "SIP/2.0 20 OK": the version token is there, the status code is not.
                lenient[dst] = {"sip": ("", "SIP/2.0")}
    for addr, k in (kam or {}).items():
        if not k["replies"]:
            continue
        parsed = parse_reply(k["head"])
        if parsed is None:
            fail("cannot parse Kamailio's reply from %s: %r" % (addr, k["head"][:80]))
            continue
        exp[addr] = expected_row(addr, sum(k["replies"]), k["probe_size"], parsed)
    return exp, lenient


def check_probes(a, recs, targets, stage, kam_probed=None):
    """Every target probed exactly once (or at least once / at most once), nothing else.
    Kamailio's addresses are not the responder's: their probes come from the capture
    (kam_probed: {addr: count}), or are taken on trust without one."""
    per = by_dst(recs)
    probed = set(per)
    kam_addrs = set(a.kam or []) & targets
    if kam_probed is not None:
        probed |= {k for k, n in kam_probed.items() if n}
    else:
        targets = targets - kam_addrs
    outside = sorted(probed - targets)
    if outside:
        fail("stage %s: %d probes to addresses outside the targets (or excluded), e.g. %s"
             % (stage, len(outside), ", ".join(outside[:5])))
    if not a.partial:
        missing = sorted(targets - probed, key=ipaddress.ip_address)
        if missing:
            fail("stage %s: %d of %d targets never probed, e.g. %s" % (
                stage, len(missing), len(targets), ", ".join(missing[:5])))
    if a.once:
        dups = sorted(d for d, rs in per.items() if len(rs) > 1)
        dups += sorted(k for k, n in (kam_probed or {}).items() if n > 1)
        if dups:
            fail("stage %s: %d targets probed more than once (no --retries), e.g. %s (%d times)"
                 % (stage, len(dups), dups[0], len(per[dups[0]])))
    bad_port = [r for r in recs if r["dport"] != a.port]
    if bad_port:
        fail("stage %s: probes to port %d, expected %d" % (stage, bad_port[0]["dport"], a.port))
    # Probe payloads.
    if a.probe == "bare":
        wrong = [r for r in recs if r["probe"] != b"OPTIONS".hex()]
        if wrong:
            fail("stage %s: %d bare probes are not exactly the 7 bytes 'OPTIONS', e.g. %r" % (
                stage, len(wrong), bytes.fromhex(wrong[0]["probe"])[:60]))
    elif a.probe == "options":
        check_options_probes(recs, stage)
    elif a.probe.startswith("file:"):
        want = open(a.probe[5:], "rb").read()
        wrong = [r for r in recs if bytes.fromhex(r["probe"]) != want[:2048]
                 or r["size"] != len(want)]
        if wrong:
            fail("stage %s: %d probes differ from the --probe file's bytes, e.g. %r" % (
                stage, len(wrong), bytes.fromhex(wrong[0]["probe"])[:60]))
    return probed


def check_options_probes(recs, stage):
    callids = {}
    problems = []
    for r in recs:
        p = bytes.fromhex(r["probe"])
        text = p.decode("latin-1")
        head, _, _ = text.partition("\r\n\r\n")
        lines = head.split("\r\n")
        hdr = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                k = COMPACT.get(k.strip().lower(), k.strip().lower())
                hdr.setdefault(k, v.strip())
        why = []
        if not re.match(r"^OPTIONS sips?:\S+ SIP/2\.0$", lines[0]):
            why.append("request line %r" % lines[0][:80])
        if not re.search(r"branch=z9hG4bK\S", hdr.get("via", "")):
            why.append("Via without a z9hG4bK branch: %r" % hdr.get("via"))
        if not re.search(r";\s*tag=\S", hdr.get("from", "")):
            why.append("From without a tag: %r" % hdr.get("from"))
        for need in ("to", "call-id", "cseq", "max-forwards"):
            if need not in hdr:
                why.append("no %s" % need)
        if not re.match(r"^\d+ OPTIONS$", hdr.get("cseq", "")):
            why.append("CSeq %r" % hdr.get("cseq"))
        if not hdr.get("user-agent", "").startswith("sipwarden/"):
            why.append("User-Agent %r (expected sipwarden/<version>)" % hdr.get("user-agent"))
        if hdr.get("content-length", "0") != "0":
            why.append("Content-Length %r" % hdr.get("content-length"))
        if why:
            problems.append("%s: %s" % (r["dst"], "; ".join(why)))
        cid = hdr.get("call-id")
        if cid:
            callids.setdefault(cid, set()).add(r["dst"])
    if problems:
        fail("stage %s: %d full OPTIONS probes are not what the issue asks, e.g. %s" % (
            stage, len(problems), problems[0]))
    shared = [c for c, ds in callids.items() if len(ds) > 1]
    if shared:
        fail("stage %s: Call-ID %r sent to %d targets: the validation token must depend on "
             "the target" % (stage, shared[0], len(callids[shared[0]])))


def check_csv_rows(a, path, exp, lenient, t0, t1, stage):
    got = read_csv(path)
    if got is None:
        return {}
    header, rows = got
    if header != HEADER:
        fail("%s header differs from the seed's:\n      got      %s\n      expected %s" % (
            path, header, HEADER))
    seen = {}
    for raw, row in rows:
        key = (row["ip"], row["port"])
        if key in seen:
            fail("%s: duplicate row for %s port %s" % (path, row["ip"], row["port"]))
            continue
        seen[key] = (raw, row)
    ips = {ip for ip, _ in seen}
    extra = sorted(ips - set(exp))
    missing = sorted(set(exp) - ips)
    if extra:
        fail("%s: %d rows for addresses that should have none, e.g. %s" % (
            path, len(extra), ", ".join("%s (%s)" % (x, a.mp.get(x, "no responder"))
                                        for x in extra[:6])))
    if missing:
        fail("%s: %d responders missing, e.g. %s" % (
            path, len(missing), ", ".join("%s (%s)" % (x, a.mp.get(x, "kamailio"))
                                          for x in missing[:6])))
    for (ip, _port), (raw, row) in sorted(seen.items()):
        if ip in exp:
            check_row(path, raw, row, exp[ip], t0, t1, lenient.get(ip, {}))
    return seen


def check_jsonl_rows(path, exp):
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        fail("JSON Lines output %s not readable: %s" % (path, e))
        return
    seen = set()
    for i, line in enumerate(lines, 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            fail("%s line %d is not JSON: %s" % (path, i, e))
            continue
        missing = [c for c in COLUMNS if c not in o]
        if missing:
            fail("%s line %d lacks the CSV's names %s" % (path, i, missing))
        ip = o.get("ip")
        if ip in seen:
            fail("%s: duplicate object for %s" % (path, ip))
        seen.add(ip)
        e = exp.get(ip)
        if e is None:
            fail("%s: object for %s, which should have none" % (path, ip))
            continue
        for col in ("port", "response_size"):
            if not isinstance(o.get(col), int) or o.get(col) != int(e[col]):
                fail("%s %s: %s = %r, expected the number %s" % (path, ip, col, o.get(col),
                                                                 e[col]))
        amp = o.get("amplification")
        if not isinstance(amp, (int, float)) or "%.2f" % amp != e["amplification"]:
            fail("%s %s: amplification = %r, expected the number %s" % (
                path, ip, amp, e["amplification"]))
        for col in ("sip_code",):
            if e[col] and o.get(col) not in (int(e[col]), e[col]):
                fail("%s %s: %s = %r, expected %s" % (path, ip, col, o.get(col), e[col]))
        sizes = e.get("_packets")
        if sizes and not any(isinstance(v, list) and v == sizes for v in o.values()):
            fail("%s %s: no member holds the per-packet sizes %s" % (path, ip, sizes))
    missing = sorted(set(exp) - seen)
    if missing:
        fail("%s: %d responders missing, e.g. %s" % (path, len(missing), missing[:5]))


def stage_window(result):
    r = json.load(open(result))
    return r, r["start"], r["end"]


def cmd_rows(a):
    mp = {canon(k): v for k, v in json.load(open(a.map)).items()}
    a.mp = mp
    recs = load_stage(a.log, a.stage)
    targets = target_set(a.targets, a.exclude or [])
    res, t0, t1 = stage_window(a.result)
    if a.rc is not None and res["rc"] != a.rc:
        fail("stage %s: exit code %s, expected %d; stderr:\n      %s" % (
            a.stage, res["rc"], a.rc, tail(a.stderr)))
    if res.get("timed_out"):
        fail("stage %s: the scan was killed after the test's timeout" % a.stage)
    kam = {}
    if a.kam_pcap and a.kam:
        kam = kamailio_truth(a.kam_pcap, set(a.kam), t0, t1)
    probed = check_probes(a, recs, targets, a.stage,
                          {k: v["probes"] for k, v in kam.items()} if a.kam_pcap else None)
    if a.partial and not probed:
        fail("stage %s: nothing probed" % a.stage)
    if a.kam_pcap and a.kam:
        for addr in sorted(set(a.kam) & targets):
            k = kam.get(addr)
            if not k or not k["probes"]:
                if not a.partial:
                    fail("stage %s: Kamailio %s was never probed (capture)" % (a.stage, addr))
            elif a.probe == "bare" and k["replies"]:
                fail("stage %s: Kamailio %s answered the bare probe; the test bed assumes it "
                     "does not" % (a.stage, addr))
            elif a.probe == "options" and not k["replies"]:
                fail("stage %s: Kamailio %s did not answer the full OPTIONS (see "
                     "kamailio.log: a probe it judges malformed is dropped)" % (a.stage, addr))
    exp, lenient = expectations(a, recs, mp, kam)
    seen = {}
    if a.csv:
        seen = check_csv_rows(a, a.csv, exp, lenient, t0, t1, a.stage)
    if a.jsonl:
        per = by_dst(recs)
        for ip, e in exp.items():
            if ip in per and a.probe != "options":
                e["_packets"] = [s for r in per[ip] for s in r["replies"]]
        check_jsonl_rows(a.jsonl, exp)
    # The summary: counts of the whole run.
    if a.summary:
        checks = []
        per = by_dst(recs)
        n_resp = sum(1 for d in per if mp.get(d) in SIP_PERS + NONSIP_PERS)
        n_sip = sum(1 for d in per if mp.get(d) in SIP_PERS)
        if a.probe == "bare":
            checks += [(n_resp, r"respond", "responders (SIP and non-SIP)"),
                       (n_sip, r"sip", "SIP responders")]
            # Status-code counts of the SIP responders (the summary has them).
            codes = {}
            for e in exp.values():
                if e["sip_code"]:
                    codes[e["sip_code"]] = codes.get(e["sip_code"], 0) + 1
            for code, n in sorted(codes.items()):
                checks.append((n, r"(?<!\d)%s(?!\d)" % code, "the count of status %s" % code))
        if not a.exclude:
            checks.append((len(targets), r"target", "targets"))
        else:
            all_t = target_set(a.targets)
            checks.append((len(all_t) - len(targets), r"exclu", "excluded addresses"))
        check_summary(a.stderr, checks)
    # Ctrl-C: timing, and nothing probed after the signal.
    if res.get("sigint"):
        s1 = res["sigint"][0]
        after = [r for r in recs if r["t"] > s1 + 0.25]
        if after:
            fail("stage %s: %d probes arrived more than 0.25 s after SIGINT (sending must "
                 "stop)" % (a.stage, len(after)))
        if a.max_after_sigint is not None:
            last = res["sigint"][-1]
            took = res["end"] - last
            if took > a.max_after_sigint:
                fail("stage %s: exited %.2f s after the last SIGINT, expected <= %.1f s" % (
                    a.stage, took, a.max_after_sigint))
        if res["rc"] not in (0, 130):
            fail("stage %s: exit code %s after SIGINT (expected 0 or 130)" % (a.stage, res["rc"]))
        note("stage %s: SIGINT after %.2f s, %d probes before it, exit %s %.2f s after the "
             "last SIGINT" % (a.stage, s1 - res["start"], len(recs), res["rc"],
                              res["end"] - res["sigint"][-1]))
    note("stage %s: %d probes to %d addresses, %d expected rows%s" % (
        a.stage, len(recs), len(probed), len(exp),
        ", %d CSV rows" % len(seen) if a.csv else ""))
    if a.save_probed:
        with open(a.save_probed, "w") as f:
            json.dump(sorted(probed), f)


def tail(path, n=4):
    try:
        return "\n      ".join(open(path, errors="replace").read().strip().splitlines()[-n:])
    except (OSError, TypeError):
        return ""


def cmd_shards(a):
    sets = []
    targets = target_set(a.targets)
    for i, st in enumerate(a.stage):
        got = set(by_dst(load_stage(a.log, st)))
        if a.kam_pcap and a.kam:
            _r, t0, t1 = stage_window(a.result[i])
            got |= {k for k, v in kamailio_truth(a.kam_pcap, set(a.kam), t0, t1).items()
                    if v["probes"]}
        sets.append(got)
    if a.kam and not a.kam_pcap:
        targets -= set(a.kam)  # no capture: Kamailio's addresses cannot be checked
    union = set().union(*sets)
    for i in range(len(sets)):
        if not sets[i]:
            fail("shard %s probed nothing" % a.stage[i])
        for j in range(i + 1, len(sets)):
            both = sets[i] & sets[j]
            if both:
                fail("shards %s and %s overlap in %d addresses, e.g. %s" % (
                    a.stage[i], a.stage[j], len(both), sorted(both)[:3]))
    if union != targets:
        fail("the shards' union is not the target list: %d missing (e.g. %s), %d extra" % (
            len(targets - union), sorted(targets - union)[:3], len(union - targets)))
    note("shards %s: sizes %s, union %d of %d targets" % (
        ", ".join(a.stage), [len(s) for s in sets], len(union), len(targets)))


def cmd_rate(a):
    recs = load_stage(a.log, a.stage)
    ts = sorted(r["t"] for r in recs)
    n = len(ts)
    if a.count and n != a.count:
        fail("rate stage %s: %d probes arrived, expected %d" % (a.stage, n, a.count))
    if n < 2:
        fail("rate stage %s: too few probes (%d)" % (a.stage, n))
        return
    span = ts[-1] - ts[0]
    want = (n - 1) / a.rate
    achieved = (n - 1) / span if span > 0 else float("inf")
    # Also the worst one-second window: no burst far above the rate.
    worst = 0
    j = 0
    for i in range(n):
        while ts[i] - ts[j] > 1.0:
            j += 1
        worst = max(worst, i - j + 1)
    msg = ("rate stage %s: %d probes in %.3f s (first to last arrival) = %.0f pps; requested "
           "%d pps -> expected %.3f s +- %.0f%%; busiest 1 s window %d probes" % (
               a.stage, n, span, achieved, a.rate, want, a.tolerance * 100, worst))
    note(msg)
    if abs(span - want) > a.tolerance * want:
        fail(msg)
    if want >= 2.0 and worst > a.rate * (1 + a.tolerance) + 64:
        fail("rate stage %s: %d probes within one second at a requested %d pps" % (
            a.stage, worst, a.rate))


def cmd_none(a):
    recs = load_stage(a.log, a.stage)
    if recs:
        fail("stage %s: %d probes arrived, expected none (e.g. to %s)" % (
            a.stage, len(recs), recs[0]["dst"]))


def cmd_retries(a):
    mp = {canon(k): v for k, v in json.load(open(a.map)).items()}
    recs = load_stage(a.log, a.stage)
    targets = target_set(a.targets)
    per = by_dst(recs)
    bad = []
    for t in sorted(targets, key=ipaddress.ip_address):
        n = len(per.get(t, []))
        pers = mp.get(t)
        if pers in SIP_PERS:
            want = (1, 1)
        elif pers in NONSIP_PERS:
            want = (1, a.retries + 1)  # whether a non-SIP answer stops retries is the scanner's
        else:
            want = (a.retries + 1, a.retries + 1)
        if not want[0] <= n <= want[1]:
            bad.append("%s (%s) probed %d times, expected %s" % (
                t, pers or "no responder", n, want[0] if want[0] == want[1] else "%d..%d" % want))
    if set(per) - targets:
        fail("stage %s: probes outside the targets" % a.stage)
    if bad:
        fail("stage %s (--retries %d): %d targets probed the wrong number of times, e.g. %s"
             % (a.stage, a.retries, len(bad), "; ".join(bad[:4])))
    note("stage %s: %d probes to %d targets with --retries %d" % (
        a.stage, len(recs), len(per), a.retries))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("rows")
    r.add_argument("--log", required=True)
    r.add_argument("--map", required=True)
    r.add_argument("--stage", required=True)
    r.add_argument("--targets", nargs="+", required=True)
    r.add_argument("--exclude", nargs="*")
    r.add_argument("--result", required=True)
    r.add_argument("--stderr")
    r.add_argument("--csv")
    r.add_argument("--jsonl")
    r.add_argument("--probe", default="bare")
    r.add_argument("--port", type=int, default=5060)
    r.add_argument("--include-nonsip", action="store_true")
    r.add_argument("--partial", action="store_true", help="targets need not all be probed")
    r.add_argument("--once", action="store_true", help="each target probed at most once")
    r.add_argument("--rc", type=int)
    r.add_argument("--summary", action="store_true")
    r.add_argument("--kam-pcap")
    r.add_argument("--kam", nargs="*")
    r.add_argument("--max-after-sigint", type=float)
    r.add_argument("--save-probed")
    s = sub.add_parser("shards")
    s.add_argument("--log", required=True)
    s.add_argument("--stage", nargs="+", required=True)
    s.add_argument("--targets", nargs="+", required=True)
    s.add_argument("--result", nargs="+", help="the stages' run results (with --kam-pcap)")
    s.add_argument("--kam-pcap")
    s.add_argument("--kam", nargs="*")
    t = sub.add_parser("rate")
    t.add_argument("--log", required=True)
    t.add_argument("--stage", required=True)
    t.add_argument("--rate", type=float, required=True)
    t.add_argument("--count", type=int)
    t.add_argument("--tolerance", type=float, default=0.05)
    n = sub.add_parser("none")
    n.add_argument("--log", required=True)
    n.add_argument("--stage", required=True)
    q = sub.add_parser("retries")
    q.add_argument("--log", required=True)
    q.add_argument("--map", required=True)
    q.add_argument("--stage", required=True)
    q.add_argument("--targets", nargs="+", required=True)
    q.add_argument("--retries", type=int, required=True)
    a = ap.parse_args()
    {"rows": cmd_rows, "shards": cmd_shards, "rate": cmd_rate, "none": cmd_none,
     "retries": cmd_retries}[a.cmd](a)
    for m in NOTES:
        print("  . " + m)
    for m in FAILS:
        print("  FAIL " + m)
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
