/*
 * laocoon command line: a thin layer over liblaocoon.
 *
 *   laocoon scan [--format text|json|sarif] [--output FILE] [--fail-on SEV]
 *                [--limit name=value]... [--jobs N] PATH...
 *   laocoon --version | --help | --help-limits
 *
 * Exit status: 0 nothing at or above --fail-on and everything analysed;
 * 1 findings at or above --fail-on; 2 something could not be fully analysed
 * (and nothing reached the threshold); 64 usage error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "laocoon.h"

#define EXIT_USAGE LC_EXIT_USAGE

static void usage(FILE *out)
{
	fputs("usage: laocoon COMMAND [options] ...\n"
	      "       laocoon --version | --help | --help-limits\n"
	      "\n"
	      "commands:\n",
	      out);
#define LC_COMMAND(name, summary) fprintf(out, "  %-10s %s\n", #name, summary);
#include "commands.def"
#undef LC_COMMAND
	fputs("\n"
	      "laocoon COMMAND --help shows a command's options.\n"
	      "\n"
	      "usage: laocoon scan [options] PATH...\n"
	      "\n"
	      "Scans model files and directories without executing them and reports what\n"
	      "loading them would do.  Formats are recognised by content, never by name.\n"
	      "\n"
	      "scan options:\n"
	      "  -f, --format FMT      text (default), json or sarif\n"
	      "  -o, --output FILE     write the report to FILE instead of standard output\n"
	      "      --fail-on SEV     lowest severity that makes the exit status 1:\n"
	      "                        CRITICAL, HIGH (default), MEDIUM, LOW or INFO\n"
	      "      --limit K=V       change a limit (repeatable; see --help-limits)\n"
	      "  -j, --jobs N          files scanned in parallel (default: CPUs)\n"
	      "      --no-color        never colour text output\n"
	      "\n"
	      "exit status: 0 clean, 1 findings at or above --fail-on, 2 some file could not\n"
	      "be fully analysed, 64 usage error.\n",
	      out);
}

static void help_limits(void)
{
	size_t n;
	const lc_limit_info *t = lc_limit_table(&n);
	printf("Limits (change with --limit NAME=VALUE; VALUE may end in k, M, G, T).\n"
	       "A value can be lowered freely and raised up to its hard maximum; 0 is refused.\n"
	       "Reaching a limit stops that part of the analysis with an error naming it;\n"
	       "findings made before it are kept.\n\n");
	printf("%-20s %15s %15s  %s\n", "NAME", "DEFAULT", "HARD MAXIMUM", "UNIT / WHY");
	for (size_t i = 0; i < n; i++)
		printf("%-20s %15llu %15llu  %s: %s\n", t[i].name, (unsigned long long)t[i].def,
		       (unsigned long long)t[i].hard, t[i].unit, t[i].why);
}

static int need_arg(int argc, char **argv, int i)
{
	if (i + 1 >= argc) {
		fprintf(stderr, "laocoon: %s needs a value\n", argv[i]);
		return 0;
	}
	return 1;
}

int lc_cmd_scan(int argc, char **argv)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	const char *format = "text";
	const char *output = NULL;
	lc_severity fail_on = LC_SEV_HIGH;
	int no_color = getenv("NO_COLOR") != NULL;
	char **paths = calloc((size_t)argc + 1, sizeof *paths);
	size_t npaths = 0;
	int only_paths = 0;
	if (!paths)
		return 2;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_paths || a[0] != '-' || strcmp(a, "-") == 0) {
			paths[npaths++] = argv[i];
		} else if (strcmp(a, "--") == 0) {
			only_paths = 1;
		} else if (strcmp(a, "-f") == 0 || strcmp(a, "--format") == 0) {
			if (!need_arg(argc, argv, i))
				goto usage;
			format = argv[++i];
			if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "sarif")) {
				fprintf(stderr, "laocoon: unknown format '%s' (text, json, sarif)\n", format);
				goto usage;
			}
		} else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
			if (!need_arg(argc, argv, i))
				goto usage;
			output = argv[++i];
		} else if (strcmp(a, "--fail-on") == 0) {
			if (!need_arg(argc, argv, i))
				goto usage;
			if (lc_severity_parse(argv[++i], &fail_on) != 0) {
				fprintf(stderr, "laocoon: unknown severity '%s'\n", argv[i]);
				goto usage;
			}
		} else if (strcmp(a, "--limit") == 0) {
			if (!need_arg(argc, argv, i))
				goto usage;
			char err[256];
			if (lc_limits_set(&opt.limits, argv[++i], err, sizeof err) != 0) {
				fprintf(stderr, "laocoon: %s\n", err);
				goto usage;
			}
		} else if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0) {
			if (!need_arg(argc, argv, i))
				goto usage;
			char *end;
			errno = 0;
			long j = strtol(argv[++i], &end, 10);
			if (errno || *end || j < 1 || j > 64) {
				fprintf(stderr, "laocoon: --jobs takes a number from 1 to 64\n");
				goto usage;
			}
			opt.jobs = (unsigned)j;
		} else if (strcmp(a, "--no-color") == 0) {
			no_color = 1;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			free(paths);
			return 0;
		} else {
			fprintf(stderr, "laocoon: unknown option '%s'\n", a);
			goto usage;
		}
	}
	if (npaths == 0) {
		fprintf(stderr, "laocoon: scan needs at least one PATH\n");
		goto usage;
	}

	lc_result res = {0};
	for (size_t i = 0; i < npaths; i++)
		lc_scan_path(&opt, paths[i], &res);
	free(paths);

	FILE *out = stdout;
	if (output) {
		out = fopen(output, "w");
		if (!out) {
			fprintf(stderr, "laocoon: cannot write %s: %s\n", output, strerror(errno));
			lc_result_free(&res);
			return 2;
		}
	}
	int rc;
	if (strcmp(format, "json") == 0)
		rc = lc_report_json(out, &res, &opt.limits, fail_on);
	else if (strcmp(format, "sarif") == 0)
		rc = lc_report_sarif(out, &res, fail_on);
	else
		rc = lc_report_text(out, &res, fail_on, !no_color && !output && isatty(fileno(stdout)));
	if (fflush(out) != 0)
		rc = -1;
	if (output && fclose(out) != 0)
		rc = -1;
	int code = lc_result_exit_code(&res, fail_on);
	lc_result_free(&res);
	if (rc != 0) {
		fprintf(stderr, "laocoon: could not write the report\n");
		return code == 1 ? 1 : 2;
	}
	return code;
usage:
	free(paths);
	usage(stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("laocoon %s\n", lc_version());
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--help-limits") == 0) {
		help_limits();
		return 0;
	}
#define LC_COMMAND(name, summary)                                                                        \
	if (strcmp(cmd, #name) == 0)                                                                     \
		return lc_cmd_##name(argc - 2, argv + 2);
#include "commands.def"
#undef LC_COMMAND
	fprintf(stderr, "laocoon: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
