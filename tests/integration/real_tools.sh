#!/usr/bin/env bash
# real_tools.sh PATH_TO_SIPWARDEN
#
# Runs real SIP tools (SIPVicious svmap/svwar/svcrack, sipsak, nmap NSE
# sip-methods/sip-enum-users, SIPp) against a real Kamailio on 127.0.0.1,
# captures everything on lo with tcpdump, then checks that
# `sipwarden inspect --json` decodes every message the way tshark's SIP
# dissector does, plus tool-specific facts (real_tools_check.py).
#
# Exit: 0 pass, 1 fail, 77 skip (a required tool is absent, or we cannot
# capture on lo).
#
# Network: all traffic goes to 127.0.0.1 only; every tool runs under
# `timeout` with a bounded number of requests.
#
# Environment:
#   SW_KEEP=1              keep the work directory (it is kept on failure)
#   SW_KAMAILIO_PORT=N     use this port instead of a random free one
#   SW_UPDATE_FIXTURES=1   copy the capture (and per-tool captures) to
#                          tests/data/captures/ (see the README there)

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCROOT=$(cd "$HERE/../.." && pwd)
FIXDIR="$SRCROOT/tests/data/captures"
TOOL_TIMEOUT=20

log() { printf '[real_tools] %s\n' "$*"; }
skip() { log "SKIP: $*"; exit 77; }
fail() { log "FAIL: $*"; exit 1; }

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH_TO_SIPWARDEN" >&2
	exit 1
fi
SIPWARDEN=$1
[ -x "$SIPWARDEN" ] || { log "FAIL: sipwarden binary '$SIPWARDEN' is not executable"; exit 1; }
SIPWARDEN=$(cd "$(dirname "$SIPWARDEN")" && pwd)/$(basename "$SIPWARDEN")

# --- required tools --------------------------------------------------------
# SIPVicious commands are svmap etc. in Debian 0.3.3, sipvicious_svmap in
# newer packages.
find_tool() {
	local t
	for t in "$@"; do
		if command -v "$t" >/dev/null 2>&1; then
			command -v "$t"
			return 0
		fi
	done
	return 1
}
missing=()
SVMAP=$(find_tool svmap sipvicious_svmap) || missing+=("svmap (sipvicious)")
SVWAR=$(find_tool svwar sipvicious_svwar) || missing+=("svwar (sipvicious)")
SVCRACK=$(find_tool svcrack sipvicious_svcrack) || missing+=("svcrack (sipvicious)")
SIPSAK=$(find_tool sipsak) || missing+=("sipsak")
NMAP=$(find_tool nmap) || missing+=("nmap")
SIPP=$(find_tool sipp) || missing+=("sipp (sip-tester)")
KAMAILIO=$(find_tool kamailio /usr/sbin/kamailio) || missing+=("kamailio")
TSHARK=$(find_tool tshark) || missing+=("tshark")
TCPDUMP=$(find_tool tcpdump /usr/sbin/tcpdump) || missing+=("tcpdump")
PYTHON=$(find_tool python3) || missing+=("python3")
for t in ss timeout; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	skip "missing tools: ${missing[*]}"
fi
NSE_DIR=$("$NMAP" --version >/dev/null 2>&1 && ls -d /usr/share/nmap/scripts 2>/dev/null)
for s in sip-methods sip-enum-users; do
	[ -f "$NSE_DIR/$s.nse" ] || skip "nmap script $s.nse not found"
done

# --- work directory and cleanup -------------------------------------------
WORK=$(mktemp -d /tmp/sw-real-tools.XXXXXX) || fail "mktemp"
chmod 755 "$WORK"
PIDS=()
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local rc=$?
	local p
	for p in "${PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null
		fi
	done
	for p in "${PIDS[@]}"; do
		local i=0
		while kill -0 "$p" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ "${SW_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		log "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

T0=$(date +%s.%N)
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# --- pick a free UDP port on 127.0.0.1 -------------------------------------
port_busy() { [ -n "$(ss -Hnul "sport = :$1")" ]; }
PORT=${SW_KAMAILIO_PORT:-}
if [ -z "$PORT" ]; then
	for _ in $(seq 1 30); do
		p=$((25060 + RANDOM % 2000))
		if ! port_busy "$p"; then
			PORT=$p
			break
		fi
	done
	[ -n "$PORT" ] || fail "no free UDP port found in 25060-27059"
elif port_busy "$PORT"; then
	fail "SW_KAMAILIO_PORT=$PORT is busy"
fi
log "kamailio port 127.0.0.1:$PORT, work dir $WORK"

# --- capture ---------------------------------------------------------------
PCAP="$WORK/capture.pcap"
TCPDUMP_ARGS=(-i lo -n -U --immediate-mode -s 0 -w "$PCAP")
[ "$(id -u)" = 0 ] && TCPDUMP_ARGS+=(-Z root)
"$TCPDUMP" "${TCPDUMP_ARGS[@]}" "udp port $PORT" >"$WORK/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
PIDS+=("$TCPDUMP_PID")
for _ in $(seq 1 50); do
	grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break
	kill -0 "$TCPDUMP_PID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q 'listening on' "$WORK/tcpdump.log"; then
	cat "$WORK/tcpdump.log"
	if grep -qiE 'permission|not permitted' "$WORK/tcpdump.log"; then
		skip "cannot capture on lo (no capture privileges)"
	fi
	fail "tcpdump did not start"
fi

# --- kamailio --------------------------------------------------------------
mkdir -p "$WORK/kamailio"
"$KAMAILIO" -DD -E -f "$HERE/kamailio.cfg" -A "SW_PORT=$PORT" \
	-Y "$WORK/kamailio" -P "$WORK/kamailio/kamailio.pid" -w "$WORK/kamailio" \
	-m 64 -M 8 >"$WORK/kamailio.log" 2>&1 &
KAMAILIO_PID=$!
PIDS+=("$KAMAILIO_PID")
for _ in $(seq 1 50); do
	port_busy "$PORT" && break
	kill -0 "$KAMAILIO_PID" 2>/dev/null || break
	sleep 0.1
done
if ! port_busy "$PORT"; then
	tail -20 "$WORK/kamailio.log"
	fail "kamailio did not start listening on 127.0.0.1:$PORT"
fi
kamailio_alive() {
	kill -0 "$KAMAILIO_PID" 2>/dev/null || { tail -20 "$WORK/kamailio.log"; fail "kamailio died"; }
}

# --- the tools ---------------------------------------------------------------
# Each run is recorded as "name start end" (epoch seconds) so the checker
# can attribute requests to tools by capture time.
: >"$WORK/windows.txt"
cd "$WORK" || fail "cd $WORK"   # sipp writes its logs into the current directory
export HOME="$WORK/home"   # sipvicious keeps session state under ~/.sipvicious
mkdir -p "$HOME"
run_tool() {
	local name=$1
	shift
	local start end rc
	start=$(now)
	# In the background so a signal to this script is handled at once (the
	# EXIT trap then stops timeout, which passes the signal on to the tool).
	timeout -k 2 "$TOOL_TIMEOUT" "$@" >"$WORK/$name.log" 2>&1 </dev/null &
	TOOL_PID=$!
	PIDS+=("$TOOL_PID")
	wait "$TOOL_PID"
	rc=$?
	unset 'PIDS[${#PIDS[@]}-1]'
	sleep 0.3   # let the last replies reach the capture
	end=$(now)
	echo "$name $start $end" >>"$WORK/windows.txt"
	log "$(printf '%-14s rc=%-3s %5.1fs  %s' "$name" "$rc" "$(elapsed "$start" "$end")" "$*")"
	[ $rc -eq 124 ] && log "  (timed out after ${TOOL_TIMEOUT}s)"
	kamailio_alive
	return 0
}

run_tool svmap "$SVMAP" -p "$PORT" 127.0.0.1
run_tool svwar "$SVWAR" -p "$PORT" -e100-102 --maximumtime=5 127.0.0.1
run_tool svwar_invite "$SVWAR" -p "$PORT" -m INVITE -e100-101 --maximumtime=5 127.0.0.1
# password of 100 is 103 (kamailio.cfg): svcrack tries 100, 101, 102, 103
run_tool svcrack "$SVCRACK" -p "$PORT" -u 100 -r 101-105 --maximumtime=5 127.0.0.1
run_tool sipsak_options "$SIPSAK" -vv -s "sip:100@127.0.0.1:$PORT"
run_tool sipsak_register "$SIPSAK" -vv -U -i -a 103 -s "sip:100@127.0.0.1:$PORT"
# nmap only runs the SIP scripts on a port it believes is "sip": give it a
# data directory whose nmap-services names our port (nmap looks up each data
# file there first, the rest comes from the installed ones; --servicedb would
# imply -F). -Pn: no host discovery (no ICMP/TCP pings).
mkdir -p "$WORK/nmapdata"
printf 'sip\t%s/udp\t0.5\t# kamailio under test\n' "$PORT" >"$WORK/nmapdata/nmap-services"
run_tool nmap "$NMAP" -n -Pn -sU -p "$PORT" --max-retries 1 --host-timeout 18s \
	--datadir "$WORK/nmapdata" \
	--script sip-methods,sip-enum-users \
	--script-args sip-enum-users.minext=100,sip-enum-users.maxext=102 127.0.0.1
SIPP_PORT=$((PORT + 1))
port_busy "$SIPP_PORT" && SIPP_PORT=$((PORT + 2))
run_tool sipp "$SIPP" -sn uac "127.0.0.1:$PORT" -m 1 -i 127.0.0.1 -p "$SIPP_PORT" \
	-timeout 10s -nostdin -trace_msg -message_file "$WORK/sipp_messages.log"
# and once to a known user: 100 Trying, then a 401 challenge to the INVITE
run_tool sipp_known "$SIPP" -sn uac "127.0.0.1:$PORT" -s 101 -m 1 -i 127.0.0.1 -p "$SIPP_PORT" \
	-timeout 10s -nostdin -trace_msg -message_file "$WORK/sipp_known_messages.log"

# --- stop capture and server --------------------------------------------------
# tcpdump writes each packet as it arrives (--immediate-mode -U), but give it
# a moment: on SIGINT it does not drain what the kernel still holds.
sleep 1
kill -TERM "$KAMAILIO_PID" 2>/dev/null
sleep 0.5
kill -INT "$TCPDUMP_PID" 2>/dev/null
for p in "$KAMAILIO_PID" "$TCPDUMP_PID"; do
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
wait "$TCPDUMP_PID" 2>/dev/null
wait "$KAMAILIO_PID" 2>/dev/null
log "capture: $(tail -3 "$WORK/tcpdump.log" | tr '\n' ' ')"
[ -s "$PCAP" ] || fail "empty capture"

# --- tshark reference ----------------------------------------------------------
TSHARK_FIELDS=(frame.number frame.time_epoch ip.src udp.srcport ip.dst udp.dstport udp.length
	sip.Method sip.Status-Code sip.Call-ID sip.CSeq.seq sip.CSeq.method sip.User-Agent
	sip.Server sip.from.tag sip.Via.branch sip.Subject sip.from.display.info
	sip.to.display.info sip.from.addr sip.to.addr sip.from.user sip.to.user
	sip.auth.scheme sip.auth.username sip.auth.realm sip.auth.nonce sip.auth.digest.response
	sip.auth.algorithm sip.auth.qop sip.Authorization sip.Proxy-Authorization
	sip.WWW-Authenticate sip.Proxy-Authenticate sip.Expires sip.Content-Type sip.Content-Length
	sip.Via sip.Via.transport sip.Via.sent-by.address sip.Via.sent-by.port sip.Via.received
	sip.contact.uri sip.contact.user sip.contact.host sip.contact.port sip.Max-Forwards
	udp.payload _ws.expert)
targs=()
for f in "${TSHARK_FIELDS[@]}"; do targs+=(-e "$f"); done
"$TSHARK" -n -r "$PCAP" -d "udp.port==$PORT,sip" -Y sip -T json "${targs[@]}" \
	>"$WORK/tshark.json" 2>"$WORK/tshark.err" || { cat "$WORK/tshark.err"; fail "tshark failed"; }
TSHARK_COUNT=$("$TSHARK" -n -r "$PCAP" -d "udp.port==$PORT,sip" -Y sip -T fields -e frame.number 2>/dev/null | wc -l)
ALL_FRAMES=$("$TSHARK" -n -r "$PCAP" -T fields -e frame.number 2>/dev/null | wc -l)
log "tshark: $TSHARK_COUNT SIP messages in $ALL_FRAMES frames"

# --- fixtures (on request only; the test itself always uses the live capture)
if [ "${SW_UPDATE_FIXTURES:-0}" = 1 ]; then
	mkdir -p "$FIXDIR"
	cp "$PCAP" "$FIXDIR/real_tools.pcap"
	while read -r name start end; do
		"$TSHARK" -n -r "$PCAP" -Y "frame.time_epoch >= $start && frame.time_epoch <= $end" \
			-F pcap -w "$FIXDIR/real_tools_$name.pcap" 2>/dev/null
	done <"$WORK/windows.txt"
	log "fixtures written to $FIXDIR (port $PORT)"
fi

if [ "${SW_CAPTURE_ONLY:-0}" = 1 ]; then
	log "SW_CAPTURE_ONLY=1: capture done, sipwarden not run"
	exit 0
fi

# --- sipwarden -----------------------------------------------------------------
"$SIPWARDEN" inspect --messages --json "$PCAP" >"$WORK/out.jsonl" 2>"$WORK/sipwarden.err"
SW_RC=$?
if [ $SW_RC -ne 0 ]; then
	cat "$WORK/sipwarden.err"
	fail "sipwarden inspect exited with $SW_RC"
fi
[ -s "$WORK/sipwarden.err" ] && { log "sipwarden stderr:"; sed 's/^/  /' "$WORK/sipwarden.err"; }

"$PYTHON" "$HERE/real_tools_check.py" --port "$PORT" --tshark "$WORK/tshark.json" \
	--tshark-count "$TSHARK_COUNT" --sipwarden "$WORK/out.jsonl" \
	--windows "$WORK/windows.txt" --realm sipwarden.test
CHECK_RC=$?
log "runtime $(elapsed "$T0" "$(now)")s"
[ $CHECK_RC -eq 0 ] || fail "checks failed (see above)"
log "PASS"
exit 0
