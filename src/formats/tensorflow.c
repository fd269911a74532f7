/*
 * TensorFlow SavedModel (saved_model.pb), frozen GraphDef (.pb) and Keras
 * SavedMetadata (keras_metadata.pb) readers: see tensorflow.h.
 *
 * Field numbers come from tensorflow/core/protobuf/saved_model.proto,
 * meta_graph.proto, saver.proto, saved_object_graph.proto and
 * core/framework/graph.proto, node_def.proto, function.proto, op_def.proto,
 * attr_value.proto, tensor.proto, tensor_shape.proto, versions.proto; and
 * keras/protobuf/saved_metadata.proto.
 *
 * Every graph (each MetaGraph's graph_def, each FunctionDef, each GraphDef
 * serialized inside a string constant or attribute) is read into the graph
 * model; the op analysis then computes, backwards from the serving
 * signatures, the load-time init ops, the object graph's functions and the
 * saver's tensors, which nodes each root reaches, and judges every op of a
 * dangerous class by that reach (see tensorflow.h).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/keras.h"
#include "formats/protobuf.h"
#include "formats/tensorflow.h"
#include "graph/graph.h"

/* ---- names -------------------------------------------------------------- */

/* Op and function names: "[A-Za-z_][A-Za-z0-9_>.-]*" (function names of
 * tf.function carry underscores and digits; Keras adds dots). */
static bool op_name_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > 1024 || !(isalpha(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum(s[i]) || s[i] == '_' || s[i] == '>' || s[i] == '.' || s[i] == '-'))
			return false;
	return true;
}

/* Node names: printable, no spaces (TF's own regexp is stricter). */
static bool node_name_ok(const uint8_t *s, size_t n)
{
	if (n == 0 || n > 4096)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

/* ---- structural bids ---------------------------------------------------
 * Bidders peek at a bounded prefix: a message whose length runs past the
 * prefix is checked only as far as the prefix goes. */

#define PEEK (64u * 1024)

/* lc_pb_next for bidders: a LEN field that runs past the (clipped) view is
 * returned cut to what is visible, and ends the message; the caller checks
 * what it can see. */
static int peek_next(lc_pb *m, lc_pb_field *f)
{
	if (m->p >= m->end)
		return 0;
	const uint8_t *p = m->p;
	uint64_t key, n;
	if (!lc_pb_varint(&p, m->end, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return -1;
	if ((key & 7) != LC_PB_LEN)
		return lc_pb_next(m, f);
	if (!lc_pb_varint(&p, m->end, &n))
		return -1;
	f->num = (uint32_t)(key >> 3);
	f->wire = LC_PB_LEN;
	f->offset = (uint64_t)(m->p - m->base);
	f->v = 0;
	f->data = p;
	if (n > (uint64_t)(m->end - p)) {
		f->len = (size_t)(m->end - p);
		m->p = m->end;
	} else {
		f->len = (size_t)n;
		m->p = p + n;
	}
	return 1;
}


/* Looks at the first fields of a NodeDef: name (1) and op (2) strings with
 * plausible contents.  Returns 2 when op is a known TF op, 1 when plausible,
 * 0 otherwise. */
static int peek_nodedef(const uint8_t *d, size_t len)
{
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, d, len, NULL);
	int have_name = 0, have_op = 0, known = 0, fields = 0;
	while (fields < 64) {
		int r = peek_next(&m, &f);
		if (r < 0)
			return (have_name && have_op) ? 1 + known : 0; /* cut by the peek window */
		if (r == 0)
			break;
		fields++;
		switch (f.num) {
		case 1:
			if (f.wire != LC_PB_LEN || !node_name_ok(f.data, f.len))
				return 0;
			have_name = 1;
			break;
		case 2: {
			if (f.wire != LC_PB_LEN || !op_name_ok(f.data, f.len))
				return 0;
			char op[128];
			tf_op_class cls;
			if (f.len < sizeof op) {
				memcpy(op, f.data, f.len);
				op[f.len] = 0;
				known = lc_tf_op_lookup(op, &cls);
			}
			have_op = 1;
			break;
		}
		case 3:
		case 4:
		case 5:
		case 6:
		case 7:
			if (f.wire != LC_PB_LEN)
				return 0;
			if (f.num == 4 && f.len && f.data[0] != '/' && f.data[0] != '@')
				return 0; /* device specs start with / or @ */
			break;
		default:
			return 0;
		}
		if (have_name && have_op && fields >= 2)
			break;
	}
	return (have_name && have_op) ? 1 + known : 0;
}

/* A view clipped to what a bidder may look at. */
static size_t clip(size_t len) { return len < PEEK ? len : PEEK; }

/* FunctionDefLibrary: function (1) -> FunctionDef: signature (1) -> OpDef name (1). */
static int peek_library(const uint8_t *d, size_t len)
{
	lc_pb m, fd, sig;
	lc_pb_field f;
	lc_pb_init(&m, d, len, NULL);
	if (peek_next(&m, &f) != 1 || f.num != 1 || f.wire != LC_PB_LEN)
		return 0;
	lc_pb_init(&fd, f.data, f.len, NULL);
	if (peek_next(&fd, &f) != 1 || f.num != 1 || f.wire != LC_PB_LEN)
		return 0;
	lc_pb_init(&sig, f.data, f.len, NULL);
	if (peek_next(&sig, &f) != 1 || f.num != 1 || f.wire != LC_PB_LEN || !op_name_ok(f.data, f.len))
		return 0;
	return 1;
}

/* A GraphDef: 0 not one; otherwise a score. */
static int peek_graphdef(const uint8_t *data, size_t len)
{
	lc_pb m;
	lc_pb_field f;
	size_t n = clip(len);
	lc_pb_init(&m, data, n, NULL);
	int r = peek_next(&m, &f);
	if (r != 1 || f.wire != LC_PB_LEN)
		return 0;
	/* A LEN field may run past the peek window: check what is inside it. */
	if (f.num == 1) {
		int k = peek_nodedef(f.data, f.len);
		if (!k)
			return 0;
		/* A second node or the versions/library that follow confirm it. */
		int more = peek_next(&m, &f);
		if (more == 1 && !((f.num == 1 && f.wire == LC_PB_LEN && peek_nodedef(f.data, f.len)) ||
				   (f.num == 2 && f.wire == LC_PB_LEN) || (f.num == 4 && f.wire == LC_PB_LEN) ||
				   (f.num == 3 && f.wire == LC_PB_VARINT)))
			return 0;
		return k == 2 ? 60 : 40;
	}
	if (f.num == 2 && peek_library(f.data, f.len))
		return 50;
	return 0;
}

/* lc_pb_next over a clipped view fails on the field that crosses the window;
 * these helpers accept that as "the rest is not visible". */
static int peek_metainfo(const uint8_t *d, size_t len)
{
	lc_pb mi;
	lc_pb_field f;
	lc_pb_init(&mi, d, len, NULL);
	for (int k = 0; k < 8; k++) {
		int q = peek_next(&mi, &f);
		if (q <= 0)
			break;
		if (f.num >= 1 && f.num <= 6 && f.wire != LC_PB_LEN)
			return 0;
		if ((f.num == 7 && f.wire != LC_PB_VARINT) || f.num > 7)
			return 0;
	}
	return 1;
}

/* MetaGraphDef: every field 1..7 is a message or map entry (LEN); writers
 * do not all emit them in field order (TF2 puts object_graph_def first).
 * Returns 2 when meta_info_def or graph_def was checked, 1 when only the
 * field layout matched, 0 when it is not one. */
static int peek_metagraph(const uint8_t *d, size_t len)
{
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, d, len, NULL);
	int checked = 0, fields = 0;
	for (int k = 0; k < 16; k++) {
		int r = peek_next(&m, &f);
		if (r == 0)
			break;
		if (r < 0)
			break;
		if (f.num < 1 || f.num > 7 || f.wire != LC_PB_LEN)
			return 0;
		fields++;
		if (f.num == 1) {
			if (!peek_metainfo(f.data, f.len))
				return 0;
			checked = 1;
		} else if (f.num == 2) {
			if (!peek_graphdef(f.data, f.len))
				return 0;
			checked = 1;
		}
	}
	return fields ? 1 + checked : 0;
}

int lc_bid_tf_savedmodel(const uint8_t *data, size_t len)
{
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, data, clip(len), NULL);
	int r = peek_next(&m, &f);
	int version = 0;
	if (r == 1 && f.num == 1 && f.wire == LC_PB_VARINT) {
		if (f.v > 16)
			return 0;
		version = 1;
		r = peek_next(&m, &f);
	}
	if (r != 1 || f.num != 2 || f.wire != LC_PB_LEN)
		return 0;
	int k = peek_metagraph(f.data, f.len);
	if (!k)
		return 0;
	if (version)
		return 90;
	return k == 2 ? 70 : 0;
}

int lc_bid_tf_graphdef(const uint8_t *data, size_t len)
{
	if (lc_bid_tf_savedmodel(data, len))
		return 0;
	return peek_graphdef(data, len);
}

/* keras_metadata.pb: SavedMetadata { SavedObject nodes = 1 } with
 * SavedObject { VersionDef version = 1; int32 node_id = 2; string node_path = 3;
 * string identifier = 4; string metadata = 5 }. */
int lc_bid_keras_metadata(const uint8_t *data, size_t len)
{
	lc_pb m, o;
	lc_pb_field f;
	lc_pb_init(&m, data, clip(len), NULL);
	if (peek_next(&m, &f) != 1 || f.num != 1 || f.wire != LC_PB_LEN)
		return 0;
	lc_pb_init(&o, f.data, f.len, NULL);
	int ident = 0, ok = 0;
	for (int k = 0; k < 8; k++) {
		int r = peek_next(&o, &f);
		if (r <= 0)
			break;
		if ((f.num == 1 || f.num == 3 || f.num == 4 || f.num == 5) && f.wire != LC_PB_LEN)
			return 0;
		if (f.num == 2 && f.wire != LC_PB_VARINT)
			return 0;
		if (f.num > 5)
			return 0;
		if (f.num == 4 && f.len >= 3 && f.data[0] == '_')
			ident = (f.len >= 9 && memcmp(f.data, "_tf_keras", 9) == 0) ? 2 : 1;
		ok++;
	}
	if (!ok)
		return 0;
	return ident == 2 ? 80 : ident == 1 ? 45 : 0;
}

/* ---- reader state -------------------------------------------------------- */

enum { R_SERVE = 1, R_SAVER = 2 };

typedef struct tf_call {
	int sg, node;
	const char *fname; /* a function name (resolved at analysis) */
	int fsg;           /* or a subgraph index already known (nested graphs), else -1 */
} tf_call;

typedef struct tf_objfn {
	int obj;
	const char *fname;
} tf_objfn;

typedef struct tf_meta {
	int sg;
	const char *save_tensor, *restore_op, *filename_tensor;
	const char **init_roots;
	size_t ninit, capinit;
	const char **assets; /* tensor names bound to asset files */
	size_t nassets, capassets;
	tf_objfn *objfns;
	size_t nobjfns, capobjfns;
	int *saver_objs;
	size_t nsaver_objs, capsaver_objs;
} tf_meta;

typedef struct tfr {
	lc_ctx *ctx;
	lc_graph *g;
	const uint8_t *base;
	unsigned maxdepth;
	tf_call *calls;
	size_t ncalls, capcalls;
	tf_meta *metas;
	size_t nmetas, capmetas;
	int cur_meta; /* MetaGraph being read, -1 for a bare GraphDef */
	unsigned nest; /* graphs nested in attributes/constants, current depth */
	int failed;
	int keras_meta; /* user_object metadata strings seen */
} tfr;

static int vgrow(tfr *r, void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / elem)
		return -1;
	void *np = realloc(*p, ncap * elem);
	if (!np) {
		lc_fail(r->ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory reading the TensorFlow graph");
		r->failed = 1;
		return -1;
	}
	*p = np;
	*cap = ncap;
	return 0;
}

static void tfr_free(tfr *r)
{
	for (size_t i = 0; i < r->nmetas; i++) {
		free(r->metas[i].init_roots);
		free(r->metas[i].assets);
		free(r->metas[i].objfns);
		free(r->metas[i].saver_objs);
	}
	free(r->metas);
	free(r->calls);
}

static int pb_bad(tfr *r, const lc_pb *m, const char *what)
{
	if (!r->failed)
		lc_fail(r->ctx, m->err ? (lc_err)m->err : LC_E_MALFORMED, m->err_offset, "malformed %s: %s", what,
			m->why ? m->why : "bad protobuf");
	r->failed = 1;
	return -1;
}

static int wrong(tfr *r, const lc_pb_field *f, const char *what)
{
	if (!r->failed)
		lc_fail(r->ctx, LC_E_MALFORMED, f->offset, "malformed %s: field %u has wire type %u", what, f->num,
			f->wire);
	r->failed = 1;
	return -1;
}

/* Opens a LEN field as a sub-message, one level deeper. */
static int sub(tfr *r, lc_pb *parent, const lc_pb_field *f, lc_pb *child, const char *what)
{
	if (f->wire != LC_PB_LEN)
		return wrong(r, f, what);
	if (!lc_pb_sub(parent, f, r->maxdepth, child)) {
		if (!r->failed)
			lc_limit_hit(r->ctx, LC_LIMIT_pb_max_depth, f->offset, "protobuf message nesting");
		r->failed = 1;
		return -1;
	}
	return 0;
}

static const char *gstr(tfr *r, const lc_pb_field *f) { return lc_graph_strn(r->g, (const char *)f->data, f->len); }

static int add_call(tfr *r, int sg, int node, const char *fname, int fsg)
{
	if (vgrow(r, (void **)&r->calls, &r->capcalls, r->ncalls, sizeof *r->calls))
		return -1;
	r->calls[r->ncalls++] = (tf_call){sg, node, fname, fsg};
	return 0;
}

static tf_meta *meta(tfr *r) { return r->cur_meta >= 0 ? &r->metas[r->cur_meta] : NULL; }

static int push_str(tfr *r, const char ***v, size_t *n, size_t *cap, const char *s)
{
	if (vgrow(r, (void **)v, cap, *n, sizeof **v))
		return -1;
	(*v)[(*n)++] = s;
	return 0;
}

/* ---- dtypes, shapes, tensors ---------------------------------------------- */

static lc_dtype tf_dtype(uint64_t v)
{
	if (v > 100 && v < 200)
		v -= 100; /* reference types */
	switch (v) {
	case 1: return LC_DT_F32;
	case 2: return LC_DT_F64;
	case 3: return LC_DT_I32;
	case 4: return LC_DT_U8;
	case 5: return LC_DT_I16;
	case 6: return LC_DT_I8;
	case 7: return LC_DT_STRING;
	case 8: return LC_DT_C64;
	case 9: return LC_DT_I64;
	case 10: return LC_DT_BOOL;
	case 14: return LC_DT_BF16;
	case 17: return LC_DT_U16;
	case 18: return LC_DT_C128;
	case 19: return LC_DT_F16;
	case 22: return LC_DT_U32;
	case 23: return LC_DT_U64;
	case 24: case 25: case 26: case 27: case 28: return LC_DT_F8;
	case 29: case 30: return LC_DT_I4;
	case 0: return LC_DT_UNKNOWN;
	default: return LC_DT_OTHER; /* quantized, resource, variant ... */
	}
}

/* TensorShapeProto { Dim dim = 2 { int64 size = 1; string name = 2 }; bool unknown_rank = 3 } */
static int read_shape(tfr *r, lc_pb *parent, const lc_pb_field *pf, lc_shape *s)
{
	lc_pb m;
	lc_pb_field f;
	s->rank = 0;
	if (sub(r, parent, pf, &m, "TensorShapeProto"))
		return -1;
	int rank = 0, unknown = 0;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 2) {
			lc_pb d;
			lc_pb_field df;
			int64_t size = -1;
			if (sub(r, &m, &f, &d, "TensorShapeProto.Dim"))
				return -1;
			while (lc_pb_next(&d, &df) > 0)
				if (df.num == 1 && df.wire == LC_PB_VARINT)
					size = (int64_t)df.v;
			if (d.err)
				return pb_bad(r, &d, "TensorShapeProto.Dim");
			if (rank < LC_MAX_DIMS)
				s->dims[rank] = size;
			if (rank < INT32_MAX)
				rank++;
		} else if (f.num == 3 && f.wire == LC_PB_VARINT && f.v) {
			unknown = 1;
		}
	}
	if (m.err)
		return pb_bad(r, &m, "TensorShapeProto");
	s->rank = (unknown || rank > LC_MAX_DIMS) ? -1 : rank;
	return 0;
}

static uint64_t shape_elems(const lc_shape *s)
{
	if (s->rank < 0)
		return 0;
	uint64_t n = 1;
	for (int i = 0; i < s->rank; i++) {
		if (s->dims[i] < 0)
			return 0;
		if (s->dims[i] && n > UINT64_MAX / (uint64_t)s->dims[i])
			return 0;
		n *= (uint64_t)s->dims[i];
	}
	return n;
}

/* Where the value of a non-LEN field starts: right after its tag. */
static const uint8_t *value_start(const lc_pb *m, const lc_pb_field *f)
{
	const uint8_t *p = m->base + f->offset;
	while (*p & 0x80)
		p++;
	return p + 1;
}

/* TensorProto: dtype 1, tensor_shape 2, version_number 3, tensor_content 4,
 * float_val 5, double_val 6, int_val 7, string_val 8, scomplex_val 9,
 * int64_val 10, bool_val 11, dcomplex_val 12, half_val 13,
 * resource_handle_val 14, variant_val 15, uint32_val 16, uint64_val 17,
 * float8_val 18. */
static int read_tensor(tfr *r, lc_pb *parent, const lc_pb_field *pf, lc_tensor **out)
{
	lc_pb m;
	lc_pb_field f;
	*out = NULL;
	if (sub(r, parent, pf, &m, "TensorProto"))
		return -1;
	lc_tensor *t = lc_graph_alloc(r->g, sizeof *t);
	if (!t)
		return -1;
	t->shape.rank = 0;
	while (lc_pb_next(&m, &f) > 0) {
		switch (f.num) {
		case 1:
			if (f.wire == LC_PB_VARINT)
				t->dtype = tf_dtype(f.v);
			break;
		case 2:
			if (read_shape(r, &m, &f, &t->shape))
				return -1;
			break;
		case 4:
			if (f.wire != LC_PB_LEN)
				return wrong(r, &f, "TensorProto.tensor_content");
			t->data = f.data;
			t->data_len = f.len;
			break;
		case 8:
			if (f.wire != LC_PB_LEN)
				return wrong(r, &f, "TensorProto.string_val");
			if (!t->data) { /* the first element (see tensorflow.h) */
				t->data = f.data;
				t->data_len = f.len;
			}
			break;
		case 5: case 6: case 7: case 9: case 10: case 11: case 12: case 13: case 16: case 17: case 18:
			if (t->packed)
				break; /* keep the first run */
			if (f.wire == LC_PB_LEN) {
				t->packed = f.data;
				t->packed_len = f.len;
			} else {
				/* an unpacked repeated value: point at its bytes */
				const uint8_t *v = value_start(&m, &f);
				t->packed = v;
				t->packed_len = f.wire == LC_PB_I32 ? 4 : f.wire == LC_PB_I64 ? 8 : 0;
				if (f.wire == LC_PB_VARINT) {
					const uint8_t *q = v;
					uint64_t ignored;
					if (lc_pb_varint(&q, m.end, &ignored))
						t->packed_len = (size_t)(q - v);
				}
			}
			t->packed_varint = !(f.num == 5 || f.num == 6 || f.num == 9 || f.num == 12);
			break;
		default:
			break;
		}
	}
	if (m.err)
		return pb_bad(r, &m, "TensorProto");
	*out = t;
	return 0;
}

/* ---- nested graphs ----------------------------------------------------------- */

static int read_graphdef(tfr *r, const uint8_t *data, size_t len, int sg);

/* A string that is itself a serialized GraphDef (tf.data serializes dataset
 * graphs this way: DatasetFromGraph takes one from a Const) is read as a
 * nested subgraph of the node that holds it. */
static int maybe_nested(tfr *r, int sg, int node, const uint8_t *s, size_t n)
{
	if (n < 8 || s[0] != 0x0a || r->nest >= 8 || peek_graphdef(s, n) < 40)
		return 0;
	lc_node *nd = lc_graph_node(r->g, sg, node);
	char name[256];
	snprintf(name, sizeof name, "%s/graph_def", nd ? nd->name : "?");
	int nsg = lc_graph_add_subgraph(r->g, name, LC_SG_NESTED, sg, node);
	if (nsg < 0)
		return -1;
	if (add_call(r, sg, node, NULL, nsg))
		return -1;
	r->nest++;
	int rc = read_graphdef(r, s, n, nsg);
	r->nest--;
	return rc;
}

/* ---- attributes -------------------------------------------------------------- */

/* NameAttrList { string name = 1; map<string, AttrValue> attr = 2 }: the
 * function it names is called by the node; its attrs may name more. */
static int read_func(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int node, const char **name, unsigned depth);

static int scan_attr_funcs(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int node, unsigned depth)
{
	/* AttrValue inside a NameAttrList: only functions matter here */
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "AttrValue"))
		return -1;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 10) {
			const char *ignored;
			if (read_func(r, &m, &f, sg, node, &ignored, depth + 1))
				return -1;
		} else if (f.num == 1) {
			lc_pb l;
			lc_pb_field lf;
			if (sub(r, &m, &f, &l, "AttrValue.ListValue"))
				return -1;
			while (lc_pb_next(&l, &lf) > 0)
				if (lf.num == 9) {
					const char *ignored;
					if (read_func(r, &l, &lf, sg, node, &ignored, depth + 1))
						return -1;
				}
			if (l.err)
				return pb_bad(r, &l, "AttrValue.ListValue");
		}
	}
	if (m.err)
		return pb_bad(r, &m, "AttrValue");
	return 0;
}

static int read_func(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int node, const char **name, unsigned depth)
{
	lc_pb m;
	lc_pb_field f;
	*name = "";
	if (depth > 32) {
		if (!r->failed)
			lc_limit_hit(r->ctx, LC_LIMIT_pb_max_depth, pf->offset, "function attributes nested in functions");
		r->failed = 1;
		return -1;
	}
	if (sub(r, parent, pf, &m, "NameAttrList"))
		return -1;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 1 && f.wire == LC_PB_LEN) {
			*name = gstr(r, &f);
			if (add_call(r, sg, node, *name, -1))
				return -1;
		} else if (f.num == 2) {
			lc_pb e;
			lc_pb_field ef;
			if (sub(r, &m, &f, &e, "NameAttrList.attr"))
				return -1;
			while (lc_pb_next(&e, &ef) > 0)
				if (ef.num == 2 && scan_attr_funcs(r, &e, &ef, sg, node, depth))
					return -1;
			if (e.err)
				return pb_bad(r, &e, "NameAttrList.attr");
		}
	}
	if (m.err)
		return pb_bad(r, &m, "NameAttrList");
	return 0;
}

/* AttrValue.ListValue: s 2, i 3, f 4, b 5, type 6, shape 7, tensor 8, func 9. */
static int read_list(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int node, const char *key, size_t keylen)
{
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "AttrValue.ListValue"))
		return -1;
	lc_pb save = m;
	size_t count[10] = {0};
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num >= 2 && f.num <= 9) {
			size_t c = 1;
			if (f.wire == LC_PB_LEN && (f.num == 3 || f.num == 5 || f.num == 6)) {
				if (!lc_pb_count_varints(f.data, f.len, &c))
					return wrong(r, &f, "AttrValue.ListValue (packed varints)");
			} else if (f.wire == LC_PB_LEN && f.num == 4) {
				c = f.len / 4;
			}
			count[f.num] += c;
		}
	}
	if (m.err)
		return pb_bad(r, &m, "AttrValue.ListValue");
	int kind = 0;
	for (int k = 2; k <= 9; k++)
		if (count[k]) {
			kind = k;
			break;
		}
	size_t n = kind ? count[kind] : 0;
	if (n > SIZE_MAX / sizeof(double))
		return -1;
	int64_t *ints = NULL;
	double *floats = NULL;
	const char **strs = NULL;
	size_t *lens = NULL;
	if (kind == 3 || kind == 5 || kind == 6) {
		if (n && !(ints = lc_graph_alloc(r->g, n * sizeof *ints)))
			return -1;
	} else if (kind == 4) {
		if (n && !(floats = lc_graph_alloc(r->g, n * sizeof *floats)))
			return -1;
	} else if (kind == 2 || kind == 9) {
		if (n && (!(strs = lc_graph_alloc(r->g, n * sizeof *strs)) ||
			  !(lens = lc_graph_alloc(r->g, n * sizeof *lens))))
			return -1;
	}
	size_t i = 0;
	m = save;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 9) {
			const char *fname;
			if (read_func(r, &m, &f, sg, node, &fname, 0))
				return -1;
			if (kind == 9 && i < n) {
				strs[i] = fname;
				lens[i++] = strlen(fname);
			}
			continue;
		}
		if ((int)f.num != kind)
			continue;
		if (kind == 2 && i < n) {
			if (f.wire != LC_PB_LEN)
				return wrong(r, &f, "AttrValue.ListValue.s");
			strs[i] = gstr(r, &f);
			lens[i++] = f.len;
		} else if (kind == 3 || kind == 5 || kind == 6) {
			if (f.wire == LC_PB_VARINT) {
				if (i < n)
					ints[i++] = (int64_t)(kind == 6 ? (uint64_t)tf_dtype(f.v) : f.v);
			} else if (f.wire == LC_PB_LEN) {
				const uint8_t *p = f.data, *e = f.data + f.len;
				uint64_t v;
				while (p < e && i < n && lc_pb_varint(&p, e, &v))
					ints[i++] = (int64_t)(kind == 6 ? (uint64_t)tf_dtype(v) : v);
			}
		} else if (kind == 4) {
			if (f.wire == LC_PB_I32) {
				if (i < n)
					floats[i++] = lc_pb_float(f.v);
			} else if (f.wire == LC_PB_LEN) {
				for (size_t j = 0; j + 4 <= f.len && i < n; j += 4)
					floats[i++] = lc_pb_float(lc_le32(f.data + j));
			}
		} else if (kind == 8 && f.wire == LC_PB_LEN) {
			/* list(tensor): only nested graphs in string tensors matter */
		}
	}
	lc_attr *a = lc_graph_node_attr(r->g, sg, node, key, keylen);
	if (!a)
		return -1;
	switch (kind) {
	case 2: case 9:
		a->kind = LC_ATTR_STRINGS;
		a->strings = strs;
		a->string_lens = lens;
		break;
	case 3: case 5: case 6:
		a->kind = LC_ATTR_INTS;
		a->ints = ints;
		break;
	case 4:
		a->kind = LC_ATTR_FLOATS;
		a->floats = floats;
		break;
	case 0:
		a->kind = LC_ATTR_INTS; /* an empty list */
		break;
	default:
		a->kind = LC_ATTR_OTHER; /* list(shape), list(tensor) */
		break;
	}
	a->n = i;
	if (kind == 7 || kind == 8)
		a->n = n;
	return 0;
}

/* AttrValue: list 1, s 2, i 3, f 4, b 5, type 6, shape 7, tensor 8,
 * placeholder 9, func 10. */
static int read_attr(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int node)
{
	lc_pb e, m;
	lc_pb_field f, vf;
	if (sub(r, parent, pf, &e, "NodeDef.attr"))
		return -1;
	const uint8_t *key;
	size_t keylen;
	int have_value = lc_pb_map_entry(&e, &key, &keylen, &vf);
	if (have_value < 0)
		return pb_bad(r, &e, "NodeDef.attr");
	if (!have_value)
		return 0;
	if (sub(r, &e, &vf, &m, "AttrValue"))
		return -1;
	const char *kname = (const char *)(key ? key : (const uint8_t *)"");
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 1) {
			if (read_list(r, &m, &f, sg, node, kname, keylen))
				return -1;
			continue;
		}
		if (f.num == 10) {
			const char *fname;
			if (read_func(r, &m, &f, sg, node, &fname, 0))
				return -1;
			lc_attr *a = lc_graph_node_attr(r->g, sg, node, kname, keylen);
			if (!a)
				return -1;
			a->kind = LC_ATTR_FUNC;
			a->s = fname;
			a->slen = strlen(fname);
			continue;
		}
		if (f.num == 8) {
			lc_tensor *t;
			if (read_tensor(r, &m, &f, &t))
				return -1;
			lc_attr *a = lc_graph_node_attr(r->g, sg, node, kname, keylen);
			if (!a)
				return -1;
			a->kind = LC_ATTR_TENSOR;
			a->tensor = t;
			if (t->dtype == LC_DT_STRING && t->data && maybe_nested(r, sg, node, t->data, t->data_len))
				return -1;
			continue;
		}
		if (f.num == 7) {
			lc_shape s;
			if (read_shape(r, &m, &f, &s))
				return -1;
			lc_attr *a = lc_graph_node_attr(r->g, sg, node, kname, keylen);
			if (!a)
				return -1;
			a->kind = LC_ATTR_SHAPE;
			a->shape = s;
			continue;
		}
		lc_attr *a = NULL;
		if (f.num >= 2 && f.num <= 9) {
			a = lc_graph_node_attr(r->g, sg, node, kname, keylen);
			if (!a)
				return -1;
		}
		switch (f.num) {
		case 2:
		case 9:
			if (f.wire != LC_PB_LEN)
				return wrong(r, &f, "AttrValue.s");
			a->kind = f.num == 2 ? LC_ATTR_STRING : LC_ATTR_OTHER; /* placeholder: s names it */
			a->s = gstr(r, &f);
			a->slen = f.len;
			if (f.num == 2 && maybe_nested(r, sg, node, f.data, f.len))
				return -1;
			break;
		case 3:
			a->kind = LC_ATTR_INT;
			a->i = (int64_t)f.v;
			break;
		case 4:
			a->kind = LC_ATTR_FLOAT;
			a->f = lc_pb_float(f.v);
			break;
		case 5:
			a->kind = LC_ATTR_BOOL;
			a->i = f.v != 0;
			break;
		case 6:
			a->kind = LC_ATTR_TYPE;
			a->i = tf_dtype(f.v);
			break;
		default:
			break;
		}
	}
	if (m.err)
		return pb_bad(r, &m, "AttrValue");
	return 0;
}

/* ---- nodes --------------------------------------------------------------------- */

static void count_params(tfr *r, lc_dtype dt, const lc_shape *s)
{
	uint64_t n = shape_elems(s);
	if (!n || dt == LC_DT_STRING || dt == LC_DT_OTHER || dt == LC_DT_UNKNOWN)
		return;
	r->g->params += n;
	r->g->param_bytes += n * lc_dtype_size(dt);
}

/* NodeDef: name 1, op 2, input 3, device 4, attr 5, debug info 6, type 7. */
static int read_node(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int in_function)
{
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "NodeDef"))
		return -1;
	lc_pb save = m;
	const uint8_t *name = NULL, *op = NULL, *dev = NULL;
	size_t nlen = 0, oplen = 0, devlen = 0;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num >= 1 && f.num <= 5 && f.wire != LC_PB_LEN)
			return wrong(r, &f, "NodeDef");
		if (f.num == 1) {
			name = f.data;
			nlen = f.len;
		} else if (f.num == 2) {
			op = f.data;
			oplen = f.len;
		} else if (f.num == 4) {
			dev = f.data;
			devlen = f.len;
		}
	}
	if (m.err)
		return pb_bad(r, &m, "NodeDef");
	char opbuf[256];
	if (oplen >= sizeof opbuf)
		oplen = sizeof opbuf - 1; /* op names are short; a long one stays unknown */
	memcpy(opbuf, op ? (const char *)op : "", oplen);
	opbuf[oplen] = 0;
	const char *nm = lc_graph_strn(r->g, name ? (const char *)name : "", nlen);
	int ni = lc_graph_add_node(r->g, sg, nm, opbuf, "", pf->offset);
	if (ni < 0)
		return -1;
	if (dev && devlen) {
		lc_node *nd = lc_graph_node(r->g, sg, ni);
		nd->device = lc_graph_strn(r->g, (const char *)dev, devlen);
	}
	m = save;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 3) {
			if (lc_graph_node_input(r->g, sg, ni, (const char *)f.data, f.len))
				return -1;
		} else if (f.num == 5) {
			if (read_attr(r, &m, &f, sg, ni))
				return -1;
		}
	}
	if (m.err)
		return pb_bad(r, &m, "NodeDef");
	/* A node whose op is not a primitive may call a library function. */
	tf_op_class cls;
	if (!lc_tf_op_lookup(opbuf, &cls) && add_call(r, sg, ni, lc_graph_str(r->g, opbuf), -1))
		return -1;
	lc_node *nd = lc_graph_node(r->g, sg, ni);
	if (strcmp(opbuf, "Const") == 0) {
		const lc_attr *v = lc_node_attr(nd, "value");
		if (v && v->kind == LC_ATTR_TENSOR) {
			lc_value_info *vi = lc_graph_add_init(r->g, sg, nm, strlen(nm));
			if (!vi)
				return -1;
			vi->dtype = v->tensor->dtype;
			vi->shape = v->tensor->shape;
			vi->init = v->tensor;
			if (!in_function && vi->shape.rank > 0)
				count_params(r, vi->dtype, &vi->shape);
		}
	} else if (!in_function && (strcmp(opbuf, "Placeholder") == 0 || strcmp(opbuf, "PlaceholderV2") == 0 ||
				    strcmp(opbuf, "PlaceholderWithDefault") == 0)) {
		const lc_attr *dt = lc_node_attr(nd, "dtype");
		const lc_attr *sh = lc_node_attr(nd, "shape");
		lc_value_info *vi = lc_graph_add_input(r->g, sg, nm, strlen(nm));
		if (!vi)
			return -1;
		if (dt && dt->kind == LC_ATTR_TYPE)
			vi->dtype = (lc_dtype)dt->i;
		if (sh && sh->kind == LC_ATTR_SHAPE)
			vi->shape = sh->shape;
	} else if (strcmp(opbuf, "VarHandleOp") == 0 || strcmp(opbuf, "VariableV2") == 0 ||
		   strcmp(opbuf, "Variable") == 0) {
		const lc_attr *dt = lc_node_attr(nd, "dtype");
		const lc_attr *sh = lc_node_attr(nd, "shape");
		lc_value_info *vi = lc_graph_add_init(r->g, sg, nm, strlen(nm));
		if (!vi)
			return -1;
		if (dt && dt->kind == LC_ATTR_TYPE)
			vi->dtype = (lc_dtype)dt->i;
		if (sh && sh->kind == LC_ATTR_SHAPE)
			vi->shape = sh->shape;
		count_params(r, vi->dtype, &vi->shape);
	}
	return 0;
}

/* ---- functions ------------------------------------------------------------------ */

/* OpDef.ArgDef { name 1, description 2, type 3, type_attr 4, ... } */
static int read_arg(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg, int output)
{
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "OpDef.ArgDef"))
		return -1;
	const uint8_t *name = NULL;
	size_t nlen = 0;
	lc_dtype dt = LC_DT_UNKNOWN;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 1 && f.wire == LC_PB_LEN) {
			name = f.data;
			nlen = f.len;
		} else if (f.num == 3 && f.wire == LC_PB_VARINT) {
			dt = tf_dtype(f.v);
		}
	}
	if (m.err)
		return pb_bad(r, &m, "OpDef.ArgDef");
	lc_value_info *vi = output ? lc_graph_add_output(r->g, sg, (const char *)name, nlen)
				   : lc_graph_add_input(r->g, sg, (const char *)name, nlen);
	if (!vi)
		return -1;
	vi->dtype = dt;
	return 0;
}

/* FunctionDef: signature 1 (OpDef: name 1, input_arg 2, output_arg 3),
 * attr 5, node_def 3, ret 4, control_ret 6, arg_attr 7. */
static int read_function(tfr *r, lc_pb *parent, const lc_pb_field *pf)
{
	lc_pb m, sig;
	lc_pb_field f, sf;
	if (sub(r, parent, pf, &m, "FunctionDef"))
		return -1;
	lc_pb save = m;
	const uint8_t *name = NULL;
	size_t nlen = 0;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num != 1)
			continue;
		if (sub(r, &m, &f, &sig, "OpDef"))
			return -1;
		while (lc_pb_next(&sig, &sf) > 0)
			if (sf.num == 1 && sf.wire == LC_PB_LEN) {
				name = sf.data;
				nlen = sf.len;
			}
		if (sig.err)
			return pb_bad(r, &sig, "OpDef");
	}
	if (m.err)
		return pb_bad(r, &m, "FunctionDef");
	const char *fname = lc_graph_strn(r->g, name ? (const char *)name : "", nlen);
	int sg = lc_graph_add_subgraph(r->g, fname, LC_SG_FUNCTION, -1, -1);
	if (sg < 0)
		return -1;
	m = save;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 1) {
			if (sub(r, &m, &f, &sig, "OpDef"))
				return -1;
			while (lc_pb_next(&sig, &sf) > 0)
				if ((sf.num == 2 || sf.num == 3) && read_arg(r, &sig, &sf, sg, sf.num == 3))
					return -1;
			if (sig.err)
				return pb_bad(r, &sig, "OpDef");
		} else if (f.num == 3) {
			if (read_node(r, &m, &f, sg, 1))
				return -1;
		} else if (f.num == 4) {
			/* ret: output arg -> "node:out:0"; keep the internal name on
			 * the output so edges resolve */
			lc_pb e;
			lc_pb_field ef;
			const uint8_t *k = NULL, *v = NULL;
			size_t kl = 0, vl = 0;
			if (sub(r, &m, &f, &e, "FunctionDef.ret"))
				return -1;
			while (lc_pb_next(&e, &ef) > 0) {
				if (ef.wire != LC_PB_LEN)
					continue;
				if (ef.num == 1) {
					k = ef.data;
					kl = ef.len;
				} else if (ef.num == 2) {
					v = ef.data;
					vl = ef.len;
				}
			}
			if (e.err)
				return pb_bad(r, &e, "FunctionDef.ret");
			lc_subgraph *s = &r->g->subs[sg];
			for (size_t i = 0; k && v && i < s->noutputs; i++)
				if (strlen(s->outputs[i].name) == kl && memcmp(s->outputs[i].name, k, kl) == 0) {
					s->outputs[i].name = lc_graph_strn(r->g, (const char *)v, vl);
					break;
				}
		}
	}
	if (m.err)
		return pb_bad(r, &m, "FunctionDef");
	return 0;
}

/* FunctionDefLibrary: function 1, gradient 2, registered_gradients 3. */
static int read_library(tfr *r, lc_pb *parent, const lc_pb_field *pf)
{
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "FunctionDefLibrary"))
		return -1;
	while (lc_pb_next(&m, &f) > 0)
		if (f.num == 1 && read_function(r, &m, &f))
			return -1;
	if (m.err)
		return pb_bad(r, &m, "FunctionDefLibrary");
	return 0;
}

/* GraphDef: node 1, library 2, version 3, versions 4 (VersionDef: producer 1). */
static int read_graphdef_msg(tfr *r, lc_pb *m, int sg)
{
	lc_pb_field f;
	while (lc_pb_next(m, &f) > 0) {
		if (f.num == 1) {
			if (read_node(r, m, &f, sg, 0))
				return -1;
		} else if (f.num == 2) {
			if (read_library(r, m, &f))
				return -1;
		} else if (f.num == 4 && f.wire == LC_PB_LEN && !r->g->producer) {
			lc_pb v;
			lc_pb_field vf;
			if (sub(r, m, &f, &v, "VersionDef"))
				return -1;
			while (lc_pb_next(&v, &vf) > 0)
				if (vf.num == 1 && vf.wire == LC_PB_VARINT) {
					char buf[64];
					snprintf(buf, sizeof buf, "GraphDef producer %llu", (unsigned long long)vf.v);
					r->g->producer = lc_graph_str(r->g, buf);
				}
			if (v.err)
				return pb_bad(r, &v, "VersionDef");
		}
		if (r->failed || r->g->failed)
			return -1;
	}
	if (m->err)
		return pb_bad(r, m, "GraphDef");
	return 0;
}

static int read_graphdef(tfr *r, const uint8_t *data, size_t len, int sg)
{
	lc_pb m;
	lc_pb_init(&m, data, len, r->base);
	/* nested graphs count their nesting against the same depth limit */
	m.depth = r->nest * 8;
	return read_graphdef_msg(r, &m, sg);
}

/* ---- MetaGraphDef -------------------------------------------------------------- */

/* TensorInfo: name 1, dtype 2, tensor_shape 3, coo_sparse 4 (names 1,2,3),
 * composite_tensor 5 (type_spec 1, components 2). Calls fn for each tensor name. */
static int read_tensor_info(tfr *r, lc_pb *parent, const lc_pb_field *pf, lc_signature **sig, int output, int sg,
			    unsigned depth)
{
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "TensorInfo"))
		return -1;
	const uint8_t *name = NULL;
	size_t nlen = 0;
	lc_dtype dt = LC_DT_UNKNOWN;
	lc_shape shape = {.rank = -1};
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num == 1 && f.wire == LC_PB_LEN) {
			name = f.data;
			nlen = f.len;
		} else if (f.num == 2 && f.wire == LC_PB_VARINT) {
			dt = tf_dtype(f.v);
		} else if (f.num == 3) {
			if (read_shape(r, &m, &f, &shape))
				return -1;
		} else if (f.num == 4) {
			lc_pb c;
			lc_pb_field cf;
			if (sub(r, &m, &f, &c, "TensorInfo.CooSparse"))
				return -1;
			while (lc_pb_next(&c, &cf) > 0)
				if (cf.wire == LC_PB_LEN && cf.num >= 1 && cf.num <= 3 &&
				    lc_graph_signature_io(r->g, *sig, output, (const char *)cf.data, cf.len))
					return -1;
			if (c.err)
				return pb_bad(r, &c, "TensorInfo.CooSparse");
		} else if (f.num == 5) {
			lc_pb c;
			lc_pb_field cf;
			if (depth > 16)
				return 0;
			if (sub(r, &m, &f, &c, "TensorInfo.CompositeTensor"))
				return -1;
			while (lc_pb_next(&c, &cf) > 0)
				if (cf.num == 2 && read_tensor_info(r, &c, &cf, sig, output, sg, depth + 1))
					return -1;
			if (c.err)
				return pb_bad(r, &c, "TensorInfo.CompositeTensor");
		}
	}
	if (m.err)
		return pb_bad(r, &m, "TensorInfo");
	if (name) {
		if (lc_graph_signature_io(r->g, *sig, output, (const char *)name, nlen))
			return -1;
		if (output) {
			lc_subgraph *s = &r->g->subs[sg];
			for (size_t i = 0; i < s->noutputs; i++)
				if (strlen(s->outputs[i].name) == nlen && memcmp(s->outputs[i].name, name, nlen) == 0)
					return 0;
			lc_value_info *vi = lc_graph_add_output(r->g, sg, (const char *)name, nlen);
			if (!vi)
				return -1;
			vi->dtype = dt;
			vi->shape = shape;
		}
	}
	return 0;
}

/* signature_def map entry: key 1, value 2 SignatureDef (inputs 1, outputs 2,
 * method_name 3, defaults 4). */
static int read_signature(tfr *r, lc_pb *parent, const lc_pb_field *pf, int sg)
{
	lc_pb e, m;
	lc_pb_field f, vf;
	if (sub(r, parent, pf, &e, "signature_def entry"))
		return -1;
	const uint8_t *key;
	size_t kl;
	int have = lc_pb_map_entry(&e, &key, &kl, &vf);
	if (have < 0)
		return pb_bad(r, &e, "signature_def entry");
	char name[256];
	lc_escape(key ? key : (const uint8_t *)"", kl, 200, name, sizeof name);
	/* lc_escape quotes: keep the raw key when printable */
	if (key && node_name_ok(key, kl) && kl < sizeof name) {
		memcpy(name, key, kl);
		name[kl] = 0;
	}
	lc_signature *sig = lc_graph_add_signature(r->g, name, sg);
	if (!sig)
		return -1;
	if (!have)
		return 0;
	size_t sigi = r->g->nsigs - 1;
	if (sub(r, &e, &vf, &m, "SignatureDef"))
		return -1;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num != 1 && f.num != 2)
			continue;
		lc_pb io;
		lc_pb_field iof;
		if (sub(r, &m, &f, &io, "SignatureDef inputs/outputs"))
			return -1;
		while (lc_pb_next(&io, &iof) > 0)
			if (iof.num == 2) {
				sig = &r->g->sigs[sigi];
				if (read_tensor_info(r, &io, &iof, &sig, f.num == 2, sg, 0))
					return -1;
			}
		if (io.err)
			return pb_bad(r, &io, "SignatureDef inputs/outputs");
	}
	if (m.err)
		return pb_bad(r, &m, "SignatureDef");
	return 0;
}

/* collection_def entry: key 1, value 2 CollectionDef (node_list 1 {value 1}). */
static int read_collection(tfr *r, lc_pb *parent, const lc_pb_field *pf)
{
	lc_pb e, m;
	lc_pb_field f, vf;
	if (sub(r, parent, pf, &e, "collection_def entry"))
		return -1;
	const uint8_t *key;
	size_t kl;
	int have = lc_pb_map_entry(&e, &key, &kl, &vf);
	if (have < 0)
		return pb_bad(r, &e, "collection_def entry");
	if (!have || !key)
		return 0;
	char k[128];
	if (kl >= sizeof k)
		return 0;
	memcpy(k, key, kl);
	k[kl] = 0;
	/* Ops the loader runs at load time (TF1 main_op / legacy_init_op /
	 * table initializers), and tensors bound to asset files. */
	int init = strstr(k, "init_op") || strstr(k, "main_op") || strcmp(k, "table_initializer") == 0;
	int asset = strcmp(k, "asset_filepaths") == 0;
	if (!init && !asset)
		return 0;
	tf_meta *mt = meta(r);
	if (!mt)
		return 0;
	if (sub(r, &e, &vf, &m, "CollectionDef"))
		return -1;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num != 1)
			continue;
		lc_pb nl;
		lc_pb_field nf;
		if (sub(r, &m, &f, &nl, "CollectionDef.NodeList"))
			return -1;
		while (lc_pb_next(&nl, &nf) > 0) {
			if (nf.num != 1 || nf.wire != LC_PB_LEN)
				continue;
			const char *s = gstr(r, &nf);
			if (init ? push_str(r, &mt->init_roots, &mt->ninit, &mt->capinit, s)
				 : push_str(r, &mt->assets, &mt->nassets, &mt->capassets, s))
				return -1;
		}
		if (nl.err)
			return pb_bad(r, &nl, "CollectionDef.NodeList");
	}
	if (m.err)
		return pb_bad(r, &m, "CollectionDef");
	return 0;
}

static int keras_json(tfr *r, const uint8_t *s, size_t n, const char *where);

/* SavedObjectGraph: nodes 1 (SavedObject: user_object 4 {identifier 1,
 * metadata 3}, function 6 {concrete_functions 1}, bare_concrete_function 8
 * {concrete_function_name 1}, saveable_objects 11 (map: value 2
 * SaveableObject {save_function 2, restore_function 3})). */
static int read_object_graph(tfr *r, lc_pb *parent, const lc_pb_field *pf)
{
	lc_pb m;
	lc_pb_field f;
	tf_meta *mt = meta(r);
	if (sub(r, parent, pf, &m, "SavedObjectGraph"))
		return -1;
	int obj = 0;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num != 1)
			continue;
		lc_pb o;
		lc_pb_field of;
		if (sub(r, &m, &f, &o, "SavedObject"))
			return -1;
		while (lc_pb_next(&o, &of) > 0) {
			if (of.num != 4 && of.num != 6 && of.num != 8 && of.num != 11)
				continue;
			lc_pb k;
			lc_pb_field kf;
			if (sub(r, &o, &of, &k, "SavedObject kind"))
				return -1;
			while (lc_pb_next(&k, &kf) > 0) {
				if (of.num == 4 && kf.num == 3 && kf.wire == LC_PB_LEN && kf.len) {
					/* TF 2.0-2.4 kept Keras metadata here; other
					 * objects leave it empty or non-JSON */
					(void)keras_json(r, kf.data, kf.len, "SavedUserObject metadata");
				} else if ((of.num == 6 || of.num == 8) && kf.num == 1 && kf.wire == LC_PB_LEN && mt) {
					if (vgrow(r, (void **)&mt->objfns, &mt->capobjfns, mt->nobjfns, sizeof *mt->objfns))
						return -1;
					mt->objfns[mt->nobjfns++] = (tf_objfn){obj, gstr(r, &kf)};
				} else if (of.num == 11 && kf.num == 2 && mt) {
					lc_pb so;
					lc_pb_field sf;
					if (sub(r, &k, &kf, &so, "SaveableObject"))
						return -1;
					while (lc_pb_next(&so, &sf) > 0)
						if ((sf.num == 2 || sf.num == 3) && sf.wire == LC_PB_VARINT) {
							if (vgrow(r, (void **)&mt->saver_objs, &mt->capsaver_objs,
								  mt->nsaver_objs, sizeof(int)))
								return -1;
							mt->saver_objs[mt->nsaver_objs++] = (int)(sf.v & 0x7fffffff);
						}
					if (so.err)
						return pb_bad(r, &so, "SaveableObject");
				}
			}
			if (k.err)
				return pb_bad(r, &k, "SavedObject kind");
		}
		if (o.err)
			return pb_bad(r, &o, "SavedObject");
		obj++;
	}
	if (m.err)
		return pb_bad(r, &m, "SavedObjectGraph");
	return 0;
}

static int read_metagraph(tfr *r, lc_pb *parent, const lc_pb_field *pf, int index)
{
	lc_pb m;
	lc_pb_field f;
	if (sub(r, parent, pf, &m, "MetaGraphDef"))
		return -1;
	char name[64];
	snprintf(name, sizeof name, "metagraph %d", index);
	int sg = lc_graph_add_subgraph(r->g, name, index == 0 ? LC_SG_MAIN : LC_SG_OTHER, -1, -1);
	if (sg < 0)
		return -1;
	if (vgrow(r, (void **)&r->metas, &r->capmetas, r->nmetas, sizeof *r->metas))
		return -1;
	memset(&r->metas[r->nmetas], 0, sizeof r->metas[0]);
	r->metas[r->nmetas].sg = sg;
	r->cur_meta = (int)r->nmetas++;
	lc_buf tags = {0};
	while (lc_pb_next(&m, &f) > 0) {
		tf_meta *mt = meta(r);
		switch (f.num) {
		case 1: { /* MetaInfoDef: tags 4, tensorflow_version 5 */
			lc_pb mi;
			lc_pb_field mf;
			if (sub(r, &m, &f, &mi, "MetaInfoDef"))
				goto fail;
			while (lc_pb_next(&mi, &mf) > 0) {
				if (mf.wire != LC_PB_LEN)
					continue;
				if (mf.num == 4 && mf.len < 128) {
					lc_buf_puts(&tags, tags.len ? "," : "");
					lc_buf_put(&tags, mf.data, mf.len);
				} else if (mf.num == 5 && mf.len && mf.len < 64) {
					char buf[96];
					snprintf(buf, sizeof buf, "TensorFlow %.*s", (int)mf.len, (const char *)mf.data);
					r->g->producer = lc_graph_str(r->g, buf);
				}
			}
			if (mi.err) {
				pb_bad(r, &mi, "MetaInfoDef");
				goto fail;
			}
			break;
		}
		case 2: {
			lc_pb gd;
			if (sub(r, &m, &f, &gd, "GraphDef") || read_graphdef_msg(r, &gd, sg))
				goto fail;
			break;
		}
		case 3: { /* SaverDef: filename_tensor_name 1, save_tensor_name 2, restore_op_name 3 */
			lc_pb sd;
			lc_pb_field sf;
			if (sub(r, &m, &f, &sd, "SaverDef"))
				goto fail;
			while (lc_pb_next(&sd, &sf) > 0) {
				if (sf.wire != LC_PB_LEN)
					continue;
				if (sf.num == 1)
					mt->filename_tensor = gstr(r, &sf);
				else if (sf.num == 2)
					mt->save_tensor = gstr(r, &sf);
				else if (sf.num == 3)
					mt->restore_op = gstr(r, &sf);
			}
			if (sd.err) {
				pb_bad(r, &sd, "SaverDef");
				goto fail;
			}
			break;
		}
		case 4:
			if (read_collection(r, &m, &f))
				goto fail;
			break;
		case 5:
			if (read_signature(r, &m, &f, sg))
				goto fail;
			break;
		case 6: { /* AssetFileDef: tensor_info 1 (name 1), filename 2 */
			lc_pb a;
			lc_pb_field af;
			if (sub(r, &m, &f, &a, "AssetFileDef"))
				goto fail;
			while (lc_pb_next(&a, &af) > 0) {
				if (af.num != 1)
					continue;
				lc_pb ti;
				lc_pb_field tf;
				if (sub(r, &a, &af, &ti, "TensorInfo"))
					goto fail;
				while (lc_pb_next(&ti, &tf) > 0)
					if (tf.num == 1 && tf.wire == LC_PB_LEN &&
					    push_str(r, &mt->assets, &mt->nassets, &mt->capassets, gstr(r, &tf)))
						goto fail;
				if (ti.err) {
					pb_bad(r, &ti, "TensorInfo");
					goto fail;
				}
			}
			if (a.err) {
				pb_bad(r, &a, "AssetFileDef");
				goto fail;
			}
			break;
		}
		case 7:
			if (read_object_graph(r, &m, &f))
				goto fail;
			break;
		default:
			break;
		}
		if (r->failed || r->g->failed)
			goto fail;
	}
	if (m.err) {
		pb_bad(r, &m, "MetaGraphDef");
		goto fail;
	}
	if (tags.len && !tags.oom) {
		char buf[160];
		snprintf(buf, sizeof buf, "metagraph %d [%.*s]", index, (int)(tags.len < 120 ? tags.len : 120), tags.p);
		r->g->subs[sg].name = lc_graph_str(r->g, buf);
	}
	lc_buf_free(&tags);
	return 0;
fail:
	lc_buf_free(&tags);
	r->failed = 1;
	return -1;
}

/* ---- Keras JSON metadata ------------------------------------------------------- */

/* Keras metadata (keras_metadata.pb nodes, TF 2.0-2.4 SavedUserObject
 * metadata) is a Keras layer config: the Keras reader's analysis judges it
 * (Lambda bytecode, modules outside Keras ...). */
/* Returns 0, or -1 when the bytes are not a JSON object (nothing recorded). */
static int keras_json(tfr *r, const uint8_t *s, size_t n, const char *where)
{
	if (!n || s[0] != '{')
		return -1;
	if (n > lc_lim(r->ctx, LC_LIMIT_config_max_bytes)) {
		lc_limit_hit(r->ctx, LC_LIMIT_config_max_bytes, LC_NO_OFFSET, "Keras metadata JSON");
		r->failed = 1;
		return 0;
	}
	json_error_t jerr;
	json_t *root = json_loadb((const char *)s, n, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return -1;
	r->keras_meta++;
	lc_keras_analyze_config(r->ctx, root, where);
	json_decref(root);
	if (r->ctx->file->status == LC_STATUS_ERROR)
		r->failed = 1; /* a limit of the config walk */
	return 0;
}

/* ---- the op analysis ------------------------------------------------------------ */

typedef struct fmap_slot {
	const char *name;
	int sg;
} fmap_slot;

typedef struct tfa {
	tfr *r;
	lc_graph *g;
	size_t *off;         /* flat index of node 0 of each subgraph */
	int *sgof;           /* subgraph of each flat node */
	unsigned char *bits; /* R_* per flat node */
	const char **via;    /* first root that reached the node */
	unsigned char *fbits;
	int *head, *next;    /* calls per flat node (linked) */
	int *stack;
	size_t nstack, capstack;
	fmap_slot *fmap;
	size_t fcap;
} tfa;

static uint64_t hstr(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static int fmap_get(const tfa *a, const char *name)
{
	if (!a->fcap || !name)
		return -1;
	size_t j = hstr(name) & (a->fcap - 1);
	while (a->fmap[j].name) {
		if (strcmp(a->fmap[j].name, name) == 0)
			return a->fmap[j].sg;
		j = (j + 1) & (a->fcap - 1);
	}
	return -1;
}

static void mark(tfa *a, int sg, int node, unsigned b, const char *via)
{
	if (sg < 0 || node < 0)
		return;
	size_t fl = a->off[sg] + (size_t)node;
	if ((a->bits[fl] & b) == b)
		return;
	a->bits[fl] |= (unsigned char)b;
	if (!a->via[fl])
		a->via[fl] = via;
	if (a->nstack < a->capstack)
		a->stack[a->nstack++] = (int)fl;
}

static void mark_all(tfa *a, int sg, unsigned b, const char *via)
{
	if (sg < 0 || (a->fbits[sg] & b) == b)
		return;
	a->fbits[sg] |= (unsigned char)b;
	for (size_t i = 0; i < a->g->subs[sg].nnodes; i++)
		mark(a, sg, (int)i, b, via);
}

static void propagate(tfa *a)
{
	while (a->nstack) {
		int fl = a->stack[--a->nstack];
		int sg = a->sgof[fl];
		int ni = (int)((size_t)fl - a->off[sg]);
		unsigned b = a->bits[fl];
		const char *via = a->via[fl];
		lc_node *n = &a->g->subs[sg].nodes[ni];
		for (size_t i = 0; i < n->ninputs; i++)
			mark(a, sg, lc_graph_producer(a->g, sg, n->inputs[i]), b, via);
		for (int c = a->head[fl]; c >= 0; c = a->next[c]) {
			const tf_call *call = &a->r->calls[c];
			mark_all(a, call->fsg >= 0 ? call->fsg : fmap_get(a, call->fname), b, via);
		}
	}
}

/* "<what> '<name>'", kept in the graph's arena. */
static const char *root_via(tfa *a, const char *what, const char *name)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s '%.400s'", what, name);
	return lc_graph_str(a->g, buf);
}

static void mark_tensor(tfa *a, int sg, const char *tensor, unsigned b, const char *via)
{
	if (tensor && *tensor)
		mark(a, sg, lc_graph_producer(a->g, sg, tensor), b, via);
}

/* Follows Identity-like ops back to the node that produces a value. */
static const lc_node *source_node(lc_graph *g, int sg, const char *input)
{
	for (int hop = 0; hop < 16 && input; hop++) {
		int p = lc_graph_producer(g, sg, input);
		if (p < 0)
			return NULL;
		const lc_node *n = &g->subs[sg].nodes[p];
		if ((strcmp(n->op, "Identity") == 0 || strcmp(n->op, "Snapshot") == 0 ||
		     strcmp(n->op, "StopGradient") == 0 || strcmp(n->op, "PlaceholderWithDefault") == 0) &&
		    n->ninputs > 0 && n->inputs[0][0] != '^') {
			/* PlaceholderWithDefault may be fed: its default is what
			 * runs unless the caller overrides it */
			input = n->inputs[0];
			continue;
		}
		return n;
	}
	return NULL;
}

/* The string constant feeding input i of n, or NULL. */
static const lc_tensor *const_string(lc_graph *g, int sg, const lc_node *n, size_t i, const lc_node **src)
{
	*src = NULL;
	if (i >= n->ninputs)
		return NULL;
	const lc_node *s = source_node(g, sg, n->inputs[i]);
	*src = s;
	if (!s || strcmp(s->op, "Const") != 0)
		return NULL;
	const lc_attr *v = lc_node_attr(s, "value");
	if (!v || v->kind != LC_ATTR_TENSOR || v->tensor->dtype != LC_DT_STRING || !v->tensor->data)
		return NULL;
	return v->tensor;
}

static bool is_asset(const tfa *a, int sg, const lc_node *src)
{
	if (!src)
		return false;
	for (size_t m = 0; m < a->r->nmetas; m++) {
		const tf_meta *mt = &a->r->metas[m];
		if (mt->sg != sg)
			continue;
		size_t nl = strlen(src->name);
		for (size_t i = 0; i < mt->nassets; i++)
			if (strncmp(mt->assets[i], src->name, nl) == 0 &&
			    (mt->assets[i][nl] == 0 || mt->assets[i][nl] == ':'))
				return true;
	}
	return false;
}

static bool path_suspicious(const uint8_t *s, size_t n)
{
	if (!n)
		return false;
	if (s[0] == '/' || s[0] == '~' || s[0] == '\\' || (n > 1 && s[1] == ':'))
		return true;
	for (size_t i = 0; i + 1 < n; i++)
		if ((s[i] == '.' && s[i + 1] == '.') || (s[i] == ':' && i + 2 < n && s[i + 1] == '/' && s[i + 2] == '/'))
			return true;
	return false;
}

static const char *rule_file(void) { return "tf.op.file-access"; }
static const char *rule_saver(void) { return "tf.op.saver"; }

/* The first string constant among the first inputs, escaped into ev. */
static const lc_tensor *first_path(lc_graph *g, int sg, const lc_node *n, char *ev, size_t evlen, const lc_node **src)
{
	for (size_t i = 0; i < n->ninputs && i < 4; i++) {
		const lc_tensor *t = const_string(g, sg, n, i, src);
		if (t) {
			lc_escape(t->data, t->data_len, 200, ev, evlen);
			return t;
		}
	}
	*src = n->ninputs ? source_node(g, sg, n->inputs[0]) : NULL;
	ev[0] = 0;
	return NULL;
}

static const char *attr_str(const lc_node *n, const char *name, size_t *len)
{
	const lc_attr *at = lc_node_attr(n, name);
	if (!at || at->kind != LC_ATTR_STRING)
		return NULL;
	*len = at->slen;
	return at->s;
}

static void judge(tfa *a, int sg, int ni)
{
	lc_ctx *ctx = a->r->ctx;
	lc_graph *g = a->g;
	const lc_subgraph *s = &g->subs[sg];
	const lc_node *n = &s->nodes[ni];
	size_t fl = a->off[sg] + (size_t)ni;
	unsigned b = a->bits[fl];
	tf_op_class cls;
	bool known = lc_tf_op_lookup(n->op, &cls);
	char key[512], ev[256], where[600];
	snprintf(key, sizeof key, "%s/%s", s->name, n->name);
	if (b & R_SERVE)
		snprintf(where, sizeof where, "reachable from %s", a->via[fl] ? a->via[fl] : "a signature");
	else if (b == R_SAVER)
		snprintf(where, sizeof where, "in the saver (runs when a checkpoint is saved or restored)");
	else if (a->r->nmetas)
		snprintf(where, sizeof where, "not reachable from any signature, load-time op or the saver");
	else
		snprintf(where, sizeof where, "in the graph");
	if (!known) {
		if (fmap_get(a, n->op) >= 0)
			return; /* a call of a library function */
		lc_escape((const uint8_t *)n->op, strlen(n->op), 100, ev, sizeof ev);
		lc_finding_add(ctx, n->op[0] == '_' ? LC_SEV_LOW : LC_SEV_MEDIUM, "tf.op.unknown", n->offset, n->op, ev,
			       "op %s (node '%s' of %s) is not a standard TensorFlow op: loading the graph needs a "
			       "custom kernel library (native code) that was not scanned",
			       ev, n->name, s->name);
		return;
	}
	const lc_node *src;
	size_t len = 0;
	const char *str;
	switch (cls) {
	case TF_OPC_PLAIN:
		return;
	case TF_OPC_PYTHON: {
		str = attr_str(n, "token", &len);
		lc_escape((const uint8_t *)(str ? str : ""), str ? len : 0, 100, ev, sizeof ev);
		lc_finding_add(ctx, LC_SEV_CRITICAL, "tf.op.python", n->offset, key, str ? ev : NULL,
			       "node '%s' of %s (%s) calls a Python function of the host process when the graph "
			       "runs (arbitrary code), %s",
			       n->name, s->name, n->op, where);
		return;
	}
	case TF_OPC_FILE: {
		const lc_tensor *t = first_path(g, sg, n, ev, sizeof ev, &src);
		if (strcmp(n->op, "ImmutableConst") == 0 && (str = attr_str(n, "memory_region_name", &len)) != NULL) {
			lc_escape((const uint8_t *)str, len, 200, ev, sizeof ev);
			t = (const lc_tensor *)n; /* anything non-NULL: ev holds the path */
		}
		lc_finding_add(ctx, LC_SEV_HIGH, rule_file(), n->offset, key, t ? ev : NULL,
			       "node '%s' of %s (%s) accesses the file system%s%s, %s", n->name, s->name, n->op, t ? " at " : "", t ? ev : "", where);
		return;
	}
	case TF_OPC_CHECKPOINT: {
		const lc_tensor *t = first_path(g, sg, n, ev, sizeof ev, &src);
		if (t && path_suspicious(t->data, t->data_len)) {
			lc_finding_add(ctx, LC_SEV_HIGH, rule_file(), n->offset, key, ev,
				       "checkpoint op %s (node '%s' of %s) uses the fixed path %s instead of the "
				       "checkpoint directory, %s",
				       n->op, n->name, s->name, ev, where);
		} else if (b == R_SAVER) {
			lc_finding_add(ctx, LC_SEV_INFO, rule_saver(), LC_NO_OFFSET, n->op, NULL,
				       "%s in the saver: checkpoint I/O under the model's variables/ directory",
				       n->op);
		} else if (b & R_SERVE) {
			lc_finding_add(ctx, LC_SEV_HIGH, rule_file(), n->offset, key, t ? ev : NULL,
				       "checkpoint op %s (node '%s' of %s) reads or writes files outside the saver, %s",
				       n->op, n->name, s->name, where);
		} else if (a->r->nmetas) {
			lc_finding_add(ctx, LC_SEV_MEDIUM, rule_file(), n->offset, key, t ? ev : NULL,
				       "checkpoint op %s (node '%s' of %s) is outside the declared saver, %s", n->op,
				       n->name, s->name, where);
		} else {
			lc_finding_add(ctx, LC_SEV_LOW, rule_saver(), LC_NO_OFFSET, n->op, NULL,
				       "%s in a graph without a declared saver: checkpoint I/O when a caller runs it",
				       n->op);
		}
		return;
	}
	case TF_OPC_NETWORK:
		lc_finding_add(ctx, LC_SEV_HIGH, "tf.op.network", n->offset, key, NULL,
			       "node '%s' of %s (%s) connects to or serves other hosts, %s", n->name, s->name,
			       n->op, where);
		return;
	case TF_OPC_SQL: {
		const lc_tensor *t = first_path(g, sg, n, ev, sizeof ev, &src);
		lc_finding_add(ctx, LC_SEV_HIGH, "tf.op.sql", n->offset, key, t ? ev : NULL,
			       "node '%s' of %s (%s) opens a database and runs a query, %s", n->name, s->name,
			       n->op, where);
		return;
	}
	case TF_OPC_DEBUG: {
		const lc_attr *u = lc_node_attr(n, "debug_urls");
		str = attr_str(n, "dump_root", &len);
		const char *url = NULL;
		size_t ul = 0;
		if (u && u->kind == LC_ATTR_STRINGS && u->n) {
			url = u->strings[0];
			ul = u->string_lens[0];
		} else if (str && len) {
			url = str;
			ul = len;
		}
		if (!url)
			return;
		lc_escape((const uint8_t *)url, ul, 200, ev, sizeof ev);
		lc_finding_add(ctx, LC_SEV_HIGH, "tf.op.debug-sink", n->offset, key, ev,
			       "debug op %s (node '%s' of %s) dumps tensors to %s, %s", n->op, n->name, s->name, ev,
			       where);
		return;
	}
	case TF_OPC_PRINT:
		str = attr_str(n, "output_stream", &len);
		if (!str || len < 7 || memcmp(str, "file://", 7) != 0)
			return;
		lc_escape((const uint8_t *)str, len, 200, ev, sizeof ev);
		lc_finding_add(ctx, LC_SEV_HIGH, rule_file(), n->offset, key, ev,
			       "node '%s' of %s prints tensors into the file %s, %s", n->name, s->name, ev, where);
		return;
	case TF_OPC_PROTO:
		str = attr_str(n, "descriptor_source", &len);
		if (!str || len == 0 || (len == 8 && memcmp(str, "local://", 8) == 0) ||
		    (len >= 8 && memcmp(str, "bytes://", 8) == 0))
			return;
		lc_escape((const uint8_t *)str, len, 200, ev, sizeof ev);
		lc_finding_add(ctx, LC_SEV_HIGH, "tf.op.decode-proto-descriptor", n->offset, key, ev,
			       "node '%s' of %s (%s) loads protobuf descriptors from the file %s, %s", n->name,
			       s->name, n->op, ev, where);
		return;
	case TF_OPC_CACHE: {
		const lc_tensor *t = const_string(g, sg, n, 1, &src);
		if (t && t->data_len == 0)
			return; /* in-memory cache */
		if (t)
			lc_escape(t->data, t->data_len, 200, ev, sizeof ev);
		lc_finding_add(ctx, t ? LC_SEV_HIGH : LC_SEV_MEDIUM, rule_file(), n->offset, key, t ? ev : NULL,
			       "node '%s' of %s caches a dataset in %s%s, %s", n->name, s->name,
			       t ? "the file " : "files named at run time", t ? ev : "", where);
		return;
	}
	case TF_OPC_TABLE_FILE: {
		const lc_tensor *t = const_string(g, sg, n, 1, &src);
		if (is_asset(a, sg, src)) {
			lc_finding_add(ctx, LC_SEV_INFO, rule_file(), LC_NO_OFFSET, "asset-table", NULL,
				       "%s reads a lookup table from a file bundled in assets/", n->op);
		} else if (t) {
			lc_escape(t->data, t->data_len, 200, ev, sizeof ev);
			lc_finding_add(ctx, LC_SEV_HIGH, rule_file(), n->offset, key, ev,
				       "node '%s' of %s reads the file %s into a lookup table, %s", n->name, s->name,
				       ev, where);
		} else {
			lc_finding_add(ctx, LC_SEV_LOW, rule_file(), n->offset, key, NULL,
				       "node '%s' of %s reads a lookup table from a file named at run time (usually a "
				       "bundled asset), %s",
				       n->name, s->name, where);
		}
		return;
	}
	}
}

static void analyze(tfr *r)
{
	lc_graph *g = r->g;
	tfa a = {.r = r, .g = g};
	size_t total = 0, nfun = 0;
	a.off = calloc(g->nsubs + 1, sizeof *a.off);
	a.fbits = calloc(g->nsubs + 1, 1);
	if (!a.off || !a.fbits)
		goto oom;
	for (size_t s = 0; s < g->nsubs; s++) {
		a.off[s] = total;
		total += g->subs[s].nnodes;
		nfun += g->subs[s].kind == LC_SG_FUNCTION;
	}
	a.sgof = malloc((total + 1) * sizeof *a.sgof);
	a.bits = calloc(total + 1, 1);
	a.via = calloc(total + 1, sizeof *a.via);
	a.head = malloc((total + 1) * sizeof *a.head);
	a.next = malloc((r->ncalls + 1) * sizeof *a.next);
	a.capstack = 2 * total + 16;
	a.stack = malloc(a.capstack * sizeof *a.stack);
	for (a.fcap = 16; a.fcap < 2 * nfun + 2; a.fcap <<= 1)
		;
	a.fmap = calloc(a.fcap, sizeof *a.fmap);
	if (!a.sgof || !a.bits || !a.via || !a.head || !a.next || !a.stack || !a.fmap)
		goto oom;
	for (size_t s = 0; s < g->nsubs; s++) {
		for (size_t i = 0; i < g->subs[s].nnodes; i++)
			a.sgof[a.off[s] + i] = (int)s;
		if (g->subs[s].kind == LC_SG_FUNCTION && fmap_get(&a, g->subs[s].name) < 0) {
			size_t j = hstr(g->subs[s].name) & (a.fcap - 1);
			while (a.fmap[j].name)
				j = (j + 1) & (a.fcap - 1);
			a.fmap[j] = (fmap_slot){g->subs[s].name, (int)s};
		}
	}
	for (size_t i = 0; i < total; i++)
		a.head[i] = -1;
	for (size_t c = 0; c < r->ncalls; c++) {
		const tf_call *call = &r->calls[c];
		size_t fl = a.off[call->sg] + (size_t)call->node;
		a.next[c] = a.head[fl];
		a.head[fl] = (int)c;
	}
	/* Roots. */
	for (size_t m = 0; m < r->nmetas; m++) {
		const tf_meta *mt = &r->metas[m];
		for (size_t i = 0; i < g->nsigs; i++) {
			const lc_signature *sig = &g->sigs[i];
			if (sig->subgraph != mt->sg)
				continue;
			const char *via = root_via(&a, "signature", sig->name);
			for (size_t o = 0; o < sig->noutputs; o++)
				mark_tensor(&a, mt->sg, sig->outputs[o], R_SERVE, via);
		}
		for (size_t i = 0; i < mt->ninit; i++)
			mark_tensor(&a, mt->sg, mt->init_roots[i], R_SERVE, root_via(&a, "load-time op", mt->init_roots[i]));
		propagate(&a); /* signatures first: their names read best in findings */
		mark_tensor(&a, mt->sg, mt->save_tensor, R_SAVER, "the saver");
		mark_tensor(&a, mt->sg, mt->restore_op, R_SAVER, "the saver");
		propagate(&a);
		for (size_t i = 0; i < mt->nobjfns; i++) {
			int saver = 0;
			for (size_t k = 0; k < mt->nsaver_objs; k++)
				saver |= mt->saver_objs[k] == mt->objfns[i].obj;
			mark_all(&a, fmap_get(&a, mt->objfns[i].fname), saver ? R_SAVER : R_SERVE,
				 saver ? "the saver" : root_via(&a, "object-graph function", mt->objfns[i].fname));
		}
		propagate(&a);
	}
	propagate(&a);
	for (size_t s = 0; s < g->nsubs; s++)
		for (size_t i = 0; i < g->subs[s].nnodes; i++)
			judge(&a, (int)s, (int)i);
	goto done;
oom:
	lc_fail(r->ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory analysing the TensorFlow graph");
done:
	free(a.off);
	free(a.fbits);
	free(a.sgof);
	free(a.bits);
	free(a.via);
	free(a.head);
	free(a.next);
	free(a.stack);
	free(a.fmap);
}

/* ---- entry points ------------------------------------------------------------- */

static void tfr_init(tfr *r, lc_ctx *ctx, const uint8_t *data, const char *format)
{
	memset(r, 0, sizeof *r);
	r->ctx = ctx;
	r->base = data;
	r->maxdepth = (unsigned)lc_lim(ctx, LC_LIMIT_pb_max_depth);
	r->cur_meta = -1;
	r->g = lc_graph_new(ctx, format);
	if (!r->g)
		lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory");
}

static lc_err finish(tfr *r)
{
	/* A graph cut short by an error is still judged: what was read may
	 * hold the payload (findings survive the error). */
	if (!r->g->failed)
		analyze(r);
	if (r->failed)
		r->g->failed = 1; /* incomplete: the generic analyses skip it */
	lc_graph_done(r->ctx, r->g);
	tfr_free(r);
	return r->ctx->file->status == LC_STATUS_ERROR ? r->ctx->file->error_code : LC_OK;
}

/* SavedModel: saved_model_schema_version 1, meta_graphs 2. */
lc_err lc_parse_tf_savedmodel(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	tfr r;
	if (ctx->depth == 0)
		lc_set_format(ctx, "tf-savedmodel");
	tfr_init(&r, ctx, data, "tf-savedmodel");
	if (!r.g)
		return LC_E_NOMEM;
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, data, len, data);
	int nmeta = 0;
	while (!r.failed && lc_pb_next(&m, &f) > 0) {
		if (f.num == 1 && f.wire == LC_PB_VARINT) {
			char buf[48];
			snprintf(buf, sizeof buf, "SavedModel schema %llu", (unsigned long long)f.v);
			if (!r.g->producer)
				r.g->producer = lc_graph_str(r.g, buf);
		} else if (f.num == 2) {
			if (read_metagraph(&r, &m, &f, nmeta++))
				break;
		}
	}
	if (m.err && !r.failed)
		pb_bad(&r, &m, "SavedModel");
	if (!nmeta && !r.failed) {
		lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "SavedModel without any MetaGraphDef");
		r.failed = 1;
	}
	return finish(&r);
}

lc_err lc_parse_tf_graphdef(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	tfr r;
	if (ctx->depth == 0)
		lc_set_format(ctx, "tf-graphdef");
	tfr_init(&r, ctx, data, "tf-graphdef");
	if (!r.g)
		return LC_E_NOMEM;
	int sg = lc_graph_add_subgraph(r.g, "graph", LC_SG_MAIN, -1, -1);
	if (sg >= 0)
		read_graphdef(&r, data, len, sg);
	else
		r.failed = 1;
	if (!r.failed && !r.g->failed) {
		/* A frozen graph's outputs are the nodes nobody consumes. */
		lc_subgraph *s = &r.g->subs[sg];
		unsigned char *used = calloc(s->nnodes + 1, 1);
		if (used) {
			for (size_t i = 0; i < s->nnodes; i++)
				for (size_t k = 0; k < s->nodes[i].ninputs; k++) {
					int p = lc_graph_producer(r.g, sg, s->nodes[i].inputs[k]);
					if (p >= 0)
						used[p] = 1;
				}
			for (size_t i = 0; i < r.g->subs[sg].nnodes; i++) {
				const lc_node *n = &r.g->subs[sg].nodes[i];
				if (!used[i] && strcmp(n->op, "NoOp") != 0 && strcmp(n->op, "Const") != 0 &&
				    !lc_graph_add_output(r.g, sg, n->name, strlen(n->name)))
					break;
			}
			free(used);
		}
	}
	return finish(&r);
}

/* SavedMetadata: nodes 1 -> SavedObject {version 1, node_id 2, node_path 3,
 * identifier 4, metadata 5 (JSON)}. */
lc_err lc_parse_keras_metadata(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	tfr r;
	if (ctx->depth == 0)
		lc_set_format(ctx, "keras-metadata");
	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.base = data;
	r.maxdepth = (unsigned)lc_lim(ctx, LC_LIMIT_pb_max_depth);
	r.cur_meta = -1;
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, data, len, data);
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num != 1)
			continue;
		lc_pb o;
		lc_pb_field of;
		if (sub(&r, &m, &f, &o, "SavedMetadata.SavedObject"))
			return ctx->file->error_code;
		const uint8_t *path = NULL;
		size_t pl = 0;
		lc_pb save = o;
		while (lc_pb_next(&o, &of) > 0)
			if (of.num == 3 && of.wire == LC_PB_LEN) {
				path = of.data;
				pl = of.len;
			}
		o = save;
		while (lc_pb_next(&o, &of) > 0) {
			if (of.num == 5 && of.wire == LC_PB_LEN && of.len) {
				char where[200];
				snprintf(where, sizeof where, "metadata of %.*s", (int)(pl < 120 ? pl : 120),
					 path ? (const char *)path : "?");
				if (keras_json(&r, of.data, of.len, where)) {
					lc_fail(ctx, LC_E_MALFORMED, of.offset, "Keras %s is not a JSON object", where);
					return LC_E_MALFORMED;
				}
				if (r.failed)
					return ctx->file->error_code;
			}
		}
		if (o.err) {
			pb_bad(&r, &o, "SavedMetadata.SavedObject");
			return ctx->file->error_code;
		}
	}
	if (m.err) {
		pb_bad(&r, &m, "SavedMetadata");
		return ctx->file->error_code;
	}
	return LC_OK;
}
