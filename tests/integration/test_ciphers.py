"""Issue 8: the BearSSL cipher modes inside the embedded Dropbear against
the stock OpenSSH client (20 MiB up and down per cipher, sha256 checked),
paramiko with aes256-ctr (the original client's fallback) and with
aes128/256-ctr + hmac-sha2-256/512, packets of many small sizes, and a
transfer with RekeyLimit=1M so that keys change many times mid-stream.
(Dropbear 2022.83 has no -etm@openssh.com MACs.)"""
import hashlib
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import Service, Suite  # noqa: E402

import paramiko  # noqa: E402

SIZE = 20 * 1024 * 1024
CASES = [
    ("aes128-gcm@openssh.com", None),
    ("aes256-gcm@openssh.com", None),
    ("chacha20-poly1305@openssh.com", None),
    ("aes128-ctr", "hmac-sha2-256"),
    ("aes256-ctr", "hmac-sha2-512"),
]

t = Suite("ciphers (BearSSL modes in Dropbear)")
data = os.urandom(SIZE)
digest = hashlib.sha256(data).hexdigest()
src = os.path.join(t.tmpdir(), "data")
with open(src, "wb") as f:
    f.write(data)


def algos(cipher, mac):
    extra = ["-c", cipher, "-v"]
    if mac:
        extra += ["-m", mac]
    return extra


def negotiated(stderr, cipher):
    # ssh -v: "debug1: kex: server->client cipher: X MAC: Y ..." (both ways)
    lines = [l for l in stderr.decode("utf-8", "replace").splitlines() if "cipher:" in l]
    return len(lines) >= 2 and all(cipher in l for l in lines)


with Service(t) as svc:
    for cipher, mac in CASES:
        name = cipher + (" + " + mac if mac else "")
        r = svc.ssh("sha256sum", input=data, extra=algos(cipher, mac), timeout=120)
        t.check(f"{name}: 20 MiB up, sha256 matches",
                r.returncode == 0 and r.stdout.split()[:1] == [digest.encode()],
                (r.returncode, r.stdout[:200], r.stderr[-1500:]))
        t.check(f"{name}: negotiated", negotiated(r.stderr, cipher), r.stderr[-1500:])
        r = svc.ssh("cat " + src, extra=algos(cipher, mac), timeout=120)
        t.check(f"{name}: 20 MiB down, sha256 matches",
                r.returncode == 0 and hashlib.sha256(r.stdout).hexdigest() == digest,
                (r.returncode, len(r.stdout), r.stderr[-1500:]))

    # Rekeying: OpenSSH renegotiates after every MiB in each direction.
    for cipher in ("aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com", "aes128-ctr"):
        extra = ["-c", cipher, "-o", "RekeyLimit=1M", "-v"]
        r = svc.ssh(f"sha256sum; cat {src}", input=data, extra=extra, timeout=120)
        out = r.stdout
        rekeys = r.stderr.count(b"SSH2_MSG_KEXINIT sent")
        t.check(f"{cipher}, RekeyLimit=1M: 20 MiB up and down intact",
                r.returncode == 0 and out[:64] == digest.encode()
                and hashlib.sha256(out[out.index(b"\n") + 1:]).hexdigest() == digest,
                (r.returncode, len(out), r.stderr[-1500:]))
        t.check(f"{cipher}, RekeyLimit=1M: many key exchanges ({rekeys})", rekeys >= 20, rekeys)

    # Packets of every small size: one `head -c N` per N, so the payload
    # lengths cross the 16-, 64- and 512-byte steps of the block code.
    sizes = range(0, 700, 3)
    want = b"".join(data[:n] for n in sizes)
    loop = "for n in %s; do head -c $n %s; done" % (" ".join(map(str, sizes)), src)
    for cipher, mac in (("chacha20-poly1305@openssh.com", None), ("aes128-ctr", "hmac-sha2-256")):
        name = cipher + (" + " + mac if mac else "")
        r = svc.ssh(loop, extra=algos(cipher, mac), timeout=120)
        t.check(f"{name}: {len(sizes)} small packets of growing size intact",
                r.returncode == 0 and r.stdout == want,
                (r.returncode, len(r.stdout), len(want), r.stderr[-1500:]))

    # paramiko (the original client's library): aes256-ctr as the original
    # client falls back to, and the SHA-2 MACs with both ctr ciphers.
    def paramiko_roundtrip(cipher, mac):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(svc.sock)
        tr = paramiko.Transport(sock)
        tr.get_security_options().ciphers = (cipher,)
        if mac:
            tr.get_security_options().digests = (mac,)
        tr.start_client(timeout=30)
        name = f"paramiko {cipher}" + (f" + {mac}" if mac else "")
        t.check(f"{name}: negotiated", tr.remote_cipher == cipher and tr.local_cipher == cipher
                and (not mac or (tr.remote_mac == mac and tr.local_mac == mac)),
                (tr.remote_cipher, tr.local_cipher, tr.remote_mac, tr.local_mac))
        tr.auth_publickey("egs", paramiko.ECDSAKey.from_private_key_file(svc.key))
        ch = tr.open_session()
        ch.exec_command("sha256sum; cat " + src)
        view = memoryview(data)
        for off in range(0, SIZE, 1 << 16):
            ch.sendall(view[off:off + (1 << 16)])
        ch.shutdown_write()
        chunks = []
        while True:
            b = ch.recv(1 << 20)
            if not b:
                break
            chunks.append(b)
        out = b"".join(chunks)
        status = ch.recv_exit_status()
        t.check(f"{name}: 20 MiB up and down intact",
                status == 0 and out[:64] == digest.encode()
                and hashlib.sha256(out[out.index(b"\n") + 1:]).hexdigest() == digest,
                (status, len(out)))
        tr.close()

    paramiko_roundtrip("aes256-ctr", None)
    paramiko_roundtrip("aes128-ctr", "hmac-sha2-256")
    paramiko_roundtrip("aes256-ctr", "hmac-sha2-512")

t.done()
