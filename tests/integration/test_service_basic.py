"""egs service with the stock OpenSSH client through egs proxy: the
embedded Dropbear serves exec, checks keys and users, keeps the host key."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import EGS, Service, Suite, keygen, run  # noqa: E402

t = Suite("service basics")

with Service(t) as svc:
    r = svc.ssh("echo hello")
    t.check("exec: echo hello", r.returncode == 0 and r.stdout == b"hello\n", r)
    r = svc.ssh("exit 7")
    t.check("exec: exit status 7", r.returncode == 7, r)
    r = svc.ssh("echo out; echo err >&2")
    t.check("exec: stdout and stderr stay separate",
            r.stdout == b"out\n" and r.stderr == b"err\n", r)
    r = svc.ssh("id -u")
    t.check("session runs as root", r.stdout.strip() == b"0", r)
    r = svc.ssh("cat", input=b"x" * 100000)
    t.check("stdin EOF ends cat (100 kB round trip)", r.returncode == 0 and len(r.stdout) == 100000, r)

    r = svc.ssh("true", user="root")
    t.check("user root is refused", r.returncode == 255, r)
    other = os.path.join(svc.dir, "other")
    keygen(other)
    r = svc.ssh("true", key=other)
    t.check("an unlisted key is refused", r.returncode == 255, r)
    r = svc.ssh("true", extra=["-o", "PreferredAuthentications=password,keyboard-interactive",
                               "-o", "PubkeyAuthentication=no"])
    t.check("password/keyboard-interactive are refused", r.returncode == 255, r)
    r = svc.ssh("true", key=svc.key, extra=["-v"])
    t.check("server offers publickey only", b"Authentications that can continue: publickey\r\n" in r.stderr
            or b"Authentications that can continue: publickey\n" in r.stderr, r.stderr[-2000:])

    key = os.path.join(svc.config, "private", "egs_host_key")
    st = os.stat(key)
    t.check("host key file is 0600", st.st_mode & 0o777 == 0o600, oct(st.st_mode))
    t.check("private dir is 0700", os.stat(os.path.dirname(key)).st_mode & 0o777 == 0o700)
    with open(key) as f:
        t.check("host key is PKCS#8 PEM", f.read().startswith("-----BEGIN PRIVATE KEY-----\n"))

log = open(os.path.join(svc.logdir, "agent.log")).read()
t.check("agent.log has the original's first line", "[INF] egs.service Starting eryph guest services" in log, log)
t.check("service stopped cleanly", svc.proc.returncode == 0, svc.output())

# A host key made by OpenSSL (as the original's PKCS#8) is used unchanged.
svc = Service(t)
os.makedirs(os.path.join(svc.config, "private"), mode=0o700)
key = os.path.join(svc.config, "private", "egs_host_key")
r = run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-out", key])
t.check("openssl made a P-256 key", r.returncode == 0, r)
before = open(key, "rb").read()
with svc:
    r = svc.ssh("true")
    t.check("login with the openssl host key", r.returncode == 0, r)
after = open(key, "rb").read()
t.check("an existing host key is never rewritten", before == after)
known = open(os.path.join(svc.dir, "known_hosts")).read().split()
pub = run(["ssh-keygen", "-y", "-f", key]).stdout.decode().split()
t.check("client saw the openssl key (same public key as ssh-keygen -y)",
        len(known) >= 3 and len(pub) >= 2 and known[1:3] == pub[0:2], (known, pub))

# The original's rule: a private dir with another mode loses its key.
svc = Service(t)
priv = os.path.join(svc.config, "private")
os.makedirs(priv)
os.chmod(priv, 0o755)
with open(os.path.join(priv, "egs_host_key"), "wb") as f:
    f.write(before)
with svc:
    t.check("private dir forced back to 0700", os.stat(priv).st_mode & 0o777 == 0o700)
    t.check("exposed host key replaced", open(os.path.join(priv, "egs_host_key"), "rb").read() != before)

# Unparseable host key: regenerated, the service still starts.
svc = Service(t)
os.makedirs(os.path.join(svc.config, "private"), mode=0o700)
with open(os.path.join(svc.config, "private", "egs_host_key"), "w") as f:
    f.write("garbage\n")
with svc:
    r = svc.ssh("echo ok")
    t.check("garbage host key regenerated", r.stdout == b"ok\n", r)

# A whitespace-only id_egs.pub is deleted (as the original) and grants nothing.
svc = Service(t, authorize=False)
with open(os.path.join(svc.config, "id_egs.pub"), "w") as f:
    f.write("  \n\t\n")
with svc:
    r = svc.ssh("true")
    t.check("no key authorized: refused", r.returncode == 255, r)
    t.check("blank id_egs.pub deleted", not os.path.exists(os.path.join(svc.config, "id_egs.pub")))

r = run([EGS, "service", "--listen", "bogus:1"])
t.check("bad --listen: exit 2 and a clear message", r.returncode == 2 and b"--listen bogus:1" in r.stderr, r)
r = run([EGS, "service", "version"])
t.check("egs-service version (original verb)", r.returncode == 0 and r.stdout.startswith(b"egs-service "), r)
t.done()
