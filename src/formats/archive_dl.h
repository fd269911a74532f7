/*
 * libarchive, loaded on first use.
 *
 * Why: libarchive's dependency chain (libxml2, ICU, libstdc++, nettle ...)
 * costs every laocoon process about 3.6 MB of resident memory and 1.4 ms of
 * start-up, measured on a program that only links it.  Most scans never meet
 * a tar, 7z or compressed stream, and a CI pipeline runs laocoon once per
 * file, so the library is opened with dlopen() the first time a bid is won,
 * and the archive_* names below resolve through this table.
 *
 * Include this instead of <archive.h> calls: the macros route each call.
 */
#ifndef LC_FORMATS_ARCHIVE_DL_H
#define LC_FORMATS_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

#define LC_AR_FUNCTIONS(X)                                                                               \
	X(struct archive *, archive_read_new, (void))                                                    \
	X(int, archive_read_free, (struct archive *))                                                    \
	X(int, archive_read_support_filter_bzip2, (struct archive *))                                    \
	X(int, archive_read_support_filter_gzip, (struct archive *))                                     \
	X(int, archive_read_support_filter_lz4, (struct archive *))                                      \
	X(int, archive_read_support_filter_lzma, (struct archive *))                                     \
	X(int, archive_read_support_filter_xz, (struct archive *))                                       \
	X(int, archive_read_support_filter_zstd, (struct archive *))                                     \
	X(int, archive_read_support_format_7zip, (struct archive *))                                     \
	X(int, archive_read_support_format_raw, (struct archive *))                                      \
	X(int, archive_read_support_format_tar, (struct archive *))                                      \
	X(int, archive_read_open_memory, (struct archive *, const void *, size_t))                       \
	X(int, archive_read_next_header, (struct archive *, struct archive_entry **))                    \
	X(int, archive_read_data_block, (struct archive *, const void **, size_t *, la_int64_t *))       \
	X(const char *, archive_error_string, (struct archive *))                                        \
	X(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *))                                 \
	X(const char *, archive_entry_hardlink, (struct archive_entry *))                                \
	X(int, archive_entry_is_encrypted, (struct archive_entry *))                                     \
	X(const char *, archive_entry_pathname, (struct archive_entry *))                                \
	X(la_int64_t, archive_entry_size, (struct archive_entry *))                                      \
	X(int, archive_entry_size_is_set, (struct archive_entry *))                                      \
	X(const char *, archive_entry_symlink, (struct archive_entry *))

typedef struct lc_libarchive {
#define LC_AR_FIELD(ret, name, params) ret(*fn_##name) params;
	LC_AR_FUNCTIONS(LC_AR_FIELD)
#undef LC_AR_FIELD
} lc_libarchive;

/* Loads libarchive once (thread-safe).  Returns the table, or NULL with a
 * reason in *why (static string) when the library or a symbol is missing. */
const lc_libarchive *lc_libarchive_get(const char **why);
/* The loaded table; only valid after lc_libarchive_get() succeeded. */
const lc_libarchive *lc_libarchive_loaded(void);

#ifndef LC_ARCHIVE_DL_IMPL
/* Route every call through the loaded table. */
#define archive_read_new() (lc_libarchive_loaded()->fn_archive_read_new())
#define archive_read_free(a) (lc_libarchive_loaded()->fn_archive_read_free(a))
#define archive_read_support_filter_bzip2(a) (lc_libarchive_loaded()->fn_archive_read_support_filter_bzip2(a))
#define archive_read_support_filter_gzip(a) (lc_libarchive_loaded()->fn_archive_read_support_filter_gzip(a))
#define archive_read_support_filter_lz4(a) (lc_libarchive_loaded()->fn_archive_read_support_filter_lz4(a))
#define archive_read_support_filter_lzma(a) (lc_libarchive_loaded()->fn_archive_read_support_filter_lzma(a))
#define archive_read_support_filter_xz(a) (lc_libarchive_loaded()->fn_archive_read_support_filter_xz(a))
#define archive_read_support_filter_zstd(a) (lc_libarchive_loaded()->fn_archive_read_support_filter_zstd(a))
#define archive_read_support_format_7zip(a) (lc_libarchive_loaded()->fn_archive_read_support_format_7zip(a))
#define archive_read_support_format_raw(a) (lc_libarchive_loaded()->fn_archive_read_support_format_raw(a))
#define archive_read_support_format_tar(a) (lc_libarchive_loaded()->fn_archive_read_support_format_tar(a))
#define archive_read_open_memory(a, b, n) (lc_libarchive_loaded()->fn_archive_read_open_memory(a, b, n))
#define archive_read_next_header(a, e) (lc_libarchive_loaded()->fn_archive_read_next_header(a, e))
#define archive_read_data_block(a, b, n, o) (lc_libarchive_loaded()->fn_archive_read_data_block(a, b, n, o))
#define archive_error_string(a) (lc_libarchive_loaded()->fn_archive_error_string(a))
#define archive_entry_filetype(e) (lc_libarchive_loaded()->fn_archive_entry_filetype(e))
#define archive_entry_hardlink(e) (lc_libarchive_loaded()->fn_archive_entry_hardlink(e))
#define archive_entry_is_encrypted(e) (lc_libarchive_loaded()->fn_archive_entry_is_encrypted(e))
#define archive_entry_pathname(e) (lc_libarchive_loaded()->fn_archive_entry_pathname(e))
#define archive_entry_size(e) (lc_libarchive_loaded()->fn_archive_entry_size(e))
#define archive_entry_size_is_set(e) (lc_libarchive_loaded()->fn_archive_entry_size_is_set(e))
#define archive_entry_symlink(e) (lc_libarchive_loaded()->fn_archive_entry_symlink(e))
#endif

#endif
