/*
 * laocoon inspect [--format text|json] [--fail-on SEV] [--limit K=V]... PATH...
 *
 * Scans like `laocoon scan`, keeping each file's model graph, and prints the
 * model as a person wants to see it (src/report/inspect.c; the JSON object
 * is documented in docs/inspect.md).  Exit status: the scan's (0 clean,
 * 1 findings at or above --fail-on, 2 not fully analysed, 64 usage error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "laocoon.h"
#include "report/inspect.h"

static void inspect_usage(FILE *out)
{
	fputs("usage: laocoon inspect [--format text|json] [--fail-on SEV] [--limit K=V]... PATH...\n"
	      "\n"
	      "Shows what a model is: format, producer, opsets, inputs and outputs with\n"
	      "dtypes and shapes, operator histogram, functions and nested subgraphs,\n"
	      "parameter count and size, custom operators and signatures, with the scan's\n"
	      "verdict.  Nothing is executed.\n"
	      "\n"
	      "options:\n"
	      "  -f, --format FMT   text (default) or json (docs/inspect.md)\n"
	      "      --fail-on SEV  lowest severity that makes the exit status 1 (default HIGH)\n"
	      "      --limit K=V    change a scan limit (see laocoon --help-limits)\n"
	      "\n"
	      "exit status: 0 clean, 1 findings at or above --fail-on, 2 some file could not\n"
	      "be fully analysed, 64 usage error.\n",
	      out);
}

int lc_cmd_inspect(int argc, char **argv)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	const char *format = "text";
	lc_severity fail_on = LC_SEV_HIGH;
	int only = 0;
	char **paths = calloc((size_t)argc + 1, sizeof *paths);
	size_t npaths = 0;
	if (!paths)
		return 2;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only || a[0] != '-' || strcmp(a, "-") == 0) {
			paths[npaths++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only = 1;
		} else if ((strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) && i + 1 < argc) {
			format = argv[++i];
			if (strcmp(format, "text") && strcmp(format, "json")) {
				fprintf(stderr, "laocoon: inspect: unknown format '%s' (text, json)\n", format);
				goto usage;
			}
		} else if (strcmp(a, "--fail-on") == 0 && i + 1 < argc) {
			if (lc_severity_parse(argv[++i], &fail_on) != 0) {
				fprintf(stderr, "laocoon: unknown severity '%s'\n", argv[i]);
				goto usage;
			}
		} else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
			char err[256];
			if (lc_limits_set(&opt.limits, argv[++i], err, sizeof err) != 0) {
				fprintf(stderr, "laocoon: %s\n", err);
				goto usage;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			inspect_usage(stdout);
			free(paths);
			return 0;
		} else {
			fprintf(stderr, "laocoon: inspect: unknown option or missing value '%s'\n", a);
			goto usage;
		}
	}
	if (!npaths) {
		fprintf(stderr, "laocoon: inspect needs at least one PATH\n");
		goto usage;
	}
	lc_result res = {0};
	for (size_t i = 0; i < npaths; i++)
		lc_scan_path(&opt, paths[i], &res);
	free(paths);
	int rc = strcmp(format, "json") == 0 ? lc_inspect_json(stdout, &res, fail_on)
					     : lc_inspect_text(stdout, &res, fail_on);
	int code = lc_result_exit_code(&res, fail_on);
	lc_result_free(&res);
	if (rc != 0) {
		fprintf(stderr, "laocoon: could not write the report\n");
		return code == 1 ? 1 : 2;
	}
	return code;
usage:
	free(paths);
	inspect_usage(stderr);
	return LC_EXIT_USAGE;
}
