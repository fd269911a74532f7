/*
 * Benchmark inputs and measurement, with no dependency beyond zlib.
 *
 *   bench_gen gen DIR             writes the inputs (skips those present)
 *   bench_gen measure N -- CMD... runs CMD N times; prints the best and the
 *                                 median wall time and the peak RSS of the
 *                                 whole process (wait4's ru_maxrss)
 *
 * Inputs (see docs/benchmarks.md):
 *   big.pkl        ~17 MB protocol-4 pickle, ~3.3 M opcodes, 64 KiB frames
 *   bytes1g.pkl    a pickle holding one 1 GiB BINBYTES8 object
 *   ckpt1g.pt      a PyTorch zip checkpoint with a 1 GiB stored tensor member
 *   members20k.pt  a PyTorch-shaped zip with 20,000 members
 *   dir1000/       1,000 small PyTorch zip checkpoints
 *   st1g.safetensors  a safetensors file with one 1 GiB tensor
 *   joblib100m.xz  a joblib file (NumpyArrayWrapper framing, 12.5 M float64)
 *                  compressed with xz to about 100 MB, as joblib.dump(compress='xz')
 *   bomb.zip       one deflated member of 3 GiB of zeros (a 3 MB zip bomb)
 *   onnx1g.onnx    ONNX model, 4 x 256 MiB float32 initializers in raw_data
 *   onnx200k.onnx  ONNX graph of 200,000 Add/Relu nodes in a chain
 *   onnx200k-gated.onnx  200,000 nodes in blocks of MatMul, Add, Sigmoid,
 *                  SiLU Mul, input comparisons, Where selectors and
 *                  self-gated thresholds: every backdoor test has work to do
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <lzma.h>
#include <zlib.h>

typedef struct obuf {
	uint8_t *p;
	size_t len, cap;
} obuf;

static void put(obuf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : 4096;
		while (c < b->len + n)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p) {
			perror("realloc");
			exit(2);
		}
		b->cap = c;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}
static void put1(obuf *b, uint8_t v) { put(b, &v, 1); }
static void put32(obuf *b, uint32_t v)
{
	uint8_t q[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, q, 4);
}
static void put16(obuf *b, uint16_t v)
{
	uint8_t q[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, q, 2);
}
static void put64(obuf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}
static void putstr(obuf *b, const char *s) { put(b, s, strlen(s)); }
static void short_unicode(obuf *b, const char *s)
{
	put1(b, 0x8c);
	put1(b, (uint8_t)strlen(s));
	putstr(b, s);
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static void write_all(const char *path, const void *d, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "bench_gen: cannot write %s\n", path);
		exit(2);
	}
}

/* ~17 MB protocol-4 pickle: a dict of 100k string keys to ints, then a list
 * of 3M ints in APPENDS batches, framed in ~64 KiB FRAMEs at opcode
 * boundaries, as CPython's pickler writes them. */
typedef struct framer {
	obuf out;
	obuf frame;
} framer;

/* Called before each opcode: closes the current frame once it is full. */
static void op_boundary(framer *f)
{
	if (f->frame.len < 65536)
		return;
	put1(&f->out, 0x95);
	put64(&f->out, f->frame.len);
	put(&f->out, f->frame.p, f->frame.len);
	f->frame.len = 0;
}

static void gen_big_pickle(const char *path)
{
	framer fr = {0};
	obuf *b = &fr.frame;
	put1(&fr.out, 0x80);
	put1(&fr.out, 4);
	op_boundary(&fr);
	put1(b, '}'); /* EMPTY_DICT */
	put1(b, 0x94);
	uint32_t x = 12345;
	for (int batch = 0; batch < 100; batch++) {
		op_boundary(&fr);
		put1(b, '(');
		for (int i = 0; i < 1000; i++) {
			char key[16];
			snprintf(key, sizeof key, "k%07d", batch * 1000 + i);
			op_boundary(&fr);
			short_unicode(b, key);
			put1(b, 0x94); /* MEMOIZE */
			x = x * 1103515245u + 12345u;
			op_boundary(&fr);
			put1(b, 'J');
			put32(b, x & 0x7fffffff);
		}
		op_boundary(&fr);
		put1(b, 'u'); /* SETITEMS */
	}
	op_boundary(&fr);
	short_unicode(b, "values");
	put1(b, 0x94);
	put1(b, ']');
	put1(b, 0x94);
	for (int batch = 0; batch < 3000; batch++) {
		op_boundary(&fr);
		put1(b, '(');
		for (int i = 0; i < 1000; i++) {
			x = x * 1103515245u + 12345u;
			op_boundary(&fr);
			put1(b, 'J');
			put32(b, x);
		}
		op_boundary(&fr);
		put1(b, 'e'); /* APPENDS */
	}
	op_boundary(&fr);
	put1(b, 's'); /* SETITEM */
	put1(b, '.');
	put1(&fr.out, 0x95);
	put64(&fr.out, b->len);
	put(&fr.out, b->p, b->len);
	write_all(path, fr.out.p, fr.out.len);
	free(fr.frame.p);
	free(fr.out.p);
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (uint8_t)(seed >> 24);
	}
}

/* Pickle holding one 1 GiB bytes object: PROTO 5, BINBYTES8, STOP. */
static void gen_bytes1g(const char *path)
{
	const uint64_t n = 1ull << 30;
	FILE *f = fopen(path, "wb");
	if (!f)
		exit(2);
	obuf h = {0};
	put1(&h, 0x80);
	put1(&h, 5);
	put1(&h, 0x8e); /* BINBYTES8 */
	put64(&h, n);
	fwrite(h.p, 1, h.len, f);
	size_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	fill_pattern(buf, chunk, 7);
	for (uint64_t w = 0; w < n; w += chunk)
		fwrite(buf, 1, chunk, f);
	fputc('.', f);
	fclose(f);
	free(buf);
	free(h.p);
}

/* A protocol-2 state-dict pickle, as torch.save writes it: an OrderedDict of
 * _rebuild_tensor_v2(persistent storage, offset, size, stride, False,
 * OrderedDict()) entries. */
static void binunicode(obuf *b, const char *s)
{
	put1(b, 'X');
	put32(b, (uint32_t)strlen(s));
	putstr(b, s);
}

static void state_dict_pickle(obuf *b, int ntensors, const uint64_t *numel)
{
	put1(b, 0x80);
	put1(b, 2);
	putstr(b, "ccollections\nOrderedDict\n)R(");
	for (int t = 0; t < ntensors; t++) {
		char name[32], key[16];
		snprintf(name, sizeof name, "layer%d.weight", t);
		snprintf(key, sizeof key, "%d", t);
		binunicode(b, name);
		putstr(b, "ctorch._utils\n_rebuild_tensor_v2\n(");
		put1(b, '(');
		binunicode(b, "storage");
		putstr(b, "ctorch\nFloatStorage\n");
		binunicode(b, key);
		binunicode(b, "cpu");
		put1(b, 0x8a); /* LONG1 numel */
		put1(b, 8);
		put64(b, numel[t]);
		putstr(b, "tQ");   /* TUPLE, BINPERSID */
		put1(b, 'K');      /* storage offset 0 */
		put1(b, 0);
		put1(b, 0x8a);     /* size (numel,) */
		put1(b, 8);
		put64(b, numel[t]);
		put1(b, 0x85);
		putstr(b, "K\x01"); /* stride (1,) */
		put1(b, 0x85);
		put1(b, 0x89); /* requires_grad False */
		putstr(b, "ccollections\nOrderedDict\n)RtR");
	}
	putstr(b, "u.");
}

typedef struct zentry {
	char name[64];
	uint32_t crc;
	uint64_t size;
	uint64_t offset;
} zentry;

/* Minimal stored-only zip writer (the format PyTorch writes), no zip64:
 * every input here stays below 4 GiB. */
typedef struct zw {
	FILE *f;
	uint64_t off;
	zentry *e;
	size_t n, cap;
} zw;

static void zw_add(zw *z, const char *name, const uint8_t *data, uint64_t size, int repeat_pattern)
{
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->e = realloc(z->e, z->cap * sizeof *z->e);
	}
	zentry *e = &z->e[z->n++];
	snprintf(e->name, sizeof e->name, "%s", name);
	e->size = size;
	e->offset = z->off;
	uLong crc = crc32(0, Z_NULL, 0);
	if (repeat_pattern) {
		for (uint64_t w = 0; w < size; w += 1 << 20)
			crc = crc32(crc, data, (uInt)(size - w < (1u << 20) ? size - w : (1u << 20)));
	} else {
		crc = crc32(crc, data, (uInt)size);
	}
	e->crc = (uint32_t)crc;
	obuf h = {0};
	put32(&h, 0x04034b50);
	put16(&h, 20);
	put16(&h, 0);
	put16(&h, 0);
	put16(&h, 0);
	put16(&h, 0);
	put32(&h, e->crc);
	put32(&h, (uint32_t)size);
	put32(&h, (uint32_t)size);
	put16(&h, (uint16_t)strlen(name));
	put16(&h, 0);
	putstr(&h, name);
	fwrite(h.p, 1, h.len, z->f);
	z->off += h.len;
	if (repeat_pattern) {
		for (uint64_t w = 0; w < size; w += 1 << 20)
			fwrite(data, 1, size - w < (1u << 20) ? size - w : (1u << 20), z->f);
	} else {
		fwrite(data, 1, size, z->f);
	}
	z->off += size;
	free(h.p);
}

static void zw_close(zw *z)
{
	obuf c = {0};
	for (size_t i = 0; i < z->n; i++) {
		zentry *e = &z->e[i];
		put32(&c, 0x02014b50);
		put16(&c, 20);
		put16(&c, 20);
		put16(&c, 0);
		put16(&c, 0);
		put16(&c, 0);
		put16(&c, 0);
		put32(&c, e->crc);
		put32(&c, (uint32_t)e->size);
		put32(&c, (uint32_t)e->size);
		put16(&c, (uint16_t)strlen(e->name));
		put16(&c, 0);
		put16(&c, 0);
		put16(&c, 0);
		put16(&c, 0);
		put32(&c, 0);
		put32(&c, (uint32_t)e->offset);
		putstr(&c, e->name);
	}
	fwrite(c.p, 1, c.len, z->f);
	obuf end = {0};
	put32(&end, 0x06054b50);
	put16(&end, 0);
	put16(&end, 0);
	put16(&end, (uint16_t)(z->n > 0xffff ? 0xffff : z->n));
	put16(&end, (uint16_t)(z->n > 0xffff ? 0xffff : z->n));
	put32(&end, (uint32_t)c.len);
	put32(&end, (uint32_t)z->off);
	put16(&end, 0);
	fwrite(end.p, 1, end.len, z->f);
	fclose(z->f);
	free(c.p);
	free(end.p);
	free(z->e);
}

static void gen_ckpt(const char *path, int ntensors, const uint64_t *numel, int pattern_big)
{
	zw z = {0};
	z.f = fopen(path, "wb");
	if (!z.f)
		exit(2);
	obuf pk = {0};
	state_dict_pickle(&pk, ntensors, numel);
	zw_add(&z, "archive/data.pkl", pk.p, pk.len, 0);
	size_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	fill_pattern(buf, chunk, 99);
	for (int t = 0; t < ntensors; t++) {
		char name[48];
		snprintf(name, sizeof name, "archive/data/%d", t);
		uint64_t bytes = numel[t] * 4;
		zw_add(&z, name, buf, bytes, pattern_big && bytes > chunk);
	}
	zw_add(&z, "archive/version", (const uint8_t *)"3\n", 2, 0);
	zw_close(&z);
	free(buf);
	free(pk.p);
}

/* safetensors: 8-byte header length, JSON header padded with spaces to a
 * multiple of 8, then the data section. */
static void gen_safetensors(const char *path)
{
	const uint64_t n = 1ull << 30;
	char hdr[256];
	int hl = snprintf(hdr, sizeof hdr,
			  "{\"weight\":{\"dtype\":\"F32\",\"shape\":[%llu],\"data_offsets\":[0,%llu]}}",
			  (unsigned long long)(n / 4), (unsigned long long)n);
	while (hl % 8)
		hdr[hl++] = ' ';
	FILE *f = fopen(path, "wb");
	if (!f)
		exit(2);
	obuf h = {0};
	put64(&h, (uint64_t)hl);
	put(&h, hdr, (size_t)hl);
	fwrite(h.p, 1, h.len, f);
	size_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	fill_pattern(buf, chunk, 3);
	for (uint64_t w = 0; w < n; w += chunk)
		fwrite(buf, 1, chunk, f);
	fclose(f);
	free(buf);
	free(h.p);
}

/* joblib.dump of one float64 array: a protocol-2 pickle whose
 * NumpyArrayWrapper BUILD is followed by the alignment padding and the raw
 * array bytes, then STOP; the whole file xz-compressed. */
static void gen_joblib_xz(const char *path)
{
	const uint64_t count = 12500000; /* 100 MB of float64 */
	obuf p = {0};
	put1(&p, 0x80);
	put1(&p, 2);
	putstr(&p, "cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81}(");
	binunicode(&p, "subclass");
	putstr(&p, "cnumpy\nndarray\n");
	binunicode(&p, "shape");
	put1(&p, 'J');
	put32(&p, (uint32_t)count);
	put1(&p, 0x85); /* TUPLE1 */
	binunicode(&p, "order");
	binunicode(&p, "C");
	binunicode(&p, "dtype");
	putstr(&p, "cnumpy\ndtype\n");
	binunicode(&p, "f8");
	put1(&p, 0x89);
	put1(&p, 0x88);
	put1(&p, 0x87); /* TUPLE3 */
	put1(&p, 'R');
	put1(&p, '(');
	put1(&p, 'K');
	put1(&p, 3);
	binunicode(&p, "<");
	putstr(&p, "NNN");
	put1(&p, 'J');
	put32(&p, 0xffffffffu);
	put1(&p, 'J');
	put32(&p, 0xffffffffu);
	put1(&p, 'K');
	put1(&p, 0);
	putstr(&p, "tb");
	binunicode(&p, "allow_mmap");
	put1(&p, 0x88);
	binunicode(&p, "numpy_array_alignment_bytes");
	put1(&p, 'K');
	put1(&p, 16);
	putstr(&p, "ub");
	/* padding: one length byte, then that many bytes, so the array starts
	 * on a 16-byte boundary */
	size_t pad = (16 - (p.len + 1) % 16) % 16;
	put1(&p, (uint8_t)pad);
	for (size_t i = 0; i < pad; i++)
		put1(&p, 0xff);
	size_t hdr_len = p.len;
	size_t total = hdr_len + count * 8 + 1;
	uint8_t *raw = malloc(total);
	if (!raw)
		exit(2);
	memcpy(raw, p.p, hdr_len);
	/* Weight-like values (few significant bits), so that xz really
	 * compresses: random bytes would be stored raw and decode as memcpy. */
	uint32_t seed = 11;
	for (uint64_t i = 0; i < count; i++) {
		seed = seed * 1664525u + 1013904223u;
		double v = ((double)(seed >> 16) - 32768.0) / 4096.0;
		memcpy(raw + hdr_len + i * 8, &v, 8);
	}
	raw[total - 1] = '.';
	size_t cap = lzma_stream_buffer_bound(total);
	uint8_t *out = malloc(cap);
	size_t olen = 0;
	if (!out || lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, raw, total, out, &olen, cap) != LZMA_OK) {
		fprintf(stderr, "bench_gen: xz encoding failed\n");
		exit(2);
	}
	write_all(path, out, olen);
	free(raw);
	free(out);
	free(p.p);
}

/* A zip bomb: one member, 3 GiB of zeros deflated (about 3 MB). */
static void gen_bomb(const char *path)
{
	const uint64_t n = 3ull << 30;
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(2);
	size_t chunk = 1 << 20;
	uint8_t *zeros = calloc(1, chunk);
	obuf comp = {0};
	uint8_t outbuf[1 << 16];
	uLong crc = crc32(0, Z_NULL, 0);
	for (uint64_t done = 0; done < n; done += chunk) {
		crc = crc32(crc, zeros, (uInt)chunk);
		zs.next_in = zeros;
		zs.avail_in = (uInt)chunk;
		int flush = done + chunk >= n ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = outbuf;
			zs.avail_out = sizeof outbuf;
			deflate(&zs, flush);
			put(&comp, outbuf, sizeof outbuf - zs.avail_out);
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	const char *name = "data.pkl";
	obuf z = {0};
	put32(&z, 0x04034b50);
	put16(&z, 20);
	put16(&z, 0);
	put16(&z, 8);
	put16(&z, 0);
	put16(&z, 0);
	put32(&z, (uint32_t)crc);
	put32(&z, (uint32_t)comp.len);
	put32(&z, (uint32_t)n);
	put16(&z, (uint16_t)strlen(name));
	put16(&z, 0);
	putstr(&z, name);
	put(&z, comp.p, comp.len);
	size_t cd = z.len;
	put32(&z, 0x02014b50);
	put16(&z, 20);
	put16(&z, 20);
	put16(&z, 0);
	put16(&z, 8);
	put16(&z, 0);
	put16(&z, 0);
	put32(&z, (uint32_t)crc);
	put32(&z, (uint32_t)comp.len);
	put32(&z, (uint32_t)n);
	put16(&z, (uint16_t)strlen(name));
	put16(&z, 0);
	put16(&z, 0);
	put16(&z, 0);
	put16(&z, 0);
	put32(&z, 0);
	put32(&z, 0);
	putstr(&z, name);
	size_t cdlen = z.len - cd;
	put32(&z, 0x06054b50);
	put16(&z, 0);
	put16(&z, 0);
	put16(&z, 1);
	put16(&z, 1);
	put32(&z, (uint32_t)cdlen);
	put32(&z, (uint32_t)cd);
	put16(&z, 0);
	write_all(path, z.p, z.len);
	free(zeros);
	free(comp.p);
	free(z.p);
}

/* Model-signing input (make bench, "sign4g"): 3 files of 1 GiB, like the
 * shards of a large checkpoint, and 2000 files of 512 KiB: 4.0 GiB in all.
 * Written under DIR.tmp and renamed, so an interrupted run starts over. */
static void gen_sign4g(const char *path)
{
	char tmp[4200], q[4300];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	mkdir(tmp, 0755);
	size_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	if (!buf)
		exit(2);
	for (int i = 0; i < 3; i++) {
		snprintf(q, sizeof q, "%s/model-%05d-of-00003.safetensors", tmp, i + 1);
		FILE *f = fopen(q, "wb");
		if (!f)
			exit(2);
		fill_pattern(buf, chunk, 11 + (uint32_t)i);
		for (int k = 0; k < 1024; k++) {
			buf[0] = (uint8_t)k; /* no two chunks alike */
			fwrite(buf, 1, chunk, f);
		}
		if (fclose(f) != 0)
			exit(2);
	}
	snprintf(q, sizeof q, "%s/small", tmp);
	mkdir(q, 0755);
	for (int i = 0; i < 2000; i++) {
		snprintf(q, sizeof q, "%s/small/part%04d.bin", tmp, i);
		fill_pattern(buf, 512 << 10, 1000 + (uint32_t)i);
		write_all(q, buf, 512 << 10);
	}
	free(buf);
	if (rename(tmp, path) != 0)
		exit(2);
}

/* ---- ONNX inputs (make bench: onnx1g.onnx, onnx200k.onnx) ----------------
 * Protobuf written by hand: tag = field << 3 | wire type; LEN fields carry a
 * varint length, so each message's size is computed before it is written. */
static size_t pb_varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}
static void pb_varint(obuf *b, uint64_t v)
{
	while (v >= 0x80) {
		put1(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	put1(b, (uint8_t)v);
}
static void pb_tag(obuf *b, unsigned field, unsigned wire) { pb_varint(b, ((uint64_t)field << 3) | wire); }
static void pb_int(obuf *b, unsigned field, uint64_t v)
{
	pb_tag(b, field, 0);
	pb_varint(b, v);
}
static void pb_bytes(obuf *b, unsigned field, const void *d, size_t n)
{
	pb_tag(b, field, 2);
	pb_varint(b, n);
	put(b, d, n);
}
static void pb_str(obuf *b, unsigned field, const char *s) { pb_bytes(b, field, s, strlen(s)); }
static void pb_sub(obuf *b, unsigned field, obuf *m)
{
	pb_bytes(b, field, m->p, m->len);
	free(m->p);
	memset(m, 0, sizeof *m);
}
/* ValueInfoProto with a float tensor type of the given dims */
static void pb_value_info(obuf *graph, unsigned field, const char *name, int rank, const uint64_t *dims)
{
	obuf vi = {0}, tp = {0}, tt = {0}, sh = {0};
	for (int i = 0; i < rank; i++) {
		obuf d = {0};
		pb_int(&d, 1, dims[i]);
		pb_sub(&sh, 1, &d);
	}
	pb_int(&tt, 1, 1); /* FLOAT */
	pb_sub(&tt, 2, &sh);
	pb_sub(&tp, 1, &tt);
	pb_str(&vi, 1, name);
	pb_sub(&vi, 2, &tp);
	pb_sub(graph, field, &vi);
}
static void pb_model_head(obuf *m, const char *producer)
{
	pb_int(m, 1, 8); /* ir_version */
	pb_str(m, 2, producer);
	pb_str(m, 3, "1");
}
static void pb_model_tail(obuf *m)
{
	obuf op = {0};
	pb_str(&op, 1, "");
	pb_int(&op, 2, 17);
	pb_sub(m, 8, &op);
}

/* A ~1 GiB ONNX model with embedded weights: 4 MatMul layers whose 8192 x
 * 8192 float32 weights (256 MiB each) are initializers with raw_data, as
 * onnx.save writes a model under 2 GiB.  The payload is streamed to disk. */
static void gen_onnx1g(const char *path)
{
	enum { NT = 4, DIM = 8192 };
	const uint64_t raw = (uint64_t)DIM * DIM * 4;
	obuf head[NT], g = {0};
	uint64_t init_len[NT], graph_len;
	char name[32], in[32], out[32];
	for (int i = 0; i < NT; i++) {
		obuf n = {0};
		snprintf(in, sizeof in, i ? "h%d" : "x", i);
		snprintf(out, sizeof out, i == NT - 1 ? "y" : "h%d", i + 1);
		snprintf(name, sizeof name, "w%d", i);
		pb_str(&n, 1, in);
		pb_str(&n, 1, name);
		pb_str(&n, 2, out);
		pb_str(&n, 3, name);
		pb_str(&n, 4, "MatMul");
		pb_sub(&g, 1, &n);
	}
	pb_str(&g, 2, "big_mlp");
	uint64_t xd[2] = {1, DIM};
	pb_value_info(&g, 11, "x", 2, xd);
	pb_value_info(&g, 12, "y", 2, xd);
	graph_len = g.len;
	for (int i = 0; i < NT; i++) {
		memset(&head[i], 0, sizeof head[i]);
		snprintf(name, sizeof name, "w%d", i);
		pb_int(&head[i], 1, DIM);
		pb_int(&head[i], 1, DIM);
		pb_int(&head[i], 2, 1);
		pb_str(&head[i], 8, name);
		pb_tag(&head[i], 9, 2);
		pb_varint(&head[i], raw);
		init_len[i] = head[i].len + raw;
		graph_len += 1 + pb_varint_len(init_len[i]) + init_len[i];
	}
	obuf m = {0};
	pb_model_head(&m, "bench_gen");
	pb_tag(&m, 7, 2);
	pb_varint(&m, graph_len);
	put(&m, g.p, g.len);
	FILE *f = fopen(path, "wb");
	if (!f)
		exit(2);
	fwrite(m.p, 1, m.len, f);
	size_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	if (!buf)
		exit(2);
	for (int i = 0; i < NT; i++) {
		obuf t = {0};
		pb_tag(&t, 5, 2);
		pb_varint(&t, init_len[i]);
		fwrite(t.p, 1, t.len, f);
		fwrite(head[i].p, 1, head[i].len, f);
		fill_pattern(buf, chunk, 77 + (uint32_t)i);
		for (uint64_t done = 0; done < raw; done += chunk)
			fwrite(buf, 1, chunk, f);
		free(t.p);
		free(head[i].p);
	}
	obuf tail = {0};
	pb_model_tail(&tail);
	fwrite(tail.p, 1, tail.len, f);
	if (fclose(f) != 0)
		exit(2);
	free(buf);
	free(m.p);
	free(g.p);
	free(tail.p);
}

/* A 200,000-node graph: a chain alternating Add (with a shared bias) and
 * Relu, short names, as exporters write deep unrolled graphs. */
static void gen_onnx200k(const char *path)
{
	enum { NODES = 200000 };
	obuf g = {0};
	char in[32], out[32], nm[32];
	for (int i = 0; i < NODES; i++) {
		obuf n = {0};
		snprintf(in, sizeof in, i ? "t%d" : "x", i);
		snprintf(out, sizeof out, i == NODES - 1 ? "y" : "t%d", i + 1);
		snprintf(nm, sizeof nm, "n%d", i);
		pb_str(&n, 1, in);
		if (i % 2 == 0)
			pb_str(&n, 1, "b");
		pb_str(&n, 2, out);
		pb_str(&n, 3, nm);
		pb_str(&n, 4, i % 2 == 0 ? "Add" : "Relu");
		pb_sub(&g, 1, &n);
	}
	pb_str(&g, 2, "chain");
	obuf b = {0};
	float bias[16] = {0};
	pb_int(&b, 1, 16);
	pb_int(&b, 2, 1);
	pb_str(&b, 8, "b");
	pb_bytes(&b, 9, bias, sizeof bias);
	pb_sub(&g, 5, &b);
	uint64_t xd[2] = {1, 16};
	pb_value_info(&g, 11, "x", 2, xd);
	pb_value_info(&g, 12, "y", 2, xd);
	obuf m = {0};
	pb_model_head(&m, "bench_gen");
	pb_sub(&m, 7, &g);
	pb_model_tail(&m);
	write_all(path, m.p, m.len);
	free(m.p);
}

/* Blocks of 8 nodes that give the backdoor analysis the most to score:
 * t' = Where(d > thr, Where(x > thr, d, 0), d) with d = SiLU(t W + b). */
static void gen_onnx200k_gated(const char *path)
{
	enum { NODES = 200000 };
	obuf g = {0};
	char t[32], nm[32], v[8][32];
	static const char *const ops[8] = {"MatMul", "Add", "Sigmoid", "Mul", "Greater", "Where", "Greater", "Where"};
	for (int i = 0; i < NODES / 8; i++) {
		snprintf(t, sizeof t, i ? "t%d" : "x", i);
		for (int k = 0; k < 8; k++)
			snprintf(v[k], sizeof v[k], "v%d_%d", i, k);
		if (i == NODES / 8 - 1)
			snprintf(v[7], sizeof v[7], "y");
		const char *ins[8][3] = {{t, "W", NULL},    {v[0], "b", NULL}, {v[1], NULL, NULL}, {v[1], v[2], NULL},
		                         {"x", "thr", NULL}, {v[4], v[3], "z"}, {v[3], "thr", NULL}, {v[6], v[5], v[3]}};
		for (int k = 0; k < 8; k++) {
			obuf n = {0};
			for (int j = 0; j < 3 && ins[k][j]; j++)
				pb_str(&n, 1, ins[k][j]);
			pb_str(&n, 2, k == 7 && i != NODES / 8 - 1 ? (snprintf(nm, sizeof nm, "t%d", i + 1), nm) : v[k]);
			snprintf(nm, sizeof nm, "n%d_%d", i, k);
			pb_str(&n, 3, nm);
			pb_str(&n, 4, ops[k]);
			pb_sub(&g, 1, &n);
		}
	}
	pb_str(&g, 2, "gated");
	static float w[256];
	float z[1] = {0}, thr[1] = {0.5f}, bias[16] = {0};
	struct {
		const char *name;
		const void *data;
		size_t len;
		int rank;
		uint64_t d0, d1;
	} inits[] = {{"W", w, sizeof w, 2, 16, 16}, {"b", bias, sizeof bias, 1, 16, 0},
	             {"thr", thr, sizeof thr, 0, 0, 0}, {"z", z, sizeof z, 0, 0, 0}};
	for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
		obuf b = {0};
		if (inits[i].rank >= 1)
			pb_int(&b, 1, inits[i].d0);
		if (inits[i].rank >= 2)
			pb_int(&b, 1, inits[i].d1);
		pb_int(&b, 2, 1);
		pb_str(&b, 8, inits[i].name);
		pb_bytes(&b, 9, inits[i].data, inits[i].len);
		pb_sub(&g, 5, &b);
	}
	uint64_t xd[2] = {1, 16};
	pb_value_info(&g, 11, "x", 2, xd);
	pb_value_info(&g, 12, "y", 2, xd);
	obuf m = {0};
	pb_model_head(&m, "bench_gen");
	pb_sub(&m, 7, &g);
	pb_model_tail(&m);
	write_all(path, m.p, m.len);
	free(m.p);
}

static int gen(const char *dir)
{
	char p[4096];
	mkdir(dir, 0755);
	snprintf(p, sizeof p, "%s/big.pkl", dir);
	if (!exists(p))
		gen_big_pickle(p);
	snprintf(p, sizeof p, "%s/bytes1g.pkl", dir);
	if (!exists(p))
		gen_bytes1g(p);
	snprintf(p, sizeof p, "%s/ckpt1g.pt", dir);
	if (!exists(p)) {
		uint64_t numel[2] = {(1ull << 30) / 4, 1024};
		gen_ckpt(p, 2, numel, 1);
	}
	snprintf(p, sizeof p, "%s/members20k.pt", dir);
	if (!exists(p)) {
		static uint64_t numel[19998];
		for (int i = 0; i < 19998; i++)
			numel[i] = 16;
		gen_ckpt(p, 19998, numel, 0);
	}
	snprintf(p, sizeof p, "%s/dir1000", dir);
	if (!exists(p)) {
		mkdir(p, 0755);
		for (int i = 0; i < 1000; i++) {
			char q[4200];
			snprintf(q, sizeof q, "%s/dir1000/ckpt%04d.pt", dir, i);
			uint64_t numel[4] = {64, 64, 16, 4};
			gen_ckpt(q, 4, numel, 0);
		}
	}
	snprintf(p, sizeof p, "%s/st1g.safetensors", dir);
	if (!exists(p))
		gen_safetensors(p);
	snprintf(p, sizeof p, "%s/joblib100m.xz", dir);
	if (!exists(p))
		gen_joblib_xz(p);
	snprintf(p, sizeof p, "%s/bomb.zip", dir);
	if (!exists(p))
		gen_bomb(p);
	snprintf(p, sizeof p, "%s/sign4g", dir);
	if (!exists(p))
		gen_sign4g(p);
	snprintf(p, sizeof p, "%s/onnx1g.onnx", dir);
	if (!exists(p))
		gen_onnx1g(p);
	snprintf(p, sizeof p, "%s/onnx200k.onnx", dir);
	if (!exists(p))
		gen_onnx200k(p);
	snprintf(p, sizeof p, "%s/onnx200k-gated.onnx", dir);
	if (!exists(p))
		gen_onnx200k_gated(p);
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int measure(int runs, char **argv)
{
	double t[64];
	long maxrss = 0;
	int status = 0;
	if (runs > 64)
		runs = 64;
	for (int r = 0; r < runs; r++) {
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid == 0) {
			FILE *devnull = freopen("/dev/null", "w", stdout);
			(void)devnull;
			execvp(argv[0], argv);
			_exit(127);
		}
		struct rusage ru;
		if (wait4(pid, &status, 0, &ru) < 0)
			return 2;
		t[r] = now_ms() - t0;
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(t, (size_t)runs, sizeof t[0], cmp_double);
	printf("best %.1f ms  median %.1f ms  peak RSS %.1f MB  exit %d\n", t[0], t[runs / 2],
	       (double)maxrss / 1024.0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2]);
	if (argc >= 5 && strcmp(argv[1], "measure") == 0 && strcmp(argv[3], "--") == 0)
		return measure(atoi(argv[2]), argv + 4);
	fprintf(stderr, "usage: bench_gen gen DIR | bench_gen measure N -- CMD...\n");
	return 64;
}
