# SPDX-License-Identifier: Apache-2.0
# End-to-end scenarios for the JSON reader of the promql helper.  Not run on
# its own: tests/e2e.py executes this file in its own namespace
# (_load_topics()), so its helpers (test, check, scrape, source_up, key_of,
# original_bytes, ...) are in scope here.

# proc_name values the odd jobids below must come out as.
ODD_BAD_BYTE = "bad\ufffdname"
ODD_SURROGATE = "odd\ufffdname"
ODD_LOW_HIGH = "\ufffd\ufffdA"


def _odd_metadata_body():
    """The original metadata answer with odd series before its own."""
    body = original_bytes("metadata.json")
    head = b'"result":['
    i = body.index(head) + len(head)
    odd = (
        # An invalid byte in the procname, twice, spelled with different
        # bad bytes: one label value after U+FFFD, so one summed series.
        b'{"metric":{"jobid":"bad\xffname.5689","target":"hebe-MDT0001"},'
        b'"value":[1639743019.545,"5"]},'
        b'{"metric":{"jobid":"bad\xfename.5689","target":"hebe-MDT0001"},'
        b'"value":[1639743019.545,"3"]},'
        # A lone high surrogate escape.
        b'{"metric":{"jobid":"odd\\ud800name.6812","target":"hebe-MDT0000"},'
        b'"value":[1639743019.545,"7"]},'
        # A lone low one, then a high one followed by a non-low escape.
        b'{"metric":{"jobid":"\\udc00\\ud83d\\u0041.6812",'
        b'"target":"hebe-MDT0002"},"value":[1639743019.545,"11"]},'
    )
    return body[:i] + odd + body[i:]


@test
def json_invalid_utf8(t):
    """Invalid UTF-8 and lone surrogates in jobids cost one label's
    spelling (U+FFFD), not the whole metadata answer."""
    up = t.upstream()
    up.load_original()
    body = _odd_metadata_body()
    check(b"\xff" in body and b"\\ud800" in body, "the odd body lost its odd bytes")
    up.set("metadata", body)
    t.install_original_standins()
    ex = t.exporter(up)
    r, e = scrape(ex, what="scrape with odd jobids in the metadata answer")
    ups = source_up(e)
    check(ups.get("metadata") == 1.0,
          "source_up{source=\"metadata\"} %r, want 1 (source_up %r); exporter log:\n%s" % (
              ups.get("metadata"), ups, tail(ex.stderr())))
    check(all(v == 1.0 for v in ups.values()) and scrape_ok(e) == 1.0,
          "scrape_ok %r, source_up %r" % (scrape_ok(e), ups))
    check_interface(e)
    promtool_check(r.body)

    # Every metadata series of the original with its value, and the odd
    # ones once each: e.values() refuses a duplicate sample.
    want = expected_subset(META_FAMILIES)
    kim = dict(group_name="hpcusers", user_name="kim")
    lee = dict(group_name="guests", user_name="lee")
    want[key_of("cluster_proc_metadata_operations", proc_name=ODD_BAD_BYTE,
                target="hebe-MDT0001", **kim)] = 8.0
    want[key_of("cluster_proc_metadata_operations", proc_name=ODD_SURROGATE,
                target="hebe-MDT0000", **lee)] = 7.0
    want[key_of("cluster_proc_metadata_operations", proc_name=ODD_LOW_HIGH,
                target="hebe-MDT0002", **lee)] = 11.0
    assert_same(e.values(META_FAMILIES), want, "metadata series with odd jobids")
    # The other sources are untouched.
    others = tuple(f for f in ORIGINAL_FAMILIES if f not in META_FAMILIES)
    assert_same(e.values(others, stage_filter=STAGES),
                expected_values(load_expected(), others), "other families")

    odd = sorted(s.labels.get("proc_name") for s in e.samples
                 if "\ufffd" in s.labels.get("proc_name", ""))
    check(odd == sorted([ODD_BAD_BYTE, ODD_SURROGATE, ODD_LOW_HIGH]),
          "proc_name values with U+FFFD: %r" % odd)

    # Clean again: back to the original, nothing left over.
    up.load_original()
    r, e = scrape(ex, what="scrape after the odd answer")
    check_original(e, "scrape after the odd answer")
    check(scrape_ok(e) == 1.0, "scrape_ok %r after the odd answer" % scrape_ok(e))


@test
def json_streamed_answers(t):
    """Answers are read as their bytes arrive: in small chunks of chunked
    transfer coding, gzip-compressed, whatever the cut; one value larger
    than the reader holds (JSON_MAX_VALUE, 256 KiB) fails its source
    alone, with the reason."""
    up = t.upstream()
    up.load_original()
    up.set("metadata", trickle=7)
    up.set("read", trickle=13, gzip=True)
    big = "x" * (300 * 1024)
    up.set("write", '{"status":"success","data":{"resultType":"vector","result":['
           '{"metric":{"jobid":"1","note":"%s"},"value":[1,"1"]}]}}' % big, trickle=4096)
    t.install_original_standins()
    ex = t.exporter(up)
    r, e = scrape(ex, what="scrape of answers in pieces")
    ups = source_up(e)
    check(ups.get("metadata") == 1.0 and ups.get("read") == 1.0,
          "source_up %r, want metadata and read up; exporter log:\n%s" % (ups, tail(ex.stderr())))
    check(ups.get("write") == 0.0 and scrape_ok(e) == 0.0,
          "source_up %r, scrape_ok %r: want write down for its 300 KiB value" % (ups, scrape_ok(e)))
    promtool_check(r.body)
    for fams, what in ((META_FAMILIES, "metadata in 7-byte chunks"),
                       (READ_FAMILIES, "read gzip-compressed in 13-byte chunks")):
        assert_same(e.values(fams), expected_subset(fams), what)
    check(not e.values(WRITE_FAMILIES), "write families from a failed source: %r" % e.values(WRITE_FAMILIES))
    log = ex.stderr()
    check("a JSON value of more than 262144 bytes" in log,
          "no log line names the value cap; log:\n%s" % tail(log))
    # A value within the cap is an odd label, not a failure.
    up.set("write", '{"status":"success","data":{"resultType":"vector","result":['
           '{"metric":{"jobid":"1","note":"%s"},"value":[1,"1"]}]}}' % ("x" * (200 * 1024)))
    r, e = scrape(ex, what="scrape with a 200 KiB value")
    check(source_up(e).get("write") == 1.0 and scrape_ok(e) == 1.0,
          "source_up %r with a value under the cap" % source_up(e))
