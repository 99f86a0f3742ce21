#!/usr/bin/python3
"""A service session under valgrind --leak-check=full.

build/vg/egs (`make valgrind`: our code with gcc -g -O1 for glibc, no
sanitizer, linked with the glibc Dropbear) runs `egs service` under
valgrind --leak-check=full --trace-children=yes (system programs the
sessions start are skipped); one log per process. It serves exec sessions,
an SFTP upload and download (OpenSSH sftp), an upload-file@eryph.io upload
and download, a refused login, and is stopped with SIGTERM. Every process's
log must report no errors and no "definitely lost" block; suppressions for
upstream Dropbear paths are in tests/valgrind.supp, each with its reason.

Runs when valgrind is installed and build/vg/egs (or $EGS_VG) exists.
Run: make valgrind
"""
import glob
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from egstest import ROOT, Service, Suite, keygen  # noqa: E402

t = Suite("service under valgrind")
VG_EGS = os.environ.get("EGS_VG") or os.path.join(ROOT, "build", "vg", "egs")
SUPP = os.path.join(ROOT, "tests", "valgrind.supp")

if not shutil.which("valgrind") or not os.access(VG_EGS, os.X_OK):
    print("valgrind or %s missing (make valgrind builds it): skipped" % VG_EGS)
    t.done()

from test_eryph_dialect import Dialect  # noqa: E402  (paramiko)
from test_load import sftp_cli  # noqa: E402

logs = t.tmpdir("egs-vg-logs-")
wrapper = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite",
           "--errors-for-leak-kinds=definite", "--error-exitcode=99", "--trace-children=yes",
           # the shells and tools the sessions run are not ours
           "--trace-children-skip=/bin/*,/usr/bin/*,/sbin/*,/usr/sbin/*",
           "--suppressions=" + SUPP, "--log-file=" + os.path.join(logs, "vg.%p.log")]

svc = Service(t, wrapper=wrapper, egs=VG_EGS)
svc.start(wait=120)
try:
    for i in range(3):
        r = svc.ssh("echo vg-%d; echo err >&2; exit 3" % i, timeout=120)
        t.check("exec %d under valgrind" % i, r.returncode == 3 and r.stdout == b"vg-%d\n" % i, r)
    r = svc.ssh("cat", input=os.urandom(300000), timeout=120)
    t.check("exec with 300 kB through stdin/stdout", r.returncode == 0 and len(r.stdout) == 300000, r)

    scratch = t.tmpdir("egs-vg-data-")
    src, back = os.path.join(scratch, "src"), os.path.join(scratch, "back")
    data = os.urandom(200000)
    with open(src, "wb") as f:
        f.write(data)
    remote = os.path.join(scratch, "remote")
    r = sftp_cli(svc, "put %s %s\nget %s %s\nls -l %s\nrm %s\n" % (src, remote, remote, back, scratch, remote),
                 timeout=120)
    t.check("sftp put/get/ls/rm", r.returncode == 0 and open(back, "rb").read() == data, r)

    d = Dialect(svc)
    up = d.upload(scratch, "eryph.bin", data, timeout=120)
    t.check("upload-file@eryph.io", up.success and open(os.path.join(scratch, "eryph.bin"), "rb").read() == data,
            up)
    down = d.download(os.path.join(scratch, "eryph.bin"), timeout=120)
    t.check("download-file@eryph.io", down.data == data, (down.status, len(down.data)))
    d.close()

    other = os.path.join(scratch, "id_other")
    keygen(other)
    r = svc.ssh("true", key=other, timeout=120)
    t.check("an unknown key is refused", r.returncode != 0, r)
finally:
    rc = svc.stop(timeout=120)
t.check("service under valgrind stopped cleanly (exit %s)" % rc, rc == 0, svc.output())

# valgrind writes a log per process; wait a little for session processes
# still finishing their leak check after the listener exited
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    busy = [p for p in glob.glob(os.path.join(logs, "vg.*.log"))
            if os.path.exists("/proc/" + p.rsplit(".", 2)[1])]
    if not busy:
        break
    time.sleep(0.5)

reports = sorted(glob.glob(os.path.join(logs, "vg.*.log")))
t.check("valgrind logs written (%d processes)" % len(reports), len(reports) >= 5, reports)
bad = []
for p in reports:
    text = open(p, errors="replace").read()
    if re.search(r"definitely lost: [1-9]", text) or "are definitely lost" in text or re.search(r"ERROR SUMMARY: [1-9]", text) or \
            re.search(r"^==\d+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched)", text, re.M):
        bad.append("%s:\n%s" % (os.path.basename(p), text[-6000:]))
# a process that execs a skipped system program (a session's shell) ends
# its log at the exec; the listener and the others reach the summary
summaries = [p for p in reports if "ERROR SUMMARY" in open(p, errors="replace").read()]
listener = [p for p in reports if "Parent PID: %d\n" % os.getpid() in open(p, errors="replace").read()]
t.check("the listener and at least 5 more processes reached valgrind's summary (%d of %d)" %
        (len(summaries), len(reports)), len(summaries) >= 6 and set(listener) <= set(summaries) and listener,
        (listener, summaries))
for b in bad:
    print(b)
t.check("no valgrind error and nothing definitely lost in any process (%d bad)" % len(bad), not bad)
t.done()
