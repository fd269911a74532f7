/* Unit tests of the TensorFlow readers: the graph model they build
 * (subgraphs, functions, nested graphs, signatures, value infos), the op
 * table, the checkpoint data-shard hook and the bids. */
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/tensorflow.h"
#include "graph/graph.h"
#include "harness.h"

#define TF "tests/fixtures/tf/"

static lc_file_result *scan(lc_result *res, const char *path, int keep)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	opt.keep_graphs = keep;
	memset(res, 0, sizeof *res);
	lc_scan_path(&opt, path, res);
	return res->nfiles ? &res->files[0] : NULL;
}

static int find_sub(const lc_graph *g, const char *name)
{
	for (size_t i = 0; i < g->nsubs; i++)
		if (strcmp(g->subs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static const lc_node *find_node(const lc_graph *g, int sg, const char *name)
{
	for (size_t i = 0; i < g->subs[sg].nnodes; i++)
		if (strcmp(g->subs[sg].nodes[i].name, name) == 0)
			return &g->subs[sg].nodes[i];
	return NULL;
}

static void test_op_table(void)
{
	size_t n = lc_tf_op_count();
	CHECK(n > 1000);
	for (size_t i = 1; i < n; i++)
		CHECK_MSG(strcmp(lc_tf_op_name_at(i - 1), lc_tf_op_name_at(i)) < 0, "%s >= %s",
			  lc_tf_op_name_at(i - 1), lc_tf_op_name_at(i));
	tf_op_class c;
	CHECK(lc_tf_op_lookup("PyFunc", &c) && c == TF_OPC_PYTHON);
	CHECK(lc_tf_op_lookup("ReadFile", &c) && c == TF_OPC_FILE);
	CHECK(lc_tf_op_lookup("SaveV2", &c) && c == TF_OPC_CHECKPOINT);
	CHECK(lc_tf_op_lookup("MatMul", &c) && c == TF_OPC_PLAIN);
	CHECK(!lc_tf_op_lookup("ZzEvilKernel", &c) && c == TF_OPC_PLAIN);
}

static void test_tf1_graph(void)
{
	lc_result res;
	lc_file_result *f = scan(&res, TF "benign_tf1/saved_model.pb", 1);
	CHECK(f && f->status == LC_STATUS_SCANNED && lc_t_streq(f->format, "tf-savedmodel"));
	lc_graph *g = f ? f->graph : NULL;
	CHECK(g != NULL);
	if (g) {
		CHECK_STR(g->format, "tf-savedmodel");
		CHECK_STR(g->producer, "TensorFlow 2.14.0");
		CHECK(g->nsubs == 1 && g->subs[0].kind == LC_SG_MAIN);
		CHECK_STR(g->subs[0].name, "metagraph 0 [serve]");
		CHECK(g->nsigs == 1 && lc_t_streq(g->sigs[0].name, "serving_default"));
		CHECK(g->nsigs == 1 && g->sigs[0].ninputs == 1 && lc_t_streq(g->sigs[0].inputs[0], "x:0"));
		CHECK(g->nsigs == 1 && g->sigs[0].noutputs == 1 && lc_t_streq(g->sigs[0].outputs[0], "y:0"));
		/* the Placeholder is a graph input with dtype and shape */
		const lc_subgraph *s = &g->subs[0];
		int found = 0;
		for (size_t i = 0; i < s->ninputs; i++)
			if (strcmp(s->inputs[i].name, "x") == 0) {
				found = 1;
				CHECK(s->inputs[i].dtype == LC_DT_F32);
				CHECK(s->inputs[i].shape.rank == 2 && s->inputs[i].shape.dims[0] == -1 &&
				      s->inputs[i].shape.dims[1] == 1);
			}
		CHECK(found);
		CHECK(s->noutputs == 1 && lc_t_streq(s->outputs[0].name, "y:0"));
		/* edges by name, the constant by pointer into the file */
		const lc_node *mul = find_node(g, 0, "mul");
		CHECK(mul && lc_t_streq(mul->op, "Mul") && mul->ninputs == 2);
		CHECK(lc_graph_producer(g, 0, "mul:0") >= 0);
		const lc_value_info *b = lc_graph_init(g, 0, "b");
		CHECK(b && b->init && b->dtype == LC_DT_F32 && b->init->packed && b->init->packed_len == 4);
		const lc_node *sv = find_node(g, 0, "save/SaveV2");
		const lc_attr *dt = sv ? lc_node_attr(sv, "dtypes") : NULL;
		CHECK(dt && dt->kind == LC_ATTR_INTS && dt->n == 1 && dt->ints[0] == LC_DT_F32);
		const lc_node *c = find_node(g, 0, "save/Const");
		const lc_attr *v = c ? lc_node_attr(c, "value") : NULL;
		/* data points into the file's mapping, released after the scan:
		 * only its presence and length can be checked here */
		CHECK(v && v->kind == LC_ATTR_TENSOR && v->tensor->dtype == LC_DT_STRING && v->tensor->data &&
		      v->tensor->data_len == 5);
	}
	lc_result_free(&res);
}

static void test_tf2_functions(void)
{
	lc_result res;
	lc_file_result *f = scan(&res, TF "tf2_writefile_function.pb", 1);
	lc_graph *g = f ? f->graph : NULL;
	CHECK(g != NULL);
	if (g) {
		int serve = find_sub(g, "__inference_serve_5");
		int drop = find_sub(g, "__inference_drop_7");
		CHECK(serve >= 0 && g->subs[serve].kind == LC_SG_FUNCTION);
		CHECK(drop >= 0 && g->subs[drop].kind == LC_SG_FUNCTION);
		CHECK(find_sub(g, "__inference__traced_save_20") >= 0);
		if (serve >= 0) {
			const lc_subgraph *s = &g->subs[serve];
			CHECK(s->ninputs == 2 && lc_t_streq(s->inputs[0].name, "x") && s->inputs[0].dtype == LC_DT_F32);
			CHECK(s->noutputs == 1 && lc_t_streq(s->outputs[0].name, "drop:output:0"));
			const lc_node *call = find_node(g, serve, "drop");
			const lc_attr *fa = call ? lc_node_attr(call, "f") : NULL;
			CHECK(fa && fa->kind == LC_ATTR_FUNC && lc_t_streq(fa->s, "__inference_drop_7"));
		}
		CHECK(g->nsigs == 2);
		/* one VarHandleOp scalar parameter */
		CHECK(g->params == 1 && g->param_bytes == 4);
	}
	lc_result_free(&res);
}

static void test_nested_graph(void)
{
	lc_result res;
	lc_file_result *f = scan(&res, TF "nested_dataset.pb", 1);
	lc_graph *g = f ? f->graph : NULL;
	CHECK(g != NULL);
	if (g) {
		int n = find_sub(g, "serialized_graph/graph_def");
		CHECK(n >= 0);
		if (n >= 0) {
			const lc_subgraph *s = &g->subs[n];
			CHECK(s->kind == LC_SG_NESTED && s->parent == 0);
			const lc_node *holder = lc_graph_node(g, 0, s->parent_node);
			CHECK(holder && lc_t_streq(holder->name, "serialized_graph"));
			CHECK(s->nnodes == 3 && find_node(g, n, "r") && lc_t_streq(find_node(g, n, "r")->op, "ReadFile"));
		}
	}
	lc_result_free(&res);
}

static void test_frozen_outputs(void)
{
	lc_result res;
	lc_file_result *f = scan(&res, TF "frozen_benign.pb", 1);
	lc_graph *g = f ? f->graph : NULL;
	CHECK(f && lc_t_streq(f->format, "tf-graphdef") && g);
	if (g) {
		CHECK(g->subs[0].noutputs == 1 && lc_t_streq(g->subs[0].outputs[0].name, "output"));
		CHECK(g->params == 6 && g->param_bytes == 24);
		CHECK_STR(g->producer, "GraphDef producer 1395");
	}
	lc_result_free(&res);
}

static void test_data_shard_hook(void)
{
	CHECK(lc_tf_checkpoint_data_shard(TF "benign_tf1/variables/variables.data-00000-of-00001"));
	CHECK(!lc_tf_checkpoint_data_shard(TF "benign_tf1/variables/variables.data-0000x-of-00001"));
	CHECK(!lc_tf_checkpoint_data_shard(TF "benign_tf1/variables/other.data-00000-of-00001"));
	CHECK(!lc_tf_checkpoint_data_shard(TF "benign_tf1/saved_model.pb"));
	/* the same bytes elsewhere stay unrecognised: content decides */
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	lc_result res = {0};
	const uint8_t shard[4] = {0, 0, 0, 0x3f};
	lc_scan_mem(&opt, "variables.data-00000-of-00001", shard, sizeof shard, &res);
	CHECK(res.nfiles == 1 && res.files[0].unrecognised_binary);
	lc_result_free(&res);
	lc_file_result *f = scan(&res, TF "benign_tf1/variables/variables.data-00000-of-00001", 0);
	CHECK(f && f->status == LC_STATUS_SKIPPED && !f->unrecognised_binary &&
	      lc_t_streq(f->format, "tf-checkpoint-data"));
	CHECK(lc_result_incomplete(&res) == 0);
	lc_result_free(&res);
}

static void test_bids(void)
{
	/* an ONNX ModelProto prefix (ir_version, producer_name) is not ours */
	const uint8_t onnx[] = {0x08, 0x07, 0x12, 0x07, 'p', 'y', 't', 'o', 'r', 'c', 'h', 0x1a, 0x03, '1', '.', '0'};
	CHECK(lc_bid_tf_savedmodel(onnx, sizeof onnx) == 0);
	CHECK(lc_bid_tf_graphdef(onnx, sizeof onnx) == 0);
	CHECK(lc_bid_keras_metadata(onnx, sizeof onnx) == 0);
	CHECK(lc_bid_tf_fingerprint(onnx, sizeof onnx) == 0);
	const uint8_t tiny[] = {0x0a, 0x00};
	CHECK(lc_bid_tf_graphdef(tiny, sizeof tiny) == 0);
}

int main(void)
{
	RUN(test_op_table);
	RUN(test_tf1_graph);
	RUN(test_tf2_functions);
	RUN(test_nested_graph);
	RUN(test_frozen_outputs);
	RUN(test_data_shard_hook);
	RUN(test_bids);
	return TEST_REPORT("test_tf");
}
