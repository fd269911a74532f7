/*
 * Jinja chat-template analysis: a small lexer and rules over its tokens.
 * See jinja_template.h for the threat.
 *
 * Why not a full Jinja parser: we never render, so we only need to know
 * which names are reached and how.  A token stream with one-token look-behind
 * and look-ahead answers that, is robust to templates that a real parser
 * would reject (a broken template can still be rendered by a lenient
 * engine), and costs O(n).  String expressions built from literals are
 * folded (concatenation with ~, + and adjacency, |join, |reverse, |replace,
 * |lower, |upper, |format with %c/%s, [::-1], dict(k=..)|join, variables set
 * from such expressions) so that the name an obfuscated expression produces
 * is checked like a plain one.  Folding has a global step budget so a
 * hostile template cannot make the analysis quadratic.
 *
 * Severity policy:
 *   CRITICAL  attribute walk to a dunder or frame/function internals
 *             (__class__, __globals__, f_globals ...), __import__ calls, or a
 *             module reached together with a process/exec call
 *   HIGH      private attributes (_x), modules (os, sys ...), exec-like
 *             calls, attribute access on Jinja/Flask globals (cycler,
 *             joiner, lipsum, namespace, self, config, request ...),
 *             obfuscated identifiers (escapes, folded dunders, '%c'|format)
 *   MEDIUM    odd but not dangerous: bare references to lipsum/self/...,
 *             |attr with a computed name, template imports, huge ranges
 * namespace(...), cycler(...), joiner(...), range(...) and dict(...) calls
 * are ordinary (Llama 3.1, Qwen and DeepSeek templates use namespace).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/jinja_template.h"

enum { T_NAME, T_STR, T_NUM, T_OP, T_BEGIN, T_END };
enum { TF_ESC_IDENT = 1, TF_ESC_NAMED = 2, TF_PCT_C = 4, TF_STMT = 8 };

typedef struct tok {
	uint8_t kind;
	uint8_t flags;
	char op[3];     /* operator text (T_OP, T_BEGIN) */
	size_t off;     /* source offset */
	size_t len;     /* source length */
	size_t sidx;    /* decoded string: offset in the pool (T_STR) */
	size_t slen;
	uint64_t num;   /* integer value (T_NUM), saturating */
} tok;

#define FOLD_MAX 128
#define FOLD_ELEMS 16
#define MAX_VARS 64
#define MAX_REASONS 24
#define FOLD_DEPTH 16

typedef struct fold {
	char s[FOLD_MAX];
	size_t n;
	bool ok;      /* the expression is a known constant */
	bool obf;     /* it was assembled (concatenation, join, format ...) */
	bool is_list;
	size_t el[FOLD_ELEMS + 1]; /* element boundaries in s (is_list) */
	size_t nel;
} fold;

typedef struct tvar {
	char name[48];
	char val[FOLD_MAX];
	size_t vlen;
	bool obf;
} tvar;

typedef struct reason {
	lc_severity sev;
	size_t off;
	char text[128];
} reason;

typedef struct an {
	const uint8_t *s;
	size_t n;
	tok *t;
	size_t nt, capt;
	char *pool;
	size_t npool;
	tvar vars[MAX_VARS];
	size_t nvars;
	reason r[MAX_REASONS];
	size_t nr;
	uint64_t budget;     /* folding steps left */
	bool budget_out;
	bool has_module, has_exec;
	size_t module_off;
	bool nomem;
} an;

static const tok sentinel = {T_END, 0, "", 0, 0, 0, 0, 0};

static const tok *at(const an *a, size_t i) { return i < a->nt ? &a->t[i] : &sentinel; }
static bool op_is(const tok *t, const char *op) { return t->kind == T_OP && strcmp(t->op, op) == 0; }
static bool name_eq(const an *a, const tok *t, const char *nm)
{
	size_t l = strlen(nm);
	return t->kind == T_NAME && t->len == l && memcmp(a->s + t->off, nm, l) == 0;
}

static bool in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == n && memcmp(*list, s, n) == 0)
			return true;
	return false;
}

/* ---- name classes ---------------------------------------------------------- */

/* Non-dunder attributes that lead from functions, generators, frames and
 * tracebacks to globals and builtins. */
static const char *const frame_attrs[] = {
	"func_globals", "func_code", "f_globals", "f_builtins", "f_locals", "f_back", "f_code",
	"gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "tb_frame", "tb_next",
	"im_func", "im_class", "im_self", "mro", NULL};
/* Modules whose reach means process or file system access. */
static const char *const module_names[] = {
	"os", "sys", "subprocess", "builtins", "modules", "importlib", "posix", "nt", "pty", "socket",
	"shutil", "ctypes", "pickle", "marshal", "commands", "popen2", NULL};
/* Never an ordinary attribute name of template data. */
static const char *const exec_strong[] = {
	"popen", "popen2", "popen3", "check_output", "check_call", "getoutput", "getstatusoutput",
	"import_module", "load_module", "spawnl", "spawnle", "spawnlp", "spawnv", "spawnve", "spawnvp",
	"execl", "execle", "execlp", "execv", "execve", "execvp", "Popen", NULL};
/* Exec-like only when called (could otherwise be a data key). */
static const char *const exec_weak[] = {"system", "eval", "exec", "open", "remove", "unlink", "rmtree",
					 "fork", "kill", "compile", NULL};
/* Bare calls that a template has no business making. */
static const char *const bare_calls[] = {
	"eval", "exec", "compile", "getattr", "setattr", "delattr", "globals", "locals", "vars", "open",
	"execfile", "breakpoint", "popen", "system", "import_module", "input", "__import__", NULL};
/* Jinja and Flask globals used as footholds by public SSTI payloads. */
static const char *const gadgets[] = {"cycler", "joiner", "lipsum", "self", "config", "request",
				      "url_for", "get_flashed_messages", "session", "application",
				      "_TemplateReference__context", NULL};
/* Globals that templates legitimately call, but whose attributes are not data. */
static const char *const callable_globals[] = {"namespace", "range", "dict", NULL};

static bool is_ident_byte(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_dunder(const char *s, size_t n)
{
	if (n < 5 || s[0] != '_' || s[1] != '_' || s[n - 1] != '_' || s[n - 2] != '_')
		return false;
	for (size_t i = 2; i + 2 < n; i++)
		if (!is_ident_byte((uint8_t)s[i]))
			return false;
	return true;
}

/* "__" letters "__" anywhere (e.g. "__class__.__mro__", "x__globals__y"). */
static bool contains_dunder(const char *s, size_t n)
{
	for (size_t i = 0; i + 4 < n; i++) {
		if (s[i] != '_' || s[i + 1] != '_')
			continue;
		size_t j = i + 2;
		while (j < n && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')))
			j++;
		if (j > i + 2 && j + 1 < n && s[j] == '_' && s[j + 1] == '_')
			return true;
	}
	return false;
}

/* ---- reasons ------------------------------------------------------------ */

LC_PRINTF(4, 5) static void add_reason(an *a, lc_severity sev, size_t off, const char *fmt, ...)
{
	char text[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < a->nr; i++) {
		if (strcmp(a->r[i].text, text) == 0) {
			if (sev > a->r[i].sev)
				a->r[i].sev = sev;
			return;
		}
	}
	size_t slot = a->nr;
	if (slot == MAX_REASONS) {
		/* Full: replace the least severe reason if this one is worse. */
		size_t lo = 0;
		for (size_t i = 1; i < a->nr; i++)
			if (a->r[i].sev < a->r[lo].sev)
				lo = i;
		if (a->r[lo].sev >= sev)
			return;
		slot = lo;
	} else {
		a->nr++;
	}
	a->r[slot].sev = sev;
	a->r[slot].off = off;
	memcpy(a->r[slot].text, text, sizeof text);
}

/* Printable excerpt of a name for a reason text. */
static const char *show(const char *s, size_t n, char *buf, size_t len)
{
	return lc_escape((const uint8_t *)s, n, 48, buf, len);
}

/* ---- lexer ---------------------------------------------------------------- */

static tok *push_tok(an *a, uint8_t kind, size_t off, size_t len)
{
	if (a->nt == a->capt) {
		size_t ncap = a->capt ? a->capt * 2 : 256;
		tok *nt = realloc(a->t, ncap * sizeof *nt);
		if (!nt) {
			a->nomem = true;
			return NULL;
		}
		a->t = nt;
		a->capt = ncap;
	}
	tok *t = &a->t[a->nt++];
	memset(t, 0, sizeof *t);
	t->kind = kind;
	t->off = off;
	t->len = len;
	return t;
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

static void pool_put_cp(an *a, uint32_t cp)
{
	uint8_t b[4];
	size_t n = lc_utf8_encode(cp, b);
	memcpy(a->pool + a->npool, b, n);
	a->npool += n;
}

/* Decodes a string literal starting at the quote s[i]; returns the offset
 * after the closing quote.  Escapes follow Python's unicode-escape, which is
 * what Jinja's lexer applies.  The pool has room: a decoded literal is never
 * longer than its source (the longest expansion, \U + 8 hex digits -> 4
 * bytes, shrinks). */
static size_t lex_string(an *a, size_t i)
{
	const uint8_t *s = a->s;
	uint8_t q = s[i];
	tok *t = push_tok(a, T_STR, i, 0);
	if (!t)
		return a->n;
	t->sidx = a->npool;
	size_t j = i + 1;
	while (j < a->n && s[j] != q) {
		if (s[j] != '\\' || j + 1 >= a->n) {
			a->pool[a->npool++] = (char)s[j++];
			continue;
		}
		uint8_t e = s[j + 1];
		uint32_t cp = 0;
		int digits = 0;
		bool numeric = true;
		j += 2;
		switch (e) {
		case 'n': cp = '\n'; numeric = false; break;
		case 't': cp = '\t'; numeric = false; break;
		case 'r': cp = '\r'; numeric = false; break;
		case 'a': cp = 7; numeric = false; break;
		case 'b': cp = 8; numeric = false; break;
		case 'f': cp = 12; numeric = false; break;
		case 'v': cp = 11; numeric = false; break;
		case '\\': case '\'': case '"': cp = e; numeric = false; break;
		case '\n': continue; /* line continuation */
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		case 'N':
			/* \N{NAME}: only the names that spell identifiers matter. */
			t->flags |= TF_ESC_NAMED;
			if (j < a->n && s[j] == '{') {
				size_t k = j;
				while (k < a->n && s[k] != '}' && k - j < 64)
					k++;
				bool low_line = k - j == 9 && memcmp(s + j + 1, "LOW LINE", 8) == 0;
				j = k < a->n ? k + 1 : k;
				a->pool[a->npool++] = low_line ? '_' : '?';
			}
			continue;
		default:
			if (e >= '0' && e <= '7') {
				cp = (uint32_t)(e - '0');
				for (int k = 0; k < 2 && j < a->n && s[j] >= '0' && s[j] <= '7'; k++)
					cp = cp * 8 + (uint32_t)(s[j++] - '0');
				break;
			}
			/* Unknown escape: kept as written. */
			a->pool[a->npool++] = '\\';
			a->pool[a->npool++] = (char)e;
			continue;
		}
		for (int k = 0; k < digits; k++) {
			int h = j < a->n ? hexval(s[j]) : -1;
			if (h < 0)
				break;
			cp = cp * 16 + (uint32_t)h;
			j++;
		}
		if (numeric && cp < 0x80 && (is_ident_byte((uint8_t)cp) || cp == '.'))
			t->flags |= TF_ESC_IDENT;
		pool_put_cp(a, cp);
	}
	t->slen = a->npool - t->sidx;
	t->len = (j < a->n ? j + 1 : j) - i;
	if (t->slen >= 2 && memmem(a->pool + t->sidx, t->slen, "%c", 2))
		t->flags |= TF_PCT_C;
	return j < a->n ? j + 1 : j;
}

/* Lexes one tag body from s[i]; returns the offset after its end marker. */
static size_t lex_tag(an *a, size_t i, bool stmt)
{
	const uint8_t *s = a->s;
	size_t n = a->n;
	int depth = 0;
	while (i < n && !a->nomem) {
		uint8_t c = s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			i++;
			continue;
		}
		if (stmt) {
			if ((c == '-' || c == '+') && i + 2 < n && s[i + 1] == '%' && s[i + 2] == '}')
				return i + 3;
			if (c == '%' && i + 1 < n && s[i + 1] == '}')
				return i + 2;
		} else if (depth == 0) {
			if (c == '-' && i + 2 < n && s[i + 1] == '}' && s[i + 2] == '}')
				return i + 3;
			if (c == '}' && i + 1 < n && s[i + 1] == '}')
				return i + 2;
		}
		if (c == '\'' || c == '"') {
			i = lex_string(a, i);
			continue;
		}
		if (c >= '0' && c <= '9') {
			size_t j = i;
			uint64_t v = 0;
			while (j < n && (is_ident_byte(s[j]) || (s[j] == '.' && j + 1 < n && s[j + 1] >= '0' && s[j + 1] <= '9'))) {
				if (s[j] >= '0' && s[j] <= '9')
					v = v > UINT64_MAX / 16 ? UINT64_MAX : v * 10 + (uint64_t)(s[j] - '0');
				j++;
			}
			tok *t = push_tok(a, T_NUM, i, j - i);
			if (t)
				t->num = v;
			i = j;
			continue;
		}
		if (is_ident_byte(c) || c >= 0x80) {
			size_t j = i;
			while (j < n && (is_ident_byte(s[j]) || s[j] >= 0x80))
				j++;
			push_tok(a, T_NAME, i, j - i);
			i = j;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		static const char *const two[] = {"**", "//", "==", "!=", "<=", ">=", NULL};
		tok *t = push_tok(a, T_OP, i, 1);
		if (!t)
			break;
		t->op[0] = (char)c;
		for (const char *const *p = two; *p; p++) {
			if (i + 1 < n && (*p)[0] == (char)c && (*p)[1] == (char)s[i + 1]) {
				t->op[1] = (char)s[i + 1];
				t->len = 2;
				break;
			}
		}
		if (c == '{')
			depth++;
		else if (c == '}' && depth > 0)
			depth--;
		i += t->len;
	}
	return n;
}

/* {% raw %} ... {% endraw %}: the body is text. */
static bool raw_block(const uint8_t *s, size_t n, size_t i, size_t *after)
{
	size_t j = i;
	if (j < n && (s[j] == '-' || s[j] == '+'))
		j++;
	while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
		j++;
	if (n - j < 3 || memcmp(s + j, "raw", 3) != 0 || (j + 3 < n && is_ident_byte(s[j + 3])))
		return false;
	const uint8_t *e = memmem(s + j, n - j, "endraw", 6);
	if (!e) {
		*after = n;
		return true;
	}
	const uint8_t *close = memmem(e, (size_t)(s + n - e), "%}", 2);
	*after = close ? (size_t)(close - s) + 2 : n;
	return true;
}

static void lex(an *a)
{
	const uint8_t *s = a->s;
	size_t n = a->n, i = 0;
	while (i + 1 < n && !a->nomem) {
		const uint8_t *p = memchr(s + i, '{', n - i - 1);
		if (!p)
			break;
		i = (size_t)(p - s);
		uint8_t c = s[i + 1];
		if (c == '#') {
			const uint8_t *e = i + 2 < n ? memmem(s + i + 2, n - i - 2, "#}", 2) : NULL;
			i = e ? (size_t)(e - s) + 2 : n;
			continue;
		}
		if (c != '{' && c != '%') {
			i++;
			continue;
		}
		bool stmt = c == '%';
		size_t after;
		if (stmt && raw_block(s, n, i + 2, &after)) {
			i = after;
			continue;
		}
		tok *b = push_tok(a, T_BEGIN, i, 2);
		if (!b)
			return;
		b->op[0] = '{';
		b->op[1] = (char)c;
		if (stmt)
			b->flags |= TF_STMT;
		size_t start = i + 2;
		if (start < n && (s[start] == '-' || s[start] == '+'))
			start++;
		i = lex_tag(a, start, stmt);
		push_tok(a, T_END, i, 0);
	}
}

/* ---- folding ---------------------------------------------------------------- */

static bool spend(an *a)
{
	if (a->budget == 0) {
		a->budget_out = true;
		return false;
	}
	a->budget--;
	return true;
}

static void fold_append(fold *f, const char *s, size_t n)
{
	if (!f->ok)
		return;
	if (n > FOLD_MAX - f->n) {
		f->ok = false; /* too long to be a name we care about */
		return;
	}
	memcpy(f->s + f->n, s, n);
	f->n += n;
}

static void fold_elem_end(fold *f)
{
	if (f->nel < FOLD_ELEMS)
		f->el[++f->nel] = f->n;
	else
		f->ok = false;
}

static size_t fold_chain(an *a, size_t i, fold *f, int depth);

static void fold_reverse(fold *f)
{
	if (f->is_list) {
		char tmp[FOLD_MAX];
		size_t k = 0;
		size_t el[FOLD_ELEMS + 1];
		el[0] = 0;
		for (size_t e = f->nel; e-- > 0;) {
			size_t l = f->el[e + 1] - f->el[e];
			memcpy(tmp + k, f->s + f->el[e], l);
			k += l;
			el[f->nel - e] = k;
		}
		memcpy(f->s, tmp, k);
		memcpy(f->el, el, (f->nel + 1) * sizeof el[0]);
	} else {
		for (size_t x = 0, y = f->n; x + 1 < y; x++, y--) {
			char c = f->s[x];
			f->s[x] = f->s[y - 1];
			f->s[y - 1] = c;
		}
	}
}

/* Skips one argument (up to ',' or ')' at depth 0); returns its end. */
static size_t skip_arg(an *a, size_t i)
{
	int depth = 0;
	while (i < a->nt && a->t[i].kind != T_END && spend(a)) {
		const tok *t = &a->t[i];
		if (t->kind == T_OP) {
			char c = t->op[0];
			if (t->op[1] == 0 && (c == '(' || c == '[' || c == '{'))
				depth++;
			else if (t->op[1] == 0 && (c == ')' || c == ']' || c == '}')) {
				if (depth == 0)
					return i;
				depth--;
			} else if (depth == 0 && op_is(t, ","))
				return i;
		}
		i++;
	}
	return i;
}

/* dict(k1=..., k2=...): the keys, as a list (what |join iterates). */
static size_t fold_dict_call(an *a, size_t i, fold *f)
{
	f->is_list = true;
	size_t j = i + 2; /* after "dict" "(" */
	while (f->ok && spend(a)) {
		const tok *t = at(a, j);
		if (op_is(t, ")"))
			return j + 1;
		if (t->kind != T_NAME || !op_is(at(a, j + 1), "=")) {
			f->ok = false;
			return j;
		}
		fold_append(f, (const char *)a->s + t->off, t->len);
		fold_elem_end(f);
		j = skip_arg(a, j + 2);
		if (op_is(at(a, j), ","))
			j++;
	}
	f->ok = false;
	return j;
}

static size_t fold_primary(an *a, size_t i, fold *f, int depth)
{
	const tok *t = at(a, i);
	if (!spend(a) || depth > FOLD_DEPTH) {
		f->ok = false;
		return i;
	}
	if (t->kind == T_STR) {
		fold_append(f, a->pool + t->sidx, t->slen);
		if (t->flags & (TF_ESC_IDENT | TF_ESC_NAMED))
			f->obf = true;
		i++;
		while (at(a, i)->kind == T_STR && spend(a)) { /* 'a' 'b' is 'ab' in Jinja */
			t = at(a, i);
			fold_append(f, a->pool + t->sidx, t->slen);
			f->obf = true;
			i++;
		}
		return i;
	}
	if (t->kind == T_NAME) {
		if (name_eq(a, t, "dict") && op_is(at(a, i + 1), "("))
			return fold_dict_call(a, i, f);
		for (size_t v = 0; v < a->nvars; v++) {
			if (strlen(a->vars[v].name) == t->len && memcmp(a->vars[v].name, a->s + t->off, t->len) == 0) {
				fold_append(f, a->vars[v].val, a->vars[v].vlen);
				f->obf |= a->vars[v].obf;
				return i + 1;
			}
		}
		f->ok = false;
		return i + 1;
	}
	if (op_is(t, "(")) {
		size_t j = fold_chain(a, i + 1, f, depth + 1);
		if (!op_is(at(a, j), ")")) {
			f->ok = false;
			return j;
		}
		return j + 1;
	}
	if (op_is(t, "[")) {
		f->is_list = true;
		size_t j = i + 1;
		if (op_is(at(a, j), "]"))
			return j + 1;
		while (f->ok) {
			fold g = {.ok = true};
			j = fold_chain(a, j, &g, depth + 1);
			if (!g.ok || g.is_list) {
				f->ok = false;
				return j;
			}
			f->obf |= g.obf;
			fold_append(f, g.s, g.n);
			fold_elem_end(f);
			if (op_is(at(a, j), ",")) {
				j++;
				continue;
			}
			if (op_is(at(a, j), "]"))
				return j + 1;
			f->ok = false;
		}
		return j;
	}
	f->ok = false;
	return i;
}

/* One argument of a filter call: a number or a foldable string. */
static size_t fold_arg(an *a, size_t i, fold *f, bool *is_num, uint64_t *num, int depth)
{
	*is_num = false;
	if (at(a, i)->kind == T_NUM && (op_is(at(a, i + 1), ",") || op_is(at(a, i + 1), ")"))) {
		*is_num = true;
		*num = at(a, i)->num;
		return i + 1;
	}
	return fold_chain(a, i, f, depth + 1);
}

/* '%c%s'|format(...) evaluated on the folded value. */
static size_t fold_format(an *a, size_t i, fold *f, int depth)
{
	char out[FOLD_MAX];
	size_t on = 0, k = 0;
	size_t j = i;
	bool pct_c = false;
	while (k < f->n && f->ok) {
		char c = f->s[k++];
		if (c != '%') {
			if (on < FOLD_MAX)
				out[on++] = c;
			continue;
		}
		char spec = k < f->n ? f->s[k++] : 0;
		if (spec == '%') {
			if (on < FOLD_MAX)
				out[on++] = '%';
			continue;
		}
		fold g = {.ok = true};
		bool isnum;
		uint64_t num = 0;
		j = fold_arg(a, j, &g, &isnum, &num, depth);
		if (op_is(at(a, j), ","))
			j++;
		if (spec == 'c' && isnum) {
			pct_c = true;
			if (on < FOLD_MAX)
				out[on++] = num < 0x80 ? (char)num : '?';
		} else if ((spec == 's' || spec == 'c') && !isnum && g.ok) {
			pct_c |= spec == 'c';
			size_t l = spec == 'c' ? (g.n ? 1 : 0) : g.n;
			if (l > FOLD_MAX - on)
				l = FOLD_MAX - on;
			memcpy(out + on, g.s, l);
			on += l;
		} else if ((spec == 's' || spec == 'd' || spec == 'i') && isnum) {
			on += (size_t)snprintf(out + on, FOLD_MAX - on, "%llu", (unsigned long long)num);
			if (on > FOLD_MAX)
				on = FOLD_MAX;
		} else {
			f->ok = false;
		}
	}
	if (pct_c)
		f->obf = true;
	memcpy(f->s, out, on);
	f->n = on;
	/* Skip what remains of the argument list. */
	while (!op_is(at(a, j), ")") && at(a, j)->kind != T_END && j < a->nt && spend(a))
		j++;
	return op_is(at(a, j), ")") ? j + 1 : j;
}

static void fold_replace_all(fold *f, const fold *from, const fold *to)
{
	if (from->n == 0)
		return;
	char out[FOLD_MAX];
	size_t on = 0;
	for (size_t k = 0; k < f->n;) {
		if (from->n <= f->n - k && memcmp(f->s + k, from->s, from->n) == 0) {
			if (to->n > FOLD_MAX - on) {
				f->ok = false;
				return;
			}
			memcpy(out + on, to->s, to->n);
			on += to->n;
			k += from->n;
		} else {
			if (on == FOLD_MAX) {
				f->ok = false;
				return;
			}
			out[on++] = f->s[k++];
		}
	}
	memcpy(f->s, out, on);
	f->n = on;
}

static size_t fold_unary(an *a, size_t i, fold *f, int depth)
{
	size_t j = fold_primary(a, i, f, depth);
	while (f->ok && spend(a)) {
		/* [::-1] reverses */
		if (op_is(at(a, j), "[") && op_is(at(a, j + 1), ":") && op_is(at(a, j + 2), ":") &&
		    op_is(at(a, j + 3), "-") && at(a, j + 4)->kind == T_NUM && at(a, j + 4)->num == 1 &&
		    op_is(at(a, j + 5), "]")) {
			fold_reverse(f);
			f->obf = true;
			j += 6;
			continue;
		}
		/* 'x' * N repeats ('_'*2 spells a dunder's underscores) */
		if (op_is(at(a, j), "*") && at(a, j + 1)->kind == T_NUM && !f->is_list) {
			uint64_t times = at(a, j + 1)->num;
			if (f->n && times > FOLD_MAX / f->n) {
				f->ok = false;
				return j + 2;
			}
			size_t one = f->n;
			f->n = 0;
			char piece[FOLD_MAX];
			memcpy(piece, f->s, one);
			for (uint64_t r = 0; r < times; r++)
				fold_append(f, piece, one);
			f->obf = true;
			j += 2;
			continue;
		}
		if (!op_is(at(a, j), "|") || at(a, j + 1)->kind != T_NAME)
			break;
		const tok *fn = at(a, j + 1);
		bool args = op_is(at(a, j + 2), "(");
		size_t k = args ? j + 3 : j + 2;
		if (name_eq(a, fn, "join")) {
			fold sep = {.ok = true};
			if (args && !op_is(at(a, k), ")"))
				k = fold_chain(a, k, &sep, depth + 1);
			if (args && !op_is(at(a, k), ")"))
				f->ok = false;
			if (args)
				k++;
			if (f->is_list && sep.ok && sep.n) {
				char out[FOLD_MAX];
				size_t on = 0;
				for (size_t e = 0; e < f->nel && f->ok; e++) {
					size_t l = f->el[e + 1] - f->el[e];
					if (l + sep.n > FOLD_MAX - on) {
						f->ok = false;
						break;
					}
					if (e) {
						memcpy(out + on, sep.s, sep.n);
						on += sep.n;
					}
					memcpy(out + on, f->s + f->el[e], l);
					on += l;
				}
				memcpy(f->s, out, on);
				f->n = on;
			}
			f->ok &= sep.ok;
			f->is_list = false;
			f->obf = true;
			j = k;
		} else if (name_eq(a, fn, "reverse")) {
			fold_reverse(f);
			f->obf = true;
			j = k;
		} else if (name_eq(a, fn, "lower") || name_eq(a, fn, "upper")) {
			bool up = name_eq(a, fn, "upper");
			for (size_t x = 0; x < f->n; x++) {
				char c = f->s[x];
				if (up && c >= 'a' && c <= 'z')
					f->s[x] = (char)(c - 32);
				else if (!up && c >= 'A' && c <= 'Z')
					f->s[x] = (char)(c + 32);
			}
			f->obf = true;
			j = args ? k + 1 : k;
		} else if ((name_eq(a, fn, "string") || name_eq(a, fn, "safe")) && !args) {
			j = k;
		} else if (name_eq(a, fn, "replace") && args && !f->is_list) {
			fold from = {.ok = true}, to = {.ok = true};
			k = fold_chain(a, k, &from, depth + 1);
			if (op_is(at(a, k), ","))
				k = fold_chain(a, k + 1, &to, depth + 1);
			else
				to.ok = false;
			while (!op_is(at(a, k), ")") && at(a, k)->kind != T_END && k < a->nt && spend(a))
				k++;
			if (!from.ok || !to.ok || !op_is(at(a, k), ")")) {
				f->ok = false;
				return k;
			}
			fold_replace_all(f, &from, &to);
			f->obf = true;
			j = k + 1;
		} else if (name_eq(a, fn, "format") && args && !f->is_list) {
			j = fold_format(a, k, f, depth);
		} else {
			f->ok = false;
			return j;
		}
	}
	return j;
}

static size_t fold_chain(an *a, size_t i, fold *f, int depth)
{
	size_t j = fold_unary(a, i, f, depth);
	while (f->ok && (op_is(at(a, j), "~") || op_is(at(a, j), "+")) && spend(a)) {
		fold g = {.ok = true};
		j = fold_unary(a, j + 1, &g, depth);
		if (!g.ok) {
			f->ok = false;
			break;
		}
		if (f->is_list && g.is_list) {
			for (size_t e = 0; e < g.nel && f->ok; e++) {
				fold_append(f, g.s + g.el[e], g.el[e + 1] - g.el[e]);
				fold_elem_end(f);
			}
		} else if (!f->is_list && !g.is_list) {
			fold_append(f, g.s, g.n);
		} else {
			f->ok = false;
		}
		f->obf = true;
	}
	return j;
}

/* ---- checks ------------------------------------------------------------------- */

enum via { VIA_DOT, VIA_SUBSCRIPT, VIA_FILTER, VIA_DOTTED };

static const char *via_name(enum via how)
{
	switch (how) {
	case VIA_DOT: return ".attr";
	case VIA_SUBSCRIPT: return "[...]";
	case VIA_FILTER: return "|attr()";
	default: return "attribute=";
	}
}

/* A name reached as an attribute or item of something. */
static void check_attr1(an *a, const char *nm, size_t n, enum via how, bool obf, bool called, size_t off)
{
	char b[160];
	if (n == 0)
		return;
	if (is_dunder(nm, n) || in_list(nm, n, frame_attrs)) {
		add_reason(a, LC_SEV_CRITICAL, off, "attribute walk to %s (via %s)", show(nm, n, b, sizeof b),
			   via_name(how));
	} else if (nm[0] == '_' && (how != VIA_SUBSCRIPT || memmem(nm, n, "__", 2))) {
		/* Jinja's getattr path refuses _names in the sandbox; a subscript
		 * with a plain _key is usually data, a mangled _Class__name is not. */
		add_reason(a, LC_SEV_HIGH, off, "private attribute %s (via %s)", show(nm, n, b, sizeof b),
			   via_name(how));
	} else if (in_list(nm, n, module_names)) {
		add_reason(a, LC_SEV_HIGH, off, "reaches module %s", show(nm, n, b, sizeof b));
		if (!a->has_module)
			a->module_off = off;
		a->has_module = true;
	} else if (in_list(nm, n, exec_strong) || (called && in_list(nm, n, exec_weak))) {
		add_reason(a, LC_SEV_HIGH, off, "process/exec function %s%s", show(nm, n, b, sizeof b),
			   called ? " called" : " reached");
		a->has_exec = true;
	} else if (in_list(nm, n, gadgets)) {
		add_reason(a, LC_SEV_HIGH, off, "Jinja/Flask global %s reached through an attribute",
			   show(nm, n, b, sizeof b));
	} else if (obf) {
		add_reason(a, LC_SEV_MEDIUM, off, "attribute name %s assembled at render time",
			   show(nm, n, b, sizeof b));
		return;
	} else {
		return;
	}
	if (obf)
		add_reason(a, LC_SEV_HIGH, off, "obfuscated attribute name %s", show(nm, n, b, sizeof b));
}

static void check_attr(an *a, const char *nm, size_t n, enum via how, bool obf, bool called, size_t off)
{
	if (how != VIA_DOTTED) {
		check_attr1(a, nm, n, how, obf, called, off);
		return;
	}
	/* Jinja's attribute= arguments accept dotted paths ("a.b.c"). */
	size_t k = 0;
	while (k <= n) {
		size_t e = k;
		while (e < n && nm[e] != '.')
			e++;
		check_attr1(a, nm + k, e - k, how, obf, false, off);
		k = e + 1;
	}
}

/* A string constant (literal or folded) standing on its own. */
static void check_constant(an *a, const fold *f, size_t off)
{
	char b[160];
	if (!f->ok || f->n == 0)
		return;
	if (contains_dunder(f->s, f->n)) {
		if (f->obf)
			add_reason(a, LC_SEV_HIGH, off, "dunder name %s assembled from pieces",
				   show(f->s, f->n, b, sizeof b));
		else
			add_reason(a, LC_SEV_HIGH, off, "dunder name %s in a string", show(f->s, f->n, b, sizeof b));
		return;
	}
	if (!f->obf)
		return;
	if (in_list(f->s, f->n, module_names) || in_list(f->s, f->n, exec_strong) ||
	    in_list(f->s, f->n, bare_calls) || in_list(f->s, f->n, frame_attrs) ||
	    (f->n >= 1 && f->s[0] == '_' && f->n > 1))
		add_reason(a, LC_SEV_HIGH, off, "name %s assembled from pieces", show(f->s, f->n, b, sizeof b));
}

/* Index of the token after the matching ')' of the '(' at i (bounded). */
static size_t match_paren(an *a, size_t i)
{
	int depth = 0;
	for (size_t j = i; j < a->nt && a->t[j].kind != T_END; j++) {
		if (op_is(&a->t[j], "("))
			depth++;
		else if (op_is(&a->t[j], ")") && --depth == 0)
			return j + 1;
		if (!spend(a))
			return j;
	}
	return a->nt;
}

/* Arguments of selectattr/rejectattr/map/groupby/sort/...: attribute names. */
static void check_filter_args(an *a, size_t fi)
{
	const tok *fn = at(a, fi);
	size_t open = fi + 1;
	if (!op_is(at(a, open), "("))
		return;
	size_t end = match_paren(a, open);
	bool first_is_attr = name_eq(a, fn, "selectattr") || name_eq(a, fn, "rejectattr") ||
			     name_eq(a, fn, "groupby");
	bool map_attr = name_eq(a, fn, "map") && at(a, open + 1)->kind == T_STR &&
			at(a, open + 1)->slen == 4 && memcmp(a->pool + at(a, open + 1)->sidx, "attr", 4) == 0;
	if (first_is_attr && at(a, open + 1)->kind != T_NAME) {
		fold f = {.ok = true};
		fold_chain(a, open + 1, &f, 0);
		if (f.ok)
			check_attr(a, f.s, f.n, VIA_DOTTED, f.obf, false, at(a, open + 1)->off);
	}
	if (map_attr && op_is(at(a, open + 2), ",")) {
		fold f = {.ok = true};
		fold_chain(a, open + 3, &f, 0);
		if (f.ok)
			check_attr(a, f.s, f.n, VIA_FILTER, f.obf, false, at(a, open + 3)->off);
		else
			add_reason(a, LC_SEV_MEDIUM, at(a, open)->off, "map('attr', ...) with a computed name");
	}
	for (size_t j = open + 1; j + 2 < end; j++) {
		if (name_eq(a, at(a, j), "attribute") && op_is(at(a, j + 1), "=")) {
			fold f = {.ok = true};
			fold_chain(a, j + 2, &f, 0);
			if (f.ok)
				check_attr(a, f.s, f.n, VIA_DOTTED, f.obf, false, at(a, j + 2)->off);
		}
	}
}

/* Is the token before i the end of a value (so '[' is a subscript)? */
static bool ends_value(const an *a, const tok *p)
{
	static const char *const keywords[] = {"in", "and", "or", "not", "if", "else", "is", "elif", NULL};
	if (p->kind == T_NAME)
		return !in_list((const char *)a->s + p->off, p->len, keywords);
	return p->kind == T_STR || op_is(p, ")") || op_is(p, "]");
}

static void record_var(an *a, size_t i)
{
	/* {% set NAME = expr %} */
	const tok *nm = at(a, i);
	if (nm->kind != T_NAME || !op_is(at(a, i + 1), "=") || nm->len >= sizeof a->vars[0].name)
		return;
	fold f = {.ok = true};
	size_t j = fold_chain(a, i + 2, &f, 0);
	tvar *v = NULL;
	for (size_t k = 0; k < a->nvars; k++)
		if (strlen(a->vars[k].name) == nm->len && memcmp(a->vars[k].name, a->s + nm->off, nm->len) == 0)
			v = &a->vars[k];
	bool whole = at(a, j)->kind == T_END;
	if (!f.ok || f.is_list || !whole) {
		if (v) /* reassigned to something unknown */
			v->name[0] = '\0';
		return;
	}
	if (!v) {
		if (a->nvars == MAX_VARS)
			return;
		v = &a->vars[a->nvars++];
	}
	memcpy(v->name, a->s + nm->off, nm->len);
	v->name[nm->len] = '\0';
	memcpy(v->val, f.s, f.n);
	v->vlen = f.n;
	v->obf = f.obf;
}

static void analyse_tokens(an *a)
{
	char b[160];
	for (size_t i = 0; i < a->nt; i++) {
		const tok *t = &a->t[i];
		const tok *prev = i ? &a->t[i - 1] : &sentinel;
		const tok *next = at(a, i + 1);
		switch (t->kind) {
		case T_BEGIN:
			if (!(t->flags & TF_STMT))
				break;
			if (name_eq(a, next, "import") || name_eq(a, next, "include") || name_eq(a, next, "extends") ||
			    name_eq(a, next, "from"))
				add_reason(a, LC_SEV_MEDIUM, t->off, "{%% %.*s %%} loads another template",
					   (int)next->len, (const char *)a->s + next->off);
			if (name_eq(a, next, "set"))
				record_var(a, i + 2);
			break;
		case T_OP:
			if (op_is(t, ".") && next->kind == T_NAME) {
				bool called = op_is(at(a, i + 2), "(");
				check_attr(a, (const char *)a->s + next->off, next->len, VIA_DOT, false, called, next->off);
				/* .get('os'), .pop('__class__') ... are subscripts too. */
				static const char *const getters[] = {"get", "pop", "setdefault", NULL};
				if (called && in_list((const char *)a->s + next->off, next->len, getters)) {
					fold f = {.ok = true};
					size_t j = fold_chain(a, i + 3, &f, 0);
					if (f.ok && !f.is_list && (op_is(at(a, j), ")") || op_is(at(a, j), ",")))
						check_attr(a, f.s, f.n, VIA_SUBSCRIPT, f.obf, op_is(at(a, j + 1), "("),
							   at(a, i + 3)->off);
				}
			} else if (op_is(t, "[") && ends_value(a, prev)) {
				fold f = {.ok = true};
				size_t j = fold_chain(a, i + 1, &f, 0);
				if (f.ok && !f.is_list && op_is(at(a, j), "]"))
					check_attr(a, f.s, f.n, VIA_SUBSCRIPT, f.obf, op_is(at(a, j + 1), "("),
						   at(a, i + 1)->off);
			} else if (op_is(t, "|") && next->kind == T_NAME) {
				if (name_eq(a, next, "attr") && op_is(at(a, i + 2), "(")) {
					fold f = {.ok = true};
					size_t j = fold_chain(a, i + 3, &f, 0);
					if (f.ok && !f.is_list)
						check_attr(a, f.s, f.n, VIA_FILTER, f.obf,
							   op_is(at(a, j), ")") && op_is(at(a, j + 1), "("), at(a, i + 3)->off);
					else
						add_reason(a, LC_SEV_MEDIUM, next->off, "|attr() with a computed name");
				} else if (name_eq(a, next, "format") && prev->kind == T_STR && (prev->flags & TF_PCT_C)) {
					add_reason(a, LC_SEV_HIGH, prev->off, "characters assembled with '%%c'|format()");
				} else {
					check_filter_args(a, i + 1);
				}
			}
			break;
		case T_STR:
			if (t->flags & TF_ESC_IDENT)
				add_reason(a, LC_SEV_HIGH, t->off, "identifier characters written as escapes in %s",
					   lc_escape(a->s + t->off, t->len, 40, b, sizeof b));
			if (t->flags & TF_ESC_NAMED)
				add_reason(a, LC_SEV_HIGH, t->off, "\\N{...} escape in %s",
					   lc_escape(a->s + t->off, t->len, 40, b, sizeof b));
			if (prev->kind != T_STR && !op_is(prev, "~") && !op_is(prev, "+")) {
				fold f = {.ok = true};
				fold_chain(a, i, &f, 0);
				if (f.ok)
					check_constant(a, &f, t->off);
				else if (t->slen && contains_dunder(a->pool + t->sidx, t->slen))
					add_reason(a, LC_SEV_HIGH, t->off, "dunder name %s in a string",
						   show(a->pool + t->sidx, t->slen, b, sizeof b));
			}
			break;
		case T_NAME: {
			if (op_is(prev, "."))
				break; /* attribute: checked at the '.' */
			const char *nm = (const char *)a->s + t->off;
			bool call = op_is(next, "(");
			bool access = op_is(next, ".") || op_is(next, "[") ||
				      (op_is(next, "|") && name_eq(a, at(a, i + 2), "attr"));
			if (op_is(next, "=") && !(prev->kind == T_BEGIN || name_eq(a, prev, "set")))
				break; /* keyword argument name */
			if (t->len == 10 && memcmp(nm, "__import__", 10) == 0) {
				add_reason(a, LC_SEV_CRITICAL, t->off, "__import__ %s", call ? "called" : "referenced");
			} else if (call && in_list(nm, t->len, bare_calls)) {
				add_reason(a, LC_SEV_HIGH, t->off, "%s() called", show(nm, t->len, b, sizeof b));
				if (in_list(nm, t->len, exec_strong) || (t->len == 4 && memcmp(nm, "eval", 4) == 0) ||
				    (t->len == 4 && memcmp(nm, "exec", 4) == 0))
					a->has_exec = true;
			} else if (is_dunder(nm, t->len)) {
				add_reason(a, LC_SEV_HIGH, t->off, "dunder name %s", show(nm, t->len, b, sizeof b));
			} else if (in_list(nm, t->len, gadgets)) {
				if (access)
					add_reason(a, LC_SEV_HIGH, t->off, "attribute access on Jinja/Flask global %s",
						   show(nm, t->len, b, sizeof b));
				else if (!call || !(name_eq(a, t, "cycler") || name_eq(a, t, "joiner")))
					add_reason(a, LC_SEV_MEDIUM, t->off, "reference to Jinja/Flask global %s",
						   show(nm, t->len, b, sizeof b));
			} else if (in_list(nm, t->len, callable_globals)) {
				if (access)
					add_reason(a, LC_SEV_HIGH, t->off, "attribute access on Jinja global %s",
						   show(nm, t->len, b, sizeof b));
				else if (call && name_eq(a, t, "range")) {
					/* range(N) with a huge N: a rendering denial of service. */
					size_t end = match_paren(a, i + 1);
					for (size_t j = i + 2; j < end; j++)
						if (at(a, j)->kind == T_NUM && at(a, j)->num > 10000000) {
							add_reason(a, LC_SEV_MEDIUM, t->off, "range() over %llu items",
								   (unsigned long long)at(a, j)->num);
							break;
						}
				} else if (call && name_eq(a, t, "dict") && !op_is(prev, "~") && !op_is(prev, "+")) {
					fold f = {.ok = true};
					fold_chain(a, i, &f, 0);
					if (f.ok && !f.is_list)
						check_constant(a, &f, t->off);
				}
			} else if (t->len == 1 && nm[0] == '_' ) {
				/* gettext alias, harmless */
			} else if (access && in_list(nm, t->len, module_names)) {
				add_reason(a, LC_SEV_HIGH, t->off, "reaches module %s", show(nm, t->len, b, sizeof b));
				if (!a->has_module)
					a->module_off = t->off;
				a->has_module = true;
			}
			break;
		}
		default:
			break;
		}
		if (a->nomem)
			return;
	}
	if (a->has_module && a->has_exec)
		add_reason(a, LC_SEV_CRITICAL, a->module_off, "module reached and a process/exec function called");
	if (a->budget_out)
		add_reason(a, LC_SEV_MEDIUM, 0, "analysis budget exhausted (deeply nested expressions)");
}

static int cmp_reason(const void *x, const void *y)
{
	const reason *p = x, *q = y;
	if (p->sev != q->sev)
		return p->sev > q->sev ? -1 : 1;
	return p->off < q->off ? -1 : p->off > q->off;
}

bool lc_jinja_analyse(const uint8_t *s, size_t n, lc_tmpl_verdict *v)
{
	memset(v, 0, sizeof *v);
	an *a = calloc(1, sizeof *a);
	if (!a)
		return false;
	a->s = s;
	a->n = n;
	a->pool = malloc(n ? n : 1);
	bool ok = a->pool != NULL;
	if (ok) {
		lex(a);
		/* Linear bound on all folding work. */
		a->budget = 64 * (uint64_t)a->nt + 100000;
		if (!a->nomem)
			analyse_tokens(a);
		ok = !a->nomem;
	}
	if (ok && a->nr) {
		qsort(a->r, a->nr, sizeof a->r[0], cmp_reason);
		v->flagged = 1;
		v->sev = a->r[0].sev;
		v->offset = a->r[0].off;
		size_t o = 0;
		for (size_t i = 0; i < a->nr && o + 1 < sizeof v->reasons; i++) {
			int w = snprintf(v->reasons + o, sizeof v->reasons - o, "%s%s", i ? "; " : "", a->r[i].text);
			if (w < 0)
				break;
			o += (size_t)w;
		}
		if (o >= sizeof v->reasons)
			memcpy(v->reasons + sizeof v->reasons - 4, "...", 4);
	}
	free(a->t);
	free(a->pool);
	free(a);
	return ok;
}

bool lc_jinja_looks_like_template(const uint8_t *s, size_t n)
{
	return n >= 2 && (memmem(s, n, "{%", 2) || memmem(s, n, "{{", 2));
}

lc_err lc_jinja_check(lc_ctx *ctx, const char *rule, const char *where, const uint8_t *s, size_t n,
		      uint64_t offset)
{
	if (n > lc_lim(ctx, LC_LIMIT_template_max_size))
		return lc_limit_hit(ctx, LC_LIMIT_template_max_size, offset, "chat template size");
	lc_tmpl_verdict v;
	if (!lc_jinja_analyse(s, n, &v))
		return lc_fail(ctx, LC_E_NOMEM, offset, "out of memory analysing template %s", where);
	if (!v.flagged)
		return LC_OK;
	size_t from = v.offset > 40 ? v.offset - 40 : 0;
	char ev[400];
	lc_escape(s + from, n - from, 160, ev, sizeof ev);
	const char *what = v.sev >= LC_SEV_CRITICAL ? "sandbox escape"
			   : v.sev >= LC_SEV_HIGH   ? "sandbox-escape constructs"
						    : "unusual constructs";
	lc_finding_add(ctx, v.sev, rule, offset == LC_NO_OFFSET ? LC_NO_OFFSET : offset + v.offset, where, ev,
		       "chat template %s: %s: %s", where, what, v.reasons);
	return LC_OK;
}
