/*
 * safetensors reader (src/formats/safetensors.c).
 *
 * Layout: u64 little-endian N, N bytes of UTF-8 JSON (the header), then the
 * data section.  The header maps tensor names to {dtype, shape,
 * data_offsets [begin, end)} relative to the data section, plus an optional
 * "__metadata__" string->string map.  safetensors carries no code, so the
 * risk is a file that is not what it claims: a pickle or zip renamed
 * .safetensors (handled by content bidding: this reader only bids on the
 * real layout) or a header that loaders disagree on.  We validate the way
 * the reference crate (huggingface/safetensors, tensor.rs) does, and fail
 * closed where it would refuse the file, with a message naming the tensor
 * and the numbers: header size (crate: at most 100 MB), header starts with
 * '{' (trailing spaces are the crate's own padding), JSON with no duplicate
 * keys, known dtypes, shape x dtype size == data_offsets span (checked for
 * overflow), offsets sorted, contiguous from 0 and covering the data section
 * exactly.  Tensor data is never read, so a 1 GiB file validates in the time
 * it takes to parse its header.
 *
 * Differences from the crate, all stricter: unknown keys inside a tensor
 * entry and duplicate JSON keys are errors (serde ignores or overwrites
 * them, a scanner must not guess which copy a loader uses).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"

#define ST_HEADER_HARD_MIN 2 /* "{}" */

/* Every dtype of the crate's Dtype enum (0.6: sub-byte float formats
 * included); size in bits. */
static const struct {
	const char *name;
	unsigned bits;
} dtypes[] = {
	{"BOOL", 8},     {"F4", 4},       {"F6_E2M3", 6}, {"F6_E3M2", 6}, {"U8", 8},   {"I8", 8},
	{"F8_E5M2", 8},  {"F8_E4M3", 8},  {"F8_E8M0", 8}, {"I16", 16},    {"U16", 16}, {"F16", 16},
	{"BF16", 16},    {"I32", 32},     {"U32", 32},    {"F32", 32},    {"C64", 64}, {"F64", 64},
	{"I64", 64},     {"U64", 64},
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

typedef struct st_tensor {
	const char *name;
	uint64_t begin, end;
	uint64_t nelem;
	unsigned dtype;
} st_tensor;

int lc_bid_safetensors(const uint8_t *data, size_t len)
{
	if (len < 10)
		return 0;
	uint64_t n = lc_le64(data);
	if (data[8] != '{') {
		/* Leading whitespace: the crate refuses it (InvalidHeaderStart);
		 * claim it weakly so the refusal is reported precisely. */
		size_t i = 8;
		while (i < len && i < 24 && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
			i++;
		return i > 8 && i < len && data[i] == '{' && n >= ST_HEADER_HARD_MIN && n <= len - 8 ? 30 : 0;
	}
	if (n < ST_HEADER_HARD_MIN)
		return 0;
	if (n <= len - 8) {
		/* The header ends with '}' and the writer's space padding; look
		 * back a bounded distance only. */
		size_t e = 8 + (size_t)n, stop = e > 8 + 64 ? e - 64 : 9;
		while (e > stop && data[e - 1] == ' ')
			e--;
		return data[e - 1] == '}' ? 90 : 40;
	}
	/* Claimed header longer than the file: still ours to report (truncated
	 * download, corrupted length), provided the start reads like one. */
	if (n <= (1ull << 30) && (data[9] == '"' || data[9] == '}' || data[9] == ' ' || data[9] == '\n'))
		return 30;
	return 0;
}

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a real number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Printable tensor name for messages. */
static const char *tname(const char *s, char *buf, size_t len)
{
	return lc_escape((const uint8_t *)s, strlen(s), 80, buf, len);
}

static int cmp_offsets(const void *x, const void *y)
{
	const st_tensor *p = x, *q = y;
	if (p->begin != q->begin)
		return p->begin < q->begin ? -1 : 1;
	if (p->end != q->end)
		return p->end < q->end ? -1 : 1;
	return strcmp(p->name, q->name);
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

/* Metadata strings are inert (no loader evaluates them) but code-looking
 * text in them is worth a note: a later pipeline step might. */
static void check_metadata_text(lc_ctx *ctx, const char *key, const char *val, size_t n)
{
	static const char *const code[] = {"subprocess", "exec(",      "eval(",  "os.system", "__import__",
					   "import os", "base64",     "<script", "/bin/sh", "/bin/bash",
					   "curl ",     "wget ",      "rm -rf",  "powershell", "pickle.loads",
					   NULL};
	static const char *const url[] = {"http://", "https://", "ftp://", NULL};
	char hits[160];
	size_t o = 0;
	hits[0] = '\0';
	bool is_code = false, is_url = false;
	for (const char *const *p = code; *p; p++) {
		if (memmem(val, n, *p, strlen(*p))) {
			is_code = true;
			o += (size_t)snprintf(hits + o, sizeof hits - o, "%s%s", o ? ", " : "", *p);
			if (o >= sizeof hits)
				o = sizeof hits - 1;
		}
	}
	for (const char *const *p = url; *p && !is_code; p++)
		if (memmem(val, n, *p, strlen(*p)))
			is_url = true;
	if (!is_code && !is_url)
		return;
	char kb[128], ev[200];
	lc_escape((const uint8_t *)key, strlen(key), 60, kb, sizeof kb);
	lc_escape((const uint8_t *)val, n, 120, ev, sizeof ev);
	if (is_code)
		lc_finding_add(ctx, LC_SEV_LOW, "safetensors.metadata.code-like", LC_NO_OFFSET, key, ev,
			       "__metadata__ %s holds code-like text (%s); safetensors loaders never evaluate "
			       "metadata, but a pipeline that does would run it",
			       kb, hits);
	else
		lc_finding_add(ctx, LC_SEV_INFO, "safetensors.metadata.code-like", LC_NO_OFFSET, key, ev,
			       "__metadata__ %s holds a URL", kb);
}

static lc_err check_metadata(lc_ctx *ctx, json_t *meta)
{
	if (json_is_null(meta))
		return LC_OK; /* the crate's Option<HashMap> reads null as None */
	if (!json_is_object(meta))
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: __metadata__ is %s, expected an object of strings",
			       jtype(meta));
	const char *k;
	json_t *v;
	json_object_foreach(meta, k, v) {
		if (!json_is_string(v)) {
			char kb[128];
			return lc_fail(ctx, LC_E_MALFORMED, 8,
				       "safetensors: __metadata__ value of %s is %s, expected a string",
				       tname(k, kb, sizeof kb), jtype(v));
		}
		check_metadata_text(ctx, k, json_string_value(v), json_string_length(v));
	}
	return LC_OK;
}

static bool get_u64(const json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

/* Parses one tensor entry into t; returns LC_OK or the recorded error. */
static lc_err parse_tensor(lc_ctx *ctx, const char *name, json_t *e, st_tensor *t)
{
	char nb[200];
	tname(name, nb, sizeof nb);
	if (!json_is_object(e))
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: tensor %s: entry is %s, expected an object", nb,
			       jtype(e));
	const char *k;
	json_t *v;
	json_object_foreach(e, k, v) {
		if (strcmp(k, "dtype") != 0 && strcmp(k, "shape") != 0 && strcmp(k, "data_offsets") != 0) {
			char kb[128];
			return lc_fail(ctx, LC_E_MALFORMED, 8,
				       "safetensors: tensor %s: unexpected key %s (allowed: dtype, shape, data_offsets)",
				       nb, tname(k, kb, sizeof kb));
		}
	}
	json_t *dt = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape"),
	       *offs = json_object_get(e, "data_offsets");
	if (!dt || !shape || !offs)
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: tensor %s: missing \"%s\"", nb,
			       !dt ? "dtype" : !shape ? "shape" : "data_offsets");
	if (!json_is_string(dt))
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: tensor %s: dtype is %s, expected a string", nb,
			       jtype(dt));
	t->dtype = NDTYPES;
	for (unsigned i = 0; i < NDTYPES; i++)
		if (strcmp(json_string_value(dt), dtypes[i].name) == 0 && json_string_length(dt) == strlen(dtypes[i].name))
			t->dtype = i;
	if (t->dtype == NDTYPES) {
		char db[128];
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: tensor %s: unknown dtype %s", nb,
			       lc_escape((const uint8_t *)json_string_value(dt), json_string_length(dt), 40, db,
					 sizeof db));
	}
	if (!json_is_array(shape))
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: tensor %s: shape is %s, expected an array", nb,
			       jtype(shape));
	uint64_t nelem = 1;
	bool overflow = false;
	for (size_t i = 0; i < json_array_size(shape); i++) {
		uint64_t d;
		if (!get_u64(json_array_get(shape, i), &d))
			return lc_fail(ctx, LC_E_MALFORMED, 8,
				       "safetensors: tensor %s: shape[%zu] is not a non-negative integer", nb, i);
		if (__builtin_mul_overflow(nelem, d, &nelem))
			overflow = true;
	}
	if (!json_is_array(offs) || json_array_size(offs) != 2 || !get_u64(json_array_get(offs, 0), &t->begin) ||
	    !get_u64(json_array_get(offs, 1), &t->end))
		return lc_fail(ctx, LC_E_MALFORMED, 8,
			       "safetensors: tensor %s: data_offsets must be [begin, end] with non-negative integers", nb);
	if (t->end < t->begin)
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: tensor %s: data_offsets [%llu, %llu] end before they begin",
			       nb, (unsigned long long)t->begin, (unsigned long long)t->end);
	uint64_t bits;
	if (overflow || __builtin_mul_overflow(nelem, (uint64_t)dtypes[t->dtype].bits, &bits))
		return lc_fail(ctx, LC_E_MALFORMED, 8,
			       "safetensors: tensor %s: shape x dtype size overflows 64 bits", nb);
	if (bits % 8 != 0)
		return lc_fail(ctx, LC_E_MALFORMED, 8,
			       "safetensors: tensor %s: %llu elements of %s do not fill whole bytes", nb,
			       (unsigned long long)nelem, dtypes[t->dtype].name);
	if (t->end - t->begin != bits / 8)
		return lc_fail(ctx, LC_E_MALFORMED, 8,
			       "safetensors: tensor %s: data_offsets [%llu, %llu] span %llu bytes, but %llu elements "
			       "of %s need %llu",
			       nb, (unsigned long long)t->begin, (unsigned long long)t->end,
			       (unsigned long long)(t->end - t->begin), (unsigned long long)nelem,
			       dtypes[t->dtype].name, (unsigned long long)(bits / 8));
	t->nelem = nelem;
	t->name = name;
	return LC_OK;
}

static void inventory(lc_ctx *ctx, const st_tensor *t, size_t nt, uint64_t data_size)
{
	uint64_t params = 0, hist[NDTYPES] = {0};
	for (size_t i = 0; i < nt; i++) {
		if (__builtin_add_overflow(params, t[i].nelem, &params))
			params = UINT64_MAX;
		hist[t[i].dtype]++;
	}
	char pc[32], h[512];
	human_count(params, pc, sizeof pc);
	size_t o = 0;
	h[0] = '\0';
	/* Most frequent dtype first. */
	bool used[NDTYPES] = {false};
	for (;;) {
		size_t best = NDTYPES;
		for (size_t i = 0; i < NDTYPES; i++)
			if (hist[i] && !used[i] && (best == NDTYPES || hist[i] > hist[best]))
				best = i;
		if (best == NDTYPES)
			break;
		used[best] = true;
		o += (size_t)snprintf(h + o, sizeof h - o, "%s%s %llu", o ? ", " : "", dtypes[best].name,
				      (unsigned long long)hist[best]);
		if (o >= sizeof h)
			break;
	}
	lc_finding_add(ctx, LC_SEV_INFO, "safetensors.inventory", LC_NO_OFFSET, NULL, NULL,
		       "%zu tensor%s, %s parameters%s%s%s, %llu data bytes", nt, nt == 1 ? "" : "s", pc,
		       nt ? " (" : "", h, nt ? ")" : "", (unsigned long long)data_size);
}

lc_err lc_parse_safetensors(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	if (len < 8)
		return lc_fail(ctx, LC_E_TRUNCATED, 0, "safetensors: %zu bytes, too short for the header length", len);
	uint64_t n = lc_le64(data);
	if (n > lc_lim(ctx, LC_LIMIT_safetensors_max_header))
		return lc_limit_hit(ctx, LC_LIMIT_safetensors_max_header, 0, "safetensors header length");
	if (n > len - 8)
		return lc_fail(ctx, LC_E_TRUNCATED, 0,
			       "safetensors: header length %llu exceeds the %zu bytes that follow the length field",
			       (unsigned long long)n, len - 8);
	if (n < ST_HEADER_HARD_MIN || data[8] != '{')
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: header does not start with '{'");
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data + 8, (size_t)n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return lc_fail(ctx, LC_E_MALFORMED, jerr.position >= 0 ? 8 + (uint64_t)jerr.position : 8,
			       "safetensors: header is not valid JSON: %s (header byte %d)", jerr.text, jerr.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return lc_fail(ctx, LC_E_MALFORMED, 8, "safetensors: header is %s, expected an object", jtype(root));
	}
	uint64_t data_size = len - 8 - n;
	size_t cap = json_object_size(root);
	st_tensor *t = calloc(cap ? cap : 1, sizeof *t);
	if (!t) {
		json_decref(root);
		return lc_fail(ctx, LC_E_NOMEM, 8, "out of memory for %zu tensor entries", cap);
	}
	lc_err err = LC_OK;
	size_t nt = 0;
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v) {
		if (strcmp(k, "__metadata__") == 0)
			err = check_metadata(ctx, v);
		else if (nt < cap)
			err = parse_tensor(ctx, k, v, &t[nt++]);
		if (err != LC_OK)
			goto out;
	}
	qsort(t, nt, sizeof *t, cmp_offsets);
	uint64_t expect = 0;
	for (size_t i = 0; i < nt; i++) {
		char a[200], b[200];
		if (t[i].begin != expect) {
			if (i == 0)
				err = lc_fail(ctx, LC_E_MALFORMED, 8,
					      "safetensors: first tensor %s starts at data byte %llu, expected 0",
					      tname(t[i].name, a, sizeof a), (unsigned long long)t[i].begin);
			else
				err = lc_fail(ctx, LC_E_MALFORMED, 8,
					      "safetensors: tensor %s [%llu, %llu) %s tensor %s [%llu, %llu): expected it "
					      "to start at %llu",
					      tname(t[i].name, a, sizeof a), (unsigned long long)t[i].begin,
					      (unsigned long long)t[i].end,
					      t[i].begin < expect ? "overlaps" : "leaves a gap after",
					      tname(t[i - 1].name, b, sizeof b), (unsigned long long)t[i - 1].begin,
					      (unsigned long long)t[i - 1].end, (unsigned long long)expect);
			goto out;
		}
		if (t[i].end > data_size) {
			err = lc_fail(ctx, LC_E_TRUNCATED, 8 + n,
				      "safetensors: tensor %s ends at data byte %llu, beyond the %llu-byte data section",
				      tname(t[i].name, a, sizeof a), (unsigned long long)t[i].end,
				      (unsigned long long)data_size);
			goto out;
		}
		expect = t[i].end;
	}
	if (expect != data_size) {
		err = lc_fail(ctx, LC_E_MALFORMED, 8 + n + expect,
			      "safetensors: tensors cover %llu bytes but the data section holds %llu: %llu bytes "
			      "belong to no tensor",
			      (unsigned long long)expect, (unsigned long long)data_size,
			      (unsigned long long)(data_size - expect));
		goto out;
	}
	inventory(ctx, t, nt, data_size);
out:
	free(t);
	json_decref(root);
	return err;
}
