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

static int
accounts_line(const char *line, size_t len, int status, void *arg)
{
	struct accounts_ctx *ctx = arg;
	struct getent_passwd pw;
	struct getent_group gr;
	const char *why = "line longer than MAX_LINE", *name;
	char quoted[128];
	uint32_t id, gid = 0, v;
	size_t nlen;
	int r = ERR_TOOBIG, inserted;

	ctx->lineno++;
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
		return 0;
	}
	if (ctx->groups) {
		id = gr.gid;
		name = gr.name;
		nlen = gr.name_len;
	} else {
		id = pw.uid;
		gid = pw.gid;
		name = pw.name;
		nlen = pw.name_len;
	}
	/* Only what was asked, once: extra lines change nothing. */
	if (hash_get(ctx->wanted, &id, sizeof(id), &v) != 0)
		return 0;
	if (hash_put(ctx->sent, &id, sizeof(id), 0, &v, &inserted) != 0)
		return ERR_NOMEM;
	if (!inserted)
		return 0;
	buf_reset(&ctx->name);
	if (utf8_sanitize(&ctx->name, name, nlen) != 0 ||
	    buf_len(&ctx->name) > MAX_LABEL)
		return 0;
	if (ctx->groups)
		r = proto_put_group(hrt_out(), id, buf_ptr(&ctx->name),
		    buf_len(&ctx->name));
	else
		r = proto_put_user(hrt_out(), id, buf_ptr(&ctx->name),
		    buf_len(&ctx->name), gid);
	if (r != 0)
		fatal_f("encoding account record failed: %s", err_str(r));
	ctx->records++;
	hrt_flush_maybe();
	return 0;
}

/* Runs getent over ids[0..n) in chunks; returns 0 or fills reason. */
static int
accounts_lookup(const char *getent, struct accounts_ctx *ctx,
    const struct proto_req *req, struct deadline deadline, char *reason,
    size_t reasonsz)
{
	char *argv[MAX_GETENT_KEYS + 3];
	char (*keys)[12] = NULL;
	struct cmd_result res;
	uint32_t i, j, n, v;
	int r, inserted, ret = -1;

	if ((keys = calloc(MAX_GETENT_KEYS, sizeof(*keys))) == NULL) {
		snprintf(reason, reasonsz, "out of memory");
		goto out;
	}
	for (i = 0; i < req->nids; i++) {
		v = proto_req_id(req, i);
		if (hash_put(ctx->wanted, &v, sizeof(v), 0, &j,
		    &inserted) != 0) {
			snprintf(reason, reasonsz, "out of memory");
			goto out;
		}
	}
	argv[0] = (char *)getent;
	argv[1] = ctx->groups ? "group" : "passwd";
	for (i = 0; i < req->nids; i += n) {
		n = req->nids - i;
		if (n > MAX_GETENT_KEYS)
			n = MAX_GETENT_KEYS;
		for (j = 0; j < n; j++) {
			snprintf(keys[j], sizeof(keys[j]), "%u",
			    proto_req_id(req, i + j));
			argv[2 + j] = keys[j];
		}
		argv[2 + n] = NULL;
		r = cmd_run(getent, argv, deadline, accounts_line, ctx, &res);
		if (r != 0) {
			snprintf(reason, reasonsz, "getent %s: %s%s%s",
			    argv[1], err_str(r), res.stderr_text[0] != '\0' ?
			    ": " : "", res.stderr_text);
			goto out;
		}
		/* 2 means "some key not found", which is an answer too. */
		if (!res.exited || (res.exit_code != 0 &&
		    res.exit_code != 2)) {
			if (res.exited)
				snprintf(reason, reasonsz, "getent %s exited "
				    "with status %d: %s", argv[1],
				    res.exit_code, res.stderr_text);
			else
				snprintf(reason, reasonsz, "getent %s killed "
				    "by signal %d", argv[1], res.signal);
			goto out;
		}
	}
	ret = 0;
 out:
	free(keys);
	return ret;
}

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

static void
accounts_serve(const struct proto_req *req, struct deadline deadline)
{
	accounts_request(accounts_getent, req, deadline);
}

int
main(int argc, char **argv)
{
	static const uint8_t types[] = { PROTO_REQ_USERS, PROTO_REQ_GROUPS, 0 };
	int mode;

	/* argv: accounts MODE GETENT, as the spawner builds it. */
	if (argc != 3 || (mode = sbx_mode_parse(argv[1])) == -1 ||
	    argv[2][0] != '/') {
		fprintf(stderr,
		    "usage: accounts enforce|log|off /path/to/getent\n");
		return 2;
	}
	accounts_getent = argv[2];
	hrt_init(HELPER_ACCOUNTS, mode);
	hrt_serve(types, accounts_serve);
}
