#include "strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sb_reserve(struct strbuf *sb, size_t extra)
{
	if (extra > (size_t)-1 / 2 - sb->len) {
		errno = ENOMEM;
		return -1;
	}
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(sb->data, cap);
	if (!p)
		return -1;
	sb->data = p;
	sb->cap = cap;
	sb->data[sb->len] = '\0'; /* keep the NUL promise on a fresh buffer */
	return 0;
}

int sb_append(struct strbuf *sb, const void *data, size_t len)
{
	if (sb_reserve(sb, len) < 0)
		return -1;
	if (len)
		memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
	return 0;
}

int sb_puts(struct strbuf *sb, const char *s)
{
	return sb_append(sb, s, strlen(s));
}

int sb_putc(struct strbuf *sb, char c)
{
	return sb_append(sb, &c, 1);
}

int sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || sb_reserve(sb, (size_t)n) < 0)
		return -1;
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sb_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->data ? sb->data : "";
}

char *sb_detach(struct strbuf *sb)
{
	char *p = sb->data ? sb->data : strdup("");
	sb->data = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

void sb_truncate(struct strbuf *sb, size_t len)
{
	if (len < sb->len) {
		sb->len = len;
		sb->data[len] = '\0';
	}
}

void sb_free(struct strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}
