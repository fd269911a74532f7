/*
 * numpy .npy reader, joblib array-wrapper framing in the pickle VM, and
 * the zlib / joblib Z-file stream reader: bytes built here, scanned with
 * lc_scan_mem.  File fixtures are covered by tests/golden/{numpy,joblib}_*.
 */
#include <zlib.h>

#include "core/lc.h"
#include "zip_util.h"

/* A pickle (protocol 2) calling posix.system('id'). */
static const char EVIL[] = "\x80\x02" "cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
#define EVIL_LEN (sizeof EVIL - 1)
/* The same call, result popped: spliced into a stream. */
static const char EVIL_OPS[] = "cposix\nsystem\nX\x02\x00\x00\x00id\x85R0";
#define EVIL_OPS_LEN (sizeof EVIL_OPS - 1)

typedef struct tb {
	uint8_t b[4096];
	size_t n;
} tb;

static void put(tb *t, const void *p, size_t n)
{
	if (t->n + n <= sizeof t->b) {
		memcpy(t->b + t->n, p, n);
		t->n += n;
	}
}
static void puts_(tb *t, const char *s) { put(t, s, strlen(s)); }

/* .npy with the given version and header text (padded like numpy). */
static void npy(tb *t, int major, const char *header)
{
	t->n = 0;
	uint8_t mg[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)major, 0};
	put(t, mg, 8);
	size_t hl = strlen(header), pre = major == 1 ? 10 : 12;
	size_t total = hl + 1;
	while ((pre + total) % 64)
		total++;
	uint8_t len[4] = {(uint8_t)total, (uint8_t)(total >> 8), (uint8_t)(total >> 16), (uint8_t)(total >> 24)};
	put(t, len, major == 1 ? 2 : 4);
	puts_(t, header);
	for (size_t i = hl; i + 1 < total; i++)
		put(t, " ", 1);
	put(t, "\n", 1);
}

static void zeros(tb *t, size_t n)
{
	static const uint8_t z[512];
	while (n) {
		size_t k = n > sizeof z ? sizeof z : n;
		put(t, z, k);
		n -= k;
	}
}

static void test_npy_plain(void)
{
	tb t;
	npy(&t, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }");
	zeros(&t, 48);
	const lc_file_result *f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "npy") == 0 && f->nfindings == 0);
	/* one byte short: numpy cannot reshape -> error */
	f = t_scan_mem_lim(t.b, t.n - 1, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_TRUNCATED);
	/* extra bytes: ignored by numpy, reported */
	put(&t, "junk", 4);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, "npy.trailing-data", LC_SEV_LOW, "4 bytes") == 1);
	/* structured, subarray, comma string, Python 2 long, comment */
	npy(&t, 2, "{'descr': [('a', '<i4'), ('b', [('c', '|S3')], (2,)), ('', '|V2')], # pad\n"
		   "'fortran_order': True, 'shape': (3L,), }");
	zeros(&t, 3 * (4 + 6 + 2));
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	npy(&t, 1, "{\"descr\": \"(2,2)i2, u1\", \"fortran_order\": False, \"shape\": (), }");
	zeros(&t, 9);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	/* Python 2 "L" is filtered by numpy for 1.x/2.x headers only */
	npy(&t, 3, "{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }");
	zeros(&t, 24);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_MALFORMED);
	/* zero-size array, unicode type, datetime unit */
	npy(&t, 1, "{'descr': '<U3', 'fortran_order': False, 'shape': (0, 5), }");
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	npy(&t, 1, "{'descr': '<M8[us]', 'fortran_order': False, 'shape': (2,), }");
	zeros(&t, 16);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nfindings == 0);
}

static void test_npy_header_strict(void)
{
	static const char *const bad[] = {
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", /* extra key */
		"{'descr': '<f8', 'shape': (2,)}",                                 /* missing key */
		"{'descr': '<f8', 'fortran_order': 0, 'shape': (2,)}",             /* not a bool */
		"{'descr': '<f8', 'fortran_order': False, 'shape': [2]}",          /* not a tuple */
		"{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",        /* negative */
		"{'descr': '<f8', 'fortran_order': False, 'shape': (0x10,)}",      /* not decimal */
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x",       /* trailing text */
		"{'descr': __import__('os'), 'fortran_order': False, 'shape': (2,)}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (2,), ",        /* unterminated */
		"['descr', '<f8']",                                                /* not a dict */
		"{'descr': '<f8', 'fortran_order': False, 'shape': (((((((((((((((((((((((((((((((((((2,)))))))"
		"))))))))))))))))))))))))))))}",                                 /* too deep */
	};
	tb t;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		npy(&t, 1, bad[i]);
		zeros(&t, 16);
		const lc_file_result *f = t_scan_mem_lim(t.b, t.n, NULL);
		CHECK_F(f, f->status == LC_STATUS_ERROR && strcmp(f->format, "npy") == 0);
	}
	/* duplicate keys: the last wins, as in Python (shape (1000,) needs 8000 bytes) */
	npy(&t, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'sha\\x70e': (1000,)}");
	zeros(&t, 8);
	const lc_file_result *f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_TRUNCATED);
	/* unknown dtype: unsupported, not clean */
	npy(&t, 1, "{'descr': '<q9', 'fortran_order': False, 'shape': (1,)}");
	zeros(&t, 8);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_UNSUPPORTED);
	/* ... and if its body is a pickle, that pickle is still judged */
	npy(&t, 1, "{'descr': 'objekt', 'fortran_order': False, 'shape': (1,)}");
	put(&t, EVIL, EVIL_LEN);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && t_count(f, NULL, LC_SEV_CRITICAL, "posix.system") == 1);
	/* versions and header limit */
	npy(&t, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)}");
	zeros(&t, 8);
	t.b[6] = 4;
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_UNSUPPORTED);
	t.b[6] = 1;
	f = t_scan_mem_lim(t.b, t.n, "npy_max_header=32");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "npy_max_header") == 0);
	f = t_scan_mem_lim(t.b, 12, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_TRUNCATED);
}

static void test_npy_object(void)
{
	static const char *const descrs[] = {
		"'|O'", "'O'", "'object'", "[('a', '<i4'), ('b', [('c', '|O', (2,))])]", "('O', (3,))", "'i4,O8'",
	};
	tb t;
	for (size_t i = 0; i < sizeof descrs / sizeof descrs[0]; i++) {
		char h[200];
		snprintf(h, sizeof h, "{'descr': %s, 'fortran_order': False, 'shape': (1,), }", descrs[i]);
		npy(&t, 1, h);
		put(&t, EVIL, EVIL_LEN);
		const lc_file_result *f = t_scan_mem_lim(t.b, t.n, NULL);
		CHECK_F(f, t_count(f, "pickle.callable.dangerous", LC_SEV_CRITICAL, "posix.system") == 1 &&
				   t_count(f, "npy.object-array", LC_SEV_INFO, NULL) == 1 &&
				   t_has_member(f, "<npy object data>"));
	}
}

/* ---- joblib framing ---------------------------------------------------------- */

/* A joblib.dump-like protocol-2 stream: [NumpyArrayWrapper(shape, dtype),
 * 7] with the array data after the wrapper's BUILD.  typestr is the
 * numpy.dtype argument, elsize/flags its state; align adds
 * numpy_array_alignment_bytes (joblib >= 1.2), data_len bytes of array data
 * (and padding) follow.  after_data is spliced right after them. */
#define PUTL(t, lit) put((t), (lit), sizeof(lit) - 1)

static void joblib_stream(tb *t, const char *typestr, int elsize, int flags, int nitems, bool align,
			  size_t data_len, const char *after, size_t after_len)
{
	uint8_t b[4];
	t->n = 0;
	PUTL(t, "\x80\x02]q\x00(cjoblib.numpy_pickle\nNumpyArrayWrapper\nq\x01)\x81q\x02}q\x03(");
	PUTL(t, "X\x08\x00\x00\x00subclassq\x04" "cnumpy\nndarray\nq\x05");
	PUTL(t, "X\x05\x00\x00\x00shapeK");
	b[0] = (uint8_t)nitems;
	put(t, b, 1);
	PUTL(t, "\x85X\x05\x00\x00\x00orderX\x01\x00\x00\x00" "CX\x05\x00\x00\x00" "dtypecnumpy\ndtype\nX");
	b[0] = (uint8_t)strlen(typestr);
	b[1] = b[2] = b[3] = 0;
	put(t, b, 4);
	puts_(t, typestr);
	PUTL(t, "\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ");
	b[0] = (uint8_t)elsize;
	b[1] = (uint8_t)(elsize >> 8);
	b[2] = (uint8_t)(elsize >> 16);
	b[3] = (uint8_t)(elsize >> 24);
	put(t, b, 4);
	PUTL(t, "J\xff\xff\xff\xffK");
	b[0] = (uint8_t)flags;
	put(t, b, 1);
	PUTL(t, "tb");
	if (align)
		PUTL(t, "X\x1b\x00\x00\x00numpy_array_alignment_bytesK\x10");
	PUTL(t, "ub");
	for (size_t i = 0; i < data_len; i++)
		PUTL(t, "\x03"); /* padding length 3 when aligned, then data */
	if (after)
		put(t, after, after_len);
	PUTL(t, "K\x07" "e.");
}

static void test_joblib(void)
{
	tb t;
	/* 4 x f8 = 32 bytes, aligned: 1 length byte (3) + 3 padding + 32 */
	joblib_stream(&t, "f8", -1, 0, 4, true, 36, NULL, 0);
	const lc_file_result *f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "pickle") == 0 && t_max_sev(f) < LC_SEV_LOW);
	joblib_stream(&t, "f8", -1, 0, 4, true, 36, EVIL_OPS, EVIL_OPS_LEN);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, t_count(f, "pickle.callable.dangerous", LC_SEV_CRITICAL, "posix.system") == 1);
	/* the same bytes with one array byte more announced: data runs into
	 * the payload, the stream breaks: an error, never clean */
	joblib_stream(&t, "f8", -1, 0, 4, true, 35, EVIL_OPS, EVIL_OPS_LEN);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR || t_max_sev(f) >= LC_SEV_HIGH);
	/* no alignment attribute (joblib < 1.2, or a compressed stream that
	 * could not tell()): no padding byte; U2 = 8 bytes per item via elsize */
	joblib_stream(&t, "U2", 8, 0, 2, false, 16, EVIL_OPS, EVIL_OPS_LEN);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, t_count(f, "pickle.callable.dangerous", LC_SEV_CRITICAL, "posix.system") == 1);
	/* truncated array data */
	joblib_stream(&t, "i8", -1, 0, 100, true, 20, NULL, 0);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error && strstr(f->error, "EOF reading array data"));
	/* object dtype: a nested pickle.load follows */
	joblib_stream(&t, "O8", -1, 63, 1, false, 0, EVIL, EVIL_LEN);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, t_count(f, "pickle.callable.dangerous", LC_SEV_CRITICAL, "joblib object array") == 1);
	/* a structured dtype flagged as holding objects (flags bit 0) */
	joblib_stream(&t, "V16", 16, 27, 1, false, 0, EVIL, EVIL_LEN);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, t_count(f, "pickle.callable.dangerous", LC_SEV_CRITICAL, "joblib object array") == 1);
	/* outside joblib semantics (a torch legacy carrier uses
	 * lc_pickle_scan_one): nothing to check here, but the pickle reader
	 * must not misread a wrapper whose dtype is not a numpy.dtype */
	joblib_stream(&t, "f8", -1, 0, 1, false, 8, NULL, 0);
	size_t at = 0;
	for (size_t i = 0; i + 11 < t.n; i++)
		if (memcmp(t.b + i, "numpy\ndtype", 11) == 0)
			at = i;
	memcpy(t.b + at, "numpy\nbtype", 11);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error && strstr(f->error, "not a numpy.dtype"));
}

/* ---- zlib streams ---------------------------------------------------------------- */

static void test_zlib(void)
{
	uint8_t z[512];
	uLongf zn = sizeof z;
	CHECK(compress2(z, &zn, (const Bytef *)EVIL, EVIL_LEN, 6) == Z_OK);
	const lc_file_result *f = t_scan_mem_lim(z, zn, NULL);
	CHECK_F(f, strcmp(f->format, "zlib") == 0 && t_count(f, NULL, LC_SEV_CRITICAL, "posix.system") == 1);
	/* truncated stream: the part inflated is scanned, and it is an error */
	f = t_scan_mem_lim(z, zn - 6, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR);
	/* a valid header over garbage is not claimed */
	static const uint8_t junk[] = {0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	CHECK(lc_bid_zlib(junk, sizeof junk) == 0);
	/* joblib Z-file */
	tb t;
	t.n = 0;
	char hdr[32], hex[24];
	snprintf(hex, sizeof hex, "0x%zx", EVIL_LEN);
	snprintf(hdr, sizeof hdr, "ZF%-19s", hex);
	puts_(&t, hdr);
	put(&t, z, zn);
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, strcmp(f->format, "joblib-zfile") == 0 && t_count(f, NULL, LC_SEV_CRITICAL, "posix.system") == 1);
	/* wrong declared length: joblib refuses, still judged */
	t.b[4] = '3';
	f = t_scan_mem_lim(t.b, t.n, NULL);
	CHECK_F(f, t_count(f, "joblib.zfile-length", LC_SEV_LOW, NULL) == 1 &&
			   t_count(f, NULL, LC_SEV_CRITICAL, "posix.system") == 1);
	/* trailing data after the stream */
	memcpy(t.b, z, zn);
	memcpy(t.b + zn, EVIL, EVIL_LEN);
	f = t_scan_mem_lim(t.b, zn + EVIL_LEN, NULL);
	CHECK_F(f, t_count(f, "zlib.trailing-data", LC_SEV_LOW, NULL) == 1 &&
			   t_count(f, NULL, LC_SEV_CRITICAL, "posix.system") == 2);
}

int main(void)
{
	RUN(test_npy_plain);
	RUN(test_npy_header_strict);
	RUN(test_npy_object);
	RUN(test_joblib);
	RUN(test_zlib);
	lc_result_free(&T_res);
	return TEST_REPORT("test_numpy");
}
