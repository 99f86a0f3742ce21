/* cloud-init's mergers (cloudinit/mergers/{__init__,m_dict,m_list,m_str}.py,
 * handlers/cloud_config.py, util.mergemanydict) on ynode trees. See
 * yaml_merge.h for the semantics. */
#include "yaml_merge.h"

#include "errbuf.h"
#include "strbuf.h"
#include "utf8.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NOMEM "out of memory"

/* ---- merger specs -------------------------------------------------------- */

void merge_spec_init(struct merge_spec *s)
{
	memset(s, 0, sizeof(*s));
}

/* The options of one merger, the way Python's `"x" in opts` sees them:
 * either a list of C strings (string form) or a ynode (dict/list form). */
struct opts {
	const char *const *words;
	size_t nwords;
	const struct ynode *node; /* when words is NULL; NULL means [] */
};

static const char *py_type(const struct ynode *n)
{
	switch (n->kind) {
	case Y_NULL: return "NoneType";
	case Y_BOOL: return "bool";
	case Y_INT: return "int";
	case Y_FLOAT: return "float";
	case Y_STR: return "str";
	case Y_BYTES: return "bytes";
	case Y_TIME: return strchr(n->text, ':') ? "datetime" : "date";
	case Y_SEQ: return "list";
	case Y_MAP: return "dict";
	}
	return "object";
}

/* `word in opts`: 1, 0, or -1 with err (a TypeError). */
static int opts_has(const struct opts *o, const char *word, char *err, size_t errlen)
{
	if (o->words) {
		for (size_t i = 0; i < o->nwords; i++)
			if (!strcmp(o->words[i], word))
				return 1;
		return 0;
	}
	const struct ynode *n = o->node;
	if (!n)
		return 0;
	switch (n->kind) {
	case Y_SEQ:
		for (size_t i = 0; i < n->n; i++)
			if (ynode_is_str(n->items[i], word))
				return 1;
		return 0;
	case Y_MAP:
		for (size_t i = 0; i < n->n; i++)
			if (ynode_is_str(n->items[2 * i], word))
				return 1;
		return 0;
	case Y_STR:
		return memmem(n->str, n->len, word, strlen(word)) != NULL;
	case Y_BYTES:
		errbuf_set(err, errlen, "a bytes-like object is required, not 'str'");
		return -1;
	default:
		errbuf_set(err, errlen, "argument of type '%s' is not iterable", py_type(n));
		return -1;
	}
}

/* The first of words[] that opts has (the MERGE_TYPES loop), or -1 for
 * none; -2 on error. */
static int opts_first(const struct opts *o, const char *const *words, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		int r = opts_has(o, words[i], err, errlen);
		if (r)
			return r < 0 ? -2 : i;
	}
	return -1;
}

/* Flags set from opts, in the order the Merger constructors test them. */
static int opts_flags(const struct opts *o, const char *const *names, int **flags, int n,
                      char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		int r = opts_has(o, names[i], err, errlen);
		if (r < 0)
			return -1;
		if (r)
			*flags[i] = 1;
	}
	return 0;
}

/* mergers.construct for one (name, opts): checks the name and, when no
 * merger of that kind was named before, records its options. */
static int spec_add(struct merge_spec *s, const char *name, size_t nlen, const struct opts *o,
                    char *err, size_t errlen)
{
	if (nlen >= 2 && !memcmp(name, "m_", 2)) {
		name += 2;
		nlen -= 2;
	}
	struct merge_spec t = *s;
#define NAME_IS(lit) (nlen == strlen(lit) && !memcmp(name, lit, nlen))
	if (NAME_IS("dict")) {
		static const char *const methods[] = {"replace", "no_replace"};
		int m = opts_first(o, methods, 2, err, errlen);
		int rs = 0, ra = 0, rl = 0, del = 0;
		static const char *const names[] = {"recurse_str", "recurse_array", "recurse_list",
		                                    "allow_delete"};
		int *flags[] = {&rs, &ra, &rl, &del};
		if (m == -2 || opts_flags(o, names, flags, 4, err, errlen) < 0)
			return -1;
		if (!t.have_dict) {
			t.have_dict = 1;
			t.dict_replace = m == 0;
			t.dict_recurse_str = rs;
			t.dict_recurse_array = ra || rl;
			t.dict_allow_delete = del;
		}
	} else if (NAME_IS("list")) {
		static const char *const methods[] = {"append", "prepend", "replace", "no_replace"};
		static const enum merge_list_method map[] = {MERGE_LIST_APPEND, MERGE_LIST_PREPEND,
		                                             MERGE_LIST_REPLACE, MERGE_LIST_NO_REPLACE};
		int m = opts_first(o, methods, 4, err, errlen);
		int rs = 0, rd = 0, ra = 0, rl = 0;
		static const char *const names[] = {"recurse_str", "recurse_dict", "recurse_array",
		                                    "recurse_list"};
		int *flags[] = {&rs, &rd, &ra, &rl};
		if (m == -2 || opts_flags(o, names, flags, 4, err, errlen) < 0)
			return -1;
		if (!t.have_list) {
			t.have_list = 1;
			t.list_method = m >= 0 ? map[m] : MERGE_LIST_REPLACE;
			t.list_recurse_str = rs;
			t.list_recurse_dict = rd;
			t.list_recurse_array = ra || rl;
		}
	} else if (NAME_IS("str")) {
		static const char *const names[] = {"append"};
		int app = 0;
		int *flags[] = {&app};
		if (opts_flags(o, names, flags, 1, err, errlen) < 0)
			return -1;
		if (!t.have_str) {
			t.have_str = 1;
			t.str_append = app;
		}
	} else {
		errbuf_set(err, errlen, "Could not find merger module named 'm_%.*s'", (int)nlen, name);
		return -1;
	}
#undef NAME_IS
	t.count++;
	*s = t;
	return 0;
}

static int is_word_start(int c)
{
	return isalpha(c) || c == '_';
}

static int is_word(int c)
{
	return isalnum(c) || c == '_';
}

/* One "name(opt, opt)" item of the string form, already lower-cased,
 * stripped and with '-' turned into '_'. */
static int add_string_item(struct merge_spec *s, char *item, char *err, size_t errlen)
{
	size_t len = strlen(item);
	size_t i = 0;
	if (!is_word_start((unsigned char)item[0]))
		goto bad;
	while (is_word((unsigned char)item[i]))
		i++;
	if (item[i] != '(' || len < i + 2 || item[len - 1] != ')')
		goto bad;
	size_t nlen = i;
	char *ops = item + i + 1;
	item[len - 1] = 0;
	const char *words[64];
	size_t nwords = 0;
	for (char *p = ops; p;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		size_t lead = utf8_py_space_prefix(p, strlen(p));
		char *w = p + lead;
		w[utf8_py_rstrip_len(w, strlen(w))] = 0;
		if (*w && nwords < sizeof(words) / sizeof(words[0]))
			words[nwords++] = w;
		p = comma ? comma + 1 : NULL;
	}
	struct opts o = {words, nwords, NULL};
	return spec_add(s, item, nlen, &o, err, errlen);
bad:
	errbuf_set(err, errlen, "Matcher identifer '%s' is not in the right format", item);
	return -1;
}

int merge_spec_add_string(struct merge_spec *s, const char *how, char *err, size_t errlen)
{
	char *copy = strdup(how);
	if (!copy) {
		errbuf_set(err, errlen, NOMEM);
		return -1;
	}
	struct merge_spec t = *s;
	int rc = 0;
	for (char *p = copy; p && rc == 0;) {
		char *plus = strchr(p, '+');
		if (plus)
			*plus = 0;
		for (char *c = p; *c; c++)
			*c = *c == '-' ? '_' : (char)tolower((unsigned char)*c);
		size_t lead = utf8_py_space_prefix(p, strlen(p));
		char *item = p + lead;
		item[utf8_py_rstrip_len(item, strlen(item))] = 0;
		if (*item)
			rc = add_string_item(&t, item, err, errlen);
		p = plus ? plus + 1 : NULL;
	}
	free(copy);
	if (rc == 0)
		*s = t;
	return rc;
}

int merge_spec_parse(struct merge_spec *s, const char *how, char *err, size_t errlen)
{
	merge_spec_init(s);
	return merge_spec_add_string(s, how, err, errlen);
}

/* One item of the list form: {name, settings} or [name, opt...] (or a
 * string: its first character is the name, the rest the options). */
static int add_list_item(struct merge_spec *s, struct ydoc *scratch, const struct ynode *m,
                         char *err, size_t errlen)
{
	struct opts o = {NULL, 0, NULL};
	const struct ynode *name;
	if (m->kind == Y_MAP) {
		name = ymap_get(m, "name");
		o.node = ymap_get(m, "settings");
		if (!name || !o.node) {
			errbuf_set(err, errlen, "KeyError: '%s'", name ? "settings" : "name");
			return -1;
		}
		if (name->kind != Y_STR) {
			errbuf_set(err, errlen, "'%s' object has no attribute 'replace'", py_type(name));
			return -1;
		}
		char *n = strndup(name->str, name->len);
		if (!n) {
			errbuf_set(err, errlen, NOMEM);
			return -1;
		}
		for (char *c = n; *c; c++)
			if (*c == '-')
				*c = '_';
		size_t lead = utf8_py_space_prefix(n, strlen(n));
		size_t nlen = utf8_py_rstrip_len(n + lead, strlen(n + lead));
		int rc = nlen ? spec_add(s, n + lead, nlen, &o, err, errlen) : 0;
		free(n);
		return rc;
	}
	if (m->kind == Y_STR) {
		if (!m->len) {
			errbuf_set(err, errlen, "string index out of range");
			return -1;
		}
		size_t clen = 1;
		while (clen < m->len && ((unsigned char)m->str[clen] & 0xC0) == 0x80)
			clen++;
		if (m->len > clen) {
			o.node = ynode_new_strn(scratch, m->str + clen, m->len - clen);
			if (!o.node) {
				errbuf_set(err, errlen, NOMEM);
				return -1;
			}
		}
		return spec_add(s, m->str, clen, &o, err, errlen);
	}
	if (m->kind == Y_SEQ) {
		if (!m->n) {
			errbuf_set(err, errlen, "list index out of range");
			return -1;
		}
		name = m->items[0];
		if (m->n >= 2) {
			struct ynode *rest = ynode_new_seq(scratch);
			if (!rest) {
				errbuf_set(err, errlen, NOMEM);
				return -1;
			}
			for (size_t i = 1; i < m->n; i++)
				if (yseq_append(scratch, rest, m->items[i]) < 0) {
					errbuf_set(err, errlen, NOMEM);
					return -1;
				}
			o.node = rest;
		}
		if (!ynode_truthy(name))
			return 0; /* `if name:` */
		if (name->kind != Y_STR) {
			errbuf_set(err, errlen, "Could not find merger module named 'm_%s'", name->text);
			return -1;
		}
		return spec_add(s, name->str, name->len, &o, err, errlen);
	}
	if (m->kind == Y_BYTES) {
		if (!m->len) {
			errbuf_set(err, errlen, "index out of range");
			return -1;
		}
		if (!m->str[0])
			return 0; /* name 0: `if name:` skips it */
		errbuf_set(err, errlen, "Could not find merger module named 'm_%u'",
		           (unsigned char)m->str[0]);
		return -1;
	}
	errbuf_set(err, errlen, "'%s' object is not subscriptable", py_type(m));
	return -1;
}

int merge_spec_add_node(struct merge_spec *s, const struct ynode *how, char *err, size_t errlen)
{
	if (!how || how->kind == Y_NULL)
		return 0;
	if (how->kind == Y_STR) {
		/* A NUL inside the string cannot name a merger anyway. */
		return merge_spec_add_string(s, how->str, err, errlen);
	}
	if (how->kind == Y_BYTES) {
		if (!how->len)
			return 0;
		errbuf_set(err, errlen, "'int' object is not subscriptable");
		return -1;
	}
	if (how->kind != Y_SEQ && how->kind != Y_MAP) {
		errbuf_set(err, errlen, "'%s' object is not iterable", py_type(how));
		return -1;
	}
	struct ydoc *scratch = ydoc_new();
	if (!scratch) {
		errbuf_set(err, errlen, NOMEM);
		return -1;
	}
	struct merge_spec t = *s;
	int rc = 0;
	/* Iterating a dict gives its keys. */
	size_t step = how->kind == Y_MAP ? 2 : 1;
	for (size_t i = 0; i < how->n && rc == 0; i++)
		rc = add_list_item(&t, scratch, how->items[i * step], err, errlen);
	ydoc_free(scratch);
	if (rc == 0)
		*s = t;
	return rc;
}

/* ---- merging ----------------------------------------------------------- */

struct mctx {
	struct ydoc *d;
	const struct merge_spec *s;
	char *err;
	size_t errlen;
	int depth;
};

static const struct ynode *merge(struct mctx *m, const struct ynode *val, const struct ynode *with);

static const struct ynode *nomem(struct mctx *m)
{
	errbuf_set(m->err, m->errlen, NOMEM);
	errno = ENOMEM;
	return NULL;
}

static long map_find(const struct ynode *map, const struct ynode *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (ynode_equal(map->items[2 * i], key))
			return (long)i;
	return -1;
}

/* m_dict.Merger._on_dict */
static const struct ynode *on_dict(struct mctx *m, const struct ynode *val, const struct ynode *with)
{
	const struct merge_spec *s = m->s;
	if (with->kind != Y_MAP)
		return val;
	struct ynode *out = ynode_new_map(m->d);
	if (!out)
		return nomem(m);
	out->line = val->line;
	out->col = val->col;
	for (size_t i = 0; i < val->n; i++)
		if (ymap_set_node(m->d, out, val->items[2 * i], val->items[2 * i + 1]) < 0)
			return nomem(m);
	for (size_t i = 0; i < with->n; i++) {
		struct ynode *k = with->items[2 * i], *v = with->items[2 * i + 1];
		long at = map_find(out, k);
		const struct ynode *nv = v;
		if (at >= 0 && v->kind == Y_NULL && s->dict_allow_delete) {
			memmove(&out->items[2 * at], &out->items[2 * at + 2],
			        (out->n - (size_t)at - 1) * 2 * sizeof(*out->items));
			out->n--;
			continue;
		}
		if (at >= 0 && !s->dict_replace) {
			const struct ynode *old = out->items[2 * at + 1];
			if ((v->kind == Y_SEQ && s->dict_recurse_array) ||
			    (v->kind == Y_STR && s->dict_recurse_str) || v->kind == Y_MAP)
				nv = merge(m, old, v);
			else
				nv = old;
			if (!nv)
				return NULL;
		}
		if (ymap_set_node(m->d, out, k, (struct ynode *)nv) < 0)
			return nomem(m);
	}
	return out;
}

/* Python's len() of a non-list right-hand side; -1 with err. */
static long py_len(struct mctx *m, const struct ynode *n)
{
	switch (n->kind) {
	case Y_SEQ: case Y_MAP: return (long)n->n;
	case Y_BYTES: return (long)n->len;
	case Y_STR: {
		long c = 0;
		for (size_t i = 0; i < n->len; i++)
			c += ((unsigned char)n->str[i] & 0xC0) != 0x80;
		return c;
	}
	default:
		errbuf_set(m->err, m->errlen, "object of type '%s' has no len()", py_type(n));
		return -1;
	}
}

/* The items Python's list.extend(n) adds, appended to out. */
static int extend(struct mctx *m, struct ynode *out, const struct ynode *n)
{
	switch (n->kind) {
	case Y_SEQ:
		for (size_t i = 0; i < n->n; i++)
			if (yseq_append(m->d, out, n->items[i]) < 0)
				return nomem(m), -1;
		return 0;
	case Y_MAP:
		for (size_t i = 0; i < n->n; i++)
			if (yseq_append(m->d, out, n->items[2 * i]) < 0)
				return nomem(m), -1;
		return 0;
	case Y_BYTES:
		for (size_t i = 0; i < n->len; i++)
			if (yseq_append(m->d, out, ynode_new_int(m->d, (unsigned char)n->str[i])) < 0)
				return nomem(m), -1;
		return 0;
	case Y_STR:
		for (size_t i = 0; i < n->len;) {
			size_t c = 1;
			while (i + c < n->len && ((unsigned char)n->str[i + c] & 0xC0) == 0x80)
				c++;
			if (yseq_append(m->d, out, ynode_new_strn(m->d, n->str + i, c)) < 0)
				return nomem(m), -1;
			i += c;
		}
		return 0;
	default:
		errbuf_set(m->err, m->errlen, "'%s' object is not iterable", py_type(n));
		return -1;
	}
}

/* merge_with[i] for a non-list right-hand side of known length. */
static const struct ynode *py_index(struct mctx *m, const struct ynode *n, size_t i)
{
	if (n->kind == Y_SEQ)
		return n->items[i];
	if (n->kind == Y_MAP) {
		struct ynode key = {.kind = Y_INT, .i = (long long)i, .f = (double)i, .text = ""};
		long at = map_find(n, &key);
		if (at < 0) {
			errbuf_set(m->err, m->errlen, "KeyError: %zu", i);
			return NULL;
		}
		return n->items[2 * at + 1];
	}
	if (n->kind == Y_BYTES) {
		struct ynode *v = ynode_new_int(m->d, (unsigned char)n->str[i]);
		return v ? v : nomem(m);
	}
	size_t at = 0; /* Y_STR: the i-th code point */
	for (size_t k = 0; k < i; k++) {
		at++;
		while (at < n->len && ((unsigned char)n->str[at] & 0xC0) == 0x80)
			at++;
	}
	size_t c = 1;
	while (at + c < n->len && ((unsigned char)n->str[at + c] & 0xC0) == 0x80)
		c++;
	struct ynode *v = ynode_new_strn(m->d, n->str + at, c);
	return v ? v : nomem(m);
}

/* m_list.Merger._on_list */
static const struct ynode *on_list(struct mctx *m, const struct ynode *val, const struct ynode *with)
{
	const struct merge_spec *s = m->s;
	if (s->list_method == MERGE_LIST_REPLACE && with->kind != Y_SEQ)
		return with;
	struct ynode *out = ynode_new_seq(m->d);
	if (!out)
		return nomem(m);
	out->line = val->line;
	out->col = val->col;
	if (s->list_method == MERGE_LIST_PREPEND || s->list_method == MERGE_LIST_APPEND) {
		int pre = s->list_method == MERGE_LIST_PREPEND;
		if (extend(m, out, pre ? with : val) < 0 || extend(m, out, pre ? val : with) < 0)
			return NULL;
		return out;
	}
	if (extend(m, out, val) < 0)
		return NULL;
	long wl = py_len(m, with);
	if (wl < 0)
		return NULL;
	size_t common = out->n < (size_t)wl ? out->n : (size_t)wl;
	for (size_t i = 0; i < common; i++) {
		const struct ynode *nv = py_index(m, with, i);
		if (!nv)
			return NULL;
		if (s->list_method == MERGE_LIST_NO_REPLACE)
			continue;
		if ((nv->kind == Y_SEQ && s->list_recurse_array) ||
		    (nv->kind == Y_STR && s->list_recurse_str) ||
		    (nv->kind == Y_MAP && s->list_recurse_dict)) {
			nv = merge(m, out->items[i], nv);
			if (!nv)
				return NULL;
		}
		out->items[i] = (struct ynode *)nv;
	}
	return out;
}

/* m_str.Merger._on_str */
static const struct ynode *on_str(struct mctx *m, const struct ynode *val, const struct ynode *with)
{
	if (!m->s->str_append)
		return with;
	if (with->kind != Y_STR) {
		errbuf_set(m->err, m->errlen, "can only concatenate str (not \"%s\") to str", py_type(with));
		return NULL;
	}
	struct strbuf sb = STRBUF_INIT;
	if (sb_append(&sb, val->str, val->len) < 0 || sb_append(&sb, with->str, with->len) < 0) {
		sb_free(&sb);
		return nomem(m);
	}
	struct ynode *out = ynode_new_strn(m->d, sb.data ? sb.data : "", sb.len);
	sb_free(&sb);
	if (!out)
		return nomem(m);
	out->line = with->line;
	out->col = with->col;
	return out;
}

/* LookupMerger.merge: dispatch on the existing value's type. */
static const struct ynode *merge(struct mctx *m, const struct ynode *val, const struct ynode *with)
{
	if (++m->depth > 1000) {
		errbuf_set(m->err, m->errlen, "maximum recursion depth exceeded");
		return NULL;
	}
	const struct ynode *r = val;
	if (val->kind == Y_MAP && m->s->have_dict)
		r = on_dict(m, val, with);
	else if (val->kind == Y_SEQ && m->s->have_list)
		r = on_list(m, val, with);
	else if (val->kind == Y_STR && m->s->have_str)
		r = on_str(m, val, with);
	m->depth--;
	return r;
}

struct ynode *cc_merge(struct ydoc *into, const struct ynode *base, const struct ynode *overlay,
                       const struct merge_spec *how, char *err, size_t errlen)
{
	struct mctx m = {into, how, err, errlen, 0};
	if (!base) {
		base = ynode_new_map(into);
		if (!base)
			return (struct ynode *)nomem(&m);
	}
	if (!overlay)
		return (struct ynode *)base;
	return (struct ynode *)merge(&m, base, overlay);
}

/* ---- merge_how in configs, parts ---------------------------------------- */

int cc_extract_mergers(struct ydoc *into, const struct ynode *cfg, const struct ynode **rest,
                       struct merge_spec *s, char *err, size_t errlen)
{
	*rest = cfg;
	if (!cfg || cfg->kind != Y_MAP)
		return 0;
	const struct ynode *how = ymap_get(cfg, "merge_how");
	int drop_how = how != NULL, drop_type = 0;
	if (!how || how->kind == Y_NULL) {
		how = ymap_get(cfg, "merge_type");
		drop_type = how != NULL;
	}
	if (drop_how || drop_type) {
		struct ynode *copy = ynode_new_map(into);
		if (!copy) {
			errbuf_set(err, errlen, NOMEM);
			return -1;
		}
		copy->line = cfg->line;
		copy->col = cfg->col;
		for (size_t i = 0; i < cfg->n; i++) {
			const struct ynode *k = cfg->items[2 * i];
			if ((drop_how && ynode_is_str(k, "merge_how")) ||
			    (drop_type && ynode_is_str(k, "merge_type")))
				continue;
			if (ymap_set_node(into, copy, cfg->items[2 * i], cfg->items[2 * i + 1]) < 0) {
				errbuf_set(err, errlen, NOMEM);
				return -1;
			}
		}
		*rest = copy;
	}
	return merge_spec_add_node(s, how, err, errlen);
}

struct ynode *cc_merge_config(struct ydoc *into, const struct ynode *merged,
                              const struct ynode *cfg, char *err, size_t errlen)
{
	if (!merged) {
		merged = ynode_new_map(into);
		if (!merged) {
			errbuf_set(err, errlen, NOMEM);
			return NULL;
		}
	}
	if (!ynode_truthy(cfg))
		return (struct ynode *)merged;
	struct merge_spec s;
	const struct ynode *rest;
	merge_spec_init(&s);
	if (cc_extract_mergers(into, cfg, &rest, &s, err, errlen) < 0)
		return NULL;
	if (!s.count && merge_spec_add_string(&s, MERGE_HOW_DEFAULT, err, errlen) < 0)
		return NULL;
	return cc_merge(into, merged, rest, &s, err, errlen);
}

int cc_parts_init(struct cc_parts *p)
{
	memset(p, 0, sizeof(*p));
	p->doc = ydoc_new();
	return p->doc ? 0 : -1;
}

void cc_parts_free(struct cc_parts *p)
{
	for (size_t i = 0; i < p->ndocs; i++)
		ydoc_free(p->docs[i]);
	free(p->docs);
	ydoc_free(p->doc);
	memset(p, 0, sizeof(*p));
}

int cc_parts_add(struct cc_parts *p, const char *payload, size_t len, const char *merge_header,
                 struct yaml_error *yerr, char *err, size_t errlen)
{
	struct yaml_error scratch_err;
	struct ydoc **docs = realloc(p->docs, (p->ndocs + 1) * sizeof(*docs));
	if (!docs)
		return -1;
	p->docs = docs;
	docs[p->ndocs] = NULL;
	p->ndocs++;
	/* "First time through, merge with an empty dict..." */
	if (!p->merged || !p->nmerged) {
		p->merged = ynode_new_map(p->doc);
		if (!p->merged)
			return -1;
	}
	memset(&scratch_err, 0, sizeof(scratch_err));
	if (yerr)
		memset(yerr, 0, sizeof(*yerr));
	struct ydoc *d = yaml_load(payload, len, "<unicode string>", yerr ? yerr : &scratch_err);
	if (!d) {
		yaml_error_free(&scratch_err);
		errbuf_set(err, errlen, "empty cloud config");
		return CC_PART_YAML_ERROR;
	}
	docs[p->ndocs - 1] = d;
	const struct ynode *root = ydoc_root(d);
	if (root->kind == Y_NULL || root->kind != Y_MAP) {
		errbuf_set(err, errlen, "empty cloud config");
		return root->kind == Y_NULL ? CC_PART_EMPTY : CC_PART_NOT_DICT;
	}
	struct merge_spec s;
	const struct ynode *rest;
	merge_spec_init(&s);
	errno = 0;
	if (cc_extract_mergers(p->doc, root, &rest, &s, err, errlen) < 0)
		return errno == ENOMEM ? -1 : CC_PART_MERGE_ERROR;
	if (merge_header && merge_spec_add_string(&s, merge_header, err, errlen) < 0)
		return CC_PART_MERGE_ERROR;
	if (!s.count && merge_spec_add_string(&s, MERGE_HOW_PARTS, err, errlen) < 0)
		return -1;
	errno = 0;
	struct ynode *r = cc_merge(p->doc, p->merged, rest, &s, err, errlen);
	if (!r)
		return errno == ENOMEM ? -1 : CC_PART_MERGE_ERROR;
	p->merged = r;
	p->nmerged++;
	return CC_PART_MERGED;
}
