#!/usr/bin/env bash
# shellcheck disable=SC2015  # ok and bad return 0: "A && ok || bad" is an if-else here
# shield_ops.sh PATH_TO_SIPWARDEN
#
# The shield daemon's operations, in the shield test bed (tests/integration/shield/: Kamailio on
# 198.18.0.1:5060 in the server namespace, one namespace per party):
#
# A. nft kernel deny set, control socket, metrics, privileges. The shield runs with
#    deny-backend = nft and its state file, control socket and metrics in the work directory:
#      - sipsak (fingerprinted) gets no answer; its address appears in the nft set
#        inet sipwarden_deny deny4, and a flood of 2,000 packets from it is dropped in the kernel:
#        the nft counter grows by them and the shield's queue does not see them;
#      - a legitimate phone's OPTIONS are answered all along;
#      - `shield status`, `list` (sipsak, reason fingerprint), metrics on 127.0.0.1 in the
#        server namespace (messages by verdict, rule hits, kernel drops, latency histogram);
#      - `block ADDR --for 5`: the address goes unanswered, and is answered again after 5 s
#        (deny-period expiry, in the engine and in the kernel set); `unblock ADDR` lets a
#        denied address through at once;
#      - the control socket is mode 0600, and `status` as user nobody is refused (exit 2);
#      - the running daemon holds CAP_NET_ADMIN and CAP_NET_RAW only (/proc/PID/status);
# B. restart: a blocked address survives SIGTERM + start (state file, nft set restored); after
#    kill -9 the traffic still flows (fail-open), the denied address stays dropped by the
#    kernel set until `sipwarden shield --cleanup` removes the set and the rules.
# C. XDP backend (deny-backend = xdp on the attacker's bridge port): a fingerprinted source is
#    denied and its flood dropped by the XDP program (counted); the program is detached when the
#    shield stops.
#
# Exit: 0 pass, 1 fail, 77 skip (no namespaces, NFQUEUE, nf_tables or a bed tool missing).
# Network: only inside the namespaces the bed creates and removes; firewall rules, nft tables
# and XDP programs only in the bed's server namespace.

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=shield/testlib.sh
source "$HERE/shield/testlib.sh" shield_ops

sw_test_binary "$@"
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || skip "nft is not installed"
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || skip "iptables is not installed"
[ "$(id -u)" = 0 ] || skip "not root: network namespaces and firewall rules need root"
export PATH=$PATH:/usr/sbin:/sbin

# shellcheck source-path=SCRIPTDIR source=shield/bed.sh
source "$HERE/shield/bed.sh"
why=$(shb_unavailable)
[ -z "$why" ] || skip "$why"

WORK=$(mktemp -d /tmp/sw-shield-ops.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
SHIELD_PID=
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	[ -n "$SHIELD_PID" ] && kill -TERM "$SHIELD_PID" 2>/dev/null && sleep 1
	shb_down >/dev/null 2>&1 || rc=1
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

shb_up "$WORK/bed" >"$WORK/bed.log" 2>&1 || die "bed: $(tail -3 "$WORK/bed.log")"
shb_exec srv nft list tables >/dev/null 2>&1 || skip "nf_tables is not usable in a namespace here"
shb_kamailio_start 2>>"$WORK/bed.log" || die "kamailio: $(tail -3 "$WORK/bed.log")"
SRV=$SHB_SERVER
A_SIPSAK=$(shb_addr sipsak)
A_SVMAP=$(shb_addr svmap)
A_SVCRACK=$(shb_addr svcrack)
PHONE_UA="Linphone/5.2.0 (belle-sip/5.2.0)"

# The bridge port (in the server namespace) of ROLE's veth.
bed_port() {
	local i=0 r
	for r in $(shb_roles); do
		i=$((i + 1))
		[ "$r" = "$1" ] && printf 'sh%sp%02d' "$SHB_TAG" "$i" && return 0
	done
	return 1
}

probe() { # ROLE COUNT UA [--flood] -> "answered N of COUNT"
	shb_exec "$1" python3 "$HERE/shield/probe.py" "$SRV" "$2" "$3" ${4:+"$4"}
}
answered() { probe "$@" | awk '{print $2}'; }

ctl() { "$SW" shield --socket "$WORK/ctl.sock" "$@"; }

write_conf() { # FILE BACKEND [INTERFACE]
	cat >"$1" <<EOF
[shield]
deny-backend = $2
deny-interface = ${3:-}
state-file = $WORK/state/shield.state
control-socket = $WORK/ctl.sock
metrics-listen = 127.0.0.1:9560
log = $WORK/matched.jsonl
EOF
}

start_shield() { # LOG CONF
	shb_bg "$1" srv "$SW" shield --workers 2 --config "$2"
	SHIELD_PID=$SHB_LAST_PID
	shb_wait_line "$1" "shield: protecting" 10 "$SHIELD_PID" && return 0
	log "the shield did not start:"
	sed 's/^/  /' "$1"
	return 1
}

stop_shield() { # SIGNAL
	kill -"$1" "$SHIELD_PID" 2>/dev/null
	local i
	for i in $(seq 1 100); do
		kill -0 "$SHIELD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$SHIELD_PID" 2>/dev/null
	SHIELD_RC=$?
	shb_forget "$SHIELD_PID"
	SHIELD_PID=
}

nft_has() { shb_exec srv nft list set inet sipwarden_deny "$1" 2>/dev/null | grep -qw "$2"; }
nft_drops_in() {
	shb_exec srv nft list counter inet sipwarden_deny drops_in 2>/dev/null |
		awk '/packets/ {print $2; exit}'
}
queued() { ctl status | sed -n 's/^queue: \([0-9]*\) received.*/\1/p'; }
metrics() { shb_exec srv python3 -c "import urllib.request as u;print(u.urlopen('http://127.0.0.1:9560/metrics',timeout=5).read().decode())"; }

# --- A. nft deny set, control socket, metrics --------------------------------------------
write_conf "$WORK/nft.conf" nft
start_shield "$WORK/shield-a.log" "$WORK/nft.conf" || die "the shield did not start"
log "$(grep 'kernel deny set' "$WORK/shield-a.log")"

n=$(answered phone1 3 "$PHONE_UA")
[ "$n" = 3 ] && ok "a phone's OPTIONS are answered (3 of 3)" || bad "phone: $n of 3 answered"
n=$(answered sipsak 1 "sipsak 0.9.8")
[ "$n" = 0 ] && ok "sipsak's first OPTIONS gets no answer" || bad "sipsak answered $n"
nft_has deny4 "$A_SIPSAK" && ok "sipsak's address is in the kernel set deny4" ||
	bad "$A_SIPSAK not in the nft set: $(shb_exec srv nft list set inet sipwarden_deny deny4)"
q0=$(queued)
d0=$(nft_drops_in)
n=$(answered sipsak 2000 "$PHONE_UA" --flood)
sleep 0.5
q1=$(queued)
d1=$(nft_drops_in)
if [ "$n" = 0 ] && [ $((d1 - d0)) -ge 2000 ] && [ $((q1 - q0)) -lt 20 ]; then
	ok "a 2,000-packet flood from the denied source: kernel drops +$((d1 - d0)), queue +$((q1 - q0)), answers 0"
else
	bad "flood: answered $n, kernel drops +$((d1 - d0)), queued +$((q1 - q0))"
fi
n=$(answered phone1 3 "$PHONE_UA")
[ "$n" = 3 ] && ok "the phone is still answered after the flood" || bad "phone after flood: $n of 3"

ctl status >"$WORK/status.txt" 2>&1 && grep -q "^kernel deny set (nft): 1 added" "$WORK/status.txt" &&
	ok "status: $(grep -c . "$WORK/status.txt") lines, '$(grep '^sources' "$WORK/status.txt")'" ||
	bad "status: $(cat "$WORK/status.txt")"
ctl list >"$WORK/list.txt" 2>&1 && grep -q "^$A_SIPSAK	denied until .*	fingerprint	realm access" "$WORK/list.txt" &&
	ok "list: '$(head -n 1 "$WORK/list.txt")'" || bad "list: $(cat "$WORK/list.txt")"
metrics >"$WORK/metrics.txt" 2>&1
for m in 'sipwarden_shield_messages_total{verdict="deny"} 1' \
	'sipwarden_shield_kernel_drops_total{direction="in"} [1-9]' \
	'sipwarden_shield_rule_hits_total{rule="sipsak-ua"' \
	'sipwarden_shield_sources{state="denied"} 1' \
	'sipwarden_shield_verdict_latency_seconds_count [1-9]'; do
	grep -q "^$m" "$WORK/metrics.txt" || bad "metrics lack '$m'"
done
grep -q '^sipwarden_shield_kernel_drops_total{direction="in"} [1-9]' "$WORK/metrics.txt" &&
	ok "metrics: $(grep -vc '^#' "$WORK/metrics.txt") samples, with verdicts, rule hits, kernel drops, latency"

t_block=$SECONDS
ctl block "$A_SVMAP" --for 5 >"$WORK/block.txt" 2>&1 || bad "block: $(cat "$WORK/block.txt")"
in_set=no
nft_has deny4 "$A_SVMAP" && in_set=yes
n=$(answered svmap 1 "$PHONE_UA")
[ "$in_set" = yes ] && [ "$n" = 0 ] && ok "block --for 5: $(cat "$WORK/block.txt"); not answered" ||
	bad "block: answered $n, in the nft set: $in_set, $(cat "$WORK/block.txt")"
sleep $((t_block + 6 - SECONDS))
n=$(answered svmap 1 "$PHONE_UA")
[ "$n" = 1 ] && ! nft_has deny4 "$A_SVMAP" && ok "after the 5 s deny-period the address is answered again" ||
	bad "after expiry: answered $n"
ctl unblock "$A_SIPSAK" >"$WORK/unblock.txt" 2>&1 || bad "unblock: $(cat "$WORK/unblock.txt")"
n=$(answered sipsak 1 "$PHONE_UA")
[ "$n" = 1 ] && ! nft_has deny4 "$A_SIPSAK" && ok "unblock: $(cat "$WORK/unblock.txt"); answered" ||
	bad "after unblock: answered $n"
ctl block 10.0.0.0/8 >"$WORK/badblock.txt" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "one address at a time" "$WORK/badblock.txt" &&
	ok "block of an IPv4 prefix refused: $(cat "$WORK/badblock.txt")" || bad "bad block: rc $rc $(cat "$WORK/badblock.txt")"

mode=$(stat -c %a "$WORK/ctl.sock")
[ "$mode" = 600 ] && ok "control socket mode 0600" || bad "control socket mode $mode"
if command -v setpriv >/dev/null; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$SW" shield --socket "$WORK/ctl.sock" status >"$WORK/nobody.txt" 2>&1
	rc=$?
	[ "$rc" = 2 ] && grep -q "permission denied" "$WORK/nobody.txt" &&
		ok "status as nobody refused: $(cat "$WORK/nobody.txt")" || bad "as nobody: rc $rc $(cat "$WORK/nobody.txt")"
fi
caps=$(awk '/^CapEff/ {print $2}' "/proc/$SHIELD_PID/status")
[ "$caps" = 0000000000003000 ] && ok "the running daemon holds only net_admin and net_raw (CapEff $caps)" ||
	bad "CapEff $caps"

# --- B. restart, kill -9, cleanup ----------------------------------------------------------
ctl block "$A_SVCRACK" >/dev/null 2>&1 || bad "block $A_SVCRACK"
stop_shield TERM
[ "$SHIELD_RC" = 0 ] || bad "SIGTERM: exit $SHIELD_RC"
grep -q "^$A_SVCRACK/32 " "$WORK/state/shield.state" && ok "saved on exit: $(grep "^$A_SVCRACK" "$WORK/state/shield.state")" ||
	bad "state file: $(cat "$WORK/state/shield.state" 2>&1)"
shb_exec srv nft list table inet sipwarden_deny >/dev/null 2>&1 && bad "the nft table outlived the shield"
n=$(answered svcrack 1 "$PHONE_UA")
[ "$n" = 1 ] && ok "with the shield stopped, traffic flows unfiltered" || bad "shield stopped: answered $n"
start_shield "$WORK/shield-b.log" "$WORK/nft.conf" || die "the shield did not restart"
grep -q "restored 1 denied sources" "$WORK/shield-b.log" && ok "$(grep -o 'restored.*' "$WORK/shield-b.log")" ||
	bad "restore: $(cat "$WORK/shield-b.log")"
n=$(answered svcrack 1 "$PHONE_UA")
nft_has deny4 "$A_SVCRACK" && [ "$n" = 0 ] && ctl list | grep -q "^$A_SVCRACK" &&
	ok "after the restart the address is still denied (kernel set, engine, list)" ||
	bad "after restart: answered $n"
kill -KILL "$SHIELD_PID"
wait "$SHIELD_PID" 2>/dev/null
shb_forget "$SHIELD_PID"
SHIELD_PID=
n=$(answered phone1 3 "$PHONE_UA")
[ "$n" = 3 ] && ok "after kill -9 the phone is still answered (fail-open)" || bad "after kill -9: $n of 3"
n=$(answered svcrack 1 "$PHONE_UA")
[ "$n" = 0 ] && ok "after kill -9 the kernel set still drops the denied address" || bad "denied after kill -9: answered $n"
shb_exec srv "$SW" shield --cleanup --config "$WORK/nft.conf" >"$WORK/cleanup.txt" 2>&1 || bad "--cleanup: $(cat "$WORK/cleanup.txt")"
if ! shb_exec srv nft list table inet sipwarden_deny >/dev/null 2>&1 &&
	! shb_exec srv iptables -S | grep -q SIPWARDEN; then
	ok "--cleanup removed the nft deny table and the queue rules"
else
	bad "--cleanup left: $(shb_exec srv nft list tables) $(shb_exec srv iptables -S | grep SIPWARDEN)"
fi
n=$(answered svcrack 1 "$PHONE_UA")
[ "$n" = 1 ] && ok "after --cleanup the address is answered" || bad "after cleanup: answered $n"

# --- C. XDP backend ---------------------------------------------------------------------------
port=$(bed_port sipsak)
rm -f "$WORK/state/shield.state"
write_conf "$WORK/xdp.conf" xdp "$port"
if ! start_shield "$WORK/shield-c.log" "$WORK/xdp.conf"; then
	if grep -qi "xdp.*\(not supported\|unsupported\|no kernel support\)" "$WORK/shield-c.log"; then
		log "SKIP (C only): XDP is not available here: $(tail -n 1 "$WORK/shield-c.log")"
	else
		bad "the shield with deny-backend = xdp did not start"
	fi
else
	log "$(grep 'kernel deny set' "$WORK/shield-c.log")"
	shb_exec srv ip link show dev "$port" | grep -q "xdp" && ok "XDP program attached to $port" ||
		bad "no XDP program on $port: $(shb_exec srv ip link show dev "$port")"
	n=$(answered sipsak 1 "sipsak 0.9.8")
	[ "$n" = 0 ] || bad "sipsak answered with XDP: $n"
	sleep 0.3
	n=$(answered sipsak 2000 "$PHONE_UA" --flood)
	sleep 0.5
	ctl status >"$WORK/status-xdp.txt" 2>&1
	drops=$(sed -n 's/.* \([0-9]*\) packets dropped in the kernel$/\1/p' "$WORK/status-xdp.txt")
	[ "$n" = 0 ] && [ "${drops:-0}" -ge 2000 ] &&
		ok "XDP: the denied source's 2,000-packet flood dropped ($drops counted), 0 answered" ||
		bad "XDP flood: answered $n, drops ${drops:-?}: $(cat "$WORK/status-xdp.txt")"
	n=$(answered phone1 3 "$PHONE_UA")
	[ "$n" = 3 ] && ok "XDP: the phone is answered" || bad "XDP: phone $n of 3"
	stop_shield TERM
	shb_exec srv ip link show dev "$port" | grep -q "xdp" && bad "XDP program left on $port" ||
		ok "XDP program detached on exit"
fi

grep -h -E "runtime error|AddressSanitizer|LeakSanitizer" "$WORK"/shield-*.log && bad "sanitizer report in the shield's logs"
if [ "$FAILS" -gt 0 ]; then
	log "$FAILS checks failed"
	exit 1
fi
log "all checks passed"
