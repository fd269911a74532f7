/*
 * Generic containers through libarchive (src/formats/archive.c): tar, 7z and
 * single-stream compressors (gzip, bzip2, xz, lzma "alone", zstd, lz4).
 *
 * Everything is read from memory (archive_read_open_memory); nothing touches
 * the file system and no external decompressor program is ever run (a filter
 * that libarchive could only provide through an external program is refused).
 * Zips are left to our own reader (src/formats/zip.c), which has PyTorch's
 * semantics: the zip format is never enabled here.
 *
 * Members are decompressed into buffers bounded by max_member_size, charged
 * to max_decompressed and checked against max_ratio, then handed to
 * lc_scan_child.  Uncompressed tar members are passed zero-copy when
 * libarchive hands back a pointer into our view.
 */
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/archive_dl.h"
#include "formats/torch.h"

enum kind { K_NONE, K_GZIP, K_BZIP2, K_XZ, K_ZSTD, K_LZ4, K_7Z, K_TAR, K_LZMA };

static const char *const KIND_NAME[] = {"archive", "gzip", "bzip2", "xz", "zstd", "lz4", "7z", "tar", "lzma"};

#define MiB (1ull << 20)

/* Tar header checksum: sum of the 512 header bytes with the checksum field
 * counted as spaces, stored as octal at offset 148. */
static bool tar_checksum_ok(const uint8_t *h)
{
	uint64_t want = 0;
	int digits = 0;
	for (int i = 148; i < 156; i++) {
		uint8_t c = h[i];
		if (c >= '0' && c <= '7') {
			want = want * 8 + (uint64_t)(c - '0');
			digits++;
		} else if (c == ' ' || c == 0) {
			if (digits)
				break;
		} else {
			return false;
		}
	}
	if (!digits)
		return false;
	uint64_t sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum == want;
}

/* The legacy .lzma ("alone") header has no magic: properties byte, 32-bit
 * dictionary size, 64-bit uncompressed size (-1 = unknown).  Python's lzma
 * module (joblib compress='lzma') writes properties 0x5d (lc=3 lp=0 pb=2);
 * we accept only that, with a dictionary of 2^n or 3 * 2^n bytes (what
 * encoders write) and a plausible size, so random data rarely passes. */
static bool lzma_alone(const uint8_t *d, size_t n)
{
	if (n < 13 || d[0] != 0x5d)
		return false;
	uint32_t dict = lc_le32(d + 1);
	uint64_t size = lc_le64(d + 5);
	if (dict < 4096 || dict > (3u << 29))
		return false;
	uint32_t low = dict & (0u - dict); /* lowest set bit */
	if (dict != low && dict != low * 3)
		return false;
	return size == UINT64_MAX || size < (1ull << 48);
}

static enum kind sniff(const uint8_t *d, size_t n, int *bid)
{
	*bid = 0;
	if (n >= 2 && lc_le16(d) == 0x4b50)
		return K_NONE; /* "PK": the zip reader's */
	if (n >= 6 && memcmp(d, "7z\xbc\xaf\x27\x1c", 6) == 0) {
		*bid = 90;
		return K_7Z;
	}
	if (n >= 3 && d[0] == 0x1f && d[1] == 0x8b && d[2] == 8) {
		*bid = 80;
		return K_GZIP;
	}
	if (n >= 10 && d[0] == 'B' && d[1] == 'Z' && d[2] == 'h' && d[3] >= '1' && d[3] <= '9' &&
	    (memcmp(d + 4, "1AY&SY", 6) == 0 || memcmp(d + 4, "\x17rE8P\x90", 6) == 0)) {
		*bid = 80;
		return K_BZIP2;
	}
	if (n >= 6 && memcmp(d, "\xfd" "7zXZ\0", 6) == 0) {
		*bid = 80;
		return K_XZ;
	}
	if (n >= 4 && lc_le32(d) == 0xfd2fb528u) {
		*bid = 80;
		return K_ZSTD;
	}
	if (n >= 4 && (lc_le32(d) == 0x184d2204u || lc_le32(d) == 0x184c2102u)) {
		*bid = 80;
		return K_LZ4;
	}
	if (lzma_alone(d, n)) {
		*bid = 60;
		return K_LZMA;
	}
	if (n >= 512 && tar_checksum_ok(d) && d[0] != 0) {
		*bid = memcmp(d + 257, "ustar", 5) == 0 ? 80 : 60;
		return K_TAR;
	}
	return K_NONE;
}

int lc_bid_archive(const uint8_t *data, size_t len)
{
	int bid;
	sniff(data, len, &bid);
	return bid;
}

typedef struct arc {
	lc_ctx *ctx;
	const uint8_t *d;
	size_t n;
	enum kind kind;
	lc_err first;
} arc;

static void note(arc *a, lc_err e)
{
	if (e != LC_OK && a->first == LC_OK)
		a->first = e;
}

static bool budget_spent(const lc_ctx *ctx)
{
	return ctx->decompressed >= lc_lim(ctx, LC_LIMIT_max_decompressed) ||
	       ctx->total_members >= lc_lim(ctx, LC_LIMIT_max_total_members) ||
	       ctx->pickle_ops >= lc_lim(ctx, LC_LIMIT_pickle_max_ops);
}

static bool looks_encrypted(struct archive *ar)
{
	const char *s = archive_error_string(ar);
	return s && (strstr(s, "ncrypt") || strstr(s, "assphrase") || strstr(s, "password"));
}

/* Enables the one filter this kind needs.  ARCHIVE_WARN means libarchive
 * would run an external program: refused. */
static int enable_filter(struct archive *ar, enum kind k)
{
	switch (k) {
	case K_GZIP: return archive_read_support_filter_gzip(ar);
	case K_BZIP2: return archive_read_support_filter_bzip2(ar);
	case K_XZ: return archive_read_support_filter_xz(ar);
	case K_ZSTD: return archive_read_support_filter_zstd(ar);
	case K_LZ4: return archive_read_support_filter_lz4(ar);
	case K_LZMA: return archive_read_support_filter_lzma(ar);
	default: return ARCHIVE_OK;
	}
}

/* Reads the current entry's data.  *out is either a pointer into the view
 * (zero-copy, *owned = NULL) or a malloc'ed buffer (*owned set). */
static lc_err read_entry(arc *a, struct archive *ar, const char *name, bool compressed, const uint8_t **out,
			 size_t *outlen, uint8_t **owned)
{
	lc_ctx *ctx = a->ctx;
	uint64_t maxm = lc_lim(ctx, LC_LIMIT_max_member_size);
	uint64_t ratio = lc_lim(ctx, LC_LIMIT_max_ratio);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	*out = NULL;
	*outlen = 0;
	*owned = NULL;
	char what[600];
	snprintf(what, sizeof what, "member %.512s", name);
	for (bool firstblk = true;; firstblk = false) {
		const void *blk;
		size_t bn;
		la_int64_t boff;
		int r = archive_read_data_block(ar, &blk, &bn, &boff);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			lc_err e;
			if (looks_encrypted(ar))
				e = lc_fail(ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET,
					    "member %s is encrypted and cannot be inspected", name);
			else
				e = lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "%s: cannot read member %s: %s",
					    KIND_NAME[a->kind], name, archive_error_string(ar));
			free(buf);
			return e;
		}
		if (boff < 0 || (uint64_t)boff > maxm || bn > maxm - (uint64_t)boff) {
			free(buf);
			return lc_limit_hit(ctx, LC_LIMIT_max_member_size, LC_NO_OFFSET, what);
		}
		const uint8_t *b = blk;
		/* Zero-copy: an uncompressed member that libarchive returns in
		 * one block straight from our view. */
		if (firstblk && !compressed && boff == 0 && b >= a->d && bn <= a->n && b <= a->d + (a->n - bn)) {
			*out = b;
			*outlen = bn;
			const void *blk2;
			size_t bn2;
			la_int64_t off2;
			r = archive_read_data_block(ar, &blk2, &bn2, &off2);
			if (r == ARCHIVE_EOF)
				return LC_OK;
			/* More blocks after all: fall back to copying. */
			if (r < ARCHIVE_WARN) {
				*out = NULL;
				return lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "%s: cannot read member %s: %s",
					       KIND_NAME[a->kind], name, archive_error_string(ar));
			}
			cap = bn + bn2 + 65536;
			buf = lc_alloc_input(ctx, cap, what);
			if (!buf) {
				*out = NULL;
				return ctx->file->error_code;
			}
			memcpy(buf, b, bn);
			len = bn;
			*out = NULL;
			*outlen = 0;
			blk = blk2;
			bn = bn2;
			boff = off2;
			b = blk;
			if (boff < 0 || (uint64_t)boff > maxm || bn > maxm - (uint64_t)boff) {
				free(buf);
				return lc_limit_hit(ctx, LC_LIMIT_max_member_size, LC_NO_OFFSET, what);
			}
		}
		size_t need = (size_t)boff + bn;
		if (need > cap) {
			size_t ncap = cap ? cap : 65536;
			while (ncap < need)
				ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
			if (ncap > maxm)
				ncap = (size_t)maxm;
			uint8_t *nb = realloc(buf, ncap ? ncap : 1);
			if (!nb) {
				free(buf);
				return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory reading %s", what);
			}
			buf = nb;
			cap = ncap;
		}
		if ((size_t)boff > len)
			memset(buf + len, 0, (size_t)boff - len); /* sparse hole */
		memcpy(buf + boff, b, bn);
		if (need > len) {
			if (compressed) {
				/* Charged in slices of at most 1 MiB: the engine's
				 * ratio test applies to single large charges; the
				 * member's ratio is checked below against the whole
				 * archive's compressed size. */
				uint64_t add = need - len;
				while (add > 0) {
					uint64_t k = add > MiB ? MiB : add;
					lc_err e = lc_charge_decompressed(ctx, k, k);
					if (e != LC_OK) {
						free(buf);
						return e;
					}
					add -= k;
				}
			}
			len = need;
		}
		if (compressed && len > MiB && len / (a->n ? a->n : 1) >= ratio) {
			free(buf);
			return lc_limit_hit(ctx, LC_LIMIT_max_ratio, LC_NO_OFFSET, what);
		}
	}
	*out = buf;
	*outlen = len;
	*owned = buf;
	return LC_OK;
}

static bool is_traversal(const char *s)
{
	if (s[0] == '/' || s[0] == '\\')
		return true;
	for (const char *p = s; *p;) {
		const char *q = p;
		while (*q && *q != '/' && *q != '\\')
			q++;
		if (q - p == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p = *q ? q + 1 : q;
	}
	return false;
}

/* Name of a legacy torch tar part, or -1. */
static int torch_part(const char *name)
{
	if (strncmp(name, "./", 2) == 0)
		name += 2;
	static const char *const parts[4] = {"sys_info", "pickle", "storages", "tensors"};
	for (int i = 0; i < 4; i++)
		if (strcmp(name, parts[i]) == 0)
			return i;
	return -1;
}

static const char *gzip_name(const uint8_t *d, size_t n, char *buf, size_t buflen)
{
	/* RFC 1952: FEXTRA (0x04) precedes FNAME (0x08). */
	if (n < 10 || !(d[3] & 0x08))
		return NULL;
	size_t p = 10;
	if (d[3] & 0x04) {
		if (n - p < 2)
			return NULL;
		p += 2 + lc_le16(d + p);
	}
	size_t o = 0;
	while (p < n && d[p] && o + 1 < buflen && o < 255) {
		uint8_t c = d[p++];
		buf[o++] = (c < 0x20 || c == 0x7f || c == '/' || c == '\\') ? '_' : (char)c;
	}
	if (p >= n || d[p] != 0 || o == 0)
		return NULL;
	buf[o] = 0;
	return buf;
}

lc_err lc_parse_archive(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	arc a = {.ctx = ctx, .d = data, .n = len, .first = LC_OK};
	int bid;
	a.kind = sniff(data, len, &bid);
	if (a.kind == K_NONE)
		return lc_fail(ctx, LC_E_INTERNAL, 0, "archive reader called on unrecognised bytes");
	lc_set_format(ctx, KIND_NAME[a.kind]);
	bool stream = a.kind != K_7Z && a.kind != K_TAR;

	const char *why = NULL;
	if (!lc_libarchive_get(&why))
		return lc_fail(ctx, LC_E_UNSUPPORTED, 0, "%s cannot be inspected: %s", KIND_NAME[a.kind], why);
	struct archive *ar = archive_read_new();
	if (!ar)
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory (libarchive)");
	int r = enable_filter(ar, a.kind);
	if (r != ARCHIVE_OK) {
		archive_read_free(ar);
		return lc_fail(ctx, LC_E_UNSUPPORTED, 0, "%s: no built-in decoder (libarchive would run an external program)",
			       KIND_NAME[a.kind]);
	}
	if (stream)
		archive_read_support_format_raw(ar);
	else if (a.kind == K_7Z)
		archive_read_support_format_7zip(ar);
	else
		archive_read_support_format_tar(ar);
	if (archive_read_open_memory(ar, data, len) != ARCHIVE_OK) {
		lc_err e = lc_fail(ctx, looks_encrypted(ar) ? LC_E_UNSUPPORTED : LC_E_MALFORMED, 0, "%s: %s",
				   KIND_NAME[a.kind], archive_error_string(ar) ? archive_error_string(ar) : "cannot open");
		archive_read_free(ar);
		return e;
	}

	uint64_t maxm = lc_lim(ctx, LC_LIMIT_max_members);
	uint64_t count = 0;
	lc_torch_tar tt;
	memset(&tt, 0, sizeof tt);
	uint8_t *tt_owned[4] = {NULL, NULL, NULL, NULL};
	char gzname[260];
	for (;;) {
		struct archive_entry *ent;
		r = archive_read_next_header(ar, &ent);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			if (looks_encrypted(ar))
				note(&a, lc_fail(ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET,
						 "%s: archive is encrypted and cannot be inspected", KIND_NAME[a.kind]));
			else
				note(&a, lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "%s: %s", KIND_NAME[a.kind],
						 archive_error_string(ar) ? archive_error_string(ar) : "corrupt header"));
			break;
		}
		if (++count > maxm) {
			note(&a, lc_limit_hit(ctx, LC_LIMIT_max_members, LC_NO_OFFSET, "archive entries"));
			break;
		}
		const char *pn = archive_entry_pathname(ent);
		const char *name = pn && *pn ? pn : "?";
		if (stream) {
			const char *g = a.kind == K_GZIP ? gzip_name(data, len, gzname, sizeof gzname) : NULL;
			name = g ? g : "<decompressed>";
		}
		if (!stream && is_traversal(name))
			lc_finding_add(ctx, LC_SEV_MEDIUM, "archive.path-traversal", LC_NO_OFFSET, name, NULL,
				       "member name %s escapes the extraction directory (absolute path or '..')", name);
		/* 7z entries without attributes have no file type: data. */
		unsigned ft = archive_entry_filetype(ent);
		if (!stream && ft != AE_IFREG && ft != 0) {
			const char *link = archive_entry_symlink(ent);
			if (!link)
				link = archive_entry_hardlink(ent);
			if (link && is_traversal(link))
				lc_finding_add(ctx, LC_SEV_MEDIUM, "archive.link-traversal", LC_NO_OFFSET, name, NULL,
					       "link %s points outside the extraction directory (%s)", name, link);
			continue;
		}
		if (archive_entry_is_encrypted(ent)) {
			note(&a, lc_fail(ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET,
					 "member %s is encrypted and cannot be inspected", name));
			continue;
		}
		if (!stream && archive_entry_size_is_set(ent) &&
		    (uint64_t)archive_entry_size(ent) > lc_lim(ctx, LC_LIMIT_max_member_size)) {
			note(&a, lc_limit_hit(ctx, LC_LIMIT_max_member_size, LC_NO_OFFSET, name));
			continue;
		}
		const uint8_t *m;
		size_t mlen;
		uint8_t *owned;
		lc_err e = read_entry(&a, ar, name, a.kind != K_TAR, &m, &mlen, &owned);
		if (e != LC_OK) {
			note(&a, e);
			if (e == LC_E_NOMEM || budget_spent(ctx) || a.kind != K_TAR)
				break;
			continue;
		}
		int part = a.kind == K_TAR ? torch_part(name) : -1;
		const uint8_t **slot = part == 0 ? &tt.sys_info : part == 1 ? &tt.pickle : part == 2 ? &tt.storages
			: part == 3 ? &tt.tensors : NULL;
		if (slot && !*slot) {
			/* Kept until the whole tar is known: the four parts are
			 * walked together if they form a legacy checkpoint. */
			*slot = m;
			size_t *lens[4] = {&tt.sys_info_len, &tt.pickle_len, &tt.storages_len, &tt.tensors_len};
			*lens[part] = mlen;
			tt_owned[part] = owned;
			continue;
		}
		note(&a, lc_scan_child(ctx, name, m, mlen, m >= data && m < data + len ? (uint64_t)(m - data)
										     : LC_NO_OFFSET));
		free(owned);
		if (budget_spent(ctx))
			break;
	}
	if (lc_torch_tar_is_layout(&tt)) {
		note(&a, lc_torch_tar_scan(ctx, &tt));
	} else {
		const uint8_t *ps[4] = {tt.sys_info, tt.pickle, tt.storages, tt.tensors};
		size_t pl[4] = {tt.sys_info_len, tt.pickle_len, tt.storages_len, tt.tensors_len};
		static const char *const pn[4] = {"sys_info", "pickle", "storages", "tensors"};
		for (int i = 0; i < 4; i++)
			if (ps[i] && !budget_spent(ctx))
				note(&a, lc_scan_child(ctx, pn[i], ps[i], pl[i], LC_NO_OFFSET));
	}
	for (int i = 0; i < 4; i++)
		free(tt_owned[i]);
	archive_read_free(ar);
	return a.first;
}
