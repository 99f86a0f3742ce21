/* cloud-init's JSON schema validator: the keywords of JSON Schema draft 4
 * as python3-jsonschema 4.10 implements them, with cloud-init 22.4.2's
 * extensions (bytes count as strings, the "deprecated" keyword, anyOf/oneOf
 * that pass deprecations of the matching branch through). Problems come
 * out sorted by path like cloud-init's, with jsonschema's messages. */
#ifndef EGS_SCHEMA_H
#define EGS_SCHEMA_H

#include <stddef.h>

#include "yaml.h"

struct schema;

struct schema_problem {
	char *path;    /* dotted: "write_files.0.permissions"; "" at the top */
	char *message; /* "420 is not of type 'string'" / "DEPRECATED: ..." */
	int line;      /* 1-based line of the offending key or item (0: unknown) */
};

struct schema_result {
	struct schema_problem *errors;
	size_t nerrors;
	struct schema_problem *deprecations;
	size_t ndeprecations;
};

/* Inflates and parses the embedded cloud-init schema (common/embedded.h).
 * Returns NULL with a message on stderr on failure. */
struct schema *schema_load_embedded(void);
/* Uses an already parsed schema document (taken over: freed by
 * schema_free). */
struct schema *schema_from_doc(struct ydoc *doc);
void schema_free(struct schema *s);

/* Validates config against the schema. Returns 0 (the result says whether
 * there were problems) or -1 on ENOMEM. */
int schema_validate(struct schema *s, const struct ynode *config, struct schema_result *out);
void schema_result_free(struct schema_result *r);

/* The first keyword in the schema that this validator neither implements
 * nor knowingly ignores (as jsonschema's Draft 4 does), or NULL. where (if
 * not NULL) receives the JSON pointer of the schema object using it; the
 * strings live as long as s. Also reports patterns it cannot translate. */
const char *schema_unknown_keyword(struct schema *s, const char **where);

#endif
