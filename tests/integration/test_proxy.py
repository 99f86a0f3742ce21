#!/usr/bin/python3
"""egs proxy: unix, tcp (127.0.0.1), vsock-mux (an in-test responder) and
--fdpass, plus its error messages. Never opens AF_VSOCK.

Run: EGS=/path/to/egs /usr/bin/python3 tests/integration/test_proxy.py
"""
import array
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import ThreadedServer  # noqa: E402

EGS = os.environ.get("EGS", "build/egs")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def run(args, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([EGS, "proxy"] + args, capture_output=True, timeout=30, **kw)


class EchoServer(ThreadedServer):
    """Echoes every byte; on EOF from the client it closes its side."""

    def serve(self, c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)


class MuxResponder(ThreadedServer):
    """A Firecracker-style hybrid vsock socket: reads "CONNECT <port>\\n",
    then behaves as told: 'ok' answers OK and relays to the echo server,
    'silent' never answers, 'garbage' answers junk, 'close' hangs up."""

    def __init__(self, path, mode, echo_path=None):
        self.mode, self.echo_path, self.lines = mode, echo_path, []
        super().__init__(socket.AF_UNIX, path)

    def serve(self, c):
        line = b""
        while not line.endswith(b"\n"):
            b = c.recv(1)
            if not b:
                c.close()
                return
            line += b
        self.lines.append(line)
        if self.mode == "close":
            c.close()
            return
        if self.mode == "garbage":
            c.sendall(b"NOPE\n")
            time.sleep(0.5)
            c.close()
            return
        if self.mode == "silent":
            time.sleep(8)
            c.close()
            return
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(self.echo_path)
        # OK and the first bytes of the stream in one segment: the proxy
        # must not swallow anything after the OK line
        c.sendall(b"OK 1073741824\nHELLO\n")

        def pump(a, b):
            while True:
                d = a.recv(65536)
                if not d:
                    try:
                        b.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                b.sendall(d)

        t = threading.Thread(target=pump, args=(up, c), daemon=True)
        t.start()
        pump(c, up)
        t.join(10)
        c.close()
        up.close()


def roundtrip(target, payload, extra=()):
    """Runs egs proxy with pipes, sends payload, closes stdin."""
    p = subprocess.run([EGS, "proxy", target] + list(extra), input=payload,
                       capture_output=True, timeout=30)
    return p


def main():
    tmp = tempfile.mkdtemp(prefix="egs-proxy-test.")
    try:
        tests(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def tests(tmp):
    # --help and usage
    p = run(["--help"])
    check(p.returncode == 0 and b"Usage: egs proxy" in p.stdout, "--help exits 0 with usage")
    p = run([])
    check(p.returncode == 2 and b"Usage" in p.stderr, "no args: usage, exit 2")
    p = run(["vsock/x"])
    check(p.returncode == 2 and b"invalid vsock CID 'x'" in p.stderr, "bad CID: exit 2")
    p = run(["bogus"])
    check(p.returncode == 2 and b"don't know how to reach 'bogus'" in p.stderr, "unknown target")
    p = run(["--frob", "unix/x"])
    check(p.returncode == 2, "unknown option: exit 2")
    p = run(["a", "1", "2"])
    check(p.returncode == 2, "too many args: exit 2")
    p = run(["6f1f2f3a-1111-2222-3333-444455556666.hyper-v.alt"])
    check(p.returncode == 1 and b"Hyper-V host side needs Windows" in p.stderr,
          "hyper-v target: clear error")

    # unix
    echo_path = os.path.join(tmp, "echo.sock")
    echo = EchoServer(socket.AF_UNIX, echo_path)
    data = os.urandom(4 << 20)
    p = roundtrip("unix" + echo_path, data)
    check(p.returncode == 0, f"unix relay exit 0 ({p.stderr!r})")
    check(p.stdout == data, "unix relay: 4 MiB echoed intact")
    p = roundtrip("unix%" + echo_path.lstrip("/"), b"percent form\n")
    check(p.returncode == 0 and p.stdout == b"percent form\n", "unix% form")
    # relative path (./x) is taken from the cwd
    p = subprocess.run([EGS, "proxy", "unix/./echo.sock"], input=b"rel", capture_output=True,
                       timeout=30, cwd=tmp)
    check(p.returncode == 0 and p.stdout == b"rel", "unix/./relative path")

    # errors name the target and errno, with a hint
    p = run(["unix" + os.path.join(tmp, "missing.sock")])
    check(p.returncode == 1 and
          p.stderr.decode().strip() == f"egs proxy: cannot connect to unix{tmp}/missing.sock: "
          "No such file or directory (no such socket: is the VM running?)", "missing socket message")
    dead = os.path.join(tmp, "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(dead)
    s.close()
    p = run(["unix" + dead])
    check(p.returncode == 1 and b"Connection refused (is egs service running in the guest?)"
          in p.stderr, "refused message")

    # tcp on loopback
    tcp = EchoServer(socket.AF_INET, ("127.0.0.1", 0))
    port = tcp.addr[1]
    p = roundtrip(f"tcp/127.0.0.1:{port}", data[: 1 << 20])
    check(p.returncode == 0 and p.stdout == data[: 1 << 20], "tcp relay")
    p = roundtrip("tcp/127.0.0.1", b"x", extra=[str(port)])
    check(p.returncode == 0 and p.stdout == b"x", "tcp port from the PORT argument")
    tcp.close()
    p = run([f"tcp/127.0.0.1:{port}"])
    check(p.returncode == 1 and b"Connection refused" in p.stderr and
          f"tcp/127.0.0.1:{port}".encode() in p.stderr, "tcp refused names the target")

    # vsock-mux
    mux_path = os.path.join(tmp, "mux.sock")
    mux = MuxResponder(mux_path, "ok", echo_path)
    p = roundtrip("vsock-mux" + mux_path, b"through the mux\n")
    check(p.returncode == 0, f"vsock-mux exit 0 ({p.stderr!r})")
    check(p.stdout == b"HELLO\nthrough the mux\n", "vsock-mux: data after OK kept, relay works")
    check(mux.lines[-1:] == [b"CONNECT 5002\n"], "vsock-mux sends CONNECT 5002")
    p = roundtrip("vsock-mux%" + mux_path, b"", extra=["1024"])
    check(mux.lines[-1:] == [b"CONNECT 1024\n"], "vsock-mux port argument")
    mux.close()

    for mode, want, max_s in (("garbage", b"unexpected reply to CONNECT 5002: \"N\"", 3),
                              ("close", b"connection closed before OK", 3),
                              ("silent", b"no \"OK\" reply to CONNECT 5002 within 5 s", 8)):
        path = os.path.join(tmp, f"mux-{mode}.sock")
        m = MuxResponder(path, mode)
        t0 = time.monotonic()
        p = run(["vsock-mux" + path])
        dt = time.monotonic() - t0
        check(p.returncode == 1 and want in p.stderr,
              f"vsock-mux {mode}: {p.stderr!r}")
        check(dt < max_s, f"vsock-mux {mode} took {dt:.1f}s")
        check(f"vsock-mux{path} port 5002".encode() in p.stderr, f"vsock-mux {mode} names target")
        m.close()

    # --fdpass: stdout is one end of a socketpair; we receive the fd
    for target in ("unix" + echo_path, "vsock-mux" + os.path.join(tmp, "mux2.sock")):
        m2 = MuxResponder(os.path.join(tmp, "mux2.sock"), "ok", echo_path) \
            if target.startswith("vsock-mux") else None
        a, b = socket.socketpair()
        proc = subprocess.Popen([EGS, "proxy", "--fdpass", target], stdout=b.fileno(),
                                stderr=subprocess.PIPE)
        b.close()
        msg, anc, _, _ = a.recvmsg(1, socket.CMSG_SPACE(4))
        fds = array.array("i")
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(cdata[:4])
        rc = proc.wait(10)
        err = proc.stderr.read()
        proc.stderr.close()
        check(rc == 0, f"fdpass {target}: exit 0 ({err!r})")
        check(msg == b"\0", "fdpass: one NUL byte with the fd (as OpenSSH expects)")
        check(len(fds) == 1, "fdpass: got one fd")
        if fds:
            conn = socket.socket(fileno=fds[0])
            if m2:
                hello = b""
                while len(hello) < 6:
                    hello += conn.recv(6 - len(hello))
                check(hello == b"HELLO\n", "fdpass via mux: OK line consumed, data intact")
            conn.sendall(b"ping")
            got = b""
            while len(got) < 4:
                d = conn.recv(4)
                if not d:
                    break
                got += d
            check(got == b"ping", f"fdpass {target}: talk through the passed fd")
            conn.close()
        a.close()
        if m2:
            m2.close()

    # --fdpass with stdout not a socket: relays instead
    p = roundtrip("unix" + echo_path, b"fallback", extra=["--fdpass"])
    check(p.returncode == 0 and p.stdout == b"fallback", "--fdpass without a socket relays")

    # half-close: the server answers after our EOF
    late = os.path.join(tmp, "late.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(late)
    ls.listen(1)

    def late_server():
        c, _ = ls.accept()
        buf = b""
        while True:
            d = c.recv(100)
            if not d:
                break
            buf += d
        time.sleep(0.2)
        c.sendall(b"after eof: " + buf)
        c.close()

    threading.Thread(target=late_server, daemon=True).start()
    p = roundtrip("unix" + late, b"question")
    check(p.returncode == 0 and p.stdout == b"after eof: question",
          f"half-close: answer after stdin EOF ({p.stdout!r})")
    ls.close()

    # the peer closing ends the proxy even while stdin stays open
    closer = os.path.join(tmp, "closer.sock")
    cs = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cs.bind(closer)
    cs.listen(1)

    def closing_server():
        c, _ = cs.accept()
        c.sendall(b"bye\n")
        c.close()

    threading.Thread(target=closing_server, daemon=True).start()
    r, w = os.pipe()
    proc = subprocess.Popen([EGS, "proxy", "unix" + closer], stdin=r, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.close(r)
    try:
        out, err = proc.communicate(timeout=10)
        check(proc.returncode == 0 and out == b"bye\n", "peer close ends the proxy")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        check(False, "peer close ends the proxy (hung)")
    os.close(w)
    cs.close()
    echo.close()


if __name__ == "__main__":
    sys.exit(main())
