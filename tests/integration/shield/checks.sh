# shellcheck shell=bash
# Checks of a recording's legitimate SIPp transactions, shared by the tests that use the shield
# test bed (shield_bed.sh, shield_live.sh). Source it after defining ok MESSAGE and bad MESSAGE
# (each test counts its own results) and setting OUT to the recording's directory (record.sh OUT).

# The exit status record.sh wrote for ROLE's STEP (windows.tsv: role step start end rc).
step_rc() { awk -F'\t' -v r="$1" -v s="$2" '$1 == r && $2 == s { print $5 }' "$OUT/windows.tsv"; }

# FILE COLUMN: the column's value in the last line of a SIPp statistics file.
stat_col() {
	awk -F';' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		{ v = $k } END { print v + 0 }' "$1"
}

# ROLE STEP CALLS: the SIPp run exited 0 with CALLS successful calls and none failed.
check_sipp() {
	local rc st="$OUT/logs/$1-$2.stat.csv" succ failed
	rc=$(step_rc "$1" "$2")
	if [ "$rc" != 0 ]; then
		bad "SIPp $1 $2 exited with '${rc:-?}' (logs/$1-$2.*)"
		return
	fi
	[ -s "$st" ] || { bad "SIPp $1 $2: no statistics file"; return; }
	succ=$(stat_col "$st" "SuccessfulCall(C)")
	failed=$(stat_col "$st" "FailedCall(C)")
	if [ "$succ" = "$3" ] && [ "$failed" = 0 ]; then
		ok "SIPp $1 $2: exit 0, $succ/$3 successful, 0 failed"
	else
		bad "SIPp $1 $2: $succ successful (want $3), $failed failed"
	fi
}

# Every legitimate SIPp run of record.sh: registrations, keepalives, both calls, the eight
# phones behind one address, the trunk's qualify OPTIONS.
check_legit_sipp() {
	local k
	check_sipp phone2 register 1
	check_sipp phone2 answer 1
	check_sipp phone1 register 1
	check_sipp phone1 keepalive 3
	check_sipp phone1 call 1
	check_sipp phone1 call120 1
	for k in 0 1 2 3 4 5 6 7; do
		check_sipp natted "register$k" 1
	done
	check_sipp trunk qualify 15
}
