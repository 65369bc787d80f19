/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "intake.h"
#include "acache.h"
#include "buf.h"
#include "caps.h"
#include "err.h"
#include "hash.h"
#include "names.h"
#include "proto.h"
#include "query.h"
#include "sink.h"
#include "source.h"

/* How long the per-collection table of accounts keeps what it was told. */
#define FOUND_TTL_S	86400

/* Handles one record of a permitted type; 0 or ERR_INVAL (violate()). */
typedef int intake_fn(struct intake *in, struct intake_call *c,
    const unsigned char *body, size_t len);

struct intake_rule {
	uint8_t		 type;
	int		 data;		/* counts towards END's records */
	intake_fn	*fn;
};

static int	violate(struct intake_call *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Fails the call with a reason; returns ERR_INVAL for the caller. */
static int
violate(struct intake_call *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->violated)
		return ERR_INVAL;
	c->violated = 1;
	n = snprintf(c->reason, sizeof(c->reason), "protocol violation: ");
	va_start(ap, fmt);
	vsnprintf(c->reason + n, sizeof(c->reason) - (size_t)n, fmt, ap);
	va_end(ap);
	return ERR_INVAL;
}

/* LOG: relayed, bounded by the decoder to MAX_LOG_MSG. */
static int
on_log(struct intake *in, struct intake_call *c, const unsigned char *body,
    size_t len)
{
	struct proto_log lg;
	char msg[MAX_LOG_MSG + 1];
	int r;

	(void)in;
	if ((r = proto_get_log(body, len, &lg)) != 0)
		return violate(c, "bad LOG record (%s)", err_str(r));
	memcpy(msg, lg.msg.p, lg.msg.len);
	msg[lg.msg.len] = '\0';
	if (c->log != NULL)
		c->log(c->log_arg, lg.level, msg);
	return 0;
}

/* PROCSTAT: the helper's own figures, kept for the exposition. */
static int
on_procstat(struct intake *in, struct intake_call *c,
    const unsigned char *body, size_t len)
{
	int r;

	(void)in;
	if ((r = proto_get_procstat(body, len, &c->procstat)) != 0)
		return violate(c, "bad PROCSTAT record (%s)", err_str(r));
	c->have_procstat = 1;
	return 0;
}

/* END: closes one request; its count must match what came before it. */
static int
on_end(struct intake *in, struct intake_call *c, const unsigned char *body,
    size_t len)
{
	struct proto_end end;
	int r, id;

	if ((r = proto_get_end(body, len, &end)) != 0)
		return violate(c, "bad END record (%s)", err_str(r));
	if (end.records != c->records)
		return violate(c, "END counts %u records, %u were sent",
		    end.records, c->records);
	/* Only the query request's END closes the three queries. */
	if (c->kind == INTAKE_QUERY && end.status == 0 &&
	    c->ends + 1 == c->nrequests) {
		for (id = 0; id < SOURCE_COUNT; id++)
			if (source_info(id)->query >= 0 &&
			    !in->source[id].ended)
				return violate(c, "END without a SOURCE_END "
				    "for %s", source_name(id));
	}
	c->records = 0;
	c->ends++;
	c->elapsed_us += end.elapsed_us;
	if (end.status != 0 && c->end_status == 0) {
		c->end_status = end.status;
		snprintf(c->reason, sizeof(c->reason), "%.*s",
		    (int)end.reason.len, end.reason.p);
	}
	return 0;
}

/*
 * The id of str in the collection's names, for a record of what; the
 * bytes it adds to the table are added to *added.  A full table fails the
 * call as a source budget does.
 */
static int
intern(struct intake *in, struct intake_call *c, const char *what,
    const struct proto_str *str, uint32_t *id, size_t *added)
{
	size_t a;
	int r;

	/* Id 0 is the empty name: no lock, no hash for the absent field. */
	if (str->len == 0) {
		*id = 0;
		return 0;
	}
	if ((r = names_intern(in->names, str->p, str->len, id, &a)) == 0) {
		*added += a;
		return 0;
	}
	if (r == ERR_OVERFLOW)
		return violate(c, "%s: more than %zu MiB of names in one "
		    "collection", what, (size_t)MAX_NAMES_BYTES >> 20);
	return violate(c, "%s: interning a name: %s", what, err_str(r));
}

/* Folds e into src's sink; past its budget is a violation. */
static int
file_record(struct intake_call *c, struct intake_source *src,
    const char *what, const struct sink_entry *e, size_t name_bytes)
{
	char why[256];
	int r;

	if ((r = sink_add(src->sink, e, name_bytes)) == 0)
		return 0;
	sink_explain(src->sink, r, why, sizeof(why));
	return violate(c, "%s: %s", what, why);
}

static int
on_job(struct intake *in, struct intake_call *c, const unsigned char *body,
    size_t len)
{
	struct proto_job j;
	struct sink_entry e;
	size_t added = 0;
	int r;

	if ((r = proto_get_job(body, len, &j)) != 0)
		return violate(c, "bad JOB record (%s)", err_str(r));
	if (j.account.len == 0 || j.user.len == 0)
		return violate(c, "JOB %llu with an empty account or user",
		    (unsigned long long)j.jobid);
	memset(&e, 0, sizeof(e));
	e.id = j.jobid;
	if ((r = intern(in, c, "slurm", &j.account, &e.name[0],
	    &added)) != 0 ||
	    (r = intern(in, c, "slurm", &j.user, &e.name[1], &added)) != 0)
		return r;
	return file_record(c, &in->source[SOURCE_SLURM], "slurm", &e, added);
}

static int
on_series(struct intake *in, struct intake_call *c,
    const unsigned char *body, size_t len)
{
	struct proto_series s;
	struct intake_source *src;
	struct sink_entry e;
	const char *what;
	size_t added = 0;
	int r;

	if ((r = proto_get_series(body, len, &s)) != 0)
		return violate(c, "bad SERIES record (%s)", err_str(r));
	src = &in->source[source_of_query(s.source)];
	what = query_name(s.source);
	if (src->ended)
		return violate(c, "SERIES for %s after its SOURCE_END", what);
	if ((s.source == QUERY_METADATA) != (s.target.len > 0))
		return violate(c, "SERIES for %s %s a target", what,
		    s.target.len > 0 ? "with" : "without");
	if ((s.kind == PROTO_KIND_PROC) != (s.proc.len > 0))
		return violate(c, "SERIES of kind %u %s a process name",
		    s.kind, s.proc.len > 0 ? "with" : "without");
	/* A job series has no process name: name[0] is 0, the empty one. */
	memset(&e, 0, sizeof(e));
	e.id = s.kind == PROTO_KIND_PROC ? s.uid : s.jobid;
	e.value = s.value;
	if ((r = intern(in, c, what, &s.proc, &e.name[0], &added)) != 0 ||
	    (r = intern(in, c, what, &s.target, &e.name[1], &added)) != 0 ||
	    (r = file_record(c, src, what, &e, added)) != 0)
		return r;
	if (s.kind == PROTO_KIND_PROC && in->on_uid != NULL)
		in->on_uid(in->uid_arg, s.uid);
	return 0;
}

static int
on_source_end(struct intake *in, struct intake_call *c,
    const unsigned char *body, size_t len)
{
	struct proto_source_end e;
	struct intake_source *src;
	int r;

	if ((r = proto_get_source_end(body, len, &e)) != 0)
		return violate(c, "bad SOURCE_END record (%s)", err_str(r));
	src = &in->source[source_of_query(e.source)];
	if (src->ended)
		return violate(c, "second SOURCE_END for %s",
		    query_name(e.source));
	if (e.status == 0 && e.series != sink_records(src->sink))
		return violate(c, "SOURCE_END for %s counts %u series, %u "
		    "were sent", query_name(e.source), e.series,
		    sink_records(src->sink));
	src->ended = 1;
	src->ok = e.status == 0;
	src->dropped = e.dropped;
	snprintf(src->reason, sizeof(src->reason), "%.*s",
	    (int)e.reason.len, e.reason.p);
	return 0;
}

/* Checks that id was asked about and is answered for the first time. */
static int
check_answer(struct intake *in, struct intake_call *c, uint32_t id)
{
	unsigned char key[4];
	uint32_t v;
	int inserted;

	hash_key_u32(key, id);
	if (in->asked == NULL || hash_get(in->asked, key, sizeof(key),
	    &v) != 0)
		return violate(c, "answer for id %u, which was not asked", id);
	if (hash_put(in->answered, key, sizeof(key), 0, &v, &inserted) != 0)
		return violate(c, "out of memory");
	if (!inserted)
		return violate(c, "id %u answered twice", id);
	return 0;
}

static int
on_user(struct intake *in, struct intake_call *c, const unsigned char *body,
    size_t len)
{
	struct proto_user u;
	int r;

	if ((r = proto_get_user(body, len, &u)) != 0)
		return violate(c, "bad USER record (%s)", err_str(r));
	if (u.name.len == 0)
		return violate(c, "USER %u with an empty name", u.uid);
	if ((r = check_answer(in, c, u.uid)) != 0)
		return r;
	if (acache_put_user(in->found, u.uid, u.name.p, u.name.len, u.gid,
	    in->now) != 0)
		return violate(c, "out of memory");
	if (in->cache != NULL)
		(void)acache_put_user(in->cache, u.uid, u.name.p, u.name.len,
		    u.gid, in->now);
	return 0;
}

static int
on_group(struct intake *in, struct intake_call *c, const unsigned char *body,
    size_t len)
{
	struct proto_group g;
	int r;

	if ((r = proto_get_group(body, len, &g)) != 0)
		return violate(c, "bad GROUP record (%s)", err_str(r));
	if (g.name.len == 0)
		return violate(c, "GROUP %u with an empty name", g.gid);
	if ((r = check_answer(in, c, g.gid)) != 0)
		return r;
	if (acache_put_group(in->found, g.gid, g.name.p, g.name.len,
	    in->now) != 0)
		return violate(c, "out of memory");
	if (in->cache != NULL)
		(void)acache_put_group(in->cache, g.gid, g.name.p, g.name.len,
		    in->now);
	return 0;
}

/* What each kind of call may receive; LOG, PROCSTAT and END always. */
static const struct intake_rule jobs_rules[] = {
	{ PROTO_JOB, 1, on_job },
	{ 0, 0, NULL },
};
static const struct intake_rule query_rules[] = {
	{ PROTO_SERIES, 1, on_series },
	{ PROTO_SOURCE_END, 0, on_source_end },
	{ 0, 0, NULL },
};
static const struct intake_rule users_rules[] = {
	{ PROTO_USER, 1, on_user },
	{ 0, 0, NULL },
};
static const struct intake_rule groups_rules[] = {
	{ PROTO_GROUP, 1, on_group },
	{ 0, 0, NULL },
};
static const struct intake_rule *const rules[INTAKE_KINDS] = {
	[INTAKE_JOBS] = jobs_rules,
	[INTAKE_QUERY] = query_rules,
	[INTAKE_USERS] = users_rules,
	[INTAKE_GROUPS] = groups_rules,
};
static const struct intake_rule common_rules[] = {
	{ PROTO_LOG, 0, on_log },
	{ PROTO_PROCSTAT, 0, on_procstat },
	{ PROTO_END, 0, on_end },
	{ 0, 0, NULL },
};

/* The rule of type for c's kind, or NULL when it is not permitted. */
static const struct intake_rule *
rule_for(const struct intake_call *c, uint8_t type)
{
	const struct intake_rule *r;

	for (r = common_rules; r->fn != NULL; r++)
		if (r->type == type)
			return r;
	if (c->kind < 0 || c->kind >= INTAKE_KINDS)
		return NULL;
	for (r = rules[c->kind]; r->fn != NULL; r++)
		if (r->type == type)
			return r;
	return NULL;
}

int
intake_init(struct intake *in, const struct proto_budget *budget,
    struct acache *cache, time_t now)
{
	int id;

	memset(in, 0, sizeof(*in));
	in->budget = *budget;
	in->cache = cache;
	in->now = now;
	if ((in->found = acache_new(FOUND_TTL_S)) == NULL ||
	    (in->names = names_new(MAX_NAMES_BYTES)) == NULL)
		return ERR_NOMEM;
	for (id = 0; id < SOURCE_COUNT; id++) {
		if (id == SOURCE_ACCOUNTS)
			continue;
		if ((in->source[id].sink = sink_new(budget, MAX_SINK_BYTES,
		    id == SOURCE_SLURM ? SINK_BY_ID : SINK_BY_ALL)) == NULL)
			return ERR_NOMEM;
	}
	return 0;
}

void
intake_cleanup(struct intake *in)
{
	int id;

	for (id = 0; id < SOURCE_COUNT; id++) {
		sink_free(in->source[id].sink);
		in->source[id].sink = NULL;
	}
	hash_free(in->asked);
	hash_free(in->answered);
	acache_free(in->found);
	names_free(in->names);
	in->asked = in->answered = NULL;
	in->found = NULL;
	in->names = NULL;
}

int
intake_ask(struct intake *in, const uint32_t *ids, size_t n)
{
	unsigned char key[4];
	uint32_t v;
	size_t i;
	int inserted;

	hash_free(in->asked);
	hash_free(in->answered);
	in->asked = hash_new(n);
	in->answered = hash_new(n);
	if (in->asked == NULL || in->answered == NULL)
		return ERR_NOMEM;
	for (i = 0; i < n; i++) {
		hash_key_u32(key, ids[i]);
		if (hash_put(in->asked, key, sizeof(key), 0, &v,
		    &inserted) != 0)
			return ERR_NOMEM;
	}
	return 0;
}

void
intake_ask_done(struct intake *in, const uint32_t *ids, size_t n,
    void (*absent)(void *arg, uint32_t id), void *arg)
{
	unsigned char key[4];
	uint32_t v;
	size_t i;

	for (i = 0; absent != NULL && in->answered != NULL && i < n; i++) {
		hash_key_u32(key, ids[i]);
		if (hash_get(in->answered, key, sizeof(key), &v) != 0)
			absent(arg, ids[i]);
	}
	hash_free(in->asked);
	hash_free(in->answered);
	in->asked = in->answered = NULL;
}

void
intake_call_init(struct intake_call *c, int kind, unsigned int nrequests)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->nrequests = nrequests;
}

int
intake_feed(struct intake *in, struct intake_call *c, struct buf *bytes)
{
	const struct intake_rule *rule;
	const unsigned char *body;
	uint8_t type;
	size_t len;
	int r;

	if (c->violated)
		return ERR_INVAL;
	for (;;) {
		if ((r = proto_next(bytes, &type, &body, &len)) == 0)
			return 0;
		if (r < 0)
			return violate(c, "bad frame length (%s)", err_str(r));
		if (c->ends >= c->nrequests)
			return violate(c, "record 0x%02x after the last END",
			    type);
		if ((rule = rule_for(c, type)) == NULL)
			return violate(c, "record type 0x%02x not permitted",
			    type);
		if ((r = rule->fn(in, c, body, len)) != 0)
			return r;
		if (rule->data)
			c->records++;
		buf_consume(bytes, proto_frame_size(len));
	}
}

int
intake_close(struct intake_call *c, const struct buf *bytes)
{
	if (c->violated)
		return ERR_INVAL;
	if (buf_len(bytes) != 0)
		return violate(c, "%zu bytes after END", buf_len(bytes));
	return 0;
}
