#!/bin/sh
# Installs the Debian packages the build and the tests need, if missing.
# One line per tool: a command (or a python module, "py:NAME") and the
# Debian package that provides it.
set -eu
need=""
while read -r what pkg; do
	case $what in
	'#'*|'') continue ;;
	py:*) /usr/bin/python3 -c "import ${what#py:}" 2>/dev/null && continue ;;
	*) command -v "$what" >/dev/null 2>&1 && continue ;;
	esac
	case " $need " in *" $pkg "*) ;; *) need="$need $pkg" ;; esac
done <<'LIST'
musl-gcc      musl-tools
gcc           gcc
make          make
dpkg-source   dpkg-dev
patch         patch
xz            xz-utils
bzip2         bzip2
file          file
python3       python3
openssl       openssl
ssh           openssh-client
ssh-keygen    openssh-client
sftp          openssh-client
socat         socat
py:paramiko   python3-paramiko
clang         clang
xorriso       xorriso
busybox       busybox-static
qemu-system-x86_64 qemu-system-x86
cloud-localds cloud-image-utils
mkfs.vfat     dosfstools
mcopy         mtools
cpio          cpio
depmod        kmod
strace        strace
valgrind      valgrind
LIST
# cloud-init is the oracle of the validate tests: installed, never run.
# /etc/cloud/cloud-init.disabled first, so it can never provision this
# machine (its units also stay inactive on a machine without systemd).
if ! command -v cloud-init >/dev/null 2>&1; then
	need="$need cloud-init"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "egs build: missing Debian packages:$need" >&2
	echo "  install them as root: apt-get install$need" >&2
	exit 1
fi
echo "egs build: apt-get install$need" >&2
case " $need " in *" cloud-init "*) mkdir -p /etc/cloud && touch /etc/cloud/cloud-init.disabled ;; esac
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $need >/dev/null 2>&1 || {
	apt-get update -q >/dev/null 2>&1
	apt-get install -y -q --no-install-recommends $need >/dev/null ||
		{ echo "egs build: apt-get install$need failed" >&2; exit 1; }
}
