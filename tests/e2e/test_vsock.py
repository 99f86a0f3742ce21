#!/usr/bin/python3
"""End-to-end over real AF_VSOCK inside a QEMU guest (one boot).

The guest (Debian kernel + the egs initramfs) runs `egs service --listen
vsock:5002 --listen tcp:0.0.0.0:2222`.  The kernel command line option
egs.relay=2223,vsock/1 makes /init relay guest tcp port 2223 through
`egs proxy vsock/1` (BusyBox `nc -ll -e`) to the vsock listener: CID 1 is the
guest's own loopback CID (vsock_loopback).  QEMU forwards 127.0.0.1:P1 to the
guest's 2222 (plain tcp) and 127.0.0.1:P2 to 2223 (tcp -> AF_VSOCK), so the
host's stock OpenSSH client reaches the vsock listener without any vsock
socket on the host.

Keys: the host key pair comes from `egs tool initialize` (HOME is a temp dir)
and is written into the initramfs as id_egs.pub; a second key arrives only as
an SMBIOS type 11 systemd credential (ssh.authorized_keys.root, "the systemd
way"), a third only as a fw_cfg credential; a fourth is never authorized.

Checks over vsock: exec output, stderr and exit status 7, a PTY (ssh -tt),
an interactive shell on a PTY, sftp upload + download (sha256), scp both
ways, `egs tool add-ssh-config tcp/127.0.0.1:P2` + `ssh ALIAS uname -a`,
`egs tool get-status`, the SMBIOS and fw_cfg keys; from the guest side that
those sessions arrived over AF_VSOCK (agent.log "from vsock-1:PORT" with the
key's fingerprint).  Over plain tcp: ssh with `egs proxy tcp/127.0.0.1:P1` as
ProxyCommand and get-status.
Prints "N passed, N failed" last.
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   " + name, flush=True)
    else:
        failed += 1
        print("FAIL " + name, flush=True)
        if detail != "":
            for line in str(detail).splitlines()[-20:]:
                print("     " + line, flush=True)
    return bool(cond)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fingerprint(pub):
    p = subprocess.run(["ssh-keygen", "-lf", pub], capture_output=True, text=True)
    return p.stdout.split()[1] if p.returncode == 0 else "?"


def main():
    egs = os.environ.get("EGS") or os.path.join(qemu.TOP, "build", "egs")
    if not os.path.isfile(egs):
        print("FAIL no egs binary (set EGS): " + egs)
        print("0 passed, 1 failed")
        return 1
    egs = os.path.abspath(egs)
    keep = os.environ.get("EGS_E2E_KEEP") == "1"
    work = tempfile.mkdtemp(prefix="egs-e2e-vsock-")
    home = os.path.join(work, "home")
    os.makedirs(home, mode=0o700)
    env = dict(os.environ, HOME=home)
    kh = os.path.join(work, "known_hosts")
    t_start = time.monotonic()
    guest = None
    try:
        # ---- host side: client key from egs tool, extra keys --------------------------
        p = subprocess.run([egs, "tool", "initialize"], capture_output=True, text=True, env=env)
        check("egs tool initialize", p.returncode == 0, p.stderr)
        p = subprocess.run([egs, "tool", "get-ssh-key"], capture_output=True, text=True, env=env)
        toolkey = os.path.join(home, ".config", "egs", "private", "id_egs")
        check("egs tool get-ssh-key", p.returncode == 0 and p.stdout.startswith("ecdsa-sha2-nistp256 ")
              and os.path.isfile(toolkey), p.stdout + p.stderr)
        pub = os.path.join(work, "id_egs.pub")
        with open(pub, "w") as f:
            f.write(p.stdout)
        keys = {}
        for name, kind in (("smbios", "ed25519"), ("fwcfg", "ecdsa"), ("stranger", "ed25519")):
            keys[name] = os.path.join(work, "id_" + name)
            subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", "e2e-" + name, "-t", kind,
                            "-f", keys[name]], check=True)
        line = lambda n: open(keys[n] + ".pub").read().strip()  # noqa: E731

        kernel, kdir = qemu.get_kernel()
        initrd = qemu.build_initramfs(
            egs, os.path.join(work, "initrd.cpio.gz"), kdir,
            modules=qemu.DEFAULT_MODULES + " qemu_fw_cfg",
            extra=[pub + ":/etc/opt/eryph/guest-services/id_egs.pub"])
        guest = qemu.Guest(
            kernel, initrd, work, fwds=(2223,), name="vsock",
            append="egs.relay=2223,vsock/1",
            extra_args=["-smbios", "type=11,value=io.systemd.credential:"
                        "ssh.authorized_keys.root=" + line("smbios"),
                        "-fw_cfg", "name=opt/io.systemd.credentials/ssh.authorized_keys.root,"
                        "string=" + line("fwcfg")]).start()
        p1, p2 = guest.ports[2222], guest.ports[2223]
        print("# qemu %s, serial log %s, tcp 127.0.0.1:%d, vsock relay 127.0.0.1:%d"
              % ("kvm" if guest.kvm else "tcg", guest.log_path, p1, p2), flush=True)
        m = guest.wait_for(r"^EGS-(READY|SERVICE-FAILED).*", 180)
        check("service ready (vsock:5002 + tcp:2222)", m.group(1) == "READY" and
              "vsock:5002" in m.group(0), m.group(0))
        m = guest.wait_for(r"^EGS-RELAY .*", 30)
        check("relay tcp 2223 -> egs proxy vsock/1 (nc -ll -e)", " rc=0" in m.group(0), m.group(0))
        print("# guest ready after %.1f s" % (time.monotonic() - guest.t0), flush=True)

        V = dict(port=p2)  # over AF_VSOCK (through the guest's relay)

        # ---- 1. exec over vsock -------------------------------------------------------
        r = qemu.ssh_run(toolkey, kh, "echo hello from $(uname -s); echo oops >&2; exit 7", **V)
        check("vsock: exec output", r.stdout == "hello from Linux\n", r)
        check("vsock: stderr separate", r.stderr == "oops\n", r.stderr)
        check("vsock: exit status 7", r.returncode == 7, r.returncode)
        r = qemu.ssh_run(toolkey, kh, "tty", **V)
        check("vsock: no PTY without -t", r.stdout.strip() == "not a tty", r)
        r = qemu.ssh_run(toolkey, kh, "tty; stty size", extra=["-tt"], **V)
        check("vsock: PTY with ssh -tt (tty -> /dev/pts/N)",
              r.returncode == 0 and re.match(r"/dev/pts/\d+\r?\n", r.stdout), r)
        r = qemu.ssh_run(toolkey, kh, None, extra=["-tt"],
                         input="echo pty-$((6*7))\nexit 3\n", **V)
        check("vsock: interactive shell on a PTY (echo, exit 3)",
              "pty-42" in r.stdout and r.returncode == 3, r)

        # ---- sftp, scp --------------------------------------------------------------------
        up = os.path.join(work, "up.bin")
        with open(up, "wb") as f:
            f.write(os.urandom(1 << 20) + b"end\n")
        batch = os.path.join(work, "batch")
        down = os.path.join(work, "down.bin")
        with open(batch, "w") as f:
            f.write("put %s /tmp/up.bin\nget /tmp/up.bin %s\n" % (up, down))
        sftp = ["sftp", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                "-o", "UserKnownHostsFile=" + kh, "-o", "StrictHostKeyChecking=accept-new",
                "-o", "LogLevel=ERROR", "-i", toolkey, "-P", str(p2), "-b", batch,
                "egs@127.0.0.1"]
        t = time.monotonic()
        r = subprocess.run(sftp, capture_output=True, text=True, timeout=120)
        dt = time.monotonic() - t
        check("vsock: sftp put + get (1 MiB) exit 0", r.returncode == 0, r)
        check("vsock: sftp round trip sha256 equal", os.path.exists(down) and
              sha256(down) == sha256(up))
        r = qemu.ssh_run(toolkey, kh, "sha256sum /tmp/up.bin", **V)
        check("vsock: guest's sha256 of the upload", r.stdout.split()[:1] == [sha256(up)], r)
        print("# sftp 2 x 1 MiB over vsock relay: %.1f s" % dt)
        r = qemu.ssh_run(toolkey, kh, "dd if=/dev/urandom of=/tmp/g.bin bs=1024 count=300 "
                         "2>/dev/null && sha256sum /tmp/g.bin", **V)
        gsum = r.stdout.split()[:1]
        scp = ["scp", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
               "-o", "UserKnownHostsFile=" + kh, "-o", "LogLevel=ERROR", "-i", toolkey,
               "-P", str(p2)]
        gdown = os.path.join(work, "g.bin")
        r = subprocess.run(scp + ["egs@127.0.0.1:/tmp/g.bin", gdown], capture_output=True,
                           text=True, timeout=120)
        check("vsock: scp download, sha256 equal", r.returncode == 0 and os.path.exists(gdown)
              and [sha256(gdown)] == gsum, (r, gsum))
        r = subprocess.run(scp + [up, "egs@127.0.0.1:/tmp/scp-up.bin"], capture_output=True,
                           text=True, timeout=120)
        r2 = qemu.ssh_run(toolkey, kh, "sha256sum /tmp/scp-up.bin", **V)
        check("vsock: scp upload, sha256 equal", r.returncode == 0 and
              r2.stdout.split()[:1] == [sha256(up)], (r, r2))

        # ---- egs tool: add-ssh-config, ssh ALIAS, get-status ---------------------------------
        target = "tcp/127.0.0.1:%d" % p2
        p = subprocess.run([egs, "tool", "add-ssh-config", target, "e2e-vsock"],
                           capture_output=True, text=True, env=env)
        check("egs tool add-ssh-config %s e2e-vsock" % target, p.returncode == 0, p.stderr)
        cfg = os.path.join(home, ".ssh", "config")
        # ssh takes ~ from the passwd entry, not $HOME: point it at the file
        r = subprocess.run(["ssh", "-F", cfg, "-o", "BatchMode=yes", "e2e-vsock", "uname", "-a"],
                           capture_output=True, text=True, timeout=90, env=env)
        check("ssh e2e-vsock uname -a (the config egs tool wrote)",
              r.returncode == 0 and r.stdout.startswith("Linux "), r)
        p = subprocess.run([egs, "tool", "get-status", target], capture_output=True, text=True,
                           env=env, timeout=30)
        check("vsock: egs tool get-status -> available", p.stdout.strip() == "available", p)

        # ---- the systemd way: SMBIOS type 11 / fw_cfg credentials --------------------------------
        r = qemu.ssh_run(keys["smbios"], kh, "echo smbios-ok", **V)
        check("SMBIOS type 11 credential key (ssh.authorized_keys.root) logs in",
              r.returncode == 0 and r.stdout == "smbios-ok\n", r)
        r = qemu.ssh_run(keys["fwcfg"], kh, "echo fwcfg-ok", **V)
        check("fw_cfg credential key (opt/io.systemd.credentials/...) logs in",
              r.returncode == 0 and r.stdout == "fwcfg-ok\n", r)
        r = qemu.ssh_run(keys["stranger"], kh, "echo no", **V)
        check("an unauthorized key is refused (exit 255)", r.returncode == 255 and not r.stdout, r)

        # ---- 2. host -> guest over plain tcp, egs proxy as ProxyCommand -----------------------
        proxy = "%s proxy tcp/127.0.0.1:%d" % (egs, p1)
        r = qemu.ssh_run(toolkey, kh, "echo via-tcp; exit 5", proxy=proxy)
        check("tcp: ssh -o ProxyCommand='egs proxy tcp/127.0.0.1:P' exec, exit 5",
              r.stdout == "via-tcp\n" and r.returncode == 5, r)
        p = subprocess.run([egs, "tool", "get-status", "tcp/127.0.0.1:%d" % p1],
                           capture_output=True, text=True, env=env, timeout=30)
        check("tcp: egs tool get-status -> available", p.stdout.strip() == "available", p)
        p = subprocess.run([egs, "tool", "get-status", "tcp/127.0.0.1:%d" % qemu.free_port()],
                           capture_output=True, text=True, env=env, timeout=30)
        check("closed port: egs tool get-status -> unknown", p.stdout.strip() == "unknown", p)
        with open(kh) as f:
            khs = f.read()
        ent = {}
        for ln in khs.splitlines():
            parts = ln.split()
            if len(parts) >= 3:
                ent.setdefault(parts[0], parts[2])
        hv, ht = ent.get("[127.0.0.1]:%d" % p2), ent.get("127.0.0.1")
        check("same host key over vsock and tcp", hv and hv == ht, khs)

        # ---- guest side: did those sessions really arrive over AF_VSOCK? ---------------------------
        r = qemu.ssh_run(toolkey, kh, "cat /var/log/eryph/guest-services/agent.log", proxy=proxy)
        log = r.stdout
        fp_tool, fp_smb = fingerprint(pub), fingerprint(keys["smbios"] + ".pub")
        vs = re.findall(r"Pubkey auth succeeded .* key (\S+) from vsock-1:\d+", log)
        tc = re.findall(r"Pubkey auth succeeded .* key (\S+) from 10\.0\.2\.2:\d+", log)
        check("agent.log: the tool key's sessions came from vsock-1:PORT (AF_VSOCK)",
              vs.count(fp_tool) >= 8, "%d vsock logins with %s\n%s" % (vs.count(fp_tool), fp_tool, log))
        check("agent.log: the SMBIOS key's session came from vsock-1", fp_smb in vs, log)
        check("agent.log: the ProxyCommand sessions came from tcp 10.0.2.2",
              tc.count(fp_tool) >= 1, log)
        with open(keys["stranger"] + ".pub") as f:
            blob = base64.b64decode(f.read().split()[1])
        fp_str = ":".join("%02x" % b for b in hashlib.sha256(blob).digest())
        check("agent.log: the stranger's key was not authorized",
              any("not authorized" in ln and fp_str in ln for ln in log.splitlines()), log)

        guest.shutdown()
        check("guest powers off", not guest.alive())
        if failed:
            print("# last serial lines:")
            for _, text in guest.lines[-25:]:
                print("#   " + text)
        guest = None
    except (qemu.GuestError, subprocess.SubprocessError, OSError) as e:
        check("e2e vsock run", False, e)
    finally:
        if guest:
            if failed:
                for _, text in guest.lines[-25:]:
                    print("#   " + text)
            guest.shutdown()
        if keep:
            print("# kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("# e2e vsock took %.1f s" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
