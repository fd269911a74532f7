/*
 * Dataset / model directory diff (src/supply/diff.c): `laocoon diff`.
 */
#ifndef LC_SUPPLY_DIFF_H
#define LC_SUPPLY_DIFF_H

#include <stdio.h>

typedef struct lc_diff_options {
	const char *label_field; /* count label flips of this field (JSONL key / CSV column), or NULL */
	const char *key_field;   /* match rows by this field instead of guessing an id-like one, or NULL */
	int json;                /* JSON output instead of text */
} lc_diff_options;

/* Compares OLD (a directory, or a JSON manifest {"path": "sha256hex", ...})
 * with the directory NEW, file by file by SHA-256; for changed .jsonl/.ndjson
 * and .csv/.tsv files, row by row (added, removed, changed, label flips).
 * Writes the report to out, problems to log.  Returns 0 no differences,
 * 1 differences, 2 error. */
int lc_diff(const char *old_path, const char *new_path, const lc_diff_options *opt, FILE *out, FILE *log);

#endif
