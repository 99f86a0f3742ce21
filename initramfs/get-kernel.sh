#!/bin/sh
# get-kernel.sh OUTDIR: fetch Debian's current amd64 kernel image package
# (the one linux-image-amd64 depends on) with apt-get download and unpack it
# into OUTDIR, so that OUTDIR/boot/vmlinuz-<ver> and OUTDIR/lib/modules/<ver>/
# exist.  Cached: if OUTDIR already holds a kernel, nothing is fetched.
# Prints the kernel version on stdout.
#
# Environment: EGS_KERNEL_PKG=linux-image-6.1.0-NN-amd64 pins the package.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)

have() {
	for k in "$out"/boot/vmlinuz-*; do
		[ -f "$k" ] || continue
		v=${k##*/vmlinuz-}
		[ -f "$out/lib/modules/$v/modules.dep" ] && { echo "$v"; return 0; }
	done
	return 1
}
have && exit 0

pkg=${EGS_KERNEL_PKG:-}
if [ -z "$pkg" ]; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	fi
fi
[ -n "$pkg" ] || { echo "get-kernel: cannot resolve linux-image-amd64 (run apt-get update)" >&2; exit 1; }

dl=$out/.deb
mkdir -p "$dl"
if ! ls "$dl"/"$pkg"_*.deb >/dev/null 2>&1; then
	echo "get-kernel: apt-get download $pkg" >&2
	(cd "$dl" && apt-get -o APT::Sandbox::User=root download "$pkg" >&2) || {
		echo "get-kernel: apt-get download $pkg failed" >&2; exit 1; }
fi
deb=$(ls "$dl"/"$pkg"_*.deb | head -n1)
echo "get-kernel: unpacking $(basename "$deb")" >&2
dpkg-deb -x "$deb" "$out"
# Debian ships modules.dep etc. only after depmod runs in the postinst.
for k in "$out"/boot/vmlinuz-*; do
	v=${k##*/vmlinuz-}
	if [ ! -f "$out/lib/modules/$v/modules.dep" ]; then
		if command -v depmod >/dev/null 2>&1 || [ -x /sbin/depmod ]; then
			PATH=$PATH:/sbin:/usr/sbin depmod -b "$out" "$v"
		else
			echo "get-kernel: depmod (kmod) missing" >&2; exit 1
		fi
	fi
done
have || { echo "get-kernel: no kernel found in $deb" >&2; exit 1; }
