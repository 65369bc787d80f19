/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

static char empty[1];

void
buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->_cap = cap;
}

void
buf_reset(struct buf *b)
{
	b->_len = 0;
	b->_off = 0;
	if (b->_data != NULL)
		b->_data[0] = '\0';
}

void
buf_cleanup(struct buf *b)
{
	free(b->_data);
	b->_data = NULL;
	b->_len = b->_alloc = b->_off = 0;
}

void
buf_burn(struct buf *b)
{
	if (b->_data != NULL)
		explicit_bzero(b->_data, b->_alloc);
	buf_cleanup(b);
}

/* Makes room for n more bytes plus the NUL; leaves b unchanged on error. */
static int
buf_grow(struct buf *b, size_t n)
{
	size_t need, nalloc;
	char *p;

	/* Move consumed bytes out of the way before asking for memory. */
	if (b->_off > 0 && b->_len + n + 1 > b->_alloc - b->_off) {
		memmove(b->_data, b->_data + b->_off, b->_len + 1);
		b->_off = 0;
	}
	if (n > b->_cap || b->_len > b->_cap - n)
		return ERR_TOOBIG;
	need = b->_off + b->_len + n + 1;
	if (need <= b->_alloc)
		return 0;
	nalloc = b->_alloc < 64 ? 64 : b->_alloc;
	while (nalloc < need)
		nalloc = nalloc > SIZE_MAX / 2 ? need : nalloc * 2;
	/* Never allocate far beyond what the cap allows. */
	if (nalloc > b->_cap + 1 + b->_off && need <= b->_cap + 1 + b->_off)
		nalloc = b->_cap + 1 + b->_off;
	if ((p = realloc(b->_data, nalloc)) == NULL)
		return ERR_NOMEM;
	b->_data = p;
	b->_alloc = nalloc;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	int r;

	if ((r = buf_grow(b, n)) != 0)
		return r;
	if (n > 0)
		memcpy(b->_data + b->_off + b->_len, p, n);
	b->_len += n;
	b->_data[b->_off + b->_len] = '\0';
	return 0;
}

int
buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	char *big = NULL;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return ERR_INVAL;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	if ((size_t)n > b->_cap)
		return ERR_TOOBIG;
	if ((big = malloc((size_t)n + 1)) == NULL)
		return ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = buf_append(b, big, (size_t)n);
	free(big);
	return r;
}

int
buf_space(struct buf *b, size_t want, char **out)
{
	int r;

	*out = NULL;
	if ((r = buf_grow(b, want)) != 0)
		return r;
	*out = b->_data + b->_off + b->_len;
	return 0;
}

void
buf_commit(struct buf *b, size_t n)
{
	b->_len += n;
	b->_data[b->_off + b->_len] = '\0';
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (len >= b->_len)
		return;
	b->_len = len;
	b->_data[b->_off + len] = '\0';
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->_len) {
		buf_reset(b);
		return;
	}
	b->_off += n;
	b->_len -= n;
}

const char *
buf_ptr(const struct buf *b)
{
	if (b->_data == NULL)
		return empty;
	return b->_data + b->_off;
}

size_t
buf_len(const struct buf *b)
{
	return b->_len;
}

size_t
buf_cap(const struct buf *b)
{
	return b->_cap;
}

char *
buf_take(struct buf *b, size_t *lenp)
{
	char *p;

	if (lenp != NULL)
		*lenp = b->_len;
	if (b->_data == NULL)
		return strdup("");
	if (b->_off > 0)
		memmove(b->_data, b->_data + b->_off, b->_len + 1);
	p = b->_data;
	b->_data = NULL;
	b->_len = b->_alloc = b->_off = 0;
	return p;
}
