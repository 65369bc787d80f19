/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <string.h>

#include "source.h"
#include "query.h"

static const char *const helper_names[HELPER_COUNT] = {
	[HELPER_SLURM] = "slurm",
	[HELPER_ACCOUNTS] = "accounts",
	[HELPER_PROMQL] = "promql",
};

static const struct source_info sources[SOURCE_COUNT] = {
	[SOURCE_SLURM] = { "slurm", HELPER_SLURM, -1, STAGE_JOBS, -1, -1,
	    -1 },
	[SOURCE_ACCOUNTS] = { "accounts", HELPER_ACCOUNTS, -1, STAGE_USERS,
	    -1, -1, -1 },
	[SOURCE_METADATA] = { "metadata", HELPER_PROMQL, QUERY_METADATA,
	    STAGE_LUSTRE, STAGE_BUILD_METADATA, FAMILY_JOB_METADATA,
	    FAMILY_PROC_METADATA },
	[SOURCE_READ] = { "read", HELPER_PROMQL, QUERY_READ, STAGE_LUSTRE,
	    STAGE_BUILD_READ, FAMILY_JOB_READ, FAMILY_PROC_READ },
	[SOURCE_WRITE] = { "write", HELPER_PROMQL, QUERY_WRITE, STAGE_LUSTRE,
	    STAGE_BUILD_WRITE, FAMILY_JOB_WRITE, FAMILY_PROC_WRITE },
};

static const char *const stage_names[STAGE_COUNT] = {
	[STAGE_JOBS] = "retrieve_running_jobs",
	[STAGE_USERS] = "retrieve_user_name_info",
	[STAGE_GROUPS] = "retrieve_group_name_info",
	[STAGE_LUSTRE] = "retrieve_lustre_metrics",
	[STAGE_BUILD_METADATA] = "build_metadata_metrics",
	[STAGE_BUILD_READ] = "build_read_throughput_metrics",
	[STAGE_BUILD_WRITE] = "build_write_throughput_metrics",
};

/* The original's families: names, label names and help texts kept. */
static const struct family_info families[FAMILY_COUNT] = {
	[FAMILY_JOB_METADATA] = { "cluster_job_metadata_operations",
	    "Metadata operations per second of SLURM jobs per account, user "
	    "and MDT.", { "account", "target", "user" }, 3,
	    SOURCE_METADATA },
	[FAMILY_PROC_METADATA] = { "cluster_proc_metadata_operations",
	    "Metadata operations per second of processes outside SLURM jobs "
	    "per process name, group, user and MDT.",
	    { "group_name", "proc_name", "target", "user_name" }, 4,
	    SOURCE_METADATA },
	[FAMILY_JOB_READ] = { "cluster_job_read_throughput_bytes",
	    "Read throughput in bytes per second of SLURM jobs per account "
	    "and user.", { "account", "user" }, 2, SOURCE_READ },
	[FAMILY_PROC_READ] = { "cluster_proc_read_throughput_bytes",
	    "Read throughput in bytes per second of processes outside SLURM "
	    "jobs per process name, group and user.",
	    { "group_name", "proc_name", "user_name" }, 3, SOURCE_READ },
	[FAMILY_JOB_WRITE] = { "cluster_job_write_throughput_bytes",
	    "Write throughput in bytes per second of SLURM jobs per account "
	    "and user.", { "account", "user" }, 2, SOURCE_WRITE },
	[FAMILY_PROC_WRITE] = { "cluster_proc_write_throughput_bytes",
	    "Write throughput in bytes per second of processes outside SLURM "
	    "jobs per process name, group and user.",
	    { "group_name", "proc_name", "user_name" }, 3, SOURCE_WRITE },
};

const struct source_info *
source_info(int id)
{
	if (id < 0 || id >= SOURCE_COUNT)
		return NULL;
	return &sources[id];
}

const struct family_info *
source_family(int family)
{
	if (family < 0 || family >= FAMILY_COUNT)
		return NULL;
	return &families[family];
}

const char *
source_name(int id)
{
	return id < 0 || id >= SOURCE_COUNT ? NULL : sources[id].name;
}

const char *
source_helper_name(int helper)
{
	return helper < 0 || helper >= HELPER_COUNT ? NULL :
	    helper_names[helper];
}

const char *
source_stage_name(int stage)
{
	return stage < 0 || stage >= STAGE_COUNT ? NULL : stage_names[stage];
}

int
source_helper_id(const char *name)
{
	int i;

	for (i = 0; name != NULL && i < HELPER_COUNT; i++)
		if (strcmp(name, helper_names[i]) == 0)
			return i;
	return -1;
}

int
source_of_query(int query)
{
	int i;

	for (i = 0; i < SOURCE_COUNT; i++)
		if (sources[i].query == query && query >= 0)
			return i;
	return -1;
}
