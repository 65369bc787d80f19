#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make lint: the house-style checks that a grep can do.
#   1. no banned libc calls in C sources (STYLE.md "Formatting");
#   2. an SPDX-License-Identifier line near the top of every source file;
#   3. no C++ "//" comments in lib/ cmd/ helpers/ sandbox/.
# Prints each finding as file:line: message, and "lint: ok" when clean.
# bash, grep, sed and awk only.

set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 2

C_DIRS="lib cmd helpers sandbox tests"
NOSLASH_DIRS="lib cmd helpers sandbox"
BANNED="sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|atoi|atol|gets"
BANNED="$BANNED|system|popen|alloca"
SPDX="SPDX-License-Identifier: Apache-2.0"

fail=0

# C sources of the given directories, sorted, existing ones only.
c_files() {
	local d

	for d in "$@"; do
		[ -d "$d" ] || continue
		find "$d" -type f \( -name '*.c' -o -name '*.h' \) -print
	done | sort
}

#
# One pass over the C files.  The awk program drops comments (block ones
# across lines too) and replaces string and character literals with empty
# ones, so neither "http://" in a string nor a banned name inside a comment
# or a message counts.  What is left is checked for banned calls: the name
# as a whole identifier followed by "(" (snprintf and my_atoi do not match).
# In the files listed in noslash, a "//" that opens a comment is reported.
#
check_c() {
	local noslash="$1"

	shift
	[ $# -gt 0 ] || return 0
	awk -v banned="$BANNED" -v noslash="$noslash" '
	FNR == 1 {
		incomment = 0
		slashok = 1
		n = split(noslash, nd, " ")
		for (i = 1; i <= n; i++)
			if (index(FILENAME, nd[i] "/") == 1)
				slashok = 0
	}
	{
		line = $0
		len = length(line)
		code = ""
		slash = 0
		i = 1
		while (i <= len) {
			c = substr(line, i, 1)
			two = substr(line, i, 2)
			if (incomment) {
				if (two == "*/") {
					incomment = 0
					code = code " "
					i += 2
				} else
					i++
				continue
			}
			if (two == "/*") {
				incomment = 1
				i += 2
				continue
			}
			if (two == "//") {
				slash = 1
				break
			}
			if (c == "\"" || c == "\047") {
				q = c
				for (i++; i <= len; i++) {
					c = substr(line, i, 1)
					if (c == "\\")
						i++
					else if (c == q)
						break
				}
				code = code q q
				i++
				continue
			}
			code = code c
			i++
		}
		if (slash && !slashok) {
			printf "%s:%d: C++ comment; use /* */\n", FILENAME, FNR
			bad = 1
		}
		rest = code
		re = "(^|[^A-Za-z0-9_])(" banned ")[ \t]*\\("
		while (match(rest, re)) {
			hit = substr(rest, RSTART, RLENGTH)
			sub(/^[^A-Za-z_]/, "", hit)
			sub(/[ \t]*\($/, "", hit)
			printf "%s:%d: banned function %s()\n", FILENAME, FNR,
			    hit
			bad = 1
			rest = substr(rest, RSTART + RLENGTH)
		}
	}
	END {
		exit bad ? 1 : 0
	}' "$@"
}

# Files that must carry the SPDX line: what git tracks, plus new files not
# yet added under the source directories; all files when git is absent.
spdx_candidates() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		{
			git ls-files
			git ls-files --others --exclude-standard -- \
			    $C_DIRS .ci
		} | sort -u
	else
		find . -path ./.git -prune -o -path './build*' -prune -o \
		    -type f -print | sed 's|^\./||' | sort
	fi | grep -E '(\.(c|h|sh|py)|(^|/)Makefile|^\.ci/.*)$'
}

check_spdx() {
	local f

	while IFS= read -r f; do
		[ -f "$f" ] || continue		# deleted but still tracked
		if ! head -n 3 -- "$f" | grep -qF "$SPDX"; then
			echo "$f:1: no '$SPDX' in the first 3 lines"
			fail=1
		fi
	done < <(spdx_candidates)
}

mapfile -t all_c < <(c_files $C_DIRS)
check_c "$NOSLASH_DIRS" "${all_c[@]}" || fail=1
check_spdx

if [ "$fail" -ne 0 ]; then
	echo "lint: FAILED" >&2
	exit 1
fi
echo "lint: ok"
