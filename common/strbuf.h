/* A growable byte buffer, always NUL-terminated after len bytes. */
#ifndef EGS_STRBUF_H
#define EGS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *data; /* NULL until the first append; then len bytes + NUL */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT {NULL, 0, 0}

/* Each returns 0, or -1 with errno ENOMEM (the buffer is left unchanged). */
int sb_append(struct strbuf *sb, const void *data, size_t len);
int sb_puts(struct strbuf *sb, const char *s);
int sb_putc(struct strbuf *sb, char c);
int sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Makes room for at least extra more bytes. */
int sb_reserve(struct strbuf *sb, size_t extra);
/* The contents as a C string ("" when empty; never NULL). */
const char *sb_str(const struct strbuf *sb);
/* Hands the malloc'd data to the caller (never NULL: "" when empty, NULL
 * only on ENOMEM) and resets the buffer. */
char *sb_detach(struct strbuf *sb);
void sb_reset(struct strbuf *sb); /* len = 0, keeps memory */
/* Shortens the contents to len bytes (no-op when already shorter). */
void sb_truncate(struct strbuf *sb, size_t len);
void sb_free(struct strbuf *sb);

#endif
