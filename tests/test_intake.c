/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust boundary: one test per check, each asserting the violation by
 * its reason, so that deleting a check fails its test.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/intake.c"

struct fx {
	struct intake		 in;
	struct intake_call	 c;
	struct buf		 bytes;
	uint32_t		 uids[8];
	size_t			 nuids;
	char			 logged[256];
};

static void
fx_uid(void *arg, uint32_t uid)
{
	struct fx *f = arg;

	if (f->nuids < 8)
		f->uids[f->nuids++] = uid;
}

static void
fx_log(void *arg, int level, const char *msg)
{
	struct fx *f = arg;

	snprintf(f->logged, sizeof(f->logged), "%d %s", level, msg);
}

static int
setup_budget(void **state, uint32_t records, uint32_t keys)
{
	struct proto_budget b = { records, keys };
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL || intake_init(&f->in, &b, NULL, 1000) != 0)
		return -1;
	f->in.on_uid = fx_uid;
	f->in.uid_arg = f;
	buf_init(&f->bytes, 1 << 20);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_budget(state, 100, 100);
}

static int
setup_small(void **state)
{
	return setup_budget(state, 2, 100);
}

static int
setup_keys(void **state)
{
	return setup_budget(state, 100, 2);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	intake_cleanup(&f->in);
	buf_cleanup(&f->bytes);
	free(f);
	return 0;
}

/* Starts a call of kind; its log goes to f->logged. */
static struct intake_call *
call(struct fx *f, int kind, unsigned int nreq)
{
	intake_call_init(&f->c, kind, nreq);
	f->c.log = fx_log;
	f->c.log_arg = f;
	return &f->c;
}

static int
feed(struct fx *f)
{
	return intake_feed(&f->in, &f->c, &f->bytes);
}

/* Feeds and expects a violation whose reason holds want. */
static void
expect_violation(struct fx *f, const char *want)
{
	assert_int_equal(feed(f), ERR_INVAL);
	assert_true(f->c.violated);
	if (strstr(f->c.reason, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", f->c.reason, want);
	assert_non_null(strstr(f->c.reason, "protocol violation: "));
}

static void
put_job(struct fx *f, uint64_t id, const char *acc, const char *user)
{
	assert_int_equal(proto_put_job(&f->bytes, id, acc, strlen(acc), user,
	    strlen(user)), 0);
}

static void
put_end(struct fx *f, int status, uint32_t records)
{
	assert_int_equal(proto_put_end(&f->bytes, status, records, 7,
	    status != 0 ? "it broke" : ""), 0);
}

static void
put_series(struct fx *f, int source, int kind, uint64_t jobid, uint32_t uid,
    const char *proc, const char *target, double v)
{
	struct proto_series s;

	memset(&s, 0, sizeof(s));
	s.source = (uint8_t)source;
	s.kind = (uint8_t)kind;
	s.jobid = jobid;
	s.uid = uid;
	s.proc.p = proc;
	s.proc.len = strlen(proc);
	s.target.p = target;
	s.target.len = strlen(target);
	s.value = v;
	assert_int_equal(proto_put_series(&f->bytes, &s), 0);
}

static void
put_source_end(struct fx *f, int source, int status, uint32_t series)
{
	struct proto_source_end e;

	memset(&e, 0, sizeof(e));
	e.source = (uint8_t)source;
	e.status = (uint8_t)status;
	e.series = series;
	assert_int_equal(proto_put_source_end(&f->bytes, &e), 0);
}

/* The three SOURCE_ENDs of a query call that sent nothing. */
static void
put_empty_queries(struct fx *f)
{
	int q;

	for (q = 0; q < QUERY_COUNT; q++)
		put_source_end(f, q, 0, 0);
}

/* The name of id in the collection's names, as a C string. */
static const char *
name_of(const struct fx *f, uint32_t id)
{
	const char *p = names_str(f->in.names, id, NULL);

	assert_non_null(p);
	return p;
}

static void
test_jobs_ok(void **state)
{
	struct fx *f = *state;
	const struct sink *s = f->in.source[SOURCE_SLURM].sink;
	const struct sink_entry *e0, *e1;

	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "acc", "alice");
	put_job(f, 2, "acc", "bob");
	put_job(f, 1, "other", "eve");
	put_end(f, 0, 3);
	assert_int_equal(feed(f), 0);
	assert_int_equal(f->c.ends, 1);
	assert_int_equal(f->c.elapsed_us, 7);
	assert_false(f->c.violated);
	assert_int_equal(buf_len(&f->bytes), 0);
	assert_int_equal(sink_keys(s), 2);
	assert_int_equal(intake_close(&f->c, &f->bytes), 0);
	/* Decoded once, names interned: the first JOB of a job id wins. */
	e0 = sink_entry(s, 0);
	e1 = sink_entry(s, 1);
	assert_true(e0->id == 1 && e1->id == 2);
	assert_string_equal(name_of(f, e0->name[0]), "acc");
	assert_string_equal(name_of(f, e0->name[1]), "alice");
	assert_string_equal(name_of(f, e1->name[1]), "bob");
	/* One account, one id. */
	assert_int_equal(e0->name[0], e1->name[0]);
}

static void
test_partial_frame_waits(void **state)
{
	struct fx *f = *state;
	size_t n;

	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "acc", "alice");
	n = buf_len(&f->bytes);
	buf_truncate(&f->bytes, n - 1);
	assert_int_equal(feed(f), 0);
	assert_int_equal(buf_len(&f->bytes), n - 1);
	assert_int_equal(sink_keys(f->in.source[SOURCE_SLURM].sink), 0);
}

static void
test_bad_frame_length(void **state)
{
	struct fx *f = *state;
	static const unsigned char zero[] = { 0, 0, 0, 0, 0x42 };
	static const unsigned char huge[] = { 0x7f, 0xff, 0xff, 0xff };

	call(f, INTAKE_JOBS, 1);
	assert_int_equal(buf_append(&f->bytes, zero, sizeof(zero)), 0);
	expect_violation(f, "bad frame length");
	buf_reset(&f->bytes);
	call(f, INTAKE_JOBS, 1);
	assert_int_equal(buf_append(&f->bytes, huge, sizeof(huge)), 0);
	expect_violation(f, "bad frame length");
}

static void
test_record_after_last_end(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_end(f, 0, 0);
	put_job(f, 1, "acc", "alice");
	expect_violation(f, "after the last END");
	/* What came before the violation was taken. */
	assert_int_equal(f->c.ends, 1);
}

static void
test_type_not_permitted(void **state)
{
	struct fx *f = *state;
	static const int kinds[] = { INTAKE_JOBS, INTAKE_USERS,
	    INTAKE_GROUPS };
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		buf_reset(&f->bytes);
		call(f, kinds[i], 1);
		put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "", "", 1);
		expect_violation(f, "record type 0x45 not permitted");
	}
	buf_reset(&f->bytes);
	call(f, INTAKE_QUERY, 1);
	put_job(f, 1, "acc", "alice");
	expect_violation(f, "record type 0x42 not permitted");
	/* A request type is never a record. */
	buf_reset(&f->bytes);
	call(f, INTAKE_QUERY, 1);
	assert_int_equal(proto_put_req(&f->bytes, PROTO_REQ_USERS, 1, NULL,
	    NULL, 0), 0);
	expect_violation(f, "record type 0x02 not permitted");
}

static void
test_bad_records(void **state)
{
	struct fx *f = *state;
	static const unsigned char short_job[] = { 0, 0, 0, 2, PROTO_JOB, 1 };
	static const unsigned char short_end[] = { 0, 0, 0, 2, PROTO_END, 0 };
	static const unsigned char short_log[] = { 0, 0, 0, 1, PROTO_LOG };

	call(f, INTAKE_JOBS, 1);
	assert_int_equal(buf_append(&f->bytes, short_job,
	    sizeof(short_job)), 0);
	expect_violation(f, "bad JOB record");
	buf_reset(&f->bytes);
	call(f, INTAKE_JOBS, 1);
	assert_int_equal(buf_append(&f->bytes, short_end,
	    sizeof(short_end)), 0);
	expect_violation(f, "bad END record");
	buf_reset(&f->bytes);
	call(f, INTAKE_JOBS, 1);
	assert_int_equal(buf_append(&f->bytes, short_log,
	    sizeof(short_log)), 0);
	expect_violation(f, "bad LOG record");
}

static void
test_job_empty_label(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_job(f, 5, "", "alice");
	expect_violation(f, "JOB 5 with an empty account or user");
	buf_reset(&f->bytes);
	call(f, INTAKE_JOBS, 1);
	put_job(f, 6, "acc", "");
	expect_violation(f, "JOB 6 with an empty account or user");
}

static void
test_series_after_source_end(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_source_end(f, QUERY_WRITE, 0, 0);
	put_series(f, QUERY_WRITE, PROTO_KIND_JOB, 1, 0, "", "", 1);
	expect_violation(f, "SERIES for write after its SOURCE_END");
}

static void
test_series_target_fits_query(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "", "fs-MDT0000", 1);
	expect_violation(f, "SERIES for read with a target");
	buf_reset(&f->bytes);
	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_METADATA, PROTO_KIND_JOB, 1, 0, "", "", 1);
	expect_violation(f, "SERIES for metadata without a target");
}

static void
test_series_proc_fits_kind(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_READ, PROTO_KIND_PROC, 0, 1001, "", "", 1);
	expect_violation(f, "SERIES of kind 2 without a process name");
	buf_reset(&f->bytes);
	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "cp", "", 1);
	expect_violation(f, "SERIES of kind 1 with a process name");
}

/* The last query is accepted and one past it refused (no overrun). */
static void
test_series_source_bounds(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_COUNT - 1, PROTO_KIND_JOB, 1, 0, "", "", 1);
	assert_int_equal(feed(f), 0);
	put_series(f, QUERY_COUNT, PROTO_KIND_JOB, 1, 0, "", "", 1);
	expect_violation(f, "bad SERIES record");
	buf_reset(&f->bytes);
	call(f, INTAKE_QUERY, 1);
	put_source_end(f, QUERY_COUNT, 0, 0);
	expect_violation(f, "bad SOURCE_END record");
}

static void
test_second_source_end(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_source_end(f, QUERY_READ, 1, 0);
	put_source_end(f, QUERY_READ, 1, 0);
	expect_violation(f, "second SOURCE_END for read");
}

static void
test_source_end_count(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "", "", 1);
	put_source_end(f, QUERY_READ, 0, 2);
	expect_violation(f, "SOURCE_END for read counts 2 series, 1 were "
	    "sent");
	/* A failed query may have stopped anywhere: no count to check. */
	buf_reset(&f->bytes);
	teardown(state);
	assert_int_equal(setup(state), 0);
	f = *state;
	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "", "", 1);
	put_source_end(f, QUERY_READ, 1, 5);
	assert_int_equal(feed(f), 0);
	assert_true(f->in.source[SOURCE_READ].ended);
	assert_false(f->in.source[SOURCE_READ].ok);
}

static void
test_end_count(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "acc", "alice");
	put_end(f, 0, 2);
	expect_violation(f, "END counts 2 records, 1 were sent");
}

static void
test_end_needs_every_source_end(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_source_end(f, QUERY_METADATA, 0, 0);
	put_source_end(f, QUERY_READ, 0, 0);
	put_end(f, 0, 0);
	expect_violation(f, "END without a SOURCE_END for write");
}

static void
test_query_ok_and_uids(void **state)
{
	struct fx *f = *state;
	const struct sink_entry *e;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_METADATA, PROTO_KIND_PROC, 0, 1001, "cp",
	    "fs-MDT0000", 2);
	put_series(f, QUERY_METADATA, PROTO_KIND_PROC, 0, 1001, "cp",
	    "fs-MDT0000", 3);
	put_source_end(f, QUERY_METADATA, 0, 2);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 9, 0, "", "", 4);
	put_source_end(f, QUERY_READ, 0, 1);
	put_source_end(f, QUERY_WRITE, 0, 0);
	put_end(f, 0, 3);
	assert_int_equal(feed(f), 0);
	assert_int_equal(f->c.ends, 1);
	assert_true(f->in.source[SOURCE_METADATA].ok);
	/* Two records of one key: one entry, summed. */
	assert_int_equal(sink_keys(f->in.source[SOURCE_METADATA].sink), 1);
	assert_int_equal(f->nuids, 2);
	assert_int_equal(f->uids[0], 1001);
	/* A proc series: the uid, its process name and target as ids. */
	e = sink_entry(f->in.source[SOURCE_METADATA].sink, 0);
	assert_true(e->id == 1001 && e->value == 5);
	assert_string_equal(name_of(f, e->name[0]), "cp");
	assert_string_equal(name_of(f, e->name[1]), "fs-MDT0000");
	/* A job series: the jobid, no process name, no target on read. */
	e = sink_entry(f->in.source[SOURCE_READ].sink, 0);
	assert_true(e->id == 9 && e->value == 4);
	assert_int_equal(e->name[0], 0);
	assert_int_equal(e->name[1], 0);
}

/*
 * Series differing in one field only are kept apart: a job id equal to a
 * uid, another target, another process name.
 */
static void
test_series_keys(void **state)
{
	struct fx *f = *state;
	const struct sink *s;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_METADATA, PROTO_KIND_JOB, 7, 0, "", "fs-MDT0000",
	    1);
	put_series(f, QUERY_METADATA, PROTO_KIND_PROC, 0, 7, "cp",
	    "fs-MDT0000", 2);
	put_series(f, QUERY_METADATA, PROTO_KIND_PROC, 0, 7, "cp",
	    "fs-MDT0001", 4);
	put_series(f, QUERY_METADATA, PROTO_KIND_PROC, 0, 7, "cpx",
	    "fs-MDT0001", 8);
	put_series(f, QUERY_METADATA, PROTO_KIND_JOB, 7, 0, "", "fs-MDT0000",
	    16);
	assert_int_equal(feed(f), 0);
	s = f->in.source[SOURCE_METADATA].sink;
	assert_int_equal(sink_records(s), 5);
	assert_int_equal(sink_keys(s), 4);
	assert_true(sink_entry(s, 0)->value == 17);
	assert_true(sink_entry(s, 3)->value == 8);
}

static void
test_log_relayed(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	assert_int_equal(proto_put_log(&f->bytes, 2, "squeue is slow"), 0);
	put_end(f, 0, 0);
	assert_int_equal(feed(f), 0);
	assert_string_equal(f->logged, "2 squeue is slow");
}

/* A helper's own figures: kept, in any kind of call; a NaN is refused. */
static void
test_procstat(void **state)
{
	struct fx *f = *state;
	struct proto_procstat ps = { 1.5, 2048, 4096, 7, 256, 1700000000 };

	call(f, INTAKE_USERS, 1);
	assert_int_equal(proto_put_procstat(&f->bytes, &ps), 0);
	put_end(f, 0, 0);
	assert_int_equal(feed(f), 0);
	assert_true(f->c.have_procstat);
	assert_true(f->c.procstat.open_fds == 7);
	assert_true(f->c.procstat.start_time_seconds == 1700000000);
	teardown(state);
	assert_int_equal(setup(state), 0);
	f = *state;
	call(f, INTAKE_JOBS, 1);
	ps.resident_bytes = NAN;
	assert_int_equal(proto_put_procstat(&f->bytes, &ps), 0);
	expect_violation(f, "bad PROCSTAT record");
	assert_false(f->c.have_procstat);
}

static void
test_end_status_reason(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_end(f, 1, 0);
	assert_int_equal(feed(f), 0);
	assert_int_equal(f->c.end_status, 1);
	assert_string_equal(f->c.reason, "it broke");
	assert_false(f->c.violated);
}

static void
test_answer_checks(void **state)
{
	struct fx *f = *state;
	uint32_t ids[] = { 1001, 1002 };
	const char *name;
	uint32_t gid;

	assert_int_equal(intake_ask(&f->in, ids, 2), 0);
	call(f, INTAKE_USERS, 1);
	assert_int_equal(proto_put_user(&f->bytes, 1001, "kim", 3, 500), 0);
	assert_int_equal(feed(f), 0);
	assert_int_equal(acache_get_user(f->in.found, 1001, 1000, &name,
	    &gid), ACACHE_HIT);
	assert_string_equal(name, "kim");
	assert_int_equal(proto_put_user(&f->bytes, 1001, "kim", 3, 500), 0);
	expect_violation(f, "id 1001 answered twice");
	call(f, INTAKE_USERS, 1);
	buf_reset(&f->bytes);
	assert_int_equal(proto_put_user(&f->bytes, 7, "root", 4, 0), 0);
	expect_violation(f, "answer for id 7, which was not asked");
	call(f, INTAKE_USERS, 1);
	buf_reset(&f->bytes);
	assert_int_equal(proto_put_user(&f->bytes, 1002, "", 0, 0), 0);
	expect_violation(f, "USER 1002 with an empty name");
	intake_ask_done(&f->in, ids, 2, NULL, NULL);
	/* Nothing asked: every answer is unasked. */
	call(f, INTAKE_GROUPS, 1);
	buf_reset(&f->bytes);
	assert_int_equal(proto_put_group(&f->bytes, 500, "hpc", 3), 0);
	expect_violation(f, "answer for id 500, which was not asked");
}

static void
fx_absent(void *arg, uint32_t id)
{
	struct fx *f = arg;

	fx_uid(f, id);
}

static void
test_ask_done_reports_absent(void **state)
{
	struct fx *f = *state;
	uint32_t ids[] = { 500, 501, 502 };

	f->in.on_uid = NULL;
	assert_int_equal(intake_ask(&f->in, ids, 3), 0);
	call(f, INTAKE_GROUPS, 1);
	assert_int_equal(proto_put_group(&f->bytes, 501, "hpc", 3), 0);
	assert_int_equal(proto_put_group(&f->bytes, 502, "", 0), 0);
	expect_violation(f, "GROUP 502 with an empty name");
	intake_ask_done(&f->in, ids, 3, fx_absent, f);
	/* 502 was not answered: the bad record was refused, not taken. */
	assert_int_equal(f->nuids, 2);
	assert_int_equal(f->uids[0], 500);
	assert_int_equal(f->uids[1], 502);
}

static void
test_bytes_after_end(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_end(f, 0, 0);
	assert_int_equal(feed(f), 0);
	assert_int_equal(intake_close(&f->c, &f->bytes), 0);
	assert_int_equal(buf_append(&f->bytes, "x", 1), 0);
	assert_int_equal(feed(f), 0);
	assert_int_equal(intake_close(&f->c, &f->bytes), ERR_INVAL);
	assert_non_null(strstr(f->c.reason, "1 bytes after END"));
}

static void
test_over_budget(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "acc", "alice");
	put_job(f, 2, "acc", "bob");
	put_job(f, 3, "acc", "eve");
	expect_violation(f, "slurm: more than 2 records, its budget "
	    "(--source.max-records)");
}

static void
test_over_key_budget(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "", "", 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 2, 0, "", "", 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 1, 0, "", "", 1);
	put_series(f, QUERY_READ, PROTO_KIND_JOB, 3, 0, "", "", 1);
	expect_violation(f, "read: more than 2 distinct keys, its budget "
	    "(--source.max-keys)");
	assert_int_equal(sink_keys(f->in.source[SOURCE_READ].sink), 2);
}

/* The byte cap counts what a source holds: entries and new names. */
static void
test_over_byte_budget(void **state)
{
	struct fx *f = *state;
	struct proto_budget b = { 100, 100 };
	struct intake_source *src = &f->in.source[SOURCE_SLURM];

	sink_free(src->sink);
	assert_non_null(src->sink = sink_new(&b, 2 * sizeof(struct
	    sink_entry) + 2 * NAMES_COST(3), SINK_BY_ID));
	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "acc", "bob");
	put_job(f, 2, "acc", "bob");
	put_job(f, 3, "acc", "bob");
	expect_violation(f, "slurm: more than 0 MiB of records, its byte "
	    "budget");
	assert_int_equal(sink_keys(src->sink), 2);
}

/* The names of a collection are bounded too. */
static void
test_names_full(void **state)
{
	struct fx *f = *state;

	names_free(f->in.names);
	assert_non_null(f->in.names = names_new(NAMES_COST(3)));
	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "acc", "bob");
	expect_violation(f, "slurm: more than 1280 MiB of names in one "
	    "collection");
	assert_int_equal(sink_keys(f->in.source[SOURCE_SLURM].sink), 0);
}

static void
test_violation_sticks(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_JOBS, 1);
	put_job(f, 1, "", "x");
	expect_violation(f, "empty account");
	buf_reset(&f->bytes);
	put_job(f, 2, "acc", "bob");
	assert_int_equal(feed(f), ERR_INVAL);
	assert_int_equal(intake_close(&f->c, &f->bytes), ERR_INVAL);
	assert_int_equal(sink_keys(f->in.source[SOURCE_SLURM].sink), 0);
}

static void
test_empty_query_call(void **state)
{
	struct fx *f = *state;

	call(f, INTAKE_QUERY, 1);
	put_empty_queries(f);
	put_end(f, 0, 0);
	assert_int_equal(feed(f), 0);
	assert_int_equal(f->c.ends, 1);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_jobs_ok),
		T(test_partial_frame_waits),
		T(test_bad_frame_length),
		T(test_record_after_last_end),
		T(test_type_not_permitted),
		T(test_bad_records),
		T(test_job_empty_label),
		T(test_series_after_source_end),
		T(test_series_target_fits_query),
		T(test_series_proc_fits_kind),
		T(test_series_source_bounds),
		T(test_second_source_end),
		T(test_source_end_count),
		T(test_end_count),
		T(test_end_needs_every_source_end),
		T(test_query_ok_and_uids),
		T(test_log_relayed),
		T(test_procstat),
		T(test_end_status_reason),
		T(test_answer_checks),
		T(test_ask_done_reports_absent),
		T(test_bytes_after_end),
		cmocka_unit_test_setup_teardown(test_over_budget, setup_small,
		    teardown),
		cmocka_unit_test_setup_teardown(test_over_key_budget,
		    setup_keys, teardown),
		T(test_over_byte_budget),
		T(test_names_full),
		T(test_series_keys),
		T(test_violation_sticks),
		T(test_empty_query_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
