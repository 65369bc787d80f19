/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/utf8.c"

#define R	"\xef\xbf\xbd"	/* U+FFFD */

/*
 * Reference decoder written from the definition (bit patterns, minimum
 * value per length, surrogate and U+10FFFF bounds) rather than from the
 * lead-byte table utf8.c uses, so the two can disagree when one is wrong.
 */
static size_t
ref_seqlen(const unsigned char *s, size_t n, uint32_t *cpp)
{
	unsigned char c = s[0];
	uint32_t cp, min;
	size_t len, i;

	if (c < 0x80) {
		*cpp = c;
		if (c == '\t' || c == '\n')
			return 1;
		return c >= 0x20 && c != 0x7f ? 1 : 0;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return len;
}

/* Reference sanitizer; out must hold 3 * n bytes.  Returns the length. */
static size_t
ref_sanitize(unsigned char *out, const unsigned char *s, size_t n)
{
	size_t i = 0, o = 0, k;
	uint32_t cp;

	while (i < n) {
		k = ref_seqlen(s + i, n - i, &cp);
		if (k > 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, R, 3);
			o += 3;
			i++;
		}
	}
	return o;
}

/* Sanitizes s[0..n) into a fresh buffer and compares with want. */
static void
check_sanitize(const char *s, size_t n, const char *want, size_t wantlen)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(utf8_sanitize(&b, s, n), 0);
	assert_int_equal(buf_len(&b), wantlen);
	assert_memory_equal(buf_ptr(&b), want, wantlen);
	assert_int_equal(utf8_is_clean(s, n), n == wantlen &&
	    memcmp(s, want, n) == 0);
	buf_cleanup(&b);
}

#define CHECK(in, want) \
	check_sanitize(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void
test_ascii_kept(void **state)
{
	(void)state;
	CHECK("", "");
	CHECK("hebe-MDT0002", "hebe-MDT0002");
	CHECK(" !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
	    " !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~");
	/* Tab and line feed stay: the exposition escapes line feed. */
	CHECK("a\tb\nc", "a\tb\nc");
}

static void
test_controls_replaced(void **state)
{
	(void)state;
	CHECK("a\0b", "a" R "b");
	CHECK("\x01", R);
	CHECK("\x1f", R);
	CHECK("\r\n", R "\n");
	CHECK("\b\f\v", R R R);
	CHECK("\x7f", R);
	CHECK("x\x1b[31my", "x" R "[31my");
}

static void
test_valid_multibyte_kept(void **state)
{
	(void)state;
	CHECK("\xc2\x80", "\xc2\x80");			/* U+0080, C1 */
	CHECK("\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9");
	CHECK("\xdf\xbf", "\xdf\xbf");			/* U+07FF */
	CHECK("\xe0\xa0\x80", "\xe0\xa0\x80");		/* U+0800 */
	CHECK("\xe2\x82\xac", "\xe2\x82\xac");		/* euro */
	CHECK("\xed\x9f\xbf", "\xed\x9f\xbf");		/* U+D7FF */
	CHECK("\xee\x80\x80", "\xee\x80\x80");		/* U+E000 */
	CHECK("\xef\xbf\xbd", "\xef\xbf\xbd");		/* U+FFFD */
	CHECK("\xef\xbf\xbf", "\xef\xbf\xbf");		/* U+FFFF */
	CHECK("\xf0\x90\x80\x80", "\xf0\x90\x80\x80");	/* U+10000 */
	CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* emoji */
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
}

static void
test_invalid_replaced_per_byte(void **state)
{
	(void)state;
	/* Lone continuation bytes. */
	CHECK("\x80", R);
	CHECK("a\xbf" "b", "a" R "b");
	/* Overlong forms. */
	CHECK("\xc0\x80", R R);
	CHECK("\xc1\xbf", R R);
	CHECK("\xe0\x80\x80", R R R);
	CHECK("\xe0\x9f\xbf", R R R);
	CHECK("\xf0\x80\x80\x80", R R R R);
	CHECK("\xf0\x8f\xbf\xbf", R R R R);
	/* Surrogates. */
	CHECK("\xed\xa0\x80", R R R);
	CHECK("\xed\xbf\xbf", R R R);
	CHECK("\xed\xa0\xbd\xed\xb8\x80", R R R R R R);	/* CESU-8 pair */
	/* Beyond U+10FFFF, and bytes that never appear. */
	CHECK("\xf4\x90\x80\x80", R R R R);
	CHECK("\xf5\x80\x80\x80", R R R R);
	CHECK("\xf8\x88\x80\x80\x80", R R R R R);
	CHECK("\xfe\xff", R R);
	/* Truncated sequences: each byte of the fragment is replaced. */
	CHECK("\xc3", R);
	CHECK("\xe2\x82", R R);
	CHECK("\xf0\x9f\x98", R R R);
	CHECK("\xe2\x82" "A", R R "A");
	CHECK("\xf0\x9f\x98\xe2\x82\xac", R R R "\xe2\x82\xac");
	CHECK("\xc3\xc3\xa9", R "\xc3\xa9");
}

static const unsigned char interesting[] = {
	0x00, 0x09, 0x0a, 0x1f, 0x20, 0x41, 0x7e, 0x7f, 0x80, 0x8f, 0x90,
	0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed,
	0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff,
};
#define NINTERESTING	(sizeof(interesting) / sizeof(interesting[0]))

static void
compare_with_reference(struct buf *b, const unsigned char *s, size_t n)
{
	unsigned char want[3 * 8];
	size_t wantlen;

	wantlen = ref_sanitize(want, s, n);
	buf_reset(b);
	assert_int_equal(utf8_sanitize(b, (const char *)s, n), 0);
	assert_int_equal(buf_len(b), wantlen);
	assert_memory_equal(buf_ptr(b), want, wantlen);
	assert_int_equal(utf8_is_clean((const char *)s, n),
	    wantlen == n && memcmp(want, s, n) == 0);
}

/* Every string of one and two bytes. */
static void
test_exhaustive_short(void **state)
{
	struct buf b;
	unsigned char s[2];
	unsigned int i, j;

	(void)state;
	buf_init(&b, 64);
	for (i = 0; i < 256; i++) {
		s[0] = (unsigned char)i;
		compare_with_reference(&b, s, 1);
		for (j = 0; j < 256; j++) {
			s[1] = (unsigned char)j;
			compare_with_reference(&b, s, 2);
		}
	}
	buf_cleanup(&b);
}

/* Every three- and four-byte string over the boundary bytes. */
static void
test_exhaustive_boundaries(void **state)
{
	struct buf b;
	unsigned char s[4];
	size_t i, j, k, l;

	(void)state;
	buf_init(&b, 64);
	for (i = 0; i < NINTERESTING; i++) {
		s[0] = interesting[i];
		for (j = 0; j < NINTERESTING; j++) {
			s[1] = interesting[j];
			for (k = 0; k < NINTERESTING; k++) {
				s[2] = interesting[k];
				compare_with_reference(&b, s, 3);
				for (l = 0; l < NINTERESTING; l++) {
					s[3] = interesting[l];
					compare_with_reference(&b, s, 4);
				}
			}
		}
	}
	buf_cleanup(&b);
}

/* Every code point through utf8_put(), checked by the reference decoder. */
static void
test_put_all_code_points(void **state)
{
	struct buf b;
	uint32_t cp, got;
	size_t k;

	(void)state;
	buf_init(&b, 16);
	for (cp = 0; cp <= 0x10ffff; cp++) {
		buf_reset(&b);
		assert_int_equal(utf8_put(&b, cp), 0);
		k = ref_seqlen((const unsigned char *)buf_ptr(&b),
		    buf_len(&b), &got);
		if (cp < 0x80)
			assert_int_equal(buf_len(&b), 1);
		else if (cp < 0x800)
			assert_int_equal(buf_len(&b), 2);
		else if (cp < 0x10000)
			assert_int_equal(buf_len(&b), 3);
		else
			assert_int_equal(buf_len(&b), 4);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			assert_memory_equal(buf_ptr(&b), R, 3);
			continue;
		}
		if (cp >= 0x20 && cp != 0x7f) {
			assert_int_equal(k, buf_len(&b));
			assert_int_equal(got, cp);
		} else
			assert_int_equal((unsigned char)buf_ptr(&b)[0], cp);
	}
	buf_cleanup(&b);
}

static void
test_put_edges(void **state)
{
	static const struct {
		uint32_t	 cp;
		const char	*want;
	} t[] = {
		{ 0x41, "A" },
		{ 0x7f, "\x7f" },
		{ 0x80, "\xc2\x80" },
		{ 0x7ff, "\xdf\xbf" },
		{ 0x800, "\xe0\xa0\x80" },
		{ 0x20ac, "\xe2\x82\xac" },
		{ 0xd7ff, "\xed\x9f\xbf" },
		{ 0xd800, R },
		{ 0xdbff, R },
		{ 0xdc00, R },
		{ 0xdfff, R },
		{ 0xe000, "\xee\x80\x80" },
		{ 0xffff, "\xef\xbf\xbf" },
		{ 0x10000, "\xf0\x90\x80\x80" },
		{ 0x1f600, "\xf0\x9f\x98\x80" },
		{ 0x10ffff, "\xf4\x8f\xbf\xbf" },
		{ 0x110000, R },
		{ 0x7fffffff, R },
		{ 0xffffffff, R },
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 16);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		assert_int_equal(utf8_put(&b, t[i].cp), 0);
		assert_int_equal(buf_len(&b), strlen(t[i].want));
		assert_memory_equal(buf_ptr(&b), t[i].want, buf_len(&b));
	}
	/* NUL is a code point too; the caller sanitizes afterwards. */
	buf_reset(&b);
	assert_int_equal(utf8_put(&b, 0), 0);
	assert_int_equal(buf_len(&b), 1);
	assert_int_equal(buf_ptr(&b)[0], '\0');
	buf_cleanup(&b);
}

/* Deterministic pseudo-random strings, biased towards the hard bytes. */
static void
test_random_against_reference(void **state)
{
	struct buf b;
	unsigned char s[8];
	uint32_t x = 2463534242u;
	size_t n, i, round;

	(void)state;
	buf_init(&b, 64);
	for (round = 0; round < 200000; round++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		n = 1 + x % 8;
		for (i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			s[i] = x & 1 ? interesting[(x >> 1) % NINTERESTING] :
			    (unsigned char)(x >> 8);
		}
		compare_with_reference(&b, s, n);
	}
	buf_cleanup(&b);
}

static void
test_appends_and_caps(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	/* Appends after what is there. */
	assert_int_equal(utf8_sanitize(&b, "c\x01", 2), 0);
	assert_int_equal(buf_len(&b), 6);
	assert_memory_equal(buf_ptr(&b), "abc" R, 6);
	/* Two more bytes fit the cap exactly ... */
	assert_int_equal(utf8_sanitize(&b, "de", 2), 0);
	assert_int_equal(buf_len(&b), 8);
	/* ... and nothing more, clean or not; out stays as it was. */
	assert_int_equal(utf8_sanitize(&b, "f", 1), ERR_TOOBIG);
	assert_int_equal(utf8_put(&b, 'f'), ERR_TOOBIG);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "abcdef"), 0);
	/* 2 input bytes, but the replacement needs 4 output bytes. */
	assert_int_equal(utf8_sanitize(&b, "g\x80", 2), ERR_TOOBIG);
	assert_int_equal(buf_len(&b), 6);
	assert_string_equal(buf_ptr(&b), "abcdef");
	assert_int_equal(utf8_put(&b, 0x20ac), ERR_TOOBIG);
	assert_int_equal(buf_len(&b), 6);
	assert_int_equal(utf8_put(&b, 0xe9), 0);
	assert_int_equal(buf_len(&b), 8);
	/* Nothing to append is not an error, even at the cap. */
	assert_int_equal(utf8_sanitize(&b, "", 0), 0);
	assert_int_equal(buf_len(&b), 8);
	buf_cleanup(&b);
}

static void
test_is_clean(void **state)
{
	(void)state;
	assert_int_equal(utf8_is_clean("", 0), 1);
	assert_int_equal(utf8_is_clean("35044931", 8), 1);
	assert_int_equal(utf8_is_clean("a\tb\n", 4), 1);
	assert_int_equal(utf8_is_clean("\xc3\xa9", 2), 1);
	/* The length is what counts, not a NUL terminator. */
	assert_int_equal(utf8_is_clean("\xc3\xa9", 1), 0);
	assert_int_equal(utf8_is_clean("a\0", 2), 0);
	assert_int_equal(utf8_is_clean("\r", 1), 0);
	assert_int_equal(utf8_is_clean("\x7f", 1), 0);
	assert_int_equal(utf8_is_clean("\xed\xa0\x80", 3), 0);
	assert_int_equal(utf8_is_clean("\xf4\x90\x80\x80", 4), 0);
}

static void
test_cut_edges(void **state)
{
	/* a, e-acute (2 bytes), euro sign (3), U+1F600 (4), b */
	static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "b";
	static const size_t want[] = {
		0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11,
	};
	size_t max;

	(void)state;
	/* Every max over a text of 1-, 2-, 3- and 4-byte characters. */
	for (max = 0; max <= 11; max++)
		assert_int_equal(utf8_cut(s, 11, max), want[max]);
	/* Room for all: n as it is, even when n ends inside a character. */
	assert_int_equal(utf8_cut(s, 11, 100), 11);
	assert_int_equal(utf8_cut(s, 2, 5), 2);
	assert_int_equal(utf8_cut("", 0, 0), 0);
	assert_int_equal(utf8_cut("abc", 3, 0), 0);
	/* No boundary at or below max: nothing is kept. */
	assert_int_equal(utf8_cut("\x80\x80\x80", 3, 2), 0);
	/*
	 * Only the byte after the cut is looked at, so a lone lead byte
	 * before it stays: the text is meant to be sanitized already.
	 */
	assert_int_equal(utf8_cut("ab\xc3" "cd", 5, 3), 3);
	/* Only bytes up to s[max] are read: the tail may be anything. */
	assert_int_equal(utf8_cut("ab\xc3\xa9\x80\x80", 6, 2), 2);
}

/* Against a reference: cut after sanitizing random bytes. */
static void
test_cut_sanitized(void **state)
{
	struct buf b;
	unsigned char s[8];
	const unsigned char *p;
	uint32_t x = 88172645u;
	size_t n, i, k, max, round, want;

	(void)state;
	buf_init(&b, 64);
	for (round = 0; round < 50000; round++) {
		n = 0;
		while (n < sizeof(s)) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			s[n++] = x & 1 ? interesting[(x >> 1) % NINTERESTING] :
			    (unsigned char)(x >> 8);
		}
		buf_reset(&b);
		assert_int_equal(utf8_sanitize(&b, (const char *)s, n), 0);
		p = (const unsigned char *)buf_ptr(&b);
		for (max = 0; max <= buf_len(&b); max++) {
			/* The last character start at or before max. */
			want = 0;
			for (i = 0; i < buf_len(&b) && i <= max; i += k) {
				k = utf8_seqlen(p + i, buf_len(&b) - i);
				assert_true(k > 0);
				if (i + k <= max)
					want = i + k;
			}
			assert_int_equal(utf8_cut(buf_ptr(&b), buf_len(&b),
			    max), want);
		}
	}
	buf_cleanup(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii_kept),
		cmocka_unit_test(test_controls_replaced),
		cmocka_unit_test(test_valid_multibyte_kept),
		cmocka_unit_test(test_invalid_replaced_per_byte),
		cmocka_unit_test(test_exhaustive_short),
		cmocka_unit_test(test_exhaustive_boundaries),
		cmocka_unit_test(test_put_all_code_points),
		cmocka_unit_test(test_put_edges),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_appends_and_caps),
		cmocka_unit_test(test_is_clean),
		cmocka_unit_test(test_cut_edges),
		cmocka_unit_test(test_cut_sanitized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
