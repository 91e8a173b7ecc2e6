#!/usr/bin/env bash
# record.sh OUTDIR
#
# Builds the shield test bed (bed.sh), runs legitimate SIP clients and real attack tools
# against Kamailio on 198.18.0.1:5060, captures everything on the server's bridge, and
# removes the bed again. See README.md here for the topology and what each party does.
#
# Results in OUTDIR:
#   capture.pcap   tcpdump -i br0 'udp port 5060' in the server namespace
#   parties.tsv    role, address, kind (legit|attack), tool, expects
#   windows.tsv    role, step, start, end (epoch seconds), exit status of each step
#   bed.env        the bed's tag/namespace prefix and addresses (sourceable)
#   logs/          Kamailio, tcpdump, every tool's output, SIPp stat/message/error files
#
# Exit: 0 recorded (every step ran; whether each legitimate transaction succeeded is for
# the caller to check, e.g. tests/integration/shield_bed.sh), 1 the bed or a daemon failed,
# 77 a capability or a required tool is missing (reason printed).
#
# Sourcing it instead defines shield_record OUTDIR (and the shb_* functions); the caller
# then owns the EXIT trap and must call shb_down. If the caller defines the function
# shb_hook_server_up, it runs right after Kamailio is up and before any party sends (e.g.
# to put a shield in front of Kamailio in the server namespace: shb_exec srv ...).
#
# Environment: SHB_TOOL_TIMEOUT (default 25) bounds each tool run in seconds.
#
# Network: everything happens inside namespaces swsh-<pid>-* created here and removed on
# exit, failure or signal; no namespace has a route beyond 198.18.0.0/24.

REC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=bed.sh
source "$REC_HERE/bed.sh"

REC_TOOL_TIMEOUT=${SHB_TOOL_TIMEOUT:-25}
REC_UA_PHONE1="Yealink SIP-T46S 66.85.0.5"
REC_UA_PHONE2="Grandstream GXP2170 1.0.11.23"
REC_UA_NATTED="Yealink SIP-T31P 124.86.0.40"
REC_UA_TRUNK="FPBX-16.0.40.7(18.20.0)"
# The User-Agent given to the UA-changed attack tools: the same as phone1's, so a shield
# cannot tell them apart by User-Agent.
REC_FAKE_UA="Yealink SIP-T46S 66.85.0.5"

rlog() { printf '[record] %s\n' "$*" >&2; }

rec_find_tool() {
	local t
	for t in "$@"; do
		if command -v "$t" >/dev/null 2>&1; then
			command -v "$t"
			return 0
		fi
		if [ -x "$t" ]; then
			echo "$t"
			return 0
		fi
	done
	return 1
}

# Sets the tool paths and REC_MISSING (what is missing; empty when nothing).
rec_tools() {
	local missing=()
	SVMAP=$(rec_find_tool svmap sipvicious_svmap) || missing+=("svmap (sipvicious)")
	SVWAR=$(rec_find_tool svwar sipvicious_svwar) || missing+=("svwar (sipvicious)")
	SVCRACK=$(rec_find_tool svcrack sipvicious_svcrack) || missing+=("svcrack (sipvicious)")
	SIPSAK=$(rec_find_tool sipsak) || missing+=("sipsak")
	NMAP=$(rec_find_tool nmap) || missing+=("nmap")
	SIPP=$(rec_find_tool sipp) || missing+=("sipp (sip-tester)")
	BARESIP=$(rec_find_tool baresip) || missing+=("baresip")
	rec_find_tool kamailio /usr/sbin/kamailio >/dev/null || missing+=("kamailio")
	rec_find_tool tcpdump /usr/sbin/tcpdump >/dev/null || missing+=("tcpdump")
	SYS_PYTHON=$(rec_find_tool /usr/bin/python3 python3) || missing+=("python3")
	# The sipvicious package (for the UA-changed copy) and nmap's sip library.
	SV_PKG=$("$SYS_PYTHON" - "$SVMAP" 2>/dev/null <<-'EOF'
		import os, sys
		d = os.path.dirname(os.path.realpath(sys.argv[1]))
		sys.path.insert(0, d)
		import sipvicious
		print(os.path.dirname(sipvicious.__file__))
	EOF
	) || missing+=("the sipvicious python package")
	NMAP_SIPLUA=/usr/share/nmap/nselib/sip.lua
	[ -f "$NMAP_SIPLUA" ] || missing+=("nmap's nselib/sip.lua")
	local s
	for s in sip-methods sip-enum-users; do
		[ -f "/usr/share/nmap/scripts/$s.nse" ] || missing+=("nmap script $s.nse")
	done
	for s in timeout ss sed; do
		command -v "$s" >/dev/null 2>&1 || missing+=("$s")
	done
	REC_MISSING="${missing[*]}"
}

rec_now() { date +%s.%N; }

# rec_step ROLE STEP COMMAND...: COMMAND in ROLE's namespace, bounded by REC_TOOL_TIMEOUT,
# output in logs/ROLE-STEP.log, a line in windows.tsv. Returns COMMAND's status.
rec_step() {
	local role=$1 step=$2 start end rc
	shift 2
	start=$(rec_now)
	# In the background so that a signal to this shell is handled at once.
	shb_bg "$REC_LOGS/$role-$step.log" "$role" timeout -k 2 "$REC_TOOL_TIMEOUT" "$@"
	local pid=$SHB_LAST_PID
	wait "$pid"
	rc=$?
	shb_forget "$pid"
	end=$(rec_now)
	printf '%s\t%s\t%s\t%s\t%s\n' "$role" "$step" "$start" "$end" "$rc" >>"$REC_OUT/windows.tsv"
	rlog "$(printf '%-9s %-10s rc=%-3s %5.1fs' "$role" "$step" "$rc" \
		"$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')")"
	[ "$rc" = 124 ] && rlog "  ($role $step timed out after ${REC_TOOL_TIMEOUT}s)"
	return "$rc"
}

# Common SIPp options: logs named after the step, in logs/.
rec_sipp_args() { # ROLE STEP
	local base="$REC_LOGS/$1-$2"
	echo "-nostdin -timeout 40s -trace_stat -stf $base.stat.csv -fd 1 -trace_msg -message_file $base.messages.log -trace_err -error_file $base.errors.log -trace_screen -screen_file $base.screen.log"
}

# rec_sipp ROLE STEP SCENARIO LOCAL_PORT ARGS...: SIPp from ROLE's address to Kamailio.
rec_sipp() {
	local role=$1 step=$2 sf=$3 lport=$4
	shift 4
	local addr
	addr=$(shb_addr "$role")
	# shellcheck disable=SC2046
	rec_step "$role" "$step" "$SIPP" "$SHB_SERVER:5060" -sf "$REC_HERE/$sf" -i "$addr" -p "$lport" \
		$(rec_sipp_args "$role" "$step") -key expires 3600 -key chost "$addr" -key cport "$lport" \
		"$@"
}

rec_wait_log() { # FILE PATTERN SECONDS
	local i
	for i in $(seq 1 $(($3 * 10))); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

rec_legit() {
	local pw=$SHB_PASSWORD
	# phone2 registers as 102, then answers one call on the same address and port.
	rec_sipp phone2 register register.xml 5060 -m 1 -s 102 -au 102 -ap "$pw" \
		-key ua "$REC_UA_PHONE2"
	local a2
	a2=$(shb_addr phone2)
	local start2
	start2=$(rec_now)
	# shellcheck disable=SC2046
	shb_bg "$REC_LOGS/phone2-answer.log" phone2 timeout -k 2 60 "$SIPP" -sf "$REC_HERE/uas.xml" \
		-i "$a2" -p 5060 -m 1 -s 102 -key ua "$REC_UA_PHONE2" $(rec_sipp_args phone2 answer)
	REC_UAS_PID=$SHB_LAST_PID

	# baresip registers as 120 and stays registered (re-registers every ~30 s) until the
	# end of the recording.
	local bdir="$REC_LOGS/baresip-home" ab i
	ab=$(shb_addr baresip)
	rm -rf "$bdir"
	cp -r "$REC_HERE/baresip" "$bdir"
	sed -i "s/@ADDR@/$ab/g; s|@HOME@|$bdir|g" "$bdir/config"
	# 10 s of silence, 8 kHz mono 16 bit: the audio source of an answered call.
	"$SYS_PYTHON" -c 'import sys, wave
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(bytes(160000)); w.close()' "$bdir/silence.wav" || return 1
	sed -i "s/@SERVER@/$SHB_SERVER/g; s/@PASSWORD@/$pw/g" "$bdir/accounts"
	REC_BARESIP_START=$(rec_now)
	shb_bg "$REC_LOGS/baresip-run.log" baresip timeout -k 2 170 "$BARESIP" -f "$bdir" -v
	REC_BARESIP_PID=$SHB_LAST_PID
	if rec_wait_log "$SHB_WORK/kamailio.log" "REGISTER 120 from $ab:5060 contact" 10; then
		rlog "baresip registered as 120"
	else
		rlog "baresip did not register within 10 s (see logs/baresip-run.log)"
	fi
	for i in $(seq 1 30); do # phone2's UAS is bound
		shb_exec phone2 ss -Hnul "sport = :5060" | grep -q . && break
		sleep 0.1
	done

	# phone1: register as 101, three OPTIONS keepalives to the server, then calls 102.
	rec_sipp phone1 register register.xml 5060 -m 1 -s 101 -au 101 -ap "$pw" \
		-key ua "$REC_UA_PHONE1"
	rec_sipp phone1 keepalive options.xml 5060 -m 3 -r 1 -rp 1000 -s 101 \
		-key ua "$REC_UA_PHONE1"
	rec_sipp phone1 call call_uac.xml 5060 -m 1 -s 101 -au 101 -ap "$pw" -key callee 102 \
		-key ua "$REC_UA_PHONE1"
	# ... and baresip (auto answer).
	rec_sipp phone1 call120 call_uac.xml 5060 -m 1 -s 101 -au 101 -ap "$pw" -key callee 120 \
		-key ua "$REC_UA_PHONE1"
	# phone2's answering SIPp ends with the call.
	for i in $(seq 1 100); do
		kill -0 "$REC_UAS_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$REC_UAS_PID"
	local rc=$?
	shb_forget "$REC_UAS_PID"
	printf '%s\t%s\t%s\t%s\t%s\n' phone2 answer "$start2" "$(rec_now)" "$rc" >>"$REC_OUT/windows.tsv"
	rlog "$(printf '%-9s %-10s rc=%-3s' phone2 answer "$rc")"

	# natted: 8 phones behind one NAT address (198.18.0.13, ports 5061-5068), users
	# 110-117, all registering at once as after an outage. Via and Contact carry their
	# private addresses 192.168.1.21-28:5060 (with rport), as from behind a NAT.
	local an k pids=() start
	an=$(shb_addr natted)
	start=$(rec_now)
	for k in 0 1 2 3 4 5 6 7; do
		# shellcheck disable=SC2046
		shb_bg "$REC_LOGS/natted-register$k.log" natted timeout -k 2 "$REC_TOOL_TIMEOUT" \
			"$SIPP" "$SHB_SERVER:5060" -sf "$REC_HERE/register.xml" -i "$an" -p $((5061 + k)) \
			$(rec_sipp_args natted "register$k") -m 1 -s $((110 + k)) -au $((110 + k)) -ap "$pw" \
			-key expires 3600 -key chost "192.168.1.$((21 + k))" -key cport 5060 \
			-key ua "$REC_UA_NATTED"
		pids+=("$SHB_LAST_PID")
	done
	for k in 0 1 2 3 4 5 6 7; do
		wait "${pids[$k]}"
		rc=$?
		shb_forget "${pids[$k]}"
		printf '%s\t%s\t%s\t%s\t%s\n' natted "register$k" "$start" "$(rec_now)" "$rc" \
			>>"$REC_OUT/windows.tsv"
		rlog "$(printf '%-9s %-10s rc=%-3s' natted "register$k" "$rc")"
	done

	# trunk: a PBX qualifying its trunk: OPTIONS every second, 15 times, no registration.
	rec_sipp trunk qualify options.xml 5060 -m 15 -r 1 -rp 1000 -s trunk \
		-key ua "$REC_UA_TRUNK"
	return 0
}

rec_attacks() {
	local S=$SHB_SERVER
	export HOME="$REC_LOGS/home" # sipvicious keeps session state under ~/.sipvicious
	mkdir -p "$HOME"
	rec_step svmap scan "$SVMAP" "$S"
	rec_step svwar enum "$SVWAR" -e100-130 --maximumtime=5 "$S"
	rec_step svwarinv enum "$SVWAR" -m INVITE -e100-130 --maximumtime=5 "$S"
	# The password is not numeric: this range cannot contain it.
	rec_step svcrack crack "$SVCRACK" -u 100 -r 1000-1019 --maximumtime=5 "$S"
	rec_step sipsak options "$SIPSAK" -vv -s "sip:100@$S"
	rec_step sipsak register "$SIPSAK" -vv -U -i -a 1234 -s "sip:100@$S"
	# 5060/udp is "sip" in nmap-services: the scripts' port rule matches. -Pn: no pings.
	# shellcheck disable=SC2054  # the commas belong to --script and --script-args
	local nargs=(-n -Pn -sU -p 5060 --max-retries 1 --host-timeout 20s
		--script sip-methods,sip-enum-users
		--script-args sip-enum-users.minext=100,sip-enum-users.maxext=130)
	rec_step nmap scan "$NMAP" "${nargs[@]}" "$S"

	# svmap with its User-Agent changed: a copy of the sipvicious package with the default
	# 'friendly-scanner' replaced (nothing on the system is modified).
	local pkg="$REC_LOGS/svmapua-pkg"
	rm -rf "$pkg"
	mkdir -p "$pkg"
	cp -r "$SV_PKG" "$pkg/sipvicious"
	find "$pkg" -name __pycache__ -type d -prune -exec rm -rf {} +
	sed -i "s/useragent='friendly-scanner'/useragent='$REC_FAKE_UA'/" "$pkg/sipvicious/libs/svhelper.py"
	if ! grep -q "useragent='$REC_FAKE_UA'" "$pkg/sipvicious/libs/svhelper.py"; then
		rlog "svmapua: could not change the User-Agent in the sipvicious copy"
		return 1
	fi
	rec_step svmapua scan env PYTHONPATH="$pkg" PYTHONDONTWRITEBYTECODE=1 "$SYS_PYTHON" -c \
		'import sys, sipvicious; print("sipvicious from", sipvicious.__file__, flush=True); from sipvicious.svmap import main; sys.argv[0] = "svmap"; sys.exit(main())' \
		"$S"

	# nmap with its User-Agent changed. nmap's sip library has no script argument for it
	# (only sip-call-spoof.ua, for its INVITE): a data directory with a copy of
	# nselib/sip.lua whose default User-Agent is replaced (nmap looks there first).
	local dd="$REC_LOGS/nmapua-data"
	rm -rf "$dd"
	mkdir -p "$dd/nselib"
	sed "s/o.ua = \"Nmap NSE\"/o.ua = \"$REC_FAKE_UA\"/" "$NMAP_SIPLUA" >"$dd/nselib/sip.lua"
	if ! grep -q "o.ua = \"$REC_FAKE_UA\"" "$dd/nselib/sip.lua"; then
		rlog "nmapua: could not change the User-Agent in the sip.lua copy"
		return 1
	fi
	rec_step nmapua scan "$NMAP" --datadir "$dd" "${nargs[@]}" "$S"
	return 0
}

# shield_record OUTDIR: the whole recording (bed up ... bed down is the caller's trap).
shield_record() {
	REC_OUT=${1:?shield_record OUTDIR}
	mkdir -p "$REC_OUT" || return 1
	REC_OUT=$(cd "$REC_OUT" && pwd)
	REC_LOGS="$REC_OUT/logs"
	rm -rf "$REC_LOGS"
	mkdir -p "$REC_LOGS"
	chmod 755 "$REC_OUT" "$REC_LOGS"
	rm -f "$REC_OUT/capture.pcap" "$REC_OUT/windows.tsv"
	printf 'role\tstep\tstart\tend\trc\n' >"$REC_OUT/windows.tsv"
	local t0 oldpwd=$PWD oldhome=$HOME
	t0=$(rec_now)
	rec_tools
	if [ -n "$REC_MISSING" ]; then
		rlog "SKIP: missing: $REC_MISSING"
		return 77
	fi
	shb_up "$REC_LOGS" || return 1
	shb_watchdog
	{
		echo "SHB_TAG=$SHB_TAG"
		echo "SHB_NS_PREFIX=swsh-$SHB_TAG-"
		echo "SHB_SERVER=$SHB_SERVER"
		echo "SHB_PASSWORD=$SHB_PASSWORD"
		echo "SHB_REALM=$SHB_REALM"
		local r
		for r in $(shb_roles); do
			echo "SHB_ADDR_$r=$(shb_addr "$r")"
		done
	} >"$REC_OUT/bed.env"
	shb_write_manifest "$REC_OUT/parties.tsv"

	shb_capture_start "$REC_OUT/capture.pcap" "udp port 5060" || return 1
	mv -f "$REC_OUT/capture.pcap.log" "$REC_LOGS/tcpdump.log" 2>/dev/null
	shb_kamailio_start || return 1
	if declare -F shb_hook_server_up >/dev/null; then
		shb_hook_server_up || { rlog "shb_hook_server_up failed"; return 1; }
	fi
	cd "$REC_LOGS" || return 1 # SIPp writes some files into the current directory

	rec_legit || return 1
	shb_kamailio_alive || { rlog "kamailio died"; tail -20 "$SHB_WORK/kamailio.log" >&2; return 1; }
	rec_attacks || return 1
	shb_kamailio_alive || { rlog "kamailio died"; tail -20 "$SHB_WORK/kamailio.log" >&2; return 1; }

	# baresip unregisters when told to stop (SIGTERM); then capture and server stop.
	if kill -0 "$REC_BARESIP_PID" 2>/dev/null; then
		# timeout(1) passes SIGTERM on to baresip.
		shb_kill "$REC_BARESIP_PID" TERM
		printf '%s\t%s\t%s\t%s\t%s\n' baresip run "$REC_BARESIP_START" "$(rec_now)" 0 \
			>>"$REC_OUT/windows.tsv"
	else
		wait "$REC_BARESIP_PID"
		printf '%s\t%s\t%s\t%s\t%s\n' baresip run "$REC_BARESIP_START" "$(rec_now)" "$?" \
			>>"$REC_OUT/windows.tsv"
		rlog "baresip had exited before the end of the recording"
	fi
	sleep 0.5
	local cap=$SHB_CAPTURE_PID
	shb_capture_stop
	# tcpdump wrote its log next to the pcap while it ran.
	shb_kamailio_stop
	[ -s "$REC_OUT/capture.pcap" ] || { rlog "empty capture"; return 1; }
	rlog "capture: $REC_OUT/capture.pcap ($(stat -c %s "$REC_OUT/capture.pcap") bytes, tcpdump pid $cap)"
	rlog "recording took $(awk -v a="$t0" -v b="$(rec_now)" 'BEGIN { printf "%.1f", b - a }') s"
	cd "$oldpwd" || true
	export HOME=$oldhome
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	set -o pipefail
	if [ $# -ne 1 ]; then
		echo "usage: $0 OUTDIR" >&2
		exit 2
	fi
	why=$(shb_unavailable)
	if [ -n "$why" ]; then
		rlog "SKIP: $why"
		exit 77
	fi
	# shellcheck disable=SC2317
	rec_cleanup() {
		local rc=$?
		set +e
		shb_down || rc=1
		exit "$rc"
	}
	trap rec_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	shield_record "$1"
	exit $?
fi
