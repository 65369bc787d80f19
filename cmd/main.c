/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prometheus-cluster-exporter: start-up and shutdown.  The order matters
 * and is explained once here:
 *
 *  1. flags, logging, commands found through PATH, helper binaries opened
 *     (O_PATH), listening socket bound: all while we may still be root;
 *  2. privileges dropped (root only), then the spawner forked while the
 *     process has a single thread, and the helpers started through it;
 *  3. the HTTP threads started; the main thread waits for SIGTERM/SIGINT.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "collect.h"
#include "err.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "sandbox.h"
#include "spawner.h"
#include "supervise.h"

static struct config cfg;
static struct helper helpers[HELPER_COUNT];
static struct spawn_helper specs[HELPER_COUNT];
static struct collector collector;

/* argv and environment of each helper, kept for the spawner's lifetime. */
static char *helper_argv[HELPER_COUNT][5];
static char *helper_env[HELPER_COUNT][12];
static char env_store[12][4096 + 32];
static char squeue_path[PATH_MAX], getent_path[PATH_MAX];

/* Looks name up in the exporter's own PATH, as the original does. */
static int
find_in_path(const char *name, char *out, size_t outsz)
{
	const char *path = getenv("PATH"), *p, *end;
	size_t len;

	if (path == NULL || *path == '\0')
		path = "/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		len = (size_t)(end - p);
		/* Relative PATH entries would depend on the cwd: skip them. */
		if (len == 0 || *p != '/')
			continue;
		if ((size_t)snprintf(out, outsz, "%.*s/%s", (int)len, p,
		    name) >= outsz)
			continue;
		if (access(out, X_OK) == 0)
			return 0;
	}
	out[0] = '\0';
	return -1;
}

static int
resolve_command(const char *flag, const char *given, const char *name,
    char *out, size_t outsz)
{
	if (given[0] != '\0') {
		if ((size_t)snprintf(out, outsz, "%s", given) >= outsz ||
		    access(out, X_OK) != 0) {
			error_f("%s=%s: %s; the %s source will fail on every "
			    "scrape", flag, given, strerror(errno),
			    strcmp(name, "squeue") == 0 ? "slurm" :
			    "accounts");
			out[0] = '\0';
			return -1;
		}
		return 0;
	}
	if (find_in_path(name, out, outsz) != 0) {
		error_f("%s not found in PATH; the %s source will fail on "
		    "every scrape (set %s)", name,
		    strcmp(name, "squeue") == 0 ? "slurm" : "accounts", flag);
		return -1;
	}
	return 0;
}

static void
warn_unreachable(const char *name, const char *path)
{
	if (path[0] != '\0' && access(path, X_OK) != 0)
		error_f("%s at %s cannot be run by user %s (%s); its source "
		    "will fail until the file and its directories are "
		    "accessible, or choose another -user", name, path,
		    cfg.user, strerror(errno));
}

/* Helpers live beside the exporter in the build tree, else in LIBEXECDIR. */
static const char *
helper_dir(void)
{
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if (strcmp(self, PCE_BUILDDIR "/prometheus-cluster-exporter") ==
		    0)
			return PCE_BUILDDIR "/helpers";
	}
	return PCE_LIBEXECDIR;
}

static char *
env_entry(int i, const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || (size_t)snprintf(env_store[i], sizeof(env_store[i]),
	    "%s=%s", name, v) >= sizeof(env_store[i]))
		return NULL;
	return env_store[i];
}

static void
setup_helpers(void)
{
	static const char *const proxy_vars[] = {
		"http_proxy", "https_proxy", "no_proxy", "HTTPS_PROXY",
		"NO_PROXY", "ALL_PROXY", "all_proxy",
	};
	static char path_env[] = "PATH=/usr/bin:/bin";
	static char lc_env[] = "LC_ALL=C";
	const char *dir = helper_dir();
	const char *mode = sbx_mode_name(cfg.sandbox_mode);
	char path[PATH_MAX];
	size_t k, e = 0;
	int i;
	char *v;

	for (i = 0; i < HELPER_COUNT; i++) {
		helpers[i].id = i;
		helpers[i].name = source_helper_name(i);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    helpers[i].name) >= sizeof(path) ||
		    (specs[i].exe_fd = open(path, O_PATH | O_CLOEXEC)) == -1)
			fatal_f("helper %s: %s: %s", helpers[i].name, path,
			    strerror(errno));
		k = 0;
		helper_argv[i][k++] = (char *)helpers[i].name;
		helper_argv[i][k++] = (char *)mode;
		k = 0;
		helper_env[i][k++] = path_env;
		helper_env[i][k++] = lc_env;
		if ((v = env_entry((int)e, "SLURM_CONF")) != NULL && i ==
		    HELPER_SLURM) {
			helper_env[i][k++] = v;
			e++;
		}
		helper_env[i][k] = NULL;
		specs[i].argv = helper_argv[i];
		specs[i].envp = helper_env[i];
	}
	helper_argv[HELPER_SLURM][2] = squeue_path;
	helper_argv[HELPER_SLURM][3] = NULL;
	helpers[HELPER_SLURM].enabled = squeue_path[0] != '\0';
	helper_argv[HELPER_ACCOUNTS][2] = getent_path;
	helper_argv[HELPER_ACCOUNTS][3] = NULL;
	helpers[HELPER_ACCOUNTS].enabled = getent_path[0] != '\0';
	helper_argv[HELPER_PROMQL][2] = cfg.promserver;
	helper_argv[HELPER_PROMQL][3] = cfg.timerange;
	helper_argv[HELPER_PROMQL][4] = NULL;
	helpers[HELPER_PROMQL].enabled = 1;
	/* The upstream may sit behind a proxy, as Go's client allows. */
	k = 2;
	for (i = 0; i < (int)(sizeof(proxy_vars) / sizeof(proxy_vars[0])) &&
	    k + 1 < sizeof(helper_env[0]) / sizeof(helper_env[0][0]); i++)
		if ((v = env_entry((int)e, proxy_vars[i])) != NULL) {
			helper_env[HELPER_PROMQL][k++] = v;
			e++;
		}
	helper_env[HELPER_PROMQL][k] = NULL;
}

#ifdef PCE_TEST_HOOKS
/*
 * Test builds only: --test.fault=HELPER[:syscall|:protocol|:oversized]
 * makes that helper misbehave during the first scrape (see PROTO_FAULT_*).
 * Taken out of argv before the flags are parsed, so the installed binary
 * has no such flag at all.
 */
static void
take_test_flags(int *argc, char **argv, struct collector *c)
{
	static const char *const kinds[] = { "syscall", "protocol",
	    "oversized" };
	const char *p = "--test.fault=";
	char name[32], *colon;
	int i, j, k;

	for (i = 1, j = 1; i < *argc; i++) {
		if (strncmp(argv[i], p, strlen(p)) != 0) {
			argv[j++] = argv[i];
			continue;
		}
		snprintf(name, sizeof(name), "%s", argv[i] + strlen(p));
		c->fault_kind = 0;
		if ((colon = strchr(name, ':')) != NULL) {
			*colon++ = '\0';
			for (k = 0; k < 3; k++)
				if (strcmp(colon, kinds[k]) == 0)
					c->fault_kind = k;
		}
		c->fault_helper = source_helper_id(name);
	}
	*argc = j;
	argv[j] = NULL;
}
#endif

int
main(int argc, char **argv)
{
	struct spawner *sp = NULL;
	struct MHD_Daemon *d;
	char err[512], usage[8192];
	sigset_t set;
	int fd, sig;

	collector.fault_helper = -1;
#ifdef PCE_TEST_HOOKS
	take_test_flags(&argc, argv, &collector);
#endif
	if (flags_parse(argc, argv, &cfg, err, sizeof(err)) != 0) {
		/* One line, naming the flag: what a site's unit log shows. */
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (cfg.show_help) {
		flags_usage(usage, sizeof(usage));
		fputs(usage, stdout);
		return 0;
	}
	if (cfg.show_version) {
		printf("prometheus-cluster-exporter %s\n", PCE_VERSION);
		return 0;
	}
	log_init(cfg.log_level, cfg.log_format, NULL);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Two malloc arenas whatever the number of threads: each reserves
	 * 64 MiB of address space, which RLIMIT_AS counts (sandbox.c).
	 */
	(void)mallopt(M_ARENA_MAX, 2);
	info_f("starting prometheus-cluster-exporter %s (upstream %s, "
	    "timerange %s, timeout %us)", PCE_VERSION, "configured",
	    cfg.timerange, cfg.timeout_s);
	if (cfg.sandbox_mode == SANDBOX_OFF)
		warn_f("SANDBOX IS OFF (-sandbox=off): helpers run without "
		    "their seccomp filters; use this for debugging only");

	(void)resolve_command("--path.squeue", cfg.squeue_path, "squeue",
	    squeue_path, sizeof(squeue_path));
	(void)resolve_command("--path.getent", cfg.getent_path, "getent",
	    getent_path, sizeof(getent_path));
	setup_helpers();

	err[0] = '\0';
	if ((fd = http_listen(&cfg, err, sizeof(err))) == -1) {
		error_f("%s", err);
		return 1;
	}
	if (geteuid() == 0) {
		if (sbx_drop_privileges(cfg.user, err, sizeof(err)) != 0) {
			error_f("%s", err);
			return 1;
		}
		info_f("started as root; now running as user %s", cfg.user);
		/* Found as root; say so now if the user cannot run them. */
		warn_unreachable("squeue", squeue_path);
		warn_unreachable("getent", getent_path);
	}

	/* Still single-threaded: safe to fork the spawner. */
	if ((sp = spawn_start(specs, HELPER_COUNT)) == NULL) {
		error_f("starting the spawner: %s", strerror(errno));
		return 1;
	}
	if (sup_init(helpers, HELPER_COUNT, sp) != 0)
		error_f("a helper did not start; its sources fail until it "
		    "does");
	if (collect_init(&collector, &cfg, helpers) != 0) {
		error_f("out of memory");
		spawn_stop(sp, 500);
		return 1;
	}

	/* Everything is open and started: confine ourselves. */
	if (sbx_parent_enter(cfg.sandbox_mode, cfg.max_connections, err,
	    sizeof(err)) != 0) {
		error_f("sandbox: %s", err);
		spawn_stop(sp, 500);
		return 1;
	}
	/* Confined first: the supervisor thread inherits the filter. */
	if (sup_start_thread() != 0) {
		error_f("starting the supervisor thread failed");
		spawn_stop(sp, 500);
		return 1;
	}

	/* Only the main thread takes these, with sigwait() below. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((d = http_start(fd, &cfg, &collector, err, sizeof(err))) == NULL) {
		error_f("%s", err);
		spawn_stop(sp, 500);
		return 1;
	}
	info_f("listening on %s:%u, metrics at %s", cfg.listen_host[0] !=
	    '\0' ? cfg.listen_host : "", cfg.port, cfg.telemetry_path);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			info_f("SIGHUP ignored; restart the exporter to change "
			    "its flags");
			continue;
		}
		break;
	}
	info_f("received %s, shutting down", sigabbrev_np(sig));
	/*
	 * Killing the helpers first ends any collection in flight at once
	 * (its reads see EOF); the HTTP threads are not waited for, so the
	 * exit stays within a second whatever a client is doing.
	 */
	sup_stop();
	spawn_stop(sp, 500);
	(void)d;
	_exit(0);
}
