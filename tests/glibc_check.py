# SPDX-License-Identifier: Apache-2.0
"""No binary calls a glibc function that RHEL 8's glibc (2.28) lacks.

    tests/glibc_check.py LIST BINARY...
    tests/glibc_check.py --derive GLIBC_GIT_DIR COMMIT > LIST

The first form reads LIST (tests/glibc-after-2.28.txt: a name and the
glibc version that brought it, per line) and each BINARY's undefined
dynamic symbols (`nm -D --undefined-only`), and fails naming every binary
and symbol bound to glibc (a GLIBC_* version) whose name is on the list.
Only names count: a build on a newer glibc binds old functions to newer
versions of themselves (pthread_create@GLIBC_2.34, stat@GLIBC_2.33), and
on RHEL 8 the same source binds them to 2.28's.

The second form makes LIST from a glibc git tree (github:bminor/glibc):
each symbol of sysdeps/unix/sysv/linux/x86_64/64/*.abilist appeared with
the oldest version it is listed under, in any of those libraries (what
moved from libpthread to libc in 2.34 is older than its GLIBC_2.34 entry
in libc), and the list keeps those later than 2.28, functions and data.
"""

import re
import subprocess
import sys
import textwrap

ABI_DIR = "sysdeps/unix/sysv/linux/x86_64/64"
FLOOR = (2, 28)

#
# Exported after 2.28 but callable there all the same, under another name
# or linked into the binary.  A build on a newer glibc calls them by the
# new name; the same source on RHEL 8 links, so they are left out:
#   - __isoc23_*: glibc 2.38's headers send strtol() and the scanf family
#     there under C2X or _GNU_SOURCE; older headers call the old names;
#   - a name whose "__" twin glibc had by 2.28: 2.28's <resolv.h> defines
#     res_query, dn_expand and the like to __res_query, __dn_expand
#     (libresolv), exported under their own names since 2.34;
#   - STATIC_2_28: in 2.28 these came from libc_nonshared.a, linked into
#     each binary (glibc-2.28's io/Makefile, static-only-routines), and
#     are exported since 2.33.
#
REDIRECTS = re.compile(r"^__isoc23_")
STATIC_2_28 = frozenset((
    "stat", "fstat", "lstat", "stat64", "fstat64", "lstat64", "fstatat",
    "fstatat64", "mknod", "mknodat"))


def fail(msg):
    sys.exit("glibc_check: FAIL: %s" % msg)


def version(v):
    """(2, 28) from GLIBC_2.28; None for GLIBC_PRIVATE and the like."""
    m = re.match(r"GLIBC_(\d+(?:\.\d+)*)$", v)
    return tuple(int(x) for x in m.group(1).split(".")) if m else None


def git(gitdir, *args):
    return subprocess.run(["git", "-C", gitdir] + list(args), stdout=subprocess.PIPE,
                          universal_newlines=True, check=True).stdout


def derive(gitdir, commit):
    commit = git(gitdir, "rev-parse", "--verify", commit + "^{commit}").strip()
    files = [f for f in git(gitdir, "ls-tree", "--name-only", commit, ABI_DIR + "/").split()
             if f.endswith(".abilist")]
    if not files:
        fail("no %s/*.abilist at %s" % (ABI_DIR, commit))
    first = {}
    for f in files:
        for line in git(gitdir, "show", "%s:%s" % (commit, f)).splitlines():
            fields = line.split()
            if len(fields) < 3 or version(fields[0]) is None:
                continue
            v, name = version(fields[0]), fields[1]
            if name not in first or v < first[name]:
                first[name] = v
    def callable_in_floor(n):
        return (REDIRECTS.match(n) is not None or n in STATIC_2_28 or
                first.get("__" + n, (99,)) <= FLOOR)

    after = sorted((n, v) for n, v in first.items()
                   if v > FLOOR and not callable_in_floor(n))
    libs = ", ".join(f.rsplit("/", 1)[1][:-len(".abilist")] for f in sorted(files))
    head = (
        "Symbols of glibc that glibc %d.%d does not have, with the version that "
        "brought each (tests/glibc_check.py, `make check-compat`).  Derived from "
        "bminor/glibc %s by `tests/glibc_check.py --derive GLIBC_GIT_DIR %s` from "
        "%s/*.abilist (%s): a symbol's oldest version in any of them is when it "
        "appeared.  Left out, as callable in %d.%d by another name or from "
        "libc_nonshared.a (tests/glibc_check.py says why): __isoc23_*, the "
        "resolver's res_* and dn_* (__res_*, __dn_* then), %s."
        % (FLOOR + (commit, commit, ABI_DIR, libs) + FLOOR
           + (", ".join(sorted(STATIC_2_28)),)))
    out = sys.stdout
    out.write(textwrap.fill(head, width=75, initial_indent="# ", subsequent_indent="# ",
                            break_on_hyphens=False, break_long_words=False) + "\n")
    for n, v in after:
        out.write("%s %s\n" % (n, ".".join(str(x) for x in v)))


def load(path):
    names = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                name, v = line.split()
                names[name] = v
    if not names:
        fail("%s lists nothing" % path)
    return names


def check(listfile, binaries):
    after = load(listfile)
    found = []
    for b in binaries:
        out = subprocess.run(["nm", "-D", "--undefined-only", b], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
        versioned = 0
        for line in out.splitlines():
            sym = line.split()[-1]
            name, _, v = sym.partition("@")
            v = v.lstrip("@")
            versioned += v.startswith("GLIBC_")
            if v.startswith("GLIBC_") and name in after:
                found.append("%s: %s (%s, glibc %s)" % (b, name, sym, after[name]))
        # An nm that prints no versions (binutils before 2.35) would let
        # every name through unseen.
        if not versioned:
            fail("%s: nm -D shows no symbol bound to a GLIBC_ version" % b)
    if found:
        fail("calls what glibc %d.%d (RHEL 8) does not have:\n  %s"
             % (FLOOR + ("\n  ".join(found),)))
    print("glibc_check: ok, %d binaries, nothing after glibc %d.%d"
          % ((len(binaries),) + FLOOR))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--derive":
        derive(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 3 and not sys.argv[1].startswith("-"):
        check(sys.argv[1], sys.argv[2:])
    else:
        sys.exit(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    main()
