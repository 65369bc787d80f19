# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios: confinement, as an attacker with a foothold in one
# process would probe it.  Runs inside tests/e2e.py's namespace (see
# _load_topics there).

CAP_SETS = ("CapInh", "CapPrm", "CapEff", "CapAmb")


def cap_sets(pid):
    """The capability sets of pid as hex strings, by name, or None."""
    try:
        text = read_text("/proc/%d/status" % pid)
    except OSError:
        return None
    sets = {}
    for line in text.split("\n"):
        k, _, v = line.partition(":")
        if k.startswith("Cap"):
            sets[k] = v.strip()
    return sets


def squeue_reporting_caps(t):
    """A squeue stand-in whose account is its own capability sets:
    e<CapEff>a<CapAmb>p<CapPrm>.  Stand-ins write no file, so the answer
    carries what the command had."""
    script = ("#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
              "# squeue stand-in (e2e): reports its capabilities as the account\n"
              "while read k v rest; do\n"
              "  case $k in CapEff:) e=$v;; CapAmb:) a=$v;; CapPrm:) p=$v;; esac\n"
              "done < /proc/$$/status\n"
              "echo \"101|e${e}a${a}p${p}|alice\"\n")
    write_file(os.path.join(t.bin, "squeue"), script, 0o755)


def check_no_caps(ex, what, bounding):
    """No process of the exporter holds a capability (and none in the
    bounding set either when bounding)."""
    procs = ex.tree()
    procs[ex.pid] = {"comm": "exporter"}
    bad = []
    for pid, st in sorted(procs.items()):
        sets = cap_sets(pid)
        if sets is None:
            continue
        names = CAP_SETS + (("CapBnd",) if bounding else ())
        held = {n: sets.get(n) for n in names if int(sets.get(n, "0"), 16) != 0}
        if held:
            bad.append("%d (%s): %s" % (pid, st.get("comm"), held))
    check(len(procs) >= 5, "%s: %d processes found, want the exporter, the spawner and 3 helpers" % (
        what, len(procs)))
    check(not bad, "%s: processes with capabilities:\n  %s" % (what, "\n  ".join(bad)))


@test
def confine_no_capabilities(t):
    """No capability in any process, whoever starts the exporter: as root
    (the bounding set emptied too), and as a user holding an ambient
    capability (setpriv, as a unit's AmbientCapabilities= would), which
    the commands would inherit."""
    check(os.geteuid() == 0, "this test needs root (to start the exporter with setpriv); CI runs as root")
    setpriv = shutil.which("setpriv")
    check(setpriv, "setpriv (Debian package util-linux) is missing")
    up = t.upstream()
    up.set("read", vector([series({"jobid": "101"}, "5")]))
    squeue_reporting_caps(t)
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))

    ex = t.exporter(up, name="as-root")
    r, e = scrape(ex, what="started as root")
    check_no_caps(ex, "started as root", bounding=True)
    accounts = sorted({s.labels.get("account") for s in e.of("cluster_job_read_throughput_bytes")})
    ex.stop()

    wrapper = os.path.join(t.bin, "exporter-with-caps")
    write_file(wrapper, "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
               "exec %s --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_read_search "
               "--ambient-caps=+dac_read_search %s \"$@\"\n" % (setpriv, EXPORTER), 0o755)
    ex = t.exporter(up, binary=wrapper, name="ambient")
    r, e = scrape(ex, what="started with an ambient capability")
    check_no_caps(ex, "started with an ambient capability", bounding=False)
    check("started with capabilities: all dropped" in ex.stderr(),
          "no log line saying the capabilities were dropped:\n%s" % tail(ex.stderr(), 5))
    got = sorted({s.labels.get("account") for s in e.of("cluster_job_read_throughput_bytes")})
    want = ["e0000000000000000a0000000000000000p0000000000000000"]
    check(got == want, "squeue ran with capabilities: account label %r, want %r (as root: %r)" % (
        got, want, accounts))
