/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "acache.h"
#include "buf.h"
#include "caps.h"
#include "deadline.h"
#include "err.h"
#include "flags.h"
#include "hash.h"
#include "intake.h"
#include "join.h"
#include "log.h"
#include "metrics.h"
#include "names.h"
#include "proto.h"
#include "query.h"
#include "relay.h"
#include "sink.h"
#include "source.h"
#include "supervise.h"
#include "threads.h"
#include "upstream.h"

/*
 * Of the scrape's time, the join and the exposition keep this share (at
 * least RESERVE_MIN, at most RESERVE_MAX seconds): the sources stop that
 * much before the scraper's deadline, so a hung source still leaves time
 * to answer with the others.
 */
#define RESERVE_SHARE	0.1
#define RESERVE_MIN_S	0.2
#define RESERVE_MAX_S	1.0

/* Ids per accounts request, so that a request frame stays small. */
#define IDS_PER_REQUEST	8000
/* The uids the accounts thread waits for, at most FEED_LINGER_MS. */
#define FEED_BATCH	MAX_GETENT_KEYS
#define FEED_LINGER_MS	50

/*
 * How long after a collection its memory is handed back: by then http.c
 * has published the result and let go of the one before (see trim_later).
 */
#define TRIM_DELAY_MS	500

/* Uids of proc series, handed from the promql call to the accounts thread. */
struct feeder {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct hash	*seen;
	uint32_t	*ids;
	size_t		 n;
	size_t		 taken;
	size_t		 alloc;
	int		 closed;
	int		 broken;	/* out of memory: accounts fails */
};

/* The outcome of one source in one collection. */
struct source_run {
	int		 up;
	double		 seconds;
	char		 reason[512];
};

struct collection {
	struct collector	*c;
	struct deadline		 deadline;	/* the sources' */
	uint64_t		 start_us;	/* the collection began */
	struct intake		 in;		/* every helper record */
	struct source_run	 run[SOURCE_COUNT];
	double			 stage_seconds[STAGE_COUNT];
	struct feeder		 feed;
};

/* Records a source's outcome, the same way for every source. */
static void	source_end(struct collection *, int, uint64_t, const char *,
    ...) __attribute__((format(printf, 4, 5)));

/*
 * The line of a failed source: what sites alert on, so its words stay and
 * the details are fields.  seconds < 0: not timed.
 */
static void
source_failed(int id, double seconds, const char *why)
{
	char dur[32];

	snprintf(dur, sizeof(dur), "%.3fs", seconds);
	error_kv(LOG_FIELDS({ "source", source_name(id) },
	    { "duration", seconds >= 0 ? dur : NULL }, { "err", why }),
	    "source failed");
}

/* Records a source's outcome and time; fmt NULL means it is up. */
static void
source_end(struct collection *col, int id, uint64_t start_us,
    const char *fmt, ...)
{
	struct source_run *run = &col->run[id];
	va_list ap;

	run->seconds = deadline_seconds_since(start_us);
	run->up = fmt == NULL;
	if (fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(run->reason, sizeof(run->reason), fmt, ap);
	va_end(ap);
	source_failed(id, run->seconds, run->reason);
}

/* -- the feeder ----------------------------------------------------------- */

/* An empty feeder; 0, ERR_SYSTEM or ERR_NOMEM. */
static int
feeder_init(struct feeder *f)
{
	pthread_condattr_t ca;

	memset(f, 0, sizeof(*f));
	if (pthread_condattr_init(&ca) != 0)
		return ERR_SYSTEM;
	/* Waits are bounded by the deadline, on the monotonic clock. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&f->mu, NULL);
	if ((f->seen = hash_new(1024)) == NULL)
		return ERR_NOMEM;
	return 0;
}

/* Frees what feeder_init() made (also after a failed init). */
static void
feeder_cleanup(struct feeder *f)
{
	hash_free(f->seen);
	free(f->ids);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
}

/* Queues uid for lookup once per collection. */
static void
feeder_push(struct feeder *f, uint32_t uid)
{
	unsigned char key[4];
	uint32_t v, *p;
	size_t na;
	int inserted;

	hash_key_u32(key, uid);
	pthread_mutex_lock(&f->mu);
	if (hash_put(f->seen, key, sizeof(key), 0, &v, &inserted) != 0) {
		f->broken = 1;
	} else if (inserted) {
		if (f->n == f->alloc) {
			na = f->alloc == 0 ? 256 : f->alloc * 2;
			if ((p = realloc(f->ids, na * sizeof(*p))) == NULL) {
				f->broken = 1;
				goto out;
			}
			f->ids = p;
			f->alloc = na;
		}
		f->ids[f->n++] = uid;
		/* The taker waits for the first uid, then for a batch. */
		if (f->n - f->taken == 1 || f->n - f->taken == FEED_BATCH)
			pthread_cond_signal(&f->cv);
	}
 out:
	pthread_mutex_unlock(&f->mu);
}

/* No more uids will come. */
static void
feeder_close(struct feeder *f)
{
	pthread_mutex_lock(&f->mu);
	f->closed = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

/*
 * Waits for uids not taken yet and copies up to max of them to out.
 * Returns how many; 0 once the feeder is closed and drained, or at the
 * deadline.
 */
static size_t
feeder_take(struct feeder *f, struct deadline deadline, uint32_t *out,
    size_t max)
{
	struct timespec ts;
	uint64_t linger;
	size_t k = 0;

	ts.tv_sec = (time_t)(deadline.at_us / 1000000);
	ts.tv_nsec = (long)(deadline.at_us % 1000000) * 1000;
	pthread_mutex_lock(&f->mu);
	while (f->taken == f->n && !f->closed)
		if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) == ETIMEDOUT)
			break;
	/*
	 * A getent run costs about as much for one key as for a thousand:
	 * while more uids may come, a short wait for a full batch saves runs.
	 */
	linger = deadline_now_us() + FEED_LINGER_MS * 1000ULL;
	if (linger > deadline.at_us)
		linger = deadline.at_us;
	ts.tv_sec = (time_t)(linger / 1000000);
	ts.tv_nsec = (long)(linger % 1000000) * 1000;
	while (f->n - f->taken < FEED_BATCH && !f->closed)
		if (pthread_cond_timedwait(&f->cv, &f->mu, &ts) == ETIMEDOUT)
			break;
	k = f->n - f->taken;
	if (k > max)
		k = max;
	if (k > 0)
		memcpy(out, f->ids + f->taken, k * sizeof(*out));
	f->taken += k;
	pthread_mutex_unlock(&f->mu);
	return k;
}

/* -- handing memory back ------------------------------------------------- */

/*
 * A collection frees its scratch state (sinks, names, join) when it ends,
 * but glibc keeps the freed pages, so the parent would stay as large as
 * its largest scrape.  malloc_trim() gives them back, off the path of the
 * answer: a thread of its own trims TRIM_DELAY_MS after each collection,
 * once the result is published and the previous one dropped.  malloc's
 * state is the process's, hence one trimmer for the process.
 */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 pending;
	int		 started;	/* the collector thread's only */
} trimmer = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

/* The trimmer thread: one trim per wake-up, a little after it. */
static void *
run_trimmer(void *arg)
{
	struct timespec delay = { 0, TRIM_DELAY_MS * 1000000L };

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&trimmer.mu);
		while (!trimmer.pending)
			pthread_cond_wait(&trimmer.cv, &trimmer.mu);
		trimmer.pending = 0;
		pthread_mutex_unlock(&trimmer.mu);
		/* No EINTR to retry: this thread blocks every signal. */
		(void)nanosleep(&delay, NULL);
		(void)malloc_trim(0);
	}
	return NULL;
}

/*
 * Asks for a trim after this collection.  The thread starts on first use,
 * in the collector thread, so that it inherits the parent's filter.
 */
static void
trim_later(void)
{
	if (!trimmer.started) {
		if (threads_start(NULL, run_trimmer, NULL) != 0) {
			/* No thread: trim now, before the answer. */
			(void)malloc_trim(0);
			return;
		}
		trimmer.started = 1;
	}
	pthread_mutex_lock(&trimmer.mu);
	trimmer.pending = 1;
	pthread_cond_signal(&trimmer.cv);
	pthread_mutex_unlock(&trimmer.mu);
}

int
collect_init(struct collector *c, const struct config *cfg,
    struct helper *helpers)
{
	/* fault_helper and fault_kind are set by main (test builds). */
	c->cfg = cfg;
	c->helpers = helpers;
	if ((c->cache = acache_new(cfg->cache_ttl_s)) == NULL)
		return ERR_NOMEM;
	return 0;
}

/*
 * Test builds: the first request to the chosen helper is preceded by a
 * REQ_FAULT, which makes it misbehave (PROTO_FAULT_*).
 */
static void
maybe_fault(struct collector *c, struct sup_call *call)
{
#ifdef PCE_TEST_HOOKS
	struct buf req;

	if (c->fault_helper != call->helper->id)
		return;
	c->fault_helper = -1;
	buf_init(&req, buf_cap(call->request) + 64);
	if (proto_put_req(&req, PROTO_REQ_FAULT, (uint32_t)c->fault_kind,
	    NULL, NULL, 0) != 0 ||
	    buf_append(&req, buf_ptr(call->request),
	    buf_len(call->request)) != 0) {
		buf_cleanup(&req);
		return;
	}
	buf_reset(call->request);
	if (buf_append(call->request, buf_ptr(&req), buf_len(&req)) == 0)
		call->answer->nrequests++;
	buf_cleanup(&req);
#else
	(void)c;
	(void)call;
#endif
}

/*
 * One call of a collection: its request(s) to one helper, answered with
 * records through table.  Returns 0 when the helper answered every request
 * with status 0, else ERR_SYSTEM with why set.
 */
static int
collect_call(struct collection *col, int helper, struct buf *req,
    unsigned int nreq, int kind, char *why, size_t whysz)
{
	struct intake_call answer;
	struct sup_call call;

	memset(&call, 0, sizeof(call));
	intake_call_init(&answer, kind, nreq);
	call.helper = &col->c->helpers[helper];
	call.request = req;
	call.intake = &col->in;
	call.answer = &answer;
	maybe_fault(col->c, &call);
	sup_run(&call, 1, col->deadline);
	/*
	 * Figures of an instance that failed the call (killed at the
	 * deadline, out of step) are not kept: it is gone, or about to be.
	 */
	if (answer.have_procstat && !call.failed) {
		col->c->helper_proc[helper] = answer.procstat;
		col->c->have_helper_proc[helper] = 1;
		col->c->helper_proc_restarts[helper] = call.restarts;
	}
	if (call.failed || answer.end_status != 0) {
		snprintf(why, whysz, "%s", call.failed ? call.reason :
		    answer.reason);
		return ERR_SYSTEM;
	}
	return 0;
}

/* -- slurm ---------------------------------------------------------------- */

/* The slurm source: squeue through its helper (a thread's body). */
static void *
run_slurm(void *arg)
{
	struct collection *col = arg;
	uint64_t start = deadline_now_us();
	struct buf req;
	char why[512];

	buf_init(&req, 64);
	if (proto_put_req(&req, PROTO_REQ_JOBS,
	    deadline_ms_left(col->deadline), &col->in.budget, NULL, 0) != 0)
		source_end(col, SOURCE_SLURM, start, "encoding the request");
	else if (collect_call(col, HELPER_SLURM, &req, 1, INTAKE_JOBS, why,
	    sizeof(why)) != 0)
		source_end(col, SOURCE_SLURM, start, "%s", why);
	else
		source_end(col, SOURCE_SLURM, start, NULL);
	col->stage_seconds[STAGE_JOBS] = col->run[SOURCE_SLURM].seconds;
	buf_cleanup(&req);
	return NULL;
}

/* -- promql --------------------------------------------------------------- */

/* The three query sources through the promql helper. */
static void
run_promql(struct collection *col)
{
	uint64_t start = deadline_now_us();
	struct intake_source *src;
	struct buf req, client;
	char why[512], told[512];
	int q, id, r;

	buf_init(&client, UPCLIENT_MAX);
	buf_init(&req, PROTO_MAX_REQUEST + 8);
	why[0] = '\0';
	if (upstream_client(&client, why, sizeof(why)) != 0)
		;	/* why says which file or setting */
	else if ((r = proto_put_query(&req, deadline_ms_left(col->deadline),
	    &col->in.budget, buf_ptr(&client), buf_len(&client))) != 0)
		snprintf(why, sizeof(why), "encoding the request: %s",
		    err_str(r));
	else
		(void)collect_call(col, HELPER_PROMQL, &req, 1, INTAKE_QUERY,
		    why, sizeof(why));
	for (q = 0; q < QUERY_COUNT; q++) {
		id = source_of_query(q);
		src = &col->in.source[id];
		snprintf(told, sizeof(told), "%s", src->reason);
		if (src->ended && src->ok)
			source_end(col, id, start, NULL);
		else if (src->ended)
			source_end(col, id, start, "%s", told[0] != '\0' ?
			    told : "failed without a reason");
		else
			source_end(col, id, start, "%s", why[0] != '\0' ? why :
			    "no answer from the promql helper");
	}
	col->stage_seconds[STAGE_LUSTRE] = deadline_seconds_since(start);
	/* Both held the upstream's credentials. */
	buf_burn(&client);
	buf_burn(&req);
}

/* -- accounts ------------------------------------------------------------- */

/* Remembers, in the accounts cache, an id the helper did not find. */
static void
accounts_absent_user(void *arg, uint32_t id)
{
	struct collection *col = arg;

	(void)acache_put_user(col->c->cache, id, NULL, 0, 0, col->in.now);
	debug_f("uid %u not found", id);
}

/* Likewise for a group. */
static void
accounts_absent_group(void *arg, uint32_t id)
{
	struct collection *col = arg;

	(void)acache_put_group(col->c->cache, id, NULL, 0, col->in.now);
	debug_f("gid %u not found", id);
}

/*
 * Asks the accounts helper about ids (users or groups).  Ids it did not
 * return are cached as absent only when it answered completely.  Returns
 * 0, or ERR_* with why set.
 */
static int
accounts_ask(struct collection *col, int groups, const uint32_t *ids,
    size_t n, char *why, size_t whysz)
{
	uint64_t start = deadline_now_us();
	struct buf req;
	size_t i, k, nreq = 0;
	int ret = ERR_NOMEM;

	if (deadline_passed(col->deadline)) {
		snprintf(why, whysz, "no time left before the deadline");
		return ERR_TIMEOUT;
	}
	buf_init(&req, (n / IDS_PER_REQUEST + 2) * (PROTO_MAX_FRAME + 16));
	snprintf(why, whysz, "out of memory");
	if (intake_ask(&col->in, ids, n) != 0)
		goto out;
	for (i = 0; i < n; i += k, nreq++) {
		k = n - i > IDS_PER_REQUEST ? IDS_PER_REQUEST : n - i;
		if (proto_put_req(&req, groups ? PROTO_REQ_GROUPS :
		    PROTO_REQ_USERS, deadline_ms_left(col->deadline), NULL,
		    ids + i, (uint32_t)k) != 0)
			goto out;
	}
	ret = collect_call(col, HELPER_ACCOUNTS, &req, (unsigned int)nreq,
	    groups ? INTAKE_GROUPS : INTAKE_USERS, why, whysz);
 out:
	intake_ask_done(&col->in, ids, n, ret != 0 ? NULL : groups ?
	    accounts_absent_group : accounts_absent_user, col);
	col->stage_seconds[groups ? STAGE_GROUPS : STAGE_USERS] +=
	    deadline_seconds_since(start);
	buf_cleanup(&req);
	return ret;
}

/*
 * Resolves a batch of uids, then the primary groups not seen before:
 * from the cache where it knows, else through the helper.  Both results
 * land in the intake's table of accounts found.  Returns 0 or ERR_*.
 */
static int
accounts_batch(struct collection *col, const uint32_t *uids, size_t n,
    struct hash *gids_seen, uint32_t *miss, char *why, size_t whysz)
{
	struct acache *found = col->in.found;
	time_t now = col->in.now;
	const char *name;
	unsigned char key[4];
	uint32_t gid, v;
	size_t i, nmiss = 0, ngid = 0;
	int r, inserted, ret = 0;

	for (i = 0; i < n; i++) {
		r = acache_get_user(col->c->cache, uids[i], now, &name, &gid);
		if (r == ACACHE_MISS)
			miss[nmiss++] = uids[i];
		else if (r == ACACHE_HIT && acache_put_user(found, uids[i],
		    name, strlen(name), gid, now) != 0)
			return ERR_NOMEM;
	}
	trace_f("accounts: %zu uids, %zu not cached", n, nmiss);
	if (nmiss > 0 && (r = accounts_ask(col, 0, miss, nmiss, why,
	    whysz)) != 0)
		ret = r;
	/* Primary groups of the users now known, each once. */
	for (i = 0; i < n; i++) {
		if (acache_get_user(found, uids[i], now, &name, &gid) !=
		    ACACHE_HIT)
			continue;
		hash_key_u32(key, gid);
		if (hash_put(gids_seen, key, sizeof(key), 0, &v,
		    &inserted) != 0)
			return ERR_NOMEM;
		if (!inserted)
			continue;
		r = acache_get_group(col->c->cache, gid, now, &name);
		if (r == ACACHE_MISS)
			miss[ngid++] = gid;
		else if (r == ACACHE_HIT && acache_put_group(found, gid, name,
		    strlen(name), now) != 0)
			return ERR_NOMEM;
	}
	if (ngid > 0 && (r = accounts_ask(col, 1, miss, ngid, why,
	    whysz)) != 0 && ret == 0)
		ret = r;
	return ret;
}

/*
 * The accounts thread: takes uids as the series bring them and resolves
 * them batch by batch, so a hung query costs that query only.
 */
static void *
run_accounts(void *arg)
{
	struct collection *col = arg;
	uint64_t start = deadline_now_us();
	struct hash *gids_seen = hash_new(1024);
	uint32_t *batch = calloc(IDS_PER_REQUEST * 4, sizeof(*batch));
	uint32_t *miss = calloc(IDS_PER_REQUEST * 4, sizeof(*miss));
	char why[512], first[512];
	size_t n;
	int failed = 0;

	first[0] = '\0';
	if (gids_seen == NULL || batch == NULL || miss == NULL) {
		snprintf(first, sizeof(first), "out of memory");
		failed = 1;
	}
	while (!failed && (n = feeder_take(&col->feed, col->deadline, batch,
	    IDS_PER_REQUEST * 4)) > 0) {
		if (accounts_batch(col, batch, n, gids_seen, miss, why,
		    sizeof(why)) != 0) {
			/* Later batches still run: their answers stand. */
			if (first[0] == '\0')
				snprintf(first, sizeof(first), "%s", why);
		}
	}
	pthread_mutex_lock(&col->feed.mu);
	if (col->feed.broken)
		snprintf(first, sizeof(first), "out of memory queueing uids");
	else if (col->feed.taken < col->feed.n)
		snprintf(first, sizeof(first), "%zu uids still unresolved at "
		    "the deadline", col->feed.n - col->feed.taken);
	pthread_mutex_unlock(&col->feed.mu);
	if (first[0] != '\0')
		source_end(col, SOURCE_ACCOUNTS, start, "%s", first);
	else
		source_end(col, SOURCE_ACCOUNTS, start, NULL);
	hash_free(gids_seen);
	free(batch);
	free(miss);
	return NULL;
}

/* -- commit: sinks of the sources that ended well into the join ----------- */

/* Adds the jobs of the slurm sink to the join; 0 or ERR_*. */
static int
commit_jobs(struct collection *col, struct join *j)
{
	const struct sink *s = col->in.source[SOURCE_SLURM].sink;
	const struct sink_entry *e;
	uint32_t i;
	int r;

	for (i = 0; i < sink_keys(s); i++) {
		e = sink_entry(s, i);
		if ((r = join_add_job(j, e->id, e->name[0], e->name[1])) != 0)
			return r;
	}
	return 0;
}

/* Adds query id's summed series to the join; 0 or ERR_*. */
static int
commit_series(struct collection *col, int id, struct join *j)
{
	const struct sink *s = col->in.source[id].sink;
	const struct sink_entry *e;
	struct join_series js;
	uint32_t i;
	int r;

	for (i = 0; i < sink_keys(s); i++) {
		e = sink_entry(s, i);
		memset(&js, 0, sizeof(js));
		/* Only a proc series has a process name (lib/intake.h). */
		if (e->name[0] != 0) {
			js.kind = PROTO_KIND_PROC;
			js.uid = (uint32_t)e->id;
			js.proc = e->name[0];
		} else {
			js.kind = PROTO_KIND_JOB;
			js.jobid = e->id;
		}
		js.target = e->name[1];
		js.value = e->value;
		if ((r = join_add_series(j, source_info(id)->query, &js)) != 0)
			return r;
	}
	return 0;
}

/* The id of NUL-terminated s in the collection's names; 0 or ERR_*. */
static int
commit_name(struct collection *col, const char *s, uint32_t *id)
{
	return names_intern(col->in.names, s, strlen(s), id, NULL);
}

/* Users and groups of this collection's proc series, as far as known. */
static int
commit_accounts(struct collection *col, struct join *j)
{
	const uint32_t *uids;
	const char *name, *gname;
	uint32_t gid, uname_id, gname_id;
	size_t n, i;
	int r;

	uids = join_proc_uids(j, &n);
	for (i = 0; i < n; i++) {
		if (acache_get_user(col->in.found, uids[i], col->in.now,
		    &name, &gid) != ACACHE_HIT)
			continue;
		if ((r = commit_name(col, name, &uname_id)) != 0 ||
		    (r = join_add_user(j, uids[i], uname_id, gid)) != 0)
			return r;
		if (acache_get_group(col->in.found, gid, col->in.now, &gname) !=
		    ACACHE_HIT)
			continue;
		if ((r = commit_name(col, gname, &gname_id)) != 0 ||
		    (r = join_add_group(j, gid, gname_id)) != 0)
			return r;
	}
	return 0;
}

/* Commits every source that is up; one that cannot be committed fails. */
static void
commit_all(struct collection *col, struct join *j)
{
	int id, r;

	for (id = 0; id < SOURCE_COUNT; id++) {
		if (!col->run[id].up || id == SOURCE_ACCOUNTS)
			continue;
		r = id == SOURCE_SLURM ? commit_jobs(col, j) :
		    commit_series(col, id, j);
		if (r != 0) {
			source_failed(id, -1, err_str(r));
			col->run[id].up = 0;
		}
		sink_free(col->in.source[id].sink);
		col->in.source[id].sink = NULL;
	}
	if ((r = commit_accounts(col, j)) != 0) {
		source_failed(SOURCE_ACCOUNTS, -1, err_str(r));
		col->run[SOURCE_ACCOUNTS].up = 0;
	}
}

/* Sums each query's series into its families, then the exposition. */
static int
collect_write(struct collection *col, struct join *j, struct buf *out)
{
	struct metrics_scrape m;
	struct join_stats st;
	const struct source_info *si;
	uint64_t t;
	int id, i, r;

	memset(&m, 0, sizeof(m));
	for (id = 0; id < SOURCE_COUNT; id++) {
		si = source_info(id);
		m.dropped_series += col->in.source[id].dropped;
		if (si->query < 0)
			continue;
		t = deadline_now_us();
		memset(&st, 0, sizeof(st));
		if ((r = join_build(j, si->query, &st)) != 0) {
			error_kv(LOG_FIELDS({ "source", si->name },
			    { "err", err_str(r) }), "building metrics failed");
			col->run[id].up = 0;
		}
		join_release(j, si->query);
		col->stage_seconds[si->build_stage] =
		    deadline_seconds_since(t);
		m.unmatched[id][METRICS_NO_JOB] = st.no_job;
		m.unmatched[id][METRICS_NO_USER] = st.no_user;
		m.unmatched[id][METRICS_NO_GROUP] = st.no_group;
		if (st.no_job + st.no_user + st.no_group > 0)
			debug_kv(LOG_FIELDS({ "source", si->name }),
			    "%zu series of jobs not in squeue, %zu of "
			    "unknown uids, %zu of unknown gids skipped",
			    st.no_job, st.no_user, st.no_group);
	}
	for (id = 0; id < SOURCE_COUNT; id++)
		m.source_up[id] = col->run[id].up;
	for (i = 0; i < STAGE_COUNT; i++)
		m.stage_seconds[i] = col->stage_seconds[i];
	for (i = 0; i < HELPER_COUNT; i++) {
		m.helper_restarts[i] = sup_restarts(&col->c->helpers[i]);
		/* A dead instance's figures are not the new one's. */
		m.have_helper_proc[i] = col->c->have_helper_proc[i] &&
		    col->c->helper_proc_restarts[i] == m.helper_restarts[i];
		m.helper_proc[i] = col->c->helper_proc[i];
	}
	m.duration_seconds = deadline_seconds_since(col->start_us);
	if ((r = metrics_write(out, &m, j, PCE_VERSION)) != 0)
		error_kv(LOG_FIELDS({ "err", err_str(r) }),
		    "writing the exposition failed");
	return r;
}

/* One debug line per collection: how long, and which sources failed. */
static void
collect_done_line(const struct collection *col, uint64_t start)
{
	char dur[32], failed[128];
	size_t o = 0;
	int id, n;

	if (LOG_LEVEL_DEBUG > log_current_level)
		return;
	failed[0] = '\0';
	for (id = 0; id < SOURCE_COUNT; id++) {
		if (col->run[id].up)
			continue;
		n = snprintf(failed + o, sizeof(failed) - o, "%s%s",
		    o > 0 ? "," : "", source_name(id));
		if (n < 0 || (size_t)n >= sizeof(failed) - o)
			break;
		o += (size_t)n;
	}
	snprintf(dur, sizeof(dur), "%.3fs", deadline_seconds_since(start));
	debug_kv(LOG_FIELDS({ "duration", dur },
	    { "failed", o > 0 ? failed : NULL }), "collection done");
}

/* Uids of proc series go to the accounts thread as they arrive. */
static void
collect_uid(void *arg, uint32_t uid)
{
	feeder_push(arg, uid);
}

/* Sets col up for one collection to deadline; 0 or ERR_NOMEM. */
static int
collection_init(struct collection *col, struct collector *c,
    struct deadline deadline)
{
	double left = (double)deadline_ms_left(deadline) / 1000, reserve;
	struct proto_budget budget;
	time_t now = time(NULL);

	memset(col, 0, sizeof(*col));
	col->c = c;
	reserve = left * RESERVE_SHARE;
	if (reserve < RESERVE_MIN_S)
		reserve = RESERVE_MIN_S;
	if (reserve > RESERVE_MAX_S)
		reserve = RESERVE_MAX_S;
	col->deadline = deadline_less(deadline, reserve);
	budget.max_records = c->cfg->max_records;
	budget.max_keys = c->cfg->max_keys;
	acache_expire(c->cache, now);
	if (feeder_init(&col->feed) != 0 ||
	    intake_init(&col->in, &budget, c->cache, now) != 0)
		return ERR_NOMEM;
	col->in.on_uid = collect_uid;
	col->in.uid_arg = &col->feed;
	return 0;
}

/* Frees what collection_init() made. */
static void
collection_cleanup(struct collection *col)
{
	intake_cleanup(&col->in);
	feeder_cleanup(&col->feed);
}


int
collect_scrape(struct collector *c, struct deadline deadline,
    struct buf *out, int *all_up)
{
	struct collection col;
	struct join *j = NULL;
	pthread_t slurm_tid, accounts_tid;
	uint64_t start = deadline_now_us();
	int ret, i, slurm_thread = 0, accounts_thread = 0;

	*all_up = 0;
	/* The helpers' log budgets are per collection. */
	relay_scrape();
	if (collection_init(&col, c, deadline) != 0 ||
	    (j = join_new(col.in.names)) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	/*
	 * squeue and the accounts lookups run beside the queries: a slow
	 * slurmctld or upstream delays only its own source.
	 */
	slurm_thread = threads_start(&slurm_tid, run_slurm, &col) == 0;
	accounts_thread = threads_start(&accounts_tid, run_accounts,
	    &col) == 0;
	run_promql(&col);
	feeder_close(&col.feed);
	if (!slurm_thread)
		(void)run_slurm(&col);
	else
		pthread_join(slurm_tid, NULL);
	slurm_thread = 0;
	if (!accounts_thread)
		(void)run_accounts(&col);
	else
		pthread_join(accounts_tid, NULL);
	accounts_thread = 0;
	commit_all(&col, j);
	col.start_us = start;
	ret = collect_write(&col, j, out);
	*all_up = 1;
	for (i = 0; i < SOURCE_COUNT; i++)
		if (!col.run[i].up)
			*all_up = 0;
	collect_done_line(&col, start);
 out:
	if (slurm_thread)
		pthread_join(slurm_tid, NULL);
	if (accounts_thread)
		pthread_join(accounts_tid, NULL);
	join_free(j);
	collection_cleanup(&col);
	trim_later();
	return ret;
}
