#!/bin/sh
# get-busybox.sh OUTDIR: fetch Debian's busybox-static with apt-get download
# and unpack it into OUTDIR (cached).  Prints the path of the static busybox.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
bb=$out/bin/busybox
if [ ! -x "$bb" ]; then
	mkdir -p "$out/.deb"
	if ! ls "$out"/.deb/busybox-static_*.deb >/dev/null 2>&1; then
		echo "get-busybox: apt-get download busybox-static" >&2
		(cd "$out/.deb" && apt-get -o APT::Sandbox::User=root download busybox-static >&2) || {
			echo "get-busybox: apt-get download busybox-static failed (apt-get update?)" >&2
			exit 1; }
	fi
	dpkg-deb -x "$(ls "$out"/.deb/busybox-static_*.deb | head -n1)" "$out"
fi
[ -x "$bb" ] || { echo "get-busybox: no bin/busybox in the package" >&2; exit 1; }
echo "$bb"
