/*
 * Raw zlib streams (RFC 1950) and joblib's legacy "ZF" files
 * (src/formats/zlib_stream.c).
 *
 * joblib.dump(..., compress=('zlib', n)) and the ".z" extension write one
 * bare zlib stream around the pickle (joblib/compressor.py, BinaryZlibFile,
 * wbits=15).  joblib < 0.10 wrote "Z-files": b"ZF", the decompressed length
 * as hex ("0x1f4") left-justified with spaces to 19 characters, optionally
 * one more space, then a zlib stream (joblib/numpy_pickle_compat.py,
 * read_zfile).  libarchive has no raw-zlib filter, so zlib (already linked
 * for zip) inflates them here.
 *
 * A 2-byte zlib header is weak evidence (1 in ~250 random byte pairs
 * passes), so the bidder also inflates the start of the stream: only data
 * that decodes as deflate is claimed.  The whole stream is inflated into a
 * buffer bounded by max_member_size, charged to max_decompressed and
 * checked against max_ratio, then identified and scanned as a child.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/lc.h"

#define ZF_PREFIX_LEN 2
#define ZF_LEN_FIELD 19 /* len(hex(2 ** 64)) in joblib */
#define BID_PROBE_IN 4096u
#define MiB (1ull << 20)

static bool zlib_header_ok(const uint8_t *d, size_t n)
{
	if (n < 2)
		return false;
	/* CM = 8 (deflate), CINFO <= 7 (window <= 32K), FCHECK, no preset
	 * dictionary (joblib never uses one and we could not inflate it) */
	return (d[0] & 0x0f) == 8 && (d[0] >> 4) <= 7 && ((unsigned)d[0] * 256u + d[1]) % 31u == 0 &&
	       !(d[1] & 0x20);
}

/* Offset of the zlib stream inside a joblib Z-file, or 0 if not one. */
static size_t zfile_data(const uint8_t *d, size_t n, uint64_t *declared)
{
	size_t h = ZF_PREFIX_LEN + ZF_LEN_FIELD, i;
	uint64_t v = 0;
	*declared = 0;
	if (n < h + 2 || d[0] != 'Z' || d[1] != 'F' || d[2] != '0' || d[3] != 'x')
		return 0;
	for (i = 4; i < h && d[i] != ' '; i++) {
		int x = d[i] >= '0' && d[i] <= '9' ? d[i] - '0' : d[i] >= 'a' && d[i] <= 'f' ? d[i] - 'a' + 10 : -1;
		if (x < 0 || v > (UINT64_MAX >> 4))
			return 0;
		v = v * 16 + (uint64_t)x;
	}
	if (i == 4)
		return 0;
	for (; i < h; i++)
		if (d[i] != ' ')
			return 0;
	if (d[h] == ' ') /* read_zfile skips one optional space */
		h++;
	*declared = v;
	return zlib_header_ok(d + h, n - h) ? h : 0;
}

/* Inflates the start of the stream: does it decode? */
static bool inflates(const uint8_t *d, size_t n)
{
	uint8_t out[4096];
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return false;
	zs.next_in = (Bytef *)d;
	zs.avail_in = (uInt)(n < BID_PROBE_IN ? n : BID_PROBE_IN);
	zs.next_out = out;
	zs.avail_out = sizeof out;
	int r = inflate(&zs, Z_SYNC_FLUSH);
	size_t produced = sizeof out - zs.avail_out;
	inflateEnd(&zs);
	return (r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR) && produced > 0;
}

int lc_bid_zlib(const uint8_t *data, size_t len)
{
	uint64_t declared;
	size_t at = zfile_data(data, len, &declared);
	if (at)
		return inflates(data + at, len - at) ? 80 : 0;
	if (!zlib_header_ok(data, len))
		return 0;
	return inflates(data, len) ? 60 : 0;
}

lc_err lc_parse_zlib(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	uint64_t declared = 0;
	size_t at = zfile_data(data, len, &declared);
	lc_set_format(ctx, at ? "joblib-zfile" : "zlib");
	uint64_t maxm = lc_lim(ctx, LC_LIMIT_max_member_size);
	uint64_t ratio = lc_lim(ctx, LC_LIMIT_max_ratio);
	const uint8_t *in = data + at;
	size_t inlen = len - at;
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return lc_fail(ctx, LC_E_NOMEM, 0, "zlib: cannot initialise the inflater");
	size_t cap = inlen < (1u << 16) ? (1u << 16) : inlen * 4 < maxm ? inlen * 4 : (size_t)maxm;
	if (cap == 0)
		cap = 1;
	uint8_t *buf = lc_alloc_input(ctx, cap, "zlib stream");
	size_t out = 0;
	lc_err err = LC_OK;
	int r = Z_OK;
	if (!buf) {
		inflateEnd(&zs);
		return ctx->file->error_code;
	}
	zs.next_in = (Bytef *)in;
	while (r != Z_STREAM_END) {
		/* avail_in is a uInt: feed at most 1 GiB at a time */
		if (zs.avail_in == 0) {
			size_t used = (size_t)((const uint8_t *)zs.next_in - in);
			size_t left = inlen - used;
			zs.avail_in = (uInt)(left > (1u << 30) ? (1u << 30) : left);
		}
		if (out == cap) {
			if (cap >= maxm) {
				err = lc_limit_hit(ctx, LC_LIMIT_max_member_size, LC_NO_OFFSET, "zlib stream");
				break;
			}
			size_t ncap = cap > maxm / 2 ? (size_t)maxm : cap * 2;
			uint8_t *nb = realloc(buf, ncap);
			if (!nb) {
				err = lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory inflating a zlib stream");
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t room = cap - out;
		zs.next_out = buf + out;
		zs.avail_out = (uInt)(room > (1u << 30) ? (1u << 30) : room);
		uInt before = zs.avail_out;
		r = inflate(&zs, Z_NO_FLUSH);
		size_t got = before - zs.avail_out;
		/* charged in slices of at most 1 MiB, as archive.c does: the
		 * stream's ratio is checked below against the compressed size */
		for (size_t add = got; add > 0;) {
			size_t k = add > MiB ? MiB : add;
			err = lc_charge_decompressed(ctx, k, k);
			if (err != LC_OK)
				break;
			add -= k;
		}
		if (err != LC_OK)
			break;
		out += got;
		if (out > MiB && out / (inlen ? inlen : 1) >= ratio) {
			err = lc_limit_hit(ctx, LC_LIMIT_max_ratio, LC_NO_OFFSET, "zlib stream");
			break;
		}
		if (r == Z_STREAM_END)
			break;
		if (r == Z_BUF_ERROR && zs.avail_in == 0 && (size_t)((const uint8_t *)zs.next_in - in) == inlen) {
			err = lc_fail(ctx, LC_E_TRUNCATED, len, "zlib: stream ends before its end marker (%zu bytes inflated)",
				      out);
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			err = lc_fail(ctx, LC_E_MALFORMED, at + (size_t)((const uint8_t *)zs.next_in - in),
				      "zlib: %s after %zu bytes inflated", zs.msg ? zs.msg : "invalid deflate data", out);
			break;
		}
	}
	size_t used = (size_t)((const uint8_t *)zs.next_in - in);
	inflateEnd(&zs);
	/* What was inflated is scanned even when the stream is damaged: a
	 * loader reading incrementally gets that far too. */
	if (out > 0 && (err == LC_OK || err == LC_E_TRUNCATED || err == LC_E_MALFORMED)) {
		if (at && r == Z_STREAM_END && declared != out)
			lc_finding_add(ctx, LC_SEV_LOW, "joblib.zfile-length", 2, NULL, NULL,
				       "Z-file header declares %llu bytes but the stream inflates to %zu (joblib's "
				       "read_zfile refuses it)",
				       (unsigned long long)declared, out);
		lc_err e2 = lc_scan_child(ctx, "<decompressed>", buf, out, LC_NO_OFFSET);
		if (err == LC_OK)
			err = e2;
	}
	if (err == LC_OK && r == Z_STREAM_END && used < inlen) {
		size_t extra = inlen - used;
		lc_finding_add(ctx, LC_SEV_LOW, "zlib.trailing-data", at + used, NULL, NULL,
			       "%zu bytes follow the end of the zlib stream (offset %zu); the loader ignores them",
			       extra, at + used);
		err = lc_scan_child(ctx, "<trailing data>", in + used, extra, at + used);
	}
	free(buf);
	return err;
}
