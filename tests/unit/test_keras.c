/*
 * Keras: config analysis (Keras 2 and 3 forms), the layer graph, the
 * keras-config bid, and the HDF5 reader (.h5 models, weights, limits).
 * File fixtures from tests/gen/gen_keras.py; small configs are built here.
 */
#include "core/lc.h"
#include "graph/graph.h"
#include "zip_util.h"

#define KF "tests/fixtures/keras/"

static const lc_file_result *scan_str(const char *s, const char *limit) { return t_scan_mem_lim(s, strlen(s), limit); }
static int is_fmt(const lc_file_result *f, const char *fmt) { return f && f->format && strcmp(f->format, fmt) == 0; }

static lc_result G_res;

/* Scans a path keeping its graph. */
static lc_graph *graph_of(const char *path)
{
	lc_result_free(&G_res);
	memset(&G_res, 0, sizeof G_res);
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	opt.keep_graphs = 1;
	lc_scan_path(&opt, path, &G_res);
	return G_res.nfiles == 1 ? G_res.files[0].graph : NULL;
}

static int node_by_name(lc_graph *g, int sg, const char *name)
{
	for (size_t i = 0; i < g->subs[sg].nnodes; i++)
		if (strcmp(g->subs[sg].nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int has_input(const lc_node *n, const char *name)
{
	for (size_t i = 0; n && i < n->ninputs; i++)
		if (strcmp(n->inputs[i], name) == 0)
			return 1;
	return 0;
}

static void test_graph_functional(void)
{
	lc_graph *g = graph_of(KF "k3_functional.keras");
	CHECK(g && strcmp(g->format, "keras") == 0 && g->nsubs == 1);
	if (!g)
		return;
	lc_subgraph *s = &g->subs[0];
	CHECK(s->kind == LC_SG_MAIN && s->ninputs == 2 && s->noutputs == 1);
	CHECK_STR(s->inputs[0].name, "in_a:0:0");
	CHECK(s->inputs[0].dtype == LC_DT_F32 && s->inputs[0].shape.rank == 2 && s->inputs[0].shape.dims[0] == -1 &&
	      s->inputs[0].shape.dims[1] == 4);
	CHECK_STR(s->outputs[0].name, "head:0:0");
	/* a shared layer is one node per call */
	int a = node_by_name(g, 0, "shared"), b = node_by_name(g, 0, "shared@1"), c = node_by_name(g, 0, "concat");
	CHECK(a >= 0 && b >= 0 && c >= 0);
	CHECK(has_input(lc_graph_node(g, 0, a), "in_a:0:0") && has_input(lc_graph_node(g, 0, b), "in_b:0:0"));
	CHECK(has_input(lc_graph_node(g, 0, c), "shared:0:0") && has_input(lc_graph_node(g, 0, c), "shared:1:0"));
	CHECK(lc_graph_producer(g, 0, "shared:1:0") == b && lc_graph_producer(g, 0, "head:0:0") >= 0);
	const lc_node *n = lc_graph_node(g, 0, a);
	CHECK_STR(n->op, "Dense");
	CHECK_STR(n->domain, "keras.layers");
	const lc_attr *u = lc_node_attr(n, "units"), *act = lc_node_attr(n, "activation");
	const lc_attr *ki = lc_node_attr(n, "kernel_initializer"), *dt = lc_node_attr(n, "dtype");
	CHECK(u && u->kind == LC_ATTR_INT && u->i == 4);
	CHECK(act && act->kind == LC_ATTR_STRING && strcmp(act->s, "relu") == 0);
	CHECK(ki && ki->kind == LC_ATTR_STRING && strcmp(ki->s, "GlorotUniform") == 0);
	CHECK(dt && dt->kind == LC_ATTR_STRING && strcmp(dt->s, "float32") == 0);
	CHECK(lc_node_attr(n, "name") == NULL);
}

static void test_graph_sequential_nested(void)
{
	lc_graph *g = graph_of(KF "k3_sequential.keras");
	CHECK(g && g->nsubs == 1 && g->subs[0].nnodes == 2);
	if (g) {
		int d = node_by_name(g, 0, "dense"), d1 = node_by_name(g, 0, "dense_1");
		CHECK(has_input(lc_graph_node(g, 0, d), "input_layer:0:0") && has_input(lc_graph_node(g, 0, d1), "dense:0:0"));
		CHECK(g->subs[0].noutputs == 1 && strcmp(g->subs[0].outputs[0].name, "dense_1:0:0") == 0);
	}
	g = graph_of(KF "k3_nested.keras");
	CHECK(g && g->nsubs == 2);
	if (g && g->nsubs == 2) {
		int in = node_by_name(g, 0, "inner");
		CHECK(in >= 0);
		const lc_attr *body = in >= 0 ? lc_node_attr(lc_graph_node(g, 0, in), "body") : NULL;
		CHECK(body && body->kind == LC_ATTR_GRAPH && body->sub == 1);
		CHECK(g->subs[1].kind == LC_SG_NESTED && g->subs[1].parent == 0 && g->subs[1].parent_node == in);
		CHECK(g->subs[1].nnodes == 1 && strcmp(g->subs[1].nodes[0].name, "inner_dense") == 0);
		int td = node_by_name(g, 0, "td");
		const lc_attr *inner = td >= 0 ? lc_node_attr(lc_graph_node(g, 0, td), "layer") : NULL;
		CHECK(inner && strcmp(inner->s, "Dense") == 0);
		CHECK(has_input(lc_graph_node(g, 0, td), "inner:0:0"));
	}
	/* Keras 2 h5: graph from model_config, producer from the attributes */
	g = graph_of(KF "k2_functional.h5");
	CHECK(g && g->producer && strstr(g->producer, "2.15.0") && strstr(g->producer, "tensorflow"));
	if (g) {
		int add = node_by_name(g, 0, "add");
		CHECK(add >= 0 && has_input(lc_graph_node(g, 0, add), "dense:0:0") &&
		      has_input(lc_graph_node(g, 0, add), "dense_1:0:0"));
		CHECK(g->subs[0].ninputs == 1 && g->subs[0].inputs[0].shape.rank == 2);
	}
	/* a custom top-level model: one opaque node */
	g = graph_of(KF "k3_custom_model.keras");
	CHECK(g && g->nsubs == 1 && g->subs[0].nnodes == 1 && strcmp(g->subs[0].nodes[0].op, "MyModel") == 0 &&
	      strcmp(g->subs[0].nodes[0].domain, "my_model") == 0);
	lc_result_free(&G_res);
	memset(&G_res, 0, sizeof G_res);
}

static void test_configs(void)
{
	const lc_file_result *f;
	/* nested keys only: the generic config reader keeps it */
	f = scan_str("{\"model\": {\"class_name\": \"Dense\", \"config\": {}}}", NULL);
	CHECK_F(f, is_fmt(f, "model-config"));
	f = scan_str("{\"config\": {\"units\": 1}, \"class_name\": \"Dense\"}", NULL);
	CHECK_F(f, is_fmt(f, "keras-config") && f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	/* claimed, then broken */
	f = scan_str("{\"class_name\": \"Dense\", \"config\": {\"units\": [1,}}", NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_MALFORMED);
	/* Keras 2 Lambda: bytecode list; a function name in __main__; source */
	f = scan_str("{\"class_name\": \"Lambda\", \"config\": {\"name\": \"l\", \"function\": "
		     "[\"4wEAAAAAAAAAAAAAAAEAAAADAAAA8wgAAACVAFUANAEkACkBTqkA\", null, null], "
		     "\"function_type\": \"lambda\", \"module\": \"__main__\"}}",
		     NULL);
	CHECK_F(f, t_count(f, "keras.lambda.bytecode", LC_SEV_CRITICAL, "marshalled code") == 1);
	f = scan_str("{\"class_name\": \"Lambda\", \"config\": {\"name\": \"l\", \"function\": \"my_fn\", "
		     "\"function_type\": \"function\", \"module\": \"__main__\"}}",
		     NULL);
	CHECK_F(f, t_count(f, "keras.module.unknown", LC_SEV_HIGH, "__main__.my_fn") == 1 &&
			   t_count(f, NULL, LC_SEV_CRITICAL, NULL) == 0);
	f = scan_str("{\"class_name\": \"Lambda\", \"config\": {\"function\": \"lambda x: x + 1\"}}", NULL);
	CHECK_F(f, t_count(f, "keras.lambda.source", LC_SEV_HIGH, NULL) == 1 && t_count(f, NULL, LC_SEV_CRITICAL, NULL) == 0);
	f = scan_str("{\"class_name\": \"Lambda\", \"config\": {\"function\": \"lambda x: __import__('os')\"}}", NULL);
	CHECK_F(f, t_count(f, "keras.lambda.source", LC_SEV_CRITICAL, "__import__") == 1);
	/* an output_shape lambda, Keras 3 __lambda__ with "value", __typespec__ module */
	f = scan_str("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"Lambda\", "
		     "\"config\": {\"name\": \"a\", \"function\": \"f\", \"function_type\": \"function\", \"module\": "
		     "\"keras.activations\", \"output_shape\": [\"4wEAAAAAAAAAAAAAAAEAAAADAAAA8wgAAACVAFUANAEkACkBTqkA\"], "
		     "\"output_shape_type\": \"lambda\"}}, {\"class_name\": \"X\", \"config\": {\"name\": \"b\", \"v\": "
		     "{\"class_name\": \"__lambda__\", \"config\": {\"value\": [\"4wEAAAAAAAAAAAAAAAEAAAADAAAA8wgA\", "
		     "null, null]}}, \"s\": {\"class_name\": \"__typespec__\", \"config\": {\"module\": \"posix\", "
		     "\"spec_name\": \"system\", \"registered_name\": null}}}}]}}",
		     NULL);
	CHECK_F(f, t_count(f, "keras.lambda.bytecode", LC_SEV_CRITICAL, "output_shape") == 1 &&
			   t_count(f, "keras.lambda.bytecode", LC_SEV_CRITICAL, "__lambda__") == 1 &&
			   t_count(f, "keras.module.dangerous", LC_SEV_CRITICAL, "posix.system") == 1 &&
			   t_count(f, "keras.module.unknown", LC_SEV_LOW, NULL) == 0);
	/* Keras 3 objects of Keras modules pass; a load_model without safe_mode=False is HIGH */
	f = scan_str("{\"module\": \"keras.layers\", \"class_name\": \"Dense\", \"config\": {\"activation\": "
		     "{\"module\": \"keras.activations\", \"class_name\": \"function\", \"config\": \"relu\", "
		     "\"registered_name\": \"relu\"}, \"x\": {\"module\": \"tf_keras.saving\", \"class_name\": "
		     "\"function\", \"config\": \"load_model\"}}, \"registered_name\": null}",
		     NULL);
	CHECK_F(f, f->nfindings == 1 && t_count(f, "keras.object.dangerous", LC_SEV_HIGH, "tf_keras.saving.load_model") == 1 &&
			   t_count(f, NULL, LC_SEV_CRITICAL, NULL) == 0);
	/* IntegerLookup with a path vocabulary; a list vocabulary is fine */
	f = scan_str("{\"class_name\": \"IntegerLookup\", \"config\": {\"name\": \"il\", \"vocabulary\": \"/etc/passwd\"}}",
		     NULL);
	CHECK_F(f, t_count(f, "keras.vocabulary.external", LC_SEV_HIGH, "/etc/passwd") == 1);
	f = scan_str("{\"class_name\": \"StringLookup\", \"config\": {\"name\": \"sl\", \"vocabulary\": [\"a\"]}}", NULL);
	CHECK_F(f, f->nfindings == 0);
	/* the walk is bounded */
	char deep[4096];
	size_t o = (size_t)snprintf(deep, sizeof deep, "{\"class_name\": \"A\", \"config\": ");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(deep + o, sizeof deep - o, "{\"a\": ");
	o += (size_t)snprintf(deep + o, sizeof deep - o, "1");
	for (int i = 0; i < 41; i++)
		o += (size_t)snprintf(deep + o, sizeof deep - o, "}");
	f = scan_str(deep, "config_max_depth=20");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "config_max_depth") == 0);
	f = scan_str(deep, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED);
}

static void test_files(void)
{
	const lc_file_result *f;
	f = t_scan_path(KF "k3_duplicate_config.keras");
	CHECK_F(f, is_fmt(f, "keras") && t_count(f, "zip.duplicate-name", LC_SEV_MEDIUM, "config.json") == 1 &&
			   t_count(f, "keras.module.dangerous", LC_SEV_CRITICAL, "subprocess.run") == 1);
	f = t_scan_path(KF "k3_lambda_bytecode.keras");
	CHECK_F(f, t_count(f, "keras.lambda.bytecode", LC_SEV_CRITICAL, "system") == 1);
	/* weights-only HDF5: scanned, nothing to report */
	f = t_scan_path(KF "k3_weights.h5");
	CHECK_F(f, is_fmt(f, "hdf5") && f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	/* the members of a .keras are all scanned, the weights as HDF5 */
	f = t_scan_path(KF "k3_sequential.keras");
	int h5 = 0;
	for (size_t i = 0; f && i < f->nmembers; i++)
		if (strcmp(f->members[i].name, "model.weights.h5") == 0 && strcmp(f->members[i].format, "hdf5") == 0)
			h5 = 1;
	CHECK_F(f, h5 && f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	/* HDF5 from memory (not a mapped file), with a user block */
	FILE *fp = fopen(KF "k2_userblock.h5", "rb");
	static uint8_t buf[1 << 16];
	size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
	if (fp)
		fclose(fp);
	CHECK(n > 512 && memcmp(buf, "\x89HDF", 4) != 0 && memcmp(buf + 512, "\x89HDF", 4) == 0);
	f = t_scan_mem_lim(buf, n, NULL);
	CHECK_F(f, is_fmt(f, "keras-h5") && f->status == LC_STATUS_SCANNED);
	/* fixed-length string attributes (Keras 2 writes bytes) */
	f = t_scan_path(KF "k2_functional_fixed.h5");
	CHECK_F(f, is_fmt(f, "keras-h5") && f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	/* errors carry libhdf5's reason */
	f = t_scan_path(KF "truncated.h5");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error && strstr(f->error, "truncated file"));
	f = t_scan_path(KF "k2_bad_json.h5");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error && strstr(f->error, "model_config"));
	/* limits */
	f = t_scan_path_lim(KF "weights_only.h5", "hdf5_max_objects=3");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "hdf5_max_objects") == 0);
	f = t_scan_path_lim(KF "weights_only.h5", "hdf5_max_depth=1");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "hdf5_max_depth") == 0);
	f = t_scan_path(KF "external_link.h5");
	CHECK_F(f, t_count(f, "hdf5.external-link", LC_SEV_MEDIUM, "/etc/other.h5") == 1);
	/* garbage after the signature: an error, never a crash */
	memcpy(buf, "\x89HDF\r\n\x1a\n", 8);
	memset(buf + 8, 0xff, 200);
	f = t_scan_mem_lim(buf, 208, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && is_fmt(f, "hdf5"));
}

int main(void)
{
	RUN(test_graph_functional);
	RUN(test_graph_sequential_nested);
	RUN(test_configs);
	RUN(test_files);
	lc_result_free(&T_res);
	lc_result_free(&G_res);
	return TEST_REPORT("test_keras");
}
