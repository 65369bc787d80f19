/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/caps.h"

/*
 * A smaller cap, so the MAX_RECORDS refusals are cheap to reach; caps.h
 * is guarded, so join.c sees this value (hash.c, linked separately, keeps
 * the real one).  Still above the scale test's 100 000 series.
 */
#undef MAX_RECORDS
#define MAX_RECORDS	150000

/* fail_at makes the n-th allocation of join.c from now fail. */
#include "alloc_fail.h"

#include "../lib/join.c"

#include "join_add.h"

/*
 * The names a join reads, fresh for every test, and the join.  Each test
 * makes and frees the join itself (open_join(), close_join()): cmocka
 * counts what join.c allocated by the end of the test function as leaked.
 */
struct fx {
	struct names	*nm;
	struct join	*j;
};

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->nm = names_new(MAX_NAMES_BYTES)) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* The fixture of state, with a new join. */
static struct fx *
open_join(void **state)
{
	struct fx *f = *state;

	assert_non_null(f->j = join_new(f->nm));
	return f;
}

static void
close_join(struct fx *f)
{
	join_free(f->j);
	f->j = NULL;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	join_free(f->j);
	names_free(f->nm);
	free(f);
	return 0;
}

/*
 * The original's test data, as in tests/fixtures/original/: squeue.txt,
 * passwd.txt, group.txt, and the metadata.json / read.json results as
 * (jobid, target, value).  There is no write data (an empty vector).
 */
static const struct {
	uint64_t	 id;
	const char	*account;
	const char	*user;
} orig_squeue[] = {
	{ 35044931, "acc_a", "u1" },
	{ 35070653, "acc_a", "u1" },
	{ 35189820, "acc_b", "u2" },
	{ 35166602, "acc_b", "u2" },
	{ 35189845, "acc_a", "u2" },
	{ 35048662, "acc_c", "u3" },
	{ 35056989, "acc_c", "u3" },
	{ 35652133, "acc_a", "u1" },
	{ 35239994, "acc_b", "u2" },
	{ 35651038, "acc_a", "u1" },
	{ 35683050, "acc_c", "u3" },
	{ 35676304, "acc_c", "u3" },
	{ 35682305, "acc_b", "u2" },
	{ 35676288, "acc_a", "u1" },
};

static const struct {
	uint32_t	 uid;
	const char	*name;
	uint32_t	 gid;
} orig_passwd[] = {
	{ 0, "root", 0 },
	{ 5689, "kim", 500 },
	{ 6812, "lee", 501 },
};

static const struct {
	uint32_t	 gid;
	const char	*name;
} orig_group[] = {
	{ 0, "root" },
	{ 500, "hpcusers" },
	{ 501, "guests" },
};

struct lustre_sample {
	const char	*jobid;
	const char	*target;
	double		 value;
};

static const struct lustre_sample orig_metadata[] = {
	{ "35044931", "hebe-MDT0002", 1 },
	{ "35070653", "hebe-MDT0000", 43 },
	{ "35189820", "hebe-MDT0000", 4 },
	{ "35166602", "hebe-MDT0001", 31 },
	{ "35189845", "hebe-MDT0001", 1 },
	{ "35048662", "hebe-MDT0001", 27 },
	{ "cp.5689", "hebe-MDT0002", 1 },
	{ "35056989", "hebe-OST022d", 5 },
	{ "touch.6812", "hebe-OST020c", 1 },
};

static const struct lustre_sample orig_read[] = {
	{ "35652133", NULL, 319215.8800539506 },
	{ "35239994", NULL, 125747.2 },
	{ "35651038", NULL, 379697.46153350436 },
	{ "35683050", NULL, 955.7333333333333 },
	{ "35676304", NULL, 893883.7333333333 },
	{ "35682305", NULL, 819.2 },
	{ "35676288", NULL, 689493.3333333334 },
	{ "35676299", NULL, 248627.2 },
};

/* expected.txt, cluster_* families, labels sorted by name. */
struct expect_row {
	int		 family;
	const char	*v[FAMILY_MAX_LABELS];
	double		 value;
};

static const struct expect_row orig_expected[] = {
	{ FAMILY_JOB_METADATA, { "acc_a", "hebe-MDT0002", "u1" }, 1 },
	{ FAMILY_JOB_METADATA, { "acc_a", "hebe-MDT0000", "u1" }, 43 },
	{ FAMILY_JOB_METADATA, { "acc_b", "hebe-MDT0000", "u2" }, 4 },
	{ FAMILY_JOB_METADATA, { "acc_b", "hebe-MDT0001", "u2" }, 31 },
	{ FAMILY_JOB_METADATA, { "acc_a", "hebe-MDT0001", "u2" }, 1 },
	{ FAMILY_JOB_METADATA, { "acc_c", "hebe-MDT0001", "u3" }, 27 },
	{ FAMILY_PROC_METADATA, { "hpcusers", "cp", "hebe-MDT0002", "kim" },
	    1 },
	{ FAMILY_JOB_READ, { "acc_a", "u1" }, 1388406.6749207885 },
	{ FAMILY_JOB_READ, { "acc_b", "u2" }, 126566.4 },
	{ FAMILY_JOB_READ, { "acc_c", "u3" }, 894839.4666666666 },
};

/*
 * A minimal jobid split for the fixtures (lib/lustre does the real one):
 * all digits is a job, else the uid follows the last dot.
 */
static void
sample_series(struct names *nm, const struct lustre_sample *x,
    struct join_series *s)
{
	const char *dot;
	size_t n = strlen(x->jobid);

	memset(s, 0, sizeof(*s));
	s->value = x->value;
	s->target = name_id(nm, x->target);
	if (strspn(x->jobid, "0123456789") == n) {
		s->kind = PROTO_KIND_JOB;
		s->jobid = strtoull(x->jobid, NULL, 10);
		return;
	}
	dot = strrchr(x->jobid, '.');
	assert_non_null(dot);
	s->kind = PROTO_KIND_PROC;
	s->proc = name_idn(nm, x->jobid, (size_t)(dot - x->jobid));
	s->uid = (uint32_t)strtoul(dot + 1, NULL, 10);
}

static void
add_job_series(struct fx *f, int source, uint64_t id, const char *target,
    double value)
{
	struct join_series s;

	memset(&s, 0, sizeof(s));
	s.kind = PROTO_KIND_JOB;
	s.jobid = id;
	s.target = name_id(f->nm, target);
	s.value = value;
	assert_int_equal(join_add_series(f->j, source, &s), 0);
}

static void
add_proc_series(struct fx *f, int source, const char *proc, size_t plen,
    uint32_t uid, const char *target, double value)
{
	struct join_series s;

	memset(&s, 0, sizeof(s));
	s.kind = PROTO_KIND_PROC;
	s.proc = name_idn(f->nm, proc, plen);
	s.uid = uid;
	s.target = name_id(f->nm, target);
	s.value = value;
	assert_int_equal(join_add_series(f->j, source, &s), 0);
}

static int
close_enough(double got, double want)
{
	if (got == want)
		return 1;
	return fabs(got - want) <= 1e-9 * fabs(want);
}

/* Asserts that family f holds exactly the rows of exp[] with that f. */
static void
assert_family(const struct join *j, int f, const struct expect_row *exp,
    size_t nexp)
{
	struct join_row row;
	size_t i, k, n = 0;

	for (i = 0; i < nexp; i++) {
		if (exp[i].family != f)
			continue;
		assert_true(n < join_rows(j, f));
		join_row(j, f, n, &row);
		assert_int_equal(row.nlabels, source_family(f)->nlabels);
		for (k = 0; k < row.nlabels; k++) {
			assert_int_equal(row.lens[k], strlen(exp[i].v[k]));
			assert_memory_equal(row.values[k], exp[i].v[k],
			    row.lens[k]);
			/* Copies are NUL-terminated for C consumers. */
			assert_int_equal(row.values[k][row.lens[k]], '\0');
		}
		if (!close_enough(row.value, exp[i].value))
			fail_msg("family %d row %zu: %.17g, want %.17g", f, n,
			    row.value, exp[i].value);
		n++;
	}
	assert_int_equal(join_rows(j, f), n);
}

static void
load_original(struct fx *f)
{
	struct join_series s;
	size_t i;

	for (i = 0; i < sizeof(orig_squeue) / sizeof(orig_squeue[0]); i++)
		add_job(f->nm, f->j, orig_squeue[i].id,
		    orig_squeue[i].account, orig_squeue[i].user);
	for (i = 0; i < sizeof(orig_passwd) / sizeof(orig_passwd[0]); i++)
		add_user(f->nm, f->j, orig_passwd[i].uid, orig_passwd[i].name,
		    orig_passwd[i].gid);
	for (i = 0; i < sizeof(orig_group) / sizeof(orig_group[0]); i++)
		add_group(f->nm, f->j, orig_group[i].gid, orig_group[i].name);
	for (i = 0; i < sizeof(orig_metadata) / sizeof(orig_metadata[0]);
	    i++) {
		sample_series(f->nm, &orig_metadata[i], &s);
		assert_int_equal(join_add_series(f->j, QUERY_METADATA, &s), 0);
	}
	for (i = 0; i < sizeof(orig_read) / sizeof(orig_read[0]); i++) {
		sample_series(f->nm, &orig_read[i], &s);
		assert_int_equal(join_add_series(f->j, QUERY_READ, &s), 0);
	}
}

static void
test_original_testdata(void **state)
{
	struct fx *f = open_join(state);
	struct join *j = f->j;
	struct join_stats st;
	const uint32_t *uids;
	size_t n, fam;

	load_original(f);

	/* Proc uids to ask the accounts helper about, OST ones included. */
	uids = join_proc_uids(j, &n);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 5689);
	assert_int_equal(uids[1], 6812);

	assert_int_equal(join_build(j, QUERY_METADATA, &st), 0);
	assert_int_equal(st.rows, 7);
	assert_int_equal(st.not_mdt, 2);
	assert_int_equal(st.no_job, 0);
	assert_int_equal(st.no_user, 0);
	assert_int_equal(st.no_group, 0);

	assert_int_equal(join_build(j, QUERY_READ, &st), 0);
	assert_int_equal(st.rows, 3);
	assert_int_equal(st.no_job, 1);	/* 35676299 is not running */
	assert_int_equal(st.not_mdt, 0);
	assert_int_equal(st.no_user, 0);

	assert_int_equal(join_build(j, QUERY_WRITE, &st), 0);
	assert_int_equal(st.rows, 0);

	for (fam = 0; fam < FAMILY_COUNT; fam++)
		assert_family(j, (int)fam, orig_expected,
		    sizeof(orig_expected) / sizeof(orig_expected[0]));
	assert_int_equal(join_rows(j, FAMILY_PROC_READ), 0);
	assert_int_equal(join_rows(j, FAMILY_JOB_WRITE), 0);
	assert_int_equal(join_rows(j, FAMILY_PROC_WRITE), 0);

	/* Building again gives the same rows, not doubled sums. */
	assert_int_equal(join_build(j, QUERY_READ, NULL), 0);
	assert_family(j, FAMILY_JOB_READ, orig_expected,
	    sizeof(orig_expected) / sizeof(orig_expected[0]));
	close_join(f);
}

static void
test_summing(void **state)
{
	static const struct expect_row exp[] = {
		{ FAMILY_JOB_WRITE, { "p1", "alice" }, 1 + 2 + 4 + 64 },
		{ FAMILY_JOB_WRITE, { "p2", "alice" }, 8 + 16 },
		{ FAMILY_JOB_WRITE, { "p1", "bob" }, 32 },
		/* Two uids with one name and group: one label tuple. */
		{ FAMILY_PROC_WRITE, { "staff", "rsync", "carol" }, 1 + 2 + 8 },
		{ FAMILY_PROC_WRITE, { "staff", "cp", "carol" }, 4 },
		{ FAMILY_PROC_WRITE, { "staff", "my.app", "dave" }, 16 },
	};
	struct fx *f = open_join(state);
	struct join_stats st;

	add_job(f->nm, f->j, 1, "p1", "alice");
	add_job(f->nm, f->j, 2, "p1", "alice");
	add_job(f->nm, f->j, 3, "p2", "alice");
	add_job(f->nm, f->j, 4, "p2", "alice");
	add_job(f->nm, f->j, 5, "p1", "bob");
	add_user(f->nm, f->j, 1000, "carol", 100);
	add_user(f->nm, f->j, 1001, "carol", 100);
	add_user(f->nm, f->j, 1002, "dave", 100);
	add_group(f->nm, f->j, 100, "staff");

	add_job_series(f, QUERY_WRITE, 1, NULL, 1);
	add_job_series(f, QUERY_WRITE, 2, NULL, 2);
	add_job_series(f, QUERY_WRITE, 1, NULL, 4);
	add_job_series(f, QUERY_WRITE, 3, NULL, 8);
	add_job_series(f, QUERY_WRITE, 4, NULL, 16);
	add_job_series(f, QUERY_WRITE, 5, NULL, 32);
	add_job_series(f, QUERY_WRITE, 2, NULL, 64);
	add_proc_series(f, QUERY_WRITE, "rsync", 5, 1000, NULL, 1);
	add_proc_series(f, QUERY_WRITE, "rsync", 5, 1001, NULL, 2);
	add_proc_series(f, QUERY_WRITE, "cp", 2, 1000, NULL, 4);
	add_proc_series(f, QUERY_WRITE, "rsync", 5, 1000, NULL, 8);
	add_proc_series(f, QUERY_WRITE, "my.app", 6, 1002, NULL, 16);

	assert_int_equal(join_build(f->j, QUERY_WRITE, &st), 0);
	assert_int_equal(st.rows, 6);
	assert_family(f->j, FAMILY_JOB_WRITE, exp,
	    sizeof(exp) / sizeof(exp[0]));
	assert_family(f->j, FAMILY_PROC_WRITE, exp,
	    sizeof(exp) / sizeof(exp[0]));
	/* Other sources are untouched. */
	assert_int_equal(join_rows(f->j, FAMILY_JOB_READ), 0);
	/* Released, the series are gone; the rows built from them stay. */
	join_release(f->j, QUERY_WRITE);
	join_release(f->j, -1);
	assert_family(f->j, FAMILY_JOB_WRITE, exp,
	    sizeof(exp) / sizeof(exp[0]));
	assert_family(f->j, FAMILY_PROC_WRITE, exp,
	    sizeof(exp) / sizeof(exp[0]));
	assert_int_equal(join_build(f->j, QUERY_WRITE, &st), 0);
	assert_int_equal(st.rows, 0);
	close_join(f);
}

static void
test_unknown_ids(void **state)
{
	static const struct expect_row exp[] = {
		{ FAMILY_PROC_METADATA, { "grp", "ls", "fs-MDT0000", "known" },
		    3 },
	};
	struct fx *f = open_join(state);
	struct join_stats st;
	const uint32_t *uids;
	size_t n;

	add_user(f->nm, f->j, 10, "known", 1);
	add_user(f->nm, f->j, 11, "nogroup", 2);	/* gid 2: no group */
	add_group(f->nm, f->j, 1, "grp");

	add_proc_series(f, QUERY_METADATA, "ls", 2, 10, "fs-MDT0000", 3);
	add_proc_series(f, QUERY_METADATA, "ls", 2, 12, "fs-MDT0000", 5);
	add_proc_series(f, QUERY_METADATA, "ls", 2, 11, "fs-MDT0000", 7);
	add_proc_series(f, QUERY_METADATA, "ls", 2, 12, "fs-MDT0001", 1);
	/* Not an MDT: counted as such, not as an unknown uid. */
	add_proc_series(f, QUERY_METADATA, "ls", 2, 12, "fs-OST0000", 1);
	add_job_series(f, QUERY_METADATA, 77, "fs-MDT0000", 9);
	add_job_series(f, QUERY_METADATA, 77, "fs-MDT000", 9);

	assert_int_equal(join_build(f->j, QUERY_METADATA, &st), 0);
	assert_int_equal(st.rows, 1);
	assert_int_equal(st.no_user, 2);
	assert_int_equal(st.no_group, 1);
	assert_int_equal(st.no_job, 1);
	assert_int_equal(st.not_mdt, 2);
	assert_family(f->j, FAMILY_PROC_METADATA, exp,
	    sizeof(exp) / sizeof(exp[0]));
	assert_int_equal(join_rows(f->j, FAMILY_JOB_METADATA), 0);

	/* Unknown uids are listed too: they are what to look up. */
	uids = join_proc_uids(f->j, &n);
	assert_int_equal(n, 3);
	assert_int_equal(uids[0], 10);
	assert_int_equal(uids[1], 12);
	assert_int_equal(uids[2], 11);
	close_join(f);
}

static void
test_adversarial_labels(void **state)
{
	static const char *const names[] = {
		"a\",evil=\"x",
		"back\\slash\\",
		"new\nline",
		"quote\"",
		"a",
		"a\"",
		"\"",
		"x\0y",		/* length 3 */
		"x\0z",
		"",
	};
	static const size_t lens[] = { 11, 11, 8, 6, 1, 2, 1, 3, 3, 0 };
	const size_t nnames = sizeof(names) / sizeof(names[0]);
	struct fx *f = open_join(state);
	struct join *j = f->j;
	struct join_row row;
	struct join_stats st;
	size_t i;

	add_user(f->nm, j, 1, "u", 1);
	add_group(f->nm, j, 1, "g");
	for (i = 0; i < nnames; i++)
		add_proc_series(f, QUERY_READ, names[i], lens[i], 1, NULL,
		    (double)(i + 1));
	/* Fields that would collide under "a|b" joining must not. */
	add_job(f->nm, j, 1, "ab", "c");
	add_job(f->nm, j, 2, "a", "bc");
	add_job(f->nm, j, 3, "a|b", "c");
	add_job(f->nm, j, 4, "a", "b|c");
	assert_int_equal(join_add_job(j, 5, name_idn(f->nm,
	    "a\x01\x00\x00\x00", 5), name_id(f->nm, "b")), 0);
	add_job_series(f, QUERY_READ, 1, NULL, 1);
	add_job_series(f, QUERY_READ, 2, NULL, 2);
	add_job_series(f, QUERY_READ, 3, NULL, 4);
	add_job_series(f, QUERY_READ, 4, NULL, 8);
	add_job_series(f, QUERY_READ, 5, NULL, 16);

	assert_int_equal(join_build(j, QUERY_READ, &st), 0);
	assert_int_equal(st.rows, nnames + 5);
	assert_int_equal(join_rows(j, FAMILY_PROC_READ), nnames);
	for (i = 0; i < nnames; i++) {
		join_row(j, FAMILY_PROC_READ, i, &row);
		assert_int_equal(row.nlabels, 3);
		assert_int_equal(row.lens[0], 1);
		assert_int_equal(row.lens[1], lens[i]);
		assert_memory_equal(row.values[1], names[i], lens[i]);
		assert_int_equal(row.values[1][lens[i]], '\0');
		assert_int_equal(row.lens[2], 1);
		assert_true(row.value == (double)(i + 1));
	}
	assert_int_equal(join_rows(j, FAMILY_JOB_READ), 5);
	for (i = 0; i < 5; i++) {
		join_row(j, FAMILY_JOB_READ, i, &row);
		assert_true(row.value == (double)(1 << i));
	}
	join_row(j, FAMILY_JOB_READ, 4, &row);
	assert_int_equal(row.lens[0], 5);
	assert_memory_equal(row.values[0], "a\x01\x00\x00\x00", 5);
	close_join(f);
}

static void
test_duplicates_first_kept(void **state)
{
	static const struct expect_row exp[] = {
		{ FAMILY_JOB_READ, { "first", "u" }, 3 },
		{ FAMILY_PROC_READ, { "g1", "p", "n1" }, 5 },
	};
	struct fx *f = open_join(state);
	struct join *j = f->j;

	add_job(f->nm, j, 9, "first", "u");
	add_job(f->nm, j, 9, "second", "v");
	add_user(f->nm, j, 7, "n1", 1);
	add_user(f->nm, j, 7, "n2", 2);
	add_group(f->nm, j, 1, "g1");
	add_group(f->nm, j, 1, "g2");
	add_group(f->nm, j, 2, "g3");
	assert_int_equal(j->jobs.n, 1);
	assert_int_equal(j->users.n, 1);
	assert_int_equal(j->groups.n, 2);
	add_job_series(f, QUERY_READ, 9, NULL, 3);
	add_proc_series(f, QUERY_READ, "p", 1, 7, NULL, 5);
	assert_int_equal(join_build(j, QUERY_READ, NULL), 0);
	assert_family(j, FAMILY_JOB_READ, exp, sizeof(exp) / sizeof(exp[0]));
	assert_family(j, FAMILY_PROC_READ, exp, sizeof(exp) / sizeof(exp[0]));
	close_join(f);
}

static void
test_invalid_and_caps(void **state)
{
	struct fx *f = open_join(state);
	struct join *j = f->j;
	struct join_series s;
	struct join_row row;
	struct join_stats st;
	uint32_t i, bad, u = name_id(f->nm, "u");

	/* Ids the names never handed out are refused, in every field. */
	bad = names_count(f->nm);
	assert_null(join_new(NULL));
	assert_int_equal(join_add_job(j, 1, bad, u), ERR_INVAL);
	assert_int_equal(join_add_job(j, 1, u, bad), ERR_INVAL);
	assert_int_equal(join_add_user(j, 1, bad, 1), ERR_INVAL);
	assert_int_equal(join_add_group(j, 1, bad), ERR_INVAL);
	assert_int_equal(j->jobs.n + j->users.n + j->groups.n, 0);
	/* Once handed out, the same id is fine. */
	assert_int_equal(name_id(f->nm, "late"), bad);
	assert_int_equal(join_add_job(j, 1, bad, u), 0);

	memset(&s, 0, sizeof(s));
	s.kind = PROTO_KIND_PROC;
	s.proc = bad + 1;
	assert_int_equal(join_add_series(j, QUERY_READ, &s), ERR_INVAL);
	s.proc = u;
	s.target = bad + 1;
	assert_int_equal(join_add_series(j, QUERY_METADATA, &s), ERR_INVAL);
	/* A target outside metadata is ignored, so not refused. */
	assert_int_equal(join_add_series(j, QUERY_READ, &s), 0);
	s.kind = 3;
	assert_int_equal(join_add_series(j, QUERY_READ, &s), ERR_INVAL);
	s.kind = PROTO_KIND_JOB;
	assert_int_equal(join_add_series(j, QUERY_COUNT, &s), ERR_INVAL);
	assert_int_equal(join_add_series(j, -1, &s), ERR_INVAL);
	assert_int_equal(join_add_series(j, QUERY_READ, NULL), ERR_INVAL);
	assert_int_equal(join_build(j, QUERY_COUNT, &st), ERR_INVAL);
	assert_int_equal(st.rows, 0);
	assert_int_equal(join_rows(j, -1), 0);
	assert_int_equal(join_rows(j, FAMILY_COUNT), 0);
	row.nlabels = 9;
	join_row(j, FAMILY_COUNT, 0, &row);
	assert_int_equal(row.nlabels, 0);
	join_row(j, FAMILY_JOB_READ, 0, &row);	/* not built: no rows */
	assert_int_equal(row.nlabels, 0);
	assert_null(row.values[0]);

	/* MAX_RECORDS per table; a refused add changes nothing. */
	for (i = 0; i < MAX_RECORDS; i++)
		assert_int_equal(join_add_group(j, i, u), 0);
	assert_int_equal(join_add_group(j, MAX_RECORDS, u), ERR_TOOBIG);
	assert_int_equal(j->groups.n, MAX_RECORDS);
	/* Job and proc series of a source count together. */
	s.target = 0;
	assert_int_equal(j->pser[QUERY_READ].n, 1);
	for (i = 0; i < MAX_RECORDS - 1; i++)
		assert_int_equal(join_add_series(j, QUERY_READ, &s), 0);
	assert_int_equal(join_add_series(j, QUERY_READ, &s), ERR_TOOBIG);
	assert_int_equal(j->jser[QUERY_READ].n, MAX_RECORDS - 1);
	assert_int_equal(join_add_series(j, QUERY_WRITE, &s), 0);
	close_join(f);
}

/* Row strings survive later additions (the names never move). */
static void
test_pointers_stable(void **state)
{
	struct fx *f = open_join(state);
	struct join_row row;
	char name[32];
	uint32_t i, id;
	int n;

	add_job(f->nm, f->j, 1, "acct", "user");
	add_job_series(f, QUERY_READ, 1, NULL, 1);
	assert_int_equal(join_build(f->j, QUERY_READ, NULL), 0);
	join_row(f->j, FAMILY_JOB_READ, 0, &row);
	for (i = 2; i < 20000; i++) {
		n = snprintf(name, sizeof(name), "account-%u", i);
		id = name_idn(f->nm, name, (size_t)n);
		assert_int_equal(join_add_job(f->j, i, id, id), 0);
	}
	assert_string_equal(row.values[0], "acct");
	assert_string_equal(row.values[1], "user");
	join_row(f->j, FAMILY_JOB_READ, 0, &row);
	assert_string_equal(row.values[0], "acct");
	close_join(f);
}

/*
 * 20 000 jobs and 100 000 series: the join must be linear (a jobs x series
 * scan would take minutes here).  The expected sums come from arithmetic
 * on the generator, not from a second join.
 */
#define SCALE_JOBS	20000
#define SCALE_SERIES	100000
#define SCALE_PAIRS	500	/* (account, user) pairs: job % 500 */
#define SCALE_UIDS	100
#define SCALE_PROCS	13

static void
scale_series(struct names *nm, uint32_t k, struct join_series *s)
{
	char proc[64];
	int n;

	memset(s, 0, sizeof(*s));
	s->value = (double)(k % 1000 + 1);
	if (k % 10 == 9) {
		s->kind = PROTO_KIND_PROC;
		s->uid = 5000 + k / 10 % SCALE_UIDS;
		n = snprintf(proc, sizeof(proc), "proc\"%u", k % SCALE_PROCS);
		s->proc = name_idn(nm, proc, (size_t)n);
	} else {
		s->kind = PROTO_KIND_JOB;
		if (k % 97 == 0)
			s->jobid = 9000000 + k;		/* not running */
		else
			s->jobid = 1000000 + (k * 7919u) % SCALE_JOBS;
	}
}

static void
test_scale(void **state)
{
	static double pair_sum[SCALE_PAIRS];
	static double proc_sum[SCALE_UIDS][SCALE_PROCS];
	static int pair_order[SCALE_PAIRS];
	struct fx *f = open_join(state);
	struct join *j = f->j;
	struct join_series s;
	struct join_stats st;
	struct join_row row;
	char name[64];
	uint32_t i, p, u, q;
	size_t nuids, npairs = 0, nproc = 0, nojob = 0;
	const uint32_t *uids;
	char *end;
	int n;

	memset(pair_sum, 0, sizeof(pair_sum));
	memset(proc_sum, 0, sizeof(proc_sum));
	memset(pair_order, 0xff, sizeof(pair_order));
	/* Account i % 50 goes with user i % 500: 500 distinct pairs. */
	for (i = 0; i < SCALE_JOBS; i++) {
		n = snprintf(name, sizeof(name), "acct%u", i % 50);
		p = name_idn(f->nm, name, (size_t)n);
		n = snprintf(name, sizeof(name), "user%u", i % SCALE_PAIRS);
		q = name_idn(f->nm, name, (size_t)n);
		assert_int_equal(join_add_job(j, 1000000 + i, p, q), 0);
	}
	for (i = 0; i < SCALE_UIDS; i++) {
		n = snprintf(name, sizeof(name), "puser%u", i);
		assert_int_equal(join_add_user(j, 5000 + i, name_idn(f->nm,
		    name, (size_t)n), 100 + i % 7), 0);
	}
	for (i = 0; i < 7; i++) {
		n = snprintf(name, sizeof(name), "grp%u", i);
		assert_int_equal(join_add_group(j, 100 + i, name_idn(f->nm,
		    name, (size_t)n)), 0);
	}

	for (i = 0; i < SCALE_SERIES; i++) {
		scale_series(f->nm, i, &s);
		assert_int_equal(join_add_series(j, QUERY_READ, &s), 0);
		if (s.kind == PROTO_KIND_PROC) {
			proc_sum[s.uid - 5000][i % SCALE_PROCS] += s.value;
			continue;
		}
		if (s.jobid >= 9000000) {
			nojob++;
			continue;
		}
		p = (uint32_t)((s.jobid - 1000000) % SCALE_PAIRS);
		if (pair_sum[p] == 0)
			pair_order[npairs++] = (int)p;
		pair_sum[p] += s.value;
	}
	uids = join_proc_uids(j, &nuids);
	assert_int_equal(nuids, SCALE_UIDS);
	assert_int_equal(uids[0], 5000);
	assert_int_equal(uids[SCALE_UIDS - 1], 5000 + SCALE_UIDS - 1);

	assert_int_equal(join_build(j, QUERY_READ, &st), 0);
	assert_int_equal(st.no_job, nojob);
	assert_int_equal(st.no_user + st.no_group + st.not_mdt, 0);
	assert_int_equal(join_rows(j, FAMILY_JOB_READ), npairs);
	for (i = 0; i < npairs; i++) {
		join_row(j, FAMILY_JOB_READ, i, &row);
		p = (uint32_t)strtoul(row.values[1] + 4, &end, 10);
		assert_int_equal(*end, '\0');
		/* First-seen order, and the account that goes with it. */
		assert_int_equal(p, pair_order[i]);
		n = snprintf(name, sizeof(name), "acct%u", p % 50);
		assert_string_equal(row.values[0], name);
		assert_true(row.value == pair_sum[p]);
	}
	for (u = 0; u < SCALE_UIDS; u++)
		for (q = 0; q < SCALE_PROCS; q++)
			if (proc_sum[u][q] > 0)
				nproc++;
	assert_int_equal(join_rows(j, FAMILY_PROC_READ), nproc);
	assert_int_equal(st.rows, npairs + nproc);
	for (i = 0; i < nproc; i++) {
		join_row(j, FAMILY_PROC_READ, i, &row);
		u = (uint32_t)strtoul(row.values[2] + 5, NULL, 10);
		q = (uint32_t)strtoul(row.values[1] + 5, NULL, 10);
		n = snprintf(name, sizeof(name), "grp%u", u % 7);
		assert_string_equal(row.values[0], name);
		assert_true(row.value == proc_sum[u][q]);
	}
	close_join(f);
}

/*
 * Fails each allocation of join.c in turn over a whole scrape: every
 * call either works or returns ERR_NOMEM having changed nothing, so
 * retrying it gives the same rows as a run without failures.  The names
 * are shared (names.c has its own test of failures).
 */
static int
torture_step(struct names *nm, struct join *j, int step)
{
	struct join_series s;
	char name[600];
	int k = step % 1000;

	memset(name, 'n', sizeof(name));
	memset(&s, 0, sizeof(s));
	switch (step / 1000) {
	case 0:
		snprintf(name, sizeof(name), "acct%d", k % 7);
		return join_add_job(j, (uint64_t)k, name_id(nm, name),
		    name_id(nm, "u"));
	case 1:
		snprintf(name, sizeof(name), "user%d", k);
		return join_add_user(j, (uint32_t)k, name_id(nm, name), 1);
	case 2:
		return join_add_group(j, (uint32_t)k, name_id(nm, "g"));
	case 3:
		s.kind = k % 2 ? PROTO_KIND_PROC : PROTO_KIND_JOB;
		s.jobid = (uint64_t)k;
		s.uid = (uint32_t)(k % 50);
		s.proc = name_idn(nm, name, 300 + (size_t)k % 3);
		s.target = name_id(nm, k % 5 ? "fs-MDT0000" : "fs-MDT0001");
		s.value = k;
		return join_add_series(j, QUERY_METADATA, &s);
	default:
		return join_build(j, QUERY_METADATA, NULL);
	}
}

/* (first step, count) of each phase: jobs, users, groups, series, build. */
static const int torture_phases[][2] = {
	{ 0, 150 }, { 1000, 60 }, { 2000, 2 }, { 3000, 300 }, { 4000, 1 },
};

/* Returns 1 if an injected failure was hit. */
static int
torture_run(struct names *nm, struct join *j)
{
	size_t t;
	int step, r, hit = 0;

	for (t = 0; t < sizeof(torture_phases) / sizeof(torture_phases[0]);
	    t++) {
		for (step = torture_phases[t][0];
		    step < torture_phases[t][0] + torture_phases[t][1];
		    step++) {
			if ((r = torture_step(nm, j, step)) == ERR_NOMEM) {
				hit = 1;
				r = torture_step(nm, j, step);
			}
			assert_int_equal(r, 0);
		}
	}
	return hit;
}

static void
test_alloc_failures(void **state)
{
	struct fx *f = open_join(state);
	struct join *ref = f->j, *j;
	struct join_row a, b;
	const uint32_t *ua, *ub;
	size_t i, k2, na, nb;
	long k;
	int fam, hits = 0;

	assert_int_equal(torture_run(f->nm, ref), 0);
	assert_true(join_rows(ref, FAMILY_JOB_METADATA) > 0);
	assert_true(join_rows(ref, FAMILY_PROC_METADATA) > 0);

	for (k = 0; k < 200; k++) {
		fail_at = k;
		if ((j = join_new(f->nm)) == NULL) {
			hits++;
			continue;
		}
		hits += torture_run(f->nm, j);
		fail_at = -1;
		for (fam = 0; fam < FAMILY_COUNT; fam++) {
			assert_int_equal(join_rows(j, fam),
			    join_rows(ref, fam));
			for (i = 0; i < join_rows(j, fam); i++) {
				join_row(j, fam, i, &a);
				join_row(ref, fam, i, &b);
				assert_true(a.value == b.value);
				assert_int_equal(a.nlabels, b.nlabels);
				for (k2 = 0; k2 < a.nlabels; k2++)
					assert_ptr_equal(a.values[k2],
					    b.values[k2]);
			}
		}
		ua = join_proc_uids(j, &na);
		ub = join_proc_uids(ref, &nb);
		assert_int_equal(na, nb);
		assert_memory_equal(ua, ub, na * sizeof(*ua));
		join_free(j);
	}
	/* join_new, arrays, hash tables and build rows were all hit. */
	assert_true(hits >= 20);
	close_join(f);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_original_testdata),
		T(test_summing),
		T(test_unknown_ids),
		T(test_adversarial_labels),
		T(test_duplicates_first_kept),
		T(test_invalid_and_caps),
		T(test_pointers_stable),
		T(test_scale),
		T(test_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
