/* Fuzz target for the model-repository readers: JSON/YAML configs,
 * native headers, scripts, Git LFS pointers (whatever the bytes bid as).
 * Seeds in fuzz/corpus/config/ come from tests/gen/gen_repo.py fixtures. */
#include <stddef.h>
#include <stdint.h>

#include "laocoon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	/* Small budgets: alias bombs must stay fast under the fuzzer. */
	char err[128];
	lc_limits_set(&opt.limits, "config_max_nodes=100000", err, sizeof err);
	lc_result res = {0};
	lc_scan_mem(&opt, "fuzz.config", data, size, &res);
	lc_result_free(&res);
	return 0;
}
