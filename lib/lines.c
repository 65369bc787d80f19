/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lines.h"
#include "buf.h"
#include "err.h"
#include "caps.h"

/*
 * _state is the scanner's state.  LINES_DROP is "inside an overlong
 * line"; the others tell lines_next() and lines_feed() what they already
 * know about pending, so that no byte is examined more than three times
 * however the stream is chunked.
 *
 *	SCAN	pending may hold complete lines: look for a newline.
 *	DROP	inside an overlong line whose newline has not come yet.
 *		Pending is empty once the line was reported, or holds its
 *		first maxline + 1 bytes (a marker) until lines_next() reports
 *		it, so the report keeps its place among the lines.
 *	CLEAN	pending holds no newline and at most maxline bytes: the
 *		start of the next line.
 *	STALE	pending holds only the line lines_next() returned last.  It
 *		is dropped on the next call: emptying the buffer at once
 *		would overwrite the first byte of the line just handed out.
 */
enum lines_state {
	LINES_SCAN = 0,
	LINES_DROP = 1,
	LINES_CLEAN = 2,
	LINES_STALE = 3,
};

/* maxline + 1 (the marker) and 2 * maxline must not wrap. */
#define LINES_MAXLINE_MAX	(SIZE_MAX / 4)

#ifdef UNIT_TESTING
static size_t lines_scanned;	/* bytes examined, for the O(n) test */
#endif

static const char *
find_nl(const char *p, size_t n)
{
	const char *nl;

	nl = memchr(p, '\n', n);
#ifdef UNIT_TESTING
	lines_scanned += nl != NULL ? (size_t)(nl - p) + 1 : n;
#endif
	return nl;
}

static void
drop_stale(struct lines *l)
{
	if (l->_state == LINES_STALE) {
		buf_reset(&l->_pending);
		l->_state = LINES_CLEAN;
	}
}

void
lines_init(struct lines *l, size_t maxline)
{
	memset(l, 0, sizeof(*l));
	if (maxline > LINES_MAXLINE_MAX)
		maxline = LINES_MAXLINE_MAX;
	l->_maxline = maxline;
	/*
	 * What is left from earlier feeds is held to 2 * maxline (checked in
	 * lines_feed); a single feed may add up to a whole command output.
	 */
	buf_init(&l->_pending, 2 * maxline + MAX_CMD_OUTPUT);
	/* Nothing pending: no newline, and a line of length 0 so far. */
	l->_state = LINES_CLEAN;
}

void
lines_cleanup(struct lines *l)
{
	buf_cleanup(&l->_pending);
	l->_state = LINES_CLEAN;
	l->_eof = 0;
}

/*
 * Works out which bytes of p[0..n) to keep, as at most two ranges
 * p[a0..a1) and p[b0..n), then appends them in one step, so a failed feed
 * changes nothing.
 */
int
lines_feed(struct lines *l, const char *p, size_t n)
{
	const char *nl;
	size_t base = 0, a0, a1, b0, k, t, total;
	char *dst = NULL;
	int state, ret = -1;

	if (l->_eof) {
		/* Bytes after lines_finish() would be lost or misplaced. */
		ret = ERR_INVAL;
		goto out;
	}
	drop_stale(l);
	/* A caller that never takes its lines must not grow us for ever. */
	if (buf_len(&l->_pending) > 2 * l->_maxline) {
		ret = ERR_TOOBIG;
		goto out;
	}
	if (n == 0) {
		ret = 0;
		goto out;
	}
	state = l->_state;
	t = buf_len(&l->_pending);
	a0 = a1 = 0;
	b0 = n;

	if (state == LINES_DROP) {
		if ((nl = find_nl(p, n)) == NULL) {
			ret = 0;	/* all of it belongs to the long line */
			goto out;
		}
		k = (size_t)(nl - p);
		if (t > 0) {
			/* Finish the marker: its newline and what follows. */
			b0 = k;
			state = LINES_SCAN;
		} else {
			/* Reported already: the rest starts a new line. */
			base = k + 1;
			state = LINES_CLEAN;
		}
	} else if (state == LINES_SCAN) {
		/* lines_next() looks for the newlines. */
		a1 = n;
	}

	if (state == LINES_CLEAN) {
		nl = find_nl(p + base, n - base);
		k = nl != NULL ? (size_t)(nl - (p + base)) : n - base;
		a0 = base;
		if (k > l->_maxline - t) {
			/* Keep maxline + 1 bytes: enough to know it is long. */
			a1 = base + (l->_maxline + 1 - t);
			if (nl != NULL) {
				b0 = base + k;
				state = LINES_SCAN;
			} else
				state = LINES_DROP;
		} else {
			a1 = n;
			if (nl != NULL)
				state = LINES_SCAN;
		}
	}

	total = (a1 - a0) + (n - b0);
	if (total > 0) {
		if ((ret = buf_space(&l->_pending, total, &dst)) != 0)
			goto out;
		if (a1 > a0)
			memcpy(dst, p + a0, a1 - a0);
		if (n > b0)
			memcpy(dst + (a1 - a0), p + b0, n - b0);
		buf_commit(&l->_pending, total);
	}
	l->_state = state;
	ret = 0;
 out:
	return ret;
}

void
lines_finish(struct lines *l)
{
	l->_eof = 1;
}

int
lines_next(struct lines *l, const char **line, size_t *len)
{
	const char *d, *nl;
	size_t n, k;
	int ret = 0;

	*line = NULL;
	*len = 0;
	drop_stale(l);
	d = buf_ptr(&l->_pending);
	n = buf_len(&l->_pending);

	if (l->_state == LINES_SCAN) {
		if ((nl = find_nl(d, n)) != NULL) {
			k = (size_t)(nl - d);
			if (k > l->_maxline) {
				buf_consume(&l->_pending, k + 1);
				ret = ERR_TOOBIG;
				goto out;
			}
			if (k + 1 == n)
				l->_state = LINES_STALE;
			else
				buf_consume(&l->_pending, k + 1);
			*line = d;
			*len = k;
			ret = 1;
			goto out;
		}
		if (n > l->_maxline) {
			/* Report now; the rest of the line is dropped. */
			buf_reset(&l->_pending);
			l->_state = LINES_DROP;
			ret = ERR_TOOBIG;
			goto out;
		}
		l->_state = LINES_CLEAN;
	}

	if (l->_state == LINES_CLEAN) {
		if (l->_eof && n > 0) {
			/* The last line had no newline. */
			l->_state = LINES_STALE;
			*line = d;
			*len = n;
			ret = 1;
		}
		goto out;
	}

	if (l->_state == LINES_DROP && n > 0) {
		/* The marker reached the front: report the long line once. */
		buf_reset(&l->_pending);
		ret = ERR_TOOBIG;
	}
 out:
	return ret;
}
