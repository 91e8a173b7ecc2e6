#!/usr/bin/env bash
# shield_inspect.sh PATH_TO_SIPWARDEN
#
# The shield engine on real traffic: records the shield test bed (tests/integration/shield/:
# Kamailio as a registrar with digest authentication; legitimate SIPp phones registering,
# keeping alive and calling, eight phones behind one address re-registering at once, baresip,
# a trunk's OPTIONS; then svmap, svwar (REGISTER and INVITE), svcrack, sipsak, nmap's
# sip-methods and sip-enum-users, and svmap and nmap with a phone's User-Agent), and runs
# `sipwarden inspect` over the capture. shield_inspect_check.py asserts, from parties.tsv:
#   - shipped defaults: every tool identified by fingerprint on its first message and denied,
#     every message it sent and every answer addressed to it dropped (the UA-changed variants
#     too); not one legitimate message dropped; every registering phone promoted to trusted;
#     the matched-message log and the pcap of dropped packets agree with the report;
#   - behaviour only (no rules, no User-Agent list): svwar, svcrack and nmap still denied
#     within the thresholds, and still no legitimate message dropped;
#   - a broken config is refused with FILE:LINE and exit status 2.
#
# Exit: 0 pass, 1 fail, 77 skip (no network namespaces, or a tool missing).
# Network: only inside the namespaces record.sh creates and removes (198.18.0.0/24).
# Environment: SW_KEEP=1 keeps the work directory (kept on failure anyway);
# SW_SHIELD_RECORDING=DIR checks an earlier `record.sh DIR` instead of recording.

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=shield/testlib.sh
source "$HERE/shield/testlib.sh" shield_inspect

sw_test_binary "$@"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"

WORK=$(mktemp -d /tmp/sw-shield-inspect.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	if [ -n "${REC_PID:-}" ] && kill -0 "$REC_PID" 2>/dev/null; then
		kill -TERM "$REC_PID" 2>/dev/null # record.sh's own trap removes the bed
		wait "$REC_PID" 2>/dev/null
	fi
	if [ "${SW_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if [ -n "${SW_SHIELD_RECORDING:-}" ]; then
	REC=$SW_SHIELD_RECORDING
	log "using the recording in $REC"
else
	REC="$WORK/rec"
	bash "$HERE/shield/record.sh" "$REC" >"$WORK/record.log" 2>&1 &
	REC_PID=$!
	wait "$REC_PID"
	rc=$?
	REC_PID=
	sed 's/^/  /' "$WORK/record.log"
	[ "$rc" = 77 ] && skip "record.sh: $(grep -m1 SKIP "$WORK/record.log")"
	[ "$rc" = 0 ] || die "record.sh exited with $rc"
fi
# shellcheck disable=SC1091
source "$REC/bed.env"
CAP="$REC/capture.pcap"

# 1. shipped defaults, with the matched-message log and the pcap of dropped packets
"$SW" inspect --server "$SHB_SERVER" --json --log "$WORK/matched.jsonl" \
	--log-pcap "$WORK/dropped.pcap" "$CAP" >"$WORK/default.jsonl" 2>"$WORK/default.err" ||
	die "inspect (defaults) exited with $?: $(cat "$WORK/default.err")"
"$SW" inspect --server "$SHB_SERVER" "$CAP" >"$WORK/default.txt" 2>&1 ||
	die "inspect (defaults, text) exited with $?"
sed 's/^/  /' "$WORK/default.txt"
tshark -n -r "$WORK/dropped.pcap" -T fields -e ip.src -e ip.dst >"$WORK/dropped.tsv" \
	2>"$WORK/tshark.err" || die "tshark cannot read the dropped-packet pcap: $(cat "$WORK/tshark.err")"

# 2. behaviour only: no fingerprint rules, no User-Agent list
printf '# no rules\n' >"$WORK/none.rules"
printf '[shield]\nrules = %s\nuser-agent-deny =\n' "$WORK/none.rules" >"$WORK/behaviour.conf"
"$SW" inspect --config "$WORK/behaviour.conf" --server "$SHB_SERVER" --json "$CAP" \
	>"$WORK/behaviour.jsonl" 2>"$WORK/behaviour.err" ||
	die "inspect (behaviour only) exited with $?: $(cat "$WORK/behaviour.err")"

# 3. a broken config: refused with file, line and problem
printf '[shield]\ntolerance-window = 30\n[realm access]\ndeny-period = soon\n' >"$WORK/bad.conf"
"$SW" inspect --config "$WORK/bad.conf" "$CAP" >"$WORK/bad.out" 2>"$WORK/bad.err"
bad_rc=$?

python3 "$HERE/shield_inspect_check.py" --parties "$REC/parties.tsv" \
	--default "$WORK/default.jsonl" --matched "$WORK/matched.jsonl" \
	--dropped "$WORK/dropped.tsv" --behaviour "$WORK/behaviour.jsonl" \
	--bad-rc "$bad_rc" --bad-err "$WORK/bad.err" --bad-conf "$WORK/bad.conf" ||
	die "checks failed (see above)"
log "all checks passed"
