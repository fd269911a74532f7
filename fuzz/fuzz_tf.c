/* Fuzz target for the TensorFlow readers (SavedModel, GraphDef, keras_metadata,
 * checkpoint index, fingerprint).  Seeds in fuzz/corpus/tf/ come from tests/gen/gen_tf.py. */
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
	lc_scan_mem(&opt, "saved_model.pb", data, size, &res);
	lc_result_free(&res);
	return 0;
}
