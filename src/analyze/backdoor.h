/*
 * Architectural backdoor ("shadow logic") detection on the graph model.
 *
 * A backdoor of this kind is a branch added to a trained graph: a small
 * detector computes a gate from an input (or an early feature map) - slices
 * of raw pixels or token ids compared with constants, or a tiny sub-network
 * with a saturating activation - and a selector (Where/Select, If, Switch/
 * Merge, or an arithmetic blend a*m + b*(1-m) / a + m*d) lets that gate
 * replace or nudge the model's output with a payload.
 *
 * The analysis inlines function calls and control-flow bodies into one
 * value graph, computes per value: input dependence, folded small
 * constants, learned parameters upstream and downstream, and then scores
 * every selector (see backdoor.c for the score and its threshold).
 *
 * Consumers: the scan (lc_graph_analyze_backdoor emits findings) and
 * `laocoon graph --highlight` (lc_backdoor_analyze gives the structured
 * paths to draw and to print as JSON).
 */
#ifndef LC_ANALYZE_BACKDOOR_H
#define LC_ANALYZE_BACKDOOR_H

#include <stddef.h>

#include "core/lc.h"
#include "graph/graph.h"

/* What a node or value is on a reported path. */
typedef enum lc_bd_role {
	LC_BD_INPUT = 0, /* a graph input the trigger reads */
	LC_BD_FEATURE,   /* an intermediate feature map the trigger reads */
	LC_BD_TRIGGER,   /* slice/gather/compare/reduce/activation on the trigger path */
	LC_BD_CONST,     /* a constant the trigger compares against */
	LC_BD_SELECTOR,  /* Where/If/Switch-Merge/blend choosing the output */
	LC_BD_PAYLOAD,   /* the constant/near-constant value that replaces or nudges the output */
	LC_BD_MODEL,     /* the model's own branch into the selector */
	LC_BD_OUTPUT,    /* between the selector and a graph output, and the output */
} lc_bd_role;

const char *lc_bd_role_name(lc_bd_role r);

/* One element of a path.  node indexes g->subs[sg].nodes, or is -1 for a
 * value that no node produces (graph input, initializer, function
 * argument); value is the tensor name (in g's arena or the report's). */
typedef struct lc_bd_step {
	int sg;
	int node;
	const char *value;
	lc_bd_role role;
	const char *note; /* "Equal vs [255,255,255] shape [3]", or NULL */
} lc_bd_step;

typedef struct lc_bd_candidate {
	const char *rule;     /* "backdoor.select-override", ... (see src/report/rules.c) */
	lc_severity severity; /* only HIGH/CRITICAL are trigger-gated overrides */
	int score;            /* sum of the signal weights; HIGH from LC_BD_THRESHOLD */
	const char *input;    /* graph input (or feature map) the trigger reads */
	const char *output;   /* graph output the selector reaches */
	const char *summary;  /* one line: what fires, what it overrides */
	const char *signals;  /* comma-separated signal names that scored */
	lc_bd_step *steps;    /* input -> trigger -> selector -> output, then payload and model branch */
	size_t nsteps;
} lc_bd_candidate;

typedef struct lc_bd_report {
	lc_bd_candidate *c;
	size_t n;
	struct lc_bd_arena *arena; /* owns the strings and steps */
} lc_bd_report;

/* Scores every selector of g.  Candidates below LC_BD_REPORT_MIN are not
 * listed.  Returns 0, or -1 when the graph could not be fully analysed (an
 * allocation failed or a limit was hit; with ctx the limit is recorded).
 * The report must be released with lc_bd_report_free() either way. */
int lc_backdoor_analyze(lc_ctx *ctx, lc_graph *g, lc_bd_report *out);
void lc_bd_report_free(lc_bd_report *r);

#endif
