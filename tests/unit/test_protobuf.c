/* Unit tests of the protobuf wire reader: every malformed shape is refused. */
#include "formats/protobuf.h"
#include "core/lc.h"
#include "harness.h"

static void test_fields(void)
{
	/* field 1 varint 150, field 2 "abc", field 3 fixed32, field 4 fixed64 */
	const uint8_t msg[] = {0x08, 0x96, 0x01, 0x12, 0x03, 'a', 'b', 'c', 0x1d, 1, 0, 0, 0,
			       0x21, 2, 0, 0, 0, 0, 0, 0, 0};
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, msg, sizeof msg, msg);
	CHECK(lc_pb_next(&m, &f) == 1 && f.num == 1 && f.wire == LC_PB_VARINT && f.v == 150 && f.offset == 0);
	CHECK(lc_pb_next(&m, &f) == 1 && f.num == 2 && f.len == 3 && f.data == msg + 5 && f.offset == 3);
	CHECK(lc_pb_next(&m, &f) == 1 && f.num == 3 && f.v == 1);
	CHECK(lc_pb_next(&m, &f) == 1 && f.num == 4 && f.v == 2);
	CHECK(lc_pb_next(&m, &f) == 0 && m.err == 0);
}

static void expect_bad(const uint8_t *msg, size_t n, int err)
{
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, msg, n, msg);
	int r;
	while ((r = lc_pb_next(&m, &f)) > 0)
		;
	CHECK_MSG(r == -1 && m.err == err && m.why != NULL, "r=%d err=%d", r, m.err);
}

static void test_malformed(void)
{
	const uint8_t len_past_end[] = {0x12, 0x05, 'a'};
	expect_bad(len_past_end, sizeof len_past_end, LC_E_TRUNCATED);
	const uint8_t trunc_varint[] = {0x08, 0x80};
	expect_bad(trunc_varint, sizeof trunc_varint, LC_E_TRUNCATED);
	const uint8_t overlong[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
	expect_bad(overlong, sizeof overlong, LC_E_TRUNCATED);
	const uint8_t group[] = {0x0b};
	expect_bad(group, sizeof group, LC_E_MALFORMED);
	const uint8_t field0[] = {0x00, 0x01};
	expect_bad(field0, sizeof field0, LC_E_MALFORMED);
	const uint8_t trunc_fixed[] = {0x1d, 1, 0};
	expect_bad(trunc_fixed, sizeof trunc_fixed, LC_E_TRUNCATED);
	/* a huge length must not wrap the pointer */
	const uint8_t huge_len[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
	expect_bad(huge_len, sizeof huge_len, LC_E_TRUNCATED);
}

static void test_depth(void)
{
	/* 5 nested messages: field 1 LEN containing field 1 LEN ... */
	uint8_t msg[16];
	size_t n = 0;
	for (int i = 0; i < 5; i++) {
		msg[n++] = 0x0a;
		msg[n++] = (uint8_t)(2 * (4 - i));
	}
	lc_pb m;
	lc_pb_init(&m, msg, n, msg);
	lc_pb cur = m, child;
	lc_pb_field f;
	int levels = 0;
	while (lc_pb_next(&cur, &f) > 0 && f.wire == LC_PB_LEN) {
		if (!lc_pb_sub(&cur, &f, 3, &child))
			break;
		cur = child;
		levels++;
	}
	CHECK(levels == 3);
	CHECK(cur.err == LC_E_LIMIT);
}

static void test_packed(void)
{
	const uint8_t packed[] = {0x01, 0x96, 0x01, 0x7f};
	size_t c = 0;
	CHECK(lc_pb_count_varints(packed, sizeof packed, &c) && c == 3);
	const uint8_t bad[] = {0x01, 0x96};
	CHECK(!lc_pb_count_varints(bad, sizeof bad, &c));
	CHECK(lc_pb_zigzag(3) == -2 && lc_pb_zigzag(4) == 2);
	CHECK(lc_pb_float(0x3f800000u) == 1.0f);
}

int main(void)
{
	RUN(test_fields);
	RUN(test_malformed);
	RUN(test_depth);
	RUN(test_packed);
	return TEST_REPORT("test_protobuf");
}
