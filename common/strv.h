/* String vectors: malloc'd arrays of malloc'd strings, always ended by a
 * NULL item, grown one item at a time. A NULL vector is an empty one. */
#ifndef EGS_STRV_H
#define EGS_STRV_H

#include <stddef.h>

/* Appends a copy of the len bytes at s to *v. n is the item count, kept
 * up to date, or NULL to count the items first. Returns 0, or -1 (ENOMEM)
 * with *v and *n unchanged. */
int strv_pushn(char ***v, size_t *n, const char *s, size_t len);
/* strv_pushn of the C string s. */
int strv_push(char ***v, size_t *n, const char *s);
/* strv_pushn unless *v already holds an equal string (a set). */
int strv_pushn_unique(char ***v, size_t *n, const char *s, size_t len);
/* 1 when v holds s, else 0. */
int strv_has(char *const *v, const char *s);
size_t strv_len(char *const *v);
/* Frees every item and v itself. NULL is fine. */
void strv_free(char **v);

#endif
