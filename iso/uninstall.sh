#!/bin/sh
# uninstall.sh: remove eryph guest services (egs) from a Linux guest.
#
#   sh uninstall.sh [--purge] [--root DIR] [--prefix DIR]
#                   [--init systemd|openrc|sysvinit|busybox] [--dry-run]
#
# Stops and disables the eryph-guest-services service, then removes the
# binary, the applet links and every unit/init file any flavour of install.sh
# may have placed (systemd unit and modules-load.d file, OpenRC and sysvinit
# scripts and their runlevel links, the BusyBox inittab line).
# /etc/opt/eryph/guest-services (keys, flags) is kept unless --purge, which
# also removes /var/log/eryph/guest-services and /var/lib/eryph/guest-services.
#
#   --purge      also remove configuration, keys, logs and state
#   --root DIR   remove from the image tree DIR (nothing is stopped)
#   --prefix DIR installation directory (default /opt/eryph/guest-services)
#   --init NAME  do not detect the init system
#   --dry-run    print every action, change nothing
#
# POSIX sh: runs under dash, bash and BusyBox ash.
set -u

NAME=eryph-guest-services
DEFAULT_PREFIX=/opt/eryph/guest-services
CONF=/etc/opt/eryph/guest-services
APPLETS="service tool proxy run status validate collect-logs reset"

case $0 in */*) HERE=${0%/*} ;; *) HERE=. ;; esac
HERE=$(cd "$HERE" && pwd)

ROOT='' PREFIX=$DEFAULT_PREFIX INIT='' PURGE=0 DRY=0

die() { echo "uninstall.sh: $*" >&2; exit 1; }
usage() { sed -n '2,20s/^# \{0,1\}//p' "$HERE/uninstall.sh" 2>/dev/null; }

while [ $# -gt 0 ]; do
	opt=$1
	case $opt in
	--*=*) val=${opt#*=}; opt=${opt%%=*}; shift; set -- "$opt" "$val" "$@" ;;
	esac
	case $opt in
	--root|--prefix|--init)
		[ $# -ge 2 ] || die "$opt needs an argument"
		case $opt in
		--root) ROOT=$2 ;;
		--prefix) PREFIX=$2 ;;
		--init) INIT=$2 ;;
		esac
		shift 2 ;;
	--purge) PURGE=1; shift ;;
	--dry-run|-n) DRY=1; shift ;;
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
if [ -n "$ROOT" ]; then
	[ -d "$ROOT" ] || die "--root $ROOT: no such directory"
	ROOT=$(cd "$ROOT" && pwd)
	[ "$ROOT" = / ] && ROOT=
fi
R=$ROOT
LIVE=1
[ -n "$R" ] && LIVE=0
BIN=$PREFIX/bin

say() { echo "$*"; }
act() {
	if [ $DRY = 1 ]; then echo "[dry-run] $*"; return 1; fi
	echo "  $*"
	return 0
}
run() { act "$*" && "$@"; }
have() { command -v "$1" >/dev/null 2>&1; }
exists() { [ -e "$R$1" ] || [ -L "$R$1" ]; }
remove() { for _p in "$@"; do exists "$_p" && run rm -f "$R$_p"; done; return 0; }
rmdir_empty() { # remove the directories if empty, innermost first
	for _d in "$@"; do
		[ -d "$R$_d" ] || continue
		[ -z "$(ls -A "$R$_d" 2>/dev/null)" ] || continue
		run rmdir "$R$_d"
	done
	return 0
}

init_target() {
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

FLAVOUR=${INIT:-$(detect_init)}
say "Removing eryph guest services from ${R:-/} ($FLAVOUR)"

# 1. stop and disable (live systems)
if [ $LIVE = 1 ]; then
	case $FLAVOUR in
	systemd)
		if have systemctl && exists "/etc/systemd/system/$NAME.service"; then
			run systemctl stop "$NAME.service" || true
			run systemctl disable "$NAME.service" || true
		fi ;;
	openrc)
		if exists "/etc/init.d/$NAME"; then
			have rc-service && { run rc-service "$NAME" stop || true; }
			have rc-update && { run rc-update del "$NAME" default || true; }
		fi ;;
	sysvinit|busybox)
		if [ -x "/etc/init.d/$NAME" ]; then run "/etc/init.d/$NAME" stop || true; fi
		if [ "$FLAVOUR" = sysvinit ] && exists "/etc/init.d/$NAME"; then
			if have update-rc.d; then run update-rc.d -f "$NAME" remove || true
			elif have chkconfig; then run chkconfig --del "$NAME" || true
			fi
		fi ;;
	esac
fi

# 2. BusyBox inittab entry (any flavour: it may have been added earlier)
LINE="::respawn:$BIN/egs-service --foreground"
if [ -f "$R/etc/inittab" ] && grep -qxF "$LINE" "$R/etc/inittab"; then
	if act "remove '$LINE' from $R/etc/inittab"; then
		_tmp=$R/etc/inittab.egs-new
		grep -vxF "$LINE" "$R/etc/inittab" | grep -vxF "# $NAME (egs)" >"$_tmp"
		cat "$_tmp" >"$R/etc/inittab" && rm -f "$_tmp"
	fi
	if [ $LIVE = 1 ]; then
		run kill -HUP 1 || true
		for _p in $(pidof egs-service 2>/dev/null); do run kill -TERM "$_p" || true; done
	fi
fi

# 3. unit and init files, runlevel links
remove "/etc/systemd/system/multi-user.target.wants/$NAME.service" \
	"/etc/systemd/system/$NAME.service" "/etc/modules-load.d/$NAME.conf" \
	"/etc/runlevels/default/$NAME"
for _d in /etc /etc/rc.d; do
	for _l in 0 1 2 3 4 5 6 S; do
		for _f in "$R$_d/rc$_l.d/"[SK][0-9][0-9]"$NAME"; do
			[ -L "$_f" ] || [ -e "$_f" ] || continue
			remove "${_f#"$R"}"
		done
	done
done
remove "/etc/init.d/$NAME"
if [ $LIVE = 1 ] && [ "$FLAVOUR" = systemd ] && have systemctl; then
	run systemctl daemon-reload || true
fi

# 4. binary and links
for _a in $APPLETS; do remove "$BIN/egs-$_a"; done
remove "$BIN/egs"
for _f in "$R$BIN"/.egs.new.*; do [ -e "$_f" ] && remove "${_f#"$R"}"; done
rmdir_empty "$BIN" "$PREFIX" "$(dirname "$PREFIX")"

# 5. configuration, keys, logs, state
if [ $PURGE = 1 ]; then
	for _d in "$CONF" /var/log/eryph/guest-services /var/lib/eryph/guest-services; do
		exists "$_d" && run rm -rf "$R$_d"
	done
	rmdir_empty /etc/opt/eryph /var/log/eryph /var/lib/eryph
elif exists "$CONF"; then
	say "Kept $R$CONF (keys and flags); remove it with --purge."
fi

if [ $DRY = 1 ]; then say "Dry run: nothing was changed."; else say "eryph guest services removed."; fi
exit 0
