/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * With UNIT_TESTING, cmocka.h turns malloc and free into its own checked
 * versions (json.c gets them too, so its leaks fail the test).  Their guard
 * bytes hide overreads from ASan, so the prefix test allocates here, before
 * the macros exist.
 */
static void *
raw_malloc(size_t n)
{
	return malloc(n > 0 ? n : 1);
}

static void
raw_free(void *p)
{
	free(p);
}

#include <cmocka.h>

#include "../lib/json.c"

/* Tests run from the top of the tree (make check-unit). */
#ifndef FIXTURES
#define FIXTURES	"tests/fixtures/promql/"
#endif

#define R	"\xef\xbf\xbd"	/* U+FFFD */
#define MAXREC	64

#define HEAD	"{\"status\":\"success\",\"data\":{" \
		"\"resultType\":\"vector\",\"result\":["
#define TAIL	"]}}"

struct rec {
	int	 has_jobid;
	int	 has_target;
	char	 jobid[MAX_LABEL + 1];
	size_t	 jobid_len;
	char	 target[MAX_LABEL + 1];
	size_t	 target_len;
	double	 value;
	int	 status;
	int	 too_long;
};

/* What the callback saw; one per test, built by the setup fixture. */
struct collect {
	struct rec	 rec[MAXREC];
	size_t		 n;
	double		 sum;		/* of JSON_VALUE_OK values */
	size_t		 stop_at;	/* callback that stops, or 0 */
	int		 stop_ret;
	char		 reason[256];
};

static int
setup_collect(void **state)
{
	if ((*state = calloc(1, sizeof(struct collect))) == NULL)
		return -1;
	return 0;
}

static int
teardown_collect(void **state)
{
	free(*state);
	return 0;
}

static void
check_label(const char *p, size_t n)
{
	/* What the header promises about a label handed to the callback. */
	assert_non_null(p);
	assert_true(n <= MAX_LABEL);
	assert_int_equal(p[n], '\0');
	assert_int_equal(strlen(p), n);
	assert_true(utf8_is_clean(p, n));
}

static int
collect_fn(const struct json_series *s, void *arg)
{
	struct collect *c = arg;
	struct rec *r;

	c->n++;
	if (s->jobid != NULL)
		check_label(s->jobid, s->jobid_len);
	else
		assert_int_equal(s->jobid_len, 0);
	if (s->target != NULL)
		check_label(s->target, s->target_len);
	else
		assert_int_equal(s->target_len, 0);
	if (s->value_status == JSON_VALUE_OK) {
		assert_true(isfinite(s->value));
		c->sum += s->value;
	}
	if (c->n <= MAXREC) {
		r = &c->rec[c->n - 1];
		r->has_jobid = s->jobid != NULL;
		r->has_target = s->target != NULL;
		if (s->jobid != NULL) {
			memcpy(r->jobid, s->jobid, s->jobid_len + 1);
			r->jobid_len = s->jobid_len;
		}
		if (s->target != NULL) {
			memcpy(r->target, s->target, s->target_len + 1);
			r->target_len = s->target_len;
		}
		r->value = s->value;
		r->status = s->value_status;
		r->too_long = s->label_too_long;
	}
	if (c->stop_at != 0 && c->n == c->stop_at)
		return c->stop_ret;
	return 0;
}

/* Parses s[0..n) into c, after checking the reason contract. */
static int
parse_n(struct collect *c, const char *s, size_t n)
{
	int r;

	c->n = 0;
	c->sum = 0;
	memset(c->reason, 'X', sizeof(c->reason));
	r = json_parse_vector(s, n, collect_fn, c, c->reason,
	    sizeof(c->reason));
	assert_true(memchr(c->reason, '\0', sizeof(c->reason)) != NULL);
	if (r == 0)
		assert_string_equal(c->reason, "");
	else
		assert_true(c->reason[0] != '\0');
	return r;
}

static int
parse(struct collect *c, const char *s)
{
	return parse_n(c, s, strlen(s));
}

/* Wraps elements (the inside of data.result) in a complete answer. */
static int
parse_elems(struct collect *c, const char *elems)
{
	struct buf b;
	int r;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_appendf(&b, "%s%s%s", HEAD, elems, TAIL), 0);
	r = parse_n(c, buf_ptr(&b), buf_len(&b));
	buf_cleanup(&b);
	return r;
}

/* One series whose jobid is the JSON string body jobid. */
static int
parse_jobid(struct collect *c, const char *jobid)
{
	struct buf b;
	int r;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_appendf(&b, "{\"metric\":{\"jobid\":\"%s\"},"
	    "\"value\":[1,\"1\"]}", jobid), 0);
	r = parse_elems(c, buf_ptr(&b));
	buf_cleanup(&b);
	return r;
}

/* One series whose value string is the JSON string body value. */
static int
parse_value(struct collect *c, const char *value)
{
	struct buf b;
	int r;

	buf_init(&b, 4096);
	assert_int_equal(buf_appendf(&b, "{\"metric\":{},"
	    "\"value\":[1700000000.5,\"%s\"]}", value), 0);
	r = parse_elems(c, buf_ptr(&b));
	buf_cleanup(&b);
	return r;
}

static char *
load(const char *name, size_t *lenp)
{
	char path[256];
	struct buf b;
	FILE *f;
	char *p;
	size_t n;

	assert_true((size_t)snprintf(path, sizeof(path), "%s%s", FIXTURES,
	    name) < sizeof(path));
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s (run from the top of the tree)", path);
	buf_init(&b, 1 << 20);
	for (;;) {
		assert_int_equal(buf_space(&b, 4096, &p), 0);
		n = fread(p, 1, 4096, f);
		buf_commit(&b, n);
		if (n < 4096)
			break;
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	/* buf memory comes from the real allocator, the caller uses free(). */
	p = malloc(buf_len(&b) + 1);
	assert_non_null(p);
	memcpy(p, buf_ptr(&b), buf_len(&b) + 1);
	*lenp = buf_len(&b);
	buf_cleanup(&b);
	return p;
}

static int
parse_fixture(struct collect *c, const char *name)
{
	size_t n;
	char *s;
	int r;

	s = load(name, &n);
	r = parse_n(c, s, n);
	free(s);
	return r;
}

static void
assert_rec(const struct collect *c, size_t i, const char *jobid,
    const char *target, double value)
{
	const struct rec *r = &c->rec[i];

	assert_true(i < c->n);
	if (jobid == NULL)
		assert_false(r->has_jobid);
	else {
		assert_true(r->has_jobid);
		assert_string_equal(r->jobid, jobid);
	}
	if (target == NULL)
		assert_false(r->has_target);
	else {
		assert_true(r->has_target);
		assert_string_equal(r->target, target);
	}
	assert_int_equal(r->status, JSON_VALUE_OK);
	assert_true(r->value == value);
}

/* The upstream answers from the original exporter's tests. */
static void
test_original_metadata(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "metadata.json"), 0);
	assert_int_equal(c->n, 9);
	assert_rec(c, 0, "35044931", "hebe-MDT0002", 1);
	assert_rec(c, 1, "35070653", "hebe-MDT0000", 43);
	assert_rec(c, 2, "35189820", "hebe-MDT0000", 4);
	assert_rec(c, 3, "35166602", "hebe-MDT0001", 31);
	assert_rec(c, 4, "35189845", "hebe-MDT0001", 1);
	assert_rec(c, 5, "35048662", "hebe-MDT0001", 27);
	assert_rec(c, 6, "cp.5689", "hebe-MDT0002", 1);
	assert_rec(c, 7, "35056989", "hebe-OST022d", 5);
	assert_rec(c, 8, "touch.6812", "hebe-OST020c", 1);
	assert_true(c->sum == 114);
}

static void
test_original_read(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "read.json"), 0);
	assert_int_equal(c->n, 8);
	assert_rec(c, 0, "35652133", NULL, 319215.8800539506);
	assert_rec(c, 1, "35239994", NULL, 125747.2);
	assert_rec(c, 2, "35651038", NULL, 379697.46153350436);
	assert_rec(c, 3, "35683050", NULL, 955.7333333333333);
	assert_rec(c, 4, "35676304", NULL, 893883.7333333333);
	assert_rec(c, 5, "35682305", NULL, 819.2);
	assert_rec(c, 6, "35676288", NULL, 689493.3333333334);
	assert_rec(c, 7, "35676299", NULL, 248627.2);
}

static void
test_fixture_escapes(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "escapes.json"), 0);
	assert_int_equal(c->n, 5);
	/* \b \f \r are controls; \t and \n stay (exposition escapes \n). */
	assert_rec(c, 0, "q\"b\\s/b" R "f" R "n\nr" R "t\t",
	    "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1);
	/* Lone surrogates. */
	assert_rec(c, 1, R, R "x", 2);
	assert_rec(c, 2, R "A" R "\xf0\x9f\x98\x80", "a" R "b" R "c" R "d", 3);
	/* Escaped keys and an escaped value. */
	assert_rec(c, 3, "escaped-key", "x", 4.5);
	assert_rec(c, 4, "caf\xc3\xa9=caf\xc3\xa9", "\xe2\x80\xa8\xe2\x80\xa9",
	    5);
}

static void
test_fixture_error(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "error.json"), ERR_UPSTREAM);
	assert_string_equal(c->reason, "bad_data: invalid parameter "
	    "\"query\": 1:1: parse error: unexpected end of input");
	assert_int_equal(c->n, 0);
}

static void
test_fixture_truncated(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "truncated.json"), ERR_JSON_PART);
	/*
	 * The elements before the cut have been passed on as they came
	 * (the caller drops them with the failed answer), not the cut one.
	 */
	assert_int_equal(c->n, 2);
}

static void
test_fixture_matrix(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "matrix.json"), ERR_JSON_SCHEMA);
	assert_non_null(strstr(c->reason, "resultType"));
	assert_int_equal(c->n, 0);
}

static void
test_fixture_nonfinite(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "nonfinite.json"), 0);
	assert_int_equal(c->n, 9);
	assert_string_equal(c->rec[0].jobid, "nan");
	assert_int_equal(c->rec[0].status, JSON_VALUE_NONFINITE);
	assert_true(isnan(c->rec[0].value));
	assert_int_equal(c->rec[1].status, JSON_VALUE_NONFINITE);
	assert_true(isinf(c->rec[1].value) && c->rec[1].value > 0);
	assert_int_equal(c->rec[2].status, JSON_VALUE_NONFINITE);
	assert_true(isinf(c->rec[2].value) && c->rec[2].value < 0);
	assert_int_equal(c->rec[3].status, JSON_VALUE_NONFINITE);
	assert_true(isinf(c->rec[3].value) && c->rec[3].value > 0);
	/* hex, word, empty, and a missing value: reported, but bad. */
	assert_string_equal(c->rec[4].jobid, "hex");
	assert_int_equal(c->rec[4].status, JSON_VALUE_BAD);
	assert_int_equal(c->rec[5].status, JSON_VALUE_BAD);
	assert_int_equal(c->rec[6].status, JSON_VALUE_BAD);
	assert_string_equal(c->rec[7].jobid, "missing");
	assert_int_equal(c->rec[7].status, JSON_VALUE_BAD);
	assert_rec(c, 8, "neg", NULL, -2500);
	assert_true(c->sum == -2500);
}

static void
test_fixture_invalid_utf8(void **state)
{
	struct collect *c = *state;

	/* An overlong '/' (C0 AF): two bytes, two U+FFFD. */
	assert_int_equal(parse_fixture(c, "invalid_utf8.json"), 0);
	assert_int_equal(c->n, 1);
	assert_rec(c, 0, "a" R R "b", "t", 1);
}

/*
 * The original answer with odd series between its own: one odd
 * jobid, target or key costs nothing but its own spelling.
 */
static void
test_fixture_odd_labels(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "odd_labels.json"), 0);
	assert_int_equal(c->n, 16);
	/* Every series of the original, with its value. */
	assert_rec(c, 0, "35044931", "hebe-MDT0002", 1);
	assert_rec(c, 2, "35070653", "hebe-MDT0000", 43);
	assert_rec(c, 4, "35189820", "hebe-MDT0000", 4);
	assert_rec(c, 6, "35166602", "hebe-MDT0001", 31);
	assert_rec(c, 8, "35189845", "hebe-MDT0001", 1);
	assert_rec(c, 10, "35048662", "hebe-MDT0001", 27);
	assert_rec(c, 12, "cp.5689", "hebe-MDT0002", 1);
	assert_rec(c, 14, "35056989", "hebe-OST022d", 5);
	assert_rec(c, 15, "touch.6812", "hebe-OST020c", 1);
	/* The odd ones, decoded byte for byte. */
	assert_rec(c, 1, "bad" R "name.5689", "hebe-MDT0002", 2);
	assert_rec(c, 3, "35044931", "hebe-MDT" R "0001", 3);
	assert_rec(c, 5, "odd" R "name.6812", "hebe-MDT0000", 7);
	assert_rec(c, 7, R R "A.5689", "hebe-MDT0000", 11);
	/* Keys with bad bytes are other labels; the real ones count. */
	assert_rec(c, 9, "cp.5689", "hebe-MDT0001", 13);
	assert_rec(c, 11, R R R R R ".6812", "hebe-MDT0001", 17);
	assert_rec(c, 13, "\xf0\x9f\x98\x80.5689", "hebe-MDT0002", 19);
	assert_true(c->sum == 114 + 2 + 3 + 7 + 11 + 13 + 17 + 19);
}

static void
test_fixture_unusual(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "unusual.json"), 0);
	assert_int_equal(c->n, 3);
	/* Repeated label: the last one counts. */
	assert_rec(c, 0, "last", "t1", 7);
	/* Absent labels are NULL. */
	assert_rec(c, 1, NULL, NULL, 8);
	assert_rec(c, 2, NULL, "only-target", 9);
}

static void
test_fixture_empty(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_fixture(c, "empty.json"), 0);
	assert_int_equal(c->n, 0);
}

/* Every proper prefix of a complete answer is truncated, none crashes. */
static void
test_every_prefix(void **state)
{
	static const char *const names[] = {
		"metadata.json", "read.json", "escapes.json", "error.json",
		"nonfinite.json", "unusual.json", "empty.json", "matrix.json",
		"invalid_utf8.json", "odd_labels.json",
	};
	struct collect *c = *state;
	size_t i, n, end, len, seen;
	char *s, *cut;
	int want;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		s = load(names[i], &len);
		/* The document ends at its last '}'; a newline may follow. */
		for (end = len; end > 0 && s[end - 1] != '}'; end--)
			;
		assert_true(end > 0);
		seen = 0;
		for (n = 0; n < end; n++) {
			/* A copy of exactly n bytes, so ASan sees overreads. */
			cut = raw_malloc(n);
			assert_non_null(cut);
			memcpy(cut, s, n);
			/*
			 * A matrix is refused as soon as its result starts:
			 * no continuation could make it a vector.
			 */
			want = strcmp(names[i], "matrix.json") == 0 &&
			    memmem(cut, n, "\"result\":[", 10) != NULL ?
			    ERR_JSON_SCHEMA : ERR_JSON_PART;
			assert_int_equal(parse_n(c, cut, n), want);
			/* Elements come as they end: never more, never less. */
			assert_true(c->n >= seen);
			seen = c->n;
			raw_free(cut);
		}
		free(s);
	}
}

static void
test_every_escape(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "\\\"", "\"" },
		{ "\\\\", "\\" },
		{ "\\/", "/" },
		{ "\\b", R },
		{ "\\f", R },
		{ "\\n", "\n" },
		{ "\\r", R },
		{ "\\t", "\t" },
		{ "a\\\\nb", "a\\nb" },
		{ "\\u0041", "A" },
		{ "\\u00e9", "\xc3\xa9" },
		{ "\\u00E9", "\xc3\xa9" },
		{ "\\u20ac", "\xe2\x82\xac" },
		{ "\\u0080", "\xc2\x80" },
		{ "\\uffff", "\xef\xbf\xbf" },
		{ "\\ud83d\\ude00", "\xf0\x9f\x98\x80" },
		{ "\\uD83D\\uDE00", "\xf0\x9f\x98\x80" },
		{ "\\ud800\\udc00", "\xf0\x90\x80\x80" },
		{ "\\udbff\\udfff", "\xf4\x8f\xbf\xbf" },
		{ "\\ud83d", R },
		{ "\\ude00", R },
		{ "\\ud83dx", R "x" },
		{ "\\ud83d\\u0041", R "A" },
		{ "\\ude00\\ud83d", R R },
		{ "\\ud83d\\ud83d\\ude00", R "\xf0\x9f\x98\x80" },
		{ "\\ud83d\\n", R "\n" },
		{ "\\u0000", R },
		{ "a\\u0000b", "a" R "b" },
		{ "\\u0001\\u001f", R R },
		{ "\\u007f", R },
		{ "\\u0009\\u000a", "\t\n" },
		{ "", "" },
	};
	struct collect *c = *state;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (parse_jobid(c, t[i].in) != 0)
			fail_msg("%s: %s", t[i].in, c->reason);
		assert_int_equal(c->n, 1);
		assert_true(c->rec[0].has_jobid);
		assert_string_equal(c->rec[0].jobid, t[i].want);
		assert_int_equal(c->rec[0].jobid_len, strlen(t[i].want));
	}
}

/* The same bad string in a label value, a key and an ignored value. */
static void
check_bad_string(struct collect *c, const char *str, int want)
{
	struct buf b;

	assert_int_equal(parse_jobid(c, str), want);
	assert_int_equal(c->n, 0);

	buf_init(&b, 4096);
	assert_int_equal(buf_appendf(&b, "{\"metric\":{\"%s\":\"x\"},"
	    "\"value\":[1,\"1\"]}", str), 0);
	assert_int_equal(parse_elems(c, buf_ptr(&b)), want);
	assert_int_equal(c->n, 0);

	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"status\":\"success\","
	    "\"warnings\":[\"%s\"],\"data\":{\"resultType\":\"vector\","
	    "\"result\":[]}}", str), 0);
	assert_int_equal(parse_n(c, buf_ptr(&b), buf_len(&b)), want);
	buf_cleanup(&b);
}

static void
test_bad_escapes(void **state)
{
	static const char *const t[] = {
		"\\x41", "\\a", "\\'", "\\0", "\\ ", "\\U0041", "\\u12",
		"\\u12G4", "\\u+123", "\\u 123", "\\ud83d\\u12", "\\ud83d\\",
		"ab\\", "\\e", "\\N",
	};
	struct collect *c = *state;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		check_bad_string(c, t[i], ERR_JSON_INVAL);
}

/* JSON forbids raw control characters, and no upstream writes them. */
static void
test_raw_controls(void **state)
{
	static const char *const bad[] = {
		"\x01", "a\x1f", "a\nb", "a\tb", "\r", "\x1b[0m",
		/* Next to bad UTF-8, the control still counts. */
		"\xff\x01", "\x01\xff", "\xe2\x82\n",
	};
	struct collect *c = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad_string(c, bad[i], ERR_JSON_INVAL);

	/* Valid raw UTF-8 passes untouched; raw DEL is legal JSON. */
	assert_int_equal(parse_jobid(c, "\xf0\x9f\x98\x80 \xc3\xa9 "
	    "\xe2\x80\xa8 \xc2\x85"), 0);
	assert_string_equal(c->rec[0].jobid, "\xf0\x9f\x98\x80 \xc3\xa9 "
	    "\xe2\x80\xa8 \xc2\x85");
	assert_int_equal(parse_jobid(c, "a\x7f" "b"), 0);
	assert_string_equal(c->rec[0].jobid, "a" R "b");
}

/* Raw bytes that are not UTF-8, and what they decode to. */
static const struct {
	const char	*in;
	const char	*want;
} bad_utf8[] = {
	{ "bad\xffname.1001", "bad" R "name.1001" },
	{ "\xff", R },
	{ "\xfe\xfe", R R },
	{ "\x80", R },				/* lone continuation */
	{ "x\xbfy", "x" R "y" },
	{ "a\xc0\xaf", "a" R R },		/* overlong '/' */
	{ "\xc1\xbf", R R },			/* overlong DEL */
	{ "\xe0\x80\xaf", R R R },		/* overlong, 3 bytes */
	{ "\xf0\x80\x80\xaf", R R R R },	/* overlong, 4 bytes */
	{ "\xed\xa0\x80", R R R },		/* U+D800 as raw bytes */
	{ "\xed\xbf\xbf", R R R },		/* U+DFFF as raw bytes */
	{ "\xed\xa0\xbd\xed\xb8\x80", R R R R R R }, /* a raw "pair" */
	{ "\xf4\x90\x80\x80", R R R R },	/* above U+10FFFF */
	{ "\xf5\x80\x80\x80", R R R R },
	{ "\xe2\x82", R R },			/* cut at the end */
	{ "\xe2\x82x", R R "x" },		/* cut by ASCII */
	{ "\xf0\x9f\x98", R R R },
	{ "\xc3", R },
	{ "\xc3\xa9\xff\xc3\xa9", "\xc3\xa9" R "\xc3\xa9" },
	{ "\xff\xf0\x9f\x98\x80\xfe", R "\xf0\x9f\x98\x80" R },
	/* Escapes never complete a raw sequence, nor start one. */
	{ "\xc3\\u00a9", R "\xc2\xa9" },
	{ "\xe2\\u0082\\u00ac", R "\xc2\x82\xc2\xac" },
	{ "\\u00e9\xa9", "\xc3\xa9" R },
	{ "\xff\\n\xfe", R "\n" R },
	{ "\xff\\ud83d\xfe", R R R },
	{ "\xc3\\\\", R "\\" },
	{ "\xc3\\\"", R "\"" },
};

/* In a jobid and in a target, among good series that all arrive. */
static void
test_invalid_utf8_labels(void **state)
{
	struct collect *c = *state;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b,
		    "{\"metric\":{\"jobid\":\"1\",\"target\":\"t1\"},"
		    "\"value\":[1,\"1\"]},"
		    "{\"metric\":{\"jobid\":\"%s\",\"target\":\"t2\"},"
		    "\"value\":[1,\"2\"]},"
		    "{\"metric\":{\"jobid\":\"3\",\"target\":\"%s\"},"
		    "\"value\":[1,\"4\"]},"
		    "{\"metric\":{\"jobid\":\"5\",\"target\":\"t5\"},"
		    "\"value\":[1,\"8\"]}", bad_utf8[i].in, bad_utf8[i].in), 0);
		if (parse_elems(c, buf_ptr(&b)) != 0)
			fail_msg("case %zu: %s", i, c->reason);
		assert_int_equal(c->n, 4);
		assert_rec(c, 0, "1", "t1", 1);
		assert_rec(c, 1, bad_utf8[i].want, "t2", 2);
		assert_int_equal(c->rec[1].jobid_len, strlen(bad_utf8[i].want));
		assert_rec(c, 2, "3", bad_utf8[i].want, 4);
		assert_int_equal(c->rec[2].target_len,
		    strlen(bad_utf8[i].want));
		assert_rec(c, 3, "5", "t5", 8);
		assert_true(c->sum == 15);
	}
	buf_cleanup(&b);
}

/*
 * In a key: a label name, an element key, a top-level key.  A bad key is
 * some other key; the answer and the series around it still count.
 */
static void
test_invalid_utf8_keys(void **state)
{
	struct collect *c = *state;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b, "{\"status\":\"success\","
		    "\"%s\":[1],\"data\":{\"%s\":{},\"resultType\":\"vector\","
		    "\"result\":["
		    "{\"metric\":{\"jobid\":\"1\"},\"value\":[1,\"1\"]},"
		    "{\"metric\":{\"%s\":\"x\",\"jobid\":\"2\","
		    "\"job%sid\":\"y\",\"target\":\"t\"},\"%s\":0,"
		    "\"value\":[1,\"2\"]},"
		    "{\"metric\":{\"jobid\":\"3\"},\"value\":[1,\"4\"]}]}}",
		    bad_utf8[i].in, bad_utf8[i].in, bad_utf8[i].in,
		    bad_utf8[i].in, bad_utf8[i].in), 0);
		if (parse_n(c, buf_ptr(&b), buf_len(&b)) != 0)
			fail_msg("case %zu: %s", i, c->reason);
		assert_int_equal(c->n, 3);
		assert_rec(c, 0, "1", NULL, 1);
		assert_rec(c, 1, "2", "t", 2);
		assert_rec(c, 2, "3", NULL, 4);
	}
	/* Escaped or not, a key that is almost "jobid" is not it. */
	assert_int_equal(parse_elems(c, "{\"metric\":{\"jobid\xff\":\"a\","
	    "\"jobid\\u00ff\":\"b\",\"\\u006aobid\xff\":\"c\","
	    "\"\xffjobid\":\"d\"},\"value\":[1,\"1\"]}"), 0);
	assert_rec(c, 0, NULL, NULL, 1);
	buf_cleanup(&b);
}

/*
 * In the strings of the frame: a bad "status" is no "success" (the
 * answer means nothing then, a schema error, not a syntax one); a bad
 * errorType or error is sanitized into the reason; a bad value string is
 * that series' bad value; a bad warning is ignored.
 */
static void
test_invalid_utf8_frame(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse(c, "{\"status\":\"succ\xff" "ess\","
	    "\"data\":{\"resultType\":\"vector\",\"result\":[]}}"),
	    ERR_JSON_SCHEMA);
	assert_non_null(strstr(c->reason, "status"));
	assert_int_equal(parse(c, "{\"status\":\"success\xc0\xaf\","
	    "\"data\":{\"resultType\":\"vector\",\"result\":[]}}"),
	    ERR_JSON_SCHEMA);
	assert_int_equal(parse(c, "{\"status\":\"success\","
	    "\"data\":{\"resultType\":\"vec\xed\xa0\x80tor\","
	    "\"result\":[]}}"), ERR_JSON_SCHEMA);
	assert_non_null(strstr(c->reason, "resultType"));

	assert_int_equal(parse(c, "{\"status\":\"error\","
	    "\"errorType\":\"bad\xff\",\"error\":\"at \xc0\xaf \\ud800\"}"),
	    ERR_UPSTREAM);
	assert_string_equal(c->reason, "bad" R ": at " R R " " R);

	assert_int_equal(parse_elems(c,
	    "{\"metric\":{\"jobid\":\"a\"},\"value\":[1,\"1\xff\"]},"
	    "{\"metric\":{\"jobid\":\"b\"},\"value\":[1,\"2\"]}"), 0);
	assert_int_equal(c->n, 2);
	assert_int_equal(c->rec[0].status, JSON_VALUE_BAD);
	assert_rec(c, 1, "b", NULL, 2);

	assert_int_equal(parse(c, "{\"status\":\"success\","
	    "\"warnings\":[\"\xff\\ud800\xe2\x82\"],\"data\":{"
	    "\"resultType\":\"vector\",\"result\":[{\"metric\":"
	    "{\"jobid\":\"j\"},\"value\":[1,\"3\"]}]}}"), 0);
	assert_int_equal(c->n, 1);
	assert_rec(c, 0, "j", NULL, 3);
}

/*
 * Lone surrogate escapes, each in a jobid, a target and a label name,
 * among good series; a valid pair still decodes to its character.
 */
static void
test_lone_surrogates(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} t[] = {
		{ "\\ud83d", R },			/* high alone */
		{ "x\\udbff", "x" R },			/* high at the end */
		{ "\\udc00", R },			/* low alone */
		{ "\\udfffx", R "x" },
		{ "\\ud83dx", R "x" },			/* high, then text */
		{ "\\ud83d\\u0041", R "A" },		/* high + non-low */
		{ "\\ud83d\\u00e9", R "\xc3\xa9" },
		{ "\\ud83d\\ud83d", R R },		/* high + high */
		{ "\\ude00\\ud83d", R R },		/* low + high */
		{ "\\ud83d\\n\\ude00", R "\n" R },
		{ "\\ud83d\\ud83d\\ude00", R "\xf0\x9f\x98\x80" },
		{ "\\ud83d\\ude00\\ude00", "\xf0\x9f\x98\x80" R },
		{ "\\ud83d\\ude00", "\xf0\x9f\x98\x80" },	/* valid pair */
		{ "\\uD83D\\uDe00", "\xf0\x9f\x98\x80" },
		{ "\\ud800\\udc00", "\xf0\x90\x80\x80" },
		{ "\\udbff\\udfff", "\xf4\x8f\xbf\xbf" },
		{ "odd\\ud800name.1001", "odd" R "name.1001" },
	};
	struct collect *c = *state;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b,
		    "{\"metric\":{\"jobid\":\"1\"},\"value\":[1,\"1\"]},"
		    "{\"metric\":{\"jobid\":\"%s\",\"target\":\"%s\","
		    "\"%s\":\"x\"},\"value\":[1,\"2\"]},"
		    "{\"metric\":{\"jobid\":\"3\"},\"value\":[1,\"4\"]}",
		    t[i].in, t[i].in, t[i].in), 0);
		if (parse_elems(c, buf_ptr(&b)) != 0)
			fail_msg("%s: %s", t[i].in, c->reason);
		assert_int_equal(c->n, 3);
		assert_rec(c, 0, "1", NULL, 1);
		assert_rec(c, 1, t[i].want, t[i].want, 2);
		assert_int_equal(c->rec[1].jobid_len, strlen(t[i].want));
		assert_rec(c, 2, "3", NULL, 4);
	}
	buf_cleanup(&b);
}

/*
 * Jobids that differ only in the values of their bad bytes decode to the
 * same label value, so the join sums them into one series; so do a lone
 * surrogate and U+FFFD itself.  The count of bad bytes still tells
 * jobids apart, as utf8_sanitize() does.
 */
static void
test_same_sanitized_jobid(void **state)
{
	static const char *const same[] = {
		"bad\xffname.1001", "bad\xfename.1001", "bad\x80name.1001",
		"bad\xc3name.1001", "bad\\ud800name.1001",
		"bad\\udfffname.1001", "bad\\ufffdname.1001",
		"bad\xef\xbf\xbdname.1001", "bad\\uFFFDname.1001",
	};
	struct collect *c = *state;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_int_equal(buf_appendf(&b, "%s{\"metric\":{\"jobid\":"
		    "\"%s\"},\"value\":[1,\"1\"]}", i == 0 ? "" : ",",
		    same[i]), 0);
	assert_int_equal(buf_puts(&b, ",{\"metric\":{\"jobid\":"
	    "\"bad\xc0\xafname.1001\"},\"value\":[1,\"1\"]}"), 0);
	assert_int_equal(parse_elems(c, buf_ptr(&b)), 0);
	assert_int_equal(c->n, i + 1);
	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		assert_string_equal(c->rec[i].jobid, "bad" R "name.1001");
		assert_int_equal(c->rec[i].jobid_len, 15);
	}
	assert_string_equal(c->rec[i].jobid, "bad" R R "name.1001");
	buf_cleanup(&b);
}

static void
test_malformed(void **state)
{
	static const char *const t[] = {
		"{\"status\":\"success\" \"data\":{}}",
		"{\"status\" \"success\"}",
		"{\"status\":\"success\",}",
		"{,\"status\":\"success\"}",
		"{\"a\":1,,\"b\":2}",
		"{\"a\"}",
		"{\"a\":}",
		"{:1}",
		"{\"a\"::1}",
		"{\"a\":1:2}",
		"{\"a\":\"b\":\"c\"}",
		"{\"a\":1 \"b\":2}",
		"{\"a\":[1 2]}",
		"{\"a\":[1,]}",
		"{\"a\":[,1]}",
		"{\"a\":[1,,2]}",
		"{\"a\":[\"x\":1]}",
		"{\"a\":[1}]}",
		"{\"a\":1]",
		"{\"a\":{\"b\":1]}",
		"{1:2}",
		"{\"a\":'x'}",
		"{a:1}",
		"{\"a\":x}",
		"{\"a\":1}}",
		"{\"a\":1}]",
		"{} {}",
		"{}[]",
		"{}x",
		"{}\"x\"",
		"{} 1 ",
		"{}1",
		"{}{",
		"\"x\" {}",
		"1 {}",
		"\"a\" \"b\"",
		"[] \"b\"",
		"]",
		"}",
		",",
		":",
		"][",
		"\xef\xbb\xbf{}",
		"{\"a\":1}\x0b",
		"\x0c{}",
	};
	struct collect *c = *state;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = parse(c, t[i]);
		if (r != ERR_JSON_INVAL)
			fail_msg("%s: %d (%s)", t[i], r, c->reason);
		assert_int_equal(c->n, 0);
	}
}

static void
test_empty_and_nul(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_n(c, "", 0), ERR_JSON_PART);
	assert_int_equal(parse_n(c, NULL, 0), ERR_JSON_PART);
	assert_int_equal(parse(c, " \t\r\n"), ERR_JSON_PART);
	assert_int_equal(parse_n(c, "\0", 1), ERR_JSON_INVAL);
	assert_int_equal(parse_n(c, "{}\0", 3), ERR_JSON_INVAL);
	assert_int_equal(parse_n(c, "{\"a\":\"x\0y\"}", 11), ERR_JSON_INVAL);
	assert_int_equal(parse_n(c, HEAD TAIL "\0", sizeof(HEAD TAIL)),
	    ERR_JSON_INVAL);
	/* The same without the NUL is fine, with trailing whitespace too. */
	assert_int_equal(parse(c, HEAD TAIL), 0);
	assert_int_equal(parse(c, " \n" HEAD TAIL " \r\n\t"), 0);
}

static void
test_primitives(void **state)
{
	static const char *const bad[] = {
		"tru", "truee", "TRUE", "nul", "nulll", "fals", "01", "00",
		"-01", "1.", "0.", "1.e5", "-", "--1", "1-", "1e", "1e+",
		"1E-", "1.5.5", "1e5e5", "0x10", "Infinity", "-Infinity",
		"nan", "-nan", "t", "f", "n", "1.0f",
	};
	static const char *const bad_jsmn[] = {
		".5", "+1", "NaN", "Inf", "'1'", "0e",
	};
	static const char *const good[] = {
		"0", "-0", "7", "1.5e10", "1E-3", "-0.0e+0", "1e400",
		"123456789012345678901234567890", "1700000000.123",
	};
	struct collect *c = *state;
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* As the sample time, and in a key that is ignored. */
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b, "{\"metric\":{},"
		    "\"value\":[%s,\"1\"]}", bad[i]), 0);
		if (parse_elems(c, buf_ptr(&b)) != ERR_JSON_INVAL)
			fail_msg("%s: %s", bad[i], c->reason);
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b, "{\"status\":\"success\","
		    "\"stats\":[%s],\"data\":{\"resultType\":\"vector\","
		    "\"result\":[]}}", bad[i]), 0);
		assert_int_equal(parse_n(c, buf_ptr(&b), buf_len(&b)),
		    ERR_JSON_INVAL);
	}
	for (i = 0; i < sizeof(bad_jsmn) / sizeof(bad_jsmn[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b, "{\"metric\":{},"
		    "\"value\":[%s,\"1\"]}", bad_jsmn[i]), 0);
		if (parse_elems(c, buf_ptr(&b)) != ERR_JSON_INVAL)
			fail_msg("%s: %s", bad_jsmn[i], c->reason);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_appendf(&b, "{\"metric\":{},"
		    "\"value\":[%s,\"1\"],\"x\":[true,false,null,%s]}",
		    good[i], good[i]), 0);
		if (parse_elems(c, buf_ptr(&b)) != 0)
			fail_msg("%s: %s", good[i], c->reason);
		assert_int_equal(c->n, 1);
		assert_true(c->rec[0].value == 1);
	}
	buf_cleanup(&b);
}

static void
test_upstream_error(void **state)
{
	static const char doc[] = "{\"status\":\"error\",\"errorType\":"
	    "\"bad_data\",\"error\":\"parse error\"}";
	static const char ctl[] = "{\"error\":\"a\\u0000b\\u001b[1mc\\nd\","
	    "\"status\":\"error\",\"errorType\":\"t\\u0065st\"}";
	static const char utf[] = "{\"status\":\"error\",\"errorType\":\"x\","
	    "\"error\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}";
	static const char bare[] = "{\"status\":\"error\"}";
	static const char odd[] = "{\"status\":\"error\",\"errorType\":7,"
	    "\"error\":null,\"data\":{\"resultType\":\"vector\","
	    "\"result\":[{\"metric\":{},\"value\":[1,\"1\"]}]}}";
	struct collect *c = *state;
	struct buf b;
	char reason[10];
	size_t i;

	assert_int_equal(parse(c, doc), ERR_UPSTREAM);
	assert_string_equal(c->reason, "bad_data: parse error");
	/* Sanitized: controls become U+FFFD, line feed stays. */
	assert_int_equal(parse(c, ctl), ERR_UPSTREAM);
	assert_string_equal(c->reason, "test: a" R "b" R "[1mc\nd");
	/* Missing or non-string parts are left empty; data is ignored. */
	assert_int_equal(parse(c, bare), ERR_UPSTREAM);
	assert_string_equal(c->reason, ": ");
	assert_int_equal(parse(c, odd), ERR_UPSTREAM);
	assert_string_equal(c->reason, ": ");
	assert_int_equal(c->n, 0);

	/* Truncated to reasonsz, never inside a character. */
	assert_int_equal(json_parse_vector(doc, strlen(doc), NULL, NULL,
	    reason, sizeof(reason)), ERR_UPSTREAM);
	assert_string_equal(reason, "bad_data:");
	assert_int_equal(json_parse_vector(utf, strlen(utf), NULL, NULL,
	    reason, 6), ERR_UPSTREAM);
	assert_string_equal(reason, "x: \xc3\xa9");
	assert_int_equal(json_parse_vector(utf, strlen(utf), NULL, NULL,
	    reason, 5), ERR_UPSTREAM);
	assert_string_equal(reason, "x: ");
	assert_int_equal(json_parse_vector(utf, strlen(utf), NULL, NULL,
	    reason, 1), ERR_UPSTREAM);
	assert_string_equal(reason, "");
	assert_int_equal(json_parse_vector(utf, strlen(utf), NULL, NULL,
	    NULL, 0), ERR_UPSTREAM);
	memset(reason, 'X', sizeof(reason));
	assert_int_equal(json_parse_vector(utf, strlen(utf), NULL, NULL,
	    reason, 0), ERR_UPSTREAM);
	assert_int_equal(reason[0], 'X');

	/* A long message is cut to the caller's buffer. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "{\"status\":\"error\",\"errorType\":"
	    "\"execution\",\"error\":\""), 0);
	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_puts(&b, "\xc3\xa9\\u0001"), 0);
	assert_int_equal(buf_puts(&b, "\"}"), 0);
	assert_int_equal(parse_n(c, buf_ptr(&b), buf_len(&b)), ERR_UPSTREAM);
	assert_int_equal(strncmp(c->reason, "execution: \xc3\xa9" R, 16), 0);
	assert_true(strlen(c->reason) <= sizeof(c->reason) - 1);
	assert_true(strlen(c->reason) >= sizeof(c->reason) - 3);
	assert_true(utf8_is_clean(c->reason, strlen(c->reason)));
	buf_cleanup(&b);
}

static void
test_schema(void **state)
{
	static const struct {
		const char	*doc;
		const char	*why;	/* part of the reason */
	} t[] = {
		{ "[]", "not a JSON object" },
		{ "\"success\"", "not a JSON object" },
		{ "1 ", "not a JSON object" },
		{ "null ", "not a JSON object" },
		{ "{}", "status" },
		{ "{\"status\":1}", "status" },
		{ "{\"status\":null}", "status" },
		{ "{\"status\":[\"success\"]}", "status" },
		{ "{\"status\":\"pending\"}", "status" },
		{ "{\"status\":\"Success\",\"data\":{\"resultType\":"
		    "\"vector\",\"result\":[]}}", "status" },
		{ "{\"status\":\"success\"}", "data" },
		{ "{\"status\":\"success\",\"data\":[]}", "data" },
		{ "{\"status\":\"success\",\"data\":null}", "data" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"vector\"}}", "data.result is missing" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"vector\",\"result\":{}}}",
		    "data.result is not an array" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"vector\",\"result\":\"\"}}", "data.result is not" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"vector\",\"result\":null}}", "data.result is not" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"matrix\",\"result\":[]}}", "resultType" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"scalar\",\"result\":[1,\"1\"]}}", "resultType" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":"
		    "\"string\",\"result\":[1,\"a\"]}}", "resultType" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":1,"
		    "\"result\":[]}}", "resultType" },
		{ HEAD "[]" TAIL, "data.result[0] is not an object" },
		{ HEAD "\"x\"" TAIL, "data.result[0] is not an object" },
		{ HEAD "1" TAIL, "data.result[0] is not an object" },
		{ HEAD "{}" TAIL, "data.result[0].metric" },
		{ HEAD "{\"value\":[1,\"1\"]}" TAIL, "metric" },
		{ HEAD "{\"metric\":[],\"value\":[1,\"1\"]}" TAIL, "metric" },
		{ HEAD "{\"metric\":null,\"value\":[1,\"1\"]}" TAIL, "metric" },
		{ HEAD "{\"metric\":{\"jobid\":1}}" TAIL, "not a string" },
		{ HEAD "{\"metric\":{\"jobid\":null}}" TAIL, "not a string" },
		{ HEAD "{\"metric\":{\"x\":true}}" TAIL, "not a string" },
		{ HEAD "{\"metric\":{\"x\":{}}}" TAIL, "not a string" },
		{ HEAD "{\"metric\":{\"x\":[\"a\"]}}" TAIL, "not a string" },
		{ HEAD "{\"metric\":{},\"value\":[1]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[1,\"1\",2]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":{}}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":\"1\"}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":null}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[\"1\",\"1\"]}" TAIL,
		    "value" },
		{ HEAD "{\"metric\":{},\"value\":[1,2]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[true,\"1\"]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[null,\"1\"]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[[1],\"1\"]}" TAIL, "value" },
		{ HEAD "{\"metric\":{},\"value\":[1,[\"1\"]]}" TAIL, "value" },
	};
	struct collect *c = *state;
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = parse(c, t[i].doc);
		if (r != ERR_JSON_SCHEMA || strstr(c->reason, t[i].why) == NULL)
			fail_msg("%s: %d (%s)", t[i].doc, r, c->reason);
		assert_int_equal(c->n, 0);
	}
	/* Elements before the bad one have been reported. */
	assert_int_equal(parse_elems(c, "{\"metric\":{},\"value\":[1,\"1\"]},"
	    "{\"metric\":{},\"value\":[1,\"2\"]},7"), ERR_JSON_SCHEMA);
	assert_string_equal(c->reason, "data.result[2] is not an object");
	assert_int_equal(c->n, 2);
	/* An answer without resultType is read as a vector. */
	assert_int_equal(parse(c, "{\"status\":\"success\",\"data\":{"
	    "\"result\":[{\"metric\":{\"jobid\":\"7\"},"
	    "\"value\":[1,\"2\"]}]}}"), 0);
	assert_int_equal(c->n, 1);
}

static void
test_values(void **state)
{
	static const struct {
		const char	*in;
		int		 status;
		double		 value;
	} ok[] = {
		{ "1", JSON_VALUE_OK, 1 },
		{ "0", JSON_VALUE_OK, 0 },
		{ "-0", JSON_VALUE_OK, 0 },
		{ "43", JSON_VALUE_OK, 43 },
		{ "319215.8800539506", JSON_VALUE_OK, 319215.8800539506 },
		{ "-2.5e3", JSON_VALUE_OK, -2500 },
		{ "1E2", JSON_VALUE_OK, 100 },
		{ "1e+2", JSON_VALUE_OK, 100 },
		/* Decimal forms strtod() takes beyond JSON's grammar. */
		{ "+1", JSON_VALUE_OK, 1 },
		{ ".5", JSON_VALUE_OK, 0.5 },
		{ "1.", JSON_VALUE_OK, 1 },
		{ "007", JSON_VALUE_OK, 7 },
		{ "\\u0031\\u002e\\u0035", JSON_VALUE_OK, 1.5 },
		{ "1e-400", JSON_VALUE_OK, 0 },
		{ "NaN", JSON_VALUE_NONFINITE, NAN },
		{ "+Inf", JSON_VALUE_NONFINITE, INFINITY },
		{ "Inf", JSON_VALUE_NONFINITE, INFINITY },
		{ "-Inf", JSON_VALUE_NONFINITE, -INFINITY },
		{ "1e999", JSON_VALUE_NONFINITE, INFINITY },
		{ "-1e999", JSON_VALUE_NONFINITE, -INFINITY },
	};
	static const char *const bad[] = {
		"", " 1", "1 ", "\\t1", "1\\n", "0x1p3", "0X10", "-0x1",
		"nan", "NAN", "inf", "INF", "-inf", "+inf", "infinity",
		"Infinity", "+NaN", "-NaN", "nan(1)", "1,5", "abc", "1e",
		"e1", ".", "+", "-", "1..2", "1e5e", "1\\u0000", "\\u0000",
		"++1", "1_000", "\xef\xbc\x91",
	};
	struct collect *c = *state;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse_value(c, ok[i].in) != 0)
			fail_msg("%s: %s", ok[i].in, c->reason);
		assert_int_equal(c->n, 1);
		if (c->rec[0].status != ok[i].status)
			fail_msg("%s: status %d", ok[i].in, c->rec[0].status);
		if (isnan(ok[i].value))
			assert_true(isnan(c->rec[0].value));
		else if (c->rec[0].value != ok[i].value)
			fail_msg("%s: %g", ok[i].in, c->rec[0].value);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_value(c, bad[i]) != 0)
			fail_msg("%s: %s", bad[i], c->reason);
		assert_int_equal(c->n, 1);
		if (c->rec[0].status != JSON_VALUE_BAD)
			fail_msg("%s: status %d", bad[i], c->rec[0].status);
		assert_true(isnan(c->rec[0].value));
	}
	/* A missing value is bad too, and the series is still reported. */
	assert_int_equal(parse_elems(c, "{\"metric\":{\"jobid\":\"1\"}}"), 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->rec[0].jobid, "1");
	assert_int_equal(c->rec[0].status, JSON_VALUE_BAD);
}

static void
test_duplicates(void **state)
{
	struct collect *c = *state;

	assert_int_equal(parse_elems(c, "{\"metric\":{\"jobid\":\"a\","
	    "\"target\":\"t\",\"jobid\":\"b\"},\"value\":[1,\"1\"]}"), 0);
	assert_rec(c, 0, "b", "t", 1);
	assert_int_equal(parse_elems(c, "{\"metric\":{\"jobid\":\"a\"},"
	    "\"value\":[1,\"1\"],\"metric\":{\"target\":\"u\"},"
	    "\"value\":[2,\"2\"]}"), 0);
	assert_rec(c, 0, NULL, "u", 2);
	/* A later escaped spelling is the same key. */
	assert_int_equal(parse_elems(c, "{\"metric\":{\"jobid\":\"a\","
	    "\"\\u006aobid\":\"c\"},\"value\":[1,\"1\"]}"), 0);
	assert_rec(c, 0, "c", NULL, 1);
	assert_int_equal(parse(c, "{\"status\":\"error\","
	    "\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
	    "\"result\":[]}}"), 0);
	assert_int_equal(parse(c, "{\"status\":\"success\","
	    "\"status\":\"error\",\"data\":{\"resultType\":\"vector\","
	    "\"result\":[]}}"), ERR_UPSTREAM);
}

static void
test_escaped_keys(void **state)
{
	static const char doc[] = "{\"st\\u0061tus\":\"succ\\u0065ss\","
	    "\"d\\u0061ta\":{\"resultT\\u0079pe\":\"v\\u0065ctor\","
	    "\"\\u0072esult\":[{\"m\\u0065tric\":{\"\\u006aobid\":\"j\","
	    "\"t\\u0061rg\\u0065t\":\"t\"},\"v\\u0061lue\":[1,\"5\"]}]}}";
	struct collect *c = *state;

	assert_int_equal(parse(c, doc), 0);
	assert_int_equal(c->n, 1);
	assert_rec(c, 0, "j", "t", 5);
	/* Near misses are other labels. */
	assert_int_equal(parse_elems(c, "{\"metric\":{\"jobid\\u0000\":\"a\","
	    "\"Jobid\":\"b\",\"jobid \":\"c\",\"job\":\"d\",\"\":\"e\","
	    "\"\\u0000\":\"f\",\"jobidjobidjobidjobidjobidjobidjobidjobid"
	    "jobidjobidjobidjobidjobid\\u0000\":\"g\"},\"value\":[1,\"1\"]}"),
	    0);
	assert_rec(c, 0, NULL, NULL, 1);
}

static void
test_callback_stops(void **state)
{
	static const char three[] = "{\"metric\":{},\"value\":[1,\"1\"]},"
	    "{\"metric\":{},\"value\":[1,\"2\"]},"
	    "{\"metric\":{},\"value\":[1,\"3\"]}";
	struct collect *c = *state;

	c->stop_at = 2;
	c->stop_ret = 42;
	assert_int_equal(parse_elems(c, three), 42);
	assert_int_equal(c->n, 2);
	c->stop_at = 1;
	c->stop_ret = -99;
	assert_int_equal(parse_elems(c, three), -99);
	assert_int_equal(c->n, 1);
	c->stop_at = 3;
	c->stop_ret = ERR_TOOBIG;
	assert_int_equal(parse_elems(c, three), ERR_TOOBIG);
	assert_int_equal(c->n, 3);
	c->stop_at = 0;
	assert_int_equal(parse_elems(c, three), 0);
	assert_int_equal(c->n, 3);
	assert_true(c->sum == 6);
	/* Without a callback the answer is only checked. */
	assert_int_equal(json_parse_vector(HEAD TAIL, strlen(HEAD TAIL), NULL,
	    NULL, NULL, 0), 0);
}

/* n opening brackets, then n closing ones if close is set. */
static char *
nest(size_t n, int close, size_t *lenp)
{
	char *s;
	size_t i;

	s = malloc(2 * n);
	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = '[';
	for (i = 0; i < n && close; i++)
		s[n + i] = ']';
	*lenp = close ? 2 * n : n;
	return s;
}

static void
test_deep_nesting(void **state)
{
	struct collect *c = *state;
	struct buf b;
	size_t n, i;
	char *s;

	s = nest(100000, 0, &n);
	assert_int_equal(parse_n(c, s, n), ERR_TOOBIG);
	free(s);
	s = nest(100000, 1, &n);
	assert_int_equal(parse_n(c, s, n), ERR_TOOBIG);
	free(s);
	memset(c->reason, 0, sizeof(c->reason));
	/* Objects too, inside a member the reader itself walks. */
	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, "{\"data\":{\"x\":"), 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_puts(&b, "{\"a\":"), 0);
	assert_int_equal(parse_n(c, buf_ptr(&b), buf_len(&b)), ERR_TOOBIG);
	assert_non_null(strstr(c->reason, "deeper than"));
	buf_cleanup(&b);
	/* A second '{' where a key is due is bad JSON, however many. */
	s = malloc(100000);
	assert_non_null(s);
	memset(s, '{', 100000);
	assert_int_equal(parse_n(c, s, 100000), ERR_JSON_INVAL);
	free(s);

	/* Ignored data may nest up to the limit, counting the root. */
	buf_init(&b, 1 << 20);
	for (n = JSON_MAX_DEPTH - 1; n <= JSON_MAX_DEPTH; n++) {
		buf_reset(&b);
		assert_int_equal(buf_puts(&b, "{\"stats\":"), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(buf_puts(&b, i + 1 < n ?
			    "[\"]]}\"," : "[\"]]}\""), 0);
		for (i = 0; i < n; i++)
			assert_int_equal(buf_putc(&b, ']'), 0);
		assert_int_equal(buf_puts(&b, ",\"status\":\"success\","
		    "\"data\":{\"resultType\":\"vector\",\"result\":[]}}"), 0);
		assert_int_equal(parse_n(c, buf_ptr(&b), buf_len(&b)),
		    n < JSON_MAX_DEPTH ? 0 : ERR_TOOBIG);
	}
	/* Brackets inside strings do not count. */
	buf_reset(&b);
	for (i = 0; i < 200; i++)
		assert_int_equal(buf_puts(&b, "[{"), 0);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].jobid_len, 400);
	buf_cleanup(&b);
}

static void
test_label_length(void **state)
{
	struct collect *c = *state;
	struct buf b;
	char big[MAX_LABEL + 2];
	size_t i;

	memset(big, 'a', sizeof(big));
	big[MAX_LABEL] = '\0';
	assert_int_equal(parse_jobid(c, big), 0);
	assert_int_equal(c->rec[0].jobid_len, MAX_LABEL);
	big[MAX_LABEL] = 'a';
	big[MAX_LABEL + 1] = '\0';
	/* Too long: that series is marked, the answer still parses. */
	assert_int_equal(parse_jobid(c, big), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->rec[0].has_jobid, 0);
	assert_int_equal(c->rec[0].too_long, 1);

	/* The decoded length counts, not the escaped one. */
	buf_init(&b, 1 << 20);
	for (i = 0; i < MAX_LABEL; i++)
		assert_int_equal(buf_puts(&b, "\\u0041"), 0);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].jobid_len, MAX_LABEL);
	assert_int_equal(buf_puts(&b, "\\u0041"), 0);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].too_long, 1);

	/* What the callback gets is capped too, after sanitizing. */
	buf_reset(&b);
	for (i = 0; i < MAX_LABEL - 3; i++)
		assert_int_equal(buf_putc(&b, 'a'), 0);
	assert_int_equal(buf_puts(&b, "\\u0000"), 0);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].jobid_len, MAX_LABEL);
	assert_int_equal(buf_puts(&b, "\\u0000"), 0);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].too_long, 1);

	/* A replaced byte counts as the three of U+FFFD against the cap. */
	buf_reset(&b);
	for (i = 0; i < MAX_LABEL / 3; i++)
		assert_int_equal(buf_puts(&b, "\xff"), 0);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].too_long, 0);
	assert_int_equal(c->rec[0].jobid_len, MAX_LABEL / 3 * 3);
	assert_int_equal(buf_puts(&b, "\xff"), 0);
	assert_true((MAX_LABEL / 3 + 1) * 3 > MAX_LABEL);
	assert_int_equal(parse_jobid(c, buf_ptr(&b)), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->rec[0].too_long, 1);
	assert_int_equal(c->rec[0].has_jobid, 0);

	/* target too; other labels are not looked at. */
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"metric\":{\"target\":\"%s\"},"
	    "\"value\":[1,\"1\"]}", big), 0);
	assert_int_equal(parse_elems(c, buf_ptr(&b)), 0);
	assert_int_equal(c->rec[0].too_long, 1);
	assert_int_equal(c->rec[0].has_target, 0);
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"metric\":{\"instance\":\"%s%s\"},"
	    "\"value\":[1,\"1\"]}", big, big), 0);
	assert_int_equal(parse_elems(c, buf_ptr(&b)), 0);
	buf_cleanup(&b);
}

static void
test_reason_contract(void **state)
{
	static const char *const docs[] = {
		"", "{", "{}x", "{\"a\":tru}", HEAD "1" TAIL,
		"{\"status\":\"error\",\"errorType\":\"e\",\"error\":\"m\"}",
	};
	struct collect *c = *state;
	char reason[40];
	size_t i, sz;
	int r;

	(void)c;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		for (sz = 1; sz <= sizeof(reason); sz++) {
			memset(reason, 'X', sizeof(reason));
			r = json_parse_vector(docs[i], strlen(docs[i]), NULL,
			    NULL, reason, sz);
			assert_true(r != 0);
			assert_non_null(memchr(reason, '\0', sz));
			/* Nothing written past reasonsz. */
			if (sz < sizeof(reason))
				assert_int_equal(reason[sz], 'X');
			if (sz > 1)
				assert_true(reason[0] != '\0');
		}
	}
	memset(reason, 'X', sizeof(reason));
	assert_int_equal(json_parse_vector(HEAD TAIL, strlen(HEAD TAIL), NULL,
	    NULL, reason, sizeof(reason)), 0);
	assert_string_equal(reason, "");
}

/* About 11 MB: the size the header's performance promise is about. */
static void
test_large_answer(void **state)
{
	struct collect *c = *state;
	struct buf b;
	double want = 0;
	size_t i;

	buf_init(&b, 64 * 1024 * 1024);
	assert_int_equal(buf_puts(&b, HEAD), 0);
	for (i = 0; i < 100000; i++) {
		assert_int_equal(buf_appendf(&b, "%s\n\t\t{\"metric\":"
		    "{\"__name__\":\"lustre_job_stats_total\","
		    "\"jobid\":\"%zu\","
		    "\"target\":\"scratch-OST%04zx\"},"
		    "\"value\":[1639743019.545,\"%zu.25\"]}",
		    i == 0 ? "" : ",", 35000000 + i, i % 4096, i), 0);
		want += (double)i + 0.25;
	}
	assert_int_equal(buf_puts(&b, TAIL), 0);
	assert_true(buf_len(&b) > 10 * 1000 * 1000);

	assert_int_equal(parse_n(c, buf_ptr(&b), buf_len(&b)), 0);
	assert_int_equal(c->n, 100000);
	assert_true(c->sum == want);
	assert_rec(c, 0, "35000000", "scratch-OST0000", 0.25);
	assert_rec(c, 63, "35000063", "scratch-OST003f", 63.25);
	buf_cleanup(&b);
}

/* Parses s[0..n) fed in pieces of k bytes into c, like parse_n(). */
static int
parse_chunked(struct collect *c, const char *s, size_t n, size_t k)
{
	struct json_stream *js;
	size_t i, m;
	int r = 0;

	c->n = 0;
	c->sum = 0;
	js = json_stream_new(collect_fn, c);
	assert_non_null(js);
	for (i = 0; i < n && r == 0; i += m) {
		m = n - i < k ? n - i : k;
		r = json_stream_feed(js, s + i, m);
	}
	if (r == 0)
		r = json_stream_end(js);
	/* As json_parse_vector() cuts it, so that the two compare. */
	m = utf8_cut(json_stream_reason(js), strlen(json_stream_reason(js)),
	    sizeof(c->reason) - 1);
	memcpy(c->reason, json_stream_reason(js), m);
	c->reason[m] = '\0';
	json_stream_free(js);
	return r;
}

/* Whole or in pieces of any size, an answer reads the same. */
static void
test_chunked(void **state)
{
	static const char *const names[] = {
		"metadata.json", "read.json", "escapes.json", "error.json",
		"nonfinite.json", "unusual.json", "empty.json", "matrix.json",
		"invalid_utf8.json", "odd_labels.json", "truncated.json",
	};
	static const char *const docs[] = {
		HEAD "{\"metric\":{\"jobid\":\"a\\\"b\\\\\"},\"value\":[1,\"2\"]}"
		    TAIL,
		HEAD "{\"metric\":{\"jobid\":\"ab\\\"},\"value\":[1,\"2\"]}" TAIL,
		HEAD "{\"metric\":{},\"value\":[1,\"1\"]},7" TAIL,
		HEAD "{\"metric\":{},\"value\":[tru,\"1\"]}" TAIL,
		"{\"status\":\"error\",\"errorType\":\"e\",\"error\":\"m\"}",
		"{\"data\":{\"result\":[{\"metric\":{},\"value\":[1,\"4\"]}]},"
		    "\"status\":\"success\"}",
		"  {\"status\" : \"success\" , \"data\" : { \"result\" : [ ] } }"
		    "  \n",
		"{\"status\":\"success\"} x", "123", "[]", "\"s\"", "",
	};
	struct collect *c = *state;
	static const size_t sizes[] = { 1, 2, 3, 5, 17, 4096 };
	char wreason[sizeof(c->reason)];
	double wsum;
	size_t wn;
	size_t i, j, len;
	char *s;
	int r, rw;

	for (i = 0; i < sizeof(names) / sizeof(names[0]) +
	    sizeof(docs) / sizeof(docs[0]); i++) {
		if (i < sizeof(names) / sizeof(names[0])) {
			s = load(names[i], &len);
		} else {
			len = strlen(docs[i - sizeof(names) /
			    sizeof(names[0])]);
			s = malloc(len + 1);
			assert_non_null(s);
			memcpy(s, docs[i - sizeof(names) / sizeof(names[0])],
			    len + 1);
		}
		rw = parse_n(c, s, len);
		wn = c->n;
		wsum = c->sum;
		memcpy(wreason, c->reason, sizeof(wreason));
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			r = parse_chunked(c, s, len, sizes[j]);
			if (r != rw || c->n != wn || !(c->sum == wsum) ||
			    strcmp(c->reason, wreason) != 0)
				fail_msg("%zu, pieces of %zu: %d \"%s\" %zu, "
				    "whole: %d \"%s\" %zu", i, sizes[j], r,
				    c->reason, c->n, rw, wreason, wn);
		}
		free(s);
	}
}

/* Each element is passed on when it ends, before the answer does. */
static void
test_streams(void **state)
{
	static const char part[] = HEAD "{\"metric\":{\"jobid\":\"1\"},"
	    "\"value\":[1,\"2\"]},{\"metric\":{\"jobid\":\"2\"},\"val";
	struct collect *c = *state;
	struct json_stream *js;

	c->n = 0;
	js = json_stream_new(collect_fn, c);
	assert_non_null(js);
	assert_int_equal(json_stream_feed(js, part, strlen(part)), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(json_stream_feed(js, "ue\":[1,\"3\"]}", 12), 0);
	assert_int_equal(c->n, 2);
	assert_int_equal(json_stream_feed(js, TAIL, strlen(TAIL)), 0);
	assert_int_equal(json_stream_end(js), 0);
	assert_string_equal(json_stream_reason(js), "");
	/* A failure sticks. */
	json_stream_free(js);
	js = json_stream_new(collect_fn, c);
	assert_non_null(js);
	assert_int_equal(json_stream_feed(js, "{x", 2), ERR_JSON_INVAL);
	assert_int_equal(json_stream_feed(js, "}", 1), ERR_JSON_INVAL);
	assert_int_equal(json_stream_end(js), ERR_JSON_INVAL);
	assert_string_equal(json_stream_reason(js),
	    "invalid JSON near byte 1");
	json_stream_free(js);
}

/* Memory follows the largest element, not the answer. */
static void
test_memory_flat(void **state)
{
	static const char elem[] = "{\"metric\":{\"jobid\":\"12345\","
	    "\"target\":\"fs-MDT0000\"},\"value\":[1700000000.123,\"42\"]},";
	struct collect *c = *state;
	struct json_stream *js;
	size_t i;

	c->n = 0;
	js = json_stream_new(collect_fn, c);
	assert_non_null(js);
	assert_int_equal(json_stream_feed(js, HEAD, strlen(HEAD)), 0);
	for (i = 0; i < 200000; i++)
		assert_int_equal(json_stream_feed(js, elem, i + 1 < 200000 ?
		    strlen(elem) : strlen(elem) - 1), 0);
	assert_int_equal(json_stream_feed(js, TAIL, strlen(TAIL)), 0);
	assert_int_equal(json_stream_end(js), 0);
	assert_int_equal(c->n, 200000);
	assert_int_equal(js->c.tokalloc, JSON_TOKENS_START);
	assert_true(js->win._alloc <= 1024);
	json_stream_free(js);
}

/* An element of more tokens than the array holds makes it grow. */
static void
test_tokens_grow(void **state)
{
	struct collect *c = *state;
	struct json_stream *js;
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 20);
	assert_int_equal(buf_puts(&b, HEAD "{\"metric\":{\"jobid\":\"7\""),
	    0);
	/* 2 tokens a label: four times the first array. */
	for (i = 0; i < 2 * JSON_TOKENS_START; i++)
		assert_int_equal(buf_appendf(&b, ",\"l%zu\":\"v\"", i), 0);
	assert_int_equal(buf_puts(&b, "},\"value\":[1,\"3\"]}" TAIL), 0);
	c->n = 0;
	js = json_stream_new(collect_fn, c);
	assert_non_null(js);
	assert_int_equal(json_stream_feed(js, buf_ptr(&b), buf_len(&b)), 0);
	assert_int_equal(json_stream_end(js), 0);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->rec[0].jobid, "7");
	assert_true(js->c.tokalloc >= 4 * JSON_TOKENS_START);
	json_stream_free(js);
	buf_cleanup(&b);
}

/* One value may be JSON_MAX_VALUE bytes; the answer has no cap. */
static void
test_value_cap(void **state)
{
	struct collect *c = *state;
	struct buf b, big;
	size_t i;

	buf_init(&big, JSON_MAX_VALUE + 16);
	for (i = 0; i < JSON_MAX_VALUE - 100; i++)
		assert_int_equal(buf_putc(&big, 'x'), 0);
	buf_init(&b, 2 * JSON_MAX_VALUE);
	/* Just under: an odd label is no reason to fail. */
	assert_int_equal(buf_appendf(&b, "{\"metric\":{\"jobid\":\"1\","
	    "\"x\":\"%s\"},\"value\":[1,\"1\"]}", buf_ptr(&big)), 0);
	assert_int_equal(parse_elems(c, buf_ptr(&b)), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"metric\":{\"jobid\":\"1\","
	    "\"x\":\"%s\"},\"value\":[1,\"1\"]}", buf_ptr(&big)), 0);
	assert_int_equal(parse_elems(c, buf_ptr(&b)), ERR_TOOBIG);
	assert_non_null(strstr(c->reason, "a JSON value of more than"));
	/* In a member the reader does not use, and in a key. */
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"warnings\":[\"%s\"]}",
	    buf_ptr(&big)), 0);
	assert_int_equal(parse(c, buf_ptr(&b)), ERR_TOOBIG);
	buf_reset(&b);
	assert_int_equal(buf_append(&big, "0123456789", 10), 0);
	assert_int_equal(buf_appendf(&b, "{\"%s\":1}", buf_ptr(&big)), 0);
	assert_int_equal(parse(c, buf_ptr(&b)), ERR_TOOBIG);
	assert_non_null(strstr(c->reason, "a JSON key of more than"));
	buf_cleanup(&b);
	buf_cleanup(&big);
}

/* Series stream out of data and data.result: each may come once. */
static void
test_streamed_members(void **state)
{
	static const char *const twice[] = {
		"{\"status\":\"success\",\"data\":{\"result\":[]},"
		    "\"data\":{\"result\":[]}}",
		"{\"status\":\"success\",\"data\":null,"
		    "\"data\":{\"result\":[]}}",
		"{\"status\":\"success\",\"data\":{\"result\":[],"
		    "\"result\":[]}}",
		"{\"status\":\"success\",\"data\":{\"\\u0072esult\":[],"
		    "\"result\":[]}}",
	};
	static const char elem[] = "{\"metric\":{\"jobid\":\"1\"},"
	    "\"value\":[1,\"2\"]}";
	struct collect *c = *state;
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		if (parse(c, twice[i]) != ERR_JSON_SCHEMA ||
		    strstr(c->reason, "given twice") == NULL)
			fail_msg("%s: %s", twice[i], c->reason);
	}
	buf_init(&b, 4096);
	/* status may come last; the elements were passed on already. */
	assert_int_equal(buf_appendf(&b, "{\"data\":{\"result\":[%s]},"
	    "\"status\":\"success\"}", elem), 0);
	assert_int_equal(parse(c, buf_ptr(&b)), 0);
	assert_int_equal(c->n, 1);
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"data\":{\"result\":[%s]},"
	    "\"status\":\"error\"}", elem), 0);
	assert_int_equal(parse(c, buf_ptr(&b)), ERR_UPSTREAM);
	assert_int_equal(c->n, 1);
	/* Under a failed status none is; a later "success" cannot undo. */
	buf_reset(&b);
	assert_int_equal(buf_appendf(&b, "{\"status\":\"error\",\"data\":{"
	    "\"result\":[%s]},\"status\":\"success\"}", elem), 0);
	assert_int_equal(parse(c, buf_ptr(&b)), ERR_JSON_SCHEMA);
	assert_int_equal(c->n, 0);
	assert_non_null(strstr(c->reason, "under another status"));
	buf_cleanup(&b);
}

/* The fast path reads every decimal it takes as strtod() does. */
static void
test_fast_decimal(void **state)
{
	static const char *const odd[] = {
		"0", "-0", "+0", "007", "1.", ".5", "-.5", "0.000000000000000001",
		"999999999999999", "99999999999999.9", "0.1", "0.3",
		"123456789012345", "1.00000000000000000000",
		"4503599627370497", "9007199254740993",
	};
	static const char *const refused[] = {
		"", ".", "-", "+", "1..2", "1e5", "--1", "1-", "1234567890123456",
		"0.12345678901234567", "1.0000000000000000000000001",
	};
	char s[64];
	double v, w;
	size_t i, k, len;
	unsigned int seed = 12345;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		if (!json_fast_decimal(odd[i], strlen(odd[i]), &v))
			continue;	/* left to strtod(): nothing to compare */
		w = strtod(odd[i], NULL);
		if (memcmp(&v, &w, sizeof(v)) != 0)
			fail_msg("%s: %.17g, strtod %.17g", odd[i], v, w);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (json_fast_decimal(refused[i], strlen(refused[i]), &v))
			fail_msg("%s taken", refused[i]);
	for (i = 0; i < 1000000; i++) {
		/* Up to 15 digits, the point anywhere, a sign now and then. */
		len = 0;
		if (rand_r(&seed) % 4 == 0)
			s[len++] = rand_r(&seed) % 2 ? '-' : '+';
		for (k = 1 + (size_t)rand_r(&seed) % 15; k > 0; k--)
			s[len++] = (char)('0' + rand_r(&seed) % 10);
		if (rand_r(&seed) % 8 != 0) {
			k = (s[0] == '-' || s[0] == '+') ? 1 : 0;
			k += (size_t)rand_r(&seed) % (len - k + 1);
			memmove(s + k + 1, s + k, len - k);
			s[k] = '.';
			len++;
		}
		s[len] = '\0';
		/* Each has a digit and at most 15: the fast path's own. */
		if (!json_fast_decimal(s, len, &v))
			fail_msg("%s refused", s);
		w = strtod(s, NULL);
		if (memcmp(&v, &w, sizeof(v)) != 0)
			fail_msg("%s: %.17g, strtod %.17g", s, v, w);
	}
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup_collect, \
		    teardown_collect)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_original_metadata),
		T(test_original_read),
		T(test_fixture_escapes),
		T(test_fixture_error),
		T(test_fixture_truncated),
		T(test_fixture_matrix),
		T(test_fixture_nonfinite),
		T(test_fixture_invalid_utf8),
		T(test_fixture_odd_labels),
		T(test_fixture_unusual),
		T(test_fixture_empty),
		T(test_every_prefix),
		T(test_every_escape),
		T(test_bad_escapes),
		T(test_raw_controls),
		T(test_invalid_utf8_labels),
		T(test_invalid_utf8_keys),
		T(test_invalid_utf8_frame),
		T(test_lone_surrogates),
		T(test_same_sanitized_jobid),
		T(test_malformed),
		T(test_empty_and_nul),
		T(test_primitives),
		T(test_upstream_error),
		T(test_schema),
		T(test_values),
		T(test_duplicates),
		T(test_escaped_keys),
		T(test_callback_stops),
		T(test_deep_nesting),
		T(test_label_length),
		T(test_reason_contract),
		T(test_large_answer),
		T(test_chunked),
		T(test_streams),
		T(test_memory_flat),
		T(test_tokens_grow),
		T(test_value_cap),
		T(test_streamed_members),
		T(test_fast_decimal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
