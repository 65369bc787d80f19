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

for tool in dpkg-buildpackage dpkg-parsechangelog dh lintian rpmbuild rpm \
    rpmlint git; do
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

echo "== deb upgrades (scratch root)"
# Our own previous version is built from the tree of its last commit, not
# from this tree relabelled: the two differ in what an upgrade meets (0.1.0
# has no man page, no examples, an older unit, and its binary says 0.1.0),
# and a relabelled build would prove nothing about replacing the binary.
# That needs the history back to it: a shallow clone fails here, and says so.
changelog=packaging/debian/changelog
prev=$(dpkg-parsechangelog -l "$changelog" -o 1 -c 1 -S Version)
[[ -n $prev ]] || fail "no previous version in $changelog"
top_version() {
	git show "$1:$changelog" | dpkg-parsechangelog -l - -S Version
}
# The newest commit whose changelog begins with $prev is the last of that
# version if the changelog was not touched since; else the parent of the
# commit that touched it next.
last=
newer=
while read -r c; do
	if [[ $(top_version "$c") == "$prev" ]]; then
		last=${newer:+$newer^}
		last=${last:-HEAD}
		break
	fi
	newer=$c
done < <(git rev-list HEAD -- "$changelog")
if [[ -z $last ]] || ! git rev-parse -q --verify "$last^{commit}" >/dev/null
then
	fail "no commit of $prev in this checkout's history, needed to build" \
	    "it (a shallow clone? git fetch --unshallow)"
fi
old="$work/old/$name-${prev%-*}"
mkdir -p "$old"
git archive "$last" | tar -xf - -C "$old"
cp -r "$old/packaging/debian" "$old/debian"
(cd "$old" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -b -us -uc >"$work/old.log" 2>&1) ||
    { tail -30 "$work/old.log" >&2; fail "dpkg-buildpackage of $prev"; }
olddeb=$(ls "$work/old/${name}_${prev}_"*.deb)
mkdir "$work/standin"
packaging/debian-standin/build.sh "$work/standin"
standin=$(ls "$work/standin/${name}_1.1.7-1_"*.deb)
packaging/deb-upgrade.sh "$deb" "$standin" "$olddeb"

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
