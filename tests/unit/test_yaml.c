/* common/yaml.c, yaml_node.c, json.c, pyrepr.c, pyregex.c */
#include "json.h"
#include "pyregex.h"
#include "pyrepr.h"
#include "strbuf.h"
#include "testlib.h"
#include "yaml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ydoc *load(const char *text)
{
	struct yaml_error err;
	struct ydoc *d = yaml_load(text, strlen(text), NULL, &err);
	if (!d) {
		printf("load failed: %s\n", err.message);
		yaml_error_free(&err);
	}
	return d;
}

/* The kind of `v: TEXT`. */
static enum ykind kind_of(const char *scalar)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "v: %s\n", scalar);
	struct ydoc *d = load(buf);
	enum ykind k = d ? ymap_get(ydoc_root(d), "v")->kind : (enum ykind)-1;
	ydoc_free(d);
	return k;
}

static long long int_of(const char *scalar)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "v: %s\n", scalar);
	struct ydoc *d = load(buf);
	long long v = d ? ymap_get(ydoc_root(d), "v")->i : -999;
	ydoc_free(d);
	return v;
}

static void test_typing(void)
{
	t_group("yaml scalar typing (PyYAML SafeLoader)");
	const char *bools[] = {"yes", "Yes", "YES", "no", "On", "OFF", "true", "False", "TRUE"};
	for (size_t i = 0; i < sizeof(bools) / sizeof(*bools); i++)
		CHECK_INT(kind_of(bools[i]), Y_BOOL);
	CHECK_INT(kind_of("tRUE"), Y_STR);
	CHECK_INT(kind_of("y"), Y_STR);
	CHECK_INT(kind_of("'yes'"), Y_STR);
	CHECK_INT(kind_of("~"), Y_NULL);
	CHECK_INT(kind_of("null"), Y_NULL);
	CHECK_INT(kind_of(""), Y_NULL);
	CHECK_INT(int_of("0644"), 420);
	CHECK_INT(int_of("0x1A"), 26);
	CHECK_INT(int_of("0b101"), 5);
	CHECK_INT(int_of("1_000"), 1000);
	CHECK_INT(int_of("12:30"), 750);
	CHECK_INT(int_of("-42"), -42);
	CHECK_INT(kind_of("0o644"), Y_STR);
	CHECK_INT(kind_of("08"), Y_STR);
	CHECK_INT(kind_of("1e3"), Y_STR);
	CHECK_INT(kind_of("1.0e+3"), Y_FLOAT);
	CHECK_INT(kind_of("1."), Y_FLOAT);
	CHECK_INT(kind_of(".5"), Y_FLOAT);
	CHECK_INT(kind_of("-.inf"), Y_FLOAT);
	CHECK_INT(kind_of(".NaN"), Y_FLOAT);
	CHECK_INT(kind_of("2024-01-02"), Y_TIME);
	CHECK_INT(kind_of("2024-01-02 10:20:30"), Y_TIME);
	CHECK_INT(kind_of("2024-1-2T10:20:30Z"), Y_TIME);
	CHECK_INT(kind_of("!!str 0644"), Y_STR);
	CHECK_INT(kind_of("!!binary aGk="), Y_BYTES);
	CHECK_INT(kind_of("123456789012345678901234567890"), Y_INT);

	struct ydoc *d = load("a: 0644\nb: '0644'\nc: |\n  x\n");
	struct ynode *r = ydoc_root(d);
	CHECK_STR(ymap_get(r, "a")->text, "0644");
	CHECK_INT(ymap_get(r, "a")->style, YS_PLAIN);
	CHECK_INT(ymap_get(r, "b")->style, YS_SINGLE);
	CHECK_STR(ymap_get_str(r, "b"), "0644");
	CHECK_STR(ymap_get_str(r, "c"), "x\n");
	CHECK_INT(ymap_get(r, "c")->line, 3);
	CHECK_INT(ymap_get(r, "c")->col, 4);
	CHECK_INT(ymap_key(r, 1)->line, 2);
	ydoc_free(d);
}

static void test_structure(void)
{
	t_group("yaml anchors, merges, duplicates");
	struct ydoc *d = load("base: &b {x: 1, y: 2}\n"
	                      "m:\n  <<: *b\n  y: 9\n"
	                      "l:\n  <<: [{p: 1}, {p: 2, q: 3}]\n"
	                      "k: 1\nk: 2\n");
	struct ynode *r = ydoc_root(d);
	CHECK(r && r->kind == Y_MAP);
	struct ynode *m = ymap_get(r, "m");
	CHECK_INT(ynode_count(m), 2);
	CHECK_INT(ymap_get(m, "x")->i, 1);
	CHECK_INT(ymap_get(m, "y")->i, 9);
	struct ynode *l = ymap_get(r, "l");
	CHECK_INT(ymap_get(l, "p")->i, 1); /* earlier maps win */
	CHECK_INT(ymap_get(l, "q")->i, 3);
	CHECK_INT(ynode_count(r), 4); /* k once: last value, first position */
	CHECK_INT(ymap_get(r, "k")->i, 2);
	CHECK(ymap_get(r, "nope") == NULL);
	ydoc_free(d);

	d = load("1: a\ntrue: b\n1.0: c\n");
	CHECK_INT(ynode_count(ydoc_root(d)), 1); /* 1 == True == 1.0 */
	ydoc_free(d);

	struct yaml_error err;
	const char *bad[][2] = {
		{"a: *nope\n", "undefined alias"},
		{"a: &x 1\nb: &x 2\n", "duplicate anchor"},
		{"? [a]\n: b\n", "unhashable"},
		{"a: !foo x\n", "could not determine a constructor"},
		{"a: =\n", "could not determine a constructor"},
		{"a: 1\n---\nb: 2\n", "expected a single document"},
		{"a:\n\t- x\n", "cannot start any token"},
		{"a: [1, 2\n", "flow sequence"},
		{"a: 2024-13-45\n", "timestamp"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		d = yaml_load(bad[i][0], strlen(bad[i][0]), NULL, &err);
		CHECK(d == NULL);
		CHECK(err.message && strstr(err.message, bad[i][1]));
		if (!err.message || !strstr(err.message, bad[i][1]))
			printf("  got: %s\n", err.message);
		yaml_error_free(&err);
	}
	/* positions are the ones cloud-init reports */
	d = yaml_load("a: 1\nb: \"x\nc: 2\n", 16, NULL, &err);
	CHECK(!d && err.line == 2 && err.col == 4);
	yaml_error_free(&err);
	d = yaml_load("a:\n  - b\n c: 1\n", 15, NULL, &err);
	CHECK(!d);
	yaml_error_free(&err);

	/* alias bombs fail cleanly */
	const char *bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	                   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	                   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	                   "g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
	d = yaml_load(bomb, strlen(bomb), NULL, &err);
	CHECK(d == NULL && err.message && strstr(err.message, "aliases"));
	yaml_error_free(&err);

	d = load("");
	CHECK(d && ydoc_root(d)->kind == Y_NULL);
	ydoc_free(d);
	d = load("# only a comment\n");
	CHECK(d && ydoc_root(d)->kind == Y_NULL);
	ydoc_free(d);
	d = load("a: 1\r\nb: [x, y]\r\n");
	CHECK(d && ynode_count(ymap_get(ydoc_root(d), "b")) == 2);
	ydoc_free(d);
	d = load("\xef\xbb\xbf" "a: 1\n");
	CHECK(d && ymap_get(ydoc_root(d), "a"));
	ydoc_free(d);
}

static void test_build_copy(void)
{
	t_group("yaml builders and copy");
	struct ydoc *d = ydoc_new();
	struct ynode *m = ynode_new_map(d);
	struct ynode *s = ynode_new_seq(d);
	CHECK(yseq_append(d, s, ynode_new_str(d, "a")) == 0);
	CHECK(yseq_append(d, s, ynode_new_int(d, 7)) == 0);
	CHECK(ymap_set(d, m, "list", s) == 0);
	CHECK(ymap_set(d, m, "flag", ynode_new_bool(d, 1)) == 0);
	CHECK(ymap_set(d, m, "flag", ynode_new_bool(d, 0)) == 0);
	CHECK_INT(ynode_count(m), 2);
	CHECK(!ynode_truthy(ymap_get(m, "flag")));
	ydoc_set_root(d, m);
	struct ydoc *d2 = ydoc_new();
	struct ynode *c = ynode_copy(d2, m);
	CHECK(ynode_equal(c, m));
	CHECK(ymap_del(m, "flag") == 1);
	CHECK(!ynode_equal(c, m));
	ydoc_free(d);
	CHECK_STR(ynode_str(yseq_at(ymap_get(c, "list"), 0)), "a");
	ydoc_free(d2);
}

static void test_json(void)
{
	t_group("json parser and writer");
	struct yaml_error err;
	const char *text = "{\"a\": [1, 2.5, true, null, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {}, \"a\": 3}";
	struct ydoc *d = json_parse(text, strlen(text), &err);
	CHECK(d != NULL);
	struct ynode *r = ydoc_root(d);
	CHECK_INT(ynode_count(r), 2);
	CHECK_INT(ymap_get(r, "a")->i, 3);
	struct strbuf sb = STRBUF_INIT;
	struct jsonw w;
	jw_init(&w, &sb, 0, 0);
	CHECK(json_write_node(&w, r) == 0);
	CHECK_STR(sb_str(&sb), "{\"a\":3,\"b\":{}}");
	ydoc_free(d);
	sb_free(&sb);

	const char *bad[] = {"", "{", "[1,]", "{\"a\" 1}", "\"abc", "tru", "1 2", "{'a': 1}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		d = json_parse(bad[i], strlen(bad[i]), &err);
		CHECK(d == NULL && err.message != NULL);
		yaml_error_free(&err);
	}
	d = json_parse("[\n  1,\n  x]", 11, &err);
	CHECK(!d && err.line == 3 && err.col == 3);
	yaml_error_free(&err);
}

static void test_repr(void)
{
	t_group("python repr");
	struct ydoc *d = load("a: [1, 'it''s', \"q\\\"\", null, yes, 1.5, 2024-01-02, {k: v}]\n");
	struct strbuf sb = STRBUF_INIT;
	py_repr(&sb, ymap_get(ydoc_root(d), "a"), 0);
	CHECK_STR(sb_str(&sb), "[1, \"it's\", 'q\"', None, True, 1.5, datetime.date(2024, 1, 2), {'k': 'v'}]");
	ydoc_free(d);
	double f[] = {1.0, 0.1, 1e16, 1e-5, 123456.789, -2.5};
	const char *want[] = {"1.0", "0.1", "1e+16", "1e-05", "123456.789", "-2.5"};
	for (size_t i = 0; i < 6; i++) {
		sb_reset(&sb);
		py_repr_float(&sb, f[i]);
		CHECK_STR(sb_str(&sb), want[i]);
	}
	sb_free(&sb);
}

static void test_regex(void)
{
	t_group("python regex subset");
	struct pyregex re;
	const char *why;
	CHECK(pyregex_compile(&re, "^([0-9]+)?\\.?[0-9]+[BKMGT]$", &why) == 0);
	CHECK(pyregex_search(&re, "1.5G"));
	CHECK(pyregex_search(&re, "512M\n")); /* $ before a final newline */
	CHECK(!pyregex_search(&re, "big"));
	pyregex_free(&re);
	CHECK(pyregex_compile(&re, "^.+:.+$", &why) == 0);
	CHECK(pyregex_search(&re, "a:b"));
	CHECK(!pyregex_search(&re, "a\n:b")); /* . does not match a newline */
	pyregex_free(&re);
	CHECK(pyregex_compile(&re, "^[0-9a-zA-Z -_]+$", &why) == 0);
	CHECK(pyregex_search(&re, "my repo"));
	CHECK(!pyregex_search(&re, "bad~"));
	pyregex_free(&re);
	CHECK(pyregex_compile(&re, "(?=x)", &why) < 0 && why);
	CHECK(pyregex_compile(&re, "a+?", &why) < 0);
	CHECK(pyregex_compile(&re, "\\d\\w\\s(?:ab)", &why) == 0);
	CHECK(pyregex_search(&re, "1a ab"));
	pyregex_free(&re);
}

int main(void)
{
	test_typing();
	test_structure();
	test_build_copy();
	test_json();
	test_repr();
	test_regex();
	return t_done();
}
