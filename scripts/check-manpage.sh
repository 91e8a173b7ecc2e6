#!/usr/bin/env bash
# Check that the man page documents what the binary offers, and that it builds.
#
#   scripts/check-manpage.sh BINARY [PAGE]      (PAGE defaults to doc/sipwarden.1.scd)
#
# - Builds PAGE with scdoc(1); a syntax error is a failure.
# - Reads the commands from "BINARY help": the lines "  NAME  description" under the
#   "Commands:" heading, up to the next empty line.
# - For every command but "help" (whose text is "BINARY help" itself): "BINARY NAME --help" must
#   exit 0, PAGE must have a "## NAME" section, and every long option (--xxx) the help prints
#   must appear in PAGE. The long options in "BINARY help" itself (--version, ...) must appear too.
# - The other way round, every long option PAGE mentions outside literal blocks and outside the
#   FUTURE COMMANDS section must be printed by some help text, so removed options leave no trace.
#
# Prints each problem on one line and exits 1 if there is one; 0 when all is documented; 2 on a
# usage error or when scdoc is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if (($# < 1 || $# > 2)) || [[ "$1" == -h || "$1" == --help ]]; then
	echo "usage: scripts/check-manpage.sh BINARY [PAGE]" >&2
	exit 2
fi
bin=$1
page=${2:-$root/doc/sipwarden.1.scd}
if [[ ! -x "$bin" ]]; then
	echo "check-manpage: $bin is not an executable" >&2
	exit 2
fi
if [[ ! -r "$page" ]]; then
	echo "check-manpage: cannot read $page" >&2
	exit 2
fi
if ! command -v scdoc >/dev/null; then
	echo "check-manpage: scdoc not found (scripts/bootstrap.sh build installs it)" >&2
	exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
problems=0
problem() {
	echo "$*"
	problems=$((problems + 1))
}

# 1. The page builds.
if ! scdoc <"$page" >"$tmp/page.1" 2>"$tmp/scdoc.err"; then
	problem "$page: scdoc fails: $(head -n 3 "$tmp/scdoc.err" | tr '\n' ' ')"
fi

# Long options as words: "--name" not followed or preceded by more name characters.
long_opts() {
	grep -oE -- '(^|[^A-Za-z0-9_-])--[A-Za-z0-9][A-Za-z0-9-]*' | sed -E 's/^[^-]*//' | sort -u
}
# The page text with literal blocks and the FUTURE COMMANDS section left out.
documented_text() {
	awk '
		/^```/ { lit = !lit; next }
		lit { next }
		/^# / { future = ($0 ~ /^# FUTURE COMMANDS/) }
		!future { print }
	' "$page"
}
in_page() {
	grep -qE -- "(^|[^A-Za-z0-9_-])$1([^A-Za-z0-9_-]|\$)" "$page"
}

# 2. Commands and their options.
if ! "$bin" help >"$tmp/help" 2>&1; then
	problem "'$bin help' exits $?"
fi
mapfile -t cmds < <(awk '
	/^Commands:[[:space:]]*$/ { on = 1; next }
	on && /^[[:space:]]*$/ { exit }
	on && match($0, /^  [A-Za-z0-9][A-Za-z0-9_-]*[[:space:]]/) {
		name = substr($0, 3, RLENGTH - 3); print name
	}
' "$tmp/help")
if ((${#cmds[@]} == 0)); then
	problem "'$bin help' lists no commands under a 'Commands:' heading"
fi

cp "$tmp/help" "$tmp/all-help"
for o in $(long_opts <"$tmp/help"); do
	in_page "$o" || problem "$page: option $o (from '$bin help') is not documented"
done
for c in "${cmds[@]}"; do
	[[ "$c" == help ]] && continue
	grep -qE "^## ${c}[[:space:]]*\$" "$page" || problem "$page: no '## $c' section for command $c"
	rc=0
	"$bin" "$c" --help >"$tmp/help.$c" 2>&1 || rc=$?
	if ((rc != 0)); then
		problem "'$bin $c --help' exits $rc"
		continue
	fi
	cat "$tmp/help.$c" >>"$tmp/all-help"
	for o in $(long_opts <"$tmp/help.$c"); do
		in_page "$o" || problem "$page: option $o of '$c' is not documented"
	done
done

# 3. Nothing documented that the binary no longer has.
long_opts <"$tmp/all-help" >"$tmp/known"
for o in $(documented_text | long_opts); do
	grep -qxF -- "$o" "$tmp/known" ||
		problem "$page: documents $o, which no help text of '$bin' prints"
done

if ((problems)); then
	echo "check-manpage: $problems problem(s)" >&2
	exit 1
fi
echo "check-manpage: ${#cmds[@]} commands, $(wc -l <"$tmp/known") long options, page builds"
