/*
 * Zip directory access for callers that need member bytes, not a scan
 * (src/formats/zip.c): `laocoon convert` reads a PyTorch archive's data.pkl
 * and data/N storages with exactly the semantics the scanner judged (miniz's:
 * central directory trusted, offsets absolute, prepended data compensated).
 */
#ifndef LC_FORMATS_ZIP_H
#define LC_FORMATS_ZIP_H

#include "../core/lc.h"

typedef struct lc_zip_entry {
	char *name;          /* central-directory name, raw bytes, NUL-terminated (malloc'ed) */
	size_t name_len;
	unsigned method;     /* 0 stored, 8 deflate; others cannot be read */
	unsigned flags;      /* general-purpose bit flags */
	const uint8_t *data; /* compressed bytes, inside the view */
	uint64_t csize, usize;
} lc_zip_entry;

/* Lists the entries whose local header and data lie inside the view.
 * Problems are recorded in ctx like a scan would; returns the first error
 * (entries read so far are still returned).  Free with lc_zip_list_free. */
lc_err lc_zip_list(lc_ctx *ctx, const uint8_t *data, size_t len, lc_zip_entry **out, size_t *n);
void lc_zip_list_free(lc_zip_entry *e, size_t n);

/* Content of an entry: a stored member is a zero-copy sub-view (*owned =
 * NULL); a deflated one is inflated into *owned (free it) under the limits
 * of ctx (max_member_size, max_ratio, max_decompressed). */
lc_err lc_zip_entry_content(lc_ctx *ctx, const lc_zip_entry *e, const uint8_t **data, size_t *len,
			    uint8_t **owned);

#endif
