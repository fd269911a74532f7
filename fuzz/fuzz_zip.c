/* Fuzz target for the zip reader (and, through lc_scan_child, whatever its
 * members hold).  Seeds in fuzz/corpus/zip/ come from tests/gen/gen_zip.py. */
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
	lc_scan_mem(&opt, "fuzz.zip", data, size, &res);
	lc_result_free(&res);
	return 0;
}
