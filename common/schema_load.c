/* Loading the embedded schema, and the build-time keyword self-check. */
#include "schema.h"
#include "schema_int.h"

#include "embedded.h"
#include "json.h"
#include "pyregex.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Keywords with no validator in jsonschema's Draft 4 (annotations, and
 * later-draft keywords Draft 4 ignores). */
const char *const schema_ignored_keywords[] = {
	"description", "default", "label", "hidden", "$schema", "$defs", "definitions",
	"title", "examples", "prefixItems", "id", "$id", "$comment",
	"deprecated_version", "deprecated_description", "changed", "changed_version",
	"changed_description", "new", "new_version", "new_description",
	"exclusiveMinimum", "exclusiveMaximum", /* read by minimum/maximum */
	NULL,
};

const char *const schema_implemented_keywords[] = {
	"$ref", "type", "properties", "patternProperties", "additionalProperties",
	"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "enum",
	"pattern", "format", "minimum", "maximum", "required", "minProperties",
	"maxProperties", "minLength", "maxLength", "multipleOf", "allOf", "anyOf",
	"oneOf", "not", "dependencies", "deprecated", NULL,
};

/* ---- loading and the keyword self-check -------------------------------- */

struct schema *schema_from_doc(struct ydoc *doc)
{
	struct schema *s = calloc(1, sizeof(*s));
	if (!s) {
		ydoc_free(doc);
		return NULL;
	}
	s->doc = doc;
	return s;
}

struct schema *schema_load_embedded(void)
{
	unsigned char *raw = malloc(egs_schema_blob_raw_len + 1);
	if (!raw) {
		fputs("schema: out of memory\n", stderr);
		return NULL;
	}
	uLongf rawlen = egs_schema_blob_raw_len;
	if (uncompress(raw, &rawlen, egs_schema_blob, egs_schema_blob_len) != Z_OK ||
	    rawlen != egs_schema_blob_raw_len) {
		fputs("schema: the embedded schema does not inflate\n", stderr);
		free(raw);
		return NULL;
	}
	struct yaml_error err;
	struct ydoc *doc = json_parse((const char *)raw, rawlen, &err);
	free(raw);
	if (!doc) {
		fprintf(stderr, "schema: embedded schema: %s\n", err.message ? err.message : "?");
		yaml_error_free(&err);
		return NULL;
	}
	return schema_from_doc(doc);
}

void schema_free(struct schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nregexes; i++)
		pyregex_free(&s->regexes[i].re);
	free(s->regexes);
	ydoc_free(s->doc);
	free(s);
}

static int in_list(const char *const *list, const char *k)
{
	for (; *list; list++)
		if (!strcmp(*list, k))
			return 1;
	return 0;
}

/* Walks schema objects only (not enum/default data). Returns the first
 * problem or NULL; ptr holds the JSON pointer so far. */
static const char *check_schema(struct schema *s, const struct ynode *n, struct strbuf *ptr)
{
	if (n->kind == Y_SEQ) {
		for (size_t i = 0; i < n->n; i++) {
			size_t mark = ptr->len;
			sb_printf(ptr, "/%zu", i);
			const char *bad = check_schema(s, n->items[i], ptr);
			if (bad)
				return bad;
			ptr->len = mark;
			ptr->data[mark] = 0;
		}
		return NULL;
	}
	if (n->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
		if (k->kind != Y_STR)
			return "(non-string keyword)";
		if (!in_list(schema_implemented_keywords, k->str) && !in_list(schema_ignored_keywords, k->str))
			return k->str;
		size_t mark = ptr->len;
		sb_printf(ptr, "/%s", k->str);
		const char *bad = NULL;
		if (!strcmp(k->str, "properties") || !strcmp(k->str, "patternProperties") ||
		    !strcmp(k->str, "$defs") || !strcmp(k->str, "definitions") ||
		    !strcmp(k->str, "dependencies")) {
			for (size_t j = 0; !bad && j < ynode_count(v); j++) {
				const struct ynode *name = v->items[2 * j];
				if (!strcmp(k->str, "patternProperties") && name->kind == Y_STR) {
					struct pyregex re;
					const char *why;
					if (pyregex_compile(&re, name->str, &why) < 0)
						return name->str;
					pyregex_free(&re);
				}
				size_t m2 = ptr->len;
				sb_printf(ptr, "/%s", name->kind == Y_STR ? name->str : "?");
				bad = check_schema(s, v->items[2 * j + 1], ptr);
				if (!bad) {
					ptr->len = m2;
					ptr->data[m2] = 0;
				}
			}
		} else if (!strcmp(k->str, "pattern") && v->kind == Y_STR) {
			struct pyregex re;
			const char *why;
			if (pyregex_compile(&re, v->str, &why) < 0)
				return v->str;
			pyregex_free(&re);
		} else if (!strcmp(k->str, "items") || !strcmp(k->str, "additionalItems") ||
		           !strcmp(k->str, "additionalProperties") || !strcmp(k->str, "not") ||
		           !strcmp(k->str, "allOf") || !strcmp(k->str, "anyOf") ||
		           !strcmp(k->str, "oneOf")) {
			bad = check_schema(s, v, ptr);
		} else if (!strcmp(k->str, "format") && v->kind == Y_STR &&
		           strcmp(v->str, "uri") && strcmp(v->str, "date") &&
		           strcmp(v->str, "hostname")) {
			return v->str; /* a format we do not know how jsonschema treats */
		}
		if (bad)
			return bad;
		ptr->len = mark;
		ptr->data[mark] = 0;
	}
	return NULL;
}

const char *schema_unknown_keyword(struct schema *s, const char **where)
{
	struct strbuf ptr = STRBUF_INIT;
	sb_puts(&ptr, "#");
	const char *bad = check_schema(s, ydoc_root(s->doc), &ptr);
	snprintf(s->where, sizeof(s->where), "%s", sb_str(&ptr));
	sb_free(&ptr);
	if (where)
		*where = bad ? s->where : NULL;
	return bad;
}
