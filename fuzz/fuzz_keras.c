/* Fuzz target for the Keras config reader (keras-config JSON: analysis and
 * layer graph).  Seeds in fuzz/corpus/keras/ are config.json members of the
 * fixtures of tests/gen/gen_keras.py. */
#include <stddef.h>
#include <stdint.h>

#include "laocoon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	opt.keep_graphs = 1;
	lc_result res = {0};
	lc_scan_mem(&opt, "fuzz.json", data, size, &res);
	lc_result_free(&res);
	return 0;
}
