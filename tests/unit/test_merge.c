/* common/yaml_merge.c against cloud-init's own mergers: every case of
 * tests/validate/merge/cases.json is run here and its result compared, as
 * compact JSON text (key order included), with expected.json, which
 * tests/validate/merge/gen_expected.py made with the installed cloud-init
 * 22.4.2 (tests/integration/test_validate_userdata.py checks it is
 * current). Plus the spec parser and memory/ownership details. */
#include "fsutil.h"
#include "json.h"
#include "jsonw.h"
#include "testlib.h"
#include "yaml_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIR "tests/validate/merge/"

static struct ydoc *load_json(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct yaml_error err;
	struct ydoc *d = NULL;
	if (fs_read_file(path, &sb, 16u << 20) == 0)
		d = json_parse(sb.data ? sb.data : "", sb.len, &err);
	if (!d)
		fprintf(stderr, "cannot load %s (run from the repository root)\n", path);
	sb_free(&sb);
	return d;
}

static struct ydoc *load_yaml_str(const char *text)
{
	struct yaml_error err;
	struct ydoc *d = yaml_load(text, strlen(text), "<case>", &err);
	if (!d)
		yaml_error_free(&err);
	return d;
}

/* The JSON text of n (compact, UTF-8 as is), malloc'd. */
static char *to_json(const struct ynode *n)
{
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &sb, 0, 0);
	json_write_node(&w, n);
	return sb_detach(&sb);
}

static void check_result(const char *name, const struct ynode *got, int failed,
                         const struct ynode *want)
{
	t_group(name);
	const struct ynode *werr = ymap_get(want, "error");
	CHECK_INT(failed, werr && werr->b);
	if (failed)
		return;
	char *js = to_json(got);
	CHECK_STR(js, ymap_get_str(want, "result"));
	free(js);
}

static void run_parts(const char *name, const struct ynode *c, const struct ynode *want)
{
	struct cc_parts p;
	if (!CHECK(cc_parts_init(&p) == 0))
		return;
	const struct ynode *parts = ymap_get(c, "parts");
	const struct ynode *merged = ymap_get(want, "merged");
	char flags[64] = "", wflags[64] = "";
	for (size_t i = 0; i < ynode_count(parts) && i < 60; i++) {
		const struct ynode *part = yseq_at(parts, i);
		const char *yaml = ymap_get_str(part, "yaml");
		char err[256];
		struct yaml_error yerr;
		int st = cc_parts_add(&p, yaml, strlen(yaml), ymap_get_str(part, "header"), &yerr,
		                      err, sizeof(err));
		if (st == CC_PART_YAML_ERROR)
			yaml_error_free(&yerr);
		flags[i] = st == CC_PART_MERGED ? 'm' : st < 0 ? '!' : '-';
		flags[i + 1] = 0;
		wflags[i] = ynode_truthy(yseq_at(merged, i)) ? 'm' : '-';
		wflags[i + 1] = 0;
	}
	check_result(name, p.merged, 0, want);
	CHECK_STR(flags, wflags);
	cc_parts_free(&p);
}

static void run_merge(const char *name, const struct ynode *c, const struct ynode *want)
{
	struct ydoc *a = load_yaml_str(ymap_get_str(c, "a"));
	struct ydoc *b = load_yaml_str(ymap_get_str(c, "b"));
	struct ydoc *into = ydoc_new();
	struct merge_spec s;
	char err[256];
	const struct ynode *r = NULL;
	if (a && b && into && merge_spec_parse(&s, ymap_get_str(c, "how"), err, sizeof(err)) == 0) {
		/* cc_merge treats a NULL base as {}; a YAML null is a value. */
		r = cc_merge(into, ydoc_root(a), ydoc_root(b), &s, err, sizeof(err));
	}
	check_result(name, r, r == NULL, want);
	ydoc_free(a);
	ydoc_free(b);
	ydoc_free(into);
}

static void run_many(const char *name, const struct ynode *c, const struct ynode *want)
{
	const struct ynode *cfgs = ymap_get(c, "configs");
	struct ydoc *into = ydoc_new();
	struct ydoc *docs[16] = {0};
	const struct ynode *merged = NULL;
	char err[256];
	int failed = 0;
	for (size_t i = 0; into && i < ynode_count(cfgs) && i < 16 && !failed; i++) {
		docs[i] = load_yaml_str(ynode_str(yseq_at(cfgs, i)));
		merged = docs[i] ? cc_merge_config(into, merged, ydoc_root(docs[i]), err, sizeof(err)) : NULL;
		failed = merged == NULL;
	}
	check_result(name, merged, failed, want);
	for (size_t i = 0; i < 16; i++)
		ydoc_free(docs[i]);
	ydoc_free(into);
}

static void oracle_cases(void)
{
	struct ydoc *cases = load_json(DIR "cases.json");
	struct ydoc *expected = load_json(DIR "expected.json");
	if (!CHECK(cases && expected)) {
		ydoc_free(cases);
		ydoc_free(expected);
		return;
	}
	const struct ynode *list = ymap_get(ydoc_root(cases), "cases");
	CHECK(ynode_count(list) > 50);
	for (size_t i = 0; i < ynode_count(list); i++) {
		const struct ynode *c = yseq_at(list, i);
		const char *name = ymap_get_str(c, "name");
		const char *kind = ymap_get_str(c, "kind");
		const struct ynode *want = ymap_get(ydoc_root(expected), name);
		if (!CHECK(want != NULL)) {
			fprintf(stderr, "no expected result for %s: run gen_expected.py\n", name);
			continue;
		}
		if (!strcmp(kind, "parts"))
			run_parts(name, c, want);
		else if (!strcmp(kind, "merge"))
			run_merge(name, c, want);
		else
			run_many(name, c, want);
	}
	ydoc_free(cases);
	ydoc_free(expected);
}

static void spec_parser(void)
{
	struct merge_spec s;
	char err[256];
	t_group("spec parser");
	CHECK_INT(merge_spec_parse(&s, MERGE_HOW_PARTS, err, sizeof(err)), 0);
	CHECK(s.have_dict && s.have_list && s.have_str && s.dict_replace);
	CHECK_INT(s.count, 3);
	CHECK_INT(s.list_method, MERGE_LIST_REPLACE);
	CHECK_INT(merge_spec_parse(&s, MERGE_HOW_DEFAULT, err, sizeof(err)), 0);
	CHECK(!s.dict_replace);
	CHECK_INT(merge_spec_parse(&s, "list(append, recurse_dict)+dict(recurse_list)+str(append)",
	                           err, sizeof(err)), 0);
	CHECK(s.list_method == MERGE_LIST_APPEND && s.list_recurse_dict && s.dict_recurse_array &&
	      s.str_append && !s.list_recurse_array);
	CHECK_INT(merge_spec_parse(&s, "  +  + ", err, sizeof(err)), 0);
	CHECK_INT(s.count, 0);
	CHECK_INT(merge_spec_parse(&s, "dict", err, sizeof(err)), -1);
	CHECK_STR(err, "Matcher identifer 'dict' is not in the right format");
	CHECK_INT(merge_spec_parse(&s, "list()+json()", err, sizeof(err)), -1);
	CHECK_STR(err, "Could not find merger module named 'm_json'");
	CHECK_INT(merge_spec_parse(&s, "m_list(prepend)", err, sizeof(err)), 0);
	CHECK(s.have_list && s.list_method == MERGE_LIST_PREPEND);
	/* A failed add leaves the spec as it was. */
	CHECK_INT(merge_spec_add_string(&s, "dict(replace)+x", err, sizeof(err)), -1);
	CHECK(!s.have_dict && s.count == 1);
}

static void sharing(void)
{
	t_group("results share, inputs stay untouched");
	struct ydoc *a = load_yaml_str("{l: [1], d: {x: 1}, k: v}");
	struct ydoc *b = load_yaml_str("{l: [2], d: {y: 2}}");
	struct ydoc *into = ydoc_new();
	struct merge_spec s;
	char err[128];
	CHECK_INT(merge_spec_parse(&s, "dict(recurse_array)+list(append)", err, sizeof(err)), 0);
	struct ynode *r = cc_merge(into, ydoc_root(a), ydoc_root(b), &s, err, sizeof(err));
	char *js = to_json(r);
	CHECK_STR(js, "{\"l\":[1,2],\"d\":{\"x\":1,\"y\":2},\"k\":\"v\"}");
	free(js);
	js = to_json(ydoc_root(a));
	CHECK_STR(js, "{\"l\":[1],\"d\":{\"x\":1},\"k\":\"v\"}");
	free(js);
	CHECK(ymap_get(r, "k") == ymap_get(ydoc_root(a), "k"));
	/* NULL base is {}; NULL overlay keeps the base. */
	r = cc_merge(into, NULL, ydoc_root(b), &s, err, sizeof(err));
	CHECK(r && r->kind == Y_MAP && r->n == 2);
	CHECK(cc_merge(into, ydoc_root(a), NULL, &s, err, sizeof(err)) == ydoc_root(a));
	/* The merge_how key is popped, merge_type stays when merge_how is set. */
	struct ydoc *c = load_yaml_str("{merge_how: 'list(append)', merge_type: x, a: 1}");
	const struct ynode *rest;
	merge_spec_init(&s);
	CHECK_INT(cc_extract_mergers(into, ydoc_root(c), &rest, &s, err, sizeof(err)), 0);
	CHECK(s.have_list && !s.have_dict && ymap_get(rest, "merge_type") && !ymap_get(rest, "merge_how"));
	CHECK(ymap_get(ydoc_root(c), "merge_how") != NULL);
	ydoc_free(c);
	ydoc_free(a);
	ydoc_free(b);
	ydoc_free(into);
}

int main(void)
{
	oracle_cases();
	spec_parser();
	sharing();
	return t_done();
}
