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
#include "version.h"
#include "../lib/caps.h"
#include "../lib/proto.h"
#include "../lib/query.h"

#include "join_add.h"

/* A process name that tries to end its label, its line and its family. */
static const char hostile[] = "evil\"} 1\ncluster_exporter_scrape_ok 1\n#";

/*
 * The exposition as read back by a strict parser of the text format: every
 * line is a HELP, a TYPE or a sample of the family the last TYPE named.
 */
#define DOC_FAMILIES	32
#define DOC_SAMPLES	128
#define DOC_LABELS	5	/* build_info has the most */
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
	struct names	*nm;
	struct join	*j;
	struct metrics_scrape s;
	struct buf	 out;
	struct doc	 doc;
};

static void
add_series(struct names *nm, struct join *j, int source, int kind,
    uint64_t id, const char *proc, const char *target, double value)
{
	struct join_series s;

	memset(&s, 0, sizeof(s));
	s.kind = kind;
	if (kind == PROTO_KIND_JOB)
		s.jobid = id;
	else {
		s.uid = (uint32_t)id;
		s.proc = name_id(nm, proc);
	}
	s.target = name_id(nm, target);
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
load_join(struct names *nm, struct join *j)
{
	int src;

	add_job(nm, j, 101, "acc_a", "u1");
	add_job(nm, j, 102, "acc_b", "u2");
	add_job(nm, j, 103, "acc_a", "u1");
	add_user(nm, j, 1000, "kim", 500);
	add_user(nm, j, 1001, "lee", 501);
	add_group(nm, j, 500, "hpc");
	add_group(nm, j, 501, "guests");

	add_series(nm, j, QUERY_METADATA, JOB, 101, NULL, "fs-MDT0000", 5);
	add_series(nm, j, QUERY_METADATA, JOB, 103, NULL, "fs-MDT0000", 2);
	add_series(nm, j, QUERY_METADATA, JOB, 102, NULL, "fs-MDT0001", 3);
	add_series(nm, j, QUERY_METADATA, JOB, 101, NULL, "fs-OST0000", 9);
	add_series(nm, j, QUERY_METADATA, PROC, 1000, "cp", "fs-MDT0000", 1);
	add_series(nm, j, QUERY_METADATA, PROC, 1001, hostile, "fs-MDT0001", 4);

	add_series(nm, j, QUERY_READ, JOB, 101, NULL, NULL, 100);
	add_series(nm, j, QUERY_READ, JOB, 102, NULL, NULL, 200);
	add_series(nm, j, QUERY_READ, JOB, 103, NULL, NULL, 50);
	add_series(nm, j, QUERY_READ, JOB, 999, NULL, NULL, 1);
	add_series(nm, j, QUERY_READ, PROC, 1001, hostile, NULL, 10);
	add_series(nm, j, QUERY_READ, PROC, 1000, "cp", NULL, 20);

	add_series(nm, j, QUERY_WRITE, JOB, 102, NULL, NULL, 300);
	add_series(nm, j, QUERY_WRITE, PROC, 1000, "dd", NULL, 7);
	add_series(nm, j, QUERY_WRITE, PROC, 1000, "dd", NULL, 3);

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
	if ((f->nm = names_new(MAX_NAMES_BYTES)) == NULL ||
	    (f->j = join_new(f->nm)) == NULL) {
		names_free(f->nm);
		free(f);
		return -1;
	}
	for (i = 0; i < SOURCE_COUNT; i++)
		f->s.source_up[i] = 1;
	for (i = 0; i < STAGE_COUNT; i++)
		f->s.stage_seconds[i] = 0.5 * i;
	f->s.helper_restarts[0] = 3;
	f->s.dropped_series = 2;
	f->s.unmatched[SOURCE_READ][METRICS_NO_JOB] = 7;
	f->s.unmatched[SOURCE_METADATA][METRICS_NO_GROUP] = 1;
	buf_init(&f->out, MAX_EXPOSITION);
	*state = f;
	return 0;
}

static int
teardown_fx(void **state)
{
	struct fx *f = *state;

	join_free(f->j);
	names_free(f->nm);
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

/* Every family the exporter writes, with its type and label names. */
static const struct {
	const char	*name;
	const char	*type;
	const char	*labels;
} want_families[] = {
	{ "cluster_exporter_scrape_ok", "gauge", "" },
	{ "cluster_exporter_stage_execution_seconds", "gauge", "name" },
	{ "cluster_job_metadata_operations", "gauge",
	    "account,target,user" },
	{ "cluster_proc_metadata_operations", "gauge",
	    "group_name,proc_name,target,user_name" },
	{ "cluster_job_read_throughput_bytes", "gauge", "account,user" },
	{ "cluster_job_write_throughput_bytes", "gauge", "account,user" },
	{ "cluster_proc_read_throughput_bytes", "gauge",
	    "group_name,proc_name,user_name" },
	{ "cluster_proc_write_throughput_bytes", "gauge",
	    "group_name,proc_name,user_name" },
	{ "cluster_exporter_source_up", "gauge", "source" },
	{ "cluster_exporter_helper_restarts_total", "counter", "helper" },
	{ "cluster_exporter_dropped_series", "gauge", "" },
	{ "cluster_exporter_unmatched_series", "gauge", "reason,source" },
	{ "cluster_exporter_helper_cpu_seconds_total", "counter", "helper" },
	{ "cluster_exporter_helper_resident_memory_bytes", "gauge", "helper" },
	{ "cluster_exporter_helper_virtual_memory_bytes", "gauge", "helper" },
	{ "cluster_exporter_helper_open_fds", "gauge", "helper" },
	{ "cluster_exporter_helper_max_fds", "gauge", "helper" },
	{ "cluster_exporter_helper_start_time_seconds", "gauge", "helper" },
	{ "cluster_exporter_scrape_duration_seconds", "gauge", "" },
	{ "cluster_exporter_build_info", "gauge",
	    "branch,compiler,libraries,revision,version" },
};

/* The build_info sample of version, with this build's identity. */
static const char *
build_info_key(const char *version)
{
	static char key[512];

	(void)snprintf(key, sizeof(key), "cluster_exporter_build_info{"
	    "branch=\"%s\",compiler=\"%s\",libraries=\"%s\","
	    "revision=\"%s\",version=\"%s\"}", version_branch(),
	    version_compiler(), version_libraries(), version_revision(),
	    version);
	return key;
}

#define NWANT	(sizeof(want_families) / sizeof(want_families[0]))

/* The join family behind an original family name, or -1. */
static int
join_family_of(const char *name)
{
	static const struct {
		const char	*name;
		int		 family;
	} map[] = {
		{ "cluster_job_metadata_operations", FAMILY_JOB_METADATA },
		{ "cluster_proc_metadata_operations", FAMILY_PROC_METADATA },
		{ "cluster_job_read_throughput_bytes", FAMILY_JOB_READ },
		{ "cluster_proc_read_throughput_bytes", FAMILY_PROC_READ },
		{ "cluster_job_write_throughput_bytes", FAMILY_JOB_WRITE },
		{ "cluster_proc_write_throughput_bytes", FAMILY_PROC_WRITE },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, name) == 0)
			return map[i].family;
	return -1;
}

/* Samples family name must have, given the join it was written from. */
static size_t
implied_samples(const char *name, const struct join *j,
    const struct metrics_scrape *m)
{
	size_t n;
	int id;

	int f;

	if ((f = join_family_of(name)) != -1)
		return j == NULL ? 0 : join_rows(j, f);
	if (strcmp(name, "cluster_exporter_stage_execution_seconds") == 0)
		return STAGE_COUNT;
	if (strcmp(name, "cluster_exporter_source_up") == 0)
		return SOURCE_COUNT;
	if (strcmp(name, "cluster_exporter_helper_restarts_total") == 0)
		return HELPER_COUNT;
	/*
	 * metadata, read and write that are up, by the reasons whose source
	 * is up: squeue's for a job, getent's for a user or a group.
	 */
	if (strcmp(name, "cluster_exporter_unmatched_series") == 0) {
		n = 0;
		for (id = SOURCE_METADATA; id <= SOURCE_WRITE; id++)
			if (m->source_up[id])
				n += (m->source_up[SOURCE_SLURM] ? 1 : 0) +
				    (m->source_up[SOURCE_ACCOUNTS] ? 2 : 0);
		return n;
	}
	/* No helper has sent its process figures in these scrapes. */
	if (strncmp(name, "cluster_exporter_helper_", 24) == 0)
		return 0;
	return 1;
}

/*
 * The whole shape of a full scrape: the twenty families once each, with
 * HELP and TYPE, the right label names, as many samples as the inputs
 * imply, no duplicate series, and nothing else.
 */
static void
assert_full_shape(const struct doc *d, const struct join *j,
    const struct metrics_scrape *m)
{
	const struct doc_family *fam;
	size_t i, k, lines = 0;
	int found;

	assert_int_equal(d->nfam, NWANT);
	for (i = 0; i < NWANT; i++) {
		found = 0;
		for (k = 0; k < d->nfam; k++) {
			if (strcmp(d->fam[k].name, want_families[i].name) != 0)
				continue;
			found++;
			fam = &d->fam[k];
			assert_int_equal(fam->help, 1);
			assert_int_equal(fam->types, 1);
			assert_string_equal(fam->type, want_families[i].type);
			assert_int_equal(fam->samples, implied_samples(
			    fam->name, j, m));
			lines += 2 + fam->samples;
		}
		assert_int_equal(found, 1);
	}
	for (i = 0; i < d->nsmp; i++) {
		for (k = 0; k < NWANT; k++)
			if (strcmp(d->smp[i].name, want_families[k].name) == 0)
				break;
		assert_true(k < NWANT);
		assert_string_equal(d->smp[i].labels,
		    want_families[k].labels);
		for (k = 0; k < i; k++)
			assert_string_not_equal(d->smp[i].key, d->smp[k].key);
	}
	assert_int_equal(d->lines, lines);
	/* The first thing a scraper sees is whether the scrape worked. */
	assert_string_equal(d->fam[0].name, "cluster_exporter_scrape_ok");
}

static const struct doc_sample *
find_sample(const struct doc *d, const char *key)
{
	size_t i;

	for (i = 0; i < d->nsmp; i++)
		if (strcmp(d->smp[i].key, key) == 0)
			return &d->smp[i];
	return NULL;
}

static void
assert_sample(const struct doc *d, const char *key, double value)
{
	const struct doc_sample *s;

	if ((s = find_sample(d, key)) == NULL)
		fail_msg("no sample %s", key);
	if (s->value != value)
		fail_msg("%s is %.17g, want %.17g", key, s->value, value);
}

static size_t
count_samples(const struct doc *d, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < d->nsmp; i++)
		if (strcmp(d->smp[i].name, name) == 0)
			n++;
	return n;
}

/* Lines of the raw text that start with s. */
static size_t
count_lines_starting(const struct buf *out, const char *s)
{
	const char *p = buf_ptr(out);
	size_t n = 0, len = strlen(s);

	while (*p != '\0') {
		if (strncmp(p, s, len) == 0)
			n++;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		p++;
	}
	return n;
}

static void
write_and_parse(struct fx *f, const struct join *j)
{
	buf_reset(&f->out);
	assert_int_equal(metrics_write(&f->out, &f->s, j, "1.2.3"), 0);
	parse_doc(&f->doc, &f->out);
}

static void
test_families(void **state)
{
	struct fx *f = *state;

	load_join(f->nm, f->j);
	write_and_parse(f, f->j);
	assert_full_shape(&f->doc, f->j, &f->s);
	/*
	 * 20 families, and 1 + 7 + 10 + 5 + 3 + 1 + 9 + 1 + 1 samples (no
	 * helper has sent its figures).
	 */
	assert_int_equal(f->doc.lines, 2 * 20 + 1 + STAGE_COUNT +
	    LOADED_ROWS + SOURCE_COUNT + HELPER_COUNT + 1 +
	    3 * METRICS_UNMATCHED + 1 + 1);
	assert_int_equal(f->doc.lines, 78);
}

static void
test_values(void **state)
{
	static const char *const stages[] = {
		"retrieve_running_jobs", "retrieve_user_name_info",
		"retrieve_group_name_info", "retrieve_lustre_metrics",
		"build_metadata_metrics", "build_read_throughput_metrics",
		"build_write_throughput_metrics",
	};
	static const char *const sources[] = {
		"slurm", "accounts", "metadata", "read", "write",
	};
	struct fx *f = *state;
	const struct doc *d = &f->doc;
	char key[256];
	size_t i;

	load_join(f->nm, f->j);
	write_and_parse(f, f->j);

	assert_sample(d, "cluster_job_metadata_operations{account=\"acc_a\","
	    "target=\"fs-MDT0000\",user=\"u1\"}", 7);
	assert_sample(d, "cluster_job_metadata_operations{account=\"acc_b\","
	    "target=\"fs-MDT0001\",user=\"u2\"}", 3);
	assert_sample(d, "cluster_proc_metadata_operations{group_name=\"hpc\","
	    "proc_name=\"cp\",target=\"fs-MDT0000\",user_name=\"kim\"}", 1);
	assert_sample(d, "cluster_job_read_throughput_bytes{account=\"acc_a\","
	    "user=\"u1\"}", 150);
	assert_sample(d, "cluster_job_read_throughput_bytes{account=\"acc_b\","
	    "user=\"u2\"}", 200);
	assert_sample(d, "cluster_proc_read_throughput_bytes{"
	    "group_name=\"hpc\",proc_name=\"cp\",user_name=\"kim\"}", 20);
	assert_sample(d, "cluster_job_write_throughput_bytes{"
	    "account=\"acc_b\",user=\"u2\"}", 300);
	assert_sample(d, "cluster_proc_write_throughput_bytes{"
	    "group_name=\"hpc\",proc_name=\"dd\",user_name=\"kim\"}", 10);
	/* The non-MDT target and the unknown job left no trace. */
	assert_null(strstr(buf_ptr(&f->out), "OST"));
	assert_int_equal(count_samples(d, "cluster_job_read_throughput_bytes"),
	    2);

	/* Stage names, as the original's stage label values. */
	assert_int_equal(sizeof(stages) / sizeof(stages[0]), STAGE_COUNT);
	for (i = 0; i < STAGE_COUNT; i++) {
		assert_string_equal(source_stage_name((int)i), stages[i]);
		snprintf(key, sizeof(key),
		    "cluster_exporter_stage_execution_seconds{name=\"%s\"}",
		    stages[i]);
		assert_sample(d, key, 0.5 * (double)i);
	}
	for (i = 0; i < SOURCE_COUNT; i++) {
		assert_string_equal(source_name((int)i), sources[i]);
		snprintf(key, sizeof(key),
		    "cluster_exporter_source_up{source=\"%s\"}", sources[i]);
		assert_sample(d, key, 1);
	}
	assert_null(source_stage_name(-1));
	assert_null(source_stage_name(STAGE_COUNT));
	assert_null(source_name(-1));
	assert_null(source_name(SOURCE_COUNT));

	assert_sample(d, "cluster_exporter_scrape_ok", 1);
	assert_sample(d,
	    "cluster_exporter_helper_restarts_total{helper=\"slurm\"}", 3);
	assert_sample(d,
	    "cluster_exporter_helper_restarts_total{helper=\"accounts\"}", 0);
	assert_sample(d,
	    "cluster_exporter_helper_restarts_total{helper=\"promql\"}", 0);
	assert_sample(d, "cluster_exporter_dropped_series", 2);
	/* Every upstream source and reason, zeros included. */
	assert_sample(d, "cluster_exporter_unmatched_series{"
	    "reason=\"job_not_in_squeue\",source=\"read\"}", 7);
	assert_sample(d, "cluster_exporter_unmatched_series{"
	    "reason=\"unknown_group\",source=\"metadata\"}", 1);
	assert_sample(d, "cluster_exporter_unmatched_series{"
	    "reason=\"unknown_user\",source=\"write\"}", 0);
	assert_sample(d, build_info_key("1.2.3"), 1);
}

static void
test_scrape_ok(void **state)
{
	struct fx *f = *state;
	char key[128];
	int i, k;

	load_join(f->nm, f->j);
	write_and_parse(f, f->j);
	assert_sample(&f->doc, "cluster_exporter_scrape_ok", 1);

	/* Any one source down makes the whole scrape not ok. */
	for (i = 0; i < SOURCE_COUNT; i++) {
		for (k = 0; k < SOURCE_COUNT; k++)
			f->s.source_up[k] = k != i;
		write_and_parse(f, f->j);
		assert_full_shape(&f->doc, f->j, &f->s);
		assert_sample(&f->doc, "cluster_exporter_scrape_ok", 0);
		for (k = 0; k < SOURCE_COUNT; k++) {
			snprintf(key, sizeof(key),
			    "cluster_exporter_source_up{source=\"%s\"}",
			    source_name(k));
			assert_sample(&f->doc, key, k != i);
		}
	}

	/* Any non-zero value counts as up; all down is 0 too. */
	for (k = 0; k < SOURCE_COUNT; k++)
		f->s.source_up[k] = 7;
	write_and_parse(f, f->j);
	assert_sample(&f->doc, "cluster_exporter_scrape_ok", 1);
	assert_sample(&f->doc, "cluster_exporter_source_up{source=\"read\"}",
	    1);
	memset(f->s.source_up, 0, sizeof(f->s.source_up));
	write_and_parse(f, f->j);
	assert_sample(&f->doc, "cluster_exporter_scrape_ok", 0);
}

static void
test_hostile_labels(void **state)
{
	static const char bs[] = "back\\slash";
	static const char q[] = "quo\"te";
	static const char nl[] = "new\nline";
	struct fx *f = *state;
	const struct doc *d = &f->doc;
	const struct doc_sample *s;
	size_t i, n = 0;

	load_join(f->nm, f->j);
	write_and_parse(f, f->j);
	assert_full_shape(d, f->j, &f->s);

	/* One scrape_ok, however the label values try to forge one. */
	assert_int_equal(count_samples(d, "cluster_exporter_scrape_ok"), 1);
	assert_int_equal(count_lines_starting(&f->out,
	    "cluster_exporter_scrape_ok "), 1);
	/* Nor as a labelled series: no other line even starts so. */
	assert_int_equal(count_lines_starting(&f->out,
	    "cluster_exporter_scrape_ok"), 1);
	assert_non_null(strstr(buf_ptr(&f->out),
	    ",proc_name=\"evil\\\"} 1\\ncluster_exporter_scrape_ok 1\\n#\","));

	/* Read back, the value is the name exactly. */
	for (i = 0; i < d->nsmp; i++) {
		s = &d->smp[i];
		if (strstr(s->labels, "proc_name") == NULL ||
		    strncmp(s->lval[1], "evil", 4) != 0)
			continue;
		assert_string_equal(s->lval[1], hostile);
		n++;
	}
	assert_int_equal(n, 2);
	assert_sample(d, "cluster_proc_read_throughput_bytes{"
	    "group_name=\"guests\",proc_name=\"evil\\\"} 1\\n"
	    "cluster_exporter_scrape_ok 1\\n#\",user_name=\"lee\"}", 10);

	/* Every label of every family escapes the same way. */
	join_free(f->j);
	assert_non_null(f->j = join_new(f->nm));
	add_job(f->nm, f->j, 7, hostile, bs);
	add_user(f->nm, f->j, 2000, q, 600);
	add_group(f->nm, f->j, 600, nl);
	add_series(f->nm, f->j, QUERY_METADATA, JOB, 7, NULL,
	    "x\"\n\\-MDT0000", 1);
	add_series(f->nm, f->j, QUERY_METADATA, PROC, 2000, bs, "fs-MDT0000",
	    2);
	add_series(f->nm, f->j, QUERY_WRITE, JOB, 7, NULL, NULL, 3);
	add_series(f->nm, f->j, QUERY_WRITE, PROC, 2000, hostile, NULL, 4);
	for (i = 0; i < QUERY_COUNT; i++)
		assert_int_equal(join_build(f->j, (int)i, NULL), 0);
	write_and_parse(f, f->j);
	assert_full_shape(d, f->j, &f->s);
	assert_int_equal(count_lines_starting(&f->out,
	    "cluster_exporter_scrape_ok"), 1);
	for (i = 0; i < d->nsmp; i++) {
		s = &d->smp[i];
		if (strcmp(s->name, "cluster_job_write_throughput_bytes") ==
		    0) {
			assert_string_equal(s->lval[0], hostile);
			assert_string_equal(s->lval[1], bs);
			assert_true(s->value == 3);
		}
		if (strcmp(s->name, "cluster_proc_write_throughput_bytes") ==
		    0) {
			assert_string_equal(s->lval[0], nl);
			assert_string_equal(s->lval[1], hostile);
			assert_string_equal(s->lval[2], q);
		}
	}
	assert_int_equal(count_samples(d, "cluster_job_metadata_operations"),
	    0);
	assert_int_equal(count_samples(d, "cluster_proc_metadata_operations"),
	    1);
}

static void
test_skipped(void **state)
{
	struct fx *f = *state;
	const struct doc *d = &f->doc;

	assert_int_equal(metrics_write_skipped(&f->out, "1.2.3"), 0);
	parse_doc(&f->doc, &f->out);
	assert_int_equal(d->nfam, 2);
	assert_string_equal(d->fam[0].name, "cluster_exporter_scrape_ok");
	assert_string_equal(d->fam[1].name, "cluster_exporter_build_info");
	assert_int_equal(d->fam[0].help, 1);
	assert_int_equal(d->fam[1].help, 1);
	assert_int_equal(d->lines, 6);
	assert_sample(d, "cluster_exporter_scrape_ok", 0);
	assert_sample(d, build_info_key("1.2.3"), 1);

	/* The version is a label value like any other. */
	buf_reset(&f->out);
	assert_int_equal(metrics_write_skipped(&f->out, "1\"}\n\\"), 0);
	parse_doc(&f->doc, &f->out);
	assert_int_equal(d->lines, 6);
	assert_int_equal(d->nsmp, 2);
	/* branch, compiler, libraries, revision, then version. */
	assert_string_equal(d->smp[1].lval[4], "1\"}\n\\");
	assert_int_equal(count_lines_starting(&f->out,
	    "cluster_exporter_scrape_ok"), 1);
}

static void
test_null_join(void **state)
{
	struct fx *f = *state;
	struct join *empty;
	int src;

	write_and_parse(f, NULL);
	assert_full_shape(&f->doc, NULL, &f->s);
	assert_int_equal(f->doc.lines, 2 * 20 + 1 + STAGE_COUNT +
	    SOURCE_COUNT + HELPER_COUNT + 1 + 3 * METRICS_UNMATCHED + 1 + 1);
	assert_sample(&f->doc, "cluster_exporter_scrape_ok", 1);

	/* A join without series reads the same. */
	assert_non_null(empty = join_new(f->nm));
	for (src = 0; src < QUERY_COUNT; src++)
		assert_int_equal(join_build(empty, src, NULL), 0);
	write_and_parse(f, empty);
	assert_full_shape(&f->doc, empty, &f->s);
	assert_int_equal(f->doc.lines, 68);
	join_free(empty);
}

/* Rebuilding the join or writing twice never repeats a series. */
static void
test_no_duplicates(void **state)
{
	struct fx *f = *state;
	int src;

	load_join(f->nm, f->j);
	for (src = 0; src < QUERY_COUNT; src++)
		assert_int_equal(join_build(f->j, src, NULL), 0);
	write_and_parse(f, f->j);
	assert_full_shape(&f->doc, f->j, &f->s);
	assert_int_equal(f->doc.lines, 78);

	/* The same series again only changes the sums. */
	add_series(f->nm, f->j, QUERY_READ, JOB, 101, NULL, NULL, 1);
	add_series(f->nm, f->j, QUERY_READ, JOB, 103, NULL, NULL, 1);
	assert_int_equal(join_build(f->j, QUERY_READ, NULL), 0);
	write_and_parse(f, f->j);
	assert_full_shape(&f->doc, f->j, &f->s);
	assert_int_equal(f->doc.lines, 78);
	assert_sample(&f->doc, "cluster_job_read_throughput_bytes{"
	    "account=\"acc_a\",user=\"u1\"}", 152);
}

/* A cap too small for the scrape: ERR_TOOBIG, and never half a line. */
static void
test_cap(void **state)
{
	struct fx *f = *state;
	struct buf small;
	size_t full, cap;
	int r;

	load_join(f->nm, f->j);
	write_and_parse(f, f->j);
	full = buf_len(&f->out);
	for (cap = 0; cap <= full; cap++) {
		buf_init(&small, cap);
		r = metrics_write(&small, &f->s, f->j, "1.2.3");
		if (cap < full)
			assert_int_equal(r, ERR_TOOBIG);
		else {
			assert_int_equal(r, 0);
			assert_memory_equal(buf_ptr(&small),
			    buf_ptr(&f->out), full);
		}
		assert_true(buf_len(&small) <= cap);
		if (buf_len(&small) > 0)
			assert_int_equal(buf_ptr(&small)[buf_len(&small) - 1],
			    '\n');
		buf_cleanup(&small);
	}
	buf_init(&small, 10);
	assert_int_equal(metrics_write_skipped(&small, "1.2.3"), ERR_TOOBIG);
	buf_cleanup(&small);
}

/*
 * The per-response families: the process_* ones only when the figures
 * could be read, with the client libraries' names and types.
 */
static void
test_front_process(void **state)
{
	static const struct {
		const char	*name, *type;
		double		 v;
	} want[] = {
		{ "process_cpu_seconds_total", "counter", 1.5 },
		{ "process_open_fds", "gauge", 12 },
		{ "process_max_fds", "gauge", 1024 },
		{ "process_virtual_memory_bytes", "gauge", 4096 },
		{ "process_resident_memory_bytes", "gauge", 2048 },
		{ "process_start_time_seconds", "gauge", 1700000000.5 },
	};
	struct fx *f = *state;
	struct metrics_front fr;
	size_t i, k;

	memset(&fr, 0, sizeof(fr));
	assert_int_equal(metrics_write_front(&f->out, &fr), 0);
	assert_int_equal(count_lines_starting(&f->out, "process_"), 0);
	buf_reset(&f->out);
	fr.have_process = 1;
	fr.cpu_seconds = 1.5;
	fr.open_fds = 12;
	fr.max_fds = 1024;
	fr.virtual_bytes = 4096;
	fr.resident_bytes = 2048;
	fr.start_time_seconds = 1700000000.5;
	assert_int_equal(metrics_write_front(&f->out, &fr), 0);
	parse_doc(&f->doc, &f->out);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_sample(&f->doc, want[i].name, want[i].v);
		for (k = 0; k < f->doc.nfam; k++)
			if (strcmp(f->doc.fam[k].name, want[i].name) == 0)
				break;
		assert_true(k < f->doc.nfam);
		assert_string_equal(f->doc.fam[k].type, want[i].type);
		assert_int_equal(f->doc.fam[k].help, 1);
	}
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup_fx, teardown_fx)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_families),
		T(test_values),
		T(test_scrape_ok),
		T(test_hostile_labels),
		T(test_skipped),
		T(test_null_join),
		T(test_no_duplicates),
		T(test_cap),
		T(test_front_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
