"""The dependency pipeline: pinned sha256, clear failure on a bad tarball,
and no upstream source tracked by git."""
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import ROOT, Suite, run  # noqa: E402

t = Suite("dependency pipeline")
deps = os.environ.get("EGS_DEPS", os.path.join(ROOT, "build", "deps"))
cache = os.path.join(deps, "cache", "zlib")
fetch = os.path.join(ROOT, "vendor", "fetch.sh")

d = t.tmpdir()
good = os.path.join(d, "good")
shutil.copytree(cache, good)
r = run(["sh", fetch, os.path.join(ROOT, "vendor", "zlib"), good, os.path.join(d, "out-good")])
t.check("cached zlib verifies and unpacks", r.returncode == 0 and
        os.path.exists(os.path.join(d, "out-good", "zlib.h")), r)

bad = os.path.join(d, "bad")
shutil.copytree(cache, bad)
orig = [f for f in glob.glob(os.path.join(bad, "*.orig.tar.*")) if not f.endswith(".asc")][0]
with open(orig, "r+b") as f:
    f.seek(1000)
    b = f.read(1)
    f.seek(1000)
    f.write(bytes([b[0] ^ 0xFF]))
out = os.path.join(d, "out-bad")
r = run(["sh", fetch, os.path.join(ROOT, "vendor", "zlib"), bad, out])
err = r.stderr.decode()
t.check("corrupt tarball fails", r.returncode != 0, r)
t.check("message names the package and the tarball",
        "vendor/zlib" in err and "checksum mismatch" in err and os.path.basename(orig) in err, err)
t.check("message says what to do", "make deps" in err, err)
t.check("nothing unpacked from a corrupt tarball", not os.path.exists(out))

# Our patches apply on top of Debian's: the unpacked tree has both.
src = os.path.join(deps, "src", "dropbear")
with open(os.path.join(src, "svr-main.c")) as f:
    t.check("our Dropbear patches are applied", "egs_dropbear_serve" in f.read())
with open(os.path.join(src, "debian", "patches", "series")) as f:
    series = f.read()
t.check("Debian's CVE patches are in the series", "CVE-2023-48795" in series and
        "CVE-2025-47203" in series, series)

files = run(["git", "-C", ROOT, "ls-files"]).stdout.decode().split("\n")
upstream = [f for f in files if os.path.basename(f) in
            ("svr-main.c", "cli-main.c", "bearssl.h", "yaml_private.h", "zlib.h",
             "schema-cloud-config-v1.json") or "/libtomcrypt/" in f]
t.check("no upstream source is tracked by git", not upstream, upstream)
t.done()
