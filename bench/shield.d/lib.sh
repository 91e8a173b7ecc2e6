# shellcheck shell=bash disable=SC2154  # the caller's settings (see below)
# bench/shield.d/lib.sh: helpers of bench/shield, sourced after tests/integration/shield/record.sh
# (the shield test bed: shb_* functions).
#
# Expects from the caller: $bin (the compiled helpers), $IPT (iptables), $SW (sipwarden),
# $results (the figures file, "key value" lines), note().

# ---- Kamailio: the bed's start-up, with another config when BSH_KAM_CFG is set -------------
# record.sh calls shb_kamailio_start by name; the bed's function takes its config from
# SHB_KAMAILIO_CFG and SHB_KAMAILIO_DEFS, set here from the bench's choice of the moment.
eval "$(declare -f shb_kamailio_start | sed '1s/shb_kamailio_start/bsh_kamailio_start_bed/')"
shb_kamailio_start() {
	if [ -n "${BSH_KAM_CFG:-}" ]; then
		SHB_KAMAILIO_CFG=$BSH_KAM_CFG
		SHB_KAMAILIO_DEFS=(-A "SW_SECF_DB=\"text://$BSH_SECF_DB\"")
	else
		SHB_KAMAILIO_CFG=
		SHB_KAMAILIO_DEFS=()
	fi
	bsh_kamailio_start_bed
}

# ---- figures -------------------------------------------------------------------------------
put() { printf '%s %s\n' "$1" "$2" >>"$results"; } # KEY VALUE

# key=value field of a helper's output line: kv FILE KEY
kv() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" "$1" | tail -n 1; }

# CPU ticks (user + system) of the given pids, summed (fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends the command name).
cpu_ticks() {
	local p t=0 v
	for p in "$@"; do
		if ! [[ $p =~ ^[0-9]+$ ]] || [ ! -r "/proc/$p/stat" ]; then
			continue
		fi
		v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || v=0
		t=$((t + ${v:-0}))
	done
	echo "$t"
}
# The pids of the Kamailio processes (main and children) in the server namespace.
kamailio_pids() {
	local p
	for p in $(ip netns pids "$(shb_ns srv)" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ] && echo "$p"
	done
}
# TICKS SECONDS: percent of one core
cpu_pct() { awk -v t="$1" -v s="$2" -v hz="$CLK_TCK" 'BEGIN { printf "%.1f", (s > 0 ? 100 * t / hz / s : 0) }'; }

wait_line() { shb_wait_line "$@"; }

# ---- the shield ----------------------------------------------------------------------------
# shield_start LOG ARGS...: sipwarden shield in the server namespace; pid in SHIELD_PID.
shield_start() {
	local lf=$1
	shift
	shb_bg "$lf" srv "$SW" shield "$@"
	SHIELD_PID=$SHB_LAST_PID
	if ! wait_line "$lf" "shield: protecting" 10 "$SHIELD_PID"; then
		note "the shield did not start: $(tr '\n' ' ' <"$lf")"
		shb_kill "$SHIELD_PID"
		SHIELD_PID=
		return 1
	fi
}
shield_stop() { # stops it (SIGTERM: it removes its rules and prints its counts)
	[ -n "${SHIELD_PID:-}" ] || return 0
	shb_kill "$SHIELD_PID" TERM
	SHIELD_PID=
}
# A count from the shield's "stopped:" line: stop_count LOG WHAT ("packets queued", "judged",
# "accepted", "dropped", "queue overruns", "denials").
stop_count() {
	grep -m1 '^shield: stopped:' "$1" 2>/dev/null | grep -o "[0-9]* $2" | head -n 1 | cut -d' ' -f1
}

# ---- bed additions -------------------------------------------------------------------------
# add_addr ROLE ADDR: one more address on the party's eth0 (inside its namespace only).
add_addr() { shb_exec "$1" ip addr add "$2/24" dev eth0 2>/dev/null || true; }

# Counting rules in the server namespace, outside the filter table, so they see what any
# protection did: raw/OUTPUT (before filter) counts what the server sent to an address,
# security/INPUT (after filter, the shield's nft chain and the string/hashlimit rules) what
# reached the server's sockets from it.
count_rules() { # ADDR...
	local a
	for a in "$@"; do
		shb_exec srv "$IPT" -w -t raw -A OUTPUT -p udp --sport 5060 -d "$a" -j ACCEPT
		shb_exec srv "$IPT" -w -t security -A INPUT -p udp --dport 5060 -s "$a" -j ACCEPT
	done
}
counted_out() { # ADDR: packets the server sent to ADDR (raw OUTPUT)
	shb_exec srv "$IPT" -w -t raw -L OUTPUT -n -v -x |
		awk -v a="$1" '$9 == a { n += $1 } END { print n + 0 }'
}
counted_in() { # ADDR: packets from ADDR that passed the filter table (security INPUT)
	shb_exec srv "$IPT" -w -t security -L INPUT -n -v -x |
		awk -v a="$1" '$8 == a { n += $1 } END { print n + 0 }'
}

# ---- payloads ------------------------------------------------------------------------------
# A trunk's qualify OPTIONS (~500 bytes), from ADDR:PORT: what a capacity run sends.
payload_legit() { # ADDR PORT FILE
	printf '%s\r\n' "OPTIONS sip:198.18.0.1:5060 SIP/2.0" \
		"Via: SIP/2.0/UDP $1:$2;branch=z9hG4bK-524287-1---7b2f8c1e0d3a9f46;rport" \
		"Max-Forwards: 70" \
		"Contact: <sip:trunk@$1:$2>" \
		"To: <sip:198.18.0.1:5060>" \
		"From: <sip:trunk@$1:$2>;tag=4a1d9c3e" \
		"Call-ID: 6b8b4567327b23c6643c9869-bench@$1" \
		"CSeq: 1 OPTIONS" \
		"User-Agent: FPBX-16.0.40.7(18.20.0)" \
		"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY, INFO, PUBLISH, MESSAGE" \
		"Supported: replaces, timer" \
		"Accept: application/sdp, application/dtmf-relay, application/simple-message-summary" \
		"Accept-Language: en" \
		"Content-Length: 0" "" >"$3"
}
# svmap's OPTIONS (User-Agent friendly-scanner, Via 127.0.0.1, as sipvicious 0.3.3 sends it in
# this container).
payload_scanner() { # FILE
	printf '%s\r\n' "OPTIONS sip:100@198.18.0.1 SIP/2.0" \
		"Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-2218536611;rport" \
		"Max-Forwards: 70" \
		"To: \"100\" <sip:100@198.18.0.1>" \
		"From: \"100\" <sip:100@198.18.0.1>;tag=6466343937363034313363340131303037333537333633" \
		"User-Agent: friendly-scanner" \
		"Call-ID: 889416391508924651390378" \
		"Contact: <sip:100@127.0.0.1:5060>" \
		"CSeq: 1 OPTIONS" \
		"Accept: application/sdp" \
		"Content-Length: 0" "" >"$1"
}
