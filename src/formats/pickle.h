/*
 * Symbolic pickle reader (src/formats/pickle.c).
 *
 * lc_parse_pickle() scans a whole view as a stream of concatenated pickles.
 * Carriers that know the layout (legacy torch.save, torch tar, joblib) call
 * lc_pickle_scan_one() per pickle and read back the facts they need.
 */
#ifndef LC_FORMATS_PICKLE_H
#define LC_FORMATS_PICKLE_H

#include "../core/lc.h"

/* A storage reference found in a persistent id of the form
 * ('storage', <storage type global>, key, location, numel), as written by
 * torch.save. */
typedef struct lc_pickle_storage_ref {
	char key[64];
	char type[96];     /* "torch.FloatStorage", or "torch.UntypedStorage" */
	uint64_t numel;    /* elements (bytes for UntypedStorage) */
	int dtype_known;   /* type or dtype recognised; elem_size valid */
	unsigned elem_size;
} lc_pickle_storage_ref;

enum lc_pickle_top {
	LC_PTOP_OTHER = 0,
	LC_PTOP_INT,      /* small int in top_int */
	LC_PTOP_BIGINT,   /* LONG/LONG1/LONG4: little-endian bytes in top_bytes */
	LC_PTOP_STRLIST,  /* list or tuple of str: top_strings */
	LC_PTOP_TUPLE,    /* tuple; element summaries in top_tuple_* */
};

/* State-dict extraction (lc_pickle_scan_state_dict): one entry of the
 * top-level dict or OrderedDict, as the rebuild call that torch.load would
 * make for it describes the tensor.  Facts only: nothing is called. */
#define LC_PICKLE_TENSOR_MAX_DIMS 8

typedef struct lc_pickle_tensor {
	char *name;            /* the key (UTF-8, malloc'ed); NULL if the key is no str */
	int is_tensor;         /* 0: the value is no plain tensor rebuild (why says what) */
	const char *why;       /* static text when !is_tensor */
	char storage_key[64];
	char storage_type[96]; /* "torch.FloatStorage", "torch.UntypedStorage" ... */
	char dtype[32];        /* torch dtype of _rebuild_tensor_v3 ("float8_e4m3fn"), else "" */
	uint64_t storage_numel; /* elements of the storage (bytes for UntypedStorage) */
	uint64_t offset;       /* storage_offset, in elements */
	unsigned ndim;
	uint64_t size[LC_PICKLE_TENSOR_MAX_DIMS];
	uint64_t stride[LC_PICKLE_TENSOR_MAX_DIMS];
} lc_pickle_tensor;

typedef struct lc_pickle_info {
	size_t end;                   /* offset just past STOP */
	int top;                      /* enum lc_pickle_top: the value STOP returned */
	int64_t top_int;
	const uint8_t *top_bytes;     /* points into the view */
	size_t top_bytes_len;
	char **top_strings;           /* malloc'ed; freed by lc_pickle_info_free */
	size_t ntop_strings;
	lc_pickle_storage_ref *storages; /* persistent-id storage refs, malloc'ed */
	size_t nstorages;
	int calls;                    /* call sites seen (any policy) */
	/* lc_pickle_scan_state_dict only: */
	int state_dict;               /* the top-level value is a dict or OrderedDict */
	lc_pickle_tensor *tensors;    /* its entries in insertion order (a repeated key repeats) */
	size_t ntensors;
	size_t foreign_calls;         /* calls of anything but the tensor-rebuild functions and
	                               * collections.OrderedDict, anywhere in the pickle */
	char foreign[160];            /* the first such callable ("?" when unresolvable) */
} lc_pickle_info;

/* Scans exactly one pickle starting at data[start] (up to and including
 * STOP), applying policy and recording findings/errors in ctx.  info may be
 * NULL.  Returns LC_OK when STOP was reached. */
lc_err lc_pickle_scan_one(lc_ctx *ctx, const uint8_t *data, size_t len, size_t start, lc_pickle_info *info);
/* Same scan (same policy, same findings), and also records the entries of
 * the top-level dict/OrderedDict of a torch state dict in info->tensors:
 * what `laocoon convert` needs to write the tensors without unpickling. */
lc_err lc_pickle_scan_state_dict(lc_ctx *ctx, const uint8_t *data, size_t len, size_t start, lc_pickle_info *info);
void lc_pickle_info_free(lc_pickle_info *info);

/* Cheap structural probe used by bidders: does data[start..] look like a
 * pickle?  Returns 0 (no), or a weak/strong bid value. */
int lc_pickle_probe(const uint8_t *data, size_t len, size_t start);

#endif
