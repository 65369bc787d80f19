/* SPDX-License-Identifier: Apache-2.0 */
#ifndef INTAKE_H
#define INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"
#include "source.h"

/*
 * The parent's trust boundary.  Every byte a helper sends passes through
 * intake_feed(), and nothing else in the parent reads helper output: it
 * splits frames (proto.c, the only code that touches framing), dispatches
 * each through the table of what the call may receive (OpenSSH's
 * mon_table), decodes it once, checks it, turns its strings into ids of
 * the collection's names (lib/names.h) and folds it into its source's
 * sink as a fixed-size entry.  No threads and no I/O here: supervise.c
 * moves the bytes, and the tests and the fuzzer drive this module
 * directly.
 *
 * What the sinks hold (struct sink_entry; names are ids in in->names):
 *	slurm	id the jobid, name {account, user}.  Keyed by the jobid:
 *		the first JOB of a job id wins.
 *	queries	id the jobid of a job series or the uid of a proc series,
 *		name {process name, target}, value.  A job series has
 *		process name 0 (the empty name) and a proc series never
 *		has (its name is not empty), so the kind needs no field;
 *		target is 0 outside metadata.  Keyed by all three, values
 *		summed.
 * A source that fails is dropped with its sink; the names it brought stay
 * in the collection's table, unused, until the collection ends.
 *
 * Any violation fails the call: intake_feed() returns ERR_INVAL with the
 * reason in the call, and the caller kills the helper.  The violations,
 * each with a test (tests/test_intake.c):
 *	a frame length of 0 or above PROTO_MAX_FRAME
 *	a record after the call's last END; bytes after it (intake_close)
 *	a record type the call does not permit
 *	a record that does not decode (lengths, NUL, UTF-8, trailing bytes,
 *	    a source or kind out of range, a PROCSTAT figure negative or not
 *	    finite)
 *	JOB with an empty account or user
 *	SERIES after its query's SOURCE_END; SERIES whose target or process
 *	    name does not fit its query and kind
 *	a second SOURCE_END for a query; SOURCE_END ok with a series count
 *	    that differs from the series received
 *	USER or GROUP with an empty name, for an id the call did not ask
 *	    about, or for an id answered twice
 *	END whose record count differs from the records of its request;
 *	    END ok for a query call while a query has no SOURCE_END
 *	records beyond the source's budget (the helper checks it first, so
 *	    more can only come from a helper that lies), beyond its byte
 *	    cap, or names beyond the collection's (caps.h)
 *
 * Threads: the calls of one collection run in several threads, one kind
 * of call each (jobs, query, accounts).  Each kind touches only its own
 * part of struct intake, so no lock is needed; see the field comments.
 * The one part they share, the names, locks itself.
 */

struct acache;
struct buf;
struct hash;
struct names;
struct sink;

/* What a call asks for; it decides which records are permitted. */
enum intake_kind {
	INTAKE_JOBS = 0,	/* REQ_JOBS: JOB* END */
	INTAKE_QUERY = 1,	/* REQ_QUERY: (SERIES | SOURCE_END)* END */
	INTAKE_USERS = 2,	/* REQ_USERS: USER* END */
	INTAKE_GROUPS = 3,	/* REQ_GROUPS: GROUP* END */
	INTAKE_KINDS = 4,
};

/* Where relayed LOG records go: level, the helper's message. */
typedef void intake_log_fn(void *arg, int level, const char *msg);

/* One call: the answer to nrequests requests of one kind to one helper. */
struct intake_call {
	int		 kind;		/* enum intake_kind */
	unsigned int	 nrequests;	/* END records to expect */
	intake_log_fn	*log;		/* may be NULL: LOG records dropped */
	void		*log_arg;
	/* Results, set by intake_feed(). */
	unsigned int	 ends;
	uint64_t	 elapsed_us;	/* sum over END records */
	int		 end_status;	/* first non-zero END status */
	int		 violated;
	char		 reason[512];	/* the violation, or the first END's */
	/* The helper's last PROCSTAT, when have_procstat. */
	struct proto_procstat procstat;
	int		 have_procstat;
	/* Internal: data records since the last END. */
	uint32_t	 records;
};

/* Per source of the collection. */
struct intake_source {
	struct sink	*sink;		/* slurm and the queries */
	int		 ended;		/* queries: SOURCE_END seen */
	int		 ok;		/* queries: SOURCE_END said ok */
	uint32_t	 dropped;
	char		 reason[512];	/* queries: SOURCE_END's reason */
};

struct intake {
	/* Set by intake_init(); read-only afterwards. */
	struct proto_budget	 budget;
	time_t			 now;
	struct acache		*cache;		/* borrowed; accounts calls */
	/* Jobs and query calls, and the join after them: every label. */
	struct names		*names;
	/* Jobs calls: source[SOURCE_SLURM].  Query calls: the queries'. */
	struct intake_source	 source[SOURCE_COUNT];
	/* Query calls: told each uid of a proc series, once or more. */
	void			(*on_uid)(void *arg, uint32_t uid);
	void			*uid_arg;
	/* Accounts calls: the ids asked, those answered, what was found. */
	struct hash		*asked;
	struct hash		*answered;
	struct acache		*found;
};

/*
 * Prepares in for one collection: the names table, a sink per source but
 * accounts, each counting against budget, and the table of accounts
 * found.  cache (may be NULL) receives every account answer too.  Returns
 * 0 or ERR_NOMEM; intake_cleanup() is safe either way.
 */
int	intake_init(struct intake *in, const struct proto_budget *budget,
	    struct acache *cache, time_t now);
void	intake_cleanup(struct intake *in);

/*
 * Starts an accounts call about ids[0..n): only these may be answered.
 * Returns 0 or ERR_NOMEM.  intake_ask_done() ends it (after intake_feed()
 * is done with the call) and reports, through absent (may be NULL), each
 * id that was not answered.
 */
int	intake_ask(struct intake *in, const uint32_t *ids, size_t n);
void	intake_ask_done(struct intake *in, const uint32_t *ids, size_t n,
	    void (*absent)(void *arg, uint32_t id), void *arg);

/* A call of kind expecting nrequests END records. */
void	intake_call_init(struct intake_call *c, int kind,
	    unsigned int nrequests);

/*
 * Takes every complete frame off the front of bytes and handles it.
 * Returns 0 (more may come; the call is complete once c->ends ==
 * c->nrequests), or ERR_INVAL on a violation: c->violated is set, the
 * reason is in c->reason, and the call takes nothing more.
 */
int	intake_feed(struct intake *in, struct intake_call *c,
	    struct buf *bytes);

/*
 * After the call's last END: bytes still buffered are a violation.
 * Returns 0 or ERR_INVAL as intake_feed().
 */
int	intake_close(struct intake_call *c, const struct buf *bytes);

#endif /* INTAKE_H */
