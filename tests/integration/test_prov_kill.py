#!/usr/bin/python3
"""Provisioning SIGKILLed at many points, then run again.

`egs run --root T` provisions 30 users (groups, passwords, keys, sudo,
homes from /etc/skel), 30 write_files (half replacing old files, some
deferred with owners) and chpasswd. strace kills it with SIGKILL on entry
to the Nth rename / fsync / write / mkdir system call (strace's
`-e inject=SYSCALL:signal=KILL:when=N`: deterministic, nothing in egs is
built for the test). After each kill:
- passwd, shadow, group and gshadow parse (field counts, no duplicates),
  and agree with each other (every user has a shadow line and a primary
  group; every group a gshadow line) unless a commit journal is left,
  which the next run must finish;
- every write_files target holds its old content (or is absent) or all
  of the new content with the new mode;
- a module's semaphore exists only if the module's work is all there.
Then `egs run` again must complete, leave no journal or temporary file
behind, and give the same accounts, homes, keys, sudoers, files and
semaphores as an uninterrupted run (password hashes made from plain text
differ only in their salt).

EGS_LONG=1 kills at every rename and fsync instead of a spread sample.
Run: EGS=$PWD/build/egs /usr/bin/python3 tests/integration/test_prov_kill.py
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import EGS, Suite, run  # noqa: E402

t = Suite("provisioning killed and re-run")
NUSERS = 30
NFILES = 30
NDEFER = 5
IID = "iid-kill"
FIXED_HASH = "$6$fixedsalt$" + "x" * 86
CHPASSWD_HASH = "$6$chpw$" + "y" * 86
LONG = os.environ.get("EGS_LONG") == "1"


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def file_content(i):
    # sizes from a few bytes to ~40 KiB: several write() calls for some
    return ("file %d\n" % i) + ("line %d of the payload\n" % i) * (i * i * 2)


def user_data():
    lines = ["#cloud-config", "groups: [devs, ops]", "users:"]
    for i in range(1, NUSERS + 1):
        lines += ["  - name: u%d" % i, "    groups: %s" % ("devs, ops" if i % 2 else "devs"),
                  "    ssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI%03d u%d@test]" % (i, i)]
        if i % 3 == 0:
            lines.append("    plain_text_passwd: Plain-%d-pw" % i)
        elif i % 3 == 1:
            lines.append("    hashed_passwd: '%s'" % FIXED_HASH)
        if i % 2:
            lines.append("    lock_passwd: false")
        if i % 5 == 0:
            lines.append("    sudo: ALL=(ALL) NOPASSWD:ALL")
    lines.append("write_files:")
    for i in range(NFILES):
        lines += ["  - path: /srv/wf/f%02d" % i, "    permissions: '%s'" % ("0600", "0640", "0755")[i % 3],
                  "    content: |"]
        lines += ["      " + x for x in file_content(i).splitlines()]
        if i < NDEFER:
            lines += ["    defer: true", "    owner: u%d:devs" % (i + 1)]
    lines += ["chpasswd:", "  expire: false", "  users:"]
    for i in (2, 4):
        lines.append("    - {name: u%d, password: '%s', type: hash}" % (i, CHPASSWD_HASH))
    return "\n".join(lines) + "\n"


def base_tree(d):
    """A target tree with the account files of a fresh Debian image."""
    root = os.path.join(d, "root")
    write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
    write(os.path.join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", 0o640)
    write(os.path.join(root, "etc/group"), "root:x:0:\nshadow:x:42:\nusers:x:100:\n")
    write(os.path.join(root, "etc/gshadow"), "root:*::\nshadow:*::\nusers:*::\n", 0o640)
    write(os.path.join(root, "etc/skel/.profile"), "# profile\n" * 50)
    write(os.path.join(root, "etc/skel/.bashrc"), "# bashrc\n" * 80)
    write(os.path.join(root, "etc/skel/.config/app/settings"), "a=1\n")
    for i in range(0, NFILES, 2):  # half the targets exist with old content
        write(os.path.join(root, "srv/wf/f%02d" % i), "old %d\n" % i, 0o644)
    seed = os.path.join(root, "var/lib/cloud/seed/nocloud")
    write(os.path.join(seed, "meta-data"), "instance-id: %s\n" % IID)
    write(os.path.join(seed, "user-data"), user_data())
    write(os.path.join(d, "bootid"), "boot-1\n")
    return root


def egs_run(root, prefix=()):
    env = None
    if prefix and os.environ.get("EGS_SAN") == "1":
        # LeakSanitizer cannot stop the world under ptrace (strace): the
        # sanitizer build runs with ASan/UBSan but without the leak check
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return run(list(prefix) + [EGS, "run", "--root", root, "--kvp-dir", "", "--boot-id-file",
                               os.path.join(root, "..", "bootid")], timeout=120, env=env)


def read_lines(root, name):
    path = os.path.join(root, "etc", name)
    with open(path) as f:
        text = f.read()
    if text and not text.endswith("\n"):
        return None, "%s: last line has no newline" % name
    return text.splitlines(), None


FIELDS = {"passwd": 7, "shadow": 9, "group": 4, "gshadow": 4}


def parse_db(root):
    """{file: {name: fields}} or raises ValueError naming the problem."""
    db = {}
    for name, nf in FIELDS.items():
        lines, problem = read_lines(root, name)
        if problem:
            raise ValueError(problem)
        entries = {}
        for n, line in enumerate(lines, 1):
            fields = line.split(":")
            if len(fields) != nf or not fields[0]:
                raise ValueError("%s:%d: %d fields: %r" % (name, n, len(fields), line))
            if fields[0] in entries:
                raise ValueError("%s:%d: duplicate %s" % (name, n, fields[0]))
            entries[fields[0]] = fields
        db[name] = entries
    return db


def cross_problems(db):
    gids = {g[2] for g in db["group"].values()}
    out = []
    for u, f in db["passwd"].items():
        if u not in db["shadow"]:
            out.append("user %s has no shadow line" % u)
        if f[3] not in gids:
            out.append("user %s: primary gid %s not in group" % (u, f[3]))
    for g in db["group"]:
        if g not in db["gshadow"]:
            out.append("group %s has no gshadow line" % g)
    for u in db["shadow"]:
        if u not in db["passwd"]:
            out.append("shadow line %s without passwd line" % u)
    return out


def sems(root):
    d = os.path.join(root, "var/lib/cloud/instances", IID, "sem")
    return set(os.listdir(d)) if os.path.isdir(d) else set()


def target(root, i):
    return os.path.join(root, "srv/wf/f%02d" % i)


def file_state(root, i):
    """'absent', 'old', 'new' or a description of what is wrong."""
    p = target(root, i)
    if not os.path.exists(p):
        return "absent" if i % 2 else "old file lost"
    with open(p) as f:
        data = f.read()
    mode = stat.S_IMODE(os.stat(p).st_mode)
    if i % 2 == 0 and data == "old %d\n" % i and mode == 0o644:
        return "old"
    want = (0o600, 0o640, 0o755)[i % 3]
    if data == file_content(i) and mode == want:
        return "new"
    return "torn: %d bytes, mode %o" % (len(data), mode)


def user_done(root, db, i):
    name = "u%d" % i
    if name not in db["passwd"]:
        return False
    keys = os.path.join(root, "home", name, ".ssh/authorized_keys")
    return os.path.exists(os.path.join(root, "home", name, ".config/app/settings")) and \
        os.path.exists(keys)


def leftovers(root):
    """Temporary files, journals and half-built homes anywhere in the tree."""
    out = []
    for dirpath, dirs, names in os.walk(root):
        out += [os.path.relpath(os.path.join(dirpath, n), root) for n in dirs + names if ".egs-" in n]
    return out


def check_killed(root, label):
    """The state right after a kill; returns a list of problems."""
    problems = []
    try:
        db = parse_db(root)
    except (ValueError, OSError) as e:
        return ["account files: %s" % e]
    journal = os.path.exists(os.path.join(root, "etc/.pwd.egs-journal"))
    if not journal:
        problems += cross_problems(db)
    states = [file_state(root, i) for i in range(NFILES)]
    problems += ["f%02d: %s" % (i, s) for i, s in enumerate(states) if s not in ("absent", "old", "new")]
    s = sems(root)
    if "config_write_files" in s and any(states[i] != "new" for i in range(NDEFER, NFILES)):
        problems.append("config_write_files semaphore but files not all written")
    if "config_write_files_deferred" in s and any(states[i] != "new" for i in range(NDEFER)):
        problems.append("config_write_files_deferred semaphore but deferred files not written")
    if "config_users_groups" in s and (journal or not all(user_done(root, db, i) for i in range(1, NUSERS + 1))):
        problems.append("config_users_groups semaphore but users not all complete")
    if "config_set_passwords" in s and (journal or any(db["shadow"].get("u%d" % i, ["", ""])[1] != CHPASSWD_HASH
                                                       for i in (2, 4))):
        problems.append("config_set_passwords semaphore but chpasswd not applied")
    return problems


def tree_snapshot(root):
    """What an equal outcome means: accounts (hashes from plain text reduced
    to their kind), homes, sudoers, files, semaphores."""
    db = parse_db(root)
    snap = {"db": {}}
    for name, entries in db.items():
        rows = []
        for k, f in sorted(entries.items()):
            f = list(f)
            if name == "shadow" and f[1] not in (FIXED_HASH, CHPASSWD_HASH, "!" + FIXED_HASH):
                f[1] = ("!" if f[1].startswith("!") else "") + ("$6$<salted>" if "$6$" in f[1] else f[1].lstrip("!"))
            rows.append(":".join(f))
        snap["db"][name] = rows
    files = {}
    for top in ("home", "srv", "etc/sudoers.d"):
        base = os.path.join(root, top)
        for dirpath, dirs, names in os.walk(base):
            for n in sorted(dirs + names):
                p = os.path.join(dirpath, n)
                st = os.lstat(p)
                content = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None
                if n == "90-cloud-init-users":  # "# Created by egs ... on <date>"
                    content = re.sub(rb"^# Created by .*\n", b"", content)
                files[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                                   st.st_uid, st.st_gid, content)
    snap["files"] = files
    snap["sems"] = sorted(sems(root))
    return snap


def diff(a, b):
    out = []
    for k in ("db", "files"):
        for key in sorted(set(a[k]) | set(b[k])):
            if a[k].get(key) != b[k].get(key):
                va, vb = a[k].get(key), b[k].get(key)
                if isinstance(va, list) and isinstance(vb, list):
                    out.append("%s %s: only reference %s, only re-run %s" %
                               (k, key, sorted(set(va) - set(vb))[:3], sorted(set(vb) - set(va))[:3]))
                else:
                    out.append("%s %s: %r != %r" % (k, key, str(va)[:80], str(vb)[:80]))
    if a["sems"] != b["sems"]:
        out.append("semaphores %s != %s" % (a["sems"], b["sems"]))
    return out


def count_calls(root, calls):
    """How many of each system call an uninterrupted run makes."""
    log = os.path.join(root, "..", "strace.log")
    r = egs_run(root, ["strace", "-qq", "-o", log, "-e", "trace=" + ",".join(calls)])
    counts = dict.fromkeys(calls, 0)
    with open(log) as f:
        for line in f:
            name = line.split("(", 1)[0]
            if name in counts:
                counts[name] += 1
    return r, counts


def spread(n, k):
    """k points spread over 1..n (all of them when n <= k)."""
    if n <= k:
        return list(range(1, n + 1))
    return sorted({1 + (j * (n - 1)) // (k - 1) for j in range(k)})


if not shutil.which("strace"):
    print("strace not installed: skipped")
    t.done()

# fsync is most of a run's time on a disk; tmpfs keeps the loop short
shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
work = tempfile.mkdtemp(prefix="egs-provkill-", dir=shm)
t._tmp.append(work)
ref_root = base_tree(os.path.join(work, "ref"))
r, counts = count_calls(ref_root, ["rename", "fsync", "write", "mkdir", "symlink"])
t.check("uninterrupted run completes", r.returncode == 0 and b"Provisioning completed." in r.stdout, r)
t.check("uninterrupted run: %d users" % NUSERS,
        all("u%d" % i in parse_db(ref_root)["passwd"] for i in range(1, NUSERS + 1)))
t.check("uninterrupted run: all files new", all(file_state(ref_root, i) == "new" for i in range(NFILES)),
        [file_state(ref_root, i) for i in range(NFILES)])
t.check("uninterrupted run: accounts agree", not cross_problems(parse_db(ref_root)))
t.check("uninterrupted run leaves nothing temporary", not leftovers(ref_root), leftovers(ref_root))
t.check("enough kill points (%s)" % counts, counts["rename"] > 3 * NUSERS and counts["fsync"] > NUSERS, counts)
reference = tree_snapshot(ref_root)

budget = {"rename": 26, "fsync": 12, "write": 8, "mkdir": 6, "symlink": 3}
if LONG:
    budget.update(rename=counts["rename"], fsync=counts["fsync"])
kills = 0
journals = 0
bad = []
for call, k in budget.items():
    for n in spread(counts[call], k):
        label = "%s #%d" % (call, n)
        d = os.path.join(work, "k-%s-%d" % (call, n))
        root = base_tree(d)
        r = egs_run(root, ["strace", "-qq", "-o", "/dev/null", "-e", "trace=" + call,
                           "-e", "inject=%s:signal=KILL:when=%d" % (call, n)])
        if r.returncode == 0:
            continue  # the call count differs a little from run to run: it finished
        if r.returncode not in (-9, 128 + 9):  # strace re-raises the SIGKILL
            bad.append("%s: exit %d %s" % (label, r.returncode, r.stderr[-200:]))
            continue
        kills += 1
        journals += os.path.exists(os.path.join(root, "etc/.pwd.egs-journal"))
        problems = check_killed(root, label)
        r2 = egs_run(root)
        if r2.returncode != 0 or b"Provisioning completed." not in r2.stdout:
            problems.append("re-run failed: %s %s" % (r2.stdout[-300:], r2.stderr[-300:]))
        else:
            try:
                problems += ["after re-run: " + p for p in cross_problems(parse_db(root))]
                problems += ["after re-run: left " + p for p in leftovers(root)]
                problems += ["after re-run: " + p for p in diff(reference, tree_snapshot(root))]
            except (ValueError, OSError) as e:
                problems.append("after re-run: %s" % e)
        if problems:
            bad.append("%s: %s" % (label, "; ".join(problems[:6])))
        shutil.rmtree(d, ignore_errors=True)

print("# %d kills (%d with a commit journal left), %d with problems" % (kills, journals, len(bad)), flush=True)
t.check("at least 40 kills landed", kills >= 40, kills)
t.check("every kill: account files parse, files old or new, semaphores consistent, "
        "re-run equals an uninterrupted run", not bad, "\n".join(bad[:30]))
t.done()
