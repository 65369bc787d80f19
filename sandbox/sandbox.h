/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <sys/types.h>

/*
 * Process confinement.  Every helper calls sbx_helper_enter() at start-up,
 * before it reads its first input byte; the order inside mirrors OpenSSH's
 * ssh_sandbox_child: close stray fds, rlimits, no_new_privs and
 * non-dumpable, then the helper's filter.
 */

/* Helper identities; also the index of the helper's policy. */
enum sbx_helper {
	SBX_HELPER_SLURM = 0,
	SBX_HELPER_ACCOUNTS = 1,
	SBX_HELPER_PROMQL = 2,
	SBX_NHELPERS = 3,
};

/* "slurm", "accounts", "promql"; NULL for anything else. */
const char	*sbx_helper_name(int helper);
/* The helper id for a name, or -1. */
int		 sbx_helper_id(const char *name);

/* "enforce", "log", "off" -> enum sandbox_mode, or -1. */
int		 sbx_mode_parse(const char *s);
const char	*sbx_mode_name(int mode);

/*
 * Closes every descriptor above 2 (stdin, stdout and stderr are the
 * helper's request pipe, record pipe and the exporter's stderr).  Returns 0
 * or -1 with errno set.
 */
int	sbx_close_fds_from(int lowfd);

/*
 * Confines the calling helper; mode is enum sandbox_mode (lib/flags.h).
 * Returns 0, or -1 with a reason in err.
 */
int	sbx_helper_enter(int helper, int mode, char *err, size_t errsz);

/*
 * Started as root: switch to user (clearing supplementary groups) and
 * verify that root cannot be regained.  Not root: nothing to do.  Returns 0
 * or -1 with a reason in err.
 */
int	sbx_drop_privileges(const char *user, char *err, size_t errsz);

#endif /* SANDBOX_H */
