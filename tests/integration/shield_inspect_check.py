#!/usr/bin/env python3
"""Checks for shield_inspect.sh: `sipwarden inspect` verdicts on the shield test bed's capture.

Every check prints one line, "ok ..." or "FAIL ..."; the exit status is the number of failures
(capped at 1). The expectations come from parties.tsv, which the test bed writes: one line per
party with its address, kind (legit or attack), the tool it runs and what should give it away.
"""
import argparse
import collections
import json
import sys

# The tool names the rules may report for each tool of the bed (SIPVicious rules shared by its
# three tools name the family).
TOOL_NAMES = {
    "svmap": {"svmap", "sipvicious"},
    "svwar": {"svwar", "sipvicious"},
    "svcrack": {"svcrack", "sipvicious"},
    "sipsak": {"sipsak"},
    "nmap": {"nmap"},
}
BEHAVIOUR_REASONS = {"untrusted-signal-threshold", "password-guessing", "enumeration",
                     "method-sweep"}
UNTRUSTED_THRESHOLD = 20  # conf/shield.conf
AUTH_FAILURE_THRESHOLD = 4

failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sources_of(path):
    rows = load_jsonl(path)
    totals = [r for r in rows if r["type"] == "totals"]
    check(len(totals) == 1 and rows[-1]["type"] == "totals",
          f"{path}: one totals object, last")
    return {r["source"]: r for r in rows if r["type"] == "source"}, totals[0] if totals else {}


def parties_of(path):
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        return [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]


def check_legit(run, p, s):
    role = p["role"]
    if s is None:
        check(False, f"{run}: {role} ({p['address']}) appears in the report")
        return
    check(s["dropped_in"] == 0 and s["dropped_out"] == 0,
          f"{run}: {role}: no legitimate message dropped "
          f"({s['messages_in']} in, {s['messages_out']} out, "
          f"{s['dropped_in']}/{s['dropped_out']} dropped)")
    check(s["state"] != "denied", f"{run}: {role}: not denied (state {s['state']})")
    if role == "trunk":
        check(s["state"] == "untrusted" and s["messages_in"] >= 15,
              f"{run}: trunk: {s['messages_in']} OPTIONS passed while untrusted")
        return
    reg = [t for t in s["transitions"] if t["reason"] == "registered"]
    want = 8 if role == "natted" else 1
    endpoints = {t["endpoint"] for t in reg}
    check(s["state"] == "trusted" and len(endpoints) >= want,
          f"{run}: {role}: trusted after 2xx to REGISTER ({len(endpoints)} endpoint(s) "
          f"promoted, want {want})")


def main():
    ap = argparse.ArgumentParser()
    for a in ("parties", "default", "matched", "dropped", "behaviour", "bad-err", "bad-conf"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--bad-rc", type=int, required=True)
    o = ap.parse_args()

    parties = parties_of(o.parties)
    check(len(parties) >= 13, f"parties.tsv lists {len(parties)} parties")

    # ---- shipped defaults ----
    src, totals = sources_of(o.default)
    for p in parties:
        s = src.get(p["address"])
        if p["kind"] == "legit":
            check_legit("defaults", p, s)
            continue
        role, tool = p["role"], p["tool"]
        if s is None:
            check(False, f"defaults: {role} ({p['address']}) appears in the report")
            continue
        names = TOOL_NAMES.get(tool, {tool})
        check(s["tool"] in names and s.get("identified_at_message") == 1,
              f"defaults: {role}: identified as {s['tool']} (want one of {sorted(names)}) "
              f"on its message {s.get('identified_at_message')} (want 1)")
        check(s["state"] == "denied" and s["reasons"].get("fingerprint", 0) >= 1,
              f"defaults: {role}: denied by fingerprint (state {s['state']}, "
              f"reasons {s['reasons']})")
        check(s["dropped_in"] == s["messages_in"] and s["dropped_out"] == s["messages_out"],
              f"defaults: {role}: all {s['messages_in']} messages dropped and all "
              f"{s['messages_out']} answers to it dropped (the tool learns nothing)")
        if "non-ua" in p["expects"]:
            ua_rules = [r for r in s["rules"] if r.endswith("-ua")]
            check(not ua_rules,
                  f"defaults: {role}: identified without a User-Agent rule ({s['rules']})")
    check(totals.get("promotions", 0) >= 11,
          f"defaults: {totals.get('promotions')} promotions (phones 101, 102, 110-117, 120 "
          "at least)")

    # matched-message log: every drop of the report is in it, none for legitimate parties
    matched = load_jsonl(o.matched)
    legit = {p["address"] for p in parties if p["kind"] == "legit"}
    per = collections.Counter()
    for m in matched:
        remote = (m["src"] if m["dir"] == "in" else m["dst"]).rsplit(":", 1)[0]
        if m["verdict"] != "flag":
            per[remote] += 1
        check_fields = all(k in m for k in ("time", "src", "dst", "realm", "verdict", "reason"))
        if not check_fields:
            check(False, f"matched log record has time/src/dst/realm/verdict/reason: {m}")
            break
    for p in parties:
        s = src.get(p["address"])
        if s is None:
            continue
        want = s["dropped_in"] + s["dropped_out"]
        check(per[p["address"]] == want,
              f"matched log: {p['role']}: {per[p['address']]} drop records (report: {want})")
    first_denies = [m for m in matched if m["verdict"] == "deny" and m["reason"] == "fingerprint"]
    check(all(m.get("rules") and m["rules"][0].get("field") and "value" in m["rules"][0]
              for m in first_denies),
          f"matched log: {len(first_denies)} fingerprint denials name rule, field and value")
    # the pcap of dropped packets holds exactly the dropped packets
    with open(o.dropped, encoding="utf-8") as f:
        dropped = [line.split("\t") for line in f if line.strip()]
    check(len(dropped) == sum(per.values()),
          f"dropped.pcap: {len(dropped)} packets (matched log: {sum(per.values())} drops)")
    check(not any(a in legit or b.strip() in legit for a, b in dropped),
          "dropped.pcap: no packet from or to a legitimate party")

    # ---- behaviour only ----
    src, _ = sources_of(o.behaviour)
    for p in parties:
        s = src.get(p["address"])
        if p["kind"] == "legit":
            check_legit("behaviour", p, s)
            continue
        if "behaviour" not in p["expects"] or s is None:
            continue
        accepted = s["messages_in"] - s["dropped_in"]
        reasons = set(s["reasons"]) & BEHAVIOUR_REASONS
        limit = AUTH_FAILURE_THRESHOLD + 2 if p["tool"] == "svcrack" else UNTRUSTED_THRESHOLD
        check(s["state"] == "denied" and reasons and accepted <= limit,
              f"behaviour: {p['role']}: denied for {sorted(reasons)} after {accepted} "
              f"accepted messages (at most {limit})")
        if p["tool"] == "svcrack":
            check("password-guessing" in reasons,
                  f"behaviour: svcrack: password guessing found ({s['reasons']})")

    # ---- broken config ----
    with open(o.bad_err, encoding="utf-8") as f:
        err = f.read().strip()
    check(o.bad_rc == 2 and f"{o.bad_conf}:4: deny-period = 'soon'" in err,
          f"bad config: exit {o.bad_rc} (want 2), message: {err}")

    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
