/*
 * Helpers shared by the three reporters (json.c, sarif.c, text.c) and the
 * rule metadata table (rules.c).  Internal: not part of the public API.
 */
#ifndef LC_REPORT_UTIL_H
#define LC_REPORT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "laocoon.h"

/* Where a SARIF consumer can learn about the tool (tool.driver.informationUri).
 * A build may override it with -DLC_INFORMATION_URI=... */
#ifndef LC_INFORMATION_URI
#define LC_INFORMATION_URI "https://github.com/laocoon/laocoon"
#endif

#define LC_SEV_COUNT 5

/* Decodes one well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF).  Returns its length (1..4) and the
 * code point in *cp, or 0 when the bytes at s do not start a valid sequence.
 * s must be NUL-terminated: the NUL stops a truncated sequence. */
size_t lc_rep_utf8_seq(const unsigned char *s, uint32_t *cp);

/* malloc'ed copy of the NUL-terminated byte string s that is valid UTF-8:
 * every byte that is not part of a well-formed sequence becomes the four
 * characters \xNN (lower-case hex).  NULL only when allocation fails. */
char *lc_rep_utf8(const char *s);

/* Counters every reporter prints in its summary. */
typedef struct lc_rep_summary {
	size_t files, scanned, errors, skipped;
	size_t incomplete;        /* lc_result_incomplete() */
	size_t sev[LC_SEV_COUNT]; /* distinct findings per severity */
	uint64_t occurrences;     /* sum of the findings' counts */
	int max_severity;         /* -1 when there is no finding */
	int exit_code;            /* lc_result_exit_code() */
	const char *verdict;      /* lc_rep_verdict() */
} lc_rep_summary;

void lc_rep_summarize(const lc_result *res, lc_severity fail_on, lc_rep_summary *s);

/* The overall verdict, a pure function of the exit code and the findings:
 *   exit 1 -> "malicious"  (some finding at or above fail_on)
 *   exit 2 -> "incomplete" (nothing at or above fail_on, some file not fully analysed)
 *   exit 0 -> "suspicious" if some finding is LOW or higher, else "clean". */
const char *lc_rep_verdict(int exit_code, int max_severity);

/* Highest severity among one file's findings, -1 when none. */
int lc_rep_file_max_severity(const lc_file_result *f);

/* True when the file counts as "not fully analysed" (same rule as
 * lc_result_incomplete). */
int lc_rep_file_incomplete(const lc_file_result *f);

/* ---- jansson tree building (json.c, sarif.c) -----------------------------
 * Building keeps going after an allocation failure and reports it once at the
 * end: simpler than checking every call, and the outcome is the same (no
 * output, -1).  Every lc_j* function takes ownership of val, as jansson's
 * *_new functions do, and accepts NULL (recording the failure). */
typedef struct json_t json_t;
typedef struct lc_jb {
	int oom;
} lc_jb;
void lc_jset(lc_jb *b, json_t *obj, const char *key, json_t *val);
void lc_jappend(lc_jb *b, json_t *arr, json_t *val);
/* JSON string of bytes from a scanned file or the library, repaired by
 * lc_rep_utf8(): jansson refuses invalid UTF-8, and a hostile member name
 * must not be able to drop a finding from the report. */
json_t *lc_jstr(lc_jb *b, const char *s);
/* Unsigned integer, clamped to INT64_MAX (jansson's json_int_t). */
json_t *lc_juint(uint64_t v);

/* ---- rule metadata (rules.c) -------------------------------------------- */

typedef struct lc_rule_info {
	const char *id;         /* "pickle.callable.dangerous" */
	const char *short_desc; /* one line, ends with a period */
	const char *full_desc;  /* what the rule detects and why it matters */
	const char *help;       /* what to do about it */
	const char *cwe;        /* "502" or NULL */
} lc_rule_info;

/* Metadata for a known rule id, or NULL: rule ids are added by the format
 * readers over time, so callers must cope with unknown ones. */
const lc_rule_info *lc_rule_lookup(const char *id);
/* The whole table (for documentation and tests). */
const lc_rule_info *lc_rule_table(size_t *count);

#endif
