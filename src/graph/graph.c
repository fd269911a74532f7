/* The graph model (see graph.h): construction, lookup and the analysis hook. */
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

/* ---- arena: many small strings and arrays, freed at once ----------------- */

typedef struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[]; /* aligned storage */
} arena_block;

struct lc_graph_arena {
	arena_block *head;
	uint64_t total;
};

static void *arena_alloc(lc_graph *g, size_t n)
{
	struct lc_graph_arena *a = g->arena;
	const size_t align = sizeof(max_align_t);
	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	if (!a->head || a->head->cap - a->head->used < n) {
		size_t cap = n > 64 * 1024 ? n : 64 * 1024;
		arena_block *b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
		a->total += cap;
	}
	void *p = (char *)a->head->data + a->head->used;
	a->head->used += n;
	memset(p, 0, n);
	return p;
}

static void graph_fail(lc_graph *g) { g->failed = 1; }

void *lc_graph_alloc(lc_graph *g, size_t n)
{
	void *p = arena_alloc(g, n);
	if (!p) {
		graph_fail(g);
		if (g->ctx)
			lc_fail(g->ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory building the graph");
	}
	return p;
}

const char *lc_graph_strn(lc_graph *g, const char *s, size_t n)
{
	char *d = lc_graph_alloc(g, n + 1);
	if (!d)
		return "";
	if (n)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

const char *lc_graph_str(lc_graph *g, const char *s) { return lc_graph_strn(g, s ? s : "", s ? strlen(s) : 0); }

/* Grows a malloc'ed vector (freed in lc_graph_free), starting at first
 * elements: per-node vectors start small (most nodes have a few attributes,
 * and a 200k-node graph must stay compact). */
static int grow_from(lc_graph *g, void **p, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap > SIZE_MAX / elem) {
		graph_fail(g);
		return -1;
	}
	void *np = realloc(*p, ncap * elem);
	if (!np) {
		graph_fail(g);
		if (g->ctx)
			lc_fail(g->ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory building the graph");
		return -1;
	}
	memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
	*p = np;
	*cap = ncap;
	return 0;
}

static int grow(lc_graph *g, void **p, size_t *cap, size_t n, size_t elem)
{
	return grow_from(g, p, cap, n, elem, 8);
}

lc_graph *lc_graph_new(lc_ctx *ctx, const char *format)
{
	lc_graph *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->arena = calloc(1, sizeof *g->arena);
	if (!g->arena) {
		free(g);
		return NULL;
	}
	g->ctx = ctx;
	g->format = format;
	return g;
}

void lc_graph_index_free(struct lc_graph_index *ix);

void lc_graph_free(lc_graph *g)
{
	if (!g)
		return;
	for (size_t s = 0; s < g->nsubs; s++) {
		lc_subgraph *sg = &g->subs[s];
		for (size_t i = 0; i < sg->nnodes; i++) {
			free(sg->nodes[i].inputs);
			free(sg->nodes[i].outputs);
			free(sg->nodes[i].attrs);
		}
		free(sg->nodes);
		free(sg->inputs);
		free(sg->outputs);
		free(sg->inits);
	}
	free(g->subs);
	for (size_t i = 0; i < g->nsigs; i++) {
		free(g->sigs[i].inputs);
		free(g->sigs[i].outputs);
	}
	free(g->sigs);
	free(g->opsets);
	lc_graph_index_free(g->index);
	if (g->arena) {
		arena_block *b = g->arena->head;
		while (b) {
			arena_block *n = b->next;
			free(b);
			b = n;
		}
		free(g->arena);
	}
	free(g);
}

int lc_graph_add_subgraph(lc_graph *g, const char *name, lc_subgraph_kind kind, int parent, int parent_node)
{
	if (g->ctx && g->nsubs >= lc_lim(g->ctx, LC_LIMIT_graph_max_subgraphs)) {
		if (!g->failed)
			lc_limit_hit(g->ctx, LC_LIMIT_graph_max_subgraphs, LC_NO_OFFSET, "subgraphs and functions");
		graph_fail(g);
		return -1;
	}
	if (grow(g, (void **)&g->subs, &g->capsubs, g->nsubs, sizeof *g->subs))
		return -1;
	lc_subgraph *sg = &g->subs[g->nsubs];
	memset(sg, 0, sizeof *sg);
	sg->name = lc_graph_str(g, name);
	sg->kind = kind;
	sg->parent = parent;
	sg->parent_node = parent_node;
	return (int)g->nsubs++;
}

static lc_subgraph *sub(lc_graph *g, int sg)
{
	if (sg < 0 || (size_t)sg >= g->nsubs)
		return NULL;
	return &g->subs[sg];
}

int lc_graph_add_node(lc_graph *g, int sgi, const char *name, const char *op, const char *domain, uint64_t offset)
{
	lc_subgraph *sg = sub(g, sgi);
	if (!sg)
		return -1;
	if (g->ctx && g->total_nodes >= lc_lim(g->ctx, LC_LIMIT_graph_max_nodes)) {
		if (!g->failed)
			lc_limit_hit(g->ctx, LC_LIMIT_graph_max_nodes, offset, "graph nodes over all subgraphs");
		graph_fail(g);
		return -1;
	}
	if (grow(g, (void **)&sg->nodes, &sg->capnodes, sg->nnodes, sizeof *sg->nodes))
		return -1;
	lc_node *n = &sg->nodes[sg->nnodes];
	memset(n, 0, sizeof *n);
	n->name = lc_graph_str(g, name);
	n->op = lc_graph_str(g, op);
	n->domain = lc_graph_str(g, domain);
	n->offset = offset;
	g->total_nodes++;
	return (int)sg->nnodes++;
}

lc_node *lc_graph_node(lc_graph *g, int sgi, int node)
{
	lc_subgraph *sg = sub(g, sgi);
	if (!sg || node < 0 || (size_t)node >= sg->nnodes)
		return NULL;
	return &sg->nodes[node];
}

/* Node input/output name lists grow by doubling; the capacity is the next
 * power of two of the count, so it need not be stored. */
static int push_name(lc_graph *g, const char ***v, size_t *n, const char *s, size_t len)
{
	size_t cap = 0;
	if (*n)
		for (cap = 1; cap < *n; cap <<= 1)
			;
	if (*n == cap) {
		size_t ncap = cap ? cap * 2 : 2;
		const char **nv = realloc(*v, ncap * sizeof *nv);
		if (!nv) {
			graph_fail(g);
			return -1;
		}
		*v = nv;
	}
	(*v)[(*n)++] = lc_graph_strn(g, s, len);
	return 0;
}

int lc_graph_node_input(lc_graph *g, int sg, int node, const char *name, size_t len)
{
	lc_node *n = lc_graph_node(g, sg, node);
	return n ? push_name(g, &n->inputs, &n->ninputs, name, len) : -1;
}

int lc_graph_node_output(lc_graph *g, int sg, int node, const char *name, size_t len)
{
	lc_node *n = lc_graph_node(g, sg, node);
	return n ? push_name(g, &n->outputs, &n->noutputs, name, len) : -1;
}

lc_attr *lc_graph_node_attr(lc_graph *g, int sg, int node, const char *name, size_t len)
{
	lc_node *n = lc_graph_node(g, sg, node);
	if (!n)
		return NULL;
	if (g->ctx && n->nattrs >= lc_lim(g->ctx, LC_LIMIT_graph_max_attrs)) {
		if (!g->failed)
			lc_limit_hit(g->ctx, LC_LIMIT_graph_max_attrs, n->offset, "attributes of one node");
		graph_fail(g);
		return NULL;
	}
	if (grow_from(g, (void **)&n->attrs, &n->capattrs, n->nattrs, sizeof *n->attrs, 2))
		return NULL;
	lc_attr *a = &n->attrs[n->nattrs++];
	memset(a, 0, sizeof *a);
	a->name = lc_graph_strn(g, name, len);
	a->sub = -1;
	return a;
}

static lc_value_info *push_value(lc_graph *g, lc_value_info **v, size_t *n, size_t *cap, const char *name,
				 size_t len)
{
	if (grow(g, (void **)v, cap, *n, sizeof **v))
		return NULL;
	lc_value_info *vi = &(*v)[(*n)++];
	memset(vi, 0, sizeof *vi);
	vi->name = lc_graph_strn(g, name, len);
	vi->shape.rank = -1;
	return vi;
}

lc_value_info *lc_graph_add_input(lc_graph *g, int sgi, const char *name, size_t len)
{
	lc_subgraph *sg = sub(g, sgi);
	return sg ? push_value(g, &sg->inputs, &sg->ninputs, &sg->capinputs, name, len) : NULL;
}

lc_value_info *lc_graph_add_output(lc_graph *g, int sgi, const char *name, size_t len)
{
	lc_subgraph *sg = sub(g, sgi);
	return sg ? push_value(g, &sg->outputs, &sg->noutputs, &sg->capoutputs, name, len) : NULL;
}

lc_value_info *lc_graph_add_init(lc_graph *g, int sgi, const char *name, size_t len)
{
	lc_subgraph *sg = sub(g, sgi);
	return sg ? push_value(g, &sg->inits, &sg->ninits, &sg->capinits, name, len) : NULL;
}

lc_signature *lc_graph_add_signature(lc_graph *g, const char *name, int sg)
{
	if (grow(g, (void **)&g->sigs, &g->capsigs, g->nsigs, sizeof *g->sigs))
		return NULL;
	lc_signature *s = &g->sigs[g->nsigs++];
	memset(s, 0, sizeof *s);
	s->name = lc_graph_str(g, name);
	s->subgraph = sg;
	return s;
}

int lc_graph_signature_io(lc_graph *g, lc_signature *s, int output, const char *name, size_t len)
{
	return output ? push_name(g, &s->outputs, &s->noutputs, name, len)
		      : push_name(g, &s->inputs, &s->ninputs, name, len);
}

int lc_graph_add_opset(lc_graph *g, const char *domain, int64_t version)
{
	if (grow(g, (void **)&g->opsets, &g->capopsets, g->nopsets, sizeof *g->opsets))
		return -1;
	g->opsets[g->nopsets].domain = lc_graph_str(g, domain);
	g->opsets[g->nopsets].version = version;
	g->nopsets++;
	return 0;
}

const lc_attr *lc_node_attr(const lc_node *n, const char *name)
{
	for (size_t i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	return NULL;
}

size_t lc_graph_node_count(const lc_graph *g) { return g->total_nodes; }

/* ---- name index: value name -> producing node, per subgraph --------------- */

typedef struct ix_slot {
	const char *name; /* NULL = empty */
	size_t len;
	int node;
} ix_slot;

typedef struct sg_index {
	ix_slot *slots;
	size_t cap;
} sg_index;

struct lc_graph_index {
	sg_index *subs;
	size_t nsubs;
};

void lc_graph_index_free(struct lc_graph_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nsubs; i++)
		free(ix->subs[i].slots);
	free(ix->subs);
	free(ix);
}

static uint64_t hash_n(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static void ix_put(sg_index *x, const char *name, size_t len, int node)
{
	size_t j = hash_n(name, len) & (x->cap - 1);
	while (x->slots[j].name) {
		if (x->slots[j].len == len && memcmp(x->slots[j].name, name, len) == 0)
			return; /* first producer wins */
		j = (j + 1) & (x->cap - 1);
	}
	x->slots[j].name = name;
	x->slots[j].len = len;
	x->slots[j].node = node;
}

static int ix_get(const sg_index *x, const char *name, size_t len)
{
	if (!x->cap)
		return -1;
	size_t j = hash_n(name, len) & (x->cap - 1);
	while (x->slots[j].name) {
		if (x->slots[j].len == len && memcmp(x->slots[j].name, name, len) == 0)
			return x->slots[j].node;
		j = (j + 1) & (x->cap - 1);
	}
	return -1;
}

static int build_index(lc_graph *g)
{
	struct lc_graph_index *ix = calloc(1, sizeof *ix);
	if (!ix)
		return -1;
	ix->subs = calloc(g->nsubs ? g->nsubs : 1, sizeof *ix->subs);
	if (!ix->subs) {
		free(ix);
		return -1;
	}
	ix->nsubs = g->nsubs;
	for (size_t s = 0; s < g->nsubs; s++) {
		lc_subgraph *sg = &g->subs[s];
		size_t want = 0;
		for (size_t i = 0; i < sg->nnodes; i++)
			want += sg->nodes[i].noutputs + 1;
		size_t cap = 16;
		while (cap < want * 2)
			cap <<= 1;
		ix->subs[s].slots = calloc(cap, sizeof(ix_slot));
		if (!ix->subs[s].slots) {
			lc_graph_index_free(ix);
			return -1;
		}
		ix->subs[s].cap = cap;
		for (size_t i = 0; i < sg->nnodes; i++) {
			lc_node *n = &sg->nodes[i];
			/* TF: the node name itself names output 0 */
			if (n->name[0])
				ix_put(&ix->subs[s], n->name, strlen(n->name), (int)i);
			for (size_t o = 0; o < n->noutputs; o++)
				if (n->outputs[o][0])
					ix_put(&ix->subs[s], n->outputs[o], strlen(n->outputs[o]), (int)i);
		}
	}
	g->index = ix;
	return 0;
}

int lc_graph_producer(lc_graph *g, int sg, const char *name)
{
	if (sg < 0 || (size_t)sg >= g->nsubs || !name)
		return -1;
	if (!g->index || g->index->nsubs != g->nsubs) {
		lc_graph_index_free(g->index);
		g->index = NULL;
		if (build_index(g))
			return -1;
	}
	if (name[0] == '^')
		name++;
	size_t len = strlen(name);
	int r = ix_get(&g->index->subs[sg], name, len);
	if (r >= 0)
		return r;
	/* TF: "node:1" and function-body "node:out:0" name outputs of "node" */
	const char *colon = memchr(name, ':', len);
	if (colon)
		return ix_get(&g->index->subs[sg], name, (size_t)(colon - name));
	return -1;
}

const lc_value_info *lc_graph_init(lc_graph *g, int sgi, const char *name)
{
	lc_subgraph *sg = sub(g, sgi);
	if (!sg)
		return NULL;
	for (size_t i = 0; i < sg->ninits; i++)
		if (strcmp(sg->inits[i].name, name) == 0)
			return &sg->inits[i];
	return NULL;
}

/* ---- dtypes -------------------------------------------------------------- */

const char *lc_dtype_name(lc_dtype dt)
{
	static const char *const names[] = {"unknown", "float32", "float64", "float16", "bfloat16", "int8",
					    "int16",   "int32",   "int64",   "uint8",   "uint16",   "uint32",
					    "uint64",  "bool",    "string",  "complex64", "complex128", "float8",
					    "int4",    "other"};
	return (unsigned)dt < sizeof names / sizeof names[0] ? names[dt] : "unknown";
}

unsigned lc_dtype_size(lc_dtype dt)
{
	switch (dt) {
	case LC_DT_F64:
	case LC_DT_I64:
	case LC_DT_U64:
	case LC_DT_C64:
		return 8;
	case LC_DT_F32:
	case LC_DT_I32:
	case LC_DT_U32:
		return 4;
	case LC_DT_F16:
	case LC_DT_BF16:
	case LC_DT_I16:
	case LC_DT_U16:
		return 2;
	case LC_DT_I8:
	case LC_DT_U8:
	case LC_DT_BOOL:
	case LC_DT_F8:
		return 1;
	case LC_DT_C128:
		return 16;
	default:
		return 0;
	}
}

/* ---- the analysis hook ----------------------------------------------------- */

/* A kept graph outlives the scan.  Tensor payloads that point into the
 * file's mapping stay readable (the engine keeps the mapping alive with the
 * result); payloads in a buffer the engine frees after the scan (a deflated
 * zip member) are dropped here rather than left dangling. */
static int in_map(const lc_ctx *ctx, const uint8_t *p)
{
	return ctx->map && p >= ctx->map && p < ctx->map + ctx->map_len;
}

static void detach_tensor(const lc_ctx *ctx, lc_tensor *t)
{
	if (!t)
		return;
	if (t->data && !in_map(ctx, t->data)) {
		t->data = NULL;
		t->data_len = 0;
	}
	if (t->packed && !in_map(ctx, t->packed)) {
		t->packed = NULL;
		t->packed_len = 0;
	}
}

static void detach_payloads(const lc_ctx *ctx, lc_graph *g)
{
	for (size_t s = 0; s < g->nsubs; s++) {
		lc_subgraph *sg = &g->subs[s];
		for (size_t i = 0; i < sg->ninits; i++)
			detach_tensor(ctx, sg->inits[i].init);
		for (size_t i = 0; i < sg->ninputs; i++)
			detach_tensor(ctx, sg->inputs[i].init);
		for (size_t i = 0; i < sg->noutputs; i++)
			detach_tensor(ctx, sg->outputs[i].init);
		for (size_t i = 0; i < sg->nnodes; i++)
			for (size_t a = 0; a < sg->nodes[i].nattrs; a++)
				detach_tensor(ctx, sg->nodes[i].attrs[a].tensor);
	}
	if (ctx->map_mmapped)
		ctx->file->keep_map = 1;
}

void lc_graph_done(lc_ctx *ctx, lc_graph *g)
{
	if (!g)
		return;
	if (!g->failed) {
#define LC_GRAPH_ANALYSIS(id) lc_graph_analyze_##id(ctx, g);
#include "analyses.def"
#undef LC_GRAPH_ANALYSIS
	}
	/* laocoon inspect/graph keep the first graph of the file itself. */
	if (ctx->keep_graphs && !ctx->file->graph) {
		detach_payloads(ctx, g);
		g->ctx = NULL; /* the scan context ends before the kept graph */
		ctx->file->graph = g;
		return;
	}
	lc_graph_free(g);
}
