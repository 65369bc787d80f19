/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "join.h"
#include "err.h"
#include "hash.h"
#include "caps.h"
#include "lustre.h"
#include "proto.h"
#include "query.h"

/*
 * Strings live in an arena of chunks that never move, so the pointers
 * handed out in join_row() stay valid until join_free(), whatever is added
 * later.  A label is at most MAX_LABEL bytes, far below a chunk.
 */
#define ARENA_CHUNK	(64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t		 used;
	size_t		 size;
	char		 data[];
};

struct arena_mark {
	struct arena_chunk *head;
	size_t		 used;
};

/* A growable array of fixed-size elements. */
struct vec {
	void		*p;
	size_t		 n;
	size_t		 alloc;
};

struct join_job {
	const char	*account;
	const char	*user;
	uint32_t	 alen;
	uint32_t	 ulen;
};

struct join_user {
	const char	*name;
	uint32_t	 len;
	uint32_t	 gid;
};

struct join_group {
	const char	*name;
	uint32_t	 len;
};

/* A series as stored until join_build(). */
struct join_ser {
	uint64_t	 jobid;
	double		 value;
	const char	*proc;
	const char	*target;
	uint32_t	 proc_len;
	uint32_t	 target_len;
	uint32_t	 uid;
	int		 kind;
};

struct join_out {
	const char	*v[FAMILY_MAX_LABELS];
	uint32_t	 len[FAMILY_MAX_LABELS];
	double		 value;
};

struct join {
	struct arena_chunk *arena;
	struct hash	*jobs_h;
	struct hash	*users_h;
	struct hash	*groups_h;
	struct hash	*puids_h;
	struct vec	 jobs;		/* struct join_job */
	struct vec	 users;		/* struct join_user */
	struct vec	 groups;	/* struct join_group */
	struct vec	 puids;		/* uint32_t */
	struct vec	 series[QUERY_COUNT];	/* struct join_ser */
	struct vec	 rows[FAMILY_COUNT];	/* struct join_out */
};


static struct arena_mark
arena_mark(const struct join *j)
{
	struct arena_mark m;

	m.head = j->arena;
	m.used = j->arena == NULL ? 0 : j->arena->used;
	return m;
}

/* Undoes every arena_copy() since m. */
static void
arena_release(struct join *j, struct arena_mark m)
{
	struct arena_chunk *c;

	while (j->arena != m.head) {
		c = j->arena;
		j->arena = c->next;
		free(c);
	}
	if (j->arena != NULL)
		j->arena->used = m.used;
}

/* Returns a NUL-terminated copy of s[0..n), or NULL on ERR_NOMEM. */
static const char *
arena_copy(struct join *j, const char *s, size_t n)
{
	struct arena_chunk *c = j->arena;
	char *p;
	size_t size;

	if (c == NULL || c->size - c->used < n + 1) {
		size = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->next = j->arena;
		c->used = 0;
		c->size = size;
		j->arena = c;
	}
	p = c->data + c->used;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

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

struct join *
join_new(void)
{
	struct join *j = NULL, *ret = NULL;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto out;
	if ((j->jobs_h = hash_new(0)) == NULL ||
	    (j->users_h = hash_new(0)) == NULL ||
	    (j->groups_h = hash_new(0)) == NULL ||
	    (j->puids_h = hash_new(0)) == NULL)
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
	arena_release(j, (struct arena_mark){ NULL, 0 });
	hash_free(j->jobs_h);
	hash_free(j->users_h);
	hash_free(j->groups_h);
	hash_free(j->puids_h);
	free(j->jobs.p);
	free(j->users.p);
	free(j->groups.p);
	free(j->puids.p);
	for (i = 0; i < QUERY_COUNT; i++)
		free(j->series[i].p);
	for (i = 0; i < FAMILY_COUNT; i++)
		free(j->rows[i].p);
	free(j);
}

/* An entry's strings (at most two): the caller's, then the arena copies. */
struct join_strs {
	const char	*p[2];
	size_t		 len[2];
	size_t		 n;
};

/*
 * The steps join_add_job(), join_add_user() and join_add_group() share:
 * checks the caps, copies the strings of s into the arena (s->p[i] then
 * points at the copy) and files element v->n, of size bytes, under key in
 * h.  Returns 0 with *el the new element for the caller to fill in; 0 with
 * *el NULL if key was filed already (the first entry wins, nothing is
 * kept); or ERR_TOOBIG / ERR_NOMEM with nothing added.
 */
static int
join_add_entry(struct join *j, struct vec *v, size_t size, struct hash *h,
    const unsigned char *key, size_t klen, struct join_strs *s, void **el)
{
	struct arena_mark m = arena_mark(j);
	const char *copy[2];
	uint32_t idx;
	/* One count for both loops (gcc's analyzer cannot see it fixed). */
	size_t i, n = s->n;
	int ret = -1, ins;

	*el = NULL;
	for (i = 0; i < n; i++) {
		if (s->len[i] > MAX_LABEL) {
			ret = ERR_TOOBIG;
			goto out;
		}
	}
	if (v->n >= MAX_RECORDS) {
		ret = ERR_TOOBIG;
		goto out;
	}
	if ((ret = vec_reserve(v, size)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((copy[i] = arena_copy(j, s->p[i], s->len[i])) == NULL) {
			ret = ERR_NOMEM;
			goto out;
		}
	}
	if ((ret = hash_put(h, key, klen, (uint32_t)v->n, &idx, &ins)) != 0)
		goto out;
	if (!ins)
		goto out;	/* the first entry of a key wins */
	for (i = 0; i < n; i++)
		s->p[i] = copy[i];
	*el = (char *)v->p + v->n++ * size;
	m = arena_mark(j);	/* keep the copies */
 out:
	arena_release(j, m);
	return ret;
}

int
join_add_job(struct join *j, uint64_t jobid, const char *account,
    size_t alen, const char *user, size_t ulen)
{
	struct join_strs s = { { account, user }, { alen, ulen }, 2 };
	struct join_job *job;
	unsigned char key[8];
	void *el;
	int ret;

	hash_key_u64(key, jobid);
	if ((ret = join_add_entry(j, &j->jobs, sizeof(*job), j->jobs_h, key,
	    sizeof(key), &s, &el)) != 0 || el == NULL)
		return ret;
	job = el;
	job->account = s.p[0];
	job->alen = (uint32_t)alen;
	job->user = s.p[1];
	job->ulen = (uint32_t)ulen;
	return 0;
}

int
join_add_user(struct join *j, uint32_t uid, const char *name, size_t nlen,
    uint32_t gid)
{
	struct join_strs s = { { name }, { nlen }, 1 };
	struct join_user *usr;
	unsigned char key[4];
	void *el;
	int ret;

	hash_key_u32(key, uid);
	if ((ret = join_add_entry(j, &j->users, sizeof(*usr), j->users_h, key,
	    sizeof(key), &s, &el)) != 0 || el == NULL)
		return ret;
	usr = el;
	usr->name = s.p[0];
	usr->len = (uint32_t)nlen;
	usr->gid = gid;
	return 0;
}

int
join_add_group(struct join *j, uint32_t gid, const char *name, size_t nlen)
{
	struct join_strs s = { { name }, { nlen }, 1 };
	struct join_group *grp;
	unsigned char key[4];
	void *el;
	int ret;

	hash_key_u32(key, gid);
	if ((ret = join_add_entry(j, &j->groups, sizeof(*grp), j->groups_h,
	    key, sizeof(key), &s, &el)) != 0 || el == NULL)
		return ret;
	grp = el;
	grp->name = s.p[0];
	grp->len = (uint32_t)nlen;
	return 0;
}

int
join_add_series(struct join *j, int source, const struct join_series *s)
{
	struct arena_mark m = arena_mark(j);
	struct vec *sv;
	struct join_ser *d;
	const char *proc = "", *target = "";
	size_t proc_len = 0, target_len = 0;
	unsigned char key[4];
	uint32_t idx;
	int ret = -1, ins = 0;

	if (source < 0 || source >= QUERY_COUNT || s == NULL ||
	    (s->kind != PROTO_KIND_JOB && s->kind != PROTO_KIND_PROC)) {
		ret = ERR_INVAL;
		goto out;
	}
	sv = &j->series[source];
	/* Only the fields of the series' kind and source are kept. */
	if (s->kind == PROTO_KIND_PROC)
		proc_len = s->proc_len;
	if (source == QUERY_METADATA)
		target_len = s->target_len;
	if (proc_len > MAX_LABEL || target_len > MAX_LABEL ||
	    sv->n >= MAX_RECORDS) {
		ret = ERR_TOOBIG;
		goto out;
	}
	if ((ret = vec_reserve(sv, sizeof(*d))) != 0 ||
	    (s->kind == PROTO_KIND_PROC &&
	    (ret = vec_reserve(&j->puids, sizeof(uint32_t))) != 0))
		goto out;
	if ((proc_len > 0 &&
	    (proc = arena_copy(j, s->proc, proc_len)) == NULL) ||
	    (target_len > 0 &&
	    (target = arena_copy(j, s->target, target_len)) == NULL)) {
		ret = ERR_NOMEM;
		goto out;
	}
	if (s->kind == PROTO_KIND_PROC) {
		hash_key_u32(key, s->uid);
		if ((ret = hash_put(j->puids_h, key, sizeof(key),
		    (uint32_t)j->puids.n, &idx, &ins)) != 0)
			goto out;
		if (ins)
			((uint32_t *)j->puids.p)[j->puids.n++] = s->uid;
	}
	d = (struct join_ser *)sv->p + sv->n++;
	d->kind = s->kind;
	d->jobid = s->kind == PROTO_KIND_JOB ? s->jobid : 0;
	d->uid = s->kind == PROTO_KIND_PROC ? s->uid : 0;
	d->proc = proc;
	d->proc_len = (uint32_t)proc_len;
	d->target = target;
	d->target_len = (uint32_t)target_len;
	d->value = s->value;
	m = arena_mark(j);
	ret = 0;
 out:
	arena_release(j, m);
	return ret;
}

const uint32_t *
join_proc_uids(const struct join *j, size_t *n)
{
	static const uint32_t none[1];

	*n = j->puids.n;
	return j->puids.n == 0 ? none : j->puids.p;
}

/*
 * Adds value to the row of family f with the given labels, creating it in
 * first-seen order.  The key is the labels, each as a 4-byte length and
 * its bytes: no byte of a value can be mistaken for a boundary.
 */
static int
join_sum(struct vec *rows, struct hash *h, const char *const *v,
    const uint32_t *len, size_t nl, double value)
{
	unsigned char key[FAMILY_MAX_LABELS * (4 + MAX_LABEL)];
	struct join_out *o;
	size_t i, klen = 0;
	uint32_t idx;
	int ret = -1, ins;

	for (i = 0; i < nl; i++) {
		hash_key_u32(key + klen, len[i]);
		klen += 4;
		if (len[i] > 0)
			memcpy(key + klen, v[i], len[i]);
		klen += len[i];
	}
	if ((ret = vec_reserve(rows, sizeof(*o))) != 0)
		goto out;
	if ((ret = hash_put(h, key, klen, (uint32_t)rows->n, &idx, &ins)) != 0)
		goto out;
	o = (struct join_out *)rows->p + idx;
	if (ins) {
		memset(o, 0, sizeof(*o));
		for (i = 0; i < nl; i++) {
			o->v[i] = v[i];
			o->len[i] = len[i];
		}
		rows->n++;
	}
	o->value += value;
	ret = 0;
 out:
	return ret;
}

int
join_build(struct join *j, int source, struct join_stats *st)
{
	struct join_stats s;
	struct hash *hj = NULL, *hp = NULL;
	const struct join_ser *ser;
	const struct join_job *job;
	const struct join_user *usr;
	const struct join_group *grp;
	const char *v[FAMILY_MAX_LABELS];
	uint32_t len[FAMILY_MAX_LABELS], idx;
	unsigned char key[8];
	size_t i, nl;
	int ret = -1, meta, fj, fp;

	memset(&s, 0, sizeof(s));
	if (st != NULL)
		memset(st, 0, sizeof(*st));
	if (source < 0 || source >= QUERY_COUNT) {
		ret = ERR_INVAL;
		goto out;
	}
	/* enum source_family pairs JOB_x and PROC_x per source, in order. */
	fj = source * 2;
	fp = source * 2 + 1;
	meta = source == QUERY_METADATA;
	j->rows[fj].n = 0;
	j->rows[fp].n = 0;
	if ((hj = hash_new(0)) == NULL || (hp = hash_new(0)) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}

	ser = j->series[source].p;
	for (i = 0; i < j->series[source].n; i++, ser++) {
		if (meta && !lustre_is_mdt_target(ser->target,
		    ser->target_len)) {
			s.not_mdt++;
			continue;
		}
		nl = 0;
		if (ser->kind == PROTO_KIND_JOB) {
			hash_key_u64(key, ser->jobid);
			if (hash_get(j->jobs_h, key, 8, &idx) != 0) {
				s.no_job++;
				continue;
			}
			job = (const struct join_job *)j->jobs.p + idx;
			/* account, [target,] user */
			v[nl] = job->account;
			len[nl++] = job->alen;
			if (meta) {
				v[nl] = ser->target;
				len[nl++] = ser->target_len;
			}
			v[nl] = job->user;
			len[nl++] = job->ulen;
			ret = join_sum(&j->rows[fj], hj, v, len, nl,
			    ser->value);
		} else {
			hash_key_u32(key, ser->uid);
			if (hash_get(j->users_h, key, 4, &idx) != 0) {
				s.no_user++;
				continue;
			}
			usr = (const struct join_user *)j->users.p + idx;
			hash_key_u32(key, usr->gid);
			if (hash_get(j->groups_h, key, 4, &idx) != 0) {
				s.no_group++;
				continue;
			}
			grp = (const struct join_group *)j->groups.p + idx;
			/* group_name, proc_name, [target,] user_name */
			v[nl] = grp->name;
			len[nl++] = grp->len;
			v[nl] = ser->proc;
			len[nl++] = ser->proc_len;
			if (meta) {
				v[nl] = ser->target;
				len[nl++] = ser->target_len;
			}
			v[nl] = usr->name;
			len[nl++] = usr->len;
			ret = join_sum(&j->rows[fp], hp, v, len, nl,
			    ser->value);
		}
		if (ret != 0)
			goto out;
	}
	s.rows = j->rows[fj].n + j->rows[fp].n;
	if (st != NULL)
		*st = s;
	ret = 0;
 out:
	if (ret != 0 && source >= 0 && source < QUERY_COUNT) {
		/* No half-summed families. */
		j->rows[source * 2].n = 0;
		j->rows[source * 2 + 1].n = 0;
	}
	hash_free(hj);
	hash_free(hp);
	return ret;
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
	for (k = 0; k < row->nlabels; k++) {
		row->values[k] = o->v[k];
		row->lens[k] = o->len[k];
	}
	row->value = o->value;
}
