"""egs service: sessions, KVP keys and status, flags, credentials, PTYs,
SFTP/scp and port forwarding, with the stock OpenSSH client and paramiko."""
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import EGS, Service, Suite, keygen, run  # noqa: E402

import paramiko  # noqa: E402

t = Suite("service sessions")
REC = 2560


def kvp_write(path, items):
    with open(path, "wb") as f:
        for k, v in items:
            f.write(k.encode().ljust(512, b"\0") + v.encode().ljust(2048, b"\0"))


def kvp_read(path):
    data = open(path, "rb").read()
    out = {}
    for i in range(0, len(data), REC):
        k = data[i:i + 512].split(b"\0")[0].decode()
        v = data[i + 512:i + REC].split(b"\0")[0].decode()
        out[k] = v
    return out, len(data) % REC


def paramiko_client(svc, key=None):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(svc.sock)
    tr = paramiko.Transport(sock)
    tr.start_client(timeout=10)
    pkey = paramiko.ECDSAKey.from_private_key_file(key or svc.key)
    tr.auth_publickey("egs", pkey)
    return tr


def read_until(chan, marker, timeout=30):
    buf = b""
    end = time.monotonic() + timeout
    while marker not in buf and time.monotonic() < end:
        if chan.recv_ready():
            buf += chan.recv(65536)
        elif chan.exit_status_ready():
            break
        else:
            time.sleep(0.02)
    return buf


# ---- KVP status keys, KVP client keys, expiry, KvpAuthEnabled ----------
svc = Service(t, authorize=False)
pool0 = os.path.join(svc.kvpdir, ".kvp_pool_0")
pool1 = os.path.join(svc.kvpdir, ".kvp_pool_1")
kvp_pub = svc.pubkey.strip().split()
old = os.path.join(svc.dir, "old")
old_pub = keygen(old).strip().split()
fut = os.path.join(svc.dir, "fut")
fut_pub = keygen(fut).strip().split()
kvp_write(pool0, [
    ("eryph:guest-services:client-public-key:myhost", " ".join(kvp_pub[:2]) + "\r\n"),
    ("eryph:guest-services:client-public-key:expired",
     'expiry-time="20200101" ' + " ".join(old_pub[:2]) + "\r\n"),
    ("eryph:guest-services:client-public-key:future",
     "# comment\r\nexpiry-time=20991231Z " + " ".join(fut_pub[:2]) + "\r\n"),
    ("unrelated", "x"),
])
kvp_write(pool1, [("other-key", "keep me")])
with svc:
    status, rest = kvp_read(pool1)
    t.check("KVP status=available on start", status.get("eryph:guest-services:status") == "available", status)
    t.check("KVP version written", status.get("eryph:guest-services:version", "").startswith("0."), status)
    u = os.uname()
    t.check("KVP operating-system in the original's uname format",
            status.get("eryph:guest-services:operating-system") == f"{u.sysname} {u.release} {u.version}", status)
    t.check("KVP features: shell-override only", status.get("eryph:guest-services:features") == "shell-override", status)
    t.check("other guest keys kept", status.get("other-key") == "keep me" and rest == 0, status)
    r = svc.ssh("echo kvp")
    t.check("key from a KVP slot (CRLF value) authorizes", r.stdout == b"kvp\n", r)
    r = svc.ssh("true", key=old)
    t.check("expired expiry-time refused", r.returncode == 255, r)
    r = svc.ssh("echo future", key=fut)
    t.check("future expiry-time (comment line before) accepted", r.stdout == b"future\n", r)
status, _ = kvp_read(pool1)
t.check("KVP status removed on stop", "eryph:guest-services:status" not in status, status)
t.check("KVP features removed on stop", "eryph:guest-services:features" not in status, status)
t.check("KVP version kept on stop", "eryph:guest-services:version" in status, status)
log = open(os.path.join(svc.logdir, "agent.log")).read()
t.check("failed key logged with a colon-hex fingerprint", "not authorized" in log and
        any(len(w) == 95 and w.count(":") == 31 for w in log.split()), log[-1500:])
t.check("no private key material in the log", "PRIVATE" not in log)

svc2 = Service(t, authorize=True)
kvp_write(os.path.join(svc2.kvpdir, ".kvp_pool_0"),
          [("eryph:guest-services:client-public-key", " ".join(old_pub[:2]) + "\r\n")])
with open(os.path.join(svc2.config, "service-control.conf"), "w") as f:
    f.write("# hardening\nkvpauthenabled = 0\n")
with svc2:
    r = svc2.ssh("true", key=old)
    t.check("KvpAuthEnabled=0 ignores KVP keys", r.returncode == 255, r)
    r = svc2.ssh("echo file")
    t.check("KvpAuthEnabled=0 keeps id_egs.pub", r.stdout == b"file\n", r)

# ---- systemd credential keys (fw_cfg, SMBIOS type 11) ------------------
svc3 = Service(t, authorize=False)
sysfs = os.path.join(svc3.dir, "sys")
cred = os.path.join(sysfs, "firmware/qemu_fw_cfg/by_name/opt/io.systemd.credentials/ssh.authorized_keys.root")
os.makedirs(cred)
with open(os.path.join(cred, "raw"), "w") as f:
    f.write(svc3.pubkey)
smb_key = os.path.join(svc3.dir, "smb")
smb_pub = keygen(smb_key)
dmi = os.path.join(sysfs, "firmware/dmi/entries/11-0")
os.makedirs(dmi)
strings = b"io.systemd.credential:ssh.ephemeral-authorized_keys-all=" + smb_pub.strip().encode() + b"\0\0"
with open(os.path.join(dmi, "raw"), "wb") as f:
    f.write(bytes([11, 5, 0, 0, 1]) + strings)
svc3.extra_args = ["--sysfs-dir", sysfs]
with svc3:
    r = svc3.ssh("echo fwcfg")
    t.check("fw_cfg credential ssh.authorized_keys.root authorizes", r.stdout == b"fwcfg\n", r)
    r = svc3.ssh("echo smbios", key=smb_key)
    t.check("SMBIOS type-11 credential authorizes", r.stdout == b"smbios\n", r)

# ---- shells, PTYs, env, exit codes ---------------------------------------
# The service's own $SHELL is the default interactive shell; /bin/sh keeps
# these tests independent of root's bash start-up files on this machine.
svc = Service(t, env=dict(os.environ, SHELL="/bin/sh"))
with svc:
    r = svc.ssh("echo \"[$BASH_VERSION]\"")
    t.check("exec default is /bin/sh -c (no bash)", r.stdout == b"[]\n", r)
    kvp_write(os.path.join(svc.kvpdir, ".kvp_pool_0"),
              [("eryph:guest-services:shell", " /bin/bash \r\n"), ("eryph:guest-services:shell-args", "-x")])
    r = svc.ssh("echo \"[$BASH_VERSION]\"")
    t.check("KVP shell override /bin/bash for exec", r.stdout.startswith(b"[5") or r.stdout.startswith(b"[4"), r)
    t.check("override shell-args are ignored for exec", b"+ echo" not in r.stderr, r)
    os.unlink(os.path.join(svc.kvpdir, ".kvp_pool_0"))
    with open(os.path.join(svc.config, "shell.conf"), "w") as f:
        f.write("shell=/bin/bash\n")
    r = svc.ssh("echo \"[$BASH_VERSION]\"")
    t.check("shell.conf override (egs tool set-shell)", r.stdout.startswith(b"[5") or r.stdout.startswith(b"[4"), r)
    with open(os.path.join(svc.config, "shell.conf"), "w") as f:
        f.write("shell=bin/bash\n")
    r = svc.ssh("true")
    t.check("relative override path refused", r.returncode != 0 and b"absolute" in r.stderr, r)
    os.unlink(os.path.join(svc.config, "shell.conf"))

    r = run(["ssh"] + svc.ssh_opts() + ["-tt", "guest", "tty; exit 3"], timeout=30)
    t.check("ssh -tt: a pty", b"/dev/pts/" in r.stdout, r)
    t.check("pty exit status is real (the original always says 0)", r.returncode == 3, r)
    r = run(["ssh"] + svc.ssh_opts() + ["-tt", "-o", "SetEnv=SHELL=/bin/sh SHELL_ARGS=-x", "guest"],
            input=b"echo shell=$0\nexit 4\n", timeout=30)
    t.check("env SHELL/SHELL_ARGS choose the interactive shell", b"shell=/bin/sh" in r.stdout
            and b"+ echo" in r.stdout and r.returncode == 4, r)
    r = svc.ssh("echo $LC_EGS_TEST $FOO", extra=["-o", "SetEnv=LC_EGS_TEST=yes FOO=no"])
    t.check("env: LC_* exported, other names refused", r.stdout == b"yes\n", r)
    r = svc.ssh("kill -9 $$")
    t.check("killed command: ssh reports failure (exit-signal)", r.returncode == 255, r)

    tr = paramiko_client(svc)
    ch = tr.open_session()
    ch.get_pty(term="vt100", width=100, height=40)
    ch.invoke_shell()
    # the markers are computed by the shell: the pty's echo of the typed
    # line must not count as the command's output
    ch.send(b"stty size; echo \"T=$TERM\"; echo MARK$((0+1))\n")
    out = read_until(ch, b"MARK1\r\n")
    t.check("pty-req size 100x40", b"40 100" in out, out)
    t.check("TERM from pty-req", b"T=vt100" in out, out)
    ch.resize_pty(width=120, height=50)
    time.sleep(0.2)
    ch.send(b"stty size; echo MARK$((1+1))\n")
    out = read_until(ch, b"MARK2\r\n")
    t.check("window-change resizes", b"50 120" in out, out)
    ch.send(b"exit 5\n")
    t.check("shell exit status", ch.recv_exit_status() == 5)
    ch = tr.open_session()
    ch.invoke_shell()  # no pty-req: the original still gives a pty, 80x25
    ch.send(b"tty; stty size; echo MARK$((1+2))\n")
    out = read_until(ch, b"MARK3\r\n")
    t.check("shell without pty-req gets a pty", b"/dev/pts/" in out, out)
    t.check("default pty size 80x25", b"25 80" in out, out)
    ch.send(b"exit\n")
    ch.recv_exit_status()
    ch = tr.open_session()
    ch.exec_command("cat; echo done")
    ch.sendall(b"abc")
    ch.shutdown_write()
    t.check("exec: stdin closed on client EOF", ch.recv_exit_status() == 0)
    tr.close()

    # SFTP subsystem and scp (SFTP mode) with the stock clients
    d = svc.dir
    data = os.urandom(2 * 1024 * 1024 + 123)
    with open(os.path.join(d, "src.bin"), "wb") as f:
        f.write(data)
    batch = os.path.join(d, "batch")
    with open(batch, "w") as f:
        f.write(f"put {d}/src.bin {d}/up.bin\nget {d}/up.bin {d}/down.bin\nls {d}\n"
                f"rename {d}/up.bin {d}/up2.bin\nmkdir {d}/newdir\nrm {d}/up2.bin\n")
    r = run(["sftp"] + [o for o in svc.ssh_opts() if o not in ("-l", "egs")] + ["-b", batch, "egs@guest"], timeout=60)
    t.check("sftp batch put/get/ls/rename/mkdir/rm", r.returncode == 0, r)
    t.check("sftp round trip", open(os.path.join(d, "down.bin"), "rb").read() == data)
    t.check("sftp rename + rm", not os.path.exists(os.path.join(d, "up2.bin")) and os.path.isdir(os.path.join(d, "newdir")))
    opts = [o for o in svc.ssh_opts() if o not in ("-l", "egs")]
    r = run(["scp"] + opts + [os.path.join(d, "src.bin"), f"egs@guest:{d}/scp.bin"], timeout=60)
    r2 = run(["scp"] + opts + [f"egs@guest:{d}/scp.bin", os.path.join(d, "scp2.bin")], timeout=60)
    t.check("scp both ways", r.returncode == 0 and r2.returncode == 0 and
            open(os.path.join(d, "scp2.bin"), "rb").read() == data, (r, r2))

    # port forwarding is off by default: -L accepts locally, no data flows
    echo = socket.socket()
    echo.bind(("127.0.0.1", 0))
    echo.listen(4)
    eport = echo.getsockname()[1]

    def echo_server():
        while True:
            try:
                c, _ = echo.accept()
            except OSError:
                return
            c.sendall(c.recv(100))
            c.close()

    threading.Thread(target=echo_server, daemon=True).start()

    def forward_works(service):
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lport = lsock.getsockname()[1]
        lsock.close()
        p = subprocess.Popen(["ssh"] + service.ssh_opts() + ["-N", "-L", f"{lport}:127.0.0.1:{eport}", "guest"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got = b""
        try:
            for _ in range(50):
                try:
                    c = socket.create_connection(("127.0.0.1", lport), timeout=2)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                return False
            c.settimeout(3)
            try:
                c.sendall(b"ping")
                got = c.recv(100)
            except OSError:
                pass
            c.close()
        finally:
            # ssh can miss a SIGTERM that lands while it sets up its
            # client loop; never let that hang the suite
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return got == b"ping"

    t.check("port forwarding off: -L gets no data", not forward_works(svc))

svc = Service(t)
with open(os.path.join(svc.config, "service-control.conf"), "w") as f:
    f.write("PortForwardingEnabled=1\n")
kvp_write(os.path.join(svc.kvpdir, ".kvp_pool_1"), [])
with svc:
    t.check("PortForwardingEnabled=1: -L works", forward_works(svc))
    status, _ = kvp_read(os.path.join(svc.kvpdir, ".kvp_pool_1"))
    t.check("features: shell-override port-forwarding",
            status.get("eryph:guest-services:features") == "shell-override port-forwarding", status)
echo.close()

# ---- --max-sessions: extra connections wait in the backlog, none refused ---
svc = Service(t, extra_args=["--max-sessions", "2"])
with svc:
    procs = [subprocess.Popen(["ssh"] + svc.ssh_opts() + ["guest", "sleep 1; echo done"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(5)]
    outs = [p.communicate(timeout=60) for p in procs]
    t.check("--max-sessions 2: 5 concurrent clients all served",
            all(p.returncode == 0 and o[0] == b"done\n" for p, o in zip(procs, outs)),
            [(p.returncode, o) for p, o in zip(procs, outs)])
    t.check("no connection refused at the limit", "Refusing" not in svc.output())

# ---- lifecycle: READY=1, pid file, RemoteAccessEnabled=0, SIGTERM ---------
d = t.tmpdir()
notify = os.path.join(d, "notify")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(notify)
ns.settimeout(10)
cfg = os.path.join(d, "cfg")
os.makedirs(cfg)
env = dict(os.environ, NOTIFY_SOCKET=notify)
p = subprocess.Popen([EGS, "service", "--listen", "unix:" + os.path.join(d, "s.sock"), "--config-dir", cfg,
                      "--log-dir", os.path.join(d, "log"), "--kvp-dir", d, "--pidfile", os.path.join(d, "pid")],
                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    msg = ns.recv(100)
except OSError:
    msg = b""
t.check("READY=1 on $NOTIFY_SOCKET", msg == b"READY=1", msg)
t.check("pid file", open(os.path.join(d, "pid")).read().strip() == str(p.pid))
t.check("unix listener is 0600",
        os.stat(os.path.join(d, "s.sock")).st_mode & 0o777 == 0o600)
p.send_signal(signal.SIGTERM)
t.check("SIGTERM: exit 0", p.wait(15) == 0)
try:
    msg = ns.recv(100)
except OSError:
    msg = b""
t.check("STOPPING=1 on $NOTIFY_SOCKET", msg == b"STOPPING=1", msg)
t.check("SIGTERM: pid file and socket removed", not os.path.exists(os.path.join(d, "pid"))
        and not os.path.exists(os.path.join(d, "s.sock")))

with open(os.path.join(cfg, "service-control.conf"), "w") as f:
    f.write("RemoteAccessEnabled=false\n")
kvp_write(os.path.join(d, ".kvp_pool_1"), [])
p = subprocess.Popen([EGS, "service", "--listen", "unix:" + os.path.join(d, "s2.sock"), "--config-dir", cfg,
                      "--log-dir", os.path.join(d, "log"), "--kvp-dir", d], env=env,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    msg = ns.recv(100)
except OSError:
    msg = b""
t.check("RemoteAccessEnabled=0: still READY", msg == b"READY=1", msg)
t.check("RemoteAccessEnabled=0: no listener", not os.path.exists(os.path.join(d, "s2.sock")))
t.check("RemoteAccessEnabled=0: no KVP status", kvp_read(os.path.join(d, ".kvp_pool_1"))[0] == {})
p.send_signal(signal.SIGTERM)
t.check("RemoteAccessEnabled=0: SIGTERM exit 0", p.wait(15) == 0)
ns.close()
t.done()
