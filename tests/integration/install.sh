#!/usr/bin/env bash
# install.sh PATH_TO_SIPWARDEN
#
# `cmake --install` of the build that made PATH_TO_SIPWARDEN, into a scratch DESTDIR: the
# binary, the man page, the shipped configs, /etc's shield.conf (kept on a second install, as an
# operator's edited copy must be) and the systemd unit, which systemd-analyze verify accepts
# and whose capability bounding set holds what the daemon keeps after dropping privileges
# (src/shield/privdrop.h). Nothing is installed outside the scratch directory.
# Exit: 0 pass, 1 fail, 77 skip (cmake missing).
set -u
log() { printf '[install] %s\n' "$*"; }
die() {
	log "FAIL: $*"
	exit 1
}
[ $# -eq 1 ] || die "usage: $0 PATH_TO_SIPWARDEN"
build=$(cd "$(dirname "$1")" && pwd)
[ -f "$build/CMakeCache.txt" ] || die "$build is not a CMake build directory"
command -v cmake >/dev/null || {
	log "SKIP: cmake is not installed"
	exit 77
}
dest=$(mktemp -d /tmp/sw-install.XXXXXX) || die mktemp
trap 'rm -rf "$dest"' EXIT
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
DESTDIR=$dest cmake --install "$build" >"$dest.log" 2>&1 || die "cmake --install: $(tail -3 "$dest.log")"
root=$dest$prefix
etc=$(find "$dest" -path '*/sipwarden/shield.conf' -not -path '*/share/*' | head -n 1)
unit=$root/lib/systemd/system/sipwarden-shield.service
for f in "$root/bin/sipwarden" "$root/share/sipwarden/fingerprints.rules" \
	"$root/share/sipwarden/shield.conf" "$unit" "$etc"; do
	[ -s "$f" ] || die "not installed: ${f#"$dest"}"
done
[ -x "$root/bin/sipwarden" ] || die "the installed binary is not executable"
"$root/bin/sipwarden" --version >/dev/null || die "the installed binary does not run"
if command -v scdoc >/dev/null; then
	[ -s "$root/share/man/man1/sipwarden.1" ] || die "man page not installed"
fi
log "installed under ${prefix}: binary, man page, configs, unit"

echo "# edited by the operator" >>"$etc"
DESTDIR=$dest cmake --install "$build" >"$dest.log" 2>&1 || die "second cmake --install failed"
grep -q "edited by the operator" "$etc" || die "a second install overwrote the operator's shield.conf"
grep -q "Keeping: " "$dest.log" || die "the second install did not say it kept shield.conf"
rm -f "$dest.log"
log "a second install keeps the operator's shield.conf"

# The unit's commands name the installed paths; its bounds hold what privdrop keeps.
grep -q "^ExecStart=$prefix/bin/sipwarden shield --config " "$unit" || die "ExecStart: $(grep ExecStart= "$unit")"
grep -q "^ExecStopPost=$prefix/bin/sipwarden shield --cleanup" "$unit" || die "no --cleanup on stop"
bounds=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
for cap in CAP_NET_ADMIN CAP_NET_RAW CAP_BPF; do
	[[ " $bounds " == *" $cap "* ]] || die "CapabilityBoundingSet lacks $cap"
done
grep -q '^NoNewPrivileges=yes' "$unit" || die "NoNewPrivileges is not set"
if command -v systemd-analyze >/dev/null; then
	# Only complaints about files that exist under DESTDIR but not on this host may remain.
	out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$unit" 2>&1 |
		grep -v -e 'is not executable: No such file' -e "Command 'man sipwarden(1)' failed")
	[ -z "$out" ] || die "systemd-analyze verify: $out"
	log "systemd-analyze verify accepts the unit"
else
	log "systemd-analyze not found: unit syntax not verified"
fi
log "PASS"
