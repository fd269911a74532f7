/*
 * TensorFlow checkpoint index (variables.index) and SavedModel fingerprint
 * (fingerprint.pb) readers, and the engine's hook for checkpoint data
 * shards (see tensorflow.h).
 *
 * variables.index is a table file (TensorFlow's copy of the LevelDB table
 * format, tensorflow/core/lib/io/table*): data blocks of prefix-compressed
 * key/value entries, an index block of block handles, a metaindex block, and
 * a 48-byte footer ending with the magic 0xdb4775248b80fb57.  Blocks may be
 * Snappy-compressed.  Keys are tensor names; values are BundleEntryProto
 * (dtype 1, shape 2, shard_id 3, offset 4, size 5, crc32c 6, slices 7), the
 * empty key holds BundleHeaderProto (num_shards 1, endianness 2, version 3).
 * Nothing in a checkpoint is executable: the reader validates the structure
 * so that a file claimed as a checkpoint really is one, and counts tensors.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/lc.h"
#include "formats/protobuf.h"
#include "formats/tensorflow.h"

#define TABLE_MAGIC 0xdb4775248b80fb57ull
#define FOOTER_LEN 48

int lc_bid_tf_checkpoint(const uint8_t *data, size_t len)
{
	if (len < FOOTER_LEN || lc_le64(data + len - 8) != TABLE_MAGIC)
		return 0;
	return 90;
}

/* ---- Snappy (raw block format) --------------------------------------------- */

/* Decompresses a Snappy block into a malloc'ed buffer.  Returns NULL and
 * records the error when malformed or over the limits. */
static uint8_t *unsnappy(lc_ctx *ctx, const uint8_t *in, size_t n, size_t *outlen, uint64_t off)
{
	const uint8_t *p = in, *e = in + n;
	uint64_t ulen;
	if (!lc_pb_varint(&p, e, &ulen) || ulen > SIZE_MAX - 1) {
		lc_fail(ctx, LC_E_MALFORMED, off, "Snappy block: bad uncompressed length");
		return NULL;
	}
	if (lc_charge_decompressed(ctx, ulen, n) != LC_OK)
		return NULL;
	uint8_t *out = lc_alloc_input(ctx, (size_t)ulen, "a Snappy-compressed checkpoint block");
	if (!out)
		return NULL;
	size_t o = 0;
	while (p < e) {
		uint8_t tag = *p++;
		size_t len, dist = 0;
		switch (tag & 3) {
		case 0: /* literal */
			len = (size_t)(tag >> 2) + 1;
			if (len > 60) {
				size_t nb = len - 60, v = 0;
				if ((size_t)(e - p) < nb)
					goto bad;
				for (size_t i = 0; i < nb; i++)
					v |= (size_t)p[i] << (8 * i);
				p += nb;
				len = v + 1;
			}
			if ((size_t)(e - p) < len || ulen - o < len)
				goto bad;
			memcpy(out + o, p, len);
			o += len;
			p += len;
			continue;
		case 1:
			if (p >= e)
				goto bad;
			len = (size_t)((tag >> 2) & 7) + 4;
			dist = ((size_t)(tag >> 5) << 8) | *p++;
			break;
		case 2:
			if (e - p < 2)
				goto bad;
			len = (size_t)(tag >> 2) + 1;
			dist = lc_le16(p);
			p += 2;
			break;
		default:
			if (e - p < 4)
				goto bad;
			len = (size_t)(tag >> 2) + 1;
			dist = lc_le32(p);
			p += 4;
			break;
		}
		if (dist == 0 || dist > o || ulen - o < len)
			goto bad;
		for (size_t i = 0; i < len; i++, o++) /* copies may overlap */
			out[o] = out[o - dist];
	}
	if (o != ulen)
		goto bad;
	*outlen = o;
	return out;
bad:
	free(out);
	lc_fail(ctx, LC_E_MALFORMED, off, "Snappy block: corrupt or truncated stream");
	return NULL;
}

/* ---- table blocks ---------------------------------------------------------- */

typedef struct blk {
	const uint8_t *d;
	size_t n;
	uint8_t *owned; /* decompressed copy, or NULL */
} blk;

/* Reads the block at handle (off, size) plus its 5-byte trailer. */
static int read_block(lc_ctx *ctx, const uint8_t *data, size_t len, uint64_t off, uint64_t size, blk *b)
{
	memset(b, 0, sizeof *b);
	if (off > len || size > len - off || len - off - size < 5) {
		lc_fail(ctx, LC_E_MALFORMED, off, "checkpoint index: block handle outside the file");
		return -1;
	}
	uint8_t type = data[off + size];
	if (type == 0) {
		b->d = data + off;
		b->n = (size_t)size;
		return 0;
	}
	if (type == 1) {
		b->owned = unsnappy(ctx, data + off, (size_t)size, &b->n, off);
		b->d = b->owned;
		return b->owned ? 0 : -1;
	}
	lc_fail(ctx, LC_E_UNSUPPORTED, off, "checkpoint index: unknown block compression %u", type);
	return -1;
}

typedef int (*entry_fn)(lc_ctx *ctx, void *arg, size_t keylen, const uint8_t *val, size_t vlen, uint64_t off);

/* Walks the entries of a block: shared, non_shared, value_length varints,
 * key delta, value; then restarts[] and their count. */
static int walk_block(lc_ctx *ctx, const blk *b, uint64_t off, entry_fn fn, void *arg)
{
	if (b->n < 4) {
		lc_fail(ctx, LC_E_MALFORMED, off, "checkpoint index: block shorter than its restart count");
		return -1;
	}
	uint32_t nrestarts = lc_le32(b->d + b->n - 4);
	if (nrestarts > (b->n - 4) / 4) {
		lc_fail(ctx, LC_E_MALFORMED, off, "checkpoint index: bad restart count");
		return -1;
	}
	const uint8_t *p = b->d, *e = b->d + b->n - 4 - 4 * (size_t)nrestarts;
	size_t prevkey = 0;
	while (p < e) {
		uint64_t shared, nonshared, vlen;
		if (!lc_pb_varint(&p, e, &shared) || !lc_pb_varint(&p, e, &nonshared) || !lc_pb_varint(&p, e, &vlen) ||
		    shared > prevkey || nonshared > (size_t)(e - p) || vlen > (size_t)(e - p) - nonshared) {
			lc_fail(ctx, LC_E_MALFORMED, off, "checkpoint index: malformed block entry");
			return -1;
		}
		p += nonshared;
		prevkey = (size_t)(shared + nonshared);
		if (fn(ctx, arg, prevkey, p, (size_t)vlen, off))
			return -1;
		p += vlen;
	}
	return 0;
}

typedef struct ckpt {
	const uint8_t *data;
	size_t len;
	uint64_t tensors, blocks;
} ckpt;

/* BundleEntryProto / BundleHeaderProto: validated as protobuf messages. */
static int data_entry(lc_ctx *ctx, void *arg, size_t keylen, const uint8_t *val, size_t vlen, uint64_t off)
{
	ckpt *c = arg;
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, val, vlen, NULL);
	while (lc_pb_next(&m, &f) > 0)
		;
	if (m.err) {
		lc_fail(ctx, LC_E_MALFORMED, off, "checkpoint index: malformed %s: %s",
			keylen ? "BundleEntryProto" : "BundleHeaderProto", m.why);
		return -1;
	}
	if (keylen)
		c->tensors++;
	return 0;
}

static int index_entry(lc_ctx *ctx, void *arg, size_t keylen, const uint8_t *val, size_t vlen, uint64_t off)
{
	(void)keylen;
	ckpt *c = arg;
	const uint8_t *p = val, *e = val + vlen;
	uint64_t boff, bsize;
	if (!lc_pb_varint(&p, e, &boff) || !lc_pb_varint(&p, e, &bsize)) {
		lc_fail(ctx, LC_E_MALFORMED, off, "checkpoint index: malformed block handle");
		return -1;
	}
	if (++c->blocks > lc_lim(ctx, LC_LIMIT_max_members)) {
		lc_limit_hit(ctx, LC_LIMIT_max_members, off, "checkpoint index data blocks");
		return -1;
	}
	blk b;
	if (read_block(ctx, c->data, c->len, boff, bsize, &b))
		return -1;
	int rc = walk_block(ctx, &b, boff, data_entry, c);
	free(b.owned);
	return rc;
}

lc_err lc_parse_tf_checkpoint(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	if (ctx->depth == 0)
		lc_set_format(ctx, "tf-checkpoint");
	const uint8_t *ft = data + len - FOOTER_LEN, *p = ft, *e = data + len - 8;
	uint64_t moff, msize, ioff, isize;
	if (!lc_pb_varint(&p, e, &moff) || !lc_pb_varint(&p, e, &msize) || !lc_pb_varint(&p, e, &ioff) ||
	    !lc_pb_varint(&p, e, &isize))
		return lc_fail(ctx, LC_E_MALFORMED, len - FOOTER_LEN, "checkpoint index: malformed footer");
	(void)moff;
	(void)msize; /* the metaindex is empty in tensor bundles (no filter blocks) */
	blk b;
	if (read_block(ctx, data, len - FOOTER_LEN, ioff, isize, &b))
		return ctx->file->error_code;
	ckpt c = {data, len - FOOTER_LEN, 0, 0};
	int rc = walk_block(ctx, &b, ioff, index_entry, &c);
	free(b.owned);
	if (rc)
		return ctx->file->error_code;
	return LC_OK;
}

/* ---- the data-shard hook ----------------------------------------------------- */

static bool digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool lc_tf_checkpoint_data_shard(const char *path)
{
	if (!path)
		return false;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *d = strstr(base, ".data-");
	if (!d || d == base)
		return false;
	const char *num = d + 6, *of = strstr(num, "-of-");
	if (!of || !digits(num, (size_t)(of - num)) || !digits(of + 4, strlen(of + 4)))
		return false;
	size_t plen = (size_t)(d - path);
	if (plen > 4000)
		return false;
	char idx[4096 + 8];
	memcpy(idx, path, plen);
	memcpy(idx + plen, ".index", 7);
	int fd = open(idx, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	uint8_t tail[8];
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= FOOTER_LEN &&
		  pread(fd, tail, 8, st.st_size - 8) == 8 && lc_le64(tail) == TABLE_MAGIC;
	close(fd);
	return ok;
}

/* ---- fingerprint.pb ------------------------------------------------------------
 * FingerprintDef: saved_model_checksum 1, graph_def_program_hash 2,
 * signature_def_hash 3, saved_object_graph_hash 4, checkpoint_hash 5 (all
 * uint64), version 6 (VersionDef: producer 1, min_consumer 2,
 * bad_consumers 3), uuid 7 (string).  Hashes only: nothing a loader acts on. */

static int fingerprint_check(const uint8_t *data, size_t len)
{
	lc_pb m;
	lc_pb_field f;
	lc_pb_init(&m, data, len, NULL);
	int hashes = 0, version = 0;
	while (lc_pb_next(&m, &f) > 0) {
		if (f.num >= 1 && f.num <= 5) {
			if (f.wire != LC_PB_VARINT)
				return 0;
			hashes++;
		} else if (f.num == 6) {
			if (f.wire != LC_PB_LEN)
				return 0;
			lc_pb v;
			lc_pb_field vf;
			lc_pb_init(&v, f.data, f.len, NULL);
			while (lc_pb_next(&v, &vf) > 0)
				if (vf.num > 3 || (vf.num < 3 && vf.wire != LC_PB_VARINT))
					return 0;
			if (v.err)
				return 0;
			version = 1;
		} else if (f.num == 7) {
			if (f.wire != LC_PB_LEN || f.len > 128)
				return 0;
			for (size_t i = 0; i < f.len; i++)
				if (f.data[i] < 0x20 || f.data[i] > 0x7e)
					return 0;
		} else {
			return 0;
		}
	}
	if (m.err)
		return 0;
	return hashes >= 3 && version ? 60 : 0;
}

int lc_bid_tf_fingerprint(const uint8_t *data, size_t len)
{
	if (len < 8 || len > 4096)
		return 0;
	return fingerprint_check(data, len);
}

lc_err lc_parse_tf_fingerprint(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	if (ctx->depth == 0)
		lc_set_format(ctx, "tf-fingerprint");
	if (!fingerprint_check(data, len))
		return lc_fail(ctx, LC_E_MALFORMED, 0, "malformed SavedModel fingerprint");
	return LC_OK;
}
