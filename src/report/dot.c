/*
 * `laocoon graph`: DOT and JSON views of a model graph and of the
 * architectural-backdoor candidates found in it (see dot.h, docs/graph.md).
 *
 * Everything here is written against src/graph/graph.h and
 * src/analyze/backdoor.h only, so it works for every graph format.  Names
 * come from the scanned file: they only ever appear inside DOT
 * double-quoted strings, escaped by put_esc_n(); identifiers are generated.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/dot.h"
#include "report/report_util.h"

#define LBL_MAX      40  /* bytes of a name or op on a node line */
#define EDGE_LBL_MAX 24  /* edge labels only for names up to this long */
#define NOTE_MAX     64  /* a step's note on a node */
#define TIP_MAX      200 /* tooltips */
#define SUMMARY_MAX  160 /* a candidate's summary in the graph label */
#define LEGEND_MAX   20  /* candidates listed in the graph label */

/* ---- escaping -------------------------------------------------------------------- */

static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Bytes s[0..n) as the inside of a DOT double-quoted escString.  Graphviz
 * reads \" in the lexer, then \\ \n \l \r \N \G \E \T \H \L in labels, and
 * &name; / &#N; entities in every label: a backslash is doubled, a quote
 * escaped, & written as &amp;.  Control, zero-width and bidi characters and
 * bytes that are not UTF-8 are shown as the visible text \xNN / \uNNNN. */
static void put_esc_n(FILE *out, const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp = 0;
		size_t k = lc_rep_utf8_seq(s + i, &cp);
		if (k == 0 || k > n - i) {
			fprintf(out, "\\\\x%02x", s[i]);
			i++;
			continue;
		}
		if (cp == '"')
			fputs("\\\"", out);
		else if (cp == '\\')
			fputs("\\\\", out);
		else if (cp == '&')
			fputs("&amp;", out);
		else if (unsafe_cp(cp) && cp < 0x100)
			fprintf(out, "\\\\x%02x", (unsigned)cp);
		else if (unsafe_cp(cp))
			fprintf(out, "\\\\u%04x", (unsigned)cp);
		else
			fwrite(s + i, 1, k, out);
		i += k;
	}
}

static int is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* str escaped, at most max bytes of it: a longer string keeps its start and
 * its end (TensorFlow names say most in their last component) around "...". */
static void put_lbl(FILE *out, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)s);
	if (n <= max) {
		put_esc_n(out, s, n);
		return;
	}
	size_t head = max / 3, t = n - (max - head);
	while (head > 0 && is_cont(s[head]))
		head--;
	while (t < n && is_cont(s[t]))
		t++;
	put_esc_n(out, s, head);
	fputs("...", out);
	put_esc_n(out, s + t, n - t);
}

/* str escaped, its first max bytes, then "..." when cut. */
static void put_head(FILE *out, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t n = strlen((const char *)s);
	if (n <= max) {
		put_esc_n(out, s, n);
		return;
	}
	while (max > 0 && is_cont(s[max]))
		max--;
	put_esc_n(out, s, max);
	fputs("...", out);
}

/* ---- per-subgraph helpers ------------------------------------------------------- */

typedef struct nent {
	const char *name;
	int idx;
} nent;

typedef struct nameset {
	nent *v;
	size_t n;
} nameset;

static int cmp_nent(const void *a, const void *b)
{
	const nent *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int ns_build(nameset *ns, const lc_value_info *vi, size_t n)
{
	ns->n = 0;
	ns->v = malloc((n ? n : 1) * sizeof *ns->v);
	if (!ns->v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (vi[i].name) {
			ns->v[ns->n].name = vi[i].name;
			ns->v[ns->n].idx = (int)i;
			ns->n++;
		}
	qsort(ns->v, ns->n, sizeof *ns->v, cmp_nent);
	return 0;
}

/* Index of the first entry named name, or -1. */
static int ns_find(const nameset *ns, const char *name)
{
	size_t lo = 0, hi = ns->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ns->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ns->n && strcmp(ns->v[lo].name, name) == 0 ? ns->v[lo].idx : -1;
}

enum { M_NONE = 0, M_NEAR = 1, M_PATH = 2 };
/* Role ranks: lower wins when a node plays several roles. */
enum { R_SELECTOR = 0, R_TRIGGER = 1, R_PAYLOAD = 2, R_MODEL = 3, R_OUTPUT = 4, R_NEAR = 5 };

typedef struct sgx {
	int built;
	nameset ins, inits, outs;
	unsigned char *mark;               /* per node: M_* */
	unsigned char *rank;               /* per node: R_* */
	unsigned char *need_in, *need_out; /* graph inputs/outputs to draw */
	size_t *radj_off;                  /* consumers of node i: radj[radj_off[i] .. radj_off[i+1]) */
	int *radj;
	size_t ndrawn;
} sgx;

typedef struct vstep { /* a path element that no node produces */
	int sg;
	const char *value;
	int rank;
	const char *note;
	int input;  /* index of the graph input it is, or -1 */
	int output; /* index of the graph output it is, or -1 */
} vstep;

typedef struct dw {
	FILE *out;
	lc_graph *g;
	const lc_dot_options *opt;
	const lc_bd_report *rep;
	sgx *x;
	int main_sg;
	int oom;
	size_t drawn, max, total;
	int truncated;
	vstep *vs;
	size_t nvs, capvs;
} dw;

static sgx *sgctx(dw *w, int sg)
{
	if (sg < 0 || (size_t)sg >= w->g->nsubs)
		return NULL;
	sgx *x = &w->x[sg];
	if (x->built)
		return x->built > 0 ? x : NULL;
	const lc_subgraph *s = &w->g->subs[sg];
	x->built = -1;
	if (ns_build(&x->ins, s->inputs, s->ninputs) || ns_build(&x->inits, s->inits, s->ninits) ||
	    ns_build(&x->outs, s->outputs, s->noutputs)) {
		w->oom = 1;
		return NULL;
	}
	size_t nn = s->nnodes ? s->nnodes : 1;
	x->mark = calloc(nn, 1);
	x->rank = malloc(nn);
	x->need_in = calloc(s->ninputs ? s->ninputs : 1, 1);
	x->need_out = calloc(s->noutputs ? s->noutputs : 1, 1);
	if (!x->mark || !x->rank || !x->need_in || !x->need_out) {
		w->oom = 1;
		return NULL;
	}
	memset(x->rank, R_NEAR, nn);
	x->built = 1;
	return x;
}

static void sgx_free(sgx *x)
{
	free(x->ins.v);
	free(x->inits.v);
	free(x->outs.v);
	free(x->mark);
	free(x->rank);
	free(x->need_in);
	free(x->need_out);
	free(x->radj_off);
	free(x->radj);
}

static int is_data_input(const char *v)
{
	return v && v[0] && v[0] != '^';
}

static int streq(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* A node that only holds a value: folded into its consumers. */
static int is_const_node(dw *w, int sg, const lc_node *n)
{
	for (size_t i = 0; i < n->ninputs; i++)
		if (is_data_input(n->inputs[i]))
			return 0;
	if (streq(n->op, "Const") || streq(n->op, "Constant") || streq(n->op, "VarHandleOp") ||
	    streq(n->op, "VariableV2") || streq(n->op, "Variable"))
		return 1;
	sgx *x = sgctx(w, sg);
	if (!x)
		return 0;
	if (n->noutputs && n->outputs[0] && ns_find(&x->inits, n->outputs[0]) >= 0)
		return 1;
	return n->name && n->name[0] && ns_find(&x->inits, n->name) >= 0;
}

enum { V_NODE, V_INPUT, V_INIT, V_UNKNOWN };

typedef struct vref {
	int kind;
	int sg;
	int idx; /* node, graph input or initializer index */
} vref;

/* What value v means in subgraph sg: a node's output, a graph input or an
 * initializer of sg or - nested graphs see their enclosing scopes - of an
 * enclosing subgraph. */
static vref resolve(dw *w, int sg, const char *v)
{
	vref r = {V_UNKNOWN, sg, -1};
	if (!v || !v[0])
		return r;
	const char *nm = v[0] == '^' ? v + 1 : v;
	for (int hop = 0; hop < 64 && sg >= 0 && (size_t)sg < w->g->nsubs; hop++) {
		sgx *x = sgctx(w, sg); /* every subgraph a vref names has its context */
		if (!x)
			return r;
		int p = lc_graph_producer(w->g, sg, nm);
		if (p >= 0)
			return (vref){V_NODE, sg, p};
		int k = ns_find(&x->inits, nm);
		if (k >= 0)
			return (vref){V_INIT, sg, k};
		k = ns_find(&x->ins, nm);
		if (k >= 0)
			return (vref){V_INPUT, sg, k};
		const lc_subgraph *s = &w->g->subs[sg];
		if (s->kind != LC_SG_NESTED || s->parent == sg)
			break;
		sg = s->parent;
	}
	return r;
}

static int find_vstep(const dw *w, int sg, const char *v);

/* ---- node and edge writers ---------------------------------------------------------- */

static const char *sg_kind_name(lc_subgraph_kind k)
{
	switch (k) {
	case LC_SG_MAIN:
		return "main";
	case LC_SG_FUNCTION:
		return "function";
	case LC_SG_NESTED:
		return "nested";
	default:
		return "other";
	}
}

static void put_op(FILE *out, const lc_graph *g, const lc_node *n)
{
	const char *d = n->domain;
	if (d && d[0] && strcmp(d, "ai.onnx") != 0 && !(g->format && strcmp(g->format, "keras") == 0)) {
		put_lbl(out, d, LBL_MAX / 2);
		fputs("::", out);
	}
	put_lbl(out, n->op && n->op[0] ? n->op : "(no op)", LBL_MAX);
}

static const char *rank_class(int r)
{
	static const char *const cls[] = {"selector", "trigger", "payload", "model", "output", "near"};
	return r >= 0 && r <= R_NEAR ? cls[r] : "near";
}

/* Node attributes for a role rank (after the label). */
static void put_style(FILE *out, int r, int path)
{
	switch (r) {
	case R_SELECTOR:
	case R_TRIGGER:
		fputs(", color=\"red\", fillcolor=\"#ffe4e1\", penwidth=2.5, fontcolor=\"black\", "
		      "style=\"rounded,filled,bold\"",
		      out);
		break;
	case R_PAYLOAD:
		fputs(", color=\"orange\", fillcolor=\"#fff1d6\", penwidth=2", out);
		break;
	case R_MODEL:
		fputs(", color=\"blue\", fillcolor=\"#e6ecff\", penwidth=1.5", out);
		break;
	case R_OUTPUT:
		fputs(", color=\"red\", fillcolor=\"#fff5f5\", penwidth=1.5", out);
		break;
	default:
		if (path)
			fputs(", color=\"red\"", out);
		else
			fputs(", color=\"grey60\", fontcolor=\"grey35\", fillcolor=\"#f4f4f4\"", out);
	}
	fprintf(out, ", class=\"%s\"", rank_class(r));
}

static int role_rank(lc_bd_role r)
{
	switch (r) {
	case LC_BD_SELECTOR:
		return R_SELECTOR;
	case LC_BD_INPUT:
	case LC_BD_FEATURE:
	case LC_BD_TRIGGER:
	case LC_BD_CONST:
		return R_TRIGGER;
	case LC_BD_PAYLOAD:
		return R_PAYLOAD;
	case LC_BD_MODEL:
		return R_MODEL;
	default:
		return R_OUTPUT;
	}
}

int lc_dot_selected(const lc_bd_candidate *c, int all)
{
	return all || c->severity >= LC_SEV_HIGH;
}

/* Role names and notes of the steps naming node (sg, node) on the label,
 * one line each (at most 3). */
static void put_step_lines(dw *w, int sg, int node)
{
	if (!w->rep)
		return;
	int lines = 0;
	for (size_t c = 0; c < w->rep->n; c++) {
		const lc_bd_candidate *cd = &w->rep->c[c];
		if (!lc_dot_selected(cd, w->opt->all))
			continue;
		for (size_t i = 0; i < cd->nsteps; i++) {
			const lc_bd_step *st = &cd->steps[i];
			if (st->sg != sg)
				continue;
			if (st->node != node && !(st->node < 0 && st->value && st->value[0] &&
			                          lc_graph_producer(w->g, sg, st->value) == node))
				continue;
			if (lines == 3) {
				fputs("\\n...", w->out);
				return;
			}
			fprintf(w->out, "\\n[#%zu %s]", c + 1, lc_bd_role_name(st->role));
			if (st->note && st->note[0]) {
				fputc(' ', w->out);
				put_head(w->out, st->note, NOTE_MAX);
			}
			lines++;
		}
	}
}

static void put_node(dw *w, int sg, int i, int highlight)
{
	const lc_graph *g = w->g;
	const lc_subgraph *s = &g->subs[sg];
	const lc_node *n = &s->nodes[i];
	sgx *x = &w->x[sg];
	FILE *out = w->out;
	int cnode = is_const_node(w, sg, n);
	int as_input = !cnode && n->name && n->name[0] && ns_find(&x->ins, n->name) >= 0;
	fprintf(out, "    s%d_n%d [label=\"", sg, i);
	put_op(out, g, n);
	if (n->name && n->name[0]) {
		fputs("\\n", out);
		put_lbl(out, n->name, LBL_MAX);
	}
	/* constants and weights read by the node, folded into it */
	size_t nconst = 0;
	const char *first = NULL;
	for (size_t k = 0; k < n->ninputs; k++) {
		if (!is_data_input(n->inputs[k]))
			continue;
		vref r = resolve(w, sg, n->inputs[k]);
		int folded = r.kind == V_INIT && !(highlight && find_vstep(w, r.sg, n->inputs[k]) >= 0);
		if (r.kind == V_NODE) {
			const lc_node *p = &g->subs[r.sg].nodes[r.idx];
			folded = is_const_node(w, r.sg, p) && !(highlight && w->x[r.sg].mark[r.idx]);
		}
		if (folded && !nconst++)
			first = n->inputs[k];
	}
	if (nconst == 1 && strlen(first) <= LBL_MAX) {
		fputs("\\n(+ ", out);
		put_lbl(out, first, LBL_MAX);
		fputc(')', out);
	} else if (nconst) {
		fprintf(out, "\\n(+ %zu constants)", nconst);
	}
	/* graphs held by the node (If branches, Loop/Scan bodies) */
	size_t nsub = 0;
	for (size_t a = 0; a < n->nattrs && nsub < 3; a++) {
		const lc_attr *at = &n->attrs[a];
		if (at->kind == LC_ATTR_FUNC && at->s && at->s[0]) { /* TF: If branches, calls */
			fputs(nsub++ ? ", " : "\\n{", out);
			put_lbl(out, at->s, LBL_MAX / 2);
			continue;
		}
		size_t cnt = at->kind == LC_ATTR_GRAPH ? 1 : at->kind == LC_ATTR_GRAPHS ? at->n : 0;
		for (size_t k = 0; k < cnt && nsub < 3; k++) {
			int t = at->kind == LC_ATTR_GRAPH ? at->sub : at->subs[k];
			if (t < 0 || (size_t)t >= g->nsubs)
				continue;
			fputs(nsub++ ? ", " : "\\n{", out);
			put_lbl(out, g->subs[t].name, LBL_MAX / 2);
		}
	}
	if (nsub)
		fputc('}', out);
	int path = highlight && x->mark[i] == M_PATH;
	if (path)
		put_step_lines(w, sg, i);
	fputs("\", tooltip=\"", out);
	put_lbl(out, n->op, TIP_MAX / 2);
	if (n->name && n->name[0]) {
		fputc(' ', out);
		put_lbl(out, n->name, TIP_MAX);
	}
	fputc('"', out);
	if (cnode)
		fputs(", shape=note", out);
	else if (as_input)
		fputs(", shape=invhouse", out);
	if (highlight)
		put_style(out, x->rank[i], path);
	fputs("];\n", out);
}

static void put_value_node(dw *w, const char *id_kind, int sg, size_t k, const char *name, const char *shape,
                           const char *prefix)
{
	fprintf(w->out, "    s%d_%s%zu [shape=%s, style=\"filled\", fillcolor=\"%s\", label=\"%s", sg,
	        id_kind, k, shape,
	        shape[0] == 'i'   ? "#e8f5e9"
	        : shape[0] == 'h' ? "#e3f2fd"
	                          : "white",
	        prefix);
	put_lbl(w->out, name, LBL_MAX);
	fputs("\", tooltip=\"", w->out);
	put_lbl(w->out, name, TIP_MAX);
	fputs("\"];\n", w->out);
}

static void put_edge_label(FILE *out, const char *v)
{
	if (!v || !v[0] || v[0] == '^')
		return;
	if (strlen(v) <= EDGE_LBL_MAX) {
		fputs(", label=\"", out);
		put_esc_n(out, (const unsigned char *)v, strlen(v));
		fputc('"', out);
	}
}

static void put_header(dw *w, const char *what)
{
	FILE *out = w->out;
	fputs("digraph laocoon {\n"
	      "  graph [rankdir=TB, compound=true, fontname=\"Helvetica\", fontsize=11, labelloc=t, "
	      "labeljust=l, label=\"",
	      out);
	fputs(what, out);
	if (w->opt->title) {
		fputs(": ", out);
		put_lbl(out, w->opt->title, 120);
	}
	if (w->g && w->g->format) {
		fputs(" (", out);
		put_lbl(out, w->g->format, 40);
		fputc(')', out);
	}
	fputs("\\l", out);
}

static void put_header_end(FILE *out)
{
	fputs("\"];\n"
	      "  node [shape=box, style=\"rounded,filled\", fillcolor=\"white\", fontname=\"Helvetica\", "
	      "fontsize=10];\n"
	      "  edge [fontname=\"Helvetica\", fontsize=8, color=\"grey40\"];\n",
	      out);
}

/* ---- the whole subgraph ------------------------------------------------------------ */

static int write_full(dw *w, int sg)
{
	lc_graph *g = w->g;
	FILE *out = w->out;
	const lc_subgraph *s = &g->subs[sg];
	sgx *x = sgctx(w, sg);
	if (!x)
		return -1;
	put_header(w, "laocoon graph");
	fprintf(out, "\\l%s subgraph ", sg_kind_name(s->kind));
	put_lbl(out, s->name, LBL_MAX);
	fprintf(out, ": %zu nodes, constants folded\\l", s->nnodes);
	size_t total = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		if (is_const_node(w, sg, &s->nodes[i]))
			continue;
		total++;
		if (w->drawn < w->max) {
			x->mark[i] = M_NEAR;
			w->drawn++;
		}
	}
	w->total = total;
	w->truncated = total > w->drawn;
	if (w->truncated)
		fprintf(out, "only the first %zu of %zu nodes drawn: use laocoon graph --highlight\\l",
		        w->drawn, total);
	put_header_end(out);

	/* values read that no drawn node produces: graph inputs, outer scope */
	size_t nunk = 0, capunk = 0;
	const char **unk = NULL;
	for (size_t i = 0; i < s->nnodes && !w->oom; i++) {
		if (!x->mark[i])
			continue;
		const lc_node *n = &s->nodes[i];
		for (size_t k = 0; k < n->ninputs; k++) {
			if (!is_data_input(n->inputs[k]))
				continue;
			vref r = resolve(w, sg, n->inputs[k]);
			if (r.kind == V_INPUT && r.sg == sg) {
				x->need_in[r.idx] = 1;
			} else if (r.kind == V_UNKNOWN || (r.kind != V_INIT && r.sg != sg)) {
				if (nunk == capunk) {
					capunk = capunk ? capunk * 2 : 16;
					const char **nu = realloc(unk, capunk * sizeof *unk);
					if (!nu) {
						w->oom = 1;
						break;
					}
					unk = nu;
				}
				unk[nunk++] = n->inputs[k];
			}
		}
	}
	nameset ext = {0};
	if (!w->oom) {
		ext.v = malloc((nunk ? nunk : 1) * sizeof *ext.v);
		if (!ext.v)
			w->oom = 1;
		for (size_t i = 0; ext.v && i < nunk; i++)
			ext.v[i] = (nent){unk[i], (int)i};
		if (ext.v) {
			qsort(ext.v, nunk, sizeof *ext.v, cmp_nent);
			size_t m = 0;
			for (size_t i = 0; i < nunk; i++)
				if (!m || strcmp(ext.v[m - 1].name, ext.v[i].name) != 0) {
					ext.v[m] = ext.v[i];
					ext.v[m].idx = (int)m;
					m++;
				}
			ext.n = m;
		}
	}
	free(unk);

	for (size_t k = 0; k < s->ninputs && k < w->max; k++)
		if (ns_find(&x->inits, s->inputs[k].name) < 0 &&
		    lc_graph_producer(g, sg, s->inputs[k].name) < 0)
			x->need_in[k] = 1;
	for (size_t k = 0; k < s->ninputs; k++)
		if (x->need_in[k])
			put_value_node(w, "i", sg, k, s->inputs[k].name, "invhouse", "input: ");
	for (size_t k = 0; k < ext.n; k++) {
		fprintf(out, "    s%d_x%zu [shape=ellipse, style=\"dashed\", label=\"", sg, k);
		put_lbl(out, ext.v[k].name, LBL_MAX);
		fputs("\"];\n", out);
	}
	for (size_t i = 0; i < s->nnodes; i++)
		if (x->mark[i])
			put_node(w, sg, (int)i, 0);
	for (size_t k = 0; k < s->noutputs && k < w->max; k++)
		put_value_node(w, "o", sg, k, s->outputs[k].name, "house", "output: ");
	if (w->truncated)
		fprintf(out, "    more [shape=plaintext, label=\"... %zu more nodes not drawn\"];\n",
		        total - w->drawn);

	for (size_t i = 0; i < s->nnodes; i++) {
		if (!x->mark[i])
			continue;
		const lc_node *n = &s->nodes[i];
		for (size_t k = 0; k < n->ninputs; k++) {
			const char *v = n->inputs[k];
			if (!v || !v[0])
				continue;
			vref r = resolve(w, sg, v);
			const char *style = v[0] == '^' ? ", style=dashed" : "";
			if (r.kind == V_NODE && r.sg == sg && x->mark[r.idx]) {
				fprintf(out, "  s%d_n%d -> s%d_n%zu [", sg, r.idx, sg, i);
			} else if (r.kind == V_INPUT && r.sg == sg && x->need_in[r.idx]) {
				fprintf(out, "  s%d_i%d -> s%d_n%zu [", sg, r.idx, sg, i);
			} else if (v[0] != '^' && (r.kind == V_UNKNOWN || (r.kind != V_INIT && r.sg != sg)) &&
			           ns_find(&ext, v) >= 0) {
				fprintf(out, "  s%d_x%d -> s%d_n%zu [", sg, ns_find(&ext, v), sg, i);
			} else {
				continue;
			}
			fprintf(out, "arrowsize=0.6%s", style);
			put_edge_label(out, v);
			fputs("];\n", out);
		}
	}
	for (size_t k = 0; k < s->noutputs && k < w->max; k++) {
		vref r = resolve(w, sg, s->outputs[k].name);
		if (r.kind == V_NODE && r.sg == sg && x->mark[r.idx])
			fprintf(out, "  s%d_n%d -> s%d_o%zu [arrowsize=0.6];\n", sg, r.idx, sg, k);
		else if (r.kind == V_INPUT && r.sg == sg && x->need_in[r.idx])
			fprintf(out, "  s%d_i%d -> s%d_o%zu [arrowsize=0.6];\n", sg, r.idx, sg, k);
	}
	fputs("}\n", out);
	free(ext.v);
	return w->oom ? -1 : 0;
}

/* ---- the suspicious subgraphs ---------------------------------------------------------- */

/* Consumers of every node of sg (built on first use). */
static int build_radj(dw *w, int sg)
{
	sgx *x = sgctx(w, sg);
	if (!x)
		return -1;
	if (x->radj_off)
		return 0;
	const lc_subgraph *s = &w->g->subs[sg];
	x->radj_off = calloc(s->nnodes + 1, sizeof *x->radj_off);
	if (!x->radj_off) {
		w->oom = 1;
		return -1;
	}
	size_t total = 0;
	for (size_t i = 0; i < s->nnodes; i++)
		for (size_t k = 0; k < s->nodes[i].ninputs; k++) {
			int p = s->nodes[i].inputs[k] && s->nodes[i].inputs[k][0]
			                ? lc_graph_producer(w->g, sg, s->nodes[i].inputs[k])
			                : -1;
			if (p >= 0) {
				x->radj_off[p + 1]++;
				total++;
			}
		}
	for (size_t i = 0; i < s->nnodes; i++)
		x->radj_off[i + 1] += x->radj_off[i];
	x->radj = malloc((total ? total : 1) * sizeof *x->radj);
	size_t *fill = calloc(s->nnodes + 1, sizeof *fill);
	if (!x->radj || !fill) {
		free(fill);
		w->oom = 1;
		return -1;
	}
	for (size_t i = 0; i < s->nnodes; i++)
		for (size_t k = 0; k < s->nodes[i].ninputs; k++) {
			int p = s->nodes[i].inputs[k] && s->nodes[i].inputs[k][0]
			                ? lc_graph_producer(w->g, sg, s->nodes[i].inputs[k])
			                : -1;
			if (p >= 0)
				x->radj[x->radj_off[p] + fill[p]++] = (int)i;
		}
	free(fill);
	return 0;
}

typedef struct qent {
	int sg, node, dist;
} qent;

typedef struct queue {
	qent *v;
	size_t n, cap, head;
} queue;

static int q_push(dw *w, queue *q, int sg, int node, int dist)
{
	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 64;
		qent *nv = realloc(q->v, nc * sizeof *nv);
		if (!nv) {
			w->oom = 1;
			return -1;
		}
		q->v = nv;
		q->cap = nc;
	}
	q->v[q->n++] = (qent){sg, node, dist};
	return 0;
}

static void visit(dw *w, queue *q, int sg, int node, int dist)
{
	sgx *x = sgctx(w, sg);
	if (!x || x->mark[node])
		return;
	if (is_const_node(w, sg, &w->g->subs[sg].nodes[node]))
		return;
	if (w->drawn >= w->max) {
		w->truncated = 1;
		return;
	}
	x->mark[node] = M_NEAR;
	x->ndrawn++;
	w->drawn++;
	q_push(w, q, sg, node, dist);
}

static int add_vstep(dw *w, const lc_bd_step *st)
{
	int r = role_rank(st->role);
	for (size_t i = 0; i < w->nvs; i++)
		if (w->vs[i].sg == st->sg && strcmp(w->vs[i].value, st->value) == 0) {
			if (r < w->vs[i].rank)
				w->vs[i].rank = r;
			if (!w->vs[i].note && st->note && st->note[0])
				w->vs[i].note = st->note;
			return 0;
		}
	if (w->nvs == 1000) /* a bounded drawing */
		return 0;
	if (w->nvs == w->capvs) {
		size_t nc = w->capvs ? w->capvs * 2 : 16;
		vstep *nv = realloc(w->vs, nc * sizeof *nv);
		if (!nv) {
			w->oom = 1;
			return -1;
		}
		w->vs = nv;
		w->capvs = nc;
	}
	sgx *x = sgctx(w, st->sg);
	int in = x ? ns_find(&x->ins, st->value) : -1;
	int on = x && in < 0 ? ns_find(&x->outs, st->value) : -1;
	w->vs[w->nvs++] = (vstep){st->sg, st->value, r, st->note && st->note[0] ? st->note : NULL, in, on};
	if (in >= 0)
		x->need_in[in] = 1;
	if (on >= 0)
		x->need_out[on] = 1;
	return 0;
}

static int find_vstep(const dw *w, int sg, const char *v)
{
	if (v[0] == '^')
		v++;
	for (size_t i = 0; i < w->nvs; i++)
		if (w->vs[i].sg == sg && strcmp(w->vs[i].value, v) == 0)
			return (int)i;
	return -1;
}

/* Best role rank of the selected steps naming value v of subgraph sg. */
static int step_rank(const dw *w, int sg, const char *v)
{
	int best = R_NEAR;
	for (size_t c = 0; w->rep && c < w->rep->n; c++) {
		const lc_bd_candidate *cd = &w->rep->c[c];
		if (!lc_dot_selected(cd, w->opt->all))
			continue;
		for (size_t i = 0; i < cd->nsteps; i++)
			if (cd->steps[i].sg == sg && cd->steps[i].value &&
			    strcmp(cd->steps[i].value, v) == 0 && role_rank(cd->steps[i].role) < best)
				best = role_rank(cd->steps[i].role);
	}
	return best;
}

static const char *rank_color(int r)
{
	switch (r) {
	case R_SELECTOR:
	case R_TRIGGER:
	case R_OUTPUT:
		return "red";
	case R_PAYLOAD:
		return "orange";
	case R_MODEL:
		return "blue";
	default:
		return NULL;
	}
}

/* One edge between drawn things; coloured when both ends are on a path. */
static void put_hedge(dw *w, const char *from, int from_rank, int from_path, const char *to, int to_path,
                      const char *v)
{
	FILE *out = w->out;
	fprintf(out, "  %s -> %s [arrowsize=0.6", from, to);
	const char *c = from_path && to_path ? rank_color(from_rank) : NULL;
	if (c)
		fprintf(out, ", color=\"%s\", penwidth=%s", c, from_rank <= R_TRIGGER ? "2" : "1.5");
	if (v && v[0] == '^')
		fputs(", style=dashed", out);
	put_edge_label(out, v);
	fputs("];\n", out);
}

static void put_legend(dw *w, size_t ncand)
{
	FILE *out = w->out;
	size_t shown = 0;
	for (size_t c = 0; w->rep && c < w->rep->n; c++) {
		const lc_bd_candidate *cd = &w->rep->c[c];
		if (!lc_dot_selected(cd, w->opt->all))
			continue;
		if (shown++ == LEGEND_MAX) {
			fprintf(out, "... %zu candidates in all\\l", ncand);
			break;
		}
		fprintf(out, "#%zu ", c + 1);
		put_lbl(out, cd->rule, LBL_MAX);
		fprintf(out, "  %s  score %d\\l    ", lc_severity_name(cd->severity), cd->score);
		put_head(out, cd->summary, SUMMARY_MAX);
		fputs("\\l    input ", out);
		put_lbl(out, cd->input ? cd->input : "?", LBL_MAX);
		fputs(" -> output ", out);
		put_lbl(out, cd->output ? cd->output : "?", LBL_MAX);
		if (cd->signals && cd->signals[0]) {
			fputs("\\l    signals: ", out);
			put_head(out, cd->signals, SUMMARY_MAX);
		}
		fputs("\\l", out);
	}
}

static void put_key(FILE *out)
{
	fputs("  subgraph cluster_legend {\n"
	      "    label=\"legend\"; fontsize=9; style=\"dashed\"; color=\"grey70\";\n"
	      "    legend_trigger [label=\"trigger path, selector\", color=\"red\", fillcolor=\"#ffe4e1\", "
	      "penwidth=2.5,"
	      " style=\"rounded,filled,bold\"];\n"
	      "    legend_payload [label=\"payload\", color=\"orange\", fillcolor=\"#fff1d6\", penwidth=2];\n"
	      "    legend_model [label=\"model branch\", color=\"blue\", fillcolor=\"#e6ecff\", "
	      "penwidth=1.5];\n"
	      "    legend_near [label=\"neighbourhood\", color=\"grey60\", fontcolor=\"grey35\", "
	      "fillcolor=\"#f4f4f4\"];\n"
	      "    legend_trigger -> legend_payload -> legend_model -> legend_near [style=invis];\n"
	      "  }\n",
	      out);
}

static int write_highlight(dw *w, lc_dot_stats *st)
{
	lc_graph *g = w->g;
	FILE *out = w->out;
	size_t ncand = 0;
	queue q = {0};
	for (size_t c = 0; w->rep && c < w->rep->n; c++) {
		const lc_bd_candidate *cd = &w->rep->c[c];
		if (!lc_dot_selected(cd, w->opt->all))
			continue;
		ncand++;
		for (size_t i = 0; i < cd->nsteps; i++) {
			const lc_bd_step *sp = &cd->steps[i];
			sgx *x = sgctx(w, sp->sg);
			if (!x)
				continue;
			int r = role_rank(sp->role);
			int node = sp->node;
			/* a value a node produces (TF placeholders are nodes) is that node */
			if ((node < 0 || (size_t)node >= g->subs[sp->sg].nnodes) && sp->value && sp->value[0])
				node = lc_graph_producer(g, sp->sg, sp->value);
			if (node < 0 || (size_t)node >= g->subs[sp->sg].nnodes) {
				if (sp->value && sp->value[0] && add_vstep(w, sp))
					break;
				continue;
			}
			if (x->mark[node] != M_PATH) {
				x->mark[node] = M_PATH;
				x->ndrawn++;
				w->drawn++;
				q_push(w, &q, sp->sg, node, 0);
			}
			if (r < x->rank[node])
				x->rank[node] = (unsigned char)r;
		}
	}
	if (st)
		st->candidates = ncand;
	put_header(w,
	           ncand ? "laocoon graph --highlight" : "laocoon graph --highlight: no suspicious subgraph");
	put_legend(w, ncand);
	put_header_end(out);
	if (!ncand || w->oom) {
		fputs("}\n", out);
		free(q.v);
		return w->oom ? -1 : 0;
	}

	/* the neighbourhood: breadth first from every path node, and from the
	 * readers of every path value no node produces (the input, a payload) */
	int depth = w->opt->depth < 0 ? 0 : w->opt->depth;
	for (size_t v = 0; v < w->nvs && depth > 0 && !w->oom; v++) {
		const lc_subgraph *s = &g->subs[w->vs[v].sg];
		for (size_t i = 0; i < s->nnodes; i++)
			for (size_t k = 0; k < s->nodes[i].ninputs; k++)
				if (s->nodes[i].inputs[k] &&
				    strcmp(s->nodes[i].inputs[k], w->vs[v].value) == 0) {
					visit(w, &q, w->vs[v].sg, (int)i, 1);
					break;
				}
	}
	for (q.head = 0; q.head < q.n && !w->oom; q.head++) {
		qent e = q.v[q.head];
		if (e.dist >= depth)
			continue;
		const lc_node *n = &g->subs[e.sg].nodes[e.node];
		for (size_t k = 0; k < n->ninputs; k++) {
			vref r = resolve(w, e.sg, n->inputs[k]);
			if (r.kind == V_NODE)
				visit(w, &q, r.sg, r.idx, e.dist + 1);
		}
		if (build_radj(w, e.sg))
			break;
		sgx *x = &w->x[e.sg];
		for (size_t j = x->radj_off[e.node]; j < x->radj_off[e.node + 1]; j++)
			visit(w, &q, e.sg, x->radj[j], e.dist + 1);
	}
	free(q.v);
	if (w->oom)
		return -1;

	/* graph inputs and outputs touched by drawn nodes */
	for (size_t sg = 0; sg < g->nsubs; sg++) {
		sgx *x = &w->x[sg];
		if (x->built <= 0 || !x->ndrawn)
			continue;
		const lc_subgraph *s = &g->subs[sg];
		/* inputs read by path nodes (those only the neighbourhood reads
		 * would crowd the drawing: TF call wrappers take dozens) */
		for (size_t i = 0; i < s->nnodes; i++) {
			if (x->mark[i] != M_PATH)
				continue;
			for (size_t k = 0; k < s->nodes[i].ninputs; k++) {
				vref r = resolve(w, (int)sg, s->nodes[i].inputs[k]);
				if (r.kind == V_INPUT)
					w->x[r.sg].need_in[r.idx] = 1;
			}
		}
		for (size_t k = 0; k < s->noutputs; k++) {
			vref r = resolve(w, (int)sg, s->outputs[k].name);
			if (r.kind == V_NODE && r.sg == (int)sg && x->mark[r.idx])
				x->need_out[k] = 1;
		}
	}

	/* nodes, one cluster per subgraph besides the main graph */
	for (size_t sg = 0; sg < g->nsubs; sg++) {
		sgx *x = &w->x[sg];
		if (x->built <= 0)
			continue;
		const lc_subgraph *s = &g->subs[sg];
		int any = x->ndrawn > 0;
		for (size_t k = 0; !any && k < s->ninputs; k++)
			any = x->need_in[k];
		for (size_t k = 0; !any && k < w->nvs; k++)
			any = w->vs[k].sg == (int)sg;
		if (!any)
			continue;
		int cluster = (int)sg != w->main_sg;
		if (cluster) {
			fprintf(out, "  subgraph cluster_s%zu {\n    label=\"%s ", sg, sg_kind_name(s->kind));
			put_lbl(out, s->name, LBL_MAX);
			if (s->parent >= 0 && (size_t)s->parent < g->nsubs && s->parent_node >= 0 &&
			    (size_t)s->parent_node < g->subs[s->parent].nnodes) {
				const lc_node *pn = &g->subs[s->parent].nodes[s->parent_node];
				fputs(" (in ", out);
				put_lbl(out, pn->op, LBL_MAX / 2);
				fputc(' ', out);
				put_lbl(out, pn->name, LBL_MAX);
				fputc(')', out);
			}
			fputs("\"; style=\"rounded,dashed\"; color=\"grey50\"; fontsize=10;\n", out);
		}
		for (size_t k = 0; k < s->ninputs; k++) {
			if (!x->need_in[k])
				continue;
			int v = find_vstep(w, (int)sg, s->inputs[k].name);
			put_value_node(w, "i", (int)sg, k, s->inputs[k].name, "invhouse", "input: ");
			if (v >= 0) { /* restyle: the input the trigger reads */
				fprintf(out, "    s%zu_i%zu [", sg, k);
				if (w->vs[v].note) {
					fputs("label=\"input: ", out);
					put_lbl(out, s->inputs[k].name, LBL_MAX);
					fputs("\\n", out);
					put_head(out, w->vs[v].note, NOTE_MAX);
					fputs("\", ", out);
				}
				fputs("style=\"filled\"", out);
				put_style(out, w->vs[v].rank, 1);
				fputs("];\n", out);
			}
		}
		for (size_t k = 0; k < w->nvs; k++) {
			const vstep *v = &w->vs[k];
			if (v->sg != (int)sg || v->input >= 0 || v->output >= 0)
				continue;
			fprintf(out, "    s%zu_v%zu [shape=%s, label=\"", sg, k,
			        v->rank == R_PAYLOAD || v->note ? "note" : "ellipse");
			put_lbl(out, v->value, LBL_MAX);
			if (v->note) {
				fputs("\\n", out);
				put_head(out, v->note, NOTE_MAX);
			}
			fputs("\", style=\"filled\"", out);
			put_style(out, v->rank, 1);
			fputs("];\n", out);
		}
		for (size_t i = 0; i < s->nnodes; i++)
			if (x->mark[i])
				put_node(w, (int)sg, (int)i, 1);
		for (size_t k = 0; k < s->noutputs; k++) {
			if (!x->need_out[k])
				continue;
			put_value_node(w, "o", (int)sg, k, s->outputs[k].name, "house", "output: ");
			int v = find_vstep(w, (int)sg, s->outputs[k].name);
			int r = v >= 0                                               ? w->vs[v].rank
			        : step_rank(w, (int)sg, s->outputs[k].name) < R_NEAR ? R_OUTPUT
			                                                             : R_NEAR;
			if (r < R_NEAR) {
				fprintf(out, "    s%zu_o%zu [style=\"filled\"", sg, k);
				put_style(out, r, 1);
				fputs("];\n", out);
			}
		}
		if (cluster)
			fputs("  }\n", out);
	}
	put_key(out);

	/* edges */
	char from[64], to[64];
	for (size_t sg = 0; sg < g->nsubs; sg++) {
		sgx *x = &w->x[sg];
		if (x->built <= 0 || !x->ndrawn)
			continue;
		const lc_subgraph *s = &g->subs[sg];
		for (size_t i = 0; i < s->nnodes; i++) {
			if (!x->mark[i])
				continue;
			snprintf(to, sizeof to, "s%zu_n%zu", sg, i);
			int to_path = x->mark[i] == M_PATH;
			const lc_node *n = &s->nodes[i];
			for (size_t k = 0; k < n->ninputs; k++) {
				const char *v = n->inputs[k];
				if (!v || !v[0])
					continue;
				vref r = resolve(w, (int)sg, v);
				int vi = -1;
				if (r.kind == V_NODE && w->x[r.sg].mark[r.idx]) {
					snprintf(from, sizeof from, "s%d_n%d", r.sg, r.idx);
					put_hedge(w, from, w->x[r.sg].rank[r.idx],
					          w->x[r.sg].mark[r.idx] == M_PATH, to, to_path, v);
				} else if (r.kind == V_INPUT && w->x[r.sg].need_in[r.idx]) {
					snprintf(from, sizeof from, "s%d_i%d", r.sg, r.idx);
					vi = find_vstep(w, r.sg, v);
					put_hedge(w, from, vi >= 0 ? w->vs[vi].rank : R_NEAR, vi >= 0, to,
					          to_path, v);
				} else if ((r.kind == V_INIT || r.kind == V_UNKNOWN) &&
				           (vi = find_vstep(w, r.sg, v)) >= 0 && w->vs[vi].input < 0) {
					snprintf(from, sizeof from, "s%d_v%d", r.sg, vi);
					put_hedge(w, from, w->vs[vi].rank, 1, to, to_path, v);
				}
			}
		}
		for (size_t k = 0; k < s->noutputs; k++) {
			if (!x->need_out[k])
				continue;
			vref r = resolve(w, (int)sg, s->outputs[k].name);
			if (r.kind != V_NODE || r.sg != (int)sg || !x->mark[r.idx])
				continue; /* an output the path names but no drawn node produces */
			snprintf(from, sizeof from, "s%zu_n%d", sg, r.idx);
			snprintf(to, sizeof to, "s%zu_o%zu", sg, k);
			put_hedge(w, from, x->rank[r.idx], x->mark[r.idx] == M_PATH, to,
			          x->mark[r.idx] == M_PATH, NULL);
		}
		/* a drawn node holding a drawn nested graph, or calling a drawn function */
		for (size_t i = 0; i < s->nnodes; i++) {
			if (!x->mark[i])
				continue;
			const lc_node *n = &s->nodes[i];
			for (size_t t = 0; t < g->nsubs; t++) {
				const lc_subgraph *ts = &g->subs[t];
				sgx *tx = &w->x[t];
				if (t == sg || tx->built <= 0 || !tx->ndrawn || (int)t == w->main_sg)
					continue;
				int holds = ts->kind == LC_SG_NESTED && ts->parent == (int)sg &&
				            ts->parent_node == (int)i;
				int calls = ts->kind == LC_SG_FUNCTION && n->op && ts->name &&
				            strcmp(n->op, ts->name) == 0;
				for (size_t a = 0;
				     !calls && ts->kind == LC_SG_FUNCTION && ts->name && a < n->nattrs; a++)
					calls = n->attrs[a].kind == LC_ATTR_FUNC && n->attrs[a].s &&
					        strcmp(n->attrs[a].s, ts->name) == 0;
				if (!holds && !calls)
					continue;
				size_t first = 0;
				while (first < ts->nnodes && !tx->mark[first])
					first++;
				fprintf(out,
				        "  s%zu_n%zu -> s%zu_n%zu [style=dotted, arrowhead=odot, "
				        "lhead=cluster_s%zu, label=\"%s\"];\n",
				        sg, i, t, first, t, holds ? "body" : "calls");
			}
		}
	}
	/* consecutive path steps in different subgraphs not joined by a value */
	for (size_t c = 0; w->rep && c < w->rep->n; c++) {
		const lc_bd_candidate *cd = &w->rep->c[c];
		if (!lc_dot_selected(cd, w->opt->all))
			continue;
		for (size_t i = 0; i + 1 < cd->nsteps; i++) {
			const lc_bd_step *a = &cd->steps[i], *b = &cd->steps[i + 1];
			if (a->sg == b->sg || a->node < 0 || b->node < 0 || !sgctx(w, a->sg) ||
			    !sgctx(w, b->sg) || (size_t)a->node >= g->subs[a->sg].nnodes ||
			    (size_t)b->node >= g->subs[b->sg].nnodes)
				continue;
			int rb = role_rank(b->role), ra = role_rank(a->role);
			int chain =
			        (ra <= R_TRIGGER || ra == R_OUTPUT) && (rb <= R_TRIGGER || rb == R_OUTPUT);
			int nested = g->subs[b->sg].parent == a->sg || g->subs[a->sg].parent == b->sg;
			if (!chain && !(ra == rb && nested))
				continue; /* the payload and model branches are not one chain */
			const lc_node *bn = &g->subs[b->sg].nodes[b->node];
			int joined = 0;
			for (size_t k = 0; k < bn->ninputs && !joined; k++) {
				vref r = resolve(w, b->sg, bn->inputs[k]);
				joined = r.kind == V_NODE && r.sg == a->sg && r.idx == a->node;
			}
			if (joined)
				continue;
			fprintf(out, "  s%d_n%d -> s%d_n%d [style=dashed, color=\"%s\", penwidth=1.5", a->sg,
			        a->node, b->sg, b->node, rank_color(ra) ? rank_color(ra) : "grey40");
			put_edge_label(out, b->value);
			fputs("];\n", out);
		}
	}
	fputs("}\n", out);
	return w->oom ? -1 : 0;
}

/* ---- entry points --------------------------------------------------------------------- */

int lc_dot_main_subgraph(const lc_graph *g)
{
	for (size_t i = 0; i < g->nsubs; i++)
		if (g->subs[i].kind == LC_SG_MAIN)
			return (int)i;
	return g->nsubs ? 0 : -1;
}

int lc_dot_find_subgraph(const lc_graph *g, const char *name)
{
	for (size_t i = 0; i < g->nsubs; i++)
		if (g->subs[i].name && strcmp(g->subs[i].name, name) == 0)
			return (int)i;
	char *end;
	unsigned long v = strtoul(name, &end, 10);
	if (name[0] >= '0' && name[0] <= '9' && !*end && v < g->nsubs)
		return (int)v;
	return -1;
}

int lc_dot_write(FILE *out, lc_graph *g, const lc_bd_report *rep, const lc_dot_options *opt, lc_dot_stats *st)
{
	dw w = {0};
	w.out = out;
	w.g = g;
	w.opt = opt;
	w.rep = rep;
	w.max = opt->max_nodes ? opt->max_nodes : LC_DOT_MAX_NODES;
	w.main_sg = lc_dot_main_subgraph(g);
	if (st)
		memset(st, 0, sizeof *st);
	w.x = calloc(g->nsubs ? g->nsubs : 1, sizeof *w.x);
	if (!w.x)
		return -1;
	int rc;
	if (opt->highlight) {
		rc = write_highlight(&w, st);
	} else {
		int sg = opt->subgraph >= 0 ? opt->subgraph : w.main_sg;
		if (sg < 0 || (size_t)sg >= g->nsubs) {
			put_header(&w, "laocoon graph: no subgraph");
			put_header_end(out);
			fputs("}\n", out);
			rc = 0;
		} else {
			rc = write_full(&w, sg);
		}
	}
	if (st) {
		st->nodes = w.drawn;
		st->truncated = w.truncated;
		st->total = w.total > w.drawn ? w.total : w.drawn;
	}
	for (size_t i = 0; i < g->nsubs; i++)
		sgx_free(&w.x[i]);
	free(w.x);
	free(w.vs);
	if (w.oom)
		rc = -1;
	if (fflush(out) != 0 || ferror(out))
		rc = -1;
	return rc;
}

/* ---- JSON -------------------------------------------------------------------------- */

static json_t *j_opt_str(lc_jb *b, const char *s)
{
	return s ? lc_jstr(b, s) : json_null();
}

static json_t *j_signals(lc_jb *b, const char *s)
{
	json_t *a = json_array();
	while (s && *s) {
		while (*s == ',' || *s == ' ')
			s++;
		size_t n = strcspn(s, ",");
		size_t m = n;
		while (m && s[m - 1] == ' ')
			m--;
		if (m) {
			char *t = malloc(m + 1);
			if (!t) {
				b->oom = 1;
				break;
			}
			memcpy(t, s, m);
			t[m] = 0;
			lc_jappend(b, a, lc_jstr(b, t));
			free(t);
		}
		s += n;
	}
	return a;
}

int lc_dot_json(FILE *out, const char *file, const lc_graph *g, const lc_bd_report *rep, int all,
                int complete)
{
	lc_jb b = {0};
	json_t *root = json_object();
	lc_jset(&b, root, "graph_version", json_integer(1));
	lc_jset(&b, root, "file", j_opt_str(&b, file));
	lc_jset(&b, root, "format", j_opt_str(&b, g ? g->format : NULL));
	lc_jset(&b, root, "complete", json_boolean(complete));
	json_t *cands = json_array();
	for (size_t c = 0; rep && c < rep->n; c++) {
		const lc_bd_candidate *cd = &rep->c[c];
		if (!lc_dot_selected(cd, all))
			continue;
		json_t *o = json_object();
		lc_jset(&b, o, "rule", j_opt_str(&b, cd->rule));
		lc_jset(&b, o, "severity", json_string(lc_severity_name(cd->severity)));
		lc_jset(&b, o, "score", json_integer(cd->score));
		lc_jset(&b, o, "input", j_opt_str(&b, cd->input));
		lc_jset(&b, o, "output", j_opt_str(&b, cd->output));
		lc_jset(&b, o, "summary", j_opt_str(&b, cd->summary));
		lc_jset(&b, o, "signals", j_signals(&b, cd->signals));
		json_t *path = json_array();
		for (size_t i = 0; i < cd->nsteps; i++) {
			const lc_bd_step *st = &cd->steps[i];
			const lc_subgraph *s =
			        g && st->sg >= 0 && (size_t)st->sg < g->nsubs ? &g->subs[st->sg] : NULL;
			const lc_node *n = s && st->node >= 0 && (size_t)st->node < s->nnodes
			                           ? &s->nodes[st->node]
			                           : NULL;
			json_t *e = json_object();
			lc_jset(&b, e, "subgraph", j_opt_str(&b, s ? s->name : NULL));
			lc_jset(&b, e, "node", j_opt_str(&b, n ? n->name : NULL));
			lc_jset(&b, e, "op", j_opt_str(&b, n ? n->op : NULL));
			lc_jset(&b, e, "value", j_opt_str(&b, st->value));
			lc_jset(&b, e, "role", json_string(lc_bd_role_name(st->role)));
			lc_jset(&b, e, "note", j_opt_str(&b, st->note && st->note[0] ? st->note : NULL));
			lc_jappend(&b, path, e);
		}
		lc_jset(&b, o, "path", path);
		lc_jappend(&b, cands, o);
	}
	lc_jset(&b, root, "candidates", cands);
	int rc = -1;
	if (!b.oom && root && json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 &&
	    fputc('\n', out) != EOF && fflush(out) == 0 && !ferror(out))
		rc = 0;
	json_decref(root);
	return rc;
}
