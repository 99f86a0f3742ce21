"""Faults the service must survive without losing or tearing data:
- a client SIGKILLed in the middle of an upload-file@eryph.io upload: the
  destination never appears partially, the temporary file is removed and
  the service keeps serving;
- a full disk (a 1 MiB tmpfs) under upload-file@eryph.io and SFTP put: a
  clear error reaches the client, no partial file is left by the atomic
  upload, the service keeps serving;
- the service SIGKILLed while it rewrites the KVP guest pool: the pool
  stays valid (whole 2560-byte records, every other key intact).
The tmpfs part needs root (skipped otherwise). Loopback/unix only.

Run: EGS=$PWD/build/egs /usr/bin/python3 tests/integration/test_fault.py
"""
import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from egstest import Suite, Service, EGS  # noqa: E402
from test_eryph_dialect import Dialect, no_temp_files  # noqa: E402
from test_load import sftp_cli  # noqa: E402

import paramiko  # noqa: E402
from paramiko.message import Message  # noqa: E402
from paramiko.common import cMSG_CHANNEL_REQUEST  # noqa: E402

KVP_RECORD = 2560
MIB = 1 << 20


def start_upload(d, dest_dir, name, length):
    """Opens a channel on Dialect d and sends the upload-file@eryph.io
    request (want_reply false, as egs-tool); returns the channel."""
    chan = d.t.open_session(window_size=1 << 20, max_packet_size=32768)
    chan.egs_status = chan.egs_signal = None
    chan.egs_replies = []
    p = Message()
    p.add_string(dest_dir.encode())
    p.add_string(name.encode())
    p.add_int64(length)
    p.add_boolean(False)
    m = Message()
    m.add_byte(cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string("upload-file@eryph.io")
    m.add_boolean(False)
    m.add_bytes(p.asbytes())
    d.t._send_user_message(m)
    return chan


def child_upload(sock, key, dest_dir, name, length):
    """Runs in a separate process (this file with --child-upload): starts
    an upload of `length` bytes, sends half of them, says so on stdout and
    waits to be killed."""
    class Svc:
        pass
    svc = Svc()
    svc.sock, svc.key = sock, key
    d = Dialect(svc)
    chan = start_upload(d, dest_dir, name, length)
    chan.sendall(os.urandom(length // 2))
    print("sent", flush=True)
    time.sleep(60)


def upload_until_refused(d, dest_dir, name, data, timeout=30):
    """upload-file@eryph.io that keeps going when the service ends the
    channel early (it stops reading once the write failed): returns the
    exit-signal (name, message, language) or None, and whether it closed."""
    chan = start_upload(d, dest_dir, name, len(data))
    try:
        chan.sendall(data)
    except OSError:
        pass  # the channel closed under us: the answer is already there
    deadline = time.monotonic() + timeout
    while not chan.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    return chan.egs_signal, chan.closed


def serving(t, svc, what):
    r = svc.ssh("echo alive", timeout=30)
    return t.check("service still serves after " + what, r.returncode == 0 and r.stdout == b"alive\n", r)


def test_kill_mid_upload(t, svc):
    dest = t.tmpdir("egs-fault-up-")
    for i in range(3):
        name = "big%d.bin" % i
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child-upload",
                                  svc.sock, svc.key, dest, name, str(8 * MIB)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = child.stdout.readline()
        # a moment for the bytes to reach the guest side
        time.sleep(0.2 + 0.2 * i)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        child.stderr.close()
        t.check("upload child %d got half the data out" % i, line == b"sent\n", line)
        left = no_temp_files(dest)
        t.check("killed upload %d: temporary file removed" % i, not left, left)
        t.check("killed upload %d: destination never appears" % i,
                not os.path.exists(os.path.join(dest, name)), os.listdir(dest))
    serving(t, svc, "killed uploads")


def mount_tmpfs(t, size="1m"):
    d = t.tmpdir("egs-fault-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", d],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return d if r.returncode == 0 else None


def umount(d):
    subprocess.run(["umount", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_disk_full(t, svc):
    if os.geteuid() != 0:
        print("skip disk-full tests (needs root for a tmpfs)")
        return
    d = mount_tmpfs(t)
    if not d:
        t.check("tmpfs for the disk-full test mounted", False)
        return
    try:
        # upload-file@eryph.io: 2 MiB into 1 MiB
        dl = Dialect(svc)
        data = os.urandom(2 * MIB)
        sig, closed = upload_until_refused(dl, d, "full.bin", data)
        t.check("eryph upload on a full disk ends in an exception",
                closed and sig is not None and sig[0] == "exception@eryph.io", (closed, sig))
        msg = sig[1] if sig else ""
        t.check("the exception says the disk is full",
                "space" in msg.lower() or "disk" in msg.lower(), msg)
        t.check("eryph upload on a full disk: no partial file",
                not os.path.exists(os.path.join(d, "full.bin")), os.listdir(d))
        t.check("eryph upload on a full disk: no temporary file", not no_temp_files(d), os.listdir(d))
        # the session still works afterwards: a small upload succeeds
        r = dl.upload(d, "small.txt", b"fits\n", timeout=30)
        t.check("a small upload after the full one succeeds", r.success, r)
        dl.close()
        os.unlink(os.path.join(d, "small.txt"))

        # SFTP put through the sftp subsystem (paramiko's client)
        sock = __import__("socket").socket(__import__("socket").AF_UNIX)
        sock.connect(svc.sock)
        tr = paramiko.Transport(sock)
        tr.start_client(timeout=20)
        tr.auth_publickey("egs", paramiko.ECDSAKey.from_private_key_file(svc.key))
        sftp = paramiko.SFTPClient.from_transport(tr)
        src = os.path.join(t.tmpdir(), "src.bin")
        with open(src, "wb") as f:
            f.write(data)
        err = None
        try:
            # unpipelined writes, so the failing WRITE's status is seen
            with sftp.open(os.path.join(d, "sftp.bin"), "wb") as f:
                for off in range(0, len(data), 32768):
                    f.write(data[off:off + 32768])
        except (IOError, OSError) as e:
            err = e
        t.check("SFTP put on a full disk fails with an error", err is not None, repr(err))
        t.check("the SFTP error is a clear failure status",
                err is not None and ("space" in str(err).lower() or "failure" in str(err).lower()),
                repr(err))
        print("# SFTP client saw: %r" % err, flush=True)
        # the stock OpenSSH client reports it and exits non-zero
        r = sftp_cli(svc, "put %s %s\n" % (src, os.path.join(d, "cli.bin")))
        t.check("OpenSSH sftp put on a full disk exits non-zero", r.returncode != 0, r)
        print("# OpenSSH sftp said: %r" % r.stderr.strip()[-200:], flush=True)
        for name in ("cli.bin",):
            try:
                os.unlink(os.path.join(d, name))
            except OSError:
                pass
        # SFTP writes in place (as OpenSSH's sftp-server): the client
        # removes what it wrote; the service must still answer it.
        try:
            sftp.remove(os.path.join(d, "sftp.bin"))
            removed = True
        except (IOError, OSError) as e:
            removed = repr(e)
        t.check("the partial SFTP file can be removed over the same session", removed is True,
                removed)
        t.check("SFTP on a full disk: nothing left behind", os.listdir(d) == [], os.listdir(d))
        sftp.close()
        tr.close()
        serving(t, svc, "a full disk")
    finally:
        umount(d)


def kvp_records(data):
    return [(data[i:i + 512], data[i + 512:i + KVP_RECORD]) for i in range(0, len(data), KVP_RECORD)]


def kvp_check(data):
    """None when data is a valid pool image, else why not."""
    if len(data) % KVP_RECORD:
        return "length %d is not a multiple of %d" % (len(data), KVP_RECORD)
    out = {}
    records = kvp_records(data)
    for n, (k, v) in enumerate(records):
        if b"\0" not in k or b"\0" not in v:
            return "record %d has a field without NUL" % n
        key = k.split(b"\0", 1)[0]
        if not key:
            # egs grows the file before writing appended records, so a
            # kill between the two leaves whole, empty records at the end
            # (the next write drops them); anywhere else they are wrong
            if any(r[0].split(b"\0", 1)[0] for r in records[n:]):
                return "record %d has an empty key before the end" % n
            continue
        out[key] = v.split(b"\0", 1)[0]
    return out


def test_kvp_sigkill(t):
    base = t.tmpdir("egs-fault-kvp-")
    for sub in ("config", "log", "kvp"):
        os.makedirs(os.path.join(base, sub))
    pool = os.path.join(base, "kvp", ".kvp_pool_1")
    # many records, so the locked rewrite takes a while
    keep = {("host:key:%03d" % i).encode(): ("value %d " % i).encode() * 20 for i in range(300)}
    with open(pool, "wb") as f:
        for k, v in keep.items():
            f.write(k.ljust(512, b"\0") + v.ljust(2048, b"\0"))
    iterations = 60 if os.environ.get("EGS_LONG") == "1" else 25
    rnd = random.Random(9)
    bad = []
    saw_status = 0
    for i in range(iterations):
        sock = os.path.join(base, "s%d.sock" % i)
        p = subprocess.Popen([EGS, "service", "--listen", "unix:" + sock,
                              "--config-dir", os.path.join(base, "config"),
                              "--log-dir", os.path.join(base, "log"),
                              "--kvp-dir", os.path.join(base, "kvp")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i % 2:
            # stop writes too: SIGTERM, then SIGKILL while it rewrites
            deadline = time.monotonic() + 5
            while not os.path.exists(sock) and time.monotonic() < deadline:
                time.sleep(0.005)
            p.send_signal(signal.SIGTERM)
        time.sleep(rnd.uniform(0, 0.03))
        p.kill()
        p.wait()
        try:
            os.unlink(sock)
        except OSError:
            pass
        with open(pool, "rb") as f:
            data = f.read()
        res = kvp_check(data)
        if isinstance(res, str):
            bad.append("iteration %d: %s" % (i, res))
            break
        lost = [k for k, v in keep.items() if res.get(k) != v]
        if lost:
            bad.append("iteration %d: %d host records changed or lost, e.g. %r" % (i, len(lost), lost[0]))
            break
        saw_status += b"eryph:guest-services:version" in res
    t.check("KVP pool valid after %d SIGKILLs during status writes" % iterations, not bad, bad)
    t.check("the service did write its status in some runs", saw_status > 0, saw_status)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child-upload":
        child_upload(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
        return
    t = Suite("faults: killed clients, full disks, killed service during KVP writes")
    with Service(t) as svc:
        test_kill_mid_upload(t, svc)
        test_disk_full(t, svc)
    test_kvp_sigkill(t)
    t.done()


if __name__ == "__main__":
    main()
