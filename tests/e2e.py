# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of prometheus-cluster-exporter.

Runs the real exporter binary (PCE_BUILD/prometheus-cluster-exporter,
default build/) against tests/fake_upstream.py (or a real Prometheus),
with stand-in `squeue` and `getent` shell scripts first in its PATH.

    tests/e2e.py [--keep] [--list] [NAME-SUBSTRING ...]

Environment: PCE_BUILD (build directory, default "build"), PCE_SANITIZE=1
(sanitizer build: pass -sandbox=off and allow more time), PCE_KEEP=1 (keep
the temporary directories).  Everything listens on 127.0.0.1, on free
ports.  Prints one PASS/FAIL line per test and closes with
"N passed, M failed"; the exit status is non-zero on any failure.
"""

import argparse
import http.client
import http.server
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS_DIR = os.path.join(ROOT, "tests")
ORIGINAL = os.path.join(TESTS_DIR, "fixtures", "original")
FAKE_UPSTREAM = os.path.join(TESTS_DIR, "fake_upstream.py")
PYTHON = "/usr/bin/python3"


def _build_dir(var="PCE_BUILD", default="build"):
    b = os.environ.get(var) or default
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


BUILD = _build_dir()
EXPORTER = os.path.join(BUILD, "prometheus-cluster-exporter")
# A build with TEST_HOOKS=1 (make check-e2e builds it): --test.fault=HELPER.
HOOKS_EXPORTER = os.path.join(_build_dir("PCE_HOOKS_BUILD", "build-hooks"),
                              "prometheus-cluster-exporter")
SANITIZE = os.environ.get("PCE_SANITIZE") == "1"
SLOW = 3.0 if SANITIZE else 1.0
SAN_ARGS = ["-sandbox=off"] if SANITIZE else []
KEEP = os.environ.get("PCE_KEEP") == "1"

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SKIP_LINE = "Collect is still active... - Skipping now"
FORBIDDEN_PORTS = (9846, 9090)

DATA_FAMILIES = (
    "cluster_job_metadata_operations",
    "cluster_proc_metadata_operations",
    "cluster_job_read_throughput_bytes",
    "cluster_job_write_throughput_bytes",
    "cluster_proc_read_throughput_bytes",
    "cluster_proc_write_throughput_bytes",
)
SCRAPE_OK = "cluster_exporter_scrape_ok"
STAGE = "cluster_exporter_stage_execution_seconds"
SOURCE_UP = "cluster_exporter_source_up"
RESTARTS = "cluster_exporter_helper_restarts_total"
BUILD_INFO = "cluster_exporter_build_info"
ORIGINAL_FAMILIES = (SCRAPE_OK, STAGE) + DATA_FAMILIES
INTERFACE_FAMILIES = ORIGINAL_FAMILIES + (SOURCE_UP, RESTARTS, BUILD_INFO)
STAGES = (
    "retrieve_running_jobs", "retrieve_user_name_info",
    "retrieve_group_name_info", "build_metadata_metrics",
    "build_read_throughput_metrics", "build_write_throughput_metrics",
)
SOURCES = ("slurm", "accounts", "metadata", "read", "write")
HELPERS = ("slurm", "accounts", "promql")
META_FAMILIES = DATA_FAMILIES[0:2]
READ_FAMILIES = (DATA_FAMILIES[2], DATA_FAMILIES[4])
WRITE_FAMILIES = (DATA_FAMILIES[3], DATA_FAMILIES[5])


def promql(source, rng):
    return {
        "metadata": "round(sum by(target,jobid)(irate(lustre_job_stats_total[%s])>=1))",
        "read": "sum by(jobid)(irate(lustre_job_read_bytes_total[%s])!=0)",
        "write": "sum by(jobid)(irate(lustre_job_write_bytes_total[%s])!=0)",
    }[source] % rng


# ----------------------------------------------------------------------------
# Failures and small utilities


class Fail(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def sh_quote(s):
    return shlex.quote(s)


_used_ports = set()


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(family, addr, port):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port():
    """A port nothing listens on, outside the kernel's ephemeral range.

    A port from bind(0) lies in the ephemeral range, where any outgoing
    connection on the machine may take it as its source port before the
    exporter binds it ("Address already in use"); ports below the range
    are only ever taken by explicit binds.
    """
    lo, hi = _ephemeral_range()
    candidates = [(1024, lo - 1), (hi + 1, 65535)]
    candidates = [(a, b) for a, b in candidates if b - a > 1000]
    for _ in range(500):
        a, b = random.choice(candidates) if candidates else (1024, 65535)
        port = random.randint(max(a, 10000) if b > 10000 else a, b)
        if port in FORBIDDEN_PORTS or port in _used_ports:
            continue
        has_v6 = socket.has_ipv6 and os.path.exists("/proc/net/if_inet6")
        if _bindable(socket.AF_INET, "127.0.0.1", port) and \
                (not has_v6 or _bindable(socket.AF_INET6, "::", port)):
            _used_ports.add(port)
            return port
    raise Fail("no free port found")


def port_refuses(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
    except (ConnectionRefusedError, socket.timeout, OSError):
        return True
    finally:
        s.close()
    return False


def write_file(path, data, mode=0o644):
    """Writes atomically (temporary file, then rename)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def read_text(path, default=""):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return default


def tail(text, n=40):
    lines = text.rstrip("\n").split("\n")
    return "\n".join(lines[-n:])


def rel_close(a, b, rel=1e-9):
    if a == b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


# ----------------------------------------------------------------------------
# /proc walking: which processes belong to an exporter


def read_stat(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            data = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    lp, rp = data.find("("), data.rfind(")")
    if lp < 0 or rp < 0:
        return None
    fields = data[rp + 2:].split()
    try:
        return {
            "pid": pid, "comm": data[lp + 1:rp], "state": fields[0],
            "ppid": int(fields[1]), "pgrp": int(fields[2]),
            "sid": int(fields[3]), "start": int(fields[19]),
        }
    except (IndexError, ValueError):
        return None


def all_stats():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = read_stat(int(d))
            if st:
                out[st["pid"]] = st
    return out


def process_tree(root):
    """Processes descending from root, or in its process group/session."""
    stats = all_stats()
    children = {}
    for st in stats.values():
        children.setdefault(st["ppid"], []).append(st["pid"])
    found = {}
    stack = [root]
    while stack:
        p = stack.pop()
        for c in children.get(p, ()):
            if c not in found and c != root:
                found[c] = stats[c]
                stack.append(c)
    for st in stats.values():
        if st["pid"] != root and (st["pgrp"] == root or st["sid"] == root):
            found.setdefault(st["pid"], st)
    return found


def still_running(procs):
    """Those of procs (pid -> stat) that still exist and are not zombies."""
    alive = []
    for pid, old in procs.items():
        st = read_stat(pid)
        if st and st["start"] == old["start"] and st["state"] not in ("Z", "X"):
            alive.append(st)
    return alive


def wait_gone(procs, timeout):
    deadline = time.monotonic() + timeout
    while True:
        alive = still_running(procs)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def kill_procs(stats):
    for st in stats:
        try:
            os.kill(st["pid"], signal.SIGKILL)
        except OSError:
            pass


def describe(stats):
    return ", ".join("%d(%s,%s)" % (s["pid"], s["comm"], s["state"])
                     for s in stats)


# ----------------------------------------------------------------------------
# Prometheus text format


class ParseError(Exception):
    pass


NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
VALUE_RE = re.compile(
    r"^(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[+-]?Inf|NaN)$")
TS_RE = re.compile(r"^-?[0-9]+$")


class Sample:
    __slots__ = ("name", "labels", "value", "lineno", "line")

    def __init__(self, name, labels, value, lineno, line):
        self.name, self.labels, self.value = name, labels, value
        self.lineno, self.line = lineno, line

    @property
    def key(self):
        return (self.name, tuple(sorted(self.labels.items())))

    def __repr__(self):
        return "%s%r %r" % (self.name, self.labels, self.value)


class Exposition:
    def __init__(self):
        self.samples = []
        self.helps = {}
        self.types = {}
        self.comments = 0

    def of(self, *names):
        return [s for s in self.samples if s.name in names]

    def family(self, name):
        if name in self.types:
            return name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix):
                base = name[:-len(suffix)]
                if self.types.get(base) in ("histogram", "summary"):
                    return base
        return None

    def values(self, names, stage_filter=None):
        """key -> value for the samples of names; duplicates are an error."""
        out = {}
        for s in self.samples:
            if s.name not in names:
                continue
            if stage_filter is not None and s.name == STAGE and \
                    s.labels.get("name") not in stage_filter:
                continue
            if s.key in out:
                raise Fail("duplicate sample %s (line %d)" % (fmt_key(s.key), s.lineno))
            out[s.key] = s.value
        return out


def _unescape_help(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in "\\n":
            out.append("\n" if s[i + 1] == "n" else "\\")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_exposition(text, allow_star=False):
    """Strict parser of the text format 0.0.4 (what this suite needs)."""
    exp = Exposition()
    if text and not text.endswith("\n"):
        raise ParseError("the body does not end with a newline")
    lines = text.split("\n")[:-1] if text else []
    for no, line in enumerate(lines, 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            exp.comments += 1
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                rest = parts[3] if len(parts) > 3 else ""
                if not NAME_RE.fullmatch(name):
                    raise ParseError("line %d: bad metric name in %r" % (no, line))
                table = exp.helps if parts[1] == "HELP" else exp.types
                if name in table:
                    raise ParseError("line %d: second %s for %s" % (no, parts[1], name))
                if parts[1] == "TYPE":
                    if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                        raise ParseError("line %d: bad TYPE %r" % (no, rest))
                    if any(s.name == name for s in exp.samples):
                        raise ParseError("line %d: TYPE for %s after its samples" % (no, name))
                else:
                    rest = _unescape_help(rest)
                table[name] = rest
            continue
        m = NAME_RE.match(line)
        if not m:
            raise ParseError("line %d: no metric name: %r" % (no, line[:200]))
        name, pos = m.group(0), m.end()
        labels = {}
        if pos < len(line) and line[pos] == "{":
            pos += 1
            while True:
                if pos >= len(line):
                    raise ParseError("line %d: unterminated label set" % no)
                if line[pos] == "}":
                    pos += 1
                    break
                lm = LABEL_RE.match(line, pos)
                if not lm:
                    raise ParseError("line %d: bad label name at %d: %r" % (no, pos, line[:200]))
                lname = lm.group(0)
                pos = lm.end()
                if line[pos:pos + 2] != '="':
                    raise ParseError("line %d: expected =\" after label %s" % (no, lname))
                pos += 2
                val = []
                while True:
                    if pos >= len(line):
                        raise ParseError("line %d: unterminated label value" % no)
                    c = line[pos]
                    if c == "\\":
                        if pos + 1 >= len(line):
                            raise ParseError("line %d: dangling backslash" % no)
                        e = line[pos + 1]
                        if e == "\\":
                            val.append("\\")
                        elif e == '"':
                            val.append('"')
                        elif e == "n":
                            val.append("\n")
                        else:
                            raise ParseError("line %d: invalid escape \\%s" % (no, e))
                        pos += 2
                        continue
                    if c == '"':
                        pos += 1
                        break
                    val.append(c)
                    pos += 1
                if lname in labels:
                    raise ParseError("line %d: label %s twice" % (no, lname))
                labels[lname] = "".join(val)
                if pos < len(line) and line[pos] == ",":
                    pos += 1
                    continue
                if pos < len(line) and line[pos] == "}":
                    pos += 1
                    break
                raise ParseError("line %d: expected , or } at %d" % (no, pos))
        if pos >= len(line) or line[pos] not in " \t":
            raise ParseError("line %d: no blank before the value: %r" % (no, line[:200]))
        rest = line[pos:].split()
        if not rest or len(rest) > 2:
            raise ParseError("line %d: want value [timestamp]: %r" % (no, line[:200]))
        if len(rest) == 2 and not TS_RE.match(rest[1]):
            raise ParseError("line %d: bad timestamp %r" % (no, rest[1]))
        if allow_star and rest[0] == "*":
            value = None
        elif VALUE_RE.match(rest[0]):
            value = float(rest[0])
        else:
            raise ParseError("line %d: bad value %r" % (no, rest[0]))
        exp.samples.append(Sample(name, labels, value, no, line))
    return exp


def fmt_key(key):
    name, labels = key
    return "%s{%s}" % (name, ",".join("%s=%s" % (k, json.dumps(v)) for k, v in labels))


def key_of(name, **labels):
    return (name, tuple(sorted(labels.items())))


def compare(actual, expected, what="samples", rel=1e-9):
    """Problems between two key -> value maps (None in expected = any)."""
    problems = []
    for k in sorted(set(expected) - set(actual)):
        problems.append("missing: %s %s" % (fmt_key(k), expected[k]))
    for k in sorted(set(actual) - set(expected)):
        problems.append("unexpected: %s %s" % (fmt_key(k), actual[k]))
    for k in sorted(set(actual) & set(expected)):
        e, a = expected[k], actual[k]
        if e is None:
            continue
        if not rel_close(a, e, rel):
            problems.append("value: %s got %r want %r" % (fmt_key(k), a, e))
    return problems


def assert_same(actual, expected, what, rel=1e-9):
    problems = compare(actual, expected, what, rel)
    if problems:
        shown = problems[:25]
        more = "" if len(problems) <= 25 else "\n  ... and %d more" % (len(problems) - 25)
        raise Fail("%s differ (%d problems):\n  %s%s" % (
            what, len(problems), "\n  ".join(shown), more))


# ----------------------------------------------------------------------------
# HTTP


class Resp:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    def header(self, name):
        return self.headers.get(name.lower())


def http_request(port, method="GET", path="/", headers=None, body=None, timeout=10.0):
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        return Resp(r.status, hdrs, data, time.monotonic() - t0)
    finally:
        conn.close()


def scrape(ex, timeout=None, what="scrape", headers=None):
    """GET /metrics and the checks every scrape must pass."""
    timeout = timeout or (ex.timeout + 5) * SLOW
    try:
        r = ex.request("GET", "/metrics", headers=headers, timeout=timeout)
    except Exception as e:
        raise Fail("%s: GET /metrics failed: %s: %s" % (what, type(e).__name__, e))
    check(r.status == 200, "%s: status %d, body %r" % (what, r.status, r.body[:300]))
    check(r.header("content-type") == CONTENT_TYPE,
          "%s: Content-Type %r, want %r" % (what, r.header("content-type"), CONTENT_TYPE))
    try:
        text = r.body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Fail("%s: body is not valid UTF-8: %s" % (what, e))
    try:
        e = parse_exposition(text)
    except ParseError as pe:
        raise Fail("%s: body does not parse: %s" % (what, pe))
    ok = e.of(SCRAPE_OK)
    check(len(ok) == 1, "%s: %d %s samples, want exactly 1" % (what, len(ok), SCRAPE_OK))
    undeclared = sorted({s.name for s in e.samples
                         if e.family(s.name) is None or e.family(s.name) not in e.helps})
    check(not undeclared, "%s: samples without # HELP and # TYPE: %s" % (what, undeclared))
    r.text = text
    return r, e


def scrape_ok(e):
    return e.of(SCRAPE_OK)[0].value


def source_up(e):
    return {s.labels.get("source"): s.value for s in e.of(SOURCE_UP)}


def promtool_check(body, what="promtool"):
    p = subprocess.run(["promtool", "check", "metrics"], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    check(p.returncode == 0, "%s: `promtool check metrics` exit %d:\n%s" % (
        what, p.returncode, p.stdout.decode("utf-8", "replace")[-3000:]))


# ----------------------------------------------------------------------------
# Fixtures


def original_bytes(name):
    with open(os.path.join(ORIGINAL, name), "rb") as f:
        return f.read()


def original_jobs():
    jobs = []
    for line in original_bytes("squeue.txt").decode().splitlines():
        if line.strip():
            jobid, acc, user = line.split()
            jobs.append((jobid, acc, user))
    return jobs


def load_expected():
    exp = parse_exposition(original_bytes("expected.txt").decode(), allow_star=True)
    return exp


def expected_values(exp, families):
    return exp.values(families, stage_filter=STAGES)


def series(metric, value, ts=1700000000.0):
    return {"metric": metric, "value": [ts, value]}


def vector(results):
    return json.dumps({"status": "success",
                       "data": {"resultType": "vector", "result": results}})


# ----------------------------------------------------------------------------
# Test context: temporary directory, stand-ins, processes


class Upstream:
    """tests/fake_upstream.py in DIR/name; args: more of its options (the
    --tls-* ones make it HTTPS, and url https://)."""

    def __init__(self, ctx, name="upstream", args=(), bind="127.0.0.1", port=0):
        self.ctx = ctx
        self.dir = ctx.mkdir(name)
        self.log = open(os.path.join(ctx.logs, name + ".stderr"), "wb")
        self.proc = subprocess.Popen(
            [PYTHON, FAKE_UPSTREAM, "--dir", self.dir, "--bind", bind, "--port", str(port)] + list(args),
            stdout=self.log, stderr=self.log, start_new_session=True)
        portfile = os.path.join(self.dir, "port")
        deadline = time.monotonic() + 10
        while not os.path.exists(portfile):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Fail("fake upstream did not start: %s" % read_text(self.log.name))
            time.sleep(0.02)
        self.port = int(read_text(portfile).strip())
        scheme = "https" if "--tls-cert" in args else "http"
        self.url = "%s://%s:%d" % (scheme, bind, self.port)
        ctx.cleanups.append(self.stop)

    def set(self, source, body=None, status=None, delay=None, truncate=None, trickle=None, gzip=False):
        base = os.path.join(self.dir, source)
        if body is not None:
            write_file(base + ".json", body)
        for ext, v in (("status", status), ("delay", delay), ("truncate", truncate), ("trickle", trickle)):
            if v is not None:
                write_file("%s.%s" % (base, ext), "%s\n" % v)
        if gzip:
            write_file(base + ".gzip", "")

    def clear(self, source, *exts):
        for ext in exts or ("json", "status", "delay", "truncate", "trickle", "gzip"):
            try:
                os.unlink(os.path.join(self.dir, "%s.%s" % (source, ext)))
            except FileNotFoundError:
                pass

    def load_original(self):
        self.set("metadata", original_bytes("metadata.json"))
        self.set("read", original_bytes("read.json"))
        self.clear("write")

    def queries(self):
        text = read_text(os.path.join(self.dir, "queries.log"))
        return [l for l in text.split("\n") if l]

    def redirect(self, source, location=None, status=None):
        """Answers source's queries with a redirect to location (None: no
        more redirect); see fake_upstream.py."""
        if location is None:
            self.clear(source, "redirect")
        else:
            write_file(os.path.join(self.dir, source + ".redirect"),
                       location + "\n" + ("%d\n" % status if status else ""))

    def require_authorization(self, value):
        """Refuses (401) requests without exactly this Authorization
        header; None: accepts any."""
        path = os.path.join(self.dir, "authorization")
        if value is None:
            if os.path.exists(path):
                os.unlink(path)
        else:
            write_file(path, value + "\n")

    def requests(self, name="headers.log"):
        """What headers.log recorded: one dict per request (tls.log:
        failed handshakes)."""
        text = read_text(os.path.join(self.dir, name))
        return [json.loads(l) for l in text.split("\n") if l]

    def reset_requests(self):
        for name in ("headers.log", "tls.log", "queries.log"):
            try:
                os.unlink(os.path.join(self.dir, name))
            except FileNotFoundError:
                pass

    def reset_queries(self):
        try:
            os.unlink(os.path.join(self.dir, "queries.log"))
        except FileNotFoundError:
            pass

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


class Exporter:
    # How the suite talks to it: None for plain http_request, else a
    # callable with http_request's signature (HTTPS, credentials: e2e_web).
    client = None

    def __init__(self, ctx, name, args, port, timeout, env, ready=True, binary=None, client=None):
        self.ctx, self.name, self.args, self.port = ctx, name, args, port
        self.timeout = timeout
        self.client = client
        self.stderr_path = os.path.join(ctx.logs, name + ".stderr")
        self.stdout_path = os.path.join(ctx.logs, name + ".stdout")
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen([binary or EXPORTER] + args, stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err, env=env,
                                     cwd=ctx.dir, start_new_session=True)
        self.pid = self.proc.pid
        self.stopped = False
        ctx.exporters.append(self)
        if ready:
            self.wait_ready()

    def wait_ready(self, limit=10.0):
        deadline = time.monotonic() + limit * SLOW
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Fail("%s exited with status %d before it was ready" % (
                    self.name, self.proc.returncode))
            try:
                r = self.request("GET", "/", timeout=1.0)
                if r.status == 200:
                    return
                last = "status %d" % r.status
            except Exception as e:
                last = "%s: %s" % (type(e).__name__, e)
            time.sleep(0.05)
        raise Fail("%s not ready on 127.0.0.1:%d after %.0f s (last: %s)" % (
            self.name, self.port, limit * SLOW, last))

    def request(self, method="GET", path="/", headers=None, body=None, timeout=10.0):
        """One request to this exporter, through its client."""
        return (self.client or http_request)(self.port, method, path, headers=headers, body=body,
                                             timeout=timeout)

    def stderr(self):
        if not self._err.closed:
            self._err.flush()
        return read_text(self.stderr_path)

    def tree(self):
        return process_tree(self.pid)

    def stop(self, grace=5.0):
        """SIGTERM; returns a list of problems (never raises)."""
        problems = []
        if self.stopped:
            return problems
        self.stopped = True
        procs = {}
        if self.proc.poll() is None:
            procs = self.tree()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace * SLOW)
            except subprocess.TimeoutExpired:
                problems.append("%s did not exit within %.0f s of SIGTERM" % (self.name, grace * SLOW))
                procs.update(self.tree())
                kill_procs(still_running(procs))
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait()
            left = wait_gone(procs, 2.0 * SLOW)
            if left:
                problems.append("%s: processes left behind after exit: %s" % (self.name, describe(left)))
                kill_procs(left)
        self._err.close()
        self._out.close()
        return problems


class Watcher:
    """Records the stand-ins the exporters of a Ctx start, from /proc.

    Each record: kind "standin" (name, argv, env, pid, start) or "child"
    (parent pid, cmdline, pid, start).  "time" is when the Watcher first
    saw it, and a stand-in's "end" when it saw it gone or a zombie (None
    until then).  Records are also appended as JSON lines to
    logs/invocations.log, an end as a line of kind "end".
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self.prefix = ctx.bin + "/"
        self.records = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.log = open(os.path.join(ctx.logs, "invocations.log"), "a")

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.log.close()

    def standins(self, name):
        with self.lock:
            return [r for r in self.records if r["kind"] == "standin" and r["name"] == name]

    def children(self, parent_pid):
        with self.lock:
            return [r for r in self.records if r["kind"] == "child" and r["parent"] == parent_pid]

    def intervals(self, name):
        """(seen, end) of each run of stand-in `name`; end is None while
        it runs."""
        with self.lock:
            return [(r["time"], r["end"]) for r in self.records
                    if r["kind"] == "standin" and r["name"] == name]

    @staticmethod
    def _read0(path):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return None
        return [x.decode("utf-8", "backslashreplace") for x in data.split(b"\0")[:-1]]

    def _add(self, rec):
        with self.lock:
            self.records.append(rec)
        self.log.write(json.dumps(rec) + "\n")
        self.log.flush()

    def _ended(self, running, alive, now):
        """Stamps `end` on the stand-ins of running (pid -> record) that
        are gone from alive or zombies, and drops them from running."""
        for pid, rec in list(running.items()):
            st = read_stat(pid) if pid in alive else None
            if st and st["start"] == rec["start"] and st["state"] not in ("Z", "X"):
                continue
            with self.lock:
                rec["end"] = now
            del running[pid]
            self.log.write(json.dumps({"kind": "end", "pid": pid, "start": rec["start"],
                                       "time": now}) + "\n")
            self.log.flush()

    @staticmethod
    def _script(pid, cmd):
        """The script a shell runs: its cmdline's second word, or, when the
        exporter ran it from a checked descriptor (fexecve), what that
        /dev/fd/N names."""
        if len(cmd) < 2:
            return ""
        if cmd[1].startswith("/dev/fd/"):
            try:
                return os.readlink("/proc/%d/fd/%s" % (pid, cmd[1][len("/dev/fd/"):]))
            except OSError:
                return ""
        return cmd[1]

    def _run(self):
        known = {}          # pid -> (start time, ppid), every pid seen
        standin = set()     # (pid, start) recorded as stand-ins
        child = set()       # (pid, start) recorded as children
        standin_cmd = {}    # pid -> cmdline of a recorded stand-in
        running = {}        # pid -> record of a stand-in not seen ending
        while not self._stop.is_set():
            roots = {ex.pid for ex in self.ctx.exporters if ex.proc.poll() is None}
            try:
                pids = [int(d) for d in os.listdir("/proc") if d.isdigit()]
            except OSError:
                pids = []
            # Ends carry the time of the listing, before any start this
            # round records: a run that began after another ended never
            # seems to overlap it.
            listed = time.time()
            alive = set(pids)
            self._ended(running, alive, listed)
            for pid in list(known):
                if pid not in alive:
                    del known[pid]
                    standin_cmd.pop(pid, None)
            kids = {}
            for pid in pids:
                if pid not in known:
                    st = read_stat(pid)
                    if not st:
                        continue
                    known[pid] = (st["start"], st["ppid"])
                kids.setdefault(known[pid][1], []).append(pid)
            family = []
            stack = list(roots)
            while stack:
                for c in kids.get(stack.pop(), ()):
                    family.append(c)
                    stack.append(c)
            for pid in family:
                key = (pid, known[pid][0])
                if key in standin or key in child:
                    continue
                cmd = self._read0("/proc/%d/cmdline" % pid)
                st = read_stat(pid)
                if not cmd or not st:
                    continue
                parent = standin_cmd.get(st["ppid"])
                if parent is not None:
                    # a child of a stand-in; wait until it has exec'd
                    if cmd != parent:
                        child.add(key)
                        self._add({"kind": "child", "parent": st["ppid"], "cmdline": cmd,
                                   "pid": pid, "start": key[1], "time": time.time()})
                    continue
                script = self._script(pid, cmd)
                if script.startswith(self.prefix):
                    env = self._read0("/proc/%d/environ" % pid) or []
                    standin.add(key)
                    standin_cmd[pid] = cmd
                    rec = {"kind": "standin", "name": os.path.basename(script),
                           "argv": cmd[2:], "env": env, "pid": pid, "start": key[1],
                           "time": time.time(), "end": None}
                    running[pid] = rec
                    self._add(rec)
            self._stop.wait(0.005)


class Ctx:
    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="pce-e2e-%s-" % name)
        os.chmod(self.dir, 0o755)     # helpers run as an unprivileged user
        self.bin = self.mkdir("bin")
        self.data = self.mkdir("data")
        self.logs = self.mkdir("logs")
        self.exporters = []
        self.cleanups = []
        self.notes = []
        self.soft = []
        self.seq = 0

    def mkdir(self, name, mode=0o755):
        p = os.path.join(self.dir, name)
        os.mkdir(p)
        os.chmod(p, mode)
        return p

    def expect(self, fn, *args, **kw):
        """Runs a check; a Fail is recorded and the test goes on."""
        try:
            fn(*args, **kw)
        except Fail as f:
            self.soft.append(str(f))

    def note(self, msg):
        self.notes.append(msg)
        print("    note: %s" % msg, flush=True)

    # -- stand-ins -------------------------------------------------------
    #
    # The exporter runs the commands confined: they may not open files for
    # writing (EACCES, even /dev/null), create sockets (SIGSYS) or grow a
    # file (RLIMIT_FSIZE 0).  So the stand-ins never write anything; the
    # Watcher records each invocation (argv, environment, children) from
    # /proc into logs/invocations.log.  A watched stand-in pauses
    # WATCH_PAUSE seconds before it answers so the Watcher sees it.

    WATCH_PAUSE = "0.3"

    def _pause(self, watch):
        return "sleep %s\n" % self.WATCH_PAUSE if watch else ""

    def install_squeue(self, lines=None, mode="cat", watch=False):
        """mode: cat (print the lines) or hang (a child `sleep 300`, then wait)."""
        head = "#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n# squeue stand-in (e2e)\n"
        if mode == "cat":
            self.seq += 1
            data = os.path.join(self.data, "squeue.%d.out" % self.seq)
            write_file(data, "".join(l + "\n" for l in (lines or [])))
            body = self._pause(watch) + "exec cat %s\n" % sh_quote(data)
        elif mode == "hang":
            body = "sleep 300 &\nwait\n"
        elif mode in ("flood", "flood_junk"):
            # 70 MB in short lines: valid ones pass MAX_RECORDS (2 M jobs)
            # first, junk ones (skipped) reach MAX_CMD_OUTPUT (64 MiB).
            line = "1|acc|user" if mode == "flood" else "junk"
            body = "yes '%s' | head -c 70000000\n" % line
        elif mode == "escape":
            # The child moves to a process group of its own (setpgid).
            body = ("perl -e 'setpgrp(0, 0); exec(\"sleep\", \"300\")' &\n"
                    "wait\n")
        else:
            raise ValueError(mode)
        write_file(os.path.join(self.bin, "squeue"), head + body, 0o755)

    def install_getent(self, passwd, group, watch=False):
        pw = os.path.join(self.data, "passwd")
        gr = os.path.join(self.data, "group")
        write_file(pw, passwd)
        write_file(gr, group)
        script = ("#!/bin/sh\n# SPDX-License-Identifier: Apache-2.0\n"
                  "# getent stand-in (e2e): numeric keys are ids; prints the entries\n"
                  "# found, in key order; exits 2 when a key is not found.\n"
                  'case "$1" in\n'
                  "passwd) f=%s ;;\n"
                  "group) f=%s ;;\n"
                  '*) echo "Unknown database: $1" >&2; exit 1 ;;\n'
                  "esac\n"
                  "shift\n" % (sh_quote(pw), sh_quote(gr))
                  + self._pause(watch) +
                  'if [ $# -eq 0 ]; then exec cat "$f"; fi\n'
                  "exec awk -F: -v keys=\"$*\" '\n"
                  "{ if (!($3 in byid)) byid[$3] = $0; if (!($1 in byname)) byname[$1] = $0 }\n"
                  "END {\n"
                  "  n = split(keys, k, \" \"); rc = 0\n"
                  "  for (i = 1; i <= n; i++) {\n"
                  "    key = k[i]\n"
                  "    if (key ~ /^[0-9]+$/) { if (key in byid) print byid[key]; else rc = 2 }\n"
                  "    else if (key in byname) print byname[key]; else rc = 2\n"
                  "  }\n"
                  "  exit rc\n"
                  "}' \"$f\"\n")
        write_file(os.path.join(self.bin, "getent"), script, 0o755)

    def install_original_standins(self, space_form=False, watch=False):
        jobs = original_jobs()
        fmt = "%s %s %s" if space_form else "%s|%s|%s"
        self.install_squeue([fmt % j for j in jobs], watch=watch)
        self.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"), watch=watch)

    def watch(self):
        """Starts recording stand-in invocations; returns the Watcher."""
        w = Watcher(self)
        w.start()
        self.cleanups.append(w.stop)
        return w

    # -- processes -------------------------------------------------------

    def upstream(self, name="upstream", args=(), bind="127.0.0.1", port=0):
        return Upstream(self, name, args, bind, port)

    def exporter(self, promserver, timeout=5, timerange="1m", listen="addr",
                 extra=(), env_extra=None, ready=True, port=None, name=None,
                 log="DEBUG", binary=None, min_interval="0", client=None):
        binary = binary or EXPORTER
        check(os.access(binary, os.X_OK),
              "exporter binary %s is missing or not executable (run `make` first)" % binary)
        port = port or free_port()
        if isinstance(promserver, Upstream):
            promserver = promserver.url
        args = ["-promserver=" + promserver]
        if listen == "addr":
            args.append("--web.listen-address=127.0.0.1:%d" % port)
        elif listen == "port":
            args.append("-port=%d" % port)
        if timeout is not None:
            args.append("-timeout=%d" % timeout)
        if timerange is not None:
            args.append("-timerange=" + timerange)
        if log:
            args.append("-log=" + log)
        # Most scenarios change the inputs between scrapes: one collection
        # per scrape unless a test is about sharing.
        if min_interval is not None:
            args.append("--collector.min-interval=" + min_interval)
        # The stand-ins read their answers from this test's directory:
        # the slurm and accounts helpers' Landlock rules must allow it.
        args.append("--sandbox.read-path=" + self.dir)
        args += SAN_ARGS + list(extra)
        env = dict(os.environ)
        env["PATH"] = self.bin + ":/usr/bin:/bin"
        env.update(env_extra or {})
        name = name or "exporter%d" % (len(self.exporters) + 1)
        return Exporter(self, name, args, port, timeout or 15, env, ready, binary, client)

    def close(self):
        problems = []
        for ex in self.exporters:
            problems += ex.stop()
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:
                problems.append("cleanup: %s: %s" % (type(e).__name__, e))
        return problems

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def start_daemon(t, name, argv, env=None):
    """A long-running process in its own session, its output in
    logs/NAME.log, stopped at cleanup; returns (Popen, log path)."""
    check(os.access(argv[0], os.X_OK), "%s is not installed (make deps)" % argv[0])
    logpath = os.path.join(t.logs, name + ".log")
    log = open(logpath, "wb")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                         start_new_session=True)

    def stop():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        log.close()
    t.cleanups.append(stop)
    return p, logpath


# ----------------------------------------------------------------------------
# Shared checks


def check_interface(e, what="scrape"):
    """The families the interface promises, with their labels."""
    for fam in (SCRAPE_OK, STAGE, SOURCE_UP, RESTARTS, BUILD_INFO):
        check(fam in e.types and fam in e.helps, "%s: family %s lacks # HELP or # TYPE" % (what, fam))
    check(e.types[SCRAPE_OK] == "gauge", "%s: %s has TYPE %s, want gauge" % (what, SCRAPE_OK, e.types[SCRAPE_OK]))
    stages = {s.labels.get("name") for s in e.of(STAGE)}
    missing = [n for n in STAGES if n not in stages]
    check(not missing, "%s: stage names missing from %s: %s" % (what, STAGE, missing))
    ups = source_up(e)
    check(sorted(k for k in ups if k is not None) == sorted(SOURCES) and len(e.of(SOURCE_UP)) == 5,
          "%s: %s sources %s, want %s" % (what, SOURCE_UP, sorted(map(str, ups)), sorted(SOURCES)))
    for src, v in ups.items():
        check(v in (0.0, 1.0), "%s: %s{source=%r} = %r, want 0 or 1" % (what, SOURCE_UP, src, v))
    helpers = sorted(str(s.labels.get("helper")) for s in e.of(RESTARTS))
    check(helpers == sorted(HELPERS), "%s: %s helpers %s, want %s" % (what, RESTARTS, helpers, sorted(HELPERS)))
    bi = e.of(BUILD_INFO)
    check(len(bi) == 1 and bi[0].value == 1.0 and
          all(bi[0].labels.get(k) for k in ("version", "revision", "branch", "compiler", "libraries"))
          and re.match(r"^libmicrohttpd \d+\.\d+\.\d+, GnuTLS \d[\d.]*, libseccomp \d+\.\d+\.\d+, "
                       r"libyaml \d[\d.]*, libcurl \d+\.\d+\.\d+", bi[0].labels.get("libraries", "")),
          "%s: want one %s{branch,compiler,libraries,revision,version} 1, got %r" % (what, BUILD_INFO, bi))
    # The client libraries' process_* families, for the exporter itself.
    now = time.time()
    for name, lo, hi in (("process_cpu_seconds_total", 0, 1e6), ("process_open_fds", 3, 1e6),
                         # The sanitizers reserve terabytes of address space.
                         ("process_max_fds", 16, 1e9), ("process_virtual_memory_bytes", 1e6, 1e15),
                         ("process_resident_memory_bytes", 1e5, 1e11),
                         ("process_start_time_seconds", now - 7200, now + 5)):
        got = e.of(name)
        check(len(got) == 1 and lo <= got[0].value <= hi,
              "%s: want one %s between %g and %g, got %r" % (what, name, lo, hi, got))
    dur = e.of("cluster_exporter_scrape_duration_seconds")
    check(len(dur) == 1 and 0 <= dur[0].value < 3600,
          "%s: want one cluster_exporter_scrape_duration_seconds, got %r" % (what, dur))
    ok = scrape_ok(e)
    check(ok in (0.0, 1.0), "%s: scrape_ok %r" % (what, ok))
    if len(ups) == 5:
        want = 1.0 if all(v == 1.0 for v in ups.values()) else 0.0
        check(ok == want, "%s: scrape_ok %r but source_up %r" % (what, ok, ups))


def check_original(e, what="scrape"):
    exp = load_expected()
    assert_same(e.values(ORIGINAL_FAMILIES, stage_filter=STAGES),
                expected_values(exp, ORIGINAL_FAMILIES), "%s vs expected.txt" % what)
    for fam, typ in exp.types.items():
        if fam in e.types:
            check(e.types[fam] == typ, "%s: %s has TYPE %s, want %s" % (what, fam, e.types[fam], typ))


LOGFMT_RE = re.compile(r'^ts=\S+ level=(error|warn|info|debug|trace) (?:.* )?msg=(?:"(?:[^"\\]|\\.)*"|\S+)(?: |$)')


def check_logfmt(text, what="exporter stderr"):
    """One logfmt line per event: ts=... level=... msg=..."""
    lines = [l for l in text.split("\n") if l]
    check(lines, "%s is empty with -log=DEBUG" % what)
    bad = [l for l in lines if not LOGFMT_RE.match(l)]
    check(not bad, "%s: %d lines are not logfmt `ts=... level=... msg=...`, e.g. %r" % (
        what, len(bad), bad[:3]))


# key=value, the value bare or quoted with lib/log's escapes (which JSON
# reads too).
LOGFMT_PAIR_RE = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt_fields(line):
    """A logfmt line's keys and values, quotes and escapes undone; the
    first of a key repeated."""
    out = {}
    for k, v in LOGFMT_PAIR_RE.findall(line):
        if v.startswith('"'):
            v = json.loads(v)
        out.setdefault(k, v)
    return out


def source_failures(log, source):
    """The err= of every `msg="source failed"` line of that source."""
    return [f.get("err", "") for f in (logfmt_fields(l) for l in log.split("\n")
                                      if 'msg="source failed"' in l)
            if f.get("source") == source]


def helper_figures(e, fam):
    """cluster_exporter_helper_<fam> of a scrape, by helper."""
    return {s.labels.get("helper"): s.value for s in e.of("cluster_exporter_helper_" + fam)}


def helper_lines(log, helper):
    """The fields of the exporter's own lines about a helper (helper=,
    not relayed from it)."""
    return [f for f in (logfmt_fields(l) for l in log.split("\n") if "helper=" + helper in l)
            if f.get("helper") == helper and f.get("caller") != "helper"]


def expected_subset(families):
    return expected_values(load_expected(), families)


# ----------------------------------------------------------------------------
# Tests

TESTS = []
# Scenarios against real components (Prometheus, Slurm) and at scale: run
# by the plain pass, not again under the sanitizers.
PLAIN_PASS_ONLY = {"real_slurm", "real_prometheus", "scale", "web_real_prometheus", "confine_every_process_filtered",
                   "confine_write_then_execute", "confine_command_sandbox_violation",
                   "confine_landlock",
                   "upstream_real_prometheus", "upstream_victoriametrics"}


def test(fn):
    TESTS.append(fn)
    return fn


@test
def original(t):
    up = t.upstream()
    up.load_original()
    t.install_original_standins(watch=True)
    w = t.watch()
    ex = t.exporter(up, env_extra={"SQUEUE_USERS": "e2e-must-not-leak",
                                   "SQUEUE_STATES": "e2e-must-not-leak"})
    r, e = scrape(ex)
    check_original(e)
    check_interface(e)
    ups = source_up(e)
    check(all(v == 1.0 for v in ups.values()), "source_up not all 1: %r" % ups)
    promtool_check(r.body)

    # Each helper's own process figures, under its name.
    # Each helper's own figures, which it reports with its answers.
    now = time.time()
    for fam, lo, hi in (("cpu_seconds_total", 0, 1e6), ("resident_memory_bytes", 1e5, 1e11),
                        ("virtual_memory_bytes", 1e6, 1e15), ("open_fds", 1, 1e6),
                        ("max_fds", 1, 1e9), ("start_time_seconds", now - 7200, now + 5)):
        got = helper_figures(e, fam)
        check(sorted(got) == sorted(HELPERS) and all(lo <= v <= hi for v in got.values()),
              "cluster_exporter_helper_%s: want each helper's, in [%g, %g], got %r" % (fam, lo, hi, got))

    want = sorted(promql(s, "1m") for s in ("metadata", "read", "write"))
    got = sorted(up.queries())
    check(got == want, "upstream queries (-timerange=1m):\n  got  %r\n  want %r" % (got, want))

    sq = w.standins("squeue")
    check(sq, "the watcher saw no squeue stand-in run (recorded: %r)" % w.records[:5])
    bad = [r["argv"] for r in sq if r["argv"] != ["-ah", "-o", "%A|%a|%u"]]
    check(not bad, "squeue argv %r, want ['-ah', '-o', '%%A|%%a|%%u']" % bad)
    env = dict(v.split("=", 1) for v in sq[0]["env"] if "=" in v)
    check(env.get("PATH") == "/usr/bin:/bin", "squeue ran with PATH=%r, want /usr/bin:/bin" % env.get("PATH"))
    check(env.get("LC_ALL") == "C", "squeue ran with LC_ALL=%r, want C" % env.get("LC_ALL"))
    leaked = sorted(k for k in env if k not in ("PATH", "LC_ALL", "SLURM_CONF"))
    check(not leaked, "squeue's environment is not clean, extra variables: %s" % leaked)

    ge = w.standins("getent")
    check(ge, "the watcher saw no getent stand-in run")
    gargv = [r["argv"] for r in ge]
    enum = [a for a in gargv if len(a) < 2]
    check(not enum, "getent enumerated a whole database: %r" % enum)
    bad = [a for a in gargv if a[0] not in ("passwd", "group") or
           not all(re.fullmatch(r"[0-9]+", k) for k in a[1:])]
    check(not bad, "getent called with non-numeric keys or an unknown database: %r" % bad)
    check(any(a[0] == "passwd" and "5689" in a[1:] for a in gargv),
          "no `getent passwd ... 5689` call (for cp.5689): %r" % gargv)
    check(any(a[0] == "group" and "500" in a[1:] for a in gargv),
          "no `getent group ... 500` call (kim's gid): %r" % gargv)
    genv = dict(v.split("=", 1) for v in ge[0]["env"] if "=" in v)
    leaked = sorted(k for k in genv if k not in ("PATH", "LC_ALL", "SLURM_CONF"))
    check(genv.get("PATH") == "/usr/bin:/bin" and genv.get("LC_ALL") == "C" and not leaked,
          "getent's environment is not PATH=/usr/bin:/bin LC_ALL=C only: %r" % ge[0]["env"])

    problems = ex.stop()
    check(not problems, "; ".join(problems))
    check_logfmt(ex.stderr())
    up.reset_queries()
    ex5 = t.exporter(up, timerange="5m")
    r, e = scrape(ex5, what="scrape with -timerange=5m")
    check_original(e, "scrape with -timerange=5m")
    want = sorted(promql(s, "5m") for s in ("metadata", "read", "write"))
    got = sorted(up.queries())
    check(got == want, "upstream queries (-timerange=5m):\n  got  %r\n  want %r" % (got, want))


@test
def original_space_form(t):
    """squeue stand-in prints the original's `%A %a %u` form."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins(space_form=True)
    ex = t.exporter(up)
    r, e = scrape(ex)
    check_original(e)
    check(scrape_ok(e) == 1.0, "scrape_ok %r" % scrape_ok(e))


@test
def zero_jobs(t):
    up = t.upstream()
    up.set("metadata", original_bytes("metadata.json"))
    up.set("read", vector([
        series({"jobid": "cp.5689"}, "1000.5"),
        series({"jobid": "rsync.6812"}, "2000"),
        series({"jobid": "my.app.5689"}, "3"),
        series({"jobid": "35652133"}, "319215.8800539506"),
    ]))
    up.set("write", vector([series({"jobid": "cp.5689"}, "42")]))
    t.install_squeue([])
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    ex = t.exporter(up)
    r, e = scrape(ex)
    want = {
        key_of("cluster_proc_metadata_operations", group_name="hpcusers", proc_name="cp",
               target="hebe-MDT0002", user_name="kim"): 1.0,
        key_of("cluster_proc_read_throughput_bytes", group_name="hpcusers", proc_name="cp",
               user_name="kim"): 1000.5,
        key_of("cluster_proc_read_throughput_bytes", group_name="guests", proc_name="rsync",
               user_name="lee"): 2000.0,
        key_of("cluster_proc_read_throughput_bytes", group_name="hpcusers", proc_name="my.app",
               user_name="kim"): 3.0,
        key_of("cluster_proc_write_throughput_bytes", group_name="hpcusers", proc_name="cp",
               user_name="kim"): 42.0,
    }
    assert_same(e.values(DATA_FAMILIES), want, "zero-jobs series")
    check(scrape_ok(e) == 1.0, "scrape_ok %r with an empty queue, source_up %r" % (scrape_ok(e), source_up(e)))
    promtool_check(r.body)


@test
def failing_upstream(t):
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up)
    r, e = scrape(ex, what="baseline scrape")
    check_original(e, "baseline scrape")
    meta_want = expected_subset(META_FAMILIES)
    read_body = original_bytes("read.json")
    faults = [
        ("HTTP 500 with an error JSON", dict(
            body='{"status":"error","errorType":"internal","error":"e2e: upstream broke"}',
            status=500)),
        ("truncated body (Content-Length larger than sent)", dict(body=read_body, truncate=40)),
        ("malformed JSON with 200", dict(
            body='{"status":"success","data":{"resultType":"vector","result":[{"metric":{"jobid":"35652133"},"value":[1,"5"]},{]}}')),
        ("JSON cut short with 200", dict(body=read_body[:len(read_body) // 2])),
        ('{"status":"error"} with 200', dict(
            body='{"status":"error","errorType":"execution","error":"e2e: query timed out"}')),
    ]
    for label, fault in faults:
        up.clear("read")
        up.set("read", **fault)
        r, e = scrape(ex, what="scrape with read = " + label)
        ups = source_up(e)
        want_ups = {s: (0.0 if s == "read" else 1.0) for s in SOURCES}
        check(ups == want_ups, "read = %s: source_up %r, want %r" % (label, ups, want_ups))
        check(scrape_ok(e) == 0.0, "read = %s: scrape_ok %r, want 0" % (label, scrape_ok(e)))
        assert_same(e.values(META_FAMILIES), meta_want, "read = %s: metadata series" % label)
        stray = e.of(*READ_FAMILIES)
        check(not stray, "read = %s: read series exported from a failed source: %r" % (label, stray[:5]))
        promtool_check(r.body, "read = %s: promtool" % label)
        up.clear("read")
        up.set("read", read_body)
        r, e = scrape(ex, what="scrape after fixing read (%s)" % label)
        check(scrape_ok(e) == 1.0, "after fixing read (%s): scrape_ok %r, source_up %r" % (
            label, scrape_ok(e), source_up(e)))
        check_original(e, "after fixing read (%s)" % label)


@test
def hung_squeue(t):
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    t.install_squeue(mode="hang")
    w = t.watch()
    ex = t.exporter(up, timeout=2)
    limit = 2 + 1.5 * SLOW
    r, e = scrape(ex, timeout=30, what="scrape with a hung squeue")
    t.note("scrape with a hung squeue took %.2f s" % r.elapsed)
    t.expect(check, r.elapsed <= limit, "scrape with a hung squeue took %.2f s, want <= %.1f s" % (r.elapsed, limit))
    ups = source_up(e)
    t.expect(check, ups.get("slurm") == 0.0, "source_up{slurm} %r, want 0" % ups.get("slurm"))
    t.expect(check, scrape_ok(e) == 0.0, "scrape_ok %r, want 0" % scrape_ok(e))
    t.expect(check, all(v == 1.0 for k, v in ups.items() if k != "slurm"),
             "with only squeue hung, other sources failed too: source_up %r" % ups)
    proc_want = {k: v for k, v in expected_subset(DATA_FAMILIES).items() if k[0].startswith("cluster_proc_")}
    t.expect(assert_same, {k: v for k, v in e.values(DATA_FAMILIES).items() if k[0].startswith("cluster_proc_")},
             proc_want, "proc series with squeue hung")
    jobs = [s for s in e.samples if s.name.startswith("cluster_job_")]
    t.expect(check, not jobs, "job series exported without squeue data: %r" % jobs[:5])
    sh = w.standins("squeue")
    check(sh, "the watcher never saw the hanging squeue stand-in run")
    procs = {}
    for r_ in sh:
        procs[r_["pid"]] = {"pid": r_["pid"], "start": r_["start"], "comm": "squeue(sh)", "state": "?"}
        for c in w.children(r_["pid"]):
            procs[c["pid"]] = {"pid": c["pid"], "start": c["start"], "comm": " ".join(c["cmdline"]), "state": "?"}
    sleeps = [p for p in procs.values() if p["comm"].startswith("sleep 300")]
    check(sleeps, "the watcher saw no `sleep 300` child of the stand-in (recorded %r)" % w.records)
    alive = wait_gone(procs, 2.0 * SLOW)
    kill_procs(alive)
    check(not alive, "stand-in processes still running %.1f s after the scrape: %s" % (
        2.0 * SLOW, describe(alive)))
    t.install_squeue(["%s|%s|%s" % j for j in original_jobs()])
    r, e = scrape(ex, what="scrape after squeue was fixed")
    check(scrape_ok(e) == 1.0, "after fixing squeue: scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e)))
    check_original(e, "after fixing squeue")
    restarts = {s.labels.get("helper"): s.value for s in e.of(RESTARTS)}
    t.note("helper_restarts after the hang: %r" % restarts)



# ----------------------------------------------------------------------------
# Confinement: what /proc says about every process, and forbidden syscalls


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        return None
    return out


def confinement_of(pid):
    st = proc_status(pid)
    if not st:
        return None
    name = st.get("Name")
    # A stand-in script runs from the descriptor the helper checked:
    # named by the file that descriptor is.
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmd = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
        script = Watcher._script(pid, cmd)
        if script.startswith("/") and cmd and cmd[1:2] and cmd[1].startswith("/dev/fd/"):
            name = os.path.basename(script)
    except OSError:
        pass
    return {"seccomp": st.get("Seccomp"), "nnp": st.get("NoNewPrivs"),
            "uids": st.get("Uid", "").split(), "name": name}


@test
def sandbox_status(t):
    """During a scrape every helper, and squeue/getent under them, is confined."""
    up = t.upstream()
    up.load_original()
    up.set("metadata", delay=1.0)
    t.install_original_standins(watch=True)
    ex = t.exporter(up, timeout=10)
    seen = {}
    result = {}

    def do_scrape():
        result["r"] = scrape(ex, timeout=30, what="scrape while confined")

    th = threading.Thread(target=do_scrape)
    th.start()
    deadline = time.monotonic() + 8 * SLOW
    while th.is_alive() and time.monotonic() < deadline:
        for pid in [ex.pid] + list(ex.tree()):
            c = confinement_of(pid)
            if c and c["name"]:
                seen.setdefault(c["name"], {})[pid] = c
        time.sleep(0.01)
    th.join(30)
    r, e = result["r"]
    t.expect(check, scrape_ok(e) == 1.0, "scrape_ok %r while checking confinement" % scrape_ok(e))
    t.note("processes seen: %s" % ", ".join(sorted(seen)))
    want_filtered = ["prometheus-clus", "slurm", "accounts", "promql", "squeue", "getent"]
    for name in want_filtered:
        t.expect(check, name in seen, "never saw a process named %s during the scrape" % name)
    for name, procs in seen.items():
        for pid, c in procs.items():
            t.expect(check, c["nnp"] == "1", "%s (pid %d): NoNewPrivs %s" % (name, pid, c["nnp"]))
            t.expect(check, c["uids"] and all(u != "0" for u in c["uids"]),
                     "%s (pid %d): runs with uid %r" % (name, pid, c["uids"]))
            # Sanitizer runs use -sandbox=off: no filter is loaded there.
            want = "0" if SANITIZE else "2"
            t.expect(check, c["seccomp"] == want, "%s (pid %d): Seccomp %s, want %s" % (
                name, pid, c["seccomp"], want))


def fault_scrapes(t, helper, mode, kind=None):
    check(os.access(HOOKS_EXPORTER, os.X_OK),
          "test-hooks build %s is missing: build it with `make B=build-hooks TEST_HOOKS=1`"
          " (make check-e2e does)" % HOOKS_EXPORTER)
    up = t.upstream(name="upstream-%s-%s-%s-%d" % (helper, mode, kind, len(t.exporters)))
    up.load_original()
    t.install_original_standins()
    extra = ["--test.fault=" + helper + (":" + kind if kind else "")]
    if mode == "log":
        extra.append("-sandbox=log")
    ex = t.exporter(up, timeout=5, extra=extra, binary=HOOKS_EXPORTER)
    r1, e1 = scrape(ex, what="scrape with a forbidden syscall in %s" % helper)
    r2, e2 = scrape(ex, what="scrape after the fault")
    return ex, e1, e2


FAULT_SOURCES = {
    "slurm": ("slurm",),
    "accounts": ("accounts",),
    "promql": ("metadata", "read", "write"),
}


def restarts_of(e):
    return {s.labels.get("helper"): s.value for s in e.of(RESTARTS)}


@test
def sandbox_fault_enforce(t):
    """A forbidden syscall kills the helper (SIGSYS); the next scrape is whole."""
    if SANITIZE:
        # -sandbox=off loads no filter: the same attempt must then be harmless.
        t.note("sanitizer build (-sandbox=off): checking that no filter is loaded")
        sandbox_fault_log(t)
        return
    # The switch exists only in test builds: the shipped binary refuses it.
    p = subprocess.run([EXPORTER, "-promserver=http://127.0.0.1:9", "--test.fault=slurm"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    t.expect(check, p.returncode == 2 and b"--test.fault" in p.stderr,
             "the shipped binary accepted --test.fault (status %d, %r)" % (p.returncode, p.stderr))
    for helper, sources in sorted(FAULT_SOURCES.items()):
        ex, e1, e2 = fault_scrapes(t, helper, "enforce")
        ups = source_up(e1)
        for src in sources:
            t.expect(check, ups.get(src) == 0.0, "%s fault: source_up{%s} %r, want 0" % (
                helper, src, ups.get(src)))
        t.expect(check, scrape_ok(e1) == 0.0, "%s fault: scrape_ok %r, want 0" % (helper, scrape_ok(e1)))
        t.expect(check, restarts_of(e1).get(helper, 0) >= 1,
                 "%s fault: restarts %r, want >= 1" % (helper, restarts_of(e1)))
        log = ex.stderr()
        t.expect(check, [f for f in helper_lines(log, helper)
                         if "signal SYS (sandbox violation)" in f.get("err", "") + f.get("status", "")],
                 "%s fault: no log line naming SIGSYS for the helper" % helper)
        t.expect(check, scrape_ok(e2) == 1.0, "%s fault: next scrape_ok %r, source_up %r" % (
            helper, scrape_ok(e2), source_up(e2)))
        t.expect(check_original, e2, "%s fault: next scrape" % helper)
        t.expect(check, restarts_of(e2).get(helper) == restarts_of(e1).get(helper),
                 "%s fault: restarted again on the clean scrape" % helper)
        ex.stop()



@test
def protocol_violation(t):
    """A helper that sends an unknown record or an oversized frame is killed,
    restarted, and only its sources fail; the next scrape is whole."""
    for kind, why in (("protocol", "record type 0x7e not permitted"),
                      ("oversized", "bad frame length")):
        for helper, sources in sorted(FAULT_SOURCES.items()):
            ex, e1, e2 = fault_scrapes(t, helper, "off" if SANITIZE else "enforce", kind)
            ups = source_up(e1)
            for src in sources:
                t.expect(check, ups.get(src) == 0.0, "%s %s: source_up{%s} %r, want 0" % (
                    helper, kind, src, ups.get(src)))
            others = [k for k, v in ups.items() if k not in sources and v != 1.0]
            t.expect(check, not others, "%s %s: other sources failed too: %r" % (helper, kind, ups))
            t.expect(check, restarts_of(e1).get(helper, 0) >= 1,
                     "%s %s: restarts %r, want >= 1" % (helper, kind, restarts_of(e1)))
            log = ex.stderr()
            t.expect(check, [f for f in helper_lines(log, helper)
                             if "protocol violation: " + why in f.get("err", "")],
                     "%s %s: no log line naming the violation (%r)" % (helper, kind, why))
            t.expect(check, scrape_ok(e2) == 1.0, "%s %s: next scrape_ok %r, source_up %r" % (
                helper, kind, scrape_ok(e2), source_up(e2)))
            t.expect(check_original, e2, "%s %s: next scrape" % (helper, kind))
            ex.stop()


@test
def sandbox_fault_log(t):
    """With -sandbox=log the same forbidden syscall is logged, not fatal."""
    for helper in sorted(FAULT_SOURCES):
        ex, e1, e2 = fault_scrapes(t, helper, "off" if SANITIZE else "log")
        t.expect(check, scrape_ok(e1) == 1.0, "%s fault in log mode: scrape_ok %r, source_up %r" % (
            helper, scrape_ok(e1), source_up(e1)))
        t.expect(check, restarts_of(e1).get(helper) == 0.0,
                 "%s fault in log mode: restarts %r, want 0" % (helper, restarts_of(e1)))
        t.expect(check_original, e1, "%s fault in log mode" % helper)
        ex.stop()



@test
def real_slurm(t):
    """The real squeue (Slurm 22.05, tests/slurm/) under the slurm helper's filter."""
    d = t.mkdir("slurm")
    start = os.path.join(TESTS_DIR, "slurm", "start.sh")
    stop = os.path.join(TESTS_DIR, "slurm", "stop.sh")
    p = subprocess.run([start, d], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    t.cleanups.append(lambda: subprocess.run([stop, d], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, timeout=60))
    check(p.returncode == 0, "tests/slurm/start.sh failed:\n%s" % tail(p.stdout.decode(errors="replace")))
    jobs = [l.split("|") for l in read_text(os.path.join(d, "jobs.txt")).splitlines() if l]
    check(len(jobs) >= 3, "the Slurm fixture runs only %d jobs" % len(jobs))
    up = t.upstream()
    results, want = [], {}
    for i, (jobid, account, user) in enumerate(jobs):
        v = float(10 * (i + 1))
        results.append(series({"jobid": jobid}, repr(v)))
        k = key_of("cluster_job_read_throughput_bytes", account=account, user=user)
        want[k] = want.get(k, 0.0) + v
    up.set("read", vector(results))
    ex = t.exporter(up, timeout=15, extra=["--path.squeue=/usr/bin/squeue"],
                    env_extra={"SLURM_CONF": os.path.join(d, "slurm.conf")})
    r, e = scrape(ex, what="scrape with the real squeue")
    t.expect(check, source_up(e).get("slurm") == 1.0, "source_up %r; exporter log:\n%s" % (
        source_up(e), tail(ex.stderr())))
    got = {k: v for k, v in e.values(("cluster_job_read_throughput_bytes",)).items()}
    t.expect(assert_same, got, want, "job read series from the real squeue")
    t.expect(check, "(null)" in {j[1] for j in jobs} and any('account="(null)"' in s.line for s in e.samples),
             "a job without an account is not exported as (null)")



@test
def escaped_squeue_child(t):
    """A child that leaves the helper's process group is still killed."""
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    t.install_squeue(mode="escape")
    w = t.watch()
    ex = t.exporter(up, timeout=2)
    r, e = scrape(ex, timeout=30, what="scrape with an escaping squeue child")
    t.expect(check, source_up(e).get("slurm") == 0.0, "source_up %r" % source_up(e))
    sleeps = {}
    for sh in w.standins("squeue"):
        for c in w.children(sh["pid"]):
            if " ".join(c["cmdline"]) in ("sleep 300", "perl -e setpgrp(0, 0); exec(\"sleep\", \"300\")"):
                st = read_stat(c["pid"])
                sleeps[c["pid"]] = {"pid": c["pid"], "start": c["start"],
                                    "comm": "sleep 300", "state": "?"}
                if st:
                    t.note("escaped child pid %d: pgrp %d, squeue pgrp %s" % (
                        c["pid"], st["pgrp"], sh.get("pgrp", "?")))
    check(sleeps, "the watcher saw no `sleep 300` child of the stand-in")
    alive = wait_gone(sleeps, 2.0 * SLOW)
    kill_procs(alive)
    check(not alive, "escaped child still running: %s" % describe(alive))



@test
def scrape_timeout_header(t):
    """Prometheus' own scrape timeout, minus half a second, bounds the scrape."""
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    t.install_squeue(mode="hang")
    ex = t.exporter(up, timeout=15)
    r, e = scrape(ex, timeout=30, what="scrape with a 2 s scrape timeout",
                  headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
    t.note("scrape with X-Prometheus-Scrape-Timeout-Seconds: 2 took %.2f s" % r.elapsed)
    t.expect(check, r.elapsed < 2.0 * SLOW, "took %.2f s, want < 2 s" % r.elapsed)
    t.expect(check, r.elapsed >= 1.3, "took %.2f s: the deadline should be 1.5 s" % r.elapsed)
    t.expect(check, source_up(e).get("slurm") == 0.0 and source_up(e).get("read") == 1.0,
             "source_up %r" % source_up(e))
    # A header that makes no sense is ignored: -timeout rules.
    t.install_squeue(["%s|%s|%s" % j for j in original_jobs()])
    r, e = scrape(ex, what="scrape with a bad timeout header",
                  headers={"X-Prometheus-Scrape-Timeout-Seconds": "soon"})
    check(scrape_ok(e) == 1.0, "bad header: scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e)))



@test
def missing_commands(t):
    """A command missing at start-up is logged and fails only its source."""
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    # No squeue anywhere in this PATH (the machine's own is in /usr/bin).
    ex = t.exporter(up, env_extra={"PATH": t.bin})
    r, e = scrape(ex, what="scrape without squeue")
    log = ex.stderr()
    missing = [f for f in map(logfmt_fields, log.split("\n"))
               if f.get("source") == "slurm" and f.get("err") == "not found in PATH"
               and f.get("msg", "").startswith("squeue: the source fails until it exists")]
    t.expect(check, missing, "no start-up line about the missing squeue:\n%s" % tail(log, 6))
    ups = source_up(e)
    t.expect(check, ups.get("slurm") == 0.0 and all(v == 1.0 for k, v in ups.items() if k != "slurm"),
             "without squeue: source_up %r" % ups)
    proc_want = {k: v for k, v in expected_subset(DATA_FAMILIES).items() if k[0].startswith("cluster_proc_")}
    t.expect(assert_same, {k: v for k, v in e.values(DATA_FAMILIES).items()
                           if k[0].startswith("cluster_proc_")}, proc_want, "proc series without squeue")
    # Installed after start-up, where the log said: the source recovers.
    t.expect(check, missing and missing[0].get("path") == t.bin + "/squeue",
             "the start-up line does not say where squeue is looked for: %r" % missing[:1])
    t.install_original_standins()
    r, e = scrape(ex, what="scrape once squeue is installed")
    t.expect(check, source_up(e).get("slurm") == 1.0, "squeue installed after start-up: source_up %r" % (
        source_up(e),))
    ex.stop()
    t.install_original_standins()
    ex = t.exporter(up, extra=["--path.getent=/nonexistent/getent"])
    r, e = scrape(ex, what="scrape with a bad --path.getent")
    t.expect(check, [f for f in map(logfmt_fields, ex.stderr().split("\n"))
                     if f.get("msg", "").startswith("--path.getent:")
                     and f.get("path") == "/nonexistent/getent" and f.get("source") == "accounts"],
             "no start-up line naming the bad --path.getent")
    ups = source_up(e)
    t.expect(check, ups.get("accounts") == 0.0 and ups.get("slurm") == 1.0, "bad getent: source_up %r" % ups)
    jobs_want = {k: v for k, v in expected_subset(DATA_FAMILIES).items() if k[0].startswith("cluster_job_")}
    t.expect(assert_same, {k: v for k, v in e.values(DATA_FAMILIES).items()
                           if k[0].startswith("cluster_job_")}, jobs_want, "job series without getent")



@test
def oversized_command_output(t):
    """squeue output beyond a cap ends its helper; the next scrape is whole."""
    up = t.upstream()
    up.load_original()
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    for mode, said in (("flood", "squeue printed more than 4000000 records, its budget "
                        "(--source.max-records)"),
                       ("flood_junk", "size limit exceeded; giving up the helper")):
        t.install_squeue(mode=mode)
        ex = t.exporter(up, timeout=10)
        r, e = scrape(ex, timeout=60, what="scrape with squeue %s" % mode)
        t.expect(check, source_up(e).get("slurm") == 0.0, "%s: source_up %r" % (mode, source_up(e)))
        t.expect(check, restarts_of(e).get("slurm", 0) >= 1, "%s: restarts %r" % (mode, restarts_of(e)))
        t.expect(check, said in ex.stderr(), "%s: no log line %r" % (mode, said))
        if mode == "flood_junk":
            t.expect(check, "printed more than" not in ex.stderr(),
                     "junk lines counted as jobs")
        t.install_squeue(["%s|%s|%s" % j for j in original_jobs()])
        r, e = scrape(ex, what="scrape after squeue %s" % mode)
        t.expect(check, scrape_ok(e) == 1.0, "after %s: source_up %r" % (mode, source_up(e)))
        t.expect(check_original, e, "after %s" % mode)
        ex.stop()

HOSTILE_VALID = [
    'a"b',
    "x\ny",
    'evil} 1\ncluster_exporter_scrape_ok{x="1',
    "back\\slash",
    "P" * 400,
    "my.app",
    "tab\there",
]
HOSTILE_INVALID = [
    "rsync.notanumber", "nodot", "0012345", ".5689", "cp.", "cp.-1",
    "cp.4294967295", "18446744073709551616", "-5", "35652133 ", "",
]


@test
def adversarial_names(t):
    up = t.upstream()
    meta, read = [], []
    want = {}
    user = dict(group_name="hpcusers", user_name="kim")
    for i, name in enumerate(HOSTILE_VALID):
        jobid = name + ".5689"
        meta.append(series({"jobid": jobid, "target": "hebe-MDT0000"}, str(i + 1)))
        read.append(series({"jobid": jobid}, str(100 * (i + 1))))
        want[key_of("cluster_proc_metadata_operations", proc_name=name, target="hebe-MDT0000", **user)] = float(i + 1)
        want[key_of("cluster_proc_read_throughput_bytes", proc_name=name, **user)] = float(100 * (i + 1))
    for i, jobid in enumerate(HOSTILE_INVALID + ["cp.99999", "99999999"]):
        meta.append(series({"jobid": jobid, "target": "hebe-MDT0001"}, str(1000 + i)))
        read.append(series({"jobid": jobid}, str(5000 + i)))
    # a legitimate job next to them
    meta.append(series({"jobid": "35044931", "target": "hebe-MDT0002"}, "7"))
    want[key_of("cluster_job_metadata_operations", account="acc_a", target="hebe-MDT0002", user="u1")] = 7.0
    up.set("metadata", vector(meta))
    up.set("read", vector(read))
    # lone surrogate: the body is valid JSON text, the string is not Unicode
    up.set("write", '{"status":"success","data":{"resultType":"vector","result":['
                    '{"metric":{"jobid":"\\udc00bad.5689"},"value":[1,"11"]},'
                    '{"metric":{"jobid":"okw.5689"},"value":[1,"12"]}]}}')
    t.install_original_standins()
    ex = t.exporter(up)
    r, e = scrape(ex)
    promtool_check(r.body)
    lines = r.text.split("\n")
    ok_lines = [l for l in lines if re.match(r"cluster_exporter_scrape_ok[ {]", l)]
    check(len(ok_lines) == 1, "%d lines start with cluster_exporter_scrape_ok: %r" % (len(ok_lines), ok_lines))
    # The exporter's own families, and the client libraries' process_*.
    declared = {f for f in e.types if f.startswith(("cluster_exporter_", "process_")) and f in e.helps}
    known = set(INTERFACE_FAMILIES) | declared
    extra = sorted(declared - set(INTERFACE_FAMILIES))
    if extra:
        t.note("families beyond the interface: %s" % extra)
    strangers = [s.line for s in e.samples if s.name not in known]
    check(not strangers, "samples of unknown families: %r" % strangers[:5])
    hostile = set(HOSTILE_VALID) | {"\udc00bad"}
    for s in e.samples:
        for k, v in s.labels.items():
            if k != "proc_name" and (v in hostile or any(h in v for h in HOSTILE_VALID if len(h) > 3)):
                raise Fail("hostile text in label %s of %r" % (k, s.line[:200]))
    ups = source_up(e)
    check(ups.get("metadata") == 1.0 and ups.get("read") == 1.0,
          "metadata/read sources failed on hostile names: %r" % ups)
    assert_same(e.values(META_FAMILIES + READ_FAMILIES), want, "hostile-name series")
    wr = {s.labels.get("proc_name"): s.value for s in e.of(*WRITE_FAMILIES)}
    if ups.get("write") == 1.0:
        check(wr.get("okw") == 12.0, "write source up but okw.5689 missing: %r" % wr)
        others = {k: v for k, v in wr.items() if k != "okw"}
        for k, v in others.items():
            check(k.endswith("bad") and "\ufffd" in k and k.strip("\ufffd") == "bad" and v == 11.0,
                  "write series from a lone surrogate: proc_name %r value %r; want U+FFFD replacement or no series" % (k, v))
        t.note("lone surrogate: %s" % ("replaced: %r" % list(others) if others else "series dropped"))
    else:
        check(not wr, "write source failed but write series exported: %r" % wr)
        t.note("lone surrogate: the write source was failed as a whole")
    check(scrape_ok(e) == (1.0 if all(v == 1.0 for v in ups.values()) else 0.0),
          "scrape_ok %r inconsistent with source_up %r" % (scrape_ok(e), ups))
    r2, e2 = scrape(ex, what="second scrape")
    check(r2.text.count("\n") > 10, "second scrape is nearly empty")


def raw_http(port, payload, timeout=5.0):
    """Sends raw bytes; returns the status line or None if the server closed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, BrokenPipeError):
            pass
        if not data:
            return None
        return data.split(b"\r\n", 1)[0].decode("latin-1")
    finally:
        s.close()


@test
def http_surface(t):
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up)
    r = http_request(ex.port, "GET", "/")
    check(r.status == 200, "GET /: status %d" % r.status)
    check(re.search(rb"""href\s*=\s*["']?/metrics["' >]""", r.body),
          "GET /: no link to /metrics in %r" % r.body[:500])
    for path in ("/nope", "/metrics/x", "/favicon.ico"):
        r = http_request(ex.port, "GET", path)
        check(r.status == 404, "GET %s: status %d, want 404" % (path, r.status))
    for method in ("POST", "PUT", "DELETE"):
        for path in ("/", "/metrics"):
            r = http_request(ex.port, method, path, body=b"x=1",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
            check(r.status == 405, "%s %s: status %d, want 405" % (method, path, r.status))
    for path in ("/", "/metrics"):
        r = http_request(ex.port, "HEAD", path, timeout=(ex.timeout + 5) * SLOW)
        check(r.status == 200, "HEAD %s: status %d, want 200" % (path, r.status))
    r, e = scrape(ex)
    check(scrape_ok(e) == 1.0, "scrape_ok %r" % scrape_ok(e))

    big = b"a" * (100 * 1024)
    cases = [
        ("100 KB header", b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + big + b"\r\n\r\n"),
        ("100 KB URL", b"GET /metrics?" + big + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
    ]
    for label, payload in cases:
        status = raw_http(ex.port, payload, timeout=10 * SLOW)
        t.note("%s: %s" % (label, status if status is not None else "connection closed without an answer"))
        if status is not None:
            m = re.match(r"HTTP/1\.[01] (\d{3})", status)
            check(m and 400 <= int(m.group(1)) < 500, "%s: answered %r, want a 4xx or a closed connection" % (label, status))
        r, e = scrape(ex, what="scrape after the %s" % label)
        check(scrape_ok(e) == 1.0, "after the %s: scrape_ok %r" % (label, scrape_ok(e)))


def open_idle(port, count, source_ip):
    """Connects count sockets from source_ip that send nothing."""
    idle, failed = [], 0
    open_deadline = time.monotonic() + 10 * SLOW
    for _ in range(count):
        if time.monotonic() > open_deadline:
            failed += 1
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.bind((source_ip, 0))
            s.connect(("127.0.0.1", port))
            idle.append(s)
        except OSError:
            failed += 1
            s.close()
    return idle, failed


def scrape_among_idle(t, ex, source_ip, count=200):
    idle, failed = open_idle(ex.port, count, source_ip)
    what = "scrape from 127.0.0.1 with %d idle connections open from %s" % (len(idle), source_ip)
    if failed:
        t.note("%d of %d idle connections from %s could not connect (2 s each, 10 s in all)"
               % (failed, count, source_ip))
    try:
        deadline = ex.timeout + 1.5 * SLOW
        t0 = time.monotonic()
        try:
            r, e = scrape(ex, timeout=deadline, what=what)
        except Fail as f:
            # Diagnostic only (the assertion stays one attempt, as Prometheus
            # makes): when would a client retrying every 0.25 s get through?
            retry_ok = None
            while time.monotonic() - t0 < 15 * SLOW:
                time.sleep(0.25)
                try:
                    rr = http_request(ex.port, "GET", "/metrics", timeout=deadline)
                    if rr.status == 200:
                        retry_ok = time.monotonic() - t0
                        break
                except Exception:
                    pass
            raise Fail("%s\n(diagnostic: a client retrying every 0.25 s %s)" % (
                f, "got a 200 after %.2f s" % retry_ok if retry_ok is not None
                else "got no answer within %.0f s either" % (15 * SLOW)))
        check(scrape_ok(e) == 1.0, "%s: scrape_ok %r" % (what, scrape_ok(e)))
        check(r.elapsed <= deadline, "%s: took %.2f s, want <= %.1f s" % (what, r.elapsed, deadline))
        t.note("%s: took %.2f s" % (what, r.elapsed))
    finally:
        for s in idle:
            s.close()
    r, e = scrape(ex, what="scrape after closing the idle connections from %s" % source_ip)
    check(scrape_ok(e) == 1.0, "after closing the idle connections: scrape_ok %r" % scrape_ok(e))


@test
def idle_connections_other_address(t):
    """200 idle connections from 127.0.0.2; Prometheus scrapes from 127.0.0.1."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up)
    scrape_among_idle(t, ex, "127.0.0.2")


@test
def idle_connections_same_address(t):
    """200 idle connections from the scraper's own address, 127.0.0.1."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up)
    scrape_among_idle(t, ex, "127.0.0.1")


def name_in(name, line):
    return re.search(r"(^|[^A-Za-z0-9_.])-{0,2}" + re.escape(name) + r"($|[^A-Za-z0-9_])", line) is not None


@test
def flags(t):
    t.install_original_standins()
    good = "-promserver=http://127.0.0.1:%d" % free_port()
    p = free_port()
    q = free_port()
    table = [
        ([good, "-port=0"], ["port"]),
        ([good, "-port=70000"], ["port"]),
        ([good, "-port=abc"], ["port"]),
        ([good, "-port=%d" % p, "-timeout=0"], ["timeout"]),
        ([good, "-port=%d" % p, "-timeout=-1"], ["timeout"]),
        ([good, "-port=%d" % p, "-timerange=5x"], ["timerange"]),
        ([good, "-port=%d" % p, "-timerange=1234m"], ["timerange"]),
        ([good, "-port=%d" % p, "-log=LOUD"], ["log"]),
        (["-promserver=ftp://x", "-port=%d" % p], ["promserver"]),
        ([good, "-port=%d" % p, "-nope"], ["nope"]),
        (["-port=%d" % p], ["promserver"]),
        ([good, "-port=%d" % p, "stray-argument"], ["stray-argument"]),
        ([good, "-port=%d" % p, "--web.listen-address=127.0.0.1:%d" % q], ["port", "web.listen-address"]),
    ]
    env = dict(os.environ)
    env["PATH"] = t.bin + ":/usr/bin:/bin"
    problems = []
    for args, names in table:
        argv = args + SAN_ARGS
        try:
            cp = subprocess.run([EXPORTER] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, timeout=5 * SLOW,
                                start_new_session=True)
        except subprocess.TimeoutExpired:
            problems.append("%s: still running after %.0f s (want exit 2)" % (" ".join(args), 5 * SLOW))
            continue
        err = cp.stderr.decode("utf-8", "replace")
        lines = [l for l in err.split("\n") if l.strip()]
        desc = " ".join(args)
        if cp.returncode != 2:
            problems.append("%s: exit %d, want 2; stderr %r" % (desc, cp.returncode, err[-500:]))
        if len(lines) != 1:
            problems.append("%s: %d stderr lines, want exactly 1: %r" % (desc, len(lines), err[-800:]))
        elif not all(name_in(n, lines[0]) for n in names):
            problems.append("%s: stderr line does not name %s: %r" % (desc, " and ".join(names), lines[0]))
        for port in (p, q):
            if not port_refuses(port):
                problems.append("%s: something listens on %d" % (desc, port))
    # node_exporter's shape, with the build's identity and no build user.
    version_shape = (r"^prometheus-cluster-exporter, version \d+\.\d+\.\d+ \(branch: \S+, revision: \S+\)\n"
                     r"  build date: +\S+\n  compiler: +.+\n  platform: +linux/\S+\n  libraries: +.*libmicrohttpd")
    for flag, needle in (("-version", version_shape), ("-help", r"promserver")):
        cp = subprocess.run([EXPORTER, flag], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, timeout=5 * SLOW)
        out = (cp.stdout + cp.stderr).decode("utf-8", "replace")
        if cp.returncode != 0:
            problems.append("%s: exit %d, want 0; output %r" % (flag, cp.returncode, out[-500:]))
        if not re.search(needle, out):
            problems.append("%s: output lacks /%s/: %r" % (flag, needle, out[-500:]))
    up = t.upstream()
    up.load_original()
    for form in (["-port=%d"], ["-port", "%d"], ["--port=%d"], ["--port", "%d"]):
        port = free_port()
        argv = [a % port if "%d" in a else a for a in form]
        try:
            ex = t.exporter(up, listen=None, port=port, extra=argv, name="form" + "_".join(form).replace("%d", "N"))
            r, e = scrape(ex, what="scrape with %s" % " ".join(argv))
            if scrape_ok(e) != 1.0:
                problems.append("%s: scrape_ok %r" % (" ".join(argv), scrape_ok(e)))
            problems += ex.stop()
        except Fail as f:
            problems.append("%s: %s" % (" ".join(argv), f))
    check(not problems, "%d flag problems:\n  %s" % (len(problems), "\n  ".join(problems)))


@test
def sigterm(t):
    up = t.upstream()
    up.load_original()
    up.set("metadata", delay=3)
    t.install_original_standins()
    ex = t.exporter(up, timeout=10)
    # one complete scrape first, so the helpers have run their commands once
    up.clear("metadata", "delay")
    scrape(ex, what="warm-up scrape")
    up.set("metadata", delay=3)
    holder = {}

    def slow():
        try:
            holder["r"] = http_request(ex.port, "GET", "/metrics", timeout=15)
        except Exception as e:
            holder["e"] = e

    th = threading.Thread(target=slow)
    th.start()
    time.sleep(0.8)
    procs = ex.tree()
    t.note("processes under the exporter before SIGTERM: %s" % describe(procs.values()))
    check(ex.proc.poll() is None, "exporter died before SIGTERM (status %r)" % ex.proc.returncode)
    t0 = time.monotonic()
    ex.proc.send_signal(signal.SIGTERM)
    try:
        rc = ex.proc.wait(1.0 * SLOW)
        took = time.monotonic() - t0
    except subprocess.TimeoutExpired:
        rc, took = None, None
    if rc is None:
        try:
            rc = ex.proc.wait(5)
            took = time.monotonic() - t0
        except subprocess.TimeoutExpired:
            pass
    left = wait_gone(procs, 1.0 * SLOW)
    kill_procs(left)
    th.join(20)
    t.note("exit status %r, %s after SIGTERM; in-flight scrape: %s" % (
        rc, "%.3f s" % took if took is not None else "no exit",
        "status %d" % holder["r"].status if "r" in holder else repr(holder.get("e"))))
    check(took is not None and took <= 1.0 * SLOW,
          "exporter exit took %s after SIGTERM during a scrape, want <= %.1f s" % (
              "%.2f s" % took if took is not None else "more than 6 s", 1.0 * SLOW))
    check(rc == 0, "exit status %r after SIGTERM, want 0" % rc)
    check(not left, "processes left behind after SIGTERM: %s" % describe(left))


def scale_data():
    njobs, nusers, ngroups, naccounts = 20000, 200, 20, 50
    passwd = "".join("user%d:x:%d:%d:U%d:/home/user%d:/bin/sh\n" % (i, 10000 + i, 20000 + i % ngroups, i, i)
                     for i in range(nusers))
    group = "".join("grp%d:x:%d:\n" % (j, 20000 + j) for j in range(ngroups))
    jobs = {}
    for i in range(njobs):
        jobs[str(1000000 + i)] = ("acc%d" % (i % naccounts), "user%d" % ((i * 7) % nusers))
    users = {str(10000 + i): ("user%d" % i, "grp%d" % (i % ngroups)) for i in range(nusers)}
    want = {}

    def add(key, v):
        want[key] = want.get(key, 0.0) + v

    def val(i, salt):
        return ((i * 7919 + salt) % 100000) / 4.0 + 1.0

    meta, read, write = [], [], []
    for i in range(40000):
        jobid = str(1000000 + i % njobs)
        target = "fs-MDT%04x" % (i // njobs)
        v = val(i, 1)
        meta.append((jobid, target, v))
        acc, user = jobs[jobid]
        add(key_of("cluster_job_metadata_operations", account=acc, target=target, user=user), v)
    for i in range(2000):
        uid = str(10000 + (i // 10) % nusers)
        proc = "p%d" % (i % 10)
        target = "fs-MDT%04x" % (i % 3)
        v = val(i, 2)
        meta.append(("%s.%s" % (proc, uid), target, v))
        name, grp = users[uid]
        add(key_of("cluster_proc_metadata_operations", group_name=grp, proc_name=proc,
                   target=target, user_name=name), v)
    for src, extra_jobs, fam_job, fam_proc, salt, out in (
            ("read", 5000, "cluster_job_read_throughput_bytes", "cluster_proc_read_throughput_bytes", 3, read),
            ("write", 7000, "cluster_job_write_throughput_bytes", "cluster_proc_write_throughput_bytes", 4, write)):
        for i in range(njobs):
            jobid = str(1000000 + i)
            v = val(i, salt)
            out.append((jobid, v))
            acc, user = jobs[jobid]
            add(key_of(fam_job, account=acc, user=user), v)
        for i in range(extra_jobs):
            out.append((str(3000000 + i), val(i, salt + 10)))   # not in squeue
        for i in range(3000):
            uid = str(10000 + (i // 15) % nusers)
            proc = "r%d" % (i % 15)
            v = val(i, salt + 20)
            out.append(("%s.%s" % (proc, uid), v))
            name, grp = users[uid]
            add(key_of(fam_proc, group_name=grp, proc_name=proc, user_name=name), v)
    return jobs, passwd, group, meta, read, write, want


def json_vector_fast(items, with_target):
    parts = []
    for it in items:
        if with_target:
            jobid, target, v = it
            parts.append('{"metric":{"jobid":"%s","target":"%s"},"value":[1700000000.5,"%r"]}' % (jobid, target, v))
        else:
            jobid, v = it
            parts.append('{"metric":{"jobid":"%s"},"value":[1700000000.5,"%r"]}' % (jobid, v))
    return '{"status":"success","data":{"resultType":"vector","result":[' + ",".join(parts) + "]}}"


@test
def scale(t):
    jobs, passwd, group, meta, read, write, want = scale_data()
    nseries = len(meta) + len(read) + len(write)
    check(nseries == 100000, "generator made %d series" % nseries)
    up = t.upstream()
    up.set("metadata", json_vector_fast(meta, True))
    up.set("read", json_vector_fast(read, False))
    up.set("write", json_vector_fast(write, False))
    t.install_squeue(["%s|%s|%s" % (j, a, u) for j, (a, u) in jobs.items()])
    t.install_getent(passwd, group)
    ex = t.exporter(up, timeout=30, log="INFO")
    r, e = scrape(ex, timeout=60 * SLOW, what="scale scrape")
    print("    scale: %d jobs, %d series, scrape took %.2f s, %d bytes, %d samples" % (
        len(jobs), nseries, r.elapsed, len(r.body), len(e.samples)), flush=True)
    check(scrape_ok(e) == 1.0, "scale: scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e)))
    got = e.values(DATA_FAMILIES)
    # a few chosen rows first (clear messages), then everything
    chosen = [key_of("cluster_job_metadata_operations", account="acc0", target="fs-MDT0000", user="user0"),
              key_of("cluster_job_read_throughput_bytes", account="acc7", user="user49"),
              key_of("cluster_job_write_throughput_bytes", account="acc49", user="user143"),
              key_of("cluster_proc_read_throughput_bytes", group_name="grp3", proc_name="r4", user_name="user3"),
              key_of("cluster_proc_metadata_operations", group_name="grp1", proc_name="p5",
                     target="fs-MDT0002", user_name="user21")]
    for k in chosen:
        check(k in want, "test bug: chosen row %s not generated" % fmt_key(k))
        check(k in got, "scale: row %s missing" % fmt_key(k))
        check(rel_close(got[k], want[k]), "scale: row %s = %r, want %r" % (fmt_key(k), got[k], want[k]))
    assert_same(got, want, "scale series")
    r2, e2 = scrape(ex, timeout=60 * SLOW, what="second scale scrape")
    print("    scale: second scrape (accounts cache warm) took %.2f s" % r2.elapsed, flush=True)
    check(scrape_ok(e2) == 1.0, "second scale scrape: scrape_ok %r" % scrape_ok(e2))
    # Peak memory of each process (informational; no assertion on it).
    peaks = []
    for pid in [ex.pid] + sorted(ex.tree()):
        st = proc_status(pid)
        if st:
            peaks.append("%s %s" % (st.get("Name"), st.get("VmHWM", "?")))
    print("    scale: peak RSS: %s" % ", ".join(peaks), flush=True)


class LustreTarget(http.server.BaseHTTPRequestHandler):
    """Serves counters that grow linearly with time."""
    t0 = time.time()
    counters = []   # (metric text, rate per second)

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        if self.path != "/metrics":
            self.send_error(404)
            return
        now = time.time() - self.t0
        out, typed = [], set()
        for name, labels, rate in self.counters:
            if name not in typed:
                out.append("# HELP %s e2e counter\n# TYPE %s counter\n" % (name, name))
                typed.add(name)
            lab = ",".join('%s="%s"' % kv for kv in labels)
            out.append("%s{%s} %r\n" % (name, lab, 1000.0 + rate * now))
        body = "".join(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def prom_query(port, q, timeout=5):
    r = http_request(port, "GET", "/api/v1/query?" + urllib.parse.urlencode({"query": q}), timeout=timeout)
    if r.status != 200:
        return None
    doc = json.loads(r.body)
    return doc.get("data", {}).get("result", [])


@test
def real_prometheus(t):
    prom = shutil.which("prometheus") or ("/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None)
    check(prom, "the `prometheus` binary (Debian package prometheus) is not installed; this test needs it")
    LustreTarget.t0 = time.time()
    LustreTarget.counters = [
        ("lustre_job_stats_total", (("component", "mdt"), ("jobid", "101"), ("operation", "open"), ("target", "fs-MDT0000")), 5.0),
        ("lustre_job_stats_total", (("component", "mdt"), ("jobid", "101"), ("operation", "close"), ("target", "fs-MDT0000")), 3.0),
        ("lustre_job_stats_total", (("component", "ost"), ("jobid", "101"), ("operation", "punch"), ("target", "fs-OST0000")), 4.0),
        ("lustre_job_stats_total", (("component", "mdt"), ("jobid", "102"), ("operation", "mkdir"), ("target", "fs-MDT0001")), 20.0),
        ("lustre_job_stats_total", (("component", "mdt"), ("jobid", "cp.5689"), ("operation", "open"), ("target", "fs-MDT0001")), 10.0),
        ("lustre_job_read_bytes_total", (("component", "ost"), ("jobid", "101"), ("target", "fs-OST0000")), 1000.0),
        ("lustre_job_read_bytes_total", (("component", "ost"), ("jobid", "101"), ("target", "fs-OST0001")), 500.0),
        ("lustre_job_read_bytes_total", (("component", "ost"), ("jobid", "cp.5689"), ("target", "fs-OST0000")), 3000.0),
        ("lustre_job_write_bytes_total", (("component", "ost"), ("jobid", "102"), ("target", "fs-OST0000")), 2000.0),
    ]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LustreTarget)
    srv.daemon_threads = True
    th = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    th.start()
    t.cleanups.append(lambda: (srv.shutdown(), srv.server_close()))
    target_port = srv.server_address[1]
    pport = free_port()
    # Prometheus scrapes the exporter too, as sites do (gzip, by default).
    eport = free_port()
    cfg = os.path.join(t.data, "prometheus.yml")
    write_file(cfg, "# SPDX-License-Identifier: Apache-2.0\n"
                    "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: lustre\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n"
                    "  - job_name: cluster\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % (target_port, eport))
    tsdb = t.mkdir("tsdb")
    pp, plog = start_daemon(t, "prometheus", [prom, "--config.file=" + cfg, "--storage.tsdb.path=" + tsdb,
                                              "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"])

    deadline = time.monotonic() + 30
    queries = [promql(s, "1m") for s in ("metadata", "read", "write")]
    ready = False
    last = None
    while time.monotonic() < deadline:
        if pp.poll() is not None:
            raise Fail("prometheus exited with %d:\n%s" % (pp.returncode, tail(read_text(plog))))
        try:
            cnt = prom_query(pport, "min(count_over_time(lustre_job_read_bytes_total[1m]))", timeout=2)
            if cnt and float(cnt[0]["value"][1]) >= 3:
                res = [prom_query(pport, q, timeout=2) for q in queries]
                if all(res):
                    ready = True
                    break
                last = "irate results so far: %r" % res
            else:
                last = "samples: %r" % cnt
        except Exception as e:
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.5)
    check(ready, "prometheus has no usable data after 30 s (last: %s)\n%s" % (last, tail(read_text(plog))))

    t.install_squeue(["101|acc_x|alice", "102|acc_y|bob", "103|acc_z|carol"])
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    up_url = "http://127.0.0.1:%d" % pport
    ex = t.exporter(up_url, timerange="1m", port=eport)
    r, e = scrape(ex)
    check(scrape_ok(e) == 1.0, "scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e)))
    want = {
        key_of("cluster_job_metadata_operations", account="acc_x", target="fs-MDT0000", user="alice"): 8.0,
        key_of("cluster_job_metadata_operations", account="acc_y", target="fs-MDT0001", user="bob"): 20.0,
        key_of("cluster_proc_metadata_operations", group_name="hpcusers", proc_name="cp",
               target="fs-MDT0001", user_name="kim"): 10.0,
        key_of("cluster_job_read_throughput_bytes", account="acc_x", user="alice"): 1500.0,
        key_of("cluster_proc_read_throughput_bytes", group_name="hpcusers", proc_name="cp", user_name="kim"): 3000.0,
        key_of("cluster_job_write_throughput_bytes", account="acc_y", user="bob"): 2000.0,
    }
    assert_same(e.values(DATA_FAMILIES), want, "series from a real Prometheus (20% tolerance)", rel=0.2)
    promtool_check(r.body)
    # Prometheus took the exporter's gzip answers.
    deadline = time.monotonic() + 15
    got = None
    while time.monotonic() < deadline and not got:
        time.sleep(0.5)
        got = prom_query(pport, 'cluster_job_read_throughput_bytes{job="cluster",user="alice"}')
    check(got, "Prometheus has no cluster_job_read_throughput_bytes from its scrapes of the "
          "exporter after 15 s (up: %r)" % prom_query(pport, 'up{job="cluster"}'))
    check("answer compressed once" in ex.stderr(),
          "Prometheus' scrapes were not answered in gzip (no \"answer compressed once\" line)")


# ----------------------------------------------------------------------------
# More scenarios, one file per topic (tests/e2e_<topic>.py).  Each file is
# part of this suite: it runs in this module's namespace, so it uses the
# helpers above and registers its tests with @test, after the ones above.


def _load_topics():
    import glob
    for path in sorted(glob.glob(os.path.join(TESTS_DIR, "e2e_*.py"))):
        with open(path, encoding="utf-8") as f:
            exec(compile(f.read(), path, "exec"), globals())


_load_topics()


# ----------------------------------------------------------------------------
# Runner


def run_one(fn):
    name = fn.__name__
    ctx = Ctx(name)
    t0 = time.monotonic()
    failure = None
    try:
        fn(ctx)
    except Fail as f:
        failure = str(f)
    except Exception:
        failure = "unexpected error:\n" + traceback.format_exc()
    except BaseException:
        # interrupted: stop what this test started, then give up
        ctx.close()
        if not KEEP:
            ctx.remove()
        raise
    if ctx.soft:
        failure = "\n".join(ctx.soft + ([failure] if failure else []))
    problems = ctx.close()
    if problems:
        failure = (failure + "\n" if failure else "") + "teardown: " + "; ".join(problems)
    took = time.monotonic() - t0
    if failure:
        print("FAIL %s (%.1f s)" % (name, took))
        for line in failure.rstrip().split("\n"):
            print("    | " + line)
        for ex in ctx.exporters:
            print("    --- %s: %s" % (ex.name, " ".join([os.path.relpath(EXPORTER, ROOT)] + ex.args)))
            print("    --- exit status %r; stderr tail:" % ex.proc.returncode)
            for line in tail(read_text(ex.stderr_path), 25).split("\n"):
                print("    > " + line[:400])
        if KEEP:
            print("    temporary directory kept: %s" % ctx.dir)
        else:
            ctx.remove()
    else:
        print("PASS %s (%.1f s)" % (name, took))
        if KEEP:
            print("    temporary directory kept: %s" % ctx.dir)
        else:
            ctx.remove()
    sys.stdout.flush()
    return failure is None


def _on_term(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None):
    global KEEP
    signal.signal(signal.SIGTERM, _on_term)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", action="store_true", help="keep temporary directories")
    ap.add_argument("--list", action="store_true", help="list the tests")
    ap.add_argument("names", nargs="*", help="run only tests whose name contains one of these")
    args = ap.parse_args(argv)
    KEEP = KEEP or args.keep
    if args.list:
        for fn in TESTS:
            print(fn.__name__)
        return 0
    selected = [fn for fn in TESTS if not args.names or any(n in fn.__name__ for n in args.names)]
    if SANITIZE:
        # Real components and load belong to the plain pass: under the
        # sanitizers they test Prometheus and Slurm, not our memory use.
        plain = [fn.__name__ for fn in selected if fn.__name__ in PLAIN_PASS_ONLY]
        selected = [fn for fn in selected if fn.__name__ not in PLAIN_PASS_ONLY]
        if plain:
            print("e2e: in the plain pass only, not run here: %s" % ", ".join(plain))
    print("e2e: exporter %s%s, %d tests" % (EXPORTER, " (sanitizer build)" if SANITIZE else "", len(selected)))
    if not os.access(EXPORTER, os.X_OK):
        print("e2e: %s is missing or not executable (run `make` first); every test will fail" % EXPORTER)
    passed = failed = 0
    t0 = time.monotonic()
    for fn in selected:
        if run_one(fn):
            passed += 1
        else:
            failed += 1
    print("e2e: %.1f s" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not selected else 0


if __name__ == "__main__":
    sys.exit(main())
