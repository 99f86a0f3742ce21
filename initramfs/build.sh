#!/bin/sh
# build.sh: build a minimal initramfs that runs egs as the guest service.
#
#   initramfs/build.sh --egs BINARY --kernel-dir DIR --modules "m1 m2 ..."
#                      [--seed DIR] [--busybox FILE] [--kver VER]
#                      [--add SRC:DEST]... --out FILE
#
# --kernel-dir DIR  a tree with lib/modules/<ver>/ (initramfs/get-kernel.sh)
# --modules LIST    module names (vsock, virtio_net, ...); each is added with
#                   its dependencies from modules.dep, in load order.  Names
#                   that are built into the kernel (modules.builtin) are
#                   skipped.  Compressed modules (.ko.xz/.zst/.gz) are
#                   decompressed so BusyBox insmod can load them.
# --seed DIR        a NoCloud seed (meta-data, user-data, ...), copied to
#                   /var/lib/cloud/seed/nocloud/
# --busybox FILE    a static busybox (default: Debian's busybox-static,
#                   fetched with initramfs/get-busybox.sh into build/)
# --add SRC:DEST    copy one more file into the image
# --out FILE        the gzip-compressed newc cpio to write
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)

egs='' kdir='' modules='' seed='' busybox='' kver='' out='' adds=''
die() { echo "initramfs/build.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case $1 in
	--egs) egs=$2; shift 2 ;;
	--kernel-dir) kdir=$2; shift 2 ;;
	--modules) modules=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--busybox) busybox=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--add) adds="$adds $2"; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done
[ -n "$egs" ] || die "--egs BINARY is required"
[ -f "$egs" ] || die "no such file: $egs"
[ -n "$out" ] || die "--out FILE is required"
[ -n "$seed" ] && { [ -d "$seed" ] || die "no such seed directory: $seed"; }
command -v cpio >/dev/null || die "cpio is missing (apt-get install cpio)"

if [ -z "$busybox" ]; then
	busybox=$("$here/get-busybox.sh" "$top/build/busybox-static")
fi
[ -x "$busybox" ] || die "no busybox: $busybox"

stage=$(mktemp -d "${TMPDIR:-/tmp}/egs-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM

for d in bin sbin usr/bin usr/sbin proc sys dev run tmp root newroot mnt \
	etc/egs var/log var/lib/cloud/seed/nocloud lib/modules \
	opt/eryph/guest-services/bin etc/opt/eryph/guest-services; do
	mkdir -p "$stage/$d"
done
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"

# ---- busybox ----------------------------------------------------------------
cp "$busybox" "$stage/bin/busybox"
chmod 0755 "$stage/bin/busybox"
"$busybox" --list-full | while read -r p; do
	[ "$p" = bin/busybox ] && continue
	mkdir -p "$stage/$(dirname "$p")"
	# relative link to /bin/busybox
	case $p in
	*/*/*) ln -sf ../../bin/busybox "$stage/$p" ;;
	*/*) ln -sf ../bin/busybox "$stage/$p" ;;
	esac
done
[ -e "$stage/bin/sh" ] || ln -sf busybox "$stage/bin/sh"

# ---- egs --------------------------------------------------------------------
ebin=opt/eryph/guest-services/bin
cp "$egs" "$stage/$ebin/egs"
chmod 0755 "$stage/$ebin/egs"
for a in service tool proxy run status validate collect-logs reset; do
	ln -sf egs "$stage/$ebin/egs-$a"
done
ln -sf "../../$ebin/egs" "$stage/usr/bin/egs"

# ---- modules ------------------------------------------------------------------
: >"$stage/etc/egs/modules"
if [ -n "$modules" ]; then
	[ -n "$kdir" ] || die "--modules needs --kernel-dir"
	if [ -z "$kver" ]; then
		for m in "$kdir"/lib/modules/*/modules.dep; do
			[ -f "$m" ] || continue
			[ -z "$kver" ] || die "several kernels in $kdir: pass --kver"
			kver=$(basename "$(dirname "$m")")
		done
	fi
	[ -n "$kver" ] || die "no lib/modules/*/modules.dep under $kdir"
	mdir=$kdir/lib/modules/$kver
	[ -f "$mdir/modules.dep" ] || die "no $mdir/modules.dep"
	# Resolve: each requested module after its dependencies (depth first),
	# each once.  Output: "builtin NAME" or the module's path.
	list=$(awk -v want="$modules" -v builtin_file="$mdir/modules.builtin" '
		function norm(s) { sub(/.*\//, "", s); sub(/\.ko(\.(xz|zst|gz))?$/, "", s); gsub(/-/, "_", s); return s }
		function visit(p,   n, i, d) {
			if (p in done) return
			done[p] = 1
			n = split(deps[p], d, " ")
			for (i = 1; i <= n; i++) visit(d[i])
			print p
		}
		BEGIN {
			while ((getline l < builtin_file) > 0) builtin[norm(l)] = 1
		}
		{ p = $1; sub(/:$/, "", p); path[norm(p)] = p; d = ""
		  for (i = 2; i <= NF; i++) d = d " " $i; deps[p] = d }
		END {
			n = split(want, w, /[ ,]+/)
			for (i = 1; i <= n; i++) {
				if (w[i] == "") continue
				m = norm(w[i])
				if (m in path) visit(path[m])
				else if (m in builtin) print "builtin " m
				else { print "missing " m; bad = 1 }
			}
			exit bad
		}' "$mdir/modules.dep") || die "modules not found in $kver: $(echo "$list" | sed -n 's/^missing //p' | tr '\n' ' ')"
	echo "$list" | while read -r p name; do
		if [ "$p" = builtin ]; then
			echo "builtin $name" >>"$stage/etc/egs/modules"
			continue
		fi
		dst=${p%.xz}; dst=${dst%.zst}; dst=${dst%.gz}
		mkdir -p "$stage/lib/modules/$kver/$(dirname "$dst")"
		case $p in
		*.xz) xz -dc "$mdir/$p" >"$stage/lib/modules/$kver/$dst" ;;
		*.zst) zstd -qdc "$mdir/$p" >"$stage/lib/modules/$kver/$dst" ;;
		*.gz) gzip -dc "$mdir/$p" >"$stage/lib/modules/$kver/$dst" ;;
		*) cp "$mdir/$p" "$stage/lib/modules/$kver/$dst" ;;
		esac
		echo "$dst" >>"$stage/etc/egs/modules"
	done
	for f in modules.builtin modules.order; do
		[ -f "$mdir/$f" ] && cp "$mdir/$f" "$stage/lib/modules/$kver/"
	done
fi

# ---- seed, init, extra files ----------------------------------------------------
if [ -n "$seed" ]; then
	cp -R "$seed"/. "$stage/var/lib/cloud/seed/nocloud/"
fi
cp "$here/init" "$stage/init"
cp "$here/udhcpc.script" "$stage/etc/egs/udhcpc.script"
chmod 0755 "$stage/init" "$stage/etc/egs/udhcpc.script"
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
echo egs-guest >"$stage/etc/hostname"
for a in $adds; do
	src=${a%%:*} dst=${a#*:}
	mkdir -p "$stage/$(dirname "$dst")"
	cp "$src" "$stage/$dst"
done

# ---- archive ------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
n=$(grep -vc '^builtin ' "$stage/etc/egs/modules" || true)
echo "initramfs: $out ($(stat -c %s "$out") bytes, kernel ${kver:-none}, $n modules)"
