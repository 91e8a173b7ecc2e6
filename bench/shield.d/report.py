#!/usr/bin/env python3
"""bench/shield.d/report.py RESULTS INFO CFG: medians, the tables, the targets, the JSON line.

RESULTS holds "key value" lines written by bench/shield (one line per measurement; a key
repeated over rounds). Every figure printed is the median of its key's values; the JSON line
(last line) has the same figures under plain names. Exit 3 when a target is missed, 0 otherwise.
"""
import json
import statistics
import sys

PROTS = ["none", "string", "hashlimit", "kamailio", "sipwarden"]
PROT_TITLE = {
    "none": "none",
    "string": "iptables string",
    "hashlimit": "iptables hashlimit",
    "kamailio": "Kamailio hardening",
    "sipwarden": "sipwarden shield",
}
ATTACKERS = ["svmap", "svwar", "svwarinv", "svcrack", "sipsak", "nmap", "svmapua", "nmapua"]
FINGERPRINTED = ATTACKERS[:6]
SCANNERS = 4  # svmap, svmapua, nmap, nmapua: "server found" is out of these
EXTENSIONS = 31  # 100-130, the range every enumerator tries


def load(path):
    vals = {}
    for line in open(path):
        parts = line.split(None, 1)
        if len(parts) != 2:
            continue
        try:
            v = float(parts[1])
        except ValueError:
            continue
        vals.setdefault(parts[0], []).append(v)
    return vals


def main():
    vals = load(sys.argv[1])
    info = sys.argv[2] if len(sys.argv) > 2 else ""
    cfg = sys.argv[3] if len(sys.argv) > 3 else ""

    def med(key):
        v = vals.get(key)
        return statistics.median(v) if v else None

    def num(x, nd=0):
        if x is None:
            return "n/a"
        if nd == 0:
            return f"{x:,.0f}"
        return f"{x:,.{nd}f}"

    def rnd(x, nd=0):
        if x is None:
            return None
        return int(round(x)) if nd == 0 else round(x, nd)

    out = {}
    fails = []
    print("bench/shield: " + info)
    print("settings: " + cfg)
    prots = [p for p in PROTS if f"{p}.legit_want" in vals]

    # ---- protections ----------------------------------------------------------------------
    if prots:
        print()
        print("protections, each on a full recording of the shield test bed (median of "
              f"{len(vals[prots[0] + '.legit_want'])} recording(s); floods: median of "
              f"{len(vals.get(prots[0] + '.kamailio_cpu_pct', []))})")
        w0 = 44
        print(f"{'':{w0}}" + "".join(f"{PROT_TITLE[p]:>20}" for p in prots))
        print("-" * (w0 + 20 * len(prots)))

        def row(title, fn):
            print(f"{title:{w0}}" + "".join(f"{fn(p):>20}" for p in prots))

        row("SIP packets received by the attackers",
            lambda p: num(med(f"{p}.attack_pkts_received")))
        row("  by the fingerprinted tools (6)",
            lambda p: num(med(f"{p}.fingerprinted_pkts_received")))
        for a in ATTACKERS:
            row(f"    {a} (sent/received)",
                lambda p, a=a: f"{num(med(f'{p}.sent_{a}'))}/{num(med(f'{p}.recv_{a}'))}")
        row(f"server found (of {SCANNERS} scanners)",
            lambda p: num(med(f"{p}.server_found")))
        row(f"extensions found (of {EXTENSIONS})", lambda p: num(med(f"{p}.extensions_found")))
        row("password cracked (dictionary svcrack)",
            lambda p: {None: "n/a", 0: "no", 1: "yes"}.get(rnd(med(f"{p}.password_cracked")),
                                                          "?"))
        row("  packets the cracker received", lambda p: num(med(f"{p}.crack_pkts_received")))

        def legit(p):
            ok, want = med(f"{p}.legit_ok"), med(f"{p}.legit_want")
            return f"{num(ok)}/{num(want)}" if want else "n/a"

        row("legitimate SIPp transactions successful", legit)
        row("legitimate packets lost (of sent)",
            lambda p: f"{num(med(f'{p}.legit_pkts_lost'))}/{num(med(f'{p}.legit_pkts'))}")
        row("Kamailio CPU under the flood, % of a core",
            lambda p: num(med(f"{p}.kamailio_cpu_pct"), 1))
        row("  the shield's CPU, % of a core",
            lambda p: num(med(f"{p}.shield_cpu_pct"), 1) if f"{p}.shield_cpu_pct" in vals
            else "-")
        row("flood packets reaching Kamailio",
            lambda p: num(med(f"{p}.flood_reached")))
        row("flood packets answered", lambda p: num(med(f"{p}.flood_answered")))

        for p in prots:
            ok, want = med(f"{p}.legit_ok"), med(f"{p}.legit_want")
            out[f"{p}_attack_pkts_received"] = rnd(med(f"{p}.attack_pkts_received"))
            out[f"{p}_fingerprinted_pkts_received"] = rnd(med(f"{p}.fingerprinted_pkts_received"))
            for a in ATTACKERS:
                out[f"{p}_{a}_pkts_received"] = rnd(med(f"{p}.recv_{a}"))
            out[f"{p}_server_found"] = rnd(med(f"{p}.server_found"))
            out[f"{p}_extensions_found"] = rnd(med(f"{p}.extensions_found"))
            pc = rnd(med(f"{p}.password_cracked"))
            out[f"{p}_password_cracked"] = None if pc is None else bool(pc)
            out[f"{p}_crack_pkts_received"] = rnd(med(f"{p}.crack_pkts_received"))
            out[f"{p}_legit_success_rate"] = round(ok / want, 4) if want else None
            out[f"{p}_legit_pkts_lost"] = rnd(med(f"{p}.legit_pkts_lost"))
            out[f"{p}_kamailio_cpu_pct"] = rnd(med(f"{p}.kamailio_cpu_pct"), 1)
            out[f"{p}_flood_pkts_reached"] = rnd(med(f"{p}.flood_reached"))
            out[f"{p}_flood_pkts_answered"] = rnd(med(f"{p}.flood_answered"))
        if "sipwarden" in prots:
            out["sipwarden_shield_cpu_pct"] = rnd(med("sipwarden.shield_cpu_pct"), 1)
            kn = med("none.kamailio_cpu_pct") if "none" in prots else None
            ks = med("sipwarden.kamailio_cpu_pct")
            out["kamailio_cpu_sipwarden_vs_none"] = (
                round(ks / kn, 3) if kn and ks is not None else None)

    # ---- capacity -------------------------------------------------------------------------
    noshield = med("cap.noshield_pps")
    if noshield is not None:
        print()
        n = len(vals["cap.noshield_pps"])
        print(f"capacity: packets/s delivered to a sink on 198.18.0.1:5060 from 16 addresses x "
              f"4 ports (flood.c, full speed; median of {n})")
        print(f"{'':44}{'delivered/s':>14}{'generator/s':>14}{'vs no shield':>14}")
        print("-" * 86)
        for m, title in (("noshield", "no shield"),
                         ("w1", "shield, 1 worker (fail-closed)"),
                         ("w2", "shield, 2 workers (fail-closed)")):
            pps = med(f"cap.{m}_pps")
            ratio = pps / noshield if pps is not None and noshield else None
            print(f"{title:44}{num(pps):>14}{num(med(f'cap.{m}_gen_pps')):>14}"
                  f"{num(ratio, 2):>14}")
        out["noshield_pps"] = rnd(noshield)
        out["noshield_gen_pps"] = rnd(med("cap.noshield_gen_pps"))
        for m, name in (("w1", "1core"), ("w2", "2core")):
            pps = med(f"cap.{m}_pps")
            out[f"nfq_pps_{name}"] = rnd(pps)
            out[f"nfq_gen_pps_{name}"] = rnd(med(f"cap.{m}_gen_pps"))
            out[f"nfq_pps_{name}_vs_noshield"] = (
                round(pps / noshield, 3) if pps is not None and noshield else None)
            out[f"nfq_dropped_{name}"] = rnd(med(f"cap.{m}_dropped"))
            jd, dl = med(f"cap.{m}_judged"), med(f"cap.{m}_delivered")
            if jd is not None and dl is not None and dl > jd:
                print(f"note: {m}: {dl - jd:,.0f} packets delivered more than judged")
        r2 = out.get("nfq_pps_2core_vs_noshield")
        out["target_capacity_met"] = r2 is not None and r2 >= 0.5
        if not out["target_capacity_met"]:
            fails.append("capacity")

    # ---- latency --------------------------------------------------------------------------
    if med("lat.noshield_p50_us") is not None and med("lat.shield_p50_us") is not None:
        print()
        n = len(vals["lat.noshield_p50_us"])
        print(f"latency: OPTIONS at the given rate to echo.c, round trip (rtt.c; median of {n})")
        print(f"{'':44}{'p50 us':>10}{'p99 us':>10}{'p99.9 us':>10}{'max us':>10}{'lost':>8}"
              f"{'late sends':>12}")
        print("-" * 104)
        for m, title in (("noshield", "no shield"), ("shield", "shield, 1 worker")):
            print(f"{title:44}{num(med(f'lat.{m}_p50_us'), 1):>10}"
                  f"{num(med(f'lat.{m}_p99_us'), 1):>10}{num(med(f'lat.{m}_p999_us'), 1):>10}"
                  f"{num(med(f'lat.{m}_max_us'), 1):>10}{num(med(f'lat.{m}_lost')):>8}"
                  f"{num(med(f'lat.{m}_late_sends')):>12}")
        a50 = med("lat.shield_p50_us") - med("lat.noshield_p50_us")
        a99 = med("lat.shield_p99_us") - med("lat.noshield_p99_us")
        print(f"{'added by the shield':44}{num(a50, 1):>10}{num(a99, 1):>10}")
        late = max(med("lat.noshield_late_sends") or 0, med("lat.shield_late_sends") or 0)
        if late > 300:
            print(f"note: the sender itself was more than 100 us late on up to {late:,.0f} "
                  "sends: the machine was busy, and its scheduling, not the shield, sets the "
                  "p99 of both rows")
        for m in ("noshield", "shield"):
            for k in ("p50_us", "p99_us", "p999_us", "max_us", "lost", "late_sends"):
                nd = 0 if k in ("lost", "late_sends") else 1
                out[f"latency_{m}_{k}"] = rnd(med(f"lat.{m}_{k}"), nd)
        out["latency_added_p50_us"] = round(a50, 1)
        out["latency_added_p99_us"] = round(a99, 1)
        out["target_latency_met"] = a99 < 1000 and (med("lat.shield_lost") or 0) == 0
        if not out["target_latency_met"]:
            fails.append("latency")

    # ---- deny set -------------------------------------------------------------------------
    if med("deny.flood_pps") is not None:
        print()
        n = len(vals["deny.flood_pps"])
        present = med("deny.set_present")
        print(f"denied source flooding (one friendly-scanner OPTIONS, then full speed from the "
              f"same address; median of {n}); kernel deny set "
              f"{'present' if present else 'ABSENT (the engine drops in user space)'}")
        dp = med("deny.flood_pps")
        print(f"{'flood rate at the generator, packets/s':44}{num(dp):>14}"
              f"   (no-shield delivery: {num(noshield)})")
        print(f"{'packets that reached the server':44}{num(med('deny.delivered')):>14}"
              f"   (of {num(med('deny.flood_sent'))} sent)")
        print(f"{'packets queued to the shield':44}{num(med('deny.queued')):>14}")
        print(f"{'shield CPU during the flood, % of a core':44}"
              f"{num(med('deny.shield_cpu_pct'), 1):>14}")
        out["deny_set_present"] = bool(present)
        out["deny_flood_pps"] = rnd(dp)
        out["deny_flood_sent"] = rnd(med("deny.flood_sent"))
        out["deny_delivered"] = rnd(med("deny.delivered"))
        out["deny_queued"] = rnd(med("deny.queued"))
        out["deny_shield_cpu_pct"] = rnd(med("deny.shield_cpu_pct"), 1)
        out["deny_pps_vs_noshield"] = round(dp / noshield, 3) if noshield else None
        out["target_deny_met"] = (
            noshield is not None and dp >= 0.95 * noshield and
            (med("deny.delivered") or 0) == 0 and (med("deny.shield_cpu_pct") or 0) < 5)
        if not out["target_deny_met"]:
            fails.append("deny")

    # ---- targets --------------------------------------------------------------------------
    print()
    if "sipwarden" in prots:
        fpr = out["sipwarden_fingerprinted_pkts_received"]
        cr = out["sipwarden_crack_pkts_received"]
        out["target_fingerprinted_nothing_met"] = fpr == 0 and cr == 0
        out["target_legit_met"] = (out["sipwarden_legit_pkts_lost"] == 0 and
                                   out["sipwarden_legit_success_rate"] == 1.0)
        print(f"target: fingerprinted tools receive nothing: {fpr} packets (cracker: {cr}) "
              f"{'PASS' if out['target_fingerprinted_nothing_met'] else 'FAIL'}")
        print(f"target: zero legitimate loss: {out['sipwarden_legit_pkts_lost']} packets lost, "
              f"{out['sipwarden_legit_success_rate']:.0%} of transactions successful "
              f"{'PASS' if out['target_legit_met'] else 'FAIL'}")
        for t in ("fingerprinted_nothing", "legit"):
            if not out[f"target_{t}_met"]:
                fails.append(t)
    if "target_capacity_met" in out:
        print(f"target: through the queue >= 0.5x the no-shield rate (2 workers): "
              f"{out['nfq_pps_2core_vs_noshield']:.2f}x (1 worker: "
              f"{out['nfq_pps_1core_vs_noshield']:.2f}x) "
              f"{'PASS' if out['target_capacity_met'] else 'FAIL'}")
    if "target_latency_met" in out:
        print(f"target: added p99 latency < 1 ms: {out['latency_added_p99_us']:.0f} us, "
              f"{out['latency_shield_lost']} lost "
              f"{'PASS' if out['target_latency_met'] else 'FAIL'}")
    if "target_deny_met" in out:
        print(f"target: denied flood dropped in the kernel at >= the no-shield rate (5% "
              f"tolerance), nothing delivered, shield idle (< 5% of a core): "
              f"{out['deny_pps_vs_noshield']:.2f}x, {out['deny_delivered']} delivered, "
              f"{out['deny_shield_cpu_pct']}% CPU {'PASS' if out['target_deny_met'] else 'FAIL'}")
    out["target_met"] = not fails
    print(json.dumps(out))
    return 3 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
