#!/usr/bin/env bash
# shellcheck disable=SC2015  # ok and bad return 0: "A && ok || bad" is an if-else here
# shield_live.sh PATH_TO_SIPWARDEN
#
# The inline shield end to end, in the shield test bed (tests/integration/shield/: Kamailio on
# 198.18.0.1:5060 in the server namespace, legitimate SIPp phones, eight phones behind one NAT
# address, baresip and a trunk, then svmap, svwar, svcrack, sipsak, nmap and two UA-changed
# variants, each in its own namespace).
#
# A. `sipwarden shield --workers 2` runs in the server namespace (its own iptables rules there,
#    NFQUEUE, fail-open) through the whole recording, and is sent SIGHUP three times while the
#    legitimate traffic flows. Checked, with tshark on the capture (tcpdump on br0: it sees a
#    request before the INPUT hook and a response after the OUTPUT hook, so an answer the
#    shield dropped never appears there):
#      - no SIP packet from the server reaches any attacker (per attacker: 0);
#      - svmap finds no server, svwar no extension, svcrack no password (their own output);
#      - every legitimate SIPp transaction succeeds (exit 0, every call successful), baresip
#        registers and answers its call, and the matched-message log holds no drop of a
#        legitimate party's message;
#      - every SIGHUP reloaded on both workers; SIGTERM removes the rules (no SIPWARDEN chain
#        left in iptables -S or ip6tables -S) and the shield exits 0.
# B. In the same bed, with Kamailio restarted: a shield whose config is rewritten and reloaded
#    (SIGHUP) five times while the trunk sends 300 OPTIONS at 100/s: all 300 answered; a
#    broken config on SIGHUP is refused with FILE:LINE and the shield runs on. Then
#    kill -9 of the shield in the middle of 10 OPTIONS: all 10 still answered (the rules stay,
#    --queue-bypass lets the traffic through), and `sipwarden shield --cleanup` removes the
#    rules; a second --cleanup is fine too.
# C. Setup errors: a second shield on the same queue, and a bad config, are refused with one
#    line and exit status 2.
#
# Exit: 0 pass, 1 fail, 77 skip (no namespaces, no NFQUEUE/iptables, or a bed tool missing).
# Network: only inside the namespaces the bed creates and removes; firewall rules only in the
# bed's server namespace, never in the root namespace.
# Environment: SW_KEEP=1 keeps the work directory (kept on failure anyway).

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=shield/testlib.sh
source "$HERE/shield/testlib.sh" shield_live

sw_test_binary "$@"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
IPT=$(command -v iptables || { [ -x /usr/sbin/iptables ] && echo /usr/sbin/iptables; }) ||
	skip "iptables is not installed (apt-get install iptables)"
IP6T=$(command -v ip6tables || echo /usr/sbin/ip6tables)

# shellcheck source-path=SCRIPTDIR source=shield/record.sh
source "$HERE/shield/record.sh"
why=$(shb_unavailable)
[ -z "$why" ] || skip "$why"
[ "$(id -u)" = 0 ] || skip "not root: network namespaces and firewall rules need root"

WORK=$(mktemp -d /tmp/sw-shield-live.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	shb_down >/dev/null 2>&1 || rc=1
	if [ "${SW_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# NFQUEUE and iptables must work in a namespace: probe in a throw-away one.
PROBE_NS="swsh-$SHB_TAG-nfqprobe"
ip netns add "$PROBE_NS" || skip "cannot create a namespace"
if ! ip netns exec "$PROBE_NS" "$IPT" -w -A INPUT -p udp --dport 9 -j NFQUEUE --queue-num 9 \
	--queue-bypass 2>"$WORK/probe.err"; then
	ip netns del "$PROBE_NS"
	skip "iptables -j NFQUEUE does not work here: $(head -n1 "$WORK/probe.err")"
fi
ip netns del "$PROBE_NS"


wait_line() { shb_wait_line "$@"; }

# shellcheck disable=SC2329,SC2317  # called by record.sh
start_shield() { # LOG ARGS...: the shield in the server namespace; pid in SHIELD_PID
	local lf=$1
	shift
	shb_bg "$lf" srv "$SW" shield "$@"
	SHIELD_PID=$SHB_LAST_PID
	if ! wait_line "$lf" "shield: protecting" 10 "$SHIELD_PID"; then
		log "the shield did not start:"
		sed 's/^/  /' "$lf"
		return 1
	fi
	log "$(head -n1 "$lf")"
}

# --- A. the recording with the shield in front of Kamailio -------------------------------
cp "$HERE/../../conf/shield.conf" "$WORK/shield.conf"
sed -i 's/^log =$/log = '"${WORK//\//\\/}"'\/matched.jsonl/' "$WORK/shield.conf"
grep -q "^log = $WORK/matched.jsonl" "$WORK/shield.conf" || die "could not set log in the config"
# The daemon's files in the work directory, never in /var/lib or /run of the machine.
DAEMON_KEYS="state-file = $WORK/shield.state
control-socket = $WORK/shield.sock"
sed -i -e '/^state-file =/d' -e '/^control-socket =/d' "$WORK/shield.conf"
printf '[shield]\n%s\n' "$DAEMON_KEYS" >>"$WORK/shield.conf"

# shellcheck disable=SC2329,SC2317  # called by shield_record
shb_hook_server_up() {
	start_shield "$WORK/shield.log" --workers 2 --config "$WORK/shield.conf" || return 1
	# Three reloads while the legitimate traffic flows (the first phones are registering).
	(
		trap - EXIT INT TERM HUP
		for _ in 1 2 3; do
			sleep 4
			kill -HUP "$SHIELD_PID" 2>/dev/null || exit 0
		done
	) </dev/null >/dev/null 2>&1 &
	HUP_PID=$!
	SHB_PIDS+=("$HUP_PID")
}

OUT="$WORK/rec"
T0=$(date +%s)
shield_record "$OUT" >"$WORK/record.log" 2>&1
REC_RC=$?
sed 's/^/  /' "$WORK/record.log"
[ "$REC_RC" = 77 ] && skip "record.sh: $(grep -m1 SKIP "$WORK/record.log")"
[ "$REC_RC" = 0 ] || die "the recording failed ($REC_RC); shield log: $(tail -n 5 "$WORK/shield.log")"
log "recording with the shield took $(($(date +%s) - T0)) s"
wait "$HUP_PID" 2>/dev/null
shb_forget "$HUP_PID"

if kill -0 "$SHIELD_PID" 2>/dev/null; then
	ok "the shield ran through the whole recording"
else
	bad "the shield died during the recording"
fi
shb_exec srv "$IPT" -S >"$WORK/iptables.running"
if grep -q -- "-A INPUT -j SIPWARDEN-IN" "$WORK/iptables.running" &&
	grep -q -- "--queue-balance 50600:50601 --queue-bypass" "$WORK/iptables.running"; then
	ok "rules in the server namespace: SIPWARDEN-IN/OUT, NFQUEUE 50600:50601 with bypass"
else
	bad "the shield's rules are not as expected: $(tr '\n' ' ' <"$WORK/iptables.running")"
fi
kill -TERM "$SHIELD_PID"
for _ in $(seq 1 100); do
	kill -0 "$SHIELD_PID" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$SHIELD_PID" 2>/dev/null; then
	bad "the shield did not stop within 10 s of SIGTERM"
	kill -KILL "$SHIELD_PID"
fi
wait "$SHIELD_PID"
SHIELD_EXIT=$?
shb_forget "$SHIELD_PID"
sed 's/^/    /' "$WORK/shield.log"
if [ "$SHIELD_EXIT" = 0 ] && grep -q "^shield: stopped" "$WORK/shield.log"; then
	ok "SIGTERM: the shield exited 0 and printed its counts"
else
	bad "SIGTERM: exit status $SHIELD_EXIT, counts: $(grep -c '^shield: stopped' "$WORK/shield.log")"
fi
if shb_exec srv "$IPT" -S | grep -q SIPWARDEN || shb_exec srv "$IP6T" -S | grep -q SIPWARDEN; then
	bad "rules left after SIGTERM"
else
	ok "SIGTERM removed the rules (no SIPWARDEN chain in iptables or ip6tables)"
fi
n=$(grep -c "shield: reloaded .* on 2 of 2 workers" "$WORK/shield.log")
if [ "$n" = 3 ]; then
	ok "3 SIGHUPs under traffic: reloaded on 2 of 2 workers each time"
else
	bad "$n of 3 reloads applied on both workers"
fi

# shellcheck disable=SC1091
source "$OUT/bed.env"
S=$SHB_SERVER
A() { eval "echo \"\$SHB_ADDR_$1\""; }

# SIP packets on br0 from the server to each party.
tshark -n -r "$OUT/capture.pcap" -Y sip -T fields -E separator=/t -E occurrence=f \
	-e ip.src -e ip.dst -e sip.Method -e sip.Status-Code -e sip.CSeq.method -e sip.to.user \
	>"$WORK/sip.tsv" 2>"$WORK/tshark.err" || die "tshark failed: $(cat "$WORK/tshark.err")"
log "tshark: $(wc -l <"$WORK/sip.tsv") SIP messages on br0"
to_party() { awk -F'\t' -v s="$S" -v d="$1" '$1 == s && $2 == d { n++ } END { print n + 0 }' "$WORK/sip.tsv"; }
from_party() { awk -F'\t' -v s="$1" -v d="$S" '$1 == s && $2 == d { n++ } END { print n + 0 }' "$WORK/sip.tsv"; }
{
	printf 'role\tkind\tsent\treceived\n'
	while IFS=$'\t' read -r role addr kind _tool _exp; do
		[ "$role" = role ] && continue
		printf '%s\t%s\t%s\t%s\n' "$role" "$kind" "$(from_party "$addr")" "$(to_party "$addr")"
	done <"$OUT/parties.tsv"
} >"$WORK/figures.tsv"
log "SIP packets per party on br0 (sent to the server / received from it):"
column -t <"$WORK/figures.tsv" | sed 's/^/    /'
while IFS=$'\t' read -r role kind sent recv; do
	[ "$role" = role ] && continue
	if [ "$kind" = attack ]; then
		if [ "$recv" = 0 ]; then
			ok "$role: 0 SIP packets reached it (it sent $sent)"
		else
			bad "$role: $recv SIP packets from the server reached it"
		fi
	else
		if [ "$recv" -gt 0 ]; then
			ok "$role: answered ($recv SIP packets from the server)"
		else
			bad "$role: got nothing from the server"
		fi
	fi
done <"$WORK/figures.tsv"

# The tools' own verdicts ("found nothing" is SIPVicious' word for an empty result).
L="$OUT/logs"
for f in svmap-scan svmapua-scan svwar-enum svwarinv-enum svcrack-crack; do
	if grep -q "found nothing" "$L/$f.log" && ! grep -q "198.18.0.1:5060 *|" "$L/$f.log" &&
		! grep -Eq '^\| *1[0-3][0-9] *\|' "$L/$f.log"; then
		ok "${f%-*}: '$(grep -m1 "found nothing" "$L/$f.log")'"
	else
		bad "${f%-*} found something: $(tail -n 5 "$L/$f.log" | tr '\n' ' ')"
	fi
done
if grep -Eq '^\|_? ?sip-(methods|enum-users)' "$L/nmap-scan.log" "$L/nmapua-scan.log"; then
	bad "nmap's SIP scripts reported something: $(grep -A3 -E '^\|_? ?sip-' "$L/nmap-scan.log" | head -n 4)"
else
	ok "nmap and nmapua: sip-methods and sip-enum-users report nothing ($(grep -m1 '5060/udp' "$L/nmap-scan.log"))"
fi

# Legitimate SIPp transactions.
# shellcheck source-path=SCRIPTDIR source=shield/checks.sh
source "$HERE/shield/checks.sh"
check_legit_sipp
ab=$(A baresip)
nreg=$(awk -F'\t' -v s="$S" -v d="$ab" '$1 == s && $2 == d && $4 == 200 && $5 == "REGISTER"' "$WORK/sip.tsv" | wc -l)
[ "$nreg" -ge 2 ] && ok "baresip: $nreg REGISTERs answered 200" || bad "baresip: $nreg REGISTER 200s"
nans=$(awk -F'\t' -v s="$ab" -v d="$S" '$1 == s && $2 == d && $4 == 200 && $5 == "INVITE"' "$WORK/sip.tsv" | wc -l)
[ "$nans" -ge 1 ] && ok "baresip answered phone1's call (200 to INVITE)" || bad "baresip did not answer"

# The matched-message log: drops per party; none for a legitimate one.
[ -s "$WORK/matched.jsonl" ] || bad "the matched-message log is empty"
python3 - "$OUT/parties.tsv" "$WORK/matched.jsonl" >"$WORK/matched.txt" <<'EOF' || bad "the matched-message log: $(tail -n 3 "$WORK/matched.txt")"
import csv, json, sys
parties = {r["address"]: r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
drops, flags, bad = {}, {}, 0
for line in open(sys.argv[2]):
    rec = json.loads(line)
    remote = rec["src"] if rec["dir"] == "in" else rec["dst"]
    addr = remote.rsplit(":", 1)[0]
    p = parties.get(addr)
    role = p["role"] if p else addr
    if rec["verdict"] in ("drop", "deny"):
        drops[role] = drops.get(role, 0) + 1
        if p and p["kind"] == "legit":
            print("legitimate message dropped:", line.strip()[:300])
            bad += 1
    else:
        flags[role] = flags.get(role, 0) + 1
for role in sorted(set(drops) | set(flags)):
    print(f"{role}: {drops.get(role, 0)} dropped, {flags.get(role, 0)} flagged")
for r in parties.values():
    if r["kind"] == "attack" and not drops.get(r["role"]):
        print("attacker with no drop in the log:", r["role"])
        bad += 1
sys.exit(1 if bad else 0)
EOF
sed 's/^/    /' "$WORK/matched.txt"
grep -q "legitimate message dropped" "$WORK/matched.txt" && bad "legitimate messages dropped" ||
	ok "no legitimate message dropped (matched-message log)"

# --- B. reload under load, kill -9 (fail-open), --cleanup ----------------------------------
shb_kamailio_start >>"$WORK/record.log" 2>&1 || die "kamailio did not restart"
cat >"$WORK/load.conf" <<EOF
[shield]
sip-port = 5060
$DAEMON_KEYS
[realm access]
addr-prefix = 0.0.0.0/0
untrusted-signal-threshold = 1000
EOF
start_shield "$WORK/shield2.log" --workers 2 --config "$WORK/load.conf" || die "second shield"
(
	trap - EXIT INT TERM HUP
	for k in 1 2 3 4 5; do
		sleep 0.5
		sed -i "s/^untrusted-signal-threshold = .*/untrusted-signal-threshold = $((1000 + k))/" \
			"$WORK/load.conf"
		kill -HUP "$SHIELD_PID" 2>/dev/null || exit 0
	done
) </dev/null >/dev/null 2>&1 &
HUP_PID=$!
SHB_PIDS+=("$HUP_PID")
rec_sipp trunk load options.xml 5060 -m 300 -r 100 -rp 1000 -s trunk -key ua "$REC_UA_TRUNK" \
	>>"$WORK/record.log" 2>&1
wait "$HUP_PID" 2>/dev/null
shb_forget "$HUP_PID"
check_sipp trunk load 300
n=$(grep -c "shield: reloaded .* on 2 of 2 workers" "$WORK/shield2.log")
[ "$n" = 5 ] && ok "5 reloads while 300 OPTIONS flowed at 100/s: 0 lost" ||
	bad "$n of 5 reloads applied on both workers"

# A config that does not load: refused on SIGHUP, the shield keeps running on the old one.
printf '[shield]\nsip-port = 5060\n[realm access]\ndeny-period = soon\n' >"$WORK/load.conf"
kill -HUP "$SHIELD_PID"
if wait_line "$WORK/shield2.log" "reload refused, settings unchanged: .*load.conf:4: " 5 "$SHIELD_PID"; then
	ok "a broken config on SIGHUP: '$(grep -m1 "reload refused" "$WORK/shield2.log")'"
else
	bad "a broken config on SIGHUP was not refused: $(tail -n 2 "$WORK/shield2.log")"
fi

# kill -9 in the middle of 10 OPTIONS at 2/s.
(
	trap - EXIT INT TERM HUP
	sleep 2
	kill -KILL "$SHIELD_PID"
) </dev/null >/dev/null 2>&1 &
KILL_PID=$!
SHB_PIDS+=("$KILL_PID")
rec_sipp trunk afterkill options.xml 5060 -m 10 -r 2 -rp 1000 -s trunk -key ua "$REC_UA_TRUNK" \
	>>"$WORK/record.log" 2>&1
wait "$KILL_PID" 2>/dev/null
shb_forget "$KILL_PID"
kill -0 "$SHIELD_PID" 2>/dev/null && bad "the shield survived kill -9?"
shb_forget "$SHIELD_PID"
check_sipp trunk afterkill 10
if shb_exec srv "$IPT" -S | grep -q -- "-A INPUT -j SIPWARDEN-IN"; then
	ok "after kill -9 the rules are still there and traffic flows (fail-open bypass)"
else
	bad "after kill -9 the rules are gone?"
fi
if shb_exec srv "$SW" shield --cleanup 2>"$WORK/cleanup.err" &&
	! shb_exec srv "$IPT" -S | grep -q SIPWARDEN && ! shb_exec srv "$IP6T" -S | grep -q SIPWARDEN; then
	ok "shield --cleanup removed the rules: $(head -n1 "$WORK/cleanup.err")"
else
	bad "shield --cleanup: $(cat "$WORK/cleanup.err"); $(shb_exec srv "$IPT" -S | tr '\n' ' ')"
fi
shb_exec srv "$SW" shield --cleanup 2>/dev/null && ok "a second --cleanup (nothing installed) exits 0" ||
	bad "a second --cleanup failed"

# --- C. setup errors -------------------------------------------------------------------
start_shield "$WORK/shield3.log" --workers 1 || die "third shield"
shb_exec srv "$SW" shield --workers 1 >"$WORK/busy.out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q "queue 50600 is already in use by another program" "$WORK/busy.out"; then
	ok "a second shield on queue 50600: exit 2, '$(cat "$WORK/busy.out")'"
else
	bad "a second shield: rc $rc, $(cat "$WORK/busy.out")"
fi
shb_kill "$SHIELD_PID" TERM
printf '[shield]\nsip-port = 5060\n[realm access]\ndeny-period = soon\n' >"$WORK/bad.conf"
shb_exec srv "$SW" shield --config "$WORK/bad.conf" >"$WORK/bad.out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q "bad.conf:4: " "$WORK/bad.out"; then
	ok "a bad config: exit 2, '$(cat "$WORK/bad.out")'"
else
	bad "a bad config: rc $rc, $(cat "$WORK/bad.out")"
fi
if shb_exec srv "$IPT" -S | grep -q SIPWARDEN; then bad "rules left at the end"; fi

# A sanitizer build reports there (ASan, UBSan, LeakSanitizer at exit).
if grep -lE "Sanitizer|runtime error" "$WORK"/shield*.log >/dev/null 2>&1; then
	bad "sanitizer reports in $(grep -lE "Sanitizer|runtime error" "$WORK"/shield*.log | tr '\n' ' ')"
else
	ok "no sanitizer report in the shield's logs"
fi

[ "$FAILS" = 0 ] || die "$FAILS checks failed"
log "all checks passed"
