# SPDX-License-Identifier: Apache-2.0
"""The front door under a hostile local load (`make bench`).

    PCE_BUILD=build /usr/bin/python3 tests/bench_front.py [SECONDS]

Starts the real exporter (fake upstream, stand-in squeue/getent, as the
end-to-end suite does) and, for SECONDS (default 30), runs at once:
4 clients scraping in a loop, slow-header connections from 127.0.0.2-4
(one header line a second, never a complete request), idle connections
from 127.0.0.5, stderr on a pipe nobody reads, and a scraper that scrapes
once a second from 127.0.0.1.  Prints the scraper's latency percentiles,
collections per second, the looping clients' request rate and the
connections the exporter closed.  Figures, not assertions: the end-to-end
suite asserts the counts.
"""

import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402  (the suite's helpers: upstream, stand-ins, scrape)


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))
    return xs[k]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    t = e2e.Ctx("bench-front")
    try:
        up = t.upstream()
        up.load_original()
        t.install_original_standins()
        port = e2e.free_port()
        args = ["-promserver=" + up.url, "--web.listen-address=127.0.0.1:%d" % port,
                "-log=DEBUG"]
        env = dict(os.environ)
        env["PATH"] = t.bin + ":/usr/bin:/bin"
        # stderr on a pipe that is never read: a stalled journald.
        proc = subprocess.Popen([e2e.EXPORTER] + args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=env, cwd=t.dir, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if e2e.http_request(port, "GET", "/", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.05)

        class Ex:
            pass
        ex = Ex()
        ex.port, ex.timeout = port, 15
        stop = threading.Event()
        loops = {"n": 0}
        lock = threading.Lock()

        def loop():
            while not stop.is_set():
                try:
                    e2e.http_request(port, "GET", "/metrics", timeout=20)
                except Exception:
                    pass
                with lock:
                    loops["n"] += 1

        threads = [threading.Thread(target=loop, daemon=True) for _ in range(4)]
        for th in threads:
            th.start()
        held, stops = [], []
        for ip in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            socks, st = e2e.slow_header_conns(port, 200, ip)
            held += socks
            stops.append(st)
        idle, _ = e2e.open_idle(port, 100, "127.0.0.5")
        held += idle
        lat, bad = [], 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            s0 = time.monotonic()
            try:
                r, e = e2e.scrape(ex, timeout=20, what="scraper")
                if e2e.scrape_ok(e) != 1.0:
                    bad += 1
                last = e
            except e2e.Fail:
                bad += 1
            lat.append(time.monotonic() - s0)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - s0)))
        elapsed = time.monotonic() - t0
        stop.set()
        for st in stops:
            st.set()
        for s in held:
            s.close()
        collections = e2e.counter(last, "cluster_exporter_collections_total")
        closed_full = e2e.counter(last, "cluster_exporter_http_connections_closed_total",
                                  reason="full")
        closed_deadline = e2e.counter(last, "cluster_exporter_http_connections_closed_total",
                                      reason="deadline")
        print("front door, %.0f s: 4 looping clients, 600 slow-header connections "
              "(127.0.0.2-4), 100 idle (127.0.0.5), stderr unread" % elapsed)
        print("  scraper: %d scrapes, %d incomplete; latency p50 %.3f s, p90 %.3f s, "
              "p99 %.3f s, max %.3f s" % (len(lat), bad, statistics.median(lat),
                                          percentile(lat, 90), percentile(lat, 99), max(lat)))
        print("  looping clients: %d requests (%.0f/s)" % (loops["n"], loops["n"] / elapsed))
        print("  collections: %d (%.2f/s; min-interval 5 s allows %.2f/s)" % (
            collections, collections / elapsed, 1 / 5.0))
        print("  connections closed: %d to make room, %d at their deadline" % (
            closed_full, closed_deadline))
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    finally:
        t.close()
        t.remove()


if __name__ == "__main__":
    main()
