# shellcheck shell=bash
# Namespace test bed for `sipwarden scan` (sourced by tests/integration/scan_netns.sh and
# bench/scan). Nothing here reaches any address outside the two namespaces it creates.
#
#   source tests/integration/scan/testbed.sh
#   trap testbed_down EXIT            # or call testbed_down from your own EXIT trap
#   testbed_up 4096 [WORKDIR]         # N_TARGETS <= 65536: the prefix TB_PREFIX holds them
#   testbed_start_responder MAP.json  # tests/integration/scan/responder.py in the target ns
#   testbed_start_kamailio 198.18.9.1 198.18.12.34
#   tb_scn "$SIPWARDEN" scan --no-default-exclude ... "$TB_PREFIX"
#   testbed_mark NAME                 # every probe so far is in $TB_LOG before this returns
#   testbed_down
#
# Layout (swscan-<pid>-scn: the scanner; swscan-<pid>-tgt: the targets):
#
#   swscan-PID-scn                                  swscan-PID-tgt
#   lo                                              lo: local 198.18.0.0/16      ("AnyIP":
#   swsPIDs 198.19.254.1/24          <-- veth -->   swsPIDt 198.19.254.2/24       every address
#           2001:db8:5c:ffff::1/64                          2001:db8:5c:ffff::2/64 answers at
#   route 198.18.0.0/16 via 198.19.254.2                lo: local 2001:db8:5c::/112  the IP level)
#   route 2001:db8:5c::/112 via 2001:db8:5c:ffff::2
#   (no default route: anything else is unreachable)
#
# Targets: TB_PREFIX = 198.18.0.0/(32 - ceil(log2 N)) (198.18.0.0/20 for 4096), and
# TB_PREFIX6 = 2001:db8:5c::/120. All of 198.18.0.0/16 is local in the target namespace, so a
# probe to an address outside TB_PREFIX is still seen (and logged) by the responder. Both
# ranges are test-only (RFC 2544 benchmarking, RFC 3849 documentation) and in sipwarden's
# default exclusion list: scans of the bed need --no-default-exclude.
#
# Variables set by testbed_up: TB_TGT_NS TB_SCN_NS TB_VETH_SCN TB_VETH_TGT TB_SCN_ADDR
# TB_TGT_ADDR TB_SCN_ADDR6 TB_TGT_ADDR6 TB_PREFIX TB_PREFIX6 TB_WORK TB_LOG.
# Requires: root (or CAP_NET_ADMIN + CAP_SYS_ADMIN), iproute2, python3.

TB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The real interpreter, not a wrapper script (pyenv shims): a pid we start must be the
# process itself, so that stopping it by pid stops it.
TB_PYTHON=${TB_PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}
TB_PIDS=()
TB_UP=0

tb_log() { printf '[testbed] %s\n' "$*" >&2; }

# Run a command in the target / scanner namespace.
tb_tgt() { ip netns exec "$TB_TGT_NS" "$@"; }
tb_scn() { ip netns exec "$TB_SCN_NS" "$@"; }

# Why the bed cannot be built here (empty when it can). Creates and removes a probe namespace.
testbed_unavailable() {
	command -v ip >/dev/null 2>&1 || { echo "iproute2 (ip) not installed"; return 0; }
	command -v "$TB_PYTHON" >/dev/null 2>&1 || { echo "python3 not installed"; return 0; }
	local ns="swscan-$$-probe"
	if ! ip netns add "$ns" 2>/dev/null; then
		echo "cannot create network namespaces (need root / CAP_SYS_ADMIN)"
		return 0
	fi
	if ! ip link add "swsp$$a" netns "$ns" type veth peer name "swsp$$b" netns "$ns" 2>/dev/null; then
		ip netns del "$ns" 2>/dev/null
		echo "cannot create veth pairs"
		return 0
	fi
	ip netns del "$ns"
	return 0
}

testbed_up() {
	local n=${1:?testbed_up N_TARGETS [WORKDIR]}
	if [ "$n" -lt 1 ] || [ "$n" -gt 65536 ]; then
		tb_log "N_TARGETS must be 1..65536 (got $n)"
		return 1
	fi
	local bits=0
	while [ $((1 << bits)) -lt "$n" ]; do bits=$((bits + 1)); done
	TB_PREFIX="198.18.0.0/$((32 - bits))"
	TB_PREFIX6="2001:db8:5c::/120"
	TB_TGT_NS="swscan-$$-tgt"
	TB_SCN_NS="swscan-$$-scn"
	TB_VETH_SCN="sws$$s"
	TB_VETH_TGT="sws$$t"
	TB_SCN_ADDR=198.19.254.1
	TB_TGT_ADDR=198.19.254.2
	TB_SCN_ADDR6=2001:db8:5c:ffff::1
	TB_TGT_ADDR6=2001:db8:5c:ffff::2
	if [ -n "${2:-}" ]; then
		TB_WORK=$2
		mkdir -p "$TB_WORK" || return 1
	else
		TB_WORK=$(mktemp -d /tmp/swscan-bed.XXXXXX) || return 1
	fi
	TB_LOG="$TB_WORK/probes.jsonl"
	local ns
	for ns in "$TB_TGT_NS" "$TB_SCN_NS"; do
		if ip netns list | grep -qw "$ns"; then
			tb_log "namespace $ns exists already (a crashed run with the same pid?); delete it with: ip netns del $ns"
			return 1
		fi
	done
	TB_UP=1
	ip netns add "$TB_TGT_NS" || return 1
	ip netns add "$TB_SCN_NS" || return 1
	# The veth pair is created directly inside the two namespaces: it never exists in the
	# root namespace.
	ip link add "$TB_VETH_SCN" netns "$TB_SCN_NS" type veth peer name "$TB_VETH_TGT" netns "$TB_TGT_NS" || return 1
	tb_tgt ip link set lo up || return 1
	tb_scn ip link set lo up || return 1
	tb_tgt ip link set "$TB_VETH_TGT" up || return 1
	tb_scn ip link set "$TB_VETH_SCN" up || return 1
	tb_tgt ip addr add "$TB_TGT_ADDR/24" dev "$TB_VETH_TGT" || return 1
	tb_scn ip addr add "$TB_SCN_ADDR/24" dev "$TB_VETH_SCN" || return 1
	tb_tgt ip -6 addr add "$TB_TGT_ADDR6/64" dev "$TB_VETH_TGT" nodad || return 1
	tb_scn ip -6 addr add "$TB_SCN_ADDR6/64" dev "$TB_VETH_SCN" nodad || return 1
	# AnyIP: every address of the range is local in the target namespace.
	tb_tgt ip route add local 198.18.0.0/16 dev lo || return 1
	tb_tgt ip -6 route add local 2001:db8:5c::/112 dev lo || return 1
	tb_scn ip route add 198.18.0.0/16 via "$TB_TGT_ADDR" dev "$TB_VETH_SCN" || return 1
	tb_scn ip -6 route add 2001:db8:5c::/112 via "$TB_TGT_ADDR6" dev "$TB_VETH_SCN" || return 1
	tb_log "namespaces: scanner $TB_SCN_NS, targets $TB_TGT_NS; work dir $TB_WORK"
	tb_log "scanner: $TB_VETH_SCN $TB_SCN_ADDR/24 $TB_SCN_ADDR6/64; routes 198.18.0.0/16 via $TB_TGT_ADDR, 2001:db8:5c::/112 via $TB_TGT_ADDR6, no default route"
	tb_log "targets: $TB_VETH_TGT $TB_TGT_ADDR/24 $TB_TGT_ADDR6/64; local 198.18.0.0/16 and 2001:db8:5c::/112 on lo"
	tb_log "target prefixes: $TB_PREFIX ($((1 << bits)) addresses), $TB_PREFIX6 (256 addresses)"
	testbed_verify || return 1
}

# A datagram from the scanner namespace reaches 198.18.3.7:5060 and [2001:db8:5c::7]:5060
# in the target namespace, and the answer comes back (python3 UDP echo, bounded to 10 s).
testbed_verify() {
	local ready="$TB_WORK/echo.ready" out pid rc=0 i
	rm -f "$ready"
	tb_bg "$TB_WORK/echo.log" "$TB_TGT_NS" "$TB_PYTHON" "$TB_HERE/tbtool.py" echo --port 5060 \
		--seconds 10 --ready "$ready"
	pid=$TB_LAST_PID
	for i in $(seq 1 100); do
		[ -e "$ready" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -e "$ready" ] || { tb_log "verify: echo server did not start"; return 1; }
	for dst in 198.18.3.7 2001:db8:5c::7; do
		out=$(tb_scn "$TB_PYTHON" "$TB_HERE/tbtool.py" send --to "$dst" --probe bare --timeout 2 --max 1)
		if printf '%s' "$out" | grep -q '"size": 12'; then
			tb_log "verify: scanner ns -> $dst:5060 arrives and is answered: $out"
		else
			tb_log "verify: no echo from $dst:5060 (got: ${out:-nothing})"
			rc=1
		fi
	done
	# Nothing outside the bed is reachable from the scanner namespace.
	if tb_scn ip route get 192.0.2.1 >/dev/null 2>&1; then
		tb_log "verify: the scanner namespace has a route to 192.0.2.1; refusing to go on"
		rc=1
	fi
	tb_kill "$pid"
	return $rc
}

# tb_bg LOG NS COMMAND...: start COMMAND in namespace NS in the background (ip netns exec
# execs it, so the pid is COMMAND's own), remember its pid (TB_LAST_PID) for testbed_down.
tb_bg() {
	local logf=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$logf" 2>&1 </dev/null &
	TB_LAST_PID=$!
	TB_PIDS+=("$TB_LAST_PID")
}

# Stop one process we started: TERM, up to 5 s, then KILL.
tb_kill() {
	local p=$1 i=0
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }
	kill -TERM "$p" 2>/dev/null
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null || true # its exit status is no failure of ours (and set -e callers)
	return 0
}

# testbed_start_responder MAP.json [MAX_SECONDS]: responder.py in the target namespace,
# logging to $TB_LOG; waits until it is bound. Sets TB_RESPONDER_PID.
testbed_start_responder() {
	local map=${1:?testbed_start_responder MAP.json [MAX_SECONDS]} maxs=${2:-600} i
	local ready="$TB_WORK/responder.ready"
	rm -f "$ready"
	tb_bg "$TB_WORK/responder.log" "$TB_TGT_NS" "$TB_PYTHON" "$TB_HERE/responder.py" \
		--config "$map" --log "$TB_LOG" --port 5060 --max-seconds "$maxs" --ready "$ready"
	TB_RESPONDER_PID=$TB_LAST_PID
	for i in $(seq 1 100); do
		[ -e "$ready" ] && break
		kill -0 "$TB_RESPONDER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -e "$ready" ]; then
		tb_log "responder did not start:"
		cat "$TB_WORK/responder.log" >&2
		return 1
	fi
	tb_log "responder pid $TB_RESPONDER_PID on 0.0.0.0:5060 and [::]:5060, map $map, log $TB_LOG"
}

# testbed_start_kamailio ADDR [ADDR2]: Kamailio 5.6 on ADDR:5060 (and ADDR2:5060) in the
# target namespace. Sets TB_KAMAILIO_PID. Returns 3 when kamailio is not installed.
testbed_start_kamailio() {
	local a1=${1:?testbed_start_kamailio ADDR [ADDR2]} a2=${2:-} kam i
	kam=$(command -v kamailio || { [ -x /usr/sbin/kamailio ] && echo /usr/sbin/kamailio; }) || return 3
	[ -n "$kam" ] || return 3
	local dir="$TB_WORK/kamailio"
	mkdir -p "$dir"
	local defs=(-A "SW_ADDR=$a1" -A "SW_PORT=5060")
	[ -n "$a2" ] && defs+=(-A "SW_ADDR2=$a2")
	tb_bg "$TB_WORK/kamailio.log" "$TB_TGT_NS" "$kam" -DD -E -f "$TB_HERE/kamailio.cfg" "${defs[@]}" \
		-Y "$dir" -P "$dir/kamailio.pid" -w "$dir" -m 32 -M 4
	TB_KAMAILIO_PID=$TB_LAST_PID
	for i in $(seq 1 100); do
		if tb_tgt ss -Hnul "sport = :5060" | grep -q "$a1:5060" &&
			{ [ -z "$a2" ] || tb_tgt ss -Hnul "sport = :5060" | grep -q "$a2:5060"; }; then
			tb_log "kamailio pid $TB_KAMAILIO_PID on $a1:5060${a2:+ and $a2:5060}"
			return 0
		fi
		kill -0 "$TB_KAMAILIO_PID" 2>/dev/null || break
		sleep 0.1
	done
	tb_log "kamailio did not start listening:"
	tail -20 "$TB_WORK/kamailio.log" >&2
	return 1
}

# testbed_mark NAME: every probe that reached the responder before now is in $TB_LOG, followed
# by {"mark": NAME} lines (one per address family).
testbed_mark() {
	tb_tgt "$TB_PYTHON" "$TB_HERE/tbtool.py" mark --log "$TB_LOG" --name "$1" --timeout 30
}

# testbed_capture_start FILE FILTER: tcpdump on the target namespace's end of the veth (there
# every probe is seen on arrival, also those the scanner sends as raw frames with qdisc bypass,
# which a capture on the sending interface misses). Sets TB_CAPTURE_PID. Returns 3 when
# tcpdump is not installed.
testbed_capture_start() {
	local f=$1 filter=$2 td i
	td=$(command -v tcpdump || { [ -x /usr/sbin/tcpdump ] && echo /usr/sbin/tcpdump; }) || return 3
	local args=(-i "$TB_VETH_TGT" -n -U --immediate-mode -s 0 -w "$f")
	[ "$(id -u)" = 0 ] && args+=(-Z root)
	tb_bg "$f.log" "$TB_TGT_NS" "$td" "${args[@]}" "$filter"
	TB_CAPTURE_PID=$TB_LAST_PID
	for i in $(seq 1 50); do
		grep -q 'listening on' "$f.log" 2>/dev/null && return 0
		kill -0 "$TB_CAPTURE_PID" 2>/dev/null || break
		sleep 0.1
	done
	tb_log "tcpdump did not start:"
	cat "$f.log" >&2
	return 1
}

# testbed_watchdog: a background guard that tears the bed down if this shell dies without
# running its EXIT trap (SIGKILL, e.g. a test harness's timeout). Call it after the daemons
# are started (it knows the pids started so far). testbed_down stops it first.
testbed_watchdog() {
	local parent=$$
	(
		trap - EXIT INT TERM HUP
		while kill -0 "$parent" 2>/dev/null; do
			sleep 1
		done
		tb_log "watchdog: test shell $parent is gone; removing the test bed"
		testbed_down
	) >/dev/null 2>&1 </dev/null &
	TB_WATCHDOG_PID=$!
	# First in the list: testbed_down stops it before anything else.
	TB_PIDS=("$TB_WATCHDOG_PID" "${TB_PIDS[@]}")
}

# Stop everything testbed_* started (by pid), then delete both namespaces (the veth pair goes
# with them). Safe to call twice and after a partial testbed_up.
testbed_down() {
	local p ns
	for p in "${TB_PIDS[@]}"; do
		tb_kill "$p"
	done
	TB_PIDS=()
	[ "$TB_UP" = 1 ] || return 0
	for ns in "$TB_TGT_NS" "$TB_SCN_NS"; do
		ip netns list 2>/dev/null | grep -qw "$ns" || continue
		# Give children of stopped processes (Kamailio's workers) a moment to follow them.
		for p in $(seq 1 20); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
		# Processes left inside our own namespaces were started by this test (e.g. Kamailio's
		# children): stop them by pid.
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			tb_log "stopping leftover pid $p in $ns"
			kill -TERM "$p" 2>/dev/null
		done
		sleep 0.2
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null || tb_log "could not delete namespace $ns"
	done
	TB_UP=0
	tb_log "namespaces $TB_TGT_NS and $TB_SCN_NS removed"
}
