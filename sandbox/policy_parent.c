/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows of the parent, which faces the network.  Once initialised it serves
 * HTTP (epoll threads), collects in worker threads, talks to the spawner
 * over its unix sockets and reads helper pipes.  It never forks, never
 * execs and opens no new sockets: the spawner alone starts processes.
 */
#include <sched.h>

#include "policy.h"

static const struct sbx_rule rows[] = {
	/* Process */
	SBX_ALLOW_MASK(clone, 0, CLONE_THREAD | SBX_NS_FLAGS, CLONE_THREAD,
	    "threads (HTTP, collector, squeue waiter), never a process"),
	SBX_ALLOW(rt_sigtimedwait, "the main thread waits for SIGTERM"),
	SBX_ALLOW(wait4, "reaping the spawner at shutdown"),

	/* I/O */
	SBX_ALLOW(epoll_create1, "libmicrohttpd's event loop"),
	SBX_ALLOW(epoll_ctl, "libmicrohttpd's event loop"),
	SBX_ALLOW(epoll_pwait, "libmicrohttpd's event loop"),
	SBX_ALLOW(epoll_wait, "libmicrohttpd's event loop"),
	SBX_ALLOW(eventfd2, "libmicrohttpd wakes its loop on resume"),

	/* Network */
	SBX_ALLOW(accept4, "HTTP connections"),
	SBX_ALLOW(getpeername, "client address for the per-IP limit"),
	SBX_ALLOW(getsockname, "libmicrohttpd inspects its socket"),
	SBX_ALLOW(getsockopt, "libmicrohttpd"),
	SBX_ALLOW(pselect6, "libmicrohttpd's listening thread"),
	SBX_ALLOW(recvfrom, "HTTP requests"),
	SBX_ALLOW(recvmsg, "helper pipe ends from the spawner"),
	SBX_ALLOW(select, "libmicrohttpd"),
	SBX_ALLOW(sendmsg, "requests to the spawner"),
	SBX_ALLOW(sendto, "HTTP answers; requests to the spawner"),
	SBX_ALLOW(setsockopt, "libmicrohttpd tunes connections"),
	SBX_ALLOW(shutdown, "closing connections and the spawner socket"),
};

SBX_POLICY(sbx_policy_parent, rows);
