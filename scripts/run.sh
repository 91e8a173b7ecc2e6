#!/usr/bin/env bash
# The README's main command: install what is missing, build build/sipwarden, then scan a SIP
# test bed made on the spot in two network namespaces - 4,096 target addresses of which a few
# dozen answer like real SIP servers (and two run a real Kamailio) - first with Shadowserver's
# bare probe, then with the full OPTIONS probe, and print the scan_sip reports and summaries.
# Nothing leaves the namespaces; they are removed at the end, also on Ctrl-C or failure.
#
#   scripts/run.sh              the demo scan
#   scripts/run.sh inspect F    inspect a capture or SIP file instead (no namespaces, no root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ "${1:-}" == inspect ]]; then
	shift
	scripts/bootstrap.sh build
else
	scripts/bootstrap.sh run
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "built: $(build/sipwarden --version)" >&2
if [[ "${1:-}" == inspect || "$#" -gt 0 && "$1" != demo ]]; then
	rc=0
	build/sipwarden inspect "$@" || rc=$?
	exit $((rc <= 1 ? 0 : rc))
fi

SIPWARDEN="$root/build/sipwarden"
work=$(mktemp -d /tmp/sipwarden-demo.XXXXXX)
# shellcheck source=../tests/integration/scan/testbed.sh
source "$root/tests/integration/scan/testbed.sh"
cleanup() {
	set +e # every step of the clean-up must run, whatever the one before returned
	testbed_down
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

testbed_up 4096 "$work/bed" >/dev/null
python3 tests/integration/scan/tbtool.py config --prefix "$TB_PREFIX" --count 24 --silent 4 \
	--seed 1 --avoid 198.18.9.1 --out "$work/map.json" >/dev/null
testbed_start_responder "$work/map.json" 300 >/dev/null
testbed_start_kamailio 198.18.9.1 >/dev/null || echo "(Kamailio did not start: its row will be missing)" >&2

cat >&2 <<TXT

Test bed: targets $TB_PREFIX (4,096 addresses) in namespace $TB_TGT_NS, scanned from
$TB_SCN_NS. 24 addresses answer with test personalities (minimal 400, verbose 200, compact
headers, several packets, malformed, non-SIP), 4 stay silent, 198.18.9.1 runs Kamailio.

=== 1. Shadowserver's probe: the 7 bytes "OPTIONS" (Kamailio ignores it)
TXT
tb_scn "$SIPWARDEN" scan --no-default-exclude -r 20000 --wait 2 -v "$TB_PREFIX"
cat >&2 <<TXT

=== 2. The full OPTIONS probe with a validation token (Kamailio answers it)
TXT
tb_scn "$SIPWARDEN" scan --no-default-exclude -r 20000 --wait 2 --probe options "$TB_PREFIX"

# The shield half: svmap against a local Kamailio, without and with `sipwarden shield`.
testbed_down >/dev/null 2>&1 || true
"$root/scripts/demo-shield.sh" "$SIPWARDEN"
