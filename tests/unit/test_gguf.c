/*
 * GGUF reader (src/formats/gguf.c) through the public API.  Fixture cases
 * live in tests/golden/gguf_*; here: files built in C, every truncation of
 * a valid file, single-byte corruption of every byte (must never crash and
 * never pass the header checks silently with a wrong layout), limits.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "laocoon.h"

typedef struct wb {
	uint8_t b[8192];
	size_t n;
	int v1;
} wb;

static void put(wb *w, const void *p, size_t n)
{
	if (w->n + n <= sizeof w->b) {
		memcpy(w->b + w->n, p, n);
		w->n += n;
	}
}
static void u32(wb *w, uint32_t v)
{
	uint8_t q[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(w, q, 4);
}
static void u64(wb *w, uint64_t v)
{
	u32(w, (uint32_t)v);
	u32(w, (uint32_t)(v >> 32));
}
static void len(wb *w, uint64_t v)
{
	if (w->v1)
		u32(w, (uint32_t)v);
	else
		u64(w, v);
}
static void str(wb *w, const char *s)
{
	len(w, strlen(s));
	put(w, s, strlen(s));
}
static void pad(wb *w, size_t al)
{
	while (w->n % al)
		put(w, "", 1);
}

/* A small valid file: 3 kv pairs (one a template), 2 tensors. */
static void build_valid(wb *w, int v1, const char *tmpl)
{
	memset(w, 0, sizeof *w);
	w->v1 = v1;
	put(w, "GGUF", 4);
	u32(w, v1 ? 1 : 3);
	len(w, 2); /* tensors */
	len(w, 3); /* kv */
	str(w, "general.architecture");
	u32(w, 8);
	str(w, "llama");
	str(w, "tokenizer.ggml.scores");
	u32(w, 9);
	u32(w, 6);
	len(w, 3);
	for (int i = 0; i < 3; i++)
		u32(w, 0);
	str(w, "tokenizer.chat_template");
	u32(w, 8);
	str(w, tmpl);
	/* tensor infos */
	str(w, "a");
	u32(w, 2);
	len(w, 4);
	len(w, 2);
	u32(w, 0); /* F32: 32 bytes */
	u64(w, 0);
	str(w, "b");
	u32(w, 1);
	len(w, 64);
	u32(w, 2); /* Q4_0: 2 blocks = 36 bytes */
	u64(w, 32);
	pad(w, 32);
	for (int i = 0; i < 32 + 36; i++)
		put(w, "\x11", 1);
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
	lc_scan_mem(&opt, "model.gguf", d, n, &res);
	CHECK(res.nfiles == 1);
	return res;
}

static const char *BENIGN_T = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] }}{% endfor %}";

static void test_valid(void)
{
	for (int v1 = 0; v1 <= 1; v1++) {
		wb w;
		build_valid(&w, v1, BENIGN_T);
		lc_result r = scan(w.b, w.n, NULL);
		const lc_file_result *f = &r.files[0];
		CHECK_STR(f->format, "gguf");
		CHECK_MSG(f->status == LC_STATUS_SCANNED, "v1=%d: %s", v1, f->error ? f->error : "-");
		CHECK(f->nfindings == 1 && strcmp(f->findings[0].rule, "gguf.inventory") == 0);
		CHECK(f->nfindings == 1 && strstr(f->findings[0].message, "2 tensors, 72 parameters (F32 1, Q4_0 1)"));
		lc_result_free(&r);
	}
}

static void test_template_in_gguf(void)
{
	wb w;
	build_valid(&w, 0, "{{ joiner.__init__.__globals__.os.system('id') }}");
	lc_result r = scan(w.b, w.n, NULL);
	const lc_file_result *f = &r.files[0];
	CHECK(f->status == LC_STATUS_SCANNED);
	CHECK(lc_result_max_severity(&r) == LC_SEV_CRITICAL);
	int found = 0;
	for (size_t i = 0; i < f->nfindings; i++) {
		if (strcmp(f->findings[i].rule, "gguf.template.sandbox-escape") == 0) {
			found = 1;
			CHECK(f->findings[i].has_offset);
			/* the offset points into the file at the first dunder */
			const char *at = (const char *)w.b + f->findings[i].offset;
			CHECK(f->findings[i].offset < w.n && strncmp(at, "__init__", 8) == 0);
		}
	}
	CHECK(found);
	lc_result_free(&r);
}

static void test_every_truncation(void)
{
	wb w;
	build_valid(&w, 0, BENIGN_T);
	for (size_t k = 8; k < w.n; k++) {
		lc_result r = scan(w.b, k, NULL);
		CHECK_MSG(r.files[0].status == LC_STATUS_ERROR, "prefix %zu of %zu: %s", k, w.n,
			  lc_status_name(r.files[0].status));
		lc_result_free(&r);
	}
}

/* Flips each header byte to a few values: must never crash (ASan/UBSan in
 * make check-san), and any result must be consistent. */
static void test_corruption(void)
{
	wb w;
	build_valid(&w, 0, BENIGN_T);
	static const uint8_t vals[] = {0x00, 0xff, 0x80, 0x7f, 0x01};
	size_t header_end = w.n - 68;
	for (size_t i = 4; i < header_end; i++) {
		for (size_t v = 0; v < sizeof vals; v++) {
			wb c = w;
			if (c.b[i] == vals[v])
				continue;
			c.b[i] = vals[v];
			lc_result r = scan(c.b, c.n, NULL);
			const lc_file_result *f = &r.files[0];
			CHECK(f->status == LC_STATUS_SCANNED || f->status == LC_STATUS_ERROR);
			CHECK(f->status != LC_STATUS_ERROR || f->error != NULL);
			lc_result_free(&r);
		}
	}
}

static void test_limits(void)
{
	wb w;
	build_valid(&w, 0, BENIGN_T);
	lc_result r = scan(w.b, w.n, "gguf_max_kv=2");
	CHECK_STR(r.files[0].limit, "gguf_max_kv");
	lc_result_free(&r);
	r = scan(w.b, w.n, "gguf_max_tensors=1");
	CHECK_STR(r.files[0].limit, "gguf_max_tensors");
	lc_result_free(&r);
	r = scan(w.b, w.n, "gguf_max_string=16");
	CHECK_STR(r.files[0].limit, "gguf_max_string");
	lc_result_free(&r);
	r = scan(w.b, w.n, "gguf_max_array=2");
	CHECK_STR(r.files[0].limit, "gguf_max_array");
	lc_result_free(&r);
}

static void test_not_gguf(void)
{
	/* "GGUF" magic with junk: claimed, reported as an error */
	lc_result r = scan("GGUF\x09\x00\x00\x00", 8, NULL);
	CHECK(r.files[0].status == LC_STATUS_ERROR && strstr(r.files[0].error, "unsupported version 9"));
	lc_result_free(&r);
	/* no magic: not claimed */
	r = scan("GGUX\x03\x00\x00\x00\x00\x00\x00\x00", 12, NULL);
	CHECK(!r.files[0].format || strcmp(r.files[0].format, "gguf") != 0);
	lc_result_free(&r);
}

int main(void)
{
	RUN(test_valid);
	RUN(test_template_in_gguf);
	RUN(test_every_truncation);
	RUN(test_corruption);
	RUN(test_limits);
	RUN(test_not_gguf);
	return TEST_REPORT("test_gguf");
}
