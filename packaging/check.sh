#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# `make check-packages`.  Builds both packages from the tracked files of
# this tree, without the tests they contain (nocheck: `make check` runs
# those), and lints them (lintian; rpmlint with packaging/rpm/rpmlint.toml).
# The .deb upgrades our own previous version (built from its last commit)
# and a stand-in of the original's 1.1.7-1 in a scratch root
# (packaging/upgrade-test.sh: dpkg and the maintainer scripts run for real,
# in an overlay that vanishes; it needs root).  The spec's RHEL branch
# (bundled jsmn) is built too, and the RPM upgrades a stand-in of the
# original's RPM in the same kind of scratch root, with Debian's rpm and
# the real scriptlets.  Nothing is installed on this machine, no user
# created and no service started.
# Needs root, dpkg-buildpackage (debhelper), lintian, rpmbuild, rpmlint
# (packaging/deps.sh), and the git history back to the previous version
# (a shallow clone tests less, and says so: below).

set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
	printf 'check-packages: FAIL: %s\n' "$*" >&2
	exit 1
}

((EUID == 0)) || fail "needs root (the deb upgrades run in a mount namespace)"
for tool in dpkg-buildpackage dpkg-parsechangelog dh lintian rpmbuild rpm \
    rpmlint git; do
	command -v "$tool" >/dev/null 2>&1 ||
	    fail "$tool is missing (run packaging/deps.sh)"
done

# What both packages must install: the programs, the unit the service's
# Documentation= points from (the man page, the doc directory), the READMEs
# and the examples.  $2 lists the package's paths, one per line.
has_files() {
	local f
	for f in "usr/bin/$name" "usr/libexec/$name/slurm" \
	    "usr/libexec/$name/accounts" "usr/libexec/$name/promql" \
	    "lib/systemd/system/$name.service" "lib/systemd/system/$name.socket" \
	    "etc/default/$name.options" "usr/lib/sysusers.d/$name.conf" \
	    "usr/share/man/man1/$name.1.gz" \
	    "usr/share/doc/$name/README.md" \
	    "usr/share/doc/$name/README.sandbox.md" \
	    "usr/share/doc/$name/README.packaging.md" \
	    "usr/share/doc/$name/examples/prometheus.yml" \
	    "usr/share/doc/$name/examples/alerts.yml" \
	    "usr/share/doc/$name/examples/grafana-dashboard.json"; do
		# Debian compresses large docs; Fedora's units are under /usr.
		grep -Eq "(^|[ /])(usr/)?${f//./\\.}(\.gz)?\$" "$2" ||
		    fail "$(basename "$1") does not install /$f"
	done
}

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
# The RPMs' Source0, made now: the .deb is built in $src, and its objects
# must not reach the RPM builds, which compile from clean sources.
tarball="$work/$name-$version.tar.gz"
(cd "$work" && tar -czf "$tarball" "$name-$version")

echo "== deb"
cp -r "$src/packaging/debian" "$src/debian"
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -b -us -uc >"$work/deb.log" 2>&1) ||
    { tail -30 "$work/deb.log" >&2; fail "dpkg-buildpackage"; }
deb=$(ls "$work/${name}_${version}"-*_*.deb)
dpkg-deb --contents "$deb" >"$work/deb.contents"
has_files "$deb" "$work/deb.contents"
lintian --fail-on error,warning "$deb" >"$work/lintian.log" 2>&1 || {
	cat "$work/lintian.log" >&2
	fail "lintian: errors or warnings above"
}
echo "deb: $(basename "$deb"), lintian clean"

echo "== deb upgrades (scratch root)"
# Our own previous version is built from the tree of its last commit: it
# differs from this one in what an upgrade meets (0.1.0 has no man page, no
# examples, an older unit, and its binary says 0.1.0).  That needs the
# history back to it.  A shallow clone has none: it upgrades from this tree
# relabelled instead, which tests the maintainer scripts, the conffile and
# the user but not those differences, and prints a NOTE saying so.
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
old="$work/old/$name-${prev%-*}"
mkdir -p "$old"
if [[ -n $last ]] && git rev-parse -q --verify "$last^{commit}" >/dev/null
then
	git archive "$last" | tar -xf - -C "$old"
else
	# A shallow clone has no such commit.  The upgrade is still tested,
	# from this tree relabelled as $prev (its Makefile and changelog),
	# and the line below says that this run proved less.
	echo "NOTE: no commit of $prev in this checkout (a shallow clone?):" \
	    "upgrading from this tree relabelled $prev; git fetch --unshallow" \
	    "for the real one"
	tar -xzf "$tarball" -C "$old" --strip-components=1
	sed -i "s/^VERSION\([[:space:]]*\):=.*/VERSION\1:= ${prev%-*}/" \
	    "$old/Makefile"
	awk -v head="$name ($prev)" 'index($0, head) == 1 { on = 1 }
	    on || /^#/' "$changelog" >"$old/$changelog"
fi
cp -r "$old/packaging/debian" "$old/debian"
(cd "$old" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -b -us -uc >"$work/old.log" 2>&1) ||
    { tail -30 "$work/old.log" >&2; fail "dpkg-buildpackage of $prev"; }
olddeb=$(ls "$work/old/${name}_${prev}_"*.deb)
mkdir "$work/standin"
packaging/debian-standin/build.sh "$work/standin"
standin=$(ls "$work/standin/${name}_1.1.7-1_"*.deb)
packaging/upgrade-test.sh "$deb" "$standin" "$olddeb"

echo "== rpm"
top="$work/rpm"
mkdir -p "$top/SOURCES"
cp "$tarball" "$top/SOURCES/"
macros=packaging/rpm/debian-host.macros
spec=packaging/rpm/$name.spec
# --nodeps: the BuildRequires name Fedora's packages, not Debian's.  No
# rhel macro is defined here, so this is the Fedora branch (jsmn-devel).
rpmbuild --define "_topdir $top" --load "$macros" --nodeps --nocheck \
    -ba "$spec" >"$work/rpm.log" 2>&1 ||
    { tail -30 "$work/rpm.log" >&2; fail "rpmbuild of $name.spec"; }
rpmbuild --define "_topdir $top" --load "$macros" --nodeps \
    -bb packaging/rpm/standin/original.spec >"$work/standin.log" 2>&1 ||
    { tail -30 "$work/standin.log" >&2; fail "rpmbuild of the stand-in"; }
ours=$(ls "$top"/RPMS/*/"$name-$version"-*.rpm)
orig=$(ls "$top"/RPMS/noarch/"$name"-1.1.7-1.noarch.rpm)
rpm -qlp "$ours" >"$work/rpm.contents"
has_files "$ours" "$work/rpm.contents"
# Here-strings, not pipes into grep -q: under pipefail, the writer's
# SIGPIPE would fail the test at random.
grep -q "/man1/$name\.1\.gz\$" <<<"$(rpm -qlp "$ours")" ||
    fail "$(basename "$ours") has no gzipped man page"
echo "rpm: $(basename "$ours") (Fedora branch: jsmn-devel)"

echo "== rpm, RHEL branch (bundled jsmn)"
# The spec parses both ways and takes the right branch in each.
rpmspec -P --load "$macros" "$spec" >"$work/fedora.spec" 2>&1 ||
    { cat "$work/fedora.spec" >&2; fail "rpmspec -P $spec"; }
rpmspec -P --load "$macros" --define 'rhel 9' "$spec" >"$work/rhel.spec" \
    2>&1 || { cat "$work/rhel.spec" >&2; fail "rpmspec -P --define 'rhel 9'"; }
if ! grep -qx 'BuildRequires: *jsmn-devel' "$work/fedora.spec" ||
    grep -q 'bundled(jsmn)' "$work/fedora.spec"; then
	fail "without rhel, the spec does not build with jsmn-devel alone"
fi
jsmn=$(sed -n 's/^Provides: *bundled(jsmn) = *//p' "$work/rhel.spec")
if [[ -z $jsmn ]] || grep -q 'jsmn-devel' "$work/rhel.spec" ||
    ! grep -qx 'License: *Apache-2.0 AND MIT' "$work/rhel.spec" ||
    ! grep -q "^Source1: *https://github.com/zserge/jsmn/archive/v$jsmn/" \
    "$work/rhel.spec"; then
	fail "with rhel 9: no bundled jsmn, or MIT not in License:, or no" \
	    "Source1: from jsmn's release, or still jsmn-devel"
fi
# Source1 cannot be downloaded here.  Debian's libjsmn-dev is the same
# release (1.1.0), so its header stands in for upstream's tarball, with
# the licence text from the header's own comment as LICENSE.
rtop="$work/rpm-rhel"
mkdir -p "$rtop/SOURCES" "$work/jsmn-$jsmn"
cp "$tarball" "$rtop/SOURCES/"
cp /usr/include/jsmn.h "$work/jsmn-$jsmn/"
sed -n '1,/\*\//p' /usr/include/jsmn.h >"$work/jsmn-$jsmn/LICENSE"
grep -q 'MIT License' "$work/jsmn-$jsmn/LICENSE" ||
    fail "/usr/include/jsmn.h does not begin with its MIT licence"
(cd "$work" && tar -czf "$rtop/SOURCES/jsmn-$jsmn.tar.gz" "jsmn-$jsmn")
rpmbuild --define "_topdir $rtop" --load "$macros" --define 'rhel 9' \
    --nodeps --nocheck --noclean -ba "$spec" >"$work/rpm-rhel.log" 2>&1 ||
    { tail -30 "$work/rpm-rhel.log" >&2; fail "rpmbuild --define 'rhel 9'"; }
rhel=$(ls "$rtop"/RPMS/*/"$name-$version"-*.rpm)
# -MMD lists the headers found through -I, not the system's: the bundled
# jsmn.h, not /usr/include's, went into the build.
grep -rqs --include='*.d' "/jsmn-$jsmn/jsmn\.h" "$rtop/BUILD" ||
    fail "the RHEL branch did not compile with the bundled jsmn.h"
if ! grep -qx "bundled(jsmn) = $jsmn" <<<"$(rpm -qp --provides "$rhel")" ||
    ! grep -q "/licenses/${name}[^/]*/LICENSE\.jsmn\$" \
    <<<"$(rpm -qlp "$rhel")"; then
	fail "$(basename "$rhel"): no bundled(jsmn) or no LICENSE.jsmn"
fi
echo "rpm: RHEL branch built with the bundled jsmn $jsmn (header stand-in)"

echo "== rpmlint"
# packaging/rpm/rpmlint.toml says what is filtered, and why.  One run per
# branch: given two source packages of the same name, rpmlint mixes them.
lint() {
	rpmlint -c packaging/rpm/rpmlint.toml "$@" >"$work/rpmlint.log" 2>&1 ||
	    true
	grep -q ' 0 errors, 0 warnings' "$work/rpmlint.log" || {
		cat "$work/rpmlint.log" >&2
		fail "rpmlint: errors or warnings above"
	}
}
lint "$ours" "$top"/SRPMS/*.rpm "$spec"
lint "$rhel" "$rtop"/SRPMS/*.rpm
echo "rpmlint: the spec, and the RPM and SRPM of both branches, clean"

echo "== rpm -U over the original's stand-in (scratch root, scriptlets run)"
packaging/upgrade-test.sh "$ours" "$orig"
