#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs the Debian 12 packages needed to build prometheus-cluster-exporter
# and run every test (`make deps`).  Only missing packages are installed, so a
# second run does nothing.  Service starts are suppressed while installing:
# the `prometheus`, `slurmctld`, `slurmd` and `munge` packages would otherwise
# start daemons (Prometheus on :9090) that the tests do not want.

set -euo pipefail

PKGS=(
	build-essential pkg-config
	libcurl4-openssl-dev libjsmn-dev libseccomp-dev libmicrohttpd-dev
	libcmocka-dev libyaml-dev
	# gzip answers (lib/gzip.c).
	zlib1g-dev
	# The front door's TLS checks and bcrypt (--web.config.file).
	libgnutls28-dev libcrypt-dev
	# The second compiler (make check-clang), libFuzzer (make fuzz) and
	# its sanitizer runtimes: libclang-rt-14-dev is only a Recommends of
	# clang on Debian 12, and this script installs without those.
	clang libclang-rt-14-dev
	python3
	prometheus		# promtool and the real-upstream test
	victoria-metrics	# victoria-metrics and vmauth: the upstream tests
	curl valgrind strace
	systemd			# systemd-analyze: the unit's filter and score
	openssl			# certificates for the --web.config.file tests
	debhelper lintian rpm rpmlint	# make check-packages
	slurmctld slurmd slurm-client munge
)
POLICY=/usr/sbin/policy-rc.d
SAVED="$POLICY.pce-deps-saved"

die() {
	printf 'deps.sh: error: %s\n' "$*" >&2
	exit 1
}

if ! command -v dpkg-query >/dev/null 2>&1 ||
    ! command -v apt-get >/dev/null 2>&1; then
	die "dpkg-query/apt-get not found: this script is for Debian 12"
fi

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if ((EUID == 0)); then
	as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
	as_root() { sudo -- "$@"; }
else
	die "not root and sudo not found; run as root to install: ${missing[*]}"
fi

# Keep service starts off for the duration.  An existing policy that already
# answers 101 ("action forbidden") is left alone; any other is moved aside
# and put back afterwards; ours is removed only if we created it.
policy_state=none
restore_policy() {
	case $policy_state in
	created)  as_root rm -f "$POLICY" ;;
	replaced) as_root mv -f "$SAVED" "$POLICY" ;;
	esac
	policy_state=none
}
log=$(mktemp "${TMPDIR:-/tmp}/pce-deps.XXXXXX")
trap 'restore_policy; rm -f "$log"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

install_policy() {
	# shellcheck disable=SC2016 # $1 expands in the inner shell
	as_root sh -c 'umask 022 && printf "#!/bin/sh\n# temporary, from prometheus-cluster-exporter packaging/deps.sh\nexit 101\n" >"$1" && chmod 0755 "$1"' sh "$POLICY"
}
if [[ -e $POLICY || -L $POLICY ]]; then
	rc=0
	"$POLICY" prometheus start >/dev/null 2>&1 || rc=$?
	if ((rc != 101)); then
		[[ -e $SAVED ]] && die "$SAVED exists (left by an interrupted run?); restore it to $POLICY by hand"
		as_root mv -f "$POLICY" "$SAVED"
		policy_state=replaced
		install_policy
	fi
else
	policy_state=created
	install_policy
fi

echo "deps.sh: installing ${missing[*]}"
if ! as_root apt-get update -qq >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "apt-get update failed"
fi
if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "apt-get install failed for: ${missing[*]}"
fi
restore_policy

still=()
for p in "${missing[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
	[[ $st == "install ok installed" ]] || still+=("$p")
done
((${#still[@]} == 0)) || die "still not installed after apt-get: ${still[*]}"
exit 0
