#!/usr/bin/env bash
# scan_netns.sh PATH_TO_SIPWARDEN
#
# Integration test of `sipwarden scan` on a namespace test bed (tests/integration/scan/):
# 4096 targets (198.18.0.0/20) of which 40 answer through the test responder with mixed
# personalities (minimal 400, verbose 200 with SDP, multi-packet, oversized, malformed,
# non-SIP, answering twice, compact headers) and 5 stay silent, Kamailio 5.6 on two more,
# plus 256 IPv6 targets (2001:db8:5c::/120) with 5 responders. Checks, against what the
# responder logged (every probe that arrived and every reply packet it sent) and a capture of
# Kamailio's traffic: the exact CSV rows (header, fields, quoting, amplification), every
# responder found and no other, no duplicates, non-SIP rows only with --include-nonsip, the
# full OPTIONS probe (Kamailio answers it, not the bare one), JSON Lines, IPv6, shards
# disjoint and complete, excluded addresses never probed, --probe FILE, --retries, --dry-run,
# bad input (exit 2, one line), Ctrl-C (once and twice), --send-mode packet (when the scanner
# has it), and the send rate at 1k and 50k pps (kernel arrival timestamps at the responder).
# The summary on stderr must mention the counts (targets, excluded, responders, SIP
# responders, each status code): a count is found when the number stands within 40 characters
# of its word on one line, so the wording is free.
#
# Exit: 0 pass, 1 fail, 77 skip (network namespaces, veth pairs or python3 unavailable).
#
# Network: all traffic stays inside two namespaces this test creates (swscan-<pid>-scn and
# swscan-<pid>-tgt) and removes on exit, failure or signal; the scanner's namespace has no
# route but the one to the target namespace. Every scan runs under a time limit.
#
# Environment:
#   SW_KEEP=1            keep the work directory (it is kept on failure)
#   SW_SCAN_BED_ONLY=1   only build and check the test bed (responder, Kamailio), no scans
#   SW_SCAN_SKIP_RATE=1  skip the two rate measurements (e.g. on a loaded machine)

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCAN_DIR="$HERE/scan"
SRCROOT=$(cd "$HERE/../.." && pwd)
SEED_FILE="$SRCROOT/../shared/seeds/000_42a96455372d21d7.txt"

log() { printf '[scan_netns] %s\n' "$*"; }
skip() {
	log "SKIP: $*"
	log "skipped: the whole scan integration test (test bed, responder, Kamailio, every scan)"
	exit 77
}
die() {
	log "FAIL: $*"
	exit 1
}

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH_TO_SIPWARDEN" >&2
	exit 1
fi
SIPWARDEN=$1
[ -x "$SIPWARDEN" ] || die "sipwarden binary '$SIPWARDEN' is not executable"
SIPWARDEN=$(cd "$(dirname "$SIPWARDEN")" && pwd)/$(basename "$SIPWARDEN")

command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
# shellcheck source-path=SCRIPTDIR source=scan/testbed.sh
source "$SCAN_DIR/testbed.sh"
why=$(testbed_unavailable)
[ -z "$why" ] || skip "$why"
PY=$TB_PYTHON
TBTOOL="$SCAN_DIR/tbtool.py"
CHECK="$SCAN_DIR/check_scan.py"

WORK=$(mktemp -d /tmp/sw-scan-netns.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
FAILED=()
PASSED=0
SKIPPED=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
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

T0=$SECONDS
pass() {
	PASSED=$((PASSED + 1))
	log "ok   $*"
}
failed() {
	FAILED+=("$1")
	log "FAIL $*"
}

# --- the bed -----------------------------------------------------------------------------
N_TARGETS=4096
KAM1=198.18.9.1
KAM2=198.18.12.34
EXCL_NET=198.18.5.0/24
testbed_up "$N_TARGETS" "$WORK/bed" || die "cannot build the test bed"
PREFIX=$TB_PREFIX   # 198.18.0.0/20
PREFIX6=$TB_PREFIX6 # 2001:db8:5c::/120
MAP="$WORK/map.json"
# 40 answering IPv4 responders: 5 placed by hand (edges of the prefix, the address the bed
# check uses, two inside the excluded /24) and 35 placed pseudorandomly; 5 silent ones.
"$PY" "$TBTOOL" config --prefix "$PREFIX" --count 35 --silent 5 --seed 7 \
	--fixed 198.18.3.7=minimal400 --fixed 198.18.0.0=minimal400 \
	--fixed 198.18.15.255=compact --fixed 198.18.5.10=verbose200 --fixed 198.18.5.200=twice \
	--fixed 2001:db8:5c::7=minimal400 --fixed 2001:db8:5c::20=verbose200 \
	--fixed 2001:db8:5c::30=compact --fixed 2001:db8:5c::40=nonsip \
	--fixed 2001:db8:5c::a5=multipacket --fixed 2001:db8:5c::50=silent \
	--avoid "$KAM1" --avoid "$KAM2" --out "$MAP" >"$WORK/map.txt" || die "cannot write the responder map"
log "responder personalities (IPv4 and IPv6): $(cat "$WORK/map.txt")"
testbed_start_responder "$MAP" 900 || die "cannot start the responder"

HAVE_KAM=1
testbed_start_kamailio "$KAM1" "$KAM2"
case $? in
0) ;;
3)
	HAVE_KAM=0
	SKIPPED+=("Kamailio checks (kamailio not installed)")
	;;
*) die "cannot start Kamailio in the target namespace" ;;
esac
KAM_PCAP=""
if [ "$HAVE_KAM" = 1 ]; then
	testbed_capture_start "$WORK/kamailio.pcap" "udp and (host $KAM1 or host $KAM2)"
	case $? in
	0) KAM_PCAP="$WORK/kamailio.pcap" ;;
	3) SKIPPED+=("exact Kamailio rows (tcpdump not installed; Kamailio must still be found)") ;;
	*) die "cannot capture on the scanner's veth" ;;
	esac
fi
testbed_watchdog

# --- the bed answers as designed (python3 probes from the scanner namespace) ------------
bed_check() {
	local out ok=1 addr pers want
	send() { tb_scn "$PY" "$TBTOOL" send --to "$1" --probe "$2" --timeout "${3:-0.5}" --max "${4:-16}"; }
	while read -r addr pers; do
		case $pers in
		silent) out=$(send "$addr" bare 0.5) ;;
		twice) out=$(send "$addr" bare 1 2) ;;
		multipacket) out=$(send "$addr" bare 1 3) ;;
		*) out=$(send "$addr" bare 1 1) ;;
		esac
		case $pers in
		silent) want='^$' ;;
		nonsip) want='"size": 48' ;;
		malformed) want='"first": "SIP/2.0 20 OK"' ;;
		minimal400) want='"size": 25, "first": "SIP/2.0 400 Bad Request"' ;;
		multipacket) want='"first": "SIP/2.0 100 Trying"' ;;
		oversized) want='"size": 60000, "first": "SIP/2.0 200 OK"' ;;
		*) want='"first": "SIP/2.0 200 OK"' ;;
		esac
		if ! grep -qE "$want" <<<"$out" && ! { [ "$pers" = silent ] && [ -z "$out" ]; }; then
			log "bed: $addr ($pers) answered the bare probe with: ${out:-nothing}"
			ok=0
		fi
		[ "$pers" = twice ] && [ "$(grep -c . <<<"$out")" != 2 ] && { log "bed: $addr (twice) sent $(grep -c . <<<"$out") packets"; ok=0; }
		[ "$pers" = multipacket ] && [ "$(grep -c . <<<"$out")" != 3 ] && { log "bed: $addr (multipacket) sent $(grep -c . <<<"$out") packets"; ok=0; }
	done < <("$PY" -c '
import json, sys
m = json.load(open(sys.argv[1])); seen = set()
for a, p in sorted(m.items()):
    if p not in seen or ":" in a:
        seen.add(p); print(a, p)' "$MAP")
	if [ "$HAVE_KAM" = 1 ]; then
		for addr in "$KAM1" "$KAM2"; do
			out=$(send "$addr" bare 1)
			if [ -n "$out" ]; then
				log "bed: Kamailio $addr answered the bare 7-byte probe (the test assumes 5.6 does not): $out"
				ok=0
			fi
			out=$(send "$addr" options 1 1)
			if ! grep -q '"first": "SIP/2.0 200 OK", "server": "kamailio (' <<<"$out"; then
				log "bed: Kamailio $addr did not answer a full OPTIONS: ${out:-nothing}"
				ok=0
			fi
		done
	fi
	[ $ok = 1 ]
}
testbed_mark "S-bedcheck" || die "responder marks do not work"
if bed_check; then
	pass "test bed: every personality answers as designed; Kamailio ignores the bare probe and answers a full OPTIONS"
else
	die "the test bed does not behave as designed (see above)"
fi
testbed_mark "E-bedcheck" || die "responder marks do not work"

if [ "${SW_SCAN_BED_ONLY:-0}" = 1 ]; then
	log "SW_SCAN_BED_ONLY=1: no scans"
	log "$PASSED passed, 0 failed"
	exit 0
fi
if ! "$SIPWARDEN" help 2>&1 | grep -qE '^ +scan '; then
	"$SIPWARDEN" help 2>&1 | sed 's/^/    /'
	die "'$SIPWARDEN help' lists no scan command"
fi
SCAN_HELP=$("$SIPWARDEN" scan --help 2>&1)
SEND_MODE=()
HAVE_SEND_MODE=0
if grep -q -- '--send-mode' <<<"$SCAN_HELP"; then
	HAVE_SEND_MODE=1
	SEND_MODE=(--send-mode socket)
fi

# --- running scans -------------------------------------------------------------------------
# scan NAME [--sigint-after S [--sigint2-after S]] -- ARGS...: one scan in the scanner
# namespace between the marks S-NAME and E-NAME; files $WORK/NAME.{out,err,result}.
scan() {
	local name=$1
	shift
	local run=()
	while [ "$1" != "--" ]; do
		run+=("$1")
		shift
	done
	shift
	testbed_mark "S-$name" || die "responder mark S-$name"
	"$PY" "$TBTOOL" run --timeout 90 --out "$WORK/$name.out" --err "$WORK/$name.err" \
		--result "$WORK/$name.result" "${run[@]}" -- \
		ip netns exec "$TB_SCN_NS" "$SIPWARDEN" scan "$@" || die "tbtool run failed"
	testbed_mark "E-$name" || die "responder mark E-$name"
	local rc
	rc=$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["rc"], "%.2fs" % r["duration"])' "$WORK/$name.result")
	log "scan $name: exit $rc: $SIPWARDEN scan $*"
	sed 's/^/      | /' "$WORK/$name.err" | tail -4
}
# check NAME DESCRIPTION -- check_scan.py ARGS...
check() {
	local name=$1 what=$2
	shift 3
	if "$PY" "$CHECK" "$@" >"$WORK/$name.check" 2>&1; then
		sed 's/^/      /' "$WORK/$name.check"
		pass "$what"
	else
		sed 's/^/      /' "$WORK/$name.check"
		failed "$name" "$what"
	fi
}
# Kamailio's addresses get no probe-log lines (Kamailio, not the responder, owns them): their
# probes and replies come from the capture.
KAMARGS=()
NKAM=0
if [ "$HAVE_KAM" = 1 ]; then
	NKAM=2
	KAMARGS=(--kam "$KAM1" "$KAM2")
	[ -n "$KAM_PCAP" ] && KAMARGS+=(--kam-pcap "$KAM_PCAP")
fi
ROWS=(rows --log "$TB_LOG" --map "$MAP")
COMMON=(--no-default-exclude -p 5060)

# 1. Bare probe (7 bytes), socket send mode.
scan bare -- "${COMMON[@]}" -r 20000 --wait 2 "${SEND_MODE[@]}" -o "$WORK/bare.csv" "$PREFIX"
check bare "bare probe: exact rows for the 34 SIP responders, none for Kamailio, non-SIP, silent; summary counts" -- \
	"${ROWS[@]}" --stage bare --targets "$PREFIX" --result "$WORK/bare.result" \
	--stderr "$WORK/bare.err" --csv "$WORK/bare.csv" --probe bare --once --rc 0 --summary \
	"${KAMARGS[@]}"
if [ -f "$SEED_FILE" ]; then
	if [ "$(head -1 "$WORK/bare.csv")" = "$(grep -m1 '^"timestamp",' "$SEED_FILE")" ]; then
		pass "CSV header equals the seed's header line ($SEED_FILE)"
	else
		failed seedheader "CSV header differs from the seed's header line"
	fi
else
	SKIPPED+=("comparison with the seed file itself ($SEED_FILE absent; the embedded copy was used)")
fi

# 2. Non-SIP responders on request.
scan nonsip -- "${COMMON[@]}" -r 20000 --wait 2 "${SEND_MODE[@]}" --include-nonsip \
	-o "$WORK/nonsip.csv" "$PREFIX"
check nonsip "--include-nonsip: the non-SIP and malformed responders are written too (empty SIP fields)" -- \
	"${ROWS[@]}" --stage nonsip --targets "$PREFIX" --result "$WORK/nonsip.result" \
	--stderr "$WORK/nonsip.err" --csv "$WORK/nonsip.csv" --probe bare --once --rc 0 \
	--include-nonsip --summary "${KAMARGS[@]}"

# 3. Full OPTIONS probe: Kamailio answers; responders that echo the token are found.
scan options -- "${COMMON[@]}" -r 20000 --wait 2 "${SEND_MODE[@]}" --probe options \
	-o "$WORK/options.csv" "$PREFIX"
check options "--probe options: Kamailio rows (its Server header), token-echoing responders, no others" -- \
	"${ROWS[@]}" --stage options --targets "$PREFIX" --result "$WORK/options.result" \
	--stderr "$WORK/options.err" --csv "$WORK/options.csv" --probe options --once --rc 0 \
	"${KAMARGS[@]}"
if [ "$HAVE_KAM" = 1 ]; then
	if grep -E "^[^,]*,high,($KAM1|$KAM2),udp,5060," "$WORK/options.csv" | grep -q '"kamailio (' &&
		[ "$(grep -cE "^[^,]*,high,($KAM1|$KAM2),udp,5060,.*\"kamailio \(" "$WORK/options.csv")" = 2 ]; then
		pass "--probe options: both Kamailio rows carry Server \"kamailio (...)\""
	else
		failed kamserver "--probe options: the two Kamailio rows with Server \"kamailio (...)\" are not both in options.csv"
	fi
fi

# 4. JSON Lines.
scan jsonl -- "${COMMON[@]}" -r 20000 --wait 2 "${SEND_MODE[@]}" -O jsonl -o "$WORK/out.jsonl" "$PREFIX"
check jsonl "-O jsonl: one object per SIP responder, the CSV's names, numbers as numbers, per-packet sizes" -- \
	"${ROWS[@]}" --stage jsonl --targets "$PREFIX" --result "$WORK/jsonl.result" \
	--stderr "$WORK/jsonl.err" --jsonl "$WORK/out.jsonl" --probe bare --once --rc 0 "${KAMARGS[@]}"

# 5. IPv6 list.
scan v6 -- "${COMMON[@]}" -r 20000 --wait 2 "${SEND_MODE[@]}" -o "$WORK/v6.csv" "$PREFIX6"
check v6 "IPv6 $PREFIX6: exact rows for the IPv6 SIP responders" -- \
	"${ROWS[@]}" --stage v6 --targets "$PREFIX6" --result "$WORK/v6.result" \
	--stderr "$WORK/v6.err" --csv "$WORK/v6.csv" --probe bare --once --rc 0 "${KAMARGS[@]}"

# 6. Shards: disjoint, complete.
for i in 1 2 3; do
	scan "shard$i" -- "${COMMON[@]}" -r 20000 --wait 1 "${SEND_MODE[@]}" --seed 42 --shard "$i/3" \
		-o "$WORK/shard$i.csv" "$PREFIX"
	check "shard$i" "--seed 42 --shard $i/3: rows for exactly the responders this shard probed" -- \
		"${ROWS[@]}" --stage "shard$i" --targets "$PREFIX" --result "$WORK/shard$i.result" \
		--stderr "$WORK/shard$i.err" --csv "$WORK/shard$i.csv" --probe bare --once --rc 0 --partial "${KAMARGS[@]}"
done
check shards "shards 1/3, 2/3, 3/3: disjoint, union = the 4096 targets" -- \
	shards --log "$TB_LOG" --stage shard1 shard2 shard3 --targets "$PREFIX" \
	--result "$WORK/shard1.result" "$WORK/shard2.result" "$WORK/shard3.result" "${KAMARGS[@]}"

# 7. Exclusions: never probed, counted in the summary.
printf '# a /24 with two responders\n%s\n' "$EXCL_NET" >"$WORK/exclude.txt"
scan exclude -- "${COMMON[@]}" -r 20000 --wait 2 "${SEND_MODE[@]}" --exclude "$WORK/exclude.txt" \
	-o "$WORK/exclude.csv" "$PREFIX"
check exclude "--exclude $EXCL_NET: zero probes there, rows for every other responder, summary says 256 excluded" -- \
	"${ROWS[@]}" --stage exclude --targets "$PREFIX" --exclude "$EXCL_NET" \
	--result "$WORK/exclude.result" --stderr "$WORK/exclude.err" --csv "$WORK/exclude.csv" \
	--probe bare --once --rc 0 --summary "${KAMARGS[@]}"

# 8. --probe FILE.
printf 'OPTIONS\r\n\r\n' >"$WORK/probe.bin"
scan probefile -- "${COMMON[@]}" -r 20000 --wait 1 "${SEND_MODE[@]}" --probe "$WORK/probe.bin" \
	-o "$WORK/probefile.csv" 198.18.0.0/22
check probefile "--probe FILE: the file's 11 bytes go out, amplification relative to them" -- \
	"${ROWS[@]}" --stage probefile --targets 198.18.0.0/22 --result "$WORK/probefile.result" \
	--stderr "$WORK/probefile.err" --csv "$WORK/probefile.csv" --probe "file:$WORK/probe.bin" \
	--once --rc 0 "${KAMARGS[@]}"

# 9. --retries: non-responders only.
scan retries -- "${COMMON[@]}" -r 20000 --wait 1 "${SEND_MODE[@]}" --retries 1 \
	-o "$WORK/retries.csv" 198.18.0.0/22
check retries "--retries 1: SIP responders probed once, silent addresses twice, one row each" -- \
	retries --log "$TB_LOG" --map "$MAP" --stage retries --targets 198.18.0.0/22 --retries 1
check retriesrows "--retries 1: rows" -- \
	"${ROWS[@]}" --stage retries --targets 198.18.0.0/22 --result "$WORK/retries.result" \
	--stderr "$WORK/retries.err" --csv "$WORK/retries.csv" --probe bare --rc 0 "${KAMARGS[@]}"

# 10. --dry-run sends nothing.
scan dryrun -- "${COMMON[@]}" -r 20000 --wait 1 --dry-run -o "$WORK/dryrun.csv" "$PREFIX"
check dryrun "--dry-run: no probe arrives" -- none --log "$TB_LOG" --stage dryrun
if [ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rc"])' "$WORK/dryrun.result")" = 0 ] &&
	[ -s "$WORK/dryrun.out" ]; then
	pass "--dry-run: exit 0 and prints what it would send ($(wc -l <"$WORK/dryrun.out") lines)"
else
	failed dryrunout "--dry-run: expected exit 0 and a description on stdout"
fi

# 11. Bad input: exit 2, one line naming the problem, nothing sent.
mkdir -p "$WORK/a-directory"
bad_input() {
	local name=$1 needle=$2
	shift 2
	scan "$name" -- "$@"
	local rc lines
	rc=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rc"])' "$WORK/$name.result")
	lines=$(grep -c . "$WORK/$name.err")
	# shellcheck disable=SC2016  # the quotes are literal text inside an expanded string
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && { [ -z "$needle" ] || grep -qF -- "$needle" "$WORK/$name.err"; }; then
		pass "bad input ($*): exit 2, one line${needle:+ naming '$needle'}"
	else
		failed "$name" "bad input ($*): exit $rc, $lines stderr lines (expected exit 2 and one line${needle:+ naming '$needle'}): $(head -3 "$WORK/$name.err")"
	fi
	check "$name-none" "bad input ($*): nothing sent" -- none --log "$TB_LOG" --stage "$name"
}
bad_input bad_addr 10.0.0.300 10.0.0.300
bad_input bad_shard 3/2 "${COMMON[@]}" --shard 3/2 "$PREFIX"
bad_input bad_rate "" "${COMMON[@]}" -r 0 "$PREFIX"
bad_input bad_excl_missing "$WORK/no-such-file" "${COMMON[@]}" --exclude "$WORK/no-such-file" "$PREFIX"
bad_input bad_excl_dir "$WORK/a-directory" "${COMMON[@]}" --exclude "$WORK/a-directory" "$PREFIX"
bad_input bad_option --no-such-option "${COMMON[@]}" --no-such-option "$PREFIX"

# 12. Ctrl-C: stop sending, wait the window, write every row gathered.
scan sigint --sigint-after 3 -- "${COMMON[@]}" -r 200 --wait 2 "${SEND_MODE[@]}" \
	-o "$WORK/sigint.csv" "$PREFIX"
check sigint "Ctrl-C after 3 s of a -r 200 scan: exit within wait+2 s, sending stops, every responder probed is in the CSV" -- \
	"${ROWS[@]}" --stage sigint --targets "$PREFIX" --result "$WORK/sigint.result" \
	--stderr "$WORK/sigint.err" --csv "$WORK/sigint.csv" --probe bare --once --partial \
	--max-after-sigint 4 "${KAMARGS[@]}"
scan sigint2 --sigint-after 3 --sigint2-after 0.3 -- "${COMMON[@]}" -r 200 --wait 5 "${SEND_MODE[@]}" \
	-o "$WORK/sigint2.csv" "$PREFIX"
check sigint2 "Ctrl-C twice: exit at once (< 1 s after the second), rows gathered so far written" -- \
	"${ROWS[@]}" --stage sigint2 --targets "$PREFIX" --result "$WORK/sigint2.result" \
	--stderr "$WORK/sigint2.err" --csv "$WORK/sigint2.csv" --probe bare --once --partial \
	--max-after-sigint 1 "${KAMARGS[@]}"

# 13. Packet send mode (raw frames on the veth), when the scanner has it.
if [ "$HAVE_SEND_MODE" = 1 ]; then
	scan packet -- "${COMMON[@]}" -r 20000 --wait 2 --send-mode packet -o "$WORK/packet.csv" "$PREFIX"
	check packet "--send-mode packet: the same exact rows as the socket path" -- \
		"${ROWS[@]}" --stage packet --targets "$PREFIX" --result "$WORK/packet.result" \
		--stderr "$WORK/packet.err" --csv "$WORK/packet.csv" --probe bare --once --rc 0 "${KAMARGS[@]}"
else
	SKIPPED+=("--send-mode packet (not in 'sipwarden scan --help')")
fi

# 14. Rate: first-to-last arrival of the probes at the responder (kernel timestamps).
if [ "${SW_SCAN_SKIP_RATE:-0}" = 1 ]; then
	SKIPPED+=("rate measurements (SW_SCAN_SKIP_RATE=1)")
else
	scan rate1k -- "${COMMON[@]}" -r 1000 --wait 1 "${SEND_MODE[@]}" -o "$WORK/rate1k.csv" "$PREFIX"
	check rate1k "-r 1000: 4096 probes in 4.095 s +- 5% (measured on the $((4096 - NKAM)) the responder receives)" -- \
		rate --log "$TB_LOG" --stage rate1k --rate 1000 --count $((4096 - NKAM))
	scan rate50k -- "${COMMON[@]}" -r 50000 --wait 1 "${SEND_MODE[@]}" -o "$WORK/rate50k.csv" 198.18.0.0/16
	check rate50k "-r 50000: 65536 probes in 1.311 s +- 5% (measured on the $((65536 - NKAM)) the responder receives)" -- \
		rate --log "$TB_LOG" --stage rate50k --rate 50000 --count $((65536 - NKAM))
	check rate50krows "-r 50000 over 198.18.0.0/16: every responder found" -- \
		"${ROWS[@]}" --stage rate50k --targets 198.18.0.0/16 --result "$WORK/rate50k.result" \
		--stderr "$WORK/rate50k.err" --csv "$WORK/rate50k.csv" --probe bare --once --rc 0 "${KAMARGS[@]}"
fi

# --- verdict -------------------------------------------------------------------------------
for s in "${SKIPPED[@]}"; do
	log "skipped: $s"
done
log "took $((SECONDS - T0)) s"
log "$PASSED passed, ${#FAILED[@]} failed"
if [ ${#FAILED[@]} -gt 0 ]; then
	log "failed checks: ${FAILED[*]}"
	exit 1
fi
exit 0
