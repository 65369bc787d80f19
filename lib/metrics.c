/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <string.h>

#include "metrics.h"
#include "buf.h"
#include "err.h"
#include "expo.h"
#include "join.h"
#include "version.h"

/* The original's output order, which its users' scrapes were diffed in. */
static const int family_order[FAMILY_COUNT] = {
	FAMILY_JOB_METADATA, FAMILY_PROC_METADATA, FAMILY_JOB_READ,
	FAMILY_JOB_WRITE, FAMILY_PROC_READ, FAMILY_PROC_WRITE,
};

static int
write_scrape_ok(struct buf *out, int ok)
{
	int r;

	if ((r = expo_family(out, "cluster_exporter_scrape_ok",
	    "1 if every source of the last scrape answered, else 0.",
	    "gauge")) != 0)
		return r;
	return expo_sample(out, "cluster_exporter_scrape_ok", NULL, 0, ok);
}

static int
write_build_info(struct buf *out, const char *version)
{
	/* Sorted by name, as client libraries print them. */
	struct expo_label l[5] = {
		{ "branch", version_branch(), 0 },
		{ "compiler", version_compiler(), 0 },
		{ "libraries", version_libraries(), 0 },
		{ "revision", version_revision(), 0 },
		{ "version", version, 0 },
	};
	size_t i;
	int r;

	for (i = 0; i < 5; i++)
		l[i].len = strlen(l[i].value);
	if ((r = expo_family(out, "cluster_exporter_build_info",
	    "The exporter's version, the git branch and revision it was "
	    "built from, its compiler and libraries; the value is always 1.",
	    "gauge")) != 0)
		return r;
	return expo_sample(out, "cluster_exporter_build_info", l, 5, 1);
}

/*
 * Series of the upstream sources that matched no row, by reason, for the
 * last collection: every source with a query and every reason, zeros
 * included, so that a rule can compare them.  A count is left out when
 * a source it depends on failed: with squeue down every job's series is
 * unmatched, which says nothing of hidden jobs.
 */
static int
write_unmatched(struct buf *out, const struct metrics_scrape *s)
{
	static const char *const reasons[METRICS_UNMATCHED] = {
		[METRICS_NO_JOB] = "job_not_in_squeue",
		[METRICS_NO_USER] = "unknown_user",
		[METRICS_NO_GROUP] = "unknown_group",
	};
	struct expo_label l[2];
	int id, k, r;

	if ((r = expo_family(out, "cluster_exporter_unmatched_series",
	    "Upstream series of the last scrape that matched no row: a job "
	    "not in squeue (ended, or hidden by PrivateData=jobs), or a "
	    "process's unknown uid or group.", "gauge")) != 0)
		return r;
	for (id = 0; id < SOURCE_COUNT; id++) {
		if (source_info(id)->query < 0 || !s->source_up[id])
			continue;
		for (k = 0; k < METRICS_UNMATCHED; k++) {
			if (!s->source_up[k == METRICS_NO_JOB ? SOURCE_SLURM :
			    SOURCE_ACCOUNTS])
				continue;
			/* Sorted by name: reason, then source. */
			l[0].name = "reason";
			l[0].value = reasons[k];
			l[0].len = strlen(l[0].value);
			l[1].name = "source";
			l[1].value = source_name(id);
			l[1].len = strlen(l[1].value);
			if ((r = expo_sample(out,
			    "cluster_exporter_unmatched_series", l, 2,
			    (double)s->unmatched[id][k])) != 0)
				return r;
		}
	}
	return 0;
}

/*
 * Each helper's process figures, as process_* are for the exporter, in
 * its own namespace with a helper label (a helper is not a process any
 * client library knows of).
 */
static int
write_helper_proc(struct buf *out, const struct metrics_scrape *s)
{
	static const struct {
		const char	*name, *type, *help;
		size_t		 off;
	} m[] = {
		{ "cluster_exporter_helper_cpu_seconds_total", "counter",
		    "User and system CPU time of each helper, in seconds.",
		    offsetof(struct proto_procstat, cpu_seconds) },
		{ "cluster_exporter_helper_resident_memory_bytes", "gauge",
		    "Resident memory of each helper, in bytes.",
		    offsetof(struct proto_procstat, resident_bytes) },
		{ "cluster_exporter_helper_virtual_memory_bytes", "gauge",
		    "Virtual memory of each helper, in bytes.",
		    offsetof(struct proto_procstat, virtual_bytes) },
		{ "cluster_exporter_helper_open_fds", "gauge",
		    "Open file descriptors of each helper.",
		    offsetof(struct proto_procstat, open_fds) },
		{ "cluster_exporter_helper_max_fds", "gauge",
		    "Maximum open file descriptors of each helper.",
		    offsetof(struct proto_procstat, max_fds) },
		{ "cluster_exporter_helper_start_time_seconds", "gauge",
		    "Start time of each helper since the epoch, in seconds.",
		    offsetof(struct proto_procstat, start_time_seconds) },
	};
	struct expo_label l;
	const char *name;
	size_t i;
	double v;
	int h, r;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if ((r = expo_family(out, m[i].name, m[i].help,
		    m[i].type)) != 0)
			return r;
		for (h = 0; h < HELPER_COUNT; h++) {
			if (!s->have_helper_proc[h])
				continue;
			name = source_helper_name(h);
			l.name = "helper";
			l.value = name;
			l.len = strlen(name);
			memcpy(&v, (const char *)&s->helper_proc[h] + m[i].off,
			    sizeof(v));
			if ((r = expo_sample(out, m[i].name, &l, 1, v)) != 0)
				return r;
		}
	}
	return 0;
}

static int
write_family(struct buf *out, const struct join *j, int f)
{
	struct expo_label l[FAMILY_MAX_LABELS];
	struct join_row row;
	size_t i, k, n;
	int r;

	const struct family_info *fi = source_family(f);

	if ((r = expo_family(out, fi->name, fi->help, "gauge")) != 0)
		return r;
	n = j == NULL ? 0 : join_rows(j, f);
	for (i = 0; i < n; i++) {
		join_row(j, f, i, &row);
		for (k = 0; k < fi->nlabels; k++) {
			l[k].name = fi->labels[k];
			l[k].value = row.values[k];
			l[k].len = row.lens[k];
		}
		if ((r = expo_sample(out, fi->name, l, fi->nlabels,
		    row.value)) != 0)
			return r;
	}
	return 0;
}

int
metrics_write(struct buf *out, const struct metrics_scrape *s,
    const struct join *j, const char *version)
{
	struct expo_label l;
	int i, r, ok = 1;

	for (i = 0; i < SOURCE_COUNT; i++)
		if (!s->source_up[i])
			ok = 0;
	if ((r = write_scrape_ok(out, ok)) != 0)
		return r;
	if ((r = expo_family(out, "cluster_exporter_stage_execution_seconds",
	    "Wall-clock time of each stage of the last scrape in seconds.",
	    "gauge")) != 0)
		return r;
	for (i = 0; i < STAGE_COUNT; i++) {
		l.name = "name";
		l.value = source_stage_name(i);
		l.len = strlen(l.value);
		if ((r = expo_sample(out,
		    "cluster_exporter_stage_execution_seconds", &l, 1,
		    s->stage_seconds[i])) != 0)
			return r;
	}
	for (i = 0; i < FAMILY_COUNT; i++)
		if ((r = write_family(out, j, family_order[i])) != 0)
			return r;
	if ((r = expo_family(out, "cluster_exporter_source_up",
	    "1 if the source answered completely in the last scrape, else 0.",
	    "gauge")) != 0)
		return r;
	for (i = 0; i < SOURCE_COUNT; i++) {
		l.name = "source";
		l.value = source_name(i);
		l.len = strlen(l.value);
		if ((r = expo_sample(out, "cluster_exporter_source_up", &l, 1,
		    s->source_up[i] ? 1 : 0)) != 0)
			return r;
	}
	if ((r = expo_family(out, "cluster_exporter_helper_restarts_total",
	    "Times a helper process was killed or died and was restarted.",
	    "counter")) != 0)
		return r;
	for (i = 0; i < HELPER_COUNT; i++) {
		l.name = "helper";
		l.value = source_helper_name(i);
		l.len = strlen(l.value);
		if ((r = expo_sample(out,
		    "cluster_exporter_helper_restarts_total", &l, 1,
		    (double)s->helper_restarts[i])) != 0)
			return r;
	}
	if ((r = expo_family(out, "cluster_exporter_dropped_series",
	    "Upstream series of the last scrape dropped for a missing jobid "
	    "or target, or a value that is not a finite number.",
	    "gauge")) != 0 ||
	    (r = expo_sample(out, "cluster_exporter_dropped_series", NULL, 0,
	    (double)s->dropped_series)) != 0)
		return r;
	if ((r = write_unmatched(out, s)) != 0 ||
	    (r = write_helper_proc(out, s)) != 0)
		return r;
	if ((r = expo_family(out, "cluster_exporter_scrape_duration_seconds",
	    "Seconds the collection behind this answer took, from its "
	    "first request to its exposition.", "gauge")) != 0 ||
	    (r = expo_sample(out, "cluster_exporter_scrape_duration_seconds",
	    NULL, 0, s->duration_seconds)) != 0)
		return r;
	return write_build_info(out, version);
}

/* One counter family of one sample. */
static int
write_counter(struct buf *out, const char *name, const char *help,
    unsigned long v)
{
	int r;

	if ((r = expo_family(out, name, help, "counter")) != 0)
		return r;
	return expo_sample(out, name, NULL, 0, (double)v);
}

#define REJECTED_NAME	"cluster_exporter_http_requests_rejected_total"

/* Requests refused by the web configuration (--web.config.file). */
static int
write_rejected(struct buf *out, const struct metrics_front *f)
{
	static const char *const reasons[METRICS_REJECTS] = {
		"credentials", "certificate", "busy",
	};
	struct expo_label l;
	int i, r;

	if ((r = expo_family(out, REJECTED_NAME, "HTTP requests refused "
	    "since start, before any collection: basic auth missing or "
	    "wrong (credentials, 401), a client certificate missing or not "
	    "verified (certificate, 403), or no room to check a password "
	    "before the request's deadline (busy, 503).", "counter")) != 0)
		return r;
	for (i = 0; i < METRICS_REJECTS; i++) {
		l.name = "reason";
		l.value = reasons[i];
		l.len = strlen(reasons[i]);
		if ((r = expo_sample(out, REJECTED_NAME, &l, 1,
		    (double)f->rejected[i])) != 0)
			return r;
	}
	return 0;
}

/*
 * The process_* families of the Prometheus client libraries, with their
 * names, types and help texts, for the exporter's own process.
 */
static int
write_process(struct buf *out, const struct metrics_front *f)
{
	const struct {
		const char	*name, *type, *help;
		double		 v;
	} m[] = {
		{ "process_cpu_seconds_total", "counter",
		    "Total user and system CPU time spent in seconds.",
		    f->cpu_seconds },
		{ "process_open_fds", "gauge",
		    "Number of open file descriptors.", f->open_fds },
		{ "process_max_fds", "gauge",
		    "Maximum number of open file descriptors.", f->max_fds },
		{ "process_virtual_memory_bytes", "gauge",
		    "Virtual memory size in bytes.", f->virtual_bytes },
		{ "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes.", f->resident_bytes },
		{ "process_start_time_seconds", "gauge",
		    "Start time of the process since unix epoch in seconds.",
		    f->start_time_seconds },
	};
	size_t i;
	int r;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if ((r = expo_family(out, m[i].name, m[i].help,
		    m[i].type)) != 0 || (r = expo_sample(out, m[i].name,
		    NULL, 0, m[i].v)) != 0)
			return r;
	return 0;
}

int
metrics_write_front(struct buf *out, const struct metrics_front *f)
{
	static const char *const answers[METRICS_ANSWERS] = {
		"collected", "shared", "skipped",
	};
	struct expo_label l;
	int i, r;

	if ((r = write_counter(out, "cluster_exporter_collections_total",
	    "Collections run since start: one serves every scrape that "
	    "waits for it or comes within --collector.min-interval.",
	    f->collections)) != 0)
		return r;
	if ((r = expo_family(out, "cluster_exporter_scrapes_total",
	    "Scrapes answered since start, by how: with a collection they "
	    "started, with one they shared, or skipped at their deadline.",
	    "counter")) != 0)
		return r;
	for (i = 0; i < METRICS_ANSWERS; i++) {
		l.name = "result";
		l.value = answers[i];
		l.len = strlen(answers[i]);
		if ((r = expo_sample(out, "cluster_exporter_scrapes_total", &l,
		    1, (double)f->scrapes[i])) != 0)
			return r;
	}
	if ((r = expo_family(out, "cluster_exporter_http_connections",
	    "HTTP connections open now.", "gauge")) != 0 ||
	    (r = expo_sample(out, "cluster_exporter_http_connections", NULL,
	    0, (double)f->connections)) != 0)
		return r;
	if ((r = expo_family(out,
	    "cluster_exporter_http_connections_closed_total",
	    "HTTP connections the exporter closed since start: waiting or "
	    "idle ones that gave way to new connections (full), or that "
	    "missed the request deadline or the idle limit (deadline).",
	    "counter")) != 0)
		return r;
	for (i = 0; i < 2; i++) {
		l.name = "reason";
		l.value = i == 0 ? "full" : "deadline";
		l.len = strlen(l.value);
		if ((r = expo_sample(out,
		    "cluster_exporter_http_connections_closed_total", &l, 1,
		    (double)(i == 0 ? f->evicted : f->timed_out))) != 0)
			return r;
	}
	if ((r = write_counter(out, "cluster_exporter_log_lines_dropped_total",
	    "Log lines dropped since start because stderr did not take them "
	    "in time.", f->log_dropped)) != 0 ||
	    (r = write_rejected(out, f)) != 0)
		return r;
	return f->have_process ? write_process(out, f) : 0;
}

int
metrics_write_skipped(struct buf *out, const char *version)
{
	int r;

	if ((r = write_scrape_ok(out, 0)) != 0)
		return r;
	return write_build_info(out, version);
}
