/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "acache.h"
#include "buf.h"
#include "err.h"
#include "flags.h"
#include "hash.h"
#include "join.h"
#include "caps.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "query.h"
#include "sandbox.h"
#include "supervise.h"
#include "utf8.h"

/* Staged records of one source, kept only if the source succeeds. */
#define STAGE_CAP	((size_t)512 * 1024 * 1024)

/* Ids per accounts request, so that a request frame stays small. */
#define IDS_PER_REQUEST	8000

/*
 * Records are staged as they arrive (u32 length, then the validated body)
 * and replayed into the join only once their source has ended well, so a
 * source that fails halfway contributes nothing: never a partial sum.
 */
struct stage {
	struct buf	 bytes;
	uint32_t	 count;
};

struct lustre_ctx {
	struct stage	 series[QUERY_COUNT];
	int		 ended[QUERY_COUNT];
	int		 status[QUERY_COUNT];
	uint64_t	 elapsed_us[QUERY_COUNT];
	uint32_t	 dropped[QUERY_COUNT];
	char		 reason[QUERY_COUNT][256];
};

struct jobs_ctx {
	struct stage	 jobs;
};

struct accounts_ctx {
	int		 groups;
	struct hash	*asked;
	struct hash	*answered;
	struct acache	*cache;
	time_t		 now;
	struct join	*join;
	struct gidset	*gids;
};

/* Distinct gids seen, in first-seen order. */
struct gidset {
	struct hash	*seen;
	uint32_t	*ids;
	size_t		 n;
	size_t		 alloc;
};

static int
stage_add(struct stage *s, const unsigned char *body, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (s->count >= MAX_RECORDS)
		return ERR_TOOBIG;
	if (buf_append(&s->bytes, &n, sizeof(n)) != 0 ||
	    buf_append(&s->bytes, body, len) != 0)
		return ERR_TOOBIG;
	s->count++;
	return 0;
}

/* Iterates staged bodies: returns 1 with body/len, 0 at the end. */
static int
stage_next(const struct stage *s, size_t *off, const unsigned char **body,
    size_t *len)
{
	uint32_t n;

	if (*off + sizeof(n) > buf_len(&s->bytes))
		return 0;
	memcpy(&n, buf_ptr(&s->bytes) + *off, sizeof(n));
	*body = (const unsigned char *)buf_ptr(&s->bytes) + *off + sizeof(n);
	*len = n;
	*off += sizeof(n) + n;
	return 1;
}

static int
on_series(void *arg, const unsigned char *body, size_t len, char *why,
    size_t whysz)
{
	struct lustre_ctx *ctx = arg;
	struct proto_series s;
	int r;

	if ((r = proto_get_series(body, len, &s)) != 0) {
		snprintf(why, whysz, "bad SERIES record (%s)", err_str(r));
		return -1;
	}
	if (ctx->ended[s.source]) {
		snprintf(why, whysz, "SERIES for %s after its SOURCE_END",
		    query_name(s.source));
		return -1;
	}
	if ((s.source == QUERY_METADATA) != (s.target.len > 0) ||
	    (s.kind == PROTO_KIND_PROC) != (s.proc.len > 0)) {
		snprintf(why, whysz, "inconsistent SERIES record");
		return -1;
	}
	if ((r = stage_add(&ctx->series[s.source], body, len)) != 0) {
		snprintf(why, whysz, "too many series (%s)", err_str(r));
		return -1;
	}
	return 0;
}

static int
on_source_end(void *arg, const unsigned char *body, size_t len, char *why,
    size_t whysz)
{
	struct lustre_ctx *ctx = arg;
	struct proto_source_end e;
	int r;

	if ((r = proto_get_source_end(body, len, &e)) != 0) {
		snprintf(why, whysz, "bad SOURCE_END record (%s)", err_str(r));
		return -1;
	}
	if (ctx->ended[e.source]) {
		snprintf(why, whysz, "second SOURCE_END for %s",
		    query_name(e.source));
		return -1;
	}
	if (e.status == 0 && e.series != ctx->series[e.source].count) {
		snprintf(why, whysz, "SOURCE_END for %s counts %u series, "
		    "%u were sent", query_name(e.source), e.series,
		    ctx->series[e.source].count);
		return -1;
	}
	ctx->ended[e.source] = 1;
	ctx->status[e.source] = e.status;
	ctx->elapsed_us[e.source] = e.elapsed_us;
	ctx->dropped[e.source] = e.dropped;
	snprintf(ctx->reason[e.source], sizeof(ctx->reason[e.source]),
	    "%.*s", (int)e.reason.len, e.reason.p);
	return 0;
}

static int
on_job(void *arg, const unsigned char *body, size_t len, char *why,
    size_t whysz)
{
	struct jobs_ctx *ctx = arg;
	struct proto_job j;
	int r;

	if ((r = proto_get_job(body, len, &j)) != 0 ||
	    j.account.len == 0 || j.user.len == 0) {
		snprintf(why, whysz, "bad JOB record (%s)",
		    r != 0 ? err_str(r) : "empty label");
		return -1;
	}
	if ((r = stage_add(&ctx->jobs, body, len)) != 0) {
		snprintf(why, whysz, "too many jobs (%s)", err_str(r));
		return -1;
	}
	return 0;
}

static int
gidset_add(struct gidset *g, uint32_t gid)
{
	uint32_t *p, v;
	size_t na;
	int inserted;

	if (hash_put(g->seen, &gid, sizeof(gid), 0, &v, &inserted) != 0)
		return ERR_NOMEM;
	if (!inserted)
		return 0;
	if (g->n == g->alloc) {
		na = g->alloc == 0 ? 64 : g->alloc * 2;
		if ((p = reallocarray(g->ids, na, sizeof(*p))) == NULL)
			return ERR_NOMEM;
		g->ids = p;
		g->alloc = na;
	}
	g->ids[g->n++] = gid;
	return 0;
}

static int
on_account(void *arg, const unsigned char *body, size_t len, char *why,
    size_t whysz)
{
	struct accounts_ctx *ctx = arg;
	struct proto_user u;
	struct proto_group g;
	uint32_t id, v;
	int r, inserted;

	if (ctx->groups)
		r = proto_get_group(body, len, &g);
	else
		r = proto_get_user(body, len, &u);
	if (r != 0 || (ctx->groups ? g.name.len : u.name.len) == 0) {
		snprintf(why, whysz, "bad %s record (%s)", ctx->groups ?
		    "GROUP" : "USER", r != 0 ? err_str(r) : "empty name");
		return -1;
	}
	id = ctx->groups ? g.gid : u.uid;
	if (hash_get(ctx->asked, &id, sizeof(id), &v) != 0) {
		snprintf(why, whysz, "answer for id %u, which was not asked",
		    id);
		return -1;
	}
	if (hash_put(ctx->answered, &id, sizeof(id), 0, &v, &inserted) != 0) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	if (!inserted) {
		snprintf(why, whysz, "id %u answered twice", id);
		return -1;
	}
	if (ctx->groups) {
		(void)acache_put_group(ctx->cache, id, g.name.p, g.name.len,
		    ctx->now);
		r = join_add_group(ctx->join, id, g.name.p, g.name.len);
	} else {
		(void)acache_put_user(ctx->cache, id, u.name.p, u.name.len,
		    u.gid, ctx->now);
		r = join_add_user(ctx->join, id, u.name.p, u.name.len, u.gid);
		if (r == 0)
			r = gidset_add(ctx->gids, u.gid);
	}
	if (r != 0) {
		snprintf(why, whysz, "storing account: %s", err_str(r));
		return -1;
	}
	return 0;
}

static const struct sup_handler lustre_table[] = {
	{ PROTO_SERIES, on_series },
	{ PROTO_SOURCE_END, on_source_end },
	{ 0, NULL },
};

static const struct sup_handler jobs_table[] = {
	{ PROTO_JOB, on_job },
	{ 0, NULL },
};

static const struct sup_handler accounts_table[] = {
	{ PROTO_USER, on_account },
	{ PROTO_GROUP, on_account },
	{ 0, NULL },
};

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
 * REQ_FAULT, which makes it attempt a forbidden syscall.
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
	    NULL, 0) != 0 ||
	    buf_append(&req, buf_ptr(call->request),
	    buf_len(call->request)) != 0) {
		buf_cleanup(&req);
		return;
	}
	buf_reset(call->request);
	if (buf_append(call->request, buf_ptr(&req), buf_len(&req)) == 0)
		call->nrequests++;
	buf_cleanup(&req);
#else
	(void)c;
	(void)call;
#endif
}

static uint32_t
ms_left(uint64_t deadline_us)
{
	uint64_t now = sup_now_us();

	if (now >= deadline_us)
		return 0;
	return (uint32_t)((deadline_us - now) / 1000);
}

/*
 * Asks the accounts helper about ids (users or groups) and returns 0 if
 * the helper answered completely.  Ids it did not return are cached as
 * absent only then.
 */
static int
collect_accounts(struct collector *c, struct accounts_ctx *ctx,
    const uint32_t *ids, size_t n, uint64_t deadline_us, double *seconds,
    char *reason, size_t reasonsz)
{
	struct sup_call call;
	struct buf req;
	uint64_t start = sup_now_us();
	uint32_t v;
	size_t i, k;
	int ret = -1, inserted;

	memset(&call, 0, sizeof(call));
	buf_init(&req, (n / IDS_PER_REQUEST + 2) * (PROTO_MAX_FRAME + 16));
	ctx->asked = hash_new(n);
	ctx->answered = hash_new(n);
	if (ctx->asked == NULL || ctx->answered == NULL) {
		snprintf(reason, reasonsz, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (hash_put(ctx->asked, &ids[i], sizeof(ids[i]), 0, &v,
		    &inserted) != 0) {
			snprintf(reason, reasonsz, "out of memory");
			goto out;
		}
	for (i = 0; i < n; i += k) {
		k = n - i > IDS_PER_REQUEST ? IDS_PER_REQUEST : n - i;
		if (proto_put_req(&req, ctx->groups ? PROTO_REQ_GROUPS :
		    PROTO_REQ_USERS, ms_left(deadline_us), ids + i,
		    (uint32_t)k) != 0) {
			snprintf(reason, reasonsz, "request too large");
			goto out;
		}
		call.nrequests++;
	}
	if (ms_left(deadline_us) == 0) {
		snprintf(reason, reasonsz, "no time left before the deadline");
		goto out;
	}
	call.helper = &c->helpers[HELPER_ACCOUNTS];
	call.request = &req;
	call.table = accounts_table;
	call.ctx = ctx;
	maybe_fault(c, &call);
	sup_run(&call, 1, deadline_us);
	if (call.failed || call.end_status != 0) {
		snprintf(reason, reasonsz, "%s", call.reason);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (hash_get(ctx->answered, &ids[i], sizeof(ids[i]), &v) == 0)
			continue;
		if (ctx->groups)
			(void)acache_put_group(c->cache, ids[i], NULL, 0,
			    ctx->now);
		else
			(void)acache_put_user(c->cache, ids[i], NULL, 0, 0,
			    ctx->now);
		debug_f("%s %u not found", ctx->groups ? "gid" : "uid",
		    ids[i]);
	}
	ret = 0;
 out:
	*seconds = (double)(sup_now_us() - start) / 1e6;
	hash_free(ctx->asked);
	hash_free(ctx->answered);
	ctx->asked = ctx->answered = NULL;
	buf_cleanup(&req);
	return ret;
}

/* Resolves the uids of proc series, then their groups, into the join. */
static int
collect_resolve(struct collector *c, struct join *j, uint64_t deadline_us,
    struct metrics_scrape *m)
{
	struct accounts_ctx ctx;
	struct gidset gids;
	const uint32_t *uids;
	uint32_t *miss = NULL, gid;
	const char *name;
	char reason[512];
	size_t n, i, nmiss = 0;
	time_t now = time(NULL);
	int r, ok = 1;

	memset(&gids, 0, sizeof(gids));
	memset(&ctx, 0, sizeof(ctx));
	ctx.cache = c->cache;
	ctx.now = now;
	ctx.join = j;
	ctx.gids = &gids;
	acache_expire(c->cache, now);
	uids = join_proc_uids(j, &n);
	if ((gids.seen = hash_new(n)) == NULL ||
	    (miss = calloc(n + 1, sizeof(*miss))) == NULL) {
		ok = 0;
		error_f("accounts: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		r = acache_get_user(c->cache, uids[i], now, &name, &gid);
		if (r == ACACHE_MISS)
			miss[nmiss++] = uids[i];
		else if (r == ACACHE_HIT &&
		    (join_add_user(j, uids[i], name, strlen(name), gid) != 0 ||
		    gidset_add(&gids, gid) != 0))
			ok = 0;
	}
	trace_f("accounts: %zu uids, %zu not cached", n, nmiss);
	if (nmiss > 0) {
		ctx.groups = 0;
		if (collect_accounts(c, &ctx, miss, nmiss, deadline_us,
		    &m->stage_seconds[STAGE_USERS], reason,
		    sizeof(reason)) != 0) {
			ok = 0;
			error_f("source accounts failed: user lookup: %s",
			    reason);
		}
	}
	nmiss = 0;
	free(miss);
	if ((miss = calloc(gids.n + 1, sizeof(*miss))) == NULL) {
		ok = 0;
		goto out;
	}
	for (i = 0; i < gids.n; i++) {
		r = acache_get_group(c->cache, gids.ids[i], now, &name);
		if (r == ACACHE_MISS)
			miss[nmiss++] = gids.ids[i];
		else if (r == ACACHE_HIT && join_add_group(j, gids.ids[i],
		    name, strlen(name)) != 0)
			ok = 0;
	}
	if (nmiss > 0) {
		ctx.groups = 1;
		if (collect_accounts(c, &ctx, miss, nmiss, deadline_us,
		    &m->stage_seconds[STAGE_GROUPS], reason,
		    sizeof(reason)) != 0) {
			ok = 0;
			error_f("source accounts failed: group lookup: %s",
			    reason);
		}
	}
 out:
	free(miss);
	free(gids.ids);
	hash_free(gids.seen);
	return ok;
}

/* Replays staged jobs into the join. */
static int
replay_jobs(const struct stage *s, struct join *j)
{
	const unsigned char *body;
	struct proto_job job;
	size_t off = 0, len;
	int r;

	while (stage_next(s, &off, &body, &len)) {
		if ((r = proto_get_job(body, len, &job)) != 0 ||
		    (r = join_add_job(j, job.jobid, job.account.p,
		    job.account.len, job.user.p, job.user.len)) != 0)
			return r;
	}
	return 0;
}

static int
replay_series(const struct stage *s, int source, struct join *j)
{
	const unsigned char *body;
	struct proto_series ps;
	struct join_series js;
	size_t off = 0, len;
	int r;

	while (stage_next(s, &off, &body, &len)) {
		if ((r = proto_get_series(body, len, &ps)) != 0)
			return r;
		memset(&js, 0, sizeof(js));
		js.kind = ps.kind;
		js.jobid = ps.jobid;
		js.uid = ps.uid;
		js.proc = ps.proc.p;
		js.proc_len = ps.proc.len;
		js.target = ps.target.p;
		js.target_len = ps.target.len;
		js.value = ps.value;
		if ((r = join_add_series(j, source, &js)) != 0)
			return r;
	}
	return 0;
}

struct call_arg {
	struct sup_call	*call;
	uint64_t	 deadline_us;
};

static void *
run_call(void *arg)
{
	struct call_arg *a = arg;

	sup_run(a->call, 1, a->deadline_us);
	return NULL;
}

static double
seconds_since(uint64_t start_us)
{
	return (double)(sup_now_us() - start_us) / 1e6;
}

static int
collect_locked(struct collector *c, double limit_s, struct buf *out)
{
	static const int build_stage[QUERY_COUNT] = {
		STAGE_BUILD_METADATA, STAGE_BUILD_READ,
		STAGE_BUILD_WRITE,
	};
	static const int source_of[QUERY_COUNT] = {
		SOURCE_METADATA, SOURCE_READ, SOURCE_WRITE,
	};
	struct metrics_scrape m;
	struct lustre_ctx lctx;
	struct jobs_ctx jctx;
	struct sup_call calls[2];
	struct join_stats st;
	struct buf jreq, qreq;
	struct join *j = NULL;
	struct call_arg sa;
	pthread_t tid;
	uint64_t start = sup_now_us(), deadline, t;
	double budget = (double)c->cfg->timeout_s;
	int i, r, ret = 0, threaded = 0;

	memset(&m, 0, sizeof(m));
	memset(&lctx, 0, sizeof(lctx));
	memset(&jctx, 0, sizeof(jctx));
	memset(calls, 0, sizeof(calls));
	buf_init(&jreq, 128);
	buf_init(&qreq, 128);
	for (i = 0; i < QUERY_COUNT; i++)
		buf_init(&lctx.series[i].bytes, STAGE_CAP);
	buf_init(&jctx.jobs.bytes, STAGE_CAP);

	/* Answer before the scraper gives up: its timeout minus a margin. */
	if (limit_s > 0 && limit_s - 0.5 < budget)
		budget = limit_s - 0.5 > 0.1 ? limit_s - 0.5 : 0.1;
	deadline = start + (uint64_t)(budget * 1e6);

	if ((r = proto_put_req(&jreq, PROTO_REQ_JOBS, ms_left(deadline),
	    NULL, 0)) != 0 ||
	    (r = proto_put_req(&qreq, PROTO_REQ_QUERY, ms_left(deadline),
	    NULL, 0)) != 0) {
		ret = r;
		goto out;
	}
	calls[0].helper = &c->helpers[HELPER_SLURM];
	calls[0].request = &jreq;
	calls[0].nrequests = 1;
	calls[0].table = jobs_table;
	calls[0].ctx = &jctx;
	calls[1].helper = &c->helpers[HELPER_PROMQL];
	calls[1].request = &qreq;
	calls[1].nrequests = 1;
	calls[1].table = lustre_table;
	calls[1].ctx = &lctx;
	maybe_fault(c, &calls[0]);
	maybe_fault(c, &calls[1]);
	/*
	 * squeue runs in its own thread, so a slow slurmctld does not hold
	 * up the accounts lookups, which need only the upstream's answer.
	 */
	sa.call = &calls[0];
	sa.deadline_us = deadline;
	threaded = pthread_create(&tid, NULL, run_call, &sa) == 0;
	if (threaded)
		sup_run(&calls[1], 1, deadline);
	else
		sup_run(calls, 2, deadline);

	/* metadata, read, write */
	m.stage_seconds[STAGE_LUSTRE] = calls[1].ends > 0 ?
	    (double)calls[1].elapsed_us / 1e6 : seconds_since(start);
	for (i = 0; i < QUERY_COUNT; i++) {
		m.dropped_series += lctx.dropped[i];
		if (lctx.ended[i] && lctx.status[i] == 0) {
			m.source_up[source_of[i]] = 1;
			continue;
		}
		error_f("source %s failed: %s", query_name(i),
		    lctx.ended[i] ? lctx.reason[i] : calls[1].reason[0] !=
		    '\0' ? calls[1].reason : "no answer from the promql "
		    "helper");
	}
	if ((j = join_new()) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < QUERY_COUNT; i++) {
		if (!m.source_up[source_of[i]])
			continue;
		if ((r = replay_series(&lctx.series[i], i, j)) != 0) {
			error_f("source %s failed: %s", query_name(i),
			    err_str(r));
			m.source_up[source_of[i]] = 0;
		}
		buf_cleanup(&lctx.series[i].bytes);
	}

	if (c->helpers[HELPER_ACCOUNTS].enabled)
		m.source_up[SOURCE_ACCOUNTS] =
		    collect_resolve(c, j, deadline, &m);
	else
		error_f("source accounts failed: getent was not found at "
		    "start-up; set --path.getent");

	/* slurm */
	if (threaded) {
		pthread_join(tid, NULL);
		threaded = 0;
	}
	m.stage_seconds[STAGE_JOBS] = calls[0].ends > 0 ?
	    (double)calls[0].elapsed_us / 1e6 : seconds_since(start);
	if (!calls[0].helper->enabled)
		error_f("source slurm failed: squeue was not found at "
		    "start-up; set --path.squeue");
	else if (calls[0].failed || calls[0].end_status != 0)
		error_f("source slurm failed: %s", calls[0].reason);
	else
		m.source_up[SOURCE_SLURM] = 1;
	if (m.source_up[SOURCE_SLURM] &&
	    (r = replay_jobs(&jctx.jobs, j)) != 0) {
		error_f("source slurm failed: %s", err_str(r));
		m.source_up[SOURCE_SLURM] = 0;
	}
	buf_cleanup(&jctx.jobs.bytes);

	for (i = 0; i < QUERY_COUNT; i++) {
		t = sup_now_us();
		memset(&st, 0, sizeof(st));
		if ((r = join_build(j, i, &st)) != 0) {
			error_f("building %s metrics: %s", query_name(i),
			    err_str(r));
			m.source_up[source_of[i]] = 0;
		}
		m.stage_seconds[build_stage[i]] = seconds_since(t);
		if (st.no_job + st.no_user + st.no_group > 0)
			debug_f("%s: %zu series of jobs not in squeue, %zu of "
			    "unknown uids, %zu of unknown gids skipped",
			    query_name(i), st.no_job, st.no_user,
			    st.no_group);
	}
	for (i = 0; i < HELPER_COUNT; i++)
		m.helper_restarts[i] = c->helpers[i].restarts;
	if ((ret = metrics_write(out, &m, j, PCE_VERSION)) != 0)
		error_f("writing the exposition: %s", err_str(ret));
	debug_f("scrape done in %.3f s", seconds_since(start));
 out:
	if (threaded)
		pthread_join(tid, NULL);
	join_free(j);
	for (i = 0; i < QUERY_COUNT; i++)
		buf_cleanup(&lctx.series[i].bytes);
	buf_cleanup(&jctx.jobs.bytes);
	buf_cleanup(&jreq);
	buf_cleanup(&qreq);
	return ret;
}

int
collect_scrape(struct collector *c, double limit_s, struct buf *out)
{
	return collect_locked(c, limit_s, out);
}
