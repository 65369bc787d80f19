/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "err.h"
#include "caps.h"
#include "query.h"
#include "utf8.h"

/* Encoding: pieces are appended, and the frame is cut back on any error. */

static int
put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

static int
put_u32(struct buf *b, uint32_t v)
{
	unsigned char p[4];

	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
	return buf_append(b, p, sizeof(p));
}

static int
put_u64(struct buf *b, uint64_t v)
{
	int r;

	if ((r = put_u32(b, (uint32_t)(v >> 32))) != 0 ||
	    (r = put_u32(b, (uint32_t)v)) != 0)
		return r;
	return 0;
}

static int
put_f64(struct buf *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return put_u64(b, v);
}

static int
put_str(struct buf *b, const char *s, size_t n, size_t max)
{
	int r;

	if (n > max)
		return ERR_TOOBIG;
	if (n > 0 && memchr(s, '\0', n) != NULL)
		return ERR_NUL;
	if ((r = put_u32(b, (uint32_t)n)) != 0)
		return r;
	return buf_append(b, s, n);
}

/*
 * Text for LOG and END reasons is cut to MAX_LOG_MSG at a character
 * boundary: a long message is worth sending in part.
 */
static size_t
text_len(const char *s)
{
	size_t n = s == NULL ? 0 : strnlen(s, MAX_LOG_MSG + 1);

	return utf8_cut(s, n, MAX_LOG_MSG);
}

/* Starts a frame: a length placeholder and the type. */
static int
frame_begin(struct buf *b, uint8_t type, size_t *start)
{
	int r;

	*start = buf_len(b);
	if ((r = put_u32(b, 0)) != 0 || (r = put_u8(b, type)) != 0) {
		buf_truncate(b, *start);
		return r;
	}
	return 0;
}

/*
 * Fills in the length, or undoes the frame if r is an error or it is
 * above max.
 */
static int
frame_end_max(struct buf *b, size_t start, int r, size_t max)
{
	size_t len;
	unsigned char *p;

	if (r == 0) {
		len = buf_len(b) - start - 4;
		if (len > max)
			r = ERR_TOOBIG;
	}
	if (r != 0) {
		buf_truncate(b, start);
		return r;
	}
	/* buf_ptr is const for readers; the frame bytes are ours. */
	p = (unsigned char *)(uintptr_t)buf_ptr(b) + start;
	p[0] = (unsigned char)(len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	return 0;
}

/* A record's frame: at most PROTO_MAX_FRAME. */
static int
frame_end(struct buf *b, size_t start, int r)
{
	return frame_end_max(b, start, r, PROTO_MAX_FRAME);
}

int
proto_put_query(struct buf *out, uint32_t deadline_ms,
    const struct proto_budget *budget, const void *client, size_t clen)
{
	size_t start;
	int r;

	if (budget == NULL || clen > UPCLIENT_MAX)
		return budget == NULL ? ERR_INVAL : ERR_TOOBIG;
	if ((r = frame_begin(out, PROTO_REQ_QUERY, &start)) != 0)
		return r;
	if ((r = put_u32(out, deadline_ms)) == 0 &&
	    (r = put_u32(out, budget->max_records)) == 0 &&
	    (r = put_u32(out, budget->max_keys)) == 0 &&
	    (r = put_u32(out, (uint32_t)clen)) == 0 && clen > 0)
		r = buf_append(out, client, clen);
	return frame_end_max(out, start, r, PROTO_MAX_REQUEST);
}

int
proto_put_req(struct buf *out, uint8_t type, uint32_t deadline_ms,
    const struct proto_budget *budget, const uint32_t *ids, uint32_t nids)
{
	size_t start;
	uint32_t i;
	int r;

	if (type < PROTO_REQ_JOBS || type > PROTO_REQ_FAULT)
		return ERR_TYPE;
	/* A query without client settings: as before the settings. */
	if (type == PROTO_REQ_QUERY)
		return proto_put_query(out, deadline_ms, budget, NULL, 0);
	if ((r = frame_begin(out, type, &start)) != 0)
		return r;
	r = put_u32(out, deadline_ms);
	if (r == 0 && type == PROTO_REQ_JOBS) {
		if (budget == NULL)
			r = ERR_INVAL;
		if (r == 0)
			r = put_u32(out, budget->max_records);
		if (r == 0)
			r = put_u32(out, budget->max_keys);
	}
	if (r == 0 && (type == PROTO_REQ_USERS || type == PROTO_REQ_GROUPS)) {
		if ((size_t)nids > (PROTO_MAX_FRAME - 16) / 4)
			r = ERR_TOOBIG;
		if (r == 0)
			r = put_u32(out, nids);
		for (i = 0; r == 0 && i < nids; i++)
			r = put_u32(out, ids[i]);
	}
	return frame_end(out, start, r);
}

int
proto_put_log(struct buf *out, int level, const char *msg)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_LOG, &start)) != 0)
		return r;
	if ((r = put_u8(out, (uint8_t)level)) == 0)
		r = put_str(out, msg, text_len(msg), MAX_LOG_MSG);
	return frame_end(out, start, r);
}

int
proto_put_procstat(struct buf *out, const struct proto_procstat *p)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_PROCSTAT, &start)) != 0)
		return r;
	if ((r = put_f64(out, p->cpu_seconds)) != 0 ||
	    (r = put_f64(out, p->resident_bytes)) != 0 ||
	    (r = put_f64(out, p->virtual_bytes)) != 0 ||
	    (r = put_f64(out, p->open_fds)) != 0 ||
	    (r = put_f64(out, p->max_fds)) != 0)
		return frame_end(out, start, r);
	r = put_f64(out, p->start_time_seconds);
	return frame_end(out, start, r);
}

int
proto_put_end(struct buf *out, int status, uint32_t records,
    uint64_t elapsed_us, const char *reason)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_END, &start)) != 0)
		return r;
	if ((r = put_u8(out, (uint8_t)status)) != 0 ||
	    (r = put_u32(out, records)) != 0 ||
	    (r = put_u64(out, elapsed_us)) != 0 ||
	    (r = put_str(out, reason, text_len(reason), MAX_LOG_MSG)) != 0)
		goto out;
out:
	return frame_end(out, start, r);
}

int
proto_put_job(struct buf *out, uint64_t jobid, const char *account,
    size_t alen, const char *user, size_t ulen)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_JOB, &start)) != 0)
		return r;
	if ((r = put_u64(out, jobid)) != 0 ||
	    (r = put_str(out, account, alen, MAX_LABEL)) != 0 ||
	    (r = put_str(out, user, ulen, MAX_LABEL)) != 0)
		goto out;
out:
	return frame_end(out, start, r);
}

int
proto_put_user(struct buf *out, uint32_t uid, const char *name, size_t nlen,
    uint32_t gid)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_USER, &start)) != 0)
		return r;
	if ((r = put_u32(out, uid)) != 0 ||
	    (r = put_str(out, name, nlen, MAX_LABEL)) != 0 ||
	    (r = put_u32(out, gid)) != 0)
		goto out;
out:
	return frame_end(out, start, r);
}

int
proto_put_group(struct buf *out, uint32_t gid, const char *name, size_t nlen)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_GROUP, &start)) != 0)
		return r;
	if ((r = put_u32(out, gid)) != 0 ||
	    (r = put_str(out, name, nlen, MAX_LABEL)) != 0)
		goto out;
out:
	return frame_end(out, start, r);
}

int
proto_put_series(struct buf *out, const struct proto_series *s)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_SERIES, &start)) != 0)
		return r;
	if ((r = put_u8(out, s->source)) != 0 ||
	    (r = put_u8(out, s->kind)) != 0 ||
	    (r = put_u64(out, s->jobid)) != 0 ||
	    (r = put_u32(out, s->uid)) != 0 ||
	    (r = put_str(out, s->proc.p, s->proc.len, MAX_LABEL)) != 0 ||
	    (r = put_str(out, s->target.p, s->target.len, MAX_LABEL)) != 0 ||
	    (r = put_f64(out, s->value)) != 0)
		goto out;
out:
	return frame_end(out, start, r);
}

int
proto_put_source_end(struct buf *out, const struct proto_source_end *e)
{
	size_t start;
	int r;

	if ((r = frame_begin(out, PROTO_SOURCE_END, &start)) != 0)
		return r;
	if ((r = put_u8(out, e->source)) != 0 ||
	    (r = put_u8(out, e->status)) != 0 ||
	    (r = put_u32(out, e->series)) != 0 ||
	    (r = put_u32(out, e->dropped)) != 0 ||
	    (r = put_u64(out, e->elapsed_us)) != 0 ||
	    (r = put_str(out, e->reason.p, e->reason.len, MAX_LOG_MSG)) != 0)
		goto out;
out:
	return frame_end(out, start, r);
}

size_t
proto_frame_size(size_t bodylen)
{
	return 5 + bodylen;
}

int
proto_next(const struct buf *in, uint8_t *type, const unsigned char **body,
    size_t *len)
{
	return proto_next_max(in, PROTO_MAX_FRAME, type, body, len);
}

int
proto_next_max(const struct buf *in, size_t max, uint8_t *type,
    const unsigned char **body, size_t *len)
{
	const unsigned char *p = (const unsigned char *)buf_ptr(in);
	size_t have = buf_len(in);
	uint32_t flen;

	*type = 0;
	*body = NULL;
	*len = 0;
	if (have < 4)
		return 0;
	flen = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	/* Checked before the caller buffers any more of it. */
	if (flen == 0)
		return ERR_INVAL;
	if (flen > max)
		return ERR_TOOBIG;
	if (have - 4 < flen)
		return 0;
	*type = p[4];
	*body = p + 5;
	*len = flen - 1;
	return 1;
}

/* Decoding: a cursor over one body, in the manner of the sshbuf getters. */
struct cur {
	const unsigned char	*p;
	size_t			 left;
};

static int
get_u8(struct cur *c, uint8_t *v)
{
	if (c->left < 1)
		return ERR_TRUNCATED;
	*v = c->p[0];
	c->p++;
	c->left--;
	return 0;
}

static int
get_u32(struct cur *c, uint32_t *v)
{
	if (c->left < 4)
		return ERR_TRUNCATED;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	    (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->left -= 4;
	return 0;
}

static int
get_u64(struct cur *c, uint64_t *v)
{
	uint32_t hi, lo;
	int r;

	if ((r = get_u32(c, &hi)) != 0 || (r = get_u32(c, &lo)) != 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static int
get_f64(struct cur *c, double *d)
{
	uint64_t v;
	int r;

	if ((r = get_u64(c, &v)) != 0)
		return r;
	memcpy(d, &v, sizeof(*d));
	return 0;
}

static int
get_str(struct cur *c, struct proto_str *s, size_t max)
{
	uint32_t n;
	int r;

	if ((r = get_u32(c, &n)) != 0)
		return r;
	if (n > max)
		return ERR_TOOBIG;
	if (c->left < n)
		return ERR_TRUNCATED;
	if (n > 0 && memchr(c->p, '\0', n) != NULL)
		return ERR_NUL;
	if (!utf8_is_clean((const char *)c->p, n))
		return ERR_UTF8;
	s->p = (const char *)c->p;
	s->len = n;
	c->p += n;
	c->left -= n;
	return 0;
}

static int
get_done(const struct cur *c, int r)
{
	if (r == 0 && c->left != 0)
		return ERR_TRAILING;
	return r;
}

/* A QUERY's client settings: u32 length, then the bytes (upclient.h). */
static int
get_client(struct cur *c, struct proto_req *req)
{
	uint32_t n;
	int r;

	if ((r = get_u32(c, &n)) != 0)
		return r;
	if (n > UPCLIENT_MAX)
		return ERR_TOOBIG;
	if (c->left < n)
		return ERR_TRUNCATED;
	req->client = c->p;
	req->clen = n;
	c->p += n;
	c->left -= n;
	return 0;
}

int
proto_get_req(uint8_t type, const unsigned char *body, size_t len,
    struct proto_req *req)
{
	struct cur c = { body, len };
	int r;

	memset(req, 0, sizeof(*req));
	switch (type) {
	case PROTO_REQ_JOBS:
	case PROTO_REQ_QUERY:
		if ((r = get_u32(&c, &req->deadline_ms)) != 0 ||
		    (r = get_u32(&c, &req->budget.max_records)) != 0 ||
		    (r = get_u32(&c, &req->budget.max_keys)) != 0)
			break;
		if (req->budget.max_records == 0 || req->budget.max_keys == 0) {
			r = ERR_RANGE;
			break;
		}
		if (type == PROTO_REQ_QUERY)
			r = get_client(&c, req);
		break;
	case PROTO_REQ_FAULT:
		r = get_u32(&c, &req->deadline_ms);
		break;
	case PROTO_REQ_USERS:
	case PROTO_REQ_GROUPS:
		if ((r = get_u32(&c, &req->deadline_ms)) != 0 ||
		    (r = get_u32(&c, &req->nids)) != 0)
			break;
		if (c.left / 4 != req->nids || c.left % 4 != 0) {
			r = c.left / 4 < req->nids ? ERR_TRUNCATED :
			    ERR_TRAILING;
			break;
		}
		req->ids = c.p;
		c.p += c.left;
		c.left = 0;
		break;
	default:
		r = ERR_TYPE;
		break;
	}
	if ((r = get_done(&c, r)) != 0) {
		memset(req, 0, sizeof(*req));
		return r;
	}
	req->type = type;
	return 0;
}

static size_t
key_be(unsigned char *p, uint64_t v, int nbytes)
{
	int i;

	for (i = 0; i < nbytes; i++)
		p[i] = (unsigned char)(v >> (8 * (nbytes - 1 - i)));
	return (size_t)nbytes;
}

size_t
proto_series_key(const struct proto_series *s, unsigned char *key)
{
	size_t n = 0, plen, tlen;

	/* Decoded records hold at most MAX_LABEL; callers' may not. */
	plen = s->proc.len > MAX_LABEL ? MAX_LABEL : s->proc.len;
	tlen = s->target.len > MAX_LABEL ? MAX_LABEL : s->target.len;
	key[n++] = s->kind;
	if (s->kind == PROTO_KIND_JOB)
		n += key_be(key + n, s->jobid, 8);
	else {
		n += key_be(key + n, s->uid, 4);
		/* The length keeps "ab"+"c" apart from "a"+"bc". */
		n += key_be(key + n, plen, 4);
		memcpy(key + n, s->proc.p, plen);
		n += plen;
	}
	if (tlen > 0)
		memcpy(key + n, s->target.p, tlen);
	return n + tlen;
}

uint32_t
proto_req_id(const struct proto_req *req, uint32_t i)
{
	const unsigned char *p = req->ids + (size_t)i * 4;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

int
proto_get_log(const unsigned char *body, size_t len, struct proto_log *l)
{
	struct cur c = { body, len };
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = get_u8(&c, &l->level)) == 0 &&
	    (r = get_str(&c, &l->msg, MAX_LOG_MSG)) == 0 &&
	    l->level > 4)
		r = ERR_RANGE;
	if ((r = get_done(&c, r)) != 0)
		memset(l, 0, sizeof(*l));
	return r;
}

int
proto_get_procstat(const unsigned char *body, size_t len,
    struct proto_procstat *p)
{
	struct cur c = { body, len };
	double *v[6];
	size_t i;
	int r = 0;

	memset(p, 0, sizeof(*p));
	v[0] = &p->cpu_seconds;
	v[1] = &p->resident_bytes;
	v[2] = &p->virtual_bytes;
	v[3] = &p->open_fds;
	v[4] = &p->max_fds;
	v[5] = &p->start_time_seconds;
	for (i = 0; i < 6 && r == 0; i++)
		if ((r = get_f64(&c, v[i])) == 0 &&
		    (!isfinite(*v[i]) || *v[i] < 0))
			r = ERR_RANGE;
	if ((r = get_done(&c, r)) != 0)
		memset(p, 0, sizeof(*p));
	return r;
}

int
proto_get_end(const unsigned char *body, size_t len, struct proto_end *e)
{
	struct cur c = { body, len };
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = get_u8(&c, &e->status)) != 0 ||
	    (r = get_u32(&c, &e->records)) != 0 ||
	    (r = get_u64(&c, &e->elapsed_us)) != 0 ||
	    (r = get_str(&c, &e->reason, MAX_LOG_MSG)) != 0)
		goto out;
out:
	if ((r = get_done(&c, r)) != 0)
		memset(e, 0, sizeof(*e));
	return r;
}

int
proto_get_job(const unsigned char *body, size_t len, struct proto_job *j)
{
	struct cur c = { body, len };
	int r;

	memset(j, 0, sizeof(*j));
	if ((r = get_u64(&c, &j->jobid)) != 0 ||
	    (r = get_str(&c, &j->account, MAX_LABEL)) != 0 ||
	    (r = get_str(&c, &j->user, MAX_LABEL)) != 0)
		goto out;
out:
	if ((r = get_done(&c, r)) != 0)
		memset(j, 0, sizeof(*j));
	return r;
}

int
proto_get_user(const unsigned char *body, size_t len, struct proto_user *u)
{
	struct cur c = { body, len };
	int r;

	memset(u, 0, sizeof(*u));
	if ((r = get_u32(&c, &u->uid)) != 0 ||
	    (r = get_str(&c, &u->name, MAX_LABEL)) != 0 ||
	    (r = get_u32(&c, &u->gid)) != 0)
		goto out;
out:
	if ((r = get_done(&c, r)) != 0)
		memset(u, 0, sizeof(*u));
	return r;
}

int
proto_get_group(const unsigned char *body, size_t len, struct proto_group *g)
{
	struct cur c = { body, len };
	int r;

	memset(g, 0, sizeof(*g));
	if ((r = get_u32(&c, &g->gid)) != 0 ||
	    (r = get_str(&c, &g->name, MAX_LABEL)) != 0)
		goto out;
out:
	if ((r = get_done(&c, r)) != 0)
		memset(g, 0, sizeof(*g));
	return r;
}

int
proto_get_series(const unsigned char *body, size_t len, struct proto_series *s)
{
	struct cur c = { body, len };
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = get_u8(&c, &s->source)) != 0 ||
	    (r = get_u8(&c, &s->kind)) != 0 ||
	    (r = get_u64(&c, &s->jobid)) != 0 ||
	    (r = get_u32(&c, &s->uid)) != 0 ||
	    (r = get_str(&c, &s->proc, MAX_LABEL)) != 0 ||
	    (r = get_str(&c, &s->target, MAX_LABEL)) != 0 ||
	    (r = get_f64(&c, &s->value)) != 0)
		goto out;
out:
	if (r == 0 && s->source >= QUERY_COUNT)
		r = ERR_RANGE;
	if (r == 0 && s->kind != PROTO_KIND_JOB && s->kind != PROTO_KIND_PROC)
		r = ERR_RANGE;
	if ((r = get_done(&c, r)) != 0)
		memset(s, 0, sizeof(*s));
	return r;
}

int
proto_get_source_end(const unsigned char *body, size_t len,
    struct proto_source_end *e)
{
	struct cur c = { body, len };
	int r;

	memset(e, 0, sizeof(*e));
	if ((r = get_u8(&c, &e->source)) != 0 ||
	    (r = get_u8(&c, &e->status)) != 0 ||
	    (r = get_u32(&c, &e->series)) != 0 ||
	    (r = get_u32(&c, &e->dropped)) != 0 ||
	    (r = get_u64(&c, &e->elapsed_us)) != 0 ||
	    (r = get_str(&c, &e->reason, MAX_LOG_MSG)) != 0)
		goto out;
out:
	if (r == 0 && e->source >= QUERY_COUNT)
		r = ERR_RANGE;
	if ((r = get_done(&c, r)) != 0)
		memset(e, 0, sizeof(*e));
	return r;
}

int
proto_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			/* A signal may interrupt a write to a full pipe. */
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? ERR_EOF : ERR_SYSTEM;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}
