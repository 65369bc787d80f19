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
	char	 out[65536];
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

/* The clock of the repeat intervals, moved by hand. */
static uint64_t fake_ms;

static uint64_t
fake_now(void)
{
	return fake_ms;
}

/* What a writer set with log_set_writer() was handed. */
struct writer_seen {
	int	 calls;
	int	 last;
	size_t	 len;
	char	 out[8192];
};

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
	log_set_writer(NULL, NULL);
	/* Every test starts with no repeat in flight, at a clock of its own. */
	memset(log_slots, 0, sizeof(log_slots));
	log_held_total = 0;
	fake_ms = 1000000;
	log_now_ms = fake_now;
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
	log_set_writer(NULL, NULL);
	log_now_ms = log_monotonic_ms;
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
#define LF_MAX		12
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

	/*
	 * A relayed record: helper and pid as strings, as the pid= field of
	 * the lines about a helper is: one type per key.
	 */
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
	assert_string_equal(out + c->len - 15,
	    ",\"pid\":\"4321\"}\n");
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

/* The sink of test_limited: like sink(), under its own name. */
static void
sink_fn_for_limited(int level, const char *msg, void *arg)
{
	sink(level, msg, arg);
}

/* Writes "<last> " and the line to stderr, as a queue would later. */
static void
fatal_writer(const char *line, size_t len, int last, void *arg)
{
	char tag[2] = { last ? '1' : '0', ' ' };

	(void)arg;
	if (write(STDERR_FILENO, tag, 2) == -1 ||
	    write(STDERR_FILENO, line, len) == -1)
		return;
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


static size_t
count_str(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The n-th line of out (from 0), with its '\n'; fails if there is none. */
static const char *
nth_line(const char *out, size_t n)
{
	for (; n > 0; n--) {
		assert_non_null(out = strchr(out, '\n'));
		out++;
	}
	assert_true(*out != '\0');
	return out;
}

/*
 * The same text, more than LOG_REPEAT_BURST times in an interval: the
 * rest is counted, and one line says how many once the interval ends.
 */
static void
test_repeat_text(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;
	int i;

	cap_begin(c);
	for (i = 0; i < 20; i++)
		warn_f("Collect is still active... - Skipping now");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST);
	assert_int_equal(count_str(out, " level=warn caller=test_repeat_text "
	    "msg=\"Collect is still active... - Skipping now\"\n"),
	    LOG_REPEAT_BURST);
	assert_int_equal(log_suppressed_total(), 20 - LOG_REPEAT_BURST);

	/* Not yet: the interval has a millisecond left. */
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000 - 1;
	cap_begin(c);
	log_tick();
	out = cap_end(c);
	assert_string_equal(out, "");

	fake_ms += 1;
	cap_begin(c);
	log_tick();
	log_tick();
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_logfmt(out, kv), 4);
	assert_string_equal(kv[1].val, "warn");
	assert_string_equal(kv[2].val, "test_repeat_text");
	assert_string_equal(kv[3].val, "\"Collect is still active... - "
	    "Skipping now (15 similar lines suppressed in 10s)\"");

	/*
	 * The summary was the first line of the next interval: a flood that
	 * goes on gets LOG_REPEAT_BURST lines per interval, summary included.
	 */
	cap_begin(c);
	for (i = 0; i < 10; i++)
		warn_f("Collect is still active... - Skipping now");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST - 1);
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	cap_begin(c);
	warn_f("Collect is still active... - Skipping now");
	out = cap_end(c);
	/* The summary comes first; this line is the second of its interval. */
	assert_int_equal(count_char(out, '\n'), 2);
	assert_non_null(strstr(out, "Skipping now (6 similar lines "
	    "suppressed in 10s)\"\n"));
	assert_non_null(strstr(nth_line(out, 1), "Skipping now\"\n"));
	assert_int_equal(log_suppressed_total(), 15 + 6);

	/* An interval that held nothing back ends in silence. */
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	cap_begin(c);
	log_tick();
	for (i = 0; i < LOG_REPEAT_BURST; i++)
		warn_f("Collect is still active... - Skipping now");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST);
	assert_null(strstr(out, "suppressed"));
}

/* Only the same text is the same line; debug and trace are never held. */
static void
test_repeat_what(void **state)
{
	struct capture *c = *state;
	const char *out;
	int i;

	cap_begin(c);
	/* One call site, different texts: each says something. */
	for (i = 0; i < 20; i++)
		error_f("source %d failed", i);
	/* The same text at another level, or from another caller. */
	for (i = 0; i < LOG_REPEAT_BURST; i++) {
		warn_f("source 1 failed");
		log_emit(LOG_LEVEL_ERROR, "elsewhere", "source 1 failed");
	}
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 20 + 2 * LOG_REPEAT_BURST);
	assert_int_equal(log_suppressed_total(), 0);

	log_init(LOG_LEVEL_TRACE, LOG_FORMAT_LOGFMT, NULL);
	cap_begin(c);
	for (i = 0; i < 30; i++) {
		debug_f("scrape done");
		trace_f("scrape done");
	}
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 60);
	assert_int_equal(log_suppressed_total(), 0);

	/* An info line is held like the others, and errno survives it. */
	cap_begin(c);
	for (i = 0; i < 8; i++) {
		errno = ENOENT;
		info_f("same");
		assert_int_equal(errno, ENOENT);
	}
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST);
	assert_int_equal(log_suppressed_total(), 8 - LOG_REPEAT_BURST);
}

/* Relayed lines: per helper and text; the summary names the last pid. */
static void
test_repeat_relay(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;
	int i;

	cap_begin(c);
	for (i = 0; i < 12; i++) {
		log_relay(LOG_LEVEL_WARN, "slurm", 100 + i, "squeue failed");
		if (i < 3)
			log_relay(LOG_LEVEL_WARN, "promql", 7,
			    "squeue failed");
	}
	/* Below the level: neither written nor counted. */
	log_relay(LOG_LEVEL_DEBUG, "slurm", 1, "squeue failed");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST + 3);
	assert_int_equal(count_str(out, "helper=promql"), 3);
	assert_int_equal(log_suppressed_total(), 12 - LOG_REPEAT_BURST);

	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	cap_begin(c);
	log_tick();
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_logfmt(out, kv), 6);
	assert_string_equal(kv[2].val, "helper");
	assert_string_equal(kv[3].val, "\"squeue failed (7 similar lines "
	    "suppressed in 10s)\"");
	assert_string_equal(kv[4].val, "slurm");
	assert_string_equal(kv[5].val, "111");

	/* A relayed text longer than a slot keeps is still the same text. */
	{
		static char big[2 * MAX_LOG_MSG];

		memset(big, 'r', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		cap_begin(c);
		for (i = 0; i < LOG_REPEAT_BURST + 3; i++)
			log_relay(LOG_LEVEL_ERROR, "promql", 7, big);
		out = cap_end(c);
		assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST);
		big[sizeof(big) - 2] = 's';
		cap_begin(c);
		log_relay(LOG_LEVEL_ERROR, "promql", 7, big);
		out = cap_end(c);
		assert_int_equal(count_char(out, '\n'), 1);
	}

	/* Debug relays are never held. */
	log_init(LOG_LEVEL_DEBUG, LOG_FORMAT_LOGFMT, NULL);
	cap_begin(c);
	for (i = 0; i < 10; i++)
		log_relay(LOG_LEVEL_DEBUG, "promql", 7, "skipping series");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 10);
}

/*
 * log_limited(): a call site, whatever its arguments, at most burst lines
 * per interval; the summary carries the last text held back.
 */
static void
test_limited(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;
	int i;

	cap_begin(c);
	for (i = 0; i < 100; i++)
		log_limited(LOG_LEVEL_WARN, 1, 10, "skipping scrape %d", i);
	/* Below the level: arguments not even evaluated. */
	log_limited(LOG_LEVEL_DEBUG, 1, 10, "x %d", side_effect());
	out = cap_end(c);
	assert_int_equal(evaluated, 0);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, " level=warn caller=test_limited "
	    "msg=\"skipping scrape 0\"\n"));
	assert_int_equal(log_suppressed_total(), 99);

	fake_ms += 10 * 1000;
	cap_begin(c);
	log_tick();
	for (i = 0; i < 5; i++)
		log_limited(LOG_LEVEL_WARN, 1, 10, "skipping scrape %d", i);
	out = cap_end(c);
	/* Once per interval: the summary was this interval's line. */
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_logfmt(out, kv), 4);
	assert_string_equal(kv[1].val, "warn");
	assert_string_equal(kv[2].val, "test_limited");
	assert_string_equal(kv[3].val, "\"skipping scrape 99 (99 similar "
	    "lines suppressed in 10s)\"");

	/* The five above were held in the interval the summary opened. */
	fake_ms += 10 * 1000;
	cap_begin(c);
	log_tick();
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, "msg=\"skipping scrape 4 (5 similar "
	    "lines suppressed in 10s)\"\n"));
	/* Then a quiet interval: silence, and the next line goes out. */
	fake_ms += 10 * 1000;
	cap_begin(c);
	log_tick();
	out = cap_end(c);
	assert_string_equal(out, "");
	cap_begin(c);
	log_limited(LOG_LEVEL_WARN, 1, 10, "skipping scrape %d", 1000);
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_non_null(strstr(out, "msg=\"skipping scrape 1000\"\n"));

	/* Through a helper's sink like any line; burst 0 means 1. */
	memset(log_slots, 0, sizeof(log_slots));
	{
		struct sink_seen seen;

		memset(&seen, 0, sizeof(seen));
		log_set_sink(sink_fn_for_limited, &seen);
		for (i = 0; i < 3; i++)
			log_limited(LOG_LEVEL_ERROR, 0, 5, "budget %d", i);
		assert_int_equal(seen.calls, 1);
		assert_string_equal(seen.msg, "budget 0");
		fake_ms += 5 * 1000;
		log_tick();
		assert_int_equal(seen.calls, 2);
		assert_int_equal(seen.level, LOG_LEVEL_ERROR);
		assert_string_equal(seen.msg,
		    "budget 2 (2 similar lines suppressed in 5s)");
		log_set_sink(NULL, NULL);
	}
}

/* A summary keeps its count, however long and odd the text. */
static void
test_repeat_long(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	static char big[MAX_LOG_MSG];
	static const char want[] =
	    "\\\"... (2 similar lines suppressed in 10s)\"";
	const char *out, *v;
	int i;

	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cap_begin(c);
	for (i = 0; i < LOG_REPEAT_BURST + 2; i++)
		error_f("%s", big);
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	log_tick();
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_REPEAT_BURST + 1);
	out = nth_line(out, LOG_REPEAT_BURST);
	assert_int_equal(parse_logfmt(out, kv), 4);
	v = kv[3].val;
	/* The text cut, whole escapes only, then the count intact. */
	assert_true(strlen(v) > sizeof(want));
	assert_string_equal(v + strlen(v) - (sizeof(want) - 1), want);

	/* Two-byte characters: cut between them, never inside one. */
	memset(log_slots, 0, sizeof(log_slots));
	for (i = 0; i + 2 < (int)sizeof(big); i += 2) {
		big[i] = '\303';
		big[i + 1] = '\251';
	}
	big[i] = '\0';
	/* LOG_SUMMARY_TEXT - 3 is odd: the second byte of a character. */
	assert_int_equal((LOG_SUMMARY_TEXT - 3) % 2, 1);
	cap_begin(c);
	for (i = 0; i < LOG_REPEAT_BURST + 1; i++)
		error_f("%s", big);
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	log_tick();
	out = cap_end(c);
	out = nth_line(out, LOG_REPEAT_BURST);
	assert_int_equal(parse_logfmt(out, kv), 4);
	v = strstr(kv[3].val, "... (1 similar line suppressed in 10s)\"");
	assert_non_null(v);
	/* After the opening quote, whole characters only. */
	assert_int_equal((v - kv[3].val - 1) % 2, 0);
	assert_int_equal(v - kv[3].val - 1, LOG_SUMMARY_TEXT - 4);
	assert_int_equal((unsigned char)v[-1], 0251);
	assert_int_equal((unsigned char)v[-2], 0303);
}

/*
 * More texts in flight than slots: one that held nothing back gives way;
 * with every slot holding lines back, a new text is never lost.
 */
static void
test_repeat_slots(void **state)
{
	struct capture *c = *state;
	const char *out;
	int i, k;

	cap_begin(c);
	for (i = 0; i < LOG_SLOTS; i++)
		for (k = 0; k < LOG_REPEAT_BURST + 1; k++)
			warn_f("flood %d", i);
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), LOG_SLOTS * LOG_REPEAT_BURST);
	assert_int_equal(log_suppressed_total(), LOG_SLOTS);

	cap_begin(c);
	for (k = 0; k < 20; k++)
		warn_f("something new");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 20);
	assert_int_equal(log_suppressed_total(), LOG_SLOTS);

	/* Once the floods have ended, the slots serve again. */
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	cap_begin(c);
	log_tick();
	for (k = 0; k < 20; k++)
		warn_f("something new");
	out = cap_end(c);
	assert_int_equal(count_str(out, "similar line suppressed"),
	    LOG_SLOTS);
	assert_int_equal(count_str(out, "msg=\"something new\""),
	    LOG_REPEAT_BURST);
}

static void
writer(const char *line, size_t len, int last, void *arg)
{
	struct writer_seen *w = arg;

	w->calls++;
	w->last = last;
	assert_true(len > 0 && line[len - 1] == '\n');
	assert_true(w->len + len < sizeof(w->out));
	memcpy(w->out + w->len, line, len);
	w->len += len;
	w->out[w->len] = '\0';
}

/* With a writer, whole lines go to it and nothing to stderr. */
static void
test_writer(void **state)
{
	struct capture *c = *state;
	struct writer_seen w;
	struct lf_pair kv[LF_MAX];
	char line[LOG_LINE_MAX];
	const char *out;
	size_t n;

	memset(&w, 0, sizeof(w));
	log_set_writer(writer, &w);
	cap_begin(c);
	info_f("queued %d", 1);
	log_relay(LOG_LEVEL_ERROR, "accounts", 9, "getent \"x\"");
	out = cap_end(c);
	assert_string_equal(out, "");
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.last, 0);
	assert_int_equal(count_char(w.out, '\n'), 2);
	assert_int_equal(parse_logfmt(w.out, kv), 4);
	assert_string_equal(kv[3].val, "\"queued 1\"");
	assert_int_equal(parse_logfmt(nth_line(w.out, 1), kv), 6);
	assert_string_equal(kv[4].val, "accounts");

	/* log_format() makes the line log_emit() would. */
	n = log_format(line, LOG_LEVEL_WARN, "logq_writer", "3 dropped");
	assert_int_equal(n, strlen(line));
	assert_string_equal(line + 3 + 24,
	    " level=warn caller=logq_writer msg=\"3 dropped\"\n");
	n = log_format(line, 99, "x", "clamped");
	assert_non_null(strstr(line, " level=error caller=x "));

	/* Even a worst-case message is one line that fits. */
	{
		static char big[MAX_LOG_MSG];

		memset(big, '\001', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		n = log_format(line, LOG_LEVEL_INFO, "x", big);
		assert_true(n < LOG_LINE_MAX);
		assert_int_equal(line[n - 1], '\n');
		assert_int_equal(count_char(line, '\n'), 1);
	}

	log_set_writer(NULL, NULL);
	cap_begin(c);
	info_f("direct");
	out = cap_end(c);
	assert_int_equal(w.calls, 2);
	assert_non_null(strstr(out, " msg=\"direct\"\n"));
}

/* log_fatal() hands its line to the writer as the last one, then exits. */
static void
test_fatal_writer(void **state)
{
	struct capture *c = *state;
	const char *out;
	pid_t pid, w;
	int st = 0;

	fflush(stdout);
	cap_begin(c);
	if ((pid = fork()) == 0) {
		log_set_writer(fatal_writer, NULL);
		/* Never held back, however often it was said. */
		log_emit(LOG_LEVEL_ERROR, "f", "gone");
		log_emit(LOG_LEVEL_ERROR, "f", "gone");
		log_emit(LOG_LEVEL_ERROR, "f", "gone");
		log_emit(LOG_LEVEL_ERROR, "f", "gone");
		log_emit(LOG_LEVEL_ERROR, "f", "gone");
		log_fatal("f", "gone");
	}
	w = pid == -1 ? -1 : waitpid(pid, &st, 0);
	out = cap_end(c);
	assert_int_not_equal(pid, -1);
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	/* The writer marks each line with whether it was the last. */
	assert_int_equal(count_char(out, '\n'), 6);
	assert_int_equal(count_str(out, "0 ts="), 5);
	assert_int_equal(count_str(out, "1 ts="), 1);
	assert_non_null(strstr(out, "1 ts="));
	assert_non_null(strstr(strstr(out, "1 ts="),
	    " level=error caller=f msg=\"gone\"\n"));
}

/* Fields follow msg: bare when they can be, quoted when they must. */
static void
test_fields(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;

	cap_begin(c);
	error_kv(LOG_FIELDS({ "source", "metadata" }, { "duration", "1.500s" },
	    { "skipped", NULL }, { "err", "HTTP 503 \"busy\"" },
	    { "empty", "" }, { "eq", "a=b" }), "source %s", "failed");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_string_equal(out + 3 + 24, " level=error caller=test_fields "
	    "msg=\"source failed\" source=metadata duration=1.500s "
	    "err=\"HTTP 503 \\\"busy\\\"\" empty=\"\" eq=\"a=b\"\n");
	assert_int_equal(parse_logfmt(out, kv), 9);
	assert_string_equal(kv[4].key, "source");
	assert_string_equal(kv[5].key, "duration");
	assert_string_equal(kv[6].key, "err");

	/* No fields at all is the plain line. */
	cap_begin(c);
	info_kv(NULL, "plain");
	info_kv(LOG_FIELDS({ "gone", NULL }), "plain");
	out = cap_end(c);
	assert_int_equal(count_str(out, " level=info caller=test_fields "
	    "msg=\"plain\"\n"), 2);

	/* A value cannot start a key or a line of its own. */
	cap_begin(c);
	warn_kv(LOG_FIELDS({ "err", "x level=error msg=forged" },
	    { "job", "a\nts=0 level=error msg=\"forged\"" },
	    { "raw", "tab\there\001" }), "evil");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_logfmt(out, kv), 7);
	assert_string_equal(kv[1].val, "warn");
	assert_string_equal(kv[4].key, "err");
	assert_string_equal(kv[4].val, "\"x level=error msg=forged\"");
	assert_string_equal(kv[5].key, "job");
	assert_string_equal(kv[5].val,
	    "\"a\\nts=0 level=error msg=\\\"forged\\\"\"");
	assert_string_equal(kv[6].val, "\"tab\\u0009here\\u0001\"");
}

static void
test_fields_json(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;

	log_init(LOG_LEVEL_INFO, LOG_FORMAT_JSON, NULL);
	cap_begin(c);
	error_kv(LOG_FIELDS({ "source", "read" }, { "none", NULL },
	    { "err", "a \"b\"\nc" }), "source failed");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_json(out, kv), 6);
	assert_string_equal(kv[3].key, "msg");
	assert_string_equal(kv[3].val, "source failed");
	assert_string_equal(kv[4].key, "source");
	assert_string_equal(kv[4].val, "read");
	assert_string_equal(kv[5].key, "err");
	assert_string_equal(kv[5].val, "a \"b\"\nc");
	assert_non_null(strstr(out, ",\"err\":\"a \\\"b\\\"\\nc\"}\n"));
}

/*
 * Fields take part in what a repeat is: two sources failing are two
 * lines, the same source failing again is a repeat, and the summary keeps
 * the fields.
 */
static void
test_fields_repeat(void **state)
{
	struct capture *c = *state;
	struct lf_pair kv[LF_MAX];
	const char *out;
	int i;

	cap_begin(c);
	for (i = 0; i < 2 * LOG_REPEAT_BURST; i++) {
		error_kv(LOG_FIELDS({ "source", "read" }), "source failed");
		error_kv(LOG_FIELDS({ "source", "write" }), "source failed");
	}
	out = cap_end(c);
	assert_int_equal(count_str(out, "source=read\n"), LOG_REPEAT_BURST);
	assert_int_equal(count_str(out, "source=write\n"), LOG_REPEAT_BURST);
	fake_ms += LOG_REPEAT_INTERVAL_S * 1000;
	cap_begin(c);
	log_tick();
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 2);
	assert_int_equal(parse_logfmt(out, kv), 5);
	assert_string_equal(kv[3].val, "\"source failed (5 similar lines "
	    "suppressed in 10s)\"");
	assert_string_equal(kv[4].key, "source");
	assert_int_equal(count_str(out, "suppressed in 10s)\" source=read\n"),
	    1);
	assert_int_equal(count_str(out, "suppressed in 10s)\" source=write\n"),
	    1);
}

/*
 * Too many bytes of fields: the ones that fit are written whole, the rest
 * left out, and the line stays one line.  A helper's sink gets them as
 * text after the message.
 */
static void
test_fields_long(void **state)
{
	struct capture *c = *state;
	struct sink_seen seen;
	struct lf_pair kv[LF_MAX];
	char big[LOG_FIELDS_MAX], huge[LOG_FIELDS_MAX + 1000];
	const char *out;

	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[LOG_FIELDS_MAX / 2] = '\0';
	cap_begin(c);
	info_kv(LOG_FIELDS({ "a", "1" }, { "big", big }, { "b", "2" },
	    { "huge", "x" }), "long");
	out = cap_end(c);
	assert_int_equal(count_char(out, '\n'), 1);
	assert_int_equal(parse_logfmt(out, kv), 8);
	assert_string_equal(kv[5].key, "big");
	assert_int_equal(strlen(kv[5].val), LOG_FIELDS_MAX / 2);

	big[LOG_FIELDS_MAX / 2] = 'q';
	cap_begin(c);
	info_kv(LOG_FIELDS({ "a", "1" }, { "big", big }, { "b", "2" }),
	    "longer");
	out = cap_end(c);
	assert_int_equal(parse_logfmt(out, kv), 5);
	assert_string_equal(kv[4].key, "a");
	assert_null(strstr(out, "big="));
	assert_null(strstr(out, "b=2"));

	/*
	 * One value longer than the fields may hold, under a short key: left
	 * out, not cut (escaping it stops short of its end).
	 */
	memset(huge, 'h', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	cap_begin(c);
	info_kv(LOG_FIELDS({ "p", huge }), "cut");
	out = cap_end(c);
	assert_int_equal(parse_logfmt(out, kv), 4);
	assert_null(strstr(out, " p="));

	memset(&seen, 0, sizeof(seen));
	log_set_sink(sink, &seen);
	info_kv(LOG_FIELDS({ "source", "slurm" }, { "err", "a b" }), "lost");
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.msg, "lost source=slurm err=\"a b\"");
	/* A sink's text that cannot hold the fields whole goes without. */
	memset(big, 'm', MAX_LOG_MSG - 10);
	big[MAX_LOG_MSG - 10] = '\0';
	info_kv(LOG_FIELDS({ "err", "a b c d e f" }), "%s", big);
	log_set_sink(NULL, NULL);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(strlen(seen.msg), MAX_LOG_MSG - 10);
	assert_null(strstr(seen.msg, "err="));
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
		T(test_repeat_text),
		T(test_repeat_what),
		T(test_repeat_relay),
		T(test_limited),
		T(test_repeat_long),
		T(test_repeat_slots),
		T(test_writer),
		T(test_fatal_writer),
		T(test_fields),
		T(test_fields_json),
		T(test_fields_repeat),
		T(test_fields_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
