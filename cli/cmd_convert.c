/*
 * laocoon convert [--limit K=V]... IN.pt OUT.safetensors
 *
 * Converts a torch.save state dict to safetensors without unpickling it
 * (src/supply/convert.c).  Exit status: 0 converted, 1 refused (the scan
 * found something MEDIUM or above, or the content is not a plain state
 * dict safetensors can hold), 2 error, 64 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "laocoon.h"
#include "supply/convert.h"

static void convert_usage(FILE *out)
{
	fputs("usage: laocoon convert [--limit K=V]... IN.pt OUT.safetensors\n"
	      "\n"
	      "Converts a PyTorch state dict (torch.save zip or legacy format) to safetensors\n"
	      "without unpickling it.  The input is scanned first; any finding of severity\n"
	      "MEDIUM or above, or any call besides the tensor-rebuild functions, refuses it.\n"
	      "Tensors are written as torch.load would see them (views gathered, shared\n"
	      "storages copied per tensor, big-endian data byte-swapped).\n"
	      "\n"
	      "options:\n"
	      "      --limit K=V   change a scan limit (see laocoon --help-limits)\n"
	      "\n"
	      "exit status: 0 converted, 1 refused, 2 error, 64 usage error.\n",
	      out);
}

int lc_cmd_convert(int argc, char **argv)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	const char *pos[2];
	int npos = 0, only = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only || a[0] != '-' || strcmp(a, "-") == 0) {
			if (npos == 2) {
				fprintf(stderr, "laocoon: convert takes exactly two paths\n");
				convert_usage(stderr);
				return LC_EXIT_USAGE;
			}
			pos[npos++] = a;
		} else if (strcmp(a, "--") == 0) {
			only = 1;
		} else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
			char err[256];
			if (lc_limits_set(&opt.limits, argv[++i], err, sizeof err) != 0) {
				fprintf(stderr, "laocoon: %s\n", err);
				return LC_EXIT_USAGE;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			convert_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "laocoon: convert: unknown option or missing value '%s'\n", a);
			convert_usage(stderr);
			return LC_EXIT_USAGE;
		}
	}
	if (npos != 2) {
		fprintf(stderr, "laocoon: convert needs IN and OUT\n");
		convert_usage(stderr);
		return LC_EXIT_USAGE;
	}
	return lc_convert_torch_to_safetensors(&opt, pos[0], pos[1], stderr);
}
