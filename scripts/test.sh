#!/usr/bin/env bash
# Run every test of sipwarden, building first. This is the README's test command and what
# .ci/run calls. Stages (each must pass):
#   1. packages          scripts/bootstrap.sh test (installs only what is missing)
#   2. conformance data  ../shared/testdata/rfc4475/SHA256SUMS (the corpus is byte-exact)
#   3. style             clang-format check, banned-function check (and its self-test)
#   4. release build     build/sipwarden with -Werror
#   5. sanitizer build   build-san/ with clang, ASan+UBSan, -Werror; ctest: unit tests and the
#                        integration tests against real peers (Kamailio, SIPVicious, sipsak,
#                        nmap, SIPp, tshark), all on loopback
#   6. man page          every option of every command is documented in doc/sipwarden.1.scd
#   7. fuzzing           each libFuzzer target for SW_FUZZ_SECONDS (default 60) seconds
# Environment: SW_FUZZ_SECONDS=N, SW_JOBS=N (default: nproc).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${SW_JOBS:-$(nproc)}
fuzz_seconds=${SW_FUZZ_SECONDS:-60}
passed=0
failed=0
failures=()

stage() {
	local name=$1
	shift
	echo "=== $name"
	local t0=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: ok ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "=== $name: FAILED ($((SECONDS - t0)) s)"
	fi
}

scripts/bootstrap.sh test || {
	echo "bootstrap failed: cannot install the packages the tests need" >&2
	exit 1
}

shared="$root/../shared/testdata/rfc4475"
check_corpus() {
	[[ -d "$shared" ]] || {
		echo "missing $shared (CI clones the repo with ../shared beside it)"
		return 1
	}
	(cd "$shared" && sha256sum --quiet -c SHA256SUMS)
}
stage "rfc4475 corpus checksums" check_corpus
stage "clang-format" scripts/check-format.sh
stage "banned functions" scripts/check-banned.sh
stage "banned-function check self-test" scripts/check-banned.sh --self-test

build_release() {
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_WERROR=ON -DSW_TESTS=OFF \
		>/dev/null && cmake --build build -j "$jobs"
}
stage "release build (build/sipwarden)" build_release

ctest_log=$(mktemp)
trap 'rm -f "$ctest_log"' EXIT
build_and_test_sanitized() {
	cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DSW_WERROR=ON \
		-DSW_SANITIZE=ON >/dev/null && cmake --build build-san -j "$jobs" || return 1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --test-dir build-san --output-on-failure -j "$jobs" | tee "$ctest_log"
	return "${PIPESTATUS[0]}"
}
stage "sanitizer build + ctest (unit, integration)" build_and_test_sanitized
stage "man page documents every option" scripts/check-manpage.sh build/sipwarden
stage "fuzzing (${fuzz_seconds} s per target)" scripts/fuzz.sh "$fuzz_seconds"

# Count ctest's own tests too, so the closing line says how much was checked.
ct_pass=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed' "$ctest_log" || true)
ct_fail=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*(Failed|\*\*\*)' "$ctest_log" || true)
ct_skip=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*Skipped' "$ctest_log" || true)
if ((failed)); then
	echo "failed stages: ${failures[*]}"
fi
echo "stages: $passed passed, $failed failed; ctest: $ct_pass passed, $ct_fail failed, $ct_skip skipped"
echo "$((passed + ct_pass)) passed, $((failed + ct_fail)) failed, $ct_skip skipped"
((failed == 0))
