/*
 * Keras configs: the analysis of serialized Keras objects, the layer graph,
 * and the "keras-config" JSON reader (config.json of a .keras zip).  See
 * keras.h for the rules and why.
 *
 * What a loader resolves (keras/src/saving/serialization_lib.py and the
 * Keras 2 generic_utils.deserialize_keras_object):
 *   {"module": M, "class_name": C, "config": {...}, "registered_name": R}
 *       R found among registered custom objects, else C imported from M
 *       (any module before the CVE-2025-1550 fix, Keras packages after),
 *       else C looked up among Keras' own objects.  Keras 2 has no module:
 *       C is looked up among Keras' objects and user custom_objects only.
 *   {"class_name": "function", "module": M, "config": F}   function M.F
 *   {"class_name": "__lambda__", "config": {"code"|"value": base64 marshal}}
 *       Python bytecode (Keras 3 Lambda layers and lambdas elsewhere)
 *   Keras 2 Lambda config {"function": [b64 marshal, defaults, closure] | name,
 *       "function_type": "lambda"|"function"|"raw", "module": M}
 * A function or lambda runs when the layer is called, i.e. on the first
 * prediction after loading; Keras 2 unmarshals the bytecode at load time.
 * Keras 3's safe_mode refuses lambdas, but safe_mode is an argument the
 * victim controls and a config can switch it off (CVE-2025-9906), so every
 * bytecode is reported.
 *
 * The walk is depth-first with an explicit depth (config_max_depth) and a
 * visit budget (config_max_nodes), like the generic config walker.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/pickle_policy.h"
#include "formats/keras.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- policy tables -------------------------------------------------------- */

/* Module prefixes whose objects are Keras' own serializables.  Keras 3 only
 * imports modules of the packages keras, keras_hub, keras_cv and keras_nlp
 * (the latter three are the Keras team's model libraries), tf.keras and
 * tf_keras are the Keras 2 spellings.  A prefix covers itself and every
 * module below it. */
static const char *const keras_modules[] = {
	"keras", "tf_keras", "tensorflow.keras", "tensorflow.python.keras", "keras_hub", "keras_nlp", "keras_cv",
};

static int prefix_is(const char *s, const char *p)
{
	size_t n = strlen(p);
	return strncmp(s, p, n) == 0 && (s[n] == '\0' || s[n] == '.');
}

static int keras_module(const char *m)
{
	for (size_t i = 0; i < NELEM(keras_modules); i++)
		if (prefix_is(m, keras_modules[i]))
			return 1;
	return 0;
}

/* Keras' own functions and layers that a config should never reach: they
 * download, write or load files, load other models, or turn safe mode off.
 * Matched by name for objects of Keras modules (the same function is
 * exported under several paths: keras.utils.get_file,
 * keras.src.utils.file_utils.get_file, tf.keras.utils.get_file ...) and
 * for module-less Keras 2 class names. */
typedef struct kdanger {
	const char *name;
	lc_severity sev;
	int safe_mode_arg; /* CRITICAL when called with safe_mode=False */
	const char *why;
} kdanger;

static const kdanger keras_danger[] = {
	{"get_file", LC_SEV_CRITICAL, 0,
	 "downloads a URL into a cache directory the config chooses: an arbitrary file write while loading "
	 "(CVE-2025-8747)"},
	{"extract_archive", LC_SEV_CRITICAL, 0, "extracts an archive to a path the config chooses"},
	{"set_global_attribute", LC_SEV_CRITICAL, 0,
	 "sets Keras global state; a config uses it to switch safe_mode off for what follows (CVE-2025-9906)"},
	{"enable_unsafe_deserialization", LC_SEV_CRITICAL, 0,
	 "turns Keras safe_mode off: later loads accept lambdas and bytecode"},
	{"func_load", LC_SEV_CRITICAL, 0, "unmarshals Python bytecode into a function"},
	{"TorchModuleWrapper", LC_SEV_CRITICAL, 0,
	 "wraps a torch module that Keras restores with torch.load: a pickle runs at load"},
	{"load_model", LC_SEV_HIGH, 1, "loads another model file, whose content this scan did not see"},
	{"load_model_from_hdf5", LC_SEV_HIGH, 1, "loads another model file, whose content this scan did not see"},
	{"load_weights", LC_SEV_HIGH, 0, "loads weights from another file, whose content this scan did not see"},
	{"TFSMLayer", LC_SEV_HIGH, 0,
	 "loads a TensorFlow SavedModel from a path in the config; its graph was not scanned here"},
	{"model_from_json", LC_SEV_HIGH, 0, "deserializes a further model config that this scan did not see"},
	{"model_from_yaml", LC_SEV_HIGH, 0, "deserializes a further model config that this scan did not see"},
	{"model_from_config", LC_SEV_HIGH, 0, "deserializes a further model config that this scan did not see"},
};

static const kdanger *danger_lookup(const char *name)
{
	for (size_t i = 0; i < NELEM(keras_danger); i++)
		if (strcmp(name, keras_danger[i].name) == 0)
			return &keras_danger[i];
	return NULL;
}

/* tf.keras 2.11+ registers its own optimizers with the default package
 * "Custom" (register_keras_serializable()), so real training_configs say
 * {"class_name": "Custom>Adam"}: Keras' own code, not a user's. */
static int keras_custom_builtin(const char *reg)
{
	static const char *const opt[] = {"Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta",
					  "Adamax", "Nadam", "Ftrl", "Lion", "Adafactor"};
	if (strncmp(reg, "Custom>", 7) != 0)
		return 0;
	for (size_t i = 0; i < NELEM(opt); i++)
		if (strcmp(reg + 7, opt[i]) == 0)
			return 1;
	return 0;
}

/* Identifiers that make Python source (a Lambda given as text) or the
 * names of marshalled bytecode a code-execution payload. */
static const char *const code_words[] = {
	"eval", "exec", "compile", "__import__", "import", "os", "system", "subprocess", "popen", "Popen",
	"getattr", "globals", "locals", "builtins", "__builtins__", "breakpoint", "socket", "pty", "shutil",
	"pickle", "marshal", "ctypes", "importlib", "runpy", "open", "spawn", "execv", "execve", "posix", "nt",
};

static int is_ident_char(int c) { return isalnum(c) || c == '_'; }

/* Appends to out (comma separated) every code word that occurs in s as a
 * whole identifier; returns how many. */
static int find_code_words(const char *s, size_t n, char *out, size_t outlen)
{
	int hits = 0;
	size_t o = strlen(out);
	for (size_t w = 0; w < NELEM(code_words); w++) {
		size_t wl = strlen(code_words[w]);
		for (size_t i = 0; i + wl <= n; i++) {
			if (memcmp(s + i, code_words[w], wl) != 0)
				continue;
			if ((i > 0 && is_ident_char((unsigned char)s[i - 1])) ||
			    (i + wl < n && is_ident_char((unsigned char)s[i + wl])))
				continue;
			if (o + wl + 3 < outlen)
				o += (size_t)snprintf(out + o, outlen - o, "%s%s", o ? ", " : "", code_words[w]);
			hits++;
			break;
		}
	}
	return hits;
}

/* ---- the walk ------------------------------------------------------------- */

typedef struct kw {
	lc_ctx *ctx;
	const char *where;
	uint64_t nodes, max_nodes, max_depth;
	lc_err err;
	const char *layer;    /* innermost enclosing named object, for messages */
	json_t *lambda_args;  /* "arguments" of the Lambda being visited */
} kw;

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A C string without NUL bytes, or NULL (a name with a NUL cannot be a
 * Python identifier: the loader would fail, messages stay readable). */
static const char *clean(json_t *v)
{
	if (!json_is_string(v) || memchr(json_string_value(v), '\0', json_string_length(v)))
		return NULL;
	return json_string_value(v);
}

/* Compact JSON of v, cut to fit buf. */
static const char *excerpt(json_t *v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!v)
		return buf;
	size_t n = json_dumpb(v, buf, len - 1, JSON_COMPACT | JSON_ENCODE_ANY);
	if (n >= len - 1) {
		n = len - 1;
		if (len > 8)
			memcpy(buf + len - 5, "...", 4);
	}
	buf[n < len ? n : len - 1] = '\0';
	return buf;
}

static const char *layer_name(const kw *w) { return w->layer ? w->layer : "(model)"; }

/* ---- bytecode ------------------------------------------------------------- */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 (whitespace ignored, as Python's codecs 'base64' does).
 * Returns a malloc'ed buffer and its length, or NULL when the text is not
 * base64. */
static uint8_t *b64decode(const char *s, size_t n, size_t *outlen)
{
	uint8_t *out = malloc(n / 4 * 3 + 4);
	if (!out)
		return NULL;
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	int pad = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c == '=') {
			pad = 1;
			continue;
		}
		int v = b64val(c);
		if (v < 0 || pad) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return out;
}

/* Python's marshal writes a code object as 'c' (0x63, with FLAG_REF 0xe3). */
static int is_marshal_code(const uint8_t *b, size_t n) { return n >= 16 && (b[0] & 0x7f) == 'c'; }

/* Strings of a marshal stream without unmarshalling it: the short ASCII
 * ('z', 'Z'), ASCII ('a', 'A') and unicode ('u', 't') items, i.e. co_names,
 * co_consts strings, variable names and the file name.  Printable ones are
 * appended to ev (escaped, comma separated) and checked for code words. */
static void marshal_strings(const uint8_t *b, size_t n, char *ev, size_t evlen, char *words, size_t wlen)
{
	size_t o = strlen(ev);
	unsigned count = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		int t = b[i] & 0x7f;
		size_t len, hdr;
		if (t == 'z' || t == 'Z') {
			len = b[i + 1];
			hdr = 2;
		} else if (t == 'a' || t == 'A' || t == 'u' || t == 't') {
			if (n - i < 5)
				continue;
			len = lc_le32(b + i + 1);
			hdr = 5;
		} else {
			continue;
		}
		if (len == 0 || len > 4096 || len > n - i - hdr)
			continue;
		const uint8_t *s = b + i + hdr;
		size_t k;
		for (k = 0; k < len && s[k] >= 0x20 && s[k] < 0x7f; k++)
			;
		if (k != len)
			continue;
		find_code_words((const char *)s, len, words, wlen);
		if (count++ < 12 && o + 8 < evlen) {
			char esc[200];
			lc_escape(s, len, 80, esc, sizeof esc);
			o += (size_t)snprintf(ev + o, evlen - o, "%s%s", count > 1 ? ", " : "", esc);
			if (o >= evlen)
				o = evlen - 1;
		}
		i += hdr + len - 1;
	}
}

static void report_bytecode(kw *w, const char *b64, size_t n, const char *what)
{
	char ev[900], words[300] = "";
	size_t blen = 0;
	uint8_t *code = b64decode(b64, n, &blen);
	int o = snprintf(ev, sizeof ev, "%s: layer \"%s\", %s: ", w->where, layer_name(w), what);
	if (code && is_marshal_code(code, blen)) {
		o += snprintf(ev + o, sizeof ev - (size_t)o, "%zu bytes of marshalled code; strings: ", blen);
		marshal_strings(code, blen, ev, sizeof ev, words, sizeof words);
	} else {
		char esc[200];
		snprintf(ev + o, sizeof ev - (size_t)o, "not decodable as marshalled code: %s",
			 lc_escape((const uint8_t *)b64, n, 80, esc, sizeof esc));
	}
	free(code);
	char key[300];
	snprintf(key, sizeof key, "%s/%s", layer_name(w), what);
	lc_finding_add(w->ctx, LC_SEV_CRITICAL, "keras.lambda.bytecode", LC_NO_OFFSET, key, ev,
		       "a Lambda carries Python bytecode that runs when the model is loaded or called%s%s%s; bytecode "
		       "cannot be vetted statically (Keras safe_mode refuses it)",
		       words[0] ? " (its names include " : "", words, words[0] ? ")" : "");
}

/* Python source where a function is expected (Keras 2 h5 files whose
 * Lambda "function" is text such as "lambda x: eval(...)"). */
static void report_source(kw *w, const char *s, size_t n, const char *what)
{
	char ev[600], esc[400], words[300] = "", key[300];
	snprintf(ev, sizeof ev, "%s: layer \"%s\", %s: %s", w->where, layer_name(w), what,
		 lc_escape((const uint8_t *)s, n, 300, esc, sizeof esc));
	snprintf(key, sizeof key, "%s/%s", layer_name(w), what);
	if (find_code_words(s, n, words, sizeof words) > 0)
		lc_finding_add(w->ctx, LC_SEV_CRITICAL, "keras.lambda.source", LC_NO_OFFSET, key, ev,
			       "a Lambda is given as Python source that reaches code execution (%s)", words);
	else
		lc_finding_add(w->ctx, LC_SEV_HIGH, "keras.lambda.source", LC_NO_OFFSET, key, ev,
			       "a Lambda is given as Python source instead of a Keras function");
}

/* ---- references ----------------------------------------------------------- */

enum { REF_CLASS, REF_FUNCTION };

static int args_turn_off_safe_mode(json_t *args)
{
	json_t *v = json_object_get(args, "safe_mode");
	return v && json_is_false(v);
}

/* One class or function a loader resolves: module (NULL for Keras 2
 * class names), name, registered name (or NULL).  args: call arguments for
 * the evidence (Lambda arguments, a layer's inbound_nodes), or NULL. */
/* Evidence of a reference: where, the layer, the object, its arguments. */
static void ref_evidence(kw *w, const char *what, const char *full, const char *reg, json_t *args, char *ev, size_t len)
{
	char ax[400];
	excerpt(args, ax, sizeof ax);
	/* precisions keep the sum below len: a cut evidence is still evidence */
	snprintf(ev, len, "%.120s: layer \"%.120s\": %s %.300s%s%.100s%s%s%.300s", w->where, layer_name(w), what,
		 full, reg ? " (registered_name " : "", reg ? reg : "", reg ? ")" : "", ax[0] ? ", arguments " : "", ax);
}

/* One class or function a loader resolves: module (NULL for Keras 2
 * class names), name, registered name (or NULL).  args: call arguments for
 * the evidence (Lambda arguments, a layer's inbound_nodes), or NULL.
 * Cheap when nothing is found: it runs on every serialized object. */
static void check_ref(kw *w, const char *module, const char *name, const char *reg, int kind, json_t *args)
{
	char ev[1000], full[600], key[700];
	const char *what = kind == REF_FUNCTION ? "function" : "class";
	if (!name)
		return;
	int kmod = module && keras_module(module);
	const kdanger *d = !module || kmod ? danger_lookup(name) : NULL;
	lc_pickle_verdict v = {0};
	/* Keras resolves a name in a Keras module with vars(module).get(name):
	 * no dotted path, so the deny list matters for other modules only. */
	if (module && !kmod)
		lc_pickle_classify(module, name, 0, &v);
	if (!reg && strchr(name, '>'))
		reg = name; /* Keras 2 writes a registered name as the class name */
	int custom = reg && strchr(reg, '>') && !kmod && !keras_custom_builtin(reg);
	if (!d && v.verdict != LC_PV_DANGEROUS && !(module && !kmod) && !custom)
		return;
	snprintf(full, sizeof full, "%s%s%s", module ? module : "", module ? "." : "", name);
	snprintf(key, sizeof key, "%s/%s", layer_name(w), full);
	ref_evidence(w, what, full, reg, args, ev, sizeof ev);
	if (d) {
		int off = d->safe_mode_arg && args_turn_off_safe_mode(args);
		lc_finding_add(w->ctx, off ? LC_SEV_CRITICAL : d->sev, "keras.object.dangerous", LC_NO_OFFSET, key, ev,
			       "the model references Keras %s %s, which %s%s", what, full, d->why,
			       off ? "; it is called with safe_mode=False" : "");
	} else if (v.verdict == LC_PV_DANGEROUS) {
		lc_finding_add(w->ctx, LC_SEV_CRITICAL, "keras.module.dangerous", LC_NO_OFFSET, key, ev,
			       "loading this model imports %s and %s it (%s)", full,
			       kind == REF_FUNCTION ? "calls" : "instantiates/calls", v.reason ? v.reason : "dangerous callable");
	} else if (module && !kmod) {
		lc_finding_add(w->ctx, LC_SEV_HIGH, "keras.module.unknown", LC_NO_OFFSET, key, ev,
			       "loading this model imports module %s for %s %s: code outside Keras runs at load (Keras "
			       "before 3.9 imports any module; later versions refuse it unless the object is registered)",
			       module, what, name);
	} else {
		lc_finding_add(w->ctx, LC_SEV_HIGH, "keras.module.unknown", LC_NO_OFFSET, key, ev,
			       "the model needs custom %s %s (registered as %s): its code is not in the file and runs at "
			       "load from whatever is registered under that name",
			       what, name, reg);
	}
}

/* Keras 2 Lambda (and any config with function_type/output_shape_type):
 * the function as bytecode, a name or source. */
static void check_fn_value(kw *w, json_t *fn, const char *ftype, const char *fmod, const char *what)
{
	if (json_is_array(fn)) {
		json_t *c = json_array_get(fn, 0);
		if (json_is_string(c))
			report_bytecode(w, json_string_value(c), json_string_length(c), what);
		return;
	}
	if (!json_is_string(fn))
		return; /* objects are visited by the walk */
	const char *s = json_string_value(fn);
	size_t n = json_string_length(fn);
	if (ftype && strcmp(ftype, "function") == 0) {
		/* a name looked up in module fmod (Keras 2 func_load) */
		size_t i = 0;
		while (i < n && (is_ident_char((unsigned char)s[i]) || s[i] == '.'))
			i++;
		if (i == n && n > 0) {
			lc_pickle_verdict v;
			lc_pickle_classify("builtins", s, 0, &v);
			if (v.verdict == LC_PV_DANGEROUS) {
				check_ref(w, "builtins", s, NULL, REF_FUNCTION, w->lambda_args);
				return;
			}
			check_ref(w, fmod, s, NULL, REF_FUNCTION, w->lambda_args);
			return;
		}
		report_source(w, s, n, what);
		return;
	}
	size_t blen = 0;
	uint8_t *code = b64decode(s, n, &blen);
	int marshal = code && is_marshal_code(code, blen);
	free(code);
	if (marshal)
		report_bytecode(w, s, n, what);
	else
		report_source(w, s, n, what);
}

static void check_lambda_cfg(kw *w, json_t *cfg)
{
	const char *fmod = clean(json_object_get(cfg, "module"));
	check_fn_value(w, json_object_get(cfg, "function"), jstr(cfg, "function_type"), fmod, "function");
	const char *ot = jstr(cfg, "output_shape_type");
	if (ot && strcmp(ot, "raw") != 0)
		check_fn_value(w, json_object_get(cfg, "output_shape"), ot, jstr(cfg, "output_shape_module"),
			       "output_shape");
}

/* One serialized object {"class_name", "config", "module"?, "registered_name"?}. */
static void check_object(kw *w, json_t *o)
{
	const char *cls = clean(json_object_get(o, "class_name"));
	const char *module = clean(json_object_get(o, "module"));
	const char *reg = clean(json_object_get(o, "registered_name"));
	json_t *cfg = json_object_get(o, "config");
	if (!cls)
		return;
	if (strcmp(cls, "__lambda__") == 0) {
		json_t *c = json_object_get(cfg, "code");
		if (!c) {
			c = json_object_get(cfg, "value");
			if (json_is_array(c))
				c = json_array_get(c, 0);
		}
		if (json_is_string(c))
			report_bytecode(w, json_string_value(c), json_string_length(c), "__lambda__");
		else
			lc_finding_add(w->ctx, LC_SEV_CRITICAL, "keras.lambda.bytecode", LC_NO_OFFSET, layer_name(w),
				       NULL, "a __lambda__ object asks Keras to unmarshal bytecode (its code is missing)");
		return;
	}
	if (strcmp(cls, "__typespec__") == 0) {
		check_ref(w, clean(json_object_get(cfg, "module")), clean(json_object_get(cfg, "spec_name")),
			  clean(json_object_get(cfg, "registered_name")), REF_CLASS, NULL);
		return;
	}
	if (cls[0] == '_' && cls[1] == '_')
		return; /* __keras_tensor__, __tensor__, __numpy__, __bytes__ ...: data, no import */
	if (strcmp(cls, "function") == 0) {
		const char *fn = json_is_string(cfg) ? clean(cfg) : reg;
		check_ref(w, module, fn, reg, REF_FUNCTION, w->lambda_args);
		return;
	}
	check_ref(w, module, cls, reg, REF_CLASS, json_object_get(o, "inbound_nodes"));
	if (!json_is_object(cfg))
		return;
	if (strcmp(cls, "Lambda") == 0 && !json_object_get(cfg, "function_type") &&
	    !json_object_get(cfg, "output_shape_type"))
		check_lambda_cfg(w, cfg);
	if (strcmp(cls, "StringLookup") == 0 || strcmp(cls, "IntegerLookup") == 0 ||
	    strcmp(cls, "TextVectorization") == 0) {
		json_t *voc = json_object_get(cfg, "vocabulary");
		if (json_is_string(voc)) {
			char ev[600], esc[400];
			snprintf(ev, sizeof ev, "%s: layer \"%s\" (%s): vocabulary %s", w->where, layer_name(w), cls,
				 lc_escape((const uint8_t *)json_string_value(voc), json_string_length(voc), 300, esc,
					   sizeof esc));
			lc_finding_add(w->ctx, LC_SEV_HIGH, "keras.vocabulary.external", LC_NO_OFFSET, layer_name(w), ev,
				       "the %s layer reads its vocabulary from a path or URL when the model is "
				       "loaded (tf.io.gfile reads local files and remote URLs)",
				       cls);
		}
	}
}

static void visit(kw *w, json_t *v, uint64_t depth)
{
	if (w->err)
		return;
	if (++w->nodes > w->max_nodes) {
		w->err = lc_limit_hit(w->ctx, LC_LIMIT_config_max_nodes, LC_NO_OFFSET, "Keras config nodes visited");
		return;
	}
	if (depth > w->max_depth) {
		w->err = lc_limit_hit(w->ctx, LC_LIMIT_config_max_depth, LC_NO_OFFSET, "Keras config nesting");
		return;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) {
			visit(w, e, depth + 1);
			if (w->err)
				return;
		}
		return;
	}
	if (!json_is_object(v))
		return;
	const char *saved_layer = w->layer;
	json_t *saved_args = w->lambda_args;
	json_t *cfg = json_object_get(v, "config");
	const char *nm = clean(json_object_get(v, "name"));
	if (!nm && json_is_object(cfg))
		nm = clean(json_object_get(cfg, "name"));
	if (nm && json_object_get(v, "class_name"))
		w->layer = nm;
	if (json_is_string(json_object_get(v, "class_name"))) {
		const char *cls = json_string_value(json_object_get(v, "class_name"));
		if (strcmp(cls, "Lambda") == 0 && json_is_object(cfg))
			w->lambda_args = json_object_get(cfg, "arguments");
		check_object(w, v);
	}
	if (json_object_get(v, "function_type") || json_object_get(v, "output_shape_type"))
		check_lambda_cfg(w, v);
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) {
		visit(w, e, depth + 1);
		if (w->err)
			break;
	}
	w->layer = saved_layer;
	w->lambda_args = saved_args;
}

static lc_err analyze(lc_ctx *ctx, json_t *root, const char *where)
{
	kw w;
	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	w.where = where ? where : "Keras config";
	w.max_nodes = lc_lim(ctx, LC_LIMIT_config_max_nodes);
	w.max_depth = lc_lim(ctx, LC_LIMIT_config_max_depth);
	visit(&w, root, 0);
	return w.err;
}

void lc_keras_analyze_config(lc_ctx *ctx, json_t *root, const char *where) { (void)analyze(ctx, root, where); }

int lc_keras_is_config(json_t *root)
{
	return json_is_object(root) && json_is_string(json_object_get(root, "class_name")) &&
	       json_object_get(root, "config") != NULL;
}

/* ---- the layer graph ------------------------------------------------------ */

/* Layer name -> first node of its calls (open addressing). */
typedef struct lent {
	const char *name;
	int first;  /* node index of call 0, or -1 for an InputLayer */
	int ncalls;
} lent;

typedef struct lmap {
	lent *e;
	size_t cap;
} lmap;

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int lmap_init(lmap *m, size_t n)
{
	m->cap = 16;
	while (m->cap < n * 2 + 1)
		m->cap *= 2;
	m->e = calloc(m->cap, sizeof *m->e);
	return m->e ? 0 : -1;
}

/* Inserts (keeps the first entry of a duplicate name). */
static void lmap_put(lmap *m, const char *name, int first, int ncalls)
{
	size_t i = hash_str(name) & (m->cap - 1);
	while (m->e[i].name) {
		if (strcmp(m->e[i].name, name) == 0)
			return;
		i = (i + 1) & (m->cap - 1);
	}
	m->e[i].name = name;
	m->e[i].first = first;
	m->e[i].ncalls = ncalls;
}

static const lent *lmap_get(const lmap *m, const char *name)
{
	size_t i = hash_str(name) & (m->cap - 1);
	while (m->e[i].name) {
		if (strcmp(m->e[i].name, name) == 0)
			return &m->e[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

typedef struct kb {
	lc_ctx *ctx;
	lc_graph *g;
	uint64_t max_depth;
} kb;

static lc_dtype dtype_of(json_t *d)
{
	static const struct {
		const char *n;
		lc_dtype dt;
	} map[] = {
		{"float32", LC_DT_F32}, {"float64", LC_DT_F64}, {"float16", LC_DT_F16}, {"bfloat16", LC_DT_BF16},
		{"int8", LC_DT_I8}, {"int16", LC_DT_I16}, {"int32", LC_DT_I32}, {"int64", LC_DT_I64},
		{"uint8", LC_DT_U8}, {"uint16", LC_DT_U16}, {"uint32", LC_DT_U32}, {"uint64", LC_DT_U64},
		{"bool", LC_DT_BOOL}, {"string", LC_DT_STRING}, {"complex64", LC_DT_C64}, {"complex128", LC_DT_C128},
	};
	const char *s = json_is_string(d) ? json_string_value(d) : NULL;
	if (!s && json_is_object(d)) /* DTypePolicy {"config": {"name": "float32"}} */
		s = jstr(json_object_get(d, "config"), "name");
	if (!s)
		return LC_DT_UNKNOWN;
	for (size_t i = 0; i < NELEM(map); i++)
		if (strcmp(s, map[i].n) == 0)
			return map[i].dt;
	return LC_DT_OTHER;
}

static void shape_of(json_t *a, lc_shape *sh)
{
	sh->rank = -1;
	if (!json_is_array(a) || json_array_size(a) > LC_MAX_DIMS)
		return;
	sh->rank = (int)json_array_size(a);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *d = json_array_get(a, i);
		double x = json_is_number(d) ? json_number_value(d) : -1;
		sh->dims[i] = x >= 0 && x < 9e15 ? (int64_t)x : -1;
	}
}

static int integral(double x) { return x == floor(x) && fabs(x) < 9e15; }

/* Config fields as attributes: scalars, numeric lists (null -> -1, as in
 * shapes), and serialized objects by class name (initializers ...). */
static void add_attrs(kb *b, int sg, int node, json_t *cfg)
{
	const char *k;
	json_t *v;
	json_object_foreach(cfg, k, v) {
		if (b->g->failed)
			return;
		if (strcmp(k, "name") == 0 || strcmp(k, "layers") == 0 || strcmp(k, "layer") == 0)
			continue;
		size_t kl = strlen(k);
		if (json_is_string(v)) {
			lc_attr *a = lc_graph_node_attr(b->g, sg, node, k, kl);
			if (!a)
				return;
			a->kind = LC_ATTR_STRING;
			a->s = lc_graph_strn(b->g, json_string_value(v), json_string_length(v));
			a->slen = json_string_length(v);
		} else if (json_is_boolean(v)) {
			lc_attr *a = lc_graph_node_attr(b->g, sg, node, k, kl);
			if (!a)
				return;
			a->kind = LC_ATTR_BOOL;
			a->i = json_is_true(v);
		} else if (json_is_number(v)) {
			double x = json_number_value(v);
			lc_attr *a = lc_graph_node_attr(b->g, sg, node, k, kl);
			if (!a)
				return;
			if (integral(x)) {
				a->kind = LC_ATTR_INT;
				a->i = (int64_t)x;
			} else {
				a->kind = LC_ATTR_FLOAT;
				a->f = x;
			}
		} else if (json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 64) {
			size_t n = json_array_size(v), i;
			int allint = 1;
			for (i = 0; i < n; i++) {
				json_t *e = json_array_get(v, i);
				if (json_is_null(e))
					continue;
				if (!json_is_number(e))
					break;
				if (!integral(json_number_value(e)))
					allint = 0;
			}
			if (i < n)
				continue;
			lc_attr *a = lc_graph_node_attr(b->g, sg, node, k, kl);
			if (!a)
				return;
			a->n = n;
			if (allint) {
				a->kind = LC_ATTR_INTS;
				a->ints = lc_graph_alloc(b->g, n * sizeof *a->ints);
				for (i = 0; a->ints && i < n; i++) {
					json_t *e = json_array_get(v, i);
					a->ints[i] = json_is_number(e) ? (int64_t)json_number_value(e) : -1;
				}
			} else {
				a->kind = LC_ATTR_FLOATS;
				a->floats = lc_graph_alloc(b->g, n * sizeof *a->floats);
				for (i = 0; a->floats && i < n; i++) {
					json_t *e = json_array_get(v, i);
					a->floats[i] = json_is_number(e) ? json_number_value(e) : NAN;
				}
			}
		} else if (json_is_object(v) && json_is_string(json_object_get(v, "class_name"))) {
			/* an initializer, regularizer, activation object, dtype policy,
			 * or a Lambda's function: its kind is what inspect shows */
			const char *cls = json_string_value(json_object_get(v, "class_name"));
			json_t *c = json_object_get(v, "config");
			const char *mod = jstr(v, "module");
			char buf[512];
			if (strcmp(cls, "DTypePolicy") == 0 && jstr(c, "name"))
				snprintf(buf, sizeof buf, "%s", jstr(c, "name"));
			else if (strcmp(cls, "function") == 0 && json_is_string(c))
				snprintf(buf, sizeof buf, "%s%s%s", mod ? mod : "", mod ? "." : "", json_string_value(c));
			else if (strcmp(cls, "__lambda__") == 0)
				snprintf(buf, sizeof buf, "<bytecode>");
			else
				snprintf(buf, sizeof buf, "%s", cls);
			lc_attr *a = lc_graph_node_attr(b->g, sg, node, k, kl);
			if (!a)
				return;
			a->kind = LC_ATTR_STRING;
			a->s = lc_graph_str(b->g, buf);
			a->slen = strlen(a->s);
		}
	}
}

static int build_model(kb *b, json_t *obj, int parent, int pnode, uint64_t depth);

static const char *layer_name_of(json_t *layer)
{
	const char *n = clean(json_object_get(layer, "name"));
	return n ? n : clean(json_object_get(json_object_get(layer, "config"), "name"));
}

/* One node for call k of a layer; nested models get their subgraph once
 * (body of call 0, shared by later calls). */
static int add_layer_node(kb *b, int sg, json_t *layer, const char *name, int k, int *body, uint64_t depth)
{
	const char *cls = clean(json_object_get(layer, "class_name"));
	const char *mod = clean(json_object_get(layer, "module"));
	json_t *cfg = json_object_get(layer, "config");
	char nm[600];
	if (k == 0)
		snprintf(nm, sizeof nm, "%s", name);
	else
		snprintf(nm, sizeof nm, "%s@%d", name, k);
	int node = lc_graph_add_node(b->g, sg, nm, cls ? cls : "?", mod ? mod : "keras", 0);
	if (node < 0)
		return -1;
	char out[640];
	int ol = snprintf(out, sizeof out, "%s:%d:0", name, k);
	lc_graph_node_output(b->g, sg, node, out, (size_t)ol < sizeof out ? (size_t)ol : sizeof out - 1);
	if (json_is_object(cfg)) {
		add_attrs(b, sg, node, cfg);
		json_t *inner = json_object_get(cfg, "layer");
		if (json_is_object(inner) && jstr(inner, "class_name")) {
			lc_attr *a = lc_graph_node_attr(b->g, sg, node, "layer", 5);
			if (a) {
				a->kind = LC_ATTR_STRING;
				a->s = lc_graph_str(b->g, jstr(inner, "class_name"));
				a->slen = strlen(a->s);
			}
		}
		if (json_is_array(json_object_get(cfg, "layers"))) {
			if (*body < 0 && depth < b->max_depth)
				*body = build_model(b, layer, sg, node, depth + 1);
			if (*body >= 0) {
				lc_attr *a = lc_graph_node_attr(b->g, sg, node, "body", 4);
				if (a) {
					a->kind = LC_ATTR_GRAPH;
					a->sub = *body;
				}
			}
		}
	}
	return node;
}

/* Ensures node has output name (a consumer refers to tensor t > 0). */
static void ensure_output(kb *b, int sg, int node, const char *name, size_t len)
{
	lc_node *n = lc_graph_node(b->g, sg, node);
	if (!n)
		return;
	for (size_t i = 0; i < n->noutputs; i++)
		if (strlen(n->outputs[i]) == len && memcmp(n->outputs[i], name, len) == 0)
			return;
	lc_graph_node_output(b->g, sg, node, name, len);
}

/* A reference [layer, node_index, tensor_index] as "layer:n:t"; the
 * producer gets that output.  Returns the length written, 0 if not a ref. */
static size_t ref_name(kb *b, int sg, const lmap *m, json_t *ref, char *buf, size_t len)
{
	const char *ln = clean(json_array_get(ref, 0));
	json_t *jn = json_array_get(ref, 1), *jt = json_array_get(ref, 2);
	if (!ln || !json_is_number(jn) || !json_is_number(jt))
		return 0;
	double dn = json_number_value(jn), dt = json_number_value(jt);
	long n = dn >= 0 && dn < 1e9 ? (long)dn : 0, t = dt >= 0 && dt < 1e9 ? (long)dt : 0;
	int l = snprintf(buf, len, "%s:%ld:%ld", ln, n, t);
	if (l < 0 || (size_t)l >= len)
		return 0;
	const lent *e = lmap_get(m, ln);
	if (e && e->first >= 0 && e->ncalls > 0)
		ensure_output(b, sg, e->first + (n < e->ncalls ? (int)n : 0), buf, (size_t)l);
	return (size_t)l;
}

/* Tensor references of one call: Keras 2 [[name, n, t, kwargs], ...],
 * Keras 3 {"args": [...], "kwargs": {...}} holding __keras_tensor__
 * objects with keras_history [name, n, t], anywhere in args/kwargs. */
static void collect_inputs(kb *b, int sg, int node, const lmap *m, json_t *v, unsigned depth)
{
	char buf[700];
	if (depth > 16 || b->g->failed)
		return;
	if (json_is_array(v)) {
		if (json_array_size(v) >= 3 && json_is_string(json_array_get(v, 0)) && json_is_number(json_array_get(v, 1))) {
			size_t l = ref_name(b, sg, m, v, buf, sizeof buf);
			if (l)
				lc_graph_node_input(b->g, sg, node, buf, l);
			return;
		}
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e) collect_inputs(b, sg, node, m, e, depth + 1);
		return;
	}
	if (!json_is_object(v))
		return;
	const char *cls = jstr(v, "class_name");
	if (cls && strcmp(cls, "__keras_tensor__") == 0) {
		json_t *h = json_object_get(json_object_get(v, "config"), "keras_history");
		size_t l = json_is_array(h) ? ref_name(b, sg, m, h, buf, sizeof buf) : 0;
		if (l)
			lc_graph_node_input(b->g, sg, node, buf, l);
		return;
	}
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e) collect_inputs(b, sg, node, m, e, depth + 1);
}

/* input_layers / output_layers: [[name, n, t], ...] or one [name, n, t]. */
static void model_io(kb *b, int sg, const lmap *m, json_t *list, int output)
{
	char buf[700];
	if (!json_is_array(list))
		return;
	if (json_is_string(json_array_get(list, 0))) {
		size_t l = ref_name(b, sg, m, list, buf, sizeof buf);
		if (l && output)
			lc_graph_add_output(b->g, sg, buf, l);
		return;
	}
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		if (!json_is_array(e))
			continue;
		size_t l = ref_name(b, sg, m, e, buf, sizeof buf);
		if (l && output)
			lc_graph_add_output(b->g, sg, buf, l);
	}
}

static void add_input_layer(kb *b, int sg, json_t *layer, const char *name)
{
	json_t *cfg = json_object_get(layer, "config");
	char buf[640];
	int l = snprintf(buf, sizeof buf, "%s:0:0", name);
	lc_value_info *vi = lc_graph_add_input(b->g, sg, buf, (size_t)l < sizeof buf ? (size_t)l : sizeof buf - 1);
	if (!vi)
		return;
	vi->dtype = dtype_of(json_object_get(cfg, "dtype"));
	json_t *sh = json_object_get(cfg, "batch_shape");
	if (!sh)
		sh = json_object_get(cfg, "batch_input_shape");
	shape_of(sh, &vi->shape);
}

static int build_model(kb *b, json_t *obj, int parent, int pnode, uint64_t depth)
{
	json_t *cfg = json_object_get(obj, "config");
	const char *cls = clean(json_object_get(obj, "class_name"));
	const char *mname = clean(json_object_get(cfg, "name"));
	json_t *layers = json_object_get(cfg, "layers");
	int sg = lc_graph_add_subgraph(b->g, mname ? mname : cls ? cls : "model", parent < 0 ? LC_SG_MAIN : LC_SG_NESTED,
				       parent, pnode);
	if (sg < 0)
		return -1;
	if (!json_is_array(layers)) {
		/* a subclassed or custom model: one opaque node */
		int body = -1;
		add_layer_node(b, sg, obj, mname ? mname : cls ? cls : "model", 0, &body, depth);
		return sg;
	}
	size_t nl = json_array_size(layers), i;
	json_t *layer;
	lmap m;
	if (lmap_init(&m, nl) < 0) {
		b->g->failed = 1;
		return sg;
	}
	int functional = json_object_get(cfg, "input_layers") || json_object_get(cfg, "output_layers");
	json_array_foreach(layers, i, layer) {
		if (json_object_get(layer, "inbound_nodes"))
			functional = 1;
	}
	if (cls && strcmp(cls, "Sequential") == 0)
		functional = 0;
	char prev[700] = "";
	size_t prevlen = 0;
	json_array_foreach(layers, i, layer) {
		if (b->g->failed)
			break;
		if (!json_is_object(layer))
			continue;
		const char *name = layer_name_of(layer);
		char anon[32];
		if (!name) {
			snprintf(anon, sizeof anon, "layer_%zu", i);
			name = anon;
		}
		const char *lcls = jstr(layer, "class_name");
		if (lcls && strcmp(lcls, "InputLayer") == 0) {
			add_input_layer(b, sg, layer, name);
			if (name != anon)
				lmap_put(&m, name, -1, 0);
			prevlen = (size_t)snprintf(prev, sizeof prev, "%s:0:0", name);
			continue;
		}
		json_t *inb = json_object_get(layer, "inbound_nodes");
		int ncalls = functional && json_is_array(inb) && json_array_size(inb) > 0 ? (int)json_array_size(inb) : 1;
		int body = -1, first = -1;
		for (int k = 0; k < ncalls && !b->g->failed; k++) {
			int node = add_layer_node(b, sg, layer, name, k, &body, depth);
			if (node < 0)
				break;
			if (k == 0)
				first = node;
		}
		if (first < 0)
			break;
		if (name != anon)
			lmap_put(&m, name, first, ncalls);
		if (!functional) {
			if (i == 0 || !prevlen) {
				/* Keras 2 Sequential: the first layer's batch_input_shape
				 * declares the input */
				json_t *lc = json_object_get(layer, "config");
				json_t *sh = json_object_get(lc, "batch_input_shape");
				if (!sh)
					sh = json_object_get(json_object_get(cfg, "build_input_shape") ? cfg : lc,
							     "build_input_shape");
				if (sh) {
					prevlen = (size_t)snprintf(prev, sizeof prev, "%s_input", mname ? mname : "model");
					lc_value_info *vi = lc_graph_add_input(b->g, sg, prev, prevlen);
					if (vi) {
						shape_of(sh, &vi->shape);
						vi->dtype = dtype_of(json_object_get(lc, "dtype"));
					}
				}
			}
			if (prevlen && prevlen < sizeof prev)
				lc_graph_node_input(b->g, sg, first, prev, prevlen);
			prevlen = (size_t)snprintf(prev, sizeof prev, "%s:0:0", name);
		}
	}
	if (functional) {
		json_array_foreach(layers, i, layer) {
			const char *name = layer_name_of(layer);
			const lent *e = name ? lmap_get(&m, name) : NULL;
			json_t *inb = json_object_get(layer, "inbound_nodes");
			if (!e || e->first < 0 || !json_is_array(inb) || b->g->failed)
				continue;
			for (int k = 0; k < e->ncalls; k++)
				collect_inputs(b, sg, e->first + k, &m, json_array_get(inb, (size_t)k), 0);
		}
		model_io(b, sg, &m, json_object_get(cfg, "input_layers"), 0);
		model_io(b, sg, &m, json_object_get(cfg, "output_layers"), 1);
	} else if (prevlen && prevlen < sizeof prev) {
		lc_graph_add_output(b->g, sg, prev, prevlen);
	}
	free(m.e);
	return sg;
}

lc_graph *lc_keras_graph(lc_ctx *ctx, json_t *root, const char *producer)
{
	if (!lc_keras_is_config(root))
		return NULL;
	lc_graph *g = lc_graph_new(ctx, "keras");
	if (!g)
		return NULL;
	if (producer)
		g->producer = lc_graph_str(g, producer);
	kb b = {ctx, g, lc_lim(ctx, LC_LIMIT_config_max_depth)};
	build_model(&b, root, -1, -1, 0);
	return g;
}

/* ---- the keras-config JSON reader ---------------------------------------- */

/* The bidder scans at most this much text for the top-level keys. */
#define KC_BID_SCAN (256u << 20)

static size_t skip_ws(const uint8_t *d, size_t len, size_t i)
{
	while (i < len && (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	return i;
}

static unsigned key_bit(const uint8_t *p, size_t left)
{
	if (left >= 11 && memcmp(p, "class_name\"", 11) == 0)
		return 1;
	if (left >= 7 && memcmp(p, "config\"", 7) == 0)
		return 2;
	return 0;
}

/* A JSON object whose top level has "class_name" and "config" keys: 35,
 * above the generic model config (30), below tokenizer_config (40).  A
 * small tokenizer tracks strings and nesting so that nested objects (every
 * layer has the same keys) do not count. */
int lc_bid_keras_config(const uint8_t *data, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	i = skip_ws(data, len, i);
	if (i >= len || data[i] != '{' || len > KC_BID_SCAN)
		return 0;
	size_t e = len;
	while (e > i && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\n' || data[e - 1] == '\r'))
		e--;
	if (e - i < 2 || data[e - 1] != '}' || !lc_looks_like_text(data, len))
		return 0;
	unsigned depth = 0, have = 0;
	int in_str = 0, expect_key = 0;
	for (; i < e; i++) {
		uint8_t c = data[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		switch (c) {
		case '"':
			if (depth == 1 && expect_key)
				have |= key_bit(data + i + 1, e - i - 1);
			expect_key = 0;
			in_str = 1;
			break;
		case '{':
			depth++;
			expect_key = depth == 1;
			break;
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return 0;
			depth--;
			if (depth == 0 && i + 1 < e)
				return 0; /* a second document: JSON lines, not a config */
			break;
		case ',':
			if (depth == 1)
				expect_key = 1;
			break;
		default:
			break;
		}
		if (have == 3)
			return 35;
	}
	return 0;
}

lc_err lc_parse_keras_config(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	lc_set_format(ctx, "keras-config");
	/* A zip whose member is a Keras model config is a .keras archive
	 * (by content: the member parsed as one). */
	if (ctx->depth == 1 && ctx->file->format && strcmp(ctx->file->format, "zip") == 0)
		ctx->file->format = "keras";
	if (len > lc_lim(ctx, LC_LIMIT_config_max_bytes))
		return lc_limit_hit(ctx, LC_LIMIT_config_max_bytes, 0, "Keras config size");
	json_error_t jerr;
	json_t *root = json_loadb((const char *)data, len, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return lc_fail(ctx, LC_E_MALFORMED, jerr.position >= 0 ? (uint64_t)jerr.position : LC_NO_OFFSET,
			       "Keras config: JSON does not parse: %s (line %d, column %d)", jerr.text, jerr.line,
			       jerr.column);
	char where[300], path[256];
	lc_member_path(ctx, path, sizeof path);
	snprintf(where, sizeof where, "%s", path[0] ? path : "Keras config");
	lc_err err = analyze(ctx, root, where);
	if (err == LC_OK)
		lc_graph_done(ctx, lc_keras_graph(ctx, root, NULL));
	json_decref(root);
	return err;
}
