#!/usr/bin/python3
"""No password in any log.

`egs service --debug` listens on a unix socket; through an SSH session it
runs `egs run -v --root T` on a cloud-config that sets passwords every way
cloud-init knows (users[].plain_text_passwd, top-level `password`, chpasswd
`users` with type text, the deprecated `chpasswd.list`, and one for a user
that does not exist, which fails). Then `egs collect-logs` bundles the logs.
Each password must not appear in: the service's log dir and output, the
session's stdout/stderr, every file under T except the user-data copies
cloud-init keeps by design (seed, instances/*/user-data.txt and
cloud-config.txt: those must be 0600 or in the seed), the KVP pools and
every member of the collect-logs zip.

Run: EGS=$PWD/build/egs /usr/bin/python3 tests/integration/test_secrets.py
"""
import os
import shutil
import stat
import sys
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import EGS, Service, Suite, run  # noqa: E402

t = Suite("no secrets in logs")
PASSWORDS = {
    "plain_text_passwd": "Pl41n-Users-Secret",
    "password (default user)": "T0pLevel-Secret",
    "chpasswd users text": "Chp4sswd-Text-Secret",
    "chpasswd list": "Chp4sswd-List-Secret",
    "chpasswd unknown user": "N0body-Secret",
}
USER_DATA = """#cloud-config
users:
  - default
  - name: alice
    plain_text_passwd: %(plain_text_passwd)s
    lock_passwd: false
  - name: bob
password: %(password (default user))s
chpasswd:
  expire: false
  users:
    - {name: bob, password: %(chpasswd users text)s, type: text}
    - {name: ghost, password: %(chpasswd unknown user)s, type: text}
  list: |
    alice:%(chpasswd list)s
""" % PASSWORDS
# where cloud-init keeps the user-data it was given (not logs)
USER_DATA_COPIES = ("var/lib/cloud/seed/nocloud/user-data", "user-data.txt", "cloud-config.txt")


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def leaks(name, data):
    """The passwords found in data (bytes)."""
    return ["%s: %s" % (name, what) for what, pw in PASSWORDS.items() if pw.encode() in data]


d = t.tmpdir("egs-secrets-")
root = os.path.join(d, "root")
write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
write(os.path.join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", 0o640)
write(os.path.join(root, "etc/group"), "root:x:0:\nshadow:x:42:\n" +
      "".join("%s:x:%d:\n" % (g, 200 + i) for i, g in enumerate(
          "adm audio cdrom dialout dip floppy netdev plugdev sudo video".split())))
write(os.path.join(root, "etc/gshadow"), "root:*::\nshadow:*::\n", 0o640)
write(os.path.join(root, "var/lib/cloud/seed/nocloud/meta-data"), "instance-id: iid-secrets\n")
write(os.path.join(root, "var/lib/cloud/seed/nocloud/user-data"), USER_DATA, 0o600)
write(os.path.join(d, "bootid"), "boot-1\n")

with Service(t, extra_args=["--debug"]) as svc:
    open(os.path.join(svc.kvpdir, ".kvp_pool_1"), "wb").close()  # egs run reports here
    cmd = "%s run -v --root %s --kvp-dir %s --boot-id-file %s" % (
        EGS, root, svc.kvpdir, os.path.join(d, "bootid"))
    r = svc.ssh(cmd, timeout=120)
    session_out = r.stdout + r.stderr
    # one module fails (the unknown user): egs run exits 1, the rest is done
    t.check("egs run in a session ran every stage", b"finished at" in session_out, r)
    shadow = open(os.path.join(root, "etc/shadow")).read()
    # the top-level password is ignored when chpasswd has users/list (as
    # cloud-init): it is only there to be looked for in the logs
    t.check("passwords were set (alice, bob hashed in shadow)",
            all(("\n%s:$6$" % u) in "\n" + shadow for u in ("alice", "bob")), shadow)
    t.check("the unknown user's password failed the module",
            b"ghost" in session_out, session_out[-2000:])
    out = os.path.join(d, "bundle.zip")
    r = run([EGS, "collect-logs", out, "--root", root, "--log-dir", svc.logdir])
    t.check("collect-logs wrote a bundle", r.returncode == 0 and os.path.exists(out), r)
svc_output = svc.output().encode()

found = leaks("session output", session_out) + leaks("service output", svc_output)
logfiles = 0
for top, label in ((svc.logdir, "service log dir"), (svc.kvpdir, "KVP pools"), (root, "root")):
    for dirpath, _, names in os.walk(top):
        for n in names:
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, top)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            logfiles += 1
            with open(p, "rb") as f:
                data = f.read()
            if top == root and (rel in USER_DATA_COPIES or
                                (rel.startswith("var/lib/cloud/instances/") and n in USER_DATA_COPIES)):
                mode = stat.S_IMODE(os.stat(p).st_mode)
                t.check("%s kept 0600 (holds the user-data)" % rel, mode == 0o600, oct(mode))
                continue
            found += leaks("%s %s" % (label, rel), data)
t.check("logs looked at: service log, KVP pools, the tree (%d files)" % logfiles,
        os.path.exists(os.path.join(svc.logdir, "agent.log")) and
        os.path.exists(os.path.join(svc.kvpdir, ".kvp_pool_1")) and logfiles > 20,
        sorted(os.listdir(svc.logdir)))
members = 0
if os.path.exists(out):
    with zipfile.ZipFile(out) as z:
        for info in z.infolist():
            members += 1
            found += leaks("collect-logs %s" % info.filename, z.read(info))
t.check("collect-logs bundle has members (%d)" % members, members > 5, members)
t.check("the search finds a password where one is (the seed user-data)",
        leaks("seed", open(os.path.join(root, USER_DATA_COPIES[0]), "rb").read()) != [])
t.check("no password in any log, pool or bundle", not found, "\n".join(found))
t.done()
