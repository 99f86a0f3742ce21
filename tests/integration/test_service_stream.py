"""egs service: the download path (session output to the client), which
reads a command's pipes for several packets at a time and writes them in
batches (vendor/dropbear/patches/0008, 0009). Odd-sized streams written in
odd chunks, stdout and stderr at once, a client with a small window and
maximum packet size that reads slowly, and small output that must not wait
for a batch to fill up."""
import hashlib
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import Service, Suite  # noqa: E402

import paramiko  # noqa: E402
from paramiko.common import MSG_CHANNEL_DATA, MSG_CHANNEL_EXTENDED_DATA  # noqa: E402

t = Suite("service download stream")

# paramiko's minimums are a 4096-byte packet and a 32 KiB window; odd
# values catch a server that rounds them or reads past them.
SMALL_PACKET = 5001
SMALL_WINDOW = 40001


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Recorder:
    """Wraps paramiko's channel data handlers to see every data message:
    its size and how many bytes the client holds unread after it."""

    def __init__(self):
        self.largest = 0
        self.most_unread = 0
        self.messages = 0
        table = paramiko.Transport._channel_handler_table
        self.saved = {k: table[k] for k in (MSG_CHANNEL_DATA, MSG_CHANNEL_EXTENDED_DATA)}
        table[MSG_CHANNEL_DATA] = self.wrap(self.saved[MSG_CHANNEL_DATA], False)
        table[MSG_CHANNEL_EXTENDED_DATA] = self.wrap(self.saved[MSG_CHANNEL_EXTENDED_DATA], True)

    def wrap(self, handler, extended):
        def record(chan, m):
            raw = m.asbytes()
            # paramiko strips the type byte: uint32 channel, [uint32 code],
            # then the data string's uint32 length
            off = 4 + (4 if extended else 0)
            size = int.from_bytes(raw[off:off + 4], "big")
            self.largest = max(self.largest, size)
            self.messages += 1
            handler(chan, m)
            self.most_unread = max(self.most_unread,
                                   len(chan.in_buffer) + len(chan.in_stderr_buffer))
        return record

    def restore(self):
        paramiko.Transport._channel_handler_table.update(self.saved)


def paramiko_client(svc):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(svc.sock)
    tr = paramiko.Transport(sock)
    tr.start_client(timeout=10)
    tr.auth_publickey("egs", paramiko.ECDSAKey.from_private_key_file(svc.key))
    return tr


def drain(ch, slow=False, timeout=120):
    """stdout and stderr of an exec channel until EOF on both."""
    out, err = [], []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = False
        if ch.recv_ready():
            out.append(ch.recv(7919))
            got = True
        if ch.recv_stderr_ready():
            err.append(ch.recv_stderr(7919))
            got = True
        if not got:
            if ch.eof_received and not ch.recv_ready() and not ch.recv_stderr_ready():
                break
            time.sleep(0.01)
        elif slow:
            time.sleep(0.002)
    return b"".join(out), b"".join(err)


with Service(t) as svc:
    src = os.path.join(svc.dir, "stream.bin")
    data = os.urandom(9 * 1024 * 1024 + 4099)
    with open(src, "wb") as f:
        f.write(data)

    # one producer, odd write sizes (dd bs) on both sides of a packet size
    for bs in (1, 4097, 65537, 1048583):
        count = "count=300" if bs == 1 else ""
        want = data[:300] if bs == 1 else data
        r = svc.ssh(f"dd if={src} bs={bs} {count} status=none", timeout=120)
        t.check(f"download written in {bs}-byte chunks: sha256 matches",
                r.returncode == 0 and sha(r.stdout) == sha(want),
                (r.returncode, len(r.stdout), r.stderr[-300:]))

    # stdout and stderr at full speed at the same time
    r = svc.ssh(f"dd if={src} bs=32771 status=none >&2 & dd if={src} bs=12289 status=none; wait",
                timeout=120)
    t.check("stdout and stderr at once: both streams complete",
            r.returncode == 0 and sha(r.stdout) == sha(data) and sha(r.stderr) == sha(data),
            (r.returncode, len(r.stdout), len(r.stderr)))

    # a client with a small window and packet size that reads slowly
    rec = Recorder()
    try:
        tr = paramiko_client(svc)
        ch = tr.open_session(window_size=SMALL_WINDOW, max_packet_size=SMALL_PACKET)
        ch.exec_command(f"head -c 3000000 {src}; head -c 1000003 {src} >&2")
        time.sleep(1.0)  # the server fills the window and must stop there
        t.check("small window: the server stops when the window is full",
                0 < rec.most_unread <= SMALL_WINDOW, rec.most_unread)
        out, err = drain(ch, slow=True)
        t.check("small window, slow reader: stdout intact", sha(out) == sha(data[:3000000]),
                len(out))
        t.check("small window, slow reader: stderr intact", sha(err) == sha(data[:1000003]),
                len(err))
        t.check("no data message larger than the client's maximum packet",
                0 < rec.largest <= SMALL_PACKET, (rec.largest, rec.messages))
        t.check("never more unread data than the window", rec.most_unread <= SMALL_WINDOW,
                rec.most_unread)
        t.check("small window: exit status", ch.recv_exit_status() == 0)

        # default window: packets are filled up to the 32 KiB payload limit
        rec.largest = 0
        ch = tr.open_session()
        ch.exec_command(f"cat {src}")
        out, err = drain(ch)
        t.check("default window: download intact", sha(out) == sha(data), len(out))
        t.check("data messages stay within RFC 4253's 32768-byte payload",
                0 < rec.largest <= 32768 - 9, rec.largest)

        # small output while the command keeps running must arrive at once,
        # not wait for more data to fill a batch
        ch = tr.open_session()
        ch.exec_command("echo first; sleep 20; echo never")
        got = b""
        end = time.monotonic() + 10
        while b"first\n" not in got and time.monotonic() < end:
            if ch.recv_ready():
                got += ch.recv(100)
            else:
                time.sleep(0.01)
        t.check("small output is sent while the command still runs", got == b"first\n", got)
        ch.close()

        # interactive: a line echoed by cat comes back before the next is sent
        ch = tr.open_session()
        ch.exec_command("cat")
        answers = []
        for i in range(20):
            ch.sendall(b"line %d\n" % i)
            got = b""
            end = time.monotonic() + 10
            while not got.endswith(b"\n") and time.monotonic() < end:
                if ch.recv_ready():
                    got += ch.recv(100)
                else:
                    time.sleep(0.002)
            answers.append(got)
        ch.shutdown_write()
        t.check("interactive echo: each line answered in turn",
                answers == [b"line %d\n" % i for i in range(20)], answers[:3])
        t.check("interactive echo: exit status", ch.recv_exit_status() == 0)
        tr.close()
    finally:
        rec.restore()

t.done()
