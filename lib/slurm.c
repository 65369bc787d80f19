/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "slurm.h"
#include "decimal.h"
#include "err.h"
#include "caps.h"

#define SLURM_NFIELDS	3

/* The C locale's isspace(), without depending on the process locale. */
static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
	    c == '\f' || c == '\r';
}

/* Per-field reasons, so every message names the field it is about. */
static const struct {
	const char	*empty;
	const char	*space;
	const char	*toobig;
} field_why[SLURM_NFIELDS] = {
	{ "empty job id", "whitespace in job id", "job id too long" },
	{ "empty account", "whitespace in account",
	    "account longer than MAX_LABEL bytes" },
	{ "empty user", "whitespace in user",
	    "user longer than MAX_LABEL bytes" },
};

int
slurm_parse_line(const char *line, size_t n, struct slurm_job *job,
    const char **why)
{
	const char *reason = NULL, *f[SLURM_NFIELDS], *p, *end, *d, *fe;
	size_t flen[SLURM_NFIELDS], nf, i, j;
	uint64_t v;
	char delim;
	int r, ret = ERR_INVAL;

	memset(job, 0, sizeof(*job));
	if (why != NULL)
		*why = NULL;
	if (line == NULL || n == 0) {
		reason = "empty line";
		goto out;
	}
	if (memchr(line, '\0', n) != NULL) {
		reason = "NUL byte in line";
		goto out;
	}
	/* A CRLF stream is not squeue output; say so instead of guessing. */
	if (line[n - 1] == '\r') {
		reason = "carriage return at end of line";
		goto out;
	}

	/*
	 * '|' cannot occur in Slurm account or user names, so a line holding
	 * one is in the SLURM_FORMAT form.  Otherwise it must be the
	 * original's "%A %a %u" form, where a single space is the separator
	 * and anything looser would make the field boundaries a guess.
	 */
	if (memchr(line, SLURM_DELIM, n) != NULL)
		delim = SLURM_DELIM;
	else {
		delim = ' ';
		for (i = 0; i < n; i++) {
			if (line[i] == ' ' && (i == 0 || i == n - 1 ||
			    line[i + 1] == ' ')) {
				reason = "fields not separated by single "
				    "spaces";
				goto out;
			}
		}
	}

	end = line + n;
	p = line;
	for (nf = 0;; nf++) {
		d = memchr(p, delim, (size_t)(end - p));
		fe = d != NULL ? d : end;
		if (nf == SLURM_NFIELDS) {
			reason = "extra field";
			goto out;
		}
		f[nf] = p;
		flen[nf] = (size_t)(fe - p);
		if (d == NULL) {
			nf++;
			break;
		}
		p = d + 1;
	}
	if (nf < SLURM_NFIELDS) {
		reason = "missing field";
		goto out;
	}

	for (i = 0; i < SLURM_NFIELDS; i++) {
		if (flen[i] == 0) {
			reason = field_why[i].empty;
			goto out;
		}
		if (flen[i] > MAX_LABEL) {
			reason = field_why[i].toobig;
			ret = ERR_TOOBIG;
			goto out;
		}
		for (j = 0; j < flen[i]; j++) {
			if (is_space(f[i][j])) {
				reason = field_why[i].space;
				goto out;
			}
		}
	}

	if ((r = dec_parse(f[0], flen[0], UINT64_MAX, &v)) != DEC_OK) {
		reason = dec_reason(r, DEC_JOBID);
		goto out;
	}

	job->jobid = v;
	job->account = f[1];
	job->account_len = flen[1];
	job->user = f[2];
	job->user_len = flen[2];
	ret = 0;
 out:
	if (ret != 0 && why != NULL)
		*why = reason;
	return ret;
}
