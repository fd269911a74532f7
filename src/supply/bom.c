/*
 * `laocoon bom PATH`: a CycloneDX 1.6 ML-BOM (src/supply/bom.c).
 *
 * The scan supplies everything but the hashes: one lc_file_result per file
 * (format, status, size, members, findings).  A BOM is an inventory, so
 * every file appears, including the ones laocoon skipped or could not read
 * (their laocoon:status says so); findings become CycloneDX vulnerabilities
 * rated with laocoon's severity, except the informational *.inventory notes,
 * which describe the tensors and become properties of their file.
 *
 * The document is built with jansson (objects keep insertion order, so the
 * output is stable and diffable apart from serialNumber and timestamp) and
 * validated in the test suite against the official 1.6 schema.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/lc.h"
#include "supply/bom.h"

/* ---- hashing --------------------------------------------------------------- */

/* SHA-256 and SHA-512 of a file in one streaming pass.  Returns 0, or an
 * errno value. */
static int hash_file(const char *path, int follow, char hex256[65], char hex512[129])
{
	static const char digits[] = "0123456789abcdef";
	int fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return errno;
	EVP_MD_CTX *c256 = EVP_MD_CTX_new(), *c512 = EVP_MD_CTX_new();
	uint8_t *buf = malloc(1u << 20);
	int rc = 0;
	if (!c256 || !c512 || !buf || EVP_DigestInit_ex(c256, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestInit_ex(c512, EVP_sha512(), NULL) != 1) {
		rc = ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf, 1u << 20);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = errno;
			goto out;
		}
		if (k == 0)
			break;
		if (EVP_DigestUpdate(c256, buf, (size_t)k) != 1 || EVP_DigestUpdate(c512, buf, (size_t)k) != 1) {
			rc = EIO;
			goto out;
		}
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(c256, md, &n) != 1 || n != 32) {
		rc = EIO;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		hex256[2 * i] = digits[md[i] >> 4];
		hex256[2 * i + 1] = digits[md[i] & 15];
	}
	hex256[64] = '\0';
	if (EVP_DigestFinal_ex(c512, md, &n) != 1 || n != 64) {
		rc = EIO;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		hex512[2 * i] = digits[md[i] >> 4];
		hex512[2 * i + 1] = digits[md[i] & 15];
	}
	hex512[128] = '\0';
out:
	EVP_MD_CTX_free(c256);
	EVP_MD_CTX_free(c512);
	free(buf);
	close(fd);
	return rc;
}

/* ---- small builders ------------------------------------------------------------ */

/* A random (version 4) UUID as a URN, from OpenSSL's CSPRNG. */
static int serial_number(char out[46])
{
	unsigned char u[16];
	if (RAND_bytes(u, sizeof u) != 1)
		return -1;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return 0;
}

/* json_string refuses invalid UTF-8 (a file name is any bytes): those are
 * escaped the way laocoon's reports print them. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s), cap = 4 * n + 8;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	lc_escape((const uint8_t *)s, n, n, buf, cap);
	j = json_string(buf);
	free(buf);
	return j;
}

static void prop(json_t *props, const char *name, json_t *value)
{
	if (!value)
		return;
	json_array_append_new(props, json_pack("{s:s,s:o}", "name", name, "value", value));
}

static void prop_u64(json_t *props, const char *name, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	prop(props, name, json_string(b));
}

/* CycloneDX component type of a file, from the format laocoon recognised. */
static const char *component_type(const char *format)
{
	static const char *const model[] = {"pickle", "pytorch", "torchscript", "safetensors", "gguf", "joblib",
					    "onnx",   "keras",   "tflite",      "tensorflow",  "savedmodel", "hdf5",
					    "coreml", "paddle",  "mlflow",      NULL};
	static const char *const data[] = {"npy", "npz", "model-config", "tokenizer-config", "yaml-config",
					   "json", "jsonl", "csv", NULL};
	size_t n = strlen(format);
	/* A model's configuration (model-config, keras-config ...) is data. */
	if (n > 7 && strcmp(format + n - 7, "-config") == 0)
		return "data";
	for (const char *const *p = model; *p; p++)
		if (strncmp(format, *p, strlen(*p)) == 0)
			return "machine-learning-model";
	for (const char *const *p = data; *p; p++)
		if (strcmp(format, *p) == 0)
			return "data";
	return "file";
}

static const char *cdx_severity(lc_severity s)
{
	switch (s) {
	case LC_SEV_CRITICAL: return "critical";
	case LC_SEV_HIGH: return "high";
	case LC_SEV_MEDIUM: return "medium";
	case LC_SEV_LOW: return "low";
	default: return "info";
	}
}

static int is_inventory(const char *rule)
{
	size_t n = strlen(rule);
	return n > 10 && strcmp(rule + n - 10, ".inventory") == 0;
}

/* "12 tensors, 1.2 M parameters (...)" -> tensors and parameters, from the
 * readers' inventory sentences (safetensors, GGUF). */
static void inventory_props(json_t *props, const char *msg)
{
	prop(props, "laocoon:inventory", jstr(msg));
	const char *t = strstr(msg, " tensor");
	if (t) {
		const char *b = t;
		while (b > msg && b[-1] >= '0' && b[-1] <= '9')
			b--;
		if (b < t) {
			char num[24];
			size_t n = (size_t)(t - b) < sizeof num - 1 ? (size_t)(t - b) : sizeof num - 1;
			memcpy(num, b, n);
			num[n] = '\0';
			prop(props, "laocoon:tensors", json_string(num));
		}
	}
	const char *p = strstr(msg, " parameters");
	if (p) {
		const char *b = p;
		/* the count is a number optionally followed by a unit ("1.2 M") */
		while (b > msg && b[-1] != ',')
			b--;
		while (*b == ' ')
			b++;
		if (b < p) {
			char *v = lc_strndup(b, (size_t)(p - b));
			if (v)
				prop(props, "laocoon:parameters", jstr(v));
			free(v);
		}
	}
}

/* File name relative to the scanned root ("" when the root is the file). */
static const char *relative(const char *path, const char *root)
{
	size_t rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (strncmp(path, root, rl) == 0 && path[rl] == '/') {
		path += rl;
		while (*path == '/')
			path++;
		return path;
	}
	if (strcmp(path, root) == 0)
		return "";
	return path;
}

static const char *base_name(const char *path, char *buf, size_t cap)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	size_t b = n;
	while (b > 0 && path[b - 1] != '/')
		b--;
	snprintf(buf, cap, "%.*s", (int)(n - b), path + b);
	if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0 || buf[0] == '\0') {
		char *rp = realpath(path, NULL);
		if (rp) {
			const char *s = strrchr(rp, '/');
			snprintf(buf, cap, "%s", s && s[1] ? s + 1 : rp);
			free(rp);
		}
	}
	return buf;
}

/* ---- the document ------------------------------------------------------------- */

/* follow: the file is the PATH argument itself (the scan followed it); files
 * found in a directory walk are never followed (the walk reports symlinks
 * as such, and a file swapped for one since must not be hashed). */
static json_t *file_component(const lc_file_result *f, const char *name, const char *ref, int follow, FILE *log,
			      int *bad)
{
	json_t *c = json_object(), *props = json_array(), *hashes = json_array();
	char h256[65], h512[129];
	json_object_set_new(c, "type", json_string(component_type(f->format ? f->format : "unknown")));
	json_object_set_new(c, "bom-ref", jstr(ref));
	json_object_set_new(c, "name", jstr(name));
	int symlink = f->format && strcmp(f->format, "symlink") == 0;
	int he = symlink ? 0 : hash_file(f->path, follow, h256, h512);
	if (symlink) {
		json_decref(hashes); /* a link has no content of its own; its target is in the findings */
	} else if (he == 0) {
		json_array_append_new(hashes, json_pack("{s:s,s:s}", "alg", "SHA-256", "content", h256));
		json_array_append_new(hashes, json_pack("{s:s,s:s}", "alg", "SHA-512", "content", h512));
		json_object_set_new(c, "hashes", hashes);
	} else {
		json_decref(hashes);
		fprintf(log, "laocoon: bom: cannot hash %s: %s\n", f->path, strerror(he));
		*bad = 1;
		prop(props, "laocoon:hash-error", json_string(strerror(he)));
	}
	prop(props, "laocoon:format", jstr(f->format ? f->format : "unknown"));
	prop(props, "laocoon:status", json_string(lc_status_name(f->status)));
	if (f->error)
		prop(props, "laocoon:error", jstr(f->error));
	prop_u64(props, "laocoon:size", f->size);
	prop_u64(props, "laocoon:members", f->nmembers);
	int maxsev = -1;
	size_t nfind = 0;
	for (size_t i = 0; i < f->nfindings; i++) {
		const lc_finding *x = &f->findings[i];
		if (is_inventory(x->rule) && !x->member) {
			inventory_props(props, x->message);
			continue;
		}
		nfind++;
		if ((int)x->severity > maxsev)
			maxsev = (int)x->severity;
	}
	prop_u64(props, "laocoon:findings", nfind);
	if (maxsev >= 0)
		prop(props, "laocoon:max-severity", json_string(lc_severity_name((lc_severity)maxsev)));
	json_object_set_new(c, "properties", props);
	return c;
}

static json_t *vulnerability(const lc_finding *x, const char *name, const char *ref, size_t n)
{
	char id[64];
	snprintf(id, sizeof id, "vuln-%zu", n);
	json_t *v = json_object(), *props = json_array();
	char *vid = lc_strdup_printf("%s@%s", x->rule, name);
	json_object_set_new(v, "bom-ref", json_string(id));
	json_object_set_new(v, "id", vid ? jstr(vid) : json_string(x->rule));
	free(vid);
	json_object_set_new(v, "source", json_pack("{s:s}", "name", "laocoon"));
	json_object_set_new(v, "ratings", json_pack("[{s:{s:s},s:s,s:s}]", "source", "name", "laocoon", "severity",
						    cdx_severity(x->severity), "method", "other"));
	json_object_set_new(v, "description", jstr(x->message ? x->message : x->rule));
	if (x->evidence)
		json_object_set_new(v, "detail", jstr(x->evidence));
	json_object_set_new(v, "affects", json_pack("[{s:o}]", "ref", jstr(ref)));
	prop(props, "laocoon:rule", json_string(x->rule));
	prop(props, "laocoon:severity", json_string(lc_severity_name(x->severity)));
	if (x->member)
		prop(props, "laocoon:member", jstr(x->member));
	if (x->has_offset)
		prop_u64(props, "laocoon:offset", x->offset);
	if (x->count > 1)
		prop_u64(props, "laocoon:count", x->count);
	json_object_set_new(v, "properties", props);
	return v;
}

int lc_bom_write(FILE *out, const lc_scan_options *opt, const char *path, FILE *log)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(log, "laocoon: bom: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	char serial[46], ts[32], nm[512];
	if (serial_number(serial) != 0) {
		fprintf(log, "laocoon: bom: no random bytes for the serial number\n");
		return -1;
	}
	time_t now = time(NULL);
	struct tm tmv;
	gmtime_r(&now, &tmv);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tmv);

	lc_result res = {0};
	lc_scan_path(opt, path, &res);
	int incomplete = lc_result_incomplete(&res) > 0, bad = 0;

	json_t *bom = json_object(), *comps = json_array(), *vulns = json_array(), *deps = json_array();
	json_t *meta_props = json_array(), *depends = json_array();
	json_object_set_new(bom, "bomFormat", json_string("CycloneDX"));
	json_object_set_new(bom, "specVersion", json_string("1.6"));
	json_object_set_new(bom, "serialNumber", json_string(serial));
	json_object_set_new(bom, "version", json_integer(1));

	const char *model_ref = "model";
	json_t *model = json_object();
	json_object_set_new(model, "type", json_string("machine-learning-model"));
	json_object_set_new(model, "bom-ref", json_string(model_ref));
	json_object_set_new(model, "name", jstr(base_name(path, nm, sizeof nm)));
	prop(meta_props, "laocoon:path", jstr(path));
	prop(meta_props, "laocoon:kind", json_string(S_ISDIR(st.st_mode) ? "directory" : "file"));
	prop_u64(meta_props, "laocoon:files", res.nfiles);
	int maxsev = -1;
	size_t nv = 0;
	for (size_t i = 0; i < res.nfiles; i++) {
		const lc_file_result *f = &res.files[i];
		/* A walk error is reported as an entry for the directory itself:
		 * no file to describe, but the BOM must not look complete. */
		if (f->format && strcmp(f->format, "directory") == 0) {
			prop(meta_props, "laocoon:walk-error", jstr(f->error ? f->error : "directory walk failed"));
			continue;
		}
		const char *rel = relative(f->path, path);
		char fb[512];
		const char *name = rel[0] ? rel : base_name(f->path, fb, sizeof fb);
		char *ref = lc_strdup_printf("file:%s", name);
		if (!ref) {
			bad = 1;
			continue;
		}
		json_array_append_new(comps, file_component(f, name, ref, strcmp(f->path, path) == 0, log, &bad));
		json_array_append_new(depends, jstr(ref));
		for (size_t k = 0; k < f->nfindings; k++) {
			const lc_finding *x = &f->findings[k];
			if (is_inventory(x->rule) && !x->member)
				continue;
			if ((int)x->severity > maxsev)
				maxsev = (int)x->severity;
			json_array_append_new(vulns, vulnerability(x, name, ref, ++nv));
		}
		free(ref);
	}
	prop(meta_props, "laocoon:verdict",
	     json_string(maxsev < 0 ? "clean" : lc_severity_name((lc_severity)maxsev)));
	prop_u64(meta_props, "laocoon:incomplete", lc_result_incomplete(&res));
	json_object_set_new(model, "properties", meta_props);

	json_t *tool = json_pack("{s:s,s:s,s:s,s:s}", "type", "application", "bom-ref", "tool:laocoon", "name",
				 "laocoon", "version", lc_version());
	json_object_set_new(tool, "description",
			    json_string("model-security scanner: reads model files without executing them"));
	json_object_set_new(bom, "metadata",
			    json_pack("{s:s,s:{s:[o]},s:o}", "timestamp", ts, "tools", "components", tool,
				      "component", model));
	json_object_set_new(bom, "components", comps);
	json_array_append_new(deps, json_pack("{s:s,s:o}", "ref", model_ref, "dependsOn", depends));
	json_object_set_new(bom, "dependencies", deps);
	if (json_array_size(vulns) > 0)
		json_object_set_new(bom, "vulnerabilities", vulns);
	else
		json_decref(vulns);

	int rc = json_dumpf(bom, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', out) != EOF ? 0 : -1;
	if (rc != 0)
		fprintf(log, "laocoon: bom: cannot write the BOM\n");
	json_decref(bom);
	lc_result_free(&res);
	if (rc != 0)
		return -1;
	return incomplete || bad ? 2 : 0;
}
