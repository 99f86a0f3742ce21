#!/usr/bin/python3
"""NoCloud seeds on vfat (FAT12, FAT16, FAT32) read by the label probe from
an image file, without mounting (common/fsimage.c): images made with
mkfs.vfat -n CIDATA and filled with mcopy (dosfstools, mtools). Long file
names (VFAT LFN entries), a decoy in a subdirectory, a fragmented file,
an orphaned long name, lower-case labels, and truncated or corrupt
images (a clear error naming the image and the file, never a crash)."""
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))
from egstest import EGS, Suite, run  # noqa: E402

t = Suite("NoCloud seed on vfat")
for tool in ("mkfs.vfat", "mcopy", "mmd", "mdel"):
    if not shutil.which(tool):
        t.check("%s is installed (vendor/tools.sh: dosfstools, mtools)" % tool, False)
        t.done()

d = t.tmpdir()


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def mtool(*args):
    r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (args, r.stdout))


def make_image(name, fat, kib, label="CIDATA", files=(), sectors_per_cluster=None):
    """mkfs.vfat -C; files is a list of (image path, local file) in order."""
    img = os.path.join(d, name)
    cmd = ["mkfs.vfat", "-C", "-F", str(fat), "-n", label]
    if sectors_per_cluster:
        cmd += ["-s", str(sectors_per_cluster)]
    mtool(*cmd + [img, str(kib)])
    for dst, src in files:
        mtool("mcopy", "-i", img, src, "::" + dst)
    return img


def new_root(name):
    root = os.path.join(d, name)
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "sh"))
    # systemd-networkd present: the network-config is rendered to files
    write(os.path.join(root, "usr/lib/systemd/systemd-networkd"), "")
    return root


def egs_run(root, image):
    write(os.path.join(d, "bootid"), "b1\n")
    return run([EGS, "run", "--root", root, "--kvp-dir", "", "--boot-id-file",
                os.path.join(d, "bootid"), "--seed-device", image])


def read(root, rel):
    try:
        with open(os.path.join(root, rel)) as f:
            return f.read()
    except OSError as e:
        return "(%s)" % e


# the seed files; the user-data is larger than several 512-byte clusters
src = os.path.join(d, "src")
os.makedirs(src)
big = "".join("line %04d of the payload\n" % i for i in range(400))  # ~10 KB
write(os.path.join(src, "meta-data"), "instance-id: vfat-1\nlocal-hostname: from-meta\n")
write(os.path.join(src, "user-data"), "#cloud-config\nhostname: vfat-host\nwrite_files:\n"
      "  - path: /etc/egs-payload\n    encoding: b64\n    content: %s\n" %
      __import__("base64").b64encode(big.encode()).decode())
write(os.path.join(src, "network-config"), "version: 2\nethernets:\n  eth0:\n"
      "    addresses: [192.0.2.10/24]\n")
write(os.path.join(src, "vendor-data"), "#cloud-config\n{}\n")
write(os.path.join(src, "decoy"), "instance-id: wrong-one\n")
write(os.path.join(src, "filler"), "x" * 3000)
seed = [("/meta-data", os.path.join(src, "meta-data")),
        ("/user-data", os.path.join(src, "user-data")),
        ("/network-config", os.path.join(src, "network-config")),
        ("/vendor-data", os.path.join(src, "vendor-data"))]

cases = [("FAT12", 12, 2000), ("FAT16", 16, 20000), ("FAT32", 32, 40000)]
for name, fat, kib in cases:
    img = make_image("seed%d.img" % fat, fat, kib, files=seed)
    mtool("mmd", "-i", img, "::/sub")
    mtool("mcopy", "-i", img, os.path.join(src, "decoy"), "::/sub/meta-data")
    out = subprocess.run(["file", img], stdout=subprocess.PIPE, text=True).stdout
    t.check("%s: the image is what the case says" % name, "FAT (%d bit)" % fat in out, out)
    root = new_root("root%d" % fat)
    r = egs_run(root, img)
    t.check("%s: provisioning completed" % name, r.returncode == 0 and
            b"Provisioning completed." in r.stdout, r)
    t.check("%s: meta-data by its long name (not sub/meta-data)" % name,
            read(root, "var/lib/cloud/data/instance-id") == "vfat-1\n")
    t.check("%s: user-data by its long name" % name, read(root, "etc/hostname") == "vfat-host\n",
            read(root, "etc/hostname"))
    t.check("%s: a multi-cluster user-data arrives whole" % name, read(root, "etc/egs-payload") == big)
    net = read(root, "etc/systemd/network/10-egs-eth0.network")
    t.check("%s: network-config (a 14-character long name)" % name, "Address=192.0.2.10/24" in net, net)
    t.check("%s: the datasource names the image" % name,
            ("[seed=%s]" % img) in read(root, "var/lib/cloud/instances/vfat-1/datasource"),
            read(root, "var/lib/cloud/instances/vfat-1/datasource"))

# a fragmented user-data: 512-byte clusters, a hole left by a deleted file
img = make_image("frag.img", 12, 2000, sectors_per_cluster=1,
                 files=[("/filler", os.path.join(src, "filler")),
                        ("/meta-data", os.path.join(src, "meta-data"))])
mtool("mdel", "-i", img, "::/filler")
mtool("mcopy", "-i", img, os.path.join(src, "user-data"), "::/user-data")
root = new_root("root-frag")
r = egs_run(root, img)
t.check("fragmented user-data: provisioning completed", r.returncode == 0, r)
t.check("fragmented user-data: the whole file, in order", read(root, "etc/egs-payload") == big)

# lower-case label, as cloud-init accepts (cidata or CIDATA)
img = make_image("lower.img", 16, 20000, label="cidata", files=seed[:2])
root = new_root("root-lower")
r = egs_run(root, img)
t.check("label 'cidata': found", r.returncode == 0 and read(root, "etc/hostname") == "vfat-host\n", r)

# another label: not a NoCloud seed
img = make_image("other.img", 12, 2000, label="OTHER", files=seed[:2])
root = new_root("root-other")
r = egs_run(root, img)
t.check("label OTHER: no datasource", r.returncode == 0 and
        b"No data source available" in r.stdout, r)


def geometry(img):
    """FAT12/16 boot sector: bytes/sector, reserved sectors, FAT count,
    root entries, sectors per FAT."""
    with open(img, "rb") as f:
        b = f.read(512)
    bps, _spc, res, nfats, nroot = struct.unpack_from("<HBHBH", b, 11)
    return bps, res, nfats, nroot, struct.unpack_from("<H", b, 22)[0]


def entry_offset(img, short_name):
    """The byte offset of the FAT12/16 root directory entry named short_name."""
    bps, res, nfats, nroot, fatsz = geometry(img)
    root_off = (res + nfats * fatsz) * bps
    with open(img, "rb") as f:
        f.seek(root_off)
        rootdir = f.read(nroot * 32)
    for i in range(0, len(rootdir), 32):
        if rootdir[i:i + 11] == short_name:
            return root_off + i
    raise SystemExit("no entry %r in %s" % (short_name, img))


# an orphaned long name: the 8.3 entry was renamed by a system without long
# names, so the long name no longer belongs to it (checksum mismatch)
img = make_image("orphan.img", 12, 2000, files=seed[:2])
off = entry_offset(img, b"META-D~1   ")
with open(img, "r+b") as f:
    f.seek(off)
    f.write(b"OTHER      ")
root = new_root("root-orphan")
r = egs_run(root, img)
t.check("orphaned long name is not 'meta-data': no seed", r.returncode == 0 and
        b"No data source available" in r.stdout, r)

# truncated images: the error names the image and the file
for name, fat, kib, size in [("FAT12", 12, 2000, 1024), ("FAT32", 32, 40000, 20000)]:
    img = make_image("trunc%d.img" % fat, fat, kib, files=seed)
    os.truncate(img, size)
    root = new_root("root-trunc%d" % fat)
    r = egs_run(root, img)
    t.check("%s truncated to %d bytes: clear error, exit 1" % (name, size), r.returncode == 1 and
            ("Provisioning failed: %s: meta-data: image truncated or unreadable" % img).encode()
            in r.stdout, r)
    t.check("%s truncated: nothing provisioned" % name, not os.path.exists(os.path.join(root, "etc/hostname")))

# a data area cut short after the directory: the file's clusters are missing
img = make_image("cut.img", 16, 20000, files=seed)
bps, res, nfats, nroot, fatsz = geometry(img)
os.truncate(img, (res + nfats * fatsz) * bps + nroot * 32 + 100)
root = new_root("root-cut")
r = egs_run(root, img)
t.check("FAT16 without its data area: clear error", r.returncode == 1 and
        b"image truncated or unreadable" in r.stdout, r)

# a cluster chain that loops back on itself (FAT12: cluster 2 -> 2)
img = make_image("loop.img", 12, 2000, sectors_per_cluster=1, files=seed[:2])
off = entry_offset(img, b"META-D~1   ")
bps, res, nfats, nroot, fatsz = geometry(img)
fat_off = res * bps
with open(img, "r+b") as f:
    f.seek(off + 26)
    first = struct.unpack("<H", f.read(2))[0]
    f.seek(off + 28)
    f.write(struct.pack("<I", 4096))  # claims more than its one cluster
    f.seek(fat_off + first + first // 2)
    v = struct.unpack("<H", f.read(2))[0]
    v = (v & 0x000F) | (first << 4) if first & 1 else (v & 0xF000) | first
    f.seek(fat_off + first + first // 2)
    f.write(struct.pack("<H", v))
root = new_root("root-loop")
r = egs_run(root, img)
t.check("a looping cluster chain: clear error", r.returncode == 1 and
        b"meta-data: malformed FAT file" in r.stdout, r)

# a wild boot sector: zero bytes per sector, huge FAT counts
img = make_image("wild.img", 12, 2000, files=seed[:2])
with open(img, "r+b") as f:
    f.seek(16)
    f.write(b"\xff")             # 255 FATs
    f.seek(22)
    f.write(b"\xff\xff")         # of 65535 sectors each: past the volume
root = new_root("root-wild")
r = egs_run(root, img)
t.check("impossible geometry: not a filesystem, no crash", r.returncode in (0, 1) and
        r.returncode != -11 and b"Provisioning completed" not in r.stdout, r)

t.done()
