/* Small string and buffer helpers shared by every module. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lc.h"

char *lc_strdup_vprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *lc_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = lc_strdup_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *lc_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

const char *lc_escape(const uint8_t *s, size_t n, size_t max, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	if (buflen < 8) {
		if (buflen)
			buf[0] = '\0';
		return buf;
	}
	/* Reserve room for the closing quote, "..." and the NUL. */
	size_t room = buflen - 6;
	buf[o++] = '"';
	size_t i;
	for (i = 0; i < n && i < max; i++) {
		uint8_t ch = s[i];
		char tmp[4];
		size_t k = 0;
		if (ch == '"' || ch == '\\') {
			tmp[k++] = '\\';
			tmp[k++] = (char)ch;
		} else if (ch == '\n') {
			tmp[k++] = '\\';
			tmp[k++] = 'n';
		} else if (ch >= 0x20 && ch < 0x7f) {
			tmp[k++] = (char)ch;
		} else {
			tmp[k++] = '\\';
			tmp[k++] = 'x';
			tmp[k++] = hex[ch >> 4];
			tmp[k++] = hex[ch & 15];
		}
		if (o + k > room)
			break;
		memcpy(buf + o, tmp, k);
		o += k;
	}
	buf[o++] = '"';
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static void buf_reserve(lc_buf *b, size_t extra)
{
	if (b->oom)
		return;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = 1;
		return;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void lc_buf_put(lc_buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void lc_buf_puts(lc_buf *b, const char *s) { lc_buf_put(b, s, strlen(s)); }

void lc_buf_printf(lc_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = lc_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!s) {
		b->oom = 1;
		return;
	}
	lc_buf_puts(b, s);
	free(s);
}

void lc_buf_free(lc_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

size_t lc_utf8_encode(uint32_t cp, uint8_t out[4])
{
	if (cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xC0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xE0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (uint8_t)(0xF0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}
