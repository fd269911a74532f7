/* Fuzz target for the safetensors reader.
 * Seeds in fuzz/corpus/safetensors/ come from tests/gen/gen_safetensors.py. */
#include <stddef.h>
#include <stdint.h>

#include "laocoon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	lc_result res = {0};
	lc_scan_mem(&opt, "fuzz.safetensors", data, size, &res);
	lc_result_free(&res);
	return 0;
}
