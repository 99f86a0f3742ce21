#!/usr/bin/python3
"""End-to-end: boot an egs guest in QEMU once and check it.

Builds an initramfs (initramfs/build.sh) around $EGS (default build/egs) and
Debian's kernel (initramfs/get-kernel.sh, cached in build/kernel), boots it
with a NoCloud seed CD-ROM and the egs installer ISO (iso/build.sh) as a
second CD-ROM, and checks:
  - the kernel boots and /init starts (EGS-INIT-START);
  - the modules load, vsock_loopback gives the guest a /dev/vsock;
  - eth0 gets its address from QEMU's DHCP;
  - egs run ran, egs service reached EGS-READY;
  - the host gets bytes back from 127.0.0.1:PORT (hostfwd to the guest's 2222);
  - the seed CD-ROM is readable in the guest (label cidata);
  - install.sh from the ISO installs inside the guest (BusyBox ash), the
    installed egs runs, uninstall.sh removes it.
Needs qemu-system-x86, cloud-image-utils, xorriso, cpio (vendor/tools.sh).
Prints "N passed, N failed" last; exits non-zero on failure.
"""
import os
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
        print("FAIL " + name + (": " + str(detail) if detail != "" else ""), flush=True)
    return cond


def switch_root_boot(kernel, initrd, work):
    """Second boot: egs.root= mounts a root (an ISO9660 with BusyBox and an
    /sbin/init that prints a marker and powers off) and switch_roots into it."""
    nr = os.path.join(work, "newroot")
    bb = subprocess.run([os.path.join(qemu.TOP, "initramfs", "get-busybox.sh"),
                         os.path.join(qemu.TOP, "build", "busybox-static")],
                        capture_output=True, text=True).stdout.strip()
    for d in ("bin", "sbin", "dev", "proc", "sys", "run"):
        os.makedirs(os.path.join(nr, d))
    shutil.copy(bb, os.path.join(nr, "bin", "busybox"))
    os.symlink("busybox", os.path.join(nr, "bin", "sh"))
    with open(os.path.join(nr, "sbin", "init"), "w") as f:
        f.write('#!/bin/sh\necho "NEWROOT-OK pid=$$"\n/bin/busybox poweroff -f\n')
    os.chmod(os.path.join(nr, "sbin", "init"), 0o755)
    iso = os.path.join(work, "newroot.iso")
    p = subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-V", "NEWROOT", "-o", iso, nr],
                       capture_output=True, text=True)
    if not check("switch_root: root image built", p.returncode == 0, p.stderr):
        return
    g = qemu.Guest(kernel, initrd, work, cdroms=[iso], shell=False, name="switchroot",
                   append="egs.root=/dev/sr0 egs.rootfstype=iso9660").start()
    try:
        m = g.wait_for(r"^EGS-SWITCH-ROOT dev=/dev/sr0", 120)
        check("switch_root: EGS-SWITCH-ROOT", m is not None)
        m = g.wait_for(r"^NEWROOT-OK pid=1", 60)
        check("switch_root: the new root's /sbin/init runs as pid 1", m is not None)
        g.proc.wait(30)
        check("switch_root: powered off", g.proc.returncode == 0, g.proc.returncode)
        check("switch_root: no service in the initramfs by default",
              g.line_time(r"^EGS-READY") is None)
    except (qemu.GuestError, subprocess.TimeoutExpired) as e:
        check("switch_root boot", False, e)
    finally:
        g.shutdown()


def main():
    egs = os.environ.get("EGS") or os.path.join(qemu.TOP, "build", "egs")
    if not os.path.isfile(egs):
        print("FAIL no egs binary (set EGS or build build/egs): " + egs)
        print("0 passed, 1 failed")
        return 1
    keep = os.environ.get("EGS_E2E_KEEP") == "1"
    work = tempfile.mkdtemp(prefix="egs-e2e-")
    guest = None
    t_start = time.monotonic()
    try:
        try:
            kernel, kdir = qemu.get_kernel()
            initrd = qemu.build_initramfs(egs, os.path.join(work, "initrd.cpio.gz"), kdir)
            seed = qemu.make_seed_iso(os.path.join(work, "seed.iso"),
                                      "#cloud-config\nhostname: egs-e2e\n",
                                      "instance-id: iid-egs-e2e\nlocal-hostname: egs-e2e\n")
            p = subprocess.run([os.path.join(qemu.TOP, "iso", "build.sh"), egs, "0.0.0-e2e", work],
                               capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                raise qemu.GuestError("iso/build.sh: " + p.stderr)
            iso = os.path.join(work, "egs_0.0.0-e2e.iso")
        except (qemu.GuestError, subprocess.SubprocessError, OSError) as e:
            check("prepare kernel, initramfs, seed and ISO", False, e)
            return 1
        check("prepare kernel, initramfs, seed and ISO", True)

        guest = qemu.Guest(kernel, initrd, work, seed_iso=seed, cdroms=[iso]).start()
        print("# qemu %s, serial log %s, hostfwd 127.0.0.1:%d" %
              ("kvm" if guest.kvm else "tcg", guest.log_path, guest.port), flush=True)

        def marker(name, pattern, timeout):
            try:
                return guest.wait_for(pattern, timeout)
            except qemu.GuestError as e:
                check(name, False, e)
                return None

        m = marker("init starts", r"^EGS-INIT-START", 120)
        if m:
            check("kernel boots and runs /init (EGS-INIT-START)", True)
        m = marker("modules", r"^EGS-MODULES-LOADED .*", 60)
        if m:
            line = m.group(0)
            check("modules load (failed=0)", " failed=0 " in line, line)
            check("vsock_loopback gives /dev/vsock (vsock=yes)", "vsock=yes" in line, line)
        m = marker("network", r"^EGS-NET .*", 60)
        if m:
            check("eth0 configured by DHCP", "eth0=10.0.2.15/" in m.group(0), m.group(0))
        m = marker("egs run", r"^EGS-RUN rc=(\d+)", 320)
        if m:
            print("# egs run rc=%s (not checked yet)" % m.group(1))
            check("egs run ran", True)
        m = marker("service ready", r"^EGS-(READY|SERVICE-FAILED).*", 90)
        ready = bool(m and m.group(1) == "READY")
        check("egs service reached EGS-READY", ready, m.group(0) if m else "")

        if ready:
            try:
                data = guest.connect(timeout=30, want=8)
                check("host gets bytes via hostfwd 127.0.0.1:%d" % guest.port, len(data) > 0, data)
                check("guest service speaks SSH", data.startswith(b"SSH-2.0-"), data[:40])
            except qemu.GuestError as e:
                check("host gets bytes via hostfwd", False, e)

        try:
            rc, out = guest.run("test -c /dev/vsock && grep -o '^vsock_loopback' /proc/modules")
            check("guest: /dev/vsock and vsock_loopback", rc == 0 and "vsock_loopback" in out, out)
            rc, out = guest.run("mkdir -p /mnt/seed && mount -t iso9660 -o ro /dev/sr0 /mnt/seed && "
                                "cat /mnt/seed/meta-data && umount /mnt/seed && "
                                "dd if=/dev/sr0 bs=1 skip=32808 count=32 2>/dev/null; echo")
            check("guest: NoCloud seed CD-ROM readable", "instance-id: iid-egs-e2e" in out, out)
            check("guest: seed label cidata", "cidata" in out.lower(), out)
            rc, out = guest.run("mkdir -p /mnt/egs && mount -t iso9660 -o ro /dev/sr1 /mnt/egs && "
                                "sh /mnt/egs/install.sh --no-start --ssh-public-key "
                                "'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAtest e2e@host'", 120)
            check("guest: install.sh from the ISO", rc == 0, out)
            rc, out = guest.run("ls -l /opt/eryph/guest-services/bin/egs-service && "
                                "cat /etc/opt/eryph/guest-services/id_egs.pub && "
                                "/opt/eryph/guest-services/bin/egs --version")
            check("guest: installed egs runs", rc == 0 and "-> egs" in out and "e2e@host" in out, out)
            rc, out = guest.run("sh /mnt/egs/uninstall.sh --purge && ! test -e /opt/eryph && "
                                "! test -e /etc/opt/eryph; umount /mnt/egs", 120)
            check("guest: uninstall.sh --purge", rc == 0, out)
        except qemu.GuestError as e:
            check("guest console commands", False, e)
        guest.shutdown()
        check("guest powers off", not guest.alive())
        if failed:
            print("# last serial lines:")
            for _, text in guest.lines[-25:]:
                print("#   " + text)
        guest = None
        switch_root_boot(kernel, initrd, work)
    finally:
        if guest:
            guest.shutdown()
        if keep:
            print("# kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("# e2e took %.1f s" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
