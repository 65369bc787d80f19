/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"
#include "buf.h"
#include "err.h"

struct sink {
	struct budget	 budget;
	struct buf	 bodies;	/* u32 length, then the body; per key */
	size_t		*offs;		/* entry -> offset in bodies */
	double		*values;	/* entry -> sum */
	uint32_t	 n;
	uint32_t	 alloc;
	size_t		 max_bytes;
};

struct sink *
sink_new(const struct proto_budget *limit, size_t max_bytes)
{
	struct sink *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (budget_init(&s->budget, limit) != 0) {
		budget_cleanup(&s->budget);
		free(s);
		return NULL;
	}
	s->max_bytes = max_bytes;
	buf_init(&s->bodies, max_bytes);
	return s;
}

void
sink_free(struct sink *s)
{
	if (s == NULL)
		return;
	budget_cleanup(&s->budget);
	buf_cleanup(&s->bodies);
	free(s->offs);
	free(s->values);
	free(s);
}

static int
sink_grow(struct sink *s)
{
	uint32_t na = s->alloc == 0 ? 256 : s->alloc * 2;
	size_t *o;
	double *v;

	/* na stays far below SIZE_MAX / 8: it counts budgeted keys. */
	if (na < s->alloc)
		return ERR_NOMEM;
	/* realloc, not reallocarray: cmocka's test allocator wraps realloc. */
	if ((o = realloc(s->offs, na * sizeof(*o))) == NULL)
		return ERR_NOMEM;
	s->offs = o;
	if ((v = realloc(s->values, na * sizeof(*v))) == NULL)
		return ERR_NOMEM;
	s->values = v;
	s->alloc = na;
	return 0;
}

int
sink_add(struct sink *s, const void *key, size_t klen, const void *body,
    size_t blen, double value)
{
	uint32_t idx, len = (uint32_t)blen;
	size_t mark = buf_len(&s->bodies);
	int r, fresh;

	if (blen > UINT32_MAX)
		return ERR_OVERFLOW;
	/* Room first, so that a refused record leaves no trace. */
	if (s->n == s->alloc && (r = sink_grow(s)) != 0)
		return r;
	if (buf_len(&s->bodies) + sizeof(len) + blen > s->max_bytes)
		return ERR_OVERFLOW;
	if ((r = budget_count(&s->budget, key, klen, &idx, &fresh)) != 0)
		return r;
	if (!fresh) {
		s->values[idx] += value;
		return 0;
	}
	if (buf_append(&s->bodies, &len, sizeof(len)) != 0 ||
	    buf_append(&s->bodies, body, blen) != 0) {
		/* Cannot happen below max_bytes; keep the sink whole anyway. */
		buf_truncate(&s->bodies, mark);
		return ERR_NOMEM;
	}
	s->offs[idx] = mark;
	s->values[idx] = value;
	s->n = idx + 1;
	return 0;
}

uint32_t
sink_records(const struct sink *s)
{
	return s->budget.records;
}

uint32_t
sink_keys(const struct sink *s)
{
	return s->n;
}

void
sink_entry(const struct sink *s, uint32_t i, const unsigned char **body,
    size_t *blen, double *value)
{
	const unsigned char *p;
	uint32_t len;

	p = (const unsigned char *)buf_ptr(&s->bodies) + s->offs[i];
	memcpy(&len, p, sizeof(len));
	*body = p + sizeof(len);
	*blen = len;
	*value = s->values[i];
}

void
sink_explain(const struct sink *s, int err, char *out, size_t outsz)
{
	if (err == ERR_OVERFLOW)
		snprintf(out, outsz, "more than %zu MiB of records, its byte "
		    "budget", s->max_bytes >> 20);
	else
		budget_explain(&s->budget, err, out, outsz);
}
