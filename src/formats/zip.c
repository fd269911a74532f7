/*
 * Zip reader with PyTorch's semantics (src/formats/zip.c).
 *
 * Why hand-written instead of libarchive or minizip: a scanner has to read a
 * zip the way the loader that will consume it does, and report where other
 * readers would disagree.  PyTorch (torch.load, torch.jit.load) uses a miniz
 * based reader that trusts the central directory, takes offsets as absolute,
 * ignores CRCs and reads members whose encryption/patch flag bits are set as
 * plaintext.  Python's zipfile differs (relative offsets after prepended
 * data, CRC checks, refusal of encrypted members), and libarchive streams
 * local headers front to back and would see a different set of members.
 * Parser-differential findings (name mismatch, hidden local headers,
 * overlaps, flags) need exact control over every header, so we parse them
 * ourselves with bounded cursors and overflow-checked offsets.
 *
 * Cost model: the central directory and local headers are read; member data
 * is only touched when a reader claims it (stored members are zero-copy
 * sub-views of the mapped file) or when it has to be inflated.  Raw tensor
 * storages of a PyTorch archive (<root>/data/N) are never read or CRC'd
 * unless their first bytes carry a strong magic (see scan_member).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/lc.h"
#include "formats/pickle.h"
#include "formats/zip.h"

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_DESC 0x08074b50u

#define EOCD_LEN 22u
#define CEN_LEN 46u
#define LOC_LEN 30u
#define EOCD64_LEN 56u
#define LOC64_LEN 20u
#define MAX_COMMENT 65535u

/* General-purpose flag bits that make PyTorch and Python disagree. */
#define GP_ENCRYPTED 0x0001u
#define GP_DESCRIPTOR 0x0008u
#define GP_PATCHED 0x0020u
#define GP_STRONG 0x0040u
#define GP_CRYPT_ANY (GP_ENCRYPTED | GP_PATCHED | GP_STRONG)

#define INFLATE_CHUNK (1u << 20)
#define MiB (1ull << 20)

typedef struct zent {
	uint8_t *raw;       /* central name, raw bytes (malloc'ed, NUL-terminated) */
	char *disp;         /* printable name for messages and member paths */
	uint16_t name_len;
	uint16_t flags, method;
	uint32_t crc;
	uint64_t csize, usize, lho;
	uint64_t cen_off;   /* where the central record sits */
	uint64_t loc_off;   /* local header offset in the view (lho + delta) */
	uint64_t data_off, data_end;
	uint64_t ext_end;   /* data_end plus a data descriptor, if any */
	bool local_ok;      /* local header parsed and data inside the view */
	bool storage;       /* raw tensor storage of a PyTorch archive */
	bool code;          /* TorchScript code/ member */
	bool same_data;     /* same bytes as an earlier entry: scanned once */
} zent;

typedef struct zip {
	lc_ctx *ctx;
	const uint8_t *d;
	size_t n;
	uint64_t eocd;            /* offset of the EOCD record */
	uint64_t cd_start;        /* central directory in the view (after delta) */
	uint64_t cd_end;
	uint64_t tail_start;      /* first byte that belongs to the end records */
	uint64_t delta;           /* added to stored offsets (prepended data) */
	uint64_t declared;        /* entries the end record declares */
	zent *e;
	size_t ne;
	lc_err first_err;
	bool pytorch, torchscript;
	bool overlapping;         /* entries share bytes (zip bomb shape) */
	const char *root;         /* "<root>/" prefix of a PyTorch archive */
	size_t root_len;
} zip;

static void note_err(zip *z, lc_err err)
{
	if (err != LC_OK && z->first_err == LC_OK)
		z->first_err = err;
}

/* Budgets that span the whole file: once reached, scanning more members can
 * only hit them again, so we stop. */
static bool global_budget_spent(const lc_ctx *ctx)
{
	return ctx->decompressed >= lc_lim(ctx, LC_LIMIT_max_decompressed) ||
	       ctx->total_members >= lc_lim(ctx, LC_LIMIT_max_total_members) ||
	       ctx->pickle_ops >= lc_lim(ctx, LC_LIMIT_pickle_max_ops);
}

static bool add_ok(uint64_t a, uint64_t b, uint64_t *r) { return !__builtin_add_overflow(a, b, r); }

static char *printable_name(const uint8_t *p, size_t n)
{
	if (n == 0)
		return strdup("<empty name>");
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = (p[i] < 0x20 || p[i] == 0x7f) ? '?' : (char)p[i];
	s[n] = 0;
	return s;
}

/* Strongest bid any reader makes on the bytes (readers only peek). */
static int best_bid(const uint8_t *data, size_t len)
{
	int best = 0, b;
#define LC_FORMAT(id, name, covers)                                                                      \
	b = lc_bid_##id(data, len);                                                                      \
	if (b > best)                                                                                    \
		best = b;
#include "core/formats.def"
#undef LC_FORMAT
	return best;
}

static uint32_t crc_view(const uint8_t *p, uint64_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);
	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		c = crc32(c, p, k);
		p += k;
		n -= k;
	}
	return (uint32_t)c;
}

/* ---- locating the end records ------------------------------------------- */

/* miniz scans back from the end for the last signature that leaves room for
 * a whole record; the comment length is not checked.  We do the same. */
static bool find_eocd(const uint8_t *d, size_t n, uint64_t *pos)
{
	if (n < EOCD_LEN)
		return false;
	size_t hi = n - EOCD_LEN;
	size_t lo = hi > MAX_COMMENT ? hi - MAX_COMMENT : 0;
	for (size_t i = hi + 1; i-- > lo;) {
		if (d[i] == 'P' && d[i + 1] == 'K' && d[i + 2] == 5 && d[i + 3] == 6) {
			*pos = i;
			return true;
		}
	}
	return false;
}

int lc_bid_zip(const uint8_t *data, size_t len)
{
	if (len >= 4 && lc_le32(data) == SIG_LOCAL)
		return 95;
	if (len >= EOCD_LEN && lc_le32(data) == SIG_EOCD)
		return 60; /* empty archive */
	/* An end record near the end with a plausible central directory: a zip
	 * with something prepended (self-extractor, pickle/zip polyglot). */
	uint64_t pos;
	if (!find_eocd(data, len, &pos))
		return 0;
	const uint8_t *q = data + pos;
	uint64_t cd_size = lc_le32(q + 12), cd_off = lc_le32(q + 16);
	uint16_t entries = lc_le16(q + 10);
	if (entries == 0 || cd_size > pos)
		return 0;
	/* The directory sits just before the end record (Python semantics) or
	 * at its absolute offset (PyTorch semantics). */
	uint64_t rel = pos - cd_size;
	if (rel + 4 <= len && lc_le32(data + rel) == SIG_CENTRAL)
		return 70;
	if (cd_off + 4 <= len && lc_le32(data + cd_off) == SIG_CENTRAL)
		return 70;
	if (pos >= LOC64_LEN && lc_le32(data + pos - LOC64_LEN) == SIG_LOC64)
		return 60;
	return 0;
}

/* Reads the EOCD (and ZIP64 records) into z.  Returns LC_OK or the error
 * (recorded). */
static lc_err read_end_records(zip *z)
{
	lc_ctx *ctx = z->ctx;
	if (!find_eocd(z->d, z->n, &z->eocd))
		return lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET,
			       "zip: no end-of-central-directory record in the last %u bytes",
			       MAX_COMMENT + EOCD_LEN);
	const uint8_t *q = z->d + z->eocd;
	uint16_t disk = lc_le16(q + 4), cd_disk = lc_le16(q + 6);
	uint64_t entries = lc_le16(q + 10);
	uint64_t cd_size = lc_le32(q + 12);
	uint64_t cd_off = lc_le32(q + 16);
	uint16_t clen = lc_le16(q + 20);
	uint64_t cd_anchor = z->eocd; /* the directory should end here */
	z->tail_start = z->eocd;

	if (z->eocd >= LOC64_LEN && lc_le32(q - LOC64_LEN) == SIG_LOC64) {
		uint64_t e64 = lc_le64(q - LOC64_LEN + 8);
		uint64_t e64_end;
		if (!add_ok(e64, EOCD64_LEN, &e64_end) || e64_end > z->n || lc_le32(z->d + e64) != SIG_EOCD64)
			return lc_fail(ctx, LC_E_MALFORMED, z->eocd - LOC64_LEN,
				       "zip: ZIP64 locator points to offset %llu, where there is no ZIP64 end record",
				       (unsigned long long)e64);
		const uint8_t *r = z->d + e64;
		/* The 32-bit fields are placeholders when saturated; miniz then
		 * takes the 64-bit record's values. */
		if (entries == 0xffff || lc_le16(q + 8) == 0xffff)
			entries = lc_le64(r + 32);
		if (cd_size == 0xffffffffu)
			cd_size = lc_le64(r + 40);
		if (cd_off == 0xffffffffu)
			cd_off = lc_le64(r + 48);
		cd_anchor = e64;
		z->tail_start = e64;
	}
	if (disk != 0 || cd_disk != 0)
		return lc_fail(ctx, LC_E_UNSUPPORTED, z->eocd, "zip: multi-volume archives are not supported (disk %u)",
			       (unsigned)disk);
	z->declared = entries;

	/* Where is the directory?  PyTorch: at cd_off, absolute.  Python: the
	 * directory ends where the end record starts, whatever cd_off says;
	 * the difference (data prepended after the zip was written) shifts
	 * every offset. */
	uint64_t end_abs;
	bool abs_ok = add_ok(cd_off, cd_size, &end_abs) && end_abs <= cd_anchor &&
		      (entries == 0 || (cd_off + 4 <= z->n && lc_le32(z->d + cd_off) == SIG_CENTRAL));
	if (abs_ok) {
		z->delta = 0;
	} else if (cd_size <= cd_anchor && cd_anchor - cd_size > cd_off &&
		   (entries == 0 || lc_le32(z->d + (cd_anchor - cd_size)) == SIG_CENTRAL)) {
		z->delta = cd_anchor - cd_size - cd_off;
		lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.prepended-data", 0, "relative-offsets", NULL,
			       "%llu bytes were prepended after the zip was written: its offsets are off by that "
			       "much (Python's zipfile compensates, PyTorch's reader does not)",
			       (unsigned long long)z->delta);
		cd_off += z->delta;
	} else {
		return lc_fail(ctx, LC_E_MALFORMED, z->eocd,
			       "zip: central directory (offset %llu, %llu bytes) is outside the file or missing",
			       (unsigned long long)cd_off, (unsigned long long)cd_size);
	}
	z->cd_start = cd_off;
	z->cd_end = cd_off + cd_size;
	if (z->cd_end < cd_anchor)
		lc_finding_add(ctx, LC_SEV_LOW, "zip.unreferenced-data", z->cd_end, "cd-gap", NULL,
			       "%llu bytes between the central directory and the end record belong to no "
			       "structure",
			       (unsigned long long)(cd_anchor - z->cd_end));

	/* Appended data: bytes after the end record and its comment. */
	uint64_t after = z->eocd + EOCD_LEN;
	uint64_t rest = z->n - after;
	if (clen < rest) {
		lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.appended-data", after + clen, "appended", NULL,
			       "%llu bytes follow the end of the zip (after the end record and its %u-byte "
			       "comment): the file is a polyglot or carries hidden data",
			       (unsigned long long)(rest - clen), (unsigned)clen);
	} else if (clen > rest) {
		lc_finding_add(ctx, LC_SEV_LOW, "zip.eocd-comment", z->eocd, "comment-length", NULL,
			       "end record declares a %u-byte comment but only %llu bytes follow", (unsigned)clen,
			       (unsigned long long)rest);
	}
	/* An earlier end record whose comment covers ours: readers that check
	 * the comment length pick that one and see another directory. */
	size_t lo = z->eocd > MAX_COMMENT + EOCD_LEN ? z->eocd - MAX_COMMENT - EOCD_LEN : 0;
	for (size_t i = z->eocd; i-- > lo;) {
		const uint8_t *p = z->d + i;
		if (p[0] == 'P' && p[1] == 'K' && p[2] == 5 && p[3] == 6 && i + EOCD_LEN + lc_le16(p + 20) == z->n) {
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.eocd-ambiguous", i, "eocd-in-comment", NULL,
				       "a second end-of-central-directory record at offset %llu is hidden in the "
				       "archive comment: zip readers disagree on which directory is real",
				       (unsigned long long)i);
			break;
		}
	}
	return LC_OK;
}

/* ---- central directory ---------------------------------------------------- */

static void parse_zip64_extra(const uint8_t *x, size_t xlen, zent *e)
{
	lc_cur c;
	lc_cur_init(&c, x, xlen);
	while (lc_cur_left(&c) >= 4) {
		uint16_t id, sz;
		const uint8_t *body;
		lc_cur_u16le(&c, &id);
		lc_cur_u16le(&c, &sz);
		if (!lc_cur_take(&c, sz, &body))
			return;
		if (id != 0x0001)
			continue;
		lc_cur f;
		lc_cur_init(&f, body, sz);
		/* Only the saturated fields are present, in this order. */
		if (e->usize == 0xffffffffu)
			lc_cur_u64le(&f, &e->usize);
		if (e->csize == 0xffffffffu)
			lc_cur_u64le(&f, &e->csize);
		if (e->lho == 0xffffffffu)
			lc_cur_u64le(&f, &e->lho);
		return;
	}
}

/* Parses the central directory into z->e.  A truncated directory keeps the
 * entries read so far (their payloads are still scanned). */
static lc_err read_central(zip *z)
{
	lc_ctx *ctx = z->ctx;
	uint64_t maxm = lc_lim(ctx, LC_LIMIT_max_members);
	uint64_t want = z->declared;
	lc_err err = LC_OK;
	if (want > maxm) {
		err = lc_limit_hit(ctx, LC_LIMIT_max_members, z->cd_start, "zip central directory entries");
		want = maxm;
	}
	/* The declared count is attacker-chosen: never allocate more entries
	 * than the directory bytes can hold. */
	uint64_t fit = (z->cd_end - z->cd_start) / CEN_LEN;
	uint64_t alloc = want < fit ? want : fit;
	z->e = calloc(alloc ? alloc : 1, sizeof *z->e);
	if (!z->e)
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory for %llu zip entries",
			       (unsigned long long)alloc);
	lc_cur c;
	lc_cur_init(&c, z->d + z->cd_start, (size_t)(z->cd_end - z->cd_start));
	for (uint64_t i = 0; i < want; i++) {
		size_t here = lc_cur_off(&c);
		const uint8_t *h, *name, *extra;
		if (!lc_cur_take(&c, CEN_LEN, &h) || lc_le32(h) != SIG_CENTRAL || z->ne >= alloc) {
			lc_err e2 = lc_fail(ctx, c.err ? LC_E_TRUNCATED : LC_E_MALFORMED, z->cd_start + here,
					    "zip: central directory is truncated: entry %llu of %llu is missing or "
					    "corrupt",
					    (unsigned long long)i + 1, (unsigned long long)z->declared);
			return err != LC_OK ? err : e2;
		}
		uint16_t nl = lc_le16(h + 28), xl = lc_le16(h + 30), cl = lc_le16(h + 32);
		if (!lc_cur_take(&c, nl, &name) || !lc_cur_take(&c, xl, &extra) || !lc_cur_skip(&c, cl)) {
			lc_err e2 = lc_fail(ctx, LC_E_TRUNCATED, z->cd_start + here,
					    "zip: central directory entry %llu runs past the directory",
					    (unsigned long long)i + 1);
			return err != LC_OK ? err : e2;
		}
		zent *e = &z->e[z->ne];
		e->flags = lc_le16(h + 8);
		e->method = lc_le16(h + 10);
		e->crc = lc_le32(h + 16);
		e->csize = lc_le32(h + 20);
		e->usize = lc_le32(h + 24);
		e->lho = lc_le32(h + 42);
		e->cen_off = z->cd_start + here;
		e->name_len = nl;
		parse_zip64_extra(extra, xl, e);
		e->raw = malloc((size_t)nl + 1);
		e->disp = printable_name(name, nl);
		if (!e->raw || !e->disp) {
			free(e->raw);
			free(e->disp);
			return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory reading zip names");
		}
		memcpy(e->raw, name, nl);
		e->raw[nl] = 0;
		z->ne++;
	}
	return err;
}

/* Locates each entry's local header and data.  Problems with one entry make
 * that entry unreadable (an error) but not the others. */
static void read_locals(zip *z)
{
	lc_ctx *ctx = z->ctx;
	for (size_t i = 0; i < z->ne; i++) {
		zent *e = &z->e[i];
		uint64_t lo, nameoff, data_off, data_end;
		if (!add_ok(e->lho, z->delta, &lo) || !add_ok(lo, LOC_LEN, &nameoff) || nameoff > z->n ||
		    lc_le32(z->d + lo) != SIG_LOCAL) {
			note_err(z, lc_fail(ctx, LC_E_MALFORMED, e->cen_off,
					    "zip: member %s: no local header at offset %llu", e->disp,
					    (unsigned long long)e->lho));
			continue;
		}
		const uint8_t *h = z->d + lo;
		uint16_t lflags = lc_le16(h + 6), lmethod = lc_le16(h + 8);
		uint16_t nl = lc_le16(h + 26), xl = lc_le16(h + 28);
		if (!add_ok(nameoff, (uint64_t)nl + xl, &data_off) || data_off > z->n ||
		    !add_ok(data_off, e->csize, &data_end) || data_end > z->n) {
			note_err(z, lc_fail(ctx, LC_E_TRUNCATED, lo,
					    "zip: member %s: data (%llu bytes) runs past the end of the file", e->disp,
					    (unsigned long long)e->csize));
			continue;
		}
		e->loc_off = lo;
		e->data_off = data_off;
		e->data_end = data_end;
		e->ext_end = data_end;
		e->local_ok = true;
		/* PyTorch looks members up by their central name and uses the
		 * local header only to skip to the data; a streaming reader
		 * sees the local name instead. */
		if (nl != e->name_len || memcmp(z->d + nameoff, e->raw, nl) != 0) {
			char *ln = printable_name(z->d + nameoff, nl);
			char ev[600];
			snprintf(ev, sizeof ev, "local '%.256s', central '%.256s'", ln ? ln : "?", e->disp);
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.name-mismatch", lo, "name-mismatch", ev,
				       "member %s has a different name in its local header (%s): streaming and "
				       "directory-based readers see different files",
				       e->disp, ln ? ln : "?");
			free(ln);
		}
		if (lmethod != e->method || (lflags & GP_CRYPT_ANY) != (e->flags & GP_CRYPT_ANY))
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.header-mismatch", lo, e->disp, NULL,
				       "member %s: local header says method %u flags 0x%x, central directory "
				       "method %u flags 0x%x",
				       e->disp, (unsigned)lmethod, (unsigned)lflags, (unsigned)e->method,
				       (unsigned)e->flags);
		if (e->flags & GP_DESCRIPTOR) {
			/* Data descriptor: optional signature, CRC, sizes (4 or 8). */
			uint64_t p = data_end;
			if (p + 4 <= z->n && lc_le32(z->d + p) == SIG_DESC)
				p += 4;
			p += (e->csize >= 0xffffffffu || e->usize >= 0xffffffffu) ? 20 : 12;
			e->ext_end = p <= z->n ? p : z->n;
		}
	}
}

/* ---- structure checks ------------------------------------------------------- */

/* Sorting works on pointers into z->e so that no global context is needed
 * (files are scanned on several threads). */
static int cmp_name(const void *a, const void *b)
{
	const zent *x = *(const zent *const *)a, *y = *(const zent *const *)b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->raw, y->raw, n);
	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int cmp_off(const void *a, const void *b)
{
	const zent *x = *(const zent *const *)a, *y = *(const zent *const *)b;
	if (x->loc_off != y->loc_off)
		return x->loc_off < y->loc_off ? -1 : 1;
	return (x > y) - (x < y); /* directory order: qsort is not stable */
}

static bool is_traversal(const uint8_t *s, size_t n)
{
	if (n == 0)
		return false;
	if (s[0] == '/' || s[0] == '\\')
		return true;
	if (n >= 2 && s[1] == ':' && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
		return true;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/' || s[i] == '\\') {
			if (i - start == 2 && s[start] == '.' && s[start + 1] == '.')
				return true;
			start = i + 1;
		}
	}
	return false;
}

static void scan_hidden(zip *z, uint64_t from, uint64_t to, const char *what);

/* Duplicate names, overlapping entries, gaps, prepended data, traversal. */
static lc_err check_structure(zip *z, zent **order)
{
	lc_ctx *ctx = z->ctx;
	for (size_t i = 0; i < z->ne; i++)
		order[i] = &z->e[i];
	if (z->ne > 1)
		qsort(order, z->ne, sizeof *order, cmp_name);
	for (size_t i = 1; i < z->ne; i++) {
		if (cmp_name(&order[i - 1], &order[i]) == 0)
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.duplicate-name", order[i]->cen_off, order[i]->disp,
				       NULL,
				       "name %s appears more than once in the central directory: readers "
				       "disagree on which copy they load (all copies are scanned)",
				       order[i]->disp);
	}
	for (size_t i = 0; i < z->ne; i++)
		if (is_traversal(z->e[i].raw, z->e[i].name_len))
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.path-traversal", z->e[i].cen_off, z->e[i].disp,
				       NULL, "member name %s escapes the extraction directory (absolute path or '..')",
				       z->e[i].disp);

	/* Walk the entries in file order: each must end before the next
	 * begins; anything in between is data no directory entry explains. */
	for (size_t i = 0; i < z->ne; i++)
		order[i] = &z->e[i];
	if (z->ne > 1)
		qsort(order, z->ne, sizeof *order, cmp_off);
	uint64_t pos = 0;
	bool first = true;
	for (size_t k = 0; k < z->ne; k++) {
		zent *e = order[k];
		if (!e->local_ok)
			continue;
		if (first) {
			first = false;
			if (e->loc_off > 0 && lc_le32(z->d) == SIG_LOCAL) {
				/* Local headers before the first member: hidden
				 * members, reported one by one. */
				scan_hidden(z, 0, e->loc_off, "<unreferenced>");
			} else if (e->loc_off > 0 && e->loc_off == z->delta) {
				/* Already reported as relative offsets. */
				scan_hidden(z, 0, e->loc_off, "<prepended>");
			} else if (e->loc_off > 0) {
				lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.prepended-data", 0, "prepended", NULL,
					       "%llu bytes precede the first member: the file is a polyglot (a loader "
					       "that checks the first bytes may read them as another format)",
					       (unsigned long long)e->loc_off);
				scan_hidden(z, 0, e->loc_off, "<prepended>");
			}
		} else if (e->loc_off < pos) {
			z->overlapping = true;
			const zent *prev = order[k - 1];
			if (prev->local_ok && prev->loc_off == e->loc_off && prev->csize == e->csize &&
			    prev->method == e->method)
				e->same_data = true;
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.overlap", e->loc_off, "overlap", e->disp,
				       "member %s starts inside the previous member's data: overlapping entries "
				       "(zip bomb or differential trick)",
				       e->disp);
		} else if (e->loc_off > pos) {
			lc_finding_add(ctx, LC_SEV_LOW, "zip.unreferenced-data", pos, NULL, NULL,
				       "%llu bytes at offset %llu belong to no member of the central directory",
				       (unsigned long long)(e->loc_off - pos), (unsigned long long)pos);
			scan_hidden(z, pos, e->loc_off, "<unreferenced>");
		}
		if (e->ext_end > pos)
			pos = e->ext_end;
		if (global_budget_spent(ctx))
			return LC_E_LIMIT;
	}
	if (first) {
		if (z->cd_start > 0) {
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.prepended-data", 0, "prepended", NULL,
				       "%llu bytes precede the central directory and no member explains them",
				       (unsigned long long)z->cd_start);
			scan_hidden(z, 0, z->cd_start, "<prepended>");
		}
	} else if (pos > z->cd_start) {
		lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.overlap", z->cd_start, "cd-overlap", NULL,
			       "member data overlaps the central directory");
	} else if (pos < z->cd_start) {
		lc_finding_add(ctx, LC_SEV_LOW, "zip.unreferenced-data", pos, NULL, NULL,
			       "%llu bytes at offset %llu belong to no member of the central directory",
			       (unsigned long long)(z->cd_start - pos), (unsigned long long)pos);
		scan_hidden(z, pos, z->cd_start, "<unreferenced>");
	}
	/* Between the directory and the end records (e.g. the directory an
	 * ambiguous end record hid). */
	if (z->cd_end < z->tail_start)
		scan_hidden(z, z->cd_end, z->tail_start, "<unreferenced>");
	uint64_t tail = z->eocd + EOCD_LEN + lc_le16(z->d + z->eocd + 20);
	if (tail < z->n)
		scan_hidden(z, tail, z->n, "<appended>");
	return LC_OK;
}

/* ---- member content ------------------------------------------------------------ */

/* Inflates a raw deflate member into a malloc'ed buffer, bounded by
 * max_member_size, max_ratio and the file's max_decompressed budget.
 * quiet: do not record zlib errors (caller explains them).  On success *out
 * is the buffer and *crc its CRC-32. */
static lc_err inflate_member(zip *z, const zent *e, bool quiet, uint8_t **out, size_t *outlen, uint32_t *crc)
{
	lc_ctx *ctx = z->ctx;
	uint64_t maxm = lc_lim(ctx, LC_LIMIT_max_member_size);
	uint64_t ratio = lc_lim(ctx, LC_LIMIT_max_ratio);
	*out = NULL;
	*outlen = 0;
	/* Start from the declared size but never trust it beyond what the
	 * ratio limit allows; grow by doubling if the stream is longer. */
	uint64_t cap = e->usize;
	uint64_t rbound = e->csize > UINT64_MAX / ratio ? UINT64_MAX : e->csize * ratio;
	if (rbound < MiB)
		rbound = MiB;
	if (cap > rbound)
		cap = rbound;
	if (cap > maxm)
		cap = maxm;
	if (cap < 4096)
		cap = 4096;
	if (cap > SIZE_MAX)
		cap = SIZE_MAX;
	char what[600];
	snprintf(what, sizeof what, "inflating member %.512s", e->disp);
	uint8_t *buf = lc_alloc_input(ctx, (size_t)cap, what);
	if (!buf)
		return ctx->file->error_code ? ctx->file->error_code : LC_E_NOMEM;
	z_stream s;
	memset(&s, 0, sizeof s);
	if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
		free(buf);
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "zlib inflateInit2 failed");
	}
	const uint8_t *in = z->d + e->data_off;
	uint64_t in_left = e->csize;
	uint64_t len = 0;
	uLong c = crc32(0L, Z_NULL, 0);
	lc_err err = LC_OK;
	int zr = Z_OK;
	for (;;) {
		if (s.avail_in == 0 && in_left > 0) {
			uInt k = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
			s.next_in = (Bytef *)(uintptr_t)in;
			s.avail_in = k;
			in += k;
			in_left -= k;
		}
		if (len == cap) {
			if (cap >= maxm) {
				err = lc_limit_hit(ctx, LC_LIMIT_max_member_size, e->data_off, what);
				break;
			}
			uint64_t ncap = cap * 2 > maxm ? maxm : cap * 2;
			if (ncap > SIZE_MAX)
				ncap = SIZE_MAX;
			uint8_t *nb = realloc(buf, (size_t)ncap);
			if (!nb) {
				err = lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory %s", what);
				break;
			}
			buf = nb;
			cap = ncap;
		}
		uint64_t room = cap - len;
		s.next_out = buf + len;
		s.avail_out = room > INFLATE_CHUNK ? INFLATE_CHUNK : (uInt)room;
		uInt before_out = s.avail_out;
		uLong before_in = s.total_in;
		zr = inflate(&s, Z_NO_FLUSH);
		uInt produced = before_out - s.avail_out;
		c = crc32(c, buf + len, produced);
		len += produced;
		/* Charge in chunks of at most 1 MiB (the engine's own ratio
		 * test looks at single charges); the ratio of the member so
		 * far is checked here. */
		if (produced) {
			err = lc_charge_decompressed(ctx, produced, s.total_in - before_in + 1);
			if (err != LC_OK)
				break;
		}
		if (len > MiB && len / (s.total_in ? s.total_in : 1) >= ratio) {
			err = lc_limit_hit(ctx, LC_LIMIT_max_ratio, e->data_off, what);
			break;
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && s.avail_in == 0 && in_left == 0) {
			if (!quiet)
				err = lc_fail(ctx, LC_E_TRUNCATED, e->data_off,
					      "zip: deflate stream of member %s ends early", e->disp);
			else
				err = LC_E_TRUNCATED;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			if (!quiet)
				err = lc_fail(ctx, LC_E_MALFORMED, e->data_off,
					      "zip: deflate stream of member %s is corrupt (%s)", e->disp,
					      s.msg ? s.msg : "zlib error");
			else
				err = LC_E_MALFORMED;
			break;
		}
	}
	inflateEnd(&s);
	if (err != LC_OK) {
		free(buf);
		return err;
	}
	if (len != e->usize)
		lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.size-mismatch", e->cen_off, e->disp, NULL,
			       "member %s inflates to %llu bytes but the directory declares %llu", e->disp,
			       (unsigned long long)len, (unsigned long long)e->usize);
	*out = buf;
	*outlen = (size_t)len;
	*crc = (uint32_t)c;
	return LC_OK;
}

static const char *method_name(unsigned m)
{
	switch (m) {
	case 1: return "shrink";
	case 6: return "implode";
	case 9: return "deflate64";
	case 12: return "bzip2";
	case 14: return "lzma";
	case 93: return "zstd";
	case 95: return "xz";
	case 98: return "ppmd";
	case 99: return "AES encryption";
	default: return "unknown";
	}
}

static void report_crc(zip *z, const zent *e, uint32_t got)
{
	lc_finding_add(z->ctx, LC_SEV_MEDIUM, "zip.crc-mismatch", e->cen_off, e->disp, NULL,
		       "member %s: CRC-32 of the content is %08x but the directory says %08x (PyTorch ignores "
		       "CRCs; other readers refuse the member): edited after writing",
		       e->disp, (unsigned)got, (unsigned)e->crc);
}

static bool is_storage_name(const zip *z, const zent *e)
{
	if (!z->pytorch || e->name_len <= z->root_len + 5 || memcmp(e->raw, z->root, z->root_len) != 0)
		return false;
	const uint8_t *r = e->raw + z->root_len;
	size_t rn = e->name_len - z->root_len;
	if (memcmp(r, "data/", 5) != 0)
		return false;
	for (size_t i = 5; i < rn; i++)
		if (r[i] < '0' || r[i] > '9')
			return false;
	return true;
}

static lc_err scan_member(zip *z, zent *e)
{
	lc_ctx *ctx = z->ctx;
	if (!e->local_ok)
		return LC_OK; /* already reported */
	/* Directory entries carry nothing. */
	if (e->name_len > 0 && e->raw[e->name_len - 1] == '/' && e->csize == 0 && e->usize == 0)
		return LC_OK;
	const uint8_t *view = z->d + e->data_off;
	bool crypt = (e->flags & GP_CRYPT_ANY) != 0;

	if (e->method != 0 && e->method != 8) {
		if (crypt || e->method == 99)
			return lc_fail(ctx, LC_E_UNSUPPORTED, e->cen_off,
				       "member %s is encrypted and cannot be inspected (method %u)", e->disp,
				       (unsigned)e->method);
		return lc_fail(ctx, LC_E_UNSUPPORTED, e->cen_off,
			       "member %s uses compression method %u (%s), which laocoon cannot decompress",
			       e->disp, (unsigned)e->method, method_name(e->method));
	}

	if (e->method == 0) {
		if (e->csize != e->usize && !crypt)
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.size-mismatch", e->cen_off, e->disp, NULL,
				       "stored member %s: compressed size %llu differs from size %llu", e->disp,
				       (unsigned long long)e->csize, (unsigned long long)e->usize);
		if (e->csize > SIZE_MAX)
			return lc_fail(ctx, LC_E_LIMIT, e->cen_off, "member %s too large to map", e->disp);
		size_t len = (size_t)e->csize;
		/* Raw tensor storages: bidders peek only, but a weak bid on
		 * float bytes would send a gigabyte through a parser and turn
		 * a benign checkpoint into an error.  torch.load never
		 * unpickles data/N, so only bytes that carry a format's magic
		 * (a protocol 2+ pickle, a zip ...) are worth scanning. */
		int bid = best_bid(view, len);
		if (e->storage && bid < LC_BID_STRONG)
			return LC_OK;
		if (crypt) {
			bool plain = bid > 0 || (e->csize == e->usize && crc_view(view, len) == e->crc);
			if (!plain)
				return lc_fail(ctx, LC_E_UNSUPPORTED, e->cen_off,
					       "member %s is encrypted and cannot be inspected", e->disp);
			lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.encryption-flag", e->cen_off, e->disp, NULL,
				       "member %s has general-purpose flags 0x%x (encrypted/patched) but is stored "
				       "in plaintext: PyTorch reads it anyway, other tools skip it",
				       e->disp, (unsigned)e->flags);
		}
		/* CRC only for bytes a reader will read anyway. */
		if (bid > 0) {
			uint32_t got = crc_view(view, len);
			if (got != e->crc)
				report_crc(z, e, got);
		}
		return lc_scan_child(ctx, e->disp, view, len, e->data_off);
	}

	/* Deflate. */
	if (e->storage) {
		/* Inflate just the first bytes to decide, as above. */
		uint8_t head[64];
		z_stream s;
		memset(&s, 0, sizeof s);
		if (inflateInit2(&s, -MAX_WBITS) != Z_OK)
			return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "zlib inflateInit2 failed");
		s.next_in = (Bytef *)(uintptr_t)view;
		s.avail_in = e->csize > 65536 ? 65536 : (uInt)e->csize;
		s.next_out = head;
		s.avail_out = sizeof head;
		inflate(&s, Z_SYNC_FLUSH);
		size_t hn = sizeof head - s.avail_out;
		inflateEnd(&s);
		if (best_bid(head, hn) < LC_BID_STRONG && !crypt)
			return LC_OK;
	}
	uint8_t *buf;
	size_t len;
	uint32_t got;
	lc_err err = inflate_member(z, e, crypt, &buf, &len, &got);
	if (err != LC_OK) {
		if (crypt && err != LC_E_LIMIT && err != LC_E_NOMEM)
			return lc_fail(ctx, LC_E_UNSUPPORTED, e->cen_off,
				       "member %s is encrypted and cannot be inspected", e->disp);
		return err;
	}
	if (crypt) {
		lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.encryption-flag", e->cen_off, e->disp, NULL,
			       "member %s has general-purpose flags 0x%x (encrypted/patched) but inflates as "
			       "plaintext: PyTorch reads it anyway, other tools skip it",
			       e->disp, (unsigned)e->flags);
	}
	if (got != e->crc)
		report_crc(z, e, got);
	err = lc_scan_child(ctx, e->disp, buf, len, LC_NO_OFFSET);
	free(buf);
	return err;
}

/* Bytes no directory entry explains.  Local headers in there are members a
 * streaming reader (unzip -, libarchive, pip) would extract while PyTorch and
 * Python never see them: report and scan each.  Anything else is scanned as
 * one blob so that, say, a pickle hidden between members is still read. */
static void scan_hidden(zip *z, uint64_t from, uint64_t to, const char *what)
{
	lc_ctx *ctx = z->ctx;
	uint64_t p = from;
	int guard = 0;
	while (p + LOC_LEN <= to && lc_le32(z->d + p) == SIG_LOCAL && guard++ < 1000) {
		const uint8_t *h = z->d + p;
		uint16_t flags = lc_le16(h + 6), method = lc_le16(h + 8);
		uint64_t csz = lc_le32(h + 18);
		uint16_t nl = lc_le16(h + 26), xl = lc_le16(h + 28);
		uint64_t data = p + LOC_LEN + nl + xl, end;
		if (data > to || !add_ok(data, csz, &end) || end > to || (flags & GP_DESCRIPTOR))
			break;
		char *name = printable_name(h + LOC_LEN, nl);
		char *child = lc_strdup_printf("<hidden>/%s", name ? name : "?");
		lc_finding_add(ctx, LC_SEV_MEDIUM, "zip.hidden-member", p, name, NULL,
			       "local file header for %s at offset %llu is not in the central directory: streaming "
			       "readers extract it, PyTorch and Python do not",
			       name ? name : "?", (unsigned long long)p);
		if (method == 0 && child) {
			lc_scan_child(ctx, child, z->d + data, (size_t)csz, data);
		} else if (method == 8 && child) {
			zent t;
			memset(&t, 0, sizeof t);
			t.disp = child;
			t.data_off = data;
			t.csize = csz;
			t.usize = lc_le32(h + 22);
			t.crc = lc_le32(h + 14);
			uint8_t *buf;
			size_t len;
			uint32_t crc;
			if (inflate_member(z, &t, false, &buf, &len, &crc) == LC_OK) {
				lc_scan_child(ctx, child, buf, len, LC_NO_OFFSET);
				free(buf);
			}
		}
		free(name);
		free(child);
		p = end;
		if (global_budget_spent(ctx))
			return;
	}
	/* A local header we could not walk (data descriptor, truncation) or
	 * a stray central directory is left alone: scanning it as a blob
	 * would bid zip on it again and fail on the partial structure. */
	if (p < to && !(to - p >= 4 && (lc_le32(z->d + p) == SIG_LOCAL || lc_le32(z->d + p) == SIG_CENTRAL)))
		lc_scan_child(ctx, what, z->d + p, (size_t)(to - p), p);
}

/* ---- PyTorch classification ------------------------------------------------------- */

static bool has_name(const zip *z, const char *root, size_t rl, const char *leaf, bool prefix)
{
	size_t ll = strlen(leaf);
	for (size_t i = 0; i < z->ne; i++) {
		const zent *e = &z->e[i];
		if (e->name_len < rl + ll || memcmp(e->raw, root, rl) != 0 || memcmp(e->raw + rl, leaf, ll) != 0)
			continue;
		if (prefix || e->name_len == rl + ll)
			return true;
	}
	return false;
}

/* torch.save writes <root>/data.pkl, <root>/version, <root>/data/N (and
 * since 1.13 byteorder, .data/serialization_id); torch.jit.save adds
 * <root>/code/ and <root>/constants.pkl.  The root folder is whatever the
 * first entry says; we accept any single top-level folder, or none. */
static void classify(zip *z)
{
	int candidates = 0;
	for (size_t i = 0; i < z->ne && candidates < 8; i++) {
		const zent *e = &z->e[i];
		if (e->name_len < 8 || memcmp(e->raw + e->name_len - 8, "data.pkl", 8) != 0)
			continue;
		size_t rl = e->name_len - 8;
		const char *root = (const char *)e->raw;
		if (rl > 0 && (root[rl - 1] != '/' || memchr(root, '/', rl - 1) != NULL))
			continue;
		candidates++;
		if (!has_name(z, root, rl, "version", false) && !has_name(z, root, rl, ".data/version", false) &&
		    !has_name(z, root, rl, "data/", true) && !has_name(z, root, rl, "byteorder", false))
			continue;
		z->pytorch = true;
		z->root = root;
		z->root_len = rl;
		z->torchscript = has_name(z, root, rl, "code/", true) && has_name(z, root, rl, "constants.pkl", false);
		break;
	}
	if (!z->pytorch) {
		/* numpy.savez writes one "<name>.npy" member per array; the
		 * members themselves are identified by content (npy reader). */
		size_t npy = 0;
		for (size_t i = 0; i < z->ne; i++)
			if (z->e[i].name_len > 4 && memcmp(z->e[i].raw + z->e[i].name_len - 4, ".npy", 4) == 0)
				npy++;
		if (npy > 0 && npy == z->ne)
			lc_set_format(z->ctx, "npz");
		return;
	}
	lc_set_format(z->ctx, z->torchscript ? "torchscript" : "pytorch-zip");
	lc_add_flags(z->ctx, LC_CTX_PYTORCH | (z->torchscript ? LC_CTX_TORCHSCRIPT : 0u));
	size_t ncode = 0;
	lc_buf names = {0};
	for (size_t i = 0; i < z->ne; i++) {
		zent *e = &z->e[i];
		e->storage = is_storage_name(z, e);
		if (z->torchscript && e->name_len > z->root_len + 5 && memcmp(e->raw, z->root, z->root_len) == 0 &&
		    memcmp(e->raw + z->root_len, "code/", 5) == 0 && e->raw[e->name_len - 1] != '/') {
			e->code = true;
			if (ncode < 20)
				lc_buf_printf(&names, "%s%s", ncode ? ", " : "", e->disp + z->root_len);
			else if (ncode == 20)
				lc_buf_puts(&names, ", ...");
			ncode++;
		}
	}
	if (ncode > 0) {
		lc_buf_put(&names, "", 1);
		lc_finding_add(z->ctx, LC_SEV_INFO, "torchscript.code", LC_NO_OFFSET, "code", names.oom ? NULL : names.p,
			       "TorchScript archive carries %zu code file%s that torch.jit.load compiles (no Python "
			       "is run; review the model's forward())",
			       ncode, ncode == 1 ? "" : "s");
	}
	lc_buf_free(&names);
}

/* ---- entry point ------------------------------------------------------------------- */

lc_err lc_parse_zip(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	zip z;
	memset(&z, 0, sizeof z);
	z.ctx = ctx;
	z.d = data;
	z.n = len;
	lc_err err = read_end_records(&z);
	if (err != LC_OK) {
		/* No usable directory: a streaming reader would still walk the
		 * local headers, so scan whatever they contain. */
		if (len >= 4 && lc_le32(data) == SIG_LOCAL)
			scan_hidden(&z, 0, len, "<undirected data>");
		return err;
	}
	note_err(&z, read_central(&z));
	zent **order = NULL;
	if (z.ne > 0) {
		order = malloc(z.ne * sizeof *order);
		if (!order) {
			note_err(&z, lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory"));
			goto out;
		}
	}
	read_locals(&z);
	classify(&z);
	if (check_structure(&z, order) != LC_OK)
		goto out;
	for (size_t i = 0; i < z.ne; i++) {
		if (z.e[i].same_data)
			continue;
		lc_err e2 = scan_member(&z, &z.e[i]);
		note_err(&z, e2);
		if (e2 == LC_E_NOMEM || global_budget_spent(ctx))
			break;
		/* Overlapping entries that hit a size limit are a bomb built
		 * from shared bytes: every further entry would do the same. */
		if (e2 == LC_E_LIMIT && z.overlapping)
			break;
	}
out:
	free(order);
	for (size_t i = 0; i < z.ne; i++) {
		free(z.e[i].raw);
		free(z.e[i].disp);
	}
	free(z.e);
	return z.first_err;
}

/* ---- directory access for convert (src/formats/zip.h) ------------------------------ */

lc_err lc_zip_list(lc_ctx *ctx, const uint8_t *data, size_t len, lc_zip_entry **out, size_t *n)
{
	zip z;
	memset(&z, 0, sizeof z);
	z.ctx = ctx;
	z.d = data;
	z.n = len;
	*out = NULL;
	*n = 0;
	lc_err err = read_end_records(&z);
	if (err != LC_OK)
		return err;
	note_err(&z, read_central(&z));
	read_locals(&z);
	lc_zip_entry *v = calloc(z.ne ? z.ne : 1, sizeof *v);
	if (!v)
		note_err(&z, lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory"));
	for (size_t i = 0; v && i < z.ne; i++) {
		zent *e = &z.e[i];
		if (!e->local_ok)
			continue;
		lc_zip_entry *o = &v[(*n)++];
		o->name = (char *)e->raw; /* ownership moves */
		e->raw = NULL;
		o->name_len = e->name_len;
		o->method = e->method;
		o->flags = e->flags;
		o->data = data + e->data_off;
		o->csize = e->csize;
		o->usize = e->usize;
	}
	for (size_t i = 0; i < z.ne; i++) {
		free(z.e[i].raw);
		free(z.e[i].disp);
	}
	free(z.e);
	*out = v;
	return z.first_err;
}

void lc_zip_list_free(lc_zip_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		free(e[i].name);
	free(e);
}

lc_err lc_zip_entry_content(lc_ctx *ctx, const lc_zip_entry *e, const uint8_t **data, size_t *len,
			    uint8_t **owned)
{
	*data = NULL;
	*len = 0;
	*owned = NULL;
	if (e->flags & GP_CRYPT_ANY)
		return lc_fail(ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET, "zip member %s is flagged encrypted", e->name);
	if (e->method == 0) {
		if (e->csize > SIZE_MAX)
			return lc_fail(ctx, LC_E_LIMIT, LC_NO_OFFSET, "zip member %s too large to map", e->name);
		*data = e->data;
		*len = (size_t)e->csize;
		return LC_OK;
	}
	if (e->method != 8)
		return lc_fail(ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET, "zip member %s uses compression method %u (%s)",
			       e->name, e->method, method_name(e->method));
	/* inflate_member reads z->d + data_off: a view holding just this member. */
	zip z;
	zent t;
	memset(&z, 0, sizeof z);
	memset(&t, 0, sizeof t);
	z.ctx = ctx;
	z.d = e->data;
	z.n = (size_t)e->csize;
	t.disp = e->name;
	t.csize = e->csize;
	t.usize = e->usize;
	uint32_t crc;
	lc_err err = inflate_member(&z, &t, false, owned, len, &crc);
	if (err == LC_OK)
		*data = *owned;
	return err;
}
