/*
 * `laocoon diff OLD NEW` (src/supply/diff.c).
 *
 * What changed between two versions of a dataset or model directory, and in
 * particular the signature of a label-flipping poisoning attack: the same
 * samples, different labels.
 *
 * Files are compared by SHA-256.  Changed JSONL and CSV files are compared
 * row by row without keeping either file in memory: each row is reduced to
 * 128-bit truncated SHA-256 digests (whole row, row without the label, id
 * key) plus an interned label, about 64 bytes a row.  A cryptographic digest
 * matters here: with a fast non-cryptographic hash an attacker could craft a
 * poisoned row that collides with the original and so hides the change.
 *
 * Row matching: by an id-like key when both files have one (JSONL objects:
 * "id", "uuid", ...; CSV: a header column of that name; or --key), the k-th
 * row with a key pairing with the k-th row with the same key on the other
 * side.  Otherwise rows are first matched by content (a moved row is not a
 * change), then the rows left over are paired by row index.  A pair with
 * different content is a changed row; with --label-field, a changed pair
 * whose labels differ is a label flip, "label-only" when nothing else in
 * the row changed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lc.h"
#include "supply/diff.h"

#define DF_MAX_FILES 1000000u     /* per side */
#define DF_MAX_DEPTH 64
#define DF_MAX_RECORD (64u << 20) /* one JSONL line / CSV record */
#define DF_MAX_ROWS 100000000ull  /* per file: 6.4 GB of digests is the end of reasonable */
#define DF_MAX_LABELS 100000u     /* distinct label values tracked */
#define DF_MAX_FLIP_LIST 50       /* flip kinds printed in text */

/* ---- SHA-256 ------------------------------------------------------------- */

static EVP_MD *sha256_md(void)
{
	static EVP_MD *md;
	if (!md)
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	return md;
}

static int sha_file(const char *path, uint8_t out[32], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t *buf = malloc(1u << 20);
	int rc = 0;
	*size = 0;
	if (!c || !buf || !sha256_md() || EVP_DigestInit_ex(c, sha256_md(), NULL) != 1) {
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
		*size += (uint64_t)k;
		if (EVP_DigestUpdate(c, buf, (size_t)k) != 1) {
			rc = EIO;
			goto out;
		}
	}
	unsigned n = 0;
	if (EVP_DigestFinal_ex(c, out, &n) != 1 || n != 32)
		rc = EIO;
out:
	EVP_MD_CTX_free(c);
	free(buf);
	close(fd);
	return rc;
}

/* 128-bit digest of a byte string (truncated SHA-256). */
static void dig(const void *p, size_t n, uint8_t out[16])
{
	uint8_t md[32];
	unsigned l = 0;
	if (!sha256_md() || EVP_Digest(p, n, md, &l, sha256_md(), NULL) != 1)
		memset(md, 0, sizeof md);
	memcpy(out, md, 16);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- file lists ------------------------------------------------------------ */

typedef struct df_file {
	char *rel;
	uint8_t sha[32];
	uint64_t size;
	int err; /* errno of hashing, 0 ok */
} df_file;

typedef struct df_side {
	const char *root;
	int manifest; /* OLD given as a manifest: no content */
	df_file *f;
	size_t n, cap;
	size_t skipped; /* symlinks and special files */
} df_side;

static int side_add(df_side *s, char *rel)
{
	if (!rel)
		return -1;
	if (s->n >= DF_MAX_FILES) {
		free(rel);
		return -2;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		df_file *p = realloc(s->f, nc * sizeof *p);
		if (!p) {
			free(rel);
			return -1;
		}
		s->f = p;
		s->cap = nc;
	}
	memset(&s->f[s->n], 0, sizeof s->f[s->n]);
	s->f[s->n++].rel = rel;
	return 0;
}

/* Regular files under dir (relative names), not following symlinks; .git
 * is skipped (repository internals are not the dataset). */
static int walk(df_side *s, const char *rel, int depth, FILE *log)
{
	if (depth > DF_MAX_DEPTH) {
		fprintf(log, "laocoon: diff: %s/%s: directories nested deeper than %d\n", s->root, rel, DF_MAX_DEPTH);
		return -1;
	}
	char *dir = rel[0] ? lc_strdup_printf("%s/%s", s->root, rel) : lc_strdup_printf("%s", s->root);
	if (!dir)
		return -1;
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(log, "laocoon: diff: cannot open directory %s: %s\n", dir, strerror(errno));
		free(dir);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, ".git") == 0)
			continue;
		char *child = rel[0] ? lc_strdup_printf("%s/%s", rel, e->d_name) : lc_strdup_printf("%s", e->d_name);
		char *full = child ? lc_strdup_printf("%s/%s", s->root, child) : NULL;
		struct stat st;
		if (!full) {
			free(child);
			rc = -1;
			break;
		}
		if (lstat(full, &st) != 0) {
			fprintf(log, "laocoon: diff: cannot stat %s: %s\n", full, strerror(errno));
			free(child);
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(s, child, depth + 1, log);
			free(child);
		} else if (S_ISREG(st.st_mode)) {
			int a = side_add(s, child);
			if (a == -2)
				fprintf(log, "laocoon: diff: %s holds more than %u files\n", s->root, DF_MAX_FILES);
			rc = a ? -1 : 0;
		} else {
			s->skipped++;
			free(child);
		}
		free(full);
	}
	closedir(d);
	free(dir);
	return rc;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const df_file *)a)->rel, ((const df_file *)b)->rel);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* OLD as a manifest: {"relative/path": "sha256 hex", ...}. */
static int load_manifest(df_side *s, FILE *log)
{
	json_error_t je;
	json_t *j = json_load_file(s->root, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		fprintf(log, "laocoon: diff: %s is not a JSON manifest {\"path\": \"sha256\"}: %s (line %d)\n", s->root,
			j ? "not an object" : je.text, j ? 0 : je.line);
		json_decref(j);
		return -1;
	}
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach(j, k, v) {
		const char *h = json_string_value(v);
		const char *rel = k;
		while (rel[0] == '.' && rel[1] == '/')
			rel += 2;
		if (!h || strlen(h) != 64) {
			fprintf(log, "laocoon: diff: manifest entry %s is not a SHA-256 hex string\n", k);
			rc = -1;
			break;
		}
		if (side_add(s, strdup(rel)) != 0) {
			rc = -1;
			break;
		}
		df_file *f = &s->f[s->n - 1];
		for (int i = 0; i < 32 && rc == 0; i++) {
			int hi = hexval((unsigned char)h[2 * i]), lo = hexval((unsigned char)h[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				fprintf(log, "laocoon: diff: manifest entry %s is not a SHA-256 hex string\n", k);
				rc = -1;
			}
			f->sha[i] = (uint8_t)(hi * 16 + lo);
		}
		if (rc)
			break;
	}
	json_decref(j);
	return rc;
}

static int load_side(df_side *s, const char *path, int allow_manifest, FILE *log)
{
	struct stat st;
	s->root = path;
	if (stat(path, &st) != 0) {
		fprintf(log, "laocoon: diff: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode) && allow_manifest) {
		s->manifest = 1;
		if (load_manifest(s, log) != 0)
			return -1;
	} else if (S_ISDIR(st.st_mode)) {
		if (walk(s, "", 0, log) != 0)
			return -1;
		for (size_t i = 0; i < s->n; i++) {
			char *full = lc_strdup_printf("%s/%s", path, s->f[i].rel);
			if (!full)
				return -1;
			s->f[i].err = sha_file(full, s->f[i].sha, &s->f[i].size);
			if (s->f[i].err)
				fprintf(log, "laocoon: diff: cannot read %s: %s\n", full, strerror(s->f[i].err));
			free(full);
			if (s->f[i].err)
				return -1;
		}
	} else {
		fprintf(log, "laocoon: diff: %s is not a directory%s\n", path, allow_manifest ? " or a manifest" : "");
		return -1;
	}
	if (s->n > 1)
		qsort(s->f, s->n, sizeof *s->f, cmp_file);
	for (size_t i = 1; i < s->n; i++)
		if (strcmp(s->f[i - 1].rel, s->f[i].rel) == 0) {
			fprintf(log, "laocoon: diff: %s lists %s twice\n", path, s->f[i].rel);
			return -1;
		}
	return 0;
}

static void side_free(df_side *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->f[i].rel);
	free(s->f);
}

/* ---- labels ------------------------------------------------------------------ */

typedef struct labels {
	char **s;       /* id -> string (id 0 unused) */
	uint32_t n;     /* ids in use, including 0 */
	uint32_t *slot; /* open addressing: id, 0 = empty */
	size_t cap;     /* slots (power of two) */
	int full;       /* DF_MAX_LABELS reached: further values are not tracked */
} labels;

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

/* Interned id of a label value (1..), or 0 when it cannot be tracked. */
static uint32_t label_id(labels *t, const char *v, size_t n)
{
	if (t->cap == 0) {
		t->slot = calloc(1024, sizeof *t->slot);
		t->s = calloc(1, sizeof *t->s);
		if (!t->slot || !t->s)
			return 0;
		t->cap = 1024;
		t->n = 1;
	}
	size_t m = t->cap - 1, i = (size_t)fnv1a(v, n) & m;
	while (t->slot[i]) {
		const char *s = t->s[t->slot[i]];
		if (strlen(s) == n && memcmp(s, v, n) == 0)
			return t->slot[i];
		i = (i + 1) & m;
	}
	if (t->n > DF_MAX_LABELS) {
		t->full = 1;
		return 0;
	}
	char **ns = realloc(t->s, ((size_t)t->n + 1) * sizeof *ns);
	if (!ns)
		return 0;
	t->s = ns;
	if (!(t->s[t->n] = lc_strndup(v, n)))
		return 0;
	t->slot[i] = t->n;
	uint32_t id = t->n++;
	if ((size_t)t->n * 2 > t->cap) { /* rehash */
		size_t nc = t->cap * 2;
		uint32_t *sl = calloc(nc, sizeof *sl);
		if (sl) {
			for (uint32_t k = 1; k < t->n; k++) {
				size_t j = (size_t)fnv1a(t->s[k], strlen(t->s[k])) & (nc - 1);
				while (sl[j])
					j = (j + 1) & (nc - 1);
				sl[j] = k;
			}
			free(t->slot);
			t->slot = sl;
			t->cap = nc;
		}
	}
	return id;
}

static void labels_free(labels *t)
{
	for (uint32_t i = 1; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slot);
}

/* ---- rows ---------------------------------------------------------------------- */

typedef struct row {
	uint8_t h[16];  /* the whole row */
	uint8_t hx[16]; /* the row without its label */
	uint8_t k[16];  /* the key value */
	uint32_t label; /* interned, 0 = none */
	uint8_t has_key, has_label, matched;
	uint64_t idx;
} row;

typedef struct rows {
	row *r;
	size_t n, cap;
} rows;

typedef struct flip {
	uint32_t from, to;
	uint64_t count;
} flip;

typedef struct rowdiff {
	const char *format;  /* "jsonl" or "csv" */
	char *key;           /* key field used, NULL = content then index */
	int label_found;     /* the label field exists in both files */
	uint64_t old_rows, new_rows, added, removed, changed, unchanged, flips, label_only;
	flip *fl;
	size_t nfl, capfl;
	uint64_t *hist_old, *hist_new; /* per label id */
	labels lt;           /* label values of both files */
	char *error;
} rowdiff;

/* Record reader: one JSONL line, or one CSV record (quoted fields may hold
 * newlines). */
typedef struct reader {
	FILE *f;
	char *line;
	size_t lcap;
	lc_buf rec;
	int csv;
	uint64_t lineno;
} reader;

/* 1 record in r->rec, 0 end of file, -1 error (message in err). */
static int next_record(reader *r, char *err, size_t errlen)
{
	r->rec.len = 0;
	int quotes = 0;
	for (;;) {
		errno = 0;
		ssize_t k = getline(&r->line, &r->lcap, r->f);
		if (k < 0) {
			if (errno) {
				snprintf(err, errlen, "read error: %s", strerror(errno));
				return -1;
			}
			if (r->rec.len == 0)
				return 0;
			break; /* an unterminated quote runs to the end: keep what we have */
		}
		r->lineno++;
		if ((size_t)k + r->rec.len > DF_MAX_RECORD) {
			snprintf(err, errlen, "line %llu: record longer than %u bytes", (unsigned long long)r->lineno,
				 DF_MAX_RECORD);
			return -1;
		}
		for (ssize_t i = 0; r->csv && i < k; i++)
			quotes ^= r->line[i] == '"';
		lc_buf_put(&r->rec, r->line, (size_t)k);
		if (r->rec.oom) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (!r->csv || !quotes)
			break;
	}
	/* Strip the line end; a record is its bytes without it. */
	while (r->rec.len > 0 && (r->rec.p[r->rec.len - 1] == '\n' || r->rec.p[r->rec.len - 1] == '\r'))
		r->rec.len--;
	lc_buf_put(&r->rec, "", 1); /* NUL for parsers */
	if (r->rec.oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->rec.len--;
	return 1;
}

/* CSV fields of a record (RFC 4180 quoting), as [start, len) pairs into a
 * scratch buffer holding the unquoted values. */
typedef struct fields {
	lc_buf val;
	size_t *off, *len;
	size_t n, cap;
} fields;

static int split_csv(const char *s, size_t n, char sep, fields *fs)
{
	size_t i = 0;
	fs->val.len = 0;
	fs->n = 0;
	for (;;) {
		if (fs->n == fs->cap) {
			size_t nc = fs->cap ? fs->cap * 2 : 16;
			size_t *o = realloc(fs->off, nc * sizeof *o);
			if (!o)
				return -1;
			fs->off = o;
			size_t *l = realloc(fs->len, nc * sizeof *l);
			if (!l)
				return -1;
			fs->len = l;
			fs->cap = nc;
		}
		size_t start = fs->val.len;
		if (i < n && s[i] == '"') {
			i++;
			while (i < n) {
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						lc_buf_put(&fs->val, "\"", 1);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				lc_buf_put(&fs->val, s + i, 1);
				i++;
			}
			/* text after the closing quote belongs to the field */
			while (i < n && s[i] != sep)
				lc_buf_put(&fs->val, s + i++, 1);
		} else {
			size_t b = i;
			while (i < n && s[i] != sep)
				i++;
			lc_buf_put(&fs->val, s + b, i - b);
		}
		if (fs->val.oom)
			return -1;
		fs->off[fs->n] = start;
		fs->len[fs->n] = fs->val.len - start;
		fs->n++;
		if (i >= n)
			return 0;
		i++; /* separator */
	}
}

static void fields_free(fields *fs)
{
	lc_buf_free(&fs->val);
	free(fs->off);
	free(fs->len);
}

/* What a side needs to know to reduce its rows. */
typedef struct rowspec {
	int csv;
	char sep;
	const char *key;   /* JSONL key name, or NULL */
	const char *label; /* JSONL label name, or NULL */
	long key_col, label_col; /* CSV columns, -1 = none */
} rowspec;

static int rows_push(rows *rs, const row *r)
{
	if (rs->n >= DF_MAX_ROWS)
		return -2;
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 1024;
		row *p = realloc(rs->r, nc * sizeof *p);
		if (!p)
			return -1;
		rs->r = p;
		rs->cap = nc;
	}
	rs->r[rs->n++] = *r;
	return 0;
}

/* Text of a JSON value used as key or label: a string as is, anything else
 * as compact JSON.  Returns malloc'ed text. */
static char *json_text(const json_t *v)
{
	if (json_is_string(v))
		return lc_strndup(json_string_value(v), json_string_length(v));
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static int reduce_jsonl(const char *s, size_t n, const rowspec *sp, labels *lt, row *r)
{
	json_error_t je;
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	memcpy(r->hx, r->h, 16);
	if (!json_is_object(j)) {
		json_decref(j);
		return 0; /* not an object: a row with content only */
	}
	if (sp->key) {
		json_t *k = json_object_get(j, sp->key);
		char *t = k ? json_text(k) : NULL;
		if (t) {
			dig(t, strlen(t), r->k);
			r->has_key = 1;
		}
		free(t);
	}
	if (sp->label) {
		json_t *l = json_object_get(j, sp->label);
		if (l) {
			char *t = json_text(l);
			if (t) {
				r->label = label_id(lt, t, strlen(t));
				r->has_label = 1;
			}
			free(t);
			/* the rest of the row, canonically */
			json_object_del(j, sp->label);
			char *rest = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
			if (rest)
				dig(rest, strlen(rest), r->hx);
			free(rest);
		}
	}
	json_decref(j);
	return 0;
}

static int reduce_csv(const char *s, size_t n, const rowspec *sp, labels *lt, fields *fs, row *r)
{
	if (split_csv(s, n, sp->sep, fs) != 0)
		return -1;
	if (sp->key_col >= 0 && (size_t)sp->key_col < fs->n) {
		dig(fs->val.p ? fs->val.p + fs->off[sp->key_col] : "", fs->len[sp->key_col], r->k);
		r->has_key = 1;
	}
	memcpy(r->hx, r->h, 16);
	if (sp->label_col >= 0 && (size_t)sp->label_col < fs->n) {
		r->label = label_id(lt, fs->val.p ? fs->val.p + fs->off[sp->label_col] : "", fs->len[sp->label_col]);
		r->has_label = 1;
		/* the other fields, length-prefixed so that boundaries count */
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		uint8_t md[32];
		unsigned l = 0;
		if (c && EVP_DigestInit_ex(c, sha256_md(), NULL) == 1) {
			for (size_t i = 0; i < fs->n; i++) {
				if ((long)i == sp->label_col)
					continue;
				uint64_t len = fs->len[i];
				EVP_DigestUpdate(c, &len, sizeof len);
				if (len)
					EVP_DigestUpdate(c, fs->val.p + fs->off[i], (size_t)len);
			}
			if (EVP_DigestFinal_ex(c, md, &l) == 1)
				memcpy(r->hx, md, 16);
		}
		EVP_MD_CTX_free(c);
	}
	return 0;
}

/* Reads every row of path (after the CSV header) into out. */
static int read_rows(const char *path, const rowspec *sp, labels *lt, rows *out, char *err, size_t errlen)
{
	reader rd;
	fields fs;
	memset(&rd, 0, sizeof rd);
	memset(&fs, 0, sizeof fs);
	rd.csv = sp->csv;
	rd.f = fopen(path, "rb");
	if (!rd.f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	int rc = 0, first = 1;
	uint64_t idx = 0;
	for (;;) {
		int k = next_record(&rd, err, errlen);
		if (k <= 0) {
			rc = k;
			break;
		}
		if (sp->csv && first) { /* the header */
			first = 0;
			continue;
		}
		if (!sp->csv && rd.rec.len == 0)
			continue; /* blank JSONL line: no row */
		if (sp->csv && rd.rec.len == 0)
			continue;
		row r;
		memset(&r, 0, sizeof r);
		r.idx = idx++;
		dig(rd.rec.p, rd.rec.len, r.h);
		if ((sp->csv ? reduce_csv(rd.rec.p, rd.rec.len, sp, lt, &fs, &r) : reduce_jsonl(rd.rec.p, rd.rec.len, sp, lt, &r)) != 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		int p = rows_push(out, &r);
		if (p != 0) {
			snprintf(err, errlen, p == -2 ? "more than %llu rows" : "out of memory", DF_MAX_ROWS);
			rc = -1;
			break;
		}
	}
	fclose(rd.f);
	free(rd.line);
	lc_buf_free(&rd.rec);
	fields_free(&fs);
	return rc;
}

/* First object row (JSONL) or header (CSV) of a file, to choose the key. */
static json_t *first_object(const char *path)
{
	reader rd;
	char err[128];
	json_t *j = NULL;
	memset(&rd, 0, sizeof rd);
	rd.f = fopen(path, "rb");
	if (!rd.f)
		return NULL;
	for (int i = 0; i < 1000 && !j; i++) {
		if (next_record(&rd, err, sizeof err) != 1)
			break;
		if (rd.rec.len == 0)
			continue;
		json_error_t je;
		j = json_loadb(rd.rec.p, rd.rec.len, 0, &je);
		if (j && !json_is_object(j)) {
			json_decref(j);
			j = NULL;
		}
	}
	fclose(rd.f);
	free(rd.line);
	lc_buf_free(&rd.rec);
	return j;
}

static int csv_header(const char *path, char sep, fields *fs)
{
	reader rd;
	char err[128];
	memset(&rd, 0, sizeof rd);
	rd.csv = 1;
	rd.f = fopen(path, "rb");
	if (!rd.f)
		return -1;
	int rc = next_record(&rd, err, sizeof err) == 1 ? split_csv(rd.rec.p, rd.rec.len, sep, fs) : -1;
	fclose(rd.f);
	free(rd.line);
	lc_buf_free(&rd.rec);
	return rc;
}

static long column(const fields *fs, const char *name, int ci)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < fs->n; i++) {
		const char *v = fs->val.p + fs->off[i];
		if (fs->len[i] == nl && (ci ? strncasecmp(v, name, nl) == 0 : memcmp(v, name, nl) == 0))
			return (long)i;
	}
	return -1;
}

static const char *const ID_KEYS[] = {"id",        "_id",        "uuid",   "guid",   "uid", "key", "sample_id",
				      "example_id", "row_id",    "idx",    "index", NULL};

static int cmp_key(const void *a, const void *b)
{
	const row *x = a, *y = b;
	if (x->has_key != y->has_key)
		return x->has_key > y->has_key ? -1 : 1;
	int c = x->has_key ? memcmp(x->k, y->k, 16) : 0;
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_content(const void *a, const void *b)
{
	const row *x = a, *y = b;
	int c = memcmp(x->h, y->h, 16);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_idx(const void *a, const void *b)
{
	const row *x = a, *y = b;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Flips are collected one per row and folded after matching (sorting keeps
 * this O(n log n) whatever the number of label values). */
static int flip_add(rowdiff *d, uint32_t from, uint32_t to)
{
	if (d->nfl == d->capfl) {
		size_t nc = d->capfl ? d->capfl * 2 : 64;
		flip *p = realloc(d->fl, nc * sizeof *p);
		if (!p)
			return -1;
		d->fl = p;
		d->capfl = nc;
	}
	d->fl[d->nfl++] = (flip){from, to, 1};
	return 0;
}

static int cmp_flip_pair(const void *a, const void *b)
{
	const flip *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

static int cmp_flip(const void *a, const void *b);

static void fold_flips(rowdiff *d)
{
	if (d->nfl == 0)
		return;
	qsort(d->fl, d->nfl, sizeof *d->fl, cmp_flip_pair);
	size_t w = 0;
	for (size_t i = 0; i < d->nfl; i++) {
		if (w > 0 && d->fl[w - 1].from == d->fl[i].from && d->fl[w - 1].to == d->fl[i].to)
			d->fl[w - 1].count += d->fl[i].count;
		else
			d->fl[w++] = d->fl[i];
	}
	d->nfl = w;
	qsort(d->fl, d->nfl, sizeof *d->fl, cmp_flip);
}

/* A pair of rows that are the same sample. */
static void pair(rowdiff *d, const row *o, const row *n)
{
	if (memcmp(o->h, n->h, 16) == 0) {
		d->unchanged++;
		return;
	}
	d->changed++;
	if (o->has_label && n->has_label && o->label != n->label && o->label && n->label) {
		d->flips++;
		if (memcmp(o->hx, n->hx, 16) == 0)
			d->label_only++;
		if (flip_add(d, o->label, n->label) != 0 && !d->error)
			d->error = lc_strdup_printf("out of memory counting label flips");
	}
}

/* Content matching of the rows not yet matched; returns nothing, marks. */
static void match_content(row *o, size_t no, row *n, size_t nn, rowdiff *d)
{
	qsort(o, no, sizeof *o, cmp_content);
	qsort(n, nn, sizeof *n, cmp_content);
	size_t i = 0, j = 0;
	while (i < no && j < nn) {
		int c = memcmp(o[i].h, n[j].h, 16);
		if (c == 0) {
			o[i].matched = n[j].matched = 1;
			d->unchanged++;
			i++;
			j++;
		} else if (c < 0) {
			i++;
		} else {
			j++;
		}
	}
}

static void match_rows(rows *ro, rows *rn, rowdiff *d)
{
	row *o = ro->r, *n = rn->r;
	size_t no = ro->n, nn = rn->n;
	if (d->key) {
		qsort(o, no, sizeof *o, cmp_key);
		qsort(n, nn, sizeof *n, cmp_key);
		size_t i = 0, j = 0;
		while (i < no && j < nn && o[i].has_key && n[j].has_key) {
			int c = memcmp(o[i].k, n[j].k, 16);
			if (c == 0) {
				pair(d, &o[i], &n[j]);
				o[i].matched = n[j].matched = 1;
				i++;
				j++;
			} else if (c < 0) {
				i++;
			} else {
				j++;
			}
		}
		/* rows without the key: by content only */
		size_t ko = 0, kn = 0;
		while (ko < no && o[ko].has_key)
			ko++;
		while (kn < nn && n[kn].has_key)
			kn++;
		match_content(o + ko, no - ko, n + kn, nn - kn, d);
	} else {
		match_content(o, no, n, nn, d);
		qsort(o, no, sizeof *o, cmp_idx);
		qsort(n, nn, sizeof *n, cmp_idx);
		/* leftovers at the same row index are the same sample, changed */
		size_t i = 0, j = 0;
		while (i < no && j < nn) {
			if (o[i].matched) {
				i++;
			} else if (n[j].matched) {
				j++;
			} else if (o[i].idx == n[j].idx) {
				pair(d, &o[i], &n[j]);
				o[i].matched = n[j].matched = 1;
				i++;
				j++;
			} else if (o[i].idx < n[j].idx) {
				i++;
			} else {
				j++;
			}
		}
	}
	for (size_t i = 0; i < no; i++)
		d->removed += !o[i].matched;
	for (size_t j = 0; j < nn; j++)
		d->added += !n[j].matched;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcasecmp(s + n - m, suf) == 0;
}

/* Row diff of a changed file; d->error set on failure. */
static void diff_rows(const char *oldp, const char *newp, const char *rel, const lc_diff_options *opt, rowdiff *d)
{
	rowspec so, sn;
	memset(&so, 0, sizeof so);
	so.key_col = so.label_col = -1;
	int csv = has_suffix(rel, ".csv") || has_suffix(rel, ".tsv");
	char sep = has_suffix(rel, ".tsv") ? '\t' : ',';
	so.csv = csv;
	so.sep = sep;
	sn = so;
	d->format = csv ? (sep == '\t' ? "tsv" : "csv") : "jsonl";
	labels *lt = &d->lt;
	rows ro = {0}, rn = {0};
	char err[256] = "";

	if (csv) {
		fields ho, hn;
		memset(&ho, 0, sizeof ho);
		memset(&hn, 0, sizeof hn);
		if (csv_header(oldp, sep, &ho) == 0 && csv_header(newp, sep, &hn) == 0) {
			if (opt->key_field) {
				so.key_col = column(&ho, opt->key_field, 0);
				sn.key_col = column(&hn, opt->key_field, 0);
			}
			for (const char *const *k = ID_KEYS; !opt->key_field && *k && so.key_col < 0; k++) {
				long a = column(&ho, *k, 1), b = column(&hn, *k, 1);
				if (a >= 0 && b >= 0) {
					so.key_col = a;
					sn.key_col = b;
					d->key = lc_strndup(ho.val.p + ho.off[a], ho.len[a]);
				}
			}
			if (opt->key_field && so.key_col >= 0 && sn.key_col >= 0)
				d->key = strdup(opt->key_field);
			if (!d->key)
				so.key_col = sn.key_col = -1;
			if (opt->label_field) {
				so.label_col = column(&ho, opt->label_field, 0);
				sn.label_col = column(&hn, opt->label_field, 0);
				d->label_found = so.label_col >= 0 && sn.label_col >= 0;
			}
		}
		fields_free(&ho);
		fields_free(&hn);
	} else {
		json_t *a = first_object(oldp), *b = first_object(newp);
		if (opt->key_field) {
			if (a && b && json_object_get(a, opt->key_field) && json_object_get(b, opt->key_field))
				d->key = strdup(opt->key_field);
		} else {
			for (const char *const *k = ID_KEYS; *k && !d->key && a && b; k++)
				if (json_object_get(a, *k) && json_object_get(b, *k))
					d->key = strdup(*k);
		}
		if (opt->label_field)
			d->label_found = a && b && json_object_get(a, opt->label_field) && json_object_get(b, opt->label_field);
		json_decref(a);
		json_decref(b);
		so.key = sn.key = d->key;
		so.label = sn.label = opt->label_field;
	}
	if (opt->key_field && !d->key) {
		d->error = lc_strdup_printf("key field '%s' is not in both files", opt->key_field);
		goto out;
	}
	if (read_rows(oldp, &so, lt, &ro, err, sizeof err) != 0) {
		d->error = lc_strdup_printf("old: %s", err);
		goto out;
	}
	if (read_rows(newp, &sn, lt, &rn, err, sizeof err) != 0) {
		d->error = lc_strdup_printf("new: %s", err);
		goto out;
	}
	d->old_rows = ro.n;
	d->new_rows = rn.n;
	if (opt->label_field && lt->n > 0) {
		d->hist_old = calloc(lt->n, sizeof *d->hist_old);
		d->hist_new = calloc(lt->n, sizeof *d->hist_new);
		for (size_t i = 0; d->hist_old && d->hist_new && i < ro.n; i++)
			d->hist_old[ro.r[i].label]++;
		for (size_t i = 0; d->hist_old && d->hist_new && i < rn.n; i++)
			d->hist_new[rn.r[i].label]++;
	}
	match_rows(&ro, &rn, d);
	fold_flips(d);
out:
	free(ro.r);
	free(rn.r);
}

static void rowdiff_free(rowdiff *d)
{
	free(d->key);
	free(d->fl);
	free(d->hist_old);
	free(d->hist_new);
	labels_free(&d->lt);
	free(d->error);
}

/* ---- report ------------------------------------------------------------------------ */

typedef struct entry {
	const df_file *o, *n; /* NULL when absent on that side */
	char status;          /* 'A' added, 'D' removed, 'M' changed */
	rowdiff *rows;        /* row diff of a changed dataset file, or NULL */
} entry;

static int cmp_flip(const void *a, const void *b)
{
	const flip *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return x->to < y->to ? -1 : x->to > y->to;
}

static const char *lab(const rowdiff *d, uint32_t id) { return id && id < d->lt.n ? d->lt.s[id] : "?"; }

static void text_rows(FILE *out, const rowdiff *d, const lc_diff_options *opt)
{
	if (d->error) {
		fprintf(out, "     rows not compared: %s\n", d->error);
		return;
	}
	fprintf(out, "     %s rows %llu -> %llu (matched by %s%s%s): +%llu added, -%llu removed, ~%llu changed, %llu unchanged\n",
		d->format, (unsigned long long)d->old_rows, (unsigned long long)d->new_rows,
		d->key ? "key \"" : "content, then row index", d->key ? d->key : "", d->key ? "\"" : "",
		(unsigned long long)d->added, (unsigned long long)d->removed, (unsigned long long)d->changed,
		(unsigned long long)d->unchanged);
	if (!opt->label_field)
		return;
	if (!d->label_found) {
		fprintf(out, "     label field \"%s\" not found in both files\n", opt->label_field);
		return;
	}
	fprintf(out, "     labels \"%s\": %llu flipped (%llu label-only)", opt->label_field,
		(unsigned long long)d->flips, (unsigned long long)d->label_only);
	for (size_t i = 0; i < d->nfl && i < DF_MAX_FLIP_LIST; i++)
		fprintf(out, "%s%s\u2192%s: %llu", i ? ", " : ": ", lab(d, d->fl[i].from), lab(d, d->fl[i].to),
			(unsigned long long)d->fl[i].count);
	if (d->nfl > DF_MAX_FLIP_LIST)
		fprintf(out, ", ... (%zu kinds)", d->nfl);
	fputc('\n', out);
	if (d->hist_old && d->hist_new) {
		size_t shown = 0;
		for (uint32_t i = 1; i < d->lt.n && shown < DF_MAX_FLIP_LIST; i++) {
			if (d->hist_old[i] == d->hist_new[i])
				continue;
			fprintf(out, "%s%s %llu->%llu", shown ? ", " : "     label counts changed: ", d->lt.s[i],
				(unsigned long long)d->hist_old[i], (unsigned long long)d->hist_new[i]);
			shown++;
		}
		if (shown)
			fputc('\n', out);
	}
}

static json_t *json_rows(const rowdiff *d, const lc_diff_options *opt)
{
	if (d->error)
		return json_pack("{s:s,s:s}", "format", d->format, "error", d->error);
	json_t *r = json_pack("{s:s,s:s?,s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "format", d->format, "key", d->key, "match",
			      d->key ? "key" : "content-then-index", "old_rows", (json_int_t)d->old_rows, "new_rows",
			      (json_int_t)d->new_rows, "added", (json_int_t)d->added, "removed", (json_int_t)d->removed,
			      "changed", (json_int_t)d->changed, "unchanged", (json_int_t)d->unchanged);
	if (!r || !opt->label_field)
		return r;
	json_t *fl = json_array(), *counts = json_array();
	for (size_t i = 0; i < d->nfl; i++)
		json_array_append_new(fl, json_pack("{s:s,s:s,s:I}", "from", lab(d, d->fl[i].from), "to",
						    lab(d, d->fl[i].to), "count", (json_int_t)d->fl[i].count));
	for (uint32_t i = 1; d->hist_old && d->hist_new && i < d->lt.n; i++)
		json_array_append_new(counts, json_pack("{s:s,s:I,s:I}", "label", d->lt.s[i], "old",
							(json_int_t)d->hist_old[i], "new", (json_int_t)d->hist_new[i]));
	json_object_set_new(r, "label_field", json_string(opt->label_field));
	json_object_set_new(r, "label_found", json_boolean(d->label_found));
	json_object_set_new(r, "label_flips", json_integer((json_int_t)d->flips));
	json_object_set_new(r, "label_only_changes", json_integer((json_int_t)d->label_only));
	json_object_set_new(r, "flips", fl);
	json_object_set_new(r, "label_counts", counts);
	return r;
}

/* A path as is when it is plain printable text, else escaped and quoted. */
static const char *show_path(const char *s, char *buf, size_t cap)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' || *p >= 0x80)
			return lc_escape((const uint8_t *)s, strlen(s), 1024, buf, cap);
	return s;
}

static json_t *jpath(const char *s)
{
	json_t *j = json_string(s);
	if (!j) {
		char buf[4200];
		lc_escape((const uint8_t *)s, strlen(s), 1024, buf, sizeof buf);
		j = json_string(buf);
	}
	return j;
}

int lc_diff(const char *old_path, const char *new_path, const lc_diff_options *opt, FILE *out, FILE *log)
{
	df_side so, sn;
	memset(&so, 0, sizeof so);
	memset(&sn, 0, sizeof sn);
	entry *ev = NULL;
	size_t ne = 0, unchanged = 0, na = 0, nd = 0, nm = 0;
	int rc = 2;
	if (load_side(&so, old_path, 1, log) != 0 || load_side(&sn, new_path, 0, log) != 0)
		goto out;
	ev = calloc(so.n + sn.n + 1, sizeof *ev);
	if (!ev)
		goto out;
	/* merge the two sorted lists */
	for (size_t i = 0, j = 0; i < so.n || j < sn.n;) {
		int c = i == so.n ? 1 : j == sn.n ? -1 : strcmp(so.f[i].rel, sn.f[j].rel);
		if (c < 0) {
			ev[ne++] = (entry){&so.f[i++], NULL, 'D', NULL};
			nd++;
		} else if (c > 0) {
			ev[ne++] = (entry){NULL, &sn.f[j++], 'A', NULL};
			na++;
		} else {
			if (memcmp(so.f[i].sha, sn.f[j].sha, 32) != 0) {
				ev[ne++] = (entry){&so.f[i], &sn.f[j], 'M', NULL};
				nm++;
			} else {
				unchanged++;
			}
			i++;
			j++;
		}
	}
	for (size_t i = 0; i < ne; i++) {
		entry *e = &ev[i];
		const char *rel = e->n ? e->n->rel : e->o->rel;
		if (e->status != 'M' || so.manifest)
			continue;
		if (!(has_suffix(rel, ".jsonl") || has_suffix(rel, ".ndjson") || has_suffix(rel, ".csv") ||
		      has_suffix(rel, ".tsv")))
			continue;
		char *op = lc_strdup_printf("%s/%s", so.root, rel), *np = lc_strdup_printf("%s/%s", sn.root, rel);
		e->rows = calloc(1, sizeof *e->rows);
		if (op && np && e->rows)
			diff_rows(op, np, rel, opt, e->rows);
		free(op);
		free(np);
	}
	int row_errors = 0;
	for (size_t i = 0; i < ne; i++)
		row_errors += ev[i].rows && ev[i].rows->error;

	if (opt->json) {
		json_t *root = json_object(), *files = json_array();
		json_object_set_new(root, "old", jpath(old_path));
		json_object_set_new(root, "new", jpath(new_path));
		json_object_set_new(root, "old_is_manifest", json_boolean(so.manifest));
		json_object_set_new(root, "summary", json_pack("{s:I,s:I,s:I,s:I}", "added", (json_int_t)na, "removed",
							       (json_int_t)nd, "changed", (json_int_t)nm, "unchanged",
							       (json_int_t)unchanged));
		for (size_t i = 0; i < ne; i++) {
			const entry *e = &ev[i];
			char ho[65], hn[65];
			json_t *f = json_object();
			json_object_set_new(f, "path", jpath(e->n ? e->n->rel : e->o->rel));
			json_object_set_new(f, "status",
					    json_string(e->status == 'A' ? "added" : e->status == 'D' ? "removed" : "changed"));
			if (e->o) {
				hex(e->o->sha, 32, ho);
				json_object_set_new(f, "old_sha256", json_string(ho));
			}
			if (e->n) {
				hex(e->n->sha, 32, hn);
				json_object_set_new(f, "new_sha256", json_string(hn));
			}
			if (e->rows)
				json_object_set_new(f, "rows", json_rows(e->rows, opt));
			json_array_append_new(files, f);
		}
		json_object_set_new(root, "files", files);
		json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', out);
		json_decref(root);
	} else {
		fprintf(out, "laocoon diff: %s -> %s\n", old_path, new_path);
		for (size_t i = 0; i < ne; i++) {
			const entry *e = &ev[i];
			char pb[4200];
			const char *rel = e->n ? e->n->rel : e->o->rel;
			fprintf(out, "%c  %s\n", e->status, show_path(rel, pb, sizeof pb));
			if (e->rows)
				text_rows(out, e->rows, opt);
		}
		if (ne == 0)
			fprintf(out, "no differences (%zu files)\n", unchanged);
		else
			fprintf(out, "%zu added, %zu removed, %zu changed, %zu unchanged\n", na, nd, nm, unchanged);
		if (sn.skipped || so.skipped)
			fprintf(out, "note: %zu symlinks or special files not compared\n", so.skipped + sn.skipped);
	}
	if (fflush(out) != 0) {
		fprintf(log, "laocoon: diff: cannot write the report\n");
		rc = 2;
	} else {
		rc = row_errors ? 2 : ne ? 1 : 0;
	}
out:
	for (size_t i = 0; i < ne; i++)
		if (ev[i].rows) {
			rowdiff_free(ev[i].rows);
			free(ev[i].rows);
		}
	free(ev);
	side_free(&so);
	side_free(&sn);
	return rc;
}
