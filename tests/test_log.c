/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/*
 * log.c allocates nothing, so the fixtures use libc directly: a block from
 * cmocka's allocator is seen only through an interior pointer, which
 * valgrind reports as "possibly lost" in the child of test_fatal.
 */
#undef calloc
#undef free

#include "../lib/log.c"

/*
 * Each test writes stderr into a temporary file between cap_begin() and
 * cap_end().  cmocka reports failures on stderr too, so every assertion
 * comes after cap_end() has put the real stderr back.
 */
struct capture {
	FILE	*tmp;
	int	 saved;		/* the real stderr, -1 when not redirected */
	char	 out[16384];
	size_t	 len;
};

/* What the sink test's callback saw. */
struct sink_seen {
	int	 calls;
	int	 level;
	char	 msg[MAX_LOG_MSG + 1];
	void	*arg;
};

static int evaluated;

static int
side_effect(void)
{
	return ++evaluated;
}

static int
setup_capture(void **state)
{
	struct capture *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->saved = -1;
	evaluated = 0;
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT, NULL);
	log_set_sink(NULL, NULL);
	*state = c;
	return 0;
}

static void
cap_restore(struct capture *c)
{
	if (c->saved != -1) {
		dup2(c->saved, STDERR_FILENO);
		close(c->saved);
		c->saved = -1;
	}
	if (c->tmp != NULL) {
		fclose(c->tmp);
		c->tmp = NULL;
	}
}

static int
teardown_capture(void **state)
{
	struct capture *c = *state;

	cap_restore(c);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT, NULL);
	log_set_sink(NULL, NULL);
	free(c);
	return 0;
}

static void
cap_begin(struct capture *c)
{
	assert_int_equal(c->saved, -1);
	assert_non_null(c->tmp = tmpfile());
	fflush(stderr);
	assert_int_not_equal(c->saved = dup(STDERR_FILENO), -1);
	assert_int_not_equal(dup2(fileno(c->tmp), STDERR_FILENO), -1);
}

/* Restores stderr and returns what was written, NUL-terminated. */
static const char *
cap_end(struct capture *c)
{
	ssize_t n;
	int fd = fileno(c->tmp);

	c->len = 0;
	c->out[0] = '\0';
	n = pread(fd, c->out, sizeof(c->out) - 1, 0);
	cap_restore(c);
	assert_true(n >= 0);
	assert_true((size_t)n < sizeof(c->out) - 1);
	c->len = (size_t)n;
	c->out[c->len] = '\0';
	/* Whole lines only, and no NUL inside. */
	assert_int_equal(strlen(c->out), c->len);
	if (c->len > 0)
		assert_int_equal(c->out[c->len - 1], '\n');
	return c->out;
}

static size_t
count_char(const char *s, char ch)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s == ch)
			n++;
	return n;
}

static int
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_hex(char ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

/* "2024-05-01T12:34:56.789Z": dddd-dd-ddTdd:dd:dd.dddZ, 24 bytes. */
static void
assert_ts(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	for (i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd')
			assert_true(is_digit(s[i]));
		else
			assert_int_equal(s[i], shape[i]);
	}
}

/*
 * A strict reader of one logfmt line: key=value pairs separated by one
 * space, values bare or quoted with \" \\ \n \uXXXX escapes, up to the
 * line's '\n'.  Returns the number of pairs, with each key and raw value
 * copied out; fails the test on anything else, so a forged key or a stray
 * quote is caught.
 */
#define LF_MAX		8
#define LF_VALSZ	4096

struct lf_pair {
	char	key[32];
	char	val[LF_VALSZ];
};

static size_t
parse_logfmt(const char *line, struct lf_pair *kv)
{
	const char *p = line, *start;
	size_t n = 0, k;

	while (*p != '\n') {
		assert_true(n < LF_MAX);
		if (n > 0) {
			assert_int_equal(*p, ' ');
			p++;
		}
		for (k = 0; *p != '=' && *p != '\n'; p++) {
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
			assert_true(k < sizeof(kv[n].key) - 1);
			kv[n].key[k++] = *p;
		}
		kv[n].key[k] = '\0';
		assert_int_equal(*p, '=');
		p++;
		start = p;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				assert_true((unsigned char)*p >= 0x20);
				if (*p != '\\')
					continue;
				p++;
				if (*p == 'u') {
					for (k = 1; k <= 4; k++)
						assert_true(is_hex(p[k]));
					p += 4;
				} else
					assert_true(*p == '"' ||
					    *p == '\\' || *p == 'n');
			}
			p++;
		} else {
			for (; *p != ' ' && *p != '\n'; p++)
				assert_true(*p != '"' && *p != '\\' &&
				    (unsigned char)*p > 0x20);
		}
		assert_true((size_t)(p - start) < LF_VALSZ);
		memcpy(kv[n].val, start, (size_t)(p - start));
		kv[n].val[p - start] = '\0';
		n++;
	}
	assert_int_equal(*p, '\n');
	return n;
}

/*
 * A strict reader of one JSON log line: a flat object of string keys with
 * string or integer values, then '\n'.  Returns the number of members.
 */
static const char *
json_string(const char *p, char *out, size_t outsz)
{
	size_t o = 0, k;

	assert_int_equal(*p, '"');
	for (p++; *p != '"'; p++) {
		assert_true((unsigned char)*p >= 0x20);
		assert_true(o + 2 < outsz);
		if (*p != '\\') {
			out[o++] = *p;
			continue;
		}
		p++;
		switch (*p) {
		case '"':
		case '\\':
		case '/':
			out[o++] = *p;
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'u':
			for (k = 1; k <= 4; k++)
				assert_true(is_hex(p[k]));
			out[o++] = '?';
			p += 4;
			break;
		default:
			assert_true(*p == 'b' || *p == 'f' || *p == 'r' ||
			    *p == 't');
			out[o++] = ' ';
			break;
		}
	}
	out[o] = '\0';
	return p + 1;
}

static size_t
parse_json(const char *line, struct lf_pair *kv)
{
	const char *p = line;
	size_t n = 0, k;

	assert_int_equal(*p, '{');
	p++;
	while (*p != '}') {
		assert_true(n < LF_MAX);
		if (n > 0) {
			assert_int_equal(*p, ',');
			p++;
		}
		p = json_string(p, kv[n].key, sizeof(kv[n].key));
		assert_int_equal(*p, ':');
		p++;
		if (*p == '"')
			p = json_string(p, kv[n].val, sizeof(kv[n].val));
		else {
			for (k = 0; is_digit(*p) || (k == 0 && *p == '-');
			    p++) {
				assert_true(k < sizeof(kv[n].val) - 1);
				kv[n].val[k++] = *p;
			}
			assert_true(k > 0);
			kv[n].val[k] = '\0';
		}
		n++;
	}
	assert_int_equal(p[0], '}');
	assert_int_equal(p[1], '\n');
	return n;
}

static void
test_logfmt_shape(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out, *nl;

	cap_begin(c);
	info_f("hello %d", 42);
	out = cap_end(c);

	assert_int_equal(count_char(out, '\n'), 1);
	assert_true(strncmp(out, "ts=", 3) == 0);
	assert_ts(out + 3);
	assert_string_equal(out + 3 + 24,
	    " level=info caller=test_logfmt_shape msg=\"hello 42\"\n");
	assert_int_equal(parse_logfmt(out, kv), 4);
	assert_string_equal(kv[0].key, "ts");
	assert_string_equal(kv[1].key, "level");
	assert_string_equal(kv[2].key, "caller");
	assert_string_equal(kv[3].key, "msg");

	/* One line per call, each with its own level. */
	cap_begin(c);
	error_f("one");
	warn_f("two");
	info_f("three");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 3);
	assert_non_null(strstr(out, " level=error caller=test_logfmt_shape "
	    "msg=\"one\"\n"));
	nl = strchr(out, '\n') + 1;
	assert_true(strncmp(nl, "ts=", 3) == 0);
	assert_non_null(strstr(nl, " level=warn caller=test_logfmt_shape "
	    "msg=\"two\"\n"));
	nl = strchr(nl, '\n') + 1;
	assert_true(strncmp(nl, "ts=", 3) == 0);
	assert_non_null(strstr(nl, " level=info caller=test_logfmt_shape "
	    "msg=\"three\"\n"));

	/* An empty message is still a line. */
	cap_begin(c);
	log_emit(LOG_LEVEL_WARN, "somewhere", "%s", "");
	out = cap_end(c);
	assert_string_equal(out + 3 + 24,
	    " level=warn caller=somewhere msg=\"\"\n");
}

static void
test_level_filter(void **state)
{
	struct capture *c = *state;
	const char *out;

	/* At info, debug and trace are dropped before their arguments. */
	cap_begin(c);
	debug_f("count %d", side_effect());
	trace_f("count %d", side_effect());
	out = cap_end(c);
	assert_string_equal(out, "");
	assert_int_equal(evaluated, 0);

	cap_begin(c);
	info_f("count %d", side_effect());
	out = cap_end(c);
	assert_int_equal(evaluated, 1);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, "msg=\"count 1\"\n"));

	/* At error, even warn is dropped. */
	log_init(LOG_LEVEL_ERROR, LOG_FORMAT_LOGFMT, NULL);
	cap_begin(c);
	warn_f("count %d", side_effect());
	info_f("count %d", side_effect());
	error_f("count %d", side_effect());
	out = cap_end(c);
	assert_int_equal(evaluated, 2);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, "level=error"));

	/* At debug, debug passes and trace does not. */
	log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_LOGFMT, NULL);
	cap_begin(c);
	debug_f("count %d", side_effect());
	trace_f("count %d", side_effect());
	out = cap_end(c);
	assert_int_equal(evaluated, 3);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, "level=debug"));

	/* An out-of-range level leaves the current one alone. */
	log_init(42, LOG_FORMAT_LOGFMT, NULL);
	assert_int_equal(log_current_level, LOG_LEVEL_DEBUG);
	log_init(-1, LOG_FORMAT_LOGFMT, NULL);
	assert_int_equal(log_current_level, LOG_LEVEL_DEBUG);

	assert_string_equal(log_level_name(LOG_LEVEL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
	assert_string_equal(log_level_name(LOG_LEVEL_INFO), "info");
	assert_string_equal(log_level_name(LOG_LEVEL_DEBUG), "debug");
	assert_string_equal(log_level_name(LOG_LEVEL_TRACE), "trace");
	assert_null(log_level_name(-1));
	assert_null(log_level_name(5));
}

static void
test_escape(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;

	cap_begin(c);
	info_f("%s", "a\"b\\c\nd\te\001f\177g\rh");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, " msg=\"a\\\"b\\\\c\\nd\\u0009e"
	    "\\u0001f\\u007fg\\u000dh\"\n"));
	assert_int_equal(parse_logfmt(out, kv), 4);

	/* UTF-8 and other bytes >= 0x80 pass through as they are. */
	cap_begin(c);
	info_f("%s", "caf\303\251 \377");
	out = cap_end(c);
	assert_non_null(strstr(out, " msg=\"caf\303\251 \377\"\n"));
}

/* An untrusted message cannot start a line or add a key of its own. */
static void
test_forged_line(void **state)
{
	static const char evil[] = "x\n level=error msg=\"forged";
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;

	cap_begin(c);
	info_f("got %s", evil);
	log_relay(LOG_LEVEL_WARN, "slurm", 12, evil);
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 2);

	assert_int_equal(parse_logfmt(out, kv), 4);
	assert_string_equal(kv[1].val, "info");
	assert_string_equal(kv[3].val,
	    "\"got x\\n level=error msg=\\\"forged\"");

	out = strchr(out, '\n') + 1;
	assert_int_equal(parse_logfmt(out, kv), 6);
	assert_string_equal(kv[1].val, "warn");
	assert_string_equal(kv[2].val, "helper");
	assert_string_equal(kv[3].val, "\"x\\n level=error msg=\\\"forged\"");
	assert_string_equal(kv[4].key, "helper");
	assert_string_equal(kv[5].key, "pid");
}

static void
test_json(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;

	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, NULL);
	cap_begin(c);
	info_f("say \"hi\" \\ %s", "x\n level=error msg=\"forged\001");
	out = cap_end(c);

	assert_int_equal(count_char(out, '\n'), 1);
	assert_true(strncmp(out, "{\"ts\":\"", 7) == 0);
	assert_ts(out + 7);
	assert_true(c->len > 3);
	assert_string_equal(out + c->len - 3, "\"}\n");
	assert_non_null(strstr(out, "\",\"level\":\"info\","
	    "\"caller\":\"test_json\","));
	assert_non_null(strstr(out, "\"msg\":\"say \\\"hi\\\" \\\\ "
	    "x\\n level=error msg=\\\"forged\\u0001\"}\n"));

	assert_int_equal(parse_json(out, kv), 4);
	assert_string_equal(kv[0].key, "ts");
	assert_string_equal(kv[1].key, "level");
	assert_string_equal(kv[1].val, "info");
	assert_string_equal(kv[2].key, "caller");
	assert_string_equal(kv[2].val, "test_json");
	assert_string_equal(kv[3].key, "msg");
	assert_string_equal(kv[3].val,
	    "say \"hi\" \\ x\n level=error msg=\"forged?");

	/* A relayed record: helper as a string, pid as a number. */
	cap_begin(c);
	log_relay(LOG_LEVEL_ERROR, "promql", 4321, "upstream \"down\"");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_json(out, kv), 6);
	assert_string_equal(kv[1].val, "error");
	assert_string_equal(kv[2].val, "helper");
	assert_string_equal(kv[3].val, "upstream \"down\"");
	assert_string_equal(kv[4].key, "helper");
	assert_string_equal(kv[4].val, "promql");
	assert_string_equal(kv[5].key, "pid");
	assert_string_equal(kv[5].val, "4321");
	assert_string_equal(out + c->len - 13,
	    ",\"pid\":4321}\n");
}

static void
test_relay(void **state)
{
	struct capture *c = *state;
	char want[64];
	const char *out;
	int n;

	cap_begin(c);
	log_relay(LOG_LEVEL_WARN, "slurm", 1234, "squeue \"failed\"\n");
	out = cap_end(c);
	assert_true(strncmp(out, "ts=", 3) == 0);
	assert_string_equal(out + 3 + 24, " level=warn caller=helper "
	    "msg=\"squeue \\\"failed\\\"\\n\" helper=slurm pid=1234\n");

	/* Levels out of range are clamped to error, never indexed. */
	cap_begin(c);
	log_relay(99, "promql", 7, "high");
	log_relay(-5, "promql", 7, "low");
	log_relay(LOG_LEVEL_TRACE + 1, "promql", 7, "just above");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 3);
	assert_non_null(strstr(out, " level=error caller=helper msg=\"high\" "
	    "helper=promql pid=7\n"));
	assert_non_null(strstr(out, " level=error caller=helper msg=\"low\" "
	    "helper=promql pid=7\n"));
	assert_non_null(strstr(out, " level=error caller=helper "
	    "msg=\"just above\" helper=promql pid=7\n"));

	/* Relayed records obey the level like local ones. */
	cap_begin(c);
	log_relay(LOG_LEVEL_DEBUG, "accounts", 8, "quiet");
	out = cap_end(c);
	assert_string_equal(out, "");

	/* A process that is itself a helper tags its own lines. */
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_LOGFMT, "accounts");
	cap_begin(c);
	info_f("ready");
	out = cap_end(c);
	n = snprintf(want, sizeof(want), " helper=accounts pid=%ld\n",
	    (long)getpid());
	assert_true(n > 0 && (size_t)n < sizeof(want));
	assert_true(c->len > (size_t)n);
	assert_string_equal(out + c->len - (size_t)n, want);
	assert_non_null(strstr(out, " caller=test_relay msg=\"ready\" "));
}

static void
sink(int level, const char *msg, void *arg)
{
	struct sink_seen *seen = arg;

	seen->calls++;
	seen->level = level;
	seen->arg = arg;
	snprintf(seen->msg, sizeof(seen->msg), "%s", msg);
}

static void
test_sink(void **state)
{
	struct capture *c = *state;
	struct sink_seen seen;
	const char *out;

	memset(&seen, 0, sizeof(seen));
	log_set_sink(sink, &seen);
	cap_begin(c);
	warn_f("to the sink %d", 5);
	debug_f("filtered %d", side_effect());
	log_emit(42, "x", "bad level");
	out = cap_end(c);
	assert_string_equal(out, "");
	assert_int_equal(evaluated, 0);
	assert_int_equal(seen.calls, 2);
	assert_ptr_equal(seen.arg, &seen);
	assert_int_equal(seen.level, LOG_LEVEL_ERROR);
	assert_string_equal(seen.msg, "bad level");

	cap_begin(c);
	info_f("raw \"text\"\n");
	out = cap_end(c);
	assert_string_equal(out, "");
	assert_int_equal(seen.calls, 3);
	assert_int_equal(seen.level, LOG_LEVEL_INFO);
	/* The sink gets the message itself; the parent escapes it. */
	assert_string_equal(seen.msg, "raw \"text\"\n");

	/* Without a sink, stderr again. */
	log_set_sink(NULL, NULL);
	cap_begin(c);
	info_f("back");
	out = cap_end(c);
	assert_int_equal(seen.calls, 3);
	assert_non_null(strstr(out, " msg=\"back\"\n"));
}

static void
test_long_message(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	static char big[3 * MAX_LOG_MSG];
	const char *out, *msg;
	size_t i;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	/* Cut to MAX_LOG_MSG - 1 bytes, and still one whole line. */
	cap_begin(c);
	info_f("%s", big);
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(out[c->len - 1], '\n');
	assert_int_equal(parse_logfmt(out, kv), 4);
	msg = kv[3].val;
	assert_int_equal(strlen(msg), MAX_LOG_MSG - 1 + 2);
	for (i = 1; i < MAX_LOG_MSG; i++)
		assert_int_equal(msg[i], 'a');

	/* Worst case for escaping: every byte a control character. */
	memset(big, '\001', sizeof(big) - 1);
	cap_begin(c);
	info_f("%s", big);
	log_relay(LOG_LEVEL_INFO, "slurm", 1, big);
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 2);
	assert_int_equal(parse_logfmt(out, kv), 4);
	/* Cut between escapes, never inside one. */
	assert_int_equal((strlen(kv[3].val) - 2) % 6, 0);
	out = strchr(out, '\n') + 1;
	assert_int_equal(parse_logfmt(out, kv), 6);
	assert_int_equal((strlen(kv[3].val) - 2) % 6, 0);
	assert_string_equal(kv[5].val, "1");

	/* Relayed text is not bounded by the caller: cut, then tagged. */
	memset(big, '"', sizeof(big) - 1);
	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, NULL);
	cap_begin(c);
	log_relay(LOG_LEVEL_INFO, "slurm", 2, big);
	info_f("%s", big);
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 2);
	assert_int_equal(parse_json(out, kv), 6);
	assert_string_equal(kv[5].val, "2");
	out = strchr(out, '\n') + 1;
	assert_int_equal(parse_json(out, kv), 4);
	/* Escaping may cut a few bytes early, never late. */
	assert_true(strlen(kv[3].val) <= MAX_LOG_MSG - 1);
	assert_true(strlen(kv[3].val) >= MAX_LOG_MSG - 8);
	assert_int_equal(strspn(kv[3].val, "\""), strlen(kv[3].val));
}

static void
test_errno_kept(void **state)
{
	struct capture *c = *state;
	int e1, e2;

	cap_begin(c);
	errno = EAGAIN;
	info_f("x");
	e1 = errno;
	errno = ENOENT;
	log_emit(LOG_LEVEL_ERROR, "f", "%s", "y");
	e2 = errno;
	cap_end(c);
	assert_int_equal(e1, EAGAIN);
	assert_int_equal(e2, ENOENT);
}

static void
test_fatal(void **state)
{
	struct capture *c = *state;
	const char *out;
	pid_t pid, w;
	int st = 0;

	/* Nothing buffered may be flushed twice by the child's exit. */
	fflush(stdout);
	cap_begin(c);
	if ((pid = fork()) == 0)
		fatal_f("cannot continue: %s", "reason");
	w = pid == -1 ? -1 : waitpid(pid, &st, 0);
	out = cap_end(c);
	assert_int_not_equal(pid, -1);
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, " level=error caller=test_fatal "
	    "msg=\"cannot continue: reason\"\n"));
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup_capture, \
		    teardown_capture)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_logfmt_shape),
		T(test_level_filter),
		T(test_escape),
		T(test_forged_line),
		T(test_json),
		T(test_relay),
		T(test_sink),
		T(test_long_message),
		T(test_errno_kept),
		T(test_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
