/* Python `re` patterns (the subset JSON schemas use) run as POSIX EREs,
 * with re.search() semantics: unanchored, '.' does not match a newline,
 * '$' also matches before a final newline. */
#ifndef EGS_PYREGEX_H
#define EGS_PYREGEX_H

#include <regex.h>
#include <stddef.h>

struct pyregex {
	regex_t re;
	int compiled;
};

/* Translates pattern into a malloc'd POSIX ERE. Supported: literals,
 * . ^ $ * + ? {m,n} | ( ) (?: ) [classes], the escapes \d \D \w \W \s \S
 * and escaped punctuation. Returns NULL with *why set for anything else
 * (lookarounds, backreferences, lazy quantifiers, ...), or on ENOMEM. */
char *pyregex_to_ere(const char *pattern, const char **why);
/* Compiles pattern. Returns 0, or -1 with *why set. */
int pyregex_compile(struct pyregex *r, const char *pattern, const char **why);
/* 1 if re.search(pattern, s) would match (s is NUL-terminated). */
int pyregex_search(const struct pyregex *r, const char *s);
void pyregex_free(struct pyregex *r);

#endif
