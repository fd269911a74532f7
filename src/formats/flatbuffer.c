/* Bounds-checked FlatBuffers reader: see flatbuffer.h for why and how. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/lc.h"
#include "formats/flatbuffer.h"

void lc_fb_init(lc_fb *fb, const uint8_t *data, size_t len, uint64_t max_tables, unsigned max_depth)
{
	memset(fb, 0, sizeof *fb);
	fb->d = data;
	fb->n = (uint64_t)len > UINT32_MAX ? UINT32_MAX : (uint64_t)len;
	fb->max_tables = max_tables;
	fb->max_depth = max_depth;
}

bool lc_fb_fail(lc_fb *fb, uint64_t off, const char *fmt, ...)
{
	if (fb->failed)
		return false;
	fb->failed = 1;
	fb->err_off = off;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fb->err, sizeof fb->err, fmt, ap);
	va_end(ap);
	return false;
}

/* [pos, pos + n) inside the buffer?  64-bit operands cannot wrap: pos and n
 * are both below 2^33 wherever this is called. */
static bool in(const lc_fb *fb, uint64_t pos, uint64_t n)
{
	return pos <= fb->n && n <= fb->n - pos;
}

bool lc_fb_table_at(lc_fb *fb, uint64_t pos, unsigned depth, lc_fb_table *out)
{
	memset(out, 0, sizeof *out);
	if (fb->failed)
		return false;
	if (depth > fb->max_depth) {
		fb->limit = 2;
		return lc_fb_fail(fb, pos, "tables nested deeper than %u levels", fb->max_depth);
	}
	if (++fb->tables > fb->max_tables) {
		fb->limit = 1;
		return lc_fb_fail(fb, pos, "more than %llu table visits", (unsigned long long)fb->max_tables);
	}
	if (!in(fb, pos, 4))
		return lc_fb_fail(fb, pos, "table at 0x%llx is past the end of the buffer (%llu bytes)",
		                  (unsigned long long)pos, (unsigned long long)fb->n);
	/* soffset: signed, the vtable sits at pos - soffset (before or after). */
	int64_t soff = (int32_t)lc_le32(fb->d + pos);
	int64_t vt = (int64_t)pos - soff;
	if (vt < 0 || !in(fb, (uint64_t)vt, 4))
		return lc_fb_fail(fb, pos,
		                  "vtable of the table at 0x%llx (soffset %lld) is outside the buffer",
		                  (unsigned long long)pos, (long long)soff);
	uint16_t vt_size = lc_le16(fb->d + vt), size = lc_le16(fb->d + vt + 2);
	if (vt_size < 4 || (vt_size & 1))
		return lc_fb_fail(fb, (uint64_t)vt, "vtable at 0x%llx has an invalid size %u",
		                  (unsigned long long)vt, vt_size);
	if (!in(fb, (uint64_t)vt, vt_size))
		return lc_fb_fail(fb, (uint64_t)vt,
		                  "vtable at 0x%llx (%u bytes) runs past the end of the buffer",
		                  (unsigned long long)vt, vt_size);
	if (size < 4 || !in(fb, pos, size))
		return lc_fb_fail(fb, pos,
		                  "table at 0x%llx claims %u inline bytes, past the end of the buffer",
		                  (unsigned long long)pos, size);
	out->pos = pos;
	out->vt = (uint64_t)vt;
	out->vt_size = vt_size;
	out->size = size;
	out->depth = depth;
	return true;
}

bool lc_fb_root(lc_fb *fb, lc_fb_table *out)
{
	if (!in(fb, 0, 8)) {
		memset(out, 0, sizeof *out);
		return lc_fb_fail(fb, 0, "buffer too short for a root offset (%llu bytes)",
		                  (unsigned long long)fb->n);
	}
	return lc_fb_table_at(fb, lc_le32(fb->d), 0, out);
}

/* Offset of field id inside the table, 0 when absent (a vtable shorter than
 * the schema: an older writer, the default applies). */
static uint16_t field(const lc_fb *fb, const lc_fb_table *t, unsigned id)
{
	uint64_t slot = 4 + 2 * (uint64_t)id;
	if (fb->failed || !t->vt_size || slot + 2 > t->vt_size)
		return 0;
	return lc_le16(fb->d + t->vt + slot);
}

bool lc_fb_has(const lc_fb *fb, const lc_fb_table *t, unsigned id)
{
	return field(fb, t, id) != 0;
}

/* Position of a present field of width w, 0 when absent, or fails when it
 * reaches past the table's inline part. */
static bool field_pos(lc_fb *fb, const lc_fb_table *t, unsigned id, unsigned w, uint64_t *pos)
{
	*pos = 0;
	if (fb->failed)
		return false;
	uint16_t off = field(fb, t, id);
	if (!off)
		return true;
	if (off < 4 || (uint64_t)off + w > t->size)
		return lc_fb_fail(fb, t->pos,
		                  "field %u of the table at 0x%llx (offset %u, %u bytes) lies outside "
		                  "the table's %u bytes",
		                  id, (unsigned long long)t->pos, off, w, t->size);
	*pos = t->pos + off;
	return true;
}

#define SCALAR(name, type, w, read)                                                                          \
	bool lc_fb_##name(lc_fb *fb, const lc_fb_table *t, unsigned id, type def, type *out)                 \
	{                                                                                                    \
		uint64_t p;                                                                                  \
		*out = def;                                                                                  \
		if (!field_pos(fb, t, id, w, &p))                                                            \
			return false;                                                                        \
		if (p)                                                                                       \
			*out = (type)(read);                                                                 \
		return true;                                                                                 \
	}
SCALAR(u8, uint8_t, 1, fb->d[p])
SCALAR(i8, int8_t, 1, (int8_t)fb->d[p])
SCALAR(u16, uint16_t, 2, lc_le16(fb->d + p))
SCALAR(u32, uint32_t, 4, lc_le32(fb->d + p))
SCALAR(i32, int32_t, 4, (int32_t)lc_le32(fb->d + p))
SCALAR(u64, uint64_t, 8, lc_le64(fb->d + p))
SCALAR(i64, int64_t, 8, (int64_t)lc_le64(fb->d + p))
#undef SCALAR

/* Follows the uoffset stored at p; fails when the target is outside. */
static bool follow(lc_fb *fb, uint64_t p, const char *what, uint64_t *target)
{
	if (!in(fb, p, 4))
		return lc_fb_fail(fb, p, "offset to %s at 0x%llx is past the end of the buffer", what,
		                  (unsigned long long)p);
	uint64_t tgt = p + lc_le32(fb->d + p);
	if (!in(fb, tgt, 4))
		return lc_fb_fail(fb, p,
		                  "offset to %s at 0x%llx points to 0x%llx, past the end of the buffer (%llu "
		                  "bytes)",
		                  what, (unsigned long long)p, (unsigned long long)tgt,
		                  (unsigned long long)fb->n);
	*target = tgt;
	return true;
}

int lc_fb_subtable(lc_fb *fb, const lc_fb_table *t, unsigned id, lc_fb_table *out)
{
	uint64_t p, tgt;
	memset(out, 0, sizeof *out);
	if (!field_pos(fb, t, id, 4, &p))
		return -1;
	if (!p)
		return 0;
	if (!follow(fb, p, "a table", &tgt) || !lc_fb_table_at(fb, tgt, t->depth + 1, out))
		return -1;
	return 1;
}

/* The vector whose length word sits at pos. */
static bool vec_at(lc_fb *fb, uint64_t pos, unsigned elem, unsigned depth, lc_fb_vec *out)
{
	uint32_t len = lc_le32(fb->d + pos); /* follow() checked 4 bytes */
	if ((uint64_t)len * elem > fb->n - pos - 4)
		return lc_fb_fail(fb, pos,
		                  "vector at 0x%llx claims %u elements of %u bytes, past the end of the "
		                  "buffer",
		                  (unsigned long long)pos, len, elem);
	out->pos = pos + 4;
	out->len = len;
	out->elem = elem;
	out->depth = depth;
	return true;
}

int lc_fb_vector(lc_fb *fb, const lc_fb_table *t, unsigned id, unsigned elem_size, lc_fb_vec *out)
{
	uint64_t p, tgt;
	memset(out, 0, sizeof *out);
	if (!field_pos(fb, t, id, 4, &p))
		return -1;
	if (!p)
		return 0;
	if (!follow(fb, p, "a vector", &tgt) || !vec_at(fb, tgt, elem_size, t->depth, out))
		return -1;
	return 1;
}

/* A string at pos: a byte vector followed by a NUL inside the buffer (the
 * flatbuffers verifier requires the terminator; C readers rely on it). */
static bool string_at(lc_fb *fb, uint64_t pos, const char **s, size_t *len)
{
	lc_fb_vec v = {0};
	if (!vec_at(fb, pos, 1, 0, &v))
		return false;
	if (!in(fb, v.pos, (uint64_t)v.len + 1) || fb->d[v.pos + v.len] != 0)
		return lc_fb_fail(fb, pos,
		                  "string at 0x%llx (%u bytes) is not NUL-terminated inside the buffer",
		                  (unsigned long long)pos, v.len);
	*s = (const char *)fb->d + v.pos;
	*len = v.len;
	return true;
}

int lc_fb_string(lc_fb *fb, const lc_fb_table *t, unsigned id, const char **s, size_t *len)
{
	uint64_t p, tgt;
	*s = NULL;
	*len = 0;
	if (!field_pos(fb, t, id, 4, &p))
		return -1;
	if (!p)
		return 0;
	if (!follow(fb, p, "a string", &tgt) || !string_at(fb, tgt, s, len))
		return -1;
	return 1;
}

int lc_fb_union(lc_fb *fb, const lc_fb_table *t, unsigned type_id, uint8_t *type, lc_fb_table *out)
{
	memset(out, 0, sizeof *out);
	if (!lc_fb_u8(fb, t, type_id, 0, type))
		return -1;
	if (*type == 0)
		return 0;
	return lc_fb_subtable(fb, t, type_id + 1, out);
}

static bool elem_ok(lc_fb *fb, const lc_fb_vec *v, uint32_t i)
{
	if (fb->failed)
		return false;
	if (i >= v->len)
		return lc_fb_fail(fb, v->pos, "element %u of a %u-element vector", i, v->len);
	return true;
}

bool lc_fb_vec_table(lc_fb *fb, const lc_fb_vec *v, uint32_t i, lc_fb_table *out)
{
	uint64_t tgt;
	memset(out, 0, sizeof *out);
	if (!elem_ok(fb, v, i) || !follow(fb, v->pos + 4 * (uint64_t)i, "a table", &tgt))
		return false;
	return lc_fb_table_at(fb, tgt, v->depth + 1, out);
}

bool lc_fb_vec_string(lc_fb *fb, const lc_fb_vec *v, uint32_t i, const char **s, size_t *len)
{
	uint64_t tgt;
	*s = NULL;
	*len = 0;
	if (!elem_ok(fb, v, i) || !follow(fb, v->pos + 4 * (uint64_t)i, "a string", &tgt))
		return false;
	return string_at(fb, tgt, s, len);
}

/* Scalar elements: vec_at checked len * elem bytes, so i < len is enough;
 * out-of-range reads return 0 rather than touching memory. */
uint8_t lc_fb_vec_u8(const lc_fb *fb, const lc_fb_vec *v, uint32_t i)
{
	return i < v->len && v->elem >= 1 ? fb->d[v->pos + (uint64_t)i * v->elem] : 0;
}

uint32_t lc_fb_vec_u32(const lc_fb *fb, const lc_fb_vec *v, uint32_t i)
{
	return i < v->len && v->elem >= 4 ? lc_le32(fb->d + v->pos + (uint64_t)i * v->elem) : 0;
}

int32_t lc_fb_vec_i32(const lc_fb *fb, const lc_fb_vec *v, uint32_t i)
{
	return (int32_t)lc_fb_vec_u32(fb, v, i);
}

int64_t lc_fb_vec_i64(const lc_fb *fb, const lc_fb_vec *v, uint32_t i)
{
	return i < v->len && v->elem >= 8 ? (int64_t)lc_le64(fb->d + v->pos + (uint64_t)i * v->elem) : 0;
}
