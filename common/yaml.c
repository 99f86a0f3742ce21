/* YAML loading with PyYAML SafeLoader semantics on top of libyaml events.
 * Like PyYAML, the whole document is composed before constructor errors
 * (unknown tags, unhashable keys, bad merges) are reported, so a syntax
 * error later in the file wins over them. */
#include "yaml.h"

#include "base64.h"
#include "strbuf.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h> /* libyaml: -iquote keeps "yaml.h" ours */

#define MAX_DEPTH 1000

#define TAG_PREFIX "tag:yaml.org,2002:"

struct anchor {
	char *name;
	struct ynode *node; /* NULL while the anchored node is being composed */
	yaml_mark_t mark;
};

struct loader {
	yaml_parser_t parser;
	struct ydoc *doc;
	const char *buf;
	size_t len;
	const char *name;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	int depth;
	int failed;              /* err is filled: stop */
	struct yaml_error *err;
	struct yaml_error cerr;  /* first constructor error, reported after composing */
	int have_cerr;
};

/* ---- error text in PyYAML's layout ------------------------------------ */

/* Appends PyYAML's Mark.__str__: the position and a snippet with a caret. */
static void put_mark(struct loader *L, struct strbuf *sb, yaml_mark_t m)
{
	sb_printf(sb, "  in \"%s\", line %zu, column %zu:\n", L->name,
	          m.line + 1, m.column + 1);
	/* libyaml's index counts characters: find the byte offset. */
	size_t pos = 0, chars = 0;
	if (L->len >= 3 && memcmp(L->buf, "\xef\xbb\xbf", 3) == 0) {
		pos = 3;
		chars = 1;
	}
	if (m.index == 0 && (m.line || m.column)) {
		/* a mark rebuilt from a node's line/column: find it by lines */
		for (size_t l = 0; l < m.line && pos < L->len; pos++)
			if (L->buf[pos] == '\n')
				l++;
		for (size_t c = 0; c < m.column && pos < L->len; c++) {
			pos++;
			while (pos < L->len && ((unsigned char)L->buf[pos] & 0xC0) == 0x80)
				pos++;
		}
		m.index = 0;
		chars = m.index;
	}
	while (pos < L->len && chars < m.index) {
		pos++;
		while (pos < L->len && ((unsigned char)L->buf[pos] & 0xC0) == 0x80)
			pos++;
		chars++;
	}
	size_t start = pos, end = pos;
	const char *head = "", *tail = "";
	size_t back = 0, fwd = 0;
	while (start > 0 && L->buf[start - 1] != '\n' && L->buf[start - 1] != '\r' &&
	       L->buf[start - 1] != 0) {
		start--;
		if (((unsigned char)L->buf[start] & 0xC0) != 0x80 && ++back > 36) {
			head = " ... ";
			while (back-- > 32)
				do start++; while (((unsigned char)L->buf[start] & 0xC0) == 0x80);
			break;
		}
	}
	while (end < L->len && L->buf[end] != '\n' && L->buf[end] != '\r' && L->buf[end] != 0) {
		end++;
		if (((unsigned char)L->buf[end - 1] & 0xC0) != 0x80 && ++fwd > 36) {
			tail = " ... ";
			break;
		}
	}
	size_t caret = strlen(head);
	for (size_t i = start; i < pos; i++)
		if (((unsigned char)L->buf[i] & 0xC0) != 0x80)
			caret++;
	sb_printf(sb, "    %s%.*s%s\n%*s^", head, (int)(end - start), L->buf + start, tail,
	          (int)(4 + caret), "");
}

/* Fills e like PyYAML's MarkedYAMLError.__str__. context may be NULL. */
static void set_error(struct loader *L, struct yaml_error *e, const char *context,
                      const yaml_mark_t *cmark, const char *problem, const yaml_mark_t *pmark)
{
	struct strbuf sb = STRBUF_INIT;
	if (context) {
		sb_puts(&sb, context);
		sb_putc(&sb, '\n');
	}
	if (cmark && (!problem || !pmark || cmark->line != pmark->line ||
	              cmark->column != pmark->column)) {
		put_mark(L, &sb, *cmark);
		sb_putc(&sb, '\n');
	}
	if (problem)
		sb_puts(&sb, problem);
	if (pmark) {
		sb_putc(&sb, '\n');
		put_mark(L, &sb, *pmark);
	}
	const yaml_mark_t *m = cmark ? cmark : pmark;
	e->line = m ? (int)m->line + 1 : 1;
	e->col = m ? (int)m->column + 1 : 1;
	free(e->message);
	e->message = sb_detach(&sb);
}

/* A composer error: fatal at once. */
static void fail(struct loader *L, const char *context, const yaml_mark_t *cmark,
                 const char *problem, const yaml_mark_t *pmark)
{
	if (L->failed)
		return;
	set_error(L, L->err, context, cmark, problem, pmark);
	L->failed = 1;
}

/* A constructor error: remembered, reported once composing succeeded. */
static void cfail(struct loader *L, const char *context, const yaml_mark_t *cmark,
                  const char *problem, const yaml_mark_t *pmark)
{
	if (L->have_cerr)
		return;
	set_error(L, &L->cerr, context, cmark, problem, pmark);
	L->have_cerr = 1;
}

static void parser_failed(struct loader *L)
{
	yaml_parser_t *p = &L->parser;
	if (p->error == YAML_READER_ERROR) {
		struct strbuf sb = STRBUF_INIT;
		if (p->problem_value != -1)
			sb_printf(&sb, "unacceptable character #x%04x: %s\n  in \"%s\", position %zu",
			          p->problem_value, p->problem, L->name, p->problem_offset);
		else
			sb_printf(&sb, "'utf-8' codec can't decode byte: %s\n  in \"%s\", position %zu",
			          p->problem ? p->problem : "invalid data", L->name, p->problem_offset);
		L->err->line = 1; /* PyYAML's ReaderError has no marks */
		L->err->col = 1;
		free(L->err->message);
		L->err->message = sb_detach(&sb);
		L->failed = 1;
	} else if (p->error == YAML_MEMORY_ERROR) {
		fail(L, NULL, NULL, "out of memory", NULL);
	} else {
		fail(L, p->context, p->context ? &p->context_mark : NULL,
		     p->problem ? p->problem : "invalid YAML", &p->problem_mark);
	}
}

static int next_event(struct loader *L, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&L->parser, ev)) {
		parser_failed(L);
		return -1;
	}
	return 0;
}

#include "yaml_int.h"

static const char *known_tag(const char *tag)
{
	static const char *const tags[] = {
		TAG_PREFIX "null", TAG_PREFIX "bool", TAG_PREFIX "int", TAG_PREFIX "float",
		TAG_PREFIX "str", TAG_PREFIX "binary", TAG_PREFIX "timestamp", TAG_PREFIX "seq",
		TAG_PREFIX "map", TAG_PREFIX "set", TAG_PREFIX "omap", TAG_PREFIX "pairs",
		TAG_PREFIX "python/unicode", TAG_PREFIX "merge", "!",
	};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(tag, tags[i]))
			return tags[i];
	return NULL;
}

static void unknown_tag(struct loader *L, const char *tag, const yaml_mark_t *mark)
{
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "could not determine a constructor for the tag '%s'", tag);
	cfail(L, NULL, NULL, sb_str(&sb), mark);
	sb_free(&sb);
}

static struct ynode *compose(struct loader *L, yaml_event_t *ev);

static int add_anchor(struct loader *L, const char *name, yaml_mark_t mark, size_t *slot)
{
	for (size_t i = 0; i < L->nanchors; i++) {
		if (!strcmp(L->anchors[i].name, name)) {
			char msg[300];
			snprintf(msg, sizeof(msg), "found duplicate anchor '%.200s'; first occurrence", name);
			fail(L, msg, &L->anchors[i].mark, "second occurrence", &mark);
			return -1;
		}
	}
	if (L->nanchors == L->capanchors) {
		size_t cap = L->capanchors ? L->capanchors * 2 : 16;
		struct anchor *a = realloc(L->anchors, cap * sizeof(*a));
		if (!a)
			return fail(L, NULL, NULL, "out of memory", NULL), -1;
		L->anchors = a;
		L->capanchors = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return fail(L, NULL, NULL, "out of memory", NULL), -1;
	L->anchors[L->nanchors] = (struct anchor){copy, NULL, mark};
	*slot = L->nanchors++;
	return 0;
}

static void oom(struct loader *L)
{
	fail(L, NULL, NULL, "out of memory", NULL);
}

static void set_pos(struct ynode *n, yaml_mark_t m)
{
	n->line = (int)m.line + 1;
	n->col = (int)m.column + 1;
}

static struct ynode *compose_scalar(struct loader *L, yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	const yaml_mark_t *mark = &ev->start_mark;
	struct ynode *n = ynode_new_strn(L->doc, text, len);
	if (!n)
		return oom(L), NULL;
	set_pos(n, *mark);
	switch (ev->data.scalar.style) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: n->style = YS_SINGLE; break;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: n->style = YS_DOUBLE; break;
	case YAML_LITERAL_SCALAR_STYLE: n->style = YS_LITERAL; break;
	case YAML_FOLDED_SCALAR_STYLE: n->style = YS_FOLDED; break;
	default: n->style = YS_PLAIN; break;
	}
	const char *resolved;
	if (!tag && ev->data.scalar.plain_implicit) {
		int b;
		struct tstamp ts;
		/* A NUL inside the text never matches a resolver. */
		if (strlen(text) != len)
			resolved = TAG_PREFIX "str";
		else if (match_bool(text, &b))
			resolved = TAG_PREFIX "bool";
		else if (match_float(text))
			resolved = TAG_PREFIX "float";
		else if (match_int(text))
			resolved = TAG_PREFIX "int";
		else if (!strcmp(text, "<<"))
			resolved = TAG_PREFIX "merge";
		else if (match_null(text))
			resolved = TAG_PREFIX "null";
		else if (match_timestamp(text, &ts))
			resolved = TAG_PREFIX "timestamp";
		else if (!strcmp(text, "="))
			resolved = TAG_PREFIX "value";
		else
			resolved = TAG_PREFIX "str";
	} else if (!tag || !strcmp(tag, "!")) {
		resolved = TAG_PREFIX "str";
	} else {
		resolved = known_tag(tag);
		n->tag = resolved;
		if (!resolved) {
			unknown_tag(L, tag, mark);
			return n;
		}
	}
	const char *t = resolved + strlen(TAG_PREFIX);
	if (!strcmp(t, "str") || !strcmp(t, "python/unicode")) {
		return n;
	} else if (!strcmp(t, "merge")) {
		n->tag = TAG_PREFIX "merge"; /* constructed by the mapping */
	} else if (!strcmp(t, "null")) {
		n->kind = Y_NULL;
	} else if (!strcmp(t, "bool")) {
		char low[8] = "";
		if (len < sizeof(low))
			for (size_t i = 0; i <= len; i++)
				low[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] | 0x20 : text[i]);
		static const char *const names[] = {"yes", "true", "on", "no", "false", "off"};
		size_t i;
		for (i = 0; i < 6; i++)
			if (!strcmp(low, names[i]))
				break;
		if (i == 6) {
			cfail(L, NULL, NULL, "invalid boolean value for the tag !!bool", mark);
			return n;
		}
		n->kind = Y_BOOL;
		n->b = i < 3;
	} else if (!strcmp(t, "int")) {
		n->kind = Y_INT;
		if (construct_int(n) < 0)
			cfail(L, NULL, NULL, "invalid literal for int()", mark);
	} else if (!strcmp(t, "float")) {
		n->kind = Y_FLOAT;
		if (construct_float(n) < 0)
			cfail(L, NULL, NULL, "could not convert string to float", mark);
	} else if (!strcmp(t, "timestamp")) {
		struct tstamp ts;
		n->kind = Y_TIME;
		if (!match_timestamp(text, &ts) || !timestamp_valid(&ts))
			cfail(L, NULL, NULL, "invalid timestamp (no such date or time)", mark);
	} else if (!strcmp(t, "binary")) {
		struct strbuf raw = STRBUF_INIT;
		struct strbuf clean = STRBUF_INIT;
		/* Python's decodebytes skips characters outside the alphabet. */
		for (size_t i = 0; i < len; i++)
			if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
			           text[i]) && text[i])
				sb_putc(&clean, text[i]);
		if (base64_decode(&raw, clean.data ? clean.data : "", clean.len) < 0) {
			cfail(L, NULL, NULL, "failed to decode base64 data: Incorrect padding", mark);
		} else {
			size_t rawlen = raw.len;
			n->kind = Y_BYTES;
			n->owned2 = sb_detach(&raw);
			if (!n->owned2)
				oom(L);
			n->str = n->owned2 ? n->owned2 : "";
			n->len = n->owned2 ? rawlen : 0;
		}
		sb_free(&raw);
		sb_free(&clean);
	} else if (!strcmp(t, "value") || !strcmp(t, "yaml")) {
		unknown_tag(L, resolved, mark);
	} else {
		/* a collection tag on a scalar */
		char msg[80];
		snprintf(msg, sizeof(msg), "expected a %s node, but found scalar",
		         !strcmp(t, "map") || !strcmp(t, "set") ? "mapping" : "sequence");
		cfail(L, NULL, NULL, msg, mark);
	}
	return n;
}

static int check_weight(struct loader *L, struct ynode *n, const yaml_mark_t *mark)
{
	if (n->weight > YAML_MAX_WEIGHT) {
		char msg[120];
		snprintf(msg, sizeof(msg),
		         "document expands to more than %d nodes through aliases", YAML_MAX_WEIGHT);
		fail(L, NULL, NULL, msg, mark);
		return -1;
	}
	return 0;
}

static struct ynode *compose_sequence(struct loader *L, yaml_event_t *ev)
{
	struct ynode *seq = ynode_new_seq(L->doc);
	if (!seq)
		return oom(L), NULL;
	set_pos(seq, ev->start_mark);
	seq->style = ev->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE ? YS_FLOW : YS_BLOCK;
	const char *tag = (const char *)ev->data.sequence_start.tag;
	yaml_mark_t start = ev->start_mark;
	if (tag && strcmp(tag, "!")) {
		seq->tag = known_tag(tag);
		if (!seq->tag)
			unknown_tag(L, tag, &start);
		else if (!strcmp(tag, TAG_PREFIX "map") || !strcmp(tag, TAG_PREFIX "set"))
			cfail(L, NULL, NULL, "expected a mapping node, but found sequence", &start);
		else if (strcmp(tag, TAG_PREFIX "seq") && strcmp(tag, TAG_PREFIX "omap") &&
		         strcmp(tag, TAG_PREFIX "pairs"))
			cfail(L, NULL, NULL, "could not construct a sequence with this tag", &start);
	}
	for (;;) {
		yaml_event_t item;
		if (next_event(L, &item) < 0)
			return NULL;
		if (item.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&item);
			break;
		}
		struct ynode *child = compose(L, &item);
		yaml_event_delete(&item);
		if (!child)
			return NULL;
		if (yseq_append(L->doc, seq, child) < 0)
			return oom(L), NULL;
		if (check_weight(L, seq, &start) < 0)
			return NULL;
	}
	return seq;
}

/* 1 if a constructed key can live in a Python dict. */
static int hashable(const struct ynode *k)
{
	return k->kind != Y_SEQ && k->kind != Y_MAP;
}

static struct ynode *compose_mapping(struct loader *L, yaml_event_t *ev)
{
	struct ynode *map = ynode_new_map(L->doc);
	struct ynode *own = ynode_new_seq(L->doc);   /* own key, value, key, value... */
	struct ynode *merge = ynode_new_seq(L->doc); /* maps to merge, in merge order */
	if (!map || !own || !merge)
		return oom(L), NULL;
	set_pos(map, ev->start_mark);
	map->style = ev->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE ? YS_FLOW : YS_BLOCK;
	yaml_mark_t start = ev->start_mark;
	const char *tag = (const char *)ev->data.mapping_start.tag;
	if (tag && strcmp(tag, "!")) {
		map->tag = known_tag(tag);
		if (!map->tag)
			unknown_tag(L, tag, &start);
		else if (strcmp(tag, TAG_PREFIX "map") && strcmp(tag, TAG_PREFIX "set"))
			cfail(L, NULL, NULL, "expected a sequence node, but found mapping", &start);
	}
	for (;;) {
		yaml_event_t kev, vev;
		if (next_event(L, &kev) < 0)
			return NULL;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		struct ynode *key = compose(L, &kev);
		yaml_event_delete(&kev);
		if (!key || next_event(L, &vev) < 0)
			return NULL;
		struct ynode *value = compose(L, &vev);
		yaml_mark_t vmark = vev.start_mark;
		yaml_event_delete(&vev);
		if (!value)
			return NULL;
		if (key->kind == Y_STR && key->tag && !strcmp(key->tag, TAG_PREFIX "merge")) {
			/* PyYAML's flatten_mapping: a map, or a list of maps where
			 * earlier maps win. */
			if (value->kind == Y_MAP) {
				if (yseq_append(L->doc, merge, value) < 0)
					return oom(L), NULL;
			} else if (value->kind == Y_SEQ) {
				for (size_t i = value->n; i-- > 0;) {
					struct ynode *sub = value->items[i];
					if (sub->kind != Y_MAP) {
						char msg[100];
						snprintf(msg, sizeof(msg),
						         "expected a mapping for merging, but found %s",
						         sub->kind == Y_SEQ ? "sequence" : "scalar");
						yaml_mark_t sm = {0, (size_t)sub->line - 1, (size_t)sub->col - 1};
						cfail(L, "while constructing a mapping", &start, msg, &sm);
						break;
					}
				}
				for (size_t i = value->n; i-- > 0;)
					if (value->items[i]->kind == Y_MAP &&
					    yseq_append(L->doc, merge, value->items[i]) < 0)
						return oom(L), NULL;
			} else {
				cfail(L, "while constructing a mapping", &start,
				      "expected a mapping or list of mappings for merging, but found scalar",
				      &vmark);
			}
			continue;
		}
		if (!hashable(key)) {
			yaml_mark_t km = {0, (size_t)key->line - 1, (size_t)key->col - 1};
			cfail(L, "while constructing a mapping", &start, "found unhashable key", &km);
		}
		if (yseq_append(L->doc, own, key) < 0 || yseq_append(L->doc, own, value) < 0)
			return oom(L), NULL;
	}
	for (size_t m = 0; m < merge->n; m++) {
		struct ynode *src = merge->items[m];
		for (size_t i = 0; i < src->n; i++)
			if (ymap_set_node(L->doc, map, src->items[2 * i], src->items[2 * i + 1]) < 0)
				return oom(L), NULL;
	}
	for (size_t i = 0; i < own->n; i += 2)
		if (hashable(own->items[i]) &&
		    ymap_set_node(L->doc, map, own->items[i], own->items[i + 1]) < 0)
			return oom(L), NULL;
	if (check_weight(L, map, &start) < 0)
		return NULL;
	return map;
}

/* Builds the node that starts with ev (not deleted here). */
static struct ynode *compose(struct loader *L, yaml_event_t *ev)
{
	if (ev->type == YAML_ALIAS_EVENT) {
		const char *name = (const char *)ev->data.alias.anchor;
		for (size_t i = L->nanchors; i-- > 0;) {
			if (strcmp(L->anchors[i].name, name))
				continue;
			if (!L->anchors[i].node) {
				fail(L, NULL, NULL, "found recursive alias (the anchored node contains itself)",
				     &ev->start_mark);
				return NULL;
			}
			return L->anchors[i].node;
		}
		char msg[300];
		snprintf(msg, sizeof(msg), "found undefined alias '%.200s'", name);
		fail(L, NULL, NULL, msg, &ev->start_mark);
		return NULL;
	}
	const char *anchor = NULL;
	if (ev->type == YAML_SCALAR_EVENT)
		anchor = (const char *)ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = (const char *)ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = (const char *)ev->data.mapping_start.anchor;
	else
		return fail(L, NULL, NULL, "unexpected event", &ev->start_mark), NULL;
	size_t slot = 0;
	if (anchor && add_anchor(L, anchor, ev->start_mark, &slot) < 0)
		return NULL;
	if (++L->depth > MAX_DEPTH) {
		fail(L, NULL, NULL, "nesting deeper than 1000 levels", &ev->start_mark);
		return NULL;
	}
	struct ynode *n;
	if (ev->type == YAML_SCALAR_EVENT)
		n = compose_scalar(L, ev);
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		n = compose_sequence(L, ev);
	else
		n = compose_mapping(L, ev);
	L->depth--;
	if (n && anchor)
		L->anchors[slot].node = n;
	return n;
}

static struct ynode *compose_stream(struct loader *L)
{
	yaml_event_t ev;
	if (next_event(L, &ev) < 0)
		return NULL;
	yaml_event_delete(&ev); /* STREAM-START */
	if (next_event(L, &ev) < 0)
		return NULL;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		struct ynode *n = ynode_new_null(L->doc);
		if (!n)
			oom(L);
		return n;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if (next_event(L, &ev) < 0)
		return NULL;
	struct ynode *root = compose(L, &ev);
	yaml_mark_t root_mark = ev.start_mark;
	yaml_event_delete(&ev);
	if (!root)
		return NULL;
	if (next_event(L, &ev) < 0) /* DOCUMENT-END */
		return NULL;
	yaml_event_delete(&ev);
	if (next_event(L, &ev) < 0)
		return NULL;
	if (ev.type != YAML_STREAM_END_EVENT) {
		fail(L, "expected a single document in the stream", &root_mark,
		     "but found another document", &ev.start_mark);
		yaml_event_delete(&ev);
		return NULL;
	}
	yaml_event_delete(&ev);
	return root;
}

struct ydoc *yaml_load(const char *buf, size_t len, const char *name, struct yaml_error *err)
{
	struct loader L;
	memset(&L, 0, sizeof(L));
	memset(err, 0, sizeof(*err));
	L.buf = buf;
	L.len = len;
	L.name = name ? name : "<byte string>";
	L.err = err;
	L.doc = ydoc_new();
	if (!L.doc || !yaml_parser_initialize(&L.parser)) {
		ydoc_free(L.doc);
		err->line = err->col = 1;
		err->message = strdup("out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&L.parser, (const unsigned char *)buf, len);
	struct ynode *root = compose_stream(&L);
	if (!L.failed && L.have_cerr) {
		*err = L.cerr;
		L.cerr.message = NULL;
		L.failed = 1;
	}
	free(L.cerr.message);
	yaml_parser_delete(&L.parser);
	for (size_t i = 0; i < L.nanchors; i++)
		free(L.anchors[i].name);
	free(L.anchors);
	if (L.failed || !root) {
		if (!err->message) {
			err->line = err->col = 1;
			err->message = strdup("out of memory");
		}
		ydoc_free(L.doc);
		return NULL;
	}
	ydoc_set_root(L.doc, root);
	return L.doc;
}

void yaml_error_free(struct yaml_error *err)
{
	if (err) {
		free(err->message);
		err->message = NULL;
	}
}
