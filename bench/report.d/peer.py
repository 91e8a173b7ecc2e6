#!/usr/bin/env python3
"""peer.py FILE [TOP]: what a user would write with Python's csv module - the same figures as
`sipwarden report summary` for the comparison in bench/report: row count, amplification count,
mean, median, p90, p99 (linear interpolation between closest ranks, R type 7 = numpy's default =
Miller's stats1 -i), max, and the top TOP Server values (empty included) by count, ties by
value. One pass with csv.reader (faster than csv.DictReader: columns by index from the header).
Prints one JSON object."""
import csv
import json
import sys
from collections import Counter


def quantile(xs, p):
    h = p * (len(xs) - 1)
    k = int(h)
    f = h - k
    lo = xs[k]
    hi = xs[k + 1] if k + 1 < len(xs) else lo
    return lo + f * (hi - lo)


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    rows = 0
    amps = []
    servers = Counter()
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        hdr = next(r)
        ia = hdr.index("amplification")
        isv = hdr.index("server")
        for row in r:
            rows += 1
            a = row[ia]
            if a:
                amps.append(float(a))
            servers[row[isv]] += 1
    amps.sort()
    top_servers = sorted(servers.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    out = {
        "rows": rows,
        "count": len(amps),
        "mean": round(sum(amps) / len(amps), 4),
        "median": round(quantile(amps, 0.5), 4),
        "p90": round(quantile(amps, 0.9), 4),
        "p99": round(quantile(amps, 0.99), 4),
        "max": amps[-1],
        "top_servers": [[k, v] for k, v in top_servers],
    }
    print(json.dumps(out))


main()
