# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios for --web.config.file, the exporter toolkit's web
# configuration: HTTPS, basic auth, client certificates, response headers,
# reloads on SIGHUP, refusals at start-up, where the secrets live, and a
# real Prometheus scraping through all of it.  Certificates are made at
# test time with the openssl CLI (ECDSA P-256, in the test's directory),
# bcrypt hashes with Python's crypt module.  Runs inside tests/e2e.py's
# namespace (see _load_topics there), after e2e_front.py, whose scrape_bg
# and result_of it uses.

import base64
import ssl
import warnings

with warnings.catch_warnings():
    # crypt is deprecated (gone in Python 3.13); Debian 12 has 3.11.
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:
        crypt = None

RELOADED = "web configuration reloaded"
NOT_RELOADED = "web configuration not reloaded"
COLLECTIONS = "cluster_exporter_collections_total"
REJECTED = "cluster_exporter_http_requests_rejected_total"
# The five headers of the toolkit's allow-list, each with a usual value.
WEB_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "deny",
    "X-XSS-Protection": "1; mode=block",
    "Content-Security-Policy": "default-src 'none'",
}
# Go's bcrypt.DefaultCost, what `htpasswd -B -C 10` and the toolkit's docs
# give: the cost a site's hashes really have.
BCRYPT_COST = 10
# Memory regions larger than this are not read by memory_hits: only the
# sanitizers' shadow maps (terabytes of NORESERVE zeroes) are that large.
MAX_SCAN_REGION = 1 << 30


# ----------------------------------------------------------------------------
# Certificates, hashes, configuration files


def bcrypt_hash(password, cost=BCRYPT_COST):
    """A $2b$ bcrypt hash of password, from the C library's crypt()."""
    check(crypt is not None, "Python's crypt module is missing (Python >= 3.13?); the web_ tests need it "
          "for bcrypt hashes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
    check(h is not None and h.startswith("$2b$") and len(h) == 60,
          "crypt() with a bcrypt salt gave %r, want a 60-character $2b$ hash" % (h,))
    return h


def basic_auth(user, password):
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


class Cert:
    """A certificate and its key, PEM files."""

    def __init__(self, cert, key):
        self.cert, self.key = cert, key

    def der(self):
        return ssl.PEM_cert_to_DER_cert(read_text(self.cert))


OPENSSL_CNF = """\
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""


class PKI:
    """Throw-away certificate authorities and certificates in directory
    path, made with the openssl CLI: ECDSA P-256 keys, two days of
    validity.  Every file is world-readable: the exporter, started as
    root, reads them again as -user nobody on SIGHUP."""

    def __init__(self, path):
        check(shutil.which("openssl"), "the openssl CLI is missing (Debian package openssl; make deps)")
        self.dir = path
        os.makedirs(path, 0o755, exist_ok=True)
        self.cnf = os.path.join(path, "openssl.cnf")
        write_file(self.cnf, OPENSSL_CNF)
        self.serial = random.randint(1 << 20, 1 << 40)

    def _openssl(self, *args):
        p = subprocess.run(["openssl"] + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        check(p.returncode == 0, "openssl %s: exit %d: %s" % (
            " ".join(args), p.returncode, p.stdout.decode("utf-8", "replace")[-1000:]))

    def _key(self, path):
        self._openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
        os.chmod(path, 0o644)

    def authority(self, name, cn):
        c = Cert(os.path.join(self.dir, name + ".pem"), os.path.join(self.dir, name + ".key"))
        self._key(c.key)
        self._openssl("req", "-x509", "-new", "-key", c.key, "-subj", "/CN=" + cn, "-days", "2",
                      "-config", self.cnf, "-extensions", "ca", "-out", c.cert)
        os.chmod(c.cert, 0o644)
        return c

    def issue(self, ca, name, cn, sans, usage):
        """A certificate for cn with subjectAltName sans (openssl syntax,
        "DNS:x,IP:y"), extendedKeyUsage usage, signed by ca."""
        c = Cert(os.path.join(self.dir, name + ".pem"), os.path.join(self.dir, name + ".key"))
        csr = os.path.join(self.dir, name + ".csr")
        ext = os.path.join(self.dir, name + ".ext")
        write_file(ext, "[leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n"
                        "extendedKeyUsage = %s\nsubjectAltName = %s\nsubjectKeyIdentifier = hash\n"
                        "authorityKeyIdentifier = keyid\n" % (usage, sans))
        self._key(c.key)
        self._openssl("req", "-new", "-key", c.key, "-subj", "/CN=" + cn, "-config", self.cnf, "-out", csr)
        self.serial += 1
        self._openssl("x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial",
                      str(self.serial), "-days", "2", "-extfile", ext, "-extensions", "leaf", "-out", c.cert)
        os.chmod(c.cert, 0o644)
        return c

    def server(self, ca, name):
        return self.issue(ca, name, "localhost", "IP:127.0.0.1,DNS:localhost", "serverAuth")

    def client(self, ca, name, sans, cn="e2e client"):
        return self.issue(ca, name, cn, sans, "clientAuth")


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    # A JSON string is a YAML double-quoted scalar.
    return json.dumps(v)


def web_yaml(tls=None, users=None, headers=None, http2=None):
    """The text of a web configuration file.  tls: tls_server_config's keys
    (a list is written as a block sequence, a multi-line string as a
    literal block); users: name -> hash; headers: name -> value."""
    out = []
    if tls:
        out.append("tls_server_config:")
        for k, v in tls.items():
            if isinstance(v, list):
                out.append("  %s:" % k)
                out += ["    - %s" % yaml_scalar(x) for x in v]
            elif isinstance(v, str) and "\n" in v:
                out.append("  %s: |" % k)
                out += ["    " + l for l in v.rstrip("\n").split("\n")]
            else:
                out.append("  %s: %s" % (k, yaml_scalar(v)))
    if headers or http2 is not None:
        out.append("http_server_config:")
        if http2 is not None:
            out.append("  http2: %s" % yaml_scalar(http2))
        if headers:
            out.append("  headers:")
            out += ["    %s: %s" % (k, yaml_scalar(v)) for k, v in headers.items()]
    if users:
        out.append("basic_auth_users:")
        out += ["  %s: %s" % (yaml_scalar(u), yaml_scalar(h)) for u, h in users.items()]
    return "\n".join(out) + "\n"


class WebDir:
    """DIR/web: the configuration file web.yml, and beside it tls/ with a
    CA and a server certificate for 127.0.0.1 and localhost, which the file
    names by relative paths (the exporter's working directory is DIR, so
    only the file's own directory resolves them)."""

    def __init__(self, t):
        self.t = t
        self.dir = t.mkdir("web")
        self.pki = PKI(os.path.join(self.dir, "tls"))
        self.ca = self.pki.authority("ca", "pce-e2e CA")
        self.server = self.pki.server(self.ca, "server")
        self.path = os.path.join(self.dir, "web.yml")

    def tls_files(self, **more):
        d = {"cert_file": "tls/server.pem", "key_file": "tls/server.key"}
        d.update(more)
        return d

    def write(self, text, path=None):
        write_file(path or self.path, text)

    def start(self, client, up=None, flag="--web.config.file", path=None, **kw):
        """An exporter over the original fixtures with this configuration;
        ready once client gets a 200 on /.  Returns (upstream, exporter)."""
        if up is None:
            up = self.t.upstream()
            up.load_original()
            self.t.install_original_standins()
        extra = ["%s=%s" % (flag, path or self.path)] + list(kw.pop("extra", ()))
        return up, self.t.exporter(up, extra=extra, client=client, **kw)


# ----------------------------------------------------------------------------
# Clients


class WebClient:
    """Requests to 127.0.0.1 over HTTPS (when ca is given: trusting it,
    checking the IP SAN, showing cert if given) and with basic auth (when
    user is given).  Called like http_request: an Exporter.client."""

    def __init__(self, ca=None, cert=None, user=None, password=None, max_version=None):
        self.ssl = None
        if ca is not None:
            self.ssl = ssl.create_default_context(cafile=ca)
            if cert is not None:
                self.ssl.load_cert_chain(cert.cert, cert.key)
            if max_version is not None:
                self.ssl.maximum_version = max_version
        self.auth = basic_auth(user, password) if user is not None else None

    def connection(self, port, timeout):
        if self.ssl is None:
            return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        return http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=self.ssl)

    def __call__(self, port, method="GET", path="/", headers=None, body=None, timeout=10.0):
        hdrs = dict(headers or {})
        if self.auth is not None:
            hdrs.setdefault("Authorization", self.auth)
        t0 = time.monotonic()
        conn = self.connection(port, timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data, time.monotonic() - t0)
        finally:
            conn.close()


def attempt(client, port, path="/metrics", headers=None, timeout=None):
    """(status, Resp), or (None, "what went wrong") when no answer came."""
    try:
        r = client(port, "GET", path, headers=headers, timeout=timeout or 5 * SLOW)
        return r.status, r
    except (OSError, http.client.HTTPException) as e:
        return None, "%s: %s" % (type(e).__name__, e)


def check_refused(client, port, what, path="/metrics", want_403=False):
    """client is turned away: a 403, or (unless want_403) a connection the
    TLS layer ended; never a 200, never silence until the timeout."""
    status, got = attempt(client, port, path)
    if status is None:
        check(not want_403 and "timed out" not in got,
              "%s: want %s, got no answer (%s)" % (what, "403" if want_403 else "403 or a TLS failure", got))
        return "no answer (%s)" % got
    check(status == 403, "%s: status %d, want %s; body %r" % (
        what, status, "403" if want_403 else "403 or a TLS failure", got.body[:200]))
    return "403"


def peer_der(port, client):
    """The certificate (DER) a new TLS connection to port gets."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW)
    try:
        ss = client.ssl.wrap_socket(s, server_hostname="127.0.0.1")
        try:
            return ss.getpeercert(binary_form=True)
        finally:
            ss.close()
    finally:
        s.close()


def check_peer(ex, client, want, known, what):
    """A new connection is served with certificate want (known: label ->
    Cert, to name what came instead)."""
    try:
        der = peer_der(ex.port, client)
    except (OSError, ssl.SSLError) as e:
        raise Fail("%s: TLS connection failed: %s: %s" % (what, type(e).__name__, e))
    if der != known[want].der():
        names = [k for k, c in known.items() if c.der() == der]
        raise Fail("%s: a new connection got certificate %s, want %s" % (
            what, names[0] if names else "(none of the test's)", want))


def sample(e, name, **labels):
    """The value of name{labels} in exposition e, or None."""
    for s in e.of(name):
        if all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def must_sample(e, name, what, **labels):
    v = sample(e, name, **labels)
    check(v is not None, "%s: no sample %s%s" % (what, name, labels or ""))
    return v


def check_headers(r, what, want=WEB_HEADERS):
    bad = ["%s: %r" % (k, r.header(k)) for k, v in want.items() if r.header(k) != v]
    check(not bad, "%s (status %d): configured headers missing or changed: %s; want %r" % (
        what, r.status, ", ".join(bad), want))


def reload_web(ex, ok=True, what="reload"):
    """SIGHUP, then waits for the exporter's verdict line; checks it is the
    one wanted (ok: reloaded, else not reloaded).  Returns the line.  The
    verdict is an info or error line like any other: at most
    LOG_REPEAT_BURST (5) of the same text show within 10 s."""
    before = ex.stderr()
    n_ok, n_bad = before.count(RELOADED), before.count(NOT_RELOADED)
    os.kill(ex.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5 * SLOW
    while True:
        text = ex.stderr()
        got_ok, got_bad = text.count(RELOADED) > n_ok, text.count(NOT_RELOADED) > n_bad
        if got_ok or got_bad:
            break
        check(ex.proc.poll() is None, "%s: the exporter exited with status %r after SIGHUP" % (
            what, ex.proc.returncode))
        check(time.monotonic() < deadline, "%s: neither %r nor %r logged within %.0f s of SIGHUP" % (
            what, RELOADED, NOT_RELOADED, 5 * SLOW))
        time.sleep(0.05)
    # A line is written whole; give a second one a moment to show.
    time.sleep(0.1)
    lines = [l for l in ex.stderr()[len(before):].split("\n") if RELOADED in l or NOT_RELOADED in l]
    want = RELOADED if ok else NOT_RELOADED
    check(len(lines) == 1 and (want in lines[0]) and (ok or RELOADED not in lines[0]),
          "%s: want one %r line after SIGHUP, got %r" % (what, want, lines))
    check(ex.proc.poll() is None, "%s: the exporter exited with status %r" % (what, ex.proc.returncode))
    return lines[0]


# ----------------------------------------------------------------------------
# Scenarios


@test
def web_tls(t):
    """HTTPS only on the port: relative paths taken from the file's
    directory, min_version TLS13 (a TLS 1.2 client is refused), the five
    headers on every answer, http2 accepted with a warning, plain HTTP
    never answered with metrics; -web.config.file (one dash) works."""
    w = WebDir(t)
    w.write(web_yaml(tls=w.tls_files(min_version="TLS13"), headers=WEB_HEADERS, http2=True))
    client = WebClient(w.ca.cert)
    up, ex = w.start(client, flag="-web.config.file")
    r, e = scrape(ex, what="HTTPS scrape")
    check_original(e, "HTTPS scrape")
    check(scrape_ok(e) == 1.0, "HTTPS scrape: scrape_ok %r, source_up %r" % (scrape_ok(e), source_up(e)))
    check_peer(ex, client, "server", {"server": w.server}, "first connection")
    for method, path, status in (("GET", "/", 200), ("GET", "/metrics", 200), ("HEAD", "/metrics", 200),
                                 ("GET", "/nope", 404), ("POST", "/", 405)):
        what = "HTTPS %s %s" % (method, path)
        r = client(ex.port, method, path, timeout=(ex.timeout + 5) * SLOW)
        check(r.status == status, "%s: status %d, want %d" % (what, r.status, status))
        check_headers(r, what)
    warned = [l for l in ex.stderr().split("\n") if "level=warn" in l and "http2" in l]
    check(warned, "no level=warn line mentioning http2 although the file sets http2: true; stderr:\n%s" % (
        tail(ex.stderr(), 15)))

    status, got = attempt(WebClient(), ex.port, "/metrics", timeout=3 * SLOW)
    if status is None:
        t.note("plain HTTP on the HTTPS port: %s" % got)
    else:
        check(status != 200 and b"cluster_" not in got.body,
              "plain HTTP on the HTTPS port: status %d, body %r" % (status, got.body[:200]))
        t.note("plain HTTP on the HTTPS port: status %d" % status)
    old = WebClient(w.ca.cert, max_version=ssl.TLSVersion.TLSv1_2)
    status, got = attempt(old, ex.port, "/")
    check(status is None and "timed out" not in got,
          "a TLS 1.2 client with min_version TLS13: want a failed handshake, got %s" % (
              "status %d" % status if status is not None else got))
    r, e = scrape(ex, what="HTTPS scrape after plain HTTP and TLS 1.2 attempts")
    check(scrape_ok(e) == 1.0, "last scrape: scrape_ok %r" % scrape_ok(e))


@test
def web_basic_auth(t):
    """Every path wants credentials: a missing or wrong one gets 401 with
    WWW-Authenticate and the headers, and starts no collection; $2a$, $2b$
    and $2y$ hashes all work; the password may hold a colon."""
    w = WebDir(t)
    pw = {"alice": "correct horse: battery", "bob": "b0b's pass", "carol": "ca:rol"}
    h = {u: bcrypt_hash(p) for u, p in pw.items()}
    users = {"alice": h["alice"], "bob": "$2a$" + h["bob"][4:], "carol": "$2y$" + h["carol"][4:]}
    headers = {"X-Frame-Options": "deny", "X-Content-Type-Options": "nosniff"}
    w.write(web_yaml(tls=w.tls_files(), users=users, headers=headers))
    alice = WebClient(w.ca.cert, user="alice", password=pw["alice"])
    anon = WebClient(w.ca.cert)
    up, ex = w.start(alice)
    r, e = scrape(ex, what="first authorized scrape")
    check_original(e, "first authorized scrape")
    c1 = must_sample(e, COLLECTIONS, "first authorized scrape")
    rej1 = must_sample(e, REJECTED, "first authorized scrape", reason="credentials")
    up.reset_queries()

    wrong = [
        ("no Authorization header", None),
        ("alice with a wrong password", basic_auth("alice", pw["alice"] + "x")),
        ("an unknown user with alice's password", basic_auth("mallory", pw["alice"])),
        ("alice's name in another case", basic_auth("Alice", pw["alice"])),
        ("alice's password cut at its colon", basic_auth("alice", pw["alice"].split(":")[0])),
        ("bob's password for alice", basic_auth("alice", pw["bob"])),
        ("credentials that are not base64", "Basic !!!"),
        ("no colon in the credentials", "Basic " + base64.b64encode(b"alice").decode()),
        ("the Bearer scheme", "Bearer " + base64.b64encode(pw["alice"].encode()).decode()),
    ]
    sent = 0
    for path in ("/", "/metrics", "/nope"):
        for label, auth in wrong:
            what = "GET %s with %s" % (path, label)
            r = anon(ex.port, "GET", path, headers={"Authorization": auth} if auth else None,
                     timeout=5 * SLOW)
            sent += 1
            check(r.status == 401, "%s: status %d, want 401; body %r" % (what, r.status, r.body[:200]))
            challenge = r.header("www-authenticate") or ""
            check(re.match(r'Basic realm="[^"]*"', challenge),
                  "%s: WWW-Authenticate %r, want Basic realm=\"...\"" % (what, challenge))
            check(b"cluster_" not in r.body, "%s: the 401 carries metrics: %r" % (what, r.body[:200]))
            check_headers(r, what, headers)
    check(up.queries() == [], "the %d refused requests reached the upstream: %r" % (sent, up.queries()[:5]))

    for user in ("alice", "bob", "carol"):
        what = "GET / as %s (%s hash)" % (user, users[user][:4])
        r = WebClient(w.ca.cert, user=user, password=pw[user])(ex.port, "GET", "/", timeout=5 * SLOW)
        check(r.status == 200, "%s: status %d, want 200" % (what, r.status))
        check_headers(r, what, headers)
    r = alice(ex.port, "GET", "/nope", timeout=5 * SLOW)
    check(r.status == 404, "GET /nope as alice: status %d, want 404" % r.status)
    check_headers(r, "GET /nope as alice", headers)
    r, e = scrape(ex, what="authorized scrape after the 401s")
    check_headers(r, "authorized scrape", headers)
    c2 = must_sample(e, COLLECTIONS, "authorized scrape after the 401s")
    check(c2 == c1 + 1, "%s went from %r to %r over %d refused requests and one authorized scrape, "
          "want +1" % (COLLECTIONS, c1, c2, sent))
    rej2 = must_sample(e, REJECTED, "authorized scrape after the 401s", reason="credentials")
    check(rej2 - rej1 == sent, "%s{reason=\"credentials\"} went from %r to %r, want +%d (one per 401)" % (
        REJECTED, rej1, rej2, sent))


@test
def web_client_certs(t):
    """RequireAndVerifyClientCert, VerifyClientCertIfGiven and
    client_allowed_sans, with certificates from the client CA, from
    another CA and none."""
    w = WebDir(t)
    pki = w.pki
    other_ca = pki.authority("ca2", "pce-e2e other CA")
    good = pki.client(w.ca, "client-dns", "DNS:scraper.example")
    by_san = {
        "email": pki.client(w.ca, "client-email", "email:ops@example.org"),
        "IP": pki.client(w.ca, "client-ip", "IP:10.9.8.7"),
        "URI": pki.client(w.ca, "client-uri", "URI:spiffe://e2e/scraper"),
    }
    # The CN is an allowed name: only the SANs may count.
    unlisted = pki.client(w.ca, "client-other", "DNS:other.example,email:other@example.org",
                          cn="scraper.example")
    stranger = pki.client(other_ca, "client-ca2", "DNS:scraper.example")
    anon = WebClient(w.ca.cert)
    with_good = WebClient(w.ca.cert, cert=good)
    with_stranger = WebClient(w.ca.cert, cert=stranger)
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    results = []

    path = os.path.join(w.dir, "require.yml")
    w.write(web_yaml(tls=w.tls_files(client_auth_type="RequireAndVerifyClientCert",
                                     client_ca_file="tls/ca.pem")), path)
    _, ex = w.start(with_good, up=up, path=path, name="require")
    results.append("require, no cert: " + check_refused(anon, ex.port, "RequireAndVerifyClientCert, no cert"))
    results.append("require, other CA: " + check_refused(with_stranger, ex.port,
                                                         "RequireAndVerifyClientCert, a cert from another CA"))
    r, e = scrape(ex, what="RequireAndVerifyClientCert, a cert from client_ca_file")
    check(scrape_ok(e) == 1.0, "RequireAndVerifyClientCert: scrape_ok %r" % scrape_ok(e))
    problems = ex.stop()
    check(not problems, "; ".join(problems))

    path = os.path.join(w.dir, "if-given.yml")
    w.write(web_yaml(tls=w.tls_files(client_auth_type="VerifyClientCertIfGiven",
                                     client_ca_file="tls/ca.pem")), path)
    _, ex = w.start(anon, up=up, path=path, name="if_given")
    r, e = scrape(ex, what="VerifyClientCertIfGiven, no cert")
    check(scrape_ok(e) == 1.0, "VerifyClientCertIfGiven, no cert: scrape_ok %r" % scrape_ok(e))
    r = with_good(ex.port, "GET", "/", timeout=5 * SLOW)
    check(r.status == 200, "VerifyClientCertIfGiven, a cert from client_ca_file: status %d" % r.status)
    results.append("if-given, other CA: " + check_refused(with_stranger, ex.port,
                                                          "VerifyClientCertIfGiven, a cert from another CA"))
    problems = ex.stop()
    check(not problems, "; ".join(problems))

    path = os.path.join(w.dir, "sans.yml")
    w.write(web_yaml(tls=w.tls_files(client_auth_type="RequireAndVerifyClientCert", client_ca_file="tls/ca.pem",
                                     client_allowed_sans=["scraper.example", "ops@example.org", "10.9.8.7",
                                                          "spiffe://e2e/scraper"])), path)
    _, ex = w.start(with_good, up=up, path=path, name="sans")
    r, e = scrape(ex, what="client_allowed_sans, DNS SAN listed")
    rej1 = must_sample(e, REJECTED, "first scrape", reason="certificate")
    for kind, cert in by_san.items():
        what = "client_allowed_sans, %s SAN listed" % kind
        status, got = attempt(WebClient(w.ca.cert, cert=cert), ex.port, "/")
        check(status == 200, "%s: want 200, got %s" % (what, "status %d" % status if status else got))
    refused = 0
    for p in ("/", "/metrics"):
        check_refused(WebClient(w.ca.cert, cert=unlisted), ex.port, "client_allowed_sans, GET %s with no "
                      "SAN listed (CN listed)" % p, path=p, want_403=True)
        refused += 1
    results.append("sans, other CA: " + check_refused(with_stranger, ex.port,
                                                      "client_allowed_sans, a listed SAN from another CA"))
    results.append("sans, no cert: " + check_refused(anon, ex.port, "client_allowed_sans, no cert"))
    r, e = scrape(ex, what="client_allowed_sans, last scrape")
    rej2 = must_sample(e, REJECTED, "last scrape", reason="certificate")
    check(rej2 - rej1 >= refused, "%s{reason=\"certificate\"} went from %r to %r after %d answers 403, "
          "want at least +%d" % (REJECTED, rej1, rej2, refused, refused))
    t.note("; ".join(results))


@test
def web_reload(t):
    """SIGHUP reloads the file and the files it names: a renewed certificate
    written in place, renamed over, or swapped in by symlinks (certbot's
    live/ and archive/); a broken one keeps the old; a scrape in flight
    across a reload completes; changed basic_auth_users take effect."""
    w = WebDir(t)
    pki = w.pki
    certs = {"A": w.server}
    for label in "BCDEF":
        certs[label] = pki.server(w.ca, "server" + label)
    pw1, pw2 = "first password", "second password"
    users1 = {"alice": bcrypt_hash(pw1)}
    w.write(web_yaml(tls=w.tls_files(), users=users1))
    c1 = WebClient(w.ca.cert, user="alice", password=pw1)
    up, ex = w.start(c1, timeout=10)
    scrape(ex, what="first scrape")
    check_peer(ex, c1, "A", certs, "at start")

    # (a) in place: the same files, new contents
    for src, dst in ((certs["B"].cert, w.server.cert), (certs["B"].key, w.server.key)):
        with open(src, "rb") as f:
            data = f.read()
        with open(dst, "wb") as f:
            f.write(data)
    reload_web(ex, True, "certificate B written in place")
    check_peer(ex, c1, "B", certs, "after B was written in place")

    # (b) a new file renamed over the old
    for src, dst in ((certs["C"].cert, w.server.cert), (certs["C"].key, w.server.key)):
        write_file(dst, read_text(src))
    reload_web(ex, True, "certificate C renamed over")
    check_peer(ex, c1, "C", certs, "after C was renamed over")
    r, e = scrape(ex, what="scrape after two reloads")

    # (c) certbot: live/*.pem are symlinks into archive/, swapped atomically
    live, archive = os.path.join(w.dir, "live"), os.path.join(w.dir, "archive")
    os.mkdir(live, 0o755)
    os.mkdir(archive, 0o755)

    def renew(n, cert_text, key_text):
        write_file(os.path.join(archive, "cert%d.pem" % n), cert_text)
        write_file(os.path.join(archive, "privkey%d.pem" % n), key_text)
        for name, target in (("cert.pem", "cert%d.pem" % n), ("privkey.pem", "privkey%d.pem" % n)):
            tmp = os.path.join(live, name + ".new")
            os.symlink(os.path.join("..", "archive", target), tmp)
            os.rename(tmp, os.path.join(live, name))

    renew(1, read_text(certs["D"].cert), read_text(certs["D"].key))
    w.write(web_yaml(tls={"cert_file": "live/cert.pem", "key_file": "live/privkey.pem"}, users=users1))
    reload_web(ex, True, "the file changed to live/ symlinks (certificate D)")
    check_peer(ex, c1, "D", certs, "after the file changed to live/")
    renew(2, read_text(certs["E"].cert), read_text(certs["E"].key))
    reload_web(ex, True, "symlinks swapped to certificate E")
    check_peer(ex, c1, "E", certs, "after the symlinks were swapped to E")

    # A broken renewal: the old certificate stays and is served.
    write_file(os.path.join(archive, "cert3.pem"), "-----BEGIN CERTIFICATE-----\ngarbage\n"
                                                   "-----END CERTIFICATE-----\n")
    tmp = os.path.join(live, "cert.pem.new")
    os.symlink("../archive/cert3.pem", tmp)
    os.rename(tmp, os.path.join(live, "cert.pem"))
    line = reload_web(ex, False, "a garbage certificate")
    t.note("garbage certificate: %s" % line[:300])
    check_peer(ex, c1, "E", certs, "after the garbage certificate was refused")
    r, e = scrape(ex, what="scrape after the refused reload")
    check(scrape_ok(e) == 1.0, "after the refused reload: scrape_ok %r" % scrape_ok(e))

    # A scrape in flight across a reload.
    up.set("metadata", delay=2)
    out = {}
    t_start = time.monotonic()
    th = scrape_bg(ex, out, "in-flight", timeout=20 * SLOW)
    time.sleep(0.7)
    renew(3, read_text(certs["F"].cert), read_text(certs["F"].key))
    t_hup = time.monotonic()
    reload_web(ex, True, "certificate F while a scrape is in flight")
    th.join(30 * SLOW)
    r, e = result_of(out, "in-flight")
    check(scrape_ok(e) == 1.0, "the scrape in flight across SIGHUP: scrape_ok %r" % scrape_ok(e))
    check(r.elapsed >= 1.9, "the in-flight scrape took only %.2f s although metadata.delay=2" % r.elapsed)
    t.note("in-flight scrape took %.2f s; SIGHUP sent %.2f s after it started" % (r.elapsed, t_hup - t_start))
    up.clear("metadata", "delay")
    check_peer(ex, c1, "F", certs, "after the symlinks were swapped to F")

    # New users: the old password stops working, the new one works.  Two
    # users, so that the verdict differs from the five before: lib/log
    # holds back a sixth identical info line within 10 s (LOG_REPEAT_BURST).
    w.write(web_yaml(tls={"cert_file": "live/cert.pem", "key_file": "live/privkey.pem"},
                     users={"alice": bcrypt_hash(pw2), "bob": bcrypt_hash(pw1)}))
    reload_web(ex, True, "basic_auth_users changed")
    status, got = attempt(c1, ex.port, "/")
    check(status == 401, "the old password after the reload: want 401, got %s" % (
        "status %d" % status if status else got))
    c2 = WebClient(w.ca.cert, user="alice", password=pw2)
    ex.client = c2
    r, e = scrape(ex, what="scrape with the new password")
    # A file that does not parse: the users stay.
    w.write("basic_auth_users: [\n")
    reload_web(ex, False, "a file that does not parse")
    r, e = scrape(ex, what="scrape with the new password after a refused reload")
    check(scrape_ok(e) == 1.0, "last scrape: scrape_ok %r" % scrape_ok(e))


@test
def web_password_flood(t):
    """Local clients sending wrong passwords as fast as they can hold up no
    scrape of an authenticated scraper; they get 401 or 503, never 200."""
    w = WebDir(t)
    pw = "the scraper's password"
    w.write(web_yaml(tls=w.tls_files(), users={"prometheus": bcrypt_hash(pw)}))
    scraper = WebClient(w.ca.cert, user="prometheus", password=pw)
    up, ex = w.start(scraper, timeout=5)
    r, e = scrape(ex, what="scrape before the flood")
    check_original(e, "scrape before the flood")
    creds1 = must_sample(e, REJECTED, "scrape before the flood", reason="credentials")
    busy1 = must_sample(e, REJECTED, "scrape before the flood", reason="busy")
    stop = threading.Event()
    lock = threading.Lock()
    seen = {}
    ctx = WebClient(w.ca.cert).ssl

    def flood(i):
        conn, n = None, 0
        while not stop.is_set():
            n += 1
            # Half for the real user, half for unknown ones; never the same
            # password twice, so that nothing can be remembered.
            user = "prometheus" if n % 2 else "mallory%d" % i
            hdrs = {"Authorization": basic_auth(user, "wrong %d %d" % (i, n))}
            try:
                if conn is None:
                    conn = http.client.HTTPSConnection("127.0.0.1", ex.port, timeout=10 * SLOW, context=ctx)
                conn.request("GET", "/metrics" if n % 3 else "/", headers=hdrs)
                resp = conn.getresponse()
                resp.read()
                key = str(resp.status)
                if resp.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                key = "error"
                with lock:
                    seen.setdefault("first error", "%s: %s" % (type(exc).__name__, exc))
                if conn is not None:
                    conn.close()
                    conn = None
            with lock:
                seen[key] = seen.get(key, 0) + 1

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(6)]
    for th in threads:
        th.start()
    times = []
    try:
        time.sleep(0.5)
        for i in range(8):
            r, e = scrape(ex, timeout=5 * SLOW, what="scraper %d during the flood" % i)
            times.append(r.elapsed)
            check_original(e, "scraper %d during the flood" % i)
            check(scrape_ok(e) == 1.0, "scraper %d: scrape_ok %r" % (i, scrape_ok(e)))
            time.sleep(max(0.0, 1.0 - r.elapsed))
    finally:
        stop.set()
        for th in threads:
            th.join(30 * SLOW)
    r, e = scrape(ex, what="scrape after the flood")
    creds = must_sample(e, REJECTED, "scrape after the flood", reason="credentials") - creds1
    busy = must_sample(e, REJECTED, "scrape after the flood", reason="busy") - busy1
    t.note("flood answers %r; rejected +%d credentials, +%d busy; scraper times %s" % (
        seen, creds, busy, " ".join("%.2f" % x for x in times)))
    odd = {k: v for k, v in seen.items() if k not in ("401", "503", "error", "first error")}
    check(not odd, "wrong passwords got other answers than 401 and 503: %r" % odd)
    check(seen.get("401", 0) >= 20, "the flood got only %d answers 401 in 8 s: %r" % (seen.get("401", 0), seen))
    check(creds >= seen.get("401", 0), "%s{reason=\"credentials\"} grew by %d, but the flood got %d answers 401" % (
        REJECTED, creds, seen.get("401", 0)))
    check(busy >= seen.get("503", 0), "%s{reason=\"busy\"} grew by %d, but the flood got %d answers 503" % (
        REJECTED, busy, seen.get("503", 0)))


@test
def web_refusals(t):
    """A file the exporter cannot serve stops it at start-up, naming the file
    and what is wrong in it: an unknown key, a client_auth_type that
    verifies nothing, a missing certificate, a missing file."""
    w = WebDir(t)
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    tls = w.tls_files()
    ca = {"client_ca_file": "tls/ca.pem"}
    cases = [
        ("unknown key", web_yaml(tls=dict(tls, cipher_suits=["TLS_AES_128_GCM_SHA256"])),
         "tls_server_config.cipher_suits"),
        ("unknown top-level key", web_yaml(tls=tls) + "basic_auth_user:\n  alice: x\n", "basic_auth_user"),
        ("RequestClientCert", web_yaml(tls=dict(tls, client_auth_type="RequestClientCert", **ca)),
         "RequestClientCert"),
        ("RequireAnyClientCert", web_yaml(tls=dict(tls, client_auth_type="RequireAnyClientCert", **ca)),
         "RequireAnyClientCert"),
        ("a cert_file that does not exist", web_yaml(tls=dict(tls, cert_file="tls/no-such-cert.pem")),
         "no-such-cert.pem"),
        ("a file that does not exist", None, "no-such-web.yml"),
    ]
    problems = []
    for i, (label, text, needle) in enumerate(cases):
        path = os.path.join(w.dir, "no-such-web.yml" if text is None else "case%d.yml" % i)
        if text is not None:
            w.write(text, path)
        ex = t.exporter(up, extra=["--web.config.file=" + path], ready=False, name="refusal%d" % i)
        try:
            rc = ex.proc.wait(5 * SLOW)
        except subprocess.TimeoutExpired:
            rc = None
        err = ex.stderr()
        if rc is None:
            problems.append("%s: still running %.0f s after start, want a quick non-zero exit" % (label, 5 * SLOW))
        elif rc == 0:
            problems.append("%s: exit status 0, want non-zero" % label)
        if not name_in(needle, err):
            problems.append("%s: stderr does not name %r: %r" % (label, needle, tail(err, 5)))
        if path not in err:
            problems.append("%s: stderr does not name the file %s: %r" % (label, path, tail(err, 5)))
        if rc is None and not port_refuses(ex.port):
            problems.append("%s: port %d still accepts connections" % (label, ex.port))
        ex.stop(grace=1.0)
    check(not problems, "%d refusal problems:\n  %s" % (len(problems), "\n  ".join(problems)))


def memory_hits(pid, needles):
    """Which of needles (name -> bytes) occur in the readable memory of pid,
    from /proc/PID/maps and /proc/PID/mem.  Returns (names found, bytes
    read, regions left out for their size)."""
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().split("\n")
    found, total, skipped = set(), 0, 0
    overlap = max(len(n) for n in needles.values()) - 1
    fd = os.open("/proc/%d/mem" % pid, os.O_RDONLY)
    try:
        for line in maps:
            parts = line.split()
            if len(parts) < 2 or parts[1][0] != "r":
                continue
            if len(parts) >= 6 and parts[5] in ("[vvar]", "[vsyscall]"):
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if hi - lo > MAX_SCAN_REGION:
                skipped += 1
                continue
            pos, prev = lo, b""
            while pos < hi:
                try:
                    chunk = os.pread(fd, min(1 << 20, hi - pos), pos)
                except OSError:
                    break
                if not chunk:
                    break
                data = prev + chunk
                for name, needle in needles.items():
                    if needle in data:
                        found.add(name)
                prev = data[-overlap:]
                pos += len(chunk)
                total += len(chunk)
    finally:
        os.close(fd)
    return found, total, skipped


@test
def web_key_stays_in_parent(t):
    """The password hashes and an inline server key live in the parent
    only: none is in the memory of the spawner or of a helper.  The
    parent's memory holds the hash (or the scan would prove nothing)."""
    check(os.geteuid() == 0, "web_key_stays_in_parent reads other processes' memory (/proc/PID/mem) and must "
          "run as root; it runs as uid %d" % os.geteuid())
    w = WebDir(t)
    key_pem = read_text(w.server.key)
    body = [l for l in key_pem.split("\n") if l and not l.startswith("-----")]
    check(len(body) >= 2 and len(body[1]) >= 56, "unexpected PEM key layout: %r" % body)
    chunk = body[1][4:52]
    der = base64.b64decode("".join(body))
    at = der.find(b"\x02\x01\x01\x04\x20")
    check(at >= 0, "no EC private scalar in the key's DER")
    needles = {"the bcrypt hash": None, "48 base64 characters of the key": chunk.encode("ascii"),
               "the private scalar": der[at + 5:at + 37]}
    pw = "a password for the memory scan"
    h = bcrypt_hash(pw)
    needles["the bcrypt hash"] = h.encode("ascii")
    w.write(web_yaml(tls={"cert_file": "tls/server.pem", "key": key_pem}, users={"alice": h}))
    os.unlink(w.server.key)
    client = WebClient(w.ca.cert, user="alice", password=pw)
    up, ex = w.start(client)
    r, e = scrape(ex, what="authorized scrape")
    check(scrape_ok(e) == 1.0, "scrape_ok %r" % scrape_ok(e))

    tree = {pid: st for pid, st in ex.tree().items() if st["state"] not in ("Z", "X")}
    comms = sorted(st["comm"] for st in tree.values())
    check("pce-spawner" in comms, "no pce-spawner under the exporter: %s" % describe(tree.values()))
    missing = [name for name in HELPERS if name not in comms]
    check(not missing, "helpers %s not running under the exporter: %s" % (missing, describe(tree.values())))
    leaks, skipped = [], 0
    for pid, st in sorted(tree.items()):
        try:
            found, total, skip = memory_hits(pid, needles)
        except (FileNotFoundError, ProcessLookupError):
            check(st["comm"] not in HELPERS + ("pce-spawner",), "%d(%s) vanished during the scan" % (
                pid, st["comm"]))
            continue
        except PermissionError as exc:
            raise Fail("cannot read the memory of %d(%s): %s" % (pid, st["comm"], exc))
        check(total > 0, "read nothing of %d(%s)'s memory" % (pid, st["comm"]))
        skipped += skip
        if found:
            leaks.append("%d(%s): %s" % (pid, st["comm"], ", ".join(sorted(found))))
    found, total, skip = memory_hits(ex.pid, needles)
    t.note("parent %d: %d MB read, holds %s; %d children scanned; regions over %d MB left out: %d" % (
        ex.pid, total >> 20, sorted(found) or "none of them", len(tree), MAX_SCAN_REGION >> 20, skipped + skip))
    check(not leaks, "secrets in the memory of the parent's children: %s" % "; ".join(leaks))
    check("the bcrypt hash" in found, "positive control: the parent's memory (%d MB read) lacks the bcrypt "
          "hash it checks passwords with; the scan is broken" % (total >> 20))


def start_prometheus(t, config_text):
    """A real Prometheus (Debian package) on a free loopback port with this
    configuration; returns (port, Popen, log path)."""
    prom = shutil.which("prometheus") or ("/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None)
    check(prom, "the `prometheus` binary (Debian package prometheus) is not installed; this test needs it")
    pport = free_port()
    cfg = os.path.join(t.data, "prometheus.yml")
    write_file(cfg, config_text)
    tsdb = t.mkdir("tsdb")
    pp, logpath = start_daemon(t, "prometheus", [prom, "--config.file=" + cfg, "--storage.tsdb.path=" + tsdb,
                                                 "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"])
    return pport, pp, logpath


@test
def web_real_prometheus(t):
    """Prometheus scrapes the exporter over HTTPS with basic auth (up is
    1, the cluster_ series are there); a job with a wrong password is
    down."""
    w = WebDir(t)
    pw = "prometheus' password"
    w.write(web_yaml(tls=w.tls_files(), users={"prometheus": bcrypt_hash(pw)}))
    up, ex = w.start(WebClient(w.ca.cert, user="prometheus", password=pw), timeout=5)
    job = ("  - job_name: %s\n    scheme: https\n    tls_config:\n      ca_file: %s\n"
           "    basic_auth:\n      username: prometheus\n      password: %s\n"
           "    static_configs:\n      - targets: ['127.0.0.1:%d']\n")
    pport, pp, logpath = start_prometheus(
        t, "# SPDX-License-Identifier: Apache-2.0\n"
           "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
           "scrape_configs:\n" +
           job % ("cluster", json.dumps(w.ca.cert), json.dumps(pw), ex.port) +
           job % ("cluster_wrong_password", json.dumps(w.ca.cert), json.dumps(pw + "!"), ex.port))
    deadline = time.monotonic() + 30
    state = {}
    while time.monotonic() < deadline:
        if pp.poll() is not None:
            raise Fail("prometheus exited with %d:\n%s" % (pp.returncode, tail(read_text(logpath))))
        try:
            state = {
                "up": prom_query(pport, 'up{job="cluster"}', timeout=2),
                "up wrong password": prom_query(pport, 'up{job="cluster_wrong_password"}', timeout=2),
                "scrape_ok": prom_query(pport, 'cluster_exporter_scrape_ok{job="cluster"}', timeout=2),
            }
        except Exception as exc:
            state = {"error": "%s: %s" % (type(exc).__name__, exc)}
        if all(state.get(k) for k in ("up", "up wrong password", "scrape_ok")) and \
                state["up"][0]["value"][1] == "1":
            break
        time.sleep(0.5)
    check(state.get("up") and state["up"][0]["value"][1] == "1",
          "up{job=\"cluster\"} is not 1 after 30 s: %r\n%s" % (state, tail(read_text(logpath))))
    check(state.get("scrape_ok") and state["scrape_ok"][0]["value"][1] == "1",
          "cluster_exporter_scrape_ok{job=\"cluster\"} in Prometheus: %r" % state.get("scrape_ok"))
    check(state.get("up wrong password") and state["up wrong password"][0]["value"][1] == "0",
          "up{job=\"cluster_wrong_password\"}: %r, want 0" % state.get("up wrong password"))
    r, e = scrape(ex, what="scrape after Prometheus'")
    check(must_sample(e, REJECTED, "scrape after Prometheus'", reason="credentials") >= 1,
          "the wrong-password job's scrapes were not counted as rejected")
