#!/bin/sh
# Fetches one Debian source package into a cache, verifies the pinned
# upstream tarball, and unpacks it with Debian's patches and then ours.
#
#   vendor/fetch.sh PKGDIR CACHEDIR OUTDIR
#
# PKGDIR (vendor/NAME) holds VERSION, a shell fragment with
#   DEBIAN_SOURCE   the source package name (apt-get source NAME)
#   ORIG_VERSION    the upstream part of the Debian version (the orig tarball)
#   ORIG_SHA256     sha256 of that orig tarball
# and optionally patches/*.patch, applied with patch -p1 in name order.
# CACHEDIR keeps what apt-get downloaded, so later builds work offline.
set -eu

pkgdir=$1 cache=$2 out=$3
name=$(basename "$pkgdir")
die() { printf 'vendor/%s: %s\n' "$name" "$*" >&2; exit 1; }

[ -f "$pkgdir/VERSION" ] || die "missing $pkgdir/VERSION"
mkdir -p "$cache" && cache=$(cd "$cache" && pwd) || die "cannot create the cache dir $cache"
. "$pkgdir/VERSION"
: "${DEBIAN_SOURCE:?}" "${ORIG_VERSION:?}" "${ORIG_SHA256:?}"

find_orig() {
	for f in "$cache/${DEBIAN_SOURCE}_${ORIG_VERSION}.orig.tar."*; do
		case $f in *.asc) continue ;; esac
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# apt-get source needs a deb-src line; add one mirroring the deb entries.
ensure_deb_src() {
	if grep -qsE '^(deb-src[[:space:]]|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "no deb-src entry in /etc/apt and not root: add one (see README, 'Building'), then re-run make deps"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			> /etc/apt/sources.list.d/egs-deb-src.sources
	elif grep -qs '^deb ' /etc/apt/sources.list; then
		sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/egs-deb-src.list
	else
		die "cannot find the Debian apt sources to mirror as deb-src"
	fi
	echo "vendor/$name: added a deb-src entry to /etc/apt/sources.list.d" >&2
	apt-get update -qq || die "apt-get update failed: check the network and /etc/apt/sources.list.d"
}

download() {
	ensure_deb_src
	echo "vendor/$name: apt-get source --download-only $DEBIAN_SOURCE" >&2
	if ! (cd "$cache" && apt-get source -qq --download-only "$DEBIAN_SOURCE" >/dev/null 2>"$cache/apt.log"); then
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$cache" && apt-get source -qq --download-only "$DEBIAN_SOURCE" >/dev/null 2>"$cache/apt.log") ||
			die "apt-get source $DEBIAN_SOURCE failed ($(tail -n 1 "$cache/apt.log")); check the network and the deb-src entry, then re-run make deps"
	fi
}

orig=$(find_orig) || { download; orig=$(find_orig) || {
	have=$(ls "$cache" | grep '\.orig\.tar\.' | grep -v '\.asc$' | head -n 1)
	die "Debian's $DEBIAN_SOURCE now ships '${have:-nothing}', not the pinned upstream $ORIG_VERSION: review the new version and update $pkgdir/VERSION"
}; }

got=$(sha256sum "$orig" | cut -d' ' -f1)
[ "$got" = "$ORIG_SHA256" ] || die "checksum mismatch for $(basename "$orig"):
  expected $ORIG_SHA256
  got      $got
The cached file is corrupt or upstream changed it. Delete $cache and run 'make deps' to fetch it again; if the mismatch stays, do not build: review the tarball and update $pkgdir/VERSION."

dsc=$(ls "$cache/${DEBIAN_SOURCE}_${ORIG_VERSION}"-*.dsc 2>/dev/null | sort -V | tail -n 1)
[ -n "$dsc" ] || die "no .dsc for $DEBIAN_SOURCE $ORIG_VERSION in $cache: delete $cache and re-run make deps"

rm -rf "$out.tmp" "$out"
mkdir -p "$(dirname "$out")"
# dpkg-source applies Debian's own patch series (debian/patches/series).
dpkg-source --no-copy -x "$dsc" "$out.tmp" >"$cache/dpkg-source.log" 2>&1 ||
	die "dpkg-source -x $(basename "$dsc") failed: see $cache/dpkg-source.log"
for p in "$pkgdir"/patches/*.patch; do
	[ -f "$p" ] || continue
	patch -d "$out.tmp" -p1 --batch --forward --quiet <"$p" >"$cache/patch.log" 2>&1 ||
		die "our patch $(basename "$p") does not apply: $(head -n 3 "$cache/patch.log")"
done
mv "$out.tmp" "$out"
echo "vendor/$name: $(basename "$dsc") verified and unpacked" >&2
