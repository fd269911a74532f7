/*
 * `laocoon inspect`: the model as a person wants to see it - format,
 * producer, opsets, inputs and outputs, operator histogram, functions and
 * nested subgraphs, parameters, custom operators, signatures - plus the scan
 * verdict.  Written against src/graph/graph.h only, so it works for every
 * graph format.  The result must come from a scan with keep_graphs = 1.
 * Internal (the CLI's inspect command is its one user); the JSON shape is
 * documented in docs/inspect.md.
 */
#ifndef LC_REPORT_INSPECT_H
#define LC_REPORT_INSPECT_H

#include <stdio.h>

#include "laocoon.h"

/* 0 ok, -1 I/O or allocation error. */
int lc_inspect_text(FILE *out, const lc_result *res, lc_severity fail_on);
int lc_inspect_json(FILE *out, const lc_result *res, lc_severity fail_on);

#endif
