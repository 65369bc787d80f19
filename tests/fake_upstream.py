# SPDX-License-Identifier: Apache-2.0
"""A fake Prometheus HTTP API for the end-to-end tests.

    fake_upstream.py --dir DIR [--bind 127.0.0.1] [--port 0]

Serves /api/v1/query (GET ?query=..., or POST form-encoded).  The query
text selects the source:

    lustre_job_stats_total        -> metadata
    lustre_job_read_bytes_total   -> read
    lustre_job_write_bytes_total  -> write
    anything else                 -> 400 with a Prometheus-style error

For every request these files are read afresh, so a test may change them
between scrapes:

    DIR/<source>.json      body (absent: an empty success vector)
    DIR/<source>.status    HTTP status (default 200)
    DIR/<source>.delay     seconds (float) to sleep before answering
    DIR/<source>.truncate  N: announce the full Content-Length, send only
                           N bytes, then close the connection

Every decoded query is appended to DIR/queries.log, one per line.  With
--port 0 a free port is bound and its number written to DIR/port (via a
temporary file and rename) once the socket listens.  SIGTERM exits 0.
"""

import argparse
import http.server
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse

EMPTY_VECTOR = b'{"status":"success","data":{"resultType":"vector","result":[]}}'

SOURCES = (
    ("lustre_job_stats_total", "metadata"),
    ("lustre_job_read_bytes_total", "read"),
    ("lustre_job_write_bytes_total", "write"),
)

_log_lock = threading.Lock()


def pick_source(query):
    for needle, source in SOURCES:
        if needle in query:
            return source
    return None


def read_opt(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def read_num(path, conv):
    raw = read_opt(path)
    if raw is None:
        return None
    raw = raw.strip()
    if not raw:
        return None
    return conv(raw.decode("ascii"))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-prometheus/1"
    datadir = "."

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def _send(self, status, body, ctype="application/json", truncate=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if truncate is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate is None:
            self.wfile.write(body)
            self.wfile.flush()
            return
        self.wfile.write(body[:max(0, truncate)])
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _error(self, status, etype, msg):
        body = json.dumps({"status": "error", "errorType": etype,
                           "error": msg}).encode()
        self._send(status, body)

    def _answer(self, params):
        queries = params.get("query", [])
        query = queries[0] if queries else ""
        with _log_lock:
            with open(os.path.join(self.datadir, "queries.log"), "a",
                      encoding="utf-8", errors="backslashreplace") as f:
                f.write(query.replace("\n", "\\n") + "\n")
        source = pick_source(query)
        if source is None:
            self._error(400, "bad_data",
                        "invalid parameter \"query\": unknown query")
            return
        base = os.path.join(self.datadir, source)
        try:
            delay = read_num(base + ".delay", float)
            status = read_num(base + ".status", int)
            truncate = read_num(base + ".truncate", int)
        except ValueError as e:
            self._error(500, "internal", "fake upstream: bad control file: %s" % e)
            return
        body = read_opt(base + ".json")
        if body is None:
            body = EMPTY_VECTOR
        if delay:
            time.sleep(delay)
        self._send(status or 200, body, truncate=truncate)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/api/v1/query":
            self._error(404, "not_found", "no such path")
            return
        self._answer(urllib.parse.parse_qs(url.query, keep_blank_values=True))

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if url.path != "/api/v1/query":
            self._error(404, "not_found", "no such path")
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"),
                                     keep_blank_values=True)
        for k, v in form.items():
            params.setdefault(k, []).extend(v)
        self._answer(params)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Prometheus query API")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)

    Handler.datadir = os.path.abspath(args.dir)
    srv = Server((args.bind, args.port), Handler)

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    port = srv.server_address[1]
    tmp = os.path.join(Handler.datadir, ".port.tmp.%d" % os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, os.path.join(Handler.datadir, "port"))
    try:
        srv.serve_forever(poll_interval=0.2)
    except SystemExit:
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
