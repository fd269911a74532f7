/*
 * The graph model: one representation of a model's computation that every
 * graph format (TensorFlow GraphDef/SavedModel, ONNX, TFLite, Keras) is read
 * into, and that every graph analysis (dangerous ops, architectural
 * backdoors, `laocoon inspect`, `laocoon graph`) runs on unchanged.
 *
 * Shape of the model
 *   lc_graph        one model: format, producer, opsets, subgraphs, signatures
 *   lc_subgraph     a list of nodes with named inputs and outputs: the main
 *                   graph, a function of a library, or a graph nested in a
 *                   node attribute (ONNX If/Loop/Scan bodies, TF functions)
 *   lc_node         an operation: op type, domain, named inputs and outputs,
 *                   attributes, the byte offset it was read from
 *   lc_attr         a typed attribute; tensors keep a pointer into the view
 *                   (never a copy) and graph-valued attributes refer to
 *                   another subgraph by index
 *   lc_value_info   a graph input/output/initializer with dtype and shape
 *
 * Edges are by name, as in the formats themselves: an input string of a node
 * names an output of another node of the same subgraph (or a graph input or
 * initializer, or - for nested graphs - a value of an enclosing graph).
 * lc_graph_index() builds the name -> producer map that analyses use.
 *
 * Pointers returned by the builders (lc_node *, lc_attr *, lc_value_info *,
 * lc_subgraph *) stay valid only until the next element of the same kind is
 * added to the same container: keep indices, fill an element before adding
 * the next.
 *
 * Memory: every string and array belongs to the graph (one arena per graph)
 * and is released by lc_graph_free().  Sizes are bounded by the limits
 * graph_max_nodes / graph_max_subgraphs / graph_max_attrs (reaching one is an
 * error naming it, recorded through the scan context).
 */
#ifndef LC_GRAPH_H
#define LC_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/lc.h"

/* Element types, shared by every format (each reader maps its own enum). */
typedef enum lc_dtype {
	LC_DT_UNKNOWN = 0,
	LC_DT_F32,
	LC_DT_F64,
	LC_DT_F16,
	LC_DT_BF16,
	LC_DT_I8,
	LC_DT_I16,
	LC_DT_I32,
	LC_DT_I64,
	LC_DT_U8,
	LC_DT_U16,
	LC_DT_U32,
	LC_DT_U64,
	LC_DT_BOOL,
	LC_DT_STRING,
	LC_DT_C64,
	LC_DT_C128,
	LC_DT_F8,    /* any 8-bit float */
	LC_DT_I4,    /* sub-byte ints */
	LC_DT_OTHER, /* known to the format, not to us (resource, variant ...) */
} lc_dtype;

const char *lc_dtype_name(lc_dtype dt);
/* Bytes per element, 0 when not fixed (strings, sub-byte types). */
unsigned lc_dtype_size(lc_dtype dt);

#define LC_MAX_DIMS 8

typedef struct lc_shape {
	int rank;               /* -1 unknown rank */
	int64_t dims[LC_MAX_DIMS]; /* -1 for an unknown/symbolic dimension */
} lc_shape;

/* A constant tensor.  data points into the scanned view (zero-copy) or is
 * NULL when the values live elsewhere (external data, a TF variable, a
 * checkpoint).  Analyses may read small constants (trigger values); they
 * must never touch data of big ones unless they need to. */
typedef struct lc_tensor {
	lc_dtype dtype;
	lc_shape shape;
	const uint8_t *data;    /* raw little-endian values, or NULL */
	size_t data_len;
	/* For formats that store typed repeated fields instead of raw bytes
	 * (ONNX float_data/int64_data, TF float_val/int_val): a pointer to the
	 * packed field bytes and their encoding. */
	const uint8_t *packed;  /* NULL if not used */
	size_t packed_len;
	int packed_varint;      /* 1: varints (int32/int64/bool), 0: fixed-size */
	const char *external;   /* external data location (ONNX), or NULL */
	uint64_t external_offset, external_length;
} lc_tensor;

typedef enum lc_attr_kind {
	LC_ATTR_NONE = 0,
	LC_ATTR_INT,
	LC_ATTR_FLOAT,
	LC_ATTR_STRING, /* bytes: s, slen (NUL-terminated copy in the arena) */
	LC_ATTR_INTS,
	LC_ATTR_FLOATS,
	LC_ATTR_STRINGS,
	LC_ATTR_TENSOR,
	LC_ATTR_GRAPH,  /* subgraph index in sub */
	LC_ATTR_GRAPHS, /* subgraph indices in subs[n] */
	LC_ATTR_FUNC,   /* TF function reference: s = function name */
	LC_ATTR_TYPE,   /* dtype in i */
	LC_ATTR_SHAPE,  /* shape */
	LC_ATTR_BOOL,   /* i = 0/1 */
	LC_ATTR_OTHER,
} lc_attr_kind;

typedef struct lc_attr {
	const char *name;
	lc_attr_kind kind;
	int64_t i;
	double f;
	const char *s;
	size_t slen;
	int64_t *ints;
	double *floats;
	const char **strings;
	size_t *string_lens;
	size_t n;
	lc_tensor *tensor;
	int sub;
	int *subs;
	lc_shape shape;
} lc_attr;

typedef struct lc_node {
	const char *name;
	const char *op;      /* op type: "MatMul", "ReadFile", "Conv2D" ... */
	const char *domain;  /* ONNX domain ("" = ai.onnx), TFLite "custom"/"flex", Keras module; "" if none */
	const char **inputs; /* value names; TF control inputs keep their "^" */
	size_t ninputs;
	const char **outputs;
	size_t noutputs;
	lc_attr *attrs;
	size_t nattrs, capattrs;
	uint64_t offset;     /* byte offset in the member the node was read from */
	const char *device;  /* TF device string, or NULL */
} lc_node;

typedef struct lc_value_info {
	const char *name;
	lc_dtype dtype;
	lc_shape shape;
	lc_tensor *init; /* initializer / constant value, or NULL */
} lc_value_info;

typedef enum lc_subgraph_kind {
	LC_SG_MAIN = 0,  /* the model's graph (a TF MetaGraph's graph_def, ONNX graph, TFLite subgraph 0) */
	LC_SG_FUNCTION,  /* a function of a library (TF FunctionDef, ONNX model-local function) */
	LC_SG_NESTED,    /* a graph held by a node attribute (If/Loop/Scan branches, TF dataset graphs) */
	LC_SG_OTHER,     /* further TFLite subgraphs, extra MetaGraphs */
} lc_subgraph_kind;

typedef struct lc_subgraph {
	const char *name;
	lc_subgraph_kind kind;
	int parent;        /* enclosing subgraph for LC_SG_NESTED, else -1 */
	int parent_node;   /* node index in parent holding it, else -1 */
	lc_node *nodes;
	size_t nnodes, capnodes;
	lc_value_info *inputs;
	size_t ninputs, capinputs;
	lc_value_info *outputs;
	size_t noutputs, capoutputs;
	lc_value_info *inits; /* initializers / constants / weights */
	size_t ninits, capinits;
} lc_subgraph;

/* A serving entry point (TF SignatureDef, TFLite SignatureDef). */
typedef struct lc_signature {
	const char *name;
	int subgraph;
	const char **inputs, **outputs; /* tensor names */
	size_t ninputs, noutputs;
} lc_signature;

typedef struct lc_opset {
	const char *domain;
	int64_t version;
} lc_opset;

typedef struct lc_graph {
	const char *format;   /* "onnx", "tf-savedmodel", "tf-graphdef", "tflite", "keras" */
	const char *producer; /* producer name/version string, or NULL */
	lc_subgraph *subs;
	size_t nsubs, capsubs;
	lc_signature *sigs;
	size_t nsigs, capsigs;
	lc_opset *opsets;
	size_t nopsets, capopsets;
	uint64_t params;      /* parameter count, when known */
	uint64_t param_bytes; /* bytes of weights, when known */
	struct lc_graph_arena *arena;
	lc_ctx *ctx;          /* for limit errors; may be NULL */
	size_t total_nodes;
	int failed;           /* an allocation or limit failed: the graph is incomplete */
	struct lc_graph_index *index; /* built by lc_graph_index(), freed with the graph */
} lc_graph;

/* ---- building ----------------------------------------------------------
 * Every function returns NULL / -1 on failure (allocation or a limit, which
 * is then recorded in ctx and sets g->failed); callers may check g->failed
 * once at the end. */
lc_graph *lc_graph_new(lc_ctx *ctx, const char *format);
void lc_graph_free(lc_graph *g);

/* Copies n bytes into the arena, NUL-terminated.  s may be NULL when n == 0. */
const char *lc_graph_strn(lc_graph *g, const char *s, size_t n);
const char *lc_graph_str(lc_graph *g, const char *s);
/* Arena allocation, zeroed, freed with the graph. */
void *lc_graph_alloc(lc_graph *g, size_t n);

/* Returns the new subgraph's index. */
int lc_graph_add_subgraph(lc_graph *g, const char *name, lc_subgraph_kind kind, int parent, int parent_node);
/* Returns the new node's index in subgraph sg. The node's strings are copied. */
int lc_graph_add_node(lc_graph *g, int sg, const char *name, const char *op, const char *domain, uint64_t offset);
lc_node *lc_graph_node(lc_graph *g, int sg, int node);
/* Input/output names; copied. */
int lc_graph_node_input(lc_graph *g, int sg, int node, const char *name, size_t len);
int lc_graph_node_output(lc_graph *g, int sg, int node, const char *name, size_t len);
/* A new attribute of the node (name copied), zeroed: fill kind and value. */
lc_attr *lc_graph_node_attr(lc_graph *g, int sg, int node, const char *name, size_t len);
/* Graph inputs/outputs/initializers; name copied. */
lc_value_info *lc_graph_add_input(lc_graph *g, int sg, const char *name, size_t len);
lc_value_info *lc_graph_add_output(lc_graph *g, int sg, const char *name, size_t len);
lc_value_info *lc_graph_add_init(lc_graph *g, int sg, const char *name, size_t len);
lc_signature *lc_graph_add_signature(lc_graph *g, const char *name, int sg);
int lc_graph_signature_io(lc_graph *g, lc_signature *s, int output, const char *name, size_t len);
int lc_graph_add_opset(lc_graph *g, const char *domain, int64_t version);

/* ---- querying ----------------------------------------------------------- */

const lc_attr *lc_node_attr(const lc_node *n, const char *name);

/* Finds the node of subgraph sg that produces value name (ONNX output name,
 * TF "node", "node:1" or "node:out:0" forms), or -1 (a graph input,
 * initializer or unknown).  Builds the index on first use. */
int lc_graph_producer(lc_graph *g, int sg, const char *name);
/* Finds an initializer/constant value by name in sg, or NULL. */
const lc_value_info *lc_graph_init(lc_graph *g, int sg, const char *name);
/* Total nodes over all subgraphs. */
size_t lc_graph_node_count(const lc_graph *g);

/* ---- analysis hook ------------------------------------------------------
 * Called by every graph reader once its graph is complete: runs the graph
 * analyses (dangerous-op tables live with the readers; architectural
 * backdoor detection lives in src/analyze/) and, when the scan keeps graphs
 * (laocoon inspect / graph), hands the graph over to the file result.
 * Always takes ownership of g. */
void lc_graph_done(lc_ctx *ctx, lc_graph *g);

/* Analyses registered in src/graph/analyses.def run in order on each graph. */
#define LC_GRAPH_ANALYSIS(id) void lc_graph_analyze_##id(lc_ctx *ctx, lc_graph *g);
#include "analyses.def"
#undef LC_GRAPH_ANALYSIS

#endif
