# shellcheck shell=bash
# Network-namespace test bed for the shield (sourced by tests/integration/shield/record.sh,
# tests/integration/shield_bed.sh and later shield tests). See README.md here.
#
#   source tests/integration/shield/bed.sh
#   why=$(shb_unavailable); [ -z "$why" ] || skip "$why"
#   trap shb_down EXIT                # or call shb_down from your own EXIT trap
#   shb_up WORKDIR                    # namespaces, bridge, veths, addresses
#   shb_capture_start FILE            # tcpdump on br0 in the server namespace
#   shb_kamailio_start                # Kamailio on 198.18.0.1:5060
#   shb_exec ROLE CMD...              # run CMD in ROLE's namespace (foreground)
#   shb_bg LOG ROLE CMD...            # ... in the background (pid in SHB_LAST_PID)
#   shb_capture_stop; shb_kamailio_stop
#   shb_down                          # stop what we started (by pid), delete namespaces
#
# Topology (PID = the pid of the shell that sourced this file):
#
#   swsh-PID-srv: bridge br0 198.18.0.1/24, Kamailio udp:198.18.0.1:5060
#        |-- shPIDpNN (veth, bridge port) <--> eth0 198.18.0.N/24 in swsh-PID-ROLE
#   one namespace per party, each with exactly one address (table SHB_PARTIES below);
#   no default route anywhere: only 198.18.0.0/24 exists in the bed. IPv6 is disabled in
#   every namespace (no router solicitations or MLD on the bridge).
#
# Everything is created inside namespaces this shell creates; the veth pairs are created
# directly in them, so nothing ever appears in the root namespace.
# Requires: root (CAP_NET_ADMIN + CAP_SYS_ADMIN), iproute2, a kernel with bridge and veth.

SHB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHB_SERVER=198.18.0.1
SHB_PREFIX=198.18.0
SHB_PASSWORD=${SHB_PASSWORD:-bed-Secret-7241}
# shellcheck disable=SC2034  # used by record.sh and the tests
SHB_REALM=sipwarden.test
SHB_PIDS=()
SHB_UP=0
SHB_TAG=${SHB_TAG:-$$}
SHB_SRV_NS="swsh-$SHB_TAG-srv"

# Parties: role host-number kind tool expects
#   kind     legit | attack
#   expects  what a shield should be able to tell from the traffic (comma list):
#            allow         legitimate: must never be blocked
#            fingerprint   the tool's default message traits (User-Agent and more)
#            fingerprint-non-ua  the tool with its User-Agent changed to a real phone's:
#                          only the other traits of the tool are left
#            behaviour     enumeration / brute force / scan pattern (many users, many
#                          challenges or 404s from one source)
SHB_PARTIES=(
	"phone1 11 legit sipp allow"
	"phone2 12 legit sipp allow"
	"natted 13 legit sipp allow"
	"baresip 14 legit baresip allow"
	"trunk 15 legit sipp allow"
	"svmap 101 attack svmap fingerprint"
	"svwar 102 attack svwar fingerprint,behaviour"
	"svwarinv 103 attack svwar fingerprint,behaviour"
	"svcrack 104 attack svcrack fingerprint,behaviour"
	"sipsak 105 attack sipsak fingerprint"
	"nmap 106 attack nmap fingerprint,behaviour"
	"svmapua 107 attack svmap fingerprint-non-ua"
	"nmapua 108 attack nmap fingerprint-non-ua,behaviour"
)

shb_log() { printf '[shield-bed] %s\n' "$*" >&2; }

# Field lookups in SHB_PARTIES.
shb_roles() {
	local p
	for p in "${SHB_PARTIES[@]}"; do
		echo "${p%% *}"
	done
}
# shb_addr ROLE: the party's address (srv: the server's).
shb_addr() {
	local role=$1 p
	[ "$role" = srv ] && { echo "$SHB_SERVER"; return 0; }
	for p in "${SHB_PARTIES[@]}"; do
		# shellcheck disable=SC2086
		set -- $p
		[ "$1" = "$role" ] && { echo "$SHB_PREFIX.$2"; return 0; }
	done
	return 1
}
shb_ns() { echo "swsh-$SHB_TAG-$1"; }

# Run a command in ROLE's namespace (ROLE may be srv).
shb_exec() {
	local role=$1
	shift
	ip netns exec "$(shb_ns "$role")" "$@"
}

# shb_bg LOG ROLE COMMAND...: start COMMAND in ROLE's namespace in the background (ip netns
# exec execs it, so the pid is COMMAND's own); pid in SHB_LAST_PID, remembered for shb_down.
shb_bg() {
	local logf=$1 role=$2
	shift 2
	ip netns exec "$(shb_ns "$role")" "$@" >"$logf" 2>&1 </dev/null &
	SHB_LAST_PID=$!
	SHB_PIDS+=("$SHB_LAST_PID")
}

# shb_wait_line FILE PATTERN SECONDS PID: 0 once FILE has a line matching PATTERN (grep), 1 when
# PID has exited or SECONDS have passed first (a daemon's start-up line, for instance).
shb_wait_line() {
	local _
	for _ in $(seq 1 $(($3 * 20))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Forget a pid (after waiting for it) so that shb_down does not signal a recycled pid.
shb_forget() {
	local p keep=()
	for p in "${SHB_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	SHB_PIDS=("${keep[@]}")
}

# Why the bed cannot be built here (empty when it can). Creates and removes a probe
# namespace with a bridge and a veth.
shb_unavailable() {
	command -v ip >/dev/null 2>&1 || { echo "iproute2 (ip) not installed"; return 0; }
	[ "$(id -u)" = 0 ] || { echo "not root: network namespaces need root"; return 0; }
	local ns="swsh-$SHB_TAG-probe"
	if ! ip netns add "$ns" 2>/dev/null; then
		echo "cannot create network namespaces (need root / CAP_SYS_ADMIN)"
		return 0
	fi
	if ! ip -n "$ns" link add shprobe0 type bridge 2>/dev/null; then
		ip netns del "$ns" 2>/dev/null
		echo "cannot create a bridge in a network namespace"
		return 0
	fi
	if ! ip -n "$ns" link add shprobe1 type veth peer name shprobe2 2>/dev/null; then
		ip netns del "$ns" 2>/dev/null
		echo "cannot create veth pairs"
		return 0
	fi
	ip netns del "$ns"
	return 0
}

# shb_up WORKDIR: build the bed. Sets SHB_WORK.
shb_up() {
	SHB_WORK=${1:?shb_up WORKDIR}
	mkdir -p "$SHB_WORK" || return 1
	local role ns i=0 port
	for role in srv $(shb_roles); do
		ns=$(shb_ns "$role")
		if ip netns list | grep -qw "$ns"; then
			shb_log "namespace $ns exists already (a crashed run with the same pid?); delete it with: ip netns del $ns"
			return 1
		fi
	done
	SHB_UP=1
	ip netns add "$SHB_SRV_NS" || return 1
	shb_exec srv sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
		return 1
	ip -n "$SHB_SRV_NS" link set lo up || return 1
	ip -n "$SHB_SRV_NS" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$SHB_SRV_NS" addr add "$SHB_SERVER/24" dev br0 || return 1
	ip -n "$SHB_SRV_NS" link set br0 up || return 1
	for role in $(shb_roles); do
		i=$((i + 1))
		ns=$(shb_ns "$role")
		port=$(printf 'sh%sp%02d' "$SHB_TAG" "$i")
		ip netns add "$ns" || return 1
		shb_exec "$role" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up || return 1
		# Created in the party's namespace with its peer directly in the server's.
		ip -n "$ns" link add eth0 type veth peer name "$port" netns "$SHB_SRV_NS" || return 1
		ip -n "$SHB_SRV_NS" link set "$port" master br0 || return 1
		ip -n "$SHB_SRV_NS" link set "$port" up || return 1
		ip -n "$ns" addr add "$(shb_addr "$role")/24" dev eth0 || return 1
		ip -n "$ns" link set eth0 up || return 1
	done
	shb_log "bed up: server $SHB_SRV_NS br0 $SHB_SERVER/24, $i parties (swsh-$SHB_TAG-ROLE), work dir $SHB_WORK"
	shb_verify
}

# Every party reaches the server (an ARP resolution each way via a UDP datagram to a closed
# port is enough: the ICMP answer proves the path) and no party has a route out of the bed.
shb_verify() {
	local role rc=0
	for role in $(shb_roles); do
		if shb_exec "$role" ip route get 192.0.2.1 >/dev/null 2>&1; then
			shb_log "verify: $role has a route to 192.0.2.1; refusing to go on"
			rc=1
		fi
		if ! shb_exec "$role" ip route get "$SHB_SERVER" 2>/dev/null | grep -q "dev eth0"; then
			shb_log "verify: $role has no route to $SHB_SERVER"
			rc=1
		fi
	done
	if shb_exec srv ip route get 192.0.2.1 >/dev/null 2>&1; then
		shb_log "verify: the server namespace has a route to 192.0.2.1; refusing to go on"
		rc=1
	fi
	return $rc
}

# Stop one process we started: TERM, up to 5 s, then KILL.
shb_kill() {
	local p=$1 sig=${2:-TERM} i=0
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; shb_forget "$p"; return 0; }
	kill -"$sig" "$p" 2>/dev/null
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	shb_forget "$p"
	return 0
}

# shb_capture_start FILE [FILTER]: tcpdump on br0 in the server namespace (every datagram to
# and from Kamailio), default filter "udp port 5060". Sets SHB_CAPTURE_PID.
shb_capture_start() {
	local f=$1 filter=${2:-udp port 5060} td i
	td=$(command -v tcpdump || { [ -x /usr/sbin/tcpdump ] && echo /usr/sbin/tcpdump; }) || return 3
	# -B: a 32 MiB kernel buffer, so a loaded machine (a test run next to builds) does not
	# make tcpdump drop packets of the bursts (svwar, nmap) before it writes them
	local args=(-i br0 -n -U --immediate-mode -B 32768 -s 0 -w "$f")
	[ "$(id -u)" = 0 ] && args+=(-Z root)
	shb_bg "$f.log" srv "$td" "${args[@]}" "$filter"
	SHB_CAPTURE_PID=$SHB_LAST_PID
	for i in $(seq 1 50); do
		grep -q 'listening on' "$f.log" 2>/dev/null && return 0
		kill -0 "$SHB_CAPTURE_PID" 2>/dev/null || break
		sleep 0.1
	done
	shb_log "tcpdump did not start:"
	cat "$f.log" >&2
	return 1
}

# Stop the capture cleanly: SIGINT (tcpdump flushes and writes its statistics), wait.
shb_capture_stop() {
	[ -n "${SHB_CAPTURE_PID:-}" ] || return 0
	sleep 0.5 # the last replies are on their way
	shb_kill "$SHB_CAPTURE_PID" INT
	SHB_CAPTURE_PID=
}

# shb_kamailio_start: Kamailio 5.6 (tests/integration/shield/kamailio.cfg) in the server
# namespace on 198.18.0.1:5060, log in $SHB_WORK/kamailio.log. Sets SHB_KAMAILIO_PID.
# SHB_KAMAILIO_CFG: another config (default: this directory's kamailio.cfg); SHB_KAMAILIO_DEFS:
# more -A definitions for it (an array), e.g. the bench's hardened variant.
SHB_KAMAILIO_CFG=${SHB_KAMAILIO_CFG:-}
SHB_KAMAILIO_DEFS=()
shb_kamailio_start() {
	local kam i dir="$SHB_WORK/kamailio"
	kam=$(command -v kamailio || { [ -x /usr/sbin/kamailio ] && echo /usr/sbin/kamailio; }) || return 3
	mkdir -p "$dir"
	shb_bg "$SHB_WORK/kamailio.log" srv "$kam" -DD -E -f "${SHB_KAMAILIO_CFG:-$SHB_HERE/kamailio.cfg}" \
		-A "SW_ADDR=$SHB_SERVER" -A "SW_PASSWORD=\"$SHB_PASSWORD\"" "${SHB_KAMAILIO_DEFS[@]}" \
		-Y "$dir" -P "$dir/kamailio.pid" -w "$dir" -m 32 -M 4
	SHB_KAMAILIO_PID=$SHB_LAST_PID
	for i in $(seq 1 100); do
		if shb_exec srv ss -Hnul "sport = :5060" | grep -q "$SHB_SERVER:5060"; then
			shb_log "kamailio pid $SHB_KAMAILIO_PID on $SHB_SERVER:5060"
			return 0
		fi
		kill -0 "$SHB_KAMAILIO_PID" 2>/dev/null || break
		sleep 0.1
	done
	shb_log "kamailio did not start listening:"
	tail -20 "$SHB_WORK/kamailio.log" >&2
	return 1
}

shb_kamailio_alive() { [ -n "${SHB_KAMAILIO_PID:-}" ] && kill -0 "$SHB_KAMAILIO_PID" 2>/dev/null; }

shb_kamailio_stop() {
	[ -n "${SHB_KAMAILIO_PID:-}" ] || return 0
	shb_kill "$SHB_KAMAILIO_PID" TERM
	SHB_KAMAILIO_PID=
}

# shb_watchdog: a background guard that removes the bed if this shell dies without running
# its EXIT trap (SIGKILL, e.g. a harness timeout). shb_down stops it first.
shb_watchdog() {
	local parent=$$
	(
		trap - EXIT INT TERM HUP
		while kill -0 "$parent" 2>/dev/null; do
			sleep 1
		done
		shb_log "watchdog: shell $parent is gone; removing the test bed"
		shb_down
	) >/dev/null 2>&1 </dev/null &
	SHB_WATCHDOG_PID=$!
	SHB_PIDS=("$SHB_WATCHDOG_PID" "${SHB_PIDS[@]}")
}

# The namespaces of this bed that exist now (one per line).
shb_leftovers() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^swsh-$SHB_TAG-" || true
}

# The pids of the processes inside the bed's namespaces.
shb_ns_pids() {
	local ns
	for ns in $(shb_leftovers); do
		ip netns pids "$ns" 2>/dev/null
	done
}

# Stop everything shb_* started (by pid), then delete every namespace of the bed (the veths
# and the bridge go with them). Safe to call twice and after a partial shb_up.
shb_down() {
	set +e
	local p ns i
	for p in "${SHB_PIDS[@]}"; do
		shb_kill "$p"
	done
	SHB_PIDS=()
	[ "$SHB_UP" = 1 ] || return 0
	# Children of stopped processes (Kamailio's workers) follow them.
	for i in $(seq 1 20); do
		[ -z "$(shb_ns_pids)" ] && break
		sleep 0.1
	done
	# Anything still inside a namespace of ours was started by us: stop it by pid.
	for p in $(shb_ns_pids); do
		shb_log "stopping leftover pid $p ($(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-60))"
		kill -TERM "$p" 2>/dev/null
	done
	for i in $(seq 1 20); do
		[ -z "$(shb_ns_pids)" ] && break
		sleep 0.1
	done
	for p in $(shb_ns_pids); do
		kill -KILL "$p" 2>/dev/null
	done
	for ns in $(shb_leftovers); do
		ip netns del "$ns" 2>/dev/null || shb_log "could not delete namespace $ns"
	done
	SHB_UP=0
	if [ -n "$(shb_leftovers)" ]; then
		shb_log "namespaces left behind: $(shb_leftovers | tr '\n' ' ')"
		return 1
	fi
	shb_log "bed removed (no swsh-$SHB_TAG-* namespace left)"
	return 0
}

# parties.tsv: role, address, kind, tool, expects (one header line).
shb_write_manifest() {
	local f=$1 p
	printf 'role\taddress\tkind\ttool\texpects\n' >"$f"
	for p in "${SHB_PARTIES[@]}"; do
		# shellcheck disable=SC2086
		set -- $p
		printf '%s\t%s.%s\t%s\t%s\t%s\n' "$1" "$SHB_PREFIX" "$2" "$3" "$4" "$5" >>"$f"
	done
}
