/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LUSTRE_H
#define LUSTRE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Lustre jobids: a SLURM job id ("12345": canonical decimal, no sign, no
 * leading zero, fits u64) or "procname.uid" where uid is the canonical
 * decimal after the LAST dot (fits u32, below 4294967295) and procname is
 * everything before it (non-empty; may contain dots).
 */
enum lustre_jobid_kind {
	LUSTRE_JOBID_JOB = 1,
	LUSTRE_JOBID_PROC = 2,
};

struct lustre_jobid {
	int		 kind;
	uint64_t	 jobid;		/* kind JOB */
	uint32_t	 uid;		/* kind PROC */
	const char	*proc;		/* kind PROC: points into the input */
	size_t		 proc_len;
};

/*
 * Classifies s[0..n).  Returns 0, or ERR_INVAL with *why (if why is not
 * NULL) set to a static reason: "empty jobid", "no dot before uid",
 * "empty process name", "uid not numeric", "uid out of range", ...
 * out is cleared on entry.
 */
int	lustre_parse_jobid(const char *s, size_t n, struct lustre_jobid *out,
	    const char **why);

/* 1 if target matches ^.*-MDT[[:xdigit:]]{4}$, else 0. */
int	lustre_is_mdt_target(const char *s, size_t n);

#endif /* LUSTRE_H */
