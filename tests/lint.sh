#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# make lint: the checks of STYLE.md that a grep can do.
#   1. no banned libc calls in C sources ("Formatting");
#   2. no C++ "//" comments in C sources ("Formatting");
#   3. at most 80 columns (tabs of 8) in lib/ cmd/ helpers/ sandbox/
#      ("Formatting");
#   4. no trailing white space, no spaces where a tab indents ("Formatting");
#   5. typedef only for function types named *_fn ("Layout and naming");
#   6. an SPDX-License-Identifier line near the top of every source file
#      ("Layout and naming");
#   7. every lib/*.c has its lib/*.h, and so has every cmd/ and helpers/
#      file that does not define main(); every header has its NAME_H guard
#      (TESTS_NAME_H in tests/) ("Headers");
#   8. system headers before local ones, and a file's own header first among
#      the local ones ("Headers");
#   9. no ticket numbers ("issue" and a number) in code or tests
#      ("Comments").
# Prints each finding as file:line: message, and "lint: ok" when clean.
# bash, grep, sed and awk only.

set -u
export LC_ALL=C

cd "$(dirname "$0")/.." || exit 2

C_DIRS="lib cmd helpers sandbox tests"
NOSLASH_DIRS="lib cmd helpers sandbox tests"
WIDTH_DIRS="lib cmd helpers sandbox"
MODULE_DIRS="lib cmd helpers sandbox"
TICKET_PATHS="lib cmd helpers sandbox tests .ci Makefile"
BANNED="sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|atoi|atol|gets"
BANNED="$BANNED|system|popen|alloca"
SPDX="SPDX-License-Identifier: Apache-2.0"
MAX_COLS=80

fail=0

# C sources of the given directories, sorted, existing ones only.
c_files() {
	local d

	for d in "$@"; do
		[ -d "$d" ] || continue
		find "$d" -type f \( -name '*.c' -o -name '*.h' \) -print
	done | sort
}

# Files under the given paths: what git tracks plus new files not ignored;
# everything found when git is absent.
tree_files() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		{
			git ls-files -- "$@"
			git ls-files --others --exclude-standard -- "$@"
		} | sort -u
	else
		find "$@" -path './build*' -prune -o -type f -print 2>/dev/null |
		    sort
	fi
}

#
# One pass over the C files.  The awk program drops comments (block ones
# across lines too) and replaces string and character literals with empty
# ones, so neither "http://" in a string nor a banned name inside a comment
# or a message counts.  What is left is checked for banned calls: the name
# as a whole identifier followed by "(" (snprintf and my_atoi do not match),
# and for typedefs.  In the files listed in noslash, a "//" that opens a
# comment is reported.
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
		if (code ~ /(^|[^A-Za-z0-9_])typedef[ \t]/ &&
		    (code ~ /typedef[ \t]+(struct|union|enum)([^A-Za-z0-9_]|$)/ ||
		    code !~ /[A-Za-z0-9]_fn[ \t]*\(/)) {
			printf "%s:%d: typedef of something other than a " \
			    "function type named *_fn\n", FILENAME, FNR
			bad = 1
		}
	}
	END {
		exit bad ? 1 : 0
	}' "$@"
}

#
# Layout of every C line: trailing white space, spaces in the indentation
# (a run of 8, or a space before a tab), and, in the files under the
# directories of widthdirs, width.  Tabs count to the next multiple of 8;
# UTF-8 continuation bytes count nothing.
#
check_layout() {
	[ $# -gt 0 ] || return 0
	awk -v widthdirs="$WIDTH_DIRS" -v maxcols="$MAX_COLS" '
	BEGIN {
		for (i = 128; i < 192; i++)
			cont = cont sprintf("%c", i)
	}
	FNR == 1 {
		width = 0
		n = split(widthdirs, wd, " ")
		for (i = 1; i <= n; i++)
			if (index(FILENAME, wd[i] "/") == 1)
				width = 1
	}
	/[ \t]$/ {
		printf "%s:%d: trailing white space\n", FILENAME, FNR
		bad = 1
	}
	/^\t*        / || /^[\t ]* \t/ {
		printf "%s:%d: spaces in the indentation; indent with tabs\n",
		    FILENAME, FNR
		bad = 1
	}
	width {
		col = 0
		len = length($0)
		for (i = 1; i <= len; i++) {
			c = substr($0, i, 1)
			if (c == "\t")
				col += 8 - col % 8
			else if (index(cont, c) == 0)
				col++
		}
		if (col <= maxcols)
			next
		printf "%s:%d: %d columns, over %d\n", FILENAME, FNR, col,
		    maxcols
		bad = 1
	}
	END {
		exit bad ? 1 : 0
	}' "$@"
}

# Files that must carry the SPDX line.
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

#
# Module headers.  A header's guard is its name in capitals with _H
# (TESTS_ before it in tests/): the first two directives are #ifndef and
# #define of it, and the last line is "#endif /* GUARD */".
#
check_headers() {
	local f dir base guard

	for f in $(c_files $MODULE_DIRS tests); do
		dir=${f%/*}
		base=${f##*/}
		base=${base%.?}
		case $f in
		*.h)
			guard=$(echo "${base}_H" | tr 'a-z' 'A-Z' |
			    tr -c 'A-Z0-9_\n' '_')
			[ "$dir" = tests ] && guard="TESTS_$guard"
			awk -v g="$guard" '
			/^[ \t]*#/ && ndir < 2 {
				ndir++
				want = (ndir == 1 ? "#ifndef " : "#define ") g
				if ($0 != want) {
					printf "%s:%d: \"%s\" expected " \
					    "(include guard)\n", FILENAME, FNR,
					    want
					bad = 1
				}
			}
			NF { last = $0; lastno = FNR }
			END {
				if (last != "#endif /* " g " */") {
					printf "%s:%d: \"#endif /* %s */\" " \
					    "expected as the last line\n",
					    FILENAME, lastno, g
					bad = 1
				}
				exit bad ? 1 : 0
			}' "$f" || fail=1
			;;
		lib/*.c)
			if [ ! -f "$dir/$base.h" ]; then
				echo "$f:1: no $dir/$base.h; every lib module" \
				    "has a header"
				fail=1
			fi
			;;
		cmd/*.c|helpers/*.c)
			if [ ! -f "$dir/$base.h" ] &&
			    ! grep -q '^main(' "$f"; then
				echo "$f:1: no $dir/$base.h; only a file" \
				    "that defines main() goes without"
				fail=1
			fi
			;;
		esac
	done
}

#
# Include order: system headers, then the file's own header (a .c with a
# header of the same name beside it), then the other local ones.
#
check_includes() {
	local f own

	for f in $(c_files $MODULE_DIRS); do
		own=
		case $f in
		*.c)
			[ -f "${f%.c}.h" ] && own=${f##*/} && own=${own%.c}.h
			;;
		esac
		awk -v own="$own" '
		/^#include "/ && !nlocal++ && own != "" &&
		    $0 !~ "^#include \"" own "\"" {
			printf "%s:%d: first local include is not %s\n",
			    FILENAME, FNR, own
			bad = 1
		}
		/^#include </ && nlocal {
			printf "%s:%d: system header after a local one\n",
			    FILENAME, FNR
			bad = 1
		}
		END {
			exit bad ? 1 : 0
		}' "$f" || fail=1
	done
}

# Code and tests say what they do, not which ticket asked for it.
check_tickets() {
	local f

	while IFS= read -r f; do
		case $f in
		tests/fixtures/*)	continue ;;	# captured data
		esac
		[ -f "$f" ] || continue
		grep -HnIiE '\<issues?[[:space:]#-]*[0-9]' -- "$f" |
		    sed 's/^\([^:]*:[0-9]*\):.*/\1: ticket number; say what the code does and why instead/'
	done < <(tree_files $TICKET_PATHS) | grep . && fail=1
}

mapfile -t all_c < <(c_files $C_DIRS)
check_c "$NOSLASH_DIRS" "${all_c[@]}" || fail=1
check_layout "${all_c[@]}" || fail=1
check_spdx
check_headers
check_includes
check_tickets

if [ "$fail" -ne 0 ]; then
	echo "lint: FAILED" >&2
	exit 1
fi
echo "lint: ok"
