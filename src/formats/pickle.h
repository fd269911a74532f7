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
} lc_pickle_info;

/* Scans exactly one pickle starting at data[start] (up to and including
 * STOP), applying policy and recording findings/errors in ctx.  info may be
 * NULL.  Returns LC_OK when STOP was reached. */
lc_err lc_pickle_scan_one(lc_ctx *ctx, const uint8_t *data, size_t len, size_t start, lc_pickle_info *info);
void lc_pickle_info_free(lc_pickle_info *info);

/* Cheap structural probe used by bidders: does data[start..] look like a
 * pickle?  Returns 0 (no), or a weak/strong bid value. */
int lc_pickle_probe(const uint8_t *data, size_t len, size_t start);

#endif
