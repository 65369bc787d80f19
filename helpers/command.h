/* SPDX-License-Identifier: Apache-2.0 */
#ifndef COMMAND_H
#define COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h"

/*
 * Runs a command (squeue, getent) by absolute path, without a shell, in a
 * clean environment, in the helper's process group, and streams its stdout
 * line by line.  The deadline is the helper's backstop, set after the
 * parent's (hrt_backstop()): should it pass, or should the output break a limit,
 * the helper exits and the parent kills the group (helpers may not send
 * signals).
 */

/*
 * Called per stdout line (without '\n'), or with line == NULL and status
 * ERR_TOOBIG for a line longer than MAX_LINE (then skipped).  A non-zero
 * return stops the command (killed) and is returned by cmd_run().
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
 * see res), or ERR_SYSTEM when it could not be started (res's stderr_text
 * says why).  A deadline, an output above MAX_CMD_OUTPUT or a callback's
 * non-zero return ends the helper.
 */
int	cmd_run(const char *path, char *const argv[], struct deadline deadline,
	    cmd_line_fn *fn, void *arg, struct cmd_result *res);

/* The environment commands get: fixed PATH, LC_ALL=C, SLURM_CONF if set. */
char	*const *cmd_env(void);

#endif /* COMMAND_H */
