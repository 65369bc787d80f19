/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LISTEN_H
#define LISTEN_H

#include <sys/types.h>

/*
 * Systemd socket activation (sd_listen_fds(3)), the part that needs no
 * system call.  systemd binds the sockets of the .socket unit, starts the
 * service with them as fds LISTEN_FDS_START, LISTEN_FDS_START + 1, ...,
 * and says so in two variables: LISTEN_PID, the pid they are meant for,
 * and LISTEN_FDS, how many there are.
 */

/* The first passed fd: right after stdin, stdout and stderr. */
#define LISTEN_FDS_START	3
/* Sockets taken from systemd; more is refused rather than left open. */
#define LISTEN_MAX_FDS		16

/*
 * Validates the socket activation variables.  listen_pid and listen_fds
 * are the values of LISTEN_PID and LISTEN_FDS (NULL or "" when unset);
 * self is the caller's getpid().  Both must be canonical decimals (digits
 * only, no sign, no leading zero, no blanks): LISTEN_PID equal to self,
 * LISTEN_FDS from 1 to LISTEN_MAX_FDS.
 *
 * Returns 0 with *first = LISTEN_FDS_START, *count the number of fds and
 * *why (if why is not NULL) NULL.  Otherwise *first = -1, *count = 0,
 * *why (if why is not NULL) a static one-line reason naming the variable,
 * and:
 *	ERR_NOTFOUND	a variable is unset or empty
 *	ERR_INVAL	a value is not a canonical decimal, or LISTEN_PID
 *			names another process (the sockets are not ours)
 *	ERR_RANGE	LISTEN_FDS is 0 or above LISTEN_MAX_FDS
 *
 * Reads only its arguments.  The caller checks each fd (a listening
 * SOCK_STREAM socket), sets FD_CLOEXEC on it (systemd passes the fds
 * inheritable, and no helper may get them), and unsets LISTEN_PID,
 * LISTEN_FDS and LISTEN_FDNAMES.
 */
int	listen_systemd_fds(const char *listen_pid, const char *listen_fds,
	    pid_t self, int *first, int *count, const char **why);

#endif /* LISTEN_H */
