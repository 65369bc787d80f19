/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/wait.h>

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../lib/gzip.c"

/* Exposition-like text: compressible, as the answers are. */
static char *
make_text(size_t n, unsigned int seed)
{
	char *s = malloc(n + 64), line[128];
	size_t len = 0;
	int k;

	assert_non_null(s);
	while (len < n) {
		seed = seed * 1103515245u + 12345u;
		k = snprintf(line, sizeof(line), "cluster_job_read_throughput_"
		    "bytes{account=\"acc%u\",user=\"user%u\"} %u.%u\n",
		    seed % 50, seed % 200, seed % 100000, seed % 7);
		memcpy(s + len, line, (size_t)k);
		len += (size_t)k;
	}
	return s;
}

/* Random bytes: deflate cannot shrink them, its worst case. */
static char *
make_noise(size_t n)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char *s = malloc(n);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s[i] = (char)(x >> 24);
	}
	return s;
}

/*
 * zlib's own gzip decoder takes the member whole: one stream end, the
 * trailer's CRC-32 and length checked, no byte left over, and the
 * content a then b.
 */
static void
check_inflate(const struct buf *gz, const char *a, size_t alen,
    const char *b, size_t blen)
{
	unsigned char *plain;
	z_stream z;
	size_t n = alen + blen;

	plain = malloc(n + 1);
	assert_non_null(plain);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK);
	z.next_in = (const unsigned char *)buf_ptr(gz);
	z.avail_in = (uInt)buf_len(gz);
	z.next_out = plain;
	z.avail_out = (uInt)n + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.avail_in, 0);
	assert_int_equal(z.total_out, n);
	if (alen > 0)
		assert_memory_equal(plain, a, alen);
	if (blen > 0)
		assert_memory_equal(plain + alen, b, blen);
	(void)inflateEnd(&z);
	free(plain);
}

/* Runs argv with stdout to out (NULL: /dev/null); its exit status. */
static int
run(char *const argv[], const char *out)
{
	pid_t pid;
	int st, fd;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		fd = open(out != NULL ? out : "/dev/null",
		    O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd == -1 || dup2(fd, 1) == -1)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/*
 * gzip(1) and Python's gzip module agree: the member tests good and
 * decompresses to a then b.
 */
static void
check_tools(const struct buf *gz, const char *a, size_t alen,
    const char *b, size_t blen)
{
	char path[] = "/tmp/test_gzip.XXXXXX", plain[64], *got;
	char *gzip_t[] = { "gzip", "-t", path, NULL };
	char *py[] = { "python3", "-c", "import gzip, sys; "
	    "sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())", path,
	    NULL };
	FILE *f;
	long n;
	int fd;

	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, buf_ptr(gz), buf_len(gz)),
	    (ssize_t)buf_len(gz));
	close(fd);
	snprintf(plain, sizeof(plain), "%s.out", path);
	assert_int_equal(run(gzip_t, NULL), 0);
	assert_int_equal(run(py, plain), 0);
	assert_non_null(f = fopen(plain, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_int_equal(n, (long)(alen + blen));
	rewind(f);
	got = malloc((size_t)n + 1);
	assert_non_null(got);
	assert_int_equal(fread(got, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (alen > 0)
		assert_memory_equal(got, a, alen);
	if (blen > 0)
		assert_memory_equal(got + alen, b, blen);
	free(got);
	unlink(plain);
	unlink(path);
}

/* The member of a (shared, compressed once) and b, checked every way. */
static void
check_member(const char *a, size_t alen, const char *b, size_t blen,
    int level, int tools)
{
	struct gzip_part *p;
	struct buf gz;

	assert_int_equal(gzip_part_new(a, alen, level, &p), 0);
	assert_non_null(p);
	assert_true(gzip_part_size(p) >= GZIP_HEADER_LEN + 5);
	buf_init(&gz, MAX_EXPOSITION);
	assert_int_equal(gzip_member(p, b, blen, level, &gz), 0);
	check_inflate(&gz, a, alen, b, blen);
	if (tools)
		check_tools(&gz, a, alen, b, blen);
	/* The part is shared: a second answer, another tail. */
	buf_reset(&gz);
	assert_int_equal(gzip_member(p, "x\n", 2, level, &gz), 0);
	check_inflate(&gz, a, alen, "x\n", 2);
	buf_cleanup(&gz);
	gzip_part_free(p);
}

static void
test_small(void **state)
{
	static const char a[] = "# TYPE m gauge\nm 1\n";
	static const char b[] = "# TYPE n counter\nn_total 2\n";
	int level;

	(void)state;
	check_member(a, strlen(a), b, strlen(b), 6, 1);
	/* An empty tail, an empty shared part, both. */
	check_member(a, strlen(a), "", 0, 6, 1);
	check_member(NULL, 0, b, strlen(b), 6, 1);
	check_member("", 0, NULL, 0, 6, 1);
	for (level = 1; level <= 9; level++)
		check_member(a, strlen(a), b, strlen(b), level, 0);
}

static void
test_large(void **state)
{
	size_t big = 16 * 1024 * 1024, noisy = 3 * 1024 * 1024;
	char *text = make_text(big, 1), *tail = make_text(200000, 2);
	char *noise = make_noise(noisy);

	(void)state;
	check_member(text, big, tail, 200000, 1, 1);
	check_member(text, big, tail, 200000, 6, 0);
	/* Incompressible both sides: deflate's bounds hold. */
	check_member(noise, noisy, noise, noisy, 1, 1);
	check_member(noise, noisy, noise + 1, 1000, 9, 0);
	/* Large tail, small shared part. */
	check_member("a\n", 2, text, big, 1, 0);
	free(text);
	free(tail);
	free(noise);
}

/* No shared part: a header, the tail, the trailer; gzip(1) agrees. */
static void
test_no_part(void **state)
{
	static const char b[] = "cluster_exporter_scrape_ok 0\n";
	struct buf gz;

	(void)state;
	buf_init(&gz, 1 << 20);
	assert_int_equal(gzip_member(NULL, b, strlen(b), 6, &gz), 0);
	check_inflate(&gz, NULL, 0, b, strlen(b));
	check_tools(&gz, NULL, 0, b, strlen(b));
	buf_reset(&gz);
	assert_int_equal(gzip_member(NULL, NULL, 0, 1, &gz), 0);
	check_inflate(&gz, NULL, 0, NULL, 0);
	check_tools(&gz, NULL, 0, NULL, 0);
	buf_cleanup(&gz);
}

/* The same bytes every time (no time stamp), and the header's fields. */
static void
test_header(void **state)
{
	static const unsigned char want[] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3,
	};
	struct gzip_part *p, *q;

	(void)state;
	assert_int_equal(gzip_part_new("abc", 3, 1, &p), 0);
	assert_int_equal(gzip_part_new("abc", 3, 1, &q), 0);
	assert_int_equal(gzip_part_size(p), gzip_part_size(q));
	assert_memory_equal(p->bytes, q->bytes, p->len);
	assert_memory_equal(p->bytes, want, sizeof(want));
	/* Ends in a full flush: an empty stored block, not final. */
	assert_memory_equal(p->bytes + p->len - 4, "\0\0\xff\xff", 4);
	gzip_part_free(p);
	gzip_part_free(q);
	gzip_part_free(NULL);
}

/* Bad levels, and a cap too small: an error, out unchanged. */
static void
test_errors(void **state)
{
	struct gzip_part *p = (struct gzip_part *)&p;
	struct buf gz;

	(void)state;
	assert_int_equal(gzip_part_new("a", 1, 0, &p), ERR_INVAL);
	assert_null(p);
	assert_int_equal(gzip_part_new("a", 1, 10, &p), ERR_INVAL);
	assert_int_equal(gzip_part_new("a", (size_t)MAX_EXPOSITION + 1, 1,
	    &p), ERR_TOOBIG);
	buf_init(&gz, 20);
	assert_int_equal(buf_append(&gz, "keep", 4), 0);
	assert_int_equal(gzip_member(NULL, "a", 1, 0, &gz), ERR_INVAL);
	assert_int_equal(gzip_member(NULL, "hello, world", 12, 6, &gz),
	    ERR_TOOBIG);
	assert_int_equal(buf_len(&gz), 4);
	assert_string_equal(buf_ptr(&gz), "keep");
	buf_cleanup(&gz);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_no_part),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
