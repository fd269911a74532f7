/*
 * SARIF 2.1.0 log (docs/sarif.md), for code-scanning dashboards such as
 * GitHub's.  One run; rules[] holds the rules that produced a result, in order
 * of first appearance, so ruleIndex is stable for a given report.
 *
 * Locations: SARIF regions address bytes of the artifact named by the
 * physical location, which is always the scanned file.  A finding's offset is
 * relative to its member when it has one, so only member-less findings get a
 * region.byteOffset; a member and its offset go into the result's
 * logicalLocations and properties instead, never into a wrong region.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/report_util.h"

#define SARIF_SCHEMA    "https://json.schemastore.org/sarif-2.1.0.json"
#define FINGERPRINT_KEY "laocoonFinding/v1"

static const char *sarif_level(lc_severity sev)
{
	switch (sev) {
	case LC_SEV_CRITICAL:
	case LC_SEV_HIGH:
		return "error";
	case LC_SEV_MEDIUM:
		return "warning";
	case LC_SEV_LOW:
	case LC_SEV_INFO:
		break;
	}
	return "note";
}

/* GitHub code scanning ranks security alerts by this number (a string in a
 * 0.0-10.0 CVSS-like scale): >= 9.0 critical, >= 7.0 high, >= 4.0 medium. */
static const char *security_severity(lc_severity sev)
{
	switch (sev) {
	case LC_SEV_CRITICAL:
		return "9.5";
	case LC_SEV_HIGH:
		return "8.0";
	case LC_SEV_MEDIUM:
		return "5.5";
	case LC_SEV_LOW:
		return "3.0";
	case LC_SEV_INFO:
		break;
	}
	return "1.0";
}

/* A path as a URI reference.  Relative paths stay relative (code-scanning
 * tools resolve them against the checkout); absolute ones become file://
 * URIs.  Only RFC 3986 unreserved characters and '/' pass through: ':' could
 * read as a scheme in a first segment, and every other byte, including
 * non-ASCII and invalid UTF-8, is percent-encoded byte by byte. */
static char *path_to_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p = path ? path : "";
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	int absolute = p[0] == '/';
	size_t len = strlen(p);
	if (len > (SIZE_MAX - 16) / 3)
		return NULL;
	char *out = malloc(len * 3 + 16);
	if (!out)
		return NULL;
	size_t o = 0;
	if (absolute) {
		memcpy(out, "file://", 7);
		o = 7;
	}
	for (const unsigned char *s = (const unsigned char *)p; *s; s++) {
		unsigned char c = *s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~' || c == '/') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* "pickle.callable.dangerous" -> "PickleCallableDangerous": SARIF's
 * reportingDescriptor.name is meant to be a readable identifier. */
static char *rule_name(const char *id)
{
	char *out = malloc(strlen(id) + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	int upper = 1;
	for (const char *s = id; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			out[o++] = (char)(upper && c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
			upper = 0;
		} else {
			upper = 1;
		}
	}
	out[o] = '\0';
	return out;
}

static void fnv(uint64_t *h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		*h ^= *p;
		*h *= 1099511628211ull;
	}
	/* A separator so that ("ab","c") and ("a","bc") differ. */
	*h ^= 0xff;
	*h *= 1099511628211ull;
}

/* Identifies the same finding across runs and file moves: the rule, where
 * inside the file, and what was seen; not the path (the location has that)
 * nor the offset (it shifts when unrelated bytes change). */
static json_t *fingerprint(const lc_finding *x)
{
	uint64_t h = 1469598103934665603ull;
	fnv(&h, x->rule);
	fnv(&h, x->member);
	fnv(&h, x->evidence ? x->evidence : x->message);
	char buf[17];
	snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
	return json_string(buf);
}

/* Rules used by this result, in order of first appearance. */
typedef struct rule_ref {
	const char *id;
	int max_sev;
} rule_ref;

typedef struct rule_set {
	rule_ref *v;
	size_t n, cap;
} rule_set;

/* Index of id in the set, adding it if new; -1 on allocation failure.
 * Linear: rule ids are compile-time strings of the readers, a few dozen. */
static long rule_index(rule_set *rs, const char *id, lc_severity sev)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->v[i].id, id) == 0) {
			if ((int)sev > rs->v[i].max_sev)
				rs->v[i].max_sev = (int)sev;
			return (long)i;
		}
	}
	if (rs->n == rs->cap) {
		size_t ncap = rs->cap ? rs->cap * 2 : 16;
		rule_ref *nv = realloc(rs->v, ncap * sizeof *nv);
		if (!nv)
			return -1;
		rs->v = nv;
		rs->cap = ncap;
	}
	rs->v[rs->n].id = id;
	rs->v[rs->n].max_sev = (int)sev;
	return (long)rs->n++;
}

static json_t *text_obj(lc_jb *b, const char *text)
{
	json_t *o = json_object();
	lc_jset(b, o, "text", lc_jstr(b, text));
	return o;
}

static json_t *rule_obj(lc_jb *b, const rule_ref *r)
{
	const lc_rule_info *info = lc_rule_lookup(r->id);
	lc_severity sev = (lc_severity)r->max_sev;
	json_t *o = json_object();
	lc_jset(b, o, "id", lc_jstr(b, r->id));
	char *name = rule_name(r->id);
	if (name && name[0])
		lc_jset(b, o, "name", lc_jstr(b, name));
	else if (!name)
		b->oom = 1;
	free(name);
	if (info) {
		lc_jset(b, o, "shortDescription", text_obj(b, info->short_desc));
		lc_jset(b, o, "fullDescription", text_obj(b, info->full_desc));
		lc_jset(b, o, "help", text_obj(b, info->help));
	} else {
		/* A rule newer than this table: still a valid, honest entry. */
		char buf[512];
		snprintf(buf, sizeof buf, "laocoon rule %s.", r->id);
		lc_jset(b, o, "shortDescription", text_obj(b, buf));
		snprintf(buf, sizeof buf,
		         "Finding reported by the laocoon rule %s. The result message describes what was "
		         "found.",
		         r->id);
		lc_jset(b, o, "fullDescription", text_obj(b, buf));
		lc_jset(b, o, "help",
		        text_obj(b, "Read the result message and evidence; treat the file as "
		                    "untrusted until the finding is understood."));
	}
	json_t *cfg = json_object();
	lc_jset(b, cfg, "level", json_string(sarif_level(sev)));
	lc_jset(b, o, "defaultConfiguration", cfg);

	json_t *props = json_object();
	lc_jset(b, props, "security-severity", json_string(security_severity(sev)));
	json_t *tags = json_array();
	lc_jappend(b, tags, json_string("security"));
	/* The rule family ("pickle", "zip" ...) groups alerts in dashboards. */
	const char *dot = strchr(r->id, '.');
	if (dot && dot != r->id)
		lc_jappend(b, tags, json_stringn(r->id, (size_t)(dot - r->id)));
	if (info && info->cwe) {
		char cwe[40];
		snprintf(cwe, sizeof cwe, "external/cwe/cwe-%s", info->cwe);
		lc_jappend(b, tags, json_string(cwe));
	}
	lc_jset(b, props, "tags", tags);
	lc_jset(b, o, "properties", props);
	return o;
}

static json_t *artifact_location(lc_jb *b, const lc_file_result *f, size_t index)
{
	json_t *o = json_object();
	char *uri = path_to_uri(f->path);
	if (uri)
		lc_jset(b, o, "uri", lc_jstr(b, uri));
	else
		b->oom = 1;
	free(uri);
	lc_jset(b, o, "index", lc_juint(index));
	return o;
}

static json_t *result_obj(lc_jb *b, const lc_file_result *f, size_t file_index, const lc_finding *x,
                          const char *rule, long ruleidx)
{
	json_t *o = json_object();
	lc_jset(b, o, "ruleId", lc_jstr(b, rule));
	lc_jset(b, o, "ruleIndex", json_integer(ruleidx));
	lc_jset(b, o, "level", json_string(sarif_level(x->severity)));
	lc_jset(b, o, "message", text_obj(b, x->message && x->message[0] ? x->message : rule));

	json_t *loc = json_object();
	json_t *phys = json_object();
	lc_jset(b, phys, "artifactLocation", artifact_location(b, f, file_index));
	if (!x->member && x->has_offset) {
		json_t *region = json_object();
		lc_jset(b, region, "byteOffset", lc_juint(x->offset));
		lc_jset(b, phys, "region", region);
	}
	lc_jset(b, loc, "physicalLocation", phys);
	if (x->member) {
		json_t *logical = json_array();
		json_t *ll = json_object();
		lc_jset(b, ll, "fullyQualifiedName", lc_jstr(b, x->member));
		lc_jappend(b, logical, ll);
		lc_jset(b, loc, "logicalLocations", logical);
	}
	json_t *locs = json_array();
	lc_jappend(b, locs, loc);
	lc_jset(b, o, "locations", locs);

	json_t *fp = json_object();
	lc_jset(b, fp, FINGERPRINT_KEY, fingerprint(x));
	lc_jset(b, o, "partialFingerprints", fp);

	json_t *props = json_object();
	lc_jset(b, props, "severity", json_string(lc_severity_name(x->severity)));
	if (x->member) {
		lc_jset(b, props, "member", lc_jstr(b, x->member));
		if (x->has_offset)
			lc_jset(b, props, "memberOffset", lc_juint(x->offset));
	}
	if (x->evidence)
		lc_jset(b, props, "evidence", lc_jstr(b, x->evidence));
	lc_jset(b, props, "count", lc_juint(x->count ? x->count : 1));
	lc_jset(b, o, "properties", props);
	return o;
}

static json_t *artifact_obj(lc_jb *b, const lc_file_result *f, size_t index)
{
	json_t *o = json_object();
	json_t *loc = artifact_location(b, f, index);
	/* An artifact's own location must not point at itself by index. */
	json_object_del(loc, "index");
	lc_jset(b, o, "location", loc);
	lc_jset(b, o, "length", lc_juint(f->size));
	json_t *roles = json_array();
	lc_jappend(b, roles, json_string("analysisTarget"));
	lc_jset(b, o, "roles", roles);
	json_t *props = json_object();
	lc_jset(b, props, "format", lc_jstr(b, f->format ? f->format : "unknown"));
	lc_jset(b, props, "status", json_string(lc_status_name(f->status)));
	lc_jset(b, o, "properties", props);
	return o;
}

/* A file that could not be fully analysed: the run's consumer must learn that
 * "no result" for it does not mean "clean". */
static json_t *notification_obj(lc_jb *b, const lc_file_result *f, size_t index)
{
	json_t *o = json_object();
	lc_jset(b, o, "level", json_string(f->status == LC_STATUS_ERROR ? "error" : "warning"));
	const char *why = f->error                       ? f->error
	                  : f->status == LC_STATUS_ERROR ? "analysis stopped early"
	                                                 : "not a format laocoon analyses";
	size_t n = strlen(f->path ? f->path : "") + strlen(why) + 64;
	char *text = malloc(n);
	if (text) {
		snprintf(text, n, "%s: %s: %s",
		         f->status == LC_STATUS_ERROR ? "not fully analysed" : "skipped",
		         f->path ? f->path : "", why);
		lc_jset(b, o, "message", text_obj(b, text));
	} else {
		b->oom = 1;
	}
	free(text);
	json_t *loc = json_object();
	json_t *phys = json_object();
	lc_jset(b, phys, "artifactLocation", artifact_location(b, f, index));
	lc_jset(b, loc, "physicalLocation", phys);
	json_t *locs = json_array();
	lc_jappend(b, locs, loc);
	lc_jset(b, o, "locations", locs);
	json_t *props = json_object();
	lc_jset(b, props, "status", json_string(lc_status_name(f->status)));
	if (f->status == LC_STATUS_ERROR)
		lc_jset(b, props, "errorCode", json_string(lc_strerror(f->error_code)));
	if (f->limit)
		lc_jset(b, props, "limit", lc_jstr(b, f->limit));
	lc_jset(b, o, "properties", props);
	return o;
}

int lc_report_sarif(FILE *out, const lc_result *res, lc_severity fail_on)
{
	lc_jb b = {0};
	rule_set rs = {0};
	lc_rep_summary sum;
	lc_rep_summarize(res, fail_on, &sum);

	json_t *artifacts = json_array();
	json_t *results = json_array();
	json_t *notes = json_array();
	for (size_t i = 0; i < res->nfiles; i++) {
		const lc_file_result *f = &res->files[i];
		lc_jappend(&b, artifacts, artifact_obj(&b, f, i));
		for (size_t j = 0; j < f->nfindings; j++) {
			const lc_finding *x = &f->findings[j];
			/* A finding always has a rule; "unknown" keeps the log
			 * valid if a reader ever forgets one. */
			const char *rule = x->rule ? x->rule : "unknown";
			long ri = rule_index(&rs, rule, x->severity);
			if (ri < 0) {
				b.oom = 1;
				continue;
			}
			lc_jappend(&b, results, result_obj(&b, f, i, x, rule, ri));
		}
		if (lc_rep_file_incomplete(f))
			lc_jappend(&b, notes, notification_obj(&b, f, i));
	}

	json_t *rules = json_array();
	for (size_t i = 0; i < rs.n; i++)
		lc_jappend(&b, rules, rule_obj(&b, &rs.v[i]));
	free(rs.v);

	json_t *driver = json_object();
	lc_jset(&b, driver, "name", json_string("laocoon"));
	lc_jset(&b, driver, "version", json_string(LAOCOON_VERSION));
	lc_jset(&b, driver, "semanticVersion", json_string(LAOCOON_VERSION));
	lc_jset(&b, driver, "informationUri", json_string(LC_INFORMATION_URI));
	lc_jset(&b, driver, "rules", rules);
	json_t *tool = json_object();
	lc_jset(&b, tool, "driver", driver);

	json_t *inv = json_object();
	/* Not successful when some file was not fully analysed: the same
	 * condition that makes the CLI exit 2 when nothing worse was found. */
	lc_jset(&b, inv, "executionSuccessful", json_boolean(sum.incomplete == 0));
	lc_jset(&b, inv, "exitCode", json_integer(sum.exit_code));
	lc_jset(&b, inv, "toolExecutionNotifications", notes);
	json_t *iprops = json_object();
	lc_jset(&b, iprops, "failOn", json_string(lc_severity_name(fail_on)));
	lc_jset(&b, iprops, "verdict", json_string(sum.verdict));
	lc_jset(&b, iprops, "filesScanned", lc_juint(sum.scanned));
	lc_jset(&b, iprops, "filesWithErrors", lc_juint(sum.errors));
	lc_jset(&b, iprops, "filesSkipped", lc_juint(sum.skipped));
	lc_jset(&b, inv, "properties", iprops);
	json_t *invs = json_array();
	lc_jappend(&b, invs, inv);

	json_t *run = json_object();
	lc_jset(&b, run, "tool", tool);
	lc_jset(&b, run, "invocations", invs);
	lc_jset(&b, run, "artifacts", artifacts);
	lc_jset(&b, run, "results", results);
	json_t *runs = json_array();
	lc_jappend(&b, runs, run);

	json_t *root = json_object();
	lc_jset(&b, root, "$schema", json_string(SARIF_SCHEMA));
	lc_jset(&b, root, "version", json_string("2.1.0"));
	lc_jset(&b, root, "runs", runs);

	int rc = -1;
	if (!b.oom && json_dumpf(root, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF &&
	    fflush(out) == 0 && !ferror(out))
		rc = 0;
	json_decref(root);
	return rc;
}
