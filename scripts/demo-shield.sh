#!/usr/bin/env bash
# The shield half of the main job (scripts/run.sh runs it after the scan demo; it can also run
# alone, as root, after a build): a real Kamailio in a network namespace, SIPVicious's svmap in
# another, first without the shield (svmap finds the server), then with `sipwarden shield` in
# front of Kamailio (svmap finds nothing: not one packet answers it), while a phone's OPTIONS
# are answered all along; then what the running shield says about it (status, list, metrics).
# Everything happens inside namespaces made here and removed at the end (also on failure).
#
#   scripts/demo-shield.sh [PATH_TO_SIPWARDEN]     (default: build/sipwarden)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SW=${1:-$root/build/sipwarden}
[ -x "$SW" ] || {
	echo "demo-shield: $SW not built (run scripts/run.sh)" >&2
	exit 2
}
export PATH=$PATH:/usr/sbin:/sbin
SVMAP=$(command -v svmap || command -v sipvicious_svmap) || {
	echo "demo-shield: svmap not found (apt-get install sipvicious)" >&2
	exit 2
}
work=$(mktemp -d /tmp/sipwarden-shield-demo.XXXXXX)
chmod 755 "$work"
# shellcheck source=../tests/integration/shield/bed.sh
source "$root/tests/integration/shield/bed.sh"
SHIELD_PID=
cleanup() {
	set +e
	[ -n "$SHIELD_PID" ] && kill -TERM "$SHIELD_PID" 2>/dev/null && sleep 1
	shb_down >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

shb_up "$work/bed" >"$work/bed.log" 2>&1 || {
	cat "$work/bed.log" >&2
	exit 1
}
shb_kamailio_start 2>>"$work/bed.log" >/dev/null || {
	tail "$work/bed.log" >&2
	exit 1
}
phone() {
	shb_exec phone1 python3 "$root/tests/integration/shield/probe.py" "$SHB_SERVER" 3 \
		"Linphone/5.2.0 (belle-sip/5.2.0)"
}
svmap() { shb_exec svmap timeout 30 "$SVMAP" "$SHB_SERVER" 2>&1 | grep -v '^$' | sed 's/^/    /'; }

cat >&2 <<TXT

=== 3. The shield: Kamailio at $SHB_SERVER:5060 (namespace $SHB_SRV_NS), svmap at $(shb_addr svmap),
    a phone at $(shb_addr phone1), each in its own namespace

--- without the shield, svmap finds the server:
TXT
svmap >&2
printf -- '--- the phone: %s\n' "$(phone)" >&2

cat >"$work/shield.conf" <<EOF
[shield]
deny-backend = nft
state-file = $work/shield.state
control-socket = $work/shield.sock
metrics-listen = 127.0.0.1:9560
log = $work/matched.jsonl
EOF
shb_bg "$work/shield.log" srv "$SW" shield --workers 2 --config "$work/shield.conf"
SHIELD_PID=$SHB_LAST_PID
for _ in $(seq 1 100); do
	grep -q "shield: protecting" "$work/shield.log" 2>/dev/null && break
	sleep 0.1
done
cat >&2 <<TXT

--- sipwarden shield --config shield.conf, in the server's namespace:
$(sed 's/^/    /' "$work/shield.log")

--- with the shield, svmap finds nothing (it gets no answer at all):
TXT
svmap >&2
printf -- '--- the phone: %s\n' "$(phone)" >&2
printf -- '\n--- sipwarden shield status:\n' >&2
"$SW" shield status --socket "$work/shield.sock" | sed 's/^/    /' >&2
printf -- '--- sipwarden shield list:\n' >&2
"$SW" shield list --socket "$work/shield.sock" | sed 's/^/    /' >&2
printf -- '--- the kernel deny set (nft list set inet sipwarden_deny deny4):\n' >&2
shb_exec srv nft list set inet sipwarden_deny deny4 | grep elements | sed 's/^\s*/    /' >&2
printf -- '--- metrics (curl http://127.0.0.1:9560/metrics in the server namespace), a few lines:\n' >&2
shb_exec srv python3 -c "import urllib.request as u;print(u.urlopen('http://127.0.0.1:9560/metrics',timeout=5).read().decode())" |
	grep -E '^sipwarden_shield_(messages_total|rule_hits_total\{rule="sipvicious|kernel_drops|sources\{)' |
	sed 's/^/    /' >&2
printf -- '--- the matched-message log, first record:\n' >&2
head -n 1 "$work/matched.jsonl" | cut -c1-400 | sed 's/^/    /' >&2
kill -TERM "$SHIELD_PID"
wait "$SHIELD_PID" 2>/dev/null || true
shb_forget "$SHIELD_PID"
SHIELD_PID=
printf -- '--- stopped:\n%s\n' "$(tail -n 4 "$work/shield.log" | sed 's/^/    /')" >&2
