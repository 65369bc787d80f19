# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios: each source fails alone, against one deadline.
# Runs inside tests/e2e.py's namespace (see _load_topics there).


def helper_pid(ex, name):
    """The pid of the exporter's live helper `name` (comm), or None."""
    for pid, st in ex.tree().items():
        if st["comm"] == name and st["state"] not in ("Z", "X"):
            return pid
    return None


def wait_helper(ex, name, other_than=None, limit=5.0):
    """Waits for a live helper `name` whose pid is not other_than."""
    deadline = time.monotonic() + limit * SLOW
    while time.monotonic() < deadline:
        pid = helper_pid(ex, name)
        if pid is not None and pid != other_than:
            return pid
        time.sleep(0.02)
    raise Fail("no fresh %s helper %.0f s after the old one died" % (name, limit * SLOW))


PROC_READ = [("cp.5689", "1000.5"), ("dd.6812", "250")]


def read_with_procs():
    """The original read answer plus two proc series (kim, lee)."""
    body = json.loads(original_bytes("read.json"))
    for jobid, v in PROC_READ:
        body["data"]["result"].append(series({"jobid": jobid}, v))
    return json.dumps(body)


def proc_read_want():
    return {
        key_of("cluster_proc_read_throughput_bytes", group_name="hpcusers",
               proc_name="cp", user_name="kim"): 1000.5,
        key_of("cluster_proc_read_throughput_bytes", group_name="guests",
               proc_name="dd", user_name="lee"): 250.0,
    }


@test
def hung_query_cold_cache(t):
    """One hung upstream query with the accounts cache cold costs that
    query only: the uids of the others are looked up while it hangs."""
    up = t.upstream()
    up.set("metadata", original_bytes("metadata.json"), delay=60)
    up.set("read", read_with_procs())
    t.install_original_standins()
    # A directory that answers in 0.8 s (an LDAP server across the site):
    # more than what is left once the hung query gives up.
    getent = os.path.join(t.bin, "getent")
    os.rename(getent, getent + ".real")
    write_file(getent, "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
               "sleep 0.8\nexec %s \"$@\"\n" % sh_quote(getent + ".real"), 0o755)
    ex = t.exporter(up, timeout=3, extra=["--accounts.cache-ttl=0"])
    for i in range(2):
        r, e = scrape(ex, timeout=10 * SLOW, what="scrape %d with metadata hung" % i)
        ups = source_up(e)
        want = {s: (0.0 if s == "metadata" else 1.0) for s in SOURCES}
        check(ups == want, "scrape %d: source_up %r, want %r" % (i, ups, want))
        check(r.elapsed <= 3 + 1.0 * SLOW, "scrape %d took %.2f s, want <= %.1f s" % (
            i, r.elapsed, 3 + 1.0 * SLOW))
        got = {k: v for k, v in e.values(READ_FAMILIES).items()
               if k[0].startswith("cluster_proc_")}
        assert_same(got, proc_read_want(), "scrape %d: proc read series" % i)
        job_want = {k: v for k, v in expected_subset(READ_FAMILIES).items()
                    if k[0].startswith("cluster_job_")}
        assert_same({k: v for k, v in e.values(READ_FAMILIES).items()
                     if k[0].startswith("cluster_job_")}, job_want,
                    "scrape %d: job read series" % i)
        check(not e.of(*META_FAMILIES), "scrape %d: metadata series from a hung query" % i)
    restarts = restarts_of(e)
    check(restarts.get("accounts") == 0.0,
          "the accounts helper was restarted %r times; a hung query must not cost it" % (
              restarts.get("accounts"),))


@test
def helper_killed_while_idle(t):
    """A helper killed between scrapes is restarted before the next one,
    which loses nothing."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up, timeout=5)
    r, e = scrape(ex, what="baseline scrape")
    check_original(e, "baseline scrape")
    for n, name in enumerate(HELPERS):
        old = helper_pid(ex, name)
        check(old is not None, "no %s helper in the exporter's tree: %s" % (
            name, describe(ex.tree().values())))
        old_start = helper_figures(e, "start_time_seconds").get(name)
        check(old_start is not None, "no start time of the %s helper before the kill" % name)
        os.kill(old, signal.SIGKILL)
        new = wait_helper(ex, name, other_than=old)
        r, e = scrape(ex, what="scrape after killing the idle %s helper" % name)
        # The new instance's figures, or none yet (accounts, with its
        # cache warm, is not asked): never the dead one's.
        new_start = helper_figures(e, "start_time_seconds").get(name)
        check(new_start is None or new_start > old_start,
              "%s: helper_start_time_seconds %r after the restart, the dead instance's was %r" % (
                  name, new_start, old_start))
        check(new_start is not None or name == "accounts",
              "%s: no figures of the new instance, which answered" % name)
        check(scrape_ok(e) == 1.0, "after killing %s (pid %d, now %d): scrape_ok %r, source_up %r" % (
            name, old, new, scrape_ok(e), source_up(e)))
        check_original(e, "after killing the idle %s helper" % name)
        check(restarts_of(e).get(name) == 1.0, "%s: restarts %r, want 1" % (name, restarts_of(e)))
        check(helper_pid(ex, name) == new, "%s restarted again by the scrape" % name)
    log = ex.stderr()
    for name in HELPERS:
        check([f for f in helper_lines(log, name)
               if f.get("msg", "").startswith("helper lost") and f.get("err") == "ended while idle"
               and f.get("pid", "").isdigit()],
              "no log line for the %s helper's death while idle" % name)


@test
def stopped_spawner(t):
    """With the spawner stopped, a scrape that needs a new helper still
    answers within its deadline; once it runs again, scrapes recover."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up, timeout=3)
    r, e = scrape(ex, what="baseline scrape")
    check_original(e, "baseline scrape")
    spawner = helper_pid(ex, "pce-spawner")
    check(spawner is not None, "no spawner in the exporter's tree")
    promql = helper_pid(ex, "promql")
    os.kill(spawner, signal.SIGSTOP)
    try:
        os.kill(promql, signal.SIGKILL)
        for i in range(3):
            r, e = scrape(ex, timeout=10 * SLOW, what="scrape %d with the spawner stopped" % i)
            check(r.elapsed <= 3 + 0.5 * SLOW, "scrape %d with the spawner stopped took %.2f s, "
                  "want <= %.1f s" % (i, r.elapsed, 3 + 0.5 * SLOW))
            ups = source_up(e)
            for src in ("metadata", "read", "write"):
                check(ups.get(src) == 0.0, "scrape %d: source_up{%s} %r with no promql helper" % (
                    i, src, ups.get(src)))
            check(ups.get("slurm") == 1.0, "scrape %d: the live slurm helper failed too: %r" % (i, ups))
    finally:
        os.kill(spawner, signal.SIGCONT)
    wait_helper(ex, "promql", other_than=promql)
    r, e = scrape(ex, what="scrape after the spawner resumed")
    check(scrape_ok(e) == 1.0, "after the spawner resumed: scrape_ok %r, source_up %r" % (
        scrape_ok(e), source_up(e)))
    check_original(e, "after the spawner resumed")


def spawn_with_pid(pid, argv, uid, gid, tries=200):
    """Starts argv as uid/gid in a session of its own, with pid `pid`
    (root only: through /proc/sys/kernel/ns_last_pid).  Returns the
    Popen, or None when another process took the pid first."""
    def demote():
        os.setgid(gid)
        os.setuid(uid)
    for _ in range(tries):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        p = subprocess.Popen(argv, preexec_fn=demote, start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        if p.pid == pid:
            return p
        p.kill()
        p.wait()
        # The pid may still be held (a zombie's): nothing to take yet.
        time.sleep(0.01)
    return None


@test
def recycled_pid(t):
    """The pid of a crashed helper, reused by an unrelated process group of
    the same user, is never signalled."""
    check(os.geteuid() == 0 and os.access("/proc/sys/kernel/ns_last_pid", os.W_OK),
          "this test needs root and a writable /proc/sys/kernel/ns_last_pid to hand a "
          "crashed helper's pid to another process")
    import pwd
    nobody = pwd.getpwnam("nobody")
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up, timeout=5)
    r, e = scrape(ex, what="baseline scrape")
    old = helper_pid(ex, "promql")
    check(old is not None, "no promql helper")
    os.kill(old, signal.SIGKILL)
    # The exporter's user gets the pid, in a process group of its own.
    victim = None
    # Other processes forking on the machine (a parallel build) can take
    # the pid first: keep trying for a while.
    deadline = time.monotonic() + 30 * SLOW
    while victim is None and time.monotonic() < deadline:
        # The restarted helper may itself get the pid (its fork races
        # ours): kill it again; its restart then backs off a second.
        if helper_pid(ex, "promql") == old:
            try:
                os.kill(old, signal.SIGKILL)
            except ProcessLookupError:
                pass
            time.sleep(0.05)
        victim = spawn_with_pid(old, ["sleep", "120"], nobody.pw_uid, nobody.pw_gid, tries=20)
    check(victim is not None, "could not start a process with pid %d within %.0f s (other "
          "processes kept taking it)" % (old, 30 * SLOW))
    try:
        for i in range(3):
            r, e = scrape(ex, what="scrape %d after the promql helper crashed" % i)
            check(victim.poll() is None, "scrape %d: the process that reused pid %d was killed "
                  "(status %r)" % (i, old, victim.returncode))
            # And once more a crash, so that the exporter kills and reaps
            # (the restarts back off: several quick deaths came before).
            cur = helper_pid(ex, "promql")
            if i == 0 and cur is not None:
                os.kill(cur, signal.SIGKILL)
                wait_helper(ex, "promql", other_than=cur, limit=40)
        wait_helper(ex, "promql", limit=40)
        r, e = scrape(ex, what="last scrape")
        check(scrape_ok(e) == 1.0, "last scrape: source_up %r" % source_up(e))
        check(victim.poll() is None, "the process that reused pid %d was killed" % old)
    finally:
        if victim.poll() is None:
            victim.kill()
        victim.wait()


@test
def source_over_budget(t):
    """A source beyond its budget fails alone, with a line naming the flag."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    # The original data: metadata sends 7 MDT series (its 2 OST series are
    # dropped in the helper), read 8, squeue 14 jobs.  A key budget of 8
    # fails slurm alone.
    ex = t.exporter(up, extra=["--source.max-keys=8"])
    r, e = scrape(ex, what="scrape with --source.max-keys=8")
    ups = source_up(e)
    check(ups.get("slurm") == 0.0, "slurm with 14 jobs over a key budget of 8: %r" % ups)
    check(all(ups.get(s) == 1.0 for s in SOURCES if s != "slurm"),
          "sources within the budget failed too: %r" % ups)
    check("more than 8 distinct keys, its budget (--source.max-keys)" in ex.stderr(),
          "no log line naming --source.max-keys")
    check(not e.of("cluster_job_read_throughput_bytes"),
          "job series without squeue data")
    ex.stop()
    # A record budget of 7: read's 8 series (and slurm's 14 jobs) are too
    # many; metadata's 7 fit exactly.
    ex = t.exporter(up, extra=["--source.max-records=7"])
    r, e = scrape(ex, what="scrape with --source.max-records=7")
    ups = source_up(e)
    check(ups.get("read") == 0.0, "read with 8 series over a record budget of 7: %r" % ups)
    check(ups.get("metadata") == 1.0 and ups.get("write") == 1.0 and ups.get("accounts") == 1.0,
          "others failed too: %r" % ups)
    check(not e.of(*READ_FAMILIES), "read series from a source over its budget")
    check("more than 7 records, its budget (--source.max-records)" in ex.stderr(),
          "no log line naming --source.max-records")
    check(restarts_of(e).get("promql") == 0.0, "a query over its budget is no fault of "
          "the promql helper: restarts %r" % (restarts_of(e),))


@test
def helper_backoff(t):
    """A helper that keeps dying soon after its start is restarted after a
    growing pause, logged and counted, not in a tight loop."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up, timeout=5)
    pid = helper_pid(ex, "promql")
    check(pid is not None, "no promql helper")
    os.kill(pid, signal.SIGKILL)
    pid2 = wait_helper(ex, "promql", other_than=pid)
    t0 = time.monotonic()
    os.kill(pid2, signal.SIGKILL)
    pid3 = wait_helper(ex, "promql", other_than=pid2)
    paused = time.monotonic() - t0
    check(paused >= 0.9, "the second quick death was restarted after %.2f s, want about 1 s" % paused)
    check([f for f in helper_lines(ex.stderr(), "promql")
           if f.get("pid") == str(pid2) and f.get("err") == "ended while idle"
           and f.get("msg") == "helper lost; it died 2 times in a row within 10 s of its start: "
                               "next start in 1 s"],
          "no log line announcing the backoff")
    r, e = scrape(ex, what="scrape after the backoff")
    check(scrape_ok(e) == 1.0, "after the backoff: source_up %r" % source_up(e))
    check(restarts_of(e).get("promql") == 2.0, "restarts %r, want 2 for promql" % restarts_of(e))
    check(helper_pid(ex, "promql") == pid3, "the helper was restarted again")


@test
def unmatched_series_counts(t):
    """squeue showing only one user's jobs, as Slurm's PrivateData=jobs
    does for a user who is not an operator: nothing fails, and
    cluster_exporter_unmatched_series{reason="job_not_in_squeue"} counts
    exactly the series of the jobs it hid."""
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    jobs = original_jobs()
    seen = [j for j in jobs if j[2] == jobs[0][2]]
    check(0 < len(seen) < len(jobs), "the original's data has one user only")
    t.install_squeue(["%s|%s|%s" % j for j in seen])
    ex = t.exporter(up)
    r, e = scrape(ex, what="scrape with one user's jobs")
    check(scrape_ok(e) == 1.0, "scrape_ok %r: hidden jobs are not a failure" % scrape_ok(e))
    shown = {j[0] for j in seen}
    series = json.loads(original_bytes("read.json"))["data"]["result"]
    want = sum(1 for s in series if s["metric"].get("jobid", "").isdigit()
               and s["metric"]["jobid"] not in shown)
    check(want > 0, "every read series belongs to the shown user's jobs")
    got = {(s.labels.get("source"), s.labels.get("reason")): s.value
           for s in e.of("cluster_exporter_unmatched_series")}
    check(len(got) == 9 and {k[0] for k in got} == {"metadata", "read", "write"},
          "cluster_exporter_unmatched_series: want 3 sources x 3 reasons, got %r" % sorted(got))
    check(got.get(("read", "job_not_in_squeue")) == want,
          "unmatched read series of hidden jobs: %r, want %d" % (got.get(("read", "job_not_in_squeue")), want))
    check(got.get(("write", "job_not_in_squeue")) == 0.0, "write (no series): %r" % got)
    rows = {dict(k[1]).get("user") for k in e.values(("cluster_job_read_throughput_bytes",))}
    check(rows == {jobs[0][2]}, "read rows: users %r, want only %r, whose jobs squeue showed" % (
        rows, jobs[0][2]))
