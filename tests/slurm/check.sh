#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/slurm/check.sh: smoke test of the local Slurm fixture.  Starts it in
# a temporary directory, runs `squeue -ah -o '%A|%a|%u'` as root and as
# nobody (with a clean environment, as the exporter's helper does), compares
# both with DIR/jobs.txt, stops the fixture and removes the directory.
# Prints "slurm fixture: ok" and exits 0 only if everything matched.
# Must run as root; exits 77 (skipped) otherwise.

set -euo pipefail
export LC_ALL=C

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
tmp=
fail=0

if ((EUID != 0)); then
	printf 'slurm fixture: skipped (needs root)\n' >&2
	exit 77
fi

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $tmp && -d $tmp ]]; then
		"$here/stop.sh" "$tmp" || rc=1
		rm -rf -- "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bad() {
	printf 'slurm fixture: FAIL: %s\n' "$*" >&2
	fail=1
}

# Compares the output of squeue run by "$@" (a command prefix) with
# jobs.txt; $1 names the case.
compare() {
	local what=$1 out
	shift
	if ! out=$("$@" squeue -ah -o '%A|%a|%u' 2>"$tmp/squeue.err"); then
		bad "squeue as $what failed: $(cat "$tmp/squeue.err")"
		return
	fi
	if [[ -s $tmp/squeue.err ]]; then
		bad "squeue as $what wrote to stderr: $(cat "$tmp/squeue.err")"
	fi
	if ! diff -u "$tmp/jobs.txt" <(printf '%s\n' "$out" | sort) >&2; then
		bad "squeue as $what differs from jobs.txt"
	fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pce-slurm.XXXXXX")
t0=$SECONDS
"$here/start.sh" "$tmp"
printf 'slurm fixture: start.sh took %ss\n' "$((SECONDS - t0))" >&2

conf=$tmp/slurm.conf
[[ -s $tmp/jobs.txt ]] || bad 'jobs.txt is empty'
grep -qx "export SLURM_CONF=$conf" "$tmp/env" || bad "env lacks SLURM_CONF"

compare root env -i PATH=/usr/bin:/bin LC_ALL=C SLURM_CONF="$conf"
compare nobody runuser -u nobody -- env -i PATH=/usr/bin:/bin LC_ALL=C \
    SLURM_CONF="$conf"
# The same, from the environment file as a test would use it.
# shellcheck disable=SC2016 # expanded by the inner shell
compare "root (DIR/env)" env -i PATH=/usr/bin:/bin LC_ALL=C \
    bash -c '. "$1" && exec "${@:2}"' _ "$tmp/env"

# Expected contents: 3 jobs of root in acc_a, 2 of nobody in acc_b, 1 of
# daemon without account, 2 array elements of root in acc_c.
for pat in '|acc_a|root:3' '|acc_b|nobody:2' '|(null)|daemon:1' \
    '|acc_c|root:2'; do
	n=$(grep -cF -- "${pat%:*}" "$tmp/jobs.txt") || true
	[[ $n == "${pat##*:}" ]] || bad "expected ${pat##*:} lines with ${pat%:*}, got $n"
done

pids=()
for f in munge/munged.pid run/slurmctld.pid run/slurmd.pid; do
	[[ -s $tmp/$f ]] && pids+=("$(<"$tmp/$f")")
done
"$here/stop.sh" "$tmp" || bad 'stop.sh failed'
for p in "${pids[@]}"; do
	st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
	st=${st##*) }
	[[ ${st%% *} == Z ]] || bad "pid $p still running after stop.sh"
done
rm -rf -- "$tmp"
tmp=

if ((fail)); then
	exit 1
fi
printf 'slurm fixture: ok\n'
