/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SPAWNER_H
#define SPAWNER_H

#include <sys/types.h>

/*
 * The spawner: a small process forked at start-up, before any thread
 * exists and before the parent confines itself.  Only it forks and execs
 * helpers, so the parent needs neither.  It takes fixed-size requests over
 * a unix socket, starts a helper with fexecve() from a descriptor opened
 * before privileges were dropped, hands the parent the helper's pipe ends
 * (SCM_RIGHTS), and on request kills a helper's process group, reaps it and
 * reports how it ended.  As a child subreaper it also finds and kills
 * anything a helper's command left behind.
 */

struct spawn_helper {
	int		 exe_fd;	/* opened O_PATH; -1: not available */
	char		*const *argv;
	char		*const *envp;
};

struct spawner;

/*
 * Forks the spawner for nhelpers helpers (index = helper id).  The spawner
 * keeps only stdio, its socket and the helpers' exe_fd open; helpers must
 * stay valid for the process's life.  Returns NULL with errno set.
 */
struct spawner	*spawn_start(const struct spawn_helper *helpers, int nhelpers);

/*
 * Starts helper id.  Returns 0 with its pid, the fd to write requests to
 * and the fd to read records from (both O_CLOEXEC, owned by the caller),
 * -1 with a reason in err if the helper could not start, or -2 if the
 * spawner itself is gone.
 */
int	spawn_helper(struct spawner *sp, int id, pid_t *pid, int *to_fd,
	    int *from_fd, char *err, size_t errsz);

/*
 * Kills helper id's process group (anything it started included), reaps
 * it and returns 0 with its wait status in *wstatus, or -1 if the spawner
 * did not answer.
 */
int	spawn_kill(struct spawner *sp, int id, int *wstatus);

/*
 * Asks the spawner to kill every helper and exit, and reaps it, waiting at
 * most timeout_ms before killing it outright.
 */
void	spawn_stop(struct spawner *sp, int timeout_ms);

#endif /* SPAWNER_H */
