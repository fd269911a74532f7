/*
 * Unit tests of the pickle callable policy (src/analyze/pickle_policy.c):
 * allowlist, denylist over every dotted reading, reconstructable classes and
 * CPython's fix_imports tables.
 */
#include <string.h>

#include "analyze/pickle_policy.h"
#include "core/lc.h"
#include "harness.h"

static int verdict(const char *m, const char *q, unsigned flags)
{
	lc_pickle_verdict v;
	lc_pickle_classify(m, q, flags, &v);
	return v.verdict;
}

static void test_allowlist(void)
{
	static const char *const ok[][2] = {
		{"torch._utils", "_rebuild_tensor_v2"}, {"torch._utils", "_rebuild_parameter"},
		{"torch._utils", "_rebuild_qtensor"},   {"torch", "FloatStorage"},
		{"torch", "float32"},                    {"torch", "Size"},
		{"torch", "device"},                     {"torch.serialization", "_get_layout"},
		{"collections", "OrderedDict"},          {"numpy.core.multiarray", "_reconstruct"},
		{"numpy._core.multiarray", "scalar"},    {"numpy", "dtype"},
		{"numpy.random._pickle", "__randomstate_ctor"},
		{"builtins", "set"},                     {"copyreg", "_reconstructor"},
		{"_codecs", "encode"},                   {"sklearn.tree._tree", "Tree"},
		{"torch", "_utils._rebuild_tensor_v2"}, /* same path, other split */
	};
	size_t i;
	for (i = 0; i < sizeof ok / sizeof ok[0]; i++)
		CHECK_MSG(verdict(ok[i][0], ok[i][1], 0) == LC_PV_ALLOWED, "%s.%s", ok[i][0], ok[i][1]);
	/* near misses are not allowed */
	CHECK(verdict("torch._utils", "_rebuild_tensor_v9", 0) == LC_PV_UNKNOWN);
	CHECK(verdict("torch", "FloatStorage.x", 0) == LC_PV_UNKNOWN);
	CHECK(verdict("collections", "OrderedDictX", 0) == LC_PV_UNKNOWN);
	CHECK(verdict("builtins", "print", 0) == LC_PV_UNKNOWN);
	CHECK(verdict("__main__", "Net", 0) == LC_PV_UNKNOWN);
}

static void test_denylist(void)
{
	static const char *const bad[][2] = {
		{"os", "system"},       {"posix", "system"},       {"nt", "system"},
		{"subprocess", "Popen"}, {"builtins", "eval"},      {"builtins", "getattr"},
		{"builtins", "exec.__call__"}, {"sys", "exit"},     {"socket", "create_connection"},
		{"requests.api", "get"}, {"httplib", "HTTPSConnection"}, {"_io", "FileIO"},
		{"pickle", "loads"},    {"torch.serialization", "load"}, {"numpy.testing._private.utils", "runstring"},
		{"bdb", "Bdb.run"},     {"idlelib.pyshell", "ModifiedInterpreter.runcode"},
		{"torch._inductor.codecache", "compile_file"}, {"operator", "attrgetter"},
		{"types", "CodeType"},  {"cloudpickle.cloudpickle", "_make_function"},
		{"uuid", "_get_command_stdout"}, {"__builtin__", "eval"}, {"commands", "getoutput"},
		{"os", ""}, /* the module object */
	};
	size_t i;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_MSG(verdict(bad[i][0], bad[i][1], 0) == LC_PV_DANGEROUS, "%s.%s", bad[i][0], bad[i][1]);
}

/* Every reading of a dotted path is checked against the denylist. */
static void test_dotted(void)
{
	lc_pickle_verdict v;
	CHECK(verdict("torch", "os.system", 0) == LC_PV_DANGEROUS);
	CHECK(verdict("torch.serialization", "os.system", 0) == LC_PV_DANGEROUS);
	CHECK(verdict("torch", "serialization.load", 0) == LC_PV_DANGEROUS);
	CHECK(verdict("builtins", "__dict__.x.subprocess.run", 0) == LC_PV_DANGEROUS);
	CHECK(verdict("os.path", "join", 0) == LC_PV_DANGEROUS); /* module-wide covers submodules */
	lc_pickle_classify("torch", "os.system", 0, &v);
	CHECK(v.match_mod && strcmp(v.match_mod, "os") == 0);
	/* dropping components of the module itself would invent matches */
	CHECK(verdict("torch.jit._pickle", "build_intlist", 0) == LC_PV_ALLOWED);
	CHECK(verdict("mylib.sys", "Thing", 0) == LC_PV_UNKNOWN);
	/* the specific row wins over the module-wide one (rule and special) */
	lc_pickle_classify("pickle", "loads", 0, &v);
	CHECK(v.verdict == LC_PV_DANGEROUS && v.rule == LC_PR_NESTED && v.special == LC_PSP_NESTED_LOADER);
	lc_pickle_classify("types", "CodeType", 0, &v);
	CHECK(v.rule == LC_PR_CODE);
	CHECK(strcmp(lc_pickle_rule_name(v.rule), "pickle.code-object") == 0);
	lc_pickle_classify("builtins", "getattr", 0, &v);
	CHECK(v.special == LC_PSP_GETATTR && v.rule == LC_PR_CALLABLE);
	CHECK(strcmp(lc_pickle_rule_name(LC_PR_CALLABLE), "pickle.callable.dangerous") == 0);
	CHECK(strcmp(lc_pickle_rule_name(LC_PR_NESTED), "pickle.nested-loader") == 0);
}

static void test_reconstructable(void)
{
	CHECK(lc_pickle_reconstructable("torch.nn.modules.linear", "Linear", 0));
	CHECK(lc_pickle_reconstructable("sklearn.linear_model._logistic", "LogisticRegression", 0));
	CHECK(lc_pickle_reconstructable("collections", "OrderedDict", 0));
	CHECK(!lc_pickle_reconstructable("__main__", "Net", 0));
	CHECK(!lc_pickle_reconstructable("__torch__.torch.nn.modules.linear", "Linear", 0));
	CHECK(lc_pickle_reconstructable("__torch__.torch.nn.modules.linear", "Linear", LC_CTX_TORCHSCRIPT));
	CHECK(lc_pickle_reconstructable("__torch__", "MyModule", LC_CTX_TORCHSCRIPT));
	CHECK(!lc_pickle_reconstructable("__torch___evil", "X", LC_CTX_TORCHSCRIPT));
}

static void fix(const char *m, const char *n, const char *em, const char *en, int changed)
{
	const char *mm = m, *nn = n;
	int r = lc_pickle_fix_imports(&mm, &nn);
	CHECK_MSG(r == changed && strcmp(mm, em) == 0 && strcmp(nn, en) == 0, "%s %s -> %s %s (%d)", m, n, mm, nn,
		  r);
}

/* Rows of CPython's Lib/_compat_pickle.py */
static void test_fix_imports_tables(void)
{
	fix("__builtin__", "eval", "builtins", "eval", 1);
	fix("__builtin__", "xrange", "builtins", "range", 1);
	fix("__builtin__", "reduce", "functools", "reduce", 1);
	fix("__builtin__", "intern", "sys", "intern", 1);
	fix("__builtin__", "unicode", "builtins", "str", 1);
	fix("__builtin__", "basestring", "builtins", "str", 1);
	fix("copy_reg", "_reconstructor", "copyreg", "_reconstructor", 1);
	fix("commands", "getoutput", "subprocess", "getoutput", 1);
	fix("cPickle", "loads", "pickle", "loads", 1);
	fix("urllib2", "urlopen", "urllib.request", "urlopen", 1);
	fix("urllib2", "HTTPError", "urllib.error", "HTTPError", 1);
	fix("urllib", "urlopen", "urllib.request", "urlopen", 1);
	fix("httplib", "HTTPSConnection", "http.client", "HTTPSConnection", 1);
	fix("itertools", "izip", "builtins", "zip", 1);
	fix("exceptions", "ValueError", "builtins", "ValueError", 1);
	fix("exceptions", "StandardError", "builtins", "Exception", 1);
	fix("multiprocessing", "TimeoutError", "multiprocessing.context", "TimeoutError", 1);
	fix("UserDict", "UserDict", "collections", "UserDict", 1);
	fix("UserDict", "DictMixin", "collections", "DictMixin", 1); /* module row only */
	fix("StringIO", "StringIO", "io", "StringIO", 1);
	fix("test.test_support", "run", "test.support", "run", 1);
	fix("socket", "_socketobject", "socket", "SocketType", 1);
	fix("os", "system", "os", "system", 0);
	fix("builtins", "eval", "builtins", "eval", 0);
	fix("exceptions", "NoSuchError", "exceptions", "NoSuchError", 0);
}

static void test_storage_sizes(void)
{
	CHECK(lc_pickle_storage_elem_size("torch.FloatStorage") == 4);
	CHECK(lc_pickle_storage_elem_size("torch.HalfStorage") == 2);
	CHECK(lc_pickle_storage_elem_size("torch.BFloat16Storage") == 2);
	CHECK(lc_pickle_storage_elem_size("torch.LongStorage") == 8);
	CHECK(lc_pickle_storage_elem_size("torch.ComplexDoubleStorage") == 16);
	CHECK(lc_pickle_storage_elem_size("torch.UntypedStorage") == 1);
	CHECK(lc_pickle_storage_elem_size("torch.float16") == 2);
	CHECK(lc_pickle_storage_elem_size("torch.cuda.FloatStorage") == 4);
	CHECK(lc_pickle_storage_elem_size("torch.NoSuchStorage") == 0);
	CHECK(lc_pickle_storage_elem_size("FloatStorage") == 0);
}

/* Callers that cannot tell where the module ends (Hydra _target_) must not
 * read a library's own submodule as the standard library's. */
static void test_ambiguous_split(void)
{
	lc_pickle_verdict v;
	/* scipy.signal is scipy's: the module-wide "signal" row does not apply */
	lc_pickle_classify("scipy", "signal.convolve", LC_POLICY_AMBIGUOUS_SPLIT, &v);
	CHECK(v.verdict != LC_PV_DANGEROUS);
	/* ... but without the flag (a pickle's explicit module) the suffix reading holds */
	lc_pickle_classify("scipy", "signal.convolve", 0, &v);
	CHECK(v.verdict == LC_PV_DANGEROUS);
	/* os, subprocess, builtins reached by attribute walk stay dangerous */
	lc_pickle_classify("torch", "nn.modules.module.os.system", LC_POLICY_AMBIGUOUS_SPLIT, &v);
	CHECK(v.verdict == LC_PV_DANGEROUS);
	lc_pickle_classify("mylib", "subprocess.Popen", LC_POLICY_AMBIGUOUS_SPLIT, &v);
	CHECK(v.verdict == LC_PV_DANGEROUS);
	lc_pickle_classify("mylib", "builtins.eval", LC_POLICY_AMBIGUOUS_SPLIT, &v);
	CHECK(v.verdict == LC_PV_DANGEROUS);
	/* the whole path is still checked as written */
	lc_pickle_classify("signal", "signal", LC_POLICY_AMBIGUOUS_SPLIT, &v);
	CHECK(v.verdict == LC_PV_DANGEROUS);
}

int main(void)
{
	RUN(test_ambiguous_split);
	RUN(test_allowlist);
	RUN(test_denylist);
	RUN(test_dotted);
	RUN(test_reconstructable);
	RUN(test_fix_imports_tables);
	RUN(test_storage_sizes);
	return TEST_REPORT("test_pickle_policy");
}
