#!/usr/bin/python3
"""egs run / egs status under --root: NoCloud ISO (cloud-localds) read by the
label probe from an image file, seed dirs, seedfrom on a command line file,
a ConfigDrive tree, --dry-run, cloud-init in charge, status formats."""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import EGS, Suite, run  # noqa: E402

t = Suite("egs run")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def egs_run(root, *args):
    return run([EGS, "run", "--root", root, "--kvp-dir", "", "--boot-id-file",
                os.path.join(root, "..", "bootid")] + list(args))


def give_shell(root):
    """The modules run scripts (runcmd, parts) chrooted into --root; a bare
    test tree gets Debian's static busybox as /bin/sh so they can."""
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    sh = os.path.join(root, "bin", "sh")
    if not os.path.exists(sh):
        shutil.copy("/bin/busybox", sh)


def state(root, rel):
    return os.path.join(root, "var/lib/cloud", rel)


# --help and bad arguments
r = run([EGS, "run", "--help"])
t.check("run --help exits 0", r.returncode == 0 and b"--stage" in r.stdout, r)
r = run([EGS, "run", "--stage", "bogus"])
t.check("bad --stage exits 2", r.returncode == 2, r)
r = run([EGS, "status", "--bogus"])
t.check("status bad option exits 2", r.returncode == 2, r)
r = run([EGS, "run", "--user-data", "/nonexistent/x"])
t.check("missing --user-data exits 2", r.returncode == 2, r)

# NoCloud ISO from cloud-localds, probed from a regular file
d = t.tmpdir()
write(os.path.join(d, "bootid"), "boot-1\n")
write(os.path.join(d, "ud"), "#cloud-config\nhostname: h1\nruncmd: [echo hi]\n")
write(os.path.join(d, "md"), "instance-id: iid-iso\nlocal-hostname: lh\n")
iso = os.path.join(d, "seed.iso")
subprocess.run(["cloud-localds", iso, os.path.join(d, "ud"), os.path.join(d, "md")], check=True)
root = os.path.join(d, "root")
os.mkdir(root)
give_shell(root)
r = egs_run(root, "--dry-run", "--seed-device", iso)
t.check("dry run succeeds", r.returncode == 0 and b"dry-run:" in r.stdout, r)
t.check("dry run changes nothing", os.listdir(root) == ["bin"], os.listdir(root))
r = egs_run(root, "--seed-device", iso)
t.check("ISO seed: provisioning completed", r.returncode == 0 and b"Provisioning completed." in r.stdout, r)
t.check("instance-id", open(state(root, "data/instance-id")).read() == "iid-iso\n")
t.check("previous-instance-id", open(state(root, "data/previous-instance-id")).read() == "NO_PREVIOUS_INSTANCE_ID\n")
t.check("instance link", os.readlink(state(root, "instance")) == "/var/lib/cloud/instances/iid-iso")
st = json.load(open(state(root, "data/status.json")))
t.check("status.json shape", sorted(st["v1"]) == ["datasource", "init", "init-local", "modules-config",
                                                   "modules-final", "modules-init", "stage"], st)
t.check("status.json datasource", st["v1"]["datasource"].startswith("DataSourceNoCloud [seed=") and
        st["v1"]["datasource"].endswith("seed.iso][dsmode=net]"), st)
res = json.load(open(state(root, "data/result.json")))
t.check("result.json", res["v1"]["errors"] == [], res)
t.check("run/cloud-init/status.json link",
        os.readlink(os.path.join(root, "run/cloud-init/status.json")) == "../../var/lib/cloud/data/status.json")
cc = open(state(root, "instances/iid-iso/cloud-config.txt")).read()
t.check("cloud-config.txt header", cc.startswith("#cloud-config\n\n# from 1 files\n# part-001\n"), cc)
ud = open(state(root, "instances/iid-iso/user-data.txt")).read()
t.check("user-data.txt raw", ud.startswith("#cloud-config\nhostname: h1"), ud)
r = run([EGS, "status", "--root", root])
t.check("status: done", r.returncode == 0 and r.stdout == b"status: done\n", r)
r = run([EGS, "status", "--root", root, "--format", "json"])
j = json.loads(r.stdout)
t.check("status --format json", j["status"] == "done" and j["datasource"] == "nocloud" and
        j["_schema_version"] == "1" and j["schemas"]["1"]["status"] == "done", j)
r = run([EGS, "status", "--root", root, "--json"])
j = json.loads(r.stdout)
t.check("status --json (original's fields)", j["instanceId"] == "iid-iso" and
        j["completedStages"] == ["Local", "Network", "Config", "Final"], j)
t.check("status --json: exactly the original's keys, in order", list(j) == [
    "instanceId", "completedStages", "completedHandlers", "pendingHandlers", "moduleRebootCounts",
    "rebootCount", "startedAt", "lastUpdated"], j)
t.check("status --json: completed modules", "runcmd" in j["completedHandlers"] and
        "set_hostname" in j["completedHandlers"] and "write_files" not in j["completedHandlers"] and
        j["pendingHandlers"] == [] and j["rebootCount"] == 0 and j["moduleRebootCounts"] == {}, j)
t.check("status --json: times", j["startedAt"].endswith("+00:00") and j["startedAt"] <= j["lastUpdated"]
        and j["startedAt"] != "0001-01-01T00:00:00+00:00", j)
t.check("status --json is the file egs run keeps",
        r.stdout == open(state(root, "data/egs-state.json"), "rb").read(), r)
# --wait gives up on a run that never finishes: exit 3 (the original's timeout)
st_path = state(root, "data/status.json")
saved = open(st_path).read()
running = json.loads(saved)
running["v1"]["stage"] = "modules-final"
write(st_path, json.dumps(running))
r = run([EGS, "status", "--root", root, "--wait", "--wait-timeout", "0.3"])
t.check("status --wait times out: exit 3", r.returncode == 3 and
        b"Timed out waiting for provisioning to complete." in r.stderr, r)
r = run([EGS, "status", "--root", root, "--wait-timeout", "x"])
t.check("status bad --wait-timeout exits 2", r.returncode == 2, r)
write(st_path, saved)
rec_path = state(root, "data/egs-state.json")
rec = open(rec_path).read()
write(rec_path, "{not json")
r = run([EGS, "status", "--root", root, "--json"])
t.check("status --json with a broken record: exit 1, the file named", r.returncode == 1 and r.stdout == b""
        and r.stderr.startswith(("egs status: " + rec_path + ": ").encode()), r)
write(rec_path, rec)
r = run([EGS, "status", "--root", root, "--wait", "--wait-timeout", "0"])
t.check("status --wait on a finished run: 0", r.returncode == 0 and r.stdout == b"\nstatus: done\n", r)

# seed dir + shell script part + error status
d2 = t.tmpdir()
write(os.path.join(d2, "bootid"), "b\n")
root2 = os.path.join(d2, "root")
give_shell(root2)
write(state(root2, "seed/nocloud/meta-data"), "instance-id: sd-1\npublic-keys: [k1]\n")
write(state(root2, "seed/nocloud/user-data"), "#!/bin/sh\necho hi\n")
r = egs_run(root2)
t.check("seed dir: completed", r.returncode == 0, r)
p = state(root2, "instances/sd-1/scripts/part-001")
t.check("script part stored 0700", os.path.exists(p) and (os.stat(p).st_mode & 0o777) == 0o700)
write(state(root2, "seed/nocloud/user-data"), "#cloud-config\n- not\n- a map\n")
write(state(root2, "seed/nocloud/meta-data"), "instance-id: sd-2\n")
r = egs_run(root2)
t.check("bad user-data: exit 1", r.returncode == 1, r)
r = run([EGS, "status", "--root", root2])
t.check("status: error exits 1", r.returncode == 1 and r.stdout == b"status: error\n", r)
write(state(root2, "seed/nocloud/meta-data"), "local-hostname: x\n")
r = egs_run(root2)
t.check("meta-data without instance-id is named", r.returncode == 1 and b"instance-id" in r.stdout, r)

# seedfrom on the kernel command line (file override)
d3 = t.tmpdir()
write(os.path.join(d3, "bootid"), "b\n")
root3 = os.path.join(d3, "root")
give_shell(root3)
write(os.path.join(root3, "srv/seed/meta-data"), "instance-id: sf-1\n")
write(os.path.join(root3, "srv/seed/user-data"), "#cloud-config\n{}\n")
write(os.path.join(d3, "cmdline"), "quiet ds=nocloud;s=file:///srv/seed/;h=cmdhost\n")
r = egs_run(root3, "--cmdline-file", os.path.join(d3, "cmdline"))
t.check("cmdline seedfrom", r.returncode == 0 and open(state(root3, "data/instance-id")).read() == "sf-1\n", r)

# ConfigDrive tree
d4 = t.tmpdir()
write(os.path.join(d4, "bootid"), "b\n")
root4 = os.path.join(d4, "root")
give_shell(root4)
write(os.path.join(root4, "config-drive/openstack/2015-10-15/meta_data.json"),
      json.dumps({"uuid": "cd-uuid-1", "hostname": "cd", "public_keys": {"a": "ssh-rsa AAA"}}))
write(os.path.join(root4, "config-drive/openstack/latest/meta_data.json"), json.dumps({"uuid": "cd-latest"}))
write(os.path.join(root4, "config-drive/openstack/2015-10-15/user_data"), "#cloud-config\nruncmd: [echo cd]\n")
r = egs_run(root4)
t.check("ConfigDrive dated dir", r.returncode == 0 and
        open(state(root4, "data/instance-id")).read() == "cd-uuid-1\n", r)

# ConfigDrive network_data.json -> network-config v1 -> networkd files
nd = os.path.join(root4, "config-drive/openstack/2015-10-15/network_data.json")
write(nd, json.dumps({
    "links": [{"id": "tap0", "type": "ovs", "ethernet_mac_address": "FA:16:3E:00:00:01", "mtu": 1450},
              {"id": "bond0", "type": "bond", "bond_links": ["tap0"]}],
    "networks": [{"id": "n0", "type": "ipv4", "link": "tap0", "ip_address": "10.1.0.5",
                  "netmask": "255.255.255.0",
                  "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.1.0.1"}]}],
    "services": [{"type": "dns", "address": "10.1.0.53"}]}))
write(os.path.join(root4, "sys/class/net/ens3/address"), "fa:16:3e:00:00:01\n")
write(os.path.join(root4, "usr/lib/systemd/systemd-networkd"), "")
write(os.path.join(root4, "config-drive/openstack/2015-10-15/meta_data.json"),
      json.dumps({"uuid": "cd-uuid-2", "hostname": "cd"}))
r = egs_run(root4, "-v")
net = os.path.join(root4, "etc/systemd/network/10-egs-ens3.network")
text = open(net).read() if os.path.exists(net) else ""
t.check("network_data.json: link matched by MAC, rendered for networkd", r.returncode == 0 and
        "MACAddress=fa:16:3e:00:00:01" in text and "Address=10.1.0.5/24" in text and
        "Gateway=10.1.0.1" in text and "DNS=10.1.0.53" in text, (r, text))
t.check("network_data.json: the bond is logged as not applied",
        b"'network_data.json link bond0 (egs does not configure link type 'bond')' is accepted but not applied"
        in r.stdout + r.stderr, r)
write(nd, '{"links": [}')
write(os.path.join(root4, "config-drive/openstack/2015-10-15/meta_data.json"),
      json.dumps({"uuid": "cd-uuid-3", "hostname": "cd"}))
r = egs_run(root4)
st = json.load(open(state(root4, "data/status.json")))
errs = st["v1"]["init-local"]["errors"]
t.check("bad network_data.json: one error naming the file, exit 1", r.returncode == 1 and len(errs) == 1 and
        errs[0].startswith("network-config: " + root4 + "/config-drive/openstack/2015-10-15/network_data.json: "
                           "line 1 column 12: "), (r, errs))
t.check("bad network_data.json: the rest still provisions",
        open(state(root4, "data/instance-id")).read() == "cd-uuid-3\n" and
        os.path.exists(state(root4, "instances/cd-uuid-3/scripts/runcmd")), r)

# --user-data override; cloud-init in charge
d5 = t.tmpdir()
write(os.path.join(d5, "bootid"), "b\n")
root5 = os.path.join(d5, "root")
give_shell(root5)
write(os.path.join(d5, "ud"), "#cloud-config\n{}\n")
r = egs_run(root5, "--user-data", os.path.join(d5, "ud"))
iid = open(state(root5, "data/instance-id")).read().strip()
t.check("override id cli-override-<8 hex>", r.returncode == 0 and iid.startswith("cli-override-") and len(iid) == 21, iid)
write(os.path.join(root5, "usr/bin/cloud-init"), "#!/bin/sh\n")
os.chmod(os.path.join(root5, "usr/bin/cloud-init"), 0o755)
r = egs_run(root5, "--user-data", os.path.join(d5, "ud"))
t.check("cloud-init enabled: not provisioning", r.returncode == 0 and b"Not provisioning" in r.stdout, r)
write(os.path.join(root5, "etc/cloud/cloud-init.disabled"), "")
r = egs_run(root5, "--user-data", os.path.join(d5, "ud"))
t.check("cloud-init disabled: provisions", r.returncode == 0 and b"Provisioning completed." in r.stdout, r)

t.done()
