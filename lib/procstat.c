/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/resource.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procstat.h"

static int ps_stat = -1;	/* /proc/self/stat */
static int ps_fd = -1;		/* /proc/self/fd */
static double ps_boot;		/* btime of /proc/stat */
static pthread_mutex_t ps_mu = PTHREAD_MUTEX_INITIALIZER;

int
procstat_open(void)
{
	char buf[8192], *p;
	ssize_t n;
	int fd;

	if ((fd = open("/proc/stat", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nbtime ")) != NULL)
		ps_boot = strtod(p + 7, NULL);
	if ((ps_stat = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) == -1 ||
	    (ps_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	return 0;
}

/*
 * The fields of /proc/self/stat after the command name, which may hold
 * spaces and parentheses: field 3 (state) is f[0].  Returns how many.
 */
static int
ps_fields(char *buf, char **f, int max)
{
	char *p = strrchr(buf, ')'), *save;
	int n = 0;

	if (p == NULL)
		return 0;
	for (p = strtok_r(p + 1, " ", &save); p != NULL && n < max;
	    p = strtok_r(NULL, " ", &save))
		f[n++] = p;
	return n;
}

/* Entries of /proc/self/fd, through the descriptor opened at start. */
static double
ps_count_fds(void)
{
	struct dirent *de;
	DIR *d;
	double n = 0;
	int fd;

	/* fdopendir() takes the descriptor: a copy, read from the start. */
	if ((fd = dup(ps_fd)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	/* The copy itself was one of them. */
	return n > 0 ? n - 1 : 0;
}

int
procstat_read(struct procstat *ps)
{
	char buf[2048], *f[64];
	struct rlimit rl;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	ssize_t n;

	memset(ps, 0, sizeof(*ps));
	if (ps_stat == -1 || tick <= 0 || page <= 0)
		return -1;
	pthread_mutex_lock(&ps_mu);
	n = pread(ps_stat, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		ps->open_fds = ps_count_fds();
	}
	pthread_mutex_unlock(&ps_mu);
	if (n <= 0 || ps_fields(buf, f, 64) < 22)
		return -1;
	/* utime 14, stime 15, starttime 22, vsize 23, rss 24 (man proc). */
	ps->cpu_seconds = (strtod(f[11], NULL) + strtod(f[12], NULL)) /
	    (double)tick;
	ps->start_time_seconds = ps_boot + strtod(f[19], NULL) / (double)tick;
	ps->virtual_bytes = strtod(f[20], NULL);
	ps->resident_bytes = strtod(f[21], NULL) * (double)page;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ps->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 :
		    (double)rl.rlim_cur;
	return 0;
}
