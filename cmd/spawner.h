/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SPAWNER_H
#define SPAWNER_H

#include <sys/types.h>

#include <stddef.h>

/* Deadlines are passed by value, so the full type is needed here. */
#include "deadline.h"

/*
 * The spawner: a small process forked at start-up, before any thread
 * exists and before the parent confines itself.  Only it forks and execs
 * helpers, so the parent needs neither.  It takes fixed-size requests over
 * a unix socket, starts a helper with fexecve() from a descriptor opened
 * before privileges were dropped, hands the parent the helper's pipe ends
 * (SCM_RIGHTS), and on request kills a helper's process group, reaps it and
 * reports how it ended.
 *
 * A helper is reaped only when the parent asks for it (spawn_kill, or a
 * restart by spawn_helper): until then its pid, and so its process group
 * id, cannot be reused, and the spawner signals nothing else by those
 * numbers.  It watches each helper through a pidfd and tells the parent
 * on a second socket, once per instance, when one ended on its own.  As a
 * child subreaper it also kills and reaps anything a helper's command left
 * behind.
 *
 * When its request socket reaches EOF (spawn_stop, or the parent's exit)
 * it kills every helper's process group, reaps everything and exits.  If
 * the parent dies first, PR_SET_PDEATHSIG kills the spawner, and the same
 * setting on each helper takes the helpers with it.
 *
 * Calls other than spawn_event are serialised by a lock and may come from
 * several threads; every one of them gives up at its deadline.  A reply
 * that comes after its caller gave up is recognised by its sequence number
 * and discarded, with any descriptors it carries.
 */

struct spawn_helper {
	int		 exe_fd;	/* opened O_PATH; -1: not available */
	char		*const *argv;
	char		*const *envp;
};

struct spawner;

/*
 * Forks the spawner for nhelpers helpers (index = helper id).  The spawner
 * keeps only stdio, its two sockets and the helpers' exe_fd open; helpers
 * must stay valid for the process's life.  It confines itself with its
 * filter in sandbox_mode (enum sandbox_mode, lib/flags.h), or dies
 * saying why on stderr.  Call it while the process has a single thread.
 * Returns NULL with errno set.
 */
struct spawner	*spawn_start(const struct spawn_helper *helpers, int nhelpers,
		    int sandbox_mode);

/* Descriptors a started helper's reply carries: stdin, stdout, stderr. */
#define SPAWN_FDS	3

/*
 * Starts helper id, killing and reaping the instance the spawner holds for
 * id first, if any.  Returns 0 with *pid, *to_fd (the helper's stdin),
 * *from_fd (its stdout) and *log_fd (its stderr: nothing a helper writes
 * reaches the exporter's own stderr unread), all O_CLOEXEC and owned by
 * the caller.  On
 * failure *pid and both fds are -1, err holds a reason (err may be NULL
 * when errsz is 0), and it returns:
 *   ERR_SYSTEM   the helper could not start (no binary, pipe, fork or exec
 *                failed; nothing is left running for id), or a call on
 *                the spawner's socket failed (errno);
 *   ERR_TIMEOUT  no answer before deadline; the spawner may still start
 *                the helper: its late reply is discarded (its pipe ends
 *                closed), and the next spawn_helper for id, or a
 *                spawn_kill(id, -1), kills that instance;
 *   ERR_EOF      the spawner is gone: no helper can be started any more;
 *   ERR_INVAL    id is out of range.
 */
int	spawn_helper(struct spawner *sp, int id, struct deadline deadline,
	    pid_t *pid, int *to_fd, int *from_fd, int *log_fd, char *err,
	    size_t errsz);

/*
 * Kills helper id's process group (anything it started included) if the
 * instance the spawner holds for id is pid, then reaps it and kills what
 * its commands left behind.  pid -1 means whichever instance is held (for
 * a caller whose spawn_helper timed out).  Returns 0 with the helper's wait
 * status in *wstatus (a helper that had ended on its own was kept
 * unreaped, so this is how it ended), or, with *wstatus 0:
 *   ERR_NOTFOUND the spawner holds no such instance (never started, already
 *                killed, or replaced by a newer one); nothing was signalled;
 *   ERR_TIMEOUT  no answer before deadline; the kill may still happen;
 *   ERR_EOF      the spawner is gone (its helpers died with it);
 *   ERR_SYSTEM   a call on the spawner's socket failed (errno);
 *   ERR_INVAL    id is out of range, or pid is neither positive nor -1.
 */
int	spawn_kill(struct spawner *sp, int id, pid_t pid,
	    struct deadline deadline, int *wstatus);

/*
 * The descriptor to poll() for POLLIN: it becomes readable when a helper
 * ended on its own, and at EOF when the spawner is gone.  Owned by sp.
 */
int	spawn_event_fd(const struct spawner *sp);

/*
 * Reads one pending event without blocking.  Returns 1 with *id and *pid
 * of a helper instance that ended on its own; the spawner keeps it
 * unreaped until spawn_kill(id, pid), which returns its wait status.  Each
 * instance is reported once, and an event may still arrive after the
 * caller killed or replaced that instance: compare *pid with the current
 * one.  Returns 0 when no event is pending and ERR_EOF when the spawner is
 * gone (*id and *pid are -1 then).  Needs no lock: any thread may call it.
 */
int	spawn_event(struct spawner *sp, int *id, pid_t *pid);

/*
 * Closes both sockets, so that the spawner kills every helper, reaps
 * everything and exits, and reaps the spawner, waiting at most timeout_ms.
 * A spawner that has not exited by then (stopped, or stuck reaping a
 * process in uninterruptible sleep) is not killed: PR_SET_PDEATHSIG ends
 * it when the parent exits.  No other call on sp may be in progress or
 * follow; sp is freed.  NULL is accepted.
 */
void	spawn_stop(struct spawner *sp, int timeout_ms);

#endif /* SPAWNER_H */
