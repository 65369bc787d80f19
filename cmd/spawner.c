/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spawner.h"
#include "deadline.h"
#include "err.h"
#include "policy.h"
#include "sandbox.h"
#include "threads.h"

#define SPAWN_MAX_HELPERS	8

enum {
	SPAWN_OP_START = 1,
	SPAWN_OP_KILL = 2,
};

/*
 * Requests, replies and events are fixed-size SOCK_SEQPACKET messages: the
 * spawner parses nothing else.  Each is received into a buffer one byte
 * longer than the message, so that a longer one shows as the wrong size
 * instead of being silently truncated to the right one.
 */
struct spawn_req {
	uint32_t	seq;		/* echoed in the reply */
	uint32_t	op;
	uint32_t	id;
	int32_t		pid;		/* KILL: the instance meant; -1: any */
};

struct spawn_reply {
	uint32_t	seq;		/* the request's */
	int32_t		err;		/* 0 or an errno value; KILL: ESRCH */
	int32_t		pid;
	int32_t		wstatus;
};

/* On the event socket, unsolicited: helper id's instance pid ended. */
struct spawn_ev {
	uint32_t	id;
	int32_t		pid;
};

/* Room for the two pipe ends a START reply carries, aligned for cmsg. */
union fdmsg {
	char		 buf[CMSG_SPACE(SPAWN_FDS * sizeof(int))];
	struct cmsghdr	 align;
};

struct spawner {
	pid_t		 pid;
	int		 nhelpers;
	int		 sock;		/* requests and their replies */
	int		 evsock;	/* events, spawner to parent only */
	uint32_t	 seq;		/* of the last request; under lock */
	pthread_mutex_t	 lock;		/* one request in flight at a time */
};

/* State inside the spawner process. */
struct sp_slot {
	pid_t		 pid;		/* the instance held; 0: none */
	int		 pidfd;
	int		 ended;		/* exited, still unreaped */
	int		 event;		/* its event is yet to be sent */
};

static const struct spawn_helper *sp_helpers;
static int sp_nhelpers;
static struct sp_slot sp_slots[SPAWN_MAX_HELPERS];
static int sp_evsock = -1;
/* enum sandbox_mode of the spawner's own filter. */
static int sp_mode;

/* A helper without a pidfd is checked for its end this often. */
#define SPAWN_WAITID_MS		50

/*
 * glibc 2.36 has no wrappers for these, and by number (sandbox/policy.h):
 * RHEL 8's headers (Linux 4.18) have no SYS_pidfd_open.
 */
static int
sp_pidfd_open(pid_t pid)
{
	return (int)syscall(SBX_NR_pidfd_open, pid, 0);
}

/*
 * Without a pidfd (pidfd_open failed: ENOSYS before Linux 5.3 and under
 * valgrind 3.19, or EMFILE) kill() by pid is as exact, since the helper is
 * our unreaped child; the pidfd is what lets poll() see it end, and
 * sp_main() falls back to waitid(WNOWAIT) every SPAWN_WAITID_MS.
 */
static void
sp_kill_helper(const struct sp_slot *s)
{
	if (s->pidfd == -1 ||
	    syscall(SBX_NR_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0) == -1)
		(void)kill(s->pid, SIGKILL);
}

/* 1 if the helper held in s has ended; it stays unreaped (WNOWAIT). */
static int
sp_helper_ended(const struct sp_slot *s)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	    -1)
		return 0;
	return si.si_pid == s->pid;
}

/* 1 if pid is a helper the spawner holds, else 0. */
static int
sp_is_helper(pid_t pid)
{
	int i;

	for (i = 0; i < sp_nhelpers; i++)
		if (sp_slots[i].pid == pid)
			return 1;
	return 0;
}

/*
 * Our children, as a space-separated list of pids in list.  The kernel's
 * children file needs CONFIG_PROC_CHILDREN; without it, /proc is walked
 * for processes whose parent we are.  Only whole pids are listed: a list
 * cut short by the buffer loses its partial last pid (found next time),
 * which read as a shorter number would name some other process.  Returns
 * the length, 0 for none.
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
	int fd, w;

	list[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)self,
	    (int)self);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		while (len < listsz - 1 &&
		    (n = read(fd, list + len, listsz - 1 - len)) > 0)
			len += (size_t)n;
		close(fd);
		list[len] = '\0';
		if (len == listsz - 1 && (rp = strrchr(list, ' ')) != NULL) {
			rp[1] = '\0';
			len = (size_t)(rp + 1 - list);
		} else if (len == listsz - 1)
			len = 0;
		list[len] = '\0';
		return len;
	}
	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
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
		if ((rp = strrchr(stat, ')')) == NULL || strlen(rp) < 4 ||
		    strtol(rp + 3, NULL, 10) != (long)self)
			continue;
		w = snprintf(list + len, listsz - len, "%s ", de->d_name);
		/* Detect truncation: drop the partial pid, as above. */
		if (w < 0 || (size_t)w >= listsz - len) {
			list[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	closedir(d);
	return len;
}

/*
 * Reparented leftovers of killed commands are our children now (we are a
 * subreaper): kill and reap every child that is not a helper, until none
 * is left.  A child stays ours, and its pid unused, until we reap it, so
 * each stray is killed before it is reaped and never touched after.
 * Helpers are skipped, ended ones included: only sp_kill() reaps them.
 * Nothing here waits for "any child", which could reap a helper.
 */
static void
sp_reap_strays(void)
{
	char list[8192], *p, *end;
	long v;
	int rounds, strays;

	for (rounds = 0; rounds < 100; rounds++) {
		if (sp_children(list, sizeof(list)) == 0)
			return;
		strays = 0;
		for (p = list;; p = end) {
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			if (v <= 0 || v > INT_MAX || sp_is_helper((pid_t)v))
				continue;
			strays++;
			(void)kill((pid_t)v, SIGKILL);
			(void)waitpid((pid_t)v, NULL, WNOHANG);
		}
		if (strays == 0)
			return;
		/* SIGKILL takes a moment; what is still listed gets more. */
		usleep(1000);
	}
}

/*
 * Kills the process group of the instance held for id, then reaps it.  It
 * has not been reaped before (a helper that ended on its own was kept as
 * a zombie), so its pid and group id still name it and its group alone:
 * that holds only until waitpid() below, hence the order.  The signal
 * through the pidfd (sp_kill_helper) names the helper itself, whatever
 * its group.  Returns its wait status.
 */
static int
sp_kill(int id)
{
	struct sp_slot *s = &sp_slots[id];
	int wstatus = 0;

	(void)kill(-s->pid, SIGKILL);
	sp_kill_helper(s);
	/* SIGSTOP and SIGCONT (an operator, a test) may interrupt it. */
	while (waitpid(s->pid, &wstatus, 0) == -1 && errno == EINTR)
		;
	if (s->pidfd != -1)
		close(s->pidfd);
	s->pid = 0;
	s->pidfd = -1;
	s->ended = 0;
	/* The parent asked for this death: no event for it. */
	s->event = 0;
	sp_reap_strays();
	return wstatus;
}

/* In the forked child: becomes helper id (fexecve); never returns. */
static void
sp_child(int id, pid_t spawner, const int fd[SPAWN_FDS], int err_w)
{
	const struct spawn_helper *h = &sp_helpers[id];
	int e;

	/* Own session and group: one kill(-pid) takes all it started. */
	setsid();
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* The spawner may have died before the line above took effect. */
	if (getppid() != spawner)
		_exit(127);
	/* Its stderr is a pipe the parent reads, escapes and bounds. */
	if (dup2(fd[0], STDIN_FILENO) == -1 ||
	    dup2(fd[1], STDOUT_FILENO) == -1 ||
	    dup2(fd[2], STDERR_FILENO) == -1)
		goto fail;
	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	/* Every other descriptor was opened O_CLOEXEC; exe_fd too. */
	fexecve(h->exe_fd, h->argv, h->envp);
 fail:
	e = errno;
	/* Tells sp_start() why; exec would have closed err_w. */
	(void)!write(err_w, &e, sizeof(e));
	_exit(127);
}

/* Closes the ends of a pipe that are still open (-1: already closed). */
static void
sp_close_pair(const int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
}

/*
 * Starts helper id, replacing the instance held, if any.  Waits until the
 * child has exec'd, so that a binary that cannot run is reported here and
 * the failed child is reaped at once.  Returns 0 with the parent's pipe
 * ends in fds, or an errno value with nothing left running.
 */
static int
sp_start(int id, int fds[SPAWN_FDS], pid_t *pidp)
{
	struct sp_slot *s = &sp_slots[id];
	int req[2] = { -1, -1 }, rec[2] = { -1, -1 }, ep[2] = { -1, -1 };
	int log[2] = { -1, -1 }, child[SPAWN_FDS];
	int ret = -1, e, pidfd = -1;
	pid_t pid = -1, self = getpid();
	ssize_t n;

	fds[0] = fds[1] = fds[2] = -1;
	*pidp = -1;
	if (sp_helpers[id].exe_fd == -1)
		return ENOENT;
	if (s->pid > 0)
		(void)sp_kill(id);
	if (pipe2(req, O_CLOEXEC) == -1 || pipe2(rec, O_CLOEXEC) == -1 ||
	    pipe2(log, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1) {
		ret = errno;
		goto out;
	}
	if ((pid = fork()) == -1) {
		ret = errno;
		goto out;
	}
	child[0] = req[0];
	child[1] = rec[1];
	child[2] = log[1];
	if (pid == 0)
		sp_child(id, self, child, ep[1]);
	close(ep[1]);
	ep[1] = -1;
	/* SIGSTOP and SIGCONT (an operator, a test) may interrupt it. */
	while ((n = read(ep[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(e))
		ret = e != 0 ? e : EIO;
	else
		pidfd = sp_pidfd_open(pid);
	if (ret != -1) {
		/* Never handed out, so ours to reap at once. */
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		goto out;
	}
	s->pid = pid;
	s->pidfd = pidfd;
	s->ended = 0;
	s->event = 0;
	*pidp = pid;
	fds[0] = req[1];
	fds[1] = rec[0];
	fds[2] = log[0];
	req[1] = rec[0] = log[0] = -1;
	ret = 0;
 out:
	sp_close_pair(req);
	sp_close_pair(rec);
	sp_close_pair(log);
	sp_close_pair(ep);
	return ret;
}

/* Sends a reply, with descriptors when nfds > 0. */
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
	/* SIGSTOP and SIGCONT (an operator, a test) may interrupt it. */
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

/*
 * Sends the events not sent yet, without blocking: a parent that does not
 * read them must not stall requests.  What does not fit now is sent when
 * the socket is writable again (sp_main polls for that).
 */
static void
sp_send_events(void)
{
	struct spawn_ev ev;
	struct sp_slot *s;
	ssize_t n;
	int i;

	for (i = 0; i < sp_nhelpers; i++) {
		s = &sp_slots[i];
		if (!s->event)
			continue;
		if (sp_evsock == -1) {
			s->event = 0;
			continue;
		}
		memset(&ev, 0, sizeof(ev));
		ev.id = (uint32_t)i;
		ev.pid = (int32_t)s->pid;
		n = send(sp_evsock, &ev, sizeof(ev), MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (n == (ssize_t)sizeof(ev)) {
			s->event = 0;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			return;
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET ||
		    errno == ENOTCONN)) {
			/* Nobody listens any more; requests still work. */
			close(sp_evsock);
			sp_evsock = -1;
		}
		/* Otherwise drop it: the parent learns at the next use. */
		s->event = 0;
	}
}

/* 1 if an ended helper awaits its event, else 0. */
static int
sp_events_pending(void)
{
	int i;

	for (i = 0; i < sp_nhelpers; i++)
		if (sp_slots[i].event)
			return 1;
	return 0;
}

/* Kills and reaps every helper and stray, then exits. */
static void
sp_shutdown(void)
{
	int i;

	for (i = 0; i < sp_nhelpers; i++)
		if (sp_slots[i].pid > 0)
			(void)sp_kill(i);
	sp_reap_strays();
	_exit(0);
}

/* One request from the parent; anything malformed ends the spawner. */
static void
sp_request(int sock)
{
	char buf[sizeof(struct spawn_req) + 1];
	struct spawn_req req;
	struct spawn_reply rep;
	struct sp_slot *s;
	int fds[SPAWN_FDS];
	ssize_t n;
	pid_t pid;

	n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EINTR || errno == EAGAIN ||
	    errno == EWOULDBLOCK))
		return;
	/* EOF: the parent stopped us, or exited. */
	if (n != (ssize_t)sizeof(req))
		sp_shutdown();
	memcpy(&req, buf, sizeof(req));
	if (req.id >= (uint32_t)sp_nhelpers)
		sp_shutdown();
	s = &sp_slots[req.id];
	memset(&rep, 0, sizeof(rep));
	rep.seq = req.seq;
	switch (req.op) {
	case SPAWN_OP_START:
		rep.err = sp_start((int)req.id, fds, &pid);
		rep.pid = (int32_t)pid;
		if (rep.err != 0) {
			sp_reply(sock, &rep, NULL, 0);
			break;
		}
		sp_reply(sock, &rep, fds, SPAWN_FDS);
		close(fds[0]);
		close(fds[1]);
		close(fds[2]);
		break;
	case SPAWN_OP_KILL:
		/*
		 * Only the instance the parent means: after a restart or a
		 * timed-out call it may hold a pid that is not ours now.
		 */
		if (s->pid <= 0 || (req.pid != -1 && req.pid != s->pid)) {
			rep.err = ESRCH;
			rep.pid = (int32_t)s->pid;
			sp_reply(sock, &rep, NULL, 0);
			break;
		}
		rep.pid = (int32_t)s->pid;
		rep.wstatus = sp_kill((int)req.id);
		sp_reply(sock, &rep, NULL, 0);
		break;
	default:
		sp_shutdown();
	}
}

/*
 * The spawner's own state, before it serves: no core, subreaper, dies with
 * the parent, not dumpable, no_new_privs, named, and signals as helpers
 * must inherit them.
 */
static void
sp_setup(void)
{
	struct rlimit nocore = { 0, 0 };
	char err[256];
	sigset_t none;

	/* Helpers set their own limits; a spawner core dump helps no one. */
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_NAME, "pce-spawner", 0, 0, 0);
	/*
	 * A deny-list, as helpers inherit it: this process must fork, exec
	 * and signal.  It parses nothing but fixed-size requests.
	 */
	if (sbx_spawner_enter(sp_mode, err, sizeof(err)) != 0) {
		(void)dprintf(STDERR_FILENO, "pce-spawner: %s\n", err);
		_exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	/* SIGTERM (systemd stop, or a test): helpers die by PDEATHSIG. */
	signal(SIGTERM, SIG_DFL);
	/*
	 * An inherited SIG_IGN would have the kernel reap helpers behind our
	 * back, freeing the pids this process is about to signal.
	 */
	signal(SIGCHLD, SIG_DFL);
	/* fexecve() keeps the mask: helpers must not inherit one. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Waits for a request, a writable event socket or a helper's end, and
 * marks the helpers that ended (kept unreaped).  Returns poll()'s result;
 * pfd[0] is the request socket, pfd[1] the event socket.
 */
static int
sp_wait(int sock, struct pollfd *pfd)
{
	int slot[2 + SPAWN_MAX_HELPERS];
	struct sp_slot *s;
	int i, n = 2, r, timeout = 1000;

	pfd[0].fd = sock;
	pfd[0].events = POLLIN;
	pfd[1].fd = sp_evsock;
	pfd[1].events = sp_events_pending() ? POLLOUT : 0;
	for (i = 0; i < sp_nhelpers; i++) {
		s = &sp_slots[i];
		if (s->pid <= 0 || s->ended)
			continue;
		if (s->pidfd == -1) {
			timeout = SPAWN_WAITID_MS;
			continue;
		}
		pfd[n].fd = s->pidfd;
		pfd[n].events = POLLIN;
		slot[n++] = i;
	}
	r = poll(pfd, (nfds_t)n, timeout);
	for (i = 2; r > 0 && i < n; i++) {
		/* Ended by itself: keep the zombie, tell the parent. */
		if (pfd[i].revents != 0)
			sp_slots[slot[i]].ended = sp_slots[slot[i]].event = 1;
	}
	for (i = 0; i < sp_nhelpers; i++) {
		s = &sp_slots[i];
		if (s->pid > 0 && !s->ended && s->pidfd == -1 &&
		    sp_helper_ended(s))
			s->ended = s->event = 1;
	}
	return r;
}

/* Serves the parent until its socket closes; never returns. */
static void
sp_main(int sock)
{
	struct pollfd pfd[2 + SPAWN_MAX_HELPERS];
	int r;

	sp_setup();
	for (;;) {
		r = sp_wait(sock, pfd);
		/* SIGSTOP and SIGCONT (an operator, a test) can interrupt. */
		if (r == -1 && errno != EINTR)
			sp_shutdown();
		if (r > 0 && sp_evsock != -1 &&
		    (pfd[1].revents & (POLLHUP | POLLERR)) != 0) {
			/* The parent closed its end; stop polling it. */
			close(sp_evsock);
			sp_evsock = -1;
		}
		sp_send_events();
		/* Between requests: collect whatever was left behind. */
		sp_reap_strays();
		if (r > 0 && pfd[0].revents != 0)
			sp_request(sock);
	}
}

/*
 * Descriptors 0-2 must be open, or a helper's pipe end could be created as
 * one of them and then lost to its own dup2() or to exec's close-on-exec.
 */
static void
sp_stdio(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= STDERR_FILENO)
		;
	if (fd > STDERR_FILENO)
		close(fd);
}

/* The spawner keeps stdio, its sockets and the helpers' binaries only. */
static void
sp_close_others(int sock, int evsock, const struct spawn_helper *helpers,
    int nhelpers)
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
		    fd == sock || fd == evsock || fd == dirfd(d))
			continue;
		for (keep = 0, i = 0; i < nhelpers; i++)
			if (helpers[i].exe_fd == fd)
				keep = 1;
		if (!keep)
			close((int)fd);
	}
	closedir(d);
}

/*
 * In the freshly forked spawner: stdio made safe, every descriptor but
 * its sockets and the helpers' binaries closed, no helper held yet.
 */
static void
sp_child_init(int sock, int evsock, const struct spawn_helper *helpers,
    int nhelpers)
{
	int i;

	sp_stdio();
	sp_close_others(sock, evsock, helpers, nhelpers);
	sp_helpers = helpers;
	sp_nhelpers = nhelpers;
	for (i = 0; i < SPAWN_MAX_HELPERS; i++) {
		sp_slots[i].pid = 0;
		sp_slots[i].pidfd = -1;
		sp_slots[i].ended = sp_slots[i].event = 0;
	}
	sp_evsock = evsock;
	/* Events go one way only. */
	shutdown(evsock, SHUT_RD);
}

struct spawner *
spawn_start(const struct spawn_helper *helpers, int nhelpers,
    int sandbox_mode)
{
	struct spawner *sp = NULL, *ret = NULL;
	int sv[2] = { -1, -1 }, ev[2] = { -1, -1 }, e;
	pid_t pid;

	if (nhelpers < 0 || nhelpers > SPAWN_MAX_HELPERS) {
		errno = EINVAL;
		return NULL;
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ev) == -1)
		goto out;
	if ((errno = pthread_mutex_init(&sp->lock, NULL)) != 0)
		goto out;
	if ((pid = fork()) == -1) {
		e = errno;
		pthread_mutex_destroy(&sp->lock);
		errno = e;
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		close(ev[0]);
		sp_child_init(sv[1], ev[1], helpers, nhelpers);
		sp_mode = sandbox_mode;
		sp_main(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	close(ev[1]);
	shutdown(ev[0], SHUT_WR);
	sp->pid = pid;
	sp->nhelpers = nhelpers;
	sp->sock = sv[0];
	sp->evsock = ev[0];
	ret = sp;
	sp = NULL;
	sv[0] = sv[1] = ev[0] = ev[1] = -1;
 out:
	e = errno;
	if (sv[0] != -1) {
		close(sv[0]);
		close(sv[1]);
	}
	if (ev[0] != -1) {
		close(ev[0]);
		close(ev[1]);
	}
	free(sp);
	errno = e;
	return ret;
}

/* Receives one message, keeping up to SPAWN_FDS passed descriptors. */
static ssize_t
spawn_recvmsg(int sock, void *buf, size_t bufsz, int fds[SPAWN_FDS])
{
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *cmsg;
	union fdmsg u;
	size_t i, nfd;
	ssize_t n;
	int fd, k;

	for (k = 0; k < SPAWN_FDS; k++)
		fds[k] = -1;
	memset(&msg, 0, sizeof(msg));
	memset(&u, 0, sizeof(u));
	iov.iov_base = buf;
	iov.iov_len = bufsz;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	if ((n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	/* Descriptors beyond the buffer (MSG_CTRUNC) the kernel drops. */
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(fd));
			for (k = 0; k < SPAWN_FDS && fds[k] != -1; k++)
				;
			if (k < SPAWN_FDS)
				fds[k] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* Closes the descriptors of a reply that are open. */
static void
spawn_close_fds(int fds[SPAWN_FDS])
{
	int k;

	for (k = 0; k < SPAWN_FDS; k++) {
		if (fds[k] != -1)
			close(fds[k]);
		fds[k] = -1;
	}
}

/* Sends one request; a full socket is waited for until the deadline. */
static int
spawn_send(int sock, const struct spawn_req *req, struct deadline deadline)
{
	struct pollfd pfd;
	ssize_t n;
	int r;

	for (;;) {
		n = send(sock, req, sizeof(*req), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == (ssize_t)sizeof(*req))
			return 0;
		if (n != -1)
			return ERR_SYSTEM;
		if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
			return ERR_EOF;
		/* A signal handler of the caller's may interrupt it. */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return ERR_SYSTEM;
		pfd.fd = sock;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, deadline_poll_ms(deadline));
		if (r == -1 && errno != EINTR)
			return ERR_SYSTEM;
		if (r == 0)
			return ERR_TIMEOUT;
	}
}

/*
 * Waits for the reply numbered seq.  Replies to calls that gave up before
 * them come first; they are dropped with their descriptors.
 */
static int
spawn_recv_reply(int sock, uint32_t seq, struct deadline deadline,
    struct spawn_reply *rep, int fds[SPAWN_FDS])
{
	char buf[sizeof(*rep) + 1];
	struct pollfd pfd;
	ssize_t n;
	int r;

	for (;;) {
		pfd.fd = sock;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, deadline_poll_ms(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return ERR_SYSTEM;
		if (r == 0)
			return ERR_TIMEOUT;
		n = spawn_recvmsg(sock, buf, sizeof(buf), fds);
		if (n == -1 && (errno == EINTR || errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			continue;
		if (n == -1 && errno == ECONNRESET)
			return ERR_EOF;
		if (n == -1)
			return ERR_SYSTEM;
		if (n == 0)
			return ERR_EOF;
		if (n == (ssize_t)sizeof(*rep)) {
			memcpy(rep, buf, sizeof(*rep));
			if (rep->seq == seq)
				return 0;
		}
		spawn_close_fds(fds);
	}
}

/*
 * One request, one reply (which may carry descriptors), all before the
 * deadline, waiting for the lock included.
 */
static int
spawn_call(struct spawner *sp, struct spawn_req *req,
    struct deadline deadline, struct spawn_reply *rep, int fds[SPAWN_FDS])
{
	int ret;

	fds[0] = fds[1] = fds[2] = -1;
	memset(rep, 0, sizeof(*rep));
	if ((ret = threads_lock(&sp->lock, deadline)) != 0)
		return ret;
	req->seq = ++sp->seq;
	if ((ret = spawn_send(sp->sock, req, deadline)) == 0)
		ret = spawn_recv_reply(sp->sock, req->seq, deadline, rep, fds);
	pthread_mutex_unlock(&sp->lock);
	return ret;
}

/* snprintf into err, which may be NULL (anet's error helper). */
static void __attribute__((format(printf, 3, 4)))
spawn_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	/* Truncation only shortens a log message. */
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

int
spawn_helper(struct spawner *sp, int id, struct deadline deadline,
    pid_t *pid, int *to_fd, int *from_fd, int *log_fd, char *err,
    size_t errsz)
{
	struct spawn_req req;
	struct spawn_reply rep;
	int fds[SPAWN_FDS] = { -1, -1, -1 }, ret = -1;

	*pid = -1;
	*to_fd = *from_fd = *log_fd = -1;
	spawn_seterr(err, errsz, "%s", "");
	if (id < 0 || id >= sp->nhelpers) {
		spawn_seterr(err, errsz, "%s", "no such helper");
		return ERR_INVAL;
	}
	memset(&req, 0, sizeof(req));
	req.op = SPAWN_OP_START;
	req.id = (uint32_t)id;
	req.pid = -1;
	ret = spawn_call(sp, &req, deadline, &rep, fds);
	if (ret == ERR_TIMEOUT) {
		spawn_seterr(err, errsz, "%s", "the spawner did not answer "
		    "in time");
		goto out;
	}
	if (ret == ERR_EOF) {
		spawn_seterr(err, errsz, "%s", "the spawner is gone");
		goto out;
	}
	if (ret != 0) {
		spawn_seterr(err, errsz, "talking to the spawner: %s",
		    strerror(errno));
		goto out;
	}
	if (rep.err != 0 || rep.pid <= 0 || fds[0] == -1 || fds[1] == -1 ||
	    fds[2] == -1) {
		spawn_seterr(err, errsz, "cannot start helper: %s",
		    strerror(rep.err != 0 ? rep.err : EPROTO));
		ret = ERR_SYSTEM;
		goto out;
	}
	*pid = rep.pid;
	*to_fd = fds[0];
	*from_fd = fds[1];
	*log_fd = fds[2];
	fds[0] = fds[1] = fds[2] = -1;
	ret = 0;
 out:
	spawn_close_fds(fds);
	return ret;
}

int
spawn_kill(struct spawner *sp, int id, pid_t pid, struct deadline deadline,
    int *wstatus)
{
	struct spawn_req req;
	struct spawn_reply rep;
	int fds[SPAWN_FDS], ret;

	*wstatus = 0;
	if (id < 0 || id >= sp->nhelpers || (pid <= 0 && pid != -1))
		return ERR_INVAL;
	memset(&req, 0, sizeof(req));
	req.op = SPAWN_OP_KILL;
	req.id = (uint32_t)id;
	req.pid = (int32_t)pid;
	ret = spawn_call(sp, &req, deadline, &rep, fds);
	/* A KILL reply carries none; never keep what a bad one might. */
	spawn_close_fds(fds);
	if (ret != 0)
		return ret;
	if (rep.err == ESRCH)
		return ERR_NOTFOUND;
	if (rep.err != 0) {
		errno = rep.err;
		return ERR_SYSTEM;
	}
	*wstatus = rep.wstatus;
	return 0;
}

int
spawn_event_fd(const struct spawner *sp)
{
	return sp->evsock;
}

int
spawn_event(struct spawner *sp, int *id, pid_t *pid)
{
	char buf[sizeof(struct spawn_ev) + 1];
	struct spawn_ev ev;
	ssize_t n;

	*id = -1;
	*pid = -1;
	for (;;) {
		n = recv(sp->evsock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return ERR_EOF;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n == -1)
			return ERR_SYSTEM;
		if (n != (ssize_t)sizeof(ev))
			continue;
		memcpy(&ev, buf, sizeof(ev));
		/* Only our spawner writes here; check anyway, it is cheap. */
		if (ev.id >= (uint32_t)sp->nhelpers || ev.pid <= 0)
			continue;
		*id = (int)ev.id;
		*pid = (pid_t)ev.pid;
		return 1;
	}
}

void
spawn_stop(struct spawner *sp, int timeout_ms)
{
	pid_t r;
	int waited;

	if (sp == NULL)
		return;
	/* EOF on the socket tells the spawner to kill everything and exit. */
	shutdown(sp->sock, SHUT_RDWR);
	close(sp->sock);
	close(sp->evsock);
	/* Past the timeout, our exit kills it (PR_SET_PDEATHSIG). */
	for (waited = 0;; waited += 5) {
		r = waitpid(sp->pid, NULL, WNOHANG);
		if (r == sp->pid || (r == -1 && errno != EINTR))
			break;
		if (waited >= timeout_ms)
			break;
		usleep(5000);
	}
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}
