/*
 * HDF5 files (src/formats/hdf5.c): legacy Keras .h5 models and weights.
 *
 * Keras 2 (and Keras 3's legacy h5 format) stores the model as JSON in root
 * attributes: model_config (the architecture, with Lambda bytecode and
 * module references, see keras.h), training_config (optimizer, loss and
 * metrics objects), keras_version, backend.  Weight files (model.weights.h5
 * of a .keras zip, save_weights output) hold groups and datasets only:
 * nothing to resolve or run, so they are scanned without findings.
 *
 * HDF5 is a large format (B-trees, heaps, several superblock and object
 * header versions), so it is read with the reference library, libhdf5,
 * rather than a parser of our own:
 *   - loaded with dlopen on first use (like libarchive, archive_dl.h): the
 *     library and its dependencies cost every process resident memory and
 *     start-up time, and most scans never meet an HDF5 file;
 *   - opened from memory with the core driver on the view itself
 *     (file image callbacks that never copy, read-only): nothing is copied
 *     or written to disk;
 *   - automatic error printing is off (per thread: the error stack is
 *     thread-local in Debian's thread-safe build) and errors become lc_fail
 *     with the library's messages;
 *   - only attributes and links are read, never dataset data, so no filter
 *     plugin is loaded and no external storage or virtual-dataset source
 *     file is opened; external links are reported, never followed.
 *   - run in a forked child process with a wall-time limit
 *     (hdf5_max_seconds): libhdf5 parses hostile metadata and has had many
 *     memory-safety bugs (CVE-2017-17505 ... CVE-2021-37501); fuzzing
 *     fuzz/fuzz_hdf5.c found an out-of-bounds copy in its global-heap code
 *     (tests/fixtures/keras/libhdf5_crash.h5) and inputs that make it loop.
 *     A crash or hang ends the child and the file is an error, never a
 *     crash of the scan.  The child still runs libhdf5 on attacker bytes
 *     with the scanner's privileges: sandbox untrusted scans as usual.
 *
 * Group traversal is our own (iterative, H5Literate per group) so that the
 * nesting depth (hdf5_max_depth) and the number of objects
 * (hdf5_max_objects) are bounded and cycles of hard links are cut.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/lc.h"
#include "formats/keras.h"
#include "graph/graph.h"

/* ---- libhdf5 loaded on first use ----------------------------------------- */

#define LC_H5_FUNCTIONS(X)                                                                               \
	X(0, herr_t, H5open, (void))                                                                     \
	X(0, herr_t, H5Eset_auto2, (hid_t, H5E_auto2_t, void *))                                          \
	X(0, herr_t, H5Ewalk2, (hid_t, H5E_direction_t, H5E_walk2_t, void *))                             \
	X(0, herr_t, H5Eclear2, (hid_t))                                                                 \
	X(0, herr_t, H5Fclose, (hid_t))                                                                  \
	X(0, htri_t, H5Aexists, (hid_t, const char *))                                                   \
	X(0, hid_t, H5Aopen, (hid_t, const char *, hid_t))                                               \
	X(0, hid_t, H5Aget_type, (hid_t))                                                                \
	X(0, hid_t, H5Aget_space, (hid_t))                                                               \
	X(0, herr_t, H5Aread, (hid_t, hid_t, void *))                                                    \
	X(0, herr_t, H5Aclose, (hid_t))                                                                  \
	X(0, H5T_class_t, H5Tget_class, (hid_t))                                                         \
	X(0, htri_t, H5Tis_variable_str, (hid_t))                                                        \
	X(0, size_t, H5Tget_size, (hid_t))                                                               \
	X(0, hid_t, H5Tcopy, (hid_t))                                                                    \
	X(0, herr_t, H5Tclose, (hid_t))                                                                  \
	X(0, hssize_t, H5Sget_simple_extent_npoints, (hid_t))                                            \
	X(0, herr_t, H5Sclose, (hid_t))                                                                  \
	X(0, herr_t, H5free_memory, (void *))                                                            \
	X(0, hid_t, H5Gopen2, (hid_t, const char *, hid_t))                                              \
	X(0, herr_t, H5Gclose, (hid_t))                                                                  \
	X(0, herr_t, H5Literate, (hid_t, H5_index_t, H5_iter_order_t, hsize_t *, H5L_iterate_t, void *)) \
	X(0, herr_t, H5Oget_info_by_name2, (hid_t, const char *, H5O_info_t *, unsigned, hid_t))         \
	X(0, herr_t, H5Lget_val, (hid_t, const char *, void *, size_t, hid_t))                           \
	X(0, herr_t, H5Lunpack_elink_val, (const void *, size_t, unsigned *, const char **, const char **)) \
	X(0, hid_t, H5Pcreate, (hid_t))                                                                  \
	X(0, herr_t, H5Pclose, (hid_t))                                                                  \
	X(0, herr_t, H5Pset_fapl_core, (hid_t, size_t, hbool_t))                                         \
	X(0, herr_t, H5Pset_file_image_callbacks, (hid_t, H5FD_file_image_callbacks_t *))                \
	X(0, herr_t, H5Pset_file_image, (hid_t, void *, size_t))                                         \
	X(0, hid_t, H5Fopen, (const char *, unsigned, hid_t))

typedef struct lc_h5 {
#define LC_H5_FIELD(lib, ret, name, params) ret(*name) params;
	LC_H5_FUNCTIONS(LC_H5_FIELD)
#undef LC_H5_FIELD
} lc_h5;

static lc_h5 h5tab;
static hid_t *h5_fapl_class; /* H5P_CLS_FILE_ACCESS_ID_g: what H5P_FILE_ACCESS expands to */
static const char *h5_load_error;
static pthread_once_t h5_once = PTHREAD_ONCE_INIT;

static void h5_load(void)
{
	/* Debian's serial flavour (libhdf5-103-1); the -dev package's headers
	 * match this ABI (1.10). */
	void *lib[1];
	lib[0] = dlopen("libhdf5_serial.so.103", RTLD_NOW | RTLD_LOCAL);
	if (!lib[0]) {
		h5_load_error = "libhdf5_serial.so.103 could not be loaded (install libhdf5-103-1)";
		return;
	}
#define LC_H5_LOAD(l, ret, name, params)                                                                 \
	*(void **)(&h5tab.name) = dlsym(lib[l], #name);                                                  \
	if (!h5tab.name) {                                                                               \
		h5_load_error = "libhdf5 lacks " #name;                                                  \
		return;                                                                                  \
	}
	LC_H5_FUNCTIONS(LC_H5_LOAD)
#undef LC_H5_LOAD
	/* Global property-list class ids are variables, valid after H5open. */
	h5_fapl_class = dlsym(lib[0], "H5P_CLS_FILE_ACCESS_ID_g");
	if (!h5_fapl_class)
		h5_load_error = "libhdf5 lacks H5P_CLS_FILE_ACCESS_ID_g";
	else if (h5tab.H5open() < 0)
		h5_load_error = "libhdf5 failed to initialise";
}

/* ---- opening a view in memory ----------------------------------------------
 * The core driver with a file image and callbacks that never copy: every
 * "allocation" of the image is the view itself, "copies" are the identity,
 * and nothing is freed (H5LTopen_file_image's DONT_COPY | DONT_RELEASE mode,
 * written out here because the high-level library does not report why an
 * open failed).  Read-only: the driver never writes to the image. */
typedef struct h5img {
	void *buf;
	size_t len;
} h5img;

static void *img_malloc(size_t size, H5FD_file_image_op_t op, void *udata)
{
	h5img *im = udata;
	return size == im->len ? im->buf : NULL;
}

static void *img_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op, void *udata)
{
	h5img *im = udata;
	/* Source and destination are both the view: nothing to copy. */
	return dest == src && dest == im->buf && size <= im->len ? dest : NULL;
}

static void *img_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) { return NULL; }
static herr_t img_free(void *ptr, H5FD_file_image_op_t op, void *udata) { return 0; }
static void *img_udata_copy(void *udata) { return udata; }
static herr_t img_udata_free(void *udata) { return 0; }

/* ---- errors --------------------------------------------------------------- */

typedef struct h5msg {
	char inner[200]; /* most specific message */
	char outer[200]; /* the API call's message */
	unsigned n;
} h5msg;

static herr_t h5_ewalk(unsigned n, const H5E_error2_t *e, void *cd)
{
	h5msg *m = cd;
	const char *d = e && e->desc ? e->desc : "";
	if (m->n == 0)
		snprintf(m->inner, sizeof m->inner, "%s", d);
	snprintf(m->outer, sizeof m->outer, "%s", d);
	m->n++;
	return 0;
}

/* Records the library's error stack as the file's error. */
static lc_err h5_fail(lc_ctx *ctx, const lc_h5 *h, const char *what)
{
	h5msg m;
	memset(&m, 0, sizeof m);
	h->H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_ewalk, &m);
	h->H5Eclear2(H5E_DEFAULT);
	if (m.n > 1 && strcmp(m.inner, m.outer) != 0)
		return lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "HDF5: %s: %s (%s)", what, m.inner, m.outer);
	if (m.n > 0)
		return lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "HDF5: %s: %s", what, m.inner);
	return lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "HDF5: %s", what);
}

/* Returns the file id, or -1 with the error recorded. */
static hid_t h5_open_image(lc_ctx *ctx, const lc_h5 *h, h5img *im)
{
	/* Each open needs a name of its own: libhdf5 shares an open file
	 * with a later open of the same name, even for in-memory files. */
	static unsigned long counter;
	char name[64];
	snprintf(name, sizeof name, "laocoon-image-%lu", __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	H5FD_file_image_callbacks_t cb = {img_malloc, img_memcpy, img_realloc, img_free,
					  img_udata_copy, img_udata_free, im};
	hid_t fapl = h->H5Pcreate(*h5_fapl_class);
	if (fapl < 0) {
		h5_fail(ctx, h, "creating a file access property list");
		return -1;
	}
	hid_t f = -1;
	if (h->H5Pset_file_image_callbacks(fapl, &cb) >= 0 && h->H5Pset_file_image(fapl, im->buf, im->len) >= 0 &&
	    h->H5Pset_fapl_core(fapl, 1u << 16, 0) >= 0)
		f = h->H5Fopen(name, 0x0000u /* H5F_ACC_RDONLY, whose macro calls H5open directly */, fapl);
	/* before H5Pclose: every API call starts by clearing the error stack */
	if (f < 0)
		h5_fail(ctx, h, "cannot open the file");
	h->H5Pclose(fapl);
	return f;
}

static const lc_h5 *h5_get(const char **why)
{
	pthread_once(&h5_once, h5_load);
	if (h5_load_error) {
		*why = h5_load_error;
		return NULL;
	}
	return &h5tab;
}

/* ---- bid -------------------------------------------------------------------- */

static const uint8_t h5sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

/* The superblock is at 0 or after a user block of 512, 1024, 2048 ...
 * bytes (libhdf5 searches the same offsets). */
int lc_bid_hdf5(const uint8_t *data, size_t len)
{
	if (len >= 8 && memcmp(data, h5sig, 8) == 0)
		return 90;
	for (uint64_t off = 512; off < len && len - off >= 8; off *= 2)
		if (memcmp(data + off, h5sig, 8) == 0)
			return 80;
	return 0;
}

/* ---- attributes ---------------------------------------------------------- */

/* Reads a scalar string attribute of obj.  Returns a malloc'ed NUL
 * terminated copy (length in *outlen), NULL when absent (*err LC_OK) or on
 * error (*err set, recorded). */
static char *read_str_attr(lc_ctx *ctx, const lc_h5 *h, hid_t obj, const char *name, size_t *outlen, lc_err *err)
{
	*err = LC_OK;
	*outlen = 0;
	htri_t ex = h->H5Aexists(obj, name);
	if (ex < 0) {
		*err = h5_fail(ctx, h, "reading root attributes");
		return NULL;
	}
	if (ex == 0)
		return NULL;
	char *out = NULL, what[200];
	snprintf(what, sizeof what, "attribute %s", name);
	hid_t a = h->H5Aopen(obj, name, H5P_DEFAULT), t = -1, s = -1, mt = -1;
	if (a < 0 || (t = h->H5Aget_type(a)) < 0 || (s = h->H5Aget_space(a)) < 0) {
		*err = h5_fail(ctx, h, what);
		goto out;
	}
	if (h->H5Tget_class(t) != H5T_STRING || h->H5Sget_simple_extent_npoints(s) != 1) {
		*err = lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "HDF5: attribute %s is not a scalar string", name);
		goto out;
	}
	/* The file's own string type as memory type: no conversion (a fixed
	 * NULLPAD string converted to NULLTERM would lose its last byte). */
	if ((mt = h->H5Tcopy(t)) < 0) {
		*err = h5_fail(ctx, h, what);
		goto out;
	}
	htri_t vl = h->H5Tis_variable_str(t);
	if (vl > 0) {
		char *p = NULL;
		if (h->H5Aread(a, mt, &p) < 0) {
			*err = h5_fail(ctx, h, what);
			goto out;
		}
		size_t n = p ? strlen(p) : 0;
		if (n > lc_lim(ctx, LC_LIMIT_config_max_bytes)) {
			*err = lc_limit_hit(ctx, LC_LIMIT_config_max_bytes, LC_NO_OFFSET, what);
		} else if ((out = lc_alloc_input(ctx, n + 1, what)) != NULL) {
			memcpy(out, p ? p : "", n);
			out[n] = '\0';
			*outlen = n;
		} else {
			*err = ctx->file->error_code ? ctx->file->error_code : LC_E_NOMEM;
		}
		if (p)
			h->H5free_memory(p);
	} else {
		size_t n = h->H5Tget_size(t);
		if (n == 0) {
			*err = h5_fail(ctx, h, what);
			goto out;
		}
		if (n > lc_lim(ctx, LC_LIMIT_config_max_bytes)) {
			*err = lc_limit_hit(ctx, LC_LIMIT_config_max_bytes, LC_NO_OFFSET, what);
			goto out;
		}
		out = lc_alloc_input(ctx, n + 1, what);
		if (!out) {
			*err = ctx->file->error_code ? ctx->file->error_code : LC_E_NOMEM;
			goto out;
		}
		if (h->H5Aread(a, mt, out) < 0) {
			free(out);
			out = NULL;
			*err = h5_fail(ctx, h, what);
			goto out;
		}
		out[n] = '\0';
		/* NUL padded: the text ends at the first NUL */
		*outlen = strnlen(out, n);
	}
out:
	if (mt >= 0)
		h->H5Tclose(mt);
	if (s >= 0)
		h->H5Sclose(s);
	if (t >= 0)
		h->H5Tclose(t);
	if (a >= 0)
		h->H5Aclose(a);
	return out;
}

/* ---- records from the isolated reader to the scanning process -----------
 * tag (1 byte), length of a (u32 LE), a, length of b (u32 LE), b:
 *   'A' attribute name, value      'F' external link path, evidence
 *   'E' error code and limit name ("" if none), message */
static void rec_put(lc_buf *out, char tag, const void *a, size_t alen, const void *b, size_t blen)
{
	uint8_t hdr[4];
	lc_buf_put(out, &tag, 1);
	for (int k = 0; k < 2; k++) {
		size_t n = k ? blen : alen;
		uint32_t v = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		hdr[0] = (uint8_t)v, hdr[1] = (uint8_t)(v >> 8), hdr[2] = (uint8_t)(v >> 16), hdr[3] = (uint8_t)(v >> 24);
		lc_buf_put(out, hdr, 4);
		lc_buf_put(out, k ? b : a, v);
	}
}

/* ---- group traversal ------------------------------------------------------ */

typedef struct h5walk {
	lc_ctx *ctx;
	const lc_h5 *h;
	char **stack;       /* absolute paths of groups still to list */
	unsigned *depths;
	size_t nstack, capstack;
	haddr_t *seen;      /* object addresses visited (open addressing, 0 = empty) */
	size_t capseen;
	uint64_t objects, max_objects, max_depth;
	uint64_t groups, datasets;
	const char *cur;    /* path of the group being listed */
	lc_buf *out;        /* records for the parent */
	unsigned curdepth;
	lc_err err;
} h5walk;

static int seen_add(h5walk *w, haddr_t a)
{
	/* address 0 is the superblock, never an object header: the empty mark */
	if (a == 0 || a == HADDR_UNDEF)
		return 1;
	if (w->capseen == 0 || (w->objects + 1) * 2 > w->capseen) {
		size_t ncap = w->capseen ? w->capseen * 2 : 256;
		haddr_t *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return -1;
		for (size_t i = 0; i < w->capseen; i++) {
			if (!w->seen[i])
				continue;
			size_t j = (size_t)(w->seen[i] * 0x9E3779B97F4A7C15ull) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = w->seen[i];
		}
		free(w->seen);
		w->seen = ns;
		w->capseen = ncap;
	}
	size_t j = (size_t)(a * 0x9E3779B97F4A7C15ull) & (w->capseen - 1);
	while (w->seen[j]) {
		if (w->seen[j] == a)
			return 0;
		j = (j + 1) & (w->capseen - 1);
	}
	w->seen[j] = a;
	return 1;
}

static int push_group(h5walk *w, const char *path, unsigned depth)
{
	if (w->nstack == w->capstack) {
		size_t ncap = w->capstack ? w->capstack * 2 : 16;
		char **ns = realloc(w->stack, ncap * sizeof *ns);
		if (!ns)
			return -1;
		w->stack = ns;
		unsigned *nd = realloc(w->depths, ncap * sizeof *nd);
		if (!nd)
			return -1;
		w->depths = nd;
		w->capstack = ncap;
	}
	char *p = strdup(path);
	if (!p)
		return -1;
	w->stack[w->nstack] = p;
	w->depths[w->nstack++] = depth;
	return 0;
}

static herr_t list_cb(hid_t group, const char *name, const H5L_info_t *info, void *op)
{
	h5walk *w = op;
	const lc_h5 *h = w->h;
	if (++w->objects > w->max_objects) {
		w->err = lc_limit_hit(w->ctx, LC_LIMIT_hdf5_max_objects, LC_NO_OFFSET, "HDF5 links visited");
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s%s%s", w->cur, strcmp(w->cur, "/") == 0 ? "" : "/", name);
	if (info->type == H5L_TYPE_EXTERNAL) {
		/* h5py follows it when the name is accessed: another file is
		 * opened, by a path this file chooses. */
		char buf[4096], ev[4500];
		const char *file = "?", *obj = "?";
		unsigned flags;
		size_t n = info->u.val_size < sizeof buf ? info->u.val_size : sizeof buf;
		if (h->H5Lget_val(group, name, buf, n, H5P_DEFAULT) >= 0 &&
		    h->H5Lunpack_elink_val(buf, n, &flags, &file, &obj) >= 0) {
			snprintf(ev, sizeof ev, "%s -> %s:%s", path, file ? file : "?", obj ? obj : "?");
		} else {
			h->H5Eclear2(H5E_DEFAULT);
			snprintf(ev, sizeof ev, "%s -> (unreadable target)", path);
		}
		rec_put(w->out, 'F', path, strlen(path) + 1, ev, strlen(ev));
		return 0;
	}
	if (info->type != H5L_TYPE_HARD)
		return 0; /* soft links name objects already visited by their hard link */
	int fresh = seen_add(w, info->u.address);
	if (fresh < 0) {
		w->err = lc_fail(w->ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory (HDF5 traversal)");
		return 1;
	}
	if (!fresh)
		return 0;
	H5O_info_t oi;
	if (h->H5Oget_info_by_name2(group, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
		w->err = h5_fail(w->ctx, h, "reading an object header");
		return 1;
	}
	if (oi.type == H5O_TYPE_DATASET) {
		w->datasets++;
	} else if (oi.type == H5O_TYPE_GROUP) {
		w->groups++;
		if (w->curdepth + 1 > w->max_depth) {
			w->err = lc_limit_hit(w->ctx, LC_LIMIT_hdf5_max_depth, LC_NO_OFFSET, "HDF5 group nesting");
			return 1;
		}
		if (strlen(path) >= sizeof path - 1) {
			w->err = lc_fail(w->ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET, "HDF5 group path longer than %zu bytes",
					 sizeof path - 2);
			return 1;
		}
		if (push_group(w, path, w->curdepth + 1) < 0) {
			w->err = lc_fail(w->ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory (HDF5 traversal)");
			return 1;
		}
	}
	return 0;
}

static lc_err walk_groups(lc_ctx *ctx, const lc_h5 *h, hid_t f, h5walk *w, lc_buf *out)
{
	memset(w, 0, sizeof *w);
	w->out = out;
	w->ctx = ctx;
	w->h = h;
	w->max_objects = lc_lim(ctx, LC_LIMIT_hdf5_max_objects);
	w->max_depth = lc_lim(ctx, LC_LIMIT_hdf5_max_depth);
	if (push_group(w, "/", 0) < 0)
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory (HDF5 traversal)");
	while (w->nstack > 0 && !w->err) {
		char *path = w->stack[--w->nstack];
		w->curdepth = w->depths[w->nstack];
		hid_t g = h->H5Gopen2(f, path, H5P_DEFAULT);
		if (g < 0) {
			w->err = h5_fail(ctx, h, "opening a group");
		} else {
			hsize_t idx = 0;
			w->cur = path;
			if (h->H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, list_cb, w) < 0 && !w->err)
				w->err = h5_fail(ctx, h, "listing a group");
			h->H5Gclose(g);
		}
		free(path);
	}
	while (w->nstack > 0)
		free(w->stack[--w->nstack]);
	free(w->stack);
	free(w->depths);
	free(w->seen);
	return w->err;
}

/* ---- the isolated reader ------------------------------------------------
 * libhdf5 runs in a forked child: a crash or a hang in the library on a
 * hostile file (fuzzing found memory errors in its global-heap code within
 * minutes) ends the child, never the scan.  The child inherits the view and
 * the loaded library, reads the root attributes and the links, sends
 * records through a pipe and leaves with _exit; the scanning process does
 * the JSON and Keras analysis.  The parent never calls into libhdf5 after
 * H5open, so no libhdf5 lock can be held by another thread at fork time. */

static const char *const h5_attrs[] = {"keras_version", "backend", "model_config", "training_config"};

static void child_main(int fd, lc_ctx *ctx, const lc_h5 *h, const uint8_t *data, size_t len)
{
	/* Our copy of the context: errors are recorded here, unprefixed by the
	 * member path (the parent adds it), and sent back. */
	ctx->depth = 0;
	ctx->file->status = LC_STATUS_SCANNED;
	ctx->file->error = NULL;
	ctx->file->error_code = LC_OK;
	ctx->file->limit = NULL;
	lc_buf out = {0};
	h->H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
	/* Read-only, no copy, the buffer stays ours: the core driver reads
	 * the view in place (only the pages it parses are touched). */
	h5img im = {(void *)(uintptr_t)data, len};
	hid_t f = h5_open_image(ctx, h, &im);
	if (f >= 0) {
		lc_err err = LC_OK;
		for (size_t i = 0; i < sizeof h5_attrs / sizeof h5_attrs[0] && err == LC_OK; i++) {
			size_t n;
			char *v = read_str_attr(ctx, h, f, h5_attrs[i], &n, &err);
			if (v)
				rec_put(&out, 'A', h5_attrs[i], strlen(h5_attrs[i]), v, n);
			free(v);
		}
		h5walk w;
		if (err == LC_OK)
			err = walk_groups(ctx, h, f, &w, &out);
		if (h->H5Fclose(f) < 0 && err == LC_OK)
			h5_fail(ctx, h, "closing the file");
	}
	if (ctx->file->status == LC_STATUS_ERROR) {
		char code[64];
		int cl = snprintf(code, sizeof code, "%c%s", (char)ctx->file->error_code,
				  ctx->file->limit ? ctx->file->limit : "");
		const char *m = ctx->file->error ? ctx->file->error : "HDF5 error";
		rec_put(&out, 'E', code, (size_t)cl, m, strlen(m));
	}
	const char *p = out.oom ? "" : out.p;
	size_t left = out.oom ? 0 : out.len;
	while (left > 0) {
		ssize_t k = write(fd, p, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			_exit(3);
		p += k;
		left -= (size_t)k;
	}
	_exit(out.oom ? 4 : 0);
}

/* Runs the child and collects its records into *in.  Returns LC_OK or the
 * error recorded (crash, timeout, output too large). */
static lc_err run_child(lc_ctx *ctx, const lc_h5 *h, const uint8_t *data, size_t len, lc_buf *in)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return lc_fail(ctx, LC_E_IO, LC_NO_OFFSET, "HDF5: pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return lc_fail(ctx, LC_E_IO, LC_NO_OFFSET, "HDF5: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* Other scans' pipes must see their EOF when their own child
		 * ends, not when this one does: keep only our write end. */
		close(fds[0]);
		int keep = fds[1];
		if (keep > 3)
			close_range(3, (unsigned)keep - 1, 0);
		close_range((unsigned)keep + 1, ~0u, 0);
		/* What the child dies of is reported as the file's error; the
		 * C library's or a sanitizer's message would only be noise on
		 * the scanner's stderr. */
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, 2);
			close(devnull);
		}
		child_main(keep, ctx, h, data, len);
	}
	close(fds[1]);
	uint64_t cap = 2 * lc_lim(ctx, LC_LIMIT_config_max_bytes) + (1u << 20);
	uint64_t secs = lc_lim(ctx, LC_LIMIT_hdf5_max_seconds);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lc_err err = LC_OK;
	char buf[65536];
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double spent = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (spent >= (double)secs) {
			err = lc_limit_hit(ctx, LC_LIMIT_hdf5_max_seconds, LC_NO_OFFSET,
					   "libhdf5 did not finish reading the file (a hostile file can make it loop)");
			break;
		}
		struct pollfd pfd = {fds[0], POLLIN, 0};
		double wait = ((double)secs - spent) * 1000.0 + 1.0;
		int r = poll(&pfd, 1, wait > 1000.0 ? 1000 : (int)wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t k = read(fds[0], buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (in->len + (size_t)k > cap) {
			err = lc_limit_hit(ctx, LC_LIMIT_config_max_bytes, LC_NO_OFFSET, "HDF5 attributes");
			break;
		}
		lc_buf_put(in, buf, (size_t)k);
	}
	close(fds[0]);
	int st = 0;
	if (err != LC_OK)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (err != LC_OK)
		return err;
	if (in->oom)
		return lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory (HDF5 records)");
	if (WIFSIGNALED(st))
		return lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET,
			       "HDF5: libhdf5 crashed on this file (signal %d): the file is malformed or hostile",
			       WTERMSIG(st));
	/* 3/4: the pipe or memory failed; else a sanitizer (or libhdf5's own
	 * abort) stopped the child on this file */
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return lc_fail(ctx, WIFEXITED(st) && WEXITSTATUS(st) == 4 ? LC_E_NOMEM : LC_E_MALFORMED, LC_NO_OFFSET,
			       "HDF5: libhdf5 failed on this file (exit status %d): the file is malformed or hostile",
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return LC_OK;
}

/* Next record of in at *pos; 0 at the end (or on a short record). */
static int rec_next(const lc_buf *in, size_t *pos, char *tag, const char **a, size_t *alen, const char **b,
		    size_t *blen)
{
	lc_cur c;
	const uint8_t *t, *q;
	uint32_t n;
	lc_cur_init(&c, in->p, in->len);
	if (!lc_cur_skip(&c, *pos) || !lc_cur_take(&c, 1, &t))
		return 0;
	*tag = (char)t[0];
	if (!lc_cur_u32le(&c, &n) || !lc_cur_take(&c, n, &q))
		return 0;
	*a = (const char *)q;
	*alen = n;
	if (!lc_cur_u32le(&c, &n) || !lc_cur_take(&c, n, &q))
		return 0;
	*b = (const char *)q;
	*blen = n;
	*pos = lc_cur_off(&c);
	return 1;
}

static json_t *keras_json(lc_ctx *ctx, const char *name, const char *s, size_t n, lc_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(s, n, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		*err = lc_fail(ctx, LC_E_MALFORMED, LC_NO_OFFSET, "HDF5 attribute %s: JSON does not parse: %s (line %d)",
			       name, jerr.text, jerr.line);
		return NULL;
	}
	char where[100];
	snprintf(where, sizeof where, "%s attribute", name);
	lc_keras_analyze_config(ctx, root, where);
	return root;
}

/* ---- parse ------------------------------------------------------------------ */

lc_err lc_parse_hdf5(lc_ctx *ctx, const uint8_t *data, size_t len)
{
	lc_set_format(ctx, "hdf5");
	const char *why = NULL;
	const lc_h5 *h = h5_get(&why);
	if (!h)
		return lc_fail(ctx, LC_E_UNSUPPORTED, LC_NO_OFFSET, "HDF5: %s", why);
	lc_buf in = {0};
	lc_err err = run_child(ctx, h, data, len, &in);
	char *attr[4] = {NULL, NULL, NULL, NULL};
	size_t alen[4] = {0, 0, 0, 0};
	size_t pos = 0;
	char tag;
	const char *a, *b;
	size_t an, bn;
	while (err == LC_OK && rec_next(&in, &pos, &tag, &a, &an, &b, &bn)) {
		if (tag == 'A') {
			for (size_t i = 0; i < 4; i++)
				if (an == strlen(h5_attrs[i]) && memcmp(a, h5_attrs[i], an) == 0 && !attr[i]) {
					attr[i] = lc_strndup(b, bn);
					alen[i] = bn;
				}
		} else if (tag == 'F') {
			char *path = lc_strndup(a, an), *ev = lc_strndup(b, bn);
			if (path && ev)
				lc_finding_add(ctx, LC_SEV_MEDIUM, "hdf5.external-link", LC_NO_OFFSET, path, ev,
					       "HDF5 external link %s: reading it opens another file named by this one",
					       path);
			free(path);
			free(ev);
		} else if (tag == 'E' && an >= 1) {
			size_t tn;
			const lc_limit_info *t = lc_limit_table(&tn);
			if (an > 1 && ctx->file->status != LC_STATUS_ERROR)
				for (size_t i = 0; i < tn; i++)
					if (strlen(t[i].name) == an - 1 && memcmp(t[i].name, a + 1, an - 1) == 0)
						ctx->file->limit = t[i].name;
			err = lc_fail(ctx, (lc_err)(unsigned char)a[0], LC_NO_OFFSET, "%.*s", (int)bn, b);
		}
	}
	lc_buf_free(&in);
	json_t *model = NULL, *training = NULL;
	lc_err e2 = LC_OK;
	if (attr[2]) {
		lc_set_format(ctx, "keras-h5");
		model = keras_json(ctx, "model_config", attr[2], alen[2], &e2);
	}
	if (attr[3])
		training = keras_json(ctx, "training_config", attr[3], alen[3], &e2);
	if (err == LC_OK)
		err = e2;
	if (model && err == LC_OK) {
		char producer[300];
		snprintf(producer, sizeof producer, "keras %.100s%s%.100s", attr[0] ? attr[0] : "(unknown version)",
			 attr[1] ? ", backend " : "", attr[1] ? attr[1] : "");
		lc_graph_done(ctx, lc_keras_graph(ctx, model, producer));
	}
	json_decref(model);
	json_decref(training);
	for (size_t i = 0; i < 4; i++)
		free(attr[i]);
	return err;
}
