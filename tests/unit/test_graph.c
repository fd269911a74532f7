/* Unit tests of the graph model: building, producers by name, limits. */
#include <string.h>

#include "graph/graph.h"
#include "harness.h"

static void test_build_and_index(void)
{
	lc_graph *g = lc_graph_new(NULL, "test");
	int sg = lc_graph_add_subgraph(g, "main", LC_SG_MAIN, -1, -1);
	CHECK(sg == 0);
	lc_graph_add_input(g, sg, "x", 1);
	int a = lc_graph_add_node(g, sg, "a", "Relu", "", 10);
	lc_graph_node_input(g, sg, a, "x", 1);
	lc_graph_node_output(g, sg, a, "a_out", 5);
	int b = lc_graph_add_node(g, sg, "b", "Add", "", 20);
	lc_graph_node_input(g, sg, b, "a_out", 5);
	lc_graph_node_input(g, sg, b, "^a", 2);
	for (int i = 0; i < 40; i++) /* many inputs: the list grows */
		lc_graph_node_input(g, sg, b, "x", 1);
	lc_attr *at = lc_graph_node_attr(g, sg, b, "alpha", 5);
	at->kind = LC_ATTR_FLOAT;
	at->f = 0.5;
	CHECK(lc_graph_node(g, sg, b)->ninputs == 42);
	CHECK(lc_graph_producer(g, sg, "a_out") == a);
	CHECK(lc_graph_producer(g, sg, "^a") == a);  /* control input */
	CHECK(lc_graph_producer(g, sg, "a:0") == a); /* TF output form */
	CHECK(lc_graph_producer(g, sg, "b:out:1") == b);
	CHECK(lc_graph_producer(g, sg, "x") == -1); /* graph input */
	const lc_attr *q = lc_node_attr(lc_graph_node(g, sg, b), "alpha");
	CHECK(q && q->kind == LC_ATTR_FLOAT && q->f == 0.5);
	CHECK(lc_node_attr(lc_graph_node(g, sg, b), "beta") == NULL);
	/* a nested subgraph added after indexing is indexed too */
	int body = lc_graph_add_subgraph(g, "b/then", LC_SG_NESTED, sg, b);
	int c = lc_graph_add_node(g, body, "c", "Identity", "", 30);
	lc_graph_node_output(g, body, c, "c_out", 5);
	CHECK(lc_graph_producer(g, body, "c_out") == c);
	CHECK(lc_graph_node_count(g) == 3);
	CHECK(strcmp(lc_dtype_name(LC_DT_BF16), "bfloat16") == 0 && lc_dtype_size(LC_DT_F64) == 8);
	lc_graph_free(g);
}

static void test_limits(void)
{
	lc_limits lim;
	lc_limits_default(&lim);
	lim.graph_max_nodes = 3;
	lc_file_result f;
	memset(&f, 0, sizeof f);
	lc_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.lim = &lim;
	ctx.file = &f;
	lc_graph *g = lc_graph_new(&ctx, "test");
	int sg = lc_graph_add_subgraph(g, "main", LC_SG_MAIN, -1, -1);
	int ok = 0;
	for (int i = 0; i < 10; i++)
		if (lc_graph_add_node(g, sg, "n", "Op", "", 0) >= 0)
			ok++;
	CHECK(ok == 3 && g->failed);
	CHECK(f.status == LC_STATUS_ERROR && f.limit && strcmp(f.limit, "graph_max_nodes") == 0);
	lc_graph_free(g);
	lc_ctx_release(&ctx);
	lc_file_result_clear(&f);
}

/* A kept graph outlives the scan: its weights still point into the file's
 * mapping, which the result keeps alive until lc_result_free. */
static void test_kept_graph_payloads(void)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	lc_result res = {0};
	lc_scan_path(&opt, "tests/fixtures/onnx/mlp.onnx", &res);
	CHECK(res.nfiles == 1 && res.files[0].graph != NULL);
	if (res.nfiles == 1 && res.files[0].graph) {
		lc_graph *g = res.files[0].graph;
		size_t readable = 0, sum = 0;
		for (size_t s = 0; s < g->nsubs; s++)
			for (size_t i = 0; i < g->subs[s].ninits; i++) {
				lc_tensor *t = g->subs[s].inits[i].init;
				if (t && t->data && t->data_len) {
					for (size_t b = 0; b < t->data_len; b++)
						sum += t->data[b]; /* touches every byte: must not fault */
					readable++;
				}
			}
		CHECK(readable > 0);
		CHECK(res.files[0].map != NULL);
		(void)sum;
	}
	lc_result_free(&res);
}

int main(void)
{
	RUN(test_kept_graph_payloads);
	RUN(test_build_and_index);
	RUN(test_limits);
	return TEST_REPORT("test_graph");
}
