/*
 * GGUF reader (src/formats/gguf.c): llama.cpp / ggml model files.
 *
 * Layout (all little-endian): "GGUF", u32 version, tensor count, key/value
 * count (u64; u32 in version 1), the key/value pairs (string key, u32 value
 * type, value), the tensor infos (name, u32 n_dims, dims (u64; u32 in v1),
 * u32 ggml type, u64 offset), padding to general.alignment (default 32),
 * then the tensor data.  Strings are a length (u64; u32 in v1) and bytes.
 *
 * Why hand-written instead of linking ggml's gguf.cpp or gguf-py: those
 * readers are written for trusted files (gguf.cpp aborts on a wrongly typed
 * general.alignment, older versions overflowed on hostile counts) and
 * allocate what the header claims.  Here every count and length is checked
 * against the bytes left and a limit of the table before anything is
 * touched, allocation only grows with what was actually read, and nothing
 * of the tensor data is read.  The structural rules are llama.cpp's
 * (gguf.cpp): version 2 or 3 (1 also parsed), unique keys, known value
 * types, general.alignment a u32 power of two, unique tensor names shorter
 * than GGML_MAX_NAME (64), n_dims <= GGML_MAX_DIMS (4), non-negative dims
 * whose product fits int64, a known ggml type whose block size divides
 * dims[0], offsets exactly where gguf.cpp expects them (in order, each
 * tensor padded to the alignment) and data inside the file.  A violation is
 * an error: a file llama.cpp refuses is not "clean".
 *
 * Chat templates (tokenizer.chat_template, tokenizer.chat_template.<name>,
 * and any other string value that looks like Jinja) go to
 * analyze/jinja_template.c.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/jinja_template.h"
#include "core/lc.h"

enum {
	GT_UINT8, GT_INT8, GT_UINT16, GT_INT16, GT_UINT32, GT_INT32, GT_FLOAT32, GT_BOOL, GT_STRING,
	GT_ARRAY, GT_UINT64, GT_INT64, GT_FLOAT64, GT_COUNT
};
static const char *const gt_names[GT_COUNT] = {"uint8", "int8",  "uint16", "int16",  "uint32",
					       "int32", "float32", "bool", "string", "array",
					       "uint64", "int64", "float64"};
static const uint8_t gt_size[GT_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

#define GGML_MAX_DIMS 4
#define GGML_MAX_NAME 64
#define GGUF_DEFAULT_ALIGNMENT 32

/* ggml type table (ggml/src/ggml.c type_traits: blck_size, type_size).
 * Zero rows are removed types (Q4_2, Q4_3, Q4_0_x_x, IQ4_NL_x_x). */
static const struct {
	const char *name;
	uint32_t blck, size;
} ggml_types[] = {
	[0] = {"F32", 1, 4},         [1] = {"F16", 1, 2},        [2] = {"Q4_0", 32, 18},
	[3] = {"Q4_1", 32, 20},      [6] = {"Q5_0", 32, 22},     [7] = {"Q5_1", 32, 24},
	[8] = {"Q8_0", 32, 34},      [9] = {"Q8_1", 32, 36},     [10] = {"Q2_K", 256, 84},
	[11] = {"Q3_K", 256, 110},   [12] = {"Q4_K", 256, 144},  [13] = {"Q5_K", 256, 176},
	[14] = {"Q6_K", 256, 210},   [15] = {"Q8_K", 256, 292},  [16] = {"IQ2_XXS", 256, 66},
	[17] = {"IQ2_XS", 256, 74},  [18] = {"IQ3_XXS", 256, 98}, [19] = {"IQ1_S", 256, 50},
	[20] = {"IQ4_NL", 32, 18},   [21] = {"IQ3_S", 256, 110}, [22] = {"IQ2_S", 256, 82},
	[23] = {"IQ4_XS", 256, 136}, [24] = {"I8", 1, 1},        [25] = {"I16", 1, 2},
	[26] = {"I32", 1, 4},        [27] = {"I64", 1, 8},       [28] = {"F64", 1, 8},
	[29] = {"IQ1_M", 256, 56},   [30] = {"BF16", 1, 2},      [34] = {"TQ1_0", 256, 54},
	[35] = {"TQ2_0", 256, 66},   [39] = {"MXFP4", 32, 17},   [40] = {"NVFP4", 64, 36},
	[41] = {"Q1_0", 128, 18},    [42] = {"Q2_0", 64, 18},
};
#define NGGML (sizeof ggml_types / sizeof ggml_types[0])

typedef struct gtensor {
	const uint8_t *name;
	uint64_t name_len;
	uint64_t nelem, nbytes, offset;
	uint32_t type;
} gtensor;

/* Set of byte strings (keys, tensor names) pointing into the view. */
typedef struct sslot {
	const uint8_t *p;
	uint64_t n;
} sslot;
typedef struct sset {
	sslot *slot;
	size_t cap, used;
} sset;

typedef struct gg {
	lc_ctx *ctx;
	const uint8_t *d;
	size_t n;
	lc_cur c;
	uint32_t version;
	uint32_t alignment;
	const uint8_t *arch;
	uint64_t arch_len;
	uint64_t n_kv, n_tensors;
	sset keys, names;
	gtensor *t;
	size_t nt, capt;
} gg;

static uint64_t hash_bytes(const uint8_t *p, uint64_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (uint64_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Inserts; returns 1 if new, 0 if already present, -1 on allocation failure. */
static int sset_add(sset *s, const uint8_t *p, uint64_t n)
{
	if (2 * (s->used + 1) > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		sslot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slot[i].p)
				continue;
			size_t j = hash_bytes(s->slot[i].p, s->slot[i].n) & (ncap - 1);
			while (ns[j].p)
				j = (j + 1) & (ncap - 1);
			ns[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	size_t j = hash_bytes(p, n) & (s->cap - 1);
	while (s->slot[j].p) {
		if (s->slot[j].n == n && memcmp(s->slot[j].p, p, n) == 0)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	/* Zero-length strings still need a non-NULL marker. */
	s->slot[j].p = p ? p : (const uint8_t *)"";
	s->slot[j].n = n;
	s->used++;
	return 1;
}

static const char *show(const uint8_t *p, uint64_t n, char *buf, size_t len)
{
	return lc_escape(p, (size_t)n, 80, buf, len);
}

static lc_err truncated(gg *g, const char *what)
{
	return lc_fail(g->ctx, LC_E_TRUNCATED, lc_cur_off(&g->c), "gguf: file ends inside %s (%zu bytes left)", what,
		       lc_cur_left(&g->c));
}

/* Count or length field: u32 in version 1, u64 after. */
static bool read_len(gg *g, uint64_t *v)
{
	if (g->version == 1) {
		uint32_t x;
		bool ok = lc_cur_u32le(&g->c, &x);
		*v = x;
		return ok;
	}
	return lc_cur_u64le(&g->c, v);
}

static lc_err read_str(gg *g, const uint8_t **p, uint64_t *n, const char *what)
{
	size_t at = lc_cur_off(&g->c);
	if (!read_len(g, n))
		return truncated(g, what);
	/* Past the end first: a corrupted length is not a limit question. */
	if (*n > lc_cur_left(&g->c))
		return lc_fail(g->ctx, LC_E_TRUNCATED, at,
			       "gguf: %s of %llu bytes at offset %zu runs past the end of the file (%zu bytes left)",
			       what, (unsigned long long)*n, at, lc_cur_left(&g->c));
	if (*n > lc_lim(g->ctx, LC_LIMIT_gguf_max_string))
		return lc_limit_hit(g->ctx, LC_LIMIT_gguf_max_string, at, what);
	lc_cur_take(&g->c, (size_t)*n, p);
	return LC_OK;
}

static lc_err skip_value(gg *g, uint32_t type, unsigned depth, const char *kb);

static lc_err skip_array(gg *g, unsigned depth, const char *kb)
{
	size_t at = lc_cur_off(&g->c);
	uint32_t et;
	uint64_t count;
	if (!lc_cur_u32le(&g->c, &et) || !read_len(g, &count))
		return truncated(g, "an array header");
	if (et >= GT_COUNT)
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: key %s: array of unknown value type %u", kb, et);
	/* Elements take at least min bytes each (strings and arrays: their
	 * length field): a count the file cannot hold is a corrupted count,
	 * reported as such before the limit is considered. */
	uint64_t min = gt_size[et];
	if (!min)
		min = (g->version == 1 ? 4 : 8) + (et == GT_ARRAY ? 4 : 0);
	if (count > lc_cur_left(&g->c) / min)
		return lc_fail(g->ctx, LC_E_TRUNCATED, at,
			       "gguf: key %s: array of %llu %s elements cannot fit in the %zu bytes left", kb,
			       (unsigned long long)count, gt_names[et], lc_cur_left(&g->c));
	if (count > lc_lim(g->ctx, LC_LIMIT_gguf_max_array))
		return lc_limit_hit(g->ctx, LC_LIMIT_gguf_max_array, at, "array elements");
	if (gt_size[et]) {
		lc_cur_skip(&g->c, (size_t)(count * gt_size[et])); /* fits: checked above */
		return LC_OK;
	}
	if (et == GT_ARRAY && depth + 1 > lc_lim(g->ctx, LC_LIMIT_gguf_max_nesting))
		return lc_limit_hit(g->ctx, LC_LIMIT_gguf_max_nesting, at, "nested arrays");
	for (uint64_t i = 0; i < count; i++) {
		lc_err err = skip_value(g, et, depth + 1, kb);
		if (err != LC_OK)
			return err;
	}
	lc_release_before(g->ctx, g->c.p);
	return LC_OK;
}

static lc_err skip_value(gg *g, uint32_t type, unsigned depth, const char *kb)
{
	if (type == GT_STRING) {
		const uint8_t *p;
		uint64_t n;
		return read_str(g, &p, &n, "a string value");
	}
	if (type == GT_ARRAY)
		return skip_array(g, depth, kb);
	if (!lc_cur_skip(&g->c, gt_size[type]))
		return truncated(g, "a value");
	return LC_OK;
}

static bool key_is(const uint8_t *k, uint64_t n, const char *s)
{
	return n == strlen(s) && memcmp(k, s, n) == 0;
}

static lc_err read_kv(gg *g, uint64_t idx)
{
	size_t at = lc_cur_off(&g->c);
	const uint8_t *k;
	uint64_t kn;
	lc_err err = read_str(g, &k, &kn, "a metadata key");
	if (err != LC_OK)
		return err;
	char kb[200];
	show(k, kn, kb, sizeof kb);
	int added = sset_add(&g->keys, k, kn);
	if (added < 0)
		return lc_fail(g->ctx, LC_E_NOMEM, at, "out of memory indexing metadata keys");
	if (added == 0)
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: duplicate metadata key %s", kb);
	uint32_t type;
	if (!lc_cur_u32le(&g->c, &type))
		return truncated(g, "a value type");
	if (type >= GT_COUNT)
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: key %s (#%llu) has unknown value type %u", kb,
			       (unsigned long long)idx, type);
	if (key_is(k, kn, "general.alignment")) {
		uint32_t al;
		if (type != GT_UINT32)
			return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: general.alignment has type %s, expected uint32",
				       gt_names[type]);
		if (!lc_cur_u32le(&g->c, &al))
			return truncated(g, "general.alignment");
		if (al == 0 || (al & (al - 1)) != 0)
			return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: general.alignment %u is not a power of two", al);
		g->alignment = al;
		return LC_OK;
	}
	if (type != GT_STRING)
		return skip_value(g, type, 0, kb);
	const uint8_t *v;
	uint64_t vn;
	size_t voff = lc_cur_off(&g->c);
	err = read_str(g, &v, &vn, "a string value");
	if (err != LC_OK)
		return err;
	voff += g->version == 1 ? 4 : 8;
	if (key_is(k, kn, "general.architecture")) {
		g->arch = v;
		g->arch_len = vn;
	}
	bool tmpl_key = key_is(k, kn, "tokenizer.chat_template") ||
			(kn > 24 && memcmp(k, "tokenizer.chat_template.", 24) == 0);
	if (tmpl_key || lc_jinja_looks_like_template(v, (size_t)vn))
		return lc_jinja_check(g->ctx, "gguf.template.sandbox-escape", kb, v, (size_t)vn, voff);
	return LC_OK;
}

static lc_err read_tensor_info(gg *g, uint64_t idx)
{
	size_t at = lc_cur_off(&g->c);
	gtensor ti;
	memset(&ti, 0, sizeof ti);
	lc_err err = read_str(g, &ti.name, &ti.name_len, "a tensor name");
	if (err != LC_OK)
		return err;
	char nb[200];
	show(ti.name, ti.name_len, nb, sizeof nb);
	if (ti.name_len >= GGML_MAX_NAME)
		return lc_fail(g->ctx, LC_E_MALFORMED, at,
			       "gguf: tensor #%llu name of %llu bytes is too long (ggml allows %d): %s",
			       (unsigned long long)idx, (unsigned long long)ti.name_len, GGML_MAX_NAME - 1, nb);
	int added = sset_add(&g->names, ti.name, ti.name_len);
	if (added < 0)
		return lc_fail(g->ctx, LC_E_NOMEM, at, "out of memory indexing tensor names");
	if (added == 0)
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: duplicate tensor name %s", nb);
	uint32_t n_dims;
	if (!lc_cur_u32le(&g->c, &n_dims))
		return truncated(g, "a tensor info");
	if (n_dims > GGML_MAX_DIMS)
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: tensor %s has %u dimensions (ggml allows %d)", nb,
			       n_dims, GGML_MAX_DIMS);
	uint64_t ne[GGML_MAX_DIMS] = {1, 1, 1, 1};
	for (uint32_t j = 0; j < n_dims; j++) {
		if (!read_len(g, &ne[j]))
			return truncated(g, "tensor dimensions");
		if (ne[j] > (uint64_t)INT64_MAX)
			return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: tensor %s dimension %u is negative", nb, j);
	}
	uint32_t type;
	if (!lc_cur_u32le(&g->c, &type) || !lc_cur_u64le(&g->c, &ti.offset))
		return truncated(g, "a tensor info");
	uint64_t nelem = 1;
	for (int j = 0; j < GGML_MAX_DIMS; j++)
		if (__builtin_mul_overflow(nelem, ne[j], &nelem) || nelem > (uint64_t)INT64_MAX)
			return lc_fail(g->ctx, LC_E_MALFORMED, at,
				       "gguf: tensor %s has [%llu, %llu, %llu, %llu] elements: the count overflows", nb,
				       (unsigned long long)ne[0], (unsigned long long)ne[1], (unsigned long long)ne[2],
				       (unsigned long long)ne[3]);
	if (type >= NGGML || ggml_types[type].blck == 0)
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: tensor %s has unknown ggml type %u", nb, type);
	uint32_t blck = ggml_types[type].blck;
	if (ne[0] % blck != 0)
		return lc_fail(g->ctx, LC_E_MALFORMED, at,
			       "gguf: tensor %s of type %s has %llu elements per row, not a multiple of the block "
			       "size %u",
			       nb, ggml_types[type].name, (unsigned long long)ne[0], blck);
	/* ggml_nbytes of a contiguous tensor: rows of blocks. */
	uint64_t blocks = nelem / blck;
	if (__builtin_mul_overflow(blocks, (uint64_t)ggml_types[type].size, &ti.nbytes))
		return lc_fail(g->ctx, LC_E_MALFORMED, at, "gguf: tensor %s byte size overflows", nb);
	ti.nelem = nelem;
	ti.type = type;
	if (g->nt == g->capt) {
		size_t ncap = g->capt ? g->capt * 2 : 64;
		gtensor *nt = realloc(g->t, ncap * sizeof *nt);
		if (!nt)
			return lc_fail(g->ctx, LC_E_NOMEM, at, "out of memory for tensor infos");
		g->t = nt;
		g->capt = ncap;
	}
	g->t[g->nt++] = ti;
	return LC_OK;
}

static bool align_up(uint64_t v, uint64_t al, uint64_t *out)
{
	uint64_t r = v % al;
	if (r == 0) {
		*out = v;
		return true;
	}
	return !__builtin_add_overflow(v, al - r, out);
}

static void human_count(uint64_t v, char *buf, size_t len)
{
	static const char *const unit[] = {"", "k", "M", "B", "T"};
	double d = (double)v;
	int u = 0;
	while (d >= 1000.0 && u < 4) {
		d /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else
		snprintf(buf, len, "%.1f %s", d, unit[u]);
}

static void inventory(gg *g)
{
	uint64_t params = 0, hist[NGGML] = {0};
	for (size_t i = 0; i < g->nt; i++) {
		if (__builtin_add_overflow(params, g->t[i].nelem, &params))
			params = UINT64_MAX;
		hist[g->t[i].type]++;
	}
	char pc[32], h[400], ab[120];
	human_count(params, pc, sizeof pc);
	size_t o = 0;
	h[0] = '\0';
	bool used[NGGML] = {false};
	for (int shown = 0; shown < 8; shown++) {
		size_t best = NGGML;
		for (size_t i = 0; i < NGGML; i++)
			if (hist[i] && !used[i] && (best == NGGML || hist[i] > hist[best]))
				best = i;
		if (best == NGGML)
			break;
		used[best] = true;
		o += (size_t)snprintf(h + o, sizeof h - o, "%s%s %llu", o ? ", " : "", ggml_types[best].name,
				      (unsigned long long)hist[best]);
		if (o >= sizeof h)
			break;
	}
	if (g->arch)
		show(g->arch, g->arch_len, ab, sizeof ab);
	lc_finding_add(g->ctx, LC_SEV_INFO, "gguf.inventory", LC_NO_OFFSET, NULL, NULL,
		       "GGUF v%u%s%s, %llu metadata keys, %zu tensor%s, %s parameters%s%s%s", g->version,
		       g->arch ? ", architecture " : "", g->arch ? ab : "", (unsigned long long)g->n_kv, g->nt,
		       g->nt == 1 ? "" : "s", pc, g->nt ? " (" : "", h, g->nt ? ")" : "");
}

int lc_bid_gguf(const uint8_t *data, size_t len)
{
	if (len < 8 || memcmp(data, "GGUF", 4) != 0)
		return 0;
	uint32_t v = lc_le32(data + 4);
	return v >= 1 && v <= 3 ? 95 : 60;
}

static lc_err parse(gg *g)
{
	lc_ctx *ctx = g->ctx;
	lc_cur *c = &g->c;
	lc_cur_skip(c, 4);
	if (!lc_cur_u32le(c, &g->version))
		return truncated(g, "the header");
	if ((g->version & 0xFFFFu) == 0)
		return lc_fail(ctx, LC_E_UNSUPPORTED, 4, "gguf: version field 0x%08x: a big-endian GGUF file",
			       g->version);
	if (g->version < 1 || g->version > 3)
		return lc_fail(ctx, LC_E_UNSUPPORTED, 4, "gguf: unsupported version %u (known: 1, 2, 3)", g->version);
	if (!read_len(g, &g->n_tensors) || !read_len(g, &g->n_kv))
		return truncated(g, "the header");
	if (g->n_kv > lc_lim(ctx, LC_LIMIT_gguf_max_kv))
		return lc_limit_hit(ctx, LC_LIMIT_gguf_max_kv, 8, "metadata key/value pairs");
	if (g->n_tensors > lc_lim(ctx, LC_LIMIT_gguf_max_tensors))
		return lc_limit_hit(ctx, LC_LIMIT_gguf_max_tensors, 8, "tensor infos");
	g->alignment = GGUF_DEFAULT_ALIGNMENT;
	for (uint64_t i = 0; i < g->n_kv; i++) {
		lc_err err = read_kv(g, i);
		if (err != LC_OK)
			return err;
	}
	for (uint64_t i = 0; i < g->n_tensors; i++) {
		lc_err err = read_tensor_info(g, i);
		if (err != LC_OK)
			return err;
	}
	uint64_t info_end = lc_cur_off(c), data_start, expect = 0;
	if (!align_up(info_end, g->alignment, &data_start))
		return lc_fail(ctx, LC_E_MALFORMED, info_end, "gguf: data section offset overflows");
	for (size_t i = 0; i < g->nt; i++) {
		gtensor *t = &g->t[i];
		char nb[200];
		show(t->name, t->name_len, nb, sizeof nb);
		if (t->offset != expect)
			return lc_fail(ctx, LC_E_MALFORMED, info_end,
				       "gguf: tensor %s has offset %llu, expected %llu (%s; tensors are stored in "
				       "order, each padded to %u bytes)",
				       nb, (unsigned long long)t->offset, (unsigned long long)expect,
				       t->offset % g->alignment ? "not aligned"
				       : t->offset < expect     ? "overlaps the previous tensor"
								: "leaves a gap",
				       g->alignment);
		uint64_t end, padded;
		if (__builtin_add_overflow(data_start, t->offset, &end) || __builtin_add_overflow(end, t->nbytes, &end) ||
		    end > g->n)
			return lc_fail(ctx, LC_E_TRUNCATED, info_end,
				       "gguf: tensor %s data [%llu, +%llu) lies beyond the end of the file (%zu bytes)",
				       nb, (unsigned long long)t->offset, (unsigned long long)t->nbytes, g->n);
		if (!align_up(t->nbytes, g->alignment, &padded) || __builtin_add_overflow(expect, padded, &expect))
			return lc_fail(ctx, LC_E_MALFORMED, info_end, "gguf: data section size overflows");
	}
	/* Bytes after the padded data section belong to nothing. */
	uint64_t end = g->nt ? data_start + expect : info_end;
	if (end < g->n && g->n - end >= g->alignment)
		lc_finding_add(ctx, LC_SEV_LOW, "gguf.trailing-data", end, NULL, NULL,
			       "%llu bytes follow the end of the GGUF data; loaders ignore them",
			       (unsigned long long)(g->n - end));
	inventory(g);
	return LC_OK;
}

lc_err lc_parse_gguf(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	gg g;
	memset(&g, 0, sizeof g);
	g.ctx = ctx;
	g.d = data;
	g.n = len;
	lc_cur_init(&g.c, data, len);
	lc_err err = parse(&g);
	free(g.keys.slot);
	free(g.names.slot);
	free(g.t);
	return err;
}
