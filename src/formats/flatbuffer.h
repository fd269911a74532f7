/*
 * Bounds-checked, zero-copy FlatBuffers reader (src/formats/flatbuffer.c).
 *
 * Why hand-written instead of the generated C++/C code of flatc: generated
 * accessors trust the buffer (they are only safe after a separate Verifier
 * pass, which many runtimes - TFLite Micro among them - skip), they need the
 * schema compiled into the scanner, and they give no precise reason when
 * something is wrong.  Here every access checks as it reads: each offset is
 * resolved against the buffer length in 64-bit arithmetic, a table's vtable
 * and its inline size are checked before a field is touched, a vector's
 * count times its element size must fit the bytes left, strings must be
 * NUL-terminated inside the buffer.  Nothing is copied: strings, vectors and
 * blobs are returned as pointers into the view.  Unaligned data is read
 * byte-wise (the format aligns, but a hostile file need not, and nothing
 * here depends on it).
 *
 * Errors are sticky: the first one is kept in fb->err with its offset and
 * every later call fails, so a caller may check once per record.  Budgets
 * (tables visited, nesting depth) bound CPU and stack on DAG-shaped hostile
 * buffers, as flatbuffers' own Verifier does (max_tables, max_depth); hitting
 * one sets fb->limit so the caller can report the limit by name.
 *
 * Layout reminder (all little-endian):
 *   root:    uoffset32 at byte 0 (+ optional 4-byte file identifier at 4)
 *   table:   soffset32 s at T; vtable at T - s; vtable = u16 vt_size,
 *            u16 table_size, u16 field offsets (0 = absent, default value)
 *   uoffset: unsigned 32-bit, relative to where it is stored, forward only
 *   vector:  u32 count then elements; string = vector of bytes + NUL
 *   union:   a u8 type field (id n) and a uoffset to a table (id n + 1)
 */
#ifndef LC_FLATBUFFER_H
#define LC_FLATBUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lc_fb {
	const uint8_t *d;
	uint64_t n;          /* bytes addressable by offsets (at most 4 GiB) */
	uint64_t tables;     /* tables visited so far */
	uint64_t max_tables; /* budget of table visits */
	unsigned max_depth;  /* nesting budget (root = depth 0) */
	int failed;
	int limit;        /* when failed by a budget: 1 = max_tables, 2 = max_depth */
	uint64_t err_off; /* offset of the first error */
	char err[200];    /* the first error */
} lc_fb;

typedef struct lc_fb_table {
	uint64_t pos;     /* start of the table (where its soffset sits) */
	uint64_t vt;      /* start of its vtable */
	uint16_t vt_size; /* bytes of the vtable */
	uint16_t size;    /* bytes of the table's inline part */
	unsigned depth;
} lc_fb_table;

typedef struct lc_fb_vec {
	uint64_t pos;   /* first element */
	uint32_t len;   /* element count */
	unsigned elem;  /* element size in bytes */
	unsigned depth; /* depth of the table holding it */
} lc_fb_vec;

/* n is clamped to 4 GiB: uoffsets are 32-bit, nothing beyond can be
 * addressed by the flatbuffer itself (TFLite's >2 GB models store tensor
 * data after the flatbuffer and reach it by explicit 64-bit offsets). */
void lc_fb_init(lc_fb *fb, const uint8_t *data, size_t len, uint64_t max_tables, unsigned max_depth);
/* Records an error (first one wins); returns false. */
bool lc_fb_fail(lc_fb *fb, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The root table (uoffset at byte 0). */
bool lc_fb_root(lc_fb *fb, lc_fb_table *out);
/* The table starting at pos (checks soffset, vtable and table bounds). */
bool lc_fb_table_at(lc_fb *fb, uint64_t pos, unsigned depth, lc_fb_table *out);

/* Field id present (non-zero vtable entry)? */
bool lc_fb_has(const lc_fb *fb, const lc_fb_table *t, unsigned id);

/* Scalars: *out = default when absent.  False only on an error (a field that
 * reaches past the table's inline size). */
bool lc_fb_u8(lc_fb *fb, const lc_fb_table *t, unsigned id, uint8_t def, uint8_t *out);
bool lc_fb_i8(lc_fb *fb, const lc_fb_table *t, unsigned id, int8_t def, int8_t *out);
bool lc_fb_u16(lc_fb *fb, const lc_fb_table *t, unsigned id, uint16_t def, uint16_t *out);
bool lc_fb_u32(lc_fb *fb, const lc_fb_table *t, unsigned id, uint32_t def, uint32_t *out);
bool lc_fb_i32(lc_fb *fb, const lc_fb_table *t, unsigned id, int32_t def, int32_t *out);
bool lc_fb_u64(lc_fb *fb, const lc_fb_table *t, unsigned id, uint64_t def, uint64_t *out);
bool lc_fb_i64(lc_fb *fb, const lc_fb_table *t, unsigned id, int64_t def, int64_t *out);

/* Offset fields: 1 present (out filled), 0 absent, -1 error. */
int lc_fb_subtable(lc_fb *fb, const lc_fb_table *t, unsigned id, lc_fb_table *out);
int lc_fb_vector(lc_fb *fb, const lc_fb_table *t, unsigned id, unsigned elem_size, lc_fb_vec *out);
int lc_fb_string(lc_fb *fb, const lc_fb_table *t, unsigned id, const char **s, size_t *len);
/* A union: the type byte at type_id, the table at type_id + 1.  Returns 1
 * with *type != 0 and the table, 0 when the type is NONE or the value is
 * absent (flatbuffers' verifier accepts a typed union without a value),
 * -1 on error. */
int lc_fb_union(lc_fb *fb, const lc_fb_table *t, unsigned type_id, uint8_t *type, lc_fb_table *out);

/* Vector elements (i < v->len is the caller's loop bound; checked again). */
bool lc_fb_vec_table(lc_fb *fb, const lc_fb_vec *v, uint32_t i, lc_fb_table *out);
/* Element of a vector of strings. */
bool lc_fb_vec_string(lc_fb *fb, const lc_fb_vec *v, uint32_t i, const char **s, size_t *len);
uint8_t lc_fb_vec_u8(const lc_fb *fb, const lc_fb_vec *v, uint32_t i);
int32_t lc_fb_vec_i32(const lc_fb *fb, const lc_fb_vec *v, uint32_t i);
uint32_t lc_fb_vec_u32(const lc_fb *fb, const lc_fb_vec *v, uint32_t i);
int64_t lc_fb_vec_i64(const lc_fb *fb, const lc_fb_vec *v, uint32_t i);
/* Pointer to the first element (zero-copy). */
static inline const uint8_t *lc_fb_vec_data(const lc_fb *fb, const lc_fb_vec *v)
{
	return fb->d + v->pos;
}

#endif
