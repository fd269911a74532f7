/*
 * safetensors reader (src/formats/safetensors.c) through the public API.
 * Fixture-based cases live in tests/golden/safetensors_*; here: buffers built
 * in C, every truncation of a valid file, header limit, and the 1 GiB
 * timing promise (tensor data is never read).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"
#include "laocoon.h"

/* 8-byte length + header (space padded to 8) + data_len bytes of data. */
static uint8_t *build(const char *hdr, size_t data_len, size_t *out_len)
{
	size_t h = strlen(hdr), pad = (8 - h % 8) % 8;
	size_t n = 8 + h + pad + data_len;
	uint8_t *b = calloc(1, n);
	if (!b)
		return NULL;
	uint64_t hl = h + pad;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(hl >> (8 * i));
	memcpy(b + 8, hdr, h);
	memset(b + 8 + h, ' ', pad);
	*out_len = n;
	return b;
}

static lc_result scan(const void *d, size_t n, const char *limit)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	if (limit) {
		char err[128];
		CHECK(lc_limits_set(&opt.limits, limit, err, sizeof err) == 0);
	}
	lc_result res = {0};
	lc_scan_mem(&opt, "model.safetensors", d, n, &res);
	CHECK(res.nfiles == 1);
	return res;
}

static const lc_finding *find_rule(const lc_file_result *f, const char *rule)
{
	for (size_t i = 0; i < f->nfindings; i++)
		if (strcmp(f->findings[i].rule, rule) == 0)
			return &f->findings[i];
	return NULL;
}

static const char *VALID = "{\"__metadata__\":{\"format\":\"pt\"},"
			   "\"b\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[16,28]},"
			   "\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";

static void test_valid(void)
{
	size_t n;
	uint8_t *b = build(VALID, 28, &n);
	lc_result r = scan(b, n, NULL);
	const lc_file_result *f = &r.files[0];
	CHECK_STR(f->format, "safetensors");
	CHECK(f->status == LC_STATUS_SCANNED);
	const lc_finding *inv = find_rule(f, "safetensors.inventory");
	CHECK(inv && inv->severity == LC_SEV_INFO);
	CHECK(inv && strstr(inv->message, "2 tensors, 10 parameters (F16 1, F32 1)") != NULL);
	CHECK(lc_result_max_severity(&r) == LC_SEV_INFO);
	lc_result_free(&r);
	free(b);
}

/* Every strict prefix of a valid file is an error, never "clean". */
static void test_every_truncation(void)
{
	size_t n;
	uint8_t *b = build(VALID, 28, &n);
	for (size_t k = 0; k < n; k++) {
		lc_result r = scan(b, k, NULL);
		const lc_file_result *f = &r.files[0];
		CHECK_MSG(f->status != LC_STATUS_SCANNED || strcmp(f->format, "safetensors") != 0,
			  "prefix %zu of %zu scanned clean as safetensors", k, n);
		lc_result_free(&r);
	}
	free(b);
}

static void expect_error(const char *hdr, size_t data_len, const char *needle)
{
	size_t n;
	uint8_t *b = build(hdr, data_len, &n);
	lc_result r = scan(b, n, NULL);
	const lc_file_result *f = &r.files[0];
	CHECK_MSG(f->status == LC_STATUS_ERROR && f->error && strstr(f->error, needle),
		  "header %s: status %s, error %s (wanted \"%s\")", hdr, lc_status_name(f->status),
		  f->error ? f->error : "-", needle);
	lc_result_free(&r);
	free(b);
}

static void test_malformed(void)
{
	expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
		     "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}",
		     16, "leaves a gap after tensor \"a\"");
	expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
		     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
		     8, "overlaps");
	expect_error("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype \"Q4\"");
	expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
		     "span 8 bytes, but 3 elements of F32 need 12");
	expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 9, "1 bytes belong to no tensor");
	expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{}}", 8, "duplicate");
	expect_error("{\"__metadata__\":{\"k\":[1]}}", 0, "expected a string");
	expect_error("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,8]}}", 8,
		     "not valid JSON");
	expect_error("{\"a\":{\"dtype\":\"U64\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8,
		     "overflows");
}

static void test_metadata_inert(void)
{
	size_t n;
	uint8_t *b = build("{\"__metadata__\":{\"x\":\"exec(base64.b64decode('aW1wb3J0IG9z'))\"}}", 0, &n);
	lc_result r = scan(b, n, NULL);
	const lc_file_result *f = &r.files[0];
	CHECK(f->status == LC_STATUS_SCANNED);
	const lc_finding *m = find_rule(f, "safetensors.metadata.code-like");
	CHECK(m && m->severity == LC_SEV_LOW);
	CHECK(lc_result_max_severity(&r) < LC_SEV_HIGH);
	lc_result_free(&r);
	free(b);
}

static void test_header_limit(void)
{
	size_t n;
	uint8_t *b = build(VALID, 28, &n);
	lc_result r = scan(b, n, "safetensors_max_header=64");
	CHECK(r.files[0].status == LC_STATUS_ERROR);
	CHECK_STR(r.files[0].limit, "safetensors_max_header");
	lc_result_free(&r);
	free(b);
}

/* 1 GiB of tensor data: only the header is read, so the scan is fast and
 * the untouched pages of the anonymous mapping are never faulted in. */
static void test_one_gib(void)
{
	const size_t data = 1ull << 30;
	char hdr[200];
	snprintf(hdr, sizeof hdr, "{\"w\":{\"dtype\":\"F32\",\"shape\":[%zu],\"data_offsets\":[0,%zu]}}", data / 4, data);
	size_t h = strlen(hdr), pad = (8 - h % 8) % 8, n = 8 + h + pad + data;
	uint8_t *b = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(b != MAP_FAILED);
	if (b == MAP_FAILED)
		return;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((h + pad) >> (8 * i));
	memcpy(b + 8, hdr, h);
	memset(b + 8 + h, ' ', pad);
	lc_result r = scan(b, n, NULL);
	const lc_file_result *f = &r.files[0];
	CHECK(f->status == LC_STATUS_SCANNED);
	CHECK_STR(f->format, "safetensors");
	/* The promise is < 10 ms; allow slack for loaded CI machines. */
	CHECK_MSG(f->elapsed_ms < 50.0, "1 GiB safetensors took %.2f ms", f->elapsed_ms);
	printf("1 GiB safetensors validated in %.3f ms\n", f->elapsed_ms);
	lc_result_free(&r);
	munmap(b, n);
}

int main(void)
{
	RUN(test_valid);
	RUN(test_every_truncation);
	RUN(test_malformed);
	RUN(test_metadata_inert);
	RUN(test_header_limit);
	RUN(test_one_gib);
	return TEST_REPORT("test_safetensors");
}
