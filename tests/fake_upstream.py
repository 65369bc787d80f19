# SPDX-License-Identifier: Apache-2.0
"""A fake Prometheus HTTP API for the end-to-end tests.

    fake_upstream.py --dir DIR [--bind 127.0.0.1] [--port 0]
        [--tls-cert PEM --tls-key PEM [--tls-client-ca PEM]
         [--tls-min TLS12|TLS13] [--tls-max TLS12|TLS13]]

Serves /api/v1/query (GET ?query=..., or POST form-encoded), also under
any path prefix (PREFIX/api/v1/query, as VictoriaMetrics' /prometheus;
headers.log tells which path was asked).  The query text selects the
source:

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
    DIR/<source>.trickle   N: send the body with chunked transfer coding,
                           in pieces of N bytes, each flushed on its own
    DIR/<source>.gzip      present: the body goes gzip-compressed
                           (Content-Encoding: gzip), whatever was asked

    DIR/<source>.redirect  a Location URL (absolute, or a path on this
                           server), optionally a status on a second line
                           (default 302): answered instead of the data,
                           unless the Location is this very path on this
                           address and port (so a redirect to another path here is
                           served there).  The request's query string is
                           appended to a Location that has none.
    DIR/authorization      when present, a request whose Authorization
                           header is not exactly this text (less a final
                           newline) gets 401 with WWW-Authenticate

Every decoded query is appended to DIR/queries.log, one per line, and
every request to the query path (redirected, refused or answered) to
DIR/headers.log as one JSON object a line: method, path, query, source,
status (the one answered), headers (a list of [name, value] in the order
received, repeats kept), and over TLS sni (the server name the client
sent, or null) and client_cn (the CN of a verified client certificate,
or null).  With --tls-cert and --tls-key the server speaks HTTPS only;
--tls-client-ca requires a client certificate signed by that CA;
--tls-min/--tls-max bound the protocol versions.  A failed handshake is
appended to DIR/tls.log (a JSON object a line: error).  With --port 0 a
free port is bound and its number written to DIR/port (via a temporary
file and rename) once the socket listens.  SIGTERM exits 0.
"""

import argparse
import gzip
import http.server
import json
import os
import signal
import socket
import ssl
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

    def _send_pieces(self, status, body, size, gz):
        """body in chunked transfer coding, size bytes a chunk."""
        self.protocol_version = "HTTP/1.1"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        for i in range(0, len(body), size):
            piece = body[i:i + size]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send(self, status, body, ctype="application/json", truncate=None,
              gz=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if gz:
            self.send_header("Content-Encoding", "gzip")
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

    def _record(self, path, query, source, status):
        conn = self.connection
        rec = {"method": self.command, "path": path, "query": query,
               "source": source, "status": status,
               "headers": [[k, v] for k, v in self.headers.items()]}
        if isinstance(conn, ssl.SSLSocket):
            rec["sni"] = getattr(conn, "e2e_sni", None)
            cn = None
            peer = conn.getpeercert()
            for rdn in (peer or {}).get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            rec["client_cn"] = cn
        with _log_lock:
            with open(os.path.join(self.datadir, "headers.log"), "a",
                      encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")

    def _redirect(self, source, path, rawquery):
        """The (status, Location) answered instead of the data, or None."""
        raw = read_opt(os.path.join(self.datadir, source + ".redirect"))
        if raw is None:
            return None
        lines = raw.decode("utf-8").split("\n")
        location = lines[0].strip()
        status = int(lines[1]) if len(lines) > 1 and lines[1].strip() else 302
        target = urllib.parse.urlsplit(location)
        here = not target.netloc or (target.port == self.server.server_address[1] and
                                     target.hostname == self.server.server_address[0])
        if here and target.path == path:
            return None
        if not target.query and rawquery:
            location += "?" + rawquery
        return status, location

    def _answer(self, params, path="/api/v1/query", rawquery=""):
        queries = params.get("query", [])
        query = queries[0] if queries else ""
        with _log_lock:
            with open(os.path.join(self.datadir, "queries.log"), "a",
                      encoding="utf-8", errors="backslashreplace") as f:
                f.write(query.replace("\n", "\\n") + "\n")
        source = pick_source(query)
        want = read_opt(os.path.join(self.datadir, "authorization"))
        if want is not None:
            want = want.decode("utf-8").rstrip("\n")
            got = self.headers.get_all("Authorization") or []
            if got != [want]:
                self._record(path, query, source, 401)
                body = json.dumps({"status": "error",
                                   "errorType": "unauthorized",
                                   "error": "fake upstream: wrong or no "
                                            "credentials"}).encode()
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="fake"')
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
        if source is None:
            self._record(path, query, source, 400)
            self._error(400, "bad_data",
                        "invalid parameter \"query\": unknown query")
            return
        try:
            redirect = self._redirect(source, path, rawquery)
        except ValueError as e:
            self._error(500, "internal", "fake upstream: bad control file: %s" % e)
            return
        if redirect is not None:
            self._record(path, query, source, redirect[0])
            body = b"moved\n"
            self.send_response(redirect[0])
            self.send_header("Location", redirect[1])
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        base = os.path.join(self.datadir, source)
        try:
            delay = read_num(base + ".delay", float)
            status = read_num(base + ".status", int)
            truncate = read_num(base + ".truncate", int)
            trickle = read_num(base + ".trickle", int)
        except ValueError as e:
            self._error(500, "internal", "fake upstream: bad control file: %s" % e)
            return
        body = read_opt(base + ".json")
        if body is None:
            body = EMPTY_VECTOR
        self._record(path, query, source, status or 200)
        if delay:
            time.sleep(delay)
        gz = os.path.exists(base + ".gzip")
        if gz:
            body = gzip.compress(body)
        if trickle:
            self._send_pieces(status or 200, body, trickle, gz)
        else:
            self._send(status or 200, body, truncate=truncate, gz=gz)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if not url.path.endswith("/api/v1/query"):
            self._error(404, "not_found", "no such path")
            return
        self._answer(urllib.parse.parse_qs(url.query, keep_blank_values=True),
                     url.path, url.query)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not url.path.endswith("/api/v1/query"):
            self._error(404, "not_found", "no such path")
            return
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"),
                                     keep_blank_values=True)
        for k, v in form.items():
            params.setdefault(k, []).extend(v)
        self._answer(params, url.path, url.query)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    tls = None      # an ssl.SSLContext: HTTPS only

    def finish_request(self, request, client_address):
        # The handshake runs here, in the connection's own thread, so that
        # a client that fails it or stalls holds up no other.
        if self.tls is not None:
            try:
                request.settimeout(10)
                request = self.tls.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (OSError, ssl.SSLError) as e:
                with _log_lock:
                    with open(os.path.join(Handler.datadir, "tls.log"), "a",
                              encoding="utf-8") as f:
                        f.write(json.dumps({"error": "%s: %s" % (
                            type(e).__name__, e)}) + "\n")
                return
        super().finish_request(request, client_address)


TLS_VERSIONS = {"TLS12": ssl.TLSVersion.TLSv1_2,
                "TLS13": ssl.TLSVersion.TLSv1_3}


def tls_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        ctx.load_verify_locations(args.tls_client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    if args.tls_min:
        ctx.minimum_version = TLS_VERSIONS[args.tls_min]
    if args.tls_max:
        ctx.maximum_version = TLS_VERSIONS[args.tls_max]

    def on_sni(sock, name, _ctx):
        sock.e2e_sni = name
    ctx.sni_callback = on_sni
    return ctx


def main(argv=None):
    ap = argparse.ArgumentParser(description="fake Prometheus query API")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--tls-client-ca")
    ap.add_argument("--tls-min", choices=sorted(TLS_VERSIONS))
    ap.add_argument("--tls-max", choices=sorted(TLS_VERSIONS))
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")

    Handler.datadir = os.path.abspath(args.dir)
    if args.tls_cert:
        Server.tls = tls_context(args)
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
