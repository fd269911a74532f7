/*
 * Reporters: build lc_result structures by hand (allocated the way the
 * library allocates them, released with lc_result_free), render each report
 * into memory and read it back: JSON and SARIF through jansson, text as
 * lines.  The checks are about the contract in docs/json-report.md and
 * docs/sarif.md, and about hostile bytes from scanned files.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../harness.h"
#include "laocoon.h"
#include "report/report_util.h"

/* ---- building results ---------------------------------------------------- */

static lc_file_result *add_file(lc_result *r, const char *path, const char *format, lc_status st)
{
	if (r->nfiles == r->capfiles) {
		size_t ncap = r->capfiles ? r->capfiles * 2 : 4;
		lc_file_result *nf = realloc(r->files, ncap * sizeof *nf);
		if (!nf)
			abort();
		r->files = nf;
		r->capfiles = ncap;
	}
	lc_file_result *f = &r->files[r->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = strdup(path);
	f->format = format;
	f->status = st;
	f->size = 1000 + r->nfiles;
	f->elapsed_ms = 0.25;
	return f;
}

static void set_error(lc_file_result *f, lc_err code, const char *why, const char *limit)
{
	f->status = LC_STATUS_ERROR;
	f->error_code = code;
	f->error = strdup(why);
	f->limit = limit;
}

static void set_skipped(lc_file_result *f, const char *why, int binary)
{
	f->status = LC_STATUS_SKIPPED;
	f->error = strdup(why);
	f->unrecognised_binary = binary;
}

static lc_finding *add_finding(lc_file_result *f, lc_severity sev, const char *rule, const char *msg,
                               const char *evidence, const char *member, int has_offset, uint64_t offset,
                               uint64_t count)
{
	if (f->nfindings == f->capfindings) {
		size_t ncap = f->capfindings ? f->capfindings * 2 : 4;
		lc_finding *nf = realloc(f->findings, ncap * sizeof *nf);
		if (!nf)
			abort();
		f->findings = nf;
		f->capfindings = ncap;
	}
	lc_finding *x = &f->findings[f->nfindings++];
	memset(x, 0, sizeof *x);
	x->rule = rule;
	x->severity = sev;
	x->message = strdup(msg);
	x->evidence = evidence ? strdup(evidence) : NULL;
	x->member = member ? strdup(member) : NULL;
	x->has_offset = has_offset;
	x->offset = offset;
	x->count = count;
	return x;
}

static void add_member(lc_file_result *f, const char *name, const char *format, uint64_t size)
{
	if (f->nmembers == f->capmembers) {
		size_t ncap = f->capmembers ? f->capmembers * 2 : 4;
		lc_member *nm = realloc(f->members, ncap * sizeof *nm);
		if (!nm)
			abort();
		f->members = nm;
		f->capmembers = ncap;
	}
	lc_member *m = &f->members[f->nmembers++];
	m->name = strdup(name);
	m->format = format;
	m->size = size;
}

/* The mixed result most tests use: one malicious zip, one file cut short by
 * a limit, one skipped text file. */
static void build_mixed(lc_result *r)
{
	memset(r, 0, sizeof *r);
	lc_file_result *f = add_file(r, "models/evil.pt", "pytorch-zip", LC_STATUS_SCANNED);
	add_member(f, "archive/data.pkl", "pickle", 456);
	add_member(f, "archive/version", "unknown", 2);
	add_finding(f, LC_SEV_CRITICAL, "pickle.callable.dangerous", "call of os.system", "os.system('id')",
	            "archive/data.pkl", 1, 57, 3);
	add_finding(f, LC_SEV_INFO, "pickle.trailing-data", "4 bytes after STOP", NULL, NULL, 1, 1200, 1);
	add_finding(f, LC_SEV_LOW, "zip.appended-data", "data after the archive", NULL, NULL, 0, 0, 1);

	f = add_file(r, "models/cut.pkl", "pickle", LC_STATUS_SCANNED);
	add_finding(f, LC_SEV_MEDIUM, "pickle.class.unknown", "instance of foo.Bar", "foo.Bar", NULL, 1, 9,
	            1);
	set_error(f, LC_E_LIMIT, "limit max_depth=16 levels reached", "max_depth");

	f = add_file(r, "README.md", "unknown", LC_STATUS_SCANNED);
	set_skipped(f, "not a model file", 0);
}

/* ---- rendering ----------------------------------------------------------- */

enum { R_JSON, R_SARIF, R_TEXT };

static char *render(int kind, const lc_result *r, const lc_limits *lim, lc_severity fail_on, int color,
                    int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		abort();
	if (kind == R_JSON)
		*rc = lc_report_json(m, r, lim, fail_on);
	else if (kind == R_SARIF)
		*rc = lc_report_sarif(m, r, fail_on);
	else
		*rc = lc_report_text(m, r, fail_on, color);
	fclose(m);
	return buf;
}

/* Parses a report; NULL (and a failed check) unless it is exactly one JSON
 * document followed by one newline. */
static json_t *render_json(int kind, const lc_result *r, const lc_limits *lim, lc_severity fail_on)
{
	int rc = -1;
	char *out = render(kind, r, lim, fail_on, 0, &rc);
	CHECK(rc == 0);
	size_t n = strlen(out);
	CHECK_MSG(n > 1 && out[n - 1] == '\n' && out[n - 2] != '\n', "report must end with one newline");
	json_error_t err;
	/* Default flags reject anything after the document and invalid UTF-8. */
	json_t *root = json_loadb(out, n, 0, &err);
	CHECK_MSG(root != NULL, "not valid JSON: %s (line %d)", err.text, err.line);
	free(out);
	return root;
}

static const char *jget_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long jget_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -999;
}

/* ---- JSON ---------------------------------------------------------------- */

static void test_json_mixed(void)
{
	lc_result r;
	build_mixed(&r);
	lc_limits lim;
	lc_limits_default(&lim);
	char err[128];
	CHECK(lc_limits_set(&lim, "max_depth=5", err, sizeof err) == 0);
	json_t *root = render_json(R_JSON, &r, &lim, LC_SEV_HIGH);
	if (!root) {
		lc_result_free(&r);
		return;
	}

	json_t *tool = json_object_get(root, "tool");
	CHECK_STR(jget_str(tool, "name"), "laocoon");
	CHECK_STR(jget_str(tool, "version"), LAOCOON_VERSION);

	/* Every limit of the table is echoed with the value in force. */
	json_t *limits = json_object_get(root, "limits");
	size_t nlim = 0;
	const lc_limit_info *t = lc_limit_table(&nlim);
	CHECK(json_object_size(limits) == nlim);
	for (size_t i = 0; i < nlim; i++) {
		json_t *v = json_object_get(limits, t[i].name);
		CHECK_MSG(json_is_integer(v) &&
		                  (uint64_t)json_integer_value(v) == lc_limit_get(&lim, (lc_limit_id)i),
		          "limit %s", t[i].name);
	}
	CHECK(jget_int(limits, "max_depth") == 5);

	json_t *files = json_object_get(root, "files");
	CHECK(json_array_size(files) == 3);

	json_t *f0 = json_array_get(files, 0);
	CHECK_STR(jget_str(f0, "path"), "models/evil.pt");
	CHECK_STR(jget_str(f0, "format"), "pytorch-zip");
	CHECK(jget_int(f0, "size") == 1001);
	CHECK_STR(jget_str(f0, "status"), "scanned");
	CHECK(json_object_get(f0, "error") == NULL);
	CHECK(json_object_get(f0, "error_code") == NULL);
	CHECK(json_object_get(f0, "limit") == NULL);
	CHECK(json_is_false(json_object_get(f0, "incomplete")));
	CHECK_STR(jget_str(f0, "max_severity"), "CRITICAL");
	CHECK(json_is_real(json_object_get(f0, "elapsed_ms")) &&
	      json_real_value(json_object_get(f0, "elapsed_ms")) == 0.25);
	json_t *members = json_object_get(f0, "members");
	CHECK(json_array_size(members) == 2);
	CHECK_STR(jget_str(json_array_get(members, 0), "name"), "archive/data.pkl");
	CHECK_STR(jget_str(json_array_get(members, 0), "format"), "pickle");
	CHECK(jget_int(json_array_get(members, 0), "size") == 456);
	CHECK_STR(jget_str(json_array_get(members, 1), "format"), "unknown");

	json_t *fs = json_object_get(f0, "findings");
	CHECK(json_array_size(fs) == 3);
	json_t *x = json_array_get(fs, 0);
	CHECK_STR(jget_str(x, "rule"), "pickle.callable.dangerous");
	CHECK_STR(jget_str(x, "severity"), "CRITICAL");
	CHECK_STR(jget_str(x, "message"), "call of os.system");
	CHECK_STR(jget_str(x, "evidence"), "os.system('id')");
	CHECK_STR(jget_str(json_object_get(x, "location"), "member"), "archive/data.pkl");
	CHECK(jget_int(json_object_get(x, "location"), "offset") == 57);
	CHECK(jget_int(x, "count") == 3);
	/* File-level finding with an offset: member null, offset set. */
	x = json_array_get(fs, 1);
	CHECK_STR(jget_str(x, "severity"), "INFO");
	CHECK(json_object_get(x, "evidence") == NULL);
	CHECK(json_is_null(json_object_get(json_object_get(x, "location"), "member")));
	CHECK(jget_int(json_object_get(x, "location"), "offset") == 1200);
	/* No offset known: null, not 0. */
	x = json_array_get(fs, 2);
	CHECK(json_is_null(json_object_get(json_object_get(x, "location"), "offset")));

	json_t *f1 = json_array_get(files, 1);
	CHECK_STR(jget_str(f1, "status"), "error");
	CHECK_STR(jget_str(f1, "error"), "limit max_depth=16 levels reached");
	CHECK_STR(jget_str(f1, "error_code"), "limit");
	CHECK_STR(jget_str(f1, "limit"), "max_depth");
	CHECK(json_is_true(json_object_get(f1, "incomplete")));
	/* Findings made before the error are kept. */
	CHECK(json_array_size(json_object_get(f1, "findings")) == 1);

	json_t *f2 = json_array_get(files, 2);
	CHECK_STR(jget_str(f2, "status"), "skipped");
	CHECK_STR(jget_str(f2, "error"), "not a model file");
	CHECK(json_object_get(f2, "error_code") == NULL);
	CHECK(json_is_false(json_object_get(f2, "incomplete")));
	CHECK(json_is_null(json_object_get(f2, "max_severity")));
	CHECK(json_array_size(json_object_get(f2, "findings")) == 0);
	CHECK(json_is_array(json_object_get(f2, "members")));

	json_t *s = json_object_get(root, "summary");
	CHECK(jget_int(s, "files") == 3);
	CHECK(jget_int(s, "scanned") == 1);
	CHECK(jget_int(s, "errors") == 1);
	CHECK(jget_int(s, "skipped") == 1);
	CHECK(jget_int(s, "incomplete") == 1);
	json_t *per = json_object_get(s, "findings");
	CHECK(jget_int(per, "CRITICAL") == 1);
	CHECK(jget_int(per, "HIGH") == 0);
	CHECK(jget_int(per, "MEDIUM") == 1);
	CHECK(jget_int(per, "LOW") == 1);
	CHECK(jget_int(per, "INFO") == 1);
	CHECK(jget_int(s, "occurrences") == 6);
	CHECK_STR(jget_str(s, "max_severity"), "CRITICAL");
	CHECK_STR(jget_str(s, "fail_on"), "HIGH");
	CHECK_STR(jget_str(s, "verdict"), "malicious");
	CHECK(jget_int(s, "exit_code") == 1);
	CHECK(jget_int(s, "exit_code") == lc_result_exit_code(&r, LC_SEV_HIGH));

	json_decref(root);
	lc_result_free(&r);
}

static void test_json_null_limits_and_empty(void)
{
	lc_result r = {0};
	json_t *root = render_json(R_JSON, &r, NULL, LC_SEV_HIGH);
	if (!root)
		return;
	lc_limits def;
	lc_limits_default(&def);
	/* NULL limits means the defaults. */
	CHECK((uint64_t)jget_int(json_object_get(root, "limits"), "max_findings") == def.max_findings);
	CHECK(json_array_size(json_object_get(root, "files")) == 0);
	json_t *s = json_object_get(root, "summary");
	CHECK(jget_int(s, "files") == 0);
	CHECK(json_is_null(json_object_get(s, "max_severity")));
	CHECK_STR(jget_str(s, "verdict"), "clean");
	CHECK(jget_int(s, "exit_code") == 0);
	json_decref(root);
}

/* Bytes from the file that are not UTF-8 must neither break the document nor
 * vanish: they come out as \xNN. */
static void test_json_invalid_utf8(void)
{
	lc_result r = {0};
	lc_file_result *f = add_file(&r, "dir/bad\xff.pt", "pytorch-zip", LC_STATUS_SCANNED);
	/* 0xff 0xfe: never UTF-8; c3 a9: valid e-acute; ed a0 80: an encoded
	 * surrogate; c0 af: overlong '/'; trailing e2 82: truncated sequence. */
	const char *hostile = "bad\xff\xfe/na\xc3\xa9me\xed\xa0\x80-\xc0\xaf-\xe2\x82";
	add_member(f, hostile, "pickle", 1);
	add_finding(f, LC_SEV_HIGH, "pickle.import.dangerous", "import of \x01\x1b[2J", "ev\xf5\x80", hostile,
	            1, 3, 1);
	json_t *root = render_json(R_JSON, &r, NULL, LC_SEV_HIGH);
	if (root) {
		json_t *f0 = json_array_get(json_object_get(root, "files"), 0);
		const char *want = "bad\\xff\\xfe/na\xc3\xa9me\\xed\\xa0\\x80-\\xc0\\xaf-\\xe2\\x82";
		CHECK_STR(jget_str(f0, "path"), "dir/bad\\xff.pt");
		CHECK_STR(jget_str(json_array_get(json_object_get(f0, "members"), 0), "name"), want);
		json_t *x = json_array_get(json_object_get(f0, "findings"), 0);
		CHECK_STR(jget_str(json_object_get(x, "location"), "member"), want);
		CHECK_STR(jget_str(x, "evidence"), "ev\\xf5\\x80");
		/* Control characters are valid in JSON strings (escaped by the
		 * encoder) and round-trip unchanged. */
		CHECK_STR(jget_str(x, "message"), "import of \x01\x1b[2J");
		json_decref(root);
	}
	/* Same log through SARIF: valid, and the member kept. */
	root = render_json(R_SARIF, &r, NULL, LC_SEV_HIGH);
	if (root) {
		json_t *res = json_array_get(
		        json_object_get(json_array_get(json_object_get(root, "runs"), 0), "results"), 0);
		CHECK_STR(jget_str(json_object_get(res, "properties"), "member"),
		          "bad\\xff\\xfe/na\xc3\xa9me\\xed\\xa0\\x80-\\xc0\\xaf-\\xe2\\x82");
		json_decref(root);
	}
	lc_result_free(&r);
}

static void test_utf8_helper(void)
{
	struct {
		const char *in, *want;
	} cases[] = {
	        {"plain", "plain"},
	        {"", ""},
	        {"\xf0\x9f\x90\x8d snake", "\xf0\x9f\x90\x8d snake"}, /* 4-byte sequence kept */
	        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},         /* above U+10FFFF */
	        {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},                  /* overlong 3-byte */
	        {"a\x80z", "a\\x80z"},                                /* lone continuation */
	        {"\xc3", "\\xc3"},                                    /* truncated at end */
	        {"\xc3(", "\\xc3("},                                  /* bad continuation */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = lc_rep_utf8(cases[i].in);
		CHECK_STR(got, cases[i].want);
		free(got);
	}
}

/* ---- verdict / exit code consistency across all three reporters ----------- */

static void test_verdicts(void)
{
	struct {
		int sev;         /* finding severity, -1 none */
		int error_file;  /* add a file stopped by an error */
		int binary_skip; /* add an unrecognised binary file */
		lc_severity fail_on;
		const char *verdict;
		int exit_code;
	} cases[] = {
	        {-1, 0, 0, LC_SEV_HIGH, "clean", 0},
	        {LC_SEV_INFO, 0, 0, LC_SEV_HIGH, "clean", 0},
	        {LC_SEV_LOW, 0, 0, LC_SEV_HIGH, "suspicious", 0},
	        {LC_SEV_HIGH, 0, 0, LC_SEV_CRITICAL, "suspicious", 0},
	        {LC_SEV_HIGH, 0, 0, LC_SEV_HIGH, "malicious", 1},
	        {LC_SEV_LOW, 0, 0, LC_SEV_LOW, "malicious", 1},
	        {LC_SEV_MEDIUM, 1, 0, LC_SEV_HIGH, "incomplete", 2},
	        {LC_SEV_CRITICAL, 1, 0, LC_SEV_HIGH, "malicious", 1},
	        {-1, 0, 1, LC_SEV_HIGH, "incomplete", 2},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lc_result r = {0};
		lc_file_result *f = add_file(&r, "a.pkl", "pickle", LC_STATUS_SCANNED);
		if (cases[i].sev >= 0)
			add_finding(f, (lc_severity)cases[i].sev, "pickle.callable.unknown", "m", NULL, NULL,
			            0, 0, 1);
		if (cases[i].error_file)
			set_error(add_file(&r, "b.pkl", "pickle", LC_STATUS_SCANNED), LC_E_TRUNCATED, "cut",
			          NULL);
		if (cases[i].binary_skip)
			set_skipped(add_file(&r, "c.bin", "unknown", LC_STATUS_SCANNED),
			            "unrecognised binary", 1);
		/* The table must agree with the library's own exit code. */
		CHECK_MSG(lc_result_exit_code(&r, cases[i].fail_on) == cases[i].exit_code, "case %zu", i);

		json_t *root = render_json(R_JSON, &r, NULL, cases[i].fail_on);
		if (root) {
			json_t *s = json_object_get(root, "summary");
			CHECK_MSG(jget_str(s, "verdict") &&
			                  strcmp(jget_str(s, "verdict"), cases[i].verdict) == 0,
			          "case %zu: json verdict %s", i, jget_str(s, "verdict"));
			CHECK_MSG(jget_int(s, "exit_code") == cases[i].exit_code, "case %zu", i);
			json_decref(root);
		}
		root = render_json(R_SARIF, &r, NULL, cases[i].fail_on);
		if (root) {
			json_t *inv = json_array_get(
			        json_object_get(json_array_get(json_object_get(root, "runs"), 0),
			                        "invocations"),
			        0);
			CHECK_MSG(jget_int(inv, "exitCode") == cases[i].exit_code, "case %zu", i);
			CHECK_STR(jget_str(json_object_get(inv, "properties"), "verdict"), cases[i].verdict);
			/* Unsuccessful exactly when some file was not fully analysed. */
			int incomplete = cases[i].error_file || cases[i].binary_skip;
			CHECK_MSG(json_is_boolean(json_object_get(inv, "executionSuccessful")) &&
			                  json_is_true(json_object_get(inv, "executionSuccessful")) ==
			                          !incomplete,
			          "case %zu", i);
			CHECK(json_array_size(json_object_get(inv, "toolExecutionNotifications")) ==
			      (size_t)(cases[i].error_file + cases[i].binary_skip));
			json_decref(root);
		}
		int rc = -1;
		char *text = render(R_TEXT, &r, NULL, cases[i].fail_on, 0, &rc);
		CHECK(rc == 0);
		char want[128];
		snprintf(want, sizeof want, "verdict: %s (fail-on %s, exit %d)\n", cases[i].verdict,
		         lc_severity_name(cases[i].fail_on), cases[i].exit_code);
		size_t tl = strlen(text), wl = strlen(want);
		CHECK_MSG(tl >= wl && strcmp(text + tl - wl, want) == 0, "case %zu: text ends with %s", i,
		          want);
		free(text);
		lc_result_free(&r);
	}
}

/* ---- SARIF --------------------------------------------------------------- */

static json_t *sarif_run(json_t *root)
{
	return json_array_get(json_object_get(root, "runs"), 0);
}

static void test_sarif_mixed(void)
{
	lc_result r;
	build_mixed(&r);
	/* A rule id this version has no description for, and every severity. */
	lc_file_result *f = add_file(&r, "./sub dir/ü:x#1.pt", "pickle", LC_STATUS_SCANNED);
	add_finding(f, LC_SEV_HIGH, "future.brand-new", "new kind of finding", NULL, NULL, 1, 0, 1);
	add_finding(f, LC_SEV_CRITICAL, "pickle.callable.dangerous", "call of os.system", "os.system('id')",
	            "archive/data.pkl", 1, 57, 1);
	f = add_file(&r, "/abs/a b.pkl", "pickle", LC_STATUS_SCANNED);
	add_finding(f, LC_SEV_HIGH, "pickle.callable.unknown", "h", NULL, NULL, 0, 0, 1);
	add_finding(f, LC_SEV_LOW, "pickle.callable.unknown", "l", NULL, NULL, 0, 0, 1);

	json_t *root = render_json(R_SARIF, &r, NULL, LC_SEV_HIGH);
	if (!root) {
		lc_result_free(&r);
		return;
	}
	CHECK_STR(jget_str(root, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
	CHECK_STR(jget_str(root, "version"), "2.1.0");
	CHECK(json_array_size(json_object_get(root, "runs")) == 1);
	json_t *run = sarif_run(root);
	json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
	CHECK_STR(jget_str(driver, "name"), "laocoon");
	CHECK_STR(jget_str(driver, "version"), LAOCOON_VERSION);
	CHECK(jget_str(driver, "informationUri") &&
	      strncmp(jget_str(driver, "informationUri"), "https://", 8) == 0);

	/* rules[]: unique ids; every result's ruleIndex points at its rule. */
	json_t *rules = json_object_get(driver, "rules");
	json_t *results = json_object_get(run, "results");
	size_t total = 0;
	for (size_t i = 0; i < r.nfiles; i++)
		total += r.files[i].nfindings;
	CHECK(json_array_size(results) == total);
	CHECK(json_array_size(rules) == 6);
	for (size_t i = 0; i < json_array_size(rules); i++)
		for (size_t j = i + 1; j < json_array_size(rules); j++)
			CHECK(strcmp(jget_str(json_array_get(rules, i), "id"),
			             jget_str(json_array_get(rules, j), "id")) != 0);
	size_t k = 0;
	for (size_t i = 0; i < r.nfiles; i++) {
		for (size_t j = 0; j < r.files[i].nfindings; j++, k++) {
			const lc_finding *x = &r.files[i].findings[j];
			json_t *res = json_array_get(results, k);
			CHECK_STR(jget_str(res, "ruleId"), x->rule);
			long long ri = jget_int(res, "ruleIndex");
			CHECK(ri >= 0 && (size_t)ri < json_array_size(rules));
			CHECK_STR(jget_str(json_array_get(rules, (size_t)ri), "id"), x->rule);
			const char *want = x->severity >= LC_SEV_HIGH     ? "error"
			                   : x->severity == LC_SEV_MEDIUM ? "warning"
			                                                  : "note";
			CHECK_STR(jget_str(res, "level"), want);
			CHECK_STR(jget_str(json_object_get(res, "properties"), "severity"),
			          lc_severity_name(x->severity));
			CHECK(jget_int(json_object_get(res, "properties"), "count") == (long long)x->count);
			json_t *phys = json_object_get(json_array_get(json_object_get(res, "locations"), 0),
			                               "physicalLocation");
			CHECK(jget_int(json_object_get(phys, "artifactLocation"), "index") == (long long)i);
			/* A region only where the offset is an offset of the file itself. */
			json_t *region = json_object_get(phys, "region");
			if (!x->member && x->has_offset)
				CHECK(jget_int(region, "byteOffset") == (long long)x->offset);
			else
				CHECK(region == NULL);
			const char *fp =
			        jget_str(json_object_get(res, "partialFingerprints"), "laocoonFinding/v1");
			CHECK(fp && strlen(fp) == 16 && strspn(fp, "0123456789abcdef") == 16);
		}
	}

	/* The member finding of the first file. */
	json_t *res0 = json_array_get(results, 0);
	json_t *loc0 = json_array_get(json_object_get(res0, "locations"), 0);
	CHECK_STR(
	        jget_str(json_array_get(json_object_get(loc0, "logicalLocations"), 0), "fullyQualifiedName"),
	        "archive/data.pkl");
	CHECK_STR(jget_str(json_object_get(res0, "properties"), "member"), "archive/data.pkl");
	CHECK(jget_int(json_object_get(res0, "properties"), "memberOffset") == 57);
	CHECK_STR(jget_str(json_object_get(res0, "properties"), "evidence"), "os.system('id')");
	CHECK_STR(jget_str(json_object_get(res0, "message"), "text"), "call of os.system");
	/* Same finding in another file: same fingerprint (the path is not part of it). */
	json_t *res_dup = json_array_get(results, 5);
	CHECK_STR(jget_str(res_dup, "ruleId"), "pickle.callable.dangerous");
	CHECK_STR(jget_str(json_object_get(res0, "partialFingerprints"), "laocoonFinding/v1"),
	          jget_str(json_object_get(res_dup, "partialFingerprints"), "laocoonFinding/v1"));
	/* Different findings: different fingerprints. */
	CHECK(strcmp(jget_str(json_object_get(res0, "partialFingerprints"), "laocoonFinding/v1"),
	             jget_str(json_object_get(json_array_get(results, 1), "partialFingerprints"),
	                      "laocoonFinding/v1")) != 0);

	/* Rule metadata: known rule from the table, unknown one generic. */
	json_t *r0 = json_array_get(rules, 0);
	const lc_rule_info *info = lc_rule_lookup("pickle.callable.dangerous");
	CHECK(info != NULL);
	CHECK_STR(jget_str(r0, "id"), "pickle.callable.dangerous");
	CHECK_STR(jget_str(r0, "name"), "PickleCallableDangerous");
	if (info)
		CHECK_STR(jget_str(json_object_get(r0, "shortDescription"), "text"), info->short_desc);
	CHECK_STR(jget_str(json_object_get(r0, "defaultConfiguration"), "level"), "error");
	CHECK_STR(jget_str(json_object_get(r0, "properties"), "security-severity"), "9.5");
	json_t *tags = json_object_get(json_object_get(r0, "properties"), "tags");
	CHECK_STR(json_string_value(json_array_get(tags, 0)), "security");
	CHECK_STR(json_string_value(json_array_get(tags, 1)), "pickle");
	CHECK_STR(json_string_value(json_array_get(tags, 2)), "external/cwe/cwe-502");
	json_t *unknown = NULL, *unk_sev = NULL, *info_rule = NULL;
	for (size_t i = 0; i < json_array_size(rules); i++) {
		json_t *ru = json_array_get(rules, i);
		if (strcmp(jget_str(ru, "id"), "future.brand-new") == 0)
			unknown = ru;
		if (strcmp(jget_str(ru, "id"), "pickle.callable.unknown") == 0)
			unk_sev = ru;
		if (strcmp(jget_str(ru, "id"), "pickle.trailing-data") == 0)
			info_rule = ru;
	}
	CHECK(unknown != NULL);
	if (unknown) {
		const char *sd = jget_str(json_object_get(unknown, "shortDescription"), "text");
		CHECK(sd && strstr(sd, "future.brand-new") != NULL);
		CHECK(jget_str(json_object_get(unknown, "fullDescription"), "text") != NULL);
		CHECK(jget_str(json_object_get(unknown, "help"), "text") != NULL);
		CHECK_STR(jget_str(json_object_get(unknown, "properties"), "security-severity"), "8.0");
	}
	/* A rule seen at HIGH and LOW is ranked by the worst. */
	if (unk_sev) {
		CHECK_STR(jget_str(json_object_get(unk_sev, "properties"), "security-severity"), "8.0");
		CHECK_STR(jget_str(json_object_get(unk_sev, "defaultConfiguration"), "level"), "error");
	}
	CHECK(unk_sev != NULL);
	if (info_rule) {
		CHECK_STR(jget_str(json_object_get(info_rule, "properties"), "security-severity"), "1.0");
		CHECK_STR(jget_str(json_object_get(info_rule, "defaultConfiguration"), "level"), "note");
	}
	CHECK(info_rule != NULL);

	/* Artifacts and URIs. */
	json_t *arts = json_object_get(run, "artifacts");
	CHECK(json_array_size(arts) == r.nfiles);
	const char *uris[] = {"models/evil.pt", "models/cut.pkl", "README.md", "sub%20dir/%C3%BC%3Ax%231.pt",
	                      "file:///abs/a%20b.pkl"};
	for (size_t i = 0; i < 5; i++) {
		json_t *a = json_array_get(arts, i);
		CHECK_STR(jget_str(json_object_get(a, "location"), "uri"), uris[i]);
		CHECK(jget_int(a, "length") == (long long)r.files[i].size);
	}
	CHECK_STR(jget_str(json_object_get(json_array_get(arts, 2), "properties"), "status"), "skipped");

	/* The error file is a notification; the plain skipped file is not. */
	json_t *inv = json_array_get(json_object_get(run, "invocations"), 0);
	CHECK(json_is_false(json_object_get(inv, "executionSuccessful")));
	json_t *notes = json_object_get(inv, "toolExecutionNotifications");
	CHECK(json_array_size(notes) == 1);
	json_t *n0 = json_array_get(notes, 0);
	CHECK_STR(jget_str(n0, "level"), "error");
	const char *nt = jget_str(json_object_get(n0, "message"), "text");
	CHECK(nt && strstr(nt, "models/cut.pkl") && strstr(nt, "limit max_depth=16 levels reached"));
	CHECK_STR(jget_str(json_object_get(n0, "properties"), "errorCode"), "limit");
	CHECK_STR(jget_str(json_object_get(n0, "properties"), "limit"), "max_depth");
	json_t *nloc = json_object_get(
	        json_object_get(json_array_get(json_object_get(n0, "locations"), 0), "physicalLocation"),
	        "artifactLocation");
	CHECK_STR(jget_str(nloc, "uri"), "models/cut.pkl");
	CHECK(jget_int(nloc, "index") == 1);

	json_decref(root);
	lc_result_free(&r);
}

static void test_sarif_clean(void)
{
	lc_result r = {0};
	add_file(&r, "ok.safetensors", "safetensors", LC_STATUS_SCANNED);
	json_t *root = render_json(R_SARIF, &r, NULL, LC_SEV_HIGH);
	if (!root)
		return;
	json_t *run = sarif_run(root);
	CHECK(json_is_array(json_object_get(run, "results")) &&
	      json_array_size(json_object_get(run, "results")) == 0);
	CHECK(json_array_size(json_object_get(json_object_get(json_object_get(run, "tool"), "driver"),
	                                      "rules")) == 0);
	json_t *inv = json_array_get(json_object_get(run, "invocations"), 0);
	CHECK(json_is_true(json_object_get(inv, "executionSuccessful")));
	CHECK(jget_int(inv, "exitCode") == 0);
	json_decref(root);
	lc_result_free(&r);
}

/* A finding without a rule id (a reader bug) must not break either log. */
static void test_missing_rule(void)
{
	lc_result r = {0};
	lc_file_result *f = add_file(&r, "a.pkl", "pickle", LC_STATUS_SCANNED);
	add_finding(f, LC_SEV_MEDIUM, NULL, "", NULL, NULL, 0, 0, 1);
	json_t *root = render_json(R_SARIF, &r, NULL, LC_SEV_HIGH);
	if (root) {
		json_t *run = sarif_run(root);
		json_t *res = json_array_get(json_object_get(run, "results"), 0);
		CHECK_STR(jget_str(res, "ruleId"), "unknown");
		CHECK(jget_int(res, "ruleIndex") == 0);
		/* SARIF requires a non-empty message: the rule id stands in. */
		CHECK_STR(jget_str(json_object_get(res, "message"), "text"), "unknown");
		json_t *rules =
		        json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
		CHECK_STR(jget_str(json_array_get(rules, 0), "id"), "unknown");
		json_decref(root);
	}
	root = render_json(R_JSON, &r, NULL, LC_SEV_HIGH);
	if (root) {
		json_t *x = json_array_get(
		        json_object_get(json_array_get(json_object_get(root, "files"), 0), "findings"), 0);
		CHECK_STR(jget_str(x, "rule"), "unknown");
		json_decref(root);
	}
	lc_result_free(&r);
}

/* ---- text ---------------------------------------------------------------- */

/* True when the output holds no byte a terminal would act on, other than the
 * newlines that end lines and, with colour, our own SGR sequences. */
static int text_is_safe(const char *s, int color)
{
	static const char *const ours[] = {"\033[0m",  "\033[1;31m", "\033[31m", "\033[33m",
	                                   "\033[36m", "\033[2m",    "\033[32m", "\033[1;35m"};
	while (*s) {
		unsigned char c = (unsigned char)*s;
		if (c == 0x1b) {
			if (!color)
				return 0;
			size_t k, n = sizeof ours / sizeof ours[0];
			for (k = 0; k < n; k++)
				if (strncmp(s, ours[k], strlen(ours[k])) == 0)
					break;
			if (k == n)
				return 0;
			s += strlen(ours[k]);
			continue;
		}
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return 0;
		/* U+202E RIGHT-TO-LEFT OVERRIDE, C1 CSI (U+009B). */
		if (strncmp(s, "\xe2\x80\xae", 3) == 0 || strncmp(s, "\xc2\x9b", 2) == 0)
			return 0;
		s++;
	}
	return 1;
}

static void test_text(void)
{
	lc_result r;
	build_mixed(&r);
	/* Hostile strings: ESC sequence in the path, BEL and C1 CSI in the member,
	 * newline and an RTL override in the evidence, invalid UTF-8 in the message. */
	lc_file_result *f = add_file(&r, "x\033[31mred\033[0m.pkl", "pickle", LC_STATUS_SCANNED);
	add_finding(f, LC_SEV_HIGH, "pickle.import.dangerous", "bad \xff byte",
	            "line1\nline2\xe2\x80\xaegnp.exe", "m\a\xc2\x9bz", 1, 0x10, 1);

	int rc = -1;
	char *out = render(R_TEXT, &r, NULL, LC_SEV_HIGH, 0, &rc);
	CHECK(rc == 0);
	CHECK(text_is_safe(out, 0));
	CHECK(strchr(out, '\033') == NULL);
	/* Per-file verdict lines. */
	CHECK(strstr(out, "CRITICAL  models/evil.pt  [pytorch-zip]\n") == out);
	CHECK(strstr(out, "\nERROR     models/cut.pkl  [pickle]: limit max_depth=16 levels reached\n") !=
	      NULL);
	CHECK(strstr(out, "\nskipped   README.md: not a model file\n") != NULL);
	/* Findings: severity, rule, message, location forms, evidence, count. */
	CHECK(strstr(out, "\n  CRITICAL  pickle.callable.dangerous  call of os.system\n"
	                  "            at archive/data.pkl+0x39\n"
	                  "            evidence: os.system('id')\n"
	                  "            count: 3\n") != NULL);
	CHECK(strstr(out, "            at offset 1200 (0x4b0)\n") != NULL);
	CHECK(strstr(out,
	             "  LOW       zip.appended-data  data after the archive\nERROR     models/cut.pkl") !=
	      NULL);
	/* "count" only when a finding was folded. */
	CHECK(strstr(out, "count: 1") == NULL);
	/* The error file's finding is still shown. */
	CHECK(strstr(out, "  MEDIUM    pickle.class.unknown  instance of foo.Bar\n") != NULL);
	/* Hostile bytes are escaped, visibly. */
	CHECK(strstr(out, "HIGH      x\\x1b[31mred\\x1b[0m.pkl  [pickle]\n") != NULL);
	CHECK(strstr(out, "at m\\x07\\u009bz+0x10\n") != NULL);
	CHECK(strstr(out, "evidence: line1\\nline2\\u202egnp.exe\n") != NULL);
	CHECK(strstr(out, "pickle.import.dangerous  bad \\xff byte\n") != NULL);
	/* Summary last. */
	CHECK(strstr(out,
	             "\n\n4 files (scanned 2, errors 1, skipped 1); findings: 1 CRITICAL, 1 HIGH, 1 MEDIUM, "
	             "1 LOW, 1 INFO; verdict: malicious (fail-on HIGH, exit 1)\n") != NULL);
	free(out);

	out = render(R_TEXT, &r, NULL, LC_SEV_HIGH, 1, &rc);
	CHECK(rc == 0);
	CHECK(text_is_safe(out, 1));
	CHECK(strstr(out, "\033[1;31mCRITICAL\033[0m  models/evil.pt") == out);
	CHECK(strstr(out, "\033[1;35mERROR\033[0m     models/cut.pkl") != NULL);
	CHECK(strstr(out, "verdict: \033[1;31mmalicious\033[0m (fail-on HIGH") != NULL);
	/* The file's own ESC bytes stay escaped even with colour on. */
	CHECK(strstr(out, "x\\x1b[31mred\\x1b[0m.pkl") != NULL);
	free(out);
	lc_result_free(&r);

	/* Clean file and empty result. */
	lc_result c = {0};
	add_file(&c, "ok.pkl", "pickle", LC_STATUS_SCANNED);
	out = render(R_TEXT, &c, NULL, LC_SEV_HIGH, 0, &rc);
	CHECK_STR(out, "clean     ok.pkl  [pickle]\n\n1 file (scanned 1, errors 0, skipped 0); findings: 0 "
	               "CRITICAL, "
	               "0 HIGH, 0 MEDIUM, 0 LOW, 0 INFO; verdict: clean (fail-on HIGH, exit 0)\n");
	free(out);
	lc_result_free(&c);
	out = render(R_TEXT, &c, NULL, LC_SEV_HIGH, 0, &rc);
	CHECK(rc == 0 && strncmp(out, "0 files (", 9) == 0);
	free(out);
}

/* ---- rule table ---------------------------------------------------------- */

static void test_rule_table(void)
{
	static const char *const required[] = {"pickle.callable.dangerous", "pickle.import.dangerous",
	                                       "pickle.callable.unknown",   "pickle.callable.unresolved",
	                                       "pickle.module.overwrite",   "pickle.nested-loader",
	                                       "pickle.class.unknown",      "pickle.import.unknown",
	                                       "pickle.trailing-data",      "pickle.ext-code",
	                                       "pickle.code-object",        "zip.crc-mismatch",
	                                       "zip.encryption-flag",       "zip.name-mismatch",
	                                       "zip.duplicate-name",        "zip.overlap",
	                                       "zip.prepended-data",        "zip.appended-data",
	                                       "zip.unreferenced-data",     "zip.path-traversal",
	                                       "torchscript.code",          "torch.legacy-layout",
	                                       "format.polyglot",           "fs.symlink",
	                                       "fs.symlink-escape",         "limit.findings"};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		CHECK_MSG(lc_rule_lookup(required[i]) != NULL, "no description for %s", required[i]);
	size_t n = 0;
	const lc_rule_info *t = lc_rule_table(&n);
	for (size_t i = 0; i < n; i++) {
		/* Descriptions are sentences (SARIF consumers show them as such). */
		size_t sl = strlen(t[i].short_desc), fl = strlen(t[i].full_desc), hl = strlen(t[i].help);
		CHECK_MSG(sl && t[i].short_desc[sl - 1] == '.' && fl && t[i].full_desc[fl - 1] == '.' && hl &&
		                  t[i].help[hl - 1] == '.',
		          "rule %s", t[i].id);
		for (size_t j = i + 1; j < n; j++)
			CHECK_MSG(strcmp(t[i].id, t[j].id) != 0, "duplicate rule %s", t[i].id);
	}
	CHECK(lc_rule_lookup("no.such.rule") == NULL);
	CHECK(lc_rule_lookup(NULL) == NULL);
}

/* ---- I/O errors ---------------------------------------------------------- */

static void test_io_error(void)
{
	/* /dev/full fails every write with ENOSPC: each reporter must say so. */
	FILE *full = fopen("/dev/full", "w");
	if (!full) {
		CHECK_MSG(0, "/dev/full not available");
		return;
	}
	lc_result r;
	build_mixed(&r);
	CHECK(lc_report_json(full, &r, NULL, LC_SEV_HIGH) == -1);
	clearerr(full);
	CHECK(lc_report_sarif(full, &r, LC_SEV_HIGH) == -1);
	clearerr(full);
	CHECK(lc_report_text(full, &r, LC_SEV_HIGH, 0) == -1);
	fclose(full);
	lc_result_free(&r);
}

int main(void)
{
	RUN(test_json_mixed);
	RUN(test_json_null_limits_and_empty);
	RUN(test_json_invalid_utf8);
	RUN(test_utf8_helper);
	RUN(test_verdicts);
	RUN(test_sarif_mixed);
	RUN(test_sarif_clean);
	RUN(test_missing_rule);
	RUN(test_text);
	RUN(test_rule_table);
	RUN(test_io_error);
	return TEST_REPORT("test_report");
}
