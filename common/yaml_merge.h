/* cloud-init 22.4.2's config merging (cloudinit/mergers) on ynode trees:
 * the dict/list/str mergers and their options, merge_how / merge_type in
 * both spellings, the Merge-Type header, the CloudConfigPartHandler that
 * merges the cloud-config parts of one user-data, and util.mergemanydict.
 *
 * Semantics (the Python classes, reproduced case by case):
 *  - A merge dispatches on the kind of the *existing* value: a map goes to
 *    the dict merger, a list to the list merger, a string to the str
 *    merger. Anything else (null, bool, int, float, bytes, timestamps), or
 *    a kind whose merger is not named, keeps the existing value.
 *  - dict: "replace" puts the new value in; "no_replace" (default) keeps an
 *    existing key's value, except that a new map is always merged into it
 *    recursively, a new list with recurse_array/recurse_list and a new
 *    string with recurse_str. allow_delete: a new null removes the key.
 *    A non-map on the right keeps the left.
 *  - list: "replace" (default) replaces a list by a non-list and replaces
 *    index by index (recurse_array/recurse_dict/recurse_str merge the
 *    items instead); "append"/"prepend" concatenate; "no_replace" keeps the
 *    left. Python iteration rules apply to a non-list right-hand side (a
 *    string appends its characters, a map its keys, an int is an error).
 *  - str: "append" concatenates; otherwise the new value wins.
 *  - For each kind the first merger named wins ("list(append)+list()" is
 *    append); an unknown merger name is an error.
 *
 * Memory: results share unchanged subtrees with both inputs, as Python's
 * merge shares objects; only new containers and concatenated strings are
 * allocated in the `into` document. Keep the documents of base and
 * overlay alive as long as the result (or ynode_copy it). Nothing is ever
 * modified in place.
 *
 * Errors: functions that take (err, errlen) return -1 / NULL with a
 * message in err; "out of memory" (errno ENOMEM) is one of them. */
#ifndef EGS_YAML_MERGE_H
#define EGS_YAML_MERGE_H

#include <stddef.h>

#include "yaml.h"

/* mergers.DEF_MERGE_TYPE: util.mergemanydict's default (system config,
 * vendor-data and user-data assembly, cloud-init.md 2.2). */
#define MERGE_HOW_DEFAULT "list()+dict()+str()"
/* handlers/cloud_config.py DEF_MERGERS: between the cloud-config parts of
 * one user-data (cloud-init.md 3.5). */
#define MERGE_HOW_PARTS "dict(replace)+list()+str()"

enum merge_list_method {
	MERGE_LIST_REPLACE, /* the default */
	MERGE_LIST_APPEND,
	MERGE_LIST_PREPEND,
	MERGE_LIST_NO_REPLACE,
};

struct merge_spec {
	size_t count; /* mergers named so far; 0 means "use a default" */
	int have_dict, have_list, have_str;
	/* dict(...) */
	int dict_replace; /* 0: no_replace */
	int dict_recurse_str, dict_recurse_array, dict_allow_delete;
	/* list(...) */
	enum merge_list_method list_method;
	int list_recurse_str, list_recurse_dict, list_recurse_array;
	/* str(...) */
	int str_append;
};

/* An empty spec (no mergers: merging keeps the left side). */
void merge_spec_init(struct merge_spec *s);
/* Adds the mergers of a string such as "list(append)+dict(recurse_array)"
 * (mergers.string_extract_mergers: case-insensitive, "-" means "_",
 * empty items skipped). Returns 0, or -1 with err ("Matcher identifer
 * 'x' is not in the right format", "Could not find merger module named
 * 'm_x'"). */
int merge_spec_add_string(struct merge_spec *s, const char *how, char *err, size_t errlen);
/* Adds the mergers of a merge_how/merge_type value as
 * mergers.dict_extract_mergers reads it: a string as above, or a list of
 * {name: dict, settings: [replace, ...]} maps or of [name, option, ...]
 * lists. Python's quirks are kept: settings given as a string match by
 * substring ("no_replace" contains "replace"), a string item is split
 * into its first character and the rest. Returns 0 or -1 with err. */
int merge_spec_add_node(struct merge_spec *s, const struct ynode *how, char *err, size_t errlen);
/* merge_spec_init + merge_spec_add_string. */
int merge_spec_parse(struct merge_spec *s, const char *how, char *err, size_t errlen);

/* merger.merge(base, overlay): the merged value (a node of into, base or
 * overlay), or NULL with err (Python TypeErrors/KeyErrors such as
 * "'int' object is not iterable", or out of memory). base NULL means {}. */
struct ynode *cc_merge(struct ydoc *into, const struct ynode *base, const struct ynode *overlay,
                       const struct merge_spec *how, char *err, size_t errlen);

/* mergers.dict_extract_mergers: the mergers named by the map cfg's
 * merge_how (or, when that is absent or null, merge_type) are added to s,
 * and *rest receives cfg without the key(s) dict.pop removes (a new map in
 * into, sharing the values; cfg itself when nothing is removed). Returns
 * 0, or -1 with err. */
int cc_extract_mergers(struct ydoc *into, const struct ynode *cfg, const struct ynode **rest,
                       struct merge_spec *s, char *err, size_t errlen);

/* One step of util.mergemanydict: merges the config cfg (a map; null or
 * empty is skipped) into merged (NULL: {}) with cfg's own merge_how or
 * MERGE_HOW_DEFAULT. Returns the new merged map or NULL with err. */
struct ynode *cc_merge_config(struct ydoc *into, const struct ynode *merged,
                              const struct ynode *cfg, char *err, size_t errlen);

/* handlers/cloud_config.py CloudConfigPartHandler: the cloud-config parts
 * of one user-data, merged in order into `merged`. */
struct cc_parts {
	struct ydoc *doc;      /* owns the merged containers */
	struct ydoc **docs;    /* docs[i]: part i's parsed YAML, or NULL */
	size_t ndocs;          /* number of cc_parts_add calls */
	struct ynode *merged;  /* cloud_buf: NULL until the first part, then a map */
	size_t nmerged;        /* parts merged in (the "# from N files" count) */
};

enum cc_part_status {
	CC_PART_MERGED,      /* merged in */
	CC_PART_EMPTY,       /* null/empty YAML: cloud-init "empty cloud config" */
	CC_PART_YAML_ERROR,  /* not YAML: *yerr filled (cloud-init: empty cloud config) */
	CC_PART_NOT_DICT,    /* YAML, but not a map (cloud-init: empty cloud config) */
	CC_PART_MERGE_ERROR, /* bad merge_how/Merge-Type, or a merge TypeError: err */
};

/* Initialises p. Returns 0 or -1 (ENOMEM). */
int cc_parts_init(struct cc_parts *p);
/* Merges one text/cloud-config part (payload, len bytes, with its
 * "#cloud-config" line) with its Merge-Type header (NULL or ""). Returns
 * an enum cc_part_status; for every status but CC_PART_MERGED the part is
 * skipped, as cloud-init does with a warning. yerr (may be NULL) is filled
 * for CC_PART_YAML_ERROR and must then be released with yaml_error_free.
 * Returns -1 on ENOMEM. */
int cc_parts_add(struct cc_parts *p, const char *payload, size_t len, const char *merge_header,
                 struct yaml_error *yerr, char *err, size_t errlen);
void cc_parts_free(struct cc_parts *p);

#endif
