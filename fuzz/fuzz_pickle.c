/* Fuzz target for the symbolic pickle VM (src/formats/pickle.c), reached
 * through content identification exactly as `laocoon scan` does.  Seeds in
 * fuzz/corpus/pickle/ come from tests/gen/gen_pickles.py: every opcode and
 * trick has one, so mutations start from deep VM states. */
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
	lc_scan_mem(&opt, "fuzz.pkl", data, size, &res);
	lc_result_free(&res);
	return 0;
}
