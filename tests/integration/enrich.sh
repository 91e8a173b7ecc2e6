#!/usr/bin/env bash
# enrich.sh PATH_TO_SIPWARDEN
#
# Integration test of the scan's enrichment columns (hostname, hostname_source, asn, geo, region,
# city, naics, sector) with real components, on the namespace test bed of scan_netns.sh
# (tests/integration/scan/testbed.sh):
#   - reverse DNS from a real dnsmasq in the target namespace on 198.19.254.2:53, answering PTR
#     queries from --ptr-record entries (NXDOMAIN for names it has none for), and forwarding one
#     zone (9.18.198.in-addr.arpa) to an address nobody holds, so those lookups time out;
#   - MaxMind DB files written here by enrich/mkmmdb.pl with MaxMind::DB::Writer::Tree
#     (libmaxmind-db-writer-perl): GeoLite2-ASN and -City layouts, DB-IP layouts;
#   - a sector map with AS and prefix entries.
# It checks, for every responder, the eight columns exactly (enrich/check_enrich.py); that the
# scan with reverse DNS finds exactly the responders the scan without it finds, at the same
# send rate; one PTR query per row; JSON Lines; a missing database (one warning, exit 0); and
# bad input, each one line on stderr naming the file (and line) with exit status 2: a file that
# is not a MaxMind DB, a database of the wrong kind, a missing or unreadable sector map, a bad
# map line, a resolver that is not an address.
#
# Exit: 0 pass, 1 fail, 77 skip (namespaces, python3, perl's MaxMind::DB::Writer::Tree or dnsmasq
# unavailable; the reason is printed).
#
# Network: every packet stays inside the two namespaces this test creates and removes (EXIT
# trap). Every scan is given --resolver 198.19.254.2 (the namespace's dnsmasq): no query ever
# goes to the system's resolvers. dnsmasq is started and stopped by pid.

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENR="$HERE/enrich"

log() { printf '[enrich] %s\n' "$*"; }
skip() {
	log "SKIP: $*"
	exit 77
}
die() {
	log "FAIL: $*"
	exit 1
}

[ $# -eq 1 ] || { echo "usage: $0 PATH_TO_SIPWARDEN" >&2; exit 1; }
SIPWARDEN=$1
[ -x "$SIPWARDEN" ] || die "sipwarden binary '$SIPWARDEN' is not executable"
SIPWARDEN=$(cd "$(dirname "$SIPWARDEN")" && pwd)/$(basename "$SIPWARDEN")

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
	skip "perl's MaxMind::DB::Writer::Tree is not installed (Debian: libmaxmind-db-writer-perl)"
DNSMASQ=$(command -v dnsmasq || { [ -x /usr/sbin/dnsmasq ] && echo /usr/sbin/dnsmasq; })
[ -n "$DNSMASQ" ] || skip "dnsmasq is not installed (Debian: dnsmasq-base)"
# shellcheck source-path=SCRIPTDIR source=scan/testbed.sh
source "$HERE/scan/testbed.sh"
why=$(testbed_unavailable)
[ -z "$why" ] || skip "$why"
PY=$TB_PYTHON

WORK=$(mktemp -d /tmp/sw-enrich.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
FAILED=()
PASSED=0
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	testbed_down
	if [ "${SW_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() {
	PASSED=$((PASSED + 1))
	log "ok   $*"
}
failed() {
	FAILED+=("$1")
	log "FAIL $*"
}

# --- databases and map --------------------------------------------------------------------
DB="$WORK/db"
mkdir -p "$DB"
perl "$ENR/mkmmdb.pl" "$DB" || die "mkmmdb.pl could not write the test databases"
MAP="$WORK/sector.map"
cat >"$MAP" <<'MAPEOF'
# sector map of the enrichment test (keep in step with enrich/check_enrich.py SECTORS)
AS64500             517311  Telecommunications
198.18.4.0/24       611310  "Educational Services"
198.18.8.0/21       518210  Data Processing, Hosting, and Related Services
198.18.15.255       622110  General Medical and Surgical Hospitals   # one address
AS64510             518210  Communications, Service Provider, and Hosting Service
MAPEOF

# --- the bed, responders, dnsmasq ----------------------------------------------------------
testbed_up 4096 "$WORK/bed" || die "cannot build the test bed"
RESP_MAP="$WORK/map.json"
"$PY" "$HERE/scan/tbtool.py" config --prefix "$TB_PREFIX" --count 40 --silent 4 --seed 23 \
	--fixed 198.18.3.7=minimal400 --fixed 198.18.4.20=verbose200 --fixed 198.18.5.10=minimal400 \
	--fixed 198.18.9.1=compact --fixed 198.18.12.34=twice --fixed 198.18.15.255=minimal400 \
	--fixed 2001:db8:5c::7=minimal400 --fixed 2001:db8:5c::20=verbose200 \
	--out "$RESP_MAP" >"$WORK/map.txt" || die "cannot write the responder map"
log "responders: $(cat "$WORK/map.txt")"
testbed_start_responder "$RESP_MAP" 600 || die "cannot start the responder"

DNS_ADDR=$TB_TGT_ADDR # 198.19.254.2, in the target namespace
BLACKHOLE=198.19.254.77 # on the bed's link, held by nobody: forwarded queries die there
mapfile -t PTRS < <("$PY" "$ENR/check_enrich.py" ptr-records "$RESP_MAP") || die "ptr records"
DNS_LOG="$WORK/dnsmasq.log"
tb_bg "$WORK/dnsmasq.out" "$TB_TGT_NS" "$DNSMASQ" --keep-in-foreground --conf-file=/dev/null \
	--no-resolv --no-hosts --pid-file= --user=root --bind-interfaces \
	--listen-address="$DNS_ADDR" --port=53 --local=/arpa/ \
	--server="/9.18.198.in-addr.arpa/$BLACKHOLE" \
	--log-queries --log-facility="$DNS_LOG" "${PTRS[@]}"
DNS_PID=$TB_LAST_PID
for _ in $(seq 1 100); do
	tb_tgt ss -Hnul "sport = :53" 2>/dev/null | grep -q "$DNS_ADDR:53" && break
	kill -0 "$DNS_PID" 2>/dev/null || break
	sleep 0.05
done
tb_tgt ss -Hnul "sport = :53" | grep -q "$DNS_ADDR:53" || {
	cat "$WORK/dnsmasq.out" >&2
	die "dnsmasq did not start listening on $DNS_ADDR:53"
}
log "dnsmasq pid $DNS_PID on $DNS_ADDR:53 in $TB_TGT_NS, ${#PTRS[@]} PTR records, 9.18.198.in-addr.arpa forwarded to $BLACKHOLE (no answer)"
testbed_watchdog

# run_scan NAME TIMEOUT ARGS...: sipwarden scan in the scanner namespace under a time limit;
# stdout, stderr and the exit status in $WORK/NAME.{out,err,rc}; the seconds it took in NAME.secs.
run_scan() {
	local name=$1 tmo=$2 t0 t1 rc
	shift 2
	t0=$(date +%s.%N)
	tb_scn timeout -k 5 "$tmo" "$SIPWARDEN" scan "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
	rc=$?
	t1=$(date +%s.%N)
	echo "$rc" >"$WORK/$name.rc"
	"$PY" -c "print('%.2f' % ($t1 - $t0))" >"$WORK/$name.secs"
	return 0
}
rc_of() { cat "$WORK/$1.rc"; }

COMMON=(--no-default-exclude --rate 3000 --wait 1 --seed 11 --send-mode socket --source-port 40000)
TARGETS=("$TB_PREFIX" "$TB_PREFIX6")
ENRICH=(--resolver "$DNS_ADDR" --rdns-timeout 1000 --rdns-concurrency 8
	--asn-db "$DB/asn.mmdb" --city-db "$DB/city.mmdb" --sector-map "$MAP")

# --- 1. the same scan without and with enrichment --------------------------------------------
run_scan plain 60 "${COMMON[@]}" -o "$WORK/plain.csv" "${TARGETS[@]}"
[ "$(rc_of plain)" = 0 ] || die "plain scan exit $(rc_of plain): $(cat "$WORK/plain.err")"
: >"$DNS_LOG.before"
cp "$DNS_LOG" "$DNS_LOG.before" 2>/dev/null
run_scan enriched 60 "${COMMON[@]}" "${ENRICH[@]}" -v -o "$WORK/enriched.csv" "${TARGETS[@]}"
if [ "$(rc_of enriched)" != 0 ]; then
	failed "enriched scan: exit $(rc_of enriched): $(cat "$WORK/enriched.err")"
elif "$PY" "$ENR/check_enrich.py" rows "$RESP_MAP" "$WORK/plain.csv" "$WORK/enriched.csv" >"$WORK/check.out"; then
	pass "$(tail -1 "$WORK/check.out" | sed 's/^check_enrich: //') (plain $(cat "$WORK/plain.secs") s, enriched $(cat "$WORK/enriched.secs") s)"
else
	cat "$WORK/check.out"
	failed "enrichment columns"
fi
log "enriched scan summary: $(tr '\n' ' ' <"$WORK/enriched.err")"

# The raw CSV line of one responder: quoting as in Shadowserver's sample.
line=$(grep '^"[^"]*",high,198\.18\.3\.7,' "$WORK/enriched.csv")
if printf '%s' "$line" | grep -q ',udp,5060,sip1\.example\.net,sip,64500,DE,Bavaria,Munich,SIP/2\.0,' &&
	printf '%s' "$line" | grep -q ',ptr,517311,Telecommunications$'; then
	pass "raw CSV row of 198.18.3.7 carries hostname, asn, geo, region, city, ptr, naics, sector"
else
	failed "raw CSV row of 198.18.3.7: $line"
fi
line=$(grep '^"[^"]*",high,198\.18\.4\.20,' "$WORK/enriched.csv")
if printf '%s' "$line" | grep -q ',pbx\.uni\.example\.edu,sip,64501,US,"New York","New York",' &&
	printf '%s' "$line" | grep -q ',ptr,611310,"Educational Services"$'; then
	pass "values with spaces are quoted (region, city, sector)"
else
	failed "raw CSV row of 198.18.4.20: $line"
fi

# The send loop does not wait for DNS: the enriched scan sent at the rate of the plain one
# (within 25 %, for a loaded machine; or at 90 % of the asked rate).
pps_of() { sed -n 's/.*probes sent in [0-9.]* s (\([0-9]*\) pps).*/\1/p' "$WORK/$1.err" | head -1; }
pps=$(pps_of enriched)
pps0=$(pps_of plain)
if [ -n "$pps" ] && [ -n "$pps0" ] && { [ $((pps * 4)) -ge $((pps0 * 3)) ] || [ "$pps" -ge 2700 ]; }; then
	pass "the enriched scan sent at $pps pps, the plain one at $pps0 (asked 3000): PTR lookups do not slow the send loop"
else
	failed "send rate: enriched '${pps:-none}' pps, plain '${pps0:-none}' pps (asked 3000)"
fi
# Rows wait for their PTR answer at most the timeout: the black-holed ones add about 1 s.
if "$PY" -c "import sys; p, e = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if e < p + 4 else 1)" \
	"$(cat "$WORK/plain.secs")" "$(cat "$WORK/enriched.secs")"; then
	pass "rows waiting for a timed-out PTR lookup held the scan up by at most the timeout"
else
	failed "enriched scan took $(cat "$WORK/enriched.secs") s against $(cat "$WORK/plain.secs") s"
fi

# One PTR query per row, all from the scanner's address, to the namespace's dnsmasq only.
rows=$(($(wc -l <"$WORK/enriched.csv") - 1))
queries=$(grep -c 'query\[PTR\].* from 198\.19\.254\.1$' "$DNS_LOG")
others=$(grep 'query\[' "$DNS_LOG" | grep -vc 'query\[PTR\].* from 198\.19\.254\.1$')
if [ "$queries" = "$rows" ] && [ "$others" = 0 ]; then
	pass "dnsmasq saw exactly one PTR query per row ($queries), nothing else"
else
	failed "dnsmasq saw $queries PTR queries for $rows rows, $others other queries"
fi

# --- 2. JSON Lines, DB-IP layouts, a missing database ---------------------------------------
run_scan jsonl 30 "${COMMON[@]}" "${ENRICH[@]}" -q -O jsonl -o "$WORK/one.jsonl" 198.18.3.7 2001:db8:5c::7
if [ "$(rc_of jsonl)" = 0 ] && "$PY" - "$WORK/one.jsonl" <<'PYEOF'; then
import json, sys
rows = {}
for line in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(line)
    rows[o["ip"]] = o
a, b = rows["198.18.3.7"], rows["2001:db8:5c::7"]
assert (a["hostname"], a["hostname_source"], a["asn"], a["geo"], a["region"], a["city"], a["naics"], a["sector"]) == \
    ("sip1.example.net", "ptr", "64500", "DE", "Bavaria", "Munich", 517311, "Telecommunications"), a
assert (b["hostname"], b["asn"], b["geo"], b["naics"], b["sector"]) == \
    ("v6.example.net", "64510", "JP", 518210, "Communications, Service Provider, and Hosting Service"), b
PYEOF
	pass "JSON Lines carry the same enrichment (naics as a number)"
else
	failed "JSON Lines enrichment: exit $(rc_of jsonl), $(cat "$WORK/one.jsonl" "$WORK/jsonl.err" 2>/dev/null)"
fi

run_scan dbip 30 "${COMMON[@]}" -q --asn-db "$DB/dbip-asn.mmdb" --city-db "$DB/dbip-city.mmdb" \
	-o "$WORK/dbip.csv" 198.18.3.7 2001:db8:5c::7
if [ "$(rc_of dbip)" = 0 ] &&
	grep -q ',198\.18\.3\.7,udp,5060,,sip,64500,AT,Vienna,Vienna,.*,,0,$' "$WORK/dbip.csv" &&
	grep -q ',2001:db8:5c::7,udp,5060,,sip,64510,CH,Zurich,Zürich,.*,,0,$' "$WORK/dbip.csv"; then
	pass "DB-IP layouts: asn, geo, region, city (UTF-8 kept); no sector map: naics 0"
else
	failed "DB-IP layouts: exit $(rc_of dbip): $(cat "$WORK/dbip.csv" "$WORK/dbip.err")"
fi

run_scan missing 30 "${COMMON[@]}" --resolver "$DNS_ADDR" --asn-db "$WORK/nonexistent-asn.mmdb" \
	--city-db "$DB/city.mmdb" -o "$WORK/missing.csv" 198.18.3.7
nwarn=$(grep -c 'warning' "$WORK/missing.err")
if [ "$(rc_of missing)" = 0 ] && [ "$nwarn" = 1 ] &&
	grep -q "warning: .*$WORK/nonexistent-asn.mmdb (asn)" "$WORK/missing.err" &&
	grep -q ',198\.18\.3\.7,udp,5060,sip1\.example\.net,sip,,DE,Bavaria,Munich,' "$WORK/missing.csv"; then
	pass "a missing database: one warning ($(grep warning "$WORK/missing.err")), its column empty, exit 0"
else
	failed "missing database: exit $(rc_of missing), $nwarn warnings: $(cat "$WORK/missing.err")"
fi

# --- 3. Ctrl-C twice: rows waiting for a PTR answer are written at once, without a name -------
# 198.18.9.0/24 is black-holed in the bed's DNS and the timeout is 20 s: after the wait window
# every row waits for its lookup; the first SIGINT (2.5 s) lets them wait, the second (3 s)
# writes them at once.
tb_scn "$PY" "$HERE/scan/tbtool.py" run --timeout 40 --out "$WORK/int.out" --err "$WORK/int.err" \
	--result "$WORK/int.json" --sigint-after 2.5 --sigint2-after 0.5 -- \
	"$SIPWARDEN" scan "${COMMON[@]}" --resolver "$DNS_ADDR" --rdns-timeout 20000 \
	--asn-db "$DB/asn.mmdb" -q -o "$WORK/int.csv" 198.18.9.0/24 >/dev/null 2>&1
if "$PY" - "$WORK/int.json" "$WORK/int.csv" "$RESP_MAP" <<'PYEOF'; then
import csv, ipaddress, json, sys
res = json.load(open(sys.argv[1]))
rows = {r["ip"]: r for r in csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8"))}
mp = json.load(open(sys.argv[3]))
sipish = {"minimal400", "verbose200", "multipacket", "oversized", "twice", "compact"}
net = ipaddress.ip_network("198.18.9.0/24")
want = {a for a, p in mp.items() if p in sipish and ipaddress.ip_address(a).version == 4
        and ipaddress.ip_address(a) in net}
took = res["end"] - res["start"]
assert res["rc"] == 0 and not res.get("timed_out") and len(res["sigint"]) == 2, res
assert took < 8, "took %.1f s" % took
assert set(rows) == want, (sorted(rows), sorted(want))
for r in rows.values():
    assert (r["hostname"], r["hostname_source"], r["asn"]) == ("", "", "64502"), r
PYEOF
	pass "second Ctrl-C: the rows waiting for PTR answers were written at once, without a name"
else
	failed "second Ctrl-C with PTR lookups pending: $(cat "$WORK/int.json" "$WORK/int.err" 2>/dev/null)"
fi

# --- 4. bad input: exit 2, one line naming the file ------------------------------------------
printf 'this is not a MaxMind DB\n' >"$WORK/text.mmdb"
printf 'AS64500 517311 Telecommunications\n# comment\n198.18.0.0/33 611310 Schools\n' >"$WORK/bad.map"
mkdir -p "$WORK/adir"
# bad NAME WANT ARGS...: the scan exits 2 with one line on stderr matching WANT (grep -E) and
# writes no output file.
bad() {
	local name=$1 want=$2
	shift 2
	rm -f "$WORK/$name.csv"
	run_scan "$name" 20 "${COMMON[@]}" -o "$WORK/$name.csv" "$@" 198.18.3.7
	local rc n
	rc=$(rc_of "$name")
	n=$(wc -l <"$WORK/$name.err")
	if [ "$rc" = 2 ] && [ "$n" = 1 ] && grep -Eq "$want" "$WORK/$name.err" && [ ! -e "$WORK/$name.csv" ]; then
		pass "bad input: $(cat "$WORK/$name.err")"
	else
		failed "bad input $name: exit $rc, $n lines: $(cat "$WORK/$name.err")"
	fi
}
bad not_mmdb "^sipwarden scan: $WORK/text\.mmdb: not a MaxMind DB file \(.+\)$" --city-db "$WORK/text.mmdb"
bad wrong_kind "^sipwarden scan: $DB/city\.mmdb: database type 'GeoLite2-City' is a location database, not an ASN database" \
	--asn-db "$DB/city.mmdb"
bad map_missing "^sipwarden scan: cannot open '$WORK/nonexistent\.map': No such file or directory$" \
	--sector-map "$WORK/nonexistent.map"
bad map_dir "^sipwarden scan: cannot read '$WORK/adir': Is a directory$" --sector-map "$WORK/adir"
bad map_line "^sipwarden scan: $WORK/bad\.map:3: '198\.18\.0\.0/33' is not an AS number, prefix or address$" \
	--sector-map "$WORK/bad.map"
bad resolver "^sipwarden scan: --resolver 'dns\.example': expected ADDR, ADDR:PORT or \[IPV6ADDR\]:PORT" \
	--resolver dns.example

log "$PASSED passed, ${#FAILED[@]} failed"
[ ${#FAILED[@]} -eq 0 ] || exit 1
exit 0
