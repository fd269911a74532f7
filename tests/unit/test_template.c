/*
 * Chat-template analysis (src/analyze/jinja_template.c).
 *
 * Real-world templates (tests/fixtures/gguf/templates/benign/, written by
 * tests/gen/gen_gguf.py from public tokenizer configs) must never be HIGH or
 * CRITICAL; public sandbox-escape payloads (templates/hostile/) must all be
 * at least HIGH, and those named crit_* CRITICAL.  Then the carriers: a
 * template inside tokenizer_config.json and inside a GGUF, through the
 * public API.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/jinja_template.h"
#include "harness.h"
#include "laocoon.h"

#define TDIR "tests/fixtures/gguf/templates/"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)sz + 1);
	if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
		free(b);
		b = NULL;
	}
	fclose(f);
	if (b) {
		b[sz] = 0;
		*n = (size_t)sz;
	}
	return b;
}

static lc_tmpl_verdict analyse_str(const char *s)
{
	lc_tmpl_verdict v;
	CHECK(lc_jinja_analyse((const uint8_t *)s, strlen(s), &v));
	return v;
}

static int sev_of(const char *s)
{
	lc_tmpl_verdict v = analyse_str(s);
	return v.flagged ? (int)v.sev : -1;
}

/* Runs every template of a directory; returns how many were seen. */
static int run_dir(const char *sub, int hostile)
{
	char dir[256];
	snprintf(dir, sizeof dir, TDIR "%s", sub);
	DIR *d = opendir(dir);
	CHECK_MSG(d != NULL, "cannot open %s (run tests/gen/gen_gguf.py)", dir);
	if (!d)
		return 0;
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strstr(e->d_name, ".jinja"))
			continue;
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t n;
		char *t = slurp(path, &n);
		CHECK_MSG(t != NULL, "read %s", path);
		if (!t)
			continue;
		lc_tmpl_verdict v;
		CHECK(lc_jinja_analyse((const uint8_t *)t, n, &v));
		if (!hostile) {
			CHECK_MSG(!v.flagged || v.sev < LC_SEV_HIGH, "benign %s flagged %s: %s", e->d_name,
				  lc_severity_name(v.sev), v.reasons);
		} else {
			CHECK_MSG(v.flagged && v.sev >= LC_SEV_HIGH, "hostile %s not flagged HIGH: %s", e->d_name,
				  v.flagged ? v.reasons : "(nothing)");
			if (strncmp(e->d_name, "crit_", 5) == 0)
				CHECK_MSG(v.flagged && v.sev == LC_SEV_CRITICAL, "hostile %s not CRITICAL: %s",
					  e->d_name, v.flagged ? v.reasons : "(nothing)");
		}
		free(t);
		count++;
	}
	closedir(d);
	return count;
}

static void test_corpus_dirs(void)
{
	int nb = run_dir("benign", 0);
	int nh = run_dir("hostile", 1);
	CHECK_MSG(nb >= 12, "only %d benign templates", nb);
	CHECK_MSG(nh >= 15, "only %d hostile templates", nh);
}

static void test_specific_reasons(void)
{
	lc_tmpl_verdict v = analyse_str("{{ cycler.__init__.__globals__.os.popen('id').read() }}");
	CHECK(v.flagged && v.sev == LC_SEV_CRITICAL);
	CHECK(strstr(v.reasons, "__globals__") != NULL);
	CHECK(strstr(v.reasons, "popen") != NULL);
	/* the offset points at the first dunder */
	CHECK(v.offset == 10);

	v = analyse_str("{% set x = '__cla' ~ 'ss__' %}{{ x }}");
	CHECK(v.flagged && v.sev == LC_SEV_HIGH && strstr(v.reasons, "assembled") != NULL);
	v = analyse_str("{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}");
	CHECK(v.flagged && v.sev == LC_SEV_CRITICAL && strstr(v.reasons, "escapes") != NULL);
	/* folded through a variable into a sink */
	v = analyse_str("{% set a = '__glo' %}{% set b = a ~ 'bals__' %}{{ lipsum[b] }}");
	CHECK(v.flagged && v.sev == LC_SEV_CRITICAL && strstr(v.reasons, "\"__globals__\"") != NULL);
	/* %c formatting evaluated */
	v = analyse_str("{{ ()|attr('%c%c%c%c%c%c%c%c%c'|format(95,95,99,108,97,115,115,95,95)) }}");
	CHECK(v.flagged && v.sev == LC_SEV_CRITICAL && strstr(v.reasons, "\"__class__\"") != NULL);
}

static void test_benign_constructs(void)
{
	/* namespace(...) as Llama 3.1 / Qwen / DeepSeek use it */
	CHECK(sev_of("{% set ns = namespace(found=false, idx=0) %}{% set ns.found = true %}{{ ns.found }}") < 0);
	CHECK(sev_of("{{ raise_exception('roles must alternate') }}") < 0);
	CHECK(sev_of("{{ strftime_now('%d %b %Y') }}{{ tools|tojson(indent=4) }}") < 0);
	CHECK(sev_of("{{ messages[0]['role'] }}{{ message.content|trim }}{{ loop.index0 }}") < 0);
	CHECK(sev_of("{% for k, v in tool.items() %}{{ k }}{% endfor %}") < 0);
	CHECK(sev_of("{{ messages|selectattr('role', 'equalto', 'user')|list|length }}") < 0);
	CHECK(sev_of("{{ roles['system'] }}{{ message['_id'] }}") < 0);
	CHECK(sev_of("{{ '{{' }} literal braces {{ '}}' }}") < 0);
	CHECK(sev_of("{# {{ ''.__class__ }} in a comment #}hello") < 0);
	CHECK(sev_of("{% raw %}{{ ''.__class__ }}{% endraw %}") < 0);
	CHECK(sev_of("plain text without tags") < 0);
	CHECK(sev_of("") < 0);
}

static void test_medium_constructs(void)
{
	CHECK(sev_of("{{ x|attr(name) }}") == LC_SEV_MEDIUM);
	CHECK(sev_of("{% include 'other.jinja' %}") == LC_SEV_MEDIUM);
	CHECK(sev_of("{{ lipsum() }}") == LC_SEV_MEDIUM);
	CHECK(sev_of("{% for i in range(100000000000) %}x{% endfor %}") == LC_SEV_MEDIUM);
}

static void test_robustness(void)
{
	/* unterminated tags and strings, deep nesting: must not crash or hang */
	CHECK(sev_of("{{ 'abc") < 0);
	CHECK(sev_of("{%") < 0);
	CHECK(sev_of("{{") < 0);
	CHECK(sev_of("{{ '\\") < 0);
	size_t n = 200000;
	char *deep = malloc(n + 16);
	CHECK(deep != NULL);
	if (deep) {
		memcpy(deep, "{{ ", 3);
		for (size_t i = 3; i < n; i++)
			deep[i] = i % 2 ? '(' : '[';
		memcpy(deep + n, " }}", 4);
		lc_tmpl_verdict v;
		CHECK(lc_jinja_analyse((const uint8_t *)deep, strlen(deep), &v));
		free(deep);
	}
	/* a long concatenation chain stays linear */
	size_t reps = 100000;
	char *chain = malloc(reps * 6 + 16);
	CHECK(chain != NULL);
	if (chain) {
		size_t o = 0;
		o += (size_t)sprintf(chain, "{{ ");
		for (size_t i = 0; i < reps; i++)
			o += (size_t)sprintf(chain + o, "'a' ~ ");
		sprintf(chain + o, "'b' }}");
		lc_tmpl_verdict v;
		CHECK(lc_jinja_analyse((const uint8_t *)chain, strlen(chain), &v));
		free(chain);
	}
}

static const lc_file_result *scan_file(const char *path, lc_result *res)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	memset(res, 0, sizeof *res);
	lc_scan_path(&opt, path, res);
	return res->nfiles ? &res->files[0] : NULL;
}

static void test_tokenizer_config(void)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	lc_result res = {0};
	const char *evil = "{\"bos_token\": \"<s>\", \"model_max_length\": 1000000000000000019884624838656,\n"
			   " \"chat_template\": \"{{ cycler.__init__.__globals__.os.popen('id').read() }}\"}";
	lc_scan_mem(&opt, "tokenizer_config.json", evil, strlen(evil), &res);
	CHECK(res.nfiles == 1);
	if (res.nfiles == 1) {
		const lc_file_result *f = &res.files[0];
		CHECK_STR(f->format, "tokenizer-config");
		CHECK(f->status == LC_STATUS_SCANNED);
		CHECK(f->nfindings >= 1 && f->findings[0].severity == LC_SEV_CRITICAL);
		CHECK(f->nfindings >= 1 && strcmp(f->findings[0].rule, "tokenizer-config.template.sandbox-escape") == 0);
	}
	lc_result_free(&res);

	/* "chat_template" that is only a value, not a key: not ours */
	memset(&res, 0, sizeof res);
	const char *other = "{\"name\": \"chat_template\"}";
	lc_scan_mem(&opt, "x.json", other, strlen(other), &res);
	CHECK(res.nfiles == 1 && (!res.files[0].format || strcmp(res.files[0].format, "tokenizer-config") != 0));
	lc_result_free(&res);

	const lc_file_result *f = scan_file("tests/fixtures/gguf/tokenizer_config_benign.json", &res);
	CHECK(f && f->status == LC_STATUS_SCANNED && lc_result_max_severity(&res) < LC_SEV_HIGH);
	lc_result_free(&res);
	f = scan_file("tests/fixtures/gguf/tokenizer_config_named_evil.json", &res);
	CHECK(f && f->status == LC_STATUS_SCANNED && lc_result_max_severity(&res) == LC_SEV_CRITICAL);
	CHECK(f && f->nfindings && strstr(f->findings[0].message, "tool_use") != NULL);
	lc_result_free(&res);
}

static void test_limit(void)
{
	lc_scan_options opt;
	lc_scan_options_default(&opt);
	char err[128];
	CHECK(lc_limits_set(&opt.limits, "template_max_size=16", err, sizeof err) == 0);
	lc_result res = {0};
	const char *cfg = "{\"chat_template\": \"{% for m in messages %}{{ m.content }}{% endfor %}\"}";
	lc_scan_mem(&opt, "tokenizer_config.json", cfg, strlen(cfg), &res);
	CHECK(res.nfiles == 1 && res.files[0].status == LC_STATUS_ERROR);
	CHECK(res.nfiles == 1 && res.files[0].limit && strcmp(res.files[0].limit, "template_max_size") == 0);
	lc_result_free(&res);
}

int main(void)
{
	RUN(test_corpus_dirs);
	RUN(test_specific_reasons);
	RUN(test_benign_constructs);
	RUN(test_medium_constructs);
	RUN(test_robustness);
	RUN(test_tokenizer_config);
	RUN(test_limit);
	return TEST_REPORT("test_template");
}
