/*
 * libarchive containers: single-stream compressors, tar, limits.
 * Fixtures from tests/gen/gen_torch.py.
 */
#include "core/lc.h"
#include "zip_util.h"

#define AR "tests/fixtures/archive/"

static void test_streams(void)
{
	static const struct {
		const char *file, *format;
	} cases[] = {
		{AR "evil.pkl.gz", "gzip"}, {AR "evil.pkl.bz2", "bzip2"}, {AR "evil.pkl.xz", "xz"},
		{AR "evil.pkl.zst", "zstd"}, {AR "evil.pkl.lz4", "lz4"}, {AR "evil.tar", "tar"},
		{AR "evil.tar.gz", "gzip"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const lc_file_result *f = t_scan_path(cases[i].file);
		CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, cases[i].format) == 0 &&
				   t_count(f, NULL, LC_SEV_HIGH, NULL) >= 1);
	}
	const lc_file_result *f = t_scan_path(AR "evil.tar.gz");
	CHECK_F(f, t_count(f, NULL, LC_SEV_HIGH, "model/weights.bin") >= 1);
	f = t_scan_path(AR "benign.pkl.gz");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && t_count(f, NULL, LC_SEV_LOW, NULL) == 0);
	f = t_scan_path(AR "traversal.tar");
	CHECK_F(f, t_count(f, "archive.path-traversal", LC_SEV_MEDIUM, "../../etc/cron.d/x") == 1);
}

static void test_limits(void)
{
	const lc_file_result *f;
	f = t_scan_path_lim(AR "bomb.gz", "max_ratio=100");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_ratio") == 0);
	f = t_scan_path_lim(AR "bomb.gz", "max_member_size=4M");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_member_size") == 0);
	f = t_scan_path_lim(AR "evil.tar", "max_members=1");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "max_members") == 0);
}

static void test_bids(void)
{
	static const uint8_t zipsig[] = "PK\x03\x04 not for libarchive";
	CHECK(lc_bid_archive(zipsig, sizeof zipsig - 1) == 0);
	static const uint8_t junk[600] = {0};
	CHECK(lc_bid_archive(junk, sizeof junk) == 0);
	static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3};
	CHECK(lc_bid_archive(gz, sizeof gz) >= 50);
	/* A truncated gzip: an error, not a crash, not clean. */
	const lc_file_result *f = t_scan_mem_lim(gz, sizeof gz, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR);
}

int main(void)
{
	RUN(test_streams);
	RUN(test_limits);
	RUN(test_bids);
	lc_result_free(&T_res);
	return TEST_REPORT("test_archive");
}
