/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PROTO_H
#define PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "caps.h"

/*
 * The record protocol between the parent and its helpers.
 *
 * Each helper reads requests on its stdin and writes records on its stdout.
 * Both directions use the same framing:
 *
 *	u32	length		big-endian; counts type and body,
 *				1..PROTO_MAX_FRAME
 *	u8	type		one of enum proto_type
 *	byte	body[length - 1]
 *
 * Body fields are u8, u32 and u64 (big-endian), f64 (IEEE 754 bits sent as
 * a u64) and strings (u32 length, then that many bytes; no NUL inside, valid
 * UTF-8, at most MAX_LABEL bytes unless stated).  A body must be consumed
 * exactly: missing or trailing bytes are a protocol violation, and so are an
 * unknown type, a type the receiving side does not permit at that moment, a
 * length of 0 or above PROTO_MAX_FRAME.  The parent answers any violation by
 * killing the helper.
 *
 * Requests (parent -> helper, types 0x01..0x3f).  deadline_ms is the time
 * the helper has, from reading the request, to send END.  A budget
 * (max_records, max_keys) is never 0.
 *
 *	REQ_JOBS	u32 deadline_ms, u32 max_records, u32 max_keys
 *		slurm: run squeue; answer JOB* END.  More than max_records
 *		jobs, or more than max_keys distinct job ids, fails the
 *		request (END status 1, naming the budget).
 *	REQ_USERS	u32 deadline_ms, u32 n, n * u32 uid
 *		accounts: look the uids up; answer USER* END.  A uid absent
 *		from the answer does not exist.
 *	REQ_GROUPS	u32 deadline_ms, u32 n, n * u32 gid
 *		accounts: likewise for groups; answer GROUP* END.
 *	REQ_QUERY	u32 deadline_ms, u32 max_records, u32 max_keys,
 *			u32 clen, byte client[clen]
 *		promql: run the three queries at once; answer, in any order,
 *		SERIES* and one SOURCE_END per query, then END.  The budget
 *		holds per query: beyond it that query's SOURCE_END fails.
 *		client (at most UPCLIENT_MAX bytes, lib/upclient.h) holds
 *		the upstream's credentials, TLS and proxy settings, so that
 *		none is in a command line or an environment; a request
 *		frame may therefore reach PROTO_MAX_REQUEST.
 *	REQ_FAULT	u32 fault (test builds only): PROTO_FAULT_*
 *
 * Records (helper -> parent, types 0x40..0x7f).
 *
 *	LOG		u8 level (enum log_level), string msg (<= MAX_LOG_MSG)
 *	END		u8 status (0 ok), u32 records, u64 elapsed_us,
 *			string reason
 *			Closes a request.  records counts the data records sent.
 *	JOB		u64 jobid, string account, string user
 *	USER		u32 uid, string name, u32 gid
 *	GROUP		u32 gid, string name
 *	SERIES		u8 source (enum query_source), u8 kind (1 job, 2 proc),
 *			u64 jobid (kind 1, else 0), u32 uid (kind 2, else 0),
 *			string proc_name (kind 2, else empty),
 *			string target (metadata only, else empty), f64 value
 *	SOURCE_END	u8 source, u8 status (0 ok), u32 series, u32 dropped,
 *			u64 elapsed_us, string reason
 *	PROCSTAT	f64 cpu_seconds, f64 resident_bytes, f64 virtual_bytes,
 *			f64 open_fds, f64 max_fds, f64 start_time_seconds
 *			The helper's own process figures (lib/procstat.h),
 *			before each END; each finite and not negative.
 */

enum proto_type {
	PROTO_REQ_JOBS = 0x01,
	PROTO_REQ_USERS = 0x02,
	PROTO_REQ_GROUPS = 0x03,
	PROTO_REQ_QUERY = 0x04,
	PROTO_REQ_FAULT = 0x3f,

	PROTO_LOG = 0x40,
	PROTO_END = 0x41,
	PROTO_JOB = 0x42,
	PROTO_USER = 0x43,
	PROTO_GROUP = 0x44,
	PROTO_SERIES = 0x45,
	PROTO_SOURCE_END = 0x46,
	PROTO_PROCSTAT = 0x47,
};

/* What a REQ_FAULT asks a test build's helper to do wrong. */
#define PROTO_FAULT_SYSCALL	0	/* a syscall no filter allows */
#define PROTO_FAULT_PROTOCOL	1	/* a record of an unknown type */
#define PROTO_FAULT_OVERSIZED	2	/* a frame header above the cap */
#define PROTO_FAULT_WX		3	/* code written, then made executable */
#define PROTO_FAULT_LOGFLOOD	4	/* forged lines on stderr, a flood of
					 * LOG records */
#define PROTO_FAULT_OPEN	5	/* open PROTO_FAULT_PROBE_PATH */
#define PROTO_FAULT_CONNECT	6	/* TCP to 127.0.0.1, port << 8 */
#define PROTO_FAULT_ABSTRACT	7	/* the abstract unix socket
					 * PROTO_FAULT_PROBE_SOCKET */
/* What the probes of a test build try to reach. */
#define PROTO_FAULT_PROBE_PATH	"/tmp/pce-e2e-landlock-probe"
#define PROTO_FAULT_PROBE_SOCKET	"pce-e2e-abstract-probe"

#define PROTO_KIND_JOB		1
#define PROTO_KIND_PROC		2

/* A string field as decoded: points into the frame, not NUL-terminated. */
struct proto_str {
	const char	*p;
	size_t		 len;
};

struct proto_end {
	uint8_t		 status;
	uint32_t	 records;
	uint64_t	 elapsed_us;
	struct proto_str reason;
};

struct proto_job {
	uint64_t	 jobid;
	struct proto_str account;
	struct proto_str user;
};

struct proto_user {
	uint32_t	 uid;
	struct proto_str name;
	uint32_t	 gid;
};

struct proto_group {
	uint32_t	 gid;
	struct proto_str name;
};

struct proto_series {
	uint8_t		 source;
	uint8_t		 kind;
	uint64_t	 jobid;
	uint32_t	 uid;
	struct proto_str proc;
	struct proto_str target;
	double		 value;
};

struct proto_source_end {
	uint8_t		 source;
	uint8_t		 status;
	uint32_t	 series;
	uint32_t	 dropped;
	uint64_t	 elapsed_us;
	struct proto_str reason;
};

struct proto_procstat {
	double		 cpu_seconds;
	double		 resident_bytes;
	double		 virtual_bytes;
	double		 open_fds;
	double		 max_fds;
	double		 start_time_seconds;
};

struct proto_log {
	uint8_t		 level;
	struct proto_str msg;
};

/* What one source may send: records, and distinct keys among them. */
struct proto_budget {
	uint32_t	 max_records;
	uint32_t	 max_keys;
};

/* A request as decoded by a helper.  ids points into the frame. */
struct proto_req {
	uint8_t		 type;
	uint32_t	 deadline_ms;	/* or the fault number for REQ_FAULT */
	struct proto_budget budget;	/* REQ_JOBS and REQ_QUERY */
	uint32_t	 nids;
	const unsigned char *ids;	/* nids big-endian u32 */
	const unsigned char *client;	/* REQ_QUERY: clen bytes, or NULL */
	uint32_t	 clen;
};

/*
 * Encoders append one complete frame to out.  proto_put_req() needs a
 * budget for REQ_JOBS and REQ_QUERY (ERR_INVAL without) and ignores it
 * otherwise; ids are for REQ_USERS and REQ_GROUPS.  They return 0,
 * ERR_TOOBIG if the frame would exceed PROTO_MAX_FRAME or a string
 * MAX_LABEL (MAX_LOG_MSG for LOG and END reasons, which are truncated
 * rather than refused), or ERR_NUL if a string holds a NUL byte; out is
 * unchanged on error.
 */
int	proto_put_req(struct buf *out, uint8_t type, uint32_t deadline_ms,
	    const struct proto_budget *budget, const uint32_t *ids,
	    uint32_t nids);
/*
 * A REQ_QUERY with its client settings (clen bytes, at most
 * UPCLIENT_MAX); proto_put_req() sends one with none.
 */
int	proto_put_query(struct buf *out, uint32_t deadline_ms,
	    const struct proto_budget *budget, const void *client,
	    size_t clen);
int	proto_put_log(struct buf *out, int level, const char *msg);
int	proto_put_end(struct buf *out, int status, uint32_t records,
	    uint64_t elapsed_us, const char *reason);
int	proto_put_job(struct buf *out, uint64_t jobid, const char *account,
	    size_t alen, const char *user, size_t ulen);
int	proto_put_user(struct buf *out, uint32_t uid, const char *name,
	    size_t nlen, uint32_t gid);
int	proto_put_group(struct buf *out, uint32_t gid, const char *name,
	    size_t nlen);
int	proto_put_series(struct buf *out, const struct proto_series *s);
int	proto_put_source_end(struct buf *out, const struct proto_source_end *e);
int	proto_put_procstat(struct buf *out, const struct proto_procstat *p);

/*
 * Splits the next complete frame off the front of in.  Returns 1 and sets
 * *type, *body and *len (body points into in, valid until in changes) when
 * a frame is complete, 0 when more bytes are needed, or ERR_TOOBIG /
 * ERR_INVAL for a bad length.  The caller consumes 5 + *len bytes once done
 * with the body (proto_frame_size()).
 */
int	proto_next(const struct buf *in, uint8_t *type,
	    const unsigned char **body, size_t *len);
/* The same with another cap: PROTO_MAX_REQUEST for a helper's requests. */
int	proto_next_max(const struct buf *in, size_t max, uint8_t *type,
	    const unsigned char **body, size_t *len);
size_t	proto_frame_size(size_t bodylen);

/*
 * Decoders check the body exactly (lengths, NUL, UTF-8, trailing bytes) and
 * clear the output first.  Return 0 or a negative ERR_*.
 */
int	proto_get_req(uint8_t type, const unsigned char *body, size_t len,
	    struct proto_req *req);
int	proto_get_log(const unsigned char *body, size_t len,
	    struct proto_log *l);
int	proto_get_end(const unsigned char *body, size_t len,
	    struct proto_end *e);
int	proto_get_job(const unsigned char *body, size_t len,
	    struct proto_job *j);
int	proto_get_user(const unsigned char *body, size_t len,
	    struct proto_user *u);
int	proto_get_group(const unsigned char *body, size_t len,
	    struct proto_group *g);
int	proto_get_series(const unsigned char *body, size_t len,
	    struct proto_series *s);
int	proto_get_source_end(const unsigned char *body, size_t len,
	    struct proto_source_end *e);
int	proto_get_procstat(const unsigned char *body, size_t len,
	    struct proto_procstat *p);

/*
 * The identity of a series, for budgets and for summing: kind, then the
 * job id, or the uid and process name, then the target.  Writes at most
 * PROTO_SERIES_KEY_MAX bytes to key and returns how many.
 */
#define PROTO_SERIES_KEY_MAX	(1 + 8 + 4 + 4 + 2 * MAX_LABEL)
size_t	proto_series_key(const struct proto_series *s, unsigned char *key);

/* The i-th id of a decoded REQ_USERS / REQ_GROUPS. */
uint32_t	proto_req_id(const struct proto_req *req, uint32_t i);

/*
 * Blocking full write of a buffer to fd (retries on EINTR and short
 * writes).  Returns 0, ERR_EOF on EPIPE, or ERR_SYSTEM.
 */
int	proto_write_all(int fd, const void *p, size_t n);

#endif /* PROTO_H */
