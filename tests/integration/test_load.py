"""Load: 64 concurrent SSH sessions (the stock OpenSSH client through
`egs proxy`) doing exec with a small stdin/stdout round trip and SFTP
put/get of 10 MiB files for a bounded time (EGS_LOAD_SECONDS, default
60 s), with zero failures; then no fd or RSS growth in the listener over
1000 sequential connections. The sanitizer build (EGS_SAN=1), whose
sessions are several times slower, runs 15 s and 300 connections unless
EGS_LONG=1.

Run: EGS=$PWD/build/egs /usr/bin/python3 tests/integration/test_load.py
"""
import hashlib
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from egstest import Suite, Service, run  # noqa: E402

SHORT = os.environ.get("EGS_SAN") == "1" and os.environ.get("EGS_LONG") != "1"
SECONDS = float(os.environ.get("EGS_LOAD_SECONDS", "15" if SHORT else "60"))
SEQUENTIAL = 300 if SHORT else 1000
CLIENTS = 64
TRANSFER = 10 << 20  # bytes per SFTP put and get


def sftp_cli(svc, batch, timeout=60):
    """The stock OpenSSH sftp client running batch (text) against svc
    (sftp takes no -l, so the user goes in as -o User=)."""
    opts = svc.ssh_opts()
    i = opts.index("-l")
    opts[i:i + 2] = ["-o", "User=" + opts[i + 1]]
    return run(["sftp", "-q", "-b", "-"] + opts + ["guest"], input=batch.encode(),
               timeout=timeout)


def worker(svc, n, stop, stats, lock, scratch):
    """Loops until stop: exec round trips, and every third round an SFTP
    put + get of a 10 MiB file, checking every byte."""
    rounds = 0
    big = bytearray(os.urandom(TRANSFER))
    while not stop.is_set():
        rounds += 1
        data = os.urandom(1024 + (n * 97 + rounds * 31) % 8192)
        digest = hashlib.sha256(data).hexdigest()
        if rounds % 3 == 0:
            big[:8] = rounds.to_bytes(8, "little")  # a new file every round
            data = bytes(big)
        try:
            if rounds % 3:
                r = svc.ssh("sha256sum", input=data, timeout=60)
                ok = r.returncode == 0 and r.stdout.split()[:1] == [digest.encode()]
                what = "exec"
            else:
                src = os.path.join(scratch, "in-%d" % n)
                back = os.path.join(scratch, "back-%d" % n)
                remote = os.path.join(scratch, "remote-%d" % n)
                with open(src, "wb") as f:
                    f.write(data)
                batch = "put %s %s\nget %s %s\nrm %s\n" % (src, remote, remote, back, remote)
                r = sftp_cli(svc, batch, timeout=300)
                with open(back, "rb") as f:
                    ok = r.returncode == 0 and f.read() == data
                what = "sftp"
        except Exception as e:  # noqa: BLE001 - every failure counts
            ok, what, r = False, "exception", e
        with lock:
            stats["ok" if ok else "failed"] += 1
            stats[what] = stats.get(what, 0) + 1
            if not ok and len(stats["errors"]) < 5:
                stats["errors"].append("%s client %d round %d: %r" % (what, n, rounds, r))


def service_warnings(svc):
    """The service log's warning and error lines (for failure details)."""
    try:
        with open(os.path.join(svc.logdir, "agent.log"), errors="replace") as f:
            return [ln.rstrip() for ln in f if "[WRN]" in ln or "[ERR]" in ln][-10:]
    except OSError:
        return []


def listener_usage(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return fds, rss


def banner_connection(path):
    """Connects, exchanges SSH banners and closes: one fork + reap in
    the listener, with the session seeing a client that goes away."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect(path)
        s.sendall(b"SSH-2.0-egs-load\r\n")
        return s.recv(256).startswith(b"SSH-2.0-")
    finally:
        s.close()


def wait_sessions_gone(pid, timeout=10):
    """Waits until the listener has no session children left."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
                if not f.read().split():
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def main():
    t = Suite("load: %d concurrent sessions for %gs, fd/RSS over sequential connections"
              % (CLIENTS, SECONDS))
    # The default --max-sessions 64. A client reconnects as soon as its
    # channel closed, when its old session process may not have been
    # reaped yet: the listener must not refuse it then (with the ASan build,
    # whose session processes exit slowly, it did: "Refusing connection").
    with Service(t) as svc:
        scratch = t.tmpdir("egs-load-")
        stop = threading.Event()
        lock = threading.Lock()
        stats = {"ok": 0, "failed": 0, "errors": []}
        threads = [threading.Thread(target=worker, args=(svc, n, stop, stats, lock, scratch))
                   for n in range(CLIENTS)]
        start = time.monotonic()
        for th in threads:
            th.start()
        time.sleep(SECONDS)
        stop.set()
        for th in threads:
            th.join(400)
        took = time.monotonic() - start
        print("# %d operations (%d exec, %d sftp) in %.1fs, %d failed"
              % (stats["ok"] + stats["failed"], stats.get("exec", 0), stats.get("sftp", 0),
                 took, stats["failed"]), flush=True)
        t.check("every worker finished", not any(th.is_alive() for th in threads))
        t.check("%d concurrent clients: zero failures" % CLIENTS, stats["failed"] == 0,
                "\n".join(stats["errors"] + service_warnings(svc)))
        t.check("the load did real work", stats["ok"] >= CLIENTS, stats)

        pid = svc.proc.pid
        n = SEQUENTIAL
        for _ in range(20):  # warm up
            banner_connection(svc.sock)
        wait_sessions_gone(pid)
        fds0, rss0 = listener_usage(pid)
        good = sum(1 for _ in range(n) if banner_connection(svc.sock))
        r = svc.ssh("echo done")
        t.check("%d sequential connections all answered" % n, good == n, good)
        t.check("full session after them", r.returncode == 0 and r.stdout == b"done\n", r)
        t.check("sessions all reaped", wait_sessions_gone(pid))
        fds1, rss1 = listener_usage(pid)
        print("# listener: fds %d -> %d, VmRSS %d kB -> %d kB" % (fds0, fds1, rss0, rss1),
              flush=True)
        t.check("no fd growth in the listener", fds1 <= fds0, (fds0, fds1))
        t.check("no RSS growth in the listener (<= 64 kB)", rss1 - rss0 <= 64, (rss0, rss1))
        t.check("the service survived the load", svc.proc.poll() is None, svc.output())
    t.done()


if __name__ == "__main__":
    main()
