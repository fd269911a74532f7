/*
 * NumPy .npy reader (src/formats/numpy.c).
 *
 * Layout (numpy/lib/format.py): b"\x93NUMPY", major, minor, a little-endian
 * header length (2 bytes in 1.0, 4 bytes in 2.0 and 3.0), the header text
 * (latin-1 in 1.x/2.x, UTF-8 in 3.0), then the array body.  The header is the
 * repr() of a dict {'descr': ..., 'fortran_order': bool, 'shape': (...)}
 * padded with spaces to a multiple of 64 and ended by '\n'.
 *
 * numpy reads the header with ast.literal_eval.  We never evaluate anything:
 * a small hand-written parser accepts exactly the literal subset that a
 * header can hold (str, int, True/False/None, tuples, lists, one dict) with
 * a fixed nesting bound, and rejects the rest as unsupported.  A literal
 * numpy would accept but we do not is an error, never a silent pass.
 *
 * If the dtype holds an object field anywhere ('O', 'object', a structured
 * field of those), numpy.load(allow_pickle=True) unpickles the body with
 * pickle.load: the body is handed to the pickle reader.  Otherwise numpy
 * reads exactly shape x itemsize bytes (numpy.fromfile(count=...)): fewer
 * is an error, more is ignored by numpy and reported.  Array data is never
 * read.
 */
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"
#include "formats/pickle.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
/* numpy's _MAX_HEADER_SIZE (1.24 .. 2.x): numpy.load refuses longer headers
 * unless allow_pickle=True. */
#define NPY_NUMPY_MAX_HEADER 10000u
/* Literal nesting.  A header is a dict of (possibly nested) structured
 * dtypes; numpy itself recurses per level.  Each level here is a stack
 * frame, so the bound is fixed rather than a table limit. */
#define NPY_MAX_NEST 32

/* ---- literal parser ------------------------------------------------------ */

enum { N_STR = 1, N_INT, N_TRUE, N_FALSE, N_NONE, N_TUPLE, N_LIST, N_DICT };

typedef struct node {
	int type;
	const uint8_t *s; /* N_STR: raw text between the quotes */
	size_t n;
	int64_t i;        /* N_INT */
	int big;          /* N_INT did not fit in int64 */
	int paren;        /* N_TUPLE written as (x,) */
	uint32_t first;   /* containers: first child (index + 1), 0 none */
	uint32_t next;    /* next sibling (index + 1), 0 none */
	uint32_t count;
} node;

typedef struct lit {
	const uint8_t *p, *end, *base;
	node *nodes;
	uint32_t nn, cap;
	int allow_long; /* 1.x/2.x headers: Python 2 "3L" ints (numpy filters them) */
	const char *err;
	size_t err_off;
} lit;

static uint32_t lit_new(lit *L, int type)
{
	if (L->nn >= L->cap) {
		L->err = "header literal too large";
		return 0;
	}
	node *x = &L->nodes[L->nn];
	memset(x, 0, sizeof *x);
	x->type = type;
	return ++L->nn;
}

static void lit_fail(lit *L, const char *why)
{
	if (!L->err) {
		L->err = why;
		L->err_off = (size_t)(L->p - L->base);
	}
}

static void skip_ws(lit *L)
{
	while (L->p < L->end) {
		uint8_t c = *L->p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			L->p++;
		} else if (c == '#') { /* literal_eval accepts comments */
			while (L->p < L->end && *L->p != '\n')
				L->p++;
		} else if (c == '\\' && L->end - L->p >= 2 && L->p[1] == '\n') {
			L->p += 2; /* explicit line joining */
		} else {
			break;
		}
	}
}

static bool is_word(const lit *L, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(L->end - L->p) < n || memcmp(L->p, w, n) != 0)
		return false;
	if ((size_t)(L->end - L->p) > n) {
		uint8_t c = L->p[n];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80)
			return false;
	}
	return true;
}

static uint32_t parse_value(lit *L, int depth);

/* Sequence items up to the closing bracket; returns the count. */
static void parse_items(lit *L, uint32_t parent, uint8_t close, int depth, bool *trailing_comma)
{
	uint32_t last = 0;
	*trailing_comma = false;
	for (;;) {
		skip_ws(L);
		if (L->p >= L->end) {
			lit_fail(L, "unterminated bracket");
			return;
		}
		if (*L->p == close) {
			L->p++;
			return;
		}
		uint32_t c = parse_value(L, depth + 1);
		if (!c)
			return;
		if (last)
			L->nodes[last - 1].next = c;
		else
			L->nodes[parent - 1].first = c;
		last = c;
		L->nodes[parent - 1].count++;
		skip_ws(L);
		*trailing_comma = false;
		if (L->p < L->end && *L->p == ',') {
			L->p++;
			*trailing_comma = true;
			continue;
		}
		skip_ws(L);
		if (L->p < L->end && *L->p == close) {
			L->p++;
			return;
		}
		lit_fail(L, "expected ',' or a closing bracket");
		return;
	}
}

static uint32_t parse_value(lit *L, int depth)
{
	if (depth > NPY_MAX_NEST) {
		lit_fail(L, "header literal nested too deeply");
		return 0;
	}
	skip_ws(L);
	if (L->p >= L->end) {
		lit_fail(L, "unexpected end of header");
		return 0;
	}
	uint8_t c = *L->p;
	if (c == '\'' || c == '"' || ((c == 'u' || c == 'U') && L->end - L->p >= 2 &&
				      (L->p[1] == '\'' || L->p[1] == '"'))) {
		if (c == 'u' || c == 'U')
			c = *++L->p;
		const uint8_t *q = ++L->p;
		if (L->end - q >= 2 && q[0] == c && q[1] == c) {
			lit_fail(L, "triple-quoted strings are not supported");
			return 0;
		}
		while (L->p < L->end && *L->p != c && *L->p != '\n') {
			if (*L->p == '\\') {
				if (L->end - L->p < 2)
					break;
				L->p++;
			}
			L->p++;
		}
		if (L->p >= L->end || *L->p != c) {
			lit_fail(L, "unterminated string");
			return 0;
		}
		uint32_t x = lit_new(L, N_STR);
		if (!x)
			return 0;
		L->nodes[x - 1].s = q;
		L->nodes[x - 1].n = (size_t)(L->p - q);
		L->p++;
		return x;
	}
	if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
		int neg = 0;
		if (c == '-' || c == '+') {
			neg = c == '-';
			L->p++;
			skip_ws(L);
		}
		if (L->p >= L->end || *L->p < '0' || *L->p > '9') {
			lit_fail(L, "expected a number");
			return 0;
		}
		uint32_t x = lit_new(L, N_INT);
		if (!x)
			return 0;
		node *nd = &L->nodes[x - 1];
		const uint8_t *d0 = L->p;
		uint64_t v = 0;
		while (L->p < L->end && *L->p >= '0' && *L->p <= '9') {
			unsigned dg = (unsigned)(*L->p - '0');
			if (v > (UINT64_MAX - dg) / 10)
				nd->big = 1;
			else
				v = v * 10 + dg;
			L->p++;
		}
		if (L->p - d0 > 1 && d0[0] == '0' && v != 0) {
			lit_fail(L, "leading zeros in an integer");
			return 0;
		}
		if (L->p < L->end && (*L->p == 'L' || *L->p == 'l') && L->allow_long)
			L->p++;
		if (L->p < L->end && ((*L->p >= 'a' && *L->p <= 'z') || (*L->p >= 'A' && *L->p <= 'Z') ||
				      *L->p == '.' || *L->p == '_')) {
			lit_fail(L, "only decimal integers are supported in a header");
			return 0;
		}
		if (v > (uint64_t)INT64_MAX)
			nd->big = 1;
		nd->i = neg ? -(int64_t)v : (int64_t)v;
		return x;
	}
	if (c == '(' || c == '[') {
		L->p++;
		uint32_t x = lit_new(L, c == '(' ? N_TUPLE : N_LIST);
		if (!x)
			return 0;
		bool tc;
		parse_items(L, x, c == '(' ? ')' : ']', depth, &tc);
		if (L->err)
			return 0;
		node *nd = &L->nodes[x - 1];
		if (c == '(' && nd->count == 1 && !tc)
			return nd->first; /* (x) is x */
		return x;
	}
	if (c == '{') {
		L->p++;
		uint32_t x = lit_new(L, N_DICT);
		if (!x)
			return 0;
		uint32_t last = 0;
		for (;;) {
			skip_ws(L);
			if (L->p < L->end && *L->p == '}') {
				L->p++;
				return x;
			}
			uint32_t k = parse_value(L, depth + 1);
			if (!k)
				return 0;
			skip_ws(L);
			if (L->p >= L->end || *L->p != ':') {
				lit_fail(L, "expected ':' in the header dict");
				return 0;
			}
			L->p++;
			uint32_t v = parse_value(L, depth + 1);
			if (!v)
				return 0;
			L->nodes[k - 1].next = v;
			if (last)
				L->nodes[last - 1].next = k;
			else
				L->nodes[x - 1].first = k;
			last = v;
			L->nodes[x - 1].count++;
			skip_ws(L);
			if (L->p < L->end && *L->p == ',') {
				L->p++;
				continue;
			}
			skip_ws(L);
			if (L->p < L->end && *L->p == '}') {
				L->p++;
				return x;
			}
			lit_fail(L, "expected ',' or '}' in the header dict");
			return 0;
		}
	}
	if (is_word(L, "True") || is_word(L, "False") || is_word(L, "None")) {
		int t = *L->p == 'T' ? N_TRUE : *L->p == 'F' ? N_FALSE : N_NONE;
		L->p += t == N_FALSE ? 5 : 4;
		return lit_new(L, t);
	}
	lit_fail(L, "unsupported token in header (only str, int, bool, None, tuple, list and dict literals)");
	return 0;
}

static int hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, size_t at, size_t cap, uint32_t cp)
{
	uint8_t b[4];
	size_t n = lc_utf8_encode(cp, b);
	for (size_t i = 0; i < n && at + 1 < cap; i++)
		o[at++] = (char)b[i];
	return at;
}

/* Decodes a str node (Python escapes; latin-1 source bytes for 1.x/2.x
 * headers, UTF-8 for 3.0) into out as UTF-8.  Returns false on an escape we
 * do not model or when the text does not fit. */
static bool str_decode(const node *x, bool utf8_src, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < x->n;) {
		uint8_t c = x->s[i++];
		if (c != '\\') {
			if (c >= 0x80 && !utf8_src)
				o = put_utf8(out, o, cap, c);
			else if (o + 1 < cap)
				out[o++] = (char)c;
			if (o + 1 >= cap)
				return false;
			continue;
		}
		if (i >= x->n)
			return false;
		uint8_t e = x->s[i++];
		uint32_t cp;
		int digits = 0;
		switch (e) {
		case '\\': case '\'': case '"': cp = e; break;
		case 'n': cp = '\n'; break;
		case 't': cp = '\t'; break;
		case 'r': cp = '\r'; break;
		case 'a': cp = 7; break;
		case 'b': cp = 8; break;
		case 'f': cp = 12; break;
		case 'v': cp = 11; break;
		case '\n': continue;
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default:
			if (e >= '0' && e <= '7') {
				cp = (uint32_t)(e - '0');
				for (int k = 0; k < 2 && i < x->n && x->s[i] >= '0' && x->s[i] <= '7'; k++)
					cp = cp * 8 + (uint32_t)(x->s[i++] - '0');
				break;
			}
			return false; /* \N{...} and unknown escapes */
		}
		if (digits) {
			cp = 0;
			for (int k = 0; k < digits; k++) {
				int h = i < x->n ? hexv(x->s[i]) : -1;
				if (h < 0)
					return false;
				cp = cp * 16 + (uint32_t)h;
				i++;
			}
			if (cp > 0x10ffff)
				return false;
		}
		o = put_utf8(out, o, cap, cp);
		if (o + 1 >= cap)
			return false;
	}
	out[o] = '\0';
	return true;
}

/* ---- dtype evaluation -------------------------------------------------------- */

typedef struct dt {
	uint64_t itemsize;
	bool hasobject;
} dt;

typedef struct npy {
	lc_ctx *ctx;
	lit *L;
	bool utf8;
	char why[200];
} npy;

static bool mul_ok(uint64_t a, uint64_t b, uint64_t *r) { return !__builtin_mul_overflow(a, b, r); }
static bool add_ok(uint64_t a, uint64_t b, uint64_t *r) { return !__builtin_add_overflow(a, b, r); }

static const struct {
	const char *name;
	unsigned size; /* 0: flexible, size from digits */
	char kind;     /* 'O' object, 'U' 4 bytes per char, else plain */
} named_types[] = {
	{"bool", 1, 'b'}, {"bool_", 1, 'b'}, {"bool8", 1, 'b'},
	{"int8", 1, 'i'}, {"int16", 2, 'i'}, {"int32", 4, 'i'}, {"int64", 8, 'i'},
	{"uint8", 1, 'u'}, {"uint16", 2, 'u'}, {"uint32", 4, 'u'}, {"uint64", 8, 'u'},
	{"float16", 2, 'f'}, {"float32", 4, 'f'}, {"float64", 8, 'f'}, {"float128", 16, 'f'},
	{"complex64", 8, 'c'}, {"complex128", 16, 'c'}, {"complex256", 32, 'c'},
	{"half", 2, 'f'}, {"single", 4, 'f'}, {"double", 8, 'f'}, {"longdouble", 16, 'f'},
	{"float", 8, 'f'}, {"int", 8, 'i'}, {"complex", 16, 'c'}, {"int_", 8, 'i'}, {"uint", 8, 'u'},
	{"byte", 1, 'i'}, {"ubyte", 1, 'u'}, {"short", 2, 'i'}, {"ushort", 2, 'u'}, {"intc", 4, 'i'},
	{"uintc", 4, 'u'}, {"intp", 8, 'i'}, {"uintp", 8, 'u'}, {"long", 8, 'i'}, {"ulong", 8, 'u'},
	{"longlong", 8, 'i'}, {"ulonglong", 8, 'u'}, {"csingle", 8, 'c'}, {"cdouble", 16, 'c'},
	{"clongdouble", 32, 'c'}, {"longfloat", 16, 'f'}, {"clongfloat", 32, 'c'},
	{"object", 8, 'O'}, {"object_", 8, 'O'},
	{"str", 0, 'U'}, {"str_", 0, 'U'}, {"unicode", 0, 'U'}, {"unicode_", 0, 'U'},
	{"bytes", 0, 'S'}, {"bytes_", 0, 'S'}, {"string_", 0, 'S'}, {"void", 0, 'V'},
	{"datetime64", 8, 'M'}, {"timedelta64", 8, 'm'},
};

/* Single-character type codes (numpy's dtype.char) on LP64. */
static unsigned char_size(char c, bool *obj)
{
	*obj = false;
	switch (c) {
	case '?': case 'b': case 'B': case 'c': return 1;
	case 'h': case 'H': case 'e': return 2;
	case 'i': case 'I': case 'f': return 4;
	case 'l': case 'L': case 'q': case 'Q': case 'p': case 'P': case 'd': case 'F': case 'M': case 'm': return 8;
	case 'g': case 'D': return 16;
	case 'G': return 32;
	case 'O': *obj = true; return 8;
	case 'S': case 'a': case 'U': case 'V': return 0;
	default: return UINT32_MAX;
	}
}

/* One type string without commas: [byteorder][(shape) or repeat]code. */
static bool typestr_one(npy *N, const char *s, size_t n, dt *out)
{
	uint64_t mult = 1;
	/* leading subarray shape "(2,3)f8" or repeat count "3i4" */
	while (n && (*s == ' '))
		s++, n--;
	if (n && *s == '(') {
		size_t i = 1;
		uint64_t v = 0;
		bool any = false;
		for (; i < n && s[i] != ')'; i++) {
			if (s[i] >= '0' && s[i] <= '9') {
				if (!mul_ok(v, 10, &v) || !add_ok(v, (uint64_t)(s[i] - '0'), &v))
					return false;
				any = true;
			} else if (s[i] == ',' || s[i] == ' ') {
				if (any && !mul_ok(mult, v, &mult))
					return false;
				v = 0;
				any = false;
			} else {
				return false;
			}
		}
		if (i >= n)
			return false;
		if (any && !mul_ok(mult, v, &mult))
			return false;
		s += i + 1;
		n -= i + 1;
	} else if (n && *s >= '1' && *s <= '9') {
		uint64_t v = 0;
		while (n && *s >= '0' && *s <= '9') {
			if (!mul_ok(v, 10, &v) || !add_ok(v, (uint64_t)(*s - '0'), &v))
				return false;
			s++, n--;
		}
		mult = v;
	}
	if (n && (*s == '<' || *s == '>' || *s == '|' || *s == '=' || *s == '!'))
		s++, n--;
	if (n == 0)
		return false;
	/* datetime unit suffix "[ns]" does not change the size */
	size_t core = n;
	if (core >= 3 && s[core - 1] == ']') {
		const char *lb = memchr(s, '[', core);
		if (!lb)
			return false;
		core = (size_t)(lb - s);
	}
	/* numpy's type names ("float64", "object" ...); flexible ones ("str",
	 * "bytes", "void") without a size mean size 0 */
	for (size_t i = 0; i < sizeof named_types / sizeof named_types[0]; i++) {
		if (strlen(named_types[i].name) != core || memcmp(s, named_types[i].name, core) != 0)
			continue;
		out->hasobject = named_types[i].kind == 'O';
		return mul_ok(named_types[i].size, mult, &out->itemsize);
	}
	bool obj = false;
	if (core == 1) {
		unsigned cs = char_size(s[0], &obj);
		if (cs == UINT32_MAX)
			return false;
		out->hasobject = obj;
		return mul_ok(cs, mult, &out->itemsize);
	}
	uint64_t d = 0;
	for (size_t i = 1; i < core; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (!mul_ok(d, 10, &d) || !add_ok(d, (uint64_t)(s[i] - '0'), &d))
			return false;
	}
	uint64_t size;
	switch (s[0]) {
	case 'b': if (d != 1) return false; size = 1; break;           /* b1: bool */
	case 'i': case 'u': if (d != 1 && d != 2 && d != 4 && d != 8) return false; size = d; break;
	case 'f': if (d != 2 && d != 4 && d != 8 && d != 16) return false; size = d; break;
	case 'c': if (d != 8 && d != 16 && d != 32) return false; size = d; break;
	case 'M': case 'm': if (d != 8) return false; size = 8; break;
	case 'O': if (d != 8) return false; size = 8; obj = true; break;
	case 'S': case 'a': case 'V': size = d; break;
	case 'U': if (!mul_ok(d, 4, &size)) return false; break;
	default: return false;
	}
	out->hasobject = obj;
	return mul_ok(size, mult, &out->itemsize);
}

/* A type string; "i4,f8" is a structured dtype with one field per part. */
static bool typestr(npy *N, const char *s, dt *out)
{
	size_t n = strlen(s);
	out->itemsize = 0;
	out->hasobject = false;
	/* split on commas that are not inside a "(shape)" */
	size_t start = 0;
	int par = 0;
	bool any = false;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] == '(')
			par++;
		else if (i < n && s[i] == ')')
			par--;
		if (i < n && (s[i] != ',' || par > 0))
			continue;
		size_t a = start, b = i;
		while (a < b && s[a] == ' ')
			a++;
		while (b > a && s[b - 1] == ' ')
			b--;
		start = i + 1;
		if (a == b) {
			if (i < n || any)
				continue; /* trailing comma */
			return false;
		}
		dt one;
		if (!typestr_one(N, s + a, b - a, &one))
			return false;
		if (!add_ok(out->itemsize, one.itemsize, &out->itemsize))
			return false;
		out->hasobject |= one.hasobject;
		any = true;
	}
	return any;
}

static node *nd(const npy *N, uint32_t i) { return i ? &N->L->nodes[i - 1] : NULL; }

/* Product of a shape: an int or a tuple/list of ints (bools count as
 * ints, as in Python). */
static bool shape_count(npy *N, const node *x, uint64_t *count, const char *what)
{
	*count = 1;
	const node *e = x;
	uint32_t n = 1;
	if (x->type == N_TUPLE || x->type == N_LIST) {
		e = nd(N, x->first);
		n = x->count;
	}
	for (uint32_t k = 0; k < n && e; k++, e = nd(N, e->next)) {
		int64_t v;
		if (e->type == N_INT && !e->big)
			v = e->i;
		else if (e->type == N_TRUE || e->type == N_FALSE)
			v = e->type == N_TRUE;
		else {
			snprintf(N->why, sizeof N->why, "%s is not a tuple of ints", what);
			return false;
		}
		if (v < 0) {
			snprintf(N->why, sizeof N->why, "%s has a negative dimension", what);
			return false;
		}
		if (!mul_ok(*count, (uint64_t)v, count)) {
			snprintf(N->why, sizeof N->why, "%s overflows 64 bits", what);
			return false;
		}
	}
	return true;
}

/* numpy's descr_to_dtype(): str, (descr, shape), or a list of fields
 * (name, descr[, shape]); padding fields count in the item size. */
static bool descr_dtype(npy *N, const node *x, dt *out, int depth)
{
	char buf[512];
	out->itemsize = 0;
	out->hasobject = false;
	if (depth > NPY_MAX_NEST) {
		snprintf(N->why, sizeof N->why, "descr nested too deeply");
		return false;
	}
	if (x->type == N_STR) {
		if (!str_decode(x, N->utf8, buf, sizeof buf) || !typestr(N, buf, out)) {
			char e[120];
			lc_escape(x->s, x->n, 48, e, sizeof e);
			snprintf(N->why, sizeof N->why, "descr %s is not a data type laocoon understands", e);
			return false;
		}
		return true;
	}
	if (x->type == N_TUPLE) {
		const node *a = nd(N, x->first), *b = a ? nd(N, a->next) : NULL;
		uint64_t cnt;
		if (x->count != 2 || !a || !b) {
			snprintf(N->why, sizeof N->why, "descr tuple must be (dtype, shape)");
			return false;
		}
		if (!descr_dtype(N, a, out, depth + 1) || !shape_count(N, b, &cnt, "subarray shape"))
			return false;
		if (!mul_ok(out->itemsize, cnt, &out->itemsize)) {
			snprintf(N->why, sizeof N->why, "subarray size overflows 64 bits");
			return false;
		}
		return true;
	}
	if (x->type == N_LIST) {
		const node *f = nd(N, x->first);
		for (uint32_t k = 0; k < x->count && f; k++, f = nd(N, f->next)) {
			const node *name = nd(N, f->first), *d = name ? nd(N, name->next) : NULL;
			const node *shp = d ? nd(N, d->next) : NULL;
			dt one;
			if (f->type != N_TUPLE || (f->count != 2 && f->count != 3) || !d ||
			    (name->type != N_STR && name->type != N_TUPLE)) {
				snprintf(N->why, sizeof N->why, "structured descr field %u is not (name, dtype[, shape])", k);
				return false;
			}
			if (!descr_dtype(N, d, &one, depth + 1))
				return false;
			if (f->count == 3) {
				uint64_t cnt;
				if (!shape_count(N, shp, &cnt, "field shape"))
					return false;
				if (!mul_ok(one.itemsize, cnt, &one.itemsize)) {
					snprintf(N->why, sizeof N->why, "field size overflows 64 bits");
					return false;
				}
			}
			if (!add_ok(out->itemsize, one.itemsize, &out->itemsize)) {
				snprintf(N->why, sizeof N->why, "structured item size overflows 64 bits");
				return false;
			}
			out->hasobject |= one.hasobject;
		}
		return true;
	}
	snprintf(N->why, sizeof N->why, "descr is not a str, tuple or list");
	return false;
}

/* ---- reader ---------------------------------------------------------------------- */

int lc_bid_numpy(const uint8_t *data, size_t len)
{
	if (len < NPY_MAGIC_LEN + 2 || memcmp(data, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
		return 0;
	return 90;
}

static size_t utf8_chars(const uint8_t *p, size_t n, bool *valid)
{
	size_t chars = 0, i = 0;
	*valid = true;
	while (i < n) {
		uint8_t c = p[i];
		size_t k = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		if (!k || k > n - i) {
			*valid = false;
			return chars;
		}
		for (size_t j = 1; j < k; j++)
			if ((p[i + j] & 0xc0) != 0x80) {
				*valid = false;
				return chars;
			}
		i += k;
		chars++;
	}
	return chars;
}

/* Scans the body as the pickle numpy would unpickle. */
static lc_err scan_object_body(lc_ctx *ctx, const uint8_t *body, size_t blen, uint64_t boff, const char *why)
{
	lc_finding_add(ctx, LC_SEV_INFO, "npy.object-array", boff, NULL, why,
		       "the array has object dtype: its data is a pickle that numpy.load unpickles when "
		       "allow_pickle=True (scanned as a pickle)");
	return lc_scan_child_as(ctx, "<npy object data>", "pickle", body, blen, boff);
}

lc_err lc_parse_numpy(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	lc_cur c;
	const uint8_t *q;
	lc_set_format(ctx, "npy");
	lc_cur_init(&c, data, len);
	lc_cur_skip(&c, NPY_MAGIC_LEN);
	uint8_t major = 0, minor = 0;
	lc_cur_u8(&c, &major);
	lc_cur_u8(&c, &minor);
	if (c.err)
		return lc_fail(ctx, LC_E_TRUNCATED, 0, "npy: file ends inside the magic string");
	if (!((major == 1 || major == 2 || major == 3) && minor == 0))
		return lc_fail(ctx, LC_E_UNSUPPORTED, 6,
			       "npy: format version (%u, %u) is not one numpy reads ((1,0), (2,0) or (3,0))", major,
			       minor);
	uint32_t hlen;
	if (major == 1) {
		uint16_t h16;
		lc_cur_u16le(&c, &h16);
		hlen = h16;
	} else {
		lc_cur_u32le(&c, &hlen);
	}
	if (c.err)
		return lc_fail(ctx, LC_E_TRUNCATED, 8, "npy: file ends inside the header length");
	uint64_t hoff = lc_cur_off(&c);
	if (hlen > lc_lim(ctx, LC_LIMIT_npy_max_header))
		return lc_limit_hit(ctx, LC_LIMIT_npy_max_header, hoff, "npy header");
	if (!lc_cur_take(&c, hlen, &q))
		return lc_fail(ctx, LC_E_TRUNCATED, hoff, "npy: header of %u bytes but only %zu bytes follow", hlen,
			       len - (size_t)hoff);
	bool valid = true;
	size_t chars = major == 3 ? utf8_chars(q, hlen, &valid) : hlen;
	if (!valid)
		return lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: version 3.0 header is not valid UTF-8");
	if (chars > NPY_NUMPY_MAX_HEADER)
		lc_finding_add(ctx, LC_SEV_LOW, "npy.header-large", hoff, NULL, NULL,
			       "npy header is %zu characters: numpy.load refuses headers above %u unless "
			       "allow_pickle=True (which also unpickles object arrays)",
			       chars, NPY_NUMPY_MAX_HEADER);
	/* Every node costs at least two header bytes ("0," "()" "''"), and a
	 * lone "(0)" three, so hlen / 2 + 2 bounds them. */
	lit L;
	memset(&L, 0, sizeof L);
	L.base = L.p = q;
	L.end = q + hlen;
	L.allow_long = major < 3;
	L.cap = hlen / 2 + 2;
	L.nodes = lc_alloc_input(ctx, (size_t)L.cap * sizeof(node), "npy header nodes");
	if (!L.nodes)
		return ctx->file->error_code;
	npy N = {.ctx = ctx, .L = &L, .utf8 = major == 3};
	lc_err err = LC_OK;
	uint32_t top = parse_value(&L, 0);
	if (top) {
		skip_ws(&L);
		if (L.p != L.end)
			lit_fail(&L, "unexpected text after the header dict");
	}
	if (L.err) {
		err = lc_fail(ctx, LC_E_MALFORMED, hoff + L.err_off, "npy: cannot parse header: %s at header offset %zu",
			      L.err, L.err_off);
		goto out;
	}
	const node *t = nd(&N, top);
	if (t->type != N_DICT) {
		err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: header is not a dictionary");
		goto out;
	}
	/* Keys must be exactly descr, fortran_order, shape; the last of
	 * duplicate keys wins, as in a Python dict display. */
	const node *descr = NULL, *fortran = NULL, *shape = NULL;
	const node *k = nd(&N, t->first);
	for (uint32_t i = 0; i < t->count && k; i++) {
		const node *v = nd(&N, k->next);
		char key[64];
		if (k->type != N_STR || !str_decode(k, N.utf8, key, sizeof key)) {
			err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: header does not contain the correct keys");
			goto out;
		}
		if (strcmp(key, "descr") == 0)
			descr = v;
		else if (strcmp(key, "fortran_order") == 0)
			fortran = v;
		else if (strcmp(key, "shape") == 0)
			shape = v;
		else {
			err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: header does not contain the correct keys (%s)", key);
			goto out;
		}
		k = nd(&N, v->next);
	}
	if (!descr || !fortran || !shape) {
		err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: header does not contain the correct keys");
		goto out;
	}
	if (fortran->type != N_TRUE && fortran->type != N_FALSE) {
		err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: fortran_order is not a valid bool");
		goto out;
	}
	uint64_t count;
	if (shape->type != N_TUPLE || !shape_count(&N, shape, &count, "shape")) {
		err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: shape is not valid: %s",
			      shape->type != N_TUPLE ? "not a tuple" : N.why);
		goto out;
	}
	const uint8_t *body = c.p;
	size_t blen = lc_cur_left(&c);
	uint64_t boff = lc_cur_off(&c);
	dt d;
	if (!descr_dtype(&N, descr, &d, 0)) {
		err = lc_fail(ctx, LC_E_UNSUPPORTED, hoff, "npy: %s", N.why);
		/* numpy may still read the body as a pickle: whatever the
		 * descr means, a body that is a pickle is judged. */
		if (lc_pickle_probe(body, blen, 0) > 0)
			scan_object_body(ctx, body, blen, boff, "unrecognised descr");
		goto out;
	}
	if (d.hasobject) {
		err = scan_object_body(ctx, body, blen, boff, "object field in descr");
		goto out;
	}
	uint64_t need;
	if (!mul_ok(count, d.itemsize, &need)) {
		err = lc_fail(ctx, LC_E_MALFORMED, hoff, "npy: shape x itemsize overflows 64 bits");
		goto out;
	}
	if (need > blen) {
		err = lc_fail(ctx, LC_E_TRUNCATED, boff,
			      "npy: array data needs %llu bytes (%llu items of %llu bytes), only %zu present",
			      (unsigned long long)need, (unsigned long long)count, (unsigned long long)d.itemsize,
			      blen);
		goto out;
	}
	if (need < blen) {
		uint64_t extra = blen - need;
		lc_finding_add(ctx, LC_SEV_LOW, "npy.trailing-data", boff + need, NULL, NULL,
			       "%llu bytes after the array data (offset %llu) are ignored by numpy.load",
			       (unsigned long long)extra, (unsigned long long)(boff + need));
		/* what hides there is still identified and judged */
		err = lc_scan_child(ctx, "<npy trailing data>", body + need, (size_t)extra, boff + need);
	}
out:
	free(L.nodes);
	return err;
}
