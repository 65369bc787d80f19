/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The spawner against real processes: helpers are /bin/sh one-liners run
 * through fexecve(), as the exporter runs its helpers.  This process is a
 * child subreaper, so anything the spawner fails to clean up ends up as
 * our child, where each test's teardown finds it (and kills it).
 */
#include <sys/prctl.h>
#include <sys/stat.h>
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
#include <unistd.h>
#include <cmocka.h>

#include "../cmd/spawner.c"
#include "../cmd/threads.c"
#include "flags.h"

enum {
	H_SLEEP = 0,	/* runs until killed */
	H_EXIT3,	/* exits 3 at once */
	H_STRAY,	/* leaves a process in another session behind */
	H_MISSING,	/* no binary */
	H_NOEXEC,	/* a binary exec refuses */
	H_COUNT
};

static char *argv_sleep[] = { "sh", "-c", "exec sleep 30", NULL };
static char *argv_exit3[] = { "sh", "-c", "exit 3", NULL };
/* Prints the stray's pid on its stdout, the pipe the test reads. */
static char *argv_stray[] = { "sh", "-c",
	"setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $!; exec sleep 30",
	NULL };
static char *argv_none[] = { "none", NULL };
static char *envp[] = { "PATH=/usr/bin:/bin", NULL };

static struct spawn_helper specs[H_COUNT];

/*
 * Slack for a call that must give up at its deadline: scheduling only in
 * a plain run, more under valgrind (SPAWNER_TEST_SLACK_MS overrides).
 */
static int slack_ms = 100;

struct fx {
	struct spawner	*sp;
	pid_t		 sp_pid;
};

/* State letter of pid from /proc/PID/stat, 0 if there is no such pid. */
static char
proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((rp = strrchr(buf, ')')) == NULL || rp[1] == '\0')
		return 0;
	return rp[2];
}

static pid_t
proc_ppid(pid_t pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((rp = strrchr(buf, ')')) == NULL || strlen(rp) < 4)
		return -1;
	return (pid_t)strtol(rp + 3, NULL, 10);
}

/* Waits up to ms for pid's state to become want. */
static int
wait_state(pid_t pid, char want, int ms)
{
	int i;

	for (i = 0; i < ms; i++) {
		if (proc_state(pid) == want)
			return 1;
		usleep(1000);
	}
	return proc_state(pid) == want;
}

/* Waits up to 2 s for pid to lead its own session (setsid has run). */
static int
wait_session(pid_t pid)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (getsid(pid) == pid)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* Running or sleeping: neither ended nor reaped. */
static int
alive(pid_t pid)
{
	char c = proc_state(pid);

	return c != 0 && c != 'Z' && c != 'X';
}

/* The children of pid, as the kernel lists them ("1 2 "). */
static void
children_of(pid_t pid, char *buf, size_t bufsz)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
	    (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf, bufsz - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

static int
count_fds(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	assert_non_null(d = opendir("/proc/self/fd"));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static uint64_t
ms_since(uint64_t t0)
{
	return (deadline_now_us() - t0) / 1000;
}

/*
 * The stderr of the last helper started: checked to be a pipe, and closed
 * (the helpers here write nothing to it).
 */
static int log_fd = -1;

static void
close_fds(int *to_fd, int *from_fd)
{
	struct stat st;

	if (*to_fd != -1)
		close(*to_fd);
	if (*from_fd != -1)
		close(*from_fd);
	*to_fd = *from_fd = -1;
	if (log_fd != -1) {
		assert_int_equal(fstat(log_fd, &st), 0);
		assert_true(S_ISFIFO(st.st_mode));
		close(log_fd);
		log_fd = -1;
	}
}

static int
setup(void **state)
{
	struct fx *fx;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	if ((fx->sp = spawn_start(specs, H_COUNT, SANDBOX_OFF)) == NULL) {
		free(fx);
		return -1;
	}
	fx->sp_pid = fx->sp->pid;
	*state = fx;
	return 0;
}

/*
 * Every process the spawner lost would have been reparented to us: kills
 * and reaps what is there, and returns how many there were.
 */
static int
kill_leftovers(void)
{
	char list[4096], *p, *end;
	long v;
	int left = 0;

	children_of(getpid(), list, sizeof(list));
	for (p = list;; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		fprintf(stderr, "left behind: pid %ld\n", v);
		left++;
		kill((pid_t)v, SIGKILL);
		waitpid((pid_t)v, NULL, 0);
	}
	return left;
}

/* Stops the spawner; anything left behind fails the test. */
static int
teardown(void **state)
{
	struct fx *fx = *state;

	spawn_stop(fx->sp, 2000);
	free(fx);
	return kill_leftovers() == 0 ? 0 : -1;
}

static void
test_start_kill(void **state)
{
	struct fx *fx = *state;
	char err[128], c;
	int to_fd, from_fd, wstatus;
	pid_t pid;

	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	assert_true(pid > 0);
	assert_true(to_fd > 2 && from_fd > 2);
	assert_true((fcntl(to_fd, F_GETFD) & FD_CLOEXEC) != 0);
	assert_true((fcntl(from_fd, F_GETFD) & FD_CLOEXEC) != 0);
	assert_int_equal(proc_ppid(pid), fx->sp_pid);
	/* Its own session, so its own process group. */
	assert_int_equal(getpgid(pid), pid);

	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, pid, deadline_in(5),
	    &wstatus), 0);
	assert_true(WIFSIGNALED(wstatus));
	assert_int_equal(WTERMSIG(wstatus), SIGKILL);
	/* Reaped: the pid is free again. */
	assert_int_equal(proc_state(pid), 0);
	assert_int_equal(read(from_fd, &c, 1), 0);
	close_fds(&to_fd, &from_fd);

	/* Killed already: there is nothing to kill. */
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, pid, deadline_in(5),
	    &wstatus), ERR_NOTFOUND);
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, -1, deadline_in(5),
	    &wstatus), ERR_NOTFOUND);
	assert_int_equal(spawn_kill(fx->sp, H_COUNT, -1, deadline_in(5),
	    &wstatus), ERR_INVAL);
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, 0, deadline_in(5),
	    &wstatus), ERR_INVAL);

	/* -1 kills whichever instance is held. */
	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, -1, deadline_in(5),
	    &wstatus), 0);
	assert_true(WIFSIGNALED(wstatus));
	assert_int_equal(proc_state(pid), 0);
	close_fds(&to_fd, &from_fd);
}

static void
test_start_failures(void **state)
{
	struct fx *fx = *state;
	char err[128], list[256];
	int to_fd, from_fd, wstatus, id;
	pid_t pid;

	assert_int_equal(spawn_helper(fx->sp, H_MISSING, deadline_in(5),
	    &pid, &to_fd, &from_fd, &log_fd, err, sizeof(err)), ERR_SYSTEM);
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_int_equal(pid, -1);
	assert_int_equal(to_fd, -1);
	assert_int_equal(from_fd, -1);

	/* exec fails in the child: reported here, the child reaped. */
	assert_int_equal(spawn_helper(fx->sp, H_NOEXEC, deadline_in(5),
	    &pid, &to_fd, &from_fd, &log_fd, err, sizeof(err)), ERR_SYSTEM);
	assert_non_null(strstr(err, strerror(EACCES)));
	assert_int_equal(pid, -1);
	assert_int_equal(to_fd, -1);
	children_of(fx->sp_pid, list, sizeof(list));
	assert_string_equal(list, "");
	assert_int_equal(spawn_kill(fx->sp, H_NOEXEC, -1, deadline_in(5),
	    &wstatus), ERR_NOTFOUND);

	assert_int_equal(spawn_helper(fx->sp, -1, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, NULL, 0), ERR_INVAL);
	assert_int_equal(spawn_helper(fx->sp, H_COUNT, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, NULL, 0), ERR_INVAL);
	assert_int_equal(spawn_event(fx->sp, &id, &pid), 0);
}

static void
test_exit_event(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd;
	char err[128];
	int to_fd, from_fd, wstatus, id;
	pid_t pid, epid;

	assert_int_equal(spawn_helper(fx->sp, H_EXIT3, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	pfd.fd = spawn_event_fd(fx->sp);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 3000), 1);
	assert_int_equal(spawn_event(fx->sp, &id, &epid), 1);
	assert_int_equal(id, H_EXIT3);
	assert_int_equal(epid, pid);
	assert_int_equal(spawn_event(fx->sp, &id, &epid), 0);
	assert_int_equal(id, -1);

	/*
	 * Kept unreaped, through the spawner's sweeps for strays (one runs
	 * at every wakeup), and reported once only.
	 */
	assert_int_equal(proc_state(pid), 'Z');
	assert_int_equal(poll(&pfd, 1, 300), 0);
	assert_int_equal(proc_state(pid), 'Z');
	assert_int_equal(proc_ppid(pid), fx->sp_pid);

	assert_int_equal(spawn_kill(fx->sp, H_EXIT3, pid, deadline_in(5),
	    &wstatus), 0);
	assert_true(WIFEXITED(wstatus));
	assert_int_equal(WEXITSTATUS(wstatus), 3);
	assert_int_equal(proc_state(pid), 0);
	assert_int_equal(spawn_event(fx->sp, &id, &epid), 0);
	close_fds(&to_fd, &from_fd);
}

static void
test_stale_pid(void **state)
{
	struct fx *fx = *state;
	char err[128], list[256], want[64];
	int to_fd, from_fd, to2, from2, wstatus, id;
	pid_t p1, p2, other, epid;

	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &p1,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);

	/* A pid that is not the helper's: it must not be signalled. */
	if ((other = fork()) == 0) {
		pause();
		_exit(0);
	}
	assert_true(other > 0);
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, other, deadline_in(5),
	    &wstatus), ERR_NOTFOUND);
	assert_int_equal(wstatus, 0);
	usleep(20000);
	assert_int_equal(waitpid(other, NULL, WNOHANG), 0);
	assert_true(alive(p1));

	/* Restarted: the old pid names nothing the spawner holds. */
	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &p2,
	    &to2, &from2, &log_fd, err, sizeof(err)), 0);
	assert_true(p2 != p1);
	assert_int_equal(proc_state(p1), 0);
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, p1, deadline_in(5),
	    &wstatus), ERR_NOTFOUND);
	assert_true(alive(p2));
	snprintf(want, sizeof(want), "%d ", (int)p2);
	children_of(fx->sp_pid, list, sizeof(list));
	assert_string_equal(list, want);
	/* Killed on request, so not "ended on its own": no event. */
	assert_int_equal(spawn_event(fx->sp, &id, &epid), 0);

	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, p2, deadline_in(5),
	    &wstatus), 0);
	assert_true(WIFSIGNALED(wstatus));

	kill(other, SIGKILL);
	assert_int_equal(waitpid(other, &wstatus, 0), other);
	assert_true(WIFSIGNALED(wstatus));
	close_fds(&to_fd, &from_fd);
	close_fds(&to2, &from2);
}

struct call {
	struct spawner	*sp;
	pid_t		 pid;
	int		 ms;
	int		 ret;
	uint64_t	 took_ms;
};

static void *
kill_thread(void *arg)
{
	struct call *c = arg;
	uint64_t t0 = deadline_now_us();
	int wstatus;

	c->ret = spawn_kill(c->sp, H_SLEEP, c->pid, deadline_in_ms(
	    (uint32_t)c->ms), &wstatus);
	c->took_ms = ms_since(t0);
	return NULL;
}

static void
test_timeout_stopped(void **state)
{
	struct fx *fx = *state;
	char err[128], list[256], want[64];
	int to_fd, from_fd, wstatus, base, id;
	struct call c;
	pthread_t t;
	uint32_t seq;
	uint64_t t0, took;
	pid_t p1, p3, epid;

	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &p1,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	close_fds(&to_fd, &from_fd);
	base = count_fds();

	assert_int_equal(kill(fx->sp_pid, SIGSTOP), 0);
	assert_true(wait_state(fx->sp_pid, 'T', 2000));

	t0 = deadline_now_us();
	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in_ms(150),
	    &p3, &to_fd, &from_fd, &log_fd, err, sizeof(err)), ERR_TIMEOUT);
	took = ms_since(t0);
	assert_true(took >= 149 && took <= 150 + (uint64_t)slack_ms);
	assert_int_equal(p3, -1);
	assert_int_equal(to_fd, -1);
	assert_int_equal(from_fd, -1);

	t0 = deadline_now_us();
	wstatus = 1;
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, p1, deadline_in_ms(150),
	    &wstatus), ERR_TIMEOUT);
	took = ms_since(t0);
	assert_true(took >= 149 && took <= 150 + (uint64_t)slack_ms);
	assert_int_equal(wstatus, 0);

	/* Waiting for the lock counts against the deadline too. */
	assert_int_equal(pthread_mutex_lock(&fx->sp->lock), 0);
	seq = fx->sp->seq;
	memset(&c, 0, sizeof(c));
	c.sp = fx->sp;
	c.pid = p1;
	c.ms = 100;
	assert_int_equal(pthread_create(&t, NULL, kill_thread, &c), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.ret, ERR_TIMEOUT);
	assert_true(c.took_ms >= 99 && c.took_ms <= 100 + (uint64_t)slack_ms);
	/* Nothing was sent. */
	assert_int_equal(fx->sp->seq, seq);
	assert_int_equal(pthread_mutex_unlock(&fx->sp->lock), 0);
	assert_int_equal(count_fds(), base);

	/*
	 * Resumed, the spawner answers the two calls that gave up (one
	 * START, with three descriptors) before this one: both replies must
	 * be dropped, their descriptors closed.
	 */
	assert_int_equal(kill(fx->sp_pid, SIGCONT), 0);
	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &p3,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	assert_int_equal(count_fds(), base + SPAWN_FDS);
	/* p1 and the instance of the late START: killed and reaped. */
	assert_int_equal(proc_state(p1), 0);
	snprintf(want, sizeof(want), "%d ", (int)p3);
	children_of(fx->sp_pid, list, sizeof(list));
	assert_string_equal(list, want);
	assert_int_equal(spawn_event(fx->sp, &id, &epid), 0);

	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, p3, deadline_in(5),
	    &wstatus), 0);
	assert_true(WIFSIGNALED(wstatus));
	close_fds(&to_fd, &from_fd);
	assert_int_equal(count_fds(), base);
}

/* Reads the stray's pid, which the H_STRAY helper prints first. */
static pid_t
read_stray(int fd)
{
	struct pollfd pfd;
	char buf[32];
	size_t len = 0;
	ssize_t n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len < sizeof(buf) - 1 && memchr(buf, '\n', len) == NULL) {
		assert_int_equal(poll(&pfd, 1, 3000), 1);
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		assert_true(n > 0);
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (pid_t)strtol(buf, NULL, 10);
}

static void
test_kill_takes_strays(void **state)
{
	struct fx *fx = *state;
	char err[128];
	int to_fd, from_fd, wstatus;
	pid_t pid, stray;

	assert_int_equal(spawn_helper(fx->sp, H_STRAY, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	stray = read_stray(from_fd);
	assert_true(stray > 0);
	/* Out of the helper's process group: a group kill misses it. */
	assert_true(wait_session(stray));
	assert_int_equal(proc_ppid(stray), pid);

	assert_int_equal(spawn_kill(fx->sp, H_STRAY, pid, deadline_in(5),
	    &wstatus), 0);
	assert_true(WIFSIGNALED(wstatus));
	assert_int_equal(proc_state(pid), 0);
	assert_int_equal(proc_state(stray), 0);
	close_fds(&to_fd, &from_fd);
}

/*
 * Live, ended and stray-leaving helpers: spawn_stop ends them all.  No
 * fixture: cmocka's block tracking wants what setup allocated freed only
 * after the test.
 */
static void
test_stop_leaves_nothing(void **state)
{
	struct spawner *sp;
	struct pollfd pfd;
	char err[128];
	int to[3], from[3], i, id;
	pid_t pid[3], stray, epid, sp_pid;

	(void)state;
	assert_non_null(sp = spawn_start(specs, H_COUNT, SANDBOX_OFF));
	sp_pid = sp->pid;

	assert_int_equal(spawn_helper(sp, H_SLEEP, deadline_in(5),
	    &pid[0], &to[0], &from[0], &log_fd, err, sizeof(err)), 0);
	assert_int_equal(spawn_helper(sp, H_EXIT3, deadline_in(5),
	    &pid[1], &to[1], &from[1], &log_fd, err, sizeof(err)), 0);
	assert_int_equal(spawn_helper(sp, H_STRAY, deadline_in(5),
	    &pid[2], &to[2], &from[2], &log_fd, err, sizeof(err)), 0);
	stray = read_stray(from[2]);
	assert_true(wait_session(stray));
	pfd.fd = spawn_event_fd(sp);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 3000), 1);
	assert_int_equal(spawn_event(sp, &id, &epid), 1);
	assert_int_equal(epid, pid[1]);
	assert_int_equal(proc_state(pid[1]), 'Z');

	spawn_stop(sp, 2000);
	/* The spawner was reaped by spawn_stop, everything else by it. */
	assert_int_equal(proc_state(sp_pid), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(proc_state(pid[i]), 0);
		close_fds(&to[i], &from[i]);
	}
	assert_int_equal(proc_state(stray), 0);
	assert_int_equal(kill_leftovers(), 0);
}

static void
test_spawner_killed(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd;
	char err[128];
	int to_fd, from_fd, wstatus, id, i;
	pid_t pid, epid;

	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), 0);
	close_fds(&to_fd, &from_fd);
	assert_int_equal(kill(fx->sp_pid, SIGKILL), 0);

	pfd.fd = spawn_event_fd(fx->sp);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 3000), 1);
	assert_int_equal(spawn_event(fx->sp, &id, &epid), ERR_EOF);
	assert_int_equal(spawn_helper(fx->sp, H_SLEEP, deadline_in(5), &pid,
	    &to_fd, &from_fd, &log_fd, err, sizeof(err)), ERR_EOF);
	assert_int_equal(to_fd, -1);
	assert_int_equal(spawn_kill(fx->sp, H_SLEEP, -1, deadline_in(5),
	    &wstatus), ERR_EOF);

	/*
	 * PR_SET_PDEATHSIG killed the helper, and as subreapers we inherit
	 * it: reap it here, so that teardown finds nothing left.
	 */
	for (i = 0; i < 3000; i++) {
		if (waitpid(pid, &wstatus, WNOHANG) == pid)
			break;
		usleep(1000);
	}
	assert_true(i < 3000);
	assert_true(WIFSIGNALED(wstatus));
	assert_int_equal(WTERMSIG(wstatus), SIGKILL);
}

/* A list cut short by its buffer never yields part of a pid. */
static void
test_children_whole_pids(void **state)
{
	char full[256], list[256], *p, *end;
	pid_t kids[3];
	size_t sz;
	long v;
	int i, found;

	(void)state;
	for (i = 0; i < 3; i++) {
		if ((kids[i] = fork()) == 0) {
			pause();
			_exit(0);
		}
		assert_true(kids[i] > 0);
	}
	assert_true(sp_children(full, sizeof(full)) > 0);
	for (sz = 1; sz <= strlen(full) + 1; sz++) {
		(void)sp_children(list, sz);
		for (p = list;; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			for (found = 0, i = 0; i < 3; i++)
				if (v == (long)kids[i])
					found = 1;
			assert_true(found);
		}
	}
	for (i = 0; i < 3; i++) {
		kill(kids[i], SIGKILL);
		assert_int_equal(waitpid(kids[i], NULL, 0), kids[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_kill, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_start_failures, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exit_event, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_pid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_stopped, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_kill_takes_strays, setup,
		    teardown),
		cmocka_unit_test(test_stop_leaves_nothing),
		cmocka_unit_test_setup_teardown(test_spawner_killed, setup,
		    teardown),
		cmocka_unit_test(test_children_whole_pids),
	};
	const char *s;
	int sh, null, r;

	if ((s = getenv("SPAWNER_TEST_SLACK_MS")) != NULL)
		slack_ms = (int)strtol(s, NULL, 10);
	else if ((s = getenv("LD_PRELOAD")) != NULL &&
	    strstr(s, "vgpreload") != NULL)
		slack_ms = 1000;
	/* Whatever the spawner loses becomes ours, for teardown to find. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1 ||
	    (sh = open("/bin/sh", O_PATH | O_CLOEXEC)) == -1 ||
	    (null = open("/dev/null", O_PATH | O_CLOEXEC)) == -1) {
		perror("test_spawner setup");
		return 1;
	}
	specs[H_SLEEP] = (struct spawn_helper){ sh, argv_sleep, envp };
	specs[H_EXIT3] = (struct spawn_helper){ sh, argv_exit3, envp };
	specs[H_STRAY] = (struct spawn_helper){ sh, argv_stray, envp };
	specs[H_MISSING] = (struct spawn_helper){ -1, argv_none, envp };
	specs[H_NOEXEC] = (struct spawn_helper){ null, argv_none, envp };
	r = cmocka_run_group_tests(tests, NULL, NULL);
	close(sh);
	close(null);
	return r;
}
