#!/usr/bin/python3
"""network-config applied directly over rtnetlink (common/netcfg_live.c,
common/netlink.c), the path an initramfs guest without networkd or
ifupdown takes.

Everything happens inside a network namespace this test creates
(`ip netns add egs-test-PID`, veth pairs inside it) and deletes again; the
driver tests/netcfg/nc_live.c (built here, static musl, from the build's
musl objects) runs there under `ip netns exec` + `unshare --mount` with a
private tmpfs on /etc, so the machine's own interfaces, routes and
resolv.conf are never touched. Without root, `ip` or namespaces the test
is skipped with a message. No traffic leaves the namespace.

Run with Debian's /usr/bin/python3. Prints "N passed, N failed"."""

import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import Suite, ROOT  # noqa: E402

BUILD = os.environ.get("EGS_BUILD", os.path.join(ROOT, "build"))
DEPS = os.environ.get("EGS_DEPS", os.path.join(ROOT, "build", "deps"))
NS = "egs-test-%d" % os.getpid()

t = Suite("network-config over rtnetlink (network namespace)")


def skip(why):
    print("skip: %s" % why, flush=True)
    t.done()


def sh(*cmd, check=False):
    p = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if check and p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.decode(errors="replace")))
    return p.stdout.decode(errors="replace")


def build(tmp):
    """nc_live linked statically with musl against the build's objects."""
    objs = sorted(glob.glob(os.path.join(BUILD, "musl", "common", "*.o")))
    if not objs or not shutil.which("musl-gcc"):
        return None
    lib = os.path.join(tmp, "libegs.a")
    subprocess.run(["ar", "rcs", lib] + objs, check=True)
    exe = os.path.join(tmp, "nc_live")
    cmd = ["musl-gcc", "-static", "-std=gnu11", "-O1", "-D_GNU_SOURCE",
           "-iquote", os.path.join(ROOT, "common"),
           "-idirafter", "/usr/include", "-idirafter", "/usr/include/x86_64-linux-gnu",
           os.path.join(ROOT, "tests", "netcfg", "nc_live.c"), lib,
           os.path.join(DEPS, "musl", "libyaml", "libyaml.a"),
           os.path.join(DEPS, "musl", "bearssl", "libbearssl.a"),
           os.path.join(DEPS, "musl", "zlib", "libz.a"), "-o", exe]
    subprocess.run(cmd, check=True)
    return exe


def ns_setup():
    sh("ip", "netns", "add", NS, check=True)
    # eth0 (renamed to lan0 by MAC) and ens3, each with a live peer.
    sh("ip", "-n", NS, "link", "add", "eth0", "address", "52:54:00:12:34:56", "type", "veth",
       "peer", "name", "peer0", check=True)
    sh("ip", "-n", NS, "link", "add", "ens3", "address", "52:54:00:00:00:03", "type", "veth",
       "peer", "name", "peer1", check=True)
    for p in ("peer0", "peer1", "lo"):
        sh("ip", "-n", NS, "link", "set", p, "up", check=True)


def ns_delete():
    subprocess.run(["ip", "netns", "del", NS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def apply(exe, tmp, name, text):
    """Runs the driver in the namespace with a private /etc; returns
    (exit status, stdout, stderr, resolv.conf text)."""
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    script = ('mount -t tmpfs egs-test /etc || exit 99; "$0" "$1"; rc=$?; '
              'echo "--resolv--"; cat /etc/resolv.conf 2>/dev/null; exit $rc')
    p = subprocess.run(["ip", "netns", "exec", NS, "unshare", "--mount", "--propagation", "private",
                        "sh", "-c", script, exe, path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    out = p.stdout.decode(errors="replace")
    out, _, resolv = out.partition("--resolv--\n")
    return p.returncode, out, p.stderr.decode(errors="replace"), resolv


def have_udhcpc():
    return any(os.access(os.path.join(d, n), os.X_OK)
               for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
               for n in ("udhcpc", "udhcpc6"))


V1 = """
version: 1
config:
  - type: physical
    name: lan0
    mac_address: "52:54:00:12:34:56"
    mtu: 1400
    subnets:
      - type: static
        address: 192.168.50.10/24
        gateway: 192.168.50.1
        dns_nameservers: [192.168.50.53]
        routes:
          - network: 10.20.0.0
            netmask: 255.255.0.0
            gateway: 192.168.50.254
            metric: 100
      - type: static
        address: 192.168.50.11
        netmask: 255.255.255.0
      - type: static6
        address: 2001:db8:50::10/64
        gateway: 2001:db8:50::1
  - type: physical
    name: ens3
    subnets:
      - type: %(ens3)s
  - type: nameserver
    address: [192.168.50.54]
    search: [test.example]
  - type: bond
    name: bond0
    bond_interfaces: [lan0, ens3]
"""

V2 = """
network:
  version: 2
  ethernets:
    uplink:
      match: {name: "ens*"}
      mtu: 1300
      addresses: [172.30.0.5/24, "2001:db8:30::5/64"]
      routes:
        - {to: default, via: 172.30.0.1, metric: 300}
        - {to: 198.51.100.0/24, via: 172.30.0.2, metric: 20}
        - {to: 203.0.113.0/24}
        - {to: "2001:db8:99::/48", via: "2001:db8:30::1", metric: 40}
      nameservers: {addresses: [172.30.0.53], search: [v2.example]}
  vlans:
    vlan7: {id: 7, link: uplink}
"""


def main():
    if os.geteuid() != 0:
        skip("needs root for network namespaces")
    for tool in ("ip", "unshare", "mount"):
        if not shutil.which(tool):
            skip("%s is missing" % tool)
    tmp = t.tmpdir()
    try:
        exe = build(tmp)
    except subprocess.CalledProcessError as e:
        t.check("build nc_live", False, str(e))
        t.done()
    if not exe:
        skip("no musl objects in %s/musl/common (run make first) or no musl-gcc" % BUILD)
    try:
        ns_setup()
    except RuntimeError as e:
        ns_delete()
        skip("cannot create a network namespace with veth pairs: %s" % e)
    try:
        run_cases(exe, tmp)
    finally:
        ns_delete()
    t.check("namespace deleted", NS not in sh("ip", "netns", "list"))
    t.done()


def run_cases(exe, tmp):
    # ---- v1: rename by MAC, MTU, v4/v6 addresses, gateways, routes, DNS
    dhcp = not have_udhcpc()
    rc, out, err, resolv = apply(exe, tmp, "v1", V1 % {"ens3": "dhcp" if dhcp else "manual"})
    t.check("v1 applied", rc == 0 and out == "ok\n", out + err)
    link = sh("ip", "-n", NS, "-o", "link", "show", "lan0")
    t.check("v1 eth0 renamed lan0 (matched by MAC)", "lan0" in link and "52:54:00:12:34:56" in link,
            link)
    t.check("v1 lan0 up", ",UP" in link or "<UP" in link, link)
    t.check("v1 lan0 mtu 1400", " mtu 1400 " in link, link)
    t.check("v1 eth0 gone", sh("ip", "-n", NS, "-o", "link", "show", "eth0") == "")
    addr = sh("ip", "-n", NS, "-o", "addr", "show", "dev", "lan0")
    t.check("v1 address CIDR", "inet 192.168.50.10/24 brd 192.168.50.255" in addr, addr)
    t.check("v1 address + netmask", "inet 192.168.50.11/24" in addr, addr)
    t.check("v1 static6", "inet6 2001:db8:50::10/64" in addr, addr)
    r4 = sh("ip", "-n", NS, "route", "show")
    t.check("v1 default route", "default via 192.168.50.1 dev lan0" in r4, r4)
    t.check("v1 static route with netmask + metric",
            "10.20.0.0/16 via 192.168.50.254 dev lan0" in r4 and "metric 100" in r4, r4)
    r6 = sh("ip", "-n", NS, "-6", "route", "show")
    t.check("v1 IPv6 default route", "default via 2001:db8:50::1 dev lan0" in r6, r6)
    t.check("v1 resolv.conf",
            resolv == "# Generated by egs from the datasource's network-config.\n"
                      "nameserver 192.168.50.54\nnameserver 192.168.50.53\nsearch test.example\n",
            resolv)
    t.check("v1 bond logged as not applied",
            "not applied: config type bond (bond0)" in err, err)
    ens3 = sh("ip", "-n", NS, "-o", "link", "show", "ens3")
    t.check("v1 ens3 up", ",UP" in ens3 or "<UP" in ens3, ens3)
    if dhcp:
        t.check("v1 DHCP without udhcpc: accepted, not applied",
                "'network-config DHCP on ens3 (no udhcpc)' is accepted but not applied" in err, err)

    # ---- the same again: replacing is idempotent
    rc, out, err, _ = apply(exe, tmp, "v1b", V1 % {"ens3": "manual"})
    t.check("v1 applied twice", rc == 0 and out == "ok\n", out + err)
    addr2 = sh("ip", "-n", NS, "-o", "-4", "addr", "show", "dev", "lan0")
    t.check("v1 twice: no duplicate addresses", addr2.count("192.168.50.10/24") == 1, addr2)

    # ---- v2: name glob, MTU, addresses, routes (default, on-link, metric), DNS
    rc, out, err, resolv = apply(exe, tmp, "v2", V2)
    t.check("v2 applied", rc == 0 and out == "ok\n", out + err)
    link = sh("ip", "-n", NS, "-o", "link", "show", "ens3")
    t.check("v2 glob ens* matched ens3: mtu 1300", " mtu 1300 " in link, link)
    addr = sh("ip", "-n", NS, "-o", "addr", "show", "dev", "ens3")
    t.check("v2 addresses", "inet 172.30.0.5/24" in addr and "inet6 2001:db8:30::5/64" in addr, addr)
    r4 = sh("ip", "-n", NS, "route", "show", "dev", "ens3")
    t.check("v2 to: default with metric", "default via 172.30.0.1 metric 300" in r4, r4)
    t.check("v2 route via + metric", "198.51.100.0/24 via 172.30.0.2 metric 20" in r4, r4)
    t.check("v2 on-link route", "203.0.113.0/24 scope link" in r4, r4)
    r6 = sh("ip", "-n", NS, "-6", "route", "show", "dev", "ens3")
    t.check("v2 IPv6 route", "2001:db8:99::/48 via 2001:db8:30::1" in r6 and "metric 40" in r6, r6)
    t.check("v2 resolv.conf",
            resolv == "# Generated by egs from the datasource's network-config.\n"
                      "nameserver 172.30.0.53\nsearch v2.example\n", resolv)
    t.check("v2 vlan logged as not applied",
            "not applied: vlans: vlan7" in err, err)
    t.check("lo untouched by the glob", "mtu 65536" in sh("ip", "-n", NS, "-o", "link", "show", "lo"))

    # ---- failures: an unreachable gateway is an error; a missing NIC is not
    rc, out, err, _ = apply(exe, tmp, "bad", "version: 2\nethernets:\n  ens3:\n    routes:\n"
                                             "    - {to: 10.99.0.0/16, via: 10.250.0.1}\n")
    t.check("unreachable gateway: exit 1", rc == 1, out + err)
    t.check("unreachable gateway: reason",
            out.startswith("error: network-config: ens3: route add 10.99.0.0/16 via 10.250.0.1: "
                           "Network ") and out.endswith("unreachable\n"), out)
    rc, out, err, _ = apply(exe, tmp, "gone", "version: 2\nethernets:\n  gone:\n"
                                              "    match: {macaddress: '00:11:22:33:44:55'}\n"
                                              "    dhcp4: true\n")
    t.check("no matching interface: skipped, not an error",
            rc == 0 and "no interface matches 'gone': skipped" in err, out + err)
    rc, out, err, _ = apply(exe, tmp, "ver", "version: 3\n")
    t.check("unknown version: clear error",
            rc == 1 and out == "error: network-config version 3 is not supported "
                               "(egs supports 1 and 2)\n", out + err)


if __name__ == "__main__":
    main()
