# SPDX-License-Identifier: Apache-2.0
"""The Grafana dashboard shipped in packaging/examples, checked.

    tests/dashboard_check.py DASHBOARD.json

Checks the structure Grafana's provisioning reads (uid, title,
schemaVersion, a datasource variable, panels with a grid position inside
24 columns and queries), that its queries cover the six families and the
exporter's health, that every metric they name is one the exporter (or
Prometheus, for `up`) exports, and that every query parses as PromQL
(`promtool check rules` on a rule file made of them, template variables
replaced).  Exits non-zero on any failure.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

EXPORTED = {
    "cluster_job_metadata_operations", "cluster_proc_metadata_operations",
    "cluster_job_read_throughput_bytes", "cluster_job_write_throughput_bytes",
    "cluster_proc_read_throughput_bytes", "cluster_proc_write_throughput_bytes",
    "cluster_exporter_scrape_ok", "cluster_exporter_stage_execution_seconds",
    "cluster_exporter_source_up", "cluster_exporter_helper_restarts_total",
    "cluster_exporter_scrape_duration_seconds", "cluster_exporter_http_requests_rejected_total",
    "cluster_exporter_build_info", "up",
    "process_resident_memory_bytes", "process_cpu_seconds_total",
    "cluster_exporter_helper_resident_memory_bytes", "cluster_exporter_helper_cpu_seconds_total",
}
REQUIRED = {
    "cluster_job_metadata_operations", "cluster_proc_metadata_operations",
    "cluster_job_read_throughput_bytes", "cluster_job_write_throughput_bytes",
    "cluster_proc_read_throughput_bytes", "cluster_proc_write_throughput_bytes",
    "cluster_exporter_scrape_ok", "cluster_exporter_source_up", "cluster_exporter_helper_restarts_total",
    "process_resident_memory_bytes", "cluster_exporter_helper_resident_memory_bytes",
}
FUNCS = {"sum", "by", "topk", "increase", "rate", "irate", "label_values", "max", "min", "avg", "without"}


def fail(msg):
    print("dashboard_check: FAIL: %s" % msg)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: dashboard_check.py DASHBOARD.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
    for key in ("uid", "title", "schemaVersion", "panels", "templating"):
        if key not in d:
            fail("no %r at the top" % key)
    variables = {v.get("name"): v for v in d["templating"].get("list", [])}
    if variables.get("datasource", {}).get("type") != "datasource":
        fail("no datasource variable: provisioning on another Prometheus would break")
    exprs, used, ids = [], set(), []
    for p in d["panels"]:
        ids.append(p.get("id"))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")) or g["x"] + g["w"] > 24:
            fail("panel %r: bad gridPos %r" % (p.get("title"), g))
        if p.get("type") == "row":
            continue
        if not p.get("title") or not p.get("targets"):
            fail("panel %r has no title or no query" % p.get("title"))
        for tgt in p["targets"]:
            e = tgt.get("expr", "")
            if not e:
                fail("panel %r: a target without expr" % p["title"])
            exprs.append(e)
            # Two jobs on one host must not mix: every selector names the
            # job and the instance the variables chose.
            for sel in re.findall(r"\{[^}]*\}", e):
                if 'job="$job"' not in sel or 'instance=~"$instance"' not in sel:
                    fail("panel %r: selector %s does not filter on $job and $instance" % (p["title"], sel))
            # Metric names: what is left once label matchers and
            # by/without clauses are taken out.
            bare = re.sub(r"\b(by|without)\s*\([^)]*\)", "", re.sub(r"\{[^}]*\}", "{}", e))
            for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*[{\[]|\s*\))", bare):
                if name not in FUNCS:
                    used.add(name)
                    # A bare name would take every job's series.
                    if len(re.findall(r"\b%s\b" % name, e)) != len(re.findall(r"\b%s\{" % name, e)):
                        fail("panel %r: %s without a selector in %s" % (p["title"], name, e))
    if not all(isinstance(i, int) for i in ids) or len(set(ids)) != len(ids):
        fail("panel ids are missing or repeated: %r" % ids)
    unknown = sorted(n for n in used if n not in EXPORTED)
    if unknown:
        fail("queries name metrics the exporter does not export: %s" % unknown)
    missing = sorted(REQUIRED - used)
    if missing:
        fail("no panel shows %s" % missing)
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "rules.yml")
        with open(rules, "w", encoding="utf-8") as f:
            f.write("groups:\n  - name: dashboard\n    rules:\n")
            for i, e in enumerate(exprs):
                e = e.replace("$__rate_interval", "5m").replace("$instance", ".*").replace("$job", "cluster")
                f.write("      - record: dashboard:query%d\n        expr: %s\n" % (i, json.dumps(e)))
        cp = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
        if cp.returncode != 0:
            fail("a query does not parse:\n%s%s" % (cp.stdout, cp.stderr))
    print("dashboard_check: %d panels, %d queries, metrics %s" % (
        len(d["panels"]), len(exprs), ", ".join(sorted(used))))


if __name__ == "__main__":
    main()
