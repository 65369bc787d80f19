/* SPDX-License-Identifier: Apache-2.0 */
#ifndef YAMLCFG_H
#define YAMLCFG_H

#include <stddef.h>

/*
 * The full types of libyaml's parser and event: struct yamlcfg holds them
 * by value, and its users read the current event.
 */
#include <yaml.h>

/*
 * What the configuration files of this exporter share (lib/webcfg.c,
 * lib/promcfg.c): a YAML document walked as libyaml events against a fixed
 * schema, never built into a tree, with the rules yaml.v2 applies to a Go
 * struct (UnmarshalStrict): an unknown or repeated key is an error, a plain
 * null (nothing, ~, null) is the zero value, any scalar is a string, the
 * YAML 1.1 booleans.  Anchors, aliases, tags and a second document are
 * refused.  Messages name the key by its path ("a.b: unknown key (line 3,
 * column 3)"), print the file's text with control and non-ASCII bytes as
 * '?', and never quote a value the caller did not pass to them.
 *
 * Every function returns 0 or a negative ERR_* (lib/err.h) with the
 * message in y->err; a failed read leaves nothing allocated behind.
 */

/* A key as shown in a path; cut so that the deepest path fits. */
#define YAMLCFG_KEY_SHOWN	64
#define YAMLCFG_PATH_LEN	256
/* A refused value quoted in a message. */
#define YAMLCFG_VALUE_SHOWN	64

/*
 * The allocator and the zeroing a module's strings are made with: its own
 * malloc(), realloc(), free() and explicit_bzero(), so that what this
 * module allocates the caller frees with the same free(), and so that a
 * unit test that includes the module's .c with these redefined
 * (tests/alloc_fail.h) sees, and fails, each of them.
 * YAMLCFG_MEM(name) defines a static struct yamlcfg_mem of that name from
 * the allocator in scope where it stands (<stdlib.h> and <string.h>).
 */
struct yamlcfg_mem {
	void	*(*alloc)(size_t);
	void	*(*resize)(void *, size_t);
	void	 (*free)(void *);
	void	 (*wipe)(void *, size_t);
};

#define YAMLCFG_MEM(name)						\
static void *								\
name##_alloc(size_t n)							\
{									\
	return malloc(n);						\
}									\
static void *								\
name##_resize(void *p, size_t n)					\
{									\
	return realloc(p, n);						\
}									\
static void								\
name##_free(void *p)							\
{									\
	free(p);							\
}									\
static void								\
name##_wipe(void *p, size_t n)						\
{									\
	explicit_bzero(p, n);						\
}									\
static const struct yamlcfg_mem name = {				\
	name##_alloc, name##_resize, name##_free, name##_wipe		\
}

/*
 * One parse.  The fields are the module's to read (ev is the current
 * event); only the functions below change them.
 */
struct yamlcfg {
	yaml_parser_t		 parser;
	yaml_event_t		 ev;
	int			 have_ev;	/* ev holds an event */
	int			 ready;		/* parser initialised */
	const char		*text;
	size_t			 len;
	const char		*dir;		/* relative paths join it */
	char			*err;
	size_t			 errsz;
	const struct yamlcfg_mem *mem;
};

/* A key of a mapping; refused: NULL, or why the key is refused. */
struct yamlcfg_field {
	const char	*name;
	const char	*refused;
};

/* Reads the value of key i of a field table, its path path. */
typedef int	yamlcfg_field_fn(void *arg, size_t i, const char *path);

/* yamlcfg_load()'s parser: webcfg_parse(), promcfg_parse(). */
typedef int	yamlcfg_parse_fn(const char *text, size_t len, const char *dir,
		    void *out, char *err, size_t errsz);

/*
 * The path of the document's mapping, for messages about the document
 * itself ("top level: expected a mapping"); its keys' paths have no
 * prefix.  Compared by address.
 */
extern const char	yamlcfg_top[];

/*
 * Sets y->err (when y->errsz > 0; cut to it) from fmt, followed by " (line
 * L, column C)" of m when m is not NULL and the message was not cut.
 * YAMLCFG_FAIL() does so and is ret, a macro so that the analyzers see the
 * code returned.
 */
void	yamlcfg_seterr(struct yamlcfg *y, const yaml_mark_t *m,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define YAMLCFG_FAIL(y, ret, m, ...) \
	(yamlcfg_seterr((y), (m), __VA_ARGS__), (ret))

/*
 * Writes s, a string without NUL inside, to out for a message: printable
 * ASCII as it is, other bytes as '?', cut at max bytes with "...", "\"\""
 * when empty.  outsz >= 5.
 */
void	yamlcfg_shown(const char *s, size_t max, char *out, size_t outsz);

/*
 * yamlcfg_begin() clears *y and err (when errsz > 0) and readies the
 * parse of the len bytes of text (NULL: ""): more than max bytes is
 * ERR_TOOBIG (the message names the cap maxname), a NUL byte ERR_NUL,
 * else the parser is initialised (ERR_NOMEM).  dir is where relative paths
 * are taken from ("." when NULL).  yamlcfg_end() must follow, whatever
 * yamlcfg_begin() returned: it zeroes and frees what libyaml holds.
 */
int	yamlcfg_begin(struct yamlcfg *y, const struct yamlcfg_mem *mem,
	    const char *text, size_t len, const char *dir, size_t max,
	    const char *maxname, char *err, size_t errsz);
void	yamlcfg_end(struct yamlcfg *y);

/*
 * Reads the document: STREAM_START, then nothing (an empty file: 0), a
 * null (0), or a mapping walked by yamlcfg_walk_map() with the fields f;
 * then the end of the stream (a second document: ERR_INVAL).
 */
int	yamlcfg_document(struct yamlcfg *y, const struct yamlcfg_field *f,
	    size_t nf, yamlcfg_field_fn *fn, void *arg, yaml_mark_t *marks);

/*
 * The next event into y->ev, the previous one zeroed (when a scalar) and
 * deleted; a syntax error, an alias, an anchor or a tag is an error at
 * path.
 */
int	yamlcfg_next(struct yamlcfg *y, const char *path);

/* 1 when y->ev is a plain null scalar ("", ~, null, Null, NULL). */
int	yamlcfg_is_null(const struct yamlcfg *y);

/*
 * The current scalar's text (borrowed, valid until the next event) and
 * length; ERR_NUL when it holds a NUL (a double-quoted "\0").
 */
int	yamlcfg_scalar(struct yamlcfg *y, const char *path, const char **s,
	    size_t *len);

/*
 * The current event as a key: a scalar without NUL, *key its text, sub
 * (subsz >= YAMLCFG_PATH_LEN) the path of its value, "path.key".
 */
int	yamlcfg_key(struct yamlcfg *y, const char *path, const char **key,
	    size_t *klen, char *sub, size_t subsz);

/*
 * yamlcfg_open() reads the next event as the start of a node of type
 * start (YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT): 1 when it
 * is one, 0 for a null (yaml.v2's zero value: nothing to read), else an
 * error "path: expected what".  yamlcfg_next_key() reads the next event
 * of a mapping: 0 at its end, 1 with a key as yamlcfg_key() reads it, or
 * an error.
 */
int	yamlcfg_open(struct yamlcfg *y, const char *path,
	    yaml_event_type_t start, const char *what);
int	yamlcfg_next_key(struct yamlcfg *y, const char *path,
	    const char **key, size_t *klen, char *sub, size_t subsz);

/*
 * Walks a mapping whose MAPPING_START is the current event, up to its
 * end: each key must be one of f[] (nf <= 32), once, not refused; fn(arg,
 * i, path of the value) reads the value.  marks[i] (when marks is not
 * NULL) gets where key i was.  yamlcfg_read_map() reads the next event
 * first, and takes a null as no mapping; *given (when not NULL) is set to
 * 1 for a mapping, even an empty one (a Go pointer that is not nil).
 */
int	yamlcfg_walk_map(struct yamlcfg *y, const char *path,
	    const struct yamlcfg_field *f, size_t nf, yamlcfg_field_fn *fn,
	    void *arg, yaml_mark_t *marks);
int	yamlcfg_read_map(struct yamlcfg *y, const char *path,
	    const struct yamlcfg_field *f, size_t nf, yamlcfg_field_fn *fn,
	    void *arg, yaml_mark_t *marks, int *given);

/*
 * yamlcfg_dup_scalar(): the current scalar as a new string in *out ("" for
 * a null), freed with y->mem.  yamlcfg_read_string(): the same of the
 * next event.  yamlcfg_read_opt(): the next event into *dst, which is
 * NULL, and stays NULL for "" or a null; with is_path, joined with y->dir
 * (yamlcfg_join_dir()).
 */
int	yamlcfg_dup_scalar(struct yamlcfg *y, const char *path, char **out);
int	yamlcfg_read_string(struct yamlcfg *y, const char *path, char **out);
int	yamlcfg_read_opt(struct yamlcfg *y, const char *path, int is_path,
	    char **dst);

/*
 * The next event as a list of strings appended to (*list, *n), grown with
 * y->mem; with is_path each is joined with y->dir, and "" is refused.  A
 * null adds nothing; otherwise *given (when not NULL) is set to 1.  Past
 * max entries: ERR_TOOBIG naming the cap maxname.  On failure, what was
 * appended stays in the list, for the caller's free.
 */
int	yamlcfg_read_strings(struct yamlcfg *y, const char *path, int is_path,
	    size_t max, const char *maxname, char ***list, size_t *n,
	    int *given);

/* The next event as a YAML 1.1 boolean (plain only); a null is false. */
int	yamlcfg_read_bool(struct yamlcfg *y, const char *path, int *dst);

/*
 * The next event as TLS10..TLS13 into *dst (0x0301..0x0304); a null
 * leaves *dst.  yamlcfg_tls_version_name() is the name of such a number,
 * "?" for another.
 */
int	yamlcfg_read_tls_version(struct yamlcfg *y, const char *path,
	    int *dst);
const char	*yamlcfg_tls_version_name(int version);

/*
 * 1 when s may be sent as an HTTP header value: no control byte other
 * than HTAB (CR and LF would start a header of the file's making) and no
 * DEL (RFC 9110 field-value).
 */
int	yamlcfg_header_value_ok(const char *s);

/* A copy of the len bytes at s, NUL-terminated; NULL when out of memory. */
char	*yamlcfg_dup(const struct yamlcfg_mem *mem, const char *s, size_t len);

/* Zeroes the string s (NULL: nothing), then frees it. */
void	yamlcfg_free_secret(const struct yamlcfg_mem *mem, char *s);

/*
 * Go's path functions, for Unix, as new strings (NULL when out of memory):
 * filepath.Clean; prometheus/common's JoinDir (an absolute p as it is, a
 * relative one filepath.Join'ed with dir; dir NULL or "" is none); and
 * filepath.Dir.
 */
char	*yamlcfg_clean(const struct yamlcfg_mem *mem, const char *s);
char	*yamlcfg_join_dir(const struct yamlcfg_mem *mem, const char *dir,
	    const char *p);
char	*yamlcfg_dir_of(const struct yamlcfg_mem *mem, const char *path);

/*
 * Reads the regular file at path whole, at most max bytes, into *out
 * (NUL-terminated, *outlen bytes before it; allocated with mem), as
 * webcfg_read() (lib/webcfg.h) says.
 */
int	yamlcfg_read_file(const struct yamlcfg_mem *mem, const char *path,
	    size_t max, char **out, size_t *outlen, char *err, size_t errsz);

/*
 * Reads the file at path (yamlcfg_read_file(), max bytes) and hands it to
 * parse with the directory of path (yamlcfg_dir_of()) and out; the copy is
 * zeroed before it is freed.  Returns what parse returns, or the read's
 * error.
 */
int	yamlcfg_load(const struct yamlcfg_mem *mem, const char *path,
	    size_t max, yamlcfg_parse_fn *parse, void *out, char *err,
	    size_t errsz);

#endif /* YAMLCFG_H */
