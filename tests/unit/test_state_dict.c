/*
 * Unit tests of the state-dict extraction of the pickle VM
 * (lc_pickle_scan_state_dict, used by `laocoon convert`).  Pickles are
 * assembled byte by byte in the shapes torch.save writes (protocol 2
 * OrderedDict + SETITEMS, legacy 6-tuple persistent ids) and in shapes it
 * does not (protocol 0 DICT, SETITEM, repeated keys, nested dicts), and the
 * facts are compared with what torch.load would build.
 */
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/pickle.h"
#include "harness.h"
#include "laocoon.h"

typedef struct pk {
	uint8_t p[4096];
	size_t n;
} pk;

static void put(pk *b, const void *d, size_t n)
{
	if (b->n + n > sizeof b->p)
		abort();
	memcpy(b->p + b->n, d, n);
	b->n += n;
}
static void ops(pk *b, const char *s) { put(b, s, strlen(s)); }
static void op(pk *b, uint8_t o) { put(b, &o, 1); }
static void str(pk *b, const char *s) /* BINUNICODE */
{
	uint32_t n = (uint32_t)strlen(s);
	uint8_t l[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
	op(b, 'X');
	put(b, l, 4);
	ops(b, s);
}
static void num(pk *b, int v) /* BININT */
{
	uint32_t u = (uint32_t)v;
	uint8_t l[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
	op(b, 'J');
	put(b, l, 4);
}
static void tup(pk *b, const int *v, int n)
{
	op(b, '(');
	for (int i = 0; i < n; i++)
		num(b, v[i]);
	op(b, 't');
}
static void od(pk *b) { ops(b, "ccollections\nOrderedDict\n)R"); }

/* _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel[, None]), off, size, stride, False, OrderedDict()) */
static void tensor(pk *b, const char *type, const char *key, int numel, int off, const int *size, const int *stride,
		   int nd, int legacy_pid)
{
	ops(b, "ctorch._utils\n_rebuild_tensor_v2\n(");
	op(b, '(');
	str(b, "storage");
	ops(b, "ctorch\n");
	ops(b, type);
	op(b, '\n');
	str(b, key);
	str(b, "cpu");
	num(b, numel);
	if (legacy_pid)
		op(b, 'N');
	ops(b, "tQ");
	num(b, off);
	tup(b, size, nd);
	tup(b, stride, nd);
	op(b, 0x89);
	od(b);
	ops(b, "tR");
}

typedef struct env {
	lc_limits lim;
	lc_file_result fr;
	lc_ctx ctx;
} env;

static void env_init(env *e)
{
	memset(e, 0, sizeof *e);
	lc_limits_default(&e->lim);
	e->ctx.lim = &e->lim;
	e->ctx.file = &e->fr;
	e->fr.status = LC_STATUS_SCANNED;
}

static void env_free(env *e)
{
	lc_ctx_release(&e->ctx);
	lc_file_result_clear(&e->fr);
}

static void test_ordered_dict(void)
{
	pk b = {.n = 0};
	env e;
	lc_pickle_info info;
	const int s23[] = {2, 3}, st31[] = {3, 1}, s4[] = {4}, st1[] = {1};
	env_init(&e);
	ops(&b, "\x80\x02");
	od(&b);
	op(&b, '(');
	str(&b, "fc.weight");
	tensor(&b, "FloatStorage", "0", 6, 0, s23, st31, 2, 0);
	str(&b, "fc.bias");
	tensor(&b, "HalfStorage", "1", 10, 3, s4, st1, 1, 1);
	str(&b, "scalar");
	tensor(&b, "LongStorage", "2", 1, 0, NULL, NULL, 0, 0);
	ops(&b, "u.");
	CHECK(lc_pickle_scan_state_dict(&e.ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.state_dict == 1);
	CHECK(info.ntensors == 3);
	CHECK(info.foreign_calls == 0);
	if (info.ntensors == 3) {
		const lc_pickle_tensor *t = info.tensors;
		CHECK_STR(t[0].name, "fc.weight");
		CHECK(t[0].is_tensor);
		CHECK_STR(t[0].storage_type, "torch.FloatStorage");
		CHECK_STR(t[0].storage_key, "0");
		CHECK(t[0].storage_numel == 6 && t[0].offset == 0 && t[0].ndim == 2);
		CHECK(t[0].size[0] == 2 && t[0].size[1] == 3 && t[0].stride[0] == 3 && t[0].stride[1] == 1);
		CHECK_STR(t[1].name, "fc.bias");
		CHECK(t[1].is_tensor && t[1].offset == 3 && t[1].ndim == 1 && t[1].storage_numel == 10);
		CHECK_STR(t[1].storage_type, "torch.HalfStorage");
		CHECK(t[2].is_tensor && t[2].ndim == 0);
	}
	lc_pickle_info_free(&info);
	/* the plain scan is unchanged: no tensors recorded, no findings */
	CHECK(lc_pickle_scan_one(&e.ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.ntensors == 0 && info.tensors == NULL);
	CHECK(e.fr.nfindings == 0);
	lc_pickle_info_free(&info);
	env_free(&e);
}

/* Protocol 0/1 DICT, single SETITEM, a repeated key and a non-tensor value. */
static void test_dict_shapes(void)
{
	pk b = {.n = 0};
	env e;
	lc_pickle_info info;
	const int s2[] = {2}, st1[] = {1};
	env_init(&e);
	op(&b, '(');
	str(&b, "a");
	tensor(&b, "FloatStorage", "0", 2, 0, s2, st1, 1, 0);
	op(&b, 'd');
	str(&b, "a"); /* again: the later value wins in Python */
	tensor(&b, "DoubleStorage", "1", 2, 0, s2, st1, 1, 0);
	op(&b, 's');
	str(&b, "epoch");
	num(&b, 3);
	op(&b, 's');
	op(&b, '.');
	CHECK(lc_pickle_scan_state_dict(&e.ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.state_dict == 1);
	CHECK(info.ntensors == 3);
	if (info.ntensors == 3) {
		CHECK_STR(info.tensors[0].name, "a");
		CHECK_STR(info.tensors[0].storage_type, "torch.FloatStorage");
		CHECK_STR(info.tensors[1].name, "a");
		CHECK_STR(info.tensors[1].storage_type, "torch.DoubleStorage");
		CHECK_STR(info.tensors[2].name, "epoch");
		CHECK(!info.tensors[2].is_tensor && info.tensors[2].why != NULL);
	}
	lc_pickle_info_free(&info);
	env_free(&e);
}

/* A nested dict's entries are not the top level's; a tensor at the top is
 * no state dict; a foreign call is counted. */
static void test_not_flat(void)
{
	pk b = {.n = 0};
	env e;
	lc_pickle_info info;
	const int s2[] = {2}, st1[] = {1};
	env_init(&e);
	ops(&b, "\x80\x02}(");
	str(&b, "model");
	od(&b);
	op(&b, '(');
	str(&b, "w");
	tensor(&b, "FloatStorage", "0", 2, 0, s2, st1, 1, 0);
	op(&b, 'u');
	str(&b, "shape");
	ops(&b, "ctorch\nSize\n");
	tup(&b, s2, 1);
	ops(&b, "\x85R");
	ops(&b, "u.");
	CHECK(lc_pickle_scan_state_dict(&e.ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.state_dict == 1);
	CHECK(info.ntensors == 2);
	if (info.ntensors == 2) {
		CHECK_STR(info.tensors[0].name, "model");
		CHECK(!info.tensors[0].is_tensor);
		CHECK(info.tensors[0].why && strstr(info.tensors[0].why, "nested"));
		CHECK(!info.tensors[1].is_tensor);
	}
	CHECK(info.foreign_calls == 1);
	CHECK_STR(info.foreign, "torch.Size");
	lc_pickle_info_free(&info);

	b.n = 0;
	ops(&b, "\x80\x02");
	tensor(&b, "FloatStorage", "0", 2, 0, s2, st1, 1, 0);
	op(&b, '.');
	CHECK(lc_pickle_scan_state_dict(&e.ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.state_dict == 0 && info.ntensors == 0);
	lc_pickle_info_free(&info);
	env_free(&e);
}

/* Sizes that are not small non-negative ints are refused, not guessed. */
static void test_bad_dims(void)
{
	pk b = {.n = 0};
	env e;
	lc_pickle_info info;
	const int neg[] = {-2}, st1[] = {1}, nine[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	env_init(&e);
	ops(&b, "\x80\x02}(");
	str(&b, "neg");
	tensor(&b, "FloatStorage", "0", 2, 0, neg, st1, 1, 0);
	str(&b, "nine");
	tensor(&b, "FloatStorage", "0", 2, 0, nine, nine, 9, 0);
	ops(&b, "u.");
	CHECK(lc_pickle_scan_state_dict(&e.ctx, b.p, b.n, 0, &info) == LC_OK);
	CHECK(info.ntensors == 2);
	if (info.ntensors == 2) {
		CHECK(!info.tensors[0].is_tensor);
		CHECK(!info.tensors[1].is_tensor && strstr(info.tensors[1].why, "8 dimensions"));
	}
	lc_pickle_info_free(&info);
	env_free(&e);
}

int main(void)
{
	RUN(test_ordered_dict);
	RUN(test_dict_shapes);
	RUN(test_not_flat);
	RUN(test_bad_dims);
	return TEST_REPORT("test_state_dict");
}
