/* Unit tests of the engine: limits table, cursor, findings, walk, exit codes. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lc.h"
#include "harness.h"

static void test_limits(void)
{
	lc_limits lim;
	char err[256];
	lc_limits_default(&lim);
	CHECK(lim.max_depth == 16);
	CHECK(lc_limits_set(&lim, "max_depth=3", err, sizeof err) == 0 && lim.max_depth == 3);
	CHECK(lc_limits_set(&lim, "max_member_size=2M", err, sizeof err) == 0 && lim.max_member_size == 2u << 20);
	/* 0 would fail open: refused. */
	CHECK(lc_limits_set(&lim, "max_depth=0", err, sizeof err) != 0 && strstr(err, "0 is not allowed"));
	/* Above the hard maximum: refused, value unchanged. */
	CHECK(lc_limits_set(&lim, "max_depth=65", err, sizeof err) != 0 && strstr(err, "hard maximum"));
	CHECK(lim.max_depth == 3);
	CHECK(lc_limits_set(&lim, "max_depth=64", err, sizeof err) == 0 && lim.max_depth == 64);
	CHECK(lc_limits_set(&lim, "no_such=1", err, sizeof err) != 0 && strstr(err, "unknown limit"));
	CHECK(lc_limits_set(&lim, "max_depth=abc", err, sizeof err) != 0);
	CHECK(lc_limits_set(&lim, "max_depth=-1", err, sizeof err) != 0);
	CHECK(lc_limits_set(&lim, "max_depth", err, sizeof err) != 0);
	CHECK(lc_limits_set(&lim, "max_file_size=99999999999999999999999", err, sizeof err) != 0);
	size_t n;
	const lc_limit_info *t = lc_limit_table(&n);
	CHECK(n == LC_LIMIT_COUNT);
	for (size_t i = 0; i < n; i++) {
		CHECK(t[i].def > 0 && t[i].def <= t[i].hard);
		CHECK(t[i].why && strlen(t[i].why) > 10);
	}
	CHECK(lc_limit_get(&lim, LC_LIMIT_max_depth) == 64);
}

static void test_cursor(void)
{
	const uint8_t data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	lc_cur c;
	lc_cur_init(&c, data, sizeof data);
	uint32_t v32;
	uint64_t v64;
	CHECK(lc_cur_u32le(&c, &v32) && v32 == 0x04030201);
	CHECK(lc_cur_left(&c) == 5);
	CHECK(!lc_cur_u64le(&c, &v64)); /* 8 > 5 left */
	CHECK(c.err == LC_E_TRUNCATED);
	uint8_t b;
	CHECK(!lc_cur_u8(&c, &b)); /* sticky */
	lc_cur_init(&c, data, sizeof data);
	CHECK(!lc_cur_skip(&c, SIZE_MAX)); /* no wrap-around */
	CHECK(lc_cur_off(&c) == 0);
}

static void test_findings_fold(void)
{
	lc_limits lim;
	lc_limits_default(&lim);
	lc_file_result f;
	memset(&f, 0, sizeof f);
	lc_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.lim = &lim;
	ctx.file = &f;
	for (int i = 0; i < 1000; i++)
		lc_finding_add(&ctx, LC_SEV_HIGH, "t.rule", (uint64_t)i, "same", NULL, "call %d", i);
	lc_finding_add(&ctx, LC_SEV_CRITICAL, "t.rule", 5, "same", NULL, "worse");
	lc_finding_add(&ctx, LC_SEV_LOW, "t.other", LC_NO_OFFSET, NULL, "ev", "other");
	CHECK(f.nfindings == 2);
	CHECK(f.findings[0].count == 1001);
	CHECK(f.findings[0].severity == LC_SEV_CRITICAL); /* the worst judgement is kept */
	CHECK(f.findings[0].offset == 0 && f.findings[0].has_offset);
	CHECK(!f.findings[1].has_offset);
	CHECK_STR(f.findings[1].evidence, "ev");

	/* The findings cap turns the file into an error naming the limit. */
	lim.max_findings = 3;
	for (int i = 0; i < 10; i++)
		lc_finding_add(&ctx, LC_SEV_LOW, "t.many", 0, NULL, NULL, "distinct %d", i);
	CHECK(f.nfindings == 3);
	CHECK(f.status == LC_STATUS_ERROR && f.limit && strcmp(f.limit, "max_findings") == 0);
	lc_ctx_release(&ctx);
	lc_file_result_clear(&f);
}

static void test_fail_first_wins(void)
{
	lc_limits lim;
	lc_limits_default(&lim);
	lc_file_result f;
	memset(&f, 0, sizeof f);
	lc_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.lim = &lim;
	ctx.file = &f;
	CHECK(lc_fail(&ctx, LC_E_TRUNCATED, 10, "first %s", "reason") == LC_E_TRUNCATED);
	lc_fail(&ctx, LC_E_MALFORMED, 20, "second");
	CHECK(f.error_code == LC_E_TRUNCATED && strstr(f.error, "first reason") && strstr(f.error, "offset 10"));
	lc_file_result_clear(&f);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");
	if (fp) {
		fwrite(data, 1, n, fp);
		fclose(fp);
	}
}

static const lc_file_result *find(const lc_result *r, const char *suffix)
{
	for (size_t i = 0; i < r->nfiles; i++) {
		size_t a = strlen(r->files[i].path), b = strlen(suffix);
		if (a >= b && strcmp(r->files[i].path + a - b, suffix) == 0)
			return &r->files[i];
	}
	return NULL;
}

static void test_walk(void)
{
	char dir[] = "/tmp/lc_test_walk_XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	char p[512];
	snprintf(p, sizeof p, "%s/readme.md", dir);
	write_file(p, "# a model\n", 10);
	snprintf(p, sizeof p, "%s/blob.bin", dir);
	write_file(p, "\x01\x02\x00\xff\xfe", 5);
	snprintf(p, sizeof p, "%s/empty", dir);
	write_file(p, "", 0);
	snprintf(p, sizeof p, "%s/sub", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/sub/escape", dir);
	CHECK(symlink("/etc/hostname", p) == 0);
	snprintf(p, sizeof p, "%s/inside", dir);
	CHECK(symlink("readme.md", p) == 0);
	snprintf(p, sizeof p, "%s/fifo", dir);
	CHECK(mkfifo(p, 0600) == 0);

	lc_scan_options opt;
	lc_scan_options_default(&opt);
	lc_result res = {0};
	CHECK(lc_scan_path(&opt, dir, &res) == LC_OK);
	CHECK(res.nfiles == 6);
	/* Sorted by path. */
	for (size_t i = 1; i < res.nfiles; i++)
		CHECK(strcmp(res.files[i - 1].path, res.files[i].path) < 0);
	const lc_file_result *f = find(&res, "/readme.md");
	CHECK(f && f->status == LC_STATUS_SKIPPED && !f->unrecognised_binary);
	f = find(&res, "/blob.bin");
	CHECK(f && f->status == LC_STATUS_SKIPPED && f->unrecognised_binary);
	f = find(&res, "/empty");
	CHECK(f && f->status == LC_STATUS_SKIPPED && !f->unrecognised_binary);
	f = find(&res, "/sub/escape");
	CHECK(f && f->status == LC_STATUS_SKIPPED && f->nfindings == 1 &&
	      strcmp(f->findings[0].rule, "fs.symlink-escape") == 0 && f->findings[0].severity == LC_SEV_MEDIUM);
	f = find(&res, "/inside");
	CHECK(f && f->nfindings == 1 && strcmp(f->findings[0].rule, "fs.symlink") == 0 &&
	      f->findings[0].severity == LC_SEV_INFO);
	f = find(&res, "/fifo");
	CHECK(f && f->status == LC_STATUS_SKIPPED && strstr(f->error, "not a regular file"));
	/* An unrecognised binary file means "not fully analysed": exit 2. */
	CHECK(lc_result_incomplete(&res) == 1);
	CHECK(lc_result_exit_code(&res, LC_SEV_HIGH) == 2);
	/* ... unless something reached the threshold. */
	CHECK(lc_result_exit_code(&res, LC_SEV_MEDIUM) == 1);
	lc_result_free(&res);

	/* The walk limits are errors naming the limit, never a silent stop. */
	lc_limits_set(&opt.limits, "max_files=2", p, sizeof p);
	CHECK(lc_scan_path(&opt, dir, &res) == LC_E_LIMIT);
	CHECK(res.nfiles == 3 && res.files[2].status == LC_STATUS_ERROR &&
	      strcmp(res.files[2].limit, "max_files") == 0);
	CHECK(lc_result_exit_code(&res, LC_SEV_HIGH) == 2);
	lc_result_free(&res);

	/* max_file_size: an error, not a skip. */
	lc_scan_options_default(&opt);
	opt.limits.max_file_size = 4;
	snprintf(p, sizeof p, "%s/readme.md", dir);
	lc_scan_path(&opt, p, &res);
	CHECK(res.nfiles == 1 && res.files[0].status == LC_STATUS_ERROR &&
	      strcmp(res.files[0].limit, "max_file_size") == 0);
	lc_result_free(&res);

	/* A missing path is an error result. */
	CHECK(lc_scan_path(&opt, "/nonexistent/laocoon", &res) == LC_E_IO);
	CHECK(res.nfiles == 1 && res.files[0].status == LC_STATUS_ERROR);
	CHECK(lc_result_exit_code(&res, LC_SEV_HIGH) == 2);
	lc_result_free(&res);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

static void test_names(void)
{
	lc_severity s;
	CHECK(lc_severity_parse("high", &s) == 0 && s == LC_SEV_HIGH);
	CHECK(lc_severity_parse("CRITICAL", &s) == 0 && s == LC_SEV_CRITICAL);
	CHECK(lc_severity_parse("severe", &s) != 0);
	CHECK_STR(lc_severity_name(LC_SEV_MEDIUM), "MEDIUM");
	CHECK_STR(lc_status_name(LC_STATUS_ERROR), "error");
	CHECK_STR(lc_version(), LAOCOON_VERSION);
	char buf[32];
	lc_escape((const uint8_t *)"a\"b\n\x01", 5, 100, buf, sizeof buf);
	CHECK_STR(buf, "\"a\\\"b\\n\\x01\"");
	lc_escape((const uint8_t *)"abcdefgh", 8, 3, buf, sizeof buf);
	CHECK_STR(buf, "\"abc\"...");
}

int main(void)
{
	RUN(test_limits);
	RUN(test_cursor);
	RUN(test_findings_fold);
	RUN(test_fail_first_wins);
	RUN(test_walk);
	RUN(test_names);
	return TEST_REPORT("test_core");
}
