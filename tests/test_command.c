/* SPDX-License-Identifier: Apache-2.0 */
/*
 * helpers/command.c: first the parts that need no process (the poll set,
 * its timeout, the set's bounds, cmd_explain()'s wording), then command
 * sets against /bin/sh one-liners.  The helper runtime is stood in for:
 * hrt_die() jumps back into the test that expects it.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

#include "../helpers/command.c"

/* Where hrt_die() returns to, and what it said. */
static jmp_buf died_at;
static int die_expected;
static char died_msg[512];

void
hrt_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(died_msg, sizeof(died_msg), fmt, ap);
	va_end(ap);
	if (!die_expected) {
		fprintf(stderr, "unexpected hrt_die: %s\n", died_msg);
		abort();
	}
	die_expected = 0;
	longjmp(died_at, 1);
}

void
hrt_quote(char *out, size_t outsz, const char *s, size_t n)
{
	if (outsz == 0)
		return;
	if (n > outsz - 1)
		n = outsz - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Lines one command handed to its callback. */
struct seen {
	char	 lines[8][64];
	int	 n;
	int	 toobig;	/* calls for an overlong line */
	int	 stop_at;	/* 1 + the line whose callback fails; 0: none */
};

/* The cmd_line_fn of the tests: records into a struct seen. */
static int
record_line(const char *line, size_t len, int status, void *arg)
{
	struct seen *s = arg;

	if (status != 0) {
		s->toobig++;
		return 0;
	}
	if (s->n < 8) {
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%.*s",
		    (int)len, line);
		s->n++;
	}
	return s->stop_at != 0 && s->n == s->stop_at ? ERR_NOMEM : 0;
}

struct fx {
	struct cmd_set	*set;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL || (fx->set = cmd_set_new()) == NULL)
		return -1;
	*state = fx;
	return 0;
}

/*
 * Kills and reaps what a test left running (after an hrt_die(), which
 * in a helper ends with the parent killing the group), then frees.
 */
static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct cmd_proc *cp;
	size_t i;

	for (i = 0; i < CMD_SET_MAX; i++) {
		cp = &fx->set->proc[i];
		if (cp->pid == -1)
			continue;
		if (cp->pid > 1) {
			(void)kill(cp->pid, SIGKILL);
			(void)waitpid(cp->pid, NULL, 0);
		}
		cmd_proc_cleanup(cp);
		fx->set->running--;
	}
	cmd_set_free(fx->set);
	free(fx);
	return 0;
}

/* Starts `sh -c script` in fx's set as id; asserts that it started. */
static void
start_sh(struct fx *fx, int id, const char *script, struct seen *seen)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	struct cmd_result res;

	assert_int_equal(cmd_set_start(fx->set, id, "/bin/sh", argv,
	    record_line, seen, &res), 0);
}

/* The poll set lists the open pipes of busy slots, and who lingers. */
static void
test_pollfds(void **state)
{
	struct fx *fx = *state;
	struct pollfd pfd[2 * CMD_SET_MAX];
	struct cmd_proc *owner[2 * CMD_SET_MAX];
	int *fd[2 * CMD_SET_MAX], linger = -1;
	struct cmd_set *s = fx->set;
	nfds_t n;

	assert_int_equal(cmd_set_pollfds(s, pfd, owner, fd, &linger), 0);
	assert_int_equal(linger, 0);
	/* Fake descriptors: nothing reads them, teardown closes none. */
	s->proc[1].pid = 1;
	s->proc[1].out[0] = 101;
	s->proc[1].err[0] = 102;
	s->proc[4].pid = 1;
	s->proc[4].err[0] = 402;
	n = cmd_set_pollfds(s, pfd, owner, fd, &linger);
	assert_int_equal(n, 3);
	assert_int_equal(linger, 0);
	assert_int_equal(pfd[0].fd, 101);
	assert_int_equal(pfd[1].fd, 102);
	assert_int_equal(pfd[2].fd, 402);
	assert_int_equal(pfd[2].events, POLLIN);
	assert_ptr_equal(owner[0], &s->proc[1]);
	assert_ptr_equal(owner[2], &s->proc[4]);
	assert_ptr_equal(fd[1], &s->proc[1].err[0]);
	assert_ptr_equal(fd[2], &s->proc[4].err[0]);
	/* Slot 6 closed its output: it is waited for, not polled. */
	s->proc[6].pid = 1;
	assert_int_equal(cmd_set_pollfds(s, pfd, owner, fd, &linger), 3);
	assert_int_equal(linger, 1);
	s->proc[1].pid = s->proc[4].pid = s->proc[6].pid = -1;
	s->proc[1].out[0] = s->proc[1].err[0] = s->proc[4].err[0] = -1;
}

/* A lingering command shortens the wait; the deadline still caps it. */
static void
test_poll_ms(void **state)
{
	(void)state;
	assert_int_equal(cmd_poll_ms(5000, 0), 5000);
	assert_int_equal(cmd_poll_ms(5000, 1), CMD_REAP_STEP_MS);
	assert_int_equal(cmd_poll_ms(1, 1), 1);
	assert_int_equal(cmd_poll_ms(0, 1), 0);
	assert_int_equal(cmd_poll_ms(0, 0), 0);
}

/* A full set, a negative id, an empty wait, a free with one running. */
static void
test_bounds(void **state)
{
	struct fx *fx = *state;
	char *argv[] = { "true", NULL };
	struct cmd_result res;
	size_t i;

	assert_int_equal(cmd_set_wait(fx->set, deadline_in(1), &res),
	    ERR_EOF);
	assert_int_equal(cmd_set_start(fx->set, -1, "/bin/true", argv,
	    record_line, NULL, &res), ERR_RANGE);
	for (i = 0; i < CMD_SET_MAX; i++)
		fx->set->proc[i].pid = 1;
	assert_int_equal(cmd_set_start(fx->set, 0, "/bin/true", argv,
	    record_line, NULL, &res), ERR_RANGE);
	for (i = 1; i < CMD_SET_MAX; i++)
		fx->set->proc[i].pid = -1;
	/* Freeing a set with a command in it gives the helper up. */
	die_expected = 1;
	if (setjmp(died_at) == 0) {
		cmd_set_free(fx->set);
		fail();
	}
	assert_non_null(strstr(died_msg, "still running when its set was "
	    "freed"));
	fx->set->proc[0].pid = -1;
	assert_int_equal(cmd_set_running(fx->set), 0);
}

/* What END says for each way a command can end. */
static void
test_explain(void **state)
{
	struct cmd_result res;
	char why[512];

	(void)state;
	memset(&res, 0, sizeof(res));
	res.exited = 1;
	snprintf(why, sizeof(why), "untouched");
	assert_int_equal(cmd_explain("getent passwd", 0, &res, 2, why,
	    sizeof(why)), 0);
	res.exit_code = 2;
	assert_int_equal(cmd_explain("getent passwd", 0, &res, 2, why,
	    sizeof(why)), 0);
	assert_string_equal(why, "untouched");
	snprintf(res.stderr_text, sizeof(res.stderr_text), "no such key");
	assert_int_equal(cmd_explain("squeue", 0, &res, -1, why,
	    sizeof(why)), ERR_UPSTREAM);
	assert_string_equal(why, "squeue exited with status 2: no such key");
	res.exited = 0;
	res.signal = SIGSEGV;
	assert_int_equal(cmd_explain("getent group", 0, &res, 2, why,
	    sizeof(why)), ERR_UPSTREAM);
	assert_string_equal(why, "getent group killed by signal 11");
	res.signal = SIGSYS;
	assert_int_equal(cmd_explain("getent group", 0, &res, 2, why,
	    sizeof(why)), ERR_UPSTREAM);
	assert_non_null(strstr(why, "a sandbox violation"));
	snprintf(res.stderr_text, sizeof(res.stderr_text), "/x: gone");
	assert_int_equal(cmd_explain("getent passwd", ERR_NOTFOUND, &res, 2,
	    why, sizeof(why)), ERR_NOTFOUND);
	assert_non_null(strstr(why, "getent passwd: "));
	assert_non_null(strstr(why, ": /x: gone"));
}

/*
 * Four commands at once, printing parts of lines between pauses: each
 * callback gets whole lines of its own command only, a last line without
 * newline included; each ends with its own status and stderr.
 */
static void
test_side_by_side(void **state)
{
	struct fx *fx = *state;
	struct seen seen[4];
	struct cmd_result res;
	unsigned int done = 0;
	int id, i;

	memset(seen, 0, sizeof(seen));
	start_sh(fx, 0, "printf a1-; sleep 0.05; printf 'tail\\na2\\n'; "
	    "sleep 0.1; printf a3", &seen[0]);
	start_sh(fx, 1, "sleep 0.02; printf b1-; sleep 0.06; printf "
	    "'tail\\n'; echo oops >&2; exit 2", &seen[1]);
	start_sh(fx, 2, "printf 'c1\\nc2-'; sleep 0.08; printf 'tail\\n'; "
	    "exit 1", &seen[2]);
	start_sh(fx, 3, "sleep 0.03; kill -9 $$", &seen[3]);
	assert_int_equal(cmd_set_running(fx->set), 4);
	for (i = 0; i < 4; i++) {
		id = cmd_set_wait(fx->set, deadline_in(10), &res);
		if (id < 0 || id >= 4 || (done & (1U << id)) != 0)
			fail_msg("cmd_set_wait() returned %d", id);
		done |= 1U << id;
		switch (id) {
		case 0:
			assert_true(res.exited && res.exit_code == 0);
			break;
		case 1:
			assert_true(res.exited && res.exit_code == 2);
			assert_string_equal(res.stderr_text, "oops");
			break;
		case 2:
			assert_true(res.exited && res.exit_code == 1);
			break;
		default:
			assert_true(!res.exited && res.signal == SIGKILL);
		}
	}
	assert_int_equal(cmd_set_wait(fx->set, deadline_in(1), &res),
	    ERR_EOF);
	assert_int_equal(seen[0].n, 3);
	assert_string_equal(seen[0].lines[0], "a1-tail");
	assert_string_equal(seen[0].lines[1], "a2");
	assert_string_equal(seen[0].lines[2], "a3");
	assert_int_equal(seen[1].n, 1);
	assert_string_equal(seen[1].lines[0], "b1-tail");
	assert_int_equal(seen[2].n, 2);
	assert_string_equal(seen[2].lines[0], "c1");
	assert_string_equal(seen[2].lines[1], "c2-tail");
	assert_int_equal(seen[3].n, 0);
	/* The slots are free again: the set takes new commands. */
	start_sh(fx, 9, "echo again", &seen[3]);
	assert_int_equal(cmd_set_wait(fx->set, deadline_in(10), &res), 9);
	assert_string_equal(seen[3].lines[0], "again");
}

/* cmd_run() is a set of one. */
static void
test_run(void **state)
{
	char *argv[] = { "sh", "-c", "echo one; echo two >&2; exit 3", NULL };
	struct cmd_result res;
	struct seen seen;

	(void)state;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(cmd_run("/bin/sh", argv, deadline_in(10),
	    record_line, &seen, &res), 0);
	assert_true(res.exited && res.exit_code == 3);
	assert_string_equal(res.stderr_text, "two");
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.lines[0], "one");
	assert_int_equal(cmd_run("/nonexistent/getent", argv, deadline_in(10),
	    record_line, &seen, &res), ERR_NOTFOUND);
	assert_non_null(strstr(res.stderr_text, "/nonexistent/getent"));
}

/* A file in a directory anyone may write to never starts. */
static void
test_unsafe_start(void **state)
{
	struct fx *fx = *state;
	char dir[] = "/tmp/test_command.XXXXXX", path[64];
	char *argv[] = { "x", NULL };
	struct cmd_result res;
	int fd;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0777), 0);
	snprintf(path, sizeof(path), "%s/getent", dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT, 0755)) != -1);
	close(fd);
	assert_int_equal(cmd_set_start(fx->set, 0, path, argv, record_line,
	    NULL, &res), ERR_UNSAFE);
	assert_non_null(strstr(res.stderr_text, "writable by others"));
	assert_int_equal(cmd_set_running(fx->set), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(cmd_set_start(fx->set, 0, path, argv, record_line,
	    NULL, &res), ERR_NOTFOUND);
	assert_int_equal(cmd_set_running(fx->set), 0);
	assert_int_equal(rmdir(dir), 0);
}

/*
 * Expects cmd_set_wait() on fx, called until it gives the helper up, to
 * do so within ms with a message containing want.
 */
static void
wait_dies(struct fx *fx, uint32_t ms, const char *want)
{
	struct deadline deadline = deadline_in_ms(ms);
	struct cmd_result res;

	die_expected = 1;
	if (setjmp(died_at) == 0) {
		while (cmd_set_wait(fx->set, deadline, &res) >= 0)
			;
		fail_msg("every command ended; want \"%s\"", want);
	}
	if (strstr(died_msg, want) == NULL)
		fail_msg("hrt_die(\"%s\"), want \"%s\"", died_msg, want);
}

/* The deadline, with one command still printing and one lingering. */
static void
test_deadline(void **state)
{
	struct fx *fx = *state;
	struct seen seen[2];

	memset(seen, 0, sizeof(seen));
	start_sh(fx, 0, "echo fast", &seen[0]);
	start_sh(fx, 1, "exec sleep 30", &seen[1]);
	wait_dies(fx, 200, "deadline passed");
	assert_string_equal(seen[0].lines[0], "fast");
}

/* A command that closes its output but goes on is not waited for long. */
static void
test_deadline_lingering(void **state)
{
	struct fx *fx = *state;
	struct seen seen;

	memset(&seen, 0, sizeof(seen));
	start_sh(fx, 0, "exec >&- 2>&-; exec sleep 30", &seen);
	wait_dies(fx, 200, "still running after closing its output");
}

/* Output past MAX_CMD_OUTPUT, and a callback's error, end the helper. */
static void
test_output_cap_and_callback(void **state)
{
	struct fx *fx = *state;
	struct seen seen[2];

	memset(seen, 0, sizeof(seen));
	start_sh(fx, 0, "exec head -c 70000000 /dev/zero", &seen[0]);
	wait_dies(fx, 30000, err_str(ERR_TOOBIG));
	assert_true(seen[0].toobig > 0);
	(void)teardown(state);
	assert_int_equal(setup(state), 0);
	fx = *state;
	seen[1].stop_at = 2;
	start_sh(fx, 1, "echo one; echo two; echo three", &seen[1]);
	wait_dies(fx, 10000, err_str(ERR_NOMEM));
	assert_int_equal(seen[1].n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pollfds, setup, teardown),
		cmocka_unit_test(test_poll_ms),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test(test_explain),
		cmocka_unit_test_setup_teardown(test_side_by_side, setup,
		    teardown),
		cmocka_unit_test(test_run),
		cmocka_unit_test_setup_teardown(test_unsafe_start, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_deadline_lingering, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_output_cap_and_callback,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
