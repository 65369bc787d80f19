/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A data fixture under tests/fixtures/, read whole by a cmocka prestate
 * setup and walked line by line; shared by the parser tests (getent,
 * slurm) that check one expectation per line of a captured output.
 *
 * Include after <cmocka.h>, with FIXTURES defined as the directory (with
 * its trailing slash) that the prestate file names are relative to.
 */
#ifndef TESTS_FIXTURE_H
#define TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURES
#error "define FIXTURES before including fixture.h"
#endif

struct fx {
	char	*data;
	size_t	 len;
	size_t	 off;
};

/* prestate is the file name under FIXTURES. */
static inline int
fx_setup(void **state)
{
	char path[256];
	struct fx *fx;
	FILE *f;
	long n;
	int r;

	r = snprintf(path, sizeof(path), FIXTURES "%s",
	    (const char *)*state);
	if (r < 0 || (size_t)r >= sizeof(path))
		return -1;
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	if ((f = fopen(path, "rb")) == NULL ||
	    fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (fx->data = malloc((size_t)n + 1)) == NULL ||
	    fread(fx->data, 1, (size_t)n, f) != (size_t)n) {
		print_error("cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		free(fx->data);
		free(fx);
		return -1;
	}
	fclose(f);
	fx->len = (size_t)n;
	*state = fx;
	return 0;
}

static inline int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	free(fx->data);
	free(fx);
	return 0;
}

/*
 * Next line without its newline, copied to a block of exactly its size so
 * that AddressSanitizer catches a read past the end.  0 at the end.
 */
static inline int
fx_line(struct fx *fx, char **line, size_t *len)
{
	const char *p, *nl;
	size_t n;

	*line = NULL;
	*len = 0;
	if (fx->off >= fx->len)
		return 0;
	p = fx->data + fx->off;
	nl = memchr(p, '\n', fx->len - fx->off);
	n = nl != NULL ? (size_t)(nl - p) : fx->len - fx->off;
	fx->off += n + (nl != NULL ? 1 : 0);
	if ((*line = malloc(n > 0 ? n : 1)) == NULL)
		fail_msg("out of memory");
	memcpy(*line, p, n);
	*len = n;
	return 1;
}

/*
 * The parser's verdict on one fixture line: the wanted return value and,
 * when the line is refused, the wanted reason.
 */
static inline void
fx_verdict(const char *line, size_t len, int r, const char *why, int want,
    const char *want_why)
{
	if (r != want)
		fail_msg("line \"%.*s\": got %d (%s), want %d",
		    (int)(len > 80 ? 80 : len), line, r,
		    why != NULL ? why : "-", want);
	if (r != 0) {
		assert_non_null(why);
		assert_string_equal(why, want_why);
	}
}

/* Number of expectations in an array of them. */
#define NW(a)	(sizeof(a) / sizeof((a)[0]))

/* A test that runs on the named fixture file. */
#define FX(t, file)	cmocka_unit_test_prestate_setup_teardown(t, \
			    fx_setup, fx_teardown, (void *)(file))

#endif /* TESTS_FIXTURE_H */
