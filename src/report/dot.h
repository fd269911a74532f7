/*
 * `laocoon graph` reporters: a model graph as Graphviz DOT (the whole
 * subgraph, or only the suspicious subgraphs that the architectural-backdoor
 * analysis found, with their neighbourhood) and the candidates as JSON
 * (docs/graph.md).
 *
 * Every string drawn comes from a scanned file and is hostile: names are
 * escaped for DOT (quotes, backslashes, Graphviz's \N-style escapes,
 * entities, control and bidi characters, invalid UTF-8) and labels are cut
 * to a few dozen bytes.  DOT identifiers are generated (s<sg>_n<node> ...),
 * never taken from the file.
 *
 * Internal: the CLI's graph command is the one user.
 */
#ifndef LC_REPORT_DOT_H
#define LC_REPORT_DOT_H

#include <stddef.h>
#include <stdio.h>

#include "analyze/backdoor.h"
#include "graph/graph.h"

/* Whole-graph drawings stop at this many nodes (constants folded). */
#define LC_DOT_MAX_NODES 2000

typedef struct lc_dot_options {
	int highlight;     /* 1: only the candidates' paths and their neighbourhood */
	int all;           /* highlight every candidate, not only HIGH and above */
	int depth;         /* neighbourhood: nodes within this many hops of a path node */
	int subgraph;      /* whole-graph view: subgraph index, -1 = the main graph */
	size_t max_nodes;  /* 0 = LC_DOT_MAX_NODES */
	const char *title; /* shown in the graph's label (the file's path), or NULL */
} lc_dot_options;

/* What was written, for the command's messages. */
typedef struct lc_dot_stats {
	size_t nodes;      /* operator nodes drawn */
	size_t total;      /* nodes that would have been drawn without the bound */
	int truncated;     /* the bound was reached */
	size_t candidates; /* candidates drawn (highlight) */
} lc_dot_stats;

/* The main graph's index (first LC_SG_MAIN, else 0), or -1 when g has no
 * subgraph. */
int lc_dot_main_subgraph(const lc_graph *g);
/* Subgraph by exact name (first match), else by decimal index; -1 if none. */
int lc_dot_find_subgraph(const lc_graph *g, const char *name);

/* True when c is drawn and listed under these options (severity HIGH and
 * above, or every candidate with all). */
int lc_dot_selected(const lc_bd_candidate *c, int all);

/* Writes one `digraph`.  rep may be NULL (no candidates).  Returns 0, or
 * -1 on an allocation or I/O error.  st may be NULL. */
int lc_dot_write(FILE *out, lc_graph *g, const lc_bd_report *rep, const lc_dot_options *opt,
                 lc_dot_stats *st);

/* The candidates (selected as by lc_dot_selected) as the JSON object of
 * docs/graph.md.  complete: the analysis ran to its end.  0 or -1. */
int lc_dot_json(FILE *out, const char *file, const lc_graph *g, const lc_bd_report *rep, int all,
                int complete);

#endif
