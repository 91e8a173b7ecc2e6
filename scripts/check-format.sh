#!/usr/bin/env bash
# Check (or fix) the C formatting against .clang-format.
#
#   scripts/check-format.sh                  list every *.c/*.h under src/ tests/ bench/ that
#                                            clang-format would change; exit 1 if there is one
#   scripts/check-format.sh --fix            rewrite those files in place
#   scripts/check-format.sh [--fix] FILE...  the same, for the named files only
#
# The file set is what git knows or would pick up: tracked files plus untracked files that are not
# ignored (so build directories and fuzz corpora never count). Outside a git checkout, find(1) is
# used instead, skipping build/ and build-*/ directories. CLANG_FORMAT overrides the binary
# (default: clang-format-14 when present, as on Debian 12, else clang-format).
#
# Exit status: 0 all formatted (or fixed), 1 some file differs, 2 usage or tool error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fix=0
files=()
for arg in "$@"; do
	case "$arg" in
	--fix) fix=1 ;;
	-h | --help)
		awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
		exit 0
		;;
	-*)
		echo "check-format.sh: unknown option '$arg'" >&2
		exit 2
		;;
	*) files+=("$arg") ;;
	esac
done

cf=${CLANG_FORMAT:-}
if [[ -z "$cf" ]]; then
	if command -v clang-format-14 >/dev/null; then
		cf=clang-format-14
	else
		cf=clang-format
	fi
fi
if ! command -v "$cf" >/dev/null; then
	echo "check-format.sh: $cf not found (scripts/bootstrap.sh test installs it)" >&2
	exit 2
fi
# A broken .clang-format would make every file "differ"; say so once instead.
if ! "$cf" --assume-filename="$root/src/x.c" --dump-config </dev/null >/dev/null; then
	echo "check-format.sh: $cf cannot read $root/.clang-format" >&2
	exit 2
fi

if ((${#files[@]} == 0)); then
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Pathspecs without magic let '*' cross '/', so src/*.c means every .c below src/.
		mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
			'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'bench/*.c' 'bench/*.h' |
			grep -Ev '(^|/)build(-[^/]*)?/' | sort -u)
	else
		mapfile -t files < <(find src tests bench -type d \( -name build -o -name 'build-*' \) -prune -o \
			-type f \( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | sort)
	fi
fi

bad=()
for f in "${files[@]}"; do
	# A tracked file deleted in the work tree is not ours to judge.
	[[ -f "$f" ]] || continue
	if ! "$cf" --dry-run --Werror "$f" >/dev/null 2>&1; then
		bad+=("$f")
	fi
done

if ((${#bad[@]} == 0)); then
	echo "check-format: ${#files[@]} files formatted"
	exit 0
fi
if ((fix)); then
	for f in "${bad[@]}"; do
		"$cf" -i "$f"
		echo "formatted: $f"
	done
	exit 0
fi
for f in "${bad[@]}"; do
	echo "$f"
done
echo "check-format: ${#bad[@]} of ${#files[@]} files need formatting;" \
	"see '$cf --dry-run FILE', fix with scripts/check-format.sh --fix [FILE...]" >&2
exit 1
