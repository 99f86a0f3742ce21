#!/usr/bin/python3
"""End-to-end: a NoCloud seed provisions the egs guest (`egs run`).

A seed ISO made by cloud-localds (volume label cidata) carries user-data
with hostname, a user with an ssh key, write_files and runcmd.  The guest
boots the egs initramfs, whose /init runs `egs run` once before it starts
`egs service`; the host key for the checks is built into the initramfs as
id_egs.pub.  Over ssh (tcp hostfwd) the test checks the effects and
`egs status --format json`.

A second, small boot proves `egs service --provision`: the kernel command
line says egs.provision=service, so /init runs no `egs run` and the service
provisions (local stage before EGS-READY, the rest in its background
child).  Its seed also has power_state (mode poweroff, delay now, message
egs-bye) with a condition command that waits for a file the test creates
over ssh once the effects are checked; QEMU must then exit on its own.

`egs run` is being written (issue 6).  While `egs run --help` says "Not
implemented", the guest is not booted and every guest check is reported as
"skip" (counted in "N skipped", never as passed).  EGS_NOCLOUD=1 forces the
boot anyway.
Prints "N passed, N failed, N skipped" last.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

passed = failed = skipped = 0

HOSTNAME = "egs-nocloud"
SVC_HOSTNAME = "egs-nocloud-svc"
# power_state for the service boot: the condition holds the power-off until
# the test has checked the effects (bounded: 120 s, then no power-off)
POWER_STATE = """power_state:
  mode: poweroff
  delay: now
  message: egs-bye
  condition: "i=0; while [ ! -e /run/egs-e2e-go ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done; [ -e /run/egs-e2e-go ]"
"""
USER = "alice"
USER_KEY = None  # generated in main()
USER_DATA = """#cloud-config
hostname: %(host)s
users:
  - name: %(user)s
    shell: /bin/sh
    ssh_authorized_keys:
      - %(key)s
write_files:
  - path: /etc/egs-e2e/hello.txt
    content: |
      hello from write_files
    permissions: '0640'
runcmd:
  - echo "runcmd ran as $(id -u)" >> /run/egs-e2e-runcmd
  - [sh, -c, "echo second >> /run/egs-e2e-runcmd"]
"""
META_DATA = "instance-id: iid-egs-nocloud-1\nlocal-hostname: %s\n" % HOSTNAME
SVC_META_DATA = "instance-id: iid-egs-nocloud-svc-1\nlocal-hostname: %s\n" % SVC_HOSTNAME

# (name, shell command in the guest, predicate on (rc, stdout)); the
# hostname check is added per boot
GUEST_CHECKS = [
    ("user created (/etc/passwd)", "grep '^%s:' /etc/passwd" % USER,
     lambda rc, out: rc == 0 and out.startswith(USER + ":")),
    ("user's authorized_keys holds the key",
     "cat ~%s/.ssh/authorized_keys 2>/dev/null || cat /home/%s/.ssh/authorized_keys" % (USER, USER),
     lambda rc, out: USER_KEY and USER_KEY.split()[1] in out),
    ("write_files: content", "cat /etc/egs-e2e/hello.txt",
     lambda rc, out: out == "hello from write_files\n"),
    ("write_files: permissions 0640", "stat -c %a /etc/egs-e2e/hello.txt",
     lambda rc, out: out.strip() == "640"),
    ("runcmd: both commands ran, as root", "cat /run/egs-e2e-runcmd",
     lambda rc, out: out == "runcmd ran as 0\nsecond\n"),
    ("egs status exits 0", "egs status", lambda rc, out: rc == 0),
    ("egs status --json: the original's record, all stages, no reboots", "egs status --json",
     lambda rc, out: rc == 0 and '"completedStages": [\n    "Local",\n    "Network",\n    "Config",\n'
     '    "Final"\n  ]' in out and '"rebootCount": 0,' in out and '"runcmd"' in out),
]


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


def skip(name, why):
    global skipped
    skipped += 1
    print("skip %s (%s)" % (name, why), flush=True)


def guest_checks(host):
    return ([("hostname set (hostname)", "hostname", lambda rc, out: out.strip() == host)] +
            GUEST_CHECKS)


def status_checks(key, kh, port, prefix=""):
    r = qemu.ssh_run(key, kh, "egs status --format json", port=port)
    try:
        st = json.loads(r.stdout)
    except ValueError:
        st = None
    check(prefix + "egs status --format json: status done",
          isinstance(st, dict) and st.get("status") == "done", r.stdout + r.stderr)
    check(prefix + "egs status --format json: no errors",
          isinstance(st, dict) and not st.get("errors"), r.stdout)


SVC = "service: "
ALL_GUEST = (["egs run exit status 0 (EGS-RUN rc=0)"] + [c[0] for c in guest_checks("")] +
             ["egs status --format json: status done", "egs status --format json: no errors",
              "egs run again (same instance-id): exit 0, runcmd not repeated"])
ALL_SVC = ([SVC + "/init ran no egs run (EGS-PROVISION mode=service)",
            SVC + "egs service --provision ready", SVC + "provisioning finished (egs status done)"] +
           [SVC + c[0] for c in guest_checks("")] +
           [SVC + "egs status --format json: status done",
            SVC + "egs status --format json: no errors",
            SVC + "power_state waits for its condition (guest still up)",
            SVC + "power_state: QEMU exits on its own after the condition is met",
            SVC + "power_state: the message egs-bye on the console",
            SVC + "power_state: /init was asked to power off (EGS-POWER action=poweroff)"])


def boot_init(egs, work, key, kernel, kdir, initrd, user_data):
    """The first boot: /init runs `egs run`, then `egs service`."""
    seed = qemu.make_seed_iso(os.path.join(work, "seed.iso"), user_data, META_DATA)
    check("cloud-localds seed ISO", os.path.getsize(seed) > 0)
    guest = qemu.Guest(kernel, initrd, work, seed_iso=seed, name="nocloud").start()
    try:
        print("# qemu %s, serial log %s" % ("kvm" if guest.kvm else "tcg", guest.log_path))
        m = guest.wait_for(r"^EGS-RUN rc=(\d+)", 180)
        check(ALL_GUEST[0], m.group(1) == "0", m.group(0))
        m = guest.wait_for(r"^EGS-(READY|SERVICE-FAILED).*", 90)
        if not check("egs service ready after egs run", m.group(1) == "READY", m.group(0)):
            return
        kh = os.path.join(work, "known_hosts")
        for name, cmd, ok in guest_checks(HOSTNAME):
            r = qemu.ssh_run(key, kh, cmd, port=guest.port)
            check(name, ok(r.returncode, r.stdout), "rc %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
        status_checks(key, kh, guest.port)
        r = qemu.ssh_run(key, kh, "egs run; echo rc=$?; wc -l </run/egs-e2e-runcmd", port=guest.port,
                         timeout=300)
        check(ALL_GUEST[-1], r.stdout.split()[-2:] == ["rc=0", "2"], r.stdout + r.stderr)
    finally:
        if failed:
            for _, text in guest.lines[-30:]:
                print("#   " + text)
        guest.shutdown()


def boot_service(egs, work, key, kernel, kdir, initrd, user_data):
    """The second boot: egs.provision=service, power_state powers it off."""
    seed = qemu.make_seed_iso(os.path.join(work, "seed-svc.iso"), user_data, SVC_META_DATA)
    guest = qemu.Guest(kernel, initrd, work, seed_iso=seed, name="nocloud-svc",
                       append="egs.provision=service").start()
    try:
        m = guest.wait_for(r"^EGS-(PROVISION mode=service|RUN rc=\d+)", 180)
        check(ALL_SVC[0], m.group(1).startswith("PROVISION"), m.group(0))
        m = guest.wait_for(r"^EGS-(READY|SERVICE-FAILED).*", 90)
        if not check(ALL_SVC[1], m.group(1) == "READY", m.group(0)):
            return
        kh = os.path.join(work, "known_hosts-svc")
        deadline = time.monotonic() + 120
        st = out = None
        while time.monotonic() < deadline:
            r = qemu.ssh_run(key, kh, "egs status --format json", port=guest.port)
            out = r.stdout + r.stderr
            try:
                st = json.loads(r.stdout).get("status")
            except (ValueError, AttributeError):
                st = None
            if st in ("done", "error"):
                break
            time.sleep(1)
        check(ALL_SVC[2], st == "done", out)
        for name, cmd, ok in guest_checks(SVC_HOSTNAME):
            r = qemu.ssh_run(key, kh, cmd, port=guest.port)
            check(SVC + name, ok(r.returncode, r.stdout),
                  "rc %d\n%s%s" % (r.returncode, r.stdout, r.stderr))
        status_checks(key, kh, guest.port, SVC)
        check(ALL_SVC[-4], guest.alive())
        r = qemu.ssh_run(key, kh, "touch /run/egs-e2e-go", port=guest.port)
        try:
            guest.proc.wait(60)
            exited = True
        except subprocess.TimeoutExpired:
            exited = False
        check(ALL_SVC[-3], exited, "rc %d %s; QEMU still running 60 s later" % (
            r.returncode, r.stderr))
        guest.reader.join(5)
        text = "\n".join(t for _, t in guest.lines)
        check(ALL_SVC[-2], "egs power_state: egs-bye" in text)
        check(ALL_SVC[-1], "EGS-POWER action=poweroff" in text)
    finally:
        if failed:
            for _, text in guest.lines[-30:]:
                print("#   " + text)
        guest.shutdown()


def main():
    egs = os.environ.get("EGS") or os.path.join(qemu.TOP, "build", "egs")
    if not os.path.isfile(egs):
        print("FAIL no egs binary (set EGS): " + egs)
        print("0 passed, 1 failed")
        return 1
    egs = os.path.abspath(egs)
    work = tempfile.mkdtemp(prefix="egs-e2e-nocloud-")
    keep = os.environ.get("EGS_E2E_KEEP") == "1"
    t_start = time.monotonic()
    try:
        global USER_KEY
        ukey = os.path.join(work, "id_alice")
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-C", "alice@e2e",
                        "-f", ukey], check=True)
        with open(ukey + ".pub") as f:
            USER_KEY = f.read().strip()
        user_data = USER_DATA % {"host": HOSTNAME, "user": USER, "key": USER_KEY}
        svc_data = (USER_DATA % {"host": SVC_HOSTNAME, "user": USER, "key": USER_KEY}) + POWER_STATE
        for name, text in (("user-data", user_data), ("user-data-svc", svc_data)):
            ud = os.path.join(work, name)
            with open(ud, "w") as f:
                f.write(text)
            p = subprocess.run([egs, "validate", "--config-file", ud], capture_output=True, text=True)
            check("the seed's %s passes egs validate" % name, p.returncode == 0, p.stdout + p.stderr)

        h = subprocess.run([egs, "run", "--help"], capture_output=True, text=True)
        ready = "not implemented" not in (h.stdout + h.stderr).lower() and h.returncode == 0
        if os.environ.get("EGS_NOCLOUD") == "1":
            ready = True
        if not ready:
            why = "egs run is not implemented yet in %s" % os.path.basename(egs)
            print("# " + why + "; guest not booted")
            for n in ALL_GUEST + ALL_SVC:
                skip(n, why)
            return 0

        key = os.path.join(work, "id_host")
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ecdsa", "-b", "256", "-C", "e2e",
                        "-f", key], check=True)
        kernel, kdir = qemu.get_kernel()
        initrd = qemu.build_initramfs(egs, os.path.join(work, "initrd.cpio.gz"), kdir,
                                      extra=[key + ".pub:/etc/opt/eryph/guest-services/id_egs.pub"])
        boot_init(egs, work, key, kernel, kdir, initrd, user_data)
        boot_service(egs, work, key, kernel, kdir, initrd, svc_data)
    except (qemu.GuestError, subprocess.SubprocessError, OSError) as e:
        check("e2e nocloud run", False, e)
    finally:
        if keep:
            print("# kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
        print("# e2e nocloud took %.1f s" % (time.monotonic() - t_start))
        print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
