#!/usr/bin/env bash
# denyset.sh PATH_TO_SIPWARDEN
#
# The kernel deny set (src/shield/denyset*.c) with real packets, through tests/tools/
# denyset_drive (built next to sipwarden): two namespaces joined by a veth pair,
#
#   dsN-srv  vs  198.18.0.1/24  2001:db8::1/32        listeners on UDP 5060 (SIP) and 5080
#   dsN-cli  vc  198.18.0.2 .3  2001:db8:1::2 :1::9 :2::2   listener on UDP 7000
#
# and checks, for nft: a denied IPv4 address and IPv6 /64 lose their packets to the SIP port
# while another source and a non-SIP port still get through; the server's answers to a denied
# address are dropped on output; del unblocks; a 2 s entry expires; the kernel counters count;
# close, and cleanup after a killed driver, leave no table. For XDP on the server's veth: the
# same drops, the per-CPU counter, expiry, and no program left after close or after a kill
# (the BPF link goes with the process). Also that nothing appears in the root namespace.
#
# Exit: 0 pass, 1 fail, 77 skip (not root, no namespaces or veth, no nf_tables).
# Network: only inside the two namespaces, removed on exit; no route leaves them.

set -u
set -o pipefail

# shellcheck source=shield/testlib.sh
source "$(dirname "${BASH_SOURCE[0]}")/shield/testlib.sh" denyset

[ $# -eq 1 ] || { echo "usage: $0 PATH_TO_SIPWARDEN" >&2; exit 1; }
DRIVE="$(cd "$(dirname "$1")" && pwd)/denyset_drive"
[ -x "$DRIVE" ] || die "no driver at $DRIVE (build the tree: cmake --build)"
[ "$(id -u)" = 0 ] || skip "not root: network namespaces, nftables and XDP need root"
command -v ip >/dev/null 2>&1 || skip "iproute2 (ip) not installed"
command -v nft >/dev/null 2>&1 || skip "nft not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"

SRV="ds$$-srv"
CLI="ds$$-cli"
WORK=$(mktemp -d /tmp/sw-denyset.XXXXXX) || die "mktemp"
PIDS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	set +e
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$SRV" 2>/dev/null
	ip netns del "$CLI" 2>/dev/null
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$SRV" 2>/dev/null || skip "cannot create network namespaces"
ip netns add "$CLI" || die "ip netns add $CLI"
ip -n "$SRV" link add vs type veth peer name vc netns "$CLI" 2>/dev/null ||
	skip "cannot create a veth pair in a namespace"
ip netns exec "$SRV" nft add table inet sw_probe 2>/dev/null || skip "no nf_tables in this kernel"
ip netns exec "$SRV" nft delete table inet sw_probe

for ns in "$SRV" "$CLI"; do ip -n "$ns" link set lo up; done
ip -n "$SRV" addr add 198.18.0.1/24 dev vs
ip -n "$SRV" addr add 2001:db8::1/32 dev vs nodad
for a in 198.18.0.2/24 198.18.0.3/24; do ip -n "$CLI" addr add "$a" dev vc; done
for a in 2001:db8:1::2/32 2001:db8:1::9/32 2001:db8:2::2/32; do
	ip -n "$CLI" addr add "$a" dev vc nodad
done
ip -n "$SRV" link set vs up
ip -n "$CLI" link set vc up

# listen.py LOG PORT...: every datagram on those ports (IPv4 and IPv6) as "PORT PAYLOAD" in LOG.
cat >"$WORK/listen.py" <<'PY'
import select, socket, sys, time
log = open(sys.argv[1], "a", buffering=1)
socks = []
for port in sys.argv[2:]:
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    socks.append(s)
print("ready", file=log)
end = time.time() + 300
while time.time() < end:
    for s in select.select(socks, [], [], 1)[0]:
        data, _ = s.recvfrom(2048)
        log.write("%d %s\n" % (s.getsockname()[1], data.decode(errors="replace")))
PY
# send.py SRC SPORT DST DPORT PAYLOAD: one datagram (with SW_IPOPT=1: IPv4 options, 4 NOP/EOL). A drop by an output rule makes sendto fail
# with EPERM: that is a datagram not delivered, not an error of the test.
cat >"$WORK/send.py" <<'PY'
import os, socket, sys
src, sport, dst, dport, payload = sys.argv[1:6]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src, int(sport)))
if os.environ.get("SW_IPOPT") and fam == socket.AF_INET:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, b"\x01\x01\x01\x00")  # IHL 6
try:
    s.sendto(payload.encode(), (dst, int(dport)))
except PermissionError:
    pass
PY

listen() { # NS LOG PORT...
	local ns=$1 logf=$2
	shift 2
	ip netns exec "$ns" python3 "$WORK/listen.py" "$logf" "$@" &
	PIDS+=($!)
	for _ in $(seq 50); do grep -q ready "$logf" 2>/dev/null && return 0; sleep 0.1; done
	die "listener in $ns did not start"
}
listen "$SRV" "$WORK/srv.log" 5060 5080
listen "$CLI" "$WORK/cli.log" 7000

SEQ=0
# delivered NS SRC SPORT DST DPORT LOG: 0 when one datagram sent from SRC reaches LOG's listener.
delivered() {
	SEQ=$((SEQ + 1))
	local tag="m$SEQ-$RANDOM"
	ip netns exec "$1" python3 "$WORK/send.py" "$2" "$3" "$4" "$5" "$tag" ||
		die "send from $2 failed"
	for _ in $(seq 10); do
		grep -q " $tag\$" "$6" && return 0
		sleep 0.05
	done
	return 1
}
in_ok() { delivered "$CLI" "$1" 40000 "$2" "$3" "$WORK/srv.log"; }   # SRC DST DPORT
out_ok() { delivered "$SRV" "$1" 5070 "$2" 7000 "$WORK/cli.log"; }   # SRC DST (5070: a SIP port)

expect_in() { # yes|no SRC DST DPORT WHAT
	if in_ok "$2" "$3" "$4"; then r=yes; else r=no; fi
	if [ "$r" = "$1" ]; then ok "$5"; else bad "$5 (delivered: $r)"; fi
}
expect_out() { # yes|no SRC DST WHAT
	if out_ok "$2" "$3"; then r=yes; else r=no; fi
	if [ "$r" = "$1" ]; then ok "$4"; else bad "$4 (delivered: $r)"; fi
}

# The driver as a coprocess in the server namespace; cmd sends one line and reads one answer.
drive_start() { # BACKEND
	coproc DRV { exec ip netns exec "$SRV" "$DRIVE" "$1" 5060,5070 vs 64 2>>"$WORK/drive.err"; }
	DRV_PID_SAVED=$DRV_PID
	PIDS+=("$DRV_PID")
	read -r -t 20 ANSWER <&"${DRV[0]}" || die "driver did not start: $(cat "$WORK/drive.err")"
	log "driver: $ANSWER"
	case $ANSWER in ok*) ;; *) die "open $1: $ANSWER" ;; esac
}
cmd() {
	echo "$*" >&"${DRV[1]}"
	read -r -t 20 ANSWER <&"${DRV[0]}" || die "driver did not answer '$*'"
	case $ANSWER in ok*) ;; *) bad "'$*': $ANSWER" ;; esac
}
drive_quit() {
	echo quit >&"${DRV[1]}"
	wait "$DRV_PID_SAVED" 2>/dev/null
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
sleep_until() { # MS (now_ms clock): entries added with a timeout are checked after it
	local left=$(($1 - $(now_ms)))
	[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf '%03d' $((left % 1000)))"
	return 0
}
stat_of() { echo "$ANSWER" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
has_table() { ip netns exec "$SRV" nft list tables 2>/dev/null | grep -q 'inet sipwarden_deny'; }
root_has_table() { nft list tables 2>/dev/null | grep -q 'inet sipwarden_deny'; }
has_xdp() { ip -n "$SRV" link show vs | grep -q 'prog/xdp'; }
cleanup_ok() { grep -q '^ok$' "$WORK/cleanup.out"; }
# pass_if DESCRIPTION CMD...: pass when CMD succeeds; pass_unless: when it fails.
pass_if() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
pass_unless() { local d=$1; shift; if "$@"; then bad "$d"; else ok "$d"; fi; }
ge() { [ "$1" -ge "$2" ]; }

T0=$(date +%s)
# --- baseline -----------------------------------------------------------------------------
expect_in yes 198.18.0.2 198.18.0.1 5060 "before any deny, 198.18.0.2 reaches the SIP port"
expect_in yes 2001:db8:1::2 2001:db8::1 5060 "before any deny, 2001:db8:1::2 reaches the SIP port"
expect_out yes 198.18.0.1 198.18.0.2 "before any deny, the server's answer reaches 198.18.0.2"

# --- nft ----------------------------------------------------------------------------------
log "backend nft"
drive_start nft
pass_if "table inet sipwarden_deny created" has_table
cmd add 198.18.0.2 32 60000
cmd add 2001:db8:1::2 64 60000
cmd sync
expect_in no 198.18.0.2 198.18.0.1 5060 "nft: denied 198.18.0.2 -> SIP port dropped"
expect_in yes 198.18.0.3 198.18.0.1 5060 "nft: 198.18.0.3 (not denied) -> SIP port delivered"
expect_in yes 198.18.0.2 198.18.0.1 5080 "nft: denied 198.18.0.2 -> non-SIP port delivered"
expect_in no 2001:db8:1::2 2001:db8::1 5060 "nft: denied 2001:db8:1::/64 (::2) dropped"
expect_in no 2001:db8:1::9 2001:db8::1 5060 "nft: denied 2001:db8:1::/64 (::9, same prefix) dropped"
expect_in yes 2001:db8:2::2 2001:db8::1 5060 "nft: 2001:db8:2::2 (other /64) delivered"
expect_out no 198.18.0.1 198.18.0.2 "nft: the server's answer to denied 198.18.0.2 dropped"
expect_out yes 198.18.0.1 198.18.0.3 "nft: the server's answer to 198.18.0.3 delivered"
expect_out no 2001:db8::1 2001:db8:1::9 "nft: the server's answer to denied 2001:db8:1::9 dropped"
cmd stats
pass_if "nft: inbound drop counter >= 3: $ANSWER" ge "$(stat_of in)" 3
pass_if "nft: outbound drop counter >= 2" ge "$(stat_of out)" 2
pass_if "nft: 2 added" [ "$(stat_of added)" = 2 ]
pass_if "nft: 0 failed" [ "$(stat_of failed)" = 0 ]

cmd del 198.18.0.2 32
cmd del 2001:db8:1::2 64
cmd sync
expect_in yes 198.18.0.2 198.18.0.1 5060 "nft: after del, 198.18.0.2 delivered again"
expect_in yes 2001:db8:1::9 2001:db8::1 5060 "nft: after del, 2001:db8:1::/64 delivered again"

T_ADD=$(now_ms)
cmd add 198.18.0.2 32 2000
cmd add 2001:db8:1::2 128 2000
cmd sync
expect_in no 198.18.0.2 198.18.0.1 5060 "nft: 2 s entry drops at first"
expect_in no 2001:db8:1::2 2001:db8::1 5060 "nft: 2 s /128 entry drops at first"
expect_in yes 2001:db8:1::9 2001:db8::1 5060 "nft: a /128 entry spares its neighbour"
sleep_until $((T_ADD + 2300))
expect_in yes 198.18.0.2 198.18.0.1 5060 "nft: after the 2 s timeout, delivered again"
expect_in yes 2001:db8:1::2 2001:db8::1 5060 "nft: after the 2 s timeout, /128 delivered again"

# a re-add of a present element takes the new, shorter timeout
cmd add 198.18.0.2 32 60000
cmd add 198.18.0.2 32 800
cmd sync
sleep 1
expect_in yes 198.18.0.2 198.18.0.1 5060 "nft: a re-add replaces the element's timeout"
cmd close
pass_unless "nft: close removes the table" has_table
drive_quit

# a killed daemon leaves the table; cleanup removes it
drive_start nft
cmd add 198.18.0.2 32 60000
cmd sync
kill -KILL "$DRV_PID_SAVED"
wait "$DRV_PID_SAVED" 2>/dev/null
pass_if "nft: a killed driver leaves its table" has_table
ip netns exec "$SRV" "$DRIVE" off 5060 - 64 <<<"cleanup vs" >"$WORK/cleanup.out" 2>&1
pass_if "cleanup succeeds" cleanup_ok
pass_unless "nft: cleanup removes a crashed daemon's table" has_table
pass_unless "no sipwarden_deny table in the root namespace" root_has_table

# --- XDP ----------------------------------------------------------------------------------
log "backend xdp"
drive_start xdp
cmd mode
log "xdp attach mode on veth: $ANSWER"
pass_if "xdp: program attached to vs" has_xdp
T_ADD=$(now_ms)
cmd add 198.18.0.2 32 3000
cmd add 2001:db8:1::2 64 3000
cmd sync
expect_in no 198.18.0.2 198.18.0.1 5060 "xdp: denied 198.18.0.2 -> SIP port dropped"
expect_in yes 198.18.0.3 198.18.0.1 5060 "xdp: 198.18.0.3 -> SIP port delivered"
expect_in yes 198.18.0.2 198.18.0.1 5080 "xdp: denied 198.18.0.2 -> non-SIP port delivered"
expect_in no 2001:db8:1::9 2001:db8::1 5060 "xdp: denied 2001:db8:1::/64 (::9) dropped"
expect_in yes 2001:db8:2::2 2001:db8::1 5060 "xdp: 2001:db8:2::2 (other /64) delivered"
if SW_IPOPT=1 in_ok 198.18.0.2 198.18.0.1 5060; then r=yes; else r=no; fi
pass_if "xdp: denied 198.18.0.2 with IPv4 options dropped (delivered: $r)" [ $r = no ]
if SW_IPOPT=1 in_ok 198.18.0.3 198.18.0.1 5060; then r=yes; else r=no; fi
pass_if "xdp: 198.18.0.3 with IPv4 options delivered" [ $r = yes ]
cmd stats
pass_if "xdp: per-CPU drop counter >= 3: $ANSWER" ge "$(stat_of in)" 3
sleep_until $((T_ADD + 3300))
expect_in yes 198.18.0.2 198.18.0.1 5060 "xdp: after expiry, 198.18.0.2 delivered again"
expect_in yes 2001:db8:1::9 2001:db8::1 5060 "xdp: after expiry, 2001:db8:1::/64 delivered again"
cmd add 198.18.0.2 32 60000
cmd sync
expect_in no 198.18.0.2 198.18.0.1 5060 "xdp: denied again"
cmd del 198.18.0.2 32
cmd sync
expect_in yes 198.18.0.2 198.18.0.1 5060 "xdp: after del, delivered again"
cmd add 2001:db8:1::2 128 60000
cmd sync
expect_in no 2001:db8:1::2 2001:db8::1 5060 "xdp: a denied /128 dropped"
expect_in yes 2001:db8:1::9 2001:db8::1 5060 "xdp: a /128 entry spares its neighbour"
cmd close
pass_unless "xdp: close detaches the program" has_xdp
drive_quit

drive_start xdp
kill -KILL "$DRV_PID_SAVED"
wait "$DRV_PID_SAVED" 2>/dev/null
sleep 0.2
pass_unless "xdp: a killed driver leaves no program (BPF link)" has_xdp
ip netns exec "$SRV" "$DRIVE" off 5060 - 64 <<<"cleanup vs" >"$WORK/cleanup.out" 2>&1
pass_if "cleanup with nothing left succeeds" cleanup_ok
pass_unless "no table at the end" has_table

# --- errors -------------------------------------------------------------------------------
out=$(ip netns exec "$SRV" "$DRIVE" xdp 5060 nosuch0 64 </dev/null 2>&1)
case $out in *'no interface "nosuch0"'*) ok "xdp: unknown interface named in the error" ;;
*) bad "xdp: unknown interface: $out" ;; esac

# a sanitizer build's reports (leaks, overflows) land in the driver's standard error
if grep -q 'Sanitizer' "$WORK/drive.err" 2>/dev/null; then
	bad "the driver's sanitizer reported: $(grep -m3 'Sanitizer' "$WORK/drive.err")"
else
	ok "no sanitizer report from the driver"
fi

log "took $(($(date +%s) - T0)) s"
[ "$FAILS" = 0 ] || die "$FAILS check(s) failed"
log "all checks passed"
