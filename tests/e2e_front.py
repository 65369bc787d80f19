# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios: the front door of a shared login node.  One shared
# collection, fair connections, keep-alive, open-file limits, several
# listening sockets, socket activation, gzip answers.  Runs inside
# tests/e2e.py's namespace (see _load_topics there).

import gzip
import zlib


def shared_part(text):
    """The exposition up to the per-response families."""
    cut = text.find("# HELP cluster_exporter_collections_total")
    return text if cut < 0 else text[:cut]


def counter(e, name, **labels):
    for s in e.of(name):
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise Fail("no sample %s%r" % (name, labels))


def squeue_runs(w):
    return len(w.standins("squeue"))


def scrape_bg(ex, out, key, headers=None, timeout=20):
    def run():
        try:
            out[key] = scrape(ex, timeout=timeout, what="scrape " + key, headers=headers)
        except BaseException as exc:
            out[key + "_err"] = exc
    th = threading.Thread(target=run)
    th.start()
    return th


def result_of(out, key):
    if key + "_err" in out:
        raise out[key + "_err"]
    check(key in out, "scrape %s did not finish" % key)
    return out[key]


@test
def overlapping_scrapes(t):
    """A scrape that arrives while a collection runs waits for it and gets
    its answer: one squeue run, the same shared bytes."""
    up = t.upstream()
    up.load_original()
    up.set("metadata", delay=2)
    t.install_original_standins(watch=True)
    w = t.watch()
    ex = t.exporter(up, timeout=8)
    out = {}
    th = scrape_bg(ex, out, "A")
    time.sleep(0.5)
    tb = scrape_bg(ex, out, "B")
    th.join(30)
    tb.join(30)
    ra, ea = result_of(out, "A")
    rb, eb = result_of(out, "B")
    check(scrape_ok(ea) == 1.0 and scrape_ok(eb) == 1.0, "scrape_ok A %r B %r" % (
        scrape_ok(ea), scrape_ok(eb)))
    check(ra.elapsed >= 1.9, "scrape A took only %.2f s although metadata.delay=2" % ra.elapsed)
    check(shared_part(ra.text) == shared_part(rb.text),
          "the scrapes that shared a collection got different shared parts")
    check_original(eb, "scrape B")
    check(squeue_runs(w) == 1, "squeue ran %d times for two overlapping scrapes" % squeue_runs(w))
    check(counter(eb, "cluster_exporter_collections_total") == 1.0, "collections_total %r" % (
        counter(eb, "cluster_exporter_collections_total"),))
    answers = {r: counter(eb, "cluster_exporter_scrapes_total", result=r) + counter(
        ea, "cluster_exporter_scrapes_total", result=r) for r in ("collected", "shared", "skipped")}
    check(answers["collected"] >= 1 and answers["shared"] >= 1 and answers["skipped"] == 0,
          "scrapes_total from both answers: %r" % answers)
    check(SKIP_LINE not in ex.stderr(), "a scrape was skipped although it could wait")


@test
def skip_only_past_deadline(t):
    """Only a scrape whose own deadline comes first gets the original's
    skipped answer, at its deadline, with the log line."""
    up = t.upstream()
    up.load_original()
    up.set("metadata", delay=3)
    t.install_original_standins()
    ex = t.exporter(up, timeout=8)
    out = {}
    th = scrape_bg(ex, out, "A")
    time.sleep(0.3)
    rb, eb = scrape(ex, timeout=10, what="scrape B with a 1.5 s timeout",
                    headers={"X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
    check(scrape_ok(eb) == 0.0, "scrape B: scrape_ok %r, want 0 (skipped)" % scrape_ok(eb))
    check(0.8 <= rb.elapsed <= 1.5, "scrape B answered after %.2f s, want about 1 s (its "
          "timeout less half a second)" % rb.elapsed)
    check(counter(eb, "cluster_exporter_scrapes_total", result="skipped") == 1.0,
          "scrapes_total{result=skipped} %r" % counter(eb, "cluster_exporter_scrapes_total",
                                                       result="skipped"))
    th.join(30)
    ra, ea = result_of(out, "A")
    check(scrape_ok(ea) == 1.0, "scrape A: source_up %r" % source_up(ea))
    check(SKIP_LINE in ex.stderr(), "stderr lacks %r" % SKIP_LINE)


@test
def reuse_interval(t):
    """A finished result is reused for --collector.min-interval: no number
    of clients drives more than one collection per interval."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins(watch=True)
    w = t.watch()
    ex = t.exporter(up, timeout=5, min_interval="2s")
    t0 = time.monotonic()
    stop = threading.Event()
    counts = {"n": 0, "bad": 0}
    lock = threading.Lock()

    def loop():
        while not stop.is_set():
            why, lost = None, False
            try:
                r, e = scrape(ex, timeout=10, what="looping client")
                if scrape_ok(e) != 1.0:
                    why = "scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e))
            except Fail as f:
                # A connection dropped before any answer is counted
                # apart: the clients open one per request, ~1000/s.
                lost = "failed:" in str(f) and "status" not in str(f)
                why = None if lost else str(f)
            with lock:
                counts["n"] += 1
                counts["lost"] = counts.get("lost", 0) + (1 if lost else 0)
                if why is not None:
                    counts["bad"] += 1
                    counts.setdefault("why", why)

    threads = [threading.Thread(target=loop) for _ in range(4)]
    for th in threads:
        th.start()
    scraper = []
    try:
        for i in range(5):
            r, e = scrape(ex, timeout=10, what="scraper %d" % i)
            scraper.append(e)
            check(scrape_ok(e) == 1.0, "scraper %d: scrape_ok %r" % (i, scrape_ok(e)))
            time.sleep(1.0)
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    elapsed = time.monotonic() - t0
    r, e = scrape(ex, what="last scrape")
    collections = counter(e, "cluster_exporter_collections_total")
    limit = elapsed / 2.0 + 1
    t.note("%d looping scrapes and 5 scraper scrapes in %.1f s: %d collections, %d squeue runs" % (
        counts["n"], elapsed, collections, squeue_runs(w)))
    check(counts["n"] >= 20, "the looping clients made only %d scrapes" % counts["n"])
    check(counts["bad"] == 0, "%d looping scrapes were not complete; the first: %s" % (
        counts["bad"], counts.get("why")))
    check(counts.get("lost", 0) <= counts["n"] // 100,
          "%d of %d looping requests lost their connection" % (counts.get("lost", 0), counts["n"]))
    if counts.get("lost"):
        t.note("%d of %d looping requests lost their connection" % (counts["lost"], counts["n"]))
    check(collections <= limit, "%d collections in %.1f s with a 2 s interval (at most %.0f)" % (
        collections, elapsed, limit))
    check(squeue_runs(w) <= limit, "squeue ran %d times in %.1f s" % (squeue_runs(w), elapsed))


@test
def keep_alive(t):
    """Scrapes reuse one connection; a kept-alive connection idles between
    requests."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up)
    conn = http.client.HTTPConnection("127.0.0.1", ex.port, timeout=10)
    try:
        for i in range(3):
            conn.request("GET", "/metrics")
            r = conn.getresponse()
            body = r.read()
            check(r.status == 200, "request %d on one connection: status %d" % (i, r.status))
            check((r.getheader("Connection") or "").lower() != "close",
                  "request %d: Connection: close" % i)
            check(b"cluster_exporter_scrape_ok 1" in body, "request %d: not a whole scrape" % i)
            check(conn.sock is not None, "request %d: the connection was closed" % i)
            time.sleep(0.3)
    finally:
        conn.close()


def slow_header_conns(port, count, source_ip, every=1.0, seconds=8):
    """count connections from source_ip that send one header line every
    `every` seconds (never a complete request); a thread keeps them."""
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source_ip, 0))
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            socks.append(s)
        except OSError:
            s.close()
    stop = threading.Event()

    def trickle():
        n = 0
        while not stop.wait(every):
            n += 1
            for s in socks:
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    pass
    th = threading.Thread(target=trickle, daemon=True)
    th.start()
    return socks, stop


@test
def slow_and_idle_connections(t):
    """Slow-header and idle connections from several loopback addresses,
    the scraper's own included, fill the exporter: every scrape from
    127.0.0.1 is still answered within its deadline."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up, timeout=5, extra=["--web.max-connections=40"])
    held = []
    stops = []
    try:
        for ip in ("127.0.0.2", "127.0.0.3", "127.0.0.1"):
            socks, stop = slow_header_conns(ex.port, 20, ip)
            held += socks
            stops.append(stop)
        idle, _ = open_idle(ex.port, 20, "127.0.0.4")
        held += idle
        for i in range(8):
            r, e = scrape(ex, timeout=10, what="scrape %d among %d held connections" % (i, len(held)))
            check(scrape_ok(e) == 1.0, "scrape %d: scrape_ok %r" % (i, scrape_ok(e)))
            check(r.elapsed < 5.0, "scrape %d took %.2f s" % (i, r.elapsed))
            time.sleep(0.5)
        closed = counter(e, "cluster_exporter_http_connections_closed_total", reason="full") + \
            counter(e, "cluster_exporter_http_connections_closed_total", reason="deadline")
        t.note("connections closed by the exporter: %d" % closed)
        check(closed >= 20, "only %d connections were closed to make room" % closed)
    finally:
        for st in stops:
            st.set()
        for s in held:
            s.close()


@test
def header_deadline(t):
    """A request that trickles in one header line a second is closed at the
    header deadline, not kept alive by each byte."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ex = t.exporter(up)
    socks, stop = slow_header_conns(ex.port, 1, "127.0.0.1", every=0.5)
    try:
        s = socks[0]
        t0 = time.monotonic()
        s.settimeout(10)
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        took = time.monotonic() - t0
        check(took <= 7.0, "a trickling request was kept %.1f s (header deadline 5 s)" % took)
        check(b"200 OK" not in data, "a request that never completed was answered")
    finally:
        stop.set()
        for s in socks:
            s.close()


class Launched:
    """An exporter started by hand (a wrapper or a passed socket), with its
    stderr in logs/NAME.stderr; stop() ends it and every process it left."""

    def __init__(self, t, name, argv, **popen):
        env = dict(os.environ)
        env["PATH"] = t.bin + ":/usr/bin:/bin"
        env.update(popen.pop("env_extra", {}))
        self.log = open(os.path.join(t.logs, name + ".stderr"), "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=self.log, env=env, cwd=t.dir, start_new_session=True,
                                  **popen)
        t.cleanups.append(self.stop)

    def first_scrape(self, port):
        """GET /metrics once it answers (None if it never did)."""
        deadline = time.monotonic() + 10 * SLOW
        while time.monotonic() < deadline and self.p.poll() is None:
            try:
                return http_request(port, "GET", "/metrics", timeout=5)
            except OSError:
                time.sleep(0.1)
        return None

    def stderr(self):
        return read_text(self.log.name)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        if not self.log.closed:
            self.log.close()


@test
def low_open_file_limit(t):
    """A low open-file limit fits the connection limit instead of refusing
    to start."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    port = free_port()
    prlimit = shutil.which("prlimit")
    check(prlimit is not None, "prlimit (util-linux) is missing")
    ex = Launched(t, "lowfd", [prlimit, "--nofile=128:128", EXPORTER, "-promserver=" + up.url,
                              "--web.listen-address=127.0.0.1:%d" % port, "-log=DEBUG"] + SAN_ARGS)
    r = ex.first_scrape(port)
    check(ex.p.poll() is None, "the exporter exited (status %r) with 128 open files: %s" % (
        ex.p.returncode, tail(ex.stderr())))
    check(r is not None and r.status == 200, "no answer with 128 open files")
    check("serving at most" in ex.stderr(), "no log line about the fitted limit")


@test
def several_listen_addresses(t):
    """--web.listen-address given twice serves on both; -port beside another
    address is refused naming both flags."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    p1, p2 = free_port(), free_port()
    ex = t.exporter(up, port=p1, listen=None,
                    extra=["--web.listen-address=127.0.0.1:%d" % p1,
                           "--web.listen-address=127.0.0.1:%d" % p2])
    for p in (p1, p2):
        r = http_request(p, "GET", "/metrics", timeout=10)
        check(r.status == 200 and b"cluster_exporter_scrape_ok 1" in r.body,
              "port %d: status %d" % (p, r.status))
    ex.stop()
    q = subprocess.run([EXPORTER, "-promserver=" + up.url, "-port=%d" % p1,
                        "--web.listen-address=127.0.0.1:%d" % p2],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    err = q.stderr.decode("utf-8", "replace")
    check(q.returncode == 2 and "-port" in err and "--web.listen-address" in err,
          "-port beside another address: status %d, %r" % (q.returncode, err))


@test
def socket_activation(t):
    """--web.systemd-socket serves on the socket systemd passes (LISTEN_FDS),
    binding nothing itself."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    port = ls.getsockname()[1]
    # The shell's pid becomes the exporter's: LISTEN_PID must name it.
    cmd = "LISTEN_PID=$$ exec %s -promserver=%s --web.systemd-socket -log=DEBUG %s" % (
        sh_quote(EXPORTER), sh_quote(up.url), " ".join(SAN_ARGS))

    def to_fd3():
        os.dup2(ls.fileno(), 3)
    ex = Launched(t, "activated", ["/bin/sh", "-c", cmd], env_extra={"LISTEN_FDS": "1"},
                  preexec_fn=to_fd3, pass_fds=(3,))
    ls.close()
    r = ex.first_scrape(port)
    check(ex.p.poll() is None, "the socket-activated exporter exited (status %r): %s" % (
        ex.p.returncode, tail(ex.stderr())))
    check(r is not None and r.status == 200 and b"cluster_exporter_scrape_ok 1" in r.body,
          "no whole scrape through the passed socket")


@test
def tiny_timeout_clients(t):
    """Clients that announce a tiny scrape timeout get their own failed
    collections, which never answer a scraper with a longer deadline."""
    up = t.upstream()
    up.load_original()
    up.set("read", original_bytes("read.json"), delay=0.5)
    t.install_original_standins()
    ex = t.exporter(up, timeout=5, min_interval="5s")
    stop = threading.Event()
    tiny = {"n": 0}

    def loop():
        while not stop.is_set():
            try:
                scrape(ex, timeout=10, what="tiny-timeout client",
                       headers={"X-Prometheus-Scrape-Timeout-Seconds": "0.3"})
            except Fail:
                pass
            tiny["n"] += 1

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for th in threads:
        th.start()
    t0 = time.monotonic()
    try:
        for i in range(6):
            r, e = scrape(ex, timeout=10, what="scraper %d" % i)
            check(scrape_ok(e) == 1.0, "scraper %d: scrape_ok %r, source_up %r (a tiny-timeout "
                  "client's cut-short collection answered it)" % (i, scrape_ok(e), source_up(e)))
            time.sleep(1.0)
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    elapsed = time.monotonic() - t0
    r, e = scrape(ex, what="last scrape")
    collections = counter(e, "cluster_exporter_collections_total")
    t.note("%d tiny-timeout scrapes, %d collections in %.1f s" % (tiny["n"], collections, elapsed))
    check(tiny["n"] >= 10, "the tiny-timeout clients made only %d scrapes" % tiny["n"])
    # Theirs and the scraper's: at most two per interval, plus the last.
    check(collections <= 2 * (elapsed / 5.0 + 1) + 1, "%d collections in %.1f s" % (
        collections, elapsed))


def gunzip_member(data, what):
    """The content of data, which must be exactly one gzip member."""
    check(data[:2] == b"\x1f\x8b", "%s: not gzip, starts %r" % (what, data[:16]))
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data) + d.flush()
    except zlib.error as e:
        raise Fail("%s: zlib cannot inflate the body: %s" % (what, e))
    check(d.eof and not d.unused_data, "%s: not one whole gzip member (end %r, %d bytes after)" % (
        what, d.eof, len(d.unused_data)))
    check(gzip.decompress(data) == out, "%s: Python's gzip module reads something else" % what)
    return out


def scrape_coded(ex, accept, what, headers=None, timeout=None):
    """GET /metrics with Accept-Encoding: accept; (response, text, exposition,
    gzipped).  Checks what every answer must carry, whatever its coding."""
    h = {"Accept-Encoding": accept}
    h.update(headers or {})
    r = ex.request("GET", "/metrics", headers=h, timeout=timeout or (ex.timeout + 5) * SLOW)
    check(r.status == 200, "%s: status %d, body %r" % (what, r.status, r.body[:300]))
    check(r.header("content-type") == CONTENT_TYPE, "%s: Content-Type %r" % (
        what, r.header("content-type")))
    check(r.header("vary") == "Accept-Encoding", "%s: Vary %r, want Accept-Encoding" % (
        what, r.header("vary")))
    coding = r.header("content-encoding")
    check(coding in (None, "gzip"), "%s: Content-Encoding %r" % (what, coding))
    check(r.header("content-length") == str(len(r.body)), "%s: Content-Length %r for %d bytes" % (
        what, r.header("content-length"), len(r.body)))
    raw = gunzip_member(r.body, what) if coding == "gzip" else r.body
    try:
        text = raw.decode("utf-8")
        e = parse_exposition(text)
    except (UnicodeDecodeError, ParseError) as pe:
        raise Fail("%s: the answer does not parse: %s" % (what, pe))
    check(len(e.of(SCRAPE_OK)) == 1, "%s: no single %s" % (what, SCRAPE_OK))
    return r, text, e, coding == "gzip"


@test
def metrics_gzip(t):
    """A scraper that takes gzip gets one gzip member of the same shared
    result as an identity scrape: promtool passes it, the data families
    are equal, the shared part byte for byte; gzip;q=0 and identity get
    plain text; every /metrics answer says Vary: Accept-Encoding; the
    landing page and errors stay plain."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins(watch=True)
    w = t.watch()
    # Every scrape below shares the first one's collection.
    ex = t.exporter(up, timeout=5, min_interval="60s")
    rp, plain, ep, coded = scrape_coded(ex, "identity", "identity scrape")
    check(not coded, "identity scrape: answered in gzip")
    check_original(ep, "identity scrape")
    bodies = []
    for i in range(2):
        what = "gzip scrape %d" % (i + 1)
        r, text, e, coded = scrape_coded(ex, "gzip", what)
        check(coded, "%s: Content-Encoding %r, want gzip" % (what, r.header("content-encoding")))
        promtool_check(text.encode(), what + ": promtool")
        check_original(e, what)
        assert_same(e.values(DATA_FAMILIES), ep.values(DATA_FAMILIES), what + " vs identity")
        check(shared_part(text) == shared_part(plain),
              "%s: the shared part differs from the identity scrape's" % what)
        bodies.append(r.body)
        t.note("%s: %d bytes for %d plain" % (what, len(r.body), len(text)))
    # The shared part was compressed once: both answers begin alike.
    common = len(os.path.commonprefix(bodies))
    check(common >= len(bodies[0]) // 3, "the two gzip answers share only %d of %d bytes" % (
        common, len(bodies[0])))
    for accept in ("gzip;q=0", "identity", "gzip;q=0, *", "deflate, br", "",
                   "gzip;q=0.5, identity"):
        r, text, e, coded = scrape_coded(ex, accept, "Accept-Encoding %r" % accept)
        check(not coded, "Accept-Encoding %r: answered in gzip" % accept)
        check(shared_part(text) == shared_part(plain), "Accept-Encoding %r: another result" % accept)
    for accept in ("*", "GZIP", "x-gzip", "deflate, gzip;q=0.8, identity;q=0.2", "br ,gzip"):
        r, text, e, coded = scrape_coded(ex, accept, "Accept-Encoding %r" % accept)
        check(coded, "Accept-Encoding %r: answered plain" % accept)
    # HEAD says what GET would.
    r = ex.request("HEAD", "/metrics", headers={"Accept-Encoding": "gzip"})
    check(r.status == 200 and r.header("content-encoding") == "gzip" and not r.body,
          "HEAD with gzip: status %d, Content-Encoding %r, %d body bytes" % (
              r.status, r.header("content-encoding"), len(r.body)))
    for path, status in (("/", 200), ("/nope", 404)):
        r = ex.request("GET", path, headers={"Accept-Encoding": "gzip"})
        check(r.status == status and r.header("content-encoding") is None,
              "GET %s with gzip: status %d, Content-Encoding %r" % (
                  path, r.status, r.header("content-encoding")))
    check(squeue_runs(w) == 1, "squeue ran %d times; the scrapes were to share one collection"
          % squeue_runs(w))


@test
def metrics_gzip_skipped(t):
    """A scrape skipped past its deadline gets its answer in gzip too, and
    the scrape that waited gets the collection in gzip."""
    up = t.upstream()
    up.load_original()
    up.set("metadata", delay=2)
    t.install_original_standins()
    ex = t.exporter(up, timeout=8)
    out = {}

    def waiting():
        try:
            out["A"] = scrape_coded(ex, "gzip", "waiting scrape", timeout=20)
        except BaseException as exc:
            out["A_err"] = exc
    th = threading.Thread(target=waiting)
    th.start()
    time.sleep(0.3)
    r, text, e, coded = scrape_coded(ex, "gzip", "skipped scrape", headers={
        "X-Prometheus-Scrape-Timeout-Seconds": "1.2"})
    check(coded, "skipped scrape: answered plain")
    check(scrape_ok(e) == 0.0, "skipped scrape: scrape_ok %r, want 0" % scrape_ok(e))
    promtool_check(text.encode(), "skipped scrape: promtool")
    th.join(30)
    r, text, e, coded = result_of(out, "A")
    check(coded and scrape_ok(e) == 1.0, "waiting scrape: gzip %r, scrape_ok %r" % (
        coded, scrape_ok(e)))
    check_original(e, "waiting scrape")
