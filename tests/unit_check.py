# SPDX-License-Identifier: Apache-2.0
"""The packaged systemd unit against the exporter's own confinement.

    tests/unit_check.py POLICY_DUMP UNIT

POLICY_DUMP is the build's tests/policy_dump (each process's seccomp
filter as libseccomp prints it), UNIT the service file.  Checks that

  - every syscall that any of the exporter's own filters allows, and
    every syscall a process makes before it confines itself (START_UP),
    is in the unit's SystemCallFilter= as systemd expands it (with
    `systemd-analyze syscall-filter`): a unit that kills the exporter at
    start would otherwise pass the offline score;
  - `systemd-analyze security --offline=true` rates the unit's exposure at
    2.0 or lower.

Prints what it found and exits non-zero on any failure.
"""

import re
import subprocess
import sys

# Made by the exporter's processes before their own filters exist, or
# outside them (the spawner's deny-list allows all else): confinement
# itself, the privilege and capability drop, and starting the helpers.
START_UP = (
    "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
    "prctl", "prlimit64", "capget", "socket", "bind", "listen", "setsockopt",
    "clone", "execveat", "execve", "wait4", "waitid", "pidfd_open", "pidfd_send_signal",
    "socketpair", "sendmsg", "recvmsg", "kill", "setsid", "dup2", "dup3", "close_range",
)
MAX_EXPOSURE = 2.0


def fail(msg):
    print("unit_check: FAIL: %s" % msg)
    sys.exit(1)


def run(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        fail("%s is missing (Debian package systemd; make deps installs it)" % argv[0])
    except subprocess.CalledProcessError as e:
        fail("%s exited with %d: %s" % (" ".join(argv), e.returncode, e.stderr.strip()))


_groups = {}


def expand(name):
    """The syscalls of a systemd group (@name) or the name itself."""
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        _groups[name] = set()
        for line in run(["systemd-analyze", "syscall-filter", "--no-pager", name]).split("\n")[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                _groups[name] |= expand(line)
    return _groups[name]


def unit_filter(path):
    """The set SystemCallFilter= lines allow, applied in order: the first
    allow-list sets it, ~lines take away, later lines add."""
    allowed = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"\s*SystemCallFilter=(.*)", line)
            if not m:
                continue
            value = m.group(1).strip()
            deny = value.startswith("~")
            names = set()
            for word in value.lstrip("~").split():
                names |= expand(word)
            if allowed is None:
                if deny:
                    fail("%s: a deny-list SystemCallFilter= first; this check wants an allow-list" % path)
                allowed = names
            elif deny:
                allowed -= names
            else:
                allowed |= names
    if allowed is None:
        fail("%s has no SystemCallFilter=" % path)
    return allowed


def exporter_syscalls(policy_dump):
    """Each syscall some process's filter allows (the spawner's deny-list
    is left out: what it allows is bounded by the helpers' filters)."""
    allowed = {}
    who = cur = None
    for line in run([policy_dump]).split("\n"):
        m = re.match(r"# filter of (\S+)", line)
        if m:
            who = m.group(1)
            continue
        m = re.match(r'\s*# filter for syscall "([^"]+)"', line)
        if m:
            cur = m.group(1)
            continue
        if cur and who != "spawner" and "action ALLOW" in line:
            allowed.setdefault(cur, set()).add(who)
    if len(allowed) < 50:
        fail("%s printed only %d allowed syscalls: not the filters this check reads" % (
            policy_dump, len(allowed)))
    return allowed


def main():
    if len(sys.argv) != 3:
        fail("usage: unit_check.py POLICY_DUMP UNIT")
    policy_dump, unit = sys.argv[1:]
    allowed = unit_filter(unit)
    ours = exporter_syscalls(policy_dump)
    missing = sorted("%s (%s)" % (s, ", ".join(sorted(w))) for s, w in ours.items() if s not in allowed)
    missing += sorted("%s (start-up)" % s for s in START_UP if s not in allowed)
    if missing:
        fail("%s's SystemCallFilter= refuses what the exporter needs: %s" % (unit, ", ".join(missing)))
    print("unit_check: %d syscalls of the exporter's filters and %d of its start-up are in %s's filter" % (
        len(ours), len(START_UP), unit))
    out = run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit])
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", out)
    if not m:
        fail("systemd-analyze security printed no exposure level:\n%s" % out[-500:])
    level = float(m.group(1))
    if level > MAX_EXPOSURE:
        fail("%s: exposure %.1f, want %.1f or lower" % (unit, level, MAX_EXPOSURE))
    print("unit_check: exposure %.1f (at most %.1f)" % (level, MAX_EXPOSURE))


if __name__ == "__main__":
    main()
