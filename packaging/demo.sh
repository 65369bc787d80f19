#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `make demo`: a self-contained local demo.  Starts a fake upstream
# Prometheus (tests/fake_upstream.py) serving packaging/demo/*.json, writes
# stand-in `squeue` and `getent` commands that answer from
# packaging/demo/*.txt, and runs the exporter in the foreground on :9846.
# Ctrl-C (or SIGTERM) stops everything it started and removes its temporary
# directory.  It touches nothing else: no slurm.conf, no users, no service.
#
# Environment: PCE_BUILD, the build tree relative to the top (default build).

# shellcheck disable=SC2317 # cleanup and on_signal are called from traps
set -euo pipefail

PORT=9846
top=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=$top/${PCE_BUILD:-build}
exporter=$build/prometheus-cluster-exporter
data=$top/packaging/demo
fake=$top/tests/fake_upstream.py

tmp=
up_pid=
exp_pid=

die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

# 0 if something listens on TCP port $1 (any address, IPv4 or IPv6): a
# line of /proc/net/tcp{,6} whose local port is $1 and state 0A (LISTEN).
# Read whole and matched at once: bash's `read` takes a byte per system
# call there, and every small read of these files walks the socket table.
listening() {
	local hex f data
	hex=$(printf '%04X' "$1")
	for f in /proc/net/tcp /proc/net/tcp6; do
		[[ -r $f ]] || continue
		data=$(<"$f")
		[[ $data =~ :$hex\ [0-9A-F]+:[0-9A-F]{4}\ 0A\  ]] && return 0
	done
	return 1
}

# 0 while $1 runs (a zombie, exited but not yet reaped, does not count).
alive() {
	local s
	[[ -r /proc/$1/stat ]] || return 1
	read -r s <"/proc/$1/stat" 2>/dev/null || return 1
	s=${s##*) }
	[[ ${s%% *} != Z ]]
}

# SIGTERM, up to 5 s of grace, then SIGKILL; reaps the child.
stop() {
	local pid=$1 i
	[[ -n $pid ]] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		printf 'demo: pid %s ignored SIGTERM; killing it\n' "$pid" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	trap '' INT TERM HUP
	stop "$exp_pid"
	exp_pid=
	stop "$up_pid"
	up_pid=
	if [[ -n $tmp ]]; then
		rm -rf -- "$tmp"
	fi
	tmp=
}
on_signal() {
	cleanup
	exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

for f in "$exporter" "$build"/helpers/{slurm,accounts,promql}; do
	[[ -x $f ]] || die "$f is missing: run 'make' (or 'make demo') first"
done
[[ -r $fake ]] || die "$fake is missing"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
for f in metadata.json read.json write.json squeue.txt passwd.txt group.txt; do
	[[ -r $data/$f ]] || die "$data/$f is missing"
done
if listening "$PORT"; then
	die "something already listens on port $PORT; stop it first (the demo leaves it alone)"
fi

# Under /tmp, not $TMPDIR, and mode 0755: started as root, the exporter runs
# its helpers, and so the stand-ins, as an unprivileged user who must be able
# to reach them.
tmp=$(mktemp -d /tmp/pce-demo.XXXXXX)
chmod 0755 "$tmp"
mkdir -m 0755 "$tmp/upstream" "$tmp/data" "$tmp/bin"
cp -- "$data"/metadata.json "$data"/read.json "$data"/write.json "$tmp/upstream/"
cp -- "$data"/squeue.txt "$data"/passwd.txt "$data"/group.txt "$tmp/data/"
chmod 0644 "$tmp"/upstream/* "$tmp"/data/*

# The exporter runs commands with PATH=/usr/bin:/bin and nothing else in
# the environment, so the data paths are written into the scripts.  They are
# POSIX sh (dash) using builtins only, so they fork nothing: they run under
# the helpers' seccomp filters, which bind whatever the command executes.
shq() {
	local q=\'
	printf "'%s'" "${1//$q/$q\\$q$q}"
}
{
	printf '#!/bin/sh\n'
	printf '# Demo stand-in for squeue -ah -o %%A|%%a|%%u: prints the\n'
	printf '# demo queue, jobid|account|user, whatever the arguments.\n'
	printf 'data=%s\n' "$(shq "$tmp/data/squeue.txt")"
	cat <<'EOS'
while IFS= read -r line || [ -n "$line" ]; do
	case $line in '' | '#'*) continue ;; esac
	printf '%s\n' "$line"
done <"$data"
EOS
} >"$tmp/bin/squeue"
{
	printf '#!/bin/sh\n'
	printf '# Demo stand-in for getent passwd|group [KEY...], answering\n'
	printf '# from the demo files: entries in key order (numeric keys are\n'
	printf '# ids, others names), exit 2 if a key is not found; no key\n'
	printf '# lists every entry.\n'
	printf 'passwd=%s\n' "$(shq "$tmp/data/passwd.txt")"
	printf 'group=%s\n' "$(shq "$tmp/data/group.txt")"
	cat <<'EOS'
case ${1-} in
passwd) file=$passwd ;;
group) file=$group ;;
*)
	printf 'Unknown database: %s\n' "${1-}" >&2
	exit 1
	;;
esac
shift
rc=0
if [ $# -eq 0 ]; then
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		printf '%s\n' "$line"
	done <"$file"
	exit 0
fi
for key; do
	case $key in '' | *[!0-9]*) byid= ;; *) byid=1 ;; esac
	found=
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		if [ -n "$byid" ]; then
			rest=${line#*:}
			rest=${rest#*:}
			[ "${rest%%:*}" = "$key" ] || continue
		else
			[ "${line%%:*}" = "$key" ] || continue
		fi
		printf '%s\n' "$line"
		found=1
		break
	done <"$file"
	[ -n "$found" ] || rc=2
done
exit "$rc"
EOS
} >"$tmp/bin/getent"
chmod 0755 "$tmp/bin/squeue" "$tmp/bin/getent"

python3 "$fake" --dir "$tmp/upstream" --port 0 &
up_pid=$!
uport=
for ((i = 0; i < 100; i++)); do
	if [[ -s $tmp/upstream/port ]]; then
		uport=$(<"$tmp/upstream/port")
		[[ $uport =~ ^[0-9]+$ ]] && break
		uport=
	fi
	alive "$up_pid" || die "the fake upstream Prometheus exited at start"
	sleep 0.1
done
[[ -n $uport ]] || die "the fake upstream Prometheus did not report its port"

printf 'demo: fake upstream Prometheus on 127.0.0.1:%s; starting the exporter on :%s.\n' "$uport" "$PORT"
printf 'demo: in another terminal run: curl -s localhost:%s/metrics | grep ^cluster_   (Ctrl-C here stops the demo)\n' "$PORT"

# In the background and waited for, so a SIGTERM to this script runs the
# trap at once instead of after the exporter has exited.
"$exporter" -promserver="http://127.0.0.1:$uport" \
    --web.listen-address=":$PORT" \
    --path.squeue="$tmp/bin/squeue" --path.getent="$tmp/bin/getent" &
exp_pid=$!
rc=0
wait "$exp_pid" || rc=$?
exp_pid=
printf 'demo: the exporter exited with status %s\n' "$rc" >&2
exit "$rc"
