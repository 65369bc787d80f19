#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `make check-reproducible`: the tracked files built twice, in two
# directories of different names and depths, give byte-identical programs
# and man page, with no trace of either directory in them; and the build
# date is SOURCE_DATE_EPOCH's when it is set, not the clock's.

set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
	printf 'check-reproducible: FAIL: %s\n' "$*" >&2
	exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
one="$work/a"
two="$work/elsewhere/with/a/longer/name"
mkdir -p "$one" "$two"
for d in "$one" "$two"; do
	git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$d"
	(cd "$d" && make -j2 all >"$d.log" 2>&1) ||
	    { tail -20 "$d.log" >&2; fail "the build in $d"; }
done
files="prometheus-cluster-exporter helpers/slurm helpers/accounts
    helpers/promql prometheus-cluster-exporter.1"
for f in $files; do
	cmp -s "$one/build/$f" "$two/build/$f" ||
	    fail "build/$f differs between $one and $two"
	! grep -qaF -e "$one" -e "$two" -e "$work" "$one/build/$f" ||
	    fail "build/$f holds the directory it was built in"
done
echo "check-reproducible: $(echo $files | wc -w) files byte-identical" \
    "from two directories"

# SOURCE_DATE_EPOCH decides the date, in -version and the man page.
epoch=1700000000
(cd "$one" && SOURCE_DATE_EPOCH=$epoch \
    make -j2 all >"$one.log" 2>&1) || { tail -20 "$one.log" >&2;
    fail "the build with SOURCE_DATE_EPOCH"; }
date=$("$one/build/prometheus-cluster-exporter" -version |
    sed -n 's/^  build date: *//p')
[[ $date == 20231114-22:13:20 ]] ||
    fail "-version says build date '$date' with SOURCE_DATE_EPOCH=$epoch"
grep -q '^\.TH .* "2023-11-14"' "$one/build/prometheus-cluster-exporter.1" ||
    fail "the man page's date is not SOURCE_DATE_EPOCH's"
echo "check-reproducible: SOURCE_DATE_EPOCH=$epoch gives build date $date"
