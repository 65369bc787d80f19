# SPDX-License-Identifier: Apache-2.0
"""Runs each helper binary directly under valgrind and talks to it.

    PCE_BUILD=build /usr/bin/python3 tests/valgrind_helpers.py

For slurm, accounts and promql: starts `valgrind ... HELPER off ARGS`
(sandbox off: valgrind needs syscalls the filters forbid), writes requests
in the record protocol (lib/proto.h) to its stdin, decodes the records it
answers on stdout and checks them, then closes stdin and requires the
helper to exit 0.  valgrind runs with --error-exitcode, so any memory error
and any definitely or indirectly lost block turn into a failure; its stderr
is printed then.  The stand-in `squeue` and `getent` commands are shell
scripts in a temporary directory; promql talks to tests/fake_upstream.py.

The helpers refuse to run as root, so when this script runs as root each
helper runs as `nobody` (setpriv, else runuser).

Environment: PCE_BUILD (build directory, default "build", relative to the
repository root).  Prints one line per helper and finally "N passed, M
failed"; exits 1 on any failure.  Needs the helpers built (`make`).
"""

import math
import os
import pwd
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS_DIR = os.path.join(ROOT, "tests")
FAKE_UPSTREAM = os.path.join(TESTS_DIR, "fake_upstream.py")
PYTHON = "/usr/bin/python3"


def _build_dir():
    b = os.environ.get("PCE_BUILD") or "build"
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


BUILD = _build_dir()
HELPER_DIR = os.path.join(BUILD, "helpers")
HELPERS = ("slurm", "accounts", "promql")

VALGRIND_OPTS = [
    "--quiet",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite,indirect",
    "--show-leak-kinds=definite,indirect",
    "--error-exitcode=3",
    "--trace-children=no",
]

# Time for one request to be answered under valgrind (on top of its
# deadline), and for the helper to exit once stdin is closed.
ANSWER_SLACK = 60.0
EXIT_TIMEOUT = 60.0
# How long to wait for a concurrent rebuild to put the binaries in place.
BUILD_WAIT = 60.0

REQ_JOBS = 0x01
REQ_USERS = 0x02
REQ_GROUPS = 0x03
REQ_QUERY = 0x04

LOG = 0x40
END = 0x41
JOB = 0x42
USER = 0x43
GROUP = 0x44
SERIES = 0x45
SOURCE_END = 0x46
PROCSTAT = 0x47

RECORD_NAMES = {
    LOG: "LOG", END: "END", JOB: "JOB", USER: "USER", GROUP: "GROUP",
    SERIES: "SERIES", SOURCE_END: "SOURCE_END", PROCSTAT: "PROCSTAT",
}

PROTO_MAX_FRAME = 64 * 1024
# NOFILE_HELPER in sandbox/sandbox.c.
HELPER_NOFILE = 256

SOURCE_METADATA, SOURCE_READ, SOURCE_WRITE = 0, 1, 2
SOURCE_NAMES = {0: "metadata", 1: "read", 2: "write"}
KIND_JOB, KIND_PROC = 1, 2


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# -- record protocol --------------------------------------------------------

def frame(ftype, body=b""):
    return struct.pack(">IB", 1 + len(body), ftype) + body


def req_budget(ftype, deadline_ms, max_records=1000000, max_keys=1000000):
    """REQ_JOBS: deadline, then the source's budget."""
    return frame(ftype, struct.pack(">III", deadline_ms, max_records, max_keys))


def upclient_field(tag, value):
    """One field of a QUERY's upstream settings (lib/upclient.h)."""
    return struct.pack(">BI", tag, len(value)) + value


# Basic auth, a plain and a secret header: the settings a site sends, so
# that their decoding and the helper's header lists run under valgrind.
UPCLIENT = (upclient_field(1, b"exporter") + upclient_field(2, b"s3cret") +
            upclient_field(19, struct.pack(">BI", 0, 13) + b"X-Scope-OrgIDtenant") +
            upclient_field(19, struct.pack(">BI", 1, 8) + b"X-Secretv"))


def req_query(deadline_ms, max_records=1000000, max_keys=1000000):
    """REQ_QUERY: deadline, budget, then the upstream settings."""
    return frame(REQ_QUERY, struct.pack(">IIII", deadline_ms, max_records, max_keys,
                                        len(UPCLIENT)) + UPCLIENT)


def req_ids(ftype, deadline_ms, ids):
    return frame(ftype, struct.pack(">II", deadline_ms, len(ids)) +
                 b"".join(struct.pack(">I", i) for i in ids))


class Reader:
    """Decodes one record body exactly, as the parent does."""

    def __init__(self, what, body):
        self.what = what
        self.body = body
        self.off = 0

    def _take(self, n):
        check(self.off + n <= len(self.body),
              "%s record truncated (%d bytes, wanted %d more at %d)" %
              (self.what, len(self.body), n, self.off))
        b = self.body[self.off:self.off + n]
        self.off += n
        return b

    def u8(self):
        return self._take(1)[0]

    def u32(self):
        return struct.unpack(">I", self._take(4))[0]

    def u64(self):
        return struct.unpack(">Q", self._take(8))[0]

    def f64(self):
        return struct.unpack(">d", self._take(8))[0]

    def string(self):
        n = self.u32()
        raw = self._take(n)
        check(b"\0" not in raw, "%s record: string holds a NUL" % self.what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Failure("%s record: string is not UTF-8: %r" %
                          (self.what, raw))

    def done(self):
        check(self.off == len(self.body),
              "%s record has %d trailing bytes" %
              (self.what, len(self.body) - self.off))


def decode(ftype, body):
    name = RECORD_NAMES.get(ftype)
    check(name is not None, "unknown record type 0x%02x" % ftype)
    r = Reader(name, body)
    if ftype == LOG:
        rec = {"level": r.u8(), "msg": r.string()}
    elif ftype == END:
        rec = {"status": r.u8(), "records": r.u32(), "elapsed_us": r.u64(),
               "reason": r.string()}
    elif ftype == JOB:
        rec = {"jobid": r.u64(), "account": r.string(), "user": r.string()}
    elif ftype == USER:
        rec = {"uid": r.u32(), "name": r.string(), "gid": r.u32()}
    elif ftype == GROUP:
        rec = {"gid": r.u32(), "name": r.string()}
    elif ftype == SERIES:
        rec = {"source": r.u8(), "kind": r.u8(), "jobid": r.u64(),
               "uid": r.u32(), "proc": r.string(), "target": r.string(),
               "value": r.f64()}
    elif ftype == PROCSTAT:
        rec = {k: r.f64() for k in ("cpu_seconds", "resident_bytes", "virtual_bytes",
                                    "open_fds", "max_fds", "start_time_seconds")}
    else:
        rec = {"source": r.u8(), "status": r.u8(), "series": r.u32(),
               "dropped": r.u32(), "elapsed_us": r.u64(),
               "reason": r.string()}
    r.done()
    rec["type"] = name
    return rec


# -- running a helper under valgrind ---------------------------------------

def drop_privileges_prefix():
    """Command prefix running the helper as nobody when we are root."""
    if os.geteuid() != 0 and os.getuid() != 0:
        return []
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        raise Failure("running as root and there is no user `nobody` to "
                      "run the helpers as (they refuse root)")
    check(pw.pw_uid != 0, "user `nobody` has uid 0")
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
                "--clear-groups"]
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "nobody", "--"]
    raise Failure("running as root, but neither setpriv nor runuser is "
                  "available to run the helpers as nobody (they refuse root)")


class nofile_for_valgrind:
    """Starts children with the soft RLIMIT_NOFILE at HELPER_NOFILE.

    Each helper sets RLIMIT_NOFILE to HELPER_NOFILE (soft and hard) even
    with the sandbox off.  valgrind virtualises that limit: it reserves a
    few descriptors above the soft limit it started with and refuses
    (EPERM) any setrlimit whose hard value differs from that start value.
    Starting valgrind with exactly HELPER_NOFILE as the soft limit (and a
    hard limit above it, for the reserve) makes the helper's call succeed.
    """

    def __enter__(self):
        self.old = resource.getrlimit(resource.RLIMIT_NOFILE)
        hard = self.old[1]
        check(hard == resource.RLIM_INFINITY or hard >= HELPER_NOFILE + 64,
              "RLIMIT_NOFILE hard limit %d is too low to run the helpers "
              "under valgrind (need %d)" % (hard, HELPER_NOFILE + 64))
        resource.setrlimit(resource.RLIMIT_NOFILE, (HELPER_NOFILE, hard))
        return self

    def __exit__(self, *exc):
        resource.setrlimit(resource.RLIMIT_NOFILE, self.old)
        return False


class Helper:
    def __init__(self, name, args, workdir):
        self.name = name
        valgrind = shutil.which("valgrind")
        check(valgrind is not None,
              "valgrind not found in PATH; install valgrind to run this test")
        # A copy in the (0755) work directory: the tree may sit where
        # nobody cannot enter, such as a clone under /root (mode 0700).
        binary = os.path.join(workdir, name)
        shutil.copy2(os.path.join(HELPER_DIR, name), binary)
        os.chmod(binary, 0o755)
        argv = (drop_privileges_prefix() + [valgrind] + VALGRIND_OPTS +
                [binary, "off"] + list(args))
        # A small fixed environment: no proxy settings for curl, no
        # VALGRIND_OPTS, no ~/.valgrindrc of whoever runs the tests.
        env = {"PATH": os.environ.get("PATH") or "/usr/bin:/bin",
               "HOME": workdir, "LC_ALL": "C"}
        self.argv = argv
        with nofile_for_valgrind():
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE,
                                         cwd=workdir, env=env,
                                         start_new_session=True)
        self.rbuf = b""
        self.eof = False
        self.logs = []
        self._err = []
        self._errt = threading.Thread(target=self._drain_stderr, daemon=True)
        self._errt.start()
        self.returncode = None

    def _drain_stderr(self):
        f = self.proc.stderr
        while True:
            chunk = f.read1(65536) if hasattr(f, "read1") else f.read(65536)
            if not chunk:
                return
            self._err.append(chunk)

    def stderr_text(self):
        return b"".join(self._err).decode("utf-8", "replace")

    def send(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise Failure("%s: writing a request failed (%s); helper gone?" %
                          (self.name, e))

    def _read_frame(self, deadline):
        fd = self.proc.stdout.fileno()
        while True:
            if len(self.rbuf) >= 5:
                length, ftype = struct.unpack(">IB", self.rbuf[:5])
                check(1 <= length <= PROTO_MAX_FRAME,
                      "%s: bad frame length %d" % (self.name, length))
                if len(self.rbuf) >= 4 + length:
                    body = self.rbuf[5:4 + length]
                    self.rbuf = self.rbuf[4 + length:]
                    return ftype, body
            check(not self.eof, "%s: stdout closed in the middle of an "
                  "answer (exit status %r)" % (self.name, self.proc.poll()))
            left = deadline - time.monotonic()
            check(left > 0, "%s: no complete answer in time" % self.name)
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.eof = True
            self.rbuf += chunk

    def request(self, data, deadline_ms, want=None):
        """Sends one request; returns (records before END, END).

        want: record types allowed as data records (LOG always is; the
        helper's PROCSTAT before END is kept in self.procstat)."""
        self.send(data)
        deadline = time.monotonic() + deadline_ms / 1000.0 + ANSWER_SLACK
        recs = []
        while True:
            ftype, body = self._read_frame(deadline)
            rec = decode(ftype, body)
            if ftype == LOG:
                self.logs.append(rec)
                continue
            if ftype == PROCSTAT:
                self.procstat = rec
                continue
            if ftype == END:
                return recs, rec
            check(want is None or ftype in want,
                  "%s: unexpected %s record %r" % (self.name, rec["type"],
                                                   rec))
            recs.append(rec)

    def finish(self):
        """Closes stdin and waits (bounded) for the exit; returns status."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.returncode = self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("%s: did not exit within %.0f s of stdin closing" %
                          (self.name, EXIT_TIMEOUT))
        finally:
            self._errt.join(timeout=10)
            self.proc.stdout.close()
        return self.returncode

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.returncode = self.proc.poll()


# -- fixtures -----------------------------------------------------------------

def write_file(path, data, mode=0o644):
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def make_workdir(name):
    d = tempfile.mkdtemp(prefix="pce-valgrind-%s-" % name)
    # The helper and its stand-ins run as nobody.
    os.chmod(d, 0o755)
    return d


SQUEUE_LINES = [
    "1001|physics|alice",
    "1002|chemistry|bob",
    "this line is not a job",
    "1003|physics|carol",
    "4294967296000|biology|dave",
]
SQUEUE_JOBS = [
    (1001, "physics", "alice"),
    (1002, "chemistry", "bob"),
    (1003, "physics", "carol"),
    (4294967296000, "biology", "dave"),
]


def test_slurm(h_holder):
    d = make_workdir("slurm")
    try:
        data = os.path.join(d, "squeue.out")
        write_file(data, "".join(l + "\n" for l in SQUEUE_LINES))
        squeue = os.path.join(d, "squeue-standin")
        write_file(squeue, "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
                   "# squeue stand-in\nexec cat '%s'\n" % data, 0o755)
        h = h_holder(Helper("slurm", [squeue], d))
        for rnd in (1, 2):
            nlogs = len(h.logs)
            recs, end = h.request(req_budget(REQ_JOBS, 5000), 5000, {JOB})
            check(end["status"] == 0, "slurm round %d: END status %d (%s)" %
                  (rnd, end["status"], end["reason"]))
            got = [(r["jobid"], r["account"], r["user"]) for r in recs]
            check(got == SQUEUE_JOBS, "slurm round %d: jobs %r, want %r" %
                  (rnd, got, SQUEUE_JOBS))
            check(end["records"] == len(recs),
                  "slurm round %d: END counts %d records, %d sent" %
                  (rnd, end["records"], len(recs)))
            check(any("skipped" in l["msg"] for l in h.logs[nlogs:]),
                  "slurm round %d: the malformed squeue line was not "
                  "logged: %r" % (rnd, h.logs[nlogs:]))
        return h
    finally:
        shutil.rmtree(d, ignore_errors=True)


PASSWD = ("root:x:0:0:root:/root:/bin/bash\n"
          "kim:x:5689:500:Kim:/home/kim:/bin/bash\n"
          "lee:x:6812:501:Lee:/home/lee:/bin/bash\n")
GROUP_DB = ("root:x:0:\n"
            "hpcusers:x:500:kim\n"
            "guests:x:501:lee\n")

# The key that makes the getent stand-in die of SIGSEGV, as a crashing NSS
# module would: the batch holding it fails, the others run to their end.
CRASH_KEY = 4000000

GETENT = r"""#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# getent stand-in: entries for numeric keys, in key order; exit 2 when a
# key is not found; killed by SIGSEGV when a key is %d.
case "$1" in
passwd) f='%%s' ;;
group) f='%%s' ;;
*) echo "Unknown database: $1" >&2; exit 1 ;;
esac
shift
case " $* " in
*" %d "*) kill -SEGV $$ ;;
esac
exec awk -F: -v keys="$*" '
{ if (!($3 in byid)) byid[$3] = $0 }
END {
	n = split(keys, k, " "); rc = 0
	for (i = 1; i <= n; i++)
		if (k[i] in byid) print byid[k[i]]; else rc = 2
	exit rc
}' "$f"
""" % (CRASH_KEY, CRASH_KEY)


def test_accounts(h_holder):
    d = make_workdir("accounts")
    try:
        pw = os.path.join(d, "passwd")
        gr = os.path.join(d, "group")
        write_file(pw, PASSWD)
        write_file(gr, GROUP_DB)
        getent = os.path.join(d, "getent-standin")
        write_file(getent, GETENT % (pw, gr), 0o755)
        h = h_holder(Helper("accounts", [getent], d))
        want_users = [(5689, "kim", 500), (6812, "lee", 501)]
        want_groups = [(500, "hpcusers"), (501, "guests")]
        for rnd in (1, 2):
            recs, end = h.request(req_ids(REQ_USERS, 5000,
                                          [5689, 4242, 6812]), 5000, {USER})
            check(end["status"] == 0, "accounts users round %d: END status "
                  "%d (%s)" % (rnd, end["status"], end["reason"]))
            got = sorted((r["uid"], r["name"], r["gid"]) for r in recs)
            check(got == want_users, "accounts users round %d: %r, want %r" %
                  (rnd, got, want_users))
            check(end["records"] == len(recs), "accounts users: END counts "
                  "%d records, %d sent" % (end["records"], len(recs)))

            recs, end = h.request(req_ids(REQ_GROUPS, 5000, [500, 501]),
                                  5000, {GROUP})
            check(end["status"] == 0, "accounts groups round %d: END status "
                  "%d (%s)" % (rnd, end["status"], end["reason"]))
            got = sorted((r["gid"], r["name"]) for r in recs)
            check(got == want_groups, "accounts groups round %d: %r, want "
                  "%r" % (rnd, got, want_groups))
            check(end["records"] == len(recs), "accounts groups: END counts "
                  "%d records, %d sent" % (end["records"], len(recs)))
        accounts_batches(h)
        return h
    finally:
        shutil.rmtree(d, ignore_errors=True)


def accounts_batches(h):
    """Requests of several getent batches (1000 keys each), run side by
    side: all answered; then one whose first batch crashes while the
    others run, which ends the request with the crash and leaves the
    helper serving."""
    ids = [5689] + list(range(100000, 104500)) + [6812]
    recs, end = h.request(req_ids(REQ_USERS, 20000, ids), 20000, {USER})
    check(end["status"] == 0, "accounts, 5 batches: END status %d (%s)" %
          (end["status"], end["reason"]))
    got = sorted((r["uid"], r["name"], r["gid"]) for r in recs)
    check(got == [(5689, "kim", 500), (6812, "lee", 501)],
          "accounts, 5 batches: %r" % got)
    ids = [CRASH_KEY] + list(range(200000, 203000)) + [6812]
    recs, end = h.request(req_ids(REQ_USERS, 20000, ids), 20000, {USER})
    check(end["status"] != 0 and "getent passwd killed by signal 11" in
          end["reason"], "accounts, a batch crashed: END status %d (%s)" %
          (end["status"], end["reason"]))
    check(end["records"] == len(recs), "accounts, a batch crashed: END "
          "counts %d records, %d sent" % (end["records"], len(recs)))
    recs, end = h.request(req_ids(REQ_USERS, 5000, [5689]), 5000, {USER})
    check(end["status"] == 0 and len(recs) == 1,
          "accounts after a crashed batch: END %r, records %r" % (end, recs))


def vector(items):
    parts = []
    for labels, value in items:
        metric = ",".join('"%s":"%s"' % kv for kv in labels.items())
        parts.append('{"metric":{%s},"value":[1700000000.5,"%s"]}' %
                     (metric, value))
    return ('{"status":"success","data":{"resultType":"vector","result":[' +
            ",".join(parts) + "]}}\n")


METADATA_JSON = vector([
    ({"jobid": "cp.5689", "target": "fs-MDT0000"}, "3"),
    ({"jobid": "1001", "target": "fs-MDT0001"}, "5"),
    ({"jobid": "1002", "target": "fs-OST0000"}, "7"),   # OST: filtered
    ({"jobid": "1003", "target": "fs-MDT0000"}, "NaN"),  # dropped
])
READ_JSON = vector([
    ({"jobid": "1001"}, "1024"),
    ({"jobid": "dd.6812"}, "2048"),
    ({"jobid": "1002"}, "NaN"),                        # dropped
])
WRITE_JSON = vector([
    ({"jobid": "1001"}, "10"),
])
READ_BROKEN = ('{"status":"success","data":{"resultType":"vector",'
               '"result":[{"metric":{"jobid":"1001"},"value":[1,"1"')

# (source, kind, jobid, uid, proc, target, value)
WANT_SERIES = {
    SOURCE_METADATA: [(KIND_PROC, 0, 5689, "cp", "fs-MDT0000", 3.0),
                      (KIND_JOB, 1001, 0, "", "fs-MDT0001", 5.0)],
    SOURCE_READ: [(KIND_JOB, 1001, 0, "", "", 1024.0),
                  (KIND_PROC, 0, 6812, "dd", "", 2048.0)],
    SOURCE_WRITE: [(KIND_JOB, 1001, 0, "", "", 10.0)],
}
WANT_DROPPED = {SOURCE_METADATA: 1, SOURCE_READ: 1, SOURCE_WRITE: 0}


def start_upstream(d):
    proc = subprocess.Popen([PYTHON, FAKE_UPSTREAM, "--dir", d, "--port",
                             "0"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    portfile = os.path.join(d, "port")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode("utf-8", "replace")
            raise Failure("fake upstream exited with %r: %s" %
                          (proc.returncode, err))
        try:
            with open(portfile) as f:
                return proc, int(f.read().strip())
        except (FileNotFoundError, ValueError):
            time.sleep(0.05)
    stop_upstream(proc)
    raise Failure("fake upstream did not write %s" % portfile)


def stop_upstream(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    proc.stderr.close()


def promql_round(h, what, broken_read=False):
    recs, end = h.request(req_query(10000), 10000,
                          {SERIES, SOURCE_END})
    check(end["status"] == 0, "promql %s: END status %d (%s)" %
          (what, end["status"], end["reason"]))
    ends = [r for r in recs if r["type"] == "SOURCE_END"]
    series = [r for r in recs if r["type"] == "SERIES"]
    check(sorted(e["source"] for e in ends) == [0, 1, 2],
          "promql %s: SOURCE_END for sources %r, want one each of 0, 1, 2" %
          (what, [e["source"] for e in ends]))
    check(recs and recs[-1]["type"] == "SOURCE_END",
          "promql %s: a SERIES record came after the last SOURCE_END" % what)
    check(end["records"] == len(series), "promql %s: END counts %d records, "
          "%d SERIES sent" % (what, end["records"], len(series)))
    seen = set()
    for r in recs:
        src = r["source"]
        check(src in SOURCE_NAMES, "promql %s: bad source %d" % (what, src))
        check(src not in seen, "promql %s: %s record for %s after its "
              "SOURCE_END" % (what, r["type"], SOURCE_NAMES[src]))
        if r["type"] == "SOURCE_END":
            seen.add(src)
    for e in ends:
        src = e["source"]
        name = SOURCE_NAMES[src]
        got = [(s["kind"], s["jobid"], s["uid"], s["proc"], s["target"],
                s["value"]) for s in series if s["source"] == src]
        check(e["series"] == len(got), "promql %s: %s SOURCE_END counts %d "
              "series, %d sent" % (what, name, e["series"], len(got)))
        check(all(not math.isnan(g[5]) for g in got),
              "promql %s: %s sent a NaN value" % (what, name))
        check(not any("OST" in g[4] for g in got),
              "promql %s: %s sent an OST target: %r" % (what, name, got))
        if broken_read and src == SOURCE_READ:
            check(e["status"] != 0 and e["reason"],
                  "promql %s: malformed read answer gave SOURCE_END status "
                  "%d reason %r" % (what, e["status"], e["reason"]))
            continue
        check(e["status"] == 0, "promql %s: %s SOURCE_END status %d (%s)" %
              (what, name, e["status"], e["reason"]))
        check(sorted(got) == sorted(WANT_SERIES[src]),
              "promql %s: %s series %r, want %r" %
              (what, name, got, WANT_SERIES[src]))
        check(e["dropped"] == WANT_DROPPED[src],
              "promql %s: %s dropped %d, want %d" %
              (what, name, e["dropped"], WANT_DROPPED[src]))


def test_promql(h_holder):
    d = make_workdir("promql")
    upstream = None
    try:
        write_file(os.path.join(d, "metadata.json"), METADATA_JSON)
        write_file(os.path.join(d, "read.json"), READ_JSON)
        write_file(os.path.join(d, "write.json"), WRITE_JSON)
        upstream, port = start_upstream(d)
        h = h_holder(Helper("promql", ["http://127.0.0.1:%d" % port, "1m"],
                            d))
        promql_round(h, "round 1")
        promql_round(h, "round 2")
        write_file(os.path.join(d, "read.json"), READ_BROKEN)
        promql_round(h, "malformed read", broken_read=True)
        write_file(os.path.join(d, "read.json"), READ_JSON)
        promql_round(h, "after malformed read")
        return h
    finally:
        if upstream is not None:
            stop_upstream(upstream)
        shutil.rmtree(d, ignore_errors=True)


TESTS = (("slurm", test_slurm), ("accounts", test_accounts),
         ("promql", test_promql))


# -- driver -------------------------------------------------------------------

def wait_for_binaries():
    """Waits (bounded) for the helpers to exist and stop changing."""
    paths = [os.path.join(HELPER_DIR, n) for n in HELPERS]
    deadline = time.monotonic() + BUILD_WAIT
    last = None
    while True:
        try:
            st = [os.stat(p) for p in paths]
            ok = all(os.access(p, os.X_OK) for p in paths)
            sig = [(s.st_mtime_ns, s.st_size) for s in st]
        except FileNotFoundError:
            ok, sig = False, None
        if ok and sig == last and time.time() - max(
                s.st_mtime for s in st) >= 1.0:
            return None
        if time.monotonic() >= deadline:
            missing = [p for p in paths if not os.access(p, os.X_OK)]
            if missing:
                return "helpers not built (run `make` first): %s" % \
                    ", ".join(missing)
            return None
        last = sig
        time.sleep(0.5)


def indent(text):
    return "".join("    " + l + "\n" for l in text.rstrip("\n").split("\n"))


def run_one(name, fn):
    helpers = []

    def holder(h):
        helpers.append(h)
        return h

    h = None
    try:
        h = fn(holder)
        rc = h.finish()
        err = h.stderr_text()
        if rc == 3:
            raise Failure("valgrind reported errors or lost memory "
                          "(exit status 3)")
        check(rc == 0, "exit status %r after stdin closed, want 0" % rc)
        # --quiet prints nothing without errors; be strict about leaks.
        for needle in ("definitely lost", "indirectly lost",
                       "Invalid read", "Invalid write", "uninitialised",
                       "Invalid free"):
            check(needle not in err, "valgrind reported %r" % needle)
        print("valgrind %s: ok" % name, flush=True)
        if err.strip():
            print("  (stderr, not counted as failure)\n" + indent(err),
                  end="", flush=True)
        return True
    except Failure as e:
        msg = str(e)
    except Exception:
        msg = "internal error:\n" + indent(traceback.format_exc())
    for hp in helpers:
        if hp.returncode is None:
            hp.kill()
    print("valgrind %s: FAIL: %s" % (name, msg), flush=True)
    for hp in helpers:
        hp._errt.join(timeout=5)
        err = hp.stderr_text()
        print("  command: %s" % " ".join(hp.argv))
        print("  exit status: %r" % hp.returncode)
        if hp.logs:
            print("  helper LOG records:")
            for l in hp.logs[-20:]:
                print("    [%d] %s" % (l["level"], l["msg"]))
        print("  valgrind stderr:")
        print(indent(err) if err.strip() else "    (empty)\n", end="",
              flush=True)
    return False


def main():
    passed = failed = 0
    problem = None
    if shutil.which("valgrind") is None:
        problem = "valgrind not found in PATH; install valgrind to run " \
            "this test (it is not skipped)"
    if problem is None:
        problem = wait_for_binaries()
    if problem is None:
        try:
            drop_privileges_prefix()
        except Failure as e:
            problem = str(e)
    for name, fn in TESTS:
        if problem is not None:
            print("valgrind %s: FAIL: %s" % (name, problem), flush=True)
            failed += 1
        elif run_one(name, fn):
            passed += 1
        else:
            failed += 1
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
