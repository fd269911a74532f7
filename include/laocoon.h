/*
 * laocoon: a model-security scanner that reads model files without ever
 * executing or deserializing them.
 *
 * Public API.  The CLI (cli/main.c) is a thin user of this header; everything
 * it can do, a program linking liblaocoon.a can do too.
 *
 * Ownership: every lc_result and everything it points to is owned by the
 * library and released by lc_result_free().
 */
#ifndef LAOCOON_H
#define LAOCOON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAOCOON_VERSION "0.1.0"

/* Severities, in increasing order so that comparisons work. */
typedef enum lc_severity {
	LC_SEV_INFO = 0,
	LC_SEV_LOW,
	LC_SEV_MEDIUM,
	LC_SEV_HIGH,
	LC_SEV_CRITICAL
} lc_severity;

/* Error codes.  LC_OK is 0; every other value means analysis stopped early. */
typedef enum lc_err {
	LC_OK = 0,
	LC_E_TRUNCATED,   /* input ended where more bytes were required */
	LC_E_MALFORMED,   /* bytes violate the format */
	LC_E_LIMIT,       /* a named limit of the limits table was reached */
	LC_E_UNSUPPORTED, /* valid input we cannot inspect (encrypted, unknown codec) */
	LC_E_IO,          /* the operating system refused a read */
	LC_E_NOMEM,       /* allocation failed */
	LC_E_INTERNAL     /* a bug: an invariant did not hold */
} lc_err;

typedef enum lc_status {
	LC_STATUS_SCANNED = 0, /* fully analysed */
	LC_STATUS_ERROR,       /* analysis incomplete: see error; findings kept */
	LC_STATUS_SKIPPED      /* not a model file we analyse (reason in error) */
} lc_status;

/* ---- limits ------------------------------------------------------------ */

/* The limits table lives in include/laocoon_limits.def: one X-macro row per limit
 * (name, default, hard maximum, unit, why).  It generates this struct, the
 * --limit parser, --help-limits and the JSON echo.  0 never means
 * "unlimited"; a value can rise only to its hard maximum. */
typedef struct lc_limits {
#define LC_LIMIT(name, def, hard, unit, why) uint64_t name;
#include "laocoon_limits.def"
#undef LC_LIMIT
} lc_limits;

typedef enum lc_limit_id {
#define LC_LIMIT(name, def, hard, unit, why) LC_LIMIT_##name,
#include "laocoon_limits.def"
#undef LC_LIMIT
	LC_LIMIT_COUNT
} lc_limit_id;

typedef struct lc_limit_info {
	const char *name;
	uint64_t def;
	uint64_t hard;
	const char *unit;
	const char *why;
} lc_limit_info;

void lc_limits_default(lc_limits *lim);
/* Parses "name=value" (value may end in k, M, G for powers of 1024).
 * Returns 0, or -1 with a message in err. */
int lc_limits_set(lc_limits *lim, const char *assignment, char *err, size_t errlen);
const lc_limit_info *lc_limit_table(size_t *count);
uint64_t lc_limit_get(const lc_limits *lim, lc_limit_id id);

/* ---- results ----------------------------------------------------------- */

typedef struct lc_finding {
	const char *rule;     /* stable id, e.g. "pickle.callable.dangerous" */
	lc_severity severity;
	char *message;        /* one sentence for a person */
	char *evidence;       /* optional: callable, argument excerpt ...; may be NULL */
	char *member;         /* member path inside the file ("a.zip!archive/data.pkl"); NULL = the file itself */
	uint64_t offset;      /* byte offset inside member (or file) */
	int has_offset;
	uint64_t count;       /* occurrences folded into this finding (>= 1) */
} lc_finding;

typedef struct lc_member {
	char *name;           /* path inside the file, nested levels joined with '!' */
	const char *format;   /* format that claimed it, "unknown" if none */
	uint64_t size;
} lc_member;

struct lc_graph; /* src/graph/graph.h */

typedef struct lc_file_result {
	char *path;
	const char *format;   /* format of the file itself ("pickle", "pytorch-zip" ...) */
	uint64_t size;
	lc_status status;
	lc_err error_code;    /* LC_OK unless status is ERROR */
	char *error;          /* reason for ERROR or SKIPPED; NULL otherwise */
	const char *limit;    /* name of the limit that stopped analysis, or NULL */
	int unrecognised_binary; /* SKIPPED because no reader claimed binary content */
	lc_finding *findings;
	size_t nfindings, capfindings;
	lc_member *members;
	size_t nmembers, capmembers;
	double elapsed_ms;
	struct lc_graph *graph; /* the file's model graph, kept only with lc_scan_options.keep_graphs */
	/* internal: the file's mapping, kept alive while graph points into it */
	int keep_map;
	void *map;
	size_t map_len;
} lc_file_result;

typedef struct lc_result {
	lc_file_result *files;
	size_t nfiles, capfiles;
} lc_result;

/* ---- scanning ---------------------------------------------------------- */

typedef struct lc_scan_options {
	lc_limits limits;
	unsigned jobs;        /* worker threads over files; 0 = number of CPUs */
	int keep_graphs;      /* keep each file's model graph in its result (inspect, graph) */
} lc_scan_options;

void lc_scan_options_default(lc_scan_options *opt);

/* Scans a file or a directory tree and appends one lc_file_result per file.
 * Returns LC_OK, or an error if the path itself could not be opened (the
 * error is also recorded as a file result). */
lc_err lc_scan_path(const lc_scan_options *opt, const char *path, lc_result *out);

/* Scans a buffer as if it were a file called name. */
lc_err lc_scan_mem(const lc_scan_options *opt, const char *name, const void *data, size_t len,
		   lc_result *out);

void lc_result_free(lc_result *res);

/* Highest severity in the result, or -1 when there are no findings. */
int lc_result_max_severity(const lc_result *res);
/* Number of files that could not be fully analysed (ERROR, or SKIPPED binary). */
size_t lc_result_incomplete(const lc_result *res);
/* The CLI's exit status: 0 clean, 1 a finding at or above fail_on,
 * 2 something not fully analysed (and nothing at or above fail_on). */
int lc_result_exit_code(const lc_result *res, lc_severity fail_on);

const char *lc_severity_name(lc_severity sev);
int lc_severity_parse(const char *name, lc_severity *out); /* 0 ok, -1 unknown */
const char *lc_strerror(lc_err err);
const char *lc_status_name(lc_status st);
const char *lc_version(void);

/* ---- reporters --------------------------------------------------------- */

/* JSON report, format documented in docs/json-report.md. 0 ok, -1 I/O error. */
int lc_report_json(FILE *out, const lc_result *res, const lc_limits *lim, lc_severity fail_on);
/* SARIF 2.1.0 log. */
int lc_report_sarif(FILE *out, const lc_result *res, lc_severity fail_on);
/* Text for people; color enables ANSI colours. */
int lc_report_text(FILE *out, const lc_result *res, lc_severity fail_on, int color);

#ifdef __cplusplus
}
#endif
#endif
