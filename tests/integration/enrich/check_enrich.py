#!/usr/bin/env python3
"""Checks for tests/integration/enrich.sh (stdlib only).

  check_enrich.py ptr-records MAP.json
      Print the dnsmasq --ptr-record options for the responders of MAP.json (one per line):
      every responder has a PTR name except those under NO_PTR and under the black-holed
      198.18.9.0/24, and the fixed responders have the names in FIXED.
  check_enrich.py rows MAP.json PLAIN.csv ENRICHED.csv
      The enriched scan wrote a row for exactly the responders the plain scan found, which are
      exactly the SIP responders of the map; the 30 columns other than the eight enrichment
      ones agree with the plain scan (timestamps within 2 s); and the enrichment columns are
      exactly what the PTR records, the test databases (tests/integration/enrich/mkmmdb.pl)
      and the sector map (enrich.sh) say.
"""

import csv
import ipaddress
import json
import sys

SIPISH = {"minimal400", "verbose200", "multipacket", "oversized", "twice", "compact"}

# Fixed responders: personality, PTR name ("" = none), as enrich.sh places them.
FIXED = {
    "198.18.3.7": ("minimal400", "sip1.example.net"),
    "198.18.4.20": ("verbose200", "pbx.uni.example.edu"),
    "198.18.5.10": ("minimal400", ""),
    "198.18.9.1": ("compact", ""),  # black-holed: the lookup times out
    "198.18.12.34": ("twice", "edge.hosting.example.com"),
    "198.18.15.255": ("minimal400", "ward-7.hospital.example.org"),
    "2001:db8:5c::7": ("minimal400", "v6.example.net"),
    "2001:db8:5c::20": ("verbose200", ""),
}
BLACKHOLE = ipaddress.ip_network("198.18.9.0/24")

# mkmmdb.pl's records: network -> (asn, geo, region, city).
DB = [
    (ipaddress.ip_network("198.18.0.0/22"), ("64500", "DE", "Bavaria", "Munich")),
    (ipaddress.ip_network("198.18.4.0/22"), ("64501", "US", "New York", "New York")),
    (ipaddress.ip_network("198.18.8.0/21"), ("64502", "NL", "", "")),
    (ipaddress.ip_network("2001:db8:5c::/48"), ("64510", "JP", "Tokyo", "Tokyo")),
]

# enrich.sh's sector map, as (key, naics, sector); prefixes beat ASNs, the longest first.
SECTORS = [
    ("AS64500", "517311", "Telecommunications"),
    ("198.18.4.0/24", "611310", "Educational Services"),
    ("198.18.8.0/21", "518210", "Data Processing, Hosting, and Related Services"),
    ("198.18.15.255/32", "622110", "General Medical and Surgical Hospitals"),
    ("AS64510", "518210", "Communications, Service Provider, and Hosting Service"),
]

ENRICH_COLS = ["hostname", "hostname_source", "asn", "geo", "region", "city", "naics", "sector"]


def fail(msg):
    print("check_enrich: FAIL: " + msg)
    sys.exit(1)


def ptr_name(addr, pers_map):
    """The PTR name a responder has in the bed's DNS, "" when none."""
    if addr in FIXED:
        return FIXED[addr][1]
    a = ipaddress.ip_address(addr)
    if a.version == 4 and a in BLACKHOLE:
        return ""
    return "r-%s.bed.example.net" % a.exploded.replace(".", "-").replace(":", "")


def cmd_ptr_records(mp):
    for addr in sorted(mp):
        name = ptr_name(addr, mp)
        if name:
            print("--ptr-record=%s,%s" % (ipaddress.ip_address(addr).reverse_pointer, name))


def expected_enrichment(addr, mp):
    a = ipaddress.ip_address(addr)
    asn = geo = region = city = ""
    for net, rec in DB:
        if a.version == net.version and a in net:
            asn, geo, region, city = rec
    naics, sector = "0", ""
    best = -1
    for key, n, s in SECTORS:
        if key.startswith("AS"):
            continue
        net = ipaddress.ip_network(key)
        if a.version == net.version and a in net and net.prefixlen > best:
            best, naics, sector = net.prefixlen, n, s
    if best < 0:
        for key, n, s in SECTORS:
            if key == "AS" + asn:
                naics, sector = n, s
    host = ptr_name(addr, mp)
    return [host, "ptr" if host else "", asn, geo, region, city, naics, sector]


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = list(csv.reader(f))
    if not r:
        fail("%s is empty" % path)
    hdr = r[0]
    if len(hdr) != 30:
        fail("%s: header has %d columns" % (path, len(hdr)))
    rows = {}
    for row in r[1:]:
        if len(row) != 30:
            fail("%s: a row has %d fields: %r" % (path, len(row), row))
        d = dict(zip(hdr, row))
        if d["ip"] in rows:
            fail("%s: two rows for %s" % (path, d["ip"]))
        rows[d["ip"]] = d
    return hdr, rows


def cmd_rows(mp, plain_path, enr_path):
    want = {a for a, p in mp.items() if p in SIPISH}
    _, plain = read_rows(plain_path)
    hdr, enr = read_rows(enr_path)
    if set(plain) != want:
        fail("plain scan: missing %s, extra %s" % (sorted(want - set(plain)), sorted(set(plain) - want)))
    if set(enr) != want:
        fail("enriched scan: missing %s, extra %s" % (sorted(want - set(enr)), sorted(set(enr) - want)))
    bad = 0
    for addr in sorted(want):
        p, e = plain[addr], enr[addr]
        for col in hdr:
            if col in ENRICH_COLS or col == "timestamp":
                continue
            if p[col] != e[col]:
                print("check_enrich: %s: column %s differs: plain %r, enriched %r" % (addr, col, p[col], e[col]))
                bad += 1
        for col in ENRICH_COLS:
            if p[col] != ("0" if col == "naics" else ""):
                print("check_enrich: %s: plain scan has %s=%r" % (addr, col, p[col]))
                bad += 1
        exp = expected_enrichment(addr, mp)
        got = [e[c] for c in ENRICH_COLS]
        if got != exp:
            print("check_enrich: %s: enrichment %r, expected %r" % (addr, got, exp))
            bad += 1
    if bad:
        fail("%d differences" % bad)
    named = sum(1 for a in want if enr[a]["hostname"])
    print("check_enrich: %d rows, same responders as without enrichment, every enrichment column as expected (%d with a PTR name, %d without)" % (len(want), named, len(want) - named))


def main():
    if len(sys.argv) < 3:
        fail("usage: see the docstring")
    with open(sys.argv[2]) as f:
        mp = json.load(f)
    if sys.argv[1] == "ptr-records":
        cmd_ptr_records(mp)
    elif sys.argv[1] == "rows" and len(sys.argv) == 5:
        cmd_rows(mp, sys.argv[3], sys.argv[4])
    else:
        fail("usage: see the docstring")


if __name__ == "__main__":
    main()
