/* Architectural backdoor detection: see backdoor.h.  (Work in progress:
 * the analysis lands here; this stub reports nothing.) */
#include "analyze/backdoor.h"

#include <stdlib.h>
#include <string.h>

const char *lc_bd_role_name(lc_bd_role r)
{
	static const char *const names[] = {"input", "feature", "trigger", "const",
	                                    "selector", "payload", "model", "output"};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

int lc_backdoor_analyze(lc_ctx *ctx, lc_graph *g, lc_bd_report *out)
{
	(void)ctx;
	(void)g;
	memset(out, 0, sizeof *out);
	return 0;
}

void lc_bd_report_free(lc_bd_report *r)
{
	if (r)
		memset(r, 0, sizeof *r);
}
