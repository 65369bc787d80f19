#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# tests/slurm/start.sh DIR: starts a private, single-node Slurm cluster
# (munged, slurmctld, slurmd) whose whole state lives in DIR, and submits a
# few long-running jobs.  See tests/slurm/README.md.
#
# Writes:
#   DIR/env       `export SLURM_CONF=...` lines for the clients
#   DIR/jobs.txt  `squeue -ah -o '%A|%a|%u'` as seen right after start, sorted
#
# Never touches /etc/slurm, /etc/munge, /run/munge, users or standard ports.
# Must run as root.  Stop everything with tests/slurm/stop.sh DIR.  On any
# failure it prints the error and the tails of the daemons' logs, stops what
# it started and exits 1.
# Environment: PCE_SLURM_TIMEOUT, seconds to wait for each step (default 30).

set -euo pipefail
export LC_ALL=C

TIMEOUT=${PCE_SLURM_TIMEOUT:-30}
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
SBIN=/usr/sbin
PKGS='slurmctld slurmd slurm-client munge'

dir=
started=0
daemons=()

# Prints the error and the tails of the daemons' logs, stops whatever this
# script started (stop.sh), and exits 1.
die() {
	printf 'slurm fixture: %s\n' "$*" >&2
	if ((started)); then
		local f n
		for n in munged slurmctld slurmd; do
			# The daemons run in the foreground: munged logs to
			# stderr (NAME.out), the others to their log files.
			f=$dir/log/$n.log
			[[ -s $f ]] || f=$dir/log/$n.out
			[[ -s $f ]] || continue
			printf -- '--- tail of %s ---\n' "$f" >&2
			tail -n 20 -- "$f" >&2
		done
		started=0
		"$here/stop.sh" "$dir" >&2 ||
		    printf 'slurm fixture: stop.sh %s failed\n' "$dir" >&2
	fi
	exit 1
}

usage() {
	printf 'usage: %s DIR\n' "$0" >&2
	exit 2
}

# Installs the Debian packages if a command is missing; keeps services from
# starting (policy-rc.d) and removes the policy file only if it made it.
install_packages() {
	local c missing=0 policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
	for c in $SBIN/slurmctld $SBIN/slurmd $SBIN/munged $SBIN/mungekey \
	    /usr/bin/squeue /usr/bin/sbatch /usr/bin/sinfo; do
		[[ -x $c ]] || missing=1
	done
	((missing)) || return 0
	command -v apt-get >/dev/null ||
	    die "Slurm/munge missing and no apt-get: install $PKGS"
	printf 'slurm fixture: installing %s\n' "$PKGS" >&2
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	# shellcheck disable=SC2086 # word-split the package list
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
	    --no-install-recommends $PKGS >&2 || rc=$?
	((made_policy)) && rm -f -- "$policy"
	((rc == 0)) || die "apt-get install failed (exit $rc)"
}

# Prints a free TCP port that is not in "$@", not in use in any state
# (listening or connected, IPv4 or IPv6) and outside the kernel's ephemeral
# range, so that no outgoing connection takes it before the daemon binds.
free_port() {
	local used p i lo=32768 hi=60999 base span
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || :
	if ((lo > 11024)); then
		base=10000 span=$((lo - 10000))
	elif ((hi < 64535)); then
		base=$((hi + 1)) span=$((65535 - hi))
	else
		base=10000 span=50000
	fi
	# Field 2 of /proc/net/tcp{,6} is ADDR:PORT, the port in hex.
	used=" $(awk 'FNR > 1 {
		h = toupper(substr($2, index($2, ":") + 1)); n = 0
		for (i = 1; i <= length(h); i++)
			n = n * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
		printf "%d ", n
	}' /proc/net/tcp /proc/net/tcp6 2>/dev/null) $* "
	for ((i = 0; i < 200; i++)); do
		p=$((base + (RANDOM * 32768 + RANDOM) % span))
		[[ $used == *" $p "* ]] || { printf '%s\n' "$p"; return 0; }
	done
	die 'no free TCP port found'
}

# 0 if process $1 is alive (not a zombie) and its command name is $2.
alive() {
	local st
	[[ $1 =~ ^[0-9]+$ ]] || return 1
	[[ $(cat "/proc/$1/comm" 2>/dev/null) == "$2" ]] || return 1
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[[ ${st%% *} != Z ]]
}

# Starts daemon "$@" (in the foreground mode) in a session of its own, with
# output appended to DIR/log/NAME.out, and records "NAME PID" in
# DIR/run/daemons for stop.sh.  The pid is known at once; no daemon pid
# file has to appear first.
launch() {
	local name=${1##*/}
	# Its working directory is DIR/log: slurmd's job steps (slurmstepd)
	# inherit it, which is how stop.sh finds leftover ones.
	(cd -- "$dir/log" && exec setsid "$@" </dev/null \
	    >>"$dir/log/$name.out" 2>&1) &
	local pid=$! end=$((SECONDS + 5)) st
	printf '%s %s\n' "$name" "$pid" >>"$dir/run/daemons"
	daemons+=("$name:$pid")
	# Until the subshell has exec'd the daemon, /proc/PID/comm is not yet
	# NAME; wait for that so that check_daemons can trust the name.
	until alive "$pid" "$name"; do
		st=$(cat "/proc/$pid/stat" 2>/dev/null) || st=
		st=${st##*) }
		[[ -n $st && ${st%% *} != Z ]] || die "$name exited at once"
		((SECONDS < end)) || die "$name did not start (pid $pid)"
		sleep 0.02
	done
}

# Dies if a launched daemon is gone.
check_daemons() {
	local d
	for d in "${daemons[@]}"; do
		alive "${d#*:}" "${d%%:*}" || die "${d%%:*} (pid ${d#*:}) exited"
	done
}

# Runs "$@" until it succeeds, for at most $TIMEOUT seconds; dies at once if
# a daemon exits meanwhile.
wait_for() {
	local end=$((SECONDS + TIMEOUT))
	while ! "$@"; do
		check_daemons
		((SECONDS < end)) || return 1
		sleep 0.2
	done
}

node_idle() {
	local st
	st=$(sinfo -h -N -n "$host" -o '%t' 2>/dev/null) || return 1
	[[ $st == idle ]]
}

all_running() {
	local n
	n=$(squeue -ah -t R -o '%A' 2>/dev/null | wc -l) || return 1
	((n == njobs))
}

# Submits one job as user $1 (root directly, others through runuser with a
# clean environment); the rest are sbatch options.  Sets jobid.
submit() {
	local user=$1 out
	shift
	if [[ $user == root ]]; then
		out=$(sbatch --parsable "$@" 2>&1) ||
		    die "sbatch $* failed: $out"
	else
		out=$(runuser -u "$user" -- env -i PATH=/usr/bin:/bin \
		    LC_ALL=C SLURM_CONF="$SLURM_CONF" sbatch --parsable "$@" \
		    2>&1) || die "sbatch $* as $user failed: $out"
	fi
	jobid=${out%%;*}
	[[ $jobid =~ ^[0-9]+$ ]] || die "sbatch $* printed '$out'"
}

trap 'die "interrupted"' INT TERM HUP

(($# == 1)) || usage
[[ -n $1 ]] || usage
((EUID == 0)) || die 'must run as root (munged, slurmctld and slurmd)'

install_packages

mkdir -p -- "$1"
dir=$(cd -- "$1" && pwd -P)
[[ $dir != / ]] || die 'DIR must not be /'
if [[ -s $dir/run/daemons ]]; then
	while read -r name pid; do
		alive "$pid" "$name" &&
		    die "a fixture already runs in $dir (stop it with stop.sh)"
	done <"$dir/run/daemons"
fi
# The exporter's helpers run as nobody and read slurm.conf and munge's
# socket below DIR: DIR and its parents must be world-traversable.  (munged
# in turn rejects a socket directory, or parent of it, that is writable by
# group or others without the sticky bit: mktemp -d under /tmp is fine.)
chmod 755 -- "$dir"
runuser -u nobody -- test -x "$dir" ||
    die "user nobody cannot reach $dir: make its parents world-traversable"
rm -rf -- "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$dir/run" \
    "$dir/jobs" "$dir/env" "$dir/jobs.txt"
install -d -m 755 -- "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" \
    "$dir/run"
install -d -m 1777 -- "$dir/jobs"

host=$(hostname -s)
[[ -n $host ]] || die 'hostname -s printed nothing'

# --- munge -------------------------------------------------------------
sock=$dir/munge/munge.socket.2
((${#sock} < 100)) || die "socket path too long for AF_UNIX: $sock"
$SBIN/mungekey --create --keyfile="$dir/munge/munge.key" ||
    die 'mungekey --create failed'
chmod 600 -- "$dir/munge/munge.key"
started=1
launch $SBIN/munged --foreground --key-file="$dir/munge/munge.key" \
    --socket="$sock" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
munge_ok() { munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; }
wait_for munge_ok || die "munged does not answer on $sock"

# --- slurm.conf --------------------------------------------------------
ctld_port=$(free_port)
slurmd_port=$(free_port "$ctld_port")
mem=$($SBIN/slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
[[ $mem =~ ^[0-9]+$ ]] || die 'slurmd -C printed no RealMemory'

cat >"$dir/slurm.conf" <<EOF
# Private test cluster written by tests/slurm/start.sh; state is in $dir.
ClusterName=pcetest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
MailProg=/bin/true
TmpFS=$dir/jobs
# config_overrides: the node is used as configured even on a machine with
# fewer CPUs or less memory (slurmd would otherwise drain it).
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 Sockets=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
EOF
# An empty SPANK stack: /etc/slurm/plugstack.conf must not be read.
printf '# SPANK plugins: none\n' >"$dir/plugstack.conf"
chmod 644 -- "$dir/slurm.conf" "$dir/plugstack.conf"

export SLURM_CONF=$dir/slurm.conf
# Clients must see only our configuration.
unset SLURM_CONFIG_DIR SQUEUE_USERS SQUEUE_STATES SQUEUE_FORMAT \
    SQUEUE_FORMAT2 SQUEUE_SORT SQUEUE_ACCOUNT SQUEUE_PARTITION \
    SBATCH_ACCOUNT SBATCH_PARTITION SLURM_CLUSTERS

cat >"$dir/env" <<EOF
# SPDX-License-Identifier: Apache-2.0
# Written by tests/slurm/start.sh for the fixture in $dir.
export SLURM_CONF=$dir/slurm.conf
export PCE_SLURM_DIR=$dir
export PCE_MUNGE_SOCKET=$sock
export PCE_SLURMCTLD_PORT=$ctld_port
export PCE_SLURMD_PORT=$slurmd_port
EOF
chmod 644 -- "$dir/env"

# --- daemons -----------------------------------------------------------
start=$SECONDS
launch $SBIN/slurmctld -D -f "$SLURM_CONF" -c -i
launch $SBIN/slurmd -D -f "$SLURM_CONF" -N "$host"
wait_for node_idle || die "node $host not idle after ${TIMEOUT}s: $(sinfo -N 2>&1)"

# --- jobs --------------------------------------------------------------
# Three jobs of root in acc_a, two of nobody in acc_b, one of daemon without
# an account (squeue prints "(null)"), one two-element array of root in
# acc_c (%A differs per element).  Users are existing system users.
common=(--output=/dev/null --error=/dev/null --chdir="$dir/jobs"
    --job-name=pcetest --wrap='exec sleep 600')
ids=()
for _ in 1 2 3; do
	submit root -A acc_a "${common[@]}"
	ids+=("$jobid|acc_a|root")
done
for _ in 1 2; do
	submit nobody -A acc_b "${common[@]}"
	ids+=("$jobid|acc_b|nobody")
done
submit daemon "${common[@]}"
ids+=("$jobid|(null)|daemon")
submit root -A acc_c --array=0-1 "${common[@]}"
njobs=$((${#ids[@]} + 2))

wait_for all_running ||
    die "not all $njobs jobs running after ${TIMEOUT}s: $(squeue -a 2>&1)"
# A job that fails at once (e.g. cannot start as its user) shows as running
# for a moment and then leaves the queue: check again a second later.
sleep 1
check_daemons
all_running || die "jobs did not stay running: $(squeue -a 2>&1)"

squeue -ah -o '%A|%a|%u' | sort >"$dir/jobs.txt" ||
    die 'squeue failed'
chmod 644 -- "$dir/jobs.txt"
for x in "${ids[@]}"; do
	grep -qxF -- "$x" "$dir/jobs.txt" ||
	    die "job line '$x' missing from squeue: $(cat "$dir/jobs.txt")"
done
n=$(grep -c '|acc_c|root$' "$dir/jobs.txt") || true
((n == 2)) || die "expected 2 array elements in acc_c, found $n"
n=$(wc -l <"$dir/jobs.txt")
((n == njobs)) || die "expected $njobs jobs, squeue lists $n"

printf 'slurm fixture: up in %ss, %s jobs, SLURM_CONF=%s (ports %s, %s)\n' \
    "$((SECONDS - start))" "$njobs" "$SLURM_CONF" "$ctld_port" \
    "$slurmd_port" >&2
