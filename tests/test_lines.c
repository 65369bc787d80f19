/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/lines.c"

#include "xorshift.h"

/* What lines_next() gave: a line (r == 1) or an error. */
struct ev {
	int	 r;
	char	*line;
	size_t	 len;
};

struct evlist {
	struct ev	*ev;
	size_t		 n;
	size_t		 alloc;
};

static void
ev_add(struct evlist *el, int r, const char *line, size_t len)
{
	struct ev *e;

	if (el->n == el->alloc) {
		el->alloc = el->alloc == 0 ? 64 : el->alloc * 2;
		if ((e = realloc(el->ev, el->alloc * sizeof(*e))) == NULL)
			fail_msg("out of memory");
		el->ev = e;
	}
	e = &el->ev[el->n++];
	e->r = r;
	e->len = len;
	e->line = NULL;
	if (r == 1) {
		if ((e->line = malloc(len > 0 ? len : 1)) == NULL)
			fail_msg("out of memory");
		memcpy(e->line, line, len);
	}
}

static void
ev_free(struct evlist *el)
{
	size_t i;

	for (i = 0; i < el->n; i++)
		free(el->ev[i].line);
	free(el->ev);
	memset(el, 0, sizeof(*el));
}

/* Takes every ready line. */
static void
drain(struct lines *l, struct evlist *el)
{
	const char *line;
	size_t len;
	int r;

	while ((r = lines_next(l, &line, &len)) != 0) {
		assert_true(r == 1 || r == ERR_TOOBIG);
		if (r == 1)
			assert_non_null(line);
		else {
			assert_null(line);
			assert_int_equal(len, 0);
		}
		ev_add(el, r, line, len);
	}
	assert_null(line);
	assert_int_equal(len, 0);
}

/* The contract, written the slow and obvious way. */
static void
reference(const char *s, size_t n, size_t maxline, struct evlist *el)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '\n')
			continue;
		if (i == n && start == n)
			break;
		if (i - start > maxline)
			ev_add(el, ERR_TOOBIG, NULL, 0);
		else
			ev_add(el, 1, s + start, i - start);
		start = i + 1;
	}
}

static void
ev_compare(const struct evlist *got, const struct evlist *want)
{
	size_t i;

	assert_int_equal(got->n, want->n);
	for (i = 0; i < got->n; i++) {
		assert_int_equal(got->ev[i].r, want->ev[i].r);
		assert_int_equal(got->ev[i].len, want->ev[i].len);
		if (got->ev[i].r == 1)
			assert_memory_equal(got->ev[i].line, want->ev[i].line,
			    got->ev[i].len);
	}
}

/*
 * Feeds s in chunks (chunk sizes from *seed when chunk is 0), takes the
 * lines after each feed, and checks the result against reference().
 */
static void
run_stream(const char *s, size_t n, size_t maxline, size_t chunk,
    uint64_t *seed)
{
	struct evlist got = { 0 }, want = { 0 };
	struct lines l;
	size_t off = 0, k;
	char *copy;

	lines_init(&l, maxline);
	while (off < n) {
		k = chunk != 0 ? chunk : 1 + (size_t)(xorshift(seed) %
		    (3 * maxline + 2));
		if (k > n - off)
			k = n - off;
		/* An exact-size copy: ASan sees any read past the chunk. */
		if ((copy = malloc(k)) == NULL)
			fail_msg("out of memory");
		memcpy(copy, s + off, k);
		assert_int_equal(lines_feed(&l, copy, k), 0);
		free(copy);
		off += k;
		drain(&l, &got);
	}
	lines_finish(&l);
	drain(&l, &got);
	lines_cleanup(&l);
	reference(s, n, maxline, &want);
	ev_compare(&got, &want);
	ev_free(&got);
	ev_free(&want);
}

static void
expect_line(struct lines *l, const char *want, size_t wlen)
{
	const char *line = NULL;
	size_t len = 99;

	assert_int_equal(lines_next(l, &line, &len), 1);
	assert_int_equal(len, wlen);
	assert_memory_equal(line, want, wlen);
}

static void
expect_r(struct lines *l, int want)
{
	const char *line = "x";
	size_t len = 99;

	assert_int_equal(lines_next(l, &line, &len), want);
	assert_null(line);
	assert_int_equal(len, 0);
}

static void
test_basic(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 16);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "a\nbb\n", 5), 0);
	expect_line(&l, "a", 1);
	expect_line(&l, "bb", 2);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "\n\nc", 3), 0);
	expect_line(&l, "", 0);
	expect_line(&l, "", 0);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "d\n", 2), 0);
	expect_line(&l, "cd", 2);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

/* The last line may lack its newline; it comes out after finish. */
static void
test_final_line(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 16);
	assert_int_equal(lines_feed(&l, "x\ntail", 6), 0);
	expect_line(&l, "x", 1);
	expect_r(&l, 0);
	expect_r(&l, 0);
	lines_finish(&l);
	expect_line(&l, "tail", 4);
	expect_r(&l, 0);
	expect_r(&l, 0);
	/* Nothing may be fed after the end. */
	assert_int_equal(lines_feed(&l, "y\n", 2), ERR_INVAL);
	expect_r(&l, 0);
	lines_cleanup(&l);

	/* A stream ending in a newline has no extra empty line. */
	lines_init(&l, 16);
	assert_int_equal(lines_feed(&l, "x\n", 2), 0);
	lines_finish(&l);
	expect_line(&l, "x", 1);
	expect_r(&l, 0);
	lines_cleanup(&l);

	/* Nor has an empty stream. */
	lines_init(&l, 16);
	lines_finish(&l);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

/* '\r' stays, so the parsers can refuse CRLF output. */
static void
test_crlf_kept(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 16);
	assert_int_equal(lines_feed(&l, "a\r\n\r\nb\r", 7), 0);
	expect_line(&l, "a\r", 2);
	expect_line(&l, "\r", 1);
	lines_finish(&l);
	expect_line(&l, "b\r", 2);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

static void
test_binary(void **state)
{
	static const char in[] = "a\0b\n\xff\xfe\n";
	struct lines l;

	(void)state;
	lines_init(&l, 16);
	assert_int_equal(lines_feed(&l, in, sizeof(in) - 1), 0);
	expect_line(&l, "a\0b", 3);
	expect_line(&l, "\xff\xfe", 2);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

static void
test_overlong(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 4);
	/* Exactly maxline is fine. */
	assert_int_equal(lines_feed(&l, "abcd\nabcde\nok\n", 14), 0);
	expect_line(&l, "abcd", 4);
	expect_r(&l, ERR_TOOBIG);
	expect_line(&l, "ok", 2);
	expect_r(&l, 0);

	/* Long across many feeds: reported once, skipped to its newline. */
	assert_int_equal(lines_feed(&l, "abc", 3), 0);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "de", 2), 0);
	expect_r(&l, ERR_TOOBIG);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "fghij", 5), 0);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "klmnopqrstuvwxyz", 16), 0);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "\nok2\n", 5), 0);
	expect_line(&l, "ok2", 3);
	expect_r(&l, 0);

	/* Long at the end of the stream, without a newline. */
	assert_int_equal(lines_feed(&l, "x\n123456", 8), 0);
	expect_line(&l, "x", 1);
	expect_r(&l, ERR_TOOBIG);
	expect_r(&l, 0);
	lines_finish(&l);
	expect_r(&l, 0);
	lines_cleanup(&l);

	/* Same, the long tail only seen after finish. */
	lines_init(&l, 4);
	assert_int_equal(lines_feed(&l, "12345", 5), 0);
	lines_finish(&l);
	expect_r(&l, ERR_TOOBIG);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

/* The report keeps its place between the lines around it. */
static void
test_overlong_order(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 4);
	/* Not drained between feeds: the marker waits its turn. */
	assert_int_equal(lines_feed(&l, "a\nbc", 4), 0);
	assert_int_equal(lines_feed(&l, "defg", 4), 0);
	assert_int_equal(lines_feed(&l, "hij\nz\n", 6), 0);
	expect_line(&l, "a", 1);
	expect_r(&l, ERR_TOOBIG);
	expect_line(&l, "z", 1);
	expect_r(&l, 0);
	lines_cleanup(&l);

	lines_init(&l, 4);
	assert_int_equal(lines_feed(&l, "abc", 3), 0);
	assert_int_equal(lines_feed(&l, "defgh", 5), 0);
	assert_int_equal(lines_feed(&l, "ijk", 3), 0);
	assert_int_equal(lines_feed(&l, "\nz", 2), 0);
	expect_r(&l, ERR_TOOBIG);
	expect_r(&l, 0);
	lines_finish(&l);
	expect_line(&l, "z", 1);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

/* A caller that never takes its lines is stopped, and loses nothing. */
static void
test_pending_cap(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 4);
	assert_int_equal(lines_feed(&l, "a\nb\nc\nd\ne\n", 10), 0);
	assert_int_equal(lines_feed(&l, "f\n", 2), ERR_TOOBIG);
	expect_line(&l, "a", 1);
	expect_line(&l, "b", 1);
	expect_line(&l, "c", 1);
	expect_line(&l, "d", 1);
	expect_line(&l, "e", 1);
	expect_r(&l, 0);
	assert_int_equal(lines_feed(&l, "f\n", 2), 0);
	expect_line(&l, "f", 1);
	expect_r(&l, 0);
	/* A zero-length feed is harmless. */
	assert_int_equal(lines_feed(&l, NULL, 0), 0);
	expect_r(&l, 0);
	lines_cleanup(&l);
}

/*
 * A single feed may be far larger than maxline (helpers read 16 KiB at a
 * time), as long as the lines are taken before the next feed.
 */
static void
test_large_chunks(void **state)
{
	const size_t nlines = 20000;
	struct evlist got = { 0 };
	struct lines l;
	char *s, chunk[16384];
	size_t n = 0, off, k, i;
	int w;

	(void)state;
	if ((s = malloc(nlines * 32)) == NULL)
		fail_msg("out of memory");
	for (i = 0; i < nlines; i++) {
		w = snprintf(s + n, 32, "%zu|acc_%zu|u%zu\n", 35000000 + i,
		    i % 7, i % 13);
		assert_true(w > 0 && w < 32);
		n += (size_t)w;
	}
	lines_init(&l, MAX_LINE);
	for (off = 0; off < n; off += k) {
		k = n - off < sizeof(chunk) ? n - off : sizeof(chunk);
		memcpy(chunk, s + off, k);
		assert_int_equal(lines_feed(&l, chunk, k), 0);
		drain(&l, &got);
	}
	lines_finish(&l);
	drain(&l, &got);
	assert_int_equal(got.n, nlines);
	for (i = 0; i < got.n; i++)
		assert_int_equal(got.ev[i].r, 1);
	assert_memory_equal(got.ev[nlines - 1].line, "35019999|", 9);
	ev_free(&got);
	lines_cleanup(&l);
	free(s);
}

/* Whatever the chunking, the lines are the same. */
static void
test_chunking(void **state)
{
	static const char *const streams[] = {
		"",
		"\n",
		"a",
		"a\nb",
		"abcdefgh\n",
		"abcdefghi\nabcdefgh\nabcdefghij",
		"x\n\n\nyy\r\n0123456789012345678901234567\nz",
		"12345678\n123456789\n1234567\n\n123456789",
	};
	static const size_t chunks[] = { 1, 2, 3, 5, 7, 8, 9, 16, 17, 64 };
	uint64_t seed = 1;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(streams) / sizeof(streams[0]); i++)
		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++)
			run_stream(streams[i], strlen(streams[i]), 8,
			    chunks[j], &seed);
}

/* Random streams, random chunks, small maxline: many long lines. */
static void
test_random(void **state)
{
	static const char alphabet[] = "ab\n\n\r\0\xff";
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	size_t i, j, n, maxline;
	char *s;

	(void)state;
	for (i = 0; i < 1500; i++) {
		n = (size_t)(xorshift(&seed) % 300);
		maxline = (size_t)(xorshift(&seed) % 20);
		if ((s = malloc(n > 0 ? n : 1)) == NULL)
			fail_msg("out of memory");
		for (j = 0; j < n; j++)
			s[j] = alphabet[xorshift(&seed) %
			    (sizeof(alphabet) - 1)];
		run_stream(s, n, maxline, 0, &seed);
		free(s);
	}
}

/* The captured fixtures split the same whichever way they arrive. */
static void
test_fixtures(void **state)
{
	static const char *const files[] = {
		"tests/fixtures/slurm/squeue.txt",
		"tests/fixtures/slurm/squeue-overlong.txt",
		"tests/fixtures/slurm/squeue-truncated.txt",
		"tests/fixtures/slurm/squeue-nul.txt",
		"tests/fixtures/slurm/squeue-crlf.txt",
		"tests/fixtures/accounts/passwd.txt",
		"tests/fixtures/accounts/passwd-malformed.txt",
	};
	static const size_t chunks[] = { 1, 13, 4096, 65536 };
	uint64_t seed = 3;
	char buf[16384];
	size_t i, j, n;
	FILE *f;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((f = fopen(files[i], "rb")) == NULL)
			fail_msg("cannot open %s", files[i]);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_true(n > 0 && n < sizeof(buf));
		for (j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++)
			run_stream(buf, n, MAX_LINE, chunks[j], &seed);
		run_stream(buf, n, 512, 0, &seed);
	}
}

/*
 * Every byte is examined a bounded number of times however small the
 * feeds are: a long line fed one byte at a time, and short lines.
 */
static void
test_linear(void **state)
{
	const size_t big = 200000;
	struct evlist got = { 0 };
	struct lines l;
	size_t i;

	(void)state;
	lines_init(&l, big);
	lines_scanned = 0;
	for (i = 0; i < big; i++) {
		assert_int_equal(lines_feed(&l, "a", 1), 0);
		drain(&l, &got);
	}
	assert_int_equal(lines_feed(&l, "\n", 1), 0);
	drain(&l, &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.ev[0].len, big);
	assert_true(lines_scanned <= 3 * (big + 1));
	ev_free(&got);

	/* The same for a long line that turns out too long. */
	lines_cleanup(&l);
	lines_init(&l, big / 2);
	lines_scanned = 0;
	for (i = 0; i < big; i++) {
		assert_int_equal(lines_feed(&l, "b", 1), 0);
		drain(&l, &got);
	}
	assert_int_equal(lines_feed(&l, "\nc\n", 3), 0);
	drain(&l, &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.ev[0].r, ERR_TOOBIG);
	assert_int_equal(got.ev[1].len, 1);
	assert_true(lines_scanned <= 3 * (big + 3));
	ev_free(&got);

	/* Many short lines, fed byte by byte without draining each time. */
	lines_cleanup(&l);
	lines_init(&l, 64);
	lines_scanned = 0;
	for (i = 0; i < big; i++) {
		assert_int_equal(lines_feed(&l, i % 10 == 9 ? "\n" : "x", 1),
		    0);
		if (i % 37 == 0)
			drain(&l, &got);
	}
	drain(&l, &got);
	assert_int_equal(got.n, big / 10);
	assert_true(lines_scanned <= 3 * big);
	ev_free(&got);
	lines_cleanup(&l);
}

/* Cleanup leaves the object reusable after lines_init(). */
static void
test_reuse(void **state)
{
	struct lines l;

	(void)state;
	lines_init(&l, 8);
	assert_int_equal(lines_feed(&l, "abc", 3), 0);
	lines_finish(&l);
	lines_cleanup(&l);
	lines_cleanup(&l);
	lines_init(&l, 8);
	assert_int_equal(lines_feed(&l, "x\n", 2), 0);
	expect_line(&l, "x", 1);
	lines_cleanup(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_final_line),
		cmocka_unit_test(test_crlf_kept),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_overlong_order),
		cmocka_unit_test(test_pending_cap),
		cmocka_unit_test(test_large_chunks),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
