/*
 * OpenSSF model signing v1.0: manifest, statement, DSSE, bundle, checks.
 * See modelsign.h for the format; the facts below come from the reference
 * implementation (sigstore/model-transparency) and its published vectors.
 */
#include "supply/modelsign.h"
#include "core/lc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "supply/hashing.h"
#include "supply/sigstore.h"

/* Hostile-input bounds.  A real model has thousands of files, not millions;
 * a real chain has 2 or 3 certificates. */
#define MAX_ITEMS (4u << 20)
#define MAX_DEPTH 256
#define MAX_CHAIN 16
#define MAX_IGNORES 4096
#define MAX_NAME 4096

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- growable byte buffer: the core's lc_buf ------------------------------ */

typedef lc_buf sbuf;

/* The buffer's bytes (NUL-terminated, owned by the caller), or NULL when an
 * allocation failed. */
static char *sb_take(sbuf *b, size_t *len)
{
	if (b->oom) {
		lc_buf_free(b);
		return NULL;
	}
	if (!b->p)
		lc_buf_put(b, "", 0);
	if (b->oom)
		return NULL;
	if (len)
		*len = b->len;
	return b->p;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = 0;
}

static int unhex(const char *s, size_t slen, unsigned char *out, size_t n)
{
	if (slen != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		int c = (unsigned char)s[i], v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* ---- paths ----------------------------------------------------------------- */

/* Canonical order is Python's PurePosixPath order: component-wise string
 * comparison.  That equals a byte comparison in which '/' sorts before every
 * other byte ("a/b" < "a-c", because the component "a" < "a-c"); UTF-8 byte
 * order equals code point order, which is how Python compares str. */
static int path_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned x = (unsigned char)*a, y = (unsigned char)*b;
		if (x == '/')
			x = 1;
		if (y == '/')
			y = 1;
		if (x != y)
			return x < y ? -1 : 1;
		if (x == 0)
			return 0;
	}
}

static int item_cmp(const void *pa, const void *pb)
{
	const lc_ms_item *a = pa, *b = pb;
	int c = path_cmp(a->path, b->path);
	if (c)
		return c;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	return 0;
}

static int str_cmp_path(const void *a, const void *b) { return path_cmp(*(char *const *)a, *(char *const *)b); }

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		unsigned c = *p++;
		if (c < 0x80)
			continue;
		int k;
		unsigned min;
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			c &= 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			c &= 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			c &= 0x07;
			min = 0x10000;
		} else {
			return 0;
		}
		if (e - p < k)
			return 0;
		for (int i = 0; i < k; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		p += k;
	}
	return 1;
}

/* Lexical normalization like PurePosixPath: drops empty and "." components.
 * Returns a new string ("." when nothing is left), NULL on OOM. */
static char *norm_rel(const char *in)
{
	sbuf b = {0};
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *q = p;
		while (*q && *q != '/')
			q++;
		size_t k = (size_t)(q - p);
		if (k && !(k == 1 && p[0] == '.')) {
			if (b.len)
				lc_buf_put(&b, "/", 1);
			lc_buf_put(&b, p, k);
		}
		p = q;
	}
	if (b.len == 0)
		lc_buf_put(&b, ".", 1);
	return sb_take(&b, NULL);
}

/* A resource path from a signature must be what a walk could produce:
 * relative, no empty, "." or ".." component, valid UTF-8.  "." alone is
 * the single-file model. */
static int valid_resource_path(const char *s, size_t n)
{
	if (n == 0 || n > MAX_NAME || !utf8_valid(s, n) || memchr(s, 0, n))
		return 0;
	if (n == 1 && s[0] == '.')
		return 1;
	const char *p = s, *e = s + n;
	while (p <= e) {
		const char *q = memchr(p, '/', (size_t)(e - p));
		if (!q)
			q = e;
		size_t k = (size_t)(q - p);
		if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p = q + 1;
	}
	return 1;
}

/* Does rel fall under one of the ignored paths (itself or a descendant)?
 * Ignored entries are normalized; "." means the whole model. */
static int ignored(const char *rel, char *const *ign, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *g = ign[i];
		if (g[0] == '.' && g[1] == 0)
			return 1;
		size_t k = strlen(g);
		if (strncmp(rel, g, k) == 0 && (rel[k] == 0 || rel[k] == '/'))
			return 1;
	}
	return 0;
}

char *lc_ms_model_name(const char *model_path)
{
	/* PurePath.name: the last component after dropping "." and empty ones */
	char *n = norm_rel(model_path);
	if (!n)
		return NULL;
	const char *last = strrchr(n, '/');
	last = last ? last + 1 : n;
	int absolute_root = model_path[0] == '/' && strcmp(n, ".") == 0;
	if (!absolute_root && strcmp(last, ".") != 0 && strcmp(last, "..") != 0) {
		char *r = strdup(last);
		free(n);
		return r;
	}
	free(n);
	char *real = realpath(model_path, NULL);
	if (!real)
		return strdup("");
	const char *b = strrchr(real, '/');
	char *r = strdup(b ? b + 1 : real);
	free(real);
	return r;
}

/* Python's Path.resolve(strict=False): symlinks resolved as far as the path
 * exists, the rest appended lexically. */
static char *resolve_loose(const char *path, int depth)
{
	char *r = realpath(path, NULL);
	if (r || depth > 64)
		return r;
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	size_t k = strlen(copy);
	while (k > 1 && copy[k - 1] == '/')
		copy[--k] = 0;
	char *slash = strrchr(copy, '/');
	if (!slash || slash == copy) {
		/* "/name" that does not exist */
		char *res = strdup(copy[0] == '/' ? copy : "/");
		free(copy);
		return res;
	}
	*slash = 0;
	const char *last = slash + 1;
	char *parent = resolve_loose(copy, depth + 1);
	if (!parent) {
		free(copy);
		return NULL;
	}
	sbuf b = {0};
	if (strcmp(last, ".") == 0) {
		lc_buf_puts(&b, parent);
	} else if (strcmp(last, "..") == 0) {
		char *s = strrchr(parent, '/');
		if (s && s != parent)
			lc_buf_put(&b, parent, (size_t)(s - parent));
		else
			lc_buf_puts(&b, "/");
	} else {
		lc_buf_puts(&b, parent);
		if (strcmp(parent, "/") != 0)
			lc_buf_puts(&b, "/");
		lc_buf_puts(&b, last);
	}
	free(parent);
	free(copy);
	return sb_take(&b, NULL);
}

static char *absolute(const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return NULL;
	sbuf b = {0};
	lc_buf_puts(&b, cwd);
	lc_buf_puts(&b, "/");
	lc_buf_puts(&b, p);
	return sb_take(&b, NULL);
}

int lc_ms_ignore_relative(const char *model_path, const char *path, char **rel)
{
	*rel = NULL;
	char *ma = absolute(model_path), *pa = absolute(path);
	char *root = ma ? resolve_loose(ma, 0) : NULL;
	char *cand = pa ? resolve_loose(pa, 0) : NULL;
	free(ma);
	free(pa);
	int rc = -1;
	if (root && cand) {
		size_t k = strlen(root);
		if (strcmp(root, "/") == 0)
			k = 0;
		if (strcmp(cand, root) == 0) {
			*rel = strdup(".");
			rc = *rel ? 1 : -1;
		} else if (strncmp(cand, root, k) == 0 && cand[k] == '/') {
			*rel = norm_rel(cand + k + 1);
			rc = *rel ? 1 : -1;
		} else {
			rc = 0;
		}
	}
	free(root);
	free(cand);
	return rc;
}

/* ---- manifest -------------------------------------------------------------- */

void lc_ms_manifest_free(lc_ms_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nitems; i++)
		free(m->items[i].path);
	free(m->items);
	for (size_t i = 0; i < m->nignore; i++)
		free(m->ignore_paths[i]);
	free(m->ignore_paths);
	free(m->model_name);
	memset(m, 0, sizeof *m);
}

/* Takes ownership of path. */
static int add_item(lc_ms_manifest *m, char *path, uint64_t start, uint64_t end)
{
	if (m->nitems >= MAX_ITEMS) {
		free(path);
		return -1;
	}
	if (m->nitems == m->cap) {
		size_t c = m->cap ? m->cap * 2 : 64;
		lc_ms_item *q = realloc(m->items, c * sizeof *q);
		if (!q) {
			free(path);
			return -1;
		}
		m->items = q;
		m->cap = c;
	}
	lc_ms_item *it = &m->items[m->nitems++];
	memset(it, 0, sizeof *it);
	it->path = path;
	it->start = start;
	it->end = end;
	return 0;
}

char *lc_ms_item_name(const lc_ms_manifest *m, const lc_ms_item *it)
{
	sbuf b = {0};
	lc_buf_puts(&b, it->path);
	if (m->method == LC_MS_SHARDS)
		lc_buf_printf(&b, ":%llu:%llu", (unsigned long long)it->start, (unsigned long long)it->end);
	return sb_take(&b, NULL);
}

void lc_ms_item_algorithm(const lc_ms_manifest *m, char *buf, size_t n)
{
	if (m->method == LC_MS_SHARDS)
		snprintf(buf, n, "sha256-sharded-%llu", (unsigned long long)m->shard_size);
	else
		snprintf(buf, n, "sha256");
}

void lc_ms_root_digest(const lc_ms_manifest *m, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int len = 32;
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		memset(out, 0, 32);
		EVP_MD_CTX_free(c);
		return;
	}
	for (size_t i = 0; i < m->nitems; i++)
		EVP_DigestUpdate(c, m->items[i].digest, 32);
	EVP_DigestFinal_ex(c, out, &len);
	EVP_MD_CTX_free(c);
}

/* ---- walking and hashing the model ------------------------------------- */

typedef struct {
	const char *root;
	const lc_ms_hash_opts *o;
	char **ign; /* normalized ignore list */
	size_t nign;
	lc_ms_manifest *m;
	uint64_t *sizes; /* per item, parallel to m->items while walking */
	size_t sizes_cap;
	char *err;
	size_t errlen;
} walker;

static int in_only(const lc_ms_manifest *only, const char *rel)
{
	size_t lo = 0, hi = only->nitems;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = path_cmp(only->items[mid].path, rel);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int walk_add(walker *w, const char *rel, uint64_t size)
{
	if (w->o->only && !in_only(w->o->only, rel))
		return LC_MS_OK;
	if (!utf8_valid(rel, strlen(rel))) {
		seterr(w->err, w->errlen, "file name is not valid UTF-8: %s", rel);
		return LC_MS_REJECT;
	}
	if (w->m->nitems + 1 > w->sizes_cap) {
		size_t c = w->sizes_cap ? w->sizes_cap * 2 : 64;
		uint64_t *q = realloc(w->sizes, c * sizeof *q);
		if (!q)
			goto oom;
		w->sizes = q;
		w->sizes_cap = c;
	}
	char *p = strdup(rel);
	if (!p || add_item(w->m, p, 0, size) != 0)
		goto oom;
	w->sizes[w->m->nitems - 1] = size;
	return LC_MS_OK;
oom:
	seterr(w->err, w->errlen, "too many files or out of memory (limit %u)", MAX_ITEMS);
	return LC_MS_ERROR;
}

static int walk_dir(walker *w, const char *rel, int depth)
{
	if (depth > MAX_DEPTH) {
		seterr(w->err, w->errlen, "directories nested deeper than %d: %s", MAX_DEPTH, rel);
		return LC_MS_REJECT;
	}
	sbuf full = {0};
	lc_buf_puts(&full, w->root);
	if (rel[0]) {
		lc_buf_puts(&full, "/");
		lc_buf_puts(&full, rel);
	}
	char *dpath = sb_take(&full, NULL);
	if (!dpath)
		return LC_MS_ERROR;
	DIR *d = opendir(dpath);
	if (!d) {
		seterr(w->err, w->errlen, "cannot read directory %s: %s", dpath, strerror(errno));
		free(dpath);
		return LC_MS_ERROR;
	}
	int rc = LC_MS_OK;
	struct dirent *de;
	while (rc == LC_MS_OK && (errno = 0, de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		sbuf rb = {0};
		if (rel[0]) {
			lc_buf_puts(&rb, rel);
			lc_buf_puts(&rb, "/");
		}
		lc_buf_puts(&rb, name);
		char *crel = sb_take(&rb, NULL);
		if (!crel) {
			rc = LC_MS_ERROR;
			break;
		}
		/* ignored paths are pruned before anything else is checked: a
		 * symlink inside .git must not fail the walk (the reference also
		 * tests should_ignore first) */
		if (ignored(crel, w->ign, w->nign)) {
			free(crel);
			continue;
		}
		struct stat st;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			seterr(w->err, w->errlen, "cannot stat %s/%s: %s", w->root, crel, strerror(errno));
			rc = LC_MS_ERROR;
		} else if (S_ISLNK(st.st_mode)) {
			if (!w->o->allow_symlinks) {
				seterr(w->err, w->errlen,
				       "%s is a symbolic link (allow them with --allow-symlinks)", crel);
				rc = LC_MS_REJECT;
			} else if (fstatat(dirfd(d), name, &st, 0) != 0) {
				seterr(w->err, w->errlen, "%s is a broken symbolic link", crel);
				rc = LC_MS_REJECT;
			} else if (S_ISREG(st.st_mode)) {
				rc = walk_add(w, crel, (uint64_t)st.st_size);
			} else if (!S_ISDIR(st.st_mode)) {
				seterr(w->err, w->errlen, "%s links to a special file", crel);
				rc = LC_MS_REJECT;
			}
			/* a link to a directory is not followed (pathlib's "**" does not) */
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(w, crel, depth + 1);
		} else if (S_ISREG(st.st_mode)) {
			rc = walk_add(w, crel, (uint64_t)st.st_size);
		} else {
			seterr(w->err, w->errlen, "%s is neither a file nor a directory", crel);
			rc = LC_MS_REJECT;
		}
		free(crel);
	}
	if (rc == LC_MS_OK && errno != 0) {
		seterr(w->err, w->errlen, "cannot read directory %s: %s", dpath, strerror(errno));
		rc = LC_MS_ERROR;
	}
	closedir(d);
	free(dpath);
	return rc;
}

static int make_ignore_list(const lc_ms_hash_opts *o, char ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (o->nignore > MAX_IGNORES)
		return -1;
	char **v = calloc(o->nignore + 1, sizeof *v);
	if (!v)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < o->nignore; i++) {
		/* an absolute entry cannot name a model-relative path */
		if (!o->ignore[i] || o->ignore[i][0] == '/')
			continue;
		char *s = norm_rel(o->ignore[i]);
		if (!s)
			goto fail;
		int dup = 0;
		for (size_t k = 0; k < n; k++)
			dup |= strcmp(v[k], s) == 0;
		if (dup)
			free(s);
		else
			v[n++] = s;
	}
	qsort(v, n, sizeof *v, str_cmp_path);
	*out = v;
	*nout = n;
	return 0;
fail:
	for (size_t k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return -1;
}

int lc_ms_hash_model(const char *model_path, const lc_ms_hash_opts *o, lc_ms_manifest *m, char *err,
		     size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->method = o->method;
	m->shard_size = o->method == LC_MS_SHARDS ? o->shard_size : 0;
	m->allow_symlinks = o->allow_symlinks;
	if (o->method == LC_MS_SHARDS && o->shard_size == 0) {
		seterr(err, errlen, "shard size must be positive");
		return LC_MS_ERROR;
	}
	m->model_name = lc_ms_model_name(model_path);
	walker w = {.root = model_path, .o = o, .m = m, .err = err, .errlen = errlen};
	if (!m->model_name || make_ignore_list(o, &w.ign, &w.nign) != 0) {
		seterr(err, errlen, "out of memory, or more than %u ignored paths", MAX_IGNORES);
		lc_ms_manifest_free(m);
		return LC_MS_ERROR;
	}
	m->ignore_paths = w.ign;
	m->nignore = w.nign;

	int rc;
	struct stat st;
	if (lstat(model_path, &st) != 0) {
		seterr(err, errlen, "cannot read %s: %s", model_path, strerror(errno));
		rc = LC_MS_ERROR;
	} else if (S_ISLNK(st.st_mode) && !o->allow_symlinks) {
		seterr(err, errlen, "%s is a symbolic link (allow them with --allow-symlinks)", model_path);
		rc = LC_MS_REJECT;
	} else if (stat(model_path, &st) != 0) {
		seterr(err, errlen, "cannot read %s: %s", model_path, strerror(errno));
		rc = LC_MS_ERROR;
	} else if (S_ISREG(st.st_mode)) {
		/* a single-file model: its one resource is named "." */
		rc = walk_add(&w, ".", (uint64_t)st.st_size);
	} else if (S_ISDIR(st.st_mode)) {
		rc = walk_dir(&w, "", 0);
	} else {
		seterr(err, errlen, "%s is neither a file nor a directory", model_path);
		rc = LC_MS_REJECT;
	}
	if (rc == LC_MS_OK && m->nitems == 0 && !o->only && !o->allow_empty) {
		seterr(err, errlen, "the model contains no regular files after applying exclusions");
		rc = LC_MS_REJECT;
	}
	if (rc != LC_MS_OK)
		goto out;

	/* one job per file, or per shard; empty files have no shard */
	size_t nfiles = m->nitems;
	lc_ms_item *files = m->items;
	uint64_t *sizes = w.sizes;
	lc_hash_job *jobs = NULL;
	size_t njobs = 0;
	char **fullpaths = calloc(nfiles ? nfiles : 1, sizeof *fullpaths);
	if (!fullpaths) {
		rc = LC_MS_ERROR;
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++) {
		sbuf b = {0};
		lc_buf_puts(&b, model_path);
		if (strcmp(files[i].path, ".") != 0) {
			lc_buf_puts(&b, "/");
			lc_buf_puts(&b, files[i].path);
		}
		fullpaths[i] = sb_take(&b, NULL);
		if (!fullpaths[i])
			rc = LC_MS_ERROR;
	}
	size_t cap = 0;
	if (rc == LC_MS_OK) {
		if (o->method == LC_MS_FILES) {
			cap = nfiles;
		} else {
			for (size_t i = 0; i < nfiles; i++) {
				uint64_t k = sizes[i] / o->shard_size + (sizes[i] % o->shard_size != 0);
				if (k > MAX_ITEMS || cap + k > MAX_ITEMS) {
					seterr(err, errlen, "more than %u shards: choose a larger shard size",
					       MAX_ITEMS);
					rc = LC_MS_REJECT;
					break;
				}
				cap += (size_t)k;
			}
		}
	}
	if (rc == LC_MS_OK) {
		jobs = calloc(cap ? cap : 1, sizeof *jobs);
		if (!jobs)
			rc = LC_MS_ERROR;
	}
	if (rc == LC_MS_OK) {
		for (size_t i = 0; i < nfiles; i++) {
			if (o->method == LC_MS_FILES) {
				jobs[njobs++] = (lc_hash_job){.path = fullpaths[i], .start = 0, .end = sizes[i],
							      .whole = 1, .follow = o->allow_symlinks};
				continue;
			}
			for (uint64_t s = 0; s < sizes[i]; s += o->shard_size) {
				uint64_t e = sizes[i] - s > o->shard_size ? s + o->shard_size : sizes[i];
				jobs[njobs++] = (lc_hash_job){.path = fullpaths[i], .start = s, .end = e,
							      .follow = o->allow_symlinks};
			}
		}
		lc_hash_run(jobs, njobs, o->threads);
		for (size_t j = 0; j < njobs && rc == LC_MS_OK; j++) {
			if (jobs[j].err) {
				seterr(err, errlen, "cannot read %s: %s", jobs[j].path,
				       jobs[j].err == EIO ? "the file changed while it was hashed"
							  : strerror(jobs[j].err));
				rc = LC_MS_ERROR;
			}
		}
	}
	if (rc == LC_MS_OK) {
		/* rebuild the item list: one per file, or one per shard */
		lc_ms_item *items = calloc(njobs ? njobs : 1, sizeof *items);
		if (!items) {
			rc = LC_MS_ERROR;
		} else {
			size_t j = 0, bad = 0;
			for (size_t i = 0; i < nfiles; i++) {
				if (o->method == LC_MS_FILES) {
					items[j].path = files[i].path;
					items[j].start = 0;
					items[j].end = jobs[j].hashed;
					memcpy(items[j].digest, jobs[j].md, 32);
					j++;
					continue;
				}
				int first = 1;
				for (uint64_t s = 0; s < sizes[i]; s += o->shard_size) {
					items[j].path = first ? files[i].path : strdup(files[i].path);
					bad |= !items[j].path;
					items[j].start = jobs[j].start;
					items[j].end = jobs[j].end;
					memcpy(items[j].digest, jobs[j].md, 32);
					j++;
					first = 0;
				}
				if (first)
					free(files[i].path); /* an empty file: no shard */
			}
			free(files);
			m->items = items;
			m->nitems = m->cap = j;
			if (bad)
				rc = LC_MS_ERROR;
		}
	}
	if (rc == LC_MS_OK)
		qsort(m->items, m->nitems, sizeof *m->items, item_cmp);
	for (size_t i = 0; i < nfiles; i++)
		free(fullpaths[i]);
	free(fullpaths);
	free(jobs);
out:
	free(w.sizes);
	if (rc != LC_MS_OK)
		lc_ms_manifest_free(m);
	return rc;
}

/* ---- statement JSON (as protobuf's MessageToJson writes it) ------------ */

/* Python json.dumps(ensure_ascii=False) string escaping. */
static void json_str(sbuf *b, const char *s)
{
	lc_buf_put(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			lc_buf_puts(b, "\\\"");
			break;
		case '\\':
			lc_buf_puts(b, "\\\\");
			break;
		case '\n':
			lc_buf_puts(b, "\\n");
			break;
		case '\r':
			lc_buf_puts(b, "\\r");
			break;
		case '\t':
			lc_buf_puts(b, "\\t");
			break;
		case '\b':
			lc_buf_puts(b, "\\b");
			break;
		case '\f':
			lc_buf_puts(b, "\\f");
			break;
		default:
			if (*p < 0x20)
				lc_buf_printf(b, "\\u%04x", *p);
			else
				lc_buf_put(b, p, 1);
		}
	}
	lc_buf_put(b, "\"", 1);
}

char *lc_ms_statement_json(const lc_ms_manifest *m, size_t *len)
{
	sbuf b = {0};
	unsigned char root[32];
	char hx[65], algo[64];
	lc_ms_root_digest(m, root);
	hex(root, 32, hx);
	lc_ms_item_algorithm(m, algo, sizeof algo);

	lc_buf_puts(&b, "{\n  \"_type\": \"" LC_MS_STATEMENT_TYPE "\",\n  \"subject\": [\n    {\n      \"name\": ");
	json_str(&b, m->model_name ? m->model_name : "");
	lc_buf_puts(&b, ",\n      \"digest\": {\n        \"sha256\": \"");
	lc_buf_puts(&b, hx);
	lc_buf_puts(&b, "\"\n      }\n    }\n  ],\n  \"predicateType\": \"" LC_MS_PREDICATE_TYPE "\",\n"
		   "  \"predicate\": {\n    \"serialization\": {\n      \"method\": ");
	lc_buf_puts(&b, m->method == LC_MS_SHARDS ? "\"shards\"" : "\"files\"");
	lc_buf_puts(&b, ",\n      \"hash_type\": \"sha256\",\n      \"allow_symlinks\": ");
	lc_buf_puts(&b, m->allow_symlinks ? "true" : "false");
	if (m->method == LC_MS_SHARDS) {
		/* protobuf Struct numbers are doubles: Python prints 8.0 */
		lc_buf_printf(&b, ",\n      \"shard_size\": %llu.0", (unsigned long long)m->shard_size);
	}
	if (m->nignore) {
		lc_buf_puts(&b, ",\n      \"ignore_paths\": [");
		for (size_t i = 0; i < m->nignore; i++) {
			lc_buf_puts(&b, i ? ",\n        " : "\n        ");
			json_str(&b, m->ignore_paths[i]);
		}
		lc_buf_puts(&b, "\n      ]");
	}
	lc_buf_puts(&b, "\n    },\n    \"resources\": [");
	for (size_t i = 0; i < m->nitems; i++) {
		char *name = lc_ms_item_name(m, &m->items[i]);
		if (!name) {
			b.oom = 1;
			break;
		}
		hex(m->items[i].digest, 32, hx);
		lc_buf_puts(&b, i ? ",\n      {\n        \"algorithm\": " : "\n      {\n        \"algorithm\": ");
		json_str(&b, algo);
		lc_buf_puts(&b, ",\n        \"digest\": \"");
		lc_buf_puts(&b, hx);
		lc_buf_puts(&b, "\",\n        \"name\": ");
		json_str(&b, name);
		lc_buf_puts(&b, "\n      }");
		free(name);
	}
	lc_buf_puts(&b, m->nitems ? "\n    ]\n  }\n}" : "]\n  }\n}");
	return sb_take(&b, len);
}

/* ---- statement parsing ----------------------------------------------------- */

static const char *jstr(json_t *o, const char *key, size_t *len)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return NULL;
	if (len)
		*len = json_string_length(v);
	return json_string_value(v);
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	/* plain decimal, canonical (no sign, no leading zero), as str(int) writes */
	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_v02(json_t *root, lc_ms_manifest *m, char *err, size_t errlen)
{
	/* v0.2: one subject per file, no root digest, no serialization block;
	 * the reference treats it as files/sha256/no symlinks */
	json_t *subj = json_object_get(root, "subject");
	if (!json_is_array(subj) || json_array_size(subj) > MAX_ITEMS) {
		seterr(err, errlen, "v0.2 statement without a subject list");
		return LC_MS_REJECT;
	}
	m->v02 = 1;
	m->method = LC_MS_FILES;
	m->model_name = strdup("compat-undefined-not-present");
	if (!m->model_name)
		return LC_MS_ERROR;
	for (size_t i = 0; i < json_array_size(subj); i++) {
		json_t *s = json_array_get(subj, i);
		size_t nl = 0, dl = 0;
		const char *name = jstr(s, "name", &nl);
		const char *dg = jstr(json_object_get(s, "digest"), "sha256", &dl);
		if (!name || !dg || !valid_resource_path(name, nl)) {
			seterr(err, errlen, "v0.2 subject %zu is malformed", i);
			return LC_MS_REJECT;
		}
		char *p = strdup(name);
		if (!p || add_item(m, p, 0, 0) != 0)
			return LC_MS_ERROR;
		if (unhex(dg, dl, m->items[m->nitems - 1].digest, 32) != 0) {
			seterr(err, errlen, "v0.2 subject %s: digest is not 64 hex digits", name);
			return LC_MS_REJECT;
		}
	}
	return LC_MS_OK;
}

static int parse_serialization(json_t *ser, lc_ms_manifest *m, char *err, size_t errlen)
{
	const char *method = jstr(ser, "method", NULL);
	const char *hash_type = jstr(ser, "hash_type", NULL);
	json_t *sym = json_object_get(ser, "allow_symlinks");
	if (!method || !hash_type || !json_is_boolean(sym)) {
		seterr(err, errlen, "predicate serialization lacks method, hash_type or allow_symlinks");
		return LC_MS_REJECT;
	}
	m->allow_symlinks = json_is_true(sym);
	if (strcmp(hash_type, "sha256") != 0) {
		seterr(err, errlen, "unsupported hash_type \"%.40s\" (laocoon supports sha256)", hash_type);
		return LC_MS_REJECT;
	}
	if (strcmp(method, "files") == 0) {
		m->method = LC_MS_FILES;
	} else if (strcmp(method, "shards") == 0) {
		m->method = LC_MS_SHARDS;
		json_t *ss = json_object_get(ser, "shard_size");
		double d = json_is_real(ss) ? json_real_value(ss) : json_is_integer(ss) ? (double)json_integer_value(ss) : -1;
		if (!(d >= 1 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) {
			seterr(err, errlen, "shards serialization without a positive integral shard_size");
			return LC_MS_REJECT;
		}
		m->shard_size = (uint64_t)d;
	} else {
		seterr(err, errlen, "unknown serialization method \"%.40s\"", method);
		return LC_MS_REJECT;
	}
	json_t *ign = json_object_get(ser, "ignore_paths");
	if (ign) {
		if (!json_is_array(ign) || json_array_size(ign) > MAX_IGNORES) {
			seterr(err, errlen, "serialization.ignore_paths is not a list of paths");
			return LC_MS_REJECT;
		}
		m->ignore_paths = calloc(json_array_size(ign) + 1, sizeof *m->ignore_paths);
		if (!m->ignore_paths)
			return LC_MS_ERROR;
		for (size_t i = 0; i < json_array_size(ign); i++) {
			json_t *s = json_array_get(ign, i);
			if (!json_is_string(s) || json_string_length(s) > MAX_NAME) {
				seterr(err, errlen, "serialization.ignore_paths holds a non-string");
				return LC_MS_REJECT;
			}
			m->ignore_paths[m->nignore] = strdup(json_string_value(s));
			if (!m->ignore_paths[m->nignore])
				return LC_MS_ERROR;
			m->nignore++;
		}
	}
	return LC_MS_OK;
}

static int parse_resources(json_t *res, lc_ms_manifest *m, const unsigned char want_root[32], char *err, size_t errlen)
{
	char algo[64];
	lc_ms_item_algorithm(m, algo, sizeof algo);
	if (!json_is_array(res) || json_array_size(res) > MAX_ITEMS) {
		seterr(err, errlen, "predicate.resources is not a list");
		return LC_MS_REJECT;
	}
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return LC_MS_ERROR;
	}
	int rc = LC_MS_OK;
	for (size_t i = 0; i < json_array_size(res) && rc == LC_MS_OK; i++) {
		json_t *r = json_array_get(res, i);
		size_t nl = 0, dl = 0;
		const char *name = jstr(r, "name", &nl);
		const char *alg = jstr(r, "algorithm", NULL);
		const char *dg = jstr(r, "digest", &dl);
		if (!name || !alg || !dg || memchr(name, 0, nl)) {
			seterr(err, errlen, "resource %zu lacks name, algorithm or digest", i);
			rc = LC_MS_REJECT;
			break;
		}
		if (strcmp(alg, algo) != 0) {
			seterr(err, errlen, "resource %.200s: algorithm \"%.40s\" does not match the serialization (%s)",
			       name, alg, algo);
			rc = LC_MS_REJECT;
			break;
		}
		uint64_t start = 0, end = 0;
		size_t plen = nl;
		if (m->method == LC_MS_SHARDS) {
			/* "path:start:end", exactly three ':'-separated parts */
			const char *c1 = memchr(name, ':', nl);
			const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(name + nl - c1 - 1)) : NULL;
			if (!c2 || memchr(c2 + 1, ':', (size_t)(name + nl - c2 - 1)) ||
			    parse_u64(c1 + 1, (size_t)(c2 - c1 - 1), &start) != 0 ||
			    parse_u64(c2 + 1, (size_t)(name + nl - c2 - 1), &end) != 0 || start >= end) {
				seterr(err, errlen, "resource %.200s is not path:start:end", name);
				rc = LC_MS_REJECT;
				break;
			}
			plen = (size_t)(c1 - name);
		}
		if (!valid_resource_path(name, plen)) {
			seterr(err, errlen, "resource %.200s: not a model-relative path", name);
			rc = LC_MS_REJECT;
			break;
		}
		char *p = strndup(name, plen);
		if (!p || add_item(m, p, start, end) != 0) {
			rc = LC_MS_ERROR;
			break;
		}
		if (unhex(dg, dl, m->items[m->nitems - 1].digest, 32) != 0) {
			seterr(err, errlen, "resource %.200s: digest is not 64 hex digits", name);
			rc = LC_MS_REJECT;
			break;
		}
		/* the root digest covers the resources in the order they are listed */
		EVP_DigestUpdate(c, m->items[m->nitems - 1].digest, 32);
	}
	unsigned char got[32];
	unsigned int len = 32;
	EVP_DigestFinal_ex(c, got, &len);
	EVP_MD_CTX_free(c);
	if (rc == LC_MS_OK && memcmp(got, want_root, 32) != 0) {
		char a[65], b[65];
		hex(want_root, 32, a);
		hex(got, 32, b);
		seterr(err, errlen, "manifest is inconsistent: root digest is %s but the resources hash to %s", a, b);
		rc = LC_MS_REJECT;
	}
	return rc;
}

int lc_ms_manifest_from_statement(const unsigned char *payload, size_t n, lc_ms_manifest *m, char *err,
				  size_t errlen)
{
	memset(m, 0, sizeof *m);
	json_error_t je;
	json_t *root = json_loadb((const char *)payload, n, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(root)) {
		seterr(err, errlen, "the signed payload is not a JSON object: %s", je.text);
		json_decref(root);
		return LC_MS_REJECT;
	}
	int rc = LC_MS_REJECT;
	const char *type = jstr(root, "_type", NULL);
	const char *ptype = jstr(root, "predicateType", NULL);
	if (!type || strcmp(type, LC_MS_STATEMENT_TYPE) != 0) {
		seterr(err, errlen, "expected an in-toto %s statement", LC_MS_STATEMENT_TYPE);
		goto out;
	}
	if (ptype && strcmp(ptype, LC_MS_PREDICATE_TYPE_V02) == 0) {
		rc = parse_v02(root, m, err, errlen);
		goto sort;
	}
	if (!ptype || strcmp(ptype, LC_MS_PREDICATE_TYPE) != 0) {
		seterr(err, errlen, "predicate type mismatch: expected %s, got %.100s", LC_MS_PREDICATE_TYPE,
		       ptype ? ptype : "(none)");
		goto out;
	}
	json_t *subj = json_object_get(root, "subject");
	if (!json_is_array(subj) || json_array_size(subj) != 1) {
		seterr(err, errlen, "expected exactly one subject");
		goto out;
	}
	size_t dl = 0;
	const char *name = jstr(json_array_get(subj, 0), "name", NULL);
	const char *dg = jstr(json_object_get(json_array_get(subj, 0), "digest"), "sha256", &dl);
	unsigned char want[32];
	if (!name || !dg || unhex(dg, dl, want, 32) != 0) {
		seterr(err, errlen, "the subject lacks a name or a sha256 digest");
		goto out;
	}
	m->model_name = strdup(name);
	json_t *pred = json_object_get(root, "predicate");
	if (!m->model_name || !json_is_object(pred)) {
		seterr(err, errlen, "the statement has no predicate");
		goto out;
	}
	rc = parse_serialization(json_object_get(pred, "serialization"), m, err, errlen);
	if (rc == LC_MS_OK)
		rc = parse_resources(json_object_get(pred, "resources"), m, want, err, errlen);
sort:
	if (rc == LC_MS_OK) {
		if (m->nitems) /* qsort(NULL, 0) is undefined */
			qsort(m->items, m->nitems, sizeof *m->items, item_cmp);
		for (size_t i = 1; i < m->nitems; i++) {
			if (item_cmp(&m->items[i - 1], &m->items[i]) == 0) {
				seterr(err, errlen, "resource %.200s is listed twice", m->items[i].path);
				rc = LC_MS_REJECT;
				break;
			}
		}
	}
out:
	json_decref(root);
	if (rc != LC_MS_OK)
		lc_ms_manifest_free(m);
	return rc;
}

/* ---- PAE ------------------------------------------------------------------- */

unsigned char *lc_ms_pae(const char *type, const unsigned char *body, size_t n, size_t *outlen)
{
	sbuf b = {0};
	lc_buf_printf(&b, "DSSEv1 %zu ", strlen(type));
	lc_buf_puts(&b, type);
	lc_buf_printf(&b, " %zu ", n);
	lc_buf_put(&b, body, n);
	return (unsigned char *)sb_take(&b, outlen);
}

unsigned char *lc_ms_pae_v02(const char *type, const unsigned char *body, size_t n, size_t *outlen)
{
	/* model_signing v0.2 formatted the payload bytes into a str: what got
	 * signed is the Python repr() of the bytes object, b'...' with escapes */
	sbuf b = {0};
	lc_buf_printf(&b, "DSSEV1 %zu ", strlen(type));
	lc_buf_puts(&b, type);
	lc_buf_printf(&b, " %zu ", n);
	char quote = '\'';
	if (memchr(body, '\'', n) && !memchr(body, '"', n))
		quote = '"';
	lc_buf_put(&b, "b", 1);
	lc_buf_put(&b, &quote, 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = body[i];
		if (c == (unsigned char)quote || c == '\\') {
			char e[2] = {'\\', (char)c};
			lc_buf_put(&b, e, 2);
		} else if (c == '\t') {
			lc_buf_puts(&b, "\\t");
		} else if (c == '\n') {
			lc_buf_puts(&b, "\\n");
		} else if (c == '\r') {
			lc_buf_puts(&b, "\\r");
		} else if (c < 0x20 || c >= 0x7f) {
			lc_buf_printf(&b, "\\x%02x", c);
		} else {
			lc_buf_put(&b, &c, 1);
		}
	}
	lc_buf_put(&b, &quote, 1);
	return (unsigned char *)sb_take(&b, outlen);
}

/* ---- base64 ---------------------------------------------------------------- */

char *lc_ms_b64_encode(const unsigned char *data, size_t n)
{
	if (n > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	size_t olen = 4 * ((n + 2) / 3);
	char *out = malloc(olen + 1);
	if (!out)
		return NULL;
	int k = EVP_EncodeBlock((unsigned char *)out, data, (int)n);
	if (k < 0 || (size_t)k != olen) {
		free(out);
		return NULL;
	}
	out[olen] = 0;
	return out;
}

int lc_ms_b64_decode(const char *s, size_t slen, unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (slen > (size_t)INT_MAX / 2)
		return -1;
	/* canonicalize: URL-safe alphabet to standard, padding restored; any
	 * other byte (whitespace included) is a rejection */
	size_t pad = 0;
	while (pad < 2 && pad < slen && s[slen - 1 - pad] == '=')
		pad++;
	size_t body = slen - pad;
	if (body % 4 == 1 || (pad && (body + pad) % 4 != 0))
		return -1;
	size_t full = body + (4 - body % 4) % 4;
	char *t = malloc(full + 1);
	if (!t)
		return -1;
	for (size_t i = 0; i < body; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '/')) {
			free(t);
			return -1;
		}
		t[i] = c;
	}
	for (size_t i = body; i < full; i++)
		t[i] = '=';
	t[full] = 0;
	unsigned char *o = malloc(full / 4 * 3 + 1);
	if (!o) {
		free(t);
		return -1;
	}
	int k = full ? EVP_DecodeBlock(o, (unsigned char *)t, (int)full) : 0;
	free(t);
	if (k < 0) {
		free(o);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes: take them off */
	size_t missing = (4 - body % 4) % 4;
	*out = o;
	*outlen = (size_t)k - missing;
	return 0;
}

/* ---- keys and certificates ------------------------------------------------ */

static void ossl_err(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[200] = "";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	seterr(err, errlen, "%s %s%s%s", what, path, buf[0] ? ": " : "", buf);
}

static const char *ec_curve(EVP_PKEY *k)
{
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		return NULL;
	size_t len = 0;
	char tmp[64];
	if (EVP_PKEY_get_group_name(k, tmp, sizeof tmp, &len) != 1)
		return NULL;
	if (strcmp(tmp, "prime256v1") == 0 || strcmp(tmp, "P-256") == 0)
		return "P-256";
	if (strcmp(tmp, "secp384r1") == 0 || strcmp(tmp, "P-384") == 0)
		return "P-384";
	if (strcmp(tmp, "secp521r1") == 0 || strcmp(tmp, "P-521") == 0)
		return "P-521";
	return NULL;
}

/* The reference signs with the hash that matches the curve size. */
static const EVP_MD *md_for_key(EVP_PKEY *k)
{
	const char *c = ec_curve(k);
	if (!c)
		return NULL;
	if (strcmp(c, "P-256") == 0)
		return EVP_sha256();
	if (strcmp(c, "P-384") == 0)
		return EVP_sha384();
	return EVP_sha512();
}

static int pw_cb(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	const char *pw = u;
	if (!pw)
		return -1; /* encrypted key and no password: fail, never prompt */
	size_t n = strlen(pw);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw, n);
	return (int)n;
}

EVP_PKEY *lc_ms_load_private_key(const char *path, const char *password, char *err, size_t errlen)
{
	BIO *b = BIO_new_file(path, "rb");
	if (!b) {
		ossl_err(err, errlen, "cannot read private key", path);
		return NULL;
	}
	/* PEM_read skips any text before "-----BEGIN" (certtool preambles) */
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, pw_cb, (void *)password);
	BIO_free(b);
	if (!k) {
		ossl_err(err, errlen, "not a PEM private key (or wrong password):", path);
		return NULL;
	}
	if (!ec_curve(k)) {
		seterr(err, errlen, "%s: only elliptic-curve keys on P-256, P-384 or P-521 are supported", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *lc_ms_load_public_key(const char *path, char *err, size_t errlen)
{
	BIO *b = BIO_new_file(path, "rb");
	if (!b) {
		ossl_err(err, errlen, "cannot read public key", path);
		return NULL;
	}
	EVP_PKEY *k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	if (!k) {
		ERR_clear_error();
		(void)BIO_reset(b);
		k = d2i_PUBKEY_bio(b, NULL);
	}
	BIO_free(b);
	if (!k) {
		ossl_err(err, errlen, "not a PEM or DER public key:", path);
		return NULL;
	}
	if (!ec_curve(k)) {
		seterr(err, errlen, "%s: only elliptic-curve keys on P-256, P-384 or P-521 are supported", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int lc_ms_load_certs(const char *path, STACK_OF(X509) **certs, char *err, size_t errlen)
{
	BIO *b = BIO_new_file(path, "rb");
	if (!b) {
		ossl_err(err, errlen, "cannot read certificates", path);
		return -1;
	}
	if (!*certs)
		*certs = sk_X509_new_null();
	int n = 0;
	X509 *x;
	while (*certs && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(*certs) >= 4 * MAX_CHAIN || !sk_X509_push(*certs, x)) {
			X509_free(x);
			break;
		}
		n++;
	}
	ERR_clear_error(); /* the end of the file reads as "no start line" */
	BIO_free(b);
	if (n == 0) {
		seterr(err, errlen, "no PEM certificate in %s", path);
		return -1;
	}
	return 0;
}

int lc_ms_key_hint(EVP_PKEY *pub, char out[65])
{
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PUBKEY(b, pub) != 1) {
		BIO_free(b);
		return -1;
	}
	char *data;
	long n = BIO_get_mem_data(b, &data);
	unsigned char md[32];
	lc_sha256(data, (size_t)n, md);
	hex(md, 32, out);
	BIO_free(b);
	return 0;
}

/* ---- signing ----------------------------------------------------------------- */

static unsigned char *ec_sign(EVP_PKEY *key, const unsigned char *tbs, size_t n, size_t *siglen)
{
	const EVP_MD *md = md_for_key(key);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t len = 0;
	if (c && md && EVP_DigestSignInit(c, NULL, md, NULL, key) == 1 && EVP_DigestSign(c, NULL, &len, tbs, n) == 1 &&
	    (sig = malloc(len)) != NULL && EVP_DigestSign(c, sig, &len, tbs, n) == 1) {
		*siglen = len;
	} else {
		free(sig);
		sig = NULL;
	}
	EVP_MD_CTX_free(c);
	return sig;
}

static json_t *cert_json(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	if (n <= 0)
		return NULL;
	char *b = lc_ms_b64_encode(der, (size_t)n);
	OPENSSL_free(der);
	if (!b)
		return NULL;
	json_t *o = json_pack("{s:s}", "rawBytes", b);
	free(b);
	return o;
}

char *lc_ms_sign(const lc_ms_manifest *m, EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, char *err, size_t errlen)
{
	if (!md_for_key(key)) {
		seterr(err, errlen, "only elliptic-curve keys on P-256, P-384 or P-521 are supported");
		return NULL;
	}
	if (cert && EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1) {
		seterr(err, errlen, "the signing certificate does not belong to the private key");
		return NULL;
	}
	size_t plen = 0, paelen = 0, siglen = 0;
	char *payload = lc_ms_statement_json(m, &plen);
	unsigned char *pae = payload ? lc_ms_pae(LC_MS_PAYLOAD_TYPE, (unsigned char *)payload, plen, &paelen) : NULL;
	unsigned char *sig = pae ? ec_sign(key, pae, paelen, &siglen) : NULL;
	char *p64 = payload ? lc_ms_b64_encode((unsigned char *)payload, plen) : NULL;
	char *s64 = sig ? lc_ms_b64_encode(sig, siglen) : NULL;
	char *out = NULL;
	json_t *vm = NULL, *root = NULL;
	if (!p64 || !s64) {
		seterr(err, errlen, "signing failed");
		goto done;
	}
	if (cert) {
		json_t *certs = json_array();
		json_array_append_new(certs, cert_json(cert));
		for (int i = 0; chain && i < sk_X509_num(chain); i++)
			json_array_append_new(certs, cert_json(sk_X509_value(chain, i)));
		if ((size_t)(chain ? sk_X509_num(chain) : 0) + 1 != json_array_size(certs)) {
			json_decref(certs);
			seterr(err, errlen, "cannot encode the certificate chain");
			goto done;
		}
		vm = json_pack("{s:{s:o},s:[]}", "x509CertificateChain", "certificates", certs, "tlogEntries");
	} else {
		char hint[65];
		if (lc_ms_key_hint(key, hint) != 0) {
			seterr(err, errlen, "cannot encode the public key");
			goto done;
		}
		vm = json_pack("{s:{s:s},s:[]}", "publicKey", "hint", hint, "tlogEntries");
	}
	root = json_pack("{s:s,s:o,s:{s:s,s:s,s:[{s:s,s:s}]}}", "mediaType", LC_MS_BUNDLE_MEDIA_TYPE,
			 "verificationMaterial", vm, "dsseEnvelope", "payload", p64, "payloadType", LC_MS_PAYLOAD_TYPE,
			 "signatures", "sig", s64, "keyid", "");
	vm = NULL; /* owned by root (or freed by json_pack on failure) */
	if (root)
		out = json_dumps(root, JSON_COMPACT);
	if (!out)
		seterr(err, errlen, "cannot encode the bundle");
done:
	json_decref(root);
	json_decref(vm);
	free(payload);
	free(pae);
	free(sig);
	free(p64);
	free(s64);
	return out;
}

/* ---- verification -------------------------------------------------------- */

static int ec_verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *sig, size_t siglen,
		     const unsigned char *tbs, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestVerifyInit(c, NULL, md, NULL, key) == 1 && EVP_DigestVerify(c, sig, siglen, tbs, n) == 1;
	EVP_MD_CTX_free(c);
	ERR_clear_error();
	return ok;
}

/* Standard PAE with the curve's hash; then the v0.2 PAE, which key bundles
 * signed with the curve's hash and certificate bundles with SHA-256. */
static int check_dsse(EVP_PKEY *key, const unsigned char *payload, size_t plen, const unsigned char *sig,
		      size_t siglen, const EVP_MD *v02_md)
{
	const EVP_MD *md = md_for_key(key);
	if (!md)
		return 0;
	size_t n = 0;
	unsigned char *pae = lc_ms_pae(LC_MS_PAYLOAD_TYPE, payload, plen, &n);
	int ok = pae && ec_verify(key, md, sig, siglen, pae, n);
	free(pae);
	if (ok)
		return 1;
	pae = lc_ms_pae_v02(LC_MS_PAYLOAD_TYPE, payload, plen, &n);
	ok = pae && ec_verify(key, v02_md ? v02_md : md, sig, siglen, pae, n);
	free(pae);
	return ok;
}

static X509 *der_cert(json_t *c)
{
	size_t sl = 0;
	const char *s = jstr(c, "rawBytes", &sl);
	unsigned char *der = NULL;
	size_t n = 0;
	if (!s || lc_ms_b64_decode(s, sl, &der, &n) != 0 || n > 64 * 1024 || n > LONG_MAX) {
		free(der);
		return NULL;
	}
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)n);
	if (x && p != der + n) { /* trailing bytes: not a certificate */
		X509_free(x);
		x = NULL;
	}
	free(der);
	return x;
}

static int check_chain(json_t *vm, const lc_ms_verify_opts *o, EVP_PKEY **leaf_key, char *err, size_t errlen)
{
	json_t *certs = json_object_get(json_object_get(vm, "x509CertificateChain"), "certificates");
	if (!json_is_array(certs) || json_array_size(certs) == 0) {
		seterr(err, errlen, "the bundle has no certificate chain (was it signed with a key?)");
		return LC_MS_REJECT;
	}
	if (json_array_size(certs) > MAX_CHAIN) {
		seterr(err, errlen, "the certificate chain is longer than %d", MAX_CHAIN);
		return LC_MS_REJECT;
	}
	if (!o->trust || sk_X509_num(o->trust) == 0) {
		seterr(err, errlen, "no trust anchors given (--certificate-chain)");
		return LC_MS_ERROR;
	}
	int rc = LC_MS_REJECT;
	X509 *leaf = der_cert(json_array_get(certs, 0));
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!leaf) {
		seterr(err, errlen, "the signing certificate is not DER X.509");
		goto out;
	}
	if (!untrusted || !store || !ctx) {
		rc = LC_MS_ERROR;
		goto out;
	}
	for (size_t i = 1; i < json_array_size(certs); i++) {
		X509 *x = der_cert(json_array_get(certs, i));
		if (!x || !sk_X509_push(untrusted, x)) {
			X509_free(x);
			seterr(err, errlen, "certificate %zu of the chain is not DER X.509", i);
			goto out;
		}
	}
	for (int i = 0; i < sk_X509_num(o->trust); i++)
		X509_STORE_add_cert(store, sk_X509_value(o->trust, i));
	ERR_clear_error();
	/* The reference checks the chain at the leaf's notBefore: a signature
	 * stays valid after its short-lived certificate expires. */
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm) != 1) {
		seterr(err, errlen, "the signing certificate has an unreadable notBefore");
		goto out;
	}
	time_t t = timegm(&tm);
	if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
		rc = LC_MS_ERROR;
		goto out;
	}
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), t);
	if (X509_verify_cert(ctx) != 1) {
		seterr(err, errlen, "certificate chain not trusted: %s",
		       X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	/* Key usage as the reference: KeyUsage must be present; digitalSignature,
	 * or else ExtendedKeyUsage codeSigning, allows signing. */
	uint32_t xflags = X509_get_extension_flags(leaf);
	if (!(xflags & EXFLAG_KUSAGE)) {
		seterr(err, errlen, "the signing certificate has no KeyUsage extension");
		goto out;
	}
	int can_sign = (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) != 0;
	if (!can_sign && (xflags & EXFLAG_XKUSAGE))
		can_sign = (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN) != 0;
	if (!can_sign) {
		seterr(err, errlen, "the signing certificate cannot be used for signing (KeyUsage/EKU)");
		goto out;
	}
	EVP_PKEY *k = X509_get_pubkey(leaf);
	if (!md_for_key(k)) {
		EVP_PKEY_free(k);
		seterr(err, errlen, "the signing certificate's key is not EC P-256, P-384 or P-521");
		goto out;
	}
	*leaf_key = k;
	rc = LC_MS_OK;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	return rc;
}

int lc_ms_verify_bundle(const unsigned char *data, size_t n, const lc_ms_verify_opts *o, lc_ms_manifest *expected,
			char *err, size_t errlen)
{
	memset(expected, 0, sizeof *expected);
	if (n > LC_MS_MAX_BUNDLE) {
		seterr(err, errlen, "the signature file is larger than %u bytes", LC_MS_MAX_BUNDLE);
		return LC_MS_REJECT;
	}
	json_error_t je;
	json_t *root = json_loadb((const char *)data, n, JSON_REJECT_DUPLICATES, &je);
	unsigned char *payload = NULL, *sig = NULL;
	size_t plen = 0, siglen = 0;
	EVP_PKEY *leaf_key = NULL;
	int rc = LC_MS_REJECT;
	if (!json_is_object(root)) {
		seterr(err, errlen, "the signature is not a JSON object (line %d: %s)", je.line, je.text);
		goto out;
	}
	const char *mt = jstr(root, "mediaType", NULL);
	if (!mt || strcmp(mt, LC_MS_BUNDLE_MEDIA_TYPE) != 0) {
		seterr(err, errlen, "invalid sigstore bundle: media type %.80s, expected %s", mt ? mt : "(none)",
		       LC_MS_BUNDLE_MEDIA_TYPE);
		goto out;
	}
	json_t *vm = json_object_get(root, "verificationMaterial");
	json_t *env = json_object_get(root, "dsseEnvelope");
	if (!json_is_object(vm) || !json_is_object(env)) {
		seterr(err, errlen, "the bundle lacks verificationMaterial or a DSSE envelope");
		goto out;
	}
	size_t p64len = 0;
	const char *p64 = jstr(env, "payload", &p64len);
	const char *ptype = jstr(env, "payloadType", NULL);
	json_t *sigs = json_object_get(env, "signatures");
	if (!p64 || !ptype || !json_is_array(sigs) || json_array_size(sigs) != 1) {
		seterr(err, errlen, "the DSSE envelope needs a payload, a payloadType and exactly one signature");
		goto out;
	}
	size_t s64len = 0;
	const char *s64 = jstr(json_array_get(sigs, 0), "sig", &s64len);
	if (!s64 || lc_ms_b64_decode(p64, p64len, &payload, &plen) != 0 ||
	    lc_ms_b64_decode(s64, s64len, &sig, &siglen) != 0) {
		seterr(err, errlen, "the DSSE payload or signature is not base64");
		goto out;
	}

	int sig_ok = 0;
	if (o->mode == LC_MS_MODE_SIGSTORE) {
		/* keyless: Fulcio chain, SCT, Rekor entry, identity and the DSSE
		 * signature, all offline against the given trust root */
		if (json_object_get(vm, "publicKey") || json_object_get(vm, "x509CertificateChain")) {
			seterr(err, errlen, "the bundle has no keyless verification material "
					    "(was it signed with a key or a certificate chain?)");
			goto out;
		}
		rc = lc_ss_verify_bundle(root, payload, plen, ptype, sig, siglen, o->sigstore_trust, o->identity,
					 o->issuer, o->warn, o->sigstore_result, err, errlen);
		if (rc != LC_MS_OK)
			goto out;
		rc = LC_MS_REJECT;
		sig_ok = 1;
	} else if (o->mode == LC_MS_MODE_KEY) {
		json_t *pk = json_object_get(vm, "publicKey");
		if (!json_is_object(pk) || json_object_get(vm, "x509CertificateChain") ||
		    json_object_get(vm, "certificate")) {
			seterr(err, errlen, "the bundle has no public-key verification material "
					    "(was it signed with a certificate?)");
			goto out;
		}
		if (!o->public_key) {
			rc = LC_MS_ERROR;
			goto out;
		}
		const char *hint = jstr(pk, "hint", NULL);
		if (hint && hint[0]) {
			char want[65];
			if (lc_ms_key_hint(o->public_key, want) != 0) {
				rc = LC_MS_ERROR;
				goto out;
			}
			if (strcmp(hint, want) != 0) {
				seterr(err, errlen, "key mismatch: the signature's public key hint %.64s is not the "
						    "given key's %s", hint, want);
				goto out;
			}
		} else if (o->warn) {
			fprintf(o->warn, "laocoon: warning: this signature uses the older verification material "
					 "format (no public key hint); re-sign it with a current signer\n");
		}
		sig_ok = check_dsse(o->public_key, payload, plen, sig, siglen, NULL);
	} else {
		rc = check_chain(vm, o, &leaf_key, err, errlen);
		if (rc != LC_MS_OK)
			goto out;
		rc = LC_MS_REJECT;
		sig_ok = check_dsse(leaf_key, payload, plen, sig, siglen, EVP_sha256());
	}
	if (!sig_ok) {
		seterr(err, errlen, "the signature does not verify over the DSSE envelope");
		goto out;
	}
	if (strcmp(ptype, LC_MS_PAYLOAD_TYPE) != 0) {
		seterr(err, errlen, "expected DSSE payload type %s, got %.80s", LC_MS_PAYLOAD_TYPE, ptype);
		goto out;
	}
	rc = lc_ms_manifest_from_statement(payload, plen, expected, err, errlen);
out:
	EVP_PKEY_free(leaf_key);
	free(payload);
	free(sig);
	json_decref(root);
	return rc;
}

/* ---- comparison -------------------------------------------------------------- */

typedef struct {
	const char *path;
	unsigned char fp[32]; /* the file digest (files) or a digest of its shards */
	int paired;
} pentry;

static int pentry_fp_cmp(const void *x, const void *y)
{
	const pentry *a = *(pentry *const *)x, *b = *(pentry *const *)y;
	int c = memcmp(a->fp, b->fp, 32);
	return c ? c : path_cmp(a->path, b->path);
}

static int pentry_path_cmp(const void *x, const void *y)
{
	return path_cmp((*(pentry *const *)x)->path, (*(pentry *const *)y)->path);
}

static pentry *by_path(const lc_ms_manifest *m, size_t *n)
{
	pentry *v = calloc(m->nitems ? m->nitems : 1, sizeof *v);
	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < m->nitems;) {
		size_t j = i;
		while (j < m->nitems && strcmp(m->items[j].path, m->items[i].path) == 0)
			j++;
		pentry *e = &v[(*n)++];
		e->path = m->items[i].path;
		if (m->method == LC_MS_FILES && j == i + 1) {
			memcpy(e->fp, m->items[i].digest, 32);
		} else {
			/* shards: a file is the same when all its ranges and digests are */
			EVP_MD_CTX *c = EVP_MD_CTX_new();
			unsigned int len = 32;
			if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
				for (size_t k = i; k < j; k++) {
					uint64_t r[2] = {m->items[k].start, m->items[k].end};
					EVP_DigestUpdate(c, r, sizeof r);
					EVP_DigestUpdate(c, m->items[k].digest, 32);
				}
				EVP_DigestFinal_ex(c, e->fp, &len);
			}
			EVP_MD_CTX_free(c);
		}
		i = j;
	}
	return v;
}

size_t lc_ms_compare(const lc_ms_manifest *exp, const lc_ms_manifest *act, FILE *out, int digests)
{
	size_t ne = 0, na = 0, diffs = 0;
	pentry *e = by_path(exp, &ne), *a = by_path(act, &na);
	const char *kind = exp->method == LC_MS_SHARDS ? "sha256(shards)" : "sha256";
	if (!e || !a) {
		free(e);
		free(a);
		if (out)
			fprintf(out, "out of memory while comparing the manifests\n");
		return 1;
	}
	char h1[65], h2[65];
	/* renames first: a signed file that is missing and an unsigned file with
	 * exactly the same content */
	size_t i = 0, k = 0;
	pentry **missing = calloc(ne + 1, sizeof *missing), **added = calloc(na + 1, sizeof *added);
	size_t nm = 0, nadd = 0;
	while (missing && added && (i < ne || k < na)) {
		int c = i >= ne ? 1 : k >= na ? -1 : path_cmp(e[i].path, a[k].path);
		if (c == 0) {
			if (memcmp(e[i].fp, a[k].fp, 32) != 0) {
				diffs++;
				if (out) {
					fprintf(out, "modified: %s", e[i].path);
					if (digests) {
						hex(e[i].fp, 32, h1);
						hex(a[k].fp, 32, h2);
						fprintf(out, " (signed %s:%s, now %s:%s)", kind, h1, kind, h2);
					}
					fputc('\n', out);
				}
			}
			i++;
			k++;
		} else if (c < 0) {
			missing[nm++] = &e[i++];
		} else {
			added[nadd++] = &a[k++];
		}
	}
	/* pair by content: sort the added files by digest, binary-search each
	 * missing one (a hostile manifest can list millions of files) */
	if (added)
		qsort(added, nadd, sizeof *added, pentry_fp_cmp);
	for (size_t x = 0; x < nm && added; x++) {
		size_t lo = 0, hi = nadd;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (memcmp(added[mid]->fp, missing[x]->fp, 32) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t y = lo; y < nadd && memcmp(added[y]->fp, missing[x]->fp, 32) == 0; y++) {
			if (added[y]->paired)
				continue;
			missing[x]->paired = added[y]->paired = 1;
			diffs++;
			if (out) {
				fprintf(out, "renamed: %s -> %s", missing[x]->path, added[y]->path);
				if (digests) {
					hex(missing[x]->fp, 32, h1);
					fprintf(out, " (%s:%s)", kind, h1);
				}
				fputc('\n', out);
			}
			break;
		}
	}
	if (added)
		qsort(added, nadd, sizeof *added, pentry_path_cmp);
	for (size_t x = 0; x < nm; x++) {
		if (missing[x]->paired)
			continue;
		diffs++;
		if (out) {
			fprintf(out, "missing: %s (signed, not in the model)", missing[x]->path);
			if (digests) {
				hex(missing[x]->fp, 32, h1);
				fprintf(out, " (signed %s:%s)", kind, h1);
			}
			fputc('\n', out);
		}
	}
	for (size_t y = 0; y < nadd; y++) {
		if (added[y]->paired)
			continue;
		diffs++;
		if (out) {
			fprintf(out, "added: %s (in the model, not signed)", added[y]->path);
			if (digests) {
				hex(added[y]->fp, 32, h1);
				fprintf(out, " (now %s:%s)", kind, h1);
			}
			fputc('\n', out);
		}
	}
	if (!missing || !added)
		diffs++;
	free(missing);
	free(added);
	free(e);
	free(a);
	return diffs;
}
