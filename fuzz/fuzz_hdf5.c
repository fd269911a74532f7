/* Fuzz target for the HDF5 reader (libhdf5 on hostile bytes, then the
 * Keras analysis of model_config).  Seeds in fuzz/corpus/hdf5/ come from
 * tests/gen/gen_keras.py. */
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
	lc_scan_mem(&opt, "fuzz.h5", data, size, &res);
	lc_result_free(&res);
	return 0;
}
