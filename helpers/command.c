/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "buf.h"
#include "err.h"
#include "caps.h"
#include "lines.h"
#include "log.h"
#include "runtime.h"

/* SLURM_CONF=<path> as inherited at start-up, or empty. */
static char cmd_slurm_conf[4096 + 16];
static char *cmd_envp[4];

char *const *
cmd_env(void)
{
	const char *conf;
	size_t i = 0;

	if (cmd_envp[0] != NULL)
		return cmd_envp;
	cmd_envp[i++] = "PATH=/usr/bin:/bin";
	cmd_envp[i++] = "LC_ALL=C";
	conf = getenv("SLURM_CONF");
	if (conf != NULL && *conf == '/' && (size_t)snprintf(cmd_slurm_conf,
	    sizeof(cmd_slurm_conf), "SLURM_CONF=%s", conf) <
	    sizeof(cmd_slurm_conf))
		cmd_envp[i++] = cmd_slurm_conf;
	cmd_envp[i] = NULL;
	return cmd_envp;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void
cmd_child(const char *path, char *const argv[], int outfd, int errfd)
{
	int devnull;

	/*
	 * The command stays in the helper's process group, so that the
	 * spawner's kill of the group takes it and all it started; helpers
	 * themselves may not signal anything.  If the helper dies, the
	 * command goes with it.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if ((devnull = open("/dev/null", O_RDONLY)) == -1 ||
	    dup2(devnull, STDIN_FILENO) == -1 ||
	    dup2(outfd, STDOUT_FILENO) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
		_exit(126);
	/* stdin/stdout/stderr only; every pipe end above was O_CLOEXEC. */
	signal(SIGPIPE, SIG_DFL);
	execve(path, argv, cmd_env());
	_exit(127);
}

/*
 * A command past its deadline, or whose output we refuse, cannot be killed
 * from here (the filter forbids signals).  Exiting makes the parent kill
 * our whole process group through the spawner and start a fresh helper.
 */
static void
cmd_abandon(const char *path, const char *why)
{
	error_f("%s: %s; giving up the helper", path, why);
	_exit(1);
}

static int
cmd_deliver(struct lines *ln, cmd_line_fn *fn, void *arg)
{
	const char *line;
	size_t len;
	int r;

	for (;;) {
		r = lines_next(ln, &line, &len);
		if (r == 0)
			return 0;
		if (r == 1)
			r = fn(line, len, 0, arg);
		else
			r = fn(NULL, 0, r, arg);
		if (r != 0)
			return r;
	}
}

int
cmd_run(const char *path, char *const argv[], struct deadline deadline,
    cmd_line_fn *fn, void *arg, struct cmd_result *res)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct pollfd pfd[2];
	struct buf errtext;
	struct lines ln;
	size_t total = 0, keep;
	pid_t pid = -1;
	int ret = ERR_SYSTEM, wstatus = 0, r, nfds, timeout;
	char chunk[16384];
	ssize_t n;

	memset(res, 0, sizeof(*res));
	lines_init(&ln, MAX_LINE);
	buf_init(&errtext, MAX_CMD_STDERR);
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		snprintf(res->stderr_text, sizeof(res->stderr_text),
		    "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		snprintf(res->stderr_text, sizeof(res->stderr_text),
		    "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		cmd_child(path, argv, outp[1], errp[1]);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;

	ret = 0;
	while (outp[0] != -1 || errp[0] != -1) {
		if (deadline_passed(deadline))
			cmd_abandon(path, "deadline passed");
		timeout = deadline_poll_ms(deadline);
		nfds = 0;
		if (outp[0] != -1) {
			pfd[nfds].fd = outp[0];
			pfd[nfds++].events = POLLIN;
		}
		if (errp[0] != -1) {
			pfd[nfds].fd = errp[0];
			pfd[nfds++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfds, timeout) == -1) {
			/* SIGCHLD and friends may interrupt the wait. */
			if (errno == EINTR)
				continue;
			ret = ERR_SYSTEM;
			break;
		}
		for (r = 0; r < nfds; r++) {
			if ((pfd[r].revents & (POLLIN | POLLHUP | POLLERR)) ==
			    0)
				continue;
			n = read(pfd[r].fd, chunk, sizeof(chunk));
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close(pfd[r].fd);
				if (pfd[r].fd == outp[0])
					outp[0] = -1;
				else
					errp[0] = -1;
				continue;
			}
			if (pfd[r].fd == errp[0]) {
				/* Keep the first bytes; drop the rest. */
				keep = MAX_CMD_STDERR - buf_len(&errtext);
				if ((size_t)n < keep)
					keep = (size_t)n;
				/* Best effort: short of memory, say nothing. */
				if (buf_append(&errtext, chunk, keep) != 0)
					buf_reset(&errtext);
				continue;
			}
			total += (size_t)n;
			if (total > MAX_CMD_OUTPUT) {
				ret = ERR_TOOBIG;
				goto stop;
			}
			if ((ret = lines_feed(&ln, chunk, (size_t)n)) != 0 ||
			    (ret = cmd_deliver(&ln, fn, arg)) != 0)
				goto stop;
		}
	}
 stop:
	if (ret == 0) {
		lines_finish(&ln);
		ret = cmd_deliver(&ln, fn, arg);
	}
	if (ret != 0) {
		cmd_abandon(path, err_str(ret));
	} else {
		/* Output closed; the command may still linger: same deadline. */
		for (;;) {
			r = waitpid(pid, &wstatus, WNOHANG);
			if (r == pid)
				break;
			if (r == -1 && errno != EINTR)
				break;
			if (deadline_passed(deadline))
				cmd_abandon(path, "still running after closing "
				    "its output");
			usleep(2000);
		}
	}
	pid = -1;
	if (WIFEXITED(wstatus)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus))
		res->signal = WTERMSIG(wstatus);
	/* The message reads better without its final newline. */
	n = (ssize_t)buf_len(&errtext);
	while (n > 0 && (buf_ptr(&errtext)[n - 1] == '\n' ||
	    buf_ptr(&errtext)[n - 1] == '\r' || buf_ptr(&errtext)[n - 1] == ' '))
		n--;
	hrt_quote(res->stderr_text, sizeof(res->stderr_text),
	    buf_ptr(&errtext), (size_t)n);
 out:
	if (outp[0] != -1)
		close(outp[0]);
	if (outp[1] != -1)
		close(outp[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	lines_cleanup(&ln);
	buf_cleanup(&errtext);
	return ret;
}
