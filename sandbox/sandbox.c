/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "compat.h"
#include "flags.h"
#include "policy.h"

/*
 * policy.h's numbers of the syscalls newer than Linux 4.18, against the
 * build's headers wherever they have them.
 */
#ifdef __NR_pidfd_send_signal
_Static_assert(SBX_NR_pidfd_send_signal == __NR_pidfd_send_signal,
    "pidfd_send_signal");
#endif
#ifdef __NR_io_uring_setup
_Static_assert(SBX_NR_io_uring_setup == __NR_io_uring_setup, "io_uring_setup");
#endif
#ifdef __NR_io_uring_enter
_Static_assert(SBX_NR_io_uring_enter == __NR_io_uring_enter, "io_uring_enter");
#endif
#ifdef __NR_io_uring_register
_Static_assert(SBX_NR_io_uring_register == __NR_io_uring_register,
    "io_uring_register");
#endif
#ifdef __NR_open_tree
_Static_assert(SBX_NR_open_tree == __NR_open_tree, "open_tree");
#endif
#ifdef __NR_move_mount
_Static_assert(SBX_NR_move_mount == __NR_move_mount, "move_mount");
#endif
#ifdef __NR_fsopen
_Static_assert(SBX_NR_fsopen == __NR_fsopen, "fsopen");
#endif
#ifdef __NR_fsconfig
_Static_assert(SBX_NR_fsconfig == __NR_fsconfig, "fsconfig");
#endif
#ifdef __NR_fsmount
_Static_assert(SBX_NR_fsmount == __NR_fsmount, "fsmount");
#endif
#ifdef __NR_fspick
_Static_assert(SBX_NR_fspick == __NR_fspick, "fspick");
#endif
#ifdef __NR_pidfd_open
_Static_assert(SBX_NR_pidfd_open == __NR_pidfd_open, "pidfd_open");
#endif
#ifdef __NR_clone3
_Static_assert(SBX_NR_clone3 == __NR_clone3, "clone3");
#endif
#ifdef __NR_close_range
_Static_assert(SBX_NR_close_range == __NR_close_range, "close_range");
#endif
#ifdef __NR_openat2
_Static_assert(SBX_NR_openat2 == __NR_openat2, "openat2");
#endif
#ifdef __NR_pidfd_getfd
_Static_assert(SBX_NR_pidfd_getfd == __NR_pidfd_getfd, "pidfd_getfd");
#endif
#ifdef __NR_faccessat2
_Static_assert(SBX_NR_faccessat2 == __NR_faccessat2, "faccessat2");
#endif
#ifdef __NR_mount_setattr
_Static_assert(SBX_NR_mount_setattr == __NR_mount_setattr, "mount_setattr");
#endif
#ifdef __NR_memfd_secret
_Static_assert(SBX_NR_memfd_secret == __NR_memfd_secret, "memfd_secret");
#endif

int
sbx_mode_parse(const char *s)
{
	if (strcmp(s, "enforce") == 0)
		return SANDBOX_ENFORCE;
	if (strcmp(s, "log") == 0)
		return SANDBOX_LOG;
	if (strcmp(s, "off") == 0)
		return SANDBOX_OFF;
	return -1;
}

const char *
sbx_mode_name(int mode)
{
	switch (mode) {
	case SANDBOX_ENFORCE:
		return "enforce";
	case SANDBOX_LOG:
		return "log";
	case SANDBOX_OFF:
		return "off";
	}
	return NULL;
}

/*
 * Closes every descriptor from lowfd up (below it: the helper's request
 * pipe, record pipe and the exporter's stderr).  Returns 0 or -1.
 */
static int
sbx_close_fds_from(int lowfd)
{
	DIR *d;
	struct dirent *de;
	char *end;
	long fd;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0) == 0)
		return 0;
#endif
	/* Older kernels: walk our own descriptor table. */
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		errno = 0;
		fd = strtol(de->d_name, &end, 10);
		if (errno != 0 || *end != '\0' || fd < lowfd ||
		    fd == dirfd(d))
			continue;
		close((int)fd);
	}
	closedir(d);
	return 0;
}

/* The tables that make up each process's filter (see policy.h). */
static const struct sbx_policy *const slurm_tables[] = {
	&sbx_policy_base, &sbx_policy_command, &sbx_policy_client,
	&sbx_policy_unix, NULL,
};
static const struct sbx_policy *const accounts_tables[] = {
	&sbx_policy_base, &sbx_policy_command, &sbx_policy_client,
	&sbx_policy_unix, NULL,
};
static const struct sbx_policy *const promql_tables[] = {
	&sbx_policy_base, &sbx_policy_client, &sbx_policy_promql,
	&sbx_policy_nounix, NULL,
};
static const struct sbx_policy *const promql_unix_tables[] = {
	&sbx_policy_base, &sbx_policy_client, &sbx_policy_promql,
	&sbx_policy_unix, NULL,
};

/* sbx_promql_unix(): the promql helper may create unix sockets. */
static int sbx_promql_unix_ok;

void
sbx_promql_unix(int ok)
{
	sbx_promql_unix_ok = ok;
}
static const struct sbx_policy *const parent_tables[] = {
	&sbx_policy_base, &sbx_policy_parent, NULL,
};
static const struct sbx_policy *const spawner_tables[] = {
	&sbx_policy_spawner, NULL,
};

const struct sbx_policy *const *
sbx_tables(int who)
{
	switch (who) {
	case HELPER_SLURM:
		return slurm_tables;
	case HELPER_ACCOUNTS:
		return accounts_tables;
	case HELPER_PROMQL:
		return sbx_promql_unix_ok ? promql_unix_tables : promql_tables;
	case SBX_PARENT:
		return parent_tables;
	case SBX_SPAWNER:
		return spawner_tables;
	}
	return NULL;
}

/*
 * Builds the filter of who.  Rows whose syscall this architecture lacks
 * are skipped.  Returns the context or NULL with a reason in err.
 */
void *
sbx_build(int who, int mode, char *err, size_t errsz)
{
	const struct sbx_policy *const *t = sbx_tables(who);
	const struct sbx_rule *r;
	struct scmp_arg_cmp cmp[2];
	scmp_filter_ctx ctx;
	uint32_t deflt, action, kill;
	unsigned int n, k;
	size_t i;
	int rc;

	if (t == NULL) {
		snprintf(err, errsz, "no policy for process %d", who);
		return NULL;
	}
	kill = mode == SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	/* A deny-list's tables come alone (see sbx_tables()). */
	deflt = (*t)->deny_list ? SCMP_ACT_ALLOW : kill;
	if ((ctx = seccomp_init(deflt)) == NULL) {
		snprintf(err, errsz, "seccomp_init failed");
		return NULL;
	}
	for (; *t != NULL; t++) {
		for (i = 0; i < (*t)->nrules; i++) {
			r = &(*t)->rules[i];
			if (r->nr < 0)
				continue;
			if (r->errnum == SBX_KILL)
				action = kill;
			else if (r->errnum != 0)
				action = SCMP_ACT_ERRNO((uint16_t)r->errnum);
			else
				action = SCMP_ACT_ALLOW;
			for (n = 0, k = 0; k < 2; k++) {
				if (r->arg[k].op == 0)
					continue;
				cmp[n].arg = r->arg[k].argno;
				cmp[n].op = (enum scmp_compare)r->arg[k].op;
				cmp[n].datum_a = r->arg[k].a;
				cmp[n].datum_b = r->arg[k].b;
				n++;
			}
			rc = seccomp_rule_add_array(ctx, action, r->nr, n,
			    n > 0 ? cmp : NULL);
			if (rc != 0) {
				snprintf(err, errsz, "%s: rule for %s: %s",
				    (*t)->name, r->name, strerror(-rc));
				seccomp_release(ctx);
				return NULL;
			}
		}
	}
	return ctx;
}

/* Debian 12's headers (Linux 6.1) predate PR_SET_MDWE (Linux 6.3). */
#ifndef PR_SET_MDWE
#define PR_SET_MDWE			65
#endif
#ifndef PR_GET_MDWE
#define PR_GET_MDWE			66
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN	1
#endif

int
sbx_mdwe_supported(void)
{
	return prctl(PR_GET_MDWE, 0, 0, 0, 0) >= 0;
}

int
sbx_mdwe(void)
{
	/*
	 * No mapping becomes executable after it was writable: mprotect()
	 * never adds PROT_EXEC, mmap() never gives write and exec at once.
	 * Code still comes from files (the loader, dlopen of NSS modules).
	 * Kept across fork and execve: the spawner's covers every helper
	 * and command.
	 */
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == 0)
		return 0;
	return errno == EINVAL ? 1 : -1;
}

static int
sbx_load(int who, int mode, char *err, size_t errsz)
{
	scmp_filter_ctx ctx;
	int rc;

	if (mode == SANDBOX_OFF)
		return 0;
	/* -sandbox=log looks for what the filters miss: no MDWE there. */
	if (mode == SANDBOX_ENFORCE && sbx_mdwe() == -1) {
		snprintf(err, errsz, "prctl(PR_SET_MDWE): %s",
		    strerror(errno));
		return -1;
	}
	if ((ctx = sbx_build(who, mode, err, errsz)) == NULL)
		return -1;
	if ((rc = seccomp_load(ctx)) != 0) {
		snprintf(err, errsz, "seccomp_load: %s", strerror(-rc));
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	return 0;
}

static int
sbx_limit(int resource, rlim_t value, const char *name, char *err,
    size_t errsz)
{
	struct rlimit rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1) {
		snprintf(err, errsz, "setrlimit(%s): %s", name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Address-space caps of the parsing helpers.  promql holds one JSON value
 * at a time (JSON_MAX_VALUE), libcurl's buffers, the TLS libraries and a
 * malloc arena per resolver thread (64 MiB of address space each); the
 * command helpers also carry the command (squeue maps Slurm's plugins).
 */
#define AS_PROMQL	((rlim_t)1 << 30)
/*
 * The parent's address space, sized from what it may hold at once:
 *	4 source sinks of MAX_SINK_BYTES (caps.h): entries and the
 *	    names they brought, and beyond it the index and growth
 *	    slack of at most MAX_RECORDS entries (< 140 MiB) each	1.6 GiB
 *	the accounts' names (the rest of MAX_NAMES_BYTES)	0.25 GiB
 *	the join, as the sinks are committed and freed: the	less than
 *	    entries again and its rows, 24 bytes each		the sinks
 *	the exposition, far below MAX_EXPOSITION in practice	0.5 GiB
 *	2 malloc arenas (M_ARENA_MAX, main.c), 64 MiB each	128 MiB
 *	thread stacks: HTTP and main at the default 8 MiB,
 *	collection, supervisor and trimmer threads at 256 KiB	< 64 MiB
 *	code, libraries (libmicrohttpd, GnuTLS, libseccomp)	< 128 MiB
 * so about 2.7 GiB at worst; 4 GiB leaves a margin, and a source that
 * would need more fails on its own budget long before.
 */
#define AS_PARENT	((rlim_t)4 << 30)
#define AS_COMMAND	((rlim_t)2 << 30)
/* Descriptors: pipes, a few sockets, libraries; commands inherit it. */
#define NOFILE_HELPER	256

/*
 * The file system and network taken away (-sandbox=enforce), after
 * no_new_privs, before the filter (which then needs no landlock rows).
 */
static int
sbx_landlock_enter(int mode, const struct sbx_landlock *ll, char *err,
    size_t errsz)
{
	if (mode != SANDBOX_ENFORCE || ll == NULL)
		return 0;
	return sbx_landlock_apply(ll, err, errsz) == -1 ? -1 : 0;
}

int
sbx_helper_enter(int helper, int mode, const struct sbx_landlock *ll,
    char *err, size_t errsz)
{
	if (source_helper_name(helper) == NULL) {
		snprintf(err, errsz, "unknown helper %d", helper);
		return -1;
	}
	if (sbx_close_fds_from(3) == -1) {
		snprintf(err, errsz, "close fds: %s", strerror(errno));
		return -1;
	}
	/* A core file of a helper could hold upstream answers. */
	if (sbx_limit(RLIMIT_CORE, 0, "RLIMIT_CORE", err, errsz) != 0 ||
	    /* No helper and no command writes files (pipes are exempt). */
	    sbx_limit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE", err, errsz) != 0 ||
	    sbx_limit(RLIMIT_NOFILE, NOFILE_HELPER, "RLIMIT_NOFILE", err,
	    errsz) != 0)
		return -1;
	/* Sanitizers and valgrind reserve far more address space. */
	if (mode != SANDBOX_OFF && sbx_limit(RLIMIT_AS,
	    helper == HELPER_PROMQL ? AS_PROMQL : AS_COMMAND,
	    "RLIMIT_AS", err, errsz) != 0)
		return -1;
	/* The parent dropped privileges before starting us; verify. */
	if (getuid() == 0 || geteuid() == 0) {
		snprintf(err, errsz, "refusing to run as root");
		return -1;
	}
	if (sbx_has_capabilities()) {
		snprintf(err, errsz, "refusing to run with capabilities");
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errsz, "prctl: %s", strerror(errno));
		return -1;
	}
	if (sbx_landlock_enter(mode, ll, err, errsz) != 0)
		return -1;
	return sbx_load(helper, mode, err, errsz);
}

int
sbx_spawner_enter(int mode, char *err, size_t errsz)
{
	return sbx_load(SBX_SPAWNER, mode, err, errsz);
}

int
sbx_parent_enter(int mode, unsigned int max_connections,
    const struct sbx_landlock *ll, char *err, size_t errsz)
{
	/* Connections, helper pipes, the spawner socket, stdio. */
	rlim_t nofile = (rlim_t)max_connections + 64;

	if (sbx_limit(RLIMIT_CORE, 0, "RLIMIT_CORE", err, errsz) != 0 ||
	    sbx_limit(RLIMIT_NOFILE, nofile, "RLIMIT_NOFILE", err,
	    errsz) != 0)
		return -1;
	/* Sanitizers and valgrind reserve terabytes: only with a filter. */
	if (mode != SANDBOX_OFF && sbx_limit(RLIMIT_AS, AS_PARENT,
	    "RLIMIT_AS", err, errsz) != 0)
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errsz, "prctl: %s", strerror(errno));
		return -1;
	}
	if (sbx_landlock_enter(mode, ll, err, errsz) != 0)
		return -1;
	return sbx_load(SBX_PARENT, mode, err, errsz);
}

int
sbx_drop_privileges(const char *user, char *err, size_t errsz)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (geteuid() != 0 && getuid() != 0)
		return sbx_drop_capabilities(err, errsz);
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errsz, "-user: no such user \"%s\"", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errsz, "-user: \"%s\" is root; refusing to run "
		    "helpers as root", user);
		return -1;
	}
	if (sbx_drop_bounding(err, errsz) != 0)
		return -1;
	if (setgroups(0, NULL) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		snprintf(err, errsz, "dropping to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	/* Verify, as OpenSSH's permanently_set_uid() does. */
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1 ||
	    ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != pw->pw_gid || egid != pw->pw_gid || sgid != pw->pw_gid ||
	    setuid(0) != -1) {
		snprintf(err, errsz, "privilege drop to %s did not hold", user);
		return -1;
	}
	return sbx_drop_capabilities(err, errsz);
}
