#!/usr/bin/env bash
# The README's main command: install the build packages (only the missing ones), build
# build/sipwarden, and inspect a capture of real SIP tools (SIPVicious, sipsak, nmap, SIPp)
# talking to a real Kamailio, made by tests/integration/real_tools.sh.
#   scripts/run.sh [FILE...]    inspect FILE(s) instead of the shipped capture
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/bootstrap.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "built: $(build/sipwarden --version)" >&2
if (($# == 0)); then
	set -- tests/data/captures/real_tools.pcap
fi
# Exit status 1 means some message did not parse: that is a finding, not a failure to run.
rc=0
build/sipwarden inspect "$@" || rc=$?
((rc <= 1))
