/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../lib/getent.c"

#define FIXTURES	"tests/fixtures/accounts/"

#include "fixture.h"
#include "xorshift.h"

enum { PASSWD, GROUP };

struct want {
	int		 ret;
	const char	*name;		/* or the reason when ret != 0 */
	uint32_t	 uid;		/* passwd only */
	uint32_t	 gid;
};

static void
check_line(int kind, const char *line, size_t len, const struct want *w)
{
	struct getent_passwd pw;
	struct getent_group gr;
	const char *why = "unset", *name;
	size_t name_len;
	int r;

	memset(&pw, 0x5a, sizeof(pw));
	memset(&gr, 0x5a, sizeof(gr));
	if (kind == PASSWD) {
		r = getent_parse_passwd(line, len, &pw, &why);
		name = pw.name;
		name_len = pw.name_len;
	} else {
		r = getent_parse_group(line, len, &gr, &why);
		name = gr.name;
		name_len = gr.name_len;
	}
	fx_verdict(line, len, r, why, w->ret, w->name);
	if (r != 0) {
		assert_null(name);
		assert_int_equal(name_len, 0);
		if (kind == PASSWD) {
			assert_int_equal(pw.uid, 0);
			assert_int_equal(pw.gid, 0);
		} else
			assert_int_equal(gr.gid, 0);
		return;
	}
	assert_null(why);
	assert_ptr_equal(name, line);
	assert_int_equal(name_len, strlen(w->name));
	assert_memory_equal(name, w->name, name_len);
	if (kind == PASSWD) {
		assert_true(pw.uid == w->uid);
		assert_true(pw.gid == w->gid);
	} else
		assert_true(gr.gid == w->gid);
}

static void
check_fixture(struct fx *fx, int kind, const struct want *w, size_t nw)
{
	char *line;
	size_t len, i;

	for (i = 0; fx_line(fx, &line, &len); i++) {
		if (i >= nw)
			fail_msg("more lines than expected");
		check_line(kind, line, len, &w[i]);
		free(line);
	}
	assert_int_equal(i, nw);
}

/* The original's test data. */
static void
test_passwd_original(void **state)
{
	static const struct want w[] = {
		{ 0, "root", 0, 0 },
		{ 0, "kim", 5689, 500 },
		{ 0, "lee", 6812, 501 },
	};

	check_fixture(*state, PASSWD, w, NW(w));
}

static void
test_group_original(void **state)
{
	static const struct want w[] = {
		{ 0, "root", 0, 0 },
		{ 0, "hpcusers", 0, 500 },
		{ 0, "guests", 0, 501 },
	};

	check_fixture(*state, GROUP, w, NW(w));
}

static void
test_passwd_more(void **state)
{
	static const struct want w[] = {
		{ 0, "nobody", 65534, 65534 },
		{ 0, "john.doe@example.com", 1234567, 1234567 },
		{ 0, "nopw", 1001, 1001 },
		{ 0, "big", 4294967294U, 4294967294U },
		{ 0, "sp ace", 1002, 1002 },
	};

	check_fixture(*state, PASSWD, w, NW(w));
}

static void
test_group_more(void **state)
{
	static const struct want w[] = {
		{ 0, "nogroup", 0, 65534 },
		{ 0, "domain users@example.com", 0, 1234567 },
		{ 0, "nopw", 0, 1001 },
		{ 0, "big", 0, 4294967294U },
	};

	check_fixture(*state, GROUP, w, NW(w));
}

static void
test_passwd_malformed(void **state)
{
	static const struct want w[] = {
		{ ERR_INVAL, "too few fields", 0, 0 },
		{ ERR_INVAL, "too many fields", 0, 0 },
		{ ERR_INVAL, "empty name", 0, 0 },
		{ ERR_INVAL, "empty uid", 0, 0 },
		{ ERR_INVAL, "empty gid", 0, 0 },
		{ ERR_INVAL, "uid has a leading zero", 0, 0 },
		{ ERR_INVAL, "gid has a leading zero", 0, 0 },
		{ ERR_INVAL, "uid has a sign", 0, 0 },
		{ ERR_INVAL, "uid has a sign", 0, 0 },
		{ ERR_INVAL, "uid not numeric", 0, 0 },
		{ ERR_INVAL, "uid 4294967295 is reserved", 0, 0 },
		{ ERR_INVAL, "gid 4294967295 is reserved", 0, 0 },
		{ ERR_INVAL, "uid out of range", 0, 0 },
		{ ERR_INVAL, "gid out of range", 0, 0 },
		{ ERR_INVAL, "uid not numeric", 0, 0 },
		{ ERR_INVAL, "empty line", 0, 0 },
		{ ERR_INVAL, "empty uid", 0, 0 },
		{ ERR_TOOBIG, "name longer than MAX_LABEL bytes", 0, 0 },
	};

	check_fixture(*state, PASSWD, w, NW(w));
}

static void
test_group_malformed(void **state)
{
	static const struct want w[] = {
		{ ERR_INVAL, "too few fields", 0, 0 },
		{ ERR_INVAL, "too many fields", 0, 0 },
		{ ERR_INVAL, "empty name", 0, 0 },
		{ ERR_INVAL, "empty gid", 0, 0 },
		{ ERR_INVAL, "gid has a leading zero", 0, 0 },
		{ ERR_INVAL, "gid 4294967295 is reserved", 0, 0 },
		{ ERR_INVAL, "gid not numeric", 0, 0 },
		{ ERR_INVAL, "empty line", 0, 0 },
		{ ERR_TOOBIG, "name longer than MAX_LABEL bytes", 0, 0 },
	};

	check_fixture(*state, GROUP, w, NW(w));
}

static void
test_passwd_nul(void **state)
{
	static const struct want w[] = {
		{ 0, "root", 0, 0 },
		{ ERR_INVAL, "NUL byte in line", 0, 0 },
	};

	check_fixture(*state, PASSWD, w, NW(w));
}

static void
test_passwd_crlf(void **state)
{
	static const struct want w[] = {
		{ ERR_INVAL, "carriage return at end of line", 0, 0 },
	};

	check_fixture(*state, PASSWD, w, NW(w));
}

static void
test_group_crlf(void **state)
{
	static const struct want w[] = {
		{ ERR_INVAL, "carriage return at end of line", 0, 0 },
	};

	check_fixture(*state, GROUP, w, NW(w));
}

/* Bytes pass as they are; the parent sanitizes labels. */
static void
test_passwd_nonutf8(void **state)
{
	static const struct want w[] = {
		{ 0, "\xe9l\xe8ve", 7001, 7001 },
	};

	check_fixture(*state, PASSWD, w, NW(w));
}

static void
test_group_nonutf8(void **state)
{
	static const struct want w[] = {
		{ 0, "gr\xfcppe", 0, 7001 },
	};

	check_fixture(*state, GROUP, w, NW(w));
}

static void
test_small_cases(void **state)
{
	char name[MAX_LABEL + 16];
	struct getent_passwd pw;
	struct getent_group gr;
	const char *why;
	int n;

	(void)state;
	assert_int_equal(getent_parse_passwd(NULL, 0, &pw, NULL), ERR_INVAL);
	assert_int_equal(getent_parse_group(NULL, 0, &gr, NULL), ERR_INVAL);
	/* n bounds the line. */
	assert_int_equal(getent_parse_group("g:x:12:a,b:c", 10, &gr, NULL),
	    0);
	assert_int_equal(gr.gid, 12);
	assert_int_equal(getent_parse_passwd("u:x:1:2:::x:y", 10, &pw, NULL),
	    0);
	assert_int_equal(pw.uid, 1);
	assert_int_equal(pw.gid, 2);
	/* A name of exactly MAX_LABEL bytes is fine, one more is not. */
	memset(name, 'n', MAX_LABEL);
	memcpy(name + MAX_LABEL, ":x:7:", 5);
	assert_int_equal(getent_parse_group(name, MAX_LABEL + 5, &gr, NULL),
	    0);
	assert_int_equal(gr.name_len, MAX_LABEL);
	memset(name, 'n', MAX_LABEL + 1);
	memcpy(name + MAX_LABEL + 1, ":x:7:", 5);
	why = NULL;
	assert_int_equal(getent_parse_group(name, MAX_LABEL + 6, &gr, &why),
	    ERR_TOOBIG);
	assert_non_null(why);
	/* Colons only. */
	n = getent_parse_passwd("::::::", 6, &pw, &why);
	assert_int_equal(n, ERR_INVAL);
	assert_string_equal(why, "empty name");
	n = getent_parse_group(":::", 3, &gr, &why);
	assert_int_equal(n, ERR_INVAL);
	assert_string_equal(why, "empty name");
	/* A member list with spaces or odd bytes is not looked at. */
	assert_int_equal(getent_parse_group("g::5:a b,\xff", 10, &gr, NULL),
	    0);
	assert_int_equal(gr.gid, 5);
}

/* Random input never crashes, and accepted entries obey the contract. */
static void
test_random(void **state)
{
	static const char alphabet[] = "0123456789::::::abx,\r\n\0\xff";
	struct getent_passwd pw;
	struct getent_group gr;
	uint64_t seed = 7;
	size_t i, j, n;
	char *line;
	int r;

	(void)state;
	for (i = 0; i < 5000; i++) {
		n = (size_t)(xorshift(&seed) % (i % 10 == 0 ? 1100 : 40));
		if ((line = malloc(n > 0 ? n : 1)) == NULL)
			fail_msg("out of memory");
		for (j = 0; j < n; j++)
			line[j] = i % 3 == 0 ?
			    (char)(xorshift(&seed) & 0xff) :
			    alphabet[xorshift(&seed) % (sizeof(alphabet) - 1)];
		r = getent_parse_passwd(line, n, &pw, NULL);
		assert_true(r == 0 || r == ERR_INVAL || r == ERR_TOOBIG);
		if (r == 0) {
			assert_ptr_equal(pw.name, line);
			assert_true(pw.name_len > 0 &&
			    pw.name_len <= MAX_LABEL);
			assert_null(memchr(pw.name, ':', pw.name_len));
			assert_true(pw.uid != UINT32_MAX &&
			    pw.gid != UINT32_MAX);
		}
		r = getent_parse_group(line, n, &gr, NULL);
		assert_true(r == 0 || r == ERR_INVAL || r == ERR_TOOBIG);
		if (r == 0) {
			assert_ptr_equal(gr.name, line);
			assert_true(gr.name_len > 0 &&
			    gr.name_len <= MAX_LABEL);
			assert_true(gr.gid != UINT32_MAX);
		}
		free(line);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_passwd_original, "passwd.txt"),
		FX(test_group_original, "group.txt"),
		FX(test_passwd_more, "passwd-more.txt"),
		FX(test_group_more, "group-more.txt"),
		FX(test_passwd_malformed, "passwd-malformed.txt"),
		FX(test_group_malformed, "group-malformed.txt"),
		FX(test_passwd_nul, "passwd-nul.txt"),
		FX(test_passwd_crlf, "passwd-crlf.txt"),
		FX(test_group_crlf, "group-crlf.txt"),
		FX(test_passwd_nonutf8, "passwd-nonutf8.txt"),
		FX(test_group_nonutf8, "group-nonutf8.txt"),
		cmocka_unit_test(test_small_cases),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
