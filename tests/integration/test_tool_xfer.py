#!/usr/bin/python3
"""egs tool upload-file / upload-directory / download-file /
download-directory against a real `egs service` on a unix socket, through
the stock OpenSSH client and the ssh config written by add-ssh-config:
a 200 MiB file both ways (sha256, mode, mtime), a 2000-file tree with empty
directories and a symlink, the overwrite rules and the original's
messages and exit codes, a transfer killed with SIGKILL (the destination
never holds a partial file; the next transfer removes the leftover
temporary file), and the progress bar under a pty versus --quiet and pipes.
HOME is a temporary directory throughout.

Run: EGS=/path/to/egs /usr/bin/python3 tests/integration/test_tool_xfer.py
"""
import hashlib
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import EGS, Service, Suite  # noqa: E402

BIG = 200 << 20


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def make_file(path, size, mode=0o644, mtime=None, seed=b""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        if size >= (1 << 20):
            block = os.urandom(1 << 20)
            for i in range(size >> 20):
                f.write(block[i % 7:] + block[:i % 7])
        else:
            f.write((seed + b"x" * size)[:size])
    os.chmod(path, mode)
    if mtime:
        os.utime(path, (mtime, mtime))


def tree_digest(root):
    """{relpath: (kind, sha-or-None)} of a tree, symlinks not followed."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("l", None)
            elif os.path.isdir(p):
                out[rel] = ("d", None)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("f", hashlib.sha1(f.read()).hexdigest())
    return out


def temps(d):
    return [n for n in os.listdir(d) if ".egs-tmp-" in n]


def kill_when_temp_grows(p, d):
    """SIGKILLs process p once a temporary file in d holds 16 MiB (or after
    20 s); returns whether that happened."""
    deadline = time.monotonic() + 20
    grown = False
    while time.monotonic() < deadline and not grown:
        for n in temps(d):
            try:
                grown = os.path.getsize(os.path.join(d, n)) > (16 << 20)
            except OSError:
                pass
        time.sleep(0.01)
    p.send_signal(signal.SIGKILL)
    p.wait()
    return grown


t = Suite("egs tool file transfers")
home = t.tmpdir("egs-xfer-home-")
work = t.tmpdir("egs-xfer-work-")
cfg = os.path.join(home, "egscfg")
env = dict(os.environ, HOME=home)
env.pop("SSH_AUTH_SOCK", None)


def tool(*args, timeout=120):
    return subprocess.run([EGS, "tool", "--config-dir", cfg] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, env=env, timeout=timeout)


def out(r):
    return (r.stdout + r.stderr).decode("utf-8", "replace")


with Service(t) as svc:
    r = tool("initialize")
    t.check("initialize", r.returncode == 0, out(r))
    with open(os.path.join(cfg, "private", "id_egs.pub")) as f:
        pub = f.read()
    with open(os.path.join(svc.config, "id_egs.pub"), "w") as f:
        f.write(pub)
    r = tool("add-ssh-config", "unix/" + svc.sock, "vm1")
    t.check("add-ssh-config", r.returncode == 0, out(r))
    G = t.tmpdir("egs-xfer-guest-")  # "guest" paths: the service runs here

    # ---- one big file both ways ------------------------------------
    src = os.path.join(work, "big.bin")
    make_file(src, BIG, mode=0o640, mtime=1600000000)
    want = sha(src)
    t0 = time.monotonic()
    r = tool("upload-file", "vm1", src, G + "/sub/big.bin")
    up_s = time.monotonic() - t0
    gbig = G + "/sub/big.bin"
    t.check("upload 200 MiB: exit 0 and message", r.returncode == 0 and
            ("File uploaded successfully to '%s'" % gbig) in out(r), out(r))
    t.check("upload 200 MiB: sha256 equal", os.path.exists(gbig) and sha(gbig) == want)
    st = os.stat(gbig)
    t.check("upload: mode and mtime kept", (st.st_mode & 0o7777) == 0o640 and
            int(st.st_mtime) == 1600000000, oct(st.st_mode) + " " + str(st.st_mtime))
    t.check("upload: no bar when not a terminal", b"ETA" not in r.stderr, out(r))
    print("# 200 MiB upload took %.2f s" % up_s)

    dl = os.path.join(work, "down", "big.bin")
    t0 = time.monotonic()
    r = tool("download-file", "vm1", gbig, dl)
    print("# 200 MiB download took %.2f s" % (time.monotonic() - t0))
    t.check("download 200 MiB: exit 0", r.returncode == 0 and
            "File downloaded successfully" in out(r), out(r))
    st = os.stat(dl)
    t.check("download: sha256, mode, mtime", sha(dl) == want and
            (st.st_mode & 0o7777) == 0o640 and int(st.st_mtime) == 1600000000)
    t.check("download: no temporary file left", temps(os.path.dirname(dl)) == [])

    # ---- overwrite rules and messages for single files -------------
    small = os.path.join(work, "small.txt")
    make_file(small, 100, seed=b"v1")
    r = tool("upload-file", "vm1", small, gbig)
    t.check("upload onto existing: exit 1 (FileExists)", r.returncode == 1 and
            ("The file '%s' already exists." % gbig) in out(r) and sha(gbig) == want, out(r))
    r = tool("upload-file", "vm1", small, gbig, "--overwrite")
    t.check("upload --overwrite replaces", r.returncode == 0 and
            open(gbig, "rb").read().startswith(b"v1"), out(r))
    r = tool("upload-file", "vm1", os.path.join(work, "nope"), G + "/x")
    t.check("upload missing source: 255 and message", r.returncode == 255 and
            "The file '%s' does not exist." % os.path.join(work, "nope") in out(r), out(r))
    r = tool("download-file", "vm1", gbig, dl)
    t.check("download onto existing: exit 1", r.returncode == 1 and
            ("The file '%s' already exists." % dl) in out(r) and sha(dl) == want, out(r))
    r = tool("download-file", "vm1", gbig, dl, "--overwrite")
    t.check("download --overwrite replaces", r.returncode == 0 and
            open(dl, "rb").read().startswith(b"v1"), out(r))
    r = tool("download-file", "vm1", G + "/missing", os.path.join(work, "m"))
    t.check("download missing: exit 2 and message", r.returncode == 2 and
            "The file '%s' was not found on the guest." % (G + "/missing") in out(r) and
            not os.path.exists(os.path.join(work, "m")), out(r))
    os.makedirs(os.path.join(work, "intodir"))
    r = tool("download-file", "vm1", gbig, os.path.join(work, "intodir"))
    t.check("download into a directory keeps the name", r.returncode == 0 and
            os.path.exists(os.path.join(work, "intodir", "big.bin")), out(r))

    # ---- a tree of 2000 small files --------------------------------
    tree = os.path.join(work, "tree")
    for i in range(2000):
        make_file(os.path.join(tree, "d%02d" % (i % 20), "f%04d.dat" % i), 4096,
                  mode=0o600 if i % 2 else 0o644, mtime=1500000000 + i, seed=b"%d-" % i)
    make_file(os.path.join(tree, "top.txt"), 10, seed=b"top")
    os.makedirs(os.path.join(tree, "empty", "deeper"))
    os.symlink("/etc/passwd", os.path.join(tree, "link"))
    gtree = G + "/tree"
    t0 = time.monotonic()
    r = tool("upload-directory", "vm1", tree, gtree, "--recursive")
    tree_s = time.monotonic() - t0
    print("# 2000-file upload took %.2f s" % tree_s)
    o = out(r)
    t.check("tree upload: exit 0, summary", r.returncode == 0 and
            ("Successfully uploaded 2001 files to '%s'" % gtree) in o, o[-2000:])
    t.check("tree upload: original's lines", ("Uploading directory '%s' (2001 files (recursive))..."
                                              % tree) in o and "Uploaded: f0007.dat" in o, o[:500])
    t.check("tree upload: symlink reported, not followed", "skipped symlink link" in o and
            not os.path.lexists(gtree + "/link"), o[-500:])
    want_tree = tree_digest(tree)
    del want_tree["link"]
    t.check("tree upload: contents and empty dirs equal", tree_digest(gtree) == want_tree)
    st = os.stat(gtree + "/d01/f0001.dat")
    t.check("tree upload: mode and mtime kept", (st.st_mode & 0o777) == 0o600 and
            int(st.st_mtime) == 1500000001)
    t.check("tree upload: under 20 s", tree_s < 20, tree_s)

    with open(os.path.join(tree, "top.txt"), "wb") as f:
        f.write(b"changed")
    r = tool("upload-directory", "vm1", tree, gtree)
    o = out(r)
    t.check("re-upload without --overwrite: warnings, exit 0", r.returncode == 0 and
            "The file 'top.txt' already exists at the destination and will not be overwritten."
            in o and open(gtree + "/top.txt", "rb").read() == b"top" + b"x" * 7, o)
    t.check("non-recursive: top level only", "(1 files)" in o and "d00" not in o, o)
    r = tool("upload-directory", "vm1", tree, gtree, "--overwrite", "--quiet")
    t.check("re-upload --overwrite --quiet", r.returncode == 0 and
            open(gtree + "/top.txt", "rb").read() == b"changed" and
            "Uploaded:" not in out(r) and "Successfully uploaded 1 files" in out(r), out(r))
    r = tool("upload-directory", "vm1", os.path.join(work, "nodir"), gtree)
    t.check("upload-directory missing: 255", r.returncode == 255 and
            "The directory '%s' does not exist." % os.path.join(work, "nodir") in out(r), out(r))

    dtree = os.path.join(work, "dtree")
    os.symlink("/etc/hostname", gtree + "/glink")
    t0 = time.monotonic()
    r = tool("download-directory", "vm1", gtree, dtree, "--recursive")
    print("# 2000-file download took %.2f s" % (time.monotonic() - t0))
    o = out(r)
    t.check("tree download: exit 0, summary", r.returncode == 0 and
            ("Successfully downloaded 2001 files to '%s'" % dtree) in o and
            "Downloading directory (recursive - 1 files at root level) from" in o, o[-2000:])
    gd = tree_digest(gtree)
    del gd["glink"]
    t.check("tree download: contents and empty dirs equal", tree_digest(dtree) == gd, o[-300:])
    t.check("tree download: symlink reported", "skipped symlink glink" in o and
            not os.path.lexists(dtree + "/glink"), o[-300:])
    st = os.stat(dtree + "/d03/f0003.dat")
    t.check("tree download: mode and mtime kept", (st.st_mode & 0o777) == 0o600 and
            int(st.st_mtime) == 1500000003)
    r = tool("download-directory", "vm1", gtree, dtree, "--recursive")
    t.check("download again: Skipped lines, exit 0", r.returncode == 0 and
            "Skipped: f0005.dat (already exists)" in out(r), out(r)[-500:])
    r = tool("download-directory", "vm1", G + "/nothere", dtree)
    t.check("download-directory missing: exit 2", r.returncode == 2 and
            ("Directory '%s' was not found on the VM." % (G + "/nothere")) in out(r), out(r))

    # ---- killed transfers -----------------------------------------
    kd = G + "/kill"
    os.makedirs(kd)
    with open(kd + "/big.bin", "wb") as f:
        f.write(b"old content")
    p = subprocess.Popen([EGS, "tool", "--config-dir", cfg, "upload-file", "vm1", src,
                          kd + "/big.bin", "--overwrite"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    grown = kill_when_temp_grows(p, kd)
    t.check("kill mid-upload: a temp was growing", grown)
    time.sleep(0.3)
    t.check("kill mid-upload: destination keeps the old file",
            open(kd + "/big.bin", "rb").read() == b"old content")
    left = temps(kd)
    t.check("kill mid-upload: temp left behind", len(left) == 1, left)
    time.sleep(2.2)  # XFER_STALE_AGE: older temps count as leftovers
    r = tool("upload-file", "vm1", small, kd + "/small.txt")
    t.check("next upload removes the stale temp", r.returncode == 0 and temps(kd) == [],
            out(r) + repr(temps(kd)))

    ld = os.path.join(work, "kdl")
    os.makedirs(ld)
    # a big download killed half-way
    os.link(src, G + "/big2.bin")
    p = subprocess.Popen([EGS, "tool", "--config-dir", cfg, "download-file", "vm1",
                          G + "/big2.bin", ld + "/big2.bin"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env)
    kill_when_temp_grows(p, ld)
    t.check("kill mid-download: no partial file, temp left",
            not os.path.exists(ld + "/big2.bin") and len(temps(ld)) == 1, os.listdir(ld))
    time.sleep(2.2)
    r = tool("download-file", "vm1", G + "/kill/small.txt", ld + "/z")
    t.check("next download removes the local stale temp", r.returncode == 0 and temps(ld) == [],
            out(r) + repr(os.listdir(ld)))

    # ---- progress bar on a terminal --------------------------------
    mid = os.path.join(work, "mid.bin")
    make_file(mid, 32 << 20)

    def under_pty(*args):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.clear()
            os.environ.update(env)
            os.execv(EGS, [EGS, "tool", "--config-dir", cfg] + list(args))
        data = b""
        while True:
            try:
                rl, _, _ = select.select([fd], [], [], 30)
                if not rl:
                    break
                b = os.read(fd, 65536)
            except OSError:
                break
            if not b:
                break
            data += b
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), data

    rc, data = under_pty("upload-file", "vm1", mid, G + "/mid1.bin")
    t.check("pty: progress bar drawn", rc == 0 and b"\r" in data and b"MiB/s" in data and
            b"ETA" in data and b"mid.bin" in data, data[-400:])
    rc, data = under_pty("upload-file", "vm1", mid, G + "/mid2.bin", "--quiet")
    t.check("pty --quiet: no bar, result line", rc == 0 and b"ETA" not in data and
            b"File uploaded successfully" in data and b"Uploading file" not in data, data[-400:])

    # ---- get-status --json with guest information -------------------
    r = tool("get-status", "vm1", "--json")
    try:
        j = json.loads(r.stdout)
    except ValueError:
        j = {}
    t.check("get-status --json: status, banner, guest key", r.returncode == 0 and
            j.get("status") == "available" and j.get("banner", "").startswith("SSH-2.0-") and
            "guest" in j and (j["guest"] is None or isinstance(j["guest"], dict)), out(r))
    info = subprocess.run([EGS, "service", "--info"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    if info.returncode == 0:  # once the service applet has --info
        gi = json.loads(info.stdout)
        t.check("egs service --info: JSON with kernel and disk", "kernel" in gi and
                "disk" in gi and "ip_addresses" in gi, info.stdout[:300])
    fake = os.path.join(work, "fake-ssh")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\ncase \"$*\" in *'service --info'*) "
                "echo '{\"version\": \"9.9\", \"kernel\": \"k\"}';; *) exit 9;; esac\n")
    os.chmod(fake, 0o755)
    r = subprocess.run([EGS, "tool", "--config-dir", cfg, "get-status", "vm1", "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       env=dict(env, EGS_SSH=fake), timeout=30)
    j = json.loads(r.stdout or b"{}")
    t.check("get-status --json embeds the guest's --info", r.returncode == 0 and
            j.get("guest") == {"version": "9.9", "kernel": "k"}, out(r))
    with open(fake, "w") as f:
        f.write("#!/bin/sh\necho not json\n")
    r = subprocess.run([EGS, "tool", "--config-dir", cfg, "get-status", "vm1", "--json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                       env=dict(env, EGS_SSH=fake), timeout=30)
    j = json.loads(r.stdout or b"{}")
    t.check("get-status --json: garbage from the guest is null", j.get("status") == "available"
            and j.get("guest", 1) is None, out(r))

t.done()
