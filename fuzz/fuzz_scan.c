/* Fuzz target for the whole engine: content identification and every
 * reader, exactly as `laocoon scan` runs them on a file. */
#include <stdint.h>
#include <stddef.h>

#include "laocoon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	/* Keep each run small and quick: the fuzzer wants throughput. */
	opt.limits.max_member_size = 64u << 20;
	opt.limits.max_decompressed = 128u << 20;
	lc_result res = {0};
	lc_scan_mem(&opt, "fuzz-input", data, size, &res);
	lc_result_free(&res);
	return 0;
}
