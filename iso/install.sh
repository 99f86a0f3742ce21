#!/bin/sh
# install.sh: install eryph guest services (egs) on a Linux guest.
#
#   sh install.sh [--ssh-public-key KEY|FILE] [--root DIR] [--prefix DIR]
#                 [--init systemd|openrc|sysvinit|busybox] [--binary FILE]
#                 [--vsock auto|hyperv|virtio|both] [--no-start] [--dry-run]
#
# Installs the static egs binary as /opt/eryph/guest-services/bin/egs with the
# applet links next to it (egs-service, egs-tool, egs-proxy, egs-run,
# egs-status, egs-validate, egs-collect-logs, egs-reset), creates
# /etc/opt/eryph/guest-services (keys and flags there are kept), and installs,
# enables and starts the eryph-guest-services service for the init system
# found (systemd, OpenRC, sysvinit, BusyBox init).  Running it again upgrades
# in place: the service is stopped, the binary replaced atomically and the
# service started again.
#
#   --ssh-public-key KEY|FILE  authorise this OpenSSH public key (the key text,
#                       or a file holding it): written to
#                       /etc/opt/eryph/guest-services/id_egs.pub (0644)
#   --root DIR          install into the image tree DIR: files only, no
#                       service is started or stopped; the init system is
#                       detected inside DIR
#   --prefix DIR        installation directory (default /opt/eryph/guest-services)
#   --init NAME         do not detect the init system
#   --binary FILE       the egs binary to install (default: egs next to this
#                       script, checked against SHA256SUMS when present)
#   --vsock WHICH       vsock transport modules for systemd's modules-load.d:
#                       auto (default: hyperv on Hyper-V, virtio elsewhere;
#                       both with --root), hyperv, virtio, both
#   --no-start          place and enable everything, but do not (re)start
#   --dry-run           print every action, change nothing
#
# POSIX sh: runs under dash, bash and BusyBox ash.
set -u

NAME=eryph-guest-services
DEFAULT_PREFIX=/opt/eryph/guest-services
CONF=/etc/opt/eryph/guest-services
APPLETS="service tool proxy run status validate collect-logs reset"

case $0 in */*) HERE=${0%/*} ;; *) HERE=. ;; esac
HERE=$(cd "$HERE" && pwd)

ROOT='' PREFIX=$DEFAULT_PREFIX INIT='' BINARY='' KEY='' VSOCK=auto NOSTART=0 DRY=0

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '2,33s/^# \{0,1\}//p' "$HERE/install.sh" 2>/dev/null; }

while [ $# -gt 0 ]; do
	opt=$1 val=
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; shift; set -- "$opt" "$val" "$@" ;;
	esac
	case $opt in
	--root|--prefix|--init|--binary|--ssh-public-key|--vsock)
		[ $# -ge 2 ] || die "$opt needs an argument"
		val=$2
		case $opt in
		--root) ROOT=$val ;;
		--prefix) PREFIX=$val ;;
		--init) INIT=$val ;;
		--binary) BINARY=$val ;;
		--ssh-public-key) KEY=$val ;;
		--vsock) VSOCK=$val ;;
		esac
		shift 2 ;;
	--dry-run|-n) DRY=1; shift ;;
	--no-start) NOSTART=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $opt" ;;
	esac
done

if [ "$(id -u 2>/dev/null)" != 0 ]; then
	echo "This script must be run as root." >&2
	exit 1
fi

case $PREFIX in /*) PREFIX=${PREFIX%/} ;; *) die "--prefix must be an absolute path" ;; esac
case $INIT in ''|systemd|openrc|sysvinit|busybox) ;; *) die "unknown --init $INIT" ;; esac
case $VSOCK in auto|hyperv|virtio|both) ;; *) die "unknown --vsock $VSOCK" ;; esac
if [ -n "$ROOT" ]; then
	[ -d "$ROOT" ] || die "--root $ROOT: no such directory"
	ROOT=$(cd "$ROOT" && pwd)
	[ "$ROOT" = / ] && ROOT=
fi
R=$ROOT
LIVE=1
[ -n "$R" ] && LIVE=0
BIN=$PREFIX/bin

# ---- helpers ------------------------------------------------------------------------
say() { echo "$*"; }
act() { # print an action; true if it should be carried out
	if [ $DRY = 1 ]; then echo "[dry-run] $*"; return 1; fi
	echo "  $*"
	return 0
}
run() { act "$*" && "$@"; }
have() { command -v "$1" >/dev/null 2>&1; }

# put_text DEST MODE: install stdin as DEST (atomically) unless identical.
put_text() {
	_tmp=$(mktemp "${TMPDIR:-/tmp}/egs-install.XXXXXX") || die "mktemp failed"
	cat >"$_tmp"
	if [ -f "$R$1" ] && [ ! -L "$R$1" ] && cmp -s "$_tmp" "$R$1"; then
		rm -f "$_tmp"
		if [ "$(stat -c %a "$R$1")" != "${2#0}" ]; then run chmod "$2" "$R$1"; fi
		return 0
	fi
	if act "write $R$1 (mode $2)"; then
		mkdir -p "$(dirname "$R$1")" &&
			cp "$_tmp" "$R$1.egs-new" && chmod "$2" "$R$1.egs-new" &&
			mv -f "$R$1.egs-new" "$R$1" || { rm -f "$_tmp"; die "cannot write $R$1"; }
	fi
	rm -f "$_tmp"
}
render() { # template with the prefix substituted
	if [ "$PREFIX" = "$DEFAULT_PREFIX" ]; then cat "$1"; else sed "s|$DEFAULT_PREFIX|$PREFIX|g" "$1"; fi
}
# link TARGET LINK: make LINK a symlink to TARGET unless it already is one.
link() {
	if [ -L "$R$2" ] && [ "$(readlink "$R$2")" = "$1" ]; then return 0; fi
	[ -d "$R$(dirname "$2")" ] || run mkdir -p "$R$(dirname "$2")"
	if [ -e "$R$2" ] || [ -L "$R$2" ]; then run rm -f "$R$2"; fi
	run ln -s "$1" "$R$2"
}

init_target() { # where $R/sbin/init points (one or two levels)
	_t=
	for _i in /sbin/init /usr/sbin/init; do
		if [ -L "$R$_i" ]; then
			_t=$(readlink "$R$_i")
			case $_t in /*) ;; *) _t=$(dirname "$_i")/$_t ;; esac
			[ -L "$R$_t" ] && _t=$(readlink "$R$_t")
			break
		fi
	done
	if [ -z "$_t" ] && [ $LIVE = 1 ] && [ -r /proc/1/exe ]; then
		_t=$(readlink /proc/1/exe 2>/dev/null)
	fi
	echo "$_t"
}

detect_init() {
	if [ -d "$R/run/systemd/system" ]; then echo systemd; return; fi
	if [ -e "$R/sbin/openrc-run" ] || [ -e "$R/usr/sbin/openrc-run" ] ||
		[ -d "$R/run/openrc" ]; then
		echo openrc; return
	fi
	_t=$(init_target)
	case $_t in
	*systemd*) [ $LIVE = 0 ] && { echo systemd; return; } ;;
	*busybox*) echo busybox; return ;;
	esac
	echo sysvinit
}

vsock_modules() {
	_v=$VSOCK
	if [ "$_v" = auto ]; then
		if [ $LIVE = 0 ]; then _v=both
		elif [ -d /sys/bus/vmbus/devices ] && [ -n "$(ls /sys/bus/vmbus/devices 2>/dev/null)" ]; then _v=hyperv
		else _v=virtio
		fi
	fi
	case $_v in
	hyperv) echo hv_sock ;;
	virtio) echo vmw_vsock_virtio_transport ;;
	both) echo hv_sock; echo vmw_vsock_virtio_transport ;;
	esac
}

# ---- service control (live systems only) -----------------------------------------
svc_stop() {
	[ $LIVE = 1 ] || return 0
	case $FLAVOUR in
	systemd)
		if have systemctl && [ -f "/etc/systemd/system/$NAME.service" ]; then
			run systemctl stop "$NAME.service" || true
		fi ;;
	openrc)
		if [ -x "/etc/init.d/$NAME" ] && have rc-service; then
			run rc-service "$NAME" stop || true
		fi ;;
	sysvinit|busybox)
		if [ -x "/etc/init.d/$NAME" ]; then run "/etc/init.d/$NAME" stop || true; fi ;;
	esac
}

svc_start() {
	[ $LIVE = 1 ] && [ $NOSTART = 0 ] || return 0
	case $FLAVOUR in
	systemd) run systemctl start "$NAME.service" || die "systemctl start $NAME failed" ;;
	openrc) run rc-service "$NAME" start || die "rc-service $NAME start failed" ;;
	sysvinit) run "/etc/init.d/$NAME" start || die "/etc/init.d/$NAME start failed" ;;
	busybox)
		if [ $INITTAB = 1 ]; then
			# re-read /etc/inittab (starts the respawn entry); a running old
			# service is ended and respawned from the new binary
			run kill -HUP 1 || true
			for _p in $(pidof egs-service 2>/dev/null); do
				run kill -TERM "$_p" || true
			done
		else
			run "/etc/init.d/$NAME" start || die "/etc/init.d/$NAME start failed"
		fi ;;
	esac
}

# ---- main -------------------------------------------------------------------------------
FLAVOUR=${INIT:-$(detect_init)}

if [ -z "$BINARY" ]; then
	BINARY=$HERE/egs
	if [ -f "$HERE/SHA256SUMS" ] && have sha256sum && [ -f "$BINARY" ]; then
		_want=$(awk '$2 == "egs" || $2 == "*egs" || $2 == "./egs" { print $1; exit }' "$HERE/SHA256SUMS")
		_got=$(sha256sum "$BINARY" | awk '{ print $1 }')
		[ -z "$_want" ] || [ "$_want" = "$_got" ] ||
			die "$BINARY does not match SHA256SUMS (damaged medium?)"
	fi
fi
[ -f "$BINARY" ] || die "no egs binary at $BINARY (use --binary FILE)"
for _f in "$NAME.service" "$NAME.openrc" "$NAME.init"; do
	[ -f "$HERE/$_f" ] || die "missing $HERE/$_f"
done

if [ -n "$KEY" ]; then
	if [ -f "$KEY" ]; then
		KEYTEXT=$(grep -v '^[[:space:]]*\(#\|$\)' "$KEY" | head -n 1)
	else
		KEYTEXT=$KEY
	fi
	KEYTEXT=$(printf '%s' "$KEYTEXT" | tr -d '\r')
	case $KEYTEXT in
	ssh-*\ *|ecdsa-sha2-*\ *|sk-*\ *) ;;
	*) die "--ssh-public-key: not an OpenSSH public key (or no such file): $KEY" ;;
	esac
fi

UPGRADE=0
{ [ -e "$R$BIN/egs" ] || [ -e "$R$BIN/egs-service" ]; } && UPGRADE=1
target=${R:-/}
if [ $UPGRADE = 1 ]; then
	say "Upgrading eryph guest services in $target ($FLAVOUR)"
else
	say "Installing eryph guest services into $target ($FLAVOUR)"
fi

# 1. stop a running service (it is started again at the end)
[ $UPGRADE = 1 ] && svc_stop

# 2. the original (.NET) installation had a real bin/egs-service and DLLs:
#    remove it the way its own installer did (rm -rf the install dir)
if [ -f "$R$BIN/egs-service" ] && [ ! -L "$R$BIN/egs-service" ]; then
	say "Replacing the previous (.NET) installation in $R$PREFIX"
	run rm -rf "$R$PREFIX"
fi

# 3. the binary, replaced atomically (temp name in the same dir, then mv)
[ -d "$R$BIN" ] || run mkdir -p "$R$BIN"
if [ -f "$R$BIN/egs" ] && [ ! -L "$R$BIN/egs" ] && cmp -s "$BINARY" "$R$BIN/egs"; then
	[ "$(stat -c %a "$R$BIN/egs")" = 755 ] || run chmod 0755 "$R$BIN/egs"
else
	_new=$R$BIN/.egs.new.$$
	if act "install $BINARY -> $R$BIN/egs"; then
		cp "$BINARY" "$_new" && chmod 0755 "$_new" && mv -f "$_new" "$R$BIN/egs" ||
			{ rm -f "$_new"; die "cannot install $R$BIN/egs"; }
	fi
fi

# 4. applet links: egs-x -> egs
for _a in $APPLETS; do
	link egs "$BIN/egs-$_a"
done

# 5. configuration directory (existing keys and flags are left alone)
if [ ! -d "$R$CONF" ]; then
	run mkdir -p "$R$CONF"
fi
[ -d "$R$CONF" ] && [ "$(stat -c %a "$R$CONF")" != 755 ] && run chmod 0755 "$R$CONF"
if [ -n "$KEY" ]; then
	printf '%s\n' "$KEYTEXT" | put_text "$CONF/id_egs.pub" 0644
fi

# 6. service files for the init system, enabled
INITTAB=0
case $FLAVOUR in
systemd)
	render "$HERE/$NAME.service" | put_text "/etc/systemd/system/$NAME.service" 0644
	{
		echo "# eryph guest services: AF_VSOCK transport (Hyper-V sockets / virtio-vsock)"
		vsock_modules
	} | put_text "/etc/modules-load.d/$NAME.conf" 0644
	if [ $LIVE = 1 ] && have systemctl; then
		run systemctl daemon-reload || true
		run systemctl enable "$NAME.service" || die "systemctl enable $NAME failed"
	else
		link "/etc/systemd/system/$NAME.service" \
			"/etc/systemd/system/multi-user.target.wants/$NAME.service"
	fi
	;;
openrc)
	render "$HERE/$NAME.openrc" | put_text "/etc/init.d/$NAME" 0755
	if [ $LIVE = 1 ] && have rc-update; then
		if ! rc-update show default 2>/dev/null | grep -q "^ *$NAME "; then
			run rc-update add "$NAME" default || die "rc-update add $NAME failed"
		fi
	else
		link "/etc/init.d/$NAME" "/etc/runlevels/default/$NAME"
	fi
	;;
sysvinit)
	render "$HERE/$NAME.init" | put_text "/etc/init.d/$NAME" 0755
	if [ $LIVE = 1 ] && have update-rc.d; then
		run update-rc.d "$NAME" defaults || die "update-rc.d $NAME failed"
	elif [ $LIVE = 1 ] && have chkconfig; then
		run chkconfig --add "$NAME" || die "chkconfig --add $NAME failed"
	else
		for _d in /etc/rc.d /etc; do
			[ -d "$R$_d/rc2.d" ] || continue
			for _l in 2 3 4 5; do link "../init.d/$NAME" "$_d/rc$_l.d/S90$NAME"; done
			for _l in 0 1 6; do
				[ -d "$R$_d/rc$_l.d" ] && link "../init.d/$NAME" "$_d/rc$_l.d/K10$NAME"
			done
			break
		done
	fi
	;;
busybox)
	render "$HERE/$NAME.init" | put_text "/etc/init.d/$NAME" 0755
	LINE="::respawn:$BIN/egs-service --foreground"
	if [ -f "$R/etc/inittab" ]; then
		INITTAB=1
		if ! grep -qxF "$LINE" "$R/etc/inittab"; then
			if act "add '$LINE' to $R/etc/inittab"; then
				printf '# %s (egs)\n%s\n' "$NAME" "$LINE" >>"$R/etc/inittab"
			fi
		fi
	else
		say "No /etc/inittab: to have BusyBox init supervise the service, add"
		say "  $LINE"
	fi
	;;
esac

# 7. start (live systems)
svc_start

if [ $DRY = 1 ]; then
	say "Dry run: nothing was changed."
else
	say "eryph guest services installed in $R$PREFIX ($FLAVOUR)."
	if [ $LIVE = 1 ]; then
		"$R$BIN/egs" --version 2>/dev/null || true
	fi
fi
exit 0
