/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Applies each process's filter in a forked child and probes it: allowed
 * calls work, forbidden ones kill with SIGSYS (or, in log mode, do not),
 * non-fatal denials answer their errno.  Probes use harmless arguments, so
 * an unfiltered call would fail or do nothing (bubblewrap's try-syscall).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../sandbox/sandbox.c"

/*
 * AddressSanitizer's runtime makes calls of its own (sigaltstack, madvise
 * advice glibc never uses) that the filters rightly forbid, and the shipped
 * tables are not loosened for it.  Under ASan the probes that need a
 * working process after the filter are therefore skipped, visibly; the
 * normal build (make check-unit) runs them all.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NEEDS_PLAIN_RUNTIME() do {					\
	print_message("skipped under AddressSanitizer: its runtime "	\
	    "needs syscalls the filters forbid\n");			\
	skip();								\
} while (0)
#else
#define NEEDS_PLAIN_RUNTIME() do { } while (0)
#endif

/* A probe returns normally with an exit code, or is killed. */
typedef int probe_fn(void);

#define EXIT_OK		0
#define EXIT_ERRNO(e)	(10 + (e) % 100)

static int
run_probe(int who, int mode, probe_fn *fn, int *sig)
{
	char err[256];
	void *ctx;
	pid_t pid;
	int st;

	*sig = 0;
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if ((ctx = sbx_build(who, mode, err, sizeof(err))) == NULL ||
		    seccomp_load(ctx) != 0)
			_exit(99);
		seccomp_release(ctx);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st)) {
		*sig = WTERMSIG(st);
		return -1;
	}
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
expect_killed(int who, probe_fn *fn)
{
	int sig, rc;

	rc = run_probe(who, SANDBOX_ENFORCE, fn, &sig);
	assert_int_equal(rc, -1);
	assert_int_equal(sig, SIGSYS);
}

static void
expect_exit(int who, int mode, probe_fn *fn, int code)
{
	int sig;

	assert_int_equal(run_probe(who, mode, fn, &sig), code);
	assert_int_equal(sig, 0);
}

static int
probe_basics(void)
{
	char buf[64];
	int fd, p[2];
	void *m;

	/* What every process does all day. */
	if (getpid() <= 0 || pipe2(p, O_CLOEXEC) != 0 ||
	    write(p[1], "x", 1) != 1 || read(p[0], buf, 1) != 1)
		return 1;
	if ((fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC)) == -1 &&
	    errno != ENOENT)
		return 2;
	if (fd != -1)
		close(fd);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || munmap(m, 4096) != 0)
		return 3;
	free(malloc(1 << 20));
	return EXIT_OK;
}

/* Frees every other block of a heap, trims, then frees the rest. */
static void *
trim_heap(void *arg)
{
	void *p[64];
	size_t i;

	(void)arg;
	for (i = 0; i < 64; i++)
		p[i] = malloc(32 * 1024);
	for (i = 0; i < 64; i += 2)
		free(p[i]);
	(void)malloc_trim(0);
	for (i = 1; i < 64; i += 2)
		free(p[i]);
	return NULL;
}

/*
 * What the parent does after each collection (cmd/collect.c): malloc_trim
 * over the main heap and a thread's arena (madvise MADV_DONTNEED inside a
 * heap, brk or a PROT_NONE mapping at its end).
 */
static int
probe_trim(void)
{
	pthread_t t;

	trim_heap(NULL);
	if (pthread_create(&t, NULL, trim_heap, NULL) != 0 ||
	    pthread_join(t, NULL) != 0)
		return 1;
	(void)malloc_trim(0);
	return EXIT_OK;
}

static int
probe_open_write(void)
{
	int fd = open("/tmp/pce-sandbox-probe", O_WRONLY | O_CREAT, 0600);

	return fd == -1 ? EXIT_ERRNO(errno) : 1;
}

static int
probe_clone3(void)
{
	long r = syscall(SYS_clone3, NULL, 0);

	return r == -1 ? EXIT_ERRNO(errno) : 1;
}

static int
probe_wx(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	return 1;
}

static int
probe_unshare(void)
{
	syscall(SYS_unshare, 0);
	return 1;
}

static int
probe_ptrace(void)
{
	syscall(SYS_ptrace, -1L, 0L, 0L, 0L);
	return 1;
}

static int
probe_mount(void)
{
	syscall(SYS_mount, NULL, NULL, NULL, 0L, NULL);
	return 1;
}

static int
probe_bpf(void)
{
	syscall(SYS_bpf, -1, NULL, 0);
	return 1;
}

static int
probe_keyctl(void)
{
	syscall(SYS_keyctl, -1L, 0L, 0L, 0L, 0L);
	return 1;
}

static int
probe_init_module(void)
{
	syscall(SYS_init_module, NULL, 0L, NULL);
	return 1;
}

static int
probe_kill(void)
{
	/* Signal 0 to our parent: harmless, but no helper may signal. */
	syscall(SYS_kill, getppid(), 0);
	return 1;
}

static int
probe_raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	if (fd != -1)
		close(fd);
	return 1;
}

static int
probe_packet_socket(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd != -1)
		close(fd);
	return 1;
}

static int
probe_tcp_socket(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return EXIT_ERRNO(errno);
	close(fd);
	return EXIT_OK;
}

static int
probe_execve(void)
{
	char *argv[] = { "/nonexistent", NULL };

	execve(argv[0], argv, NULL);
	return EXIT_ERRNO(errno);
}

static int
probe_fork(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(0);
	if (pid == -1 || waitpid(pid, &st, 0) != pid)
		return 2;
	return EXIT_OK;
}

static int
probe_thread_clone_ns(void)
{
	/* A process clone with a namespace flag: never allowed. */
	syscall(SYS_clone, (long)(CLONE_NEWUSER | SIGCHLD), 0L, 0L, 0L, 0L);
	return 1;
}

static int
probe_prlimit_raise(void)
{
	struct rlimit rl = { 1, 1 };

	syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, NULL);
	return 1;
}

static const int all_helpers[] = {
	HELPER_SLURM, HELPER_ACCOUNTS, HELPER_PROMQL, SBX_PARENT,
};

static void
test_every_row_has_a_reason(void **state)
{
	const struct sbx_policy *const *t;
	size_t i, k, rows = 0;

	(void)state;
	for (k = 0; k < 4; k++) {
		for (t = sbx_tables(all_helpers[k]); *t != NULL; t++) {
			assert_non_null((*t)->name);
			for (i = 0; i < (*t)->nrules; i++) {
				assert_non_null((*t)->rules[i].reason);
				assert_true(strlen((*t)->rules[i].reason) > 3);
				assert_non_null((*t)->rules[i].name);
				rows++;
			}
		}
	}
	assert_true(rows > 100);
}

static void
test_filters_build(void **state)
{
	char err[256];
	void *ctx;
	size_t k;

	(void)state;
	for (k = 0; k < 4; k++) {
		ctx = sbx_build(all_helpers[k], SANDBOX_ENFORCE, err,
		    sizeof(err));
		assert_non_null(ctx);
		seccomp_release(ctx);
	}
}

static void
test_everyday_calls_allowed(void **state)
{
	NEEDS_PLAIN_RUNTIME();
	size_t k;

	(void)state;
	for (k = 0; k < 4; k++)
		expect_exit(all_helpers[k], SANDBOX_ENFORCE, probe_basics,
		    EXIT_OK);
	expect_exit(SBX_PARENT, SANDBOX_ENFORCE, probe_trim, EXIT_OK);
}

static void
test_non_fatal_denials(void **state)
{
	NEEDS_PLAIN_RUNTIME();
	size_t k;

	(void)state;
	for (k = 0; k < 4; k++) {
		expect_exit(all_helpers[k], SANDBOX_ENFORCE, probe_open_write,
		    EXIT_ERRNO(EACCES));
		expect_exit(all_helpers[k], SANDBOX_ENFORCE, probe_clone3,
		    EXIT_ERRNO(ENOSYS));
	}
}

static void
test_forbidden_everywhere(void **state)
{
	/* Under ASan the child could die of the runtime, not the probe. */
	NEEDS_PLAIN_RUNTIME();
	probe_fn *const probes[] = {
		probe_wx, probe_unshare, probe_ptrace, probe_mount,
		probe_bpf, probe_keyctl, probe_init_module, probe_kill,
		probe_raw_socket, probe_packet_socket, probe_thread_clone_ns,
		probe_prlimit_raise,
	};
	size_t k, i;

	(void)state;
	for (k = 0; k < 4; k++)
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
			expect_killed(all_helpers[k], probes[i]);
}

static void
test_process_creation(void **state)
{
	NEEDS_PLAIN_RUNTIME();
	(void)state;
	/* Command helpers fork and exec; promql and the parent never. */
	expect_exit(HELPER_SLURM, SANDBOX_ENFORCE, probe_fork, EXIT_OK);
	expect_exit(HELPER_ACCOUNTS, SANDBOX_ENFORCE, probe_fork,
	    EXIT_OK);
	expect_exit(HELPER_SLURM, SANDBOX_ENFORCE, probe_execve,
	    EXIT_ERRNO(ENOENT));
	expect_killed(HELPER_PROMQL, probe_fork);
	expect_killed(HELPER_PROMQL, probe_execve);
	expect_killed(SBX_PARENT, probe_fork);
	expect_killed(SBX_PARENT, probe_execve);
}

static void
test_sockets(void **state)
{
	NEEDS_PLAIN_RUNTIME();
	(void)state;
	expect_exit(HELPER_PROMQL, SANDBOX_ENFORCE, probe_tcp_socket,
	    EXIT_OK);
	expect_exit(HELPER_SLURM, SANDBOX_ENFORCE, probe_tcp_socket,
	    EXIT_OK);
	/* The parent only accepts on the socket it was given. */
	expect_killed(SBX_PARENT, probe_tcp_socket);
}

static void
test_log_mode_does_not_kill(void **state)
{
	NEEDS_PLAIN_RUNTIME();
	(void)state;
	expect_exit(HELPER_PROMQL, SANDBOX_LOG, probe_unshare, 1);
	expect_exit(HELPER_SLURM, SANDBOX_LOG, probe_unshare, 1);
	/* Denials with an errno keep answering it in log mode. */
	expect_exit(HELPER_SLURM, SANDBOX_LOG, probe_open_write,
	    EXIT_ERRNO(EACCES));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_has_a_reason),
		cmocka_unit_test(test_filters_build),
		cmocka_unit_test(test_everyday_calls_allowed),
		cmocka_unit_test(test_non_fatal_denials),
		cmocka_unit_test(test_forbidden_everywhere),
		cmocka_unit_test(test_process_creation),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_log_mode_does_not_kill),
	};

	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
