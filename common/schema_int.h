/* Internals shared by common/schema*.c (not for other users). */
#ifndef EGS_SCHEMA_INT_H
#define EGS_SCHEMA_INT_H

#include <stddef.h>

#include "pyregex.h"
#include "yaml.h"

struct regex_entry {
	const struct ynode *pattern; /* the schema string node */
	struct pyregex re;
	int bad;
};

struct schema {
	struct ydoc *doc;
	struct regex_entry *regexes;
	size_t nregexes, capregexes;
	char where[512];
};

/* NULL-terminated keyword lists: validated, and deliberately ignored
 * (annotations and keywords jsonschema's Draft 4 has no validator for). */
extern const char *const schema_implemented_keywords[];
extern const char *const schema_ignored_keywords[];

/* 1 if s is a URI by RFC 3986's "URI" rule (schema_uri.c). */
int schema_uri_valid(const char *s);

#endif
