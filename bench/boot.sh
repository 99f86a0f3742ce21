#!/bin/sh
# bench/boot.sh [RUNS]: boot the egs initramfs guest RUNS times (default 3) in
# QEMU and print, per boot, the guest's uptime (seconds since the kernel
# started, from the markers /init prints) at each stage up to EGS-READY, and
# the host's wall time from QEMU's start to EGS-READY.
#
# Environment: EGS (default build/egs), EGS_QEMU_KVM=1 to use /dev/kvm.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=${1:-3}
EGS=${EGS:-$top/build/egs}
[ -f "$EGS" ] || { echo "bench/boot.sh: no egs binary at $EGS (set EGS)" >&2; exit 1; }
export EGS RUNS="$runs"
exec /usr/bin/python3 - "$top" <<'PY'
import os, re, shutil, sys, tempfile
top = sys.argv[1]
sys.path.insert(0, os.path.join(top, "tests", "e2e"))
import qemu

work = tempfile.mkdtemp(prefix="egs-bench-")
try:
    kernel, initrd = qemu.kernel_and_initrd(os.environ["EGS"], work)
    stages = ["EGS-INIT-START", "EGS-MODULES-LOADED", "EGS-NET", "EGS-RUN", "EGS-READY"]
    rows = []
    accel = None
    for i in range(int(os.environ["RUNS"])):
        g = qemu.Guest(kernel, initrd, work, shell=False, name="bench%d" % i)
        accel = "kvm" if g.kvm else "tcg"
        with g:
            g.wait_for(r"^EGS-(READY|SERVICE-FAILED)", 180)
            row = []
            for s in stages:
                up = None
                for _, text in g.lines:
                    m = re.match(r"^%s\b.*uptime=([0-9.]+)" % s, text)
                    if m:
                        up = float(m.group(1))
                        break
                row.append(up)
            row.append(g.line_time(r"^EGS-READY"))
            rows.append(row)
    cols = ["init", "modules", "net", "egs-run", "READY", "host"]
    print("guest uptime (s) at each marker, %s, %s" % (accel, os.path.basename(os.environ["EGS"])))
    print("%-4s " % "boot" + " ".join("%8s" % c for c in cols))
    fmt = lambda v: "%8s" % ("-" if v is None else "%.2f" % v)
    for i, r in enumerate(rows):
        print("%-4d " % (i + 1) + " ".join(fmt(v) for v in r))
    if rows:
        avg = []
        for j in range(len(cols)):
            vals = [r[j] for r in rows if r[j] is not None]
            avg.append(sum(vals) / len(vals) if vals else None)
        print("%-4s " % "avg" + " ".join(fmt(v) for v in avg))
finally:
    shutil.rmtree(work, ignore_errors=True)
PY
