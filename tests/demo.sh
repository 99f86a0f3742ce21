#!/bin/sh
# make demo: the main job of egs, end to end, in a real guest.
#
#   tests/demo.sh [EGS_BINARY]        (make demo passes $(B)/egs)
#
# Builds the egs initramfs around Debian's kernel (initramfs/get-kernel.sh,
# cached in build/kernel), boots it in QEMU (TCG; EGS_QEMU_KVM=1 uses
# /dev/kvm) and drives it from this machine the way a host does: egs tool
# initialize, add-ssh-config, the stock ssh, a file upload and download,
# get-status, and a clean power-off.  In the guest `egs service` listens on
# AF_VSOCK port 5002; the guest relays its tcp port 2223 through
# `egs proxy vsock/1` (vsock loopback) and QEMU forwards 127.0.0.1:PORT to
# it, so the host's ssh reaches the vsock listener without opening any
# vsock socket on this machine.  When `egs run` is implemented, a NoCloud
# seed (cloud-localds) sets the guest's hostname and writes a file.
# Everything lives in a temporary directory (HOME too) removed at the end.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
EGS=${1:-$top/build/egs}
case $EGS in /*) ;; *) EGS=$(pwd)/$EGS ;; esac
[ -x "$EGS" ] || { echo "demo: no egs binary at $EGS" >&2; exit 1; }
for c in qemu-system-x86_64 ssh scp cpio; do
	command -v $c >/dev/null || { echo "demo: $c missing (make deps installs it)" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/egs-demo.XXXXXX)
qpid=""
t0=$(date +%s)
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
indent() { sed 's/^/    /'; }
show() { printf '    $ %s\n' "$*"; "$@" 2>&1 | indent; }
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
export HOME="$dir/home"
mkdir -m 0700 "$HOME"
cfg=$HOME/.ssh/config

# ---- 1. client key ----------------------------------------------------------------
step "egs tool initialize   (the host's client key; HOME=$HOME)"
show "$EGS" tool initialize
echo "    key pair: $HOME/.config/egs/private/id_egs (+ id_egs.pub)"
show "$EGS" tool get-ssh-key
"$EGS" tool get-ssh-key >"$dir/id_egs.pub"

# ---- 2. guest image ---------------------------------------------------------------
step "guest image: Debian's kernel + the egs initramfs (BusyBox, egs, vsock modules)"
kver=$("$top/initramfs/get-kernel.sh" "$top/build/kernel")
kernel=$top/build/kernel/boot/vmlinuz-$kver
"$top/initramfs/build.sh" --egs "$EGS" --kernel-dir "$top/build/kernel" \
	--modules "vsock vmw_vsock_virtio_transport vsock_loopback virtio_pci virtio_net isofs sr_mod ata_piix" \
	--add "$dir/id_egs.pub:/etc/opt/eryph/guest-services/id_egs.pub" \
	--out "$dir/initrd.cpio.gz" | indent
echo "    the client key is built in as /etc/opt/eryph/guest-services/id_egs.pub"

seedargs=""
if "$EGS" run --help 2>&1 | grep -qi 'not implemented'; then
	echo "    (egs run is not implemented in this build yet: no NoCloud seed)"
	nocloud=0
elif command -v cloud-localds >/dev/null; then
	nocloud=1
	cat >"$dir/user-data" <<'EOF'
#cloud-config
hostname: demo-guest
write_files:
  - path: /etc/demo/hello.txt
    content: "written by egs run from the NoCloud seed\n"
runcmd:
  - echo "runcmd ran at uptime $(cut -d' ' -f1 /proc/uptime)" > /run/demo-runcmd
EOF
	printf 'instance-id: iid-egs-demo\nlocal-hostname: demo-guest\n' >"$dir/meta-data"
	cloud-localds "$dir/seed.iso" "$dir/user-data" "$dir/meta-data"
	seedargs="-drive file=$dir/seed.iso,media=cdrom,if=ide,index=0,readonly=on"
	echo "    NoCloud seed: cloud-localds seed.iso user-data meta-data (hostname, write_files, runcmd)"
else
	echo "    (cloud-localds missing: no NoCloud seed)"
	nocloud=0
fi

# ---- 3. boot --------------------------------------------------------------------
p_tcp=$(free_port)
p_vsock=$(free_port)
accel=tcg
if [ "${EGS_QEMU_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then accel=kvm; fi
step "boot the guest in QEMU ($accel): 127.0.0.1:$p_vsock -> guest 2223 -> egs proxy vsock/1 -> egs service (vsock:5002)"
# shellcheck disable=SC2086
qemu-system-x86_64 -M pc -m 512 -smp 1 -accel $accel \
	-kernel "$kernel" -initrd "$dir/initrd.cpio.gz" \
	-append "console=ttyS0 panic=-1 loglevel=4 egs.relay=2223,vsock/1" \
	-display none -vga none -monitor none -serial "file:$dir/serial.log" -no-reboot \
	-nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$p_tcp-:2222,hostfwd=tcp:127.0.0.1:$p_vsock-:2223" \
	$seedargs </dev/null >"$dir/qemu.out" 2>&1 &
qpid=$!
i=0
until grep -q '^EGS-RELAY\|^EGS-SERVICE-FAILED' "$dir/serial.log" 2>/dev/null; do
	if ! kill -0 "$qpid" 2>/dev/null || [ $i -ge 1800 ]; then
		echo "demo: the guest did not come up; console:" >&2
		cat "$dir/qemu.out" "$dir/serial.log" >&2 2>/dev/null || true
		exit 1
	fi
	sleep 0.1; i=$((i + 1))
done
grep '^EGS-' "$dir/serial.log" | tr -d '\r' | indent
grep -q '^EGS-RELAY .*rc=0' "$dir/serial.log" || { echo "demo: egs service/relay failed" >&2; exit 1; }
echo "    guest ready after $(($(date +%s) - t0)) s (since the demo started)"

# ---- 4. ssh config + ssh ----------------------------------------------------------------
step "egs tool add-ssh-config tcp/127.0.0.1:$p_vsock demo-guest"
show "$EGS" tool add-ssh-config "tcp/127.0.0.1:$p_vsock" demo-guest
echo "    $cfg:"
indent <"$cfg" | sed 's/^/  /'

step "ssh demo-guest uname -a   (ssh -F $cfg: ssh reads ~ from passwd, not \$HOME)"
SSH="ssh -F $cfg -o BatchMode=yes"
show $SSH demo-guest uname -a
set +e
out=$($SSH demo-guest 'echo "exit status travels back"; exit 7')
rc=$?
echo "    $out: remote 'exit 7' -> ssh exit status $rc"
set -e
if [ "$nocloud" = 1 ]; then
	step "NoCloud effects (egs run at boot)"
	grep '^EGS-RUN' "$dir/serial.log" | tr -d '\r' | indent
	show $SSH demo-guest 'hostname; cat /etc/demo/hello.txt /run/demo-runcmd; egs status --format json'
fi

# ---- 5. files ------------------------------------------------------------------------------
step "upload and download a file (1 MiB), compare sha256"
head -c 1048576 /dev/urandom >"$dir/demo.bin"
if "$EGS" tool upload-file --help 2>&1 | grep -qi 'not implemented'; then
	show scp -F "$cfg" -o BatchMode=yes "$dir/demo.bin" demo-guest:/tmp/demo.bin
	show scp -F "$cfg" -o BatchMode=yes demo-guest:/tmp/demo.bin "$dir/back.bin"
else
	show "$EGS" tool upload-file demo-guest "$dir/demo.bin" /tmp/demo.bin --overwrite
	show "$EGS" tool download-file demo-guest /tmp/demo.bin "$dir/back.bin" --overwrite
fi
printf '    host  %s\n' "$(sha256sum <"$dir/demo.bin")"
printf '    guest %s\n' "$($SSH demo-guest 'sha256sum </tmp/demo.bin')"
printf '    back  %s\n' "$(sha256sum <"$dir/back.bin")"
cmp -s "$dir/demo.bin" "$dir/back.bin" && echo "    round trip: identical" ||
	{ echo "demo: the downloaded file differs" >&2; exit 1; }

# ---- 6. status, proof of vsock ---------------------------------------------------------------
step "egs tool get-status demo-guest"
show "$EGS" tool get-status demo-guest
step "guest side: the sessions arrived over AF_VSOCK (agent.log names the peer vsock-CID:PORT)"
$SSH demo-guest 'grep "auth succeeded" /var/log/eryph/guest-services/agent.log | tail -n 3' | indent

# ---- 7. shutdown -------------------------------------------------------------------------------
step "shut the guest down (ssh demo-guest poweroff -f)"
$SSH demo-guest 'poweroff -f' >/dev/null 2>&1 || true
i=0
while kill -0 "$qpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$qpid" 2>/dev/null; then
	echo "    QEMU still running; stopping it (pid $qpid)"
else
	wait "$qpid" 2>/dev/null || true
	qpid=""
	echo "    QEMU exited"
fi
step "done in $(($(date +%s) - t0)) s; removing $dir"
