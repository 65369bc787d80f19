/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

#define BUF_WUR		__attribute__((warn_unused_result))

/*
 * A growable byte buffer with a hard cap, fixed at buf_init().  The data is
 * always followed by a NUL byte (not counted in the length), so text can be
 * handed to libc.  Fields are private: use the functions below.
 */
struct buf {
	char	*_data;
	size_t	 _len;
	size_t	 _alloc;
	size_t	 _cap;
	size_t	 _off;	/* bytes consumed from the front */
};

/* Prepares an empty buffer that may hold at most cap bytes.  No allocation. */
void	buf_init(struct buf *b, size_t cap);
/* Empties the buffer and keeps its memory. */
void	buf_reset(struct buf *b);
/* Frees the memory; the buffer is empty and usable again afterwards. */
void	buf_cleanup(struct buf *b);
/* The same, zeroing the memory first: for a buffer that held a secret. */
void	buf_burn(struct buf *b);

/*
 * Appends; on ERR_TOOBIG (cap) or ERR_NOMEM the buffer is left unchanged.
 */
int	buf_append(struct buf *b, const void *p, size_t n) BUF_WUR;
int	buf_putc(struct buf *b, char c) BUF_WUR;
int	buf_puts(struct buf *b, const char *s) BUF_WUR;
int	buf_appendf(struct buf *b, const char *fmt, ...) BUF_WUR
	    __attribute__((format(printf, 2, 3)));

/*
 * Two-step append for read(2): buf_space() makes room for want bytes and
 * returns where to write them; buf_commit() then adds the n <= want bytes
 * actually written.  Returns 0 or ERR_TOOBIG/ERR_NOMEM.
 */
int	buf_space(struct buf *b, size_t want, char **out) BUF_WUR;
void	buf_commit(struct buf *b, size_t n);

/* Shortens the contents to len bytes (len <= buf_len); undoes appends. */
void	buf_truncate(struct buf *b, size_t len);

/* Drops n bytes (n <= buf_len) from the front, cheaply. */
void	buf_consume(struct buf *b, size_t n);

/* Current contents (NUL-terminated, never NULL) and their length. */
const char	*buf_ptr(const struct buf *b);
size_t		 buf_len(const struct buf *b);
size_t		 buf_cap(const struct buf *b);

/*
 * Hands the contents to the caller (free() it) and leaves the buffer empty.
 * Returns NULL only on ERR_NOMEM; *lenp, if not NULL, receives the length.
 */
char	*buf_take(struct buf *b, size_t *lenp);

#endif /* BUF_H */
