#!/usr/bin/env bash
# Build the libFuzzer targets and run each for a while.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# 1. Configures and builds build-fuzz/ with clang, -fsanitize=fuzzer-no-link,address,undefined
#    for the libraries (the command is documented in tests/fuzz/CMakeLists.txt).
# 2. For every target build-fuzz/fuzz/fuzz_<name>:
#    - replays each file in tests/fuzz/regressions/fuzz_<name>/ once, so past crashes stay fixed;
#    - seeds a fresh corpus build-fuzz/corpus/fuzz_<name>/ from tests/fuzz/seeds/fuzz_<name>/ and,
#      for fuzz_sip, tests/data/**/*.sip, tests/data/**/*.dat and ../shared/testdata/rfc4475/*.dat
#      (beside the repository); for fuzz_capture, tests/data/**/*.pcap*;
#    - fuzzes for SECONDS (-max_total_time), inputs up to 65535 bytes for fuzz_sip and 262144
#      for fuzz_capture (65535 for any other target);
#    - prints "fuzz_<name>: N runs in S s, no crash", or what it found.
# Crash, leak, timeout and out-of-memory inputs go to build-fuzz/artifacts/fuzz_<name>/; libFuzzer's
# output to build-fuzz/logs/fuzz_<name>.log.
#
# Environment: FUZZ_CC (default clang), FUZZ_TIMEOUT seconds per input (default 10),
# FUZZ_BUILD_DIR (default build-fuzz; artifacts, corpora and logs go below it too),
# FUZZ_TARGETS to restrict the run ("fuzz_sip fuzz_capture").
# Exit status: 0 nothing found, 1 a target crashed, leaked, timed out or a regression failed,
# 2 usage or build error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
shared=$(cd "$root/.." && pwd)/shared

secs=${1:-60}
if [[ "$secs" == -h || "$secs" == --help ]]; then
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
	exit 0
fi
if ! [[ "$secs" =~ ^[1-9][0-9]*$ ]] || (($# > 1)); then
	echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
	exit 2
fi
cc=${FUZZ_CC:-clang}
per_input=${FUZZ_TIMEOUT:-10}

# --- configure and build ------------------------------------------------------------------------
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
flags+=" -fno-omit-frame-pointer"
cfg=(-S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DSW_FUZZ=ON -DSW_TESTS=OFF
	-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_C_FLAGS=$flags")
# The generator can only be picked when the build directory is new.
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
	cfg+=(-G Ninja)
fi
echo "fuzz: configuring $build"
mkdir -p "$build"
if ! cmake "${cfg[@]}" >"$build/configure.log" 2>&1; then
	tail -n 40 "$build/configure.log" >&2
	echo "fuzz: configure failed (full log: $build/configure.log)" >&2
	exit 2
fi
echo "fuzz: building"
if ! cmake --build "$build" --target fuzz >"$build/build.log" 2>&1; then
	tail -n 40 "$build/build.log" >&2
	echo "fuzz: build failed (full log: $build/build.log)" >&2
	exit 2
fi

# --- helpers ------------------------------------------------------------------------------------
# Copy the files given on stdin (NUL-separated) into dir, named by content hash so equal inputs
# collapse and names never collide.
seed_into() {
	local dir=$1 f h n=0
	while IFS= read -r -d '' f; do
		h=$(sha1sum "$f")
		cp "$f" "$dir/${h%% *}"
		n=$((n + 1))
	done
	echo "$n"
}

# NUL-separated list of the files that seed target $1.
seed_files() {
	local t=$1
	if [[ -d "$root/tests/fuzz/seeds/$t" ]]; then
		find "$root/tests/fuzz/seeds/$t" -type f ! -name 'README*' -print0
	fi
	case "$t" in
	fuzz_sip)
		[[ -d "$root/tests/data" ]] &&
			find "$root/tests/data" -type f \( -name '*.sip' -o -name '*.dat' \) -print0
		[[ -d "$shared/testdata/rfc4475" ]] &&
			find "$shared/testdata/rfc4475" -maxdepth 1 -type f -name '*.dat' -print0
		;;
	fuzz_capture)
		[[ -d "$root/tests/data" ]] &&
			find "$root/tests/data" -type f -name '*.pcap*' -print0
		;;
	fuzz_shield)
		# each SIP fixture as one datagram from a remote party: [flags 0][length][bytes]
		local d=$build/seeds-shield f
		rm -rf "$d"
		mkdir -p "$d"
		while IFS= read -r -d '' f; do
			python3 -c 'import sys; b=open(sys.argv[1],"rb").read()[:65535]
sys.stdout.buffer.write(bytes([0, len(b) >> 8, len(b) & 255]) + b)' "$f" >"$d/$(basename "$f")"
		done < <(find "$root/tests/data/legit" "$root/tests/data/rules/attacks" -type f \
			-name '*.sip' -print0 2>/dev/null)
		find "$d" -type f -print0
		;;
	fuzz_shield_config)
		# byte 0 picks the reader: even = config, odd = rules
		local d=$build/seeds-shield-config f
		rm -rf "$d"
		mkdir -p "$d"
		for f in "$root"/conf/*.conf; do
			{ printf '\0'; cat "$f"; } >"$d/conf-$(basename "$f")"
		done
		while IFS= read -r -d '' f; do
			{ printf '\1'; cat "$f"; } >"$d/rules-$(basename "$f")"
		done < <(find "$root/conf" "$root/tests/data/rules" -maxdepth 1 -type f \
			-name '*.rules' -print0)
		find "$d" -type f -print0
		;;
	esac
	return 0
}

# A path as the user would type it from the repository root.
rel() {
	printf '%s\n' "${1#"$root"/}"
}

max_len_of() {
	case "$1" in
	fuzz_capture) echo 262144 ;;
	*) echo 65535 ;;
	esac
}

# --- run ----------------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=()
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
	read -r -a targets <<<"$FUZZ_TARGETS"
else
	for src in "$root"/tests/fuzz/fuzz_*.c; do
		[[ -e "$src" ]] || continue
		t=$(basename "$src" .c)
		targets+=("$t")
	done
fi
if ((${#targets[@]} == 0)); then
	echo "fuzz: no targets in tests/fuzz/" >&2
	exit 2
fi

mkdir -p "$build/logs"
status=0
for t in "${targets[@]}"; do
	bin="$build/fuzz/$t"
	if [[ ! -x "$bin" ]]; then
		echo "$t: not built ($(rel "$bin") missing)" >&2
		status=1
		continue
	fi
	log="$build/logs/$t.log"
	art="$build/artifacts/$t"
	corpus="$build/corpus/$t"
	mkdir -p "$art"

	# Past crashes first: each file once, no fuzzing.
	regs=()
	if [[ -d "$root/tests/fuzz/regressions/$t" ]]; then
		while IFS= read -r -d '' f; do
			regs+=("$f")
		done < <(find "$root/tests/fuzz/regressions/$t" -type f ! -name 'README*' -print0 | sort -z)
	fi
	if ((${#regs[@]} > 0)); then
		if ! "$bin" -timeout="$per_input" "${regs[@]}" >"$build/logs/$t.regressions.log" 2>&1; then
			echo "$t: a regression input fails again (log: $(rel "$build/logs/$t.regressions.log"))"
			grep -E '^Running: ' "$build/logs/$t.regressions.log" | tail -n 1 | sed 's/^/  last: /'
			status=1
			continue
		fi
		echo "$t: ${#regs[@]} regression inputs pass"
	fi

	rm -rf "$corpus"
	mkdir -p "$corpus"
	nseeds=$(seed_files "$t" | seed_into "$corpus")

	# libFuzzer names artifacts by content hash, so a crash found again rewrites the same file:
	# what this run wrote is what is newer than the marker.
	marker="$build/logs/$t.start"
	: >"$marker"
	sleep 1
	rc=0
	"$bin" -max_total_time="$secs" -max_len="$(max_len_of "$t")" -timeout="$per_input" \
		-artifact_prefix="$art/" -print_final_stats=1 "$corpus" >"$log" 2>&1 || rc=$?
	new=$(find "$art" -maxdepth 1 -type f -newer "$marker" | sort)

	done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
	runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$done_line")
	took=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$done_line")

	if ((rc == 0)) && [[ -z "$new" && -n "$done_line" ]]; then
		echo "$t: $runs runs in $took s, no crash"
		continue
	fi
	status=1
	reason=$(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY: |ERROR: libFuzzer|runtime error:|broken promise' \
		"$log" || true)
	echo "$t: FAILED (exit $rc, seeds $nseeds)${reason:+: $reason}"
	echo "  log: $(rel "$log")"
	if [[ -n "$new" ]]; then
		while IFS= read -r a; do
			base=$(basename "$a")
			case "$base" in
			slow-unit-*) kind=slow-unit ;;
			*) kind=${base%%-*} ;;
			esac
			a=$(rel "$a")
			echo "  artifact: $a"
			echo "    reproduce: $(rel "$bin") $a"
			echo "    minimize:  $(rel "$bin") -minimize_crash=1 -max_total_time=60" \
				"-exact_artifact_path=$a.min $a"
			# crash-*, leak-*, ... are git-ignored: keep the hash, move the kind to the end.
			echo "    keep it as a regression fixture (tests/fuzz/regressions/README.md):"
			echo "      mkdir -p tests/fuzz/regressions/$t &&" \
				"cp $a tests/fuzz/regressions/$t/${base#"$kind"-}.$kind"
		done <<<"$new"
	fi
done
exit $status
