/*
 * ONNX reader (src/formats/onnx.c).
 *
 * An ONNX model is one protobuf message, ModelProto (onnx/onnx.proto, field
 * numbers below are that file's).  It carries no code of its own: the risks
 * are what a runtime must bring to execute it and what it makes the runtime
 * read.  We read the whole message with the zero-copy protobuf cursor into
 * the graph model (src/graph/graph.h) - main graph, model-local functions,
 * every If/Loop/Scan body as a nested subgraph with its parent link, the
 * training graphs - and then judge it:
 *
 *   onnx.custom-op.python     HIGH    a node asks for a Python-backed operator
 *                                     (PyOp/PyCustomOp/PythonOp ...) or carries
 *                                     Python source in an attribute
 *   onnx.custom-op            MEDIUM  an operator of a domain no standard
 *                                     runtime ships: the host must register a
 *                                     native/Python library before loading
 *   onnx.contrib-op           INFO    onnxruntime's own contrib domains
 *   onnx.external-data.escape HIGH    a tensor's external data location is
 *                                     absolute, climbs with "..", resolves
 *                                     (symlinks included) outside the model's
 *                                     folder, or is onnxruntime's in-memory
 *                                     address tag
 *   onnx.external-data.unresolved MEDIUM  external data of a model we read
 *                                     from inside a container or memory: the
 *                                     lexical checks passed but the file it
 *                                     names cannot be checked
 *   a missing external data file, or one too short for the tensor, is an
 *   error (the model cannot load, and we cannot say what it would read).
 *
 * Tensor payloads (raw_data, typed *_data fields) are never read: the graph
 * keeps pointers to them.  Nested graphs recurse through lc_pb_sub(), whose
 * depth is bounded by the pb_max_depth limit (3 protobuf levels per graph
 * level), so the C stack is bounded too.
 *
 * ONNX has no magic number: the bid is a bounded structural probe of the
 * top-level fields (see lc_bid_onnx).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/lc.h"
#include "formats/protobuf.h"
#include "graph/graph.h"

/* ModelProto */
enum { M_IR = 1, M_PRODUCER = 2, M_PRODUCER_VERSION = 3, M_DOMAIN = 4, M_MODEL_VERSION = 5, M_DOC = 6,
       M_GRAPH = 7, M_OPSET = 8, M_METADATA = 14, M_TRAINING = 20, M_FUNCTIONS = 25, M_CONFIG = 26 };
/* GraphProto */
enum { G_NODE = 1, G_NAME = 2, G_INIT = 5, G_DOC = 10, G_INPUT = 11, G_OUTPUT = 12, G_VALUE_INFO = 13,
       G_QUANT = 14, G_SPARSE_INIT = 15, G_METADATA = 16 };
/* NodeProto */
enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP = 4, N_ATTR = 5, N_DOC = 6, N_DOMAIN = 7 };
/* AttributeProto */
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_G = 6, A_FLOATS = 7, A_INTS = 8, A_STRINGS = 9,
       A_TENSORS = 10, A_GRAPHS = 11, A_TP = 14, A_TYPE_PROTOS = 15, A_TYPE = 20, A_REF = 21,
       A_SPARSE = 22, A_SPARSES = 23 };
/* AttributeProto.AttributeType */
enum { AT_UNDEFINED = 0, AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_GRAPH = 5, AT_FLOATS = 6,
       AT_INTS = 7, AT_STRINGS = 8, AT_TENSORS = 9, AT_GRAPHS = 10, AT_SPARSE = 11, AT_SPARSES = 12,
       AT_TYPE_PROTO = 13, AT_TYPE_PROTOS = 14 };
/* TensorProto */
enum { T_DIMS = 1, T_TYPE = 2, T_SEGMENT = 3, T_FLOAT = 4, T_INT32 = 5, T_STRING = 6, T_INT64 = 7, T_NAME = 8,
       T_RAW = 9, T_DOUBLE = 10, T_UINT64 = 11, T_EXTERNAL = 13, T_LOCATION = 14 };
/* FunctionProto */
enum { F_NAME = 1, F_INPUT = 4, F_OUTPUT = 5, F_NODE = 7, F_OPSET = 9, F_DOMAIN = 10 };

#define ONNX_EXTERNAL 1 /* TensorProto.DataLocation.EXTERNAL */

typedef struct fn_ref {
	const char *domain, *name;
} fn_ref;

typedef struct ext_seen {
	char *location;
	int state; /* 0 ok, 1 escape, 2 missing/short (already reported) */
	uint64_t size;
} ext_seen;

typedef struct ox {
	lc_ctx *ctx;
	lc_graph *g;
	const uint8_t *base;
	unsigned max_depth;
	int failed;
	fn_ref *fns;
	size_t nfns, capfns;
	/* external data: the model's folder (resolved once) and the locations
	 * already checked (models put hundreds of tensors in one file) */
	int dir_state; /* 0 not yet, 1 resolved, -1 not resolvable (container/memory) */
	char *dir_real;
	char *dir_given;
	ext_seen *ext;
	size_t next, capext;
} ox;

/* ---- errors --------------------------------------------------------------- */

static int pb_fail(ox *x, const lc_pb *m, const char *what)
{
	if (!x->failed) {
		x->failed = 1;
		if (m->err == LC_E_LIMIT)
			lc_limit_hit(x->ctx, LC_LIMIT_pb_max_depth, m->err_offset, what);
		else
			lc_fail(x->ctx, m->err ? (lc_err)m->err : LC_E_MALFORMED, m->err_offset, "ONNX %s: %s", what,
				m->why ? m->why : "malformed");
	}
	return -1;
}

static int ox_fail(ox *x, lc_err err, uint64_t off, const char *msg)
{
	if (!x->failed) {
		x->failed = 1;
		lc_fail(x->ctx, err, off, "ONNX: %s", msg);
	}
	return -1;
}

/* ---- element types -------------------------------------------------------- */

/* TensorProto.DataType -> our dtype and its width in bits (0: variable). */
static lc_dtype onnx_dtype(uint64_t t, unsigned *bits)
{
	static const struct {
		lc_dtype dt;
		unsigned bits;
	} map[] = {
		{LC_DT_UNKNOWN, 0}, {LC_DT_F32, 32},  {LC_DT_U8, 8},    {LC_DT_I8, 8},     {LC_DT_U16, 16},
		{LC_DT_I16, 16},    {LC_DT_I32, 32},  {LC_DT_I64, 64},  {LC_DT_STRING, 0}, {LC_DT_BOOL, 8},
		{LC_DT_F16, 16},    {LC_DT_F64, 64},  {LC_DT_U32, 32},  {LC_DT_U64, 64},   {LC_DT_C64, 64},
		{LC_DT_C128, 128},  {LC_DT_BF16, 16}, {LC_DT_F8, 8},    {LC_DT_F8, 8},     {LC_DT_F8, 8},
		{LC_DT_F8, 8},      {LC_DT_I4, 4},    {LC_DT_I4, 4},    {LC_DT_OTHER, 4},  {LC_DT_F8, 8},
		{LC_DT_OTHER, 2},   {LC_DT_OTHER, 2},
	};
	if (t >= sizeof map / sizeof map[0]) {
		*bits = 0;
		return LC_DT_OTHER;
	}
	*bits = map[t].bits;
	return map[t].dt;
}

/* ---- small helpers ---------------------------------------------------------- */

static bool streqn(const char *s, const uint8_t *p, size_t n) { return strlen(s) == n && memcmp(s, p, n) == 0; }

/* Decodes "repeated int64" given either packed (one LEN field) or one
 * varint per field; calls back through an array the caller sized. */
static size_t count_repeated_varint(const lc_pb_field *f)
{
	if (f->wire == LC_PB_VARINT)
		return 1;
	size_t n = 0;
	if (f->wire == LC_PB_LEN && lc_pb_count_varints(f->data, f->len, &n))
		return n;
	return 0;
}

static size_t put_repeated_varint(const lc_pb_field *f, int64_t *out, size_t room)
{
	if (f->wire == LC_PB_VARINT) {
		if (room)
			out[0] = (int64_t)f->v;
		return room ? 1 : 0;
	}
	if (f->wire != LC_PB_LEN)
		return 0;
	const uint8_t *p = f->data, *end = f->data + f->len;
	size_t n = 0;
	uint64_t v;
	while (p < end && n < room && lc_pb_varint(&p, end, &v))
		out[n++] = (int64_t)v;
	return n;
}

/* ---- TensorProto ------------------------------------------------------------ */

typedef struct tinfo {
	const uint8_t *name;
	size_t name_len;
	uint64_t elements;  /* product of dims (0 if a dim is 0) */
	int elements_ok;    /* no overflow */
	uint64_t bytes;     /* payload size when known */
	unsigned bits;
	uint64_t offset;
} tinfo;

static int check_external(ox *x, const char *tname, const lc_tensor *t, uint64_t off);

/* Parses a TensorProto into t (arena-owned strings) and ti.  Pointers to the
 * payload, never copies. */
static int parse_tensor(ox *x, lc_pb *parent, const lc_pb_field *tf, lc_tensor *t, tinfo *ti)
{
	lc_pb m;
	if (!lc_pb_sub(parent, tf, x->max_depth, &m))
		return pb_fail(x, parent, "tensor");
	memset(ti, 0, sizeof *ti);
	ti->offset = tf->offset;
	t->shape.rank = 0;
	uint64_t dtype = 0, location = 0;
	const uint8_t *ext_loc = NULL;
	size_t ext_loc_len = 0;
	int has_ext_loc = 0;
	uint64_t ext_off = 0, ext_len = 0;
	int has_ext_len = 0;
	int rank = 0, nstrings = 0;
	uint64_t elements = 1;
	int overflow = 0, negative = 0;
	lc_pb_field f;
	int r;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		switch (f.num) {
		case T_DIMS: {
			/* repeated int64: packed (one LEN) or one varint per field */
			if (f.wire != LC_PB_VARINT && f.wire != LC_PB_LEN)
				break;
			const uint8_t *p = f.data, *end = f.wire == LC_PB_LEN ? f.data + f.len : NULL;
			uint64_t v = f.v;
			int more = f.wire == LC_PB_VARINT;
			for (;;) {
				if (f.wire == LC_PB_LEN) {
					if (p >= end)
						break;
					if (!lc_pb_varint(&p, end, &v))
						return ox_fail(x, LC_E_MALFORMED, f.offset, "malformed packed tensor dims");
				} else if (!more--) {
					break;
				}
				int64_t d = (int64_t)v;
				if (d < 0)
					negative = 1;
				else if (d && elements > UINT64_MAX / (uint64_t)d)
					overflow = 1;
				else
					elements *= (uint64_t)d;
				if (rank < LC_MAX_DIMS)
					t->shape.dims[rank] = d;
				if (rank < INT_MAX)
					rank++;
			}
			break;
		}
		case T_TYPE:
			if (f.wire == LC_PB_VARINT)
				dtype = f.v;
			break;
		case T_NAME:
			if (f.wire == LC_PB_LEN) {
				ti->name = f.data;
				ti->name_len = f.len;
			}
			break;
		case T_RAW:
			if (f.wire == LC_PB_LEN) {
				t->data = f.data;
				t->data_len = f.len;
			}
			break;
		case T_FLOAT:
		case T_DOUBLE:
			if (f.wire == LC_PB_LEN) {
				t->packed = f.data;
				t->packed_len = f.len;
				t->packed_varint = 0;
			}
			break;
		case T_INT32:
		case T_INT64:
		case T_UINT64:
			if (f.wire == LC_PB_LEN) {
				t->packed = f.data;
				t->packed_len = f.len;
				t->packed_varint = 1;
			}
			break;
		case T_STRING:
			if (f.wire == LC_PB_LEN) {
				nstrings++;
				ti->bytes += f.len;
			}
			break;
		case T_EXTERNAL:
			if (f.wire == LC_PB_LEN) {
				lc_pb e;
				lc_pb_field kv;
				const uint8_t *k = NULL, *v = NULL;
				size_t kl = 0, vl = 0;
				if (!lc_pb_sub(&m, &f, x->max_depth, &e))
					return pb_fail(x, &m, "tensor external_data");
				while ((r = lc_pb_next(&e, &kv)) > 0) {
					if (kv.wire != LC_PB_LEN)
						continue;
					if (kv.num == 1) {
						k = kv.data;
						kl = kv.len;
					} else if (kv.num == 2) {
						v = kv.data;
						vl = kv.len;
					}
				}
				if (r < 0)
					return pb_fail(x, &e, "tensor external_data entry");
				if (k && streqn("location", k, kl)) {
					ext_loc = v ? v : (const uint8_t *)"";
					ext_loc_len = vl;
					has_ext_loc = 1;
				} else if (k && (streqn("offset", k, kl) || streqn("length", k, kl))) {
					/* integers stored as strings */
					uint64_t n = 0;
					int ok = vl > 0 && vl <= 20;
					for (size_t i = 0; ok && i < vl; i++) {
						if (v[i] < '0' || v[i] > '9' || n > (UINT64_MAX - 9) / 10)
							ok = 0;
						else
							n = n * 10 + (uint64_t)(v[i] - '0');
					}
					if (!ok)
						return ox_fail(x, LC_E_MALFORMED, kv.offset,
							       "external_data offset/length is not a decimal integer");
					if (k[0] == 'o') {
						ext_off = n;
					} else {
						ext_len = n;
						has_ext_len = 1;
					}
				}
			}
			break;
		case T_LOCATION:
			if (f.wire == LC_PB_VARINT)
				location = f.v;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "tensor");
	if (negative)
		return ox_fail(x, LC_E_MALFORMED, tf->offset, "tensor with a negative dimension");
	t->dtype = onnx_dtype(dtype, &ti->bits);
	t->shape.rank = rank <= LC_MAX_DIMS ? rank : -1;
	ti->elements = rank ? elements : 1;
	ti->elements_ok = !overflow;
	if (t->data) {
		ti->bytes = t->data_len;
		/* onnxruntime refuses raw_data whose size disagrees with the
		 * shape: the loader would fail, so the file cannot be what it
		 * claims to be. */
		if (ti->bits && !overflow) {
			uint64_t want = ti->elements > UINT64_MAX / ti->bits ? UINT64_MAX : (ti->elements * ti->bits + 7) / 8;
			if (want != t->data_len)
				return ox_fail(x, LC_E_MALFORMED, tf->offset,
					       "tensor raw_data size does not match its shape and type");
		}
	} else if (ti->bits && !overflow) {
		ti->bytes = ti->elements > UINT64_MAX / ti->bits ? UINT64_MAX : (ti->elements * ti->bits + 7) / 8;
	}
	(void)nstrings;
	if (location == ONNX_EXTERNAL || has_ext_loc) {
		if (!has_ext_loc)
			return ox_fail(x, LC_E_MALFORMED, tf->offset,
				       "tensor with data_location EXTERNAL but no external_data location");
		t->external = lc_graph_strn(x->g, (const char *)ext_loc, ext_loc_len);
		t->external_offset = ext_off;
		t->external_length = has_ext_len ? ext_len : ti->bytes;
		if (has_ext_len)
			ti->bytes = ext_len;
		char nbuf[128];
		lc_escape(ti->name, ti->name_len, 80, nbuf, sizeof nbuf);
		/* The raw location bytes: a NUL inside would cut the C string
		 * that the file-system checks see, so the lexical checks run
		 * on all of them. */
		if (check_external(x, nbuf, t, tf->offset) < 0)
			return -1;
		if (memchr(ext_loc, 0, ext_loc_len))
			lc_finding_add(x->ctx, LC_SEV_HIGH, "onnx.external-data.escape", tf->offset, "nul", NULL,
				       "external data location of tensor %s contains a NUL byte: loaders and this "
				       "check may see different paths",
				       nbuf);
	}
	return 0;
}

/* ---- external data ------------------------------------------------------------ */

static bool is_sep(char c) { return c == '/' || c == '\\'; }

/* Absolute (POSIX or Windows) or with a ".." component. */
static const char *lexical_escape(const char *loc)
{
	if (is_sep(loc[0]))
		return "is an absolute path";
	if (((loc[0] >= 'A' && loc[0] <= 'Z') || (loc[0] >= 'a' && loc[0] <= 'z')) && loc[1] == ':')
		return "is an absolute Windows path";
	for (const char *p = loc; *p;) {
		const char *q = p;
		while (*q && !is_sep(*q))
			q++;
		if (q - p == 2 && p[0] == '.' && p[1] == '.')
			return "climbs out of the model's folder with '..'";
		p = *q ? q + 1 : q;
	}
	return NULL;
}

/* The folder the loader resolves locations against: the directory of the
 * model path as given (onnx.load and onnxruntime do not resolve the model's
 * own symlink), then resolved. */
static void resolve_dir(ox *x)
{
	x->dir_state = -1;
	/* Only a file we mapped from disk, at the top level, has a folder:
	 * bytes inside a container or a memory buffer have none. */
	if (x->ctx->depth != 0 || !x->ctx->map_mmapped || !x->ctx->file->path)
		return;
	const char *path = x->ctx->file->path;
	const char *slash = strrchr(path, '/');
	char *given = slash ? lc_strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
	if (!given)
		return;
	char *real = realpath(given, NULL);
	if (!real) {
		free(given);
		return;
	}
	x->dir_given = given;
	x->dir_real = real;
	x->dir_state = 1;
}

/* Checks one external data reference.  This is the one place where a reader
 * touches the file system (an exception to lc.h's rule, on purpose): whether
 * a relative location escapes through a symbolic link, and whether the data
 * is there at all, can only be answered by the directory the model sits in.
 * It only resolves paths (realpath, stat); it never opens the file. */
static int check_external(ox *x, const char *tname, const lc_tensor *t, uint64_t off)
{
	const char *loc = t->external;
	const char *why = lexical_escape(loc);
	char lbuf[300];
	lc_escape((const uint8_t *)loc, strlen(loc), 200, lbuf, sizeof lbuf);
	if (strcmp(loc, "*/_ORT_MEM_ADDR_/*") == 0) {
		lc_finding_add(x->ctx, LC_SEV_HIGH, "onnx.external-data.escape", off, loc, lbuf,
			       "tensor %s uses onnxruntime's in-memory address tag as its external data location: "
			       "the loader would read process memory at an offset the file chooses",
			       tname);
		return 0;
	}
	if (why) {
		lc_finding_add(x->ctx, LC_SEV_HIGH, "onnx.external-data.escape", off, loc, lbuf,
			       "external data location of tensor %s %s: loading reads a file outside the model",
			       tname, why);
		return 0;
	}
	if (!loc[0])
		return ox_fail(x, LC_E_MALFORMED, off, "tensor with an empty external data location");
	if (x->dir_state == 0)
		resolve_dir(x);
	if (x->dir_state < 0) {
		lc_finding_add(x->ctx, LC_SEV_MEDIUM, "onnx.external-data.unresolved", off, loc, lbuf,
			       "tensor %s keeps its data in external file %s, which cannot be checked from inside "
			       "a container or a memory buffer: a symbolic link at that path where the model is "
			       "unpacked would make the loader read any file",
			       tname, lbuf);
		return 0;
	}
	for (size_t i = 0; i < x->next; i++) {
		if (strcmp(x->ext[i].location, loc) != 0)
			continue;
		if (x->ext[i].state == 0 && t->external_offset <= x->ext[i].size &&
		    t->external_length > x->ext[i].size - t->external_offset)
			return ox_fail(x, LC_E_TRUNCATED, off, "external data ends before the tensor's data");
		return 0;
	}
	if (x->next == x->capext) {
		size_t ncap = x->capext ? x->capext * 2 : 8;
		ext_seen *ne = realloc(x->ext, ncap * sizeof *ne);
		if (!ne)
			return ox_fail(x, LC_E_NOMEM, off, "out of memory");
		x->ext = ne;
		x->capext = ncap;
	}
	ext_seen *e = &x->ext[x->next];
	e->location = strdup(loc);
	if (!e->location)
		return ox_fail(x, LC_E_NOMEM, off, "out of memory");
	e->state = 0;
	e->size = 0;
	x->next++;
	char *joined = lc_strdup_printf("%s/%s", x->dir_given, loc);
	if (!joined)
		return ox_fail(x, LC_E_NOMEM, off, "out of memory");
	char *real = realpath(joined, NULL);
	if (!real) {
		int saved = errno;
		free(joined);
		e->state = 2;
		if (!x->failed) {
			x->failed = 1;
			lc_fail(x->ctx, saved == ENOENT ? LC_E_TRUNCATED : LC_E_IO, off,
				"ONNX: external data file %s of tensor %s %s", lbuf, tname,
				saved == ENOENT ? "does not exist next to the model" : "cannot be resolved");
		}
		return -1;
	}
	free(joined);
	size_t dl = strlen(x->dir_real);
	int inside = strncmp(real, x->dir_real, dl) == 0 && (real[dl] == '/' || (dl == 1 && x->dir_real[0] == '/'));
	if (!inside) {
		char rbuf[300];
		lc_escape((const uint8_t *)real, strlen(real), 200, rbuf, sizeof rbuf);
		lc_finding_add(x->ctx, LC_SEV_HIGH, "onnx.external-data.escape", off, loc, rbuf,
			       "external data location %s of tensor %s resolves outside the model's folder (to %s): "
			       "loading reads a file the model does not contain",
			       lbuf, tname, rbuf);
		e->state = 1;
		free(real);
		return 0;
	}
	struct stat st;
	int ok = stat(real, &st) == 0;
	free(real);
	if (!ok || !S_ISREG(st.st_mode)) {
		e->state = 2;
		return ox_fail(x, LC_E_MALFORMED, off, "external data location is not a regular file");
	}
	e->size = (uint64_t)st.st_size;
	if (t->external_offset > e->size || t->external_length > e->size - t->external_offset)
		return ox_fail(x, LC_E_TRUNCATED, off, "external data ends before the tensor's data");
	return 0;
}

/* ---- ValueInfoProto / TypeProto ------------------------------------------------ */

static int parse_shape(ox *x, lc_pb *parent, const lc_pb_field *sf, lc_shape *shape)
{
	lc_pb m;
	if (!lc_pb_sub(parent, sf, x->max_depth, &m))
		return pb_fail(x, parent, "shape");
	lc_pb_field f;
	int r, rank = 0;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.num != 1 || f.wire != LC_PB_LEN)
			continue;
		lc_pb d;
		lc_pb_field df;
		int64_t v = -1;
		if (!lc_pb_sub(&m, &f, x->max_depth, &d))
			return pb_fail(x, &m, "shape dimension");
		while ((r = lc_pb_next(&d, &df)) > 0)
			if (df.num == 1 && df.wire == LC_PB_VARINT)
				v = (int64_t)df.v >= 0 ? (int64_t)df.v : -1;
		if (r < 0)
			return pb_fail(x, &d, "shape dimension");
		if (rank < LC_MAX_DIMS)
			shape->dims[rank] = v;
		rank++;
	}
	if (r < 0)
		return pb_fail(x, &m, "shape");
	shape->rank = rank <= LC_MAX_DIMS ? rank : -1;
	return 0;
}

static int parse_type(ox *x, lc_pb *parent, const lc_pb_field *tf, lc_value_info *vi)
{
	lc_pb m;
	if (!lc_pb_sub(parent, tf, x->max_depth, &m))
		return pb_fail(x, parent, "type");
	lc_pb_field f;
	int r;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.wire != LC_PB_LEN)
			continue;
		if (f.num == 1 || f.num == 8) { /* tensor_type, sparse_tensor_type */
			lc_pb tt;
			lc_pb_field g;
			if (!lc_pb_sub(&m, &f, x->max_depth, &tt))
				return pb_fail(x, &m, "tensor type");
			while ((r = lc_pb_next(&tt, &g)) > 0) {
				if (g.num == 1 && g.wire == LC_PB_VARINT) {
					unsigned bits;
					vi->dtype = onnx_dtype(g.v, &bits);
				} else if (g.num == 2 && g.wire == LC_PB_LEN) {
					if (parse_shape(x, &tt, &g, &vi->shape) < 0)
						return -1;
				}
			}
			if (r < 0)
				return pb_fail(x, &tt, "tensor type");
		} else if (f.num == 4 || f.num == 5 || f.num == 7 || f.num == 9) {
			vi->dtype = LC_DT_OTHER; /* sequence, map, opaque, optional */
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "type");
	return 0;
}

/* kind: 0 input, 1 output */
static int parse_value_info(ox *x, int sg, lc_pb *parent, const lc_pb_field *vf, int kind)
{
	lc_pb m;
	if (!lc_pb_sub(parent, vf, x->max_depth, &m))
		return pb_fail(x, parent, "value info");
	lc_pb_field f;
	int r;
	const uint8_t *name = NULL;
	size_t nlen = 0;
	lc_pb_field type = {0};
	int has_type = 0;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.num == 1 && f.wire == LC_PB_LEN) {
			name = f.data;
			nlen = f.len;
		} else if (f.num == 2 && f.wire == LC_PB_LEN) {
			type = f;
			has_type = 1;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "value info");
	lc_value_info *vi = kind ? lc_graph_add_output(x->g, sg, (const char *)name, nlen)
				 : lc_graph_add_input(x->g, sg, (const char *)name, nlen);
	if (!vi)
		return -1;
	/* lc_pb_sub depends on the parent's depth only, not its position */
	if (has_type && parse_type(x, &m, &type, vi) < 0)
		return -1;
	return 0;
}

/* ---- graphs, nodes, attributes --------------------------------------------------- */

static int parse_graph_body(ox *x, int sg, lc_pb *parent, const lc_pb_field *gf);

/* Adds a subgraph for a GraphProto held by an attribute and parses it. */
static int nested_graph(ox *x, int sg, int ni, lc_pb *m, const lc_pb_field *f, const char *attr_name)
{
	/* the graph's own name, if any, names the subgraph */
	lc_pb pg;
	lc_pb_field gf;
	const uint8_t *gname = NULL;
	size_t glen = 0;
	if (!lc_pb_sub(m, f, x->max_depth, &pg))
		return pb_fail(x, m, "nested graph");
	int r;
	while ((r = lc_pb_next(&pg, &gf)) > 0)
		if (gf.num == G_NAME && gf.wire == LC_PB_LEN) {
			gname = gf.data;
			glen = gf.len;
		}
	if (r < 0)
		return pb_fail(x, &pg, "nested graph");
	const char *name;
	if (gname && glen) {
		name = lc_graph_strn(x->g, (const char *)gname, glen);
	} else {
		const lc_node *n = lc_graph_node(x->g, sg, ni);
		char *tmp = lc_strdup_printf("%s/%s", n && n->name[0] ? n->name : (n ? n->op : "?"), attr_name);
		name = lc_graph_str(x->g, tmp ? tmp : attr_name);
		free(tmp);
	}
	int child = lc_graph_add_subgraph(x->g, name, LC_SG_NESTED, sg, ni);
	if (child < 0)
		return -1;
	if (parse_graph_body(x, child, m, f) < 0)
		return -1;
	return child;
}

static int parse_attr(ox *x, int sg, int ni, lc_pb *parent, const lc_pb_field *af)
{
	lc_pb m;
	if (!lc_pb_sub(parent, af, x->max_depth, &m))
		return pb_fail(x, parent, "attribute");
	/* pass 1: name, type, counts */
	lc_pb m1 = m;
	lc_pb_field f;
	int r;
	const uint8_t *name = NULL, *ref = NULL;
	size_t nlen = 0, rlen = 0;
	uint64_t type = AT_UNDEFINED;
	int has_type = 0, has_f = 0, has_i = 0, has_s = 0, has_t = 0, has_g = 0, has_sparse = 0, has_tp = 0;
	size_t nfloats = 0, nints = 0, nstrings = 0, ngraphs = 0, ntensors = 0, nsparse = 0, ntps = 0;
	while ((r = lc_pb_next(&m1, &f)) > 0) {
		switch (f.num) {
		case A_NAME:
			if (f.wire == LC_PB_LEN) {
				name = f.data;
				nlen = f.len;
			}
			break;
		case A_REF:
			if (f.wire == LC_PB_LEN) {
				ref = f.data;
				rlen = f.len;
			}
			break;
		case A_TYPE:
			if (f.wire == LC_PB_VARINT) {
				type = f.v;
				has_type = 1;
			}
			break;
		case A_F:
			has_f = 1;
			break;
		case A_I:
			has_i = 1;
			break;
		case A_S:
			has_s = 1;
			break;
		case A_T:
			has_t = 1;
			break;
		case A_G:
			has_g = 1;
			break;
		case A_SPARSE:
			has_sparse = 1;
			break;
		case A_TP:
			has_tp = 1;
			break;
		case A_FLOATS:
			nfloats += f.wire == LC_PB_I32 ? 1 : (f.wire == LC_PB_LEN ? f.len / 4 : 0);
			break;
		case A_INTS:
			nints += count_repeated_varint(&f);
			break;
		case A_STRINGS:
			nstrings++;
			break;
		case A_GRAPHS:
			ngraphs++;
			break;
		case A_TENSORS:
			ntensors++;
			break;
		case A_SPARSES:
			nsparse++;
			break;
		case A_TYPE_PROTOS:
			ntps++;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return pb_fail(x, &m1, "attribute");
	if (!has_type) {
		/* IR version 1 had no discriminator: infer it from the field set */
		type = has_f ? AT_FLOAT : has_i ? AT_INT : has_s ? AT_STRING : has_t ? AT_TENSOR : has_g ? AT_GRAPH
		     : nfloats ? AT_FLOATS : nints ? AT_INTS : nstrings ? AT_STRINGS : ntensors ? AT_TENSORS
		     : ngraphs ? AT_GRAPHS : AT_UNDEFINED;
	}
	(void)has_sparse;
	(void)has_tp;
	(void)nsparse;
	(void)ntps;
	lc_attr *a = lc_graph_node_attr(x->g, sg, ni, (const char *)name, nlen);
	if (!a)
		return -1;
	size_t ai = lc_graph_node(x->g, sg, ni)->nattrs - 1;
	char aname[64];
	lc_escape(name, nlen, 40, aname, sizeof aname);
	if (ref && rlen) {
		/* a reference to an attribute of the enclosing function */
		a->kind = LC_ATTR_OTHER;
		a->s = lc_graph_strn(x->g, (const char *)ref, rlen);
		a->slen = rlen;
		return 0;
	}
	switch (type) {
	case AT_FLOAT:
		a->kind = LC_ATTR_FLOAT;
		break;
	case AT_INT:
		a->kind = LC_ATTR_INT;
		break;
	case AT_STRING:
		a->kind = LC_ATTR_STRING;
		break;
	case AT_TENSOR:
		a->kind = LC_ATTR_TENSOR;
		break;
	case AT_GRAPH:
		a->kind = LC_ATTR_GRAPH;
		break;
	case AT_FLOATS:
		a->kind = LC_ATTR_FLOATS;
		break;
	case AT_INTS:
		a->kind = LC_ATTR_INTS;
		break;
	case AT_STRINGS:
		a->kind = LC_ATTR_STRINGS;
		break;
	case AT_GRAPHS:
		a->kind = LC_ATTR_GRAPHS;
		break;
	default:
		a->kind = LC_ATTR_OTHER; /* tensors, sparse tensors, type protos */
		break;
	}
	/* arrays sized by pass 1; all in the arena */
	if (a->kind == LC_ATTR_FLOATS && nfloats) {
		a->floats = lc_graph_alloc(x->g, nfloats * sizeof *a->floats);
		if (!a->floats)
			return -1;
	} else if (a->kind == LC_ATTR_INTS && nints) {
		a->ints = lc_graph_alloc(x->g, nints * sizeof *a->ints);
		if (!a->ints)
			return -1;
	} else if (a->kind == LC_ATTR_STRINGS && nstrings) {
		a->strings = lc_graph_alloc(x->g, nstrings * sizeof *a->strings);
		a->string_lens = lc_graph_alloc(x->g, nstrings * sizeof *a->string_lens);
		if (!a->strings || !a->string_lens)
			return -1;
	} else if (a->kind == LC_ATTR_GRAPHS && ngraphs) {
		a->subs = lc_graph_alloc(x->g, ngraphs * sizeof *a->subs);
		if (!a->subs)
			return -1;
	}
	if (a->kind == LC_ATTR_OTHER && ntensors)
		a->n = ntensors;
	/* pass 2: values.  a may move only when this node gains attributes,
	 * which nested graphs never do; it is re-fetched after them anyway. */
	while ((r = lc_pb_next(&m, &f)) > 0) {
		a = &lc_graph_node(x->g, sg, ni)->attrs[ai];
		switch (f.num) {
		case A_F:
			if (f.wire == LC_PB_I32 && a->kind == LC_ATTR_FLOAT)
				a->f = lc_pb_float(f.v);
			break;
		case A_I:
			if (f.wire == LC_PB_VARINT && a->kind == LC_ATTR_INT)
				a->i = (int64_t)f.v;
			break;
		case A_S:
			if (f.wire == LC_PB_LEN && a->kind == LC_ATTR_STRING) {
				a->s = lc_graph_strn(x->g, (const char *)f.data, f.len);
				a->slen = f.len;
			}
			break;
		case A_FLOATS:
			if (a->kind != LC_ATTR_FLOATS || !a->floats)
				break;
			if (f.wire == LC_PB_I32 && a->n < nfloats) {
				a->floats[a->n++] = lc_pb_float(f.v);
			} else if (f.wire == LC_PB_LEN) {
				for (size_t i = 0; i + 4 <= f.len && a->n < nfloats; i += 4)
					a->floats[a->n++] = lc_pb_float(lc_le32(f.data + i));
			}
			break;
		case A_INTS:
			if (a->kind == LC_ATTR_INTS && a->ints)
				a->n += put_repeated_varint(&f, a->ints + a->n, nints - a->n);
			break;
		case A_STRINGS:
			if (f.wire == LC_PB_LEN && a->kind == LC_ATTR_STRINGS && a->strings && a->n < nstrings) {
				a->strings[a->n] = lc_graph_strn(x->g, (const char *)f.data, f.len);
				a->string_lens[a->n++] = f.len;
			}
			break;
		case A_T:
		case A_TENSORS:
			if (f.wire == LC_PB_LEN) {
				lc_tensor *t = lc_graph_alloc(x->g, sizeof *t);
				tinfo ti;
				if (!t || parse_tensor(x, &m, &f, t, &ti) < 0)
					return -1;
				a = &lc_graph_node(x->g, sg, ni)->attrs[ai];
				if (f.num == A_T && a->kind == LC_ATTR_TENSOR)
					a->tensor = t;
			}
			break;
		case A_G:
		case A_GRAPHS:
			if (f.wire == LC_PB_LEN) {
				int child = nested_graph(x, sg, ni, &m, &f, aname);
				if (child < 0)
					return -1;
				a = &lc_graph_node(x->g, sg, ni)->attrs[ai];
				if (f.num == A_G && a->kind == LC_ATTR_GRAPH)
					a->sub = child;
				else if (f.num == A_GRAPHS && a->kind == LC_ATTR_GRAPHS && a->subs && a->n < ngraphs)
					a->subs[a->n++] = child;
			}
			break;
		case A_SPARSE:
		case A_SPARSES:
			if (f.wire == LC_PB_LEN) {
				/* values and indices are TensorProtos: checked for
				 * external data like any other tensor */
				lc_pb sp;
				lc_pb_field sf;
				if (!lc_pb_sub(&m, &f, x->max_depth, &sp))
					return pb_fail(x, &m, "sparse tensor");
				while ((r = lc_pb_next(&sp, &sf)) > 0) {
					if ((sf.num == 1 || sf.num == 2) && sf.wire == LC_PB_LEN) {
						lc_tensor tmp;
						tinfo ti;
						memset(&tmp, 0, sizeof tmp);
						if (parse_tensor(x, &sp, &sf, &tmp, &ti) < 0)
							return -1;
					}
				}
				if (r < 0)
					return pb_fail(x, &sp, "sparse tensor");
			}
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "attribute");
	return 0;
}

static int parse_node(ox *x, int sg, lc_pb *parent, const lc_pb_field *nf)
{
	lc_pb m;
	if (!lc_pb_sub(parent, nf, x->max_depth, &m))
		return pb_fail(x, parent, "node");
	/* pass 1: the identity (domain comes after the attributes on the wire) */
	lc_pb m1 = m;
	lc_pb_field f;
	int r;
	const uint8_t *name = NULL, *op = NULL, *dom = NULL;
	size_t nlen = 0, oplen = 0, dlen = 0;
	while ((r = lc_pb_next(&m1, &f)) > 0) {
		if (f.wire != LC_PB_LEN)
			continue;
		if (f.num == N_NAME) {
			name = f.data;
			nlen = f.len;
		} else if (f.num == N_OP) {
			op = f.data;
			oplen = f.len;
		} else if (f.num == N_DOMAIN) {
			dom = f.data;
			dlen = f.len;
		}
	}
	if (r < 0)
		return pb_fail(x, &m1, "node");
	int ni = lc_graph_add_node(x->g, sg, NULL, NULL, NULL, nf->offset);
	if (ni < 0)
		return -1;
	lc_node *n = lc_graph_node(x->g, sg, ni);
	n->name = lc_graph_strn(x->g, (const char *)name, nlen);
	n->op = lc_graph_strn(x->g, (const char *)op, oplen);
	n->domain = lc_graph_strn(x->g, (const char *)dom, dlen);
	/* pass 2: edges and attributes */
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.wire != LC_PB_LEN)
			continue;
		if (f.num == N_INPUT) {
			if (lc_graph_node_input(x->g, sg, ni, (const char *)f.data, f.len) < 0)
				return -1;
		} else if (f.num == N_OUTPUT) {
			if (lc_graph_node_output(x->g, sg, ni, (const char *)f.data, f.len) < 0)
				return -1;
		} else if (f.num == N_ATTR) {
			if (parse_attr(x, sg, ni, &m, &f) < 0)
				return -1;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "node");
	return x->g->failed ? -1 : 0;
}

static void count_params(ox *x, const tinfo *ti, const lc_tensor *t)
{
	if (!ti->elements_ok)
		return;
	x->g->params += ti->elements;
	uint64_t b = t->external ? t->external_length : ti->bytes;
	x->g->param_bytes = b > UINT64_MAX - x->g->param_bytes ? UINT64_MAX : x->g->param_bytes + b;
}

static int parse_graph_body(ox *x, int sg, lc_pb *parent, const lc_pb_field *gf)
{
	lc_pb m;
	if (!lc_pb_sub(parent, gf, x->max_depth, &m))
		return pb_fail(x, parent, "graph");
	lc_pb_field f;
	int r;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.wire != LC_PB_LEN)
			continue;
		switch (f.num) {
		case G_NODE:
			if (parse_node(x, sg, &m, &f) < 0)
				return -1;
			break;
		case G_INIT: {
			lc_tensor *t = lc_graph_alloc(x->g, sizeof *t);
			tinfo ti;
			if (!t || parse_tensor(x, &m, &f, t, &ti) < 0)
				return -1;
			lc_value_info *vi = lc_graph_add_init(x->g, sg, (const char *)ti.name, ti.name_len);
			if (!vi)
				return -1;
			vi->dtype = t->dtype;
			vi->shape = t->shape;
			vi->init = t;
			count_params(x, &ti, t);
			break;
		}
		case G_SPARSE_INIT: {
			/* values (1) and indices (2) are TensorProtos, dims (3) the
			 * dense shape */
			lc_pb sp;
			lc_pb_field sf;
			lc_tensor vals;
			tinfo vti;
			memset(&vals, 0, sizeof vals);
			memset(&vti, 0, sizeof vti);
			lc_shape dense = {.rank = 0};
			int64_t dims[LC_MAX_DIMS];
			int rank = 0;
			if (!lc_pb_sub(&m, &f, x->max_depth, &sp))
				return pb_fail(x, &m, "sparse initializer");
			while ((r = lc_pb_next(&sp, &sf)) > 0) {
				if (sf.num == 1 && sf.wire == LC_PB_LEN) {
					if (parse_tensor(x, &sp, &sf, &vals, &vti) < 0)
						return -1;
				} else if (sf.num == 2 && sf.wire == LC_PB_LEN) {
					lc_tensor idx;
					tinfo iti;
					memset(&idx, 0, sizeof idx);
					if (parse_tensor(x, &sp, &sf, &idx, &iti) < 0)
						return -1;
				} else if (sf.num == 3) {
					int64_t tmp[LC_MAX_DIMS];
					size_t got = put_repeated_varint(&sf, tmp, LC_MAX_DIMS);
					for (size_t i = 0; i < got; i++, rank++)
						if (rank < LC_MAX_DIMS)
							dims[rank] = tmp[i];
				}
			}
			if (r < 0)
				return pb_fail(x, &sp, "sparse initializer");
			lc_value_info *vi = lc_graph_add_init(x->g, sg, (const char *)vti.name, vti.name_len);
			if (!vi)
				return -1;
			dense.rank = rank <= LC_MAX_DIMS ? rank : -1;
			for (int i = 0; i < rank && i < LC_MAX_DIMS; i++)
				dense.dims[i] = dims[i];
			vi->dtype = vals.dtype;
			vi->shape = dense;
			count_params(x, &vti, &vals);
			break;
		}
		case G_INPUT:
		case G_OUTPUT:
			if (parse_value_info(x, sg, &m, &f, f.num == G_OUTPUT) < 0)
				return -1;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "graph");
	return 0;
}

/* A graph held by a field of ModelProto or TrainingInfoProto. */
static int top_graph(ox *x, lc_pb *m, const lc_pb_field *f, const char *fallback, lc_subgraph_kind kind)
{
	lc_pb pg;
	lc_pb_field gf;
	const char *name = fallback;
	int r;
	if (!lc_pb_sub(m, f, x->max_depth, &pg))
		return pb_fail(x, m, "graph");
	while ((r = lc_pb_next(&pg, &gf)) > 0)
		if (gf.num == G_NAME && gf.wire == LC_PB_LEN && gf.len)
			name = lc_graph_strn(x->g, (const char *)gf.data, gf.len);
	if (r < 0)
		return pb_fail(x, &pg, "graph");
	int sg = lc_graph_add_subgraph(x->g, name, kind, -1, -1);
	if (sg < 0)
		return -1;
	return parse_graph_body(x, sg, m, f);
}

static int parse_function(ox *x, lc_pb *parent, const lc_pb_field *ff)
{
	lc_pb m;
	if (!lc_pb_sub(parent, ff, x->max_depth, &m))
		return pb_fail(x, parent, "function");
	lc_pb m1 = m;
	lc_pb_field f;
	int r;
	const uint8_t *name = NULL, *dom = NULL;
	size_t nlen = 0, dlen = 0;
	while ((r = lc_pb_next(&m1, &f)) > 0) {
		if (f.wire != LC_PB_LEN)
			continue;
		if (f.num == F_NAME) {
			name = f.data;
			nlen = f.len;
		} else if (f.num == F_DOMAIN) {
			dom = f.data;
			dlen = f.len;
		}
	}
	if (r < 0)
		return pb_fail(x, &m1, "function");
	const char *fname = lc_graph_strn(x->g, (const char *)name, nlen);
	const char *fdom = lc_graph_strn(x->g, (const char *)dom, dlen);
	if (x->nfns == x->capfns) {
		size_t ncap = x->capfns ? x->capfns * 2 : 8;
		fn_ref *nf = realloc(x->fns, ncap * sizeof *nf);
		if (!nf)
			return ox_fail(x, LC_E_NOMEM, ff->offset, "out of memory");
		x->fns = nf;
		x->capfns = ncap;
	}
	x->fns[x->nfns].domain = fdom;
	x->fns[x->nfns].name = fname;
	x->nfns++;
	int sg = lc_graph_add_subgraph(x->g, fname, LC_SG_FUNCTION, -1, -1);
	if (sg < 0)
		return -1;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.wire != LC_PB_LEN)
			continue;
		if (f.num == F_NODE) {
			if (parse_node(x, sg, &m, &f) < 0)
				return -1;
		} else if (f.num == F_INPUT) {
			if (!lc_graph_add_input(x->g, sg, (const char *)f.data, f.len))
				return -1;
		} else if (f.num == F_OUTPUT) {
			if (!lc_graph_add_output(x->g, sg, (const char *)f.data, f.len))
				return -1;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "function");
	return 0;
}

static int parse_opset(ox *x, lc_pb *parent, const lc_pb_field *of)
{
	lc_pb m;
	lc_pb_field f;
	int r;
	const uint8_t *dom = NULL;
	size_t dlen = 0;
	int64_t version = 0;
	if (!lc_pb_sub(parent, of, x->max_depth, &m))
		return pb_fail(x, parent, "opset import");
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.num == 1 && f.wire == LC_PB_LEN) {
			dom = f.data;
			dlen = f.len;
		} else if (f.num == 2 && f.wire == LC_PB_VARINT) {
			version = (int64_t)f.v;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "opset import");
	return lc_graph_add_opset(x->g, lc_graph_strn(x->g, (const char *)dom, dlen), version);
}

static int parse_training(ox *x, lc_pb *parent, const lc_pb_field *tf, size_t idx)
{
	lc_pb m;
	lc_pb_field f;
	int r;
	if (!lc_pb_sub(parent, tf, x->max_depth, &m))
		return pb_fail(x, parent, "training info");
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if ((f.num == 1 || f.num == 2) && f.wire == LC_PB_LEN) {
			char nm[64];
			snprintf(nm, sizeof nm, "training_info[%zu].%s", idx, f.num == 1 ? "initialization" : "algorithm");
			if (top_graph(x, &m, &f, nm, LC_SG_OTHER) < 0)
				return -1;
		}
	}
	if (r < 0)
		return pb_fail(x, &m, "training info");
	return 0;
}

/* ---- judging the operators ------------------------------------------------------- */

static bool std_domain(const char *d)
{
	static const char *const std[] = {"", "ai.onnx", "ai.onnx.ml", "ai.onnx.training", "ai.onnx.preview.training",
					  "ai.onnx.preview"};
	for (size_t i = 0; i < sizeof std / sizeof std[0]; i++)
		if (strcmp(d, std[i]) == 0)
			return true;
	return false;
}

/* Domains whose kernels ship inside onnxruntime itself (contrib ops): no
 * host library is needed, so they are context, not a warning. */
static bool contrib_domain(const char *d)
{
	return strcmp(d, "com.microsoft") == 0 || strncmp(d, "com.microsoft.", 14) == 0 ||
	       strncmp(d, "com.ms.", 7) == 0;
}

static bool ieq_prefix(const char *s, const char *p)
{
	for (; *p; s++, p++)
		if (!*s || (*s | 0x20) != (*p | 0x20))
			return false;
	return true;
}

static bool icontains(const char *s, const char *needle)
{
	for (; *s; s++)
		if (ieq_prefix(s, needle))
			return true;
	return false;
}

/* Python-backed operator names: onnxruntime-extensions' PyOp/PyCustomOp,
 * onnxruntime-training's PythonOp/PythonOpGrad, torch's PythonOp fallthrough. */
static bool python_op_name(const char *op)
{
	if (icontains(op, "python"))
		return true;
	return op[0] == 'P' && op[1] == 'y' && ((op[2] >= 'A' && op[2] <= 'Z') || op[2] == '_');
}

static bool python_attr_name(const char *name)
{
	static const char *const names[] = {"script", "code", "source", "src", "python", "py", "pycode", "py_code",
					    "func", "function", "callable", "module", "lambda", "program", "command",
					    "cmd", "exec", "eval", "pickle"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(name, names[i]) == 0)
			return true;
	return icontains(name, "script") || icontains(name, "python") || icontains(name, "source");
}

static bool python_source(const char *s, size_t n)
{
	static const char *const marks[] = {"import ", "def ", "lambda", "exec(", "eval(", "__import__",
					    "os.system", "subprocess", "compile(", "__builtins__", "getattr(",
					    "open(", "socket."};
	if (n < 6 || memchr(s, 0, n))
		return false;
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if (strstr(s, marks[i]))
			return true;
	return false;
}

/* The string attribute that carries code, or NULL. */
static const lc_attr *python_attr(const lc_node *n, const char **val, size_t *vlen)
{
	for (size_t i = 0; i < n->nattrs; i++) {
		const lc_attr *a = &n->attrs[i];
		if (a->kind == LC_ATTR_STRING && a->s) {
			if ((python_attr_name(a->name) && a->slen) || python_source(a->s, a->slen)) {
				*val = a->s;
				*vlen = a->slen;
				return a;
			}
		} else if (a->kind == LC_ATTR_STRINGS) {
			for (size_t k = 0; k < a->n; k++)
				if ((python_attr_name(a->name) && a->string_lens[k]) ||
				    python_source(a->strings[k], a->string_lens[k])) {
					*val = a->strings[k];
					*vlen = a->string_lens[k];
					return a;
				}
		}
	}
	return NULL;
}

static bool local_function(const ox *x, const char *dom, const char *op)
{
	for (size_t i = 0; i < x->nfns; i++)
		if (strcmp(x->fns[i].name, op) == 0 && strcmp(x->fns[i].domain, dom) == 0)
			return true;
	return false;
}

static void judge_ops(ox *x)
{
	lc_graph *g = x->g;
	for (size_t s = 0; s < g->nsubs; s++) {
		const lc_subgraph *sg = &g->subs[s];
		for (size_t i = 0; i < sg->nnodes; i++) {
			const lc_node *n = &sg->nodes[i];
			if (std_domain(n->domain) || local_function(x, n->domain, n->op))
				continue;
			char key[300], dbuf[120], obuf[120];
			lc_escape((const uint8_t *)n->domain, strlen(n->domain), 80, dbuf, sizeof dbuf);
			lc_escape((const uint8_t *)n->op, strlen(n->op), 80, obuf, sizeof obuf);
			snprintf(key, sizeof key, "%s/%s", n->domain, n->op);
			const char *val = NULL;
			size_t vlen = 0;
			const lc_attr *pa = python_attr(n, &val, &vlen);
			if (python_op_name(n->op) || pa) {
				char ev[1024];
				if (pa) {
					char vb[260];
					lc_escape((const uint8_t *)val, vlen, 200, vb, sizeof vb);
					snprintf(ev, sizeof ev, "%s::%s %s=%s", dbuf, obuf, pa->name, vb);
				} else {
					snprintf(ev, sizeof ev, "%s::%s", dbuf, obuf);
				}
				lc_finding_add(x->ctx, LC_SEV_HIGH, "onnx.custom-op.python", n->offset, key, ev,
					       "node %s runs Python-backed custom operator %s in domain %s%s: loading "
					       "the model with its custom-op library executes Python code",
					       n->name[0] ? n->name : "(unnamed)", obuf, dbuf,
					       pa ? " and carries code in an attribute" : "");
			} else if (contrib_domain(n->domain)) {
				lc_finding_add(x->ctx, LC_SEV_INFO, "onnx.contrib-op", n->offset, key, NULL,
					       "operator %s of onnxruntime's contrib domain %s (shipped with onnxruntime)",
					       obuf, dbuf);
			} else {
				lc_finding_add(x->ctx, LC_SEV_MEDIUM, "onnx.custom-op", n->offset, key, NULL,
					       "operator %s of custom domain %s needs a host library registered at load "
					       "time (native code the model does not contain)",
					       obuf, dbuf);
			}
		}
	}
}

/* ---- bid ---------------------------------------------------------------------------- */

static bool printable(const uint8_t *p, size_t n)
{
	size_t m = n < 64 ? n : 64;
	for (size_t i = 0; i < m; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
			return false;
	return true;
}

static bool op_name_like(const uint8_t *p, size_t n)
{
	if (n == 0 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		      p[i] == '_' || p[i] == '.' || p[i] == ':' || p[i] == '-'))
			return false;
	return true;
}

/* Looks at the first fields of a GraphProto (possibly cut short): 2 when a
 * node with an op_type string is seen, 1 when the fields fit, 0 otherwise. */
static int probe_graph(const uint8_t *p, size_t n)
{
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, p, n, p);
	int fit = 0;
	for (int i = 0; i < 16; i++) {
		int r = lc_pb_next(&m, &f);
		if (r <= 0)
			return r == 0 || m.err == LC_E_TRUNCATED ? fit : 0;
		switch (f.num) {
		case G_NODE: {
			if (f.wire != LC_PB_LEN)
				return 0;
			lc_pb nm;
			lc_pb_field nf;
			lc_pb_init(&nm, f.data, f.len, f.data);
			int has_op = 0;
			for (int k = 0; k < 64; k++) {
				int rr = lc_pb_next(&nm, &nf);
				if (rr == 0)
					break;
				if (rr < 0 || nf.wire != LC_PB_LEN || nf.num < 1 || nf.num > 10)
					return 0;
				if (nf.num == N_OP) {
					if (!op_name_like(nf.data, nf.len))
						return 0;
					has_op = 1;
				}
			}
			if (has_op)
				return 2;
			fit = 1;
			break;
		}
		case G_NAME:
		case G_INIT:
		case G_DOC:
		case G_INPUT:
		case G_OUTPUT:
		case G_VALUE_INFO:
		case G_QUANT:
		case G_SPARSE_INIT:
		case G_METADATA:
			if (f.wire != LC_PB_LEN)
				return 0;
			fit = 1;
			break;
		default:
			return 0;
		}
	}
	return fit;
}

/* Structural probe: ModelProto's field numbers with their wire types,
 * ir_version a small varint, the strings printable, and a graph whose first
 * node has an op_type.  Never above 49: the bytes are only plausible
 * protobuf (TensorFlow's GraphDef and SavedModel are protobufs too, and
 * their reader bids on their own field layout). */
int lc_bid_onnx(const uint8_t *data, size_t len)
{
	if (len < 8 || data[0] != 0x08) /* writers emit ir_version (field 1) first */
		return 0;
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, data, len, data);
	int ir = 0, graph = 0, opset = 0;
	for (int i = 0; i < 64; i++) {
		const uint8_t *start = m.p;
		int r = lc_pb_next(&m, &f);
		if (r == 0)
			break;
		if (r < 0) {
			/* a graph cut short by truncation: still ours, so that
			 * the truncation is reported */
			if (m.err == LC_E_TRUNCATED && ir && *start == ((M_GRAPH << 3) | LC_PB_LEN)) {
				const uint8_t *q = start + 1;
				uint64_t glen;
				if (lc_pb_varint(&q, data + len, &glen) && probe_graph(q, (size_t)(data + len - q)) == 2)
					return 30;
			}
			return 0;
		}
		switch (f.num) {
		case M_IR:
			if (f.wire != LC_PB_VARINT || f.v == 0 || f.v > 64 || i != 0)
				return 0;
			ir = 1;
			break;
		case M_MODEL_VERSION:
			if (f.wire != LC_PB_VARINT)
				return 0;
			break;
		case M_PRODUCER:
		case M_PRODUCER_VERSION:
		case M_DOMAIN:
		case M_DOC:
			if (f.wire != LC_PB_LEN || !printable(f.data, f.len))
				return 0;
			break;
		case M_GRAPH:
			if (f.wire != LC_PB_LEN)
				return 0;
			graph = probe_graph(f.data, f.len);
			if (!graph)
				return 0;
			break;
		case M_OPSET:
			if (f.wire != LC_PB_LEN)
				return 0;
			opset = 1;
			break;
		case M_METADATA:
		case M_TRAINING:
		case M_FUNCTIONS:
		case M_CONFIG:
			if (f.wire != LC_PB_LEN)
				return 0;
			break;
		default:
			return 0;
		}
	}
	if (!ir || !graph)
		return 0;
	return graph == 2 && opset ? 40 : 30;
}

/* ---- parse ----------------------------------------------------------------------------- */

lc_err lc_parse_onnx(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	ox x;
	memset(&x, 0, sizeof x);
	x.ctx = ctx;
	x.base = data;
	x.max_depth = (unsigned)(lc_lim(ctx, LC_LIMIT_pb_max_depth) < 1000 ? lc_lim(ctx, LC_LIMIT_pb_max_depth) : 1000);
	x.g = lc_graph_new(ctx, "onnx");
	if (!x.g)
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory");
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, data, len, data);
	int r, have_graph = 0, have_opset = 0;
	uint64_t ir_version = 0;
	const uint8_t *prod = NULL, *pver = NULL;
	size_t plen = 0, pvlen = 0;
	size_t ntraining = 0;
	while ((r = lc_pb_next(&m, &f)) > 0) {
		if (f.num == M_PRODUCER && f.wire == LC_PB_LEN) {
			prod = f.data;
			plen = f.len;
		} else if (f.num == M_PRODUCER_VERSION && f.wire == LC_PB_LEN) {
			pver = f.data;
			pvlen = f.len;
		} else if (f.num == M_IR && f.wire == LC_PB_VARINT) {
			ir_version = f.v;
		} else if (f.num == M_OPSET && f.wire == LC_PB_LEN) {
			have_opset = 1;
			if (parse_opset(&x, &m, &f) < 0)
				break;
		} else if (f.num == M_GRAPH && f.wire == LC_PB_LEN) {
			if (have_graph) {
				/* protobuf merges repeated singular messages; a
				 * second graph is a file two readers may see
				 * differently */
				ox_fail(&x, LC_E_MALFORMED, f.offset, "ModelProto holds two graph fields");
				break;
			}
			have_graph = 1;
			if (top_graph(&x, &m, &f, "main_graph", LC_SG_MAIN) < 0)
				break;
		} else if (f.num == M_FUNCTIONS && f.wire == LC_PB_LEN) {
			if (parse_function(&x, &m, &f) < 0)
				break;
		} else if (f.num == M_TRAINING && f.wire == LC_PB_LEN) {
			if (parse_training(&x, &m, &f, ntraining++) < 0)
				break;
		}
		if (x.g->failed)
			break;
	}
	if (r < 0)
		pb_fail(&x, &m, "model");
	else if (!have_graph && !x.failed && !x.g->failed)
		ox_fail(&x, LC_E_MALFORMED, 0, "ModelProto has no graph");
	else if (!have_opset && ir_version >= 3 && !x.failed && !x.g->failed)
		/* IR 3 introduced opset_import and made it mandatory: runtimes
		 * refuse a model without one */
		ox_fail(&x, LC_E_MALFORMED, 0, "ModelProto has no opset_import");
	if (prod || pver) {
		char *p = lc_strdup_printf("%.*s%s%.*s", (int)(plen > 200 ? 200 : plen), prod ? (const char *)prod : "",
					   pver ? " " : "", (int)(pvlen > 100 ? 100 : pvlen),
					   pver ? (const char *)pver : "");
		if (p) {
			x.g->producer = lc_graph_str(x.g, p);
			free(p);
		}
	}
	if (x.failed)
		x.g->failed = 1;
	int failed = x.g->failed;
	/* judged even when parsing stopped early: findings before an error are kept */
	judge_ops(&x);
	lc_graph_done(ctx, x.g); /* takes the graph */
	for (size_t i = 0; i < x.next; i++)
		free(x.ext[i].location);
	free(x.ext);
	free(x.fns);
	free(x.dir_real);
	free(x.dir_given);
	return failed ? (ctx->file->error_code ? ctx->file->error_code : LC_E_MALFORMED) : LC_OK;
}
