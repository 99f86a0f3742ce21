#!/usr/bin/python3
"""egs reset and egs collect-logs under --root: run, reset, run again (the
modules run again), the flags' items, the original's messages and exit
codes; the support bundle checked with python's zipfile and unzip -t."""
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import EGS, Suite, run  # noqa: E402

t = Suite("egs reset / collect-logs")


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)


def egs_run(root):
    return run([EGS, "run", "--root", root, "--kvp-dir", "", "--boot-id-file",
                os.path.join(root, "..", "bootid")])


def state(root, rel):
    return os.path.join(root, "var/lib/cloud", rel)


# --help and bad arguments
for applet in ("reset", "collect-logs"):
    r = run([EGS, applet, "--help"])
    t.check(applet + " --help exits 0", r.returncode == 0 and b"Usage: egs " + applet.encode() in r.stdout, r)
    r = run([EGS, applet, "--bogus"])
    t.check(applet + " bad option exits 2", r.returncode == 2, r)
r = run([EGS, "reset", "extra"])
t.check("reset: extra argument exits 2", r.returncode == 2, r)
r = run([EGS, "collect-logs", "  "])
t.check("collect-logs: blank output exits 2", r.returncode == 2 and b"blank" in r.stderr, r)
r = run([EGS, "collect-logs", "a.zip", "b.zip"])
t.check("collect-logs: two outputs exit 2", r.returncode == 2, r)

# provision, reset, provision again
d = t.tmpdir()
write(os.path.join(d, "bootid"), "boot-1\n")
root = os.path.join(d, "root")
write(os.path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
write(os.path.join(root, "etc/group"), "root:x:0:\n")
write(os.path.join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", 0o640)
write(os.path.join(root, "etc/gshadow"), "root:*::\n", 0o640)
write(state(root, "seed/nocloud/meta-data"), "instance-id: iid-r1\n")
write(state(root, "seed/nocloud/user-data"),
      "#cloud-config\nusers: []\nwrite_files:\n- path: /etc/egs-marker\n  content: hello\n")
r = egs_run(root)
marker = os.path.join(root, "etc/egs-marker")
sem = state(root, "instances/iid-r1/sem/config_write_files")
t.check("first run completes", r.returncode == 0 and os.path.exists(marker) and os.path.exists(sem), r)
once = state(root, "sem/config_scripts_per_once.once")
t.check("per-once semaphore written", os.path.exists(once), os.listdir(state(root, "sem")) if os.path.isdir(state(root, "sem")) else "")
os.unlink(marker)
r = egs_run(root)
t.check("second run: write_files skipped (semaphore)", r.returncode == 0 and not os.path.exists(marker), r)
os.makedirs(os.path.join(root, "run/cloud-init/sem"), exist_ok=True)
write(os.path.join(root, "run/cloud-init/sem/apply_network_config.once"), "1\n")

r = run([EGS, "reset", "--root", root, "-y"])
out = r.stdout.decode()
t.check("reset exits 0", r.returncode == 0, r)
t.check("reset lists first", out.startswith("Removing:\n  " + state(root, "data/status.json") + "\n"), out)
t.check("reset: deleted file", "Deleted file: " + state(root, "data/instance-id") + "\n" in out, out)
t.check("reset: instance link", "Deleted file: " + state(root, "instance") + "\n" in out, out)
t.check("reset: semaphores dir", "Deleted directory: " + state(root, "instances/iid-r1/sem") + "\n" in out, out)
t.check("reset: per-boot run/sem", "Deleted directory: " + os.path.join(root, "run/cloud-init/sem") + "\n" in out, out)
t.check("reset: not present", "Not present: " + os.path.join(root, "run/cloud-init/.instance-id") + "\n" in out
        or "Deleted file: " + os.path.join(root, "run/cloud-init/.instance-id") + "\n" in out, out)
n = out.count("\nDeleted ")
t.check("reset: count", out.endswith("Removed %d item(s).\n" % n) and n >= 8, out)
t.check("reset keeps once semaphores by default", os.path.exists(once))
t.check("reset keeps scripts by default", os.path.isdir(state(root, "instances/iid-r1/scripts")))
r = run([EGS, "status", "--root", root])
t.check("reset: the original's state.json record", "Deleted file: " + state(root, "data/egs-state.json") + "\n" in out, out)
t.check("status after reset: not run, no state file",
        r.stdout == "status: not run\nNo state file found — agent has not run yet.\n".encode(), r)
r = run([EGS, "status", "--root", root, "--wait", "--wait-timeout", "0.3"])
t.check("status --wait while not run: times out, exit 3", r.returncode == 3 and
        r.stdout.startswith(b".") and r.stdout.endswith(b"\nstatus: not run\nNo state file found \xe2\x80\x94 agent has not run yet.\n"), r)
r = run([EGS, "status", "--root", root, "--json"])
t.check("status --json after reset: the default record",
        r.returncode == 0 and json.loads(r.stdout)["instanceId"] == "" and
        json.loads(r.stdout)["startedAt"] == "0001-01-01T00:00:00+00:00", r)

r = egs_run(root)
t.check("run after reset: write_files ran again", r.returncode == 0 and os.path.exists(marker), r)
t.check("semaphore written again", os.path.exists(sem))
r = run([EGS, "status", "--root", root])
t.check("status: done again", r.stdout == b"status: done\n", r)

# every flag
write(os.path.join(root, "var/log/cloud-init.log"), "ci log\n")
r = run([EGS, "reset", "--root", root, "--reset-once", "--scripts", "--logs", "--keep-per-boot"])
out = r.stdout.decode()
t.check("reset --reset-once", r.returncode == 0 and "Deleted file: " + once + "\n" in out and not os.path.exists(once), out)
t.check("reset --scripts", "Deleted directory: " + state(root, "instances/iid-r1/scripts") + "\n" in out, out)
t.check("reset --logs", "Deleted file: " + os.path.join(root, "var/log/cloud-init.log") + "\n" in out
        and "Not present: " + os.path.join(root, "var/log/cloud-init-output.log") + "\n" in out, out)
t.check("reset --keep-per-boot", "boot-finished" not in out and "run/cloud-init/sem" not in out, out)
t.check("boot-finished kept", os.path.exists(state(root, "instances/iid-r1/boot-finished")))
r = run([EGS, "reset", "--root", root])
out = r.stdout.decode()
t.check("reset twice: nothing left", r.returncode == 0 and "Not present: " in out and
        out.endswith("Removed %d item(s).\n" % out.count("\nDeleted ")), out)

# a failing deletion: exit 1 at the first failure, no summary line (a
# name too long for lstat, so it fails for root too)
d2 = t.tmpdir()
r = run([EGS, "reset", "--state-dir", os.path.join(d2, "x" * 300), "--run-dir", os.path.join(d2, "run")])
t.check("deletion failure exits 1", r.returncode == 1 and b"cannot delete" in r.stderr
        and b"Removed" not in r.stdout and r.stdout.count(b"Not present") == 0, r)

# collect-logs
r = egs_run(root)
t.check("provisioned for the bundle", r.returncode == 0, r)
logs = os.path.join(d, "logs")
write(os.path.join(logs, "agent.log"), "line\n" * 100000)
write(os.path.join(logs, "agent_001.log"), "")
write(os.path.join(logs, "sub/ä.log"), "umlaut\n")
write(os.path.join(logs, "secret.log"), "no\n", 0o000)
os.utime(os.path.join(logs, "agent.log"), (1700000000, 1700000000))
write(os.path.join(root, "var/log/cloud-init-output.log"), "ci out\n")
write(os.path.join(root, "run/cloud-init/instance-data-sensitive.json"), "{}\n")
os.symlink("/nonexistent", os.path.join(logs, "dangling"))
write(state(root, "instances/iid-r1/scripts/runcmd"), "#!/bin/sh\ntrue\n", 0o700)
out_zip = os.path.join(d, "out/sub/bundle.zip")
t0 = time.time()
r = run([EGS, "collect-logs", out_zip, "--root", root, "--log-dir", logs])
t.check("collect-logs exits 0", r.returncode == 0 and r.stdout == ("Wrote bundle to %s\n" % out_zip).encode(), r)
t.check("collect-logs notes skips", b"skipped" in r.stderr and b"dangling" in r.stderr, r)
z = zipfile.ZipFile(out_zip)
names = z.namelist()
t.check("testzip", z.testzip() is None)
t.check("state entries", {"state/data/status.json", "state/data/result.json", "state/data/instance-id",
                          "state/instance/datasource", "state/instance/boot-finished",
                          "state/instance/sem/config_write_files"} <= set(names), names)
t.check("run entries (links followed, sensitive left out)", "run/status.json" in names and
        "run/.instance-id" in names and "run/instance-data-sensitive.json" not in names, names)
t.check("log entries", {"logs/agent.log", "logs/agent_001.log", "logs/sub/ä.log",
                        "logs/cloud-init-output.log"} <= set(names), names)
if os.geteuid() != 0:
    t.check("unreadable file skipped", "logs/secret.log" not in names, names)
t.check("scripts entries", "scripts/runcmd" in names and z.read("scripts/runcmd") == b"#!/bin/sh\ntrue\n", names)
t.check("unix mode kept", (z.getinfo("scripts/runcmd").external_attr >> 16) & 0o777 == 0o700)
t.check("agent.log content", z.read("logs/agent.log") == b"line\n" * 100000)
info = z.getinfo("logs/agent.log")
t.check("agent.log deflated", info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < 10000, info)
lt = time.localtime(1700000000)
t.check("agent.log mtime", info.date_time == (lt.tm_year, lt.tm_mon, lt.tm_mday, lt.tm_hour, lt.tm_min,
                                              lt.tm_sec - lt.tm_sec % 2), info.date_time)
e = z.getinfo("logs/agent_001.log")
t.check("empty entry stored", e.compress_type == zipfile.ZIP_STORED and e.file_size == 0, e)
t.check("utf-8 flag", z.getinfo("logs/sub/ä.log").flag_bits & 0x800, z.getinfo("logs/sub/ä.log").flag_bits)
t.check("status.json content", z.read("state/data/status.json") == open(state(root, "data/status.json"), "rb").read())
v = z.read("version.txt").decode().splitlines()
t.check("version.txt", len(v) == 4 and v[0] == "Assembly: egs" and v[1].startswith("Version:  ") and
        v[2].startswith("Informational: ") and v[3].startswith("Collected: 20") and v[3].endswith("Z"), v)
z.close()
if shutil.which("unzip"):
    r = run(["unzip", "-t", out_zip])
    t.check("unzip -t", r.returncode == 0 and b"No errors detected" in r.stdout, r)
t.check("bundle mode 0600", (os.stat(out_zip).st_mode & 0o777) == 0o600)
t.check("no temporary left", os.listdir(os.path.dirname(out_zip)) == ["bundle.zip"], os.listdir(os.path.dirname(out_zip)))

# default name in the cwd, an empty tree
cwd = t.tmpdir()
r = run([EGS, "collect-logs", "--root", os.path.join(cwd, "nothing")], cwd=cwd)
made = [f for f in os.listdir(cwd) if f.startswith("egs-logs-") and f.endswith("Z.zip")]
t.check("default output name", r.returncode == 0 and len(made) == 1 and
        r.stdout == ("Wrote bundle to %s\n" % made[0]).encode(), (r, os.listdir(cwd)))
if made:
    z = zipfile.ZipFile(os.path.join(cwd, made[0]))
    t.check("empty tree: only version.txt", z.namelist() == ["version.txt"] and z.testzip() is None, z.namelist())
r = run([EGS, "collect-logs", "/proc/self/x/y.zip", "--root", os.path.join(cwd, "nothing")])
t.check("unwritable output exits 1", r.returncode == 1, r)

t.done()
