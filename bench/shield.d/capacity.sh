# shellcheck shell=bash disable=SC2154  # bench/shield's settings
# bench/shield.d/capacity.sh: the shield's own capacity (sourced by bench/shield after lib.sh).
#
# One bed (tests/integration/shield/bed.sh) without Kamailio: sink.c or echo.c listens on
# 198.18.0.1:5060 in the server namespace; the generators run in the trunk's namespace from
# extra addresses 198.18.0.160-175 (realm "bench", trust-level high in the bench config: every
# packet is judged and accepted) and in svmap's namespace for the denied source.
#
#   capacity   flood.c at full speed from 16 addresses x 4 ports for CAP_SECS to sink.c:
#              delivered packets/s with no shield, then through `sipwarden shield --workers 1`
#              and `--workers 2` with --fail-closed (a full queue drops, so everything
#              delivered was judged; the default fail-open would let an overflow through
#              unjudged and count it)
#   latency    rtt.c: OPTIONS at LAT_RATE/s for LAT_SECS to echo.c, without and with
#              `sipwarden shield --workers 1` (the shield judges the request on its way in and
#              the 200 on its way out)
#   deny       `sipwarden shield --workers 1` with the shipped config; a fresh source sends one
#              fingerprinted OPTIONS (User-Agent friendly-scanner: denied), then floods at full
#              speed for CAP_SECS: the flood's rate at the generator, what reaches the sink,
#              the shield's CPU during the flood and how many packets were queued to it
# Every run: SW_BENCH_RUNS rounds, the order rotating per round.

cap_flood() { # LOG [-r RATE]: the capacity generator (16 addresses x 4 ports)
	local lf=$1
	shift
	shb_exec trunk "$bin/flood" -d 198.18.0.1:5060 -f "$work/legit.sip" -s "$CAP_BASE" \
		-S "$CAP_NADDR" -p 5070 -P 4 -t "$cap_secs" "$@" >"$lf" 2>&1
}

sink_start() { # LOG SECONDS IDLE: sink.c in the server namespace; pid in SINK_PID
	shb_bg "$1" srv "$bin/sink" -l 198.18.0.1:5060 -t "$2" -i "$3"
	SINK_PID=$SHB_LAST_PID
	wait_line "$1" "sink ready" 5 "$SINK_PID" || die "the sink did not start: $(cat "$1")"
}
sink_wait() { # waits for the sink to end by itself (idle), at most 30 s, then stops it
	local _
	for _ in $(seq 1 300); do
		kill -0 "$SINK_PID" 2>/dev/null || break
		sleep 0.1
	done
	shb_kill "$SINK_PID" TERM
}

capacity_run() { # MODE ROUND
	local m=$1 r=$2 d=$work/cap
	local lf=$d/$m-$r
	case $m in
	w1 | w2)
		shield_start "$lf.shield" --workers "${m#w}" --fail-closed --config "$bench_conf" ||
			die "the shield did not start"
		;;
	esac
	sink_start "$lf.sink" $((cap_secs + 20)) 1
	cap_flood "$lf.flood"
	sink_wait
	shield_stop
	local pps gen
	pps=$(kv "$lf.sink" pps)
	gen=$(kv "$lf.flood" pps)
	put "cap.${m}_pps" "${pps:-0}"
	put "cap.${m}_gen_pps" "${gen:-0}"
	if [ "$m" != noshield ]; then
		put "cap.${m}_judged" "$(stop_count "$lf.shield" judged)"
		put "cap.${m}_dropped" "$(stop_count "$lf.shield" dropped)"
		put "cap.${m}_queued" "$(stop_count "$lf.shield" "packets queued")"
		put "cap.${m}_delivered" "$(kv "$lf.sink" packets)"
	fi
	note "capacity $m round $r: delivered ${pps:-?}/s (generator ${gen:-?}/s)"
}

latency_run() { # MODE ROUND
	local m=$1 r=$2 d=$work/cap
	local lf=$d/lat-$m-$r
	[ "$m" = shield ] && { shield_start "$lf.shield" --workers 1 --config "$bench_conf" ||
		die "the shield did not start"; }
	shb_bg "$lf.echo" srv "$bin/echo" -l 198.18.0.1:5060 -t $((lat_secs + 20))
	local echo_pid=$SHB_LAST_PID
	wait_line "$lf.echo" "echo ready" 5 "$echo_pid" || die "echo did not start: $(cat "$lf.echo")"
	# Every party of the round trip at the same real-time priority (the shield too, as a
	# latency-sensitive deployment would run it): on this VM's two shared vCPUs, ordinary
	# scheduling delays of milliseconds otherwise set both rows' p99, not the shield.
	local rt=()
	if [ "$LAT_RT" = 1 ]; then
		rt=(chrt -f 20)
		chrt -a -f -p 20 "$echo_pid" >/dev/null 2>&1
		[ -n "${SHIELD_PID:-}" ] && chrt -a -f -p 20 "$SHIELD_PID" >/dev/null 2>&1
	fi
	shb_exec trunk "${rt[@]}" "$bin/rtt" -s "$LAT_ADDR:$((5080 + r))" -d 198.18.0.1:5060 \
		-r "$lat_rate" -t "$lat_secs" >"$lf.rtt" 2>&1
	shb_kill "$echo_pid" TERM
	shield_stop
	local k
	for k in p50_us p99_us p999_us max_us lost late_sends; do
		put "lat.${m}_$k" "$(kv "$lf.rtt" "$k")"
	done
	note "latency $m round $r: $(cat "$lf.rtt")"
}

deny_run() { # ROUND
	local r=$1 d=$work/cap addr
	local lf=$d/deny-$r
	addr=198.18.0.$((DENY_BASE + r))
	add_addr svmap "$addr"
	shield_start "$lf.shield" --workers 1 --config "$shield_conf" || die "the shield did not start"
	sink_start "$lf.sink" $((cap_secs + 20)) 3
	# One fingerprinted message: the source is denied.
	shb_exec svmap "$bin/flood" -d 198.18.0.1:5060 -f "$work/scanner.sip" -s "$addr" -p 5060 \
		-n 1 >"$lf.first" 2>&1
	sleep 0.5
	local s0 s1 t0 t1 el
	s0=$(cpu_ticks "$SHIELD_PID")
	t0=$(date +%s.%N)
	# Then the same source floods (a trunk-like OPTIONS: only the deny stops it).
	shb_exec svmap "$bin/flood" -d 198.18.0.1:5060 -f "$work/legit.sip" -s "$addr" -p 5060 \
		-t "$cap_secs" >"$lf.flood" 2>&1
	t1=$(date +%s.%N)
	s1=$(cpu_ticks "$SHIELD_PID")
	el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	if shb_exec srv nft list table inet sipwarden_deny >"$lf.nft" 2>&1; then
		put deny.set_present 1
	else
		put deny.set_present 0
	fi
	sleep 0.5
	shb_kill "$SINK_PID" TERM
	shield_stop
	put deny.flood_pps "$(kv "$lf.flood" pps)"
	put deny.flood_sent "$(kv "$lf.flood" sent)"
	put deny.delivered "$(kv "$lf.sink" packets)"
	put deny.shield_cpu_pct "$(cpu_pct $((s1 - s0)) "$el")"
	put deny.queued "$(stop_count "$lf.shield" "packets queued")"
	put deny.denials "$(stop_count "$lf.shield" denials)"
	note "deny round $r: flood $(kv "$lf.flood" pps)/s, delivered $(kv "$lf.sink" packets), shield CPU $(cpu_pct $((s1 - s0)) "$el")%"
}

capacity_all() {
	local d=$work/cap r k modes=(noshield w1 w2) i
	mkdir -p "$d"
	note "capacity bed"
	shb_up "$d/bed" >/dev/null 2>&1 || die "the bed did not come up"
	shb_watchdog
	for i in $(seq 0 $((CAP_NADDR - 1))); do
		add_addr trunk "198.18.0.$((${CAP_BASE##*.} + i))"
	done
	add_addr trunk "$LAT_ADDR"
	for ((r = 1; r <= runs; r++)); do
		for ((k = 0; k < ${#modes[@]}; k++)); do
			capacity_run "${modes[$(((r + k) % ${#modes[@]}))]}" "$r"
		done
	done
	for ((r = 1; r <= runs; r++)); do
		if ((r % 2)); then
			latency_run noshield "$r"
			latency_run shield "$r"
		else
			latency_run shield "$r"
			latency_run noshield "$r"
		fi
	done
	for ((r = 1; r <= runs; r++)); do
		deny_run "$r"
	done
	shb_down >/dev/null 2>&1 || die "the capacity bed did not come down"
}
