#!/usr/bin/env python3
"""bench/scan.d/scan.py: the test bed's responder list, payload check, and the report.

  scan.py bed DIR                 write DIR/truth.txt (1,024 responders: 4 in every /24 of
                                  198.18.0.0/16), DIR/twice.txt (every 8th of them: they answer
                                  each probe twice), DIR/subset.txt (the responders in the subset)
  scan.py payload PCAP            every UDP datagram to port 5060 in PCAP must carry exactly
                                  b"OPTIONS"; prints "N probes, all 7 bytes OPTIONS" or exits 1
  scan.py report RUNS.TSV META    print the table, then one JSON line

RUNS.TSV has one line per tool run: key, group (ceiling|max|10k|subset), label, round, parser
(none|sipwarden|zmap|masscan|svmap|nmap), tool output file, runner result file, truth file.
META is key=value lines (versions, machine, bed figures) for the header.
"""
import csv
import json
import re
import statistics
import struct
import sys
import textwrap
import xml.etree.ElementTree as ET

PREFIX = "198.18"
SUBSET = "198.18.77.0/24"
SUBSET_THIRD = 77


def responder_offsets(block):
    """Four distinct last octets in 1..254 for /24 number block, spread over the block."""
    return [1 + 64 * k + (block * 151 + k * 89 + (block * block) % 61) % 62 for k in range(4)]


def cmd_bed(out):
    truth = [f"{PREFIX}.{b}.{o}" for b in range(256) for o in responder_offsets(b)]
    assert len(set(truth)) == 1024
    with open(f"{out}/truth.txt", "w") as f:
        f.write("\n".join(truth) + "\n")
    with open(f"{out}/twice.txt", "w") as f:
        f.write("\n".join(truth[::8]) + "\n")
    with open(f"{out}/subset.txt", "w") as f:
        f.write("\n".join(a for a in truth if a.split(".")[2] == str(SUBSET_THIRD)) + "\n")
    return 0


def cmd_payload(path):
    """Check the UDP payloads to port 5060 in a pcap (Ethernet or Linux cooked v1)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        print(f"{path}: no pcap header")
        return 1
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off, n, bad = 24, 0, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            l2, etype = 14, struct.unpack(">H", pkt[12:14])[0]
        elif linktype == 113:
            l2, etype = 16, struct.unpack(">H", pkt[14:16])[0]
        else:
            print(f"{path}: link type {linktype} not handled")
            return 1
        if etype != 0x0800 or len(pkt) < l2 + 28:
            continue
        ip = pkt[l2:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 17:
            continue
        udp = ip[ihl:]
        dport, ulen = struct.unpack(">H", udp[2:4])[0], struct.unpack(">H", udp[4:6])[0]
        if dport != 5060:
            continue
        n += 1
        payload = udp[8:ulen]
        if payload != b"OPTIONS":
            bad.append(payload[:40])
    if n == 0 or bad:
        print(f"{n} probes; {len(bad)} not the 7 bytes OPTIONS (first: {bad[:1]})")
        return 1
    print(f"{n} probes, all 7 bytes OPTIONS")
    return 0


# ---- tool outputs -> list of "ip:port" rows -------------------------------------------------


def rows_sipwarden(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        return [f"{row['ip']}:{row['port']}" for row in r]


def rows_zmap(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        return [f"{row['saddr']}:5060" for row in r]


def rows_masscan(path):
    out = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) >= 4 and p[0] == "open":
                out.append(f"{p[3]}:{p[2]}")
    return out


SVMAP_ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+\.\d+):(\d+)\s*\|")


def rows_svmap(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = SVMAP_ROW.match(line)
            if m:
                out.append(f"{m.group(1)}:{m.group(2)}")
    return out


def rows_nmap(path):
    """Hosts whose 5060/udp is 'open' (a reply came); open|filtered (silence) is not a find."""
    out, ambiguous = [], 0
    root = ET.parse(path).getroot()
    for host in root.iter("host"):
        addr = host.find("address[@addrtype='ipv4']")
        for port in host.iter("port"):
            st = port.find("state")
            if port.get("protocol") != "udp" or st is None:
                continue
            if st.get("state") == "open":
                out.append(f"{addr.get('addr')}:{port.get('portid')}")
            elif st.get("state") == "open|filtered":
                ambiguous += 1
    return out, ambiguous


def parse_rows(parser, path):
    """(rows, ambiguous, error)"""
    try:
        if parser == "nmap":
            rows, amb = rows_nmap(path)
            return rows, amb, None
        fn = {"sipwarden": rows_sipwarden, "zmap": rows_zmap, "masscan": rows_masscan,
              "svmap": rows_svmap}[parser]
        return fn(path), 0, None
    except (OSError, KeyError, ET.ParseError, csv.Error, UnicodeDecodeError) as e:
        return [], 0, f"{type(e).__name__}: {e}"


def read_kv(path):
    d = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    d[k] = v
    except OSError:
        pass
    return d


def num(d, k):
    try:
        return float(d[k])
    except (KeyError, ValueError):
        return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---- formatting ------------------------------------------------------------------------------


def fpps(x):
    if x is None:
        return "n/a"
    if x >= 1e6:
        return f"{x / 1e6:.2f}M"
    if x >= 1e3:
        return f"{x / 1e3:.1f}k"
    return f"{x:.0f}"


def fnum(x, nd=2):
    return "n/a" if x is None else f"{x:.{nd}f}"


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def fx(x):
    return "n/a" if x is None else f"{x:.2f}"


def main_report(runs_path, meta_path):
    meta = read_kv(meta_path)
    entries = []
    with open(runs_path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) == 8:
                entries.append(dict(zip(
                    ["key", "group", "label", "round", "parser", "out", "res", "truth"], p)))
    order, by_key = [], {}
    for e in entries:
        if e["key"] not in by_key:
            order.append(e["key"])
            by_key[e["key"]] = []
        by_key[e["key"]].append(e)

    stats = {}
    problems = []
    for key in order:
        runs = by_key[key]
        g = runs[0]["group"]
        per = []
        for e in runs:
            res = read_kv(e["res"])
            r = {"pps": num(res, "pps"), "cpu": num(res, "cpu_s"), "wall": num(res, "wall_s"),
                 "arrived": num(res, "arrived"), "delivered": num(res, "delivered"),
                 "exit": res.get("exit"), "timed_out": res.get("timed_out") == "1",
                 "nudges": int(num(res, "nudges") or 0)}
            if not res:
                problems.append(f"{e['label']} round {e['round']}: no result file {e['res']}")
            elif r["exit"] != "0" or r["timed_out"]:
                problems.append(f"{e['label']} round {e['round']}: exit {r['exit']}"
                                + (" (timed out, killed)" if r["timed_out"] else "")
                                + f"; see {e['res'][:-4]}.err")
            if e["parser"] != "none":
                truth = set()
                with open(e["truth"]) as tf:
                    truth = {f"{ln.strip()}:5060" for ln in tf if ln.strip()}
                rows, amb, err = parse_rows(e["parser"], e["out"])
                if err:
                    problems.append(f"{e['label']} round {e['round']}: output unreadable: {err}")
                uniq = set(rows)
                r.update(found=len(uniq & truth), false=len(uniq - truth),
                         dups=len(rows) - len(uniq), truth=len(truth), ambiguous=amb,
                         rows=len(rows))
                if r["found"] < len(truth) and r["delivered"] is not None and not err:
                    where = ("every responder got its probe and answered: the replies were "
                             "lost on the scanner's side"
                             if r["delivered"] >= len(truth) else
                             f"only {r['delivered']:.0f} probes reached a responder")
                    problems.append(f"{e['label']} round {e['round']}: found {r['found']} of "
                                    f"{len(truth)}; {where}")
            per.append(r)
        nudged = sum(1 for r in per if r["nudges"])
        if nudged:
            problems.append(f"{runs[0]['label']}: did not exit after its wait in {nudged} of "
                            f"{len(per)} runs; woken by a datagram into the scanner namespace "
                            f"(bench/README.md)")
        s = {"group": g, "label": runs[0]["label"], "runs": len(per),
             "pps": med([r["pps"] for r in per]), "cpu": med([r["cpu"] for r in per]),
             "wall": med([r["wall"] for r in per]),
             "arrived_min": min((r["arrived"] or 0) for r in per)}
        if s["pps"] and s["cpu"]:
            s["per_cpu"] = med([(r["arrived"] or 0) / r["cpu"] for r in per if r["cpu"]])
        if "found" in per[0]:
            s.update(found=min(r["found"] for r in per), truth=per[0]["truth"],
                     false=max(r["false"] for r in per), dups=max(r["dups"] for r in per),
                     ambiguous=max(r["ambiguous"] for r in per),
                     found_all=[r["found"] for r in per])
        stats[key] = s

    J = {}
    J["targets"] = int(meta.get("targets", 0))
    J["responders"] = int(meta.get("responders", 0))
    J["responders_twice"] = int(meta.get("twice", 0))
    J["subset_targets"] = int(meta.get("subset_targets", 0))
    J["subset_responders"] = int(meta.get("subset_responders", 0))
    J["wait_s"] = float(meta.get("wait", 0))
    J["runs"] = int(meta.get("runs", 0))
    J["runs_10k"] = int(meta.get("runs_10k", 0))

    def put(prefix, s, with_found=True):
        J[f"{prefix}_pps"] = round(s["pps"]) if s["pps"] is not None else None
        J[f"{prefix}_cpu_s"] = round(s["cpu"], 3) if s["cpu"] is not None else None
        J[f"{prefix}_wall_s"] = round(s["wall"], 2) if s["wall"] is not None else None
        if with_found and "found" in s:
            J[f"{prefix}_found"] = s["found"]
            J[f"{prefix}_false"] = s["false"]
            J[f"{prefix}_dups"] = s["dups"]
            J[f"{prefix}_arrived"] = int(s["arrived_min"])

    for key in order:
        put(key, stats[key], with_found=stats[key]["group"] != "ceiling")

    def pps(k):
        return stats[k]["pps"] if k in stats else None

    def cpu(k):
        return stats[k]["cpu"] if k in stats else None

    peers = [k for k in ("zmap_1t", "zmap_2t", "masscan") if pps(k)]
    best_peer = max(peers, key=pps) if peers else None
    J["best_peer"] = best_peer
    J["best_peer_pps"] = round(pps(best_peer)) if best_peer else None
    J["sipwarden_pps"] = J.get("sipwarden_packet_pps")
    J["sipwarden_vs_best_peer_pps"] = ratio(pps("sipwarden_packet"), pps(best_peer))
    J["sipwarden_socket_vs_best_peer_pps"] = ratio(pps("sipwarden_socket"), pps(best_peer))
    for k in ("zmap_1t", "zmap_2t", "masscan"):
        J[f"sipwarden_vs_{k}_pps"] = ratio(pps("sipwarden_packet"), pps(k))
    for k in ("sipwarden_packet", "sipwarden_socket", "zmap_1t", "zmap_2t", "masscan"):
        J[f"{k}_vs_ceiling"] = ratio(pps(k), pps("ceiling"))
        J[f"{k}_vs_ceiling_2t"] = ratio(pps(k), pps("ceiling_2t"))
    J["sipwarden_10k_cpu_s"] = J.get("sipwarden_packet_10k_cpu_s")
    J["zmap_10k_cpu_s"] = J.get("zmap_1t_10k_cpu_s")
    # CPU ratios: peer's CPU seconds over sipwarden's (> 1: sipwarden uses less)
    for k in ("zmap_1t_10k", "zmap_2t_10k", "masscan_10k"):
        J[f"sipwarden_10k_cpu_vs_{k.replace('_10k', '')}"] = ratio(
            cpu(k), cpu("sipwarden_packet_10k"))
        J[f"sipwarden_socket_10k_cpu_vs_{k.replace('_10k', '')}"] = ratio(
            cpu(k), cpu("sipwarden_socket_10k"))

    tgt_ratio = float(meta.get("target_ratio", 1.2))
    J["target_vs_best_peer_pps"] = tgt_ratio
    met_pps = bool(J["sipwarden_vs_best_peer_pps"] and J["sipwarden_vs_best_peer_pps"] >= tgt_ratio)
    sw_keys = [k for k in order if k.startswith("sipwarden")]
    met_found = all(stats[k].get("found") == stats[k].get("truth") and stats[k].get("false") == 0
                    and stats[k].get("dups") == 0 for k in sw_keys) and bool(sw_keys)
    met_cpu = bool(cpu("sipwarden_packet_10k") and cpu("zmap_1t_10k")
                   and cpu("sipwarden_packet_10k") < cpu("zmap_1t_10k"))
    J["target_pps_met"] = met_pps
    J["target_found_met"] = met_found
    J["target_10k_cpu_met"] = met_cpu
    J["target_met"] = met_pps and met_found and met_cpu

    # ---- the table ----
    def P(text="", indent="  "):
        """Print, wrapping prose at 100 columns (continuation lines indented)."""
        if len(text) <= 100:
            print(text)
            return
        print("\n".join(textwrap.wrap(text, 100, subsequent_indent=indent,
                                       break_on_hyphens=False)))
    P(f"SIP scan benchmark: sipwarden {meta.get('sipwarden_version', '?')}")
    P(f"peers: zmap {meta.get('zmap_version', '?')}, masscan {meta.get('masscan_version', '?')}, "
      f"svmap {meta.get('svmap_version', '?')}, nmap {meta.get('nmap_version', '?')}")
    P(f"machine: {meta.get('cpu', '?')} x{meta.get('ncpu', '?')}, Linux {meta.get('kernel', '?')}; "
      f"sipwarden built {meta.get('build', '?')}")
    P(f"load average (1 min): {meta.get('load', '?')} - other work on the machine makes the "
      f"timings noisy; medians damp it")
    P(f"bed: {J['targets']:,} targets ({meta.get('prefix', '?')}) in a network namespace behind a "
      f"veth pair; {J['responders']:,} responders (4 per /24, {J['responders_twice']} of them "
      f"answer twice) send a 300-byte 200 OK")
    P(f"probe: the 7 bytes OPTIONS to UDP 5060 (tcpdump: "
      f"{meta.get('payload_check', 'not checked')}); every tool listens {J['wait_s']:g} s after "
      f"its last probe")
    P("pps: probes that reached the target namespace / time from the first to the last arrival; "
      "CPU s: user+sys of the tool's process; found: distinct responders in its output; false: "
      "rows for non-responders; dups: rows beyond one per responder")
    P("")
    c1, c1t = stats.get("ceiling"), stats.get("ceiling_2t")
    P(f"raw send ceiling, median of {c1['runs'] if c1 else 0} runs of bench/scan.d/ceiling.c "
      f"(3 s of AF_PACKET sendmmsg, 64 frames of 64 bytes a call, qdisc bypass):")
    P(f"  1 thread {fpps(pps('ceiling'))} pps"
      + (f", 2 threads {fpps(pps('ceiling_2t'))} pps" if c1t else ""))
    P("")

    def table(title, keys, show_ceiling):
        w = max([len(stats[k]["label"]) for k in keys] + [10])
        P(title)
        hdr = f"  {'tool':<{w}} {'pps':>8} {'x ceil':>6} {'CPU s':>6} {'probes/CPU-s':>12} " \
              f"{'wall s':>6} {'arrived':>7} {'found':>9} {'false':>5} {'dups':>4}"
        if not show_ceiling:
            hdr = hdr.replace(f" {'x ceil':>6}", "")
        print(hdr)
        print("  " + "-" * (len(hdr) - 2))
        for k in keys:
            s = stats[k]
            found = f"{s['found']}/{s['truth']}" if "found" in s else "-"
            line = f"  {s['label']:<{w}} {fpps(s['pps']):>8} "
            if show_ceiling:
                r = ratio(s["pps"], pps("ceiling"))
                line += f"{(f'{r:.2f}' if r else 'n/a'):>6} "
            line += f"{fnum(s['cpu']):>6} {fpps(s.get('per_cpu')):>12} {fnum(s['wall'], 1):>6} " \
                    f"{int(s['arrived_min']):>7} {found:>9} {s.get('false', 0):>5} " \
                    f"{s.get('dups', 0):>4}"
            if s.get("ambiguous"):
                problems.append(f"{s['label']}: besides the {s['found']} open ports, "
                                f"{s['ambiguous']} silent targets are listed as open|filtered "
                                f"(not counted as found)")
            print(line)
        P("")

    mx = [k for k in order if stats[k]["group"] == "max"]
    tk = [k for k in order if stats[k]["group"] == "10k"]
    sb = [k for k in order if stats[k]["group"] == "subset"]
    if mx:
        table(f"max rate: 65,536 targets, median of {J['runs']} runs "
              f"(found: the worst run; false, dups: the worst run)", mx, True)
    if tk:
        table(f"-r 10000 (10k pps): 65,536 targets, {J['runs_10k']} run(s); pps here is the "
              f"achieved rate", tk, False)
    if sb:
        table(f"subset {SUBSET}: {J['subset_targets']} targets, {J['subset_responders']} "
              f"responders, 1 run (tools' default speed)", sb, False)

    P("ratios:")
    if best_peer:
        P(f"  sipwarden packet vs the best peer ({stats[best_peer]['label'].strip()}): "
          f"{fx(J['sipwarden_vs_best_peer_pps'])}x the pps; socket mode: "
          f"{fx(J['sipwarden_socket_vs_best_peer_pps'])}x")
    P("  share of the 1-thread ceiling: " + ", ".join(
        f"{name} {fx(J[f'{k}_vs_ceiling'])}" for k, name in
        (("sipwarden_packet", "sipwarden packet"), ("sipwarden_socket", "sipwarden socket"),
         ("zmap_1t", "zmap -T 1"), ("zmap_2t", "zmap -T 2"), ("masscan", "masscan"))
        if J.get(f"{k}_vs_ceiling")), indent="    ")
    if cpu("zmap_1t_10k") and cpu("sipwarden_packet_10k"):
        P(f"  CPU at 10k pps: zmap -T 1 uses {fx(J['sipwarden_10k_cpu_vs_zmap_1t'])}x the CPU "
          f"time of sipwarden packet, {fx(J['sipwarden_socket_10k_cpu_vs_zmap_1t'])}x that of "
          f"sipwarden socket", indent="    ")
    P("")
    for p in problems:
        P(f"note: {p}", indent="      ")
    if problems:
        P("")
    P(f"targets: max-rate pps >= {tgt_ratio}x the best of zmap and masscan: "
      f"{fx(J['sipwarden_vs_best_peer_pps'])}x {'PASS' if met_pps else 'FAIL'}; "
      f"every responder found, no false or duplicate rows (all sipwarden runs): "
      f"{'PASS' if met_found else 'FAIL'}; "
      f"10k pps CPU below zmap's: {fnum(cpu('sipwarden_packet_10k'))} s vs "
      f"{fnum(cpu('zmap_1t_10k'))} s {'PASS' if met_cpu else 'FAIL'}")
    print(json.dumps(J, separators=(",", ":")))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "bed":
        return cmd_bed(argv[2])
    if len(argv) == 3 and argv[1] == "payload":
        return cmd_payload(argv[2])
    if len(argv) == 4 and argv[1] == "report":
        return main_report(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
