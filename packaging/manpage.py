# SPDX-License-Identifier: Apache-2.0
"""prometheus-cluster-exporter(1), made from the program's own -help.

    packaging/manpage.py EXPORTER VERSION > prometheus-cluster-exporter.1

The OPTIONS section is -help's text, flag by flag, so the page and -help
cannot drift apart; the other sections are written here.  The date is
SOURCE_DATE_EPOCH's, which the Makefile sets to the build's own date (the
one -version prints), never the clock, so the page is reproducible.
"""

import os
import re
import subprocess
import sys
import time

HEAD = r""".TH PROMETHEUS-CLUSTER-EXPORTER 1 "{date}" "prometheus-cluster-exporter {version}" "User Commands"
.SH NAME
prometheus-cluster-exporter \- Lustre I/O per SLURM account, user, group and process name, for Prometheus
.SH SYNOPSIS
.B prometheus-cluster-exporter
.BI \-promserver= URL
.RI [ flags ]
.SH DESCRIPTION
On each scrape of
.I :9846/metrics
the exporter asks the upstream Prometheus (or any server of its HTTP API)
for the Lustre job statistics of a Lustre exporter, runs
.BR squeue (1)
for the jobs and
.BR getent (1)
for the users and groups, joins them, and answers with
.B cluster_job_*
series per account and user and
.B cluster_proc_*
series per process name, user and group, plus the exporter's own
.B cluster_exporter_*
families.
Commands and upstream answers are handled by confined helper processes;
see
.I /usr/share/doc/prometheus-cluster-exporter
for the READMEs (the exporter, its sandbox, its packages) and the examples:
a scrape configuration, alert rules and a Grafana dashboard.
.SH OPTIONS
"""

TAIL = r""".SH SIGNALS
.TP
.B SIGHUP
reads
.B \-\-web.config.file
and
.B \-\-promserver.config.file
again; a file that does not load is logged and the running configuration
stays.
.TP
.BR SIGTERM ", " SIGINT
stop the exporter and its helpers.
.SH FILES
.TP
.I /etc/default/prometheus-cluster-exporter.options
the packaged unit's flags, as
.BR OPTIONS="..." .
.SH SEE ALSO
.BR squeue (1),
.BR getent (1),
.BR prometheus (1)
"""


def roff(text):
    """Text for roff: backslashes and leading dots or quotes escaped."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l if l[:1] in (".", "'") else l) for l in text.split("\n"))


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: manpage.py EXPORTER VERSION")
    exporter, version = sys.argv[1:]
    # Python 3.6 (RHEL 8's) has neither capture_output nor text.
    out = subprocess.run([exporter, "-help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch.isdigit():
        sys.exit("manpage.py: SOURCE_DATE_EPOCH is %r; the Makefile sets it to the build's date"
                 % epoch)
    date = time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))
    lines = out.split("\n")
    body = []
    intro = []
    i = 0
    # The paragraph before the flags: how flags are written.
    while i < len(lines) and not lines[i].startswith("  -"):
        if lines[i] and not lines[i].startswith("Usage:"):
            intro.append(lines[i])
        i += 1
    body.append(roff(" ".join(intro)))
    while i < len(lines):
        m = re.match(r"  (-.*)$", lines[i])
        if not m:
            i += 1
            continue
        body.append(".TP\n.B " + roff(m.group(1)))
        text = []
        i += 1
        while i < len(lines) and lines[i].startswith("\t"):
            text.append(lines[i].strip())
            i += 1
        body.append(roff(" ".join(text)))
    sys.stdout.write(HEAD.format(date=date, version=version) + "\n".join(body) + "\n" + TAIL)


if __name__ == "__main__":
    main()
