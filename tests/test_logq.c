/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The log queue against real pipes on fd 2: one the test reads, and one
 * nobody reads (a stalled journald).  The queue is made small here so a
 * few hundred lines fill it.  The first group forks a child per test
 * that starts its own queue (log_fatal() ends it); the second starts the
 * queue of this process once, and each test points fd 2 at its own pipe.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

/* The read buffer grows with realloc(), which cmocka does not track. */
#undef calloc
#undef free
#undef realloc

#define LOGQ_BYTES	(16 * 1024)
#include "../cmd/logq.c"

/* Smallest pipe buffer Linux gives: one page. */
#define SMALL_PIPE	4096

/* ThreadSanitizer sleeps a second in exit() (its atexit_sleep_ms). */
#if defined(__SANITIZE_THREAD__)
#define EXIT_SLACK_MS	1500
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EXIT_SLACK_MS	1500
#endif
#endif
#ifndef EXIT_SLACK_MS
#define EXIT_SLACK_MS	0
#endif

struct fx {
	int	 saved;		/* the real stderr */
	int	 rd;		/* read end of the pipe on fd 2 */
	char	*out;		/* what was read from it */
	size_t	 len;
	size_t	 cap;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t
count_str(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/*
 * Points fd 2 at a new pipe of pipesz bytes (0: the default), with the
 * read end non-blocking for drain().  The pipe is private to the test.
 */
static void
fx_pipe(struct fx *f, int pipesz)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	if (pipesz > 0)
		assert_true(fcntl(p[0], F_SETPIPE_SZ, pipesz) >= pipesz);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	fflush(stderr);
	assert_int_not_equal(f->saved = dup(STDERR_FILENO), -1);
	assert_int_not_equal(dup2(p[1], STDERR_FILENO), -1);
	close(p[1]);
	f->rd = p[0];
	f->len = 0;
}

/* Reads what the pipe holds now; returns the bytes read. */
static size_t
drain(struct fx *f)
{
	size_t before = f->len;
	ssize_t n;

	for (;;) {
		if (f->cap - f->len < 65536) {
			f->cap = f->cap * 2 + 65536;
			assert_non_null(f->out = realloc(f->out, f->cap + 1));
		}
		n = read(f->rd, f->out + f->len, f->cap - f->len);
		if (n <= 0)
			break;
		f->len += (size_t)n;
	}
	f->out[f->len] = '\0';
	return f->len - before;
}

/* Reads until the queue is written out and the pipe is empty. */
static void
drain_all(struct fx *f)
{
	uint64_t end = now_ms() + 5000;

	while (now_ms() < end) {
		drain(f);
		if (logq_flush(10) == 0 && drain(f) == 0)
			return;
	}
	fail_msg("the queue was not written out within 5 s");
}

/* Puts the real stderr back; assertions come after this. */
static void
fx_restore(struct fx *f)
{
	if (f->saved != -1) {
		fflush(stderr);
		dup2(f->saved, STDERR_FILENO);
		close(f->saved);
		f->saved = -1;
	}
}

static int
setup(void **state)
{
	struct fx *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	f->saved = -1;
	f->rd = -1;
	log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_LOGFMT, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	fx_restore(f);
	if (f->rd != -1)
		close(f->rd);
	free(f->out);
	free(f);
	return 0;
}

/* The second group's setup: this process's queue, once. */
static int
start_queue(void **state)
{
	(void)state;
	return logq_start() == 0 ? 0 : -1;
}

/*
 * Lines come out whole and in order, and flush waits for them: batches
 * of what the small queue holds, each flushed before the next.
 */
static void
test_order(void **state)
{
	struct fx *f = *state;
	char want[64];
	const char *p;
	int i, k[3];

	fx_pipe(f, 0);
	for (i = 0; i < 300; i++) {
		debug_f("line %d", i);
		if (i % 100 == 99)
			k[i / 100] = logq_flush(1000);
	}
	drain_all(f);
	fx_restore(f);
	for (i = 0; i < 3; i++)
		assert_int_equal(k[i], 0);
	p = f->out;
	for (i = 0; i < 300; i++) {
		snprintf(want, sizeof(want), " msg=\"line %d\"\n", i);
		assert_non_null(p = strstr(p, want));
		p += strlen(want);
	}
	assert_int_equal(count_str(f->out, "\n"), 300);
	assert_int_equal(count_str(f->out, "dropped"), 0);
	assert_int_equal(logq_flush(0), 0);
}

/*
 * A stderr nobody reads: logging never waits for it.  What does not fit
 * is dropped and counted, and once stderr takes lines again a line says
 * how many, where they went missing.  There may be more than one hole:
 * while the pipe still took lines, each one the writer took made room.
 */
static void
test_stalled(void **state)
{
	struct fx *f = *state;
	unsigned long before = logq_dropped_total(), dropped, n, seen = 0;
	unsigned long notes = 0, told = 0;
	const char *p, *q;
	uint64_t t0, took, waited;
	int i, k;

	fx_pipe(f, SMALL_PIPE);
	t0 = now_ms();
	for (i = 0; i < 2000; i++)
		debug_f("stalled %d padding the line to about a hundred "
		    "bytes", i);
	took = now_ms() - t0;
	dropped = logq_dropped_total() - before;
	/* Nothing is read yet: the flush gives up at its bound. */
	t0 = now_ms();
	k = logq_flush(200);
	waited = now_ms() - t0;
	drain_all(f);
	fx_restore(f);

	assert_true(took < 1000);
	assert_int_equal(k, ERR_TIMEOUT);
	assert_true(waited >= 200 && waited < 1000);
	/* 16 KiB of queue and a 4 KiB pipe hold a few hundred lines. */
	assert_true(dropped > 1500 && dropped < 2000);
	/*
	 * Line by line: each one is the next expected, or a note whose count
	 * is the jump to the next; together they account for all 2000.
	 */
	for (p = f->out; *p != '\0'; p = q + 1) {
		assert_non_null(q = strchr(p, '\n'));
		if (sscanf(p, "ts=%*s level=debug caller=test_stalled "
		    "msg=\"stalled %lu ", &n) == 1) {
			assert_int_equal(n, seen + told);
			seen++;
		} else {
			assert_int_equal(sscanf(p, "ts=%*s level=warn "
			    "caller=logq_writer msg=\"log lines dropped: %lu;",
			    &n), 1);
			assert_non_null(strstr(p, "; stderr did not take them "
			    "in time and the queue (16 KiB) was full\"\n"));
			assert_true(n > 0);
			told += n;
			notes++;
		}
	}
	assert_true(notes >= 1);
	assert_int_equal(told, dropped);
	assert_int_equal(seen + told, 2000);
}

/* Lines after a hole come after the notes that tell of it. */
static void
test_gap_then_more(void **state)
{
	struct fx *f = *state;
	unsigned long before = logq_dropped_total(), n, told = 0;
	const char *p, *after, *first;
	int i;

	fx_pipe(f, SMALL_PIPE);
	for (i = 0; logq_dropped_total() - before < 3; i++)
		debug_f("filling %d", i);
	drain_all(f);
	debug_f("after the hole");
	drain_all(f);
	fx_restore(f);
	assert_non_null(first = strstr(f->out, "msg=\"filling 0\""));
	assert_non_null(after = strstr(f->out, "msg=\"after the hole\""));
	for (p = f->out; (p = strstr(p, "msg=\"log lines dropped: ")) !=
	    NULL; p++) {
		assert_int_equal(sscanf(p, "msg=\"log lines dropped: %lu;",
		    &n), 1);
		assert_true(p > first && p < after);
		told += n;
	}
	assert_int_equal(told, 3);
	assert_int_equal(after[strlen("msg=\"after the hole\"")], '\n');
	assert_int_equal(after[strlen("msg=\"after the hole\"") + 1], '\0');
}

/* The writer thread takes no signal: SIGTERM is the main thread's. */
static void
test_signals_blocked(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGPIPE,
	    SIGUSR1, SIGALRM, SIGCHLD };
	char path[300], buf[4096], *p;
	unsigned long long blk = 0;
	struct dirent *de;
	DIR *d;
	FILE *fp;
	size_t i;
	ssize_t n;
	int fd, found = 0;

	(void)state;
	assert_non_null(d = opendir("/proc/self/task"));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
		    de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0 || strncmp(buf, "logq\n", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status",
		    de->d_name);
		assert_non_null(fp = fopen(path, "r"));
		while (fgets(buf, sizeof(buf), fp) != NULL)
			if (strncmp(buf, "SigBlk:", 7) == 0)
				blk = strtoull(buf + 7, &p, 16);
		fclose(fp);
		found++;
	}
	closedir(d);
	assert_int_equal(found, 1);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		assert_true(blk & (1ULL << (sigs[i] - 1)));
}

/* A child of ours has no writer thread: it writes its lines itself. */
static void
test_child_writes(void **state)
{
	struct fx *f = *state;
	pid_t pid;
	int st = 0;

	fx_pipe(f, 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		info_f("from the child");
		_exit(logq_flush(1000) == 0 ? 0 : 3);
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	drain_all(f);
	fx_restore(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(count_str(f->out, "msg=\"from the child\"\n"), 1);
}

/*
 * In a child with a queue of its own (this process has none in this
 * group): log_fatal()'s line gets out before the exit, even behind a
 * full queue.
 */
static void
test_fatal_flushed(void **state)
{
	struct fx *f = *state;
	pid_t pid;
	int st = 0, i;

	fx_pipe(f, 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (logq_start() != 0)
			_exit(3);
		for (i = 0; i < 2000; i++)
			debug_f("before %d", i);
		fatal_f("the end");
	}
	assert_int_not_equal(pid, -1);
	/* Reading as it goes: the queue drains and the line arrives. */
	while (waitpid(pid, &st, WNOHANG) == 0) {
		drain(f);
		usleep(1000);
	}
	drain(f);
	fx_restore(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_int_equal(count_str(f->out, " level=error caller=test_fatal_"
	    "flushed msg=\"the end\"\n"), 1);
	/* The last line of all. */
	assert_true(f->len > 12);
	assert_string_equal(f->out + f->len - 10, "\"the end\"\n");
}

/* exit() too waits for the queue: the lines of a clean exit are kept. */
static void
test_exit_flushed(void **state)
{
	struct fx *f = *state;
	pid_t pid;
	int st = 0, i;

	fx_pipe(f, 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (logq_start() != 0)
			_exit(3);
		for (i = 0; i < 100; i++)
			debug_f("line %d", i);
		exit(0);
	}
	assert_int_not_equal(pid, -1);
	while (waitpid(pid, &st, WNOHANG) == 0) {
		drain(f);
		usleep(1000);
	}
	drain(f);
	fx_restore(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(count_str(f->out, "\n"), 100);
	assert_true(f->len > 12);
	assert_string_equal(f->out + f->len - 10, "\"line 99\"\n");
}

/* With stderr stalled, log_fatal() waits a bounded time, then exits. */
static void
test_fatal_bounded(void **state)
{
	struct fx *f = *state;
	uint64_t t0, took;
	pid_t pid;
	int st = 0, i;

	fx_pipe(f, SMALL_PIPE);
	fflush(stdout);
	t0 = now_ms();
	if ((pid = fork()) == 0) {
		if (logq_start() != 0)
			_exit(3);
		for (i = 0; i < 2000; i++)
			debug_f("before %d", i);
		fatal_f("the end");
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	took = now_ms() - t0;
	fx_restore(f);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	/* One wait: log_fatal()'s, not another by exit(). */
	assert_true(took >= LOGQ_LAST_MS);
	assert_true(took < 2 * LOGQ_LAST_MS + EXIT_SLACK_MS);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest children[] = {
		T(test_fatal_flushed),
		T(test_fatal_bounded),
		T(test_exit_flushed),
	};
	const struct CMUnitTest queue[] = {
		T(test_order),
		T(test_stalled),
		T(test_gap_then_more),
		T(test_signals_blocked),
		T(test_child_writes),
	};
	int r;

	/* A write to a pipe whose reader is gone fails with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	r = cmocka_run_group_tests_name("logq, in children", children, NULL,
	    NULL);
	return r | cmocka_run_group_tests_name("logq", queue, start_queue,
	    NULL);
}
