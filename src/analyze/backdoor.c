/*
 * Architectural backdoor detection (see backdoor.h for what it looks for).
 *
 * Pipeline
 *   1. build   inline the graph into one value graph ("IR"): every call of
 *              a TF function, every ONNX If/Loop/Scan body, every TFLite
 *              IF/WHILE subgraph becomes nodes of its own instance, with
 *              arguments and results joined by aliases.  No recursion: a
 *              queue of instances, a depth bound and a node budget (the
 *              graph_max_nodes limit; reaching it is an error, never a
 *              silent "clean").
 *   2. order   topological order (Kahn); nodes on cycles (TF1 while loops)
 *              run last with what is known.
 *   3. facts   per value, forwards: depends on input data?  folded small
 *              constant?  element count, learned parameters upstream (the
 *              weights of the longest chain), gate-likeness (boolean or
 *              saturated), trigger signals (compare with a constant, exact
 *              match or tight range, region slice, reduction, high-gain
 *              saturation).  Backwards: learned parameters downstream to an
 *              output, which output it reaches, whether a softmax follows.
 *   4. score   every selector - Where/Select, If (per output), Switch/Merge,
 *              arithmetic blend a*m + b*(1-m), nudge a + m*d, suppression
 *              a*(1-m) - with gate, model branch and payload; legitimate
 *              shapes (self-gating clamps/NaN guards/thresholds, masks,
 *              mode flags, gates as deep as the branch they gate) are ruled
 *              out or capped; the rest is scored and the evidence path
 *              (input -> trigger -> selector -> output, payload, model
 *              branch) extracted.
 */
#include "analyze/backdoor.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tunables (why: see the scoring comment in score_candidate) ---------- */
#define BD_MAX_DEPTH 24        /* nested calls inlined */
#define BD_FOLD_MAX 4096       /* elements of a folded constant */
#define BD_SMALL_NET 4096      /* parameters of a learned op still "small" (trigger sub-network) */
#define BD_ELEMWISE_WEIGHT 16  /* elementwise operand this large counts as learned (bias, scale) */
#define BD_SEARCH_MAX 200000   /* values visited by one ancestry search */
#define BD_PATH_MAX 48         /* steps of one path segment */
#define BD_MAX_CANDIDATES 1000 /* candidates listed per graph, best first */
#define LC_BD_THRESHOLD 7      /* score for HIGH */
#define LC_BD_CRITICAL 10      /* score for CRITICAL */
#define LC_BD_REPORT_MIN 4     /* candidates listed (MEDIUM/LOW below HIGH) */

/* ---- arena for the report -------------------------------------------------- */
struct lc_bd_arena {
	struct lc_bd_arena *next;
	size_t used, cap;
	max_align_t data[];
};

static void *arena_alloc(struct lc_bd_arena **a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!*a || (*a)->cap - (*a)->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		struct lc_bd_arena *b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = *a;
		b->used = 0;
		b->cap = cap;
		*a = b;
	}
	void *p = (char *)(*a)->data + (*a)->used;
	(*a)->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_printf(struct lc_bd_arena **a, const char *fmt, ...) LC_PRINTF(2, 3);
static char *arena_printf(struct lc_bd_arena **a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = arena_alloc(a, (size_t)n + 1);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

const char *lc_bd_role_name(lc_bd_role r)
{
	static const char *const names[] = {"input", "feature", "trigger", "const",
	                                    "selector", "payload", "model", "output"};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

/* ---- op classes ---------------------------------------------------------- */
typedef enum opk {
	K_OTHER = 0, /* data flows through; no special meaning */
	K_IDENT,     /* values unchanged (Identity, Reshape, Squeeze, Transpose, ReadVariableOp ...) */
	K_CAST,
	K_CONST,     /* Const / Constant */
	K_VAR,       /* VarHandleOp / VariableV2: a weight */
	K_INPUT,     /* Placeholder */
	K_SHAPE,     /* Shape, Size, ZerosLike ...: no data dependence */
	K_FILL,      /* ConstantOfShape, Fill: value from a constant */
	K_CMP,       /* Equal, Less, ... */
	K_LOGIC,     /* And, Or, Not, Xor */
	K_ISNAN,     /* IsNaN, IsInf, IsFinite */
	K_SELECT,    /* Where / Select / SelectV2 */
	K_SLICE,     /* Slice, StridedSlice, Gather, Split ... */
	K_REDUCE,    /* ReduceMax, TF Max, ... */
	K_ADD, K_SUB, K_MUL, K_DIV,
	K_NEG, K_ABS, K_SQUARE,
	K_MINMAX,    /* elementwise Min/Max/Maximum/Minimum */
	K_SAT,       /* Sigmoid, Tanh, HardSigmoid, Clip, Relu6, Sign, step functions */
	K_RELU,
	K_SOFTMAX,
	K_LEARNED,   /* Conv, MatMul, Gemm, Einsum, RNNs, embedding lookups, norms */
	K_CONCAT,
	K_IF, K_WHILE, K_LOOP, K_SCAN, K_CALL, K_CASE,
	K_SWITCH, K_MERGE,
	K_SINKISH,   /* saver/assign/no-op: never a root */
} opk;

typedef struct opdef {
	const char *name; /* normalized: lower case, no '_' */
	opk k;
} opdef;

/* Sorted by name for bsearch. */
static const opdef opdefs[] = {
	{"abs", K_ABS},
	{"add", K_ADD},
	{"addn", K_ADD},
	{"addv2", K_ADD},
	{"all", K_REDUCE},
	{"and", K_LOGIC},
	{"any", K_REDUCE},
	{"argmax", K_REDUCE},
	{"argmin", K_REDUCE},
	{"assignvariableop", K_SINKISH},
	{"batchmatmul", K_LEARNED},
	{"batchmatmulv2", K_LEARNED},
	{"batchmatmulv3", K_LEARNED},
	{"batchnormalization", K_LEARNED},
	{"biasadd", K_ADD},
	{"broadcastto", K_IDENT},
	{"case", K_CASE},
	{"cast", K_CAST},
	{"ceil", K_SAT},
	{"clip", K_SAT},
	{"clipbyvalue", K_SAT},
	{"concat", K_CONCAT},
	{"concatenate", K_CONCAT},
	{"concatenation", K_CONCAT},
	{"concatv2", K_CONCAT},
	{"const", K_CONST},
	{"constant", K_CONST},
	{"constantofshape", K_FILL},
	{"conv", K_LEARNED},
	{"conv1d", K_LEARNED},
	{"conv2d", K_LEARNED},
	{"conv2dtranspose", K_LEARNED},
	{"conv3d", K_LEARNED},
	{"convinteger", K_LEARNED},
	{"convtranspose", K_LEARNED},
	{"dense", K_LEARNED},
	{"depthwiseconv2d", K_LEARNED},
	{"depthwiseconv2dnative", K_LEARNED},
	{"dequantize", K_IDENT},
	{"dequantizelinear", K_IDENT},
	{"div", K_DIV},
	{"divide", K_DIV},
	{"dropout", K_IDENT},
	{"einsum", K_LEARNED},
	{"embedding", K_LEARNED},
	{"embeddinglookup", K_LEARNED},
	{"enter", K_IDENT},
	{"equal", K_CMP},
	{"exit", K_IDENT},
	{"expand", K_IDENT},
	{"expanddims", K_IDENT},
	{"fill", K_FILL},
	{"flatten", K_IDENT},
	{"floor", K_SAT},
	{"fullyconnected", K_LEARNED},
	{"fusedbatchnorm", K_LEARNED},
	{"fusedbatchnormv2", K_LEARNED},
	{"fusedbatchnormv3", K_LEARNED},
	{"gather", K_SLICE},
	{"gatherelements", K_SLICE},
	{"gathernd", K_SLICE},
	{"gatherv2", K_SLICE},
	{"gemm", K_LEARNED},
	{"getitem", K_SLICE},
	{"globalaveragepool", K_REDUCE},
	{"globallppool", K_REDUCE},
	{"globalmaxpool", K_REDUCE},
	{"greater", K_CMP},
	{"greaterequal", K_CMP},
	{"greaterorequal", K_CMP},
	{"gru", K_LEARNED},
	{"hardsigmoid", K_SAT},
	{"hardtanh", K_SAT},
	{"identity", K_IDENT},
	{"identityn", K_IDENT},
	{"if", K_IF},
	{"isfinite", K_ISNAN},
	{"isinf", K_ISNAN},
	{"isnan", K_ISNAN},
	{"layernormalization", K_LEARNED},
	{"less", K_CMP},
	{"lessequal", K_CMP},
	{"lessorequal", K_CMP},
	{"logicaland", K_LOGIC},
	{"logicalnot", K_LOGIC},
	{"logicalor", K_LOGIC},
	{"logistic", K_SAT},
	{"logsoftmax", K_SOFTMAX},
	{"loop", K_LOOP},
	{"lstm", K_LEARNED},
	{"matmul", K_LEARNED},
	{"matmulinteger", K_LEARNED},
	{"max", K_REDUCE},
	{"maximum", K_MINMAX},
	{"mean", K_REDUCE},
	{"merge", K_MERGE},
	{"mergev2checkpoints", K_SINKISH},
	{"min", K_REDUCE},
	{"minimum", K_MINMAX},
	{"mul", K_MUL},
	{"multiply", K_MUL},
	{"neg", K_NEG},
	{"negative", K_NEG},
	{"noop", K_SINKISH},
	{"not", K_LOGIC},
	{"notequal", K_CMP},
	{"onehot", K_OTHER},
	{"oneslike", K_SHAPE},
	{"or", K_LOGIC},
	{"partitionedcall", K_CALL},
	{"placeholder", K_INPUT},
	{"placeholderv2", K_INPUT},
	{"placeholderwithdefault", K_INPUT},
	{"preventgradient", K_IDENT},
	{"prod", K_REDUCE},
	{"qlinearconv", K_LEARNED},
	{"qlinearmatmul", K_LEARNED},
	{"quantizelinear", K_IDENT},
	{"rank", K_SHAPE},
	{"readvariableop", K_IDENT},
	{"realdiv", K_DIV},
	{"reducemax", K_REDUCE},
	{"reduceall", K_REDUCE},
	{"reduceany", K_REDUCE},
	{"reducel1", K_REDUCE},
	{"reducel2", K_REDUCE},
	{"reducelogsumexp", K_REDUCE},
	{"reducemean", K_REDUCE},
	{"reducemin", K_REDUCE},
	{"reduceprod", K_REDUCE},
	{"reducesum", K_REDUCE},
	{"reducesumsquare", K_REDUCE},
	{"relu", K_RELU},
	{"relu6", K_SAT},
	{"relun1to1", K_SAT},
	{"reshape", K_IDENT},
	{"resourcegather", K_LEARNED},
	{"restorev2", K_SINKISH},
	{"rnn", K_LEARNED},
	{"round", K_SAT},
	{"savev2", K_SINKISH},
	{"scan", K_SCAN},
	{"select", K_SELECT},
	{"selectv2", K_SELECT},
	{"shape", K_SHAPE},
	{"shapen", K_SHAPE},
	{"sigmoid", K_SAT},
	{"sign", K_SAT},
	{"size", K_SHAPE},
	{"slice", K_SLICE},
	{"snapshot", K_IDENT},
	{"softmax", K_SOFTMAX},
	{"softsign", K_SAT},
	{"split", K_SLICE},
	{"splitv", K_SLICE},
	{"square", K_SQUARE},
	{"squareddifference", K_SQUARE},
	{"squeeze", K_IDENT},
	{"statefulpartitionedcall", K_CALL},
	{"statelesscase", K_CASE},
	{"statelessif", K_IF},
	{"statelesswhile", K_WHILE},
	{"stopgradient", K_IDENT},
	{"stridedslice", K_SLICE},
	{"sub", K_SUB},
	{"subtract", K_SUB},
	{"sum", K_REDUCE},
	{"switch", K_SWITCH},
	{"tanh", K_SAT},
	{"tile", K_IDENT},
	{"transpose", K_IDENT},
	{"transposeconv", K_LEARNED},
	{"truediv", K_DIV},
	{"unsqueeze", K_IDENT},
	{"variable", K_VAR},
	{"variablev2", K_VAR},
	{"varhandleop", K_VAR},
	{"where", K_SELECT},
	{"while", K_WHILE},
	{"xor", K_LOGIC},
	{"zeroslike", K_SHAPE},
};

static int opdef_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, ((const opdef *)b)->name);
}

static opk classify_name(const char *op, int onnx)
{
	char buf[64];
	size_t j = 0;
	if (!op)
		return K_OTHER;
	/* Keras TFOpLambda "math.reduce_max": the last component */
	const char *dot = strrchr(op, '.');
	if (dot && dot[1])
		op = dot + 1;
	for (const char *p = op; *p && j + 1 < sizeof buf; p++)
		if (*p != '_')
			buf[j++] = (char)tolower((unsigned char)*p);
	buf[j] = 0;
	if (onnx) {
		/* ONNX Max/Min/Sum/Mean are elementwise and variadic */
		if (!strcmp(buf, "max") || !strcmp(buf, "min"))
			return K_MINMAX;
		if (!strcmp(buf, "sum"))
			return K_ADD;
		if (!strcmp(buf, "mean"))
			return K_OTHER;
	}
	if (!strncmp(buf, "reduce", 6) && strlen(buf) > 6) {
		const opdef *d = bsearch(buf, opdefs, sizeof opdefs / sizeof opdefs[0], sizeof opdefs[0], opdef_cmp);
		return d ? d->k : K_REDUCE;
	}
	const opdef *d = bsearch(buf, opdefs, sizeof opdefs / sizeof opdefs[0], sizeof opdefs[0], opdef_cmp);
	return d ? d->k : K_OTHER;
}

/* ---- IR ----------------------------------------------------------------- */

/* value flags */
#define V_DEP 0x1u      /* depends on the data of a graph input */
#define V_INPUT 0x2u    /* a graph input itself */
#define V_GATE 0x4u     /* boolean or saturated: usable as a gate */
#define V_ABSDIFF 0x8u  /* |x - c| or (x - c)^2 of a constant c */
#define V_LIT 0x10u     /* a literal tensor (initializer / Const) */
#define V_WEIGHT 0x20u  /* a variable (weight, values elsewhere) */
#define V_SMX 0x40u     /* flows into a softmax through value-preserving ops */
#define V_CMPC 0x80u    /* result of a comparison with a constant */
#define V_NEG1 0x100u   /* 1 - gate */
#define V_UNIFORM 0x200u /* a constant whose elements are all equal (a fill) */
#define V_INDEX 0x400u   /* an index (ArgMax, TopK indices, NonZero) or arithmetic on one */

/* trigger signals */
#define S_CMP 0x1u    /* compared with a constant */
#define S_EXACT 0x2u  /* equality, tight range, or |x - c| < eps */
#define S_REGION 0x4u /* a constant slice/gather of the data */
#define S_REDUCE 0x8u /* reduced (per-sample decision) */
#define S_SAT 0x10u   /* saturating activation behind a large gain */
#define S_NE 0x20u    /* not-equal only (padding-mask idiom) */
#define S_SMALLNET 0x40u /* passed through a small learned op */

typedef struct cval {
	double *v;
	size_t n;
	lc_shape shape;
} cval;

typedef struct bval {
	int prod;      /* IR node, or -1 */
	int alias;     /* value this one stands for, or -1 */
	int next_out;  /* next output of the same node */
	int outidx;
	int sg, node;  /* original location (node -1: input/initializer/argument) */
	const char *name;
	uint32_t flags, sig;
	uint64_t inmask;
	int64_t nelem;    /* -1 unknown */
	uint64_t params;  /* learned parameters upstream (longest chain) */
	uint32_t nlearned;
	double gain;      /* largest constant multiplier since the last saturation */
	int cv;           /* folded constant, or -1 */
	const lc_tensor *lit;
	int sw_pred;      /* Switch tag: predicate value, -1 */
	int sw_side;
	int64_t down;     /* learned parameters from here to an output, -1 if none reached */
	int root;         /* output reached, -1 */
	int input_index;  /* graph input number, -1 */
	int region;       /* IR node of the nearest constant slice upstream, -1 */
} bval;

typedef struct bnode {
	int sg, node;     /* original */
	int inst;
	opk k;
	int sel;          /* selector kind for synthetic selects: 1 where, 2 if, 3 merge */
	int *in;          /* nin data inputs, then nctl control inputs (TF "^node") */
	uint32_t nin, nctl;
	int out;          /* first output value, -1 */
	uint64_t own;     /* own learned parameters */
} bnode;

typedef struct binst {
	int sg, parent, depth;
	size_t first; /* IR index of the instance's first node */
} binst;

typedef struct hent {
	const char *name;
	uint32_t len, hash;
	int inst;
	int node;  /* TF-style: node whose outputs are "name", "name:k" */
	int value; /* explicit value */
} hent;

typedef struct bd {
	lc_ctx *ctx;
	lc_graph *g;
	int onnx, tf;
	bval *v;
	size_t nv, capv;
	bnode *n;
	size_t nn, capn;
	binst *inst;
	size_t ninst, capinst;
	hent *h;
	size_t hcap, hcount;
	cval *cv;
	size_t ncv, capcv;
	struct lc_bd_arena *tmp; /* IR lifetime */
	int *queue;
	size_t nqueue, capqueue, qhead;
	uint64_t budget;
	int failed;
	int *roots;
	size_t nroots, caproots;
	const char **root_names;
	/* consumer CSR */
	int *cons_off, *cons;
	int *order;
	size_t norder;
	int *mark;
	int markgen;
	uint64_t model_params; /* the largest parameter count reaching an output */
	uint64_t search_left;  /* ancestry visits left for the whole graph */
	int *stack;            /* ancestry walk stack (BD_SEARCH_MAX) */
	int debug;             /* LAOCOON_BD_DEBUG: every scored selector on stderr */
} bd;

#define GROW(arr, n, cap, fail)                                                  \
	do {                                                                     \
		if ((n) >= (cap)) {                                              \
			size_t nc_ = (cap) ? (cap) * 2 : 64;                     \
			void *np_ = realloc((arr), nc_ * sizeof *(arr));         \
			if (!np_) {                                              \
				fail;                                            \
			}                                                        \
			(arr) = np_;                                             \
			(cap) = nc_;                                             \
		}                                                                \
	} while (0)

static uint32_t strhash(const char *s, size_t n, int inst)
{
	uint32_t h = 2166136261u ^ (uint32_t)inst * 16777619u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h ? h : 1;
}

static int oom(bd *b)
{
	b->failed = 1;
	return -1;
}

static int hgrow(bd *b)
{
	size_t ncap = b->hcap ? b->hcap * 2 : 1024;
	hent *nh = calloc(ncap, sizeof *nh);
	if (!nh)
		return oom(b);
	for (size_t i = 0; i < b->hcap; i++) {
		hent *e = &b->h[i];
		if (!e->hash)
			continue;
		size_t j = e->hash & (ncap - 1);
		while (nh[j].hash)
			j = (j + 1) & (ncap - 1);
		nh[j] = *e;
	}
	free(b->h);
	b->h = nh;
	b->hcap = ncap;
	return 0;
}

/* Finds (inst, name) or the slot to insert it. */
static hent *hfind(bd *b, int inst, const char *name, size_t len, int insert)
{
	if (insert && (b->hcount + 1) * 2 > b->hcap && hgrow(b))
		return NULL;
	if (!b->hcap)
		return NULL;
	uint32_t h = strhash(name, len, inst);
	size_t j = h & (b->hcap - 1);
	while (b->h[j].hash) {
		hent *e = &b->h[j];
		if (e->hash == h && e->inst == inst && e->len == len && memcmp(e->name, name, len) == 0)
			return e;
		j = (j + 1) & (b->hcap - 1);
	}
	if (!insert)
		return NULL;
	hent *e = &b->h[j];
	e->hash = h;
	e->inst = inst;
	e->name = name;
	e->len = (uint32_t)len;
	e->node = -1;
	e->value = -1;
	b->hcount++;
	return e;
}

static int new_value(bd *b, int sg, int node, const char *name)
{
	GROW(b->v, b->nv, b->capv, return oom(b));
	bval *v = &b->v[b->nv];
	memset(v, 0, sizeof *v);
	v->prod = -1;
	v->alias = -1;
	v->next_out = -1;
	v->sg = sg;
	v->node = node;
	v->name = name ? name : "";
	v->nelem = -1;
	v->cv = -1;
	v->sw_pred = -1;
	v->down = -1;
	v->root = -1;
	v->input_index = -1;
	v->region = -1;
	return (int)b->nv++;
}

static int new_node(bd *b, int inst, int sg, int node, opk k)
{
	if (b->nn >= b->budget) {
		if (!b->failed && b->ctx)
			lc_limit_hit(b->ctx, LC_LIMIT_graph_max_nodes, LC_NO_OFFSET,
			             "graph nodes after inlining functions and control-flow bodies (backdoor analysis)");
		b->failed = 1;
		return -1;
	}
	GROW(b->n, b->nn, b->capn, return oom(b));
	bnode *n = &b->n[b->nn];
	memset(n, 0, sizeof *n);
	n->sg = sg;
	n->node = node;
	n->inst = inst;
	n->k = k;
	n->out = -1;
	return (int)b->nn++;
}

/* Output idx of IR node ni, created on first use. */
static int node_out(bd *b, int ni, int idx)
{
	if (ni < 0 || idx < 0 || idx > 4096)
		return -1;
	int last = -1;
	for (int v = b->n[ni].out; v >= 0; v = b->v[v].next_out) {
		if (b->v[v].outidx == idx)
			return v;
		last = v;
	}
	const lc_node *on = b->n[ni].node >= 0 ? &b->g->subs[b->n[ni].sg].nodes[b->n[ni].node] : NULL;
	const char *nm = on ? on->name : "";
	if (on && (size_t)idx < on->noutputs)
		nm = on->outputs[idx];
	int v = new_value(b, b->n[ni].sg, b->n[ni].node, nm);
	if (v < 0)
		return -1;
	b->v[v].prod = ni;
	b->v[v].outidx = idx;
	if (last < 0)
		b->n[ni].out = v;
	else
		b->v[last].next_out = v;
	return v;
}

static int set_name(bd *b, int inst, const char *name, int node, int value)
{
	if (!name || !*name)
		return 0;
	hent *e = hfind(b, inst, name, strlen(name), 1);
	if (!e)
		return oom(b);
	e->node = node;
	e->value = value;
	return 0;
}

/* TF output argument names of multi-output ops ("Switch:output_true:0"). */
static int tf_out_base(const char *op, const char *arg, size_t alen)
{
	static const struct {
		const char *op, *arg;
		int base;
	} t[] = {
		{"Switch", "output_true", 1}, {"RefSwitch", "output_true", 1}, {"Merge", "value_index", 1},
		{"TopKV2", "indices", 1},     {"Unique", "idx", 1},             {"FusedBatchNormV3", "batch_mean", 1},
		{"FusedBatchNormV3", "batch_variance", 2},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(op, t[i].op) && strlen(t[i].arg) == alen && !memcmp(arg, t[i].arg, alen))
			return t[i].base;
	return 0;
}

static hent *lookup_chain(bd *b, int inst, const char *s, size_t len)
{
	for (int i = inst, hops = 0; i >= 0 && hops <= BD_MAX_DEPTH + 1; i = b->inst[i].parent, hops++) {
		hent *e = hfind(b, i, s, len, 0);
		if (e)
			return e;
	}
	return NULL;
}

/* Resolves a value name in an instance: -1 omitted/unknown, -2 control input. */
static int resolve(bd *b, int inst, const char *name)
{
	if (!name || !*name)
		return -1;
	if (name[0] == '^')
		return -2;
	size_t len = strlen(name);
	hent *e = lookup_chain(b, inst, name, len);
	if (e)
		return e->value >= 0 ? e->value : node_out(b, e->node, 0);
	if (!b->tf)
		return -1;
	/* "node:k" or "node:arg:k" */
	const char *c1 = memchr(name, ':', len);
	if (!c1)
		return -1;
	const char *c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - name));
	const char *num = c2 ? c2 + 1 : c1 + 1;
	char *endp;
	long k = strtol(num, &endp, 10);
	if (endp == num || *endp || k < 0 || k > 4096)
		return -1;
	e = lookup_chain(b, inst, name, (size_t)(c1 - name));
	if (!e || e->node < 0)
		return -1;
	int base = 0;
	if (c2) {
		const bnode *bn = &b->n[e->node];
		const char *op = bn->node >= 0 ? b->g->subs[bn->sg].nodes[bn->node].op : "";
		base = tf_out_base(op, c1 + 1, (size_t)(c2 - c1 - 1));
	}
	return node_out(b, e->node, base + (int)k);
}

static int64_t shape_elems(const lc_shape *s)
{
	if (s->rank < 0)
		return -1;
	int64_t n = 1;
	for (int i = 0; i < s->rank && i < LC_MAX_DIMS; i++) {
		if (s->dims[i] < 0)
			return -1;
		if (s->dims[i] && n > INT64_MAX / s->dims[i])
			return -1;
		n *= s->dims[i];
	}
	return n;
}

/* ---- tensor values --------------------------------------------------------- */

static double half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;
	if (e == 0)
		v = ldexp(m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexp(m + 1024, e - 25);
	return (h & 0x8000) ? -v : v;
}

static double bf16_to_double(uint16_t h)
{
	uint32_t u = (uint32_t)h << 16;
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static double raw_elem(lc_dtype dt, const uint8_t *p)
{
	switch (dt) {
	case LC_DT_F32: {
		float f;
		uint32_t u = lc_le32(p);
		memcpy(&f, &u, 4);
		return f;
	}
	case LC_DT_F64: {
		double d;
		uint64_t u = (uint64_t)lc_le32(p) | ((uint64_t)lc_le32(p + 4) << 32);
		memcpy(&d, &u, 8);
		return d;
	}
	case LC_DT_F16: return half_to_double(lc_le16(p));
	case LC_DT_BF16: return bf16_to_double(lc_le16(p));
	case LC_DT_I8: return (int8_t)p[0];
	case LC_DT_U8:
	case LC_DT_BOOL: return p[0];
	case LC_DT_I16: return (int16_t)lc_le16(p);
	case LC_DT_U16: return lc_le16(p);
	case LC_DT_I32: return (int32_t)lc_le32(p);
	case LC_DT_U32: return lc_le32(p);
	case LC_DT_I64: return (double)(int64_t)((uint64_t)lc_le32(p) | ((uint64_t)lc_le32(p + 4) << 32));
	case LC_DT_U64: return (double)((uint64_t)lc_le32(p) | ((uint64_t)lc_le32(p + 4) << 32));
	default: return NAN;
	}
}

static int numeric(lc_dtype dt)
{
	return dt != LC_DT_UNKNOWN && dt != LC_DT_STRING && dt != LC_DT_OTHER && dt != LC_DT_C64 &&
	       dt != LC_DT_C128 && dt != LC_DT_F8 && dt != LC_DT_I4;
}

/* Decodes up to max values; returns how many (0 when unreadable).  A TF
 * tensor with fewer stored values than elements repeats the last one. */
static size_t tensor_values(const lc_tensor *t, double *out, size_t max)
{
	if (!t || !numeric(t->dtype))
		return 0;
	int64_t want = shape_elems(&t->shape);
	size_t n = 0;
	if (t->data && t->data_len) {
		unsigned es = lc_dtype_size(t->dtype);
		if (!es)
			return 0;
		size_t have = t->data_len / es;
		for (; n < have && n < max; n++)
			out[n] = raw_elem(t->dtype, t->data + n * es);
	} else if (t->packed && t->packed_len) {
		const uint8_t *p = t->packed, *end = t->packed + t->packed_len;
		if (t->packed_varint) {
			while (p < end && n < max) {
				uint64_t x = 0;
				int shift = 0;
				while (p < end && shift < 64) {
					uint8_t c = *p++;
					x |= (uint64_t)(c & 0x7f) << shift;
					shift += 7;
					if (!(c & 0x80))
						break;
				}
				if (t->dtype == LC_DT_F16)
					out[n++] = half_to_double((uint16_t)x);
				else if (t->dtype == LC_DT_BF16)
					out[n++] = bf16_to_double((uint16_t)x);
				else if (t->dtype == LC_DT_U64)
					out[n++] = (double)x;
				else
					out[n++] = (double)(int64_t)x;
			}
		} else if (t->dtype == LC_DT_F64) {
			for (; (size_t)(end - p) >= 8 && n < max; p += 8)
				out[n++] = raw_elem(LC_DT_F64, p);
		} else {
			for (; (size_t)(end - p) >= 4 && n < max; p += 4)
				out[n++] = raw_elem(LC_DT_F32, p);
		}
	}
	if (n && want > (int64_t)n && (size_t)want <= max && !(t->data && t->data_len)) {
		for (size_t i = n; i < (size_t)want; i++)
			out[i] = out[n - 1];
		n = (size_t)want;
	}
	return n;
}

static int new_cval(bd *b, size_t n, const lc_shape *shape)
{
	GROW(b->cv, b->ncv, b->capcv, return oom(b));
	cval *c = &b->cv[b->ncv];
	c->v = arena_alloc(&b->tmp, (n ? n : 1) * sizeof(double));
	if (!c->v)
		return oom(b);
	c->n = n;
	if (shape)
		c->shape = *shape;
	else {
		c->shape.rank = 1;
		c->shape.dims[0] = (int64_t)n;
	}
	return (int)b->ncv++;
}

/* A literal tensor as a folded constant (small ones only). */
static int lit_cval(bd *b, const lc_tensor *t)
{
	int64_t n = shape_elems(&t->shape);
	if (n < 0 || n > BD_FOLD_MAX)
		return -1;
	double tmp[BD_FOLD_MAX];
	size_t got = tensor_values(t, tmp, BD_FOLD_MAX);
	if (!got || (int64_t)got != (n ? n : 1))
		return -1;
	lc_shape sh = t->shape;
	int c = new_cval(b, got, &sh);
	if (c < 0)
		return -1;
	memcpy(b->cv[c].v, tmp, got * sizeof(double));
	return c;
}

/* ---- build ----------------------------------------------------------------- */

static int find_function(bd *b, const char *name)
{
	if (!name || !*name)
		return -1;
	hent *e = hfind(b, -7, name, strlen(name), 0);
	return e ? e->value : -1;
}

static int new_inst(bd *b, int sg, int parent, int depth)
{
	GROW(b->inst, b->ninst, b->capinst, return oom(b));
	b->inst[b->ninst].sg = sg;
	b->inst[b->ninst].parent = parent;
	b->inst[b->ninst].depth = depth;
	return (int)b->ninst++;
}

/* Pass (a) of an instance: names of inputs (bound to args, or fresh
 * graph-input values), initializers and node outputs. */
static int inst_register(bd *b, int inst, const int *args, size_t nargs, int top)
{
	const lc_subgraph *s = &b->g->subs[b->inst[inst].sg];
	int sg = b->inst[inst].sg;
	for (size_t i = 0; i < s->ninputs; i++) {
		int v;
		if (args) {
			v = i < nargs ? args[i] : -1;
			if (v < 0) {
				v = new_value(b, sg, -1, s->inputs[i].name);
				if (v < 0)
					return -1;
			}
		} else {
			v = new_value(b, sg, -1, s->inputs[i].name);
			if (v < 0)
				return -1;
			if (top) {
				b->v[v].flags |= V_DEP | V_INPUT;
				b->v[v].input_index = (int)i;
				b->v[v].inmask = i < 64 ? 1ull << i : 1ull << 63;
			}
		}
		if (set_name(b, inst, s->inputs[i].name, -1, v))
			return -1;
	}
	for (size_t i = 0; i < s->ninits; i++) {
		const lc_value_info *vi = &s->inits[i];
		int v = new_value(b, sg, -1, vi->name);
		if (v < 0)
			return -1;
		b->v[v].nelem = shape_elems(&vi->shape);
		if (vi->init) {
			b->v[v].flags |= V_LIT;
			b->v[v].lit = vi->init;
			b->v[v].cv = lit_cval(b, vi->init);
		} else {
			b->v[v].flags |= V_WEIGHT;
		}
		if (set_name(b, inst, vi->name, -1, v))
			return -1;
	}
	b->inst[inst].first = b->nn;
	for (size_t i = 0; i < s->nnodes; i++) {
		const lc_node *on = &s->nodes[i];
		int ni = new_node(b, inst, sg, (int)i, classify_name(on->op, b->onnx));
		if (ni < 0)
			return -1;
		if (b->tf) {
			/* a Placeholder of a function body is not a model input */
			if (b->n[ni].k == K_INPUT && !top)
				b->n[ni].k = K_OTHER;
			if (set_name(b, inst, on->name, ni, -1))
				return -1;
		} else {
			for (size_t o = 0; o < on->noutputs; o++) {
				int v = node_out(b, ni, (int)o);
				if (v < 0 || set_name(b, inst, on->outputs[o], -1, v))
					return -1;
			}
		}
	}
	return 0;
}

static int queue_push(bd *b, int inst)
{
	GROW(b->queue, b->nqueue, b->capqueue, return oom(b));
	b->queue[b->nqueue++] = inst;
	return 0;
}

/* Inlines subgraph sg called with args; *rets gets an arena array of the
 * values of its outputs (-1 unknown).  Returns the number of outputs, or -1.
 * Calls and bodies nested deeper than BD_MAX_DEPTH (recursion, or a graph
 * built to hide a body) stop
 * the analysis with an error: a body it cannot see is never "clean". */
static int inline_call(bd *b, int caller, int sg, const int *args, size_t nargs, int **rets, int outer_scope)
{
	*rets = NULL;
	if (sg < 0 || (size_t)sg >= b->g->nsubs)
		return -1;
	int depth = b->inst[caller].depth + 1;
	if (depth > BD_MAX_DEPTH) {
		if (!b->failed && b->ctx)
			lc_fail(b->ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET,
			        "backdoor analysis: calls and control-flow bodies nested deeper than %d",
			        BD_MAX_DEPTH);
		b->failed = 1;
		return -1;
	}
	int ci = new_inst(b, sg, outer_scope ? caller : -1, depth);
	if (ci < 0 || inst_register(b, ci, args, nargs, 0) || queue_push(b, ci))
		return -1;
	const lc_subgraph *s = &b->g->subs[sg];
	int *r = arena_alloc(&b->tmp, (s->noutputs ? s->noutputs : 1) * sizeof(int));
	if (!r)
		return oom(b);
	for (size_t i = 0; i < s->noutputs; i++) {
		r[i] = resolve(b, ci, s->outputs[i].name);
		if (r[i] < -1)
			r[i] = -1;
	}
	*rets = r;
	return (int)s->noutputs;
}

static void set_alias(bd *b, int v, int target)
{
	if (v >= 0 && target >= 0 && v != target)
		b->v[v].alias = target;
}

/* A synthetic selector node: out = cond ? a : bb. */
static int make_select(bd *b, int inst, int sg, int node, int cond, int a, int bb, int sel)
{
	int ni = new_node(b, inst, sg, node, K_SELECT);
	if (ni < 0)
		return -1;
	int *in = arena_alloc(&b->tmp, 3 * sizeof(int));
	if (!in)
		return oom(b);
	in[0] = cond;
	in[1] = a;
	in[2] = bb;
	b->n[ni].in = in;
	b->n[ni].nin = 3;
	b->n[ni].sel = sel;
	return node_out(b, ni, 0);
}

static const lc_attr *attr_kind(const lc_node *n, const char *name, lc_attr_kind k)
{
	const lc_attr *a = lc_node_attr(n, name);
	return a && a->kind == k ? a : NULL;
}

static int attr_sub(bd *b, const lc_node *on, const char *name)
{
	const lc_attr *a = lc_node_attr(on, name);
	if (!a)
		return -1;
	if (a->kind == LC_ATTR_GRAPH)
		return a->sub;
	if (a->kind == LC_ATTR_FUNC)
		return find_function(b, a->s);
	return -1;
}

/* Control flow and calls of one node (pass b). */
static int expand_node(bd *b, int ni)
{
	/* b->n moves when inlining adds nodes: keep copies, never a pointer */
	const int inst = b->n[ni].inst, sg = b->n[ni].sg, node = b->n[ni].node;
	int *const in = b->n[ni].in;
	const uint32_t nin = b->n[ni].nin;
	const lc_node *on = &b->g->subs[sg].nodes[node];
	const int tflite = b->g->format && !strcmp(b->g->format, "tflite");
	int *rets, *other;
	opk k = b->n[ni].k;
	/* a TF op named like a library function is a call */
	int callee = -1;
	if (k == K_CALL)
		callee = attr_sub(b, on, "f");
	else if (k == K_OTHER && (b->tf || (b->onnx && on->domain && *on->domain)))
		callee = find_function(b, on->op);
	if (callee >= 0) {
		int n = inline_call(b, inst, callee, in, nin, &rets, 0);
		if (n < 0)
			return b->failed ? -1 : 0;
		b->n[ni].k = K_CALL;
		for (int i = 0; i < n; i++)
			if (b->tf || i < (int)on->noutputs)
				set_alias(b, node_out(b, ni, i), rets[i]);
		return b->failed ? -1 : 0;
	}
	if (k == K_IF || k == K_CASE) {
		/* Branches, in order (If: then, else; Case: branch 0..n-1).  ONNX
		 * bodies see the outer scope and take no inputs; TF/TFLite
		 * branches take the node's inputs after the condition. */
		int subs[2] = {-1, -1};
		const lc_attr *br = k == K_CASE ? lc_node_attr(on, "branches") : NULL;
		size_t nbr = 2;
		if (k == K_IF) {
			subs[0] = attr_sub(b, on, tflite ? "then_subgraph_index" : "then_branch");
			subs[1] = attr_sub(b, on, tflite ? "else_subgraph_index" : "else_branch");
		} else if (!br || br->kind != LC_ATTR_STRINGS || br->n < 2) {
			return 0;
		} else {
			nbr = br->n;
		}
		if (nin < 1)
			return 0;
		int outer = b->onnx;
		const int *args = outer ? NULL : in + 1;
		size_t nargs = outer ? 0 : nin - 1;
		/* If: out = cond ? then : else.  Case: a chain of selects on the
		 * branch index, so a payload in any branch meets the others. */
		int n = -1;
		other = NULL;
		for (size_t j = nbr; j-- > 0;) {
			int sj = k == K_IF ? subs[j] : find_function(b, br->strings[j]);
			if (sj < 0)
				continue;
			int nj = inline_call(b, inst, sj, args, nargs, &rets, outer);
			if (nj < 0)
				return b->failed ? -1 : 0;
			if (!other) {
				other = rets;
				n = nj;
				continue;
			}
			if (nj < n)
				n = nj;
			int *sel = arena_alloc(&b->tmp, ((size_t)n ? (size_t)n : 1) * sizeof(int));
			if (!sel)
				return oom(b);
			for (int i = 0; i < n; i++)
				if ((sel[i] = make_select(b, inst, sg, node, in[0], rets[i], other[i], 2)) < 0)
					return -1;
			other = sel;
		}
		for (int i = 0; other && i < n; i++)
			set_alias(b, node_out(b, ni, i), other[i]);
		return b->failed ? -1 : 0;
	}
	if (k == K_WHILE || k == K_LOOP || k == K_SCAN) {
		/* The body once, loop-carried values bound to their initial
		 * values: enough to know what depends on what. */
		int body = attr_sub(b, on, tflite ? "body_subgraph_index" : "body");
		if (body < 0)
			return 0;
		if (b->onnx && k == K_LOOP) {
			/* body inputs: iteration number, condition, carried values */
			int *args = arena_alloc(&b->tmp, ((size_t)nin + 2) * sizeof(int));
			if (!args)
				return oom(b);
			size_t na = 0;
			if ((args[na++] = new_value(b, sg, node, "iteration")) < 0)
				return -1;
			args[na++] = nin > 1 ? in[1] : -1;
			for (uint32_t i = 2; i < nin; i++)
				args[na++] = in[i];
			int n = inline_call(b, inst, body, args, na, &rets, 1);
			/* body outputs: condition, then the Loop's outputs */
			for (int i = 1; i < n; i++)
				set_alias(b, node_out(b, ni, i - 1), rets[i]);
			return b->failed ? -1 : 0;
		}
		int n = inline_call(b, inst, body, in, nin, &rets, b->onnx);
		for (int i = 0; i < n; i++)
			set_alias(b, node_out(b, ni, i), rets[i]);
		return b->failed ? -1 : 0;
	}
	return 0;
}

/* Pass (b): resolve the inputs of every node of an instance, expand calls
 * and control flow. */
static int inst_link(bd *b, int inst)
{
	int sg = b->inst[inst].sg;
	const lc_subgraph *s = &b->g->subs[sg];
	/* nodes of this instance are contiguous from the first registered */
	size_t first = b->inst[inst].first;
	for (size_t i = 0; i < s->nnodes; i++) {
		int ni = (int)(first + i);
		const lc_node *on = &s->nodes[i];
		int *in = on->ninputs ? arena_alloc(&b->tmp, on->ninputs * sizeof(int)) : NULL;
		if (on->ninputs && !in)
			return oom(b);
		uint32_t k = 0, nctl = 0;
		for (size_t j = 0; j < on->ninputs; j++) {
			int v = resolve(b, inst, on->inputs[j]);
			if (v == -2) {
				/* control dependency: kept after the data inputs, it
				 * only carries TF1 cond branch membership */
				v = resolve(b, inst, on->inputs[j] + 1);
				if (v >= 0)
					in[on->ninputs - 1 - nctl++] = v;
				continue;
			}
			if (v < 0 && on->inputs[j] && *on->inputs[j]) {
				/* dangling: an unknown, constant-free value */
				v = new_value(b, sg, -1, on->inputs[j]);
				if (v < 0)
					return -1;
			}
			in[k++] = v;
		}
		/* control inputs were stored from the end: move them after the data */
		for (uint32_t c = 0; c < nctl; c++)
			in[k + c] = in[on->ninputs - 1 - c];
		b->n[ni].nctl = nctl;
		b->n[ni].in = in;
		b->n[ni].nin = k;
		if (b->failed)
			return -1;
	}
	for (size_t i = 0; i < s->nnodes; i++)
		if (expand_node(b, (int)(first + i)))
			return -1;
	return b->failed ? -1 : 0;
}

/* Canonical value: follows aliases (cycles broken). */
static int canon(bd *b, int v)
{
	int cur = v;
	for (int steps = 0; cur >= 0 && b->v[cur].alias >= 0; steps++) {
		if (steps > 64) {
			b->v[v].alias = -1; /* cycle or absurd chain */
			return v;
		}
		cur = b->v[cur].alias;
	}
	return cur;
}

/* ---- facts -------------------------------------------------------------- */

static const cval *cvof(const bd *b, int v) { return v >= 0 && b->v[v].cv >= 0 ? &b->cv[b->v[v].cv] : NULL; }

static int is_dep(const bd *b, int v) { return v >= 0 && (b->v[v].flags & V_DEP); }

static double cv_maxabs(const cval *c)
{
	double m = 0;
	for (size_t i = 0; c && i < c->n; i++)
		if (fabs(c->v[i]) > m || isnan(c->v[i]))
			m = isnan(c->v[i]) ? m : fabs(c->v[i]);
	return m;
}

static int cv_all(const cval *c, double x)
{
	if (!c || !c->n)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i] != x)
			return 0;
	return 1;
}

/* Elementwise fold with numpy broadcasting of same-rank-or-scalar shapes
 * (trigger constants are small; anything harder stays unfolded). */
static int fold_binary(bd *b, opk k, const cval *x, const cval *y)
{
	size_t n = x->n > y->n ? x->n : y->n;
	if ((x->n != n && x->n != 1) || (y->n != n && y->n != 1) || n > BD_FOLD_MAX)
		return -1;
	int c = new_cval(b, n, x->n >= y->n ? &x->shape : &y->shape);
	if (c < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		double a = x->v[x->n == 1 ? 0 : i], bb = y->v[y->n == 1 ? 0 : i], r;
		switch (k) {
		case K_ADD: r = a + bb; break;
		case K_SUB: r = a - bb; break;
		case K_MUL: r = a * bb; break;
		case K_DIV: r = bb != 0 ? a / bb : NAN; break;
		default: r = NAN; break;
		}
		b->cv[c].v[i] = r;
	}
	return c;
}

static int fold_neg(bd *b, const cval *x)
{
	int c = new_cval(b, x->n, &x->shape);
	if (c < 0)
		return -1;
	for (size_t i = 0; i < x->n; i++)
		b->cv[c].v[i] = -x->v[i];
	return c;
}

/* ONNX Constant: value / value_float(s) / value_int(s). */
static int const_node_value(bd *b, const lc_node *on, int v)
{
	const lc_attr *a = attr_kind(on, "value", LC_ATTR_TENSOR);
	if (a && a->tensor) {
		b->v[v].lit = a->tensor;
		b->v[v].nelem = shape_elems(&a->tensor->shape);
		b->v[v].cv = lit_cval(b, a->tensor);
		b->v[v].flags |= V_LIT;
		return 0;
	}
	for (size_t i = 0; i < on->nattrs; i++) {
		const lc_attr *x = &on->attrs[i];
		size_t n = 0;
		if (x->kind == LC_ATTR_FLOAT || x->kind == LC_ATTR_INT)
			n = 1;
		else if (x->kind == LC_ATTR_FLOATS || x->kind == LC_ATTR_INTS)
			n = x->n;
		else
			continue;
		if (n > BD_FOLD_MAX)
			continue;
		lc_shape sh = {.rank = x->kind == LC_ATTR_FLOAT || x->kind == LC_ATTR_INT ? 0 : 1};
		sh.dims[0] = (int64_t)n;
		int c = new_cval(b, n, &sh);
		if (c < 0)
			return -1;
		for (size_t j = 0; j < n; j++)
			b->cv[c].v[j] = x->kind == LC_ATTR_FLOAT   ? x->f
			                : x->kind == LC_ATTR_INT   ? (double)x->i
			                : x->kind == LC_ATTR_FLOATS ? x->floats[j]
			                                           : (double)x->ints[j];
		b->v[v].cv = c;
		b->v[v].nelem = (int64_t)n;
		b->v[v].flags |= V_LIT;
		return 0;
	}
	return 0;
}

/* Keras layers carry no weight tensors in the graph: a nominal count from
 * the config keeps "learned" ordering meaningful. */
static uint64_t keras_nominal(const lc_node *on)
{
	static const char *const keys[] = {"units", "filters", "output_dim", "num_heads"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const lc_attr *a = lc_node_attr(on, keys[i]);
		if (a && a->kind == LC_ATTR_INT && a->i > 0)
			return (uint64_t)a->i * 64;
	}
	return 1024;
}

static int in_const_scalar(const bd *b, const bnode *n, double *out)
{
	for (uint32_t i = 0; i < n->nin; i++) {
		const cval *c = cvof(b, n->in[i]);
		if (c && c->n == 1 && !is_dep(b, n->in[i])) {
			*out = c->v[0];
			return 1;
		}
	}
	return 0;
}

static void node_facts(bd *b, int ni)
{
	bnode *n = &b->n[ni];
	const lc_node *on = n->node >= 0 ? &b->g->subs[n->sg].nodes[n->node] : NULL;
	uint32_t dep = 0, gates = 0, ndep = 0;
	uint64_t pmax = 0, mask = 0;
	uint32_t lmax = 0, sig = 0;
	double gain = 0;
	int first_dep = -1, swp = -1, sws = 0;
	for (uint32_t i = 0; i < n->nin; i++) {
		int v = n->in[i];
		if (v < 0)
			continue;
		const bval *x = &b->v[v];
		if (x->flags & V_DEP) {
			dep = 1;
			ndep++;
			if (first_dep < 0)
				first_dep = v;
			sig |= x->sig;
			if (x->gain > gain)
				gain = x->gain;
		}
		if (x->flags & V_GATE)
			gates++;
		mask |= x->inmask;
		if (x->params > pmax)
			pmax = x->params;
		if (x->nlearned > lmax)
			lmax = x->nlearned;
		if (x->sw_pred >= 0 && swp < 0) {
			swp = x->sw_pred;
			sws = x->sw_side;
		}
	}
	for (uint32_t i = n->nin; i < n->nin + n->nctl && swp < 0; i++) {
		int v = n->in[i];
		if (v >= 0 && b->v[v].sw_pred >= 0) {
			swp = b->v[v].sw_pred;
			sws = b->v[v].sw_side;
		}
	}
	/* own learned parameters */
	uint64_t own = 0;
	if (n->k == K_LEARNED && dep) {
		for (uint32_t i = 0; i < n->nin; i++) {
			int v = n->in[i];
			if (v >= 0 && !is_dep(b, v) && b->v[v].nelem > 0)
				own += (uint64_t)b->v[v].nelem;
		}
		if (!own && on && b->g->format && !strcmp(b->g->format, "keras"))
			own = keras_nominal(on);
		if (!own)
			own = 1;
	} else if ((n->k == K_ADD || n->k == K_SUB || n->k == K_MUL || n->k == K_DIV) && dep) {
		for (uint32_t i = 0; i < n->nin; i++) {
			int v = n->in[i];
			if (v >= 0 && !is_dep(b, v) && b->v[v].nelem >= BD_ELEMWISE_WEIGHT && (b->v[v].flags & (V_LIT | V_WEIGHT)))
				own += (uint64_t)b->v[v].nelem;
		}
	} else if (n->k == K_SLICE && n->nin >= 2 && !is_dep(b, n->in[0]) && is_dep(b, n->in[1]) &&
	           b->v[n->in[0]].nelem >= 64) {
		/* embedding lookup: a table indexed by data */
		own = (uint64_t)b->v[n->in[0]].nelem;
	}
	n->own = own;

	for (int o = n->out; o >= 0; o = b->v[o].next_out) {
		bval *y = &b->v[o];
		uint32_t fl = 0, s = sig;
		y->inmask = mask;
		y->params = pmax + own;
		y->nlearned = lmax + (own > BD_SMALL_NET ? 1 : 0);
		y->gain = gain;
		y->sw_pred = swp;
		y->sw_side = sws;
		y->region = -1;
		for (uint32_t i = 0; i < n->nin && y->region < 0; i++)
			if (n->in[i] >= 0 && is_dep(b, n->in[i]))
				y->region = b->v[n->in[i]].region;
		if (dep)
			fl |= V_DEP;
		switch (n->k) {
		case K_CONST:
			if (on)
				const_node_value(b, on, o);
			fl = 0;
			break;
		case K_VAR: {
			const lc_attr *sh = on ? attr_kind(on, "shape", LC_ATTR_SHAPE) : NULL;
			y->nelem = sh ? shape_elems(&sh->shape) : -1;
			y->flags |= V_WEIGHT;
			fl = 0;
			break;
		}
		case K_INPUT:
			fl = V_DEP | V_INPUT;
			y->inmask |= 1ull << 62;
			break;
		case K_SHAPE:
			fl = V_UNIFORM; /* shapes, zeros/ones-like: no data dependence */
			break;
		case K_FILL: {
			fl = V_UNIFORM;
			break;
		}
		case K_IDENT:
		case K_CAST:
		case K_CALL:
			if (n->nin) {
				int x = n->in[0];
				if (x >= 0) {
					fl |= b->v[x].flags & (V_GATE | V_ABSDIFF | V_CMPC | V_NEG1 | V_WEIGHT | V_LIT | V_UNIFORM);
					if (!(b->v[x].flags & V_DEP))
						fl &= ~V_DEP;
					/* value-preserving: same element count (a
					 * ReadVariableOp/Identity of a weight is the weight) */
					if (n->k != K_CALL)
						y->nelem = b->v[x].nelem;
					if (n->k != K_CALL && b->v[x].cv >= 0)
						y->cv = b->v[x].cv;
					s = b->v[x].sig;
					if (!(b->v[x].flags & V_DEP))
						s = 0;
					y->inmask = b->v[x].inmask;
					y->params = b->v[x].params;
				}
			}
			if (n->k == K_IDENT && n->nin && !(fl & V_DEP))
				fl &= ~(V_WEIGHT);
			if (n->k == K_IDENT && n->nin && n->in[0] >= 0 && (b->v[n->in[0]].flags & V_WEIGHT))
				fl |= V_WEIGHT;
			break;
		case K_SWITCH:
			/* output 0 runs when the predicate is false, 1 when true */
			if (n->nin >= 2 && n->in[0] >= 0) {
				fl = b->v[n->in[0]].flags & (V_DEP | V_GATE);
				s = b->v[n->in[0]].sig;
				y->sw_pred = n->in[1];
				y->sw_side = y->outidx == 1;
				y->params = b->v[n->in[0]].params;
			}
			break;
		case K_MERGE:
			y->sw_pred = -1;
			break;
		case K_CMP:
		case K_ISNAN: {
			fl |= V_GATE;
			if (n->k == K_CMP && ndep == 1) {
				int other = -1;
				for (uint32_t i = 0; i < n->nin; i++)
					if (n->in[i] >= 0 && !is_dep(b, n->in[i]))
						other = n->in[i];
				if (other >= 0) {
					const char *op = on ? on->op : "";
					char low[32];
					size_t j = 0;
					for (; op[j] && j + 1 < sizeof low; j++)
						low[j] = (char)tolower((unsigned char)op[j]);
					low[j] = 0;
					s |= S_CMP;
					fl |= V_CMPC;
					if (!strcmp(low, "equal"))
						s |= S_EXACT;
					else if (strstr(low, "not"))
						s |= S_NE;
					else if (first_dep >= 0 && (b->v[first_dep].flags & V_ABSDIFF) && strstr(low, "less")) {
						/* |x - c| < eps: a tolerance match when eps is small against c */
						s |= S_EXACT;
					}
				}
			}
			break;
		}
		case K_LOGIC:
			if (gates || ndep)
				fl |= V_GATE;
			/* a conjunction of tests on different regions is a
			 * per-sample decision, like a reduction */
			if (n->nin == 2 && ndep == 2 && n->in[0] >= 0 && n->in[1] >= 0 &&
			    (b->v[n->in[0]].sig & S_CMP) && (b->v[n->in[1]].sig & S_CMP) && b->v[n->in[0]].region >= 0 &&
			    b->v[n->in[1]].region >= 0 && b->v[n->in[0]].region != b->v[n->in[1]].region)
				s |= S_REDUCE;
			/* a tight range: (x > lo) and (x < hi) of constants */
			if (on && n->nin == 2 && n->in[0] >= 0 && n->in[1] >= 0 && (b->v[n->in[0]].flags & V_CMPC) &&
			    (b->v[n->in[1]].flags & V_CMPC)) {
				const bnode *p0 = b->v[n->in[0]].prod >= 0 ? &b->n[b->v[n->in[0]].prod] : NULL;
				const bnode *p1 = b->v[n->in[1]].prod >= 0 ? &b->n[b->v[n->in[1]].prod] : NULL;
				double lo, hi;
				if (p0 && p1 && in_const_scalar(b, p0, &lo) && in_const_scalar(b, p1, &hi)) {
					double w = fabs(hi - lo), m = fmax(fmax(fabs(lo), fabs(hi)), 1.0);
					if (w <= 0.1 * m)
						s |= S_EXACT;
				}
			}
			break;
		case K_SELECT:
			if (n->nin == 3) {
				int a = n->in[1], c = n->in[2];
				uint32_t fa = a >= 0 ? b->v[a].flags : 0, fc = c >= 0 ? b->v[c].flags : 0;
				fl = (fa | fc) & V_DEP;
				if ((fa & V_GATE) && (fc & V_GATE))
					fl |= V_GATE;
				if (n->in[0] >= 0 && (b->v[n->in[0]].flags & V_DEP))
					fl |= V_DEP;
				/* a select of constants keeps the condition's signals */
				s = (a >= 0 ? b->v[a].sig : 0) | (c >= 0 ? b->v[c].sig : 0);
				if (n->in[0] >= 0 && !(fa & V_DEP) && !(fc & V_DEP)) {
					s |= b->v[n->in[0]].sig;
					fl |= V_GATE;
				}
			}
			break;
		case K_SLICE:
			if (n->nin && n->in[0] >= 0 && is_dep(b, n->in[0])) {
				int const_idx = 1;
				for (uint32_t i = 1; i < n->nin; i++)
					if (n->in[i] >= 0 && is_dep(b, n->in[i]))
						const_idx = 0;
				if (const_idx) {
					s |= S_REGION;
					y->region = ni;
				}
				fl |= b->v[n->in[0]].flags & (V_GATE | V_ABSDIFF);
			}
			break;
		case K_REDUCE:
			if (dep) {
				s |= S_REDUCE;
				const char *op = on ? on->op : "";
				if (!strcasestr(op, "arg"))
					fl |= b->v[first_dep].flags & (V_GATE | V_ABSDIFF);
			}
			break;
		case K_ABS:
		case K_SQUARE:
			if (first_dep >= 0) {
				int pv = b->v[first_dep].prod;
				if (pv >= 0 && b->n[pv].k == K_SUB) {
					for (uint32_t i = 0; i < b->n[pv].nin; i++)
						if (b->n[pv].in[i] >= 0 && !is_dep(b, b->n[pv].in[i]))
							fl |= V_ABSDIFF;
				}
				if (n->k == K_SQUARE && n->nin == 2 && ndep == 1)
					fl |= V_ABSDIFF; /* SquaredDifference(x, c) */
				fl |= b->v[first_dep].flags & V_ABSDIFF;
			}
			break;
		case K_SAT:
			if (dep) {
				fl |= V_GATE;
				if (gain >= 10)
					s |= S_SAT;
				y->gain = 0;
			}
			break;
		case K_MINMAX: {
			double bound;
			if (gates && dep)
				fl |= V_GATE;
			/* min(x, c) / max(x, c) against a constant: a clip, saturating */
			if (dep && ndep == 1 && in_const_scalar(b, n, &bound)) {
				fl |= V_GATE;
				if (gain >= 10)
					s |= S_SAT;
				y->gain = 0;
			}
			break;
		}
		case K_MUL:
		case K_DIV:
		case K_ADD:
		case K_SUB: {
			/* the largest constant factor is the gain a saturation sees */
			for (uint32_t i = 0; i < n->nin; i++) {
				int v = n->in[i];
				const cval *c = cvof(b, v);
				if (c && !is_dep(b, v) && (n->k == K_MUL || n->k == K_DIV)) {
					double m = cv_maxabs(c);
					if (n->k == K_DIV) {
						double mn = INFINITY;
						for (size_t j = 0; j < c->n; j++)
							if (fabs(c->v[j]) < mn)
								mn = fabs(c->v[j]);
						m = mn > 0 ? 1.0 / mn : 0;
					}
					if (m > y->gain)
						y->gain = m;
				}
			}
			if (n->k == K_MUL && ndep >= 1 && gates == ndep)
				fl |= V_GATE; /* product of gates (and of a gate and a constant) */
			if (n->k == K_MUL)
				for (uint32_t i = 0; i < n->nin; i++)
					if (n->in[i] >= 0 && !is_dep(b, n->in[i]) && cv_all(cvof(b, n->in[i]), 0.0)) {
						fl = V_UNIFORM; /* x * 0: a broadcast zero, whatever x is */
						dep = 0;
					}
			if (n->k == K_SUB && n->nin == 2 && n->in[1] >= 0 && (b->v[n->in[1]].flags & V_GATE) &&
			    is_dep(b, n->in[1]) && cv_all(cvof(b, n->in[0]), 1.0))
				fl |= V_GATE | V_NEG1;
			if ((n->k == K_ADD || n->k == K_SUB) && ndep == 1 && gates == 1 && first_dep >= 0 &&
			    (b->v[first_dep].flags & V_GATE))
				fl |= V_GATE;
			if (n->k == K_MUL || n->k == K_DIV)
				fl |= (first_dep >= 0 ? b->v[first_dep].flags : 0) & V_ABSDIFF;
			/* fold constants */
			if (!dep && n->nin == 2) {
				const cval *x = cvof(b, n->in[0]), *z = cvof(b, n->in[1]);
				if (x && z)
					y->cv = fold_binary(b, n->k, x, z);
			}
			break;
		}
		case K_NEG:
			if (!dep && n->nin && cvof(b, n->in[0]))
				y->cv = fold_neg(b, cvof(b, n->in[0]));
			break;
		case K_LEARNED:
			if (own > BD_SMALL_NET)
				s = 0; /* the model's own computation: not a trigger path any more */
			else if (dep)
				s |= S_SMALLNET;
			if (on && n->nin >= 2) {
				/* a small learned op's weights are a gain too */
				for (uint32_t i = 1; i < n->nin; i++) {
					const cval *c = cvof(b, n->in[i]);
					if (c && !is_dep(b, n->in[i]) && cv_maxabs(c) > y->gain)
						y->gain = cv_maxabs(c);
				}
			}
			break;
		case K_CONCAT:
			if (!dep && n->nin) {
				size_t tot = 0;
				int ok = 1;
				for (uint32_t i = 0; i < n->nin; i++) {
					const cval *c = cvof(b, n->in[i]);
					if (!c) {
						ok = 0;
						break;
					}
					tot += c->n;
				}
				if (ok && tot <= BD_FOLD_MAX) {
					int c = new_cval(b, tot, NULL);
					if (c >= 0) {
						size_t at = 0;
						for (uint32_t i = 0; i < n->nin; i++) {
							const cval *x = cvof(b, n->in[i]);
							memcpy(b->cv[c].v + at, x->v, x->n * sizeof(double));
							at += x->n;
						}
						y->cv = c;
					}
				}
			}
			break;
		default:
			break;
		}
		/* indices: ArgMax/ArgMin, TopK's second output, NonZero, and
		 * arithmetic or selection on them */
		if (on && dep) {
			const char *op = on->op;
			if (!strcasecmp(op, "ArgMax") || !strcasecmp(op, "ArgMin") || !strcasecmp(op, "NonZero") ||
			    !strcasecmp(op, "ARG_MAX") || !strcasecmp(op, "ARG_MIN") || (!strcasecmp(op, "Where") && n->nin == 1) ||
			    ((!strcasecmp(op, "TopK") || !strcasecmp(op, "TopKV2") || !strcasecmp(op, "TOPK_V2")) && y->outidx == 1))
				fl |= V_INDEX;
			else if (n->k == K_ADD || n->k == K_SUB || n->k == K_MUL || n->k == K_DIV || n->k == K_IDENT ||
			         n->k == K_CAST || n->k == K_SELECT || n->k == K_MINMAX) {
				int idx = 0, other = 0;
				for (uint32_t i = 0; i < n->nin; i++) {
					int v = n->in[i];
					if (v >= 0 && is_dep(b, v) && (b->v[v].flags & V_INDEX))
						idx = 1;
					else if (v >= 0 && is_dep(b, v) && !(n->k == K_SELECT && i == 0))
						other = 1;
				}
				if (idx && !other)
					fl |= V_INDEX;
			}
		}
		if (!(fl & V_DEP)) {
			s = 0;
			fl &= ~V_GATE;
			y->params = 0; /* weights count along the data flow only */
			y->nlearned = 0;
		}
		y->flags |= fl;
		y->sig = s;
		if (n->k == K_CAST && y->cv < 0 && n->nin && cvof(b, n->in[0]))
			y->cv = b->v[n->in[0]].cv;
	}
}

/* ---- ordering ------------------------------------------------------------ */

static int build_consumers(bd *b)
{
	size_t nv = b->nv;
	b->cons_off = calloc(nv + 1, sizeof(int));
	if (!b->cons_off)
		return oom(b);
	size_t total = 0;
	for (size_t i = 0; i < b->nn; i++)
		for (uint32_t j = 0; j < b->n[i].nin + b->n[i].nctl; j++)
			if (b->n[i].in[j] >= 0) {
				b->cons_off[b->n[i].in[j] + 1]++;
				total++;
			}
	for (size_t i = 0; i < nv; i++)
		b->cons_off[i + 1] += b->cons_off[i];
	b->cons = malloc((total ? total : 1) * sizeof(int));
	int *fill = malloc((nv ? nv : 1) * sizeof(int));
	if (!b->cons || !fill) {
		free(fill);
		return oom(b);
	}
	memcpy(fill, b->cons_off, nv * sizeof(int));
	for (size_t i = 0; i < b->nn; i++)
		for (uint32_t j = 0; j < b->n[i].nin + b->n[i].nctl; j++)
			if (b->n[i].in[j] >= 0)
				b->cons[fill[b->n[i].in[j]]++] = (int)i;
	free(fill);
	return 0;
}

static int topo(bd *b)
{
	int *indeg = calloc(b->nn ? b->nn : 1, sizeof(int));
	b->order = malloc((b->nn ? b->nn : 1) * sizeof(int));
	char *done = calloc(b->nn ? b->nn : 1, 1);
	if (!indeg || !b->order || !done) {
		free(indeg);
		free(done);
		return oom(b);
	}
	for (size_t i = 0; i < b->nn; i++)
		for (uint32_t j = 0; j < b->n[i].nin + b->n[i].nctl; j++)
			if (b->n[i].in[j] >= 0 && b->v[b->n[i].in[j]].prod >= 0)
				indeg[i]++;
	size_t head = 0, tail = 0, cursor = 0;
	for (size_t i = 0; i < b->nn; i++)
		if (!indeg[i])
			b->order[tail++] = (int)i;
	for (;;) {
		while (head < tail) {
			int ni = b->order[head++];
			done[ni] = 1;
			for (int o = b->n[ni].out; o >= 0; o = b->v[o].next_out)
				for (int c = b->cons_off[o]; c < b->cons_off[o + 1]; c++)
					if (--indeg[b->cons[c]] == 0)
						b->order[tail++] = b->cons[c];
		}
		if (tail >= b->nn)
			break;
		/* a cycle: release its first node with what is known.  Nodes
		 * before the cursor are done or queued for good (in-degrees
		 * only fall), so the scan is linear over all releases. */
		while (cursor < b->nn && (done[cursor] || indeg[cursor] <= 0))
			cursor++;
		if (cursor >= b->nn)
			break;
		indeg[cursor] = 0;
		b->order[tail++] = (int)cursor;
	}
	b->norder = tail;
	free(indeg);
	free(done);
	return 0;
}

/* ---- roots ----------------------------------------------------------------- */

static int add_root(bd *b, int v, const char *name)
{
	v = v >= 0 ? canon(b, v) : v;
	if (v < 0)
		return 0;
	GROW(b->roots, b->nroots, b->caproots, return oom(b));
	b->roots[b->nroots] = v;
	const char **nn = realloc(b->root_names, b->caproots * sizeof *nn);
	if (!nn)
		return oom(b);
	b->root_names = nn;
	b->root_names[b->nroots++] = name;
	return 0;
}

/* ---- backward facts ----------------------------------------------------------- */

static int transparent(opk k)
{
	return k == K_IDENT || k == K_CAST || k == K_ADD || k == K_SUB || k == K_MUL || k == K_DIV ||
	       k == K_SELECT || k == K_CALL || k == K_CONCAT || k == K_OTHER;
}

static void backward(bd *b)
{
	for (size_t r = 0; r < b->nroots; r++) {
		bval *v = &b->v[b->roots[r]];
		if (v->params > b->model_params)
			b->model_params = v->params;
		v->down = 0;
		if (v->root < 0)
			v->root = (int)r;
	}
	for (size_t i = b->norder; i-- > 0;) {
		bnode *n = &b->n[b->order[i]];
		int64_t best = -1;
		int root = -1, smx = 0;
		for (int o = n->out; o >= 0; o = b->v[o].next_out) {
			if (b->v[o].down > best) {
				best = b->v[o].down;
			}
			if (b->v[o].down >= 0 && root < 0)
				root = b->v[o].root;
			if (b->v[o].flags & V_SMX)
				smx = 1;
		}
		if (best < 0)
			continue;
		int64_t d = best + (int64_t)n->own;
		for (uint32_t j = 0; j < n->nin; j++) {
			int x = n->in[j];
			if (x < 0)
				continue;
			if (b->v[x].down < d)
				b->v[x].down = d;
			if (b->v[x].root < 0)
				b->v[x].root = root;
			if (n->k == K_SOFTMAX || (smx && transparent(n->k)))
				b->v[x].flags |= V_SMX;
		}
	}
}

/* ---- candidates ----------------------------------------------------------- */

typedef struct cand {
	int node;      /* IR selector node */
	int gate, model, payload; /* values; payload -1 = implicit zero */
	int form;      /* 1 select, 2 if, 3 merge, 4 blend, 5 nudge, 6 suppress */
	int score;
	uint32_t sig;
	const char *signals;
	lc_severity sev;
} cand;

static int next_mark(bd *b)
{
	if (!b->mark) {
		b->mark = calloc(b->nv ? b->nv : 1, sizeof(int));
		if (!b->mark)
			return oom(b);
	}
	if (++b->markgen == 0x7fffffff) {
		memset(b->mark, 0, b->nv * sizeof(int));
		b->markgen = 1;
	}
	return 0;
}

/* Is target an ancestor of v (bounded)?  Used for self-gating. */
static int is_ancestor(bd *b, int v, int target)
{
	if (v < 0 || target < 0 || next_mark(b))
		return 0;
	if (!b->stack && !(b->stack = malloc(BD_SEARCH_MAX * sizeof(int))))
		return 0;
	int *stack = b->stack;
	size_t sp = 0, seen = 0;
	int found = 0;
	stack[sp++] = v;
	b->mark[v] = b->markgen;
	while (sp && !found && seen < BD_SEARCH_MAX && b->search_left) {
		int x = stack[--sp];
		seen++;
		b->search_left--;
		if (x == target) {
			found = 1;
			break;
		}
		int p = b->v[x].prod;
		if (p < 0)
			continue;
		for (uint32_t j = 0; j < b->n[p].nin; j++) {
			int y = b->n[p].in[j];
			if (y >= 0 && is_dep(b, y) && b->mark[y] != b->markgen && sp < BD_SEARCH_MAX) {
				b->mark[y] = b->markgen;
				stack[sp++] = y;
			}
		}
	}
	return found;
}

/* Strips value-preserving ops: the value a branch really carries. */
static int strip(bd *b, int v)
{
	for (int i = 0; i < 32 && v >= 0; i++) {
		int p = b->v[v].prod;
		if (p < 0 || (b->n[p].k != K_IDENT && b->n[p].k != K_CAST) || !b->n[p].nin)
			break;
		v = b->n[p].in[0];
	}
	return v;
}

static int gate_like(const bd *b, int v) { return v >= 0 && (b->v[v].flags & (V_GATE | V_DEP)) == (V_GATE | V_DEP); }

static int is_mul(const bd *b, int v, int *x, int *y)
{
	if (v < 0 || b->v[v].prod < 0)
		return 0;
	const bnode *p = &b->n[b->v[v].prod];
	if (p->k != K_MUL || p->nin != 2)
		return 0;
	*x = p->in[0];
	*y = p->in[1];
	return 1;
}

/* All elements equal: a fill (zeros, -inf, a mask value), not a crafted
 * payload.  Raw literal tensors are compared element by element. */
static int uniform(const bd *b, int v)
{
	if (v < 0)
		return 0;
	const bval *x = &b->v[v];
	if (x->flags & V_UNIFORM)
		return 1;
	const cval *c = cvof(b, v);
	if (c && c->n) {
		for (size_t i = 1; i < c->n; i++)
			if (c->v[i] != c->v[0])
				return 0;
		return 1;
	}
	const lc_tensor *t = x->lit;
	if (t && t->data && t->data_len) {
		unsigned es = lc_dtype_size(t->dtype);
		if (!es || t->data_len < es)
			return 0;
		for (size_t off = es; off + es <= t->data_len; off += es)
			if (memcmp(t->data, t->data + off, es))
				return 0;
		return 1;
	}
	return 0;
}

static int add_sig_name(char *buf, size_t len, size_t *at, const char *s)
{
	int n = snprintf(buf + *at, len - *at, "%s%s", *at ? "," : "", s);
	if (n > 0 && (size_t)n < len - *at)
		*at += (size_t)n;
	return 0;
}

/* The score.  Weights (tuned on the evaluation set, documented in
 * docs/backdoor.md):
 *   payload constant / near-constant (or an implicit zero)   +3
 *   payload that skips the model (<10% of its parameters)     +2
 *   gate compares with a constant                              +2
 *   exact match / tight range / |x-c|<eps                      +1
 *   constant region of the data (slice/gather)                 +1
 *   reduced to a per-sample decision                           +1
 *   saturation behind a large gain (sub-network trigger)      +2
 *   gate computed from the raw input or an early feature       +2 (<=10% of the branch's parameters) / +1 (<=50%)
 *   no learned computation between selector and output         +2
 * Required for HIGH: a trigger signal (compare, saturation, or region +
 * reduction), a payload, a cheap gate.  Capped below HIGH: mask-like
 * (per-position gate, scalar payload), mode flags (gate is a raw input). */
static void score_candidate(bd *b, cand *c)
{
	const bval *G = &b->v[c->gate], *M = &b->v[c->model];
	int score = 0;
	char sigs[256];
	size_t at = 0;
	sigs[0] = 0;
	uint32_t s = G->sig;
	int payload_ok = 0, scalar_payload = 0;
	if (c->payload < 0) {
		score += 3;
		payload_ok = 1;
		scalar_payload = 1;
		add_sig_name(sigs, sizeof sigs, &at, "zeroes-output");
	} else {
		const bval *P = &b->v[c->payload];
		const cval *pc = cvof(b, c->payload);
		if (!(P->flags & V_DEP)) {
			score += 3;
			payload_ok = 1;
			add_sig_name(sigs, sizeof sigs, &at, "constant-payload");
			if ((pc && pc->n == 1) || P->nelem == 1 || uniform(b, c->payload))
				scalar_payload = 1;
		} else if (P->params * 10 <= M->params) {
			score += 2;
			payload_ok = 1;
			add_sig_name(sigs, sizeof sigs, &at, "skips-model");
		}
	}
	if (s & S_CMP) {
		score += 2;
		add_sig_name(sigs, sizeof sigs, &at, "compare-constant");
	}
	if ((s & S_EXACT) && !(s & S_NE)) {
		score += 1;
		add_sig_name(sigs, sizeof sigs, &at, "exact-match");
	}
	if (s & S_REGION) {
		score += 1;
		add_sig_name(sigs, sizeof sigs, &at, "input-region");
	}
	if (s & S_REDUCE) {
		score += 1;
		add_sig_name(sigs, sizeof sigs, &at, "reduced");
	}
	if (s & S_SAT) {
		score += 2;
		add_sig_name(sigs, sizeof sigs, &at, "saturating-subnet");
	}
	int cheap = 0;
	if (G->params * 10 <= M->params) {
		score += 2;
		cheap = 2;
		add_sig_name(sigs, sizeof sigs, &at, G->nlearned ? "early-feature" : "raw-input");
	} else if (G->params * 2 <= M->params) {
		score += 1;
		cheap = 1;
		add_sig_name(sigs, sizeof sigs, &at, "early-feature");
	} else if ((s & S_REDUCE) && (s & (S_CMP | S_SAT)) &&
	           (G->params * 5 <= M->params * 4 ||
	            ((s & S_REGION) && payload_ok && !scalar_payload && c->payload >= 0 && !is_dep(b, c->payload)))) {
		/* a deeper feature map, reduced to a per-sample trigger; as
		 * deep as the head only when a constant region of it is
		 * compared and a crafted (non-uniform) payload replaces the
		 * output */
		cheap = 1;
		add_sig_name(sigs, sizeof sigs, &at, "feature-map");
	}
	int sel_out = b->n[c->node].out;
	int late = sel_out >= 0 && b->v[sel_out].down == 0;
	if (late) {
		score += 2;
		add_sig_name(sigs, sizeof sigs, &at, "at-output");
	}
	int trigger = (s & (S_CMP | S_SAT)) || ((s & S_REGION) && (s & S_REDUCE));
	lc_severity sev = LC_SEV_LOW;
	int capped = 0;
	if (!trigger || !payload_ok || !cheap)
		capped = 1;
	/* a per-position mask: attention/padding masks, embedding padding.  A
	 * per-position gate inside the model is a mask whatever its fill; at
	 * the output only a uniform fill is. */
	if (!(s & S_REDUCE) && (!late || scalar_payload))
		capped = 1;
	if ((s & S_NE) && !(s & S_REDUCE))
		capped = 1;
	if (score >= LC_BD_CRITICAL && !capped)
		sev = LC_SEV_CRITICAL;
	else if (score >= LC_BD_THRESHOLD && !capped)
		sev = LC_SEV_HIGH;
	else if (score >= LC_BD_THRESHOLD)
		sev = LC_SEV_MEDIUM;
	c->score = score;
	c->sev = sev;
	c->sig = s;
	c->signals = arena_printf(&b->tmp, "%s", sigs);
}

/* Checks a selector; fills and scores c when it is a real candidate. */
static const char *form_name(int f);
static const char *node_op(const bd *b, int ni);
static int consider(bd *b, int node, int gate, int x, int y, int form, cand *c)
{
	if (!gate_like(b, gate) && !(form <= 3 && is_dep(b, gate)))
		return 0;
	if (!is_dep(b, gate))
		return 0;
	int model, payload;
	uint64_t px = x >= 0 ? b->v[x].params : 0, py = y >= 0 ? b->v[y].params : 0;
	if (y == -1 && form == 6) {
		model = x;
		payload = -1;
	} else if (x < 0 || y < 0) {
		return 0;
	} else if (px >= py) {
		model = x;
		payload = y;
	} else {
		model = y;
		payload = x;
	}
	if (model < 0 || !is_dep(b, model) || b->v[model].params == 0 || (b->v[model].flags & V_INDEX))
		return 0;
	/* the overridden branch must carry a real part of the model, not
	 * index arithmetic or a side computation */
	if (b->v[model].params * 20 < b->model_params)
		return 0;
	if (b->v[model].down < 0)
		return 0; /* does not reach an output */
	/* a mode flag: the gate is a raw input, unprocessed */
	int gs = strip(b, gate);
	if (gs >= 0 && (b->v[gs].flags & V_INPUT))
		return 0;
	c->node = node;
	c->gate = gate;
	c->model = model;
	c->payload = payload;
	c->form = form;
	score_candidate(b, c);
	if (c->score < LC_BD_REPORT_MIN)
		return 0;
	/* self-gating: clamps, NaN guards, thresholds of the value itself
	 * (searched last: the ancestry walks are the expensive part) */
	int ms = strip(b, model);
	if (is_ancestor(b, gate, ms) || is_ancestor(b, gate, model))
		return 0;
	if (payload >= 0 && is_dep(b, payload) && is_ancestor(b, gate, strip(b, payload)) &&
	    b->v[payload].params > 0)
		return 0;
	if (b->debug)
		fprintf(stderr, "bd: %s '%s' gate '%s' (params %llu sig %#x) model '%s' (%llu) payload '%s' score %d sev %d [%s]\n",
		        form_name(form), node_op(b, node), b->v[gate].name, (unsigned long long)b->v[gate].params,
		        b->v[gate].sig, b->v[model].name, (unsigned long long)b->v[model].params,
		        payload >= 0 ? b->v[payload].name : "0", c->score, c->sev, c->signals);
	return c->score >= LC_BD_REPORT_MIN;
}

/* ---- evidence --------------------------------------------------------------- */

typedef struct steps {
	lc_bd_step *s;
	size_t n, cap;
} steps;

static const char *node_op(const bd *b, int ni)
{
	if (ni < 0)
		return "";
	const bnode *n = &b->n[ni];
	if (n->node < 0)
		return "";
	return b->g->subs[n->sg].nodes[n->node].op;
}

static const char *cval_str(bd *b, const cval *c)
{
	char buf[256];
	size_t at = 0;
	at += (size_t)snprintf(buf, sizeof buf, "[");
	for (size_t i = 0; i < c->n && i < 8 && at < sizeof buf - 32; i++)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%.6g", i ? "," : "", c->v[i]);
	if (c->n > 8)
		at += (size_t)snprintf(buf + at, sizeof buf - at, ",...");
	snprintf(buf + at, sizeof buf - at, "] shape [");
	at = strlen(buf);
	for (int i = 0; i < c->shape.rank && i < LC_MAX_DIMS && at < sizeof buf - 24; i++)
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%lld", i ? "," : "", (long long)c->shape.dims[i]);
	snprintf(buf + at, sizeof buf - at, "]");
	return arena_printf(&b->tmp, "%s", buf);
}

static int push_step(bd *b, steps *st, int v, int ni, lc_bd_role role, const char *note)
{
	GROW(st->s, st->n, st->cap, return oom(b));
	lc_bd_step *s = &st->s[st->n++];
	if (ni >= 0) {
		s->sg = b->n[ni].sg;
		s->node = b->n[ni].node;
	} else if (v >= 0) {
		s->sg = b->v[v].sg;
		s->node = b->v[v].node;
	} else {
		s->sg = 0;
		s->node = -1;
	}
	s->value = v >= 0 ? b->v[v].name : "";
	s->role = role;
	s->note = note;
	return 0;
}

/* Walks from the gate back to its source: the dependent input with the
 * fewest parameters, until a graph input or a learned op (a feature map). */
static int trigger_path(bd *b, int gate, steps *st, const char **source, lc_bd_role *srole)
{
	int chain[BD_PATH_MAX];
	size_t n = 0;
	int v = gate;
	*source = NULL;
	*srole = LC_BD_INPUT;
	while (v >= 0 && n < BD_PATH_MAX) {
		int p = b->v[v].prod;
		if (p < 0 || b->n[p].k == K_INPUT) {
			*source = b->v[v].name;
			break;
		}
		if (b->n[p].k == K_LEARNED && b->n[p].own > BD_SMALL_NET) {
			*source = b->v[v].name;
			*srole = LC_BD_FEATURE;
			break;
		}
		chain[n++] = v;
		int best = -1;
		for (uint32_t j = 0; j < b->n[p].nin; j++) {
			int x = b->n[p].in[j];
			if (x >= 0 && is_dep(b, x) && (best < 0 || b->v[x].params < b->v[best].params))
				best = x;
		}
		v = best;
	}
	/* source first */
	if (*source)
		push_step(b, st, v, b->v[v].prod >= 0 ? b->v[v].prod : -1, *srole, NULL);
	for (size_t i = n; i-- > 0;) {
		int x = chain[i], p = b->v[x].prod;
		const char *note = NULL;
		for (uint32_t j = 0; p >= 0 && j < b->n[p].nin; j++) {
			int in = b->n[p].in[j];
			const cval *c = cvof(b, in);
			if (in >= 0 && !is_dep(b, in) && c &&
			    (b->n[p].k == K_CMP || b->n[p].k == K_SUB || b->n[p].k == K_SLICE ||
			     b->n[p].k == K_MUL || b->n[p].k == K_ADD)) {
				note = arena_printf(&b->tmp, "%s%s%s", note ? note : "", note ? "; " : "", cval_str(b, c));
			}
		}
		if (push_step(b, st, x, p, LC_BD_TRIGGER, note))
			return -1;
	}
	return 0;
}

static int output_path(bd *b, int from, steps *st, const char **outname)
{
	int v = from;
	*outname = NULL;
	for (int i = 0; i < BD_PATH_MAX && v >= 0; i++) {
		for (size_t r = 0; r < b->nroots; r++)
			if (b->roots[r] == v) {
				*outname = b->root_names[r];
				if (v != from && st->n) {
					st->s[st->n - 1].note = b->root_names[r];
					return 0;
				}
				return push_step(b, st, v, -1, LC_BD_OUTPUT, b->root_names[r]);
			}
		int next = -1;
		for (int c = b->cons_off[v]; c < b->cons_off[v + 1] && next < 0; c++) {
			int ni = b->cons[c];
			for (int o = b->n[ni].out; o >= 0; o = b->v[o].next_out)
				if (b->v[o].down >= 0 && b->v[o].down <= b->v[v].down) {
					next = o;
					break;
				}
		}
		if (next < 0)
			break;
		if (push_step(b, st, next, b->v[next].prod, LC_BD_OUTPUT, NULL))
			return -1;
		v = next;
	}
	if (b->v[from].root >= 0 && (size_t)b->v[from].root < b->nroots)
		*outname = b->root_names[b->v[from].root];
	return 0;
}

static const char *form_name(int f)
{
	static const char *const n[] = {"?", "Where/Select", "If", "Switch/Merge", "blend", "nudge", "suppression"};
	return f >= 0 && f <= 6 ? n[f] : "?";
}

static const char *rule_of(int form)
{
	return form == 2 ? "backdoor.branch-override" : form >= 4 ? "backdoor.blend-override" : "backdoor.select-override";
}


typedef struct rep_build {
	lc_bd_report *rep;
	size_t cap;
} rep_build;

static int emit(bd *b, const cand *c, rep_build *rb)
{
	steps st = {0};
	const char *source = NULL, *outname = NULL;
	lc_bd_role srole = LC_BD_INPUT;
	if (trigger_path(b, c->gate, &st, &source, &srole))
		goto fail;
	int sel = c->node;
	int selv = b->n[sel].out;
	if (push_step(b, &st, selv, sel, LC_BD_SELECTOR, form_name(c->form)))
		goto fail;
	if (output_path(b, selv, &st, &outname))
		goto fail;
	const char *pdesc = "zero";
	if (c->payload >= 0) {
		const cval *pc = cvof(b, c->payload);
		const char *pnote =
			pc ? cval_str(b, pc)
			: b->v[c->payload].nelem >= 0
				? arena_printf(&b->tmp, "%lld elements", (long long)b->v[c->payload].nelem)
				: NULL;
		if (push_step(b, &st, c->payload, b->v[c->payload].prod, LC_BD_PAYLOAD, pnote))
			goto fail;
		pdesc = arena_printf(&b->tmp, "'%s'%s%s", b->v[c->payload].name, pnote ? " " : "", pnote ? pnote : "");
	}
	if (push_step(b, &st, c->model, b->v[c->model].prod, LC_BD_MODEL,
	              arena_printf(&b->tmp, "%llu parameters upstream", (unsigned long long)b->v[c->model].params)))
		goto fail;
	GROW(rb->rep->c, rb->rep->n, rb->cap, goto fail);
	lc_bd_candidate *o = &rb->rep->c[rb->rep->n++];
	memset(o, 0, sizeof *o);
	/* the detector that fired: a comparison-free high-gain sub-network
	 * and a trigger on a feature map have their own rules; otherwise the
	 * selector's form names it */
	o->rule = (c->sig & S_SAT) && !(c->sig & S_CMP) ? "backdoor.subnet-trigger"
	          : srole == LC_BD_FEATURE             ? "backdoor.feature-trigger"
	                                               : rule_of(c->form);
	o->severity = c->sev;
	o->score = c->score;
	o->input = source ? source : "?";
	o->output = outname ? outname : "?";
	o->signals = c->signals ? c->signals : "";
	o->steps = arena_alloc(&b->tmp, (st.n ? st.n : 1) * sizeof *o->steps);
	if (!o->steps)
		goto fail;
	memcpy(o->steps, st.s, st.n * sizeof *o->steps);
	o->nsteps = st.n;
	const char *selname = b->n[sel].node >= 0 ? b->g->subs[b->n[sel].sg].nodes[b->n[sel].node].name : "";
	if (!selname || !*selname)
		selname = b->v[selv].name;
	o->summary = arena_printf(&b->tmp, "%s '%s' (%s) replaces the model's '%s' with %s when a trigger on %s '%s' fires",
	                          form_name(c->form), selname, node_op(b, sel), o->output, pdesc,
	                          srole == LC_BD_FEATURE ? "feature map" : "input", o->input);
	free(st.s);
	return o->summary && o->signals ? 0 : oom(b);
fail:
	free(st.s);
	return oom(b);
}

static int cand_cmp(const void *a, const void *bb)
{
	const cand *x = a, *y = bb;
	return y->score - x->score;
}

/* Gate operand of a Mul: the gate-like dependent factor. */
static int mul_gate(const bd *b, int v, int *gate, int *other)
{
	int x, y;
	if (!is_mul(b, v, &x, &y))
		return 0;
	if (gate_like(b, x) && !gate_like(b, y)) {
		*gate = x;
		*other = y;
		return 1;
	}
	if (gate_like(b, y) && !gate_like(b, x)) {
		*gate = y;
		*other = x;
		return 1;
	}
	if (gate_like(b, x) && gate_like(b, y)) {
		/* both gate-like: the one with fewer parameters gates the other */
		int gx = b->v[x].params <= b->v[y].params;
		*gate = gx ? x : y;
		*other = gx ? y : x;
		return 1;
	}
	return 0;
}

static int collect(bd *b, cand **out, size_t *nout)
{
	cand *cs = NULL;
	size_t n = 0, cap = 0;
	for (size_t oi = 0; oi < b->norder; oi++) {
		int ni = b->order[oi];
		bnode *nd = &b->n[ni];
		int selout = nd->out;
		if (selout < 0 || b->v[selout].down < 0)
			continue;
		cand c;
		memset(&c, 0, sizeof c);
		int ok = 0;
		if (nd->k == K_SELECT && nd->nin == 3) {
			ok = consider(b, ni, nd->in[0], nd->in[1], nd->in[2], nd->sel == 2 ? 2 : 1, &c);
		} else if (nd->k == K_MERGE && nd->nin >= 2) {
			int t = -1, f = -1, pred = -1;
			for (uint32_t j = 0; j < nd->nin; j++) {
				int x = nd->in[j];
				if (x < 0 || b->v[x].sw_pred < 0)
					continue;
				pred = b->v[x].sw_pred;
				if (b->v[x].sw_side)
					t = x;
				else
					f = x;
			}
			if (pred >= 0 && t >= 0 && f >= 0)
				ok = consider(b, ni, pred, t, f, 3, &c);
		} else if ((nd->k == K_ADD || nd->k == K_SUB) && nd->nin == 2 && is_dep(b, nd->in[0]) &&
		           is_dep(b, nd->in[1])) {
			int g1, d1, g2, d2;
			int m1 = mul_gate(b, nd->in[0], &g1, &d1), m2 = mul_gate(b, nd->in[1], &g2, &d2);
			if (m1 && m2 && nd->k == K_ADD) {
				int gate = (b->v[g1].flags & V_NEG1) ? g2 : g1;
				ok = consider(b, ni, gate, d1, d2, 4, &c);
			} else if (m2 && (!is_dep(b, d2) || b->v[d2].params * 10 <= b->v[nd->in[0]].params)) {
				ok = consider(b, ni, g2, nd->in[0], d2, 5, &c);
			} else if (m1 && nd->k == K_ADD &&
			           (!is_dep(b, d1) || b->v[d1].params * 10 <= b->v[nd->in[1]].params)) {
				ok = consider(b, ni, g1, nd->in[1], d1, 5, &c);
			}
		} else if (nd->k == K_MUL && nd->nin == 2) {
			int g, x;
			if (mul_gate(b, selout, &g, &x) && is_dep(b, x) && (b->v[g].sig & (S_CMP | S_SAT | S_REGION)))
				ok = consider(b, ni, g, x, -1, 6, &c);
		}
		if (b->failed)
			break;
		if (!ok)
			continue;
		GROW(cs, n, cap, {
			free(cs);
			return oom(b);
		});
		cs[n++] = c;
	}
	if (n > 1)
		qsort(cs, n, sizeof *cs, cand_cmp);
	/* One candidate per gate and per chain of selectors (a blend's arms
	 * feed its Add): the best-scoring one, in score order.  Marks keep
	 * this linear. */
	char *gate_used = calloc(b->nv ? b->nv : 1, 1), *node_used = calloc(b->nn ? b->nn : 1, 1);
	if (!gate_used || !node_used) {
		free(gate_used);
		free(node_used);
		free(cs);
		return oom(b);
	}
	size_t k = 0;
	for (size_t i = 0; i < n && k < BD_MAX_CANDIDATES; i++) {
		const bnode *sel = &b->n[cs[i].node];
		int dup = gate_used[cs[i].gate] || node_used[cs[i].node];
		for (uint32_t j = 0; j < sel->nin && !dup; j++)
			dup = sel->in[j] >= 0 && b->v[sel->in[j]].prod >= 0 && node_used[b->v[sel->in[j]].prod];
		for (int o = sel->out; o >= 0 && !dup; o = b->v[o].next_out)
			for (int c = b->cons_off[o]; c < b->cons_off[o + 1] && !dup; c++)
				dup = node_used[b->cons[c]];
		if (dup)
			continue;
		gate_used[cs[i].gate] = 1;
		node_used[cs[i].node] = 1;
		cs[k++] = cs[i];
	}
	free(gate_used);
	free(node_used);
	*out = cs;
	*nout = k;
	return 0;
}

static void bd_free(bd *b)
{
	free(b->v);
	free(b->n);
	free(b->inst);
	free(b->h);
	free(b->cv);
	free(b->queue);
	free(b->roots);
	free(b->root_names);
	free(b->cons_off);
	free(b->cons);
	free(b->order);
	free(b->mark);
	free(b->stack);
}

static void arena_free(struct lc_bd_arena *a)
{
	while (a) {
		struct lc_bd_arena *n = a->next;
		free(a);
		a = n;
	}
}

void lc_bd_report_free(lc_bd_report *r)
{
	if (!r)
		return;
	free(r->c);
	arena_free(r->arena);
	memset(r, 0, sizeof *r);
}

/* Top-level subgraphs and their outputs. */
static int build(bd *b)
{
	lc_graph *g = b->g;
	for (size_t s = 0; s < g->nsubs; s++)
		if (g->subs[s].kind == LC_SG_FUNCTION && g->subs[s].name && *g->subs[s].name) {
			hent *e = hfind(b, -7, g->subs[s].name, strlen(g->subs[s].name), 1);
			if (!e)
				return oom(b);
			if (e->value < 0)
				e->value = (int)s;
		}
	int tops[64];
	size_t ntops = 0;
	for (size_t i = 0; i < g->nsigs && ntops < 64; i++) {
		int sg = g->sigs[i].subgraph, dup = 0;
		for (size_t j = 0; j < ntops; j++)
			dup |= tops[j] == sg;
		if (sg >= 0 && (size_t)sg < g->nsubs && !dup)
			tops[ntops++] = sg;
	}
	if (!ntops)
		for (size_t s = 0; s < g->nsubs && ntops < 64; s++)
			if (g->subs[s].kind == LC_SG_MAIN)
				tops[ntops++] = (int)s;
	if (!ntops && g->nsubs)
		tops[ntops++] = 0;
	int topinst[64];
	for (size_t t = 0; t < ntops; t++) {
		int in = new_inst(b, tops[t], -1, 0);
		if (in < 0 || inst_register(b, in, NULL, 0, 1) || queue_push(b, in))
			return -1;
		topinst[t] = in;
	}
	while (b->qhead < b->nqueue)
		if (inst_link(b, b->queue[b->qhead++]))
			return -1;
	for (size_t i = 0; i < b->nn; i++)
		for (uint32_t j = 0; j < b->n[i].nin + b->n[i].nctl; j++)
			if (b->n[i].in[j] >= 0)
				b->n[i].in[j] = canon(b, b->n[i].in[j]);
	/* roots: signature outputs, else graph outputs, else sinks */
	for (size_t t = 0; t < ntops; t++) {
		size_t before = b->nroots;
		for (size_t i = 0; i < g->nsigs; i++)
			if (g->sigs[i].subgraph == tops[t])
				for (size_t o = 0; o < g->sigs[i].noutputs; o++)
					if (add_root(b, resolve(b, topinst[t], g->sigs[i].outputs[o]), g->sigs[i].outputs[o]))
						return -1;
		if (b->nroots == before) {
			const lc_subgraph *s = &g->subs[tops[t]];
			for (size_t o = 0; o < s->noutputs; o++)
				if (add_root(b, resolve(b, topinst[t], s->outputs[o].name), s->outputs[o].name))
					return -1;
		}
		if (b->nroots == before) {
			char *used = calloc(b->nv ? b->nv : 1, 1);
			if (!used)
				return oom(b);
			for (size_t i = 0; i < b->nn; i++)
				for (uint32_t j = 0; j < b->n[i].nin + b->n[i].nctl; j++)
					if (b->n[i].in[j] >= 0)
						used[b->n[i].in[j]] = 1;
			size_t nn = b->nn;
			for (size_t i = 0; i < nn; i++) {
				bnode *n = &b->n[i];
				if (n->inst != topinst[t] || n->k == K_SINKISH || n->k == K_CONST || n->k == K_VAR ||
				    n->k == K_INPUT || n->k == K_SHAPE || n->k == K_CALL)
					continue;
				int any = 0;
				for (int o = n->out; o >= 0; o = b->v[o].next_out)
					any |= (size_t)o < b->nv && used[o];
				if (any)
					continue;
				int o = node_out(b, (int)i, 0);
				if (o >= 0 && add_root(b, o, b->v[o].name)) {
					free(used);
					return -1;
				}
			}
			free(used);
		}
	}
	return b->failed ? -1 : 0;
}

int lc_backdoor_analyze(lc_ctx *ctx, lc_graph *g, lc_bd_report *out)
{
	memset(out, 0, sizeof *out);
	if (!g || !g->nsubs)
		return 0;
	bd b;
	memset(&b, 0, sizeof b);
	b.ctx = ctx;
	b.g = g;
	b.onnx = g->format && !strcmp(g->format, "onnx");
	b.tf = g->format && !strncmp(g->format, "tf-", 3);
	b.budget = ctx ? lc_lim(ctx, LC_LIMIT_graph_max_nodes) : 5000000;
	/* Ancestry walks for the self-gating test, over the whole graph.  An
	 * adversarial graph that exhausts it gets its remaining candidates
	 * reported rather than excused (fail towards the finding). */
	b.search_left = 50000000;
	b.debug = getenv("LAOCOON_BD_DEBUG") != NULL;
	int rc = -1;
	cand *cs = NULL;
	size_t ncs = 0;
	rep_build rb = {out, 0};
	if (build(&b) || build_consumers(&b) || topo(&b))
		goto done;
	for (size_t i = 0; i < b.norder; i++)
		node_facts(&b, b.order[i]);
	if (b.failed)
		goto done;
	backward(&b);
	if (collect(&b, &cs, &ncs))
		goto done;
	for (size_t i = 0; i < ncs; i++)
		if (emit(&b, &cs[i], &rb))
			goto done;
	rc = 0;
done:
	free(cs);
	out->arena = b.tmp;
	b.tmp = NULL;
	bd_free(&b);
	return rc;
}

/* The scan's analysis: trigger-gated overrides become findings. */
void lc_graph_analyze_backdoor(lc_ctx *ctx, lc_graph *g)
{
	lc_bd_report rep;
	if (lc_backdoor_analyze(ctx, g, &rep)) {
		if (ctx->file && ctx->file->status != LC_STATUS_ERROR)
			lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "backdoor analysis: out of memory");
	}
	for (size_t i = 0; i < rep.n; i++) {
		const lc_bd_candidate *c = &rep.c[i];
		if (c->severity < LC_SEV_HIGH)
			continue;
		char ev[2048];
		size_t at = 0;
		const lc_bd_step *sel = NULL;
		for (size_t j = 0; j < c->nsteps && at < sizeof ev - 64; j++) {
			const lc_bd_step *s = &c->steps[j];
			const char *op = s->node >= 0 ? g->subs[s->sg].nodes[s->node].op : "";
			if (s->role == LC_BD_SELECTOR)
				sel = s;
			int n = snprintf(ev + at, sizeof ev - at, "%s%s %s%s'%.80s'%s%.160s%s", j ? " -> " : "",
			                 lc_bd_role_name(s->role), op, *op ? " " : "", s->value, s->note ? " (" : "",
			                 s->note ? s->note : "", s->note ? ")" : "");
			if (n < 0)
				break;
			at += (size_t)n < sizeof ev - at ? (size_t)n : sizeof ev - at - 1;
		}
		uint64_t off = LC_NO_OFFSET;
		if (sel && sel->node >= 0)
			off = g->subs[sel->sg].nodes[sel->node].offset;
		lc_finding_add(ctx, c->severity, c->rule, off, sel ? sel->value : c->summary, ev,
		               "architectural backdoor: %s (score %d: %s)", c->summary, c->score, c->signals);
	}
	lc_bd_report_free(&rep);
}
