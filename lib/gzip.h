/* SPDX-License-Identifier: Apache-2.0 */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>

struct buf;
struct gzip_part;

/*
 * gzip (RFC 1952) of answers that share a first part: the shared part is
 * compressed once, each answer appends its own tail to it, and every
 * answer is one valid gzip member.  The shared part is the gzip header
 * and a raw deflate stream that ends in a full flush (byte-aligned, no
 * final block); an answer is those bytes, its tail as a fresh raw deflate
 * stream ending in the final block, and the trailer: the CRC-32 of both,
 * combined, and the total length.  Levels are zlib's, 1 to 9.
 */

/*
 * Compresses len bytes at data (data may be NULL when len is 0) into
 * *out, which the caller frees with gzip_part_free().  The part is not
 * changed afterwards: threads may share it.  0, or ERR_NOMEM, ERR_INVAL
 * (level), ERR_TOOBIG (len beyond MAX_EXPOSITION, which keeps zlib's
 * 32-bit lengths whole), with *out NULL.
 */
int	gzip_part_new(const void *data, size_t len, int level,
	    struct gzip_part **out);
/* Frees p; NULL is fine. */
void	gzip_part_free(struct gzip_part *p);
/* Bytes of p's compressed form (header included). */
size_t	gzip_part_size(const struct gzip_part *p);

/*
 * Appends to out one gzip member whose content is p's data followed by
 * tlen bytes at tail: p's bytes (a bare header when p is NULL), the tail
 * compressed at level, and the trailer.  0, or ERR_NOMEM, ERR_TOOBIG (the
 * cap of out, or tlen beyond MAX_EXPOSITION), ERR_INVAL (level), with out
 * as it was.
 */
int	gzip_member(const struct gzip_part *p, const void *tail, size_t tlen,
	    int level, struct buf *out);

#endif /* GZIP_H */
