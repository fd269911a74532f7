/*
 * `laocoon convert IN.pt OUT.safetensors` (src/supply/convert.c).
 *
 * A PyTorch state dict is a pickle that calls torch._utils rebuild functions
 * on persistent-id storages.  Instead of running it, we read the same facts
 * the scanner's symbolic VM already derives (lc_pickle_scan_state_dict):
 * for each top-level entry its storage (type, key, numel), storage offset,
 * size and stride.  The storages are the zip members <root>/data/<key>, or
 * the raw blocks after the fifth pickle of a legacy stream.  Every tensor is
 * then gathered element by element into C order, after checking that the
 * last element it addresses lies inside its storage, and written in the
 * exact layout of the reference safetensors writer.
 *
 * Everything comes from one read-only mapping of the input: the scan that
 * decides whether the file is safe to convert reads the same bytes as the
 * conversion (no re-open between check and use).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lc.h"
#include "formats/pickle.h"
#include "formats/zip.h"
#include "supply/convert.h"

enum { CV_OK = 0, CV_REFUSED = 1, CV_ERROR = 2 };

/* torch dtype -> safetensors dtype.  rank is the position in the crate's
 * Dtype enum (safetensors 0.6), which its writer sorts on (descending);
 * unit is the byte-swap unit (a complex64 is two float32). */
typedef struct cv_dtype {
	const char *storage; /* legacy typed storage class, NULL if none */
	const char *torch;   /* torch dtype attribute name */
	const char *st;
	unsigned size, unit, rank;
} cv_dtype;

static const cv_dtype DTYPES[] = {
	{"DoubleStorage", "float64", "F64", 8, 8, 17},
	{"FloatStorage", "float32", "F32", 4, 4, 15},
	{"HalfStorage", "float16", "F16", 2, 2, 11},
	{"BFloat16Storage", "bfloat16", "BF16", 2, 2, 12},
	{"LongStorage", "int64", "I64", 8, 8, 18},
	{"IntStorage", "int32", "I32", 4, 4, 13},
	{"ShortStorage", "int16", "I16", 2, 2, 9},
	{"CharStorage", "int8", "I8", 1, 1, 5},
	{"ByteStorage", "uint8", "U8", 1, 1, 4},
	{"BoolStorage", "bool", "BOOL", 1, 1, 0},
	{"ComplexFloatStorage", "complex64", "C64", 8, 4, 16},
	{NULL, "float8_e5m2", "F8_E5M2", 1, 1, 6},
	{NULL, "float8_e4m3fn", "F8_E4M3", 1, 1, 7},
	{NULL, "float8_e8m0fnu", "F8_E8M0", 1, 1, 8},
	{NULL, "uint16", "U16", 2, 2, 10},
	{NULL, "uint32", "U32", 4, 4, 14},
	{NULL, "uint64", "U64", 8, 8, 19},
};
#define NDTYPES (sizeof DTYPES / sizeof DTYPES[0])

/* One storage the tensors refer to. */
typedef struct cv_storage {
	const char *key;       /* points into a tensor record */
	const char *type;      /* storage type as pickled (for messages) */
	unsigned es;           /* bytes per storage element (1 for UntypedStorage) */
	uint64_t numel;        /* elements, as the persistent id declares */
	const uint8_t *data;   /* numel * es bytes once located */
	uint8_t *owned;        /* inflated zip member */
	int found;
} cv_storage;

typedef struct cv_tensor {
	const lc_pickle_tensor *t;
	const cv_dtype *dt;
	cv_storage *s;
	uint64_t nelem, nbytes;
	size_t seq; /* position in the dict: a repeated key keeps its last value */
} cv_tensor;

typedef struct cv {
	FILE *log;
	const char *in;
	lc_ctx ctx;          /* scratch context for the readers (findings ignored: the scan judged) */
	lc_file_result scratch;
	const uint8_t *d;
	size_t n;
	lc_pickle_info info; /* the state-dict pickle */
	lc_zip_entry *ze;
	size_t nze;
	cv_storage *st;
	size_t nst;
	cv_tensor *tv;
	size_t ntv;
	int big_endian;
	uint64_t max_out;    /* bytes of tensor data we agree to write (max_decompressed) */
} cv;

static int refuse(cv *c, const char *fmt, ...) LC_PRINTF(2, 3);
static int refuse(cv *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(c->log, "laocoon: convert: refusing %s: ", c->in);
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
	return CV_REFUSED;
}

static int fail(cv *c, const char *fmt, ...) LC_PRINTF(2, 3);
static int fail(cv *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(c->log, "laocoon: convert: %s: ", c->in);
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
	return CV_ERROR;
}

/* The reader's own error message, when a reader stopped. */
static const char *ctx_error(const cv *c) { return c->scratch.error ? c->scratch.error : "unreadable"; }

/* "torch.FloatStorage" / "torch.cuda.FloatStorage" -> "FloatStorage". */
static const char *storage_class(const char *type)
{
	if (strncmp(type, "torch.", 6) == 0)
		type += 6;
	if (strncmp(type, "cuda.", 5) == 0)
		type += 5;
	return type;
}

static const cv_dtype *dtype_of_storage(const char *cls)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (DTYPES[i].storage && strcmp(DTYPES[i].storage, cls) == 0)
			return &DTYPES[i];
	return NULL;
}

static const cv_dtype *dtype_of_torch(const char *name)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (strcmp(DTYPES[i].torch, name) == 0)
			return &DTYPES[i];
	return NULL;
}

static int cmp_storage_key(const void *a, const void *b)
{
	return strcmp(((const cv_storage *)a)->key, ((const cv_storage *)b)->key);
}

static cv_storage *find_storage(cv *c, const char *key)
{
	cv_storage probe;
	memset(&probe, 0, sizeof probe);
	probe.key = key;
	return c->nst ? bsearch(&probe, c->st, c->nst, sizeof probe, cmp_storage_key) : NULL;
}

/* Name order of the crate's writer: dtype rank descending, then name bytes
 * (strcmp compares as unsigned char, like Rust's str ordering); for equal
 * names, dict order, so that the last assignment of a key wins. */
static int cmp_tensor_out(const void *a, const void *b)
{
	const cv_tensor *x = a, *y = b;
	if (x->dt->rank != y->dt->rank)
		return x->dt->rank > y->dt->rank ? -1 : 1;
	int r = strcmp(x->t->name, y->t->name);
	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_tensor_name(const void *a, const void *b)
{
	const cv_tensor *x = a, *y = b;
	int r = strcmp(x->t->name, y->t->name);
	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- tensors: facts -> checked plan -------------------------------------- */

/* Checks every entry of the state dict and builds c->tv and c->st. */
static int plan(cv *c)
{
	lc_pickle_info *in = &c->info;
	if (in->foreign_calls)
		return refuse(c, "its pickle calls %s (%zu call%s besides the tensor-rebuild functions); convert "
				 "accepts only plain state dicts",
			      in->foreign, in->foreign_calls, in->foreign_calls == 1 ? "" : "s");
	if (!in->state_dict)
		return refuse(c, "its top-level object is not a dict of tensors (a state dict); save "
				 "model.state_dict() instead");
	c->tv = calloc(in->ntensors ? in->ntensors : 1, sizeof *c->tv);
	c->st = calloc(in->ntensors ? in->ntensors : 1, sizeof *c->st);
	if (!c->tv || !c->st)
		return fail(c, "out of memory");
	for (size_t i = 0; i < in->ntensors; i++) {
		const lc_pickle_tensor *t = &in->tensors[i];
		if (!t->is_tensor) {
			char nb[200];
			const char *nm = t->name ? lc_escape((const uint8_t *)t->name, strlen(t->name), 80, nb, sizeof nb)
						 : "(a non-str key)";
			return refuse(c, "entry %s is not a dense tensor: %s", nm, t->why ? t->why : "unknown value");
		}
		if (strcmp(t->name, "__metadata__") == 0)
			return refuse(c, "a tensor is named __metadata__, which safetensors reserves");
		const char *cls = storage_class(t->storage_type);
		const cv_dtype *sdt = dtype_of_storage(cls);
		const cv_dtype *dt = t->dtype[0] ? dtype_of_torch(t->dtype) : sdt;
		int untyped = strcmp(cls, "UntypedStorage") == 0;
		if (!dt)
			return refuse(c, "tensor %.200s has dtype %s, which safetensors cannot store", t->name,
				      t->dtype[0] ? t->dtype : cls);
		if (!untyped && (!sdt || sdt->size != dt->size))
			return refuse(c, "tensor %.200s: storage type %s does not match its dtype", t->name, cls);
		cv_tensor *v = &c->tv[c->ntv++];
		v->t = t;
		v->dt = dt;
		v->seq = i;
		/* Distinct storages; consistency between references is checked below. */
		cv_storage *s = &c->st[c->nst++];
		s->key = t->storage_key;
		s->type = t->storage_type;
		s->es = untyped ? 1 : dt->size;
		s->numel = t->storage_numel;
	}
	if (c->nst > 1)
		qsort(c->st, c->nst, sizeof *c->st, cmp_storage_key);
	size_t w = 0;
	for (size_t i = 0; i < c->nst; i++) {
		if (w > 0 && strcmp(c->st[w - 1].key, c->st[i].key) == 0) {
			if (c->st[w - 1].numel != c->st[i].numel || c->st[w - 1].es != c->st[i].es)
				return refuse(c, "storage %s is declared with two different sizes or types", c->st[i].key);
			continue;
		}
		c->st[w++] = c->st[i];
	}
	c->nst = w;

	/* A repeated key: the dict keeps the last value (Python semantics). */
	if (c->ntv > 1)
		qsort(c->tv, c->ntv, sizeof *c->tv, cmp_tensor_name);
	w = 0;
	for (size_t i = 0; i < c->ntv; i++) {
		if (w > 0 && strcmp(c->tv[w - 1].t->name, c->tv[i].t->name) == 0)
			w--;
		c->tv[w++] = c->tv[i];
	}
	c->ntv = w;

	uint64_t total = 0;
	for (size_t i = 0; i < c->ntv; i++) {
		cv_tensor *v = &c->tv[i];
		const lc_pickle_tensor *t = v->t;
		v->s = find_storage(c, t->storage_key);
		if (!v->s)
			return fail(c, "internal error: storage %s not indexed", t->storage_key);
		uint64_t nelem = 1, last = t->offset, bytes, cap;
		int empty = 0;
		for (unsigned d = 0; d < t->ndim; d++) {
			if (t->size[d] == 0)
				empty = 1;
			else if (__builtin_mul_overflow(nelem, t->size[d], &nelem))
				return refuse(c, "tensor %.200s: element count overflows", t->name);
		}
		if (empty)
			nelem = 0;
		if (__builtin_mul_overflow(nelem, (uint64_t)v->dt->size, &bytes))
			return refuse(c, "tensor %.200s: byte size overflows", t->name);
		/* Storage capacity in elements of the tensor's dtype. */
		if (__builtin_mul_overflow(v->s->numel, (uint64_t)v->s->es, &cap))
			return refuse(c, "storage %s: byte size overflows", t->storage_key);
		cap /= v->dt->size;
		if (nelem > 0) {
			for (unsigned d = 0; d < t->ndim; d++) {
				uint64_t span;
				if (__builtin_mul_overflow(t->size[d] - 1, t->stride[d], &span) ||
				    __builtin_add_overflow(last, span, &last))
					return refuse(c, "tensor %.200s: its strides address beyond 2^64 elements", t->name);
			}
			if (last >= cap)
				return refuse(c,
					      "tensor %.200s addresses element %llu of storage %s, which holds %llu "
					      "(torch.load would fail or read out of bounds)",
					      t->name, (unsigned long long)last, t->storage_key, (unsigned long long)cap);
		}
		v->nelem = nelem;
		v->nbytes = bytes;
		/* Views with stride 0 (expand) can describe far more elements
		 * than their storage holds: bound what we write, like any
		 * decompression. */
		if (__builtin_add_overflow(total, bytes, &total) || total > c->max_out)
			return refuse(c,
				      "its tensors would write more than %llu bytes (a view with zero strides "
				      "expands a small storage); raise --limit max_decompressed to allow it",
				      (unsigned long long)c->max_out);
	}
	return CV_OK;
}

/* ---- locating storages ------------------------------------------------------ */

static int cmp_entry_name(const void *a, const void *b)
{
	return strcmp(((const lc_zip_entry *)a)->name, ((const lc_zip_entry *)b)->name);
}

static const lc_zip_entry *zip_find(cv *c, const char *name)
{
	lc_zip_entry probe;
	memset(&probe, 0, sizeof probe);
	probe.name = (char *)name;
	return c->nze ? bsearch(&probe, c->ze, c->nze, sizeof probe, cmp_entry_name) : NULL;
}

static int load_zip(cv *c)
{
	if (lc_zip_list(&c->ctx, c->d, c->n, &c->ze, &c->nze) != LC_OK)
		return fail(c, "zip directory: %s", ctx_error(c));
	for (size_t i = 0; i < c->nze; i++)
		if (strlen(c->ze[i].name) != c->ze[i].name_len)
			return refuse(c, "a zip member name contains a NUL byte");
	if (c->nze > 1)
		qsort(c->ze, c->nze, sizeof *c->ze, cmp_entry_name);
	/* Root folder: the single top-level folder holding data.pkl (what the
	 * zip reader classified as PyTorch). */
	const lc_zip_entry *pkl = NULL;
	size_t rl = 0;
	for (size_t i = 0; i < c->nze; i++) {
		const lc_zip_entry *e = &c->ze[i];
		if (e->name_len < 8 || strcmp(e->name + e->name_len - 8, "data.pkl") != 0)
			continue;
		size_t l = e->name_len - 8;
		if (l > 0 && (e->name[l - 1] != '/' || memchr(e->name, '/', l - 1) != NULL))
			continue;
		if (pkl)
			return refuse(c, "it holds more than one data.pkl (%s and %s)", pkl->name, e->name);
		pkl = e;
		rl = l;
	}
	if (!pkl)
		return refuse(c, "no data.pkl in the zip");
	char *root = lc_strndup(pkl->name, rl);
	char *name = NULL;
	int rc = CV_OK;
	if (!root)
		return fail(c, "out of memory");

	/* byteorder: absent before torch 2.0 (little-endian then). */
	name = lc_strdup_printf("%sbyteorder", root);
	const lc_zip_entry *bo = name ? zip_find(c, name) : NULL;
	free(name);
	if (bo) {
		const uint8_t *p;
		size_t len;
		uint8_t *own;
		if (lc_zip_entry_content(&c->ctx, bo, &p, &len, &own) != LC_OK) {
			rc = fail(c, "byteorder: %s", ctx_error(c));
			goto out;
		}
		if (len == 3 && memcmp(p, "big", 3) == 0)
			c->big_endian = 1;
		else if (!(len == 6 && memcmp(p, "little", 6) == 0))
			rc = refuse(c, "its byteorder record is neither \"little\" nor \"big\"");
		free(own);
		if (rc)
			goto out;
	}

	const uint8_t *p;
	size_t len;
	uint8_t *own;
	if (lc_zip_entry_content(&c->ctx, pkl, &p, &len, &own) != LC_OK) {
		rc = fail(c, "%s: %s", pkl->name, ctx_error(c));
		goto out;
	}
	lc_err e = lc_pickle_scan_state_dict(&c->ctx, p, len, 0, &c->info);
	free(own); /* the facts hold no pointer into the pickle bytes */
	if (e != LC_OK) {
		rc = fail(c, "%s: %s", pkl->name, ctx_error(c));
		goto out;
	}
	rc = plan(c);
	if (rc)
		goto out;
	for (size_t i = 0; i < c->nst; i++) {
		cv_storage *s = &c->st[i];
		name = lc_strdup_printf("%sdata/%s", root, s->key);
		const lc_zip_entry *m = name ? zip_find(c, name) : NULL;
		if (!m) {
			rc = refuse(c, "storage %s has no zip member %s", s->key, name ? name : "?");
			free(name);
			goto out;
		}
		free(name);
		size_t sl;
		if (lc_zip_entry_content(&c->ctx, m, &s->data, &sl, &s->owned) != LC_OK) {
			rc = fail(c, "storage %s: %s", s->key, ctx_error(c));
			goto out;
		}
		/* numel * es cannot overflow: plan() checked it. */
		if ((uint64_t)sl != s->numel * s->es) {
			rc = refuse(c, "storage %s holds %zu bytes but the pickle declares %llu elements of %u bytes",
				    s->key, sl, (unsigned long long)s->numel, s->es);
			goto out;
		}
		s->found = 1;
	}
out:
	free(root);
	return rc;
}

/* Legacy stream: sys_info says little_endian True/False.  The dict is read
 * from its bytes (NEWTRUE/NEWFALSE after the key, optionally memoized):
 * only the flag is needed and the pickle was already scanned. */
static int legacy_big_endian(const uint8_t *p, size_t n)
{
	static const char key[] = "little_endian";
	const uint8_t *k = memmem(p, n, key, sizeof key - 1);
	if (!k)
		return 0;
	size_t i = (size_t)(k - p) + sizeof key - 1;
	if (i < n && p[i] == 0x94) /* MEMOIZE */
		i++;
	else if (i + 1 < n && p[i] == 'q') /* BINPUT */
		i += 2;
	else if (i + 4 < n && p[i] == 'r') /* LONG_BINPUT */
		i += 5;
	return i < n && p[i] == 0x89; /* NEWFALSE */
}

static int load_legacy(cv *c)
{
	lc_pickle_info other[4];
	size_t off = 0;
	int rc = CV_OK;
	memset(other, 0, sizeof other);
	/* magic, protocol version, sys_info, object, storage keys */
	for (int i = 0; i < 5; i++) {
		lc_pickle_info *pi = i == 3 ? &c->info : &other[i < 3 ? i : 3];
		if (off >= c->n) {
			rc = fail(c, "the legacy stream ends before pickle %d", i + 1);
			goto out;
		}
		if (lc_pickle_scan_state_dict(&c->ctx, c->d, c->n, off, pi) != LC_OK) {
			rc = fail(c, "pickle %d: %s", i + 1, ctx_error(c));
			goto out;
		}
		if (pi->end <= off || pi->end > c->n) {
			rc = fail(c, "pickle %d: bad end offset", i + 1);
			goto out;
		}
		if (i != 3 && pi->foreign_calls) {
			rc = refuse(c, "its header pickle %d calls %s", i + 1, pi->foreign);
			goto out;
		}
		if (i == 2)
			c->big_endian = legacy_big_endian(c->d + off, pi->end - off);
		off = pi->end;
	}
	rc = plan(c);
	if (rc)
		goto out;
	const lc_pickle_info *keys = &other[3];
	if (keys->top != LC_PTOP_STRLIST) {
		rc = refuse(c, "the fifth pickle is not the list of storage keys");
		goto out;
	}
	/* Raw storages in key order: int64 element count, then the bytes. */
	for (size_t i = 0; i < keys->ntop_strings; i++) {
		const char *key = keys->top_strings[i];
		cv_storage *s = find_storage(c, key);
		unsigned es = s ? s->es : 0;
		if (!s) {
			/* Not used by any tensor: its element size comes from the
			 * persistent ids the object pickle made. */
			for (size_t j = 0; j < c->info.nstorages && !es; j++)
				if (strcmp(c->info.storages[j].key, key) == 0 && c->info.storages[j].dtype_known)
					es = c->info.storages[j].elem_size;
			if (!es) {
				rc = refuse(c, "storage %.64s has no known element type", key);
				goto out;
			}
		}
		if (c->n - off < 8) {
			rc = fail(c, "the stream ends inside the header of storage %.64s", key);
			goto out;
		}
		uint64_t count = lc_le64(c->d + off), bytes;
		if (__builtin_mul_overflow(count, (uint64_t)es, &bytes) || bytes > c->n - off - 8) {
			rc = fail(c, "storage %.64s (%llu elements) runs past the end of the file", key,
				  (unsigned long long)count);
			goto out;
		}
		if (s) {
			if (s->found) {
				rc = refuse(c, "storage %.64s is listed twice", key);
				goto out;
			}
			if (count != s->numel) {
				rc = refuse(c, "storage %.64s holds %llu elements but the pickle declares %llu", key,
					    (unsigned long long)count, (unsigned long long)s->numel);
				goto out;
			}
			s->data = c->d + off + 8;
			s->found = 1;
		}
		off += 8 + (size_t)bytes;
	}
	for (size_t i = 0; i < c->nst; i++)
		if (!c->st[i].found) {
			rc = refuse(c, "storage %s is not in the stream", c->st[i].key);
			goto out;
		}
out:
	for (int i = 0; i < 4; i++)
		lc_pickle_info_free(&other[i]);
	return rc;
}

/* ---- writing ------------------------------------------------------------------ */

/* Header JSON exactly as the crate serializes it: compact, __metadata__
 * first, tensors in data order, padded with spaces to a multiple of 8. */
static char *header_json(cv *c, size_t *outlen)
{
	json_t *root = json_object(), *meta = json_pack("{s:s}", "format", "pt");
	char *txt = NULL;
	uint64_t off = 0;
	if (!root || !meta || json_object_set_new(root, "__metadata__", meta) != 0)
		goto out;
	meta = NULL;
	for (size_t i = 0; i < c->ntv; i++) {
		const cv_tensor *v = &c->tv[i];
		json_t *shape = json_array();
		for (unsigned d = 0; shape && d < v->t->ndim; d++)
			if (v->t->size[d] > (uint64_t)INT64_MAX ||
			    json_array_append_new(shape, json_integer((json_int_t)v->t->size[d])) != 0) {
				json_decref(shape);
				shape = NULL;
			}
		if (!shape || off + v->nbytes > (uint64_t)INT64_MAX) {
			json_decref(shape);
			goto out;
		}
		json_t *e = json_pack("{s:s,s:o,s:[I,I]}", "dtype", v->dt->st, "shape", shape, "data_offsets",
				      (json_int_t)off, (json_int_t)(off + v->nbytes));
		/* json_object_set_new refuses keys that are not valid UTF-8. */
		if (!e || json_object_set_new(root, v->t->name, e) != 0) {
			fprintf(c->log, "laocoon: convert: tensor name %.200s is not valid UTF-8\n", v->t->name);
			goto out;
		}
		off += v->nbytes;
	}
	txt = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (txt) {
		size_t n = strlen(txt), pad = (8 - n % 8) % 8;
		char *p = realloc(txt, n + pad + 1);
		if (!p) {
			free(txt);
			txt = NULL;
			goto out;
		}
		txt = p;
		memset(txt + n, ' ', pad);
		txt[n + pad] = '\0';
		*outlen = n + pad;
	}
out:
	json_decref(meta);
	json_decref(root);
	return txt;
}

static void swap_units(uint8_t *p, size_t n, unsigned unit)
{
	for (size_t i = 0; i + unit <= n; i += unit)
		for (unsigned a = 0, b = unit - 1; a < b; a++, b--) {
			uint8_t t = p[i + a];
			p[i + a] = p[i + b];
			p[i + b] = t;
		}
}

/* Writes n bytes of storage data, byte-swapped to little-endian if needed. */
static int put(FILE *f, const uint8_t *p, size_t n, unsigned unit, int swap)
{
	if (!swap || unit == 1)
		return fwrite(p, 1, n, f) == n ? 0 : -1;
	uint8_t buf[65536];
	size_t chunk = sizeof buf - sizeof buf % unit;
	while (n > 0) {
		size_t k = n < chunk ? n : chunk;
		memcpy(buf, p, k);
		swap_units(buf, k, unit);
		if (fwrite(buf, 1, k, f) != k)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* Gathers a (possibly strided) tensor into C order.  Runs along the last
 * dimension are copied in one piece when its stride is 1.  plan() proved
 * that the largest index addressed is inside the storage. */
static int write_tensor(FILE *f, const cv_tensor *v, int swap)
{
	const lc_pickle_tensor *t = v->t;
	const unsigned es = v->dt->size;
	uint64_t idx[LC_PICKLE_TENSOR_MAX_DIMS] = {0};
	unsigned outer = t->ndim;
	uint64_t run = 1;
	if (v->nelem == 0)
		return 0;
	if (t->ndim > 0 && t->stride[t->ndim - 1] == 1) {
		outer = t->ndim - 1;
		run = t->size[t->ndim - 1];
	}
	for (;;) {
		uint64_t e = t->offset;
		for (unsigned d = 0; d < outer; d++)
			e += idx[d] * t->stride[d];
		if (put(f, v->s->data + e * es, (size_t)(run * es), v->dt->unit, swap) != 0)
			return -1;
		unsigned k = outer;
		while (k > 0) {
			k--;
			if (++idx[k] < t->size[k])
				break;
			idx[k] = 0;
			if (k == 0)
				return 0;
		}
		if (outer == 0)
			return 0;
	}
}

/* The output must be a file laocoon's own strict reader accepts. */
static int validate_output(cv *c, const char *tmp, const lc_scan_options *opt)
{
	lc_result r = {0};
	lc_scan_options o = *opt;
	o.jobs = 1;
	lc_scan_path(&o, tmp, &r);
	int ok = r.nfiles == 1 && r.files[0].status == LC_STATUS_SCANNED &&
		 strcmp(r.files[0].format, "safetensors") == 0 && lc_result_max_severity(&r) < LC_SEV_MEDIUM;
	if (!ok)
		fprintf(c->log, "laocoon: convert: internal error: the safetensors written does not validate (%s)\n",
			r.nfiles && r.files[0].error ? r.files[0].error : "findings");
	lc_result_free(&r);
	return ok ? CV_OK : CV_ERROR;
}

static int write_out(cv *c, const char *out, const lc_scan_options *opt)
{
	size_t hl = 0;
	char *h = header_json(c, &hl);
	if (!h)
		return refuse(c, "its tensors cannot be described in a safetensors header");
	char *tmp = lc_strdup_printf("%s.tmpXXXXXX", out);
	if (!tmp) {
		free(h);
		return fail(c, "out of memory");
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(c->log, "laocoon: convert: cannot create %s: %s\n", tmp, strerror(errno));
		free(h);
		free(tmp);
		return CV_ERROR;
	}
	FILE *f = fdopen(fd, "wb");
	int rc = CV_OK;
	if (!f) {
		close(fd);
		rc = CV_ERROR;
	} else {
		uint8_t n8[8];
		for (int i = 0; i < 8; i++)
			n8[i] = (uint8_t)((uint64_t)hl >> (8 * i));
		if (fwrite(n8, 1, 8, f) != 8 || fwrite(h, 1, hl, f) != hl)
			rc = CV_ERROR;
		for (size_t i = 0; rc == CV_OK && i < c->ntv; i++)
			if (write_tensor(f, &c->tv[i], c->big_endian) != 0)
				rc = CV_ERROR;
		if (fclose(f) != 0)
			rc = CV_ERROR;
	}
	if (rc != CV_OK)
		fprintf(c->log, "laocoon: convert: cannot write %s: %s\n", tmp, strerror(errno));
	/* mkstemp makes 0600; a converted model is as readable as any file. */
	if (rc == CV_OK) {
		mode_t um = umask(0);
		umask(um);
		chmod(tmp, 0666 & ~um);
		rc = validate_output(c, tmp, opt);
	}
	if (rc == CV_OK && rename(tmp, out) != 0) {
		fprintf(c->log, "laocoon: convert: cannot rename %s to %s: %s\n", tmp, out, strerror(errno));
		rc = CV_ERROR;
	}
	if (rc != CV_OK)
		unlink(tmp);
	free(tmp);
	free(h);
	return rc;
}

/* ---- entry point ------------------------------------------------------------- */

static int check_scan(cv *c, const lc_scan_options *opt, const char **format)
{
	lc_result res = {0};
	lc_scan_mem(opt, c->in, c->d, c->n, &res);
	int rc = CV_OK;
	if (res.nfiles != 1) {
		rc = fail(c, "scan failed");
	} else if (lc_result_max_severity(&res) >= LC_SEV_MEDIUM || res.files[0].status != LC_STATUS_SCANNED) {
		const lc_file_result *f = &res.files[0];
		if (f->status != LC_STATUS_SCANNED)
			refuse(c, "laocoon could not fully analyse it (%s)", f->error ? f->error : lc_status_name(f->status));
		else
			refuse(c, "the scan found problems of severity MEDIUM or above");
		lc_report_text(c->log, &res, LC_SEV_MEDIUM, 0);
		rc = CV_REFUSED;
	} else {
		*format = res.files[0].format; /* static strings */
	}
	lc_result_free(&res);
	return rc;
}

int lc_convert_torch_to_safetensors(const lc_scan_options *opt, const char *in, const char *out, FILE *log)
{
	cv c;
	memset(&c, 0, sizeof c);
	c.log = log;
	c.in = in;
	int fd = open(in, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(log, "laocoon: convert: cannot open %s: %s\n", in, strerror(errno));
		if (fd >= 0)
			close(fd);
		return CV_ERROR;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size <= 0 || (uint64_t)sb.st_size > SIZE_MAX) {
		close(fd);
		return fail(&c, "not a regular, non-empty file");
	}
	c.n = (size_t)sb.st_size;
	void *map = mmap(NULL, c.n, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return fail(&c, "cannot map: %s", strerror(errno));
	c.d = map;
	/* Storages are read front to back once: let the kernel read ahead and
	 * drop pages behind us. */
	madvise(map, c.n, MADV_SEQUENTIAL);

	const char *format = NULL;
	int rc = check_scan(&c, opt, &format);
	if (rc == CV_OK) {
		c.ctx.lim = &opt->limits;
		c.max_out = lc_limit_get(&opt->limits, LC_LIMIT_max_decompressed);
		c.ctx.file = &c.scratch;
		c.scratch.status = LC_STATUS_SCANNED;
		c.scratch.format = "unknown";
		if (strcmp(format, "pytorch-zip") == 0)
			rc = load_zip(&c);
		else if (strcmp(format, "pytorch-legacy") == 0)
			rc = load_legacy(&c);
		else
			rc = refuse(&c, "it is %s, not a torch.save checkpoint (zip or legacy format)", format);
	}
	if (rc == CV_OK) {
		if (c.ntv > 1)
			qsort(c.tv, c.ntv, sizeof *c.tv, cmp_tensor_out);
		rc = write_out(&c, out, opt);
	}
	if (rc == CV_OK) {
		uint64_t total = 0;
		for (size_t i = 0; i < c.ntv; i++)
			total += c.tv[i].nbytes;
		fprintf(log, "laocoon: converted %s -> %s: %zu tensor%s, %llu bytes of data%s\n", in, out, c.ntv,
			c.ntv == 1 ? "" : "s", (unsigned long long)total,
			c.big_endian ? " (byte-swapped from big-endian)" : "");
	}
	for (size_t i = 0; i < c.nst; i++)
		free(c.st[i].owned);
	free(c.st);
	free(c.tv);
	lc_pickle_info_free(&c.info);
	lc_zip_list_free(c.ze, c.nze);
	lc_ctx_release(&c.ctx);
	lc_file_result_clear(&c.scratch);
	munmap(map, c.n);
	return rc;
}
