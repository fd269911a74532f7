/* Protocol-buffers wire-format reader: see protobuf.h for why it is ours. */
#include "formats/protobuf.h"
#include "core/lc.h"

void lc_pb_init(lc_pb *m, const uint8_t *data, size_t len, const uint8_t *base)
{
	m->base = base ? base : data;
	m->p = data;
	m->end = data + len;
	m->depth = 0;
	m->err = 0;
	m->why = NULL;
	m->err_offset = 0;
}

bool lc_pb_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (p >= end)
			return false;
		uint8_t b = *p++;
		/* the 10th byte may only carry the top bit of a 64-bit value */
		if (shift == 63 && b > 1)
			return false;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			*pp = p;
			return true;
		}
	}
	return false;
}

bool lc_pb_count_varints(const uint8_t *p, size_t len, size_t *count)
{
	const uint8_t *end = p + len;
	size_t n = 0;
	uint64_t v;
	while (p < end) {
		if (!lc_pb_varint(&p, end, &v))
			return false;
		n++;
	}
	*count = n;
	return true;
}

static int fail(lc_pb *m, int err, const uint8_t *at, const char *why)
{
	m->err = err;
	m->why = why;
	m->err_offset = (uint64_t)(at - m->base);
	return -1;
}

int lc_pb_next(lc_pb *m, lc_pb_field *f)
{
	if (m->err)
		return -1;
	if (m->p >= m->end)
		return 0;
	const uint8_t *start = m->p;
	uint64_t key;
	if (!lc_pb_varint(&m->p, m->end, &key))
		return fail(m, LC_E_TRUNCATED, start, "truncated or overlong field tag");
	f->offset = (uint64_t)(start - m->base);
	f->wire = (uint8_t)(key & 7);
	uint64_t num = key >> 3;
	if (num == 0 || num > 0x1fffffff)
		return fail(m, LC_E_MALFORMED, start, "field number 0 or above 2^29-1");
	f->num = (uint32_t)num;
	f->data = NULL;
	f->len = 0;
	f->v = 0;
	size_t left;
	switch (f->wire) {
	case LC_PB_VARINT:
		if (!lc_pb_varint(&m->p, m->end, &f->v))
			return fail(m, LC_E_TRUNCATED, start, "truncated varint");
		return 1;
	case LC_PB_I64:
		if ((size_t)(m->end - m->p) < 8)
			return fail(m, LC_E_TRUNCATED, start, "truncated fixed64");
		f->v = lc_le64(m->p);
		m->p += 8;
		return 1;
	case LC_PB_I32:
		if ((size_t)(m->end - m->p) < 4)
			return fail(m, LC_E_TRUNCATED, start, "truncated fixed32");
		f->v = lc_le32(m->p);
		m->p += 4;
		return 1;
	case LC_PB_LEN: {
		uint64_t n;
		if (!lc_pb_varint(&m->p, m->end, &n))
			return fail(m, LC_E_TRUNCATED, start, "truncated length");
		left = (size_t)(m->end - m->p);
		if (n > left)
			return fail(m, LC_E_TRUNCATED, start, "length-delimited field runs past its message");
		f->data = m->p;
		f->len = (size_t)n;
		m->p += n;
		return 1;
	}
	default:
		/* 3/4 are the deprecated groups, 6/7 do not exist: no schema we
		 * read uses them, so they mean the bytes are not what we think. */
		return fail(m, LC_E_MALFORMED, start, "unsupported wire type (group or invalid)");
	}
}

bool lc_pb_sub(lc_pb *parent, const lc_pb_field *f, unsigned max_depth, lc_pb *child)
{
	if (parent->depth + 1 > max_depth) {
		fail(parent, LC_E_LIMIT, f->data ? f->data : parent->p, "message nesting too deep");
		return false;
	}
	lc_pb_init(child, f->data, f->len, parent->base);
	child->depth = parent->depth + 1;
	return true;
}

int lc_pb_map_entry(lc_pb *entry, const uint8_t **key, size_t *keylen, lc_pb_field *value)
{
	lc_pb_field f;
	int have = 0;
	*key = NULL;
	*keylen = 0;
	while (lc_pb_next(entry, &f) > 0) {
		if (f.num == 1 && f.wire == LC_PB_LEN) {
			*key = f.data;
			*keylen = f.len;
		} else if (f.num == 2) {
			*value = f;
			have = 1;
		}
	}
	if (entry->err)
		return -1;
	return have;
}
