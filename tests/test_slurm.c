/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/slurm.c"

#define FIXTURES	"tests/fixtures/slurm/"

#include "fixture.h"
#include "xorshift.h"

struct want {
	int		 ret;
	uint64_t	 jobid;
	const char	*account;	/* or the reason when ret != 0 */
	const char	*user;
};

static void
check_line(const char *line, size_t len, const struct want *w)
{
	struct slurm_job job;
	const char *why = "unset";
	int r;

	memset(&job, 0x5a, sizeof(job));
	r = slurm_parse_line(line, len, &job, &why);
	fx_verdict(line, len, r, why, w->ret, w->account);
	if (r != 0) {
		assert_true(job.jobid == 0);
		assert_null(job.account);
		assert_null(job.user);
		assert_int_equal(job.account_len, 0);
		assert_int_equal(job.user_len, 0);
		return;
	}
	assert_null(why);
	assert_true(job.jobid == w->jobid);
	assert_int_equal(job.account_len, strlen(w->account));
	assert_memory_equal(job.account, w->account, job.account_len);
	assert_int_equal(job.user_len, strlen(w->user));
	assert_memory_equal(job.user, w->user, job.user_len);
	/* Fields point into the line. */
	assert_true(job.account > line && job.account < line + len);
	assert_true(job.user > job.account && job.user < line + len);
}

static void
check_fixture(struct fx *fx, const struct want *w, size_t nw)
{
	char *line;
	size_t len, i;

	for (i = 0; fx_line(fx, &line, &len); i++) {
		if (i >= nw)
			fail_msg("more lines than expected");
		check_line(line, len, &w[i]);
		free(line);
	}
	assert_int_equal(i, nw);
}

/* The original's test data, in its "%A %a %u" form. */
static void
test_original(void **state)
{
	static const struct want w[] = {
		{ 0, 35044931, "acc_a", "u1" },
		{ 0, 35070653, "acc_a", "u1" },
		{ 0, 35189820, "acc_b", "u2" },
		{ 0, 35166602, "acc_b", "u2" },
		{ 0, 35189845, "acc_a", "u2" },
		{ 0, 35048662, "acc_c", "u3" },
		{ 0, 35056989, "acc_c", "u3" },
		{ 0, 35652133, "acc_a", "u1" },
		{ 0, 35239994, "acc_b", "u2" },
		{ 0, 35651038, "acc_a", "u1" },
		{ 0, 35683050, "acc_c", "u3" },
		{ 0, 35676304, "acc_c", "u3" },
		{ 0, 35682305, "acc_b", "u2" },
		{ 0, 35676288, "acc_a", "u1" },
	};

	check_fixture(*state, w, NW(w));
}

static void
test_pipe(void **state)
{
	static const struct want w[] = {
		{ 0, 35044931, "acc_a", "u1" },
		{ 0, 35070653, "acc_a", "u1" },
		{ 0, 35189820, "acc_b", "u2" },
		{ 0, 35652134, "(null)", "u1" },
		{ 0, 35652135, "acc_c", "nobody" },
		{ 0, 1, "a", "b" },
		{ 0, UINT64_MAX, "acc.with.dots", "user-name_1" },
		{ 0, 4294967296ULL, "ACC_UPPER", "User.Name" },
	};

	check_fixture(*state, w, NW(w));
}

/* Bytes pass as they are; the parent sanitizes labels. */
static void
test_nonutf8(void **state)
{
	static const struct want w[] = {
		{ 0, 35700001, "proj\xe9", "u4" },
		{ 0, 35700002, "\xff\xfe", "\xc3\xa9l\xc3\xa8ve" },
		{ 0, 35700003, "acc\x01" "ctl", "u5" },
	};

	check_fixture(*state, w, NW(w));
}

static void
test_malformed(void **state)
{
	static const struct want w[] = {
		{ ERR_INVAL, 0, "missing field", NULL },
		{ ERR_INVAL, 0, "extra field", NULL },
		{ ERR_INVAL, 0, "empty job id", NULL },
		{ ERR_INVAL, 0, "empty account", NULL },
		{ ERR_INVAL, 0, "empty user", NULL },
		{ ERR_INVAL, 0, "job id not numeric", NULL },
		{ ERR_INVAL, 0, "job id has a leading zero", NULL },
		{ ERR_INVAL, 0, "job id has a sign", NULL },
		{ ERR_INVAL, 0, "job id out of range", NULL },
		{ ERR_INVAL, 0, "whitespace in account", NULL },
		{ ERR_INVAL, 0, "whitespace in user", NULL },
		{ ERR_INVAL, 0, "whitespace in job id", NULL },
		{ ERR_INVAL, 0, "whitespace in user", NULL },
		{ ERR_INVAL, 0, "missing field", NULL },
		{ ERR_INVAL, 0, "extra field", NULL },
		{ ERR_INVAL, 0, "fields not separated by single spaces", NULL },
		{ ERR_INVAL, 0, "fields not separated by single spaces", NULL },
		{ ERR_INVAL, 0, "fields not separated by single spaces", NULL },
		{ ERR_INVAL, 0, "missing field", NULL },
		{ ERR_INVAL, 0, "missing field", NULL },
		{ ERR_INVAL, 0, "job id not numeric", NULL },
		{ ERR_INVAL, 0, "extra field", NULL },
		{ ERR_INVAL, 0, "job id not numeric", NULL },
		{ ERR_INVAL, 0, "job id not numeric", NULL },
		{ ERR_INVAL, 0, "empty line", NULL },
		{ ERR_INVAL, 0, "extra field", NULL },
		{ ERR_INVAL, 0, "whitespace in user", NULL },
	};

	check_fixture(*state, w, NW(w));
}

static void
test_crlf(void **state)
{
	static const struct want w[] = {
		{ ERR_INVAL, 0, "carriage return at end of line", NULL },
		{ ERR_INVAL, 0, "carriage return at end of line", NULL },
	};

	check_fixture(*state, w, NW(w));
}

static void
test_nul(void **state)
{
	static const struct want w[] = {
		{ 0, 35044931, "acc_a", "u1" },
		{ ERR_INVAL, 0, "NUL byte in line", NULL },
		{ 0, 35189820, "acc_b", "u2" },
	};

	check_fixture(*state, w, NW(w));
}

static void
test_overlong(void **state)
{
	static char b512[MAX_LABEL + 1];
	static struct want w[] = {
		{ 0, 35044931, "acc_a", "u1" },
		{ ERR_TOOBIG, 0, "account longer than MAX_LABEL bytes", NULL },
		{ ERR_TOOBIG, 0, "user longer than MAX_LABEL bytes", NULL },
		{ 0, 35044934, b512, "u2" },
	};

	memset(b512, 'b', MAX_LABEL);
	check_fixture(*state, w, NW(w));
}

static void
test_truncated(void **state)
{
	static const struct want w[] = {
		{ 0, 35044931, "acc_a", "u1" },
		{ ERR_INVAL, 0, "missing field", NULL },
	};

	check_fixture(*state, w, NW(w));
}

static void
test_small_cases(void **state)
{
	char big[MAX_LABEL + 10];
	struct slurm_job job;
	const char *why;

	(void)state;
	assert_int_equal(slurm_parse_line(NULL, 0, &job, NULL), ERR_INVAL);
	why = NULL;
	assert_int_equal(slurm_parse_line("", 0, &job, &why), ERR_INVAL);
	assert_string_equal(why, "empty line");
	assert_int_equal(slurm_parse_line("1|a|b", 5, &job, NULL), 0);
	/* n bounds the line; the rest of the buffer is not looked at. */
	assert_int_equal(slurm_parse_line("1|a|bc|d", 6, &job, NULL), 0);
	assert_int_equal(job.user_len, 2);
	assert_int_equal(slurm_parse_line("1 a b|", 5, &job, NULL), 0);
	assert_int_equal(slurm_parse_line("1|a|b\n", 6, &job, &why),
	    ERR_INVAL);
	assert_string_equal(why, "whitespace in user");
	assert_int_equal(slurm_parse_line("1 a\nb c", 7, &job, &why),
	    ERR_INVAL);
	assert_string_equal(why, "whitespace in account");
	assert_int_equal(slurm_parse_line("0|a|b", 5, &job, NULL), 0);
	assert_true(job.jobid == 0);
	/* A job id field longer than a label is refused by size. */
	memset(big, '1', sizeof(big));
	memcpy(big + sizeof(big) - 4, "|a|b", 4);
	assert_int_equal(slurm_parse_line(big, sizeof(big), &job, &why),
	    ERR_TOOBIG);
	assert_string_equal(why, "job id too long");
}

static int
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
	    c == '\f' || c == '\r';
}

/*
 * Random bytes, biased towards the characters the parser cares about so
 * that most paths are taken; nothing may crash or read out of bounds, and
 * every accepted line must obey the contract.
 */
static void
test_random(void **state)
{
	static const char alphabet[] = "0123456789||||    ab()\r\n\t\0\xff";
	struct slurm_job job;
	const char *why;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t n, i, j, accepted = 0;
	char *line;
	int r, mode;

	(void)state;
	for (i = 0; i < 5000; i++) {
		mode = (int)(xorshift(&seed) % 4);
		n = (size_t)(xorshift(&seed) % (mode == 3 ? 1200 : 40));
		if ((line = malloc(n > 0 ? n : 1)) == NULL)
			fail_msg("out of memory");
		for (j = 0; j < n; j++) {
			if (mode == 0)
				line[j] = (char)(xorshift(&seed) & 0xff);
			else
				line[j] = alphabet[xorshift(&seed) %
				    (sizeof(alphabet) - 1)];
		}
		why = NULL;
		r = slurm_parse_line(line, n, &job, &why);
		if (r == 0) {
			accepted++;
			assert_null(why);
			assert_true(job.account_len > 0 &&
			    job.account_len <= MAX_LABEL);
			assert_true(job.user_len > 0 &&
			    job.user_len <= MAX_LABEL);
			assert_true(job.account > line &&
			    job.account + job.account_len <= line + n);
			assert_true(job.user > line &&
			    job.user + job.user_len == line + n);
			for (j = 0; j < job.account_len; j++)
				assert_false(space(job.account[j]) ||
				    job.account[j] == '\0');
			for (j = 0; j < job.user_len; j++)
				assert_false(space(job.user[j]) ||
				    job.user[j] == '\0');
		} else {
			assert_true(r == ERR_INVAL || r == ERR_TOOBIG);
			assert_non_null(why);
			assert_null(job.account);
			assert_null(job.user);
		}
		free(line);
	}
	/* The bias must reach the accepting path too. */
	assert_true(accepted > 0);
}

/* Well-formed lines built at random parse back to what was put in. */
static void
test_random_valid(void **state)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-()@";
	char acc[MAX_LABEL + 1], usr[MAX_LABEL + 1], line[2 * MAX_LABEL + 64];
	uint64_t seed = 42, jobid;
	struct slurm_job job;
	size_t i, j, alen, ulen;
	int n;

	(void)state;
	for (i = 0; i < 2000; i++) {
		jobid = xorshift(&seed) >> (xorshift(&seed) % 64);
		alen = 1 + (size_t)(xorshift(&seed) % MAX_LABEL);
		ulen = 1 + (size_t)(xorshift(&seed) % 32);
		for (j = 0; j < alen; j++)
			acc[j] = chars[xorshift(&seed) % (sizeof(chars) - 1)];
		acc[alen] = '\0';
		for (j = 0; j < ulen; j++)
			usr[j] = chars[xorshift(&seed) % (sizeof(chars) - 1)];
		usr[ulen] = '\0';
		n = snprintf(line, sizeof(line), "%llu%c%s%c%s",
		    (unsigned long long)jobid, i % 2 ? '|' : ' ', acc,
		    i % 2 ? '|' : ' ', usr);
		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(slurm_parse_line(line, (size_t)n, &job,
		    NULL), 0);
		assert_true(job.jobid == jobid);
		assert_int_equal(job.account_len, alen);
		assert_memory_equal(job.account, acc, alen);
		assert_int_equal(job.user_len, ulen);
		assert_memory_equal(job.user, usr, ulen);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_original, "squeue.txt"),
		FX(test_pipe, "squeue-pipe.txt"),
		FX(test_nonutf8, "squeue-nonutf8.txt"),
		FX(test_malformed, "squeue-malformed.txt"),
		FX(test_crlf, "squeue-crlf.txt"),
		FX(test_nul, "squeue-nul.txt"),
		FX(test_overlong, "squeue-overlong.txt"),
		FX(test_truncated, "squeue-truncated.txt"),
		cmocka_unit_test(test_small_cases),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_random_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
