/* Unit tests of the ONNX reader: the graph it builds (keep_graphs), the
 * findings on hand-built models, bidding, limits and malformed input. */
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "harness.h"
#include "laocoon.h"

/* ---- a tiny protobuf writer ------------------------------------------------ */

typedef struct pbw {
	uint8_t *p;
	size_t len, cap;
} pbw;

static void w_bytes(pbw *w, const void *d, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2 + 64;
		w->p = realloc(w->p, w->cap);
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}
static void w_varint(pbw *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	w_bytes(w, b, n);
}
static void w_int(pbw *w, unsigned field, uint64_t v)
{
	w_varint(w, (uint64_t)field << 3);
	w_varint(w, v);
}
static void w_len(pbw *w, unsigned field, const void *d, size_t n)
{
	w_varint(w, ((uint64_t)field << 3) | 2);
	w_varint(w, n);
	w_bytes(w, d, n);
}
static void w_str(pbw *w, unsigned field, const char *s) { w_len(w, field, s, strlen(s)); }
static void w_msg(pbw *w, unsigned field, pbw *m)
{
	w_len(w, field, m->p, m->len);
	free(m->p);
	memset(m, 0, sizeof *m);
}

/* NodeProto */
static void node(pbw *graph, const char *op, const char *domain, const char *in, const char *out, pbw *attr)
{
	pbw n = {0};
	if (in)
		w_str(&n, 1, in);
	if (out)
		w_str(&n, 2, out);
	w_str(&n, 3, op);
	w_str(&n, 4, op);
	if (attr && attr->len)
		w_msg(&n, 5, attr);
	if (domain)
		w_str(&n, 7, domain);
	w_msg(graph, 1, &n);
}

static pbw model(pbw *graph)
{
	pbw m = {0}, op = {0};
	w_int(&m, 1, 8);
	w_str(&m, 2, "unit");
	w_msg(&m, 7, graph);
	w_str(&op, 1, "");
	w_int(&op, 2, 13);
	w_msg(&m, 8, &op);
	return m;
}

static lc_result scan(const pbw *m, int keep)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = keep;
	opt.jobs = 1;
	lc_result res = {0};
	lc_scan_mem(&opt, "model.onnx", m->p, m->len, &res);
	return res;
}

static const lc_finding *find_rule(const lc_file_result *f, const char *rule)
{
	for (size_t i = 0; i < f->nfindings; i++)
		if (strcmp(f->findings[i].rule, rule) == 0)
			return &f->findings[i];
	return NULL;
}

/* ---- tests -------------------------------------------------------------------- */

static void test_mlp_graph(void)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	lc_result res = {0};
	lc_scan_path(&opt, "tests/fixtures/onnx/mlp.onnx", &res);
	CHECK(res.nfiles == 1);
	const lc_file_result *f = &res.files[0];
	CHECK_STR(f->format, "onnx");
	CHECK(f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	const lc_graph *g = f->graph;
	CHECK(g != NULL);
	if (g) {
		CHECK_STR(g->format, "onnx");
		CHECK_STR(g->producer, "laocoon-gen 1");
		CHECK(g->nopsets == 1 && g->opsets[0].version == 13);
		CHECK(g->nsubs == 1 && g->subs[0].kind == LC_SG_MAIN);
		CHECK(g->params == 56 && g->param_bytes == 224);
		const lc_subgraph *s = &g->subs[0];
		CHECK(s->nnodes == 4 && s->ninits == 3);
		CHECK_STR(s->nodes[0].op, "MatMul");
		CHECK(s->nodes[0].ninputs == 2 && strcmp(s->nodes[0].inputs[1], "w1") == 0);
		CHECK(s->ninputs == 1 && s->inputs[0].dtype == LC_DT_F32 && s->inputs[0].shape.rank == 2 &&
		      s->inputs[0].shape.dims[0] == -1 && s->inputs[0].shape.dims[1] == 4);
		const lc_value_info *w1 = &s->inits[0];
		CHECK_STR(w1->name, "w1");
		CHECK(w1->init && w1->init->data && w1->init->data_len == 128 && w1->shape.rank == 2 &&
		      w1->shape.dims[1] == 8);
		CHECK(lc_graph_producer((lc_graph *)g, 0, "h2") == 2);
	}
	lc_result_free(&res);
}

static void test_control_flow_graph(void)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	lc_result res = {0};
	lc_scan_path(&opt, "tests/fixtures/onnx/control_flow.onnx", &res);
	const lc_graph *g = res.files[0].graph;
	CHECK(g && g->nsubs == 7 && lc_graph_node_count(g) == 11);
	if (g && g->nsubs == 7) {
		/* If "branch" of the main graph holds then/else graphs */
		const lc_node *ifn = &g->subs[0].nodes[0];
		CHECK_STR(ifn->op, "If");
		const lc_attr *tb = lc_node_attr(ifn, "then_branch");
		CHECK(tb && tb->kind == LC_ATTR_GRAPH && tb->sub > 0);
		if (tb && tb->sub > 0) {
			const lc_subgraph *then = &g->subs[tb->sub];
			CHECK_STR(then->name, "then_body");
			CHECK(then->kind == LC_SG_NESTED && then->parent == 0 && then->parent_node == 0);
			/* the Constant's value is a tensor by pointer */
			const lc_attr *v = lc_node_attr(&then->nodes[0], "value");
			CHECK(v && v->kind == LC_ATTR_TENSOR && v->tensor && v->tensor->data_len == 8);
		}
		/* the If inside the Loop body: nested twice */
		int inner = -1;
		for (size_t i = 0; i < g->nsubs; i++)
			if (strcmp(g->subs[i].name, "inner_then") == 0)
				inner = (int)i;
		CHECK(inner > 0);
		if (inner > 0) {
			int body = g->subs[inner].parent;
			CHECK(body > 0 && strcmp(g->subs[body].name, "loop_body") == 0 && g->subs[body].parent == 0);
		}
		const lc_node *scan_node = &g->subs[0].nodes[2];
		const lc_attr *ns = lc_node_attr(scan_node, "num_scan_inputs");
		CHECK(ns && ns->kind == LC_ATTR_INT && ns->i == 1);
	}
	lc_result_free(&res);
}

static void test_function_and_dtypes(void)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	lc_result res = {0};
	lc_scan_path(&opt, "tests/fixtures/onnx/function.onnx", &res);
	lc_scan_path(&opt, "tests/fixtures/onnx/dtypes.onnx", &res);
	const lc_graph *g = res.files[0].graph;
	CHECK(g && g->nsubs == 2 && g->subs[1].kind == LC_SG_FUNCTION && strcmp(g->subs[1].name, "Swish") == 0 &&
	      g->subs[1].nnodes == 2 && g->subs[1].ninputs == 1);
	CHECK(res.files[0].nfindings == 0); /* a model-local function is not a custom op */
	g = res.files[1].graph;
	CHECK(g && g->subs[0].ninits == 5);
	if (g && g->subs[0].ninits == 5) {
		const lc_value_info *in = g->subs[0].inits;
		CHECK(in[0].dtype == LC_DT_STRING && in[0].shape.dims[0] == 3);
		CHECK(in[1].dtype == LC_DT_BOOL && in[1].init->data_len == 3);
		CHECK(in[2].dtype == LC_DT_F16 && in[2].init->data_len == 12);
		CHECK(in[3].dtype == LC_DT_I64 && in[3].init->packed && in[3].init->packed_varint);
		CHECK(in[4].dtype == LC_DT_BF16);
	}
	lc_result_free(&res);
}

static void test_custom_ops(void)
{
	/* a Python-source attribute on an op of a custom domain: HIGH */
	pbw g = {0}, a = {0};
	w_str(&a, 1, "body");
	w_str(&a, 4, "__import__('os').system('id')");
	w_int(&a, 20, 3);
	node(&g, "Magic", "acme.ops", "x", "y", &a);
	pbw m = model(&g);
	lc_result res = scan(&m, 0);
	const lc_finding *f = find_rule(&res.files[0], "onnx.custom-op.python");
	CHECK(f && f->severity == LC_SEV_HIGH && f->evidence && strstr(f->evidence, "system"));
	lc_result_free(&res);
	free(m.p);

	/* the same op without code: MEDIUM; com.microsoft: INFO; standard: none */
	node(&g, "Magic", "acme.ops", "x", "y", NULL);
	node(&g, "FusedMatMul", "com.microsoft", "x", "z", NULL);
	node(&g, "SomeFutureOp", "", "x", "w", NULL);
	node(&g, "LabelEncoder", "ai.onnx.ml", "x", "v", NULL);
	m = model(&g);
	res = scan(&m, 0);
	CHECK(res.files[0].status == LC_STATUS_SCANNED);
	f = find_rule(&res.files[0], "onnx.custom-op");
	CHECK(f && f->severity == LC_SEV_MEDIUM);
	f = find_rule(&res.files[0], "onnx.contrib-op");
	CHECK(f && f->severity == LC_SEV_INFO);
	CHECK(res.files[0].nfindings == 2);
	lc_result_free(&res);
	free(m.p);
}

/* An external location in a memory buffer cannot be resolved: MEDIUM, and
 * ".." is caught lexically all the same. */
static void test_external_in_memory(void)
{
	const char *locs[] = {"weights.bin", "sub/../../x.bin", "C:\\x.bin"};
	for (int i = 0; i < 3; i++) {
		pbw g = {0}, t = {0}, kv = {0};
		w_int(&t, 1, 2);
		w_int(&t, 2, 1);
		w_str(&t, 8, "w");
		w_str(&kv, 1, "location");
		w_str(&kv, 2, locs[i]);
		w_msg(&t, 13, &kv);
		w_int(&t, 14, 1);
		node(&g, "Relu", NULL, "w", "y", NULL);
		w_msg(&g, 5, &t);
		pbw m = model(&g);
		lc_result res = scan(&m, 0);
		const lc_finding *f = find_rule(&res.files[0], i == 0 ? "onnx.external-data.unresolved"
								  : "onnx.external-data.escape");
		CHECK_MSG(f && f->severity == (i == 0 ? LC_SEV_MEDIUM : LC_SEV_HIGH), "location %s", locs[i]);
		CHECK(res.files[0].status == LC_STATUS_SCANNED);
		lc_result_free(&res);
		free(m.p);
	}
}

static void test_malformed(void)
{
	/* raw_data that disagrees with the shape: the loader refuses it */
	pbw g = {0}, t = {0};
	w_int(&t, 1, 4);
	w_int(&t, 2, 1);
	w_str(&t, 8, "w");
	w_len(&t, 9, "\0\0\0\0\0\0\0\0", 8);
	node(&g, "Relu", NULL, "w", "y", NULL);
	w_msg(&g, 5, &t);
	pbw m = model(&g);
	lc_result res = scan(&m, 0);
	CHECK(res.files[0].status == LC_STATUS_ERROR && res.files[0].error && strstr(res.files[0].error, "raw_data"));
	lc_result_free(&res);
	/* every prefix of a valid model: an error or not ONNX, never a crash,
	 * never "scanned" once the graph is cut */
	node(&g, "Relu", NULL, "x", "y", NULL);
	free(m.p);
	m = model(&g);
	for (size_t cut = 1; cut < m.len; cut++) {
		pbw p = {m.p, cut, cut};
		res = scan(&p, 1);
		CHECK_MSG(res.files[0].status != LC_STATUS_SCANNED, "prefix %zu scanned", cut);
		lc_result_free(&res);
	}
	free(m.p);
}

/* If nested in If nested in ... past pb_max_depth: the limit, no crash. */
static void test_depth_limit(void)
{
	pbw inner = {0};
	node(&inner, "Relu", NULL, "x", "y", NULL);
	for (int i = 0; i < 60; i++) {
		pbw a = {0}, g = {0};
		w_str(&a, 1, "then_branch");
		w_msg(&a, 6, &inner);
		w_int(&a, 20, 5);
		node(&g, "If", NULL, "c", "y", &a);
		inner = g;
	}
	pbw m = model(&inner);
	lc_result res = scan(&m, 0);
	CHECK(res.files[0].status == LC_STATUS_ERROR && res.files[0].limit &&
	      strcmp(res.files[0].limit, "pb_max_depth") == 0);
	lc_result_free(&res);
	free(m.p);
}

static void test_bid(void)
{
	/* a TF GraphDef-shaped protobuf (node = field 1 LEN) is not ONNX */
	pbw gd = {0}, nd = {0};
	w_str(&nd, 1, "a");
	w_str(&nd, 2, "Const");
	w_msg(&gd, 1, &nd);
	lc_result res = scan(&gd, 0);
	CHECK(!res.files[0].format || strcmp(res.files[0].format, "onnx") != 0);
	lc_result_free(&res);
	free(gd.p);
	/* a SavedModel-shaped one (schema version 1, then a binary meta graph) neither */
	pbw sm = {0}, mg = {0};
	w_int(&sm, 1, 1);
	w_len(&mg, 1, "\x0a\x02\x08\x01", 4);
	w_msg(&sm, 2, &mg);
	res = scan(&sm, 0);
	CHECK(!res.files[0].format || strcmp(res.files[0].format, "onnx") != 0);
	lc_result_free(&res);
	free(sm.p);
}

int main(void)
{
	RUN(test_mlp_graph);
	RUN(test_control_flow_graph);
	RUN(test_function_and_dtypes);
	RUN(test_custom_ops);
	RUN(test_external_in_memory);
	RUN(test_malformed);
	RUN(test_depth_limit);
	RUN(test_bid);
	return TEST_REPORT("test_onnx");
}
