"""The original egs-tool's file-transfer dialect, byte for byte (egs-compat
§4.1, §5): a paramiko client restricted to the DevTunnels client's
algorithms sends the raw *@eryph.io channel requests with want_reply=FALSE,
streams upload data at once and never sends EOF, then reads until the
channel closes and records exit-status / exit-signal.

Run: EGS=$PWD/build/egs /usr/bin/python3 tests/integration/test_eryph_dialect.py
"""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import Suite, Service  # noqa: E402

import paramiko  # noqa: E402
from paramiko.common import (MSG_CHANNEL_FAILURE, MSG_CHANNEL_REQUEST,  # noqa: E402
                             MSG_CHANNEL_SUCCESS, cMSG_CHANNEL_REQUEST)
from paramiko.message import Message  # noqa: E402

FILE_EXISTS = 0xA0020001
FILE_NOT_FOUND = 0xA0020002
UPLOAD = "upload-file@eryph.io"
DOWNLOAD = "download-file@eryph.io"
LIST = "list-directory@eryph.io"

_orig_handle_request = paramiko.Channel._handle_request


def _handle_request(chan, m):
    """Records exit-status and exit-signal on the channel (paramiko ignores
    exit-signal), then lets paramiko handle the request as usual."""
    pos = m.packet.tell()
    key = m.get_text()
    m.get_boolean()  # want_reply
    if key == "exit-status":
        chan.egs_status = m.get_int()
    elif key == "exit-signal":
        name = m.get_text()
        m.get_boolean()  # core dumped
        chan.egs_signal = (name, m.get_string().decode("utf-8", "replace"), m.get_text())
    m.packet.seek(pos)
    return _orig_handle_request(chan, m)


def _reply_handler(kind):
    def handle(chan, m):
        chan.egs_replies.append(kind)
    return handle


class Result:
    def __init__(self, data, status, signal, eof, closed, replies):
        self.data = data
        self.replies = replies  # "success"/"failure" replies to want_reply
        self.status = status    # None: no exit-status arrived
        self.signal = signal    # None or (name, message, language)
        self.eof = eof          # the server sent CHANNEL_EOF
        self.closed = closed    # the channel closed within the timeout

    @property
    def success(self):
        return self.closed and self.status is None and self.signal is None

    def __repr__(self):
        return "Result(status=%r, signal=%r, eof=%r, closed=%r, replies=%r, data=%r)" % (
            None if self.status is None else hex(self.status), self.signal, self.eof,
            self.closed, self.replies, self.data[:200])


class Dialect:
    """One SSH session to the service with the original client's algorithms."""

    def __init__(self, svc, cipher="aes256-ctr"):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(svc.sock)
        self.t = paramiko.Transport(self.sock)
        opts = self.t.get_security_options()
        opts.kex = ("ecdh-sha2-nistp256",)
        opts.key_types = ("ecdsa-sha2-nistp256",)
        opts.ciphers = (cipher,)
        opts.digests = ("hmac-sha2-256",)
        opts.compression = ("none",)
        # record exit-signal too (the table maps message types to handlers)
        table = dict(paramiko.Transport._channel_handler_table)
        table[MSG_CHANNEL_REQUEST] = _handle_request
        table[MSG_CHANNEL_SUCCESS] = _reply_handler("success")
        table[MSG_CHANNEL_FAILURE] = _reply_handler("failure")
        self.t._channel_handler_table = table
        self.t.start_client(timeout=20)
        key = paramiko.ECDSAKey.from_private_key_file(svc.key)
        self.t.auth_publickey("egs", key)

    def op(self, rtype, payload, data=None, timeout=30, close_after_data=False,
           want_reply=False):
        # DevTunnels client defaults: window 1 MiB, max packet 32 KiB
        chan = self.t.open_session(window_size=1 << 20, max_packet_size=32768)
        chan.egs_status = None
        chan.egs_signal = None
        chan.egs_replies = []
        m = Message()
        m.add_byte(cMSG_CHANNEL_REQUEST)
        m.add_int(chan.remote_chanid)
        m.add_string(rtype)
        m.add_boolean(want_reply)  # FALSE from egs-tool
        m.add_bytes(payload)
        self.t._send_user_message(m)
        if data:
            try:
                chan.sendall(data)  # at once, and no EOF afterwards
            except OSError:
                # the server may answer (FileExists) and close the channel
                # before all data is out, as the original does
                pass
        if close_after_data:
            chan.close()
            return chan
        chan.settimeout(timeout)
        buf = bytearray()
        try:
            while True:
                d = chan.recv(65536)
                if not d:
                    break
                buf += d
        except socket.timeout:
            pass
        deadline = time.monotonic() + timeout
        while not chan.closed and time.monotonic() < deadline:
            time.sleep(0.01)
        return Result(bytes(buf), chan.egs_status, chan.egs_signal, chan.eof_received,
                      chan.closed, chan.egs_replies)

    def upload(self, base, path, data, overwrite=False, length=None, **kw):
        p = Message()
        p.add_string(base.encode())
        p.add_string(path.encode())
        p.add_int64(len(data) if length is None else length)
        p.add_boolean(overwrite)
        return self.op(UPLOAD, p.asbytes(), data, **kw)

    def download(self, path, **kw):
        p = Message()
        p.add_string(path.encode())
        return self.op(DOWNLOAD, p.asbytes(), **kw)

    def list(self, path):
        p = Message()
        p.add_string(path.encode())
        return self.op(LIST, p.asbytes())

    def close(self):
        self.t.close()
        self.sock.close()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def upload_directory(d, src, dst):
    """egs-tool upload-directory --recursive, composed client-side (§5.5)."""
    results = {}
    for root, _dirs, files in os.walk(src):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), src).replace(os.sep, "/")
            results[rel] = d.upload(dst, rel, read(os.path.join(root, name)))
    return results


def download_directory(d, src, dst):
    """egs-tool download-directory --recursive (§5.5); returns failures."""
    r = d.list(src)
    if not r.success:
        return ["list %s: %r" % (src, r)]
    failures = []
    os.makedirs(dst, exist_ok=True)
    for e in json.loads(r.data):
        target = os.path.join(dst, e["name"])
        if e["isDirectory"]:
            failures += download_directory(d, e["fullPath"], target)
            continue
        f = d.download(e["fullPath"])
        if not f.success:
            failures.append("download %s: %r" % (e["fullPath"], f))
            continue
        with open(target, "wb") as out:
            out.write(f.data)
    return failures


def tree(root):
    out = {}
    for r, _dirs, files in os.walk(root):
        for name in files:
            p = os.path.join(r, name)
            out[os.path.relpath(p, root)] = read(p)
    return out


def no_temp_files(root, wait=10.0):
    """The upload temporary files left under root, after waiting up to
    wait seconds for the service to remove them."""
    deadline = time.monotonic() + wait
    while True:
        left = [os.path.join(r, n) for r, _d, fs in os.walk(root) for n in fs
                if "egs-upload" in n]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def main():
    t = Suite("eryph.io file-transfer dialect")
    env = dict(os.environ, TZ="UTC0")
    with Service(t, env=env) as svc:
        work = t.tmpdir("egs-dialect-")
        try:
            d = Dialect(svc)
        except Exception as e:  # noqa: BLE001
            t.check("connect with the original client's algorithms", False,
                    "%r\n%s" % (e, svc.output()))
            t.done()
        t.check("negotiated aes256-ctr / hmac-sha2-256 / ecdsa-sha2-nistp256",
                d.t.local_cipher == "aes256-ctr" and d.t.local_mac == "hmac-sha2-256"
                and d.t.host_key_type == "ecdsa-sha2-nistp256",
                (d.t.local_cipher, d.t.local_mac, d.t.host_key_type))

        # ---- upload ---------------------------------------------------
        dest = os.path.join(work, "single.txt")
        r = d.upload("", dest, b"hello eryph\n")
        t.check("upload: success is a plain close", r.success, r)
        t.check("upload: content", read(dest) == b"hello eryph\n", read(dest))
        t.check("upload: new file mode 0666 & ~umask", os.stat(dest).st_mode & 0o777
                == 0o666 & ~current_umask(svc), oct(os.stat(dest).st_mode))

        r = d.upload("", dest, b"other")
        t.check("upload: FileExists without overwrite", r.status == FILE_EXISTS
                and r.signal is None and r.closed, r)
        t.check("upload: FileExists leaves the destination", read(dest) == b"hello eryph\n",
                read(dest))

        os.chmod(dest, 0o600)
        r = d.upload("", dest, b"replaced", overwrite=True)
        t.check("upload: overwrite", r.success and read(dest) == b"replaced", (r, read(dest)))
        t.check("upload: overwrite keeps the mode", os.stat(dest).st_mode & 0o777 == 0o600,
                oct(os.stat(dest).st_mode))

        base = os.path.join(work, "base")
        r = d.upload(base, "a/b/nested.txt", b"nested")
        t.check("upload: basePath + relative path creates parents",
                r.success and read(os.path.join(base, "a/b/nested.txt")) == b"nested", r)

        r = d.upload("", os.path.join(work, "empty.txt"), b"")
        t.check("upload: length 0 creates an empty file",
                r.success and read(os.path.join(work, "empty.txt")) == b"", r)

        big = os.urandom(3 * 1024 * 1024 + 123)  # > window: flow control
        r = d.upload("", os.path.join(work, "big.bin"), big, timeout=120)
        t.check("upload: 3 MiB", r.success and read(os.path.join(work, "big.bin")) == big, r)

        r = d.upload("", os.path.join(work, "extra.txt"), b"12345EXTRA", length=5)
        t.check("upload: exactly length bytes are written",
                r.success and read(os.path.join(work, "extra.txt")) == b"12345", r)

        os.makedirs(os.path.join(work, "isdir"))
        r = d.upload("", os.path.join(work, "isdir"), b"data", overwrite=True)
        t.check("upload into a directory: exit-signal exception@eryph.io",
                r.signal is not None and r.signal[0] == "exception@eryph.io"
                and r.status is None and r.closed, r)
        t.check("upload into a directory: .NET-like message",
                r.signal is not None and r.signal[1] ==
                "Access to the path '%s' is denied." % os.path.join(work, "isdir"), r)

        # ---- download -------------------------------------------------
        r = d.download(dest)
        t.check("download: content, plain close", r.success and r.data == b"replaced", r)
        r = d.download(os.path.join(work, "big.bin"))
        t.check("download: 3 MiB", r.success and r.data == big, r.status)
        r = d.download(os.path.join(work, "missing.txt"))
        t.check("download: FileNotFound for a missing file",
                r.status == FILE_NOT_FOUND and r.signal is None and r.data == b"", r)
        r = d.download(work)
        t.check("download: FileNotFound for a directory", r.status == FILE_NOT_FOUND, r)
        print("# note: the server %s CHANNEL_EOF before CLOSE (the original never does)"
              % ("sends" if r.eof else "does not send"), flush=True)

        # ---- want_reply=TRUE (a custom client): the server still answers --
        r = d.download(dest, want_reply=True)
        t.check("want_reply: CHANNEL_SUCCESS, then the download",
                r.replies == ["success"] and r.success and r.data == b"replaced", r)
        p = Message()
        p.add_string(b"/x")
        r = d.op("no-such-request@eryph.io", p.asbytes(), want_reply=True, timeout=5)
        t.check("want_reply: unknown request gets CHANNEL_FAILURE", r.replies == ["failure"],
                r)
        r = d.op(DOWNLOAD, b"\0\0\0\x09/x", want_reply=True, timeout=10)
        t.check("malformed payload: failure or exception, no crash",
                r.replies == ["failure"] or (r.signal is not None and "path" in r.signal[1]),
                r)

        # ---- list-directory -------------------------------------------
        ld = os.path.join(work, "ls")
        os.makedirs(os.path.join(ld, "sub"))
        with open(os.path.join(ld, "f.txt"), "wb") as f:
            f.write(b"12345")
        with open(os.path.join(ld, ".hidden"), "wb") as f:
            f.write(b"hh")
        t0 = 1780317296  # 2026-06-01T12:34:56Z
        os.utime(os.path.join(ld, "f.txt"), ns=(t0 * 10**9 + 123456789,) * 2)
        os.utime(os.path.join(ld, "sub"), ns=(t0 * 10**9,) * 2)
        r = d.list(ld)
        t.check("list: success is a plain close", r.success, r)
        try:
            entries = json.loads(r.data)
        except ValueError:
            entries = None
        t.check("list: one JSON array", isinstance(entries, list), r.data)
        entries = entries if isinstance(entries, list) else []
        t.check("list: compact JSON", b", " not in r.data and b": " not in r.data, r.data)
        by = {e.get("name"): e for e in entries}
        t.check("list: entries (dot-files included, no . or ..)",
                sorted(by) == [".hidden", "f.txt", "sub"], sorted(by))
        t.check("list: field names", all(list(e) == ["name", "fullPath", "isDirectory", "size",
                                                     "lastModified"] for e in entries), entries)
        f = by.get("f.txt", {})
        t.check("list: file entry", f.get("fullPath") == os.path.join(ld, "f.txt")
                and f.get("isDirectory") is False and f.get("size") == 5, f)
        t.check("list: lastModified (TZ=UTC0)",
                f.get("lastModified") == "2026-06-01T12:34:56.1234567+00:00", f)
        s = by.get("sub", {})
        t.check("list: directory entry", s.get("fullPath") == os.path.join(ld, "sub")
                and s.get("isDirectory") is True and s.get("size") == 0
                and s.get("lastModified") == "2026-06-01T12:34:56+00:00", s)
        h = by.get(".hidden", {})
        t.check("list: dot-file entry", h.get("isDirectory") is False and h.get("size") == 2
                and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?[+-]\d\d:\d\d",
                                 h.get("lastModified", "")) is not None, h)
        r = d.list(os.path.join(work, "no-such-dir"))
        t.check("list: FileNotFound for a missing directory",
                r.status == FILE_NOT_FOUND and r.data == b"", r)
        r = d.list(dest)
        t.check("list: FileNotFound for a file", r.status == FILE_NOT_FOUND, r)

        # ---- directory flows (§5.5, client-side) ------------------------
        src = os.path.join(work, "src-tree")
        for rel, data in {"top.txt": b"top", "d1/one.txt": b"one",
                          "d1/d2/two.bin": os.urandom(70000), ".dot": b"dot"}.items():
            os.makedirs(os.path.dirname(os.path.join(src, rel)), exist_ok=True)
            with open(os.path.join(src, rel), "wb") as f:
                f.write(data)
        guest = os.path.join(work, "guest-tree")
        results = upload_directory(d, src, guest)
        t.check("upload-directory: every file", all(x.success for x in results.values()), results)
        t.check("upload-directory: tree on the guest", tree(guest) == tree(src), tree(guest))
        back = os.path.join(work, "back-tree")
        failures = download_directory(d, guest, back)
        t.check("download-directory: no failures", failures == [], failures)
        t.check("download-directory: same tree", tree(back) == tree(src), tree(back))
        results = upload_directory(d, src, guest)
        t.check("upload-directory again: FileExists for each file",
                all(x.status == FILE_EXISTS for x in results.values()), results)

        # ---- an upload cut short never leaves a partial file -------------
        part = os.path.join(work, "partial.bin")
        ch = d.upload("", part, os.urandom(50000), length=100000, close_after_data=True)
        time.sleep(1.0)
        t.check("close mid-upload: no destination file", read(part) is None, len(read(part) or b""))
        keep = os.path.join(work, "keep.bin")
        with open(keep, "wb") as f:
            f.write(b"old content")
        d.upload("", keep, os.urandom(50000), length=100000, overwrite=True,
                 close_after_data=True)
        time.sleep(1.0)
        t.check("close mid-upload: old content kept", read(keep) == b"old content",
                len(read(keep) or b""))
        t.check("close mid-upload: temporary files removed", no_temp_files(work) == [],
                no_temp_files(work))
        del ch

        # the session itself goes away mid-upload
        d2 = Dialect(svc)
        gone = os.path.join(work, "gone.bin")
        d2.upload("", gone, os.urandom(40000), length=100000, close_after_data=True)
        d2.close()
        time.sleep(1.0)
        t.check("connection lost mid-upload: no destination file", read(gone) is None)
        t.check("connection lost mid-upload: temporary files removed",
                no_temp_files(work) == [], no_temp_files(work))

        # the session is still usable after all that
        r = d.download(dest)
        t.check("session still usable", r.success and r.data == b"replaced", r)
        d.close()

        # aes256-gcm@openssh.com: the cipher OpenSSH picks with egs-tool's config
        if "aes256-gcm@openssh.com" in paramiko.Transport._preferred_ciphers:
            d3 = Dialect(svc, cipher="aes256-gcm@openssh.com")
            r = d3.download(dest)
            t.check("aes256-gcm@openssh.com: download", r.success and r.data == b"replaced", r)
            d3.close()
        else:
            print("# skipped aes256-gcm@openssh.com: paramiko %s has no GCM" %
                  paramiko.__version__, flush=True)
    t.done()


def current_umask(svc):
    """The umask the service runs with (it inherits ours)."""
    m = os.umask(0)
    os.umask(m)
    return m


if __name__ == "__main__":
    main()
