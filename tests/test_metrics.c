/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../lib/metrics.c"
#include "../lib/caps.h"
#include "../lib/proto.h"
#include "../lib/query.h"

/* A process name that tries to end its label, its line and its family. */
static const char hostile[] = "evil\"} 1\ncluster_exporter_scrape_ok 1\n#";

/*
 * The exposition as read back by a strict parser of the text format: every
 * line is a HELP, a TYPE or a sample of the family the last TYPE named.
 */
#define DOC_FAMILIES	32
#define DOC_SAMPLES	128
#define DOC_LABELS	JOIN_MAX_LABELS
#define DOC_NAME	64
#define DOC_VALUE	(2 * MAX_LABEL)

struct doc_family {
	char	 name[DOC_NAME];
	char	 type[16];
	int	 help;
	int	 types;
	size_t	 samples;
};

struct doc_sample {
	char	 name[DOC_NAME];
	char	 labels[DOC_NAME * DOC_LABELS];	/* names, comma-joined */
	char	 lval[DOC_LABELS][DOC_VALUE];	/* unescaped */
	size_t	 nlabels;
	char	 key[4 * DOC_VALUE];		/* the line up to the value */
	double	 value;
};

struct doc {
	struct doc_family fam[DOC_FAMILIES];
	size_t		 nfam;
	struct doc_sample smp[DOC_SAMPLES];
	size_t		 nsmp;
	size_t		 lines;
};

/* One scrape's inputs and output, built fresh for every test. */
struct fx {
	struct join	*j;
	struct metrics_scrape s;
	struct buf	 out;
	struct doc	 doc;
};

static void
add_job(struct join *j, uint64_t id, const char *a, const char *u)
{
	assert_int_equal(join_add_job(j, id, a, strlen(a), u, strlen(u)), 0);
}

static void
add_user(struct join *j, uint32_t uid, const char *name, uint32_t gid)
{
	assert_int_equal(join_add_user(j, uid, name, strlen(name), gid), 0);
}

static void
add_group(struct join *j, uint32_t gid, const char *name)
{
	assert_int_equal(join_add_group(j, gid, name, strlen(name)), 0);
}

static void
add_series(struct join *j, int source, int kind, uint64_t id,
    const char *proc, const char *target, double value)
{
	struct join_series s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	if (kind == PROTO_KIND_JOB)
		s.jobid = id;
	else {
		s.uid = (uint32_t)id;
		s.proc = proc;
		s.proc_len = strlen(proc);
	}
	s.target = target;
	s.target_len = target == NULL ? 0 : strlen(target);
	s.value = value;
	assert_int_equal(join_add_series(j, source, &s), 0);
}

#define JOB	PROTO_KIND_JOB
#define PROC	PROTO_KIND_PROC

/*
 * Ten rows over the six families: sums, a non-MDT target and an unknown
 * job that are dropped, and the hostile process name in two families.
 */
static void
load_join(struct join *j)
{
	int src;

	add_job(j, 101, "acc_a", "u1");
	add_job(j, 102, "acc_b", "u2");
	add_job(j, 103, "acc_a", "u1");
	add_user(j, 1000, "kim", 500);
	add_user(j, 1001, "lee", 501);
	add_group(j, 500, "hpc");
	add_group(j, 501, "guests");

	add_series(j, QUERY_METADATA, JOB, 101, NULL, "fs-MDT0000", 5);
	add_series(j, QUERY_METADATA, JOB, 103, NULL, "fs-MDT0000", 2);
	add_series(j, QUERY_METADATA, JOB, 102, NULL, "fs-MDT0001", 3);
	add_series(j, QUERY_METADATA, JOB, 101, NULL, "fs-OST0000", 9);
	add_series(j, QUERY_METADATA, PROC, 1000, "cp", "fs-MDT0000", 1);
	add_series(j, QUERY_METADATA, PROC, 1001, hostile, "fs-MDT0001", 4);

	add_series(j, QUERY_READ, JOB, 101, NULL, NULL, 100);
	add_series(j, QUERY_READ, JOB, 102, NULL, NULL, 200);
	add_series(j, QUERY_READ, JOB, 103, NULL, NULL, 50);
	add_series(j, QUERY_READ, JOB, 999, NULL, NULL, 1);
	add_series(j, QUERY_READ, PROC, 1001, hostile, NULL, 10);
	add_series(j, QUERY_READ, PROC, 1000, "cp", NULL, 20);

	add_series(j, QUERY_WRITE, JOB, 102, NULL, NULL, 300);
	add_series(j, QUERY_WRITE, PROC, 1000, "dd", NULL, 7);
	add_series(j, QUERY_WRITE, PROC, 1000, "dd", NULL, 3);

	for (src = 0; src < QUERY_COUNT; src++)
		assert_int_equal(join_build(j, src, NULL), 0);
}

#define LOADED_ROWS	10

static int
setup_fx(void **state)
{
	struct fx *f;
	int i;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->j = join_new()) == NULL) {
		free(f);
		return -1;
	}
	for (i = 0; i < METRICS_NSOURCES; i++)
		f->s.source_up[i] = 1;
	for (i = 0; i < METRICS_NSTAGES; i++)
		f->s.stage_seconds[i] = 0.5 * i;
	f->s.helper_restarts[0] = 3;
	f->s.dropped_series = 2;
	buf_init(&f->out, MAX_EXPOSITION);
	*state = f;
	return 0;
}

static int
teardown_fx(void **state)
{
	struct fx *f = *state;

	join_free(f->j);
	buf_cleanup(&f->out);
	free(f);
	return 0;
}

static int
name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

/* Copies a metric or label name at p into dst; returns the end. */
static const char *
read_name(const char *p, const char *end, char *dst, size_t dstsz)
{
	size_t n = 0;

	assert_true(p < end && name_char(*p, 1));
	while (p < end && name_char(*p, n == 0)) {
		assert_true(n + 1 < dstsz);
		dst[n++] = *p++;
	}
	dst[n] = '\0';
	return p;
}

static struct doc_family *
find_family(struct doc *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nfam; i++)
		if (strcmp(d->fam[i].name, name) == 0)
			return &d->fam[i];
	return NULL;
}

/* Appends ",name" (or "name" when first) to the comma-joined list. */
static void
add_label_name(char *list, size_t listsz, const char *name)
{
	size_t n = strlen(list);
	int r;

	r = snprintf(list + n, listsz - n, "%s%s", n > 0 ? "," : "", name);
	assert_true(r > 0 && (size_t)r < listsz - n);
}

/* Reads a quoted label value at p into dst, unescaped; returns the end. */
static const char *
read_value(const char *p, const char *end, char *dst)
{
	size_t n = 0;

	assert_true(p < end && *p == '"');
	for (p++; p < end && *p != '"'; p++) {
		assert_true(n + 1 < DOC_VALUE);
		if (*p == '\\') {
			p++;
			assert_true(p < end);
			assert_true(*p == '\\' || *p == '"' || *p == 'n');
			dst[n++] = *p == 'n' ? '\n' : *p;
		} else
			dst[n++] = *p;
	}
	assert_true(p < end);
	dst[n] = '\0';
	return p + 1;
}

static void
parse_sample(struct doc *d, const char *line, const char *end)
{
	struct doc_sample *s;
	struct doc_family *cur;
	const char *p;
	char lname[DOC_NAME], num[40], *e;
	size_t n;

	assert_true(d->nsmp < DOC_SAMPLES);
	s = &d->smp[d->nsmp++];
	memset(s, 0, sizeof(*s));
	p = read_name(line, end, s->name, sizeof(s->name));
	/* A sample belongs to the family the last TYPE line opened. */
	assert_true(d->nfam > 0);
	cur = &d->fam[d->nfam - 1];
	assert_string_equal(s->name, cur->name);
	assert_int_equal(cur->types, 1);
	cur->samples++;
	if (p < end && *p == '{') {
		for (p++; p < end && *p != '}'; s->nlabels++) {
			assert_true(s->nlabels < DOC_LABELS);
			if (s->nlabels > 0) {
				assert_int_equal(*p, ',');
				p++;
			}
			p = read_name(p, end, lname, sizeof(lname));
			assert_null(strchr(lname, ':'));
			add_label_name(s->labels, sizeof(s->labels), lname);
			assert_true(p < end && *p == '=');
			p = read_value(p + 1, end, s->lval[s->nlabels]);
		}
		assert_true(p < end);
		p++;
	}
	assert_true(p < end && *p == ' ');
	n = (size_t)(p - line);
	assert_true(n < sizeof(s->key));
	memcpy(s->key, line, n);
	s->key[n] = '\0';
	p++;
	n = (size_t)(end - p);
	assert_true(n > 0 && n < sizeof(num));
	memcpy(num, p, n);
	num[n] = '\0';
	s->value = strtod(num, &e);
	assert_true(*e == '\0');
}

/* Parses out; fails the test on anything the format does not allow. */
static void
parse_doc(struct doc *d, const struct buf *out)
{
	const char *p = buf_ptr(out), *end = p + buf_len(out), *eol;
	struct doc_family *fam;
	char name[DOC_NAME];
	size_t n;

	memset(d, 0, sizeof(*d));
	assert_true(buf_len(out) > 0);
	assert_int_equal(end[-1], '\n');
	assert_int_equal(strlen(p), buf_len(out));
	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(eol);
		d->lines++;
		if (strncmp(p, "# HELP ", 7) == 0) {
			p = read_name(p + 7, eol, name, sizeof(name));
			assert_true(p < eol && *p == ' ');
			if ((fam = find_family(d, name)) == NULL) {
				assert_true(d->nfam < DOC_FAMILIES);
				fam = &d->fam[d->nfam++];
				snprintf(fam->name, sizeof(fam->name), "%s",
				    name);
			} else
				assert_ptr_equal(fam, &d->fam[d->nfam - 1]);
			fam->help++;
			assert_int_equal(fam->types, 0);
		} else if (strncmp(p, "# TYPE ", 7) == 0) {
			p = read_name(p + 7, eol, name, sizeof(name));
			/* Right after its HELP line. */
			assert_true(d->nfam > 0);
			fam = &d->fam[d->nfam - 1];
			assert_string_equal(name, fam->name);
			assert_int_equal(fam->samples, 0);
			assert_true(p < eol && *p == ' ');
			p++;
			n = (size_t)(eol - p);
			assert_true(n > 0 && n < sizeof(fam->type));
			memcpy(fam->type, p, n);
			fam->type[n] = '\0';
			fam->types++;
		} else {
			/* No other comment lines are written. */
			assert_true(*p != '#');
			parse_sample(d, p, eol);
		}
	}
}
