#!/usr/bin/env bash
# Banned-function check for the C sources (STYLE.md rule 13).
#
#   scripts/check-banned.sh              scan every *.c/*.h under src/ tests/ bench/
#   scripts/check-banned.sh FILE|DIR...  scan the named files, or the *.c/*.h below the named dirs
#   scripts/check-banned.sh --self-test  prove the checker finds a call and ignores the word in
#                                        comments, string and character literals
#
# Prints one line per call, "file:line:function: use ... instead", and exits 1 when there is one
# (0 when clean, 2 on a usage error). Comments and literals are blanked out before matching (line
# breaks kept, so line numbers stay right), so prose such as "unlike strcpy(3)" never trips it.
# A call through a struct member (x.system(...), p->system(...)) is not the libc function and is
# not reported; a declaration or definition of a function with a banned name is.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# The scanner proper: reads the files named on its command line.
scan() {
	python3 - "$@" <<'PY'
import re
import sys

HINTS = {
    "sprintf": "snprintf with the buffer size, and check the result for truncation",
    "vsprintf": "vsnprintf with the buffer size, and check the result for truncation",
    "strcpy": "memcpy with a known length (or snprintf(dst, size, \"%s\", src))",
    "strcat": "keep the length and memcpy at that offset, or a bounded buffer",
    "strncpy": "memcpy with an explicit length and terminator (strncpy pads and may not terminate)",
    "strncat": "keep the length and memcpy at that offset, or a bounded buffer",
    "strtok": "memchr/strcspn over a view (strtok keeps hidden state and writes to its input)",
    "gets": "fgets or getline",
    "atoi": "strtol with errno, end-pointer and range checks",
    "atol": "strtol with errno, end-pointer and range checks",
    "atoll": "strtoll with errno, end-pointer and range checks",
    "atof": "strtod with errno and end-pointer checks",
    "tmpnam": "mkstemp (or mkdtemp): the name can be taken before it is opened",
    "mktemp": "mkstemp (or mkdtemp): the name can be taken before it is opened",
    "alloca": "a fixed-size array with a checked bound, or malloc with a cap",
    "system": "posix_spawn or fork+execve with an argv array (no shell, no quoting bugs)",
}
CALL = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(sorted(HINTS, key=len, reverse=True)) +
                  r")\s*\(")


def blank(text):
    """Replace comments and string/char literal contents with spaces; keep every newline."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            # A line comment runs to a newline not preceded by a backslash.
            j = i + 2
            while j < n and not (text[j] == "\n" and text[j - 1] != "\\"):
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


found = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            code = blank(f.read())
    except OSError as e:
        print(f"check-banned: {path}: {e.strerror}", file=sys.stderr)
        sys.exit(2)
    for lineno, line in enumerate(code.split("\n"), 1):
        for m in CALL.finditer(line):
            before = line[:m.start()].rstrip()
            if before.endswith(".") or before.endswith("->"):
                continue
            name = m.group(1)
            print(f"{path}:{lineno}:{name}: use {HINTS[name]} instead")
            found += 1
sys.exit(1 if found else 0)
PY
}

# Every *.c/*.h that git tracks or would pick up below the given dirs (no build dirs, no ignored
# files); find(1) outside a checkout.
list_sources() {
	if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		local specs=()
		for d in "$@"; do
			specs+=("$d/*.c" "$d/*.h")
		done
		(cd "$root" && git ls-files --cached --others --exclude-standard -- "${specs[@]}") |
			grep -Ev '(^|/)build(-[^/]*)?/' | sort -u | while read -r f; do
			[[ -f "$root/$f" ]] && printf '%s\n' "$f"
		done
	else
		(cd "$root" && find "$@" -type d \( -name build -o -name 'build-*' \) -prune -o \
			-type f \( -name '*.c' -o -name '*.h' \) -print 2>/dev/null | sort)
	fi
}

self_test() {
	local tmp rc=0 out
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	cat >"$tmp/bad.c" <<'C'
#include <string.h>
void f(char *d, const char *s)
{
	strcpy(d, s);
}
C
	cat >"$tmp/good.c" <<'C'
/* strcpy(d, s) would be wrong here; so would sprintf(buf, ...) and system("..."). */
#include <stdio.h>
#include <stdlib.h>
// atoi(s) in a line comment, continued \
   onto the next line: gets(buf)
static const char *msg = "call strcat(a, b) or \"alloca(n)\" here";
static const char q = '(', e = '\'';
struct ops { int (*system)(const char *); };
static int my_atoi(const char *s) { return (int)strtol(s, NULL, 10); }
int g(struct ops *o, char *buf, size_t n)
{
	snprintf(buf, n, "%s strtok( %c%c", msg, q, e);
	return o->system(buf) + my_atoi("1");
}
C
	if out=$(scan "$tmp/bad.c"); then
		echo "self-test FAILED: a strcpy call was not reported" >&2
		rc=1
	elif [[ "$out" != "$tmp/bad.c:4:strcpy: "* ]]; then
		echo "self-test FAILED: unexpected report: $out" >&2
		rc=1
	fi
	if ! out=$(scan "$tmp/good.c"); then
		echo "self-test FAILED: reported names in comments, literals or non-calls:" >&2
		echo "$out" >&2
		rc=1
	fi
	if ((rc == 0)); then
		echo "check-banned self-test: ok"
	fi
	return $rc
}

case "${1:-}" in
--self-test)
	self_test
	exit $?
	;;
-h | --help)
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
	exit 0
	;;
-*)
	echo "check-banned.sh: unknown option '$1'" >&2
	exit 2
	;;
esac

files=()
if (($# == 0)); then
	mapfile -t files < <(list_sources src tests bench)
	cd "$root"
else
	for a in "$@"; do
		if [[ -d "$a" ]]; then
			mapfile -t -O "${#files[@]}" files < <(find "$a" -type d \
				\( -name build -o -name 'build-*' \) -prune -o \
				-type f \( -name '*.c' -o -name '*.h' \) -print | sort)
		else
			files+=("$a")
		fi
	done
fi
if ((${#files[@]} == 0)); then
	echo "check-banned: no sources"
	exit 0
fi
rc=0
scan "${files[@]}" || rc=$?
if ((rc == 0)); then
	echo "check-banned: ${#files[@]} files clean"
fi
exit $rc
