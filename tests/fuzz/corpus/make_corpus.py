#!/usr/bin/python3
"""Writes the seed corpora in tests/fuzz/corpus/NAME/ (our own small
inputs; re-run after changing them: /usr/bin/python3 tests/fuzz/corpus/make_corpus.py).
Each fuzz_NAME.c target reads corpus/NAME/."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def s(b):
    if isinstance(b, str):
        b = b.encode()
    return struct.pack(">I", len(b)) + b


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def pkt(t, body):
    return struct.pack(">IB", len(body) + 1, t) + body


def handle(index, gen):
    return s(u32(index) + u32(gen))


ATTR_PERM = u32(0x4) + u32(0o644)


def sftp_seeds():
    init = pkt(1, u32(3))
    seq = [init,
           pkt(3, u32(1) + s("f") + u32(0x1a) + ATTR_PERM),     # OPEN f creat|trunc|write
           pkt(6, u32(2) + handle(0, 1) + u64(0) + s("hello\n")),
           pkt(8, u32(3) + handle(0, 1)),                        # FSTAT
           pkt(4, u32(4) + handle(0, 1)),                        # CLOSE
           pkt(3, u32(5) + s("f") + u32(1) + u32(0)),            # OPEN read
           pkt(5, u32(6) + handle(0, 2) + u64(0) + u32(100)),    # READ
           pkt(4, u32(7) + handle(0, 2)),
           pkt(14, u32(8) + s("d") + u32(0)),                    # MKDIR
           pkt(11, u32(9) + s(".")),                             # OPENDIR
           pkt(12, u32(10) + handle(0, 3)),                      # READDIR
           pkt(12, u32(11) + handle(0, 3)),
           pkt(4, u32(12) + handle(0, 3)),
           pkt(17, u32(13) + s("f")),                            # STAT
           pkt(7, u32(14) + s("f")),                             # LSTAT
           pkt(9, u32(15) + s("f") + ATTR_PERM),                 # SETSTAT
           pkt(16, u32(16) + s(".")),                            # REALPATH
           pkt(20, u32(17) + s("l") + s("f")),                   # SYMLINK
           pkt(19, u32(18) + s("l")),                            # READLINK
           pkt(18, u32(19) + s("f") + s("g")),                   # RENAME
           pkt(200, u32(20) + s("posix-rename@openssh.com") + s("g") + s("h")),
           pkt(200, u32(21) + s("hardlink@openssh.com") + s("h") + s("i")),
           pkt(200, u32(22) + s("statvfs@openssh.com") + s(".")),
           pkt(200, u32(23) + s("limits@openssh.com")),
           pkt(200, u32(24) + s("expand-path@openssh.com") + s("~")),
           pkt(200, u32(25) + s("lsetstat@openssh.com") + s("l") + ATTR_PERM),
           pkt(13, u32(26) + s("h")),                            # REMOVE
           pkt(15, u32(27) + s("d")),                            # RMDIR
           ]
    yield "session", b"".join(seq)
    yield "init", init
    yield "before-init", pkt(17, u32(1) + s("."))
    yield "huge-length", u32(0x7fffffff) + b"\x01"
    yield "fsync", init + pkt(3, u32(1) + s("x") + u32(0xa) + u32(0)) + \
        pkt(200, u32(2) + s("fsync@openssh.com") + handle(0, 1))


def eryph(kind, payload, data=b""):
    return bytes([kind]) + struct.pack(">H", len(payload)) + payload + data


def eryph_seeds():
    yield "upload", eryph(0, s("") + s("up.txt") + u64(5) + b"\x00", b"hello")
    yield "upload-sub", eryph(0, s("a") + s("b/c.txt") + u64(3) + b"\x01", b"xyz")
    yield "upload-short", eryph(0, s("") + s("short") + u64(100) + b"\x00", b"abc")
    yield "download", eryph(1, s("."))
    yield "list", eryph(2, s("."))
    yield "truncated", eryph(0, s("") + b"\x00\x00")


def kvp_record(k, v):
    return k.encode().ljust(512, b"\0") + v.encode().ljust(2048, b"\0")


SEEDS = {
    "yaml": {
        "map": b"a: 1\nb: [x, 'y', \"z\"]\nc: {d: 0x1F, e: 0644, f: 1_000, g: 190:20:30}\n",
        "anchors": b"base: &b {x: 1}\nuse:\n  <<: *b\n  y: !!str 2\nt: 2024-01-02 10:20:30Z\n",
        "tags": b"--- !!map\n? !!binary aGVsbG8=\n: !!set {a, b}\nn: ~\nf: .inf\nl: |\n  text\n",
        "bom": b"\xef\xbb\xbfkey: value\n",
    },
    "schema": {
        "users": b"#cloud-config\nusers:\n  - name: egs\n    groups: [sudo]\n    ssh_authorized_keys: [ssh-ed25519 AAAA x]\n",
        "write_files": b"#cloud-config\nwrite_files:\n  - path: /tmp/x\n    content: hi\n    permissions: '0644'\n    encoding: b64\n",
        "bad": b"#cloud-config\nruncmd: 5\npackages: {a: 1}\napt: {primary: [{arches: [default], uri: 'x'}]}\n",
        "deprecated": b"#cloud-config\nchpasswd:\n  list: |\n    root:x\nsystem_info: {default_user: {name: u}}\n",
    },
    "mime": {
        "multipart": (b"Content-Type: multipart/mixed; boundary=\"XX\"\nMIME-Version: 1.0\n\n"
                      b"--XX\nContent-Type: text/cloud-config; charset=\"us-ascii\"\n"
                      b"Content-Disposition: attachment; filename=\"c.yaml\"\n\n#cloud-config\na: 1\n"
                      b"--XX\nContent-Type: text/x-shellscript\nContent-Transfer-Encoding: base64\n\n"
                      b"IyEvYmluL3NoCmVjaG8gaGkK\n--XX--\n"),
        "qp": b"Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\na=3Db=\n c\n",
        "rfc2231": b"Content-Type: text/plain; name*=utf-8''%E2%82%AC.txt\n\nbody\n",
        "nested": (b"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: message/rfc822\n\n"
                   b"Content-Type: multipart/alternative; boundary=b\n\n--b\n\nx\n--b--\n--a--\n"),
    },
    "authkeys": {
        "plain": b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHKCK8tcGmTTSaYtLQ8ItL0oyajM2F4NQTUNJk1r3SxJ test@egs\n",
        "expiry": b"expiry-time=\"20991231\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHKCK8tcGmTTSaYtLQ8ItL0oyajM2F4NQTUNJk1r3SxJ c\n",
        "expired-iso": b"expiry-time=\"2020-01-02T03:04:05+01:00\" ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBA== x\r\n# comment\n\n",
        "time": b"2026-06-02 14:30:00.5Z",
    },
    "kvp": {
        "one": kvp_record("eryph:guest-services:client-public-key", "ssh-ed25519 AAAA x"),
        "two": kvp_record("a", "1") + kvp_record("b", "2") + kvp_record("a", "3"),
    },
    "conf": {
        "flags": b"# egs\nRemoteAccessEnabled=0\r\nkvpauthenabled = true\nPortForwardingEnabled=1\n=x\nnoequals\n",
        "shell": b"shell = /bin/bash\nshell-args=-l -i\r",
    },
    "json": {
        "object": b'{"a": [1, 2.5, -3e+2, true, false, null], "b": {"c": "\\u00e9\\ud83d\\ude00"}}',
        "nan": b"[NaN, Infinity, -Infinity, 1e400, 123456789012345678901234567890]",
        "dup": b'{"k": 1, "k": 2, "\\"": "\\n\\t\\/"}',
    },
    "mux": {
        "ok": b"OK 1234\n",
        "ok-extra": b"OK 1\nSSH-2.0-x\r\n",
        "refused": b"ERR no such port\n",
        "noline": b"OK 99999999999999999999",
    },
    "zipw": {
        "two": b"agent.log\0line one\nline two\n\0dir/\xc3\xa9t\xc3\xa9.txt\0\0",
        "empty-name": b"\0data\0",
    },
    "netcfg": {
        "v1": (b"version: 1\nconfig:\n  - type: physical\n    name: eth0\n    mac_address: '52:54:00:12:34:56'\n"
               b"    mtu: 1400\n    subnets:\n      - type: static\n        address: 10.0.0.5/24\n        gateway: 10.0.0.1\n"
               b"        routes: [{network: 10.1.0.0, netmask: 255.255.0.0, gateway: 10.0.0.2, metric: 5}]\n"
               b"      - type: dhcp6\n  - type: nameserver\n    address: [1.1.1.1, '2606:4700::1111']\n    search: [example.com]\n"
               b"  - type: bond\n    name: bond0\n"),
        "v2": (b"network:\n  version: 2\n  ethernets:\n    id0:\n      match: {macaddress: '52:54:00:AA:BB:CC', name: 'en*'}\n"
               b"      set-name: lan0\n      dhcp4: true\n      addresses: [192.168.1.10/24, 'fd00::10/64']\n"
               b"      gateway4: 192.168.1.1\n      routes: [{to: default, via: 'fd00::1', metric: 100}]\n"
               b"      nameservers: {addresses: [9.9.9.9], search: [lan]}\n  bonds: {bond0: {interfaces: [id0]}}\n"),
        "disabled": b"network: {config: disabled}\n",
        "bad": b"version: 3\nethernets: [1, 2]\n",
    },
    "netjson": {
        "nova": (b'{"links": [{"id": "tap0", "type": "ovs", "ethernet_mac_address": "fa:16:3e:00:00:01",'
                 b' "mtu": 1450}, {"id": "v", "type": "vlan", "vlan_link": "tap0"}, {"id": "p", "name": "eth0"}],'
                 b' "networks": [{"id": "n0", "type": "ipv4", "link": "p", "ip_address": "10.0.0.5",'
                 b' "netmask": "255.255.255.0", "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0",'
                 b' "gateway": "10.0.0.1", "services": [{"type": "dns", "address": "10.0.0.2"}]}]},'
                 b' {"id": "n1", "type": "ipv6_dhcp", "link": "p"}],'
                 b' "services": [{"type": "dns", "address": "8.8.8.8"}, {"type": "ntp", "address": "x"}]}'),
        "empty": b"{}",
    },
    "userdata": {
        "cloud-config": b"#cloud-config\nruncmd: [echo hi]\n",
        "include": b"#include\nhttp://127.0.0.1/x\nfile:///etc/passwd\n",
        "script": b"#!/bin/sh\necho hi\n",
        "boothook": b"#cloud-boothook\n#!/bin/sh\ntrue\n",
    },
}


def fat_short_sum(name11):
    total = 0
    for c in name11:
        total = (((total & 1) << 7) + (total >> 1) + c) & 0xFF
    return total


def fat_dirents(name, short, attr, cluster, size):
    """The long-name slices (last first) and the 8.3 entry of one file."""
    out = b""
    units = [ord(c) for c in name] + [0]
    units += [0xFFFF] * (-len(units) % 13)
    n = len(units) // 13
    for seq in range(n, 0, -1):
        part = units[(seq - 1) * 13:seq * 13]
        e = bytes([seq | (0x40 if seq == n else 0)])
        e += struct.pack("<5H", *part[0:5]) + bytes([0x0F, 0, fat_short_sum(short)])
        e += struct.pack("<6H", *part[5:11]) + b"\0\0" + struct.pack("<2H", *part[11:13])
        out += e
    return out + short + bytes([attr]) + b"\0" * 14 + struct.pack("<HI", cluster, size)


def fat12_image(files, label=b"CIDATA     "):
    """A tiny FAT12 volume (512-byte sectors and clusters, one FAT, 16 root
    entries, 16 sectors = 8 KiB): files is a list of (long name, 8.3 name,
    content) in the root, one cluster each."""
    sectors, reserved, root_entries = 16, 1, 16
    boot = bytearray(512)
    boot[0:3] = b"\xeb\x3c\x90"
    boot[3:11] = b"mkfs.fat"
    struct.pack_into("<HBHBHHBHHHII", boot, 11, 512, 1, reserved, 1, root_entries, sectors,
                     0xF8, 1, 16, 1, 0, 0)
    boot[0x26] = 0x29
    boot[0x2B:0x36] = label
    boot[0x36:0x3E] = b"FAT12   "
    boot[510:512] = b"\x55\xaa"
    fat = bytearray(512)
    entries = [0xFF8, 0xFFF]
    root = label + bytes([0x08]) + b"\0" * 20
    data = b""
    for i, (name, short, content) in enumerate(files):
        cluster = 2 + i
        entries.append(0xFFF)
        root += fat_dirents(name, short, 0x20, cluster, len(content))
        data += content.ljust(512, b"\0")
    for i, v in enumerate(entries):
        off = i + i // 2
        cur = fat[off] | fat[off + 1] << 8
        cur = (cur & 0x000F) | (v << 4) if i & 1 else (cur & 0xF000) | v
        fat[off:off + 2] = struct.pack("<H", cur)
    image = bytes(boot) + bytes(fat) + root.ljust(root_entries * 32, b"\0") + data
    return image.ljust(sectors * 512, b"\0")


def fsimage_seeds():
    md = b"instance-id: fuzz-1\nlocal-hostname: h\n"
    ud = b"#cloud-config\nhostname: x\n"
    return {
        "fat12": fat12_image([("meta-data", b"META-D~1   ", md), ("user-data", b"USER-D~1   ", ud)]),
        "fat12-long": fat12_image([("network-config", b"NETWOR~1   ", b"version: 2\n"),
                                   ("meta-data", b"META-D~1   ", md)]),
        "fat12-short": fat12_image([("META", b"META       ", md)], label=b"cidata     "),
    }


def main():
    seeds = dict(SEEDS)
    seeds["sftp"] = dict(sftp_seeds())
    seeds["eryph"] = dict(eryph_seeds())
    seeds["fsimage"] = fsimage_seeds()
    for name, files in sorted(seeds.items()):
        d = os.path.join(HERE, name)
        os.makedirs(d, exist_ok=True)
        for fname, data in files.items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
    print("wrote %d seeds" % sum(len(v) for v in seeds.values()))


if __name__ == "__main__":
    main()
