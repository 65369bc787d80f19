/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "flags.h"

static const char *const helper_names[SBX_NHELPERS] = {
	"slurm", "accounts", "promql",
};

const char *
sbx_helper_name(int helper)
{
	if (helper < 0 || helper >= SBX_NHELPERS)
		return NULL;
	return helper_names[helper];
}

int
sbx_helper_id(const char *name)
{
	int i;

	for (i = 0; i < SBX_NHELPERS; i++)
		if (strcmp(name, helper_names[i]) == 0)
			return i;
	return -1;
}

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

int
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

int
sbx_helper_enter(int helper, int mode, char *err, size_t errsz)
{
	struct rlimit rl;

	(void)mode;
	if (sbx_helper_name(helper) == NULL) {
		snprintf(err, errsz, "unknown helper %d", helper);
		return -1;
	}
	if (sbx_close_fds_from(3) == -1) {
		snprintf(err, errsz, "close fds: %s", strerror(errno));
		return -1;
	}
	/* A core file of a helper could hold upstream answers. */
	rl.rlim_cur = rl.rlim_max = 0;
	if (setrlimit(RLIMIT_CORE, &rl) == -1) {
		snprintf(err, errsz, "setrlimit(RLIMIT_CORE): %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errsz, "prctl(PR_SET_DUMPABLE): %s",
		    strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errsz, "prctl(PR_SET_NO_NEW_PRIVS): %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
sbx_drop_privileges(const char *user, char *err, size_t errsz)
{
	struct passwd *pw;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
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
	return 0;
}
