#!/usr/bin/env python3
"""report.py WORKDIR ROWS BYTES RUNS: the table and the JSON line of bench/report.

Reads the records run.py wrote (WORKDIR/<tool>.<round>.json, outputs in .out) for the tools
sipwarden, python and mlr (two commands, mlr_stats and mlr_top, whose times add up and whose
peak memory is the larger), checks that every tool computed the same figures, and prints medians.
"""
import json
import os
import statistics
import sys

work, rows, nbytes, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
FIG = ["count", "mean", "median", "p90", "p99", "max"]


def rec(name, r):
    with open(os.path.join(work, f"{name}.{r}.json")) as f:
        return json.load(f)


def out(name, r):
    with open(os.path.join(work, f"{name}.{r}.out")) as f:
        return f.read()


def figures_sipwarden(r):
    d = json.loads(out("sipwarden", r))
    a = d["amplification"]
    top = [[e["value"] or "", e["count"]] for e in d["servers_raw"]]
    return {"rows": d["rows"], **{k: a[k] for k in FIG}, "top_servers": top}


def figures_python(r):
    return json.loads(out("python", r))


def figures_mlr(r):
    s = json.loads(out("mlr_stats", r))[0]
    t = json.loads(out("mlr_top", r))
    m = {k: s["amplification_" + ("p50" if k == "median" else k)] for k in FIG}
    return {"rows": None, **m, "top_servers": [[e["server"], e["count"]] for e in t]}


tools = {
    "sipwarden": ("sipwarden report summary --json", ["sipwarden"], figures_sipwarden),
    "python": ("python3 csv module (peer.py)", ["python"], figures_python),
    "mlr": ("mlr stats1 -i + count-distinct", ["mlr_stats", "mlr_top"], figures_mlr),
}
res, figs, notes = {}, {}, []
for t, (label, parts, fn) in tools.items():
    walls, cpus, rss, failed = [], [], [], None
    for r in range(runs):
        recs = [rec(p, r) for p in parts]
        for x in recs:
            if x["killed"] or x["exit"] != 0:
                failed = f"{x['cmd']}: " + (
                    f"killed above the memory limit at {x['peak_rss_mb']:.0f} MB" if x["killed"]
                    else f"exit status {x['exit']}")
        walls.append(sum(x["wall_s"] for x in recs))
        cpus.append(sum(x["cpu_s"] for x in recs))
        rss.append(max(x["peak_rss_mb"] for x in recs))
    res[t] = {"label": label, "failed": failed, "wall": statistics.median(walls),
              "cpu": statistics.median(cpus), "rss": max(rss)}
    if failed:
        notes.append(f"{label}: {failed}")
        figs[t] = None
    else:
        try:
            figs[t] = fn(runs - 1)
        except (ValueError, KeyError, IndexError) as e:
            notes.append(f"{label}: output not understood ({e})")
            figs[t] = None


def close(a, b):
    return abs(float(a) - float(b)) <= 1e-4 + 1e-9 * abs(float(a))


# Figures are compared between sipwarden and every peer that finished; a peer that failed (killed
# above the memory limit, a non-zero exit) is named in a note and cannot be the best peer.
agree, mism = True, []
ref = figs["sipwarden"]
if ref is None:
    agree = False
for t in ("python", "mlr"):
    f = figs[t]
    if ref is None or f is None:
        continue
    for k in FIG:
        if not close(ref[k], f[k]):
            agree = False
            mism.append(f"{k}: sipwarden {ref[k]} {t} {f[k]}")
    if ref["top_servers"] != f["top_servers"]:
        agree = False
        mism.append(f"top Server values differ between sipwarden and {t}")
    if f.get("rows") is not None and f["rows"] != ref["rows"]:
        agree = False
        mism.append(f"rows: sipwarden {ref['rows']} {t} {f['rows']}")


def rate(t):
    return rows / res[t]["wall"] if not res[t]["failed"] and res[t]["wall"] > 0 else None


def human(v):
    if v is None:
        return "n/a"
    for div, suf in ((1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{suf}"
    return f"{v:.0f}"


print(f"report summary over a generated scan_sip CSV: {rows:,} rows, {nbytes / 1e9:.2f} GB "
      f"(bench/report.d/gen.c)")
print(f"median of {runs} run(s) per tool, tools interleaved; rows/s = rows / wall time; "
      "peak RSS = the largest of the runs")
print(f"{'tool':<34} {'wall s':>7} {'CPU s':>7} {'rows/s':>9} {'rows/CPU-s':>11} "
      f"{'peak RSS MB':>12}")
print("-" * 85)
for t in tools:
    x = res[t]
    cpu_rate = rows / x["cpu"] if not x["failed"] and x["cpu"] > 0 else None
    print(f"{x['label']:<34} {x['wall']:>7.1f} {x['cpu']:>7.1f} "
          f"{human(rate(t)) if not x['failed'] else 'failed':>9} {human(cpu_rate):>11} "
          f"{x['rss']:>12.1f}")
print("(a failed tool's times are up to its failure)")
print()
ok = [t for t in ("python", "mlr") if rate(t)]
best = max(ok, key=rate) if ok else None
ratio = {t: (rate("sipwarden") / rate(t)) if rate(t) and rate("sipwarden") else None
         for t in ("python", "mlr")}
print("ratios (rows/s, sipwarden over the peer): " + ", ".join(
    f"vs {t} {ratio[t]:.1f}x" if ratio[t] else f"vs {t} n/a" for t in ratio))
done = [t for t in ("python", "mlr") if figs[t] is not None]
print("same figures (count, mean, median, p90, p99, max of amplification; top 10 Server values "
      f"and counts) from sipwarden and {', '.join(done) or 'no peer'}: {'yes' if agree else 'NO'}")
for m in mism:
    print("  mismatch: " + m)
for n in notes:
    print("note: " + n)
best_ratio = ratio[best] if best else None
target = bool(agree and ok and best_ratio and best_ratio > 1)
mem_ok = res["sipwarden"]["rss"] < 1024
print(f"target: faster than the best peer ({best or 'none'}) with the same numbers: "
      f"{(f'{best_ratio:.1f}x ' if best_ratio else '')}{'PASS' if target else 'FAIL'}; "
      f"sipwarden within 1 GiB: {res['sipwarden']['rss']:.0f} MB {'PASS' if mem_ok else 'FAIL'}")

j = {"rows": rows, "file_bytes": nbytes, "runs": runs}
for t in tools:
    r = rate(t)
    j[f"{t}_rows_per_sec"] = round(r) if r else None
    j[f"{t}_wall_s"] = res[t]["wall"] if not res[t]["failed"] else None
    j[f"{t}_cpu_s"] = res[t]["cpu"] if not res[t]["failed"] else None
    j[f"{t}_peak_rss_mb"] = res[t]["rss"]
    j[f"{t}_cpu_rows_per_sec"] = (round(rows / res[t]["cpu"])
                                  if not res[t]["failed"] and res[t]["cpu"] > 0 else None)
    j[f"{t}_failed"] = res[t]["failed"]
for t in ("python", "mlr"):
    j[f"sipwarden_vs_{t}"] = round(ratio[t], 2) if ratio[t] else None
    j[f"sipwarden_rss_vs_{t}"] = (round(res[t]["rss"] / res["sipwarden"]["rss"], 2)
                                  if res["sipwarden"]["rss"] else None)
j["sipwarden_cpu_vs_best_peer"] = (round(j["sipwarden_cpu_rows_per_sec"] /
                                         j[f"{best}_cpu_rows_per_sec"], 2) if best else None)
j["best_peer"] = best
j["sipwarden_vs_best_peer"] = round(best_ratio, 2) if best_ratio else None
if ref:
    j.update({f"amplification_{k}": ref[k] for k in FIG})
j["numbers_agree"] = agree
j["memory_under_1gib"] = mem_ok
j["target_met"] = target
print(json.dumps(j))
