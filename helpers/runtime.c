/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "buf.h"
#include "err.h"
#include "caps.h"
#include "log.h"
#include "proto.h"
#include "sandbox.h"
#include "utf8.h"

/* Records are written in batches of about this size. */
#define HRT_FLUSH_AT	(32 * 1024)

static struct buf hrt_outbuf;
/* Size of the request frame handed out last, dropped on the next read. */
static size_t hrt_last_frame;

static void
hrt_write_or_exit(const char *p, size_t n)
{
	if (proto_write_all(STDOUT_FILENO, p, n) != 0)
		_exit(1);
}

void
hrt_flush(void)
{
	hrt_write_or_exit(buf_ptr(&hrt_outbuf), buf_len(&hrt_outbuf));
	buf_reset(&hrt_outbuf);
}

void
hrt_flush_maybe(void)
{
	if (buf_len(&hrt_outbuf) >= HRT_FLUSH_AT)
		hrt_flush();
}

struct buf *
hrt_out(void)
{
	return &hrt_outbuf;
}

/* Log lines travel as LOG records so the parent can bound and tag them. */
static void
hrt_log_sink(int level, const char *msg, void *arg)
{
	struct buf clean;

	(void)arg;
	buf_init(&clean, MAX_LOG_MSG * 3);
	if (utf8_sanitize(&clean, msg, strlen(msg)) != 0 ||
	    proto_put_log(&hrt_outbuf, level, buf_ptr(&clean)) != 0) {
		buf_cleanup(&clean);
		return;
	}
	buf_cleanup(&clean);
	/* Warnings and errors go out at once; chatter rides with records. */
	if (level <= LOG_LEVEL_WARN)
		hrt_flush();
	else
		hrt_flush_maybe();
}

void
hrt_init(int helper, int sandbox_mode)
{
	char err[256];

	/* The parent may close our pipes at any time; EPIPE is enough. */
	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_LEVEL_TRACE, LOG_FORMAT_LOGFMT, source_helper_name(helper));
	/* Records accumulate up to HRT_FLUSH_AT, plus the frame that crosses it. */
	buf_init(&hrt_outbuf, 4 * PROTO_MAX_FRAME);
	if (sbx_helper_enter(helper, sandbox_mode, err, sizeof(err)) != 0)
		fatal_f("sandbox: %s", err);
	log_set_sink(hrt_log_sink, NULL);
}

#ifdef PCE_TEST_HOOKS
/*
 * Test builds only: misbehave as the parent asks (PROTO_FAULT_*).  A
 * forbidden syscall (unshare(0) is a no-op when it does run) kills us in
 * enforce mode; in log mode it goes through and we answer END.  The two
 * protocol faults send what no helper may send; the parent must kill us.
 */
static void
hrt_fault(const struct proto_req *req)
{
	static const unsigned char unknown[] = { 0, 0, 0, 1, 0x7e };
	static const unsigned char oversized[] = { 0x7f, 0xff, 0xff, 0xff };
	uint64_t start = deadline_now_us();
	long r;

	switch (req->deadline_ms) {
	case PROTO_FAULT_PROTOCOL:
		hrt_write_or_exit((const char *)unknown, sizeof(unknown));
		break;
	case PROTO_FAULT_OVERSIZED:
		hrt_write_or_exit((const char *)oversized, sizeof(oversized));
		break;
	default:
		r = syscall(SYS_unshare, 0);
		hrt_end(0, 0, start, r == 0 ? "forbidden syscall survived" :
		    "forbidden syscall failed");
		return;
	}
	hrt_end(0, 0, start, "");
}
#endif

/*
 * Blocks for the next request.  Returns 0 with req filled (its ids point
 * into frame until the next call).
 */
static int
hrt_read_request(struct buf *frame, struct proto_req *req)
{
	const unsigned char *body;
	uint8_t type;
	size_t len;
	ssize_t n;
	char *p;
	int r;

	buf_consume(frame, hrt_last_frame);
	hrt_last_frame = 0;
	for (;;) {
		if ((r = proto_next(frame, &type, &body, &len)) < 0) {
			fatal_f("bad request frame: %s", err_str(r));
		} else if (r == 1) {
			if ((r = proto_get_req(type, body, len, req)) != 0)
				fatal_f("bad request type 0x%02x: %s", type,
				    err_str(r));
			hrt_last_frame = proto_frame_size(len);
#ifdef PCE_TEST_HOOKS
			if (req->type == PROTO_REQ_FAULT) {
				hrt_fault(req);
				buf_consume(frame, hrt_last_frame);
				hrt_last_frame = 0;
				continue;
			}
#endif
			return 0;
		}
		if (buf_space(frame, 16384, &p) != 0)
			fatal_f("request larger than %d bytes",
			    PROTO_MAX_FRAME);
		n = read(STDIN_FILENO, p, 16384);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fatal_f("read request: %s", strerror(errno));
		if (n == 0)
			exit(0);
		buf_commit(frame, (size_t)n);
	}
}

void
hrt_serve(const uint8_t *types, hrt_request_fn *fn)
{
	struct deadline deadline;
	struct proto_req req;
	struct buf frame;
	const uint8_t *t;

	/* Twice the frame cap: a frame may straddle two reads. */
	buf_init(&frame, 2 * PROTO_MAX_FRAME);
	for (;;) {
		hrt_read_request(&frame, &req);
		/* The one conversion of the parent's deadline_ms. */
		deadline = deadline_in_ms(req.deadline_ms);
		for (t = types; *t != 0 && *t != req.type; t++)
			;
		if (*t == 0)
			fatal_f("unexpected request 0x%02x", req.type);
		fn(&req, deadline);
	}
}

void
hrt_end(int status, uint32_t records, uint64_t start_us, const char *reason)
{
	if (proto_put_end(&hrt_outbuf, status, records,
	    deadline_now_us() - start_us, reason == NULL ? "" : reason) != 0)
		_exit(1);
	hrt_flush();
}

struct deadline
hrt_backstop(struct deadline deadline)
{
	deadline.at_us += 1000000;
	return deadline;
}

void
hrt_quote(char *out, size_t outsz, const char *s, size_t n)
{
	struct buf b;
	size_t len;

	if (outsz == 0)
		return;
	out[0] = '\0';
	buf_init(&b, MAX_LOG_MSG * 3);
	if (n > MAX_LOG_MSG / 4)
		n = MAX_LOG_MSG / 4;
	if (utf8_sanitize(&b, s, n) == 0) {
		len = buf_len(&b);
		if (len >= outsz)
			len = outsz - 1;
		/* Cut at a character boundary. */
		while (len > 0 && ((unsigned char)buf_ptr(&b)[len] & 0xc0) ==
		    0x80)
			len--;
		memcpy(out, buf_ptr(&b), len);
		out[len] = '\0';
	}
	buf_cleanup(&b);
}
