/*
 * Unit tests of the symbolic pickle VM (src/formats/pickle.c).  Pickles are
 * assembled here byte by byte; most checks go through the public API
 * (lc_scan_mem), the carrier API (lc_pickle_scan_one + lc_pickle_info) is
 * driven through a hand-built context.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/lc.h"
#include "formats/pickle.h"
#include "harness.h"
#include "laocoon.h"

/* ---- pickle builder ----------------------------------------------------- */

typedef struct pk {
	uint8_t *p;
	size_t n, cap;
} pk;

static void put(pk *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->n + n)
			c *= 2;
		b->p = realloc(b->p, c);
		if (!b->p)
			abort();
		b->cap = c;
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}
static void op(pk *b, uint8_t o) { put(b, &o, 1); }
static void ops(pk *b, const char *s) { put(b, s, strlen(s)); }
static void u32(pk *b, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, t, 4);
}
static void u64(pk *b, uint64_t v)
{
	u32(b, (uint32_t)v);
	u32(b, (uint32_t)(v >> 32));
}
static void proto(pk *b, int v)
{
	op(b, 0x80);
	op(b, (uint8_t)v);
}
static void sbu(pk *b, const char *s) /* SHORT_BINUNICODE */
{
	op(b, 0x8c);
	op(b, (uint8_t)strlen(s));
	ops(b, s);
}
static void global(pk *b, const char *mod, const char *name)
{
	op(b, 'c');
	ops(b, mod);
	op(b, '\n');
	ops(b, name);
	op(b, '\n');
}
static void sglobal(pk *b, const char *mod, const char *name)
{
	sbu(b, mod);
	sbu(b, name);
	op(b, 0x93);
}
static void binbytes(pk *b, const uint8_t *d, size_t n)
{
	op(b, 'B');
	u32(b, (uint32_t)n);
	put(b, d, n);
}

/* ---- scanning helpers ---------------------------------------------------- */

static lc_result scan_lim(const pk *b, const char *limit)
{
	lc_scan_options opt;
	lc_result res;
	char err[128];
	memset(&res, 0, sizeof res);
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	if (limit)
		CHECK(lc_limits_set(&opt.limits, limit, err, sizeof err) == 0);
	lc_scan_mem(&opt, "t.pkl", b->p, b->n, &res);
	return res;
}
static lc_result scan(const pk *b) { return scan_lim(b, NULL); }

static lc_file_result *file0(lc_result *r) { return r->nfiles ? &r->files[0] : NULL; }

/* Finding with this rule whose message or evidence contains sub. */
static const lc_finding *find(lc_result *r, const char *rule, const char *sub)
{
	lc_file_result *f = file0(r);
	size_t i;
	for (i = 0; f && i < f->nfindings; i++) {
		const lc_finding *x = &f->findings[i];
		if (strcmp(x->rule, rule) != 0)
			continue;
		if (!sub || (x->message && strstr(x->message, sub)) || (x->evidence && strstr(x->evidence, sub)))
			return x;
	}
	return NULL;
}

static size_t count_at_least(lc_result *r, lc_severity sev)
{
	lc_file_result *f = file0(r);
	size_t i, n = 0;
	for (i = 0; f && i < f->nfindings; i++)
		n += f->findings[i].severity >= sev;
	return n;
}

static void reset(pk *b) { b->n = 0; }

/* ---- tests -------------------------------------------------------------- */

/* posix.system called 1000 times: one finding, count 1000, offset of the
 * first REDUCE, evidence naming the callable and its argument. */
static void test_dedupe_and_evidence(void)
{
	pk b = {0};
	lc_result r;
	const lc_finding *f;
	size_t first_reduce = 0;
	int i;
	proto(&b, 2);
	for (i = 0; i < 1000; i++) {
		global(&b, "posix", "system");
		sbu(&b, "echo \"hi\"");
		op(&b, 0x85);
		if (i == 0)
			first_reduce = b.n;
		op(&b, 'R');
		op(&b, '0');
	}
	op(&b, 'N');
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	CHECK_STR(file0(&r)->format, "pickle");
	CHECK(file0(&r)->nfindings == 1);
	f = find(&r, "pickle.callable.dangerous", "posix.system");
	CHECK(f != NULL);
	if (f) {
		CHECK(f->severity == LC_SEV_CRITICAL);
		CHECK(f->count == 1000);
		CHECK(f->has_offset && f->offset == first_reduce);
		CHECK(f->evidence && strstr(f->evidence, "posix.system(\"echo \\\"hi\\\"\")") != NULL);
		CHECK(strstr(f->message, "REDUCE") != NULL);
	}
	lc_result_free(&r);
	free(b.p);
}

/* fix_imports applies below protocol 3 only; the message keeps the raw
 * spelling. */
static void test_fix_imports(void)
{
	pk b = {0};
	lc_result r;
	const lc_finding *f;
	proto(&b, 2);
	global(&b, "__builtin__", "eval");
	sbu(&b, "1");
	op(&b, 0x85);
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	f = find(&r, "pickle.callable.dangerous", "builtins.eval");
	CHECK(f != NULL);
	CHECK(f && strstr(f->message, "written as __builtin__ eval") != NULL);
	lc_result_free(&r);

	/* __builtin__.set at proto 2 is builtins.set: allowed, silent */
	reset(&b);
	proto(&b, 2);
	global(&b, "__builtin__", "set");
	op(&b, ')');
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	CHECK(count_at_least(&r, LC_SEV_LOW) == 0);
	lc_result_free(&r);

	/* the same at proto 3 is not mapped: __builtin__ does not exist */
	reset(&b);
	proto(&b, 3);
	global(&b, "__builtin__", "set");
	op(&b, ')');
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.callable.dangerous", "__builtin__.set") != NULL);
	lc_result_free(&r);

	/* a later PROTO switches the mapping off mid-stream */
	reset(&b);
	global(&b, "copy_reg", "_reconstructor");
	op(&b, '0');
	proto(&b, 3);
	global(&b, "copy_reg", "_reconstructor");
	op(&b, '0');
	op(&b, 'N');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.import.unknown", "copy_reg._reconstructor") != NULL);
	CHECK(find(&r, "pickle.import.unknown", "copyreg._reconstructor") == NULL);
	lc_result_free(&r);
	free(b.p);
}

/* PROTO > 5 is CPython's "unsupported pickle protocol" */
static void test_proto_errors(void)
{
	pk b = {0};
	lc_result r;
	ops(&b, "N");
	proto(&b, 6);
	op(&b, '.');
	r = scan(&b);
	/* "N" then a bad PROTO: no bid at all is acceptable, never clean */
	CHECK(file0(&r)->status != LC_STATUS_SCANNED);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	op(&b, 'N');
	proto(&b, 9);
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(file0(&r)->error && strstr(file0(&r)->error, "unsupported pickle protocol: 9") != NULL);
	lc_result_free(&r);
	free(b.p);
}

/* Stack discipline as in _pickle.c: popping below a MARK is an error, POP
 * removes a mark sitting on top, STOP needs a value above the fence. */
static void test_stack_rules(void)
{
	pk b = {0};
	lc_result r;
	proto(&b, 4);
	op(&b, 'N');
	op(&b, '(');
	op(&b, 0x85); /* TUPLE1 would take None from below the mark */
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(strstr(file0(&r)->error, "unexpected MARK found") != NULL);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	op(&b, 'N');
	op(&b, '(');
	op(&b, '0'); /* pops the mark, not None */
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	op(&b, 'N');
	op(&b, 'e'); /* APPENDS without MARK */
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(strstr(file0(&r)->error, "could not find MARK") != NULL);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	op(&b, '(');
	op(&b, 'N');
	op(&b, 'N');
	op(&b, 'N');
	op(&b, 'd'); /* odd DICT */
	op(&b, '.');
	r = scan(&b);
	CHECK(strstr(file0(&r)->error, "odd number of items for DICT") != NULL);
	lc_result_free(&r);
	free(b.p);
}

/* Memo: MEMOIZE uses the number of entries, explicit indices may be sparse
 * and huge, a missing key is an error after the findings. */
static void test_memo(void)
{
	pk b = {0};
	lc_result r;
	proto(&b, 4);
	sbu(&b, "os");
	op(&b, 'r');
	u32(&b, 4000000000u); /* LONG_BINPUT, sparse */
	sbu(&b, "system");
	op(&b, 0x94); /* MEMOIZE -> index 1 (one entry so far) */
	op(&b, '0');
	op(&b, '0');
	op(&b, 'j');
	u32(&b, 4000000000u);
	op(&b, 'h');
	op(&b, 1);
	op(&b, 0x93);
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.import.dangerous", "os.system") != NULL);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	sglobal(&b, "os", "system");
	op(&b, 'h');
	op(&b, 7);
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(strstr(file0(&r)->error, "Memo value not found at index 7") != NULL);
	CHECK(find(&r, "pickle.import.dangerous", "os.system") != NULL);
	lc_result_free(&r);

	/* PUT with a negative index */
	reset(&b);
	ops(&b, "N");
	ops(&b, "p-1\n.");
	r = scan(&b);
	CHECK(file0(&r)->status != LC_STATUS_SCANNED);
	lc_result_free(&r);
	free(b.p);
}

/* A frame announcing more than the file holds is CPython's truncation
 * error; the payload behind it is still reported.  Opcodes may cross frame
 * boundaries. */
static void test_frames(void)
{
	pk b = {0};
	lc_result r;
	proto(&b, 4);
	op(&b, 0x95);
	u64(&b, 3); /* frame ends inside the string below */
	op(&b, ']');
	sbu(&b, "abcdef");
	op(&b, 'a');
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	CHECK(count_at_least(&r, LC_SEV_LOW) == 0);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	op(&b, 0x95);
	u64(&b, 1u << 20);
	sglobal(&b, "nt", "system");
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(strstr(file0(&r)->error, "FRAME") != NULL);
	CHECK(find(&r, "pickle.import.dangerous", "nt.system") != NULL);
	lc_result_free(&r);
	free(b.p);
}

/* Every concatenated pickle is read; padding or junk after a complete one
 * is LOW; a broken second pickle that did things is an error. */
static void test_streams(void)
{
	pk b = {0};
	lc_result r;
	proto(&b, 4);
	op(&b, 'N');
	op(&b, '.');
	proto(&b, 2);
	global(&b, "subprocess", "Popen");
	sbu(&b, "sh");
	op(&b, 0x85);
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.callable.dangerous", "subprocess.Popen") != NULL);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	op(&b, 'N');
	op(&b, '.');
	ops(&b, "\xff\xfe garbage");
	r = scan(&b);
	CHECK(find(&r, "pickle.trailing-data", NULL) != NULL);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	CHECK(count_at_least(&r, LC_SEV_MEDIUM) == 0);
	lc_result_free(&r);

	/* junk that hides a payload after padding: executed, found, error */
	reset(&b);
	proto(&b, 4);
	op(&b, 'N');
	op(&b, '.');
	put(&b, "\0\0\n", 3);
	global(&b, "os", "system");
	sbu(&b, "id");
	op(&b, 0x85);
	op(&b, 'R');
	op(&b, 0xff);
	r = scan(&b);
	CHECK(find(&r, "pickle.callable.dangerous", "os.system") != NULL);
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(strstr(file0(&r)->error, "invalid load key, '\\xff'") != NULL);
	lc_result_free(&r);
	free(b.p);
}

/* Limits of the table stop the VM with an error naming them; findings made
 * before are kept. */
static void test_limits(void)
{
	pk b = {0};
	lc_result r;
	int i;
	proto(&b, 4);
	sglobal(&b, "os", "system");
	op(&b, '0');
	for (i = 0; i < 200; i++)
		op(&b, 'N');
	op(&b, '.');
	r = scan_lim(&b, "pickle_max_ops=50");
	CHECK(file0(&r)->status == LC_STATUS_ERROR);
	CHECK(file0(&r)->limit && strcmp(file0(&r)->limit, "pickle_max_ops") == 0);
	CHECK(find(&r, "pickle.import.dangerous", "os.system") != NULL);
	lc_result_free(&r);

	r = scan_lim(&b, "pickle_max_stack=100");
	CHECK(file0(&r)->limit && strcmp(file0(&r)->limit, "pickle_max_stack") == 0);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	for (i = 0; i < 100; i++) {
		op(&b, 'N');
		op(&b, 0x94);
	}
	op(&b, '.');
	r = scan_lim(&b, "pickle_max_memo=10");
	CHECK(file0(&r)->limit && strcmp(file0(&r)->limit, "pickle_max_memo") == 0);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	for (i = 0; i < 100; i++)
		op(&b, '}');
	op(&b, '.');
	r = scan_lim(&b, "pickle_max_values=10");
	CHECK(file0(&r)->limit && strcmp(file0(&r)->limit, "pickle_max_values") == 0);
	lc_result_free(&r);

	/* released values do not count: 10000 dicts created and popped */
	reset(&b);
	proto(&b, 4);
	for (i = 0; i < 10000; i++) {
		op(&b, '}');
		op(&b, '0');
	}
	op(&b, 'N');
	op(&b, '.');
	r = scan_lim(&b, "pickle_max_values=10");
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	lc_result_free(&r);

	reset(&b);
	for (i = 0; i < 20; i++) {
		proto(&b, 4);
		op(&b, 'N');
		op(&b, '.');
	}
	r = scan_lim(&b, "pickle_max_streams=5");
	CHECK(file0(&r)->limit && strcmp(file0(&r)->limit, "pickle_max_streams") == 0);
	lc_result_free(&r);
	free(b.p);
}

/* Call sites: INST/OBJ are calls, NEWOBJ is reconstruction, BUILD on a
 * global is an overwrite, getattr resolves, partial is seen through. */
static void test_call_sites(void)
{
	pk b = {0};
	lc_result r;
	const lc_finding *f;

	ops(&b, "(S'id'\nimylib\nRunner\n.");
	r = scan(&b);
	f = find(&r, "pickle.callable.unknown", "mylib.Runner");
	CHECK(f && strstr(f->message, "INST") != NULL);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 2);
	global(&b, "__main__", "Net");
	op(&b, ')');
	op(&b, 0x81);
	op(&b, '}');
	op(&b, 'b');
	op(&b, '.');
	r = scan(&b);
	f = find(&r, "pickle.class.unknown", "__main__.Net");
	CHECK(f && f->severity == LC_SEV_MEDIUM);
	CHECK(count_at_least(&r, LC_SEV_HIGH) == 0);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 4);
	sglobal(&b, "torch", "_utils");
	op(&b, '}');
	op(&b, 'b');
	op(&b, '.');
	r = scan(&b);
	f = find(&r, "pickle.module.overwrite", "torch._utils");
	CHECK(f && f->severity == LC_SEV_CRITICAL);
	lc_result_free(&r);

	/* getattr(torch._utils, '_rebuild_tensor_v2')(...) : the second call
	 * is the allowlisted helper, only getattr is flagged */
	reset(&b);
	proto(&b, 4);
	sglobal(&b, "builtins", "getattr");
	sglobal(&b, "torch._utils", "_rebuild_tensor_v2");
	op(&b, '0');
	sglobal(&b, "torch", "_utils");
	sbu(&b, "_rebuild_tensor_v2");
	op(&b, 0x86);
	op(&b, 'R');
	op(&b, ')');
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.callable.dangerous", "builtins.getattr") != NULL);
	CHECK(find(&r, "pickle.callable.unknown", NULL) == NULL);
	lc_result_free(&r);

	/* functools.partial(subprocess.run)('ls') */
	reset(&b);
	proto(&b, 4);
	sglobal(&b, "functools", "partial");
	sglobal(&b, "subprocess", "run");
	op(&b, 0x85);
	op(&b, 'R');
	sbu(&b, "ls");
	op(&b, 0x85);
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	f = find(&r, "pickle.callable.dangerous", "subprocess.run");
	CHECK(f && strstr(f->evidence, "\"ls\"") != NULL);
	lc_result_free(&r);

	/* calling a str or a tuple: unresolved */
	reset(&b);
	proto(&b, 4);
	sbu(&b, "os.system");
	op(&b, ')');
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.callable.unresolved", "a str") != NULL);
	lc_result_free(&r);
	free(b.p);
}

/* Nested payloads: loader + bytes constant -> the inner pickle is scanned;
 * bytes not handed to a loader are inert. */
static void test_nested(void)
{
	static const uint8_t inner[] = "\x80\x02" "cposix\nsystem\n" "\x8c\x02id\x85R.";
	pk b = {0};
	lc_result r;
	const lc_finding *f;
	proto(&b, 3);
	global(&b, "pickle", "loads");
	binbytes(&b, inner, sizeof inner - 1);
	op(&b, 0x85);
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.nested-loader", "pickle.loads") != NULL);
	f = find(&r, "pickle.callable.dangerous", "posix.system");
	CHECK(f != NULL);
	CHECK(f && f->member && strstr(f->member, "pickle.loads") != NULL);
	lc_result_free(&r);

	reset(&b);
	proto(&b, 3);
	op(&b, '}');
	sbu(&b, "payload");
	binbytes(&b, inner, sizeof inner - 1);
	op(&b, 's');
	op(&b, '.');
	r = scan(&b);
	CHECK(file0(&r)->status == LC_STATUS_SCANNED);
	CHECK(count_at_least(&r, LC_SEV_LOW) == 0);
	lc_result_free(&r);

	/* torch.storage._load_from_bytes of a constant: judged by the content */
	reset(&b);
	proto(&b, 2);
	global(&b, "torch.storage", "_load_from_bytes");
	binbytes(&b, inner, sizeof inner - 1);
	op(&b, 0x85);
	op(&b, 'R');
	op(&b, '.');
	r = scan(&b);
	CHECK(find(&r, "pickle.nested-loader", NULL) == NULL);
	CHECK(find(&r, "pickle.callable.dangerous", "posix.system") != NULL);
	lc_result_free(&r);
	free(b.p);
}

/* Bidding: strong with PROTO, weak for protocol-0 text pickles, nothing
 * for text, JSON, PNG or random bytes. */
static void test_probe(void)
{
	static const char *const not_pickles[] = {
		"{\"a\": 1}\n", "[1, 2, 3]", "hello world\n", "import os\nos.system('id')\n",
		"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "cmod\n\xf8\n", "", "N", "PK\x03\x04\x14\0\0\0",
	};
	size_t i;
	uint8_t rnd[4096];
	uint32_t x = 12345;
	int claimed = 0, k;
	for (i = 0; i < sizeof not_pickles / sizeof not_pickles[0]; i++)
		CHECK_MSG(lc_pickle_probe((const uint8_t *)not_pickles[i], strlen(not_pickles[i]), 0) == 0,
			  "claimed %s", not_pickles[i]);
	CHECK(lc_pickle_probe((const uint8_t *)"\x80\x04N.", 4, 0) >= LC_BID_STRONG);
	CHECK(lc_pickle_probe((const uint8_t *)"\x80\x06N.", 4, 0) == 0);
	{
		const char *p0 = "(lp0\nS'a'\np1\naS'b'\np2\na.";
		int bid = lc_pickle_probe((const uint8_t *)p0, strlen(p0), 0);
		CHECK(bid > 0 && bid < LC_BID_STRONG);
		p0 = "cposix\nsystem\np0\n(S'id'\ntR.";
		CHECK(lc_pickle_probe((const uint8_t *)p0, strlen(p0), 0) > 0);
	}
	/* random bytes (float-like and uniform): claimed essentially never */
	for (k = 0; k < 200; k++) {
		for (i = 0; i < sizeof rnd; i++) {
			x = x * 1103515245u + 12345u;
			rnd[i] = (uint8_t)(x >> 16);
		}
		claimed += lc_pickle_probe(rnd, sizeof rnd, 0) > 0;
	}
	CHECK(claimed == 0);
}

/* The carrier API: top value and torch storage references. */
static void test_scan_one_info(void)
{
	lc_limits lim;
	lc_file_result fr;
	lc_ctx ctx;
	lc_pickle_info info;
	pk b = {0};
	lc_limits_default(&lim);
	memset(&fr, 0, sizeof fr);
	memset(&ctx, 0, sizeof ctx);
	ctx.lim = &lim;
	ctx.file = &fr;

	/* magic number as LONG1, then protocol 1001, then a list of keys */
	proto(&b, 2);
	put(&b, "\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 12);
	op(&b, '.');
	CHECK(lc_pickle_scan_one(&ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.top == LC_PTOP_BIGINT && info.top_bytes_len == 10 && info.top_bytes[0] == 0x6c);
	CHECK(info.end == b.n);
	lc_pickle_info_free(&info);

	reset(&b);
	put(&b, "xxxx", 4); /* start offset inside the view */
	proto(&b, 2);
	op(&b, 'M');
	put(&b, "\xe9\x03", 2);
	op(&b, '.');
	CHECK(lc_pickle_scan_one(&ctx, b.p, b.n, 4, &info) == LC_OK);
	CHECK(info.top == LC_PTOP_INT && info.top_int == 1001);
	lc_pickle_info_free(&info);

	reset(&b);
	{
		int i;
		char key[16];
		proto(&b, 2);
		op(&b, ']');
		op(&b, '(');
		for (i = 0; i < 40; i++) {
			snprintf(key, sizeof key, "k%d", i);
			sbu(&b, key);
		}
		op(&b, 'e');
		op(&b, '.');
		CHECK(lc_pickle_scan_one(&ctx, b.p, b.n, 0, &info) == LC_OK);
		CHECK(info.top == LC_PTOP_STRLIST && info.ntop_strings == 40);
		CHECK(info.ntop_strings == 40 && strcmp(info.top_strings[39], "k39") == 0);
		lc_pickle_info_free(&info);
	}

	/* persistent ids of torch.save */
	reset(&b);
	proto(&b, 2);
	op(&b, '(');
	sbu(&b, "storage");
	global(&b, "torch", "HalfStorage");
	sbu(&b, "3");
	sbu(&b, "cpu");
	op(&b, 'J');
	u32(&b, 100000);
	op(&b, 't');
	op(&b, 'Q');
	op(&b, '.');
	CHECK(lc_pickle_scan_one(&ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.nstorages == 1);
	if (info.nstorages == 1) {
		CHECK_STR(info.storages[0].key, "3");
		CHECK_STR(info.storages[0].type, "torch.HalfStorage");
		CHECK(info.storages[0].numel == 100000);
		CHECK(info.storages[0].dtype_known && info.storages[0].elem_size == 2);
	}
	lc_pickle_info_free(&info);
	CHECK(fr.nfindings == 0 && fr.status == LC_STATUS_SCANNED);

	/* a broken pickle records its error in the context */
	reset(&b);
	proto(&b, 2);
	op(&b, 'X');
	u32(&b, 1000);
	CHECK(lc_pickle_scan_one(&ctx, b.p, b.n, 0, &info) == LC_E_TRUNCATED);
	CHECK(fr.status == LC_STATUS_ERROR && fr.error && strstr(fr.error, "BINUNICODE at offset 2") != NULL);
	lc_pickle_info_free(&info);
	lc_ctx_release(&ctx);
	lc_file_result_clear(&fr);
	free(b.p);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Cost: a 1 GiB bytes object is O(1) (the payload is never touched) and a
 * few million opcodes take milliseconds.  Times are printed, not asserted. */
static void test_performance(void)
{
	size_t huge = (size_t)1 << 30, n = 11 + huge + 1;
	uint8_t *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	lc_scan_options opt;
	lc_result r;
	double t0;
	pk b = {0};
	int i, j;
	lc_scan_options_default(&opt);
	opt.jobs = 1;
	if (m != MAP_FAILED) {
		m[0] = 0x80;
		m[1] = 5;
		m[2] = 0x8e;
		for (i = 0; i < 8; i++)
			m[3 + i] = (uint8_t)(huge >> (8 * i));
		m[n - 1] = '.';
		memset(&r, 0, sizeof r);
		t0 = now_ms();
		lc_scan_mem(&opt, "huge.pkl", m, n, &r);
		printf("test_pickle: 1 GiB BINBYTES8 scanned in %.2f ms\n", now_ms() - t0);
		CHECK(r.nfiles == 1 && r.files[0].status == LC_STATUS_SCANNED && r.files[0].nfindings == 0);
		lc_result_free(&r);
		munmap(m, n);
	}
	proto(&b, 4);
	op(&b, ']');
	op(&b, 0x94);
	for (j = 0; j < 3000; j++) {
		op(&b, '(');
		for (i = 0; i < 1000; i++) {
			op(&b, 'J');
			u32(&b, (uint32_t)(j * 1000 + i));
		}
		op(&b, 'e');
	}
	op(&b, '.');
	memset(&r, 0, sizeof r);
	t0 = now_ms();
	lc_scan_mem(&opt, "big.pkl", b.p, b.n, &r);
	printf("test_pickle: %.1f MB, ~3M opcodes scanned in %.2f ms\n", b.n / 1e6, now_ms() - t0);
	CHECK(r.nfiles == 1 && r.files[0].status == LC_STATUS_SCANNED && r.files[0].nfindings == 0);
	lc_result_free(&r);
	free(b.p);
}

int main(void)
{
	RUN(test_dedupe_and_evidence);
	RUN(test_fix_imports);
	RUN(test_proto_errors);
	RUN(test_stack_rules);
	RUN(test_memo);
	RUN(test_frames);
	RUN(test_streams);
	RUN(test_limits);
	RUN(test_call_sites);
	RUN(test_nested);
	RUN(test_probe);
	RUN(test_scan_one_info);
	RUN(test_performance);
	return TEST_REPORT("test_pickle");
}
