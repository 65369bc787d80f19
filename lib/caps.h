/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CAPS_H
#define CAPS_H

/*
 * The caps on inputs and outputs that cross module boundaries (between the
 * parent, the helpers and the lib modules they share) live here.  A cap
 * private to one file sits at the top of that file instead, such as
 * HTTP_MEMORY_LIMIT in cmd/http.c, SUP_READ_CHUNK in cmd/supervise.c or
 * HRT_FLUSH_AT in helpers/runtime.c.  Input beyond a cap is refused with
 * ERR_TOOBIG, or cut where a part is worth keeping (log messages, END
 * reasons); nothing grows unbounded.  Sized for sites of 20 000 running
 * jobs and 100 000 Lustre series with a wide margin.
 */

/* A label value (account, user, group, process name, target), in bytes. */
#define MAX_LABEL		512

/* Record protocol: one frame, type plus body. */
#define PROTO_MAX_FRAME		(64 * 1024)
/*
 * The upstream client settings a QUERY request carries (lib/upclient.h):
 * credentials, headers, and PEM a site may point at its whole CA bundle
 * (Debian's is about 200 kB).
 */
#define UPCLIENT_MAX		(1024 * 1024)
/* A request frame (parent to helper): a QUERY with its settings. */
#define PROTO_MAX_REQUEST	(PROTO_MAX_FRAME + UPCLIENT_MAX)
/*
 * Bytes one source may make the parent hold until it ends: its decoded
 * entries, one per distinct key (lib/sink.h), and the names it was the
 * first to bring (lib/names.h).  The parent's address-space limit
 * (sandbox.c) is sized from it.
 */
#define MAX_SINK_BYTES		((size_t)256 * 1024 * 1024)
/*
 * The names of one collection: what the four record sources may bring
 * within their MAX_SINK_BYTES, and as much again for the user and group
 * names of the accounts source.
 */
#define MAX_NAMES_BYTES		(5 * MAX_SINK_BYTES)
/*
 * Entries of one hash table, and so the ceiling of --source.max-keys:
 * distinct jobs or series of one source in one scrape.
 */
#define MAX_RECORDS		8000000

/*
 * One value of an upstream answer, held whole while jsmn tokenizes it: an
 * element of data.result (a series is about 100 bytes), or a member such
 * as error or warnings.  The answer itself streams through and has no cap
 * but the deadline and the source's budgets.
 */
#define JSON_MAX_VALUE		(256 * 1024)

/* One line of squeue or getent output. */
#define MAX_LINE		4096
/* Whole squeue or getent output. */
#define MAX_CMD_OUTPUT		(64 * 1024 * 1024)
/* Captured stderr of a command, for the error message. */
#define MAX_CMD_STDERR		4096

/* Keys passed to one getent invocation (argv stays far below ARG_MAX). */
#define MAX_GETENT_KEYS		1000
/* Ids the parent asks the accounts helper about in one request. */
#define MAX_ACCOUNT_IDS		200000

/* A log message, after escaping. */
#define MAX_LOG_MSG		1024

/* Whole /metrics answer. */
#define MAX_EXPOSITION		(512 * 1024 * 1024)

#endif /* CAPS_H */
