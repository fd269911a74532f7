/* Fuzz target for the numpy .npy reader (src/formats/numpy.c: the header
 * literal parser, dtype sizing, object bodies handed to the pickle VM),
 * reached through content identification exactly as `laocoon scan` does.
 * Seeds in fuzz/corpus/numpy/ come from tests/gen/gen_numpy_joblib.py. */
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
	lc_scan_mem(&opt, "fuzz.npy", data, size, &res);
	lc_result_free(&res);
	return 0;
}
