/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOURCE_H
#define SOURCE_H

#include <stddef.h>

/*
 * The exporter's catalogue, defined once: its helpers, its sources (what
 * cluster_exporter_source_up reports, each able to fail alone), the stages
 * of cluster_exporter_stage_execution_seconds and the output families.
 * Names, counts and range checks everywhere else derive from these tables,
 * the way node_exporter keeps one collector per file behind one interface.
 */

/* Helper processes; also the index of each helper's seccomp policy. */
enum source_helper {
	HELPER_SLURM = 0,
	HELPER_ACCOUNTS = 1,
	HELPER_PROMQL = 2,
	HELPER_COUNT = 3,
};

/* Sources, in the order cluster_exporter_source_up lists them. */
enum source_id {
	SOURCE_SLURM = 0,
	SOURCE_ACCOUNTS = 1,
	SOURCE_METADATA = 2,
	SOURCE_READ = 3,
	SOURCE_WRITE = 4,
	SOURCE_COUNT = 5,
};

/* Stages, in the order the original exports them (plus LUSTRE). */
enum source_stage {
	STAGE_JOBS = 0,			/* retrieve_running_jobs */
	STAGE_USERS = 1,		/* retrieve_user_name_info */
	STAGE_GROUPS = 2,		/* retrieve_group_name_info */
	STAGE_LUSTRE = 3,		/* retrieve_lustre_metrics */
	STAGE_BUILD_METADATA = 4,	/* build_metadata_metrics */
	STAGE_BUILD_READ = 5,		/* build_read_throughput_metrics */
	STAGE_BUILD_WRITE = 6,		/* build_write_throughput_metrics */
	STAGE_COUNT = 7,
};

/* The original's six families: JOB_x and PROC_x of each upstream query. */
enum source_family {
	FAMILY_JOB_METADATA = 0,	/* account, target, user */
	FAMILY_PROC_METADATA = 1,	/* group_name, proc_name, target,
					   user_name */
	FAMILY_JOB_READ = 2,		/* account, user */
	FAMILY_PROC_READ = 3,		/* group_name, proc_name, user_name */
	FAMILY_JOB_WRITE = 4,
	FAMILY_PROC_WRITE = 5,
	FAMILY_COUNT = 6,
};

#define FAMILY_MAX_LABELS	4

struct source_info {
	const char	*name;		/* the source label value */
	int		 helper;	/* enum source_helper */
	int		 query;		/* enum query_source, or -1 */
	int		 stage;		/* retrieve stage (accounts: users) */
	int		 build_stage;	/* build stage, or -1 */
	int		 job_family;	/* enum source_family, or -1 */
	int		 proc_family;
};

struct family_info {
	const char	*name;
	const char	*help;
	const char	*labels[FAMILY_MAX_LABELS];
	size_t		 nlabels;
	int		 source;	/* enum source_id */
};

/* The entry of id, or NULL when id is out of range. */
const struct source_info	*source_info(int id);
const struct family_info	*source_family(int family);

/* Names; NULL when the id is out of range. */
const char	*source_name(int id);
const char	*source_helper_name(int helper);
const char	*source_stage_name(int stage);

/* The helper id of a name ("slurm", "accounts", "promql"), or -1. */
int	source_helper_id(const char *name);

/* The source of an upstream query (enum query_source), or -1. */
int	source_of_query(int query);

#endif /* SOURCE_H */
