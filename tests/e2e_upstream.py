# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios for --promserver.config.file, the client side of
# Prometheus' http_config toward the upstream: credentials and headers as
# the upstream receives them (fake_upstream.py's headers.log), files read
# again at every collection, reloads on SIGHUP, redirects, TLS, proxies,
# where the secrets must not show (command lines, environments, the log),
# refusals at start-up, and a real Prometheus and VictoriaMetrics (with
# vmauth) behind TLS and authentication.  Certificates are made at test
# time by e2e_web.py's PKI.  Runs inside tests/e2e.py's namespace (see
# _load_topics there), after e2e_web.py, whose helpers it uses.

UP_FLAG = "--promserver.config.file"
UP_RELOADED = "upstream configuration reloaded"
UP_NOT_RELOADED = "upstream configuration not reloaded"
QUERY_SOURCES = ("metadata", "read", "write")
# Empty values hide whatever proxy the machine's environment sets.
NO_PROXY_ENV = {k: "" for k in ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                                "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")}


# ----------------------------------------------------------------------------
# Configuration files


# A build for a libcurl older than 7.77 (make check-compat): the TLS files
# reach libcurl by path, and inline PEM is refused.
NO_CURL_BLOB = os.environ.get("PCE_NO_CURL_BLOB") == "1"


def up_yaml(d, indent=0):
    """The YAML text of d: nested dicts, lists of scalars, scalars (JSON
    strings are YAML double-quoted scalars: any text goes)."""
    pad = " " * indent
    out = []
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.append("%s%s:" % (pad, k))
            out.append(up_yaml(v, indent + 2).rstrip("\n"))
        elif isinstance(v, dict):
            out.append("%s%s: {}" % (pad, k))
        elif isinstance(v, list):
            out.append("%s%s:" % (pad, k))
            out += ["%s  - %s" % (pad, yaml_scalar(x)) for x in v]
        else:
            out.append("%s%s: %s" % (pad, k, yaml_scalar(v)))
    return "\n".join(out) + "\n"


class UpDir:
    """DIR/name: upstream configuration files and the files they name, by
    paths relative to it (the exporter's working directory is DIR, so only
    the file's own directory resolves them)."""

    def __init__(self, t, name="upcfg"):
        self.t = t
        self.dir = t.mkdir(name)
        self.path = os.path.join(self.dir, "upstream.yml")

    def file(self, rel, text):
        """Writes DIR/name/rel (world-readable: the exporter reads it as
        -user nobody); returns rel."""
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
        write_file(path, text)
        return rel

    def write(self, conf, name=None):
        """Writes conf (a dict, or YAML text) as upstream.yml or name;
        returns its path."""
        path = os.path.join(self.dir, name) if name else self.path
        write_file(path, conf if isinstance(conf, str) else up_yaml(conf))
        return path

    def exporter(self, up, path=None, flag=UP_FLAG, **kw):
        extra = ["%s=%s" % (flag, path or self.path)] + list(kw.pop("extra", ()))
        return self.t.exporter(up, extra=extra, **kw)


# ----------------------------------------------------------------------------
# Checks


def header_values(rec, name):
    return [v for k, v in rec["headers"] if k.lower() == name.lower()]


def values_match(got, want):
    """got, the lines of one header, carry want's values in order: one line
    each, or one line joined with ", " (the same header to HTTP)."""
    return got == want or (len(want) > 1 and got == [", ".join(want)])


def describe_requests(reqs):
    return ["%s %s %s -> %s" % (r["method"], r["path"], r["source"], r["status"]) for r in reqs] or "none"


def check_requests(up, what, want, sources=QUERY_SOURCES, path=None, status=None):
    """Each of sources was asked of up (at path, answered status, when
    given), and every such request carried the headers of want: name ->
    list of values, [] for absent.  Returns the requests recorded."""
    reqs = up.requests()
    problems = []
    for src in sources:
        mine = [r for r in reqs if r["source"] == src and (path is None or r["path"] == path)
                and (status is None or r["status"] == status)]
        if not mine:
            problems.append("%s: no request%s%s recorded; recorded: %s" % (
                src, " at " + path if path else "", " answered %d" % status if status else "",
                describe_requests(reqs)))
        for r in mine:
            for name, vals in want.items():
                got = header_values(r, name)
                if not values_match(got, vals):
                    problems.append("%s at %s (answered %s): header %s: got %r, want %r" % (
                        src, r["path"], r["status"], name, got, vals or "absent"))
    check(not problems, "%s: %d problems with the requests the upstream got:\n  %s" % (
        what, len(problems), "\n  ".join(problems[:15])))
    return reqs


def log_tail(ex, n=8):
    return "\n    " + "\n    ".join(tail(ex.stderr(), n).split("\n"))


def scrape_whole(ex, what):
    """A scrape that must be whole: every source up, the original's data."""
    r, e = scrape(ex, what=what)
    check(scrape_ok(e) == 1.0, "%s: want scrape_ok 1, got %r, source_up %r; stderr tail:%s" % (
        what, scrape_ok(e), source_up(e), log_tail(ex)))
    check_original(e, what)
    return r, e


def scrape_upstream_down(ex, what, down=QUERY_SOURCES):
    """A scrape where exactly the sources down failed."""
    r, e = scrape(ex, what=what)
    ups = source_up(e)
    want = {s: (0.0 if s in down else 1.0) for s in SOURCES}
    check(ups == want, "%s: want source_up %r, got %r; stderr tail:%s" % (what, want, ups, log_tail(ex)))
    check(scrape_ok(e) == 0.0, "%s: want scrape_ok 0, got %r" % (what, scrape_ok(e)))
    fams = {"metadata": META_FAMILIES, "read": READ_FAMILIES, "write": WRITE_FAMILIES}
    stray = e.of(*[f for s in down for f in fams.get(s, ())])
    check(not stray, "%s: data series exported from failed sources: %r" % (what, stray[:3]))
    return r, e


def reload_upstream(ex, ok=True, what="reload"):
    """SIGHUP, then the exporter's verdict line on the upstream file: one
    line, the one wanted (ok: reloaded, else not reloaded).  Returns it."""
    before = ex.stderr()
    n_ok, n_bad = before.count(UP_RELOADED), before.count(UP_NOT_RELOADED)
    os.kill(ex.pid, signal.SIGHUP)
    deadline = time.monotonic() + 5 * SLOW
    while True:
        text = ex.stderr()
        if text.count(UP_RELOADED) > n_ok or text.count(UP_NOT_RELOADED) > n_bad:
            break
        check(ex.proc.poll() is None, "%s: the exporter exited with status %r after SIGHUP" % (
            what, ex.proc.returncode))
        check(time.monotonic() < deadline, "%s: neither %r nor %r logged within %.0f s of SIGHUP; "
              "stderr tail:%s" % (what, UP_RELOADED, UP_NOT_RELOADED, 5 * SLOW, log_tail(ex)))
        time.sleep(0.05)
    time.sleep(0.1)
    lines = [l for l in ex.stderr()[len(before):].split("\n") if UP_RELOADED in l or UP_NOT_RELOADED in l]
    want = UP_RELOADED if ok else UP_NOT_RELOADED
    check(len(lines) == 1 and want in lines[0] and (ok or UP_RELOADED not in lines[0]),
          "%s: want one %r line after SIGHUP, got %r" % (what, want, lines))
    check(ex.proc.poll() is None, "%s: the exporter exited with status %r" % (what, ex.proc.returncode))
    return lines[0]


def read_proc(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read()
    except OSError:
        return None


def secrets_shown(ex, needles, log=True):
    """Where needles (label -> text) show: the cmdline and environ of the
    exporter and of every process under it, and (log) its stderr."""
    found = []
    procs = {ex.pid: {"comm": "exporter"}}
    procs.update(ex.tree())
    for pid, st in sorted(procs.items()):
        for part in ("cmdline", "environ"):
            data = read_proc(pid, part)
            if data is None:
                continue
            for label, n in needles.items():
                if n.encode("utf-8") in data:
                    found.append("/proc/%d/%s (%s): %s" % (pid, part, st["comm"], label))
    if log:
        text = ex.stderr()
        for label, n in needles.items():
            at = text.find(n)
            if at >= 0:
                line = text[text.rfind("\n", 0, at) + 1:text.find("\n", at) if text.find("\n", at) >= 0 else None]
                found.append("stderr: %s, in %r" % (label, line[:300]))
    return found


def check_hidden(ex, needles, what):
    """None of needles in the tree's command lines and environments or in
    the log; the tree must hold the spawner and the helpers (or the look
    proves nothing)."""
    comms = sorted(st["comm"] for st in ex.tree().values() if st["state"] not in ("Z", "X"))
    missing = [n for n in ("pce-spawner",) + HELPERS if n not in comms]
    check(not missing, "%s: %s not running under the exporter (processes: %s)" % (what, missing, comms))
    found = secrets_shown(ex, needles)
    check(not found, "%s: secrets visible:\n  %s" % (what, "\n  ".join(found)))


def exporter_args(t, promserver, port, timeout=5, extra=()):
    """The argv t.exporter() builds (listen="addr", the defaults)."""
    return (["-promserver=" + promserver, "--web.listen-address=127.0.0.1:%d" % port,
             "-timeout=%d" % timeout, "-timerange=1m", "-log=DEBUG", "--collector.min-interval=0",
             "--sandbox.read-path=" + t.dir] + SAN_ARGS + list(extra))


def bearer(token, kind="Bearer"):
    return "%s %s" % (kind, token)


# ----------------------------------------------------------------------------
# Scenarios against the fake upstream


@test
def upstream_headers(t):
    """Each credential form of the file reaches the upstream as the exact
    Authorization header; http_headers values, secrets and files too;
    files are read at every collection (a rotated token works at the next
    scrape); SIGHUP loads a changed file and keeps the old on a broken one;
    -promserver.config.file (one dash) works."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    c = UpDir(t)
    pw = "p\u00e4ss: word"      # a colon and a non-ASCII letter, as UTF-8
    c.file("secrets/password", pw + "\n")
    c.file("secrets/token", "file-token-1\n")
    c.file("secrets/bearer", "  bearer-from-file \n")
    c.file("secrets/header", "header-from-file\n")
    cases = [
        ("basic_auth password", {"basic_auth": {"username": "alice", "password": pw}},
         {"Authorization": [basic_auth("alice", pw)]}),
        ("basic_auth password_file", {"basic_auth": {"username": "alice", "password_file": "secrets/password"}},
         {"Authorization": [basic_auth("alice", pw)]}),
        ("authorization credentials (type Bearer by default)", {"authorization": {"credentials": "inline-token"}},
         {"Authorization": [bearer("inline-token")]}),
        ("authorization credentials_file", {"authorization": {"type": "Bearer", "credentials_file": "secrets/token"}},
         {"Authorization": [bearer("file-token-1")]}),
        ("authorization type Token", {"authorization": {"type": "Token", "credentials": "tok-123"}},
         {"Authorization": ["Token tok-123"]}),
        ("bearer_token", {"bearer_token": "old-style-token"}, {"Authorization": [bearer("old-style-token")]}),
        ("bearer_token_file", {"bearer_token_file": "secrets/bearer"},
         {"Authorization": [bearer("bearer-from-file")]}),
        ("http_headers", {"http_headers": {
            "X-Scope-OrgID": {"values": ["tenant-a"]},
            "X-Api-Key": {"secrets": ["header-secret"]},
            "X-From-File": {"files": ["secrets/header"]},
            "X-Multi": {"values": ["one"], "secrets": ["two"], "files": ["secrets/header"]}}},
         {"Authorization": [], "X-Scope-OrgID": ["tenant-a"], "X-Api-Key": ["header-secret"],
          "X-From-File": ["header-from-file"], "X-Multi": ["one", "two", "header-from-file"]}),
        ("no credentials (an empty file)", "", {"Authorization": []}),
        ("enable_http2 (accepted, a warning)", {"enable_http2": True, "bearer_token": "h2"},
         {"Authorization": [bearer("h2")]}),
    ]
    for i, (label, conf, want) in enumerate(cases):
        def one():
            path = c.write(conf, "case%d.yml" % i)
            flag = "-promserver.config.file" if i == 0 else UP_FLAG
            ex = c.exporter(up, path=path, flag=flag, name="case%d" % i)
            try:
                up.reset_requests()
                scrape_whole(ex, label)
                check_requests(up, label, want, path="/api/v1/query", status=200)
                if "enable_http2" in label:
                    warned = [l for l in ex.stderr().split("\n") if "level=warn" in l and "enable_http2" in l]
                    check(warned, "%s: no level=warn line naming enable_http2; lines naming it: %r" % (
                        label, [l for l in ex.stderr().split("\n") if "enable_http2" in l]))
            finally:
                ex.stop()
        t.expect(one)

    # One exporter: rotation without SIGHUP, then reloads.
    c.write({"authorization": {"credentials_file": "secrets/token"}})
    ex = c.exporter(up, name="rotating")
    up.reset_requests()
    scrape_whole(ex, "credentials_file, first token")
    check_requests(up, "credentials_file, first token", {"Authorization": [bearer("file-token-1")]})
    c.file("secrets/token", "file-token-2\n")          # renamed over
    up.reset_requests()
    scrape_whole(ex, "after the token file was renamed over")
    check_requests(up, "the token file renamed over, no SIGHUP", {"Authorization": [bearer("file-token-2")]})
    with open(os.path.join(c.dir, "secrets/token"), "w") as f:    # rewritten in place
        f.write("file-token-3\n")
    up.reset_requests()
    scrape_whole(ex, "after the token file was rewritten in place")
    check_requests(up, "the token file rewritten in place, no SIGHUP", {"Authorization": [bearer("file-token-3")]})
    check(UP_RELOADED not in ex.stderr(), "a reload was logged although no SIGHUP was sent")

    c.write({"basic_auth": {"username": "bob", "password": "bobs password"},
             "http_headers": {"X-Scope-OrgID": {"values": ["tenant-b"]}}})
    reload_upstream(ex, True, "SIGHUP with basic_auth and X-Scope-OrgID")
    up.reset_requests()
    scrape_whole(ex, "after the reload")
    want_b = {"Authorization": [basic_auth("bob", "bobs password")], "X-Scope-OrgID": ["tenant-b"]}
    check_requests(up, "after SIGHUP with a new file", want_b)

    for label, text in (("a file that does not parse", "basic_auth: [\n"),
                        ("an unknown key", "basic_auth:\n  username: eve\n  passwd: x\n"),
                        ("two credential forms", "bearer_token: x\nbasic_auth:\n  username: eve\n"),
                        ("a missing file", None)):
        if text is None:
            os.unlink(c.path)
        else:
            c.write(text)
        line = reload_upstream(ex, False, "SIGHUP with " + label)
        t.note("%s: %s" % (label, line[:200]))
        up.reset_requests()
        scrape_whole(ex, "after a refused reload (%s)" % label)
        check_requests(up, "after a refused reload (%s): the previous settings" % label, want_b)

    c.write({"authorization": {"type": "Token", "credentials": "last"}})
    reload_upstream(ex, True, "SIGHUP with a good file again")
    up.reset_requests()
    scrape_whole(ex, "last scrape")
    check_requests(up, "after the last reload", {"Authorization": ["Token last"], "X-Scope-OrgID": []})


@test
def upstream_redirects(t):
    """A redirect to the same origin keeps the credentials and every header;
    one to another origin (another host, 127.0.0.2, on the same port, which
    the promql helper's Landlock rules allow) carries no Authorization and
    no secret or file header, and its answer is used; one to another port
    fails with a line saying why (under -sandbox=enforce, where Landlock
    allows the upstream's port only); follow_redirects: false fails the
    source and asks nothing of the Location."""
    a = t.upstream("upstream-a")
    b = t.upstream("upstream-b", bind="127.0.0.2", port=a.port)
    other_port = t.upstream("upstream-c")
    for up in (a, b, other_port):
        up.load_original()
    t.install_original_standins()
    c = UpDir(t)
    c.file("secrets/hdr", "file-header-value\n")
    headers = {"X-Scope-OrgID": {"values": ["tenant-r"]}, "X-Secret": {"secrets": ["secret-header-value"]},
               "X-File": {"files": ["secrets/hdr"]}}
    full = {"X-Scope-OrgID": ["tenant-r"], "X-Secret": ["secret-header-value"], "X-File": ["file-header-value"]}
    creds = [
        ("basic_auth", {"basic_auth": {"username": "alice", "password": "redirect-pw"}},
         basic_auth("alice", "redirect-pw")),
        ("authorization", {"authorization": {"credentials": "redirect-token"}}, bearer("redirect-token")),
    ]
    for label, auth, value in creds:
        conf = dict(auth, http_headers=headers)
        ex = c.exporter(a, path=c.write(conf, label + ".yml"), name=label)
        # same origin, another path
        a.reset_requests()
        a.redirect("read", "%s/moved/api/v1/query" % a.url)
        scrape_whole(ex, "%s: read redirected to the same origin" % label)
        want = dict(full, Authorization=[value])
        check_requests(a, "%s: the redirecting request" % label, want, sources=("read",), status=302)
        check_requests(a, "%s: the request at the same-origin Location" % label, want,
                       sources=("read",), path="/moved/api/v1/query", status=200)
        # another origin: 127.0.0.2, the same port
        a.reset_requests()
        b.reset_requests()
        a.redirect("read", "%s/api/v1/query" % b.url)
        scrape_whole(ex, "%s: read redirected to another origin" % label)
        check_requests(a, "%s: the redirecting request" % label, want, sources=("read",), status=302)
        reqs = check_requests(b, "%s: the request at the other origin" % label,
                              {"Authorization": [], "X-Secret": [], "X-File": []}, sources=("read",), status=200)
        sent = [header_values(r, "X-Scope-OrgID") for r in reqs]
        t.note("%s: the other origin got X-Scope-OrgID %r (plain values may go along)" % (label, sent))
        for r in reqs:
            blob = json.dumps(r["headers"])
            for s in ("redirect-pw", "redirect-token", "secret-header-value", "file-header-value",
                      value.split(" ", 1)[1]):
                check(s not in blob, "%s: the other origin got %r in its headers: %s" % (label, s, blob))
        a.redirect("read", None)
        ex.stop()

    conf = dict(creds[1][1], http_headers=headers, follow_redirects=False)
    ex = c.exporter(a, path=c.write(conf, "no-follow.yml"), name="no_follow")
    scrape_whole(ex, "follow_redirects: false, no redirect")
    a.reset_requests()
    b.reset_requests()
    a.redirect("read", "%s/api/v1/query" % b.url)
    scrape_upstream_down(ex, "follow_redirects: false, read redirected", down=("read",))
    check(b.requests() == [], "follow_redirects: false: the Location was asked: %s" % describe_requests(b.requests()))
    check_requests(a, "follow_redirects: false: the redirecting request", {"Authorization": [creds[1][2]]},
                   sources=("read",), status=302)
    a.reset_requests()
    a.redirect("read", "%s/moved/api/v1/query" % a.url)
    scrape_upstream_down(ex, "follow_redirects: false, read redirected to the same origin", down=("read",))
    moved = [r for r in a.requests() if r["path"] != "/api/v1/query"]
    check(not moved, "follow_redirects: false: the same-origin Location was asked: %s" % describe_requests(moved))
    a.redirect("read", None)
    scrape_whole(ex, "follow_redirects: false, redirect gone")
    ex.stop()

    # A redirect loop between the two: a few hops, then the source fails.
    ex = c.exporter(a, path=c.write(dict(creds[1][1], http_headers=headers), "loop.yml"), name="loop")
    a.reset_requests()
    b.reset_requests()
    a.redirect("read", "%s/api/v1/query" % b.url)
    b.redirect("read", "%s/api/v1/query" % a.url)
    r, e = scrape_upstream_down(ex, "a redirect loop", down=("read",))
    hops = len([x for x in a.requests() + b.requests() if x["source"] == "read"])
    t.note("a redirect loop: %d requests, scrape took %.2f s" % (hops, r.elapsed))
    check(2 <= hops <= 12, "a redirect loop: %d requests for read, want a few (2 to 12)" % hops)
    check(r.elapsed < ex.timeout, "a redirect loop: the scrape took %.2f s, up to the timeout" % r.elapsed)
    a.redirect("read", None)
    b.redirect("read", None)

    # Another port: outside the promql helper's Landlock rules (enforce);
    # followed, without credentials, where nothing confines it.
    other_port.reset_requests()
    a.redirect("read", "%s/api/v1/query" % other_port.url)
    if SANITIZE:
        scrape_whole(ex, "a redirect to another port, -sandbox=off")
        check(other_port.requests(), "-sandbox=off: the redirect to another port was not followed")
    else:
        scrape_upstream_down(ex, "a redirect to another port", down=("read",))
        check(other_port.requests() == [], "a redirect to another port reached it: %s" % (
            describe_requests(other_port.requests()),))
        check(any(re.search(r"a redirect to port %d, where this helper may not connect" % other_port.port, e)
                  for e in source_failures(ex.stderr(), "read")),
              "no line saying why the redirect to another port was not followed:\n%s" % tail(ex.stderr(), 4))


@test
def upstream_secrets_hidden(t):
    """-promserver=http://user:pass@... still works (basic auth, with a
    warning naming --promserver.config.file), and the password is in no
    command line or environment of the exporter's processes, also when the
    options come in $OPTIONS as the systemd unit passes them; a file full
    of secrets shows none of them anywhere, nor in the log at DEBUG when
    the upstream answers 401 or the TLS handshake fails (at -log=TRACE,
    which says more than DEBUG)."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    raw_pw = "Argv-S3cret%21pw"            # %21 is "!"
    pw = "Argv-S3cret!pw"
    needles = {"the password as given": raw_pw, "the password decoded": pw, "its first part": "Argv-S3cret"}
    up.require_authorization(basic_auth("promuser", pw))
    url = "http://promuser:%s@127.0.0.1:%d" % (raw_pw, up.port)

    port = free_port()
    ex = t.exporter(url, port=port, name="userinfo")
    check(ex.args == exporter_args(t, url, port), "test bug: exporter_args() does not match t.exporter()'s argv")
    up.reset_requests()
    scrape_whole(ex, "-promserver with user:password@")
    check_requests(up, "-promserver with user:password@", {"Authorization": [basic_auth("promuser", pw)]})
    warned = [l for l in ex.stderr().split("\n") if "level=warn" in l and "promserver.config.file" in l]
    check(warned, "no level=warn line naming --promserver.config.file for credentials in -promserver; "
          "stderr tail:%s" % log_tail(ex))
    check_hidden(ex, needles, "-promserver with user:password@ in argv")
    ex.stop()

    # The packaged unit: EnvironmentFile sets OPTIONS, ExecStart expands
    # $OPTIONS into the same words.
    port = free_port()
    options = " ".join(exporter_args(t, url, port))
    ex = t.exporter(url, port=port, name="options", env_extra={"OPTIONS": options})
    check(" ".join(ex.args) == options, "test bug: $OPTIONS and argv differ")
    up.reset_requests()
    scrape_whole(ex, "user:password@ in argv and in $OPTIONS")
    check_requests(up, "user:password@ in argv and $OPTIONS", {"Authorization": [basic_auth("promuser", pw)]})
    check_hidden(ex, needles, "user:password@ in argv and in $OPTIONS")
    ex.stop()
    up.require_authorization(None)

    # A file full of secrets, over TLS with a client certificate.
    c = UpDir(t)
    pki = PKI(os.path.join(c.dir, "tls"))
    ca = pki.authority("ca", "pce-e2e upstream CA")
    other = pki.authority("ca2", "pce-e2e other CA")
    server = pki.server(ca, "server")
    client = pki.client(ca, "client", "DNS:exporter.example", cn="pce exporter")
    key_pem = read_text(client.key)
    body = [l for l in key_pem.split("\n") if l and not l.startswith("-----")]
    check(len(body) >= 2 and len(body[1]) >= 52, "unexpected PEM key layout: %r" % body)
    tls_up = t.upstream("upstream-tls", args=["--tls-cert", server.cert, "--tls-key", server.key,
                                              "--tls-client-ca", ca.cert])
    tls_up.load_original()
    c.file("secrets/hdr", "Header-File-S3cret\n")
    secrets = {"the basic_auth password": "Basic-Pa55-S3cret", "the secret header": "Header-S3cret-value",
               "the header file's content": "Header-File-S3cret",
               "48 base64 characters of the client key": body[1][4:52]}
    good = {"basic_auth": {"username": "promuser", "password": secrets["the basic_auth password"]},
            "http_headers": {"X-Api-Key": {"secrets": [secrets["the secret header"]]},
                             "X-File": {"files": ["secrets/hdr"]}},
            "tls_config": {"ca_file": "tls/ca.pem", "cert_file": "tls/client.pem", "key": key_pem}}
    os.unlink(client.key)
    tls_up.require_authorization(basic_auth("promuser", secrets["the basic_auth password"]))
    ex = c.exporter(tls_up, path=c.write(good), name="secrets", log="TRACE")
    tls_up.reset_requests()
    scrape_whole(ex, "a file full of secrets")
    reqs = check_requests(tls_up, "a file full of secrets", {
        "Authorization": [basic_auth("promuser", secrets["the basic_auth password"])],
        "X-Api-Key": [secrets["the secret header"]], "X-File": ["Header-File-S3cret"]})
    cns = sorted({r.get("client_cn") for r in reqs})
    check(cns == ["pce exporter"], "the upstream saw client certificates %r, want the inline key's" % cns)
    check_hidden(ex, secrets, "a file full of secrets, scrapes working")

    tls_up.require_authorization(basic_auth("promuser", "another password"))
    scrape_upstream_down(ex, "the upstream answers 401")
    check_hidden(ex, secrets, "after the upstream answered 401")
    t.note("the 401, in the log: %s" % ([l[:200] for l in ex.stderr().split("\n") if "401" in l][:1] or "no line"))
    tls_up.require_authorization(basic_auth("promuser", secrets["the basic_auth password"]))

    c.write(dict(good, tls_config=dict(good["tls_config"], ca_file="tls/ca2.pem")))
    reload_upstream(ex, True, "SIGHUP with a CA that did not sign the server")
    scrape_upstream_down(ex, "TLS fails (another CA)")
    check_hidden(ex, secrets, "after the TLS handshake failed")
    check(read_text(os.path.join(tls_up.dir, "tls.log")), "the upstream logged no failed handshake")
    c.write(good)
    reload_upstream(ex, True, "SIGHUP with the right CA again")
    scrape_whole(ex, "the right CA again")
    check_hidden(ex, secrets, "at the end")


@test
def upstream_refusals(t):
    """A file the exporter cannot use stops it at start-up with a non-zero
    status, naming the key and no secret; a password_file missing at
    start either stops it (naming the file) or fails the three query
    sources at each scrape, the log naming the file, until it appears; a
    file whose content cannot be a header fails them without showing it."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    c = UpDir(t)
    c.file("secrets/pw", "Refusal-S3cret\n")
    secret = "Refusal-S3cret-inline"
    cases = [
        ("an unknown key", {"basic_auth": {"username": "u", "password": secret, "passwrd_file": "x"}},
         ["passwrd_file"]),
        ("an unknown top-level key", {"tls_confg": {"ca_file": "x"}, "bearer_token": secret}, ["tls_confg"]),
        ("an unknown tls_config key", {"tls_config": {"ca_fil": "x"}}, ["ca_fil"]),
        ("basic_auth and authorization", {"basic_auth": {"username": "u", "password": secret},
                                          "authorization": {"credentials": secret}}, ["basic_auth", "authorization"]),
        ("authorization and bearer_token", {"authorization": {"credentials": secret}, "bearer_token": secret},
         ["bearer_token"]),
        ("authorization type Basic", {"authorization": {"type": "Basic", "credentials": secret}}, ["basic"]),
        ("password and password_file", {"basic_auth": {"username": "u", "password": secret,
                                                       "password_file": "secrets/pw"}}, ["password_file"]),
        ("credentials and credentials_file", {"authorization": {"credentials": secret,
                                                                "credentials_file": "secrets/pw"}},
         ["credentials_file"]),
        ("a reserved header", {"http_headers": {"Authorization": {"secrets": [secret]}}}, ["Authorization"]),
        ("a client cert without its key", {"tls_config": {"cert_file": "x.pem"}}, ["key"]),
        ("min_version TLS99", {"tls_config": {"min_version": "TLS99"}}, ["min_version"]),
        ("proxy_url and proxy_from_environment", {"proxy_url": "http://u:%s@127.0.0.1:1" % secret,
                                                  "proxy_from_environment": True}, ["proxy_from_environment"]),
        ("oauth2", {"oauth2": {"client_id": "x", "client_secret": secret, "token_url": "http://127.0.0.1:1/"}},
         ["oauth2"]),
        ("a file that does not parse", "basic_auth: [\n  password: %s\n" % json.dumps(secret), []),
        ("a file that does not exist", None, ["no-such.yml"]),
    ]
    problems = []
    for i, (label, conf, needles) in enumerate(cases):
        path = os.path.join(c.dir, "no-such.yml") if conf is None else c.write(conf, "case%d.yml" % i)
        ex = c.exporter(up, path=path, ready=False, name="refusal%d" % i)
        try:
            rc = ex.proc.wait(5 * SLOW)
        except subprocess.TimeoutExpired:
            rc = None
        err = ex.stderr()
        if rc is None:
            problems.append("%s: still running %.0f s after start, want a quick non-zero exit" % (label, 5 * SLOW))
        elif rc == 0:
            problems.append("%s: exit status 0, want non-zero" % label)
        for n in needles:
            if n.lower() not in err.lower():
                problems.append("%s: stderr does not name %r: %r" % (label, n, tail(err, 3)))
        if secret in err or "Refusal-S3cret" in err:
            problems.append("%s: stderr shows a secret: %r" % (label, tail(err, 3)))
        if path not in err:
            t.note("%s: stderr does not name the file %s" % (label, path))
        if rc is None and not port_refuses(ex.port):
            problems.append("%s: port %d still accepts connections" % (label, ex.port))
        ex.stop(grace=1.0)
    check(not problems, "%d refusal problems:\n  %s" % (len(problems), "\n  ".join(problems)))

    # password_file missing at start
    missing = os.path.join(c.dir, "secrets", "late-password")
    path = c.write({"basic_auth": {"username": "u", "password_file": "secrets/late-password"}}, "late.yml")
    up.require_authorization(basic_auth("u", "Late-S3cret"))
    ex = c.exporter(up, path=path, ready=False, name="late")
    try:
        rc = ex.proc.wait(1.5 * SLOW)
    except subprocess.TimeoutExpired:
        rc = None
    if rc is not None:
        check(rc != 0, "a missing password_file: exit status 0")
        check("late-password" in ex.stderr(), "a missing password_file stopped the exporter, but stderr does "
              "not name the file: %r" % tail(ex.stderr(), 3))
        t.note("a missing password_file is refused at start-up (exit %d)" % rc)
        return
    ex.wait_ready()
    t.note("a missing password_file is accepted at start-up; the sources fail until it appears")
    scrape_upstream_down(ex, "password_file missing")
    lines = [l for l in ex.stderr().split("\n") if "late-password" in l]
    check(lines, "no log line names the missing %s; stderr tail:%s" % (missing, log_tail(ex)))
    check(up.requests() == [], "with the password_file missing, the upstream was asked: %s" % (
        describe_requests(up.requests())))
    c.file("secrets/late-password", "Late-S3cret\n")
    scrape_whole(ex, "password_file written")
    # A file whose content cannot be a header value: refused, not sent, not shown.
    c.file("secrets/late-password", "Late-S3cret\nInjected: Header-S3cret\n")
    up.reset_requests()
    r, e = scrape(ex, what="password_file with a newline inside")
    ups = source_up(e)
    if any(ups.get(s) == 1.0 for s in QUERY_SOURCES):
        bad = [r_ for r_ in up.requests() if header_values(r_, "Injected")]
        check(not bad, "a password_file with a newline inside injected a header: %r" % bad[:1])
        t.note("a password_file with a newline inside: source_up %r (the upstream refused it)" % ups)
    found = secrets_shown(ex, {"the file's second line": "Header-S3cret", "the password": "Late-S3cret"})
    check(not found, "password_file content shown:\n  %s" % "\n  ".join(found))


@test
def upstream_tls(t):
    """tls_config against an HTTPS fake upstream: ca_file is the only trust,
    server_name is sent (SNI) and verified, insecure_skip_verify, a client
    certificate from files or inline, min_version and max_version."""
    c = UpDir(t)
    pki = PKI(os.path.join(c.dir, "tls"))
    ca = pki.authority("ca", "pce-e2e upstream CA")
    pki.authority("ca2", "pce-e2e other CA")
    server = pki.server(ca, "server")
    named = pki.issue(ca, "named", "upstream.example", "DNS:upstream.example", "serverAuth")
    client = pki.client(ca, "client", "DNS:exporter.example", cn="pce exporter")
    t.install_original_standins()

    def upstream(name, cert, *more):
        u = t.upstream(name, args=["--tls-cert", cert.cert, "--tls-key", cert.key] + list(more))
        u.load_original()
        return u
    plain = upstream("tls", server)
    by_name = upstream("tls-named", named)
    mtls = upstream("tls-mtls", server, "--tls-client-ca", ca.cert)
    tls12 = upstream("tls12", server, "--tls-max", "TLS12")
    tls13 = upstream("tls13", server, "--tls-min", "TLS13")
    ca_file = {"ca_file": "tls/ca.pem"}
    files = {"cert_file": "tls/client.pem", "key_file": "tls/client.key"}
    inline = {"ca": read_text(ca.cert), "cert": read_text(client.cert), "key": read_text(client.key)}
    cases = [
        ("ca_file of the server's CA", plain, ca_file, True),
        ("no tls_config (the system's CAs)", plain, None, False),
        ("ca_file of another CA", plain, {"ca_file": "tls/ca2.pem"}, False),
        ("insecure_skip_verify, ca_file of another CA", plain,
         {"ca_file": "tls/ca2.pem", "insecure_skip_verify": True}, True),
        ("server_name upstream.example, a certificate for that name only", by_name,
         dict(ca_file, server_name="upstream.example"), True),
        ("no server_name, a certificate without 127.0.0.1", by_name, ca_file, False),
        ("server_name not in the certificate", plain, dict(ca_file, server_name="wrong.example"), False),
        ("a client certificate from files", mtls, dict(ca_file, **files), True),
        ("no client certificate where one is required", mtls, ca_file, False),
        ("ca, cert and key inline", mtls, inline, True),
        ("min_version TLS13, a TLS 1.2 server", tls12, dict(ca_file, min_version="TLS13"), False),
        ("min_version TLS12, a TLS 1.2 server", tls12, dict(ca_file, min_version="TLS12"), True),
        ("max_version TLS12, a TLS 1.3-only server", tls13, dict(ca_file, max_version="TLS12"), False),
        ("a TLS 1.3-only server", tls13, ca_file, True),
    ]
    if NO_CURL_BLOB:
        # libcurl without *_BLOB options: the helper reads the files by
        # path, and inline PEM is refused at start, naming the reason.
        cases = [case for case in cases if case[2] is not inline]
        ex = c.exporter(mtls, path=c.write({"tls_config": inline}, "inline.yml"), ready=False,
                        name="inline-refused")
        try:
            rc = ex.proc.wait(5 * SLOW)
        except subprocess.TimeoutExpired:
            rc = None
        check(rc not in (None, 0) and "libcurl 7.77" in ex.stderr(),
              "inline PEM without curl blobs: exit status %r, want non-zero naming libcurl 7.77; stderr %r" % (
                  rc, tail(ex.stderr(), 3)))
        ex.stop(grace=1.0)
    for i, (label, up, tls, ok) in enumerate(cases):
        def one():
            path = c.write({"tls_config": tls} if tls is not None else "", "case%d.yml" % i)
            ex = c.exporter(up, path=path, name="case%d" % i)
            try:
                up.reset_requests()
                if ok:
                    scrape_whole(ex, label)
                    reqs = check_requests(up, label, {})
                    if up is by_name:
                        snis = sorted({str(r.get("sni")) for r in reqs})
                        check(snis == ["upstream.example"], "%s: SNI %r, want upstream.example" % (label, snis))
                    if up is mtls:
                        cns = sorted({str(r.get("client_cn")) for r in reqs})
                        check(cns == ["pce exporter"], "%s: client certificate CN %r" % (label, cns))
                else:
                    scrape_upstream_down(ex, label)
                    check(up.requests() == [], "%s: requests got through: %s" % (
                        label, describe_requests(up.requests())))
            finally:
                ex.stop()
        t.expect(one)


class ForwardProxy(http.server.BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP (absolute-form GETs): records each
    request, checks Proxy-Authorization when want_auth is set, passes the
    rest on."""
    protocol_version = "HTTP/1.1"
    records = None
    want_auth = None

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        rec = {"target": self.path, "proxy_auth": self.headers.get("Proxy-Authorization")}
        self.records.append(rec)
        url = urllib.parse.urlsplit(self.path)
        if not url.scheme:
            return self.send_error(400, "not a proxy request")
        if self.want_auth is not None and rec["proxy_auth"] != self.want_auth:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("proxy-authorization", "proxy-connection", "connection", "host")}
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            conn.request("GET", url.path + ("?" + url.query if url.query else ""), headers=hdrs)
            r = conn.getresponse()
            body = r.read()
            self.send_response(r.status)
            self.send_header("Content-Type", r.getheader("Content-Type") or "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            conn.close()


def start_proxy(t):
    handler = type("Proxy", (ForwardProxy,), {"records": [], "want_auth": None})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    t.cleanups.append(lambda: (srv.shutdown(), srv.server_close()))
    return handler, srv.server_address[1]


@test
def upstream_proxy(t):
    """Without the file the environment's http_proxy is used (as before);
    with it only the file's proxy_url (with its credentials and no_proxy),
    or the environment's when proxy_from_environment is true."""
    up = t.upstream()
    up.load_original()
    t.install_original_standins()
    c = UpDir(t)
    proxy, pport = start_proxy(t)
    purl = "http://127.0.0.1:%d" % pport
    env = dict(NO_PROXY_ENV, http_proxy=purl)
    ppw = "Proxy-S3cret"
    cases = [
        ("no file, http_proxy in the environment", None, env, True),
        ("a file without proxy keys, http_proxy in the environment",
         {"http_headers": {"X-Scope-OrgID": {"values": ["t"]}}}, env, False),
        ("proxy_from_environment: true", {"proxy_from_environment": True}, env, True),
        ("proxy_url", {"proxy_url": purl}, NO_PROXY_ENV, True),
        ("proxy_url with no_proxy 127.0.0.1", {"proxy_url": purl, "no_proxy": "127.0.0.1"}, env, False),
        ("proxy_url with credentials", {"proxy_url": "http://puser:%s@127.0.0.1:%d" % (ppw, pport)},
         NO_PROXY_ENV, True),
    ]
    for i, (label, conf, env_extra, via_proxy) in enumerate(cases):
        def one():
            del proxy.records[:]
            proxy.want_auth = basic_auth("puser", ppw) if "credentials" in label else None
            if conf is None:
                ex = t.exporter(up, env_extra=env_extra, name="case%d" % i)
            else:
                ex = c.exporter(up, path=c.write(conf, "case%d.yml" % i), env_extra=env_extra, name="case%d" % i)
            try:
                up.reset_requests()
                scrape_whole(ex, label)
                seen = [r for r in proxy.records if "/api/v1/query" in r["target"]]
                if via_proxy:
                    check(len(seen) >= 3, "%s: the proxy saw %d queries, want the 3: %r" % (
                        label, len(seen), proxy.records))
                else:
                    check(not seen, "%s: the proxy saw queries: %r" % (label, seen[:2]))
                if "credentials" in label:
                    check_hidden(ex, {"the proxy password": ppw}, label)
            finally:
                ex.stop()
        t.expect(one)


# ----------------------------------------------------------------------------
# Real components: Prometheus 2.42 and VictoriaMetrics (Debian packages)


# What LustreTarget serves, and the cluster_ series it gives: as in
# real_prometheus.
UP_COUNTERS = [
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
UP_WANT = {
    key_of("cluster_job_metadata_operations", account="acc_x", target="fs-MDT0000", user="alice"): 8.0,
    key_of("cluster_job_metadata_operations", account="acc_y", target="fs-MDT0001", user="bob"): 20.0,
    key_of("cluster_proc_metadata_operations", group_name="hpcusers", proc_name="cp",
           target="fs-MDT0001", user_name="kim"): 10.0,
    key_of("cluster_job_read_throughput_bytes", account="acc_x", user="alice"): 1500.0,
    key_of("cluster_proc_read_throughput_bytes", group_name="hpcusers", proc_name="cp", user_name="kim"): 3000.0,
    key_of("cluster_job_write_throughput_bytes", account="acc_y", user="bob"): 2000.0,
}


def start_lustre_target(t):
    LustreTarget.t0 = time.time()
    LustreTarget.counters = UP_COUNTERS
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LustreTarget)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    t.cleanups.append(lambda: (srv.shutdown(), srv.server_close()))
    t.install_squeue(["101|acc_x|alice", "102|acc_y|bob", "103|acc_z|carol"])
    t.install_getent(original_bytes("passwd.txt"), original_bytes("group.txt"))
    return srv.server_address[1]


def scrape_config(target_port):
    return ("# SPDX-License-Identifier: Apache-2.0\n"
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "scrape_configs:\n  - job_name: lustre\n    static_configs:\n"
            "      - targets: ['127.0.0.1:%d']\n" % target_port)


def client_query(client, port, prefix=""):
    def q(text, timeout=2):
        r = client(port, "GET", prefix + "/api/v1/query?" + urllib.parse.urlencode({"query": text}),
                   timeout=timeout)
        if r.status != 200:
            return None
        return json.loads(r.body).get("data", {}).get("result", [])
    return q


def wait_for_data(name, query, proc, logpath, limit=30):
    """Until query (text -> result list) has three samples of each read
    series and an answer for each of the exporter's queries."""
    deadline = time.monotonic() + limit
    queries = [promql(s, "1m") for s in QUERY_SOURCES]
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise Fail("%s exited with %d:\n%s" % (name, proc.returncode, tail(read_text(logpath))))
        try:
            cnt = query("min(count_over_time(lustre_job_read_bytes_total[1m]))")
            if cnt and float(cnt[0]["value"][1]) >= 3:
                res = [query(q) for q in queries]
                if all(res):
                    return
                last = "results so far: %r" % res
            else:
                last = "samples: %r" % cnt
        except Exception as e:
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(0.5)
    raise Fail("%s has no usable data after %d s (last: %s)\n%s" % (name, limit, last, tail(read_text(logpath))))


def check_real_values(ex, what):
    r, e = scrape(ex, what=what)
    check(scrape_ok(e) == 1.0, "%s: scrape_ok %r, source_up %r; stderr tail:%s" % (
        what, scrape_ok(e), source_up(e), log_tail(ex)))
    assert_same(e.values(DATA_FAMILIES), UP_WANT, "%s: series (20%% tolerance)" % what, rel=0.2)
    return e


@test
def upstream_real_prometheus(t):
    """A real Prometheus behind its own --web.config.file (TLS from a test
    CA, a required client certificate, bcrypt basic auth): the exporter
    with tls_config and basic_auth gets the right cluster_ series; a wrong
    password, another CA or no client certificate fail the three sources
    without a secret in the log."""
    t0 = time.monotonic()
    target = start_lustre_target(t)
    c = UpDir(t)
    pki = PKI(os.path.join(c.dir, "tls"))
    ca = pki.authority("ca", "pce-e2e upstream CA")
    pki.authority("ca2", "pce-e2e other CA")
    server = pki.server(ca, "server")
    client = pki.client(ca, "client", "DNS:exporter.example", cn="pce exporter")
    pw = "Prom-S3cret-pw"
    webcfg = c.file("prom-web.yml", web_yaml(
        tls={"cert_file": server.cert, "key_file": server.key, "client_auth_type": "RequireAndVerifyClientCert",
             "client_ca_file": ca.cert},
        users={"exporter": bcrypt_hash(pw)}))
    prom = shutil.which("prometheus") or "/usr/bin/prometheus"
    pport = free_port()
    cfg = os.path.join(t.data, "prometheus.yml")
    write_file(cfg, scrape_config(target))
    pp, plog = start_daemon(t, "prometheus", [
        prom, "--config.file=" + cfg, "--storage.tsdb.path=" + t.mkdir("tsdb"),
        "--web.listen-address=127.0.0.1:%d" % pport, "--web.config.file=" + os.path.join(c.dir, webcfg),
        "--log.level=warn"])
    wait_for_data("prometheus", client_query(WebClient(ca.cert, cert=client, user="exporter", password=pw), pport),
                  pp, plog)
    t.note("prometheus had data after %.1f s" % (time.monotonic() - t0))
    url = "https://127.0.0.1:%d" % pport
    good = {"basic_auth": {"username": "exporter", "password": pw},
            "tls_config": {"ca_file": "tls/ca.pem", "cert_file": "tls/client.pem", "key_file": "tls/client.key"}}
    ex = c.exporter(url, path=c.write(good, "good.yml"), name="good")
    check_real_values(ex, "through TLS, a client certificate and basic auth")
    check_hidden(ex, {"the password": pw}, "a real Prometheus")
    ex.stop()
    bad = [
        ("a wrong password", dict(good, basic_auth={"username": "exporter", "password": pw + "-wrong"})),
        ("a CA that did not sign the server", dict(good, tls_config=dict(good["tls_config"], ca_file="tls/ca2.pem"))),
        ("no client certificate", dict(good, tls_config={"ca_file": "tls/ca.pem"})),
    ]
    for i, (label, conf) in enumerate(bad):
        def one():
            ex = c.exporter(url, path=c.write(conf, "bad%d.yml" % i), name="bad%d" % i)
            try:
                scrape_upstream_down(ex, label)
                check_hidden(ex, {"the password": pw}, label)
            finally:
                ex.stop()
        t.expect(one)
    t.note("took %.1f s" % (time.monotonic() - t0))


@test
def upstream_victoriametrics(t):
    """A real VictoriaMetrics with -tls and -httpAuth, asked under its
    /prometheus prefix: the exporter with tls_config and basic_auth gets
    the right series; then vmauth with a bearer-token user in front of a
    plain VictoriaMetrics under a path prefix: the exporter's
    credentials_file works, and matches an exporter without the file
    asking that VictoriaMetrics directly; a wrong token fails the sources
    (vmauth 1.79 answers 400, not 401, to a token it does not know), and
    the fixed token file works at the next scrape."""
    t0 = time.monotonic()
    target = start_lustre_target(t)
    c = UpDir(t)
    pki = PKI(os.path.join(c.dir, "tls"))
    ca = pki.authority("ca", "pce-e2e upstream CA")
    server = pki.server(ca, "server")
    vm = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
    vmauth = shutil.which("vmauth") or "/usr/bin/vmauth"
    scfg = os.path.join(t.data, "scrape.yml")
    write_file(scfg, scrape_config(target))
    vm_pw = "Vm-S3cret-pw"
    common = ["-promscrape.config=" + scfg, "-search.latencyOffset=0s", "-search.disableCache",
              "-loggerLevel=ERROR"]
    port_a, port_b, port_auth = free_port(), free_port(), free_port()
    prefix = "/some/prefix"
    pa, loga = start_daemon(t, "vm-tls", [
        vm, "-storageDataPath=" + t.mkdir("vm-a"), "-httpListenAddr=127.0.0.1:%d" % port_a,
        "-tls", "-tlsCertFile=" + server.cert, "-tlsKeyFile=" + server.key,
        "-httpAuth.username=exporter", "-httpAuth.password=" + vm_pw] + common)
    pb, logb = start_daemon(t, "vm-plain", [
        vm, "-storageDataPath=" + t.mkdir("vm-b"), "-httpListenAddr=127.0.0.1:%d" % port_b,
        "-http.pathPrefix=" + prefix] + common)
    token = "Vmauth-T0ken-S3cret"
    authcfg = os.path.join(t.data, "auth.yml")
    write_file(authcfg, "users:\n  - bearer_token: %s\n    url_map:\n      - src_paths: [%s]\n"
                        "        url_prefix: %s\n" % (
                            json.dumps(token), json.dumps(prefix + "/.+"),
                            json.dumps("http://127.0.0.1:%d" % port_b)))
    pauth, logauth = start_daemon(t, "vmauth", [vmauth, "-auth.config=" + authcfg,
                                                "-httpListenAddr=127.0.0.1:%d" % port_auth, "-loggerLevel=ERROR"])
    wait_for_data("victoria-metrics -tls", client_query(WebClient(ca.cert, user="exporter", password=vm_pw),
                                                          port_a, "/prometheus"), pa, loga)
    wait_for_data("victoria-metrics plain", client_query(WebClient(), port_b, prefix), pb, logb)
    t.note("victoria-metrics had data after %.1f s" % (time.monotonic() - t0))

    # 1. TLS and basic auth, the /prometheus prefix.
    conf = {"basic_auth": {"username": "exporter", "password": vm_pw}, "tls_config": {"ca_file": "tls/ca.pem"}}
    ex = c.exporter("https://127.0.0.1:%d/prometheus" % port_a, path=c.write(conf, "vm.yml"), name="vm_tls")
    check_real_values(ex, "victoria-metrics over TLS with basic auth")
    check_hidden(ex, {"the password": vm_pw}, "victoria-metrics over TLS")
    ex.stop()
    ex = c.exporter("https://127.0.0.1:%d/prometheus" % port_a,
                    path=c.write(dict(conf, basic_auth={"username": "exporter", "password": "wrong"}), "vmbad.yml"),
                    name="vm_wrong_password")
    t.expect(scrape_upstream_down, ex, "victoria-metrics, a wrong password")
    ex.stop()

    # 2. vmauth with a bearer token, a path prefix; the baseline asks the
    # plain victoria-metrics directly.
    base = t.exporter("http://127.0.0.1:%d%s" % (port_b, prefix), name="baseline")
    e_base = check_real_values(base, "baseline: plain victoria-metrics, no file")
    base.stop()
    c.file("secrets/token", token + "\n")
    ex = c.exporter("http://127.0.0.1:%d%s" % (port_auth, prefix),
                    path=c.write({"authorization": {"credentials_file": "secrets/token"}}, "vmauth.yml"),
                    name="vmauth")
    e = check_real_values(ex, "through vmauth with a bearer token")
    got, want = e.values(DATA_FAMILIES), e_base.values(DATA_FAMILIES)
    check(sorted(got) == sorted(want), "through vmauth: series %s, the baseline's %s" % (sorted(got), sorted(want)))
    assert_same(got, want, "through vmauth vs the baseline (5% tolerance)", rel=0.05)
    c.file("secrets/token", "Wrong-T0ken\n")
    scrape_upstream_down(ex, "vmauth, a wrong token")
    check_hidden(ex, {"the token": token, "the wrong token": "Wrong-T0ken"}, "vmauth, a wrong token")
    c.file("secrets/token", token + "\n")
    check_real_values(ex, "vmauth, the token fixed (no SIGHUP)")
    ex.stop()
    ex = t.exporter("http://127.0.0.1:%d%s" % (port_auth, prefix), name="vmauth_no_file")
    t.expect(scrape_upstream_down, ex, "vmauth without credentials")
    t.note("took %.1f s" % (time.monotonic() - t0))
