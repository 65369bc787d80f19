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


@test
def confine_every_process_filtered(t):
    """Every process of the exporter runs under a seccomp filter, read
    back from the kernel: the parent, the spawner, each helper, and the
    commands (squeue under its helper's filter and the spawner's)."""
    check(not SANITIZE, "not for the sanitizer pass (-sandbox=off loads no filter)")
    up = t.upstream()
    up.set("read", vector([series({"jobid": "101"}, "5")]))
    script = ("#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
              "# squeue stand-in (e2e): reports its seccomp mode and filter count\n"
              "while read k v rest; do\n"
              "  case $k in Seccomp:) m=$v;; Seccomp_filters:) n=$v;; esac\n"
              "done < /proc/$$/status\n"
              "echo \"101|mode${m}filters${n}|alice\"\n")
    write_file(os.path.join(t.bin, "squeue"), script, 0o755)
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    ex = t.exporter(up)
    r, e = scrape(ex)
    procs = ex.tree()
    procs[ex.pid] = {"comm": "exporter"}
    seen, bad = [], []
    for pid, st in sorted(procs.items()):
        status = read_text("/proc/%d/status" % pid)
        mode = re.search(r"^Seccomp:\s*(\d+)", status, re.M)
        seen.append(st.get("comm"))
        if mode is None or mode.group(1) != "2":
            bad.append("%d (%s): Seccomp %s" % (pid, st.get("comm"), mode and mode.group(1)))
    check(sorted(seen) == sorted(["exporter", "pce-spawner", "slurm", "accounts", "promql"]),
          "the process tree is %r" % seen)
    check(not bad, "processes without a seccomp filter:\n  %s" % "\n  ".join(bad))
    got = sorted({s.labels.get("account") for s in e.of("cluster_job_read_throughput_bytes")})
    check(got == ["mode2filters2"], "squeue ran with %r, want mode 2 under two filters (spawner's, slurm's)" % got)


@test
def confine_write_then_execute(t):
    """Code written to memory and made executable: refused in every
    helper under -sandbox=enforce (memory-deny-write-execute), where
    -sandbox=log, which sets no MDWE, lets it run; so the check can
    fail."""
    check(not SANITIZE, "not for the sanitizer pass (-sandbox=off)")
    check(sbx_kernel_mdwe(), "this kernel has no PR_SET_MDWE (Linux 6.3): this test needs it")
    for helper, sources in sorted(FAULT_SOURCES.items()):
        ex, e1, e2 = fault_scrapes(t, helper, "enforce", "wx")
        log = ex.stderr()
        t.expect(check, "write-then-execute refused" in log and "write-then-execute ran" not in log,
                 "%s, enforce: no 'write-then-execute refused' line, or it ran:\n%s" % (helper, tail(log, 6)))
        ups = source_up(e1)
        t.expect(check, all(ups.get(s) == 1.0 for s in sources),
                 "%s, enforce: the refused attempt cost the scrape: source_up %r" % (helper, ups))
        ex.stop()
    ex, e1, e2 = fault_scrapes(t, "promql", "log", "wx")
    log = ex.stderr()
    check("write-then-execute ran" in log,
          "promql, -sandbox=log (no MDWE): the attempt did not run, so the check above proves nothing:\n%s" % (
              tail(log, 6)))


def sbx_kernel_mdwe():
    """Whether the kernel has PR_SET_MDWE: Linux 6.3 or later."""
    rel = os.uname().release.split(".")
    try:
        return (int(rel[0]), int(re.match(r"\d+", rel[1]).group(0))) >= (6, 3)
    except (ValueError, AttributeError, IndexError):
        return False


@test
def confine_unsafe_command_path(t):
    """--path.squeue in a directory another user may write to, or a file
    another user may write: never run, its source fails with a line naming
    the path; the same script in a safe place runs (script wrappers work
    from the checked descriptor)."""
    up = t.upstream()
    up.set("read", vector([series({"jobid": "101"}, "5")]))
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    script = ("#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
              "# squeue stand-in (e2e): one job, printed only if it runs\n"
              "echo '101|ran|alice'\n")
    cases = []
    wdir = t.mkdir("world-writable", 0o777)
    os.chmod(wdir, 0o777)
    write_file(os.path.join(wdir, "squeue"), script, 0o755)
    cases.append(("a directory writable by others", os.path.join(wdir, "squeue"), wdir))
    gfile = os.path.join(t.mkdir("group-writable-file"), "squeue")
    write_file(gfile, script, 0o775)
    os.chmod(gfile, 0o775)
    cases.append(("a file writable by its group", gfile, gfile))
    other = t.mkdir("owned-by-another")
    write_file(os.path.join(other, "squeue"), script, 0o755)
    os.chown(other, 4242, 4242)
    cases.append(("a directory of another user", os.path.join(other, "squeue"), other))
    for what, path, named in cases:
        ex = t.exporter(up, extra=["--path.squeue=" + path], name="unsafe-%d" % len(t.exporters))
        r, e = scrape(ex, what=what)
        log = ex.stderr()
        ups = source_up(e)
        t.expect(check, ups.get("slurm") == 0.0, "%s: source_up{slurm} %r, want 0" % (what, ups.get("slurm")))
        t.expect(check, not e.of("cluster_job_read_throughput_bytes"),
                 "%s: the script ran: %r" % (what, e.of("cluster_job_read_throughput_bytes")))
        t.expect(check, any(re.search(r"unsafe path.*%s" % re.escape(named), e)
                            for e in source_failures(log, "slurm")),
                 "%s: no line naming %s as unsafe:\n%s" % (what, named, tail(log, 4)))
        ex.stop()
    safe = os.path.join(t.mkdir("safe"), "squeue")
    write_file(safe, script, 0o755)
    ex = t.exporter(up, extra=["--path.squeue=" + safe], name="safe")
    r, e = scrape(ex, what="a safe path")
    got = sorted({s.labels.get("account") for s in e.of("cluster_job_read_throughput_bytes")})
    check(source_up(e).get("slurm") == 1.0 and got == ["ran"],
          "the same script in a safe place: source_up %r, accounts %r" % (source_up(e), got))


@test
def confine_helper_logs(t):
    """A helper's stderr is a pipe the exporter reads: a line forged to
    look like the exporter's own comes out escaped and tagged with the
    helper, and a flood (on stderr and as LOG records) is cut to the
    helper's budget per collection, with a line saying how much."""
    ex, e1, e2 = fault_scrapes(t, "accounts", "enforce", "logflood")
    log = ex.stderr()
    lines = log.split("\n")
    forged = [l for l in lines if l.startswith("ts=2000-01-01")]
    check(not forged, "a forged line reached the log as it was: %r" % forged[:2])
    relayed = [l for l in lines if "forged by a helper" in l]
    check(len(relayed) == 1 and "helper=accounts" in relayed[0] and "stderr: ts=2000-01-01" in relayed[0]
          and 'caller=main msg=\\"forged' in relayed[0],
          "the forged line, escaped and tagged with its helper: %r" % relayed)
    flood = [l for l in lines if "helper=accounts" in l and ("xxxxxxxx" in l or "of a flood" in l)]
    check(0 < len(flood) <= 100, "%d lines of the flood were logged, want at most the budget of 100" % len(flood))
    check([f for f in helper_lines(log, "accounts")
           if re.match(r"\d+ log lines \(\d+ bytes\) past the helper's budget", f.get("msg", ""))],
          "no line saying how much of the flood was dropped:\n%s" % tail(log, 5))
    check(scrape_ok(e2) == 1.0, "the scrape after the flood: scrape_ok %r" % scrape_ok(e2))


@test
def confine_command_sandbox_violation(t):
    """A command its filter kills (here squeue calling unshare) fails its
    source with a line that says it was a sandbox violation and how to
    find the syscall."""
    check(shutil.which("perl"), "perl is missing (Debian package perl-base)")
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    write_file(os.path.join(t.bin, "squeue"),
               "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
               "# squeue stand-in (e2e): a syscall no filter allows (unshare, x86-64: 272)\n"
               "exec perl -e 'syscall(272, 0); print \"101|survived|alice\\n\"'\n", 0o755)
    ex = t.exporter(up)
    r, e = scrape(ex)
    log = ex.stderr()
    check(source_up(e).get("slurm") == 0.0, "source_up %r, want slurm 0" % source_up(e))
    check(any(re.search(r"killed by signal SYS, a sandbox violation.*SECCOMP", e)
              for e in source_failures(log, "slurm")),
          "no line naming the sandbox violation and the audit log:\n%s" % tail(log, 4))


def landlock_abi():
    """The kernel's Landlock ABI (landlock_create_ruleset's version), 0
    without Landlock."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint(1))
    return max(abi, 0)


@test
def confine_landlock(t):
    """Landlock takes the file system and the network away: the promql
    helper opens no file outside what TLS and name resolution read,
    connects to no TCP port but the upstream's (and DNS, proxies), and
    creates no unix socket; no helper reaches an abstract unix socket;
    the parent reads only the directories of its
    configuration files, so a reload naming a file elsewhere fails.  The
    same attempts succeed under -sandbox=log, which sets no Landlock: the
    checks can fail."""
    abi = landlock_abi()
    check(abi >= 6, "this test needs Landlock ABI 6 (TCP rules: 4, scoping: 6); the kernel has ABI %d" % abi)
    write_file(PROBE_PATH, "probe\n", 0o644)
    t.cleanups.append(lambda: os.unlink(PROBE_PATH))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    t.cleanups.append(tcp.close)
    uds = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uds.bind("\0" + PROBE_SOCKET)
    uds.listen(16)
    t.cleanups.append(uds.close)
    port = tcp.getsockname()[1]
    # promql: a file, a TCP port, and no unix socket at all (name
    # resolution here needs no daemon: its filter answers EACCES); the
    # accounts helper, which may create unix sockets: no abstract one
    # outside its Landlock domain (EPERM, the scoping of ABI 6).
    probes = (("promql", "open", PROBE_PATH, "Permission denied"),
              ("promql", "connect:%d" % port, "127.0.0.1:%d" % port, "Permission denied"),
              ("promql", "abstract", "@" + PROBE_SOCKET, "Permission denied"),
              ("accounts", "abstract", "@" + PROBE_SOCKET, "Operation not permitted"))
    for mode in ("enforce", "log"):
        for helper, kind, what, why in probes:
            want = "refused: " + why if mode == "enforce" else "reached"
            ex, e1, e2 = fault_scrapes(t, helper, mode, kind)
            log = ex.stderr()
            t.expect(check, "probe %s: %s" % (what, want) in log,
                     "%s, -sandbox=%s, %s: want '%s':\n%s" % (helper, mode, what, want, tail(log, 4)))
            ex.stop()

    # The parent: a reload naming a certificate outside the directories
    # its rules were made for.  (WebDir comes from e2e_web.py, loaded
    # after this file.)
    class WebDir2(WebDir):
        """A second WebDir in the same test, in a directory of its own."""

        def __init__(self, t):
            self.t = t
            self.dir = t.mkdir("web2")
            self.pki = PKI(os.path.join(self.dir, "tls"))
            self.ca = self.pki.authority("ca", "pce-e2e CA 2")
            self.server = self.pki.server(self.ca, "server")
            self.path = os.path.join(self.dir, "web.yml")

    for mode, ok in (("enforce", False), ("log", True)):
        w = WebDir(t) if mode == "enforce" else WebDir2(t)
        w.write(web_yaml(tls=w.tls_files()))
        client = WebClient(w.ca.cert)
        up = t.upstream("upstream-web-" + mode)
        up.load_original()
        t.install_original_standins()
        up, ex = w.start(client, up=up, extra=["-sandbox=" + mode])
        elsewhere = t.mkdir("elsewhere-%s" % mode)
        for ext in ("pem", "key"):
            shutil.copy(os.path.join(w.dir, "tls", "server." + ext), os.path.join(elsewhere, "server." + ext))
            os.chmod(os.path.join(elsewhere, "server." + ext), 0o644)
        w.write(web_yaml(tls={"cert_file": os.path.join(elsewhere, "server.pem"),
                              "key_file": os.path.join(elsewhere, "server.key")}))
        line = reload_web(ex, ok, "-sandbox=%s: a certificate outside the configured directories" % mode)
        if not ok:
            t.expect(check, "Permission denied" in line,
                     "the refused reload does not say Permission denied: %r" % line)
        ex.stop()


PROBE_PATH = "/tmp/pce-e2e-landlock-probe"
PROBE_SOCKET = "pce-e2e-abstract-probe"

