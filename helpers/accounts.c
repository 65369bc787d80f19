/* SPDX-License-Identifier: Apache-2.0 */
/*
 * accounts helper: looks uids and gids up with `getent passwd UID...` and
 * `getent group GID...` (keys, never enumeration: directories such as SSSD
 * do not enumerate by default) and streams USER and GROUP records.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "command.h"
#include "err.h"
#include "getent.h"
#include "hash.h"
#include "caps.h"
#include "log.h"
#include "proto.h"
#include "runtime.h"
#include "sandbox.h"
#include "utf8.h"

#define ACCOUNTS_LOG_BAD_LINES	10

static const char *accounts_getent;

struct accounts_ctx {
	int		 groups;	/* 0: passwd, 1: group */
	struct hash	*wanted;	/* ids asked for */
	struct hash	*sent;		/* ids answered already */
	uint32_t	 records;
	uint32_t	 bad;
	uint32_t	 lineno;
	struct buf	 name;
};

/* One entry of getent's output, from either database. */
struct accounts_entry {
	uint32_t	 id;		/* uid or gid */
	uint32_t	 gid;		/* passwd: the primary group */
	const char	*name;
	size_t		 nlen;
};

/*
 * Parses one line of getent output (status as cmd_line_fn gives it) into
 * e.  Returns 0, or an ERR_* after logging the line, up to
 * ACCOUNTS_LOG_BAD_LINES per request.
 */
static int
accounts_parse(struct accounts_ctx *ctx, const char *line, size_t len,
    int status, struct accounts_entry *e)
{
	struct getent_passwd pw;
	struct getent_group gr;
	const char *why = "line longer than MAX_LINE";
	char quoted[128];
	int r = ERR_TOOBIG;

	memset(e, 0, sizeof(*e));
	if (status == 0 && ctx->groups)
		r = getent_parse_group(line, len, &gr, &why);
	else if (status == 0)
		r = getent_parse_passwd(line, len, &pw, &why);
	if (r != 0) {
		if (ctx->bad++ < ACCOUNTS_LOG_BAD_LINES) {
			hrt_quote(quoted, sizeof(quoted), line == NULL ? "" :
			    line, len);
			warn_f("getent %s line %u skipped (%s): \"%s\"",
			    ctx->groups ? "group" : "passwd", ctx->lineno, why,
			    quoted);
		}
		return r;
	}
	if (ctx->groups) {
		e->id = gr.gid;
		e->name = gr.name;
		e->nlen = gr.name_len;
	} else {
		e->id = pw.uid;
		e->gid = pw.gid;
		e->name = pw.name;
		e->nlen = pw.name_len;
	}
	return 0;
}

/*
 * Sends e as a USER or GROUP record if it was asked for and not sent yet,
 * and its name fits a label.  Returns 0 or ERR_NOMEM; dies if the record
 * cannot be encoded.
 */
static int
accounts_send(struct accounts_ctx *ctx, const struct accounts_entry *e)
{
	unsigned char key[4];
	uint32_t v;
	int r, inserted;

	/* Only what was asked, once: extra lines change nothing. */
	hash_key_u32(key, e->id);
	if (hash_get(ctx->wanted, key, sizeof(key), &v) != 0)
		return 0;
	if (hash_put(ctx->sent, key, sizeof(key), 0, &v, &inserted) != 0)
		return ERR_NOMEM;
	if (!inserted)
		return 0;
	buf_reset(&ctx->name);
	if (utf8_sanitize(&ctx->name, e->name, e->nlen) != 0 ||
	    buf_len(&ctx->name) > MAX_LABEL)
		return 0;
	if (ctx->groups)
		r = proto_put_group(hrt_out(), e->id, buf_ptr(&ctx->name),
		    buf_len(&ctx->name));
	else
		r = proto_put_user(hrt_out(), e->id, buf_ptr(&ctx->name),
		    buf_len(&ctx->name), e->gid);
	if (r != 0)
		hrt_die("encoding account record failed: %s", err_str(r));
	ctx->records++;
	hrt_flush_maybe();
	return 0;
}

/*
 * The cmd_line_fn of getent: a bad line is skipped, a good one sent.
 * Returns 0, or ERR_NOMEM, which abandons getent (command.h).
 */
static int
accounts_line(const char *line, size_t len, int status, void *arg)
{
	struct accounts_ctx *ctx = arg;
	struct accounts_entry e;

	ctx->lineno++;
	if (accounts_parse(ctx, line, len, status, &e) != 0)
		return 0;
	return accounts_send(ctx, &e);
}

/* Files the ids of req as wanted.  Returns 0 or ERR_NOMEM. */
static int
accounts_want(struct accounts_ctx *ctx, const struct proto_req *req)
{
	unsigned char key[4];
	uint32_t i, v;
	int inserted;

	for (i = 0; i < req->nids; i++) {
		hash_key_u32(key, proto_req_id(req, i));
		if (hash_put(ctx->wanted, key, sizeof(key), 0, &v,
		    &inserted) != 0)
			return ERR_NOMEM;
	}
	return 0;
}

/*
 * getent batches (of MAX_GETENT_KEYS keys) run at once.  A lookup by key
 * mostly waits on the directory (sssd, nslcd, an LDAP server), so a few
 * at once hide most of that wait.  Beyond a few, the gain flattens while
 * the load grows on the one directory the whole site shares, at every
 * scrape of every exporter, and, with NSS files, on the server's cores.
 */
#define ACCOUNTS_PARALLEL	4

/* One request's getent batches: which run, which failed first. */
struct accounts_run {
	const char		*getent;
	const char		*name;		/* "getent passwd" */
	struct accounts_ctx	*ctx;
	const struct proto_req	*req;
	struct cmd_set		*set;
	uint32_t		 next;		/* batch to start next */
	uint32_t		 nbatches;
	uint32_t		 failed;	/* lowest failed batch, or
						 * UINT32_MAX */
	int			 ret;		/* its ERR_* */
	char			 why[512];	/* its reason */
	char			*argv[MAX_GETENT_KEYS + 3];
	char			 keys[MAX_GETENT_KEYS][12];
};

/*
 * Keeps batch b's failure if no lower batch failed: the request ends with
 * the reason of the lowest batch that failed, as when batches ran in turn
 * and the first failure ended the request.  No batch starts after it.
 */
static void
accounts_fail(struct accounts_run *run, uint32_t b, int r, const char *why)
{
	if (b < run->failed) {
		run->failed = b;
		run->ret = r;
		snprintf(run->why, sizeof(run->why), "%s", why);
	}
}

/*
 * Starts getent for batch b: the ids of the request from
 * b * MAX_GETENT_KEYS on.  A command that cannot start fails the batch.
 */
static void
accounts_start(struct accounts_run *run, uint32_t b)
{
	const struct proto_req *req = run->req;
	struct cmd_result res;
	char why[512];
	uint32_t first = b * MAX_GETENT_KEYS, j, n;
	int r;

	n = req->nids - first;
	if (n > MAX_GETENT_KEYS)
		n = MAX_GETENT_KEYS;
	run->argv[0] = (char *)run->getent;
	run->argv[1] = run->ctx->groups ? "group" : "passwd";
	for (j = 0; j < n; j++) {
		snprintf(run->keys[j], sizeof(run->keys[j]), "%u",
		    proto_req_id(req, first + j));
		run->argv[2 + j] = run->keys[j];
	}
	run->argv[2 + n] = NULL;
	r = cmd_set_start(run->set, (int)b, run->getent, run->argv,
	    accounts_line, run->ctx, &res);
	if (r != 0) {
		(void)cmd_explain(run->name, r, &res, 2, why, sizeof(why));
		accounts_fail(run, b, r, why);
	}
}

/*
 * Runs getent over the ids of req in batches of MAX_GETENT_KEYS,
 * ACCOUNTS_PARALLEL at once; after a failure, starts no more and waits for
 * those running.  Returns 0, or an ERR_* with reason set.
 */
static int
accounts_lookup(const char *getent, struct accounts_ctx *ctx,
    const struct proto_req *req, struct deadline deadline, char *reason,
    size_t reasonsz)
{
	struct accounts_run *run;
	struct cmd_result res;
	char why[512];
	int id, r, ret = ERR_NOMEM;

	if ((run = calloc(1, sizeof(*run))) == NULL ||
	    (run->set = cmd_set_new()) == NULL ||
	    accounts_want(ctx, req) != 0) {
		snprintf(reason, reasonsz, "out of memory");
		goto out;
	}
	run->getent = getent;
	run->name = ctx->groups ? "getent group" : "getent passwd";
	run->ctx = ctx;
	run->req = req;
	run->nbatches = (req->nids + MAX_GETENT_KEYS - 1) / MAX_GETENT_KEYS;
	run->failed = UINT32_MAX;
	for (;;) {
		while (run->failed == UINT32_MAX &&
		    run->next < run->nbatches &&
		    cmd_set_running(run->set) < ACCOUNTS_PARALLEL)
			accounts_start(run, run->next++);
		if ((id = cmd_set_wait(run->set, deadline, &res)) < 0)
			break;
		/* 2 means "some key not found", which is an answer too. */
		if ((r = cmd_explain(run->name, 0, &res, 2, why,
		    sizeof(why))) != 0)
			accounts_fail(run, (uint32_t)id, r, why);
	}
	if ((ret = run->ret) != 0)
		snprintf(reason, reasonsz, "%s", run->why);
 out:
	if (run != NULL)
		cmd_set_free(run->set);
	free(run);
	return ret;
}

/* Answers one USERS or GROUPS request, ending it with END. */
static void
accounts_request(const char *getent, const struct proto_req *req,
    struct deadline deadline)
{
	struct accounts_ctx ctx;
	char reason[512];
	uint64_t start = deadline_now_us();
	int status = 1;

	memset(&ctx, 0, sizeof(ctx));
	reason[0] = '\0';
	ctx.groups = req->type == PROTO_REQ_GROUPS;
	buf_init(&ctx.name, MAX_LABEL * 3);
	if ((ctx.wanted = hash_new(req->nids)) == NULL ||
	    (ctx.sent = hash_new(req->nids)) == NULL) {
		snprintf(reason, sizeof(reason), "out of memory");
		goto out;
	}
	if (access(getent, X_OK) == -1) {
		snprintf(reason, sizeof(reason), "%s: %s", getent,
		    strerror(errno));
		goto out;
	}
	if (accounts_lookup(getent, &ctx, req, hrt_backstop(deadline), reason,
	    sizeof(reason)) != 0)
		goto out;
	status = 0;
	if (ctx.bad > 0)
		warn_f("%u getent lines skipped", ctx.bad);
 out:
	hrt_end(status, ctx.records, start, reason);
	hash_free(ctx.wanted);
	hash_free(ctx.sent);
	buf_cleanup(&ctx.name);
}

/* The hrt_request_fn: accounts_request() with the getent of argv. */
static void
accounts_serve(const struct proto_req *req, struct deadline deadline)
{
	accounts_request(accounts_getent, req, deadline);
}

int
main(int argc, char **argv)
{
	static const uint8_t types[] = { PROTO_REQ_USERS, PROTO_REQ_GROUPS, 0 };
	static struct sbx_landlock ll;
	int mode;

	/*
	 * argv: accounts MODE GETENT [path:DIR...], as the spawner builds it:
	 * --sandbox.read-path's directories for Landlock.
	 */
	if (argc < 3 || (mode = sbx_mode_parse(argv[1])) == -1 ||
	    argv[2][0] != '/' || hrt_landlock_args(&ll, argc, argv, 3) != 0) {
		fprintf(stderr,
		    "usage: accounts enforce|log|off /path/to/getent\n");
		return 2;
	}
	accounts_getent = argv[2];
	cmd_landlock(&ll, accounts_getent);
	hrt_init(HELPER_ACCOUNTS, mode, &ll);
	hrt_serve(types, accounts_serve);
}
