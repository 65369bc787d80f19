/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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

static void	cmd_why(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* One line of why a command may not run. */
static void
cmd_why(char *why, size_t whysz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
}

/*
 * Whether st, of what, may hold a command we run, as OpenSSH's
 * safe_path() judges: owned by root or by us, and writable by nobody
 * else, but for a root-owned sticky directory (/tmp), where no one else
 * can replace our entries.  0, or -1 with why.
 */
static int
cmd_safe_stat(const struct stat *st, const char *what, int dir, char *why,
    size_t whysz)
{
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		cmd_why(why, whysz, "%s is owned by uid %u, neither root nor "
		    "the exporter's user", what, (unsigned int)st->st_uid);
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	if (dir && (st->st_mode & S_ISVTX) != 0 && st->st_uid == 0)
		return 0;
	cmd_why(why, whysz, "%s is writable by %s", what,
	    (st->st_mode & S_IWOTH) != 0 ? "others" : "its group");
	return -1;
}

/* Every directory above path (absolute), up to /.  0, or -1 with why. */
static int
cmd_safe_dirs(const char *path, char *why, size_t whysz)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir)) {
		cmd_why(why, whysz, "%s: path too long", path);
		return -1;
	}
	while ((slash = strrchr(dir, '/')) != NULL) {
		/* "/x" has "/" above it. */
		slash[slash == dir ? 1 : 0] = '\0';
		if (stat(dir, &st) == -1) {
			cmd_why(why, whysz, "%s: %s", dir, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(st.st_mode)) {
			cmd_why(why, whysz, "%s is not a directory", dir);
			return -1;
		}
		if (cmd_safe_stat(&st, dir, 1, why, whysz) != 0)
			return -1;
		if (strcmp(dir, "/") == 0)
			break;
	}
	return 0;
}

/*
 * Opens path for one run and checks it: the file opened (not the name,
 * which could be swapped after the check) is a regular file, and it and
 * every directory above the path as given and above where it really is
 * are safe (cmd_safe_stat()).  The descriptor is what runs (fexecve()),
 * and is not close-on-exec: a script's interpreter reads it as /dev/fd/N.
 * Returns it, or ERR_NOTFOUND (no such file) or ERR_UNSAFE with why.
 */
static int
cmd_open_safe(const char *path, char *why, size_t whysz)
{
	char link[32], real[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		cmd_why(why, whysz, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? ERR_NOTFOUND : ERR_UNSAFE;
	}
	(void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) == -1 || (n = readlink(link, real,
	    sizeof(real) - 1)) <= 0) {
		cmd_why(why, whysz, "%s: %s", path, strerror(errno));
		goto bad;
	}
	real[n] = '\0';
	if (!S_ISREG(st.st_mode)) {
		cmd_why(why, whysz, "%s is not a regular file", path);
		goto bad;
	}
	if (cmd_safe_stat(&st, path, 0, why, whysz) != 0 ||
	    cmd_safe_dirs(path, why, whysz) != 0 ||
	    cmd_safe_dirs(real, why, whysz) != 0)
		goto bad;
	return fd;
 bad:
	close(fd);
	return ERR_UNSAFE;
}

/*
 * Puts the pipes on the child's stdout and stderr and execs the checked
 * file exefd.  Between fork and exec: only async-signal-safe calls.
 * Never returns: status 126 if the descriptors cannot be set up, 127 if
 * fexecve() fails (the shell's "cannot execute" and "not found").
 */
static void
cmd_child(int exefd, char *const argv[], int outfd, int errfd)
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
	fexecve(exefd, argv, cmd_env());
	_exit(127);
}

/* A command being run: its pipes, and where its output has got to. */
struct cmd_proc {
	const char	*path;
	int		 out[2];	/* its stdout: read end, write end */
	int		 err[2];	/* its stderr: read end, write end */
	size_t		 total;		/* stdout bytes read so far */
	struct lines	 ln;		/* stdout, cut into lines */
	struct buf	 errtext;	/* the first bytes of its stderr */
	cmd_line_fn	*fn;
	void		*arg;
};

/*
 * Gives the helper up (hrt_die()), naming the command and why.  A command
 * past its deadline, or whose output we refuse, cannot be killed from here
 * (the filter forbids signals).  Dying makes the parent kill our whole
 * process group through the spawner and start a fresh helper.
 */
static void __attribute__((noreturn))
cmd_abandon(const char *path, const char *why)
{
	hrt_die("%s: %s; giving up the helper", path, why);
}

/* Hands every complete line to the callback; returns 0 or its non-zero. */
static int
cmd_deliver(struct cmd_proc *cp)
{
	const char *line;
	size_t len;
	int r;

	for (;;) {
		r = lines_next(&cp->ln, &line, &len);
		if (r == 0)
			return 0;
		if (r == 1)
			r = cp->fn(line, len, 0, cp->arg);
		else
			r = cp->fn(NULL, 0, r, cp->arg);
		if (r != 0)
			return r;
	}
}

/* Sets cp up with no pipes open yet. */
static void
cmd_proc_init(struct cmd_proc *cp, const char *path, cmd_line_fn *fn,
    void *arg)
{
	memset(cp, 0, sizeof(*cp));
	cp->path = path;
	cp->out[0] = cp->out[1] = cp->err[0] = cp->err[1] = -1;
	lines_init(&cp->ln, MAX_LINE);
	buf_init(&cp->errtext, MAX_CMD_STDERR);
	cp->fn = fn;
	cp->arg = arg;
}

/* Closes *fd unless it is -1 already, and sets it to -1. */
static void
cmd_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* Closes what is open of cp and frees its buffers. */
static void
cmd_proc_cleanup(struct cmd_proc *cp)
{
	cmd_close(&cp->out[0]);
	cmd_close(&cp->out[1]);
	cmd_close(&cp->err[0]);
	cmd_close(&cp->err[1]);
	lines_cleanup(&cp->ln);
	buf_cleanup(&cp->errtext);
}

/*
 * Starts the command with its stdout and stderr on pipes.  Returns 0 with
 * *pid set, or ERR_SYSTEM with res->stderr_text saying why.
 */
static int
cmd_start(struct cmd_proc *cp, char *const argv[], pid_t *pid,
    struct cmd_result *res)
{
	int exefd;

	if ((exefd = cmd_open_safe(cp->path, res->stderr_text,
	    sizeof(res->stderr_text))) < 0)
		return exefd;
	if (pipe2(cp->out, O_CLOEXEC) == -1 ||
	    pipe2(cp->err, O_CLOEXEC) == -1) {
		snprintf(res->stderr_text, sizeof(res->stderr_text),
		    "pipe: %s", strerror(errno));
		close(exefd);
		return ERR_SYSTEM;
	}
	if ((*pid = fork()) == -1) {
		snprintf(res->stderr_text, sizeof(res->stderr_text),
		    "fork: %s", strerror(errno));
		close(exefd);
		return ERR_SYSTEM;
	}
	if (*pid == 0)
		cmd_child(exefd, argv, cp->out[1], cp->err[1]);
	close(exefd);
	cmd_close(&cp->out[1]);
	cmd_close(&cp->err[1]);
	return 0;
}

/*
 * Takes n bytes the command printed on stdout.  Returns 0, ERR_TOOBIG past
 * MAX_CMD_OUTPUT, an error of lines_feed(), or the callback's non-zero.
 */
static int
cmd_stdout(struct cmd_proc *cp, const char *p, size_t n)
{
	int r;

	cp->total += n;
	if (cp->total > MAX_CMD_OUTPUT)
		return ERR_TOOBIG;
	if ((r = lines_feed(&cp->ln, p, n)) != 0)
		return r;
	return cmd_deliver(cp);
}

/* Keeps the first MAX_CMD_STDERR bytes of stderr for the message. */
static void
cmd_stderr(struct cmd_proc *cp, const char *p, size_t n)
{
	size_t keep = MAX_CMD_STDERR - buf_len(&cp->errtext);

	if (n < keep)
		keep = n;
	/* Best effort: short of memory, say nothing. */
	if (buf_append(&cp->errtext, p, keep) != 0)
		buf_reset(&cp->errtext);
}

/*
 * Reads what *fd (cp's stdout or stderr) has, closing it at end of file or
 * on an error.  Returns 0 or an error of cmd_stdout().
 */
static int
cmd_read(struct cmd_proc *cp, int *fd)
{
	char chunk[16384];
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		cmd_close(fd);
		return 0;
	}
	if (fd == &cp->err[0]) {
		cmd_stderr(cp, chunk, (size_t)n);
		return 0;
	}
	return cmd_stdout(cp, chunk, (size_t)n);
}

/*
 * Reads the command's stdout and stderr until both are closed.  Returns 0,
 * ERR_SYSTEM if poll() fails, or an error of cmd_read(); abandons the
 * command once the deadline passes.
 */
static int
cmd_pump(struct cmd_proc *cp, struct deadline deadline)
{
	struct pollfd pfd[2];
	int *fd[2];		/* the slots in cp of the fds in pfd */
	nfds_t nfds, i;
	int r;

	while (cp->out[0] != -1 || cp->err[0] != -1) {
		if (deadline_passed(deadline))
			cmd_abandon(cp->path, "deadline passed");
		nfds = 0;
		if (cp->out[0] != -1)
			fd[nfds++] = &cp->out[0];
		if (cp->err[0] != -1)
			fd[nfds++] = &cp->err[0];
		for (i = 0; i < nfds; i++) {
			pfd[i].fd = *fd[i];
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, nfds, deadline_poll_ms(deadline)) == -1) {
			/* SIGCHLD and friends may interrupt the wait. */
			if (errno == EINTR)
				continue;
			return ERR_SYSTEM;
		}
		for (i = 0; i < nfds; i++) {
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) ==
			    0)
				continue;
			if ((r = cmd_read(cp, fd[i])) != 0)
				return r;
		}
	}
	return 0;
}

/*
 * Waits for the command, whose output is closed but which may linger, up
 * to the same deadline; abandons it past that.  Returns its wait status,
 * or 0 if it cannot be waited for.
 */
static int
cmd_reap(const char *path, pid_t pid, struct deadline deadline)
{
	int wstatus = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &wstatus, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			return wstatus;
		if (deadline_passed(deadline))
			cmd_abandon(path, "still running after closing its "
			    "output");
		usleep(2000);
	}
}

/* Fills res from the wait status and the stderr the command printed. */
static void
cmd_report(struct cmd_result *res, int wstatus, const struct buf *errtext)
{
	const char *e = buf_ptr(errtext);
	size_t n = buf_len(errtext);

	if (WIFEXITED(wstatus)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus))
		res->signal = WTERMSIG(wstatus);
	/* The message reads better without its final newline. */
	while (n > 0 && (e[n - 1] == '\n' || e[n - 1] == '\r' ||
	    e[n - 1] == ' '))
		n--;
	hrt_quote(res->stderr_text, sizeof(res->stderr_text), e, n);
}

int
cmd_run(const char *path, char *const argv[], struct deadline deadline,
    cmd_line_fn *fn, void *arg, struct cmd_result *res)
{
	struct cmd_proc cp;
	pid_t pid = -1;
	int ret;

	memset(res, 0, sizeof(*res));
	cmd_proc_init(&cp, path, fn, arg);
	if ((ret = cmd_start(&cp, argv, &pid, res)) != 0)
		goto out;
	if ((ret = cmd_pump(&cp, deadline)) == 0) {
		lines_finish(&cp.ln);
		ret = cmd_deliver(&cp);
	}
	if (ret != 0)
		cmd_abandon(path, err_str(ret));
	cmd_report(res, cmd_reap(path, pid, deadline), &cp.errtext);
 out:
	cmd_proc_cleanup(&cp);
	return ret;
}

int
cmd_explain(const char *name, int r, const struct cmd_result *res,
    int ok_status, char *reason, size_t reasonsz)
{
	const char *e = res->stderr_text;

	if (r != 0) {
		snprintf(reason, reasonsz, "%s: %s%s%s", name, err_str(r),
		    e[0] != '\0' ? ": " : "", e);
		return r;
	}
	/* The command is the helper's upstream, and it failed. */
	if (!res->exited && res->signal == SIGSYS) {
		snprintf(reason, reasonsz, "%s killed by signal SYS, a sandbox "
		    "violation: the kernel's audit log names the syscall "
		    "(journalctl -k --grep SECCOMP, or ausearch -m SECCOMP), "
		    "and -sandbox=log logs it instead of killing", name);
		return ERR_UPSTREAM;
	}
	if (!res->exited) {
		snprintf(reason, reasonsz, "%s killed by signal %d", name,
		    res->signal);
		return ERR_UPSTREAM;
	}
	if (res->exit_code != 0 && res->exit_code != ok_status) {
		snprintf(reason, reasonsz, "%s exited with status %d: %s",
		    name, res->exit_code, e);
		return ERR_UPSTREAM;
	}
	return 0;
}

/* Where commands, wrappers, NSS and Slurm read and run from. */
static const char *const cmd_read_paths[] = {
	"/etc", "/run", "/var/run", "/var/lib/sss", "/proc",
	"/sys/devices/system/cpu", "/dev/null", "/dev/urandom",
};
static const char *const cmd_exec_paths[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	"/opt",
};

void
cmd_landlock(struct sbx_landlock *ll, const char *command)
{
	const char *conf = getenv("SLURM_CONF");
	size_t i;

	for (i = 0; i < sizeof(cmd_read_paths) / sizeof(cmd_read_paths[0]);
	    i++)
		sbx_landlock_path(ll, cmd_read_paths[i], 0);
	for (i = 0; i < sizeof(cmd_exec_paths) / sizeof(cmd_exec_paths[0]);
	    i++)
		sbx_landlock_path(ll, cmd_exec_paths[i], 1);
	sbx_landlock_dirs_of(ll, command, 1);
	if (conf != NULL && conf[0] == '/')
		sbx_landlock_dirs_of(ll, conf, 0);
}
