/*
 * Helpers shared by test_zip.c, test_torch.c and test_archive.c: scanning a
 * fixture or a buffer and asking what the result says.
 */
#ifndef LC_TEST_ZIP_UTIL_H
#define LC_TEST_ZIP_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "laocoon.h"

#define LC_T_UNUSED __attribute__((unused))

static lc_result T_res;

LC_T_UNUSED static const lc_file_result *t_scan_path_lim(const char *path, const char *limit)
{
	lc_result_free(&T_res);
	memset(&T_res, 0, sizeof T_res);
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	if (limit) {
		char err[200];
		if (lc_limits_set(&opt.limits, limit, err, sizeof err) != 0)
			fprintf(stderr, "bad limit %s: %s\n", limit, err);
	}
	lc_scan_path(&opt, path, &T_res);
	if (T_res.nfiles != 1) {
		fprintf(stderr, "%s: %zu file results\n", path, T_res.nfiles);
		return NULL;
	}
	return &T_res.files[0];
}

LC_T_UNUSED static const lc_file_result *t_scan_path(const char *path) { return t_scan_path_lim(path, NULL); }

LC_T_UNUSED static const lc_file_result *t_scan_mem_lim(const void *data, size_t len, const char *limit)
{
	lc_result_free(&T_res);
	memset(&T_res, 0, sizeof T_res);
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	if (limit) {
		char err[200];
		if (lc_limits_set(&opt.limits, limit, err, sizeof err) != 0)
			fprintf(stderr, "bad limit %s: %s\n", limit, err);
	}
	lc_scan_mem(&opt, "mem", data, len, &T_res);
	return T_res.nfiles == 1 ? &T_res.files[0] : NULL;
}

/* Number of findings with this rule (NULL = any) at or above sev, whose
 * message/evidence/member contains needle (NULL = any). */
LC_T_UNUSED static size_t t_count(const lc_file_result *f, const char *rule, lc_severity sev, const char *needle)
{
	size_t n = 0;
	if (!f)
		return 0;
	for (size_t i = 0; i < f->nfindings; i++) {
		const lc_finding *x = &f->findings[i];
		if (rule && strcmp(x->rule, rule) != 0)
			continue;
		if (x->severity < sev)
			continue;
		if (needle && !((x->message && strstr(x->message, needle)) || (x->evidence && strstr(x->evidence, needle)) ||
				(x->member && strstr(x->member, needle))))
			continue;
		n++;
	}
	return n;
}

LC_T_UNUSED static int t_max_sev(const lc_file_result *f)
{
	int m = -1;
	for (size_t i = 0; f && i < f->nfindings; i++)
		if ((int)f->findings[i].severity > m)
			m = (int)f->findings[i].severity;
	return m;
}

LC_T_UNUSED static bool t_has_member(const lc_file_result *f, const char *name)
{
	for (size_t i = 0; f && i < f->nmembers; i++)
		if (strcmp(f->members[i].name, name) == 0)
			return true;
	return false;
}

LC_T_UNUSED static void t_dump(const lc_file_result *f)
{
	if (!f)
		return;
	fprintf(stderr, "  status=%s format=%s error=%s\n", lc_status_name(f->status), f->format ? f->format : "-",
		f->error ? f->error : "-");
	for (size_t i = 0; i < f->nfindings; i++)
		fprintf(stderr, "  %s %s %s [%s]\n", lc_severity_name(f->findings[i].severity), f->findings[i].rule,
			f->findings[i].message, f->findings[i].member ? f->findings[i].member : "");
}

#define CHECK_F(f, cond)                                                                     \
	do {                                                                                 \
		int ok_ = (f) != NULL && (cond);                                             \
		CHECK_MSG(ok_, "see result below");                                          \
		if (!ok_)                                                                    \
			t_dump(f);                                                           \
	} while (0)

#endif
