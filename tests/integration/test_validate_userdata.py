#!/usr/bin/python3
"""egs validate --user-data: the user-data pipeline, cloud-config part
merging and the verdict, against cloud-init 22.4.2's own code.

1. tests/validate/merge/expected.json is what the installed cloud-init's
   mergers give for tests/validate/merge/cases.json (gen_expected.py is
   re-run and compared), so the unit test test_merge checks against it.
2. Every "parts" merge case is sent through the binary as MIME user-data
   (Merge-Type headers included); its --json "merged" must be cloud-init's.
3. The user-data files in tests/validate/userdata/ (MIME, gzip, #include,
   archives, scripts, boothooks, broken parts): exit code and messages, and
   the merged document against cloud-init's UserDataProcessor +
   CloudConfigPartHandler (tests/validate/userdata/oracle.py; results are
   cached under $EGS_BUILD/validate-oracle/ by sha256).
4. --json, --annotate, --target and the exit codes of bad invocations.

Run: EGS=build/egs /usr/bin/python3 tests/integration/test_validate_userdata.py
"""
import gzip
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from egstest import EGS, ROOT, Suite, run  # noqa: E402
from test_validate import cached  # noqa: E402  (the oracle cache)

MERGE = os.path.join(ROOT, "tests", "validate", "merge")
UD = os.path.join(ROOT, "tests", "validate", "userdata")
PY = "/usr/bin/python3"


def have_cloudinit():
    return subprocess.run([PY, "-c", "import cloudinit.mergers, cloudinit.user_data"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def compact(text_or_obj):
    obj = json.loads(text_or_obj) if isinstance(text_or_obj, str) else text_or_obj
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def egs_json(path, *args):
    r = run([EGS, "validate", "--user-data", path, "--json"] + list(args))
    try:
        return r.returncode, json.loads(r.stdout.decode())
    except ValueError:
        return r.returncode, {"unparsed": r.stdout.decode(errors="replace")}


def oracle(path):
    """cloud-init's merged cloud-config for a user-data file (cached)."""
    data = open(path, "rb").read()

    def produce():
        r = run([PY, os.path.join(UD, "oracle.py"), path], timeout=120)
        return json.loads(r.stdout.decode())
    return cached("ud-" + hashlib.sha256(data).hexdigest(), produce)


def mime(parts):
    out = ["Content-Type: multipart/mixed; boundary=\"==B==\"", "MIME-Version: 1.0", ""]
    for p in parts:
        out += ["--==B==", "Content-Type: text/cloud-config"]
        if p.get("header"):
            out.append("Merge-Type: " + p["header"])
        out += ["", p["yaml"]]
    out += ["--==B==--", ""]
    return "\n".join(out).encode()


def expected_is_current(t, ci):
    if not ci:
        print("SKIP: cloud-init is not importable; expected.json not re-checked")
        return
    r = run([PY, os.path.join(MERGE, "gen_expected.py")], timeout=120)
    t.check("gen_expected.py runs", r.returncode == 0, r.stderr.decode(errors="replace"))
    want = json.load(open(os.path.join(MERGE, "expected.json")))
    got = json.loads(r.stdout.decode() or "{}")
    t.check("expected.json is what cloud-init's mergers give", got == want,
            [k for k in set(got) | set(want) if got.get(k) != want.get(k)])


def parts_through_binary(t):
    cases = json.load(open(os.path.join(MERGE, "cases.json")))["cases"]
    want = json.load(open(os.path.join(MERGE, "expected.json")))
    d = t.tmpdir()
    bad = []
    n = 0
    for c in cases:
        if c["kind"] != "parts":
            continue
        n += 1
        path = os.path.join(d, c["name"] + ".mime")
        with open(path, "wb") as f:
            f.write(mime(c["parts"]))
        _, doc = egs_json(path)
        got = doc.get("merged")
        statuses = [p.get("status") == "merged" for p in doc.get("parts", [])]
        if got is None or compact(got) != want[c["name"]]["result"] or \
                statuses != want[c["name"]]["merged"]:
            bad.append((c["name"], got, want[c["name"]]))
    t.check(f"{n} merge cases as MIME user-data: merged as cloud-init", n > 40 and not bad,
            "\n".join(repr(b) for b in bad))


# file -> (exit code, substrings of stdout+stderr, compare with the oracle)
CASES = {
    "mime-two-cc.txt": (0, ["part 2 text/cloud-config: merged", "User-data is valid."], True),
    "mime-mixed.txt": (0, ["part 2 text/x-shellscript: not validated (script)",
                           "part 3 text/cloud-boothook: not validated (boothook)",
                           "part 4 text/plain: ignored", "part 5 text/cloud-config: merged"], True),
    "mime-invalid.txt": (1, ["Validation failed:\n  - write_files.1.permissions: 420 is not of type 'string'"], True),
    "replace-empties.txt": (1, ["  - runcmd: [] is too short"], True),
    "bad-merge-how.txt": (1, ["  - part 2: not merged: Matcher identifer 'list[append]' is not in the right format"], True),
    "bad-yaml-part.txt": (2, ["Failed to parse user-data: part 1 (", "not valid YAML: line 2 column 9"], False),
    "lower-merge-type.txt": (0, ["User-data is valid."], True),
    "archive.txt": (0, ["part 3 text/x-shellscript: not validated (script)"], True),
    "script-only.txt": (0, ["part 1 text/x-shellscript: not validated (script)", "User-data is valid."], True),
    "bom.txt": (0, ["ignored", "User-data is valid."], True),
    "empty-cc.txt": (0, ["empty, skipped", "User-data is valid."], True),
    "mixed-case-header.txt": (1, ["  - hostname: 12345 is not of type 'string'"], True),
    "egs-target.txt": (0, ["User-data is valid."], True),
    "include-http.txt": (2, ["Failed to process user-data: http://127.0.0.1:9/x.yaml"], False),
}


def userdata_cases(t, ci):
    d = t.tmpdir()
    files = {name: os.path.join(UD, name) for name in CASES}
    # Templates: @DIR@ is the directory of the included files.
    for tmpl, rc in (("include.tmpl", 0), ("include-missing.tmpl", 2)):
        text = open(os.path.join(UD, tmpl)).read().replace("@DIR@", UD)
        path = os.path.join(d, tmpl.replace(".tmpl", ".txt"))
        with open(path, "w") as f:
            f.write(text)
        files[os.path.basename(path)] = path
    CASES["include.txt"] = (0, ["User-data is valid."], True)
    CASES["include-missing.txt"] = (2, ["Failed to process user-data:", "no-such-file.yaml"], False)
    # gzip of a MIME document behaves as the document.
    gz = os.path.join(d, "mime-two-cc.txt.gz")
    with open(gz, "wb") as f:
        f.write(gzip.compress(open(files["mime-two-cc.txt"], "rb").read()))
    files["mime-two-cc.txt.gz"] = gz
    CASES["mime-two-cc.txt.gz"] = CASES["mime-two-cc.txt"]
    for name, path in sorted(files.items()):
        rc_want, subs, compare = CASES[name]
        r = run([EGS, "validate", "--user-data", path])
        text = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        t.check(f"{name}: exit {rc_want}", r.returncode == rc_want, text)
        missing = [s for s in subs if s not in text]
        t.check(f"{name}: messages", not missing, f"missing {missing!r} in:\n{text}")
        if compare and ci:
            want = oracle(path)
            _, doc = egs_json(path)
            got = doc.get("merged")
            t.check(f"{name}: merged as cloud-init",
                    (want["merged"] is None and got is None) or
                    (got is not None and want["merged"] == compact(got)),
                    f"cloud-init {want} egs {got}")


def json_and_annotate(t):
    rc, doc = egs_json(os.path.join(UD, "mime-invalid.txt"))
    t.check("--json: verdict", rc == 1 and doc.get("valid") is False and doc.get("result") == "rejected"
            and doc.get("exit") == 1, doc)
    errs = doc.get("errors", [])
    t.check("--json: error path, line and part", errs and errs[0]["path"] == "write_files.1.permissions"
            and errs[0]["part"] == 2 and errs[0]["line"] == 4, errs)
    t.check("--json: parts", [p["status"] for p in doc.get("parts", [])] == ["merged", "merged"]
            and doc["parts"][1]["merge_type"] == "list(append)+dict(recurse_array)", doc.get("parts"))
    rc, doc = egs_json(os.path.join(UD, "egs-target.txt"), "--target", "egs")
    t.check("--json: target warnings", rc == 0 and doc.get("warnings") == [
        "'packages' is not supported on egs (accepted, not applied).",
        "'apt' is not supported on egs (accepted, not applied)."], doc)
    rc, doc = egs_json(os.path.join(UD, "bad-yaml-part.txt"))
    t.check("--json: parse failure", rc == 2 and doc.get("result") == "error"
            and "not valid YAML" in (doc.get("message") or ""), doc)
    r = run([EGS, "validate", "--user-data", os.path.join(UD, "mime-invalid.txt"), "--annotate"])
    out = r.stdout.decode()
    t.check("--annotate: parts, label on the part's line, footer",
            r.returncode == 1 and "# ---- part 2 text/cloud-config" in out
            and "    permissions: 0644\t\t# E1" in out
            and "# Errors: -------------\n# E1: 420 is not of type 'string'" in out, out)
    r = run([EGS, "validate", "--user-data", os.path.join(UD, "egs-target.txt"), "--target", "linux"])
    t.check("--target linux warns like egs", r.returncode == 0 and
            b"Warning: 'packages' is not supported on linux (accepted, not applied)." in r.stdout, r)
    r = run([EGS, "validate", "--user-data", os.path.join(UD, "egs-target.txt"), "--target", "windows"])
    t.check("--target windows: no key warnings", r.returncode == 0 and b"Warning" not in r.stdout, r)


def exit_codes(t):
    good = os.path.join(UD, "mime-two-cc.txt")
    for args, want, what in (
            (["--user-data", "/nonexistent/ud"], 2, "missing file"),
            (["--user-data", good, "--target", "mac"], 2, "bad --target"),
            (["--config-file", good, "--target", "egs"], 2, "--target without --user-data"),
            (["--config-file", good, "--allow-network"], 2, "--allow-network without --user-data"),
            (["--user-data", good, "--config-file", good], 2, "--user-data with --config-file"),
            (["--user-data", good], 0, "valid")):
        r = run([EGS, "validate"] + args)
        t.check(f"exit {want}: {what}", r.returncode == want, r)
    r = run([EGS, "validate", "--user-data", "/nonexistent/ud"])
    t.check("missing file message", b"Cannot read user-data file '/nonexistent/ud'" in r.stderr, r)


def main():
    t = Suite("validate --user-data")
    if not os.access(EGS, os.X_OK):
        print(f"SKIP: no egs binary at {EGS}")
        t.done()
    ci = have_cloudinit()
    expected_is_current(t, ci)
    parts_through_binary(t)
    userdata_cases(t, ci)
    json_and_annotate(t)
    exit_codes(t)
    t.done()


if __name__ == "__main__":
    main()
