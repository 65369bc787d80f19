#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Upgrades each given older package of prometheus-cluster-exporter with
# ours in a scratch root, then removes it: .debs with the real dpkg and
# maintainer scripts, .rpms with Debian's rpm and the real scriptlets
# (packaging/check.sh runs it; packaging/README.md).
#
# Usage: upgrade-test.sh NEW.deb OLD.deb...   (as root)
#        upgrade-test.sh NEW.rpm OLD.rpm...
#
# The scratch root: each upgrade runs in a private mount namespace
# (unshare --mount --propagation private; a PID namespace too, so that
# nothing a maintainer script starts outlives it) in which a tmpfs holds
# the upper layer of an overlayfs whose lower layer is the machine's /.  The
# chroot into it sees the machine's packages, users and dpkg database, and
# every write (dpkg's database, /etc/passwd, the unit's enablement) lands
# in the tmpfs, which goes away with the namespace.  Inside it, /proc is
# mounted, /dev, /run and /tmp are fresh tmpfs: /dev has null, zero,
# random, urandom and tty only, and /run has no systemd or D-Bus socket, so
# nothing in the scratch root can reach the machine's service manager.
# /run/systemd/system exists there, so the maintainer scripts take the path
# of a systemd host (daemon-reload, start, restart, stop) and meet
# policy-rc.d, which answers 101 (forbidden) to deb-systemd-invoke, and a
# systemctl that finds no bus.  (systemctl's own chroot check is not relied
# on: it reads /proc/1/root, which some sandboxes deny.)  The machine's
# /etc/passwd, group, shadow, gshadow, dpkg status and /etc/systemd/system
# (names, links and contents) are compared before and after, and nothing
# may listen on :9846 at any step.

set -euo pipefail

name=prometheus-cluster-exporter
opts=/etc/default/$name.options
wants=/etc/systemd/system/multi-user.target.wants/$name.service
# The site's own options, which every upgrade must keep.
site_opts='OPTIONS="-promserver http://site-prometheus:9090 -timeout 20"'

fail() {
	printf 'upgrade-test: FAIL: %s\n' "$*" >&2
	exit 1
}

# :9846 (0x2676) in state LISTEN (0A), IPv4 or IPv6.  /proc/net is read
# rather than ss, which may be missing; the mount namespace shares the
# machine's network.
listening_9846() {
	awk '$4 == "0A" && $2 ~ /:2676$/ { found = 1 } END { exit !found }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# What the test must leave as it found it on the machine.
machine_state() {
	local f
	for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow \
	    /var/lib/dpkg/status; do
		if [[ -e $f ]]; then
			sha256sum "$f"
		else
			echo "absent $f"
		fi
	done
	find /etc/systemd/system -printf '%p %l\n' 2>/dev/null | sort
	find /etc/systemd/system -type f -exec sha256sum {} + 2>/dev/null |
	    sort
	find /var/lib/rpm -type f -exec sha256sum {} + 2>/dev/null | sort
}

# ---------------------------------------------------------------------
# Inside the namespace: one upgrade, OLD to NEW, in a fresh scratch root.

root=
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	    LC_ALL=C DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
}

scratch_root() {
	local s=$1 d
	mount -t tmpfs -o mode=0755 pce-scratch "$s" ||
	    fail "cannot mount a tmpfs (root with CAP_SYS_ADMIN needed)"
	mkdir "$s/upper" "$s/work" "$s/root"
	mount -t overlay pce-scratch \
	    -o "lowerdir=/,upperdir=$s/upper,workdir=$s/work" "$s/root" ||
	    fail "cannot mount an overlay over / (see dmesg)"
	root=$s/root
	mount -t proc proc "$root/proc"
	mount -t tmpfs -o mode=0755 pce-dev "$root/dev"
	for d in "null 1 3" "zero 1 5" "random 1 8" "urandom 1 9" \
	    "tty 5 0"; do
		# shellcheck disable=SC2086 # name, major, minor
		set -- $d
		mknod -m 0666 "$root/dev/$1" c "$2" "$3"
	done
	ln -s /proc/self/fd "$root/dev/fd"
	mount -t tmpfs -o mode=0755 pce-run "$root/run"
	mkdir -p "$root/run/systemd/system" "$root/run/lock"
	mount -t tmpfs -o mode=1777 pce-tmp "$root/tmp"
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	# Saves seconds: man-db's trigger rebuilds no index.
	rm -f "$root/var/lib/man-db/auto-update"
	d=$(in_root deb-systemd-invoke start "$name.service" 2>&1) || true
	[[ $d == *"returned 101"* ]] ||
	    fail "deb-systemd-invoke in the scratch root ignores policy-rc.d: $d"
}

# The user as if the machine had none: the package must create it.
drop_user() {
	sed -i '/^prometheus:/d' "$root/etc/passwd" "$root/etc/shadow" \
	    "$root/etc/group" "$root/etc/gshadow"
	! in_root getent passwd prometheus >/dev/null ||
	    fail "user prometheus still there after removing it"
}

dpkg_in_root() {
	local log=$1
	shift
	in_root dpkg "$@" </dev/null >"$log" 2>&1 || {
		cat "$log" >&2
		fail "dpkg $* in the scratch root"
	}
	[[ ${PCE_9846_BUSY-no} == yes ]] || ! listening_9846 ||
	    fail "something listens on :9846 after dpkg $*"
}

installed() {
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	in_root dpkg-query -W -f '${Status} ${Version}' "$name" 2>/dev/null ||
	    true
}

# The option file as the given .deb ships it.
shipped_opts() {
	dpkg-deb --fsys-tarfile "$1" | tar -xOf - ".$opts"
}

upgrade() {
	local new=$1 old=$2 s=$3
	local oldv newv how uid_before uid_after v unit changed conf=()

	oldv=$(dpkg-deb -f "$old" Version)
	newv=$(dpkg-deb -f "$new" Version)
	scratch_root "$s"
	cp "$old" "$root/tmp/old.deb"
	cp "$new" "$root/tmp/new.deb"
	echo "-- $oldv -> $newv"

	drop_user
	dpkg_in_root "$s/install.log" -i /tmp/old.deb
	[[ $(installed) == "install ok installed $oldv" ]] ||
	    fail "$oldv did not install: $(installed)"
	uid_before=$(in_root getent passwd prometheus | cut -d: -f3) ||
	    fail "$oldv did not create user prometheus"
	[[ -L $root$wants ]] || fail "$oldv did not enable $name.service"
	in_root dpkg-query -L "$name" >"$root/tmp/old.list"
	echo "$site_opts" >"$root$opts"

	if [[ $oldv == 1.1.7-* ]]; then
		# The original's user is kept as it is.
		how="user kept"
	else
		# Our own postinst must create the user when it is missing.
		drop_user
		how="user created"
	fi

	# dpkg asks about a conffile the site changed only if the package's
	# own copy changed too; without a terminal the question fails the
	# upgrade ("end of file on stdin at conffile prompt").  Unattended
	# upgrades answer it with --force-confold: the site's file stays and
	# ours is put beside it as .dpkg-dist.  If the copy did not change,
	# dpkg keeps the site's file without asking, and the upgrade runs
	# here without --force-conf*, to show that it does not ask.
	changed=no
	[[ -n $(shipped_opts "$old") && -n $(shipped_opts "$new") ]] ||
	    fail "no $opts in $oldv or $newv"
	cmp -s <(shipped_opts "$old") <(shipped_opts "$new") || changed=yes
	[[ $changed == yes ]] && conf=(--force-confold)
	dpkg_in_root "$s/upgrade.log" "${conf[@]}" -i /tmp/new.deb

	[[ $(installed) == "install ok installed $newv" ]] ||
	    fail "after the upgrade from $oldv: $(installed)"
	[[ $(cat "$root$opts") == "$site_opts" ]] ||
	    fail "the site's option file was replaced: $(cat "$root$opts")"
	if [[ $changed == yes ]]; then
		cmp -s "$root$opts.dpkg-dist" <(shipped_opts "$new") ||
		    fail "no $opts.dpkg-dist holding the new default"
	else
		[[ ! -e $root$opts.dpkg-dist && ! -e $root$opts.dpkg-new ]] ||
		    fail "a .dpkg-dist or .dpkg-new beside an unchanged file"
	fi
	unit=$(in_root dpkg-query -L "$name" | grep "/$name\.service\$") ||
	    fail "$newv installs no $name.service"
	grep -qx 'User=prometheus' "$root$unit" ||
	    fail "$unit does not run as user prometheus"
	[[ -L $root$wants ]] || fail "the upgrade disabled $name.service"
	uid_after=$(in_root getent passwd prometheus | cut -d: -f3) ||
	    fail "no user prometheus after the upgrade from $oldv"
	if [[ $how == "user kept" ]]; then
		[[ $uid_after == "$uid_before" ]] ||
		    fail "user prometheus changed: uid $uid_before, now $uid_after"
	fi
	in_root getent group prometheus >/dev/null ||
	    fail "no group prometheus after the upgrade from $oldv"
	v=$(in_root "/usr/bin/$name" --version 2>&1) ||
	    fail "/usr/bin/$name --version in the scratch root: $v"
	v=${v%%$'\n'*}
	grep -qFw -- "${newv%-*}" <<<"$v" ||
	    fail "/usr/bin/$name --version says '$v', not ${newv%-*}"

	# No file of the old version stays unless the new .deb ships it, and
	# every file in the package's own directories comes from it.  The
	# .deb's list, not dpkg -L: dpkg keeps listing an obsolete conffile,
	# one the new version no longer ships, and leaves it on disk.
	dpkg-deb --fsys-tarfile "$new" | tar -tf - |
	    sed -e 's,^\./,/,' -e 's,/$,,' >"$root/tmp/new.list"
	# shellcheck disable=SC2016 # runs in the scratch root
	in_root sh -c '
		while read -r p; do
			[ -d "$p" ] && continue
			[ -e "$p" ] || [ -L "$p" ] || continue
			grep -qxF "$p" /tmp/new.list || echo "$p"
		done </tmp/old.list
		find /usr/libexec/'"$name"' /usr/share/doc/'"$name"' \
		    ! -type d 2>/dev/null |
		while read -r p; do
			grep -qxF "$p" /tmp/new.list || echo "$p"
		done' >"$s/stray" || fail "the file list check did not run"
	[[ ! -s $s/stray ]] ||
	    fail "files of the old version that $newv does not ship:" \
	    "$(cat "$s/stray")"

	dpkg_in_root "$s/purge.log" --purge "$name"
	[[ -z $(installed) || $(installed) == "unknown ok not-installed"* ]] ||
	    fail "after dpkg --purge: $(installed)"
	for f in "$opts" "$opts.dpkg-dist" "$opts.dpkg-old" "$unit" "$wants"; do
		[[ ! -e $root$f && ! -L $root$f ]] ||
		    fail "$f is still there after dpkg --purge"
	done
	if [[ $changed == yes ]]; then
		how="site's options kept, ours beside them (.dpkg-dist), $how"
	else
		how="site's options kept without a question, $how"
	fi
	echo "deb: $oldv -> $newv: $how, User=prometheus, still enabled," \
	    "--version ${newv%-*}, no stray file; purge removes options and unit"
}

# rpm -U of ours over OLD, scriptlets run; rpm -e then.  Debian's rpm
# wants --force-debian to install at all, and --nodeps: the database knows
# none of the dpkg packages the RPM requires.
rpm_in_root() {
	local log=$1
	shift
	in_root rpm --force-debian --nodeps "$@" </dev/null >"$log" 2>&1 || {
		cat "$log" >&2
		fail "rpm $* in the scratch root"
	}
	[[ ${PCE_9846_BUSY-no} == yes ]] || ! listening_9846 ||
	    fail "something listens on :9846 after rpm $*"
}

upgrade_rpm() {
	local new=$1 old=$2 s=$3
	local oldv newv unit v

	oldv=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$old")
	newv=$(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$new")
	scratch_root "$s"
	cp "$old" "$root/tmp/old.rpm"
	cp "$new" "$root/tmp/new.rpm"
	echo "-- rpm $oldv -> $newv"
	in_root rpm --initdb
	# The stand-in creates no user: ours must, in %pre.
	drop_user
	rpm_in_root "$s/install.log" -i /tmp/old.rpm
	echo "$site_opts" >"$root$opts"
	rpm_in_root "$s/upgrade.log" -U /tmp/new.rpm
	[[ $(in_root rpm -q --qf '%{VERSION}-%{RELEASE}' "$name") == "$newv" ]] ||
	    fail "after rpm -U: $(in_root rpm -q "$name")"
	[[ $(cat "$root$opts") == "$site_opts" ]] ||
	    fail "rpm -U replaced the site's option file: $(cat "$root$opts")"
	[[ -e $root$opts.rpmnew ]] || fail "no $opts.rpmnew beside the site's"
	in_root getent passwd prometheus >/dev/null &&
	    in_root getent group prometheus >/dev/null ||
	    fail "%pre did not create user and group prometheus"
	unit=$(in_root rpm -ql "$name" | grep "/$name\.service\$") ||
	    fail "$newv installs no $name.service"
	grep -qx 'User=prometheus' "$root$unit" ||
	    fail "$unit does not run as user prometheus"
	v=$(in_root "/usr/bin/$name" --version 2>&1) ||
	    fail "/usr/bin/$name --version in the scratch root: $v"
	grep -qFw -- "${newv%-*}" <<<"${v%%$'\n'*}" ||
	    fail "/usr/bin/$name --version says '${v%%$'\n'*}'"
	rpm_in_root "$s/erase.log" -e "$name"
	! in_root rpm -q "$name" >/dev/null 2>&1 ||
	    fail "still installed after rpm -e"
	for f in "/usr/bin/$name" "$unit" "/usr/libexec/$name/promql"; do
		[[ ! -e $root$f ]] || fail "$f is still there after rpm -e"
	done
	# %config(noreplace), changed by the site: kept aside, not lost.
	[[ -e $root$opts.rpmsave ]] ||
	    fail "rpm -e lost the site's option file (no $opts.rpmsave)"
	echo "rpm: $oldv -> $newv: site's options kept (.rpmnew beside" \
	    "them), user created by %pre, User=prometheus, --version" \
	    "${newv%-*}; rpm -e removes it and keeps the options as .rpmsave"
}

if [[ ${1-} == --in-namespace ]]; then
	shift
	case $1 in
	*.rpm)	upgrade_rpm "$@" ;;
	*)	upgrade "$@" ;;
	esac
	exit 0
fi

# ---------------------------------------------------------------------
# On the machine.

(($# >= 2)) || fail "usage: upgrade-test.sh NEW.deb|NEW.rpm OLD..."
((EUID == 0)) || fail "needs root (a mount namespace and chroot)"
for tool in unshare chroot mount mknod dpkg-deb rpm; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing"
done
# The overlay's lower layer is the root file system alone: a separate one
# under these would be an empty directory in the scratch root.
for d in /usr /var /var/lib/dpkg /etc; do
	[[ $(stat -c %d "$d") == "$(stat -c %d /)" ]] ||
	    fail "$d is a file system of its own; the scratch root (an overlay" \
	    "of /) cannot show it"
done
new=$1
shift

# Something of the machine's own on :9846 (an exporter in service) is left
# alone; only then can the test not tell whether it started one itself.
busy=no
listening_9846 && busy=yes
[[ $busy == no ]] || echo "NOTE: something listens on :9846 already;" \
    "the test cannot check that it starts nothing there"
before=$(machine_state)
scratch=$(mktemp -d)
trap 'rmdir "$scratch"/* "$scratch" 2>/dev/null || true' EXIT

n=0
for old in "$@"; do
	n=$((n + 1))
	mkdir "$scratch/$n"
	# A PID namespace of its own too: whatever a maintainer script
	# leaves running dies with it.
	PCE_9846_BUSY=$busy unshare --mount --propagation private --pid \
	    --fork -- \
	    "$0" --in-namespace "$new" "$old" "$scratch/$n"
	[[ $busy == yes ]] || ! listening_9846 ||
	    fail "something listens on :9846 after the test"
done

[[ $(machine_state) == "$before" ]] ||
    fail "the machine's users, dpkg status or units changed: $(diff \
    <(echo "$before") <(machine_state))"
echo "${new##*.}: the machine's users, package databases and units" \
    "unchanged"
