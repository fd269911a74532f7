/*
 * Model signing (OpenSSF model signing v1.0): PAE bytes, base64, canonical
 * statements against the reference's golden files, root digests against the
 * published vectors, sign -> verify round trips on every supported curve,
 * tampering (changed byte, added, removed, renamed file) named in the
 * report, and hostile bundles and statements rejected.
 *
 * The golden files are read in place from ../shared/corpus when present
 * (tests run from the repository root); without it those checks are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "harness.h"
#include "supply/hashing.h"
#include "supply/modelsign.h"

#define REF "../shared/corpus/signing/sigstore-model-transparency/"

static char tmpdir[256];

static void write_file(const char *rel, const char *content, size_t n)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/%s", tmpdir, rel);
	/* create the parent directories */
	for (char *s = p + strlen(tmpdir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = 0;
		mkdir(p, 0755);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	if (!f) {
		perror(p);
		return;
	}
	fwrite(content, 1, n, f);
	fclose(f);
}
#define WRITE(rel, lit) write_file(rel, lit, sizeof(lit) - 1)

static char *path_in(const char *rel)
{
	static char p[8][4096];
	static int k;
	k = (k + 1) % 8;
	snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, rel);
	return p[k];
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[len] = 0;
	*n = len;
	return buf;
}

static int hash_model(const char *rel, lc_ms_method method, uint64_t shard, int symlinks, lc_ms_manifest *m)
{
	lc_ms_hash_opts o = {.method = method, .shard_size = shard, .allow_symlinks = symlinks, .allow_empty = 1,
			     .threads = 2};
	char err[512] = "";
	int rc = lc_ms_hash_model(path_in(rel), &o, m, err, sizeof err);
	if (rc != LC_MS_OK)
		fprintf(stderr, "hash %s: %s\n", rel, err);
	return rc;
}

static void test_pae(void)
{
	size_t n = 0;
	unsigned char *p = lc_ms_pae(LC_MS_PAYLOAD_TYPE, (const unsigned char *)"hello world", 11, &n);
	const char want[] = "DSSEv1 28 application/vnd.in-toto+json 11 hello world";
	CHECK(n == sizeof want - 1 && memcmp(p, want, n) == 0);
	free(p);
	p = lc_ms_pae("", (const unsigned char *)"", 0, &n);
	CHECK(n == 12 && memcmp(p, "DSSEv1 0  0 ", 12) == 0);
	free(p);

	/* v0.2: Python repr() of the payload bytes; quote switches to " only
	 * when ' occurs and " does not */
	const unsigned char body[] = {'{', '"', 'a', '\'', '\n', '\t', 0xff, 0x01, '\\', '}'};
	p = lc_ms_pae_v02(LC_MS_PAYLOAD_TYPE, body, sizeof body, &n);
	const char want2[] = "DSSEV1 28 application/vnd.in-toto+json 10 b'{\"a\\'\\n\\t\\xff\\x01\\\\}'";
	CHECK_MSG(n == sizeof want2 - 1 && memcmp(p, want2, n) == 0, "%.*s", (int)n, p);
	free(p);
	p = lc_ms_pae_v02("t", (const unsigned char *)"it's", 4, &n);
	CHECK_MSG(n == 20 && memcmp(p, "DSSEV1 1 t 4 b\"it's\"", 20) == 0, "%.*s", (int)n, p);
	free(p);
}

static void test_base64(void)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *e = lc_ms_b64_encode((const unsigned char *)plain[i], strlen(plain[i]));
		CHECK_STR(e, enc[i]);
		free(e);
		unsigned char *d = NULL;
		size_t n = 99;
		CHECK(lc_ms_b64_decode(enc[i], strlen(enc[i]), &d, &n) == 0);
		CHECK(n == strlen(plain[i]) && memcmp(d, plain[i], n) == 0);
		free(d);
	}
	/* every length and byte value round-trips */
	unsigned char buf[300];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 151 + 7);
	int ok = 1;
	for (size_t len = 0; len <= sizeof buf; len++) {
		char *e = lc_ms_b64_encode(buf, len);
		unsigned char *d = NULL;
		size_t n = 0;
		ok &= e && lc_ms_b64_decode(e, strlen(e), &d, &n) == 0 && n == len && memcmp(d, buf, len) == 0;
		free(e);
		free(d);
	}
	CHECK(ok);
	/* URL-safe and unpadded (protobuf JSON accepts them) */
	unsigned char *d = NULL;
	size_t n = 0;
	CHECK(lc_ms_b64_decode("-_8", 3, &d, &n) == 0 && n == 2 && d[0] == 0xfb && d[1] == 0xff);
	free(d);
	static const char *const bad[] = {"Z", "Zg=", "Zg===", "Zm9v!", "Zm 9v", "Zm9v\n", "=Zm9", "Z=g="};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		d = NULL;
		CHECK_MSG(lc_ms_b64_decode(bad[i], strlen(bad[i]), &d, &n) != 0, "accepted '%s'", bad[i]);
		free(d);
	}
}

/* The seven fixtures of the reference's serializer tests. */
static void make_fixtures(void)
{
	WRITE("file_model", "This is a simple model");
	WRITE("empty_file_model", "");
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++) {
			char rel[64], txt[64];
			snprintf(rel, sizeof rel, "sample_model/d%d/f%d%d", i, i, j);
			int n = snprintf(txt, sizeof txt, "This is file f%d%d in d%d.", i, j, i);
			write_file(rel, txt, (size_t)n);
		}
	for (int i = 0; i < 4; i++) {
		char rel[64], txt[64];
		snprintf(rel, sizeof rel, "sample_model/f%d", i);
		int n = snprintf(txt, sizeof txt, "This is file f%d in root.", i);
		write_file(rel, txt, (size_t)n);
		snprintf(rel, sizeof rel, "deep_model/d0/d1/d2/d3/d4/f%d", i);
		n = snprintf(txt, sizeof txt, "This is file f%d.", i);
		write_file(rel, txt, (size_t)n);
	}
	mkdir(path_in("empty_folder_model"), 0755);
	WRITE("empty_file_inside_model/empty_file", "");
	WRITE("outside/target", "This is a simple model");
	mkdir(path_in("symlink_model"), 0755);
	if (symlink(path_in("outside/target"), path_in("symlink_model/symlink_file")) != 0)
		perror("symlink");
}

static const struct {
	const char *fixture, *dir;
} fixtures[] = {
    {"sample_model_file", "file_model"},
    {"empty_model_file", "empty_file_model"},
    {"sample_model_folder", "sample_model"},
    {"empty_model_folder", "empty_folder_model"},
    {"model_folder_with_empty_file", "empty_file_inside_model"},
    {"deep_model_folder", "deep_model"},
    {"symlink_model_folder", "symlink_model"},
};

static char *manifest_lines(const lc_ms_manifest *m)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	for (size_t i = 0; i < m->nitems; i++) {
		char *name = lc_ms_item_name(m, &m->items[i]);
		fprintf(f, "%s:", name);
		for (int k = 0; k < 32; k++)
			fprintf(f, "%02x", m->items[i].digest[k]);
		fputc('\n', f);
		free(name);
	}
	fclose(f);
	return out;
}

static void test_golden(void)
{
	if (access(REF "tests", R_OK) != 0) {
		fprintf(stderr, "test_modelsign: %s not found, golden statements skipped\n", REF);
		return;
	}
	int compared = 0;
	for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
		static const struct {
			const char *suffix;
			lc_ms_method method;
			uint64_t shard;
			const char *mdir, *msuffix;
		} variants[] = {
		    {"", LC_MS_FILES, 0, "file", ""},
		    {"_shard", LC_MS_SHARDS, 1000000000, "file_shard", ""},
		    {"_small_shards", LC_MS_SHARDS, 8, "file_shard", "_small_shards"},
		};
		for (size_t v = 0; v < 3; v++) {
			lc_ms_manifest m;
			if (hash_model(fixtures[i].dir, variants[v].method, variants[v].shard, 1, &m) != LC_MS_OK) {
				CHECK_MSG(0, "%s%s did not hash", fixtures[i].fixture, variants[v].suffix);
				continue;
			}
			char path[512];
			size_t n = 0;
			snprintf(path, sizeof path, REF "tests/_signing/testdata/signing/TestPayload/%s%s",
				 fixtures[i].fixture, variants[v].suffix);
			char *want = slurp(path, &n);
			size_t len = 0;
			char *got = lc_ms_statement_json(&m, &len);
			/* the golden files end with a newline, the payload does not */
			CHECK_MSG(want && got && n == len + 1 && memcmp(want, got, len) == 0 && want[len] == '\n',
				  "statement %s%s differs:\n%s", fixtures[i].fixture, variants[v].suffix,
				  got ? got : "(null)");
			free(want);
			free(got);

			snprintf(path, sizeof path, REF "tests/_serialization/testdata/%s/TestSerializer/%s%s",
				 variants[v].mdir, fixtures[i].fixture, variants[v].msuffix);
			want = slurp(path, &n);
			got = manifest_lines(&m);
			if (want && n && want[n - 1] != '\n') /* compare line sets, newline-terminated */
				want[n] = 0;
			CHECK_MSG(want && got && strncmp(want, got, strlen(got)) == 0 &&
					  (strlen(want) == strlen(got) || strlen(want) == strlen(got) - 1),
				  "manifest %s%s:\n%s\nwant:\n%s", fixtures[i].fixture, variants[v].msuffix,
				  got ? got : "", want ? want : "(missing)");
			free(want);
			free(got);
			lc_ms_manifest_free(&m);
			compared++;
		}
	}
	CHECK(compared == 21);
}

static void hexof(const unsigned char *d, char *out)
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_root_digest(void)
{
	/* the vectors' models, recreated: certificate/sigstore directories hold
	 * 8-byte files, the elliptic-key ones "signme-1\n" */
	WRITE("vec_cert/signme-1", "signme-1");
	WRITE("vec_cert/signme-2", "signme-2");
	WRITE("vec_key/signme-1", "signme-1\n");
	WRITE("vec_key/signme-2", "signme-2");
	static const struct {
		const char *rel, *root;
	} v[] = {
	    {"vec_cert", "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"},
	    {"vec_key", "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"},
	    {"vec_key/signme-1", "afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b"},
	};
	for (size_t i = 0; i < 3; i++) {
		lc_ms_manifest m;
		if (hash_model(v[i].rel, LC_MS_FILES, 0, 0, &m) != LC_MS_OK) {
			CHECK(0);
			continue;
		}
		unsigned char root[32];
		char hx[65];
		lc_ms_root_digest(&m, root);
		hexof(root, hx);
		CHECK_STR(hx, v[i].root);
		lc_ms_manifest_free(&m);
	}
}

static void test_order(void)
{
	/* component-wise order: "a/b" before "a-c" although '-' < '/' */
	WRITE("order/a-c", "1");
	WRITE("order/a/b", "2");
	WRITE("order/ab", "3");
	WRITE("order/.hidden", "4");
	WRITE("order/.git/config", "ignored");
	WRITE("order/skip/x", "ignored");
	char *ign[] = {".git", "skip/"};
	lc_ms_hash_opts o = {.method = LC_MS_FILES, .ignore = ign, .nignore = 2};
	lc_ms_manifest m;
	char err[256];
	CHECK(lc_ms_hash_model(path_in("order"), &o, &m, err, sizeof err) == LC_MS_OK);
	CHECK(m.nitems == 4);
	if (m.nitems == 4) {
		CHECK_STR(m.items[0].path, ".hidden");
		CHECK_STR(m.items[1].path, "a/b");
		CHECK_STR(m.items[2].path, "a-c");
		CHECK_STR(m.items[3].path, "ab");
	}
	/* the ignore list is recorded, normalized and sorted */
	CHECK(m.nignore == 2 && strcmp(m.ignore_paths[0], ".git") == 0 && strcmp(m.ignore_paths[1], "skip") == 0);
	lc_ms_manifest_free(&m);

	/* a symlink is refused unless allowed; a FIFO always */
	WRITE("links/real", "x");
	if (symlink("real", path_in("links/link")) == 0) {
		lc_ms_hash_opts o2 = {.method = LC_MS_FILES};
		CHECK(lc_ms_hash_model(path_in("links"), &o2, &m, err, sizeof err) == LC_MS_REJECT);
		CHECK(strstr(err, "link") != NULL);
		o2.allow_symlinks = 1;
		CHECK(lc_ms_hash_model(path_in("links"), &o2, &m, err, sizeof err) == LC_MS_OK && m.nitems == 2);
		lc_ms_manifest_free(&m);
	}
	mkdir(path_in("fifo"), 0755);
	if (mkfifo(path_in("fifo/pipe"), 0644) == 0) {
		lc_ms_hash_opts o3 = {.method = LC_MS_FILES};
		CHECK(lc_ms_hash_model(path_in("fifo"), &o3, &m, err, sizeof err) == LC_MS_REJECT);
	}
}

static char *sign_dir(const char *rel, EVP_PKEY *key, lc_ms_method method, uint64_t shard)
{
	lc_ms_manifest m;
	if (hash_model(rel, method, shard, 0, &m) != LC_MS_OK)
		return NULL;
	char err[256] = "";
	char *b = lc_ms_sign(&m, key, NULL, NULL, err, sizeof err);
	if (!b)
		fprintf(stderr, "sign: %s\n", err);
	lc_ms_manifest_free(&m);
	return b;
}

/* Verifies bundle b against the model directory; the report of differences
 * goes to *report (caller frees).  Returns the number of differences, or
 * -1 when the bundle itself was rejected. */
static long verify_dir(const char *rel, const char *b, EVP_PKEY *pub, char **report)
{
	lc_ms_verify_opts vo = {.mode = LC_MS_MODE_KEY, .public_key = pub};
	lc_ms_manifest exp, act;
	char err[512] = "";
	*report = NULL;
	if (lc_ms_verify_bundle((const unsigned char *)b, strlen(b), &vo, &exp, err, sizeof err) != LC_MS_OK) {
		*report = strdup(err);
		return -1;
	}
	lc_ms_hash_opts o = {.method = exp.method, .shard_size = exp.shard_size};
	if (lc_ms_hash_model(path_in(rel), &o, &act, err, sizeof err) != LC_MS_OK) {
		lc_ms_manifest_free(&exp);
		*report = strdup(err);
		return -1;
	}
	size_t n = 0;
	FILE *f = open_memstream(report, &n);
	long d = (long)lc_ms_compare(&exp, &act, f, 1);
	fclose(f);
	lc_ms_manifest_free(&exp);
	lc_ms_manifest_free(&act);
	return d;
}

static void test_roundtrip(void)
{
	static const char *const curves[] = {"P-256", "P-384", "P-521"};
	WRITE("rt/weights.bin", "0123456789abcdefghijklmnopqrstuvwxyz");
	WRITE("rt/config.json", "{\"a\": 1}");
	WRITE("rt/sub/tokenizer.txt", "hello");
	for (size_t c = 0; c < 3; c++) {
		EVP_PKEY *key = EVP_EC_gen(curves[c]);
		CHECK(key != NULL);
		if (!key)
			continue;
		for (int method = 0; method < 2; method++) {
			char *b = sign_dir("rt", key, method ? LC_MS_SHARDS : LC_MS_FILES, 7);
			CHECK(b != NULL);
			if (!b)
				continue;
			char *rep = NULL;
			CHECK_MSG(verify_dir("rt", b, key, &rep) == 0, "%s %d: %s", curves[c], method, rep);
			free(rep);
			free(b);
		}
		EVP_PKEY_free(key);
	}

	/* tampering, each named in the report */
	EVP_PKEY *key = EVP_EC_gen("P-256");
	char *b = sign_dir("rt", key, LC_MS_FILES, 0);
	char *rep = NULL;
	WRITE("rt/weights.bin", "0123456789abcdefghijklmnopqrstuvwxyZ");
	CHECK(verify_dir("rt", b, key, &rep) == 1 && rep && strstr(rep, "modified: weights.bin"));
	free(rep);
	WRITE("rt/weights.bin", "0123456789abcdefghijklmnopqrstuvwxyz");
	WRITE("rt/extra.py", "import os");
	CHECK(verify_dir("rt", b, key, &rep) == 1 && rep && strstr(rep, "added: extra.py"));
	free(rep);
	unlink(path_in("rt/extra.py"));
	unlink(path_in("rt/config.json"));
	CHECK(verify_dir("rt", b, key, &rep) == 1 && rep && strstr(rep, "missing: config.json"));
	free(rep);
	WRITE("rt/config.json", "{\"a\": 1}");
	CHECK(verify_dir("rt", b, key, &rep) == 0);
	free(rep);
	rename(path_in("rt/sub/tokenizer.txt"), path_in("rt/sub/tok.txt"));
	CHECK(verify_dir("rt", b, key, &rep) == 1 && rep && strstr(rep, "renamed: sub/tokenizer.txt -> sub/tok.txt"));
	free(rep);
	rename(path_in("rt/sub/tok.txt"), path_in("rt/sub/tokenizer.txt"));

	/* another key: the hint differs, rejected before any hashing */
	EVP_PKEY *other = EVP_EC_gen("P-256");
	CHECK(verify_dir("rt", b, other, &rep) == -1 && rep && strstr(rep, "key mismatch"));
	free(rep);

	/* a forged payload (the statement edited after signing) fails the signature */
	char *forged = strdup(b);
	char *p = strstr(forged, "\"payload\":\"");
	if (p) {
		p += 11;
		*p = *p == 'e' ? 'f' : 'e';
	}
	CHECK(verify_dir("rt", forged, key, &rep) == -1 && rep && strstr(rep, "does not verify"));
	free(rep);
	free(forged);
	EVP_PKEY_free(other);
	free(b);
	EVP_PKEY_free(key);
}

static int rejects_statement(const char *json)
{
	lc_ms_manifest m;
	char err[256];
	int rc = lc_ms_manifest_from_statement((const unsigned char *)json, strlen(json), &m, err, sizeof err);
	if (rc == LC_MS_OK)
		lc_ms_manifest_free(&m);
	return rc == LC_MS_REJECT;
}

static void test_hostile(void)
{
	/* a statement accepted as written ... */
	const char *ok = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{"
			 "\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}}],"
			 "\"predicateType\":\"https://model_signing/signature/v1.0\",\"predicate\":{"
			 "\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false},"
			 "\"resources\":[]}}";
	lc_ms_manifest m;
	char err[256];
	CHECK(lc_ms_manifest_from_statement((const unsigned char *)ok, strlen(ok), &m, err, sizeof err) == LC_MS_OK);
	lc_ms_manifest_free(&m);
	/* ... and rejected when a part is off */
	CHECK(rejects_statement("[]"));
	CHECK(rejects_statement("{\"_type\":\"x\"}"));
	char buf[4096];
	static const struct {
		const char *from, *to;
	} edits[] = {
	    {"\"resources\":[]", "\"resources\":{}"},
	    {"\"method\":\"files\"", "\"method\":\"tensors\""},
	    {"\"hash_type\":\"sha256\"", "\"hash_type\":\"md5\""},
	    {"\"allow_symlinks\":false", "\"allow_symlinks\":\"false\""},
	    {"e3b0c44298", "e3b0c44299"},                 /* root digest mismatch */
	    {"\"subject\":[", "\"subject\":[{\"name\":\"x\"},"}, /* two subjects */
	    {"\"_type\"", "\"_type\":1,\"_type\""},       /* duplicate key */
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		const char *at = strstr(ok, edits[i].from);
		snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - ok), ok, edits[i].to, at + strlen(edits[i].from));
		CHECK_MSG(rejects_statement(buf), "edit %zu accepted", i);
	}
	/* resources that escape the model, repeat or lie about their algorithm;
	 * each with a consistent root digest so only the resource is wrong */
	static const char *const names[] = {"../etc/passwd", "/abs", "a//b", "a/./b", "", "x:1:2"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		unsigned char d[32] = {1}, root[32];
		lc_sha256(d, 32, root);
		char rh[65];
		hexof(root, rh);
		snprintf(buf, sizeof buf,
			 "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{"
			 "\"sha256\":\"%s\"}}],\"predicateType\":\"https://model_signing/signature/v1.0\","
			 "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\","
			 "\"allow_symlinks\":false},\"resources\":[{\"name\":\"%s\",\"algorithm\":\"sha256\","
			 "\"digest\":\"01000000000000000000000000000000000000000000000000000000000000%s\"}]}}",
			 rh, names[i], "00");
		int rejected = rejects_statement(buf);
		/* "x:1:2" is a valid file name in files mode */
		CHECK_MSG(i == 5 ? !rejected : rejected, "resource name '%s'", names[i]);
	}
	/* duplicate resources */
	{
		unsigned char d[64] = {0}, root[32];
		lc_sha256(d, 64, root);
		char rh[65];
		hexof(root, rh);
		const char *z = "0000000000000000000000000000000000000000000000000000000000000000";
		snprintf(buf, sizeof buf,
			 "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{"
			 "\"sha256\":\"%s\"}}],\"predicateType\":\"https://model_signing/signature/v1.0\","
			 "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\","
			 "\"allow_symlinks\":false},\"resources\":[{\"name\":\"a\",\"algorithm\":\"sha256\","
			 "\"digest\":\"%s\"},{\"name\":\"a\",\"algorithm\":\"sha256\",\"digest\":\"%s\"}]}}",
			 rh, z, z);
		CHECK(rejects_statement(buf));
		/* the algorithm must match the serialization */
		unsigned char d1[32] = {0}, r1[32];
		lc_sha256(d1, 32, r1);
		hexof(r1, rh);
		snprintf(buf, sizeof buf,
			 "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{"
			 "\"sha256\":\"%s\"}}],\"predicateType\":\"https://model_signing/signature/v1.0\","
			 "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\","
			 "\"allow_symlinks\":false},\"resources\":[{\"name\":\"a\",\"algorithm\":\"%s\","
			 "\"digest\":\"%s\"}]}}",
			 rh, "sha256-sharded-8", z);
		CHECK(rejects_statement(buf));
		snprintf(buf, sizeof buf,
			 "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{"
			 "\"sha256\":\"%s\"}}],\"predicateType\":\"https://model_signing/signature/v1.0\","
			 "\"predicate\":{\"serialization\":{\"method\":\"files\",\"hash_type\":\"sha256\","
			 "\"allow_symlinks\":false},\"resources\":[{\"name\":\"a\",\"algorithm\":\"%s\","
			 "\"digest\":\"%s\"}]}}",
			 rh, "sha256", z);
		CHECK(!rejects_statement(buf)); /* the same, well formed, passes */
	}

	/* hostile bundles */
	EVP_PKEY *key = EVP_EC_gen("P-256");
	lc_ms_verify_opts vo = {.mode = LC_MS_MODE_KEY, .public_key = key};
	static const char *const bundles[] = {
	    "",
	    "null",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.2+json\"}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{}}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
	    "{}},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
	    "\"signatures\":[]}}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
	    "{}},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
	    "\"signatures\":[{\"sig\":\"not base64!\"}]}}",
	    "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":"
	    "{}},\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
	    "\"signatures\":[{\"sig\":\"MEUCIQ==\"}]}}",
	};
	for (size_t i = 0; i < sizeof bundles / sizeof bundles[0]; i++) {
		lc_ms_manifest e;
		int rc = lc_ms_verify_bundle((const unsigned char *)bundles[i], strlen(bundles[i]), &vo, &e, err,
					     sizeof err);
		CHECK_MSG(rc == LC_MS_REJECT, "bundle %zu: rc %d", i, rc);
		if (rc == LC_MS_OK)
			lc_ms_manifest_free(&e);
	}
	EVP_PKEY_free(key);
}

static void test_hashing_many(void)
{
	/* more jobs than threads, mixed sizes; each digest equals a one-shot */
	static unsigned char big[3 << 20];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i * 31 + (i >> 13));
	write_file("many/big", (const char *)big, sizeof big);
	lc_hash_job jobs[40];
	char names[40][64];
	for (int i = 0; i < 40; i++) {
		if (i < 30) {
			snprintf(names[i], sizeof names[i], "many/f%02d", i);
			write_file(names[i], (const char *)big + i * 1000, (size_t)i * 777);
			jobs[i] = (lc_hash_job){.path = strdup(path_in(names[i])), .end = (uint64_t)i * 777, .whole = 1};
		} else {
			uint64_t s = (uint64_t)(i - 30) * 300000;
			jobs[i] = (lc_hash_job){.path = strdup(path_in("many/big")), .start = s, .end = s + 300001};
		}
	}
	CHECK(lc_hash_run(jobs, 40, 3) == 0);
	int ok = 1;
	for (int i = 0; i < 40; i++) {
		unsigned char md[32];
		if (i < 30)
			lc_sha256(big + i * 1000, (size_t)i * 777, md);
		else
			lc_sha256(big + jobs[i].start, 300001, md);
		ok &= memcmp(md, jobs[i].md, 32) == 0 && jobs[i].err == 0;
		free((void *)jobs[i].path);
	}
	CHECK(ok);
	/* a shard past the end of the file is an error, not a digest */
	lc_hash_job past = {.path = path_in("many/big"), .start = sizeof big - 10, .end = sizeof big + 10};
	CHECK(lc_hash_run(&past, 1, 1) != 0 && past.err == EIO);
	lc_hash_job none = {.path = path_in("many/nope"), .whole = 1};
	CHECK(lc_hash_run(&none, 1, 1) != 0 && none.err == ENOENT);
}

int main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/lc_modelsign_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	make_fixtures();
	RUN(test_pae);
	RUN(test_base64);
	RUN(test_golden);
	RUN(test_root_digest);
	RUN(test_order);
	RUN(test_roundtrip);
	RUN(test_hostile);
	RUN(test_hashing_many);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return TEST_REPORT("test_modelsign");
}
