#!/usr/bin/env python3
"""Helpers for the `sipwarden scan` namespace test bed (stdlib only).

  tbtool.py config --prefix CIDR --count N [--silent N] [--seed N] [--fixed ADDR=PERS]...
                   [--avoid ADDR]... --out MAP.json
      Place N answering responders (a fixed mix of personalities) and --silent silent ones
      pseudorandomly in CIDR, plus the --fixed ones; never on an --avoid address.
  tbtool.py echo --port P --seconds S [--ready FILE]
      UDP echo on 0.0.0.0:P and [::]:P, for checking the test bed's plumbing.
  tbtool.py send --to ADDR [--port P] [--probe bare|options|hex:HEX] [--timeout S]
      Send one probe and print every reply datagram as a JSON line (from, size, first line),
      until --timeout seconds pass or --max replies arrived.
  tbtool.py mark --log LOG --name NAME [--timeout S] [--no-v6]
      Send "SWMARK NAME" to the responder over loopback (v4 and v6) and wait until the
      responder has logged it on both sockets (so every earlier probe is in the log).
  tbtool.py run --timeout S --out F --err F --result F [--sigint-after S [--sigint2-after S]]
                -- COMMAND...
      Run COMMAND (SIGINT at its default disposition), optionally send it SIGINT after S
      seconds (and a second one S2 seconds later), kill it after --timeout; write a JSON
      result: rc, start, end, sigint times.

Every loop here is bounded in count and time.
"""

import argparse
import ipaddress
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import time

# Answering personalities and their weights per 40 responders.
MIX = [
    ("minimal400", 10),
    ("verbose200", 6),
    ("multipacket", 5),
    ("oversized", 2),
    ("malformed", 3),
    ("nonsip", 3),
    ("twice", 5),
    ("compact", 6),
]


def cmd_config(a):
    net = ipaddress.ip_network(a.prefix, strict=False)
    rng = random.Random(a.seed)
    out = {}
    for spec in a.fixed or []:
        addr, pers = spec.split("=", 1)
        out[str(ipaddress.ip_address(addr))] = pers
    avoid = {str(ipaddress.ip_address(x)) for x in (a.avoid or [])}
    total = sum(w for _, w in MIX)
    people = []
    for pers, w in MIX:
        people += [pers] * max(1, round(a.count * w / total)) if a.count else []
    people = people[: a.count] if a.count else []
    while len(people) < a.count:
        people.append(MIX[len(people) % len(MIX)][0])
    people += ["silent"] * a.silent
    taken = set(out) | avoid
    size = net.num_addresses
    if len(people) + len(taken) > size:
        sys.exit("tbtool config: %d responders do not fit in %s" % (len(people), net))
    for pers in people:
        for _ in range(100000):
            addr = str(net.network_address + rng.randrange(size))
            if addr not in taken:
                break
        else:
            sys.exit("tbtool config: no free address")
        taken.add(addr)
        out[addr] = pers
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    counts = {}
    for p in out.values():
        counts[p] = counts.get(p, 0) + 1
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))


def cmd_echo(a):
    socks = []
    for fam, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, a.port))
        socks.append(s)
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ok\n")
    end = time.monotonic() + a.seconds
    n = 0
    while time.monotonic() < end and n < 1000:
        r, _, _ = select.select(socks, [], [], max(0.0, min(0.2, end - time.monotonic())))
        for s in r:
            data, peer = s.recvfrom(65536)
            s.sendto(b"ECHO " + data, peer)
            n += 1
    return 0


def full_options(dst, src_port):
    host = "[%s]" % dst if ":" in dst else dst
    return (
        "OPTIONS sip:%s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-tbtool-1;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:tbtool@sipwarden.invalid>;tag=tbtool1\r\n"
        "To: <sip:%s>\r\n"
        "Call-ID: tbtool-1@sipwarden.invalid\r\n"
        "CSeq: 1 OPTIONS\r\n"
        "User-Agent: tbtool\r\n"
        "Accept: application/sdp\r\n"
        "Content-Length: 0\r\n\r\n" % (host, "0.0.0.0", src_port, host)
    ).encode()


def cmd_send(a):
    fam = socket.AF_INET6 if ":" in a.to else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    if a.probe == "bare":
        payload = b"OPTIONS"
    elif a.probe == "options":
        payload = full_options(a.to, s.getsockname()[1])
        # The Via must name our real address for a server that replies to the Via host.
        src = a.src or ("198.19.254.1" if fam == socket.AF_INET else "2001:db8:5c:ffff::1")
        payload = payload.replace(b"0.0.0.0", src.encode() if fam == socket.AF_INET
                                  else ("[%s]" % src).encode())
    elif a.probe.startswith("hex:"):
        payload = bytes.fromhex(a.probe[4:])
    else:
        sys.exit("tbtool send: unknown probe %r" % a.probe)
    s.sendto(payload, (a.to, a.port))
    end = time.monotonic() + a.timeout
    n = 0
    while n < min(16, a.max):
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if not r:
            break
        data, peer = s.recvfrom(65536)
        n += 1
        first = data.split(b"\r\n", 1)[0][:80].decode("latin-1")
        server = ""
        for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
            if line.lower().startswith(b"server:"):
                server = line[7:].strip().decode("latin-1")
        print(json.dumps({"from": peer[0], "sport": peer[1], "size": len(data),
                          "first": first, "server": server, "sent": len(payload)}))
    return 0


class MarkReader:
    """Reads the marks a growing log holds, from where it stopped the last time."""

    def __init__(self, path, start=0):
        self.path = path
        self.pos = start
        self.marks = set()

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return self.marks
        end = data.rfind(b"\n") + 1
        for line in data[:end].split(b"\n"):
            if line.startswith(b'{"mark"'):
                o = json.loads(line)
                self.marks.add((o["mark"], o["fam"]))
        self.pos += end
        return self.marks


def cmd_mark(a):
    want = [(a.name, 4)] + ([] if a.no_v6 else [(a.name, 6)])
    msg = ("SWMARK " + a.name).encode()
    end = time.monotonic() + a.timeout
    try:
        start = os.path.getsize(a.log)
    except OSError:
        start = 0
    reader = MarkReader(a.log, start)
    while time.monotonic() < end:
        for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            if fam == socket.AF_INET6 and a.no_v6:
                continue
            s = socket.socket(fam, socket.SOCK_DGRAM)
            try:
                s.sendto(msg, (host, a.port))
            finally:
                s.close()
        t1 = time.monotonic() + 1.0
        while time.monotonic() < min(t1, end):
            if all(w in reader.poll() for w in want):
                return 0
            time.sleep(0.05)
    sys.stderr.write("tbtool mark: responder did not log mark %s within %.0f s\n"
                     % (a.name, a.timeout))
    return 1


def cmd_run(a):
    cmd = a.command
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    res = {"cmd": cmd, "sigint": []}
    fout = open(a.out, "wb")
    ferr = open(a.err, "wb")

    def child_setup():
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGQUIT, signal.SIG_DFL)

    res["start"] = time.time()
    p = subprocess.Popen(cmd, stdout=fout, stderr=ferr, stdin=subprocess.DEVNULL,
                         preexec_fn=child_setup)
    res["pid"] = p.pid
    t0 = time.monotonic()
    plan = []
    if a.sigint_after is not None:
        plan.append(a.sigint_after)
        if a.sigint2_after is not None:
            plan.append(a.sigint_after + a.sigint2_after)
    rc = None
    try:
        while rc is None:
            now = time.monotonic() - t0
            if plan and now >= plan[0]:
                plan.pop(0)
                if p.poll() is None:
                    os.kill(p.pid, signal.SIGINT)
                    res["sigint"].append(time.time())
            if now >= a.timeout:
                res["timed_out"] = True
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
                rc = p.returncode
                break
            # Sleep until the next event (Popen.wait backs off to 50 ms polls): the scanner
            # under test shares two cores with the bed, so this loop must stay nearly idle.
            nxt = min([a.timeout] + plan[:1]) - now
            try:
                rc = p.wait(timeout=max(0.001, nxt))
            except subprocess.TimeoutExpired:
                pass
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
    res["end"] = time.time()
    res["rc"] = rc
    res["duration"] = res["end"] - res["start"]
    with open(a.result, "w") as f:
        json.dump(res, f)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("config")
    c.add_argument("--prefix", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--silent", type=int, default=0)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--fixed", action="append")
    c.add_argument("--avoid", action="append")
    c.add_argument("--out", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--port", type=int, default=5060)
    e.add_argument("--seconds", type=float, default=5)
    e.add_argument("--ready")
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--port", type=int, default=5060)
    s.add_argument("--probe", default="bare")
    s.add_argument("--src")
    s.add_argument("--timeout", type=float, default=1.0)
    s.add_argument("--max", type=int, default=16, help="stop after this many replies")
    m = sub.add_parser("mark")
    m.add_argument("--log", required=True)
    m.add_argument("--name", required=True)
    m.add_argument("--port", type=int, default=5060)
    m.add_argument("--timeout", type=float, default=20)
    m.add_argument("--no-v6", action="store_true")
    r = sub.add_parser("run")
    r.add_argument("--timeout", type=float, required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--err", required=True)
    r.add_argument("--result", required=True)
    r.add_argument("--sigint-after", type=float)
    r.add_argument("--sigint2-after", type=float)
    r.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    return {"config": cmd_config, "echo": cmd_echo, "send": cmd_send, "mark": cmd_mark,
            "run": cmd_run}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
