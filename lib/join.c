/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "caps.h"
#include "err.h"
#include "hash.h"
#include "index.h"
#include "lustre.h"
#include "names.h"
#include "proto.h"
#include "query.h"

/*
 * Everything here is integers: a label is an id of the collection's
 * names, resolved to its bytes only in join_row().  Each table is an
 * array of fixed-size entries with an index over it (lib/index.h): per
 * distinct key the join holds 16 bytes for a job, 12 for a user, 8 for a
 * group, 4 for a proc series' uid, each with about 16 bytes of index; 24
 * for a series; 24 for a row, with its index while join_build() runs.
 */

/* A growable array of fixed-size elements. */
struct vec {
	void		*p;
	size_t		 n;
	size_t		 alloc;
};

struct join_job {
	uint64_t	 jobid;
	uint32_t	 account;
	uint32_t	 user;
};

struct join_user {
	uint32_t	 uid;
	uint32_t	 name;
	uint32_t	 gid;
};

struct join_group {
	uint32_t	 gid;
	uint32_t	 name;
};

/*
 * Series as added, job and proc series apart: each
 * kind feeds a family of its own, so each keeps its first-seen order.
 */
struct join_jser {
	uint64_t	 jobid;
	double		 value;
	uint32_t	 target;
};

struct join_pser {
	uint32_t	 uid;
	uint32_t	 proc;
	uint32_t	 target;
	double		 value;
};

/* A row: its label ids in the family's order, and the sum. */
struct join_out {
	uint32_t	 v[FAMILY_MAX_LABELS];
	double		 value;
};

struct join {
	struct names	*names;		/* borrowed */
	uint32_t	 known;		/* ids below this are names' */
	struct index	 jobs_x;	/* by jobid */
	struct index	 users_x;	/* by uid */
	struct index	 groups_x;	/* by gid */
	struct index	 puids_x;	/* by uid */
	struct vec	 jobs;		/* struct join_job */
	struct vec	 users;		/* struct join_user */
	struct vec	 groups;	/* struct join_group */
	struct vec	 puids;		/* uint32_t */
	struct vec	 jser[QUERY_COUNT];	/* struct join_jser */
	struct vec	 pser[QUERY_COUNT];	/* struct join_pser */
	struct vec	 rows[FAMILY_COUNT];	/* struct join_out */
};

/* Makes room for one more element of size bytes; v is unchanged on error. */
static int
vec_reserve(struct vec *v, size_t size)
{
	void *np;
	size_t na;

	if (v->n < v->alloc)
		return 0;
	na = v->alloc < 16 ? 16 : v->alloc * 2;
	if (na > SIZE_MAX / size)
		return ERR_NOMEM;
	/* realloc, not reallocarray: cmocka's test allocator wraps realloc. */
	if ((np = realloc(v->p, na * size)) == NULL)
		return ERR_NOMEM;
	v->p = np;
	v->alloc = na;
	return 0;
}

/* Whether id was handed out by the names (their count only grows). */
static int
join_known(struct join *j, uint32_t id)
{
	if (id < j->known)
		return 1;
	j->known = names_count(j->names);
	return id < j->known;
}

struct join *
join_new(struct names *names)
{
	struct join *j = NULL, *ret = NULL;

	if (names == NULL || (j = calloc(1, sizeof(*j))) == NULL)
		goto out;
	j->names = names;
	if (index_init(&j->jobs_x) != 0 || index_init(&j->users_x) != 0 ||
	    index_init(&j->groups_x) != 0 || index_init(&j->puids_x) != 0)
		goto out;
	ret = j;
	j = NULL;
 out:
	join_free(j);
	return ret;
}

void
join_free(struct join *j)
{
	size_t i;

	if (j == NULL)
		return;
	index_cleanup(&j->jobs_x);
	index_cleanup(&j->users_x);
	index_cleanup(&j->groups_x);
	index_cleanup(&j->puids_x);
	free(j->jobs.p);
	free(j->users.p);
	free(j->groups.p);
	free(j->puids.p);
	for (i = 0; i < QUERY_COUNT; i++) {
		free(j->jser[i].p);
		free(j->pser[i].p);
	}
	for (i = 0; i < FAMILY_COUNT; i++)
		free(j->rows[i].p);
	free(j);
}

/* The hash of a 64-bit id in x, from its fixed little-endian form. */
static uint32_t
id_hash(const struct index *x, uint64_t id)
{
	unsigned char key[8];

	hash_key_u64(key, id);
	return index_hash(x, key, sizeof(key));
}

/*
 * Room for one more element of size bytes in v and its index x, checking
 * the cap first.  Returns 0, ERR_TOOBIG or ERR_NOMEM with nothing
 * changed that a lookup could see.
 */
static int
join_room(struct vec *v, size_t size, struct index *x)
{
	int ret;

	if (v->n >= MAX_RECORDS)
		return ERR_TOOBIG;
	if ((ret = vec_reserve(v, size)) != 0 ||
	    (ret = index_reserve(x, v->n + 1)) != 0)
		return ret;
	return 0;
}

/* Each of the three lookups below files a new key, or keeps the first. */

int
join_add_job(struct join *j, uint64_t jobid, uint32_t account,
    uint32_t user)
{
	struct join_job *job;
	struct index_probe p;
	uint32_t i;
	int ret;

	if (!join_known(j, account) || !join_known(j, user))
		return ERR_INVAL;
	if ((ret = join_room(&j->jobs, sizeof(*job), &j->jobs_x)) != 0)
		return ret;
	job = j->jobs.p;
	for (i = index_first(&j->jobs_x, id_hash(&j->jobs_x, jobid), &p);
	    i != INDEX_NONE; i = index_next(&j->jobs_x, &p))
		if (job[i].jobid == jobid)
			return 0;
	index_add(&j->jobs_x, &p, (uint32_t)j->jobs.n);
	job += j->jobs.n++;
	job->jobid = jobid;
	job->account = account;
	job->user = user;
	return 0;
}

int
join_add_user(struct join *j, uint32_t uid, uint32_t name, uint32_t gid)
{
	struct join_user *usr;
	struct index_probe p;
	uint32_t i;
	int ret;

	if (!join_known(j, name))
		return ERR_INVAL;
	if ((ret = join_room(&j->users, sizeof(*usr), &j->users_x)) != 0)
		return ret;
	usr = j->users.p;
	for (i = index_first(&j->users_x, id_hash(&j->users_x, uid), &p);
	    i != INDEX_NONE; i = index_next(&j->users_x, &p))
		if (usr[i].uid == uid)
			return 0;
	index_add(&j->users_x, &p, (uint32_t)j->users.n);
	usr += j->users.n++;
	usr->uid = uid;
	usr->name = name;
	usr->gid = gid;
	return 0;
}

int
join_add_group(struct join *j, uint32_t gid, uint32_t name)
{
	struct join_group *grp;
	struct index_probe p;
	uint32_t i;
	int ret;

	if (!join_known(j, name))
		return ERR_INVAL;
	if ((ret = join_room(&j->groups, sizeof(*grp), &j->groups_x)) != 0)
		return ret;
	grp = j->groups.p;
	for (i = index_first(&j->groups_x, id_hash(&j->groups_x, gid), &p);
	    i != INDEX_NONE; i = index_next(&j->groups_x, &p))
		if (grp[i].gid == gid)
			return 0;
	index_add(&j->groups_x, &p, (uint32_t)j->groups.n);
	grp += j->groups.n++;
	grp->gid = gid;
	grp->name = name;
	return 0;
}

/* Files proc series s: its uid once in puids, then s itself in pv. */
static int
join_add_proc(struct join *j, struct vec *pv, const struct join_series *s,
    uint32_t target)
{
	struct join_pser *d;
	struct index_probe p;
	uint32_t i, *uids;
	int ret;

	if ((ret = vec_reserve(pv, sizeof(*d))) != 0 ||
	    (ret = join_room(&j->puids, sizeof(uint32_t), &j->puids_x)) != 0)
		return ret;
	uids = j->puids.p;
	for (i = index_first(&j->puids_x, id_hash(&j->puids_x, s->uid), &p);
	    i != INDEX_NONE; i = index_next(&j->puids_x, &p))
		if (uids[i] == s->uid)
			break;
	if (i == INDEX_NONE) {
		index_add(&j->puids_x, &p, (uint32_t)j->puids.n);
		uids[j->puids.n++] = s->uid;
	}
	d = (struct join_pser *)pv->p + pv->n++;
	d->uid = s->uid;
	d->proc = s->proc;
	d->target = target;
	d->value = s->value;
	return 0;
}

int
join_add_series(struct join *j, int source, const struct join_series *s)
{
	struct join_jser *d;
	struct vec *jv, *pv;
	uint32_t target = 0;
	int ret;

	if (source < 0 || source >= QUERY_COUNT || s == NULL ||
	    (s->kind != PROTO_KIND_JOB && s->kind != PROTO_KIND_PROC))
		return ERR_INVAL;
	jv = &j->jser[source];
	pv = &j->pser[source];
	/* Only the fields of the series' kind and source are kept. */
	if (source == QUERY_METADATA)
		target = s->target;
	if (!join_known(j, target) || (s->kind == PROTO_KIND_PROC &&
	    !join_known(j, s->proc)))
		return ERR_INVAL;
	if (jv->n + pv->n >= MAX_RECORDS)
		return ERR_TOOBIG;
	if (s->kind == PROTO_KIND_PROC)
		return join_add_proc(j, pv, s, target);
	if ((ret = vec_reserve(jv, sizeof(*d))) != 0)
		return ret;
	d = (struct join_jser *)jv->p + jv->n++;
	d->jobid = s->jobid;
	d->target = target;
	d->value = s->value;
	return 0;
}

const uint32_t *
join_proc_uids(const struct join *j, size_t *n)
{
	static const uint32_t none[1];

	*n = j->puids.n;
	return j->puids.n == 0 ? none : j->puids.p;
}

/*
 * Adds value to the row of the given label ids in rows (indexed by x),
 * creating it in first-seen order.  A family's rows all have nl labels.
 */
static int
join_sum(struct vec *rows, struct index *x, const uint32_t *v, size_t nl,
    double value)
{
	unsigned char key[FAMILY_MAX_LABELS * 4];
	struct join_out *o;
	struct index_probe p;
	size_t k;
	uint32_t i;
	int ret;

	if ((ret = join_room(rows, sizeof(*o), x)) != 0)
		return ret;
	for (k = 0; k < nl; k++)
		hash_key_u32(key + 4 * k, v[k]);
	o = rows->p;
	for (i = index_first(x, index_hash(x, key, 4 * nl), &p);
	    i != INDEX_NONE; i = index_next(x, &p))
		if (memcmp(o[i].v, v, nl * sizeof(*v)) == 0)
			break;
	if (i == INDEX_NONE) {
		index_add(x, &p, (uint32_t)rows->n);
		i = (uint32_t)rows->n++;
		memset(&o[i], 0, sizeof(o[i]));
		memcpy(o[i].v, v, nl * sizeof(*v));
	}
	o[i].value += value;
	return 0;
}

/* What join_build() works with for one source. */
struct join_pass {
	struct join_stats st;
	struct index	 x;		/* the family's rows */
	uint8_t		*mdt;		/* by target id: 0 unknown, 1, 2 */
	uint32_t	 nmdt;
	int		 meta;
};

/* Whether target id is an MDT; looked at once per id, then remembered. */
static int
pass_is_mdt(const struct join *j, struct join_pass *p, uint32_t target)
{
	const char *s;
	size_t len;

	if (target >= p->nmdt)
		return 0;	/* join_add_series() checked: cannot happen */
	if (p->mdt[target] == 0) {
		s = names_str(j->names, target, &len);
		p->mdt[target] = lustre_is_mdt_target(s, len) ? 1 : 2;
	}
	return p->mdt[target] == 1;
}

/* The job of jobid, or NULL. */
static const struct join_job *
find_job(const struct join *j, uint64_t jobid)
{
	const struct join_job *job = j->jobs.p;
	struct index_probe p;
	uint32_t i;

	for (i = index_first(&j->jobs_x, id_hash(&j->jobs_x, jobid), &p);
	    i != INDEX_NONE; i = index_next(&j->jobs_x, &p))
		if (job[i].jobid == jobid)
			return &job[i];
	return NULL;
}

/* The user of uid, or NULL. */
static const struct join_user *
find_user(const struct join *j, uint32_t uid)
{
	const struct join_user *usr = j->users.p;
	struct index_probe p;
	uint32_t i;

	for (i = index_first(&j->users_x, id_hash(&j->users_x, uid), &p);
	    i != INDEX_NONE; i = index_next(&j->users_x, &p))
		if (usr[i].uid == uid)
			return &usr[i];
	return NULL;
}

/* The group of gid, or NULL. */
static const struct join_group *
find_group(const struct join *j, uint32_t gid)
{
	const struct join_group *grp = j->groups.p;
	struct index_probe p;
	uint32_t i;

	for (i = index_first(&j->groups_x, id_hash(&j->groups_x, gid), &p);
	    i != INDEX_NONE; i = index_next(&j->groups_x, &p))
		if (grp[i].gid == gid)
			return &grp[i];
	return NULL;
}

/* Sums source's job series into family f: account, [target,] user. */
static int
build_jobs(struct join *j, int source, int f, struct join_pass *p)
{
	const struct join_jser *ser = j->jser[source].p;
	const struct join_job *job;
	uint32_t v[FAMILY_MAX_LABELS];
	size_t i, nl;
	int ret;

	for (i = 0; i < j->jser[source].n; i++, ser++) {
		if (p->meta && !pass_is_mdt(j, p, ser->target)) {
			p->st.not_mdt++;
			continue;
		}
		if ((job = find_job(j, ser->jobid)) == NULL) {
			p->st.no_job++;
			continue;
		}
		nl = 0;
		v[nl++] = job->account;
		if (p->meta)
			v[nl++] = ser->target;
		v[nl++] = job->user;
		if ((ret = join_sum(&j->rows[f], &p->x, v, nl,
		    ser->value)) != 0)
			return ret;
	}
	return 0;
}

/*
 * Sums source's proc series into family f: group_name, proc_name,
 * [target,] user_name.
 */
static int
build_procs(struct join *j, int source, int f, struct join_pass *p)
{
	const struct join_pser *ser = j->pser[source].p;
	const struct join_user *usr;
	const struct join_group *grp;
	uint32_t v[FAMILY_MAX_LABELS];
	size_t i, nl;
	int ret;

	for (i = 0; i < j->pser[source].n; i++, ser++) {
		if (p->meta && !pass_is_mdt(j, p, ser->target)) {
			p->st.not_mdt++;
			continue;
		}
		if ((usr = find_user(j, ser->uid)) == NULL) {
			p->st.no_user++;
			continue;
		}
		if ((grp = find_group(j, usr->gid)) == NULL) {
			p->st.no_group++;
			continue;
		}
		nl = 0;
		v[nl++] = grp->name;
		v[nl++] = ser->proc;
		if (p->meta)
			v[nl++] = ser->target;
		v[nl++] = usr->name;
		if ((ret = join_sum(&j->rows[f], &p->x, v, nl,
		    ser->value)) != 0)
			return ret;
	}
	return 0;
}

int
join_build(struct join *j, int source, struct join_stats *st)
{
	struct join_pass p;
	int ret = -1, fj, fp;

	memset(&p, 0, sizeof(p));
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (source < 0 || source >= QUERY_COUNT)
		return ERR_INVAL;
	/* enum source_family pairs JOB_x and PROC_x per source, in order. */
	fj = source * 2;
	fp = source * 2 + 1;
	p.meta = source == QUERY_METADATA;
	j->rows[fj].n = 0;
	j->rows[fp].n = 0;
	if (p.meta) {
		p.nmdt = names_count(j->names);
		if ((p.mdt = calloc(p.nmdt, 1)) == NULL) {
			ret = ERR_NOMEM;
			goto out;
		}
	}
	/* An index per family, freed between them: rows never mix. */
	if ((ret = index_init(&p.x)) != 0 ||
	    (ret = build_jobs(j, source, fj, &p)) != 0)
		goto out;
	index_cleanup(&p.x);
	if ((ret = index_init(&p.x)) != 0 ||
	    (ret = build_procs(j, source, fp, &p)) != 0)
		goto out;
	p.st.rows = j->rows[fj].n + j->rows[fp].n;
	if (st != NULL)
		*st = p.st;
	ret = 0;
 out:
	if (ret != 0) {
		/* No half-summed families. */
		j->rows[fj].n = 0;
		j->rows[fp].n = 0;
	}
	index_cleanup(&p.x);
	free(p.mdt);
	return ret;
}

void
join_release(struct join *j, int source)
{
	if (source < 0 || source >= QUERY_COUNT)
		return;
	free(j->jser[source].p);
	free(j->pser[source].p);
	memset(&j->jser[source], 0, sizeof(j->jser[source]));
	memset(&j->pser[source], 0, sizeof(j->pser[source]));
}

size_t
join_rows(const struct join *j, int family)
{
	if (family < 0 || family >= FAMILY_COUNT)
		return 0;
	return j->rows[family].n;
}

void
join_row(const struct join *j, int family, size_t i, struct join_row *row)
{
	const struct join_out *o;
	size_t k;

	memset(row, 0, sizeof(*row));
	if (family < 0 || family >= FAMILY_COUNT || i >= j->rows[family].n)
		return;
	o = (const struct join_out *)j->rows[family].p + i;
	row->nlabels = source_family(family)->nlabels;
	for (k = 0; k < row->nlabels; k++)
		row->values[k] = names_str(j->names, o->v[k], &row->lens[k]);
	row->value = o->value;
}
