/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times one scrape's join at the size caps.h is sized for: 20 000 jobs
 * and 100 000 metadata series (one in ten a procname.uid series, a few
 * on OSTs or of finished jobs).  Not a test: it prints, it asserts nothing.
 *
 *	cc -O2 -D_GNU_SOURCE -o bench_join tests/bench_join.c lib/join.c \
 *	    lib/hash.c lib/buf.c lib/err.c lib/lustre.c
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/err.h"
#include "../lib/join.h"
#include "../lib/proto.h"
#include "../lib/query.h"

#define NJOBS		20000
#define NSERIES		100000
#define NUSERS		2000
#define ROUNDS		5

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void
check(int r, const char *what)
{
	if (r != 0) {
		fprintf(stderr, "bench_join: %s: %s\n", what, err_str(r));
		exit(1);
	}
}

/* The series of one scrape, made before the clock starts. */
static struct join_series series[NSERIES];
static char procs[40][16];

static void
make_series(void)
{
	static const char *const targets[] = {
		"fs-MDT0000", "fs-MDT0001", "fs-MDT0002", "fs-OST0000",
	};
	struct join_series *s;
	uint32_t i;

	for (i = 0; i < 40; i++)
		snprintf(procs[i], sizeof(procs[i]), "proc%u", i);
	for (i = 0; i < NSERIES; i++) {
		s = &series[i];
		memset(s, 0, sizeof(*s));
		s->target = targets[i % 20 == 3 ? 3 : i % 3];
		s->target_len = strlen(s->target);
		s->value = (double)(i % 977);
		if (i % 10 == 9) {
			s->kind = PROTO_KIND_PROC;
			s->uid = 10000 + i * 31 % NUSERS;
			s->proc = procs[i % 40];
			s->proc_len = strlen(s->proc);
		} else {
			/* A few ids above NJOBS: jobs that have ended. */
			s->kind = PROTO_KIND_JOB;
			s->jobid = 1000000 + (i * 7919u) % (NJOBS + 500);
		}
	}
}

/* One whole join; returns the ns spent in join_add_series + join_build. */
static double
round_once(size_t *rows)
{
	struct join *j;
	struct join_stats st;
	char a[32], u[32];
	double t0, t1;
	uint32_t i;
	int an, un;

	if ((j = join_new()) == NULL)
		check(ERR_NOMEM, "join_new");
	for (i = 0; i < NJOBS; i++) {
		an = snprintf(a, sizeof(a), "account%u", i % 300);
		un = snprintf(u, sizeof(u), "user%u", i % NUSERS);
		check(join_add_job(j, 1000000 + i, a, (size_t)an, u,
		    (size_t)un), "join_add_job");
	}
	for (i = 0; i < NUSERS; i++) {
		un = snprintf(u, sizeof(u), "user%u", i);
		check(join_add_user(j, 10000 + i, u, (size_t)un, 100 + i % 20),
		    "join_add_user");
	}
	for (i = 0; i < 20; i++) {
		an = snprintf(a, sizeof(a), "group%u", i);
		check(join_add_group(j, 100 + i, a, (size_t)an),
		    "join_add_group");
	}

	t0 = now_ns();
	for (i = 0; i < NSERIES; i++)
		check(join_add_series(j, QUERY_METADATA, &series[i]),
		    "join_add_series");
	check(join_build(j, QUERY_METADATA, &st), "join_build");
	t1 = now_ns();
	*rows = st.rows;
	join_free(j);
	return t1 - t0;
}

int
main(void)
{
	struct rusage ru;
	double best = 0, t;
	size_t rows = 0;
	int r;

	make_series();
	for (r = 0; r < ROUNDS; r++) {
		t = round_once(&rows);
		if (r == 0 || t < best)
			best = t;
	}
	if (getrusage(RUSAGE_SELF, &ru) == -1) {
		perror("getrusage");
		return 1;
	}
	printf("jobs %d series %d rows %zu: best of %d %.2f ms, "
	    "%.1f ns/series, peak RSS %ld KiB\n", NJOBS, NSERIES, rows,
	    ROUNDS, best / 1e6, best / NSERIES, ru.ru_maxrss);
	return 0;
}
