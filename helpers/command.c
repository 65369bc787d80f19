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

/*
 * A command that closed its output is waited for in steps this long: no
 * descriptor tells when it ends (the filters allow neither pidfd_open nor
 * signalfd).
 */
#define CMD_REAP_STEP_MS	2

/*
 * A command being run: its pipes, and where its output has got to.  The
 * slot is free while pid is -1; the command has closed its output once
 * both read ends are -1, and is then waiting to be reaped.
 */
struct cmd_proc {
	const char	*path;
	pid_t		 pid;
	int		 id;		/* the caller's, from cmd_set_start() */
	int		 out[2];	/* its stdout: read end, write end */
	int		 err[2];	/* its stderr: read end, write end */
	size_t		 total;		/* stdout bytes read so far */
	struct lines	 ln;		/* stdout, cut into lines */
	struct buf	 errtext;	/* the first bytes of its stderr */
	cmd_line_fn	*fn;
	void		*arg;
};

struct cmd_set {
	struct cmd_proc	 proc[CMD_SET_MAX];
	size_t		 running;	/* slots in use */
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
	cp->pid = -1;
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

/* Closes what is open of cp, frees its buffers and frees its slot. */
static void
cmd_proc_cleanup(struct cmd_proc *cp)
{
	cmd_close(&cp->out[0]);
	cmd_close(&cp->out[1]);
	cmd_close(&cp->err[0]);
	cmd_close(&cp->err[1]);
	lines_cleanup(&cp->ln);
	buf_cleanup(&cp->errtext);
	cp->pid = -1;
}

/* 1 once cp has closed both its stdout and its stderr. */
static int
cmd_proc_closed(const struct cmd_proc *cp)
{
	return cp->out[0] == -1 && cp->err[0] == -1;
}

/*
 * Starts the command with its stdout and stderr on pipes.  Returns 0 with
 * cp->pid set, or ERR_SYSTEM with res->stderr_text saying why.
 */
static int
cmd_start(struct cmd_proc *cp, char *const argv[], struct cmd_result *res)
{
	int exefd;
	pid_t pid;

	if ((exefd = cmd_open_safe(cp->path, res->stderr_text,
	    sizeof(res->stderr_text))) < 0)
		return exefd;
	/*
	 * O_CLOEXEC: a command started later must not hold these pipes, or
	 * this command's output would never reach end of file.
	 */
	if (pipe2(cp->out, O_CLOEXEC) == -1 ||
	    pipe2(cp->err, O_CLOEXEC) == -1) {
		snprintf(res->stderr_text, sizeof(res->stderr_text),
		    "pipe: %s", strerror(errno));
		close(exefd);
		return ERR_SYSTEM;
	}
	if ((pid = fork()) == -1) {
		snprintf(res->stderr_text, sizeof(res->stderr_text),
		    "fork: %s", strerror(errno));
		close(exefd);
		return ERR_SYSTEM;
	}
	if (pid == 0)
		cmd_child(exefd, argv, cp->out[1], cp->err[1]);
	close(exefd);
	cp->pid = pid;
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
 * cmd_read(), then, once cp has closed its output, its last line if it
 * lacks a newline.  Abandons the command (and the helper) on an error.
 */
static void
cmd_take(struct cmd_proc *cp, int *fd)
{
	int r;

	if ((r = cmd_read(cp, fd)) == 0 && cmd_proc_closed(cp)) {
		lines_finish(&cp->ln);
		r = cmd_deliver(cp);
	}
	if (r != 0)
		cmd_abandon(cp->path, err_str(r));
}

/*
 * Lists in pfd the open pipes of s's commands, with the command of each
 * in owner and the pipe's slot in fd (all three of 2 * CMD_SET_MAX).
 * Returns how many; *linger is 1 when a command has closed its output
 * and waits to be reaped, else 0.
 */
static nfds_t
cmd_set_pollfds(struct cmd_set *s, struct pollfd *pfd,
    struct cmd_proc **owner, int **fd, int *linger)
{
	struct cmd_proc *cp;
	nfds_t n = 0;
	size_t i, j;
	int *ends[2];

	*linger = 0;
	for (i = 0; i < CMD_SET_MAX; i++) {
		cp = &s->proc[i];
		if (cp->pid == -1)
			continue;
		if (cmd_proc_closed(cp))
			*linger = 1;
		ends[0] = &cp->out[0];
		ends[1] = &cp->err[0];
		for (j = 0; j < 2; j++) {
			if (*ends[j] == -1)
				continue;
			pfd[n].fd = *ends[j];
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			owner[n] = cp;
			fd[n++] = ends[j];
		}
	}
	return n;
}

/*
 * The poll() timeout for ms left before the deadline: shortened to
 * CMD_REAP_STEP_MS while a command is to be reaped (linger).
 */
static int
cmd_poll_ms(int ms, int linger)
{
	if (linger && ms > CMD_REAP_STEP_MS)
		return CMD_REAP_STEP_MS;
	return ms;
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

/*
 * Reaps a command of s that has closed its output and ended, filling res
 * from its wait status and stderr.  Returns its id, or -1 if none has
 * ended yet.
 */
static int
cmd_set_reap(struct cmd_set *s, struct cmd_result *res)
{
	struct cmd_proc *cp;
	int wstatus, id;
	size_t i;
	pid_t r;

	for (i = 0; i < CMD_SET_MAX; i++) {
		cp = &s->proc[i];
		if (cp->pid == -1 || !cmd_proc_closed(cp))
			continue;
		wstatus = 0;
		r = waitpid(cp->pid, &wstatus, WNOHANG);
		/* Not ended yet, or interrupted: look again later. */
		if (r == 0 || (r == -1 && errno == EINTR))
			continue;
		/* Should it not be ours to wait for, it reads as exit 0. */
		if (r == -1)
			wstatus = 0;
		cmd_report(res, wstatus, &cp->errtext);
		id = cp->id;
		cmd_proc_cleanup(cp);
		s->running--;
		return id;
	}
	return -1;
}

/*
 * Gives up the helper at the deadline, naming a command of s that still
 * prints if there is one, else one that has closed its output but not
 * ended.
 */
static void __attribute__((noreturn))
cmd_set_expire(const struct cmd_set *s)
{
	const struct cmd_proc *late = NULL;
	size_t i;

	for (i = 0; i < CMD_SET_MAX; i++) {
		if (s->proc[i].pid == -1)
			continue;
		if (!cmd_proc_closed(&s->proc[i]))
			cmd_abandon(s->proc[i].path, "deadline passed");
		late = &s->proc[i];
	}
	cmd_abandon(late != NULL ? late->path : "command", "still running "
	    "after closing its output");
}

/* Sets s up with every slot free. */
static void
cmd_set_init(struct cmd_set *s)
{
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < CMD_SET_MAX; i++)
		cmd_proc_init(&s->proc[i], NULL, NULL, NULL);
}

struct cmd_set *
cmd_set_new(void)
{
	struct cmd_set *s;

	if ((s = malloc(sizeof(*s))) == NULL)
		return NULL;
	cmd_set_init(s);
	return s;
}

void
cmd_set_free(struct cmd_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	/* Freeing would leave it unreaped, outside any deadline. */
	for (i = 0; i < CMD_SET_MAX; i++)
		if (s->proc[i].pid != -1)
			cmd_abandon(s->proc[i].path, "still running when its "
			    "set was freed");
	free(s);
}

size_t
cmd_set_running(const struct cmd_set *s)
{
	return s->running;
}

int
cmd_set_start(struct cmd_set *s, int id, const char *path,
    char *const argv[], cmd_line_fn *fn, void *arg, struct cmd_result *res)
{
	struct cmd_proc *cp = NULL;
	size_t i;
	int r;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < CMD_SET_MAX && cp == NULL; i++)
		if (s->proc[i].pid == -1)
			cp = &s->proc[i];
	if (cp == NULL || id < 0)
		return ERR_RANGE;
	cmd_proc_init(cp, path, fn, arg);
	if ((r = cmd_start(cp, argv, res)) != 0) {
		cmd_proc_cleanup(cp);
		return r;
	}
	cp->id = id;
	s->running++;
	return 0;
}

int
cmd_set_wait(struct cmd_set *s, struct deadline deadline,
    struct cmd_result *res)
{
	struct pollfd pfd[2 * CMD_SET_MAX];
	struct cmd_proc *owner[2 * CMD_SET_MAX];
	int *fd[2 * CMD_SET_MAX];
	char why[128];
	nfds_t n, i;
	int id, linger;

	memset(res, 0, sizeof(*res));
	if (s->running == 0)
		return ERR_EOF;
	for (;;) {
		if ((id = cmd_set_reap(s, res)) >= 0)
			return id;
		if (deadline_passed(deadline))
			cmd_set_expire(s);
		n = cmd_set_pollfds(s, pfd, owner, fd, &linger);
		if (poll(pfd, n, cmd_poll_ms(deadline_poll_ms(deadline),
		    linger)) == -1) {
			/* SIGCHLD and friends may interrupt the wait. */
			if (errno == EINTR)
				continue;
			snprintf(why, sizeof(why), "poll: %s",
			    strerror(errno));
			cmd_abandon(n > 0 ? owner[0]->path : "command", why);
		}
		for (i = 0; i < n; i++)
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) !=
			    0)
				cmd_take(owner[i], fd[i]);
	}
}

int
cmd_run(const char *path, char *const argv[], struct deadline deadline,
    cmd_line_fn *fn, void *arg, struct cmd_result *res)
{
	struct cmd_set s;
	int r;

	cmd_set_init(&s);
	if ((r = cmd_set_start(&s, 0, path, argv, fn, arg, res)) != 0)
		return r;
	/* One command runs: it comes back, or the helper dies. */
	(void)cmd_set_wait(&s, deadline, res);
	return 0;
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
