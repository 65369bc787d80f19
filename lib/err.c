/* SPDX-License-Identifier: Apache-2.0 */
#include "err.h"

const char *
err_str(int code)
{
	switch (code) {
	case ERR_OK:
		return "success";
	case ERR_NOMEM:
		return "out of memory";
	case ERR_TOOBIG:
		return "size limit exceeded";
	case ERR_INVAL:
		return "malformed input";
	case ERR_TRUNCATED:
		return "truncated input";
	case ERR_RANGE:
		return "number out of range";
	case ERR_UTF8:
		return "invalid UTF-8";
	case ERR_NUL:
		return "embedded NUL byte";
	case ERR_TYPE:
		return "unexpected record type";
	case ERR_TRAILING:
		return "trailing bytes";
	case ERR_JSON_NOMEM:
		return "too many JSON tokens";
	case ERR_JSON_INVAL:
		return "invalid JSON";
	case ERR_JSON_PART:
		return "truncated JSON";
	case ERR_JSON_SCHEMA:
		return "unexpected JSON structure";
	case ERR_UPSTREAM:
		return "upstream reported an error";
	case ERR_SYSTEM:
		return "system call failed";
	case ERR_EOF:
		return "end of stream";
	case ERR_TIMEOUT:
		return "deadline exceeded";
	case ERR_NOTFOUND:
		return "not found";
	case ERR_USAGE:
		return "invalid usage";
	case ERR_OVERFLOW:
		return "byte budget exceeded";
	case ERR_UNSAFE:
		return "unsafe path, not run";
	}
	return "unknown error";
}
