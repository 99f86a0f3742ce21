#!/bin/sh
# make demo: the main job of egs, end to end, on this machine. Starts
# `egs service` on a temporary unix socket with a throwaway client key,
# connects with the stock OpenSSH client through `egs proxy`, runs a
# command, prints what happened, and cleans up. (Inside a real guest the
# service listens on AF_VSOCK port 5002 instead; never on this machine.)
set -eu
EGS=${1:-build/egs}
dir=$(mktemp -d /tmp/egs-demo.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "throwaway client key (ECDSA P-256, like the original egs-tool's)"
ssh-keygen -q -t ecdsa -b 256 -N '' -C egs-demo -f "$dir/id_egs"
mkdir -p "$dir/config"
cp "$dir/id_egs.pub" "$dir/config/id_egs.pub"
echo "authorized: $(cut -c1-60 "$dir/id_egs.pub")..."

step "egs service --listen unix:$dir/egs.sock"
"$EGS" service --listen "unix:$dir/egs.sock" --config-dir "$dir/config" \
	--log-dir "$dir/log" --kvp-dir "$dir/kvp" >"$dir/service.out" 2>&1 &
pid=$!
i=0
while [ ! -S "$dir/egs.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
sed 's/^/    /' "$dir/service.out"

step "ssh -o ProxyCommand='egs proxy unix/...' egs@guest 'uname -a; id; echo hello from egs'"
ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=accept-new \
	-o UserKnownHostsFile="$dir/known_hosts" -o LogLevel=ERROR -i "$dir/id_egs" \
	-o ProxyCommand="$EGS proxy unix/$dir/egs.sock" \
	egs@guest 'uname -a; id; echo hello from egs' | sed 's/^/    /'

step "exit status travels back"
set +e
ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile="$dir/known_hosts" -o LogLevel=ERROR \
	-i "$dir/id_egs" -o ProxyCommand="$EGS proxy unix/$dir/egs.sock" egs@guest 'exit 7'
echo "    remote 'exit 7' -> ssh exit status $?"
set -e

step "host key the client pinned (the service's ECDSA P-256 key, PKCS#8 at private/egs_host_key)"
ssh-keygen -lf "$dir/known_hosts" | sed 's/^/    /'

step "service log (agent.log)"
sed 's/^/    /' "$dir/log/agent.log"
step "done; stopping the service and removing $dir"
