"""Helpers for egs integration tests (run with Debian's /usr/bin/python3).

    from egstest import Suite, Service, EGS
    t = Suite("service basics")
    with Service(t) as svc:                  # egs service on a unix socket
        r = svc.ssh("echo hello")            # stock OpenSSH client via egs proxy
        t.check("exec output", r.stdout == b"hello\\n", r)
    t.done()                                 # prints "N passed, N failed", exits

Everything lives in a temporary directory that is removed at the end;
nothing touches the machine's own /etc, ~/.ssh or services, and no
AF_VSOCK socket is ever opened here (tests listen on unix/tcp only).
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EGS = os.environ.get("EGS") or os.path.join(ROOT, "build", "egs")
SHARED = os.environ.get("EGS_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")


class Suite:
    """Counts checks and prints the closing line tests/run.py reads."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self._tmp = []
        print(f"# {name}", flush=True)

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}", flush=True)
            if detail != "":
                text = detail if isinstance(detail, str) else repr(detail)
                for line in text.splitlines()[-30:]:
                    print(f"     {line}", flush=True)
        return bool(cond)

    def tmpdir(self, prefix="egs-test-"):
        d = tempfile.mkdtemp(prefix=prefix)
        self._tmp.append(d)
        return d

    def done(self):
        for d in self._tmp:
            shutil.rmtree(d, ignore_errors=True)
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def run(cmd, input=None, timeout=60, env=None, cwd=None):
    """subprocess.run with captured bytes; never raises on exit codes."""
    return subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, env=env, cwd=cwd)


def keygen(path, kind="ecdsa"):
    """An unencrypted client key pair (ecdsa P-256 as the original's)."""
    args = ["-t", "ecdsa", "-b", "256"] if kind == "ecdsa" else ["-t", kind]
    subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", "egs-test", "-f", path] + args,
                   check=True)
    with open(path + ".pub") as f:
        return f.read()


class Service:
    """`egs service` on a unix socket in a temporary directory, with a
    throwaway client key in id_egs.pub. Use as a context manager."""

    def __init__(self, suite, extra_args=(), key_kind="ecdsa", authorize=True, env=None,
                 wrapper=(), egs=None):
        """wrapper: a command the service runs under (e.g. valgrind ...);
        egs: the binary to serve with (default $EGS)."""
        self.suite = suite
        self.wrapper = list(wrapper)
        self.egs = egs or EGS
        self.dir = suite.tmpdir("egs-svc-")
        self.config = os.path.join(self.dir, "config")
        self.logdir = os.path.join(self.dir, "log")
        self.kvpdir = os.path.join(self.dir, "kvp")
        self.sock = os.path.join(self.dir, "egs.sock")
        os.makedirs(self.config)
        os.makedirs(self.kvpdir)
        self.key = os.path.join(self.dir, "id_client")
        self.pubkey = keygen(self.key, key_kind)
        if authorize:
            with open(os.path.join(self.config, "id_egs.pub"), "w") as f:
                f.write(self.pubkey)
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None

    def start(self, wait=10):
        self.stdout = open(os.path.join(self.dir, "service.out"), "wb")
        cmd = self.wrapper + [self.egs, "service", "--listen", "unix:" + self.sock, "--config-dir", self.config,
               "--log-dir", self.logdir, "--kvp-dir", self.kvpdir] + self.extra_args
        self.proc = subprocess.Popen(cmd, stdout=self.stdout, stderr=subprocess.STDOUT,
                                     env=self.env)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("egs service exited early:\n" + self.output())
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("egs service did not start listening:\n" + self.output())

    def stop(self, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.stdout.close()
        return self.proc.returncode if self.proc else None

    def output(self):
        try:
            with open(os.path.join(self.dir, "service.out"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def ssh_opts(self, key=None, user="egs"):
        return ["-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=" + os.path.join(self.dir, "known_hosts"),
                "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes",
                "-o", "ProxyCommand=%s proxy unix/%s" % (EGS, self.sock),
                "-i", key or self.key, "-l", user]

    def ssh(self, command, input=None, key=None, user="egs", extra=(), timeout=60):
        cmd = ["ssh"] + self.ssh_opts(key, user) + list(extra) + ["guest", command]
        return run(cmd, input=input, timeout=timeout)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class ThreadedServer:
    """A stream listener (unix path or tcp address) that hands every
    accepted connection to self.serve(conn) in its own daemon thread.
    Subclasses define serve; close() stops accepting."""

    def __init__(self, family, addr, backlog=8):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(addr)
        self.sock.listen(backlog)
        self.addr = self.sock.getsockname()
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, conn):
        raise NotImplementedError

    def close(self):
        # shutdown wakes the thread blocked in accept(); close alone would
        # leave the socket listening until then
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
