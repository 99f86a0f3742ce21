#!/bin/sh
# bench/memory.sh [--host] [SESSIONS]: resident memory of `egs service`.
#
# Measures Rss and Pss (/proc/PID/smaps_rollup) and VmRSS/VmHWM
# (/proc/PID/status) of the idle service, then
# holds three kinds of sessions open at once (an exec session, a PTY session
# and an sftp session, through the stock OpenSSH client) and measures each
# session process the service forked, and separately the processes the
# session started (the shell/command, `egs sftp-server`).  Issue 8's
# targets: idle service <= 1 MiB, per session <= 3 MiB.
#
#   bench/memory.sh           in a QEMU guest (egs initramfs, service on
#                             vsock:5002 + tcp:2222; read over the console)
#   bench/memory.sh --host    on this machine: egs service on a unix socket
#                             in a temporary directory, ssh via egs proxy
#
# Environment: EGS (default build/egs), EGS_QEMU_KVM=1 to use /dev/kvm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
mode=guest
[ "${1:-}" = --host ] && mode=host
EGS=${EGS:-$top/build/egs}
case $EGS in /*) ;; *) EGS=$(pwd)/$EGS ;; esac
[ -f "$EGS" ] || { echo "bench/memory.sh: no egs binary at $EGS (set EGS)" >&2; exit 1; }
export EGS MODE=$mode
exec /usr/bin/python3 - "$top" <<'PY'
import os, re, shutil, socket, subprocess, sys, tempfile, time
top = sys.argv[1]
sys.path.insert(0, os.path.join(top, "tests", "e2e"))
import qemu

EGS, MODE = os.environ["EGS"], os.environ["MODE"]
work = tempfile.mkdtemp(prefix="egs-bench-mem-")
PS = ("for f in /proc/[0-9]*/status; do awk '/^(Name|Pid|PPid|VmRSS|VmHWM):/ "
      "{ printf \"%s%s \", $1, $2 } END { print \"\" }' $f 2>/dev/null; done")


def parse_ps(text):
    procs = {}
    for line in text.splitlines():
        d = dict(re.findall(r"(\w+):(\S+)", line))
        if "Pid" in d:
            procs[int(d["Pid"])] = {"name": d.get("Name", "?"), "ppid": int(d.get("PPid", 0)),
                                    "rss": int(d.get("VmRSS", 0)), "hwm": int(d.get("VmHWM", 0))}
    return procs


def parse_rollup(text):
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and f[0].startswith("P"):
            out[int(f[0][1:])] = (int(f[1]), int(f[2]))
    return out


def rollup_cmd(pids):
    """smaps_rollup Rss and Pss: exact, unlike VmRSS (the kernel's split
    RSS counters lag for small processes)."""
    return ("for p in %s; do echo P$p $(awk '/^(Rss|Pss):/ { print $2 }' "
            "/proc/$p/smaps_rollup); done" % " ".join(str(p) for p in pids))


def host_ps():
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/status" % p) as f:
                    out.append(" ".join("%s%s" % (l.split()[0], l.split()[1]) for l in f
                                        if l.split() and l.split()[0] in
                                        ("Name:", "Pid:", "PPid:", "VmRSS:", "VmHWM:")))
            except (OSError, IndexError):
                pass
    return "\n".join(out)


key = os.path.join(work, "id")
subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ecdsa", "-b", "256", "-f", key], check=True)
kh = os.path.join(work, "known_hosts")
guest = svc = None
try:
    if MODE == "guest":
        kernel, kdir = qemu.get_kernel()
        initrd = qemu.build_initramfs(EGS, os.path.join(work, "initrd.cpio.gz"), kdir,
                                      extra=[key + ".pub:/etc/opt/eryph/guest-services/id_egs.pub"])
        guest = qemu.Guest(kernel, initrd, work, name="mem", append="egs.run=0").start()
        guest.wait_for(r"^EGS-READY", 180)
        time.sleep(2)  # the shell prompt
        pid = int(guest.run("cat /run/egs-service.pid")[1].strip().splitlines()[-1])
        ps = lambda: parse_ps(guest.run(PS, 60)[1])  # noqa: E731
        mem = lambda pids: parse_rollup(guest.run(rollup_cmd(pids), 60)[1])  # noqa: E731
        sshargs = dict(port=guest.port)
        where = "guest (%s, %s)" % ("kvm" if guest.kvm else "tcg", os.path.basename(kernel))
        sftp_target = ["-P", str(guest.port), "egs@127.0.0.1"]
    else:
        cfg = os.path.join(work, "config")
        os.makedirs(cfg)
        shutil.copy(key + ".pub", os.path.join(cfg, "id_egs.pub"))
        sock = os.path.join(work, "egs.sock")
        svc = subprocess.Popen([EGS, "service", "--listen", "unix:" + sock, "--config-dir", cfg,
                                "--log-dir", os.path.join(work, "log"),
                                "--kvp-dir", os.path.join(work, "kvp")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        # one session first, so the host key exists (as in the guest, where
        # the service generated it at start)
        qemu.ssh_run(key, kh, "true", proxy="%s proxy unix/%s" % (EGS, sock))
        time.sleep(0.5)
        pid = svc.pid
        ps = lambda: parse_ps(host_ps())  # noqa: E731
        mem = lambda pids: parse_rollup(subprocess.run(  # noqa: E731
            ["sh", "-c", rollup_cmd(pids)], capture_output=True, text=True).stdout)
        sshargs = dict(proxy="%s proxy unix/%s" % (EGS, sock))
        where = "host (unix socket, %s)" % os.uname().release
        sftp_target = ["-o", "ProxyCommand=%s proxy unix/%s" % (EGS, sock), "egs@guest"]

    rows = []
    procs = ps()
    idle = mem([pid])[pid]
    rows.append(("service, idle", procs[pid]["name"], idle[0], idle[1], procs[pid]["rss"],
                 procs[pid]["hwm"]))

    # hold three sessions open
    held = []
    base = qemu.ssh_args(key, kh, **sshargs)
    held.append(("exec session (sleep)", subprocess.Popen(
        base + ["sleep 120"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)))
    held.append(("pty session (ssh -tt, sleep)", subprocess.Popen(
        base[:1] + ["-tt"] + base[1:] + ["sleep 120"], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    held.append(("sftp session", subprocess.Popen(
        ["sftp", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=" + kh,
         "-o", "StrictHostKeyChecking=accept-new", "-i", key] + sftp_target,
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    # wait until each session process has its own child (the command)
    deadline = time.monotonic() + 60
    while True:
        procs = ps()
        kids = [p for p, d in procs.items() if d["ppid"] == pid]
        ready = [k for k in kids if any(d["ppid"] == k for d in procs.values())]
        if len(ready) >= len(held) or time.monotonic() > deadline:
            break
        time.sleep(1)
    time.sleep(1)
    procs = ps()
    kids = sorted(p for p, d in procs.items() if d["ppid"] == pid)
    tree = [pid] + kids + [c for c in procs if procs[c]["ppid"] in kids]
    m = mem(tree)
    z = (0, 0)
    rows.append(("service, %d sessions open" % len(kids), procs[pid]["name"],
                 m.get(pid, z)[0], m.get(pid, z)[1], procs[pid]["rss"], procs[pid]["hwm"]))
    sess = []
    for k in kids:
        d = procs[k]
        sub = [(c, procs[c]) for c in sorted(procs) if procs[c]["ppid"] == k]
        what = ",".join(s["name"] for _, s in sub) or "-"
        rows.append(("  session process (runs %s)" % what, d["name"], m.get(k, z)[0],
                     m.get(k, z)[1], d["rss"], d["hwm"]))
        sess.append(m.get(k, z)[0])
        for c, s in sub:
            rows.append(("    its child: " + s["name"], s["name"], m.get(c, z)[0], m.get(c, z)[1],
                         s["rss"], s["hwm"]))
    for name, p in held:
        if p.stdin:
            try:
                p.stdin.close()
            except OSError:
                pass
        p.terminate()
        p.wait(10)

    print("egs service memory, %s, %s (%d bytes)" % (where, os.path.basename(EGS),
                                                     os.path.getsize(EGS)))
    print("%-40s %-6s %8s %8s %8s %8s" % ("process", "name", "Rss KiB", "Pss KiB",
                                           "VmRSS", "VmHWM"))
    for r in rows:
        print("%-40s %-6s %8d %8d %8d %8d" % r)
    print("Rss/Pss: /proc/PID/smaps_rollup (exact); VmRSS/VmHWM: /proc/PID/status (the kernel's")
    print("split counters, may lag for small processes). A session's Rss includes pages it")
    print("still shares copy-on-write with the service; Pss divides those.")
    print("targets (issue 8, on Rss): idle <= 1024 KiB: %s (%d); per session <= 3072 KiB: %s (max %d)"
          % ("met" if idle[0] <= 1024 else "NOT met", idle[0],
             "met" if sess and max(sess) <= 3072 else "NOT met", max(sess) if sess else 0))
finally:
    if guest:
        guest.shutdown()
    if svc:
        svc.terminate()
        try:
            svc.wait(15)
        except subprocess.TimeoutExpired:
            svc.kill()
    shutil.rmtree(work, ignore_errors=True)
PY
