#!/usr/bin/python3
"""egs validate against the real `cloud-init schema --config-file`.

Every case under tests/validate/ plus cloud-init's shipped examples
(/usr/share/doc/cloud-init/examples) is run through both; the verdict
(exit code) and the first error path must agree. cloud-init's results are
cached under $EGS_BUILD/validate-oracle/ keyed by the file's sha256.
Prints the agreement percentage and every disagreement; fails below 98%.
Also checks the original-compatible --user-data form and --self-check.

Run: EGS=build/egs /usr/bin/python3 tests/integration/test_validate.py
"""
import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(ROOT, "tests", "validate")
EXAMPLES = "/usr/share/doc/cloud-init/examples"
EGS = os.environ.get("EGS", os.path.join(ROOT, "build", "egs"))
CACHE = os.path.join(os.environ.get("EGS_BUILD", os.path.join(ROOT, "build")), "validate-oracle")
THRESHOLD = 98.0

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def ensure_cloud_init():
    """Returns True when `cloud-init schema` can run, installing it if we may."""
    if shutil.which("cloud-init"):
        return True
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("SKIP: cloud-init is not installed and apt-get is not usable")
        return False
    # cloud-init must never provision this machine.
    os.makedirs("/etc/cloud", exist_ok=True)
    open("/etc/cloud/cloud-init.disabled", "a").close()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "cloud-init"], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0 or not shutil.which("cloud-init"):
        print("SKIP: could not install cloud-init:", r.stderr.decode(errors="replace")[-300:])
        return False
    return True


def first_error_path(rc, stdout, stderr):
    """The comparable part of a `schema -c` outcome."""
    if rc == 0:
        return "<valid>"
    if "Traceback (most recent call last)" in stderr:
        return "<traceback>"
    if "Cloud-config is not a YAML dict." in stderr:
        return "<not-a-dict>"
    if "does not exist" in stderr:
        return "<missing>"
    m = re.search(r"Cloud config schema errors: (.*?): ", stderr)
    if m:
        return m.group(1)
    return "<other>"


def first_deprecation_path(stdout, stderr):
    m = re.search(r"Cloud config schema deprecations: (.*?): DEPRECATED", stdout + stderr)
    return m.group(1) if m else ""


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def cached(key, produce):
    """produce()'s JSON-able result, cached in CACHE/<key>.json."""
    path = os.path.join(CACHE, key + ".json")
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    res = produce()
    os.makedirs(CACHE, exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(res, f)
    os.replace(path + ".tmp", path)
    return res


def oracle(path):
    data = open(path, "rb").read()

    def produce():
        # Run on a copy with a fixed name so the cached text does not
        # depend on where the case lives.
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "case.yaml")
            with open(p, "wb") as f:
                f.write(data)
            rc, out, err = run(["cloud-init", "schema", "--config-file", p])
        return {"rc": rc, "stdout": out.replace(p, "CASE"), "stderr": err.replace(p, "CASE")}
    return cached(hashlib.sha256(data).hexdigest(), produce)


def egs(path):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "case.yaml")
        shutil.copyfile(path, p)
        rc, out, err = run([EGS, "validate", "--config-file", p])
        return {"rc": rc, "stdout": out.replace(p, "CASE"), "stderr": err.replace(p, "CASE")}


def corpus():
    files = sorted(glob.glob(os.path.join(CASES, "*.yaml")))
    tmp = tempfile.mkdtemp(prefix="egs-validate-")
    for src in sorted(glob.glob(os.path.join(EXAMPLES, "*"))):
        if os.path.isdir(src):
            continue
        data = open(src, "rb").read()
        if src.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except OSError:
                continue
        name = os.path.join(tmp, "example-" + os.path.basename(src).replace(".gz", ""))
        with open(name, "wb") as f:
            f.write(data)
        files.append(name)
    return files, tmp


def compare():
    files, tmp = corpus()
    agree = 0
    exact = 0
    disagreements = []
    try:
        for f in files:
            want = oracle(f)
            got = egs(f)
            wp = first_error_path(want["rc"], want["stdout"], want["stderr"])
            gp = first_error_path(got["rc"], got["stdout"], got["stderr"])
            wd = first_deprecation_path(want["stdout"], want["stderr"])
            gd = first_deprecation_path(got["stdout"], got["stderr"])
            # A cloud-init traceback (e.g. an impossible date) is a
            # rejection; egs reports it as a clean error instead.
            same = want["rc"] == got["rc"] and (wp == gp or (wp == "<traceback>" and got["rc"] == 1)) \
                and wd == gd
            if same:
                agree += 1
                if want["stdout"] == got["stdout"] and want["stderr"] == got["stderr"]:
                    exact += 1
            else:
                disagreements.append((os.path.basename(f), want["rc"], wp, wd, got["rc"], gp, gd))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = len(files)
    pct = 100.0 * agree / total if total else 100.0
    for name, wrc, wp, wd, grc, gp, gd in disagreements:
        print(f"DISAGREE {name}: cloud-init rc={wrc} path={wp!r} dep={wd!r}; "
              f"egs rc={grc} path={gp!r} dep={gd!r}")
    print(f"agreement: {agree}/{total} = {pct:.1f}% (identical output: {exact})")
    check(total > 0, "corpus is not empty")
    check(pct >= THRESHOLD, f"agreement {pct:.1f}% >= {THRESHOLD}%")


def other_forms():
    with tempfile.TemporaryDirectory() as d:
        good = os.path.join(d, "good.yaml")
        bad = os.path.join(d, "bad.yaml")
        broken = os.path.join(d, "broken.yaml")
        open(good, "w").write("#cloud-config\nhostname: web1\n")
        open(bad, "w").write("#cloud-config\nwrite_files:\n  - permissions: 0644\n")
        open(broken, "w").write("#cloud-config\nruncmd: [a\n")
        rc, out, _ = run([EGS, "validate", "--user-data", good])
        check(rc == 0 and "User-data is valid." in out, "--user-data valid")
        rc, out, _ = run([EGS, "validate", "--user-data", bad, "--target", "linux"])
        check(rc == 1 and out.startswith("Validation failed:") and "\n  - write_files.0" in out,
              "--user-data rejected")
        rc, _, _ = run([EGS, "validate", "--user-data", broken])
        check(rc == 2, "--user-data parse failure exits 2")
        rc, _, _ = run([EGS, "validate", "--user-data", os.path.join(d, "nope")])
        check(rc == 2, "--user-data missing file exits 2")
        rc, _, _ = run([EGS, "validate", "--user-data", good, "--target", "mac"])
        check(rc == 2, "bad --target exits 2")
        rc, out, _ = run([EGS, "validate", "--config-file", bad, "--json"])
        try:
            doc = json.loads(out)
            check(rc == 1 and doc["valid"] is False and doc["errors"][0]["path"] == "write_files.0",
                  "--json output")
        except ValueError:
            check(False, "--json output parses")
        rc, out, _ = run([EGS, "validate", "--config-file", bad, "--annotate"])
        check(rc == 0 and "# Errors: -------------" in out and "\t\t# E1" in out, "--annotate")
        rc, _, _ = run([EGS, "validate", "--self-check"])
        check(rc == 0, "--self-check")
        rc, out, _ = run([EGS, "validate", "--help"])
        check(rc == 0 and "Usage" in out, "--help")
        rc, _, err = run([EGS, "validate", "--bogus"])
        check(rc == 2 and "Usage" in err, "bad argument exits 2")
        rc, _, err = run([EGS, "validate", "--config-file", os.path.join(d, "nope")])
        check(rc == 1 and "does not exist" in err, "missing --config-file")


def main():
    if not os.access(EGS, os.X_OK):
        print(f"SKIP: no egs binary at {EGS}")
        print("0 passed, 0 failed")
        return 0
    other_forms()
    if ensure_cloud_init():
        compare()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
