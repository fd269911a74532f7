/*
 * Model configuration files: JSON ("model-config") and YAML ("yaml-config").
 * See model_config.h for the keys that matter and why.
 *
 * Both syntaxes are walked by one walker over a small node abstraction
 * (a jansson value or a libyaml document node), depth-first, with an explicit
 * depth parameter bounded by config_max_depth and a visit budget
 * (config_max_nodes).  YAML aliases are references to earlier nodes (and
 * libyaml even allows a node to contain an alias to itself), so a walk that
 * follows them visits a graph that can be exponentially larger than the text
 * (billion laughs) or infinite: the visit budget is what bounds it, and the
 * alias-expanded size is also what a Python loader would build, so hitting
 * the budget is reported as an error, never as a clean scan.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "analyze/pickle_policy.h"
#include "formats/code.h"
#include "formats/model_config.h"

/* ---- _target_ allowlist --------------------------------------------------
 * Dotted prefixes of libraries whose public names are model, layer,
 * optimizer, scheduler, transform or data-pipeline constructors: a Hydra
 * config that instantiates them is ordinary.  A prefix covers itself and
 * everything below it ("torch.nn" covers "torch.nn.Linear").
 * Deliberately absent: hydra.utils.* (get_class/get_method/call/instantiate
 * resolve further names), builtins.*, functools.partial, operator.*,
 * importlib, omegaconf (OmegaConf.load reads files), datasets (load_dataset
 * runs dataset scripts), torchvision.datasets (downloads), lightning.app (runs
 * processes and servers).  The pickle denylist is checked first, so e.g.
 * torch.utils.data.datapipes.utils.decoder stays dangerous. */
static const char *const target_allow[] = {
	"torch.nn",
	"torch.optim",
	"torch.utils.data",
	"torch.distributions",
	"torch.amp",
	"torch.cuda.amp",
	"torchvision.transforms",
	"torchvision.models",
	"torchvision.ops",
	"torchaudio.transforms",
	"torchaudio.models",
	"torchmetrics",
	"transformers",
	"peft",
	"diffusers.models",
	"diffusers.schedulers",
	"nemo.collections",
	"nemo.core.optim",
	"nemo.core.config",
	"pytorch_lightning",
	"lightning.pytorch",
	"lightning.fabric",
	"timm",
	"albumentations",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int target_allowed(const char *t)
{
	for (size_t i = 0; i < NELEM(target_allow); i++) {
		size_t n = strlen(target_allow[i]);
		if (strncmp(t, target_allow[i], n) == 0 && (t[n] == '\0' || t[n] == '.'))
			return 1;
	}
	return 0;
}

/* ---- node abstraction ---------------------------------------------------- */

typedef struct cnode {
	json_t *j;      /* JSON value, or NULL */
	yaml_node_t *y; /* YAML node, or NULL */
} cnode;

enum ckind { CK_NONE, CK_NULL, CK_STR, CK_TRUE, CK_SCALAR, CK_MAP, CK_SEQ };

typedef struct cwalk {
	lc_ctx *ctx;
	yaml_document_t *doc; /* YAML document being walked, or NULL */
	uint64_t nodes;       /* visits so far (aliases re-counted) */
	uint64_t max_nodes;
	uint64_t max_depth;
	lc_err err;           /* sticky: first limit hit */
	const char *dir;      /* directory of the file on disk, or NULL */
} cwalk;

static int yaml_plain_is(const yaml_node_t *y, const char *const *words)
{
	if (y->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (; *words; words++)
		if (y->data.scalar.length == strlen(*words) &&
		    memcmp(y->data.scalar.value, *words, y->data.scalar.length) == 0)
			return 1;
	return 0;
}

static enum ckind cn_kind(cnode n)
{
	/* YAML 1.1 core schema words, as PyYAML resolves plain scalars. */
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", NULL};
	if (n.j) {
		switch (json_typeof(n.j)) {
		case JSON_OBJECT:
			return CK_MAP;
		case JSON_ARRAY:
			return CK_SEQ;
		case JSON_STRING:
			return CK_STR;
		case JSON_TRUE:
			return CK_TRUE;
		case JSON_NULL:
			return CK_NULL;
		default:
			return CK_SCALAR;
		}
	}
	if (n.y) {
		switch (n.y->type) {
		case YAML_MAPPING_NODE:
			return CK_MAP;
		case YAML_SEQUENCE_NODE:
			return CK_SEQ;
		case YAML_SCALAR_NODE:
			if (yaml_plain_is(n.y, nulls))
				return CK_NULL;
			if (yaml_plain_is(n.y, trues))
				return CK_TRUE;
			return CK_STR;
		default:
			return CK_NONE;
		}
	}
	return CK_NONE;
}

/* String value of a scalar (may hold NUL bytes: check len). */
static const char *cn_str(cnode n, size_t *len)
{
	if (n.j && json_is_string(n.j)) {
		*len = json_string_length(n.j);
		return json_string_value(n.j);
	}
	if (n.y && n.y->type == YAML_SCALAR_NODE) {
		*len = n.y->data.scalar.length;
		return (const char *)n.y->data.scalar.value;
	}
	*len = 0;
	return NULL;
}

static uint64_t cn_off(cnode n) { return n.y ? (uint64_t)n.y->start_mark.index : LC_NO_OFFSET; }

/* Iterator over the pairs of a mapping or the items of a sequence. */
typedef struct citer {
	cnode n;
	void *jit;
	size_t i;
} citer;

static void cit_init(citer *it, cnode n)
{
	it->n = n;
	it->i = 0;
	it->jit = n.j && json_is_object(n.j) ? json_object_iter(n.j) : NULL;
}

/* Next child; key/klen are set for mapping pairs with a scalar key (else
 * NULL/0).  Returns 0 at the end. */
static int cit_next(const cwalk *w, citer *it, const char **key, size_t *klen, cnode *val)
{
	*key = NULL;
	*klen = 0;
	val->j = NULL;
	val->y = NULL;
	if (it->n.j) {
		if (json_is_object(it->n.j)) {
			if (!it->jit)
				return 0;
			*key = json_object_iter_key(it->jit);
			*klen = json_object_iter_key_len(it->jit);
			val->j = json_object_iter_value(it->jit);
			it->jit = json_object_iter_next(it->n.j, it->jit);
			return 1;
		}
		if (json_is_array(it->n.j) && it->i < json_array_size(it->n.j)) {
			val->j = json_array_get(it->n.j, it->i++);
			return 1;
		}
		return 0;
	}
	if (!it->n.y || !w->doc)
		return 0;
	if (it->n.y->type == YAML_MAPPING_NODE) {
		yaml_node_pair_t *p = it->n.y->data.mapping.pairs.start + it->i;
		if (p >= it->n.y->data.mapping.pairs.top)
			return 0;
		it->i++;
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE) {
			*key = (const char *)k->data.scalar.value;
			*klen = k->data.scalar.length;
		}
		val->y = yaml_document_get_node(w->doc, p->value);
		return 1;
	}
	if (it->n.y->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *p = it->n.y->data.sequence.items.start + it->i;
		if (p >= it->n.y->data.sequence.items.top)
			return 0;
		it->i++;
		val->y = yaml_document_get_node(w->doc, *p);
		return 1;
	}
	return 0;
}

static int key_is(const char *k, size_t kl, const char *want) { return k && kl == strlen(want) && memcmp(k, want, kl) == 0; }

/* Copies a scalar into buf as a C string; 0 when it does not fit or holds
 * a NUL byte (then the caller reports the escaped bytes instead). */
static int cn_cstr(cnode n, char *buf, size_t buflen)
{
	size_t len;
	const char *s = cn_str(n, &len);
	if (!s || len >= buflen || memchr(s, '\0', len))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 1;
}

static const char *cn_escape(cnode n, char *buf, size_t buflen)
{
	size_t len;
	const char *s = cn_str(n, &len);
	return lc_escape((const uint8_t *)(s ? s : ""), len, 120, buf, buflen);
}

/* A mapping key for messages: as is when it is short printable ASCII,
 * escaped (quoted) otherwise. */
static const char *key_text(const char *k, size_t kl, char *buf, size_t buflen)
{
	size_t i;
	if (!k)
		return "?";
	for (i = 0; i < kl && i < 80 && k[i] > 0x20 && k[i] < 0x7f && k[i] != '"'; i++)
		;
	if (i == kl && kl < buflen) {
		memcpy(buf, k, kl);
		buf[kl] = '\0';
		return buf;
	}
	return lc_escape((const uint8_t *)k, kl, 80, buf, buflen);
}

/* ---- auto_map / custom_pipelines: trust_remote_code ---------------------- */

/* Reports one "module.Class" or "repo--module.Class" reference that
 * from_pretrained(..., trust_remote_code=True) resolves with
 * get_class_from_dynamic_module (transformers/dynamic_module_utils.py). */
static void remote_ref(cwalk *w, cnode ref, const char *how, const char *where)
{
	char s[512], esc[300], ev[700];
	if (!cn_cstr(ref, s, sizeof s) || !s[0]) {
		lc_finding_add(w->ctx, LC_SEV_HIGH, "repo.remote-code", cn_off(ref), NULL, cn_escape(ref, esc, sizeof esc),
			       "%s names remote code with an unreadable reference (%s)", where, how);
		return;
	}
	snprintf(ev, sizeof ev, "%s = %s", where, s);
	/* one finding per reference, wherever it is named */
	char key[512];
	memcpy(key, s, sizeof key);
	const char *repo = NULL, *cls = s;
	char *sep = strstr(s, "--");
	if (sep) {
		*sep = '\0';
		repo = s;
		cls = sep + 2;
	}
	char *dot = strrchr(cls, '.');
	char module[512];
	const char *klass = "?";
	if (dot && (size_t)(dot - cls) < sizeof module) {
		memcpy(module, cls, (size_t)(dot - cls));
		module[dot - cls] = '\0';
		klass = dot + 1;
	} else {
		snprintf(module, sizeof module, "%s", cls);
	}
	if (repo) {
		lc_finding_add(w->ctx, LC_SEV_HIGH, "repo.remote-code", cn_off(ref), key, ev,
			       "%s imports %s.py (class %s) from repository %s: that code comes from another "
			       "repository, not from this one, and can change after this scan",
			       how, module, klass, repo);
		return;
	}
	const char *beside = "";
	if (w->dir) {
		/* Readers do not touch the file system, except here: whether the
		 * module the loader would import is shipped beside this config
		 * changes what the user must review, and only a stat() can say.
		 * Nothing is opened or read (the walk scans that file on its
		 * own), and the name is refused if it could leave the directory. */
		beside = " (not found next to this config: the loader fetches it from the model repository)";
		if (!strchr(module, '/') && !strchr(module, '\\') && strcmp(module, "..") != 0 && module[0] != '.') {
			char path[4096];
			struct stat st;
			snprintf(path, sizeof path, "%s/%s.py", w->dir, module);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				beside = " (shipped next to this config: review it)";
		}
	}
	lc_finding_add(w->ctx, LC_SEV_HIGH, "repo.remote-code", cn_off(ref), key, ev,
		       "%s imports %s.py (class %s) from this repository%s", how, module, klass, beside);
}

/* auto_map: {"AutoModel": "modeling_foo.FooModel",
 *            "AutoTokenizer": ["tok_foo.Slow", "tok_foo.Fast" | null]} */
static void check_auto_map(cwalk *w, cnode map)
{
	citer it;
	const char *k;
	size_t kl;
	cnode v;
	if (cn_kind(map) != CK_MAP)
		return;
	cit_init(&it, map);
	while (cit_next(w, &it, &k, &kl, &v)) {
		char where[200], kb[120];
		snprintf(where, sizeof where, "auto_map.%s", key_text(k, kl, kb, sizeof kb));
		enum ckind kind = cn_kind(v);
		if (kind == CK_STR) {
			remote_ref(w, v, "loading with trust_remote_code=True", where);
		} else if (kind == CK_SEQ) {
			citer it2;
			const char *k2;
			size_t kl2;
			cnode v2;
			cit_init(&it2, v);
			while (cit_next(w, &it2, &k2, &kl2, &v2))
				if (cn_kind(v2) == CK_STR)
					remote_ref(w, v2, "loading with trust_remote_code=True", where);
		}
	}
}

/* custom_pipelines: {"task": {"impl": "file.Class", "pt": [...], ...}} */
static void check_custom_pipelines(cwalk *w, cnode map)
{
	citer it;
	const char *k;
	size_t kl;
	cnode v;
	if (cn_kind(map) != CK_MAP)
		return;
	cit_init(&it, map);
	while (cit_next(w, &it, &k, &kl, &v)) {
		if (cn_kind(v) != CK_MAP)
			continue;
		citer it2;
		const char *k2;
		size_t kl2;
		cnode v2;
		cit_init(&it2, v);
		while (cit_next(w, &it2, &k2, &kl2, &v2)) {
			if (!key_is(k2, kl2, "impl") || cn_kind(v2) != CK_STR)
				continue;
			char how[200], where[200], kb[120];
			const char *task = key_text(k, kl, kb, sizeof kb);
			snprintf(how, sizeof how, "pipeline(\"%s\", trust_remote_code=True)", task);
			snprintf(where, sizeof where, "custom_pipelines.%s.impl", task);
			remote_ref(w, v2, how, where);
		}
	}
}

/* ---- _target_ ------------------------------------------------------------- */

/* A short excerpt of _args_ for the evidence. */
static void args_excerpt(cwalk *w, cnode args, char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = '\0';
	if (cn_kind(args) != CK_SEQ)
		return;
	citer it;
	const char *k;
	size_t kl;
	cnode v;
	unsigned n = 0;
	cit_init(&it, args);
	o += (size_t)snprintf(out, outlen, ", _args_: [");
	while (o < outlen && cit_next(w, &it, &k, &kl, &v)) {
		char esc[160];
		if (n++ == 4) {
			o += (size_t)snprintf(out + o, outlen - o, ", ...");
			break;
		}
		const char *s = cn_kind(v) == CK_STR ? cn_escape(v, esc, sizeof esc) : "<value>";
		if (o < outlen)
			o += (size_t)snprintf(out + o, outlen - o, "%s%s", n > 1 ? ", " : "", s);
	}
	if (o < outlen)
		snprintf(out + o, outlen - o, "]");
}

static void check_target(cwalk *w, cnode target, int partial, cnode args, int has_args, int trust_remote)
{
	char t[1024], first[1024], esc[300], ev[1700], ax[500] = "";
	if (has_args)
		args_excerpt(w, args, ax, sizeof ax);
	if (!cn_cstr(target, t, sizeof t)) {
		snprintf(ev, sizeof ev, "_target_: %s%s", cn_escape(target, esc, sizeof esc), ax);
		lc_finding_add(w->ctx, LC_SEV_HIGH, "config.target.unknown", cn_off(target), NULL, ev,
			       "hydra.utils.instantiate() would import and call an unreadable _target_");
		return;
	}
	snprintf(ev, sizeof ev, "_target_: %s%s%s", t, partial ? ", _partial_: true" : "", ax);
	const char *later = partial ? " (_partial_: true returns a functools.partial that runs it when called)" : "";
	/* Hydra's _locate imports the first component and reaches the rest by
	 * getattr (importing submodules when getattr fails), so the rest is an
	 * attribute path: the pickle policy's (module, qualname) reading with
	 * every split and every suffix, "x.os.system" included. */
	lc_pickle_verdict v;
	char *dot = strchr(t, '.');
	if (dot) {
		memcpy(first, t, (size_t)(dot - t));
		first[dot - t] = '\0';
		lc_pickle_classify(first, dot + 1, LC_POLICY_AMBIGUOUS_SPLIT, &v);
	} else {
		lc_pickle_classify(t, "", LC_POLICY_AMBIGUOUS_SPLIT, &v);
	}
	if (v.verdict == LC_PV_DANGEROUS) {
		lc_finding_add(w->ctx, LC_SEV_CRITICAL, "config.target.dangerous", cn_off(target), t, ev,
			       "hydra.utils.instantiate() calls %s (%s)%s", t, v.reason ? v.reason : "dangerous", later);
		return;
	}
	if (target_allowed(t)) {
		if (trust_remote)
			lc_finding_add(w->ctx, LC_SEV_HIGH, "repo.remote-code", cn_off(target), t, ev,
				       "hydra.utils.instantiate() calls %s with trust_remote_code=True: the model's "
				       "repository may run its own Python code", t);
		return;
	}
	lc_finding_add(w->ctx, LC_SEV_HIGH, "config.target.unknown", cn_off(target), t, ev,
		       "hydra.utils.instantiate() imports and calls %s, which is not a known model, optimizer or "
		       "data constructor%s", t, later);
}

/* sentence-transformers modules.json entry {"idx", "name", "path", "type"}:
 * the type is imported (from this repository's .py files with
 * trust_remote_code=True) unless it is one of the library's own modules. */
static void check_st_module(cwalk *w, cnode type)
{
	char t[512];
	if (cn_cstr(type, t, sizeof t) && strncmp(t, "sentence_transformers.", 22) == 0)
		return;
	remote_ref(w, type, "SentenceTransformer(..., trust_remote_code=True)", "modules.json type");
}

/* ---- YAML tags that an unsafe PyYAML loader turns into code --------------- */

static void check_yaml_tag(cwalk *w, cnode n)
{
	static const char py[] = "tag:yaml.org,2002:python/";
	const char *tag = n.y ? (const char *)n.y->tag : NULL;
	if (!tag || strncmp(tag, py, sizeof py - 1) != 0)
		return;
	const char *kind = tag + sizeof py - 1;
	const char *colon = strchr(kind, ':');
	char name[512] = "", first[512], esc[600];
	if (colon && strlen(colon + 1) < sizeof name)
		snprintf(name, sizeof name, "%s", colon + 1);
	lc_escape((const uint8_t *)tag, strlen(tag), 200, esc, sizeof esc);
	lc_pickle_verdict v = {0};
	/* PyYAML splits python/name and python/object names at the last dot
	 * into module and attribute, and imports the module. */
	char *dot = strrchr(name, '.');
	if (name[0] && dot) {
		memcpy(first, name, (size_t)(dot - name));
		first[dot - name] = '\0';
		lc_pickle_classify(first, dot + 1, 0, &v);
	} else if (name[0]) {
		lc_pickle_classify("builtins", name, 0, &v);
	}
	int calls = strncmp(kind, "object/apply:", 13) == 0 || strncmp(kind, "object/new:", 11) == 0;
	if (v.verdict == LC_PV_DANGEROUS)
		lc_finding_add(w->ctx, LC_SEV_CRITICAL, "config.yaml.python-tag", cn_off(n), tag, esc,
			       "an unsafe YAML loader (yaml.load with yaml.Loader/UnsafeLoader) %s %s (%s)",
			       calls ? "calls" : "imports", name, v.reason ? v.reason : "dangerous");
	else
		lc_finding_add(w->ctx, LC_SEV_HIGH, "config.yaml.python-tag", cn_off(n), tag, esc,
			       "an unsafe YAML loader (yaml.load with yaml.Loader/UnsafeLoader) %s Python objects from "
			       "this tag; yaml.safe_load refuses it", calls ? "calls" : "constructs");
}

/* ---- the walk ------------------------------------------------------------- */

static void visit(cwalk *w, cnode n, uint64_t depth)
{
	if (w->err)
		return;
	if (++w->nodes > w->max_nodes) {
		w->err = lc_limit_hit(w->ctx, LC_LIMIT_config_max_nodes, cn_off(n),
				      "config nodes visited (YAML aliases are expanded)");
		return;
	}
	if (depth > w->max_depth) {
		w->err = lc_limit_hit(w->ctx, LC_LIMIT_config_max_depth, cn_off(n), "config nesting");
		return;
	}
	if (n.y)
		check_yaml_tag(w, n);
	enum ckind kind = cn_kind(n);
	if (kind != CK_MAP && kind != CK_SEQ)
		return;
	citer it;
	const char *k;
	size_t kl;
	cnode v;
	if (kind == CK_MAP) {
		cnode target = {0}, args = {0}, st_type = {0};
		int has_target = 0, has_args = 0, partial = 0, trust = 0, st_keys = 0;
		cit_init(&it, n);
		while (cit_next(w, &it, &k, &kl, &v)) {
			if (!k)
				continue;
			if (key_is(k, kl, "_target_") && cn_kind(v) == CK_STR) {
				target = v;
				has_target = 1;
			} else if (key_is(k, kl, "_partial_")) {
				partial = cn_kind(v) == CK_TRUE;
			} else if (key_is(k, kl, "_args_")) {
				args = v;
				has_args = 1;
			} else if (key_is(k, kl, "trust_remote_code")) {
				trust = cn_kind(v) == CK_TRUE;
			} else if (key_is(k, kl, "auto_map")) {
				check_auto_map(w, v);
			} else if (key_is(k, kl, "custom_pipelines")) {
				check_custom_pipelines(w, v);
			} else if (key_is(k, kl, "type") && cn_kind(v) == CK_STR) {
				st_type = v;
				st_keys |= 1;
			} else if (key_is(k, kl, "idx")) {
				st_keys |= 2;
			} else if (key_is(k, kl, "path")) {
				st_keys |= 4;
			}
		}
		if (has_target)
			check_target(w, target, partial, args, has_args, trust);
		if (st_keys == 7 && !n.y)
			check_st_module(w, st_type);
	}
	cit_init(&it, n);
	while (!w->err && cit_next(w, &it, &k, &kl, &v))
		if (v.j || v.y)
			visit(w, v, depth + 1);
}

static void walk_init(cwalk *w, lc_ctx *ctx)
{
	memset(w, 0, sizeof *w);
	w->ctx = ctx;
	w->max_nodes = lc_lim(ctx, LC_LIMIT_config_max_nodes);
	w->max_depth = lc_lim(ctx, LC_LIMIT_config_max_depth);
}


/* Directory of the file when the view is the file itself, read from disk
 * (mapped); NULL for archive members and in-memory scans. */
static char *file_dir(lc_ctx *ctx)
{
	if (ctx->depth != 0 || !ctx->map_mmapped || !ctx->file->path)
		return NULL;
	const char *p = ctx->file->path;
	const char *slash = strrchr(p, '/');
	if (!slash)
		return strdup(".");
	if (slash == p)
		return strdup("/");
	return lc_strndup(p, (size_t)(slash - p));
}

lc_err lc_config_scan_json(lc_ctx *ctx, json_t *root)
{
	cwalk w;
	walk_init(&w, ctx);
	char *dir = file_dir(ctx);
	w.dir = dir;
	cnode n = {root, NULL};
	visit(&w, n, 0);
	free(dir);
	return w.err;
}

/* ---- JSON ------------------------------------------------------------------ */

static size_t skip_ws(const uint8_t *d, size_t len, size_t i)
{
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	return i;
}

/* JSON Lines (one document per line: data sets, labels) is not a config.
 * A '}' then a newline then '{' cannot occur in one JSON document: strings
 * hold no raw newline, and between values a ',' is required. */
static int json_lines(const uint8_t *d, size_t len)
{
	const uint8_t *p = d, *end = d + len;
	while ((size_t)(end - p) >= 2) {
		const uint8_t *q = memmem(p, (size_t)(end - p), "}\n", 2);
		if (!q)
			return 0;
		size_t k = skip_ws(d, len, (size_t)(q - d) + 2);
		if (k < len && d[k] == '{')
			return 1;
		p = q + 2;
	}
	return 0;
}

/* Cheap: bidders run on every file.  An object ('{' then a key or '}') or an
 * array of objects, closed at the end of the text.  A claimed file that then
 * does not parse is an error, not a skip. */
int lc_bid_config_json(const uint8_t *data, size_t len)
{
	size_t i = skip_ws(data, len, 0), e = len;
	if (i >= len || (data[i] != '{' && data[i] != '['))
		return 0;
	while (e > i && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\n' || data[e - 1] == '\r'))
		e--;
	size_t j = skip_ws(data, len, i + 1);
	if (j >= len || e - i < 2 || !lc_looks_like_text(data, len) || json_lines(data, len))
		return 0;
	if (data[i] == '{')
		return data[e - 1] == '}' && (data[j] == '"' || data[j] == '}') ? 30 : 0;
	return data[e - 1] == ']' && (data[j] == '{' || data[j] == ']') ? 20 : 0;
}

/* Python's json module writes and reads NaN, Infinity and -Infinity; jansson
 * refuses them.  Replaces those bare tokens (outside strings) by a number of
 * the same length so offsets stay true.  Returns how many were replaced. */
static size_t neuter_nonfinite(char *s, size_t n)
{
	static const char *const toks[] = {"-Infinity", "Infinity", "NaN"};
	size_t count = 0;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = 0;
			continue;
		}
		if (s[i] == '"') {
			in_str = 1;
			continue;
		}
		for (size_t t = 0; t < NELEM(toks); t++) {
			size_t tl = strlen(toks[t]);
			if (tl <= n - i && memcmp(s + i, toks[t], tl) == 0) {
				s[i] = '0';
				memset(s + i + 1, ' ', tl - 1);
				i += tl - 1;
				count++;
				break;
			}
		}
	}
	return count;
}

lc_err lc_parse_config_json(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	lc_set_format(ctx, "model-config");
	if (len > lc_lim(ctx, LC_LIMIT_config_max_bytes))
		return lc_limit_hit(ctx, LC_LIMIT_config_max_bytes, 0, "JSON config size");
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		char *copy = lc_alloc_input(ctx, len, "JSON config");
		if (!copy)
			return ctx->file->error_code ? ctx->file->error_code : LC_E_NOMEM;
		memcpy(copy, data, len);
		if (neuter_nonfinite(copy, len) > 0)
			root = json_loadb(copy, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
		free(copy);
	}
	if (!root)
		return lc_fail(ctx, LC_E_MALFORMED, jerr.position >= 0 ? (uint64_t)jerr.position : LC_NO_OFFSET,
			       "JSON does not parse: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
	cwalk w;
	walk_init(&w, ctx);
	char *dir = file_dir(ctx);
	w.dir = dir;
	cnode n = {root, NULL};
	visit(&w, n, 0);
	free(dir);
	json_decref(root);
	return w.err;
}

/* ---- YAML ------------------------------------------------------------------ */

static int has(const uint8_t *d, size_t len, const char *s) { return d && len && memmem(d, len, s, strlen(s)) != NULL; }

/* Only YAML that carries a key we act on (or a Python tag) is claimed:
 * every other YAML file stays "skipped: text".  Cheap checks first; then
 * libyaml reads events until the root node starts (a bounded prefix). */
int lc_bid_config_yaml(const uint8_t *data, size_t len)
{
	size_t i = skip_ws(data, len, 0);
	if (i >= len || data[i] == '{' || data[i] == '[' || !lc_looks_like_text(data, len))
		return 0;
	int pytag = has(data, len, "!!python/") || has(data, len, "tag:yaml.org,2002:python/");
	if (!pytag && !has(data, len, "_target_") && !has(data, len, "auto_map") && !has(data, len, "custom_pipelines"))
		return 0;
	if (lc_text_looks_like_python(data, len))
		return 0;
	yaml_parser_t p;
	yaml_event_t ev;
	int bid = 0;
	if (!yaml_parser_initialize(&p))
		return 0;
	yaml_parser_set_input_string(&p, data, len);
	for (int n = 0; n < 8; n++) {
		if (!yaml_parser_parse(&p, &ev))
			break;
		yaml_event_type_t t = ev.type;
		yaml_event_delete(&ev);
		if (t == YAML_MAPPING_START_EVENT || ((t == YAML_SEQUENCE_START_EVENT || t == YAML_SCALAR_EVENT) && pytag)) {
			bid = 25;
			break;
		}
		if (t != YAML_STREAM_START_EVENT && t != YAML_DOCUMENT_START_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return bid;
}

lc_err lc_parse_config_yaml(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	lc_set_format(ctx, "yaml-config");
	if (len > lc_lim(ctx, LC_LIMIT_config_max_bytes))
		return lc_limit_hit(ctx, LC_LIMIT_config_max_bytes, 0, "YAML config size");
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory (YAML parser)");
	yaml_parser_set_input_string(&p, data, len);
	cwalk w;
	walk_init(&w, ctx);
	char *dir = file_dir(ctx);
	w.dir = dir;
	lc_err err = LC_OK;
	/* A stream may hold several documents; each one costs at least one
	 * visit, so config_max_nodes bounds their number too. */
	while (!w.err) {
		yaml_document_t doc;
		if (!yaml_parser_load(&p, &doc)) {
			err = lc_fail(ctx, LC_E_MALFORMED, (uint64_t)p.problem_mark.index,
				      "YAML does not parse: %s (line %zu, column %zu)",
				      p.problem ? p.problem : "error", p.problem_mark.line + 1, p.problem_mark.column + 1);
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) { /* end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		w.doc = &doc;
		cnode n = {NULL, root};
		visit(&w, n, 0);
		w.doc = NULL;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	free(dir);
	return w.err ? w.err : err;
}
