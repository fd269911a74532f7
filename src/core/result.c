/* Findings, errors and the result structures: how readers record facts
 * about a file, and how the verdict is derived from them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/lc.h"
#include "graph/graph.h"

/* ---- names -------------------------------------------------------------- */

static const char *const sev_names[] = {"INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *lc_severity_name(lc_severity sev)
{
	return (unsigned)sev < 5 ? sev_names[sev] : "?";
}

int lc_severity_parse(const char *name, lc_severity *out)
{
	for (unsigned i = 0; i < 5; i++) {
		if (strcasecmp(name, sev_names[i]) == 0) {
			*out = (lc_severity)i;
			return 0;
		}
	}
	return -1;
}

const char *lc_strerror(lc_err err)
{
	switch (err) {
	case LC_OK:
		return "ok";
	case LC_E_TRUNCATED:
		return "truncated";
	case LC_E_MALFORMED:
		return "malformed";
	case LC_E_LIMIT:
		return "limit";
	case LC_E_UNSUPPORTED:
		return "unsupported";
	case LC_E_IO:
		return "io";
	case LC_E_NOMEM:
		return "out-of-memory";
	case LC_E_INTERNAL:
		return "internal";
	}
	return "?";
}

const char *lc_status_name(lc_status st)
{
	switch (st) {
	case LC_STATUS_SCANNED:
		return "scanned";
	case LC_STATUS_ERROR:
		return "error";
	case LC_STATUS_SKIPPED:
		return "skipped";
	}
	return "?";
}

const char *lc_version(void) { return LAOCOON_VERSION; }

/* ---- folding of repeated findings ----------------------------------------
 * A hostile pickle can call the same callable a million times; one finding
 * with a count says the same and keeps the report (and memory) bounded. */

typedef struct lc_dedup_slot {
	uint64_t hash;
	char *key; /* rule \x1f member \x1f key */
	size_t index;
} lc_dedup_slot;

struct lc_dedup {
	lc_dedup_slot *slots;
	size_t cap, used;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static void dedup_free(struct lc_dedup *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->cap; i++)
		free(d->slots[i].key);
	free(d->slots);
	free(d);
}

/* Returns the slot for key (existing or empty); NULL on allocation failure. */
static lc_dedup_slot *dedup_find(struct lc_dedup *d, const char *key, uint64_t h)
{
	if (d->used * 2 >= d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 64;
		lc_dedup_slot *ns = calloc(ncap, sizeof *ns);
		if (!ns)
			return NULL;
		for (size_t i = 0; i < d->cap; i++) {
			if (!d->slots[i].key)
				continue;
			size_t j = d->slots[i].hash & (ncap - 1);
			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = d->slots[i];
		}
		free(d->slots);
		d->slots = ns;
		d->cap = ncap;
	}
	size_t j = h & (d->cap - 1);
	while (d->slots[j].key && (d->slots[j].hash != h || strcmp(d->slots[j].key, key) != 0))
		j = (j + 1) & (d->cap - 1);
	return &d->slots[j];
}

void lc_ctx_release(lc_ctx *ctx)
{
	dedup_free(ctx->dedup);
	ctx->dedup = NULL;
}

static lc_finding *push_finding(lc_file_result *f)
{
	if (f->nfindings == f->capfindings) {
		size_t ncap = f->capfindings ? f->capfindings * 2 : 8;
		lc_finding *nf = realloc(f->findings, ncap * sizeof *nf);
		if (!nf)
			return NULL;
		f->findings = nf;
		f->capfindings = ncap;
	}
	lc_finding *x = &f->findings[f->nfindings++];
	memset(x, 0, sizeof *x);
	return x;
}

void lc_finding_add(lc_ctx *ctx, lc_severity sev, const char *rule, uint64_t offset, const char *key,
		    const char *evidence, const char *fmt, ...)
{
	lc_file_result *f = ctx->file;
	char member[1024];
	lc_member_path(ctx, member, sizeof member);

	va_list ap;
	va_start(ap, fmt);
	char *msg = lc_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!msg)
		return;

	if (!ctx->dedup)
		ctx->dedup = calloc(1, sizeof *ctx->dedup);
	char *dkey = ctx->dedup ? lc_strdup_printf("%s\x1f%s\x1f%s", rule, member, key ? key : msg) : NULL;
	lc_dedup_slot *slot = NULL;
	uint64_t h = 0;
	if (dkey) {
		h = fnv1a(dkey);
		slot = dedup_find(ctx->dedup, dkey, h);
	}
	if (slot && slot->key) {
		lc_finding *old = &f->findings[slot->index];
		old->count++;
		/* Keep the most severe judgement of the same fact. */
		if (sev > old->severity)
			old->severity = sev;
		free(msg);
		free(dkey);
		return;
	}
	if (f->nfindings >= lc_lim(ctx, LC_LIMIT_max_findings)) {
		free(msg);
		free(dkey);
		if (ctx->findings_capped)
			return;
		ctx->findings_capped = true;
		/* The cap must not hide severity: the file becomes incomplete. */
		lc_limit_hit(ctx, LC_LIMIT_max_findings, offset, "distinct findings");
		return;
	}
	lc_finding *x = push_finding(f);
	if (!x) {
		free(msg);
		free(dkey);
		return;
	}
	x->rule = rule;
	x->severity = sev;
	x->message = msg;
	x->evidence = evidence ? strdup(evidence) : NULL;
	x->member = member[0] ? strdup(member) : NULL;
	x->offset = offset == LC_NO_OFFSET ? 0 : offset;
	x->has_offset = offset != LC_NO_OFFSET;
	x->count = 1;
	if (slot) {
		slot->key = dkey;
		slot->hash = h;
		slot->index = f->nfindings - 1;
		ctx->dedup->used++;
	} else {
		free(dkey);
	}
}

lc_err lc_fail(lc_ctx *ctx, lc_err err, uint64_t offset, const char *fmt, ...)
{
	lc_file_result *f = ctx->file;
	if (f->status == LC_STATUS_ERROR)
		return err; /* the first error explains the stop; later ones follow from it */
	char member[1024];
	lc_member_path(ctx, member, sizeof member);
	va_list ap;
	va_start(ap, fmt);
	char *msg = lc_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *full;
	if (member[0] && offset != LC_NO_OFFSET)
		full = lc_strdup_printf("%s (in %s at offset %llu)", msg ? msg : "?", member,
					(unsigned long long)offset);
	else if (member[0])
		full = lc_strdup_printf("%s (in %s)", msg ? msg : "?", member);
	else if (offset != LC_NO_OFFSET)
		full = lc_strdup_printf("%s (at offset %llu)", msg ? msg : "?", (unsigned long long)offset);
	else
		full = msg ? strdup(msg) : NULL;
	free(msg);
	free(f->error);
	f->error = full;
	f->status = LC_STATUS_ERROR;
	f->error_code = err;
	return err;
}

lc_err lc_limit_hit(lc_ctx *ctx, lc_limit_id id, uint64_t offset, const char *what)
{
	size_t n;
	const lc_limit_info *t = lc_limit_table(&n);
	if ((size_t)id >= n)
		return lc_fail(ctx, LC_E_INTERNAL, offset, "unknown limit %d", (int)id);
	if (ctx->file->status != LC_STATUS_ERROR)
		ctx->file->limit = t[id].name;
	return lc_fail(ctx, LC_E_LIMIT, offset, "limit %s=%llu %s reached: %s", t[id].name,
		       (unsigned long long)lc_limit_get(ctx->lim, id), t[id].unit, what);
}

/* ---- results ------------------------------------------------------------ */

void lc_file_result_clear(lc_file_result *f)
{
	for (size_t i = 0; i < f->nfindings; i++) {
		free(f->findings[i].message);
		free(f->findings[i].evidence);
		free(f->findings[i].member);
	}
	free(f->findings);
	for (size_t i = 0; i < f->nmembers; i++)
		free(f->members[i].name);
	free(f->members);
	free(f->path);
	free(f->error);
	lc_graph_free(f->graph);
	if (f->map)
		munmap(f->map, f->map_len);
	memset(f, 0, sizeof *f);
}

void lc_result_free(lc_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->nfiles; i++)
		lc_file_result_clear(&res->files[i]);
	free(res->files);
	memset(res, 0, sizeof *res);
}

int lc_result_max_severity(const lc_result *res)
{
	int max = -1;
	for (size_t i = 0; i < res->nfiles; i++)
		for (size_t j = 0; j < res->files[i].nfindings; j++)
			if ((int)res->files[i].findings[j].severity > max)
				max = (int)res->files[i].findings[j].severity;
	return max;
}

size_t lc_result_incomplete(const lc_result *res)
{
	size_t n = 0;
	for (size_t i = 0; i < res->nfiles; i++) {
		const lc_file_result *f = &res->files[i];
		if (f->status == LC_STATUS_ERROR ||
		    (f->status == LC_STATUS_SKIPPED && f->unrecognised_binary))
			n++;
	}
	return n;
}

int lc_result_exit_code(const lc_result *res, lc_severity fail_on)
{
	if (lc_result_max_severity(res) >= (int)fail_on)
		return 1;
	if (lc_result_incomplete(res) > 0)
		return 2;
	return 0;
}
