#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds both packages from the tracked files of this tree, without the
# tests they contain (nocheck: `make check` runs those), lints the Debian
# one, and upgrades a stand-in of the original's RPM (1.1.7-1) with ours in
# a scratch rpm database (`make check-packages`).  Nothing is installed on
# this machine: the upgrade runs with --root in a temporary directory and
# no scriptlet, so no user is created and no service started.  Needs
# dpkg-buildpackage (debhelper), lintian and rpmbuild (packaging/deps.sh).

set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
	printf 'check-packages: FAIL: %s\n' "$*" >&2
	exit 1
}

for tool in dpkg-buildpackage dh lintian rpmbuild rpm git; do
	command -v "$tool" >/dev/null 2>&1 ||
	    fail "$tool is missing (run packaging/deps.sh)"
done

version=$(sed -n 's/^VERSION[[:space:]]*:*=[[:space:]]*//p' Makefile)
[[ -n $version ]] || fail "no VERSION in the Makefile"
name=prometheus-cluster-exporter
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"

# The tracked files as they are now, edits included.
src="$work/$name-$version"
mkdir -p "$src"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$src"

echo "== deb"
cp -r "$src/packaging/debian" "$src/debian"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -b -us -uc >"$work/deb.log" 2>&1) ||
    { tail -30 "$work/deb.log" >&2; fail "dpkg-buildpackage"; }
deb=$(ls "$work/${name}_${version}"-*_*.deb)
dpkg-deb --contents "$deb" >"$work/deb.contents"
grep -q "usr/bin/$name\$" "$work/deb.contents" ||
    fail "$deb has no usr/bin/$name"
lintian --fail-on error,warning "$deb" >"$work/lintian.log" 2>&1 || {
	cat "$work/lintian.log" >&2
	fail "lintian: errors or warnings above"
}
echo "deb: $(basename "$deb"), lintian clean"

echo "== rpm"
top="$work/rpm"
mkdir -p "$top/SOURCES"
(cd "$work" && tar -czf "$top/SOURCES/$name-$version.tar.gz" "$name-$version")
macros=packaging/rpm/debian-host.macros
# --nodeps: the BuildRequires name Fedora's packages, not Debian's.
rpmbuild --define "_topdir $top" --load "$macros" --nodeps --nocheck \
    -bb packaging/rpm/$name.spec >"$work/rpm.log" 2>&1 ||
    { tail -30 "$work/rpm.log" >&2; fail "rpmbuild of $name.spec"; }
rpmbuild --define "_topdir $top" --load "$macros" --nodeps \
    -bb packaging/rpm/standin/original.spec >"$work/standin.log" 2>&1 ||
    { tail -30 "$work/standin.log" >&2; fail "rpmbuild of the stand-in"; }
ours=$(ls "$top"/RPMS/*/"$name-$version"-*.rpm)
orig=$(ls "$top"/RPMS/noarch/"$name"-1.1.7-1.noarch.rpm)

echo "== rpm -U over the original's stand-in (scratch root)"
root="$work/root"
mkdir -p "$root"
rpm --root "$root" --initdb
# --force-debian: Debian's rpm would advise alien, as it is not dpkg.
rpm --root "$root" -i --nodeps --noscripts --force-debian "$orig"
opts="$root/etc/default/$name.options"
# The site's own options, which the upgrade must keep.
echo 'OPTIONS="-promserver http://site-prometheus:9090 -timeout 20"' >"$opts"
rpm --root "$root" -U --nodeps --noscripts --force-debian "$ours" \
    2>"$work/upgrade.log" || { cat "$work/upgrade.log" >&2; false; } ||
    fail "rpm -U $version over 1.1.7 was refused"
got=$(rpm --root "$root" -q --qf '%{VERSION}-%{RELEASE}' "$name")
[[ $got == "$version"-* ]] || fail "after rpm -U: $got installed"
grep -q 'site-prometheus:9090 -timeout 20' "$opts" ||
    fail "the site's option file was replaced: $(cat "$opts")"
[[ -e $opts.rpmnew ]] || fail "no $opts.rpmnew beside the kept option file"
unit=$(rpm --root "$root" -ql "$name" | grep '\.service$')
grep -q '^User=prometheus$' "$root$unit" ||
    fail "the new unit does not run as user prometheus"
echo "rpm: $(basename "$ours") upgraded 1.1.7-1; options kept (.rpmnew" \
    "beside them), unit User=prometheus"
