/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/proto.c"

/* One output buffer per test, room for a few frames. */
#define BUF_STATE_CAP	(4 * PROTO_MAX_FRAME)
#include "buf_state.h"

/* Splits the only frame in b, checking its framing. */
static void
one_frame(struct buf *b, uint8_t want_type, const unsigned char **body,
    size_t *len)
{
	uint8_t type;

	assert_int_equal(proto_next(b, &type, body, len), 1);
	assert_int_equal(type, want_type);
	assert_int_equal(proto_frame_size(*len), buf_len(b));
}

static void
test_job_roundtrip(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	struct proto_job j;
	size_t len;

	assert_int_equal(proto_put_job(b, 35044931, "acc_a", 5, "u1", 2), 0);
	one_frame(b, PROTO_JOB, &body, &len);
	assert_int_equal(proto_get_job(body, len, &j), 0);
	assert_int_equal(j.jobid, 35044931);
	assert_int_equal(j.account.len, 5);
	assert_memory_equal(j.account.p, "acc_a", 5);
	assert_memory_equal(j.user.p, "u1", 2);
}

static void
test_series_roundtrip(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	struct proto_series s, out;
	size_t len;

	memset(&s, 0, sizeof(s));
	s.source = 0;
	s.kind = PROTO_KIND_PROC;
	s.uid = 5689;
	s.proc.p = "my.app \"x\"\n";
	s.proc.len = strlen(s.proc.p);
	s.target.p = "hebe-MDT0002";
	s.target.len = 12;
	s.value = 1388406.6749207885;
	assert_int_equal(proto_put_series(b, &s), 0);
	one_frame(b, PROTO_SERIES, &body, &len);
	assert_int_equal(proto_get_series(body, len, &out), 0);
	assert_int_equal(out.kind, PROTO_KIND_PROC);
	assert_int_equal(out.uid, 5689);
	assert_int_equal(out.proc.len, s.proc.len);
	assert_memory_equal(out.proc.p, s.proc.p, s.proc.len);
	assert_true(out.value == s.value);
}

static void
test_req_roundtrip(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	struct proto_req req;
	uint32_t ids[3] = { 0, 5689, 4294967294U };
	size_t len;

	assert_int_equal(proto_put_req(b, PROTO_REQ_USERS, 1500, NULL, ids, 3), 0);
	one_frame(b, PROTO_REQ_USERS, &body, &len);
	assert_int_equal(proto_get_req(PROTO_REQ_USERS, body, len, &req), 0);
	assert_int_equal(req.deadline_ms, 1500);
	assert_int_equal(req.nids, 3);
	assert_int_equal(proto_req_id(&req, 1), 5689);
	assert_int_equal(proto_req_id(&req, 2), 4294967294U);
	/* A request type is not a record type, and the other way round. */
	assert_int_equal(proto_get_req(PROTO_JOB, body, len, &req), ERR_TYPE);
	assert_int_equal(req.nids, 0);
}

static void
test_req_budget(void **state)
{
	struct buf *b = *state;
	struct proto_budget budget = { 7, 3 }, zero = { 0, 3 };
	const unsigned char *body;
	struct proto_req req;
	size_t len;

	assert_int_equal(proto_put_req(b, PROTO_REQ_QUERY, 900, &budget,
	    NULL, 0), 0);
	one_frame(b, PROTO_REQ_QUERY, &body, &len);
	assert_int_equal(proto_get_req(PROTO_REQ_QUERY, body, len, &req), 0);
	assert_int_equal(req.deadline_ms, 900);
	assert_int_equal(req.budget.max_records, 7);
	assert_int_equal(req.budget.max_keys, 3);
	/* The budget is part of the frame: shorter is truncated. */
	assert_int_equal(proto_get_req(PROTO_REQ_QUERY, body, 4, &req),
	    ERR_TRUNCATED);
	buf_reset(b);
	/* REQ_JOBS needs a budget; a zero budget is refused on receipt. */
	assert_int_equal(proto_put_req(b, PROTO_REQ_JOBS, 1, NULL, NULL, 0),
	    ERR_INVAL);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(proto_put_req(b, PROTO_REQ_JOBS, 1, &zero, NULL, 0),
	    0);
	one_frame(b, PROTO_REQ_JOBS, &body, &len);
	assert_int_equal(proto_get_req(PROTO_REQ_JOBS, body, len, &req),
	    ERR_RANGE);
}

/*
 * A QUERY with its upstream settings: past PROTO_MAX_FRAME, within
 * PROTO_MAX_REQUEST, which only proto_next_max() takes.
 */
static void
test_query_client(void **state)
{
	struct proto_budget budget = { 7, 3 };
	struct buf frames, *b = &frames;
	const unsigned char *body;
	struct proto_req req;
	unsigned char *big;
	uint8_t type;
	size_t len;

	(void)state;
	buf_init(b, PROTO_MAX_REQUEST + 16);
	assert_non_null(big = calloc(1, UPCLIENT_MAX + 1));
	memset(big, 'c', UPCLIENT_MAX + 1);
	assert_int_equal(proto_put_query(b, 900, &budget, big, UPCLIENT_MAX),
	    0);
	assert_int_equal(proto_next(b, &type, &body, &len), ERR_TOOBIG);
	assert_int_equal(proto_next_max(b, PROTO_MAX_REQUEST, &type, &body,
	    &len), 1);
	assert_int_equal(type, PROTO_REQ_QUERY);
	assert_int_equal(proto_get_req(type, body, len, &req), 0);
	assert_int_equal(req.clen, UPCLIENT_MAX);
	assert_memory_equal(req.client, big, UPCLIENT_MAX);
	assert_int_equal(req.budget.max_records, 7);
	/* Cut short: the settings' length says more than there is. */
	assert_int_equal(proto_get_req(type, body, len - 1, &req),
	    ERR_TRUNCATED);
	buf_reset(b);
	assert_int_equal(proto_put_query(b, 900, &budget, big,
	    UPCLIENT_MAX + 1), ERR_TOOBIG);
	assert_int_equal(proto_put_query(b, 900, NULL, big, 1), ERR_INVAL);
	assert_int_equal(buf_len(b), 0);
	/* proto_put_req()'s QUERY has none. */
	assert_int_equal(proto_put_req(b, PROTO_REQ_QUERY, 1, &budget, NULL,
	    0), 0);
	one_frame(b, PROTO_REQ_QUERY, &body, &len);
	assert_int_equal(proto_get_req(PROTO_REQ_QUERY, body, len, &req), 0);
	assert_int_equal(req.clen, 0);
	free(big);
	buf_cleanup(b);
}

/* A helper's process figures: finite, not negative, exactly six. */
static void
test_procstat_roundtrip(void **state)
{
	struct buf *b = *state;
	struct proto_procstat in = { 0.25, 1e6, 2e6, 9, 256, 1.7e9 }, out;
	const unsigned char *body;
	size_t len;

	assert_int_equal(proto_put_procstat(b, &in), 0);
	one_frame(b, PROTO_PROCSTAT, &body, &len);
	assert_int_equal(proto_get_procstat(body, len, &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	assert_int_equal(proto_get_procstat(body, len - 1, &out),
	    ERR_TRUNCATED);
	buf_reset(b);
	in.open_fds = -1;
	assert_int_equal(proto_put_procstat(b, &in), 0);
	one_frame(b, PROTO_PROCSTAT, &body, &len);
	assert_int_equal(proto_get_procstat(body, len, &out), ERR_RANGE);
	assert_true(out.cpu_seconds == 0);
}

/* The last query is accepted, one past it is not (no array overrun). */
static void
test_source_bounds(void **state)
{
	struct buf *b = *state;
	struct proto_series s, got;
	struct proto_source_end e, gote;
	const unsigned char *body;
	size_t len;

	memset(&s, 0, sizeof(s));
	s.kind = PROTO_KIND_JOB;
	s.jobid = 1;
	s.source = QUERY_COUNT - 1;
	assert_int_equal(proto_put_series(b, &s), 0);
	one_frame(b, PROTO_SERIES, &body, &len);
	assert_int_equal(proto_get_series(body, len, &got), 0);
	buf_reset(b);
	s.source = QUERY_COUNT;
	assert_int_equal(proto_put_series(b, &s), 0);
	one_frame(b, PROTO_SERIES, &body, &len);
	assert_int_equal(proto_get_series(body, len, &got), ERR_RANGE);
	buf_reset(b);
	memset(&e, 0, sizeof(e));
	e.source = QUERY_COUNT - 1;
	assert_int_equal(proto_put_source_end(b, &e), 0);
	one_frame(b, PROTO_SOURCE_END, &body, &len);
	assert_int_equal(proto_get_source_end(body, len, &gote), 0);
	buf_reset(b);
	e.source = QUERY_COUNT;
	assert_int_equal(proto_put_source_end(b, &e), 0);
	one_frame(b, PROTO_SOURCE_END, &body, &len);
	assert_int_equal(proto_get_source_end(body, len, &gote), ERR_RANGE);
}

static void
test_end_and_log(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	struct proto_end e;
	struct proto_log l;
	char big[MAX_LOG_MSG * 2];
	size_t len;

	assert_int_equal(proto_put_end(b, 1, 7, 123456, "squeue failed"), 0);
	one_frame(b, PROTO_END, &body, &len);
	assert_int_equal(proto_get_end(body, len, &e), 0);
	assert_int_equal(e.status, 1);
	assert_int_equal(e.records, 7);
	assert_int_equal(e.elapsed_us, 123456);
	assert_int_equal(e.reason.len, strlen("squeue failed"));
	buf_reset(b);
	/* Over-long log text is cut, not refused, at a character boundary. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big + MAX_LOG_MSG - 1, "\xc3\xa9", 2);
	assert_int_equal(proto_put_log(b, 2, big), 0);
	one_frame(b, PROTO_LOG, &body, &len);
	assert_int_equal(proto_get_log(body, len, &l), 0);
	assert_int_equal(l.msg.len, MAX_LOG_MSG - 1);
	assert_int_equal(l.level, 2);
}

static void
test_refuse_on_send(void **state)
{
	struct buf *b = *state;
	char label[MAX_LABEL + 1];

	memset(label, 'x', sizeof(label));
	assert_int_equal(proto_put_job(b, 1, label, sizeof(label), "u", 1),
	    ERR_TOOBIG);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(proto_put_job(b, 1, "a\0b", 3, "u", 1), ERR_NUL);
	assert_int_equal(buf_len(b), 0);
	assert_int_equal(proto_put_req(b, PROTO_JOB, 0, NULL, NULL, 0), ERR_TYPE);
	assert_int_equal(buf_len(b), 0);
}

static void
test_truncated_frames(void **state)
{
	struct buf *b = *state, part;
	const unsigned char *body;
	struct proto_job j;
	uint8_t type;
	size_t len, i;

	assert_int_equal(proto_put_job(b, 42, "acc", 3, "user", 4), 0);
	/* Every prefix of a frame is "need more", never a frame. */
	for (i = 0; i < buf_len(b); i++) {
		buf_init(&part, PROTO_MAX_FRAME);
		assert_int_equal(buf_append(&part, buf_ptr(b), i), 0);
		assert_int_equal(proto_next(&part, &type, &body, &len), 0);
		buf_cleanup(&part);
	}
	/* Every shortened body is refused by the decoder. */
	one_frame(b, PROTO_JOB, &body, &len);
	for (i = 0; i < len; i++)
		assert_int_not_equal(proto_get_job(body, i, &j), 0);
	assert_int_equal(j.jobid, 0);
}

static void
test_bad_lengths(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	unsigned char hdr[5] = { 0, 0, 0, 0, PROTO_JOB };
	uint8_t type;
	size_t len;

	/* Zero length. */
	assert_int_equal(buf_append(b, hdr, 5), 0);
	assert_int_equal(proto_next(b, &type, &body, &len), ERR_INVAL);
	buf_reset(b);
	/* Oversized: refused from the header alone, before any body. */
	hdr[0] = 0x7f;
	assert_int_equal(buf_append(b, hdr, 4), 0);
	assert_int_equal(proto_next(b, &type, &body, &len), ERR_TOOBIG);
	buf_reset(b);
	hdr[0] = 0;
	hdr[1] = (PROTO_MAX_FRAME + 1) >> 16;
	hdr[2] = ((PROTO_MAX_FRAME + 1) >> 8) & 0xff;
	hdr[3] = (PROTO_MAX_FRAME + 1) & 0xff;
	assert_int_equal(buf_append(b, hdr, 4), 0);
	assert_int_equal(proto_next(b, &type, &body, &len), ERR_TOOBIG);
}

static void
test_trailing_and_bad_content(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	unsigned char copy[256];
	struct proto_group g;
	struct proto_series s;
	size_t len;

	assert_int_equal(proto_put_group(b, 500, "hpcusers", 8), 0);
	one_frame(b, PROTO_GROUP, &body, &len);
	memcpy(copy, body, len);
	copy[len] = 0;
	assert_int_equal(proto_get_group(copy, len + 1, &g), ERR_TRAILING);
	/* A string with a NUL or invalid UTF-8 inside is refused. */
	copy[len - 1] = '\0';
	assert_int_equal(proto_get_group(copy, len, &g), ERR_NUL);
	copy[len - 1] = (unsigned char)0xff;
	assert_int_equal(proto_get_group(copy, len, &g), ERR_UTF8);
	/* A string length beyond the body. */
	memcpy(copy, body, len);
	copy[7] = 0x7f;
	assert_int_not_equal(proto_get_group(copy, len, &g), 0);
	/* Series with an unknown source or kind. */
	buf_reset(b);
	memset(&s, 0, sizeof(s));
	s.source = 7;
	s.kind = PROTO_KIND_JOB;
	assert_int_equal(proto_put_series(b, &s), 0);
	one_frame(b, PROTO_SERIES, &body, &len);
	assert_int_equal(proto_get_series(body, len, &s), ERR_RANGE);
}

static void
test_stream_of_frames(void **state)
{
	struct buf *b = *state;
	const unsigned char *body;
	struct proto_user u;
	uint8_t type;
	size_t len;
	uint32_t i, n = 0;

	for (i = 0; i < 1000; i++)
		assert_int_equal(proto_put_user(b, i, "name", 4, i + 1), 0);
	while (proto_next(b, &type, &body, &len) == 1) {
		assert_int_equal(type, PROTO_USER);
		assert_int_equal(proto_get_user(body, len, &u), 0);
		assert_int_equal(u.uid, n);
		assert_int_equal(u.gid, n + 1);
		n++;
		buf_consume(b, proto_frame_size(len));
	}
	assert_int_equal(n, 1000);
	assert_int_equal(buf_len(b), 0);
}

static void
test_request_too_many_ids(void **state)
{
	struct buf *b = *state;
	uint32_t *ids = calloc(PROTO_MAX_FRAME / 4, sizeof(*ids));

	assert_non_null(ids);
	assert_int_equal(proto_put_req(b, PROTO_REQ_GROUPS, 1, NULL,
	    ids, PROTO_MAX_FRAME / 4), ERR_TOOBIG);
	assert_int_equal(buf_len(b), 0);
	free(ids);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_job_roundtrip,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_series_roundtrip,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_req_roundtrip,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_procstat_roundtrip,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_query_client,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_req_budget,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_source_bounds,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_end_and_log,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_refuse_on_send,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_frames,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_bad_lengths,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_trailing_and_bad_content,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_stream_of_frames,
		    buf_state_setup, buf_state_teardown),
		cmocka_unit_test_setup_teardown(test_request_too_many_ids,
		    buf_state_setup, buf_state_teardown),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
