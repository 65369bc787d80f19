# SPDX-License-Identifier: Apache-2.0
"""The man page against -help: rendered without a groff warning, and with
every flag and every line of help text that -help prints.

    tests/manpage_check.py EXPORTER MANPAGE
"""

import os
import re
import subprocess
import sys


def fail(msg):
    print("manpage_check: FAIL: %s" % msg)
    sys.exit(1)


def words(text):
    return re.sub(r"\s+", " ", text.replace("\u2010", "").replace("\u00ad", "")).strip()


def main():
    if len(sys.argv) != 3:
        fail("usage: manpage_check.py EXPORTER MANPAGE")
    exporter, page = sys.argv[1:]
    helptext = subprocess.run([exporter, "-help"], capture_output=True, text=True, check=True).stdout
    env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="")
    cp = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page], capture_output=True, text=True, env=env)
    if cp.returncode != 0 or cp.stderr.strip():
        fail("man -l %s: status %d, warnings:\n%s" % (page, cp.returncode, cp.stderr))
    # Hyphens may be broken across lines in the rendering: compare words.
    rendered = words(re.sub(r"-\n\s*", "-", cp.stdout))
    flags = re.findall(r"^  (-\S+)", helptext, re.M)
    if len(flags) < 20:
        fail("-help lists only %d flags" % len(flags))
    missing = [f for f in flags if f not in rendered]
    if missing:
        fail("flags of -help missing from the man page: %s" % missing)
    # The page joins -help's wrapped lines with a space: a line that ends
    # inside a hyphenated word would come out as "exporter- toolkit".
    broken = re.findall(r"^\t.*[A-Za-z]-$", helptext, re.M)
    if broken:
        fail("-help wraps inside a hyphenated word: %r" % broken)
    for block in re.findall(r"^\t(.+)$", helptext, re.M):
        if words(block) not in rendered:
            fail("-help's text %r is not in the man page" % block)
    print("manpage_check: %d flags of -help, and their text, in %s" % (len(flags), page))


if __name__ == "__main__":
    main()
