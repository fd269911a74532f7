/*
 * The scanning engine: identifies a view by content (every reader bids, the
 * highest bid parses it), keeps the container stack, and enforces the
 * nesting and size budgets.  Nothing here knows any format.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/lc.h"

#define LC_DATA_FILE(fn, format, reason) bool fn(const char *path);
#include "datafiles.def"
#undef LC_DATA_FILE

/* The first data-file vouch that accepts path (see datafiles.def), or -1. */
static const struct {
	bool (*is)(const char *path);
	const char *format, *reason;
} data_files[] = {
#define LC_DATA_FILE(fn, format, reason) {fn, format, reason},
#include "datafiles.def"
#undef LC_DATA_FILE
};

static int data_file(const char *path)
{
	for (size_t i = 0; path && i < sizeof data_files / sizeof data_files[0]; i++)
		if (data_files[i].is(path))
			return (int)i;
	return -1;
}

typedef struct lc_format_entry {
	const char *name;
	const char *covers;
	int (*bid)(const uint8_t *, size_t);
	lc_err (*parse)(lc_ctx *, const uint8_t *, size_t);
} lc_format_entry;

static const lc_format_entry formats[] = {
#define LC_FORMAT(id, name, covers) {name, covers, lc_bid_##id, lc_parse_##id},
#include "formats.def"
#undef LC_FORMAT
};
enum { NFORMATS = sizeof formats / sizeof formats[0] };

static bool covers(const lc_format_entry *f, const char *name)
{
	size_t n = strlen(name);
	const char *p = f->covers;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *q = p;
		while (*q && *q != ' ')
			q++;
		if ((size_t)(q - p) == n && memcmp(p, name, n) == 0)
			return true;
		p = q;
	}
	return false;
}

const char *lc_member_path(const lc_ctx *ctx, char *buf, size_t len)
{
	size_t o = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (unsigned i = 1; i <= ctx->depth; i++) {
		const char *name = ctx->stack[i].name ? ctx->stack[i].name : "?";
		size_t n = strlen(name);
		if (i > 1 && o + 1 < len)
			buf[o++] = '!';
		if (n > len - 1 - o)
			n = len - 1 - o;
		memcpy(buf + o, name, n);
		o += n;
		buf[o] = '\0';
	}
	return buf;
}

unsigned lc_flags(const lc_ctx *ctx) { return ctx->stack[ctx->depth].flags; }

void lc_add_flags(lc_ctx *ctx, unsigned flags) { ctx->stack[ctx->depth].flags |= flags; }

void lc_set_format(lc_ctx *ctx, const char *format)
{
	if (ctx->depth == 0) {
		ctx->file->format = format;
	} else if (ctx->file->nmembers > 0) {
		/* The member entry of the current level is the last one pushed for
		 * this name; refine it. */
		char path[1024];
		lc_member_path(ctx, path, sizeof path);
		for (size_t i = ctx->file->nmembers; i-- > 0;) {
			if (strcmp(ctx->file->members[i].name, path) == 0) {
				ctx->file->members[i].format = format;
				break;
			}
		}
	}
}

bool lc_looks_like_text(const uint8_t *data, size_t len)
{
	size_t n = len < 65536 ? len : 65536;
	size_t odd = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = data[i];
		if (c == 0)
			return false;
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f')
			odd++;
	}
	return odd * 100 <= n; /* a stray control byte in a text file is fine */
}

/* Bids every reader on the view and parses it with the winner; any other
 * strong bidder the winner does not cover means the bytes are two formats at
 * once (a polyglot): reported, and parsed as both so neither reading hides a
 * payload.  Returns the format name that claimed the view, NULL if none. */
static const char *dispatch(lc_ctx *ctx, const uint8_t *data, size_t len, const char *forced, lc_err *errp)
{
	int bids[NFORMATS];
	int best = -1;
	*errp = LC_OK;
	for (int i = 0; i < NFORMATS; i++) {
		bids[i] = formats[i].bid(data, len);
		if (forced && strcmp(forced, formats[i].name) == 0 && bids[i] > 0)
			bids[i] = 1000;
		if (bids[i] > 0 && (best < 0 || bids[i] > bids[best]))
			best = i;
	}
	if (best < 0)
		return NULL;
	if (ctx->depth == 0)
		ctx->file->format = formats[best].name;
	lc_err err = formats[best].parse(ctx, data, len);
	for (int i = 0; i < NFORMATS; i++) {
		if (i == best || bids[i] < LC_BID_STRONG || covers(&formats[best], formats[i].name))
			continue;
		lc_finding_add(ctx, LC_SEV_MEDIUM, "format.polyglot", 0, formats[i].name, NULL,
			       "content is both %s and %s; scanned as both (a loader may pick either)",
			       formats[best].name, formats[i].name);
		lc_err e2 = formats[i].parse(ctx, data, len);
		if (err == LC_OK)
			err = e2;
	}
	*errp = err;
	return formats[best].name;
}

static lc_member *push_member(lc_file_result *f)
{
	if (f->nmembers == f->capmembers) {
		size_t ncap = f->capmembers ? f->capmembers * 2 : 8;
		lc_member *nm = realloc(f->members, ncap * sizeof *nm);
		if (!nm)
			return NULL;
		f->members = nm;
		f->capmembers = ncap;
	}
	lc_member *m = &f->members[f->nmembers++];
	memset(m, 0, sizeof *m);
	return m;
}

lc_err lc_enter_member(lc_ctx *ctx, const char *name, const char *format, uint64_t size, uint64_t offset)
{
	if (ctx->depth >= ctx->lim->max_depth || ctx->depth >= LC_MAX_DEPTH_HARD)
		return lc_limit_hit(ctx, LC_LIMIT_max_depth, offset, name ? name : "nested member");
	if (++ctx->total_members > ctx->lim->max_total_members)
		return lc_limit_hit(ctx, LC_LIMIT_max_total_members, offset, "members over all levels");
	char *owned = strdup(name ? name : "?");
	if (!owned)
		return lc_fail(ctx, LC_E_NOMEM, offset, "out of memory");
	unsigned parent_flags = ctx->stack[ctx->depth].flags;
	ctx->depth++;
	ctx->stack[ctx->depth].name = owned;
	ctx->stack[ctx->depth].flags = parent_flags & ~(unsigned)LC_CTX_NESTED_LOAD;
	char path[1024];
	lc_member_path(ctx, path, sizeof path);
	lc_member *m = push_member(ctx->file);
	if (m) {
		m->name = strdup(path);
		m->format = format ? format : "unknown";
		m->size = size;
	}
	return LC_OK;
}

void lc_leave_member(lc_ctx *ctx)
{
	if (ctx->depth == 0)
		return;
	free((char *)ctx->stack[ctx->depth].name);
	ctx->stack[ctx->depth].name = NULL;
	ctx->depth--;
}

lc_err lc_scan_child_as(lc_ctx *ctx, const char *name, const char *format, const uint8_t *data, size_t len,
			uint64_t offset)
{
	size_t mi = ctx->file->nmembers; /* index of the entry lc_enter_member lists */
	lc_err err = lc_enter_member(ctx, name, NULL, len, offset);
	if (err != LC_OK)
		return err;
	const char *fmt = dispatch(ctx, data, len, format, &err);
	if (ctx->file->nmembers > mi && fmt && strcmp(ctx->file->members[mi].format, "unknown") == 0)
		ctx->file->members[mi].format = fmt;
	lc_leave_member(ctx);
	return err;
}

lc_err lc_scan_child(lc_ctx *ctx, const char *name, const uint8_t *data, size_t len, uint64_t offset)
{
	return lc_scan_child_as(ctx, name, NULL, data, len, offset);
}

lc_err lc_charge_decompressed(lc_ctx *ctx, uint64_t n, uint64_t compressed)
{
	if (n > UINT64_MAX - ctx->decompressed || ctx->decompressed + n > ctx->lim->max_decompressed)
		return lc_limit_hit(ctx, LC_LIMIT_max_decompressed, LC_NO_OFFSET, "total decompressed bytes");
	ctx->decompressed += n;
	if (n > (1u << 20) && (compressed == 0 || n / compressed >= ctx->lim->max_ratio))
		return lc_limit_hit(ctx, LC_LIMIT_max_ratio, LC_NO_OFFSET, "compression ratio");
	return LC_OK;
}

void lc_release_before(lc_ctx *ctx, const uint8_t *p)
{
	if (!ctx->map || !ctx->map_mmapped || p < ctx->map || p > ctx->map + ctx->map_len)
		return;
	size_t upto = (size_t)(p - ctx->map);
	/* Work in 4 MiB steps: fewer system calls, and the pages just behind
	 * the cursor (likely to be touched again) stay resident. */
	const size_t step = 4u << 20;
	if (upto < ctx->map_released + 2 * step)
		return;
	size_t end = (upto - step) & ~(size_t)(step - 1);
	if (end <= ctx->map_released)
		return;
	/* The mapping is private and read-only: dropped pages are read again
	 * from the file if touched, so this can never change what we parse. */
	madvise((void *)(ctx->map + ctx->map_released), end - ctx->map_released, MADV_DONTNEED);
	ctx->map_released = end;
}

void *lc_alloc_input(lc_ctx *ctx, size_t n, const char *what)
{
	if (n > ctx->lim->max_member_size) {
		lc_limit_hit(ctx, LC_LIMIT_max_member_size, LC_NO_OFFSET, what);
		return NULL;
	}
	void *p = malloc(n ? n : 1);
	if (!p)
		lc_fail(ctx, LC_E_NOMEM, LC_NO_OFFSET, "out of memory allocating %zu bytes for %s", n, what);
	return p;
}

lc_file_result *lc_result_push(lc_result *res)
{
	if (res->nfiles == res->capfiles) {
		size_t ncap = res->capfiles ? res->capfiles * 2 : 4;
		lc_file_result *nf = realloc(res->files, ncap * sizeof *nf);
		if (!nf)
			return NULL;
		res->files = nf;
		res->capfiles = ncap;
	}
	lc_file_result *f = &res->files[res->nfiles++];
	memset(f, 0, sizeof *f);
	return f;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void lc_scan_file_view(const lc_scan_options *opt, lc_file_result *f, const uint8_t *data, size_t len, int mapped)
{
	double t0 = now_ms();
	lc_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.lim = &opt->limits;
	ctx.keep_graphs = opt->keep_graphs;
	ctx.file = f;
	/* The file's bytes outlive the scan (our mapping, kept with a kept
	 * graph, or the caller's buffer of lc_scan_mem). */
	ctx.map = data;
	ctx.map_len = len;
	ctx.map_mmapped = mapped;
	f->size = len;
	f->status = LC_STATUS_SCANNED;
	if (!f->format)
		f->format = "unknown";
	lc_err err;
	int df;
	const char *fmt = len ? dispatch(&ctx, data, len, NULL, &err) : NULL;
	if (!fmt && f->status != LC_STATUS_ERROR) {
		f->status = LC_STATUS_SKIPPED;
		f->format = "unknown";
		if (len == 0) {
			f->error = strdup("empty file");
		} else if (lc_looks_like_text(data, len)) {
			f->error = strdup("text file, not a model format laocoon reads");
		} else if ((df = data_file(f->path)) >= 0) {
			/* Raw tensor bytes have no magic; the sibling file that
			 * describes them was recognised by content. */
			f->format = data_files[df].format;
			f->error = strdup(data_files[df].reason);
		} else {
			f->unrecognised_binary = 1;
			f->error = strdup("unrecognised binary content: no reader claimed it, so it was not analysed");
		}
	}
	lc_ctx_release(&ctx);
	f->elapsed_ms = now_ms() - t0;
}

void lc_scan_options_default(lc_scan_options *opt)
{
	memset(opt, 0, sizeof *opt);
	lc_limits_default(&opt->limits);
	opt->jobs = 0;
}

lc_err lc_scan_mem(const lc_scan_options *opt, const char *name, const void *data, size_t len, lc_result *out)
{
	lc_file_result *f = lc_result_push(out);
	if (!f)
		return LC_E_NOMEM;
	f->path = strdup(name ? name : "<memory>");
	if (len > opt->limits.max_file_size) {
		f->size = len;
		f->format = "unknown";
		f->status = LC_STATUS_ERROR;
		f->error_code = LC_E_LIMIT;
		f->limit = "max_file_size";
		f->error = lc_strdup_printf("limit max_file_size=%llu bytes reached: file is %zu bytes",
					    (unsigned long long)opt->limits.max_file_size, len);
		return LC_E_LIMIT;
	}
	lc_scan_file_view(opt, f, (const uint8_t *)data, len, 0);
	return f->status == LC_STATUS_ERROR ? f->error_code : LC_OK;
}
