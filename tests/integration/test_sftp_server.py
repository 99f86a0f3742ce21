"""egs sftp-server driven by OpenSSH's own clients: `sftp -D` runs the
server directly (no ssh), and scp/sftp -S use a stand-in "ssh" that just
starts the server, so the stock clients' SFTP code paths are exercised.
Run with Debian's /usr/bin/python3; $EGS is the egs binary."""
import hashlib
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import EGS, Suite, run  # noqa: E402

t = Suite("sftp-server")
work = t.tmpdir("egs-sftp-")
SERVER = f"{EGS} sftp-server"


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sftp_batch(lines, server=SERVER, cwd=work, extra=()):
    batch = os.path.join(work, "batch")
    with open(batch, "w") as f:
        f.write("\n".join(lines) + "\n")
    return run(["sftp", "-q", *extra, "-D", server, "-b", batch], cwd=cwd, timeout=120)


def show(r):
    return (r.stdout + r.stderr).decode(errors="replace")


# --help and bad arguments
r = run([EGS, "sftp-server", "--help"])
t.check("--help exits 0 with usage", r.returncode == 0 and b"Usage:" in r.stdout, r)
r = run([EGS, "sftp-server", "-Z"])
t.check("bad option exits 2 with usage on stderr", r.returncode == 2 and b"Usage:" in r.stderr, r)
r = run([EGS, "sftp-server", "-l", "LOUD"])
t.check("bad log level exits 2", r.returncode == 2, r)

# put / get of a large file, in the server's working directory
src = os.path.join(work, "src.bin")
with open(src, "wb") as f:
    f.write(os.urandom(9 * 1024 * 1024 + 4321))
remote = os.path.join(work, "remote")
os.mkdir(remote)
r = sftp_batch([f"cd {remote}", "put src.bin up.bin", "get up.bin down.bin", "pwd"])
t.check("put + get succeed", r.returncode == 0, show(r))
t.check("uploaded file identical", os.path.exists(os.path.join(remote, "up.bin"))
        and sha(os.path.join(remote, "up.bin")) == sha(src))
t.check("downloaded file identical", os.path.exists(os.path.join(work, "down.bin"))
        and sha(os.path.join(work, "down.bin")) == sha(src))
t.check("pwd shows the directory", f"Remote working directory: {remote}".encode() in r.stdout,
        show(r))

# put -p keeps the mtime and mode; reput resumes
os.utime(src, (1500000000, 1500000000))
os.chmod(src, 0o640)
r = sftp_batch([f"put -p src.bin {remote}/kept.bin"])
st = os.stat(os.path.join(remote, "kept.bin")) if r.returncode == 0 else None
t.check("put -p keeps mtime and mode", st is not None and int(st.st_mtime) == 1500000000
        and stat.S_IMODE(st.st_mode) == 0o640, show(r))
with open(os.path.join(remote, "part.bin"), "wb") as f:
    with open(src, "rb") as s:
        f.write(s.read(3 * 1024 * 1024))
r = sftp_batch([f"reput src.bin {remote}/part.bin"])
t.check("reput resumes a partial upload", r.returncode == 0
        and sha(os.path.join(remote, "part.bin")) == sha(src), show(r))

# directory operations, rename, symlink, hard link, chmod, df, ls
r = sftp_batch([
    f"cd {remote}",
    "mkdir sub",
    "rename up.bin sub/moved.bin",
    "symlink sub/moved.bin link",
    "ln sub/moved.bin sub/hard.bin",
    "chmod 600 sub/moved.bin",
    "df",
    "ls -l sub",
    "ls -la",
    "rm kept.bin",
    "mkdir gone",
    "rmdir gone",
])
out = show(r)
t.check("batch of file operations succeeds", r.returncode == 0, out)
moved = os.path.join(remote, "sub", "moved.bin")
t.check("rename moved the file", os.path.exists(moved)
        and not os.path.exists(os.path.join(remote, "up.bin")))
t.check("symlink points at the target (OpenSSH argument order)",
        os.path.islink(os.path.join(remote, "link"))
        and os.readlink(os.path.join(remote, "link")) == "sub/moved.bin")
t.check("hard link shares the inode", os.path.exists(os.path.join(remote, "sub", "hard.bin"))
        and os.stat(os.path.join(remote, "sub", "hard.bin")).st_ino == os.stat(moved).st_ino)
t.check("chmod applied", stat.S_IMODE(os.stat(moved).st_mode) == 0o600)
t.check("rm and rmdir removed", not os.path.exists(os.path.join(remote, "kept.bin"))
        and not os.path.exists(os.path.join(remote, "gone")))
t.check("df prints statvfs figures", "Size" in out and "%Capacity" in out, out)
longline = [l for l in out.splitlines() if l.endswith(" moved.bin")]
t.check("ls -l shows an ls -l style long name",
        longline and longline[0].startswith("-rw-------    2 ") and " 9441505 " in longline[0],
        out)
t.check("ls -la lists . and .. and the symlink", " .\n" in out and " ..\n" in out
        and out.count("lrwxrwxrwx") >= 1, out)

# rename refuses to replace (plain RENAME semantics), posix-rename replaces
with open(os.path.join(remote, "a.txt"), "w") as f:
    f.write("a")
with open(os.path.join(remote, "b.txt"), "w") as f:
    f.write("b")
r = sftp_batch([f"rename {remote}/a.txt {remote}/b.txt"])
# OpenSSH's sftp uses posix-rename@openssh.com when offered: it replaces
with open(os.path.join(remote, "b.txt")) as f:
    t.check("sftp rename (posix-rename) replaces the target", r.returncode == 0
            and f.read() == "a" and not os.path.exists(os.path.join(remote, "a.txt")), show(r))

with open(os.path.join(remote, "c.txt"), "w") as f:
    f.write("c")
r = sftp_batch([f"rename -l {remote}/c.txt {remote}/b.txt"])
with open(os.path.join(remote, "b.txt")) as f:
    t.check("rename -l (plain RENAME) refuses to replace", r.returncode != 0
            and f.read() == "a" and os.path.exists(os.path.join(remote, "c.txt")), show(r))

# errors are reported, and a failing batch stops
r = sftp_batch([f"get {remote}/missing.bin {work}/x"])
t.check("get of a missing file fails", r.returncode != 0 and (
    b"not found" in r.stderr.lower() or b"no such file" in r.stderr.lower()), show(r))
r = sftp_batch([f"ls {remote}/sub/moved.bin/inside"])
t.check("a file used as a directory fails", r.returncode != 0, show(r))
r = sftp_batch([f"mkdir {remote}/sub"])
t.check("mkdir of an existing directory fails", r.returncode != 0, show(r))

# options: -d START_DIR, -R read-only, -u UMASK
r = sftp_batch(["pwd"], server=f"{SERVER} -d {remote}/sub", cwd="/")
t.check("-d sets the start directory", f"Remote working directory: {remote}/sub".encode()
        in r.stdout, show(r))
r = sftp_batch([f"put src.bin {remote}/ro.bin"], server=f"{SERVER} -R")
t.check("-R refuses uploads", r.returncode != 0
        and not os.path.exists(os.path.join(remote, "ro.bin")), show(r))
r = sftp_batch([f"get {remote}/sub/moved.bin {work}/ro-get.bin"], server=f"{SERVER} -R")
t.check("-R still allows downloads", r.returncode == 0, show(r))
r = sftp_batch([f"mkdir {remote}/masked"], server=f"{SERVER} -u 077")
t.check("-u sets the umask", r.returncode == 0 and
        stat.S_IMODE(os.stat(os.path.join(remote, "masked")).st_mode) == 0o700, show(r))

# scp (SFTP mode) and sftp through a stand-in ssh that only starts the server
fake_ssh = os.path.join(work, "fake-ssh")
with open(fake_ssh, "w") as f:
    f.write(f"#!/bin/sh\nexec {EGS} sftp-server\n")
os.chmod(fake_ssh, 0o755)
r = run(["scp", "-q", "-s", "-S", fake_ssh, src, f"guest:{remote}/scp-up.bin"], timeout=120)
t.check("scp upload (SFTP mode)", r.returncode == 0
        and sha(os.path.join(remote, "scp-up.bin")) == sha(src), show(r))
r = run(["scp", "-q", "-s", "-S", fake_ssh, f"guest:{remote}/scp-up.bin", f"{work}/scp-down.bin"],
        timeout=120)
t.check("scp download (SFTP mode)", r.returncode == 0
        and sha(os.path.join(work, "scp-down.bin")) == sha(src), show(r))
os.mkdir(os.path.join(work, "tree"))
os.mkdir(os.path.join(work, "tree", "deep"))
with open(os.path.join(work, "tree", "deep", "f.txt"), "w") as f:
    f.write("deep file\n")
r = run(["scp", "-q", "-r", "-s", "-S", fake_ssh, os.path.join(work, "tree"),
         f"guest:{remote}/"], timeout=120)
t.check("scp -r copies a tree", r.returncode == 0
        and os.path.exists(os.path.join(remote, "tree", "deep", "f.txt")), show(r))
batch = os.path.join(work, "batch2")
with open(batch, "w") as f:
    f.write(f"ls {remote}/tree\n")
r = run(["sftp", "-q", "-S", fake_ssh, "-b", batch, "guest"], timeout=60)
t.check("sftp -S through the stand-in ssh", r.returncode == 0 and b"deep" in r.stdout, show(r))

# garbage on stdin: the server exits non-zero without crashing
r = run([EGS, "sftp-server"], input=b"\xff\xff\xff\xff" + b"x" * 100)
t.check("oversized packet: clean error exit", r.returncode == 1, r)
r = run([EGS, "sftp-server"], input=b"")
t.check("immediate EOF: exit 0", r.returncode == 0, r)

t.done()
