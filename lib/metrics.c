/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <string.h>

#include "metrics.h"
#include "buf.h"
#include "err.h"
#include "expo.h"
#include "join.h"

static const char *const source_names[METRICS_NSOURCES] = {
	"slurm", "accounts", "metadata", "read", "write",
};

static const char *const stage_names[METRICS_NSTAGES] = {
	"retrieve_running_jobs",
	"retrieve_user_name_info",
	"retrieve_group_name_info",
	"retrieve_lustre_metrics",
	"build_metadata_metrics",
	"build_read_throughput_metrics",
	"build_write_throughput_metrics",
};

/* In the order of enum sbx_helper, which lib/ does not see. */
static const char *const helper_names[METRICS_NHELPERS] = {
	"slurm", "accounts", "promql",
};

/* The original's families, in join_family order. */
static const struct {
	const char	*name;
	const char	*help;
	const char	*labels[JOIN_MAX_LABELS];
	size_t		 nlabels;
} families[JOIN_NFAMILIES] = {
	[JOIN_JOB_METADATA] = { "cluster_job_metadata_operations",
	    "Metadata operations per second of SLURM jobs per account, user "
	    "and MDT.", { "account", "target", "user" }, 3 },
	[JOIN_PROC_METADATA] = { "cluster_proc_metadata_operations",
	    "Metadata operations per second of processes outside SLURM jobs "
	    "per process name, group, user and MDT.",
	    { "group_name", "proc_name", "target", "user_name" }, 4 },
	[JOIN_JOB_READ] = { "cluster_job_read_throughput_bytes",
	    "Read throughput in bytes per second of SLURM jobs per account "
	    "and user.", { "account", "user" }, 2 },
	[JOIN_PROC_READ] = { "cluster_proc_read_throughput_bytes",
	    "Read throughput in bytes per second of processes outside SLURM "
	    "jobs per process name, group and user.",
	    { "group_name", "proc_name", "user_name" }, 3 },
	[JOIN_JOB_WRITE] = { "cluster_job_write_throughput_bytes",
	    "Write throughput in bytes per second of SLURM jobs per account "
	    "and user.", { "account", "user" }, 2 },
	[JOIN_PROC_WRITE] = { "cluster_proc_write_throughput_bytes",
	    "Write throughput in bytes per second of processes outside SLURM "
	    "jobs per process name, group and user.",
	    { "group_name", "proc_name", "user_name" }, 3 },
};

/* Output order: job and proc families of one source next to each other. */
static const int family_order[JOIN_NFAMILIES] = {
	JOIN_JOB_METADATA, JOIN_PROC_METADATA, JOIN_JOB_READ, JOIN_JOB_WRITE,
	JOIN_PROC_READ, JOIN_PROC_WRITE,
};

const char *
metrics_source_name(int source)
{
	if (source < 0 || source >= METRICS_NSOURCES)
		return NULL;
	return source_names[source];
}

const char *
metrics_stage_name(int stage)
{
	if (stage < 0 || stage >= METRICS_NSTAGES)
		return NULL;
	return stage_names[stage];
}

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
	struct expo_label l = { "version", version, strlen(version) };
	int r;
	if ((r = expo_family(out, "cluster_exporter_build_info",
	    "Version of the exporter; the value is always 1.", "gauge")) != 0)
		return r;
	return expo_sample(out, "cluster_exporter_build_info", &l, 1, 1);
}

static int
write_family(struct buf *out, const struct join *j, int f)
{
	struct expo_label l[JOIN_MAX_LABELS];
	struct join_row row;
	size_t i, k, n;
	int r;

	if ((r = expo_family(out, families[f].name, families[f].help,
	    "gauge")) != 0)
		return r;
	n = j == NULL ? 0 : join_rows(j, f);
	for (i = 0; i < n; i++) {
		join_row(j, f, i, &row);
		for (k = 0; k < families[f].nlabels; k++) {
			l[k].name = families[f].labels[k];
			l[k].value = row.values[k];
			l[k].len = row.lens[k];
		}
		if ((r = expo_sample(out, families[f].name, l,
		    families[f].nlabels, row.value)) != 0)
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

	for (i = 0; i < METRICS_NSOURCES; i++)
		if (!s->source_up[i])
			ok = 0;
	if ((r = write_scrape_ok(out, ok)) != 0)
		return r;
	if ((r = expo_family(out, "cluster_exporter_stage_execution_seconds",
	    "Wall-clock time of each stage of the last scrape in seconds.",
	    "gauge")) != 0)
		return r;
	for (i = 0; i < METRICS_NSTAGES; i++) {
		l.name = "name";
		l.value = stage_names[i];
		l.len = strlen(stage_names[i]);
		if ((r = expo_sample(out,
		    "cluster_exporter_stage_execution_seconds", &l, 1,
		    s->stage_seconds[i])) != 0)
			return r;
	}
	for (i = 0; i < JOIN_NFAMILIES; i++)
		if ((r = write_family(out, j, family_order[i])) != 0)
			return r;
	if ((r = expo_family(out, "cluster_exporter_source_up",
	    "1 if the source answered completely in the last scrape, else 0.",
	    "gauge")) != 0)
		return r;
	for (i = 0; i < METRICS_NSOURCES; i++) {
		l.name = "source";
		l.value = source_names[i];
		l.len = strlen(source_names[i]);
		if ((r = expo_sample(out, "cluster_exporter_source_up", &l, 1,
		    s->source_up[i] ? 1 : 0)) != 0)
			return r;
	}
	if ((r = expo_family(out, "cluster_exporter_helper_restarts_total",
	    "Times a helper process was killed or died and was restarted.",
	    "counter")) != 0)
		return r;
	for (i = 0; i < METRICS_NHELPERS; i++) {
		l.name = "helper";
		l.value = helper_names[i];
		l.len = strlen(helper_names[i]);
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
	return write_build_info(out, version);
}

int
metrics_write_skipped(struct buf *out, const char *version)
{
	int r;

	if ((r = write_scrape_ok(out, 0)) != 0)
		return r;
	return write_build_info(out, version);
}
