#!/bin/bash
# dracut module "egs": eryph guest services in the initramfs.
# Install this directory as /usr/lib/dracut/modules.d/90egs/ (with
# egs-early.sh copied next to this file), then
#   dracut --force --add egs
# or add_dracutmodules+=" egs " to /etc/dracut.conf.d/egs.conf.
# The service only starts with egs.initramfs=1 on the kernel command line.

check() {
	[ -x /opt/eryph/guest-services/bin/egs ] || return 1
	# only when asked for (--add egs / add_dracutmodules)
	return 255
}

depends() {
	return 0
}

installkernel() {
	hostonly='' instmods vsock vmw_vsock_virtio_transport vsock_loopback hv_sock
}

install() {
	inst_simple /opt/eryph/guest-services/bin/egs
	ln_r /opt/eryph/guest-services/bin/egs /opt/eryph/guest-services/bin/egs-service
	inst_simple "$moddir/egs-early.sh" /usr/lib/eryph/egs-early.sh
	if [ -s /etc/opt/eryph/guest-services/id_egs.pub ]; then
		inst_simple /etc/opt/eryph/guest-services/id_egs.pub /etc/egs-initramfs/id_egs.pub
	fi
	inst_multiple modprobe kill sleep cat mkdir cp rm
	inst_hook pre-trigger 90 "$moddir/egs-start.sh"
	inst_hook cleanup 90 "$moddir/egs-stop.sh"
}
