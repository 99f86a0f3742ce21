#!/usr/bin/python3
"""Writes cases.json: the merge cases tests/unit/test_merge.c and
tests/integration/test_validate_userdata.py check (edit here, then run
this and gen_expected.py). kinds:
  parts  cloud-config parts merged as CloudConfigPartHandler does;
         each part is {"yaml": text, "header": Merge-Type or absent}
  merge  mergers.construct(string_extract_mergers(how)).merge(a, b)
  many   util.mergemanydict(configs)
YAML texts keep YAML 1.1 types (octal, yes/no, !!binary, dates)."""
import json
import os

CC = "#cloud-config\n"
cases = []


def parts(name, *ps):
    cases.append({"name": name, "kind": "parts",
                  "parts": [p if isinstance(p, dict) else {"yaml": p} for p in ps]})


def merge(name, how, a, b):
    cases.append({"name": name, "kind": "merge", "how": how, "a": a, "b": b})


def many(name, *configs):
    cases.append({"name": name, "kind": "many", "configs": list(configs)})


# --- parts: the default dict(replace)+list()+str() between parts ---------
parts("single", CC + "runcmd: [a]\nhostname: h\n")
parts("default-replaces-lists", CC + "runcmd: [a]\n", CC + "runcmd: [b]\n")
parts("default-replaces-dicts", CC + "apt: {a: 1, b: 2}\n", CC + "apt: {b: 3}\n")
parts("default-adds-keys", CC + "a: 1\n", CC + "b: 2\n", CC + "c: 3\n")
parts("merge-how-string-append", CC + "runcmd: [a]\nd: {x: 1}\n",
      CC + "merge_how: 'list(append)+dict(recurse_array)+str()'\nruncmd: [b]\nd: {x: 9}\n")
parts("merge-how-no-recurse-array", CC + "runcmd: [a]\n",
      CC + "merge_how: 'list(append)+dict()+str()'\nruncmd: [b]\n")
parts("merge-how-prepend", CC + "runcmd: [a, b]\n",
      CC + "merge_how: 'dict(recurse_array)+list(prepend)'\nruncmd: [c]\n")
parts("merge-how-list-form", CC + "runcmd: [a]\nusers: [u1]\n",
      CC + "merge_how:\n - name: list\n   settings: [append]\n - name: dict\n   settings: [no_replace, recurse_list]\nruncmd: [b]\nusers: [u2]\n")
parts("merge-type-key", CC + "packages: [p1]\n",
      CC + "merge_type: 'list(append)+dict(recurse_array)+str()'\npackages: [p2]\n")
parts("merge-how-and-type", CC + "packages: [p1]\n",
      CC + "merge_how: 'list(append)+dict(recurse_array)'\nmerge_type: 'dict(replace)'\npackages: [p2]\n")
parts("merge-how-null-type", CC + "packages: [p1]\n",
      CC + "merge_how: null\nmerge_type: 'list(append)+dict(recurse_array)'\npackages: [p2]\n")
parts("header-append", CC + "runcmd: [a]\n",
      {"yaml": CC + "runcmd: [b]\n", "header": "list(append)+dict(recurse_array)+str()"})
parts("header-and-key-combined", CC + "runcmd: [a]\ns: x\n",
      {"yaml": CC + "merge_how: 'str(append)'\nruncmd: [b]\ns: y\n",
       "header": "list(append)+dict(recurse_array,recurse_str)"})
parts("key-wins-over-header", CC + "runcmd: [a]\n",
      {"yaml": CC + "merge_how: 'list(prepend)+dict(recurse_array)'\nruncmd: [b]\n",
       "header": "list(append)"})
parts("str-append", CC + "s: abc\n", CC + "merge_how: 'dict(recurse_str)+str(append)'\ns: def\n")
parts("str-no-append", CC + "s: abc\n", CC + "merge_how: 'dict(recurse_str)+str()'\ns: def\n")
parts("dict-no-replace-keeps", CC + "a: 1\nd: {x: 1, l: [1]}\n", CC + "merge_how: 'dict()'\na: 2\nd: {x: 2, y: 3, l: [2]}\n")
parts("allow-delete", CC + "a: 1\nb: 2\n", CC + "merge_how: 'dict(allow_delete,no_replace)'\na: null\nc: null\n")
parts("allow-delete-replace", CC + "a: 1\nb: 2\n", CC + "merge_how: 'dict(allow_delete,replace)'\na: ~\nb: 5\n")
parts("list-replace-index", CC + "l: [1, 2, 3]\n", CC + "merge_how: 'dict(recurse_array)+list()'\nl: [9]\n")
parts("list-replace-longer", CC + "l: [1]\n", CC + "merge_how: 'dict(recurse_array)+list(replace)'\nl: [7, 8, 9]\n")
parts("list-no-replace", CC + "l: [1, 2]\n", CC + "merge_how: 'dict(recurse_array)+list(no_replace)'\nl: [7, 8, 9]\n")
parts("list-recurse-dict", CC + "l: [{a: 1}, {b: 2}]\n",
      CC + "merge_how: 'dict(recurse_array)+list(recurse_dict)'\nl: [{c: 3}]\n")
parts("list-append-string-chars", CC + "l: [a]\n",
      CC + "merge_how: 'dict(recurse_str)+list(append)'\nl: xyz\n")
parts("list-append-int-error", CC + "l: [a]\nk: 1\n",
      CC + "merge_how: 'dict(recurse_str)+list(append)'\nl: xyz\nk: 2\n",
      CC + "merge_how: 'dict(replace,recurse_array)+list(append)'\nl: [b]\n")
parts("no-dict-merger", CC + "a: 1\n", CC + "merge_how: 'list(append)'\nb: 2\n")
parts("case-and-dashes", CC + "runcmd: [a]\n", CC + "merge_how: ' LIST(Append) + Dict(Recurse-Array) '\nruncmd: [b]\n")
parts("bad-matcher", CC + "a: 1\n", CC + "merge_how: 'list[append]'\nb: 2\n", CC + "c: 3\n")
parts("unknown-merger", CC + "a: 1\n", CC + "merge_how: 'foo()'\nb: 2\n")
parts("empty-part-skipped", CC + "a: 1\n", CC, CC + "b: 2\n")
parts("not-dict-part", CC + "a: 1\n", CC + "- x\n", CC + "b: 2\n")
parts("bad-yaml-part", CC + "a: 1\n", CC + "a: [\n", CC + "b: 2\n")
parts("first-fails-then-ok", CC + "merge_how: 'x'\na: 1\n", CC + "b: 2\n")
parts("settings-string-substring", CC + "a: 1\n",
      CC + "merge_how:\n - name: dict\n   settings: no_replace\na: 2\n")
parts("list-of-lists-form", CC + "runcmd: [a]\n",
      CC + "merge_how:\n - [list, append]\n - [dict, recurse_array]\nruncmd: [b]\n")
parts("string-item-form", CC + "a: 1\n", CC + "merge_how: [dict]\na: 2\n")
parts("empty-merge-how-list", CC + "runcmd: [a]\n", CC + "merge_how: []\nruncmd: [b]\n")
parts("int-merge-how", CC + "a: 1\n", CC + "merge_how: 5\nb: 2\n")
parts("octal-and-bools", CC + "write_files: [{path: /a, permissions: '0644'}]\nx: 0644\ny: yes\n",
      CC + "merge_how: 'list(append)+dict(recurse_array)'\nwrite_files: [{path: /b}]\nx: on\n")
parts("dup-first-list-merger", CC + "l: [a]\n", CC + "merge_how: 'dict(recurse_array)+list(append)+list(prepend)'\nl: [b]\n")
parts("nested-dict-recursion", CC + "apt: {sources: {a: {k: 1}}, conf: x}\n",
      CC + "merge_how: 'dict(no_replace)'\napt: {sources: {a: {k: 2, j: 3}, b: {}}, conf: y}\n")
parts("null-old-with-dict-new", CC + "a: null\n", CC + "merge_how: 'dict()'\na: {x: 1}\n")
parts("str-old-list-new", CC + "a: s\n", CC + "merge_how: 'dict(recurse_array)+str()'\na: [1]\n")
parts("str-append-list-error", CC + "a: s\n", CC + "merge_how: 'dict(recurse_array)+str(append)'\na: [1]\n")
parts("int-keys", CC + "1: a\n2: b\n", CC + "1: c\ntrue: d\n")
parts("three-parts-mixed", CC + "runcmd: [a]\npackages: [p]\n",
      CC + "merge_how: 'list(append)+dict(recurse_array)'\nruncmd: [b]\n",
      CC + "runcmd: [c]\n")
parts("date-values", CC + "d: 2024-01-02\n", CC + "e: 2024-02-03\n")

# --- merge: mergers on arbitrary values -----------------------------------
merge("list-replace-nonlist", "list()", "[1, 2]", "x")
merge("list-no-replace-str", "list(no_replace)", "[1, 2]", "xyz")
merge("list-no-replace-int", "list(no_replace)", "[1, 2]", "5")
merge("list-no-replace-dict-keyerror", "list(no_replace)", "[1, 2]", "{a: 1}")
merge("list-no-replace-dict-intkeys", "list(no_replace)", "[1, 2]", "{0: a, 1: b}")
merge("list-append-dict-keys", "list(append)", "[1]", "{a: 1, b: 2}")
merge("list-prepend-unicode", "list(prepend)", "[1]", "'äö'")
merge("list-recurse-str", "list(recurse_str)+str(append)", "[a, b]", "[c, d, e]")
merge("list-recurse-array", "list(recurse_array,append)", "[[1]]", "[[2]]")
merge("list-recurse-array-replace", "list(recurse_array)", "[[1, 2], 3]", "[[9], 4, 5]")
merge("scalar-base", "list()+dict()+str()", "5", "[1]")
merge("null-base", "list()+dict()+str()", "null", "{a: 1}")
merge("str-replace", "str()", "a", "b")
merge("str-append-value", "str(append)", "a", "b")
merge("str-append-int", "str(append)", "a", "1")
merge("str-no-merger", "list()", "a", "b")
merge("dict-vs-list", "dict()", "{a: 1}", "[1]")
merge("dict-recurse-str-list-old", "dict(recurse_str)+list(append)", "{a: [x]}", "{a: yz}")
merge("bad-string", "dict(", "{}", "{}")
merge("empty-how", "", "{a: 1}", "{a: 2}")
merge("dict-replace-and-no-replace", "dict(no_replace,replace)", "{a: 1}", "{a: 2}")

# --- many: util.mergemanydict (default list()+dict()+str()) ---------------
many("spec-2.2", "{runcmd: [u], d: {x: 9}}", "{runcmd: [s], d: {x: 1, y: 2}, users: [default]}")
many("skip-empty", "{}", "null", "{a: 1}")
many("own-merge-how", "{a: [1]}", "{merge_how: 'list(append)+dict(recurse_array)', a: [2], b: 3}")
many("three", "{a: {b: {c: 1}}}", "{a: {b: {d: 2}}, e: 5}", "{a: {b: {c: 3}}, e: 6}")

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), "case names must be unique"
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json"), "w") as f:
    json.dump({"cases": cases}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"{len(cases)} cases")
