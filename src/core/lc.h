/*
 * Internal API shared by the engine, the format readers and the analyzers.
 *
 * A format reader gets a view (pointer + length, zero-copy over the mmapped
 * file or over a buffer the engine owns) and a scan context.  It records what
 * it learns through the context: findings (lc_finding_add), errors (lc_fail,
 * lc_limit_hit) and child views that the engine bids on again
 * (lc_scan_child).  Readers never print and never touch the file system.
 */
#ifndef LC_CORE_H
#define LC_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "laocoon.h"

#if defined(__GNUC__)
#define LC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define LC_UNUSED __attribute__((unused))
#else
#define LC_PRINTF(a, b)
#define LC_UNUSED
#endif

/* ---- bounded cursor ------------------------------------------------------
 * Every read checks and reads in one call.  A short read sets a sticky error
 * so a loop can test once per record.  Comparisons are written "n > left",
 * never "p + n > end", so they cannot wrap.
 */
typedef struct lc_cur {
	const uint8_t *base; /* start of the view (for offsets) */
	const uint8_t *p;
	const uint8_t *end;
	int err; /* 0, or LC_E_TRUNCATED once a read fell short */
} lc_cur;

static inline void lc_cur_init(lc_cur *c, const void *data, size_t n)
{
	c->base = (const uint8_t *)data;
	c->p = c->base;
	c->end = data ? c->base + n : c->base; /* NULL + 0 is undefined in C */
	c->err = 0;
}
static inline size_t lc_cur_left(const lc_cur *c) { return (size_t)(c->end - c->p); }
static inline size_t lc_cur_off(const lc_cur *c) { return (size_t)(c->p - c->base); }
static inline bool lc_cur_take(lc_cur *c, size_t n, const uint8_t **out)
{
	if (c->err || n > lc_cur_left(c)) {
		c->err = LC_E_TRUNCATED;
		*out = NULL;
		return false;
	}
	*out = c->p;
	if (n)
		c->p += n;
	return true;
}
static inline bool lc_cur_skip(lc_cur *c, size_t n)
{
	const uint8_t *ignored;
	return lc_cur_take(c, n, &ignored);
}
static inline bool lc_cur_u8(lc_cur *c, uint8_t *v)
{
	const uint8_t *q;
	if (!lc_cur_take(c, 1, &q)) {
		*v = 0;
		return false;
	}
	*v = q[0];
	return true;
}
static inline uint16_t lc_le16(const uint8_t *q) { return (uint16_t)(q[0] | (q[1] << 8)); }
static inline uint32_t lc_le32(const uint8_t *q)
{
	return (uint32_t)q[0] | ((uint32_t)q[1] << 8) | ((uint32_t)q[2] << 16) | ((uint32_t)q[3] << 24);
}
static inline uint64_t lc_le64(const uint8_t *q) { return (uint64_t)lc_le32(q) | ((uint64_t)lc_le32(q + 4) << 32); }
static inline uint32_t lc_be32(const uint8_t *q)
{
	return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | (uint32_t)q[3];
}
static inline bool lc_cur_u16le(lc_cur *c, uint16_t *v)
{
	const uint8_t *q;
	if (!lc_cur_take(c, 2, &q)) {
		*v = 0;
		return false;
	}
	*v = lc_le16(q);
	return true;
}
static inline bool lc_cur_u32le(lc_cur *c, uint32_t *v)
{
	const uint8_t *q;
	if (!lc_cur_take(c, 4, &q)) {
		*v = 0;
		return false;
	}
	*v = lc_le32(q);
	return true;
}
static inline bool lc_cur_u64le(lc_cur *c, uint64_t *v)
{
	const uint8_t *q;
	if (!lc_cur_take(c, 8, &q)) {
		*v = 0;
		return false;
	}
	*v = lc_le64(q);
	return true;
}

/* ---- scan context ------------------------------------------------------- */

/* Flags that describe where a view sits; readers may consult them to apply
 * carrier-specific policy (e.g. TorchScript's __torch__ classes). */
enum {
	LC_CTX_TORCHSCRIPT = 1u << 0, /* inside a TorchScript archive */
	LC_CTX_PYTORCH = 1u << 1,     /* inside a torch.save archive or stream */
	LC_CTX_NESTED_LOAD = 1u << 2, /* bytes that a loader call would deserialize */
};

#define LC_MAX_DEPTH_HARD 64

typedef struct lc_ctx lc_ctx;

/* One level of the container stack. */
typedef struct lc_frame {
	const char *name;  /* member name at this level (not owned) */
	unsigned flags;    /* LC_CTX_* inherited by children */
} lc_frame;

struct lc_ctx {
	const lc_limits *lim;
	lc_file_result *file;
	lc_frame stack[LC_MAX_DEPTH_HARD + 1];
	unsigned depth;          /* 0 = the file itself */
	uint64_t decompressed;   /* bytes inflated so far in this file */
	uint64_t total_members;  /* members seen over all levels */
	uint64_t pickle_ops;     /* opcodes executed over all pickles of this file */
	struct lc_dedup *dedup;  /* folds repeated findings */
	bool findings_capped;    /* max_findings reached (reported once) */
	int keep_graphs;         /* hand the first graph to the file result */
	const uint8_t *map;      /* the file's bytes: its read-only mapping, or the caller's buffer */
	size_t map_len;
	int map_mmapped;         /* map is our mmap (pages may be handed back) */
	size_t map_released;     /* bytes at the start of map handed back */
};

/* Severity + rule + message.  The location is the current member (stack)
 * and the given offset inside it (pass LC_NO_OFFSET when meaningless).
 * Findings with the same rule, member and dedup key are folded into one with
 * a count; key may be NULL (then the message is the key). */
#define LC_NO_OFFSET UINT64_MAX
void lc_finding_add(lc_ctx *ctx, lc_severity sev, const char *rule, uint64_t offset, const char *key,
		    const char *evidence, const char *fmt, ...) LC_PRINTF(7, 8);

/* Records that analysis of the current file stopped early.  The first error
 * wins; the file's status becomes ERROR; findings are kept.  Returns err so
 * callers can write "return lc_fail(...)". */
lc_err lc_fail(lc_ctx *ctx, lc_err err, uint64_t offset, const char *fmt, ...) LC_PRINTF(4, 5);
/* Same, for a limit of the table: the message names the limit and its value. */
lc_err lc_limit_hit(lc_ctx *ctx, lc_limit_id id, uint64_t offset, const char *what);
static inline uint64_t lc_lim(const lc_ctx *ctx, lc_limit_id id) { return lc_limit_get(ctx->lim, id); }

/* The file-level format name, set by the reader of the top-level view (depth
 * 0) or refined by a container reader (e.g. zip -> "pytorch-zip").  Must be a
 * string literal or otherwise static. */
void lc_set_format(lc_ctx *ctx, const char *format);
/* Current flags (union of the stack's). */
unsigned lc_flags(const lc_ctx *ctx);
/* Adds flags to the current level (inherited by children). */
void lc_add_flags(lc_ctx *ctx, unsigned flags);
/* Current member path ("" at depth 0), written into buf. */
const char *lc_member_path(const lc_ctx *ctx, char *buf, size_t len);

/* Identifies a child view by content and scans it.  name is the member name
 * (copied); offset is where the child starts inside the current view, or
 * LC_NO_OFFSET for decompressed data.  Checks max_depth and
 * max_total_members.  Returns the child's error, if any; the caller decides
 * whether to go on with the next member (usually yes, unless LC_E_LIMIT on a
 * global budget or LC_E_NOMEM). */
lc_err lc_scan_child(lc_ctx *ctx, const char *name, const uint8_t *data, size_t len, uint64_t offset);
/* Same, but forcing a given format (by name) instead of bidding.  Used when
 * the carrier says what the bytes are (e.g. a loader's argument is a pickle).
 * Falls back to bidding if the name is unknown. */
lc_err lc_scan_child_as(lc_ctx *ctx, const char *name, const char *format, const uint8_t *data, size_t len,
			uint64_t offset);

/* Pushes a named level on the container stack without bidding, for a reader
 * that walks a member's layout itself (e.g. the `storages` member of a
 * legacy torch tar): findings made until lc_leave_member() carry the member
 * name and the level is listed among the file's members with the given
 * format.  Checks max_depth and max_total_members; returns LC_OK or the
 * limit error (then do not call lc_leave_member). */
lc_err lc_enter_member(lc_ctx *ctx, const char *name, const char *format, uint64_t size, uint64_t offset);
void lc_leave_member(lc_ctx *ctx);

/* Charges n decompressed bytes to the file's budget (max_decompressed) and
 * checks the ratio against compressed (max_ratio, once n > 1 MiB).  Returns
 * LC_OK or the limit error (already recorded). */
lc_err lc_charge_decompressed(lc_ctx *ctx, uint64_t n, uint64_t compressed);

/* Tells the engine that the reader will not look at bytes before p again
 * (p points into a view).  For a mapped file the pages before p are handed
 * back to the kernel, so a long sequential parse (a 17 MB pickle) keeps a
 * small resident set.  Only a hint: touching those bytes later still works
 * (the pages are read again from the file).  Cheap enough to call often. */
void lc_release_before(lc_ctx *ctx, const uint8_t *p);

/* Allocation sized by input: fails (NULL, error recorded) above
 * max_member_size.  Free with free(). */
void *lc_alloc_input(lc_ctx *ctx, size_t n, const char *what);

/* ---- format registry ----------------------------------------------------
 * src/core/formats.def lists every reader as LC_FORMAT(id, "name", covers)
 * where covers is a space-separated list of format names this one already
 * handles (so a second strong bid of those is not a polyglot).
 * Each reader defines:
 *   int    lc_bid_<id>(const uint8_t *data, size_t len);   0..100
 *   lc_err lc_parse_<id>(lc_ctx *ctx, const uint8_t *data, size_t len);
 * Bids: 0 = not mine; 1..49 weak (content plausible); 50..100 strong (magic
 * verified).  Bidders must only peek at a bounded prefix/suffix: they run on
 * every file and every archive member.
 */
#define LC_BID_STRONG 50

#define LC_FORMAT(id, name, covers)                                                                      \
	int lc_bid_##id(const uint8_t *data, size_t len);                                                \
	lc_err lc_parse_##id(lc_ctx *ctx, const uint8_t *data, size_t len);
#include "formats.def"
#undef LC_FORMAT

/* ---- engine internals (src/core/engine.c, result.c, walk.c) ------------- */

/* Scans one top-level view into f (already holding path and size). */
void lc_scan_file_view(const lc_scan_options *opt, lc_file_result *f, const uint8_t *data, size_t len, int mapped);
void lc_ctx_release(lc_ctx *ctx);
void lc_file_result_clear(lc_file_result *f);
/* Appends a zeroed file result; NULL on allocation failure. */
lc_file_result *lc_result_push(lc_result *res);
/* True when the bytes look like text (no NUL, mostly printable UTF-8). */
bool lc_looks_like_text(const uint8_t *data, size_t len);

/* ---- small utilities (src/core/util.c) ---------------------------------- */

/* malloc'ed printf; NULL on failure. */
char *lc_strdup_printf(const char *fmt, ...) LC_PRINTF(1, 2);
char *lc_strdup_vprintf(const char *fmt, va_list ap) LC_PRINTF(1, 0);
char *lc_strndup(const char *s, size_t n);
/* Writes a printable, escaped excerpt of bytes (at most max input bytes)
 * into buf: quotes, \xNN for non-printables, "..." when cut. */
const char *lc_escape(const uint8_t *s, size_t n, size_t max, char *buf, size_t buflen);

/* Encodes code point cp as UTF-8 into out (4 bytes room); returns the length.
 * Code points above U+10FFFF become U+FFFD. */
size_t lc_utf8_encode(uint32_t cp, uint8_t out[4]);

/* Growable byte buffer. */
typedef struct lc_buf {
	char *p;
	size_t len, cap;
	int oom;
} lc_buf;
void lc_buf_put(lc_buf *b, const void *data, size_t n);
void lc_buf_puts(lc_buf *b, const char *s);
void lc_buf_printf(lc_buf *b, const char *fmt, ...) LC_PRINTF(2, 3);
void lc_buf_free(lc_buf *b);

#endif
