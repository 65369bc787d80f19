/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/*
 * Every allocation of buf.c goes through cmocka's allocators, so a leak or
 * an overrun of the block fails the test.  fail_at makes the n-th
 * allocation from now fail (curl "torture"), to reach the ERR_NOMEM paths.
 */
#include "alloc_fail.h"

#include "../lib/buf.c"

/*
 * Asserts the contents, the trailing NUL, and that the memory never grows
 * past what the cap allows (cap bytes plus the NUL).
 */
static void
assert_buf(const struct buf *b, const char *want, size_t wlen)
{
	const char *p = buf_ptr(b);

	assert_non_null(p);
	assert_int_equal(buf_len(b), wlen);
	if (wlen > 0)
		assert_memory_equal(p, want, wlen);
	assert_int_equal(p[wlen], '\0');
	assert_true(b->_alloc <= b->_cap + 1);
	assert_true(b->_off + b->_len < b->_alloc || b->_data == NULL);
}

#define assert_bufs(b, s)	assert_buf((b), (s), strlen(s))

static void
test_init(void **state)
{
	struct buf b;

	(void)state;
	memset(&b, 0xa5, sizeof(b));
	buf_init(&b, 100);
	assert_null(b._data);		/* no allocation yet */
	assert_int_equal(buf_cap(&b), 100);
	assert_bufs(&b, "");
	assert_string_equal(buf_ptr(&b), "");
	buf_cleanup(&b);
}

static void
test_append(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_bufs(&b, "abc");
	assert_int_equal(buf_putc(&b, 'd'), 0);
	assert_bufs(&b, "abcd");
	assert_int_equal(buf_puts(&b, "efg"), 0);
	assert_bufs(&b, "abcdefg");
	assert_int_equal(buf_puts(&b, ""), 0);
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_bufs(&b, "abcdefg");
	/* Bytes, not strings: an embedded NUL is kept and counted. */
	assert_int_equal(buf_append(&b, "h\0i", 3), 0);
	assert_buf(&b, "abcdefgh\0i", 10);
	buf_cleanup(&b);

	/* A zero-length append to a fresh buffer terminates it too. */
	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_bufs(&b, "");
	buf_cleanup(&b);
}

static void
test_growth(void **state)
{
	char chunk[100];
	struct buf b;
	size_t i;

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	buf_init(&b, 100000);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
		assert_int_equal(buf_len(&b), (i + 1) * sizeof(chunk));
		assert_int_equal(buf_ptr(&b)[buf_len(&b)], '\0');
		assert_true(b._alloc <= b._cap + 1);
	}
	for (i = 0; i < buf_len(&b); i++)
		assert_int_equal(buf_ptr(&b)[i], 'x');
	/* Full: the cap is reached exactly, one more byte is refused. */
	assert_int_equal(buf_putc(&b, 'y'), ERR_TOOBIG);
	assert_int_equal(buf_len(&b), 100000);
	buf_cleanup(&b);
}

static void
test_cap(void **state)
{
	volatile size_t huge;
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "12345", 5), 0);

	/* Refused: the buffer is exactly as before. */
	assert_int_equal(buf_append(&b, "6789", 4), ERR_TOOBIG);
	assert_bufs(&b, "12345");
	assert_int_equal(buf_puts(&b, "6789"), ERR_TOOBIG);
	assert_bufs(&b, "12345");

	/* Exactly at the cap is allowed. */
	assert_int_equal(buf_append(&b, "678", 3), 0);
	assert_bufs(&b, "12345678");
	assert_int_equal(buf_putc(&b, '9'), ERR_TOOBIG);
	assert_bufs(&b, "12345678");
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_bufs(&b, "12345678");

	/*
	 * Sizes near SIZE_MAX must not wrap around the check.  They come
	 * through a volatile: a constant would be propagated into the
	 * inlined memcpy and trip -Wstringop-overflow on a call that is
	 * refused before it gets there.
	 */
	huge = SIZE_MAX;
	assert_int_equal(buf_append(&b, "x", huge), ERR_TOOBIG);
	huge = SIZE_MAX - 7;
	assert_int_equal(buf_append(&b, "x", huge), ERR_TOOBIG);
	assert_bufs(&b, "12345678");
	buf_cleanup(&b);

	/* A single append larger than the cap on an empty buffer. */
	buf_init(&b, 8);
	assert_int_equal(buf_append(&b, "123456789", 9), ERR_TOOBIG);
	assert_null(b._data);
	assert_bufs(&b, "");
	assert_int_equal(buf_append(&b, "12345678", 8), 0);
	assert_bufs(&b, "12345678");
	buf_cleanup(&b);

	/* Cap 0: only empty appends. */
	buf_init(&b, 0);
	assert_int_equal(buf_putc(&b, 'a'), ERR_TOOBIG);
	assert_bufs(&b, "");
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_bufs(&b, "");
	buf_cleanup(&b);
}

static void
test_appendf(void **state)
{
	char big[1001], want[2048];
	struct buf b;
	int n;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(buf_appendf(&b, "%d-%s-%c", 42, "x", 'y'), 0);
	assert_bufs(&b, "42-x-y");
	assert_int_equal(buf_appendf(&b, "%s", ""), 0);
	assert_bufs(&b, "42-x-y");

	/* Longer than the 256-byte stack buffer: the second pass. */
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_appendf(&b, "[%s]%d", big, 7), 0);
	n = snprintf(want, sizeof(want), "42-x-y[%s]7", big);
	assert_true(n > 0 && (size_t)n < sizeof(want));
	assert_buf(&b, want, (size_t)n);

	/* Exactly 255 and 256 bytes: either side of the stack buffer. */
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "%.*s", 255, big), 0);
	assert_buf(&b, big, 255);
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "%.*s", 256, big), 0);
	assert_buf(&b, big, 256);
	buf_cleanup(&b);

	/* Refusals leave the buffer unchanged, small or large. */
	buf_init(&b, 300);
	assert_int_equal(buf_appendf(&b, "%s", "head"), 0);
	assert_int_equal(buf_appendf(&b, "%.*s", 297, big), ERR_TOOBIG);
	assert_bufs(&b, "head");
	assert_int_equal(buf_appendf(&b, "%s", big), ERR_TOOBIG);
	assert_bufs(&b, "head");
	/* Large but exactly filling the cap. */
	assert_int_equal(buf_appendf(&b, "%.*s", 296, big), 0);
	assert_int_equal(buf_len(&b), 300);
	assert_int_equal(buf_ptr(&b)[300], '\0');
	buf_cleanup(&b);

	buf_init(&b, 4);
	assert_int_equal(buf_appendf(&b, "%s", "hello"), ERR_TOOBIG);
	assert_bufs(&b, "");
	assert_int_equal(buf_appendf(&b, "%s", "hell"), 0);
	assert_bufs(&b, "hell");
	buf_cleanup(&b);
}

static void
test_space_commit(void **state)
{
	struct buf b;
	char *p;

	(void)state;
	buf_init(&b, 32);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_space(&b, 10, &p), 0);
	assert_non_null(p);
	assert_ptr_equal(p, buf_ptr(&b) + 2);
	memcpy(p, "cdef", 4);
	buf_commit(&b, 4);		/* fewer than asked for */
	assert_bufs(&b, "abcdef");

	/* Committing nothing changes nothing. */
	assert_int_equal(buf_space(&b, 5, &p), 0);
	buf_commit(&b, 0);
	assert_bufs(&b, "abcdef");

	/* Past the cap: refused, *out cleared, contents kept. */
	p = (char *)&b;
	assert_int_equal(buf_space(&b, 27, &p), ERR_TOOBIG);
	assert_null(p);
	assert_bufs(&b, "abcdef");

	/* Up to the cap exactly. */
	assert_int_equal(buf_space(&b, 26, &p), 0);
	memset(p, 'z', 26);
	buf_commit(&b, 26);
	assert_int_equal(buf_len(&b), 32);
	assert_int_equal(buf_ptr(&b)[32], '\0');
	assert_int_equal(buf_space(&b, 1, &p), ERR_TOOBIG);
	assert_int_equal(buf_space(&b, 0, &p), 0);
	assert_non_null(p);
	buf_cleanup(&b);
}

static void
test_consume(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "hello world"), 0);
	buf_consume(&b, 6);
	assert_bufs(&b, "world");
	buf_consume(&b, 0);
	assert_bufs(&b, "world");
	assert_int_equal(buf_puts(&b, "!"), 0);
	assert_bufs(&b, "world!");
	buf_consume(&b, 6);		/* all of it */
	assert_bufs(&b, "");
	assert_int_equal(b._off, 0);
	assert_int_equal(buf_puts(&b, "again"), 0);
	assert_bufs(&b, "again");
	buf_cleanup(&b);

	/* Consuming on a fresh buffer is harmless. */
	buf_init(&b, 8);
	buf_consume(&b, 0);
	assert_bufs(&b, "");
	buf_cleanup(&b);
}

/* The consumed prefix is room again: a full buffer can be refilled. */
static void
test_consume_reclaims(void **state)
{
	char want[17];
	struct buf b;
	char *p;
	size_t i;

	(void)state;
	buf_init(&b, 16);
	assert_int_equal(buf_puts(&b, "0123456789abcdef"), 0);
	assert_int_equal(buf_putc(&b, 'x'), ERR_TOOBIG);
	buf_consume(&b, 10);
	assert_bufs(&b, "abcdef");
	assert_int_equal(buf_puts(&b, "ghijklmnop"), 0);
	assert_bufs(&b, "abcdefghijklmnop");
	assert_int_equal(buf_putc(&b, 'q'), ERR_TOOBIG);
	assert_bufs(&b, "abcdefghijklmnop");

	/* The same through buf_space, as a read loop would do. */
	buf_consume(&b, 15);
	assert_bufs(&b, "p");
	assert_int_equal(buf_space(&b, 15, &p), 0);
	assert_ptr_equal(p, buf_ptr(&b) + 1);
	memcpy(p, "qrstuvwxyzABCDE", 15);
	buf_commit(&b, 15);
	assert_bufs(&b, "pqrstuvwxyzABCDE");

	/* A long read-and-consume loop never hits the cap nor grows. */
	for (i = 0; i < 10000; i++) {
		memset(want, 'a' + (int)(i % 26), sizeof(want));
		buf_consume(&b, (i % 16) + 1);
		assert_int_equal(buf_append(&b, want, 16 - buf_len(&b)), 0);
		assert_int_equal(buf_len(&b), 16);
		assert_int_equal(buf_ptr(&b)[16], '\0');
		assert_true(b._alloc <= 17);
	}
	buf_cleanup(&b);
}

static void
test_truncate(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	buf_truncate(&b, 0);		/* nothing allocated yet */
	assert_bufs(&b, "");
	assert_int_equal(buf_puts(&b, "hello"), 0);
	buf_truncate(&b, 10);		/* longer: no-op */
	assert_bufs(&b, "hello");
	buf_truncate(&b, 5);
	assert_bufs(&b, "hello");
	buf_truncate(&b, 3);
	assert_bufs(&b, "hel");
	assert_int_equal(buf_puts(&b, "p!"), 0);
	assert_bufs(&b, "help!");

	/* Lengths count from the current front after a consume. */
	buf_consume(&b, 2);
	assert_bufs(&b, "lp!");
	buf_truncate(&b, 2);
	assert_bufs(&b, "lp");
	buf_truncate(&b, 0);
	assert_bufs(&b, "");
	assert_int_equal(buf_puts(&b, "new"), 0);
	assert_bufs(&b, "new");
	buf_cleanup(&b);
}

static void
test_take(void **state)
{
	struct buf b;
	size_t len;
	char *s;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_puts(&b, "owned"), 0);
	len = 99;
	s = buf_take(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "owned");
	assert_int_equal(len, 5);
	/* The buffer let go of the memory: it is the caller's now. */
	assert_null(b._data);
	assert_bufs(&b, "");
	free(s);

	/* Reusable, same cap. */
	assert_int_equal(buf_cap(&b), 64);
	assert_int_equal(buf_puts(&b, "second"), 0);
	assert_bufs(&b, "second");

	/* After a consume only the rest is handed over, at the start. */
	buf_consume(&b, 3);
	s = buf_take(&b, NULL);
	assert_non_null(s);
	assert_string_equal(s, "ond");
	free(s);

	/* Empty, never allocated: "" that the caller frees, not NULL. */
	len = 99;
	s = buf_take(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);

	/* Empty after a reset (memory held): also "". */
	assert_int_equal(buf_puts(&b, "x"), 0);
	buf_reset(&b);
	s = buf_take(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	assert_bufs(&b, "");
	buf_cleanup(&b);
}

static void
test_reset(void **state)
{
	struct buf b;
	char *data;
	size_t alloc;

	(void)state;
	buf_init(&b, 1024);
	buf_reset(&b);			/* before any allocation */
	assert_bufs(&b, "");
	assert_int_equal(buf_puts(&b, "some text to hold memory"), 0);
	buf_consume(&b, 5);
	data = b._data;
	alloc = b._alloc;
	buf_reset(&b);
	assert_bufs(&b, "");
	assert_ptr_equal(b._data, data);
	assert_int_equal(b._alloc, alloc);
	assert_int_equal(b._off, 0);
	assert_int_equal(buf_cap(&b), 1024);

	/* Refilling within the old size needs no new memory. */
	fail_at = 0;
	assert_int_equal(buf_puts(&b, "refill"), 0);
	fail_at = -1;
	assert_ptr_equal(b._data, data);
	assert_bufs(&b, "refill");
	buf_cleanup(&b);
}

static void
test_cleanup(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 32);
	buf_cleanup(&b);		/* never allocated */
	assert_int_equal(buf_puts(&b, "abc"), 0);
	buf_cleanup(&b);
	assert_null(b._data);
	assert_bufs(&b, "");
	buf_cleanup(&b);		/* twice */
	assert_bufs(&b, "");
	assert_int_equal(buf_cap(&b), 32);

	/* Usable again afterwards. */
	assert_int_equal(buf_puts(&b, "def"), 0);
	assert_bufs(&b, "def");
	buf_cleanup(&b);
}

/* Allocation failures: ERR_NOMEM, and the buffer exactly as before. */
static void
test_nomem(void **state)
{
	char big[600];
	struct buf b;
	char *p;
	long k;
	int r;

	(void)state;
	buf_init(&b, 1 << 20);
	fail_at = 0;
	assert_int_equal(buf_puts(&b, "x"), ERR_NOMEM);
	assert_null(b._data);
	assert_bufs(&b, "");

	fail_at = -1;
	assert_int_equal(buf_puts(&b, "keep"), 0);
	memset(big, 'm', sizeof(big));

	fail_at = 0;
	assert_int_equal(buf_append(&b, big, sizeof(big)), ERR_NOMEM);
	assert_bufs(&b, "keep");
	fail_at = 0;
	p = (char *)&b;
	assert_int_equal(buf_space(&b, 4096, &p), ERR_NOMEM);
	assert_null(p);
	assert_bufs(&b, "keep");

	/* appendf past 256 bytes allocates twice: fail each in turn. */
	for (k = 0; k < 2; k++) {
		fail_at = k;
		assert_int_equal(buf_appendf(&b, "%.*s", 500, big), ERR_NOMEM);
		assert_bufs(&b, "keep");
	}
	fail_at = 2;
	assert_int_equal(buf_appendf(&b, "%.*s", 500, big), 0);
	fail_at = -1;
	assert_int_equal(buf_len(&b), 504);
	buf_cleanup(&b);

	/* take of a never-allocated buffer: NULL only when out of memory. */
	fail_at = 0;
	assert_null(buf_take(&b, NULL));
	fail_at = -1;

	/* Any failure point of a growing loop leaves a consistent buffer. */
	for (k = 0; k < 8; k++) {
		buf_init(&b, 1 << 20);
		fail_at = k;
		while ((r = buf_append(&b, big, sizeof(big))) == 0)
			;
		fail_at = -1;
		assert_int_equal(r, ERR_NOMEM);
		assert_int_equal(buf_len(&b) % sizeof(big), 0);
		assert_int_equal(buf_ptr(&b)[buf_len(&b)], '\0');
		buf_cleanup(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_appendf),
		cmocka_unit_test(test_space_commit),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_consume_reclaims),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_nomem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
