/*
 * `laocoon inspect` summaries of model graphs (see inspect.h and
 * docs/inspect.md).  Every string shown comes from a scanned file: text
 * output escapes what a terminal would act on, JSON repairs invalid UTF-8.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "graph/graph.h"
#include "report/inspect.h"
#include "report/report_util.h"

/* ---- the summary, shared by both outputs ------------------------------------ */

typedef struct op_count {
	const char *domain, *op;
	uint64_t count;
	int custom;
} op_count;

typedef struct summary {
	op_count *ops;     /* sorted by count, descending */
	size_t nops;
	size_t ninits;
	int main_sg;
} summary;

static bool onnx_std_domain(const char *d)
{
	static const char *const std[] = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
					  "ai.onnx.preview"};
	for (size_t i = 0; i < sizeof std / sizeof std[0]; i++)
		if (strcmp(d, std[i]) == 0)
			return true;
	return false;
}

static bool is_function(const lc_graph *g, const char *op)
{
	for (size_t s = 0; s < g->nsubs; s++)
		if (g->subs[s].kind == LC_SG_FUNCTION && strcmp(g->subs[s].name, op) == 0)
			return true;
	return false;
}

/* A custom operator needs code the model does not contain.  ONNX: any
 * domain outside the standard ones (onnxruntime's com.microsoft included,
 * it is not portable) unless a model-local function defines it.  Other
 * formats: the domain says it ("custom" TFLite ops, "flex" TF ops). */
static bool is_custom(const lc_graph *g, const char *domain, const char *op)
{
	if (g->format && strcmp(g->format, "onnx") == 0)
		return !onnx_std_domain(domain) && !is_function(g, op);
	return strcmp(domain, "custom") == 0 || strcmp(domain, "flex") == 0;
}

static int cmp_name(const void *a, const void *b)
{
	const op_count *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);
	return c ? c : strcmp(x->op, y->op);
}

static int cmp_count(const void *a, const void *b)
{
	const op_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return cmp_name(a, b);
}

static int summarize(const lc_graph *g, summary *s)
{
	memset(s, 0, sizeof *s);
	s->main_sg = -1;
	size_t total = 0;
	for (size_t i = 0; i < g->nsubs; i++) {
		total += g->subs[i].nnodes;
		s->ninits += g->subs[i].ninits;
		if (s->main_sg < 0 && g->subs[i].kind == LC_SG_MAIN)
			s->main_sg = (int)i;
	}
	if (s->main_sg < 0 && g->nsubs)
		s->main_sg = 0;
	if (!total)
		return 0;
	s->ops = malloc(total * sizeof *s->ops);
	if (!s->ops)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < g->nsubs; i++)
		for (size_t j = 0; j < g->subs[i].nnodes; j++) {
			s->ops[k].domain = g->subs[i].nodes[j].domain ? g->subs[i].nodes[j].domain : "";
			s->ops[k].op = g->subs[i].nodes[j].op ? g->subs[i].nodes[j].op : "";
			s->ops[k].count = 1;
			k++;
		}
	qsort(s->ops, total, sizeof *s->ops, cmp_name);
	size_t n = 0;
	for (size_t i = 0; i < total; i++) {
		if (n && cmp_name(&s->ops[n - 1], &s->ops[i]) == 0) {
			s->ops[n - 1].count++;
		} else {
			s->ops[n] = s->ops[i];
			s->ops[n].custom = is_custom(g, s->ops[n].domain, s->ops[n].op);
			n++;
		}
	}
	s->nops = n;
	qsort(s->ops, n, sizeof *s->ops, cmp_count);
	return 0;
}

/* IR < 4 ONNX files list every weight among the graph inputs too: what a
 * person calls the model's inputs are the others. */
static bool is_weight_input(const lc_subgraph *sg, const char *name)
{
	for (size_t i = 0; i < sg->ninits; i++)
		if (strcmp(sg->inits[i].name, name) == 0)
			return true;
	return false;
}

static const char *kind_name(lc_subgraph_kind k)
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

static const char *file_verdict(const lc_file_result *f, lc_severity fail_on)
{
	int sev = lc_rep_file_max_severity(f);
	if (sev >= (int)fail_on)
		return "malicious";
	if (lc_rep_file_incomplete(f))
		return "incomplete";
	return sev >= LC_SEV_LOW ? "suspicious" : "clean";
}

/* ---- text ---------------------------------------------------------------------- */

static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* At most max bytes of s, escaped for a terminal. */
static void put_esc(FILE *out, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t used = 0;
	while (*s) {
		if (used >= max) {
			fputs("...", out);
			return;
		}
		uint32_t cp;
		size_t n = lc_rep_utf8_seq(s, &cp);
		if (n == 0) {
			fprintf(out, "\\x%02x", *s);
			s++;
			used++;
			continue;
		}
		if (!unsafe_cp(cp))
			fwrite(s, 1, n, out);
		else if (cp < 0x80)
			fprintf(out, "\\x%02x", (unsigned)cp);
		else
			fprintf(out, "\\u%04x", (unsigned)cp);
		s += n;
		used += n;
	}
}

static void put_shape(FILE *out, lc_dtype dt, const lc_shape *sh)
{
	fputs(lc_dtype_name(dt), out);
	if (sh->rank < 0) {
		fputs("[?]", out);
		return;
	}
	fputc('[', out);
	for (int i = 0; i < sh->rank && i < LC_MAX_DIMS; i++) {
		if (i)
			fputc(',', out);
		if (sh->dims[i] < 0)
			fputc('?', out);
		else
			fprintf(out, "%lld", (long long)sh->dims[i]);
	}
	fputc(']', out);
}

static void put_bytes_human(FILE *out, uint64_t b)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		fprintf(out, "%llu B", (unsigned long long)b);
	else
		fprintf(out, "%.1f %s", v, unit[u]);
}

static void put_values(FILE *out, const char *label, const lc_subgraph *sg, const lc_value_info *v, size_t n,
		       int skip_weights)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (skip_weights && is_weight_input(sg, v[i].name))
			continue;
		if (shown == 50) {
			fprintf(out, "    ... (%zu in all)\n", n);
			break;
		}
		fprintf(out, "  %-12s", shown ? "" : label);
		put_esc(out, v[i].name, 80);
		fputs("  ", out);
		put_shape(out, v[i].dtype, &v[i].shape);
		fputc('\n', out);
		shown++;
	}
	if (!shown)
		fprintf(out, "  %-12s(none)\n", label);
}

static int text_graph(FILE *out, const lc_graph *g)
{
	summary s;
	if (summarize(g, &s))
		return -1;
	fprintf(out, "  %-12s", "producer");
	put_esc(out, g->producer ? g->producer : "(not recorded)", 200);
	fputc('\n', out);
	if (g->nopsets) {
		fprintf(out, "  %-12s", "opsets");
		for (size_t i = 0; i < g->nopsets; i++) {
			if (i)
				fputs(", ", out);
			put_esc(out, g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx", 80);
			fprintf(out, " %lld", (long long)g->opsets[i].version);
		}
		fputc('\n', out);
	}
	if (s.main_sg >= 0) {
		const lc_subgraph *m = &g->subs[s.main_sg];
		put_values(out, "inputs", m, m->inputs, m->ninputs, 1);
		put_values(out, "outputs", m, m->outputs, m->noutputs, 0);
	}
	fprintf(out, "  %-12s%llu (", "parameters", (unsigned long long)g->params);
	put_bytes_human(out, g->param_bytes);
	fprintf(out, ") in %zu initializers\n", s.ninits);
	size_t nfn = 0, nnest = 0, nother = 0;
	for (size_t i = 0; i < g->nsubs; i++) {
		nfn += g->subs[i].kind == LC_SG_FUNCTION;
		nnest += g->subs[i].kind == LC_SG_NESTED;
		nother += g->subs[i].kind == LC_SG_OTHER || g->subs[i].kind == LC_SG_MAIN;
	}
	fprintf(out, "  %-12s%zu nodes in %zu graphs (%zu functions, %zu nested subgraphs)%s\n", "nodes",
		lc_graph_node_count(g), nother, nfn, nnest, g->failed ? "; INCOMPLETE: reading stopped early" : "");
	if (s.nops) {
		fprintf(out, "  operators (count, domain::op):\n");
		for (size_t i = 0; i < s.nops; i++) {
			if (i == 100) {
				fprintf(out, "    ... (%zu operator types in all)\n", s.nops);
				break;
			}
			fprintf(out, "    %8llu  ", (unsigned long long)s.ops[i].count);
			if (s.ops[i].domain[0]) {
				put_esc(out, s.ops[i].domain, 80);
				fputs("::", out);
			}
			put_esc(out, s.ops[i].op, 80);
			fputs(s.ops[i].custom ? "  (custom)\n" : "\n", out);
		}
	}
	size_t listed = 0;
	for (size_t i = 0; i < g->nsubs; i++) {
		const lc_subgraph *sg = &g->subs[i];
		if ((int)i == s.main_sg)
			continue;
		if (!listed++)
			fprintf(out, "  subgraphs:\n");
		if (listed > 200) {
			fprintf(out, "    ... (%zu in all)\n", g->nsubs);
			break;
		}
		fprintf(out, "    %-8s ", kind_name(sg->kind));
		put_esc(out, sg->name, 80);
		fprintf(out, ": %zu nodes", sg->nnodes);
		if (sg->parent >= 0 && (size_t)sg->parent < g->nsubs) {
			const lc_subgraph *p = &g->subs[sg->parent];
			fputs(", in ", out);
			if (sg->parent_node >= 0 && (size_t)sg->parent_node < p->nnodes) {
				const lc_node *n = &p->nodes[sg->parent_node];
				put_esc(out, n->op, 60);
				fputs(" node ", out);
				put_esc(out, n->name[0] ? n->name : "(unnamed)", 60);
				fputs(" of ", out);
			}
			put_esc(out, p->name, 60);
		}
		fputc('\n', out);
	}
	size_t ncustom = 0;
	for (size_t i = 0; i < s.nops; i++)
		ncustom += s.ops[i].custom;
	fprintf(out, "  %-12s", "custom ops");
	if (!ncustom)
		fputs("none\n", out);
	for (size_t i = 0, k = 0; i < s.nops; i++) {
		if (!s.ops[i].custom)
			continue;
		if (k++)
			fprintf(out, "  %-12s", "");
		put_esc(out, s.ops[i].domain, 80);
		fputs("::", out);
		put_esc(out, s.ops[i].op, 80);
		fprintf(out, " x%llu\n", (unsigned long long)s.ops[i].count);
	}
	for (size_t i = 0; i < g->nsigs; i++) {
		const lc_signature *sig = &g->sigs[i];
		fprintf(out, "  %-12s", i ? "" : "signatures");
		put_esc(out, sig->name, 80);
		fputs(" (", out);
		for (size_t k = 0; k < sig->ninputs; k++) {
			if (k)
				fputs(", ", out);
			put_esc(out, sig->inputs[k], 80);
		}
		fputs(") -> (", out);
		for (size_t k = 0; k < sig->noutputs; k++) {
			if (k)
				fputs(", ", out);
			put_esc(out, sig->outputs[k], 80);
		}
		fputs(")\n", out);
	}
	free(s.ops);
	return 0;
}

int lc_inspect_text(FILE *out, const lc_result *res, lc_severity fail_on)
{
	for (size_t i = 0; i < res->nfiles; i++) {
		const lc_file_result *f = &res->files[i];
		if (i)
			fputc('\n', out);
		put_esc(out, f->path, 4096);
		fputc('\n', out);
		fprintf(out, "  %-12s%s (%s)\n", "format", f->format ? f->format : "unknown", lc_status_name(f->status));
		int sev = lc_rep_file_max_severity(f);
		fprintf(out, "  %-12s%s: %zu finding%s%s%s\n", "verdict", file_verdict(f, fail_on), f->nfindings,
			f->nfindings == 1 ? "" : "s", sev >= 0 ? ", highest " : "",
			sev >= 0 ? lc_severity_name((lc_severity)sev) : "");
		if (f->error) {
			fprintf(out, "  %-12s", f->status == LC_STATUS_SKIPPED ? "skipped" : "error");
			put_esc(out, f->error, 1000);
			fputc('\n', out);
		}
		if (!f->graph) {
			fprintf(out, "  %-12s(none: not a graph format)\n", "graph");
			continue;
		}
		if (text_graph(out, f->graph))
			return -1;
	}
	if (fflush(out) != 0 || ferror(out))
		return -1;
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------ */

static json_t *j_shape(const lc_shape *sh)
{
	if (sh->rank < 0)
		return json_null();
	json_t *a = json_array();
	for (int i = 0; a && i < sh->rank && i < LC_MAX_DIMS; i++)
		json_array_append_new(a, sh->dims[i] < 0 ? json_null() : json_integer(sh->dims[i]));
	return a;
}

static json_t *j_values(lc_jb *b, const lc_subgraph *sg, const lc_value_info *v, size_t n, int skip_weights)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		if (skip_weights && is_weight_input(sg, v[i].name))
			continue;
		json_t *o = json_object();
		lc_jset(b, o, "name", lc_jstr(b, v[i].name));
		lc_jset(b, o, "dtype", json_string(lc_dtype_name(v[i].dtype)));
		lc_jset(b, o, "shape", j_shape(&v[i].shape));
		lc_jappend(b, a, o);
	}
	return a;
}

static json_t *j_names(lc_jb *b, const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		lc_jappend(b, a, lc_jstr(b, v[i]));
	return a;
}

static json_t *j_graph(lc_jb *b, const lc_graph *g)
{
	summary s;
	if (summarize(g, &s)) {
		b->oom = 1;
		return NULL;
	}
	json_t *o = json_object();
	lc_jset(b, o, "format", lc_jstr(b, g->format ? g->format : "unknown"));
	lc_jset(b, o, "producer", g->producer ? lc_jstr(b, g->producer) : json_null());
	lc_jset(b, o, "complete", json_boolean(!g->failed));
	json_t *ops = json_array();
	for (size_t i = 0; i < g->nopsets; i++) {
		json_t *e = json_object();
		lc_jset(b, e, "domain", lc_jstr(b, g->opsets[i].domain));
		lc_jset(b, e, "version", json_integer(g->opsets[i].version));
		lc_jappend(b, ops, e);
	}
	lc_jset(b, o, "opsets", ops);
	if (s.main_sg >= 0) {
		const lc_subgraph *m = &g->subs[s.main_sg];
		lc_jset(b, o, "inputs", j_values(b, m, m->inputs, m->ninputs, 1));
		lc_jset(b, o, "outputs", j_values(b, m, m->outputs, m->noutputs, 0));
	} else {
		lc_jset(b, o, "inputs", json_array());
		lc_jset(b, o, "outputs", json_array());
	}
	lc_jset(b, o, "parameters", lc_juint(g->params));
	lc_jset(b, o, "parameter_bytes", lc_juint(g->param_bytes));
	lc_jset(b, o, "initializers", lc_juint(s.ninits));
	lc_jset(b, o, "nodes", lc_juint(lc_graph_node_count(g)));
	json_t *hist = json_array(), *custom = json_array();
	for (size_t i = 0; i < s.nops; i++) {
		json_t *e = json_object();
		lc_jset(b, e, "domain", lc_jstr(b, s.ops[i].domain));
		lc_jset(b, e, "op", lc_jstr(b, s.ops[i].op));
		lc_jset(b, e, "count", lc_juint(s.ops[i].count));
		lc_jset(b, e, "custom", json_boolean(s.ops[i].custom));
		if (s.ops[i].custom) {
			json_t *c = json_object();
			lc_jset(b, c, "domain", lc_jstr(b, s.ops[i].domain));
			lc_jset(b, c, "op", lc_jstr(b, s.ops[i].op));
			lc_jset(b, c, "count", lc_juint(s.ops[i].count));
			lc_jappend(b, custom, c);
		}
		lc_jappend(b, hist, e);
	}
	lc_jset(b, o, "ops", hist);
	lc_jset(b, o, "custom_ops", custom);
	json_t *subs = json_array();
	for (size_t i = 0; i < g->nsubs; i++) {
		const lc_subgraph *sg = &g->subs[i];
		json_t *e = json_object();
		lc_jset(b, e, "index", lc_juint(i));
		lc_jset(b, e, "name", lc_jstr(b, sg->name));
		lc_jset(b, e, "kind", json_string(kind_name(sg->kind)));
		lc_jset(b, e, "nodes", lc_juint(sg->nnodes));
		lc_jset(b, e, "inputs", lc_juint(sg->ninputs));
		lc_jset(b, e, "outputs", lc_juint(sg->noutputs));
		lc_jset(b, e, "initializers", lc_juint(sg->ninits));
		const lc_node *pn = NULL;
		if (sg->parent >= 0 && (size_t)sg->parent < g->nsubs) {
			lc_jset(b, e, "parent", json_integer(sg->parent));
			const lc_subgraph *p = &g->subs[sg->parent];
			if (sg->parent_node >= 0 && (size_t)sg->parent_node < p->nnodes)
				pn = &p->nodes[sg->parent_node];
		} else {
			lc_jset(b, e, "parent", json_null());
		}
		lc_jset(b, e, "parent_node", pn ? lc_jstr(b, pn->name) : json_null());
		lc_jset(b, e, "parent_op", pn ? lc_jstr(b, pn->op) : json_null());
		lc_jappend(b, subs, e);
	}
	lc_jset(b, o, "subgraphs", subs);
	json_t *sigs = json_array();
	for (size_t i = 0; i < g->nsigs; i++) {
		const lc_signature *sig = &g->sigs[i];
		json_t *e = json_object();
		lc_jset(b, e, "name", lc_jstr(b, sig->name));
		lc_jset(b, e, "subgraph", json_integer(sig->subgraph));
		lc_jset(b, e, "inputs", j_names(b, sig->inputs, sig->ninputs));
		lc_jset(b, e, "outputs", j_names(b, sig->outputs, sig->noutputs));
		lc_jappend(b, sigs, e);
	}
	lc_jset(b, o, "signatures", sigs);
	free(s.ops);
	return o;
}

int lc_inspect_json(FILE *out, const lc_result *res, lc_severity fail_on)
{
	lc_jb b = {0};
	json_t *root = json_object();
	json_t *tool = json_object();
	lc_jset(&b, tool, "name", json_string("laocoon"));
	lc_jset(&b, tool, "version", json_string(LAOCOON_VERSION));
	lc_jset(&b, root, "tool", tool);
	lc_jset(&b, root, "inspect_version", json_integer(1));
	json_t *files = json_array();
	for (size_t i = 0; i < res->nfiles; i++) {
		const lc_file_result *f = &res->files[i];
		json_t *o = json_object();
		lc_jset(&b, o, "path", lc_jstr(&b, f->path));
		lc_jset(&b, o, "format", lc_jstr(&b, f->format ? f->format : "unknown"));
		lc_jset(&b, o, "status", json_string(lc_status_name(f->status)));
		lc_jset(&b, o, "error", f->error ? lc_jstr(&b, f->error) : json_null());
		lc_jset(&b, o, "verdict", json_string(file_verdict(f, fail_on)));
		int sev = lc_rep_file_max_severity(f);
		lc_jset(&b, o, "max_severity", sev < 0 ? json_null() : json_string(lc_severity_name((lc_severity)sev)));
		lc_jset(&b, o, "findings", lc_juint(f->nfindings));
		json_t *rules = json_array();
		for (size_t k = 0; k < f->nfindings; k++) {
			json_t *e = json_object();
			lc_jset(&b, e, "rule", lc_jstr(&b, f->findings[k].rule ? f->findings[k].rule : "unknown"));
			lc_jset(&b, e, "severity", json_string(lc_severity_name(f->findings[k].severity)));
			lc_jset(&b, e, "count", lc_juint(f->findings[k].count));
			lc_jappend(&b, rules, e);
		}
		lc_jset(&b, o, "finding_rules", rules);
		lc_jset(&b, o, "graph", f->graph ? j_graph(&b, f->graph) : json_null());
		lc_jappend(&b, files, o);
	}
	lc_jset(&b, root, "files", files);
	lc_jset(&b, root, "exit_code", json_integer(lc_result_exit_code(res, fail_on)));
	int rc = -1;
	if (!b.oom && json_dumpf(root, out, JSON_INDENT(2)) == 0 && fputc('\n', out) != EOF && fflush(out) == 0 &&
	    !ferror(out))
		rc = 0;
	json_decref(root);
	return rc;
}
