"""The multicall binary: static, dispatch by name, --list/--install/--version."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import EGS, Suite, run  # noqa: E402

LINKED = ["collect-logs", "proxy", "reset", "run", "service", "status", "tool", "validate"]

t = Suite("multicall dispatcher")
info = run(["file", EGS]).stdout.decode()
t.check("x86-64", "x86-64" in info, info)
if os.environ.get("EGS_SAN") != "1":
    # the product binary only: `make test SAN=1` drives a dynamic,
    # instrumented build of the same code
    t.check("statically linked", "statically linked" in info, info)
    t.check("stripped", "not stripped" not in info and "stripped" in info, info)
    size = os.path.getsize(EGS)
    t.check(f"size {size} <= 1.5 MiB", size <= 1.5 * 1024 * 1024)

r = run([EGS, "--version"])
t.check("--version", r.returncode == 0 and r.stdout.startswith(b"egs "), r)
r = run([EGS, "--list"])
names = r.stdout.decode().split()
t.check("--list names every applet", all(n in names for n in LINKED + ["sftp-server"]), names)

r = run([EGS, "no-such-applet"])
t.check("unknown applet exits 127", r.returncode == 127, r)
t.check("unknown applet prints the list", b"validate" in r.stderr, r)
r = run([EGS])
t.check("no arguments: usage, exit 2", r.returncode == 2 and b"Usage" in r.stderr, r)

d = t.tmpdir()
hard = os.path.join(d, "hard")
os.mkdir(hard)
r = run([EGS, "--install", hard])
t.check("--install DIR", r.returncode == 0, r)
for n in LINKED:
    p = os.path.join(hard, "egs-" + n)
    # a hard link, or a symlink when DIR is on another file system
    t.check(f"egs-{n} links to the binary", os.path.exists(p) and
            (os.path.islink(p) or os.stat(p).st_ino == os.stat(EGS).st_ino))
    r = run([p, "--help"])
    t.check(f"egs-{n} --help", r.returncode == 0 and b"Usage" in r.stdout, r)
    r = run([EGS, n, "--help"])
    t.check(f"egs {n} --help", r.returncode == 0 and b"Usage" in r.stdout, r)
t.check("internal applets get no link", not os.path.exists(os.path.join(hard, "egs-sftp-server")))
r = run([EGS, "--install", hard])
t.check("--install again replaces the links", r.returncode == 0, r)

sym = os.path.join(d, "sym")
os.mkdir(sym)
r = run([EGS, "--install", sym, "--symlinks"])
t.check("--install --symlinks", r.returncode == 0, r)
link = os.path.join(sym, "egs-tool")
t.check("egs-tool is a symlink to the binary", os.path.islink(link)
        and os.path.realpath(link) == os.path.realpath(EGS))
r = run([link, "--help"])
t.check("egs-tool --help through the symlink", r.returncode == 0 and b"Usage" in r.stdout, r)

# A leading '-' (login shells) and a foreign name
os.symlink(EGS, os.path.join(d, "-egs-validate"))
r = run([os.path.join(d, "-egs-validate"), "--help"])
t.check("leading '-' is ignored", r.returncode == 0 and b"Usage" in r.stdout, r)
os.symlink(EGS, os.path.join(d, "frobnicate"))
r = run([os.path.join(d, "frobnicate")])
t.check("unknown link name exits 127", r.returncode == 127, r)

r = run([EGS, "--install"])
t.check("--install without DIR: usage, exit 2", r.returncode == 2, r)
r = run([EGS, "--install", os.path.join(d, "missing-dir")])
t.check("--install into a missing dir fails", r.returncode != 0 and b"cannot create" in r.stderr, r)
t.done()
