#!/bin/sh
# egs run on a typical config (hostname, 2 users with keys, 5 write_files,
# 3 runcmd lines) under --root: median wall time of N runs, each on a fresh
# copy of the same tree (goal: <= 50 ms, runcmd bodies are no-ops). Usage: bench/run.sh [EGS] [RUNS]
set -eu
EGS=${1:-build/egs}
RUNS=${2:-11}
work=$(mktemp -d /tmp/egs-bench-run.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
tpl=$work/template
mkdir -p "$tpl/bin" "$tpl/etc" "$tpl/tmp" "$tpl/var/lib/cloud/seed/nocloud"
cp /bin/busybox "$tpl/bin/sh"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tpl/etc/passwd"
printf 'root:x:0:\n' >"$tpl/etc/group"
seed=$tpl/var/lib/cloud/seed/nocloud
printf 'instance-id: bench-1\nlocal-hostname: bench\n' >"$seed/meta-data"
k1="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBpR0aDI5ZkFm1Xq0fRb8Z2a8cG7Zl0m1nHq8Qy5n5Qd bench1"
k2="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq8Qy5n5QdBpR0aDI5ZkFm1Xq0fRb8Z2a8cG7Zl0m1n bench2"
cat >"$seed/user-data" <<EOT
#cloud-config
hostname: bench-host
users:
  - name: alice
    groups: [adm]
    ssh_authorized_keys: ["$k1"]
  - name: bob
    ssh_authorized_keys: ["$k2"]
write_files:
  - {path: /etc/egs-bench/a.conf, content: "a=1\n"}
  - {path: /etc/egs-bench/b.conf, content: "b=2\n", permissions: '0600'}
  - {path: /etc/egs-bench/c.txt, content: aGVsbG8K, encoding: b64}
  - {path: /etc/egs-bench/d.txt, content: "d\n", owner: alice:alice, defer: true}
  - {path: /etc/egs-bench/e.txt, content: "e\n", append: true}
runcmd:
  - ":"
  - [sh, -c, ":"]
  - "echo done > /tmp/egs-bench-done"
EOT
times=""
i=0
while [ $i -lt "$RUNS" ]; do
	rm -rf "$work/root" && cp -a "$tpl" "$work/root"
	start=$(date +%s%N)
	"$EGS" run --root "$work/root" --kvp-dir '' --boot-id-file "$work/bootid" >/dev/null 2>"$work/err" ||
		{ echo "egs run failed:" >&2; cat "$work/err" >&2; exit 1; }
	end=$(date +%s%N)
	times="$times $(( (end - start) / 1000 ))"
	i=$((i + 1))
done
median=$(printf '%s\n' $times | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'egs run (typical config, --root), %s runs: median %d.%03d ms (goal <= 50 ms)\n' \
	"$RUNS" $((median / 1000)) $((median % 1000))
