/*
 * Zip reader: PyTorch semantics, differential tricks, limits.  Fixtures
 * come from tests/gen/gen_zip.py and gen_torch.py; other zips are built
 * here byte by byte.
 */
#include <time.h>
#include <zlib.h>

#include "zip_util.h"

#define FX "tests/fixtures/zip/"
#define PT "tests/fixtures/pytorch/"

static const uint8_t EVIL[] = "\x80\x02" "cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";
#define EVIL_LEN (sizeof EVIL - 1)

/* ---- a minimal zip writer (stored or raw-deflate members) ---- */
typedef struct zw {
	uint8_t *p;
	size_t len, cap;
	uint8_t *cd;
	size_t cdlen, cdcap;
	unsigned n;
} zw;

static void put(uint8_t **p, size_t *len, size_t *cap, const void *d, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = (*cap ? *cap * 2 : 4096);
		while (nc < *len + n)
			nc *= 2;
		*p = realloc(*p, nc);
		*cap = nc;
	}
	memcpy(*p + *len, d, n);
	*len += n;
}

static void le16(uint8_t *q, unsigned v) { q[0] = (uint8_t)v; q[1] = (uint8_t)(v >> 8); }
static void le32(uint8_t *q, uint32_t v) { le16(q, v & 0xffff); le16(q + 2, v >> 16); }

static void zw_add(zw *z, const char *name, const void *data, size_t n, unsigned method, unsigned flags,
		   size_t usize)
{
	uint8_t h[30] = {0}, c[46] = {0};
	size_t nl = strlen(name);
	uint32_t crc = (uint32_t)crc32(0, data, (uInt)n);
	le32(h, 0x04034b50);
	le16(h + 4, 20);
	le16(h + 6, flags);
	le16(h + 8, method);
	le32(h + 14, crc);
	le32(h + 18, (uint32_t)n);
	le32(h + 22, (uint32_t)usize);
	le16(h + 26, (unsigned)nl);
	le32(c, 0x02014b50);
	le16(c + 4, 20);
	le16(c + 6, 20);
	le16(c + 8, flags);
	le16(c + 10, method);
	le32(c + 16, crc);
	le32(c + 20, (uint32_t)n);
	le32(c + 24, (uint32_t)usize);
	le16(c + 28, (unsigned)nl);
	le32(c + 42, (uint32_t)z->len);
	put(&z->cd, &z->cdlen, &z->cdcap, c, 46);
	put(&z->cd, &z->cdlen, &z->cdcap, name, nl);
	put(&z->p, &z->len, &z->cap, h, 30);
	put(&z->p, &z->len, &z->cap, name, nl);
	if (n)
		put(&z->p, &z->len, &z->cap, data, n);
	z->n++;
}

static void zw_finish(zw *z)
{
	uint8_t e[22] = {0};
	le32(e, 0x06054b50);
	le16(e + 8, z->n);
	le16(e + 10, z->n);
	le32(e + 12, (uint32_t)z->cdlen);
	le32(e + 16, (uint32_t)z->len);
	put(&z->p, &z->len, &z->cap, z->cd, z->cdlen);
	put(&z->p, &z->len, &z->cap, e, 22);
	free(z->cd);
	z->cd = NULL;
}

static uint8_t *raw_deflate(const void *d, size_t n, size_t *out)
{
	z_stream s;
	memset(&s, 0, sizeof s);
	deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&s, (uLong)n);
	uint8_t *b = malloc(cap);
	s.next_in = (Bytef *)(uintptr_t)d;
	s.avail_in = (uInt)n;
	s.next_out = b;
	s.avail_out = (uInt)cap;
	deflate(&s, Z_FINISH);
	*out = cap - s.avail_out;
	deflateEnd(&s);
	return b;
}

/* ---- fixtures ---- */

static void test_differential_fixtures(void)
{
	const lc_file_result *f;
	f = t_scan_path(FX "crc_mismatch.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, "zip.crc-mismatch", LC_SEV_MEDIUM, "data.pkl") == 1 &&
			   t_max_sev(f) >= LC_SEV_HIGH);
	static const char *flags[] = {FX "flag_encrypted.zip", FX "flag_patched.zip", FX "flag_strong.zip"};
	for (int i = 0; i < 3; i++) {
		f = t_scan_path(flags[i]);
		CHECK_F(f, f->status == LC_STATUS_SCANNED &&
				   t_count(f, "zip.encryption-flag", LC_SEV_MEDIUM, "config.pkl") == 1 &&
				   t_count(f, NULL, LC_SEV_HIGH, "config.pkl") >= 1);
	}
	f = t_scan_path(FX "name_mismatch.zip");
	CHECK_F(f, t_count(f, "zip.name-mismatch", LC_SEV_MEDIUM, "datap.kl") == 1 && t_max_sev(f) >= LC_SEV_HIGH);
	f = t_scan_path(FX "duplicate.zip");
	CHECK_F(f, t_count(f, "zip.duplicate-name", LC_SEV_MEDIUM, "data.pkl") == 1 && t_max_sev(f) >= LC_SEV_HIGH);
	f = t_scan_path(FX "overlap.zip");
	CHECK_F(f, t_count(f, "zip.overlap", LC_SEV_MEDIUM, NULL) >= 1);
	f = t_scan_path(FX "prepended.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, "zip.prepended-data", LC_SEV_MEDIUM, NULL) == 1 &&
			   t_max_sev(f) >= LC_SEV_HIGH);
	/* Offsets relative to the zip's own start: Python's semantics, still read. */
	f = t_scan_path(FX "prepended_relative.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED &&
			   t_count(f, "zip.prepended-data", LC_SEV_MEDIUM, "PyTorch") == 1 &&
			   t_count(f, NULL, LC_SEV_HIGH, "data.pkl") >= 1);
	/* A pickle appended after the end record is found. */
	f = t_scan_path(FX "appended_pickle.zip");
	CHECK_F(f, t_count(f, "zip.appended-data", LC_SEV_MEDIUM, NULL) == 1 &&
			   t_count(f, NULL, LC_SEV_HIGH, "<appended>") >= 1);
	f = t_scan_path(FX "eocd_comment.zip");
	CHECK_F(f, t_count(f, "zip.eocd-ambiguous", LC_SEV_MEDIUM, NULL) == 1);
	f = t_scan_path(FX "path_traversal.zip");
	CHECK_F(f, t_count(f, "zip.path-traversal", LC_SEV_MEDIUM, "../../../tmp/evil.pkl") == 1 &&
			   t_count(f, "zip.path-traversal", LC_SEV_MEDIUM, "/etc/x.txt") == 1 &&
			   t_max_sev(f) >= LC_SEV_HIGH);
	f = t_scan_path(FX "hidden_local.zip");
	CHECK_F(f, t_count(f, "zip.hidden-member", LC_SEV_MEDIUM, "hidden.pkl") == 1 &&
			   t_count(f, NULL, LC_SEV_HIGH, "hidden.pkl") >= 1);
}

static void test_content_fixtures(void)
{
	const lc_file_result *f;
	f = t_scan_path(FX "wrong_ext.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, NULL, LC_SEV_HIGH, "data.txt") >= 1);
	f = t_scan_path(FX "zip64.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, NULL, LC_SEV_HIGH, "data.pkl") >= 1 &&
			   t_has_member(f, "b.txt"));
	f = t_scan_path(FX "deflate.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, NULL, LC_SEV_HIGH, "dir/model.pkl") >= 1);
	f = t_scan_path(FX "data_descriptor.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_max_sev(f) >= LC_SEV_HIGH &&
			   t_count(f, "zip.unreferenced-data", LC_SEV_LOW, NULL) == 0);
	f = t_scan_path(FX "benign.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, NULL, LC_SEV_LOW, NULL) == 0 &&
			   strcmp(f->format, "zip") == 0);
	f = t_scan_path(FX "empty.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nfindings == 0);
}

static void test_errors(void)
{
	const lc_file_result *f;
	/* Really encrypted: fail closed, never clean. */
	f = t_scan_path(FX "really_encrypted.zip");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_UNSUPPORTED && f->error &&
			   strstr(f->error, "secret.pkl is encrypted") != NULL);
	/* Unknown method: an error naming it, other members still scanned. */
	f = t_scan_path(FX "bzip2_method.zip");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_UNSUPPORTED && f->error &&
			   strstr(f->error, "method 12 (bzip2)") != NULL && t_count(f, NULL, LC_SEV_HIGH, "data.pkl") >= 1);
	/* Truncated directory: error, but the entry before the cut is scanned. */
	f = t_scan_path(FX "truncated_cd.zip");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error && strstr(f->error, "truncated") != NULL &&
			   t_max_sev(f) >= LC_SEV_HIGH);
	f = t_scan_path_lim(FX "many_members.zip", "max_members=10");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_LIMIT && f->limit &&
			   strcmp(f->limit, "max_members") == 0 && strstr(f->error, "max_members=10") != NULL);
	f = t_scan_path(FX "many_members.zip");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nmembers == 40);
}

static void test_bombs(void)
{
	const lc_file_result *f;
	f = t_scan_path_lim(FX "bomb.zip", "max_ratio=100");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_ratio") == 0);
	f = t_scan_path_lim(FX "bomb.zip", "max_member_size=1M");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_member_size") == 0 &&
			   strstr(f->error, "zeros.bin") != NULL);
	f = t_scan_path_lim(FX "bomb.zip", "max_decompressed=1536k");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_decompressed") == 0);

	/* 64 MiB of zeros declared as 1 KiB: the lie does not bound the
	 * output, the limits do. */
	size_t n = 64u << 20, dl;
	uint8_t *zeros = calloc(1, n);
	uint8_t *def = raw_deflate(zeros, n, &dl);
	free(zeros);
	zw z = {0};
	zw_add(&z, "a.pkl", def, dl, 8, 0, 1024);
	zw_finish(&z);
	f = t_scan_mem_lim(z.p, z.len, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_ratio") == 0);
	free(z.p);

	/* 2000 directory entries sharing the bytes of one bomb (distinct
	 * names, same data): scanned once, stopped quickly. */
	memset(&z, 0, sizeof z);
	zw_add(&z, "b0000", def, dl, 8, 0, n);
	size_t rec = z.cdlen;
	uint8_t one[64];
	memcpy(one, z.cd, rec);
	for (unsigned i = 1; i < 2000; i++) {
		put(&z.cd, &z.cdlen, &z.cdcap, one, rec);
		uint8_t *nm = z.cd + z.cdlen - 4; /* "bNNNN": rewrite the digits */
		nm[0] = (uint8_t)('0' + i / 1000);
		nm[1] = (uint8_t)('0' + i / 100 % 10);
		nm[2] = (uint8_t)('0' + i / 10 % 10);
		nm[3] = (uint8_t)('0' + i % 10);
		z.n++;
	}
	zw_finish(&z);
	clock_t t0 = clock();
	f = t_scan_mem_lim(z.p, z.len, NULL);
	double ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit != NULL && t_count(f, "zip.overlap", LC_SEV_MEDIUM, NULL) >= 1);
	fprintf(stderr, "test_zip: 2000-entry overlapping bomb stopped in %.1f ms CPU\n", ms);
	free(z.p);
	free(def);
}

static void test_built(void)
{
	const lc_file_result *f;
	/* A pickle named like text, under an arbitrary root, deflated. */
	size_t dl;
	uint8_t *def = raw_deflate(EVIL, EVIL_LEN, &dl);
	zw z = {0};
	zw_add(&z, "some root/notes/readme.txt", def, dl, 8, 0, EVIL_LEN);
	zw_add(&z, "some root/x.bin", "\x01\x02\x03", 3, 0, 0, 3);
	zw_finish(&z);
	f = t_scan_mem_lim(z.p, z.len, NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, NULL, LC_SEV_HIGH, "readme.txt") >= 1 &&
			   t_has_member(f, "some root/x.bin"));

	/* Every truncation and single-byte corruption of that zip must end in
	 * a result (no crash; ASan/UBSan run this in make check-san). */
	for (size_t cut = 0; cut < z.len; cut++) {
		f = t_scan_mem_lim(z.p, cut, NULL);
		CHECK(f != NULL);
	}
	uint8_t *copy = malloc(z.len);
	for (size_t i = 0; i < z.len; i++) {
		memcpy(copy, z.p, z.len);
		copy[i] ^= 0xff;
		f = t_scan_mem_lim(copy, z.len, NULL);
		if (!f)
			CHECK(f != NULL);
	}
	free(copy);
	free(z.p);
	free(def);

	/* Encrypted flag on bytes that are neither recognisable nor CRC-true. */
	memset(&z, 0, sizeof z);
	zw_add(&z, "secret.bin", "\x9a\x11\xfe\x02\x77\x31\x00\x88\x12\x34\x56\x78", 12, 0, 1, 12);
	/* zw_add computed the CRC over these bytes: make it lie like a real
	 * ZipCrypto member (CRC of the plaintext). */
	z.p[14] ^= 0x55;
	z.cd[16] ^= 0x55;
	zw_finish(&z);
	f = t_scan_mem_lim(z.p, z.len, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_UNSUPPORTED);
	free(z.p);
}

/* A PyTorch checkpoint whose storage is large: storages are not read. */
static void test_pytorch_storage_untouched(void)
{
	size_t big = 256u << 20;
	uint8_t *zeros = calloc(1, big);
	static const uint8_t BENIGN[] = "\x80\x02}q\x00X\x01\x00\x00\x00" "aq\x01K\x01s.";
	zw z = {0};
	zw_add(&z, "archive/data.pkl", BENIGN, sizeof BENIGN - 1, 0, 0, sizeof BENIGN - 1);
	zw_add(&z, "archive/version", "3\n", 2, 0, 0, 2);
	zw_add(&z, "archive/data/0", zeros, big, 0, 0, big);
	free(zeros);
	/* Wrong CRC on the storage: not computed, so not reported. */
	zw_finish(&z);
	clock_t t0 = clock();
	const lc_file_result *f = t_scan_mem_lim(z.p, z.len, NULL);
	double ms = (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "pytorch-zip") == 0 &&
			   t_count(f, NULL, LC_SEV_LOW, NULL) == 0);
	fprintf(stderr, "test_zip: 256 MiB checkpoint scanned in %.2f ms CPU\n", ms);
	free(z.p);
}

static void test_pytorch_fixtures(void)
{
	const lc_file_result *f;
	f = t_scan_path(PT "state_dict.pt");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "pytorch-zip") == 0 &&
			   t_max_sev(f) < LC_SEV_HIGH);
	f = t_scan_path(PT "torchscript.pt");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "torchscript") == 0 &&
			   t_count(f, "torchscript.code", LC_SEV_INFO, "__torch__") == 1 && t_max_sev(f) < LC_SEV_HIGH);
	f = t_scan_path(PT "pickle_in_storage.pt");
	CHECK_F(f, strcmp(f->format, "pytorch-zip") == 0 && t_count(f, NULL, LC_SEV_HIGH, "data/0") >= 1);
	f = t_scan_path(PT "odd_root.pt");
	CHECK_F(f, strcmp(f->format, "pytorch-zip") == 0 &&
			   t_count(f, NULL, LC_SEV_HIGH, "weird root.v2/extra/blob.bin") >= 1);
	f = t_scan_path(PT "evil_data_pkl.pt");
	CHECK_F(f, t_count(f, NULL, LC_SEV_HIGH, "data.pkl") >= 1);
}

int main(void)
{
	RUN(test_differential_fixtures);
	RUN(test_content_fixtures);
	RUN(test_errors);
	RUN(test_bombs);
	RUN(test_built);
	RUN(test_pytorch_storage_untouched);
	RUN(test_pytorch_fixtures);
	lc_result_free(&T_res);
	return TEST_REPORT("test_zip");
}
