#!/usr/bin/env bash
# report.sh PATH_TO_SIPWARDEN
#
# End-to-end test of `sipwarden report` on the fixtures in tests/data/report/ (all local, no
# network: enrich runs without --rdns):
#   summary  the seed's sample (mean 7.43, median 6.57 as computed by hand), a Shadowserver-style
#            file with extra columns, quoted commas/newlines, UTF-8 and CRLF read the same plain,
#            gzip and as two gzip members; our JSON Lines; --json parsed by python3;
#   errors   corrupt and truncated gzip, a missing column, rows that cannot be parsed, a file
#            that does not exist, an unreadable mapping file, a database that is not an mmdb:
#            one line naming file (and line) and problem, and the documented exit status;
#   diff     new, gone and changed rows as text, CSV and JSON Lines;
#   split    by asn, geo and prefix=FILE; the parts add up to the input and each holds only its
#            owner's rows; they read back as scan_sip files;
#   enrich   a sector map (and, when libmaxmind-db-writer-perl is installed, the enrichment
#            tests' generated MaxMind databases): columns filled by name, others kept; the
#            enrichment options checked as scan checks them (a bad --resolver, out-of-range
#            --rdns-concurrency and --rdns-timeout), and a loopback resolver that never answers;
#   chart    a self-contained SVG, well-formed, opened in headless Chromium: every panel is laid
#            out with a non-empty box and the bars are there. Skipped, saying so, only when
#            chromium is not installed.
#
# Exit: 0 pass, 1 fail.
set -u
set -o pipefail

SW=${1:?usage: report.sh PATH_TO_SIPWARDEN}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
D=$(cd "$HERE/../data/report" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fails=0
ok() { printf '[report] ok: %s\n' "$*"; }
bad() {
	printf '[report] FAIL: %s\n' "$*"
	fails=$((fails + 1))
}
# expect_exit WANT DESC CMD...: run, keep stdout/stderr in $WORK/out, $WORK/err.
expect_exit() {
	local want=$1 desc=$2
	shift 2
	"$@" >"$WORK/out" 2>"$WORK/err"
	local rc=$?
	if [[ $rc == "$want" ]]; then ok "$desc (exit $rc)"; else
		bad "$desc: exit $rc, wanted $want; stderr: $(head -c 400 "$WORK/err")"
	fi
}
contains() { # FILE TEXT DESC
	if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: '$2' not in $(head -c 600 "$1")"; fi
}
one_line() { # stderr has exactly one line
	local n
	n=$(wc -l <"$WORK/err")
	if [[ $n == 1 ]]; then ok "$1: one line"; else bad "$1: $n lines on stderr: $(cat "$WORK/err")"; fi
}
json() { python3 -c "import json,sys; d=json.load(open('$WORK/out')); $1"; }

# ---- summary ---------------------------------------------------------------------------------
expect_exit 0 "summary of the seed's sample" "$SW" report summary "$D/seed_sample.csv"
contains "$WORK/out" "mean 7.43, median 6.57" "seed sample: mean and median"
contains "$WORK/out" "3 rows, 3 unique addresses" "seed sample: responders"
contains "$WORK/out" "156 (" "seed sample: response bytes 25+85+46"

expect_exit 0 "summary --json, Shadowserver-style file" "$SW" report summary --json "$D/shadowserver_extra.csv"
json 'a=d["amplification"]; assert d["rows"]==4 and a["median"]==20.25 and a["max"]==61.43, d' &&
	ok "extra columns: 4 rows, median 20.25, max 61.43" || bad "extra columns: figures"
json 'p=d["products"][0]; assert p["product"]=="Asterisk PBX *" and p["count"]==2 and len(p["raw"])==2, p' &&
	ok "versions folded, raw values kept" || bad "product folding"
json 'assert [c["geo"] for c in d["countries"]]==["DE","FR","JP"] and d["response_bytes"]==739, d' &&
	ok "countries, response bytes" || bad "countries/response bytes"
cp "$WORK/out" "$WORK/plain.json"
for f in shadowserver_extra.csv.gz two_members.csv.gz; do
	"$SW" report summary --json "$D/$f" >"$WORK/out" 2>"$WORK/err"
	if python3 - "$WORK/plain.json" "$WORK/out" <<'EOF'; then ok "$f reads like the plain file"; else bad "$f differs"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
del a["files"], b["files"]
sys.exit(0 if a == b else 1)
EOF
done
expect_exit 0 "summary of JSON Lines" "$SW" report summary --json "$D/scan.jsonl"
json 'assert d["rows"]==3 and d["amplification"]["mean"]==7.4267 and d["files"][0]["format"]=="jsonl", d' &&
	ok "JSON Lines: rows and mean" || bad "JSON Lines figures"
expect_exit 0 "summary --raw" "$SW" report summary --raw "$D/shadowserver_extra.csv"
contains "$WORK/out" "Asterisk PBX 16.2.1~dfsg-1" "--raw lists raw values"

# ---- bad input -------------------------------------------------------------------------------
expect_exit 2 "corrupt gzip" "$SW" report summary "$D/corrupt.csv.gz"
contains "$WORK/err" "corrupt.csv.gz: line 1: corrupt gzip data" "corrupt gzip named"
one_line "corrupt gzip"
expect_exit 1 "truncated gzip (rows before the damage still count)" "$SW" report summary "$D/truncated.csv.gz"
contains "$WORK/err" "truncated.csv.gz: line" "truncated gzip: file and line"
contains "$WORK/err" "gzip data ends early" "truncated gzip: problem"
expect_exit 2 "missing column" "$SW" report summary "$D/no_amplification.csv"
contains "$WORK/err" "no_amplification.csv: line 1: no 'amplification' column (summary needs it)" "missing column named"
one_line "missing column"
expect_exit 1 "rows that cannot be parsed" "$SW" report summary "$D/bad_rows.csv"
contains "$WORK/out" "bad_rows.csv: line 4: 5 fields, the header has 30" "bad row: file, line, problem"
contains "$WORK/out" "line 5: amplification is not a number: 'lots'" "bad value: file, line, problem"
contains "$WORK/out" "line 6: ip is not an address: 'not-an-ip'" "bad ip: file, line, problem"
contains "$WORK/err" "1 row(s) could not be parsed" "bad rows counted on stderr"
expect_exit 1 "JSON Lines with bad lines" "$SW" report summary "$D/scan_bad.jsonl"
contains "$WORK/out" "scan_bad.jsonl: line 4: not a JSON object at byte 1" "bad JSON line named"
expect_exit 2 "missing file" "$SW" report summary "$D/nope.csv"
contains "$WORK/err" "nope.csv: cannot open: No such file or directory" "missing file named"
expect_exit 2 "unknown subcommand" "$SW" report frobnicate x
expect_exit 2 "option of another subcommand" "$SW" report summary --by asn "$D/seed_sample.csv"
one_line "option of another subcommand"

# ---- diff ------------------------------------------------------------------------------------
expect_exit 0 "diff (text)" "$SW" report diff "$D/diff_old.csv" "$D/diff_new.csv"
contains "$WORK/out" "~ changed  198.51.100.1:5060  AS64500 DE  server 'Asterisk PBX 16.2.1' -> 'Asterisk PBX 20.5.2'" "diff: version change"
contains "$WORK/out" "~ changed  198.51.100.4:5060  AS64501 FR  amplification '3.57' -> '30.00'" "diff: amplification change"
contains "$WORK/out" "+ new      198.51.100.9:5080" "diff: new exposure"
contains "$WORK/out" "- gone     198.51.100.3:5060" "diff: gone exposure"
contains "$WORK/out" "diff: 1 new, 1 gone, 2 changed, 2 unchanged" "diff: counts (12.10 -> 12.50 is within 25%)"
expect_exit 0 "diff --amp-change 1" "$SW" report diff --amp-change 1 "$D/diff_old.csv" "$D/diff_new.csv"
contains "$WORK/out" "3 changed, 1 unchanged" "diff: a lower threshold sees the 3% change"
expect_exit 0 "diff -O csv" "$SW" report diff -O csv -q "$D/diff_old.csv" "$D/diff_new.csv"
[[ $(wc -l <"$WORK/out") == 5 ]] && ok "diff csv: header + 4 changes" || bad "diff csv lines"
contains "$WORK/out" 'gone,198.51.100.3,5060,64501,FR,,"Grandstream GXP2160 1.0.11.23"' "diff csv: gone row"
expect_exit 0 "diff -O json" "$SW" report diff -O json -q "$D/diff_old.csv" "$D/diff_new.csv"
python3 -c "
import json
rows=[json.loads(l) for l in open('$WORK/out')]
k={r['change'] for r in rows}; assert k=={'new','gone','changed'}, k
c=[r for r in rows if r['change']=='changed' and 'amplification' in r['changed']][0]
assert c['old']['amplification']==3.57 and c['new']['amplification']==30.0, c
" && ok "diff json: kinds and values" || bad "diff json"
expect_exit 2 "diff with a missing column" "$SW" report diff "$D/diff_old.csv" "$D/empty-nope.csv"

# ---- split -----------------------------------------------------------------------------------
expect_exit 0 "split --by asn" "$SW" report split --by asn -o "$WORK/asn" "$D/shadowserver_extra.csv" "$D/diff_old.csv"
[[ -f "$WORK/asn/AS64500.csv" && -f "$WORK/asn/AS64501.csv" && -f "$WORK/asn/AS64502.csv" ]] &&
	ok "split asn: one file per ASN" || bad "split asn files: $(ls "$WORK/asn")"
python3 - "$WORK/asn" <<'EOF' && ok "split asn: parts add up, each only its ASN, columns kept" || bad "split asn content"
import csv, os, sys
total = 0
for f in os.listdir(sys.argv[1]):
    rows = list(csv.DictReader(open(os.path.join(sys.argv[1], f), newline="", encoding="utf-8")))
    total += len(rows)
    assert all("AS" + r["asn"] + ".csv" == f for r in rows), f
    assert "device_model" in rows[0], rows[0].keys()
assert total == 9, total
EOF
"$SW" report summary "$WORK/asn/AS64501.csv" >"$WORK/out" 2>&1 && contains "$WORK/out" "3 rows" "split output reads back"
contains "$WORK/asn/AS64501.csv" '"line one' "split keeps an embedded newline, quoted"
expect_exit 0 "split --by geo" "$SW" report split --by geo -q -o "$WORK/geo" "$D/shadowserver_extra.csv"
[[ -f "$WORK/geo/DE.csv" && -f "$WORK/geo/JP.csv" ]] && ok "split geo files" || bad "split geo: $(ls "$WORK/geo")"
expect_exit 0 "split --by prefix=FILE" "$SW" report split --by "prefix=$D/owners.map" -o "$WORK/pfx" "$D/diff_old.csv" "$D/diff_new.csv"
[[ $(($(wc -l <"$WORK/pfx/acme-voice.csv") - 1)) == 5 && $(($(wc -l <"$WORK/pfx/acme.csv") - 1)) == 3 &&
	$(($(wc -l <"$WORK/pfx/example-v6.csv") - 1)) == 2 ]] &&
	ok "split prefix: longest prefix wins (3 in /30, 3 in the rest of the /24, 2 IPv6... )" ||
	bad "split prefix counts: $(wc -l "$WORK"/pfx/*)"
expect_exit 2 "split with an unreadable mapping file" "$SW" report split --by "prefix=$WORK/nope.map" -o "$WORK/x" "$D/diff_old.csv"
contains "$WORK/err" "nope.map: cannot open the mapping file" "mapping file named"
one_line "unreadable mapping file"
expect_exit 2 "split with a partial overlap" "$SW" report split --by "prefix=$D/overlap.map" -o "$WORK/x" "$D/diff_old.csv"
contains "$WORK/err" "overlap.map:2: overlaps line 1 partially" "overlap named with its line"
printf '198.51.100.0/24 a\n198.51.100.x b\n' >"$WORK/badline.map"
expect_exit 2 "split with a bad mapping line" "$SW" report split --by "prefix=$WORK/badline.map" -o "$WORK/x" "$D/diff_old.csv"
contains "$WORK/err" "badline.map:2:" "bad mapping line: file and line"

# ---- enrich ----------------------------------------------------------------------------------
# Without --asn-db only prefix entries can match (an AS entry needs the ASN database's answer).
printf 'AS64500 517311 Telecommunications\n198.51.100.0/30 611310 "Educational Services"\n' >"$WORK/sector.map"
expect_exit 0 "enrich --sector-map" "$SW" report enrich -q --sector-map "$WORK/sector.map" "$D/diff_old.csv" "$WORK/enriched.csv"
python3 - "$WORK/enriched.csv" <<'EOF' && ok "enrich: naics/sector by prefix, other columns kept" || bad "enrich sector"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
by = {r["ip"]: r for r in rows}
assert by["198.51.100.1"]["naics"] == "611310" and by["198.51.100.1"]["sector"] == "Educational Services", by["198.51.100.1"]
assert by["198.51.100.4"]["naics"] == "0", by["198.51.100.4"]
assert by["2001:db8::5"]["naics"] == "0" and by["2001:db8::5"]["sector"] == ""
assert by["198.51.100.1"]["server"] == "Asterisk PBX 16.2.1" and by["198.51.100.1"]["asn"] == "64500"
assert len(rows) == 5
EOF
expect_exit 2 "enrich with a database that is not an mmdb" "$SW" report enrich --asn-db "$D/seed_sample.csv" "$D/diff_old.csv" "$WORK/x.csv"
contains "$WORK/err" "seed_sample.csv: not a MaxMind DB file" "not an mmdb: named"
one_line "not an mmdb"
expect_exit 2 "enrich with an unreadable sector map" "$SW" report enrich --sector-map "$WORK/nope.map" "$D/diff_old.csv" "$WORK/x.csv"
contains "$WORK/err" "nope.map" "unreadable sector map named"
# The enrichment options are checked as scan checks them, when they are read: a bad --resolver
# (a name, a port out of range) fails before the input is opened (this one does not exist, and
# the message must not be about it) and no output is created.
for r in dns.example 192.0.2.53:65536 '[2001:db8::53'; do
	rm -f "$WORK/x.csv"
	expect_exit 2 "enrich --resolver '$r'" "$SW" report enrich --resolver "$r" "$WORK/nope.csv" "$WORK/x.csv"
	contains "$WORK/err" "sipwarden report enrich: --resolver '$r': expected ADDR, ADDR:PORT or [IPV6ADDR]:PORT (an IP address, not a name)" "bad resolver '$r' named"
	one_line "bad resolver '$r'"
	[[ ! -e "$WORK/x.csv" ]] && ok "bad resolver '$r': no output" || bad "bad resolver '$r': output created"
done
expect_exit 2 "enrich --rdns-concurrency above the limit" "$SW" report enrich --rdns-concurrency 4097 "$D/diff_old.csv" "$WORK/x.csv"
contains "$WORK/err" "--rdns-concurrency '4097': expected a whole number from 1 to 4096" "concurrency limit named"
expect_exit 2 "enrich --rdns-timeout 0" "$SW" report enrich --rdns-timeout 0 "$D/diff_old.csv" "$WORK/x.csv"
contains "$WORK/err" "--rdns-timeout '0': expected a whole number from 1 to 600000" "timeout range named"
# A resolver given as an address is taken. Its PTR queries go to the discard port on loopback,
# which never answers: every row is written after the 50 ms timeout, without a hostname.
expect_exit 0 "enrich --resolver 127.0.0.1:9" "$SW" report enrich -q --resolver 127.0.0.1:9 --rdns-timeout 50 "$D/diff_old.csv" "$WORK/x.csv"
[[ $(wc -l <"$WORK/x.csv") == 6 ]] && ok "resolver without answers: all 5 rows written" || bad "resolver without answers: $(wc -l <"$WORK/x.csv") lines"
if perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null; then
	mkdir -p "$WORK/mm"
	perl "$HERE/enrich/mkmmdb.pl" "$WORK/mm" >/dev/null
	cat >"$WORK/in.csv" <<'EOF'
"timestamp","severity","ip","port","asn","geo","region","city","amplification","extra"
"2026-11-01 00:00:01",high,198.18.0.5,5060,1,XX,R,C,3.57,"keep, me"
"2026-11-01 00:00:02",high,2001:db8:5c::1,5060,,,,,3.57,x
"2026-11-01 00:00:03",high,bogus,5060,7,,,,3.57,y
EOF
	expect_exit 1 "enrich with MaxMind databases (one ip is not an address)" "$SW" report enrich -q \
		--asn-db "$WORK/mm/asn.mmdb" --city-db "$WORK/mm/city.mmdb" --sector-map "$WORK/sector.map" \
		"$WORK/in.csv" "$WORK/mm.csv"
	contains "$WORK/mm.csv" '"2026-11-01 00:00:01",high,198.18.0.5,5060,64500,DE,Bavaria,Munich,3.57,"keep, me",,,517311,Telecommunications' "enrich: asn, geo, region, city from the databases, sector by AS"
	contains "$WORK/mm.csv" '2001:db8:5c::1,5060,64510,JP,Tokyo,Tokyo' "enrich: IPv6"
	contains "$WORK/mm.csv" 'bogus,5060,7,,,,3.57,y' "enrich: a row without an address is kept as it was"
	contains "$WORK/mm.csv" '"hostname","hostname_source","naics","sector"' "enrich: missing enrichment columns appended"
	contains "$WORK/err" "in.csv: line 4" "enrich: the bad ip's line"
else
	echo "[report] skipped: enrich with MaxMind databases (perl MaxMind::DB::Writer::Tree missing: Debian libmaxmind-db-writer-perl)"
fi

# ---- chart -----------------------------------------------------------------------------------
expect_exit 0 "chart" "$SW" report chart -o "$WORK/chart.svg" "$D/shadowserver_extra.csv" "$D/diff_old.csv"
python3 - "$WORK/chart.svg" <<'EOF' && ok "chart: well-formed, self-contained, every panel" || bad "chart svg"
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
ids = {e.get("id") for e in t.iter() if e.get("id")}
assert {"headline", "amp-histogram", "amp-median", "top-products", "top-countries", "top-asns"} <= ids, ids
assert len([e for e in t.iter(ns + "rect") if e.get("class") == "bar"]) == 11 + 4 + 3 + 3
src = open(sys.argv[1]).read()
assert "<script" not in src and "href=" not in src and "@import" not in src
assert "Asterisk PBX *" in src and "AS64500" in src
EOF
if command -v chromium >/dev/null 2>&1; then
	{
		echo '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
		sed 1d "$WORK/chart.svg"
		cat <<'EOF'
<script>
const r = {};
for (const id of ["headline", "amp-histogram", "top-products", "top-countries", "top-asns"]) {
  const e = document.getElementById(id);
  const b = e ? e.getBBox() : {width: 0, height: 0};
  r[id] = [Math.round(b.width), Math.round(b.height)];
}
r.bars = [...document.querySelectorAll("rect.bar")].filter(e => e.getBBox().width > 0).length;
r.texts = document.querySelectorAll("text").length;
const s = document.querySelector("svg").getBoundingClientRect();
r.svg = [Math.round(s.width), Math.round(s.height)];
document.body.setAttribute("data-rendered", JSON.stringify(r));
</script></body></html>
EOF
	} >"$WORK/chart.html"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
		--user-data-dir="$WORK/chromium" --dump-dom "file://$WORK/chart.html" >"$WORK/dom.html" 2>"$WORK/chromium.err"
	python3 - "$WORK/dom.html" <<'EOF' && ok "chromium renders the chart: every panel laid out, all bars present" || bad "chromium rendering: $(head -c 300 "$WORK/chromium.err")"
import html, json, re, sys
m = re.search(r'data-rendered="([^"]*)"', open(sys.argv[1], encoding="utf-8").read())
assert m, "no result in the DOM"
r = json.loads(html.unescape(m.group(1)))
print("[report] chromium:", r)
for k in ("headline", "amp-histogram", "top-products", "top-countries", "top-asns"):
    assert r[k][0] > 50 and r[k][1] > 20, (k, r[k])
assert r["bars"] == 11 + 4 + 3 + 3, r["bars"]
assert r["svg"][0] == 960, r["svg"]
EOF
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
		--user-data-dir="$WORK/chromium" --window-size=960,760 --screenshot="$WORK/chart.png" \
		"file://$WORK/chart.svg" >/dev/null 2>&1
	[[ -s "$WORK/chart.png" && $(stat -c %s "$WORK/chart.png") -gt 10000 ]] &&
		ok "chromium screenshot of the SVG ($(stat -c %s "$WORK/chart.png") bytes)" || bad "chromium screenshot"
else
	echo "[report] skipped: chart rendering in a browser (chromium not installed: Debian package chromium)"
fi

if ((fails)); then
	echo "[report] $fails check(s) failed"
	exit 1
fi
echo "[report] all checks passed"
