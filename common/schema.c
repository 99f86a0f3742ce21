/* JSON Schema (draft 4, jsonschema 4.10 flavour, cloud-init extensions)
 * over ynode trees. The walk mirrors jsonschema's iter_errors: keywords in
 * the schema object's order, errors carrying the instance path, then a
 * stable sort by path as cloud-init's validate_cloudconfig_schema does. */
#include "schema.h"
#include "schema_int.h"

#include "json.h"
#include "pyregex.h"
#include "pyrepr.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 4000
#define REPR_MAX 0 /* jsonschema does not shorten reprs */

struct path_el {
	const struct ynode *key; /* map key (NULL for a sequence index) */
	size_t index;
	int line;
};

struct perr {
	struct path_el *path;
	size_t depth;
	char *msg;
	int deprecated;
	size_t seq;
};

struct errlist {
	struct perr *v;
	size_t n, cap;
};

struct ctx {
	struct schema *s;
	struct path_el *stack;
	size_t depth, cap;
	size_t seq;
	size_t ref_depth;
	int oom;
};

/* ---- small helpers ---------------------------------------------------- */

static void errlist_free(struct errlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].msg);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Moves every error of src to the end of dst (src becomes empty). */
static void errlist_move(struct ctx *c, struct errlist *dst, struct errlist *src, int only_deprecated)
{
	for (size_t i = 0; i < src->n; i++) {
		struct perr *e = &src->v[i];
		if (only_deprecated && !e->deprecated) {
			free(e->path);
			free(e->msg);
			continue;
		}
		if (dst->n == dst->cap) {
			size_t cap = dst->cap ? dst->cap * 2 : 8;
			struct perr *v = realloc(dst->v, cap * sizeof(*v));
			if (!v) {
				c->oom = 1;
				free(e->path);
				free(e->msg);
				continue;
			}
			dst->v = v;
			dst->cap = cap;
		}
		dst->v[dst->n++] = *e;
	}
	free(src->v);
	src->v = NULL;
	src->n = src->cap = 0;
}

static size_t count_real(const struct errlist *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += !l->v[i].deprecated;
	return n;
}

/* Adds an error at the current path; msg is taken over (NULL: ENOMEM). */
static void add_error(struct ctx *c, struct errlist *out, char *msg, int deprecated)
{
	if (!msg) {
		c->oom = 1;
		return;
	}
	struct errlist one = {0};
	one.v = malloc(sizeof(*one.v));
	struct path_el *path = malloc((c->depth ? c->depth : 1) * sizeof(*path));
	if (!one.v || !path) {
		free(one.v);
		free(path);
		free(msg);
		c->oom = 1;
		return;
	}
	if (c->depth)
		memcpy(path, c->stack, c->depth * sizeof(*path));
	one.v[0] = (struct perr){path, c->depth, msg, deprecated, c->seq++};
	one.n = one.cap = 1;
	errlist_move(c, out, &one, 0);
}

static int push(struct ctx *c, const struct ynode *key, size_t index, int line)
{
	if (c->depth == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		if (cap > MAX_DEPTH)
			return -1;
		struct path_el *st = realloc(c->stack, cap * sizeof(*st));
		if (!st) {
			c->oom = 1;
			return -1;
		}
		c->stack = st;
		c->cap = cap;
	}
	c->stack[c->depth++] = (struct path_el){key, index, line};
	return 0;
}

static int is_type(const struct ynode *n, const char *type)
{
	switch (n->kind) {
	case Y_STR: case Y_BYTES: return !strcmp(type, "string");
	case Y_INT: return !strcmp(type, "integer") || !strcmp(type, "number");
	case Y_FLOAT: return !strcmp(type, "number");
	case Y_BOOL: return !strcmp(type, "boolean");
	case Y_NULL: return !strcmp(type, "null");
	case Y_SEQ: return !strcmp(type, "array");
	case Y_MAP: return !strcmp(type, "object");
	case Y_TIME: return 0; /* a Python datetime is none of the JSON types */
	}
	return 0;
}

/* JSON-Schema equality: like Python == but booleans are not numbers. */
static int json_equal(const struct ynode *a, const struct ynode *b)
{
	if ((a->kind == Y_BOOL) != (b->kind == Y_BOOL))
		return 0;
	if (a->kind == Y_SEQ && b->kind == Y_SEQ) {
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (!json_equal(a->items[i], b->items[i]))
				return 0;
		return 1;
	}
	return ynode_equal(a, b);
}

static char *fmt_repr(const struct ynode *inst, const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	py_repr(&sb, inst, REPR_MAX);
	sb_puts(&sb, suffix);
	return sb_detach(&sb);
}

static struct pyregex *get_regex(struct ctx *c, const struct ynode *pattern)
{
	struct schema *s = c->s;
	for (size_t i = 0; i < s->nregexes; i++)
		if (s->regexes[i].pattern == pattern)
			return s->regexes[i].bad ? NULL : &s->regexes[i].re;
	if (s->nregexes == s->capregexes) {
		size_t cap = s->capregexes ? s->capregexes * 2 : 16;
		struct regex_entry *r = realloc(s->regexes, cap * sizeof(*r));
		if (!r) {
			c->oom = 1;
			return NULL;
		}
		s->regexes = r;
		s->capregexes = cap;
	}
	struct regex_entry *e = &s->regexes[s->nregexes++];
	const char *why;
	e->pattern = pattern;
	e->bad = pyregex_compile(&e->re, pattern->str, &why) < 0;
	return e->bad ? NULL : &e->re;
}

static int regex_search(struct ctx *c, const struct ynode *pattern, const char *s)
{
	struct pyregex *re = get_regex(c, pattern);
	return re ? pyregex_search(re, s) : 0;
}

/* Resolves "#/a/b" (JSON pointer, ~0 ~1 escapes) from the schema root. */
static const struct ynode *resolve_ref(struct ctx *c, const char *ref)
{
	const struct ynode *n = ydoc_root(c->s->doc);
	if (ref[0] != '#')
		return NULL;
	const char *p = ref + 1;
	while (*p == '/') {
		p++;
		size_t len = strcspn(p, "/");
		char part[256];
		size_t o = 0;
		for (size_t i = 0; i < len && o + 1 < sizeof(part); i++) {
			if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
				part[o++] = p[i + 1] == '0' ? '~' : '/';
				i++;
			} else {
				part[o++] = p[i];
			}
		}
		part[o] = 0;
		if (n->kind == Y_MAP) {
			n = ymap_get(n, part);
		} else if (n->kind == Y_SEQ) {
			n = yseq_at(n, strtoul(part, NULL, 10));
		} else {
			return NULL;
		}
		if (!n)
			return NULL;
		p += len;
	}
	return n;
}

/* ---- the walk --------------------------------------------------------- */

static void validate(struct ctx *c, const struct ynode *inst, const struct ynode *schema,
                     struct errlist *out);

/* Validates a child instance (map value or list item) under schema. */
static void descend(struct ctx *c, const struct ynode *inst, const struct ynode *schema,
                    const struct ynode *key, size_t index, int line, struct errlist *out)
{
	if (push(c, key, index, line) < 0) {
		add_error(c, out, strdup("nesting too deep"), 0);
		return;
	}
	validate(c, inst, schema, out);
	c->depth--;
}

/* jsonschema's is_valid, ignoring deprecations. */
static int is_valid(struct ctx *c, const struct ynode *inst, const struct ynode *schema)
{
	struct errlist tmp = {0};
	validate(c, inst, schema, &tmp);
	size_t real = count_real(&tmp);
	errlist_free(&tmp);
	return real == 0;
}

static void kw_type(struct ctx *c, const struct ynode *inst, const struct ynode *types,
                    struct errlist *out)
{
	struct strbuf names = STRBUF_INIT;
	if (types->kind == Y_STR) {
		if (is_type(inst, types->str))
			return;
		py_repr_str(&names, types->str, types->len);
	} else if (types->kind == Y_SEQ) {
		for (size_t i = 0; i < types->n; i++) {
			const struct ynode *t = types->items[i];
			if (t->kind == Y_STR && is_type(inst, t->str)) {
				sb_free(&names);
				return;
			}
			if (i)
				sb_puts(&names, ", ");
			py_repr(&names, t, 0);
		}
	} else {
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	py_repr(&sb, inst, REPR_MAX);
	sb_printf(&sb, " is not of type %s", sb_str(&names));
	sb_free(&names);
	add_error(c, out, sb_detach(&sb), 0);
}

static void kw_properties(struct ctx *c, const struct ynode *inst, const struct ynode *props,
                          struct errlist *out)
{
	if (inst->kind != Y_MAP || props->kind != Y_MAP)
		return;
	for (size_t i = 0; i < props->n; i++) {
		const struct ynode *name = props->items[2 * i];
		for (size_t j = 0; j < inst->n; j++) {
			const struct ynode *k = inst->items[2 * j];
			if (k->kind == Y_STR && k->len == name->len && !memcmp(k->str, name->str, k->len)) {
				descend(c, inst->items[2 * j + 1], props->items[2 * i + 1], k, 0,
				        k->line, out);
				break;
			}
		}
	}
}

static void kw_pattern_properties(struct ctx *c, const struct ynode *inst,
                                  const struct ynode *pp, struct errlist *out)
{
	if (inst->kind != Y_MAP || pp->kind != Y_MAP)
		return;
	for (size_t i = 0; i < pp->n; i++)
		for (size_t j = 0; j < inst->n; j++) {
			const struct ynode *k = inst->items[2 * j];
			if (k->kind == Y_STR && regex_search(c, pp->items[2 * i], k->str))
				descend(c, inst->items[2 * j + 1], pp->items[2 * i + 1], k, 0,
				        k->line, out);
		}
}

/* 1 if key is neither in properties nor matched by a patternProperties key. */
static int is_additional(struct ctx *c, const struct ynode *schema, const struct ynode *key)
{
	const struct ynode *props = ymap_get(schema, "properties");
	for (size_t i = 0; i < ynode_count(props); i++)
		if (json_equal(props->items[2 * i], key))
			return 0;
	const struct ynode *pp = ymap_get(schema, "patternProperties");
	if (key->kind == Y_STR)
		for (size_t i = 0; i < ynode_count(pp); i++)
			if (regex_search(c, pp->items[2 * i], key->str))
				return 0;
	return 1;
}

static int cmp_str_nodes(const void *a, const void *b)
{
	const struct ynode *x = *(const struct ynode *const *)a, *y = *(const struct ynode *const *)b;
	if (x->kind == Y_STR && y->kind == Y_STR) {
		size_t n = x->len < y->len ? x->len : y->len;
		int r = memcmp(x->str, y->str, n);
		return r ? r : (x->len > y->len) - (x->len < y->len);
	}
	return (x->kind == Y_STR) - (y->kind == Y_STR);
}

static void kw_additional_properties(struct ctx *c, const struct ynode *inst,
                                     const struct ynode *ap, const struct ynode *schema,
                                     struct errlist *out)
{
	if (inst->kind != Y_MAP)
		return;
	const struct ynode **extras = malloc((inst->n + 1) * sizeof(*extras));
	if (!extras) {
		c->oom = 1;
		return;
	}
	size_t n = 0;
	for (size_t j = 0; j < inst->n; j++)
		if (is_additional(c, schema, inst->items[2 * j]))
			extras[n++] = inst->items[2 * j];
	if (ap->kind == Y_MAP) {
		for (size_t j = 0; j < inst->n; j++)
			for (size_t e = 0; e < n; e++)
				if (extras[e] == inst->items[2 * j])
					descend(c, inst->items[2 * j + 1], ap, extras[e], 0,
					        extras[e]->line, out);
	} else if (ap->kind == Y_BOOL && !ap->b && n) {
		struct strbuf sb = STRBUF_INIT;
		const struct ynode *pp = ymap_get(schema, "patternProperties");
		if (pp) {
			qsort(extras, n, sizeof(*extras), cmp_str_nodes);
			for (size_t e = 0; e < n; e++) {
				if (e)
					sb_puts(&sb, ", ");
				py_repr(&sb, extras[e], 0);
			}
			sb_printf(&sb, " %s not match any of the regexes: ", n == 1 ? "does" : "do");
			const struct ynode **pats = malloc((pp->n + 1) * sizeof(*pats));
			if (pats) {
				for (size_t i = 0; i < pp->n; i++)
					pats[i] = pp->items[2 * i];
				qsort(pats, pp->n, sizeof(*pats), cmp_str_nodes);
				for (size_t i = 0; i < pp->n; i++) {
					if (i)
						sb_puts(&sb, ", ");
					py_repr(&sb, pats[i], 0);
				}
				free(pats);
			}
		} else {
			sb_puts(&sb, "Additional properties are not allowed (");
			for (size_t e = 0; e < n; e++) {
				if (e)
					sb_puts(&sb, ", ");
				py_repr(&sb, extras[e], 0);
			}
			sb_printf(&sb, " %s unexpected)", n == 1 ? "was" : "were");
		}
		add_error(c, out, sb_detach(&sb), 0);
	}
	free(extras);
}

static void kw_items(struct ctx *c, const struct ynode *inst, const struct ynode *items,
                     struct errlist *out)
{
	if (inst->kind != Y_SEQ)
		return;
	if (items->kind == Y_MAP || items->kind == Y_BOOL) {
		for (size_t i = 0; i < inst->n; i++)
			descend(c, inst->items[i], items, NULL, i, inst->items[i]->line, out);
	} else if (items->kind == Y_SEQ) {
		for (size_t i = 0; i < inst->n && i < items->n; i++)
			descend(c, inst->items[i], items->items[i], NULL, i, inst->items[i]->line, out);
	}
}

static void kw_additional_items(struct ctx *c, const struct ynode *inst,
                                const struct ynode *ai, const struct ynode *schema,
                                struct errlist *out)
{
	const struct ynode *items = ymap_get(schema, "items");
	if (inst->kind != Y_SEQ || !items || items->kind == Y_MAP)
		return;
	size_t len_items = ynode_count(items);
	if (ai->kind == Y_MAP) {
		for (size_t i = len_items; i < inst->n; i++)
			descend(c, inst->items[i], ai, NULL, i, inst->items[i]->line, out);
	} else if (ai->kind == Y_BOOL && !ai->b && inst->n > len_items) {
		struct strbuf sb = STRBUF_INIT;
		sb_puts(&sb, "Additional items are not allowed (");
		for (size_t i = len_items; i < inst->n; i++) {
			if (i > len_items)
				sb_puts(&sb, ", ");
			py_repr(&sb, inst->items[i], 0);
		}
		sb_printf(&sb, " %s unexpected)", inst->n - len_items == 1 ? "was" : "were");
		add_error(c, out, sb_detach(&sb), 0);
	}
}

/* The length Python's len() gives: items, pairs or code points. */
static size_t py_len(const struct ynode *n)
{
	if (n->kind == Y_STR) {
		size_t cps = 0;
		for (size_t i = 0; i < n->len; i++)
			cps += ((unsigned char)n->str[i] & 0xC0) != 0x80;
		return cps;
	}
	if (n->kind == Y_BYTES)
		return n->len;
	return n->n;
}

static void kw_enum(struct ctx *c, const struct ynode *inst, const struct ynode *enums,
                    struct errlist *out)
{
	if (enums->kind == Y_SEQ) {
		for (size_t i = 0; i < enums->n; i++)
			if (json_equal(inst, enums->items[i]))
				return;
	} else if (enums->kind == Y_MAP) {
		/* Python's "x in dict" looks at the keys */
		for (size_t i = 0; i < enums->n; i++)
			if (json_equal(inst, enums->items[2 * i]))
				return;
	} else if (enums->kind == Y_STR) {
		/* "x in str": substring test */
		if (inst->kind == Y_STR && memmem(enums->str, enums->len, inst->str, inst->len))
			return;
	}
	struct strbuf sb = STRBUF_INIT;
	py_repr(&sb, inst, REPR_MAX);
	sb_puts(&sb, " is not one of ");
	py_repr(&sb, enums, 0);
	add_error(c, out, sb_detach(&sb), 0);
}

static int unique(const struct ynode *inst)
{
	for (size_t i = 0; i < inst->n; i++)
		for (size_t j = i + 1; j < inst->n; j++)
			if (json_equal(inst->items[i], inst->items[j]))
				return 0;
	return 1;
}

/* format, as jsonschema's FormatChecker with Debian 12's optional modules
 * (rfc3987 present, fqdn absent: "hostname" is not checked). */

static void kw_format(struct ctx *c, const struct ynode *inst, const struct ynode *fmt,
                      struct errlist *out)
{
	if (inst->kind != Y_STR || fmt->kind != Y_STR)
		return;
	int ok = 1;
	if (!strcmp(fmt->str, "uri")) {
		ok = strlen(inst->str) == inst->len && schema_uri_valid(inst->str);
	} else if (!strcmp(fmt->str, "date")) {
		/* datetime.date.fromisoformat: exactly YYYY-MM-DD, a real date */
		const char *s = inst->str;
		ok = inst->len == 10 && s[4] == '-' && s[7] == '-';
		for (int i = 0; ok && i < 10; i++)
			if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
				ok = 0;
		if (ok) {
			int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
			static const int md[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
			int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			ok = y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= md[m - 1] &&
			     !(m == 2 && d == 29 && !leap);
		}
	}
	if (!ok) {
		struct strbuf sb = STRBUF_INIT;
		py_repr(&sb, inst, REPR_MAX);
		sb_puts(&sb, " is not a ");
		py_repr(&sb, fmt, 0);
		add_error(c, out, sb_detach(&sb), 0);
	}
}

static void kw_minmax(struct ctx *c, const struct ynode *inst, const struct ynode *limit,
                      const struct ynode *schema, int is_min, struct errlist *out)
{
	if ((inst->kind != Y_INT && inst->kind != Y_FLOAT) ||
	    (limit->kind != Y_INT && limit->kind != Y_FLOAT))
		return;
	const struct ynode *excl = ymap_get(schema, is_min ? "exclusiveMinimum" : "exclusiveMaximum");
	int exclusive = excl && ynode_truthy(excl);
	double x = inst->f, l = limit->f;
	int failed;
	if (inst->kind == Y_INT && limit->kind == Y_INT && !inst->big && !limit->big)
		failed = is_min ? (exclusive ? inst->i <= limit->i : inst->i < limit->i)
		                : (exclusive ? inst->i >= limit->i : inst->i > limit->i);
	else
		failed = is_min ? (exclusive ? x <= l : x < l) : (exclusive ? x >= l : x > l);
	if (!failed)
		return;
	struct strbuf sb = STRBUF_INIT;
	py_repr(&sb, inst, REPR_MAX);
	sb_printf(&sb, " is %s %s the %s of ", is_min ? "less than" : "greater than",
	          exclusive ? "or equal to" : "", is_min ? "minimum" : "maximum");
	py_repr(&sb, limit, 0);
	/* "less than  the" -> "less than the" when not exclusive */
	char *msg = sb_detach(&sb);
	if (msg) {
		char *dbl = strstr(msg, "  ");
		if (dbl)
			memmove(dbl, dbl + 1, strlen(dbl));
	}
	add_error(c, out, msg, 0);
}

static void kw_any_one_of(struct ctx *c, const struct ynode *inst, const struct ynode *subs,
                          int one, struct errlist *out)
{
	if (subs->kind != Y_SEQ)
		return;
	struct errlist deps = {0};
	size_t first = subs->n;
	for (size_t i = 0; i < subs->n; i++) {
		struct errlist tmp = {0};
		validate(c, inst, subs->items[i], &tmp);
		if (count_real(&tmp) == 0) {
			errlist_move(c, &deps, &tmp, 1);
			first = i;
			break;
		}
		errlist_free(&tmp);
	}
	if (first == subs->n) {
		add_error(c, out, fmt_repr(inst, " is not valid under any of the given schemas"), 0);
		return;
	}
	if (one) {
		struct strbuf more = STRBUF_INIT;
		int n = 0;
		for (size_t i = first + 1; i < subs->n; i++) {
			if (is_valid(c, inst, subs->items[i])) {
				if (n++)
					sb_puts(&more, ", ");
				py_repr(&more, subs->items[i], 0);
			}
		}
		if (n) {
			struct strbuf sb = STRBUF_INIT;
			py_repr(&sb, inst, REPR_MAX);
			sb_printf(&sb, " is valid under each of %s, ", sb_str(&more));
			py_repr(&sb, subs->items[first], 0);
			add_error(c, out, sb_detach(&sb), 0);
			sb_free(&more);
			errlist_free(&deps);
			return;
		}
		sb_free(&more);
	}
	errlist_move(c, out, &deps, 0);
}

static void kw_dependencies(struct ctx *c, const struct ynode *inst, const struct ynode *deps,
                            struct errlist *out)
{
	if (inst->kind != Y_MAP || deps->kind != Y_MAP)
		return;
	for (size_t i = 0; i < deps->n; i++) {
		const struct ynode *prop = deps->items[2 * i], *dep = deps->items[2 * i + 1];
		if (!ymap_get(inst, prop->str))
			continue;
		if (dep->kind == Y_SEQ) {
			for (size_t j = 0; j < dep->n; j++) {
				if (dep->items[j]->kind == Y_STR && !ymap_get(inst, dep->items[j]->str)) {
					struct strbuf sb = STRBUF_INIT;
					py_repr(&sb, dep->items[j], 0);
					sb_puts(&sb, " is a dependency of ");
					py_repr(&sb, prop, 0);
					add_error(c, out, sb_detach(&sb), 0);
				}
			}
		} else {
			validate(c, inst, dep, out);
		}
	}
}

static void validate_kw(struct ctx *c, const struct ynode *inst, const char *k,
                        const struct ynode *v, const struct ynode *schema, struct errlist *out)
{
	if (!strcmp(k, "$ref")) {
		const struct ynode *target = v->kind == Y_STR ? resolve_ref(c, v->str) : NULL;
		if (!target) {
			add_error(c, out, fmt_repr(v, ": unresolvable $ref"), 0);
			return;
		}
		if (c->ref_depth >= MAX_DEPTH) { /* a $ref cycle */
			add_error(c, out, strdup("schema references nest too deep"), 0);
			return;
		}
		c->ref_depth++;
		validate(c, inst, target, out);
		c->ref_depth--;
	} else if (!strcmp(k, "type")) {
		kw_type(c, inst, v, out);
	} else if (!strcmp(k, "properties")) {
		kw_properties(c, inst, v, out);
	} else if (!strcmp(k, "patternProperties")) {
		kw_pattern_properties(c, inst, v, out);
	} else if (!strcmp(k, "additionalProperties")) {
		kw_additional_properties(c, inst, v, schema, out);
	} else if (!strcmp(k, "items")) {
		kw_items(c, inst, v, out);
	} else if (!strcmp(k, "additionalItems")) {
		kw_additional_items(c, inst, v, schema, out);
	} else if (!strcmp(k, "minItems") || !strcmp(k, "maxItems")) {
		if (inst->kind == Y_SEQ && v->kind == Y_INT) {
			int min = k[1] == 'i';
			if (min ? (long long)inst->n < v->i : (long long)inst->n > v->i)
				add_error(c, out, fmt_repr(inst, min ? " is too short" : " is too long"), 0);
		}
	} else if (!strcmp(k, "minLength") || !strcmp(k, "maxLength")) {
		if (inst->kind == Y_STR && v->kind == Y_INT) {
			int min = k[1] == 'i';
			long long len = (long long)py_len(inst);
			if (min ? len < v->i : len > v->i)
				add_error(c, out, fmt_repr(inst, min ? " is too short" : " is too long"), 0);
		}
	} else if (!strcmp(k, "minProperties") || !strcmp(k, "maxProperties")) {
		if (inst->kind == Y_MAP && v->kind == Y_INT) {
			int min = k[1] == 'i';
			if (min ? (long long)inst->n < v->i : (long long)inst->n > v->i)
				add_error(c, out, fmt_repr(inst, min ? " does not have enough properties"
				                                     : " has too many properties"), 0);
		}
	} else if (!strcmp(k, "uniqueItems")) {
		if (ynode_truthy(v) && inst->kind == Y_SEQ && !unique(inst))
			add_error(c, out, fmt_repr(inst, " has non-unique elements"), 0);
	} else if (!strcmp(k, "enum")) {
		kw_enum(c, inst, v, out);
	} else if (!strcmp(k, "pattern")) {
		if (inst->kind == Y_STR && v->kind == Y_STR && !regex_search(c, v, inst->str)) {
			struct strbuf sb = STRBUF_INIT;
			py_repr(&sb, inst, REPR_MAX);
			sb_puts(&sb, " does not match ");
			py_repr(&sb, v, 0);
			add_error(c, out, sb_detach(&sb), 0);
		}
	} else if (!strcmp(k, "format")) {
		kw_format(c, inst, v, out);
	} else if (!strcmp(k, "minimum") || !strcmp(k, "maximum")) {
		kw_minmax(c, inst, v, schema, k[1] == 'i', out);
	} else if (!strcmp(k, "multipleOf")) {
		if ((inst->kind == Y_INT || inst->kind == Y_FLOAT) && (v->kind == Y_INT || v->kind == Y_FLOAT)) {
			double q = inst->f / v->f;
			/* q is integral (no libm: the unit tests link without it) */
			if (!(q > -9e18 && q < 9e18) || q != (double)(long long)q) {
				struct strbuf sb = STRBUF_INIT;
				py_repr(&sb, inst, REPR_MAX);
				sb_puts(&sb, " is not a multiple of ");
				py_repr(&sb, v, 0);
				add_error(c, out, sb_detach(&sb), 0);
			}
		}
	} else if (!strcmp(k, "required")) {
		if (inst->kind == Y_MAP && v->kind == Y_SEQ)
			for (size_t i = 0; i < v->n; i++)
				if (v->items[i]->kind == Y_STR && !ymap_get(inst, v->items[i]->str))
					add_error(c, out, fmt_repr(v->items[i], " is a required property"), 0);
	} else if (!strcmp(k, "allOf")) {
		for (size_t i = 0; i < ynode_count(v); i++)
			validate(c, inst, v->items[i], out);
	} else if (!strcmp(k, "anyOf") || !strcmp(k, "oneOf")) {
		kw_any_one_of(c, inst, v, k[0] == 'o', out);
	} else if (!strcmp(k, "not")) {
		if (is_valid(c, inst, v)) {
			struct strbuf sb = STRBUF_INIT;
			py_repr(&sb, inst, REPR_MAX);
			sb_puts(&sb, " should not be valid under ");
			py_repr(&sb, v, 0);
			add_error(c, out, sb_detach(&sb), 0);
		}
	} else if (!strcmp(k, "dependencies")) {
		kw_dependencies(c, inst, v, out);
	} else if (!strcmp(k, "deprecated")) {
		if (ynode_truthy(v)) {
			const char *desc = ymap_get_str(schema, "description");
			struct strbuf sb = STRBUF_INIT;
			if (desc && *desc)
				sb_printf(&sb, "DEPRECATED: %s", desc);
			else
				sb_puts(&sb, "DEPRECATED.");
			add_error(c, out, sb_detach(&sb), 1);
		}
	}
}

static void validate(struct ctx *c, const struct ynode *inst, const struct ynode *schema,
                     struct errlist *out)
{
	if (c->oom)
		return;
	if (schema->kind == Y_BOOL) {
		if (!schema->b) {
			struct strbuf sb = STRBUF_INIT;
			sb_puts(&sb, "False schema does not allow ");
			py_repr(&sb, inst, REPR_MAX);
			add_error(c, out, sb_detach(&sb), 0);
		}
		return;
	}
	if (schema->kind != Y_MAP)
		return;
	for (size_t i = 0; i < schema->n; i++) {
		const struct ynode *k = schema->items[2 * i];
		if (k->kind == Y_STR)
			validate_kw(c, inst, k->str, schema->items[2 * i + 1], schema, out);
	}
}

/* ---- results ---------------------------------------------------------- */

/* Python compares paths (deques of str and int) element by element. */
static int cmp_path(const struct perr *a, const struct perr *b)
{
	for (size_t i = 0; i < a->depth && i < b->depth; i++) {
		const struct path_el *x = &a->path[i], *y = &b->path[i];
		int r;
		if (!x->key && !y->key)
			r = (x->index > y->index) - (x->index < y->index);
		else if (x->key && y->key)
			r = cmp_str_nodes(&x->key, &y->key);
		else
			r = x->key ? 1 : -1; /* Python would raise; ints first */
		if (r)
			return r;
	}
	return (a->depth > b->depth) - (a->depth < b->depth);
}

static int cmp_perr(const void *pa, const void *pb)
{
	const struct perr *a = pa, *b = pb;
	int r = cmp_path(a, b);
	return r ? r : (a->seq > b->seq) - (a->seq < b->seq); /* stable */
}

static char *dotted_path(const struct perr *e)
{
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "");
	for (size_t i = 0; i < e->depth; i++) {
		if (i)
			sb_putc(&sb, '.');
		const struct ynode *k = e->path[i].key;
		if (!k) {
			sb_printf(&sb, "%zu", e->path[i].index);
		} else if (k->kind == Y_STR) {
			sb_append(&sb, k->str, k->len);
		} else {
			py_repr(&sb, k, 0); /* str() of a non-string key */
		}
	}
	return sb_detach(&sb);
}

int schema_validate(struct schema *s, const struct ynode *config, struct schema_result *out)
{
	struct ctx c = {0};
	struct errlist all = {0};
	memset(out, 0, sizeof(*out));
	c.s = s;
	validate(&c, config, ydoc_root(s->doc), &all);
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), cmp_perr);
	size_t nd = 0;
	for (size_t i = 0; i < all.n; i++)
		nd += all.v[i].deprecated;
	out->errors = calloc(all.n - nd + 1, sizeof(*out->errors));
	out->deprecations = calloc(nd + 1, sizeof(*out->deprecations));
	int rc = c.oom || !out->errors || !out->deprecations ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < all.n; i++) {
		struct perr *e = &all.v[i];
		struct schema_problem p = {dotted_path(e), e->msg, e->depth ? e->path[e->depth - 1].line : 0};
		e->msg = NULL;
		if (!p.path)
			rc = -1;
		if (e->deprecated)
			out->deprecations[out->ndeprecations++] = p;
		else
			out->errors[out->nerrors++] = p;
	}
	errlist_free(&all);
	free(c.stack);
	if (rc < 0)
		schema_result_free(out);
	return rc;
}

void schema_result_free(struct schema_result *r)
{
	for (size_t i = 0; i < r->nerrors; i++) {
		free(r->errors[i].path);
		free(r->errors[i].message);
	}
	for (size_t i = 0; i < r->ndeprecations; i++) {
		free(r->deprecations[i].path);
		free(r->deprecations[i].message);
	}
	free(r->errors);
	free(r->deprecations);
	memset(r, 0, sizeof(*r));
}

