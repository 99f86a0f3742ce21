#!/bin/sh
# egs-early.sh start|stop: run egs service inside a distribution's initramfs
# (initramfs-tools or dracut), opt-in with egs.initramfs=1 on the kernel
# command line.  start loads the vsock transports and starts the service in
# the background with its state in /run/egs (an ephemeral host key; the
# authorised key copied from /etc/opt/eryph/guest-services/id_egs.pub when the
# initramfs was built); stop ends it before the switch to the real root, whose
# own eryph-guest-services then takes over.
EGS=/opt/eryph/guest-services/bin/egs
PIDFILE=/run/egs/egs-service.pid

enabled() {
	for a in $(cat /proc/cmdline); do
		case $a in egs.initramfs=1|egs.initramfs=yes|egs.initramfs) return 0 ;; esac
	done
	return 1
}

case ${1:-} in
start)
	enabled || exit 0
	[ -x "$EGS" ] || exit 0
	for m in vsock hv_sock vmw_vsock_virtio_transport; do
		modprobe -q "$m" 2>/dev/null
	done
	mkdir -p /run/egs/config /run/egs/log
	[ -f /etc/egs-initramfs/id_egs.pub ] && cp /etc/egs-initramfs/id_egs.pub /run/egs/config/
	listen=
	for a in $(cat /proc/cmdline); do
		case $a in egs.listen=*) listen="$listen --listen ${a#egs.listen=}" ;; esac
	done
	# shellcheck disable=SC2086
	"$EGS" service --config-dir /run/egs/config --log-dir /run/egs/log \
		--pidfile "$PIDFILE" $listen </dev/null >/run/egs/log/console.log 2>&1 &&
		echo "egs: guest service started in the initramfs"
	;;
stop)
	[ -f "$PIDFILE" ] || exit 0
	read -r pid <"$PIDFILE"
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$PIDFILE"
	;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
exit 0
