/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "listen.h"
#include "err.h"

#define XSTR(x)		#x
#define STR(x)		XSTR(x)

/*
 * A canonical decimal: digits only, no leading zero.  systemd writes the
 * values itself, so anything else did not come from it and is refused
 * rather than read leniently (strtol would take " +03").  Returns 0, -1
 * when s is not of that form, or -2 when it is but exceeds max.
 */
static int
parse_dec(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long x = 0, d;
	size_t i;

	*v = 0;
	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; s[i] != '\0'; i++) {
		d = (unsigned long)(s[i] - '0');
		if (d > max || x > (max - d) / 10)
			return -2;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int
listen_systemd_fds(const char *listen_pid, const char *listen_fds,
    pid_t self, int *first, int *count, const char **why)
{
	const char *reason = NULL;
	unsigned long pid, n;
	int r, ret = -1;

	*first = -1;
	*count = 0;
	/* go-systemd and older sd_listen_fds() unset by writing "". */
	if (listen_pid == NULL || listen_pid[0] == '\0') {
		reason = "LISTEN_PID is not set: systemd passed no sockets";
		ret = ERR_NOTFOUND;
		goto out;
	}
	if (listen_fds == NULL || listen_fds[0] == '\0') {
		reason = "LISTEN_FDS is not set: systemd passed no sockets";
		ret = ERR_NOTFOUND;
		goto out;
	}
	/* pid_t is an int on every system systemd runs on. */
	if (parse_dec(listen_pid, INT_MAX, &pid) != 0 || pid == 0) {
		reason = "LISTEN_PID is not a process id";
		ret = ERR_INVAL;
		goto out;
	}
	/*
	 * sd_listen_fds() treats this as "no sockets": the variables were
	 * inherited from a parent, typically a wrapper script that forked
	 * the exporter instead of exec'ing it.
	 */
	if (self <= 0 || pid != (unsigned long)self) {
		reason = "LISTEN_PID names another process: the sockets were "
		    "passed to a parent that did not exec the exporter";
		ret = ERR_INVAL;
		goto out;
	}
	if ((r = parse_dec(listen_fds, LISTEN_MAX_FDS, &n)) == -1) {
		reason = "LISTEN_FDS is not a decimal number";
		ret = ERR_INVAL;
		goto out;
	}
	if (n == 0 && r == 0) {
		reason = "LISTEN_FDS is 0: systemd passed no sockets";
		ret = ERR_RANGE;
		goto out;
	}
	if (r != 0) {
		reason = "LISTEN_FDS is above " STR(LISTEN_MAX_FDS) ": more "
		    "sockets than the exporter takes";
		ret = ERR_RANGE;
		goto out;
	}
	*first = LISTEN_FDS_START;
	*count = (int)n;
	ret = 0;
 out:
	if (why != NULL)
		*why = reason;
	return ret;
}
