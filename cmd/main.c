/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prometheus-cluster-exporter: start-up and shutdown.  The order matters
 * and is explained once here:
 *
 *  1. flags (start_flags);
 *  2. logging, commands found through PATH, helper binaries opened
 *     (O_PATH) (start_process), listening sockets bound and the
 *     connection limit fitted to the open-file limit: all while we may
 *     still be root;
 *  3. every capability dropped, and privileges when root (start_drop);
 *  4. the spawner forked while the process has a single thread, and the
 *     helpers started through it (start_helpers);
 *  5. confined, then the supervisor and HTTP threads, and the web
 *     configuration read, as the user we run as, by a process that
 *     has forked its last child: no spawner or helper holds a key
 *     (start_serving);
 *  6. the main thread waits for SIGTERM/SIGINT, and reads the web
 *     configuration again on SIGHUP (wait_for_stop).
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

#include <curl/curlver.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <seccomp.h>
#include <yaml.h>

#include "buf.h"
#include "collect.h"
#include "err.h"
#include "flags.h"
#include "http.h"
#include "log.h"
#include "logq.h"
#include "paths.h"
#include "procstat.h"
#include "relay.h"
#include "sandbox.h"
#include "signame.h"
#include "spawner.h"
#include "supervise.h"
#include "upstream.h"
#include "version.h"
#include "web.h"

static struct config cfg;
static struct helper helpers[HELPER_COUNT];
static struct spawn_helper specs[HELPER_COUNT];
static struct collector collector;

/* argv and environment of each helper, kept for the spawner's lifetime. */
/* Fixed arguments, then "path:DIR" and "port:N" for Landlock's rules. */
#define HELPER_ARGS	(5 + FLAGS_MAX_READ_PATHS + UPSTREAM_ALLOW_MAX)
/* Allocations from this size on are mappings of their own (main()). */
#define MAIN_MMAP_THRESHOLD	(256 * 1024)
static char *helper_argv[HELPER_COUNT][HELPER_ARGS];
static char read_args[FLAGS_MAX_READ_PATHS][FLAGS_MAX_STR + 8];
static char promql_args[UPSTREAM_ALLOW_MAX][FLAGS_MAX_STR + 8];
static char *helper_env[HELPER_COUNT][12];
static char env_store[12][4096 + 32];
static char squeue_path[PATH_MAX], getent_path[PATH_MAX];
/* -promserver without its user and password: the promql helper's. */
static char promserver_bare[FLAGS_MAX_STR];

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

/*
 * A command's path from its flag or PATH.  The helper opens and checks it
 * at every run (helpers/command.h), so a command missing now is found
 * once it is installed: a path that does not work yet is kept, with a log
 * line.  Returns 0, or -1 after that line.
 */
static int
resolve_command(const char *flag, const char *given, const char *name,
    char *out, size_t outsz)
{
	const char *src = strcmp(name, "squeue") == 0 ? "slurm" : "accounts";
	const char *path;

	if (given[0] != '\0') {
		(void)snprintf(out, outsz, "%s", given);
		if (access(out, X_OK) == 0)
			return 0;
		error_kv(LOG_FIELDS({ "source", src }, { "path", given },
		    { "err", strerror(errno) }), "%s: the source fails until "
		    "it can be run", flag);
		return -1;
	}
	if (find_in_path(name, out, outsz) == 0)
		return 0;
	/* Where a package would put it: the first directory of PATH. */
	path = getenv("PATH");
	if (path == NULL || path[0] != '/' || (size_t)snprintf(out, outsz,
	    "%.*s/%s", (int)strcspn(path, ":"), path, name) >= outsz)
		(void)snprintf(out, outsz, "/usr/bin/%s", name);
	error_kv(LOG_FIELDS({ "source", src }, { "path", out },
	    { "err", "not found in PATH" } ), "%s: the source fails until it "
	    "exists (or set %s)", name, flag);
	return -1;
}

/* Says so at start-up when -user cannot run the command. */
static void
warn_unreachable(const char *name, const char *path)
{
	if (path[0] != '\0' && access(path, X_OK) != 0)
		error_kv(LOG_FIELDS({ "path", path }, { "user", cfg.user },
		    { "err", strerror(errno) }), "%s cannot be run by the "
		    "user: its source will fail until the file and its "
		    "directories are accessible, or choose another -user",
		    name);
}

/* "NAME=value" from our environment in env_store[i], or NULL. */
static char *
env_entry(int i, const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || (size_t)snprintf(env_store[i], sizeof(env_store[i]),
	    "%s=%s", name, v) >= sizeof(env_store[i]))
		return NULL;
	return env_store[i];
}

/*
 * The promql helper's proxy variables, from env_store[e] on: the upstream
 * may sit behind a proxy, as Go's client allows.
 */
static void
promql_proxy_env(size_t e)
{
	static const char *const proxy_vars[] = {
		"http_proxy", "https_proxy", "no_proxy", "HTTPS_PROXY",
		"NO_PROXY", "ALL_PROXY", "all_proxy",
	};
	size_t k = 2, i;
	char *v;

	for (i = 0; i < sizeof(proxy_vars) / sizeof(proxy_vars[0]) &&
	    k + 1 < sizeof(helper_env[0]) / sizeof(helper_env[0][0]); i++)
		if ((v = env_entry((int)e, proxy_vars[i])) != NULL) {
			helper_env[HELPER_PROMQL][k++] = v;
			e++;
		}
	helper_env[HELPER_PROMQL][k] = NULL;
}

/* The helpers' binaries (opened now, as root), argv and environment. */
static void
setup_helpers(void)
{
	static char path_env[] = "PATH=/usr/bin:/bin";
	static char lc_env[] = "LC_ALL=C";
	const char *mode = sbx_mode_name(cfg.sandbox_mode);
	char dir[PATH_MAX], path[PATH_MAX];
	size_t k, n, e = 0;
	int i, r;
	char *v;

	/* The build tree's helpers/ or LIBEXECDIR (cmd/paths.h). */
	if ((r = paths_helper_dir(dir, sizeof(dir))) != 0)
		fatal_f("helper directory: %s%s%s", err_str(r),
		    r == ERR_SYSTEM ? ": " : "",
		    r == ERR_SYSTEM ? strerror(errno) : "");
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
	for (k = 0; k < cfg.nread_path; k++) {
		(void)snprintf(read_args[k], sizeof(read_args[k]), "path:%s",
		    cfg.read_path[k]);
		helper_argv[HELPER_SLURM][3 + k] = read_args[k];
		helper_argv[HELPER_ACCOUNTS][3 + k] = read_args[k];
	}
	helper_argv[HELPER_SLURM][3 + k] = NULL;
	helpers[HELPER_SLURM].enabled = 1;
	helper_argv[HELPER_ACCOUNTS][2] = getent_path;
	helper_argv[HELPER_ACCOUNTS][3 + cfg.nread_path] = NULL;
	helpers[HELPER_ACCOUNTS].enabled = 1;
	helper_argv[HELPER_PROMQL][2] = promserver_bare;
	helper_argv[HELPER_PROMQL][3] = cfg.timerange;
	n = upstream_helper_allow(promql_args, UPSTREAM_ALLOW_MAX);
	for (k = 0; k < n; k++)
		helper_argv[HELPER_PROMQL][4 + k] = promql_args[k];
	helper_argv[HELPER_PROMQL][4 + k] = NULL;
	helpers[HELPER_PROMQL].enabled = 1;
	promql_proxy_env(e);
}

#ifdef PCE_TEST_HOOKS
/*
 * Test builds only: --test.fault=HELPER[:KIND], KIND one of syscall,
 * protocol, oversized, wx, logflood, open, connect:PORT, abstract
 * (default syscall),
 * makes that helper misbehave during the first scrape (see PROTO_FAULT_*).
 * Taken out of argv before the flags are parsed, so the installed binary
 * has no such flag at all.
 */
static void
take_test_flags(int *argc, char **argv, struct collector *c)
{
	static const char *const kinds[] = { "syscall", "protocol",
	    "oversized", "wx", "logflood", "open", "connect", "abstract" };
	const char *p = "--test.fault=";
	char name[48], *colon, *port;
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
			/* connect:PORT: the port rides above the kind. */
			if ((port = strchr(colon, ':')) != NULL)
				*port++ = '\0';
			for (k = 0; k < 8; k++)
				if (strcmp(colon, kinds[k]) == 0)
					c->fault_kind = k;
			if (port != NULL)
				c->fault_kind |= (int)(strtoul(port, NULL,
				    10) & 0xffff) << 8;
		}
		c->fault_helper = source_helper_id(name);
	}
	*argc = j;
	argv[j] = NULL;
}
#endif

/*
 * The libraries the exporter runs with (libcurl's as built: only the
 * promql helper loads it), for -version and build_info.
 */
static void
set_libraries(void)
{
	const struct scmp_version *sv = seccomp_version();
	char s[256];

	snprintf(s, sizeof(s), "libmicrohttpd %s, GnuTLS %s, libseccomp "
	    "%u.%u.%u, libyaml %s, libcurl %s", MHD_get_version(),
	    gnutls_check_version(NULL), sv != NULL ? sv->major : 0,
	    sv != NULL ? sv->minor : 0, sv != NULL ? sv->micro : 0,
	    yaml_get_version_string(), LIBCURL_VERSION);
	version_set_libraries(s);
}

/* -version, in node_exporter's shape, with no build user or clock. */
static void
print_version(void)
{

	printf("prometheus-cluster-exporter, version %s (branch: %s, "
	    "revision: %s)\n", version_number(), version_branch(),
	    version_revision());
	printf("  build date:       %s\n", version_date());
	printf("  compiler:         %s\n", version_compiler());
	printf("  platform:         %s\n", version_platform());
	printf("  libraries:        %s (libcurl: the promql helper's, as "
	    "built)\n", version_libraries());
}

/*
 * Step 1: flags; -help and -version answer here.  Returns -1 to go on,
 * else the exit status.
 */
static int
start_flags(int argc, char **argv)
{
	char err[512], usage[8192];

	collector.fault_helper = -1;
#ifdef PCE_TEST_HOOKS
	take_test_flags(&argc, argv, &collector);
#endif
	set_libraries();
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
		print_version();
		return 0;
	}
	return -1;
}

/*
 * Overwrites each "user:PASSWORD@" in the strings of v with '*': argv and
 * the environment are what /proc/PID/cmdline and environ show of us, and
 * of the spawner forked later.  The user name stays, for whoever wonders
 * which credentials are in use.
 */
static void
scrub_password(char **v, const char *pw, size_t len)
{
	char *p, *s;

	for (; *v != NULL; v++)
		for (s = *v; (p = strstr(s, pw)) != NULL; s = p + len) {
			/* Only where it stands as a URL's password. */
			if (p > *v && p[-1] == ':' && p[len] == '@')
				memset(p, '*', len);
		}
}

/* Step 2: logging, process-wide settings, the commands and helpers. */
static void
start_process(int argc, char **argv)
{
	extern char **environ;
	const char *pw;
	char err[1024], timeout[16];
	size_t len;

	(void)argc;
	log_init(cfg.log_level, cfg.log_format, NULL);
	/* Before any fork: the spawner's copy of argv is ours. */
	if (upstream_init(&cfg, promserver_bare, sizeof(promserver_bare),
	    err, sizeof(err)) != 0)
		fatal_f("%s", err);
	if ((pw = upstream_raw_password(&len)) != NULL) {
		scrub_password(argv, pw, len);
		scrub_password(environ, pw, len);
	}
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Two malloc arenas whatever the number of threads: each reserves
	 * 64 MiB of address space, which RLIMIT_AS counts (sandbox.c).
	 */
	(void)mallopt(M_ARENA_MAX, 2);
	/*
	 * A large site's buffers (the exposition, the sinks, the join) are
	 * mappings of their own: realloc() moves them with mremap() instead
	 * of copying through a second buffer, and free() gives them back at
	 * once.  Fixed thresholds also stop glibc from raising them after
	 * the first large free, which would put the next scrape's buffers on
	 * the heap and leave the free top of a thread's arena, which
	 * malloc_trim() leaves alone, resident between scrapes.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, MAIN_MMAP_THRESHOLD);
	(void)mallopt(M_TRIM_THRESHOLD, MAIN_MMAP_THRESHOLD);
	snprintf(timeout, sizeof(timeout), "%us", cfg.timeout_s);
	info_kv(LOG_FIELDS({ "version", version_number() },
	    { "revision", version_revision() },
	    { "branch", version_branch() }, { "timerange", cfg.timerange },
	    { "timeout", timeout }), "starting prometheus-cluster-exporter");
	if (cfg.sandbox_mode == SANDBOX_OFF)
		warn_f("SANDBOX IS OFF (-sandbox=off): no process runs under "
		    "a seccomp filter, Landlock or memory-deny-write-execute; "
		    "use this for debugging only");
	else if (cfg.sandbox_mode == SANDBOX_LOG)
		warn_f("-sandbox=log: the filters log what they would kill, "
		    "and Landlock and memory-deny-write-execute are off; use "
		    "this to find a missing syscall only");
	else if (sbx_mdwe_supported() == 0)
		info_f("this kernel has no memory-deny-write-execute "
		    "(PR_SET_MDWE, Linux 6.3): the seccomp filters stand "
		    "alone");
	(void)resolve_command("--path.squeue", cfg.squeue_path, "squeue",
	    squeue_path, sizeof(squeue_path));
	(void)resolve_command("--path.getent", cfg.getent_path, "getent",
	    getent_path, sizeof(getent_path));
	setup_helpers();
}

/*
 * Step 3: no capability from here on, whoever started us; started as
 * root, we run as -user.  0 or ERR_*.
 */
static int
start_drop(void)
{
	char err[512];
	int root = geteuid() == 0 || getuid() == 0;
	int had = sbx_has_capabilities();

	if (sbx_drop_privileges(cfg.user, err, sizeof(err)) != 0) {
		error_f("%s", err);
		return ERR_SYSTEM;
	}
	if (!root) {
		if (had)
			info_f("started with capabilities: all dropped");
		return 0;
	}
	info_kv(LOG_FIELDS({ "user", cfg.user }),
	    "started as root; now running as the user");
	/* Found as root; say so now if the user cannot run them. */
	warn_unreachable("squeue", squeue_path);
	warn_unreachable("getent", getent_path);
	return 0;
}

/*
 * Step 4, still single-threaded (safe to fork): the spawner, the helpers
 * through it, the collector.  Returns the spawner, or NULL.
 */
static struct spawner *
start_helpers(void)
{
	struct spawner *sp;

	if ((sp = spawn_start(specs, HELPER_COUNT, cfg.sandbox_mode)) == NULL) {
		error_f("starting the spawner: %s", strerror(errno));
		return NULL;
	}
	if (sup_init(helpers, HELPER_COUNT, sp) != 0)
		error_f("a helper did not start; its sources fail until it "
		    "does");
	if (collect_init(&collector, &cfg, helpers) != 0) {
		error_f("out of memory");
		spawn_stop(sp, 500);
		return NULL;
	}
	return sp;
}

/*
 * The parent's Landlock rules: after start it reads only the web and
 * upstream configuration files and what they name (for SIGHUP), and
 * connects and binds nothing (its sockets are open already).
 */
static void
parent_landlock(struct sbx_landlock *ll)
{
	static char files[16][WEB_PATH_MAX];
	size_t i, n;

	memset(ll, 0, sizeof(*ll));
	ll->net = 1;
	sbx_landlock_dirs_of(ll, cfg.web_config_file, 0);
	sbx_landlock_dirs_of(ll, cfg.promserver_config_file, 0);
	n = web_files(cfg.web_config_file, files, 16);
	n += upstream_files(files + n, 16 - n);
	for (i = 0; i < n; i++)
		sbx_landlock_dirs_of(ll, files[i], 0);
}

/*
 * Step 5: confined, then the threads (which inherit the filter): the
 * supervisor and the front door.  0 or ERR_*.
 */
static int
start_serving(const int *fds, size_t nfds, unsigned int max_conn)
{
	static struct sbx_landlock ll;
	char err[512];
	sigset_t set;
	int abi;

	parent_landlock(&ll);
	/* Before Landlock, which lets nothing under /proc be opened after. */
	if (procstat_open() != 0)
		warn_f("/proc/self: %s; no process_* metrics", strerror(errno));
	if (cfg.sandbox_mode == SANDBOX_ENFORCE) {
		if ((abi = sbx_landlock_abi()) == 0)
			warn_f("this kernel has no Landlock: the file system "
			    "and the network rest on the seccomp filters");
		else
			info_f("Landlock ABI %d%s", abi, abi < 4 ? ": no "
			    "network rules" : abi < 6 ? ": no scoping of "
			    "abstract unix sockets" : "");
	}
	if (sbx_parent_enter(cfg.sandbox_mode, max_conn, &ll, err,
	    sizeof(err)) != 0) {
		error_f("sandbox: %s", err);
		return ERR_SYSTEM;
	}
	/*
	 * Confined first: the writer thread inherits the filter.  From here
	 * on a stalled stderr holds up that thread alone.
	 */
	if (logq_start() != 0)
		warn_f("log queue: %s; log lines are written synchronously",
		    strerror(errno));
	/* Only the main thread takes these, with sigwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* Helpers' stderr: read from now on (cmd/relay.h). */
	if (relay_start() != 0) {
		error_f("starting the helpers' log relay failed");
		return ERR_SYSTEM;
	}
	if (sup_start_thread() != 0) {
		error_f("starting the supervisor thread failed");
		return ERR_SYSTEM;
	}
	if (http_start(fds, nfds, max_conn, &cfg, &collector, err,
	    sizeof(err)) != 0) {
		error_f("%s", err);
		return ERR_SYSTEM;
	}
	info_f("listening on %zu address%s, metrics at %s, at most %u "
	    "connections", nfds, nfds == 1 ? "" : "es", cfg.telemetry_path,
	    max_conn);
	return 0;
}

/* Step 6: waits for SIGTERM or SIGINT; returns the signal. */
static int
wait_for_stop(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return sig;
		/* The configuration files; flags need a restart. */
		web_reload();
		upstream_reload();
	}
}

int
main(int argc, char **argv)
{
	struct spawner *sp;
	int fds[HTTP_MAX_LISTEN], nfds, sig, r;
	unsigned int max_conn;
	char err[512];

	if ((r = start_flags(argc, argv)) >= 0)
		return r;
	start_process(argc, argv);
	/* While we may still be root: the ports, and room for connections. */
	err[0] = '\0';
	if ((nfds = http_listen(&cfg, fds, HTTP_MAX_LISTEN, err,
	    sizeof(err))) < 0) {
		error_f("%s", err);
		return 1;
	}
	max_conn = http_fit_connections(cfg.max_connections);
	if (start_drop() != 0 || (sp = start_helpers()) == NULL)
		return 1;
	if (start_serving(fds, (size_t)nfds, max_conn) != 0) {
		/* The supervisor thread may run: it uses the spawner. */
		sup_stop();
		spawn_stop(sp, 500);
		(void)logq_flush(500);
		/* Threads may run (HTTP's): no exit handlers under them. */
		_exit(1);
	}
	sig = wait_for_stop();
	info_kv(LOG_FIELDS({ "signal", signame(sig) }),
	    "shutting down");
	/*
	 * Killing the helpers first ends any collection in flight at once
	 * (its reads see EOF); the HTTP threads are not waited for, so the
	 * exit stays within a second whatever a client is doing.
	 */
	sup_stop();
	spawn_stop(sp, 500);
	/* The last lines, unless stderr is stalled: then exit anyway. */
	(void)logq_flush(500);
	_exit(0);
}
