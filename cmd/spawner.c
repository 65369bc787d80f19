/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawner.h"
#include "log.h"
#include "sandbox.h"

#define SPAWN_MAX_HELPERS	8

enum {
	SPAWN_OP_START = 1,
	SPAWN_OP_KILL = 2,
};

/* Requests and replies are fixed-size: the spawner parses nothing else. */
struct spawn_req {
	uint32_t	op;
	uint32_t	id;
};

struct spawn_reply {
	int32_t		err;		/* 0 or an errno value */
	int32_t		pid;
	int32_t		wstatus;
};

/* Room for the two pipe ends a START reply carries, aligned for cmsg. */
union fdmsg {
	char		 buf[CMSG_SPACE(2 * sizeof(int))];
	struct cmsghdr	 align;
};

struct spawner {
	pid_t		 pid;
	int		 sock;
	pthread_mutex_t	 lock;
};

/* State inside the spawner process. */
static const struct spawn_helper *sp_helpers;
static int sp_nhelpers;
static pid_t sp_pids[SPAWN_MAX_HELPERS];
static int sp_reaped[SPAWN_MAX_HELPERS];
static int sp_status[SPAWN_MAX_HELPERS];

/* Reaps what has ended; a helper's status is kept for its KILL request. */
static void
sp_reap(void)
{
	pid_t pid;
	int i, wstatus;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (i = 0; i < sp_nhelpers; i++) {
			if (sp_pids[i] == pid && !sp_reaped[i]) {
				sp_reaped[i] = 1;
				sp_status[i] = wstatus;
			}
		}
	}
}

static int
sp_is_live_helper(pid_t pid)
{
	int i;

	for (i = 0; i < sp_nhelpers; i++)
		if (sp_pids[i] == pid && !sp_reaped[i])
			return 1;
	return 0;
}

/*
 * Our children, as a space-separated list of pids in list.  The kernel's
 * children file needs CONFIG_PROC_CHILDREN; without it, /proc is walked
 * for processes whose parent we are.  Returns the length, 0 for none.
 */
static size_t
sp_children(char *list, size_t listsz)
{
	char path[64], stat[512], *rp;
	pid_t self = getpid();
	struct dirent *de;
	size_t len = 0;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)self,
	    (int)self);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, list, listsz - 1);
		close(fd);
		list[n > 0 ? n : 0] = '\0';
		return n > 0 ? (size_t)n : 0;
	}
	list[0] = '\0';
	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && len + 16 < listsz) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "/proc/%.20s/stat",
		    de->d_name) >= sizeof(path))
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			continue;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		/* "pid (comm) state ppid ...": comm may hold spaces or ')'. */
		if ((rp = strrchr(stat, ')')) == NULL ||
		    strtol(rp + 3, NULL, 10) != (long)self)
			continue;
		len += (size_t)snprintf(list + len, listsz - len, "%s ",
		    de->d_name);
	}
	closedir(d);
	return len;
}

/*
 * Reparented leftovers of killed commands are our children now (we are a
 * subreaper): kill and reap every child that is not a live helper, until
 * none is left.
 */
static void
sp_reap_strays(void)
{
	char list[8192], *p, *end;
	long v;
	int rounds, strays;

	for (rounds = 0; rounds < 100; rounds++) {
		sp_reap();
		if (sp_children(list, sizeof(list)) == 0)
			return;
		strays = 0;
		for (p = list;; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (v <= 0 || sp_is_live_helper((pid_t)v))
				continue;
			strays++;
			kill((pid_t)v, SIGKILL);
		}
		if (strays == 0)
			return;
		usleep(1000);
	}
}

/*
 * Kills the helper's process group and reaps it.  A helper that died on
 * its own was reaped already; its status was kept.
 */
static int
sp_kill(int id)
{
	int wstatus = 0;
	pid_t pid = sp_pids[id];

	if (pid <= 0)
		return 0;
	kill(-pid, SIGKILL);
	if (sp_reaped[id]) {
		wstatus = sp_status[id];
	} else {
		kill(pid, SIGKILL);
		while (waitpid(pid, &wstatus, 0) == -1 && errno == EINTR)
			;
	}
	sp_pids[id] = 0;
	sp_reaped[id] = 0;
	sp_status[id] = 0;
	sp_reap_strays();
	return wstatus;
}

static void
sp_child(int id, int req_r, int rec_w)
{
	const struct spawn_helper *h = &sp_helpers[id];

	/* Own session and group: one kill(-pid) takes all it started. */
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (dup2(req_r, STDIN_FILENO) == -1 ||
	    dup2(rec_w, STDOUT_FILENO) == -1)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	/* Every other descriptor was opened O_CLOEXEC; exe_fd too. */
	fexecve(h->exe_fd, h->argv, h->envp);
	_exit(127);
}

static int
sp_start(int id, int fds[2], pid_t *pidp)
{
	int req[2] = { -1, -1 }, rec[2] = { -1, -1 }, err;
	pid_t pid;

	if (sp_pids[id] > 0)
		(void)sp_kill(id);
	if (pipe2(req, O_CLOEXEC) == -1 || pipe2(rec, O_CLOEXEC) == -1)
		goto fail;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0)
		sp_child(id, req[0], rec[1]);
	close(req[0]);
	close(rec[1]);
	sp_pids[id] = pid;
	sp_reaped[id] = 0;
	*pidp = pid;
	fds[0] = req[1];
	fds[1] = rec[0];
	return 0;
 fail:
	err = errno;
	if (req[0] != -1) {
		close(req[0]);
		close(req[1]);
	}
	if (rec[0] != -1) {
		close(rec[0]);
		close(rec[1]);
	}
	return err;
}

static void
sp_reply(int sock, const struct spawn_reply *rep, const int *fds, int nfds)
{
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cmsg;
	union fdmsg u;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)rep;
	iov.iov_len = sizeof(*rep);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cmsg), fds, (size_t)nfds * sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

static void
sp_shutdown(void)
{
	int i;

	for (i = 0; i < sp_nhelpers; i++)
		(void)sp_kill(i);
	sp_reap_strays();
	_exit(0);
}

static void
sp_main(int sock)
{
	struct spawn_req req;
	struct spawn_reply rep;
	struct pollfd pfd;
	int fds[2], r;
	ssize_t n;
	pid_t pid;
	struct rlimit nocore = { 0, 0 };

	/* Helpers set their own limits; a spawner core dump helps no one. */
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/*
	 * No filter here: helpers would inherit it, and this process must
	 * fork, exec and signal.  It parses nothing but fixed-size requests.
	 */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_NAME, "pce-spawner", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM (systemd stop, or a test): take the helpers along. */
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		pfd.fd = sock;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, 1000);
		if (r == -1 && errno != EINTR)
			sp_shutdown();
		/* Between requests: collect whatever was left behind. */
		sp_reap_strays();
		if (r <= 0)
			continue;
		n = recv(sock, &req, sizeof(req), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(req) || req.id >= (uint32_t)sp_nhelpers)
			sp_shutdown();
		memset(&rep, 0, sizeof(rep));
		switch (req.op) {
		case SPAWN_OP_START:
			if (sp_helpers[req.id].exe_fd == -1) {
				rep.err = ENOENT;
				sp_reply(sock, &rep, NULL, 0);
				break;
			}
			rep.err = sp_start((int)req.id, fds, &pid);
			rep.pid = (int32_t)pid;
			if (rep.err != 0) {
				sp_reply(sock, &rep, NULL, 0);
				break;
			}
			sp_reply(sock, &rep, fds, 2);
			close(fds[0]);
			close(fds[1]);
			break;
		case SPAWN_OP_KILL:
			rep.pid = sp_pids[req.id];
			rep.wstatus = sp_kill((int)req.id);
			sp_reply(sock, &rep, NULL, 0);
			break;
		default:
			sp_shutdown();
		}
	}
}

/* The spawner keeps stdio, its socket and the helpers' binaries only. */
static void
sp_close_others(int sock, const struct spawn_helper *helpers, int nhelpers)
{
	DIR *d;
	struct dirent *de;
	char *end;
	long fd;
	int i, keep;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		fd = strtol(de->d_name, &end, 10);
		if (*end != '\0' || end == de->d_name || fd <= 2 ||
		    fd == sock || fd == dirfd(d))
			continue;
		for (keep = 0, i = 0; i < nhelpers; i++)
			if (helpers[i].exe_fd == fd)
				keep = 1;
		if (!keep)
			close((int)fd);
	}
	closedir(d);
}

struct spawner *
spawn_start(const struct spawn_helper *helpers, int nhelpers)
{
	struct spawner *sp;
	int sv[2], i;
	pid_t pid;

	if (nhelpers > SPAWN_MAX_HELPERS) {
		errno = EINVAL;
		return NULL;
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		free(sp);
		return NULL;
	}
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		free(sp);
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		sp_close_others(sv[1], helpers, nhelpers);
		sp_helpers = helpers;
		sp_nhelpers = nhelpers;
		for (i = 0; i < SPAWN_MAX_HELPERS; i++)
			sp_pids[i] = 0;
		sp_main(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	sp->pid = pid;
	sp->sock = sv[0];
	pthread_mutex_init(&sp->lock, NULL);
	return sp;
}

/* One request, one reply; replies may carry descriptors. */
static int
spawn_call(struct spawner *sp, uint32_t op, int id, struct spawn_reply *rep,
    int fds[2])
{
	struct spawn_req req;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cmsg;
	union fdmsg u;
	ssize_t n;
	int ret = -1;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.id = (uint32_t)id;
	fds[0] = fds[1] = -1;
	pthread_mutex_lock(&sp->lock);
	if (send(sp->sock, &req, sizeof(req), MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(req))
		goto out;
	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = rep;
	iov.iov_len = sizeof(*rep);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do {
		n = recvmsg(sp->sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof(*rep))
		goto out;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(2 * sizeof(int)))
			memcpy(fds, CMSG_DATA(cmsg), 2 * sizeof(int));
	}
	ret = 0;
 out:
	pthread_mutex_unlock(&sp->lock);
	return ret;
}

int
spawn_helper(struct spawner *sp, int id, pid_t *pid, int *to_fd,
    int *from_fd, char *err, size_t errsz)
{
	struct spawn_reply rep;
	int fds[2];

	*pid = -1;
	*to_fd = *from_fd = -1;
	if (spawn_call(sp, SPAWN_OP_START, id, &rep, fds) != 0) {
		snprintf(err, errsz, "spawner does not answer");
		return -2;
	}
	if (rep.err != 0 || fds[0] == -1 || fds[1] == -1) {
		snprintf(err, errsz, "cannot start helper: %s",
		    strerror(rep.err != 0 ? rep.err : EPROTO));
		if (fds[0] != -1)
			close(fds[0]);
		if (fds[1] != -1)
			close(fds[1]);
		return -1;
	}
	*pid = rep.pid;
	*to_fd = fds[0];
	*from_fd = fds[1];
	return 0;
}

int
spawn_kill(struct spawner *sp, int id, int *wstatus)
{
	struct spawn_reply rep;
	int fds[2];

	*wstatus = 0;
	if (spawn_call(sp, SPAWN_OP_KILL, id, &rep, fds) != 0)
		return -1;
	*wstatus = rep.wstatus;
	return 0;
}

void
spawn_stop(struct spawner *sp, int timeout_ms)
{
	int waited;

	if (sp == NULL)
		return;
	/* EOF on the socket tells the spawner to kill everything and exit. */
	shutdown(sp->sock, SHUT_RDWR);
	close(sp->sock);
	/* Past the timeout, our exit kills it (PR_SET_PDEATHSIG). */
	for (waited = 0; waited < timeout_ms; waited += 5) {
		if (waitpid(sp->pid, NULL, WNOHANG) == sp->pid)
			break;
		usleep(5000);
	}
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}
