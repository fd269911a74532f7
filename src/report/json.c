/*
 * JSON report (docs/json-report.md is the contract: keep it in step).
 *
 * Built as a jansson tree, then dumped once, so the output is always one
 * complete document or nothing.  Every string that comes from a scanned file
 * (paths, member names, messages, evidence, error text) goes through
 * lc_rep_utf8() first: jansson refuses invalid UTF-8, and a hostile member
 * name must not be able to drop a finding from the report.
 */
#include <math.h>
#include <stdlib.h>

#include <jansson.h>

#include "report/report_util.h"

static json_t *jsev_or_null(int sev)
{
	return sev < 0 ? json_null() : json_string(lc_severity_name((lc_severity)sev));
}

static json_t *limits_obj(lc_jb *b, const lc_limits *lim)
{
	lc_limits def;
	if (!lim) {
		lc_limits_default(&def);
		lim = &def;
	}
	json_t *o = json_object();
	size_t n = 0;
	const lc_limit_info *t = lc_limit_table(&n);
	for (size_t i = 0; i < n; i++)
		lc_jset(b, o, t[i].name, lc_juint(lc_limit_get(lim, (lc_limit_id)i)));
	return o;
}

static json_t *finding_obj(lc_jb *b, const lc_finding *x)
{
	json_t *o = json_object();
	lc_jset(b, o, "rule", lc_jstr(b, x->rule ? x->rule : "unknown"));
	lc_jset(b, o, "severity", json_string(lc_severity_name(x->severity)));
	lc_jset(b, o, "message", lc_jstr(b, x->message ? x->message : ""));
	if (x->evidence)
		lc_jset(b, o, "evidence", lc_jstr(b, x->evidence));
	json_t *loc = json_object();
	lc_jset(b, loc, "member", x->member ? lc_jstr(b, x->member) : json_null());
	lc_jset(b, loc, "offset", x->has_offset ? lc_juint(x->offset) : json_null());
	lc_jset(b, o, "location", loc);
	lc_jset(b, o, "count", lc_juint(x->count ? x->count : 1));
	return o;
}

static json_t *file_obj(lc_jb *b, const lc_file_result *f)
{
	json_t *o = json_object();
	lc_jset(b, o, "path", lc_jstr(b, f->path ? f->path : ""));
	lc_jset(b, o, "format", lc_jstr(b, f->format ? f->format : "unknown"));
	lc_jset(b, o, "size", lc_juint(f->size));
	lc_jset(b, o, "status", json_string(lc_status_name(f->status)));
	if (f->status != LC_STATUS_SCANNED)
		lc_jset(b, o, "error", lc_jstr(b, f->error ? f->error : lc_status_name(f->status)));
	if (f->status == LC_STATUS_ERROR)
		lc_jset(b, o, "error_code", json_string(lc_strerror(f->error_code)));
	if (f->limit)
		lc_jset(b, o, "limit", lc_jstr(b, f->limit));
	lc_jset(b, o, "incomplete", json_boolean(lc_rep_file_incomplete(f)));
	lc_jset(b, o, "max_severity", jsev_or_null(lc_rep_file_max_severity(f)));
	/* Rounded to microseconds: more digits are noise, and a short number
	 * keeps the report diffable by eye. */
	double ms =
	        isfinite(f->elapsed_ms) && f->elapsed_ms > 0 ? round(f->elapsed_ms * 1000.0) / 1000.0 : 0.0;
	lc_jset(b, o, "elapsed_ms", json_real(ms));
	json_t *members = json_array();
	for (size_t i = 0; i < f->nmembers; i++) {
		const lc_member *m = &f->members[i];
		json_t *mo = json_object();
		lc_jset(b, mo, "name", lc_jstr(b, m->name ? m->name : ""));
		lc_jset(b, mo, "format", lc_jstr(b, m->format ? m->format : "unknown"));
		lc_jset(b, mo, "size", lc_juint(m->size));
		lc_jappend(b, members, mo);
	}
	lc_jset(b, o, "members", members);
	json_t *findings = json_array();
	for (size_t i = 0; i < f->nfindings; i++)
		lc_jappend(b, findings, finding_obj(b, &f->findings[i]));
	lc_jset(b, o, "findings", findings);
	return o;
}

static json_t *summary_obj(lc_jb *b, const lc_result *res, lc_severity fail_on)
{
	lc_rep_summary s;
	lc_rep_summarize(res, fail_on, &s);
	json_t *o = json_object();
	lc_jset(b, o, "files", lc_juint(s.files));
	lc_jset(b, o, "scanned", lc_juint(s.scanned));
	lc_jset(b, o, "errors", lc_juint(s.errors));
	lc_jset(b, o, "skipped", lc_juint(s.skipped));
	lc_jset(b, o, "incomplete", lc_juint(s.incomplete));
	json_t *per = json_object();
	/* Most severe first: the order people read them in. */
	for (int sev = LC_SEV_CRITICAL; sev >= LC_SEV_INFO; sev--)
		lc_jset(b, per, lc_severity_name((lc_severity)sev), lc_juint(s.sev[sev]));
	lc_jset(b, o, "findings", per);
	lc_jset(b, o, "occurrences", lc_juint(s.occurrences));
	lc_jset(b, o, "max_severity", jsev_or_null(s.max_severity));
	lc_jset(b, o, "fail_on", json_string(lc_severity_name(fail_on)));
	lc_jset(b, o, "verdict", json_string(s.verdict));
	lc_jset(b, o, "exit_code", json_integer(s.exit_code));
	return o;
}

int lc_report_json(FILE *out, const lc_result *res, const lc_limits *lim, lc_severity fail_on)
{
	lc_jb b = {0};
	json_t *root = json_object();
	json_t *tool = json_object();
	lc_jset(&b, tool, "name", json_string("laocoon"));
	lc_jset(&b, tool, "version", json_string(LAOCOON_VERSION));
	lc_jset(&b, root, "tool", tool);
	lc_jset(&b, root, "limits", limits_obj(&b, lim));
	json_t *files = json_array();
	for (size_t i = 0; i < res->nfiles; i++)
		lc_jappend(&b, files, file_obj(&b, &res->files[i]));
	lc_jset(&b, root, "files", files);
	lc_jset(&b, root, "summary", summary_obj(&b, res, fail_on));

	int rc = -1;
	/* JSON_REAL_PRECISION keeps 0.4 from printing as 0.40000000000000002. */
	if (!b.oom && json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) == 0 &&
	    fputc('\n', out) != EOF && fflush(out) == 0 && !ferror(out))
		rc = 0;
	json_decref(root);
	return rc;
}
