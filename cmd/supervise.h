/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SUPERVISE_H
#define SUPERVISE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "deadline.h"
#include "proto.h"

/*
 * The parent's side of the helpers.  A collection sends requests with the
 * scrape's deadline and reads records checked against a per-call dispatch
 * table; on any failure (missed deadline, death, protocol violation) the
 * helper is killed with all it started, through the spawner, and marked
 * dead.  A supervisor thread learns of deaths as they happen (the spawner
 * reports them), restarts dead helpers at once, and backs off from one
 * that keeps dying, so a fresh helper is ready before the next scrape.
 *
 * Return convention of this module: 0 or a negative ERR_* (lib/err.h).
 */

struct intake;
struct intake_call;
struct spawner;

struct helper {
	/* Set once by main before sup_init(). */
	int		 id;		/* enum source_helper */
	const char	*name;
	int		 enabled;	/* 0: never started (command missing) */

	/* Guarded by lock: whoever uses or restarts the helper holds it. */
	pthread_mutex_t	 lock;
	pid_t		 pid;		/* -1: not running */
	int		 dead;		/* killed or died; awaits a restart */
	int		 to_fd;
	int		 from_fd;
	struct buf	 in;		/* bytes read, not yet dispatched */
	unsigned int	 quick_deaths;	/* deaths in a row soon after start */
	uint64_t	 started_us;
	uint64_t	 next_start_us;	/* backoff: not before this */

	/* Written under lock, read anywhere (atomics). */
	unsigned long	 restarts;
	pid_t		 exited_pid;	/* reported ended by the spawner */
};

/*
 * One call: requests to one helper, whose every answering byte goes
 * through the trust boundary (lib/intake.h), which checks and files it.
 */
struct sup_call {
	struct helper		*helper;
	struct buf		*request;	/* one or more request frames */
	struct intake		*intake;
	struct intake_call	*answer;	/* kind and END count set */
	/* Results. */
	int			 failed;
	char			 reason[512];
	/*
	 * The helper's restart count while the call held it: which
	 * instance answered (sup_restarts() is that count while it lives).
	 */
	unsigned long		 restarts;
	/* Internal. */
	size_t			 sent;
	int			 locked;
};

/*
 * Starts every enabled helper through sp, before the parent confines
 * itself.  Returns 0, or ERR_SYSTEM if one could not start (it is retried
 * by the supervisor).
 */
int	sup_init(struct helper *helpers, int n, struct spawner *sp);

/*
 * Starts the supervisor thread, after the parent's filter is loaded (the
 * thread inherits it).  Returns 0 or ERR_SYSTEM.
 */
int	sup_start_thread(void);

/*
 * Runs the calls concurrently until each has its END records, failed, or
 * the deadline passed.  A call fails with a reason; a helper at fault is
 * killed and marked dead for the supervisor to restart.  Calls on distinct
 * helpers may run from several threads at once.
 */
void	sup_run(struct sup_call *calls, size_t n, struct deadline deadline);

/*
 * Marks the shutdown: from now on a helper that dies is neither logged as
 * a failure nor restarted.  Safe from any thread.
 */
void	sup_stop(void);

/* Restarts of helper id so far (for the exposition).  Any thread. */
unsigned long	sup_restarts(const struct helper *h);

#endif /* SUPERVISE_H */
