/*
 * PyTorch checkpoint -> safetensors, without unpickling (src/supply/convert.c).
 */
#ifndef LC_SUPPLY_CONVERT_H
#define LC_SUPPLY_CONVERT_H

#include <stdio.h>

#include "laocoon.h"

/* Converts the torch.save state dict in `in` (zip or legacy stream format)
 * to a safetensors file `out`.  The input is scanned first with the normal
 * policy: any finding of severity MEDIUM or above, or anything the scanner
 * could not fully analyse, refuses the conversion (the scan report is
 * written to log).  Tensors are located from the symbolic pickle facts
 * (rebuild calls, persistent-id storages) and copied element by element,
 * bounds-checked, never through a Python object.  The output is written to
 * a temporary file, validated with laocoon's own safetensors reader, then
 * renamed into place.
 *
 * Returns 0 converted, 1 refused (unsafe, or content safetensors cannot
 * hold), 2 error (I/O, malformed input).  Messages go to log. */
int lc_convert_torch_to_safetensors(const lc_scan_options *opt, const char *in, const char *out, FILE *log);

#endif
