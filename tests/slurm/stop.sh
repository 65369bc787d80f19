#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/slurm/stop.sh DIR: stops what tests/slurm/start.sh DIR started.
# Cancels the jobs (while the daemons run), stops slurmd and slurmctld,
# then job steps left behind (slurmstepd started from DIR/log or holding
# DIR/log/slurmd.log open, and processes whose working directory is
# DIR/jobs), then munged.  Daemons are found through DIR/run/daemons
# (written by start.sh) or their pid files in DIR; a pid is signalled only
# if its command name matches.  Waits until all are gone.  Removes nothing;
# the caller deletes DIR.  Safe on a half-started fixture and when run
# twice.  Exits non-zero if something could not be stopped.

set -euo pipefail
export LC_ALL=C

if (($# != 1)) || [[ -z $1 ]]; then
	printf 'usage: %s DIR\n' "$0" >&2
	exit 2
fi
[[ -d $1 ]] || { printf 'slurm fixture: no directory %s\n' "$1" >&2; exit 1; }
dir=$(cd -- "$1" && pwd -P)
[[ $dir != / ]] || { printf 'slurm fixture: DIR must not be /\n' >&2; exit 2; }

failed=0

# Prints the pid of daemon $1 if it is alive: start.sh records "NAME PID"
# lines in DIR/run/daemons; the daemon's own pid file ($2) is the fallback.
# A pid counts only if its command name is still NAME.
pid_of() {
	local name pid f=$dir/run/daemons
	for pid in $({ [[ -r $f ]] && awk -v n="$1" '$1 == n { print $2 }' "$f"
	    [[ -r $2 ]] && cat "$2"; } 2>/dev/null); do
		[[ $pid =~ ^[0-9]+$ ]] || continue
		[[ $(living "$pid") == "$pid" ]] || continue
		name=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		[[ $name == "$1" ]] || continue
		printf '%s\n' "$pid"
		return 0
	done
	return 1
}

# Prints field $2 (3 is the state, 4 the parent pid) of /proc/$1/stat.
stat_field() {
	local st f
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -r -a f <<<"${st##*) }"
	[[ -n ${f[$2 - 3]:-} ]] || return 1
	printf '%s\n' "${f[$2 - 3]}"
}

# Prints those of the pids given that still exist (zombies count as gone).
living() {
	local p st
	for p in "$@"; do
		st=$(stat_field "$p" 3) || continue
		[[ $st == Z ]] || printf '%s\n' "$p"
	done
}

# Sends signal $1 (TERM or KILL) to the pids that follow and waits up to
# 10 s for them to end; after TERM, KILLs survivors and waits 5 s more.
# The caller checks the pids' names before.
stop_pids() {
	local end sig wait alive sigs=(TERM KILL)
	[[ $1 == KILL ]] && sigs=(KILL)
	shift
	(($#)) || return 0
	for sig in "${sigs[@]}"; do
		wait=10
		[[ $sig == KILL && ${sigs[0]} == TERM ]] && wait=5
		kill "-$sig" -- "$@" 2>/dev/null || true
		end=$((SECONDS + wait))
		while :; do
			mapfile -t alive < <(living "$@")
			((${#alive[@]})) || return 0
			((SECONDS < end)) || break
			sleep 0.1
		done
		set -- "${alive[@]}"
	done
	printf 'slurm fixture: could not stop pids %s\n' "$*" >&2
	failed=1
}

# Pids of this fixture's job processes: slurmstepd whose working directory
# is in DIR (start.sh starts slurmd in DIR/log and the steps inherit it) or
# that holds DIR/log/slurmd.log open, and anything whose working directory
# is DIR/jobs (the jobs' --chdir).  Never this script or its ancestors.
# $1: "stepd" or "jobs".
job_pids() {
	local d p cwd comm fd skip=" $$ " q=$$
	while [[ $q =~ ^[0-9]+$ ]] && ((q > 1)); do
		q=$(stat_field "$q" 4) || break
		skip+="$q "
	done
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[[ $skip == *" $p "* ]] && continue
		cwd=$(readlink "$d/cwd" 2>/dev/null) || continue
		cwd=${cwd% (deleted)}
		comm=$(cat "$d/comm" 2>/dev/null) || continue
		if [[ $1 == jobs ]]; then
			[[ $cwd == "$dir/jobs" || $cwd == "$dir/jobs/"* ]] &&
			    printf '%s\n' "$p"
			continue
		fi
		[[ $comm == slurmstepd ]] || continue
		if [[ $cwd == "$dir" || $cwd == "$dir/"* ]]; then
			printf '%s\n' "$p"
			continue
		fi
		for fd in "$d"/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == \
			    "$dir/log/slurmd.log"* ]] || continue
			printf '%s\n' "$p"
			break
		done
	done
}

ctld=$(pid_of slurmctld "$dir/run/slurmctld.pid") || ctld=
slurmd=$(pid_of slurmd "$dir/run/slurmd.pid") || slurmd=
munged=$(pid_of munged "$dir/munge/munged.pid") || munged=

# Cancel the jobs while the daemons still run, so that slurmd ends them.
if [[ -n $ctld && -n $slurmd && -n $munged && -r $dir/slurm.conf ]]; then
	export SLURM_CONF=$dir/slurm.conf
	if scancel --partition=debug >/dev/null 2>&1; then
		end=$((SECONDS + 15))
		while ((SECONDS < end)); do
			out=$(squeue -ah -o '%A' 2>/dev/null) || break
			[[ -z $out ]] && break
			sleep 0.2
		done
	fi
fi

for p in "$slurmd" "$ctld"; do
	if [[ -n $p ]]; then
		stop_pids TERM "$p"
	fi
done

# Job steps left behind (their slurmd or slurmctld was gone): slurmstepd
# ignores TERM, and its job's processes are ours too.
mapfile -t left < <(job_pids stepd)
stop_pids KILL "${left[@]}"
mapfile -t left < <(job_pids jobs)
stop_pids TERM "${left[@]}"

if [[ -n $munged ]]; then
	stop_pids TERM "$munged"
fi

mapfile -t left < <(job_pids stepd; job_pids jobs)
if ((${#left[@]})); then
	printf 'slurm fixture: job processes left: %s\n' "${left[*]}" >&2
	failed=1
fi
exit "$failed"
