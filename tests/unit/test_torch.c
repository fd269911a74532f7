/*
 * PyTorch carriers that are not zips: the legacy torch.save stream and the
 * torch < 0.4 tar layout.  Fixtures from tests/gen/gen_torch.py.
 */
#include "core/lc.h"
#include "zip_util.h"

#define PT "tests/fixtures/pytorch/"

static void test_legacy_stream(void)
{
	const lc_file_result *f;
	/* Real torch.save(..., _use_new_zipfile_serialization=False): layout
	 * walked to the exact end, nothing to report. */
	f = t_scan_path(PT "state_dict_legacy.pt");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "pytorch-legacy") == 0 &&
			   t_max_sev(f) < LC_SEV_HIGH && t_count(f, "torch.legacy-layout", LC_SEV_LOW, NULL) == 0);
	/* Payload in the object pickle (4th) and in the storage keys (5th). */
	f = t_scan_path(PT "legacy_payload_object.pt");
	CHECK_F(f, strcmp(f->format, "pytorch-legacy") == 0 && t_count(f, NULL, LC_SEV_HIGH, "system") >= 1);
	f = t_scan_path(PT "legacy_payload_keys.pt");
	CHECK_F(f, strcmp(f->format, "pytorch-legacy") == 0 && t_count(f, NULL, LC_SEV_HIGH, "system") >= 1);
	/* Bytes after the last storage: a layout finding, not an error. */
	f = t_scan_path(PT "legacy_appended.pt");
	CHECK_F(f, f->status == LC_STATUS_SCANNED &&
			   t_count(f, "torch.legacy-layout", LC_SEV_MEDIUM, "16 bytes follow") == 1);
}

static void test_legacy_built(void)
{
	/* The magic pickle alone: the second pickle is missing. */
	static const uint8_t magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
					0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
	CHECK(lc_bid_torch_legacy(magic, sizeof magic) >= 50);
	CHECK(lc_bid_torch_legacy(magic, sizeof magic - 3) == 0);
	const lc_file_result *f = t_scan_mem_lim(magic, sizeof magic, NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && strcmp(f->format, "pytorch-legacy") == 0 &&
			   f->error_code == LC_E_TRUNCATED);
	/* Every truncation of a real legacy file ends in a result. */
	size_t n = 0;
	FILE *fp = fopen(PT "state_dict_legacy.pt", "rb");
	uint8_t buf[8192];
	if (fp) {
		n = fread(buf, 1, sizeof buf, fp);
		fclose(fp);
	}
	CHECK(n > 100);
	for (size_t cut = 0; cut < n; cut++)
		CHECK(t_scan_mem_lim(buf, cut, NULL) != NULL);
}

static void test_legacy_tar(void)
{
	const lc_file_result *f;
	f = t_scan_path(PT "legacy_tar.pt");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "pytorch-tar") == 0 &&
			   t_max_sev(f) < LC_SEV_HIGH && t_count(f, "torch.legacy-layout", LC_SEV_LOW, NULL) == 0);
	/* Payload in the storage_views pickle inside the storages member. */
	f = t_scan_path(PT "legacy_tar_payload.pt");
	CHECK_F(f, strcmp(f->format, "pytorch-tar") == 0 && t_count(f, NULL, LC_SEV_HIGH, "storages") >= 1);
}

static void test_whole_model(void)
{
	/* torch.save of a module class defined in __main__: the class is not
	 * in the file, so it is noted but not HIGH. */
	const lc_file_result *f = t_scan_path(PT "whole_model.pt");
	CHECK_F(f, f->status == LC_STATUS_SCANNED && strcmp(f->format, "pytorch-zip") == 0 &&
			   t_max_sev(f) < LC_SEV_HIGH);
}

int main(void)
{
	RUN(test_legacy_stream);
	RUN(test_legacy_built);
	RUN(test_legacy_tar);
	RUN(test_whole_model);
	lc_result_free(&T_res);
	return TEST_REPORT("test_torch");
}
