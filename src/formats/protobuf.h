/*
 * Protocol-buffers wire-format reader, zero-copy and bounded.
 *
 * Why hand-written: the readers of ONNX and TensorFlow files need only the
 * wire format (varints, fixed32/64, length-delimited fields) and a few
 * schema tables; libprotobuf would copy every message (gigabytes of
 * embedded weights in an ONNX file) and needs generated code for schemas we
 * only partly read.  This cursor never copies: a length-delimited field is
 * a (pointer, length) view into the mapped file, and a sub-message is a new
 * cursor over that view.  Every read is bounds-checked; nesting depth is
 * bounded by the caller through lc_pb_sub().
 *
 * Usage:
 *   lc_pb m; lc_pb_init(&m, data, len, base);
 *   lc_pb_field f;
 *   while (lc_pb_next(&m, &f) > 0) { switch (f.num) { ... } }
 *   if (m.err) -> malformed (m.why says what)
 */
#ifndef LC_FORMATS_PROTOBUF_H
#define LC_FORMATS_PROTOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lc_pb_wire { LC_PB_VARINT = 0, LC_PB_I64 = 1, LC_PB_LEN = 2, LC_PB_I32 = 5 };

typedef struct lc_pb {
	const uint8_t *base; /* start of the file view: offsets are relative to it */
	const uint8_t *p, *end;
	unsigned depth;
	int err;             /* 0, or LC_E_TRUNCATED / LC_E_MALFORMED */
	const char *why;     /* static reason when err != 0 */
	uint64_t err_offset;
} lc_pb;

typedef struct lc_pb_field {
	uint32_t num;        /* field number */
	uint8_t wire;        /* enum lc_pb_wire */
	uint64_t v;          /* VARINT, I64, I32 value */
	const uint8_t *data; /* LEN: the bytes (into the view) */
	size_t len;
	uint64_t offset;     /* offset of the tag from base */
} lc_pb_field;

void lc_pb_init(lc_pb *m, const uint8_t *data, size_t len, const uint8_t *base);
/* Reads the next field: 1 a field, 0 end of message, -1 malformed (m->err). */
int lc_pb_next(lc_pb *m, lc_pb_field *f);
/* A cursor over a LEN field's bytes as a message, one level deeper.  Returns
 * false (and sets parent->err) when max_depth would be exceeded. */
bool lc_pb_sub(lc_pb *parent, const lc_pb_field *f, unsigned max_depth, lc_pb *child);

/* Reads a map entry message (key = field 1 as bytes, value = field 2, as
 * protoc writes map<string, V>): the key bytes and length (NULL and 0 when absent) and the
 * value field.  Returns 1 with a value, 0 without one, -1 malformed
 * (entry->err says why). */
int lc_pb_map_entry(lc_pb *entry, const uint8_t **key, size_t *keylen, lc_pb_field *value);

/* Decodes one varint from [*p, end); advances *p.  False when truncated or
 * longer than 10 bytes. */
bool lc_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);
/* Counts the varints of a packed repeated field (false if malformed). */
bool lc_pb_count_varints(const uint8_t *p, size_t len, size_t *count);

static inline int64_t lc_pb_zigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }
static inline float lc_pb_float(uint64_t v)
{
	union {
		uint32_t u;
		float f;
	} x = {(uint32_t)v};
	return x.f;
}
static inline double lc_pb_double(uint64_t v)
{
	union {
		uint64_t u;
		double d;
	} x = {v};
	return x.d;
}

#endif
