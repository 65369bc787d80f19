/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times one scrape's join at the size caps.h is sized for: 20 000 jobs
 * and 100 000 metadata series (one in ten a procname.uid series, a few
 * on OSTs or of finished jobs); -DBENCH_SCALE=8 multiplies every count.
 * Not a test: it prints, it asserts nothing.
 *
 * Two figures per series: the join (join_add_series() and join_build(),
 * as cmd/collect.c runs them, every label already an id), and the
 * interning of a series' process name and target that lib/intake.c does
 * once per record as it arrives.
 *
 *	make build/tests/bench_join && build/tests/bench_join
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/caps.h"
#include "../lib/deadline.h"
#include "../lib/err.h"
#include "../lib/join.h"
#include "../lib/names.h"
#include "../lib/proto.h"
#include "../lib/query.h"

#ifndef BENCH_SCALE
#define BENCH_SCALE	1
#endif
#define NJOBS		(20000 * BENCH_SCALE)
#define NSERIES		(100000 * BENCH_SCALE)
#define NUSERS		(2000 * BENCH_SCALE)
#define ROUNDS		5

/* The project's monotonic clock (lib/deadline.h), in ns. */
static double
now_ns(void)
{
	return (double)deadline_now_us() * 1e3;
}

static void
check(int r, const char *what)
{
	if (r != 0) {
		fprintf(stderr, "bench_join: %s: %s\n", what, err_str(r));
		exit(1);
	}
}

/* The series of one scrape as the helper sends them, made beforehand. */
struct raw_series {
	int		 kind;
	uint64_t	 jobid;
	uint32_t	 uid;
	const char	*proc;
	const char	*target;
	double		 value;
};

static struct raw_series raw[NSERIES];
static struct join_series series[NSERIES];
static char procs[40][16];

static void
make_series(void)
{
	static const char *const targets[] = {
		"fs-MDT0000", "fs-MDT0001", "fs-MDT0002", "fs-OST0000",
	};
	struct raw_series *s;
	uint32_t i;

	for (i = 0; i < 40; i++)
		snprintf(procs[i], sizeof(procs[i]), "proc%u", i);
	for (i = 0; i < NSERIES; i++) {
		s = &raw[i];
		memset(s, 0, sizeof(*s));
		s->target = targets[i % 20 == 3 ? 3 : i % 3];
		s->value = (double)(i % 977);
		if (i % 10 == 9) {
			s->kind = PROTO_KIND_PROC;
			s->uid = 10000 + i * 31 % NUSERS;
			s->proc = procs[i % 40];
		} else {
			/* A few ids above NJOBS: jobs that have ended. */
			s->kind = PROTO_KIND_JOB;
			s->jobid = 1000000 + (i * 7919u) % (NJOBS + 500);
		}
	}
}

/* The id of s in nm. */
static uint32_t
id_of(struct names *nm, const char *s)
{
	uint32_t id;

	check(names_intern(nm, s, strlen(s), &id, NULL), "names_intern");
	return id;
}

/* Interns every series' strings; returns the ns it took. */
static double
intern_series(struct names *nm)
{
	const struct raw_series *r;
	struct join_series *s;
	double t0;
	uint32_t i;

	t0 = now_ns();
	for (i = 0; i < NSERIES; i++) {
		r = &raw[i];
		s = &series[i];
		memset(s, 0, sizeof(*s));
		s->kind = r->kind;
		s->jobid = r->jobid;
		s->uid = r->uid;
		s->value = r->value;
		s->target = id_of(nm, r->target);
		if (r->kind == PROTO_KIND_PROC)
			s->proc = id_of(nm, r->proc);
	}
	return now_ns() - t0;
}

/*
 * One whole join; returns the ns spent in join_add_series + join_build,
 * and in *intern_ns the interning of the series' strings.
 */
static double
round_once(size_t *rows, double *intern_ns)
{
	struct names *nm;
	struct join *j;
	struct join_stats st;
	char a[32], u[32];
	double t0, t1;
	uint32_t i;

	if ((nm = names_new(MAX_NAMES_BYTES)) == NULL ||
	    (j = join_new(nm)) == NULL)
		check(ERR_NOMEM, "join_new");
	for (i = 0; i < NJOBS; i++) {
		snprintf(a, sizeof(a), "account%u", i % 300);
		snprintf(u, sizeof(u), "user%u", i % NUSERS);
		check(join_add_job(j, 1000000 + i, id_of(nm, a), id_of(nm, u)),
		    "join_add_job");
	}
	for (i = 0; i < NUSERS; i++) {
		snprintf(u, sizeof(u), "user%u", i);
		check(join_add_user(j, 10000 + i, id_of(nm, u), 100 + i % 20),
		    "join_add_user");
	}
	for (i = 0; i < 20; i++) {
		snprintf(a, sizeof(a), "group%u", i);
		check(join_add_group(j, 100 + i, id_of(nm, a)),
		    "join_add_group");
	}
	*intern_ns = intern_series(nm);

	t0 = now_ns();
	for (i = 0; i < NSERIES; i++)
		check(join_add_series(j, QUERY_METADATA, &series[i]),
		    "join_add_series");
	check(join_build(j, QUERY_METADATA, &st), "join_build");
	t1 = now_ns();
	*rows = st.rows;
	join_free(j);
	names_free(nm);
	return t1 - t0;
}

int
main(void)
{
	struct rusage ru;
	double best = 0, best_intern = 0, t, ti;
	size_t rows = 0;
	int r;

	make_series();
	for (r = 0; r < ROUNDS; r++) {
		t = round_once(&rows, &ti);
		if (r == 0 || t < best)
			best = t;
		if (r == 0 || ti < best_intern)
			best_intern = ti;
	}
	if (getrusage(RUSAGE_SELF, &ru) == -1) {
		perror("getrusage");
		return 1;
	}
	printf("jobs %d series %d rows %zu: best of %d %.2f ms, "
	    "%.1f ns/series (interning at intake: %.1f ns/series), "
	    "peak RSS %ld KiB\n", NJOBS, NSERIES, rows, ROUNDS, best / 1e6,
	    best / NSERIES, best_intern / NSERIES, ru.ru_maxrss);
	return 0;
}
