/*
 * Legacy PyTorch carriers (src/formats/torch_legacy.c).
 *
 * 1. The torch.save stream used before the zip format (and still written
 *    with _use_new_zipfile_serialization=False):
 *      pickle: magic number 0x1950a86a20f9469cfc6c (a LONG1)
 *      pickle: protocol version (1001)
 *      pickle: sys_info dict
 *      pickle: the object, storages as persistent ids
 *      pickle: list of storage keys
 *      per key: int64 element count, then count * element size raw bytes
 *    torch.load unpickles the first five; every one of them can carry a
 *    payload, so each is scanned with the pickle policy.  The raw storages
 *    are skipped by arithmetic (never read), and the stream must end exactly
 *    after the last one.
 *
 * 2. The torch < 0.4 tar layout (members sys_info, pickle, storages,
 *    tensors), walked exactly like torch/serialization.py legacy_load.
 *
 * If the magic is not literally there (e.g. produced by a callable, as in
 * GHSA-97f8-7cmv-76j2) this reader does not bid; the generic pickle reader
 * then scans the concatenated pickles and finds the payload anyway.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/pickle.h"
#include "formats/torch.h"

static const uint8_t MAGIC[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static bool add_ok(uint64_t a, uint64_t b, uint64_t *r) { return !__builtin_add_overflow(a, b, r); }

/* Offset of the LONG1 opcode after PROTO (and FRAME for protocol 4+), or
 * 0 when the prefix is not a pickle header. */
static size_t magic_at(const uint8_t *d, size_t n)
{
	if (n < 2 || d[0] != 0x80 || d[1] < 2 || d[1] > 5)
		return 0;
	size_t p = 2;
	if (n > p && d[p] == 0x95)
		p += 9; /* FRAME + 8-byte length */
	return p;
}

int lc_bid_torch_legacy(const uint8_t *data, size_t len)
{
	size_t p = magic_at(data, len);
	if (p == 0 || len < p + 13)
		return 0;
	if (data[p] != 0x8a || data[p + 1] != 10 || memcmp(data + p + 2, MAGIC, 10) != 0)
		return 0;
	/* Optional MEMOIZE/BINPUT before STOP is not written by torch.save. */
	return data[p + 12] == '.' ? 100 : 80;
}

static const struct {
	const char *name;
	unsigned size;
} STORAGE_TYPES[] = {
	/* Longest first: "ComplexFloatStorage" contains "FloatStorage". */
	{"ComplexDoubleStorage", 16}, {"ComplexFloatStorage", 8}, {"BFloat16Storage", 2},
	{"UntypedStorage", 1},        {"QUInt4x2Storage", 1},     {"QUInt2x4Storage", 1},
	{"QUInt8Storage", 1},         {"QInt32Storage", 4},       {"QInt8Storage", 1},
	{"DoubleStorage", 8},         {"FloatStorage", 4},        {"ShortStorage", 2},
	{"LongStorage", 8},           {"HalfStorage", 2},         {"CharStorage", 1},
	{"ByteStorage", 1},           {"BoolStorage", 1},         {"IntStorage", 4},
};

unsigned lc_torch_storage_elem_size(const char *name, size_t len)
{
	if (len > 6 && memcmp(name, "torch.", 6) == 0) {
		name += 6;
		len -= 6;
	}
	if (len > 5 && memcmp(name, "cuda.", 5) == 0) {
		name += 5;
		len -= 5;
	}
	for (size_t i = 0; i < sizeof STORAGE_TYPES / sizeof STORAGE_TYPES[0]; i++)
		if (strlen(STORAGE_TYPES[i].name) == len && memcmp(STORAGE_TYPES[i].name, name, len) == 0)
			return STORAGE_TYPES[i].size;
	return 0;
}

/* The storage type global inside a small pickle (key, location, type):
 * found by name in its bytes, which is all the tar walk needs. */
static unsigned storage_elem_in_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < sizeof STORAGE_TYPES / sizeof STORAGE_TYPES[0]; i++) {
		size_t l = strlen(STORAGE_TYPES[i].name);
		if (l <= n && memmem(p, n, STORAGE_TYPES[i].name, l) != NULL)
			return STORAGE_TYPES[i].size;
	}
	return 0;
}

/* Scans one pickle at off; on failure makes sure an error is recorded. */
static lc_err one_pickle(lc_ctx *ctx, const uint8_t *d, size_t n, size_t off, lc_pickle_info *info,
			 const char *what)
{
	memset(info, 0, sizeof *info);
	if (off >= n)
		return lc_fail(ctx, LC_E_TRUNCATED, off, "pytorch: stream ends before the %s pickle", what);
	lc_err err = lc_pickle_scan_one(ctx, d, n, off, info);
	if (err != LC_OK && ctx->file->status != LC_STATUS_ERROR)
		lc_fail(ctx, err, off, "pytorch: %s pickle is unreadable", what);
	if (err == LC_OK && (info->end <= off || info->end > n))
		err = lc_fail(ctx, LC_E_INTERNAL, off, "pytorch: pickle reader returned a bad end offset");
	return err;
}

static int cmp_ref(const void *a, const void *b)
{
	return strcmp(((const lc_pickle_storage_ref *)a)->key, ((const lc_pickle_storage_ref *)b)->key);
}

/* Skips the raw storages that follow the storage-keys pickle; returns the
 * offset just past them, or 0 when the layout cannot be followed (reported). */
static size_t walk_storages(lc_ctx *ctx, const uint8_t *d, size_t n, size_t off, lc_pickle_info *main,
			    const lc_pickle_info *keys)
{
	(void)d;
	if (keys->top != LC_PTOP_STRLIST) {
		lc_finding_add(ctx, LC_SEV_MEDIUM, "torch.legacy-layout", off, "keys", NULL,
			       "fifth pickle of a legacy torch file is not the list of storage keys; the raw "
			       "storage layout cannot be checked");
		return 0;
	}
	if (main->nstorages > 1) /* qsort(NULL, 0, ...) is undefined behaviour */
		qsort(main->storages, main->nstorages, sizeof *main->storages, cmp_ref);
	if (keys->ntop_strings != main->nstorages)
		lc_finding_add(ctx, LC_SEV_LOW, "torch.legacy-layout", off, "count", NULL,
			       "legacy torch file lists %zu storage keys but its object references %zu storages",
			       keys->ntop_strings, main->nstorages);
	uint64_t pos = off;
	for (size_t i = 0; i < keys->ntop_strings; i++) {
		lc_pickle_storage_ref probe;
		memset(&probe, 0, sizeof probe);
		snprintf(probe.key, sizeof probe.key, "%s", keys->top_strings[i]);
		const lc_pickle_storage_ref *r =
			main->nstorages ? bsearch(&probe, main->storages, main->nstorages, sizeof probe, cmp_ref) : NULL;
		unsigned es = 0;
		if (r)
			es = r->dtype_known ? r->elem_size : lc_torch_storage_elem_size(r->type, strlen(r->type));
		if (!r || es == 0) {
			lc_finding_add(ctx, LC_SEV_LOW, "torch.legacy-layout", pos, "unknown-storage", NULL,
				       "storage %.64s of a legacy torch file has no known element type; the rest "
				       "of the layout was not checked",
				       probe.key);
			return 0;
		}
		if (n - pos < 8) {
			lc_finding_add(ctx, LC_SEV_MEDIUM, "torch.legacy-layout", pos, "truncated", NULL,
				       "legacy torch file ends inside the header of storage %.64s", probe.key);
			return 0;
		}
		uint64_t count = lc_le64(d + pos), bytes, end;
		if (count != r->numel)
			lc_finding_add(ctx, LC_SEV_LOW, "torch.legacy-layout", pos, "numel", NULL,
				       "storage %.64s holds %llu elements but the object pickle says %llu", probe.key,
				       (unsigned long long)count, (unsigned long long)r->numel);
		if (__builtin_mul_overflow(count, (uint64_t)es, &bytes) || !add_ok(pos + 8, bytes, &end) || end > n) {
			lc_finding_add(ctx, LC_SEV_MEDIUM, "torch.legacy-layout", pos, "truncated", NULL,
				       "storage %.64s (%llu elements of %u bytes) runs past the end of the file",
				       probe.key, (unsigned long long)count, es);
			return 0;
		}
		pos = end;
	}
	return (size_t)pos;
}

lc_err lc_parse_torch_legacy(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	static const char *const what[5] = {"magic number", "protocol version", "sys_info", "object",
					    "storage keys"};
	lc_add_flags(ctx, LC_CTX_PYTORCH);
	lc_set_format(ctx, "pytorch-legacy");
	lc_pickle_info info[5];
	memset(info, 0, sizeof info);
	size_t off = 0;
	lc_err err = LC_OK;
	int done = 0;
	for (; done < 5; done++) {
		err = one_pickle(ctx, data, len, off, &info[done], what[done]);
		if (err != LC_OK)
			break;
		off = info[done].end;
	}
	if (err == LC_OK) {
		if (info[0].top != LC_PTOP_BIGINT || info[0].top_bytes_len != 10 ||
		    memcmp(info[0].top_bytes, MAGIC, 10) != 0)
			lc_finding_add(ctx, LC_SEV_MEDIUM, "torch.legacy-layout", 0, "magic", NULL,
				       "first pickle of a legacy torch file is not the plain magic number");
		if (info[1].top != LC_PTOP_INT || info[1].top_int != 1001)
			lc_finding_add(ctx, LC_SEV_LOW, "torch.legacy-layout", info[0].end, "version", NULL,
				       "legacy torch file has an unexpected protocol version pickle");
		size_t end = walk_storages(ctx, data, len, off, &info[3], &info[4]);
		if (end != 0 && end < len) {
			lc_finding_add(ctx, LC_SEV_MEDIUM, "torch.legacy-layout", end, "appended", NULL,
				       "%zu bytes follow the last storage of a legacy torch file (torch.load "
				       "ignores them; another reader may not)",
				       len - end);
			err = lc_scan_child(ctx, "<appended>", data + end, len - end, end);
		}
	}
	for (int i = 0; i < 5; i++)
		lc_pickle_info_free(&info[i]);
	return err;
}

/* ---- torch < 0.4 tar layout --------------------------------------------- */

bool lc_torch_tar_is_layout(const lc_torch_tar *t) { return t->pickle && (t->storages || t->tensors); }

static void layout(lc_ctx *ctx, uint64_t off, const char *key, const char *fmt, ...) LC_PRINTF(4, 5);
static void layout(lc_ctx *ctx, uint64_t off, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = lc_strdup_vprintf(fmt, ap);
	va_end(ap);
	lc_finding_add(ctx, LC_SEV_MEDIUM, "torch.legacy-layout", off, key, NULL, "%s", msg ? msg : "?");
	free(msg);
}

/* storages: int pickle, per storage (key, location, type) pickle + int64
 * count + raw bytes, then the storage_views pickle. */
static lc_err walk_tar_storages(lc_ctx *ctx, const uint8_t *d, size_t n)
{
	lc_pickle_info info;
	lc_err err = one_pickle(ctx, d, n, 0, &info, "num_storages");
	if (err != LC_OK)
		return err;
	size_t pos = info.end;
	int64_t num = info.top == LC_PTOP_INT ? info.top_int : -1;
	lc_pickle_info_free(&info);
	if (num < 0) {
		layout(ctx, 0, "num", "%s member does not start with a storage count", "storages");
		return LC_OK;
	}
	for (int64_t i = 0; i < num; i++) {
		size_t start = pos;
		err = one_pickle(ctx, d, n, pos, &info, "storage header");
		if (err != LC_OK)
			return err;
		pos = info.end;
		lc_pickle_info_free(&info);
		unsigned es = storage_elem_in_bytes(d + start, pos - start);
		if (es == 0) {
			layout(ctx, start, "type", "%s: storage type not recognised; rest not checked", "storages");
			return LC_OK;
		}
		uint64_t count, bytes, end;
		if (n - pos < 8) {
			layout(ctx, pos, "truncated", "%s member ends inside a storage", "storages");
			return LC_OK;
		}
		count = lc_le64(d + pos);
		if (__builtin_mul_overflow(count, (uint64_t)es, &bytes) || !add_ok(pos + 8, bytes, &end) || end > n) {
			layout(ctx, pos, "truncated", "%s: a storage runs past the end of the member", "storages");
			return LC_OK;
		}
		pos = (size_t)end;
		if (ctx->pickle_ops >= lc_lim(ctx, LC_LIMIT_pickle_max_ops))
			return LC_E_LIMIT;
	}
	err = one_pickle(ctx, d, n, pos, &info, "storage_views");
	if (err != LC_OK)
		return err;
	pos = info.end;
	lc_pickle_info_free(&info);
	if (pos != n) {
		layout(ctx, pos, "appended", "%s member has bytes after the storage views pickle", "storages");
		return lc_scan_child_as(ctx, "<appended>", "pickle", d + pos, n - pos, pos);
	}
	return LC_OK;
}

/* tensors: int pickle, per tensor (key, storage_id, type) pickle + int32
 * ndim + 4 bytes + ndim*8 sizes + ndim*8 strides + int64 storage offset. */
static lc_err walk_tar_tensors(lc_ctx *ctx, const uint8_t *d, size_t n)
{
	lc_pickle_info info;
	lc_err err = one_pickle(ctx, d, n, 0, &info, "num_tensors");
	if (err != LC_OK)
		return err;
	size_t pos = info.end;
	int64_t num = info.top == LC_PTOP_INT ? info.top_int : -1;
	lc_pickle_info_free(&info);
	if (num < 0) {
		layout(ctx, 0, "num", "%s member does not start with a tensor count", "tensors");
		return LC_OK;
	}
	for (int64_t i = 0; i < num; i++) {
		err = one_pickle(ctx, d, n, pos, &info, "tensor header");
		if (err != LC_OK)
			return err;
		pos = info.end;
		lc_pickle_info_free(&info);
		if (n - pos < 8) {
			layout(ctx, pos, "truncated", "%s member ends inside a tensor record", "tensors");
			return LC_OK;
		}
		int32_t ndim = (int32_t)lc_le32(d + pos);
		uint64_t rec, end;
		if (ndim < 0 || ndim > 1024) {
			layout(ctx, pos, "ndim", "%s: a tensor has an impossible number of dimensions", "tensors");
			return LC_OK;
		}
		rec = 8 + (uint64_t)ndim * 16 + 8;
		if (!add_ok(pos, rec, &end) || end > n) {
			layout(ctx, pos, "truncated", "%s member ends inside a tensor record", "tensors");
			return LC_OK;
		}
		pos = (size_t)end;
		if (ctx->pickle_ops >= lc_lim(ctx, LC_LIMIT_pickle_max_ops))
			return LC_E_LIMIT;
	}
	if (pos != n) {
		layout(ctx, pos, "appended", "%s member has bytes after the last tensor record", "tensors");
		return lc_scan_child_as(ctx, "<appended>", "pickle", d + pos, n - pos, pos);
	}
	return LC_OK;
}

static lc_err walk_one_pickle_member(lc_ctx *ctx, const uint8_t *d, size_t n, const char *what)
{
	lc_pickle_info info;
	lc_err err = one_pickle(ctx, d, n, 0, &info, what);
	size_t end = info.end;
	lc_pickle_info_free(&info);
	if (err != LC_OK)
		return err;
	if (end < n) {
		layout(ctx, end, "appended", "%s member has bytes after its pickle", what);
		return lc_scan_child_as(ctx, "<appended>", "pickle", d + end, n - end, end);
	}
	return LC_OK;
}

lc_err lc_torch_tar_scan(lc_ctx *ctx, const lc_torch_tar *t)
{
	lc_err first = LC_OK, err;
	lc_add_flags(ctx, LC_CTX_PYTORCH);
	lc_set_format(ctx, "pytorch-tar");
	struct {
		const char *name;
		const uint8_t *d;
		size_t n;
		lc_err (*walk)(lc_ctx *, const uint8_t *, size_t);
	} parts[4] = {
		{"sys_info", t->sys_info, t->sys_info_len, NULL},
		{"storages", t->storages, t->storages_len, walk_tar_storages},
		{"tensors", t->tensors, t->tensors_len, walk_tar_tensors},
		{"pickle", t->pickle, t->pickle_len, NULL},
	};
	for (int i = 0; i < 4; i++) {
		if (!parts[i].d) {
			layout(ctx, LC_NO_OFFSET, parts[i].name, "legacy torch tar has no %s member", parts[i].name);
			continue;
		}
		err = lc_enter_member(ctx, parts[i].name, parts[i].walk ? "pytorch-tar-layout" : "pickle",
				      parts[i].n, LC_NO_OFFSET);
		if (err != LC_OK)
			return err;
		if (parts[i].walk)
			err = parts[i].walk(ctx, parts[i].d, parts[i].n);
		else
			err = walk_one_pickle_member(ctx, parts[i].d, parts[i].n, parts[i].name);
		lc_leave_member(ctx);
		if (err != LC_OK && first == LC_OK)
			first = err;
		if (err == LC_E_LIMIT || err == LC_E_NOMEM)
			break;
	}
	return first;
}
