"""Boot egs test guests in QEMU (library for tests/e2e and bench/).

A guest is Debian's kernel plus an initramfs from initramfs/build.sh, 512 MiB,
the serial console on QEMU's stdio (captured, time-stamped, written to a log
file; input goes to the guest's console shell when egs.shell=1), user-mode
networking with the guest's TCP port 2222 forwarded to a free port on
127.0.0.1, and optionally a NoCloud seed ISO and other ISOs as CD-ROMs.

Nothing here touches AF_VSOCK on the host: vsock is only used inside the guest
(vsock_loopback).  TCG is used unless EGS_QEMU_KVM=1 and /dev/kvm can be
opened.

    from qemu import Guest, kernel_and_initrd
    kernel, initrd = kernel_and_initrd(egs_binary, workdir)
    with Guest(kernel, initrd, workdir) as g:
        g.wait_for(r"EGS-READY", 120)
        print(g.run("ls /dev/vsock"))
"""
import os
import re
import shutil
import socket
import subprocess
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_MODULES = ("vsock vmw_vsock_virtio_transport vsock_loopback virtio_pci "
                   "virtio_net virtio_blk isofs sr_mod ata_piix")


class GuestError(Exception):
    pass


def qemu_binary():
    q = shutil.which("qemu-system-x86_64")
    if not q:
        raise GuestError("qemu-system-x86_64 missing (apt-get install qemu-system-x86)")
    return q


def kvm_usable():
    if os.environ.get("EGS_QEMU_KVM") != "1":
        return False
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
        os.close(fd)
        return True
    except OSError:
        return False


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get_kernel(kdir=None):
    """Debian's kernel unpacked into build/kernel (cached); returns (vmlinuz, kdir)."""
    kdir = kdir or os.path.join(TOP, "build", "kernel")
    p = subprocess.run([os.path.join(TOP, "initramfs", "get-kernel.sh"), kdir],
                       capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise GuestError("get-kernel.sh failed: " + p.stderr)
    ver = p.stdout.strip().splitlines()[-1]
    return os.path.join(kdir, "boot", "vmlinuz-" + ver), kdir


def build_initramfs(egs, out, kdir, modules=DEFAULT_MODULES, seed=None, extra=()):
    cmd = [os.path.join(TOP, "initramfs", "build.sh"), "--egs", egs, "--kernel-dir", kdir,
           "--modules", modules, "--out", out]
    if seed:
        cmd += ["--seed", seed]
    for a in extra:
        cmd += ["--add", a]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise GuestError("initramfs/build.sh failed: " + p.stderr + p.stdout)
    return out


def kernel_and_initrd(egs, workdir, modules=DEFAULT_MODULES, seed=None):
    kernel, kdir = get_kernel()
    initrd = build_initramfs(egs, os.path.join(workdir, "initrd.cpio.gz"), kdir, modules, seed)
    return kernel, initrd


def make_seed_iso(path, user_data, meta_data, network_config=None):
    """A NoCloud seed (volume label cidata) with cloud-localds."""
    d = path + ".d"
    os.makedirs(d, exist_ok=True)
    files = {"user-data": user_data, "meta-data": meta_data}
    if network_config:
        files["network-config"] = network_config
    for n, text in files.items():
        with open(os.path.join(d, n), "w") as f:
            f.write(text)
    cmd = ["cloud-localds"]
    if network_config:
        cmd += ["--network-config", os.path.join(d, "network-config")]
    cmd += [path, os.path.join(d, "user-data"), os.path.join(d, "meta-data")]
    if not shutil.which("cloud-localds"):
        raise GuestError("cloud-localds missing (apt-get install cloud-image-utils)")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise GuestError("cloud-localds failed: " + p.stderr)
    return path


class Guest:
    def __init__(self, kernel, initrd, workdir, append="", cdroms=(), seed_iso=None,
                 extra_args=(), mem=512, shell=True, name="guest", loglevel=4, fwds=()):
        self.kernel, self.initrd, self.workdir = kernel, initrd, workdir
        self.port = free_port()
        # guest tcp port -> host port on 127.0.0.1 (2222 always; fwds adds more)
        self.ports = {2222: self.port}
        for gp in fwds:
            self.ports[gp] = free_port()
        self.log_path = os.path.join(workdir, name + "-serial.log")
        self.lines = []          # (host monotonic time, text)
        self.cond = threading.Condition()
        self.proc = None
        self.t0 = None
        self.kvm = kvm_usable()
        cmdline = "console=ttyS0 panic=-1 loglevel=%d" % loglevel
        self.shell = shell
        if shell:
            cmdline += " egs.shell=1"
        if append:
            cmdline += " " + append
        self.args = [qemu_binary(), "-M", "pc", "-m", str(mem), "-smp", "1",
                     "-accel", "kvm" if self.kvm else "tcg",
                     "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
                     "-display", "none", "-vga", "none", "-monitor", "none",
                     "-serial", "stdio", "-no-reboot",
                     "-nic", "user,model=virtio-net-pci" + "".join(
                         ",hostfwd=tcp:127.0.0.1:%d-:%d" % (hp, gp) for gp, hp in self.ports.items())]
        drives = ([seed_iso] if seed_iso else []) + list(cdroms)
        for i, iso in enumerate(drives):
            if i >= 3:
                raise GuestError("at most 3 CD-ROMs (IDE)")
            # IDE index 0 is the first CD-ROM (/dev/sr0)
            self.args += ["-drive", "file=%s,media=cdrom,if=ide,index=%d,readonly=on" % (iso, i)]
        self.args += list(extra_args)

    # ---- life cycle ----------------------------------------------------------------
    def start(self):
        self.logf = open(self.log_path, "w")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self):
        buf = b""
        while True:
            chunk = self.proc.stdout.read1(4096) if hasattr(self.proc.stdout, "read1") \
                else os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self._add(line)
        if buf:
            self._add(buf)
        with self.cond:
            self.cond.notify_all()

    def _add(self, raw):
        text = raw.decode("utf-8", "replace").rstrip("\r")
        now = time.monotonic()
        self.logf.write("%9.3f %s\n" % (now - self.t0, text))
        self.logf.flush()
        with self.cond:
            self.lines.append((now, text))
            self.cond.notify_all()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_for(self, pattern, timeout=120, start=0):
        """Wait for a console line matching the regex; returns the match.
        Raises GuestError on timeout or when QEMU exits first."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i][1])
                    if m:
                        self.last_index = i
                        return m
                    i += 1
                if not self.alive() and not self.reader.is_alive():
                    raise GuestError("QEMU exited (rc %s) before %r; log %s"
                                     % (self.proc.poll(), pattern, self.log_path))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GuestError("timeout (%ss) waiting for %r; log %s"
                                     % (timeout, pattern, self.log_path))
                self.cond.wait(min(left, 0.5))

    def line_time(self, pattern):
        """Host seconds since QEMU start of the first line matching the regex."""
        rx = re.compile(pattern)
        for t, text in list(self.lines):
            if rx.search(text):
                return t - self.t0
        return None

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    _seq = 0

    def run(self, command, timeout=60):
        """Run a command in the console shell (egs.shell=1); returns (rc, output)."""
        Guest._seq += 1
        tag = "EGSCMD%d" % Guest._seq
        start = len(self.lines)
        # the echoed input has the tag split by quotes, so only the output matches
        self.send("echo %s''-BEGIN; %s; echo %s''-END-$?\n" % (tag, command, tag))
        m = self.wait_for(r"^%s-END-(\d+)" % tag, timeout, start)
        end = self.last_index
        b = self.wait_for(r"^%s-BEGIN" % tag, 1, start)
        out = [t for _, t in self.lines[self.last_index + 1:end]]
        return int(m.group(1)), "\n".join(out)

    def connect(self, timeout=30, want=1):
        """Connect to the forwarded guest port 2222; returns the first bytes."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.settimeout(5)
                    data = b""
                    while len(data) < want:
                        chunk = s.recv(256)
                        if not chunk:
                            break
                        data += chunk
                    if data:
                        return data
            except OSError as e:
                last = e
            time.sleep(0.5)
        raise GuestError("no data from 127.0.0.1:%d (%s)" % (self.port, last))

    def shutdown(self, timeout=20):
        """poweroff -f in the guest; kill QEMU (by its pid) if it does not exit."""
        if not self.proc:
            return
        if self.alive() and self.shell:
            try:
                self.send("\npoweroff -f\n")
                self.proc.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)
        self.reader.join(5)
        self.logf.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.shutdown()


def ssh_args(key, known_hosts, port=None, proxy=None, host="127.0.0.1", extra=()):
    """The stock OpenSSH client's argv prefix for a guest: user egs, key
    only, no ~/.ssh/config (-F /dev/null), host key pinned on first use in
    known_hosts.  With proxy, ProxyCommand is `proxy` and host a label."""
    a = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
         "-o", "StrictHostKeyChecking=accept-new", "-o", "UserKnownHostsFile=" + known_hosts,
         "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30", "-i", key] + list(extra)
    if port:
        a += ["-p", str(port)]
    if proxy:
        a += ["-o", "ProxyCommand=" + proxy]
    return a + ["egs@" + host]


def ssh_run(key, known_hosts, command, port=None, proxy=None, extra=(), input=None,
            timeout=90, env=None):
    """Run one command in the guest over ssh; returns a CompletedProcess
    (text, stdout/stderr captured)."""
    argv = ssh_args(key, known_hosts, port, proxy, extra=extra)
    if command is not None:
        argv.append(command)
    return subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                          env=env)
