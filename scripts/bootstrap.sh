#!/usr/bin/env bash
# Install the Debian packages sipwarden needs, and only those still missing.
#
#   scripts/bootstrap.sh build        packages to build (deps/build.txt)
#   scripts/bootstrap.sh run          build + what the main job's test bed needs (deps/run.txt)
#   scripts/bootstrap.sh test         build + run + everything the tests and benchmarks use
#
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
lists=(build)
case "${1:-build}" in
build) ;;
run) lists+=(run) ;;
test) lists+=(run test) ;;
*)
	echo "bootstrap.sh: unknown package set '$1' (expected build, run or test)" >&2
	exit 2
	;;
esac

wanted=()
for l in "${lists[@]}"; do
	while read -r pkg _; do
		[[ -z "$pkg" || "$pkg" == \#* ]] && continue
		wanted+=("$pkg")
	done <"$here/deps/$l.txt"
done

missing=()
for pkg in "${wanted[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[[ "$st" == installed ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
	echo "bootstrap: all ${#wanted[@]} packages present"
	exit 0
fi
if ((EUID != 0)); then
	echo "bootstrap: missing packages: ${missing[*]}; run as root (or: sudo $0 ${1:-build})" >&2
	exit 1
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
# Kamailio ships a service that would take UDP 5060; the tests start their own instances, so
# keep package scripts from starting services (only when the admin has no policy of their own).
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bootstrap: done"
