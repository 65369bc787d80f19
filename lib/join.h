/* SPDX-License-Identifier: Apache-2.0 */
#ifndef JOIN_H
#define JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

/*
 * The join of one scrape: squeue jobs, accounts and Lustre series in, summed
 * rows per output family out, in O(jobs + accounts + series) through hash
 * tables.  Every label comes in as an id of the collection's names
 * (lib/names.h): jobs, users, groups and series are held as integers, and
 * rows are summed under the tuple of their label ids, so no label byte is
 * hashed or compared here.  Rows are in first-seen order.
 *
 * A job series whose jobid is not a known job, a proc series whose uid or
 * primary gid is unknown, and a metadata series whose target is not an MDT
 * are skipped and counted in struct join_stats.
 */

/* One input series (a query sink's entry, lib/intake.h). */
struct join_series {
	int		 kind;		/* PROTO_KIND_JOB or PROTO_KIND_PROC */
	uint64_t	 jobid;		/* kind JOB */
	uint32_t	 uid;		/* kind PROC */
	uint32_t	 proc;		/* kind PROC: process name id */
	uint32_t	 target;	/* metadata: target id */
	double		 value;
};

/* One output row: label values in the family's label order (see above). */
struct join_row {
	const char	*values[FAMILY_MAX_LABELS];
	size_t		 lens[FAMILY_MAX_LABELS];
	size_t		 nlabels;
	double		 value;
};

struct join_stats {
	size_t	 rows;
	size_t	 no_job;	/* job not in squeue */
	size_t	 no_user;	/* uid unknown */
	size_t	 no_group;	/* primary gid unknown */
	size_t	 not_mdt;	/* metadata target is not an MDT */
};

struct join;
struct names;

/*
 * A join over ids of names (borrowed: it must outlive the join and its
 * rows; the join only reads it).  NULL on ERR_NOMEM.
 */
struct join	*join_new(struct names *names);
void		 join_free(struct join *j);

/*
 * Inputs, labels as name ids.  Return 0, ERR_NOMEM, ERR_TOOBIG
 * (MAX_RECORDS) or ERR_INVAL: an id the names never handed out, or a bad
 * source or kind.  A job id, uid or gid given twice keeps its first entry.
 * source is enum query_source.
 */
int	join_add_job(struct join *j, uint64_t jobid, uint32_t account,
	    uint32_t user);
int	join_add_user(struct join *j, uint32_t uid, uint32_t name,
	    uint32_t gid);
int	join_add_group(struct join *j, uint32_t gid, uint32_t name);
int	join_add_series(struct join *j, int source,
	    const struct join_series *s);

/*
 * The uids of the proc series added so far, each once, in first-seen order
 * (to ask the accounts helper about).  Valid until the next
 * join_add_series().
 */
const uint32_t	*join_proc_uids(const struct join *j, size_t *n);

/*
 * Sums the series of source into its two families (JOB_x and PROC_x).
 * Call once per source, after all jobs, users and groups are in.  Returns 0,
 * ERR_NOMEM or ERR_TOOBIG; st (may be NULL) receives the counts.
 */
int	join_build(struct join *j, int source, struct join_stats *st);

/*
 * Frees the series of source once its families are built: a large
 * site's series are not held while the exposition is written.  A later
 * join_build() of source finds none.
 */
void	join_release(struct join *j, int source);

/*
 * Rows of a family after join_build(); row i in 0..join_rows()-1.  The
 * label strings are NUL-terminated and live as long as the names.
 */
size_t	join_rows(const struct join *j, int family);
void	join_row(const struct join *j, int family, size_t i,
	    struct join_row *row);

#endif /* JOIN_H */
