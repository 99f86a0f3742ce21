/* A small YAML tree with PyYAML SafeLoader semantics (YAML 1.1), as
 * cloud-init loads user-data: libyaml events become ynodes that keep their
 * line/column, their source text and their quoting style.
 *
 * Memory: every node belongs to a struct ydoc and is freed with it. Aliases
 * share the anchored node (the tree is a DAG, exactly like the Python
 * objects PyYAML builds); ynode_copy() expands them into a plain tree.
 * Parsed nodes are meant to be read only; the builders below (ynode_new_*,
 * yseq_append, ymap_set*) mutate nodes the caller created.
 *
 * Scalar typing (plain scalars only, as PyYAML's resolver):
 *   null   ~ null Null NULL and the empty scalar
 *   bool   yes/no/true/false/on/off in lower, Capitalised or UPPER case
 *   int    0b101, 0644 (octal), 0x1A, 1_000, 190:20:30 (base 60)
 *   float  1.5, 1., .5, 1.0e+3 (the exponent needs a sign), .inf, .nan
 *   time   2024-01-02 and 2024-01-02 10:20:30[.f][Z|+hh:mm] (Y_TIME)
 * Quoted scalars and "0o644", "1e3" are strings. Explicit tags !!str,
 * !!int, !!float, !!bool, !!null, !!binary (Y_BYTES), !!timestamp, !!seq,
 * !!map, !!set, !!omap/!!pairs work; any other tag is an error, as in
 * SafeLoader. Duplicate keys: the key keeps its first position and takes
 * the last value (Python dict semantics, where 1 == 1.0 == true).
 * Merge keys "<<" work (a map or a list of maps; own keys win). */
#ifndef EGS_YAML_H
#define EGS_YAML_H

#include <stddef.h>

enum ykind {
	Y_NULL,
	Y_BOOL,
	Y_INT,
	Y_FLOAT,
	Y_STR,
	Y_BYTES, /* !!binary: str/len hold the decoded bytes */
	Y_TIME,  /* an implicit or !!timestamp date/datetime: text holds it */
	Y_SEQ,
	Y_MAP,
};

enum ystyle {
	YS_NONE,   /* built in code */
	YS_PLAIN,
	YS_SINGLE, /* 'quoted' */
	YS_DOUBLE, /* "quoted" */
	YS_LITERAL,/* | */
	YS_FOLDED, /* > */
	YS_BLOCK,  /* block sequence or mapping */
	YS_FLOW,   /* [flow] or {flow} */
};

struct ynode {
	enum ykind kind;
	enum ystyle style;
	int line, col;   /* 1-based position of the node's start; 0 if built */
	const char *tag; /* the explicit tag as written/resolved ("tag:yaml.org,2002:int"), or NULL */
	/* Scalars: the scalar's text after YAML unescaping ("0644" for 0644),
	 * NUL-terminated. "" for collections. */
	const char *text;
	size_t text_len;
	/* Y_STR: the value (same as text); Y_BYTES: the decoded bytes (+NUL). */
	const char *str;
	size_t len;
	int b;         /* Y_BOOL */
	long long i;   /* Y_INT (when !big) */
	int big;       /* Y_INT does not fit a long long; f approximates it */
	double f;      /* Y_FLOAT; also Y_INT as a double */
	/* Y_SEQ: n items in items[0..n-1].
	 * Y_MAP: n pairs, key i in items[2i], value i in items[2i+1]. */
	size_t n;
	struct ynode **items;
	/* internal */
	size_t cap;
	size_t weight; /* node count with aliases expanded */
	char *owned;   /* text buffer freed with the node */
	char *owned2;  /* second buffer (Y_BYTES data) */
};

struct ydoc;

/* Why a load failed, in the form cloud-init reports it. */
struct yaml_error {
	int line, col; /* 1-based mark cloud-init uses (context mark, else problem mark, else 1.1) */
	char *message; /* PyYAML-style text (may span lines); malloc'd */
};

/* Loads one YAML document from buf (len bytes, UTF-8; a UTF-8 BOM is
 * skipped) as cloud-init's safeyaml.load does. name appears in error marks
 * (PyYAML says "<byte string>" for bytes). An empty stream gives a doc
 * whose root is a Y_NULL node. On failure returns NULL and fills *err
 * (release it with yaml_error_free). Nesting is limited to 1000 levels and
 * alias expansion to YAML_MAX_WEIGHT nodes (billion laughs). */
struct ydoc *yaml_load(const char *buf, size_t len, const char *name,
                       struct yaml_error *err);
#define YAML_MAX_WEIGHT 1000000
void yaml_error_free(struct yaml_error *err);

/* An empty document for building nodes (root NULL until ydoc_set_root). */
struct ydoc *ydoc_new(void);
/* Frees the document and every node in it. NULL is fine. */
void ydoc_free(struct ydoc *d);
struct ynode *ydoc_root(const struct ydoc *d);
void ydoc_set_root(struct ydoc *d, struct ynode *root);

/* Builders: each returns a node owned by d, or NULL on ENOMEM. */
struct ynode *ynode_new_null(struct ydoc *d);
struct ynode *ynode_new_bool(struct ydoc *d, int b);
struct ynode *ynode_new_int(struct ydoc *d, long long i);
struct ynode *ynode_new_float(struct ydoc *d, double f);
struct ynode *ynode_new_str(struct ydoc *d, const char *s);
struct ynode *ynode_new_strn(struct ydoc *d, const char *s, size_t len);
struct ynode *ynode_new_bytes(struct ydoc *d, const void *data, size_t len);
struct ynode *ynode_new_seq(struct ydoc *d);
struct ynode *ynode_new_map(struct ydoc *d);
/* Appends item to seq. Returns 0, or -1 (ENOMEM, or seq not a Y_SEQ). */
int yseq_append(struct ydoc *d, struct ynode *seq, struct ynode *item);
/* Sets map[key] = value with Python dict semantics (an equal key is
 * replaced in place, else the pair is appended). Returns 0 or -1. */
int ymap_set_node(struct ydoc *d, struct ynode *map, struct ynode *key, struct ynode *value);
/* The same with a string key. */
int ymap_set(struct ydoc *d, struct ynode *map, const char *key, struct ynode *value);
/* Removes the string key if present. Returns 1 if removed, else 0. */
int ymap_del(struct ynode *map, const char *key);

/* Deep copy of n (from any document) into d, expanding aliases. */
struct ynode *ynode_copy(struct ydoc *d, const struct ynode *n);

/* Readers. All accept NULL and wrong kinds (returning NULL/0). */
/* map[key] for a string key, or NULL. */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* The value's string if map[key] is a Y_STR, else NULL. */
const char *ymap_get_str(const struct ynode *map, const char *key);
struct ynode *ymap_key(const struct ynode *map, size_t i);
struct ynode *ymap_value(const struct ynode *map, size_t i);
struct ynode *yseq_at(const struct ynode *seq, size_t i);
/* Number of items (Y_SEQ) or pairs (Y_MAP); 0 for scalars. */
size_t ynode_count(const struct ynode *n);
/* The Y_STR value or NULL. */
const char *ynode_str(const struct ynode *n);
/* 1 if n is a Y_STR equal to s. */
int ynode_is_str(const struct ynode *n, const char *s);
/* Python truthiness: null, false, 0, 0.0, "", empty seq/map are false. */
int ynode_truthy(const struct ynode *n);
/* Python ==: numbers compare by value (true == 1 == 1.0), strings and bytes
 * by content, collections element-wise (maps ignoring order). */
int ynode_equal(const struct ynode *a, const struct ynode *b);
/* "null", "bool", "int", "float", "str", "bytes", "timestamp", "seq", "map" */
const char *ykind_name(enum ykind k);

#endif
