/* SPDX-License-Identifier: Apache-2.0 */
/* `make policy-dump`: each process's filter as libseccomp pseudo-code. */
#include <stdio.h>
#include <unistd.h>

#include <seccomp.h>

#include "flags.h"
#include "sandbox.h"

int
main(void)
{
	static const char *const names[] = {
		"slurm", "accounts", "promql", "parent",
	};
	char err[256];
	void *ctx;
	int who;

	for (who = 0; who <= SBX_PARENT; who++) {
		printf("#\n# filter of %s\n#\n", names[who]);
		fflush(stdout);
		if ((ctx = sbx_build(who, SANDBOX_ENFORCE, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "%s: %s\n", names[who], err);
			return 1;
		}
		seccomp_export_pfc(ctx, STDOUT_FILENO);
		seccomp_release(ctx);
	}
	return 0;
}
