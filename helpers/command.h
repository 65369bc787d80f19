/* SPDX-License-Identifier: Apache-2.0 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"
#include "sandbox.h"

/*
 * Runs a command (squeue, getent) by absolute path, without a shell, in a
 * clean environment, in the helper's process group, and streams its stdout
 * line by line.  Each run opens the path and checks the file it opened,
 * and every directory above the path and above the file's real place, as
 * OpenSSH checks its paths: owned by root or the exporter's user, and
 * writable by no one else (a root-owned sticky directory such as /tmp
 * excepted); then it runs that very file (fexecve()), so a file swapped
 * after the check never runs, while a command upgraded or installed later
 * is found at the next run.  A script wrapper runs as /dev/fd/N (its $0).
 * The deadline is the helper's backstop, set after the parent's
 * (hrt_backstop()).  Should it pass, or should the output break a limit,
 * the helper dies (hrt_die()) and the parent kills the group, the command
 * with it: helpers may not send signals.
 */

/*
 * Called per stdout line (without '\n'), or with line == NULL and status
 * ERR_TOOBIG for a line longer than MAX_LINE (then skipped).  A non-zero
 * return abandons the command: the helper dies, as above.
 */
typedef int cmd_line_fn(const char *line, size_t len, int status, void *arg);

struct cmd_result {
	int	 exited;	/* 1: exit_code is valid */
	int	 exit_code;
	int	 signal;	/* killing signal, if not exited */
	char	 stderr_text[256];	/* first bytes of stderr, sanitized */
};

/*
 * Returns 0 when the command ran to its end (whatever its exit status:
 * see res), or ERR_NOTFOUND (no such file), ERR_UNSAFE (a check failed)
 * or ERR_SYSTEM when it could not be started (res's stderr_text says
 * why).  A deadline, an output above MAX_CMD_OUTPUT, a failing poll()
 * or a callback's non-zero return ends the helper instead.
 */
int	cmd_run(const char *path, char *const argv[], struct deadline deadline,
	    cmd_line_fn *fn, void *arg, struct cmd_result *res);

/*
 * Commands run side by side (the accounts helper's getent batches), each
 * with all that cmd_run() gives one: the checked file, the environment,
 * the process group, the output caps, stderr for the message, reaping.
 * Each command has its own line splitter, so a callback only ever gets a
 * whole line of one command, never parts of two.  The deadline, an
 * output over its caps, a failing poll() or a callback's non-zero return
 * end the helper, as above; the parent's kill of the process group then
 * takes every command of the set.
 */
struct cmd_set;

/* Commands one set runs at once; each holds two pipes while it runs. */
#define CMD_SET_MAX	8

/* A set with no command running, or NULL when out of memory. */
struct cmd_set	*cmd_set_new(void);

/*
 * Frees s (NULL is fine).  Every command must have been waited for
 * (cmd_set_wait() returned ERR_EOF): with one still running, the helper
 * dies rather than leave it behind.
 */
void	cmd_set_free(struct cmd_set *s);

/* Commands of s started and not yet returned by cmd_set_wait(). */
size_t	cmd_set_running(const struct cmd_set *s);

/*
 * Starts a command as cmd_run() does, known by the caller's id (>= 0),
 * and returns at once; cmd_set_wait() reads its output.  argv need not
 * outlive the call.  Returns 0, ERR_RANGE if CMD_SET_MAX commands run
 * already, or what cmd_run() returns for a command that could not be
 * started, with res's stderr_text saying why (res is written only then).
 */
int	cmd_set_start(struct cmd_set *s, int id, const char *path,
	    char *const argv[], cmd_line_fn *fn, void *arg,
	    struct cmd_result *res);

/*
 * Reads the output of every running command of s, handing its lines to
 * its callback, until one has closed its output and ended.  Returns that
 * command's id with res filled in, or ERR_EOF if none is running.
 */
int	cmd_set_wait(struct cmd_set *s, struct deadline deadline,
	    struct cmd_result *res);

/*
 * Words, for END, how a cmd_run() of the command called name (such as
 * "getent passwd") went: r is what cmd_run() returned, res what it filled
 * in.  Exit status 0 is success, and so is ok_status unless it is -1.
 * Returns 0 with reason untouched, or r (the command did not start), or
 * ERR_UPSTREAM (it exited with another status or was killed), with
 * reason set.  For a command of a set, r is what cmd_set_start() returned
 * (0 once it started), res what it or cmd_set_wait() filled in.
 */
int	cmd_explain(const char *name, int r, const struct cmd_result *res,
	    int ok_status, char *reason, size_t reasonsz);

/*
 * The environment commands get: fixed PATH, LC_ALL=C, and SLURM_CONF if
 * the helper has it set to an absolute path.
 */
char	*const *cmd_env(void);

/*
 * The Landlock rules of a helper that runs command: read /etc, /run,
 * /proc, the SSSD cache; read and run from /usr, /opt and the lib
 * directories, and from command's own directory (and its real one);
 * read SLURM_CONF's directory.  Site paths come from --sandbox.read-path
 * (hrt_landlock_args()).  The network stays open: squeue reaches
 * slurmctld on whatever port the site chose.
 */
void	cmd_landlock(struct sbx_landlock *ll, const char *command);

#endif /* COMMAND_H */
