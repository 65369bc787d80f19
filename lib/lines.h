/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LINES_H
#define LINES_H

#include <stddef.h>

#include "buf.h"

/*
 * Splits a byte stream (a command's stdout) into lines of at most maxline
 * bytes.  Feed bytes with lines_feed(), take lines with lines_next(), and
 * call lines_finish() at end of stream for a last line without newline.
 */
struct lines {
	struct buf	 _pending;
	size_t		 _maxline;
	int		 _state;	/* scanner state: see lines.c */
	int		 _eof;
};

void	lines_init(struct lines *l, size_t maxline);
void	lines_cleanup(struct lines *l);
/*
 * Returns 0, ERR_NOMEM, or ERR_TOOBIG when more than 2 * maxline bytes of
 * earlier feeds are still untaken (a caller that takes its lines after
 * every feed never sees it; one feed may be of any size).
 */
int	lines_feed(struct lines *l, const char *p, size_t n);
void	lines_finish(struct lines *l);
/*
 * Returns 1 and sets *line and *len (without newline; valid until the next
 * call) for a complete line, 0 when none is ready, or ERR_TOOBIG once for
 * a line longer than maxline, whose bytes are then skipped up to its
 * newline.
 */
int	lines_next(struct lines *l, const char **line, size_t *len);

#endif /* LINES_H */
