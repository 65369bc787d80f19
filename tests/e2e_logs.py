# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios for the exporter's own log: a stderr that stops
# taking lines holds up no answer, and a line repeated by looping clients
# is written a bounded number of times.  Runs inside tests/e2e.py's
# namespace (see _load_topics there).

import fcntl

# The smallest pipe buffer Linux gives (a page): a stalled reader is felt
# after a few lines instead of 64 KiB of them.
STALL_PIPE_SIZE = 4096
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
LOG_DROPPED = "cluster_exporter_log_lines_dropped_total"
DROPPED_NOTE_RE = re.compile(
    r'^ts=\S+ level=warn caller=\S+ msg="log lines dropped: (\d+);', re.M)
# lib/log.h: LOG_REPEAT_BURST lines of one text per LOG_REPEAT_INTERVAL_S.
REPEAT_BURST = 5
REPEAT_INTERVAL_S = 10
# A line that says how many were held back: lib/log's summary, or the
# overlap guard's own count.
HELD_COUNT_RE = re.compile(
    r"\b\d+ (?:similar lines? suppressed|scrapes? skipped)\b")


class StalledStderrExporter(Exporter):
    """An Exporter whose stderr is a small pipe nobody reads (a stalled
    journald) until resume(); then a thread reads it to the end.  stop()
    resumes first, so shutdown never waits on the pipe, and leaves what
    was read in stderr_path for the failure report."""

    def __init__(self, ctx, args, port, timeout, env):
        self.ctx, self.name, self.args, self.port = ctx, "exporter-stalled", args, port
        self.timeout = timeout
        self.stderr_path = os.path.join(ctx.logs, self.name + ".stderr")
        self.stdout_path = os.path.join(ctx.logs, self.name + ".stdout")
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self._buf = bytearray()
        self._lock = threading.Lock()
        self._reader = None
        rd, wr = os.pipe()
        try:
            fcntl.fcntl(rd, F_SETPIPE_SZ, STALL_PIPE_SIZE)
            self.proc = subprocess.Popen([EXPORTER] + args, stdin=subprocess.DEVNULL,
                                         stdout=self._out, stderr=wr, env=env,
                                         cwd=ctx.dir, start_new_session=True)
        except BaseException:
            os.close(rd)
            raise
        finally:
            os.close(wr)
        self._rd = rd
        self.pid = self.proc.pid
        self.stopped = False
        ctx.exporters.append(self)
        self.wait_ready()

    def _read(self):
        while True:
            try:
                chunk = os.read(self._rd, 65536)
            except OSError:
                break
            if not chunk:
                break
            with self._lock:
                self._buf += chunk

    def resume(self):
        """Starts reading the pipe, as a journald that came back."""
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def stderr(self):
        with self._lock:
            return bytes(self._buf).decode("utf-8", "replace")

    def wait_stderr(self, pred, limit, what):
        """Waits until pred(stderr text) holds; returns the text."""
        deadline = time.monotonic() + limit * SLOW
        while True:
            text = self.stderr()
            if pred(text):
                return text
            if time.monotonic() >= deadline:
                raise Fail("%s: not seen %.0f s after the pipe was read again; "
                           "stderr tail:\n%s" % (what, limit * SLOW, tail(text, 15)))
            time.sleep(0.05)

    def stop(self, grace=5.0):
        if self.stopped:
            return []
        self.resume()
        problems = super().stop(grace)
        self._reader.join(5)
        if self._reader.is_alive():
            problems.append("%s: stderr pipe still open after exit" % self.name)
        else:
            os.close(self._rd)
        with open(self.stderr_path, "wb") as f:
            f.write(self.stderr().encode("utf-8"))
        return problems


def stalled_exporter(t, up, timeout=5):
    """The exporter as t.exporter() starts it (-log=DEBUG), stderr stalled."""
    check(os.access(EXPORTER, os.X_OK),
          "exporter binary %s is missing or not executable (run `make` first)" % EXPORTER)
    port = free_port()
    args = ["-promserver=" + up.url, "--web.listen-address=127.0.0.1:%d" % port,
            "-timeout=%d" % timeout, "-timerange=1m", "-log=DEBUG",
            "--sandbox.read-path=" + t.dir] + SAN_ARGS
    env = dict(os.environ)
    env["PATH"] = t.bin + ":/usr/bin:/bin"
    return StalledStderrExporter(t, args, port, timeout, env)


@test
def logs_stalled_stderr(t):
    """stderr on a pipe nobody reads: every request is still answered in
    time, lines that do not fit are dropped and counted, and once the pipe
    is read again a line says how many."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = stalled_exporter(t, up)
    # Each one costs a debug line of about 330 bytes, written (before the
    # queue) by the HTTP thread itself: 1200 are more than the 4 KiB pipe
    # and a queue of 256 KiB hold together.
    bad = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon in this header\r\n\r\n"
    hdrs = {"X-Prometheus-Scrape-Timeout-Seconds": "3"}
    t0 = time.monotonic()
    scrapes, slowest, e = 0, 0.0, None
    for i in range(1200):
        try:
            status = raw_http(ex.port, bad, timeout=2.0 * SLOW)
        except (socket.timeout, OSError) as exc:
            raise Fail("malformed request %d of 1200 (%.1f s in, %d scrapes answered): "
                       "no answer within %.0f s (%s): a log write holds up the HTTP thread"
                       % (i + 1, time.monotonic() - t0, scrapes, 2.0 * SLOW,
                          type(exc).__name__))
        check(status is not None and re.match(r"HTTP/1\.[01] 400 ", status),
              "malformed request %d: answered %r, want 400" % (i + 1, status))
        if i % 40 == 39:
            what = "scrape %d with stderr stalled" % (scrapes + 1)
            r, e = scrape(ex, timeout=4.0 * SLOW, headers=hdrs, what=what)
            check(r.elapsed < 3.0 * SLOW, "%s took %.2f s" % (what, r.elapsed))
            check(scrape_ok(e) == 1.0, "%s: scrape_ok %r, source_up %r" % (
                what, scrape_ok(e), source_up(e)))
            slowest = max(slowest, r.elapsed)
            scrapes += 1
            # Spread over a few seconds, as scrapers would.
            time.sleep(0.05)
    t.note("1200 malformed requests and %d scrapes in %.1f s with stderr stalled; "
           "slowest scrape %.3f s" % (scrapes, time.monotonic() - t0, slowest))
    check(scrapes >= 30, "only %d scrapes" % scrapes)
    dropped = e.of(LOG_DROPPED) if e is not None else []
    if dropped:
        check(dropped[0].value > 0, "%s is %r after the stall, want > 0" % (
            LOG_DROPPED, dropped[0].value))
    else:
        t.note("%s not exported yet" % LOG_DROPPED)

    ex.resume()
    text = ex.wait_stderr(lambda s: DROPPED_NOTE_RE.search(s), 10,
                          "a line saying how many log lines were dropped")
    notes = [int(n) for n in DROPPED_NOTE_RE.findall(text)]
    t.note("dropped, as the log says: %s" % notes)
    check(sum(notes) > 0, "the notes say nothing was dropped: %r" % notes)
    check_logfmt(text, "exporter stderr after the stall")
    if dropped:
        check(sum(notes) <= dropped[0].value + 1000,
              "notes say %d dropped, the counter %r" % (sum(notes), dropped[0].value))
    # Lines go out at once again.
    before = text.count("\n")
    status = raw_http(ex.port, bad, timeout=2.0 * SLOW)
    check(status is not None and " 400 " in status, "after the stall: answered %r" % status)
    ex.wait_stderr(lambda s: s.count("\n") > before, 5,
                   "the line of a malformed request after the stall")
    r, e = scrape(ex, what="scrape after the stall")
    check(scrape_ok(e) == 1.0, "after the stall: scrape_ok %r" % scrape_ok(e))


@test
def logs_repeated_warning(t):
    """Four looping clients whose scrapes end before the collection they
    wait for (its upstream answers in 3 s): the overlap guard's warning is
    written a few times, not once per skipped scrape, and a later line
    says how many were held back."""
    up = t.upstream()
    up.load_original()
    up.set("metadata", delay=3)
    t.install_original_standins()
    ex = t.exporter(up, timeout=8)
    short = {"X-Prometheus-Scrape-Timeout-Seconds": "1"}
    skipped = [0] * 4
    errors = []

    def slow():
        # Starts the collection, with all of -timeout to finish it.
        try:
            http_request(ex.port, "GET", "/metrics", timeout=15 * SLOW)
        except Exception as exc:
            errors.append("slow scrape: %s: %s" % (type(exc).__name__, exc))

    def client(k, until, starter):
        while time.monotonic() < until and starter.is_alive():
            try:
                r = http_request(ex.port, "GET", "/metrics", headers=short,
                                 timeout=5 * SLOW)
            except Exception as exc:
                errors.append("client %d: %s: %s" % (k, type(exc).__name__, exc))
                return
            # Skipped: scrape_ok 0 without the sources of a collection.
            if re.search(rb"^cluster_exporter_scrape_ok 0$", r.body, re.M) and \
                    SOURCE_UP.encode() not in r.body:
                skipped[k] += 1

    def round_of(clients, seconds):
        starter = threading.Thread(target=slow)
        starter.start()
        time.sleep(0.3)
        until = time.monotonic() + seconds
        ths = [threading.Thread(target=client, args=(k, until, starter))
               for k in range(clients)]
        for th in ths:
            th.start()
        for th in ths + [starter]:
            th.join(seconds + 20)
        check(not errors, "; ".join(errors[:4]))

    t0 = time.monotonic()
    round_of(4, 4.0)
    lines = [l for l in ex.stderr().split("\n") if SKIP_LINE in l]
    t.note("%d scrapes skipped in %.1f s, %d warning lines" % (
        sum(skipped), time.monotonic() - t0, len(lines)))
    check(sum(skipped) >= 12, "only %d scrapes were skipped; the scenario "
          "did not overlap" % sum(skipped))
    check(len(lines) <= REPEAT_BURST + 1,
          "%d scrapes skipped gave %d lines with %r, want at most %d:\n%s" % (
              sum(skipped), len(lines), SKIP_LINE, REPEAT_BURST + 1,
              "\n".join(lines[:8])))
    check(lines, "no %r line at all" % SKIP_LINE)
    check_logfmt(ex.stderr())

    # Once the interval is over, the count of what was held back comes
    # out (by itself, or with the next such line: a second round).
    wait = REPEAT_INTERVAL_S + 0.5 - (time.monotonic() - t0)
    if wait > 0:
        time.sleep(wait)
    round_of(2, 1.5)
    deadline = time.monotonic() + 3 * SLOW
    while True:
        counted = [l for l in ex.stderr().split("\n")
                   if SKIP_LINE in l and HELD_COUNT_RE.search(l)]
        if counted or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    check(counted, "no line with %r says how many were held back; its lines:\n%s" % (
        SKIP_LINE, "\n".join(l for l in ex.stderr().split("\n") if SKIP_LINE in l)))
    t.note("count line: %s" % counted[0][counted[0].find("msg="):])


@test
def logs_fields(t):
    """--log.format=json: every line is one JSON object with ts, level,
    caller and msg, and the details are fields of their own: a failed
    source says source=, duration= and err=, the start-up line version=
    and revision=, a helper's lines helper= and pid=.  The same details in
    logfmt (missing_commands reads those)."""
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    # No squeue anywhere in this PATH: the slurm source fails every scrape.
    ex = t.exporter(up, extra=["--log.format=json"], env_extra={"PATH": t.bin})
    r, e = scrape(ex, what="scrape without squeue")
    check(source_up(e).get("slurm") == 0.0, "source_up %r, want slurm 0" % source_up(e))
    time.sleep(0.2)
    lines = [l for l in ex.stderr().split("\n") if l]
    docs, bad = [], []
    for l in lines:
        try:
            d = json.loads(l)
        except ValueError:
            bad.append(l)
            continue
        if not (isinstance(d, dict) and all(isinstance(d.get(k), str) for k in ("ts", "level", "caller", "msg"))):
            bad.append(l)
        else:
            docs.append(d)
    check(docs and not bad, "%d of %d lines are not JSON objects with ts, level, caller and msg: %r" % (
        len(bad), len(lines), bad[:3]))
    levels = {d["level"] for d in docs}
    check(levels <= {"error", "warn", "info", "debug", "trace"}, "levels %r" % sorted(levels))
    failed = [d for d in docs if d["msg"] == "source failed" and d.get("source") == "slurm"]
    check(failed, "no source failed line with source=slurm among:\n%s" % "\n".join(lines[-6:]))
    f = failed[0]
    t.expect(check, f["level"] == "error" and f.get("err") and re.match(r"^\d+\.\d{3}s$", f.get("duration", "")),
             "the failed source's line lacks level=error, err= or duration=: %r" % f)
    version = re.search(r"^VERSION\s*:?=\s*(\S+)", read_text(os.path.join(ROOT, "Makefile")), re.M).group(1)
    start = [d for d in docs if d["msg"] == "starting prometheus-cluster-exporter"]
    t.expect(check, start and start[0].get("version") == version and start[0].get("revision"),
             "the start-up line lacks version=%s or revision=: %r" % (version, start[:1]))
    started = [d for d in docs if d["msg"] == "helper started"]
    t.expect(check, {d.get("helper") for d in started} >= {"slurm", "accounts", "promql"}
             and all(re.match(r"^\d+$", d.get("pid", "")) for d in started),
             "helper started lines without helper= and pid=: %r" % started[:3])
    # Nothing but fields after msg: no detail left inside a source's msg.
    t.expect(check, not [d for d in docs if re.match(r"^source \S+ failed", d["msg"])],
             "a line still puts the source inside msg")
