/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/lustre.c"

static int
parse(const char *s, struct lustre_jobid *id, const char **why)
{
	return lustre_parse_jobid(s, strlen(s), id, why);
}

static void
expect_job(const char *s, uint64_t jobid)
{
	struct lustre_jobid id;
	const char *why = "unset";

	assert_int_equal(parse(s, &id, &why), 0);
	assert_null(why);
	assert_int_equal(id.kind, LUSTRE_JOBID_JOB);
	assert_true(id.jobid == jobid);
	assert_int_equal(id.uid, 0);
	assert_null(id.proc);
	assert_int_equal(id.proc_len, 0);
}

static void
expect_proc(const char *s, size_t n, const char *proc, size_t proc_len,
    uint32_t uid)
{
	struct lustre_jobid id;
	const char *why = "unset";

	assert_int_equal(lustre_parse_jobid(s, n, &id, &why), 0);
	assert_null(why);
	assert_int_equal(id.kind, LUSTRE_JOBID_PROC);
	assert_true(id.uid == uid);
	assert_true(id.jobid == 0);
	/* The name points into the input, not into a copy. */
	assert_ptr_equal(id.proc, s);
	assert_int_equal(id.proc_len, proc_len);
	assert_memory_equal(id.proc, proc, proc_len);
}

static void
expect_bad(const char *s, const char *reason)
{
	struct lustre_jobid id;
	const char *why = NULL;

	memset(&id, 0x5a, sizeof(id));
	assert_int_equal(parse(s, &id, &why), ERR_INVAL);
	assert_non_null(why);
	assert_string_equal(why, reason);
	/* Cleared on entry, nothing left behind on failure. */
	assert_int_equal(id.kind, 0);
	assert_true(id.jobid == 0);
	assert_int_equal(id.uid, 0);
	assert_null(id.proc);
	assert_int_equal(id.proc_len, 0);
}

static void
test_job_ids(void **state)
{
	(void)state;
	expect_job("12345", 12345);
	expect_job("1", 1);
	expect_job("0", 0);
	expect_job("35044931", 35044931);
	expect_job("18446744073709551615", UINT64_MAX);
}

static void
test_job_ids_bad(void **state)
{
	(void)state;
	expect_bad("007", "job id has a leading zero");
	expect_bad("00", "job id has a leading zero");
	expect_bad("18446744073709551616", "job id out of range");
	expect_bad("184467440737095516150", "job id out of range");
	expect_bad("99999999999999999999999999", "job id out of range");
	expect_bad("", "empty jobid");
	expect_bad("nodot", "no dot before uid");
	expect_bad("-5", "no dot before uid");
	expect_bad("+5", "no dot before uid");
	expect_bad("12 34", "no dot before uid");
	expect_bad("1234\n", "no dot before uid");
}

static void
test_proc(void **state)
{
	(void)state;
	expect_proc("cp.5689", 7, "cp", 2, 5689);
	expect_proc("my.app.1001", 11, "my.app", 6, 1001);
	expect_proc("rsync.0", 7, "rsync", 5, 0);
	expect_proc("x.4294967294", 12, "x", 1, 4294967294U);
	expect_proc("...1", 4, "..", 2, 1);
	expect_proc("123.456", 7, "123", 3, 456);
}

/* A process name is whatever its owner chose; only the uid is read. */
static void
test_proc_any_bytes(void **state)
{
	static const char quotes[] = "a\"b\\c\n d.42";
	static const char utf8[] = "\xc3\xa9t\xc3\xa9.1000";
	static const char bad8[] = "\xff\xfe\x80.7";
	static const char nul[] = "a\0b.9";

	(void)state;
	expect_proc(quotes, sizeof(quotes) - 1, "a\"b\\c\n d", 8, 42);
	expect_proc(utf8, sizeof(utf8) - 1, "\xc3\xa9t\xc3\xa9", 5, 1000);
	expect_proc(bad8, sizeof(bad8) - 1, "\xff\xfe\x80", 3, 7);
	expect_proc(nul, sizeof(nul) - 1, "a\0b", 3, 9);
	expect_proc("a b c.1", 7, "a b c", 5, 1);
}

static void
test_proc_bad(void **state)
{
	(void)state;
	expect_bad("x.", "empty uid");
	expect_bad(".1001", "empty process name");
	expect_bad(".", "empty process name");
	expect_bad("x.12a", "uid not numeric");
	expect_bad("x.a12", "uid not numeric");
	expect_bad("x. 1", "uid not numeric");
	expect_bad("x.1 ", "uid not numeric");
	expect_bad("x.1\n", "uid not numeric");
	expect_bad("x.-1", "uid has a sign");
	expect_bad("x.+1", "uid has a sign");
	expect_bad("x.01", "uid has a leading zero");
	expect_bad("x.00", "uid has a leading zero");
	expect_bad("x.4294967295", "uid 4294967295 is reserved");
	expect_bad("x.4294967296", "uid out of range");
	expect_bad("x.99999999999", "uid out of range");
	expect_bad("1.2.3.x", "uid not numeric");
}

/* The reasons differ, so a log line tells the cases apart. */
static void
test_reasons_distinct(void **state)
{
	static const char *const in[] = { "", "007", "18446744073709551616",
	    "nodot", ".1", "x.", "x.-1", "x.12a", "x.01", "x.4294967295",
	    "x.99999999999" };
	const char *why[sizeof(in) / sizeof(in[0])];
	struct lustre_jobid id;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		why[i] = NULL;
		assert_int_equal(parse(in[i], &id, &why[i]), ERR_INVAL);
		assert_non_null(why[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(why[i], why[j]);
	}
}

static void
test_why_optional(void **state)
{
	struct lustre_jobid id;

	(void)state;
	assert_int_equal(lustre_parse_jobid("x.", 2, &id, NULL), ERR_INVAL);
	assert_int_equal(lustre_parse_jobid("1", 1, &id, NULL), 0);
	assert_int_equal(lustre_parse_jobid(NULL, 0, &id, NULL), ERR_INVAL);
}

/* Only n bytes are read: the jobid need not be NUL-terminated. */
static void
test_length_bounded(void **state)
{
	struct lustre_jobid id;

	(void)state;
	assert_int_equal(lustre_parse_jobid("123456", 3, &id, NULL), 0);
	assert_true(id.jobid == 123);
	assert_int_equal(lustre_parse_jobid("cp.56xx", 5, &id, NULL), 0);
	assert_int_equal(id.uid, 56);
	assert_int_equal(id.proc_len, 2);
}

static void
test_mdt(void **state)
{
	static const char *const yes[] = { "lustre-MDT0000", "hebe-MDT0002",
	    "fs-MDTabcd", "fs-MDTABCD", "fs-MDT00aF", "-MDT0000",
	    "a-b-MDT0001", "x-OST0000-MDT0000", "\xff-MDT0000",
	    "a b\t-MDT0003" };
	static const char *const no[] = { "", "MDT0000", "lustre-OST0000",
	    "hebe-OST022d", "lustre-MDT000", "lustre-MDT00000",
	    "lustre-MDT000g", "lustre-mdt0000", "lustre-MDT0000 ",
	    "lustre-MDT0000\n", "lustre_MDT0000", "lustre-MDT0000-x",
	    "a\nb-MDT0000", "-MDT 000" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_int_equal(lustre_is_mdt_target(yes[i],
		    strlen(yes[i])), 1);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(lustre_is_mdt_target(no[i], strlen(no[i])),
		    0);
	/* Bounded by n, not by a NUL. */
	assert_int_equal(lustre_is_mdt_target("x-MDT0000zzz", 9), 1);
	assert_int_equal(lustre_is_mdt_target("x-MDT0000", 8), 0);
	assert_int_equal(lustre_is_mdt_target(NULL, 0), 0);
	assert_int_equal(lustre_is_mdt_target("a\0-MDT0000", 10), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_ids),
		cmocka_unit_test(test_job_ids_bad),
		cmocka_unit_test(test_proc),
		cmocka_unit_test(test_proc_any_bytes),
		cmocka_unit_test(test_proc_bad),
		cmocka_unit_test(test_reasons_distinct),
		cmocka_unit_test(test_why_optional),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_mdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
