/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <stdint.h>
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
#include "procstat.h"
#include "proto.h"
#include "sandbox.h"
#include "utf8.h"

/* Records are written in batches of about this size. */
#define HRT_FLUSH_AT	(32 * 1024)
/* Bytes asked of one read() of requests. */
#define HRT_READ_CHUNK	16384

/* enum sandbox_mode, from hrt_init(). */
static int hrt_mode;
/* procstat_open() was tried. */
static int hrt_procstat_opened;

static struct buf hrt_outbuf;
/* Size of the request frame handed out last, dropped on the next read. */
static size_t hrt_last_frame;
/* A write to the parent failed: nothing can reach it any more. */
static int hrt_parent_gone;

void
hrt_die(const char *fmt, ...)
{
	va_list ap;

	/*
	 * Through the log sink once it is set, so the message leaves as a
	 * LOG record on the record pipe.  If that write fails it comes back
	 * here with hrt_parent_gone set, and exits at once.
	 */
	if (!hrt_parent_gone) {
		va_start(ap, fmt);
		log_emitv(LOG_LEVEL_ERROR, __func__, fmt, ap);
		va_end(ap);
	}
	/*
	 * _exit, not exit: no atexit handler is worth running in a helper
	 * that gives up, and no stdio buffer may flush into the record pipe.
	 */
	_exit(1);
}

/* Writes p[0..n) to the parent; dies if that fails. */
static void
hrt_write(const char *p, size_t n)
{
	int r;

	if ((r = proto_write_all(STDOUT_FILENO, p, n)) != 0) {
		hrt_parent_gone = 1;
		hrt_die("write to the parent: %s", err_str(r));
	}
}

void
hrt_flush(void)
{
	hrt_write(buf_ptr(&hrt_outbuf), buf_len(&hrt_outbuf));
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

/*
 * The log sink once sandboxed: log lines travel as LOG records so the
 * parent can bound and tag them.  A line that cannot be encoded is lost.
 */
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
hrt_init(int helper, int sandbox_mode, const struct sbx_landlock *ll)
{
	hrt_mode = sandbox_mode;
	char err[256];

	/* The parent may close our pipes at any time; EPIPE is enough. */
	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_LEVEL_TRACE, LOG_FORMAT_LOGFMT,
	    source_helper_name(helper));
	/* Records gather up to HRT_FLUSH_AT, plus the frame that crosses it. */
	buf_init(&hrt_outbuf, 4 * PROTO_MAX_FRAME);
	if (sbx_helper_enter(helper, sandbox_mode, ll, err, sizeof(err)) != 0)
		hrt_die("sandbox: %s", err);
	log_set_sink(hrt_log_sink, NULL);
}

#ifdef PCE_TEST_HOOKS
/*
 * Test builds only: misbehave as the parent asks (PROTO_FAULT_*).  A
 * forbidden syscall (unshare(0) is a no-op when it does run) kills us in
 * enforce mode; in log mode it goes through and we answer END.  The two
 * protocol faults send what no helper may send; the parent must kill us.
 */
/*
 * Writes a function (x86-64 "ret", or whatever the byte is elsewhere:
 * it is never called there) to an anonymous page and makes the page
 * executable, as an exploit would.  Memory-deny-write-execute refuses
 * the mprotect(); without it the code runs and the helper dies saying so.
 */
static void
hrt_fault_wx(void)
{
	void (*fn)(void);
	unsigned char *p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		hrt_die("write-then-execute: mmap: %s", strerror(errno));
	p[0] = 0xc3;
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) == -1) {
		warn_f("write-then-execute refused: mprotect: %s",
		    strerror(errno));
		(void)munmap(p, 4096);
		return;
	}
#if defined(__x86_64__)
	fn = (void (*)(void))(uintptr_t)p;
	fn();
#else
	(void)fn;
#endif
	hrt_die("write-then-execute ran");
}

/*
 * What a helper taken over would write to be read as the exporter: a
 * forged log line on fd 2, then 5000 more, and 5000 LOG records.
 */
static void
hrt_fault_logflood(void)
{
	static const char forged[] = "ts=2000-01-01T00:00:00.000Z "
	    "level=error caller=main msg=\"forged by a helper\"\n";
	char line[160];
	int i;

	(void)!write(STDERR_FILENO, forged, sizeof(forged) - 1);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (i = 0; i < 5000; i++)
		(void)!write(STDERR_FILENO, line, sizeof(line));
	for (i = 0; i < 5000; i++)
		warn_f("log record %d of a flood", i);
}

/*
 * Tries what Landlock takes away (a file outside the rules, a TCP port
 * outside them, an abstract unix socket) and logs whether it worked.
 */
static void
hrt_fault_probe(uint32_t fault)
{
	struct sockaddr_un un;
	struct sockaddr_in in;
	const char *what;
	char name[64];
	int fd = -1, r = -1;

	switch (fault & 0xff) {
	case PROTO_FAULT_OPEN:
		what = PROTO_FAULT_PROBE_PATH;
		r = fd = open(PROTO_FAULT_PROBE_PATH, O_RDONLY | O_CLOEXEC);
		fd = -1;
		if (r != -1)
			close(r);
		break;
	case PROTO_FAULT_CONNECT:
		(void)snprintf(name, sizeof(name), "127.0.0.1:%u", fault >> 8);
		what = name;
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = htons((uint16_t)(fault >> 8));
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1)
			r = connect(fd, (struct sockaddr *)&in, sizeof(in));
		break;
	default:
		what = "@" PROTO_FAULT_PROBE_SOCKET;
		memset(&un, 0, sizeof(un));
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path + 1, PROTO_FAULT_PROBE_SOCKET,
		    strlen(PROTO_FAULT_PROBE_SOCKET));
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1)
			r = connect(fd, (struct sockaddr *)&un,
			    (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			    1 + strlen(PROTO_FAULT_PROBE_SOCKET)));
		break;
	}
	if (r == -1)
		warn_f("probe %s: refused: %s", what, strerror(errno));
	else
		warn_f("probe %s: reached", what);
	if (fd != -1)
		close(fd);
}

static void
hrt_fault(const struct proto_req *req)
{
	static const unsigned char unknown[] = { 0, 0, 0, 1, 0x7e };
	static const unsigned char oversized[] = { 0x7f, 0xff, 0xff, 0xff };
	uint64_t start = deadline_now_us();
	long r;

	switch (req->deadline_ms & 0xff) {
	case PROTO_FAULT_PROTOCOL:
		hrt_write((const char *)unknown, sizeof(unknown));
		break;
	case PROTO_FAULT_OVERSIZED:
		hrt_write((const char *)oversized, sizeof(oversized));
		break;
	case PROTO_FAULT_WX:
		hrt_fault_wx();
		break;
	case PROTO_FAULT_LOGFLOOD:
		hrt_fault_logflood();
		break;
	case PROTO_FAULT_OPEN:
	case PROTO_FAULT_CONNECT:
	case PROTO_FAULT_ABSTRACT:
		hrt_fault_probe(req->deadline_ms);
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
 * Appends what stdin has next to frame.  Returns 0, or ERR_EOF once the
 * parent has closed the pipe; dies on a read error or a request over the
 * frame cap.
 */
static int
hrt_read_more(struct buf *frame)
{
	ssize_t n;
	char *p;

	if (buf_space(frame, HRT_READ_CHUNK, &p) != 0)
		hrt_die("request larger than %d bytes", PROTO_MAX_REQUEST);
	/* A signal may interrupt the wait for the parent. */
	do
		n = read(STDIN_FILENO, p, HRT_READ_CHUNK);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		hrt_die("read request: %s", strerror(errno));
	if (n == 0)
		return ERR_EOF;
	buf_commit(frame, (size_t)n);
	return 0;
}

/*
 * Blocks for the next request.  Returns 0 with req filled (its ids point
 * into frame until the next call), or ERR_EOF once the parent has closed
 * the pipe; dies on a malformed request.
 */
static int
hrt_read_request(struct buf *frame, struct proto_req *req)
{
	const unsigned char *body;
	uint8_t type;
	size_t len;
	int r;

	/* A query's frame holds the upstream's credentials: zeroed. */
	explicit_bzero((char *)(uintptr_t)buf_ptr(frame), hrt_last_frame);
	buf_consume(frame, hrt_last_frame);
	hrt_last_frame = 0;
	for (;;) {
		if ((r = proto_next_max(frame, PROTO_MAX_REQUEST, &type, &body,
		    &len)) < 0)
			hrt_die("bad request frame: %s", err_str(r));
		if (r == 0) {
			if ((r = hrt_read_more(frame)) != 0)
				return r;
			continue;
		}
		if ((r = proto_get_req(type, body, len, req)) != 0)
			hrt_die("bad request type 0x%02x: %s", type,
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
}

void
hrt_serve(const uint8_t *types, hrt_request_fn *fn)
{
	struct deadline deadline;
	struct proto_req req;
	struct buf frame;
	const uint8_t *t;

	/* A frame may straddle two reads. */
	buf_init(&frame, PROTO_MAX_REQUEST + PROTO_MAX_FRAME);
	for (;;) {
		/* End of input is the parent's way to stop us: status 0. */
		if (hrt_read_request(&frame, &req) != 0) {
			buf_cleanup(&frame);
			exit(0);
		}
		/* The one conversion of the parent's deadline_ms. */
		deadline = deadline_in_ms(req.deadline_ms);
		for (t = types; *t != 0 && *t != req.type; t++)
			;
		if (*t == 0)
			hrt_die("unexpected request 0x%02x", req.type);
		fn(&req, deadline);
		/*
		 * What a large request took (its budget's keys) goes back
		 * to the system while the helper waits for the next one.
		 */
		malloc_trim(0);
	}
}

void
hrt_end(int status, uint32_t records, uint64_t start_us, const char *reason)
{
	struct proto_procstat pp;
	struct procstat ps;
	int r;

	/*
	 * The helper's own figures, for the exporter's helper_* families:
	 * /proc/self opened at the first END (its first descriptors are
	 * closed as the helper confines itself), which its Landlock rules
	 * allow.
	 */
	if (!hrt_procstat_opened) {
		hrt_procstat_opened = 1;
		(void)procstat_open();
	}
	if (procstat_read(&ps) == 0) {
		pp.cpu_seconds = ps.cpu_seconds;
		pp.resident_bytes = ps.resident_bytes;
		pp.virtual_bytes = ps.virtual_bytes;
		pp.open_fds = ps.open_fds;
		pp.max_fds = ps.max_fds < 0 ? 0 : ps.max_fds;
		pp.start_time_seconds = ps.start_time_seconds;
		(void)proto_put_procstat(&hrt_outbuf, &pp);
	}
	if ((r = proto_put_end(&hrt_outbuf, status, records,
	    deadline_now_us() - start_us, reason == NULL ? "" : reason)) != 0)
		hrt_die("encoding END failed: %s", err_str(r));
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
		len = utf8_cut(buf_ptr(&b), buf_len(&b), outsz - 1);
		memcpy(out, buf_ptr(&b), len);
		out[len] = '\0';
	}
	buf_cleanup(&b);
}

int
hrt_landlock_args(struct sbx_landlock *ll, int argc, char **argv, int first)
{
	unsigned long port;
	char *end;
	int i;

	for (i = first; i < argc; i++) {
		if (strncmp(argv[i], "path:/", 6) == 0) {
			sbx_landlock_path(ll, argv[i] + 5, 1);
			continue;
		}
		if (strncmp(argv[i], "port:", 5) != 0)
			return -1;
		errno = 0;
		port = strtoul(argv[i] + 5, &end, 10);
		if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
			return -1;
		sbx_landlock_port(ll, (unsigned int)port);
	}
	return 0;
}

int
hrt_sandbox_mode(void)
{
	return hrt_mode;
}
