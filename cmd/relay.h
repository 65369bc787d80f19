/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RELAY_H
#define RELAY_H

#include <stddef.h>
#include <sys/types.h>

/*
 * What helpers write to their stderr, and the log records they send: a
 * helper's fd 2 is a pipe the parent reads here (cmd/spawner.c), never
 * the exporter's own stderr, so no byte a helper writes becomes a line of
 * the exporter's log as it stands.  Each line is escaped and tagged with
 * the helper (lib/log.h's log_relay()), cut at RELAY_LINE_MAX bytes, and
 * counted against the helper's budget for the current collection: past
 * RELAY_MAX_LINES lines or RELAY_MAX_BYTES bytes the rest is dropped, and
 * one line says how much when the next collection starts.
 *
 * One thread reads the pipes.  Every function may be called from any
 * thread.  Return convention: 0 or a negative ERR_* (lib/err.h).
 */

#define RELAY_MAX_HELPERS	8
#define RELAY_MAX_LINES		100
#define RELAY_MAX_BYTES		(64 * 1024)
#define RELAY_LINE_MAX		1024

/* Starts the reading thread.  Returns 0 or ERR_SYSTEM. */
int	relay_start(void);

/*
 * Reads fd (taken over) as the stderr of helper id (name, pid) from now
 * on; the previous instance's pipe is read to its end, then closed.
 */
void	relay_attach(int id, const char *name, pid_t pid, int fd);

/*
 * Whether helper id may log bytes more in this collection: 1 (counted),
 * or 0 (counted as dropped).
 */
int	relay_admit(int id, size_t bytes);

/* A collection starts: budgets are full again; drops of the last said. */
void	relay_scrape(void);

#endif /* RELAY_H */
