# SPDX-License-Identifier: Apache-2.0
"""The whole exporter from 1x to 16x a large site (`make bench`).

    PCE_BUILD=build /usr/bin/python3 tests/bench_scale.py \\
        [--scales 1,2,4,8,16] [--reps 3] [--keep]

Runs as root: the exporter's processes drop to user nobody and are not
dumpable, so only root reads their /proc/PID/statm and task lists.

Scale 1x is a site of 20 000 jobs (500 accounts, users out of 50 000),
100 000 metadata series (most jobs on fs-MDT0000..0003, plus
procname.uid series on two MDTs each), 30 000 read and 30 000 write
series, with jobids that squeue no longer lists and uids that passwd no
longer has: about 13 MB of JSON, and some 26 000 uids for a cold cache
to resolve.  Scale kx multiplies jobs and series by k; users stay at
50 000.  A fake upstream in this process serves the three answers from
memory over HTTP/1.1; squeue and getent are the stand-ins of the
end-to-end suite (cat of a file; awk over a generated passwd and group
file), in a temporary directory under /tmp.

One exporter (--collector.min-interval=0: every scrape collects;
--accounts.cache-ttl=1h: the cache stays warm for the whole run) goes
through the scales in order.  Per scale it prints one table row:

  JSON             bytes of the three answers together
  warm scrape      median wall time of --reps scrapes (GET /metrics,
                   whole body read), each a new collection, with every
                   uid of the scale in the accounts cache (when a scale
                   brings new uids, one scrape fills the cache first;
                   it is not counted)
  floor            median wall time of --reps runs of what no exporter
                   can avoid: the three answers fetched from the same
                   fake upstream and the squeue stand-in run, all four
                   at once
  warm/floor       warm scrape divided by floor
  cost per doubling  (warm / warm of the previous scale) **
                   (1 / log2(scale / previous scale)); target: at most
                   2.1
  peak RSS (tree)  the highest, over the warm scrapes, of the summed
                   RSS of the exporter, its spawner, its helpers and the
                   commands they run, read at one instant from
                   /proc/PID/statm; the tree is walked from the
                   exporter's pid through /proc/PID/task/*/children at
                   each sample, every SAMPLE_S; a page shared by two
                   processes counts twice
  scrape_ok        cluster_exporter_scrape_ok of the warm scrapes
  samples          cluster_job_* and cluster_proc_* samples of a scrape

A scale is correct when each of its scrapes has scrape_ok 1 and, for
each cluster_job_* and cluster_proc_* family, exactly as many samples
as the generator's distinct rows; the exit status is 1 otherwise.

At 1x, on the freshly started exporter, it also measures the cold
accounts cache: the first scrape's time minus the warm median, against
the same getent lookups run back to back with the same stand-in (the
uids the scrape needs, sorted, MAX_GETENT_KEYS a run, then their
primary gids likewise: helpers/accounts.c cuts every request into runs
of MAX_GETENT_KEYS keys); target: at most 2x.  Idle RSS of the tree is
the median of IDLE_SAMPLE_S of samples taken IDLE_WAIT_S after a
scrape.  The accounts cache's share of it is estimated as the idle tree
after the cold 1x scrape minus the idle tree before any scrape, which
also counts what the exporter keeps of its last collection.  After the
largest scale the idle tree should be at most 25 MB plus that share.
MB are 10^6 bytes.
"""

import argparse
import http.client
import http.server
import math
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (the suite's stand-ins, exporter and cleanup)

SCALES = (1, 2, 4, 8, 16)
REPS = 3
SAMPLE_S = 0.003        # between two samples of the process tree
IDLE_WAIT_S = 1.0       # after a scrape, before the idle samples
IDLE_SAMPLE_S = 1.0
EXPORTER_TIMEOUT = 300  # -timeout: a slow 16x is a figure, not a failure
IDLE_TARGET = 25e6
COLD_TARGET = 2.0
DOUBLING_TARGET = 2.1
MB = 1e6

# The site.  Users, groups and accounts do not grow with the scale.
NUSERS = 50000
UID0 = 10000
NGROUPS = 1000
GID0 = 20000
NACCOUNTS = 500
GONE_UID0, NGONE = 90000, 1000      # uids in jobids, gone from passwd
JOBID0 = 4000000                    # squeue's jobs
GONE_JOBID0 = 3000000               # ended jobs Lustre still reports
MDTS = tuple("fs-MDT%04x" % i for i in range(4))
EVAL_TS = "1700000000.123"
# Process names weighted like a busy login node; "my.app" has a dot.
PROCS = (("rsync", 12), ("cp", 12), ("python3", 10), ("tar", 6),
         ("bash", 6), ("find", 5), ("dd", 3), ("mv", 4), ("rm", 4),
         ("du", 3), ("ls", 3), ("scp", 3), ("sftp-server", 3),
         ("gzip", 2), ("java", 2), ("R", 2), ("Rscript", 2),
         ("matlab", 2), ("julia", 1), ("perl", 1), ("git", 2),
         ("make", 1), ("gcc", 1), ("cat", 2), ("md5sum", 1),
         ("sha256sum", 1), ("lfs", 2), ("mpirun", 1), ("my.app", 1),
         ("conda", 1), ("pip", 1), ("jupyter-lab", 1), ("ffmpeg", 1),
         ("h5dump", 1), ("sort", 1), ("awk", 1))
PROC_POOL = tuple(p for p, w in PROCS for _ in range(w))
# At 1x; all multiplied by the scale.
JOBS = 20000
META_PROC_PAIRS = 10000             # (procname, uid), each on 2 MDTs
READ_PROC_PAIRS = 12000
WRITE_PROC_PAIRS = 14000
GONE_JOBS = 2000                    # per source, not in squeue

QUERY_NEEDLES = (("lustre_job_stats_total", "metadata"),
                 ("lustre_job_read_bytes_total", "read"),
                 ("lustre_job_write_bytes_total", "write"))
FAMILIES = {
    "metadata": ("cluster_job_metadata_operations",
                 "cluster_proc_metadata_operations"),
    "read": ("cluster_job_read_throughput_bytes",
             "cluster_proc_read_throughput_bytes"),
    "write": ("cluster_job_write_throughput_bytes",
              "cluster_proc_write_throughput_bytes"),
}
PAGE = os.sysconf("SC_PAGE_SIZE")


def _getent_keys():
    """MAX_GETENT_KEYS of lib/caps.h: the keys of one getent run."""
    try:
        with open(os.path.join(e2e.ROOT, "lib", "caps.h")) as f:
            m = re.search(r"^#define\s+MAX_GETENT_KEYS\s+(\d+)", f.read(),
                          re.M)
        return int(m.group(1))
    except (OSError, AttributeError):
        return 1000


GETENT_KEYS = _getent_keys()


class BenchError(Exception):
    pass


def say(msg=""):
    print(msg, flush=True)


def fmt_int(n):
    return "{:,}".format(n).replace(",", " ")


def fmt_mb(b):
    return "%.1f MB" % (b / MB)


def fmt_ok(v):
    return "?" if v is None else "%g" % v


# ----------------------------------------------------------------------------
# Data


def user_name(i):
    return "user%05d" % i


def user_gid(i):
    return GID0 + (i * 7919) % NGROUPS


def home_account(i):
    return "proj%03d" % ((i * 104729) % NACCOUNTS)


def passwd_text():
    return "".join("%s:x:%d:%d:User %d:/home/%s:/bin/bash\n" % (
        user_name(i), UID0 + i, user_gid(i), i, user_name(i))
        for i in range(NUSERS))


def group_text():
    return "".join("grp%04d:x:%d:\n" % (j, GID0 + j)
                   for j in range(NGROUPS))


def rate_value(rng):
    """A byte rate as Prometheus prints irate() over 15 s samples."""
    s = repr((int(rng.random() ** 3 * 2e10) + 1) / 15.0)
    return s[:-2] if s.endswith(".0") else s


def proc_pairs(rng, n):
    """n distinct (procname, uid); about 1% of the uids are gone."""
    seen = set()
    out = []
    while len(out) < n:
        if rng.random() < 0.01:
            uid = GONE_UID0 + int(rng.random() * NGONE)
        else:
            uid = UID0 + int(rng.random() * NUSERS)
        pair = (PROC_POOL[int(rng.random() * len(PROC_POOL))], uid)
        if pair not in seen:
            seen.add(pair)
            out.append(pair)
    return out


def known_uid(uid):
    return UID0 <= uid < UID0 + NUSERS


META_T = ('{"metric":{"jobid":"%s","target":"%s"},"value":[' + EVAL_TS +
          ',"%d"]}')
RATE_T = '{"metric":{"jobid":"%s"},"value":[' + EVAL_TS + ',"%s"]}'


class Scale:
    """The inputs of one scale, and what the exporter must make of them:
    expected (family -> samples) and uids (what the cache must know)."""

    def __init__(self, k):
        rng = random.Random(k)
        self.k = k
        self.njobs = JOBS * k
        self.squeue = []
        self.expected = {}
        self.uids = set()
        self.bodies = {}
        self.nseries = 0
        jobs = []
        for i in range(self.njobs):
            u = int(NUSERS * rng.random() ** 2)     # some users run more
            r = rng.random()
            if r < 0.01:
                acc = "(null)"
            elif r < 0.9:
                acc = home_account(u)
            else:
                acc = "proj%03d" % int(rng.random() * NACCOUNTS)
            jobs.append((acc, user_name(u)))
            self.squeue.append("%d|%s|%s" % (JOBID0 + i, acc, user_name(u)))

        # Metadata: 9 jobs in 10 on every MDT, ended jobs, and pairs on
        # two MDTs each; round() makes the values integers.
        items, rows, known = [], set(), 0
        for i in range(self.njobs):
            if i % 10 == 9:
                continue
            rows.add(jobs[i])
            for t in MDTS:
                items.append(META_T % (JOBID0 + i, t,
                                       1 + int(rng.random() * 5000)))
        for i in range(GONE_JOBS * k):
            for t in MDTS:
                items.append(META_T % (GONE_JOBID0 + i, t,
                                       1 + int(rng.random() * 50)))
        for proc, uid in proc_pairs(rng, META_PROC_PAIRS * k):
            self.uids.add(uid)
            h = int(rng.random() * len(MDTS))
            for t in (MDTS[h], MDTS[(h + 1) % len(MDTS)]):
                items.append(META_T % ("%s.%d" % (proc, uid), t,
                                       1 + int(rng.random() * 2000)))
                known += known_uid(uid)
        self._finish("metadata", items, rng, len(rows) * len(MDTS), known)

        # Read and write: a share of the jobs, ended jobs, pairs.
        for source, keep, npairs in (
                ("read", lambda i: i % 5 != 4, READ_PROC_PAIRS),
                ("write", lambda i: i % 10 < 7, WRITE_PROC_PAIRS)):
            items, rows, known = [], set(), 0
            for i in range(self.njobs):
                if keep(i):
                    rows.add(jobs[i])
                    items.append(RATE_T % (JOBID0 + i, rate_value(rng)))
            for i in range(GONE_JOBS * k):
                items.append(RATE_T % (GONE_JOBID0 + i, rate_value(rng)))
            for proc, uid in proc_pairs(rng, npairs * k):
                self.uids.add(uid)
                items.append(RATE_T % ("%s.%d" % (proc, uid),
                                       rate_value(rng)))
                known += known_uid(uid)
            self._finish(source, items, rng, len(rows), known)
        self.json_bytes = sum(len(b) for b in self.bodies.values())

    def _finish(self, source, items, rng, job_rows, proc_rows):
        # Prometheus lists series in no useful order: the uids arrive
        # throughout an answer, not in one run.
        rng.shuffle(items)
        self.nseries += len(items)
        self.bodies[source] = (
            '{"status":"success","data":{"resultType":"vector","result":[' +
            ",".join(items) + "]}}").encode()
        # A job row is (account, [target,] user), so jobs of the same
        # account and user share one; each proc series of a known uid is
        # a row of its own, (procname, uid[, target]) being unique.
        fj, fp = FAMILIES[source]
        self.expected[fj] = job_rows
        self.expected[fp] = proc_rows

    def getent_batches(self):
        """The getent argument lists a cold scrape needs, in order."""
        uids = sorted(self.uids)
        gids = sorted({user_gid(u - UID0) for u in uids if known_uid(u)})
        out = []
        for db, ids in (("passwd", uids), ("group", gids)):
            for i in range(0, len(ids), GETENT_KEYS):
                out.append([db] + [str(x) for x in ids[i:i + GETENT_KEYS]])
        return out


# ----------------------------------------------------------------------------
# Fake upstream: the three answers from memory


class Upstream(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    bodies = {}         # source -> bytes, replaced whole per scale


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-prometheus/1"

    def log_message(self, fmt, *args):
        pass

    def _answer(self, query):
        body = None
        for needle, source in QUERY_NEEDLES:
            if needle in query:
                body = self.server.bodies.get(source)
        status = 200
        if body is None:
            status = 400
            body = (b'{"status":"error","errorType":"bad_data",'
                    b'"error":"unknown query"}')
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self._answer(" ".join(
            urllib.parse.parse_qs(url.query).get("query", [])))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode("utf-8", "replace") if n > 0 else ""
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query).get("query", [])
        q += urllib.parse.parse_qs(raw).get("query", [])
        self._answer(" ".join(q))


def start_upstream(t):
    srv = Upstream(("127.0.0.1", 0), UpstreamHandler)
    th = threading.Thread(target=srv.serve_forever,
                          kwargs={"poll_interval": 0.2}, daemon=True)
    th.start()

    def stop():
        srv.shutdown()
        srv.server_close()
    t.cleanups.append(stop)
    return srv


# ----------------------------------------------------------------------------
# The process tree's memory


def _read(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536)
    finally:
        os.close(fd)


def rss_of(pid):
    return int(_read("/proc/%d/statm" % pid).split()[1]) * PAGE


def comm(pid):
    try:
        return _read("/proc/%d/comm" % pid).decode("utf-8", "replace").strip()
    except OSError:
        return ""


def tree_now(root):
    """(summed RSS in bytes, [(pid, parent, depth, rss)]) of root's
    tree."""
    total = 0
    found = []
    stack = [(root, 0, 0)]
    while stack:
        pid, parent, depth = stack.pop()
        try:
            rss = rss_of(pid)
            tids = os.listdir("/proc/%d/task" % pid)
        except (OSError, ValueError, IndexError):
            continue        # gone meanwhile
        total += rss
        found.append((pid, parent, depth, rss))
        for tid in tids:
            try:
                kids = _read("/proc/%d/task/%s/children" % (pid, tid))
            except OSError:
                continue
            stack.extend((int(c), pid, depth + 1) for c in kids.split())
    return total, found


class Sampler(threading.Thread):
    """Samples root's tree every SAMPLE_S until stop(): every sum, and
    each process seen (pid -> (parent, depth))."""

    # Sampling achieved, over every sampler of the run.
    total_s = 0.0
    total_n = 0

    def __init__(self, root):
        super().__init__(daemon=True)
        self.root = root
        self.sums = []
        self.seen = {}
        self.top = 0
        self.at_peak = []       # (pid, RSS) at the highest sum
        self._done = threading.Event()

    def run(self):
        start = time.monotonic()
        while True:
            t0 = time.monotonic()
            total, procs = tree_now(self.root)
            if total > self.top:
                self.top = total
                self.at_peak = [(pid, rss) for pid, _, _, rss in procs]
            self.sums.append(total)
            for pid, parent, depth, _ in procs:
                self.seen[pid] = (parent, depth)
            if self._done.wait(max(0.0, SAMPLE_S -
                                   (time.monotonic() - t0))):
                break
        Sampler.total_s += time.monotonic() - start
        Sampler.total_n += len(self.sums)

    def stop(self):
        self._done.set()
        self.join()
        return self

    @classmethod
    def period(cls):
        return cls.total_s / cls.total_n if cls.total_n else float("nan")

    @property
    def peak(self):
        return max(self.sums) if self.sums else 0

    def peak_parts(self):
        """Each process's RSS at the peak ("name MB, ..."), commands
        summed by name."""
        parts = {}
        for pid, rss in self.at_peak:
            name = comm(pid) or "?"
            parts[name] = parts.get(name, 0) + rss
        return ", ".join("%s %.1f" % (n, b / MB) for n, b in sorted(
            parts.items(), key=lambda kv: -kv[1]))

    def commands_of(self, helper):
        """Pids seen as children of the helper named helper."""
        helpers = [p for p, (_, d) in self.seen.items()
                   if d == 2 and comm(p) == helper]
        return [p for p, (parent, d) in self.seen.items()
                if d == 3 and parent in helpers]


def idle_rss(root):
    """The median of IDLE_SAMPLE_S of samples taken IDLE_WAIT_S from
    now, and each process's RSS then ("name MB, ...")."""
    time.sleep(IDLE_WAIT_S)
    s = Sampler(root)
    s.start()
    time.sleep(IDLE_SAMPLE_S)
    s.stop()
    parts = []
    for pid, _, _, rss in sorted(tree_now(root)[1],
                                 key=lambda p: (p[2], p[0])):
        parts.append("%s %.1f" % (comm(pid), rss / MB))
    return statistics.median(s.sums), ", ".join(parts)


# ----------------------------------------------------------------------------
# Scrapes and the floor


FAMILY_RE = re.compile(rb"^(cluster_(?:job|proc)_[a-z_]+)[{ ]", re.M)
SOURCE_UP_RE = re.compile(
    rb'^cluster_exporter_source_up\{source="([a-z]+)"\} (\S+)$', re.M)
STAGE_RE = re.compile(
    rb'^cluster_exporter_stage_execution_seconds\{name="([^"]*)"\} (\S+)',
    re.M)


def metric_value(body, name):
    m = re.search(rb"^" + re.escape(name.encode()) + rb" (\S+)$", body, re.M)
    return float(m.group(1)) if m else None


class Scrape:
    """One GET /metrics, timed, with the tree sampled meanwhile, and its
    problems against what the scale expects."""

    def __init__(self, ex, scale, what):
        self.what = what
        log_at = os.path.getsize(ex.stderr_path)
        sampler = Sampler(ex.pid)
        sampler.start()
        t0 = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", ex.port,
                                          timeout=EXPORTER_TIMEOUT + 60)
        try:
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException) as err:
            raise BenchError("%s: GET /metrics failed: %s: %s" % (
                what, type(err).__name__, err))
        finally:
            conn.close()
            self.elapsed = time.monotonic() - t0
            self.sampler = sampler.stop()
        self.peak = self.sampler.peak
        # The exporter's own account of where the time went.
        self.stages = [(n.decode(), float(v)) for n, v in STAGE_RE.findall(
            body)]
        self.ok = metric_value(body, "cluster_exporter_scrape_ok")
        self.collections = metric_value(
            body, "cluster_exporter_collections_total")
        up = sorted((s.decode(), v.decode())
                    for s, v in SOURCE_UP_RE.findall(body))
        counts = {}
        for name in FAMILY_RE.findall(body):
            counts[name.decode()] = counts.get(name.decode(), 0) + 1
        self.samples = sum(counts.get(f, 0) for f in scale.expected)
        self.problems = []
        if r.status != 200:
            self.problems.append("HTTP status %d" % r.status)
        if self.ok != 1.0:
            self.problems.append("scrape_ok %s (source_up: %s)" % (
                fmt_ok(self.ok), ", ".join("%s=%s" % kv for kv in up)))
        for fam, want in sorted(scale.expected.items()):
            if counts.get(fam, 0) != want:
                self.problems.append("%s: %d samples, want %d" % (
                    fam, counts.get(fam, 0), want))
        self.log = []
        if self.problems:
            with open(ex.stderr_path, "rb") as f:
                f.seek(log_at)
                log = f.read().decode("utf-8", "replace")
            self.log = [line for line in log.split("\n")
                        if "level=error" in line or "level=warn" in line]
            self.log = self.log[-8:]

    def report(self, before=None):
        """Prints the scrape, and its problems unless the scrape before
        had the same."""
        say("  %s: %.2f s, peak RSS %s, scrape_ok %s, %s samples%s" % (
            self.what, self.elapsed, fmt_mb(self.peak), fmt_ok(self.ok),
            fmt_int(self.samples),
            "  << NOT CORRECT" if self.problems else ""))
        if self.problems and before is not None and \
                before.problems == self.problems:
            say("    problems as above")
            return
        say("    at the peak (MB): " + self.sampler.peak_parts())
        if self.stages:
            say("    stages: " + ", ".join("%s %.3f s" % s
                                          for s in self.stages))
        for p in self.problems:
            say("    problem: " + p)
        for line in self.log:
            say("    exporter: " + line[:300])


def floor_once(up_port, squeue, json_bytes):
    """Wall time of the three fetches and the squeue stand-in, all four
    at once, as a collection runs them."""
    errors = []
    got = []

    def fetch(query):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", up_port,
                                              timeout=EXPORTER_TIMEOUT)
            try:
                conn.request("GET", "/api/v1/query?" +
                             urllib.parse.urlencode({"query": query}))
                got.append(len(conn.getresponse().read()))
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as err:
            errors.append("fetch: %s" % err)

    def run_squeue():
        p = subprocess.run([squeue, "-ah", "-o", "%A|%a|%u"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        if p.returncode != 0:
            errors.append("squeue stand-in: exit %d" % p.returncode)

    work = [threading.Thread(target=fetch, args=(e2e.promql(s, "1m"),),
                             daemon=True)
            for s in ("metadata", "read", "write")]
    work.append(threading.Thread(target=run_squeue, daemon=True))
    t0 = time.monotonic()
    for th in work:
        th.start()
    for th in work:
        th.join()
    took = time.monotonic() - t0
    if not errors and sum(got) != json_bytes:
        errors.append("fetched %d bytes, want %d" % (sum(got), json_bytes))
    if errors:
        raise BenchError("floor: " + "; ".join(errors))
    return took


def getent_back_to_back(getent, batches):
    t0 = time.monotonic()
    for argv in batches:
        p = subprocess.run([getent] + argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # 2: some key not found, as for the exporter.
        if p.returncode not in (0, 2):
            raise BenchError("getent stand-in: exit %d" % p.returncode)
    return time.monotonic() - t0


# ----------------------------------------------------------------------------
# The run


def run_scale(ex, sc, args, state, notes):
    """The scrapes and floors of one scale; returns its table row."""
    cold = state["cold"]
    scrapes = []        # every scrape of the scale, in order
    if sc.k == 1 and not state["asked"]:
        s = Scrape(ex, sc, "cold scrape")
        s.report()
        scrapes.append(s)
        cold["scrape"] = s
        cold["runs"] = len(s.sampler.commands_of("accounts"))
        cold["uids"] = len(sc.uids)
        cold["idle_after"], parts = idle_rss(ex.pid)
        say("  idle after the cold scrape: %s (%s)" % (
            fmt_mb(cold["idle_after"]), parts))
    elif not sc.uids <= state["asked"]:
        s = Scrape(ex, sc, "warm-up scrape (%s new uids)" % fmt_int(
            len(sc.uids - state["asked"])))
        s.report()
        scrapes.append(s)
    state["asked"] |= sc.uids
    warm = []
    for i in range(args.reps):
        s = Scrape(ex, sc, "warm scrape %d" % (i + 1))
        s.report(scrapes[-1] if scrapes else None)
        if warm and None not in (s.collections, warm[-1].collections) and \
                s.collections != warm[-1].collections + 1:
            notes.append("%dx: collections_total went from %g to %g: a "
                         "scrape did not collect" % (
                             sc.k, warm[-1].collections, s.collections))
        warm.append(s)
        scrapes.append(s)
    floors = [floor_once(state["up_port"], state["squeue"], sc.json_bytes)
              for _ in range(args.reps)]
    row = {
        "k": sc.k, "jobs": sc.njobs, "series": sc.nseries,
        "json": sc.json_bytes,
        "warm": statistics.median(s.elapsed for s in warm),
        "floor": statistics.median(floors),
        "peak": max(s.peak for s in warm),
        "ok": sorted({fmt_ok(s.ok) for s in warm}),
        "samples": sorted({s.samples for s in warm}),
        "want": sum(sc.expected.values()),
        "correct": not any(s.problems for s in scrapes),
    }
    say("  floor %.2f s (median of %d); warm %.2f s; %s" % (
        row["floor"], len(floors), row["warm"],
        "correct" if row["correct"] else "NOT CORRECT"))
    if "scrape" in cold and "b2b" not in cold:
        cold["batches"] = sc.getent_batches()
        cold["b2b"] = statistics.median(
            getent_back_to_back(state["getent"], cold["batches"])
            for _ in range(args.reps))
        cold["warm"] = row["warm"]
    return row


def bench(t, args, rows, notes):
    """Runs the scales into rows; returns (cold figures, last idle)."""
    t.install_getent(passwd_text(), group_text())
    up = start_upstream(t)
    state = {
        "getent": os.path.join(t.bin, "getent"),
        "squeue": os.path.join(t.bin, "squeue"),
        "up_port": up.server_address[1],
        "asked": set(),         # uids the exporter's cache has seen
        "cold": {},
    }
    ex = None
    for k in args.scales:
        g0 = time.monotonic()
        sc = Scale(k)
        t.install_squeue(sc.squeue)
        up.bodies = sc.bodies
        say("%dx: %s jobs, %s series, %s bytes of JSON, %s uids to "
            "resolve (generated in %.1f s)" % (
                k, fmt_int(sc.njobs), fmt_int(sc.nseries),
                fmt_int(sc.json_bytes), fmt_int(len(sc.uids)),
                time.monotonic() - g0))
        if ex is None:
            ex = t.exporter("http://127.0.0.1:%d" % state["up_port"],
                            timeout=EXPORTER_TIMEOUT, log="INFO",
                            min_interval="0",
                            extra=["--accounts.cache-ttl=1h"])
            state["cold"]["idle_fresh"], parts = idle_rss(ex.pid)
            say("  fresh exporter, idle: %s (%s)" % (
                fmt_mb(state["cold"]["idle_fresh"]), parts))
        row = run_scale(ex, sc, args, state, notes)
        if rows:
            prev = rows[-1]
            row["doubling"] = (row["warm"] / prev["warm"]) ** (
                1.0 / math.log2(k / prev["k"]))
            row["comparable"] = row["correct"] and prev["correct"]
        rows.append(row)
        up.bodies = {}
        del sc
    state["cold"]["uids_end"] = len(state["asked"])
    last_idle = idle_rss(ex.pid)
    say("  idle after the %dx scrapes: %s (%s)" % (
        rows[-1]["k"], fmt_mb(last_idle[0]), last_idle[1]))
    return state["cold"], last_idle[0]


def fmt_doubling(row):
    x = row.get("doubling")
    if x is None:
        return "-"
    d = "%.2f" % x
    if x > DOUBLING_TARGET:
        # Over the target never reads as the target itself.
        if float(d) <= DOUBLING_TARGET:
            d = "%.3f" % x
        d += " (over %.1f)" % DOUBLING_TARGET
    if not row["comparable"]:
        d += " (not correct)"
    return d


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def print_results(args, rows, cold, idle, load):
    say()
    say("Scale benchmark: %s, %d CPUs, Linux %s, load average %.2f at the "
        "start; exporter %s" % (
            cpu_model(), os.cpu_count() or 0, platform.release(), load,
            os.path.relpath(e2e.EXPORTER, e2e.ROOT)))
    say("Reproduce (as root): PCE_BUILD=%s /usr/bin/python3 "
        "tests/bench_scale.py --scales %s --reps %d" % (
            os.environ.get("PCE_BUILD") or "build",
            ",".join(str(k) for k in args.scales), args.reps))
    say()
    say("| scale | jobs | series | JSON | warm scrape | floor | warm/floor "
        "| cost per doubling | peak RSS (tree) | scrape_ok | samples |")
    say("|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|--:|")
    for r in rows:
        samples = "/".join(fmt_int(n) for n in r["samples"])
        if not r["correct"]:
            samples += " (want %s)" % fmt_int(r["want"])
        say("| %dx | %s | %s | %s | %.2f s | %.2f s | %.1f | %s | %s | %s "
            "| %s |" % (
                r["k"], fmt_int(r["jobs"]), fmt_int(r["series"]),
                fmt_mb(r["json"]), r["warm"], r["floor"],
                r["warm"] / r["floor"], fmt_doubling(r), fmt_mb(r["peak"]),
                "/".join(r["ok"]), samples))
    say()
    say("warm scrape: median of %d, each a new collection, accounts cache "
        "warm; floor: median of %d runs of the three upstream fetches and "
        "squeue, at once; cost per doubling: target at most %.1f; peak RSS: "
        "the exporter, spawner, helpers and their commands, summed at one "
        "instant, sampled every %.1f ms on average, highest over the warm "
        "scrapes; "
        "samples: cluster_job_* and cluster_proc_*; MB = 10^6 bytes." % (
            args.reps, args.reps, DOUBLING_TARGET, Sampler.period() * 1000))
    say()
    share = None
    if "b2b" in cold:
        c = cold["scrape"]
        cost = c.elapsed - cold["warm"]
        npw = sum(1 for b in cold["batches"] if b[0] == "passwd")
        ratio = cost / cold["b2b"]
        say("cold accounts cache, 1x: first scrape %.2f s - warm %.2f s = "
            "%.2f s; the same lookups back to back (%d x getent passwd, %d x "
            "getent group, %d keys a run at most; median of %d): %.2f s; "
            "ratio %.2f, target at most %.1f: %s" % (
                c.elapsed, cold["warm"], cost, npw,
                len(cold["batches"]) - npw, GETENT_KEYS, args.reps,
                cold["b2b"], ratio, COLD_TARGET,
                "met" if ratio <= COLD_TARGET else "MISSED"))
        say("  (the exporter ran getent %d times in the cold scrape, as the "
            "sampler saw)" % cold["runs"])
        share = cold["idle_after"] - cold["idle_fresh"]
        say("accounts cache share (estimate): idle tree after the cold 1x "
            "scrape %s - idle tree of the fresh exporter before any scrape "
            "%s = %s for %s uids; it also counts what the exporter keeps of "
            "its last collection" % (fmt_mb(cold["idle_after"]),
                                     fmt_mb(cold["idle_fresh"]),
                                     fmt_mb(share), fmt_int(cold["uids"])))
        if cold.get("uids_end", 0) > cold["uids"]:
            # The cache holds every uid of the run by its end.
            share = share * cold["uids_end"] / cold["uids"]
            say("  at the end the cache holds %s uids: share %s, "
                "extrapolated from 1x" % (fmt_int(cold["uids_end"]),
                                         fmt_mb(share)))
    else:
        say("cold accounts cache: not measured (1x is not among the scales)")
    what = ("idle RSS of the tree after the %dx scrapes%s (median of %g s "
            "of samples, %g s after the last scrape): %s" % (
                rows[-1]["k"],
                "" if rows[-1]["correct"] else ", which were not correct",
                IDLE_SAMPLE_S, IDLE_WAIT_S, fmt_mb(idle)))
    if share is not None:
        limit = IDLE_TARGET + share
        say("%s; target at most %s + cache share %s = %s: %s" % (
            what, fmt_mb(IDLE_TARGET), fmt_mb(share), fmt_mb(limit),
            "met" if idle <= limit else "MISSED"))
    else:
        say("%s; no target without the cache share (1x)" % what)


def parse_scales(text):
    try:
        ks = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        ks = []
    if not ks or ks[0] < 1:
        raise argparse.ArgumentTypeError(
            "want multiples of the 1x site, e.g. 1,2,4")
    return ks


def on_term(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", type=parse_scales, default=list(SCALES),
                    help="comma-separated multiples of the 1x site "
                    "(default 1,2,4,8,16)")
    ap.add_argument("--reps", type=int, default=REPS,
                    help="warm scrapes, floor runs and getent runs per "
                    "scale (default %d)" % REPS)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    args = ap.parse_args(argv)
    if args.reps < 1:
        ap.error("--reps must be at least 1")
    if os.geteuid() != 0:
        say("bench_scale: run me as root: the exporter's processes run as "
            "nobody and are not dumpable, so only root reads their memory "
            "in /proc")
        return 2
    if not os.access(e2e.EXPORTER, os.X_OK):
        say("bench_scale: %s is missing or not executable (run `make` "
            "first)" % e2e.EXPORTER)
        return 2
    signal.signal(signal.SIGTERM, on_term)
    load = os.getloadavg()[0]
    # The helpers run as nobody and read the stand-ins' files: /tmp, not
    # a TMPDIR that may sit in a 0700 home.
    tempfile.tempdir = "/tmp"
    t = e2e.Ctx("bench-scale")
    rows, notes = [], []
    try:
        cold, idle = bench(t, args, rows, notes)
        print_results(args, rows, cold, idle, load)
        for n in notes:
            say("note: " + n)
        bad = ["%dx" % r["k"] for r in rows if not r["correct"]]
        if bad:
            say("NOT CORRECT at %s: see the problem lines above" %
                ", ".join(bad))
            return 1
        say("correct at every scale")
        return 0
    except (BenchError, e2e.Fail) as err:
        say("bench_scale: %s" % err)
        for ex in t.exporters:
            for line in e2e.tail(ex.stderr(), 10).split("\n"):
                say("  exporter: " + line[:300])
        return 1
    except KeyboardInterrupt:
        say("bench_scale: interrupted")
        return 130
    finally:
        for p in t.close():
            say("bench_scale: cleanup: %s" % p)
        if args.keep:
            say("temporary directory kept: %s" % t.dir)
        else:
            t.remove()


if __name__ == "__main__":
    sys.exit(main())
