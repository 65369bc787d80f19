/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include "gzip.h"
#include "buf.h"
#include "caps.h"
#include "err.h"

/* Raw deflate, no zlib or gzip wrapper (we write the gzip one), 32 KiB. */
#define GZIP_RAW_BITS		(-15)
#define GZIP_MEM_LEVEL		8
#define GZIP_HEADER_LEN		10
#define GZIP_TRAILER_LEN	8
/*
 * deflateBound() is for a stream that ends in Z_FINISH; a full flush adds
 * an empty stored block and the bits before it.
 */
#define GZIP_FLUSH_EXTRA	16

struct gzip_part {
	unsigned char	*bytes;	/* header and raw deflate, flushed */
	size_t		 len;
	unsigned long	 crc;	/* of the data */
	size_t		 size;	/* of the data */
};

/* A raw deflate stream at level: 0, ERR_NOMEM or ERR_INVAL. */
static int
new_stream(z_stream *z, int level)
{
	memset(z, 0, sizeof(*z));
	switch (deflateInit2(z, level, Z_DEFLATED, GZIP_RAW_BITS,
	    GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY)) {
	case Z_OK:
		return 0;
	case Z_MEM_ERROR:
		return ERR_NOMEM;
	default:
		return ERR_INVAL;
	}
}

/*
 * The fixed header: no name, no time (the same bytes for the same data),
 * XFL as zlib sets it for the level, OS "Unix".
 */
static int
put_header(struct buf *out, int level)
{
	unsigned char h[GZIP_HEADER_LEN] = {
		0x1f, 0x8b, Z_DEFLATED, 0, 0, 0, 0, 0, 0, 3,
	};

	h[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	return buf_append(out, h, sizeof(h));
}

/*
 * Deflates n bytes at data with flush (Z_FULL_FLUSH or Z_FINISH) into
 * out, asking deflateBound() for room: one deflate() call, unless zlib
 * wants more.  0, or ERR_NOMEM, ERR_TOOBIG (out's cap), ERR_INVAL.
 */
static int
deflate_into(z_stream *z, const void *data, size_t n, int flush,
    struct buf *out)
{
	char *dst;
	size_t want;
	int zr, ret;

	z->next_in = data;
	z->avail_in = (uInt)n;
	do {
		want = deflateBound(z, z->avail_in) + GZIP_FLUSH_EXTRA;
		if ((ret = buf_space(out, want, &dst)) != 0)
			return ret;
		z->next_out = (unsigned char *)dst;
		z->avail_out = (uInt)want;
		zr = deflate(z, flush);
		buf_commit(out, want - z->avail_out);
		if (zr == Z_STREAM_ERROR)
			return ERR_INVAL;
	} while (z->avail_out == 0);
	if (flush == Z_FINISH && zr != Z_STREAM_END)
		return ERR_INVAL;
	return 0;
}

/* zlib lengths are uInt; the caps keep every input far below. */
static int
check_args(size_t n, int level)
{
	if (n > MAX_EXPOSITION)
		return ERR_TOOBIG;
	if (level < 1 || level > 9)
		return ERR_INVAL;
	return 0;
}

int
gzip_part_new(const void *data, size_t len, int level,
    struct gzip_part **out)
{
	struct gzip_part *p = NULL;
	struct buf b;
	z_stream z;
	int zinit = 0, ret = -1;

	*out = NULL;
	buf_init(&b, 0);
	if ((ret = check_args(len, level)) != 0)
		goto out;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	if ((ret = new_stream(&z, level)) != 0)
		goto out;
	zinit = 1;
	/* Room for the worst case, allocated once. */
	buf_init(&b, GZIP_HEADER_LEN + deflateBound(&z, (uLong)len) +
	    GZIP_FLUSH_EXTRA);
	/* Byte-aligned and not final: a tail's deflate stream follows. */
	if ((ret = put_header(&b, level)) != 0 ||
	    (ret = deflate_into(&z, data, len, Z_FULL_FLUSH, &b)) != 0)
		goto out;
	p->crc = crc32(0, data, (uInt)len);
	p->size = len;
	/* A copy of the exact size: the room asked for is kept no longer. */
	p->len = buf_len(&b);
	if ((p->bytes = malloc(p->len)) == NULL) {
		ret = ERR_NOMEM;
		goto out;
	}
	memcpy(p->bytes, buf_ptr(&b), p->len);
	*out = p;
	p = NULL;
	ret = 0;
 out:
	if (zinit)
		(void)deflateEnd(&z);
	buf_cleanup(&b);
	gzip_part_free(p);
	return ret;
}

void
gzip_part_free(struct gzip_part *p)
{
	if (p == NULL)
		return;
	free(p->bytes);
	free(p);
}

size_t
gzip_part_size(const struct gzip_part *p)
{
	return p->len;
}

int
gzip_member(const struct gzip_part *p, const void *tail, size_t tlen,
    int level, struct buf *out)
{
	unsigned char tr[GZIP_TRAILER_LEN];
	unsigned long crc;
	size_t start = buf_len(out), total, i;
	z_stream z;
	char *dst;
	int zinit = 0, ret = -1;

	if ((ret = check_args(tlen, level)) != 0)
		goto out;
	if ((ret = new_stream(&z, level)) != 0)
		goto out;
	zinit = 1;
	/* Room for the whole member first: one allocation. */
	if ((ret = buf_space(out, (p != NULL ? p->len : GZIP_HEADER_LEN) +
	    deflateBound(&z, (uLong)tlen) + GZIP_FLUSH_EXTRA +
	    GZIP_TRAILER_LEN, &dst)) != 0)
		goto out;
	if ((ret = p != NULL ? buf_append(out, p->bytes, p->len) :
	    put_header(out, level)) != 0 ||
	    (ret = deflate_into(&z, tail, tlen, Z_FINISH, out)) != 0)
		goto out;
	crc = crc32(0, tail, (uInt)tlen);
	total = tlen;
	if (p != NULL) {
		crc = crc32_combine(p->crc, crc, (z_off_t)tlen);
		total += p->size;
	}
	/* CRC-32 and the length modulo 2^32, little-endian. */
	for (i = 0; i < 4; i++) {
		tr[i] = (unsigned char)(crc >> (8 * i));
		tr[4 + i] = (unsigned char)((uint64_t)total >> (8 * i));
	}
	ret = buf_append(out, tr, sizeof(tr));
 out:
	if (zinit)
		(void)deflateEnd(&z);
	if (ret != 0)
		buf_truncate(out, start);
	return ret;
}
