/*
 * Symbolic pickle VM.  Reads protocols 0-5 with the semantics of CPython's
 * C unpickler (Modules/_pickle.c) and never executes or deserializes
 * anything: every value is a symbol, every call site is judged by the policy
 * (src/analyze/pickle_policy.c).
 *
 * Values.  A value is a 64-bit handle: an 8-bit tag and 56 bits of data.
 * Scalars are immediate (None, bools, ints that fit in 56 bits).  Strings,
 * bytes, big ints and floats are the byte offset of the opcode that pushed
 * them: the payload stays in the view and is re-decoded on the rare
 * occasions it is needed (names, evidence, nested payloads), so a 1 GiB
 * BINBYTES8 costs O(1) and a memo entry costs 8 bytes.  Everything else
 * (tuples, lists, dicts, globals, call results ...) is a 32-byte box in an
 * array, reference counted so that the memory follows the live values, not
 * the opcode count.  Containers keep only their first few elements (enough
 * for arguments, persistent ids and evidence); their count is exact.
 *
 * No recursion: freeing uses a work list, every walk over values has a
 * fixed depth bound.
 */
#include "formats/pickle.h"
#include "analyze/pickle_policy.h"

#include <stdlib.h>
#include <string.h>

/* ---- value handles --------------------------------------------------- */

typedef uint64_t pv;

enum {
	T_EMPTY = 0, /* memo hole; never on the stack */
	T_NONE,
	T_TRUE,
	T_FALSE,
	T_INT,    /* data: 56-bit two's complement */
	T_STR,    /* data: offset of a string opcode */
	T_BYTES,  /* data: offset of a bytes opcode */
	T_BIGINT, /* data: offset of INT/LONG/LONG1/LONG4 */
	T_FLOAT,  /* data: offset of FLOAT/BINFLOAT */
	T_BOX     /* data: box index */
};

#define PV_MASK 0x00FFFFFFFFFFFFFFull
#define PV(tag, data) (((uint64_t)(tag) << 56) | ((uint64_t)(data) & PV_MASK))
#define TAG(v) ((unsigned)((v) >> 56))
#define DATA(v) ((v) & PV_MASK)
#define INT_MIN56 (-(INT64_C(1) << 55))
#define INT_MAX56 ((INT64_C(1) << 55) - 1)

static int64_t pv_int(pv v)
{
	uint64_t d = DATA(v);
	if (d & (UINT64_C(1) << 55))
		d |= ~PV_MASK;
	return (int64_t)d;
}

/* ---- boxes ------------------------------------------------------------ */

enum {
	B_FREE = 0,
	B_TUPLE,
	B_LIST,
	B_DICT,
	B_SET,
	B_FROZENSET,
	B_GLOBAL,  /* aux: name id; count: raw name id (0 = as resolved) */
	B_CALL,    /* items: callee, args, class built, partial func; aux: special */
	B_PERSID,  /* items: pid (or empty for PERSID text); off: opcode */
	B_EXT,     /* aux: extension code */
	B_DERIVED, /* bytes computed from items[0]; aux: transform */
	B_OBJ,     /* something we do not model (out-of-band buffer ...) */
};

/* CALL box item slots */
enum { CI_CALLEE = 0, CI_ARGS, CI_CLASS, CI_FUNC, CI_N };

/* box flags */
enum {
	BF_NONSTR = 1,   /* container holds a non-str element */
	BF_REPORTED = 2, /* CALL: the callable already got a finding */
	BF_MODULE = 4,   /* GLOBAL: a module object (qualname empty) */
};

/* DERIVED transforms */
enum { X_IDENT = 1, X_LATIN1, X_UTF8, X_B64, X_HEX };

typedef struct box {
	uint8_t kind;
	uint8_t n;     /* items kept */
	uint8_t cap;   /* item capacity (chunk class) */
	uint8_t flags;
	uint32_t refs;
	uint32_t items; /* first item in vm->items, 0 = none */
	uint32_t aux;
	uint64_t off;   /* opcode that created it */
	uint64_t count; /* exact element count (containers) */
} box;

#define KEEP_TUPLE 8
#define KEEP_LIST 4
/* items: key, value, key, value ...  64 pairs: a joblib array wrapper's
 * state has six keys, and a numpy structured dtype's fields dict has one
 * pair per field (scikit-learn's HistGradientBoosting nodes have 13), all of
 * them needed to size the array data.  Items grow on demand, so small dicts
 * stay small; 128 is also the largest chunk a box can hold (cap is 8 bits). */
#define KEEP_DICT 128

/* ---- interned global names ------------------------------------------- */

typedef struct gname {
	uint32_t mod, qual;     /* offsets into vm->pool (NUL-terminated) */
	uint32_t mlen, qlen;
	uint32_t hash, next;    /* chain in vm->nhash */
	uint32_t raw;           /* first raw (as written) name id, 0 = same */
	uint8_t classified;
	uint8_t sflags;         /* per stream: G_REF, G_USED */
	uint8_t toolong;
	lc_pickle_verdict v;
	uint64_t first_off;
} gname;

enum { G_REF = 1, G_USED = 2 };

/* call sites */
enum { S_REDUCE, S_INST, S_OBJ, S_NEWOBJ, S_NEWOBJ_EX, S_APPLY, S_METHOD, S_RECON };
static const char *const site_names[] = {"REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX",
					  "a callable-applying helper", "a container method", "copyreg"};

#define MAX_OVERRIDES 32
#define NAME_MAX_LEN 1024

typedef struct strcol {
	pv *v;
	size_t n, cap;
} strcol;

typedef struct vm {
	lc_ctx *ctx; /* NULL while probing: no policy, no findings */
	const uint8_t *data;
	size_t len;
	size_t real_len;  /* probing: the data goes on past len (the window) */
	int window_end;   /* probing: an opcode ran past the window, not the data */
	unsigned cflags;
	int proto;
	lc_pickle_info *info;

	uint64_t max_stack, max_memo, max_values, max_ops;
	uint64_t probe_ops;

	pv *stack;
	size_t sp, scap;
	size_t *marks;
	size_t nmarks, mcap;

	pv *memo; /* dense part, indices < memo_cap */
	size_t memo_cap, memo_count;
	size_t memo_hi; /* dense entries [0, memo_hi) may be in use */
	uint64_t *skeys; /* sparse part: open addressing, key+1 (0 = empty) */
	pv *svals;
	size_t scap2, sn;

	box *boxes;
	uint32_t nboxes, boxcap, freebox;
	uint64_t live;
	pv *items;
	uint32_t nitems, itemcap;
	uint32_t freeitems[7]; /* per class 2,4,8,16,32,64,128 */

	gname *names;
	uint32_t nnames, namecap;
	uint32_t *nhash;
	uint32_t nhashcap;
	char *pool;
	size_t poollen, poolcap;
	uint32_t *refd;
	size_t nrefd, refdcap;

	struct {
		char name[256];
		pv val;
	} over[MAX_OVERRIDES];
	unsigned nover;

	uint32_t *work;
	size_t nwork, workcap;

	strcol *cols;
	size_t ncols, colcap;

	/* per stream */
	size_t stream_start;
	uint64_t stream_ops;
	int stream_globals;
	int stop_reached;

	/* first error of the stream */
	lc_err err;
	uint64_t err_off;
	int err_recorded; /* already recorded in ctx (limits) */
	char errmsg[320];
	/* An error CPython raises but after which we keep reading, so that a
	 * payload behind it is still seen (a FRAME longer than the data). */
	lc_err soft_err;
	uint64_t soft_off;
	char soft_msg[320];
	int oom;
	int calls;
	/* joblib's NumpyUnpickler semantics (lc_parse_pickle): array bytes
	 * follow the BUILD of an array wrapper.  frame_end is the end of the
	 * last FRAME; frame_gap the array bytes that sit after it while
	 * opcodes of the frame are still to be read (the unpickler reads
	 * array data from the file, past the buffered frame). */
	int joblib;
	size_t frame_end, frame_gap;
	/* sources of nested payloads already handed to the engine */
	pv *nested_done;
	size_t nnested, nestedcap;
	/* lc_pickle_scan_state_dict: entries set on any dict or OrderedDict,
	 * tagged with the target's box; STOP keeps the top-level one's. */
	int sd;
	struct sd_rec *sdr;
	size_t nsdr, sdrcap;
} vm;

/* ---- errors ----------------------------------------------------------- */

static void vm_err(vm *m, lc_err e, uint64_t off, const char *fmt, ...) LC_PRINTF(4, 5);
static void vm_err(vm *m, lc_err e, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	if (m->err)
		return;
	m->err = e;
	m->err_off = off;
	va_start(ap, fmt);
	vsnprintf(m->errmsg, sizeof m->errmsg, fmt, ap);
	va_end(ap);
}

static void vm_limit(vm *m, lc_limit_id id, uint64_t off, const char *what)
{
	if (m->err)
		return;
	m->err = LC_E_LIMIT;
	m->err_off = off;
	snprintf(m->errmsg, sizeof m->errmsg, "limit %s", what);
	if (m->ctx) {
		lc_limit_hit(m->ctx, id, off, what);
		m->err_recorded = 1;
	}
}

static void vm_oom(vm *m)
{
	m->oom = 1;
	vm_err(m, LC_E_NOMEM, 0, "out of memory in the pickle VM");
}

static void *grow(vm *m, void *p, size_t *cap, size_t need, size_t elem)
{
	size_t nc = *cap ? *cap : 16;
	void *q;
	while (nc < need) {
		if (nc > SIZE_MAX / 2 / elem) {
			vm_oom(m);
			return NULL;
		}
		nc *= 2;
	}
	q = realloc(p, nc * elem);
	if (!q) {
		vm_oom(m);
		return NULL;
	}
	*cap = nc;
	return q;
}

/* ---- boxes and items ------------------------------------------------- */

/* Chunk classes 2 << c for c = 0..6: up to 128 items (the largest KEEP_*). */
static int cap_class(unsigned cap)
{
	int c = 0;
	while (c < 6 && (2u << c) < cap)
		c++;
	return c;
}

static uint32_t items_alloc(vm *m, unsigned cap)
{
	int c = cap_class(cap);
	unsigned real = 2u << c;
	uint32_t idx = m->freeitems[c];
	if (idx) {
		m->freeitems[c] = (uint32_t)m->items[idx];
		return idx;
	}
	if (m->nitems == 0)
		m->nitems = 16; /* index 0 means "none" */
	if ((size_t)m->nitems + real > UINT32_MAX) {
		vm_oom(m);
		return 0;
	}
	if (m->nitems + real > m->itemcap) {
		size_t cap2 = m->itemcap;
		pv *p = grow(m, m->items, &cap2, (size_t)m->nitems + real, sizeof(pv));
		if (!p)
			return 0;
		m->items = p;
		m->itemcap = (uint32_t)(cap2 > UINT32_MAX ? UINT32_MAX : cap2);
	}
	idx = m->nitems;
	m->nitems += real;
	return idx;
}

static void items_free(vm *m, uint32_t idx, unsigned cap)
{
	int c = cap_class(cap);
	m->items[idx] = m->freeitems[c];
	m->freeitems[c] = idx;
}

/* New box with one reference owned by the caller; 0 on failure. */
static uint32_t box_new(vm *m, int kind, uint64_t off)
{
	uint32_t idx;
	box *b;
	if (m->live >= m->max_values) {
		vm_limit(m, LC_LIMIT_pickle_max_values, off, "symbolic pickle values");
		return 0;
	}
	if (m->freebox) {
		idx = m->freebox;
		m->freebox = m->boxes[idx].aux;
	} else {
		if (m->nboxes == 0)
			m->nboxes = 1;
		if (m->nboxes >= m->boxcap) {
			size_t cap2 = m->boxcap;
			box *p = grow(m, m->boxes, &cap2, (size_t)m->nboxes + 1, sizeof(box));
			if (!p)
				return 0;
			m->boxes = p;
			m->boxcap = (uint32_t)(cap2 > UINT32_MAX ? UINT32_MAX : cap2);
		}
		idx = m->nboxes++;
	}
	b = &m->boxes[idx];
	memset(b, 0, sizeof *b);
	b->kind = (uint8_t)kind;
	b->refs = 1;
	b->off = off;
	m->live++;
	return idx;
}

static inline box *BX(vm *m, pv v)
{
	return &m->boxes[DATA(v)];
}

static inline int is_box(pv v, vm *m, int kind)
{
	return TAG(v) == T_BOX && m->boxes[DATA(v)].kind == kind;
}

static inline void retain(vm *m, pv v)
{
	if (TAG(v) == T_BOX)
		m->boxes[DATA(v)].refs++;
}

static void strcol_drop(vm *m, box *b)
{
	if ((b->kind == B_LIST || b->kind == B_TUPLE) && b->aux) {
		strcol *c = &m->cols[b->aux - 1];
		free(c->v);
		c->v = NULL;
		c->n = c->cap = 0;
		b->aux = 0;
	}
}

static void release(vm *m, pv v)
{
	if (TAG(v) != T_BOX)
		return;
	if (--m->boxes[DATA(v)].refs != 0)
		return;
	/* Iterative: children whose count drops to zero go on the work list. */
	m->nwork = 0;
	if (m->nwork >= m->workcap) {
		uint32_t *p = grow(m, m->work, &m->workcap, 1, sizeof(uint32_t));
		if (!p)
			return; /* leak the box: memory is freed with the VM */
		m->work = p;
	}
	m->work[m->nwork++] = (uint32_t)DATA(v);
	while (m->nwork) {
		uint32_t idx = m->work[--m->nwork];
		box *b = &m->boxes[idx];
		unsigned i;
		for (i = 0; i < b->n; i++) {
			pv c = m->items[b->items + i];
			if (TAG(c) == T_BOX && --m->boxes[DATA(c)].refs == 0) {
				if (m->nwork >= m->workcap) {
					uint32_t *p = grow(m, m->work, &m->workcap, m->nwork + 1, sizeof(uint32_t));
					if (!p)
						continue;
					m->work = p;
					b = &m->boxes[idx];
				}
				m->work[m->nwork++] = (uint32_t)DATA(c);
			}
		}
		if (b->items)
			items_free(m, b->items, b->cap);
		strcol_drop(m, b);
		b->kind = B_FREE;
		b->aux = m->freebox;
		m->freebox = idx;
		m->live--;
	}
}

/* Gives a box room for cap items. */
static int box_reserve(vm *m, uint32_t idx, unsigned cap)
{
	uint32_t it;
	if (m->boxes[idx].items)
		return 1;
	it = items_alloc(m, cap);
	if (!it)
		return 0;
	m->boxes[idx].items = it;
	m->boxes[idx].cap = (uint8_t)(2u << cap_class(cap));
	return 1;
}

/* Appends an owned value to a box, keeping at most keep of them. */
static void box_add(vm *m, uint32_t idx, pv v, unsigned keep)
{
	box *b = &m->boxes[idx];
	b->count++;
	if (b->n < keep) {
		if (!b->items && !box_reserve(m, idx, 2)) {
			release(m, v);
			return;
		}
		b = &m->boxes[idx];
		if (b->n >= b->cap) {
			/* next chunk class: small containers stay small */
			unsigned nc = b->cap * 2u;
			uint32_t it = items_alloc(m, nc), old;
			if (!it) {
				release(m, v);
				return;
			}
			b = &m->boxes[idx];
			old = b->items;
			memcpy(&m->items[it], &m->items[old], b->n * sizeof(pv));
			items_free(m, old, b->cap);
			b->items = it;
			b->cap = (uint8_t)nc;
		}
		m->items[b->items + b->n++] = v;
		return;
	}
	release(m, v);
}

static pv item(vm *m, pv v, unsigned i)
{
	box *b;
	if (TAG(v) != T_BOX)
		return PV(T_EMPTY, 0);
	b = BX(m, v);
	if (i >= b->n)
		return PV(T_EMPTY, 0);
	return m->items[b->items + i];
}

/* ---- stack, marks, memo ---------------------------------------------- */

static int stack_grow(vm *m, uint64_t off)
{
	size_t nc;
	pv *p;
	if ((uint64_t)m->sp + m->nmarks >= m->max_stack) {
		vm_limit(m, LC_LIMIT_pickle_max_stack, off, "pickle stack depth");
		return 0;
	}
	nc = m->scap;
	p = grow(m, m->stack, &nc, m->sp + 1, sizeof(pv));
	if (!p)
		return 0;
	m->stack = p;
	m->scap = nc;
	return 1;
}

/* Pushes an owned value. */
static inline int push(vm *m, pv v, uint64_t off)
{
	if (m->sp >= m->scap && !stack_grow(m, off)) {
		release(m, v);
		return 0;
	}
	m->stack[m->sp++] = v;
	return 1;
}

static inline size_t fence(const vm *m)
{
	return m->nmarks ? m->marks[m->nmarks - 1] : 0;
}

static void underflow(vm *m, uint64_t off, const char *op)
{
	vm_err(m, LC_E_MALFORMED, off, "%s at offset %llu: %s", op, (unsigned long long)off,
	       m->nmarks ? "unexpected MARK found" : "unpickling stack underflow");
}

/* Pops an owned value (stack underflow below the fence is an error, as in
 * CPython's Pdata_pop). */
static inline int pop(vm *m, pv *out, uint64_t off, const char *op)
{
	if (m->sp <= fence(m)) {
		underflow(m, off, op);
		return 0;
	}
	*out = m->stack[--m->sp];
	return 1;
}

static int marker(vm *m, size_t *out, uint64_t off, const char *op)
{
	if (m->nmarks == 0) {
		vm_err(m, LC_E_MALFORMED, off, "%s at offset %llu: could not find MARK", op,
		       (unsigned long long)off);
		return 0;
	}
	*out = m->marks[--m->nmarks];
	return 1;
}

static pv *memo_slot(vm *m, uint64_t idx, int create, uint64_t off)
{
	size_t h, mask;
	if (idx < m->memo_cap) {
		if (create && idx >= m->memo_hi)
			m->memo_hi = (size_t)idx + 1;
		return &m->memo[idx];
	}
	if (create && idx < (uint64_t)m->memo_count * 2 + 65536 && idx < m->max_memo * 2 + 65536) {
		size_t nc = m->memo_cap, old = m->memo_cap;
		pv *p = grow(m, m->memo, &nc, (size_t)idx + 1, sizeof(pv));
		if (!p)
			return NULL;
		memset(p + old, 0, (nc - old) * sizeof(pv));
		m->memo = p;
		m->memo_cap = nc;
		m->memo_hi = (size_t)idx + 1;
		/* move sparse entries that now fall in the dense range */
		if (m->sn) {
			size_t i;
			for (i = 0; i < m->scap2; i++) {
				if (m->skeys[i] && m->skeys[i] != UINT64_MAX && m->skeys[i] - 1 < nc) {
					if (m->skeys[i] > m->memo_hi)
						m->memo_hi = (size_t)m->skeys[i];
					m->memo[m->skeys[i] - 1] = m->svals[i];
					m->skeys[i] = UINT64_MAX; /* tombstone */
					m->sn--;
				}
			}
		}
		return &m->memo[idx];
	}
	/* sparse: attacker-chosen large indices */
	if (m->scap2) {
		mask = m->scap2 - 1;
		for (h = (size_t)(idx * 0x9E3779B97F4A7C15ull) & mask;; h = (h + 1) & mask) {
			if (m->skeys[h] == idx + 1)
				return &m->svals[h];
			if (m->skeys[h] == 0)
				break;
		}
	}
	if (!create)
		return NULL;
	if ((m->sn + 1) * 2 > m->scap2) {
		size_t nc = m->scap2 ? m->scap2 * 2 : 64, i;
		uint64_t *nk = calloc(nc, sizeof *nk);
		pv *nv = calloc(nc, sizeof *nv);
		if (!nk || !nv) {
			free(nk);
			free(nv);
			vm_oom(m);
			return NULL;
		}
		for (i = 0; i < m->scap2; i++) {
			if (m->skeys[i] && m->skeys[i] != UINT64_MAX) {
				size_t j;
				for (j = (size_t)((m->skeys[i] - 1) * 0x9E3779B97F4A7C15ull) & (nc - 1); nk[j];
				     j = (j + 1) & (nc - 1))
					;
				nk[j] = m->skeys[i];
				nv[j] = m->svals[i];
			}
		}
		free(m->skeys);
		free(m->svals);
		m->skeys = nk;
		m->svals = nv;
		m->scap2 = nc;
	}
	mask = m->scap2 - 1;
	for (h = (size_t)(idx * 0x9E3779B97F4A7C15ull) & mask; m->skeys[h] && m->skeys[h] != UINT64_MAX;
	     h = (h + 1) & mask)
		;
	m->skeys[h] = idx + 1;
	m->svals[h] = PV(T_EMPTY, 0);
	m->sn++;
	(void)off;
	return &m->svals[h];
}

static void memo_put(vm *m, uint64_t idx, pv v, uint64_t off)
{
	pv *s;
	if (m->memo_count >= m->max_memo) {
		s = memo_slot(m, idx, 0, off);
		if (!s || TAG(*s) == T_EMPTY) {
			vm_limit(m, LC_LIMIT_pickle_max_memo, off, "pickle memo entries");
			return;
		}
	} else {
		s = memo_slot(m, idx, 1, off);
		if (!s)
			return;
	}
	retain(m, v);
	if (TAG(*s) == T_EMPTY)
		m->memo_count++;
	else
		release(m, *s);
	*s = v;
}

/* ---- strings ---------------------------------------------------------- */

enum { E_UTF8, E_ASCII, E_ESC, E_RAWUNI };

typedef struct sref {
	const uint8_t *p;
	size_t n;
	int enc;
	int cut; /* a text line longer than the caller wanted to scan */
} sref;

/* Re-reads the payload of the string or bytes opcode at off (already
 * validated when it was executed). */
static int payload_at(const vm *m, uint64_t off, sref *s, size_t maxscan)
{
	const uint8_t *d = m->data + off;
	size_t left = m->len - off - 1;
	const uint8_t *nl;
	s->enc = E_UTF8;
	s->cut = 0;
	switch (d[0]) {
	case 'S':
	case 'V':
		/* Text strings end at a newline found again on every use: a name
		 * lookup scans at most maxscan bytes, so that a memoized huge
		 * line used a million times stays cheap. */
		nl = memchr(d + 1, '\n', left < maxscan ? left : maxscan);
		s->p = d + 1;
		if (!nl) {
			if (left <= maxscan)
				return 0;
			s->n = maxscan;
			s->cut = 1;
			s->enc = d[0] == 'S' ? E_ESC : E_RAWUNI;
			if (d[0] == 'S')
				s->p++;
			return 1;
		}
		s->n = (size_t)(nl - (d + 1));
		if (d[0] == 'S') { /* strip the quotes */
			s->p++;
			s->n -= 2;
			s->enc = E_ESC;
		} else {
			s->enc = E_RAWUNI;
		}
		return 1;
	case 'T':
		s->n = lc_le32(d + 1);
		s->p = d + 5;
		s->enc = E_ASCII;
		return 1;
	case 'U':
		s->n = d[1];
		s->p = d + 2;
		s->enc = E_ASCII;
		return 1;
	case 'X':
	case 'B':
		s->n = lc_le32(d + 1);
		s->p = d + 5;
		return 1;
	case 0x8c:
	case 'C':
		s->n = d[1];
		s->p = d + 2;
		return 1;
	case 0x8d:
	case 0x8e:
	case 0x96:
		s->n = (size_t)lc_le64(d + 1);
		s->p = d + 9;
		return 1;
	}
	return 0;
}

/* One UTF-8 sequence (surrogates allowed, as 'surrogatepass'); returns its
 * length, 0 if invalid. */
static size_t utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint8_t c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (n < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && p[1] < 0xA0)
			return 0;
		*cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
			return 0;
		*cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
		      ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
		return 4;
	}
	return 0;
}

static int utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	uint32_t cp;
	while (i < n) {
		size_t k;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_next(p + i, n - i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

/* Code point sink: UTF-8 text or latin-1 bytes, truncating at cap. */
typedef struct sink {
	uint8_t *buf;
	size_t cap, len;
	int latin1;
	int bad;       /* a code point latin-1 cannot hold, or an invalid input */
	int truncated;
} sink;

static void sink_cp(sink *k, uint32_t cp)
{
	uint8_t t[4];
	size_t n;
	if (k->latin1) {
		if (cp > 0xFF) {
			k->bad = 1;
			return;
		}
		t[0] = (uint8_t)cp;
		n = 1;
	} else {
		n = lc_utf8_encode(cp, t);
	}
	if (k->len + n > k->cap) {
		k->truncated = 1;
		k->len = k->cap; /* stop here */
		return;
	}
	memcpy(k->buf + k->len, t, n);
	k->len += n;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes a string payload into code points (stops early once the sink is
 * full). */
static void decode_str(const sref *s, sink *k)
{
	size_t i = 0;
	uint32_t cp;
	while (i < s->n && !k->truncated && !k->bad) {
		uint8_t c = s->p[i];
		switch (s->enc) {
		case E_UTF8: {
			size_t l = c < 0x80 ? 1 : utf8_next(s->p + i, s->n - i, &cp);
			if (c < 0x80)
				cp = c;
			if (!l) {
				k->bad = 1;
				return;
			}
			sink_cp(k, cp);
			i += l;
			break;
		}
		case E_ASCII:
			if (c >= 0x80) {
				k->bad = 1;
				return;
			}
			sink_cp(k, c);
			i++;
			break;
		case E_RAWUNI: {
			/* raw-unicode-escape: only \uXXXX and \UXXXXXXXX preceded by
			 * an odd run of backslashes are escapes; other bytes are
			 * latin-1. */
			size_t run = 0, j, q;
			if (c != '\\') {
				sink_cp(k, c);
				i++;
				break;
			}
			while (i + run < s->n && s->p[i + run] == '\\')
				run++;
			j = i + run;
			if ((run & 1) && j < s->n && (s->p[j] == 'u' || s->p[j] == 'U')) {
				size_t nd = s->p[j] == 'u' ? 4 : 8, d;
				uint32_t v = 0;
				for (d = 0; d + 1 < run; d++)
					sink_cp(k, '\\');
				if (j + 1 + nd > s->n) {
					k->bad = 1;
					return;
				}
				for (d = 0; d < nd; d++) {
					int h = hexval(s->p[j + 1 + d]);
					if (h < 0) {
						k->bad = 1;
						return;
					}
					v = (v << 4) | (uint32_t)h;
				}
				if (v > 0x10FFFF) {
					k->bad = 1;
					return;
				}
				sink_cp(k, v);
				i = j + 1 + nd;
			} else {
				for (q = 0; q < run; q++)
					sink_cp(k, '\\');
				i = j;
			}
			break;
		}
		case E_ESC: {
			/* Python bytes escape decoding (codecs.escape_decode) */
			uint8_t e;
			if (c != '\\') {
				if (c >= 0x80) {
					k->bad = 1; /* decoded with encoding='ASCII' */
					return;
				}
				sink_cp(k, c);
				i++;
				break;
			}
			if (i + 1 >= s->n) {
				k->bad = 1; /* trailing \ in string */
				return;
			}
			e = s->p[i + 1];
			i += 2;
			switch (e) {
			case '\n':
				break;
			case '\\':
			case '\'':
			case '"':
				sink_cp(k, e);
				break;
			case 'a':
				sink_cp(k, 7);
				break;
			case 'b':
				sink_cp(k, 8);
				break;
			case 'f':
				sink_cp(k, 12);
				break;
			case 'n':
				sink_cp(k, 10);
				break;
			case 'r':
				sink_cp(k, 13);
				break;
			case 't':
				sink_cp(k, 9);
				break;
			case 'v':
				sink_cp(k, 11);
				break;
			case 'x': {
				int h1 = i < s->n ? hexval(s->p[i]) : -1;
				int h2 = i + 1 < s->n ? hexval(s->p[i + 1]) : -1;
				if (h1 < 0 || h2 < 0) {
					k->bad = 1;
					return;
				}
				cp = (uint32_t)(h1 * 16 + h2);
				if (cp >= 0x80) {
					k->bad = 1;
					return;
				}
				sink_cp(k, cp);
				i += 2;
				break;
			}
			default:
				if (e >= '0' && e <= '7') {
					unsigned v = (unsigned)(e - '0'), q;
					for (q = 0; q < 2 && i < s->n && s->p[i] >= '0' && s->p[i] <= '7'; q++)
						v = v * 8 + (unsigned)(s->p[i++] - '0');
					if ((v & 0xFF) >= 0x80) {
						k->bad = 1;
						return;
					}
					sink_cp(k, v & 0xFF);
				} else {
					sink_cp(k, '\\');
					sink_cp(k, e);
				}
			}
			break;
		}
		default:
			return;
		}
	}
}

/* UTF-8 text of a str value into buf (NUL-terminated).  Returns 1 for a
 * complete, valid str; 0 if v is no str, is invalid or did not fit. */
static int str_text(vm *m, pv v, char *buf, size_t cap, size_t *outlen)
{
	sref s;
	sink k;
	buf[0] = '\0';
	if (outlen)
		*outlen = 0;
	if (TAG(v) != T_STR || !payload_at(m, DATA(v), &s, cap * 10 + 64))
		return 0;
	memset(&k, 0, sizeof k);
	k.buf = (uint8_t *)buf;
	k.cap = cap - 1;
	decode_str(&s, &k);
	buf[k.len] = '\0';
	if (outlen)
		*outlen = k.len;
	return !k.bad && !k.truncated && !s.cut && memchr(buf, '\0', k.len) == NULL;
}

/* ---- name interning ---------------------------------------------------- */

static uint32_t fnv(const char *a, size_t an, const char *b, size_t bn)
{
	uint32_t h = 2166136261u;
	size_t i;
	for (i = 0; i < an; i++)
		h = (h ^ (uint8_t)a[i]) * 16777619u;
	h = (h ^ 0xFF) * 16777619u;
	for (i = 0; i < bn; i++)
		h = (h ^ (uint8_t)b[i]) * 16777619u;
	return h;
}

static uint32_t pool_add(vm *m, const char *s, size_t n)
{
	uint32_t at;
	if (m->poollen + n + 1 > UINT32_MAX) {
		vm_oom(m);
		return 0;
	}
	if (m->poollen + n + 1 > m->poolcap) {
		char *p = grow(m, m->pool, &m->poolcap, m->poollen + n + 1, 1);
		if (!p)
			return 0;
		m->pool = p;
	}
	at = (uint32_t)m->poollen;
	memcpy(m->pool + at, s, n);
	m->pool[at + n] = '\0';
	m->poollen += n + 1;
	return at;
}

/* Interns (module, qualname); returns an id >= 1, 0 on failure. */
static uint32_t intern_name(vm *m, const char *mod, size_t ml, const char *q, size_t ql)
{
	uint32_t h, i;
	gname *g;
	int toolong = 0;
	if (ml > NAME_MAX_LEN) {
		ml = NAME_MAX_LEN;
		toolong = 1;
	}
	if (ql > NAME_MAX_LEN) {
		ql = NAME_MAX_LEN;
		toolong = 1;
	}
	h = fnv(mod, ml, q, ql);
	if (m->nhashcap) {
		for (i = m->nhash[h & (m->nhashcap - 1)]; i; i = m->names[i].next) {
			g = &m->names[i];
			if (g->hash == h && g->mlen == ml && g->qlen == ql && memcmp(m->pool + g->mod, mod, ml) == 0 &&
			    memcmp(m->pool + g->qual, q, ql) == 0)
				return i;
		}
	}
	if (m->nnames == 0)
		m->nnames = 1;
	if (m->nnames >= m->namecap) {
		size_t cap2 = m->namecap;
		gname *p = grow(m, m->names, &cap2, (size_t)m->nnames + 1, sizeof(gname));
		if (!p)
			return 0;
		m->names = p;
		m->namecap = (uint32_t)cap2;
	}
	if ((size_t)m->nnames * 2 >= m->nhashcap) {
		uint32_t nc = m->nhashcap ? m->nhashcap * 2 : 256, j;
		uint32_t *nh = calloc(nc, sizeof *nh);
		if (!nh) {
			vm_oom(m);
			return 0;
		}
		for (j = 1; j < m->nnames; j++) {
			m->names[j].next = nh[m->names[j].hash & (nc - 1)];
			nh[m->names[j].hash & (nc - 1)] = j;
		}
		free(m->nhash);
		m->nhash = nh;
		m->nhashcap = nc;
	}
	i = m->nnames;
	g = &m->names[i];
	memset(g, 0, sizeof *g);
	g->mod = pool_add(m, mod, ml);
	g->qual = pool_add(m, q, ql);
	if (m->oom)
		return 0;
	g = &m->names[i];
	g->mlen = (uint32_t)ml;
	g->qlen = (uint32_t)ql;
	g->hash = h;
	g->toolong = (uint8_t)toolong;
	g->next = m->nhash[h & (m->nhashcap - 1)];
	m->nhash[h & (m->nhashcap - 1)] = i;
	m->nnames++;
	return i;
}

static const char *g_mod(vm *m, uint32_t id)
{
	return m->pool + m->names[id].mod;
}
static const char *g_qual(vm *m, uint32_t id)
{
	return m->pool + m->names[id].qual;
}

/* "module.qualname" (or "module" for a module object) into buf. */
static const char *g_full(vm *m, uint32_t id, char *buf, size_t cap)
{
	if (m->names[id].qlen)
		snprintf(buf, cap, "%s.%s", g_mod(m, id), g_qual(m, id));
	else
		snprintf(buf, cap, "%s", g_mod(m, id));
	return buf;
}

static const lc_pickle_verdict *g_verdict(vm *m, uint32_t id)
{
	gname *g = &m->names[id];
	if (!g->classified) {
		if (g->toolong)
			memset(&g->v, 0, sizeof g->v);
		else
			lc_pickle_classify(g_mod(m, id), g_qual(m, id), m->cflags, &g->v);
		g->classified = 1;
	}
	return &g->v;
}

static void g_ref(vm *m, uint32_t id, uint64_t off)
{
	gname *g = &m->names[id];
	if (g->sflags & G_REF)
		return;
	if (m->nrefd >= m->refdcap) {
		uint32_t *p = grow(m, m->refd, &m->refdcap, m->nrefd + 1, sizeof(uint32_t));
		if (!p)
			return;
		m->refd = p;
	}
	g = &m->names[id];
	g->sflags |= G_REF;
	g->first_off = off;
	m->refd[m->nrefd++] = id;
}

/* ---- findings ---------------------------------------------------------- */

/* Short description of a value for evidence. */
static void describe(vm *m, pv v, char *buf, size_t cap)
{
	char tmp[160];
	size_t n;
	sref s;
	switch (TAG(v)) {
	case T_NONE:
		snprintf(buf, cap, "None");
		return;
	case T_TRUE:
		snprintf(buf, cap, "True");
		return;
	case T_FALSE:
		snprintf(buf, cap, "False");
		return;
	case T_INT:
		snprintf(buf, cap, "%lld", (long long)pv_int(v));
		return;
	case T_BIGINT:
		snprintf(buf, cap, "<int>");
		return;
	case T_FLOAT:
		snprintf(buf, cap, "<float>");
		return;
	case T_STR:
		str_text(m, v, tmp, 121, &n);
		lc_escape((const uint8_t *)tmp, n, 120, buf, cap);
		return;
	case T_BYTES:
		if (payload_at(m, DATA(v), &s, SIZE_MAX)) {
			char e[120];
			lc_escape(s.p, s.n, 48, e, sizeof e);
			snprintf(buf, cap, "b%s (%zu bytes)", e, s.n);
		} else {
			snprintf(buf, cap, "<bytes>");
		}
		return;
	case T_BOX: {
		box *b = BX(m, v);
		switch (b->kind) {
		case B_GLOBAL:
			g_full(m, b->aux, tmp, sizeof tmp);
			snprintf(buf, cap, "%s", tmp);
			return;
		case B_CALL: {
			pv c = item(m, v, CI_CALLEE);
			if (is_box(c, m, B_GLOBAL)) {
				g_full(m, BX(m, c)->aux, tmp, sizeof tmp);
				snprintf(buf, cap, "%s(...)", tmp);
			} else {
				snprintf(buf, cap, "<call result>");
			}
			return;
		}
		case B_TUPLE:
			snprintf(buf, cap, "<tuple of %llu>", (unsigned long long)b->count);
			return;
		case B_LIST:
			snprintf(buf, cap, "<list of %llu>", (unsigned long long)b->count);
			return;
		case B_DICT:
			snprintf(buf, cap, "<dict of %llu>", (unsigned long long)(b->count / 2));
			return;
		case B_DERIVED:
			snprintf(buf, cap, "<computed bytes>");
			return;
		case B_EXT:
			snprintf(buf, cap, "<extension %u>", b->aux);
			return;
		case B_PERSID:
			snprintf(buf, cap, "<persistent id>");
			return;
		default:
			snprintf(buf, cap, "<object>");
			return;
		}
	}
	}
	snprintf(buf, cap, "?");
}

/* "name(arg, arg, ...)" with the first arguments of an args tuple; a list
 * argument shows its first element too (subprocess.call(['sh', ...])). */
static void evidence(vm *m, const char *name, pv args, char *buf, size_t cap)
{
	size_t o;
	unsigned i;
	snprintf(buf, cap, "%s(", name);
	o = strlen(buf);
	for (i = 0; TAG(args) == T_BOX && i < 3 && i < BX(m, args)->n && o + 8 < cap; i++) {
		char d[200];
		pv a = item(m, args, i);
		if (is_box(a, m, B_LIST) || is_box(a, m, B_TUPLE)) {
			char d2[160];
			describe(m, item(m, a, 0), d2, sizeof d2);
			snprintf(d, sizeof d, "[%s%s]", BX(m, a)->n ? d2 : "", BX(m, a)->count > 1 ? ", ..." : "");
		} else {
			describe(m, a, d, sizeof d);
		}
		snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", d);
		o = strlen(buf);
	}
	if (TAG(args) == T_BOX && BX(m, args)->kind == B_TUPLE && BX(m, args)->count > 3 && o + 6 < cap) {
		snprintf(buf + o, cap - o, ", ...");
		o = strlen(buf);
	}
	if (o + 1 < cap) {
		buf[o] = ')';
		buf[o + 1] = '\0';
	}
}

/* " [written as 'mod' 'name']" when the raw name differs. */
static void raw_note(vm *m, uint32_t id, char *buf, size_t cap)
{
	uint32_t raw = m->names[id].raw;
	buf[0] = '\0';
	if (raw && raw != id)
		snprintf(buf, cap, " [written as %s %s]", g_mod(m, raw), g_qual(m, raw));
}

/* ---- global resolution ------------------------------------------------- */

static int override_find(vm *m, uint32_t id, pv *out)
{
	char full[300];
	unsigned i;
	if (!m->nover)
		return 0;
	g_full(m, id, full, sizeof full);
	for (i = m->nover; i-- > 0;) {
		if (strcmp(m->over[i].name, full) == 0) {
			*out = m->over[i].val;
			return 1;
		}
	}
	return 0;
}

/* Pushes the global module.name (raw as written): find_class with
 * fix_imports for protocols < 3, then a pending BUILD override. */
static int push_global(vm *m, const char *mod, size_t ml, const char *name, size_t nl, uint64_t off)
{
	uint32_t id = 0, raw = 0, bi;
	pv ov;
	m->stream_globals++;
	if (m->ctx) {
		/* NUL-terminated copies: GLOBAL operands point into the view */
		char mb[NAME_MAX_LEN + 1], nb[NAME_MAX_LEN + 1];
		const char *rm = mb, *rn = nb;
		size_t mc = ml > NAME_MAX_LEN ? NAME_MAX_LEN : ml, nc = nl > NAME_MAX_LEN ? NAME_MAX_LEN : nl;
		memcpy(mb, mod, mc);
		mb[mc] = '\0';
		memcpy(nb, name, nc);
		nb[nc] = '\0';
		if (m->proto < 3 && mc == ml && nc == nl && strlen(mb) == ml && strlen(nb) == nl &&
		    lc_pickle_fix_imports(&rm, &rn)) {
			id = intern_name(m, rm, strlen(rm), rn, strlen(rn));
			raw = intern_name(m, mod, ml, name, nl);
		} else {
			id = intern_name(m, mod, ml, name, nl);
		}
		if (!id)
			return 0;
		if (raw && !m->names[id].raw)
			m->names[id].raw = raw;
		g_ref(m, id, off);
		if (override_find(m, id, &ov)) {
			retain(m, ov);
			return push(m, ov, off);
		}
	}
	bi = box_new(m, B_GLOBAL, off);
	if (!bi)
		return 0;
	m->boxes[bi].aux = id;
	m->boxes[bi].count = raw;
	if (nl == 0)
		m->boxes[bi].flags |= BF_MODULE;
	return push(m, PV(T_BOX, bi), off);
}

/* A global reached as an attribute (getattr, attrgetter ...) of obj:
 * returns an owned GLOBAL box, or 0 when obj is not resolvable. */
static uint32_t attr_global(vm *m, pv obj, const char *attr, uint64_t off)
{
	char q[NAME_MAX_LEN + 1], mb[NAME_MAX_LEN + 1];
	uint32_t base = 0, id, bi;
	int depth;
	/* an instance: its class's attribute (conservative: a method) */
	for (depth = 0; depth < 8 && is_box(obj, m, B_CALL); depth++) {
		pv cls = item(m, obj, CI_CLASS);
		obj = TAG(cls) != T_EMPTY ? cls : item(m, obj, CI_CALLEE);
	}
	if (!is_box(obj, m, B_GLOBAL) || !m->ctx)
		return 0;
	base = BX(m, obj)->aux;
	if (m->names[base].qlen)
		snprintf(q, sizeof q, "%s.%s", g_qual(m, base), attr);
	else
		snprintf(q, sizeof q, "%s", attr);
	/* a copy: interning may move the pool the module name lives in */
	snprintf(mb, sizeof mb, "%s", g_mod(m, base));
	id = intern_name(m, mb, strlen(mb), q, strlen(q));
	if (!id)
		return 0;
	g_ref(m, id, off);
	bi = box_new(m, B_GLOBAL, off);
	if (!bi)
		return 0;
	m->boxes[bi].aux = id;
	return bi;
}

/* ---- nested payloads --------------------------------------------------- */

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Bytes of a constant bytes value (direct, or computed through
 * _codecs.encode / bytes() / b64decode / fromhex of constants).  *owned is
 * set when the result was allocated.  depth bounds the chain. */
static int materialize(vm *m, pv v, const uint8_t **out, size_t *outlen, uint8_t **owned, int depth)
{
	sref s;
	*owned = NULL;
	if (depth > 6)
		return 0;
	if (TAG(v) == T_BYTES) {
		if (!payload_at(m, DATA(v), &s, SIZE_MAX))
			return 0;
		*out = s.p;
		*outlen = s.n;
		return 1;
	}
	if (TAG(v) == T_STR && depth > 0) {
		/* a str as the source of an encode/decode: its UTF-8 text */
		sink k;
		if (!payload_at(m, DATA(v), &s, SIZE_MAX))
			return 0;
		if (s.enc == E_UTF8) {
			*out = s.p;
			*outlen = s.n;
			return 1;
		}
		memset(&k, 0, sizeof k);
		k.cap = s.n * 2 + 16;
		k.buf = lc_alloc_input(m->ctx, k.cap, "decoded pickle string");
		if (!k.buf)
			return 0;
		decode_str(&s, &k);
		if (k.bad) {
			free(k.buf);
			return 0;
		}
		*out = k.buf;
		*outlen = k.len;
		*owned = k.buf;
		return 1;
	}
	if (is_box(v, m, B_DERIVED)) {
		int x = (int)BX(m, v)->aux;
		pv src = item(m, v, 0);
		const uint8_t *p;
		size_t n, i, o = 0;
		uint8_t *own, *buf;
		if (x == X_LATIN1 && TAG(src) == T_STR) {
			/* str -> latin-1 bytes, straight from the payload */
			sink k;
			if (!payload_at(m, DATA(src), &s, SIZE_MAX))
				return 0;
			memset(&k, 0, sizeof k);
			k.latin1 = 1;
			k.cap = s.n + 1;
			k.buf = lc_alloc_input(m->ctx, k.cap, "encoded pickle string");
			if (!k.buf)
				return 0;
			decode_str(&s, &k);
			if (k.bad) {
				free(k.buf);
				return 0;
			}
			*out = k.buf;
			*outlen = k.len;
			*owned = k.buf;
			return 1;
		}
		if (!materialize(m, src, &p, &n, &own, depth + 1))
			return 0;
		if (x == X_IDENT || x == X_UTF8 || x == X_LATIN1) {
			*out = p;
			*outlen = n;
			*owned = own;
			return 1;
		}
		buf = lc_alloc_input(m->ctx, n + 1, "decoded pickle bytes");
		if (!buf) {
			free(own);
			return 0;
		}
		if (x == X_B64) {
			uint32_t acc = 0;
			int bits = 0;
			for (i = 0; i < n; i++) {
				int c = b64val(p[i]);
				if (p[i] == '=')
					break;
				if (c < 0)
					continue; /* b64decode(validate=False) discards them */
				acc = (acc << 6) | (uint32_t)c;
				bits += 6;
				if (bits >= 8) {
					bits -= 8;
					buf[o++] = (uint8_t)(acc >> bits);
				}
			}
		} else { /* X_HEX: bytes.fromhex skips ASCII whitespace */
			int hi = -1;
			for (i = 0; i < n; i++) {
				int h = hexval(p[i]);
				if (h < 0)
					continue;
				if (hi < 0) {
					hi = h;
				} else {
					buf[o++] = (uint8_t)(hi * 16 + h);
					hi = -1;
				}
			}
		}
		free(own);
		*out = buf;
		*outlen = o;
		*owned = buf;
		return 1;
	}
	return 0;
}

/* Scans the bytes a loader would deserialize.  Returns 1 when a constant
 * was found and handed to the engine. */
static int nested_scan(vm *m, const char *loader, pv arg, uint64_t off, int as_pickle)
{
	const uint8_t *p;
	size_t n;
	uint8_t *own;
	char name[200], at_s[32];
	size_t ll = strlen(loader);
	size_t i;
	pv key = arg;
	int depth;
	if (!m->ctx)
		return 0;
	/* Each source constant is scanned once, whatever computed bytes were
	 * derived from it: the total cost stays proportional to the file even
	 * if a loader is called a million times on one memoized payload. */
	for (depth = 0; depth < 8 && is_box(key, m, B_DERIVED); depth++)
		key = item(m, key, 0);
	if (TAG(key) != T_BYTES && TAG(key) != T_STR)
		return 0;
	/* a hash set of keys (never 0: their tag is not T_EMPTY) */
	if ((m->nnested + 1) * 2 > m->nestedcap) {
		size_t nc = m->nestedcap ? m->nestedcap * 2 : 64, j;
		pv *q = calloc(nc, sizeof(pv));
		if (!q) {
			vm_oom(m);
			return 0;
		}
		for (i = 0; i < m->nestedcap; i++) {
			if (!m->nested_done[i])
				continue;
			for (j = (size_t)(m->nested_done[i] * 0x9E3779B97F4A7C15ull) & (nc - 1); q[j]; j = (j + 1) & (nc - 1))
				;
			q[j] = m->nested_done[i];
		}
		free(m->nested_done);
		m->nested_done = q;
		m->nestedcap = nc;
	}
	for (i = (size_t)(key * 0x9E3779B97F4A7C15ull) & (m->nestedcap - 1); m->nested_done[i];
	     i = (i + 1) & (m->nestedcap - 1))
		if (m->nested_done[i] == key)
			return 1;
	if (!materialize(m, arg, &p, &n, &own, 0))
		return 0;
	m->nested_done[i] = key;
	m->nnested++;
	/* "<loader@offset>", the loader name cut to fit */
	snprintf(at_s, sizeof at_s, "@%llu>", (unsigned long long)off);
	if (ll > sizeof name - sizeof at_s - 2)
		ll = sizeof name - sizeof at_s - 2;
	name[0] = '<';
	memcpy(name + 1, loader, ll);
	memcpy(name + 1 + ll, at_s, strlen(at_s) + 1);
	{
		uint64_t at = own ? LC_NO_OFFSET : (uint64_t)(p - m->data);
		if (as_pickle)
			lc_scan_child_as(m->ctx, name, "pickle", p, n, at);
		else
			lc_scan_child(m->ctx, name, p, n, at);
	}
	free(own);
	return 1;
}

/* The first bytes-like argument (a method reached through its class gets
 * self first: Grammar.loads(self, data)). */
static pv bytes_arg(vm *m, pv args)
{
	unsigned i;
	for (i = 0; i < 3; i++) {
		pv a = item(m, args, i);
		if (TAG(a) == T_BYTES || is_box(a, m, B_DERIVED))
			return a;
	}
	return item(m, args, 0);
}

/* ---- call sites ------------------------------------------------------- */

typedef struct callee {
	int resolved;   /* 1: global id; 0: unresolved */
	uint32_t id;
	pv via;         /* the partial/attrgetter box, if any */
	const char *why;/* for unresolved */
} callee;

/* What a callable value resolves to.  Bounded walk through partial(). */
static void resolve_callee(vm *m, pv c, callee *out)
{
	int depth;
	memset(out, 0, sizeof *out);
	out->via = PV(T_EMPTY, 0);
	for (depth = 0; depth < 8; depth++) {
		if (is_box(c, m, B_GLOBAL) && m->ctx) {
			out->resolved = 1;
			out->id = BX(m, c)->aux;
			return;
		}
		if (is_box(c, m, B_CALL) && BX(m, c)->aux == LC_PSP_PARTIAL) {
			pv f = item(m, c, CI_FUNC);
			if (TAG(f) == T_EMPTY)
				f = item(m, item(m, c, CI_ARGS), 0);
			c = f;
			continue;
		}
		break;
	}
	if (is_box(c, m, B_EXT))
		out->why = "an EXT extension-registry callable";
	else if (is_box(c, m, B_CALL))
		out->why = "the result of another call";
	else if (is_box(c, m, B_PERSID))
		out->why = "a persistent-id object";
	else if (TAG(c) == T_STR)
		out->why = "a str";
	else if (TAG(c) == T_BOX && BX(m, c)->kind >= B_TUPLE && BX(m, c)->kind <= B_FROZENSET)
		out->why = "a container";
	else
		out->why = "a non-callable constant";
}

/* State-dict mode: convert accepts only the calls torch.save writes for
 * tensors; anything else is counted (policy findings are unchanged). */
static void sd_call(vm *m, uint32_t id)
{
	static const char *const ok[][2] = {
		{"torch._utils", "_rebuild_tensor_v2"},
		{"torch._utils", "_rebuild_tensor_v3"},
		{"torch._utils", "_rebuild_tensor"},
		{"torch._utils", "_rebuild_parameter"},
		{"torch._utils", "_rebuild_parameter_with_state"},
		{"collections", "OrderedDict"},
	};
	size_t i;
	if (!m->info)
		return;
	for (i = 0; id && i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(g_mod(m, id), ok[i][0]) == 0 && strcmp(g_qual(m, id), ok[i][1]) == 0)
			return;
	if (m->info->foreign_calls++ == 0) {
		if (id)
			g_full(m, id, m->info->foreign, sizeof m->info->foreign);
		else
			snprintf(m->info->foreign, sizeof m->info->foreign, "?");
	}
}

static void report_call(vm *m, int site, uint32_t id, pv args, uint64_t off, lc_severity sev, const char *rule,
			const char *what)
{
	char full[600], ev[900], raw[600];
	g_full(m, id, full, sizeof full);
	raw_note(m, id, raw, sizeof raw);
	evidence(m, full, args, ev, sizeof ev);
	lc_finding_add(m->ctx, sev, rule, off, full, ev, "%s %s%s via %s at offset %llu%s", what, full, raw,
		       site_names[site], (unsigned long long)off, "");
}

static void judge_class(vm *m, pv cls, pv args, uint64_t off, int site);

/* Judges invoking callee c with args.  Returns the special of the callable
 * (LC_PSP_*), so the caller can model the result. */
static int judge_call(vm *m, int site, pv c, pv args, uint64_t off, uint32_t *out_id)
{
	callee ce;
	const lc_pickle_verdict *v;
	char full[600];
	*out_id = 0;
	if (!m->ctx)
		return 0;
	m->calls++;
	resolve_callee(m, c, &ce);
	if (m->sd)
		sd_call(m, ce.resolved ? ce.id : 0);
	if (!ce.resolved) {
		char ev[600];
		describe(m, c, full, sizeof full);
		evidence(m, full, args, ev, sizeof ev);
		lc_finding_add(m->ctx, LC_SEV_HIGH, "pickle.callable.unresolved", off, ce.why, ev,
			       "pickle calls %s, which cannot be resolved statically, via %s at offset %llu", ce.why,
			       site_names[site], (unsigned long long)off);
		return 0;
	}
	*out_id = ce.id;
	m->names[ce.id].sflags |= G_USED;
	v = g_verdict(m, ce.id);
	g_full(m, ce.id, full, sizeof full);
	if (v->verdict == LC_PV_DANGEROUS) {
		char what[200];
		if (v->rule == LC_PR_NESTED)
			snprintf(what, sizeof what, "pickle calls nested loader");
		else if (v->rule == LC_PR_CODE)
			snprintf(what, sizeof what, "pickle builds code (%s):", v->reason);
		else
			snprintf(what, sizeof what, "pickle calls dangerous callable (%s)", v->reason);
		report_call(m, site, ce.id, args, off, LC_SEV_CRITICAL, lc_pickle_rule_name(v->rule), what);
		if (v->special == LC_PSP_NESTED_LOADER)
			nested_scan(m, full, bytes_arg(m, args), off, 1);
		return v->special;
	}
	if (v->verdict == LC_PV_ALLOWED) {
		if (v->special == LC_PSP_TORCH_LOAD_BYTES) {
			/* torch pickles storages this way: judge the bytes */
			if (!nested_scan(m, full, bytes_arg(m, args), off, 0))
				report_call(m, site, ce.id, args, off, LC_SEV_CRITICAL, "pickle.nested-loader",
					    "pickle calls torch.load on non-constant bytes:");
		}
		return v->special;
	}
	/* unknown */
	if (site == S_NEWOBJ || site == S_NEWOBJ_EX || site == S_RECON) {
		if (!lc_pickle_reconstructable(g_mod(m, ce.id), g_qual(m, ce.id), m->cflags))
			report_call(m, site, ce.id, args, off, LC_SEV_MEDIUM, "pickle.class.unknown",
				    "pickle reconstructs an instance of unknown class");
		return 0;
	}
	report_call(m, site, ce.id, args, off, LC_SEV_HIGH, "pickle.callable.unknown",
		    "pickle calls non-allowlisted callable");
	return 0;
}

/* copyreg._reconstructor / __newobj__ / NEWOBJ: building an instance of
 * cls without its constructor. */
static void judge_class(vm *m, pv cls, pv args, uint64_t off, int site)
{
	uint32_t id;
	judge_call(m, site, cls, args, off, &id);
}

/* Creates the CALL result box for callee(args) and models the specials.
 * Consumes the references to c and args; returns an owned result. */
static pv do_call(vm *m, int site, pv c, pv args, uint64_t off)
{
	uint32_t id = 0, bi;
	int sp;
	pv res;
	char txt[NAME_MAX_LEN + 1];

	/* attrgetter('n')(obj) / methodcaller('n', ...)(obj) */
	if (is_box(c, m, B_CALL) && (BX(m, c)->aux == LC_PSP_ATTRGETTER || BX(m, c)->aux == LC_PSP_METHODCALLER) &&
	    m->ctx) {
		int kind = (int)BX(m, c)->aux;
		pv cargs = item(m, c, CI_ARGS);
		uint32_t gi = 0;
		if (str_text(m, item(m, cargs, 0), txt, sizeof txt, NULL))
			gi = attr_global(m, item(m, args, 0), txt, off);
		if (gi) {
			pv g = PV(T_BOX, gi);
			release(m, c);
			release(m, args);
			if (kind == LC_PSP_ATTRGETTER)
				return g;
			/* methodcaller: obj.n(*rest) is a call of obj.n */
			{
				uint32_t ti = box_new(m, B_TUPLE, off);
				unsigned i;
				if (!ti) {
					release(m, g);
					return PV(T_NONE, 0);
				}
				for (i = 1; TAG(cargs) == T_BOX && i < BX(m, cargs)->n; i++) {
					pv a = item(m, cargs, i);
					retain(m, a);
					box_add(m, ti, a, KEEP_TUPLE);
				}
				return do_call(m, S_REDUCE, g, PV(T_BOX, ti), off);
			}
		}
	}

	sp = judge_call(m, site, c, args, off, &id);
	bi = box_new(m, B_CALL, off);
	if (!bi || !box_reserve(m, bi, CI_N)) {
		release(m, c);
		release(m, args);
		if (bi)
			release(m, PV(T_BOX, bi));
		return PV(T_NONE, 0);
	}
	{
		box *b = &m->boxes[bi];
		m->items[b->items + CI_CALLEE] = c;
		m->items[b->items + CI_ARGS] = args;
		m->items[b->items + CI_CLASS] = PV(T_EMPTY, 0);
		m->items[b->items + CI_FUNC] = PV(T_EMPTY, 0);
		b->n = CI_N;
		b->aux = (uint32_t)sp;
		b->count = id;
		if (id && g_verdict(m, id)->verdict != LC_PV_ALLOWED)
			b->flags |= BF_REPORTED;
	}
	res = PV(T_BOX, bi);
	if (site == S_NEWOBJ || site == S_NEWOBJ_EX) {
		retain(m, c);
		m->items[m->boxes[bi].items + CI_CLASS] = c;
		return res;
	}
	switch (sp) {
	case LC_PSP_GETATTR:
	case LC_PSP_TYPES_ATTR:
	case LC_PSP_IMPORT: {
		uint32_t gi = 0;
		if (sp == LC_PSP_GETATTR && str_text(m, item(m, args, 1), txt, sizeof txt, NULL))
			gi = attr_global(m, item(m, args, 0), txt, off);
		if (sp == LC_PSP_TYPES_ATTR && m->ctx && str_text(m, item(m, args, 0), txt, sizeof txt, NULL)) {
			uint32_t tid = intern_name(m, "types", 5, txt, strlen(txt));
			if (tid) {
				g_ref(m, tid, off);
				gi = box_new(m, B_GLOBAL, off);
				if (gi)
					m->boxes[gi].aux = tid;
			}
		}
		if (sp == LC_PSP_IMPORT && m->ctx && str_text(m, item(m, args, 0), txt, sizeof txt, NULL)) {
			uint32_t mid;
			char *colon = strchr(txt, ':');
			if (colon) /* pkgutil.resolve_name("pkg.mod:obj.attr") */
				*colon = '.';
			mid = intern_name(m, txt, strlen(txt), "", 0);
			if (mid) {
				g_ref(m, mid, off);
				gi = box_new(m, B_GLOBAL, off);
				if (gi) {
					m->boxes[gi].aux = mid;
					m->boxes[gi].flags |= BF_MODULE;
				}
			}
		}
		if (gi) {
			release(m, res);
			return PV(T_BOX, gi);
		}
		break;
	}
	case LC_PSP_CODECS_ENCODE:
	case LC_PSP_BYTES:
	case LC_PSP_B64DECODE:
	case LC_PSP_FROMHEX: {
		pv src = item(m, args, 0);
		int x = X_IDENT;
		uint32_t di;
		if (sp == LC_PSP_CODECS_ENCODE) {
			size_t i;
			if (!str_text(m, item(m, args, 1), txt, 32, NULL) && TAG(item(m, args, 1)) != T_EMPTY)
				break;
			if (TAG(item(m, args, 1)) == T_EMPTY)
				strcpy(txt, "utf-8");
			for (i = 0; txt[i]; i++)
				if (txt[i] >= 'A' && txt[i] <= 'Z')
					txt[i] = (char)(txt[i] + 32);
			if (!strcmp(txt, "latin1") || !strcmp(txt, "latin-1") || !strcmp(txt, "iso-8859-1") ||
			    !strcmp(txt, "iso8859-1") || !strcmp(txt, "l1"))
				x = X_LATIN1;
			else if (!strcmp(txt, "utf-8") || !strcmp(txt, "utf8") || !strcmp(txt, "ascii"))
				x = X_UTF8;
			else
				break;
			if (TAG(src) != T_STR)
				break;
		} else if (sp == LC_PSP_B64DECODE) {
			x = X_B64;
		} else if (sp == LC_PSP_FROMHEX) {
			x = X_HEX;
		} else if (TAG(src) != T_BYTES && !is_box(src, m, B_DERIVED)) {
			break;
		}
		di = box_new(m, B_DERIVED, off);
		if (!di)
			break;
		retain(m, src);
		box_add(m, di, src, 2);
		m->boxes[di].aux = (uint32_t)x;
		release(m, res);
		return PV(T_BOX, di);
	}
	case LC_PSP_RECONSTRUCTOR:
	case LC_PSP_NEWOBJ:
	case LC_PSP_NEWOBJ_EX: {
		pv cls = item(m, args, 0);
		judge_class(m, cls, PV(T_EMPTY, 0), off, S_RECON);
		if (sp == LC_PSP_RECONSTRUCTOR) {
			/* base.__new__(cls, state) (+ base.__init__) unless base is object */
			pv base = item(m, args, 1);
			if (is_box(base, m, B_GLOBAL) && m->ctx) {
				uint32_t b = BX(m, base)->aux;
				if (strcmp(g_mod(m, b), "builtins") || strcmp(g_qual(m, b), "object"))
					judge_class(m, base, PV(T_EMPTY, 0), off, S_RECON);
			}
		}
		retain(m, cls);
		m->items[m->boxes[bi].items + CI_CLASS] = cls;
		break;
	}
	case LC_PSP_APPLY: {
		uint32_t ignored;
		pv f = item(m, args, 0);
		if (TAG(f) != T_EMPTY)
			judge_call(m, S_APPLY, f, item(m, args, 2), off, &ignored);
		break;
	}
	default:
		break;
	}
	return res;
}

/* ---- storage refs (torch persistent ids) ------------------------------ */

static void note_persid(vm *m, pv pid)
{
	lc_pickle_storage_ref r;
	char t[128];
	pv ty, key, numel;
	if (!m->info || !is_box(pid, m, B_TUPLE) || BX(m, pid)->count < 5)
		return;
	if (!str_text(m, item(m, pid, 0), t, sizeof t, NULL) || strcmp(t, "storage") != 0)
		return;
	memset(&r, 0, sizeof r);
	ty = item(m, pid, 1);
	key = item(m, pid, 2);
	numel = item(m, pid, 4);
	if (is_box(ty, m, B_GLOBAL) && m->ctx) {
		g_full(m, BX(m, ty)->aux, r.type, sizeof r.type);
		r.elem_size = lc_pickle_storage_elem_size(r.type);
		r.dtype_known = r.elem_size != 0;
	}
	if (TAG(key) == T_STR)
		str_text(m, key, r.key, sizeof r.key, NULL);
	else if (TAG(key) == T_INT)
		snprintf(r.key, sizeof r.key, "%lld", (long long)pv_int(key));
	if (TAG(numel) == T_INT && pv_int(numel) >= 0)
		r.numel = (uint64_t)pv_int(numel);
	if (m->info->nstorages % 16 == 0) {
		lc_pickle_storage_ref *p = realloc(m->info->storages, (m->info->nstorages + 16) * sizeof *p);
		if (!p) {
			vm_oom(m);
			return;
		}
		m->info->storages = p;
	}
	m->info->storages[m->info->nstorages++] = r;
}

/* ---- string collections (carriers want the whole top-level str list) -- */

#define STRCOL_MAX 4000000

static void col_add(vm *m, uint32_t bi, pv v)
{
	box *b = &m->boxes[bi];
	strcol *c;
	if (b->flags & BF_NONSTR)
		return;
	if (TAG(v) != T_STR || b->count > STRCOL_MAX) {
		b->flags |= BF_NONSTR;
		strcol_drop(m, b);
		return;
	}
	if (!m->info)
		return;
	if (!b->aux) {
		size_t i;
		for (i = 0; i < m->ncols && m->cols[i].cap; i++)
			;
		if (i == m->ncols) {
			strcol *p = grow(m, m->cols, &m->colcap, m->ncols + 1, sizeof(strcol));
			if (!p)
				return;
			m->cols = p;
			memset(&m->cols[m->ncols], 0, sizeof(strcol));
			m->ncols++;
		}
		b = &m->boxes[bi];
		b->aux = (uint32_t)i + 1;
		m->cols[i].cap = 1; /* marks the slot busy */
		m->cols[i].n = 0;
		m->cols[i].v = NULL;
		{
			size_t c2 = 0;
			pv *p = grow(m, NULL, &c2, 16, sizeof(pv));
			if (!p)
				return;
			m->cols[i].v = p;
			m->cols[i].cap = c2;
		}
	}
	c = &m->cols[b->aux - 1];
	if (c->n >= c->cap) {
		size_t c2 = c->cap;
		pv *p = grow(m, c->v, &c2, c->n + 1, sizeof(pv));
		if (!p)
			return;
		c->v = p;
		c->cap = c2;
	}
	c->v[c->n++] = v;
}

/* ---- state-dict extraction (lc_pickle_scan_state_dict) ------------------ */

/* Entries of all dicts are noted while they are built, because a box keeps
 * only its first few items; STOP then keeps those of the top-level value.
 * A box is identified by its index and the offset of the opcode that made
 * it, since indices are reused once a box is freed. */
typedef struct sd_rec {
	uint32_t box;
	uint64_t box_off;
	lc_pickle_tensor t;
} sd_rec;

/* More entries than any real state dict has (the largest have ~1e5). */
#define SD_MAX_ENTRIES 2000000u

static int global_is(vm *m, pv v, const char *mod, const char *qual);

static int is_ordered_dict(vm *m, pv v)
{
	return is_box(v, m, B_CALL) && global_is(m, item(m, v, CI_CALLEE), "collections", "OrderedDict");
}

static int parse_int_text(const uint8_t *s, size_t n, int base0, int allow_L, int64_t *val, int *fits);

/* A non-negative int that fits in 64 bits.  Past 2^31 the pickler writes
 * LONG1 (a storage of 2^31 floats, an offset into one), which the VM keeps
 * as a reference to its opcode: decode it here. */
static int sd_uint(vm *m, pv v, uint64_t *out)
{
	size_t o, n, i;
	const uint8_t *p;
	if (TAG(v) == T_INT) {
		if (pv_int(v) < 0)
			return 0;
		*out = (uint64_t)pv_int(v);
		return 1;
	}
	if (TAG(v) != T_BIGINT || DATA(v) >= m->len)
		return 0;
	o = (size_t)DATA(v);
	if (m->data[o] == 0x8a || m->data[o] == 0x8b) { /* LONG1, LONG4: little-endian two's complement */
		if (m->data[o] == 0x8a) {
			if (m->len - o < 2)
				return 0;
			n = m->data[o + 1];
			p = m->data + o + 2;
		} else {
			if (m->len - o < 5)
				return 0;
			n = lc_le32(m->data + o + 1);
			p = m->data + o + 5;
		}
		if (n == 0 || n > m->len - (size_t)(p - m->data) || (p[n - 1] & 0x80))
			return 0;
		for (i = 8; i < n; i++)
			if (p[i])
				return 0;
		*out = 0;
		for (i = 0; i < n && i < 8; i++)
			*out |= (uint64_t)p[i] << (8 * i);
		return 1;
	}
	if (m->data[o] == 'I' || m->data[o] == 'L') { /* text, up to the newline */
		const uint8_t *s = m->data + o + 1, *nl = memchr(s, '\n', m->len - o - 1);
		int64_t val;
		int fits;
		if (!nl || !parse_int_text(s, (size_t)(nl - s), 0, m->data[o] == 'L', &val, &fits) || !fits || val < 0)
			return 0;
		*out = (uint64_t)val;
		return 1;
	}
	return 0;
}

/* A size or stride tuple of small non-negative ints. */
static const char *sd_dims(vm *m, pv v, uint64_t *out, unsigned *n)
{
	box *b;
	unsigned i;
	if (!is_box(v, m, B_TUPLE))
		return "its size or stride is not a tuple";
	b = BX(m, v);
	if (b->count > LC_PICKLE_TENSOR_MAX_DIMS || b->n != b->count)
		return "it has more than 8 dimensions";
	for (i = 0; i < b->n; i++)
		if (!sd_uint(m, item(m, v, i), &out[i]))
			return "a size or stride is not a non-negative int";
	*n = b->n;
	return NULL;
}

/* Decodes the rebuild call torch.load would make for a state-dict value:
 * _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
 * backward_hooks[, metadata]), _rebuild_tensor_v3(..., dtype[, metadata]),
 * legacy _rebuild_tensor(storage, storage_offset, size, stride), possibly
 * wrapped in _rebuild_parameter(tensor, requires_grad, hooks[, state]).
 * Returns NULL, or why the value is not such a tensor. */
static const char *sd_tensor(vm *m, pv v, lc_pickle_tensor *t)
{
	pv fn, args, storage, pid, key, x;
	unsigned nstride = 0, need;
	int v3 = 0, legacy = 0;
	const char *why;
	char txt[16];
	if (is_box(v, m, B_DICT) || is_ordered_dict(m, v))
		return "the value is a dict (a nested checkpoint; only a flat state dict converts)";
	if (!is_box(v, m, B_CALL))
		return "the value is not a tensor";
	fn = item(m, v, CI_CALLEE);
	args = item(m, v, CI_ARGS);
	if (global_is(m, fn, "torch._utils", "_rebuild_parameter") ||
	    global_is(m, fn, "torch._utils", "_rebuild_parameter_with_state")) {
		v = item(m, args, 0);
		if (!is_box(v, m, B_CALL))
			return "the parameter does not wrap a tensor";
		fn = item(m, v, CI_CALLEE);
		args = item(m, v, CI_ARGS);
	}
	if (global_is(m, fn, "torch._utils", "_rebuild_tensor_v3"))
		v3 = 1;
	else if (global_is(m, fn, "torch._utils", "_rebuild_tensor"))
		legacy = 1;
	else if (!global_is(m, fn, "torch._utils", "_rebuild_tensor_v2"))
		return "the value is not built by a dense tensor rebuild function (quantized, sparse or not a tensor)";
	need = legacy ? 4 : v3 ? 7 : 6;
	if (!is_box(args, m, B_TUPLE) || BX(m, args)->n < need)
		return "the tensor rebuild call has too few arguments";
	storage = item(m, args, 0);
	pid = item(m, storage, 0);
	if (!is_box(storage, m, B_PERSID) || !is_box(pid, m, B_TUPLE) || BX(m, pid)->count < 5 ||
	    BX(m, pid)->count > 6 || BX(m, pid)->n != BX(m, pid)->count ||
	    !str_text(m, item(m, pid, 0), txt, sizeof txt, NULL) || strcmp(txt, "storage") != 0)
		return "the tensor's storage is not a ('storage', type, key, location, numel) persistent id";
	x = item(m, pid, 1);
	if (!is_box(x, m, B_GLOBAL))
		return "the storage type is not a global";
	g_full(m, BX(m, x)->aux, t->storage_type, sizeof t->storage_type);
	key = item(m, pid, 2);
	if (TAG(key) == T_STR) {
		if (!str_text(m, key, t->storage_key, sizeof t->storage_key, NULL) || !t->storage_key[0])
			return "the storage key is not a short str";
	} else if (TAG(key) == T_INT) {
		snprintf(t->storage_key, sizeof t->storage_key, "%lld", (long long)pv_int(key));
	} else {
		return "the storage key is neither a str nor an int";
	}
	if (!sd_uint(m, item(m, pid, 4), &t->storage_numel))
		return "the storage size is not a non-negative int";
	/* Legacy streams carry a view_metadata slot, None since torch 0.4. */
	if (BX(m, pid)->count == 6 && TAG(item(m, pid, 5)) != T_NONE)
		return "the storage is a view of another storage (pre-0.4 layout)";
	if (!sd_uint(m, item(m, args, 1), &t->offset))
		return "the storage offset is not a non-negative int";
	if ((why = sd_dims(m, item(m, args, 2), t->size, &t->ndim)) != NULL ||
	    (why = sd_dims(m, item(m, args, 3), t->stride, &nstride)) != NULL)
		return why;
	if (nstride != t->ndim)
		return "its size and stride have different lengths";
	if (v3) {
		x = item(m, args, 6);
		if (!is_box(x, m, B_GLOBAL) || strcmp(g_mod(m, BX(m, x)->aux), "torch") != 0 ||
		    strlen(g_qual(m, BX(m, x)->aux)) >= sizeof t->dtype)
			return "the dtype argument is not a torch dtype";
		snprintf(t->dtype, sizeof t->dtype, "%s", g_qual(m, BX(m, x)->aux));
	}
	return NULL;
}

/* Notes dict[key] = val for the dict box bi. */
static void sd_note(vm *m, uint32_t bi, pv key, pv val)
{
	sd_rec *r;
	const char *why;
	char name[NAME_MAX_LEN + 1];
	size_t nl;
	if (m->nsdr >= SD_MAX_ENTRIES) {
		if (!m->err)
			vm_err(m, LC_E_LIMIT, m->boxes[bi].off, "state dict has more than %u entries", SD_MAX_ENTRIES);
		return;
	}
	if (m->nsdr == m->sdrcap) {
		sd_rec *p = grow(m, m->sdr, &m->sdrcap, m->nsdr + 1, sizeof *p);
		if (!p)
			return;
		m->sdr = p;
	}
	r = &m->sdr[m->nsdr];
	memset(r, 0, sizeof *r);
	r->box = bi;
	r->box_off = m->boxes[bi].off;
	if (str_text(m, key, name, sizeof name, &nl)) {
		r->t.name = lc_strndup(name, nl);
		if (!r->t.name) {
			vm_oom(m);
			return;
		}
	}
	why = r->t.name ? sd_tensor(m, val, &r->t) : "its key is not a str (or longer than 1024 bytes)";
	r->t.is_tensor = why == NULL;
	r->t.why = why;
	m->nsdr++;
}

static void sd_pairs(vm *m, uint32_t bi, size_t from)
{
	size_t i;
	for (i = from; i + 1 < m->sp; i += 2)
		sd_note(m, bi, m->stack[i], m->stack[i + 1]);
}

/* STOP: hands the entries of the top-level value v to info. */
static void sd_collect(vm *m, pv v)
{
	lc_pickle_info *in = m->info;
	size_t i, n = 0;
	uint32_t bi;
	if (!in || TAG(v) != T_BOX || (!is_box(v, m, B_DICT) && !is_ordered_dict(m, v)))
		return;
	in->state_dict = 1;
	bi = (uint32_t)DATA(v);
	for (i = 0; i < m->nsdr; i++)
		n += m->sdr[i].box == bi && m->sdr[i].box_off == m->boxes[bi].off;
	if (n == 0)
		return;
	in->tensors = calloc(n, sizeof *in->tensors);
	if (!in->tensors) {
		vm_oom(m);
		return;
	}
	for (i = 0; i < m->nsdr; i++) {
		if (m->sdr[i].box != bi || m->sdr[i].box_off != m->boxes[bi].off)
			continue;
		in->tensors[in->ntensors++] = m->sdr[i].t;
		m->sdr[i].t.name = NULL; /* ownership moved */
	}
}

/* ---- container updates -------------------------------------------------- */

/* APPEND(S)/SETITEM(S)/ADDITEMS onto target = stack[x-1] with the values
 * stack[x..sp).  Real containers absorb them; a global object would have
 * its method called. */
static void fill_target(vm *m, size_t x, uint64_t off, const char *method, int pairs)
{
	pv t = m->stack[x - 1];
	size_t i;
	if (m->sd && pairs && (is_box(t, m, B_DICT) || is_ordered_dict(m, t)))
		sd_pairs(m, (uint32_t)DATA(t), x);
	if (TAG(t) == T_BOX) {
		uint32_t bi = (uint32_t)DATA(t);
		int k = m->boxes[bi].kind;
		if ((k == B_LIST && !pairs) || (k == B_DICT && pairs) || (k == B_SET && !pairs)) {
			unsigned keep = k == B_LIST ? KEEP_LIST : k == B_DICT ? KEEP_DICT : KEEP_LIST;
			for (i = x; i < m->sp; i++) {
				if (k == B_LIST)
					col_add(m, bi, m->stack[i]);
				box_add(m, bi, m->stack[i], keep);
			}
			m->sp = x;
			return;
		}
		if (k == B_GLOBAL && m->ctx) {
			/* e.g. APPENDS onto a class object: calls Class.extend(...) */
			uint32_t gi = attr_global(m, t, method, off);
			if (gi) {
				uint32_t ti = box_new(m, B_TUPLE, off);
				if (ti) {
					for (i = x; i < m->sp; i++)
						box_add(m, ti, m->stack[i], KEEP_TUPLE);
					m->sp = x;
					release(m, do_call(m, S_METHOD, PV(T_BOX, gi), PV(T_BOX, ti), off));
					return;
				}
				release(m, PV(T_BOX, gi));
			}
		}
	}
	/* an instance or anything else: the values are consumed */
	for (i = x; i < m->sp; i++)
		release(m, m->stack[i]);
	m->sp = x;
}

static int global_is(vm *m, pv v, const char *mod, const char *qual)
{
	uint32_t id;
	if (!m->ctx || !is_box(v, m, B_GLOBAL))
		return 0;
	id = BX(m, v)->aux;
	return strcmp(g_mod(m, id), mod) == 0 && strcmp(g_qual(m, id), qual) == 0;
}

/* The result of calling numpy.dtype(...) (how a dtype pickles). */
static int is_dtype_call(vm *m, pv v)
{
	return is_box(v, m, B_CALL) && global_is(m, item(m, v, CI_CALLEE), "numpy", "dtype");
}

/* BUILD: state applied to inst (stack top). */
static void do_build(vm *m, pv inst, pv state, uint64_t off)
{
	if (!m->ctx)
		return;
	if (is_box(inst, m, B_GLOBAL)) {
		uint32_t id = BX(m, inst)->aux;
		char full[600], ev[1100], keys[400];
		size_t o = 0;
		unsigned i, j;
		pv dicts[2];
		dicts[0] = state;
		dicts[1] = PV(T_EMPTY, 0);
		if (is_box(state, m, B_TUPLE)) {
			dicts[0] = item(m, state, 0);
			dicts[1] = item(m, state, 1);
		}
		g_full(m, id, full, sizeof full);
		keys[0] = '\0';
		for (j = 0; j < 2; j++) {
			pv d = dicts[j];
			if (!is_box(d, m, B_DICT))
				continue;
			for (i = 0; i + 1 < BX(m, d)->n; i += 2) {
				char k[200];
				if (!str_text(m, item(m, d, i), k, sizeof k, NULL))
					continue;
				snprintf(keys + o, sizeof keys - o, "%s%s", o ? ", " : "", k);
				o = strlen(keys);
				/* later lookups of full.k see the new value */
				if (m->nover < MAX_OVERRIDES && strlen(full) + 1 + strlen(k) < sizeof m->over[0].name) {
					pv val = item(m, d, i + 1);
					char *dst = m->over[m->nover].name;
					size_t fl = strlen(full);
					memcpy(dst, full, fl);
					dst[fl] = '.';
					memcpy(dst + fl + 1, k, strlen(k) + 1);
					retain(m, val);
					m->over[m->nover].val = val;
					m->nover++;
				}
			}
		}
		snprintf(ev, sizeof ev, "BUILD %s with {%s}", full, keys);
		lc_finding_add(m->ctx, LC_SEV_CRITICAL, "pickle.module.overwrite", off, full, ev,
			       "BUILD at offset %llu sets attributes on the global object %s (module or class "
			       "overwrite)",
			       (unsigned long long)off, full);
		m->names[id].sflags |= G_USED;
		return;
	}
	if (is_box(inst, m, B_CALL)) {
		box *b = BX(m, inst);
		pv cls = item(m, inst, CI_CLASS);
		if (b->aux == LC_PSP_PARTIAL && is_box(state, m, B_TUPLE)) {
			/* partial.__setstate__((func, args, kwds, dict)) replaces func */
			pv f = item(m, state, 0);
			uint32_t it = m->boxes[DATA(inst)].items;
			retain(m, f);
			release(m, m->items[it + CI_FUNC]);
			m->items[it + CI_FUNC] = f;
			return;
		}
		if (b->flags & BF_REPORTED)
			return;
		if (b->aux != LC_PSP_PARTIAL && is_dtype_call(m, inst)) {
			/* numpy.dtype.__setstate__: elsize and flags are in the state;
			 * a joblib array wrapper needs them to size its data */
			uint32_t it = m->boxes[DATA(inst)].items;
			retain(m, state);
			release(m, m->items[it + CI_FUNC]);
			m->items[it + CI_FUNC] = state;
			return;
		}
		if (TAG(cls) == T_EMPTY) {
			/* an allowlisted callable's result: its __setstate__ is known */
			return;
		}
		if (is_box(cls, m, B_GLOBAL)) {
			uint32_t id = BX(m, cls)->aux;
			const lc_pickle_verdict *v = g_verdict(m, id);
			if (v->verdict == LC_PV_UNKNOWN &&
			    !lc_pickle_reconstructable(g_mod(m, id), g_qual(m, id), m->cflags)) {
				char full[600];
				g_full(m, id, full, sizeof full);
				lc_finding_add(m->ctx, LC_SEV_MEDIUM, "pickle.class.unknown", off, full, full,
					       "BUILD at offset %llu restores the state of an instance of unknown "
					       "class %s (__setstate__)",
					       (unsigned long long)off, full);
			}
		}
	}
}

/* ---- joblib array wrappers ----------------------------------------------
 *
 * joblib.dump replaces every numpy array by a NumpyArrayWrapper object and
 * writes the raw array bytes right after the wrapper's BUILD opcode;
 * joblib's NumpyUnpickler.load_build (joblib/numpy_pickle.py) reads them
 * from the file at that point: for a dtype without objects an optional
 * padding (one length byte, then that many bytes, when the state has a
 * numpy_array_alignment_bytes attribute that is not None: joblib >= 1.2)
 * and count x itemsize bytes; for an object dtype a complete nested
 * pickle.load.  Opcodes resume after them.  So a payload after an array is
 * only seen if exactly those bytes are skipped.  joblib < 0.10 wrote
 * NDArrayWrapper / ZNDArrayWrapper, whose data is in a separate file. */

enum { JW_NONE = 0, JW_ARRAY, JW_ND, JW_ZND };

static int joblib_wrapper(vm *m, pv inst)
{
	static const char *const mods[] = {"joblib.numpy_pickle", "joblib.numpy_pickle_compat",
					   "sklearn.externals.joblib.numpy_pickle",
					   "sklearn.externals.joblib.numpy_pickle_compat"};
	pv cls;
	uint32_t id;
	size_t i;
	if (!m->ctx || !is_box(inst, m, B_CALL))
		return JW_NONE;
	/* NEWOBJ and the copyreg helpers record the class; REDUCE, INST or
	 * OBJ of the class itself has it as the callee */
	cls = item(m, inst, CI_CLASS);
	if (TAG(cls) == T_EMPTY)
		cls = item(m, inst, CI_CALLEE);
	if (!is_box(cls, m, B_GLOBAL))
		return JW_NONE;
	id = BX(m, cls)->aux;
	for (i = 0; i < sizeof mods / sizeof mods[0]; i++) {
		if (strcmp(g_mod(m, id), mods[i]) != 0)
			continue;
		if (strcmp(g_qual(m, id), "NumpyArrayWrapper") == 0)
			return JW_ARRAY;
		if (strcmp(g_qual(m, id), "NDArrayWrapper") == 0)
			return JW_ND;
		if (strcmp(g_qual(m, id), "ZNDArrayWrapper") == 0)
			return JW_ZND;
	}
	return JW_NONE;
}

/* Attribute key of a BUILD state: a dict, or (dict, slots dict).  The last
 * occurrence wins, as setattr does.  *incomplete is set when a dict has
 * more items than the VM keeps (then a missing key proves nothing). */
static pv state_get(vm *m, pv state, const char *key, int *found, int *incomplete)
{
	pv ds[2], v = PV(T_EMPTY, 0);
	unsigned j, i;
	char k[64];
	*found = 0;
	ds[0] = state;
	ds[1] = PV(T_EMPTY, 0);
	if (is_box(state, m, B_TUPLE) && BX(m, state)->count == 2) {
		ds[0] = item(m, state, 0);
		ds[1] = item(m, state, 1);
	}
	for (j = 0; j < 2; j++) {
		box *b;
		if (!is_box(ds[j], m, B_DICT))
			continue;
		b = BX(m, ds[j]);
		if (b->count > b->n)
			*incomplete = 1;
		for (i = 0; i + 1 < b->n; i += 2) {
			if (str_text(m, item(m, ds[j], i), k, sizeof k, NULL) && strcmp(k, key) == 0) {
				v = item(m, ds[j], i + 1);
				*found = 1;
			}
		}
	}
	return v;
}

/* Item size and object-ness of a pickled numpy.dtype: numpy.dtype(typestr,
 * False, True), then BUILD with (version, byteorder, subarray, names,
 * fields, elsize, alignment, flags[, metadata]).  elsize is -1 unless the
 * type is flexible or structured; flags bit 0 is NPY_ITEM_HASOBJECT.  Field
 * and subarray dtypes are looked at too (numpy recomputes the flags from
 * them).  depth bounds the walk. */
static int jl_dtype(vm *m, pv dt, uint64_t *isz, int *obj, int depth, char *why, size_t wn)
{
	char ts[40];
	pv args, st;
	int64_t elsize = -1;
	uint64_t dg = 0;
	size_t i;
	*isz = 0;
	if (depth > 4) {
		snprintf(why, wn, "its dtype is nested too deeply");
		return 0;
	}
	if (!is_dtype_call(m, dt)) {
		snprintf(why, wn, "its dtype is not a numpy.dtype");
		return 0;
	}
	args = item(m, dt, CI_ARGS);
	if (!str_text(m, item(m, args, 0), ts, sizeof ts, NULL) || !ts[0]) {
		snprintf(why, wn, "its numpy.dtype has no type string");
		return 0;
	}
	st = item(m, dt, CI_FUNC);
	if (is_box(st, m, B_TUPLE)) {
		pv e = item(m, st, 5), f = item(m, st, 7), fields = item(m, st, 4), sub = item(m, st, 2);
		if (TAG(e) == T_INT)
			elsize = pv_int(e);
		if (TAG(f) == T_INT && (pv_int(f) & 1))
			*obj = 1;
		if (is_box(fields, m, B_DICT)) {
			box *b = BX(m, fields);
			if (b->count > b->n && !*obj) {
				snprintf(why, wn, "its structured dtype has more fields than laocoon keeps");
				return 0;
			}
			for (i = 1; i < b->n; i += 2) {
				uint64_t ignored;
				if (!jl_dtype(m, item(m, item(m, fields, (unsigned)i), 0), &ignored, obj, depth + 1, why,
					      wn))
					return 0;
			}
		}
		if (is_box(sub, m, B_TUPLE)) {
			uint64_t ignored;
			if (!jl_dtype(m, item(m, sub, 0), &ignored, obj, depth + 1, why, wn))
				return 0;
		}
	}
	for (i = 1; ts[i]; i++) {
		if (ts[i] < '0' || ts[i] > '9' || dg > 1000000000000ull) {
			snprintf(why, wn, "its dtype string '%s' is not understood", ts);
			return 0;
		}
		dg = dg * 10 + (uint64_t)(ts[i] - '0');
	}
	if (ts[0] == 'O')
		*obj = 1;
	if (elsize >= 0) {
		*isz = (uint64_t)elsize;
		return 1;
	}
	switch (ts[0]) {
	case 'b': case 'i': case 'u': case 'f': case 'c': case 'M': case 'm': case 'O': case 'S': case 'V':
		*isz = dg;
		return 1;
	case 'U':
		*isz = dg * 4;
		return 1;
	default:
		snprintf(why, wn, "its dtype string '%s' is not understood", ts);
		return 0;
	}
}

/* Scans the nested pickle.load of an object array: a plain pickle read by
 * pickle.load (not by joblib's unpickler, so no wrapper semantics inside).
 * One level: lc_pickle_scan_one does not apply joblib semantics, and
 * lc_enter_member enforces max_depth.  Returns its end, 0 on error. */
static size_t jl_nested(vm *m, size_t at)
{
	char name[64];
	lc_pickle_info info;
	lc_err e;
	size_t end;
	snprintf(name, sizeof name, "<joblib object array@%zu>", at);
	e = lc_enter_member(m->ctx, name, "pickle", m->len - at, at);
	if (e != LC_OK) {
		m->err = e;
		m->err_recorded = 1;
		return 0;
	}
	e = lc_pickle_scan_one(m->ctx, m->data, m->len, at, &info);
	end = info.end;
	lc_pickle_info_free(&info);
	lc_leave_member(m->ctx);
	if (e != LC_OK) {
		m->err = e;
		m->err_off = at;
		m->err_recorded = 1; /* the nested scan recorded it */
		snprintf(m->errmsg, sizeof m->errmsg, "nested object-array pickle at offset %zu failed", at);
		return 0;
	}
	return end;
}

static void jl_unlocatable(vm *m, uint64_t off)
{
	vm_err(m, LC_E_UNSUPPORTED, off,
	       "joblib NumpyArrayWrapper at offset %llu: its state has more attributes than laocoon keeps; "
	       "the array data that follows cannot be located",
	       (unsigned long long)off);
}

/* After BUILD on a joblib wrapper: skips (or scans) the array data that
 * joblib.load reads there.  *posp is the offset after the BUILD opcode.
 * Returns 0 with m->err set when the stream cannot go on. */
static int joblib_build(vm *m, pv inst, pv state, uint64_t off, size_t *posp)
{
	int kind = joblib_wrapper(m, inst), found, incomplete = 0, obj = 0, padding;
	char why[160], fname[300];
	uint64_t isz, count = 1, size;
	pv shape, v;
	size_t start, p;
	unsigned i;
	if (kind == JW_NONE)
		return 1;
	if (kind == JW_ND || kind == JW_ZND) {
		int outside;
		v = state_get(m, state, "filename", &found, &incomplete);
		if (!found || !str_text(m, v, fname, sizeof fname, NULL))
			snprintf(fname, sizeof fname, "(unnamed)");
		/* os.path.join(dirname, filename): an absolute name or '..'
		 * reaches outside the directory of the pickle */
		outside = fname[0] == '/' || fname[0] == '\\' || strstr(fname, "..") != NULL ||
			  (fname[0] && fname[1] == ':');
		lc_finding_add(m->ctx, outside ? LC_SEV_MEDIUM : LC_SEV_LOW, "joblib.external-array", off, fname,
			       fname,
			       "joblib %s at offset %llu loads its array data from the separate file %s%s (joblib "
			       "< 0.10 layout; joblib.load reads that file with numpy.load(allow_pickle=True), so it "
			       "must be scanned too)",
			       kind == JW_ND ? "NDArrayWrapper" : "ZNDArrayWrapper", (unsigned long long)off, fname,
			       outside ? ", outside the pickle's directory" : "");
		return 1;
	}
	/* NumpyArrayWrapper: shape, dtype, numpy_array_alignment_bytes */
	shape = state_get(m, state, "shape", &found, &incomplete);
	if (found && (is_box(shape, m, B_TUPLE) || is_box(shape, m, B_LIST)) &&
	    BX(m, shape)->count == BX(m, shape)->n) {
		for (i = 0; i < BX(m, shape)->n; i++) {
			pv d = item(m, shape, i);
			int64_t x = TAG(d) == T_INT ? pv_int(d) : TAG(d) == T_TRUE ? 1 : TAG(d) == T_FALSE ? 0 : -1;
			if (x < 0 || __builtin_mul_overflow(count, (uint64_t)x, &count)) {
				found = 0;
				break;
			}
		}
	} else if (found) {
		found = 0;
	} else if (incomplete) {
		jl_unlocatable(m, off);
		return 0;
	}
	if (!found) {
		vm_err(m, LC_E_MALFORMED, off,
		       "joblib NumpyArrayWrapper at offset %llu: its shape is not a tuple of non-negative ints that "
		       "fits 64 bits (the array data that follows cannot be located)",
		       (unsigned long long)off);
		return 0;
	}
	v = state_get(m, state, "dtype", &found, &incomplete);
	if (!found && incomplete) {
		jl_unlocatable(m, off);
		return 0;
	}
	if (!found || !jl_dtype(m, v, &isz, &obj, 0, why, sizeof why)) {
		if (!found)
			snprintf(why, sizeof why, "it has no dtype");
		vm_err(m, LC_E_MALFORMED, off,
		       "joblib NumpyArrayWrapper at offset %llu: %s (the array data that follows cannot be located)",
		       (unsigned long long)off, why);
		return 0;
	}
	v = state_get(m, state, "numpy_array_alignment_bytes", &padding, &incomplete);
	if (padding && TAG(v) == T_NONE)
		padding = 0;
	if (incomplete && !padding && !obj) {
		jl_unlocatable(m, off);
		return 0;
	}
	/* inside a frame, the unpickler reads the array after the frame */
	start = *posp;
	if (m->frame_end > *posp) {
		if (m->frame_gap > m->len - m->frame_end) {
			vm_err(m, LC_E_TRUNCATED, off, "joblib array data of the wrapper at offset %llu lies beyond the end",
			       (unsigned long long)off);
			return 0;
		}
		start = m->frame_end + m->frame_gap;
	}
	p = start;
	if (obj) {
		p = jl_nested(m, start);
		if (!p)
			return 0;
	} else {
		if (padding) {
			if (p >= m->len) {
				vm_err(m, LC_E_TRUNCATED, off,
				       "joblib NumpyArrayWrapper at offset %llu: EOF reading the alignment padding byte",
				       (unsigned long long)off);
				return 0;
			}
			if (m->data[p] > m->len - p - 1) {
				vm_err(m, LC_E_TRUNCATED, off,
				       "joblib NumpyArrayWrapper at offset %llu: EOF reading %u bytes of alignment "
				       "padding",
				       (unsigned long long)off, m->data[p]);
				return 0;
			}
			p += 1 + (size_t)m->data[p];
		}
		if (__builtin_mul_overflow(count, isz, &size) || size > m->len - p) {
			vm_err(m, LC_E_TRUNCATED, off,
			       "joblib NumpyArrayWrapper at offset %llu: EOF reading array data, expected %llu x %llu "
			       "bytes, %llu left (data was truncated)",
			       (unsigned long long)off, (unsigned long long)count, (unsigned long long)isz,
			       (unsigned long long)(m->len - p));
			return 0;
		}
		p += (size_t)size;
		/* pickle.load (not joblib.load) reads these bytes as opcodes:
		 * a pickle hidden there (in the padding, say) is judged too */
		if (p > start && lc_pickle_probe(m->data, p, start) >= LC_BID_STRONG) {
			char name[64];
			lc_finding_add(m->ctx, LC_SEV_MEDIUM, "joblib.array-data-pickle", start, NULL, NULL,
				       "the array data after the joblib NumpyArrayWrapper at offset %llu parses as a "
				       "pickle: pickle.load would run it where joblib.load skips it",
				       (unsigned long long)off);
			snprintf(name, sizeof name, "<joblib array data@%zu>", start);
			lc_scan_child_as(m->ctx, name, "pickle", m->data + start, p - start, start);
		}
	}
	if (start == *posp)
		*posp = p;
	else
		m->frame_gap += p - start;
	return 1;
}

/* ---- stream end --------------------------------------------------------- */

static void report_imports(vm *m)
{
	size_t i;
	for (i = 0; i < m->nrefd; i++) {
		uint32_t id = m->refd[i];
		gname *g = &m->names[id];
		int used = g->sflags & G_USED;
		g->sflags = 0;
		if (used || !m->ctx)
			continue;
		{
			const lc_pickle_verdict *v = g_verdict(m, id);
			char full[600], raw[600];
			g_full(m, id, full, sizeof full);
			raw_note(m, id, raw, sizeof raw);
			if (v->verdict == LC_PV_DANGEROUS)
				lc_finding_add(m->ctx, LC_SEV_CRITICAL, "pickle.import.dangerous", g->first_off, full,
					       full,
					       "pickle imports dangerous %s%s (%s) at offset %llu; loading the pickle "
					       "hands it out even if nothing calls it",
					       full, raw, v->reason, (unsigned long long)g->first_off);
			else if (v->verdict == LC_PV_UNKNOWN &&
				 /* classes of inert libraries handed to their own
				  * rebuild helpers (sklearn's newObj(EuclideanDistance)) */
				 !lc_pickle_reconstructable(g_mod(m, id), g_qual(m, id), m->cflags))
				lc_finding_add(m->ctx, LC_SEV_LOW, "pickle.import.unknown", g->first_off, full, full,
					       "pickle imports non-allowlisted %s%s at offset %llu (importing runs "
					       "the module's top-level code)",
					       full, raw, (unsigned long long)g->first_off);
		}
	}
	m->nrefd = 0;
}

static void stream_reset(vm *m)
{
	size_t i;
	for (i = 0; i < m->sp; i++)
		release(m, m->stack[i]);
	m->sp = 0;
	m->nmarks = 0;
	/* only what this stream used: cost follows the stream, not the
	 * largest memo seen in the file */
	for (i = 0; i < m->memo_hi; i++) {
		release(m, m->memo[i]);
		m->memo[i] = PV(T_EMPTY, 0);
	}
	m->memo_hi = 0;
	for (i = 0; i < m->scap2; i++)
		if (m->skeys[i] && m->skeys[i] != UINT64_MAX)
			release(m, m->svals[i]);
	free(m->skeys);
	free(m->svals);
	m->skeys = NULL;
	m->svals = NULL;
	m->scap2 = 0;
	m->sn = 0;
	m->memo_count = 0;
	m->proto = 0;
	m->err = LC_OK;
	m->err_off = 0;
	m->err_recorded = 0;
	m->errmsg[0] = '\0';
	m->stream_ops = 0;
	m->stream_globals = 0;
	m->stop_reached = 0;
	m->soft_err = LC_OK;
	m->soft_msg[0] = '\0';
	m->frame_end = 0;
	m->frame_gap = 0;
}

/* ---- the VM loop --------------------------------------------------------- */

static const char *op_name(uint8_t op)
{
	switch (op) {
	case '(': return "MARK";
	case '.': return "STOP";
	case '0': return "POP";
	case '1': return "POP_MARK";
	case '2': return "DUP";
	case 'F': return "FLOAT";
	case 'I': return "INT";
	case 'J': return "BININT";
	case 'K': return "BININT1";
	case 'L': return "LONG";
	case 'M': return "BININT2";
	case 'N': return "NONE";
	case 'P': return "PERSID";
	case 'Q': return "BINPERSID";
	case 'R': return "REDUCE";
	case 'S': return "STRING";
	case 'T': return "BINSTRING";
	case 'U': return "SHORT_BINSTRING";
	case 'V': return "UNICODE";
	case 'X': return "BINUNICODE";
	case 'a': return "APPEND";
	case 'b': return "BUILD";
	case 'c': return "GLOBAL";
	case 'd': return "DICT";
	case '}': return "EMPTY_DICT";
	case 'e': return "APPENDS";
	case 'g': return "GET";
	case 'h': return "BINGET";
	case 'i': return "INST";
	case 'j': return "LONG_BINGET";
	case 'l': return "LIST";
	case ']': return "EMPTY_LIST";
	case 'o': return "OBJ";
	case 'p': return "PUT";
	case 'q': return "BINPUT";
	case 'r': return "LONG_BINPUT";
	case 's': return "SETITEM";
	case 't': return "TUPLE";
	case ')': return "EMPTY_TUPLE";
	case 'u': return "SETITEMS";
	case 'G': return "BINFLOAT";
	case 'B': return "BINBYTES";
	case 'C': return "SHORT_BINBYTES";
	case 0x80: return "PROTO";
	case 0x81: return "NEWOBJ";
	case 0x82: return "EXT1";
	case 0x83: return "EXT2";
	case 0x84: return "EXT4";
	case 0x85: return "TUPLE1";
	case 0x86: return "TUPLE2";
	case 0x87: return "TUPLE3";
	case 0x88: return "NEWTRUE";
	case 0x89: return "NEWFALSE";
	case 0x8a: return "LONG1";
	case 0x8b: return "LONG4";
	case 0x8c: return "SHORT_BINUNICODE";
	case 0x8d: return "BINUNICODE8";
	case 0x8e: return "BINBYTES8";
	case 0x8f: return "EMPTY_SET";
	case 0x90: return "ADDITEMS";
	case 0x91: return "FROZENSET";
	case 0x92: return "NEWOBJ_EX";
	case 0x93: return "STACK_GLOBAL";
	case 0x94: return "MEMOIZE";
	case 0x95: return "FRAME";
	case 0x96: return "BYTEARRAY8";
	case 0x97: return "NEXT_BUFFER";
	case 0x98: return "READONLY_BUFFER";
	}
	return NULL;
}

/* Parses an optionally signed decimal (or 0x/0o/0b with base0) integer line
 * body.  Returns 1 and sets *val and *fits, 0 if malformed. */
static int parse_int_text(const uint8_t *s, size_t n, int base0, int allow_L, int64_t *val, int *fits)
{
	size_t i = 0, digits = 0;
	int neg = 0, base = 10;
	uint64_t acc = 0;
	*fits = 1;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\f' ||
			 s[n - 1] == '\v'))
		n--;
	if (allow_L && n > i && s[n - 1] == 'L')
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (base0 && i + 1 < n && s[i] == '0') {
		uint8_t p = (uint8_t)(s[i + 1] | 0x20);
		if (p == 'x')
			base = 16;
		else if (p == 'o')
			base = 8;
		else if (p == 'b')
			base = 2;
		if (base != 10)
			i += 2;
	}
	for (; i < n; i++) {
		int d;
		if (s[i] == '_' && digits > 0 && i + 1 < n && s[i + 1] != '_')
			continue;
		d = hexval(s[i]);
		if (d < 0 || d >= base)
			return 0;
		digits++;
		if (acc > (UINT64_C(1) << 55) / (uint64_t)base)
			*fits = 0;
		else
			acc = acc * (uint64_t)base + (uint64_t)d;
		if (acc > (UINT64_C(1) << 55))
			*fits = 0;
	}
	if (!digits)
		return 0;
	if (*fits) {
		if (!neg && acc > (uint64_t)INT_MAX56)
			*fits = 0;
		*val = neg ? -(int64_t)acc : (int64_t)acc;
	}
	return 1;
}

/* Python float() syntax, enough to reject what CPython rejects. */
static int float_text_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, d = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (n - i >= 3) {
		char w[9] = {0};
		size_t k;
		for (k = 0; k < 8 && i + k < n; k++)
			w[k] = (char)(s[i + k] | 0x20);
		if ((n - i == 3 && (!strcmp(w, "inf") || !strcmp(w, "nan"))) || (n - i == 8 && !strcmp(w, "infinity")))
			return 1;
	}
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, d++;
	}
	if (!d)
		return 0;
	if (i < n && (s[i] | 0x20) == 'e') {
		size_t e = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, e++;
		if (!e)
			return 0;
	}
	return i == n;
}

static int is_ident_name(const uint8_t *s, size_t n)
{
	size_t i;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '<' || c == '>'))
			return 0;
	}
	return 1;
}

/* Executes one pickle from pos.  On LC_OK *end is just past STOP.  Errors
 * are left in m->err/m->errmsg (limits are already recorded in the ctx). */
static lc_err vm_run(vm *m, size_t pos, size_t *end, int *plausible)
{
	const uint8_t *d = m->data;
	const size_t len = m->len;
	m->stream_start = pos;
	if (plausible)
		*plausible = 0;

#define NEED(n)                                                                                              \
	do {                                                                                                 \
		if ((uint64_t)(n) > (uint64_t)(len - pos)) {                                                 \
			if ((uint64_t)(n) <= (uint64_t)(m->real_len - pos))                                  \
				m->window_end = 1;                                                           \
			vm_err(m, LC_E_TRUNCATED, off,                                                       \
			       "%s at offset %llu needs %llu bytes, %llu left (pickle data was truncated)",  \
			       op_name(op), (unsigned long long)off, (unsigned long long)(n),                \
			       (unsigned long long)(len - pos));                                             \
			goto out;                                                                            \
		}                                                                                            \
	} while (0)
#define LINE(p_, n_)                                                                                         \
	do {                                                                                                 \
		const uint8_t *nl_ = memchr(d + pos, '\n', len - pos);                                      \
		if (!nl_) {                                                                                  \
			if (m->real_len > len)                                                               \
				m->window_end = 1;                                                           \
			vm_err(m, LC_E_TRUNCATED, off,                                                       \
			       "%s at offset %llu: no newline before the end (pickle data was truncated)",   \
			       op_name(op), (unsigned long long)off);                                        \
			goto out;                                                                            \
		}                                                                                            \
		p_ = d + pos;                                                                                \
		n_ = (size_t)(nl_ - (d + pos));                                                              \
		pos += n_ + 1;                                                                               \
	} while (0)
#define PUSH(v)                                                                                              \
	do {                                                                                                 \
		if (!push(m, (v), off))                                                                      \
			goto out;                                                                            \
	} while (0)
#define POP(v)                                                                                               \
	do {                                                                                                 \
		if (!pop(m, &(v), off, op_name(op)))                                                         \
			goto out;                                                                            \
	} while (0)
#define MARKER(x)                                                                                            \
	do {                                                                                                 \
		if (!marker(m, &(x), off, op_name(op)))                                                      \
			goto out;                                                                            \
	} while (0)
#define FAIL(e, ...)                                                                                         \
	do {                                                                                                 \
		vm_err(m, e, off, __VA_ARGS__);                                                              \
		goto out;                                                                                    \
	} while (0)

	for (;;) {
		uint8_t op;
		size_t off;
		if (m->frame_gap && pos >= m->frame_end) {
			/* the frame is exhausted: the next read comes from the file,
			 * after the joblib array data read past the frame */
			if (pos > m->frame_end) {
				vm_err(m, LC_E_MALFORMED, pos,
				       "opcode at offset %llu runs past the end of its frame (pickle exhausted before "
				       "end of frame)",
				       (unsigned long long)m->frame_end);
				goto out;
			}
			pos = m->frame_end + m->frame_gap;
			m->frame_end = 0;
			m->frame_gap = 0;
		}
		off = pos;
		if (pos >= len) {
			if (pos == m->stream_start)
				vm_err(m, LC_E_TRUNCATED, pos, "Ran out of input (empty pickle at offset %llu)",
				       (unsigned long long)pos);
			else
				vm_err(m, LC_E_TRUNCATED, pos,
				       "pickle data was truncated: no STOP opcode before the end (offset %llu)",
				       (unsigned long long)pos);
			goto out;
		}
		if (m->ctx) {
			if (++m->ctx->pickle_ops > m->max_ops) {
				vm_limit(m, LC_LIMIT_pickle_max_ops, off, "pickle opcodes");
				goto out;
			}
			/* Every 64k opcodes, hand the pages behind us back to the
			 * kernel (a no-op unless the view is the file's mapping). */
			if ((m->ctx->pickle_ops & 0xffff) == 0)
				lc_release_before(m->ctx, d + pos);
		} else if (++m->probe_ops > m->max_ops) {
			vm_limit(m, LC_LIMIT_pickle_max_ops, off, "probe opcodes");
			goto out;
		}
		if (m->err)
			goto out;
		op = d[pos++];
		switch (op) {
		case '(': /* MARK */
			if ((uint64_t)m->sp + m->nmarks + 1 > m->max_stack) {
				vm_limit(m, LC_LIMIT_pickle_max_stack, off, "pickle stack depth");
				goto out;
			}
			if (m->nmarks >= m->mcap) {
				size_t *p = grow(m, m->marks, &m->mcap, m->nmarks + 1, sizeof(size_t));
				if (!p)
					goto out;
				m->marks = p;
			}
			m->marks[m->nmarks++] = m->sp;
			break;
		case '.': { /* STOP */
			pv v;
			POP(v);
			*end = pos;
			m->stop_reached = 1;
			m->stream_ops++;
			if (m->sd)
				sd_collect(m, v);
			if (m->info) {
				lc_pickle_info *in = m->info;
				in->end = pos;
				in->calls = m->calls;
				in->top = LC_PTOP_OTHER;
				if (TAG(v) == T_INT) {
					in->top = LC_PTOP_INT;
					in->top_int = pv_int(v);
				} else if (TAG(v) == T_BIGINT && (d[DATA(v)] == 0x8a || d[DATA(v)] == 0x8b)) {
					size_t o = (size_t)DATA(v);
					in->top = LC_PTOP_BIGINT;
					if (d[o] == 0x8a) {
						in->top_bytes_len = d[o + 1];
						in->top_bytes = d + o + 2;
					} else {
						in->top_bytes_len = lc_le32(d + o + 1);
						in->top_bytes = d + o + 5;
					}
				} else if (is_box(v, m, B_LIST) || is_box(v, m, B_TUPLE)) {
					box *b = BX(m, v);
					in->top = b->kind == B_TUPLE ? LC_PTOP_TUPLE : LC_PTOP_OTHER;
					if (!(b->flags & BF_NONSTR)) {
						size_t n = b->aux ? m->cols[b->aux - 1].n : 0, i;
						const pv *src = b->aux ? m->cols[b->aux - 1].v : NULL;
						if (!b->aux && b->count <= b->n) {
							n = b->n;
							src = &m->items[b->items];
						}
						if (n == b->count) {
							in->top_strings = calloc(n ? n : 1, sizeof(char *));
							if (in->top_strings) {
								in->top = LC_PTOP_STRLIST;
								for (i = 0; i < n; i++) {
									char t[512];
									size_t tl;
									str_text(m, src[i], t, sizeof t, &tl);
									in->top_strings[i] = lc_strndup(t, tl);
									in->ntop_strings = i + 1;
								}
							}
						}
					}
				}
			}
			release(m, v);
			if (m->soft_err) {
				m->err = m->soft_err;
				m->err_off = m->soft_off;
				memcpy(m->errmsg, m->soft_msg, sizeof m->errmsg);
				return m->err;
			}
			return LC_OK;
		}
		case '0': /* POP */
			if (m->nmarks && m->marks[m->nmarks - 1] == m->sp) {
				m->nmarks--; /* CPython pops a mark sitting on top */
			} else {
				pv v;
				POP(v);
				release(m, v);
			}
			break;
		case '1': { /* POP_MARK */
			size_t x;
			MARKER(x);
			while (m->sp > x)
				release(m, m->stack[--m->sp]);
			break;
		}
		case '2': /* DUP */
			if (m->sp <= fence(m)) {
				underflow(m, off, "DUP");
				goto out;
			}
			retain(m, m->stack[m->sp - 1]);
			PUSH(m->stack[m->sp - 1]);
			break;
		case 'F': { /* FLOAT */
			const uint8_t *s;
			size_t n;
			LINE(s, n);
			if (!float_text_ok(s, n))
				FAIL(LC_E_MALFORMED, "FLOAT at offset %llu: could not convert string to float",
				     (unsigned long long)off);
			PUSH(PV(T_FLOAT, off));
			break;
		}
		case 'G': /* BINFLOAT */
			NEED(8);
			pos += 8;
			PUSH(PV(T_FLOAT, off));
			break;
		case 'I': { /* INT */
			const uint8_t *s;
			size_t n;
			int64_t v = 0;
			int fits;
			LINE(s, n);
			if (n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
				PUSH(PV(s[1] == '1' ? T_TRUE : T_FALSE, 0));
				break;
			}
			if (!parse_int_text(s, n, 1, 0, &v, &fits))
				FAIL(LC_E_MALFORMED, "INT at offset %llu: could not convert string to int",
				     (unsigned long long)off);
			PUSH(fits ? PV(T_INT, (uint64_t)v) : PV(T_BIGINT, off));
			break;
		}
		case 'L': { /* LONG */
			const uint8_t *s;
			size_t n;
			int64_t v = 0;
			int fits;
			LINE(s, n);
			if (!parse_int_text(s, n, 0, 1, &v, &fits))
				FAIL(LC_E_MALFORMED, "LONG at offset %llu: invalid literal for int() with base 10",
				     (unsigned long long)off);
			PUSH(fits ? PV(T_INT, (uint64_t)v) : PV(T_BIGINT, off));
			break;
		}
		case 'J': /* BININT */
			NEED(4);
			PUSH(PV(T_INT, (uint64_t)(int64_t)(int32_t)lc_le32(d + pos)));
			pos += 4;
			break;
		case 'K': /* BININT1 */
			NEED(1);
			PUSH(PV(T_INT, d[pos]));
			pos += 1;
			break;
		case 'M': /* BININT2 */
			NEED(2);
			PUSH(PV(T_INT, lc_le16(d + pos)));
			pos += 2;
			break;
		case 0x8a: /* LONG1 */
		case 0x8b: { /* LONG4 */
			uint64_t n;
			if (op == 0x8a) {
				NEED(1);
				n = d[pos++];
			} else {
				int32_t sn;
				NEED(4);
				sn = (int32_t)lc_le32(d + pos);
				pos += 4;
				if (sn < 0)
					FAIL(LC_E_MALFORMED, "LONG4 at offset %llu: LONG pickle has negative byte count",
					     (unsigned long long)off);
				n = (uint64_t)sn;
			}
			NEED(n);
			if (n <= 6) {
				/* fits the 56-bit immediate */
				int64_t v = 0;
				size_t i;
				for (i = 0; i < n; i++)
					v |= (int64_t)d[pos + i] << (8 * i);
				if (n && (d[pos + n - 1] & 0x80))
					v -= (int64_t)1 << (8 * n);
				PUSH(PV(T_INT, (uint64_t)v));
			} else {
				PUSH(PV(T_BIGINT, off));
			}
			pos += (size_t)n;
			break;
		}
		case 'N':
			PUSH(PV(T_NONE, 0));
			break;
		case 0x88:
			PUSH(PV(T_TRUE, 0));
			break;
		case 0x89:
			PUSH(PV(T_FALSE, 0));
			break;
		case 'S': { /* STRING */
			const uint8_t *s;
			size_t n;
			LINE(s, n);
			/* CPython strips the newline, then requires matching quotes */
			if (!(n >= 2 && s[0] == s[n - 1] && (s[0] == '\'' || s[0] == '"')))
				FAIL(LC_E_MALFORMED, "STRING at offset %llu: the STRING opcode argument must be quoted",
				     (unsigned long long)off);
			PUSH(PV(T_STR, off));
			break;
		}
		case 'V': { /* UNICODE (raw-unicode-escape) */
			const uint8_t *s;
			size_t n;
			LINE(s, n);
			(void)s;
			PUSH(PV(T_STR, off));
			break;
		}
		case 'T':   /* BINSTRING */
		case 'X':   /* BINUNICODE */
		case 'B': { /* BINBYTES */
			uint64_t n;
			NEED(4);
			n = lc_le32(d + pos);
			if (op == 'T' && (int32_t)n < 0)
				FAIL(LC_E_MALFORMED, "BINSTRING at offset %llu: BINSTRING pickle has negative byte count",
				     (unsigned long long)off);
			pos += 4;
			NEED(n);
			if (op == 'X' && (n <= 4096 || !m->ctx) && !utf8_valid(d + pos, (size_t)n))
				FAIL(LC_E_MALFORMED, "BINUNICODE at offset %llu: 'utf-8' codec can't decode the string",
				     (unsigned long long)off);
			pos += (size_t)n;
			PUSH(PV(op == 'B' ? T_BYTES : T_STR, off));
			break;
		}
		case 'U':    /* SHORT_BINSTRING */
		case 0x8c:   /* SHORT_BINUNICODE */
		case 'C': {  /* SHORT_BINBYTES */
			size_t n;
			NEED(1);
			n = d[pos++];
			NEED(n);
			if (op == 0x8c && !utf8_valid(d + pos, n))
				FAIL(LC_E_MALFORMED,
				     "SHORT_BINUNICODE at offset %llu: 'utf-8' codec can't decode the string",
				     (unsigned long long)off);
			pos += n;
			PUSH(PV(op == 'C' ? T_BYTES : T_STR, off));
			break;
		}
		case 0x8d:   /* BINUNICODE8 */
		case 0x8e:   /* BINBYTES8 */
		case 0x96: { /* BYTEARRAY8 */
			uint64_t n;
			NEED(8);
			n = lc_le64(d + pos);
			pos += 8;
			if (n > (uint64_t)INT64_MAX)
				FAIL(LC_E_MALFORMED, "%s at offset %llu exceeds system's maximum size", op_name(op),
				     (unsigned long long)off);
			NEED(n);
			if (op == 0x8d && (n <= 4096 || !m->ctx) && !utf8_valid(d + pos, (size_t)n))
				FAIL(LC_E_MALFORMED, "BINUNICODE8 at offset %llu: 'utf-8' codec can't decode the string",
				     (unsigned long long)off);
			pos += (size_t)n;
			PUSH(PV(op == 0x8d ? T_STR : T_BYTES, off));
			break;
		}
		case ')': { /* EMPTY_TUPLE */
			uint32_t bi = box_new(m, B_TUPLE, off);
			if (!bi)
				goto out;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 't':    /* TUPLE */
		case 'l':    /* LIST */
		case 0x91: { /* FROZENSET */
			size_t x, i;
			uint32_t bi;
			int kind = op == 't' ? B_TUPLE : op == 'l' ? B_LIST : B_FROZENSET;
			MARKER(x);
			bi = box_new(m, kind, off);
			if (!bi)
				goto out;
			for (i = x; i < m->sp; i++) {
				if (kind != B_FROZENSET)
					col_add(m, bi, m->stack[i]);
				box_add(m, bi, m->stack[i], kind == B_TUPLE ? KEEP_TUPLE : KEEP_LIST);
			}
			m->sp = x;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 0x85:   /* TUPLE1 */
		case 0x86:   /* TUPLE2 */
		case 0x87: { /* TUPLE3 */
			size_t n = (size_t)(op - 0x84), i;
			uint32_t bi;
			if (m->sp < n || m->sp - n < fence(m)) {
				underflow(m, off, op_name(op));
				goto out;
			}
			bi = box_new(m, B_TUPLE, off);
			if (!bi)
				goto out;
			for (i = m->sp - n; i < m->sp; i++) {
				col_add(m, bi, m->stack[i]);
				box_add(m, bi, m->stack[i], KEEP_TUPLE);
			}
			m->sp -= n;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case ']':    /* EMPTY_LIST */
		case '}':    /* EMPTY_DICT */
		case 0x8f: { /* EMPTY_SET */
			uint32_t bi = box_new(m, op == ']' ? B_LIST : op == '}' ? B_DICT : B_SET, off);
			if (!bi)
				goto out;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 'd': { /* DICT */
			size_t x, i;
			uint32_t bi;
			MARKER(x);
			if ((m->sp - x) % 2)
				FAIL(LC_E_MALFORMED, "DICT at offset %llu: odd number of items for DICT",
				     (unsigned long long)off);
			bi = box_new(m, B_DICT, off);
			if (!bi)
				goto out;
			if (m->sd)
				sd_pairs(m, bi, x);
			for (i = x; i < m->sp; i++)
				box_add(m, bi, m->stack[i], KEEP_DICT);
			m->sp = x;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 'a': /* APPEND */
			if (m->sp < 1 || m->sp - 1 <= fence(m)) {
				underflow(m, off, "APPEND");
				goto out;
			}
			fill_target(m, m->sp - 1, off, "append", 0);
			break;
		case 'e':    /* APPENDS */
		case 0x90: { /* ADDITEMS */
			size_t x;
			MARKER(x);
			if (x > m->sp || x == 0) {
				underflow(m, off, op_name(op));
				goto out;
			}
			if (x < m->sp)
				fill_target(m, x, off, op == 'e' ? "extend" : "add", 0);
			break;
		}
		case 's':   /* SETITEM */
		case 'u': { /* SETITEMS */
			size_t x;
			if (op == 's') {
				if (m->sp < 3) {
					underflow(m, off, "SETITEM");
					goto out;
				}
				x = m->sp - 2;
			} else {
				MARKER(x);
				if (x > m->sp || x == 0) {
					underflow(m, off, "SETITEMS");
					goto out;
				}
			}
			if (x == m->sp)
				break;
			if ((m->sp - x) % 2)
				FAIL(LC_E_MALFORMED, "%s at offset %llu: odd number of items for SETITEMS",
				     op_name(op), (unsigned long long)off);
			fill_target(m, x, off, "__setitem__", 1);
			break;
		}
		case 'g':   /* GET */
		case 'h':   /* BINGET */
		case 'j': { /* LONG_BINGET */
			uint64_t idx;
			pv *s;
			if (op == 'g') {
				const uint8_t *t;
				size_t n;
				int64_t v = 0;
				int fits;
				LINE(t, n);
				if (!parse_int_text(t, n, 0, 0, &v, &fits))
					FAIL(LC_E_MALFORMED, "GET at offset %llu: invalid memo key",
					     (unsigned long long)off);
				if (!fits || v < 0)
					FAIL(LC_E_MALFORMED, "GET at offset %llu: Memo value not found at index %lld",
					     (unsigned long long)off, (long long)v);
				idx = (uint64_t)v;
			} else if (op == 'h') {
				NEED(1);
				idx = d[pos++];
			} else {
				NEED(4);
				idx = lc_le32(d + pos);
				pos += 4;
			}
			s = memo_slot(m, idx, 0, off);
			if (!s || TAG(*s) == T_EMPTY)
				FAIL(LC_E_MALFORMED, "%s at offset %llu: Memo value not found at index %llu",
				     op_name(op), (unsigned long long)off, (unsigned long long)idx);
			retain(m, *s);
			PUSH(*s);
			break;
		}
		case 'p':    /* PUT */
		case 'q':    /* BINPUT */
		case 'r':    /* LONG_BINPUT */
		case 0x94: { /* MEMOIZE */
			uint64_t idx;
			if (op == 'p') {
				const uint8_t *t;
				size_t n;
				int64_t v = 0;
				int fits;
				LINE(t, n);
				if (!parse_int_text(t, n, 0, 0, &v, &fits))
					FAIL(LC_E_MALFORMED, "PUT at offset %llu: invalid memo key",
					     (unsigned long long)off);
				if (v < 0)
					FAIL(LC_E_MALFORMED, "PUT at offset %llu: negative PUT argument",
					     (unsigned long long)off);
				if (!fits)
					FAIL(LC_E_MALFORMED, "PUT at offset %llu: memo index too large",
					     (unsigned long long)off);
				idx = (uint64_t)v;
			} else if (op == 'q') {
				NEED(1);
				idx = d[pos++];
			} else if (op == 'r') {
				NEED(4);
				idx = lc_le32(d + pos);
				pos += 4;
			} else {
				idx = m->memo_count;
			}
			if (m->sp <= fence(m)) {
				underflow(m, off, op_name(op));
				goto out;
			}
			memo_put(m, idx, m->stack[m->sp - 1], off);
			if (m->err)
				goto out;
			break;
		}
		case 'c':   /* GLOBAL */
		case 'i': { /* INST */
			const uint8_t *ms, *ns;
			size_t mn, nn, x = 0;
			if (op == 'i')
				MARKER(x);
			LINE(ms, mn);
			LINE(ns, nn);
			if (mn == 0 || nn == 0)
				FAIL(LC_E_TRUNCATED, "%s at offset %llu: empty module or name line (pickle data was "
						     "truncated)",
				     op_name(op), (unsigned long long)off);
			if (op == 'c' ? (!utf8_valid(ms, mn) || !utf8_valid(ns, nn))
				      : (!utf8_valid(ms, mn) || !utf8_valid(ns, nn))) {
				char e1[80];
				lc_escape(ms, mn, 24, e1, sizeof e1);
				FAIL(LC_E_MALFORMED, "%s at offset %llu: module or name %s is not valid UTF-8",
				     op_name(op), (unsigned long long)off, e1);
			}
			if (plausible && is_ident_name(ms, mn) && is_ident_name(ns, nn))
				*plausible = 1;
			if (!push_global(m, (const char *)ms, mn, (const char *)ns, nn, off))
				goto out;
			if (op == 'i') {
				/* cls(*args): the class is called */
				pv cls, res;
				size_t i;
				uint32_t ti;
				POP(cls);
				ti = box_new(m, B_TUPLE, off);
				if (!ti) {
					release(m, cls);
					goto out;
				}
				for (i = x; i < m->sp; i++)
					box_add(m, ti, m->stack[i], KEEP_TUPLE);
				m->sp = x;
				res = do_call(m, S_INST, cls, PV(T_BOX, ti), off);
				PUSH(res);
			}
			break;
		}
		case 0x93: { /* STACK_GLOBAL */
			pv mv, nv;
			char mt[NAME_MAX_LEN + 1], nt[NAME_MAX_LEN + 1];
			size_t ml = 0, nl = 0;
			POP(nv);
			if (!pop(m, &mv, off, "STACK_GLOBAL")) {
				release(m, nv);
				goto out;
			}
			if (TAG(mv) != T_STR || TAG(nv) != T_STR) {
				/* CPython raises; the payload may be a computed name */
				if (m->ctx) {
					char a[200], b[200], ev[420];
					describe(m, mv, a, sizeof a);
					describe(m, nv, b, sizeof b);
					snprintf(ev, sizeof ev, "STACK_GLOBAL(%s, %s)", a, b);
					lc_finding_add(m->ctx, LC_SEV_HIGH, "pickle.callable.unresolved", off,
						       "STACK_GLOBAL operands", ev,
						       "STACK_GLOBAL at offset %llu imports a name built from non-str "
						       "operands, which cannot be resolved statically",
						       (unsigned long long)off);
				}
				release(m, mv);
				release(m, nv);
				FAIL(LC_E_MALFORMED, "STACK_GLOBAL at offset %llu: STACK_GLOBAL requires str",
				     (unsigned long long)off);
			}
			{
				int okm = str_text(m, mv, mt, sizeof mt, &ml);
				int okn = str_text(m, nv, nt, sizeof nt, &nl);
				if ((!okm && ml < NAME_MAX_LEN) || (!okn && nl < NAME_MAX_LEN))
					FAIL(LC_E_MALFORMED, "STACK_GLOBAL at offset %llu: operand is not a valid str",
					     (unsigned long long)off);
			}
			if (plausible && is_ident_name((const uint8_t *)mt, ml) &&
			    is_ident_name((const uint8_t *)nt, nl))
				*plausible = 1;
			if (!push_global(m, mt, ml, nt, nl, off))
				goto out;
			break;
		}
		case 'R': { /* REDUCE */
			pv args, c, res;
			POP(args);
			if (m->sp <= fence(m)) {
				release(m, args);
				underflow(m, off, "REDUCE");
				goto out;
			}
			c = m->stack[--m->sp];
			res = do_call(m, S_REDUCE, c, args, off);
			PUSH(res);
			break;
		}
		case 'o': { /* OBJ */
			size_t x, i;
			uint32_t ti;
			pv cls, res;
			MARKER(x);
			if (m->sp - x < 1) {
				underflow(m, off, "OBJ");
				goto out;
			}
			ti = box_new(m, B_TUPLE, off);
			if (!ti)
				goto out;
			for (i = x + 1; i < m->sp; i++)
				box_add(m, ti, m->stack[i], KEEP_TUPLE);
			cls = m->stack[x];
			m->sp = x;
			res = do_call(m, S_OBJ, cls, PV(T_BOX, ti), off);
			PUSH(res);
			break;
		}
		case 0x81: { /* NEWOBJ */
			pv args, cls, res;
			POP(args);
			if (!pop(m, &cls, off, "NEWOBJ")) {
				release(m, args);
				goto out;
			}
			res = do_call(m, S_NEWOBJ, cls, args, off);
			PUSH(res);
			break;
		}
		case 0x92: { /* NEWOBJ_EX */
			pv kw, args, cls, res;
			POP(kw);
			if (!pop(m, &args, off, "NEWOBJ_EX")) {
				release(m, kw);
				goto out;
			}
			if (!pop(m, &cls, off, "NEWOBJ_EX")) {
				release(m, kw);
				release(m, args);
				goto out;
			}
			release(m, kw);
			res = do_call(m, S_NEWOBJ_EX, cls, args, off);
			PUSH(res);
			break;
		}
		case 'b': { /* BUILD */
			pv state;
			POP(state);
			if (m->sp <= fence(m)) {
				release(m, state);
				underflow(m, off, "BUILD");
				goto out;
			}
			do_build(m, m->stack[m->sp - 1], state, off);
			if (m->joblib && !joblib_build(m, m->stack[m->sp - 1], state, off, &pos)) {
				release(m, state);
				goto out;
			}
			release(m, state);
			break;
		}
		case 'P': { /* PERSID */
			const uint8_t *s;
			size_t n, i;
			uint32_t bi;
			LINE(s, n);
			for (i = 0; i < n; i++)
				if (s[i] >= 0x80)
					FAIL(LC_E_MALFORMED,
					     "PERSID at offset %llu: persistent IDs in protocol 0 must be ASCII strings",
					     (unsigned long long)off);
			bi = box_new(m, B_PERSID, off);
			if (!bi)
				goto out;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 'Q': { /* BINPERSID */
			pv pid;
			uint32_t bi;
			POP(pid);
			note_persid(m, pid);
			/* Legacy torch.save writes nn.Module classes as the persistent
			 * id ('module', <class>, source_file, source), and torch's
			 * persistent_load returns the class itself: so the value is
			 * the GLOBAL inside, judged (and called) like any global. */
			if (is_box(pid, m, B_TUPLE) && BX(m, pid)->count >= 2 && is_box(item(m, pid, 1), m, B_GLOBAL)) {
				char t[16];
				if (str_text(m, item(m, pid, 0), t, sizeof t, NULL) && strcmp(t, "module") == 0) {
					pv cls = item(m, pid, 1);
					retain(m, cls);
					release(m, pid);
					PUSH(cls);
					break;
				}
			}
			bi = box_new(m, B_PERSID, off);
			if (!bi) {
				release(m, pid);
				goto out;
			}
			box_add(m, bi, pid, 2);
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 0x82:   /* EXT1 */
		case 0x83:   /* EXT2 */
		case 0x84: { /* EXT4 */
			int64_t code;
			uint32_t bi;
			if (op == 0x82) {
				NEED(1);
				code = d[pos++];
			} else if (op == 0x83) {
				NEED(2);
				code = lc_le16(d + pos);
				pos += 2;
			} else {
				NEED(4);
				code = (int32_t)lc_le32(d + pos);
				pos += 4;
			}
			if (code <= 0)
				FAIL(LC_E_MALFORMED, "%s at offset %llu: EXT specifies code <= 0", op_name(op),
				     (unsigned long long)off);
			if (m->ctx) {
				char key[32];
				snprintf(key, sizeof key, "ext:%lld", (long long)code);
				lc_finding_add(m->ctx, LC_SEV_MEDIUM, "pickle.ext-code", off, key, key,
					       "%s at offset %llu pushes extension code %lld: the object comes from "
					       "the loader's copyreg extension registry and cannot be resolved "
					       "statically",
					       op_name(op), (unsigned long long)off, (long long)code);
			}
			bi = box_new(m, B_EXT, off);
			if (!bi)
				goto out;
			m->boxes[bi].aux = (uint32_t)code;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 0x80: /* PROTO */
			NEED(1);
			if (d[pos] > 5)
				FAIL(LC_E_MALFORMED, "PROTO at offset %llu: unsupported pickle protocol: %d",
				     (unsigned long long)off, d[pos]);
			m->proto = d[pos++];
			break;
		case 0x95: { /* FRAME: the C unpickler only checks the frame is there */
			uint64_t n;
			NEED(8);
			n = lc_le64(d + pos);
			pos += 8;
			if (m->frame_gap)
				FAIL(LC_E_MALFORMED, "FRAME at offset %llu: beginning of a new frame before end of current "
						     "frame",
				     (unsigned long long)off);
			if (n <= (uint64_t)(len - pos))
				m->frame_end = pos + (size_t)n;
			if (n > (uint64_t)INT64_MAX || n > (uint64_t)(len - pos)) {
				/* CPython stops here ("pickle data was truncated"); we
				 * note it and read on, so that what the frame hides is
				 * still judged. */
				if (!m->soft_err) {
					m->soft_err = LC_E_TRUNCATED;
					m->soft_off = off;
					snprintf(m->soft_msg, sizeof m->soft_msg,
						 "FRAME at offset %llu announces %llu bytes, %llu left (pickle data was "
						 "truncated)",
						 (unsigned long long)off, (unsigned long long)n,
						 (unsigned long long)(len - pos));
				}
			}
			break;
		}
		case 0x97: { /* NEXT_BUFFER: out-of-band data we cannot see */
			uint32_t bi = box_new(m, B_OBJ, off);
			if (!bi)
				goto out;
			PUSH(PV(T_BOX, bi));
			break;
		}
		case 0x98: /* READONLY_BUFFER */
			if (m->sp <= fence(m)) {
				underflow(m, off, "READONLY_BUFFER");
				goto out;
			}
			break;
		default:
			if (op >= 0x20 && op <= 0x7e && op != '\'' && op != '\\')
				FAIL(LC_E_MALFORMED, "invalid load key, '%c' at offset %llu", op,
				     (unsigned long long)off);
			FAIL(LC_E_MALFORMED, "invalid load key, '\\x%02x' at offset %llu", op,
			     (unsigned long long)off);
		}
		m->stream_ops++;
	}
out:
	if (!m->err)
		vm_err(m, LC_E_INTERNAL, pos, "pickle VM stopped without an error");
	if (m->soft_err && !m->err_recorded) {
		/* the earlier error is the one CPython would report */
		m->err = m->soft_err;
		m->err_off = m->soft_off;
		memcpy(m->errmsg, m->soft_msg, sizeof m->errmsg);
	}
	return m->err;
#undef NEED
#undef LINE
#undef PUSH
#undef POP
#undef MARKER
#undef FAIL
}

/* ---- setup ---------------------------------------------------------------- */

static void vm_init(vm *m, lc_ctx *ctx, const uint8_t *data, size_t len, lc_pickle_info *info)
{
	memset(m, 0, sizeof *m);
	m->ctx = ctx;
	m->data = data;
	m->len = len;
	m->real_len = len;
	m->info = info;
	if (ctx) {
		m->cflags = lc_flags(ctx);
		m->max_stack = lc_lim(ctx, LC_LIMIT_pickle_max_stack);
		m->max_memo = lc_lim(ctx, LC_LIMIT_pickle_max_memo);
		m->max_values = lc_lim(ctx, LC_LIMIT_pickle_max_values);
		m->max_ops = lc_lim(ctx, LC_LIMIT_pickle_max_ops);
	} else {
		m->max_stack = 4096;
		m->max_memo = 4096;
		m->max_values = 4096;
		m->max_ops = 400;
	}
}

static void vm_free(vm *m)
{
	size_t i;
	for (i = 0; i < m->ncols; i++)
		free(m->cols[i].v);
	free(m->cols);
	free(m->stack);
	free(m->marks);
	free(m->memo);
	free(m->skeys);
	free(m->svals);
	free(m->boxes);
	free(m->items);
	free(m->names);
	free(m->nhash);
	free(m->pool);
	free(m->refd);
	free(m->work);
	free(m->nested_done);
	for (i = 0; i < m->nsdr; i++)
		free(m->sdr[i].t.name);
	free(m->sdr);
}

/* Ends a stream: findings for globals imported but not called, memory. */
static void stream_end(vm *m)
{
	report_imports(m);
}

static void record_error(vm *m)
{
	if (m->ctx && m->err && !m->err_recorded) {
		lc_fail(m->ctx, m->err, m->err_off, "%s", m->errmsg);
		m->err_recorded = 1;
	}
}

static lc_err scan_one(lc_ctx *ctx, const uint8_t *data, size_t len, size_t start, lc_pickle_info *info,
		       int state_dict)
{
	vm m;
	size_t end = start;
	lc_err e;
	if (info)
		memset(info, 0, sizeof *info);
	if (start > len)
		return lc_fail(ctx, LC_E_INTERNAL, start, "pickle start beyond the view");
	vm_init(&m, ctx, data, len, info);
	m.sd = state_dict && info;
	e = vm_run(&m, start, &end, NULL);
	stream_end(&m);
	if (e != LC_OK)
		record_error(&m);
	if (m.oom && e == LC_OK)
		e = LC_E_NOMEM;
	vm_free(&m);
	return e;
}

lc_err lc_pickle_scan_one(lc_ctx *ctx, const uint8_t *data, size_t len, size_t start, lc_pickle_info *info)
{
	return scan_one(ctx, data, len, start, info, 0);
}

lc_err lc_pickle_scan_state_dict(lc_ctx *ctx, const uint8_t *data, size_t len, size_t start, lc_pickle_info *info)
{
	return scan_one(ctx, data, len, start, info, 1);
}

void lc_pickle_info_free(lc_pickle_info *info)
{
	size_t i;
	if (!info)
		return;
	for (i = 0; i < info->ntensors; i++)
		free(info->tensors[i].name);
	free(info->tensors);
	info->tensors = NULL;
	info->ntensors = 0;
	for (i = 0; i < info->ntop_strings; i++)
		free(info->top_strings[i]);
	free(info->top_strings);
	free(info->storages);
	info->top_strings = NULL;
	info->storages = NULL;
	info->ntop_strings = info->nstorages = 0;
}

static int is_pad(uint8_t c)
{
	return c == 0 || c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\v';
}

lc_err lc_parse_pickle(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	vm m;
	size_t pos = 0, end;
	uint64_t streams = 0, max_streams = lc_lim(ctx, LC_LIMIT_pickle_max_streams);
	lc_err result = LC_OK;

	vm_init(&m, ctx, data, len, NULL);
	/* a pickle file may be a joblib.dump: its array data is skipped */
	m.joblib = 1;
	while (pos < len) {
		lc_err e;
		size_t from = pos;
		if (streams >= max_streams) {
			result = lc_limit_hit(ctx, LC_LIMIT_pickle_max_streams, pos, "concatenated pickles");
			break;
		}
		if (streams > 0) {
			/* after a complete pickle: padding is tolerated */
			while (from < len && is_pad(data[from]))
				from++;
			if (from == len) {
				lc_finding_add(ctx, LC_SEV_LOW, "pickle.trailing-data", pos, "padding", NULL,
					       "%llu bytes of whitespace/NUL padding after the last pickle (offset %llu)",
					       (unsigned long long)(len - pos), (unsigned long long)pos);
				break;
			}
		}
		end = from;
		e = vm_run(&m, from, &end, NULL);
		stream_end(&m);
		if (e == LC_OK) {
			streams++;
			pos = end;
			stream_reset(&m);
			continue;
		}
		if (streams > 0 && !m.err_recorded && e != LC_E_NOMEM && m.stream_ops < 4 && m.stream_globals == 0) {
			/* bytes after the last pickle that are not one */
			char ex[80];
			lc_escape(data + from, len - from, 16, ex, sizeof ex);
			lc_finding_add(ctx, LC_SEV_LOW, "pickle.trailing-data", from, "trailing", ex,
				       "%llu bytes after the last complete pickle (offset %llu) are not a pickle: %s",
				       (unsigned long long)(len - pos), (unsigned long long)pos, m.errmsg);
			break;
		}
		record_error(&m);
		result = e;
		break;
	}
	if (len == 0)
		result = lc_fail(ctx, LC_E_TRUNCATED, 0, "empty file: Ran out of input");
	stream_reset(&m);
	vm_free(&m);
	return result;
}

/* ---- bidding ------------------------------------------------------------- */

#define PROBE_WINDOW (64u * 1024u)

int lc_pickle_probe(const uint8_t *data, size_t len, size_t start)
{
	vm m;
	size_t wlen, end = 0, i;
	int plausible = 0, bid = 0, proto_first;
	lc_err e;
	if (start >= len)
		return 0;
	if (!op_name(data[start]))
		return 0; /* cheapest rejection: not an opcode at all */
	wlen = len - start > PROBE_WINDOW ? start + PROBE_WINDOW : len;
	proto_first = data[start] == 0x80 && start + 1 < len && data[start + 1] <= 5;
	vm_init(&m, NULL, data, wlen, NULL);
	m.real_len = len;
	e = vm_run(&m, start, &end, &plausible);
	if (e == LC_OK || (m.stop_reached && m.soft_err)) {
		/* a complete pickle: alone (up to padding), or several opcodes */
		for (i = end; i < len && i < end + 64 && is_pad(data[i]); i++)
			;
		if (proto_first || m.stream_ops >= 4 || i == len || (i < len && op_name(data[i])))
			bid = proto_first ? 60 : 20;
	} else if (e == LC_E_LIMIT) {
		bid = proto_first ? 60 : 20; /* hundreds of valid opcodes */
	} else if (proto_first && (m.stream_ops >= 2 || e == LC_E_TRUNCATED)) {
		bid = 60; /* PROTO then valid opcodes, broken later: hostile or cut */
	} else if (m.window_end && (proto_first || m.stream_ops >= 8 || (plausible && m.stream_ops >= 2))) {
		bid = proto_first ? 60 : 20; /* ran into the probe window's end */
	} else if (plausible && m.stream_ops >= 2) {
		bid = 20; /* a real import, then damage (or a truncated payload) */
	} else if (m.stream_ops >= 16) {
		bid = 20;
	}
	stream_reset(&m);
	vm_free(&m);
	return bid;
}

int lc_bid_pickle(const uint8_t *data, size_t len)
{
	return lc_pickle_probe(data, len, 0);
}
