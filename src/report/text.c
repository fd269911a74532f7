/*
 * Text report, for people at a terminal.
 *
 * Everything that comes from a scanned file (paths, member names, messages
 * that quote file content, evidence, error text) is printed through
 * put_esc(): a model file must not be able to send escape sequences to the
 * terminal of the person who scans it, nor hide text with bidi controls.
 */
#include <string.h>

#include "report/report_util.h"

#define C_RESET "\033[0m"

typedef struct tw {
	FILE *out;
	int color;
} tw;

static const char *sev_color(int sev)
{
	switch (sev) {
	case LC_SEV_CRITICAL:
		return "\033[1;31m"; /* bold red */
	case LC_SEV_HIGH:
		return "\033[31m";
	case LC_SEV_MEDIUM:
		return "\033[33m";
	case LC_SEV_LOW:
		return "\033[36m";
	default:
		return "\033[2m"; /* INFO: dim */
	}
}

/* Code points a terminal acts on or that change how neighbouring text is
 * displayed: C0/C1 controls, DEL, zero-width and bidi formatting characters
 * ("Trojan Source"), line/paragraph separators and the BOM. */
static int unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

static void put_esc(tw *w, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	while (*s) {
		uint32_t cp;
		size_t n = lc_rep_utf8_seq(s, &cp);
		if (n == 0) {
			fprintf(w->out, "\\x%02x", *s); /* not UTF-8: show the byte */
			s++;
			continue;
		}
		if (!unsafe_cp(cp)) {
			fwrite(s, 1, n, w->out);
		} else if (cp == '\n') {
			fputs("\\n", w->out);
		} else if (cp == '\t') {
			fputs("\\t", w->out);
		} else if (cp == '\r') {
			fputs("\\r", w->out);
		} else if (cp < 0x80) {
			fprintf(w->out, "\\x%02x", (unsigned)cp);
		} else {
			fprintf(w->out, "\\u%04x", (unsigned)cp);
		}
		s += n;
	}
}

/* A fixed-width label ("CRITICAL", "clean" ...), coloured when enabled.  The
 * padding stays outside the colour so columns line up either way. */
static void put_label(tw *w, const char *color, const char *label, int width)
{
	if (w->color)
		fprintf(w->out, "%s%s%s", color, label, C_RESET);
	else
		fputs(label, w->out);
	for (int n = (int)strlen(label); n < width; n++)
		fputc(' ', w->out);
}

static void put_finding(tw *w, const lc_finding *x)
{
	fputs("  ", w->out);
	put_label(w, sev_color((int)x->severity), lc_severity_name(x->severity), 10);
	put_esc(w, x->rule ? x->rule : "unknown");
	fputs("  ", w->out);
	put_esc(w, x->message);
	fputc('\n', w->out);
	const char *indent = "            ";
	if (x->member && x->has_offset) {
		fprintf(w->out, "%sat ", indent);
		put_esc(w, x->member);
		fprintf(w->out, "+0x%llx\n", (unsigned long long)x->offset);
	} else if (x->member) {
		fprintf(w->out, "%sin ", indent);
		put_esc(w, x->member);
		fputc('\n', w->out);
	} else if (x->has_offset) {
		fprintf(w->out, "%sat offset %llu (0x%llx)\n", indent, (unsigned long long)x->offset,
		        (unsigned long long)x->offset);
	}
	if (x->evidence) {
		fprintf(w->out, "%sevidence: ", indent);
		put_esc(w, x->evidence);
		fputc('\n', w->out);
	}
	if (x->count > 1)
		fprintf(w->out, "%scount: %llu\n", indent, (unsigned long long)x->count);
}

static void put_file(tw *w, const lc_file_result *f)
{
	int max = lc_rep_file_max_severity(f);
	if (f->status == LC_STATUS_ERROR)
		put_label(w, "\033[1;35m", "ERROR", 10);
	else if (f->status == LC_STATUS_SKIPPED)
		put_label(w, "\033[2m", "skipped", 10);
	else if (max >= 0)
		put_label(w, sev_color(max), lc_severity_name((lc_severity)max), 10);
	else
		put_label(w, "\033[32m", "clean", 10);
	put_esc(w, f->path);
	if (f->format && f->status != LC_STATUS_SKIPPED) {
		fputs("  [", w->out);
		put_esc(w, f->format);
		fputc(']', w->out);
	}
	if (f->status != LC_STATUS_SCANNED) {
		fputs(": ", w->out);
		put_esc(w, f->error ? f->error : lc_status_name(f->status));
	}
	fputc('\n', w->out);
	/* An incomplete file's findings are still facts: print them too. */
	for (size_t i = 0; i < f->nfindings; i++)
		put_finding(w, &f->findings[i]);
}

static const char *verdict_color(const char *verdict)
{
	if (strcmp(verdict, "malicious") == 0)
		return "\033[1;31m";
	if (strcmp(verdict, "suspicious") == 0)
		return "\033[33m";
	if (strcmp(verdict, "incomplete") == 0)
		return "\033[1;35m";
	return "\033[32m";
}

int lc_report_text(FILE *out, const lc_result *res, lc_severity fail_on, int color)
{
	tw w = {out, color != 0};
	for (size_t i = 0; i < res->nfiles; i++)
		put_file(&w, &res->files[i]);

	lc_rep_summary s;
	lc_rep_summarize(res, fail_on, &s);
	if (res->nfiles)
		fputc('\n', out);
	fprintf(out, "%zu file%s (scanned %zu, errors %zu, skipped %zu); findings:", s.files,
	        s.files == 1 ? "" : "s", s.scanned, s.errors, s.skipped);
	for (int sev = LC_SEV_CRITICAL; sev >= LC_SEV_INFO; sev--)
		fprintf(out, " %zu %s%s", s.sev[sev], lc_severity_name((lc_severity)sev), sev ? "," : ";");
	fputs(" verdict: ", out);
	put_label(&w, verdict_color(s.verdict), s.verdict, 0);
	fprintf(out, " (fail-on %s, exit %d)\n", lc_severity_name(fail_on), s.exit_code);
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
