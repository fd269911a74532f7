/* Unit tests of the flatbuffer reader (direct) and the TFLite reader
 * (through the public API, graphs kept): fixtures from tests/gen/gen_tflite.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/flatbuffer.h"
#include "graph/graph.h"
#include "harness.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* ---- flatbuffer reader ---------------------------------------------------- */

static void test_fb_basic(void)
{
	/* root at 9 (unaligned), its vtable after it (negative soffset):
	 *   0: root uoffset = 9
	 *   9: table: soffset, u32 field0 = 0xdeadbeef, uoffset field1 -> string
	 *  21: vtable: size 8, table size 12, field0 @4, field1 @8 (+ pad)
	 *  32: string "hi\0" */
	uint8_t b[40] = {0};
	put32(b, 9);
	put32(b + 9, (uint32_t)(int32_t)(9 - 21)); /* vtable at 9 - (-12) = 21 */
	put32(b + 13, 0xdeadbeefu);
	put32(b + 17, 32 - 17);
	put16(b + 21, 8);
	put16(b + 23, 12);
	put16(b + 25, 4);
	put16(b + 27, 8);
	put32(b + 32, 2);
	memcpy(b + 36, "hi", 3);
	lc_fb fb;
	lc_fb_init(&fb, b, sizeof b, 100, 8);
	lc_fb_table t;
	CHECK(lc_fb_root(&fb, &t) && t.pos == 9 && t.vt == 21);
	uint32_t v = 0;
	CHECK(lc_fb_u32(&fb, &t, 0, 7, &v) && v == 0xdeadbeefu);
	/* a field id beyond the vtable: absent, the default applies */
	CHECK(lc_fb_u32(&fb, &t, 5, 7, &v) && v == 7 && !lc_fb_has(&fb, &t, 5));
	const char *s;
	size_t n;
	CHECK(lc_fb_string(&fb, &t, 1, &s, &n) == 1 && n == 2 && memcmp(s, "hi", 2) == 0);
	CHECK(!fb.failed);
	/* reading an 8-byte scalar at field0 reaches past the 12-byte table? 4 + 8 = 12: fits */
	uint64_t w;
	CHECK(lc_fb_u64(&fb, &t, 0, 0, &w));
	/* field1 as u64 (offset 8 + 8 > 12): outside the table */
	CHECK(!lc_fb_u64(&fb, &t, 1, 0, &w) && fb.failed && strstr(fb.err, "outside"));
	/* sticky: every later call fails */
	CHECK(!lc_fb_u32(&fb, &t, 0, 0, &v));
}

static void test_fb_errors(void)
{
	uint8_t b[40] = {0};
	put32(b, 9);
	put32(b + 9, (uint32_t)(int32_t)(9 - 21));
	put32(b + 17, 32 - 17);
	put16(b + 21, 8);
	put16(b + 23, 12);
	put16(b + 25, 4);
	put16(b + 27, 8);
	put32(b + 32, 2);
	memcpy(b + 36, "hi!", 3); /* no NUL inside the buffer */
	b[38] = '!';
	b[39] = '!';
	lc_fb fb;
	lc_fb_table t;
	const char *s;
	size_t n;
	put32(b + 32, 4); /* 4 bytes "hi!!" reach the end: no terminator */
	lc_fb_init(&fb, b, sizeof b, 100, 8);
	CHECK(lc_fb_root(&fb, &t));
	CHECK(lc_fb_string(&fb, &t, 1, &s, &n) < 0 && strstr(fb.err, "NUL"));

	/* a vector longer than the buffer */
	put32(b + 32, 0x40000000u);
	lc_fb_vec vec;
	lc_fb_init(&fb, b, sizeof b, 100, 8);
	CHECK(lc_fb_root(&fb, &t) && lc_fb_vector(&fb, &t, 1, 4, &vec) < 0 && strstr(fb.err, "elements"));

	/* the vtable's soffset points before the buffer */
	put32(b + 9, 100);
	lc_fb_init(&fb, b, sizeof b, 100, 8);
	CHECK(!lc_fb_root(&fb, &t) && strstr(fb.err, "outside the buffer"));

	/* an odd vtable size */
	put32(b + 9, (uint32_t)(int32_t)(9 - 21));
	put16(b + 21, 7);
	lc_fb_init(&fb, b, sizeof b, 100, 8);
	CHECK(!lc_fb_root(&fb, &t) && strstr(fb.err, "invalid size"));

	/* table budget and depth budget */
	put16(b + 21, 8);
	lc_fb_init(&fb, b, sizeof b, 0, 8);
	CHECK(!lc_fb_root(&fb, &t) && fb.limit == 1);
	lc_fb_init(&fb, b, sizeof b, 100, 0);
	CHECK(lc_fb_root(&fb, &t));
	/* a buffer shorter than a root offset */
	lc_fb_init(&fb, b, 3, 100, 8);
	CHECK(!lc_fb_root(&fb, &t) && strstr(fb.err, "too short"));
}

/* ---- TFLite reader -------------------------------------------------------- */

static lc_file_result *scan_fixture(const char *name, lc_result *res, uint8_t **buf, size_t *len)
{
	char path[256];
	snprintf(path, sizeof path, "tests/fixtures/tflite/%s.tflite", name);
	*buf = slurp(path, len);
	CHECK_MSG(*buf != NULL, "cannot read %s", path);
	if (!*buf)
		return NULL;
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.keep_graphs = 1;
	memset(res, 0, sizeof *res);
	/* by path: a kept graph's payloads point into the file's mapping, which
	 * the result keeps alive (buf is only for comparing bytes) */
	lc_scan_path(&opt, path, res);
	CHECK(res->nfiles == 1);
	return res->nfiles == 1 ? &res->files[0] : NULL;
}

static const lc_finding *find(const lc_file_result *f, const char *rule, const char *needle)
{
	for (size_t i = 0; i < f->nfindings; i++)
		if (strcmp(f->findings[i].rule, rule) == 0 &&
		    (!needle || (f->findings[i].evidence && strstr(f->findings[i].evidence, needle))))
			return &f->findings[i];
	return NULL;
}

static void test_add_mul_graph(void)
{
	lc_result res;
	uint8_t *buf;
	size_t len;
	lc_file_result *f = scan_fixture("add_mul", &res, &buf, &len);
	if (!f)
		return;
	CHECK(f->status == LC_STATUS_SCANNED);
	CHECK_STR(f->format, "tflite");
	lc_graph *g = f->graph;
	CHECK(g != NULL);
	if (g) {
		CHECK_STR(g->format, "tflite");
		CHECK_STR(g->producer, "laocoon test");
		CHECK(g->nsubs == 1 && g->subs[0].kind == LC_SG_MAIN);
		CHECK(g->params == 8 && g->param_bytes == 32);
		lc_subgraph *sg = &g->subs[0];
		CHECK(sg->nnodes == 2);
		CHECK_STR(sg->nodes[0].op, "MUL");
		CHECK_STR(sg->nodes[0].domain, "");
		CHECK_STR(sg->nodes[1].op, "ADD");
		/* unnamed tensor 3 is "t3"; edges by name */
		CHECK(sg->nodes[0].ninputs == 2 && lc_t_streq(sg->nodes[0].inputs[0], "x") &&
		      lc_t_streq(sg->nodes[0].inputs[1], "a"));
		CHECK(sg->nodes[0].noutputs == 1 && lc_t_streq(sg->nodes[0].outputs[0], "t3"));
		CHECK(lc_graph_producer(g, 0, "t3") == 0 && lc_graph_producer(g, 0, "y") == 1);
		const lc_attr *a = lc_node_attr(&sg->nodes[0], "builtin_options");
		CHECK(a && a->kind == LC_ATTR_STRING && lc_t_streq(a->s, "MulOptions"));
		CHECK(sg->ninputs == 1 && lc_t_streq(sg->inputs[0].name, "x") &&
		      sg->inputs[0].dtype == LC_DT_F32 && sg->inputs[0].shape.rank == 2 &&
		      sg->inputs[0].shape.dims[1] == 4);
		CHECK(sg->noutputs == 1 && lc_t_streq(sg->outputs[0].name, "y"));
		/* constants by pointer into the scanned bytes */
		const lc_value_info *vi = lc_graph_init(g, 0, "a");
		CHECK(vi && vi->init && vi->init->data && vi->init->data_len == 16 && vi->init->dtype == LC_DT_F32);
		if (vi && vi->init && vi->init->data) {
			float x;
			memcpy(&x, vi->init->data + 4, 4);
			CHECK(x == 2.0f);
		}
		CHECK(g->nsigs == 1 && lc_t_streq(g->sigs[0].name, "serving_default") &&
		      g->sigs[0].subgraph == 0 && g->sigs[0].ninputs == 1 &&
		      lc_t_streq(g->sigs[0].inputs[0], "x") && g->sigs[0].noutputs == 1 &&
		      lc_t_streq(g->sigs[0].outputs[0], "y"));
	}
	/* the metadata buffer was scanned as a member */
	CHECK(f->nmembers == 1 && strstr(f->members[0].name, "metadata/min_runtime_version"));
	lc_result_free(&res);
	free(buf);
}

static void test_control_flow(void)
{
	lc_result res;
	uint8_t *buf;
	size_t len;
	lc_file_result *f = scan_fixture("control_flow", &res, &buf, &len);
	if (!f)
		return;
	CHECK(f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	lc_graph *g = f->graph;
	CHECK(g && g->nsubs == 5);
	if (g && g->nsubs == 5) {
		CHECK(g->subs[0].kind == LC_SG_MAIN && g->subs[1].kind == LC_SG_OTHER);
		CHECK_STR(g->subs[2].name, "body");
		lc_node *w = &g->subs[0].nodes[0], *i = &g->subs[0].nodes[1];
		CHECK_STR(w->op, "WHILE");
		const lc_attr *c = lc_node_attr(w, "cond_subgraph_index"),
		              *b = lc_node_attr(w, "body_subgraph_index");
		CHECK(c && c->kind == LC_ATTR_GRAPH && c->sub == 1);
		CHECK(b && b->kind == LC_ATTR_GRAPH && b->sub == 2);
		CHECK_STR(i->op, "IF");
		const lc_attr *th = lc_node_attr(i, "then_subgraph_index"),
		              *el = lc_node_attr(i, "else_subgraph_index");
		CHECK(th && th->kind == LC_ATTR_GRAPH && th->sub == 3);
		CHECK(el && el->kind == LC_ATTR_GRAPH && el->sub == 4);
		CHECK(g->subs[1].ninputs == 1 && g->subs[1].inputs[0].dtype == LC_DT_I32 &&
		      g->subs[1].inputs[0].shape.rank == 0);
		CHECK(g->subs[1].noutputs == 1 && g->subs[1].outputs[0].dtype == LC_DT_BOOL);
	}
	lc_result_free(&res);
	free(buf);
}

static void test_custom_and_flex(void)
{
	lc_result res;
	uint8_t *buf;
	size_t len;
	lc_file_result *f = scan_fixture("custom_unknown", &res, &buf, &len);
	if (f) {
		const lc_finding *x = find(f, "tflite.custom-op", "MyPrivateKernel");
		CHECK(x && x->severity == LC_SEV_MEDIUM);
		lc_graph *g = f->graph;
		CHECK(g && g->subs[0].nnodes == 3 && lc_t_streq(g->subs[0].nodes[2].op, "MyPrivateKernel") &&
		      lc_t_streq(g->subs[0].nodes[2].domain, "custom"));
		if (g && g->subs[0].nnodes == 3) {
			const lc_attr *a = lc_node_attr(&g->subs[0].nodes[2], "custom_options");
			CHECK(a && a->kind == LC_ATTR_TENSOR && a->tensor->data_len == 3 &&
			      a->tensor->data[2] == 3);
		}
		lc_result_free(&res);
		free(buf);
	}
	f = scan_fixture("custom_vendor", &res, &buf, &len);
	if (f) {
		CHECK(lc_result_max_severity(&res) == LC_SEV_INFO);
		CHECK(find(f, "tflite.custom-op", "ethos-u") && find(f, "tflite.custom-op", "SignalWindow"));
		lc_result_free(&res);
		free(buf);
	}
	f = scan_fixture("flex_readfile", &res, &buf, &len);
	if (f) {
		const lc_finding *x = find(f, "tflite.flex-op", "FlexReadFile");
		CHECK(x && x->severity == LC_SEV_HIGH);
		lc_graph *g = f->graph;
		CHECK(g && g->subs[0].nnodes == 4 && lc_t_streq(g->subs[0].nodes[2].op, "ReadFile") &&
		      lc_t_streq(g->subs[0].nodes[2].domain, "flex"));
		CHECK(lc_result_exit_code(&res, LC_SEV_HIGH) == 1);
		lc_result_free(&res);
		free(buf);
	}
	f = scan_fixture("flex_pyfunc", &res, &buf, &len);
	if (f) {
		const lc_finding *x = find(f, "tflite.flex-op", "FlexPyFunc");
		CHECK(x && x->severity == LC_SEV_CRITICAL);
		lc_result_free(&res);
		free(buf);
	}
}

static void test_layouts(void)
{
	lc_result res;
	uint8_t *buf;
	size_t len;
	/* a buffer stored after the flatbuffer (>2 GB layout) */
	lc_file_result *f = scan_fixture("external_buffer", &res, &buf, &len);
	if (f) {
		CHECK(f->status == LC_STATUS_SCANNED);
		const lc_value_info *vi = f->graph ? lc_graph_init(f->graph, 0, "a") : NULL;
		static const float want[4] = {1, 2, 3, 4};
		CHECK(vi && vi->init && vi->init->data && vi->init->data_len == 16 &&
		      memcmp(vi->init->data, want, 16) == 0 && memcmp(buf + len - 16, want, 16) == 0);
		lc_result_free(&res);
		free(buf);
	}
	/* duplicate tensor names get the index appended */
	f = scan_fixture("dup_names", &res, &buf, &len);
	if (f) {
		lc_graph *g = f->graph;
		CHECK(g && g->subs[0].nnodes == 2 && lc_t_streq(g->subs[0].nodes[0].outputs[0], "x#3") &&
		      lc_t_streq(g->subs[0].nodes[1].inputs[0], "x#3"));
		lc_result_free(&res);
		free(buf);
	}
	/* the appended zip's members are scanned */
	f = scan_fixture("assoc_zip_evil", &res, &buf, &len);
	if (f) {
		CHECK(find(f, "pickle.callable.dangerous", NULL) != NULL);
		CHECK(find(f, "format.polyglot", NULL) == NULL);
		lc_result_free(&res);
		free(buf);
	}
}

static void test_malformed(void)
{
	static const struct {
		const char *name, *msg;
	} cases[] = {
	        {"vtable_out_of_range", "vtable of the table"},
	        {"vtable_size", "runs past the end"},
	        {"offset_overflow", "past the end of the buffer"},
	        {"huge_vector", "elements"},
	        {"truncated", "past the end"},
	        {"opcode_out_of_range", "opcode_index 7 out of range"},
	        {"tensor_out_of_range", "tensor index 99 out of range"},
	        {"buffer_out_of_range", "buffer index 40 out of range"},
	        {"if_out_of_range", "else_subgraph_index 9"},
	        {"signature_out_of_range", "subgraph_index 3 out of range"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lc_result res;
		uint8_t *buf;
		size_t len;
		lc_file_result *f = scan_fixture(cases[i].name, &res, &buf, &len);
		if (!f)
			continue;
		CHECK_MSG(f->status == LC_STATUS_ERROR && f->error && strstr(f->error, cases[i].msg),
		          "%s: %s", cases[i].name, lc_t_str(f->error));
		CHECK(lc_result_exit_code(&res, LC_SEV_HIGH) == 2);
		lc_result_free(&res);
		free(buf);
	}
	/* every truncation of a valid model is an error, never a crash */
	uint8_t *buf;
	size_t len;
	buf = slurp("tests/fixtures/tflite/control_flow.tflite", &len);
	CHECK(buf != NULL);
	int errors = 0, total = 0;
	for (size_t cut = 12; buf && cut < len; cut += 7) {
		lc_scan_options opt;
		lc_scan_options_default(&opt);
		lc_result res = {0};
		lc_scan_mem(&opt, "cut.tflite", buf, cut, &res);
		total++;
		errors += res.nfiles == 1 && res.files[0].status == LC_STATUS_ERROR;
		lc_result_free(&res);
	}
	CHECK_MSG(errors == total, "%d of %d truncations were errors", errors, total);
	free(buf);
}

int main(void)
{
	RUN(test_fb_basic);
	RUN(test_fb_errors);
	RUN(test_add_mul_graph);
	RUN(test_control_flow);
	RUN(test_custom_and_flex);
	RUN(test_layouts);
	RUN(test_malformed);
	return TEST_REPORT("test_tflite");
}
