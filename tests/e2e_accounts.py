# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios of the accounts helper's getent batches: several run
# at once, never more than four, within the scrape's deadline, and none is
# left behind.
# Runs inside tests/e2e.py's namespace (see _load_topics there).

ACCT_UID0 = 100000
# Six batches of MAX_GETENT_KEYS (1000, lib/caps.h): more than run at once.
ACCT_USERS = 5500
ACCT_GROUPS = 7
ACCT_GID0 = 30000
# The uid whose batch hangs in accounts_getent_hangs_in_one_batch.
ACCT_HANG_UID = ACCT_UID0 + 2500


def accounts_data(nusers=ACCT_USERS):
    """passwd and group files, a read answer with one proc series per
    user, and the proc rows the scrape must show for it."""
    passwd = "".join("u%d:x:%d:%d:U%d:/home/u%d:/bin/sh\n" % (
        i, ACCT_UID0 + i, ACCT_GID0 + i % ACCT_GROUPS, i, i) for i in range(nusers))
    group = "".join("g%d:x:%d:\n" % (j, ACCT_GID0 + j) for j in range(ACCT_GROUPS))
    read = vector([series({"jobid": "p.%d" % (ACCT_UID0 + i)}, str(i + 1)) for i in range(nusers)])
    want = {key_of("cluster_proc_read_throughput_bytes", group_name="g%d" % (i % ACCT_GROUPS),
                   proc_name="p", user_name="u%d" % i): float(i + 1) for i in range(nusers)}
    return passwd, group, read, want


def accounts_setup(t, nusers=ACCT_USERS):
    """An upstream with only proc read series, an empty queue, and a
    watched getent stand-in (it pauses before answering)."""
    passwd, group, read, want = accounts_data(nusers)
    up = t.upstream()
    up.set("metadata", vector([]))
    up.set("read", read)
    up.set("write", vector([]))
    t.install_squeue([])
    t.install_getent(passwd, group, watch=True)
    return up, passwd, group, want


def most_at_once(intervals):
    """The most (start, end) intervals open at one instant; an interval
    that ends when another starts does not overlap it."""
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    most = cur = 0
    for _, step in events:
        cur += step
        most = max(most, cur)
    return most


def getent_procs(w, names=("getent",)):
    """Every run of the stand-ins `names` the Watcher saw and their
    children, as still_running() takes them."""
    procs = {}
    for r in [r for name in names for r in w.standins(name)]:
        procs[r["pid"]] = {"pid": r["pid"], "start": r["start"], "comm": "getent(sh)", "state": "?"}
        for c in w.children(r["pid"]):
            procs[c["pid"]] = {"pid": c["pid"], "start": c["start"],
                               "comm": " ".join(c["cmdline"])[:60], "state": "?"}
    return procs


@test
def accounts_getent_batches_in_parallel(t):
    """A cold cache's getent batches run side by side, two to four at
    once, and every uid is resolved."""
    up, passwd, group, want = accounts_setup(t)
    w = t.watch()
    ex = t.exporter(up, timeout=20, log="INFO")
    r, e = scrape(ex, timeout=40 * SLOW, what="scrape with a cold accounts cache")
    t.note("%d uids resolved in %.2f s" % (ACCT_USERS, r.elapsed))
    check(scrape_ok(e) == 1.0, "scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e)))
    assert_same(e.values(DATA_FAMILIES), want, "proc rows of %d users" % ACCT_USERS)

    runs = w.standins("getent")
    passwd_runs = [x for x in runs if x["argv"][:1] == ["passwd"]]
    keys = [k for x in passwd_runs for k in x["argv"][1:]]
    check(len(passwd_runs) >= 6, "%d `getent passwd` runs for %d uids, want 6 or more "
          "(batches of 1000): %r" % (len(passwd_runs), ACCT_USERS,
                                     [len(x["argv"]) - 1 for x in passwd_runs]))
    check(all(len(x["argv"]) - 1 <= 1000 for x in passwd_runs),
          "a `getent passwd` run with more than 1000 keys: %r" % [len(x["argv"]) - 1 for x in passwd_runs])
    check(sorted(keys) == sorted(str(ACCT_UID0 + i) for i in range(ACCT_USERS)),
          "the `getent passwd` keys are not each uid once (%d keys, %d distinct)" % (
              len(keys), len(set(keys))))
    # Every run has been reaped, so each has an end.
    deadline = time.monotonic() + 2 * SLOW
    while any(end is None for _, end in w.intervals("getent")) and time.monotonic() < deadline:
        time.sleep(0.05)
    spans = w.intervals("getent")
    check(all(end is not None for _, end in spans), "getent runs still going after the scrape: %r" % spans)
    most = most_at_once(spans)
    t.note("%d getent runs, at most %d at once" % (len(spans), most))
    check(most >= 2, "the getent batches ran one after another (at most %d at once)" % most)
    check(most <= 4, "%d getent runs at once, want at most 4" % most)


@test
def accounts_getent_hangs_in_one_batch(t):
    """One getent batch that hangs fails the accounts source alone at the
    deadline; no getent, nor a child of one, outlives the scrape, and the
    next scrape is whole."""
    up, passwd, group, want = accounts_setup(t)
    real = os.path.join(t.bin, "getent.real")
    os.rename(os.path.join(t.bin, "getent"), real)
    write_file(os.path.join(t.bin, "getent"),
               "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
               "# getent stand-in (e2e) that hangs on one uid's batch\n"
               'case " $* " in\n*" %d "*) sleep 300 & wait ;;\nesac\n'
               'exec %s "$@"\n' % (ACCT_HANG_UID, sh_quote(real)), 0o755)
    w = t.watch()
    ex = t.exporter(up, timeout=3)
    limit = 3 + 1.5 * SLOW
    r, e = scrape(ex, timeout=30, what="scrape with one getent batch hung")
    t.note("scrape with one getent batch hung took %.2f s" % r.elapsed)
    t.expect(check, r.elapsed <= limit, "the scrape took %.2f s, want <= %.1f s" % (r.elapsed, limit))
    ups = source_up(e)
    t.expect(check, ups == {s: (0.0 if s == "accounts" else 1.0) for s in SOURCES},
             "source_up %r, want accounts alone 0" % ups)
    got = e.values(DATA_FAMILIES)
    t.expect(check, all(k in want and got[k] == want[k] for k in got),
             "rows that are not the users' own: %r" % sorted(k for k in got if got[k] != want.get(k))[:5])
    hung = [k for k in got if dict(k[1]).get("user_name") == "u%d" % (ACCT_HANG_UID - ACCT_UID0)]
    t.expect(check, not hung, "a row for uid %d, whose getent hung: %r" % (ACCT_HANG_UID, hung))
    log = ex.stderr()
    failed = source_failures(log, "accounts")
    t.expect(check, failed and "deadline" in failed[0],
             "no log line saying the accounts source failed at its deadline: %r" % failed[:2])
    t.expect(check, restarts_of(e).get("accounts", 0) >= 1,
             "the accounts helper was not restarted: %r" % restarts_of(e))
    # It answered the other batches, then was killed: its figures are
    # not shown as those of the instance that replaced it.
    dead = helper_figures(e, "start_time_seconds").get("accounts")
    t.expect(check, dead is None, "figures of the accounts helper killed at the deadline: start time %r" % dead)

    # The wrapper execs getent.real at once but for the hung batch: the
    # Watcher mostly sees the runs under that name.
    procs = getent_procs(w, ("getent", "getent.real"))
    sleeps = [p for p in procs.values() if p["comm"].startswith("sleep 300")]
    check(sleeps, "the watcher saw no `sleep 300` under the hanging getent (recorded %r)" %
          [x for x in w.records if x["kind"] == "child"][:10])
    runs = [p for p in procs.values() if p["comm"] == "getent(sh)"]
    check(len(runs) >= 2, "only %d getent runs seen" % len(runs))
    alive = wait_gone(procs, 2.0 * SLOW)
    kill_procs(alive)
    check(not alive, "getent runs or their children still there %.1f s after the scrape: %s" % (
        2.0 * SLOW, describe(alive)))

    t.install_getent(passwd, group)
    r, e = scrape(ex, timeout=30, what="scrape after getent was fixed")
    check(scrape_ok(e) == 1.0, "after fixing getent: scrape_ok %r, source_up %r" % (
        scrape_ok(e), source_up(e)))
    assert_same(e.values(DATA_FAMILIES), want, "proc rows after fixing getent")
