/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock: the file system and the network taken away from a process,
 * but for what it names.  Debian 12's <linux/landlock.h> stops at ABI 2;
 * the kernels the exporter runs on go further (ABI 4 brings TCP rules, 6
 * the scoping of abstract unix sockets and signals), so the structures
 * and constants of the later ABIs are defined here, and what a kernel
 * does not know is left out of the request.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset	444
#define SYS_landlock_add_rule		445
#define SYS_landlock_restrict_self	446
#endif

#define LL_CREATE_RULESET_VERSION	(1U << 0)
#define LL_RULE_PATH_BENEATH		1
#define LL_RULE_NET_PORT		2

#define LL_FS_EXECUTE			(1ULL << 0)
#define LL_FS_WRITE_FILE		(1ULL << 1)
#define LL_FS_READ_FILE			(1ULL << 2)
#define LL_FS_READ_DIR			(1ULL << 3)
#define LL_FS_REMOVE_DIR		(1ULL << 4)
#define LL_FS_REMOVE_FILE		(1ULL << 5)
#define LL_FS_MAKE_CHAR			(1ULL << 6)
#define LL_FS_MAKE_DIR			(1ULL << 7)
#define LL_FS_MAKE_REG			(1ULL << 8)
#define LL_FS_MAKE_SOCK			(1ULL << 9)
#define LL_FS_MAKE_FIFO			(1ULL << 10)
#define LL_FS_MAKE_BLOCK		(1ULL << 11)
#define LL_FS_MAKE_SYM			(1ULL << 12)
#define LL_FS_REFER			(1ULL << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE			(1ULL << 14)	/* ABI 3 */
#define LL_FS_IOCTL_DEV			(1ULL << 15)	/* ABI 5 */
#define LL_NET_BIND_TCP			(1ULL << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP		(1ULL << 1)	/* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX		(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL			(1ULL << 1)	/* ABI 6 */

/* Rights that apply to a file, not only to a directory. */
#define LL_FS_FILE_RIGHTS	(LL_FS_EXECUTE | LL_FS_WRITE_FILE |	\
	LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
	uint64_t	 handled_access_fs;
	uint64_t	 handled_access_net;	/* ABI 4 */
	uint64_t	 scoped;		/* ABI 6 */
};

struct ll_path_beneath_attr {
	uint64_t	 allowed_access;
	int32_t		 parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
	uint64_t	 allowed_access;
	uint64_t	 port;
};

int
sbx_landlock_abi(void)
{
	long abi;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

/* Every file-system right the kernel's ABI knows: all are denied first. */
static uint64_t
ll_fs_rights(int abi)
{
	uint64_t r = LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE |
	    LL_FS_READ_DIR | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |
	    LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG |
	    LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK |
	    LL_FS_MAKE_SYM;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

void
sbx_landlock_path(struct sbx_landlock *l, const char *path, int exec)
{
	size_t n;

	/* A path that does not fit is left out, never cut to another one. */
	if (path == NULL || path[0] != '/' || l->npaths >= SBX_LL_MAX_PATHS ||
	    (n = strlen(path)) >= sizeof(l->paths[0].path))
		return;
	memcpy(l->paths[l->npaths].path, path, n + 1);
	l->paths[l->npaths].exec = exec;
	l->npaths++;
}

/* The directory part of path into dir: "/" for "/x"; 0, or -1 for none. */
static int
ll_dir_of(const char *path, char *dir, size_t dirsz)
{
	char *slash;

	if ((size_t)snprintf(dir, dirsz, "%s", path) >= dirsz ||
	    (slash = strrchr(dir, '/')) == NULL)
		return -1;
	slash[slash == dir ? 1 : 0] = '\0';
	return 0;
}

void
sbx_landlock_dirs_of(struct sbx_landlock *l, const char *path, int exec)
{
	char abs[PATH_MAX], dir[PATH_MAX], cwd[PATH_MAX];

	if (path == NULL || path[0] == '\0')
		return;
	if (path[0] == '/')
		(void)snprintf(abs, sizeof(abs), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(abs, sizeof(abs), "%s/%s", cwd, path) >=
	    sizeof(abs))
		return;
	if (ll_dir_of(abs, dir, sizeof(dir)) == 0)
		sbx_landlock_path(l, dir, exec);
	if (realpath(abs, cwd) != NULL && ll_dir_of(cwd, dir,
	    sizeof(dir)) == 0)
		sbx_landlock_path(l, dir, exec);
}

void
sbx_landlock_port(struct sbx_landlock *l, unsigned int port)
{
	size_t i;

	if (port == 0 || port > 65535)
		return;
	for (i = 0; i < l->nports; i++)
		if (l->ports[i] == port)
			return;
	if (l->nports < SBX_LL_MAX_PORTS)
		l->ports[l->nports++] = (uint16_t)port;
}

/* One path's rule; a path that does not exist is left out.  0 or -1. */
static int
ll_add_path(int ruleset, const char *path, int exec, uint64_t handled,
    char *err, size_t errsz)
{
	struct ll_path_beneath_attr pb;
	struct stat st;
	int fd;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ?
		    0 : -1;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = LL_FS_READ_FILE | (exec ? LL_FS_EXECUTE : 0);
	if (S_ISDIR(st.st_mode))
		pb.allowed_access |= LL_FS_READ_DIR;
	pb.allowed_access &= handled;
	if (!S_ISDIR(st.st_mode))
		pb.allowed_access &= LL_FS_FILE_RIGHTS;
	pb.parent_fd = fd;
	if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb,
	    0) == -1) {
		snprintf(err, errsz, "landlock rule for %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
sbx_landlock_apply(const struct sbx_landlock *l, char *err, size_t errsz)
{
	struct ll_ruleset_attr attr;
	struct ll_net_port_attr np;
	size_t i, attrsz;
	int abi, ruleset;

	if ((abi = sbx_landlock_abi()) == 0)
		return 1;
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = ll_fs_rights(abi);
	attrsz = sizeof(attr.handled_access_fs);
	if (abi >= 4 && l->net) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attrsz = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		attrsz = sizeof(attr);
	}
	if ((ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
	    attrsz, 0)) == -1) {
		snprintf(err, errsz, "landlock_create_ruleset (ABI %d): %s",
		    abi, strerror(errno));
		return -1;
	}
	for (i = 0; i < l->npaths; i++)
		if (ll_add_path(ruleset, l->paths[i].path, l->paths[i].exec,
		    attr.handled_access_fs, err, errsz) != 0) {
			if (err[0] == '\0')
				snprintf(err, errsz, "landlock: %s: %s",
				    l->paths[i].path, strerror(errno));
			close(ruleset);
			return -1;
		}
	for (i = 0; attr.handled_access_net != 0 && i < l->nports; i++) {
		memset(&np, 0, sizeof(np));
		np.allowed_access = LL_NET_CONNECT_TCP;
		np.port = l->ports[i];
		if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT,
		    &np, 0) == -1) {
			snprintf(err, errsz, "landlock rule for TCP port %u: "
			    "%s", (unsigned int)l->ports[i], strerror(errno));
			close(ruleset);
			return -1;
		}
	}
	/* no_new_privs is set already (the caller's order). */
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		snprintf(err, errsz, "landlock_restrict_self: %s",
		    strerror(errno));
		close(ruleset);
		return -1;
	}
	close(ruleset);
	return 0;
}
