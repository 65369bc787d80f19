/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SLURM_H
#define SLURM_H

#include <stddef.h>
#include <stdint.h>

/*
 * squeue output.  The exporter runs `squeue -ah -o SLURM_FORMAT`: job id
 * (%A, unique per array element), account, user, separated by '|', which
 * Slurm does not allow in account or user names.
 */
#define SLURM_FORMAT	"%A|%a|%u"
#define SLURM_DELIM	'|'

struct slurm_job {
	uint64_t	 jobid;
	const char	*account;	/* points into the line */
	size_t		 account_len;
	const char	*user;
	size_t		 user_len;
};

/*
 * Parses one line without its newline (a trailing '\r' is an error).
 * Accepted: exactly three '|'-separated fields; or, for wrappers that
 * print the original's `%A %a %u` form, a line without '|' holding
 * exactly three fields separated by single spaces.  jobid is canonical
 * decimal (fits u64, no leading zero); account and user are non-empty,
 * at most MAX_LABEL bytes, without NUL or whitespace.  Returns 0, or
 * ERR_INVAL / ERR_TOOBIG with *why (if not NULL) a static reason.
 */
int	slurm_parse_line(const char *line, size_t n, struct slurm_job *job,
	    const char **why);

#endif /* SLURM_H */
