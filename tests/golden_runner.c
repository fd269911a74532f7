/*
 * Golden tests: every tests/golden/<case>.expect.json names an input file and
 * what the scan must say about it.  Adding a case needs no code.
 *
 * {
 *   "input": "tests/fixtures/pickle/x.pkl",      path from the repo root
 *   "status": "scanned" | "error" | "skipped",   status of the (first) file
 *   "format": "pickle",                          optional
 *   "findings": [ {"rule": "...", "severity": "CRITICAL",
 *                  "contains": "posix.system"} ], each matched by a distinct finding;
 *                                                 contains searches message,
 *                                                 evidence and member
 *   "exact": true,          no other finding of severity LOW or above
 *   "max_severity": "MEDIUM",  optional bound on every finding
 *   "error_contains": "...",   optional substring of the error/skip reason
 *   "limit": "max_ratio",      optional: the limit named by the error
 *   "limits": {"max_ratio": 10},  optional limit overrides for this case
 *   "exit": 1                  optional expected CLI exit status (fail-on HIGH)
 * }
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "laocoon.h"

static int passed, failed;

#include <stdarg.h>

__attribute__((format(printf, 2, 3))) static void fail(const char *cas, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "golden %s: ", cas);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failed++;
}

static const char *nn(const char *s) { return s ? s : "(null)"; }

static int contains(const lc_finding *f, const char *needle)
{
	if (!needle)
		return 1;
	return (f->message && strstr(f->message, needle)) || (f->evidence && strstr(f->evidence, needle)) ||
	       (f->member && strstr(f->member, needle));
}

static void dump(const lc_file_result *f)
{
	fprintf(stderr, "    actual: status=%s format=%s error=%s\n", lc_status_name(f->status),
		f->format ? f->format : "-", f->error ? f->error : "-");
	for (size_t i = 0; i < f->nfindings; i++)
		fprintf(stderr, "    %s %s %s [%s]\n", lc_severity_name(f->findings[i].severity),
			f->findings[i].rule, f->findings[i].message,
			f->findings[i].member ? f->findings[i].member : "");
}

static void run_case(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	json_error_t jerr;
	json_t *exp = json_load_file(path, 0, &jerr);
	if (!exp) {
		fail(name, "cannot parse expectation: %s", jerr.text);
		return;
	}
	int before = failed;
	const char *input = json_string_value(json_object_get(exp, "input"));
	const char *status = json_string_value(json_object_get(exp, "status"));
	if (!input || !status) {
		fail(name, "needs \"input\" and \"status\"");
		json_decref(exp);
		return;
	}
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	json_t *lims = json_object_get(exp, "limits");
	const char *lk;
	json_t *lv;
	json_object_foreach(lims, lk, lv)
	{
		char as[256], err[256];
		snprintf(as, sizeof as, "%s=%lld", lk, (long long)json_integer_value(lv));
		if (lc_limits_set(&opt.limits, as, err, sizeof err) != 0)
			fail(name, "bad limit override: %s", err);
	}
	lc_result res = {0};
	lc_scan_path(&opt, input, &res);
	if (res.nfiles == 0) {
		fail(name, "no file result for %s", input);
		json_decref(exp);
		return;
	}
	const lc_file_result *f = &res.files[0];
	if (strcmp(lc_status_name(f->status), status) != 0)
		fail(name, "status %s, expected %s", lc_status_name(f->status), status);
	const char *format = json_string_value(json_object_get(exp, "format"));
	if (format && (!f->format || strcmp(f->format, format) != 0))
		fail(name, "format %s, expected %s", nn(f->format), format);
	const char *ec = json_string_value(json_object_get(exp, "error_contains"));
	if (ec && (!f->error || !strstr(f->error, ec)))
		fail(name, "error '%s' does not contain '%s'", nn(f->error), ec);
	const char *lim = json_string_value(json_object_get(exp, "limit"));
	if (lim && (!f->limit || strcmp(f->limit, lim) != 0))
		fail(name, "limit %s, expected %s", nn(f->limit), lim);

	/* Findings of every file of the result (a directory case has several). */
	size_t total = 0;
	for (size_t i = 0; i < res.nfiles; i++)
		total += res.files[i].nfindings;
	const lc_finding **all = calloc(total + 1, sizeof *all);
	char *used = calloc(total + 1, 1);
	size_t k = 0;
	for (size_t i = 0; i < res.nfiles; i++)
		for (size_t j = 0; j < res.files[i].nfindings; j++)
			all[k++] = &res.files[i].findings[j];

	json_t *want = json_object_get(exp, "findings");
	size_t wi;
	json_t *w;
	json_array_foreach(want, wi, w)
	{
		const char *rule = json_string_value(json_object_get(w, "rule"));
		const char *sev = json_string_value(json_object_get(w, "severity"));
		const char *needle = json_string_value(json_object_get(w, "contains"));
		int found = 0;
		for (size_t j = 0; j < total && !found; j++) {
			if (used[j])
				continue;
			if (rule && strcmp(all[j]->rule, rule) != 0)
				continue;
			if (sev && strcmp(lc_severity_name(all[j]->severity), sev) != 0)
				continue;
			if (!contains(all[j], needle))
				continue;
			used[j] = 1;
			found = 1;
		}
		if (!found)
			fail(name, "missing finding %s %s", sev ? sev : "*", rule ? rule : "*");
	}
	if (json_is_true(json_object_get(exp, "exact"))) {
		for (size_t j = 0; j < total; j++)
			if (!used[j] && all[j]->severity >= LC_SEV_LOW)
				fail(name, "unexpected finding %s %s", lc_severity_name(all[j]->severity),
				     all[j]->rule);
	}
	const char *maxs = json_string_value(json_object_get(exp, "max_severity"));
	lc_severity maxsev;
	if (maxs && lc_severity_parse(maxs, &maxsev) == 0) {
		for (size_t j = 0; j < total; j++)
			if (all[j]->severity > maxsev)
				fail(name, "finding %s above max_severity %s", all[j]->rule, maxs);
	}
	json_t *ex = json_object_get(exp, "exit");
	if (json_is_integer(ex)) {
		int code = lc_result_exit_code(&res, LC_SEV_HIGH);
		char a[16], b[16];
		snprintf(a, sizeof a, "%d", code);
		snprintf(b, sizeof b, "%d", (int)json_integer_value(ex));
		if (code != (int)json_integer_value(ex))
			fail(name, "exit %s, expected %s", a, b);
	}
	if (failed != before)
		dump(f);
	else
		passed++;
	free(all);
	free(used);
	lc_result_free(&res);
	json_decref(exp);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/golden";
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "golden: cannot open %s\n", dir);
		printf("golden: 0 passed, 1 failed\n");
		return 1;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 12 && strcmp(de->d_name + len - 12, ".expect.json") == 0) {
			char **nn = realloc(names, (n + 1) * sizeof *nn);
			if (!nn)
				break;
			names = nn;
			names[n++] = strdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmpstr);
	for (size_t i = 0; i < n; i++) {
		run_case(dir, names[i]);
		free(names[i]);
	}
	free(names);
	printf("golden: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
