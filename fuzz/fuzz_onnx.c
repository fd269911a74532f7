/* Fuzz target for the ONNX reader and the `laocoon inspect` summaries built
 * on its graph.  Seeds in fuzz/corpus/onnx/ come from tests/gen/gen_onnx.py. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "laocoon.h"
#include "report/inspect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	opt.keep_graphs = 1;
	lc_result res = {0};
	lc_scan_mem(&opt, "fuzz.onnx", data, size, &res);
	FILE *null = fopen("/dev/null", "w");
	if (null) {
		lc_inspect_text(null, &res, LC_SEV_HIGH);
		lc_inspect_json(null, &res, LC_SEV_HIGH);
		fclose(null);
	}
	lc_result_free(&res);
	return 0;
}
