/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slurm helper: runs squeue on request and streams one JOB record per
 * running or pending job.  squeue's output is user-influenced (account
 * names), so it is parsed here, confined, never in the parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "budget.h"
#include "command.h"
#include "err.h"
#include "hash.h"
#include "caps.h"
#include "log.h"
#include "proto.h"
#include "runtime.h"
#include "sandbox.h"
#include "slurm.h"
#include "utf8.h"

/* Bad lines are logged one by one up to this many per request. */
#define SLURM_LOG_BAD_LINES	10

static const char *slurm_squeue;

struct slurm_ctx {
	struct budget	 budget;
	char		 over[160];	/* why the budget stopped us */
	uint32_t	 records;
	uint32_t	 bad;
	uint32_t	 lineno;
	struct buf	 account;
	struct buf	 user;
};

/*
 * The cmd_line_fn of squeue: sends a JOB record per new job id, skips a
 * bad line.  Returns 0, or the budget's error once it is used up.
 */
static int
slurm_line(const char *line, size_t len, int status, void *arg)
{
	struct slurm_ctx *ctx = arg;
	struct slurm_job job;
	const char *why = NULL;
	unsigned char key[8];
	char quoted[128];
	uint32_t idx;
	int r, fresh;

	ctx->lineno++;
	if (status != 0) {
		why = "line longer than MAX_LINE";
		r = ERR_TOOBIG;
	} else
		r = slurm_parse_line(line, len, &job, &why);
	if (r != 0) {
		if (ctx->bad++ < SLURM_LOG_BAD_LINES) {
			hrt_quote(quoted, sizeof(quoted), line == NULL ? "" :
			    line, len);
			warn_f("squeue line %u skipped (%s): \"%s\"",
			    ctx->lineno, why, quoted);
		}
		return 0;
	}
	hash_key_u64(key, job.jobid);
	if ((r = budget_count(&ctx->budget, key, sizeof(key), &idx,
	    &fresh)) != 0) {
		budget_explain(&ctx->budget, r, ctx->over, sizeof(ctx->over));
		/* Said now: stopping squeue ends this helper (command.c). */
		error_f("squeue printed %s", ctx->over);
		return r;
	}
	/* A job id twice: the parent keeps the first, so send it once. */
	if (!fresh)
		return 0;
	buf_reset(&ctx->account);
	buf_reset(&ctx->user);
	if (utf8_sanitize(&ctx->account, job.account, job.account_len) != 0 ||
	    utf8_sanitize(&ctx->user, job.user, job.user_len) != 0 ||
	    buf_len(&ctx->account) > MAX_LABEL ||
	    buf_len(&ctx->user) > MAX_LABEL) {
		if (ctx->bad++ < SLURM_LOG_BAD_LINES)
			warn_f("squeue line %u skipped: label too long",
			    ctx->lineno);
		return 0;
	}
	if (proto_put_job(hrt_out(), job.jobid, buf_ptr(&ctx->account),
	    buf_len(&ctx->account), buf_ptr(&ctx->user),
	    buf_len(&ctx->user)) != 0)
		hrt_die("encoding job record failed");
	ctx->records++;
	hrt_flush_maybe();
	return 0;
}

/* Answers one JOBS request with squeue's jobs, ending it with END. */
static void
slurm_jobs(const char *squeue, const struct proto_req *req,
    struct deadline deadline)
{
	char *argv[] = { "squeue", "-ah", "-o", SLURM_FORMAT, NULL };
	struct slurm_ctx ctx;
	struct cmd_result res;
	char reason[512];
	uint64_t start = deadline_now_us();
	int r, status = 1;

	memset(&ctx, 0, sizeof(ctx));
	buf_init(&ctx.account, MAX_LABEL * 3);
	buf_init(&ctx.user, MAX_LABEL * 3);
	reason[0] = '\0';
	argv[0] = (char *)squeue;
	if (budget_init(&ctx.budget, &req->budget) != 0) {
		snprintf(reason, sizeof(reason), "out of memory");
		goto out;
	}
	if (access(squeue, X_OK) == -1) {
		snprintf(reason, sizeof(reason), "%s: %s", squeue,
		    strerror(errno));
		goto out;
	}
	r = cmd_run(squeue, argv, hrt_backstop(deadline), slurm_line, &ctx,
	    &res);
	if (ctx.over[0] != '\0')
		snprintf(reason, sizeof(reason), "squeue printed %s",
		    ctx.over);
	else if (cmd_explain("squeue", r, &res, -1, reason,
	    sizeof(reason)) == 0)
		status = 0;
	if (status == 0 && ctx.bad > 0)
		warn_f("%u of %u squeue lines skipped", ctx.bad, ctx.lineno);
 out:
	hrt_end(status, ctx.records, start, reason);
	buf_cleanup(&ctx.account);
	buf_cleanup(&ctx.user);
	budget_cleanup(&ctx.budget);
}

/* The hrt_request_fn: slurm_jobs() with the squeue of argv. */
static void
slurm_request(const struct proto_req *req, struct deadline deadline)
{
	slurm_jobs(slurm_squeue, req, deadline);
}

int
main(int argc, char **argv)
{
	static const uint8_t types[] = { PROTO_REQ_JOBS, 0 };
	static struct sbx_landlock ll;
	int mode;

	/*
	 * argv: slurm MODE SQUEUE [path:DIR...], as the spawner builds it:
	 * --sandbox.read-path's directories for Landlock.
	 */
	if (argc < 3 || (mode = sbx_mode_parse(argv[1])) == -1 ||
	    argv[2][0] != '/' || hrt_landlock_args(&ll, argc, argv, 3) != 0) {
		fprintf(stderr,
		    "usage: slurm enforce|log|off /path/to/squeue\n");
		return 2;
	}
	slurm_squeue = argv[2];
	cmd_landlock(&ll, slurm_squeue);
	hrt_init(HELPER_SLURM, mode, &ll);
	hrt_serve(types, slurm_request);
}
