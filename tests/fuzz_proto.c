/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: any bytes as a helper's record stream (`make fuzz`). */
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "caps.h"
#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *body;
	struct proto_series s;
	struct proto_source_end se;
	struct proto_job j;
	struct proto_user u;
	struct proto_group g;
	struct proto_end e;
	struct proto_log l;
	struct proto_req req;
	struct buf in;
	uint8_t type;
	size_t len;

	buf_init(&in, 4 * PROTO_MAX_FRAME);
	if (buf_append(&in, data, size) != 0)
		goto out;
	/* Split the stream the way the parent does, and decode every frame. */
	while (proto_next(&in, &type, &body, &len) == 1) {
		(void)proto_get_series(body, len, &s);
		(void)proto_get_source_end(body, len, &se);
		(void)proto_get_job(body, len, &j);
		(void)proto_get_user(body, len, &u);
		(void)proto_get_group(body, len, &g);
		(void)proto_get_end(body, len, &e);
		(void)proto_get_log(body, len, &l);
		if (proto_get_req(type, body, len, &req) == 0 && req.nids > 0)
			(void)proto_req_id(&req, req.nids - 1);
		buf_consume(&in, proto_frame_size(len));
	}
 out:
	buf_cleanup(&in);
	return 0;
}
