/*
 * Model-repository readers: JSON/YAML configs (auto_map, _target_, Python
 * tags, limits), native binaries, scripts, Git LFS pointers.
 * File fixtures from tests/gen/gen_repo.py; the rest is built here.
 */
#include <time.h>

#include "core/lc.h"
#include "zip_util.h"

#define REPO "tests/fixtures/repo/"

static const lc_file_result *scan_str(const char *s, const char *limit) { return t_scan_mem_lim(s, strlen(s), limit); }

static int is_fmt(const lc_file_result *f, const char *fmt) { return f && f->format && strcmp(f->format, fmt) == 0; }

static void test_json_configs(void)
{
	const lc_file_result *f;
	/* Python's json writes NaN/Infinity: still a benign config. */
	f = scan_str("{\"a\": NaN, \"b\": -Infinity, \"c\": \"NaN in a string\", \"d\": [Infinity]}\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && is_fmt(f, "model-config") && f->nfindings == 0);
	/* JSON Lines is data, not a config: left to "skipped: text". */
	f = scan_str("{\"path\": \"a\"}\n{\"path\": \"b\"}\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_SKIPPED);
	/* auto_map from memory: no directory to look in. */
	f = scan_str("{\"auto_map\": {\"AutoModel\": \"modeling_x.X\"}}", NULL);
	CHECK_F(f, t_count(f, "repo.remote-code", LC_SEV_HIGH, "modeling_x.py (class X) from this repository") == 1 &&
			   t_count(f, NULL, LC_SEV_INFO, "next to this config") == 0);
	/* the same reference twice is one finding */
	f = scan_str("{\"auto_map\": {\"AutoModel\": \"m.X\", \"AutoModelForCausalLM\": \"m.X\"}}", NULL);
	CHECK_F(f, f->nfindings == 1 && f->findings[0].count == 2);
	/* an allowlisted constructor called with trust_remote_code */
	f = scan_str("{\"m\": {\"_target_\": \"transformers.AutoModel.from_pretrained\", "
		     "\"trust_remote_code\": true}}", NULL);
	CHECK_F(f, t_count(f, "repo.remote-code", LC_SEV_HIGH, "trust_remote_code=True") == 1);
	f = scan_str("{\"m\": {\"_target_\": \"transformers.AutoModel.from_pretrained\"}}", NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && f->nfindings == 0);
	/* name resolvers and wrappers are not constructors */
	static const char *const unknown[] = {"hydra.utils.get_method", "hydra.utils.call", "functools.partial",
					      "omegaconf.OmegaConf.load", "datasets.load_dataset", "eval"};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		char buf[200];
		snprintf(buf, sizeof buf, "{\"_target_\": \"%s\"}", unknown[i]);
		f = scan_str(buf, NULL);
		CHECK_MSG(f && t_count(f, NULL, LC_SEV_HIGH, unknown[i]) == 1, "%s", unknown[i]);
	}
	static const char *const dangerous[] = {"os.system", "subprocess.check_output", "builtins.exec",
						"torch.load", "runpy.run_path", "importlib.import_module"};
	for (size_t i = 0; i < sizeof dangerous / sizeof dangerous[0]; i++) {
		char buf[200];
		snprintf(buf, sizeof buf, "{\"_target_\": \"%s\"}", dangerous[i]);
		f = scan_str(buf, NULL);
		CHECK_MSG(f && t_count(f, "config.target.dangerous", LC_SEV_CRITICAL, dangerous[i]) == 1, "%s",
			  dangerous[i]);
	}
	/* a _target_ with an embedded NUL is reported, escaped */
	static const char nul[] = "{\"_target_\": \"os\\u0000.system\"}";
	f = t_scan_mem_lim(nul, sizeof nul - 1, NULL);
	CHECK_F(f, t_count(f, "config.target.unknown", LC_SEV_HIGH, "\\x00") == 1);
	/* Keras configs belong to the Keras reader (keras.c), which judges them */
	f = scan_str("{\"class_name\": \"Lambda\", \"module\": \"keras.layers\", \"config\": {\"function\": "
		     "{\"module\": \"os\", \"class_name\": \"system\"}}}", NULL);
	CHECK_F(f, f->status == LC_STATUS_SCANNED && is_fmt(f, "keras-config") &&
			   t_count(f, "keras.module.dangerous", LC_SEV_CRITICAL, "os.system") == 1);
	/* not JSON after all: claimed, so an error */
	f = scan_str("{\"a\": 1} trailing", NULL);
	CHECK_F(f, f->status != LC_STATUS_SCANNED || f->nfindings == 0);
	f = scan_str("{\"a\": [1,}", NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_MALFORMED);
}

static void test_yaml_configs(void)
{
	const lc_file_result *f;
	/* the dangerous target in the second document of a stream */
	f = scan_str("_target_: torch.nn.Linear\n---\n_target_: posix.system\n_args_: [id]\n", NULL);
	CHECK_F(f, is_fmt(f, "yaml-config") && t_count(f, "config.target.dangerous", LC_SEV_CRITICAL, "posix.system") == 1);
	/* Python source that mentions _target_ is Python, not YAML */
	f = scan_str("import os\nfrom x import y\n\ndef f():\n    return {'_target_': 'os.system'}\n", NULL);
	CHECK_F(f, is_fmt(f, "python"));
	/* YAML without keys we act on stays skipped text */
	f = scan_str("model:\n  hidden: 3\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_SKIPPED);
	/* claimed, then broken */
	f = scan_str("_target_: torch.nn.Linear\nx: [1, 2\ny: {\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error && strstr(f->error, "YAML does not parse"));
	/* python/name tag without a call: HIGH (imports); apply of a dangerous callable: CRITICAL */
	f = scan_str("_target_: torch.nn.Linear\nact: !!python/name:mypkg.act\n", NULL);
	CHECK_F(f, t_count(f, "config.yaml.python-tag", LC_SEV_HIGH, NULL) == 1 &&
			   t_count(f, NULL, LC_SEV_CRITICAL, NULL) == 0);
	/* an alias that refers to its own node: bounded by the limits */
	f = scan_str("_target_: torch.nn.Linear\na: &a [*a, *a]\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit &&
			   (strcmp(f->limit, "config_max_depth") == 0 || strcmp(f->limit, "config_max_nodes") == 0));
	/* the bomb stops at the node limit, quickly, with the limit named */
	clock_t t0 = clock();
	f = t_scan_path_lim(REPO "yaml_bomb.yaml", "config_max_nodes=100000");
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "config_max_nodes") == 0 &&
			   strstr(f->error, "config_max_nodes=100000"));
	CHECK_MSG(secs < 2.0, "bomb took %.2fs", secs);
	f = t_scan_path_lim(REPO "hydra_nested.yaml", "config_max_depth=3");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "config_max_depth") == 0);
	f = t_scan_path_lim(REPO "hydra_adam.yaml", "config_max_bytes=16");
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->limit && strcmp(f->limit, "config_max_bytes") == 0);
}

static void test_native(void)
{
	const lc_file_result *f;
	/* only the ELF ident: header truncated, still reported */
	static const uint8_t elf_ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	f = t_scan_mem_lim(elf_ident, sizeof elf_ident, NULL);
	CHECK_F(f, is_fmt(f, "elf") && f->status == LC_STATUS_ERROR && t_count(f, "repo.native-code", LC_SEV_MEDIUM, NULL) == 1);
	/* bad ELF class: not ELF */
	static const uint8_t elf_bad[64] = {0x7f, 'E', 'L', 'F', 9, 1, 1};
	CHECK(lc_bid_native(elf_bad, sizeof elf_bad) == 0);
	/* Mach-O whose load commands claim more than the file holds */
	uint8_t macho[32] = {0xcf, 0xfa, 0xed, 0xfe};
	macho[20] = 0xff; /* sizeofcmds = 255 */
	f = t_scan_mem_lim(macho, sizeof macho, NULL);
	CHECK_F(f, is_fmt(f, "macho") && f->status == LC_STATUS_ERROR && t_count(f, "repo.native-code", LC_SEV_MEDIUM, NULL) == 1);
	/* Java class file (CA FE BA BE, version 52): not a universal binary */
	static const uint8_t java[16] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52};
	CHECK(lc_bid_native(java, sizeof java) == 0);
	/* fat header that claims 3 slices but holds none */
	static const uint8_t fat[12] = {0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 3};
	f = t_scan_mem_lim(fat, sizeof fat, NULL);
	CHECK_F(f, is_fmt(f, "macho") && f->status == LC_STATUS_ERROR);
	/* MZ whose e_lfanew points past the end: not PE */
	uint8_t mz[0x40] = {'M', 'Z'};
	mz[0x3c] = 0xf0;
	CHECK(lc_bid_native(mz, sizeof mz) == 0);
	/* e_lfanew = 0xffffffff must not wrap */
	memset(mz + 0x3c, 0xff, 4);
	CHECK(lc_bid_native(mz, sizeof mz) == 0);
}

static void test_scripts(void)
{
	const lc_file_result *f;
	f = scan_str("#!/usr/bin/env -S python3 -u\nprint('hi')\n", NULL);
	CHECK_F(f, is_fmt(f, "python") && t_count(f, "repo.code-file", LC_SEV_INFO, NULL) == 1 &&
			   t_count(f, NULL, LC_SEV_LOW, NULL) == 0);
	f = scan_str("#!/usr/bin/perl\nprint 1;\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_SKIPPED);
	/* model.eval() and re.compile() are not eval/compile */
	f = scan_str("import re\nimport torch\n\ndef f(model):\n    model.eval()\n    return re.compile('x')\n", NULL);
	CHECK_F(f, is_fmt(f, "python") && t_count(f, NULL, LC_SEV_LOW, NULL) == 0);
	f = scan_str("import socket\nimport os\n\ndef f():\n    os.system('id')\n", NULL);
	CHECK_F(f, t_count(f, "repo.code-file", LC_SEV_MEDIUM, "os.system, socket") == 1 &&
			   t_count(f, "repo.code-file", LC_SEV_MEDIUM, "os.system") == 1);
	f = scan_str("#!/bin/bash\nexec 3<>/dev/tcp/10.0.0.1/80\n", NULL);
	CHECK_F(f, is_fmt(f, "shell") && t_count(f, "repo.code-file", LC_SEV_MEDIUM, "/dev/tcp") == 1);
	/* prose is not Python */
	f = scan_str("from the start, import all data\nclass notes\ndef is a keyword\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_SKIPPED);
}

static void test_lfs(void)
{
	const lc_file_result *f;
	f = scan_str("version https://git-lfs.github.com/spec/v1\r\noid sha256:"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\nsize 7\r\n", NULL);
	CHECK_F(f, is_fmt(f, "git-lfs-pointer") && f->status == LC_STATUS_ERROR && f->error_code == LC_E_UNSUPPORTED &&
			   strstr(f->error, "7 bytes"));
	/* a short oid is no oid */
	f = scan_str("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 7\n", NULL);
	CHECK_F(f, f->status == LC_STATUS_ERROR && f->error_code == LC_E_MALFORMED);
	/* the whole directory: never clean, exit 2 */
	lc_result_free(&T_res);
	memset(&T_res, 0, sizeof T_res);
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	lc_scan_path(&opt, REPO "lfs", &T_res);
	CHECK(T_res.nfiles == 2 && lc_result_exit_code(&T_res, LC_SEV_HIGH) == 2);
}

int main(void)
{
	RUN(test_json_configs);
	RUN(test_yaml_configs);
	RUN(test_native);
	RUN(test_scripts);
	RUN(test_lfs);
	lc_result_free(&T_res);
	return TEST_REPORT("test_repo");
}
