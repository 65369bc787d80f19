#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end suite: checks its tools, then runs tests/e2e.py (arguments are
# passed through; see tests/e2e.py for PCE_BUILD and PCE_SANITIZE).
set -u
cd "$(dirname "$0")/.." || exit 1

fail=0
if [ ! -x /usr/bin/python3 ]; then
	echo "e2e.sh: FAIL: /usr/bin/python3 is missing (Debian package python3)" >&2
	fail=1
fi
if ! command -v promtool >/dev/null 2>&1; then
	echo "e2e.sh: FAIL: promtool is missing (Debian package prometheus);" \
	    "the suite validates every scrape with it and cannot run without it" >&2
	fail=1
fi
if ! command -v prometheus >/dev/null 2>&1; then
	echo "e2e.sh: note: the prometheus binary is missing (Debian package" \
	    "prometheus); the real_prometheus test will fail" >&2
fi
if [ "$fail" -ne 0 ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 tests/e2e.py "$@"
