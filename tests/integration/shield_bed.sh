#!/usr/bin/env bash
# shield_bed.sh PATH_TO_SIPWARDEN
#
# Checks the shield test bed itself (tests/integration/shield/): records one run with
# record.sh (legitimate SIPp phones, baresip and a trunk, then SIPVicious, sipsak and nmap,
# also with changed User-Agents, against Kamailio on 198.18.0.1 in network namespaces) and
# asserts, from SIPp's exit status and statistics files and from tshark on the capture, that
# every legitimate transaction succeeded, that every attacker sent its traffic and got
# Kamailio's answers, and that nothing of the bed is left afterwards. It does not run
# sipwarden (the argument is accepted for the test harness): the shield's verdicts on this
# recording are checked by the shield's own tests.
#
# Exit: 0 pass, 1 fail, 77 skip (no network namespaces / bridge / veth, or a tool missing).
#
# Network: everything stays inside namespaces swsh-<pid>-* created by record.sh and removed
# on exit; no namespace has a route beyond 198.18.0.0/24.
#
# Environment: SW_KEEP=1 keeps the work directory (it is kept on failure).

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BED="$HERE/shield"

# shellcheck source-path=SCRIPTDIR source=shield/testlib.sh
source "$BED/testlib.sh" shield_bed

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH_TO_SIPWARDEN" >&2
	exit 1
fi

command -v tshark >/dev/null 2>&1 || skip "tshark is not installed"
# shellcheck source-path=SCRIPTDIR source=shield/bed.sh
source "$BED/bed.sh"
why=$(shb_unavailable)
[ -z "$why" ] || skip "$why"

WORK=$(mktemp -d /tmp/sw-shield-bed.XXXXXX) || die "mktemp"
chmod 755 "$WORK"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	if [ -n "${REC_PID:-}" ] && kill -0 "$REC_PID" 2>/dev/null; then
		kill -TERM "$REC_PID" 2>/dev/null # its own trap removes the bed
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

OUT="$WORK/rec"
T0=$(date +%s)
if [ -n "${SW_SHIELD_BED_RECORDING:-}" ]; then
	# Debugging the checks: use an earlier recording (record.sh OUTDIR) instead.
	OUT=$SW_SHIELD_BED_RECORDING
	echo "(reusing the recording in $OUT)" >"$WORK/record.log"
	REC_RC=0
else
	bash "$BED/record.sh" "$OUT" >"$WORK/record.log" 2>&1 &
	REC_PID=$!
	wait "$REC_PID"
	REC_RC=$?
	REC_PID=
fi
T1=$(date +%s)
sed 's/^/  /' "$WORK/record.log"
[ "$REC_RC" = 77 ] && skip "record.sh: $(grep -m1 SKIP "$WORK/record.log")"
[ "$REC_RC" = 0 ] || die "record.sh exited with $REC_RC"
log "recording took $((T1 - T0)) s"


# --- nothing left behind ---------------------------------------------------------------
# shellcheck disable=SC1091
source "$OUT/bed.env"
left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -F "$SHB_NS_PREFIX" || true)
if [ -z "$left" ]; then ok "no namespace $SHB_NS_PREFIX* left"; else bad "namespaces left: $left"; fi
if ip -o link show 2>/dev/null | grep -q "sh${SHB_TAG}p"; then
	bad "a veth of the bed (sh${SHB_TAG}pNN) is in the root namespace"
else
	ok "no veth of the bed in the root namespace"
fi
others=$(ip netns list 2>/dev/null | awk '{print $1}' | grep '^swsh-' || true)
[ -n "$others" ] && log "note: other swsh- namespaces exist (another run?): $others"
if [ $((T1 - T0)) -lt 180 ]; then ok "recording under 3 minutes"; else bad "recording took $((T1 - T0)) s"; fi

# --- SIPp: exit status and statistics ----------------------------------------------------
# windows.tsv: role step start end rc
# shellcheck source-path=SCRIPTDIR source=shield/checks.sh
source "$HERE/shield/checks.sh"
check_legit_sipp

# --- tshark: every message of the capture ------------------------------------------------
DUMP="$WORK/sip.tsv"
tshark -n -r "$OUT/capture.pcap" -Y sip -T fields -E separator=/t -E occurrence=f \
	-e ip.src -e ip.dst -e sip.Method -e sip.Status-Code -e sip.CSeq.method -e sip.to.user \
	-e sip.r-uri.user -e sip.User-Agent -e sip.Authorization -e sip.Proxy-Authorization \
	-e sip.Expires -e sip.Contact -e udp.srcport -e udp.dstport \
	>"$DUMP" 2>"$WORK/tshark.err" || die "tshark failed: $(cat "$WORK/tshark.err")"
log "tshark: $(wc -l <"$DUMP") SIP messages"
# shellcheck disable=SC2016  # awk code
AWKVARS='{ src = $1; dst = $2; m = $3; st = $4; cm = $5; tu = $6; ru = $7; ua = $8;
	auth = $9; pauth = $10; ex = $11; ct = $12; sport = $13; dport = $14 }'
# count COND: messages matching an awk condition over the variables above.
count() { awk -F'\t' "$AWKVARS ($1) { n++ } END { print n + 0 }" "$DUMP"; }
# values EXPR COND: the distinct values of EXPR over the matching messages, sorted.
values() { awk -F'\t' "$AWKVARS ($2) { print $1 }" "$DUMP" | sort -u; }
expect() { # DESCRIPTION OP N COND
	local n
	n=$(count "$4")
	if test "$n" "$2" "$3"; then
		ok "$1 ($n)"
	else
		bad "$1: $n, want $2 $3"
	fi
}
A() { eval "echo \"\$SHB_ADDR_$1\""; }
S=$SHB_SERVER
# A reply from the server to ROLE: dst == addr, status code.
to() { echo "src == \"$S\" && dst == \"$(A "$1")\""; }
from() { echo "src == \"$(A "$1")\" && dst == \"$S\""; }

# Only the bed's addresses appear.
strays=$(awk -F'\t' '{ print $1; print $2 }' "$DUMP" | sort -u | grep -vE '^198\.18\.0\.[0-9]+$' || true)
if [ -z "$strays" ]; then ok "only 198.18.0.0/24 addresses in the capture"; else bad "other addresses: $strays"; fi

# Legitimate registrations: a 200 to REGISTER for every user, to its own address.
reg_ok() { # ROLE USER
	expect "$1: 200 to REGISTER of user $2" -ge 1 "$(to "$1") && st == 200 && cm == \"REGISTER\" && tu == \"$2\""
}
reg_ok phone1 101
reg_ok phone2 102
for u in 110 111 112 113 114 115 116 117; do reg_ok natted $u; done
reg_ok baresip 120
expect "natted: 8 REGISTER 200s from one address" -eq 8 "$(to natted) && st == 200 && cm == \"REGISTER\""
n=$(values sport "$(from natted) && m == \"REGISTER\"" | wc -l)
if [ "$n" = 8 ]; then ok "natted: 8 source ports"; else bad "natted: $n source ports, want 8"; fi
expect "baresip: REGISTER refreshed (>= 2 successful, plus the unregistration)" -ge 3 \
	"$(to baresip) && st == 200 && cm == \"REGISTER\""
expect "baresip: unregistered at the end (REGISTER with expires=0)" -ge 1 \
	"$(from baresip) && m == \"REGISTER\" && (ex == \"0\" || ct ~ /expires=0/)"
expect "no legitimate REGISTER got anything but 401/200" -eq 0 \
	"src == \"$S\" && cm == \"REGISTER\" && st != 200 && st != 401 && (dst == \"$(A phone1)\" || dst == \"$(A phone2)\" || dst == \"$(A natted)\" || dst == \"$(A baresip)\")"

# Keepalives and qualify.
expect "phone1: 3 OPTIONS answered 200" -eq 3 "$(to phone1) && st == 200 && cm == \"OPTIONS\""
expect "trunk: 15 OPTIONS sent" -eq 15 "$(from trunk) && m == \"OPTIONS\""
expect "trunk: 15 OPTIONS answered 200" -eq 15 "$(to trunk) && st == 200 && cm == \"OPTIONS\""
expect "trunk: no REGISTER" -eq 0 "$(from trunk) && m == \"REGISTER\""

# Calls: phone1 -> 102 (phone2) and -> 120 (baresip), challenged (407), then relayed.
expect "phone1: 407 to its first INVITEs" -eq 2 "$(to phone1) && st == 407 && cm == \"INVITE\""
for pair in "phone2 102" "baresip 120"; do
	# shellcheck disable=SC2086
	set -- $pair
	expect "phone1 -> $2: 200 to INVITE" -eq 1 "$(to phone1) && st == 200 && cm == \"INVITE\" && tu == \"$2\""
	# Two ACKs: one for the 407 (absorbed by Kamailio), one for the 200 (relayed).
	expect "phone1 -> $2: ACK for the 407 and the 200" -eq 2 "$(from phone1) && m == \"ACK\" && ru ~ /^$2/"
	expect "phone1 -> $2: BYE" -eq 1 "$(from phone1) && m == \"BYE\" && ru ~ /^$2/"
	expect "phone1 -> $2: 200 to BYE" -eq 1 "$(to phone1) && st == 200 && cm == \"BYE\" && tu == \"$2\""
	expect "$1: INVITE relayed to it" -ge 1 "src == \"$S\" && dst == \"$(A "$1")\" && m == \"INVITE\""
	expect "$1: answered 200 to INVITE" -ge 1 "$(from "$1") && st == 200 && cm == \"INVITE\""
	expect "$1: got the ACK" -ge 1 "src == \"$S\" && dst == \"$(A "$1")\" && m == \"ACK\""
	expect "$1: got the BYE" -eq 1 "src == \"$S\" && dst == \"$(A "$1")\" && m == \"BYE\""
	expect "$1: answered 200 to BYE" -eq 1 "$(from "$1") && st == 200 && cm == \"BYE\""
done

# --- attackers --------------------------------------------------------------------------
users_range() { # COND: how many of 100..130 appear as To users
	values tu "$1" | awk '$1 >= 100 && $1 <= 130' | wc -l
}
# Packets tcpdump itself lost (it says so when it stops): a missing answer is then not the bed's.
CAP_DROPS=$(sed -n 's/^\([0-9]*\) packets dropped by kernel$/\1/p' "$OUT/logs/tcpdump.log" 2>/dev/null | head -n 1)
CAP_DROPS=${CAP_DROPS:-0}
[ "$CAP_DROPS" = 0 ] || log "note: tcpdump reports $CAP_DROPS packets dropped by the kernel"
expect_users() { # DESCRIPTION COND
	local n
	n=$(users_range "$2")
	if [ "$n" = 31 ]; then
		ok "$1 (31 of 100..130)"
	elif [ "$n" -ge $((31 - CAP_DROPS)) ]; then
		ok "$1 ($n of 100..130; tcpdump lost $CAP_DROPS packets)"
	else
		bad "$1: $n of 100..130"
	fi
}
expect "svmap: OPTIONS with User-Agent friendly-scanner" -ge 1 \
	"$(from svmap) && m == \"OPTIONS\" && ua == \"friendly-scanner\""
expect "svmap: 200 to OPTIONS" -ge 1 "$(to svmap) && st == 200 && cm == \"OPTIONS\""

expect_users "svwar: REGISTER for every extension" "$(from svwar) && m == \"REGISTER\""
expect_users "svwar: 401 for every extension" "$(to svwar) && st == 401"
expect "svwar: 404 to its canary" -ge 1 "$(to svwar) && st == 404"

expect_users "svwar -m INVITE: INVITE for every extension" "$(from svwarinv) && m == \"INVITE\""
expect_users "svwar -m INVITE: 407 for every extension" "$(to svwarinv) && st == 407 && cm == \"INVITE\""
expect "svwar -m INVITE: 404 to its canary" -ge 1 "$(to svwarinv) && st == 404 && cm == \"INVITE\""
expect "svwar -m INVITE: its ACKs" -ge 31 "$(from svwarinv) && m == \"ACK\""

expect "svcrack: >= 20 REGISTER with Authorization for user 100" -ge 20 \
	"$(from svcrack) && m == \"REGISTER\" && auth != \"\" && tu == \"100\""
expect "svcrack: every REGISTER answered 401" -eq "$(count "$(from svcrack) && m == \"REGISTER\"")" \
	"$(to svcrack) && st == 401"
expect "svcrack: no 200 (the password is not in its range)" -eq 0 "$(to svcrack) && st == 200"

expect "sipsak: OPTIONS answered 200" -ge 1 "$(to sipsak) && st == 200 && cm == \"OPTIONS\""
expect "sipsak: REGISTER answered 401" -ge 1 "$(to sipsak) && st == 401 && cm == \"REGISTER\""
expect "sipsak: User-Agent sipsak" -ge 2 "$(from sipsak) && ua ~ /^sipsak/"
expect "sipsak: no REGISTER 200 (wrong password)" -eq 0 "$(to sipsak) && st == 200 && cm == \"REGISTER\""

for r in nmap nmapua; do
	if [ $r = nmap ]; then want='ua == "Nmap NSE"'; else want='ua == "Yealink SIP-T46S 66.85.0.5"'; fi
	expect "$r: OPTIONS answered 200 (sip-methods)" -ge 1 "$(to $r) && st == 200 && cm == \"OPTIONS\""
	expect_users "$r: REGISTER for every extension (sip-enum-users)" "$(from $r) && m == \"REGISTER\""
	expect_users "$r: 401 for every extension" "$(to $r) && st == 401 && cm == \"REGISTER\""
	expect "$r: 404 to its canary" -ge 1 "$(to $r) && st == 404"
	expect "$r: every request with its User-Agent" -eq "$(count "$(from $r) && m != \"\"")" \
		"$(from $r) && m != \"\" && $want"
done

expect "svmapua: OPTIONS with the Yealink User-Agent" -ge 1 \
	"$(from svmapua) && m == \"OPTIONS\" && ua == \"Yealink SIP-T46S 66.85.0.5\""
expect "svmapua: no friendly-scanner" -eq 0 "$(from svmapua) && ua == \"friendly-scanner\""
expect "svmapua: 200 to OPTIONS" -ge 1 "$(to svmapua) && st == 200 && cm == \"OPTIONS\""

# Every attacker sent something and got answers; the manifest names every party.
while IFS=$'\t' read -r role addr kind tool _; do
	[ "$role" = role ] && continue
	[ "$addr" = "$(A "$role")" ] || bad "parties.tsv: $role at $addr, bed.env says $(A "$role")"
	s=$(count "src == \"$addr\" && m != \"\"")
	r=$(count "src == \"$S\" && dst == \"$addr\" && st != \"\"")
	if [ "$s" -gt 0 ] && [ "$r" -gt 0 ]; then
		log "     $(printf '%-9s %-13s %-6s %-8s sent %3d requests, got %3d replies: %s' "$role" "$addr" \
			"$kind" "$tool" "$s" "$r" "$(values st "src == \"$S\" && dst == \"$addr\" && st != \"\"" |
				while read -r c; do printf '%s x%s ' "$c" "$(count "src == \"$S\" && dst == \"$addr\" && st == \"$c\"")"; done)")"
	else
		bad "$role ($addr): sent $s requests, got $r replies"
	fi
done <"$OUT/parties.tsv"
if [ "$(wc -l <"$OUT/parties.tsv")" = 14 ]; then
	ok "parties.tsv: 13 parties"
else
	bad "parties.tsv has $(wc -l <"$OUT/parties.tsv") lines"
fi

if [ "$FAILS" -gt 0 ]; then
	die "$FAILS check(s) failed (recording in $OUT)"
fi
log "PASS"
exit 0
