/* libarchive loaded on first use: see archive_dl.h for why. */
#define LC_ARCHIVE_DL_IMPL
#include "formats/archive_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

static lc_libarchive table;
static const char *load_error;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* The soname of Debian's libarchive13; the -dev package's header
	 * matches this ABI. */
	void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		load_error = "libarchive.so.13 could not be loaded (install libarchive13)";
		return;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function
	 * pointer, written through the object's address to keep ISO C quiet. */
#define LC_AR_LOAD(ret, name, params)                                                                    \
	*(void **)(&table.fn_##name) = dlsym(h, #name);                                                  \
	if (!table.fn_##name) {                                                                             \
		load_error = "libarchive lacks " #name;                                                  \
		return;                                                                                  \
	}
	LC_AR_FUNCTIONS(LC_AR_LOAD)
#undef LC_AR_LOAD
}

const lc_libarchive *lc_libarchive_get(const char **why)
{
	pthread_once(&once, load);
	if (load_error) {
		if (why)
			*why = load_error;
		return NULL;
	}
	return &table;
}

const lc_libarchive *lc_libarchive_loaded(void) { return &table; }
