#!/bin/sh
# iso/build.sh BINARY VERSION OUTDIR: build OUTDIR/egs_<VERSION>.iso, the
# installer medium (volume label EGS, Rock Ridge + Joliet) holding the static
# egs binary, install.sh, uninstall.sh, the service files, README.md and
# SHA256SUMS.  Needs xorriso (Debian package xorriso).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BINARY VERSION OUTDIR" >&2; exit 2; }
bin=$1 version=$2 outdir=$3
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$bin" ] || { echo "iso/build.sh: no such binary: $bin" >&2; exit 1; }
command -v xorriso >/dev/null || { echo "iso/build.sh: xorriso missing (apt-get install xorriso)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/egs-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
chmod 0755 "$stage"
cp "$bin" "$stage/egs"
cp "$here/install.sh" "$here/uninstall.sh" "$here/README.md" \
	"$here/eryph-guest-services.service" "$here/eryph-guest-services.openrc" \
	"$here/eryph-guest-services.init" "$stage/"
echo "$version" >"$stage/VERSION"
chmod 0755 "$stage/egs" "$stage/install.sh" "$stage/uninstall.sh" \
	"$stage/eryph-guest-services.openrc" "$stage/eryph-guest-services.init"
chmod 0644 "$stage/README.md" "$stage/eryph-guest-services.service" "$stage/VERSION"
(cd "$stage" && sha256sum egs install.sh uninstall.sh eryph-guest-services.service \
	eryph-guest-services.openrc eryph-guest-services.init README.md VERSION >SHA256SUMS)
chmod 0644 "$stage/SHA256SUMS"

mkdir -p "$outdir"
out=$outdir/egs_$version.iso
rm -f "$out.tmp"
xorriso -as mkisofs -V EGS -R -J -T -quiet -o "$out.tmp" "$stage" 2>&1 |
	grep -v '^xorriso : UPDATE' >&2 || true
[ -s "$out.tmp" ] || { echo "iso/build.sh: xorriso failed" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "iso: $out ($(stat -c %s "$out") bytes)"
