#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Builds a stand-in for the original program's Debian package, written here
# (the original's packaging is not copied): it reproduces only what an
# upgrade from it depends on.  Its name and version 1.1.7-1; the program at
# /usr/bin (here a script that answers like the original's -version); the
# option file /etc/default/prometheus-cluster-exporter.options, a conffile
# holding OPTIONS="..."; a unit in /lib/systemd/system that runs the
# program as user prometheus with $OPTIONS from that file; a postinst that
# creates the user prometheus when it is missing and enables the unit; a
# prerm that stops it and a postrm that forgets it on purge.
# packaging/upgrade-test.sh upgrades it with our package in a scratch root.
#
# Usage: build.sh OUTDIR
# (writes OUTDIR/prometheus-cluster-exporter_1.1.7-1_ARCH.deb)

set -euo pipefail

out=${1:?usage: build.sh OUTDIR}
name=prometheus-cluster-exporter
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
umask 022
chmod 0755 "$tree"
# The original is a Go program built for the machine's architecture.
arch=$(dpkg --print-architecture)

mkdir -p "$tree/DEBIAN" "$tree/usr/bin" "$tree/etc/default" \
    "$tree/lib/systemd/system" "$tree/usr/share/doc/$name"

cat >"$tree/DEBIAN/control" <<CONTROL
Package: $name
Version: 1.1.7-1
Architecture: $arch
Maintainer: Stand-in <standin@prometheus-cluster-exporter.invalid>
Depends: adduser
Section: net
Priority: optional
Description: stand-in for the original prometheus-cluster-exporter
 For the upgrade test of packaging/check.sh only.
CONTROL
echo "/etc/default/$name.options" >"$tree/DEBIAN/conffiles"

cat >"$tree/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if ! getent passwd prometheus >/dev/null; then
		adduser --quiet --system --group --no-create-home \
		    --home /var/lib/prometheus prometheus
	fi
	deb-systemd-helper enable prometheus-cluster-exporter.service \
	    >/dev/null || true
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		deb-systemd-invoke start prometheus-cluster-exporter.service \
		    >/dev/null || true
	fi
fi
exit 0
SCRIPT
cat >"$tree/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop prometheus-cluster-exporter.service \
	    >/dev/null || true
fi
exit 0
SCRIPT
cat >"$tree/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
	deb-systemd-helper purge prometheus-cluster-exporter.service \
	    >/dev/null || true
fi
exit 0
SCRIPT
chmod 0755 "$tree/DEBIAN/postinst" "$tree/DEBIAN/prerm" "$tree/DEBIAN/postrm"

cat >"$tree/usr/bin/$name" <<'SCRIPT'
#!/bin/sh
echo "prometheus-cluster-exporter, version 1.1.8"
SCRIPT
chmod 0755 "$tree/usr/bin/$name"

echo 'OPTIONS="-promserver http://localhost:9090"' \
    >"$tree/etc/default/$name.options"

cat >"$tree/lib/systemd/system/$name.service" <<UNIT
[Unit]
Description=Stand-in for the original prometheus-cluster-exporter

[Service]
User=prometheus
EnvironmentFile=-/etc/default/$name.options
ExecStart=/usr/bin/$name \$OPTIONS

[Install]
WantedBy=multi-user.target
UNIT

echo "A stand-in for tests; Apache-2.0." \
    >"$tree/usr/share/doc/$name/copyright"

dpkg-deb --root-owner-group -Zgzip --build "$tree" \
    "$out/${name}_1.1.7-1_${arch}.deb" >/dev/null
