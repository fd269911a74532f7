/*
 * laocoon bom [--output FILE] [--limit K=V]... [--jobs N] PATH
 *
 * Writes a CycloneDX 1.6 ML-BOM (JSON) of a model directory or file
 * (src/supply/bom.c).  Exit status: 0 written and every file fully analysed,
 * 2 written but some file could not be analysed, or no BOM written; 64 usage
 * error.  Findings do not change the status: they are in the BOM (use
 * `laocoon scan --fail-on` to gate on them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "laocoon.h"
#include "supply/bom.h"

static void bom_usage(FILE *out)
{
	fputs("usage: laocoon bom [--output FILE] [--limit K=V]... [--jobs N] PATH\n"
	      "\n"
	      "Writes a CycloneDX 1.6 ML-BOM (JSON) of a model directory or file: one component\n"
	      "per file with SHA-256/SHA-512 hashes, format, status and tensor inventory, and the\n"
	      "scan's findings as vulnerabilities.\n"
	      "\n"
	      "options:\n"
	      "  -o, --output FILE   write the BOM to FILE instead of standard output\n"
	      "      --limit K=V     change a scan limit (see laocoon --help-limits)\n"
	      "  -j, --jobs N        files scanned in parallel (default: CPUs)\n"
	      "\n"
	      "exit status: 0 written, every file analysed; 2 some file not analysed or no BOM\n"
	      "written; 64 usage error.\n",
	      out);
}

int lc_cmd_bom(int argc, char **argv)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	const char *path = NULL, *output = NULL;
	int only = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
		if (only || a[0] != '-' || strcmp(a, "-") == 0) {
			if (path) {
				fprintf(stderr, "laocoon: bom takes one PATH\n");
				bom_usage(stderr);
				return LC_EXIT_USAGE;
			}
			path = a;
		} else if (strcmp(a, "--") == 0) {
			only = 1;
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_value) {
			output = argv[++i];
		} else if (strcmp(a, "--limit") == 0 && has_value) {
			char err[256];
			if (lc_limits_set(&opt.limits, argv[++i], err, sizeof err) != 0) {
				fprintf(stderr, "laocoon: %s\n", err);
				return LC_EXIT_USAGE;
			}
		} else if ((strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) && has_value) {
			char *end;
			errno = 0;
			long j = strtol(argv[++i], &end, 10);
			if (errno || *end || j < 1 || j > 64) {
				fprintf(stderr, "laocoon: --jobs takes a number from 1 to 64\n");
				return LC_EXIT_USAGE;
			}
			opt.jobs = (unsigned)j;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			bom_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "laocoon: bom: unknown option or missing value '%s'\n", a);
			bom_usage(stderr);
			return LC_EXIT_USAGE;
		}
	}
	if (!path) {
		fprintf(stderr, "laocoon: bom needs a PATH\n");
		bom_usage(stderr);
		return LC_EXIT_USAGE;
	}
	FILE *out = stdout;
	if (output && !(out = fopen(output, "w"))) {
		fprintf(stderr, "laocoon: cannot write %s: %s\n", output, strerror(errno));
		return 2;
	}
	int rc = lc_bom_write(out, &opt, path, stderr);
	if (fflush(out) != 0 || (output && fclose(out) != 0)) {
		fprintf(stderr, "laocoon: could not write the BOM\n");
		rc = -1;
	}
	if (rc < 0 && output)
		remove(output);
	return rc < 0 ? 2 : rc;
}
