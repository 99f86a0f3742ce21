/* The ynode tree: documents, builders, readers, copy and equality.
 * The libyaml loader lives in yaml.c. */
#include "yaml.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ydoc {
	struct ynode *root;
	struct ynode **all; /* every node, for ydoc_free */
	size_t n, cap;
};

struct ydoc *ydoc_new(void)
{
	return calloc(1, sizeof(struct ydoc));
}

void ydoc_free(struct ydoc *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->all[i]->items);
		free(d->all[i]->owned);
		free(d->all[i]->owned2);
		free(d->all[i]);
	}
	free(d->all);
	free(d);
}

struct ynode *ydoc_root(const struct ydoc *d)
{
	return d ? d->root : NULL;
}

void ydoc_set_root(struct ydoc *d, struct ynode *root)
{
	d->root = root;
}

static struct ynode *node_new(struct ydoc *d, enum ykind kind)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct ynode **all = realloc(d->all, cap * sizeof(*all));
		if (!all)
			return NULL;
		d->all = all;
		d->cap = cap;
	}
	struct ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->text = "";
	n->weight = 1;
	d->all[d->n++] = n;
	return n;
}

/* Gives n its own NUL-terminated copy of text (len bytes). */
static int node_set_text(struct ynode *n, const char *text, size_t len)
{
	char *t = malloc(len + 1);
	if (!t)
		return -1;
	if (len)
		memcpy(t, text, len);
	t[len] = 0;
	free(n->owned);
	n->owned = t;
	n->text = t;
	n->text_len = len;
	return 0;
}

struct ynode *ynode_new_null(struct ydoc *d)
{
	return node_new(d, Y_NULL);
}

struct ynode *ynode_new_bool(struct ydoc *d, int b)
{
	struct ynode *n = node_new(d, Y_BOOL);
	if (n)
		n->b = !!b;
	return n;
}

struct ynode *ynode_new_int(struct ydoc *d, long long i)
{
	struct ynode *n = node_new(d, Y_INT);
	if (n) {
		n->i = i;
		n->f = (double)i;
	}
	return n;
}

struct ynode *ynode_new_float(struct ydoc *d, double f)
{
	struct ynode *n = node_new(d, Y_FLOAT);
	if (n)
		n->f = f;
	return n;
}

struct ynode *ynode_new_strn(struct ydoc *d, const char *s, size_t len)
{
	struct ynode *n = node_new(d, Y_STR);
	if (!n || node_set_text(n, s, len) < 0)
		return NULL;
	n->str = n->text;
	n->len = len;
	return n;
}

struct ynode *ynode_new_str(struct ydoc *d, const char *s)
{
	return ynode_new_strn(d, s, strlen(s));
}

struct ynode *ynode_new_bytes(struct ydoc *d, const void *data, size_t len)
{
	struct ynode *n = node_new(d, Y_BYTES);
	if (!n)
		return NULL;
	char *b = malloc(len + 1);
	if (!b)
		return NULL;
	if (len)
		memcpy(b, data, len);
	b[len] = 0;
	n->owned2 = b;
	n->str = b;
	n->len = len;
	return n;
}

struct ynode *ynode_new_seq(struct ydoc *d)
{
	return node_new(d, Y_SEQ);
}

struct ynode *ynode_new_map(struct ydoc *d)
{
	return node_new(d, Y_MAP);
}

static int items_reserve(struct ynode *n, size_t want)
{
	if (want <= n->cap)
		return 0;
	size_t cap = n->cap ? n->cap * 2 : 8;
	while (cap < want)
		cap *= 2;
	struct ynode **items = realloc(n->items, cap * sizeof(*items));
	if (!items)
		return -1;
	n->items = items;
	n->cap = cap;
	return 0;
}

int yseq_append(struct ydoc *d, struct ynode *seq, struct ynode *item)
{
	(void)d;
	if (!seq || seq->kind != Y_SEQ || !item || items_reserve(seq, seq->n + 1) < 0)
		return -1;
	seq->items[seq->n++] = item;
	seq->weight += item->weight;
	return 0;
}

int ymap_set_node(struct ydoc *d, struct ynode *map, struct ynode *key, struct ynode *value)
{
	(void)d;
	if (!map || map->kind != Y_MAP || !key || !value)
		return -1;
	for (size_t i = 0; i < map->n; i++) {
		if (ynode_equal(map->items[2 * i], key)) {
			map->weight -= map->items[2 * i + 1]->weight;
			map->items[2 * i + 1] = value;
			map->weight += value->weight;
			return 0;
		}
	}
	if (items_reserve(map, 2 * map->n + 2) < 0)
		return -1;
	map->items[2 * map->n] = key;
	map->items[2 * map->n + 1] = value;
	map->n++;
	map->weight += key->weight + value->weight;
	return 0;
}

int ymap_set(struct ydoc *d, struct ynode *map, const char *key, struct ynode *value)
{
	struct ynode *k = ynode_new_str(d, key);
	return k ? ymap_set_node(d, map, k, value) : -1;
}

int ymap_del(struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return 0;
	for (size_t i = 0; i < map->n; i++) {
		if (ynode_is_str(map->items[2 * i], key)) {
			memmove(&map->items[2 * i], &map->items[2 * i + 2],
			        (map->n - i - 1) * 2 * sizeof(*map->items));
			map->n--;
			return 1;
		}
	}
	return 0;
}

struct ynode *ynode_copy(struct ydoc *d, const struct ynode *n)
{
	if (!n)
		return NULL;
	struct ynode *c = node_new(d, n->kind);
	if (!c)
		return NULL;
	c->style = n->style;
	c->line = n->line;
	c->col = n->col;
	c->tag = n->tag; /* tags are static strings or interned by the loader's doc */
	c->b = n->b;
	c->i = n->i;
	c->big = n->big;
	c->f = n->f;
	if (n->text_len && node_set_text(c, n->text, n->text_len) < 0)
		return NULL;
	if (n->kind == Y_STR) {
		if (!n->text_len && n->len && node_set_text(c, n->str, n->len) < 0)
			return NULL;
		c->str = c->text;
		c->len = c->text_len;
	} else if (n->kind == Y_BYTES) {
		char *b = malloc(n->len + 1);
		if (!b)
			return NULL;
		memcpy(b, n->str, n->len);
		b[n->len] = 0;
		c->owned2 = b;
		c->str = b;
		c->len = n->len;
	}
	if (n->kind == Y_SEQ || n->kind == Y_MAP) {
		size_t count = n->kind == Y_MAP ? 2 * n->n : n->n;
		if (items_reserve(c, count) < 0)
			return NULL;
		for (size_t i = 0; i < count; i++) {
			c->items[i] = ynode_copy(d, n->items[i]);
			if (!c->items[i])
				return NULL;
			c->weight += c->items[i]->weight;
		}
		c->n = n->n;
	}
	return c;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != Y_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (ynode_is_str(map->items[2 * i], key))
			return map->items[2 * i + 1];
	return NULL;
}

const char *ymap_get_str(const struct ynode *map, const char *key)
{
	return ynode_str(ymap_get(map, key));
}

struct ynode *ymap_key(const struct ynode *map, size_t i)
{
	return map && map->kind == Y_MAP && i < map->n ? map->items[2 * i] : NULL;
}

struct ynode *ymap_value(const struct ynode *map, size_t i)
{
	return map && map->kind == Y_MAP && i < map->n ? map->items[2 * i + 1] : NULL;
}

struct ynode *yseq_at(const struct ynode *seq, size_t i)
{
	return seq && seq->kind == Y_SEQ && i < seq->n ? seq->items[i] : NULL;
}

size_t ynode_count(const struct ynode *n)
{
	return n && (n->kind == Y_SEQ || n->kind == Y_MAP) ? n->n : 0;
}

const char *ynode_str(const struct ynode *n)
{
	return n && n->kind == Y_STR ? n->str : NULL;
}

int ynode_is_str(const struct ynode *n, const char *s)
{
	size_t len = strlen(s);
	return n && n->kind == Y_STR && n->len == len && memcmp(n->str, s, len) == 0;
}

int ynode_truthy(const struct ynode *n)
{
	if (!n)
		return 0;
	switch (n->kind) {
	case Y_NULL: return 0;
	case Y_BOOL: return n->b;
	case Y_INT: return n->big || n->i != 0;
	case Y_FLOAT: return n->f != 0.0;
	case Y_STR: case Y_BYTES: return n->len != 0;
	case Y_TIME: return 1;
	case Y_SEQ: case Y_MAP: return n->n != 0;
	}
	return 0;
}

static int is_number(const struct ynode *n)
{
	return n->kind == Y_BOOL || n->kind == Y_INT || n->kind == Y_FLOAT;
}

int ynode_equal(const struct ynode *a, const struct ynode *b)
{
	if (!a || !b)
		return a == b;
	if (a == b)
		return 1;
	if (is_number(a) && is_number(b)) {
		if (a->kind == Y_INT && b->kind == Y_INT) {
			if (a->big || b->big)
				return a->big && b->big && strcmp(a->text, b->text) == 0;
			return a->i == b->i;
		}
		double x = a->kind == Y_BOOL ? a->b : a->f;
		double y = b->kind == Y_BOOL ? b->b : b->f;
		return x == y;
	}
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case Y_NULL: return 1;
	case Y_STR: case Y_BYTES:
		return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
	case Y_TIME: return strcmp(a->text, b->text) == 0;
	case Y_SEQ:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++)
			if (!ynode_equal(a->items[i], b->items[i]))
				return 0;
		return 1;
	case Y_MAP:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++) {
			size_t j;
			for (j = 0; j < b->n; j++)
				if (ynode_equal(a->items[2 * i], b->items[2 * j]))
					break;
			if (j == b->n || !ynode_equal(a->items[2 * i + 1], b->items[2 * j + 1]))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

const char *ykind_name(enum ykind k)
{
	static const char *const names[] = {"null", "bool", "int", "float", "str",
	                                     "bytes", "timestamp", "seq", "map"};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}
