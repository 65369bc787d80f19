/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SUPERVISE_H
#define SUPERVISE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "proto.h"

/*
 * The parent's side of the helpers: requests with a deadline, records read
 * and checked against a per-call dispatch table, and on any failure (missed
 * deadline, death, protocol violation) the helper is killed with all it
 * started, reaped, logged and respawned.
 */

struct spawner;

struct helper {
	int		 id;		/* enum sbx_helper */
	const char	*name;
	int		 enabled;	/* 0: never started (command missing) */
	pid_t		 pid;
	int		 to_fd;
	int		 from_fd;
	struct buf	 in;		/* bytes read, not yet dispatched */
	unsigned long	 restarts;
};

/* Handler of one record type; non-zero = protocol violation (reason set). */
typedef int sup_handler_fn(void *ctx, const unsigned char *body, size_t len,
    char *reason, size_t reasonsz);

struct sup_handler {
	uint8_t		 type;
	sup_handler_fn	*fn;
};

struct sup_call {
	struct helper		*helper;
	struct buf		*request;	/* one or more request frames */
	unsigned int		 nrequests;	/* END records to wait for */
	const struct sup_handler *table;	/* ends with type 0 */
	void			*ctx;
	/* Results. */
	int			 failed;
	char			 reason[512];
	unsigned int		 ends;
	uint64_t		 elapsed_us;	/* sum over END records */
	int			 end_status;	/* first non-zero END status */
	/* Internal. */
	size_t			 _sent;
};

/* Starts every enabled helper.  Returns 0, or -1 if one could not start. */
int	sup_init(struct helper *helpers, int n, struct spawner *sp);

/*
 * Runs the calls concurrently until each has its END records, failed, or
 * deadline_us (CLOCK_MONOTONIC, microseconds) passed.  A call fails with a
 * reason; a helper at fault is killed and respawned before this returns.
 */
void	sup_run(struct sup_call *calls, size_t n, uint64_t deadline_us);

/*
 * Marks the shutdown: from now on a helper that dies is neither logged as
 * a failure nor restarted.  Safe from any thread.
 */
void	sup_stop(void);

uint64_t	sup_now_us(void);

#endif /* SUPERVISE_H */
