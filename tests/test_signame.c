/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/signame.c"

/* The names the logs and the tests that read them rely on. */
static void
test_known(void **state)
{
	(void)state;
	assert_string_equal(signame(SIGHUP), "HUP");
	assert_string_equal(signame(SIGINT), "INT");
	assert_string_equal(signame(SIGKILL), "KILL");
	assert_string_equal(signame(SIGSEGV), "SEGV");
	assert_string_equal(signame(SIGTERM), "TERM");
	assert_string_equal(signame(SIGSYS), "SYS");
	assert_string_equal(signame(SIGABRT), "ABRT");
	assert_string_equal(signame(SIGIO), "POLL");
}

static void
test_out_of_range(void **state)
{
	(void)state;
	assert_null(signame(0));
	assert_null(signame(-1));
	assert_null(signame(INT_MIN));
	assert_null(signame(SIGRTMIN));
	assert_null(signame(SIGRTMAX));
	assert_null(signame(SIGRTMAX + 1));
	assert_null(signame(INT_MAX));
}

/* Every signal below the real-time ones has a name, and only those. */
static void
test_named(void **state)
{
	int sig;

	(void)state;
	for (sig = 1; sig < SIGRTMIN; sig++) {
		if (sig >= 32)	/* glibc's own, unnamed (nptl) */
			assert_null(signame(sig));
		else
			assert_non_null(signame(sig));
	}
}

/*
 * The same answers as the glibc function the table stands in for, where
 * the build's glibc has it.
 */
#if defined(__GLIBC_PREREQ) && defined(__GLIBC__)
#if __GLIBC_PREREQ(2, 32)
#define HAVE_SIGABBREV_NP	1
#endif
#endif

static void
test_sigabbrev_np(void **state)
{
#ifdef HAVE_SIGABBREV_NP
	const char *ours, *glibc;
	int sig;

	(void)state;
	for (sig = 1; sig < SIGRTMIN; sig++) {
		ours = signame(sig);
		glibc = sigabbrev_np(sig);
		if (ours == NULL || glibc == NULL) {
			if (ours != glibc)
				fail_msg("signal %d: %s here, %s in glibc", sig,
				    ours != NULL ? ours : "NULL",
				    glibc != NULL ? glibc : "NULL");
		} else
			assert_string_equal(ours, glibc);
	}
#else
	(void)state;
	skip();
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_sigabbrev_np),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
