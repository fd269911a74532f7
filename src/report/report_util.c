/* Helpers shared by the reporters: UTF-8 repair, summary counters, verdict. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/report_util.h"

size_t lc_rep_utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* Lead bytes C0, C1 only start overlong encodings and F5..FF code
	 * points above U+10FFFF: never valid (RFC 3629). */
	size_t n;
	uint32_t v, min;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		/* A NUL (end of string) is not a continuation byte, so a
		 * truncated sequence stops here without reading past the end. */
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

char *lc_rep_utf8(const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t len = strlen((const char *)s);
	/* Worst case: every byte becomes \xNN. */
	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	char *out = malloc(len * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	while (*s) {
		uint32_t cp;
		size_t n = lc_rep_utf8_seq(s, &cp);
		if (n) {
			memcpy(out + o, s, n);
			o += n;
			s += n;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*s >> 4];
			out[o++] = hex[*s & 15];
			s++;
		}
	}
	out[o] = '\0';
	return out;
}

int lc_rep_file_max_severity(const lc_file_result *f)
{
	int max = -1;
	for (size_t j = 0; j < f->nfindings; j++)
		if ((int)f->findings[j].severity > max)
			max = (int)f->findings[j].severity;
	return max;
}

int lc_rep_file_incomplete(const lc_file_result *f)
{
	return f->status == LC_STATUS_ERROR || (f->status == LC_STATUS_SKIPPED && f->unrecognised_binary);
}

const char *lc_rep_verdict(int exit_code, int max_severity)
{
	if (exit_code == 1)
		return "malicious";
	if (exit_code == 2)
		return "incomplete";
	return max_severity >= (int)LC_SEV_LOW ? "suspicious" : "clean";
}

void lc_rep_summarize(const lc_result *res, lc_severity fail_on, lc_rep_summary *s)
{
	memset(s, 0, sizeof *s);
	s->max_severity = -1;
	s->files = res->nfiles;
	for (size_t i = 0; i < res->nfiles; i++) {
		const lc_file_result *f = &res->files[i];
		switch (f->status) {
		case LC_STATUS_SCANNED:
			s->scanned++;
			break;
		case LC_STATUS_ERROR:
			s->errors++;
			break;
		case LC_STATUS_SKIPPED:
			s->skipped++;
			break;
		}
		for (size_t j = 0; j < f->nfindings; j++) {
			unsigned sev = (unsigned)f->findings[j].severity;
			if (sev < LC_SEV_COUNT)
				s->sev[sev]++;
			s->occurrences += f->findings[j].count;
		}
	}
	/* The library's own functions decide; the counters above only
	 * describe.  Keeps every reporter's verdict equal to the exit status. */
	s->incomplete = lc_result_incomplete(res);
	s->max_severity = lc_result_max_severity(res);
	s->exit_code = lc_result_exit_code(res, fail_on);
	s->verdict = lc_rep_verdict(s->exit_code, s->max_severity);
}

void lc_jset(lc_jb *b, json_t *obj, const char *key, json_t *val)
{
	/* json_object_set_new() releases val even when it fails. */
	if (!obj) {
		json_decref(val);
		b->oom = 1;
	} else if (!val || json_object_set_new(obj, key, val) != 0) {
		b->oom = 1;
	}
}

void lc_jappend(lc_jb *b, json_t *arr, json_t *val)
{
	if (!arr) {
		json_decref(val);
		b->oom = 1;
	} else if (!val || json_array_append_new(arr, val) != 0) {
		b->oom = 1;
	}
}

json_t *lc_jstr(lc_jb *b, const char *s)
{
	char *u = lc_rep_utf8(s);
	if (!u) {
		b->oom = 1;
		return NULL;
	}
	json_t *v = json_string(u);
	free(u);
	if (!v)
		b->oom = 1;
	return v;
}

json_t *lc_juint(uint64_t v)
{
	/* Sizes and offsets of real files never exceed INT64_MAX; clamp rather
	 * than wrap to a negative number if one ever does. */
	return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}
