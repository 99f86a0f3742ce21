# Shared helpers for bench/*.sh (sourced). Starts servers on unix sockets
# or 127.0.0.1 in a temp dir, never the system sshd; kills only its own PIDs.
# EGS=path (default build/egs). Results go to stdout; temp files to $W.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EGS=${EGS:-$ROOT/build/egs}
W=$(mktemp -d /tmp/egs-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; sleep 0.2; rm -rf "$W"; }
trap cleanup EXIT INT TERM

ssh-keygen -q -t ecdsa -b 256 -N '' -f "$W/id" -C bench
mkdir -p "$W/cfg" "$W/log" "$W/kvp"
cp "$W/id.pub" "$W/cfg/id_egs.pub"

# egs service on unix:$W/egs.sock and tcp:127.0.0.1:$EGS_PORT
EGS_PORT=${EGS_PORT:-22722}
SSHD_PORT=${SSHD_PORT:-22723}
start_egs() {
	"$EGS" service --listen "unix:$W/egs.sock" --listen "tcp:127.0.0.1:$EGS_PORT" \
		--config-dir "$W/cfg" --log-dir "$W/log" --kvp-dir "$W/kvp" >"$W/egs.out" 2>&1 &
	EGS_PID=$!; PIDS="$PIDS $EGS_PID"
	for _ in $(seq 100); do [ -S "$W/egs.sock" ] && return 0; sleep 0.05; done
	echo "egs service did not start" >&2; cat "$W/egs.out" >&2; exit 1
}

# OpenSSH sshd on 127.0.0.1 with its own config, in a private mount
# namespace with a temp dir over /root (no shell start-up files).
start_sshd() {
	[ -x /usr/sbin/sshd ] || { echo "no /usr/sbin/sshd (apt-get install -y --no-install-recommends openssh-server)" >&2; exit 1; }
	mkdir -p "$W/sshd" "$W/fakeroot/.ssh"
	ssh-keygen -q -t ecdsa -b 256 -N '' -f "$W/sshd/host" -C host
	cp "$W/id.pub" "$W/sshd/authorized_keys"
	cat >"$W/sshd/config" <<CFG
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $W/sshd/host
AuthorizedKeysFile $W/sshd/authorized_keys
PidFile none
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
	mkdir -p /run/sshd
	unshare -m sh -c "mount --bind '$W/fakeroot' /root && exec /usr/sbin/sshd -D -e -f '$W/sshd/config'" \
		>"$W/sshd.out" 2>&1 &
	SSHD_PID=$!; PIDS="$PIDS $SSHD_PID"
	for _ in $(seq 100); do
		ssh-keyscan -p "$SSHD_PORT" 127.0.0.1 >/dev/null 2>&1 && return 0; sleep 0.05
	done
	echo "sshd did not start" >&2; cat "$W/sshd.out" >&2; exit 1
}

SSHO="-F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes -i $W/id"
# ssh command prefixes for the three targets
ssh_egs_unix() { ssh $SSHO -o "ProxyCommand=$EGS proxy --fdpass unix/$W/egs.sock" -o ProxyUseFdpass=yes -l egs "$@"; }
ssh_egs_tcp()  { ssh $SSHO -p "$EGS_PORT" -l egs "$@"; }
ssh_sshd()     { ssh $SSHO -p "$SSHD_PORT" -l root "$@"; }
host_of() { case $1 in egs_unix) echo guest ;; *) echo 127.0.0.1 ;; esac; }

# CPU seconds (user+sys, children included) of a listener and its
# finished sessions: utime+stime+cutime+cstime from /proc/PID/stat.
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12+$13+$14+$15)/hz }' "/proc/$1/stat"
}
listener_pid() { case $1 in sshd) echo "$SSHD_PID" ;; *) echo "$EGS_PID" ;; esac; }

median() { sort -g | awk '{a[NR]=$1} END { if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
now() { date +%s.%N; }
