# shellcheck shell=bash
# What the shield's test scripts (tests/integration/shield_*.sh, denyset.sh) share: their log
# lines, skip/fail exits and the count of failed checks. Source it with the script's name, the
# name its log lines carry:  source "$HERE/shield/testlib.sh" shield_ops
#
#   log TEXT      "[SW_TEST] TEXT"
#   skip WHY      exit 77 (a capability or tool is missing), saying why
#   die WHY       exit 1 at once
#   ok / bad      one check passed / failed (bad counts into FAILS; the script decides at the end)
#   sw_test_binary "$@"   the script's one operand, PATH_TO_SIPWARDEN, as an absolute path in SW

SW_TEST=${1:?source testlib.sh with the name of the test}
log() { printf '[%s] %s\n' "$SW_TEST" "$*"; }
skip() {
	log "SKIP: $*"
	exit 77
}
die() {
	log "FAIL: $*"
	exit 1
}
FAILS=0
ok() { log "ok   $*"; }
bad() {
	log "FAIL $*"
	FAILS=$((FAILS + 1))
}

sw_test_binary() {
	[ $# -eq 1 ] || {
		echo "usage: $0 PATH_TO_SIPWARDEN" >&2
		exit 1
	}
	SW=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	[ -x "$SW" ] || die "$1 is not executable"
}
