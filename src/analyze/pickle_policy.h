/*
 * Pickle callable policy (src/analyze/pickle_policy.c).
 *
 * The symbolic pickle VM (src/formats/pickle.c) resolves every global a
 * pickle imports to a (module, qualname) pair, after the unpickler's own
 * normalisation (fix_imports for protocols < 3), and asks this module what
 * the pair is:
 *   - DANGEROUS: a known way to run code, touch files or the network, load a
 *     nested pickle, build code objects ...  CRITICAL whether called or only
 *     imported.  The match considers every way a dotted name can resolve
 *     (see lc_pickle_classify).
 *   - ALLOWED: an exact pair that real model files call (tensor rebuild
 *     helpers, numpy reconstruction, plain builtin types ...).
 *   - UNKNOWN: everything else; calling it is HIGH, importing it LOW.
 * A few callables get a "special" tag so that the VM can model what they
 * return (getattr, _codecs.encode, copyreg helpers, nested loaders ...).
 */
#ifndef LC_ANALYZE_PICKLE_POLICY_H
#define LC_ANALYZE_PICKLE_POLICY_H

#include <stddef.h>

typedef enum lc_pverdict {
	LC_PV_UNKNOWN = 0,
	LC_PV_ALLOWED,
	LC_PV_DANGEROUS
} lc_pverdict;

/* What calling the callable does, as far as the VM models it. */
enum lc_pspecial {
	LC_PSP_NONE = 0,
	LC_PSP_GETATTR,          /* builtins.getattr(obj, 'name'[, default]) -> obj.name */
	LC_PSP_IMPORT,           /* __import__('m'), import_module('m'), pydoc.locate('m.x'),
				  * pkgutil.resolve_name('m:x') -> the object m.x */
	LC_PSP_CODECS_ENCODE,    /* _codecs.encode(str, 'latin1') -> bytes */
	LC_PSP_BYTES,            /* builtins.bytes / bytearray (b) -> same bytes */
	LC_PSP_B64DECODE,        /* base64.b64decode(s) -> bytes */
	LC_PSP_FROMHEX,          /* bytes.fromhex(s), binascii.unhexlify(s) -> bytes */
	LC_PSP_NESTED_LOADER,    /* deserializes its first argument (bytes) */
	LC_PSP_TORCH_LOAD_BYTES, /* torch.storage._load_from_bytes(b): torch.load of constant bytes */
	LC_PSP_RECONSTRUCTOR,    /* copyreg._reconstructor(cls, base, state) */
	LC_PSP_NEWOBJ,           /* copyreg.__newobj__(cls, *args) */
	LC_PSP_NEWOBJ_EX,        /* copyreg.__newobj_ex__(cls, args, kwargs) */
	LC_PSP_PARTIAL,          /* functools.partial(f, ...): calling the result calls f */
	LC_PSP_APPLY,            /* calls its first argument (torch._tensor._rebuild_from_type_v2 ...) */
	LC_PSP_ATTRGETTER,       /* operator.attrgetter('n')(obj) -> obj.n */
	LC_PSP_METHODCALLER,     /* operator.methodcaller('n', ...)(obj) -> obj.n(...) */
	LC_PSP_TYPES_ATTR,       /* cloudpickle _builtin_type('CodeType') -> types.CodeType */
};

/* Rule used when a DANGEROUS callable is called. */
enum lc_prule {
	LC_PR_CALLABLE = 0, /* pickle.callable.dangerous */
	LC_PR_CODE,         /* pickle.code-object */
	LC_PR_NESTED,       /* pickle.nested-loader */
};

typedef struct lc_pickle_verdict {
	lc_pverdict verdict;
	int special;           /* enum lc_pspecial */
	int rule;              /* enum lc_prule; meaningful for DANGEROUS */
	const char *reason;    /* static: why it is dangerous ("process execution") */
	const char *match_mod; /* static: denylist row that matched (module) */
	const char *match_name;/* static: its name, or NULL for a module-wide row */
} lc_pickle_verdict;

/* The rule id string of an enum lc_prule. */
const char *lc_pickle_rule_name(int rule);

/* Classifies module.qualname (both NUL-terminated, already normalised by
 * lc_pickle_fix_imports when the protocol is < 3).  ctx_flags are the LC_CTX_*
 * flags of the view.  The denylist is matched against every reading of the
 * dotted path: for the components c0..cn-1 of "module.qualname" (module has
 * k of them) every split (c0..cs-1, cs..) and every suffix that starts inside
 * the qualname (ci..cs-1, cs..) with i >= k.  Then the exact allowlist. */
void lc_pickle_classify(const char *module, const char *qualname, unsigned ctx_flags, lc_pickle_verdict *out);

/* ctx_flags bit for callers that do not know where the module part of a
 * dotted name ends (Hydra's _target_: "scipy.signal.convolve" is scipy's
 * signal, not the standard library's).  Then a denylist row reached by
 * dropping leading components only counts when it names the attribute
 * (os.system) or a module whose name no library reuses (os, subprocess...). */
#define LC_POLICY_AMBIGUOUS_SPLIT (1u << 16)

/* Whether reconstructing an instance of class module.qualname without
 * calling its constructor (NEWOBJ, copyreg._reconstructor, __setstate__) is
 * expected in model files (torch.nn modules, sklearn estimators, numpy
 * arrays, TorchScript __torch__ classes inside a TorchScript archive).  Does
 * not look at the denylist: callers classify first. */
int lc_pickle_reconstructable(const char *module, const char *qualname, unsigned ctx_flags);

/* CPython's find_class(fix_imports=True) for protocols < 3: NAME_MAPPING on
 * the pair first, else IMPORT_MAPPING on the module (Lib/_compat_pickle.py).
 * On a hit, *module and/or *name are replaced by static strings and 1 is
 * returned; 0 when nothing maps. */
int lc_pickle_fix_imports(const char **module, const char **name);

/* Element size in bytes of a torch storage type or dtype name
 * ("torch.FloatStorage", "torch.float16", "torch.UntypedStorage" = 1);
 * 0 when unknown. */
unsigned lc_pickle_storage_elem_size(const char *fullname);

#endif
