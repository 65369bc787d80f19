/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/listen.c"

#define SELF	((pid_t)4242)

/* One call, outputs preset to garbage so that clearing them shows. */
struct outcome {
	int		 ret;
	int		 first;
	int		 count;
	const char	*why;
};

static struct outcome
call(const char *pid, const char *fds, pid_t self)
{
	struct outcome o;

	o.first = 77;
	o.count = 77;
	o.why = "unset";
	o.ret = listen_systemd_fds(pid, fds, self, &o.first, &o.count,
	    &o.why);
	return o;
}

static void
expect_fail(const char *pid, const char *fds, pid_t self, int ret,
    const char *why)
{
	struct outcome o = call(pid, fds, self);

	if (o.ret != ret)
		fail_msg("LISTEN_PID=%s LISTEN_FDS=%s: ret %d, want %d",
		    pid != NULL ? pid : "(unset)",
		    fds != NULL ? fds : "(unset)", o.ret, ret);
	assert_int_equal(o.first, -1);
	assert_int_equal(o.count, 0);
	assert_non_null(o.why);
	if (strcmp(o.why, why) != 0)
		fail_msg("LISTEN_PID=%s LISTEN_FDS=%s: \"%s\", want \"%s\"",
		    pid != NULL ? pid : "(unset)",
		    fds != NULL ? fds : "(unset)", o.why, why);
	/* A reason is one line. */
	assert_null(strchr(o.why, '\n'));
}

static void
test_ok(void **state)
{
	static const struct {
		const char	*fds;
		int		 count;
	} t[] = {
		{ "1", 1 }, { "2", 2 }, { "9", 9 }, { "10", 10 }, { "16", 16 },
	};
	struct outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		o = call("4242", t[i].fds, SELF);
		assert_int_equal(o.ret, 0);
		assert_int_equal(o.first, LISTEN_FDS_START);
		assert_int_equal(o.first, 3);
		assert_int_equal(o.count, t[i].count);
		assert_null(o.why);
	}
	o = call("1", "1", 1);
	assert_int_equal(o.ret, 0);
	o = call("2147483647", "1", (pid_t)INT_MAX);
	assert_int_equal(o.ret, 0);
	/* why may be NULL. */
	assert_int_equal(listen_systemd_fds("4242", "3", SELF, &o.first,
	    &o.count, NULL), 0);
	assert_int_equal(o.count, 3);
	assert_int_equal(listen_systemd_fds(NULL, "3", SELF, &o.first,
	    &o.count, NULL), ERR_NOTFOUND);
	assert_int_equal(o.first, -1);
}

static void
test_unset(void **state)
{
	(void)state;
	expect_fail(NULL, NULL, SELF, ERR_NOTFOUND,
	    "LISTEN_PID is not set: systemd passed no sockets");
	expect_fail(NULL, "1", SELF, ERR_NOTFOUND,
	    "LISTEN_PID is not set: systemd passed no sockets");
	expect_fail("", "1", SELF, ERR_NOTFOUND,
	    "LISTEN_PID is not set: systemd passed no sockets");
	expect_fail("4242", NULL, SELF, ERR_NOTFOUND,
	    "LISTEN_FDS is not set: systemd passed no sockets");
	expect_fail("4242", "", SELF, ERR_NOTFOUND,
	    "LISTEN_FDS is not set: systemd passed no sockets");
}

static void
test_pid(void **state)
{
	static const char *const bad[] = {
		"0", "04242", "+4242", "-4242", " 4242", "4242 ", "4242\n",
		"42 42", "0x1092", "4242a", "2147483648",
		"99999999999999999999999", "4.242e3",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i], "1", SELF, ERR_INVAL,
		    "LISTEN_PID is not a process id");
	/* Inherited from a parent: the sockets are not ours. */
	expect_fail("4241", "1", SELF, ERR_INVAL, "LISTEN_PID names another "
	    "process: the sockets were passed to a parent that did not exec "
	    "the exporter");
	expect_fail("1", "1", SELF, ERR_INVAL, "LISTEN_PID names another "
	    "process: the sockets were passed to a parent that did not exec "
	    "the exporter");
	/* A self that no process has matches nothing. */
	expect_fail("4242", "1", 0, ERR_INVAL, "LISTEN_PID names another "
	    "process: the sockets were passed to a parent that did not exec "
	    "the exporter");
	expect_fail("4242", "1", -4242, ERR_INVAL, "LISTEN_PID names another "
	    "process: the sockets were passed to a parent that did not exec "
	    "the exporter");
	/* The pid is checked before LISTEN_FDS. */
	expect_fail("4241", "x", SELF, ERR_INVAL, "LISTEN_PID names another "
	    "process: the sockets were passed to a parent that did not exec "
	    "the exporter");
}

static void
test_fds(void **state)
{
	static const char *const bad[] = {
		"01", "00", "+1", "-1", " 1", "1 ", "1\n", "0x1", "1a", "a",
		"1.0", "\xef\xbc\x93",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail("4242", bad[i], SELF, ERR_INVAL,
		    "LISTEN_FDS is not a decimal number");
	expect_fail("4242", "0", SELF, ERR_RANGE,
	    "LISTEN_FDS is 0: systemd passed no sockets");
	expect_fail("4242", "17", SELF, ERR_RANGE, "LISTEN_FDS is above 16: "
	    "more sockets than the exporter takes");
	expect_fail("4242", "2147483648", SELF, ERR_RANGE, "LISTEN_FDS is "
	    "above 16: more sockets than the exporter takes");
	expect_fail("4242", "99999999999999999999999", SELF, ERR_RANGE,
	    "LISTEN_FDS is above 16: more sockets than the exporter takes");
}

static void
test_parse_dec(void **state)
{
	unsigned long v;

	(void)state;
	assert_int_equal(parse_dec("0", 5, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_dec("5", 5, &v), 0);
	assert_int_equal(v, 5);
	v = 9;
	assert_int_equal(parse_dec("6", 5, &v), -2);
	assert_int_equal(v, 0);
	/* A digit above a one-digit max. */
	assert_int_equal(parse_dec("9", 0, &v), -2);
	assert_int_equal(parse_dec("0", 0, &v), 0);
	assert_int_equal(parse_dec("", 5, &v), -1);
	assert_int_equal(parse_dec("05", 5, &v), -1);
	assert_int_equal(parse_dec("18446744073709551615", ULONG_MAX, &v), 0);
	assert_int_equal(v, ULONG_MAX);
	assert_int_equal(parse_dec("18446744073709551616", ULONG_MAX, &v),
	    -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_unset),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_parse_dec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
