/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOGQ_H
#define LOGQ_H

/*
 * The parent's log queue: once started, every line the process logs goes
 * into a bounded queue in memory (LOGQ_BYTES), and one writer thread
 * writes the queue to stderr.  A stderr that stops taking lines (a
 * stalled journald, a full pipe) then stalls only that thread, never one
 * that serves or collects.  A line that finds the queue full is dropped
 * and counted; the writer says how many before the next line it writes
 * ("N log lines dropped ..."), when stderr takes lines again.  stderr
 * keeps its blocking mode: its file description is shared with other
 * processes (the spawner, a shell, systemd).
 *
 * Before logq_start(), and in every other process, lines are written at
 * once, as lib/log does by itself.
 */

/*
 * Starts the writer thread, with every signal blocked, and routes this
 * process's lines to the queue (log_set_writer()).  Call once, while the
 * process has a single thread, after the last fork (a child would inherit
 * a queue no thread drains; it writes directly all the same) and after
 * the seccomp filter is loaded (a thread inherits the filter of the thread
 * that creates it, not one loaded later).  exit(), and log_fatal() before
 * it, wait at most a second for the queue to be written out; _exit() does
 * not: call logq_flush() first.  Returns 0, or ERR_SYSTEM (errno set) with
 * logging left as it was.
 */
int	logq_start(void);

/*
 * Waits until the queue is written out, at most timeout_ms (before
 * _exit(), so the last lines are not lost, nor the exit held up by a
 * stalled stderr).  Returns 0, or ERR_TIMEOUT with lines still queued.
 * Returns 0 at once if logq_start() did not succeed.
 */
int	logq_flush(unsigned int timeout_ms);

/*
 * Lines dropped since start-up because the queue was full or stderr
 * failed, for cluster_exporter_log_lines_dropped_total.  Any thread.
 */
unsigned long	logq_dropped_total(void);

#endif /* LOGQ_H */
