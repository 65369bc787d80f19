/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PROCSTAT_H
#define PROCSTAT_H

/*
 * The process_* figures every Prometheus client library exports, for the
 * exporter's own process.  Landlock lets the parent open nothing under
 * /proc once it is confined, so the files are opened at start
 * (procstat_open()) and read again through those descriptors.
 */

struct procstat {
	double	cpu_seconds;		/* user and system */
	double	resident_bytes;
	double	virtual_bytes;
	double	open_fds;
	double	max_fds;
	double	start_time_seconds;	/* since the epoch */
};

/* Opens /proc/self/stat and /proc/self/fd.  Returns 0 or -1 (errno). */
int	procstat_open(void);

/*
 * Reads the figures now.  Returns 0, or -1 when they could not be read
 * (then *ps is zeroed).  Any thread.
 */
int	procstat_read(struct procstat *ps);

#endif /* PROCSTAT_H */
