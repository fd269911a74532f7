/*
 * Pickle callable policy: denylist, allowlist, reconstructable classes and
 * CPython's Python-2 name mapping.  See pickle_policy.h.
 *
 * The tables are data, kept in one place so that a reviewer can read the
 * whole policy without reading the VM.
 */
#include "analyze/pickle_policy.h"
#include "core/lc.h"

#include <string.h>

/* ---- fix_imports (CPython Lib/_compat_pickle.py) -------------------------
 * IMPORT_MAPPING after its update() with the non-mutual entries, and
 * NAME_MAPPING including the generated exception rows (POSIX build: no
 * WindowsError). */
static const char *const import_mapping[][2] = {
	{"__builtin__", "builtins"},
	{"copy_reg", "copyreg"},
	{"Queue", "queue"},
	{"SocketServer", "socketserver"},
	{"ConfigParser", "configparser"},
	{"repr", "reprlib"},
	{"tkFileDialog", "tkinter.filedialog"},
	{"tkSimpleDialog", "tkinter.simpledialog"},
	{"tkColorChooser", "tkinter.colorchooser"},
	{"tkCommonDialog", "tkinter.commondialog"},
	{"Dialog", "tkinter.dialog"},
	{"Tkdnd", "tkinter.dnd"},
	{"tkFont", "tkinter.font"},
	{"tkMessageBox", "tkinter.messagebox"},
	{"ScrolledText", "tkinter.scrolledtext"},
	{"Tkconstants", "tkinter.constants"},
	{"Tix", "tkinter.tix"},
	{"ttk", "tkinter.ttk"},
	{"Tkinter", "tkinter"},
	{"markupbase", "_markupbase"},
	{"_winreg", "winreg"},
	{"thread", "_thread"},
	{"dummy_thread", "_dummy_thread"},
	{"dbhash", "dbm.bsd"},
	{"dumbdbm", "dbm.dumb"},
	{"dbm", "dbm.ndbm"},
	{"gdbm", "dbm.gnu"},
	{"xmlrpclib", "xmlrpc.client"},
	{"SimpleXMLRPCServer", "xmlrpc.server"},
	{"httplib", "http.client"},
	{"htmlentitydefs", "html.entities"},
	{"HTMLParser", "html.parser"},
	{"Cookie", "http.cookies"},
	{"cookielib", "http.cookiejar"},
	{"BaseHTTPServer", "http.server"},
	{"test.test_support", "test.support"},
	{"commands", "subprocess"},
	{"urlparse", "urllib.parse"},
	{"robotparser", "urllib.robotparser"},
	{"urllib2", "urllib.request"},
	{"anydbm", "dbm"},
	{"_abcoll", "collections.abc"},
	/* non-mutual additions */
	{"cPickle", "pickle"},
	{"_elementtree", "xml.etree.ElementTree"},
	{"FileDialog", "tkinter.filedialog"},
	{"SimpleDialog", "tkinter.simpledialog"},
	{"DocXMLRPCServer", "xmlrpc.server"},
	{"SimpleHTTPServer", "http.server"},
	{"CGIHTTPServer", "http.server"},
	{"UserDict", "collections"},
	{"UserList", "collections"},
	{"UserString", "collections"},
	{"whichdb", "dbm"},
	{"StringIO", "io"},
	{"cStringIO", "io"},
};

static const char *const name_mapping[][4] = {
	{"__builtin__", "xrange", "builtins", "range"},
	{"__builtin__", "reduce", "functools", "reduce"},
	{"__builtin__", "intern", "sys", "intern"},
	{"__builtin__", "unichr", "builtins", "chr"},
	{"__builtin__", "unicode", "builtins", "str"},
	{"__builtin__", "long", "builtins", "int"},
	{"itertools", "izip", "builtins", "zip"},
	{"itertools", "imap", "builtins", "map"},
	{"itertools", "ifilter", "builtins", "filter"},
	{"itertools", "ifilterfalse", "itertools", "filterfalse"},
	{"itertools", "izip_longest", "itertools", "zip_longest"},
	{"UserDict", "IterableUserDict", "collections", "UserDict"},
	{"UserList", "UserList", "collections", "UserList"},
	{"UserString", "UserString", "collections", "UserString"},
	{"whichdb", "whichdb", "dbm", "whichdb"},
	{"_socket", "fromfd", "socket", "fromfd"},
	{"_multiprocessing", "Connection", "multiprocessing.connection", "Connection"},
	{"multiprocessing.process", "Process", "multiprocessing.context", "Process"},
	{"multiprocessing.forking", "Popen", "multiprocessing.popen_fork", "Popen"},
	{"urllib", "ContentTooShortError", "urllib.error", "ContentTooShortError"},
	{"urllib", "getproxies", "urllib.request", "getproxies"},
	{"urllib", "pathname2url", "urllib.request", "pathname2url"},
	{"urllib", "quote_plus", "urllib.parse", "quote_plus"},
	{"urllib", "quote", "urllib.parse", "quote"},
	{"urllib", "unquote_plus", "urllib.parse", "unquote_plus"},
	{"urllib", "unquote", "urllib.parse", "unquote"},
	{"urllib", "url2pathname", "urllib.request", "url2pathname"},
	{"urllib", "urlcleanup", "urllib.request", "urlcleanup"},
	{"urllib", "urlencode", "urllib.parse", "urlencode"},
	{"urllib", "urlopen", "urllib.request", "urlopen"},
	{"urllib", "urlretrieve", "urllib.request", "urlretrieve"},
	{"urllib2", "HTTPError", "urllib.error", "HTTPError"},
	{"urllib2", "URLError", "urllib.error", "URLError"},
	{"__builtin__", "basestring", "builtins", "str"},
	{"exceptions", "StandardError", "builtins", "Exception"},
	{"UserDict", "UserDict", "collections", "UserDict"},
	{"socket", "_socketobject", "socket", "SocketType"},
	{"multiprocessing", "AuthenticationError", "multiprocessing.context", "AuthenticationError"},
	{"multiprocessing", "BufferTooShort", "multiprocessing.context", "BufferTooShort"},
	{"multiprocessing", "ProcessError", "multiprocessing.context", "ProcessError"},
	{"multiprocessing", "TimeoutError", "multiprocessing.context", "TimeoutError"},
};

/* ("exceptions", X) -> ("builtins", X) for these X. */
static const char *const py2_exceptions[] = {
	"ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BufferError",
	"BytesWarning", "DeprecationWarning", "EOFError", "EnvironmentError", "Exception",
	"FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError",
	"ImportWarning", "IndentationError", "IndexError", "KeyError", "KeyboardInterrupt",
	"LookupError", "MemoryError", "NameError", "NotImplementedError", "OSError",
	"OverflowError", "PendingDeprecationWarning", "ReferenceError", "RuntimeError",
	"RuntimeWarning", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError",
	"SystemExit", "TabError", "TargetScopeError", "TypeError", "UnboundLocalError",
	"UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError",
	"UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int lc_pickle_fix_imports(const char **module, const char **name)
{
	size_t i;
	/* NAME_MAPPING is consulted first and, when it hits, replaces both. */
	for (i = 0; i < NELEM(name_mapping); i++) {
		if (strcmp(*module, name_mapping[i][0]) == 0 && strcmp(*name, name_mapping[i][1]) == 0) {
			*module = name_mapping[i][2];
			*name = name_mapping[i][3];
			return 1;
		}
	}
	if (strcmp(*module, "exceptions") == 0) {
		for (i = 0; i < NELEM(py2_exceptions); i++) {
			if (strcmp(*name, py2_exceptions[i]) == 0) {
				*module = "builtins";
				*name = py2_exceptions[i];
				return 1;
			}
		}
	}
	for (i = 0; i < NELEM(import_mapping); i++) {
		if (strcmp(*module, import_mapping[i][0]) == 0) {
			*module = import_mapping[i][1];
			return 1;
		}
	}
	return 0;
}

/* ---- denylist ------------------------------------------------------------
 * name == NULL: the whole module and its submodules.  A specific name also
 * covers attributes reached through it ("Bdb" covers "Bdb.run"). */
typedef struct deny_row {
	const char *mod;
	const char *name;
	unsigned char rule; /* enum lc_prule */
	unsigned char special;
	const char *reason;
} deny_row;

#define R_EXEC "process execution"
#define R_CODE "runs Python code from a string"
#define R_IMPORT "imports arbitrary code"
#define R_FILE "file system access"
#define R_NET "network access"
#define R_NESTED "deserializes nested data (pickle in pickle)"
#define R_BUILD_CODE "builds a code object or function from bytecode"
#define R_ATTR "attribute access gadget (reaches any attribute)"
#define R_NATIVE "loads native code"
#define R_INTERP "interpreter state or control"

static const deny_row deny_table[] = {
	/* process execution */
	{"os", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"posix", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"nt", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"_posixsubprocess", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"subprocess", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"commands", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"popen2", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"pty", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"asyncio", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"multiprocessing", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"_multiprocessing", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"concurrent", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"_winapi", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"platform", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"_aix_support", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"_osx_support", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"uuid", "_get_command_stdout", LC_PR_CALLABLE, 0, R_EXEC},
	{"uuid", "_popen", LC_PR_CALLABLE, 0, R_EXEC},
	{"webbrowser", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"pydoc", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"pydoc", "locate", LC_PR_CALLABLE, LC_PSP_IMPORT, R_IMPORT},
	{"_pyrepl", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"venv", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"ensurepip", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"pip", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"setuptools", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"distutils", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"_distutils_hack", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"pkg_resources", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"test", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"sys", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"signal", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"_signal", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"gc", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"_thread", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"threading", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"atexit", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"faulthandler", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"resource", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"_testcapi", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	{"_xxsubinterpreters", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"_interpreters", NULL, LC_PR_CALLABLE, 0, R_CODE},
	/* code from strings */
	{"builtins", "eval", LC_PR_CALLABLE, 0, R_CODE},
	{"builtins", "exec", LC_PR_CALLABLE, 0, R_CODE},
	{"builtins", "execfile", LC_PR_CALLABLE, 0, R_CODE},
	{"builtins", "compile", LC_PR_CALLABLE, 0, R_CODE},
	{"builtins", "__import__", LC_PR_CALLABLE, LC_PSP_IMPORT, R_IMPORT},
	{"builtins", "reload", LC_PR_CALLABLE, 0, R_IMPORT},
	{"builtins", "getattr", LC_PR_CALLABLE, LC_PSP_GETATTR, R_ATTR},
	{"builtins", "setattr", LC_PR_CALLABLE, 0, R_ATTR},
	{"builtins", "delattr", LC_PR_CALLABLE, 0, R_ATTR},
	{"builtins", "globals", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "locals", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "vars", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "breakpoint", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "open", LC_PR_CALLABLE, 0, R_FILE},
	{"builtins", "file", LC_PR_CALLABLE, 0, R_FILE},
	{"builtins", "input", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "raw_input", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "exit", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "quit", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "help", LC_PR_CALLABLE, 0, R_IMPORT},
	{"builtins", "apply", LC_PR_CALLABLE, LC_PSP_APPLY, R_ATTR},
	{"builtins", "__builtins__", LC_PR_CALLABLE, 0, R_INTERP},
	{"builtins", "__loader__", LC_PR_CALLABLE, 0, R_IMPORT},
	{"builtins", "__spec__", LC_PR_CALLABLE, 0, R_IMPORT},
	{"__builtin__", NULL, LC_PR_CALLABLE, 0, R_CODE}, /* only reached with proto >= 3 */
	{"code", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"codeop", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"pdb", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"bdb", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"trace", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"profile", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"cProfile", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"_lsprof", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"timeit", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"doctest", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"idlelib", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"lib2to3", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"lib2to3.pgen2.grammar", "Grammar.loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"lib2to3.pgen2.grammar", "Grammar.load", LC_PR_NESTED, 0, R_NESTED},
	{"compileall", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"py_compile", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"ast", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"runpy", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"cgitb", NULL, LC_PR_CALLABLE, 0, R_CODE},
	/* import machinery */
	{"importlib", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"importlib", "import_module", LC_PR_CALLABLE, LC_PSP_IMPORT, R_IMPORT},
	{"imp", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"pkgutil", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"pkgutil", "resolve_name", LC_PR_CALLABLE, LC_PSP_IMPORT, R_IMPORT},
	{"zipimport", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"modulefinder", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"types", NULL, LC_PR_CALLABLE, 0, R_BUILD_CODE},
	{"types", "CodeType", LC_PR_CODE, 0, R_BUILD_CODE},
	{"types", "FunctionType", LC_PR_CODE, 0, R_BUILD_CODE},
	{"types", "LambdaType", LC_PR_CODE, 0, R_BUILD_CODE},
	{"marshal", NULL, LC_PR_CODE, 0, R_BUILD_CODE},
	{"_marshal", NULL, LC_PR_CODE, 0, R_BUILD_CODE},
	{"opcode", NULL, LC_PR_CODE, 0, R_BUILD_CODE},
	/* native code */
	{"ctypes", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	{"_ctypes", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	{"cffi", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	{"_cffi_backend", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	/* files */
	{"io", "open", LC_PR_CALLABLE, 0, R_FILE},
	{"io", "open_code", LC_PR_CALLABLE, 0, R_FILE},
	{"io", "FileIO", LC_PR_CALLABLE, 0, R_FILE},
	{"_io", "open", LC_PR_CALLABLE, 0, R_FILE},
	{"_io", "open_code", LC_PR_CALLABLE, 0, R_FILE},
	{"_io", "FileIO", LC_PR_CALLABLE, 0, R_FILE},
	{"pathlib", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"shutil", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"tempfile", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"fileinput", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"glob", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"mmap", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"zipfile", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"tarfile", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"gzip", "open", LC_PR_CALLABLE, 0, R_FILE},
	{"bz2", "open", LC_PR_CALLABLE, 0, R_FILE},
	{"lzma", "open", LC_PR_CALLABLE, 0, R_FILE},
	{"dbm", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"logging", "FileHandler", LC_PR_CALLABLE, 0, R_FILE},
	{"logging", "basicConfig", LC_PR_CALLABLE, 0, R_FILE},
	{"logging.config", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"logging.handlers", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"fcntl", NULL, LC_PR_CALLABLE, 0, R_FILE},
	/* network */
	{"socket", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"_socket", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"ssl", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"_ssl", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"socketserver", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"http", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"httplib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"urllib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"urllib2", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"urllib3", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"requests", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"httpx", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"aiohttp", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"ftplib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"smtplib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"smtpd", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"telnetlib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"poplib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"imaplib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"nntplib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"xmlrpc", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"xmlrpclib", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"wsgiref", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"cgi", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"paramiko", NULL, LC_PR_CALLABLE, 0, R_NET},
	/* nested deserialization */
	{"pickle", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"pickle", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"_pickle", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"_pickle", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"cPickle", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"cPickle", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"pickletools", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"shelve", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"dill", NULL, LC_PR_CODE, 0, R_BUILD_CODE},
	{"dill", "load", LC_PR_NESTED, 0, R_NESTED},
	{"dill", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"dill._dill", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"dill._dill", "_create_code", LC_PR_CODE, 0, R_BUILD_CODE},
	{"dill._dill", "_create_function", LC_PR_CODE, 0, R_BUILD_CODE},
	{"dill._dill", "_create_lambda", LC_PR_CODE, 0, R_BUILD_CODE},
	{"dill._dill", "_load_type", LC_PR_CODE, 0, R_BUILD_CODE},
	{"dill._dill", "_import_module", LC_PR_CALLABLE, LC_PSP_IMPORT, R_IMPORT},
	{"cloudpickle", NULL, LC_PR_CODE, 0, R_BUILD_CODE},
	{"cloudpickle", "load", LC_PR_NESTED, 0, R_NESTED},
	{"cloudpickle", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"cloudpickle.cloudpickle", "_make_function", LC_PR_CODE, 0, R_BUILD_CODE},
	{"cloudpickle.cloudpickle", "_builtin_type", LC_PR_CODE, LC_PSP_TYPES_ATTR, R_BUILD_CODE},
	{"cloudpickle.cloudpickle", "_make_skel_func", LC_PR_CODE, 0, R_BUILD_CODE},
	{"cloudpickle.cloudpickle", "_fill_function", LC_PR_CODE, 0, R_BUILD_CODE},
	{"cloudpickle.cloudpickle", "subimport", LC_PR_CALLABLE, LC_PSP_IMPORT, R_IMPORT},
	{"cloudpickle.cloudpickle_fast", "_make_function", LC_PR_CODE, 0, R_BUILD_CODE},
	{"cloudpickle.cloudpickle_fast", "_builtin_type", LC_PR_CODE, LC_PSP_TYPES_ATTR, R_BUILD_CODE},
	{"joblib", "load", LC_PR_NESTED, 0, R_NESTED},
	{"joblib.numpy_pickle", "load", LC_PR_NESTED, 0, R_NESTED},
	{"joblib.numpy_pickle", "_unpickle", LC_PR_NESTED, 0, R_NESTED},
	{"torch", "load", LC_PR_NESTED, 0, R_NESTED},
	{"torch.serialization", "load", LC_PR_NESTED, 0, R_NESTED},
	{"torch.serialization", "_load", LC_PR_NESTED, 0, R_NESTED},
	{"torch.serialization", "_legacy_load", LC_PR_NESTED, 0, R_NESTED},
	{"torch.jit", "load", LC_PR_NESTED, 0, R_NESTED},
	{"torch.hub", NULL, LC_PR_CALLABLE, 0, R_NET},
	{"torch.package", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"torch.utils._config_module", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"torch.utils.data.datapipes.utils.decoder", NULL, LC_PR_NESTED, 0, R_NESTED},
	{"numpy", "load", LC_PR_NESTED, 0, R_NESTED},
	{"numpy", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"numpy.lib.npyio", "load", LC_PR_NESTED, 0, R_NESTED},
	{"numpy.core.numeric", "loads", LC_PR_NESTED, LC_PSP_NESTED_LOADER, R_NESTED},
	{"numpy", "fromfile", LC_PR_CALLABLE, 0, R_FILE},
	{"numpy", "memmap", LC_PR_CALLABLE, 0, R_FILE},
	{"numpy", "save", LC_PR_CALLABLE, 0, R_FILE},
	{"numpy", "savetxt", LC_PR_CALLABLE, 0, R_FILE},
	{"numpy", "loadtxt", LC_PR_CALLABLE, 0, R_FILE},
	{"numpy", "ctypeslib", LC_PR_CALLABLE, 0, R_NATIVE},
	{"numpy.ctypeslib", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	{"numpy.f2py", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"numpy.testing", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"numpy.distutils", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"pandas", "read_pickle", LC_PR_NESTED, 0, R_NESTED},
	{"keras.models", "load_model", LC_PR_NESTED, 0, R_NESTED},
	/* torch internals that run code */
	{"torch._inductor", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"torch._dynamo", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"torch.utils.collect_env", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"torch.utils.bottleneck", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"torch.utils.cpp_extension", NULL, LC_PR_CALLABLE, 0, R_NATIVE},
	{"torch.fx.experimental.symbolic_shapes", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"torch.jit.unsupported_tensor_ops", NULL, LC_PR_CALLABLE, 0, R_CODE},
	{"torch._ops", "load_library", LC_PR_CALLABLE, 0, R_NATIVE},
	{"torch.ops", "load_library", LC_PR_CALLABLE, 0, R_NATIVE},
	{"torch.classes", "load_library", LC_PR_CALLABLE, 0, R_NATIVE},
	/* attribute gadgets */
	{"operator", "attrgetter", LC_PR_CALLABLE, LC_PSP_ATTRGETTER, R_ATTR},
	{"operator", "methodcaller", LC_PR_CALLABLE, LC_PSP_METHODCALLER, R_ATTR},
	{"_operator", "attrgetter", LC_PR_CALLABLE, LC_PSP_ATTRGETTER, R_ATTR},
	{"_operator", "methodcaller", LC_PR_CALLABLE, LC_PSP_METHODCALLER, R_ATTR},
	{"copyreg", "add_extension", LC_PR_CALLABLE, 0, R_INTERP},
	{"copyreg", "pickle", LC_PR_CALLABLE, 0, R_INTERP},
	{"copyreg", "dispatch_table", LC_PR_CALLABLE, 0, R_INTERP},
	{"copyreg", "_extension_registry", LC_PR_CALLABLE, 0, R_INTERP},
	{"inspect", NULL, LC_PR_CALLABLE, 0, R_INTERP},
	{"site", NULL, LC_PR_CALLABLE, 0, R_IMPORT},
	{"sysconfig", NULL, LC_PR_CALLABLE, 0, R_EXEC},
	{"winreg", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"_winreg", NULL, LC_PR_CALLABLE, 0, R_FILE},
	{"msvcrt", NULL, LC_PR_CALLABLE, 0, R_FILE},
};

/* ---- allowlist: exact (module, qualname) pairs ---------------------------- */
typedef struct allow_row {
	const char *mod;
	const char *name;
	unsigned char special;
} allow_row;

static const allow_row allow_table[] = {
	/* torch tensor and storage rebuild helpers */
	{"torch._utils", "_rebuild_tensor", 0},
	{"torch._utils", "_rebuild_tensor_v2", 0},
	{"torch._utils", "_rebuild_tensor_v3", 0},
	{"torch._utils", "_rebuild_parameter", 0},
	{"torch._utils", "_rebuild_parameter_with_state", 0},
	{"torch._utils", "_rebuild_qtensor", 0},
	{"torch._utils", "_rebuild_sparse_tensor", 0},
	{"torch._utils", "_rebuild_sparse_csr_tensor", 0},
	{"torch._utils", "_rebuild_device_tensor_from_numpy", 0},
	{"torch._utils", "_rebuild_meta_tensor_no_storage", 0},
	{"torch._utils", "_rebuild_wrapper_subclass", 0},
	{"torch._utils", "_rebuild_nested_tensor", 0},
	{"torch._utils", "_rebuild_xla_tensor", 0},
	{"torch._utils", "_rebuild_mps_tensor", 0},
	{"torch._utils", "_rebuild_device_tensor_from_cpu_tensor", 0},
	{"torch._tensor", "_rebuild_from_type", LC_PSP_APPLY},
	{"torch._tensor", "_rebuild_from_type_v2", LC_PSP_APPLY},
	{"torch._tensor", "Tensor", 0},
	{"torch", "Tensor", 0},
	{"torch.storage", "_load_from_bytes", LC_PSP_TORCH_LOAD_BYTES},
	{"torch", "device", 0},
	{"torch", "Size", 0},
	{"torch", "dtype", 0},
	{"torch", "layout", 0},
	{"torch", "memory_format", 0},
	{"torch", "qscheme", 0},
	{"torch.storage", "UntypedStorage", 0},
	{"torch.storage", "TypedStorage", 0},
	{"torch.storage", "_TypedStorage", 0},
	{"torch.storage", "_UntypedStorage", 0},
	{"torch", "UntypedStorage", 0},
	{"torch", "TypedStorage", 0},
	{"torch.serialization", "_get_layout", 0},
	{"torch.nn.parameter", "Parameter", 0},
	{"torch.nn.parameter", "Buffer", 0},
	{"torch.nn.parameter", "UninitializedParameter", 0},
	{"torch.nn.parameter", "UninitializedBuffer", 0},
	{"torch.jit._pickle", "build_intlist", 0},
	{"torch.jit._pickle", "build_tensorlist", 0},
	{"torch.jit._pickle", "build_doublelist", 0},
	{"torch.jit._pickle", "build_boollist", 0},
	{"torch.jit._pickle", "build_tensor_from_id", 0},
	{"torch.jit._pickle", "restore_type_tag", 0},
	{"torch._C", "_nn", 0},
	/* collections */
	{"collections", "OrderedDict", 0},
	{"collections", "defaultdict", 0},
	{"collections", "deque", 0},
	{"collections", "Counter", 0},
	/* numpy reconstruction */
	{"numpy.core.multiarray", "_reconstruct", 0},
	{"numpy._core.multiarray", "_reconstruct", 0},
	{"numpy.core.multiarray", "scalar", 0},
	{"numpy._core.multiarray", "scalar", 0},
	{"numpy.core.numeric", "_frombuffer", 0},
	{"numpy._core.numeric", "_frombuffer", 0},
	{"numpy", "ndarray", 0},
	{"numpy", "dtype", 0},
	{"numpy", "bool_", 0},
	{"numpy", "int8", 0},
	{"numpy", "int16", 0},
	{"numpy", "int32", 0},
	{"numpy", "int64", 0},
	{"numpy", "uint8", 0},
	{"numpy", "uint16", 0},
	{"numpy", "uint32", 0},
	{"numpy", "uint64", 0},
	{"numpy", "float16", 0},
	{"numpy", "float32", 0},
	{"numpy", "float64", 0},
	{"numpy", "complex64", 0},
	{"numpy", "complex128", 0},
	{"numpy", "str_", 0},
	{"numpy", "bytes_", 0},
	{"numpy", "object_", 0},
	{"numpy.random._pickle", "__randomstate_ctor", 0},
	{"numpy.random._pickle", "__bit_generator_ctor", 0},
	{"numpy.random._pickle", "__generator_ctor", 0},
	{"numpy.random.mtrand", "RandomState", 0},
	{"numpy.random._generator", "Generator", 0},
	{"numpy.random._mt19937", "MT19937", 0},
	{"numpy.random._pcg64", "PCG64", 0},
	{"numpy.random._pcg64", "PCG64DXSM", 0},
	{"numpy.random._philox", "Philox", 0},
	{"numpy.random._sfc64", "SFC64", 0},
	{"numpy.random.bit_generator", "SeedSequence", 0},
	{"numpy.ma.core", "_mareconstruct", 0},
	{"numpy.ma.core", "MaskedArray", 0},
	/* plain builtin types */
	{"builtins", "set", 0},
	{"builtins", "frozenset", 0},
	{"builtins", "slice", 0},
	{"builtins", "range", 0},
	{"builtins", "complex", 0},
	{"builtins", "bytearray", LC_PSP_BYTES},
	{"builtins", "bytes", LC_PSP_BYTES},
	{"builtins", "int", 0},
	{"builtins", "float", 0},
	{"builtins", "str", 0},
	{"builtins", "bool", 0},
	{"builtins", "tuple", 0},
	{"builtins", "list", 0},
	{"builtins", "dict", 0},
	{"builtins", "object", 0},
	{"builtins", "bytes.fromhex", LC_PSP_FROMHEX},
	{"builtins", "bytearray.fromhex", LC_PSP_FROMHEX},
	{"builtins", "NoneType", 0},
	{"builtins", "Ellipsis", 0},
	{"builtins", "NotImplemented", 0},
	/* copyreg helpers: the class they build is judged separately */
	{"copyreg", "_reconstructor", LC_PSP_RECONSTRUCTOR},
	{"copyreg", "__newobj__", LC_PSP_NEWOBJ},
	{"copyreg", "__newobj_ex__", LC_PSP_NEWOBJ_EX},
	{"_codecs", "encode", LC_PSP_CODECS_ENCODE},
	{"codecs", "encode", LC_PSP_CODECS_ENCODE},
	{"functools", "partial", LC_PSP_PARTIAL},
	{"base64", "b64decode", LC_PSP_B64DECODE},
	{"base64", "standard_b64decode", LC_PSP_B64DECODE},
	{"base64", "decodebytes", LC_PSP_B64DECODE},
	{"binascii", "unhexlify", LC_PSP_FROMHEX},
	{"binascii", "a2b_hex", LC_PSP_FROMHEX},
	{"binascii", "a2b_base64", LC_PSP_B64DECODE},
	/* plain data types */
	{"datetime", "datetime", 0},
	{"datetime", "date", 0},
	{"datetime", "time", 0},
	{"datetime", "timedelta", 0},
	{"datetime", "timezone", 0},
	{"decimal", "Decimal", 0},
	{"fractions", "Fraction", 0},
	{"uuid", "UUID", 0},
	/* joblib.dump's array placeholders: __init__ only stores attributes;
	 * the VM models what joblib's unpickler does after their BUILD
	 * (src/formats/pickle.c, joblib_build) */
	{"joblib.numpy_pickle", "NumpyArrayWrapper", 0},
	{"joblib.numpy_pickle", "NDArrayWrapper", 0},
	{"joblib.numpy_pickle", "ZNDArrayWrapper", 0},
	{"joblib.numpy_pickle_compat", "NDArrayWrapper", 0},
	{"joblib.numpy_pickle_compat", "ZNDArrayWrapper", 0},
	/* scikit-learn: callables its pickles REDUCE (Cython __reduce__) */
	{"sklearn.tree._tree", "Tree", 0},
	{"sklearn.neighbors._kd_tree", "newObj", 0},
	{"sklearn.neighbors._ball_tree", "newObj", 0},
	{"sklearn.metrics._dist_metrics", "newObj", 0},
	{"sklearn.neighbors._kd_tree", "KDTree", 0},
	{"sklearn.neighbors._ball_tree", "BallTree", 0},
	{"sklearn.utils._bunch", "Bunch", 0},
	{"sklearn._loss.link", "Interval", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfSquaredError", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyAbsoluteError", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyPinballLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfPoissonLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfGammaLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfTweedieLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfTweedieLossIdentity", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfBinomialLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHalfMultinomialLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyExponentialLoss", 0},
	{"sklearn._loss._loss", "__pyx_unpickle_CyHuberLoss", 0},
};

/* Prefixes of attribute names that are plain references in torch files:
 * dtypes, layouts, memory formats, qschemes and storage classes. */
static const char *const torch_plain_attrs[] = {
	"float16", "float32", "float64", "bfloat16", "half", "float", "double",
	"complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf",
	"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
	"short", "int", "long", "bool", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
	"float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "bits8", "bits16",
	"strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn",
	"contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
	"per_tensor_affine", "per_channel_affine", "per_tensor_symmetric", "per_channel_symmetric",
	"per_channel_affine_float_qparams",
};

static const struct {
	const char *name; /* after "torch." */
	unsigned size;
} torch_storage_sizes[] = {
	{"DoubleStorage", 8}, {"FloatStorage", 4}, {"HalfStorage", 2}, {"BFloat16Storage", 2},
	{"LongStorage", 8}, {"IntStorage", 4}, {"ShortStorage", 2}, {"CharStorage", 1},
	{"ByteStorage", 1}, {"BoolStorage", 1}, {"ComplexDoubleStorage", 16}, {"ComplexFloatStorage", 8},
	{"QUInt8Storage", 1}, {"QInt8Storage", 1}, {"QInt32Storage", 4}, {"QUInt4x2Storage", 1},
	{"QUInt2x4Storage", 1}, {"UntypedStorage", 1}, {"storage.UntypedStorage", 1},
	{"cuda.DoubleStorage", 8}, {"cuda.FloatStorage", 4}, {"cuda.HalfStorage", 2},
	{"cuda.BFloat16Storage", 2}, {"cuda.LongStorage", 8}, {"cuda.IntStorage", 4},
	{"cuda.ShortStorage", 2}, {"cuda.CharStorage", 1}, {"cuda.ByteStorage", 1}, {"cuda.BoolStorage", 1},
	{"float16", 2}, {"half", 2}, {"bfloat16", 2}, {"float32", 4}, {"float", 4},
	{"float64", 8}, {"double", 8}, {"int8", 1}, {"uint8", 1}, {"int16", 2}, {"short", 2},
	{"uint16", 2}, {"int32", 4}, {"int", 4}, {"uint32", 4}, {"int64", 8}, {"long", 8},
	{"uint64", 8}, {"bool", 1}, {"complex32", 4}, {"complex64", 8}, {"complex128", 16},
	{"qint8", 1}, {"quint8", 1}, {"qint32", 4}, {"quint4x2", 1}, {"quint2x4", 1},
	{"float8_e5m2", 1}, {"float8_e4m3fn", 1}, {"float8_e5m2fnuz", 1}, {"float8_e4m3fnuz", 1},
};

unsigned lc_pickle_storage_elem_size(const char *fullname)
{
	size_t i;
	if (strncmp(fullname, "torch.", 6) != 0)
		return 0;
	fullname += 6;
	for (i = 0; i < NELEM(torch_storage_sizes); i++)
		if (strcmp(fullname, torch_storage_sizes[i].name) == 0)
			return torch_storage_sizes[i].size;
	return 0;
}

const char *lc_pickle_rule_name(int rule)
{
	switch (rule) {
	case LC_PR_CODE:
		return "pickle.code-object";
	case LC_PR_NESTED:
		return "pickle.nested-loader";
	default:
		return "pickle.callable.dangerous";
	}
}

/* s[0..n) equals the NUL-terminated t */
static int span_eq(const char *s, size_t n, const char *t)
{
	return strncmp(s, t, n) == 0 && t[n] == '\0';
}

/* Module span m[0..mn) is row module r or a submodule of it. */
static int mod_covers(const char *m, size_t mn, const char *r)
{
	size_t rn = strlen(r);
	if (mn < rn || memcmp(m, r, rn) != 0)
		return 0;
	return mn == rn || m[rn] == '.';
}

/* Qualname span q[0..qn) is name r or an attribute path under it. */
static int name_covers(const char *q, size_t qn, const char *r)
{
	size_t rn = strlen(r);
	if (qn < rn || memcmp(q, r, rn) != 0)
		return 0;
	return qn == rn || q[rn] == '.';
}

/* Most specific denylist row for (m, q); q may be empty (module object). */
static const deny_row *deny_match(const char *m, size_t mn, const char *q, size_t qn)
{
	const deny_row *best = NULL;
	size_t i;
	for (i = 0; i < NELEM(deny_table); i++) {
		const deny_row *r = &deny_table[i];
		if (r->name == NULL) {
			if (mod_covers(m, mn, r->mod) && (best == NULL || (best->name == NULL &&
									   strlen(r->mod) > strlen(best->mod))))
				best = r;
		} else if (qn > 0 && span_eq(m, mn, r->mod) && name_covers(q, qn, r->name)) {
			/* a specific row always beats a module-wide one */
			if (best == NULL || best->name == NULL || strlen(r->name) > strlen(best->name))
				best = r;
		}
	}
	return best;
}

/* Maximum components considered in a dotted path; longer names only get
 * the check of their original split. */
#define MAX_COMPS 48

/* full[cs[j]..ce[j]) is component j of n; the module has k components. */
/* Standard-library modules whose names libraries do not reuse for their own
 * submodules: reaching one by attribute walk means the real thing. */
static int unambiguous_module(const char *mod)
{
	static const char *const names[] = {"os", "posix", "nt", "subprocess", "builtins", "__builtin__", "pty",
					    "socket", "ctypes", "_ctypes", "importlib", "runpy", "pickle",
					    "_pickle", "cPickle", "marshal", "shutil", "sys", "commands"};
	for (size_t i = 0; i < NELEM(names); i++)
		if (strcmp(mod, names[i]) == 0)
			return 1;
	return 0;
}

static const deny_row *deny_any(const char *full, const size_t *cs, const size_t *ce, size_t n, size_t k,
				int ambiguous)
{
	size_t i, s;
	const deny_row *hit;
	for (i = 0; i + 1 < n; i++) {
		/* i == 0: every split of the whole path; 0 < i < k: skipped, since
		 * dropping module components turns "torch.jit._pickle" into
		 * "_pickle"; i >= k: suffixes that start inside the qualname
		 * ("torch" + "os.system" -> "os" + "system"). */
		if (i > 0 && i < k)
			continue;
		for (s = i + 1; s < n; s++) {
			hit = deny_match(full + cs[i], ce[s - 1] - cs[i], full + cs[s], ce[n - 1] - cs[s]);
			if (hit && ambiguous && i > 0 && hit->name == NULL && !unambiguous_module(hit->mod))
				continue;
			if (hit)
				return hit;
		}
	}
	return NULL;
}

void lc_pickle_classify(const char *module, const char *qualname, unsigned ctx_flags, lc_pickle_verdict *out)
{
	char full[1024];
	size_t cs[MAX_COMPS], ce[MAX_COMPS];
	size_t ml = strlen(module), ql = strlen(qualname), n = 0, k = 0, i, fl;
	const deny_row *hit = NULL;
	const char *mapped_mod = module, *mapped_name = qualname;

	memset(out, 0, sizeof *out);
	out->verdict = LC_PV_UNKNOWN;

	/* Original split first, on the names as written. */
	hit = deny_match(module, ml, qualname, ql);
	/* Python 2 module names are denied under their Python 3 name too,
	 * whatever the protocol (a proto >= 3 "__builtin__" would not import,
	 * but nothing that names it is benign). */
	if (!hit && lc_pickle_fix_imports(&mapped_mod, &mapped_name))
		hit = deny_match(mapped_mod, strlen(mapped_mod), mapped_name, strlen(mapped_name));
	if (!hit && ql > 0 && ml + 1 + ql < sizeof full) {
		memcpy(full, module, ml);
		full[ml] = '.';
		memcpy(full + ml + 1, qualname, ql + 1);
		fl = ml + 1 + ql;
		cs[0] = 0;
		for (i = 0; i <= fl && n < MAX_COMPS; i++) {
			if (i == fl || full[i] == '.') {
				ce[n++] = i;
				if (i == ml)
					k = n;
				if (n < MAX_COMPS)
					cs[n] = i + 1;
			}
		}
		if (i > fl) /* all components fit */
			hit = deny_any(full, cs, ce, n, k, (ctx_flags & LC_POLICY_AMBIGUOUS_SPLIT) != 0);
	}
	if (hit) {
		out->verdict = LC_PV_DANGEROUS;
		out->rule = hit->rule;
		out->special = hit->special;
		out->reason = hit->reason;
		out->match_mod = hit->mod;
		out->match_name = hit->name;
		return;
	}
	/* Exact pairs, compared as the dotted path they name: getattr(torch,
	 * '_utils') then '_rebuild_tensor' reaches the same object as
	 * ('torch._utils', '_rebuild_tensor'). */
	for (i = 0; i < NELEM(allow_table); i++) {
		size_t am = strlen(allow_table[i].mod);
		int same = strcmp(module, allow_table[i].mod) == 0 && strcmp(qualname, allow_table[i].name) == 0;
		if (!same && ql > 0 && ml + 1 + ql == am + 1 + strlen(allow_table[i].name)) {
			/* compare "module.qualname" with "mod.name" without building it */
			const char *a = allow_table[i].mod, *b = allow_table[i].name;
			size_t j, tot = ml + 1 + ql;
			same = 1;
			for (j = 0; j < tot && same; j++) {
				char x = j < ml ? module[j] : j == ml ? '.' : qualname[j - ml - 1];
				char y = j < am ? a[j] : j == am ? '.' : b[j - am - 1];
				same = x == y;
			}
		}
		if (same) {
			out->verdict = LC_PV_ALLOWED;
			out->special = allow_table[i].special;
			return;
		}
	}
	if (strcmp(module, "torch") == 0) {
		for (i = 0; i < NELEM(torch_plain_attrs); i++) {
			if (strcmp(qualname, torch_plain_attrs[i]) == 0) {
				out->verdict = LC_PV_ALLOWED;
				return;
			}
		}
	}
	/* torch.FloatStorage, torch.cuda.HalfStorage, torch.FloatTensor (the
	 * legacy tar format's tensor types) ...: plain classes */
	if ((strcmp(module, "torch") == 0 || strcmp(module, "torch.cuda") == 0) && strchr(qualname, '.') == NULL &&
	    ((ql > 7 && strcmp(qualname + ql - 7, "Storage") == 0) ||
	     (ql > 6 && strcmp(qualname + ql - 6, "Tensor") == 0))) {
		out->verdict = LC_PV_ALLOWED;
		return;
	}
}

/* Module prefixes whose classes are inert to reconstruct (NEWOBJ +
 * __setstate__/__dict__ update): the library's own __setstate__ only
 * restores attributes. */
static const char *const reconstruct_prefixes[] = {
	"torch.nn.modules", "torch.nn.parameter", "torch.nn.utils.parametrize", "torch.optim",
	"torch.nn.quantized", "torch.ao.nn", "torch.nn.intrinsic", "torch.nn.qat",
	"sklearn", "numpy", "collections", "datetime",
	/* scipy's sparse matrices (TfidfVectorizer and one-hot outputs):
	 * __setstate__-free data containers */
	"scipy.sparse",
};

int lc_pickle_reconstructable(const char *module, const char *qualname, unsigned ctx_flags)
{
	lc_pickle_verdict v;
	size_t i, ml = strlen(module);
	if ((ctx_flags & LC_CTX_TORCHSCRIPT) && mod_covers(module, ml, "__torch__"))
		return 1;
	for (i = 0; i < NELEM(reconstruct_prefixes); i++)
		if (mod_covers(module, ml, reconstruct_prefixes[i]))
			return 1;
	lc_pickle_classify(module, qualname, ctx_flags, &v);
	return v.verdict == LC_PV_ALLOWED;
}
