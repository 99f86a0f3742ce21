#!/bin/sh
# Throughput of `egs sftp-server` against OpenSSH's sftp-server, both run
# directly by OpenSSH's sftp client (`sftp -D`, no ssh, no network): a
# 256 MiB file put and got back, best of 3 runs each.
#   bench/sftp-local.sh [EGS_BINARY]     (default build/egs)
# OpenSSH's server comes from Debian's openssh-sftp-server package.
set -eu
EGS=${1:-${EGS:-build/egs}}
EGS=$(cd "$(dirname "$EGS")" && pwd)/$(basename "$EGS")
OPENSSH=/usr/lib/openssh/sftp-server
SIZE_MB=${SIZE_MB:-256}
RUNS=${RUNS:-3}

dir=$(mktemp -d /tmp/egs-sftp-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT INT TERM
cd "$dir"
head -c $((SIZE_MB * 1024 * 1024)) /dev/urandom > src.bin

# best wall time (seconds) of RUNS runs of one batch command
best() {
	server=$1 cmd=$2 best=
	printf '%s\n' "$cmd" > batch
	for _ in $(seq "$RUNS"); do
		start=$(date +%s.%N)
		sftp -q -D "$server" -b batch > /dev/null
		end=$(date +%s.%N)
		t=$(echo "$end - $start" | bc)
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
	done
	echo "$best"
}

report() {
	name=$1 server=$2
	put=$(best "$server" "put src.bin up.bin")
	get=$(best "$server" "get up.bin down.bin")
	cmp -s src.bin up.bin && cmp -s src.bin down.bin || { echo "$name: data mismatch" >&2; exit 1; }
	printf '%-28s put %6.0f MiB/s   get %6.0f MiB/s\n' "$name" \
		"$(echo "$SIZE_MB / $put" | bc -l)" "$(echo "$SIZE_MB / $get" | bc -l)"
	rm -f up.bin down.bin
}

echo "sftp -D, ${SIZE_MB} MiB file, best of $RUNS"
sync # no writeback of src.bin during the first measurement
if [ -x "$OPENSSH" ]; then
	report "OpenSSH sftp-server" "$OPENSSH"
else
	echo "($OPENSSH missing: apt-get install --no-install-recommends openssh-sftp-server)"
fi
report "egs sftp-server" "$EGS sftp-server"
