/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: any bytes as a helper's answer, through the parent's
 * real trust boundary (lib/intake.c) and its dispatch tables (`make fuzz`).
 *
 * Input: byte 0 picks the kind of call, byte 1 the number of requests
 * (1..3), byte 2 the size of the chunks the rest arrives in (so frames are
 * split across reads as from a pipe); the rest is the helper's output.
 * Traps unless these invariants hold after every chunk:
 *	- a refused chunk leaves the call violated with a reason, for good;
 *	- no more ENDs are taken than requests were made;
 *	- no sink holds more records or keys than its budget;
 *	- every name an entry holds is one the collection's names handed
 *	  out, and a job's account and user are not empty;
 *	- a query counts as ok only once its SOURCE_END came.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "caps.h"
#include "err.h"
#include "intake.h"
#include "names.h"
#include "proto.h"
#include "sink.h"
#include "source.h"

#define FUZZ_RECORDS	64
#define FUZZ_KEYS	16
#define FUZZ_IDS	32

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The names of every entry of src's sink were handed out. */
static void
check_entries(const struct intake *in, int id)
{
	const struct sink *s = in->source[id].sink;
	const struct sink_entry *e;
	uint32_t i, k, n = names_count(in->names);

	for (i = 0; i < sink_keys(s); i++) {
		e = sink_entry(s, i);
		for (k = 0; k < 2; k++)
			if (e->name[k] >= n)
				__builtin_trap();
		if (id == SOURCE_SLURM && (e->name[0] == 0 || e->name[1] == 0))
			__builtin_trap();
	}
}

static void
check_invariants(const struct intake *in, const struct intake_call *c,
    int r)
{
	int id;

	if (r != 0 && (!c->violated || r != ERR_INVAL ||
	    strncmp(c->reason, "protocol violation: ", 20) != 0))
		__builtin_trap();
	if (c->ends > c->nrequests)
		__builtin_trap();
	for (id = 0; id < SOURCE_COUNT; id++) {
		const struct intake_source *s = &in->source[id];

		if (s->sink != NULL && (sink_records(s->sink) > FUZZ_RECORDS ||
		    sink_keys(s->sink) > FUZZ_KEYS))
			__builtin_trap();
		if (s->sink != NULL)
			check_entries(in, id);
		if (s->ok && !s->ended)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_budget budget = { FUZZ_RECORDS, FUZZ_KEYS };
	uint32_t ids[FUZZ_IDS];
	struct intake_call c;
	struct intake in;
	struct buf bytes;
	size_t off, chunk, n;
	int r = 0, was_violated = 0, kind;
	unsigned int i;

	if (size < 3)
		return 0;
	kind = data[0] % INTAKE_KINDS;
	chunk = 1 + data[2];
	buf_init(&bytes, 4 * PROTO_MAX_FRAME);
	if (intake_init(&in, &budget, NULL, 1000) != 0)
		goto out;
	for (i = 0; i < FUZZ_IDS; i++)
		ids[i] = i;
	if ((kind == INTAKE_USERS || kind == INTAKE_GROUPS) &&
	    intake_ask(&in, ids, FUZZ_IDS) != 0)
		goto out;
	intake_call_init(&c, kind, 1 + data[1] % 3);
	for (off = 3; off < size; off += n) {
		n = size - off < chunk ? size - off : chunk;
		if (buf_append(&bytes, data + off, n) != 0)
			break;
		r = intake_feed(&in, &c, &bytes);
		check_invariants(&in, &c, r);
		/* Once violated, a call stays violated. */
		if (was_violated && r == 0)
			__builtin_trap();
		was_violated = c.violated;
	}
	if (!c.violated && c.ends == c.nrequests)
		check_invariants(&in, &c, intake_close(&c, &bytes));
	intake_ask_done(&in, ids, FUZZ_IDS, NULL, NULL);
 out:
	intake_cleanup(&in);
	buf_cleanup(&bytes);
	return 0;
}
