/* Fuzz target for the TFLite reader and the flatbuffer reader under it.
 * Seeds in fuzz/corpus/tflite/ come from tests/gen/gen_tflite.py. */
#include <stddef.h>
#include <stdint.h>

#include "laocoon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	opt.keep_graphs = 1; /* also exercise the graph hand-over and free */
	lc_result res = {0};
	lc_scan_mem(&opt, "fuzz.tflite", data, size, &res);
	lc_result_free(&res);
	return 0;
}
