/*
 * laocoon diff [--label-field NAME] [--key NAME] [--format text|json] OLD NEW
 *
 * Compares two versions of a dataset or model directory (src/supply/diff.c).
 * OLD may also be a JSON manifest {"path": "sha256", ...}.  Exit status:
 * 0 no differences, 1 differences, 2 error, 64 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "supply/diff.h"

static void diff_usage(FILE *out)
{
	fputs("usage: laocoon diff [--label-field NAME] [--key NAME] [--format text|json] OLD NEW\n"
	      "\n"
	      "Compares two directories file by file (SHA-256): added, removed, changed.  OLD may\n"
	      "be a JSON manifest {\"path\": \"sha256\"}.  Changed JSONL and CSV/TSV files are\n"
	      "compared row by row: rows are matched by an id-like key (id, uuid, ...; or --key)\n"
	      "when both files have one, else by content and then by row index.  With\n"
	      "--label-field, changed rows whose label differs are counted as label flips per\n"
	      "class pair (cat->dog: 12): the signature of a label-flipping poisoning attack.\n"
	      "\n"
	      "options:\n"
	      "      --label-field NAME   JSONL key or CSV column holding the label\n"
	      "      --key NAME           JSONL key or CSV column identifying a row\n"
	      "  -f, --format FMT         text (default) or json\n"
	      "\n"
	      "exit status: 0 no differences, 1 differences, 2 error, 64 usage error.\n",
	      out);
}

int lc_cmd_diff(int argc, char **argv)
{
	lc_diff_options opt;
	memset(&opt, 0, sizeof opt);
	const char *pos[2];
	int npos = 0, only = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
		if (only || a[0] != '-' || strcmp(a, "-") == 0) {
			if (npos == 2) {
				fprintf(stderr, "laocoon: diff takes exactly two paths\n");
				diff_usage(stderr);
				return LC_EXIT_USAGE;
			}
			pos[npos++] = a;
		} else if (strcmp(a, "--") == 0) {
			only = 1;
		} else if (strcmp(a, "--label-field") == 0 && has_value) {
			opt.label_field = argv[++i];
		} else if (strcmp(a, "--key") == 0 && has_value) {
			opt.key_field = argv[++i];
		} else if ((strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) && has_value) {
			const char *f = argv[++i];
			if (strcmp(f, "json") == 0) {
				opt.json = 1;
			} else if (strcmp(f, "text") != 0) {
				fprintf(stderr, "laocoon: diff: unknown format '%s' (text, json)\n", f);
				return LC_EXIT_USAGE;
			}
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			diff_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "laocoon: diff: unknown option or missing value '%s'\n", a);
			diff_usage(stderr);
			return LC_EXIT_USAGE;
		}
	}
	if (npos != 2) {
		fprintf(stderr, "laocoon: diff needs OLD and NEW\n");
		diff_usage(stderr);
		return LC_EXIT_USAGE;
	}
	if ((opt.label_field && !opt.label_field[0]) || (opt.key_field && !opt.key_field[0])) {
		fprintf(stderr, "laocoon: diff: empty field name\n");
		return LC_EXIT_USAGE;
	}
	return lc_diff(pos[0], pos[1], &opt, stdout, stderr);
}
